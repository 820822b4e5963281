"""Log-Mel features of a whole split, computed once and cached on disk.

The cache key hashes the feature configuration and the fingerprint of every file (path, size,
modification time, label), so a changed configuration or a changed file never reuses a stale
cache. The cache file is written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from ..audio.features import LogMel
from ..checkpoints import save_atomic
from ..config import MelConfig
from ..paths import cache_dir as default_cache_dir
from .base import ClipDataset

CACHE_VERSION = 1


def cache_key(ds: ClipDataset, cfg: MelConfig) -> str:
    payload = json.dumps({"version": CACHE_VERSION, "mel": asdict(cfg), "split": ds.split,
                          "labels": ds.label_names, "n_samples": ds.n_samples,
                          "files": ds.fingerprint()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def compute_log_mels(ds: ClipDataset, cfg: MelConfig = MelConfig(), batch_size: int = 64,
                     device: str | torch.device = "cpu", progress: bool = False) -> torch.Tensor:
    """(N, n_mels, frames) log-Mel of every clip of ds, in order."""
    from tqdm.auto import tqdm  # optional: only for progress bars

    front = LogMel(cfg).to(device)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False)
    out = []
    with torch.no_grad():
        for wave, _ in tqdm(loader, desc=f"log-Mel {ds.source}/{ds.split}", disable=not progress):
            out.append(front(wave.to(device)).cpu())
    if not out:
        return torch.empty(0, cfg.n_mels, cfg.n_frames)
    return torch.cat(out)


def cached_log_mels(ds: ClipDataset, cfg: MelConfig = MelConfig(),
                    cache_dir: str | os.PathLike | None = None, progress: bool = False
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(log_mels (N, n_mels, frames), labels (N,)) for ds, from the cache when it is current."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    path = cache_dir / f"logmel-{ds.source}-{ds.split}-{cache_key(ds, cfg)}.pt"
    if path.is_file():
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
            return stored["log_mels"], stored["labels"]
        except Exception:  # a corrupt cache is only a cache: rebuild it
            path.unlink(missing_ok=True)
    log_mels = compute_log_mels(ds, cfg, progress=progress)
    labels = ds.labels
    save_atomic({"log_mels": log_mels, "labels": labels}, path)
    return log_mels, labels

