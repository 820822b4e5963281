"""DiffWave (Kong et al., ICLR 2021), the waveform diffusion model the SC09 literature compares
against, built here only to be timed and counted beside our models: it is never trained.

The network is a non-causal WaveNet: an input 1x1 convolution to C channels, L residual layers,
and an output head fed by the sum of the layers' skip outputs. Layer i adds a projection of the
diffusion-step embedding to its input, runs a dilated convolution (kernel 3, dilation
2^(i mod cycle)) to 2C channels, gates them (sigmoid times tanh), and a 1x1 convolution splits
the result into a residual (added to the layer's input, scaled by 1/sqrt 2) and a skip output.
The step embedding is 128 sinusoids of the step index (64 frequencies 10^(4k/63)) through two
512-wide linear layers with SiLU. The unconditional configuration has no spectrogram input.

`DiffWaveConfig.sc09()` is the paper's unconditional SC09 model: L = 36 layers, C = 256 channels,
dilation cycle 1, 2, ..., 2048 (12 layers), T = 200 steps with betas linear in [1e-4, 0.02], and
one-second clips at 16 kHz. Its ancestral sampler calls the network once per step, so a
generated second costs T forward passes over 16000 samples (`macs_per_generated_second`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class DiffWaveConfig:
    layers: int = 36
    channels: int = 256
    dilation_cycle: int = 12
    steps: int = 200             # diffusion steps T (one network call each when sampling)
    beta_start: float = 1e-4
    beta_end: float = 0.02
    sample_rate: int = 16000
    clip_samples: int = 16000    # SC09 clips: one second

    @classmethod
    def sc09(cls) -> "DiffWaveConfig":
        """The unconditional SC09 model of the DiffWave paper (section 5.2)."""
        return cls()

    def betas(self) -> torch.Tensor:
        return torch.linspace(self.beta_start, self.beta_end, self.steps)


EMBED_FREQUENCIES = 64
EMBED_WIDTH = 512


def step_embedding(steps: torch.Tensor) -> torch.Tensor:
    """(batch,) diffusion step indices -> (batch, 128) sinusoids: sin and cos of step * 10^(4k/63)."""
    k = torch.arange(EMBED_FREQUENCIES, device=steps.device, dtype=torch.float32)
    angles = steps.float()[:, None] * 10.0 ** (4.0 * k / (EMBED_FREQUENCIES - 1))
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class ResidualLayer(nn.Module):
    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.step_proj = nn.Linear(EMBED_WIDTH, channels)
        self.dilated = nn.Conv1d(channels, 2 * channels, 3, padding=dilation, dilation=dilation)
        self.out = nn.Conv1d(channels, 2 * channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.dilated(x + self.step_proj(emb)[:, :, None])
        gate, signal = h.chunk(2, dim=1)
        residual, skip = self.out(torch.sigmoid(gate) * torch.tanh(signal)).chunk(2, dim=1)
        return (x + residual) / math.sqrt(2.0), skip


class DiffWave(nn.Module):
    """eps_theta(x_t, t): (batch, samples) noisy waveforms and (batch,) step indices -> the
    predicted noise, (batch, samples)."""

    def __init__(self, cfg: DiffWaveConfig = DiffWaveConfig()):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Conv1d(1, cfg.channels, 1)
        self.embed = nn.Sequential(nn.Linear(2 * EMBED_FREQUENCIES, EMBED_WIDTH), nn.SiLU(),
                                   nn.Linear(EMBED_WIDTH, EMBED_WIDTH), nn.SiLU())
        self.layers = nn.ModuleList(ResidualLayer(cfg.channels, 2 ** (i % cfg.dilation_cycle))
                                    for i in range(cfg.layers))
        self.skip = nn.Conv1d(cfg.channels, cfg.channels, 1)
        self.head = nn.Conv1d(cfg.channels, 1, 1)
        nn.init.zeros_(self.head.weight)  # starts by predicting no noise, as the paper's model does

    def forward(self, audio: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        if audio.dim() != 2:
            raise ValueError(f"DiffWave takes (batch, samples) waveforms, got shape {tuple(audio.shape)}")
        x = F.relu(self.inp(audio[:, None]))
        emb = self.embed(step_embedding(steps))
        skips = 0
        for layer in self.layers:
            x, skip = layer(x, emb)
            skips = skips + skip
        h = F.relu(self.skip(skips / math.sqrt(len(self.layers))))
        return self.head(h)[:, 0]


@torch.no_grad()
def ancestral_sample(model: DiffWave, n: int, steps: int | None = None, generator: torch.Generator | None = None,
                     device="cpu") -> torch.Tensor:
    """DiffWave's sampler (Ho et al. 2020, algorithm 2): from white noise, `steps` (default: all
    T) reverse steps x <- (x - beta_t / sqrt(1 - alphabar_t) eps) / sqrt(alpha_t) + sigma_t z,
    with sigma_t^2 = beta_t (1 - alphabar_{t-1}) / (1 - alphabar_t). Fewer steps than T run the
    last `steps` of the chain, which only the timing of a few steps needs."""
    cfg = model.cfg
    steps = cfg.steps if steps is None else steps
    if not 1 <= steps <= cfg.steps:
        raise ValueError(f"steps must be between 1 and T = {cfg.steps}, got {steps}")
    betas = cfg.betas().to(device)
    alphas = 1 - betas
    alphabar = torch.cumprod(alphas, 0)
    x = torch.randn((n, cfg.clip_samples), generator=generator, device=device)
    for t in range(steps - 1, -1, -1):
        eps = model(x, torch.full((n,), t, device=device, dtype=torch.long))
        x = (x - betas[t] / torch.sqrt(1 - alphabar[t]) * eps) / torch.sqrt(alphas[t])
        if t > 0:
            var = betas[t] * (1 - alphabar[t - 1]) / (1 - alphabar[t])
            x = x + torch.sqrt(var) * torch.randn(x.shape, generator=generator, device=device)
    return x.clamp(-1.0, 1.0)


def macs_per_generated_second(cfg: DiffWaveConfig = DiffWaveConfig()) -> float:
    """MACs of sampling one second of audio: T network calls on sample_rate samples, counted by
    `compute.count_macs` on the meta device (shapes only, nothing computed)."""
    from ..compute import count_macs

    with torch.device("meta"):
        model = DiffWave(cfg)
    x = torch.empty((1, cfg.sample_rate), device="meta")
    t = torch.zeros(1, dtype=torch.long, device="meta")
    return cfg.steps * count_macs(model, x, t)
