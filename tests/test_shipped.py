"""Shipped files: the recorded SHA-256 of every file, the local copy in book/, the verified download
elsewhere, and the offline message."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scorelab import shipped
from scorelab.__main__ import main
from scorelab.download import DownloadError, OfflineError

BOOK = Path(__file__).resolve().parent.parent / "book"
NAME = "checkpoints/README.md"  # small, and shipped like the checkpoints


def test_every_shipped_file_matches_its_recorded_hash():
    now = shipped.manifest_of(BOOK)["files"]
    stored = shipped.recorded_files()
    assert sorted(now) == sorted(stored), "run `python -m scorelab shipped --update` after adding or removing a file"
    changed = [n for n in now if now[n] != stored[n]]
    assert not changed, f"changed since recorded: {changed}; run `python -m scorelab shipped --update`"
    assert any(n.endswith(".pt") for n in now) and any(n.startswith("results/") for n in now)


def test_the_record_holds_exactly_the_files_git_tracks():
    import subprocess

    try:
        tracked = subprocess.run(["git", "ls-files", "checkpoints", "results"], cwd=BOOK, capture_output=True,
                                 text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    assert sorted(shipped.recorded_files()) == sorted(tracked)


def test_the_check_command_names_a_changed_file(tmp_path, capsys):
    book = tmp_path / "book"
    shutil.copytree(BOOK / "checkpoints", book / "checkpoints")
    shutil.copytree(BOOK / "results", book / "results")
    assert main(["shipped", "--book", str(book)]) == 0
    with open(book / NAME, "a") as f:
        f.write("one more line\n")
    assert main(["shipped", "--book", str(book)]) == 1
    out = capsys.readouterr().out
    assert f"{NAME}: changed" in out and "shipped --update" in out


def test_from_the_book_folder_the_local_copy_is_used(monkeypatch, data_home):
    monkeypatch.chdir(BOOK)
    monkeypatch.setenv("SCORELAB_REPO_URL", "http://127.0.0.1:9")  # nothing listens there
    assert shipped.shipped_file(NAME).resolve() == BOOK / NAME
    assert shipped.shipped_folder("results/report-tiny").resolve() == BOOK / "results/report-tiny"
    assert not data_home.exists()


def test_from_the_repository_root_the_local_copy_is_used(monkeypatch, data_home):
    # the command line run from a clone: the default judge is the book's own file, not a download
    from scorelab.evaluate import default_eval_classifier

    monkeypatch.chdir(BOOK.parent)
    monkeypatch.setenv("SCORELAB_REPO_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("SCORELAB_EVAL_CLASSIFIER", raising=False)
    assert shipped.shipped_file(NAME) == Path("book") / NAME
    assert default_eval_classifier().resolve() == BOOK / "checkpoints/evalclassifier-tiny-fsdd.pt"
    assert not data_home.exists()


def serve_book(file_server, names):
    for name in names:
        file_server.files[f"/book/{name}"] = (BOOK / name).read_bytes()
    return file_server.url("")


def test_elsewhere_the_file_is_downloaded_once_and_verified(tmp_path, monkeypatch, data_home, file_server):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCORELAB_REPO_URL", serve_book(file_server, [NAME]))
    path = shipped.shipped_file(NAME, progress=False)
    assert path == data_home / "shipped" / NAME
    assert path.read_bytes() == (BOOK / NAME).read_bytes()
    file_server.files.clear()  # a second call reads the cache
    assert shipped.shipped_file(NAME, progress=False) == path


def test_a_file_that_differs_from_its_record_is_refused(tmp_path, monkeypatch, data_home, file_server):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCORELAB_REPO_URL", file_server.url(""))
    file_server.files[f"/book/{NAME}"] = b"not the shipped file"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        shipped.shipped_file(NAME, progress=False)
    assert not (data_home / "shipped" / NAME).exists()


def test_a_shipped_folder_arrives_whole(tmp_path, monkeypatch, data_home, file_server):
    names = [n for n in shipped.recorded_files() if n.startswith("results/report-tiny/")]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCORELAB_REPO_URL", serve_book(file_server, names))
    folder = shipped.shipped_folder("results/report-tiny", progress=False)
    assert folder == data_home / "shipped" / "results/report-tiny"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == \
        sorted(n.removeprefix("results/report-tiny/") for n in names)


def test_offline_the_error_says_where_it_looked_and_where_to_put_the_file(tmp_path, monkeypatch, data_home):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCORELAB_REPO_URL", "http://127.0.0.1:9")
    with pytest.raises(OfflineError) as err:
        shipped.shipped_file("checkpoints/classifier-tiny-fsdd.pt", progress=False)
    message = str(err.value)
    assert "checkpoints/classifier-tiny-fsdd.pt" in message
    assert str(tmp_path) in message  # where it looked
    assert str(data_home / "shipped" / "checkpoints") in message  # where to put it
    assert "http://127.0.0.1:9/book/checkpoints/classifier-tiny-fsdd.pt" in message
    assert "SCORELAB_REPO_URL" in message


def test_a_name_that_is_not_shipped_lists_what_is():
    with pytest.raises(FileNotFoundError, match="classifier-tiny-fsdd.pt"):
        shipped.shipped_file("checkpoints/classifier-paper-sc09.pt")
