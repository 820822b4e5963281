"""Collect the results of scripts/gpu_fusion_and_budget.sh in OUT into one JSON file (stdout):
training time and final loss of each fusion, and FID, IS and accuracy per sampling seed.

    python scripts/summarize_fusion.py OUT "where it ran" > book/results/fusion-tiny-<device>.json
"""
import json
import re
import sys
from pathlib import Path


def main(out: Path, device: str) -> dict:
    timeline = (out / "timeline.txt").read_text()
    rows = []
    for fusion in ("concat", "gated"):
        m = re.search(rf"subnet \({fusion}\): (\d+) steps of (\d+) clips in (\d+) s, rc=(\d+)", timeline)
        if m is None or m.group(4) != "0":
            raise SystemExit(f"{out / 'timeline.txt'}: no finished training run for fusion {fusion}")
        steps, batch, seconds = (int(m.group(i)) for i in (1, 2, 3))
        log = [json.loads(line) for line in (out / f"subnet-{fusion}.metrics.jsonl").read_text().splitlines() if line]
        last = log[-20:]
        scores = {}
        for f in sorted((out / "scores").glob(f"subnet-{fusion}-s*.json")):
            r = json.loads(f.read_text())
            scores[f.stem.rsplit("-s", 1)[1]] = {k: r[k] for k in ("fid", "is", "accuracy", "clips") if k in r}
        rows.append({"fusion": fusion, "steps": steps, "batch": batch, "training_clips": steps * batch,
                     "train_s": seconds, "final_loss_mean_last_20_logs": sum(r["loss"] for r in last) / len(last),
                     "scores_by_seed": scores})
    return {"what": "ScoreSubnet fusion of feature and gradient taps, concat against gated, trained from scratch "
                    "side by side on the shipped tiny classifier with an equal budget, guided toward every digit "
                    "(gamma 3, Heun 50 steps), scored by `scorelab evaluate` against the FSDD training split",
            "made_by": "scripts/gpu_fusion_and_budget.sh", "device": device, "rows": rows}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "not recorded"), indent=1))
