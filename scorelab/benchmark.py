"""How long a profile takes on this machine, measured in a minute or two before committing to it.

`time_training` runs the real training loop (`scorelab.train.train`: the same optimiser, EMA,
bf16 autocast and torch.compile defaults) for a few steps on random inputs of the profile's
shape, so no data set is needed, and measures steps per second after a warm-up (which absorbs
torch.compile and cuDNN autotuning). `time_sampling` times guided and unguided sampling the same
way. `estimate` turns both into the time the profile's full training run and an evaluation set
would take: a projection from measured speeds, not a measurement of the full run.
Every timed step is also counted (`compute.count_flops`, backward passes included), so each
row says how many TFLOP/s it achieved and what fraction of the device's peak that is
(`utilisation.device_peaks`: a known GPU's data sheet, else matrix products measured on it).
`python -m scorelab benchmark --profile paper` prints the table.
"""
from __future__ import annotations

import dataclasses
import math
import platform
import tempfile
import time

import torch

from . import run_cache
from .config import Profile, config_to_dict
from .devices import default_device
from .guidance import DEFAULT_GAMMA
from .comparison import REGIMES, paper_rows
from .compute import count_flops
from .generate import generate
from .kinds import TIMED, get_kind, guiding_classifier, objective_for
from .markdown import markdown_table
from .models import build_model, count_parameters
from .nets.diffwave import DiffWave, DiffWaveConfig, ancestral_sample, macs_per_generated_second
from .nets.hifigan import HiFiGANGenerator
from .sampling import score_evaluations
from .sde import make_sde
from .speed import auto_batch, autotuned, prepare_for_sampling
from .train import METRICS, read_metrics, train
from .utilisation import device_peaks, float_precision, utilisation

KINDS = TIMED  # the kinds a reproduction trains, in its order (`scorelab.kinds`)


def _inputs(profile: Profile, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((n, 1, profile.mel.n_mels, profile.mel.n_frames), generator=gen)
    y = torch.randint(len(profile.data.labels), (n,), generator=gen)
    return x, y


def _model(kind: str, profile: Profile) -> torch.nn.Module:
    torch.manual_seed(0)
    classifier = build_model("classifier", profile) if get_kind(kind).on_classifier else None
    return build_model(kind, profile, classifier)  # random weights: speed does not depend on them


def _sampling_models(kind: str, profile: Profile, device: str):
    """(model, guiding classifier) of `kind` with random weights on `device`, for timing sampling."""
    model = _model(kind, profile).to(device).eval()
    spare = None if get_kind(kind).on_classifier else build_model("classifier", profile).to(device).eval()
    return model, guiding_classifier(kind, model, spare)


def _timed(fn, device: str):
    """(fn(), its wall-clock seconds, the GPU's queued work included)."""
    started = time.perf_counter()
    result = fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return result, time.perf_counter() - started


def time_training(kind: str, profile: Profile, steps: int = 5, warmup: int = 2, device: str | None = None) -> dict:
    """Training speed of `kind` at the profile's batch size: {"steps_per_s", "seconds_per_step",
    "batch_size", "trainable_params", "timed_steps"}. The first `warmup` steps are not timed."""
    if steps < 1 or warmup < 0:
        raise ValueError(f"steps must be >= 1 and warmup >= 0, got steps={steps}, warmup={warmup}")
    cfg = dataclasses.replace(profile.train, steps=warmup + steps, log_every=1, checkpoint_every=10 ** 9,
                              warmup_steps=1)
    model = _model(kind, profile)
    x, y = _inputs(profile, max(cfg.batch_size, 8))
    sde = make_sde(profile.sde)
    objective = objective_for(kind, sde)
    with tempfile.TemporaryDirectory(prefix="scorelab-benchmark-") as run_dir:
        train(model, objective, x, y, cfg, run_dir, {"model": kind, "profile": config_to_dict(profile)},
              device=device, progress=False)
        rows = read_metrics(f"{run_dir}/{METRICS}")
    by_step = {r["step"]: r["elapsed_s"] for r in rows}
    seconds = by_step[warmup + steps] - by_step.get(warmup, 0.0)
    return {"steps_per_s": steps / seconds, "seconds_per_step": seconds / steps, "batch_size": cfg.batch_size,
            "trainable_params": count_parameters(model, trainable_only=True), "timed_steps": steps,
            "flops_per_step": cfg.batch_size * training_flops_per_clip(kind, profile)}


def training_flops_per_clip(kind: str, profile: Profile) -> float:
    """FLOPs of one training step of `kind` for one clip: the loss's forward pass and its backward
    pass (the optimiser's update is not counted). Counted on the CPU at batch 1; a step at batch
    B costs B times as much (every layer works per clip)."""
    model = _model(kind, profile)
    x, y = _inputs(profile, 1)
    gen = torch.Generator().manual_seed(1)
    t, z = torch.rand(1, generator=gen), torch.randn(x.shape, generator=gen)
    objective = objective_for(kind, make_sde(profile.sde))
    return count_flops(lambda: objective(model, x, y, t, z).backward())


def time_sampling(kind: str, profile: Profile, gamma: float | None = DEFAULT_GAMMA, clips: int | str = 16,
                  steps: int = 2, device: str = "cpu", count: bool = True, precision: str = "fp32",
                  compile: bool = False, channels_last: bool = False, autotune: bool = False,
                  max_clips: int = 2048) -> dict:
    """Seconds per generated clip with the profile's sampler and number of steps, projected (by
    the number of score evaluations, `sampling.score_evaluations`) from `steps` timed sampler
    steps on one batch of `clips` clips after one untimed warm-up call
    (16, the batch `generate` and `report` sample in; a GPU is faster per clip in larger batches).
    gamma None samples unguided. Returns {"seconds_per_clip", "timed_seconds", "timed_steps",
    "flops_per_clip" (projected to the profile's steps, as the seconds are), "timed_flops" (the
    counted work of the timed call)}; the last two only with `count`.
    `clips="auto"`: as many as fit in the device's memory (`speed.auto_batch`), at most
    `max_clips`; `precision`, `compile`, `channels_last` and `autotune` as in `speed` (the warm-up
    call absorbs compilation and cuDNN's timing of its algorithms)."""
    model, classifier = _sampling_models(kind, profile, device)
    all_labels = torch.zeros(max_clips, dtype=torch.long)

    def sample(n, k, **options):
        guided = dict(classifier=classifier, labels=all_labels[:n], gamma=gamma) if gamma is not None else {}
        return generate(model, profile, n, steps=k, device=device, batch=n, **guided, **options)

    def run(k):
        return _timed(lambda: sample(clips, k, precision=precision, autotune=autotune), device)[1]

    with run_cache.disabled():  # timed and counted work must run, not be read back
        # counted and sized on the plain model (FLOPs do not depend on precision or compilation;
        # a compiled model would compile again for the probe's batch)
        flops_one = count_flops(lambda: sample(1, steps)) if count else None
        if clips == "auto":
            clips = auto_batch(lambda n: sample(n, 1, precision=precision), max_clips, device)
        prepare_for_sampling(model, classifier, compile=compile, channels_last=channels_last)
        run(1)  # warm-up
        seconds = run(steps)
    flops = clips * flops_one if count else None
    # projected by score evaluations, not steps: Heun's last step has no correction, so 2 timed
    # steps evaluate the score 3 times where the profile's 100 evaluate it 199 times
    sde = make_sde(profile.sde)
    scale = (score_evaluations(profile.sample.sampler, sde, profile.sample.steps)
             / score_evaluations(profile.sample.sampler, sde, steps) / clips)
    timed = {"seconds_per_clip": seconds * scale, "timed_seconds": seconds, "timed_steps": steps, "batch": clips}
    return {**timed, "flops_per_clip": flops * scale, "timed_flops": flops} if count else timed


SAMPLING_OPTIONS = {  # what `speed` offers, as time_sampling's keyword arguments
    "auto batch": {"clips": "auto"},
    "bf16": {"precision": "bf16"},
    "compile": {"compile": True},
    "channels-last": {"channels_last": True},
    "cuDNN autotune": {"autotune": True},
}


def _error_text(exc: Exception) -> str:
    """"RuntimeError: its first line": what a row records of an error (at most 300 characters)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def _failed(kind: str, variant: str, exc: Exception, log) -> dict:
    """The row of a variant that raised (a compiler that fails on this device, memory that runs
    out): the error recorded, the device's cached memory freed, the next variant timed."""
    error = _error_text(exc)
    log(f"  {variant} failed: {error}")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {"model": kind, "variant": variant, "error": error}


def _speedup(rows: list[dict], key: str, value: float, faster_is_larger: bool) -> float | None:
    """value over the plain run's (rows[0]); None when the plain run failed."""
    if not rows:
        return 1.0
    if "error" in rows[0]:
        return None
    return value / rows[0][key] if faster_is_larger else rows[0][key] / value


def sampling_speedups(kind: str, profile: Profile, device: str, steps: int = 2, eval_clips: int = 2048,
                      options: dict = SAMPLING_OPTIONS, batch: int = 16, log=print, on_row=None) -> list[dict]:
    """Guided sampling of `kind` timed plainly (batch `batch`, float32, eager), with each of
    `options` alone, and with all of them: one row each, {"model", "variant", "batch",
    "seconds_per_clip", "eval_seconds" (for `eval_clips` clips), "tflops" and "of_peak" (the
    plain run's counted FLOPs per clip over each variant's time, against the dense bf16 peak as
    training is), "speedup" (over the plain run)}, each also passed to `on_row` as soon as it is
    measured. A variant that raises gets a row with its "error" instead, and the next is timed."""
    variants = {"plain": {}, **{name: o for name, o in options.items()}}
    if len(options) > 1:
        variants["all of them"] = {k: v for o in options.values() for k, v in o.items()}
    peak = device_peaks(device).get("bf16")
    rows, flops_per_clip = [], None  # the work is the same in every variant: counted once, on the plain run
    for name, chosen in variants.items():
        log(f"timing guided {kind} sampling: {name} ...")
        try:
            t = time_sampling(kind, profile, clips=chosen.get("clips", batch), steps=steps, device=device,
                              count=name == "plain", max_clips=eval_clips,
                              **{k: v for k, v in chosen.items() if k != "clips"})
        except Exception as exc:  # noqa: BLE001 - recorded in the row, and the next variant is timed
            rows.append(_failed(kind, name, exc, log))
        else:
            flops_per_clip = t.get("flops_per_clip", flops_per_clip)
            rate = utilisation(flops_per_clip, t["seconds_per_clip"], peak) if flops_per_clip else {}
            rows.append({"model": kind, "variant": name, "batch": t["batch"], "seconds_per_clip": t["seconds_per_clip"],
                         "eval_clips": eval_clips, "eval_seconds": eval_clips * t["seconds_per_clip"], **rate,
                         "speedup": _speedup(rows, "seconds_per_clip", t["seconds_per_clip"], False)})
        if on_row is not None:
            on_row(rows[-1])
        torch._dynamo.reset()  # the next variant's models compile afresh (or not at all)
    return rows


def _times(speedup: float | None) -> str:
    return "–" if speedup is None else f"{speedup:.2f}x"


def _share(row: dict) -> str:
    return "–" if row.get("of_peak") is None else f"{percent(row['of_peak'])} %"


def format_speedups(rows: list[dict]) -> str:
    eval_clips = next((r["eval_clips"] for r in rows if "eval_clips" in r), 2048)
    cells = [[r["model"], r["variant"], "–", "–", "–", "–", "–", f"failed: {r['error']}"] if "error" in r else
             [r["model"], r["variant"], str(r["batch"]), f"{r['seconds_per_clip']:.3g}", f"{r['eval_seconds']:.0f}",
              f"{r['tflops']:.3g}" if "tflops" in r else "–", _share(r), _times(r["speedup"])] for r in rows]
    return markdown_table(["model", "sampling", "batch", "s per guided clip", f"s for {eval_clips} clips (projected)",
                           "TFLOP/s", "of bf16 peak", "speedup"], cells)


def training_speedups(kind: str, profile: Profile, device: str, steps: int = 5, batch_factor: int = 4,
                       log=print, on_row=None) -> list[dict]:
    """Training steps of `kind` timed plainly (the profile's batch, float32, eager), with bf16
    autocast, with torch.compile (a ScoreSubnet in pieces), with a `batch_factor` times larger
    batch, with cuDNN's autotuner (`speed.autotuned`), and with all four: one row each, {"model",
    "variant", "batch_size", "seconds_per_step", "clips_per_s", "tflops", "of_peak" (of the dense
    bf16 peak, the one GPU use is measured against), "speedup" (clips per second over the plain
    run's)}, each also passed to
    `on_row` as soon as it is measured; a variant that raises gets a row with its "error". The
    fused optimiser and the data already on the device are part of every run on a GPU
    (`train.train`)."""
    plain = dataclasses.replace(profile.train, amp=False, compile=False)
    bigger = plain.batch_size * batch_factor
    variants = {"plain": {}, "bf16": {"amp": True}, "compile": {"compile": True},
                f"batch {bigger}": {"batch_size": bigger}, "cuDNN autotune": {"autotune": True},
                "all of them": {"amp": True, "compile": True, "batch_size": bigger, "autotune": True}}
    peak = device_peaks(device).get("bf16")
    rows = []
    for name, changes in variants.items():
        log(f"timing {kind} training: {name} ...")
        cfg = dataclasses.replace(plain, **{k: v for k, v in changes.items() if k != "autotune"})
        try:
            with autotuned(changes.get("autotune", False)):
                t = time_training(kind, profile.replace(train=cfg), steps=steps, device=device)
        except Exception as exc:  # noqa: BLE001 - recorded in the row, and the next variant is timed
            rows.append(_failed(kind, name, exc, log))
        else:
            clips_per_s = t["batch_size"] / t["seconds_per_step"]
            rate = utilisation(t["flops_per_step"], t["seconds_per_step"], peak)
            rows.append({"model": kind, "variant": name, "batch_size": t["batch_size"],
                         "seconds_per_step": t["seconds_per_step"], "clips_per_s": clips_per_s, **rate,
                         "speedup": _speedup(rows, "clips_per_s", clips_per_s, True)})
        if on_row is not None:
            on_row(rows[-1])
        torch._dynamo.reset()
    return rows


def format_training_speedups(rows: list[dict]) -> str:
    cells = [[r["model"], r["variant"], "–", "–", "–", "–", "–", f"failed: {r['error']}"] if "error" in r else
             [r["model"], r["variant"], str(r["batch_size"]), f"{r['seconds_per_step']:.3g}", f"{r['clips_per_s']:.3g}",
              f"{r['tflops']:.3g}", _share(r), _times(r["speedup"])] for r in rows]
    return markdown_table(["model", "training", "batch", "s per step", "clips per s", "TFLOP/s", "of bf16 peak",
                           "speedup"], cells)


def time_evaluation_set(kind: str, profile: Profile, device: str, clips: int = 2048, **options) -> dict:
    """Seconds to sample `clips` guided clips (every digit in turn) with the profile's sampler and
    steps, measured whole: the figure a projection from a few steps stands in for. `options` as
    in `speed` (batch="auto", precision, compile, channels_last, autotune); random weights."""
    model, classifier = _sampling_models(kind, profile, device)
    batch = options.pop("batch", 16)
    layout = {"compile": options.pop("compile", False), "channels_last": options.pop("channels_last", False)}
    prepare_for_sampling(model, classifier, **layout)
    labels = torch.arange(clips) % len(profile.data.labels)
    with run_cache.disabled():
        if batch == "auto":
            batch = auto_batch(lambda n: generate(model, profile, n, steps=1, device=device, batch=n, classifier=classifier,
                                                  labels=labels[:n], **options), clips, device)
        _timed(lambda: generate(model, profile, batch, steps=1, device=device, batch=batch, classifier=classifier,
                                labels=labels[:batch], **options), device)  # warm-up (compilation)
        x, seconds = _timed(lambda: generate(model, profile, clips, device=device, batch=batch, classifier=classifier,
                                             labels=labels, **options), device)
    return {"model": kind, "clips": clips, "batch": batch, "seconds": seconds, "finite": bool(torch.isfinite(x).all()),
            "sampler": profile.sample.sampler, "steps": profile.sample.steps, **layout, **options}


def evaluation_set_row(kind: str, profile: Profile, device: str, clips: int = 2048, log=print, **options) -> dict:
    """`time_evaluation_set`, and where it raises with `compile=True` (a compiler that fails on
    this device), the same set timed again without compiling, the error kept in "compile_error":
    one failed compiler costs the measurement of compiling, not the whole measurement."""
    try:
        return time_evaluation_set(kind, profile, device, clips=clips, **options)
    except Exception as exc:  # noqa: BLE001 - re-raised unless compiling was the difference
        if not options.get("compile"):
            raise
        error = _error_text(exc)
    log(f"{kind}: compiling failed ({error}); sampling the set again without it")
    torch._dynamo.reset()
    return {**time_evaluation_set(kind, profile, device, clips=clips, **{**options, "compile": False}),
            "compile_error": error}


def precision_verdicts(rows: list[dict], metrics=("fid", "agreement")) -> list[dict]:
    """Does bf16 change the samples? From rows {"model", "precision" ("fp32" or "bf16"), "seed",
    metric: value} (`scripts/bf16_quality.py`), per model and metric: float32's mean and its
    seed-to-seed spread (max - min), bf16's mean, and "within": whether the two means differ by
    no more than that spread, i.e. by no more than another seed would have moved float32."""
    out = []
    for kind in dict.fromkeys(r["model"] for r in rows):
        for metric in metrics:
            values = {p: [r[metric] for r in rows if r["model"] == kind and r["precision"] == p] for p in ("fp32", "bf16")}
            if len(values["fp32"]) < 2 or not values["bf16"]:
                raise ValueError(f"{kind}: {metric} needs float32 at two seeds or more and bf16 at one or more, "
                                 f"got {len(values['fp32'])} and {len(values['bf16'])}")
            mean = {p: sum(v) / len(v) for p, v in values.items()}
            spread = max(values["fp32"]) - min(values["fp32"])
            out.append({"model": kind, "metric": metric, "seeds": len(values["fp32"]), "fp32_mean": mean["fp32"],
                        "fp32_spread": spread, "bf16_mean": mean["bf16"],
                        "within": abs(mean["bf16"] - mean["fp32"]) <= spread})
    return out


def format_precision_verdicts(verdicts: list[dict]) -> str:
    """A Markdown table of `precision_verdicts` (agreement in %)."""
    def value(v, metric):
        return f"{100 * v:.1f} %" if metric == "agreement" else f"{v:.2f}"

    cells = [[PEER_NAMES.get(v["model"], v["model"]), {"fid": "FID", "agreement": "guided agreement"}.get(v["metric"], v["metric"]),
              value(v["fp32_mean"], v["metric"]), value(v["fp32_spread"], v["metric"]), value(v["bf16_mean"], v["metric"]),
              "yes" if v["within"] else "no"] for v in verdicts]
    return markdown_table(["model", "metric", "float32, mean over seeds", "float32, seed-to-seed spread",
                           "bf16, mean over seeds", "difference within the spread"], cells)


def precision_numbers(rows: list[dict]) -> dict[str, str]:
    """The figures a text quotes of a bf16 check (`scripts/bf16_quality.py`'s rows), as text:
    clips per seed, seeds, how many of the `precision_verdicts` are within the spread (of how many),
    bf16's share of float32's sampling time, the largest change of a mean FID and the largest
    change of one seed's FID."""
    verdicts = precision_verdicts(rows)
    seconds = {p: sum(r["sampling_s"] for r in rows if r["precision"] == p) for p in ("fp32", "bf16")}
    fid_of = {(r["model"], r["precision"], r["seed"]): r["fid"] for r in rows}
    seed_moves = [abs(fid_of[(m, "bf16", s)] - fid_of[(m, "fp32", s)]) for m, p, s in fid_of
                  if p == "fp32" and (m, "bf16", s) in fid_of]
    return {"bf16_clips": str(rows[0]["clips"]), "bf16_seeds": str(len({r["seed"] for r in rows})),
            "bf16_within": str(sum(v["within"] for v in verdicts)), "bf16_checks": str(len(verdicts)),
            "bf16_time_share": f"{seconds['bf16'] / seconds['fp32']:.0%}",
            "bf16_fid_move": f"{max(abs(v['bf16_mean'] - v['fp32_mean']) for v in verdicts if v['metric'] == 'fid'):.2f}",
            "bf16_seed_move": f"{max(seed_moves):.2f}"}


def time_diffwave(device: str = "cpu", clips: int = 16, steps: int = 2,
                  cfg: DiffWaveConfig = DiffWaveConfig.sc09(), peaks: dict | None = None) -> dict:
    """The peer: seconds per clip of DiffWave's unconditional SC09 model (random weights: speed
    does not depend on them) with its ancestral sampler, projected to all T steps from `steps`
    timed steps on `clips` clips after one untimed step, and its counted work. The peer's row of
    `peer_rows`: {"model", "trainable_params", "sample_s_per_clip", "sample_flops_per_clip",
    "clip_seconds", "timed_seconds", "timed_steps", "sample_batch", "sampler"} and, with the
    device's `peaks` (`utilisation.device_peaks`), the achieved TFLOP/s and share of the peak."""
    if clips < 1 or not 1 <= steps <= cfg.steps:
        raise ValueError(f"clips must be at least 1 and steps between 1 and {cfg.steps}, got {clips} and {steps}")
    torch.manual_seed(0)
    model = DiffWave(cfg).to(device).eval()

    def run(k):
        generator = torch.Generator(device=device).manual_seed(0)
        return _timed(lambda: ancestral_sample(model, clips, steps=k, generator=generator, device=device), device)[1]

    run(1)  # warm-up
    seconds = run(steps)
    clip_seconds = cfg.clip_samples / cfg.sample_rate
    flops_per_clip = 2 * macs_per_generated_second(cfg) * clip_seconds
    row = {"model": "diffwave", "trainable_params": count_parameters(model, trainable_only=True),
           "sample_s_per_clip": seconds * cfg.steps / steps / clips, "sample_flops_per_clip": flops_per_clip,
           "clip_seconds": clip_seconds, "timed_seconds": seconds, "timed_steps": steps, "sample_batch": clips,
           "sampler": f"ancestral, {cfg.steps} steps", "device": device, "device_name": _device_name(device)}
    if peaks is not None:
        row["sample_precision"] = float_precision(device)
        row.update(_prefixed("sample_", utilisation(flops_per_clip * clips * steps / cfg.steps, seconds,
                                                    peaks[row["sample_precision"]])))
    return row


def vocoder_macs_per_second(profile: Profile) -> float:
    """MACs of HiFi-GAN V1 (the vocoder the log-Mel models need to be heard) for one second of
    the profile's log-Mels, counted on a random one."""
    mel = profile.mel
    with torch.no_grad():
        frames = torch.zeros(1, mel.n_mels, round(mel.sample_rate / mel.hop_length))
        return count_flops(HiFiGANGenerator(n_mels=mel.n_mels), frames) / 2 / (frames.shape[-1] * mel.hop_length
                                                                                / mel.sample_rate)


PEER_NAMES = {"diffwave": "DiffWave (waveform, unconditional)", "unet": "U-Net + Classifier (guided)",
              "subnet": "ScoreSubnet (guided)"}


def peer_rows(rows: list[dict], peer: dict, profile: Profile) -> list[dict]:
    """DiffWave beside our two guided models, per generated second of audio: {"model", "name",
    "macs_per_second", "seconds_per_second", "sampler"} (ours: the profile's sampler and steps,
    guided, as an evaluation set is sampled; the vocoder is not included)."""
    out = [{"model": "diffwave", "name": PEER_NAMES["diffwave"], "sampler": peer["sampler"],
            "macs_per_second": peer["sample_flops_per_clip"] / 2 / peer["clip_seconds"],
            "seconds_per_second": peer["sample_s_per_clip"] / peer["clip_seconds"], **_rates(peer)}]
    clip = profile.mel.clip_seconds
    sampler = f"{profile.sample.sampler}, {profile.sample.steps} steps"
    for r in rows:
        if r["model"] in PEER_NAMES and "sample_flops_per_clip" in r:
            out.append({"model": r["model"], "name": PEER_NAMES[r["model"]], "sampler": sampler,
                        "macs_per_second": r["sample_flops_per_clip"] / 2 / clip,
                        "seconds_per_second": r["sample_s_per_clip"] / clip, **_rates(r)})
    return out


def _rates(row: dict) -> dict:
    return {k: row[k] for k in ("sample_tflops", "sample_of_peak", "sample_precision") if k in row}


def counted_peers(profile: Profile, costs: dict[str, dict], gamma: float = DEFAULT_GAMMA) -> list[dict]:
    """`peer_rows` from counts alone (no timing): DiffWave's MACs per generated second beside
    those of guided sampling with the profile's sampler and steps, from `compute.compute_table`
    rows (MACs of one step for one second of audio) times the sampler's score evaluations."""
    evaluations = score_evaluations(profile.sample.sampler, make_sde(profile.sde), profile.sample.steps)
    sampler = f"{profile.sample.sampler}, {profile.sample.steps} steps"
    diffwave = DiffWaveConfig.sc09()
    rows = [{"model": "diffwave", "name": PEER_NAMES["diffwave"], "sampler": f"ancestral, {diffwave.steps} steps",
             "macs_per_second": macs_per_generated_second(diffwave)}]
    for kind, title in (("unet", f"U-Net + Classifier (gamma = {gamma:g})"),
                        ("subnet", f"ScoreSubnet, conditional (gamma = {gamma:g})")):
        rows.append({"model": kind, "name": PEER_NAMES[kind], "sampler": sampler,
                     "macs_per_second": costs[title]["gmacs"] * 1e9 * evaluations})
    return rows


def _figure(x: float) -> str:
    """Three significant digits and no exponent from 0.0001 up: 1134.2 -> "1,130", 0.0731 -> "0.0731"."""
    if x > 0:
        x = round(x, 2 - math.floor(math.log10(x)))
    return f"{x:,.0f}" if x >= 1000 else f"{x:.3g}"


def _times_less(ratio: float) -> str:
    """23.9x; 19,300x (no exponent for the micro profile's tiny models)."""
    return f"{_figure(ratio)}x"


def format_peers(peers: list[dict], vocoder_macs: float | None = None) -> str:
    """A Markdown table of `peer_rows`, with the ratio of each model's work to DiffWave's."""
    base = next((p["macs_per_second"] for p in peers if p["model"] == "diffwave"), None)
    cells = [[p["name"], p["sampler"], _figure(p["macs_per_second"] / 1e12),
              _times_less(base / p["macs_per_second"]) if base else "–",
              _figure(p["seconds_per_second"]) if "seconds_per_second" in p else "–",
              _rate(p, "sample_")] for p in peers]
    header = ["model", "sampler", "TMACs per generated second", "less work than DiffWave", "s per generated second",
              "TFLOP/s (of peak)"]
    if not any("seconds_per_second" in p for p in peers):  # counted, not timed
        header, cells = header[:4], [c[:4] for c in cells]
    lines = [markdown_table(header, cells)]
    if vocoder_macs is not None:
        lines += ["", f"The log-Mel models' clips are heard through a vocoder: HiFi-GAN V1 adds "
                      f"{vocoder_macs / 1e9:.3g} GMACs per generated second, once per clip (not in the table)."]
    return "\n".join(lines)


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def estimate(profile: Profile, kinds=KINDS, device: str | None = None, train_steps: int = 5,
             eval_clips: int = 2048, sample_batch: int = 16, log=print) -> list[dict]:
    """For each model kind: measured training and sampling speed on `device` and the time they
    project for the profile's `train.steps` and for `eval_clips` guided clips (one row per kind)."""
    if train_steps < 1 or (sample_batch != "auto" and sample_batch < 1):  # checked before minutes of timing
        raise ValueError(f"timed steps and sample batch must be at least 1, got {train_steps} and {sample_batch}")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    device = device or str(default_device())
    peaks = device_peaks(device)
    amp = profile.train.amp if profile.train.amp is not None else device.startswith("cuda")
    train_precision = "bf16" if amp else float_precision(device)
    rows = []
    for kind in kinds:
        log(f"timing {kind} on {device} ...")
        t = time_training(kind, profile, steps=train_steps, device=device)
        row = {"model": kind, "device": device, "device_name": _device_name(device), **t,
               "train_hours": profile.train.steps * t["seconds_per_step"] / 3600, "peaks": peaks,
               "train_precision": train_precision}
        row.update(_prefixed("train_", utilisation(t["flops_per_step"], t["seconds_per_step"], peaks[train_precision])))
        if kind != "classifier":
            for key, gamma in (("sample_s_per_clip", DEFAULT_GAMMA), ("sample_s_per_clip_unguided", None)):
                s = time_sampling(kind, profile, gamma=gamma, clips=sample_batch, device=device,
                                  count=gamma is not None)
                row[key] = s["seconds_per_clip"]
                if gamma is not None:  # the guided clip is what an evaluation set samples
                    row["sample_batch"] = s["batch"]
                    row["sample_flops_per_clip"] = s["flops_per_clip"]
                    row["sample_precision"] = float_precision(device)
                    row.update(_prefixed("sample_", utilisation(s["timed_flops"], s["timed_seconds"],
                                                                peaks[row["sample_precision"]])))
            row["eval_hours"] = eval_clips * row["sample_s_per_clip"] / 3600
        rows.append(row)
    return rows


def _prefixed(prefix: str, values: dict) -> dict:
    return {prefix + k: v for k, v in values.items()}


def comparison_hours(rows: list[dict], clips: int = 2048, gammas=(1.0, 10.0)) -> dict:
    """Projected hours of the whole comparison `python -m scorelab report` makes, from `estimate`
    rows of all four kinds: training (guiding and evaluation classifier, a U-Net and a ScoreSubnet
    per data regime, one gradient-taps model) and sampling `clips` clips for every row of
    `report.paper_rows(gammas)` (feature extraction, seconds, is left out)."""
    by_kind = {r["model"]: r for r in rows}
    missing = [k for k in KINDS if k not in by_kind]
    if missing:
        raise ValueError(f"comparison_hours needs rows for every model kind; missing {', '.join(missing)}")
    trainings = {"classifier": 2, "unet": len(REGIMES), "subnet": len(REGIMES), "subnet-gradtaps": 1}
    train = sum(n * by_kind[k]["train_hours"] for k, n in trainings.items())
    sample = 0.0
    for row in paper_rows(gammas):
        timing = by_kind[row.kind]
        sample += clips * timing["sample_s_per_clip" if row.gamma else "sample_s_per_clip_unguided"] / 3600
    return {"train_hours": train, "sample_hours": sample, "hours": train + sample}


def estimate_numbers(rows: list[dict], profile: Profile, clips: int = 2048, prefix: str = "proj_") -> dict[str, str]:
    """The figures prose quotes from `estimate` rows (glued as {glue:text}`proj_...`): the device,
    each model's trainable parameters ("18.5 M") and projected training time ("13.0 h"), a
    ScoreSubnet step as a share of a U-Net step, the minutes of `clips` guided clips per model and,
    where all four kinds were measured, the whole comparison's time."""
    by_kind = {r["model"]: r for r in rows}
    numbers = {"device": (rows[0].get("device_name") or rows[0]["device"]) if rows else "?",
               "train_steps": f"{profile.train.steps:,}".replace(",", " ")}
    for kind, r in by_kind.items():
        name = kind.replace("-", "_")
        numbers[f"{name}_params"] = f"{r['trainable_params'] / 1e6:.1f} M"
        numbers[f"{name}_train"] = _hours(r["train_hours"])
        if "sample_s_per_clip" in r:
            numbers[f"{name}_eval"] = _hours(clips * r["sample_s_per_clip"] / 3600)
    if {"subnet", "unet"} <= by_kind.keys():
        share = by_kind["subnet"]["seconds_per_step"] / by_kind["unet"]["seconds_per_step"]
        numbers["subnet_step_share"] = f"{percent(share)} %"
    if by_kind.keys() >= set(KINDS):
        total = comparison_hours(rows, clips)
        numbers.update(comparison=_hours(total["hours"]), comparison_train=_hours(total["train_hours"]),
                       comparison_sample=_hours(total["sample_hours"]))
    return {prefix + k: v for k, v in numbers.items()}


def _hours(h: float) -> str:
    if not math.isfinite(h):
        return "–"
    if h * 60 < 1:
        return f"{h * 3600:.0f} s"
    return f"{h * 60:.0f} min" if h < 1 else f"{h:.1f} h" if h < 48 else f"{h / 24:.1f} days"


def _trainable_now(kind: str, profile: Profile) -> int | None:
    """Trainable parameters of a `kind` built for `profile` today (None: not a kind built here)."""
    try:
        return count_parameters(build_model(kind, profile), trainable_only=True)
    except ValueError:
        return None


def percent(share: float) -> str:
    """A share as a percentage with two significant digits and no exponent: 0.014 -> "1.4",
    0.35 -> "35", 1.4 -> "140" (a measured peak, the CPU's, can be beaten)."""
    return f"{100 * share:.0f}" if share >= 0.1 else f"{100 * share:.2g}"


def _rate(row: dict, prefix: str) -> str:
    """"12.3 (1.2 % of bf16)": a row's achieved TFLOP/s and its share of the device's peak."""
    if prefix + "tflops" not in row:
        return "–"
    rate, share, precision = row[prefix + "tflops"], row.get(prefix + "of_peak"), row.get(prefix + "precision", "?")
    return f"{rate:.3g} ({percent(share)} % of {precision})" if share is not None else f"{rate:.3g} (no {precision} peak)"


def format_estimate(rows: list[dict], profile: Profile, eval_clips: int = 2048) -> str:
    """A Markdown table of `estimate` rows; a row measured on a model of another size than the
    profile builds today is marked, with the command that measures it again."""
    device = rows[0]["device"] if rows else "?"
    if rows and rows[0].get("device_name"):
        device = f"{device} ({rows[0]['device_name']})"
    batch = next((r["sample_batch"] for r in rows if "sample_batch" in r), 16)
    header = ["model", "trainable params", f"s per training step (batch {profile.train.batch_size})",
              f"{profile.train.steps} steps",
              f"s per guided clip ({profile.sample.sampler}, {profile.sample.steps} steps, batch {batch})",
              f"{eval_clips} guided clips"]
    counted = any("train_tflops" in r for r in rows)  # rows measured before FLOPs were counted have none
    if counted:
        header += ["training: TFLOP/s (of peak)", "guided sampling: TFLOP/s (of peak)"]
    stale, cells = [], []
    for r in rows:
        clip = f"{r['sample_s_per_clip']:.2f}" if "sample_s_per_clip" in r else "–"
        now = _trainable_now(r["model"], profile)
        mark = ""
        if now is not None and now != r["trainable_params"]:
            mark = " *"
            stale.append(f"\\* {r['model']} was measured at {r['trainable_params'] / 1e6:.2f} M trainable parameters; "
                         f"this profile's {r['model']} now has {now / 1e6:.2f} M, so its times are those of the earlier "
                         f"model. `python -m scorelab benchmark --profile {profile.name} --models {r['model']}` measures it again.")
        cells.append([f"{r['model']}{mark}", f"{r['trainable_params'] / 1e6:.2f} M", f"{r['seconds_per_step']:.3f}",
                      _hours(r["train_hours"]), clip, _hours(r.get("eval_hours", math.nan))])
        if counted:
            cells[-1] += [_rate(r, "train_"), _rate(r, "sample_")]
    lines = [f"Measured on {device}; full-run times are projections from the timed steps.", "",
             markdown_table(header, cells)]
    peaks = next((r["peaks"] for r in rows if "peaks" in r), None)
    if counted and peaks:
        shown = ", ".join(f"{k} {v:.3g} TFLOP/s" for k, v in peaks.items() if k != "source" and v is not None)
        lines += ["", f"TFLOP/s are FLOPs counted by scorelab (backward passes included) over the measured time; "
                      f"peaks of this device: {shown} ({peaks['source']})."]
    lines += ["", *stale] if stale else []
    if {r["model"] for r in rows} >= set(KINDS):
        total = comparison_hours(rows, eval_clips)
        lines += ["", f"The paper's whole comparison (`python -m scorelab report`: 2 classifiers, 3 U-Nets, "
                      f"3 ScoreSubnets and 1 gradient-taps model trained, 18 rows of {eval_clips} clips sampled), "
                      f"one job after another: {_hours(total['hours'])} ({_hours(total['train_hours'])} training, "
                      f"{_hours(total['sample_hours'])} sampling)."]
    return "\n".join(lines)
