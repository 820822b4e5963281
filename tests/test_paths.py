"""Where data lives (argument, then environment variable, then the data home) and atomic writes."""
from pathlib import Path

import pytest

from scorelab.paths import cache_dir, data_home, resolve_root, write_atomic


def test_roots_come_from_the_argument_then_the_variable_then_the_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORELAB_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("SCORELAB_X", str(tmp_path / "env"))
    assert resolve_root(tmp_path / "arg", "SCORELAB_X", "x") == tmp_path / "arg"
    assert resolve_root(None, "SCORELAB_X", "x") == tmp_path / "env"
    monkeypatch.delenv("SCORELAB_X")
    assert resolve_root(None, "SCORELAB_X", "x") == tmp_path / "home" / "x"
    assert cache_dir() == tmp_path / "home" / "cache"
    monkeypatch.delenv("SCORELAB_DATA")
    assert data_home() == Path.home() / ".cache" / "scorelab"


def test_write_atomic_replaces_whole_files_only(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    assert write_atomic(target, lambda tmp: tmp.write_text("first")) == target
    assert target.read_text() == "first"

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, broken)
    assert target.read_text() == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]
