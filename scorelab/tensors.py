"""Small tensor helpers shared by the SDE, losses, samplers and networks."""
from __future__ import annotations

import torch


def batch_broadcast(values: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    """Per-sample scalars of shape (batch,) (or a float) reshaped to broadcast against `like`
    (batch, ...): the one place where trailing singleton dimensions are added."""
    if not torch.is_tensor(values):
        values = torch.tensor(values, dtype=like.dtype, device=like.device)
    if values.dim() == 0:
        values = values.expand(like.shape[0])
    return values.reshape(-1, *([1] * (like.dim() - 1))).to(like.dtype)
