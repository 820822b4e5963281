"""Turning any recording into a model clip: mono, 16 kHz, exactly one second."""
from __future__ import annotations

import torch

from ..config import SAMPLE_RATE


def to_mono(wave: torch.Tensor) -> torch.Tensor:
    """(channels, samples) -> (samples,) by averaging the channels; (samples,) passes through."""
    if wave.dim() == 1:
        return wave
    if wave.dim() != 2:
        raise ValueError(f"expected (samples,) or (channels, samples), got {tuple(wave.shape)}")
    return wave.mean(dim=0)


def resample(wave: torch.Tensor, orig_sr: int, new_sr: int = SAMPLE_RATE) -> torch.Tensor:
    """Band-limited (windowed sinc) resampling along the last axis."""
    if orig_sr == new_sr:
        return wave
    if orig_sr <= 0:
        raise ValueError(f"sample rate must be positive, got {orig_sr}")
    import torchaudio.functional as AF  # heavy: imported where it is used

    return AF.resample(wave, orig_sr, new_sr)


def speed_perturb(wave: torch.Tensor, sample_rate: int, factor: float) -> torch.Tensor:
    """`wave` played `factor` times as fast (and so `factor` times as high): resampled from
    sample_rate * factor to sample_rate, which keeps the sample rate and scales the length by
    1 / factor."""
    if factor <= 0:
        raise ValueError(f"a speed factor must be positive, not {factor}")
    return resample(wave, int(round(sample_rate * factor)), sample_rate)


def fix_length(wave: torch.Tensor, n: int) -> torch.Tensor:
    """Centre-pad with zeros or centre-crop the last axis to exactly n samples."""
    length = wave.shape[-1]
    if length == n:
        return wave
    if length > n:
        start = (length - n) // 2
        return wave[..., start:start + n]
    left = (n - length) // 2
    return torch.nn.functional.pad(wave, (left, n - length - left))


def prepare_clip(wave: torch.Tensor, sample_rate: int, n_samples: int = SAMPLE_RATE,
                 target_sr: int = SAMPLE_RATE) -> torch.Tensor:
    """Downmix, resample to target_sr and centre pad/crop to n_samples: a (n_samples,) clip."""
    return fix_length(resample(to_mono(wave), sample_rate, target_sr), n_samples)
