"""The summary of a `scripts/gpu_speed.sh` run, from the JSON it left in its folder: the benchmark
with DiffWave beside it, what each sampling and training option gave, the evaluation sets sampled
whole and bf16's quality check. A file that is missing (a step that ran out of time or was not
run) is named, and the rest printed.

    python scripts/speed_summary.py OUT [BEFORE]

The benchmark is read from OUT/benchmark*.json (one file per call, their rows joined); where
there is none, the figures each evaluation set is set against come from BEFORE, an earlier
`benchmark --json` of the same profile on the same device (book/results/benchmark-paper-h200.json).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from scorelab import get_profile
from scorelab.benchmark import format_estimate, format_peers, format_speedups, format_training_speedups, peer_rows


def load(out: Path, file: str):
    """The JSON a step left in `out/file`, or None, named as missing (a step stopped by its time
    limit leaves no file, or an empty one)."""
    try:
        return json.loads((out / file).read_text())
    except (OSError, ValueError):
        print(f"{file}: no result (see {out}/logs)\n")
        return None


def benchmark(out: Path) -> dict | None:
    """The benchmark calls' JSON in `out` joined: every call's rows, and DiffWave's row (from the
    call that timed it) set beside all of them."""
    parts = [part for file in sorted(out.glob("benchmark*.json")) if (part := load(out, file.name))]
    if not parts:
        print(f"benchmark*.json: no result (see {out}/logs)\n")
        return None
    joined = {"profile": parts[0]["profile"], "rows": [r for part in parts for r in part["rows"]]}
    timed_peer = next((part for part in parts if "peer" in part), None)
    if timed_peer:
        joined.update(peer=timed_peer["peer"], vocoder_macs_per_second=timed_peer["vocoder_macs_per_second"],
                      peers=peer_rows(joined["rows"], timed_peer["peer"], get_profile(joined["profile"])))
    return joined


def main(out: Path, before_file: Path | None = None) -> None:
    bench = benchmark(out)
    if bench:
        print(format_estimate(bench["rows"], get_profile(bench["profile"])), "\n")
        if "peers" in bench:
            print(format_peers(bench["peers"], bench["vocoder_macs_per_second"]), "\n")
    elif before_file and before_file.is_file():
        bench = json.loads(before_file.read_text())
        print(f"the evaluation sets are set against {before_file}\n")
    before = {r["model"]: r for r in (bench or {}).get("rows", [])}
    if (s := load(out, "sampling-speedups.json")):
        print(format_speedups(s["rows"]), "\n")
    if (t := load(out, "training-speedups.json")):
        print(format_training_speedups(t["rows"]), "\n")
    for r in [row for m in ("subnet", "unet") for c in ("", "-compiled")
              for row in (load(out, f"evalset-{m}{c}.json") or {}).get("rows", [])]:
        notes = f"; compile failed: {r['compile_error']}" if "compile_error" in r else ""
        how = "compiled, " * bool(r.get("compile")) + f"batch {r['batch']}" + ", bf16" * (r.get("precision") == "bf16")
        was = before.get(r["model"])
        if was and "sample_s_per_clip" in was:  # the benchmark's projection: batch as benchmarked, float32
            then = r["clips"] * was["sample_s_per_clip"]
            notes += f"; before: {then:.0f} s projected at batch {was['sample_batch']}, {then / r['seconds']:.1f}x"
        print(f"{r['model']}: {r['clips']} guided clips whole in {r['seconds']:.1f} s ({how}{notes})")
    for v in (load(out, "bf16-quality.json") or {}).get("verdicts", []):
        print(f"{v['model']} {v['metric']}: fp32 {v['fp32_mean']:.3f} (spread {v['fp32_spread']:.3f}), "
              f"bf16 {v['bf16_mean']:.3f}: {'within' if v['within'] else 'OUTSIDE'}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(f"usage: {__doc__.split(chr(10) * 2)[1].strip()}")
    main(*map(Path, sys.argv[1:]))
