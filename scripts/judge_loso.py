"""Leave-one-speaker-out accuracy of the evaluation classifier (the judge), on FSDD's five speakers.

For each speaker: train a judge on the other four speakers' training clips, then count how many
of the held-out speaker's 500 clips (all splits) it hears as the right digit. Prints one line per
speaker and writes the figures as JSON. Runs resume (one run folder per held-out speaker).

    python scripts/judge_loso.py --recipe plain --steps 500 --out runs/loso-500/plain   # about 9 min per speaker, 2 CPU cores
    python scripts/judge_loso.py --recipe speaker-independent --steps 500 --out runs/loso-500/speaker-independent \\
        --record book/results/judge-loso.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from scorelab.config import get_profile
from scorelab.judge import JUDGE_RECIPES as RECIPES


def _changed(parser, flag: str, config, items: list[str]):
    """`config` (a dataclass) with the numeric or yes/no (0 or 1) fields named in `items`
    ("FIELD=VALUE") changed; speed_factors takes comma-separated numbers. A parser error names the
    fields allowed."""
    fields = sorted(f.name for f in dataclasses.fields(config)
                    if type(getattr(config, f.name)) in (int, float, bool) or f.name == "speed_factors")
    changes = {}
    for item in items:
        field, _, value = item.partition("=")
        if field not in fields or not value:
            parser.error(f"{flag} {item}: give FIELD=VALUE with FIELD one of {', '.join(fields)}")
        try:
            changes[field] = (tuple(float(v) for v in value.split(",")) if field == "speed_factors"
                              else type(getattr(config, field))(float(value)))
        except ValueError:
            parser.error(f"{flag} {item}: {field} takes a number")
    return dataclasses.replace(config, **changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="speaker-independent")
    parser.add_argument("--out", required=True, help="folder for the five runs and loso.json")
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--steps", type=int, default=1500, help="training steps per judge (the shipped judge's 1500)")
    parser.add_argument("--only", nargs="*", help="hold out only these speakers")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--with", dest="changes", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="change fields of the recipe (scorelab.judge.JudgeConfig), e.g. noise_db=20")
    parser.add_argument("--train", dest="train_changes", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="change fields of the profile's training (scorelab.config.TrainConfig), e.g. lr=1e-3")
    parser.add_argument("--model", dest="model_changes", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="change fields of the judge's network (scorelab.config.ClassifierConfig), e.g. dropout=0.2")
    parser.add_argument("--record", help="also merge the figures into this record (the book's: book/results/"
                                         "judge-loso.json, which chapter 9 reads)")
    args = parser.parse_args()

    from scorelab.judge import accuracy_of, leave_one_speaker_out, record_loso

    recipe, name = RECIPES[args.recipe], args.recipe
    if args.changes:
        recipe, name = _changed(parser, "--with", recipe, args.changes), f"{name} with {', '.join(args.changes)}"
    profile = get_profile(args.profile)
    if args.train_changes:
        profile = profile.replace(train=_changed(parser, "--train", profile.train, args.train_changes))
        name = f"{name}, trained with {', '.join(args.train_changes)}"
    if args.model_changes:
        profile = profile.replace(classifier=_changed(parser, "--model", profile.classifier, args.model_changes))
        name = f"{name}, network with {', '.join(args.model_changes)}"

    started = time.perf_counter()
    confusions = leave_one_speaker_out(profile, recipe, args.out, steps=args.steps,
                                     device=args.device, only=tuple(args.only) if args.only else None)
    seconds = time.perf_counter() - started
    accuracy = {speaker: accuracy_of(c) for speaker, c in confusions.items()}
    result = {"recipe": name, "definition": dataclasses.asdict(recipe), "steps": args.steps, "accuracy": accuracy,
              "lowest": min(accuracy.values()), "seconds": round(seconds),
              "confusion": {speaker: c.tolist() for speaker, c in confusions.items()}}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "loso.json").write_text(json.dumps(result, indent=1))
    if args.record:
        record_loso(args.record, name, args.steps, confusions, profile=args.profile, definition=recipe)
    print(f"{name}: lowest {result['lowest']:.3f}; " +
          ", ".join(f"{s} {a:.3f}" for s, a in accuracy.items()) + f" ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
