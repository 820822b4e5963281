"""The audio front end: clip I/O, log-Mel features and model space, vocoders."""
from .clips import fix_length, prepare_clip, resample, speed_perturb, to_mono
from .features import LogMel, band_centres, denormalize, log_mels_of_files, mel_filterbank, normalize, spectral_distance
from .io import AudioFileError, probe_audio, read_16k, read_audio, write_audio
from .vocoders import LOG_MEL_CEILING, GriffinLim, HiFiGAN, Vocoder, load_vocoder, to_audio

__all__ = [
    "AudioFileError", "GriffinLim", "band_centres", "HiFiGAN", "LogMel", "Vocoder", "denormalize",
    "fix_length", "load_vocoder", "log_mels_of_files", "mel_filterbank", "normalize", "prepare_clip", "probe_audio",
    "read_16k", "read_audio", "resample", "spectral_distance", "speed_perturb", "to_audio", "to_mono", "write_audio", "LOG_MEL_CEILING",
]
