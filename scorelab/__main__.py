"""The scorelab command line: `python -m scorelab COMMAND ...` (or `scorelab COMMAND`).

  data synth --out DIR          make the synthetic spoken digits with espeak-ng
  data fsdd [--download]        check (or fetch) the Free Spoken Digit Dataset
  data sc09 --download --root D fetch SC09 from the Speech Commands v0.02 archive
"""
from __future__ import annotations

import argparse
import sys

from .config import DIGITS


def _labels(text: str | None) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip()) if text else DIGITS


def _summary(make) -> str:
    rows = []
    for split in ("train", "validation", "test"):
        ds = make(split)
        rows.append(f"  {split:<10} {len(ds):>6} clips")
    return "\n".join(rows)


def cmd_data(args) -> int:
    from . import data

    if args.source == "synth":
        out = data.make_synthetic_digits(args.out, _labels(args.labels), n_speakers=args.speakers,
                                         takes=args.takes, seed=args.seed)
        print(f"synthetic digits written to {out}")
        print(_summary(lambda s: data.synthetic_digits(out, s, _labels(args.labels))))
    elif args.source == "fsdd":
        root = data.download_fsdd(args.root) if args.download else args.root
        ds = data.fsdd(root, "train")
        print(f"FSDD recordings at {ds.root}")
        print(_summary(lambda s: data.fsdd(ds.root, s)))
    elif args.source == "sc09":
        labels = _labels(args.labels)
        root = data.download_speech_commands(args.root, labels) if args.download else args.root
        ds = data.speech_commands(root, "train", labels, source="sc09")
        print(f"Speech Commands words {', '.join(labels)} at {ds.root}")
        print(_summary(lambda s: data.speech_commands(ds.root, s, labels, source="sc09")))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorelab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    data_p = commands.add_parser("data", help="make, fetch or check data sets")
    sources = data_p.add_subparsers(dest="source", required=True)
    synth = sources.add_parser("synth", help="synthetic spoken digits with espeak-ng (offline)")
    synth.add_argument("--out", help="output folder (default $SCORELAB_SYNTH or <data home>/synth)")
    synth.add_argument("--speakers", type=int, default=40)
    synth.add_argument("--takes", type=int, default=5, help="takes per speaker and word")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--labels", help="comma-separated words (default: the ten digits)")
    fsdd = sources.add_parser("fsdd", help="the Free Spoken Digit Dataset (real voices)")
    fsdd.add_argument("--root", help="recordings folder (default $SCORELAB_FSDD or <data home>/fsdd/recordings)")
    fsdd.add_argument("--download", action="store_true", help="fetch the public release")
    sc09 = sources.add_parser("sc09", help="SC09 / Speech Commands v0.02")
    sc09.add_argument("--root", help="folder for the word folders (default $SCORELAB_SC09 or <data home>/sc09)")
    sc09.add_argument("--download", action="store_true", help="fetch the 2.3 GB archive (resumable)")
    sc09.add_argument("--labels", help="comma-separated words to extract (default: the ten digits)")
    data_p.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"scorelab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
