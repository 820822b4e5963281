"""A two-dimensional toy problem with a known score: a mixture of isotropic Gaussians.

Under the VE SDE a mixture of N(mu_k, s_k^2 I) stays a mixture, of N(mu_k, (s_k^2 + sigma^2) I),
so its exact score is available at every noise level; chapter 2 compares a learned score with it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class GaussianMixture:
    means: tuple[tuple[float, float], ...] = ((-2.0, -1.0), (2.0, -1.0), (0.0, 2.0))
    stds: tuple[float, ...] = (0.35, 0.35, 0.35)
    weights: tuple[float, ...] = (0.5, 0.3, 0.2)

    def _params(self, dtype=torch.float32):
        return (torch.tensor(self.means, dtype=dtype), torch.tensor(self.stds, dtype=dtype),
                torch.tensor(self.weights, dtype=dtype))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        means, stds, weights = self._params()
        k = torch.multinomial(weights, n, replacement=True, generator=generator)
        return means[k] + stds[k, None] * torch.randn(n, 2, generator=generator)

    def component_log_joint(self, x: torch.Tensor, sigma: float | torch.Tensor = 0.0) -> torch.Tensor:
        """log (w_k N(x; mu_k, (s_k^2 + sigma^2) I)) for every component k: (n, K). Its softmax
        over k is the exact posterior p(k | x, sigma), a perfect noise-conditioned classifier."""
        means, stds, weights = self._params(x.dtype)
        sigma = torch.as_tensor(sigma, dtype=x.dtype).reshape(-1, 1)
        var = stds[None] ** 2 + sigma ** 2
        d2 = (x[:, None, :] - means[None]).pow(2).sum(-1)
        return torch.log(weights)[None] - d2 / (2 * var) - torch.log(2 * math.pi * var)

    def log_prob(self, x: torch.Tensor, sigma: float | torch.Tensor = 0.0) -> torch.Tensor:
        """log density of the data convolved with N(0, sigma^2 I), at x of shape (n, 2)."""
        return torch.logsumexp(self.component_log_joint(x, sigma), dim=1)

    def component_shares(self, x: torch.Tensor) -> list[float]:
        """The fraction of points nearest to each component's mean, in the order of `means`."""
        means, _, _ = self._params(x.dtype)
        nearest = torch.cdist(x, means).argmin(dim=1)
        return [round(float((nearest == k).float().mean()), 2) for k in range(len(self.means))]

    def score(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Exact score of the noisy mixture at per-sample noise levels sigma (n,)."""
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            return torch.autograd.grad(self.log_prob(x, sigma).sum(), x)[0]


class MixtureClassifier(torch.nn.Module):
    """The Bayes-optimal noise-conditioned classifier of a GaussianMixture: logits(x, sigma)."""

    def __init__(self, mixture: GaussianMixture):
        super().__init__()
        self.mixture = mixture

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return self.mixture.component_log_joint(x, sigma)
