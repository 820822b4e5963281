"""The HiFi-GAN loader and the vocoder interface. Pretrained weights cannot be fetched here: the
loader is tested with weights saved in the layouts public checkpoints use, and against SpeechBrain's
own generator class and inference with the hyper-parameters of its LibriTTS 16 kHz model."""
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


@pytest.mark.slow
@pytest.mark.parametrize("wrap", [lambda s: s, lambda s: {"generator": s}, _legacy_layout])
def test_hifigan_loads_common_checkpoint_layouts(tmp_path, wrap):
    torch.manual_seed(0)
    source = HiFiGANGenerator()
    path = tmp_path / "generator.ckpt"
    torch.save(wrap(source.state_dict()), path)
    vocoder = HiFiGAN.from_pretrained(path)
    mel = torch.randn(1, 80, 12)
    padded = torch.nn.functional.pad(mel, (5, 5), mode="replicate")  # edge frames repeated five times
    with torch.no_grad():
        assert torch.allclose(vocoder(mel, trim=False), source.eval()(padded), atol=1e-6)
        assert torch.allclose(vocoder(mel), source(padded)[..., 5 * 256:-5 * 256], atol=1e-6)
    assert vocoder(mel).shape == (1, 12 * 256)


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


@pytest.mark.slow
def test_hifigan_matches_speechbrains_own_libritts_16k_model(tmp_path):
    """The generator class SpeechBrain's pretrained LibriTTS 16 kHz vocoder is built from, with that
    model's hyper-parameters, saved as its generator.ckpt stores the weights (old-style weight-norm
    keys weight_g / weight_v), loaded by HiFiGAN.from_pretrained: the same waveform as SpeechBrain's
    own inference (decode_batch, with its input padding) on the same log-Mel."""
    sb_models = pytest.importorskip("speechbrain.lobes.models.HifiGAN", reason="speechbrain is not installed "
                                    "(`make setup` installs it with the book extra)")
    from speechbrain.inference.vocoders import HIFIGAN

    torch.manual_seed(0)
    generator = sb_models.HifiganGenerator(  # hyperparams.yaml of speechbrain/tts-hifigan-libritts-16kHz
        in_channels=80, out_channels=1, resblock_type="1", resblock_dilation_sizes=[[1, 3, 5]] * 3,
        resblock_kernel_sizes=[3, 7, 11], upsample_kernel_sizes=[16, 16, 4, 4], upsample_initial_channel=512,
        upsample_factors=[8, 8, 2, 2], inference_padding=5, cond_channels=0, conv_post_bias=True)
    state = {re.sub(r"parametrizations\.weight\.original([01])$", lambda m: "weight_g" if m[1] == "0" else "weight_v", k): v
             for k, v in generator.state_dict().items()}
    assert any(k.endswith(".conv.weight_g") for k in state) and not any("parametrizations" in k for k in state)
    torch.save(state, tmp_path / "generator.ckpt")
    ours = HiFiGAN.from_pretrained(tmp_path / "generator.ckpt")
    log_mel = torch.randn(2, 80, 63, generator=torch.Generator().manual_seed(1)) * 2 - 5
    theirs = HIFIGAN(modules={"generator": generator}, hparams={"generator": generator}).decode_batch(log_mel)
    mine = ours(log_mel, trim=False)
    assert theirs.shape == (2, 1, (63 + 10) * 256) and mine.shape == (2, (63 + 10) * 256)
    largest = float((mine - theirs[:, 0]).abs().max())
    print(f"largest sample difference from SpeechBrain's decode_batch: {largest:.2e}")
    assert largest < 1e-5
    assert torch.equal(ours(log_mel), mine[:, 5 * 256:-5 * 256])


@pytest.mark.slow
def test_hifigan_players_render_each_log_mel_beside_griffin_lim(tmp_path, monkeypatch):
    """The chapters' HiFi-GAN cell: with a generator at hand (here a file named by SCORELAB_HIFIGAN),
    one labelled player per log-Mel holding that generator's waveform; without one (no file, no
    network), a notice that says why and how to provide one, and no player."""
    import base64
    import io
    import wave

    import numpy as np

    from scorelab.display import Notice, Players, hifigan_players

    torch.manual_seed(0)
    path = tmp_path / "generator.ckpt"
    torch.save(HiFiGANGenerator().state_dict(), path)
    monkeypatch.setenv("SCORELAB_HIFIGAN", str(path))
    mels = {"seven": torch.randn(80, 12) - 5, "three": torch.randn(80, 12) - 5}
    shown = hifigan_players(mels)
    assert isinstance(shown, Players) and list(shown.clips) == ["seven, HiFi-GAN", "three, HiFi-GAN"]
    expected = HiFiGAN.from_pretrained(path)(mels["three"])
    assert torch.allclose(shown.clips["three, HiFi-GAN"], expected, atol=1e-6)
    page = shown._repr_html_()
    blob = re.findall(r"base64,([A-Za-z0-9+/=]+)", page)[1]
    with wave.open(io.BytesIO(base64.b64decode(blob))) as w:
        assert w.getnframes() == 12 * 256 and w.getframerate() == 16000

    monkeypatch.setenv("SCORELAB_HIFIGAN", str(tmp_path / "absent.ckpt"))
    notice = hifigan_players(mels)
    assert isinstance(notice, Notice) and "<audio" not in notice._repr_html_()
    assert "absent.ckpt" in repr(notice) and "Griffin-Lim" in repr(notice) and "SCORELAB_HIFIGAN" in repr(notice)
    assert np.isfinite(expected.numpy()).all()


def test_hifigan_players_offline_say_so(data_home, monkeypatch):
    from scorelab.display import Notice, hifigan_players

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    notice = hifigan_players({"seven": torch.zeros(80, 12)})
    assert isinstance(notice, Notice) and "cannot reach https://huggingface.co" in repr(notice)
