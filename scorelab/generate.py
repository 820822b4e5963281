"""From a trained score model to log-Mels, audio files and a spectrogram grid."""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import torch

from .audio import denormalize, to_audio, write_audio
from . import run_cache
from .config import Profile, config_to_dict
from .devices import default_device
from .display import plot_log_mels
from .guidance import DEFAULT_GAMMA, guided_score
from .kinds import get_kind, guiding_classifier
from .models import classifier_labels, load_trained
from .sampling import get_sampler
from .sde import make_sde
from .speed import auto_batch, autocast_score, autotuned, check_precision, prepare_for_sampling
from .tensors import sample_generators


def generate(model, profile: Profile, n: int, sampler: str | None = None, steps: int | None = None,
             seed: int = 0, cond_fn=None, device="cpu", batch: int | str = 16, progress: bool = False,
             classifier=None, labels: torch.Tensor | None = None, gamma: float = DEFAULT_GAMMA,
             same_start: bool = False, precision: str = "fp32", autotune: bool = False) -> torch.Tensor:
    """n samples in model space, shape (n, 1, n_mels, frames), in batches of `batch` ("auto": on
    a GPU the largest that fits in its memory, `speed.auto_batch`).

    With `classifier` and `labels` (n,), each sample is guided toward its label with strength
    gamma (`guidance.guided_score`: a ScoreSubnet built on that classifier runs it forward once
    per score evaluation for both its taps and the guidance gradient); `cond_fn` adds any other
    guidance term.
    The seed fixes every sample by its index: the same call gives the same samples, and so does
    the same call with another `batch` (to float rounding), except with the `pc` sampler, whose
    corrector's step size is a batch mean.
    With `same_start`, every sample starts from sample 0's noise: with a deterministic sampler
    (heun) and one label per sample, what differs between them is what guidance made of it.
    `precision="bf16"` evaluates the score network (and guidance) under bf16 autocast; the
    sampler's own arithmetic stays in float32 (`speed.autocast_score`). `autotune=True` lets cuDNN
    time its convolution algorithms on the first step and keep the fastest (`speed.autotuned`).
    With $SCORELAB_RUN_CACHE set, an identical earlier call's samples are read back instead
    of sampled again (`scorelab.run_cache`; never with a `cond_fn`, which cannot be compared).
    """
    sampler = sampler or profile.sample.sampler
    steps = steps or profile.sample.steps
    check_precision(precision)
    if batch == "auto":  # one score evaluation (a one-step sampler) at a small batch measures the memory
        batch = auto_batch(lambda k: _sample(model, profile, k, sampler, 1, seed, cond_fn, device, k, False, classifier,
                                             None if labels is None else labels[:k], gamma, same_start, precision),
                           n, device)
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive number of clips or 'auto', got {batch!r}")

    def sample():
        with autotuned(autotune):
            return _sample(model, profile, n, sampler, steps, seed, cond_fn, device, batch, progress,
                           classifier, labels, gamma, same_start, precision)

    if cond_fn is not None:
        return sample()
    def describe():
        return {"what": "samples", "model": run_cache.module_digest(model), "classifier": run_cache.module_digest(classifier),
                "labels": None if labels is None else torch.as_tensor(labels).tolist(), "gamma": gamma,
                "n": n, "sampler": sampler, "steps": steps, "seed": seed, "batch": batch, "device": str(device),
                "same_start": same_start, **({"precision": precision} if precision != "fp32" else {}),
                **({"autotune": True} if autotune else {}),
                "sde": config_to_dict(profile)["sde"], "mel": config_to_dict(profile)["mel"]}

    return run_cache.cached(describe, sample)


def _sample(model, profile, n, sampler, steps, seed, cond_fn, device, batch, progress, classifier, labels, gamma,
            same_start=False, precision="fp32"):
    run = get_sampler(sampler)
    sde = make_sde(profile.sde)
    shape = (1, profile.mel.n_mels, profile.mel.n_frames)
    # every sample's randomness is fixed by the seed and its index, not by its batch: the starting
    # noise of all n is drawn at once, and each sample has its own generator for a stochastic
    # sampler's later draws (one reason left for batch effects: the pc corrector's batch-mean step)
    start = sde.prior_sampling((1 if same_start else n, *shape), torch.Generator(device=device).manual_seed(seed), device)
    start = start.expand(n, *shape).clone() if same_start else start
    out = []
    for first in range(0, n, batch):
        size = min(batch, n - first)
        score_fn = model
        if classifier is not None:  # the guided score, one classifier pass where the model shares it
            y = labels[first:first + size].to(device)
            score_fn = partial(guided_score, model, classifier, labels=y, gamma=gamma)
        score_fn, extra = autocast_score(score_fn, device, precision), cond_fn and autocast_score(cond_fn, device, precision)
        out.append(run(score_fn, sde, (size, *shape), steps, cond_fn=extra, x_init=start[first:first + size],
                       generator=sample_generators(seed, first, size, device), device=device,
                       progress=progress).cpu())
    return torch.cat(out)


def to_log_mel(x: torch.Tensor, profile: Profile) -> torch.Tensor:
    """Model space (n, 1, bands, frames) -> log-Mel (n, bands, frames)."""
    return denormalize(x[:, 0], profile.mel)


def write_samples(x: torch.Tensor, profile: Profile, out: str | os.PathLike, names: list[str] | None = None,
                  vocoder: str = "griffinlim", title: str = "") -> list[Path]:
    """Vocode model-space samples to out/NAME.wav (16 kHz) and draw out/spectrograms.png."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = names or [f"sample_{i:03d}" for i in range(len(x))]
    log_mel = to_log_mel(x, profile)
    paths = [write_audio(out / f"{name}.wav", w, profile.mel.sample_rate)
             for name, w in zip(names, to_audio(x, profile.mel, vocoder))]

    fig = plot_log_mels({name: m for name, m in zip(names, log_mel)}, profile.mel,
                        ncols=min(8, len(names)))
    if title:
        fig.suptitle(title)
    fig.savefig(out / "spectrograms.png", dpi=80)
    return paths


def requested_labels(label: str, n: int, label_names: tuple[str, ...]) -> tuple[torch.Tensor, list[str]]:
    """What `sample --label` asks for: "all", one word or comma-separated words, N clips each.
    Returns the label ids (in the order of `label_names`) and the file names {word}_{index}."""
    wanted = label_names if label == "all" else tuple(w.strip() for w in label.split(",") if w.strip())
    unknown = [w for w in wanted if w not in label_names]
    if unknown or not wanted:
        raise ValueError(f"label(s) {', '.join(unknown) or repr(label)} unknown to the classifier; "
                         f"it knows {', '.join(label_names)}")
    ids = torch.tensor([label_names.index(w) for w in wanted for _ in range(n)])
    return ids, [f"{w}_{i:03d}" for w in wanted for i in range(n)]


def sample_to_folder(run: str | os.PathLike, out: str | os.PathLike, n: int = 16, *, label: str | None = None,
                     classifier: str | os.PathLike | None = None, sampler: str | None = None,
                     steps: int | None = None, seed: int = 0, gamma: float = DEFAULT_GAMMA,
                     batch: int | str = "auto", vocoder: str = "griffinlim", device: str | None = None,
                     progress: bool = False, precision: str = "fp32", compile: bool = False,
                     channels_last: bool = False, autotune: bool = False) -> list[Path]:
    """What `python -m scorelab sample` does: load the model in `run`, draw n clips (with `label`,
    n per requested word, guided with strength gamma by the model's own classifier for a subnet,
    else by `classifier`), and write them as WAV files and a spectrogram grid into `out`. `batch`,
    `precision`, `compile`, `channels_last` and `autotune` as in `scorelab.speed`."""
    device = device or str(default_device())
    model, profile, kind = load_trained(run, device, classifier=classifier)
    ids = names = guide = None
    if label:
        own = get_kind(kind).on_classifier  # a subnet is guided by its own classifier
        given = load_trained(classifier, device)[0] if classifier and not own else None
        guide = guiding_classifier(kind, model, given)
        ids, names = requested_labels(label, n, classifier_labels(run if own else classifier))
    prepare_for_sampling(model, guide, compile=compile, channels_last=channels_last)
    x = generate(model, profile, len(names) if names else n, sampler, steps, seed, device=device, batch=batch,
                 progress=progress, classifier=guide, labels=ids, gamma=gamma, precision=precision,
                 autotune=autotune)
    return write_samples(x, profile, out, names=names, vocoder=vocoder,
                         title=f"{kind}, {sampler or profile.sample.sampler}")
