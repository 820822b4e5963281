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
