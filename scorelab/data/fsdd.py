"""The Free Spoken Digit Dataset (Jackson et al., CC BY-SA 4.0): real English digits at 8 kHz,
resampled to 16 kHz on reading.

Files are `{digit}_{speaker}_{index}.wav`, index 0..49. The dataset's own split puts indices
0-4 in the test split; scorelab carves validation from the rest: indices 5-9 validate, 10-49
train, so every split holds every speaker and every digit.
"""
from __future__ import annotations

import os
import re
import shutil
import tarfile
import warnings
from pathlib import Path

from ..config import DIGITS
from ..download import download
from ..paths import data_home, resolve_root
from .base import Clip, ClipDataset, check_split, drop_unreadable

FSDD_URL = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")
SPLIT_INDICES = {"test": range(0, 5), "validation": range(5, 10), "train": range(10, 10**9)}


def default_fsdd_root() -> Path:
    return resolve_root(None, "SCORELAB_FSDD", "fsdd/recordings")


def fsdd(root: str | os.PathLike | None = None, split: str = "train",
         labels: tuple[str, ...] | list[str] = DIGITS, download: bool = False) -> ClipDataset:
    """FSDD clips of one split. `labels` picks digit words (label i is labels[i]).

    root: a folder of FSDD recordings; default $SCORELAB_FSDD, else <data home>/fsdd/recordings,
    downloaded there when `download=True` and nothing is found.
    """
    check_split(split)
    root = Path(root) if root else default_fsdd_root()
    if not root.is_dir() or not any(root.glob("*.wav")):
        if download:
            root = download_fsdd(root)
        else:
            raise FileNotFoundError(
                f"no FSDD recordings at {root}. Run `python -m scorelab data fsdd --download` "
                "(needs the internet), or set SCORELAB_FSDD to a folder of "
                "{digit}_{speaker}_{index}.wav files"
            )
    unknown = [w for w in labels if w not in DIGITS]
    if unknown:
        raise ValueError(f"FSDD holds the digits {', '.join(DIGITS)}; not {', '.join(unknown)}")
    wanted = {DIGITS.index(w): i for i, w in enumerate(labels)}
    indices = SPLIT_INDICES[split]
    chosen, strangers = [], []
    for path in sorted(root.glob("*.wav")):
        m = FSDD_NAME.match(path.name)
        if not m:
            strangers.append(path.name)
            continue
        digit, index = int(m.group(1)), int(m.group(3))
        if digit in wanted and index in indices:
            chosen.append(path)
    if strangers:
        warnings.warn(f"{root}: ignored {len(strangers)} file(s) not named "
                      f"{{digit}}_{{speaker}}_{{index}}.wav: {', '.join(strangers[:10])}",
                      UserWarning, stacklevel=2)
    good = drop_unreadable(chosen, root)
    clips = [Clip(p, wanted[int(p.name[0])]) for p in good]
    return ClipDataset(clips, tuple(labels), split, "fsdd", root)


def speaker_of(path: str | os.PathLike) -> str:
    """The speaker of an FSDD file named {digit}_{speaker}_{index}.wav."""
    m = FSDD_NAME.match(Path(path).name)
    if not m:
        raise ValueError(f"{path}: not an FSDD file name ({{digit}}_{{speaker}}_{{index}}.wav)")
    return m.group(2)


def speakers(ds: ClipDataset) -> list[str]:
    """The speakers present in an FSDD data set, sorted."""
    return sorted({speaker_of(p) for p in ds.files})


def download_fsdd(root: str | os.PathLike | None = None, url: str = FSDD_URL) -> Path:
    """Fetch the public FSDD release archive and put its recordings into root
    (default <data home>/fsdd/recordings; $SCORELAB_FSDD is never a download target).

    A root that already holds recordings is left untouched and returned: a download never
    deletes or overwrites files. GitHub source archives are not byte-stable, so no checksum is
    pinned; the extracted files are checked instead (readable audio with FSDD names).
    """
    root = Path(root) if root else data_home() / "fsdd" / "recordings"
    if root.is_dir() and any(root.glob("*.wav")):
        return root
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(
            f"{root} holds files but no recordings; choose an empty or new folder for FSDD"
        )
    archive = data_home() / "downloads" / "fsdd-v1.0.10.tar.gz"
    download(url, archive, what="the Free Spoken Digit Dataset (about 10 MB)",
             manual_hint="Or set SCORELAB_FSDD to a folder of FSDD recordings you already have.")
    staging = root.with_name(root.name + ".extracting")
    shutil.rmtree(staging, ignore_errors=True)  # left over from an interrupted extraction
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar if m.isfile() and "/recordings/" in m.name
                   and FSDD_NAME.match(Path(m.name).name)]
        for m in members:
            m.name = Path(m.name).name
        if not members:
            raise FileNotFoundError(f"{archive}: no recordings/ folder inside; is it FSDD?")
        tar.extractall(staging, members=members, filter="data")
    drop_unreadable(sorted(staging.glob("*.wav")), staging)
    if root.exists():
        root.rmdir()  # empty, checked above
    root.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, root)
    return root
