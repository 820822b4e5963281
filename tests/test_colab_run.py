"""Chapters run as a Colab reader runs them: the notebook alone in an empty folder outside the
repository, an empty HOME, and the repository's files served over HTTP (SCORELAB_REPO_URL pointing
at a local server). They must finish without training anything, with the shipped files they need
fetched into the cache; with the server gone and the cache removed, they stop with the offline
message. (FSDD itself comes from $SCORELAB_FSDD: a reader's run downloads it, this machine cannot.)"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import fsdd_root_or_none

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = {  # a chapter that loads shipped checkpoints, and one that reads stored results
    "04_noise_conditioned_classifier": {"checkpoints/classifier-tiny-fsdd.pt", "checkpoints/evalclassifier-tiny-fsdd.pt",
                                        "checkpoints/classifier-tiny-fsdd.metrics.jsonl"},
    "10_reproducing_the_paper": {"results/report-tiny/report.json", "results/benchmark-paper-h200.json",
                                 "checkpoints/subnet-1label-tiny-fsdd.pt"},
}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(fsdd_root_or_none() is None,
                                 reason="no FSDD recordings: set SCORELAB_FSDD (a reader's run downloads them)")]


def _tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location("time_chapters", ROOT / "book" / "_tools" / "time_chapters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RepositoryServer = _tool().RepositoryServer  # the repository's files over HTTP on 127.0.0.1


@pytest.fixture
def reader(tmp_path, monkeypatch):
    """An empty working folder and HOME, the environment a fresh Colab session has."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SCORELAB_FSDD", str(fsdd_root_or_none()))
    # (the run's sample cache, SCORELAB_RUN_CACHE, is kept: keyed by the exact weights, it gives the
    # chapter's clips back only where the models it fetched are the ones its own nbval run sampled
    # with, and what is tested here is the reader's setting, not the sampling a second time)
    for var in ("SCORELAB_DATA", "SCORELAB_SYNTH", "SCORELAB_EVAL_CLASSIFIER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SCORELAB_DEVICE", "cpu")
    return home, work


def run_alone(chapter: str, work: Path):
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    nbformat.write(nb, work / f"{chapter}.ipynb")
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    return nb


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_a_chapter_runs_alone_fetching_what_it_needs(chapter, reader, monkeypatch):
    home, work = reader
    server = RepositoryServer()
    monkeypatch.setenv("SCORELAB_REPO_URL", server.url)
    try:
        run_alone(chapter, work)
    finally:
        server.stop()
    from scorelab.shipped import recorded_files

    cache = home / ".cache" / "scorelab" / "shipped"
    fetched = {p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()} & set(recorded_files())
    assert CHAPTERS[chapter] <= fetched
    assert server.requests and all(p.startswith("/book/") for p in server.requests)
    assert not (work / "runs").exists(), "the chapter trained a model"
    print(f"{chapter}: fetched {len(fetched)} files, "
          f"{sum((cache / name).stat().st_size for name in fetched) / 1e6:.1f} MB")

    shutil.rmtree(cache)  # the server is gone and nothing is cached: the chapter stops and says what to do
    with pytest.raises(CellExecutionError) as err:
        run_alone(chapter, work)
    message = str(err.value)
    assert "OfflineError" in message and "is shipped with the book but is not here" in message
    assert str(cache) in message and "SCORELAB_REPO_URL" in message
