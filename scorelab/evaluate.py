"""Evaluating a folder of generated clips the way the SC09 literature does: a classifier turns
each clip into pooled features and class probabilities, and `scorelab.metrics` turns those into
FID (against a reference set), IS, mIS, AM and, where file names carry labels, accuracy.

The extractors live in `scorelab.extractors`, ScoreQ in `scorelab.scoreq_mos`; both are
importable from here too. Numbers from different extractors, or against different reference
sets, are not comparable.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from . import metrics
from . import run_cache
from .audio import LogMel, fix_length, normalize, read_16k, to_audio
from .classify import label_of_file
from .data import load_dataset
from .config import MelConfig, config_to_dict
from .extractors import SC09Extractor, ScorelabExtractor
from .markdown import markdown_table
from .scoreq_mos import scoreq_scores
from .shipped import shipped_file

SAMPLE_RATE = 16000


@dataclass
class Clips:
    """Mono 16 kHz clips of any length, their labels (-1 where the name carries none) and names."""

    waves: list[torch.Tensor]
    labels: torch.Tensor
    names: list[str]


def read_clips(folder: str | os.PathLike, label_names: tuple[str, ...]) -> Clips:
    """Every .wav in folder (sorted by name), resampled to 16 kHz; labels from '{label}_*.wav'."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of clips")
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .wav files to evaluate")
    waves = read_16k(files)
    labels = [label_of_file(p.name, label_names) for p in files]
    return Clips(waves, torch.tensor([-1 if y is None else y for y in labels]), [p.name for p in files])


def reference_clips(reference: str, label_names: tuple[str, ...], root: str | None = None,
                    split: str = "train", download: bool = False) -> Clips:
    """The real clips to compare against: "fsdd" or "sc09" (their training splits by default, as
    in the SC09 literature; fetched first with `download=True`) or a folder of wavs."""

    if reference in ("fsdd", "sc09"):
        ds = load_dataset(reference, split, root, labels=label_names, download=download)
        waves = read_16k(ds.files)
        return Clips(waves, ds.labels, [p.name for p in ds.files])
    return read_clips(reference, label_names)


def default_eval_classifier() -> Path:
    """$SCORELAB_EVAL_CLASSIFIER, else the evaluation classifier shipped with the book
    (`shipped.shipped_file`: the clone's copy, or a verified download)."""
    env = os.environ.get("SCORELAB_EVAL_CLASSIFIER")
    return Path(env) if env else shipped_file("checkpoints/evalclassifier-tiny-fsdd.pt")


def default_is_estimator(extractor) -> str:
    """The IS estimator a result headlines by default: SaShiMi's split-half with the SC09 ResNeXt
    (so that the number compares with the SC09 literature), the plug-in one otherwise."""
    return metrics.LITERATURE_IS_ESTIMATOR if extractor.name == SC09Extractor.name else "plug-in"


def evaluate_folder(folder: str | os.PathLike, extractor, reference: str | None = "fsdd",
                    reference_root: str | None = None, with_scoreq: bool = False,
                    is_estimator: str | None = None) -> dict:
    """The metric table of the clips in folder: FID against the reference's features (when a
    reference is given), IS, mIS, AM (against the reference's class distribution), accuracy
    against labels in the file names, and ScoreQ when asked for and available (else the reason
    it is not, under "scoreq_error")."""
    clips = read_clips(folder, extractor.label_names)
    generated = features_of(extractor, clips.waves, clips.labels)
    ref = reference_features(extractor, reference, reference_root) if reference else None
    out = {"folder": str(folder), "features": extractor.name, "feature_checkpoint": extractor.checkpoint,
           "reference": reference, "reference_clips": None if ref is None else len(ref.probs)}
    out.update(scores(generated, ref, is_estimator or default_is_estimator(extractor)))
    if with_scoreq:
        try:
            out.update(scoreq_scores(folder))
        except (RuntimeError, ValueError) as exc:
            out["scoreq_error"] = str(exc)
    return out


def format_result(result: dict) -> str:
    """A small plain-text table of evaluate_folder's result."""
    rows = [("clips", f"{result['clips']}")]
    if "fid" in result:
        rows.append((f"FID vs {result['reference']} ({result['reference_clips']} clips)", f"{result['fid']:.3f}"))
    rows.append((f"IS ({result.get('is_estimator', 'plug-in')})", f"{result['is']:.3f}"))
    rows += [(f"  IS ({name})", f"{value:.3f}") for name, value in result.get("is_by_estimator", {}).items()
             if name != result.get("is_estimator")]
    rows += [("mIS", f"{result['mis']:.3f}"), ("AM", f"{result['am']:.3f}")]
    if "accuracy" in result:
        rows.append((f"accuracy ({result['labelled_clips']} labelled clips)", f"{result['accuracy']:.3f}"))
    if "scoreq_mos" in result:
        rows.append(("ScoreQ MOS (no reference)", f"{result['scoreq_mos']:.3f}"))
    if "scoreq_error" in result:
        rows.append(("ScoreQ", "unavailable: " + result["scoreq_error"]))
    width = max(len(k) for k, _ in rows)
    head = f"{result['folder']}: features of {result['features']} ({result['feature_checkpoint']})"
    return "\n".join([head] + [f"  {k:<{width}}  {v}" for k, v in rows])


@dataclass
class FeatureSet:
    """What an extractor makes of a set of clips: features (N, D), probabilities (N, classes),
    labels (N,) with -1 where unknown."""

    features: torch.Tensor
    probs: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.probs)

    def subset(self, index) -> "FeatureSet":
        """The clips at `index` (indices, a slice or a mask)."""
        return FeatureSet(self.features[index], self.probs[index], self.labels[index])


def features_of(extractor, waves: list[torch.Tensor], labels: torch.Tensor | None = None) -> FeatureSet:
    feats, probs = extractor(list(waves))
    labels = torch.full((len(probs),), -1) if labels is None else torch.as_tensor(labels)
    return FeatureSet(feats, probs, labels)


def reference_features(extractor, reference: str = "fsdd", root: str | None = None,
                       split: str = "train", download: bool = False) -> FeatureSet:
    """Features of the reference clips (see reference_clips). With $SCORELAB_RUN_CACHE set, the
    features an identical call made before (same extractor weights, same files) are read back."""

    def compute():
        ref = reference_clips(reference, extractor.label_names, root, split, download)
        f = features_of(extractor, ref.waves, ref.labels)
        return {"features": f.features, "probs": f.probs, "labels": f.labels}

    def describe():
        if reference in ("fsdd", "sc09"):
            files = load_dataset(reference, split, root, labels=extractor.label_names, download=download).fingerprint()
        else:
            files = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(reference).glob("*.wav"))]
        profile = getattr(extractor, "profile", None)
        return {"what": "reference-features", "extractor": extractor.name,
                "model": run_cache.module_digest(extractor.model),
                "profile": None if profile is None else config_to_dict(profile), "labels": list(extractor.label_names),
                "files": files}

    return FeatureSet(**run_cache.cached(describe, compute))


def scores(clips: FeatureSet, ref: FeatureSet | None = None, is_estimator: str = "plug-in") -> dict:
    """The metric table of one set of clips against a reference (FID and AM's class
    distribution come from the reference; without one, AM uses a uniform distribution).

    "is" is the Inception Score under `is_estimator` (named in "is_estimator"); "is_by_estimator"
    holds it under every estimator of `metrics.IS_ESTIMATORS` the number of clips allows, and
    "is_10_splits_std" the spread over WaveGAN's 10 splits where there are enough clips."""
    if is_estimator not in metrics.IS_ESTIMATORS:
        raise ValueError(f"unknown IS estimator {is_estimator!r}; choose one of {', '.join(metrics.IS_ESTIMATORS)}")
    by_estimator = metrics.inception_scores(clips.probs)
    chosen = by_estimator.get(is_estimator)
    out = {"clips": len(clips.probs),  # an estimator the clips are too few for says so here
           "is": metrics.IS_ESTIMATORS[is_estimator](clips.probs) if chosen is None else chosen,
           "is_estimator": is_estimator, "is_by_estimator": by_estimator,
           "mis": metrics.modified_inception_score(clips.probs)}
    if "10-splits" in out["is_by_estimator"]:
        out["is_10_splits_std"] = metrics.inception_score_splits(clips.probs)[1]
    if ref is not None:
        out["fid"] = metrics.fid(ref.features, clips.features)
        out["am"] = metrics.am_score(clips.probs, reference=ref.probs.mean(0))
    else:
        out["am"] = metrics.am_score(clips.probs)
    known = clips.labels >= 0
    if known.any():
        out["accuracy"] = metrics.accuracy(clips.probs[known], clips.labels[known])
        out["labelled_clips"] = int(known.sum())
    return out


def seen_and_unseen(clips: FeatureSet, ref: FeatureSet, label_names: tuple[str, ...], seen: tuple[str, ...],
                    is_estimator: str = "plug-in") -> dict[str, dict]:
    """{"seen": scores, "unseen": scores} of labelled clips split by whether the label they were
    asked for is in `seen` (the labels a model was trained on; the others are zero-shot), each
    against the reference clips of the same labels. A group of fewer than 2 clips is left out."""
    unknown = [w for w in seen if w not in label_names]
    if unknown:
        raise ValueError(f"seen labels {', '.join(unknown)} are not among the judge's labels {', '.join(label_names)}")
    seen_ids = torch.tensor([label_names.index(w) for w in seen])
    out = {}
    for group, wanted in (("seen", True), ("unseen", False)):
        mine = (clips.labels >= 0) & (torch.isin(clips.labels, seen_ids) == wanted)
        theirs = torch.isin(ref.labels, seen_ids) == wanted
        if int(mine.sum()) >= 2 and int(theirs.sum()) >= 2:
            out[group] = scores(clips.subset(mine), ref.subset(theirs), is_estimator)
    return out


def griffin_lim_copies(waves: list[torch.Tensor], cfg=None) -> list[torch.Tensor]:
    """Real clips through the model's log-Mel and back with Griffin-Lim: what a perfect score
    model would give after vocoding, so the floor of any generated clip's metrics."""
    cfg = cfg or MelConfig()
    x = normalize(LogMel(cfg)(torch.stack([fix_length(w, cfg.clip_samples) for w in waves])), cfg)[:, None]
    return list(to_audio(x, cfg, "griffinlim"))


def noise_clips(n: int, seconds: float = 1.0, rms: float = 0.05, seed: int = 0) -> list[torch.Tensor]:
    """n clips of white Gaussian noise: the far end of any metric's scale."""
    g = torch.Generator().manual_seed(seed)
    return list(rms * torch.randn(n, int(seconds * SAMPLE_RATE), generator=g))


def sanity_table(extractor, reference: str = "fsdd", root: str | None = None,
                 ref: FeatureSet | None = None, test: Clips | None = None,
                 test_set: FeatureSet | None = None) -> dict[str, dict]:
    """Metrics of sets whose answer is known, against the reference's training split (or `ref`,
    its features computed already): the reference itself (FID 0), its test split (real speech,
    FID near 0 up to sampling noise), the test split after the log-Mel and Griffin-Lim round trip
    (small) and white noise (large). `test` (the test split's clips) and `test_set` (their
    features) may be passed when computed already. Rows: name -> scores."""
    ref = ref or reference_features(extractor, reference, root)
    test = test or reference_clips(reference, extractor.label_names, root, split="test")
    if test_set is None:
        test_set = features_of(extractor, test.waves, test.labels)
    elif len(test_set.probs) != len(test.waves):
        raise ValueError(f"test_set holds {len(test_set.probs)} clips but test {len(test.waves)}; "
                         "pass the features of those same clips")
    return {
        "training split (the reference itself)": scores(ref, ref),
        "test split": scores(test_set, ref),
        "test split, log-Mel + Griffin-Lim round trip": scores(features_of(extractor, griffin_lim_copies(test.waves),
                                                                           test.labels), ref),
        "white noise": scores(features_of(extractor, noise_clips(len(test.waves))), ref),
    }


def format_rows(rows: dict[str, dict]) -> str:
    """A Markdown table of {row name: scores}: FID, IS, mIS, AM and accuracy where present."""
    cols = [("clips", "clips", "{:d}"), ("fid", "FID", "{:.2f}"), ("is", "IS", "{:.2f}"), ("mis", "mIS", "{:.0f}"),
            ("am", "AM", "{:.3f}"), ("accuracy", "accuracy", "{:.3f}")]
    estimators = {r.get("is_estimator", "plug-in") for r in rows.values()}
    if len(estimators) == 1:  # the IS column names its estimator
        cols[2] = ("is", f"IS ({estimators.pop()})", "{:.2f}")
    cols = [c for c in cols if any(c[0] in r for r in rows.values())]
    return markdown_table(["set", *(c[1] for c in cols)],
                          [[name, *(fmt.format(r[k]) if k in r else "" for k, _, fmt in cols)] for name, r in rows.items()])


__all__ = ["Clips", "FeatureSet", "SC09Extractor", "ScorelabExtractor", "default_eval_classifier", "default_is_estimator",
           "evaluate_folder", "seen_and_unseen",
           "features_of", "format_result", "format_rows", "griffin_lim_copies", "noise_clips", "read_clips",
           "reference_clips", "reference_features", "sanity_table", "scoreq_scores", "scores"]
