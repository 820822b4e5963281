"""The judge's training data: speed perturbation, masking, speakers kept apart, the recipe
recorded in the run, and leave-one-speaker-out on the micro profile."""
import dataclasses
import math

import pytest
import torch

from scorelab.config import get_profile
from scorelab.audio import speed_perturb
from scorelab.data.fsdd import speaker_of
from scorelab.judge import (BAND_LIMITED, PLAIN, SPEAKER_INDEPENDENT, JudgeConfig, augmented_objective, clips_of,
                            leave_one_speaker_out, spec_mask, spec_vary, training_data, vary)


MEL = get_profile("tiny").mel
FLOOR = (MEL.log_floor - MEL.norm_center) / MEL.norm_scale  # silence in model space


def _ridge(band: int, first: int, last: int) -> torch.Tensor:
    """A silent clip (1, 1, bands, frames) but for one band sounding from frame `first` to `last`."""
    x = torch.full((1, 1, MEL.n_mels, MEL.n_frames), FLOOR)
    x[..., band, first:last + 1] = 0.5
    return x


def _vary(x, warp=1.0, stretch=1.0, shift=0.0, level_db=0.0):
    one = lambda v: torch.tensor([float(v)])  # noqa: E731
    level = level_db[None] if isinstance(level_db, torch.Tensor) else one(level_db)
    return vary(x, MEL, one(warp), one(stretch), one(shift), level)


def test_unit_factors_vary_nothing_and_the_plain_recipe_is_left_alone():
    x = torch.rand(3, 1, MEL.n_mels, MEL.n_frames) - 0.5
    ones, zeros = torch.ones(3), torch.zeros(3)
    assert torch.allclose(vary(x, MEL, ones, ones, zeros, zeros), x, atol=1e-5)
    assert spec_vary(x, PLAIN, MEL) is x


def test_a_warp_moves_a_band_to_the_band_at_its_frequency_times_the_factor():
    from scorelab.audio import band_centres

    centres = band_centres(MEL)
    for warp in (0.8, 1.25):
        moved = _vary(_ridge(30, 20, 40), warp=warp)[0, 0]
        expected = int((centres - centres[30] * warp).abs().argmin())
        assert int((moved - FLOOR).sum(dim=1).argmax()) in (expected - 1, expected, expected + 1)
        assert torch.equal(moved[:, :20], torch.full_like(moved[:, :20], FLOOR))  # timing kept


def test_a_stretch_lengthens_a_sound_about_the_centre_and_a_shift_moves_it():
    sounding = lambda clip: (clip[0, 0] > FLOOR + 1e-3).any(dim=0).nonzero().flatten()  # noqa: E731
    x = _ridge(10, 26, 35)  # 10 frames about the centre frame 31
    longer = sounding(_vary(x, stretch=1.5))
    assert len(longer) in (14, 15, 16) and abs(float(longer.float().mean()) - 30.5) <= 1
    later = sounding(_vary(x, shift=5))
    assert later.tolist() == list(range(31, 41))
    assert (_vary(x, stretch=1.5)[0, 0] > FLOOR + 1e-3).any(dim=1).nonzero().flatten().tolist() == [10]  # pitch kept


def test_levels_raise_each_band_by_its_decibels_and_leave_silence_silent():
    x = torch.full((1, 1, MEL.n_mels, MEL.n_frames), FLOOR)
    x[..., :, 20:40] = 0.0
    db = math.log(10) / 20 / MEL.norm_scale  # model units per dB
    louder = _vary(x, level_db=6)
    assert torch.allclose(louder[..., 20:40], torch.full_like(louder[..., 20:40], 6 * db), atol=1e-6)
    assert torch.equal(louder[..., :20], x[..., :20])
    tilted = _vary(x, level_db=torch.linspace(0, -12, MEL.n_mels))[0, 0, :, 30]
    assert tilted[0] == pytest.approx(0.0, abs=1e-6) and tilted[-1] == pytest.approx(-12 * db, abs=1e-6)
    assert torch.equal(_vary(x, level_db=-300), torch.full_like(x, FLOOR))  # never below silence


def test_a_noise_floor_sits_its_snr_below_the_loudest_bin_and_fills_the_silence():
    from scorelab.judge import add_noise

    x = torch.full((2, 1, MEL.n_mels, MEL.n_frames), FLOOR)
    x[..., 20:40] = 0.0  # the loudest bins
    db = math.log(10) / 20 / MEL.norm_scale
    noisy = add_noise(x, MEL, torch.tensor([20.0, 40.0]), torch.zeros_like(x))
    silence = [math.log(10 ** (-snr / 20) + math.exp(FLOOR * MEL.norm_scale)) / MEL.norm_scale for snr in (20, 40)]
    assert torch.allclose(noisy[:, 0, :, 0], torch.tensor(silence)[:, None].expand(2, MEL.n_mels), atol=1e-5)
    assert silence[0] == pytest.approx(-20 * db, abs=3e-3)  # the floor itself adds almost nothing
    sound = noisy[..., 20:40] - x[..., 20:40]  # a sum of magnitudes: 20 dB of SNR adds 10 % (0.83 dB)
    assert torch.allclose(sound[0], torch.full_like(sound[0], math.log(1.1) / MEL.norm_scale), atol=1e-5)


def test_drawn_variations_stay_within_the_recipes_ranges():
    x = torch.zeros(256, 1, MEL.n_mels, MEL.n_frames)
    db = math.log(10) / 20 / MEL.norm_scale
    louder = spec_vary(x, JudgeConfig(gain_db=10), MEL, torch.Generator().manual_seed(0))
    level = louder.mean(dim=(1, 2, 3)) / db
    assert float(level.abs().max()) <= 10 + 1e-3 and float(level.std()) > 3  # spread over the range
    assert torch.equal(spec_vary(x, JudgeConfig(gain_db=10), MEL, torch.Generator().manual_seed(0)), louder)


def test_a_drawn_low_pass_keeps_the_bands_below_its_cutoff_and_silences_those_far_above():
    from scorelab.audio import band_centres
    from scorelab.judge import LOWPASS_DB_PER_OCTAVE, lowpass_db

    centres = band_centres(MEL)
    gain = lowpass_db(centres, torch.tensor(2000.0))
    assert torch.equal(gain[centres <= 2000], torch.zeros(int((centres <= 2000).sum())))
    octave_up = int((centres - 4000).abs().argmin())
    assert float(gain[octave_up]) == pytest.approx(-LOWPASS_DB_PER_OCTAVE * math.log2(centres[octave_up] / 2000))
    x = torch.zeros(256, 1, MEL.n_mels, MEL.n_frames)
    cut = spec_vary(x, JudgeConfig(lowpass_hz=3000), MEL, torch.Generator().manual_seed(0))
    below = centres < 3000
    assert torch.equal(cut[:, :, below], x[:, :, below])  # nothing below the lowest cutoff changes
    assert (cut[:, 0, -1, 0] < -0.5).float().mean() > 0.5  # the top band mostly far down (cutoffs up to f_max)
    assert bool((cut[:, 0, ~below, 0] < -1e-6).any(dim=1).float().mean() < 1)  # some clips keep everything


def _peak_hz(wave, sr):
    spectrum = torch.fft.rfft(wave * torch.hann_window(len(wave)))
    return float(spectrum.abs().argmax()) * sr / len(wave)


def test_speed_perturbation_scales_pitch_up_and_length_down_by_the_factor():
    sr = 16000
    t = torch.arange(sr) / sr
    tone = torch.sin(2 * torch.pi * 400 * t)[None]
    faster = speed_perturb(tone, sr, 1.25)
    assert faster.shape[-1] == pytest.approx(sr / 1.25, abs=2)
    assert _peak_hz(faster[0], sr) == pytest.approx(500, abs=3)
    slower = speed_perturb(tone, sr, 0.8)
    assert slower.shape[-1] == pytest.approx(sr / 0.8, abs=2)
    assert _peak_hz(slower[0], sr) == pytest.approx(320, abs=3)
    assert speed_perturb(tone, sr, 1.0) is tone
    with pytest.raises(ValueError, match="must be positive"):
        speed_perturb(tone, sr, 0.0)


def test_masks_cover_at_most_their_widths_with_the_clip_mean_and_the_plain_recipe_masks_nothing():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 80, 63, generator=g)
    recipe = JudgeConfig(freq_masks=1, freq_mask_width=10, time_masks=1, time_mask_width=8)
    masked = spec_mask(x, recipe, torch.Generator().manual_seed(1))
    changed = masked != x
    mean = x.mean(dim=(1, 2, 3), keepdim=True).expand_as(x)
    assert torch.equal(masked[changed], mean[changed])
    full_bands = changed.all(dim=3)[:, 0]  # (clips, bands): a masked band is masked at every frame
    full_frames = changed.all(dim=2)[:, 0]
    assert int(full_bands.sum(1).max()) <= 10 and int(full_frames.sum(1).max()) <= 8
    assert full_bands.any() and full_frames.any()  # masks were drawn
    assert torch.equal(spec_mask(x, PLAIN), x)
    objective = lambda model, x, y, t, z: x  # noqa: E731 - shows what the loss sees
    assert augmented_objective(objective, PLAIN, MEL) is objective
    assert not torch.equal(augmented_objective(objective, recipe, MEL)(None, x, None, None, None), x)


def test_only_fsdd_judges_add_the_synthetic_voices_by_default():
    from scorelab.judge import recipe_for

    assert recipe_for(get_profile("tiny")) == BAND_LIMITED and BAND_LIMITED.synthetic and BAND_LIMITED.lowpass_hz
    paper = recipe_for(get_profile("paper"))
    assert get_profile("paper").data.source == "sc09" and not paper.synthetic and paper.speed_factors
    assert paper == dataclasses.replace(SPEAKER_INDEPENDENT, synthetic=False)


def test_fsdd_speakers_are_read_from_file_names():
    assert speaker_of("/data/7_theo_12.wav") == "theo"
    with pytest.raises(ValueError, match="not an FSDD file name"):
        speaker_of("digit.wav")


@pytest.fixture
def fsdd_profile(fsdd_root):
    micro = get_profile("micro")
    return micro.replace(data=dataclasses.replace(micro.data, root=str(fsdd_root)))


def test_the_judges_data_keeps_only_the_speakers_asked_for_and_adds_one_copy_per_speed_factor(fsdd_profile):
    files, labels = clips_of(fsdd_profile, ("train",), ("theo",))
    assert {speaker_of(f) for f in files} == {"theo"} and len(files) == 400 == len(labels)  # 10 digits x 40
    recipe = JudgeConfig(speed_factors=(0.9, 1.1))
    x, y = training_data(fsdd_profile, recipe, ("theo",))
    assert x.shape == (1200, 1, fsdd_profile.mel.n_mels, fsdd_profile.mel.n_frames)
    assert torch.equal(y, labels.repeat(3))
    assert not torch.equal(x[:400], x[400:800])  # the perturbed copies differ from the originals


@pytest.mark.slow
def test_leave_one_speaker_out_trains_without_the_speaker_and_records_the_recipe(fsdd_profile, tmp_path):
    from scorelab.checkpoints import load_checkpoint
    from scorelab.runs import train_evalclassifier

    profile = fsdd_profile.replace(train=dataclasses.replace(fsdd_profile.train, steps=10))
    result = leave_one_speaker_out(profile, PLAIN, tmp_path, only=("theo",), log=lambda *a: None)
    assert set(result) == {"theo"} and result["theo"].shape == (10, 10)
    assert int(result["theo"].sum()) == 500 and result["theo"].sum(dim=1).tolist() == [50] * 10  # every clip of theo
    config = load_checkpoint(tmp_path / "without-theo" / "checkpoint.pt")["config"]
    assert config["data"]["speakers"] == ["george", "jackson", "lucas", "nicolas"]
    assert config["judge"] == dataclasses.asdict(PLAIN)
    # the same run folder with another recipe is another training: refused, not mixed
    with pytest.raises(ValueError, match="judge"):
        train_evalclassifier(profile, tmp_path / "without-theo", recipe=SPEAKER_INDEPENDENT,
                             speakers=("george", "jackson", "lucas", "nicolas"), progress=False, log=lambda *a: None)
    with pytest.raises(ValueError, match="no FSDD speaker 'zoe'"):
        leave_one_speaker_out(profile, PLAIN, tmp_path, only=("zoe",), log=lambda *a: None)


def test_the_loso_record_merges_speakers_per_recipe_and_the_table_shows_the_lowest(tmp_path):
    from scorelab.judge import loso_table, read_loso, record_loso

    def heard(right):  # a confusion matrix of 500 clips, `right` of them on the diagonal
        m = torch.zeros(10, 10, dtype=torch.long)
        m[0, 0], m[0, 1] = right, 500 - right
        return m

    path = tmp_path / "results" / "loso.json"
    record_loso(path, "plain", 500, {"jackson": heard(255)})
    record_loso(path, "plain", 500, {"george": heard(347)})
    record_loso(path, "speaker-independent", 500, {"jackson": heard(436)})
    record = read_loso(path)
    assert [(e["recipe"], e["accuracy"]) for e in record["entries"]] == [
        ("plain", {"george": 0.694, "jackson": 0.51}), ("speaker-independent", {"jackson": 0.872})]
    assert record["entries"][0]["confusion"]["george"] == heard(347).tolist()
    assert record["entries"][1]["definition"]["warp"] == SPEAKER_INDEPENDENT.warp
    table = loso_table(record).splitlines()
    assert table[0] == "| held-out speaker | plain, 500 steps | speaker-independent, 500 steps |"
    assert table[2:] == ["| george | 69.4% |  |", "| jackson | 51.0% | 87.2% |",
                         "| mean | 60.2% | 87.2% (of 1) |", "| **lowest** | **51.0%** | **87.2%** (of 1) |"]
    (tmp_path / "bad.json").write_text('{"entries": [{"recipe": "plain"}]}')
    with pytest.raises(ValueError, match="bad.json is not a leave-one-speaker-out record"):
        read_loso(tmp_path / "bad.json")


def test_a_judge_run_recorded_before_voice_and_room_variation_resumes_as_the_recipe_without_them():
    from scorelab.config import config_diff, upgrade_config
    from scorelab.judge import SPEED_AND_MASKS

    now = {"model": "evalclassifier", "judge": dataclasses.asdict(SPEED_AND_MASKS)}
    then = {"model": "evalclassifier", "judge": {k: v for k, v in now["judge"].items()
                                                 if k not in ("warp", "tempo", "shift_frames", "gain_db", "tilt_db")}}
    assert config_diff(upgrade_config(then), now) == []
    assert config_diff(upgrade_config(then), {"model": "evalclassifier", "judge": dataclasses.asdict(SPEAKER_INDEPENDENT)})


def test_a_judges_recipe_is_named_from_its_run_configuration():
    from scorelab.judge import SPEED_AND_MASKS, recipe_name

    assert recipe_name({"model": "evalclassifier"}) == "plain"  # trained before recipes were recorded
    assert recipe_name({"judge": dataclasses.asdict(SPEAKER_INDEPENDENT)}) == "speaker-independent"
    before_lowpass = {k: v for k, v in dataclasses.asdict(SPEAKER_INDEPENDENT).items() if k != "lowpass_hz"}
    assert recipe_name({"judge": before_lowpass}) == "speaker-independent"  # recorded before the field existed
    assert recipe_name({"judge": dataclasses.asdict(BAND_LIMITED)}) == "band-limited"
    saved = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(SPEED_AND_MASKS).items()}
    assert recipe_name({"judge": saved}) == "speed-and-masks"  # as JSON stores it
    assert recipe_name({"judge": {**saved, "gain_db": 3.0}}) == "custom"


def test_a_recipe_is_described_by_what_it_varies():
    from scorelab.judge import describe

    assert describe(PLAIN) == "the clean clips only"
    text = describe(dataclasses.asdict(SPEAKER_INDEPENDENT))
    for part in ("speeds 0.85, 0.92, 1.08, 1.15", "synthetic voices", "up to 1.15x", "up to 20 dB", "tilted by up to 12 dB"):
        assert part in text


def test_judge_loso_changes_recipe_and_training_fields_and_refuses_unknown_ones():
    import argparse

    script = _script("judge_loso")
    parser = argparse.ArgumentParser()
    changed = script._changed(parser, "--with", SPEAKER_INDEPENDENT, ["warp=1", "speed_factors=0.9,1.1", "synthetic=0"])
    assert (changed.warp, changed.speed_factors, changed.synthetic) == (1.0, (0.9, 1.1), False)
    assert script._changed(parser, "--train", get_profile("tiny").train, ["lr=1e-3", "steps=7"]).steps == 7
    assert script._changed(parser, "--model", get_profile("tiny").classifier, ["dropout=0.2"]).dropout == 0.2
    for flag, config, item in (("--with", PLAIN, "bogus=1"), ("--with", PLAIN, "warp=x"),
                               ("--train", get_profile("tiny").train, "amp=1")):
        with pytest.raises(SystemExit):
            script._changed(parser, flag, config, [item])


def _script(name: str):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "scripts" / f"{name}.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_reference_recogniser_grammar_and_counts_per_speaker():
    script = _script("reference_recogniser")
    grammar = script.digit_grammar()
    assert grammar.startswith("#JSGF") and "zero | one" in grammar and grammar.rstrip().endswith("nine;")
    heard = [("george", 6, "eight"), ("george", 6, "eight"), ("george", 6, "six"), ("theo", 0, ""),
             ("theo", 1, "one")]
    result = script.summarise(heard)
    assert result["accuracy"] == {"george": round(1 / 3, 4), "theo": 0.5}
    assert result["clips"] == {"george": 3, "theo": 2}
    assert result["confusions"][0] == {"speaker": "george", "said": "six", "heard": "eight", "clips": 2}
    assert result["confusions"][1]["heard"] == "(nothing)"
