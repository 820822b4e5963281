"""The toy mixture's exact score, and a toy score network learning it with the shared loss."""
import pytest
import torch
from numpy.testing import assert_allclose

from scorelab.config import TrainConfig
from scorelab.losses import dsm_objective
from scorelab.nets.precond import ScoreModel
from scorelab.nets.toy import ToyScoreNet
from scorelab.sampling import heun_sampler, langevin_dynamics
from scorelab.sde import VESDE
from scorelab.toy import GaussianMixture
from scorelab.train import train


def test_single_gaussian_score_is_linear():
    mix = GaussianMixture(means=((1.0, -1.0),), stds=(0.5,), weights=(1.0,))
    x = torch.randn(10, 2, dtype=torch.float64)
    sigma = torch.full((10,), 2.0, dtype=torch.float64)
    expected = -(x - torch.tensor([1.0, -1.0], dtype=torch.float64)) / (0.25 + 4.0)
    assert_allclose(mix.score(x, sigma).numpy(), expected.numpy(), rtol=1e-10)


def test_mixture_samples_follow_the_weights():
    mix = GaussianMixture()
    x = mix.sample(20000, torch.Generator().manual_seed(0))
    assert abs((x[:, 1] > 1).float().mean().item() - 0.2) < 0.01  # the top component
    assert abs((x[:, 0] < -1).float().mean().item() - 0.5) < 0.01  # the left one


@pytest.mark.slow
def test_langevin_with_the_exact_score_samples_a_gaussian():
    mix = GaussianMixture(means=((0.0, 0.0),), stds=(1.0,), weights=(1.0,))
    x = langevin_dynamics(mix.score, torch.zeros(4000, 2), 0.0, 500, 0.05, torch.Generator().manual_seed(0))
    assert abs(x.std().item() - 1.0) < 0.05


@pytest.mark.slow
def test_a_toy_network_learns_the_score(tmp_path):
    torch.manual_seed(0)
    mix, sde = GaussianMixture(), VESDE(0.01, 10.0)
    data = mix.sample(4096, torch.Generator().manual_seed(1))
    model = ScoreModel(ToyScoreNet(hidden=64, layers=2), sigma_data=1.5)
    cfg = TrainConfig(steps=600, batch_size=256, lr=2e-3, warmup_steps=20, ema_decay=0.99,
                      checkpoint_every=600, log_every=50)
    ema = train(model, dsm_objective(sde), data, torch.zeros(len(data)), cfg, tmp_path, {}, device="cpu",
                progress=False)
    samples = heun_sampler(ema, sde, (4000, 2), 40, generator=torch.Generator().manual_seed(2))
    top = (samples[:, 1] > 1).float().mean().item()
    left = (samples[:, 0] < -1).float().mean().item()
    print(f"toy samples: top mode {top:.3f} (0.2), left mode {left:.3f} (0.5)")
    assert abs(top - 0.2) < 0.05 and abs(left - 0.5) < 0.07


def test_component_shares():
    mix = GaussianMixture()
    points = torch.tensor([[-2.0, -1.0], [-1.9, -1.2], [0.1, 2.0], [2.0, -1.0]])
    assert mix.component_shares(points) == [0.5, 0.25, 0.25]
