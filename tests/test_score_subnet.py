"""ScoreSubnet on a frozen classifier: taps, gradient taps, the frozen backbone staying bitwise
unchanged through training, and the gradient-taps variant being cheaper."""
import pytest
import torch

from scorelab.compute import count_macs
from scorelab.config import ClassifierConfig, SubnetConfig, TrainConfig
from scorelab.losses import dsm_objective
from scorelab.nets.classifier import NoisyClassifier
from scorelab.nets.precond import ScoreModel
from scorelab.nets.score_subnet import ScoreSubnet, classifier_taps, rms_normalize
from scorelab.sde import VESDE
from scorelab.train import train

CLF_CFG = ClassifierConfig(channels=8, emb_dim=16)
SUB_CFG = SubnetConfig(widths=(8, 8, 16, 16), emb_dim=16, heads=2)


def small_classifier():
    torch.manual_seed(0)
    return NoisyClassifier(CLF_CFG, num_classes=3)


def test_gradient_taps_are_the_gradients_of_logsumexp():
    clf = small_classifier().double()
    x, sigma = torch.randn(2, 1, 80, 63, dtype=torch.float64), torch.tensor([0.2, 2.0], dtype=torch.float64)
    logits, feats, grads = classifier_taps(clf, x, sigma)
    assert [f.shape for f in feats] == [g.shape for g in grads]
    # check the finest tap against a finite difference of logsumexp along the gradient direction
    direction = grads[0] / grads[0].norm()
    eps = 1e-3

    def lse_from_tap0(tap0):
        h = tap0
        for i, (blocks, down) in enumerate(zip(clf.stages, clf.downs)):
            if i > 0:
                for block in blocks:
                    h = block(h, clf.embed(sigma))
            h = down(h)
        return torch.logsumexp(clf.head(torch.nn.functional.silu(clf.norm(h)).mean(dim=(-2, -1))), -1).sum()

    with torch.no_grad():
        slope = (lse_from_tap0(feats[0] + eps * direction) - lse_from_tap0(feats[0] - eps * direction)) / (2 * eps)
    assert abs(slope.item() - grads[0].norm().item()) < 1e-4 * grads[0].norm().item()


def test_rms_normalize():
    h = torch.randn(3, 4, 5, 6) * torch.tensor([0.001, 1.0, 1000.0])[:, None, None, None]
    assert torch.allclose(rms_normalize(h).pow(2).flatten(1).mean(1), torch.ones(3))


@pytest.mark.slow
def test_training_leaves_the_classifier_bitwise_unchanged(tmp_path):
    clf = small_classifier()
    before = {k: v.clone() for k, v in clf.state_dict().items()}
    model = ScoreModel(ScoreSubnet(clf, SUB_CFG))
    x = torch.randn(16, 1, 80, 63) * 0.5
    cfg = TrainConfig(steps=4, batch_size=4, warmup_steps=1, checkpoint_every=4, log_every=1)
    train(model, dsm_objective(VESDE()), x, torch.zeros(16, dtype=torch.long), cfg, tmp_path, {}, device="cpu",
          progress=False)
    for k, v in clf.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.grad is None for p in clf.parameters())
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert len(state["optimizer"]["state"]) == len(trainable)
    assert not clf.training  # stays in eval mode while the subnet trains


def test_gradient_taps_variant_is_cheaper():
    clf = small_classifier()
    full = ScoreModel(ScoreSubnet(clf, SUB_CFG))
    grads_only = ScoreModel(ScoreSubnet(clf, SubnetConfig(**{**SUB_CFG.__dict__, "taps": "gradients"})))
    x, sigma = torch.randn(1, 1, 80, 63), torch.tensor([1.0])
    trainable = [sum(p.numel() for p in m.parameters() if p.requires_grad) for m in (full, grads_only)]
    macs = [count_macs(m, x, sigma) for m in (full, grads_only)]
    assert trainable[1] < trainable[0] and macs[1] < macs[0]
    with pytest.raises(ValueError, match="features\\+gradients, gradients"):
        ScoreSubnet(clf, SubnetConfig(taps="everything"))


class _CountingForward:
    """Counts forward passes of a module through a hook."""

    def __init__(self, module):
        self.calls = 0
        module.register_forward_hook(lambda *_: setattr(self, "calls", self.calls + 1))


@pytest.mark.parametrize("taps", ["features+gradients", "gradients"])
def test_guided_score_shares_one_classifier_pass_and_agrees_with_two(taps):
    """guided_score on a ScoreSubnet runs its classifier forward once (taps and guidance gradient
    from one graph) and gives the same guided score as the score plus a separate guidance pass."""
    from scorelab.guidance import classifier_log_prob_grad, guided_score

    clf = small_classifier()
    model = ScoreModel(ScoreSubnet(clf, SubnetConfig(**{**SUB_CFG.__dict__, "taps": taps}))).eval()
    torch.manual_seed(1)
    for p in model.backbone.parameters():  # trained-looking weights, so every path matters
        if p.requires_grad:
            p.data.normal_(0, 0.2)
    x, sigma, labels = torch.randn(3, 1, 80, 63), torch.tensor([0.3, 1.0, 5.0]), torch.tensor([0, 2, 1])
    counter = _CountingForward(clf)
    with torch.no_grad():
        shared = guided_score(model, clf, x, sigma, labels, gamma=3.0)
        assert counter.calls == 1
        separate = guided_score(model, clf, x, sigma, labels, gamma=3.0, shared=False)
        assert counter.calls == 3
        by_hand = model(x, sigma) + 3.0 * classifier_log_prob_grad(clf, x, sigma, labels)
    assert shared.abs().max() > 0.1 and (separate - by_hand).abs().max() == 0
    torch.testing.assert_close(shared, separate, rtol=1e-5, atol=1e-5)
    # another classifier than the subnet's own: never shared, always its own pass
    other = small_classifier()
    counter_other = _CountingForward(other)
    with torch.no_grad():
        guided_score(model, other, x, sigma, labels)
    assert counter_other.calls == 1 and counter.calls == 6  # 5 above, then the subnet's own taps


def test_generate_with_guidance_uses_the_shared_pass(monkeypatch):
    """Guided sampling of a ScoreSubnet goes through guided_score with one classifier forward pass
    per score evaluation."""
    from scorelab.config import get_profile
    from scorelab.generate import generate

    profile = get_profile("micro")
    clf = NoisyClassifier(profile.classifier, num_classes=len(profile.data.labels))
    model = ScoreModel(ScoreSubnet(clf, profile.subnet)).eval()
    counter = _CountingForward(clf)
    generate(model, profile, 2, sampler="heun", steps=3, classifier=clf, labels=torch.tensor([0, 1]), gamma=3.0)
    assert counter.calls == 5  # Heun, 3 steps: 2 + 2 + 1 score evaluations, one classifier pass each


def test_gradient_taps_variant_ignores_the_feature_taps():
    """The variant reads the gradient taps alone: perturbing the feature taps must not move its
    output (and does move the full model's)."""
    clf = small_classifier()
    x, sigma = torch.randn(2, 1, 80, 63), torch.tensor([0.5, 2.0])
    _, feats, grads = classifier_taps(clf, x, sigma)
    moved = [f + torch.randn_like(f) for f in feats]
    for taps, should_move in (("gradients", False), ("features+gradients", True)):
        subnet = ScoreSubnet(clf, SubnetConfig(**{**SUB_CFG.__dict__, "taps": taps})).eval()
        with torch.no_grad():
            change = (subnet(x, sigma, taps=(moved, grads)) - subnet(x, sigma, taps=(feats, grads))).abs().max()
        assert (change > 1e-4) == should_move, (taps, float(change))


def test_gated_fusion_mixes_the_two_streams_per_position():
    """fusion="gated": each level is gate * P_f(features) + (1 - gate) * P_g(gradients) with the
    gate in (0, 1) computed from both; concat stays the default and the variant ignores it."""
    clf = small_classifier()
    gated = ScoreSubnet(clf, SubnetConfig(**{**SUB_CFG.__dict__, "fusion": "gated"})).eval()
    feat, grad = torch.randn(2, clf.tap_channels[1], 40, 32), torch.randn(2, clf.tap_channels[1], 40, 32)
    with torch.no_grad():
        level = gated.level(1, feat, grad)
        gate = torch.sigmoid(gated.gate[1](torch.cat([feat, grad], dim=1)))
        f, g = gated.feature_proj[1](feat), gated.proj[1](grad)
    torch.testing.assert_close(level, gate * f + (1 - gate) * g)
    between = (level - torch.minimum(f, g) >= -1e-6) & (torch.maximum(f, g) - level >= -1e-6)
    assert between.all()  # a convex combination of the two projections, position by position
    x, sigma = torch.randn(2, 1, 80, 63), torch.tensor([0.5, 2.0])
    assert ScoreModel(gated)(x, sigma).shape == x.shape
    assert SubnetConfig().fusion == "concat"
    variant = ScoreSubnet(clf, SubnetConfig(**{**SUB_CFG.__dict__, "taps": "gradients", "fusion": "gated"}))
    assert not hasattr(variant, "gate")
    with pytest.raises(ValueError, match="concat, gated"):
        ScoreSubnet(clf, SubnetConfig(fusion="sum"))
