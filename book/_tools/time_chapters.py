"""Run chapters top to bottom and print how long each takes on this machine's device.

    python book/_tools/time_chapters.py                  # every chapter, from book/
    SCORELAB_DEVICE=cuda python book/_tools/time_chapters.py book/05_*.ipynb
    python book/_tools/time_chapters.py --alone          # as a Colab reader runs them

Each chapter runs in a fresh kernel, outputs are not written back. By default it runs from the
book/ folder (shipped files read locally). With --alone it runs as a reader outside the
repository does: the notebook copied alone into an empty folder, HOME an empty folder, and the
repository's files served over HTTP on 127.0.0.1 (SCORELAB_REPO_URL), so the table also gives
the shipped files each chapter fetched and their size, and whether it trained anything. (FSDD
still comes from $SCORELAB_FSDD where that is set: a reader's run downloads it.)

The table printed at the end gives the device, the wall time and the first error of each
chapter; a chapter that fails still reports how far it got.
"""
from __future__ import annotations

import functools
import http.server
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

BOOK = Path(__file__).resolve().parent.parent
ROOT = BOOK.parent


class RepositoryServer:
    """The repository's files over HTTP on 127.0.0.1, as raw.githubusercontent.com serves a ref;
    `requests` lists the paths asked for."""

    def __init__(self, root: Path = ROOT):
        self.requests: list[str] = []
        handler = functools.partial(_QuietHandler, directory=str(root), log=self.requests)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, log=None, **kwargs):
        self.log = log
        super().__init__(*args, **kwargs)

    def log_message(self, fmt, *args):
        self.log.append(self.path)


def run(path: Path, folder: Path) -> str:
    """Execute one chapter with `folder` as its working directory; '' or the first error line."""
    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, timeout=3600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    except CellExecutionError as exc:
        return str(exc).strip().splitlines()[-1][:160]
    return ""


def run_alone(path: Path, server: RepositoryServer) -> tuple[str, dict[str, int], bool]:
    """Execute one chapter as a Colab reader: (error, {shipped file: bytes fetched}, trained?)."""
    from scorelab.shipped import recorded_files

    with tempfile.TemporaryDirectory() as scratch:
        home, work = Path(scratch) / "home", Path(scratch) / "work"
        home.mkdir()
        work.mkdir()
        nbformat.write(nbformat.read(path, as_version=4), work / path.name)
        saved = dict(os.environ)
        os.environ.update(HOME=str(home), SCORELAB_REPO_URL=server.url)
        for var in ("SCORELAB_DATA", "SCORELAB_SYNTH", "SCORELAB_RUN_CACHE", "SCORELAB_EVAL_CLASSIFIER"):
            os.environ.pop(var, None)
        try:
            error = run(work / path.name, work)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        cache = home / ".cache" / "scorelab" / "shipped"
        fetched = {name: (cache / name).stat().st_size for name in recorded_files() if (cache / name).is_file()}
        return error, fetched, (work / "runs").exists()


def main(args: list[str]) -> int:
    import torch

    from scorelab.devices import default_device

    alone = "--alone" in args
    paths = [a for a in args if a != "--alone"]
    device = default_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    chapters = [Path(p).resolve() for p in paths] or sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
    server = RepositoryServer() if alone else None
    rows, failed = [], 0
    try:
        for path in chapters:
            started = time.perf_counter()
            if alone:
                error, fetched, trained = run_alone(path, server)
                if trained:
                    error = error or "trained a model (runs/ appeared)"
            else:
                error, fetched = run(path, BOOK), {}
            failed += bool(error)
            rows.append((path.name, time.perf_counter() - started, fetched, error))
            print(f"{path.name}: {rows[-1][1]:.0f} s{' FAILED: ' + error if error else ''}", flush=True)
    finally:
        if server:
            server.stop()
    where = "alone, files fetched over HTTP" if alone else "from book/"
    print(f"\n| chapter | seconds on {device.type} ({name}), {where} | shipped files fetched | MB | error |")
    print("|---|---|---|---|---|")
    for chapter, seconds, fetched, error in rows:
        files, megabytes = (len(fetched), f"{sum(fetched.values()) / 1e6:.2f}") if alone else ("-", "-")
        print(f"| {chapter} | {seconds:.0f} | {files} | {megabytes} | {error} |")
    if alone:
        for chapter, _, fetched, _ in rows:
            print(f"{chapter}: " + ", ".join(f"{n} ({b / 1e6:.2f} MB)" for n, b in sorted(fetched.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
