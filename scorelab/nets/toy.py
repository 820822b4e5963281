"""A small MLP score network for two-dimensional toy data (chapter 2)."""
from __future__ import annotations

import torch
from torch import nn

from .layers import NoiseEmbedding


class ToyScoreNet(nn.Module):
    """(batch, 2) points and (batch,) noise levels -> (batch, 2) raw output; wrap it in
    `ScoreModel` to get a score, like every other network in scorelab."""

    def __init__(self, hidden: int = 128, layers: int = 3, emb_dim: int = 64):
        super().__init__()
        self.embed = NoiseEmbedding(emb_dim)
        self.inp = nn.Linear(2, hidden)
        self.film = nn.ModuleList(nn.Linear(emb_dim, hidden) for _ in range(layers))
        self.hidden = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        emb = self.embed(sigma)
        h = self.inp(x)
        for film, layer in zip(self.film, self.hidden):
            h = h + layer(torch.nn.functional.silu(h + film(emb)))
        return self.out(torch.nn.functional.silu(h))
