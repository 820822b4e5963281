"""The SC09 ResNeXt: its size, the exact mel front end (against librosa), and loading both forms
of checkpoint the SC09 evaluation code produces."""
import os
import sys
import types

import pytest
import torch

from scorelab.nets.resnext import RefusedCheckpoint, SC09ResNeXt, load_sc09_resnext, sc09_mel


def test_the_resnext_has_the_cifar_resnext29_8x64d_size_and_1024_d_features():
    model = SC09ResNeXt().eval()
    n = sum(p.numel() for p in model.parameters())
    assert 34.0e6 < n < 34.6e6  # ResNeXt-29 8x64d is 34.4 M parameters on CIFAR (3 channels, 10 classes)
    feats, logits = model.features_and_logits(torch.randn(2, 32, 32))
    assert feats.shape == (2, 1024) and logits.shape == (2, 10)


def test_sc09_mel_matches_librosa_with_its_pre_0_10_defaults():
    librosa = pytest.importorskip("librosa", reason="librosa (the 'book' extra) is the reference implementation")
    import numpy as np

    g = torch.Generator().manual_seed(0)
    t = torch.arange(12000) / 16000
    wave = (0.3 * torch.sin(2 * torch.pi * 440 * t) + 0.05 * torch.randn(12000, generator=g)).float()
    ours = sc09_mel(wave)[0]
    padded = np.pad(wave.numpy(), (0, 4000))  # cut or padded at the end to 1 s
    s = librosa.feature.melspectrogram(y=padded, sr=16000, n_mels=32, pad_mode="reflect")
    ref = librosa.power_to_db(s, ref=np.max)
    assert ours.shape == (32, 32) == ref.shape
    assert torch.allclose(ours, torch.from_numpy(ref).float(), atol=1e-3)
    assert float(ours.max()) == 0.0 and float(ours.min()) >= -80.0


def _fake_public_module():
    mod = types.ModuleType("models.resnext")

    class CifarResNeXt(SC09ResNeXt):  # the class name the public checkpoint pickles
        pass

    CifarResNeXt.__module__, CifarResNeXt.__qualname__ = "models.resnext", "CifarResNeXt"
    mod.CifarResNeXt = CifarResNeXt
    return mod


@pytest.mark.slow
def test_a_pickled_dataparallel_model_and_a_state_dict_both_load(tmp_path, monkeypatch):
    torch.manual_seed(0)
    mod = _fake_public_module()
    monkeypatch.setitem(sys.modules, "models", types.ModuleType("models"))
    monkeypatch.setitem(sys.modules, "models.resnext", mod)
    original = mod.CifarResNeXt().eval()
    with torch.no_grad():
        for p in original.modules():
            if isinstance(p, torch.nn.BatchNorm2d):
                p.running_mean.uniform_(-0.1, 0.1)
    torch.save(torch.nn.DataParallel(original), tmp_path / "resnext.pth")
    torch.save(torch.nn.DataParallel(original), tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(original.state_dict(), tmp_path / "state.pt")
    monkeypatch.delitem(sys.modules, "models.resnext")  # as on a user's machine: no such module
    mel = torch.randn(3, 32, 32)
    expected = original(mel)
    for file in ("resnext.pth", "legacy.pth", "state.pt"):
        loaded = load_sc09_resnext(tmp_path / file)
        assert torch.allclose(loaded(mel), expected, atol=1e-5), file


class _RunsACommand:
    """An object whose unpickling calls os.system: what a malicious checkpoint would hold."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _CallsEval:
    def __reduce__(self):
        return eval, ("1 + 1",)


@pytest.mark.parametrize("payload", ["os.system", "eval"])
def test_a_checkpoint_that_names_another_global_is_refused_and_runs_nothing(tmp_path, payload):
    marker = tmp_path / "ran"
    evil = _RunsACommand(f"touch {marker}") if payload == "os.system" else _CallsEval()
    model = SC09ResNeXt()
    torch.save({"model": torch.nn.DataParallel(model), "extra": evil}, tmp_path / "evil.pth")
    with pytest.raises(RefusedCheckpoint, match=r"evil.pth: refused to unpickle the global (posix|os|builtins)\.(system|eval)"):
        load_sc09_resnext(tmp_path / "evil.pth")
    assert not marker.exists()


def test_wrong_or_missing_checkpoints_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="SC09 ResNeXt checkpoint .* not found"):
        load_sc09_resnext(tmp_path / "nothing.pth")
    torch.save({"weight": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not the SC09 ResNeXt-29"):
        load_sc09_resnext(tmp_path / "other.pt")
    (tmp_path / "text.pth").write_text("hello")
    with pytest.raises(ValueError, match="could not read"):
        load_sc09_resnext(tmp_path / "text.pth")


@pytest.mark.slow
def test_the_sc09_extractor_fetches_a_checkpoint_url_once_and_fails_offline_with_instructions(
        tmp_path, file_server, data_home):
    import io

    from scorelab.download import OfflineError
    from scorelab.evaluate import SC09Extractor

    torch.manual_seed(0)
    model = SC09ResNeXt()
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    file_server.files["/ckpt/resnext.pth"] = buf.getvalue()
    extractor = SC09Extractor(file_server.url("/ckpt/resnext.pth"))
    assert (data_home / "downloads" / "resnext.pth").is_file()
    mel = torch.randn(2, 32, 32)
    assert torch.allclose(extractor.model(mel), model.eval()(mel), atol=1e-5)
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OfflineError, match="download it by hand"):
        SC09Extractor(f"http://127.0.0.1:{port}/nowhere/missing.pth")
