"""Where data, downloads and caches live.

Everything is found from an argument first, then an environment variable, then the data home:
  SCORELAB_DATA     the data home (default ~/.cache/scorelab; `make` sets it to ./data)
  SCORELAB_FSDD     a folder of FSDD recordings ({digit}_{speaker}_{index}.wav)
  SCORELAB_SC09     a Speech Commands folder (one sub-folder per word, split lists)
  SCORELAB_SYNTH    the synthetic spoken digits made by `python -m scorelab data synth`
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


def data_home() -> Path:
    return Path(os.environ.get("SCORELAB_DATA") or Path.home() / ".cache" / "scorelab").expanduser()


def resolve_root(root: str | os.PathLike | None, env: str, default_name: str) -> Path:
    """The folder to read a data set from: the argument, else $env, else data_home()/default_name."""
    if root:
        return Path(root).expanduser()
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    return data_home() / default_name


def cache_dir() -> Path:
    return data_home() / "cache"


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Write a file that is never seen half written, even if the process is killed: `write(tmp)`
    fills a temporary file beside `path` (one name per process, so parallel writers do not
    collide), which is flushed to disk and then renamed onto `path` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
