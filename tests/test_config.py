import dataclasses

import pytest

from scorelab.config import (DIGITS, MelConfig, config_diff, config_to_dict, get_profile, profile_from_dict,
                             upgrade_config)


def test_profiles_are_data():
    tiny, paper = get_profile("tiny"), get_profile("paper")
    assert tiny.data.source == "fsdd" and paper.data.source == "sc09"
    assert tiny.mel == paper.mel  # one feature space for both scales
    assert tiny.sde == paper.sde


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ValueError, match="choose one of micro, paper, tiny"):
        get_profile("huge")


def test_mel_defaults_match_the_paper_decisions():
    cfg = MelConfig()
    assert (cfg.sample_rate, cfg.n_mels, cfg.n_fft, cfg.hop_length, cfg.f_max) == (16000, 80, 1024, 256, 8000)
    assert cfg.clip_samples == 16000 and cfg.n_frames == 63
    assert len(DIGITS) == 10


def test_config_diff_names_changed_fields():
    a = config_to_dict(get_profile("tiny"))
    b = config_to_dict(get_profile("tiny").replace(mel=MelConfig(n_mels=64)))
    assert config_diff(a, b) == ["mel.n_mels: 80 != 64"]
    assert config_diff(a, a) == []


def test_profiles_round_trip_and_older_dicts_size_the_variant_as_the_full_model():
    for name in ("tiny", "paper", "micro"):
        assert profile_from_dict(config_to_dict(get_profile(name))) == get_profile(name)
    paper = get_profile("paper")
    assert paper.subnet_gradtaps.taps == "gradients" and paper.subnet_gradtaps.blocks != paper.subnet.blocks
    # a checkpoint written before the variant had its own size built it from `subnet`
    old = config_to_dict(paper)
    del old["subnet_gradtaps"]
    assert profile_from_dict(old).subnet_gradtaps == dataclasses.replace(paper.subnet, taps="gradients")


def test_a_run_saved_before_the_variant_had_its_own_size_still_resumes():
    from scorelab.checkpoints import check_config

    now = {"model": "subnet", "profile": config_to_dict(get_profile("tiny")),
           "classifier": {"profile": config_to_dict(get_profile("tiny"))}}
    saved = {**now, "profile": {k: v for k, v in now["profile"].items() if k != "subnet_gradtaps"},
             "classifier": {"profile": {k: v for k, v in now["profile"].items() if k != "subnet_gradtaps"}}}
    assert upgrade_config(saved) == now
    check_config(saved, now, "old run")  # no error
    changed = {**saved, "profile": {**saved["profile"], "subnet": {**saved["profile"]["subnet"], "blocks": (2, 1, 1, 1)}}}
    with pytest.raises(ValueError, match="profile.subnet.blocks"):
        check_config(changed, now, "old run")


def test_runs_saved_with_the_removed_fields_still_resume():
    # profiles once carried an unused `seed` and `sample.n`; a run saved then resumes today
    from scorelab.checkpoints import check_config

    now = {"profile": config_to_dict(get_profile("tiny")), "train": {"seed": 3}}
    old_profile = {**now["profile"], "seed": 0, "sample": {**now["profile"]["sample"], "n": 16}}
    saved = {**now, "profile": old_profile}
    assert upgrade_config(saved) == now  # the training seed (train.seed) is kept
    check_config(saved, now, "old run")
    assert profile_from_dict(old_profile) == get_profile("tiny")
