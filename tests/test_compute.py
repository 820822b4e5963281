"""MAC counting against hand formulas, forward and inside torch.autograd.grad."""
import pytest
import torch
from torch import nn

from scorelab.compute import count_macs, parameter_counts
from scorelab.config import get_profile


def test_linear_and_conv_macs_match_their_formulas():
    lin = nn.Linear(20, 30)
    assert count_macs(lin, torch.randn(4, 20)) == 4 * 20 * 30
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert count_macs(conv, torch.randn(2, 3, 10, 12)) == 2 * 8 * 10 * 12 * 3 * 9


def test_backward_inside_autograd_grad_is_counted():
    lin = nn.Linear(20, 30, bias=False)
    x = torch.randn(4, 20, requires_grad=True)

    def grad_to_input():
        return torch.autograd.grad(lin(x).sum(), x)[0]

    # forward (4*20*30) plus the input gradient (another 4*20*30); no weight gradient is asked for
    assert count_macs(grad_to_input) == 2 * 4 * 20 * 30


def test_parameter_counts_separate_frozen_parameters():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    assert parameter_counts(model) == {"total": 13, "trainable": 4}


@pytest.mark.slow
def test_paper_profile_reproduces_the_compute_table(capsys):
    import json

    from scorelab.__main__ import main

    assert main(["compute", "--profile", "paper", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ours, paper = out["scorelab"], out["paper"]
    uncond, cond = ours["ScoreSubnet, unconditional"], ours["ScoreSubnet, conditional (gamma = 3)"]
    print(f"classifier {ours['Classifier (frozen), one forward pass']['total_params'] / 1e6:.2f} M; "
          f"subnet trainable {uncond['trainable_params'] / 1e6:.2f} M; total {cond['total_params'] / 1e6:.2f} M; "
          f"GMACs {uncond['gmacs']:.2f} / {cond['gmacs']:.2f}")
    assert abs(ours["Classifier (frozen), one forward pass"]["total_params"] / 7.9e6 - 1) < 0.05
    assert abs(uncond["trainable_params"] / paper["ScoreSubnet, unconditional"]["trainable_params"] - 1) < 0.05
    assert abs(cond["total_params"] / paper["ScoreSubnet, conditional (gamma = 3)"]["total_params"] - 1) < 0.05
    assert abs(uncond["gmacs"] / paper["ScoreSubnet, unconditional"]["gmacs"] - 1) < 0.10
    # the paper's 16.44 reads as a guided step with its own classifier pass; scorelab's default
    # shares the subnet's pass and saves exactly one classifier forward
    separate = ours["ScoreSubnet, conditional (gamma = 3), separate classifier pass"]
    assert abs(separate["gmacs"] / paper["ScoreSubnet, conditional (gamma = 3)"]["gmacs"] - 1) < 0.10
    forward = ours["Classifier (frozen), one forward pass"]["gmacs"]
    assert abs(separate["gmacs"] - cond["gmacs"] - forward) < 0.01 * forward
    assert cond["gmacs"] < 0.9 * paper["ScoreSubnet, conditional (gamma = 3)"]["gmacs"]
    # the gradient-taps variant earns its name: at least 15 % fewer MACs per step, guided or not
    variant = ours["Gradient-taps variant, unconditional"]
    guided_variant = ours["Gradient-taps variant, conditional (gamma = 3)"]
    print(f"gradient-taps variant: {variant['gmacs']:.2f} / {guided_variant['gmacs']:.2f} GMACs, "
          f"trainable {variant['trainable_params'] / 1e6:.2f} M")
    assert variant["gmacs"] <= 0.85 * uncond["gmacs"] and guided_variant["gmacs"] <= 0.85 * cond["gmacs"]
    assert variant["trainable_params"] < uncond["trainable_params"]


@pytest.mark.slow
def test_a_subnet_step_splits_into_parts_that_add_up():
    import torch

    from scorelab.compute import subnet_step_parts
    from scorelab.models import build_models
    from scorelab.nets.score_subnet import classifier_taps

    models = build_models(get_profile("tiny"))
    x, sigma = torch.randn(1, *models.input_shape), torch.tensor([1.0])
    for model in (models.subnet, models.subnet_gradtaps):
        model.eval()
        parts = subnet_step_parts(model, x, sigma)
        with torch.no_grad():
            total = count_macs(lambda: model(x, sigma))
            forward = count_macs(lambda: models.classifier(x, sigma))
            forward_and_back = count_macs(lambda: classifier_taps(models.classifier, x, sigma))
        assert sum(parts.values()) == pytest.approx(total, rel=1e-9)
        assert parts["classifier forward pass"] == pytest.approx(forward, rel=1e-9)
        assert parts["classifier backward pass to the taps"] == pytest.approx(forward_and_back - forward, rel=1e-9)
        assert all(v > 0 for v in parts.values())
    full, variant = (subnet_step_parts(m, x, sigma)["tap projections"] for m in (models.subnet, models.subnet_gradtaps))
    assert variant == pytest.approx(full / 2, rel=1e-9)  # the 1x1 projections read half the channels


@pytest.mark.slow
def test_step_cost_counts_the_model_it_is_given():
    import dataclasses

    from scorelab.compute import compute_table, step_cost
    from scorelab.models import build_classifier, build_subnet

    profile = get_profile("tiny")
    table = compute_table(profile)
    classifier = build_classifier(profile).eval()
    concat = build_subnet(profile, classifier).eval()
    gated = build_subnet(profile.replace(subnet=dataclasses.replace(profile.subnet, fusion="gated")), classifier).eval()
    shape = (1, profile.mel.n_mels, profile.mel.n_frames)
    for conditional, name in ((False, "ScoreSubnet, unconditional"), (True, "ScoreSubnet, conditional (gamma = 3)")):
        ours = step_cost(concat, classifier, shape, conditional)
        assert ours == pytest.approx(table[name], rel=1e-9)
        assert step_cost(gated, classifier, shape, conditional)["gmacs"] > ours["gmacs"]
    # a guided U-Net counts its guiding classifier's parameters too
    unet = table["U-Net + Classifier (gamma = 3)"]
    assert unet["total_params"] == table["U-Net, unconditional"]["total_params"] + \
        table["Classifier (frozen), one forward pass"]["total_params"]
