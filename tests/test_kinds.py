"""The table of model kinds: every entry names a real part of a profile and builds the model it
describes; training, the command line and guidance read it."""
import dataclasses

import pytest
import torch

from scorelab import get_profile
from scorelab.__main__ import build_parser
from scorelab.config import Profile
from scorelab.kinds import KINDS, SCORE_MODELS, TIMED, get_kind, guiding_classifier, kind_titled
from scorelab.models import build_model
from scorelab.nets.classifier import NoisyClassifier
from scorelab.nets.score_subnet import ScoreSubnet
from scorelab.kinds import objective_for
from scorelab.sde import VESDE

PROFILE = get_profile("micro")


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_is_sized_by_its_profile_section_and_builds(name):
    kind = get_kind(name)
    assert kind.section in {f.name for f in dataclasses.fields(Profile)}
    model = build_model(name, PROFILE)
    assert kind.is_score_model == (name in SCORE_MODELS)
    if kind.on_classifier:
        assert isinstance(model.backbone, ScoreSubnet)
        assert model.backbone.cfg == dataclasses.replace(getattr(PROFILE, kind.section), taps=kind.taps)
    elif not kind.is_score_model:
        assert isinstance(model, NoisyClassifier)


class Probe(torch.nn.Module):
    """A stand-in classifier that records the noise levels it is shown."""

    def __init__(self):
        super().__init__()
        self.weight, self.sigmas = torch.nn.Parameter(torch.zeros(10)), []

    def forward(self, x, sigma):
        self.sigmas.append(sigma)
        return self.weight.expand(len(x), 10)


def test_objectives_follow_the_table():
    # the evaluation classifier trains on clean inputs (every t gives the lowest noise level), the
    # guiding classifier on every noise level, the score models on denoising score matching
    sde = VESDE()
    x, y = torch.randn(4, 1, PROFILE.mel.n_mels, PROFILE.mel.n_frames), torch.tensor([0, 1, 2, 3])
    z, t = torch.randn_like(x), torch.full((4,), 0.9)
    clean, noisy = Probe(), Probe()
    objective_for("evalclassifier", sde)(clean, x, y, t, z)
    objective_for("classifier", sde)(noisy, x, y, t, z)
    assert torch.allclose(clean.sigmas[0], torch.tensor(sde.sigma_min), rtol=1e-3)
    assert torch.allclose(noisy.sigmas[0], sde.sigma(t * (sde.T - sde.eps) + sde.eps))
    unet = build_model("unet", PROFILE)
    assert objective_for("unet", sde)(unet, x, y, t, z).item() == pytest.approx(
        objective_for("unet", sde)(unet, x, None, t, z).item())  # labels play no part


def test_the_command_line_offers_the_table():
    parser = build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices["train"]._actions if a.dest == "model")
    assert list(train.choices) == list(KINDS)
    assert "evalclassifier" not in TIMED and set(TIMED) | {"evalclassifier"} == set(KINDS)


def test_which_classifier_guides():
    clf = build_model("classifier", PROFILE)
    subnet = build_model("subnet", PROFILE, clf)
    other = build_model("classifier", PROFILE)
    assert guiding_classifier("subnet", subnet, other) is clf  # its own, shared with its taps
    assert guiding_classifier("unet", build_model("unet", PROFILE), other) is other
    with pytest.raises(ValueError, match="guiding a unet needs a trained classifier"):
        guiding_classifier("unet", build_model("unet", PROFILE))


def test_names_and_titles_are_checked():
    assert kind_titled("Gradient taps").name == "subnet-gradtaps"
    with pytest.raises(ValueError, match="no model kind is titled 'Transformer'"):
        kind_titled("Transformer")
    with pytest.raises(ValueError, match="unknown model kind 'gan'"):
        get_kind("gan")
