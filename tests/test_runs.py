"""load_or_train: trains when the file is missing (subnets on a given classifier), loads when present."""
import dataclasses

import pytest
import torch

from scorelab import get_profile
from scorelab.config import DataConfig
from scorelab.models import export
from scorelab.runs import load_or_train


def test_load_or_train_subnet(speech_commands_root, tmp_path, data_home):
    micro = get_profile("micro")
    profile = micro.replace(data=DataConfig(source="speech_commands", labels=("zero", "one", "two"),
                                            root=str(speech_commands_root)),
                            train=dataclasses.replace(micro.train, steps=3))
    logs = []
    clf, _ = load_or_train("classifier", profile, tmp_path / "missing.pt", tmp_path / "clf", log=logs.append)
    assert "not found: training instead" in logs[0] and (tmp_path / "clf" / "checkpoint.pt").is_file()
    with pytest.raises(ValueError, match="needs a trained classifier"):
        load_or_train("subnet", profile, tmp_path / "missing.pt", tmp_path / "sub", log=logs.append)
    sub, _ = load_or_train("subnet", profile, tmp_path / "missing.pt", tmp_path / "sub", log=logs.append,
                           classifier_run=tmp_path / "clf")
    assert sub.backbone.classifier.training is False
    ship = tmp_path / "ship"
    export(tmp_path / "clf", ship / "classifier.pt")
    export(tmp_path / "sub", ship / "subnet.pt")
    logs.clear()
    loaded, _ = load_or_train("subnet", profile, ship / "subnet.pt", tmp_path / "unused", log=logs.append,
                              classifier_run=ship / "classifier.pt")
    assert logs == ["loaded subnet from subnet.pt"] and not (tmp_path / "unused").exists()
    x, sigma = torch.randn(2, 1, profile.mel.n_mels, profile.mel.n_frames), torch.tensor([0.3, 3.0])
    with torch.no_grad():
        assert float((loaded(x, sigma) - sub(x, sigma)).norm() / sub(x, sigma).norm()) < 1e-2


def test_a_run_starts_from_an_exported_model_of_the_same_kind_and_size(speech_commands_root, tmp_path, data_home):
    from scorelab.models import load_trained
    from scorelab.runs import train_score_model

    micro = get_profile("micro")
    profile = micro.replace(data=DataConfig(source="speech_commands", labels=("zero", "one", "two"),
                                            root=str(speech_commands_root)),
                            train=dataclasses.replace(micro.train, steps=3))
    quiet = dict(progress=False, log=lambda *a: None)
    train_score_model("unet", profile, tmp_path / "first", **quiet)
    export(tmp_path / "first", tmp_path / "first.pt")
    # with a learning rate of 0 the new run's weights stay exactly where --init put them
    frozen = profile.replace(train=dataclasses.replace(profile.train, steps=1, lr=0.0))
    ema = train_score_model("unet", frozen, tmp_path / "second", init=tmp_path / "first.pt", **quiet)
    start = load_trained(tmp_path / "first.pt")[0].state_dict()
    assert all(torch.equal(v, start[k]) for k, v in ema.state_dict().items())
    fresh = train_score_model("unet", frozen, tmp_path / "third", **quiet)
    assert not all(torch.equal(v, start[k]) for k, v in fresh.state_dict().items())
    assert '"init"' in (tmp_path / "second" / "config.json").read_text()
    with pytest.raises(ValueError, match="holds a unet; --init needs a classifier"):
        train_score_model("classifier", frozen, tmp_path / "clf", init=tmp_path / "first.pt", **quiet)
    wider = frozen.replace(unet=dataclasses.replace(frozen.unet, channels=16))
    with pytest.raises(ValueError, match="another size or input.*unet.channels: 8 there, 16 here"):
        train_score_model("unet", wider, tmp_path / "wider", init=tmp_path / "first.pt", **quiet)
