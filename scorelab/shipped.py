"""Files shipped with the book (trained checkpoints, stored results), found from anywhere.

A chapter asks for `shipped_file("checkpoints/classifier-tiny-fsdd.pt")`, a path relative to the
repository's `book/` folder. Run from that folder (a clone, `make book`, nbval), the chapter reads
the local copy. Run anywhere else (Colab, a notebook downloaded alone), the file is fetched once
from the repository's raw files into <data home>/shipped/ and checked against the SHA-256 that
`SHIPPED` records for it, so a reader never runs on a half-downloaded or different file.

The repository, the ref it is read at and the record of shipped files live here and nowhere
else: chapters' setup cells are rendered from `REPOSITORY` and `REF` (`scorelab.colab`), and
`python -m scorelab shipped --update` rewrites `shipped_files.json` after a shipped file changes
(a test fails while the two disagree).
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from .download import OfflineError, download, sha256_of
from .paths import data_home, write_atomic

REPOSITORY = "https://github.com/scorelab/scorelab"
REF = "main"
RAW_BASE = "https://raw.githubusercontent.com/scorelab/scorelab/" + REF
MANIFEST = Path(__file__).with_name("shipped_files.json")
SHIPPED_FOLDERS = ("checkpoints", "results")  # under book/, what is in them is recorded, except
# what `scorelab report` writes beside its tables (git-ignored): clips, caches, figures, models it trained
REPORT_SCRATCH = ("samples", "figures", "checkpoints", "runs", "reference-features.pt")


def repo_url() -> str:
    """Where the repository's raw files are read: $SCORELAB_REPO_URL (a fork, a mirror, a local
    server) or the repository's raw files at REF."""
    return (os.environ.get("SCORELAB_REPO_URL") or RAW_BASE).rstrip("/")


@lru_cache(maxsize=1)
def recorded_files() -> dict[str, dict]:
    """{name relative to book/: {"sha256", "bytes"}} of every shipped file, as recorded."""
    return json.loads(MANIFEST.read_text())["files"]


def recorded(name: str) -> dict:
    """{"sha256": ..., "bytes": ...} of a shipped file; a name that is not shipped lists what is."""
    files = recorded_files()
    if name not in files:
        folder = name.split("/")[0]
        near = sorted(f for f in files if f.startswith(folder + "/"))
        raise FileNotFoundError(
            f"{name!r} is not a file shipped with the book; shipped under {folder}/: "
            f"{', '.join(Path(f).name for f in near) or 'nothing'}. A model of another profile is trained "
            "with `python -m scorelab train` (chapter 10)")
    return files[name]


def book_folder() -> Path | None:
    """The repository's book/ folder when the working directory is it (a chapter runs there) or
    holds it (the command line run from a clone), as a path relative to the working directory;
    else None (an installed package: shipped files come from the cache)."""
    for book in (Path("."), Path("book")):
        if (book / "checkpoints" / "README.md").is_file() and (book.resolve().parent / "_toc.yml").is_file():
            return book
    return None


def shipped_file(name: str, progress: bool = True) -> Path:
    """The path of a shipped file, `name` relative to book/ (e.g. "checkpoints/unet-tiny-fsdd.pt").

    From the repository's book/ folder: the local copy (a path relative to it). Elsewhere: the copy in
    <data home>/shipped/, downloaded from repo_url() and verified against its SHA-256 first."""
    info = recorded(name)
    book = book_folder()
    if book is not None and (book / name).is_file():
        return book / name  # relative to the working directory
    return _fetch(name, info, progress)


def _fetch(name: str, info: dict, progress: bool) -> Path:
    dest = data_home() / "shipped" / name
    url = f"{repo_url()}/book/{name}"
    try:
        return download(url, dest, sha256=info["sha256"], what=f"book/{name} ({info['bytes'] / 1e6:.2f} MB)",
                        progress=progress)
    except OfflineError as exc:
        raise OfflineError(
            f"{name} is shipped with the book but is not here: the working directory ({Path.cwd()}) is not "
            f"the book/ folder of a clone of {REPOSITORY}, {dest} does not exist, and {exc}. Run the notebook "
            f"from the book/ folder of a clone, or copy book/{name} to {dest}, or set SCORELAB_REPO_URL to a "
            "server that has the repository's files") from None


def shipped_folder(name: str, progress: bool = True) -> Path:
    """A shipped folder (e.g. "results/report-tiny" or "checkpoints") with every recorded file in it:
    the repository's book/NAME when the working directory is book/, else its verified copy in the cache."""
    prefix = name.rstrip("/") + "/"
    names = {f: info for f, info in recorded_files().items() if f.startswith(prefix)}
    if not names:
        folders = sorted({f.rsplit("/", 1)[0] for f in recorded_files()})
        raise FileNotFoundError(f"{name!r} is not a folder shipped with the book; shipped folders: {', '.join(folders)}")
    book = book_folder()
    if book is not None and all((book / f).is_file() for f in names):
        return book / name
    for f, info in names.items():
        _fetch(f, info, progress)
    return data_home() / "shipped" / name


def shipped_paths(book: Path) -> dict[str, Path]:
    """Every shipped file under a book/ folder, by its name relative to it."""
    out = {}
    for folder in SHIPPED_FOLDERS:
        for path in sorted((book / folder).rglob("*")):
            parts = path.relative_to(book).parts
            scratch = parts[0] == "results" and len(parts) > 2 and parts[2] in REPORT_SCRATCH
            if path.is_file() and not path.name.startswith(".") and not scratch:
                out["/".join(parts)] = path
    return out


def manifest_of(book: Path) -> dict:
    """The record `shipped_files.json` holds for the files under `book`."""
    return {"repository": REPOSITORY, "ref": REF,
            "files": {name: {"sha256": sha256_of(p), "bytes": p.stat().st_size}
                      for name, p in shipped_paths(book).items()}}


def write_manifest(book: Path) -> dict:
    record = manifest_of(book)
    write_atomic(MANIFEST, lambda tmp: tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n"))
    recorded_files.cache_clear()
    return record



def differences(book: str | os.PathLike) -> dict[str, str]:
    """{file name: "not recorded" | "gone" | "changed"} for every shipped file of the book folder
    that differs from the manifest (empty when all match)."""
    book = Path(book)
    if not (book / "checkpoints").is_dir():
        raise FileNotFoundError(f"{book}: not the book/ folder of a scorelab clone (no checkpoints/ in it); "
                                "pass --book PATH")
    now, stored = manifest_of(book)["files"], recorded_files()
    return {n: "not recorded" if n not in stored else "gone" if n not in now else "changed"
            for n in sorted(set(now) | set(stored)) if now.get(n) != stored.get(n)}
