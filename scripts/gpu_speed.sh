#!/usr/bin/env bash
# Issue 19 on one GPU, every measurement in under 8 minutes (it stops itself at 470 s):
#   1. the goal: 2048 guided paper-profile clips sampled whole, ScoreSubnet then U-Net + Classifier,
#      with the automatic batch, bf16 and cuDNN's autotuner (no compiling: its time is unknown);
#   2. the paper-profile benchmark with today's defaults, one model per call, DiffWave timed in the
#      first (--peer): FLOPs, TFLOP/s and share of the peak per row. Training compiles by default on
#      CUDA, and a cold compile of the U-Net took over 150 s on an H200, so this comes after the goal;
#      where it leaves nothing, the summary sets the evaluation sets against BEFORE, the benchmark
#      stored from an earlier run (book/results/benchmark-paper-h200.json);
#   3. guided sampling, each option alone and all together (scripts/speedups.py sampling);
#   4. training, each option alone and all together (scripts/speedups.py training);
#   then, in whatever time is left of the 8 minutes, in this order:
#   5. the 2048 clips again, compiled as well; 6. bf16 against float32 on the shipped tiny models
#      (FID and guided agreement over 3 seeds); 7. the tests that need a GPU.
# Everything lands in $OUT (JSON and logs); a step that runs out of time keeps its finished rows.
# Chapter 10's projection reads book/results/benchmark-paper-h200.json, a benchmark of all four
# models (minutes: each compiles its training step): refresh it with `python -m scorelab benchmark
# --profile paper --steps 10 --json > book/results/benchmark-paper-h200.json` and `python -m
# scorelab shipped --update`; the prose quotes it through glue.
# Try it on a CPU first (minutes, with the micro profile):
#   OUT=/tmp/o DEVICE=cpu PROFILE_B=micro CLIPS=64 SAMPLE_BATCH=1 QUALITY_CLIPS=2 bash scripts/gpu_speed.sh
# On a slower device give every step SCALE times its time, and choose the steps with STEPS; the tiny
# profile on a 2-core CPU (about 70 minutes, most of it the two evaluation sets):
#   OUT=runs/speed-tiny-cpu DEVICE=cpu PROFILE_B=tiny SCALE=30 STEPS="1 2 3 4" bash scripts/gpu_speed.sh
# On a lent GPU (torch 2.11 on the H200), carrying .whl (soundfile and its cffi) and .fsdd (the
# FSDD recordings; make them with `pip download --no-deps --only-binary :all: --python-version 3.12
# soundfile cffi pycparser -d .whl` and `cp -r $SCORELAB_FSDD .fsdd`): OUT=$OUT bash scripts/gpu_speed.sh
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
DEVICE=${DEVICE:-cuda}; PROFILE_B=${PROFILE_B:-paper}; CLIPS=${CLIPS:-2048}; QUALITY_CLIPS=${QUALITY_CLIPS:-100}
SCALE=${SCALE:-1}; STEPS=" ${STEPS:-1 2 3 4 5 6 7} "
BEFORE=${BEFORE:-book/results/benchmark-$PROFILE_B-h200.json}
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

deadline=$(( t0 + 470 * SCALE ))
# NAME LOG SECONDS CMD...: CMD with at most SECONDS x SCALE ("left": all that is left before the
# deadline), stdout and stderr in logs/LOG.out and .err; not run when STEPS lacks the number NAME
# starts with, nor with under 20 s left
step() {
  local name=$1 log=$2 limit=$3 left=$(( deadline - $(date +%s) )); shift 3
  case "$STEPS" in *" ${name%%.*} "*) ;; *) el "$name: not chosen (STEPS=$STEPS)"; return ;; esac
  if [ "$limit" != left ]; then limit=$(( limit * SCALE )); fi
  if [ "$limit" = left ] || [ "$limit" -gt "$left" ]; then limit=$left; fi
  if [ "$limit" -lt 20 ]; then el "$name: not run ($left s left)"; return; fi
  timeout "$limit" "$@" >"$OUT/logs/$log.out" 2>"$OUT/logs/$log.err"
  el "$name rc=$?"
}
for model_time in subnet:80 unet:70; do  # one model per call: one that runs out of time leaves the other its own
  model=${model_time%:*}
  step "1. $CLIPS guided $model clips, whole" "evalset-$model" "${model_time#*:}" "$PY" scripts/speedups.py evalset \
      --profile "$PROFILE_B" --models "$model" --device "$DEVICE" --clips "$CLIPS" --options auto,bf16,autotune \
      --json "$OUT/evalset-$model.json"
done
for model_time in subnet:70 unet:60; do  # --json prints at the end: a call stopped by its limit leaves nothing
  model=${model_time%:*}; peer=$([ "$model" = subnet ] && echo --peer)
  step "2. benchmark $model${peer:+ with the peer}" "benchmark-$model" "${model_time#*:}" "$PY" -m scorelab benchmark \
      --profile "$PROFILE_B" --models "$model" --steps 3 --device "$DEVICE" --sample-batch "$SAMPLE_BATCH" $peer --json
  [ -s "$OUT/logs/benchmark-$model.out" ] && cp "$OUT/logs/benchmark-$model.out" "$OUT/benchmark-$model.json"
done
step "3. sampling speedups" sampling 100 "$PY" scripts/speedups.py sampling --profile "$PROFILE_B" \
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
"$PY" scripts/speed_summary.py "$OUT" "$BEFORE" | tee "$OUT/summary.md"
el "summary in $OUT/summary.md"
