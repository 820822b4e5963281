"""Data sources behind one interface: `load_dataset(source, split)` gives a data set of 1 s,
16 kHz mono clips with integer labels and `label_names`.

Sources: "fsdd" (real voices, the tiny profile's default), "synth" (espeak-ng digits in the
Speech Commands layout), "sc09" (the digits of Speech Commands v0.02) and "speech_commands"
(any label subset of it).
"""
from __future__ import annotations

from pathlib import Path

from ..config import DIGITS
from ..paths import resolve_root
from .base import SPLITS, Clip, ClipDataset, durations, examples
from .cache import cached_log_mels, compute_log_mels
from .fsdd import download_fsdd, fsdd
from .speech_commands import download_speech_commands, sc09, speech_commands
from .synth import make_synthetic_digits, synthetic_digits

SOURCES = ("fsdd", "synth", "sc09", "speech_commands")


def load_dataset(source: str, split: str = "train", root=None, labels=None,
                 download: bool = False) -> ClipDataset:
    """One split of a data source; labels default to the ten digits. With `download=True`, what
    is missing is fetched (FSDD, SC09) or made (the synthetic digits, with espeak-ng) first."""
    labels = tuple(labels) if labels else DIGITS
    if source == "fsdd":
        return fsdd(root, split, labels, download=download)
    if source == "synth":
        if download and not resolve_root(root, "SCORELAB_SYNTH", "synth").is_dir():
            make_synthetic_digits(root)  # first use: about 30 s with espeak-ng
        return synthetic_digits(root, split, labels)
    if source in ("sc09", "speech_commands"):
        if download:
            download_speech_commands(root, labels)
        return speech_commands(root, split, labels, source=source)
    raise ValueError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}")


def prepare(source: str, root=None, labels=None, download: bool = False, speakers: int = 40, takes: int = 5,
            seed: int = 0, accented: float = 0.0) -> tuple[Path, dict[str, int]]:
    """What `python -m scorelab data SOURCE` does: make the synthetic digits ("synth", into `root`),
    or check (with `download`, first fetch) FSDD or SC09. Returns the data's folder and the
    number of clips of each split."""
    labels = tuple(labels) if labels else DIGITS
    if source == "synth":
        root = make_synthetic_digits(root, labels, n_speakers=speakers, takes=takes, seed=seed,
                                     accented=accented)
    elif source == "fsdd":
        root = download_fsdd(root) if download else root
    elif source in ("sc09", "speech_commands"):
        root = download_speech_commands(root, labels) if download else root
    else:
        raise ValueError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}")
    splits = {split: load_dataset(source, split, root, labels) for split in SPLITS}
    return Path(splits["train"].root), {split: len(ds) for split, ds in splits.items()}


__all__ = [
    "SOURCES", "SPLITS", "Clip", "ClipDataset", "cached_log_mels", "compute_log_mels",
    "download_fsdd", "download_speech_commands", "durations", "examples", "fsdd", "load_dataset", "prepare",
    "make_synthetic_digits", "sc09", "speech_commands", "synthetic_digits",
]
