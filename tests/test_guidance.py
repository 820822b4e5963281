"""Classifier guidance: with the exact score and the Bayes classifier of a mixture, guidance with
gamma = 1 samples exactly the chosen component (score + grad log p(y|x) = grad log p(x|y))."""
import pytest
import torch
from numpy.testing import assert_allclose

from scorelab.guidance import classifier_guidance, classifier_log_prob_grad
from scorelab.sampling import heun_sampler, reverse_diffusion_sampler
from scorelab.sde import VESDE
from scorelab.toy import GaussianMixture, MixtureClassifier

MIX = GaussianMixture()
SDE = VESDE(0.01, 20.0)


def test_log_prob_gradient_of_a_two_class_gaussian_posterior():
    # equal-variance classes: log p(1|x) - log p(0|x) is linear, so its gradient is known
    mix = GaussianMixture(means=((-1.0, 0.0), (1.0, 0.0)), stds=(1.0, 1.0), weights=(0.5, 0.5))
    x = torch.randn(6, 2, dtype=torch.float64)
    sigma = torch.full((6,), 0.5, dtype=torch.float64)
    grad = classifier_log_prob_grad(MixtureClassifier(mix), x, sigma, torch.ones(6, dtype=torch.long))
    var = 1.0 + 0.25
    p0 = torch.softmax(mix.component_log_joint(x, sigma), dim=1)[:, 0]
    expected = torch.stack([p0 * 2 / var, torch.zeros(6, dtype=torch.float64)], dim=1)
    assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.slow
def test_guidance_with_gamma_one_samples_the_class_conditional():
    for target in (0, 2):
        cond = classifier_guidance(MixtureClassifier(MIX), target, gamma=1.0)
        x = heun_sampler(MIX.score, SDE, (3000, 2), 60, cond_fn=cond, generator=torch.Generator().manual_seed(0))
        shares = MIX.component_shares(x)
        assert shares[target] > 0.97, shares
        chosen = x[torch.cdist(x, torch.tensor(MIX.means)).argmin(1) == target]
        assert abs(chosen.std(dim=0).mean().item() / MIX.stds[target] - 1) < 0.08


@pytest.mark.slow
def test_stronger_guidance_concentrates_samples():
    stds = []
    for gamma in (1.0, 3.0):
        cond = classifier_guidance(MixtureClassifier(MIX), torch.full((2000,), 1), gamma=gamma)
        x = reverse_diffusion_sampler(MIX.score, SDE, (2000, 2), 200, cond_fn=cond, generator=torch.Generator().manual_seed(1))
        stds.append(x.std(dim=0).mean().item())
    assert stds[1] < stds[0]
