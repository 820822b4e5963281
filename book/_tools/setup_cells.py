"""Write the setup cell (`scorelab.colab.setup_cell`) at the top of every chapter.

    python book/_tools/setup_cells.py            # rewrite the chapters' setup cells
    python book/_tools/setup_cells.py --check    # exit 1 and name the chapters whose cell differs

The cell is rendered from the package (repository URL and ref in `scorelab.shipped`), so changing
either means running this once; tests/test_notebooks.py fails until then. A chapter that needs a
system tool names it in NEEDS.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from scorelab.colab import SETUP_TAG, setup_cell

BOOK = Path(__file__).resolve().parent.parent
NEEDS = {"01_speech_as_log_mel": ("espeak-ng",)}  # chapter 1 makes the synthetic digits on first use
MARK = setup_cell().splitlines()[0]  # how a setup cell is recognised


def chapters() -> list[Path]:
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def expected(path: Path) -> str:
    return setup_cell(NEEDS.get(path.stem, ()))


def first_code_cell(nb):
    return next(c for c in nb.cells if c.cell_type == "code")


def write(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    cell = first_code_cell(nb)
    want = expected(path)
    if cell.source.startswith(MARK):
        if cell.source == want and SETUP_TAG in cell.metadata.get("tags", []):
            return False
        cell.source = want
    else:
        cell = nbformat.v4.new_code_cell(want)
        nb.cells.insert(nb.cells.index(first_code_cell(nb)), cell)
    cell.metadata["tags"] = sorted(set(cell.metadata.get("tags", [])) | {SETUP_TAG})
    cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
    return True


def differing() -> list[str]:
    out = []
    for path in chapters():
        cell = first_code_cell(nbformat.read(path, as_version=4))
        if cell.source != expected(path) or SETUP_TAG not in cell.metadata.get("tags", []):
            out.append(path.name)
    return out


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        bad = differing()
        print("\n".join(f"{name}: the setup cell differs from scorelab.colab.setup_cell" for name in bad) or
              f"{len(chapters())} chapters open with the setup cell")
        sys.exit(1 if bad else 0)
    for path in chapters():
        print(f"{path.name}: {'written' if write(path) else 'unchanged'}")
