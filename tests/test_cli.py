"""`python -m scorelab data ...`: the commands run and fail with clear messages."""
import shutil
import subprocess
import sys
import urllib.error

import pytest

from scorelab.__main__ import main


def test_data_fsdd_prints_the_splits(fsdd_root, capsys):
    assert main(["data", "fsdd", "--root", str(fsdd_root)]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "validation" in out and "test" in out


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (`make data` installs it)")
def test_data_synth_writes_speech_commands_layout(tmp_path, capsys):
    out = tmp_path / "synth"
    assert main(["data", "synth", "--out", str(out), "--speakers", "3", "--takes", "1",
                 "--labels", "zero,one"]) == 0
    assert (out / "validation_list.txt").is_file() and (out / "zero").is_dir()
    out = capsys.readouterr().out
    assert [line.split()[1] for line in out.splitlines()[1:4]] == ["2", "2", "2"]


def test_data_sc09_offline_fails_with_instructions(tmp_path, data_home, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    assert main(["data", "sc09", "--download", "--root", str(tmp_path / "sc09")]) == 2
    err = capsys.readouterr().err
    assert "speech_commands_v0.02.tar.gz" in err and "put it at" in err


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "scorelab", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "data synth" in done.stdout


def test_train_sample_export_round_trip(speech_commands_root, tmp_path, data_home, capsys):
    run, out = tmp_path / "run", tmp_path / "samples"
    assert main(["train", "unet", "--profile", "micro", "--data", "speech_commands", "--data-root",
                 str(speech_commands_root), "--labels", "zero,one", "--out", str(run), "--steps", "4",
                 "--device", "cpu", "--quiet"]) == 0
    assert {"checkpoint.pt", "config.json", "metrics.jsonl", "loss.png"} <= {p.name for p in run.iterdir()}
    assert main(["sample", "--run", str(run), "--n", "3", "--out", str(out), "--steps", "3",
                 "--sampler", "euler_maruyama", "--device", "cpu", "--quiet"]) == 0
    wavs = sorted(p.name for p in out.glob("*.wav"))
    assert wavs == ["sample_000.wav", "sample_001.wav", "sample_002.wav"] and (out / "spectrograms.png").is_file()
    from scorelab.audio import read_audio

    wave, sr = read_audio(out / wavs[0])
    assert sr == 16000 and wave.shape == (1, 16000)
    small = tmp_path / "small.pt"
    assert main(["export", "--run", str(run), "--out", str(small)]) == 0
    assert small.stat().st_size < (run / "checkpoint.pt").stat().st_size / 2
    assert main(["sample", "--run", str(small), "--n", "1", "--out", str(tmp_path / "s2"), "--steps", "2",
                 "--device", "cpu", "--quiet"]) == 0


def test_sample_from_nothing_says_what_is_expected(tmp_path, capsys):
    assert main(["sample", "--run", str(tmp_path), "--n", "1", "--out", str(tmp_path / "o")]) == 2
    assert "expected a run folder holding checkpoint.pt" in capsys.readouterr().err


def test_train_classifier_learns_tones(speech_commands_root, tmp_path, data_home, capsys):
    import torch

    from scorelab.models import load_trained
    from scorelab.runs import training_data

    run = tmp_path / "clf"
    assert main(["train", "classifier", "--profile", "micro", "--data", "speech_commands", "--data-root",
                 str(speech_commands_root), "--labels", "zero,one,two", "--out", str(run), "--steps", "60",
                 "--device", "cpu", "--quiet"]) == 0
    model, profile, kind = load_trained(run)
    x, labels, _ = training_data(profile)
    with torch.no_grad():
        accuracy = (model(x, torch.full((len(x),), 0.01)).argmax(1) == labels).float().mean().item()
    assert kind == "classifier" and accuracy == 1.0  # three pure tones, seen in training
