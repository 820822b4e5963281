"""The scorelab command line: `python -m scorelab COMMAND ...` (or `scorelab COMMAND`).

  data synth --out DIR          make the synthetic spoken digits with espeak-ng
  data fsdd [--download]        check (or fetch) the Free Spoken Digit Dataset
  data sc09 --download --root D fetch SC09 from the Speech Commands v0.02 archive
  train unet|classifier|evalclassifier|subnet|subnet-gradtaps --profile P --data D --out RUN
        [--steps N] [--labels L,...] [--classifier RUN]
                                train a score model (resumes when RUN has a checkpoint)
  sample --run RUN --n N --out DIR [--steps S --sampler NAME]
                                generate clips: DIR/*.wav (16 kHz) and DIR/spectrograms.png
  export --run RUN --out FILE   keep only the EMA weights and configuration of a run
  classify --run RUN DIR        accuracy of a classifier on DIR/{label}_*.wav
  compute --profile paper [--json]
                                parameters and GMACs per sampling step, beside the paper's table
"""
from __future__ import annotations

import argparse
import sys

from .config import DIGITS
from .audio.vocoders import VOCODERS
from .data import SOURCES
from .guidance import DEFAULT_GAMMA
from .kinds import KINDS, get_kind, guiding_classifier
from .nets.score_subnet import FUSIONS
from .sampling import SAMPLERS


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


def _profile_for(args):
    import dataclasses

    from .config import get_profile

    profile = get_profile(args.profile)
    data = dataclasses.replace(profile.data, source=args.data or profile.data.source,
                               labels=_labels(args.labels), root=args.data_root)
    train = profile.train
    for field, value in (("steps", args.steps), ("batch_size", args.batch_size),
                         ("checkpoint_every", args.checkpoint_every), ("seed", args.seed),
                         ("amp", args.amp), ("compile", args.compile)):
        if value is not None:
            train = dataclasses.replace(train, **{field: value})
    subnet = profile.subnet
    if getattr(args, "fusion", None):
        subnet = dataclasses.replace(subnet, fusion=args.fusion)
    return profile.replace(data=data, train=train, subnet=subnet)


def cmd_train(args) -> int:
    from .runs import train_score_model
    from .train import steps_per_second

    train_score_model(args.model, _profile_for(args), args.out, device=args.device, progress=not args.quiet,
                      classifier_run=args.classifier, time_limit_s=args.time_limit, init=args.init)
    print(f"{steps_per_second(args.out):.2f} steps/s in the last session; checkpoint "
          f"{args.out}/checkpoint.pt, loss curve {args.out}/loss.png")
    return 0


def cmd_sample(args) -> int:
    import time

    import torch

    from .devices import default_device
    from .generate import generate, write_samples
    from .models import classifier_labels, load_trained

    device = args.device or str(default_device())
    model, profile, kind = load_trained(args.run, device, classifier=args.classifier)
    names = None
    if args.label:
        own = get_kind(kind).on_classifier  # a subnet is guided by its own classifier
        given = load_trained(args.classifier, device)[0] if args.classifier and not own else None
        classifier = guiding_classifier(kind, model, given)
        label_names = classifier_labels(args.run if own else args.classifier)
        wanted = label_names if args.label == "all" else tuple(w.strip() for w in args.label.split(","))
        unknown = [w for w in wanted if w not in label_names]
        if unknown:
            raise ValueError(f"label(s) {', '.join(unknown)} unknown to the classifier; it knows {', '.join(label_names)}")
        ids = torch.tensor([label_names.index(w) for w in wanted for _ in range(args.n)])
        names = [f"{w}_{i:03d}" for w in wanted for i in range(args.n)]
    else:
        classifier, ids = None, None
    n = len(names) if names else args.n
    started = time.perf_counter()
    x = generate(model, profile, n, args.sampler, args.steps, args.seed, device=device, batch=args.batch_size,
                 progress=not args.quiet, classifier=classifier, labels=ids, gamma=args.gamma)
    seconds = time.perf_counter() - started
    paths = write_samples(x, profile, args.out, names=names, vocoder=args.vocoder,
                          title=f"{kind}, {args.sampler or profile.sample.sampler}")
    print(f"{len(paths)} clips in {seconds:.1f} s -> {args.out} (spectrograms.png beside them)")
    return 0


def cmd_export(args) -> int:
    from .models import export

    path = export(args.run, args.out, half=not args.full_precision, note=args.note)
    print(f"exported {args.run} -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_classify(args) -> int:
    from .classify import load_folder, predict
    from .models import load_trained

    model, profile, kind = load_trained(args.run)
    if get_kind(kind).is_score_model:
        raise ValueError(f"{args.run} holds a {kind} model, not a classifier")
    x, labels, names = load_folder(args.folder, profile.data.labels, profile.mel)
    pred = predict(model, x)
    correct = (pred == labels)
    for name, p, ok in zip(names, pred.tolist(), correct.tolist()):
        if args.verbose:
            print(f"{name}: {profile.data.labels[p]}{'' if ok else '  (wrong)'}")
    print(f"accuracy {correct.float().mean():.3f} ({int(correct.sum())} of {len(names)} clips) "
          f"with the {kind} in {args.run}")
    return 0


def cmd_evaluate(args) -> int:
    import json

    from .evaluate import SC09Extractor, ScorelabExtractor, default_eval_classifier, evaluate_folder, format_table

    if args.features == "sc09-resnext":
        extractor = SC09Extractor(args.resnext, args.device)
    else:
        extractor = ScorelabExtractor(args.classifier or default_eval_classifier(), args.device)
    reference = None if args.reference == "none" else args.reference
    result = evaluate_folder(args.folder, extractor, reference, args.reference_root, with_scoreq=args.scoreq)
    print(format_table(result))
    if args.json:
        from pathlib import Path

        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        print(f"written {args.json}")
    return 0


def cmd_report(args) -> int:
    from .report import paper_rows, run_report

    gammas = tuple(float(g) for g in args.gammas.split(",")) if args.gammas else ()
    report = run_report(args.profile, args.out, args.checkpoints, n=args.n, steps=args.steps, seed=args.seed,
                        device=args.device, rows=paper_rows(gammas), data=args.data, data_root=args.data_root)
    print(f"{len(report['rows'])} rows -> {args.out}/report.md, report.json, figures/")
    return 0


def cmd_compute(args) -> int:
    import json

    from .compute import PAPER_TABLE, compute_table, format_table
    from .config import get_profile

    table = compute_table(get_profile(args.profile), gamma=args.gamma)
    if args.json:
        print(json.dumps({"profile": args.profile, "gamma": args.gamma, "scorelab": table, "paper": PAPER_TABLE},
                         indent=1))
    else:
        print(f"profile {args.profile}: one sampling step for one second of audio (MACs = FLOPs / 2, "
              "backward passes for gradient taps and guidance included)\n")
        print(format_table(table))
    return 0


def cmd_benchmark(args) -> int:
    import dataclasses
    import json

    from .benchmark import KINDS, estimate, format_estimate
    from .config import get_profile

    profile = get_profile(args.profile)
    if args.batch_size:
        profile = profile.replace(train=dataclasses.replace(profile.train, batch_size=args.batch_size))
    kinds = tuple(k.strip() for k in args.models.split(",")) if args.models else KINDS
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    rows = estimate(profile, kinds, device=args.device, train_steps=args.steps, eval_clips=args.clips,
                    sample_batch=args.sample_batch,
                    log=(lambda *a: None) if args.json else print)
    if args.json:
        print(json.dumps({"profile": args.profile, "train_steps": profile.train.steps, "rows": rows}, indent=1))
    else:
        print(f"\nprofile {args.profile}:\n")
        print(format_estimate(rows, profile, args.clips))
    return 0


def cmd_shipped(args) -> int:
    from pathlib import Path

    from .shipped import MANIFEST, recorded_files, manifest_of, write_manifest

    book = Path(args.book)
    if not (book / "checkpoints").is_dir():
        raise FileNotFoundError(f"{book}: not the book/ folder of a scorelab clone (no checkpoints/ in it); "
                                "pass --book PATH")
    if args.update:
        record = write_manifest(book)
        print(f"{MANIFEST}: {len(record['files'])} shipped files, "
              f"{sum(f['bytes'] for f in record['files'].values()) / 1e6:.1f} MB")
        return 0
    now, stored = manifest_of(book)["files"], recorded_files()
    differ = sorted(n for n in set(now) | set(stored) if now.get(n) != stored.get(n))
    for name in differ:
        print(f"{name}: {'not recorded' if name not in stored else 'gone' if name not in now else 'changed'}")
    if differ:
        print(f"{len(differ)} shipped file(s) differ from {MANIFEST.name}; run `python -m scorelab shipped --update`")
        return 1
    print(f"{len(now)} shipped files match {MANIFEST.name}")
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

    train_p = commands.add_parser("train", help="train a model; resumes from RUN/checkpoint.pt")
    train_p.add_argument("model", choices=list(KINDS),
                         help="which model")
    train_p.add_argument("--classifier", help="run folder of the trained classifier (subnets only)")
    train_p.add_argument("--profile", default="tiny", help="tiny (CPU), paper (GPU) or micro (tests)")
    train_p.add_argument("--data", choices=SOURCES,
                         help="data source (default: the profile's)")
    train_p.add_argument("--data-root", help="folder of the data set (default: its environment variable)")
    train_p.add_argument("--labels", help="comma-separated words to train on (default: the ten digits)")
    train_p.add_argument("--fusion", choices=FUSIONS,
                         help="subnets: how feature and gradient taps are fused (default: the profile's)")
    train_p.add_argument("--out", required=True, help="run folder: checkpoint, metrics, loss curve")
    train_p.add_argument("--steps", type=int, help="total optimiser steps (default: the profile's)")
    train_p.add_argument("--batch-size", type=int)
    train_p.add_argument("--checkpoint-every", type=int)
    train_p.add_argument("--seed", type=int)
    train_p.add_argument("--time-limit", type=float, metavar="SECONDS",
                         help="stop after this many seconds of training, saving a checkpoint; rerun to continue")
    train_p.add_argument("--init", metavar="FILE",
                         help="start from the weights of an exported model (or run) of the same kind and size, e.g. a "
                              "shipped checkpoint; optimiser and warm-up start afresh")
    train_p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    train_p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                         help="bf16 autocast (default: on for CUDA, off on the CPU)")
    train_p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                         help="torch.compile (default: on for CUDA, off on the CPU)")
    train_p.add_argument("--quiet", action="store_true", help="no progress bars")
    train_p.set_defaults(func=cmd_train)

    sample_p = commands.add_parser("sample", help="generate clips from a trained model")
    sample_p.add_argument("--run", required=True, help="a run folder or an exported .pt file")
    sample_p.add_argument("--n", type=int, default=16)
    sample_p.add_argument("--out", required=True)
    sample_p.add_argument("--steps", type=int, help="sampler steps (default: the profile's)")
    sample_p.add_argument("--sampler", choices=list(SAMPLERS))
    sample_p.add_argument("--seed", type=int, default=0, help="fixes every clip by its index, whatever --batch-size")
    sample_p.add_argument("--batch-size", type=int, default=16, help="clips sampled at once (memory, not results)")
    sample_p.add_argument("--vocoder", default="griffinlim", choices=VOCODERS)
    sample_p.add_argument("--label", help="guide toward a word (or comma-separated words, or 'all'); "
                          "files are then named {label}_{index}.wav, N per label")
    sample_p.add_argument("--gamma", type=float, default=DEFAULT_GAMMA, help="guidance strength (the paper's, %(default)s)")
    sample_p.add_argument("--classifier", help="classifier run that guides a U-Net; for a subnet file "
                          "exported without its classifier, where that classifier is if not beside it")
    sample_p.add_argument("--device")
    sample_p.add_argument("--quiet", action="store_true")
    sample_p.set_defaults(func=cmd_sample)

    export_p = commands.add_parser("export", help="keep only the EMA weights and configuration")
    export_p.add_argument("--run", required=True)
    export_p.add_argument("--out", required=True)
    export_p.add_argument("--full-precision", action="store_true", help="store float32, not float16")
    export_p.add_argument("--note", default="", help="provenance to store beside the weights")
    export_p.set_defaults(func=cmd_export)

    classify_p = commands.add_parser("classify", help="accuracy of a classifier on a folder of {label}_*.wav")
    classify_p.add_argument("--run", required=True, help="a classifier run folder or exported file")
    classify_p.add_argument("folder")
    classify_p.add_argument("--verbose", action="store_true", help="one line per file")
    classify_p.set_defaults(func=cmd_classify)

    eval_p = commands.add_parser("evaluate", help="FID, IS, mIS, AM, accuracy (and ScoreQ) of a folder of wavs")
    eval_p.add_argument("folder", help="folder of .wav clips; names like '{label}_*.wav' add accuracy")
    eval_p.add_argument("--reference", default="fsdd",
                        help="real clips for FID and AM: fsdd, sc09 (training splits), a folder, or none")
    eval_p.add_argument("--reference-root", help="folder of the fsdd/sc09 data (default: its environment variable)")
    eval_p.add_argument("--features", choices=["scorelab", "sc09-resnext"], default="scorelab",
                        help="scorelab's evaluation classifier, or the public SC09 ResNeXt of the literature")
    eval_p.add_argument("--classifier", help="evaluation classifier (default $SCORELAB_EVAL_CLASSIFIER or the book's)")
    eval_p.add_argument("--resnext", help="SC09 ResNeXt checkpoint (default $SCORELAB_SC09_RESNEXT)")
    eval_p.add_argument("--scoreq", action="store_true", help="add ScoreQ MOS (optional extra, needs its weights)")
    eval_p.add_argument("--json", help="also write the results to this JSON file")
    eval_p.add_argument("--device", default="cpu")
    eval_p.set_defaults(func=cmd_evaluate)

    report_p = commands.add_parser("report", help="the paper's comparison: train what is missing, sample, "
                                                  "evaluate, tables and figures (resumable)")
    report_p.add_argument("--profile", default="tiny")
    report_p.add_argument("--data", choices=SOURCES,
                          help="data source (default: the profile's)")
    report_p.add_argument("--data-root", help="folder of the data set (default: its environment variable)")
    report_p.add_argument("--out", required=True, help="report folder; a rerun continues what is there")
    report_p.add_argument("--checkpoints", help="folder of exported models named like book/checkpoints "
                                                "(default: train what is missing into OUT/checkpoints)")
    report_p.add_argument("--n", type=int, default=100, help="clips per row (guided rows: n / 10 per digit)")
    report_p.add_argument("--steps", type=int, help="sampler steps (default: the profile's)")
    report_p.add_argument("--gammas", default="1,10", help="extra guidance strengths for the full-data sweep")
    report_p.add_argument("--seed", type=int, default=0)
    report_p.add_argument("--device", default="cpu")
    report_p.set_defaults(func=cmd_report)

    compute_p = commands.add_parser("compute", help="parameter and MAC counts per sampling step")
    compute_p.add_argument("--profile", default="paper")
    compute_p.add_argument("--gamma", type=float, default=DEFAULT_GAMMA, help="guidance strength of conditional rows")
    compute_p.add_argument("--json", action="store_true", help="machine-readable output")
    compute_p.set_defaults(func=cmd_compute)

    bench_p = commands.add_parser("benchmark", help="time a few training and sampling steps of each model on this "
                                                    "device and project how long the profile takes")
    bench_p.add_argument("--profile", default="paper")
    bench_p.add_argument("--models", help="comma-separated: classifier,unet,subnet,subnet-gradtaps (default: all)")
    bench_p.add_argument("--steps", type=int, default=5, help="timed training steps per model (after 2 warm-up)")
    bench_p.add_argument("--batch-size", type=int, help="training batch (default: the profile's)")
    bench_p.add_argument("--clips", type=int, default=2048, help="guided clips of an evaluation set")
    bench_p.add_argument("--sample-batch", type=int, default=16,
                         help="clips sampled together when timing sampling (default 16, as report samples)")
    bench_p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    bench_p.add_argument("--json", action="store_true", help="machine-readable output")
    bench_p.set_defaults(func=cmd_benchmark)

    shipped_p = commands.add_parser("shipped", help="check (or --update) the record of files shipped with the book")
    shipped_p.add_argument("--book", default="book", help="the book/ folder of a clone (default: ./book)")
    shipped_p.add_argument("--update", action="store_true", help="record the files as they are now")
    shipped_p.set_defaults(func=cmd_shipped)
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
