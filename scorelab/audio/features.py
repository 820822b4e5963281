"""Waveform -> log-Mel -> model space, and back.

The log-Mel matches the 16 kHz HiFi-GAN recipe: centred STFT with reflect padding, Hann
window, magnitude (power 1), Slaney-normalised Slaney-scale Mel filters from 0 to 8 kHz,
natural log of the magnitude clamped at 1e-5. Model space is a fixed affine map of the log-Mel,
so that the diffusion noise levels mean the same for every data set; its inverse is exact.
"""
from __future__ import annotations

import torch
from torch import nn

from ..config import MelConfig


def mel_filterbank(cfg: MelConfig) -> torch.Tensor:
    """The (n_freqs, n_mels) Mel filter matrix for cfg."""
    import torchaudio.functional as AF  # heavy: imported where it is used

    return AF.melscale_fbanks(
        n_freqs=cfg.n_fft // 2 + 1, f_min=cfg.f_min, f_max=cfg.f_max, n_mels=cfg.n_mels,
        sample_rate=cfg.sample_rate, norm="slaney", mel_scale="slaney",
    )


def band_centres(cfg: MelConfig) -> torch.Tensor:
    """The frequency (Hz) at which each Mel band's filter peaks."""
    freqs = torch.linspace(0, cfg.sample_rate / 2, cfg.n_fft // 2 + 1)
    return freqs[mel_filterbank(cfg).argmax(dim=0)]


class LogMel(nn.Module):
    """(..., samples) float waveform -> (..., n_mels, frames) natural-log Mel magnitude.

    Works batched, on any device: move it with `.to(device)` like any module.
    """

    def __init__(self, cfg: MelConfig = MelConfig()):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("window", torch.hann_window(cfg.win_length), persistent=False)
        self.register_buffer("fbank", mel_filterbank(cfg), persistent=False)

    def magnitude(self, wave: torch.Tensor) -> torch.Tensor:
        """(..., samples) -> (..., n_freqs, frames) STFT magnitude."""
        lead = wave.shape[:-1]
        spec = torch.stft(
            wave.reshape(-1, wave.shape[-1]).float(), n_fft=self.cfg.n_fft,
            hop_length=self.cfg.hop_length, win_length=self.cfg.win_length,
            window=self.window, center=True, pad_mode="reflect", return_complex=True,
        )
        return spec.abs().reshape(*lead, *spec.shape[-2:])

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(self.magnitude(wave).transpose(-1, -2), self.fbank).transpose(-1, -2)
        return torch.log(torch.clamp(mel, min=self.cfg.clamp))


def normalize(log_mel: torch.Tensor, cfg: MelConfig = MelConfig()) -> torch.Tensor:
    """Log-Mel -> model space."""
    return (log_mel - cfg.norm_center) / cfg.norm_scale


def denormalize(x: torch.Tensor, cfg: MelConfig = MelConfig()) -> torch.Tensor:
    """Model space -> log-Mel; the exact inverse of `normalize`."""
    return x * cfg.norm_scale + cfg.norm_center


def spectral_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of two log-Mels, per item (natural-log units, i.e. nepers):
    0.1 is about 0.87 dB on average."""
    return (a - b).abs().flatten(start_dim=-2).mean(dim=-1)


def log_mels_of_files(files, cfg: MelConfig, factors: tuple[float, ...] = (1.0,), batch: int | None = 64) -> torch.Tensor:
    """Model-space log-Mels (len(factors) * len(files), 1, bands, frames) of audio files: every file
    at every speed factor (`clips.speed_perturb`), factor by factor, each clip made mono, 16 kHz and
    centred in its window after the change; `batch` files at a time (None: all at once)."""
    from .clips import prepare_clip, speed_perturb
    from .io import read_audio

    files = list(files)
    front, out, batch = LogMel(cfg), [], batch or max(1, len(files))
    for factor in factors:
        for start in range(0, len(files), batch):
            waves = []
            for path in files[start:start + batch]:
                wave, sr = read_audio(path)
                waves.append(prepare_clip(speed_perturb(wave, sr, factor), sr, cfg.clip_samples, cfg.sample_rate))
            with torch.no_grad():
                out.append(normalize(front(torch.stack(waves)), cfg)[:, None])
    if not out:
        return torch.empty(0, 1, cfg.n_mels, cfg.n_frames)
    return torch.cat(out)
