"""Checkpoints: atomic writes, loading with a configuration check, "load if present, else train".

A checkpoint is a dict of state dicts plus the JSON-ready configuration it was made with (never
a pickled model). It is written to a temporary file in the same folder, flushed to disk, then
renamed over the old one, so a crash or a kill at any moment leaves either the old or the new
checkpoint, never half of one.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from .config import config_diff, upgrade_config
from .paths import write_atomic

# fields that may change between a run and its resumption
RESUMABLE_CHANGES = ("train.steps", "train.checkpoint_every", "train.log_every", "train.compile", "train.amp")


def save_atomic(obj, path: str | os.PathLike) -> Path:
    """torch.save that never leaves a half-written file (`paths.write_atomic`)."""
    return write_atomic(path, lambda tmp: torch.save(obj, tmp))


def file_digest(path: str | os.PathLike) -> str:
    """The first 16 hex digits of the file's SHA-256: which exact file it is."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint there")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable scorelab checkpoint ({exc})") from None


def check_config(saved: dict, current: dict, source: str, allowed=RESUMABLE_CHANGES) -> None:
    """Raise ValueError naming every field where `current` differs from the `saved` config,
    except the fields in `allowed`."""
    def allowed_change(name: str) -> bool:
        return any(name == a or name.endswith("." + a) for a in allowed)

    diffs = [d for d in config_diff(upgrade_config(saved), current) if not allowed_change(d.split(":")[0])]
    if diffs:
        raise ValueError(
            f"{source} was made with a different configuration; fields that differ "
            f"(checkpoint != now): {'; '.join(diffs)}. Use a new run folder, or the same options "
            "as the checkpoint"
        )
