"""The audio front end: clip I/O, log-Mel features and model space, vocoders."""
from .clips import fix_length, prepare_clip, resample, to_mono
from .features import LogMel, band_centres, denormalize, mel_filterbank, normalize, spectral_distance
from .io import AudioFileError, probe_audio, read_audio, write_audio
from .vocoders import GriffinLim, HiFiGAN, Vocoder, load_vocoder

__all__ = [
    "AudioFileError", "GriffinLim", "band_centres", "HiFiGAN", "LogMel", "Vocoder", "denormalize",
    "fix_length", "load_vocoder", "mel_filterbank", "normalize", "prepare_clip", "probe_audio",
    "read_audio", "resample", "spectral_distance", "to_mono", "write_audio",
]
