import pytest
import torch

from scorelab.compute import count_macs
from scorelab.nets.diffwave import DiffWave, DiffWaveConfig, ancestral_sample, macs_per_generated_second, step_embedding

SMALL = DiffWaveConfig(layers=5, channels=8, dilation_cycle=3, steps=6, clip_samples=1024)


def test_sc09_configuration_is_the_papers():
    cfg = DiffWaveConfig.sc09()
    assert (cfg.layers, cfg.channels, cfg.steps) == (36, 256, 200)
    with torch.device("meta"):
        model = DiffWave(cfg)
    dilations = [layer.dilated.dilation[0] for layer in model.layers]
    assert dilations[:12] == [2 ** k for k in range(12)] and dilations[12] == 1
    # the paper's unconditional SC09 model has 24.1 M parameters
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(24.1e6, rel=0.005)


def test_macs_per_generated_second_follow_the_layer_sizes():
    cfg = SMALL
    c, n = cfg.channels, cfg.sample_rate
    per_sample = c + cfg.layers * (3 * c * 2 * c + c * 2 * c) + c * c + c  # 1x1 in, dilated + 1x1 per layer, skip, head
    per_call = 128 * 512 + 512 * 512 + cfg.layers * 512 * c  # step embedding and its per-layer projections
    assert macs_per_generated_second(cfg) == cfg.steps * (n * per_sample + per_call)
    assert macs_per_generated_second() == pytest.approx(60.6e12, rel=0.001)


def test_forward_shape_and_bad_input():
    model = DiffWave(SMALL)
    x = torch.randn(3, 1024)
    assert model(x, torch.tensor([0, 2, 5])).shape == (3, 1024)
    with pytest.raises(ValueError, match="batch, samples"):
        model(x[:, None], torch.tensor([0, 2, 5]))


def test_same_output_as_the_diffwave_package_with_the_same_weights():
    package = pytest.importorskip("diffwave.model", reason="the diffwave package (book extras) is not installed")
    from diffwave.params import AttrDict

    torch.manual_seed(0)
    ours = DiffWave(SMALL)
    torch.nn.init.normal_(ours.head.weight)  # both start at zero; the comparison needs an output
    params = AttrDict(residual_layers=SMALL.layers, residual_channels=SMALL.channels,
                      dilation_cycle_length=SMALL.dilation_cycle, noise_schedule=SMALL.betas().tolist(), n_mels=4)
    theirs = package.DiffWave(params)
    mapping = {"inp": "input_projection", "embed.0": "diffusion_embedding.projection1",
               "embed.2": "diffusion_embedding.projection2", "skip": "skip_projection", "head": "output_projection"}
    state = {}
    for key, value in ours.state_dict().items():
        module, _, leaf = key.rpartition(".")
        if module.startswith("layers."):
            i, part = module.split(".")[1:]
            name = {"step_proj": "diffusion_projection", "dilated": "dilated_conv", "out": "output_projection"}[part]
            state[f"residual_layers.{i}.{name}.{leaf}"] = value
        else:
            state[f"{mapping[module]}.{leaf}"] = value
    for key, value in theirs.state_dict().items():  # the vocoder's spectrogram input, silenced
        if "conditioner_projection" in key or "spectrogram_upsampler" in key:
            state[key] = torch.zeros_like(value)
    theirs.load_state_dict(state)

    x, t = torch.randn(2, 1024), torch.tensor([1, 4])
    spectrogram = torch.zeros(2, 4, 1024 // 256)
    torch.testing.assert_close(ours(x, t), theirs(x, spectrogram, t)[:, 0], rtol=1e-5, atol=1e-5)


def test_step_embedding_is_sines_then_cosines_of_the_step():
    emb = step_embedding(torch.tensor([0, 3]))
    assert emb.shape == (2, 128)
    torch.testing.assert_close(emb[0], torch.cat([torch.zeros(64), torch.ones(64)]))
    assert emb[1, 0].item() == pytest.approx(torch.sin(torch.tensor(3.0)).item())


def test_ancestral_sampler_calls_the_network_once_per_step():
    model = DiffWave(SMALL)
    calls = []
    model.register_forward_hook(lambda m, a, o: calls.append(a[1].tolist()))
    x = ancestral_sample(model, 2, generator=torch.Generator().manual_seed(0))
    assert x.shape == (2, SMALL.clip_samples) and x.abs().max() <= 1
    assert calls == [[t, t] for t in range(SMALL.steps - 1, -1, -1)]
    one_call = count_macs(model, torch.zeros(1, SMALL.clip_samples), torch.zeros(1, dtype=torch.long))
    assert count_macs(lambda: ancestral_sample(model, 1, steps=2)) == 2 * one_call
    with pytest.raises(ValueError, match="between 1 and T"):
        ancestral_sample(model, 1, steps=SMALL.steps + 1)
