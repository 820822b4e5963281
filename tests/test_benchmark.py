"""The benchmark: real training and sampling steps timed on random inputs, and the projections
made from them (the arithmetic is checked with made-up speeds; measured speeds are not asserted)."""
import dataclasses
import json

import pytest
import torch

from scorelab.benchmark import KINDS, _hours, comparison_hours, estimate, format_estimate, time_training
from scorelab.config import get_profile
from scorelab.models import build_model, count_parameters


@pytest.mark.slow
def test_timing_runs_real_training_steps_of_each_kind_without_data():
    profile = get_profile("micro")
    for kind in KINDS:
        t = time_training(kind, profile, steps=2, warmup=1, device="cpu")
        assert t["steps_per_s"] > 0 and t["seconds_per_step"] * t["steps_per_s"] == pytest.approx(1.0)
        assert t["batch_size"] == profile.train.batch_size and t["timed_steps"] == 2
        classifier = build_model("classifier", profile) if kind.startswith("subnet") else None
        expected = count_parameters(build_model(kind, profile, classifier), trainable_only=True)
        assert t["trainable_params"] == expected  # the frozen classifier inside a subnet is not counted


def test_timing_refuses_zero_steps():
    with pytest.raises(ValueError, match="steps must be"):
        time_training("unet", get_profile("micro"), steps=0)


def _rows(train_hours=1.0, guided=2.0, unguided=1.0):
    rows = [{"model": "classifier", "train_hours": train_hours}]
    rows += [{"model": k, "train_hours": train_hours, "sample_s_per_clip": guided,
              "sample_s_per_clip_unguided": unguided} for k in KINDS[1:]]
    return rows


def test_the_comparison_counts_every_training_run_and_every_report_row():
    # 2 classifiers + 3 U-Nets + 3 ScoreSubnets + 1 gradient-taps model; 18 rows, 7 of them unguided
    total = comparison_hours(_rows(), clips=3600)
    assert total["train_hours"] == pytest.approx(9.0)
    assert total["sample_hours"] == pytest.approx(7 * 1.0 + 11 * 2.0)
    assert total["hours"] == pytest.approx(9.0 + 29.0)
    assert comparison_hours(_rows(), clips=3600, gammas=())["sample_hours"] == pytest.approx(7 + 7 * 2.0)


def test_the_comparison_needs_every_kind():
    with pytest.raises(ValueError, match="missing subnet-gradtaps"):
        comparison_hours(_rows()[:3])


def test_durations_read_naturally():
    assert _hours(10 / 3600) == "10 s"
    assert _hours(0.5) == "30 min"
    assert _hours(5.25) == "5.2 h"
    assert _hours(72.0) == "3.0 days"
    assert _hours(float("nan")) == "–"


@pytest.mark.slow
def test_estimate_and_its_table_on_the_micro_profile():
    profile = get_profile("micro")
    rows = estimate(profile, KINDS, device="cpu", train_steps=1, eval_clips=10, sample_batch=3, log=lambda *a: None)
    assert [r["model"] for r in rows] == list(KINDS)
    for r in rows:
        assert r["train_hours"] == pytest.approx(profile.train.steps * r["seconds_per_step"] / 3600)
        if r["model"] != "classifier":
            assert r["sample_s_per_clip"] > 0 and r["sample_s_per_clip_unguided"] > 0
            assert r["eval_hours"] == pytest.approx(10 * r["sample_s_per_clip"] / 3600)
            assert r["sample_batch"] == 3
        assert r["device"] == "cpu" and "threads" in r["device_name"]
        # counted work over measured time, against matrix products measured on this CPU
        assert r["flops_per_step"] > 0 and r["train_precision"] == "fp32"
        assert r["train_tflops"] == pytest.approx(r["flops_per_step"] / r["seconds_per_step"] / 1e12)
        assert r["train_of_peak"] == pytest.approx(r["train_tflops"] / r["peaks"]["fp32"])
        assert r["peaks"]["source"] == "measured matrix products on this device"
        if r["model"] != "classifier":
            assert r["sample_flops_per_clip"] > 0 and 0 < r["sample_of_peak"] and r["sample_precision"] == "fp32"
    table = format_estimate(rows, profile, eval_clips=10)
    assert "% of fp32) |" in table and "peaks of this device: bf16" in table
    assert "steps, batch 3) |" in table
    assert "| subnet-gradtaps |" in table and "whole comparison" in table and "Measured on cpu (" in table
    assert "*" not in table  # every row measured on today's models
    # a row measured on a model of another size than the profile builds now is marked and says so
    older = [{**r, "trainable_params": r["trainable_params"] + 1} if r["model"] == "subnet" else r for r in rows]
    marked = format_estimate(older, profile, eval_clips=10)
    assert "| subnet * |" in marked and "| unet |" in marked
    assert "--profile micro --models subnet` measures it again" in marked


@pytest.mark.slow
def test_benchmark_command_prints_json(capsys):
    from scorelab.__main__ import main

    assert main(["benchmark", "--profile", "micro", "--models", "unet", "--steps", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["profile"] == "micro" and [r["model"] for r in out["rows"]] == ["unet"]
    assert main(["benchmark", "--profile", "micro", "--models", "vae"]) == 2
    assert "unknown model(s) vae" in capsys.readouterr().err


def test_benchmark_command_refuses_an_empty_sample_batch(capsys):
    from scorelab.__main__ import main

    with pytest.raises(SystemExit):
        main(["benchmark", "--profile", "micro", "--models", "unet", "--sample-batch", "0"])
    assert "expected a positive number of clips or 'auto', got '0'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="sample batch must be at least 1, got 5 and 0"):
        estimate(get_profile("micro"), ["unet"], device="cpu", sample_batch=0)


@pytest.mark.parametrize("kind", ["unet", "subnet"])
def test_a_training_step_costs_its_batch_times_one_clip(kind):
    import torch

    from scorelab.benchmark import _inputs, _model, training_flops_per_clip
    from scorelab.kinds import objective_for
    from scorelab.sde import make_sde
    from scorelab.compute import count_flops

    profile = get_profile("micro")
    model, (x, y) = _model(kind, profile), _inputs(profile, 4)
    t, z = torch.rand(4), torch.randn(x.shape)
    objective = objective_for(kind, make_sde(profile.sde))
    whole = count_flops(lambda: objective(model, x, y, t, z).backward())
    assert whole > 0 and training_flops_per_clip(kind, profile) * 4 == pytest.approx(whole, rel=1e-9)


@pytest.mark.slow
def test_timed_sampling_is_never_read_back_from_the_run_cache(tmp_path, monkeypatch):
    from scorelab.benchmark import time_sampling

    monkeypatch.setenv("SCORELAB_RUN_CACHE", str(tmp_path))
    first = time_sampling("unet", get_profile("micro"), clips=2, steps=1)
    assert first["timed_flops"] > 0 and first["flops_per_clip"] > 0
    assert list(tmp_path.iterdir()) == []  # nothing kept, so nothing can be read back next time


def test_rows_measured_before_flops_were_counted_keep_their_table():
    profile = get_profile("micro")
    rows = [{"model": "unet", "device": "cuda", "trainable_params": 1, "seconds_per_step": 0.1, "train_hours": 1.0,
             "sample_s_per_clip": 0.2, "eval_hours": 0.1, "sample_batch": 16}]
    assert "TFLOP/s" not in format_estimate(rows, profile)
    counted = [{**rows[0], "train_tflops": 14.2, "train_of_peak": 0.0144, "train_precision": "bf16",
                "sample_tflops": 19.0, "sample_of_peak": None, "sample_precision": "fp32",
                "peaks": {"bf16": 989.0, "fp32": None, "source": "data sheet (X)"}}]
    table = format_estimate(counted, profile)
    assert "| 14.2 (1.4 % of bf16) | 19 (no fp32 peak) |" in table
    assert "peaks of this device: bf16 989 TFLOP/s (data sheet (X))" in table


@pytest.mark.slow
def test_sampling_time_and_work_are_projected_by_score_evaluations():
    from scorelab.benchmark import time_sampling

    profile = get_profile("micro")  # Heun, 4 steps: 7 evaluations; 2 timed steps: 3
    assert (profile.sample.sampler, profile.sample.steps) == ("heun", 4)
    s = time_sampling("unet", profile, clips=2, steps=2)
    assert s["seconds_per_clip"] == pytest.approx(s["timed_seconds"] / 2 * 7 / 3)
    assert s["flops_per_clip"] == pytest.approx(s["timed_flops"] / 2 * 7 / 3)


SMALL_DIFFWAVE = dict(layers=3, channels=8, dilation_cycle=2, steps=10, clip_samples=800, sample_rate=1600)


def test_diffwave_is_timed_and_counted_per_clip_of_its_full_chain():
    from scorelab.benchmark import time_diffwave
    from scorelab.nets.diffwave import DiffWaveConfig, macs_per_generated_second
    from scorelab.utilisation import device_peaks

    cfg = DiffWaveConfig(**SMALL_DIFFWAVE)
    peaks = {"fp32": 1.0, "tf32": None, "bf16": None, "source": "made up"}
    row = time_diffwave("cpu", clips=2, steps=3, cfg=cfg, peaks=peaks)
    assert row["model"] == "diffwave" and row["clip_seconds"] == 0.5 and row["sampler"] == "ancestral, 10 steps"
    assert row["sample_s_per_clip"] == pytest.approx(row["timed_seconds"] * 10 / 3 / 2)
    assert row["sample_flops_per_clip"] == 2 * macs_per_generated_second(cfg) * 0.5
    # the timed work: 3 of the 10 steps for 2 clips, over the timed seconds, against the fp32 peak
    assert row["sample_tflops"] == pytest.approx(row["sample_flops_per_clip"] * 2 * 3 / 10 / row["timed_seconds"] / 1e12)
    assert row["sample_of_peak"] == pytest.approx(row["sample_tflops"] / 1.0) and row["sample_precision"] == "fp32"
    with pytest.raises(ValueError, match="steps between 1 and 10"):
        time_diffwave("cpu", clips=1, steps=11, cfg=cfg)
    assert "fp32" in device_peaks("cpu")


def test_peers_are_compared_per_generated_second():
    from scorelab.benchmark import format_peers, peer_rows

    profile = get_profile("micro").replace(mel=dataclasses.replace(get_profile("micro").mel, clip_seconds=0.5))
    peer = {"model": "diffwave", "sampler": "ancestral, 200 steps", "sample_flops_per_clip": 8e12, "clip_seconds": 1.0,
            "sample_s_per_clip": 30.0}
    rows = [{"model": "classifier"},
            {"model": "unet", "sample_flops_per_clip": 4e11, "sample_s_per_clip": 0.2, "sample_tflops": 2.0,
             "sample_of_peak": 0.5, "sample_precision": "bf16"},
            {"model": "subnet", "sample_flops_per_clip": 1e11, "sample_s_per_clip": 0.1}]
    peers = peer_rows(rows, peer, profile)
    assert [p["model"] for p in peers] == ["diffwave", "unet", "subnet"]
    assert [p["macs_per_second"] for p in peers] == [4e12, 4e11, 1e11]  # FLOPs / 2 / clip seconds
    assert [p["seconds_per_second"] for p in peers] == [30.0, 0.4, 0.2]
    table = format_peers(peers, vocoder_macs=19e9)
    assert "| DiffWave (waveform, unconditional) | ancestral, 200 steps | 4 | 1x | 30 | – |" in table
    assert "| U-Net + Classifier (guided) | heun, 4 steps | 0.4 | 10x | 0.4 | 2 (50 % of bf16) |" in table
    assert "| ScoreSubnet (guided) | heun, 4 steps | 0.1 | 40x | 0.2 | – |" in table
    assert "HiFi-GAN V1 adds 19 GMACs per generated second" in table


@pytest.mark.slow
def test_benchmark_command_times_the_peer(capsys, monkeypatch):
    import functools

    import scorelab.__main__ as cli
    from scorelab.nets.diffwave import DiffWaveConfig

    small = functools.partial(cli.time_diffwave, cfg=DiffWaveConfig(**SMALL_DIFFWAVE))  # SC09's takes minutes here
    monkeypatch.setattr(cli, "time_diffwave", small)
    assert cli.main(["benchmark", "--profile", "micro", "--models", "subnet", "--steps", "1", "--sample-batch", "2",
                     "--peer", "--peer-steps", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["peer"]["sample_batch"] == 2 and out["peer"]["timed_steps"] == 1 and out["peer"]["sample_of_peak"] > 0
    assert [p["model"] for p in out["peers"]] == ["diffwave", "subnet"] and out["vocoder_macs_per_second"] > 1e9


def test_counted_peers_multiply_a_step_by_the_samplers_score_evaluations():
    from scorelab.benchmark import counted_peers, format_peers
    from scorelab.nets.diffwave import macs_per_generated_second

    profile = get_profile("micro")  # heun, 4 steps: 7 score evaluations
    costs = {"U-Net + Classifier (gamma = 3)": {"gmacs": 2.0}, "ScoreSubnet, conditional (gamma = 3)": {"gmacs": 1.0}}
    peers = counted_peers(profile, costs)
    assert [p["macs_per_second"] for p in peers] == [macs_per_generated_second(), 14e9, 7e9]
    table = format_peers(peers)
    assert table.splitlines()[0] == "| model | sampler | TMACs per generated second | less work than DiffWave |"
    assert "| ScoreSubnet (guided) | heun, 4 steps | 0.007 | 8,660x |" in table


def test_sampling_speedups_time_each_option_alone_then_all(monkeypatch):
    import scorelab.benchmark as bench

    calls = []

    def fake(kind, profile, clips=16, steps=2, device="cpu", count=True, max_clips=2048, **options):
        calls.append((clips, count, options))
        batch = 64 if clips == "auto" else clips
        timed = {"seconds_per_clip": 1.0 / (1 + len(options) + (clips == "auto")), "batch": batch}
        return {**timed, "flops_per_clip": 5e12} if count else timed

    monkeypatch.setattr(bench, "time_sampling", fake)
    monkeypatch.setattr(bench, "device_peaks", lambda device: {"bf16": 100.0, "fp32": 10.0})
    seen = []
    rows = bench.sampling_speedups("subnet", get_profile("micro"), "cpu", eval_clips=100, log=lambda *a: None,
                                   on_row=seen.append)
    assert [r["variant"] for r in rows] == ["plain", "auto batch", "bf16", "compile", "channels-last",
                                            "cuDNN autotune", "all of them"]
    # the work is counted once, on the plain run; every option changes only the time it takes
    assert calls[0] == (16, True, {}) and calls[1] == ("auto", False, {})
    assert calls[2] == (16, False, {"precision": "bf16"})
    assert calls[-1] == ("auto", False, {"precision": "bf16", "compile": True, "channels_last": True, "autotune": True})
    assert [r["speedup"] for r in rows] == [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 6.0] and rows[1]["batch"] == 64
    assert rows[-1]["eval_seconds"] == pytest.approx(100 / 6) and seen == rows
    assert [r["tflops"] for r in rows] == pytest.approx([5, 10, 10, 10, 10, 10, 30])
    assert rows[-1]["of_peak"] == pytest.approx(0.3)
    assert "| subnet | all of them | 64 | 0.167 | 17 | 30 | 30 % | 6.00x |" in bench.format_speedups(rows)
    assert "s for 100 clips (projected)" in bench.format_speedups(rows)


def test_a_variant_that_fails_is_recorded_and_the_next_is_timed(monkeypatch):
    import scorelab.benchmark as bench

    def fake(kind, profile, clips=16, steps=2, device="cpu", count=True, max_clips=2048, **options):
        if options.get("compile"):
            raise RuntimeError("inductor: no C++ compiler\nmore lines")
        return {"seconds_per_clip": 0.5 if options else 1.0, "batch": clips}  # no counted work: no TFLOP/s

    monkeypatch.setattr(bench, "time_sampling", fake)
    monkeypatch.setattr(bench, "device_peaks", lambda device: {"bf16": 100.0, "fp32": 10.0})
    options = {"bf16": {"precision": "bf16"}, "compile": {"compile": True}}
    rows = bench.sampling_speedups("unet", get_profile("micro"), "cpu", log=lambda *a: None, options=options)
    assert [r["variant"] for r in rows] == ["plain", "bf16", "compile", "all of them"]
    assert rows[1]["speedup"] == 2.0 and rows[2] == rows[3] | {"variant": "compile"}
    assert rows[2]["error"] == "RuntimeError: inductor: no C++ compiler"
    table = bench.format_speedups(rows)
    assert "| unet | compile | – | – | – | – | – | failed: RuntimeError: inductor: no C++ compiler |" in table
    assert "| unet | bf16 | 16 | 0.5 | 1024 | – | – | 2.00x |" in table

    def fake_training(kind, profile, steps=5, device=None):
        if profile.train.compile or profile.train.batch_size > 8:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return {"batch_size": profile.train.batch_size, "seconds_per_step": 1.0, "flops_per_step": 1e12}

    monkeypatch.setattr(bench, "time_training", fake_training)
    rows = bench.training_speedups("unet", get_profile("micro"), "cpu", batch_factor=2, log=lambda *a: None)
    assert [r.get("error", "") for r in rows] == ["", "", "OutOfMemoryError: CUDA out of memory",
                                                  "OutOfMemoryError: CUDA out of memory", "",
                                                  "OutOfMemoryError: CUDA out of memory"]
    assert "| unet | batch 16 | – | – | – | – | – | failed: OutOfMemoryError" in bench.format_training_speedups(rows)


def test_an_evaluation_set_whose_compiler_fails_is_sampled_again_without_it(monkeypatch):
    import scorelab.benchmark as bench

    calls = []

    def fake(kind, profile, device, clips=2048, **options):
        calls.append(options)
        if options.get("compile") or options.get("precision") == "fp64":
            raise RuntimeError("no compiler")
        return {"model": kind, "clips": clips, "seconds": 50.0, **options}

    monkeypatch.setattr(bench, "time_evaluation_set", fake)
    row = bench.evaluation_set_row("subnet", get_profile("micro"), "cpu", clips=8, log=lambda *a: None,
                                   precision="bf16", compile=True)
    assert calls == [{"precision": "bf16", "compile": True}, {"precision": "bf16", "compile": False}]
    assert row["seconds"] == 50.0 and row["compile_error"] == "RuntimeError: no compiler"
    assert "compile_error" not in bench.evaluation_set_row("unet", get_profile("micro"), "cpu", precision="bf16")
    with pytest.raises(RuntimeError, match="no compiler"):  # not compiling: nothing to fall back on
        bench.evaluation_set_row("unet", get_profile("micro"), "cpu", precision="fp64")


def test_bf16_keeps_the_quality_when_its_mean_is_within_float32s_seed_spread():
    from scorelab.benchmark import format_precision_verdicts, precision_verdicts

    def rows(model, fp32, bf16):
        return ([{"model": model, "precision": "fp32", "seed": i, "fid": f, "agreement": 0.5} for i, f in enumerate(fp32)]
                + [{"model": model, "precision": "bf16", "seed": i, "fid": f, "agreement": 0.5} for i, f in enumerate(bf16)])

    found = precision_verdicts(rows("subnet", [10.0, 12.0, 11.0], [12.0, 13.0, 11.0]) + rows("unet", [10.0, 11.0], [13.0, 12.0]))
    fid = {v["model"]: v for v in found if v["metric"] == "fid"}
    assert fid["subnet"]["fp32_mean"] == 11.0 and fid["subnet"]["fp32_spread"] == 2.0 and fid["subnet"]["within"]
    assert fid["unet"]["bf16_mean"] == 12.5 and fid["unet"]["fp32_spread"] == 1.0 and not fid["unet"]["within"]
    assert all(v["within"] for v in found if v["metric"] == "agreement")  # equal means, no spread: within
    table = format_precision_verdicts(found)
    assert "| ScoreSubnet (guided) | FID | 11.00 | 2.00 | 12.00 | yes |" in table
    assert "| U-Net + Classifier (guided) | guided agreement | 50.0 % | 0.0 % | 50.0 % | yes |" in table
    with pytest.raises(ValueError, match="subnet: fid needs float32 at two seeds or more"):
        precision_verdicts(rows("subnet", [10.0], [11.0]))


def test_the_figures_quoted_of_a_bf16_check():
    from scorelab.benchmark import precision_numbers

    rows = [{"model": "subnet", "precision": p, "seed": seed, "clips": 100, "fid": fid, "agreement": 0.9,
             "sampling_s": seconds}
            for p, seconds, fids in (("fp32", 30.0, (4.0, 5.0, 3.0)), ("bf16", 10.0, (4.1, 4.9, 3.3)))
            for seed, fid in enumerate(fids)]
    assert precision_numbers(rows) == {"bf16_clips": "100", "bf16_seeds": "3", "bf16_within": "2", "bf16_checks": "2",
                                       "bf16_time_share": "33%", "bf16_fid_move": "0.10", "bf16_seed_move": "0.30"}


def test_shares_of_the_peak_read_as_plain_percentages():
    from scorelab.benchmark import _figure, _times_less, percent

    assert [percent(s) for s in (0.0014, 0.014, 0.1, 0.35, 1.4)] == ["0.14", "1.4", "10", "35", "140"]
    assert [_times_less(r) for r in (1.0, 23.94, 19312.7)] == ["1x", "23.9x", "19,300x"]
    assert [_figure(x) for x in (1134.2, 60.62, 0.000848, 999.4, 999.6)] == ["1,130", "60.6", "0.000848", "999", "1,000"]


def test_training_speedups_count_clips_per_second_against_the_bf16_peak(monkeypatch):
    import scorelab.benchmark as bench

    seen_cfgs = []

    def fake(kind, profile, steps=5, device=None):
        cfg = profile.train
        seen_cfgs.append((cfg.amp, cfg.compile, cfg.batch_size, torch.backends.cudnn.benchmark))
        seconds = 0.5 if cfg.amp else 1.0
        return {"batch_size": cfg.batch_size, "seconds_per_step": seconds, "flops_per_step": 1e12 * cfg.batch_size}

    monkeypatch.setattr(bench, "time_training", fake)
    monkeypatch.setattr(bench, "device_peaks", lambda device: {"bf16": 100.0, "fp32": 10.0})
    rows = bench.training_speedups("unet", get_profile("micro"), "cpu", batch_factor=2, log=lambda *a: None)
    assert seen_cfgs == [(False, False, 8, False), (True, False, 8, False), (False, True, 8, False),
                         (False, False, 16, False), (False, False, 8, True), (True, True, 16, True)]
    assert not torch.backends.cudnn.benchmark  # the autotuner is off again after its rows
    assert [r["variant"] for r in rows] == ["plain", "bf16", "compile", "batch 16", "cuDNN autotune", "all of them"]
    assert [r["clips_per_s"] for r in rows] == [8, 16, 8, 16, 8, 32]
    assert [r["speedup"] for r in rows] == [1, 2, 1, 2, 1, 4]
    assert rows[-1]["tflops"] == pytest.approx(32) and rows[-1]["of_peak"] == pytest.approx(0.32)
    assert "| unet | all of them | 16 | 0.5 | 32 | 32 | 32 % | 4.00x |" in bench.format_training_speedups(rows)


@pytest.mark.slow
def test_an_evaluation_set_is_sampled_whole_and_sampling_speedups_run_for_real():
    from scorelab.benchmark import sampling_speedups, time_evaluation_set

    profile = get_profile("micro")
    done = time_evaluation_set("unet", profile, "cpu", clips=3, batch=2, channels_last=True)
    assert done["clips"] == 3 and done["batch"] == 2 and done["seconds"] > 0 and done["finite"]
    assert done["steps"] == profile.sample.steps and done["channels_last"] and not done["compile"]
    rows = sampling_speedups("subnet", profile, "cpu", steps=1, eval_clips=10, batch=2, log=lambda *a: None,
                             options={"channels-last": {"channels_last": True}})
    assert [r["variant"] for r in rows] == ["plain", "channels-last"] and rows[1]["batch"] == 2
    assert all(r["tflops"] > 0 and r["of_peak"] > 0 for r in rows)  # counted work over measured time


def test_the_figures_quoted_of_a_stored_benchmark():
    from scorelab.benchmark import estimate_numbers

    profile = get_profile("paper")
    rows = [{**row, "device": "cuda", "device_name": "NVIDIA X", "trainable_params": params, "seconds_per_step": step}
            for row, params, step in zip(_rows(train_hours=2.0, guided=0.36), (7.94e6, 18.48e6, 4.37e6, 2.89e6),
                                         (0.035, 0.2, 0.05, 0.05))]
    numbers = estimate_numbers(rows, profile)
    assert numbers["proj_device"] == "NVIDIA X" and numbers["proj_train_steps"] == "200 000"
    assert (numbers["proj_unet_params"], numbers["proj_subnet_params"]) == ("18.5 M", "4.4 M")
    assert numbers["proj_subnet_gradtaps_train"] == "2.0 h" and "proj_classifier_eval" not in numbers
    assert numbers["proj_subnet_eval"] == "12 min"  # 2048 x 0.36 s
    assert numbers["proj_subnet_step_share"] == "25 %"
    assert numbers["proj_comparison"] == _hours(comparison_hours(rows)["hours"])
    assert "proj_comparison" not in estimate_numbers(rows[1:3], profile)  # the comparison needs every kind
