"""Reading and writing clips through soundfile (never torchaudio.load: recent torchaudio routes
I/O through TorchCodec/FFmpeg, which is missing or broken on many machines, Colab included).

soundfile is imported lazily so that `import scorelab` works where it is not installed.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ..config import SAMPLE_RATE
from ..paths import write_atomic
from .clips import resample, to_mono


class AudioFileError(ValueError):
    """A file that cannot be used as a clip; the message names the file and the fix."""


def _soundfile():
    try:
        import soundfile  # optional until audio files are read or written
    except ImportError as exc:  # pragma: no cover - exercised on machines without it
        raise ImportError(
            "reading and writing audio needs the 'soundfile' package: pip install soundfile"
        ) from exc
    return soundfile


def read_audio(path: str | os.PathLike) -> tuple[torch.Tensor, int]:
    """The samples of an audio file as float32 (channels, samples) and its sample rate.

    Raises AudioFileError, naming the file, when it is missing, empty, not audio, has no
    samples or holds NaN/inf values.
    """
    path = Path(path)
    sf = _soundfile()
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty (0 bytes); delete it or download it again")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError/RuntimeError with varying text
        raise AudioFileError(
            f"{path}: not a readable audio file ({exc}). Expected WAV, FLAC or OGG; "
            "replace or delete the file"
        ) from None
    if data.shape[0] == 0:
        raise AudioFileError(f"{path}: the file holds no samples; delete it or record it again")
    wave = torch.from_numpy(data.T.copy())
    if not torch.isfinite(wave).all():
        raise AudioFileError(f"{path}: the samples contain NaN or infinite values")
    return wave, int(sr)


def probe_audio(path: str | os.PathLike) -> None:
    """Check from the header alone that a file is non-empty audio; raise AudioFileError if not."""
    path = Path(path)
    sf = _soundfile()
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as exc:
        raise AudioFileError(f"{path}: not a readable audio file ({exc})") from None
    if info.frames == 0:
        raise AudioFileError(f"{path}: the file holds no samples")


def write_audio(path: str | os.PathLike, wave: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write a mono (samples,) or (channels, samples) float waveform as 16-bit PCM WAV,
    atomically (a half-written file never carries the final name)."""
    sf = _soundfile()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wave = wave.detach().float().cpu()
    if wave.dim() == 1:
        wave = wave[None]
    if wave.dim() != 2:
        raise ValueError(f"write_audio expects (samples,) or (channels, samples), got {tuple(wave.shape)}")
    if not torch.isfinite(wave).all():
        raise ValueError(f"refusing to write {path}: the waveform holds NaN or infinite samples")
    data = wave.clamp(-1.0, 1.0).T.numpy()
    return write_atomic(path, lambda tmp: sf.write(str(tmp), data, sample_rate, subtype="PCM_16", format="WAV"))


def read_16k(paths) -> list[torch.Tensor]:
    """Each file as a mono 16 kHz clip of its own length (no padding: each extractor fixes the
    length its own way)."""
    return [resample(to_mono(w), sr, SAMPLE_RATE) for w, sr in map(read_audio, paths)]
