"""The metric maths against closed forms: Gaussians with known means and covariances, uniform
and one-hot predictions, and a brute-force pairwise mIS."""
import math

import pytest
import torch

from scorelab.metrics import (IS_ESTIMATORS, accuracy, am_score, fid, frechet_distance, gaussian_statistics,
                              inception_score, inception_score_split_half, inception_score_splits, inception_scores,
                              modified_inception_score)


def _random_spd(d, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=torch.float64)
    return a @ a.T + 0.1 * torch.eye(d, dtype=torch.float64)


def test_frechet_distance_of_commuting_gaussians_is_the_closed_form():
    mu_a, mu_b = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    var_a, var_b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 9.0])
    expected = float((mu_a - mu_b).pow(2).sum() + (var_a.sqrt() - var_b.sqrt()).pow(2).sum())  # 5 + 2
    assert frechet_distance(mu_a, torch.diag(var_a), mu_b, torch.diag(var_b)) == pytest.approx(expected, abs=1e-10)
    assert expected == pytest.approx(7.0)


def test_frechet_distance_of_non_commuting_gaussians_matches_the_matrix_square_root():
    cov_a, cov_b = _random_spd(5, 0), _random_spd(5, 1)
    mu_a, mu_b = torch.zeros(5, dtype=torch.float64), torch.ones(5, dtype=torch.float64)
    # (S_a S_b)^(1/2) from the eigen-decomposition of the (non-symmetric) product
    vals = torch.linalg.eigvals(cov_a @ cov_b)
    tr_sqrt = vals.sqrt().real.sum()
    expected = float(5.0 + torch.trace(cov_a) + torch.trace(cov_b) - 2 * tr_sqrt)
    assert frechet_distance(mu_a, cov_a, mu_b, cov_b) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(mu_a, cov_a, mu_a, cov_a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(mu_a, cov_a, mu_b, cov_b) == pytest.approx(frechet_distance(mu_b, cov_b, mu_a, cov_a))


def test_fid_of_samples_converges_to_the_distance_of_the_generating_gaussians():
    g = torch.Generator().manual_seed(0)
    n, d = 200_000, 4
    cov = _random_spd(d, 2)
    chol = torch.linalg.cholesky(cov)
    a = torch.randn(n, d, generator=g, dtype=torch.float64)
    b = torch.randn(n, d, generator=g, dtype=torch.float64) @ chol.T + 2.0
    expected = frechet_distance(torch.zeros(d), torch.eye(d, dtype=torch.float64), torch.full((d,), 2.0), cov)
    assert fid(a, b) == pytest.approx(expected, rel=0.02)
    mu, c = gaussian_statistics(b)
    assert torch.allclose(mu, torch.full((d,), 2.0, dtype=torch.float64), atol=0.05)
    assert torch.allclose(c, cov, atol=0.1 * float(cov.abs().max()))
    assert fid(a[: n // 2], a[n // 2:]) < 1e-3


def test_bad_feature_matrices_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="different dimensions: 3 and 4"):
        fid(torch.randn(10, 3), torch.randn(10, 4))
    with pytest.raises(ValueError, match="at least 2 clips"):
        fid(torch.randn(1, 3), torch.randn(10, 3))
    with pytest.raises(ValueError, match="NaN"):
        fid(torch.full((4, 3), float("nan")), torch.randn(10, 3))


def _one_hot_spread(k, per_class):
    return torch.eye(k).repeat(per_class, 1)


def test_inception_score_is_1_for_uniform_and_k_for_balanced_one_hot_predictions():
    assert inception_score(torch.full((50, 10), 0.1)) == pytest.approx(1.0)
    assert inception_score(_one_hot_spread(10, 7)) == pytest.approx(10.0)
    assert inception_score(torch.eye(10)[[0, 1, 2] * 5]) == pytest.approx(3.0)  # three of ten classes used
    # every clip confidently the same class: no diversity, score 1
    assert inception_score(torch.eye(10)[[4] * 20]) == pytest.approx(1.0)


def test_modified_inception_score_matches_a_brute_force_mean_over_pairs():
    g = torch.Generator().manual_seed(3)
    p = torch.softmax(2 * torch.randn(30, 10, generator=g, dtype=torch.float64), -1)
    kl = (p[:, None, :] * (p[:, None, :].log() - p[None, :, :].log())).sum(-1)  # (i, j)
    assert modified_inception_score(p) == pytest.approx(math.exp(float(kl.mean())), rel=1e-10)
    assert modified_inception_score(torch.full((5, 10), 0.1)) == pytest.approx(1.0)


def test_modified_inception_score_of_softened_one_hots_is_the_closed_form():
    k, eps = 10, 0.1
    p = (1 - eps) * _one_hot_spread(k, 4).double() + eps / k
    hi, lo = 1 - eps + eps / k, eps / k
    kl_other = hi * math.log(hi / lo) + lo * math.log(lo / hi)  # two entries differ, the rest cancel
    # a pair of clips has different classes with probability (k - 1) / k
    assert modified_inception_score(p) == pytest.approx(math.exp((k - 1) / k * kl_other), rel=1e-10)


def test_am_score_is_log_k_for_uniform_and_zero_for_confident_balanced_predictions():
    k = 10
    assert am_score(torch.full((40, k), 1 / k)) == pytest.approx(math.log(k))
    assert am_score(_one_hot_spread(k, 4)) == pytest.approx(0.0, abs=1e-9)
    # all clips confidently one class: KL(uniform || one-hot) is large (log(1/k) - log(EPS), clamped)
    assert am_score(torch.eye(k)[[0] * 8]) > 20
    ref = torch.zeros(k).index_fill_(0, torch.tensor([0]), 1.0)
    assert am_score(torch.eye(k)[[0] * 8], reference=ref) == pytest.approx(0.0, abs=1e-9)


def test_probabilities_are_checked_and_accuracy_counts_argmax_hits():
    with pytest.raises(ValueError, match="softmax"):
        inception_score(torch.randn(5, 10))
    with pytest.raises(ValueError, match="distribution over the 3 classes"):
        am_score(torch.full((2, 3), 1 / 3), reference=torch.tensor([0.5, 0.5]))
    probs = torch.eye(3)[[0, 1, 2, 2]]
    assert accuracy(probs, torch.tensor([0, 1, 2, 0])) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="one label per clip"):
        accuracy(probs, torch.tensor([0, 1]))


def _softmax_rows(n, k, seed, temperature=0.5):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(n, k, generator=g, dtype=torch.float64) / temperature, dim=-1)


def test_the_split_half_is_matches_sashimis_formula_written_with_numpy_and_scipy():
    np = pytest.importorskip("numpy")
    entropy = pytest.importorskip("scipy.stats").entropy
    probs = _softmax_rows(101, 10, seed=3)  # odd: the second half is the larger, as there
    p = probs.numpy()
    np.random.seed(0)
    p = p[np.random.permutation(len(p))]
    first, second = p[:len(p) // 2], p[len(p) // 2:]
    expected = float(np.exp(entropy(first, np.repeat(second.mean(0)[None], len(first), axis=0), axis=1).mean()))
    assert inception_score_split_half(probs) == pytest.approx(expected, rel=1e-9)
    assert inception_score_split_half(probs, seed=1) != pytest.approx(expected, rel=1e-6)  # the order matters


def test_the_10_split_is_is_the_mean_and_spread_of_the_plug_in_is_over_splits_of_shuffled_clips():
    np = pytest.importorskip("numpy")
    probs = _softmax_rows(95, 10, seed=4)  # 95 clips: five splits of 10, five of 9
    shuffled = probs[torch.from_numpy(np.random.RandomState(0).permutation(95))]
    parts = [shuffled[i * 10:(i + 1) * 10] for i in range(5)] + [shuffled[50 + i * 9:50 + (i + 1) * 9] for i in range(5)]
    values = torch.tensor([inception_score(part) for part in parts], dtype=torch.float64)
    mean, std = inception_score_splits(probs)
    assert mean == pytest.approx(float(values.mean()), rel=1e-12)
    assert std == pytest.approx(float(((values - values.mean()) ** 2).mean().sqrt()), rel=1e-9)
    assert std > 0
    # clips sorted by label: unshuffled splits would each hold one digit (IS 1); shuffled, near 10
    by_label = torch.eye(10, dtype=torch.float64).repeat_interleave(20, dim=0)
    assert inception_score_splits(by_label)[0] > 8


def test_is_estimators_agree_on_a_large_balanced_confident_set_and_split_half_is_never_below_the_plug_in_of_its_half():
    one_hot = torch.eye(10, dtype=torch.float64).repeat(200, 1)  # 2000 clips, classes in turn
    scores = inception_scores(one_hot)
    assert set(scores) == set(IS_ESTIMATORS)
    assert scores["plug-in"] == pytest.approx(10.0, rel=1e-9)
    # the others shuffle first: a half's or a split's class counts are then not exactly equal, so
    # the marginal is not exactly uniform and the score moves a little off 10
    assert scores["split-half"] == pytest.approx(10.0, rel=1e-2) and scores["10-splits"] == pytest.approx(10.0, rel=2e-2)
    # the clips' own mean is the marginal that minimises their mean KL, so the plug-in IS of the
    # first half is at most the split-half IS, which measures that half against the other's mean
    small = _softmax_rows(40, 10, seed=5)
    np = pytest.importorskip("numpy")
    first = small[torch.from_numpy(np.random.RandomState(0).permutation(40))][:20]
    assert inception_score(first) < inception_score_split_half(small)


def test_an_estimator_the_clips_are_too_few_for_is_left_out_with_the_reason_when_called():
    probs = _softmax_rows(12, 10, seed=6)
    assert set(inception_scores(probs)) == {"plug-in", "split-half"} < set(IS_ESTIMATORS)
    with pytest.raises(ValueError, match="at least 20 clips"):
        inception_score_splits(probs)
