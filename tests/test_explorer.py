"""The guidance explorer and its gallery: one start per seed, the gallery's cells are the explorer's
clips, choices are checked, the widgets show what was made, and the gallery plays every cell."""
import dataclasses
import re
import sys

import pytest
import torch

from scorelab import get_profile
from scorelab.audio import LOG_MEL_CEILING
from scorelab.explorer import (SUBNET, UNET, ExplorerModels, GuidanceExplorer, guidance_explorer, guidance_gallery,
                               guided_clips, load_explorer_models)
from scorelab.models import build_classifier, build_subnet, build_unet

PROFILE = get_profile("micro")
# untrained models: their clips are not finished speech, and to_audio says so each time
pytestmark = pytest.mark.filterwarnings("ignore:clip\\(s\\).*not finished speech:UserWarning")


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    classifier = build_classifier(PROFILE).eval()
    unet = build_unet(PROFILE).eval()
    subnet = build_subnet(PROFILE, build_classifier(PROFILE)).eval()
    judge = build_classifier(PROFILE).eval()
    return ExplorerModels(PROFILE, {UNET: (unet, classifier), SUBNET: (subnet, subnet.backbone.classifier)}, judge)


def test_one_seed_is_one_start_and_gamma_zero_ignores_the_digit(models):
    unguided = guided_clips(models, UNET, ["zero", "seven", "two"], gamma=0.0, steps=2, seed=3)
    assert [c.digit for c in unguided] == ["zero", "seven", "two"]
    assert all(torch.equal(c.log_mel, unguided[0].log_mel) for c in unguided)
    # sampled once and repeated, the same as asking for one digit alone
    alone = guided_clips(models, UNET, "two", gamma=0.0, steps=2, seed=3)[0]
    torch.testing.assert_close(alone.log_mel, unguided[2].log_mel, atol=1e-4, rtol=1e-4)
    guided = guided_clips(models, UNET, ["zero", "seven"], gamma=10.0, steps=2, seed=3)
    assert (guided[0].log_mel - guided[1].log_mel).abs().amax() > 1e-3  # guidance tells them apart
    other_seed = guided_clips(models, UNET, "two", gamma=0.0, steps=2, seed=4)[0]
    assert (other_seed.log_mel - alone.log_mel).abs().amax() > 1e-2


def test_clips_carry_their_choices_audio_time_and_verdict(models):
    clip = guided_clips(models, SUBNET, ["three"], gamma=2.5, steps=3, seed=1)[0]
    assert (clip.model, clip.digit, clip.gamma, clip.steps, clip.seed) == (SUBNET, "three", 2.5, 3, 1)
    assert clip.log_mel.shape == (PROFILE.mel.n_mels, PROFILE.mel.n_frames)
    assert clip.wave.ndim == 1 and clip.wave.abs().max() > 0
    assert clip.seconds > 0
    assert clip.heard in models.digits
    assert "ScoreSubnet, three, γ = 2.5, 3 steps, seed 1" == clip.title
    assert torch.isfinite(clip.wave).all()  # an unfinished clip is vocoded clamped, never as NaN
    assert clip.finished == bool(clip.log_mel.max() <= LOG_MEL_CEILING)
    loud = dataclasses.replace(clip, log_mel=torch.full_like(clip.log_mel, LOG_MEL_CEILING + 1))
    assert not loud.finished and dataclasses.replace(clip, log_mel=torch.zeros_like(clip.log_mel)).finished


@pytest.mark.parametrize("change, message", [
    (dict(model="GAN"), "no model 'GAN'"),
    (dict(digits=["eleven"]), "'eleven': not a label"),
    (dict(gamma=-1.0), "must be zero"),
    (dict(gamma=float("nan")), "must be zero"),
    (dict(steps=0), "at least one step"),
])
def test_bad_choices_are_refused_with_what_to_choose(models, change, message):
    choices = dict(model=UNET, digits=["one"], gamma=1.0, steps=2) | change
    with pytest.raises(ValueError, match=re.escape(message)):
        guided_clips(models, choices["model"], choices["digits"], choices["gamma"], choices["steps"])


def test_the_gallery_cells_are_the_explorers_clips(models):
    gallery = guidance_gallery(models, gammas=(0.0, 3.0), steps=2, seed=5, digits=("one", "four", "nine"))
    page = gallery._repr_html_()
    # per model: gamma 0's one clip, spanning the three rows, and a clip per digit at gamma 3
    assert page.count("<audio") == 2 * (1 + 3) == gallery.sampled
    assert page.count('rowspan="3"') == 2 and page.count("one clip for every digit") == 2
    assert page.count('src="data:audio/wav;base64,UklGR') == 8  # every player has a WAV ("RIFF")
    assert page.count("heard “") == 8 and page.count("✓ heard") + page.count("✗ heard") == 2 * 3
    for model in (UNET, SUBNET):
        assert f"{model}: the digit asked for (rows)" in page
        accuracy = gallery.accuracy(model, 3.0)
        cells = [gallery.clip(model, d, 3.0) for d in ("one", "four", "nine")]
        assert accuracy == sum(c.heard == c.digit for c in cells) / 3
    explored = guided_clips(models, SUBNET, "four", gamma=3.0, steps=2, seed=5)[0]
    torch.testing.assert_close(explored.log_mel, gallery.clip(SUBNET, "four", 3.0).log_mel, atol=1e-4, rtol=1e-4)


def test_the_explorer_shows_the_clip_for_its_choices(models, monkeypatch):
    pytest.importorskip("ipywidgets", reason="the explorer's widgets need ipywidgets (the book extra)")
    explorer = GuidanceExplorer(models, model=UNET, digit="one", gamma=1.0, steps=2, seed=0)
    assert explorer.last is None and explorer.image.value == b""
    explorer.model.value, explorer.digit.value, explorer.gamma.value = SUBNET, "six", 4.5
    explorer.steps.value, explorer.seed.value = 5, 9
    explorer.button.click()  # what a reader's click does
    clip = explorer.last
    assert (clip.model, clip.digit, clip.gamma, clip.steps, clip.seed) == (SUBNET, "six", 4.5, 5, 9)
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.audio.value[:4] == b"RIFF"
    status = re.fullmatch(r"\d+\.\d s on cpu; the judge hears “\w+”(; not finished speech.*take more steps)?",
                          explorer.status.value)
    assert status and bool(status.group(1)) != clip.finished  # an untrained model's clip may be unfinished
    assert not explorer.button.disabled
    again = guided_clips(models, SUBNET, "six", gamma=4.5, steps=5, seed=9)[0]
    torch.testing.assert_close(again.log_mel, clip.log_mel, atol=1e-4, rtol=1e-4)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    explorer._ipython_display_()  # what ending a cell with the explorer does
    assert shown == [explorer.widget]
    assert "application/vnd.jupyter.widget-view+json" in explorer.widget._repr_mimebundle_()


def test_the_explorer_says_what_went_wrong_beside_the_button(models):
    pytest.importorskip("ipywidgets", reason="the explorer's widgets need ipywidgets (the book extra)")
    explorer = guidance_explorer(models, model=UNET, digit="two", gamma=0.0, steps=1)
    assert explorer.last.digit == "two"
    explorer.steps.min = 0
    explorer.steps.value = 0
    with pytest.raises(ValueError):
        explorer.generate()
    assert "at least one step" in explorer.status.value and not explorer.button.disabled
    assert explorer.last.steps == 1  # the last good clip stays


def test_without_ipywidgets_the_explorer_says_how_to_install_it(models, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r"pip install ipywidgets"):
        GuidanceExplorer(models)


def test_the_shipped_models_load_for_the_explorer():
    loaded = load_explorer_models(get_profile("tiny"), device="cpu", log=lambda _: None)
    assert loaded.names == [UNET, SUBNET]
    unet_classifier, subnet_classifier = loaded.models[UNET][1], loaded.models[SUBNET][1]
    assert subnet_classifier is loaded.models[SUBNET][0].backbone.classifier  # one forward pass serves both
    assert unet_classifier is not subnet_classifier and loaded.judge is not None
    assert loaded.digits == tuple(get_profile("tiny").data.labels)
