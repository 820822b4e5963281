"""Classifier guidance (Dhariwal & Nichol 2021; Song et al. 2021, section 5): a `cond_fn` that
adds gamma * grad_x log p(y | x, sigma) to any score. The closure follows guided-diffusion's
`classifier_sample.py`: gradients are taken under `torch.enable_grad()` on a detached copy of x,
so it works inside samplers that run under `torch.no_grad()`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

DEFAULT_GAMMA = 3.0  # the paper's guidance strength


def classifier_log_prob_grad(classifier, x: torch.Tensor, sigma: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """grad_x log p(labels | x, sigma) for a classifier returning logits."""
    with torch.enable_grad():
        x_in = x.detach().requires_grad_(True)
        log_probs = F.log_softmax(classifier(x_in, sigma), dim=-1)
        chosen = log_probs.gather(1, labels.view(-1, 1)).sum()
        return torch.autograd.grad(chosen, x_in)[0]


def classifier_guidance(classifier, labels: torch.Tensor | int, gamma: float = DEFAULT_GAMMA):
    """cond_fn(x, sigma) = gamma * grad_x log p(labels | x, sigma), for any sampler.

    labels: one class index for every sample, or a (batch,) tensor of them.
    """
    def cond_fn(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        y = torch.as_tensor(labels, device=x.device).long().expand(x.shape[0]) \
            if not torch.is_tensor(labels) or labels.dim() == 0 else labels.to(x.device)
        return gamma * classifier_log_prob_grad(classifier, x, sigma, y)

    return cond_fn
