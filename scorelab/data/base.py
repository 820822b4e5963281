"""The one interface every data source gives: a data set of 1 s, 16 kHz, mono clips with
integer labels and label names, for one split ("train", "validation" or "test")."""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import Dataset

from ..audio.clips import prepare_clip
from ..audio.io import AudioFileError, probe_audio, read_audio, _soundfile
from ..config import SAMPLE_RATE

SPLITS = ("train", "validation", "test")


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return split


@dataclass(frozen=True)
class Clip:
    path: Path
    label: int


class ClipDataset(Dataset):
    """Clips read from files, each made mono, 16 kHz and exactly `n_samples` long.

    `ds[i]` is `(waveform of shape (n_samples,), label)`; `ds.label_names[label]` is its word.
    """

    def __init__(self, clips: list[Clip], label_names: tuple[str, ...], split: str,
                 source: str, root: Path, n_samples: int = SAMPLE_RATE,
                 sample_rate: int = SAMPLE_RATE):
        self.clips = list(clips)
        self.label_names = tuple(label_names)
        self.split = split
        self.source = source
        self.root = Path(root)
        self.n_samples = n_samples
        self.sample_rate = sample_rate

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        clip = self.clips[index]
        wave, sr = read_audio(clip.path)
        return prepare_clip(wave, sr, self.n_samples, self.sample_rate), clip.label

    @property
    def labels(self) -> torch.Tensor:
        return torch.tensor([c.label for c in self.clips], dtype=torch.long)

    @property
    def files(self) -> list[Path]:
        return [c.path for c in self.clips]

    def counts(self) -> dict[str, int]:
        """Number of clips per label name."""
        out = {name: 0 for name in self.label_names}
        for c in self.clips:
            out[self.label_names[c.label]] += 1
        return out

    def fingerprint(self) -> list[tuple[str, int, int, int]]:
        """(path, size, mtime_ns, label) of every file: what a cache must match."""
        rows = []
        for c in self.clips:
            st = os.stat(c.path)
            rows.append((str(c.path), st.st_size, st.st_mtime_ns, c.label))
        return rows

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(source={self.source!r}, split={self.split!r}, "
                f"clips={len(self)}, labels={len(self.label_names)}, root='{self.root}')")


def drop_unreadable(paths: list[Path], where: Path) -> list[Path]:
    """The paths whose header reads as non-empty audio; one warning counts and names the rest."""
    good, bad = [], []
    for p in paths:
        try:
            probe_audio(p)
            good.append(p)
        except AudioFileError as exc:
            bad.append((p, str(exc).split(": ", 1)[-1]))
    if bad:
        shown = "; ".join(f"{p.name} ({why})" for p, why in bad[:10])
        more = f"; and {len(bad) - 10} more" if len(bad) > 10 else ""
        warnings.warn(
            f"skipped {len(bad)} unreadable audio file(s) in {where}: {shown}{more}. "
            "Delete or replace them to silence this warning.",
            UserWarning, stacklevel=3,
        )
    return good


def durations(ds: ClipDataset) -> torch.Tensor:
    """Length in seconds of every file of ds as recorded, before padding or cropping to 1 s."""
    sf = _soundfile()
    return torch.tensor([sf.info(str(p)).duration for p in ds.files])


def examples(ds: ClipDataset, per_label: int = 1) -> dict[str, torch.Tensor]:
    """The first `per_label` clips of every label, keyed "word" (or "word 2", ... beyond one)."""
    out, seen = {}, {}
    for i, clip in enumerate(ds.clips):
        name = ds.label_names[clip.label]
        k = seen.get(name, 0)
        if k < per_label:
            seen[name] = k + 1
            out[name if k == 0 else f"{name} {k + 1}"] = ds[i][0]
    order = {n: j for j, n in enumerate(ds.label_names)}
    return dict(sorted(out.items(), key=lambda kv: (order[kv[0].split(" ")[0]], kv[0])))
