"""Does bf16 autocast change what the samples sound like? Guided clips of the shipped tiny models,
sampled in float32 and under bf16 autocast from the same seeds, scored by the evaluation
classifier: FID against the FSDD training clips and guided agreement (the evaluation
classifier hears the requested digit). bf16 keeps the quality when its mean differs from
float32's by no more than float32's own seed-to-seed spread (max - min over seeds).

    python scripts/bf16_quality.py --device cuda --clips 100 --seeds 3 --json out.json

Run it where you sample: CPU and GPU autocast keep different operations in float32. On a CPU
with bf16 instructions (avx512_bf16) bf16 sampling of the tiny models took about a third of
float32's time (book/results/bf16-quality-tiny-cpu.json: 100 clips, 3 seeds, about 35 minutes in all);
on one without them bf16 is emulated and many times slower than float32.
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from scorelab.audio import to_audio
from scorelab.benchmark import precision_verdicts
from scorelab.evaluate import ScorelabExtractor, features_of, reference_features, scores
from scorelab.generate import generate
from scorelab.kinds import guiding_classifier
from scorelab.models import load_trained
from scorelab.shipped import shipped_file


def load_models(kind: str, device: str):
    """(model, its guiding classifier, profile) of a shipped tiny model: loaded once per model,
    sampled at every precision and seed."""
    model, profile, _ = load_trained(shipped_file(f"checkpoints/{kind}-tiny-fsdd.pt"), device)
    spare = None if kind.startswith("subnet") else load_trained(shipped_file("checkpoints/classifier-tiny-fsdd.pt"),
                                                                 device)[0]
    return model, guiding_classifier(kind, model, spare), profile


def quality(kind: str, models, precision: str, seed: int, clips: int, device: str, extractor, reference) -> dict:
    model, classifier, profile = models
    labels = torch.arange(clips) % len(profile.data.labels)
    started = time.perf_counter()
    x = generate(model, profile, clips, seed=seed, device=device, batch=min(clips, 256), classifier=classifier,
                 labels=labels, precision=precision)
    seconds = time.perf_counter() - started
    got = scores(features_of(extractor, to_audio(x, profile.mel), labels), reference)
    return {"model": kind, "precision": precision, "seed": seed, "clips": clips, "fid": got["fid"],
            "agreement": got["accuracy"], "sampling_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--clips", type=int, default=100, help="guided clips per set (every digit in turn)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--models", default="subnet,unet")
    parser.add_argument("--json", help="write the rows and verdicts here")
    args = parser.parse_args()
    if args.clips < 2 or args.seeds < 2:
        parser.error("--clips and --seeds must be at least 2: FID needs a covariance, the spread two seeds")
    extractor = ScorelabExtractor(shipped_file("checkpoints/evalclassifier-tiny-fsdd.pt"), args.device)
    reference = reference_features(extractor, "fsdd")
    rows = []
    for kind in args.models.split(","):
        models = load_models(kind, args.device)
        for precision in ("fp32", "bf16"):
            for seed in range(args.seeds):
                rows.append(quality(kind, models, precision, seed, args.clips, args.device, extractor, reference))
                r = rows[-1]
                print(f"{kind:7} {precision} seed {seed}: FID {r['fid']:.2f}, agreement {100 * r['agreement']:.0f} %, "
                      f"{r['sampling_s']:.1f} s", flush=True)
    found = precision_verdicts(rows)
    for v in found:
        print(f"{v['model']:7} {v['metric']:9}: fp32 {v['fp32_mean']:.3f} (seed spread {v['fp32_spread']:.3f}), "
              f"bf16 {v['bf16_mean']:.3f}: {'within' if v['within'] else 'OUTSIDE'} the spread")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": args.device, "rows": rows, "verdicts": found}, f, indent=1)


if __name__ == "__main__":
    main()
