"""The audio front end: clip preparation, log-Mel against librosa, model space, Griffin-Lim,
file errors, and the core importing without soundfile or librosa."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from conftest import tone, write_wav
from scorelab.audio import (AudioFileError, GriffinLim, LogMel, denormalize, fix_length, normalize,
                            prepare_clip, read_audio, resample, spectral_distance, to_mono,
                            write_audio)
from scorelab.config import MelConfig
from scorelab.data import fsdd


def test_fix_length_centres_pad_and_crop():
    x = torch.arange(1, 5, dtype=torch.float32)
    assert fix_length(x, 8).tolist() == [0, 0, 1, 2, 3, 4, 0, 0]
    assert fix_length(torch.arange(10.0), 4).tolist() == [3, 4, 5, 6]
    assert fix_length(x, 4) is x


def test_to_mono_averages_channels():
    stereo = torch.stack([torch.ones(5), -torch.ones(5) * 3])
    assert_allclose(to_mono(stereo).numpy(), -np.ones(5))


def test_resample_keeps_frequency_and_doubles_length():
    x = torch.from_numpy(tone(440, 1.0, 8000))
    y = resample(x, 8000, 16000)
    assert y.shape == (16000,)
    spectrum = torch.fft.rfft(y).abs()
    assert abs(int(spectrum.argmax()) - 440) <= 1  # 1 Hz bins for one second


def test_log_mel_shape_and_batching():
    front = LogMel()
    waves = torch.randn(3, 16000) * 0.1
    batch = front(waves)
    assert batch.shape == (3, 80, 63)
    assert_allclose(front(waves[1]).numpy(), batch[1].numpy(), atol=1e-5)
    assert_allclose(front(waves.view(3, 1, 16000))[:, 0].numpy(), batch.numpy(), atol=1e-5)


@pytest.mark.slow
def test_log_mel_matches_librosa():
    librosa = pytest.importorskip("librosa", reason="librosa is in the book extra; the reference needs it")
    x = tone(300, 1.0, 16000) + tone(2500, 1.0, 16000, amp=0.2)
    ref = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=1024, hop_length=256, win_length=1024,
                                         window="hann", center=True, pad_mode="reflect", power=1.0,
                                         n_mels=80, fmin=0.0, fmax=8000.0, htk=False, norm="slaney")
    ref = np.log(np.maximum(ref, 1e-5))
    ours = LogMel()(torch.from_numpy(x)).numpy()
    assert ours.shape == ref.shape
    loud = ref > -6  # where speech energy is; near the floor float32 STFT rounding dominates
    assert_allclose(ours[loud], ref[loud], atol=1e-3)
    assert_allclose(ours, ref, atol=1e-2)


def test_model_space_is_an_exact_inverse():
    cfg = MelConfig()
    log_mel = torch.randn(2, 80, 63, dtype=torch.float64) * 3 - 5
    assert_allclose(denormalize(normalize(log_mel, cfg), cfg).numpy(), log_mel.numpy(), rtol=0, atol=1e-12)
    # the log floor and loud speech land near -1 and +1
    assert normalize(torch.tensor(cfg.log_floor), cfg).item() == pytest.approx(-1.0, abs=0.01)
    assert normalize(torch.tensor(1.5), cfg).item() == pytest.approx(1.0, abs=0.01)


@pytest.mark.slow
def test_griffin_lim_round_trip_on_real_speech(fsdd_root):
    ds = fsdd(fsdd_root, "test")
    waves = torch.stack([ds[i][0] for i in range(0, 40, 4)])
    front = LogMel()
    log_mel = front(waves)
    rebuilt = GriffinLim()(log_mel)
    assert rebuilt.shape == waves.shape
    dist = spectral_distance(front(rebuilt), log_mel)
    other = spectral_distance(log_mel.roll(1, dims=0), log_mel)
    print(f"Griffin-Lim round trip: mean |log-Mel difference| {dist.mean():.3f} "
          f"(max {dist.max():.3f}); between different clips {other.mean():.3f}")
    assert dist.max() < 0.2
    assert dist.mean() < other.mean() / 5


def test_griffin_lim_is_deterministic():
    log_mel = LogMel()(torch.from_numpy(tone(500, 1.0, 16000)))
    gl = GriffinLim(n_iter=8)
    assert torch.equal(gl(log_mel), gl(log_mel))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_log_mel_and_griffin_lim_on_cuda():
    waves = torch.randn(4, 16000) * 0.1
    cpu = LogMel()(waves)
    gpu = LogMel().cuda()(waves.cuda()).cpu()
    assert_allclose(gpu.numpy(), cpu.numpy(), atol=1e-3)
    rebuilt = GriffinLim().cuda()(cpu.cuda())
    assert rebuilt.device.type == "cuda" and rebuilt.shape == (4, 16000)


def test_prepare_clip_downmixes_resamples_and_fixes_length(tmp_path):
    stereo = np.stack([tone(440, 1.3, 44100), tone(440, 1.3, 44100)], axis=1)
    wave, sr = read_audio(write_wav(tmp_path / "s.wav", stereo, 44100))
    assert wave.shape == (2, 57330) and sr == 44100
    clip = prepare_clip(wave, sr)
    assert clip.shape == (16000,)


def test_write_then_read_round_trip(tmp_path):
    x = torch.from_numpy(tone(440, 0.5, 16000))
    path = write_audio(tmp_path / "sub" / "x.wav", x)
    y, sr = read_audio(path)
    assert sr == 16000 and y.shape == (1, 8000)
    assert_allclose(y[0].numpy(), x.numpy(), atol=1 / 32768 + 1e-6)
    assert not list(path.parent.glob(".*tmp"))


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_text("this is not audio\n" * 20), "not a readable audio file"),
    (lambda p: write_wav(p, np.zeros(0, np.float32), 16000), "no samples"),
    (lambda p: write_wav(p, np.array([0.0, np.nan, 0.1], np.float32), 16000, "FLOAT"), "NaN"),
    (lambda p: None, "no such file"),
])
def test_bad_files_raise_errors_that_name_the_file(tmp_path, make, message):
    path = tmp_path / "bad_clip.wav"
    make(path)
    with pytest.raises(AudioFileError, match=message) as err:
        read_audio(path)
    assert "bad_clip.wav" in str(err.value)


@pytest.mark.slow
def test_core_imports_without_soundfile_or_librosa():
    code = (
        "import sys; sys.modules['soundfile'] = None; sys.modules['librosa'] = None\n"
        "import torch, scorelab, scorelab.audio, scorelab.data\n"
        "from scorelab.audio import LogMel, GriffinLim, read_audio\n"
        "m = LogMel()(torch.randn(16000) * 0.1); w = GriffinLim(n_iter=2)(m)\n"
        "assert w.shape == (16000,)\n"
        "try:\n    read_audio('x.wav')\nexcept ImportError as e:\n    print('ImportError:', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install soundfile" in done.stdout


def test_band_centres_rise_from_zero_to_fmax():
    from scorelab.audio import band_centres

    c = band_centres(MelConfig())
    assert c.shape == (80,) and (c.diff() >= 0).all()
    assert c[0] < 100 and 7500 < c[-1] <= 8000


def test_non_finite_audio_is_refused_not_written_as_full_scale(tmp_path):
    import pytest
    from scorelab.audio import write_audio
    from scorelab.config import MelConfig
    from scorelab.audio import to_audio

    with pytest.raises(ValueError, match="NaN or infinite"):
        write_audio(tmp_path / "bad.wav", torch.tensor([0.0, float("nan"), 0.1]))
    assert not (tmp_path / "bad.wav").exists()
    cfg = MelConfig()
    x = torch.zeros(3, 1, cfg.n_mels, cfg.n_frames)
    x[1] = 60.0  # what a sampler run for too few steps leaves: far outside the data
    with pytest.warns(UserWarning, match=r"clip\(s\) \[1\] of 3.*too few sampler steps"):
        waves = to_audio(x, cfg)
    assert torch.isfinite(waves).all() and float(waves.abs().max()) <= 1.0
