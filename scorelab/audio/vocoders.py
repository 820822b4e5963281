"""Log-Mel -> waveform behind one interface.

`GriffinLim` works offline everywhere and is the default. `HiFiGAN` loads a pretrained 16 kHz
generator from a local file or a URL; offline it fails at once with a message saying what to
download and where to put it.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn

from ..config import MelConfig
from ..download import download
from ..nets.hifigan import HiFiGANGenerator, load_generator_state
from ..paths import data_home
from .features import denormalize, mel_filterbank


class Vocoder(nn.Module):
    """A module mapping (..., n_mels, frames) natural-log Mel to (..., samples) audio."""

    def __init__(self, cfg: MelConfig):
        super().__init__()
        self.cfg = cfg

    @property
    def sample_rate(self) -> int:
        return self.cfg.sample_rate


class GriffinLim(Vocoder):
    """Phase reconstruction by fast Griffin-Lim (Perraudin et al., 2013).

    The linear magnitude is recovered from the Mel magnitude with the pseudo-inverse of the
    filter bank, clamped at zero, then refined with multiplicative (non-negative least squares)
    updates; the phase is found by alternating projections with momentum.
    """

    def __init__(self, cfg: MelConfig = MelConfig(), n_iter: int = 64, momentum: float = 0.99,
                 nnls_iter: int = 30, seed: int = 0):
        super().__init__(cfg)
        self.n_iter, self.momentum, self.nnls_iter, self.seed = n_iter, momentum, nnls_iter, seed
        self.register_buffer("window", torch.hann_window(cfg.win_length), persistent=False)
        fbank = mel_filterbank(cfg)
        self.register_buffer("fbank", fbank, persistent=False)
        self.register_buffer("fbank_pinv", torch.linalg.pinv(fbank), persistent=False)

    def mel_to_magnitude(self, log_mel: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, frames) log-Mel -> (B, n_freqs, frames) non-negative linear magnitude."""
        mel = torch.exp(log_mel).transpose(-1, -2)  # (B, frames, n_mels)
        mag = torch.matmul(mel, self.fbank_pinv).clamp_min(1e-8)
        for _ in range(self.nnls_iter):
            # multiplicative update for min ||mag @ fbank - mel||^2 with mag >= 0
            numer = torch.matmul(mel, self.fbank.T)
            denom = torch.matmul(torch.matmul(mag, self.fbank), self.fbank.T).clamp_min(1e-10)
            mag = mag * numer / denom
        return mag.transpose(-1, -2)

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        lead = log_mel.shape[:-2]
        mag = self.mel_to_magnitude(log_mel.reshape(-1, *log_mel.shape[-2:]).float())
        # a centred STFT of n samples has n // hop + 1 frames: give one clip its exact length
        frames = mag.shape[-1]
        n_samples = cfg.clip_samples if frames == cfg.n_frames else (frames - 1) * cfg.hop_length
        stft = dict(n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                    window=self.window, center=True)
        gen = torch.Generator(device="cpu").manual_seed(self.seed)
        phase = torch.exp(2j * torch.pi * torch.rand(mag.shape, generator=gen)).to(mag.device)
        previous = torch.zeros_like(phase)
        for _ in range(self.n_iter):
            # project onto consistent spectrograms: synthesise, then analyse again
            wave = torch.istft(mag * phase, length=n_samples, **stft)
            rebuilt = torch.stft(wave, pad_mode="reflect", return_complex=True, **stft)
            # momentum step ("fast" Griffin-Lim), then keep only the phase
            phase = rebuilt - previous * (self.momentum / (1 + self.momentum))
            phase = phase / phase.abs().clamp_min(1e-16)
            previous = rebuilt
        wave = torch.istft(mag * phase, length=n_samples, **stft)
        return wave.reshape(*lead, -1)


HIFIGAN_16K_URL = (
    "https://huggingface.co/speechbrain/tts-hifigan-libritts-16kHz/resolve/main/generator.ckpt"
)


class HiFiGAN(Vocoder):
    """A pretrained HiFi-GAN V1 generator for 16 kHz, 80-band, hop-256 log-Mel.

    As SpeechBrain's inference does, the log-Mel is extended by `padding` frames at each edge
    (repeating the edge frame) before the generator runs, so the first and last frames are not
    rendered against zeros; the audio of those extra frames is then cut off (`trim=False` keeps
    it, which is exactly SpeechBrain's `decode_batch` output)."""

    def __init__(self, generator: nn.Module, cfg: MelConfig = MelConfig(), padding: int = 5):
        super().__init__(cfg)
        self.generator = generator.eval()
        self.padding = padding

    @torch.no_grad()
    def forward(self, log_mel: torch.Tensor, trim: bool = True) -> torch.Tensor:
        lead = log_mel.shape[:-2]
        x = log_mel.reshape(-1, *log_mel.shape[-2:]).float()
        p = self.padding
        wave = self.generator(torch.nn.functional.pad(x, (p, p), mode="replicate") if p else x)
        if trim and p:
            cut = p * (wave.shape[-1] // (x.shape[-1] + 2 * p))  # samples per frame: the hop
            wave = wave[..., cut:wave.shape[-1] - cut]
        return wave.reshape(*lead, -1)

    @classmethod
    def from_pretrained(cls, source: str | os.PathLike | None = None,
                        cfg: MelConfig = MelConfig(), cache_dir: str | os.PathLike | None = None
                        ) -> "HiFiGAN":
        """Load generator weights from a local file, or from a URL (default: the public
        SpeechBrain LibriTTS 16 kHz generator) into the data home's cache.

        The environment variable SCORELAB_HIFIGAN may name a local checkpoint.
        """

        source = source or os.environ.get("SCORELAB_HIFIGAN") or HIFIGAN_16K_URL
        if str(source).startswith(("http://", "https://")):
            cache_dir = Path(cache_dir) if cache_dir else data_home() / "downloads"
            path = download(
                str(source), cache_dir / "hifigan16k_generator.ckpt",
                what="the pretrained 16 kHz HiFi-GAN vocoder",
                manual_hint=("or use the offline default, scorelab.audio.GriffinLim(); "
                             "set SCORELAB_HIFIGAN=/path/to/generator.ckpt to use a local copy"),
            )
        else:
            path = Path(source)
            if not path.is_file():
                raise FileNotFoundError(
                    f"{path}: no HiFi-GAN checkpoint there. Download {HIFIGAN_16K_URL} "
                    "to that path, or use scorelab.audio.GriffinLim()"
                )
        generator = HiFiGANGenerator()
        load_generator_state(generator, torch.load(path, map_location="cpu", weights_only=True),
                             source=str(path))
        return cls(generator, cfg)


VOCODERS = ("griffinlim", "hifigan")


def load_vocoder(name: str = "griffinlim", cfg: MelConfig = MelConfig(), **kwargs) -> Vocoder:
    """A vocoder by name: "griffinlim" (offline) or "hifigan" (pretrained, network or local file)."""
    if name == "griffinlim":
        return GriffinLim(cfg, **kwargs)
    if name == "hifigan":
        return HiFiGAN.from_pretrained(cfg=cfg, **kwargs)
    raise ValueError(f"unknown vocoder {name!r}; choose one of {', '.join(VOCODERS)}")


def to_audio(x: torch.Tensor, cfg, vocoder="griffinlim") -> torch.Tensor:
    """Model-space samples (n, 1, bands, frames) -> waveforms (n, samples), as `write_samples`
    stores them: vocoded (a vocoder name or object), each clip scaled down to peak 1 if louder."""
    vocode = load_vocoder(vocoder, cfg) if isinstance(vocoder, str) else vocoder
    log_mels = denormalize(x[:, 0], cfg)
    peak = log_mels.nan_to_num(nan=float("inf")).amax(dim=(-2, -1))
    bad = (peak > LOG_MEL_CEILING).nonzero().flatten().tolist()
    if bad:  # a vocoder overflows on such values and returns NaN audio
        warnings.warn(
            f"clip(s) {bad[:10]} of {len(log_mels)} reach log-Mel {float(peak[bad].max()):.3g} (natural log; real "
            f"speech stays within about -12..4): they are not finished speech (too few sampler steps, or a score "
            f"model that has not learned the data). They are vocoded clamped to {LOG_MEL_CEILING:g}", stacklevel=2)
        log_mels = log_mels.nan_to_num(nan=LOG_MEL_CEILING).clamp(max=LOG_MEL_CEILING)
    waves = vocode(log_mels)
    if not torch.isfinite(waves).all():
        raise ValueError("vocoding gave NaN or infinite audio; check the vocoder and its input")
    return waves / waves.abs().amax(dim=-1, keepdim=True).clamp_min(1.0)


LOG_MEL_CEILING = 10.0  # natural-log magnitude; real speech stays below about 4
