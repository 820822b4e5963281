"""Which device a chapter, a command or a benchmark runs on.

One rule everywhere: CUDA when PyTorch sees a GPU, the CPU otherwise; `SCORELAB_DEVICE`
(`cpu`, `cuda`, `cuda:1`) overrides it, for instance to run a chapter on the CPU of a GPU machine
exactly as the stored outputs were made.
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

