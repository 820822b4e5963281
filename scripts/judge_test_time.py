"""A judge lever measured once: varying the held-out speaker's clips at test time.

Takes the judges of a leave-one-speaker-out run (`scripts/judge_loso.py --out RUNS`, one folder
RUNS/without-SPEAKER per held-out speaker) and hears every clip of that speaker again with its
frequencies scaled and its time axis stretched (`scorelab.judge.vary`, the training recipe's own
variation) by each factor of a grid. Prints, per speaker, the accuracy of the clips as they are;
of the judge's class probabilities averaged over the grid; and of the one grid point the judge is
most confident at over all the speaker's clips (a vocal-tract-length normalisation chosen without
labels).

    python scripts/judge_test_time.py runs/loso/band-limited nicolas george
"""
from __future__ import annotations

import argparse
import itertools

import torch

WARPS = (0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15)
STRETCHES = (0.85, 1.0, 1.15)


@torch.no_grad()
def probabilities(judge, x: torch.Tensor, sigma: float, batch: int = 64) -> torch.Tensor:
    """(N, classes) softmax of the judge on x at noise level sigma."""
    return torch.cat([judge(x[i:i + batch], torch.full((len(x[i:i + batch]),), sigma)).softmax(-1)
                      for i in range(0, len(x), batch)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", help="a leave-one-speaker-out folder (scripts/judge_loso.py --out)")
    parser.add_argument("speakers", nargs="+")
    args = parser.parse_args()

    from scorelab.audio import log_mels_of_files
    from scorelab.data.base import SPLITS
    from scorelab.judge import clips_of, vary
    from scorelab.models import load_trained

    for speaker in args.speakers:
        judge, profile, _ = load_trained(f"{args.runs}/without-{speaker}")
        files, labels = clips_of(profile, SPLITS, (speaker,))
        x, n, sigma = log_mels_of_files(files, profile.mel), len(files), profile.sde.sigma_min
        grid = {(w, s): probabilities(judge, vary(x, profile.mel, torch.full((n,), w), torch.full((n,), s),
                                                   torch.zeros(n), torch.zeros(n)), sigma)
                for w, s in itertools.product(WARPS, STRETCHES)}
        right = {"as they are": probabilities(judge, x, sigma), "averaged over the grid": sum(grid.values())}
        most_sure = max(grid, key=lambda k: grid[k].max(-1).values.mean())
        right[f"most confident point (warp {most_sure[0]}, stretch {most_sure[1]})"] = grid[most_sure]
        print(f"{speaker}: " + "; ".join(f"{name} {(p.argmax(-1) == labels).float().mean():.1%}"
                                         for name, p in right.items()), flush=True)


if __name__ == "__main__":
    main()
