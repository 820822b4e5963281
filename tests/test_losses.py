"""dsm_loss is minimised by the true score: on Gaussian data its value with the exact score
matches the analytic minimum, and any other score does worse."""
import torch

from scorelab.losses import dsm_loss
from scorelab.sde import VESDE, VPSDE

MU, S = 0.5, 0.3


def exact_score(sde):
    def score(x, sigma):
        if isinstance(sde, VPSDE):
            alpha = sde.alpha_from_sigma(sigma)[:, None]
            return -(x - alpha * MU) / (alpha ** 2 * S ** 2 + sigma[:, None] ** 2)
        return -(x - MU) / (S ** 2 + sigma[:, None] ** 2)
    return score


def analytic_minimum(sde, n=200_001):
    # per dimension, E|| sigma s + z ||^2 at a fixed t is s^2 a^2 / (a^2 s^2 + sigma^2) for the
    # exact score (a = 1 for VE); the loss averages it over t ~ U[eps, 1]
    t = torch.linspace(sde.eps, 1, n, dtype=torch.float64)
    sigma = sde.sigma(t)
    a = sde.alpha(t) if isinstance(sde, VPSDE) else torch.ones_like(t)
    return torch.trapezoid(S ** 2 * a ** 2 / (a ** 2 * S ** 2 + sigma ** 2), t).item() / (1 - sde.eps)


def test_dsm_loss_with_the_true_score_is_the_analytic_minimum():
    for sde in (VESDE(0.01, 10.0), VPSDE()):
        g = torch.Generator().manual_seed(0)
        x0 = MU + S * torch.randn(200_000, 4, generator=g, dtype=torch.float64)
        loss = dsm_loss(exact_score(sde), sde, x0, generator=g).item()
        expected = analytic_minimum(sde)
        assert abs(loss - expected) < 0.01 * max(expected, 0.02), (type(sde).__name__, loss, expected)


def test_any_other_score_has_a_larger_loss():
    sde = VESDE(0.01, 10.0)
    x0 = MU + S * torch.randn(50_000, 4, generator=torch.Generator().manual_seed(0))
    true = exact_score(sde)
    base = dsm_loss(true, sde, x0, generator=torch.Generator().manual_seed(1)).item()
    for wrong in (lambda x, s: 1.2 * true(x, s), lambda x, s: true(x, s) + 0.3, lambda x, s: 0 * x):
        assert dsm_loss(wrong, sde, x0, generator=torch.Generator().manual_seed(1)).item() > base + 1e-3


def test_given_noise_is_used_as_is():
    sde = VESDE(0.01, 10.0)
    x0, t, z = torch.zeros(3, 2), torch.full((3,), 0.5), torch.ones(3, 2)
    seen = {}

    def score(x, sigma):
        seen["x"], seen["sigma"] = x, sigma
        return torch.zeros_like(x)

    assert dsm_loss(score, sde, x0, t=t, z=z).item() == 1.0  # || 0 + z ||^2 per dimension
    assert torch.allclose(seen["x"], sde.sigma(t)[:, None] * z)
