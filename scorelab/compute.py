"""Counting what a model costs: parameters and multiply-accumulates (MACs).

MACs are counted the way the paper's compute table is checked: the FLOP formulas of
`torch.utils.flop_counter` (MACs = FLOPs / 2) summed over every operation that runs, including
backward passes inside `torch.autograd.grad` (gradient taps, guidance). torch's own
`FlopCounterMode` tracks modules with hooks that fail inside `torch.autograd.grad` on torch 2.9,
so this counter works at the dispatch level with the same per-operator formulas.
"""
from __future__ import annotations

from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry


class CountFlops(TorchDispatchMode):
    """with CountFlops() as c: ...; c.flops is the total, c.macs = flops / 2."""

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=out)
        return out

    @property
    def macs(self) -> float:
        return self.flops / 2


def count_macs(fn, *args, **kwargs) -> float:
    """MACs of one call fn(*args, **kwargs), backward passes it runs included."""
    with CountFlops() as counter:
        fn(*args, **kwargs)
    return counter.macs


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """{"total": all parameters, "trainable": those with requires_grad}."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable}
