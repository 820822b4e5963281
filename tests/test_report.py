"""The report: rows sampled, evaluated and costed from shipped checkpoints, tables and figures
written, a rerun redoing only what is missing, and missing models trained."""
import json
from pathlib import Path

import pytest

import torch

from scorelab.report import Models, Row, paper_rows, row_samples, run_report

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "book" / "checkpoints"


def test_the_paper_rows_cover_every_model_regime_and_gamma():
    rows = paper_rows()
    names = {(r.regime, r.name) for r in rows}
    for regime in ("full", "3 labels", "1 label"):
        for name in ("U-Net (unconditional)", "U-Net + Classifier (γ = 3)", "ScoreSubnet (unconditional)",
                     "ScoreSubnet (γ = 3)"):
            assert (regime, name) in names
    assert ("full", "Gradient taps (γ = 3)") in names and ("full", "ScoreSubnet (γ = 10)") in names
    assert len({r.key for r in rows}) == len(rows) == 18


@pytest.mark.slow
def test_a_report_from_shipped_checkpoints_and_its_resumption(tmp_path, monkeypatch):
    from conftest import fsdd_root_or_none

    if fsdd_root_or_none() is None:
        pytest.skip("no FSDD recordings: set SCORELAB_FSDD or run `python -m scorelab data fsdd --download`")
    rows = [Row("full", "U-Net", 0.0), Row("1 label", "ScoreSubnet", 3.0)]
    report = run_report("tiny", tmp_path, CHECKPOINTS, n=10, steps=12, rows=rows, log=lambda *a: None)
    assert [r["name"] for r in report["rows"]] == ["U-Net (unconditional)", "ScoreSubnet (γ = 3)"]
    unet, subnet = report["rows"]
    assert "accuracy" not in unet and subnet["labelled_clips"] == 10
    assert unet["nfe_per_clip"] == 2 * 12 - 1  # Heun: two evaluations per step, one on the last
    assert subnet["trainable_params"] < unet["trainable_params"]
    assert subnet["gmacs_per_clip"] > unet["gmacs_per_clip"] > 0
    # the shipped U-Net went on from its first run (--init): its count comes from training.json
    assert unet["training_clips"] == 3963 * 128 + 1620 * 256 and subnet["training_clips"] == 1746 * 128
    assert all(r["fid"] > 0 and r["sampling_s_per_audio_s"] > 0 for r in report["rows"])
    # every IS estimator; the 1-label row guided toward all ten digits: "zero" seen (one clip,
    # too few for its own FID, so left out), the nine others unseen
    assert set(subnet["is_by_estimator"]) == {"plug-in", "split-half"}  # 10 clips: too few for 10 splits
    assert subnet["is"] == subnet["is_by_estimator"]["plug-in"] and report["is_estimator"] == "plug-in"
    assert "seen" not in subnet and subnet["unseen"]["clips"] == 9 and "unseen" not in unet
    md = (tmp_path / "report.md").read_text()
    assert "| 1 label | ScoreSubnet (γ = 3) |" in md and "paper: GMACs" in md
    assert "IS (plug-in) ↑" in md and "**Inception Score by estimator**" in md and "**Labels seen in training" in md
    assert "| training clips |" in md and "| 922 k |" in md and "| 223 k |" in md
    assert not [line for line in md.splitlines() if line.startswith("#")]  # no headings: it sits inside a page
    assert json.loads((tmp_path / "report.json").read_text())["rows"][1]["fid"] == subnet["fid"]
    assert {p.name for p in (tmp_path / "figures").iterdir()} >= {"fid_by_regime.png", "fid_vs_compute.png"}

    # as if killed while sampling the second row: its metrics and done marker are missing
    first_done = tmp_path / "samples" / rows[0].key / "done.json"
    stamp = first_done.stat().st_mtime_ns
    (tmp_path / "metrics" / f"{rows[1].key}.json").unlink()
    (tmp_path / "samples" / rows[1].key / "done.json").unlink()
    # a stored row's compute columns are counted afresh from the code (here: tampered with)
    stored_unet = tmp_path / "metrics" / f"{rows[0].key}.json"
    stale = json.loads(stored_unet.read_text())
    stored_unet.write_text(json.dumps({**stale, "gmacs_per_evaluation": 999.0, "gmacs_per_clip": 999.0}))
    again = run_report("tiny", tmp_path, CHECKPOINTS, n=10, steps=12, rows=rows, log=lambda *a: None)
    assert first_done.stat().st_mtime_ns == stamp  # the finished row was not sampled again
    assert again["rows"][0] == unet  # its GMACs recounted, everything else as stored
    assert again["rows"][1]["fid"] == pytest.approx(subnet["fid"])  # same seed, same clips
    # a row judged before the IS estimators existed is judged again from its clips, not resampled
    stored_unet.write_text(json.dumps({k: v for k, v in unet.items() if k not in ("is_by_estimator", "is_estimator")}))
    third = run_report("tiny", tmp_path, CHECKPOINTS, n=10, steps=12, rows=rows, log=lambda *a: None)
    assert first_done.stat().st_mtime_ns == stamp and third["rows"][0] == unet
    with pytest.raises(ValueError, match="clips_per_row: 10 there, 20 now"):
        run_report("tiny", tmp_path, CHECKPOINTS, n=20, steps=12, rows=rows, log=lambda *a: None)

    # one clip per row to listen to, sampled as the report samples; guided rows ask for the label
    heard = row_samples(report, CHECKPOINTS, "seven")
    assert list(heard) == ["full | U-Net (unconditional)", "1 label | ScoreSubnet (γ = 3)"]
    from scorelab.config import get_profile
    from scorelab.models import build_models

    shape = build_models(get_profile("micro")).input_shape[1:]  # (bands, frames) of every profile's clips
    assert all(m.shape == shape and torch.isfinite(m).all() for m in heard.values())
    other = row_samples(report, CHECKPOINTS, "zero")
    assert torch.equal(other["full | U-Net (unconditional)"], heard["full | U-Net (unconditional)"])
    assert not torch.allclose(other["1 label | ScoreSubnet (γ = 3)"], heard["1 label | ScoreSubnet (γ = 3)"])
    with pytest.raises(ValueError, match="'eleven' is not one of the profile's labels"):
        row_samples(report, CHECKPOINTS, "eleven")


@pytest.mark.slow
def test_a_missing_model_is_trained_and_exported(tmp_path):
    from conftest import fsdd_root_or_none
    from scorelab.config import get_profile
    from scorelab.models import load_trained

    if fsdd_root_or_none() is None:
        pytest.skip("no FSDD recordings: set SCORELAB_FSDD or run `python -m scorelab data fsdd --download`")
    refusing = Models(get_profile("micro"), "micro", None, tmp_path, "cpu", log=lambda *a: None, train_missing=False)
    with pytest.raises(FileNotFoundError, match="unet-1label-micro-fsdd.pt: not in None nor in .*asked not to train"):
        refusing.path("unet", "1 label")
    assert not (tmp_path / "runs").exists()
    models = Models(get_profile("micro"), "micro", None, tmp_path, "cpu", log=lambda *a: None)
    path = models.path("unet", "1 label")
    assert path == tmp_path / "checkpoints" / "unet-1label-micro-fsdd.pt"
    _, profile, kind = load_trained(path)
    assert kind == "unet" and profile.data.labels == ("zero",)
    assert models.path("unet", "1 label") == path  # found the second time, not trained again


@pytest.mark.slow
def test_a_stored_row_is_computed_again_when_its_model_file_changed(tmp_path):
    import shutil

    import torch
    from conftest import fsdd_root_or_none

    if fsdd_root_or_none() is None:
        pytest.skip("no FSDD recordings: set SCORELAB_FSDD or run `python -m scorelab data fsdd --download`")
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    for name in ("unet-tiny-fsdd.pt", "evalclassifier-tiny-fsdd.pt"):
        shutil.copy2(CHECKPOINTS / name, checkpoints / name)
    rows, out, said = [Row("full", "U-Net", 0.0)], tmp_path / "report", []
    first = run_report("tiny", out, checkpoints, n=10, steps=4, rows=rows, log=said.append)["rows"][0]
    assert first["made_with"]["model"].startswith("unet-tiny-fsdd.pt:")
    assert set(first["made_with"]) == {"model", "judge"}
    done = out / "samples" / rows[0].key / "done.json"
    stamp = done.stat().st_mtime_ns
    run_report("tiny", out, checkpoints, n=10, steps=4, rows=rows, log=said.append)
    assert done.stat().st_mtime_ns == stamp  # same files: the stored row is reused

    # a new judge of the same name (its weights scaled): the clips are judged again, not resampled
    judge = torch.load(checkpoints / "evalclassifier-tiny-fsdd.pt", weights_only=True)
    judge["ema"] = {k: v * 0.98 if v.is_floating_point() else v for k, v in judge["ema"].items()}
    torch.save(judge, checkpoints / "evalclassifier-tiny-fsdd.pt")
    said.clear()
    rejudged = run_report("tiny", out, checkpoints, n=10, steps=4, rows=rows, log=said.append)["rows"][0]
    assert done.stat().st_mtime_ns == stamp and any("judged by another judge" in line for line in said)
    assert rejudged["made_with"]["judge"] != first["made_with"]["judge"]
    assert rejudged["made_with"]["model"] == first["made_with"]["model"]
    assert rejudged["fid"] != first["fid"]  # the reference features were computed again with the new judge
    # and are kept under the judge's digest (a size, as before, would not tell two judges apart)
    assert torch.load(out / "reference-features.pt", weights_only=True)["judge"].split(":")[1] == \
        rejudged["made_with"]["judge"].split(":")[1]
    first = rejudged

    # the U-Net is replaced by another one (here: its weights scaled by 0.98), as when a better one is shipped
    state = torch.load(checkpoints / "unet-tiny-fsdd.pt", weights_only=True)
    state["ema"] = {k: v * 0.98 if v.is_floating_point() else v for k, v in state["ema"].items()}
    torch.save(state, checkpoints / "unet-tiny-fsdd.pt")
    said.clear()
    again = run_report("tiny", out, checkpoints, n=10, steps=4, rows=rows, log=said.append)["rows"][0]
    assert done.stat().st_mtime_ns != stamp  # sampled again with the new file
    assert again["made_with"]["model"] != first["made_with"]["model"]
    assert again["fid"] != first["fid"]
    assert any("made with other model files" in line for line in said)

    # its file deleted (to save space): the stored row is kept as it is, nothing is trained to check it
    (checkpoints / "unet-tiny-fsdd.pt").unlink()
    said.clear()
    kept = run_report("tiny", out, checkpoints, n=10, steps=4, rows=rows, log=said.append)["rows"][0]
    assert kept == again and not (out / "checkpoints").exists()
    assert any("stored row kept" in line for line in said)


def test_report_numbers_are_the_rows_figures_as_prose_quotes_them():
    from scorelab.report import report_numbers

    report = {"clips_per_row": 50, "rows": [
        {"key": "full_subnet_g3", "fid": 9.1967, "accuracy": 0.9, "gmacs_per_clip": 169.814, "trainable_params": 651121},
        {"key": "full_subnet-gradtaps_g3", "fid": 35.033, "accuracy": 0.36, "gmacs_per_clip": 168.46,
         "trainable_params": 614257},
        {"key": "full_unet_g0", "fid": 10.528, "gmacs_per_clip": 45.873, "trainable_params": 1232129,
         "training_clips": 921984},
        {"key": "3labels_subnet_g3", "fid": 7.81, "accuracy": 0.9, "gmacs_per_clip": 135.2, "trainable_params": 651121,
         "seen": {"clips": 15, "accuracy": 1.0, "fid": 20.04}, "unseen": {"clips": 35, "accuracy": 6 / 7, "fid": 11.96},
         "is_by_estimator": {"plug-in": 8.006, "split-half": 12.41, "10-splits": 3.62}}]}
    numbers = report_numbers(report)
    assert numbers["r_full_subnet_g3_fid"] == "9.2" and numbers["r_full_subnet_g3_accuracy"] == "90 %"
    assert numbers["r_full_subnet_gradtaps_g3_fid"] == "35.0" and numbers["r_full_unet_g0_gmacs"] == "46"
    assert numbers["r_full_unet_g0_params"] == "1.23 M" and "r_full_unet_g0_accuracy" not in numbers
    assert numbers["gradtaps_params_saving"] == "6 %" and numbers["gradtaps_gmacs_saving"] == "1 %"
    assert numbers["rows"] == "4" and numbers["clips_per_row"] == "50"
    assert (numbers["r_3labels_subnet_g3_seen_accuracy"], numbers["r_3labels_subnet_g3_seen_fid"]) == ("100 %", "20.0")
    assert (numbers["r_3labels_subnet_g3_unseen_accuracy"], numbers["r_3labels_subnet_g3_unseen_fid"],
            numbers["r_3labels_subnet_g3_unseen_clips"]) == ("86 %", "12.0", "35")
    assert "r_full_subnet_g3_seen_fid" not in numbers and "r_full_subnet_g3_is_plug_in" not in numbers
    assert [numbers[f"r_3labels_subnet_g3_is_{e}"] for e in ("plug_in", "split_half", "10_splits")] == ["8.0", "12.4", "3.6"]
    assert numbers["clips_per_split"] == "5"
    assert numbers["r_full_unet_g0_clips"] == "922 k" and "r_full_subnet_g3_clips" not in numbers


def test_glued_numbers_paste_without_quotes_and_need_no_myst_nb(monkeypatch):
    import builtins

    from IPython.core.formatters import format_display_data

    from scorelab.display import _Plain, glue_numbers

    assert format_display_data(_Plain("90 %"))[0]["text/plain"] == "90 %"
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError("no myst_nb on Colab")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    assert glue_numbers({"x": "1"}) == 0


def test_glued_figure_is_shown_and_found_by_myst_nb(monkeypatch):
    """glue_figure displays the figure (Jupyter and Colab see it) and tags the output the way
    myst-nb's glue does, so the website finds it by name for a {glue:figure}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat
    import pytest as _pytest

    from scorelab import display as d

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw, metadata: shown.append((bundle, metadata)))
    fig = plt.figure(figsize=(2, 1))
    d.glue_figure("fig-test-1", fig)
    plt.close(fig)
    (bundle, metadata), = shown
    assert "Figure size" in bundle["text/plain"] and metadata["scrapbook"] == {"name": "fig-test-1", "mime_prefix": ""}
    with _pytest.raises(ValueError, match="letters, digits"):
        d.glue_figure("fig test", fig)
    glue = _pytest.importorskip("myst_nb.ext.glue", reason="myst-nb (the book's extra) reads glued figures")
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", data=bundle, metadata=metadata)])
    found = dict(glue.extract_glue_data_cell(cell))
    assert list(found) == ["fig-test-1"] and len(cell.outputs) == 1  # glued, and still shown in place
