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
