"""The HiFi-GAN loader (weights cannot be fetched here: it is tested with weights it saves
itself in the layouts public checkpoints use) and the vocoder interface."""
import re
import urllib.error

import pytest
import torch

from scorelab.audio import GriffinLim, HiFiGAN, load_vocoder
from scorelab.download import OfflineError
from scorelab.nets.hifigan import HiFiGANGenerator, load_generator_state


def _legacy_layout(state: dict) -> dict:
    """Rename keys the way old weight-norm and SpeechBrain checkpoints store them."""
    out = {}
    for k, v in state.items():
        k = k.replace(".parametrizations.weight.original0", ".weight_g")
        k = k.replace(".parametrizations.weight.original1", ".weight_v")
        k = re.sub(r"\.(weight_g|weight_v|bias)$", r".conv.\1", k)
        out[k] = v
    return out


def test_generator_upsamples_by_the_hop():
    g = HiFiGANGenerator()
    assert g(torch.randn(2, 80, 10)).shape == (2, 2560)


@pytest.mark.parametrize("wrap", [lambda s: s, lambda s: {"generator": s}, _legacy_layout])
def test_hifigan_loads_common_checkpoint_layouts(tmp_path, wrap):
    torch.manual_seed(0)
    source = HiFiGANGenerator()
    path = tmp_path / "generator.ckpt"
    torch.save(wrap(source.state_dict()), path)
    vocoder = HiFiGAN.from_pretrained(path)
    mel = torch.randn(1, 80, 12)
    assert torch.allclose(vocoder(mel), source.eval()(mel), atol=1e-6)


def test_hifigan_mismatch_names_the_keys(tmp_path):
    state = HiFiGANGenerator().state_dict()
    state.pop("conv_post.bias")
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"missing conv_post.bias; unexpected extra.weight"):
        load_generator_state(HiFiGANGenerator(), state, source="x.ckpt")


def test_hifigan_offline_error_says_what_to_do(data_home, monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    with pytest.raises(OfflineError) as err:
        load_vocoder("hifigan")
    text = str(err.value)
    assert "huggingface.co" in text and "GriffinLim" in text and str(data_home) in text


def test_hifigan_missing_local_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no HiFi-GAN checkpoint"):
        HiFiGAN.from_pretrained(tmp_path / "nope.ckpt")


def test_load_vocoder_by_name():
    assert isinstance(load_vocoder("griffinlim", n_iter=4), GriffinLim)
    with pytest.raises(ValueError, match="griffinlim, hifigan"):
        load_vocoder("wavenet")
