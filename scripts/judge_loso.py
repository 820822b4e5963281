"""Leave-one-speaker-out accuracy of the evaluation classifier (the judge), on FSDD's five speakers.

For each speaker: train a judge on the other four speakers' training clips, then count how many
of the held-out speaker's 500 clips (all splits) it hears as the right digit. Prints one line per
speaker and writes the figures as JSON. Runs resume (one run folder per held-out speaker).

    python scripts/judge_loso.py --recipe plain --out runs/loso-plain              # about 11 min per speaker, 2 CPU cores
    python scripts/judge_loso.py --recipe speaker-independent --out runs/loso-si
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from scorelab.config import get_profile
from scorelab.judge import JUDGE_RECIPES as RECIPES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="speaker-independent")
    parser.add_argument("--out", required=True, help="folder for the five runs and loso.json")
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--steps", type=int, default=1500, help="training steps per judge (the shipped judge's 1500)")
    parser.add_argument("--only", nargs="*", help="hold out only these speakers")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from scorelab.judge import leave_one_speaker_out

    started = time.perf_counter()
    accuracy = leave_one_speaker_out(get_profile(args.profile), RECIPES[args.recipe], args.out, steps=args.steps,
                                     device=args.device, only=tuple(args.only) if args.only else None)
    seconds = time.perf_counter() - started
    result = {"recipe": args.recipe, "steps": args.steps, "accuracy": accuracy,
              "lowest": min(accuracy.values()), "seconds": round(seconds)}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "loso.json").write_text(json.dumps(result, indent=1))
    print(f"{args.recipe}: lowest {result['lowest']:.3f}; " +
          ", ".join(f"{s} {a:.3f}" for s, a in accuracy.items()) + f" ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
