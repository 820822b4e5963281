"""Checks a chapter makes of its own numbers, with tolerances that hold on every CPU.

A floating-point sum comes out slightly differently on another CPU: PyTorch's kernels, MKL and
oneDNN choose their code paths by instruction set (AVX-512, AVX2, NEON, ...) and thread count,
and each path adds in its own order. The last digits of every computed number therefore move
from machine to machine, and a sampler that integrates a network over a hundred evaluations
carries those differences into every clip it makes. The numbers a reader sees are the same to
the precision that matters, but not always to the last printed digit.

So a chapter prints its numbers for the reader and checks them with `expect_close` against the
values it was written with, within a stated tolerance; nbval compares the printed form only
where it is stable on every CPU. Tolerances are a small multiple of the spread measured across
CPU code paths (`book/_tools/check_spread.py`) and far below what a real change does: another
model, another data split or a broken metric moves these numbers by whole percent or more.

Set SCORELAB_CHECK_LOG to a file and every check appends what it compared to it (one JSON
object a line), which is how the spread across code paths is measured. After an intended change
(a retrained model, a new judge), set SCORELAB_CHECK_LOG_ONLY=1 as well: differences are then
logged and not raised, so one run of a chapter stores its outputs and logs every new value to
write into its checks (the log's records whose "actual" is off "expected" by more than
"tolerance"); it is refused without a log, and `make test` unsets it.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence

import torch

class NumbersDiffer(AssertionError):
    """The numbers a chapter computed are not the ones it was written with."""


def _flatten(value, prefix: str = "") -> dict[str, object]:
    """{"a / b": leaf} for nested mappings and sequences of numbers; a leaf stays as it is."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix} / {key}" if prefix else str(key)))
        return out
    if torch.is_tensor(value) and value.dim() > 0:
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value.item() if torch.is_tensor(value) else value}


def _leaf(name: str) -> str:
    """The last part of a flattened name: "row / fid" -> "fid", "shares[2]" -> "shares"."""
    return name.rsplit(" / ", 1)[-1].split("[", 1)[0]


def _tolerance(tol: float | Mapping[str, float], name: str) -> float:
    if isinstance(tol, Mapping):
        return float(tol.get(_leaf(name), tol.get("*", 0.0)))
    return float(tol)


def _log(records: list[dict]) -> None:
    path = os.environ.get("SCORELAB_CHECK_LOG")
    if path:
        with open(path, "a") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")


def expect_close(actual, expected, *, rel: float | Mapping[str, float] = 0.0,
                 abs: float | Mapping[str, float] = 0.0, what: str = "", device=None) -> None:
    """Raise NumbersDiffer unless every number in `actual` is within abs + rel * |expected| of
    the one in `expected`.

    Both may be numbers, sequences or (nested) mappings; every number in `expected` must be in
    `actual` under the same keys (numbers `actual` has beyond those, such as a clip count, are not
    compared). Strings and other leaves must be equal. `rel` and `abs` are numbers, or mappings
    from the last key of a number's name (such as "accuracy" in {"row": {"accuracy": ...}}) to
    its tolerance, "*" for the rest. `what` names the numbers in the message.

    `device` is where the numbers were computed. The values a chapter states were measured on a
    CPU, and a GPU samples other clips from the same seed, so off the CPU the comparison is shown
    (how many numbers differ) but does not fail.
    """
    got, want = _flatten(actual), _flatten(expected)
    label = f"{what}: " if what else ""
    missing = sorted(want.keys() - got.keys())
    if missing:
        raise NumbersDiffer(f"{label}the computed numbers lack {', '.join(missing)} "
                            f"(computed: {', '.join(sorted(got)) or 'none'})")
    wrong, records = [], []
    for name, e in want.items():
        a = got[name]
        if isinstance(e, (int, float)) and not isinstance(e, bool):
            tol = _tolerance(abs, name) + _tolerance(rel, name) * math.fabs(e)
            ok = isinstance(a, (int, float)) and math.isfinite(a) and math.fabs(a - e) <= tol
            records.append({"what": what, "name": name, "actual": a, "expected": e, "tolerance": tol})
            if not ok:
                wrong.append(f"  {name or 'value'}: {a!r} here, expected {e!r} within ±{tol:.3g}")
        elif a != e:
            wrong.append(f"  {name or 'value'}: {a!r} here, expected {e!r}")
    _log(records)
    if wrong and device is not None and torch.device(device).type != "cpu":
        print(f"{label}computed on {torch.device(device).type}: {len(wrong)} of {len(want)} numbers differ from the "
              "ones this chapter states, which were measured on a CPU (not an error: another device samples "
              "other clips)")
        return
    if wrong and os.environ.get("SCORELAB_CHECK_LOG_ONLY") == "1":
        if not os.environ.get("SCORELAB_CHECK_LOG"):
            raise RuntimeError("SCORELAB_CHECK_LOG_ONLY=1 without SCORELAB_CHECK_LOG: the differences would "
                               "be lost. Set SCORELAB_CHECK_LOG to a file to collect them in.")
        return
    if wrong:
        raise NumbersDiffer(
            f"{label}{len(wrong)} of {len(want)} numbers differ from the ones this chapter was written with "
            "by more than CPU rounding explains:\n" + "\n".join(wrong) + "\nThe model, the data or the "
            "computation has changed. If that change is intended, run the chapter again and write the new "
            "values into this check.")
