"""load_or_train and load_model: load what is there (shipped with the book, or a run the reader made),
train only when asked, and say how long that takes before it starts."""
import dataclasses
from pathlib import Path

import pytest
import torch

from scorelab import get_profile
from scorelab.config import DataConfig
from scorelab.models import export
from scorelab.runs import load_or_train


@pytest.mark.slow
def test_load_or_train_subnet(speech_commands_root, tmp_path, data_home):
    micro = get_profile("micro")
    profile = micro.replace(data=DataConfig(source="speech_commands", labels=("zero", "one", "two"),
                                            root=str(speech_commands_root)),
                            train=dataclasses.replace(micro.train, steps=3))
    logs = []
    with pytest.raises(FileNotFoundError, match="missing.pt: no classifier there. Pass train=True"):
        load_or_train("classifier", profile, tmp_path / "missing.pt", tmp_path / "clf", log=logs.append)
    assert not (tmp_path / "clf").exists()
    clf, _ = load_or_train("classifier", profile, tmp_path / "missing.pt", tmp_path / "clf", log=logs.append,
                           train=True)
    assert "not found: training instead" in logs[0] and (tmp_path / "clf" / "checkpoint.pt").is_file()
    with pytest.raises(ValueError, match="needs a trained classifier"):
        load_or_train("subnet", profile, tmp_path / "missing.pt", tmp_path / "sub", log=logs.append, train=True)
    sub, _ = load_or_train("subnet", profile, tmp_path / "missing.pt", tmp_path / "sub", log=logs.append,
                           classifier_run=tmp_path / "clf", train=True)
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


@pytest.mark.slow
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
    # the clips a model saw add up over the runs that led to it (micro: batch 8)
    from scorelab.models import training_clips

    assert training_clips(tmp_path / "first") == training_clips(tmp_path / "first.pt") == 3 * 8
    assert training_clips(tmp_path / "second") == 3 * 8 + 1 * 8 and training_clips(tmp_path / "third") == 8
    with pytest.raises(ValueError, match="holds a unet; --init needs a classifier"):
        train_score_model("classifier", frozen, tmp_path / "clf", init=tmp_path / "first.pt", **quiet)
    wider = frozen.replace(unet=dataclasses.replace(frozen.unet, channels=16))
    with pytest.raises(ValueError, match="another size or input.*unet.channels: 8 there, 16 here"):
        train_score_model("unet", wider, tmp_path / "wider", init=tmp_path / "first.pt", **quiet)


BOOK = Path(__file__).resolve().parent.parent / "book"


def test_checkpoint_names_follow_the_profile():
    from scorelab.runs import checkpoint_name

    tiny, paper = get_profile("tiny"), get_profile("paper")
    assert checkpoint_name("subnet", tiny, "3 labels") == "subnet-3labels-tiny-fsdd.pt"
    assert checkpoint_name("classifier", paper, "1 label") == "classifier-paper-sc09.pt"
    assert checkpoint_name("unet", paper) == "unet-paper-sc09.pt"
    with pytest.raises(ValueError, match="unknown data regime 'two labels'"):
        checkpoint_name("unet", tiny, "two labels")


def test_load_model_reads_the_shipped_file_from_the_book_folder(monkeypatch, data_home):
    from scorelab.runs import load_model

    monkeypatch.chdir(BOOK)
    monkeypatch.setenv("SCORELAB_REPO_URL", "http://127.0.0.1:9")  # nothing is fetched
    logs = []
    model, profile = load_model("subnet", get_profile("tiny"), "1 label", device="cpu", log=logs.append)
    assert logs == ["loaded subnet from subnet-1label-tiny-fsdd.pt"]
    assert profile.data.labels == ("zero",) and not model.training
    assert not (BOOK / "runs").exists() and not data_home.exists()


def test_load_model_elsewhere_fetches_a_subnet_and_its_classifier(tmp_path, monkeypatch, data_home, file_server):
    from scorelab.runs import load_model

    for name in ("subnet-1label-tiny-fsdd.pt", "classifier-tiny-fsdd.pt"):
        file_server.files[f"/book/checkpoints/{name}"] = (BOOK / "checkpoints" / name).read_bytes()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCORELAB_REPO_URL", file_server.url(""))
    model, _ = load_model("subnet", get_profile("tiny"), "1 label", device="cpu", log=lambda *a: None)
    fetched = sorted(p.name for p in (data_home / "shipped" / "checkpoints").iterdir())
    assert fetched == ["classifier-tiny-fsdd.pt", "subnet-1label-tiny-fsdd.pt"]


@pytest.mark.slow
def test_load_model_trains_only_when_asked_and_says_how_long_first(speech_commands_root, tmp_path, monkeypatch,
                                                                     data_home):
    from scorelab.runs import load_model

    micro = get_profile("micro")
    profile = micro.replace(data=DataConfig(source="speech_commands", labels=("zero", "one", "two"),
                                            root=str(speech_commands_root)),
                            train=dataclasses.replace(micro.train, steps=3))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"ships no subnet for profile 'micro'.*train=True.*"
                                                r"python -m scorelab train subnet --profile micro"):
        load_model("subnet", profile, "3 labels", device="cpu")
    assert not (tmp_path / "runs").exists()
    logs = []
    trained, sub = load_model("subnet", profile, "3 labels", device="cpu", train=True, log=logs.append)
    announced = [line for line in logs if "s per step measured" in line]
    assert [line.split(" (")[0] for line in announced] == ["training classifier", "training subnet"]
    assert sub.data.labels == ("zero", "one", "two")
    assert (tmp_path / "runs" / "subnet-3labels-micro-speech_commands" / "checkpoint.pt").is_file()
    logs.clear()
    again, _ = load_model("subnet", profile, "3 labels", device="cpu", log=logs.append)
    assert logs == ["subnet-3labels-micro-speech_commands.pt is not shipped: loading the run in "
                    "runs/subnet-3labels-micro-speech_commands"]
    x, sigma = torch.randn(2, 1, profile.mel.n_mels, profile.mel.n_frames), torch.tensor([0.3, 3.0])
    with torch.no_grad():
        assert torch.allclose(again(x, sigma), trained(x, sigma), atol=1e-6)


def test_a_paper_model_that_is_not_shipped_says_what_it_needs_and_how_long_it_takes(monkeypatch, data_home):
    from scorelab.runs import load_model

    monkeypatch.chdir(BOOK)
    with pytest.raises(FileNotFoundError) as err:
        load_model("unet", get_profile("paper"), device="cpu")
    message = str(err.value)
    assert "unet-paper-sc09.pt: the book ships no unet for profile 'paper'" in message
    assert "python -m scorelab train unet --profile paper" in message
    assert "200000 steps takes about 13.0 h on one NVIDIA H200 (measured" in message
    assert not (BOOK / "runs").exists()
