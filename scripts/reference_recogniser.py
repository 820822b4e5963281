"""How a recogniser that never heard any FSDD speaker hears each speaker's digits.

Leave-one-speaker-out (`scripts/judge_loso.py`) asks whether a judge trained on four speakers
hears the fifth. Part of a held-out speaker's errors may lie in the clips themselves (how that
speaker says a digit, how it was recorded) rather than in a judge that learnt too few voices. A
recogniser trained on other, many speakers tells the two apart: CMU PocketSphinx's US English
acoustic model (`pip install pocketsphinx`; the model comes inside the wheel, nothing is
downloaded), restricted by a grammar to the ten digit words. Every clip is resampled to 16 kHz
(the model's rate; FSDD's 8 kHz recordings hold nothing above 4 kHz, so its upper filters see
silence) and peak-normalised. Prints each speaker's accuracy and the most frequent confusions
and writes them as JSON.

    pip install pocketsphinx
    python scripts/reference_recogniser.py --fsdd $SCORELAB_FSDD --out runs/reference-recogniser.json
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def digit_grammar(words=DIGIT_WORDS) -> str:
    """A JSGF grammar that accepts exactly one of `words`."""
    return "#JSGF V1.0;\ngrammar digits;\npublic <digit> = " + " | ".join(words) + ";\n"


def fsdd_clip(path: str | os.PathLike) -> tuple[int, str]:
    """(digit, speaker) of an FSDD file name "{digit}_{speaker}_{take}.wav"; a clear error otherwise."""
    parts = Path(path).stem.split("_")
    if len(parts) != 3 or not parts[0].isdigit() or not 0 <= int(parts[0]) <= 9:
        raise ValueError(f"{path}: not an FSDD recording name (expected DIGIT_SPEAKER_TAKE.wav, e.g. 3_theo_12.wav)")
    return int(parts[0]), parts[1]


def summarise(heard: list[tuple[str, int, str]], words=DIGIT_WORDS, top: int = 12) -> dict:
    """Per-speaker accuracy and the `top` most frequent confusions of (speaker, digit, word heard)
    triples ("" where nothing was recognised)."""
    right, total, wrong = collections.Counter(), collections.Counter(), collections.Counter()
    for speaker, digit, word in heard:
        total[speaker] += 1
        if word == words[digit]:
            right[speaker] += 1
        else:
            wrong[(speaker, words[digit], word or "(nothing)")] += 1
    return {"accuracy": {s: round(right[s] / total[s], 4) for s in sorted(total)},
            "clips": {s: total[s] for s in sorted(total)},
            "confusions": [{"speaker": s, "said": said, "heard": h, "clips": n}
                           for (s, said, h), n in wrong.most_common(top)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fsdd", default=os.environ.get("SCORELAB_FSDD"),
                        help="folder of FSDD recordings (default: $SCORELAB_FSDD)")
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()
    if not args.fsdd or not Path(args.fsdd).is_dir():
        parser.error(f"--fsdd {args.fsdd!r} is not a folder; give the FSDD recordings folder or set SCORELAB_FSDD")
    try:
        import numpy as np
        import pocketsphinx
        from scipy.signal import resample_poly
        import soundfile
    except ImportError as exc:
        raise SystemExit(f"{exc}: this script needs `pip install pocketsphinx soundfile scipy`") from exc

    files = sorted(Path(args.fsdd).glob("*.wav"))
    if not files:
        parser.error(f"no .wav files in {args.fsdd}")
    model = Path(pocketsphinx.get_model_path()) / "en-us"
    with tempfile.TemporaryDirectory() as tmp:
        grammar = Path(tmp) / "digits.gram"
        grammar.write_text(digit_grammar())
        decoder = pocketsphinx.Decoder(hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"),
                                       jsgf=str(grammar), loglevel="FATAL")
    started, heard = time.perf_counter(), []
    for path in files:
        digit, speaker = fsdd_clip(path)
        wave, rate = soundfile.read(path, dtype="float32")
        wave = wave.mean(axis=1) if wave.ndim > 1 else wave
        wave = resample_poly(wave, 16000, rate) if rate != 16000 else wave
        pcm = (np.clip(0.7 * wave / (np.abs(wave).max() + 1e-9), -1, 1) * 32767).astype(np.int16).tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        heard.append((speaker, digit, hyp.hypstr.strip() if hyp else ""))
    from importlib.metadata import version

    result = {"recogniser": f"pocketsphinx {version('pocketsphinx')}, US English model, digit grammar",
              **summarise(heard), "seconds": round(time.perf_counter() - started)}
    for speaker, accuracy in result["accuracy"].items():
        print(f"{speaker}: {accuracy:.1%} of {result['clips'][speaker]} clips")
    print("most frequent confusions: " + "; ".join(f"{c['speaker']} '{c['said']}' as '{c['heard']}' {c['clips']}"
                                                   for c in result["confusions"][:6]))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
