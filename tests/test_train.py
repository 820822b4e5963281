"""The training loop: exact resume after a real kill, the NaN guard, configuration checks,
frozen parameters, logs, and DDP on two CPU processes matching one process."""
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import host_waits

from scorelab.checkpoints import load_checkpoint
from scorelab.config import TrainConfig, get_profile
from scorelab.display import save_loss_curve
from scorelab.models import build_unet
from scorelab.train import METRICS, TrainingDiverged, read_metrics, train

ROOT = Path(__file__).resolve().parent.parent


def _cli(args, env_extra=None, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "scorelab", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def _train_args(data_root, out, steps, every):
    return ["train", "unet", "--profile", "micro", "--data", "speech_commands", "--data-root", str(data_root),
            "--labels", "zero,one,two", "--out", str(out), "--steps", str(steps), "--checkpoint-every",
            str(every), "--device", "cpu", "--quiet"]


def _weights(run):
    state = load_checkpoint(Path(run) / "checkpoint.pt")
    return state["model"], state["ema"], state["step"]


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_weights(speech_commands_root, tmp_path, data_home):
    steps, every = 60, 10
    full = _cli(_train_args(speech_commands_root, tmp_path / "full", steps, every))
    assert full.wait(timeout=300) == 0, full.stdout.read()

    run = tmp_path / "killed"
    proc = _cli(_train_args(speech_commands_root, run, steps, every))
    deadline = time.time() + 300
    while time.time() < deadline:
        ckpt = run / "checkpoint.pt"
        if ckpt.is_file() and load_checkpoint(ckpt)["step"] >= 20:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(run / "checkpoint.pt")["step"]
    assert 20 <= killed_at < steps, f"the run was not killed mid-way (checkpoint at step {killed_at})"

    resumed = _cli(_train_args(speech_commands_root, run, steps, every))
    assert resumed.wait(timeout=300) == 0, resumed.stdout.read()
    model_a, ema_a, step_a = _weights(tmp_path / "full")
    model_b, ema_b, step_b = _weights(run)
    assert step_a == step_b == steps
    for k in model_a:
        assert torch.equal(model_a[k], model_b[k]), k
        assert torch.equal(ema_a[k], ema_b[k]), k
    logged = [r["step"] for r in read_metrics(run / METRICS)]
    assert logged == sorted(set(logged)) and logged[-1] == steps  # no duplicated rows after resume


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.frozen = torch.nn.Linear(4, 4).requires_grad_(False)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.frozen(x))


def _regression(model, x, y, t, z):
    return (model(x).squeeze(1) - y).pow(2).mean()


CFG = TrainConfig(steps=12, batch_size=4, warmup_steps=2, checkpoint_every=5, log_every=1)
DATA = (torch.randn(32, 4), torch.randn(32))


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    calls = {"n": 0}

    def explodes(model, x, y, t, z):
        calls["n"] += 1
        loss = _regression(model, x, y, t, z)
        return loss * float("nan") if calls["n"] == 7 else loss

    with pytest.raises(TrainingDiverged, match="became nan at step 7.*checkpoint.pt"):
        train(Tiny(), explodes, *DATA, CFG, tmp_path, {"what": "test"}, device="cpu", progress=False)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 5


def test_on_a_gpu_a_nan_loss_is_caught_at_the_next_log_step_before_saving(tmp_path, monkeypatch):
    import scorelab.train as train_module

    monkeypatch.setattr(train_module, "defers_finite_check", lambda device: True)  # as on CUDA
    calls = {"n": 0}

    def explodes(model, x, y, t, z):
        calls["n"] += 1
        loss = _regression(model, x, y, t, z)
        return loss * float("inf") if calls["n"] in (4, 7) else loss  # the first at no log or checkpoint step

    cfg = dataclasses.replace(CFG, log_every=3)
    with pytest.raises(TrainingDiverged, match="became inf at step 4.*checkpoint is none yet"):
        train(Tiny(), explodes, *DATA, cfg, tmp_path, {"what": "test"}, device="cpu", progress=False)
    assert not (tmp_path / "checkpoint.pt").exists()  # step 5's (ruined) weights were never saved
    assert calls["n"] == 5  # caught at step 5, the first checkpoint step after it, before saving


def _host_waits(tmp_path, steps, loss_fn) -> int:
    """The host's waits for the GPU while training `steps` steps (one log and checkpoint step, the last)."""
    cfg = dataclasses.replace(CFG, steps=steps, log_every=steps, checkpoint_every=steps)
    return host_waits(lambda: train(Tiny(), loss_fn, *DATA, cfg, tmp_path / f"{loss_fn.__name__}-{steps}", {},
                                    device="cuda", progress=False))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU: it counts the host's waits for one")
def test_on_a_gpu_the_host_waits_for_it_only_at_log_and_checkpoint_steps(tmp_path):
    def waits_every_step(model, x, y, t, z):
        loss = _regression(model, x, y, t, z)
        loss.item()  # a wait for the GPU, on purpose: the count must see it
        return loss

    assert _host_waits(tmp_path, 12, waits_every_step) - _host_waits(tmp_path, 4, waits_every_step) >= 8
    # drawing the batch, the step, the EMA: no waits, so eight more steps add none
    assert _host_waits(tmp_path, 12, _regression) == _host_waits(tmp_path, 4, _regression)


def test_a_changed_configuration_is_refused_with_the_fields_named(tmp_path):
    train(Tiny(), _regression, *DATA, CFG, tmp_path, {"lr": 1e-3, "width": 4}, device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"lr: 0.001 != 0.01; width: 4 != 8"):
        train(Tiny(), _regression, *DATA, CFG, tmp_path, {"lr": 1e-2, "width": 8}, device="cpu", progress=False)


def test_more_steps_continue_a_finished_run(tmp_path):
    config = {"profile": {"train": {"steps": 12}}}
    train(Tiny(), _regression, *DATA, CFG, tmp_path, config, device="cpu", progress=False)
    longer = TrainConfig(**{**CFG.__dict__, "steps": 20})
    train(Tiny(), _regression, *DATA, longer, tmp_path, {"profile": {"train": {"steps": 20}}}, device="cpu", progress=False)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 20
    assert [r["step"] for r in read_metrics(tmp_path / METRICS)] == list(range(1, 21))
    assert not (tmp_path / "loss.png").exists()  # drawn by the caller (runs, display.save_loss_curve)
    assert save_loss_curve(tmp_path) == tmp_path / "loss.png" and (tmp_path / "loss.png").is_file()
    assert save_loss_curve(tmp_path / "empty") is None


def test_a_time_limit_stops_saves_and_the_rerun_ends_where_an_unlimited_run_does(tmp_path, capsys):
    torch.manual_seed(0)
    train(Tiny(), _regression, *DATA, CFG, tmp_path / "whole", {}, device="cpu", progress=False)
    torch.manual_seed(0)
    train(Tiny(), _regression, *DATA, CFG, tmp_path / "cut", {}, device="cpu", progress=False, time_limit_s=0)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["step"] == 1  # between checkpoints, saved anyway
    assert "stopped at step 1 of 12" in capsys.readouterr().out
    torch.manual_seed(0)
    train(Tiny(), _regression, *DATA, CFG, tmp_path / "cut", {}, device="cpu", progress=False, time_limit_s=3600)
    whole, cut = load_checkpoint(tmp_path / "whole" / "checkpoint.pt"), load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert whole["step"] == cut["step"] == 12
    for k in whole["model"]:
        assert torch.equal(whole["model"][k], cut["model"][k]), k
        assert torch.equal(whole["ema"][k], cut["ema"][k]), k
    assert [r["step"] for r in read_metrics(tmp_path / "cut" / METRICS)] == list(range(1, 13))


def test_frozen_parameters_get_no_optimiser_state_and_do_not_change(tmp_path):
    model = Tiny()
    with torch.no_grad():
        model.frozen.weight[0, :2] = -0.0  # an average would turn these into +0.0
    before = model.frozen.weight.clone()
    ema = train(model, _regression, *DATA, CFG, tmp_path, {}, device="cpu", progress=False)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert len(state["optimizer"]["state"]) == 2  # head.weight and head.bias only
    bits = before.view(torch.int32)  # bitwise, sign of zero included
    assert torch.equal(model.frozen.weight.view(torch.int32), bits)
    assert torch.equal(ema.frozen.weight.view(torch.int32), bits)
    assert not torch.equal(ema.head.weight, model.head.weight)  # the EMA lags the weights


def test_what_is_compiled_by_default():
    from scorelab.models import build_model
    from scorelab.train import should_compile

    profile = get_profile("micro")
    unet, subnet = build_unet(profile), build_model("subnet", profile)
    assert should_compile(unet, None, cuda=True) and not should_compile(unet, None, cuda=False)
    assert should_compile(unet, True, cuda=False) and not should_compile(unet, False, cuda=True)
    assert not should_compile(subnet, None, cuda=True)  # the default on a GPU leaves it uncompiled
    assert not should_compile(build_model("subnet-gradtaps", profile), None, cuda=True)
    assert should_compile(build_model("classifier", profile), None, cuda=True)
    assert should_compile(subnet, True, cuda=False)  # asked for: compiled in pieces


@pytest.mark.slow
def test_a_subnet_compiled_in_pieces_trains_as_it_does_eagerly(tmp_path, monkeypatch):
    import scorelab.train as train_module
    from scorelab.kinds import objective_for
    from scorelab.models import build_model
    from scorelab.sde import make_sde
    from scorelab.speed import compile_in_pieces
    from scorelab.train import METRICS, read_metrics

    profile = get_profile("micro")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((8, 1, profile.mel.n_mels, profile.mel.n_frames), generator=gen)
    y = torch.randint(len(profile.data.labels), (8,), generator=gen)
    objective = objective_for("subnet", make_sde(profile.sde))
    cfg = TrainConfig(steps=3, batch_size=4, warmup_steps=1, log_every=1, checkpoint_every=100)

    def losses(compile: bool, folder):
        torch.manual_seed(0)
        model = build_model("subnet", profile, build_model("classifier", profile))
        train(model, objective, x, y, dataclasses.replace(cfg, compile=compile), folder, {}, device="cpu",
              progress=False)
        return [row["loss"] for row in read_metrics(folder / METRICS)]

    # aot_eager traces and differentiates as inductor does, without generating code (seconds, not minutes)
    compiled = []
    monkeypatch.setattr(train_module, "compile_in_pieces",
                        lambda model: compiled.append(compile_in_pieces(model, backend="aot_eager")))
    try:
        assert losses(True, tmp_path / "pieces") == pytest.approx(losses(False, tmp_path / "eager"), rel=1e-4)
        assert len(compiled) == 1 and compiled[0] > 10  # the classifier block by block, the subnet layer by layer
    finally:
        torch._dynamo.reset()



@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_process(speech_commands_root, tmp_path, data_home):
    steps = 6
    single = _cli(_train_args(speech_commands_root, tmp_path / "one", steps, steps))
    assert single.wait(timeout=300) == 0, single.stdout.read()
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "scorelab", *_train_args(speech_commands_root, tmp_path / "two", steps, steps)],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ddp.returncode == 0, ddp.stdout + ddp.stderr
    one, _, _ = _weights(tmp_path / "one")
    two, _, _ = _weights(tmp_path / "two")
    torch.manual_seed(0)  # the CLI's initial weights for seed 0
    start = build_unet(get_profile("micro")).state_dict()
    moved = sum((one[k] - start[k]).pow(2).sum() for k in one).sqrt().item()
    apart = sum((one[k] - two[k]).pow(2).sum() for k in one).sqrt().item()
    print(f"DDP (2 x gloo) vs one process after {steps} steps: weights moved {moved:.3e}, "
          f"differ by {apart:.3e} ({100 * apart / moved:.2f} % of the movement)")
    # the same batches and noise; only the order of float sums differs, which Adam can amplify
    # for parameters whose gradient is nearly zero (its first steps have size lr * sign(g))
    assert apart < 0.05 * moved
