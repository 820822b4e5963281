"""Samplers: each is one loop from the prior at t = T down to t = eps (Song et al. 2021,
algorithms 1-2 and the probability-flow ODE; Karras et al. 2022, algorithm 1 for Heun).

Every sampler takes a `score_fn(x, sigma)`, an SDE, the output shape, the number of steps and an
optional `cond_fn(x, sigma)` whose output is added to the score (classifier guidance). Its
randomness comes from `generator`: one `torch.Generator`, or a list of them, one per sample, so
that a sample's draws do not depend on the other samples in its batch (`tensors.randn`).
`x_init` passes the starting noise in, as Karras et al.'s sampler takes its latents.
`callback(i, t_next, x)`, if given, sees the state after every step (for plotting trajectories).
"""
from __future__ import annotations

from typing import Callable

import torch

from .sde import SDE
from .tensors import batch_broadcast, randn

ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def time_grid(sde: SDE, steps: int, device="cpu") -> torch.Tensor:
    """steps + 1 evenly spaced times from T down to eps: the grid every sampler walks."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    return torch.linspace(sde.T, sde.eps, steps + 1, device=device)


def _score(score_fn: ScoreFn, cond_fn: ScoreFn | None, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    score = score_fn(x, sigma)
    if cond_fn is not None:
        score = score + cond_fn(x, sigma)
    return score


def _start(sde: SDE, shape, x_init, generator, device) -> torch.Tensor:
    if x_init is None:
        return sde.prior_sampling(shape, generator, device)
    if tuple(x_init.shape) != tuple(shape):
        raise ValueError(f"x_init has shape {tuple(x_init.shape)} but the sampler was asked for {tuple(shape)}")
    return x_init.to(device)


def _progress(iterable, progress: bool, desc: str):
    if not progress:
        return iterable
    from tqdm.auto import tqdm  # optional: only for progress bars

    return tqdm(iterable, desc=desc, leave=False)


def langevin_corrector(score_fn: ScoreFn, cond_fn: ScoreFn | None, x: torch.Tensor, sigma: torch.Tensor,
                       steps: int, snr: float, generator=None) -> torch.Tensor:
    """`steps` Langevin MCMC steps that stay at noise level sigma (Song et al. 2021, algorithm 4).

    The step size is 2 (snr |z| / |score|)^2 with norms averaged over the batch: one size for the
    whole batch, since per-sample sizes would correlate with x and widen the distribution. So,
    unlike the predictors, a corrected sample depends on its batch-mates through that mean.
    """
    for _ in range(steps):
        score = _score(score_fn, cond_fn, x, sigma)
        noise = randn(x.shape, generator, x.device)
        ratio = noise.flatten(1).norm(dim=1).mean() / score.flatten(1).norm(dim=1).mean().clamp_min(1e-12)
        step = 2 * (snr * ratio) ** 2
        x = x + step * score + torch.sqrt(2 * step) * noise
    return x


def _noise(x, generator, last: bool) -> torch.Tensor:
    return torch.zeros_like(x) if last else randn(x.shape, generator, x.device)  # the last step adds none


def euler_maruyama_step(sde: SDE, x, t, t_next, score, noise) -> torch.Tensor:
    """One Euler-Maruyama step of the reverse SDE from t to t_next < t."""
    dt = batch_broadcast(t_next - t, x)  # negative: time runs backwards
    _, g = sde.sde(x, t)
    return x + sde.reverse_drift(x, t, score) * dt + batch_broadcast(g, x) * torch.sqrt(-dt) * noise


def reverse_diffusion_step(sde: SDE, x, t, t_next, score, noise) -> torch.Tensor:
    """One step of the reverse of the forward Markov chain from t to t_next (exact increments
    for VE noise; Song et al. 2021, appendix E)."""
    f, g = sde.discretize(x, t, t_next)
    g = batch_broadcast(g, x)
    return x - f + g ** 2 * score + g * noise


@torch.no_grad()
def euler_maruyama_sampler(score_fn: ScoreFn, sde: SDE, shape, steps: int = 500, *,
                           cond_fn: ScoreFn | None = None, generator=None, x_init=None,
                           device="cpu", progress: bool = False, callback=None) -> torch.Tensor:
    """The reverse SDE integrated with Euler-Maruyama (Song et al. 2021, eq. 6)."""
    x = _start(sde, shape, x_init, generator, device)
    times = time_grid(sde, steps, device)
    for i in _progress(range(steps), progress, "sampling"):
        t, t_next = times[i].expand(shape[0]), times[i + 1].expand(shape[0])
        score = _score(score_fn, cond_fn, x, sde.sigma(t))
        x = euler_maruyama_step(sde, x, t, t_next, score, _noise(x, generator, last=i == steps - 1))
        if callback is not None:
            callback(i, times[i + 1], x)
    return x


@torch.no_grad()
def pc_sampler(score_fn: ScoreFn, sde: SDE, shape, steps: int = 500, *, corrector_steps: int = 1,
               snr: float = 0.16, cond_fn: ScoreFn | None = None, generator=None, x_init=None,
               device="cpu", progress: bool = False, callback=None) -> torch.Tensor:
    """Predictor-corrector sampling (Song et al. 2021, algorithm 2): at every noise level,
    `corrector_steps` Langevin steps (`langevin_corrector`), then one reverse-diffusion step."""
    x = _start(sde, shape, x_init, generator, device)
    times = time_grid(sde, steps, device)
    for i in _progress(range(steps), progress, "sampling"):
        t, t_next = times[i].expand(shape[0]), times[i + 1].expand(shape[0])
        sigma = sde.sigma(t)
        x = langevin_corrector(score_fn, cond_fn, x, sigma, corrector_steps, snr, generator)
        score = _score(score_fn, cond_fn, x, sigma)
        x = reverse_diffusion_step(sde, x, t, t_next, score, _noise(x, generator, last=i == steps - 1))
        if callback is not None:
            callback(i, times[i + 1], x)
    return x


def reverse_diffusion_sampler(score_fn: ScoreFn, sde: SDE, shape, steps: int = 500, **kwargs) -> torch.Tensor:
    """Ancestral sampling of the reversed forward chain: `pc_sampler` without corrector steps."""
    return pc_sampler(score_fn, sde, shape, steps, corrector_steps=0, **kwargs)


@torch.no_grad()
def heun_sampler(score_fn: ScoreFn, sde: SDE, shape, steps: int = 50, *,
                 cond_fn: ScoreFn | None = None, generator=None, x_init=None,
                 device="cpu", progress: bool = False, callback=None) -> torch.Tensor:
    """Deterministic probability-flow ODE sampling with Heun's second-order method.

    Only the prior draw is random, so a seeded generator gives the same samples every time.
    Costs two score evaluations per step (one on the last).
    """
    x = _start(sde, shape, x_init, generator, device)
    times = time_grid(sde, steps, device)
    batch = shape[0]

    def velocity(x, t):  # dx/dt of the probability-flow ODE
        return sde.reverse_drift(x, t, _score(score_fn, cond_fn, x, sde.sigma(t)), probability_flow=True)

    for i in _progress(range(steps), progress, "sampling"):
        t, t_next = times[i].expand(batch), times[i + 1].expand(batch)
        dt = batch_broadcast(t_next - t, x)
        d = velocity(x, t)
        x_euler = x + d * dt                       # Euler step
        if i == steps - 1:
            x = x_euler                            # no correction on the last step
        else:
            x = x + 0.5 * (d + velocity(x_euler, t_next)) * dt  # trapezoidal correction
        if callback is not None:
            callback(i, times[i + 1], x)
    return x


@torch.no_grad()
def langevin_dynamics(score_fn: ScoreFn, x: torch.Tensor, sigma: float, steps: int, step_size: float,
                      generator: torch.Generator | None = None, callback=None) -> torch.Tensor:
    """Unadjusted Langevin dynamics at one fixed noise level: x <- x + eps score + sqrt(2 eps) z.
    Samples the noisy data distribution at `sigma` when eps is small and steps are many."""
    level = torch.full((x.shape[0],), float(sigma), device=x.device)
    for i in range(steps):
        noise = randn(x.shape, generator, x.device)
        x = x + step_size * score_fn(x, level) + (2 * step_size) ** 0.5 * noise
        if callback is not None:
            callback(i, level, x)
    return x


SAMPLERS = {
    "euler_maruyama": euler_maruyama_sampler,
    "reverse_diffusion": reverse_diffusion_sampler,
    "pc": pc_sampler,
    "heun": heun_sampler,
}


def score_evaluations(name: str, sde: SDE, steps: int, **kwargs) -> int:
    """How many times sampler `name` evaluates the score in `steps` steps (Heun: 2 steps - 1;
    Euler-Maruyama: steps), counted by running it on one number with a zero score."""
    calls = 0

    def zero_score(x, sigma):
        nonlocal calls
        calls += 1
        return torch.zeros_like(x)

    get_sampler(name)(zero_score, sde, (1, 1, 1, 1), steps, generator=torch.Generator().manual_seed(0), **kwargs)
    return calls


def get_sampler(name: str):
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}") from None
