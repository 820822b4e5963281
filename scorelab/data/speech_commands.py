"""Speech Commands v0.02 (Warden, 2018) and any label subset of it; SC09 is the ten digits.

Layout: ROOT/WORD/SPEAKERHASH_nohash_N.wav, plus ROOT/validation_list.txt and
ROOT/testing_list.txt naming the validation and test files as "WORD/FILE.wav"; every other file
of a word is in the training split. The synthetic digits (`scorelab.data.synth`) use the same
layout, so this loader reads both.
"""
from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from ..config import DIGITS
from ..download import download
from ..paths import data_home, resolve_root
from .base import Clip, ClipDataset, check_split, drop_unreadable

SPEECH_COMMANDS_URL = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"
SPEECH_COMMANDS_SHA256 = "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58"
SPLIT_LISTS = {"validation": "validation_list.txt", "test": "testing_list.txt"}


def _read_list(root: Path, name: str) -> set[str]:
    path = root / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: a Speech Commands folder needs validation_list.txt and "
            "testing_list.txt beside the word folders (they define the splits). Extract the "
            "whole archive, or make the folder with `python -m scorelab data sc09 --download`"
        )
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def speech_commands(root: str | os.PathLike | None = None, split: str = "train",
                    labels: tuple[str, ...] | list[str] = DIGITS, source: str = "speech_commands",
                    env: str = "SCORELAB_SC09", default_name: str = "sc09") -> ClipDataset:
    """The clips of `labels` in a Speech Commands-style folder, for one split."""
    check_split(split)
    root = resolve_root(root, env, default_name)
    if not root.is_dir():
        make = (f"Make it with `python -m scorelab data synth --out {root}`" if source == "synth"
                else f"Download SC09 with `python -m scorelab data sc09 --download --root {root}`")
        raise FileNotFoundError(
            f"no {'synthetic digits' if source == 'synth' else 'Speech Commands folder'} at "
            f"{root}. {make}, or set {env} to a folder holding one sub-folder per word and the "
            "two split lists"
        )
    labels = tuple(labels)
    missing = [w for w in labels if not (root / w).is_dir()]
    if missing:
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise FileNotFoundError(
            f"{root}: no folder for label(s) {', '.join(missing)}; the folders present are "
            f"{', '.join(present) or 'none'}"
        )
    listed = {s: _read_list(root, name) for s, name in SPLIT_LISTS.items()}
    held_out = listed["validation"] | listed["test"]
    chosen = {}
    for index, word in enumerate(labels):
        for f in sorted((root / word).glob("*.wav")):
            name = f"{word}/{f.name}"
            if (name not in held_out) if split == "train" else (name in listed[split]):
                chosen[f] = index
    clips = [Clip(p, chosen[p]) for p in drop_unreadable(list(chosen), root)]
    return ClipDataset(clips, labels, split, source, root)


def sc09(root=None, split="train", labels=DIGITS) -> ClipDataset:
    """SC09: the digit words of Speech Commands v0.02 (or a subset of them)."""
    return speech_commands(root, split, labels, source="sc09")


def download_speech_commands(root: str | os.PathLike | None = None,
                             labels: tuple[str, ...] | list[str] = DIGITS,
                             url: str = SPEECH_COMMANDS_URL,
                             sha256: str | None = SPEECH_COMMANDS_SHA256,
                             keep_archive: bool = True) -> Path:
    """Fetch the official archive (about 2.3 GB; resumable, sha256-verified) and extract only
    the folders of `labels` and the split lists into root. Returns root."""
    root = resolve_root(root, "SCORELAB_SC09", "sc09")
    archive = data_home() / "downloads" / Path(url).name
    download(url, archive, sha256=sha256, what="the Speech Commands v0.02 archive (about 2.3 GB)",
             manual_hint=f"Then run `python -m scorelab data sc09 --download --root {root}` "
                         "again: it extracts from the archive without the network.")
    extract_words(archive, root, labels)
    if not keep_archive:
        archive.unlink()
    return root


def extract_words(archive: str | os.PathLike, root: str | os.PathLike,
                  labels: tuple[str, ...] | list[str]) -> Path:
    """Extract the folders of `labels` and the two split lists from a Speech Commands archive.

    Word folders and lists that already exist in root are kept as they are (nothing is ever
    overwritten). Files go to a temporary folder first and are moved into place word by word,
    so an interrupted extraction never leaves a half-filled word folder behind.
    """
    root = Path(root)
    wanted = {w for w in labels if not (root / w).is_dir()}
    lists = {n for n in SPLIT_LISTS.values() if not (root / n).is_file()}
    if not wanted and not lists:
        return root
    staging = root.with_name(root.name + ".extracting")
    _remove_tree(staging)  # left over from an interrupted extraction
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        members = []
        for m in tar:
            name = m.name[2:] if m.name.startswith("./") else m.name
            top = name.split("/", 1)[0]
            if (m.isfile() and top in wanted and name.endswith(".wav")) or name in lists:
                m.name = name
                members.append(m)
        tar.extractall(staging, members=members, filter="data")
    for name in sorted(lists):
        if not (staging / name).is_file():
            raise FileNotFoundError(f"{archive}: the archive holds no {name}; is it Speech Commands?")
        os.replace(staging / name, root / name)
    for word in sorted(wanted):
        if not (staging / word).is_dir():
            raise FileNotFoundError(f"{archive}: the archive holds no folder {word!r}")
        os.replace(staging / word, root / word)
    _remove_tree(staging)
    return root


def _remove_tree(path: Path) -> None:

    shutil.rmtree(path, ignore_errors=True)
