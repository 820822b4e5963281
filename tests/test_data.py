"""Data sources: FSDD splits, Speech Commands layout, synthetic digits, bad files, the cache."""
import hashlib
import json
import random
import shutil
import warnings

import numpy as np
import pytest
import torch

from conftest import tone, write_wav
from scorelab.audio import read_audio, prepare_clip
from scorelab.config import DIGITS, MelConfig
from scorelab.data import (cached_log_mels, fsdd, load_dataset, make_synthetic_digits,
                           speech_commands, synthetic_digits)
from scorelab.data.fsdd import FSDD_NAME, speakers
from scorelab.data.synth import (DIGIT_PHONEMES, L2_FEATURES, SynthSpeaker, espeak_binary,
                                  give_l2_features, pronounce, speak)

# ---------------------------------------------------------------- FSDD


def test_fsdd_splits_follow_the_dataset_convention(fsdd_root):
    splits = {s: fsdd(fsdd_root, s) for s in ("train", "validation", "test")}
    indices = {s: {int(FSDD_NAME.match(p.name).group(3)) for p in ds.files} for s, ds in splits.items()}
    assert indices["test"] == set(range(0, 5))
    assert indices["validation"] == set(range(5, 10))
    assert min(indices["train"]) == 10
    files = [set(ds.files) for ds in splits.values()]
    assert not (files[0] & files[1] or files[0] & files[2] or files[1] & files[2])
    for ds in splits.values():
        assert speakers(ds) == speakers(splits["train"])
        assert set(ds.counts().values()) == {len(ds) // 10}


def test_fsdd_clip_is_the_resampled_file(fsdd_root):
    ds = fsdd(fsdd_root, "test")
    wave, label = ds[0]
    raw, sr = read_audio(ds.files[0])
    assert sr == 8000 and wave.shape == (16000,) and wave.dtype == torch.float32
    assert torch.equal(wave, prepare_clip(raw, sr))
    assert ds.label_names[label] == DIGITS[int(ds.files[0].name[0])]


def test_fsdd_label_subset_is_renumbered(fsdd_root):
    ds = fsdd(fsdd_root, "test", labels=("seven", "three"))
    assert ds.label_names == ("seven", "three")
    assert {ds.files[i].name[0] for i in range(len(ds)) if ds.clips[i].label == 0} == {"7"}
    with pytest.raises(ValueError, match="not eleven"):
        fsdd(fsdd_root, "test", labels=("eleven",))


def test_fsdd_missing_root_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="scorelab data fsdd --download"):
        fsdd(tmp_path / "nothing")


def test_scanning_skips_bad_files_with_one_warning(fsdd_root, tmp_path):
    root = tmp_path / "fsdd"
    root.mkdir()
    for p in sorted(fsdd_root.glob("*_0.wav"))[:10]:
        shutil.copy(p, root / p.name)
    (root / "3_mallory_1.wav").write_bytes(b"")
    (root / "4_mallory_2.wav").write_text("not audio at all")
    (root / "notes.wav").write_text("stray")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = fsdd(root, "test")
    messages = [str(w.message) for w in caught]
    skipped = [m for m in messages if "unreadable" in m]
    assert len(skipped) == 1
    assert "skipped 2 unreadable" in skipped[0]
    assert "3_mallory_1.wav (the file is empty" in skipped[0] and "4_mallory_2.wav" in skipped[0]
    assert any("notes.wav" in m for m in messages)
    assert len(ds) == 10

# ---------------------------------------------------------------- Speech Commands layout


def test_speech_commands_splits_come_from_the_lists(speech_commands_root):
    train = speech_commands(speech_commands_root, "train", ("zero", "one", "two"))
    val = speech_commands(speech_commands_root, "validation", ("zero", "one", "two"))
    test = speech_commands(speech_commands_root, "test", ("zero", "one", "two"))
    assert (len(train), len(val), len(test)) == (6, 3, 3)
    assert all("cccc3333" in p.name for p in val.files) and all("dddd4444" in p.name for p in test.files)
    sub = speech_commands(speech_commands_root, "train", ("two",))
    assert sub.label_names == ("two",) and sub.labels.tolist() == [0, 0]


def test_speech_commands_resamples_downmixes_and_crops(speech_commands_root):
    stereo = np.stack([tone(300, 1.5, 22050), tone(300, 1.5, 22050)], axis=1)
    write_wav(speech_commands_root / "zero" / "eeee5555_nohash_0.wav", stereo, 22050)
    ds = speech_commands(speech_commands_root, "train", ("zero",))
    waves = [ds[i][0] for i in range(len(ds))]
    assert all(w.shape == (16000,) for w in waves)
    # the 1.5 s stereo tone at 22.05 kHz: still a 300 Hz tone of amplitude 0.5 at 16 kHz, the
    # middle second kept (a tone of whole periods fills it, no silence at either end)
    wave = ds[[p.name for p in ds.files].index("eeee5555_nohash_0.wav")][0].double()
    spectrum = torch.fft.rfft(wave).abs()
    assert abs(int(spectrum.argmax()) - 300) <= 1  # 1 Hz bins over one second
    assert abs(wave[1000:-1000].abs().max().item() - 0.5) < 0.01
    assert wave[:200].abs().max() > 0.4 and wave[-200:].abs().max() > 0.4


def test_speech_commands_errors_are_actionable(speech_commands_root, tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder for label.*seven.*present are _background_noise_, one, two, zero"):
        speech_commands(speech_commands_root, "train", ("zero", "seven"))
    (speech_commands_root / "testing_list.txt").unlink()
    with pytest.raises(FileNotFoundError, match="testing_list.txt is missing"):
        speech_commands(speech_commands_root, "train", ("zero",))
    with pytest.raises(FileNotFoundError, match="scorelab data sc09 --download"):
        speech_commands(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="scorelab data synth --out"):
        synthetic_digits(tmp_path / "absent")
    with pytest.raises(ValueError, match="unknown split"):
        speech_commands(speech_commands_root, "dev")


def test_load_dataset_dispatches(speech_commands_root, fsdd_root):
    assert load_dataset("speech_commands", "test", speech_commands_root, ["zero"]).source == "speech_commands"
    assert load_dataset("fsdd", "test", fsdd_root).source == "fsdd"
    with pytest.raises(ValueError, match="choose one of fsdd, synth, sc09, speech_commands"):
        load_dataset("timit")

# ---------------------------------------------------------------- synthetic digits

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (`make data` installs it)")


@needs_espeak
def test_synthetic_digits_are_deterministic_and_split_by_speaker(tmp_path):
    kwargs = dict(words=("zero", "one"), n_speakers=5, takes=2, progress=False)
    a = make_synthetic_digits(tmp_path / "a", seed=3, **kwargs)
    b = make_synthetic_digits(tmp_path / "b", seed=3, **kwargs)
    c = make_synthetic_digits(tmp_path / "c", seed=4, **kwargs)
    files = sorted(p.relative_to(a) for p in a.rglob("*.wav"))
    assert len(files) == 2 * 5 * 2
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert sorted(p.relative_to(c) for p in c.rglob("*.wav")) != files
    splits = {s: synthetic_digits(a, s, ("zero", "one")) for s in ("train", "validation", "test")}
    spk = {s: {p.name.split("_")[0] for p in ds.files} for s, ds in splits.items()}
    assert (len(spk["train"]), len(spk["validation"]), len(spk["test"])) == (3, 1, 1)
    assert not (spk["train"] & spk["test"] or spk["train"] & spk["validation"])
    wave, label = splits["train"][0]
    assert wave.shape == (16000,) and 0.2 < wave.abs().max() < 1.0


def test_l2_features_rewrite_the_digits_sounds():
    assert pronounce("three", ()) == "three"
    assert pronounce("three", ("th-as-t",)) == "[[tr'i:]]"
    assert pronounce("three", ("th-as-s",)) == "[[sr'i:]]"
    assert pronounce("six", ("tense-vowels",)) == "[[s'i:ks]]"
    assert pronounce("eight", ("pure-vowels",)) == "[['e:t]]"
    # "last" rewrites only the word's last sound: five ends in v, seven has it inside
    assert pronounce("five", ("devoiced-ends",)) == "[[f'aIf]]"
    assert pronounce("seven", ("devoiced-ends",)) == "[[s'Ev@n]]"
    assert pronounce("two", tuple(L2_FEATURES)) == "[[t'u:]]"  # nothing in "two" to rewrite
    with pytest.raises(ValueError, match="unknown L2 feature.*choose from th-as-t"):
        pronounce("three", ("lisp",))
    with pytest.raises(ValueError, match="'yes' is not a digit"):
        pronounce("yes", ("th-as-t",))


def test_l2_speakers_are_drawn_as_asked_and_plain_ids_are_unchanged():
    plain = [SynthSpeaker("en-us", v, 150, 50) for v in ("m1", "m2", "m3", "f1", "f2", "f3")]
    old_id = hashlib.sha1(repr({"accent": "en-us", "variant": "m1", "speed": 150,
                                "pitch": 50}).encode()).hexdigest()[:8]
    assert plain[0].speaker_id == old_id  # the ids of the data made before L2 features
    mixed = give_l2_features(plain, 0.5, random.Random(0))
    accented = [s for s in mixed if s.l2]
    assert len(accented) == 3 and all(set(s.l2) <= set(L2_FEATURES) for s in accented)
    assert not any({"th-as-t", "th-as-s"} <= set(s.l2) for s in accented)
    assert len({s.speaker_id for s in mixed}) == 6 and mixed != plain
    assert give_l2_features(plain, 0.0, random.Random(0)) == plain
    with pytest.raises(ValueError, match="fraction of the speakers, 0 to 1"):
        give_l2_features(plain, 1.5, random.Random(0))


@needs_espeak
def test_the_digit_phonemes_are_espeaks_own_and_a_rewrite_changes_the_sound(tmp_path):
    voice = SynthSpeaker("en-us", "m3", 160, 50)
    for word, sounds in DIGIT_PHONEMES.items():
        said, _ = speak(word, voice, 160, 50, tmp_path)
        from_phonemes, _ = speak("[[" + "".join(sounds) + "]]", voice, 160, 50, tmp_path)
        assert torch.equal(said, from_phonemes), word
    three, _ = speak("three", voice, 160, 50, tmp_path)
    tree, _ = speak(pronounce("three", ("th-as-t",)), voice, 160, 50, tmp_path)
    assert tree.shape != three.shape or not torch.equal(tree, three)


@needs_espeak
def test_accented_synthetic_digits_record_their_features(tmp_path):
    out = make_synthetic_digits(tmp_path / "l2", words=("three", "six"), n_speakers=4, takes=1,
                                progress=False, accented=0.5)
    config = json.loads((out / "synth_config.json").read_text())
    speakers = [s for group in config["speakers"].values() for s in group]
    assert config["accented"] == 0.5 and sum(bool(s["l2"]) for s in speakers) == 2
    assert len(list(out.rglob("*.wav"))) == 2 * 4
    with pytest.raises(ValueError, match="digits only"):
        make_synthetic_digits(tmp_path / "yes", words=("yes",), n_speakers=3, takes=1,
                              progress=False, accented=0.5)


def test_missing_espeak_is_explained(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install espeak-ng"):
        espeak_binary()

# ---------------------------------------------------------------- log-Mel cache


def test_cache_is_reused_and_never_stale(speech_commands_root, tmp_path, monkeypatch):
    ds = speech_commands(speech_commands_root, "train", ("zero", "one"))
    cache = tmp_path / "cache"
    mels, labels = cached_log_mels(ds, cache_dir=cache)
    assert mels.shape == (4, 80, 63) and labels.tolist() == ds.labels.tolist()
    assert len(list(cache.glob("*.pt"))) == 1

    calls = []
    import scorelab.data.cache as cache_mod
    real = cache_mod.compute_log_mels
    monkeypatch.setattr(cache_mod, "compute_log_mels", lambda *a, **k: calls.append(1) or real(*a, **k))
    again, _ = cached_log_mels(ds, cache_dir=cache)
    assert calls == [] and torch.equal(again, mels)

    small, _ = cached_log_mels(ds, MelConfig(n_mels=40), cache_dir=cache)  # new configuration
    assert calls == [1] and small.shape == (4, 40, 63)

    path = ds.files[0]
    write_wav(path, tone(1234, 1.0, 16000), 16000)  # a changed file
    changed, _ = cached_log_mels(speech_commands(speech_commands_root, "train", ("zero", "one")), cache_dir=cache)
    assert calls == [1, 1] and not torch.equal(changed, mels)

    for f in cache.glob("*.pt"):  # a corrupt cache is rebuilt, not trusted
        f.write_bytes(b"garbage")
    rebuilt, _ = cached_log_mels(ds, cache_dir=cache)
    assert calls == [1, 1, 1] and rebuilt.shape == (4, 80, 63)


def test_examples_and_durations(speech_commands_root):
    from scorelab.data import durations, examples

    ds = speech_commands(speech_commands_root, "train", ("two", "zero"))
    ex = examples(ds, per_label=2)
    assert list(ex) == ["two", "two 2", "zero", "zero 2"]
    assert torch.equal(ex["zero"], ds[[c.label for c in ds.clips].index(1)][0])
    assert durations(ds).tolist() == [1.0] * 4


def test_speech_commands_scan_skips_bad_files_with_one_warning(speech_commands_root):
    (speech_commands_root / "zero" / "eeee5555_nohash_0.wav").write_bytes(b"")
    (speech_commands_root / "one" / "ffff6666_nohash_0.wav").write_text("<html>not audio</html>")
    with pytest.warns(UserWarning, match="skipped 2 unreadable") as caught:
        ds = speech_commands(speech_commands_root, "train", ("zero", "one"))
    assert len(ds) == 4 and len(caught) == 1
    assert "eeee5555_nohash_0.wav (the file is empty" in str(caught[0].message)
    assert "ffff6666_nohash_0.wav (not a readable audio file" in str(caught[0].message)


@needs_espeak
def test_synthetic_digits_are_made_on_first_use(tmp_path, monkeypatch):
    import scorelab.data as data

    made = []
    real = data.make_synthetic_digits
    monkeypatch.setattr(data, "make_synthetic_digits", lambda root: made.append(root) or real(
        root, words=("zero", "one"), n_speakers=10, takes=1, progress=False))
    with pytest.raises(FileNotFoundError, match="scorelab data synth --out"):
        load_dataset("synth", "test", tmp_path / "synth", ("zero",))
    ds = load_dataset("synth", "test", tmp_path / "synth", ("zero",), download=True)
    assert made == [tmp_path / "synth"] and len(ds) > 0
    load_dataset("synth", "train", tmp_path / "synth", ("one",), download=True)
    assert len(made) == 1  # made once
