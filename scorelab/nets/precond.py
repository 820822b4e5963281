"""Preconditioning: turns a raw network F(x, sigma) into a score, kept apart from the backbone
(Karras et al. 2022, "Elucidating the design space", table 1; edm `networks.py`).

With sigma_data the per-value std of clean data (0.5 in model space: FSDD measures 0.51),
the denoiser D(x) = c_skip x + c_out F(c_in x, sigma) and score(x, sigma) = (D(x) - x) / sigma^2.
F then sees unit-variance inputs and has a unit-variance target at every noise level.
This form assumes x_t = x_0 + sigma z (the VE SDE); for the VP SDE use `mode="eps"`, where
score = -F(x, sigma) / sigma (F predicts the noise).
"""
from __future__ import annotations

import torch
from torch import nn

from ..tensors import batch_broadcast


def batch_sigma(sigma: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sigma as one value per example of x, in x's dtype."""
    return sigma.to(x.dtype).expand(x.shape[0]) if sigma.dim() == 0 else sigma.to(x.dtype)


class ScoreModel(nn.Module):
    """score = model(x, sigma) for a backbone F(x, sigma) of the same input and output shape."""

    def __init__(self, backbone: nn.Module, sigma_data: float = 0.5, mode: str = "edm"):
        super().__init__()
        if mode not in ("edm", "eps"):
            raise ValueError(f"unknown preconditioning {mode!r}; choose 'edm' or 'eps'")
        self.backbone, self.sigma_data, self.mode = backbone, sigma_data, mode

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, **backbone_kwargs) -> torch.Tensor:
        """backbone_kwargs go to the backbone (ScoreSubnet's precomputed `taps`)."""
        sigma = batch_sigma(sigma, x)
        s = batch_broadcast(sigma, x)
        if self.mode == "eps":
            return -self.backbone(x, sigma, **backbone_kwargs) / s
        sd2 = self.sigma_data ** 2
        c_skip = sd2 / (s ** 2 + sd2)
        c_out = s * self.sigma_data / torch.sqrt(s ** 2 + sd2)
        c_in = 1 / torch.sqrt(s ** 2 + sd2)
        # a backbone that reads a frozen classifier takes x as it is (the classifier scales it)
        inner = x if getattr(self.backbone, "takes_raw_input", False) else c_in * x
        denoised = c_skip * x + c_out * self.backbone(inner, sigma, **backbone_kwargs)
        return (denoised - x) / s ** 2
