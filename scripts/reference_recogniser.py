"""How a recogniser that never heard any FSDD speaker hears each speaker's digits.

Leave-one-speaker-out (`scripts/judge_loso.py`) asks whether a judge trained on four speakers
hears the fifth. Part of a held-out speaker's errors may lie in the clips themselves (how that
speaker says a digit, how it was recorded) rather than in a judge that learnt too few voices. A
recogniser trained on other, many speakers tells the two apart: CMU PocketSphinx's US English
acoustic model (`pip install pocketsphinx`; the model comes inside the wheel, nothing is
downloaded), restricted by a grammar to the ten digit words. Every clip of every split is
resampled to the model's 16 kHz (`scorelab.audio.io.read_16k`; FSDD's 8 kHz recordings hold
nothing above 4 kHz, so its upper filters see silence) and peak-normalised. Prints each
speaker's accuracy and the most frequent confusions and writes them as JSON.

    pip install pocketsphinx
    python scripts/reference_recogniser.py --out runs/reference-recogniser.json   # reads $SCORELAB_FSDD
"""
from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path

from scorelab.config import DIGITS


def digit_grammar(words=DIGITS) -> str:
    """A JSGF grammar that accepts exactly one of `words`."""
    return "#JSGF V1.0;\ngrammar digits;\npublic <digit> = " + " | ".join(words) + ";\n"


def summarise(heard: list[tuple[str, int, str]], words=DIGITS, top: int = 12) -> dict:
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
    parser.add_argument("--profile", default="tiny", help="whose FSDD clips (all splits) to hear")
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()
    try:
        import pocketsphinx
    except ImportError as exc:
        raise SystemExit(f"{exc}: this script needs `pip install pocketsphinx`") from exc
    from importlib.metadata import version

    import numpy as np

    from scorelab.audio.io import read_16k
    from scorelab.config import get_profile
    from scorelab.data.base import SPLITS
    from scorelab.data.fsdd import speaker_of
    from scorelab.judge import clips_of

    profile = get_profile(args.profile)
    words = profile.data.labels
    files, labels = clips_of(profile, SPLITS)
    model = Path(pocketsphinx.get_model_path()) / "en-us"
    with tempfile.TemporaryDirectory() as tmp:
        grammar = Path(tmp) / "digits.gram"
        grammar.write_text(digit_grammar(words))
        decoder = pocketsphinx.Decoder(hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"),
                                       jsgf=str(grammar), loglevel="FATAL")
    started, heard = time.perf_counter(), []
    for path, label in zip(files, labels.tolist()):
        wave = read_16k([path])[0].numpy()
        pcm = (np.clip(0.7 * wave / (np.abs(wave).max() + 1e-9), -1, 1) * 32767).astype(np.int16).tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        heard.append((speaker_of(path), label, hyp.hypstr.strip() if hyp else ""))
    result = {"recogniser": f"pocketsphinx {version('pocketsphinx')}, US English model, digit grammar",
              **summarise(heard, words), "seconds": round(time.perf_counter() - started)}
    for speaker, accuracy in result["accuracy"].items():
        print(f"{speaker}: {accuracy:.1%} of {result['clips'][speaker]} clips")
    print("most frequent confusions: " + "; ".join(f"{c['speaker']} '{c['said']}' as '{c['heard']}' {c['clips']}"
                                                   for c in result["confusions"][:6]))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
