#!/usr/bin/env bash
# One GPU session: (1) time the paper profile on this GPU (issue 5), (2) train the shipped tiny
# U-Net on (issue 4) and (3) measure U-Net + Classifier guided agreement of it and of the shipped
# one at several seeds. Everything it measures goes to $OUT as it is made.
# It is the record of the session (2026-11-27, one H200) that made book/results/benchmark-paper-h200.json
# and the second part of book/checkpoints/unet-tiny-fsdd.pt (see book/checkpoints/README.md); run
# again, it would train the shipped U-Net further still. Try it on a CPU first with e.g.
#   OUT=/tmp/o PROFILE_B=micro BENCH_STEPS=1 TRAIN_S=20 DEVICE=cpu SEEDS=0 N=1 bash scripts/gpu_session_issue4_5.sh
#   BENCH_STEPS, TRAIN_S, BATCH, SEEDS, DEVICE may be set (defaults for the H200 session).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?}
BENCH_STEPS=${BENCH_STEPS:-10}; TRAIN_S=${TRAIN_S:-180}; BATCH=${BATCH:-256}; SEEDS=${SEEDS:-"0 1 2 3"}
DEVICE=${DEVICE:-cuda}; PROFILE_B=${PROFILE_B:-paper}
mkdir -p "$OUT/logs"
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }
if [ -d .whl ] && ! python -c "import soundfile" 2>/dev/null; then
  pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl >"$OUT/logs/pip.log" 2>&1
fi
export PYTHONPATH=/tmp/site:$PWD SCORELAB_FSDD=${SCORELAB_FSDD:-$PWD/.fsdd} SCORELAB_DATA=${SCORELAB_DATA_GPU:-/tmp/scorelab-data}
(nvidia-smi || true) >"$OUT/nvidia-smi.txt" 2>&1
python -c "import torch,torchaudio,soundfile,sys;print(sys.version);print(torch.__version__,torchaudio.__version__,torch.cuda.is_available() and torch.cuda.get_device_name())" >"$OUT/env.txt" 2>&1
el "env: $(tail -1 "$OUT/env.txt")"

# 1. benchmark, alone on the GPU, one model at a time so that a timeout keeps the others
# (scripts/gpu_utilisation.sh, which now also counts FLOPs and gives each row's share of the peak)
OUT=$OUT PROFILE_B=$PROFILE_B DEVICE=$DEVICE BENCH_STEPS=$BENCH_STEPS bash scripts/gpu_utilisation.sh \
    >"$OUT/logs/bench.log" 2>&1
el "benchmark rc=$?"

# 2. the tiny U-Net trained on from the shipped file; meanwhile the shipped one is judged at more seeds
python -m scorelab train unet --init book/checkpoints/unet-tiny-fsdd.pt --profile tiny --data fsdd \
    --batch-size "$BATCH" --steps 1000000 --checkpoint-every 2000 --time-limit "$TRAIN_S" --quiet \
    --device "$DEVICE" --out /tmp/runs/unet-more >"$OUT/logs/train-unet.log" 2>&1 &
train_pid=$!
agree() {  # agree NAME MODEL SEED
  local dir=/tmp/samples/$1-s$3
  python -m scorelab sample --run "$2" --classifier book/checkpoints/classifier-tiny-fsdd.pt --label all --n "${N:-10}" \
      --gamma 3 --seed "$3" --device "$DEVICE" --quiet --out "$dir" >"$OUT/logs/sample-$1-s$3.log" 2>&1
  echo "$1 seed $3: $(python -m scorelab classify --run book/checkpoints/evalclassifier-tiny-fsdd.pt "$dir" 2>&1 | tail -1)" \
      | tee -a "$OUT/agreement.txt"
}
for s in 4 5; do agree shipped book/checkpoints/unet-tiny-fsdd.pt $s; done
wait $train_pid; el "train rc=$?"
python -m scorelab export --run /tmp/runs/unet-more --out "$OUT/unet-tiny-fsdd-more.pt" \
    --note "scripts/gpu_session_issue4_5.sh: shipped unet-tiny-fsdd.pt trained on with --init, batch $BATCH, $TRAIN_S s" \
    >"$OUT/logs/export.log" 2>&1
cp /tmp/runs/unet-more/metrics.jsonl "$OUT/unet-tiny-fsdd-more.metrics.jsonl" 2>/dev/null
el "exported"

# 3. agreement of the trained-on U-Net at several seeds, two at a time
pids=()
for s in $SEEDS; do agree more "$OUT/unet-tiny-fsdd-more.pt" $s & pids+=($!); [ ${#pids[@]} -ge 2 ] && { wait "${pids[@]}"; pids=(); }; done
wait
el "done"
