"""The SDEs against their closed forms."""
import math

import pytest
import torch
from numpy.testing import assert_allclose

from scorelab.sde import VESDE, VPSDE, make_sde


def test_ve_marginal_matches_closed_form():
    sde = VESDE(0.01, 64.0)
    x0 = torch.randn(5, 3)
    t = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    mean, std = sde.marginal_prob(x0, t)
    assert torch.equal(mean, x0)
    assert_allclose(std.numpy(), 0.01 * 6400 ** t.numpy(), rtol=1e-5)
    # the variance of x_t grows as the integral of g^2: sigma(t)^2 - sigma(0)^2
    _, g = sde.sde(x0, t)
    d_var = torch.autograd.functional.jacobian(lambda s: sde.sigma(s) ** 2, t).diagonal()
    assert_allclose((g ** 2).numpy(), d_var.numpy(), rtol=1e-4)


def test_vp_marginal_matches_closed_form():
    sde = VPSDE(0.1, 20.0)
    t = torch.tensor([1e-3, 0.3, 0.7, 1.0], dtype=torch.float64)
    x0 = torch.ones(4, 2, dtype=torch.float64)
    mean, std = sde.marginal_prob(x0, t)
    log_alpha = -0.25 * t ** 2 * 19.9 - 0.5 * t * 0.1
    assert_allclose(mean[:, 0].numpy(), torch.exp(log_alpha).numpy(), rtol=1e-10)
    assert_allclose((std ** 2 + torch.exp(2 * log_alpha)).numpy(), 1.0, rtol=1e-10)
    assert_allclose(sde.alpha_from_sigma(std).numpy(), torch.exp(log_alpha).numpy(), rtol=1e-8)


@pytest.mark.parametrize("sde, var", [(VESDE(0.01, 64.0), 64.0 ** 2), (VPSDE(), 1.0)])
def test_prior_samples_have_the_stated_variance(sde, var):
    x = sde.prior_sampling((400, 500), generator=torch.Generator().manual_seed(0))
    assert abs(x.var().item() / var - 1) < 0.01
    assert abs(x.mean().item()) < 0.01 * math.sqrt(var)


@pytest.mark.parametrize("sde", [VESDE(0.01, 10.0), VPSDE()])
def test_discretized_steps_compose_to_the_marginal(sde):
    # chaining the forward Markov steps from eps to T reproduces the marginal at T
    x0 = torch.full((20000, 1), 0.7, dtype=torch.float64)
    times = torch.linspace(sde.eps, 1.0, 11, dtype=torch.float64)
    x = sde.marginal_prob(x0, times[0].expand(20000))[0] + sde.sigma(times[0]) * torch.randn_like(x0)
    g = torch.Generator().manual_seed(1)
    for a, b in zip(times[:-1], times[1:]):
        f, G = sde.discretize(x, b.expand(20000), a.expand(20000))
        x = x + f + G[:, None] * torch.randn(x.shape, generator=g, dtype=x.dtype)
    mean, std = sde.marginal_prob(x0, torch.ones(20000, dtype=torch.float64))
    assert abs(x.mean().item() - mean.mean().item()) < 0.03 * max(1, std[0].item())
    assert abs(x.std().item() / std[0].item() - 1) < 0.03


def test_make_sde_from_config():
    from scorelab.config import SDEConfig

    assert isinstance(make_sde(SDEConfig()), VESDE)
    assert isinstance(make_sde(SDEConfig(kind="vp")), VPSDE)
    with pytest.raises(ValueError, match="'ve' or 'vp'"):
        make_sde(SDEConfig(kind="subvp"))


def test_time_of_maps_the_unit_interval_onto_eps_to_t_max():
    sde = VESDE()
    u = torch.tensor([0.0, 0.5, 1.0])
    torch.testing.assert_close(sde.time_of(u), torch.tensor([sde.eps, 0.5 * (sde.T - sde.eps) + sde.eps, sde.T]))
    torch.testing.assert_close(sde.time_of(u, 0.5), torch.tensor([sde.eps, 0.25 + 0.5 * sde.eps, 0.5]))
