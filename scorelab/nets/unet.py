"""The U-Net baseline score network (Ronneberger et al. 2015 as used by Ho et al. 2020 and
Song et al. 2021): FiLM residual blocks at several resolutions, self-attention at the coarsest
ones, skip connections from the way down to the way up.

Input and output (batch, 1, n_mels, frames). The time axis is padded to a multiple of
2^(levels - 1) and cropped back (63 frames -> 64 -> 63); 80 Mel bands divide by 8 already.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import Downsample, FiLMResBlock, NoiseEmbedding, SelfAttention2d, Upsample, group_norm


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        ch, emb = cfg.channels, cfg.emb_dim
        self.embed = NoiseEmbedding(emb)
        self.stem = nn.Conv2d(cfg.in_channels, ch, 3, padding=1)
        widths = [ch * m for m in cfg.channel_mults]
        self.levels = len(widths)

        self.down = nn.ModuleList()
        skips = [ch]
        cur = ch
        for level, width in enumerate(widths):
            for _ in range(cfg.num_res_blocks):
                self.down.append(self._block(cur, width, level))
                cur = width
                skips.append(cur)
            if level < self.levels - 1:
                self.down.append(Downsample(cur))
                skips.append(cur)

        self.mid = nn.ModuleList([FiLMResBlock(cur, cur, emb, cfg.dropout), SelfAttention2d(cur, cfg.heads),
                                  FiLMResBlock(cur, cur, emb, cfg.dropout)])

        self.up = nn.ModuleList()
        for level, width in reversed(list(enumerate(widths))):
            for _ in range(cfg.num_res_blocks + 1):
                self.up.append(self._block(cur + skips.pop(), width, level))
                cur = width
            if level > 0:
                self.up.append(Upsample(cur))
        self.head = nn.Sequential(group_norm(cur), nn.SiLU(), nn.Conv2d(cur, cfg.in_channels, 3, padding=1))

    def _block(self, cin, cout, level):
        blocks = [FiLMResBlock(cin, cout, self.cfg.emb_dim, self.cfg.dropout)]
        if level in self.cfg.attention_levels:
            blocks.append(SelfAttention2d(cout, self.cfg.heads))
        return nn.ModuleList(blocks)

    @staticmethod
    def _run(block, h, emb):
        for layer in block:
            h = layer(h, emb) if isinstance(layer, FiLMResBlock) else layer(h)
        return h

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        frames = x.shape[-1]
        multiple = 2 ** (self.levels - 1)
        pad = (-frames) % multiple
        h = F.pad(x, (0, pad)) if pad else x
        emb = self.embed(sigma)
        h = self.stem(h)
        skips = [h]
        for block in self.down:
            h = block(h) if isinstance(block, Downsample) else self._run(block, h, emb)
            skips.append(h)
        for layer in self.mid:
            h = layer(h, emb) if isinstance(layer, FiLMResBlock) else layer(h)
        for block in self.up:
            if isinstance(block, Upsample):
                h = block(h)
            else:
                h = self._run(block, torch.cat([h, skips.pop()], dim=1), emb)
        return self.head(h)[..., :frames]
