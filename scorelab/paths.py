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
