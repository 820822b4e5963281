"""Forward diffusion processes (Song et al., "Score-Based Generative Modeling through Stochastic
Differential Equations", ICLR 2021, section 3.4; score_sde_pytorch `sde_lib.py`).

Each SDE is dx = f(x, t) dt + g(t) dw on t in [0, 1]. Samplers and losses only use:
`marginal_prob(x0, t)` (mean and std of x_t given x_0), `prior_sampling`, `sde(x, t)`
(drift and diffusion), `reverse_drift(x, t, score, probability_flow)`, and `sigma(t)`, the
noise std that score networks are conditioned on.

Noise range for normalised log-Mel (model space, values in about [-1, 1.1], 80 x 63 = 5040
values per clip): sigma_min = 0.01 is far below the spacing of audible log-Mel differences
(0.01 in model space is 0.065 nepers); sigma_max = 64 follows Song & Ermon (2020, technique 1):
it should be about the largest Euclidean distance between two training examples, so that the
prior N(0, sigma_max^2 I) covers the data. Measured in model space: 63.8 for the FSDD training
set (median 22.3), 40.4 for the synthetic digits (chapter 3 shows the computation).
"""
from __future__ import annotations

import math

import torch

from .tensors import batch_broadcast, randn


class SDE:
    T: float = 1.0
    eps: float = 1e-5  # smallest time used for training and sampling

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def marginal_prob(self, x0: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def time_of(self, u: torch.Tensor, t_max: float | None = None) -> torch.Tensor:
        """u in [0, 1] mapped linearly onto diffusion times [eps, t_max] (default t_max = T): how
        training turns uniform draws into the times it trains at."""
        t_max = self.T if t_max is None else t_max
        return u * (t_max - self.eps) + self.eps

    def sde(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def prior_sampling(self, shape, generator=None, device="cpu") -> torch.Tensor:
        """A draw from the prior p_T; `generator` as in `tensors.randn` (one, or one per sample)."""
        raise NotImplementedError

    def discretize(self, x: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """The forward Markov step from t_prev to t (t_prev < t), written x_t = x_prev + f + G z:
        returns (f evaluated at x, G), used by the reverse-diffusion predictor."""
        raise NotImplementedError

    def reverse_drift(self, x: torch.Tensor, t: torch.Tensor, score: torch.Tensor,
                      probability_flow: bool = False) -> torch.Tensor:
        """Drift of the reverse-time SDE, f - g^2 score, or of the probability-flow ODE,
        f - g^2 score / 2, both for time running from T down to 0."""
        drift, diffusion = self.sde(x, t)
        weight = 0.5 if probability_flow else 1.0
        return drift - weight * batch_broadcast(diffusion, x) ** 2 * score


class VESDE(SDE):
    """Variance exploding: x_t = x_0 + sigma(t) z, sigma(t) = sigma_min (sigma_max/sigma_min)^t."""

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 64.0):
        self.sigma_min, self.sigma_max = sigma_min, sigma_max
        self.eps = 0.0  # sigma(0) = sigma_min > 0 already

    def sigma(self, t):
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def marginal_prob(self, x0, t):
        return x0, self.sigma(t)

    def sde(self, x, t):
        g = self.sigma(t) * math.sqrt(2 * math.log(self.sigma_max / self.sigma_min))
        return torch.zeros_like(x), g

    def prior_sampling(self, shape, generator=None, device="cpu"):
        return randn(shape, generator, device) * self.sigma_max

    def discretize(self, x, t, t_prev):
        g = torch.sqrt(self.sigma(t) ** 2 - self.sigma(t_prev) ** 2)
        return torch.zeros_like(x), g


class VPSDE(SDE):
    """Variance preserving (DDPM in continuous time): beta(t) linear from beta_min to beta_max;
    x_t = alpha(t) x_0 + sigma(t) z with alpha^2 + sigma^2 = 1."""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0):
        self.beta_min, self.beta_max = beta_min, beta_max
        self.eps = 1e-5

    def _log_alpha(self, t):
        return -0.25 * t ** 2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min

    def alpha(self, t):
        return torch.exp(self._log_alpha(t))

    def sigma(self, t):
        return torch.sqrt(-torch.expm1(2 * self._log_alpha(t)))

    def marginal_prob(self, x0, t):
        return batch_broadcast(self.alpha(t), x0) * x0, self.sigma(t)

    def sde(self, x, t):
        beta = self.beta_min + t * (self.beta_max - self.beta_min)
        return -0.5 * batch_broadcast(beta, x) * x, torch.sqrt(beta)

    def prior_sampling(self, shape, generator=None, device="cpu"):
        return randn(shape, generator, device)

    def discretize(self, x, t, t_prev):
        a = self.alpha(t) / self.alpha(t_prev)  # x_t = a x_prev + sqrt(1 - a^2) z
        return (batch_broadcast(a, x) - 1) * x, torch.sqrt(1 - a ** 2)

    def alpha_from_sigma(self, sigma):
        return torch.sqrt(1 - sigma ** 2)


def make_sde(cfg) -> SDE:
    """The SDE an `SDEConfig` describes."""
    if cfg.kind == "ve":
        return VESDE(cfg.sigma_min, cfg.sigma_max)
    if cfg.kind == "vp":
        return VPSDE(cfg.beta_min, cfg.beta_max)
    raise ValueError(f"unknown SDE kind {cfg.kind!r}; choose 've' or 'vp'")
