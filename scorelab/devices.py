"""Which device a chapter, a command or a benchmark runs on.

One rule everywhere: CUDA when PyTorch sees a GPU, the CPU otherwise; `SCORELAB_DEVICE`
(`cpu`, `cuda`, `cuda:1`) overrides it, for instance to run a chapter on the CPU of a GPU machine
exactly as the stored outputs were made. `sample_scale` says how many more clips a chapter draws
on a GPU (`SCORELAB_SAMPLE_SCALE` overrides it).
"""
from __future__ import annotations

import os

import torch


def default_device() -> torch.device:
    """$SCORELAB_DEVICE if set, else cuda when available, else cpu."""
    asked = os.environ.get("SCORELAB_DEVICE", "").strip()
    if asked:
        try:
            device = torch.device(asked)
        except RuntimeError:
            raise ValueError(f"SCORELAB_DEVICE={asked!r} is not a device; use cpu, cuda or cuda:N") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"SCORELAB_DEVICE={asked!r} but PyTorch sees no GPU here "
                             f"(torch {torch.__version__}); unset it to run on the CPU")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def on_gpu(device) -> bool:
    return torch.device(device).type == "cuda"



GPU_SAMPLE_SCALE = 8


def sample_scale(device=None) -> int:
    """How many times the CPU's clip counts a chapter draws for what it measures (agreement, FID):
    1 on the CPU, the counts the book's prose and stored outputs were made with; GPU_SAMPLE_SCALE
    on a GPU, where more clips cost seconds and make the figures steadier. The environment variable
    SCORELAB_SAMPLE_SCALE (a whole number from 1) overrides both, for instance 1 to reproduce the
    book's figures on a GPU."""
    asked = os.environ.get("SCORELAB_SAMPLE_SCALE", "").strip()
    if asked:
        if not asked.isdigit() or int(asked) < 1:
            raise ValueError(f"SCORELAB_SAMPLE_SCALE={asked!r} is not a whole number from 1; "
                             "unset it for the default (1 on the CPU, 8 on a GPU)")
        return int(asked)
    return GPU_SAMPLE_SCALE if on_gpu(device if device is not None else default_device()) else 1
