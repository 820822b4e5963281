"""One training loop for every model in scorelab: AdamW with warm-up, gradient clipping, EMA
weights, bf16 autocast and torch.compile on CUDA, atomic checkpoints with exact resume, a NaN
guard, a progress bar, a JSON-lines metrics log and a loss-curve plot; the same code runs one
process or several under `torchrun` (DistributedDataParallel).

Randomness is drawn per step from generators seeded by (seed, step): the batch indices and the
noise (t, z) of a step do not depend on anything that happened before it, so a resumed run
sees exactly the batches an uninterrupted run would, and a global batch split over processes
is the same batch one process would draw.
"""
from __future__ import annotations

import copy
import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from .checkpoints import check_config, load_checkpoint, save_atomic
from .config import TrainConfig
from .speed import compile_in_pieces

# loss_fn(model, x, y, t, z) -> scalar loss; t: (batch,) uniform in [0, 1), z: noise like x
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0


def is_main_process() -> bool:
    """True in a single process, and in the first of several started by torchrun."""
    return int(os.environ.get("RANK", "0")) == 0


def setup_distributed(device: str | None = None) -> DistInfo:
    """Join the process group when started by torchrun (WORLD_SIZE > 1): NCCL on CUDA, gloo on
    the CPU. Otherwise a single process on `device` (default: CUDA when available)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available() and device != "cpu"
    if world > 1:
        import torch.distributed as dist  # only under torchrun

        local = int(os.environ.get("LOCAL_RANK", "0"))
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if cuda else "gloo")
        dev = torch.device("cuda", local) if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(dev)
        return DistInfo(dist.get_rank(), world, dev)
    return DistInfo(0, 1, torch.device(device or ("cuda" if cuda else "cpu")))


class EMA:
    """Exponential moving average of a model's parameters (and a copy of its buffers)."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        # warm-up of the decay, so early averages are not dominated by the random init
        decay = min(self.decay, (1 + step) / (10 + step))
        pairs = list(zip(self.model.parameters(), model.parameters()))
        trained = [(e, p.detach()) for e, p in pairs if p.requires_grad]
        if trained:  # one fused update of every tensor (a kernel or two on a GPU, not one per tensor)
            torch._foreach_lerp_([e for e, _ in trained], [p for _, p in trained], 1 - decay)
        # frozen parameters (a subnet's classifier) are constants, and buffers are not averaged:
        # both copied exactly, in one fused copy rather than one kernel per tensor
        copied = [(e, p.detach()) for e, p in pairs if not p.requires_grad]
        copied += list(zip(self.model.buffers(), model.buffers()))
        if copied:
            torch._foreach_copy_([e for e, _ in copied], [p for _, p in copied])


def step_generator(seed: int, step: int, device="cpu") -> torch.Generator:
    """The generator of training step `step`, on `device`: seeded by the run's seed and the step
    alone, so a resumed run draws what an uninterrupted one would have."""
    return torch.Generator(device=device).manual_seed(seed * 1_000_003 + step)


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _warmup(cfg: TrainConfig):
    return lambda step: min(1.0, (step + 1) / max(1, cfg.warmup_steps))


def _log(path: Path, row: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def _truncate_log(path: Path, step: int) -> None:
    """Drop log rows written after the checkpoint a run resumes from."""
    if path.is_file():
        rows = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
        path.write_text("".join(r + "\n" for r in rows))


def should_compile(model: nn.Module, requested: bool | None, cuda: bool) -> bool:
    """Whether to torch.compile `model`: as requested, else by default on CUDA for a model that
    compiles whole. A model with a part marked `compilable = False` (ScoreSubnet differentiates
    through its classifier inside its forward pass) is compiled only when asked, and then in
    pieces (`speed.compile_in_pieces`)."""
    if requested is not None:
        return requested
    return cuda and compiles_whole(model)


def compiles_whole(model: nn.Module) -> bool:
    return all(getattr(m, "compilable", True) for m in model.modules())


@dataclass
class _Setup:
    dist: DistInfo
    amp: bool
    compile: bool
    local_batch: int


def _setup(model: nn.Module, cfg: TrainConfig, device: str | None) -> _Setup:
    """Where and how to train: the process group, bf16 autocast, torch.compile, the batch per process."""
    dist_info = setup_distributed(device)
    cuda = dist_info.device.type == "cuda"
    if cfg.batch_size % dist_info.world:
        raise ValueError(f"batch_size {cfg.batch_size} does not split over {dist_info.world} processes")
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return _Setup(dist_info, cfg.amp if cfg.amp is not None else cuda, should_compile(model, cfg.compile, cuda),
                  cfg.batch_size // dist_info.world)


def _resume(path: Path, config: dict, parts: dict, main: bool) -> int:
    """Load `parts` (model, ema, optimizer, scheduler) and the RNG state from checkpoint `path`
    if it exists, after checking its configuration; the step to go on from (0 for a new run)."""
    if not path.is_file():
        if main:
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.parent / "config.json").write_text(json.dumps(config, indent=1))
        return 0
    state = load_checkpoint(path)
    check_config(state["config"], config, str(path))
    for name, part in parts.items():
        part.load_state_dict(state[name])
    _set_rng_state(state["rng"])
    if main:
        _truncate_log(path.parent / METRICS, state["step"])
    return state["step"]


def _wrap(model: nn.Module, setup: _Setup) -> nn.Module:
    """The module the loss calls: DistributedDataParallel over processes, then torch.compile."""
    wrapped = model
    if setup.dist.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP  # only under torchrun

        cuda = setup.dist.device.type == "cuda"
        wrapped = DDP(model, device_ids=[setup.dist.device.index] if cuda else None)
    if setup.compile and not compiles_whole(model):
        compile_in_pieces(model)  # in place, before the first step; the EMA copy stays as it was
        return wrapped
    return torch.compile(wrapped) if setup.compile else wrapped


def _batch(cfg: TrainConfig, step: int, n: int, shape, setup: _Setup):
    """This process's share of step `step`'s batch: example indices, times t and noise z, drawn
    from the step's own generator (the same whether resumed or not, one process or several).

    They are drawn on the training device: on a GPU the host neither draws nor copies anything,
    so it never waits for the GPU here (a copy from the host would wait for the previous step).
    A GPU's random stream is not a CPU's: the same seed gives other batches there."""
    dev = setup.dist.device
    gen = step_generator(cfg.seed, step, dev)
    index = torch.randint(n, (cfg.batch_size,), generator=gen, device=dev)
    t = torch.rand(cfg.batch_size, generator=gen, device=dev)
    z = torch.randn((cfg.batch_size, *shape), generator=gen, device=dev)
    mine = slice(setup.dist.rank * setup.local_batch, (setup.dist.rank + 1) * setup.local_batch)
    return index[mine], t[mine], z[mine]


def _out_of_time(started: float, time_limit_s: float | None, setup: _Setup) -> bool:
    """Whether the time limit has passed; under several processes, whether it has for any, so
    that all stop at the same step."""
    if time_limit_s is None:
        return False
    out = time.perf_counter() - started >= time_limit_s
    if setup.dist.world > 1:
        import torch.distributed as dist  # only under torchrun

        flag = torch.tensor(float(out), device=setup.dist.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        out = bool(flag.item())
    return out


def defers_finite_check(device: torch.device) -> bool:
    """Whether `train` checks the loss for NaN and inf only at log, checkpoint and stop steps
    (on a GPU, where a check every step would wait for the GPU every step)."""
    return device.type == "cuda"


def _diverged(loss: float, step: int, path: Path) -> TrainingDiverged:
    return TrainingDiverged(
        f"the loss became {loss} at step {step}; stopped without saving. The last good "
        f"checkpoint is {path if path.is_file() else 'none yet'}. Lower the learning rate or check the data for NaNs")


def train(model: nn.Module, loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig,
          run_dir: str | os.PathLike, config: dict, device: str | None = None,
          progress: bool = True, time_limit_s: float | None = None, clips_before: int | None = 0) -> nn.Module:
    """Train `model` on the tensors (x, y) for cfg.steps steps of cfg.batch_size examples and
    return the EMA model. Resumes from run_dir/checkpoint.pt when it exists (the configuration
    must match, except the number of steps and how often to log and save).

    `config`, the run's JSON-ready configuration, is stored in every checkpoint. With
    `time_limit_s`, training stops after the first step that ends past that many seconds and saves
    there; running again with the same configuration continues (time-limited sessions: Colab).

    Every checkpoint records `clips_seen`: the training clips the model has seen, `clips_before`
    (those its starting weights had seen, for a run that goes on from another model) plus
    cfg.batch_size per step of this run (None when clips_before is None: not known).
    """
    run_dir, setup = Path(run_dir), _setup(model, cfg, device)
    main, dev, model = setup.dist.main, setup.dist.device, model.to(setup.dist.device)
    ema = EMA(model, cfg.ema_decay)
    params = [p for p in model.parameters() if p.requires_grad]  # frozen parts get no optimiser state
    # on a GPU: AdamW's update of every tensor fused into one kernel
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=dev.type == "cuda")
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup(cfg))
    ckpt_path = run_dir / CHECKPOINT
    parts = {"model": model, "ema": ema.model, "optimizer": optimizer, "scheduler": scheduler}
    step = first_step = _resume(ckpt_path, config, parts, main)
    wrapped, x, y = _wrap(model, setup), x.to(dev), y.to(dev)
    bar = _progress_bar(cfg.steps, step) if progress and main else None
    started = time.perf_counter()
    model.train()
    # a GPU is never waited for between log steps: a non-finite loss is recorded on the device and
    # raised at the next log, checkpoint or stop, before anything is saved (a CPU checks every step)
    deferred = defers_finite_check(dev)
    bad = torch.full((2,), -1.0, device=dev)  # (first step whose loss was not finite, that loss)
    counted = torch.full((), float(step), device=dev)  # the step on the device: no copy from the host per step
    while step < cfg.steps:
        index, t, z = _batch(cfg, step, x.shape[0], x.shape[1:], setup)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=setup.amp):
            loss = loss_fn(wrapped, x[index], y[index], t, z)
        if not deferred:
            if not torch.isfinite(loss):
                raise _diverged(loss.item(), step + 1, ckpt_path)
        else:
            counted += 1
            first = (bad[0] < 0) & ~torch.isfinite(loss.detach().float())
            bad = torch.where(first, torch.stack([counted, loss.detach().float()]), bad)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        ema.update(model, step)
        step += 1
        stop = _out_of_time(started, time_limit_s, setup) and step < cfg.steps
        boundary = step % cfg.log_every == 0 or step % cfg.checkpoint_every == 0 or step == cfg.steps or stop
        if deferred and boundary and bad[0].item() >= 0:
            raise _diverged(bad[1].item(), int(bad[0].item()), ckpt_path)
        if bar is not None:
            bar.update(1)
            if boundary:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        if main and (step % cfg.log_every == 0 or step == cfg.steps or stop):  # the stopping step is logged
            elapsed = time.perf_counter() - started
            _log(run_dir / METRICS, {"step": step, "loss": loss.item(), "lr": scheduler.get_last_lr()[0],
                                     "grad_norm": float(grad_norm), "elapsed_s": round(elapsed, 3),
                                     "steps_per_s": round((step - first_step) / max(elapsed, 1e-9), 3)})
        if main and (step % cfg.checkpoint_every == 0 or step == cfg.steps or stop):
            _save(ckpt_path, parts, step, None if clips_before is None else clips_before + step * cfg.batch_size, config)
        if stop:
            if main:
                print(f"time limit of {time_limit_s:g} s reached: stopped at step {step} of {cfg.steps} "
                      f"and saved {ckpt_path}; run the same command again to continue")
            break
    if bar is not None:
        bar.close()
    return ema.model.eval()


def _save(path: Path, parts: dict, step: int, clips_seen: int | None, config: dict) -> None:
    """An atomic checkpoint: every part's state, the step, the clips seen, the RNG state, the config."""
    save_atomic({**{k: v.state_dict() for k, v in parts.items()}, "step": step, "clips_seen": clips_seen,
                 "rng": _rng_state(), "config": config}, path)


def _progress_bar(total: int, initial: int):
    from tqdm.auto import tqdm  # optional: only for progress bars

    return tqdm(total=total, initial=initial, desc="training", dynamic_ncols=True)


def read_metrics(path: str | os.PathLike) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def steps_per_second(run_dir: str | os.PathLike) -> float:
    rows = read_metrics(Path(run_dir) / METRICS)
    return rows[-1]["steps_per_s"] if rows else math.nan
