"""Evaluating folders of clips: real speech scores better than noise, labels in names give
accuracy, ScoreQ missing is reported without stopping the rest, and the SC09 ResNeXt path runs
end to end (random weights: the public checkpoint is not redistributed)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from scorelab.audio import write_audio
from scorelab.evaluate import (SC09Extractor, ScorelabExtractor, default_eval_classifier, evaluate_folder,
                               features_of, format_result, format_rows, noise_clips, read_clips, reference_features,
                               sanity_table, scoreq_scores)
from scorelab.nets.resnext import SC09ResNeXt

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folders(tmp_path_factory, request):
    from conftest import fsdd_root_or_none

    fsdd = fsdd_root_or_none()
    if fsdd is None:
        pytest.skip("no FSDD recordings: set SCORELAB_FSDD or run `python -m scorelab data fsdd --download`")
    base = tmp_path_factory.mktemp("eval")
    real, ref, noise = base / "real", base / "ref", base / "noise"
    for d in (real, ref, noise):
        d.mkdir()
    for digit in range(10):
        for i in range(2):
            shutil.copy(fsdd / f"{digit}_jackson_{i}.wav", real / f"{digit}_jackson_{i}.wav")
        for i in range(5, 9):
            shutil.copy(fsdd / f"{digit}_nicolas_{i}.wav", ref)
    for i, w in enumerate(noise_clips(20)):
        write_audio(noise / f"noise_{i:02d}.wav", w, 16000)
    return real, ref, noise


@pytest.mark.slow
def test_real_speech_scores_far_better_than_noise_against_real_speech(folders):
    real, ref, noise = folders
    extractor = ScorelabExtractor(default_eval_classifier())
    good = evaluate_folder(real, extractor, reference=str(ref))
    bad = evaluate_folder(noise, extractor, reference=str(ref))
    assert good["clips"] == 20 and good["labelled_clips"] == 20 and good["accuracy"] >= 0.9
    assert "accuracy" not in bad  # noise_*.wav carries no label
    assert good["fid"] * 5 < bad["fid"]
    assert good["is"] > 5 > bad["is"]
    assert good["am"] < bad["am"]
    assert "FID vs" in format_result(good) and "accuracy (20 labelled clips)" in format_result(good)
    assert "fid" not in evaluate_folder(real, extractor, reference=None)


@pytest.mark.slow
def test_the_sanity_table_orders_real_speech_resynthesis_and_noise(folders):
    real, ref, noise = folders
    extractor = ScorelabExtractor(default_eval_classifier())
    reference = reference_features(extractor, str(ref))
    test = read_clips(real, extractor.label_names)
    test_set = features_of(extractor, test.waves, test.labels)
    rows = sanity_table(extractor, ref=reference, test=test, test_set=test_set)
    fid = {name: r["fid"] for name, r in rows.items()}
    assert fid["training split (the reference itself)"] == pytest.approx(0.0, abs=1e-6)
    assert fid["test split"] * 5 < fid["white noise"]
    assert fid["test split, log-Mel + Griffin-Lim round trip"] * 5 < fid["white noise"]
    # the features passed in are the ones scored: the same row as when they are computed inside
    assert rows["test split"] == sanity_table(extractor, ref=reference, test=test)["test split"]
    with pytest.raises(ValueError, match="holds 3 clips but test 20"):
        sanity_table(extractor, ref=reference, test=test, test_set=test_set.subset(torch.arange(3)))
    assert "| white noise |" in format_rows(rows)


def test_without_scoreq_the_reason_is_reported_and_the_metrics_are_still_computed(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "scoreq", None)  # import scoreq -> ImportError
    result = evaluate_folder(folders[0], ScorelabExtractor(default_eval_classifier()), reference=None,
                             with_scoreq=True)
    assert "not installed" in result["scoreq_error"] and "is" in result and "accuracy" in result


def _fresh_scoreq(monkeypatch, home):
    """The installed `scoreq` package, imported anew with ~ at `home` (it builds a model, and so
    looks for or downloads its weights, when imported); skips where it is not installed."""
    import importlib.util

    if importlib.util.find_spec("scoreq") is None:
        pytest.skip("the optional scoreq package is not installed (pip install 'scorelab[pretrained]'); "
                    "`make` installs it")
    monkeypatch.setenv("HOME", str(home))
    for name in [m for m in sys.modules if m == "scoreq" or m.startswith("scoreq.")]:
        monkeypatch.delitem(sys.modules, name)


def _offline(monkeypatch):
    import urllib.error
    import urllib.request

    def refuse(url, *a, **k):
        raise urllib.error.URLError(f"no network in this test ({url})")

    monkeypatch.setattr(urllib.request, "urlretrieve", refuse)


def _constant_clips(folder, amplitudes):
    folder.mkdir()
    for i, a in enumerate(amplitudes):
        write_audio(folder / f"clip_{i}.wav", torch.full((16000,), float(a)), 16000)


def test_scoreq_offline_says_where_its_weights_come_from(tmp_path, monkeypatch):
    _fresh_scoreq(monkeypatch, tmp_path / "home")
    _offline(monkeypatch)
    _constant_clips(tmp_path / "clips", [0.1])
    with pytest.raises(RuntimeError, match="could not fetch its weights.*zenodo.org.*other metrics do not need"):
        scoreq_scores(tmp_path / "clips")


def test_scoreq_runs_end_to_end_with_stub_weights(tmp_path, monkeypatch):
    home = tmp_path / "home"
    cache = home / ".cache" / "scoreq" / "onnx-models"
    cache.mkdir(parents=True)
    for name in ("adapt_nr_telephone.onnx", "fixed_nmr_telephone.onnx"):  # its no-reference and reference models
        shutil.copy(ROOT / "tests" / "data" / "scoreq_stub.onnx", cache / name)
    _fresh_scoreq(monkeypatch, home)
    _offline(monkeypatch)  # everything it needs is in the cache
    clips, refs = tmp_path / "clips", tmp_path / "refs"
    _constant_clips(clips, [0.1, -0.3])  # 16000 samples, a multiple of ScoreQ's padding (320)
    _constant_clips(refs, [0.2, 0.3])
    # the stub scores 10 x mean |x|: clips 1.0 and 3.0; the distances |1 - 2| and |3 - 3|
    out = scoreq_scores(clips, refs)
    assert out["scoreq_mos"] == pytest.approx(2.0, abs=1e-3)
    assert out["scoreq_distance"] == pytest.approx(0.5, abs=1e-3)
    with pytest.raises(ValueError, match="lacks 1 of them \\(clip_1.wav"):
        (refs / "clip_1.wav").unlink()
        scoreq_scores(clips, refs)
    result = evaluate_folder(clips, ScorelabExtractor(default_eval_classifier()), reference=None, with_scoreq=True)
    assert result["scoreq_mos"] == pytest.approx(2.0, abs=1e-3) and "is" in result
    assert "ScoreQ MOS (no reference)" in format_result(result)
    # a broken download in the cache is named, with the way out
    (cache / "adapt_nr_telephone.onnx").write_bytes(b"not a model")
    _fresh_scoreq(monkeypatch, home)
    with pytest.raises(RuntimeError, match="delete ~/.cache/scoreq"):
        scoreq_scores(clips)


def test_the_sc09_resnext_needs_its_checkpoint_and_then_gives_1024_d_features(folders, tmp_path, monkeypatch):
    monkeypatch.delenv("SCORELAB_SC09_RESNEXT", raising=False)
    with pytest.raises(FileNotFoundError, match="SCORELAB_SC09_RESNEXT"):
        SC09Extractor()
    torch.manual_seed(0)
    torch.save(SC09ResNeXt().state_dict(), tmp_path / "resnext.pt")
    monkeypatch.setenv("SCORELAB_SC09_RESNEXT", str(tmp_path / "resnext.pt"))
    extractor = SC09Extractor()
    clips = read_clips(folders[0], extractor.label_names)
    feats, probs = extractor(clips.waves[:4])
    assert feats.shape == (4, 1024) and torch.allclose(probs.sum(-1), torch.ones(4, dtype=probs.dtype))


def test_the_evaluate_command_prints_a_table_and_writes_json(folders, tmp_path):
    real, ref, _ = folders
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "scorelab", "evaluate", str(real), "--reference", str(ref),
                          "--json", str(tmp_path / "r.json")], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["reference_clips"] == 40 and result["accuracy"] >= 0.9
    assert f"{result['fid']:.3f}" in out.stdout
    missing = subprocess.run([sys.executable, "-m", "scorelab", "evaluate", str(tmp_path / "nowhere")], env=env,
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0 and "no such folder" in missing.stderr


def test_seen_and_unseen_labels_are_judged_apart_each_against_its_own_real_clips():
    from scorelab.evaluate import FeatureSet, scores, seen_and_unseen

    g = torch.Generator().manual_seed(0)
    names = ("zero", "one", "two")
    ref_labels = torch.arange(3).repeat(20)
    ref = FeatureSet(torch.randn(60, 4, generator=g) + 3 * ref_labels[:, None].float(),
                     torch.nn.functional.one_hot(ref_labels, 3).double(), ref_labels)
    # generated: "zero" asked 6 times and always right; "one" and "two" asked 6 times each, heard as "zero"
    asked = torch.tensor([0] * 6 + [1] * 6 + [2] * 6)
    heard = torch.zeros(18, dtype=torch.long)
    clips = FeatureSet(torch.randn(18, 4, generator=g), torch.nn.functional.one_hot(heard, 3).double(), asked)
    groups = seen_and_unseen(clips, ref, names, seen=("zero",))
    assert groups["seen"]["clips"] == 6 and groups["seen"]["accuracy"] == 1.0
    assert groups["unseen"]["clips"] == 12 and groups["unseen"]["accuracy"] == 0.0
    seen_only = ref.subset(ref_labels == 0)
    assert groups["seen"]["fid"] == pytest.approx(scores(clips.subset(asked == 0), seen_only)["fid"])
    assert groups["seen"]["fid"] != pytest.approx(scores(clips.subset(asked == 0), ref)["fid"])
    with pytest.raises(ValueError, match="seen labels seven are not among"):
        seen_and_unseen(clips, ref, names, seen=("seven",))


def test_every_result_names_its_is_estimator_and_an_unknown_one_is_refused():
    from scorelab.evaluate import FeatureSet, scores

    probs = torch.softmax(torch.randn(30, 10, generator=torch.Generator().manual_seed(1)), -1).double()
    clips = FeatureSet(torch.randn(30, 4), probs, torch.full((30,), -1))
    result = scores(clips, is_estimator="split-half")
    assert result["is_estimator"] == "split-half" and result["is"] == result["is_by_estimator"]["split-half"]
    assert set(result["is_by_estimator"]) == {"plug-in", "split-half", "10-splits"} and result["is_10_splits_std"] > 0
    with pytest.raises(ValueError, match="unknown IS estimator 'best'; choose one of plug-in, split-half, 10-splits"):
        scores(clips, is_estimator="best")
