#!/usr/bin/env bash
# Train every shipped tiny-profile model on FSDD within a fixed time, in parallel on one GPU, and
# export them into $DEST: the U-Net on all digits, on "zero, one, two" and on "zero"; the
# noise-conditioned classifier; then, on that classifier, ScoreSubnet (same three data regimes)
# and its gradient-taps variant. Each run stops at its time limit with a checkpoint
# (`train --time-limit`) and continues where it stopped when this script runs again.
#
#   DEST=book/checkpoints RUNS=runs/tiny bash scripts/train_tiny_checkpoints.sh
#
# Needs FSDD ($SCORELAB_FSDD). Time budget in seconds from the start: CLASSIFIER_S for the
# classifier, TOTAL_S for everything (the subnets get what is left after the classifier).
# Every U-Net, classifier and subnet here trains with batch BATCH (default 128). On a CPU this
# takes the same commands, only far fewer steps fit in the time.
set -uo pipefail
cd "$(dirname "$0")/.."
DEST=${DEST:?set DEST to the folder for the exported .pt files}
RUNS=${RUNS:-runs/tiny}
CLASSIFIER_S=${CLASSIFIER_S:-120}
TOTAL_S=${TOTAL_S:-420}
BATCH=${BATCH:-128}
PY=${PYTHON:-python}
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
mkdir -p "$DEST" "$RUNS"

# the log-Mel caches of the three label sets, once, before the parallel runs read them
$PY - <<'EOF'
import dataclasses
from scorelab.config import get_profile
from scorelab.runs import training_data
p = get_profile("tiny")
for labels in (p.data.labels, ("zero", "one", "two"), ("zero",)):
    x, y, ds = training_data(p.replace(data=dataclasses.replace(p.data, labels=labels)))
    print(f"{len(ds)} clips of {', '.join(labels)}: {tuple(x.shape)}")
EOF

train() {  # train NAME SECONDS ARGS...: one run, its output in RUNS/NAME.log
    local name=$1 seconds=$2; shift 2
    $PY -m scorelab train "$@" --profile tiny --data fsdd --batch-size "$BATCH" --steps 1000000 \
        --checkpoint-every 1000 --time-limit "$seconds" --quiet --out "$RUNS/$name" >"$RUNS/$name.log" 2>&1 \
        || echo "$name FAILED (see $RUNS/$name.log)"
}
export_run() {  # export_run NAME FILE
    $PY -m scorelab export --run "$RUNS/$1" --out "$DEST/$2" \
        --note "scripts/train_tiny_checkpoints.sh, batch $BATCH, stopped by its time limit" >/dev/null \
        && cp "$RUNS/$1/metrics.jsonl" "$DEST/${2%.pt}.metrics.jsonl" \
        && echo "exported $1 -> $DEST/$2 at step $($PY -c "import torch;print(torch.load('$DEST/$2',weights_only=True)['step'])")"
}

unet_s=$(( TOTAL_S - $(elapsed) ))
train unet "$unet_s" unet &
train unet-3labels "$unet_s" unet --labels zero,one,two &
train unet-1label "$unet_s" unet --labels zero &
train classifier "$(( CLASSIFIER_S - $(elapsed) ))" classifier --no-compile --no-amp
export_run classifier classifier-tiny-fsdd.pt
echo "classifier done at $(elapsed) s"

subnet_s=$(( TOTAL_S - $(elapsed) ))
clf="$DEST/classifier-tiny-fsdd.pt"
train subnet "$subnet_s" subnet --classifier "$clf" --no-compile --no-amp &
train subnet-gradtaps "$subnet_s" subnet-gradtaps --classifier "$clf" --no-compile --no-amp &
train subnet-3labels "$subnet_s" subnet --labels zero,one,two --classifier "$clf" --no-compile --no-amp &
train subnet-1label "$subnet_s" subnet --labels zero --classifier "$clf" --no-compile --no-amp &
wait
echo "training done at $(elapsed) s"
for name in unet unet-3labels unet-1label subnet subnet-gradtaps subnet-3labels subnet-1label; do
    export_run "$name" "$name-tiny-fsdd.pt"
done
for log in "$RUNS"/*.log; do echo "== $log"; tail -n 2 "$log"; done
echo "all done at $(elapsed) s"
