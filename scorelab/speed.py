"""Sampling at GPU scale: the batch that fits in memory, bf16 autocast of the score network,
torch.compile of its forward passes, the channels-last memory layout and cuDNN's autotuner.

None of these changes what is computed, only how: `generate` takes `batch="auto"`,
`precision="bf16"` and `autotune=True`, and `prepare_for_sampling` compiles and re-lays out a
model (and the classifier that guides it) in place before sampling. Whether each helps is
measured, one at a time, by `scripts/speedups.py`; whether bf16 keeps the samples' quality, by
`scripts/bf16_quality.py` (FID and guided agreement against their seed-to-seed spread).

ScoreSubnet differentiates through its classifier inside every score evaluation (gradient taps,
guidance), so neither can be compiled as one graph: the gradient with respect to a tap needs the
tap to be where autograd can see it. `compile_in_pieces` therefore compiles the classifier
block by block (each tap is a block's output, between two compiled graphs) and ScoreSubnet's own
layers one by one; a U-Net, which never differentiates inside, is compiled whole.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch._functorch.config as functorch_config
from torch import nn

PRECISIONS = ("fp32", "bf16")
CPU_BATCH = 16  # on a CPU larger batches are no faster per clip; memory is not what limits them


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    return precision


def autocast_score(score_fn, device, precision: str = "fp32"):
    """score_fn evaluated under bf16 autocast (`precision="bf16"`), its output back in float32, so
    that the sampler's state and its arithmetic stay in float32; score_fn itself for fp32."""
    if check_precision(precision) == "fp32":
        return score_fn
    device_type = torch.device(device).type

    def score(x, sigma):
        with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            return score_fn(x, sigma).float()

    return score


@contextmanager
def autotuned(enabled: bool = True):
    """cuDNN's autotuner on for the duration (`torch.backends.cudnn.benchmark`): the first
    convolution of each shape times cuDNN's algorithms and keeps the fastest. It pays where
    shapes repeat, as in a sampler's loop or training; the algorithm chosen may differ from run
    to run, and with it the last bits of the results. `enabled=False` leaves the setting as it is."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = before or enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


def batch_that_fits(free_bytes: int, bytes_per_clip: float, n: int, fraction: float = 0.8, multiple: int = 8) -> int:
    """The largest batch (at most n, a multiple of `multiple` when above it) whose memory,
    `bytes_per_clip` each, fits in `fraction` of `free_bytes`."""
    if bytes_per_clip <= 0:
        raise ValueError(f"bytes per clip must be positive, got {bytes_per_clip}")
    fits = int(fraction * free_bytes // bytes_per_clip)
    if fits >= n:
        return n
    if fits < 1:
        raise MemoryError(f"one clip needs {bytes_per_clip / 2 ** 20:.0f} MiB but only {free_bytes / 2 ** 20:.0f} MiB "
                          "of device memory is free; free memory or sample on the CPU")
    return fits if fits < multiple else fits - fits % multiple


def auto_batch(evaluate_batch, n: int, device, probe: int = 8, fraction: float = 0.8) -> int:
    """The batch to sample n clips in on `device`: on CUDA the largest that fits in memory, from
    the peak memory of one score evaluation at batch `probe` (`evaluate_batch(probe)`); on a CPU
    `CPU_BATCH`."""
    device = torch.device(device)
    if device.type != "cuda":
        return min(n, CPU_BATCH)
    probe = min(probe, n)
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    evaluate_batch(probe)
    torch.cuda.synchronize(device)
    per_clip = (torch.cuda.max_memory_allocated(device) - before) / probe
    free, _ = torch.cuda.mem_get_info(device)
    return batch_that_fits(free, per_clip, n, fraction)


def _compile_parts(module: nn.Module, skip: tuple[nn.Module, ...], backend: str) -> int:
    """Compile each child of `module` (the children of a ModuleList, which is not called, one by
    one), except those in `skip`. Returns how many modules were compiled."""
    count = 0
    for child in module.children():
        if any(child is s for s in skip):
            continue
        if isinstance(child, nn.ModuleList):
            count += _compile_parts(child, skip, backend)
        else:
            child.compile(backend=backend)
            count += 1
    return count


def compile_in_pieces(model: nn.Module, classifier: nn.Module | None = None, backend: str = "inductor") -> int:
    """torch.compile the score model (and the guiding classifier) in place, in the pieces that
    differentiation inside a score evaluation allows (see the module's docstring): for sampling,
    and for training a ScoreSubnet (`train.train` with compile). Weights and state dicts are
    unchanged. Returns the number of compiled modules."""
    backbone = getattr(model, "backbone", model)
    inner = getattr(backbone, "classifier", None)
    # the gradient taps and the guidance gradient are two backward passes through one classifier
    # graph (retain_graph), which compiled backwards that donate their buffers refuse
    functorch_config.donated_buffer = False
    count = 0
    for c in {id(c): c for c in (classifier, inner) if c is not None}.values():
        count += _compile_parts(c, (), backend)
    if inner is None and all(getattr(m, "compilable", True) for m in model.modules()):
        model.compile(backend=backend)
        return count + 1
    return count + _compile_parts(backbone, (inner,), backend)


def to_channels_last(*modules: nn.Module | None) -> None:
    """Store the 2-d convolutions' weights channels-last (NHWC), the layout tensor cores read;
    activations follow them through the network."""
    for m in modules:
        if m is not None:
            m.to(memory_format=torch.channels_last)


def prepare_for_sampling(model: nn.Module, classifier: nn.Module | None = None, *, compile: bool = False,
                         channels_last: bool = False, backend: str = "inductor") -> None:
    """Apply `to_channels_last` and `compile_in_pieces` to a model and its guiding classifier,
    as asked (both in place)."""
    if channels_last:
        to_channels_last(model, classifier)
    if compile:
        compile_in_pieces(model, classifier, backend)
