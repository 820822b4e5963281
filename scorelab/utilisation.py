"""How much of a device's arithmetic a timed step uses.

Work is counted, not assumed: `compute.count_flops` runs a call under scorelab's own FLOP counter
(`compute.CountFlops`, the formulas of `torch.utils.flop_counter`, backward passes included).
Divided by a measured time it gives the achieved TFLOP/s, which `device_peaks` sets against the
device's peak for the precision it ran in (bf16 under autocast; tf32 for float32 convolutions on
a CUDA GPU, as cuDNN runs them by default; fp32 otherwise): the dense (no structured sparsity)
figures of a known GPU's data sheet, or, for any other device (a CPU, an unknown GPU), the rate
of a large matrix product measured on it. A fraction of a data-sheet peak is an upper bound on what is left to gain; a
fraction of a measured matmul says how far a model is from the device's best case for its dtype.
"""
from __future__ import annotations

import re
import time

import torch


# Dense TFLOP/s from NVIDIA's data sheets (SXM forms unless named): bf16 and tf32 on tensor
# cores, fp32 without them. None: the GPU has no such tensor cores. Matched against torch's
# device name.
KNOWN_PEAKS: dict[str, dict[str, float | None]] = {
    r"\bH200\b": {"bf16": 989.0, "tf32": 495.0, "fp32": 67.0},
    r"\bH100\b.*\bPCIe\b": {"bf16": 756.0, "tf32": 378.0, "fp32": 51.0},
    r"\bH100\b": {"bf16": 989.0, "tf32": 495.0, "fp32": 67.0},
    r"\bA100\b": {"bf16": 312.0, "tf32": 156.0, "fp32": 19.5},
    r"\bL4\b": {"bf16": 121.0, "tf32": 60.0, "fp32": 30.3},
    r"\bT4\b": {"bf16": None, "tf32": None, "fp32": 8.1},
    r"\bV100\b": {"bf16": None, "tf32": None, "fp32": 15.7},
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measured_matmul_tflops(device="cpu", dtype=torch.float32, size: int | None = None,
                           seconds: float = 0.5) -> float:
    """TFLOP/s of size x size matrix products in `dtype` on `device`, timed for about `seconds`
    after one untimed product (default size: 8192 on a GPU; on a CPU 1024 in fp32 and 256 in other
    dtypes, which most CPUs multiply hundreds of times more slowly)."""
    device = torch.device(device)
    size = size or (8192 if device.type == "cuda" else 1024 if dtype == torch.float32 else 256)
    gen = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, generator=gen).to(dtype)
    b = torch.randn(size, size, device=device, generator=gen).to(dtype)
    a @ b
    _sync(device)
    products, started = 0, time.perf_counter()
    while True:  # one product at a time: a dtype the device is slow at (bf16 on most CPUs) stops early
        a @ b
        products += 1
        _sync(device)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return products * 2 * size ** 3 / elapsed / 1e12


def known_peaks(device_name: str) -> dict[str, float | None] | None:
    """The data-sheet peaks of a GPU named `device_name` (as torch.cuda.get_device_name gives it),
    or None when it is not in KNOWN_PEAKS."""
    for pattern, peaks in KNOWN_PEAKS.items():
        if re.search(pattern, device_name):
            return dict(peaks)
    return None


def device_peaks(device="cpu", measure=measured_matmul_tflops) -> dict:
    """{"bf16", "tf32", "fp32": TFLOP/s or None, "source": where they come from} for `device`:
    a known GPU's data sheet, else matrix products measured on it (no tf32 figure then)."""
    device = torch.device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        peaks = known_peaks(name)
        if peaks is not None:
            return {**peaks, "source": f"data sheet ({name}, dense)"}
    return {"bf16": measure(device, torch.bfloat16), "tf32": None, "fp32": measure(device, torch.float32),
            "source": "measured matrix products on this device"}


def float_precision(device) -> str:
    """What float32 convolutions run in on `device`: "tf32" on a CUDA GPU where cuDNN may use
    TF32 tensor cores (PyTorch's default), else "fp32"."""
    cuda = torch.device(device).type == "cuda"
    return "tf32" if cuda and torch.backends.cudnn.allow_tf32 else "fp32"


def utilisation(flops: float, seconds: float, peak_tflops: float | None) -> dict:
    """{"tflops": achieved TFLOP/s, "of_peak": fraction of `peak_tflops` (None without a peak)}."""
    if seconds <= 0:
        raise ValueError(f"utilisation needs a positive time, got {seconds} s")
    achieved = flops / seconds / 1e12
    return {"tflops": achieved, "of_peak": achieved / peak_tflops if peak_tflops else None}
