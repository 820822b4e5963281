#!/usr/bin/env bash
# Issue 19 on one GPU, every measurement in under 8 minutes (the sum of the timeouts: 480 s):
#   1. the paper-profile benchmark of ScoreSubnet and the U-Net with DiffWave beside them (--peer): FLOPs,
#      TFLOP/s and share of the peak per row, with today's defaults ("before");
#   2. guided sampling, each option alone and all together (scripts/speedups.py sampling);
#   3. training, each option alone and all together (scripts/speedups.py training);
#   4. 2048 guided paper-profile clips sampled whole, ScoreSubnet then U-Net + Classifier, with
#      the automatic batch, bf16 and compile (the goal: under 60 s each);
#   5. bf16 against float32 on the shipped tiny models: FID and guided agreement over 3 seeds.
# Everything lands in $OUT (JSON and logs); a step that runs out of time keeps its finished rows.
# Try it on a CPU first (minutes, with the micro profile):
#   OUT=/tmp/o DEVICE=cpu PROFILE_B=micro CLIPS=64 SAMPLE_BATCH=1 QUALITY_CLIPS=2 bash scripts/gpu_speed.sh
# On a lent GPU (torch 2.11 on the H200), carrying .whl (soundfile and its cffi) and .fsdd (the
# FSDD recordings; make them with `pip download soundfile cffi pycparser --only-binary :all:
# --python-version 3.12 -d .whl` and `cp -r $SCORELAB_FSDD .fsdd`): OUT=$OUT bash scripts/gpu_speed.sh
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
DEVICE=${DEVICE:-cuda}; PROFILE_B=${PROFILE_B:-paper}; CLIPS=${CLIPS:-2048}; QUALITY_CLIPS=${QUALITY_CLIPS:-100}
SAMPLE_BATCH=${SAMPLE_BATCH:-16}  # the "before" benchmark samples (and times DiffWave) in batches of 16, as report does
mkdir -p "$OUT/logs"
# the lent GPU machine lacks soundfile (FSDD is read for step 5): wheels carried in .whl, FSDD in .fsdd
if [ -d .whl ] && ! python -c "import soundfile" 2>/dev/null; then
  pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl >"$OUT/logs/pip.log" 2>&1
fi
export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH} SCORELAB_FSDD=${SCORELAB_FSDD:-$PWD/.fsdd}
export TORCHINDUCTOR_CACHE_DIR=${TORCHINDUCTOR_CACHE_DIR:-$OUT/../inductor-cache}  # compiled kernels reused across steps
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }
(nvidia-smi || true) >"$OUT/nvidia-smi.txt" 2>&1
python -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name())" \
    >"$OUT/env.txt" 2>&1
el "env: $(tail -1 "$OUT/env.txt")"

timeout 150 python -m scorelab benchmark --profile "$PROFILE_B" --models subnet,unet --steps 3 --device "$DEVICE" \
    --sample-batch "$SAMPLE_BATCH" --peer --json \
    >"$OUT/benchmark-$PROFILE_B-gpu.json" 2>"$OUT/logs/benchmark.err"
el "1. benchmark with the peer rc=$?"
timeout 130 python scripts/speedups.py sampling --profile "$PROFILE_B" --models subnet,unet --device "$DEVICE" \
    --clips "$CLIPS" --json "$OUT/sampling-speedups.json" >"$OUT/logs/sampling.out" 2>"$OUT/logs/sampling.err"
el "2. sampling speedups rc=$?"
timeout 90 python scripts/speedups.py training --profile "$PROFILE_B" --models unet,subnet --device "$DEVICE" \
    --steps 3 --json "$OUT/training-speedups.json" >"$OUT/logs/training.out" 2>"$OUT/logs/training.err"
el "3. training speedups rc=$?"
timeout 70 python scripts/speedups.py evalset --profile "$PROFILE_B" --models subnet,unet --device "$DEVICE" \
    --clips "$CLIPS" --options auto,bf16,compile --json "$OUT/evalset.json" >"$OUT/logs/evalset.out" 2>"$OUT/logs/evalset.err"
el "4. $CLIPS guided clips, whole, rc=$?"
timeout 40 python scripts/bf16_quality.py --device "$DEVICE" --clips "$QUALITY_CLIPS" --seeds 3 \
    --json "$OUT/bf16-quality.json" >"$OUT/logs/quality.out" 2>"$OUT/logs/quality.err"
el "5. bf16 quality rc=$?"
python - "$OUT" "$PROFILE_B" <<'PY' | tee "$OUT/summary.md"
import json, sys
from pathlib import Path

from scorelab import get_profile
from scorelab.benchmark import format_estimate, format_peers, format_speedups, format_training_speedups

out, name = Path(sys.argv[1]), sys.argv[2]


def load(file):
    try:
        return json.loads((out / file).read_text())
    except (OSError, ValueError):
        print(f"{file}: no result (see {out}/logs)\n")
        return None


if (bench := load(f"benchmark-{name}-gpu.json")):
    print(format_estimate(bench["rows"], get_profile(name)), "\n")
    print(format_peers(bench["peers"], bench["vocoder_macs_per_second"]), "\n")
if (s := load("sampling-speedups.json")):
    print(format_speedups(s["rows"]), "\n")
if (t := load("training-speedups.json")):
    print(format_training_speedups(t["rows"]), "\n")
for r in (load("evalset.json") or {}).get("rows", []):
    print(f"{r['model']}: {r['clips']} guided clips whole in {r['seconds']:.1f} s (batch {r['batch']})")
for v in (load("bf16-quality.json") or {}).get("verdicts", []):
    print(f"{v['model']} {v['metric']}: fp32 {v['fp32_mean']:.3f} (spread {v['fp32_spread']:.3f}), "
          f"bf16 {v['bf16_mean']:.3f}: {'within' if v['within'] else 'OUTSIDE'}")
PY
el "summary in $OUT/summary.md"
