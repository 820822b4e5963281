"""Building score models from a profile, and loading trained ones from a run or a file.

A run folder (written by `python -m scorelab train ...`) holds checkpoint.pt with the model,
its EMA weights and the configuration. `export` writes only the EMA weights (in half precision
when asked) and the configuration: the small files the book ships. An exported ScoreSubnet leaves
out the frozen classifier it was trained on (that file is shipped once) and records the
classifier's file name and a fingerprint of its weights; loading finds the classifier beside the
subnet file (or where it is told) and refuses one whose weights differ.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .checkpoints import file_digest, load_checkpoint, save_atomic
from .config import Profile, profile_from_dict
from .kinds import KINDS, get_kind
from .nets.classifier import NoisyClassifier
from .nets.precond import ScoreModel
from .nets.score_subnet import ScoreSubnet
from .nets.unet import UNet

MODEL_KINDS = tuple(KINDS)  # the table of model kinds is `scorelab.kinds`


def build_unet(profile: Profile) -> ScoreModel:
    """The U-Net baseline as a score model: score = model(x, sigma)."""
    mode = "edm" if profile.sde.kind == "ve" else "eps"
    return ScoreModel(UNet(profile.unet), sigma_data=profile.mel.sigma_data, mode=mode)


def require_ve_sde(profile: Profile, what: str) -> None:
    """The classifier scales its input by 1/sqrt(sigma^2 + sigma_data^2) and ScoreSubnet sits in
    the EDM preconditioning: both assume x_t = x_0 + sigma z, the VE SDE."""
    if profile.sde.kind != "ve":
        raise ValueError(
            f"{what} supports the VE SDE only (profile.sde.kind 've', the paper's): its input scaling "
            f"and preconditioning assume x_t = x_0 + sigma z, which does not hold for sde.kind "
            f"{profile.sde.kind!r}. Use the VE SDE, or the U-Net alone, which supports 'vp' by "
            "predicting the noise")


def build_classifier(profile: Profile) -> NoisyClassifier:
    """The noise-conditioned classifier over the profile's labels: logits = model(x, sigma)."""
    require_ve_sde(profile, "the noise-conditioned classifier")
    return NoisyClassifier(profile.classifier, num_classes=len(profile.data.labels),
                           sigma_data=profile.mel.sigma_data)


def build_subnet(profile: Profile, classifier: nn.Module | None = None, taps: str | None = None) -> ScoreModel:
    """ScoreSubnet on a (frozen) classifier as a score model: score = model(x, sigma).
    taps: "features+gradients" (the full model, sized by `profile.subnet`), "gradients" (the
    gradient-taps variant, sized by `profile.subnet_gradtaps`) or None (`profile.subnet` as it is)."""

    require_ve_sde(profile, "ScoreSubnet")
    if taps is None:
        cfg = profile.subnet
    else:
        cfg = dataclasses.replace(profile.subnet_gradtaps if taps == "gradients" else profile.subnet, taps=taps)
    classifier = classifier if classifier is not None else build_classifier(profile)
    return ScoreModel(ScoreSubnet(classifier, cfg), sigma_data=profile.mel.sigma_data)


@dataclass
class Models:
    """Every model of the paper for one profile; score models are called as score = model(x, sigma)."""

    classifier: NoisyClassifier
    subnet: ScoreModel
    subnet_gradtaps: ScoreModel
    unet: ScoreModel
    input_shape: tuple[int, int, int]  # (channels, Mel bands, frames) of one second of audio


def build_models(profile: Profile) -> Models:
    """The classifier, ScoreSubnet and its gradient-taps variant (both on that one classifier)
    and the U-Net baseline, untrained, for a profile."""
    classifier = build_classifier(profile)
    return Models(classifier=classifier, subnet=build_subnet(profile, classifier, "features+gradients"),
                  subnet_gradtaps=build_subnet(profile, classifier, "gradients"), unet=build_unet(profile),
                  input_shape=(1, profile.mel.n_mels, profile.mel.n_frames))


def build_model(kind: str, profile: Profile, classifier: nn.Module | None = None) -> nn.Module:
    """An untrained model of `kind`; subnets are built on `classifier` (default: a new one)."""
    entry = get_kind(kind)
    if entry.on_classifier:
        return build_subnet(profile, classifier, taps=entry.taps)
    return build_unet(profile) if entry.is_score_model else build_classifier(profile)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """How many parameters `model` holds (with `trainable_only`, those with requires_grad)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _checkpoint_file(source: str | os.PathLike) -> Path:
    path = Path(source)
    if path.is_dir():
        path = path / "checkpoint.pt"
    if not path.is_file():
        raise FileNotFoundError(
            f"{source}: no trained model there; expected a run folder holding checkpoint.pt "
            "(made by `python -m scorelab train ...`) or an exported .pt file"
        )
    return path


CLASSIFIER_PREFIX = "backbone.classifier."  # where a subnet keeps its frozen classifier's weights


class ClassifierMismatch(ValueError):
    """A subnet was paired with a classifier other than the one it was trained on."""


def weights_fingerprint(weights: dict[str, torch.Tensor]) -> str:
    """sha256 of a state dict's names and tensors, floats taken at half precision (the precision
    the book's files store), independent of key order and of the sign of zero (an average of
    -0.0 with itself is +0.0, so an EMA copy of frozen weights may differ from them in that bit)."""
    digest = hashlib.sha256()
    for key in sorted(weights):
        v = weights[key].detach().cpu()
        v = v.half() + 0 if v.is_floating_point() else v  # + 0 turns -0.0 into 0.0: they are the same weight
        digest.update(key.encode())
        digest.update(v.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _find_classifier(path: Path, info: dict, classifier: str | os.PathLike | None) -> Path:
    if classifier is not None:
        return _checkpoint_file(classifier)
    recorded = Path(info.get("file") or info["run"])
    for candidate in (path.parent / recorded.name, recorded):
        try:
            return _checkpoint_file(candidate)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(
        f"{path}: this ScoreSubnet was exported without its frozen classifier, which was not found "
        f"at {path.parent / recorded.name} nor at {recorded}; pass its file with "
        f"load_trained(..., classifier=PATH) (command line: --classifier PATH)")


def load_trained(source: str | os.PathLike, device="cpu",
                 classifier: str | os.PathLike | None = None) -> tuple[nn.Module, Profile, str]:
    """(EMA model in eval mode, its profile, its kind) from a run folder or an exported file.

    A subnet exported without its classifier loads the classifier from `classifier` or, by
    default, from the file of the recorded name beside it, and checks its fingerprint."""
    path = _checkpoint_file(source)
    state = load_checkpoint(path)
    config = state["config"]
    profile = profile_from_dict(config["profile"])
    weights = {k: v.float() if v.is_floating_point() else v for k, v in state["ema"].items()}
    clf = None
    if "classifier" in config:  # a subnet: rebuild the classifier it was trained on
        info = config["classifier"]
        clf = build_classifier(profile_from_dict(info["profile"]))
        if not any(k.startswith(CLASSIFIER_PREFIX) for k in weights):
            clf_path = _find_classifier(path, info, classifier)
            clf_weights = load_checkpoint(clf_path)["ema"]
            found = weights_fingerprint(clf_weights)
            if found != info["fingerprint"]:
                raise ClassifierMismatch(
                    f"{path} was trained on a classifier with weights fingerprint {info['fingerprint'][:12]}..., "
                    f"but {clf_path} has {found[:12]}...; use the classifier file it was trained with "
                    f"({Path(info.get('file') or info['run']).name})")
            weights.update({CLASSIFIER_PREFIX + k: v.float() if v.is_floating_point() else v
                            for k, v in clf_weights.items()})
    model = build_model(config["model"], profile, clf)
    model.load_state_dict(weights)
    return model.to(device).eval(), profile, config["model"]


def classifier_labels(source: str | os.PathLike) -> tuple[str, ...]:
    """The label names of a classifier run, or of the classifier inside a subnet run."""
    config = load_checkpoint(_checkpoint_file(source))["config"]
    profile = config["classifier"]["profile"] if "classifier" in config else config["profile"]
    return tuple(profile["data"]["labels"])


def export(run: str | os.PathLike, out: str | os.PathLike, half: bool = True, note: str = "",
           keep_classifier: bool = False) -> Path:
    """Write a run's EMA weights and configuration (no optimiser state) to `out`.

    A subnet's frozen classifier is left out unless keep_classifier; the file then records the
    classifier's file name and weights fingerprint, and must be shipped beside that file."""
    state = load_checkpoint(_checkpoint_file(run))
    config = copy.deepcopy(state["config"])
    weights = state["ema"]
    if "classifier" in config and not keep_classifier:
        frozen = {k[len(CLASSIFIER_PREFIX):]: v for k, v in weights.items() if k.startswith(CLASSIFIER_PREFIX)}
        if frozen:
            config["classifier"]["fingerprint"] = weights_fingerprint(frozen)
            config["classifier"]["file"] = Path(config["classifier"]["run"]).name
            weights = {k: v for k, v in weights.items() if not k.startswith(CLASSIFIER_PREFIX)}
    weights = {k: (v.half() if half and v.is_floating_point() else v) for k, v in weights.items()}
    saved = {"ema": weights, "config": config, "step": state["step"], "note": note}
    saved["clips_seen"] = _clips_seen(state)
    return save_atomic(saved, out)


TRAINING_RECORD = "training.json"  # beside shipped files: clips seen by files that do not say it themselves


def _clips_seen(state: dict) -> int | None:
    """The training clips a checkpoint's model has seen: recorded since scorelab counts them; for
    an older checkpoint, steps times batch when the run started from scratch, else unknown."""
    if "clips_seen" in state:
        return None if state["clips_seen"] is None else int(state["clips_seen"])
    if state["config"].get("init") is None:
        return int(state["step"]) * int(state["config"]["profile"]["train"]["batch_size"])
    return None


def training_clips(source: str | os.PathLike) -> int | None:
    """How many training clips the model of an exported file or run folder has seen (a clip seen
    twice counts twice), over every run that led to it; None when that is not known. A file that
    does not record it is looked up in `training.json` beside it, by name and SHA-256."""

    path = _checkpoint_file(source)
    state = load_checkpoint(path)
    clips = _clips_seen(state)
    if clips is not None or "clips_seen" in state:  # counted, or known to be unknown
        return clips
    record = path.parent / TRAINING_RECORD
    if record.is_file():

        entry = json.loads(record.read_text()).get(path.name, {})
        if entry.get("sha256") == file_digest(path):
            return int(entry["clips_seen"])
    return None

