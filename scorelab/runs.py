"""Training runs from a profile: what `python -m scorelab train` does, callable from a notebook,
and "load a checkpoint if present, else train" for the book."""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import torch

from .audio import normalize
from .benchmark import time_training
from .comparison import REGIME_TAGS, REGIMES
from .config import Profile, config_to_dict
from .data import cached_log_mels, load_dataset
from .devices import default_device
from .display import save_loss_curve
from .kinds import get_kind, objective_for
from .checkpoints import load_checkpoint
from .models import ClassifierMismatch, build_model, count_parameters, load_trained, training_clips, weights_fingerprint
from .sde import make_sde
from .shipped import recorded_files, shipped_file
from .train import METRICS, is_main_process, train


def training_data(profile: Profile, split: str = "train", progress: bool = False, download: bool = False):
    """(x in model space (N, 1, bands, frames), labels (N,), the data set) for a profile; with
    `download=True` the data set is fetched first where it is missing."""
    ds = load_dataset(profile.data.source, split, profile.data.root, profile.data.labels, download=download)
    log_mels, labels = cached_log_mels(ds, profile.mel, progress=progress)
    return normalize(log_mels, profile.mel)[:, None], labels, ds


def start_from(model, kind: str, profile: Profile, init: str | os.PathLike,
               classifier_run: str | os.PathLike | None = None) -> None:
    """Copy into `model` (a new `kind` for `profile`) the EMA weights of an exported file or run
    folder `init` of the same kind and size: fine-tuning, or going on with a shipped model whose
    optimiser state was not kept. A subnet must start from one trained on the same classifier."""
    source, source_profile, source_kind = load_trained(
        init, classifier=classifier_run if get_kind(kind).on_classifier else None)
    if source_kind != kind:
        raise ValueError(f"{init} holds a {source_kind}; --init needs a {kind} to start a {kind} from")
    theirs, ours = config_to_dict(source_profile), config_to_dict(profile)
    section = get_kind(kind).section
    diffs = [f"{part}.{k}: {theirs[part][k]} there, {ours[part].get(k)} here"
             for part in (section, "mel") for k in theirs[part] if theirs[part][k] != ours[part].get(k)]
    if section == "classifier" and theirs["data"]["labels"] != ours["data"]["labels"]:  # one output per label
        diffs.append(f"data.labels: {theirs['data']['labels']} there, {ours['data']['labels']} here")
    if diffs:
        raise ValueError(f"{init} is a {kind} of another size or input ({'; '.join(diffs)}); start from a model "
                         f"of this profile, or train with --profile {source_profile.name}")
    if get_kind(kind).on_classifier:
        mine = weights_fingerprint(model.backbone.classifier.state_dict())
        if weights_fingerprint(source.backbone.classifier.state_dict()) != mine:
            raise ClassifierMismatch(f"{init} was trained on another classifier than {classifier_run}; a subnet "
                                     "can only go on from a subnet of the same frozen classifier")
    model.load_state_dict(source.state_dict())


def train_score_model(kind: str, profile: Profile, out: str | os.PathLike, device: str | None = None,
                      progress: bool = True, log=print, classifier_run: str | os.PathLike | None = None,
                      time_limit_s: float | None = None, init: str | os.PathLike | None = None,
                      judge_recipe=None):
    """Train (or resume) a model of `kind` on the profile's data into run folder `out` and return
    its EMA model. Score models ("unet", "subnet", "subnet-gradtaps") use `dsm_loss`; "classifier"
    the noisy cross-entropy over all noise levels; "evalclassifier" goes to `train_evalclassifier`
    (with `judge_recipe`, a `judge.JudgeConfig`; None: the profile's default).
    Subnets are built on the frozen classifier of `classifier_run`. `time_limit_s` stops (and
    saves) early; calling again continues. `init` (an exported file or run of the same kind and
    size) gives the starting weights of a new run; optimiser, warm-up and EMA start afresh."""
    if kind == "evalclassifier":
        return train_evalclassifier(profile, out, recipe=judge_recipe, device=device, progress=progress, log=log,
                                    time_limit_s=time_limit_s, init=init)
    x, labels, ds = training_data(profile, progress=progress)
    torch.manual_seed(profile.train.seed)  # the same initial weights for the same seed
    config = {"model": kind, "profile": config_to_dict(profile),
              "data": {"clips": len(ds), "source": ds.source}}
    classifier = None
    if get_kind(kind).on_classifier:
        if classifier_run is None:
            raise ValueError(f"training {kind} needs a trained classifier: pass --classifier RUN_DIR "
                             "(made by `python -m scorelab train classifier ...`)")
        classifier, clf_profile, clf_kind = load_trained(classifier_run)
        if clf_kind != "classifier":
            raise ValueError(f"{classifier_run} holds a {clf_kind} model, not the noise-conditioned classifier")
        # labels of the subnet's data index into the classifier's label list
        labels = torch.tensor([clf_profile.data.labels.index(profile.data.labels[i]) for i in labels.tolist()])
        config["classifier"] = {"run": str(classifier_run), "profile": config_to_dict(clf_profile)}
    model = build_model(kind, profile, classifier)
    return _train_logged(kind, model, objective_for(kind, make_sde(profile.sde)), x, labels, profile, out, config,
                         f"{len(ds)} {ds.source} clips", device, progress, log, time_limit_s, init, classifier_run)


def _train_logged(kind, model, objective, x, labels, profile: Profile, out, config: dict, what: str, device,
                  progress: bool, log, time_limit_s, init, classifier_run=None):
    """What every training run shares: start from `init` if given, say what trains on what, run
    `train`, draw the loss curve, say how long it took; returns the EMA model."""
    clips_before = 0
    if init is not None:
        start_from(model, kind, profile, init, classifier_run)
        config["init"] = str(init)
        clips_before = training_clips(init)
        if clips_before is None:
            log(f"{init} does not record how many clips it was trained on, so neither will this run")
    log(f"training {kind} ({count_parameters(model, trainable_only=True) / 1e6:.2f} M trainable parameters) "
        f"on {what} for {profile.train.steps} steps -> {out}")
    started = time.perf_counter()
    ema = train(model, objective, x, labels, profile.train, out, config, device=device, progress=progress,
                time_limit_s=time_limit_s, clips_before=clips_before)
    if is_main_process():
        save_loss_curve(out)
    log(f"done in {time.perf_counter() - started:.0f} s")
    return ema


def train_evalclassifier(profile: Profile, out: str | os.PathLike, recipe=None, speakers: tuple[str, ...] | None = None,
                         device: str | None = None, progress: bool = True, log=print,
                         time_limit_s: float | None = None, init: str | os.PathLike | None = None):
    """Train (or resume) the evaluation classifier into run folder `out` and return its EMA model:
    the cross-entropy on clean clips (sigma_min), with seed + 1 so that it never shares weights
    with the guiding classifier, on data varied by `recipe` (default `judge.recipe_for(profile)`:
    speed perturbation, masking and, on FSDD, the synthetic voices); `speakers` keeps only those
    FSDD speakers."""
    from .judge import augmented_objective, recipe_for, training_data as judge_data

    recipe = recipe_for(profile) if recipe is None else recipe
    profile = profile.replace(train=dataclasses.replace(profile.train, seed=profile.train.seed + 1))
    x, labels = judge_data(profile, recipe, speakers)
    torch.manual_seed(profile.train.seed)  # the same initial weights for the same seed
    config = {"model": "evalclassifier", "profile": config_to_dict(profile),
              "data": {"examples": len(x), "source": profile.data.source,
                       "speakers": list(speakers) if speakers else "all"},
              "judge": dataclasses.asdict(recipe)}
    objective = augmented_objective(objective_for("evalclassifier", make_sde(profile.sde)), recipe, profile.mel)
    return _train_logged("evalclassifier", build_model("evalclassifier", profile), objective, x, labels, profile, out,
                         config, f"{len(x)} examples", device, progress, log, time_limit_s, init)


def checkpoint_name(kind: str, profile: Profile, regime: str = "full") -> str:
    """The file name of a trained model, as book/checkpoints ships them: `{kind}{-3labels|-1label}-
    {profile}-{data}.pt` (classifiers are trained on all labels, so they carry no regime tag)."""
    if regime not in REGIME_TAGS:
        raise ValueError(f"unknown data regime {regime!r}; choose one of {', '.join(REGIME_TAGS)}")
    tag = "" if not get_kind(kind).is_score_model else REGIME_TAGS[regime]
    return f"{kind}{tag}-{profile.name}-{profile.data.source}.pt"


def model_file(kind: str, profile: Profile, regime: str = "full", progress: bool = True) -> Path | None:
    """The shipped file of a model (fetched if need be: `scorelab.shipped`), None when the book
    ships no such model for this profile. A subnet's frozen classifier is fetched beside it."""
    name = "checkpoints/" + checkpoint_name(kind, profile, regime)
    if name not in recorded_files():
        return None
    path = shipped_file(name, progress=progress)
    if get_kind(kind).on_classifier:
        info = load_checkpoint(path)["config"].get("classifier", {})
        beside = "checkpoints/" + Path(info.get("file") or info.get("run", "")).name
        if beside in recorded_files():
            shipped_file(beside, progress=progress)
    return path


def load_model(kind: str, profile: Profile, regime: str = "full", device=None, train: bool = False,
               time_limit_s: float | None = None, run_dir: str | os.PathLike | None = None, log=print):
    """(EMA model in eval mode, its profile): the model the book ships for this profile and data
    regime; else the run in `run_dir` (default runs/NAME) the reader trained; else, only when
    `train=True`, a new training run there, its expected time measured and printed first
    (`time_limit_s` stops it early; a run stopped early is a budget model, not the profile's)."""
    device = str(device or default_device())
    name = checkpoint_name(kind, profile, regime)
    path = model_file(kind, profile, regime)
    if path is not None:
        model, saved, _ = load_trained(path, device)
        log(f"loaded {kind} from {path.name}")
        return model, saved
    run = Path(run_dir or Path("runs") / name[:-3])
    if (run / "checkpoint.pt").is_file() and not train:
        log(f"{name} is not shipped: loading the run in {run}")
        model, saved, _ = load_trained(run, device)
        return model, saved
    if not train:
        raise FileNotFoundError(
            f"{name}: the book ships no {kind} for profile {profile.name!r} ({regime} data) and there is no run at "
            f"{run}. Train one with load_model(..., train=True) (it measures and prints the expected time first; "
            f"time_limit_s caps it), or on the command line: python -m scorelab train {kind} --profile "
            f"{profile.name} --out {run}.{_measured_hours(kind, profile)}")
    classifier_run = None
    if get_kind(kind).on_classifier:
        classifier_run = model_file("classifier", profile) or _trained_run("classifier", profile, run.parent, device,
                                                                           time_limit_s, log)
    _announce(kind, profile, device, time_limit_s, log)
    sub = profile if not get_kind(kind).is_score_model else _regime_profile(profile, regime)  # all labels
    model = train_score_model(kind, sub, run, device=device, log=log, classifier_run=classifier_run,
                              time_limit_s=time_limit_s)
    return model.to(device).eval(), sub


def _regime_profile(profile: Profile, regime: str) -> Profile:
    labels = REGIMES[regime] or profile.data.labels
    return profile.replace(data=dataclasses.replace(profile.data, labels=labels))


def _trained_run(kind, profile, runs, device, time_limit_s, log) -> Path:
    run = Path(runs) / checkpoint_name(kind, profile)[:-3]
    if not (run / "checkpoint.pt").is_file():
        _announce(kind, profile, device, time_limit_s, log)
        train_score_model(kind, profile, run, device=device, log=log, time_limit_s=time_limit_s)
    return run


def _announce(kind: str, profile: Profile, device: str, time_limit_s: float | None, log) -> None:
    """Measure a few training steps and say how long the run will take before it starts."""
    per_step = time_training(kind, profile, steps=3, device=device)["seconds_per_step"]
    hours = profile.train.steps * per_step / 3600
    budget = ""
    if time_limit_s is not None and time_limit_s < profile.train.steps * per_step:
        budget = (f"; stopping after {time_limit_s / 60:.0f} min (about {time_limit_s / per_step:.0f} steps): a budget "
                  f"run, weaker than the profile's {profile.train.steps}-step model")
    log(f"training {kind} ({profile.name} profile) on {device}: {per_step:.2f} s per step measured, "
        f"{profile.train.steps} steps = about {hours * 60:.0f} min{budget}")


def load_or_train(kind: str, profile: Profile, checkpoint: str | os.PathLike, run_dir: str | os.PathLike,
                  device: str = "cpu", log=print, classifier_run: str | os.PathLike | None = None,
                  train: bool = False):
    """(model, profile) from `checkpoint` if that file exists, else, only when `train=True`, from
    training a run in run_dir with the given profile (a run already there resumes). Subnets need
    `classifier_run`, the frozen classifier to train on (and to load with, when their file was
    exported without it). A missing file without `train=True` is a FileNotFoundError that says so."""
    if Path(checkpoint).is_file():
        model, saved, _ = load_trained(checkpoint, device, classifier=classifier_run)
        log(f"loaded {kind} from {Path(checkpoint).name}")
        return model, saved
    if not train:
        raise FileNotFoundError(f"{checkpoint}: no {kind} there. Pass train=True to train one in {run_dir} "
                                f"(python -m scorelab benchmark --profile {profile.name} --models {kind} "
                                "says how long that takes here)")
    log(f"{checkpoint} not found: training instead")
    model = train_score_model(kind, profile, run_dir, device=device, log=log, classifier_run=classifier_run)
    return model.to(device).eval(), profile


def _measured_hours(kind: str, profile: Profile) -> str:
    """' The full run takes about N h on one H200 (measured).' where the book ships such a figure."""
    name = f"results/benchmark-{profile.name}-h200.json"
    if name not in recorded_files():
        return ""
    try:
        rows = {r["model"]: r for r in json.loads(shipped_file(name, progress=False).read_text())["rows"]}
    except (OSError, ValueError, KeyError):  # offline, or a file of another form: say nothing rather than guess
        return ""
    row = rows.get("subnet" if kind == "subnet-gradtaps" else "classifier" if kind == "evalclassifier" else kind)
    if row is None:
        return ""
    return (f" Training it for the profile's {profile.train.steps} steps takes about {row['train_hours']:.1f} h on one "
            f"{row.get('device_name', 'GPU')} (measured: book/{name}, chapter 10).")


def training_log(kind: str, profile: Profile, regime: str = "full") -> Path:
    """The metrics log (loss by step) of a model: shipped beside its checkpoint, else its run's."""
    name = checkpoint_name(kind, profile, regime)[:-3]
    if f"checkpoints/{name}.metrics.jsonl" in recorded_files():
        return shipped_file(f"checkpoints/{name}.metrics.jsonl")
    run = Path("runs") / name / METRICS
    if run.is_file():
        return run
    raise FileNotFoundError(f"no training log of {name}: the book ships none for profile {profile.name!r} and "
                            f"{run} does not exist (load_model(..., train=True) writes it)")
