"""Using a trained classifier: predictions, accuracy against the noise level, and the accuracy on
a folder of generated clips whose file names carry the requested label."""
from __future__ import annotations

import os
import re
from pathlib import Path

import torch

from . import run_cache
from .audio import LogMel, log_mels_of_files, normalize, to_audio
from .config import DIGITS, MelConfig
from .kinds import get_kind
from .models import load_trained


def default_batch(device) -> int:
    """Clips per batch for a classifier's forward pass on `device`."""
    return 32 if torch.device(device).type == "cpu" else 256


def device_of(model) -> torch.device:
    """The device a model's weights are on (inputs are moved there); the CPU for a model without
    weights (a fixed rule)."""
    tensor = next(iter(model.parameters()), None)
    if tensor is None:
        tensor = next(iter(model.buffers()), None)
    return tensor.device if tensor is not None else torch.device("cpu")


@torch.no_grad()
def predict(classifier, x: torch.Tensor, sigma: float = 0.01, batch: int | None = None) -> torch.Tensor:
    """Class indices (on the CPU) for model-space inputs x (N, 1, bands, frames) at noise level
    sigma, computed on the classifier's device in batches of `batch` (default: 32 on a CPU, where
    they stay in its caches and run about twice as fast as batches of 256; 256 on a GPU)."""
    device = device_of(classifier)
    batch = batch or default_batch(device)
    out = []
    for start in range(0, len(x), batch):
        chunk = x[start:start + batch].to(device)
        out.append(classifier(chunk, torch.full((len(chunk),), float(sigma), device=device)).argmax(-1).cpu())
    return torch.cat(out)


@torch.no_grad()
def accuracy_by_noise(classifier, x: torch.Tensor, labels: torch.Tensor, sigmas, seed: int = 0) -> list[float]:
    """Accuracy on x + sigma z for each sigma (one fixed noise draw per sigma and seed). With
    $SCORELAB_RUN_CACHE set, an identical earlier call's accuracies are read back
    (`scorelab.run_cache`: same weights, data, sigmas, seed and device)."""
    sigmas = [float(s) for s in sigmas]

    def compute():
        gen = torch.Generator().manual_seed(seed)
        accs = []
        for sigma in sigmas:
            noisy = x + sigma * torch.randn(x.shape, generator=gen)
            accs.append((predict(classifier, noisy, sigma) == labels).float().mean())
        return torch.stack(accs).double()

    def describe():
        return {"what": "accuracy-by-noise", "classifier": run_cache.module_digest(classifier),
                "x": run_cache.tensor_digest(x), "labels": run_cache.tensor_digest(torch.as_tensor(labels)),
                "sigmas": sigmas, "seed": seed, "device": str(device_of(classifier))}

    return [float(a) for a in run_cache.cached(describe, compute)]


def label_of_file(name: str, label_names: tuple[str, ...]) -> int | None:
    """The label a file name asks for: "{word}_*.wav" or "{digit}_*.wav" (FSDD names qualify);
    None when the name carries no known label."""
    head = re.split(r"[_\-.]", name, maxsplit=1)[0]
    if head in label_names:
        return label_names.index(head)
    if head.isdigit() and int(head) < len(DIGITS) and DIGITS[int(head)] in label_names:
        return label_names.index(DIGITS[int(head)])
    return None


def load_folder(folder: str | os.PathLike, label_names: tuple[str, ...], cfg: MelConfig = MelConfig()):
    """(model-space x, labels, file names) of the .wav files in folder whose names carry a label."""
    folder = Path(folder)
    files = [p for p in sorted(folder.glob("*.wav")) if label_of_file(p.name, label_names) is not None]
    if not files:
        raise FileNotFoundError(
            f"{folder}: no .wav files named like '{{label}}_*.wav' with a label among {', '.join(label_names)}"
        )
    x = log_mels_of_files(files, cfg, batch=None)
    labels = torch.tensor([label_of_file(p.name, label_names) for p in files])
    return x, labels, [p.name for p in files]


def confusion_matrix(predicted: torch.Tensor, requested: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(num_classes, num_classes) counts: row = requested label, column = predicted label."""
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.long)
    matrix.index_put_((requested.long(), predicted.long()), torch.ones(len(requested), dtype=torch.long),
                      accumulate=True)
    return matrix


def through_audio(x: torch.Tensor, cfg: MelConfig, vocoder=None) -> torch.Tensor:
    """Model-space log-Mels -> audio (Griffin-Lim unless another vocoder is given) -> model space
    again: what a listener, or a classifier reading wav files, gets from a generated sample."""
    return normalize(LogMel(cfg)(to_audio(x, cfg, vocoder or "griffinlim")), cfg)[:, None]


def agreement(judge, x: torch.Tensor, requested: torch.Tensor, cfg: MelConfig | None = None) -> dict:
    """How often the (evaluation) classifier `judge` hears the requested label in samples x.

    With cfg, the samples are first turned into audio and analysed again (`through_audio`), as the
    command line's `classify` sees written files. Returns accuracy, accuracy per requested label
    and the confusion matrix (rows requested, columns heard)."""
    if cfg is not None:
        x = through_audio(x, cfg)
    predicted = predict(judge, x)
    with torch.no_grad():
        num_classes = int(judge(x[:1].to(device_of(judge)), torch.full((1,), 0.01, device=device_of(judge))).shape[-1])
    matrix = confusion_matrix(predicted, requested, num_classes)
    per_label = {int(k): float((predicted[requested == k] == k).float().mean()) for k in requested.unique()}
    return {"accuracy": float((predicted == requested).float().mean()), "per_label": per_label,
            "confusion": matrix, "predicted": predicted}


def classify_folder(source: str | os.PathLike, folder: str | os.PathLike) -> dict:
    """Let the classifier in `source` (a run folder or exported file) judge the clips of `folder`
    named {label}_*.wav: {"kind", "names", "predicted" (label names), "correct" (bools), "accuracy"}."""
    model, profile, kind = load_trained(source)
    if get_kind(kind).is_score_model:
        raise ValueError(f"{source} holds a {kind} model, not a classifier")
    x, labels, names = load_folder(folder, profile.data.labels, profile.mel)
    predicted = predict(model, x)
    correct = predicted == labels
    return {"kind": kind, "names": names, "predicted": [profile.data.labels[p] for p in predicted.tolist()],
            "correct": correct.tolist(), "accuracy": correct.float().mean().item()}
