"""Counting what a model costs: parameters and multiply-accumulates (MACs).

MACs are counted the way the paper's compute table is checked: the FLOP formulas of
`torch.utils.flop_counter` (MACs = FLOPs / 2) summed over every operation that runs, including
backward passes inside `torch.autograd.grad` (gradient taps, guidance). torch's own
`FlopCounterMode` tracks modules with hooks that fail inside `torch.autograd.grad` on torch 2.9,
so this counter works at the dispatch level with the same per-operator formulas.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from .guidance import DEFAULT_GAMMA, guided_score, shares_classifier
from .kinds import KINDS, SCORE_MODELS
from .markdown import markdown_table
from .models import build_model, count_parameters


class CountFlops(TorchDispatchMode):
    """with CountFlops() as c: ...; c.flops is the total, c.macs = flops / 2. `by_part` splits
    the FLOPs by the `part` that was set while they ran (see `macs_by_part`)."""

    def __init__(self):
        super().__init__()
        self.flops = 0
        self.part = None
        self.by_part: dict = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            flops = formula(*args, **kwargs, out_val=out)
            self.flops += flops
            self.by_part[self.part] = self.by_part.get(self.part, 0) + flops
        return out

    @property
    def macs(self) -> float:
        return self.flops / 2


def count_flops(fn, *args, **kwargs) -> float:
    """FLOPs of one call fn(*args, **kwargs) (2 per multiply-accumulate), backward passes it runs
    included."""
    with CountFlops() as counter:
        fn(*args, **kwargs)
    return float(counter.flops)


def count_macs(fn, *args, **kwargs) -> float:
    """MACs of one call fn(*args, **kwargs), backward passes it runs included."""
    return count_flops(fn, *args, **kwargs) / 2


def macs_by_part(fn, parts: dict[str, list[nn.Module]], rest: str = "everything else") -> dict[str, float]:
    """MACs of one call fn(), split by the modules that ran them: {part name: MACs} for the
    modules listed under each name (while one of them runs its forward pass), and `rest` for what
    ran outside them all (backward passes inside torch.autograd.grad, for example). The modules
    of different parts must not contain one another."""
    counter = CountFlops()
    handles = []
    for name, modules in parts.items():
        for module in modules:
            handles.append(module.register_forward_pre_hook(lambda m, a, name=name: setattr(counter, "part", name)))
            handles.append(module.register_forward_hook(lambda m, a, o: setattr(counter, "part", None)))
    try:
        with counter:
            fn()
    finally:
        for h in handles:
            h.remove()
    return {name: counter.by_part.get(key, 0) / 2 for name, key in [(n, n) for n in parts] + [(rest, None)]}


def subnet_step_parts(model, x, sigma) -> dict[str, float]:
    """Where the MACs of one unconditional step of a ScoreSubnet score model go: the classifier's
    forward pass, its backward pass to the taps (for the gradient taps), and the decoder: the tap
    projections, the attention, each level's residual blocks and upsampling, the output head.
    The parts add up to `count_macs` of the whole step."""

    subnet = model.backbone
    parts = {"classifier forward pass": [subnet.classifier], "noise embedding": [subnet.embed],
             "tap projections": [*subnet.proj],
             "attention (coarsest level)": [subnet.attention], "output head": [subnet.head]}
    if getattr(subnet, "gated", False):
        parts["tap projections"] += [*subnet.feature_proj, *subnet.gate]
    for i, blocks in enumerate(subnet.blocks):
        name = "finest" if i == 0 else "coarsest" if i == len(subnet.blocks) - 1 else f"depth {i}"
        parts[f"level {i} ({name}) residual blocks"] = [*blocks]
    for i, up in enumerate(subnet.ups):
        parts[f"level {i}: upsampling from level {i + 1}"] = [up]
    with torch.no_grad():
        return macs_by_part(lambda: model(x, sigma), parts, rest="classifier backward pass to the taps")


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """{"total": all parameters, "trainable": those with requires_grad}."""
    return {"total": count_parameters(model), "trainable": count_parameters(model, trainable_only=True)}


SEPARATE = ", separate classifier pass"  # suffix of the rows that run the classifier twice when guided

# The paper's compute table (Makarov & Gerkmann 2026); see PAPER decisions in the book. Its guided
# figure is set beside both readings of a guided ScoreSubnet step.
_PAPER_GUIDED = {"total_params": 12.3e6, "trainable_params": 4.4e6, "gmacs": 16.44}
PAPER_TABLE = {
    "ScoreSubnet, unconditional": {"total_params": None, "trainable_params": 4.4e6, "gmacs": 12.07},
    "ScoreSubnet, conditional (gamma = 3)": _PAPER_GUIDED,
    "ScoreSubnet, conditional (gamma = 3)" + SEPARATE: _PAPER_GUIDED,
}


def step_cost(model, classifier, input_shape, conditional: bool, shared: bool = True, gamma: float = DEFAULT_GAMMA,
              label: int = 0) -> dict:
    """Parameters and GMACs of one sampling step of a score model for one clip of `input_shape`:
    the score, or with `conditional` the guided score by `classifier` (`guidance.guided_score`;
    `shared`: a ScoreSubnet on that classifier runs it forward once). Total parameters count the
    guiding classifier too when it is not part of the model."""

    params = parameter_counts(model)
    total = params["total"]
    if conditional and not shares_classifier(model, classifier):
        total += parameter_counts(classifier)["total"]
    device = next(model.parameters()).device
    x, sigma, y = torch.randn(1, *input_shape, device=device), torch.tensor([1.0], device=device), torch.tensor([label], device=device)

    def step():
        return guided_score(model, classifier, x, sigma, y, gamma, shared=shared) if conditional else model(x, sigma)

    with torch.no_grad():
        macs = count_macs(step)
    return {"total_params": total, "trainable_params": params["trainable"], "gmacs": macs / 1e9}


def compute_table(profile, gamma: float = DEFAULT_GAMMA, label: int = 0) -> dict[str, dict]:
    """Parameters and GMACs per sampling step for one second of audio, for every model of a
    profile. A conditional step is the guided score, score + gamma * grad log p(y|x)
    (`guidance.guided_score`): a guided ScoreSubnet runs its classifier forward once for both its
    taps and the guidance gradient (scorelab's default); the rows ending in "separate
    classifier pass" run it twice, the reading the paper's 16.44 GMACs suggests."""

    classifier = build_model("classifier", profile).eval()  # MACs and sizes do not depend on the weights
    shape = (1, profile.mel.n_mels, profile.mel.n_frames)
    with torch.no_grad():
        clf_macs = count_macs(lambda: classifier(torch.randn(1, *shape), torch.tensor([1.0])))
    clf = KINDS["classifier"]
    table = {f"{clf.long_title}, one forward pass": {"total_params": parameter_counts(classifier)["total"],
                                                     "trainable_params": 0, "gmacs": clf_macs / 1e9}}
    on_classifier_first = sorted(SCORE_MODELS, key=lambda k: not KINDS[k].on_classifier)
    for kind in on_classifier_first:
        model, title = build_model(kind, profile, classifier).eval(), KINDS[kind].long_title

        def row(conditional: bool, shared: bool = True):
            return step_cost(model, classifier, shape, conditional, shared, gamma, label)

        table[f"{title}, unconditional"] = row(False)
        if KINDS[kind].on_classifier:
            table[f"{title}, conditional (gamma = {gamma:g})"] = row(True)
            table[f"{title}, conditional (gamma = {gamma:g})" + SEPARATE] = row(True, shared=False)
        else:
            table[f"{title} + Classifier (gamma = {gamma:g})"] = row(True)
    return table


def format_table(table: dict[str, dict], paper: dict[str, dict] = PAPER_TABLE) -> str:
    """A Markdown table of a compute_table next to the paper's numbers where it gives them."""
    def m(v):
        return "—" if v is None else f"{v / 1e6:.2f} M"

    rows = []
    for name, r in table.items():
        p = paper.get(name, {})
        rows.append([name, m(r["total_params"]), m(r["trainable_params"]), f"{r['gmacs']:.2f}",
                     m(p.get("total_params")) if p else "", m(p.get("trainable_params")) if p else "",
                     p["gmacs"] if p else ""])
    return markdown_table(["model", "total params", "trainable params", "GMACs / step", "paper: total",
                           "paper: trainable", "paper: GMACs"], rows)
