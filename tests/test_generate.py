"""generate: the seed fixes each sample whatever the batch size, guidance labels follow their
samples across batches, and samples become log-Mels and audio the way the chapters use them."""
import pytest
import torch

from scorelab import get_profile
from scorelab.audio import denormalize
from scorelab.audio import LOG_MEL_CEILING, to_audio
from scorelab.generate import generate, requested_labels, to_log_mel
from scorelab.models import build_classifier, build_unet

PROFILE = get_profile("micro")


@pytest.fixture(scope="module")
def unet():
    torch.manual_seed(0)
    return build_unet(PROFILE).eval()


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["heun", "euler_maruyama"])
def test_samples_do_not_depend_on_the_batch_size(unet, sampler):
    one_batch = generate(unet, PROFILE, 5, sampler=sampler, steps=3, seed=4, batch=5)
    in_pairs = generate(unet, PROFILE, 5, sampler=sampler, steps=3, seed=4, batch=2)
    torch.testing.assert_close(in_pairs, one_batch, atol=1e-4, rtol=1e-4)
    first_two = generate(unet, PROFILE, 2, sampler=sampler, steps=3, seed=4)
    torch.testing.assert_close(first_two, one_batch[:2], atol=1e-4, rtol=1e-4)
    other_seed = generate(unet, PROFILE, 5, sampler=sampler, steps=3, seed=5, batch=5)
    assert (other_seed - one_batch).abs().amax() > 0.1


@pytest.mark.slow
def test_guidance_labels_follow_their_samples_across_batches(unet):
    torch.manual_seed(1)
    classifier = build_classifier(PROFILE).eval()
    labels = torch.tensor([0, 1, 2, 3, 1])
    kwargs = dict(sampler="heun", steps=3, seed=0, classifier=classifier, labels=labels, gamma=3.0)
    torch.testing.assert_close(generate(unet, PROFILE, 5, batch=2, **kwargs), generate(unet, PROFILE, 5, batch=5, **kwargs),
                               atol=1e-4, rtol=1e-4)
    unguided = generate(unet, PROFILE, 5, sampler="heun", steps=3, seed=0)
    assert (generate(unet, PROFILE, 5, **kwargs) - unguided).abs().amax() > 1e-3


@pytest.mark.slow
def test_one_start_many_labels(unet):
    """same_start: every clip starts from clip 0's noise, so with Heun's deterministic sampler
    equal labels give equal clips and different labels differ only by what guidance did."""
    torch.manual_seed(1)
    classifier = build_classifier(PROFILE).eval()
    kwargs = dict(sampler="heun", steps=3, seed=2, classifier=classifier, gamma=3.0, same_start=True)
    same = generate(unet, PROFILE, 3, labels=torch.tensor([4, 4, 4]), **kwargs)
    torch.testing.assert_close(same[1:], same[:1].expand(2, *same.shape[1:]), atol=1e-5, rtol=1e-5)
    mixed = generate(unet, PROFILE, 3, labels=torch.tensor([4, 0, 9]), **kwargs)
    torch.testing.assert_close(mixed[0], same[0], atol=1e-5, rtol=1e-5)
    assert (mixed[1] - mixed[0]).abs().amax() > 1e-3 and (mixed[2] - mixed[0]).abs().amax() > 1e-3
    # the first clip is the one generate gives without same_start: the same noise, the same label
    alone = generate(unet, PROFILE, 1, labels=torch.tensor([4]), **{**kwargs, "same_start": False})
    torch.testing.assert_close(alone[0], same[0], atol=1e-5, rtol=1e-5)


def test_to_log_mel_drops_the_channel_and_denormalizes():
    x = torch.linspace(-1, 1, 2 * PROFILE.mel.n_mels * 4).reshape(2, 1, PROFILE.mel.n_mels, 4)
    mels = to_log_mel(x, PROFILE)
    assert mels.shape == (2, PROFILE.mel.n_mels, 4)
    torch.testing.assert_close(mels, denormalize(x[:, 0], PROFILE.mel))


def test_to_audio_warns_about_unfinished_clips_and_keeps_peaks_at_most_one():
    cfg = PROFILE.mel
    calm = torch.zeros(1, 1, cfg.n_mels, 8)
    wild = torch.full((1, 1, cfg.n_mels, 8), 1e3)  # far above any log-Mel of speech
    with pytest.warns(UserWarning, match=rf"clip\(s\) \[1\] of 2 .* clamped to {LOG_MEL_CEILING:g}"):
        waves = to_audio(torch.cat([calm, wild]), cfg)
    assert waves.shape[0] == 2 and torch.isfinite(waves).all()
    assert waves.abs().amax() <= 1.0 + 1e-6


def test_requested_labels_names_files_and_refuses_unknown_words():
    ids, names = requested_labels("two, zero", 2, ("zero", "one", "two"))
    assert ids.tolist() == [2, 2, 0, 0] and names == ["two_000", "two_001", "zero_000", "zero_001"]
    ids, _ = requested_labels("all", 1, ("zero", "one"))
    assert ids.tolist() == [0, 1]
    with pytest.raises(ValueError, match="label\\(s\\) seven unknown to the classifier; it knows zero, one"):
        requested_labels("seven", 1, ("zero", "one"))
