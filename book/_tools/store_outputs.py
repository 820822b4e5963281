"""Execute chapter notebooks and store the outputs that nbval compares.

Usage: python book/_tools/store_outputs.py book/01_*.ipynb  (or `make outputs`)

Before storing new outputs, run `make test-portable`: it runs the chapters with other CPU code
paths than this machine's. A printed number that differs there is not stable on every CPU: print
it at the precision its own uncertainty justifies, or check it with
`scorelab.checks.expect_close` and tag its cell `nbval-ignore-output`. `check_spread.py` beside
this file shows how much of each check's tolerance the code paths use.

After a change meant to move a chapter's numbers (a retrained model, a new judge), store and
collect in one run: `SCORELAB_CHECK_LOG=/tmp/checks.jsonl SCORELAB_CHECK_LOG_ONLY=1 make outputs
NOTEBOOKS=...` logs every check's values instead of stopping at the first that differs; write
the logged "actual" values into the checks whose "expected" they miss, then run
`make test-portable` on those chapters.

What is stored: text, tables, the text line of each figure ("<Figure size ... with N Axes>")
the HTML of audio players with the sound replaced by a placeholder, and that of animations with
placeholders for their frames. What is not: images, widget state
(nbval ignores them; the website is rendered from a fresh execution) and audio data (FSDD
recordings, and anything resynthesised from them, must never enter the repository).
"""
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

AUDIO = re.compile(r"data:audio/wav;base64,[A-Za-z0-9+/=]+")
PLACEHOLDER = "data:audio/wav;base64,NOTSTORED"
# frames of an animation (scorelab.display.Animation), inside its HTML
IMAGE = re.compile(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/=\\\s]+")  # base64 lines may end in a backslash
IMAGE_PLACEHOLDER = r"data:image/\1;base64,NOTSTORED"
DROP = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")


def _placeholders(text: str) -> str:
    return IMAGE.sub(IMAGE_PLACEHOLDER, AUDIO.sub(PLACEHOLDER, text))


def clean(nb):
    nb.metadata.pop("widgets", None)  # widget state: the values of a live explorer, images and sound
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)  # timestamps: they would change every stored notebook
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data:
                for key in DROP:
                    data.pop(key, None)
                for key, value in list(data.items()):
                    if isinstance(value, str):
                        data[key] = _placeholders(value)
                    elif isinstance(value, list):
                        data[key] = [_placeholders(v) for v in value]
    return nb


def main(paths):
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        # cells tagged skip-execution (a live widget such as the guidance explorer) are left
        # unrun here, as the website build leaves them
        NotebookClient(nb, timeout=1800, kernel_name="python3", store_widget_state=False,
                       skip_cells_with_tag="skip-execution",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(clean(nb), path)
        size = path.stat().st_size
        print(f"{path}: outputs stored ({size / 1024:.0f} KiB)")
        if re.search(r"base64,(?!NOTSTORED)", path.read_text()):
            raise SystemExit(f"{path}: embedded binary data left in the stored outputs")


if __name__ == "__main__":
    main(sys.argv[1:])
