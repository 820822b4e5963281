#!/usr/bin/env bash
# ScoreSubnet's fusion of feature and gradient taps ("concat" against "gated") and ScoreSubnet
# against the U-Net at an equal training budget, on one GPU, at the tiny profile on FSDD.
#
# Both ScoreSubnets train from scratch on the shipped classifier with the same batch and the same
# number of steps, STEPS (default 7203 steps of 128 clips: the 922 k clips the shipped full-data
# U-Net saw), side by side on the GPU; each is exported, guided toward every digit (N clips per
# digit and seed, gamma 3, Heun 50 steps, Griffin-Lim) and scored by `scorelab evaluate` (FID,
# IS, accuracy against the FSDD training split, judged by the evaluation classifier); the
# shipped U-Net + Classifier is scored the same way. Wall time of each training run is in
# $OUT/timeline.txt; the scores in $OUT/scores/*.json and $OUT/scores.txt.
#
#   OUT=/tmp/fusion bash scripts/gpu_fusion_and_budget.sh                     # one H200
#   OUT=/tmp/o STEPS=3 N=1 SEEDS=0 BATCH=8 DEVICE=cpu bash scripts/gpu_fusion_and_budget.sh   # smoke test
#   OUT=/tmp/o STEPS=700 BATCH=32 SEEDS=0 UNET=0 DEVICE=cpu bash ...   # a small equal budget on a CPU
# UNET=0 leaves out the shipped U-Net's scores (not an equal budget at a small STEPS).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
DEVICE=${DEVICE:-cuda}; BATCH=${BATCH:-128}; STEPS=${STEPS:-7203}; N=${N:-10}; SEEDS=${SEEDS:-"0 1"}; UNET=${UNET:-1}
CLASSIFIER=book/checkpoints/classifier-tiny-fsdd.pt
JUDGE=book/checkpoints/evalclassifier-tiny-fsdd.pt
mkdir -p "$OUT/logs" "$OUT/scores"
if [ -d .whl ] && ! python -c "import soundfile" 2>/dev/null; then
  pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl >"$OUT/logs/pip.log" 2>&1
fi
export PYTHONPATH=/tmp/site:$PWD SCORELAB_FSDD=${SCORELAB_FSDD:-$PWD/.fsdd} SCORELAB_DATA=${SCORELAB_DATA_GPU:-/tmp/scorelab-data}
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }

score() {  # score NAME MODEL SEED: guided clips toward every digit, then FID, IS and accuracy
  local dir=/tmp/samples/$1-s$3
  python -m scorelab sample --run "$2" --classifier "$CLASSIFIER" --label all --n "$N" --gamma 3 --seed "$3" \
      --device "$DEVICE" --quiet --out "$dir" >"$OUT/logs/sample-$1-s$3.log" 2>&1
  python -m scorelab evaluate "$dir" --reference fsdd --classifier "$JUDGE" --json "$OUT/scores/$1-s$3.json" \
      >"$OUT/logs/evaluate-$1-s$3.log" 2>&1
  echo "$1 seed $3: $(python -c "import json,sys; r=json.load(open(sys.argv[1])); print(', '.join(f'{k} {r[k]:.3g}' for k in ('fid', 'is', 'accuracy') if k in r))" "$OUT/scores/$1-s$3.json")" \
      | tee -a "$OUT/scores.txt"
}

for fusion in concat gated; do
  ( start=$(date +%s)
    python -m scorelab train subnet --fusion "$fusion" --classifier "$CLASSIFIER" --profile tiny --data fsdd \
        --batch-size "$BATCH" --steps "$STEPS" --checkpoint-every 1000 --no-compile --no-amp --quiet \
        --device "$DEVICE" --out "/tmp/runs/subnet-$fusion" >"$OUT/logs/train-$fusion.log" 2>&1
    rc=$?
    el "subnet ($fusion): $STEPS steps of $BATCH clips in $(( $(date +%s) - start )) s, rc=$rc" ) &
done
wait
for fusion in concat gated; do
  python -m scorelab export --run "/tmp/runs/subnet-$fusion" --out "$OUT/subnet-$fusion.pt" \
      --note "scripts/gpu_fusion_and_budget.sh, fusion $fusion, $STEPS steps of $BATCH" >>"$OUT/logs/export.log" 2>&1
  cp "/tmp/runs/subnet-$fusion/metrics.jsonl" "$OUT/subnet-$fusion.metrics.jsonl"
done
for s in $SEEDS; do
  score subnet-concat "$OUT/subnet-concat.pt" "$s"
  score subnet-gated "$OUT/subnet-gated.pt" "$s"
  [ "$UNET" = 0 ] || score unet-shipped book/checkpoints/unet-tiny-fsdd.pt "$s"
done
el "done"
