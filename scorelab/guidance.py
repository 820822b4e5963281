"""Classifier guidance (Dhariwal & Nichol 2021; Song et al. 2021, section 5): the guided score
score + gamma * grad_x log p(y | x, sigma) of any score model (`guided_score`, which shares one
classifier forward pass with a ScoreSubnet built on the same classifier), and the same term as
a `cond_fn` for any sampler and score function (`classifier_guidance`). Gradients are taken
under `torch.enable_grad()` on a detached copy of x, as guided-diffusion's `classifier_sample.py`
does, so both work inside samplers that run under `torch.no_grad()`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .nets.precond import batch_sigma
from .nets.score_subnet import ScoreSubnet, classifier_pass

DEFAULT_GAMMA = 3.0  # the paper's guidance strength


def log_prob_of(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """sum over the batch of log p(labels | x): the objective whose gradient guides."""
    return F.log_softmax(logits, dim=-1).gather(1, labels.view(-1, 1)).sum()


def classifier_log_prob_grad(classifier, x: torch.Tensor, sigma: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """grad_x log p(labels | x, sigma) for a classifier returning logits."""
    with torch.enable_grad():
        x_in = x.detach().requires_grad_(True)
        return torch.autograd.grad(log_prob_of(classifier(x_in, sigma), labels), x_in)[0]


def _labels(labels, x: torch.Tensor) -> torch.Tensor:
    if not torch.is_tensor(labels) or labels.dim() == 0:
        return torch.as_tensor(labels, device=x.device).long().expand(x.shape[0])
    return labels.to(x.device)


def shares_classifier(model, classifier) -> bool:
    """Whether `model` is a ScoreSubnet (inside its ScoreModel) built on this very classifier, so
    that its taps and the guidance gradient can come from one forward pass."""
    backbone = getattr(model, "backbone", None)
    return isinstance(backbone, ScoreSubnet) and backbone.classifier is classifier


def guided_score(model, classifier, x: torch.Tensor, sigma: torch.Tensor, labels, gamma: float = DEFAULT_GAMMA,
                 shared: bool = True) -> torch.Tensor:
    """score(x, sigma) + gamma * grad_x log p(labels | x, sigma) for any score model.

    When `model` is a ScoreSubnet on `classifier` (and `shared`), the classifier runs forward
    once: its taps feed ScoreSubnet and the same graph gives the guidance gradient. Otherwise
    (a U-Net, or `shared=False`) the score and the guidance term are computed separately.
    labels: one class index for every sample, or a (batch,) tensor of them."""
    y = _labels(labels, x)
    if shared and shares_classifier(model, classifier):
        _, feats, grads, input_grad = classifier_pass(classifier, x, batch_sigma(sigma, x),
                                                      input_objective=lambda logits: log_prob_of(logits, y))
        return model(x, sigma, taps=(feats, grads)) + gamma * input_grad
    return model(x, sigma) + gamma * classifier_log_prob_grad(classifier, x, sigma, y)


def classifier_guidance(classifier, labels: torch.Tensor | int, gamma: float = DEFAULT_GAMMA):
    """cond_fn(x, sigma) = gamma * grad_x log p(labels | x, sigma), for any sampler.

    labels: one class index for every sample, or a (batch,) tensor of them.
    """
    def cond_fn(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return gamma * classifier_log_prob_grad(classifier, x, sigma, _labels(labels, x))

    return cond_fn
