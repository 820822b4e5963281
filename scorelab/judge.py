"""The evaluation classifier (the judge) taught to hear digits rather than voices, and the
leave-one-speaker-out measure of whether it does.

Every tiny-profile metric rests on the judge. Trained on the clips of five FSDD speakers, a
classifier can lean on who speaks as well as on what is said; generated speech that drifts from
those voices would then be judged by the voice too. Three kinds of variation break that link:

- speed perturbation: every training clip again, resampled by each factor in `speed_factors`
  (0.9 plays 10 % slower and lower, 1.1 faster and higher: a different vocal-tract length);
- SpecAugment-style masking: in every training batch, bands of Mel channels and runs of frames
  of each clip are replaced by that clip's mean, so no single region decides;
- synthetic voices: the espeak-ng digits (40 voices, `scorelab.data.synth`) added to the data.

`leave_one_speaker_out` measures the result: train on four speakers, test on every clip of the
fifth, for each of the five.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .audio import log_mels_of_files
from .config import DIGITS, Profile
from .data import load_dataset
from .data.base import SPLITS
from .data.fsdd import speaker_of


@dataclass(frozen=True)
class JudgeConfig:
    """How the judge's training data varies. The defaults add nothing (the plain recipe)."""

    speed_factors: tuple[float, ...] = ()  # extra copies of every clip, resampled by each factor
    freq_masks: int = 0  # masked bands of Mel channels per clip and step
    freq_mask_width: int = 0  # the widest band, in Mel channels
    time_masks: int = 0  # masked runs of frames per clip and step
    time_mask_width: int = 0  # the longest run, in frames
    synthetic: bool = False  # add the espeak-ng voices (made with espeak-ng on first use)


PLAIN = JudgeConfig()
# the recipe the shipped judge is trained with (chapter 9 and book/checkpoints/README.md give its
# leave-one-speaker-out accuracy against PLAIN)
SPEAKER_INDEPENDENT = JudgeConfig(speed_factors=(0.85, 0.92, 1.08, 1.15), freq_masks=2, freq_mask_width=10,
                                  time_masks=2, time_mask_width=8, synthetic=True)


JUDGE_RECIPES = {"plain": PLAIN, "speaker-independent": SPEAKER_INDEPENDENT}  # by name, for the command line


def recipe_for(profile: Profile) -> JudgeConfig:
    """The recipe a profile's judge trains with by default: SPEAKER_INDEPENDENT on FSDD (five
    speakers: the synthetic voices add many more); without the synthetic voices elsewhere (SC09
    and Speech Commands hold thousands of speakers, and words the voices do not say)."""
    if profile.data.source == "fsdd":
        return SPEAKER_INDEPENDENT
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


def masked_objective(objective, recipe: JudgeConfig):
    """A training-loop loss(model, x, y, t, z) that masks x (`spec_mask`, from torch's global
    generator, which training checkpoints save and restore) before `objective` sees it."""
    if not (recipe.freq_masks or recipe.time_masks):
        return objective

    def loss(model, x, y, t, z):
        return objective(model, spec_mask(x, recipe), y, t, z)

    return loss


def leave_one_speaker_out(profile: Profile, recipe: JudgeConfig, out: str | os.PathLike, steps: int | None = None,
                          device: str = "cpu", log=print, only: tuple[str, ...] | None = None) -> dict[str, float]:
    """For each FSDD speaker (or those in `only`): train a judge with `recipe` on the other
    speakers' training clips (run folder out/without-SPEAKER; a run there resumes) and return its
    accuracy on every clip of that speaker, all splits (500 clips each)."""
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
        result[speaker] = accuracy_on(judge, profile, SPLITS, (speaker,))
        log(f"held out {speaker}: {result[speaker]:.3f} of its clips right")
    return result


def accuracy_on(judge, profile: Profile, splits=("test",), speakers: tuple[str, ...] | None = None) -> float:
    """The fraction of the profile's clips in `splits` (of `speakers` only, when given) that the
    judge hears as the right label, at the lowest noise level."""
    from .classify import predict

    files, labels = clips_of(profile, splits, speakers)
    guess = predict(judge, log_mels_of_files(files, profile.mel), profile.sde.sigma_min)
    return float((guess == labels).float().mean())
