"""Synthetic spoken digits made offline with espeak-ng, written in the Speech Commands layout.

Each synthetic "speaker" is an espeak-ng voice (an English accent), a voice variant (m1..m7,
f1..f5), a base speed and a base pitch; each take jitters speed and pitch a little, scales the
level and adds faint white noise, so no two clips are identical. Everything is drawn from one
seeded generator: the same seed (and espeak-ng version) gives the same files. Speakers are
split whole into train / validation / test, as Speech Commands splits by speaker.

Optionally (`accented=`), some speakers also carry features of English spoken as a second
language (`L2_FEATURES`: "th" said as t or s, tense vowels, pure vowels for diphthongs, w said
as v, ...): their digits are spoken from rewritten phonemes, so "three" becomes "tree" or
"sree" as a French or German speaker may say it. espeak-ng's own accents differ mostly in vowel
colour; these change the sounds a digit is made of.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..audio.clips import prepare_clip
from ..audio.io import read_audio, write_audio
from ..config import DIGITS, SAMPLE_RATE
from ..paths import resolve_root
from .speech_commands import speech_commands

ACCENTS = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")

# The digits in espeak-ng's English phoneme mnemonics (`espeak-ng -v en-us -x WORD`), one sound
# per item, the stress mark on the stressed vowel. Spoken as [[...]] they give the same audio as
# the word (tested); an accented speaker says its rewrite in its own voice and accent.
DIGIT_PHONEMES = {
    "zero": ("z", "'i@", "r", "oU"), "one": ("w", "'V", "n"), "two": ("t", "'u:"),
    "three": ("T", "r", "'i:"), "four": ("f", "'o@"), "five": ("f", "'aI", "v"),
    "six": ("s", "'I", "k", "s"), "seven": ("s", "'E", "v", "@", "n"), "eight": ("'eI", "t"),
    "nine": ("n", "'aI", "n"),
}
# Features of English as a second language, each a rewrite of single sounds (None: any place;
# "last": only the word's last sound). A speaker draws a few; "th-as-t" and "th-as-s" exclude
# each other.
L2_FEATURES = {
    "th-as-t": ({"T": "t"}, None),                      # three -> "tree"
    "th-as-s": ({"T": "s"}, None),                      # three -> "sree"
    "tense-vowels": ({"I": "i:", "E": "e"}, None),      # six -> "seeks"
    "pure-vowels": ({"eI": "e:", "oU": "o:", "i@": "e"}, None),  # eight, zero without glides
    "w-as-v": ({"w": "v"}, None),                       # one -> "vun"
    "open-vowels": ({"V": "0", "@": "E", "o@": "o:"}, None),  # one -> "won", seven -> "sevEn"
    "devoiced-ends": ({"v": "f", "z": "s"}, "last"),    # five -> "fife"
    "voiceless-z": ({"z": "s"}, None),                  # zero -> "sero"
}


@dataclass(frozen=True)
class SynthSpeaker:
    accent: str
    variant: str
    speed: int  # words per minute
    pitch: int  # espeak-ng pitch 0..99
    l2: tuple[str, ...] = ()  # names in L2_FEATURES; () speaks espeak-ng's own English

    @property
    def speaker_id(self) -> str:
        """An 8-hex-digit id, like the speaker hashes of Speech Commands file names."""
        fields = asdict(self)
        if not self.l2:  # ids of speakers without L2 features as before the field existed
            del fields["l2"]
        return hashlib.sha1(repr(fields).encode()).hexdigest()[:8]


def pronounce(word: str, features: tuple[str, ...]) -> str:
    """What espeak-ng is asked to say: the word itself, or its rewritten phonemes in [[...]]."""
    if not features:
        return word
    unknown = [f for f in features if f not in L2_FEATURES]
    if unknown:
        raise ValueError(f"unknown L2 feature(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(L2_FEATURES)}")
    if word not in DIGIT_PHONEMES:
        raise ValueError(f"L2 features rewrite the digits' phonemes only; {word!r} is not a digit")
    sounds = list(DIGIT_PHONEMES[word])
    for name in features:
        rewrite, where = L2_FEATURES[name]
        places = [len(sounds) - 1] if where == "last" else range(len(sounds))
        for i in places:
            stress, sound = ("'", sounds[i][1:]) if sounds[i].startswith("'") else ("", sounds[i])
            sounds[i] = stress + rewrite.get(sound, sound)
    return "[[" + "".join(sounds) + "]]"


def espeak_binary() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise FileNotFoundError(
            "espeak-ng is not installed: it makes the synthetic digits. Install it with "
            "`sudo apt-get install espeak-ng` (Debian/Ubuntu), `brew install espeak-ng` (macOS), "
            "or run `make data`, which installs it"
        )
    return path


def speak(word: str, speaker: SynthSpeaker, speed: int, pitch: int, workdir: Path) -> tuple[torch.Tensor, int]:
    """One utterance of `word` by espeak-ng: (channels, samples) float waveform and its rate."""
    # a file of its own per call: calls run in parallel threads, and two takes may share
    # word, speaker, speed and pitch
    fd, name = tempfile.mkstemp(suffix=".wav", prefix="say-", dir=workdir)
    os.close(fd)
    out = Path(name)
    cmd = [espeak_binary(), "-v", f"{speaker.accent}+{speaker.variant}", "-s", str(speed),
           "-p", str(pitch), "-w", str(out), word]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or out.stat().st_size == 0:
            raise RuntimeError(f"espeak-ng failed for {word!r} with {' '.join(cmd[1:-1])}: "
                               f"{done.stderr.strip() or 'no output'}")
        return read_audio(out)
    finally:
        out.unlink(missing_ok=True)


def take_of(clip: torch.Tensor, peak: float, noise_db: float, noise_seed: int) -> torch.Tensor:
    """One take of a synthesised clip: scaled to `peak` (of full scale) and given a white-noise
    floor `noise_db` below full scale, the noise fixed by `noise_seed`."""
    clip = clip * (peak / clip.abs().max().clamp_min(1e-6))
    gen = torch.Generator().manual_seed(noise_seed)
    return clip + 10 ** (noise_db / 20) * torch.randn(clip.shape, generator=gen)


def draw_speakers(n: int, rng: random.Random) -> list[SynthSpeaker]:
    speakers, seen = [], set()
    while len(speakers) < n:
        s = SynthSpeaker(rng.choice(ACCENTS), rng.choice(VARIANTS), rng.randint(130, 190),
                         rng.randint(25, 75))
        if s.speaker_id not in seen:
            seen.add(s.speaker_id)
            speakers.append(s)
    return speakers


def give_l2_features(speakers: list[SynthSpeaker], fraction: float, rng: random.Random,
                     p: float = 0.4) -> list[SynthSpeaker]:
    """A copy in which `fraction` of the speakers, drawn at random, speak with L2 features.

    Each such speaker takes each feature with probability p (at least one; one "th" at most).
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"accented is a fraction of the speakers, 0 to 1; got {fraction}")
    chosen = set(rng.sample(range(len(speakers)), round(fraction * len(speakers))))
    out = []
    for i, s in enumerate(speakers):
        if i in chosen:
            names = [f for f in L2_FEATURES if rng.random() < p] or [rng.choice(list(L2_FEATURES))]
            if "th-as-t" in names and "th-as-s" in names:
                names.remove(rng.choice(["th-as-t", "th-as-s"]))
            s = dataclasses.replace(s, l2=tuple(names))
        out.append(s)
    return out


def split_speakers(speakers: list[SynthSpeaker], rng: random.Random,
                   fractions=(0.1, 0.1)) -> dict[str, list[SynthSpeaker]]:
    """Whole speakers to validation and test (at least one each), the rest to train."""
    order = speakers[:]
    rng.shuffle(order)
    n_val = max(1, round(fractions[0] * len(order)))
    n_test = max(1, round(fractions[1] * len(order)))
    return {"validation": order[:n_val], "test": order[n_val:n_val + n_test],
            "train": order[n_val + n_test:]}


def make_synthetic_digits(out: str | os.PathLike | None = None, words: tuple[str, ...] = DIGITS,
                          n_speakers: int = 40, takes: int = 5, seed: int = 0,
                          workers: int = 2, progress: bool = True, accented: float = 0.0) -> Path:
    """Write words x n_speakers x takes clips (1 s, 16 kHz) in Speech Commands layout to out.

    out defaults to $SCORELAB_SYNTH, else <data home>/synth. The folder is built beside its
    final place and moved in when complete, so an interrupted run leaves no partial data set.
    accented: the fraction of speakers given L2 features (`give_l2_features`); with 0 the set
    is the same as before the option existed.
    """
    if n_speakers < 3:
        raise ValueError("need at least 3 speakers: one each for train, validation and test")
    out = resolve_root(out, "SCORELAB_SYNTH", "synth")
    rng = random.Random(seed)
    speakers = draw_speakers(n_speakers, rng)
    if accented:
        if any(w not in DIGIT_PHONEMES for w in words):
            raise ValueError("accented synthetic speech is made for the digits only")
        # a generator of its own, so the draws below (and sets without accents) are unchanged
        speakers = give_l2_features(speakers, accented, random.Random(f"l2-{seed}"))
    splits = split_speakers(speakers, rng)
    jobs = []
    for word in words:
        for s in speakers:
            for take in range(takes):
                jobs.append((word, s, take, rng.randint(-12, 12), rng.randint(-6, 6),
                             rng.uniform(0.25, 0.9), rng.uniform(-75, -55), rng.randrange(2**31)))
    staging = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=_parent(out)))
    scratch = Path(tempfile.mkdtemp(prefix="espeak-"))

    def render(job):
        word, s, take, dspeed, dpitch, peak, noise_db, noise_seed = job
        wave, sr = speak(pronounce(word, s.l2), s, s.speed + dspeed,
                         max(0, min(99, s.pitch + dpitch)), scratch)
        clip = take_of(prepare_clip(wave, sr), peak, noise_db, noise_seed)
        write_audio(staging / word / f"{s.speaker_id}_nohash_{take}.wav", clip, SAMPLE_RATE)

    try:
        from tqdm.auto import tqdm  # optional: only for progress bars

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(tqdm(pool.map(render, jobs), total=len(jobs), desc="espeak-ng digits",
                      disable=not progress))
        for split, name in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
            ids = {s.speaker_id for s in splits[split]}
            lines = sorted(f"{w}/{s.speaker_id}_nohash_{t}.wav" for w in words for s in speakers
                           if s.speaker_id in ids for t in range(takes))
            (staging / name).write_text("\n".join(lines) + "\n")
        (staging / "synth_config.json").write_text(json.dumps({
            "seed": seed, "words": list(words), "takes": takes, "accented": accented,
            "espeak_ng": _espeak_version(),
            "speakers": {split: [dict(asdict(s), id=s.speaker_id) for s in group]
                         for split, group in splits.items()},
        }, indent=1))
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def _espeak_version() -> str:
    done = subprocess.run([espeak_binary(), "--version"], capture_output=True, text=True)
    return done.stdout.strip()


def synthetic_digits(root=None, split="train", labels=DIGITS):
    """The synthetic digits as a data set (read with the Speech Commands loader)."""
    return speech_commands(root, split, labels, source="synth", env="SCORELAB_SYNTH",
                           default_name="synth")
