"""Building models from profiles and loading the checkpoints the book ships."""
from pathlib import Path

import pytest
import torch

from scorelab.config import get_profile
from scorelab.models import build_model, count_parameters, load_trained

SHIPPED = Path(__file__).resolve().parent.parent / "book" / "checkpoints"


def test_unknown_model_kind():
    with pytest.raises(ValueError, match="choose one of classifier, unet, subnet"):
        build_model("transformer", get_profile("tiny"))


def test_shipped_unet_checkpoint_loads_and_denoises():
    model, profile, kind = load_trained(SHIPPED / "unet-tiny-fsdd.pt")
    assert kind == "unet" and profile.name == "tiny"
    assert count_parameters(model) == count_parameters(build_model("unet", get_profile("tiny")))
    # a trained score points from a noisy clip back towards the data: at small sigma,
    # x + sigma^2 score should be closer to the clean clip than x is
    clean = torch.full((1, 1, 80, 63), -1.0)  # silence in model space
    sigma = torch.tensor([0.3])
    noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        denoised = noisy + sigma ** 2 * model(noisy, sigma)
    assert (denoised - clean).pow(2).mean() < 0.5 * (noisy - clean).pow(2).mean()


def test_total_shipped_checkpoints_stay_small():
    total = sum(p.stat().st_size for p in SHIPPED.glob("*.pt"))
    assert total < 20e6, f"shipped checkpoints are {total / 1e6:.1f} MB; keep them under 20 MB"


@pytest.mark.parametrize("name, expected_kind", [("classifier-tiny-fsdd.pt", "classifier"),
                                                  ("evalclassifier-tiny-fsdd.pt", "evalclassifier")])
@pytest.mark.slow
def test_shipped_classifiers_recognise_clean_test_clips(fsdd_root, name, expected_kind):
    from scorelab.audio import normalize
    from scorelab.classify import predict
    from scorelab.data import cached_log_mels, fsdd

    model, profile, kind = load_trained(SHIPPED / name)
    ds = fsdd(fsdd_root, "test")
    mels, labels = cached_log_mels(ds, profile.mel)
    accuracy = (predict(model, normalize(mels, profile.mel)[:, None]) == labels).float().mean().item()
    print(f"shipped {kind}, clean FSDD test accuracy {accuracy:.3f}")
    assert kind == expected_kind and accuracy >= 0.95


def test_guiding_and_judging_classifiers_share_no_weights():
    guide = torch.load(SHIPPED / "classifier-tiny-fsdd.pt", weights_only=False)
    judge = torch.load(SHIPPED / "evalclassifier-tiny-fsdd.pt", weights_only=False)
    assert guide["config"]["profile"]["train"]["seed"] != judge["config"]["profile"]["train"]["seed"]
    assert not any(torch.equal(guide["ema"][k], judge["ema"][k]) for k in guide["ema"] if guide["ema"][k].numel() > 1)


# (file, kind, labels it was trained on, largest allowed ratio of squared error after/before denoising)
# The gradient-taps variant is a much weaker denoiser (its DSM loss stays near 0.3, the full
# model's near 0.08; chapter 7), so it is only asked to move toward the clean clip.
SUBNETS = [("subnet-tiny-fsdd.pt", "subnet", None, 0.5), ("subnet-gradtaps-tiny-fsdd.pt", "subnet-gradtaps", None, 0.9),
           ("subnet-3labels-tiny-fsdd.pt", "subnet", ("zero", "one", "two"), 0.5),
           ("subnet-1label-tiny-fsdd.pt", "subnet", ("zero",), 0.5)]


@pytest.mark.parametrize("name, expected_kind, labels, ratio", SUBNETS)
def test_shipped_subnets_sit_on_the_shipped_classifier_and_denoise(name, expected_kind, labels, ratio):
    """Each subnet file leaves its classifier out, loads it from beside itself (fingerprint
    checked), holds exactly the shipped classifier's weights, and its score denoises."""
    state = torch.load(SHIPPED / name, weights_only=False)
    assert not any(k.startswith("backbone.classifier.") for k in state["ema"])
    model, profile, kind = load_trained(SHIPPED / name)
    assert kind == expected_kind and profile.name == "tiny"
    assert profile.data.labels == (labels or profile.data.labels)
    classifier = torch.load(SHIPPED / "classifier-tiny-fsdd.pt", weights_only=False)["ema"]
    for key, value in model.backbone.classifier.state_dict().items():
        assert torch.equal(value, classifier[key].float()), key
    clean = torch.full((1, 1, 80, 63), -1.0)  # silence in model space
    sigma = torch.tensor([0.3])
    noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        denoised = noisy + sigma ** 2 * model(noisy, sigma)
    assert (denoised - clean).pow(2).mean() < ratio * (noisy - clean).pow(2).mean()


def test_weights_fingerprint():
    from scorelab.models import weights_fingerprint

    a = {"w": torch.tensor([1.0, 0.0, -2.5]), "b": torch.tensor([3.0])}
    assert weights_fingerprint(a) == weights_fingerprint({"b": a["b"], "w": a["w"].half()})  # order, precision
    assert weights_fingerprint(a) == weights_fingerprint({"w": torch.tensor([1.0, -0.0, -2.5]), "b": a["b"]})
    assert weights_fingerprint(a) != weights_fingerprint({"w": torch.tensor([1.0, 0.0, -2.0]), "b": a["b"]})
    assert weights_fingerprint(a) != weights_fingerprint({"v": a["w"], "b": a["b"]})


def test_classifier_and_subnet_refuse_the_vp_sde_and_the_unet_takes_it():
    """The classifier's input scaling and ScoreSubnet's preconditioning assume the VE SDE; under VP
    they would be silently wrong, so building them says so. The U-Net predicts the noise there."""
    import dataclasses

    profile = get_profile("micro")
    vp = profile.replace(sde=dataclasses.replace(profile.sde, kind="vp"))
    for kind in ("classifier", "evalclassifier", "subnet", "subnet-gradtaps"):
        with pytest.raises(ValueError, match="VE SDE only .* sde.kind 'vp'"):
            build_model(kind, vp)
    assert build_model("unet", vp).mode == "eps" and build_model("unet", profile).mode == "edm"


def test_training_clips_of_a_file_without_a_count_come_from_its_record_only_for_that_exact_file(tmp_path):
    import json
    import shutil

    from scorelab.checkpoints import file_digest
    from scorelab.models import TRAINING_RECORD, training_clips

    shutil.copy2(SHIPPED / "unet-tiny-fsdd.pt", tmp_path / "unet-tiny-fsdd.pt")
    assert training_clips(tmp_path / "unet-tiny-fsdd.pt") is None  # went on from another run: not known alone
    record = {"unet-tiny-fsdd.pt": {"sha256": file_digest(tmp_path / "unet-tiny-fsdd.pt"), "clips_seen": 1234}}
    (tmp_path / TRAINING_RECORD).write_text(json.dumps(record))
    assert training_clips(tmp_path / "unet-tiny-fsdd.pt") == 1234
    record["unet-tiny-fsdd.pt"]["sha256"] = "0" * 16  # the record is of another file of that name
    (tmp_path / TRAINING_RECORD).write_text(json.dumps(record))
    assert training_clips(tmp_path / "unet-tiny-fsdd.pt") is None
    assert training_clips(SHIPPED / "subnet-tiny-fsdd.pt") == 1756 * 128  # from scratch: steps times batch
