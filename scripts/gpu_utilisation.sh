#!/usr/bin/env bash
# Issue 19 on one GPU: `python -m scorelab benchmark` of the paper profile, one model at a time
# (a timeout keeps the others), each row with its counted FLOPs, achieved TFLOP/s and share of
# the device's peak; the rows are merged into $OUT/benchmark-paper-gpu.json, the form of
# book/results/benchmark-paper-h200.json. Try it on a CPU first:
#   OUT=/tmp/o PROFILE_B=micro DEVICE=cpu BENCH_STEPS=1 bash scripts/gpu_utilisation.sh
# On a lent GPU (torch 2.11 on the H200; at most 440 s, the sum of the timeouts below):
#   OUT=$OUT bash scripts/gpu_utilisation.sh
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
BENCH_STEPS=${BENCH_STEPS:-10}; DEVICE=${DEVICE:-cuda}; PROFILE_B=${PROFILE_B:-paper}
mkdir -p "$OUT/logs"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }
(nvidia-smi || true) >"$OUT/nvidia-smi.txt" 2>&1
python -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name())" \
    >"$OUT/env.txt" 2>&1
el "env: $(tail -1 "$OUT/env.txt")"
for mt in classifier:110 unet:150 subnet:90 subnet-gradtaps:90; do
  m=${mt%%:*}
  timeout "${mt##*:}" python -m scorelab benchmark --profile "$PROFILE_B" --models "$m" --steps "$BENCH_STEPS" \
      --device "$DEVICE" --json >"$OUT/bench-$m.json" 2>"$OUT/logs/bench-$m.err"
  el "benchmark $m rc=$?"
done
python - "$OUT" "$PROFILE_B" <<'PY'
import json, sys
from pathlib import Path

from scorelab import get_profile
from scorelab.benchmark import KINDS, format_estimate

out, profile = Path(sys.argv[1]), sys.argv[2]
rows, train_steps = [], None
for name in KINDS:
    path = out / f"bench-{name}.json"
    try:
        part = json.loads(path.read_text())
    except (OSError, ValueError):
        print(f"{path}: no result (see logs/bench-{name}.err)")
        continue
    rows += part["rows"]
    train_steps = part["train_steps"]
(out / f"benchmark-{profile}-gpu.json").write_text(json.dumps({"profile": profile, "train_steps": train_steps,
                                                               "rows": rows}, indent=1))
print(format_estimate(rows, get_profile(profile)))
PY
el "merged into $OUT/benchmark-$PROFILE_B-gpu.json"
