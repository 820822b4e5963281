#!/usr/bin/env bash
# The evaluation classifier (the judge) made speaker-independent, on one GPU, at the tiny profile.
#
# 1. Leave-one-speaker-out accuracy of the four recipes of scorelab.judge (plain: clean clips;
#    speed-and-masks: speed perturbation, masking, the synthetic espeak-ng voices;
#    speaker-independent: as well, voice, rate and microphone varied in every step; band-limited:
#    as well, every clip low-passed at 3 to 8 kHz), STEPS steps
#    of batch 32 each (default 1500, the judge's length): scripts/judge_loso.py, five runs per
#    recipe; figures merged into $OUT/judge-loso.json (a copy of book/results/judge-loso.json:
#    copy it back to update the book) and printed to $OUT/loso.txt. The band-limited recipe is run
#    again with each seed in SEEDS (default "1 2"; "" for none): how far a held-out speaker's
#    accuracy moves with the initial weights alone (on the CPU, 500 steps: nicolas 77.4 % with
#    seed 0, 70.2 % with seed 1), so that a difference between recipes can be told from noise.
# 2. The new judge: trained on all five speakers with the band-limited recipe (the default)
#    (JUDGE_STEPS, default 3000) and exported to $OUT/evalclassifier-tiny-fsdd.pt, with its
#    test-split accuracy in $OUT/judge.txt.
#
#   OUT=/tmp/judge bash scripts/gpu_judge.sh                                  # one H200
#   OUT=/tmp/o STEPS=5 JUDGE_STEPS=5 ONLY=theo DEVICE=cpu bash scripts/gpu_judge.sh   # smoke test
#
# The synthetic voices are read from $SCORELAB_SYNTH (default ./.synth: copy ~/.cache/scorelab/synth
# there where the GPU machine has no espeak-ng).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to a folder for the results}
DEVICE=${DEVICE:-cuda}; STEPS=${STEPS:-1500}; JUDGE_STEPS=${JUDGE_STEPS:-3000}; ONLY=${ONLY:-}; SEEDS=${SEEDS-1 2}
mkdir -p "$OUT/logs"
if [ -d .whl ] && ! python -c "import soundfile" 2>/dev/null; then
  pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl >"$OUT/logs/pip.log" 2>&1
fi
export PYTHONPATH=/tmp/site:$PWD SCORELAB_FSDD=${SCORELAB_FSDD:-$PWD/.fsdd} SCORELAB_SYNTH=${SCORELAB_SYNTH:-$PWD/.synth}
export SCORELAB_DATA=${SCORELAB_DATA_GPU:-/tmp/scorelab-data}
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$OUT/timeline.txt"; }

# one leave-one-speaker-out pass: loso LABEL ARGS... (ARGS for scripts/judge_loso.py: the recipe and what changes)
loso() {
  local label=$1; shift
  python scripts/judge_loso.py "$@" --steps "$STEPS" --device "$DEVICE" --out "/tmp/loso-$label" \
      --record "$OUT/judge-loso.json" ${ONLY:+--only $ONLY} 2>"$OUT/logs/loso-$label.err" | tee -a "$OUT/loso.txt" \
      || { el "leave-one-speaker-out, $label, FAILED"; exit 1; }
  el "leave-one-speaker-out, $label"
}
cp book/results/judge-loso.json "$OUT/judge-loso.json" 2>/dev/null
for recipe in plain speed-and-masks speaker-independent band-limited; do
  loso "$recipe" --recipe "$recipe"
done
for seed in $SEEDS; do
  loso "band-limited-seed$seed" --recipe band-limited --train "seed=$seed"
done
python -m scorelab train evalclassifier --profile tiny --data fsdd --steps "$JUDGE_STEPS" --device "$DEVICE" \
    --quiet --out /tmp/runs/judge >"$OUT/logs/train-judge.log" 2>&1 || { el "training the judge FAILED"; exit 1; }
python -m scorelab export --run /tmp/runs/judge --out "$OUT/evalclassifier-tiny-fsdd.pt" \
    --note "scripts/gpu_judge.sh: band-limited recipe, $JUDGE_STEPS steps" >>"$OUT/logs/export.log" 2>&1
cp /tmp/runs/judge/metrics.jsonl "$OUT/evalclassifier-tiny-fsdd.metrics.jsonl"
python -c "
import sys
from scorelab.config import get_profile
from scorelab.judge import accuracy_on
from scorelab.models import load_trained
judge = load_trained(sys.argv[1])[0]
print(f'test-split accuracy {accuracy_on(judge, get_profile(\"tiny\")):.3f}')" "$OUT/evalclassifier-tiny-fsdd.pt" | tee "$OUT/judge.txt"
el "judge trained and exported"
