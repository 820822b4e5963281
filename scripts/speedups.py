"""What each way of using a GPU gives, measured one at a time: guided sampling (automatic batch,
bf16 autocast, torch.compile, channels-last, cuDNN's autotuner, all of them), training (bf16,
compile, a larger batch, the autotuner, all of them) and the real thing: an evaluation set of 2048 guided clips sampled whole.
Every row is printed and written to --json as soon as it is measured, so a timeout keeps what
was done.

    python scripts/speedups.py sampling --profile paper --models subnet,unet --json s.json
    python scripts/speedups.py training --profile paper --models unet,subnet --json t.json
    python scripts/speedups.py evalset --profile paper --models subnet,unet --options auto,bf16,compile --json e.json
"""
from __future__ import annotations

import argparse
import json

import torch

from scorelab import get_profile
from scorelab.benchmark import (SAMPLING_OPTIONS, evaluation_set_row, format_speedups, format_training_speedups,
                                sampling_speedups, training_speedups)

EVALSET_OPTIONS = {"auto": ("batch", "auto"), "bf16": ("precision", "bf16"), "compile": ("compile", True),
                   "channels-last": ("channels_last", True), "autotune": ("autotune", True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("sampling", "training", "evalset"))
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--models", default="subnet,unet")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=2, help="timed sampler or training steps")
    parser.add_argument("--clips", type=int, default=2048, help="clips of an evaluation set")
    parser.add_argument("--options", default="auto,bf16,compile",
                        help=f"evalset: comma-separated, of {','.join(EVALSET_OPTIONS)}")
    parser.add_argument("--json", help="write the rows here (after each one)")
    args = parser.parse_args()
    profile = get_profile(args.profile)
    rows = []

    def keep(new_rows):  # written after every row: a timeout keeps what was measured
        rows.extend(new_rows)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"what": args.what, "profile": args.profile, "device": args.device, "rows": rows}, f, indent=1)

    for kind in args.models.split(","):
        if args.what == "sampling":
            sampling_speedups(kind, profile, args.device, steps=args.steps, eval_clips=args.clips,
                              options=SAMPLING_OPTIONS, on_row=lambda r: keep([r]))
            print(format_speedups(rows), flush=True)
        elif args.what == "training":
            training_speedups(kind, profile, args.device, steps=args.steps, on_row=lambda r: keep([r]))
            print(format_training_speedups(rows), flush=True)
        else:
            options = dict(EVALSET_OPTIONS[o] for o in args.options.split(",") if o)
            keep([evaluation_set_row(kind, profile, args.device, clips=args.clips, log=print, **options)])
            r = rows[-1]
            print(f"{kind}: {r['clips']} guided clips ({r['sampler']}, {r['steps']} steps, batch {r['batch']}, "
                  f"{args.options}{', compile failed' if 'compile_error' in r else ''}) in {r['seconds']:.1f} s",
                  flush=True)


if __name__ == "__main__":
    main()
