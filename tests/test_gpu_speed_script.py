"""scripts/gpu_speed.sh, the one call a lent GPU gets, and scripts/speed_summary.py, what it prints
at the end: only the chosen steps run, and the summary sets each evaluation set sampled whole
against the benchmark's projection (made-up figures; measured speeds are not asserted)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def test_the_script_runs_only_the_chosen_steps_and_names_what_is_missing(tmp_path):
    done = _run("bash", "scripts/gpu_speed.sh", env={"OUT": str(tmp_path), "PY": sys.executable, "DEVICE": "cpu",
                                                     "STEPS": "9", "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "c")})
    assert done.returncode == 0, done.stderr
    timeline = (tmp_path / "timeline.txt").read_text()
    for step in ("1. 2048 guided subnet clips", "2. benchmark subnet with the peer", "2. benchmark unet",
                 "4. training speedups", "6. bf16 quality"):
        assert step in timeline and "not chosen" in timeline.split(step)[1].splitlines()[0]
    assert not list((tmp_path / "logs").glob("*.out")) and not list(tmp_path.glob("benchmark*.json"))
    summary = (tmp_path / "summary.md").read_text()
    assert "benchmark*.json: no result" in summary and "sampling-speedups.json: no result" in summary


def _benchmark_row(model: str, s_per_clip: float) -> dict:
    return {"model": model, "device": "cuda", "trainable_params": 4.37e6, "seconds_per_step": 0.06, "train_hours": 3.5,
            "sample_s_per_clip": s_per_clip, "eval_hours": 2048 * s_per_clip / 3600, "sample_batch": 16,
            "sample_flops_per_clip": 1e13}


def _evalset(tmp_path: Path, model: str, seconds: float, **more) -> None:
    row = {"model": model, "clips": 2048, "batch": 512, "seconds": seconds, "precision": "bf16", "compile": False}
    (tmp_path / f"evalset-{model}{'-compiled' * bool(more)}.json").write_text(json.dumps({"rows": [{**row, **more}]}))


def test_the_summary_sets_each_evaluation_set_against_the_benchmarks_projection(tmp_path):
    peer = {"model": "diffwave", "sampler": "ancestral, 200 steps", "sample_flops_per_clip": 1.3e14,
            "clip_seconds": 1.0, "sample_s_per_clip": 30.0}
    (tmp_path / "benchmark-subnet.json").write_text(json.dumps(
        {"profile": "paper", "rows": [_benchmark_row("subnet", 0.35)], "peer": peer, "vocoder_macs_per_second": 1.9e10}))
    (tmp_path / "benchmark-unet.json").write_text(json.dumps({"profile": "paper", "rows": [_benchmark_row("unet", 0.2)]}))
    _evalset(tmp_path, "subnet", 40.0)
    _evalset(tmp_path, "unet", 80.0, compile_error="RuntimeError: no compiler")
    done = _run(sys.executable, "scripts/speed_summary.py", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line for line in lines if line.startswith(("| subnet", "| unet"))]  # both calls' rows in one table
    assert [row.split(" | ")[-2:] for row in rows] == [["0.35", "12 min |"], ["0.20", "7 min |"]]
    assert [line.split(" |")[0] for line in lines if line.startswith(("| DiffWave", "| U-Net", "| ScoreSubnet"))] == [
        "| DiffWave (waveform, unconditional)", "| ScoreSubnet (guided)", "| U-Net + Classifier (guided)"]
    assert ("subnet: 2048 guided clips whole in 40.0 s (batch 512, bf16; before: 717 s projected at batch 16, 17.9x)"
            in lines)
    assert ("unet: 2048 guided clips whole in 80.0 s (batch 512, bf16; compile failed: RuntimeError: no compiler; "
            "before: 410 s projected at batch 16, 5.1x)" in lines)
    assert "evalset-subnet-compiled.json: no result (see" in done.stdout  # what a step did not leave is named


def test_without_a_benchmark_the_evaluation_sets_are_set_against_the_stored_one(tmp_path):
    before = tmp_path / "before.json"
    before.write_text(json.dumps({"profile": "paper", "rows": [_benchmark_row("subnet", 0.35)]}))
    (tmp_path / "out").mkdir()
    _evalset(tmp_path / "out", "subnet", 40.0)
    (tmp_path / "out" / "benchmark-unet.json").write_text("")  # a call stopped by its time limit
    done = _run(sys.executable, "scripts/speed_summary.py", str(tmp_path / "out"), str(before))
    assert done.returncode == 0, done.stderr
    assert "benchmark-unet.json: no result" in done.stdout and f"set against {before}" in done.stdout
    assert "40.0 s (batch 512, bf16; before: 717 s projected at batch 16, 17.9x)" in done.stdout


def test_the_summary_says_how_it_is_called():
    done = _run(sys.executable, "scripts/speed_summary.py")
    assert done.returncode == 1 and "usage: python scripts/speed_summary.py OUT [BEFORE]" in done.stderr
