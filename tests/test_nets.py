"""Network shapes, the preconditioning formulas, and the layers' starting behaviour."""
import pytest
import torch
from numpy.testing import assert_allclose

from scorelab.config import UNetConfig, get_profile
from scorelab.models import build_unet, count_parameters
from scorelab.nets.layers import FiLMResBlock, NoiseEmbedding, SelfAttention2d
from scorelab.nets.precond import ScoreModel
from scorelab.nets.unet import UNet


@pytest.mark.parametrize("frames", [63, 64, 17])
def test_unet_keeps_the_input_shape(frames):
    net = UNet(UNetConfig(channels=8, channel_mults=(1, 2, 2), attention_levels=(2,), emb_dim=16, heads=2))
    x = torch.randn(2, 1, 80, frames)
    assert net(x, torch.tensor([0.1, 10.0])).shape == x.shape


def test_tiny_unet_size():
    model = build_unet(get_profile("tiny"))
    assert 1.0e6 < count_parameters(model) < 1.5e6


class Zero(torch.nn.Module):
    def forward(self, x, sigma):
        return torch.zeros_like(x)


def test_edm_preconditioning_with_a_zero_network_is_the_gaussian_score():
    # F = 0 gives D(x) = c_skip x, the optimal denoiser for N(0, sigma_data^2) data, whose
    # noisy score is -x / (sigma^2 + sigma_data^2)
    model = ScoreModel(Zero(), sigma_data=0.5)
    x, sigma = torch.randn(4, 1, 3, 5, dtype=torch.float64), torch.tensor([0.01, 0.3, 1.0, 50.0], dtype=torch.float64)
    expected = -x / (sigma ** 2 + 0.25)[:, None, None, None]
    assert_allclose(model(x, sigma).numpy(), expected.numpy(), rtol=1e-10)


def test_eps_preconditioning_divides_by_sigma():
    class Ones(torch.nn.Module):
        def forward(self, x, sigma):
            return torch.ones_like(x)

    model = ScoreModel(Ones(), mode="eps")
    out = model(torch.zeros(2, 1, 2, 2), torch.tensor([0.5, 2.0]))
    assert_allclose(out[:, 0, 0, 0].numpy(), [-2.0, -0.5])
    with pytest.raises(ValueError, match="'edm' or 'eps'"):
        ScoreModel(Ones(), mode="x0")


def test_blocks_start_as_the_identity():
    x, emb = torch.randn(2, 8, 6, 6), torch.randn(2, 16)
    assert torch.equal(FiLMResBlock(8, 8, 16)(x, emb), x)
    assert torch.allclose(SelfAttention2d(8, heads=2)(x), x)
    with pytest.raises(ValueError, match="divisible"):
        SelfAttention2d(6, heads=4)


def test_noise_embedding_separates_noise_levels():
    emb = NoiseEmbedding(32)
    out = emb(torch.tensor([0.01, 0.02, 10.0]))
    assert out.shape == (3, 32)
    assert not torch.allclose(out[0], out[2])


def test_noise_embedding_features_are_sinusoids_of_log_sigma_over_4():
    emb = NoiseEmbedding(8, features=8)
    emb.mlp = torch.nn.Identity()  # what the MLP sees
    sigma = torch.tensor([0.002, 1.0, 80.0], dtype=torch.float64)
    c = torch.log(sigma) / 4
    freqs = 1000 * 10_000.0 ** (-torch.arange(4, dtype=torch.float64) / 4)
    expected = torch.cat([torch.cos(c[:, None] * freqs), torch.sin(c[:, None] * freqs)], dim=1)
    assert_allclose(emb(sigma).numpy(), expected.numpy(), atol=1e-3)  # angles reach 1550 rad in float32
    assert_allclose(emb(torch.tensor([1.0]))[0, :4].numpy(), [1, 1, 1, 1])  # sigma = 1: log 0, cos 1


def test_unet_values_do_not_depend_on_batch_mates_or_the_frame_padding():
    torch.manual_seed(0)
    net = UNet(UNetConfig(channels=8, channel_mults=(1, 2, 2), attention_levels=(2,), emb_dim=16, heads=2)).eval()
    for p in net.parameters():  # leave the identity start: every layer takes part
        p.data.add_(0.05 * torch.randn_like(p))
    x, sigma = torch.randn(3, 1, 16, 63), torch.tensor([0.1, 1.0, 10.0])
    with torch.no_grad():
        together = net(x, sigma)
        alone = torch.cat([net(x[i:i + 1], sigma[i:i + 1]) for i in range(3)])
        padded = net(torch.nn.functional.pad(x, (0, 1)), sigma)[..., :63]  # 64 frames need no padding inside
    torch.testing.assert_close(alone, together, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(padded[..., :40], together[..., :40], rtol=1e-4, atol=1e-5)  # far from the edge
    assert (together[0] - together[1]).abs().amax() > 1e-3  # the noise level matters


def test_classifier_taps_and_logits():
    from scorelab.config import ClassifierConfig
    from scorelab.nets.classifier import NoisyClassifier

    clf = NoisyClassifier(ClassifierConfig(channels=8, emb_dim=16), num_classes=3)
    logits, taps = clf(torch.randn(2, 1, 80, 63), torch.tensor([0.05, 20.0]), return_taps=True)
    assert logits.shape == (2, 3)
    assert [t.shape[1] for t in taps] == [8, 16, 32, 64] == list(clf.tap_channels)
    assert [t.shape[-2:] for t in taps] == [(80, 63), (40, 32), (20, 16), (10, 8)]
    assert clf(torch.zeros(1, 1, 80, 63), torch.tensor(1.0)).shape == (1, 3)  # a scalar sigma broadcasts
