#!/usr/bin/env bash
# Issue 19 on one GPU, every measurement in under 8 minutes (it stops itself at 470 s):
#   1. the paper-profile benchmark of ScoreSubnet and the U-Net with DiffWave beside them (--peer): FLOPs,
#      TFLOP/s and share of the peak per row, with today's defaults ("before");
#   2. the goal: 2048 guided paper-profile clips sampled whole, ScoreSubnet then U-Net + Classifier,
#      with the automatic batch, bf16 and cuDNN's autotuner (no compiling: its time is unknown);
#   3. guided sampling, each option alone and all together (scripts/speedups.py sampling);
#   4. training, each option alone and all together (scripts/speedups.py training);
#   then, in whatever time is left of the 8 minutes, in this order:
#   5. the 2048 clips again, compiled as well; 6. bf16 against float32 on the shipped tiny models
#      (FID and guided agreement over 3 seeds); 7. the tests that need a GPU.
# Everything lands in $OUT (JSON and logs); a step that runs out of time keeps its finished rows.
# Try it on a CPU first (minutes, with the micro profile):
#   OUT=/tmp/o DEVICE=cpu PROFILE_B=micro CLIPS=64 SAMPLE_BATCH=1 QUALITY_CLIPS=2 bash scripts/gpu_speed.sh
# On a lent GPU (torch 2.11 on the H200), carrying .whl (soundfile and its cffi) and .fsdd (the
# FSDD recordings; make them with `pip download --no-deps --only-binary :all: --python-version 3.12
# soundfile cffi pycparser -d .whl` and `cp -r $SCORELAB_FSDD .fsdd`): OUT=$OUT bash scripts/gpu_speed.sh
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
DEVICE=${DEVICE:-cuda}; PROFILE_B=${PROFILE_B:-paper}; CLIPS=${CLIPS:-2048}; QUALITY_CLIPS=${QUALITY_CLIPS:-100}
SAMPLE_BATCH=${SAMPLE_BATCH:-16}  # the "before" benchmark samples (and times DiffWave) in batches of 16, as report does
# the GPU machine's Python is python3 (the one with torch); python, where there is no python3
PY=${PY:-$(command -v python3 || command -v python)}
mkdir -p "$OUT/logs"
# the lent GPU machine lacks soundfile (FSDD is read for step 5): wheels carried in .whl, FSDD in .fsdd
if [ -d .whl ] && ! "$PY" -c "import soundfile" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl >"$OUT/logs/pip.log" 2>&1
fi
export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH} SCORELAB_FSDD=${SCORELAB_FSDD:-$PWD/.fsdd}
export TORCHINDUCTOR_CACHE_DIR=${TORCHINDUCTOR_CACHE_DIR:-$OUT/../inductor-cache}  # compiled kernels reused across steps
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }
(nvidia-smi || true) >"$OUT/nvidia-smi.txt" 2>&1
"$PY" -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name())" \
    >"$OUT/env.txt" 2>&1
el "env: $(tail -1 "$OUT/env.txt")"

deadline=$(( t0 + 470 ))
# NAME LOG SECONDS CMD...: CMD with at most SECONDS ("left": all that is left before the deadline),
# stdout and stderr in logs/LOG.out and .err; not run with under 20 s left
step() {
  local name=$1 log=$2 limit=$3 left=$(( deadline - $(date +%s) )); shift 3
  if [ "$limit" = left ] || [ "$limit" -gt "$left" ]; then limit=$left; fi
  if [ "$limit" -lt 20 ]; then el "$name: not run ($left s left)"; return; fi
  timeout "$limit" "$@" >"$OUT/logs/$log.out" 2>"$OUT/logs/$log.err"
  el "$name rc=$?"
}
step "1. benchmark with the peer" benchmark 90 "$PY" -m scorelab benchmark --profile "$PROFILE_B" \
    --models subnet,unet --steps 3 --device "$DEVICE" --sample-batch "$SAMPLE_BATCH" --peer --json
cp "$OUT/logs/benchmark.out" "$OUT/benchmark-$PROFILE_B-gpu.json"
for model_time in subnet:80 unet:70; do  # one model per call: one that runs out of time leaves the other its own
  model=${model_time%:*}
  step "2. $CLIPS guided $model clips, whole" "evalset-$model" "${model_time#*:}" "$PY" scripts/speedups.py evalset \
      --profile "$PROFILE_B" --models "$model" --device "$DEVICE" --clips "$CLIPS" --options auto,bf16,autotune \
      --json "$OUT/evalset-$model.json"
done
step "3. sampling speedups" sampling 110 "$PY" scripts/speedups.py sampling --profile "$PROFILE_B" \
    --models subnet,unet --device "$DEVICE" --clips "$CLIPS" --json "$OUT/sampling-speedups.json"
step "4. training speedups" training 80 "$PY" scripts/speedups.py training --profile "$PROFILE_B" \
    --models unet,subnet --device "$DEVICE" --steps 3 --json "$OUT/training-speedups.json"
for model in subnet unet; do
  step "5. $CLIPS guided $model clips, whole, compiled" "evalset-$model-compiled" left "$PY" scripts/speedups.py \
      evalset --profile "$PROFILE_B" --models "$model" --device "$DEVICE" --clips "$CLIPS" \
      --options auto,bf16,compile,autotune --json "$OUT/evalset-$model-compiled.json"
done
step "6. bf16 quality" quality left "$PY" scripts/bf16_quality.py --device "$DEVICE" --clips "$QUALITY_CLIPS" \
    --seeds 3 --json "$OUT/bf16-quality.json"
if [ "$DEVICE" = cuda ]; then  # the memory probe, the host's waits while training and sampling, audio on CUDA
  step "7. the GPU-only tests" cuda-tests left "$PY" -m pytest -q -rs -p no:cacheprovider tests/test_speed.py \
      tests/test_audio.py::test_log_mel_and_griffin_lim_on_cuda \
      tests/test_train.py::test_on_a_gpu_the_host_waits_for_it_only_at_log_and_checkpoint_steps
fi
"$PY" - "$OUT" "$PROFILE_B" <<'PY' | tee "$OUT/summary.md"
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
for r in [row for m in ("subnet", "unet") for c in ("", "-compiled")
          for row in (load(f"evalset-{m}{c}.json") or {}).get("rows", [])]:
    failed = f"; compile failed: {r['compile_error']}" if "compile_error" in r else ""
    how = "compiled, " * bool(r.get("compile")) + f"batch {r['batch']}"
    print(f"{r['model']}: {r['clips']} guided clips whole in {r['seconds']:.1f} s ({how}{failed})")
for v in (load("bf16-quality.json") or {}).get("verdicts", []):
    print(f"{v['model']} {v['metric']}: fp32 {v['fp32_mean']:.3f} (spread {v['fp32_spread']:.3f}), "
          f"bf16 {v['bf16_mean']:.3f}: {'within' if v['within'] else 'OUTSIDE'}")
PY
el "summary in $OUT/summary.md"
