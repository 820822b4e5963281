"""The judge's training data: speed perturbation, masking, speakers kept apart, the recipe
recorded in the run, and leave-one-speaker-out on the micro profile."""
import dataclasses

import pytest
import torch

from scorelab.config import get_profile
from scorelab.audio import speed_perturb
from scorelab.data.fsdd import speaker_of
from scorelab.judge import (PLAIN, SPEAKER_INDEPENDENT, JudgeConfig, clips_of, leave_one_speaker_out, masked_objective,
                            spec_mask, training_data)


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
    assert masked_objective(objective, PLAIN) is objective
    assert not torch.equal(masked_objective(objective, recipe)(None, x, None, None, None), x)


def test_only_fsdd_judges_add_the_synthetic_voices_by_default():
    from scorelab.judge import recipe_for

    assert recipe_for(get_profile("tiny")) == SPEAKER_INDEPENDENT and SPEAKER_INDEPENDENT.synthetic
    paper = recipe_for(get_profile("paper"))
    assert get_profile("paper").data.source == "sc09" and not paper.synthetic and paper.speed_factors


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
    assert set(result) == {"theo"} and 0.0 <= result["theo"] <= 1.0
    config = load_checkpoint(tmp_path / "without-theo" / "checkpoint.pt")["config"]
    assert config["data"]["speakers"] == ["george", "jackson", "lucas", "nicolas"]
    assert config["judge"] == dataclasses.asdict(PLAIN)
    # the same run folder with another recipe is another training: refused, not mixed
    with pytest.raises(ValueError, match="judge"):
        train_evalclassifier(profile, tmp_path / "without-theo", recipe=SPEAKER_INDEPENDENT,
                             speakers=("george", "jackson", "lucas", "nicolas"), progress=False, log=lambda *a: None)
    with pytest.raises(ValueError, match="no FSDD speaker 'zoe'"):
        leave_one_speaker_out(profile, PLAIN, tmp_path, only=("zoe",), log=lambda *a: None)
