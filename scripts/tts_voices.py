"""A judge lever measured once: more synthetic voices, from synthesisers built on recorded speakers.

Copies a synthetic-digit set (the espeak-ng voices of `python -m scorelab data synth`) to DEST and
adds, in the same Speech Commands layout and training split, the digits said by Debian's flite
voices (kal, kal16, awb, rms, slt) and festival voices (kal, ked, slt and, saying the English
digits respelt in their own spelling, Italian, Finnish, Czech and Russian voices), each at three
speaking rates, each take's level and noise floor drawn as the espeak-ng clips' are
(`scorelab.data.synth.take_of`). Needs
`apt-get install flite festival festvox-kallpc16k festvox-us-slt-hts festvox-italp16k
festvox-itapc16k festvox-suopuhe-lj festvox-suopuhe-mv festvox-czech-dita festvox-czech-machac
festvox-ru` (not installed by the Makefile: the lever did not help, see
book/checkpoints/README.md).

    python scripts/tts_voices.py data/synth runs/synth-tts
    SCORELAB_SYNTH=runs/synth-tts python scripts/judge_loso.py --recipe band-limited --steps 500 \
        --only nicolas george --out runs/loso-tts
"""
import random, shutil, subprocess, sys, tempfile, hashlib
from pathlib import Path
from scorelab.audio.clips import prepare_clip
from scorelab.audio.io import read_audio, write_audio
from scorelab.config import DIGITS, SAMPLE_RATE
from scorelab.data.synth import take_of

EN = dict(zip(DIGITS, DIGITS))
RESPELL = {  # how a speaker of each language might say the English digits, in its own spelling
    "it": dict(zero="ziro", one="uan", two="tu", three="tri", four="for", five="faiv", six="sics",
               seven="seven", eight="eit", nine="nain"),
    "fi": dict(zero="siirou", one="van", two="tuu", three="trii", four="fooh", five="faiv", six="siks",
               seven="seven", eight="eit", nine="nain"),
    "cs": dict(zero="zírou", one="van", two="tú", three="trí", four="fór", five="fajv", six="siks",
               seven="sevn", eight="ejt", nine="najn"),
    "ru": dict(zero="зироу", one="уан", two="ту", three="сри", four="фо", five="файв", six="сикс",
               seven="севн", eight="эйт", nine="найн"),
}
ENC = {"cs": "iso-8859-2", "it": "latin-1", "fi": "latin-1", "ru": "utf-8"}
FLITE = ("kal", "kal16", "awb", "rms", "slt")
FESTIVAL = {"kal_diphone": "en", "ked_diphone": "en", "cmu_us_slt_arctic_hts": "en",
            "lp_diphone": "it", "pc_diphone": "it", "suo_fi_lj_diphone": "fi",
            "hy_fi_mv_diphone": "fi", "czech_dita": "cs", "czech_machac": "cs", "czech_ph": "cs",
            "msu_ru_nsh_clunits": "ru"}  # festvox-hi-nsk crashes festival (segfault), so no Hindi voice
STRETCH = (0.8, 1.0, 1.25)


def say(engine, voice, lang, word, stretch, tmp):
    out = Path(tmp) / "x.wav"
    out.unlink(missing_ok=True)
    text = (EN if lang == "en" else RESPELL[lang])[word]
    if engine == "flite":
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}", "-t", text, "-o", str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
    else:
        txt = Path(tmp) / "t.txt"
        txt.write_bytes(text.encode(ENC.get(lang, "latin-1")))
        cmd = ["text2wave", "-eval", f"(voice_{voice})", "-eval",
               f"(Parameter.set 'Duration_Stretch {stretch})", str(txt), "-o", str(out)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return read_audio(out)


def main(src, dst, takes=5):
    dst = Path(dst)
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    rng = random.Random(0)
    voices = [("flite", v, "en") for v in FLITE] + [("festival", v, l) for v, l in FESTIVAL.items()]
    tmp = tempfile.mkdtemp()
    n = 0
    for engine, voice, lang in voices:
        for stretch in STRETCH:
            sid = hashlib.sha1(f"{engine}-{voice}-{stretch}".encode()).hexdigest()[:8]
            try:
                for word in DIGITS:
                    wave, sr = say(engine, voice, lang, word, stretch, tmp)
                    clip0 = prepare_clip(wave, sr)
                    for t in range(takes):
                        clip = take_of(clip0, rng.uniform(0.25, 0.9), rng.uniform(-75, -55), rng.randrange(2**31))
                        write_audio(dst / word / f"{sid}_nohash_{t}.wav", clip, SAMPLE_RATE)
                        n += 1
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                print("failed", engine, voice, stretch, e, file=sys.stderr)
        print(engine, voice, "done", n, flush=True)
    print("clips added", n)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
