"""With the exact score of Gaussian data plugged in, every sampler recovers the data's mean and
variance; the probability-flow sampler is deterministic for a seed; guidance adds to the score."""
import pytest
import torch

from scorelab.sampling import get_sampler, heun_sampler, time_grid
from scorelab.tensors import randn, sample_generators
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


def test_unknown_names_and_bad_starts_are_refused():
    with pytest.raises(ValueError, match="choose one of euler_maruyama"):
        get_sampler("ddim")
    with pytest.raises(ValueError, match="steps must be at least 1"):
        time_grid(VESDE(), 0)
    with pytest.raises(ValueError, match=r"x_init has shape \(2, 4\)"):
        heun_sampler(exact_score(VESDE()), VESDE(), (3, 4), 2, x_init=torch.zeros(2, 4))
    with pytest.raises(ValueError, match="2 generators for a batch of 3"):
        randn((3, 4), sample_generators(0, 0, 2))


def test_time_grid_runs_from_T_to_eps():
    sde = VESDE()
    grid = time_grid(sde, 4)
    assert grid[0] == sde.T and grid[-1] == pytest.approx(sde.eps) and len(grid) == 5
    assert torch.all(grid[1:] < grid[:-1])


@pytest.mark.parametrize("name", ["euler_maruyama", "reverse_diffusion", "heun"])
def test_per_sample_generators_make_samples_independent_of_their_batch(name):
    # sample i's draws come from its own generator: computing it alone, or in a batch of 8,
    # gives the same result (the pc corrector is the exception: its step size is a batch mean)
    sde, run = VESDE(0.01, 50.0), get_sampler(name)
    together = run(exact_score(sde), sde, (8, 4), 20, generator=sample_generators(7, 0, 8))
    alone = torch.cat([run(exact_score(sde), sde, (1, 4), 20, generator=sample_generators(7, i, 1)) for i in range(8)])
    torch.testing.assert_close(alone, together)
    other_seed = run(exact_score(sde), sde, (8, 4), 20, generator=sample_generators(8, 0, 8))
    assert (other_seed - together).abs().min() > 0


def test_x_init_is_the_starting_point():
    # Heun is deterministic given its start: a start passed in as x_init gives what the same
    # start drawn from the generator gives
    sde = VESDE(0.01, 50.0)
    start = randn((4, 3), torch.Generator().manual_seed(0)) * sde.sigma_max
    a = heun_sampler(exact_score(sde), sde, (4, 3), 5, x_init=start)
    b = heun_sampler(exact_score(sde), sde, (4, 3), 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name, steps, expected", [("heun", 1, 1), ("heun", 4, 7), ("heun", 100, 199),
                                                   ("euler_maruyama", 4, 4), ("reverse_diffusion", 4, 4),
                                                   ("pc", 4, 8)])
def test_each_sampler_says_how_often_it_evaluates_the_score(name, steps, expected):
    from scorelab.config import SDEConfig
    from scorelab.sampling import score_evaluations
    from scorelab.sde import make_sde

    assert score_evaluations(name, make_sde(SDEConfig()), steps) == expected
