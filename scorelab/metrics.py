"""Sample-quality metrics from a classifier's features and class probabilities: Fréchet
distance (FID), Inception Score (IS), modified Inception Score (mIS) and AM score.

Pure maths on tensors, computed in float64: no models, no files. A feature extractor (see
`scorelab.evaluate`) turns clips into (features, probabilities); these functions turn those into
numbers. Definitions, with p(y|x) a clip's class probabilities and p(y) their mean over clips:

- FID = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussians fitted to two
  feature sets (Heusel et al., 2017). Lower is better; 0 for identical statistics.
- IS = exp(E_x KL(p(y|x) || p(y))) (Salimans et al., 2016). Between 1 and the number of classes;
  high when each clip is confidently one class and the classes are balanced. Estimators differ in
  where p(y) comes from and how the clips are grouped, and so do published numbers:
  `inception_score` (plug-in: all clips, p(y) their mean), `inception_score_split_half` (SaShiMi's)
  and `inception_score_splits` (WaveGAN's 10 splits); `IS_ESTIMATORS` names them.
- mIS = exp(E_{x,x'} KL(p(y|x) || p(y|x'))) over pairs of clips (Gurumurthy et al., 2017):
  also rewards diversity within a class. Computed exactly over all ordered pairs.
- AM = KL(p_ref(y) || p(y)) + E_x H(p(y|x)) (Zhou et al., 2018), with p_ref the class
  distribution of the reference data (default uniform). Lower is better; 0 for confident,
  correctly balanced clips.
"""
from __future__ import annotations

import math

import torch

EPS = 1e-12  # probabilities are clamped to this before logarithms


def _as_features(features: torch.Tensor, name: str) -> torch.Tensor:
    if features.dim() != 2:
        raise ValueError(f"{name} must be a (clips, dimensions) matrix, got shape {tuple(features.shape)}")
    if features.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 clips to estimate a covariance, got {features.shape[0]}")
    if not torch.isfinite(features).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return features.detach().to(torch.float64)


def _as_probs(probs: torch.Tensor, name: str = "probs") -> torch.Tensor:
    if probs.dim() != 2 or probs.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (clips, classes) matrix, got shape {tuple(probs.shape)}")
    p = probs.detach().to(torch.float64)
    if (p < 0).any() or not torch.allclose(p.sum(-1), torch.ones(len(p), dtype=p.dtype), atol=1e-4):
        raise ValueError(f"{name} rows must be probability distributions (non-negative, summing to 1); "
                         "pass softmax(logits), not logits")
    return p


def gaussian_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, unbiased covariance) of a (clips, dimensions) feature matrix, in float64."""
    f = _as_features(features, "features")
    mu = f.mean(0)
    centred = f - mu
    return mu, centred.T @ centred / (len(f) - 1)


def _psd_sqrt(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((m + m.T) / 2)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance(mu_a: torch.Tensor, cov_a: torch.Tensor, mu_b: torch.Tensor, cov_b: torch.Tensor) -> float:
    """Fréchet distance between N(mu_a, cov_a) and N(mu_b, cov_b).

    tr((S_a S_b)^(1/2)) is computed as the sum of square roots of the eigenvalues of the
    symmetric matrix S_a^(1/2) S_b S_a^(1/2), which has the same spectrum and stays real."""
    mu_a, mu_b, cov_a, cov_b = (t.to(torch.float64) for t in (mu_a, mu_b, cov_a, cov_b))
    if mu_a.shape != mu_b.shape or cov_a.shape != cov_b.shape or cov_a.shape != (len(mu_a), len(mu_a)):
        raise ValueError(f"shapes do not match: means {tuple(mu_a.shape)} and {tuple(mu_b.shape)}, "
                         f"covariances {tuple(cov_a.shape)} and {tuple(cov_b.shape)}")
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    tr_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    value = (mu_a - mu_b).pow(2).sum() + torch.trace(cov_a) + torch.trace(cov_b) - 2 * tr_sqrt
    return max(float(value), 0.0)  # rounding can leave -1e-12 for identical statistics


def fid(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID when the features are
    a classifier's pooled activations)."""
    a, b = _as_features(features_a, "features_a"), _as_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets have different dimensions: {a.shape[1]} and {b.shape[1]}")
    return frechet_distance(*gaussian_statistics(a), *gaussian_statistics(b))


def _entropy(p: torch.Tensor) -> torch.Tensor:
    return -(p * p.clamp_min(EPS).log()).sum(-1)


def inception_score(probs: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for (clips, classes) probabilities."""
    p = _as_probs(probs)
    marginal = p.mean(0)
    kl = (p * (p.clamp_min(EPS).log() - marginal.clamp_min(EPS).log())).sum(-1)
    return math.exp(float(kl.mean()))


def _shuffled(p: torch.Tensor, seed: int) -> torch.Tensor:
    """The rows of p in numpy's permutation for `seed`: the order SaShiMi's evaluation uses, so that
    the numbers match its own."""
    import numpy as np  # the permutation must be numpy's

    return p[torch.from_numpy(np.random.RandomState(seed).permutation(len(p)))]


def inception_score_split_half(probs: torch.Tensor, seed: int = 0) -> float:
    """IS as SaShiMi's SC09 evaluation computes it (Goel et al., 2022): the clips in the order of
    numpy's permutation for `seed` (0 there), split in two halves; the mean KL of the first half's
    p(y|x) from the second half's mean p(y), exponentiated. The two halves are independent, so
    the marginal is not estimated from the clips it is compared with."""
    p = _as_probs(probs)
    if len(p) < 2:
        raise ValueError(f"the split-half IS needs at least 2 clips, got {len(p)}")
    p = _shuffled(p, seed)
    first, second = p[:len(p) // 2], p[len(p) // 2:]
    marginal = second.mean(0)
    kl = (first * (first.clamp_min(EPS).log() - marginal.clamp_min(EPS).log())).sum(-1)
    return math.exp(float(kl.mean()))


WAVEGAN_SPLITS = 10  # WaveGAN's Inception Score: the mean over this many splits of the clips


def inception_score_splits(probs: torch.Tensor, splits: int = WAVEGAN_SPLITS, seed: int = 0) -> tuple[float, float]:
    """(mean, standard deviation) of the plug-in IS over `splits` near-equal parts of the clips,
    as WaveGAN's evaluation reports it (Donahue et al., 2019: 10 splits of its unconditional, so
    randomly ordered, samples). The clips are put in numpy's permutation for `seed` first: clips
    sorted by label (as files named by digit are) would otherwise leave one digit per split and
    an IS near 1. The standard deviation is the population one (numpy's default)."""
    p = _as_probs(probs)
    if len(p) < 2 * splits:
        raise ValueError(f"IS over {splits} splits needs at least {2 * splits} clips, got {len(p)}")
    p = _shuffled(p, seed)
    values = torch.tensor([inception_score(part) for part in torch.tensor_split(p, splits)], dtype=torch.float64)
    return float(values.mean()), float(values.std(unbiased=False))


# the Inception Score estimators a report can name: plug-in (all clips, this module's
# inception_score), split-half (SaShiMi) and 10-splits (WaveGAN, the mean over the splits)
# the estimator that numbers meant for comparison with the SC09 literature headline
LITERATURE_IS_ESTIMATOR = "split-half"
IS_ESTIMATORS = {
    "plug-in": inception_score,
    "split-half": inception_score_split_half,
    "10-splits": lambda probs: inception_score_splits(probs, 10)[0],
}


def inception_scores(probs: torch.Tensor) -> dict[str, float]:
    """IS under every estimator in IS_ESTIMATORS that the number of clips allows, by name."""
    out = {}
    for name, estimator in IS_ESTIMATORS.items():
        try:
            out[name] = estimator(probs)
        except ValueError:  # too few clips for this estimator
            continue
    return out


def modified_inception_score(probs: torch.Tensor) -> float:
    """exp(E_{x,x'} KL(p(y|x) || p(y|x'))), the mean over all ordered pairs of clips (a clip with
    itself contributes 0). Uses E_{i,j} KL(p_i || p_j) = -E_i H(p_i) - sum_y mean_i p_i(y) mean_j log p_j(y)."""
    p = _as_probs(probs)
    log_p = p.clamp_min(EPS).log()
    cross = (p.mean(0) * log_p.mean(0)).sum()
    mean_kl = -_entropy(p).mean() - cross
    return math.exp(float(mean_kl))


def am_score(probs: torch.Tensor, reference: torch.Tensor | None = None) -> float:
    """KL(p_ref || p(y)) + E_x H(p(y|x)); `reference` is the class distribution of the real data
    (default uniform over the classes)."""
    p = _as_probs(probs)
    k = p.shape[1]
    ref = torch.full((k,), 1.0 / k, dtype=p.dtype) if reference is None else reference.detach().to(p.dtype)
    if ref.shape != (k,) or (ref < 0).any() or abs(float(ref.sum()) - 1) > 1e-4:
        raise ValueError(f"reference must be a distribution over the {k} classes, got {ref.tolist()}")
    marginal = p.mean(0)
    kl = (ref * (ref.clamp_min(EPS).log() - marginal.clamp_min(EPS).log())).sum()
    return float(kl + _entropy(p).mean())


def accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of clips whose most probable class is their label."""
    p = _as_probs(probs)
    if labels.shape != (len(p),):
        raise ValueError(f"need one label per clip: {len(p)} clips, labels of shape {tuple(labels.shape)}")
    return float((p.argmax(-1) == labels.to(p.device)).double().mean())
