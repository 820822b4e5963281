"""How long the guidance explorer takes per clip, and the gallery in all, on this machine.

For each model of the explorer and each number of Heun steps, one clip (as a click on Generate
makes it: sampling, Griffin-Lim, the judge) is made `--repeats` times after a warm-up, and the
median time printed; then the gallery (every digit at each gamma, for both models) is made once.

    python scripts/time_explorer.py --profile tiny --steps 10 25 50 --threads 2
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from scorelab import get_profile
from scorelab.explorer import GAMMAS, guidance_gallery, guided_clips, load_explorer_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--gallery-steps", type=int, default=25, help="0: skip the gallery")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    models = load_explorer_models(get_profile(args.profile), device=args.device)
    print(f"{args.profile} profile on {args.device}, {torch.get_num_threads()} threads")
    for name in models.names:
        guided_clips(models, name, "seven", 3.0, 2, 0)  # warm-up
        for steps in args.steps:
            seconds = [guided_clips(models, name, "seven", 3.0, steps, seed)[0].seconds for seed in range(args.repeats)]
            print(f"explorer  {name:>20}  {steps:>3} steps: {statistics.median(seconds):6.2f} s per clip "
                  f"(median of {args.repeats})")
    if args.gallery_steps:
        started = time.perf_counter()
        gallery = guidance_gallery(models, steps=args.gallery_steps)
        print(f"gallery   {len(models.digits)} digits x gamma {', '.join(f'{g:g}' for g in GAMMAS)} x "
              f"{len(models.names)} models, {args.gallery_steps} steps: {time.perf_counter() - started:.0f} s")
        for name in models.names:
            print(f"          {name:>20}: judge hears the digit asked for at gamma "
                  + ", ".join(f"{g:g}: {gallery.accuracy(name, g):.0%}" for g in GAMMAS))


if __name__ == "__main__":
    main()
