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


def randn(shape, generator=None, device="cpu") -> torch.Tensor:
    """Standard normal noise of `shape` from `generator`: one `torch.Generator` (or None), or a
    list of them, one per sample, whose row i comes from the i-th; then a sample's noise does not
    depend on which other samples share its batch."""
    if generator is None or isinstance(generator, torch.Generator):
        return torch.randn(shape, generator=generator, device=device)
    if len(generator) != shape[0]:
        raise ValueError(f"{len(generator)} generators for a batch of {shape[0]}: pass one per sample")
    return torch.stack([torch.randn(tuple(shape[1:]), generator=g, device=device) for g in generator])


def sample_generators(seed: int, first: int, count: int, device="cpu") -> list[torch.Generator]:
    """One generator per sample, for samples first .. first + count - 1 of a run seeded `seed`:
    sample i's generator is seeded seed * 2**20 + i, so each sample's draws are fixed by the run's
    seed and its own index, whatever the batch it is computed in (up to 2**20 samples per seed)."""
    return [torch.Generator(device=device).manual_seed(seed * 2 ** 20 + i) for i in range(first, first + count)]
