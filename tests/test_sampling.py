"""With the exact score of Gaussian data plugged in, every sampler recovers the data's mean and
variance; the probability-flow sampler is deterministic for a seed; guidance adds to the score."""
import pytest
import torch

from scorelab.sampling import get_sampler, heun_sampler, pc_sampler
from scorelab.sde import VESDE, VPSDE
from test_losses import MU, S, exact_score

SHAPE = (2000, 16)


@pytest.mark.parametrize("sde", [VESDE(0.01, 50.0), VPSDE()], ids=["ve", "vp"])
@pytest.mark.parametrize("name, steps", [("euler_maruyama", 400), ("reverse_diffusion", 400),
                                         ("pc", 200), ("heun", 100)])
def test_samplers_recover_gaussian_data(sde, name, steps):
    x = get_sampler(name)(exact_score(sde), sde, SHAPE, steps, generator=torch.Generator().manual_seed(0))
    mean, std = x.mean().item(), x.std().item()
    print(f"{type(sde).__name__} {name} {steps} steps: mean {mean:.3f} (data {MU}), std {std:.3f} (data {S})")
    assert abs(mean - MU) < 0.02
    assert abs(std / S - 1) < 0.05


def test_probability_flow_is_deterministic_for_a_seed():
    sde = VESDE(0.01, 50.0)
    a = heun_sampler(exact_score(sde), sde, (8, 4), 20, generator=torch.Generator().manual_seed(3))
    b = heun_sampler(exact_score(sde), sde, (8, 4), 20, generator=torch.Generator().manual_seed(3))
    c = heun_sampler(exact_score(sde), sde, (8, 4), 20, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("name, steps", [("euler_maruyama", 400), ("heun", 100)])
def test_cond_fn_is_added_to_the_score(name, steps):
    # a guidance term that turns the score of N(MU, S^2) into the score of N(2, S^2)
    sde = VESDE(0.01, 50.0)
    base = exact_score(sde)

    def target(x, sigma):
        return -(x - 2.0) / (S ** 2 + sigma[:, None] ** 2)

    x = get_sampler(name)(base, sde, SHAPE, steps, cond_fn=lambda x, s: target(x, s) - base(x, s),
                          generator=torch.Generator().manual_seed(0))
    assert abs(x.mean().item() - 2.0) < 0.02
    assert abs(x.std().item() / S - 1) < 0.05


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="choose one of euler_maruyama"):
        get_sampler("ddim")
    with pytest.raises(ValueError, match="unknown predictor"):
        pc_sampler(exact_score(VESDE()), VESDE(), (1, 1), 2, predictor="ancestral")
