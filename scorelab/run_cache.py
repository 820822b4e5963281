"""Work kept on disk, so that what several chapters and tests compute alike is computed once.

Several chapters draw the same clips: chapter 7 compares its variant with chapter 6's guided
ScoreSubnet clips, and chapter 9 scores the guided clips of chapters 5 and 6; chapter 9, the
report and their tests extract the features of the same 2000 reference clips; a chapter run
again as a Colab reader runs it measures the same accuracies. With the environment variable
SCORELAB_RUN_CACHE set to a folder, `scorelab.generate.generate`,
`scorelab.evaluate.reference_features` and `scorelab.classify.accuracy_by_noise` keep what they
compute there and an identical later call, in any process, reads it back. `make test`,
`make book` and `make outputs` point it at a fresh folder for each run, so every run still computes everything once; without the variable nothing
is kept.

The key holds everything that decides the result: the exact weights and settings of the
networks involved, every argument of the call, the data files, the scorelab source code, the
torch version and the CPU's numerical settings (instruction set, thread count, MKL and oneDNN
overrides). Change any of them and the work is done again. A lock file makes a second process
that asks for the same result while the first is still computing it wait instead of doing the
work twice.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import torch

from .checkpoints import save_atomic

ENV = "SCORELAB_RUN_CACHE"
NUMERICS_ENV = ("ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_CBWR",
                "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")


def folder() -> Path | None:
    """The cache folder ($SCORELAB_RUN_CACHE), or None when nothing is kept."""
    value = os.environ.get(ENV)
    return Path(value).expanduser() if value else None


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """sha256 of scorelab's own source files: any change to the code computes again."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def module_digest(module: torch.nn.Module | None) -> str | None:
    """sha256 of a network's exact weights and buffers and of the plain settings (numbers,
    strings, flags) of each of its sub-modules, such as sigma_data or training mode."""
    if module is None:
        return None
    digest = hashlib.sha256()
    for name, sub in module.named_modules():
        settings = {k: v for k, v in vars(sub).items()
                    if not k.startswith("_") and isinstance(v, (bool, int, float, str, tuple, type(None)))}
        digest.update(f"{name}:{type(sub).__qualname__}:{sorted(settings.items())!r}".encode())
    for name, value in module.state_dict().items():
        _add_tensor(digest, value, f"{name}:")
    return digest.hexdigest()


def _add_tensor(digest, tensor: torch.Tensor, prefix: str = "") -> None:
    """Feed a tensor's dtype, shape and exact bytes into a hashlib digest."""
    v = tensor.detach().cpu().contiguous().reshape(-1)
    digest.update(f"{prefix}{v.dtype}:{tuple(tensor.shape)}".encode())
    digest.update(v.view(torch.uint8).numpy().tobytes() if v.numel() else b"")


def tensor_digest(tensor: torch.Tensor | None) -> str | None:
    """sha256 of a tensor's exact values, dtype and shape (data handed to a cached call)."""
    if tensor is None:
        return None
    digest = hashlib.sha256()
    _add_tensor(digest, tensor)
    return digest.hexdigest()


def numerics() -> dict:
    """What decides the last digits of a computation on this machine."""
    return {"torch": torch.__version__, "cpu": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(), "env": {k: os.environ.get(k) for k in NUMERICS_ENV}}


def key(parts: dict) -> str:
    payload = {"parts": parts, "source": source_digest(), "numerics": numerics()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path):
    try:
        import fcntl  # POSIX only
    except ImportError:  # no advisory locks (Windows): two processes may both sample, which is safe
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def disabled():
    """Inside the block nothing is read back or kept: for work that must run, such as a timed or
    counted call (`scorelab.benchmark`)."""
    saved = os.environ.pop(ENV, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[ENV] = saved


def cached(parts: dict | Callable[[], dict], compute: Callable[[], object]):
    """compute(), or what an earlier call with the same `parts` (and the same code, torch and
    CPU settings) stored; plain compute() when no cache folder is set. `parts` may be a function
    that describes the call, so that hashing weights and files is only done when a cache is kept.
    compute returns a tensor, or a dict, list or tuple of tensors (kept on the CPU)."""
    root = folder()
    if root is None:
        return compute()
    parts = parts() if callable(parts) else parts
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{parts.get('what', 'result')}-{key(parts)}.pt"
    with _locked(path.with_suffix(".lock")):
        if path.is_file():
            try:
                return torch.load(path, map_location="cpu", weights_only=True)
            except Exception:  # a damaged cache file is only a cache: make it again
                path.unlink(missing_ok=True)
        value = compute()
        save_atomic(value, path)
        return value
