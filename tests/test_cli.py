"""`python -m scorelab data ...`: the commands run and fail with clear messages."""
import dataclasses
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


@pytest.mark.slow
def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "scorelab", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "{data,train,sample,export" in done.stdout and "generate clips" in done.stdout


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_subnet_and_guided_sampling_end_to_end(speech_commands_root, tmp_path, data_home, capsys):
    """classifier -> subnet on one label -> guided samples named {label}_{i}.wav -> classify."""
    common = ["--profile", "micro", "--data", "speech_commands", "--data-root", str(speech_commands_root),
              "--device", "cpu", "--quiet"]
    clf, sub = tmp_path / "clf", tmp_path / "sub"
    assert main(["train", "classifier", *common, "--labels", "zero,one,two", "--out", str(clf), "--steps", "8"]) == 0
    assert main(["train", "subnet", *common, "--labels", "one", "--out", str(sub), "--steps", "3"]) == 2
    assert "needs a trained classifier" in capsys.readouterr().err
    assert main(["train", "subnet", *common, "--labels", "one", "--classifier", str(clf), "--out", str(sub),
                 "--steps", "3"]) == 0
    out = tmp_path / "guided"
    assert main(["sample", "--run", str(sub), "--n", "2", "--out", str(out), "--label", "zero,two", "--gamma", "3",
                 "--steps", "2", "--device", "cpu", "--quiet"]) == 0
    assert sorted(p.name for p in out.glob("*.wav")) == ["two_000.wav", "two_001.wav", "zero_000.wav", "zero_001.wav"]
    fast = tmp_path / "fast"  # the GPU options run on a CPU too (bf16 emulated there)
    assert main(["sample", "--run", str(sub), "--n", "1", "--out", str(fast), "--label", "zero,two", "--steps", "2",
                 "--device", "cpu", "--quiet", "--batch-size", "1", "--precision", "bf16", "--channels-last", "--autotune"]) == 0
    assert sorted(p.name for p in fast.glob("*.wav")) == ["two_000.wav", "zero_000.wav"]
    with pytest.raises(SystemExit):
        main(["sample", "--run", str(sub), "--out", str(fast), "--batch-size", "0"])
    assert "expected a positive number of clips or 'auto', got '0'" in capsys.readouterr().err
    assert main(["sample", "--run", str(sub), "--n", "1", "--out", str(out), "--label", "seven",
                 "--steps", "2", "--device", "cpu", "--quiet"]) == 2
    assert "unknown to the classifier" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["classify", "--run", str(clf), str(out)]) == 0
    assert "of 4 clips" in capsys.readouterr().out
    ev = tmp_path / "eval"
    assert main(["train", "evalclassifier", *common, "--labels", "zero,one,two", "--out", str(ev), "--steps", "2",
                 "--judge-recipe", "plain"]) == 0
    from scorelab.checkpoints import load_checkpoint
    from scorelab.judge import PLAIN

    config = load_checkpoint(ev / "checkpoint.pt")["config"]
    assert config["profile"]["train"]["seed"] == 1 and config["judge"] == dataclasses.asdict(PLAIN)
    # an exported subnet leaves its classifier out, finds it beside itself, and refuses another one
    import shutil

    import torch

    from scorelab.models import ClassifierMismatch, export, load_trained

    full, _, _ = load_trained(sub)
    ship = tmp_path / "ship"
    ship.mkdir()
    export(clf, ship / "clf")  # the recorded name of the classifier run is "clf"
    small = export(sub, ship / "sub.pt")
    state = load_checkpoint(small)
    assert not any(k.startswith("backbone.classifier.") for k in state["ema"])
    whole = export(sub, tmp_path / "whole.pt", keep_classifier=True).stat().st_size
    assert whole - small.stat().st_size > 0.8 * (ship / "clf").stat().st_size  # the classifier's share
    loaded, profile, kind = load_trained(small)
    assert kind == "subnet"
    x, sigma = torch.randn(2, 1, profile.mel.n_mels, profile.mel.n_frames), torch.tensor([0.5, 2.0])
    with torch.no_grad():
        a, b = loaded(x, sigma), full(x, sigma)
    assert float((a - b).norm() / b.norm()) < 1e-2  # the same model, up to float16 weights
    shutil.move(clf, tmp_path / "clf-run-moved")  # the run folder recorded at training is gone
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(small, moved / "sub.pt")
    with pytest.raises(FileNotFoundError, match="without its frozen classifier"):
        load_trained(moved / "sub.pt")
    load_trained(moved / "sub.pt", classifier=ship / "clf")  # told where it is
    export(ev, moved / "clf")  # a different classifier under the same name
    with pytest.raises(ClassifierMismatch, match="fingerprint"):
        load_trained(moved / "sub.pt")


def test_train_options_reach_the_profile():
    """Options of `train` override the profile's settings; --fusion chooses ScoreSubnet's fusion."""
    from scorelab.__main__ import _profile_for, build_parser
    from scorelab.config import get_profile

    args = build_parser().parse_args(["train", "subnet", "--out", "run", "--fusion", "gated", "--steps", "7",
                                      "--labels", "zero,one"])
    profile = _profile_for(args)
    assert (profile.subnet.fusion, profile.train.steps, profile.data.labels) == ("gated", 7, ("zero", "one"))
    plain = _profile_for(build_parser().parse_args(["train", "subnet", "--out", "run"]))
    assert plain.subnet.fusion == "concat" and plain.train.steps == get_profile("tiny").train.steps
