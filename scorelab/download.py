"""Fetching a file over HTTP(S) with a progress bar, resume, checksum and a clear offline error.

An interrupted download leaves `NAME.part`; the next call asks the server for the remaining
bytes (HTTP Range) and restarts from zero where the server does not support that. The final
name appears only once the file is complete and verified.
"""
from __future__ import annotations

import hashlib
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

from .paths import data_home

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download that could not complete; the message says what to do."""


class OfflineError(DownloadError):
    """The server could not be reached at all."""


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _verify(path: Path, sha256: str | None, url: str) -> None:
    if sha256 is None:
        return
    got = sha256_of(path)
    if got != sha256:
        path.unlink()
        raise DownloadError(
            f"{path}: checksum mismatch for {url} (sha256 {got}, expected {sha256}); "
            "the file was deleted, run the command again to download it afresh"
        )


def _receive(response, part: Path, offset: int, url: str, what: str, bar_name: str | None) -> tuple[int, int | None]:
    """Write the response's body to `part` (appending when the server honoured the range that
    starts at `offset`); (bytes in `part` now, bytes expected in all or None when not said)."""
    if offset and response.status == 206 and response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
        mode = "ab"
    else:  # the server ignored the range: start again
        offset, mode = 0, "wb"
    length = response.headers.get("Content-Length")
    total = offset + int(length) if length is not None else None
    bar = _progress_bar(total, offset, bar_name) if bar_name else None
    written = offset
    try:
        with open(part, mode) as f:
            while block := _read(response, url, what, written):
                f.write(block)
                written += len(block)
                if bar is not None:
                    bar.update(len(block))
    finally:
        if bar is not None:
            bar.close()
    return written, total


def _read(response, url: str, what: str, written: int) -> bytes:
    try:
        return response.read(CHUNK)
    except (OSError, socket.timeout) as exc:
        raise DownloadError(f"{url}: the download of {what} broke off after {written} bytes ({exc}); "
                            "run the same command again to resume") from None


def download(url: str, dest: str | os.PathLike, *, sha256: str | None = None,
             what: str = "the file", manual_hint: str = "", timeout: float = 20.0,
             progress: bool = True) -> Path:
    """Download url to dest (resuming a partial `dest.part`) and return dest.

    An existing dest is verified and reused. Raises OfflineError when the server cannot be
    reached, saying what to download by hand and where to put it.
    """
    dest = Path(dest)
    if dest.exists():
        _verify(dest, sha256, url)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "scorelab"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing left to fetch: the partial file is whole
            _verify(part, sha256, url)
            os.replace(part, dest)
            return dest
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} ({exc.reason}) while "
                            f"fetching {what}") from None
    except (urllib.error.URLError, socket.timeout, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        hint = f" {manual_hint}" if manual_hint else ""
        raise OfflineError(
            f"cannot reach {url} to fetch {what} ({reason}). Without a network, download it "
            f"elsewhere and put it at {dest}.{hint}"
        ) from None

    with response:
        written, total = _receive(response, part, offset, url, what, dest.name if progress else None)
    if total is not None and written != total:
        raise DownloadError(
            f"{url}: the download of {what} stopped at {written} of {total} bytes; "
            "run the same command again to resume"
        )
    _verify(part, sha256, url)
    os.replace(part, dest)
    return dest


def _progress_bar(total, initial, name):
    from tqdm.auto import tqdm  # optional: only for progress bars

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=name, leave=False)


def download_once(url: str, what: str = "the file") -> Path:
    """`url`, downloaded once into <data home>/downloads (resumable, reused after); offline, an
    OfflineError that says to download it by hand and pass its local path instead."""
    name = url.rstrip("/").rsplit("/", 1)[-1] or "download"
    return download(url, data_home() / "downloads" / name, what=what,
                    manual_hint="download it by hand and pass its local path instead")
