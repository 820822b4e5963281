"""The setup cell every chapter opens with, so that a chapter runs where a reader opens it.

On Colab or in a fresh Jupyter, scorelab is not importable: the cell installs it from the
repository (`scorelab.shipped.REPOSITORY` at `REF`; pip keeps the torch and torchaudio already
there, which satisfy scorelab's requirements) and `prepare` installs the system tools a chapter
needs. Where scorelab is installed (`make lab`, CI), the import succeeds and `prepare` finds
everything present: the cell does nothing.

The cell's text is rendered here (`setup_cell`) and written into the notebooks by
`book/_tools/setup_cells.py`; a test fails when a chapter's first code cell differs from it.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from .shipped import REF, REPOSITORY

SETUP_TAG = "hide-input"  # the website shows the cell folded
TOOLS = {"espeak-ng": "espeak-ng"}  # what `prepare` can install: command -> Debian package


def install_requirement() -> str:
    """What pip installs where scorelab is missing."""
    return f"scorelab @ git+{REPOSITORY}@{REF}"


def setup_cell(needs: tuple[str, ...] = ()) -> str:
    """The source of a chapter's first code cell; `needs` names system tools from TOOLS."""
    unknown = [n for n in needs if n not in TOOLS]
    if unknown:
        raise ValueError(f"prepare cannot install {', '.join(unknown)}; it knows {', '.join(TOOLS)}")
    call = f"scorelab.colab.prepare({', '.join(map(repr, needs))})" if needs else "scorelab.colab.prepare()"
    return "\n".join([
        "# Setup: where scorelab is missing (Colab, a fresh Jupyter) this installs it, keeping the",
        "# torch already there; where it is installed (make lab, CI) nothing happens.",
        "try:",
        "    import scorelab",
        "except ImportError:",
        f'    %pip install -q "{install_requirement()}"',
        "    import scorelab",
        "import scorelab.colab",
        call,
    ])


def prepare(*needs: str) -> None:
    """Make sure the system tools in `needs` are there, installing them with apt-get where that is
    allowed (Colab runs as root); otherwise say how to install them."""
    for tool in needs:
        if tool not in TOOLS:
            raise ValueError(f"prepare cannot install {tool}; it knows {', '.join(TOOLS)}")
        if shutil.which(tool):
            continue
        package = TOOLS[tool]
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        if root and shutil.which("apt-get"):
            print(f"installing {package} with apt-get ...")
            subprocess.run(["apt-get", "-qq", "update"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "-qq", "install", "-y", package], check=True, stdout=subprocess.DEVNULL)
        if not shutil.which(tool):
            raise RuntimeError(f"this chapter needs {tool}, which is not installed; install it with "
                               f"`sudo apt-get install {package}` (Debian, Ubuntu) or `brew install {package}` (macOS), "
                               "then run the cell again")
