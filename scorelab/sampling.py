"""Samplers: each is one loop from the prior at t = T down to t = eps (Song et al. 2021,
algorithms 1-2 and the probability-flow ODE; Karras et al. 2022, algorithm 1 for Heun).

Every sampler takes a `score_fn(x, sigma)`, an SDE, the output shape, the number of steps, a
`torch.Generator` for reproducibility, and an optional `cond_fn(x, sigma)` whose output is added
to the score (classifier guidance).
"""
from __future__ import annotations

from typing import Callable

import torch

from .sde import SDE
from .tensors import batch_broadcast

ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _score(score_fn: ScoreFn, cond_fn: ScoreFn | None, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    score = score_fn(x, sigma)
    if cond_fn is not None:
        score = score + cond_fn(x, sigma)
    return score


def _times(sde: SDE, steps: int, device) -> torch.Tensor:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    return torch.linspace(sde.T, sde.eps, steps + 1, device=device)


def _progress(iterable, progress: bool, desc: str):
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False)


@torch.no_grad()
def pc_sampler(score_fn: ScoreFn, sde: SDE, shape, steps: int = 500, *,
               predictor: str = "reverse_diffusion", corrector_steps: int = 0, snr: float = 0.16,
               cond_fn: ScoreFn | None = None, generator: torch.Generator | None = None,
               device="cpu", progress: bool = False, callback=None) -> torch.Tensor:
    """Predictor-corrector sampling of the reverse SDE.

    predictor: "euler_maruyama" (the reverse SDE integrated with Euler-Maruyama) or
    "reverse_diffusion" (the reverse of the forward Markov chain, exact for VE noise increments).
    corrector_steps > 0 adds that many Langevin MCMC steps per noise level, with a step size set by
    the signal-to-noise ratio `snr`. The last step adds no noise.
    callback(i, t_next, x), if given, sees the state after every step (for plotting trajectories).
    """
    if predictor not in ("euler_maruyama", "reverse_diffusion"):
        raise ValueError(f"unknown predictor {predictor!r}; choose euler_maruyama or reverse_diffusion")
    x = sde.prior_sampling(shape, generator, device)
    times = _times(sde, steps, device)
    batch = shape[0]
    for i in _progress(range(steps), progress, "sampling"):
        t, t_next = times[i].expand(batch), times[i + 1].expand(batch)
        sigma = sde.sigma(t)

        # corrector: Langevin steps that stay at noise level sigma(t)
        for _ in range(corrector_steps):
            score = _score(score_fn, cond_fn, x, sigma)
            noise = torch.randn(x.shape, generator=generator, device=device)
            # one step size for the whole batch (per-sample sizes would correlate with x and
            # widen the distribution): 2 (snr |z| / |score|)^2 with batch-mean norms
            ratio = noise.flatten(1).norm(dim=1).mean() / score.flatten(1).norm(dim=1).mean().clamp_min(1e-12)
            step = 2 * (snr * ratio) ** 2
            x = x + step * score + torch.sqrt(2 * step) * noise

        # predictor: one step of the reverse process from t to t_next
        score = _score(score_fn, cond_fn, x, sigma)
        last = i == steps - 1
        noise = torch.zeros_like(x) if last else torch.randn(x.shape, generator=generator, device=device)
        if predictor == "euler_maruyama":
            dt = batch_broadcast(t_next - t, x)  # negative: time runs backwards
            _, g = sde.sde(x, t)
            x = x + sde.reverse_drift(x, t, score) * dt + batch_broadcast(g, x) * torch.sqrt(-dt) * noise
        else:
            f, g = sde.discretize(x, t, t_next)
            g = batch_broadcast(g, x)
            x = x - f + g ** 2 * score + g * noise
        if callback is not None:
            callback(i, times[i + 1], x)
    return x


@torch.no_grad()
def heun_sampler(score_fn: ScoreFn, sde: SDE, shape, steps: int = 50, *,
                 cond_fn: ScoreFn | None = None, generator: torch.Generator | None = None,
                 device="cpu", progress: bool = False, callback=None) -> torch.Tensor:
    """Deterministic probability-flow ODE sampling with Heun's second-order method.

    Only the prior draw is random, so a seeded generator gives the same samples every time.
    Costs two score evaluations per step (one on the last).
    """
    x = sde.prior_sampling(shape, generator, device)
    times = _times(sde, steps, device)
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
        noise = torch.randn(x.shape, generator=generator, device=x.device)
        x = x + step_size * score_fn(x, level) + (2 * step_size) ** 0.5 * noise
        if callback is not None:
            callback(i, level, x)
    return x


def euler_maruyama_sampler(score_fn, sde, shape, steps=500, **kwargs):
    """Reverse-SDE sampling with the Euler-Maruyama predictor and no corrector."""
    return pc_sampler(score_fn, sde, shape, steps, predictor="euler_maruyama", **kwargs)


SAMPLERS = {
    "euler_maruyama": euler_maruyama_sampler,
    "reverse_diffusion": lambda *a, **k: pc_sampler(*a, predictor="reverse_diffusion", **k),
    "pc": lambda *a, **k: pc_sampler(*a, predictor="reverse_diffusion", corrector_steps=k.pop("corrector_steps", 1), **k),
    "heun": heun_sampler,
}


def get_sampler(name: str):
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}") from None
