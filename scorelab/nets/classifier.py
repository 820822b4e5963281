"""The noise-conditioned log-Mel classifier (the paper's frozen backbone).

A residual CNN: a stem convolution, then one stage per resolution (FiLM residual blocks
conditioned on log sigma, a stride-2 downsampling between stages), global average pooling and a
linear layer to the class logits. The output of every stage is a *tap*: ScoreSubnet reads these
activations (and the gradients of logsumexp(logits) with respect to them).

Inputs are scaled by 1 / sqrt(sigma^2 + sigma_data^2), as in the score models' preconditioning,
so the network sees unit-variance inputs at every noise level.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..tensors import batch_broadcast
from .layers import Downsample, FiLMResBlock, NoiseEmbedding, group_norm


class NoisyClassifier(nn.Module):
    def __init__(self, cfg, num_classes: int, sigma_data: float = 0.5):
        super().__init__()
        self.cfg, self.num_classes, self.sigma_data = cfg, num_classes, sigma_data
        widths = [cfg.channels * m for m in cfg.channel_mults]
        self.embed = NoiseEmbedding(cfg.emb_dim)
        self.stem = nn.Conv2d(1, widths[0], 3, padding=1)
        self.stages = nn.ModuleList()
        self.downs = nn.ModuleList()
        cur = widths[0]
        for i, width in enumerate(widths):
            blocks = nn.ModuleList()
            for _ in range(cfg.blocks_per_stage):
                blocks.append(FiLMResBlock(cur, width, cfg.emb_dim, cfg.dropout))
                cur = width
            self.stages.append(blocks)
            self.downs.append(Downsample(cur) if i < len(widths) - 1 else nn.Identity())
        self.norm = group_norm(cur)
        self.head = nn.Linear(cur, num_classes)
        self.tap_channels = tuple(widths)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, return_taps: bool = False):
        """Logits (batch, classes); with return_taps, also the list of stage outputs."""
        logits, taps, _ = self._run(x, sigma)
        return (logits, taps) if return_taps else logits

    def features_and_logits(self, x: torch.Tensor, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pooled features (batch, channels) that enter the last linear layer, logits): what
        FID and the other sample-quality metrics read."""
        logits, _, pooled = self._run(x, sigma)
        return pooled, logits

    def _run(self, x: torch.Tensor, sigma: torch.Tensor):
        sigma = sigma.expand(x.shape[0]) if sigma.dim() == 0 else sigma
        scale = torch.rsqrt(sigma.to(x.dtype) ** 2 + self.sigma_data ** 2)
        emb = self.embed(sigma)
        h = self.stem(batch_broadcast(scale, x) * x)
        taps = []
        for blocks, down in zip(self.stages, self.downs):
            for block in blocks:
                h = block(h, emb)
            taps.append(h)
            h = down(h)
        pooled = F.silu(self.norm(h)).mean(dim=(-2, -1))
        return self.head(pooled), taps, pooled
