"""The evaluation classifier (the judge) taught to hear digits rather than voices, and the
leave-one-speaker-out measure of whether it does.

Every tiny-profile metric rests on the judge. Trained on the clips of five FSDD speakers, a
classifier can lean on who speaks as well as on what is said; generated speech that drifts from
those voices would then be judged by the voice too. Three kinds of variation break that link:

- speed perturbation: every training clip again, resampled by each factor in `speed_factors`
  (0.9 plays 10 % slower and lower, 1.1 faster and higher: a different vocal-tract length);
- voice and room variation, drawn per clip and step (`spec_vary`): the frequency axis warped
  as a longer or shorter vocal tract would (formants up or down, timing kept), the time axis
  stretched (speaking rate, pitch kept) and shifted, the level raised or lowered and the
  spectrum tilted (another microphone), the bandwidth cut (8 kHz recordings such as FSDD's hold
  nothing above 4 kHz, the synthetic voices do), silence left silent;
- SpecAugment-style masking: in every training batch, bands of Mel channels and runs of frames
  of each clip are replaced by that clip's mean, so no single region decides;
- synthetic voices: the espeak-ng digits (40 voices, `scorelab.data.synth`) added to the data.

`leave_one_speaker_out` measures the result: train on four speakers, test on every clip of the
fifth, for each of the five.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .audio import band_centres, log_mels_of_files, normalize
from .config import DIGITS, MelConfig, Profile
from .data import load_dataset
from .data.base import SPLITS
from .data.fsdd import speaker_of
from .paths import write_atomic


@dataclass(frozen=True)
class JudgeConfig:
    """How the judge's training data varies. The defaults add nothing (the plain recipe)."""

    speed_factors: tuple[float, ...] = ()  # extra copies of every clip, resampled by each factor
    freq_masks: int = 0  # masked bands of Mel channels per clip and step
    freq_mask_width: int = 0  # the widest band, in Mel channels
    time_masks: int = 0  # masked runs of frames per clip and step
    time_mask_width: int = 0  # the longest run, in frames
    synthetic: bool = False  # add the espeak-ng voices (made with espeak-ng on first use)
    warp: float = 1.0  # every frequency scaled by a factor drawn log-uniformly in [1/warp, warp]
    tempo: float = 1.0  # the time axis stretched by a factor drawn log-uniformly in [1/tempo, tempo]
    shift_frames: int = 0  # and moved by up to this many frames either way
    gain_db: float = 0.0  # the level raised or lowered by up to this many dB
    tilt_db: float = 0.0  # the top band raised against the bottom one by up to this many dB, or lowered
    eq_db: float = 0.0  # and a smooth bump or dip across the bands of up to this many dB
    noise_db: float = 0.0  # a steady noise floor this many dB below the clip's loudest bin, or up to 30 dB lower
    lowpass_hz: float = 0.0  # every clip low-passed at a cutoff drawn log-uniformly between this and f_max

    @property
    def varies(self) -> bool:
        """Whether `spec_vary` changes anything."""
        return (self.warp > 1 or self.tempo > 1 or self.shift_frames > 0 or self.gain_db > 0 or self.tilt_db > 0
                or self.eq_db > 0 or self.noise_db > 0 or self.lowpass_hz > 0)


PLAIN = JudgeConfig()
# every clip again at four speeds, masks, and the synthetic voices: a first step away from PLAIN
SPEED_AND_MASKS = JudgeConfig(speed_factors=(0.85, 0.92, 1.08, 1.15), freq_masks=2, freq_mask_width=10,
                              time_masks=2, time_mask_width=8, synthetic=True)
# and every clip varied in every step by voice (warp), rate (tempo, shift) and microphone (gain,
# tilt) (chapter 9 gives the leave-one-speaker-out accuracy of every recipe)
SPEAKER_INDEPENDENT = dataclasses.replace(SPEED_AND_MASKS, warp=1.15, tempo=1.3, shift_frames=8, gain_db=20,
                                          tilt_db=12)
# and every clip low-passed at 3 to 8 kHz: FSDD's 8 kHz recordings hold nothing above 4 kHz, the
# synthetic voices reach 8 kHz, and a judge should not learn a digit from what only they have: the
# default on FSDD (recipe_for)
BAND_LIMITED = dataclasses.replace(SPEAKER_INDEPENDENT, lowpass_hz=3000.0)

# by name, for the command line and the records of leave-one-speaker-out
JUDGE_RECIPES = {"plain": PLAIN, "speed-and-masks": SPEED_AND_MASKS, "speaker-independent": SPEAKER_INDEPENDENT,
                 "band-limited": BAND_LIMITED}


def describe(recipe: JudgeConfig | dict) -> str:
    """What a recipe varies, in a line (a dict: a recipe as a record or run configuration holds it)."""
    r = JudgeConfig(**{**dataclasses.asdict(PLAIN), **recipe}) if isinstance(recipe, dict) else recipe
    parts = [(r.speed_factors, "every clip again at speeds " + ", ".join(f"{f:g}" for f in r.speed_factors)),
             (r.synthetic, "the synthetic voices"),
             (r.warp > 1, f"frequencies scaled by up to {r.warp:g}x either way"),
             (r.tempo > 1, f"time stretched by up to {r.tempo:g}x either way"),
             (r.shift_frames, f"shifted by up to {r.shift_frames} frames"),
             (r.gain_db, f"level changed by up to {r.gain_db:g} dB"),
             (r.tilt_db, f"spectrum tilted by up to {r.tilt_db:g} dB"),
             (r.eq_db, f"bumps or dips of up to {r.eq_db:g} dB"),
             (r.lowpass_hz, f"low-passed at {r.lowpass_hz:g} Hz or above"),
             (r.noise_db, f"a noise floor {r.noise_db:g} to {r.noise_db + NOISE_RANGE_DB:g} dB below the loudest bin"),
             (r.freq_masks, f"{r.freq_masks} bands of up to {r.freq_mask_width} Mel channels masked"),
             (r.time_masks, f"{r.time_masks} runs of up to {r.time_mask_width} frames masked")]
    return "; ".join(text for wanted, text in parts if wanted) or "the clean clips only"


def recipe_name(run_config: dict) -> str:
    """The name in JUDGE_RECIPES of the recipe a judge's run configuration (its checkpoint's
    "config") records: "plain" for a judge trained before recipes were recorded (on clean clips
    only), "custom" for a recipe of no name."""
    saved = run_config.get("judge")
    if saved is None:
        return "plain"
    saved = json.loads(json.dumps({**dataclasses.asdict(PLAIN), **saved}))
    for name, recipe in JUDGE_RECIPES.items():
        if json.loads(json.dumps(dataclasses.asdict(recipe))) == saved:
            return name
    return "custom"


def recipe_for(profile: Profile) -> JudgeConfig:
    """The recipe a profile's judge trains with by default: BAND_LIMITED on FSDD (five speakers,
    recorded at 8 kHz: the synthetic voices add many more, cut to the same bandwidth; its lowest
    leave-one-speaker-out accuracy is the highest measured, chapter 9); SPEAKER_INDEPENDENT without
    the synthetic voices elsewhere (SC09 and Speech Commands hold thousands of speakers, and words
    the voices do not say)."""
    if profile.data.source == "fsdd":
        return BAND_LIMITED
    return dataclasses.replace(SPEAKER_INDEPENDENT, synthetic=False)


def clips_of(profile: Profile, splits=("train",), speakers: tuple[str, ...] | None = None,
             source: str | None = None, download: bool = False):
    """(files, labels) of the profile's data in `splits`, only those of `speakers` (FSDD) when
    given; `source` reads another source (its default folder) with the profile's labels."""
    files, labels = [], []
    for split in splits:
        ds = load_dataset(source or profile.data.source, split, profile.data.root if source is None else None,
                          profile.data.labels, download=download)
        for clip in ds.clips:
            if speakers is None or speaker_of(clip.path) in speakers:
                files.append(clip.path)
                labels.append(clip.label)
    return files, torch.tensor(labels, dtype=torch.long)


def training_data(profile: Profile, recipe: JudgeConfig, speakers: tuple[str, ...] | None = None):
    """(x, labels) the judge trains on: the profile's training clips (of `speakers` only, when
    given), again at each speed factor, plus the synthetic voices' training split if asked for
    (made with espeak-ng on first use, about 30 s)."""
    files, labels = clips_of(profile, ("train",), speakers)
    factors = (1.0, *recipe.speed_factors)
    x = log_mels_of_files(files, profile.mel, factors)
    y = labels.repeat(len(factors))
    if recipe.synthetic:
        unknown = [w for w in profile.data.labels if w not in DIGITS]
        if unknown:
            raise ValueError(f"the synthetic voices say only the digits; not {', '.join(unknown)}")
        synth_files, synth_labels = clips_of(profile, ("train",), source="synth", download=True)
        x = torch.cat([x, log_mels_of_files(synth_files, profile.mel)])
        y = torch.cat([y, synth_labels])
    return x, y


def spec_mask(x: torch.Tensor, recipe: JudgeConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """x (B, 1, bands, frames) with `freq_masks` bands of up to `freq_mask_width` Mel channels and
    `time_masks` runs of up to `time_mask_width` frames set to each clip's mean, drawn per clip."""
    if not (recipe.freq_masks or recipe.time_masks):
        return x
    b, _, bands, frames = x.shape
    keep = torch.ones(b, 1, bands, frames, dtype=torch.bool, device=x.device)
    for count, width, size, axis in ((recipe.freq_masks, recipe.freq_mask_width, bands, 2),
                                     (recipe.time_masks, recipe.time_mask_width, frames, 3)):
        position = torch.arange(size, device=x.device)
        for _ in range(count):
            w = torch.randint(0, width + 1, (b,), generator=generator).to(x.device)
            start = (torch.rand(b, generator=generator).to(x.device) * (size - w + 1)).long()
            hit = (position[None] >= start[:, None]) & (position[None] < (start + w)[:, None])  # (B, size)
            keep &= ~(hit[:, None, :, None] if axis == 2 else hit[:, None, None, :])
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return torch.where(keep, x, mean)


def _log_uniform(n: int, widest: float, generator) -> torch.Tensor:
    """n factors drawn log-uniformly in [1/widest, widest]."""
    return torch.exp((torch.rand(n, generator=generator) * 2 - 1) * math.log(widest))


def _uniform(n: int, widest: float, generator) -> torch.Tensor:
    """n values drawn uniformly in [-widest, widest]."""
    return (torch.rand(n, generator=generator) * 2 - 1) * widest


NOISE_RANGE_DB = 30.0  # how much quieter than JudgeConfig.noise_db a drawn noise floor may be
NOISE_WOBBLE_NEPERS = 0.3  # the spread of a noise floor's log-Mel bins about their level


def spec_vary(x: torch.Tensor, recipe: JudgeConfig, cfg: MelConfig,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """x (B, 1, bands, frames), model-space log-Mels, each clip varied (`vary`, `add_noise`) by
    factors drawn within the recipe's ranges: another speaker, speaking rate, microphone and room."""
    if not recipe.varies:
        return x
    b, _, bands, frames = x.shape
    height = torch.linspace(0, 1, bands, dtype=torch.float64)[None]  # 0 at the bottom band, 1 at the top
    warp, stretch = _log_uniform(b, recipe.warp, generator), _log_uniform(b, recipe.tempo, generator)
    shift = _uniform(b, recipe.shift_frames, generator)
    level = _uniform(b, recipe.gain_db, generator)[:, None] + _uniform(b, recipe.tilt_db, generator)[:, None] * height
    if recipe.eq_db > 0:  # two smooth shapes: a bump or dip in the middle, and one a third of the way up and down
        level = level + sum(_uniform(b, recipe.eq_db / 2, generator)[:, None] * torch.cos(k * math.pi * height)
                            for k in (2, 3))
    if recipe.lowpass_hz > 0:
        top = cfg.f_max or cfg.sample_rate / 2
        cutoff = recipe.lowpass_hz * (top / recipe.lowpass_hz) ** torch.rand(b, generator=generator, dtype=torch.float64)
        level = level + lowpass_db(_band_centres(cfg)[None], cutoff[:, None])
    x = vary(x, cfg, warp, stretch, shift, level)
    if recipe.noise_db > 0:
        snr = recipe.noise_db + torch.rand(b, generator=generator) * NOISE_RANGE_DB
        wobble = torch.randn(x.shape, generator=generator) * NOISE_WOBBLE_NEPERS
        x = add_noise(x, cfg, snr, wobble.to(x.device))
    return x


LOWPASS_DB_PER_OCTAVE = 48.0  # how steeply a drawn low-pass falls above its cutoff


def lowpass_db(freq_hz: torch.Tensor, cutoff_hz: torch.Tensor) -> torch.Tensor:
    """The gain in dB of the judge's low-pass at `freq_hz`: 0 up to `cutoff_hz`, then falling by
    LOWPASS_DB_PER_OCTAVE (a recording of less bandwidth: 8 kHz audio has nothing above 4 kHz)."""
    return -LOWPASS_DB_PER_OCTAVE * torch.log2(freq_hz / cutoff_hz).clamp(min=0)


def add_noise(x: torch.Tensor, cfg: MelConfig, snr_db: torch.Tensor, wobble: torch.Tensor) -> torch.Tensor:
    """x (B, 1, bands, frames), model-space log-Mels, with a steady noise floor added (the
    magnitudes summed): each clip's at `snr_db` (B,) below its loudest bin, its bins spread by
    `wobble` (x's shape, in nepers) about that level."""
    db = math.log(10) / 20 / cfg.norm_scale  # model units per dB
    level = x.flatten(1).amax(dim=1) - snr_db.to(x) * db
    noise = level[:, None, None, None] + wobble / cfg.norm_scale
    return torch.logaddexp(x * cfg.norm_scale, noise * cfg.norm_scale) / cfg.norm_scale


@functools.lru_cache(maxsize=4)
def _band_centres(cfg: MelConfig) -> torch.Tensor:
    """`band_centres` in float64, made once per Mel configuration (vary runs every training step)."""
    return band_centres(cfg).double()


def vary(x: torch.Tensor, cfg: MelConfig, warp: torch.Tensor, stretch: torch.Tensor, shift: torch.Tensor,
         level_db: torch.Tensor) -> torch.Tensor:
    """x (B, 1, bands, frames), model-space log-Mels, with per-clip (B,) factors applied: every
    frequency f moved to f * warp (the band centred at f shows what the clip had at f / warp: a
    shorter vocal tract for warp > 1, timing kept), the time axis stretched by `stretch` about the
    clip's centre (slower speech for stretch > 1, pitch kept) and moved `shift` frames later, then
    every band raised by `level_db` (B,) or (B, bands) dB. What comes from outside the clip, and
    what was silent, stays silent (the log-Mel floor)."""
    b, _, bands, frames = x.shape
    floor = normalize(torch.tensor(cfg.log_floor), cfg).item()
    centres = _band_centres(cfg)
    # where each output band reads from: the fractional band whose centre is f / warp
    wanted = (centres[None] / warp.double()[:, None]).contiguous()  # (B, bands) Hz
    above = torch.searchsorted(centres, wanted).clamp(1, bands - 1)
    low, high = centres[above - 1], centres[above]
    source_band = above - 1 + (wanted - low) / (high - low)
    source_band = torch.where(wanted > centres[-1], torch.full_like(source_band, bands + 1.0), source_band)
    centre = (frames - 1) / 2
    source_frame = ((torch.arange(frames).double()[None] - centre - shift.double()[:, None])
                    / stretch.double()[:, None] + centre)
    # grid_sample's coordinates (align_corners=True): -1 the first row or column, 1 the last
    gy = (2 * source_band / (bands - 1) - 1)[:, :, None].expand(b, bands, frames)
    gx = (2 * source_frame / (frames - 1) - 1)[:, None, :].expand(b, bands, frames)
    grid = torch.stack([gx, gy], dim=-1).to(device=x.device, dtype=x.dtype)
    above_floor = torch.nn.functional.grid_sample(x - floor, grid, mode="bilinear", padding_mode="zeros",
                                                  align_corners=True)
    db = math.log(10) / 20 / cfg.norm_scale  # model units per dB (log-Mels are natural-log magnitudes)
    offset = (level_db.double().reshape(b, -1) * db).expand(b, bands)[:, None, :, None].to(device=x.device, dtype=x.dtype)
    return torch.where(above_floor <= 1e-6, floor, (above_floor + floor + offset).clamp(min=floor))


def augmented_objective(objective, recipe: JudgeConfig, cfg: MelConfig):
    """A training-loop loss(model, x, y, t, z) that varies x (`spec_vary`) and masks it
    (`spec_mask`), from torch's global generator (which training checkpoints save and restore),
    before `objective` sees it."""
    if not (recipe.varies or recipe.freq_masks or recipe.time_masks):
        return objective

    def loss(model, x, y, t, z):
        return objective(model, spec_mask(spec_vary(x, recipe, cfg), recipe), y, t, z)

    return loss


def leave_one_speaker_out(profile: Profile, recipe: JudgeConfig, out: str | os.PathLike, steps: int | None = None,
                          device: str = "cpu", log=print,
                          only: tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
    """For each FSDD speaker (or those in `only`): train a judge with `recipe` on the other
    speakers' training clips (run folder out/without-SPEAKER; a run there resumes) and return what
    it hears in every clip of that speaker, all splits (500 clips each): a confusion matrix per
    speaker (`confusion_on`; `accuracy_of` gives the fraction right)."""
    from .runs import train_evalclassifier

    if profile.data.source != "fsdd":
        raise ValueError(f"leave-one-speaker-out needs FSDD's named speakers; the profile reads {profile.data.source}")
    everyone = tuple(sorted({speaker_of(f) for f in clips_of(profile, SPLITS)[0]}))
    if steps is not None:
        profile = profile.replace(train=dataclasses.replace(profile.train, steps=steps))
    result = {}
    for speaker in only or everyone:
        if speaker not in everyone:
            raise ValueError(f"no FSDD speaker {speaker!r}; the data holds {', '.join(everyone)}")
        others = tuple(s for s in everyone if s != speaker)
        judge = train_evalclassifier(profile, Path(out) / f"without-{speaker}", recipe=recipe, speakers=others,
                                     device=device, progress=False, log=log)
        result[speaker] = confusion_on(judge, profile, SPLITS, (speaker,))
        log(f"held out {speaker}: {accuracy_of(result[speaker]):.3f} of its clips right")
    return result


def confusion_on(judge, profile: Profile, splits=("test",), speakers: tuple[str, ...] | None = None) -> torch.Tensor:
    """(labels, labels) counts of the profile's clips in `splits` (of `speakers` only, when given):
    row = the clip's label, column = the label the judge hears, at the lowest noise level."""
    from .classify import confusion_matrix, predict

    files, labels = clips_of(profile, splits, speakers)
    guess = predict(judge, log_mels_of_files(files, profile.mel), profile.sde.sigma_min)
    return confusion_matrix(guess, labels, len(profile.data.labels))


def accuracy_of(confusion) -> float:
    """The fraction of clips on a confusion matrix's diagonal (heard as their own label)."""
    confusion = torch.as_tensor(confusion)
    return float(confusion.diagonal().sum() / confusion.sum())


def accuracy_on(judge, profile: Profile, splits=("test",), speakers: tuple[str, ...] | None = None) -> float:
    """The fraction of the profile's clips in `splits` (of `speakers` only, when given) that the
    judge hears as the right label, at the lowest noise level."""
    return accuracy_of(confusion_on(judge, profile, splits, speakers))


LOSO_RECORD = "results/judge-loso.json"  # the book's record of leave-one-speaker-out, relative to book/


def record_loso(path: str | os.PathLike, recipe: str, steps: int, confusions: dict,
                profile: str = "tiny", definition: JudgeConfig | None = None) -> dict:
    """Merge one recipe's leave-one-speaker-out confusion matrices (`leave_one_speaker_out`) into
    the JSON record at `path` (made if missing) and return the record: one entry per recipe, steps
    and profile, holding the recipe's definition (`definition`, default JUDGE_RECIPES[recipe]) and
    each held-out speaker's accuracy and confusion matrix. A recipe whose definition changed since
    it was recorded starts a new entry."""
    path = Path(path)
    record = read_loso(path) if path.exists() else {"clips_per_speaker": 500, "entries": []}
    definition = dataclasses.asdict(definition or JUDGE_RECIPES[recipe])
    entry = next((e for e in record["entries"] if (e["recipe"], e["steps"], e["profile"]) == (recipe, steps, profile)
                  and e["definition"] == json.loads(json.dumps(definition))), None)
    if entry is None:
        entry = {"recipe": recipe, "steps": steps, "profile": profile, "definition": definition, "accuracy": {},
                 "confusion": {}}
        record["entries"].append(entry)
    entry["accuracy"] = dict(sorted({**entry["accuracy"],
                                     **{k: round(accuracy_of(v), 4) for k, v in confusions.items()}}.items()))
    entry["confusion"] = dict(sorted({**entry["confusion"],
                                      **{k: torch.as_tensor(v).tolist() for k, v in confusions.items()}}.items()))
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(record, indent=1) + "\n"))
    return record


def read_loso(path: str | os.PathLike) -> dict:
    """The leave-one-speaker-out record at `path` (`record_loso`), checked."""
    try:
        record = json.loads(Path(path).read_text())
        assert all({"recipe", "steps", "profile", "accuracy", "confusion"} <= set(e) for e in record["entries"])
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise ValueError(f"{path} is not a leave-one-speaker-out record (scripts/judge_loso.py --record writes "
                         f"one): {exc!r}") from exc
    return record


def loso_table(record: dict) -> str:
    """A Markdown table of a leave-one-speaker-out record: a row per held-out speaker, a column per
    recipe and length, then the mean over the speakers and the lowest accuracy (what "every speaker
    reaches 95 %" asks of); "(of n)" marks a column that holds only n speakers."""
    entries = record["entries"]
    speakers = sorted({s for e in entries for s in e["accuracy"]})
    head = ["held-out speaker"] + [f"{e['recipe']}, {e['steps']} steps" for e in entries]
    rows = [[s] + [f"{e['accuracy'][s]:.1%}" if s in e["accuracy"] else "" for e in entries] for s in speakers]
    partial = ["" if len(e["accuracy"]) == len(speakers) else f" (of {len(e['accuracy'])})" for e in entries]
    rows.append(["mean"] + [f"{sum(e['accuracy'].values()) / len(e['accuracy']):.1%}{p}" for e, p in zip(entries, partial)])
    rows.append(["**lowest**"] + [f"**{min(e['accuracy'].values()):.1%}**{p}" for e, p in zip(entries, partial)])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
