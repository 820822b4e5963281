#!/usr/bin/env bash
# Chapter 8 at a matched training budget, on one GPU. The shipped single-label models did not
# train equally long: the U-Net on "zero" stopped at 3964 steps of 128 clips, the ScoreSubnet on
# "zero" at 1746 (both by the same time limit; see book/checkpoints/README.md). This script
# trains the single-label ScoreSubnet again, from scratch with the shipped run's settings, in
# stages up to the U-Net's 3964 steps; after each stage it exports the model, guides it toward
# every digit (N clips per digit and seed, gamma 3, Heun 50 steps, Griffin-Lim) and lets the
# evaluation classifier judge, so that agreement on "zero" (seen) and on the nine unseen digits
# (zero-shot) can be read against training steps. The same is done once for the shipped
# single-label U-Net + Classifier, the model it is compared with.
#
#   OUT=/tmp/matched bash scripts/gpu_matched_budget.sh          # about 10 minutes on one H200
#   OUT=/tmp/o STAGES="5 10" N=1 SEEDS=0 DEVICE=cpu bash scripts/gpu_matched_budget.sh   # a CPU smoke test
#
# Everything it measures goes to $OUT/agreement.txt as it is made, one line per model, stage and
# seed: "NAME seed S: seen a of b, unseen c of d".
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
DEVICE=${DEVICE:-cuda}; BATCH=${BATCH:-128}; N=${N:-10}; SEEDS=${SEEDS:-"0 1"}
STAGES=${STAGES:-"1000 1746 2500 3964"}
CLASSIFIER=book/checkpoints/classifier-tiny-fsdd.pt
JUDGE=book/checkpoints/evalclassifier-tiny-fsdd.pt
RUN=${RUN:-/tmp/runs/subnet-1label-matched}
mkdir -p "$OUT/logs"
if [ -d .whl ] && ! python -c "import soundfile" 2>/dev/null; then
  pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl >"$OUT/logs/pip.log" 2>&1
fi
export PYTHONPATH=/tmp/site:$PWD SCORELAB_FSDD=${SCORELAB_FSDD:-$PWD/.fsdd} SCORELAB_DATA=${SCORELAB_DATA_GPU:-/tmp/scorelab-data}
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }

agree() {  # agree NAME MODEL SEED: guide toward every digit, judge, count seen and unseen agreement
  local dir=/tmp/samples/$1-s$3
  python -m scorelab sample --run "$2" --classifier "$CLASSIFIER" --label all --n "$N" --gamma 3 --seed "$3" \
      --device "$DEVICE" --quiet --out "$dir" >"$OUT/logs/sample-$1-s$3.log" 2>&1
  python -m scorelab classify --run "$JUDGE" --verbose "$dir" 2>"$OUT/logs/classify-$1-s$3.err" | python -c '
import sys
seen = unseen = seen_n = unseen_n = 0
for line in sys.stdin:
    if not line.startswith(("zero_", "one_", "two_", "three_", "four_", "five_", "six_", "seven_", "eight_", "nine_")):
        continue
    asked, ok = line.split("_", 1)[0], "(wrong)" not in line
    if asked == "zero":
        seen, seen_n = seen + ok, seen_n + 1
    else:
        unseen, unseen_n = unseen + ok, unseen_n + 1
print(f"seen {seen} of {seen_n}, unseen {unseen} of {unseen_n}")' | sed "s/^/$1 seed $3: /" | tee -a "$OUT/agreement.txt"
}

for s in $SEEDS; do agree unet-1label-3964 book/checkpoints/unet-1label-tiny-fsdd.pt "$s"; done
for steps in $STAGES; do
  python -m scorelab train subnet --classifier "$CLASSIFIER" --labels zero --profile tiny --data fsdd \
      --batch-size "$BATCH" --steps "$steps" --checkpoint-every 500 --no-compile --no-amp --quiet \
      --device "$DEVICE" --out "$RUN" >>"$OUT/logs/train.log" 2>&1 || { el "training to $steps FAILED"; exit 1; }
  python -m scorelab export --run "$RUN" --out "$OUT/subnet-1label-$steps.pt" \
      --note "scripts/gpu_matched_budget.sh, batch $BATCH, $steps steps" >>"$OUT/logs/export.log" 2>&1
  el "trained to $steps steps"
  for s in $SEEDS; do agree "subnet-1label-$steps" "$OUT/subnet-1label-$steps.pt" "$s"; done
done
cp "$RUN/metrics.jsonl" "$OUT/subnet-1label-matched.metrics.jsonl" 2>/dev/null
el "done"
