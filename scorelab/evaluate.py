"""Evaluating a folder of generated clips the way the SC09 literature does: a classifier turns
each clip into pooled features and class probabilities, and `scorelab.metrics` turns those into
FID (against a reference set), IS, mIS, AM and, where file names carry labels, accuracy.

Two feature extractors:
- `ScorelabExtractor`: scorelab's own evaluation classifier (trained on clean clips; never the
  guiding classifier). The default; works offline with the shipped checkpoint.
- `SC09Extractor`: the public SC09 ResNeXt with its own mel front end, so numbers compare with
  published SC09 results. Needs that checkpoint on disk (a path or $SCORELAB_SC09_RESNEXT).

Numbers from different extractors, or against different reference sets, are not comparable.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from . import metrics
from .audio import read_audio, resample, to_mono
from .classify import label_of_file
from .config import DIGITS, config_to_dict
from .kinds import get_kind
from .markdown import markdown_table

SAMPLE_RATE = 16000


@dataclass
class Clips:
    """Mono 16 kHz clips of any length, their labels (-1 where the name carries none) and names."""

    waves: list[torch.Tensor]
    labels: torch.Tensor
    names: list[str]


def read_16k(paths) -> list[torch.Tensor]:
    """Each file as a mono 16 kHz clip of its own length (no padding: each extractor fixes the
    length its own way)."""
    return [resample(to_mono(w), sr, SAMPLE_RATE) for w, sr in map(read_audio, paths)]


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


class ScorelabExtractor:
    """Pooled features and probabilities of a scorelab classifier (run folder or exported file),
    read at the lowest noise level of its SDE, on centred 1 s clips."""

    name = "scorelab"

    def __init__(self, checkpoint: str | os.PathLike, device: str = "cpu"):
        from .models import classifier_labels, load_trained

        self.model, self.profile, kind = load_trained(checkpoint, device)
        if get_kind(kind).is_score_model:
            raise ValueError(f"{checkpoint} holds a {kind} model; features need a classifier "
                             "(the evaluation classifier, e.g. evalclassifier-tiny-fsdd.pt)")
        self.label_names = classifier_labels(checkpoint)
        self.device = device
        self.checkpoint = str(checkpoint)

    @torch.no_grad()
    def __call__(self, waves: list[torch.Tensor], batch: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        from .audio import LogMel, normalize, fix_length
        from .classify import default_batch

        batch = batch or default_batch(self.device)
        front = LogMel(self.profile.mel).to(self.device)
        sigma = self.profile.sde.sigma_min
        feats, probs = [], []
        for start in range(0, len(waves), batch):
            chunk = torch.stack([fix_length(w, self.profile.mel.clip_samples) for w in waves[start:start + batch]])
            x = normalize(front(chunk.to(self.device)), self.profile.mel)[:, None]
            f, logits = self.model.features_and_logits(x, torch.full((len(x),), sigma, device=self.device))
            feats.append(f.cpu())
            probs.append(torch.softmax(logits.double(), -1).cpu())
        return torch.cat(feats), torch.cat(probs)


def fetch_checkpoint(url: str) -> Path:
    """Download a checkpoint once into <data home>/downloads (resumable); offline, say what to do."""
    from .download import download
    from .paths import data_home

    name = url.rstrip("/").rsplit("/", 1)[-1] or "checkpoint.pth"
    return download(url, data_home() / "downloads" / name, what="the SC09 ResNeXt checkpoint",
                    manual_hint="download it by hand and pass its local path instead")


class SC09Extractor:
    """The public SC09 ResNeXt's 1024-d pooled features and probabilities, through its own front
    end (1 s cut or padded at the end, 32-band dB mel)."""

    name = "sc09-resnext"
    label_names = DIGITS

    def __init__(self, checkpoint: str | os.PathLike | None = None, device: str = "cpu"):
        from .nets.resnext import load_sc09_resnext

        checkpoint = checkpoint or os.environ.get("SCORELAB_SC09_RESNEXT")
        if not checkpoint:
            raise FileNotFoundError(
                "the SC09 ResNeXt needs its public checkpoint (resnext.pth of the SC09 evaluation code, "
                "as used by WaveGAN, DiffWave and SaShiMi); scorelab does not redistribute it. Pass its "
                "path or URL with --resnext, or set SCORELAB_SC09_RESNEXT, or evaluate with scorelab's "
                "own evaluation classifier (the default)")
        if str(checkpoint).startswith(("http://", "https://")):
            checkpoint = fetch_checkpoint(str(checkpoint))
        self.model = load_sc09_resnext(checkpoint, device)
        self.device = device
        self.checkpoint = str(checkpoint)

    @torch.no_grad()
    def __call__(self, waves: list[torch.Tensor], batch: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
        from .nets.resnext import sc09_mel

        feats, probs = [], []
        for start in range(0, len(waves), batch):
            mels = torch.cat([sc09_mel(w) for w in waves[start:start + batch]]).to(self.device)
            f, logits = self.model.features_and_logits(mels)
            feats.append(f.cpu())
            probs.append(torch.softmax(logits.double(), -1).cpu())
        return torch.cat(feats), torch.cat(probs)


def reference_clips(reference: str, label_names: tuple[str, ...], root: str | None = None,
                    split: str = "train", download: bool = False) -> Clips:
    """The real clips to compare against: "fsdd" or "sc09" (their training splits by default, as
    in the SC09 literature; fetched first with `download=True`) or a folder of wavs."""
    from .data import load_dataset

    if reference in ("fsdd", "sc09"):
        ds = load_dataset(reference, split, root, labels=label_names, download=download)
        waves = read_16k(ds.files)
        return Clips(waves, ds.labels, [p.name for p in ds.files])
    return read_clips(reference, label_names)


def default_eval_classifier() -> Path:
    """$SCORELAB_EVAL_CLASSIFIER, else the evaluation classifier shipped with the book: the copy in
    the clone scorelab runs from, else the one `scorelab.shipped` fetches and verifies."""
    from .shipped import shipped_file

    env = os.environ.get("SCORELAB_EVAL_CLASSIFIER")
    if env:
        return Path(env)
    name = "checkpoints/evalclassifier-tiny-fsdd.pt"
    clone = Path(__file__).resolve().parent.parent / "book" / name
    return clone if clone.is_file() else shipped_file(name)


def evaluate_folder(folder: str | os.PathLike, extractor, reference: str | None = "fsdd",
                    reference_root: str | None = None, with_scoreq: bool = False) -> dict:
    """The metric table of the clips in folder: FID against the reference's features (when a
    reference is given), IS, mIS, AM (against the reference's class distribution), accuracy
    against labels in the file names, and ScoreQ when asked for and available (else the reason
    it is not, under "scoreq_error")."""
    clips = read_clips(folder, extractor.label_names)
    generated = features_of(extractor, clips.waves, clips.labels)
    ref = reference_features(extractor, reference, reference_root) if reference else None
    out = {"folder": str(folder), "features": extractor.name, "feature_checkpoint": extractor.checkpoint,
           "reference": reference, "reference_clips": None if ref is None else len(ref.probs)}
    out.update(scores(generated, ref))
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
    rows += [("IS", f"{result['is']:.3f}"), ("mIS", f"{result['mis']:.3f}"), ("AM", f"{result['am']:.3f}")]
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
    from . import run_cache
    from .data import load_dataset

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


def scores(clips: FeatureSet, ref: FeatureSet | None = None) -> dict:
    """The metric table of one set of clips against a reference (FID and AM's class
    distribution come from the reference; without one, AM uses a uniform distribution)."""
    out = {"clips": len(clips.probs), "is": metrics.inception_score(clips.probs),
           "mis": metrics.modified_inception_score(clips.probs)}
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


_SCOREQ_WEIGHTS = ("ScoreQ fetches its weights from zenodo.org on first use (even on `import scoreq`) into "
                   "~/.cache/scoreq; run it once with a network connection, or copy that folder from a machine "
                   "that has it; the other metrics do not need it")


def _scoreq_weights_error(exc: Exception) -> RuntimeError:
    """What went wrong with ScoreQ's weights: not fetched (OSError: no network), or a cached file
    that onnxruntime refuses (truncated or corrupt download)."""
    if isinstance(exc, OSError):
        return RuntimeError(f"ScoreQ could not fetch its weights ({exc}). {_SCOREQ_WEIGHTS}")
    return RuntimeError(f"ScoreQ could not load its weights ({type(exc).__name__}: {exc}); delete "
                        "~/.cache/scoreq and let it fetch them again")


def scoreq_scores(folder: str | os.PathLike, reference_folder: str | os.PathLike | None = None) -> dict:
    """Mean ScoreQ no-reference MOS (higher is better) of the clips in folder and, with a folder
    of clean references holding a clip of the same name for each, the mean ScoreQ distance (lower
    is better). ScoreQ is an optional extra (`pip install 'scorelab[pretrained]'`) that downloads
    its weights (ONNX, into ~/.cache/scoreq) on first use, already when it is imported; without
    the package, without those weights and no network, or with a broken download, this raises
    RuntimeError saying which and what to do."""
    files = sorted(Path(folder).glob("*.wav"))
    if not files:
        raise ValueError(f"{folder}: no .wav clips to score with ScoreQ")
    refs = None
    if reference_folder is not None:
        refs = [Path(reference_folder) / f.name for f in files]
        missing = [r.name for r in refs if not r.is_file()]
        if missing:
            raise ValueError(f"ScoreQ's distance compares each clip with its own clean reference, but "
                             f"{reference_folder} lacks {len(missing)} of them ({', '.join(missing[:3])} ...); "
                             "give the reference folder a clip of the same name for every clip")
    try:
        import scoreq
    except ImportError as exc:
        raise RuntimeError(f"ScoreQ is not installed or lacks a dependency ({exc}): pip install "
                           "'scorelab[pretrained]' (or pip install scoreq); the other metrics do not need it") from None
    except Exception as exc:  # scoreq 1.0 builds a default model when imported, downloading its weights
        raise _scoreq_weights_error(exc) from exc

    def model(mode):
        m = scoreq.Scoreq(data_domain="natural", mode=mode)
        # ScoreQ reads clips with torchaudio.load, which from torchaudio 2.9 on needs torchcodec and
        # FFmpeg; it gets scorelab's reader instead (the same mono 16 kHz waveform, shape (1, N))
        m.load_processing = lambda path, target_sr=16000: read_16k([path])[0][None]
        return m

    try:
        nr = model("nr")
        mos = [float(nr.predict(test_path=str(f), ref_path=None)) for f in files]
        out = {"scoreq_mos": sum(mos) / len(mos)}
        if refs is not None:
            ref_model = model("ref")
            dist = [float(ref_model.predict(test_path=str(f), ref_path=str(r))) for f, r in zip(files, refs)]
            out["scoreq_distance"] = sum(dist) / len(dist)
        return out
    except Exception as exc:
        if isinstance(exc, OSError) or type(exc).__module__.startswith("onnxruntime"):
            raise _scoreq_weights_error(exc) from exc
        raise


def griffin_lim_copies(waves: list[torch.Tensor], cfg=None) -> list[torch.Tensor]:
    """Real clips through the model's log-Mel and back with Griffin-Lim: what a perfect score
    model would give after vocoding, so the floor of any generated clip's metrics."""
    from .audio import LogMel, fix_length, normalize
    from .config import MelConfig
    from .generate import to_audio

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
    cols = [c for c in cols if any(c[0] in r for r in rows.values())]
    return markdown_table(["set", *(c[1] for c in cols)],
                          [[name, *(fmt.format(r[k]) if k in r else "" for k, _, fmt in cols)] for name, r in rows.items()])
