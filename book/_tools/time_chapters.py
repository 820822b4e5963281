"""Run chapters top to bottom and print how long each takes on this machine's device.

    python book/_tools/time_chapters.py                  # every chapter, from book/
    SCORELAB_DEVICE=cuda python book/_tools/time_chapters.py book/05_*.ipynb

Each chapter runs in a fresh kernel from the book/ folder (shipped files read locally), outputs
are not written back. The table printed at the end gives the device, the wall time and the first
error of each chapter; a chapter that fails still reports how far it got.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

BOOK = Path(__file__).resolve().parent.parent


def main(paths: list[str]) -> int:
    import torch

    from scorelab.devices import default_device

    device = default_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    chapters = [Path(p) for p in paths] or sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
    rows, failed = [], 0
    for path in chapters:
        nb = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        error = ""
        try:
            NotebookClient(nb, timeout=3600, kernel_name="python3",
                           resources={"metadata": {"path": str(BOOK)}}).execute()
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1][:160]
            failed += 1
        rows.append((path.name, time.perf_counter() - started, error))
        print(f"{path.name}: {rows[-1][1]:.0f} s{' FAILED: ' + error if error else ''}", flush=True)
    print(f"\n| chapter | seconds on {device.type} ({name}) | error |\n|---|---|---|")
    for chapter, seconds, error in rows:
        print(f"| {chapter} | {seconds:.0f} | {error} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
