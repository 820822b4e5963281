"""Training objectives as pure functions of a score function and data.

`dsm_loss` is continuous-time denoising score matching (Vincent 2011; Song et al. 2021, eq. 7)
with the weighting lambda(t) = sigma(t)^2, which makes every noise level contribute on the same
scale: sigma^2 || s(x_t, sigma) + z / sigma ||^2 = || sigma s(x_t, sigma) + z ||^2.
Every score model in scorelab, the U-Net and ScoreSubnet alike, is trained with this one function.
"""
from __future__ import annotations

from typing import Callable

import torch

from .sde import SDE
from .tensors import batch_broadcast

ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sample_t(batch: int, sde: SDE, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
    """Diffusion times uniform on [eps, T]."""
    return sde.time_of(torch.rand(batch, generator=generator, device=device))


def dsm_loss(score_fn: ScoreFn, sde: SDE, x0: torch.Tensor, t: torch.Tensor | None = None,
             z: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean over the batch (and over dimensions) of || sigma(t) score(x_t, sigma(t)) + z ||^2,
    with x_t = mean(x0, t) + sigma(t) z.

    t and z are drawn from `generator` unless given (the training loop passes them so that a
    batch split across processes sees the same noise as one process would).
    """
    if t is None:
        t = sample_t(x0.shape[0], sde, generator, x0.device)
    if z is None:
        z = torch.randn(x0.shape, generator=generator, device=x0.device)
    mean, sigma = sde.marginal_prob(x0, t)
    x_t = mean + batch_broadcast(sigma, x0) * z
    score = score_fn(x_t, sigma)
    residual = batch_broadcast(sigma, x0) * score + z
    return residual.pow(2).flatten(start_dim=1).mean(dim=1).mean()


def dsm_objective(sde: SDE):
    """The training-loop form of `dsm_loss`: loss(model, x, y, t, z) with t uniform in [0, 1)
    mapped onto [eps, T]; labels are ignored (unconditional score models)."""

    def loss(model, x, y, t, z):
        return dsm_loss(model, sde, x, t=sde.time_of(t), z=z)

    return loss


def noisy_cross_entropy(classifier, sde: SDE, x0: torch.Tensor, labels: torch.Tensor,
                        t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of a noise-conditioned classifier on x_t = mean(x0, t) + sigma(t) z: the
    classifier sees the same noise distribution the score models are trained on."""
    mean, sigma = sde.marginal_prob(x0, t)
    x_t = mean + batch_broadcast(sigma, x0) * z
    return torch.nn.functional.cross_entropy(classifier(x_t, sigma), labels)


def classifier_objective(sde: SDE, max_t: float = 1.0):
    """The training-loop form of `noisy_cross_entropy`, with t uniform in [eps, max_t]
    (max_t < 1 leaves out noise levels where nothing can be classified; 1.0 uses them all)."""

    def loss(model, x, y, t, z):
        return noisy_cross_entropy(model, sde, x, y, sde.time_of(t, max_t), z)

    return loss
