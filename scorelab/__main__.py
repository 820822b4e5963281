"""The scorelab command line: `python -m scorelab COMMAND ...` (or `scorelab COMMAND`); `scorelab
COMMAND --help` lists a command's options. Each command calls the library function that does its
work (README.md shows them with examples)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from .audio.vocoders import VOCODERS
from .benchmark import estimate, format_estimate, format_peers, peer_rows, time_diffwave, vocoder_macs_per_second
from .classify import classify_folder
from .compute import PAPER_TABLE, compute_table, format_table
from .config import DIGITS, TrainConfig, get_profile
from .metrics import IS_ESTIMATORS
from .data import SOURCES, prepare
from .devices import default_device
from .evaluate import SC09Extractor, ScorelabExtractor, default_eval_classifier, evaluate_folder, format_result
from .generate import sample_to_folder
from .guidance import DEFAULT_GAMMA
from .judge import JUDGE_RECIPES
from .kinds import KINDS, TIMED
from .models import export
from .nets.score_subnet import FUSIONS
from .report import paper_rows, run_report
from .runs import train_score_model
from .sampling import SAMPLERS
from .speed import PRECISIONS
from .shipped import MANIFEST, differences, recorded_files, write_manifest
from .train import steps_per_second
from .utilisation import device_peaks


def _batch(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of clips or 'auto', got {text!r}")
    return int(text)


def _labels(text: str | None) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip()) if text else DIGITS


# the TrainConfig fields `train` takes as options, with their help; types and flags come from the dataclass
TRAIN_OPTIONS = {"steps": "total optimiser steps (default: the profile's)", "batch_size": "examples per step",
                 "checkpoint_every": "steps between checkpoints", "seed": "training seed (batches, noise, weights)",
                 "amp": "bf16 autocast (default: on for CUDA, off on the CPU)",
                 "compile": "torch.compile (default: on for CUDA, off on the CPU; a subnet only when asked, "
                            "then in pieces)"}


def _add_config_options(parser, cls, options: dict[str, str]) -> None:
    types = {f.name: str(f.type) for f in dataclasses.fields(cls)}
    for name, text in options.items():
        flag = "--" + name.replace("_", "-")
        if "bool" in types[name]:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            parser.add_argument(flag, type=float if "float" in types[name] else int, help=text)


def _profile_for(args):
    profile = get_profile(args.profile)
    data = dataclasses.replace(profile.data, source=args.data or profile.data.source,
                               labels=_labels(args.labels), root=args.data_root)
    train = dataclasses.replace(profile.train, **{k: getattr(args, k) for k in TRAIN_OPTIONS if getattr(args, k) is not None})
    subnet = dataclasses.replace(profile.subnet, fusion=args.fusion or profile.subnet.fusion)
    return profile.replace(data=data, train=train, subnet=subnet)


def cmd_data(args) -> int:
    root, counts = prepare(args.source, args.root, _labels(args.labels), args.download, args.speakers, args.takes,
                           args.seed, args.accented)
    print(f"{args.source} clips at {root}")
    print("\n".join(f"  {split:<10} {count:>6} clips" for split, count in counts.items()))
    return 0


def cmd_train(args) -> int:
    train_score_model(args.model, _profile_for(args), args.out, device=args.device, progress=not args.quiet,
                      classifier_run=args.classifier, time_limit_s=args.time_limit, init=args.init,
                      judge_recipe=JUDGE_RECIPES[args.judge_recipe] if args.judge_recipe else None)
    print(f"{steps_per_second(args.out):.2f} steps/s in the last session; checkpoint "
          f"{args.out}/checkpoint.pt, loss curve {args.out}/loss.png")
    return 0


def cmd_sample(args) -> int:
    started = time.perf_counter()
    paths = sample_to_folder(args.run, args.out, args.n, label=args.label, classifier=args.classifier,
                             sampler=args.sampler, steps=args.steps, seed=args.seed, gamma=args.gamma,
                             batch=args.batch_size, vocoder=args.vocoder, device=args.device, progress=not args.quiet,
                             precision=args.precision, compile=args.compile, channels_last=args.channels_last,
                             autotune=args.autotune)
    print(f"{len(paths)} clips in {time.perf_counter() - started:.1f} s -> {args.out} (spectrograms.png beside them)")
    return 0


def cmd_export(args) -> int:
    path = export(args.run, args.out, half=not args.full_precision, note=args.note)
    print(f"exported {args.run} -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_classify(args) -> int:
    result = classify_folder(args.run, args.folder)
    for name, heard, ok in zip(result["names"], result["predicted"], result["correct"]):
        if args.verbose:
            print(f"{name}: {heard}{'' if ok else '  (wrong)'}")
    print(f"accuracy {result['accuracy']:.3f} ({sum(result['correct'])} of {len(result['names'])} clips) "
          f"with the {result['kind']} in {args.run}")
    return 0


def cmd_evaluate(args) -> int:
    extractor = (SC09Extractor(args.resnext, args.device) if args.features == "sc09-resnext"
                 else ScorelabExtractor(args.classifier or default_eval_classifier(), args.device))
    result = evaluate_folder(args.folder, extractor, None if args.reference == "none" else args.reference,
                             args.reference_root, with_scoreq=args.scoreq, is_estimator=args.is_estimator)
    print(format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        print(f"written {args.json}")
    return 0


def cmd_report(args) -> int:
    gammas = tuple(float(g) for g in args.gammas.split(",")) if args.gammas else ()
    report = run_report(args.profile, args.out, args.checkpoints, n=args.n, steps=args.steps, seed=args.seed,
                        device=args.device, rows=paper_rows(gammas), data=args.data, data_root=args.data_root,
                        is_estimator=args.is_estimator)
    print(f"{len(report['rows'])} rows -> {args.out}/report.md, report.json, figures/")
    return 0


def cmd_compute(args) -> int:
    table = compute_table(get_profile(args.profile), gamma=args.gamma)
    if args.json:
        print(json.dumps({"profile": args.profile, "gamma": args.gamma, "scorelab": table, "paper": PAPER_TABLE}, indent=1))
        return 0
    print(f"profile {args.profile}: one sampling step for one second of audio (MACs = FLOPs / 2, "
          "backward passes for gradient taps and guidance included)\n")
    print(format_table(table))
    return 0


def cmd_benchmark(args) -> int:
    profile = get_profile(args.profile)
    if args.batch_size:
        profile = profile.replace(train=dataclasses.replace(profile.train, batch_size=args.batch_size))
    rows = estimate(profile, _labels(args.models) if args.models else TIMED, device=args.device,
                    train_steps=args.steps, eval_clips=args.clips, sample_batch=args.sample_batch,
                    log=(lambda *a: None) if args.json else print)
    result = {"profile": args.profile, "train_steps": profile.train.steps, "rows": rows}
    if args.peer:
        device = rows[0]["device"] if rows else args.device or str(default_device())
        if not args.json:
            print(f"timing diffwave on {device} ...")
        clips = args.sample_batch if args.sample_batch != "auto" else 16  # DiffWave is timed at a fixed batch
        peer = time_diffwave(device, clips=clips, steps=args.peer_steps, peaks=device_peaks(device))
        result.update(peer=peer, peers=peer_rows(rows, peer, profile), vocoder_macs_per_second=vocoder_macs_per_second(profile))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"\nprofile {args.profile}:\n\n{format_estimate(rows, profile, args.clips)}")
    if args.peer:
        print(f"\nPer generated second of audio, beside DiffWave (SC09 unconditional: 36 layers, 256 channels):\n\n"
              f"{format_peers(result['peers'], result['vocoder_macs_per_second'])}")
    return 0


def cmd_shipped(args) -> int:
    if args.update:
        record = write_manifest(Path(args.book))
        print(f"{MANIFEST}: {len(record['files'])} shipped files, "
              f"{sum(f['bytes'] for f in record['files'].values()) / 1e6:.1f} MB")
        return 0
    differ = differences(args.book)
    print("".join(f"{name}: {what}\n" for name, what in differ.items()), end="")
    if differ:
        print(f"{len(differ)} shipped file(s) differ from {MANIFEST.name}; run `python -m scorelab shipped --update`")
        return 1
    print(f"{len(recorded_files())} shipped files match {MANIFEST.name}")
    return 0


def _data_parser(commands) -> None:
    data_p = commands.add_parser("data", help="make, fetch or check data sets")
    data_p.set_defaults(func=cmd_data, root=None, labels=None, download=False, speakers=40, takes=5, seed=0,
                        accented=0.0)
    sources = data_p.add_subparsers(dest="source", required=True)
    synth = sources.add_parser("synth", help="synthetic spoken digits with espeak-ng (offline)")
    synth.add_argument("--out", dest="root", help="output folder (default $SCORELAB_SYNTH or <data home>/synth)")
    synth.add_argument("--speakers", type=int, default=40)
    synth.add_argument("--takes", type=int, default=5, help="takes per speaker and word")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--labels", help="comma-separated words (default: the ten digits)")
    synth.add_argument("--accented", type=float, default=0.0,
                       help="fraction of speakers who speak English as a second language (th as t or s, "
                            "tense vowels, ...; default 0)")
    fsdd = sources.add_parser("fsdd", help="the Free Spoken Digit Dataset (real voices)")
    fsdd.add_argument("--root", help="recordings folder (default $SCORELAB_FSDD or <data home>/fsdd/recordings)")
    fsdd.add_argument("--download", action="store_true", help="fetch the public release")
    sc09 = sources.add_parser("sc09", help="SC09 / Speech Commands v0.02")
    sc09.add_argument("--root", help="folder for the word folders (default $SCORELAB_SC09 or <data home>/sc09)")
    sc09.add_argument("--download", action="store_true", help="fetch the 2.3 GB archive (resumable)")
    sc09.add_argument("--labels", help="comma-separated words to extract (default: the ten digits)")


def _data_options(parser) -> None:
    parser.add_argument("--data", choices=SOURCES, help="data source (default: the profile's)")
    parser.add_argument("--data-root", help="folder of the data set (default: its environment variable)")


def _train_parser(commands) -> None:
    train_p = commands.add_parser("train", help="train a model; resumes from RUN/checkpoint.pt")
    train_p.set_defaults(func=cmd_train)
    train_p.add_argument("model", choices=list(KINDS), help="which model")
    train_p.add_argument("--out", required=True, help="run folder: checkpoint, metrics, loss curve")
    train_p.add_argument("--profile", default="tiny", help="tiny (CPU), paper (GPU) or micro (tests)")
    _data_options(train_p)
    train_p.add_argument("--labels", help="comma-separated words to train on (default: the ten digits)")
    train_p.add_argument("--classifier", help="run folder of the trained classifier (subnets only)")
    train_p.add_argument("--fusion", choices=FUSIONS, help="subnets: how feature and gradient taps are fused "
                                                          "(default: the profile's)")
    _add_config_options(train_p, TrainConfig, TRAIN_OPTIONS)
    train_p.add_argument("--time-limit", type=float, metavar="SECONDS",
                         help="stop after this many seconds of training, saving a checkpoint; rerun to continue")
    train_p.add_argument("--init", metavar="FILE", help="start from the weights of an exported model (or run) of "
                         "the same kind and size, e.g. a shipped checkpoint; optimiser and warm-up start afresh")
    train_p.add_argument("--judge-recipe", choices=list(JUDGE_RECIPES), help="evalclassifier only: the data "
                         "variation it trains on (default on FSDD: band-limited, every clip varied in voice, rate, "
                         "microphone and bandwidth in every step; speaker-independent: the same without the "
                         "low-pass, the default elsewhere; "
                         "speed-and-masks: speed copies, masks and synthetic voices only; "
                         "plain: clean clips only; scorelab.judge says more)")
    train_p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    train_p.add_argument("--quiet", action="store_true", help="no progress bars")


def _sample_parser(commands) -> None:
    sample_p = commands.add_parser("sample", help="generate clips from a trained model")
    sample_p.set_defaults(func=cmd_sample)
    sample_p.add_argument("--run", required=True, help="a run folder or an exported .pt file")
    sample_p.add_argument("--out", required=True)
    sample_p.add_argument("--n", type=int, default=16, help="clips (with --label: per label)")
    sample_p.add_argument("--steps", type=int, help="sampler steps (default: the profile's)")
    sample_p.add_argument("--sampler", choices=list(SAMPLERS))
    sample_p.add_argument("--seed", type=int, default=0, help="fixes every clip by its index, whatever --batch-size")
    sample_p.add_argument("--batch-size", type=_batch, default="auto",
                          help="clips sampled at once (memory, not results); default 'auto': on a GPU as many as "
                               "fit in its memory, 16 on a CPU")
    sample_p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                          help="bf16: the score network under bf16 autocast (on a GPU, or a CPU with bf16 instructions)")
    sample_p.add_argument("--compile", action="store_true", help="torch.compile the model first (in pieces for a subnet)")
    sample_p.add_argument("--channels-last", action="store_true", help="convolution weights in the NHWC layout")
    sample_p.add_argument("--autotune", action="store_true",
                          help="let cuDNN time its convolution algorithms on the first step and keep the fastest (GPU)")
    sample_p.add_argument("--vocoder", default="griffinlim", choices=VOCODERS)
    sample_p.add_argument("--label", help="guide toward a word (or comma-separated words, or 'all'); "
                          "files are then named {label}_{index}.wav, N per label")
    sample_p.add_argument("--gamma", type=float, default=DEFAULT_GAMMA, help="guidance strength (the paper's, %(default)s)")
    sample_p.add_argument("--classifier", help="classifier run that guides a U-Net; for a subnet file "
                          "exported without its classifier, where that classifier is if not beside it")
    sample_p.add_argument("--device")
    sample_p.add_argument("--quiet", action="store_true")


def _model_file_parsers(commands) -> None:
    export_p = commands.add_parser("export", help="keep only the EMA weights and configuration")
    export_p.set_defaults(func=cmd_export)
    export_p.add_argument("--run", required=True)
    export_p.add_argument("--out", required=True)
    export_p.add_argument("--full-precision", action="store_true", help="store float32, not float16")
    export_p.add_argument("--note", default="", help="provenance to store beside the weights")
    classify_p = commands.add_parser("classify", help="accuracy of a classifier on a folder of {label}_*.wav")
    classify_p.set_defaults(func=cmd_classify)
    classify_p.add_argument("--run", required=True, help="a classifier run folder or exported file")
    classify_p.add_argument("folder")
    classify_p.add_argument("--verbose", action="store_true", help="one line per file")
    shipped_p = commands.add_parser("shipped", help="check (or --update) the record of files shipped with the book")
    shipped_p.set_defaults(func=cmd_shipped)
    shipped_p.add_argument("--book", default="book", help="the book/ folder of a clone (default: ./book)")
    shipped_p.add_argument("--update", action="store_true", help="record the files as they are now")


def _evaluation_parsers(commands) -> None:
    eval_p = commands.add_parser("evaluate", help="FID, IS, mIS, AM, accuracy (and ScoreQ) of a folder of wavs")
    eval_p.set_defaults(func=cmd_evaluate)
    eval_p.add_argument("folder", help="folder of .wav clips; names like '{label}_*.wav' add accuracy")
    eval_p.add_argument("--reference", default="fsdd",
                        help="real clips for FID and AM: fsdd, sc09 (training splits), a folder, or none")
    eval_p.add_argument("--reference-root", help="folder of the fsdd/sc09 data (default: its environment variable)")
    eval_p.add_argument("--features", choices=[ScorelabExtractor.name, SC09Extractor.name], default=ScorelabExtractor.name,
                        help="scorelab's evaluation classifier, or the public SC09 ResNeXt of the literature")
    eval_p.add_argument("--classifier", help="evaluation classifier (default $SCORELAB_EVAL_CLASSIFIER or the book's)")
    eval_p.add_argument("--resnext", help="SC09 ResNeXt checkpoint (default $SCORELAB_SC09_RESNEXT)")
    eval_p.add_argument("--scoreq", action="store_true", help="add ScoreQ MOS (optional extra, needs its weights)")
    eval_p.add_argument("--json", help="also write the results to this JSON file")
    eval_p.add_argument("--is-estimator", choices=list(IS_ESTIMATORS),
                        help="the IS the table headlines (default: split-half with sc09-resnext, else plug-in)")
    eval_p.add_argument("--device", default="cpu")
    report_p = commands.add_parser("report", help="the paper's comparison: train what is missing, sample, "
                                                  "evaluate, tables and figures (resumable)")
    report_p.set_defaults(func=cmd_report)
    report_p.add_argument("--profile", default="tiny")
    _data_options(report_p)
    report_p.add_argument("--out", required=True, help="report folder; a rerun continues what is there")
    report_p.add_argument("--checkpoints", help="folder of exported models named like book/checkpoints "
                                                "(default: train what is missing into OUT/checkpoints)")
    report_p.add_argument("--n", type=int, help="clips per row (guided rows: n / 10 per digit; default 2048 on SC09, "
                                                "as the SC09 literature evaluates, else 100)")
    report_p.add_argument("--is-estimator", choices=list(IS_ESTIMATORS),
                          help="the IS the table headlines (default: split-half on SC09, else plug-in)")
    report_p.add_argument("--steps", type=int, help="sampler steps (default: the profile's)")
    report_p.add_argument("--gammas", default="1,10", help="extra guidance strengths for the full-data sweep")
    report_p.add_argument("--seed", type=int, default=0)
    report_p.add_argument("--device", default="cpu")


def _cost_parsers(commands) -> None:
    compute_p = commands.add_parser("compute", help="parameter and MAC counts per sampling step")
    compute_p.set_defaults(func=cmd_compute)
    compute_p.add_argument("--profile", default="paper")
    compute_p.add_argument("--gamma", type=float, default=DEFAULT_GAMMA, help="guidance strength of conditional rows")
    compute_p.add_argument("--json", action="store_true", help="machine-readable output")
    bench_p = commands.add_parser("benchmark", help="time a few training and sampling steps of each model on this "
                                                    "device and project how long the profile takes")
    bench_p.set_defaults(func=cmd_benchmark)
    bench_p.add_argument("--profile", default="paper")
    bench_p.add_argument("--models", help=f"comma-separated: {','.join(TIMED)} (default: all)")
    bench_p.add_argument("--steps", type=int, default=5, help="timed training steps per model (after 2 warm-up)")
    bench_p.add_argument("--batch-size", type=int, help="training batch (default: the profile's)")
    bench_p.add_argument("--clips", type=int, default=2048, help="guided clips of an evaluation set")
    bench_p.add_argument("--sample-batch", type=_batch, default=16,
                         help="clips sampled together when timing sampling (default 16, as report samples; "
                              "'auto': as many as fit in the GPU's memory)")
    bench_p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    bench_p.add_argument("--json", action="store_true", help="machine-readable output")
    bench_p.add_argument("--peer", action="store_true",
                         help="also time DiffWave's SC09 model (random weights) and compare work and seconds per "
                              "generated second")
    bench_p.add_argument("--peer-steps", type=int, default=2, help="timed DiffWave steps (of its 200; default 2)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorelab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_data_parser, _train_parser, _sample_parser, _model_file_parsers, _evaluation_parsers, _cost_parsers):
        add(commands)
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
