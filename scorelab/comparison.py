"""The paper's comparison: its data regimes and the rows of its table (which model, which data,
which guidance strength). `scorelab.report` runs the rows; `scorelab.benchmark` projects their cost."""
from __future__ import annotations

from dataclasses import dataclass

from .config import DIGITS
from .guidance import DEFAULT_GAMMA
from .kinds import kind_titled

# the data regimes of the paper's table: the labels a score model trains on (None: all the profile's)
REGIMES = {"full": None, "3 labels": DIGITS[:3], "1 label": DIGITS[:1]}
REGIME_TAGS = {"full": "", "3 labels": "-3labels", "1 label": "-1label"}  # in file names


@dataclass(frozen=True)
class Row:
    regime: str
    model: str  # "U-Net", "ScoreSubnet" or "Gradient taps"
    gamma: float

    @property
    def kind(self) -> str:
        return kind_titled(self.model).name

    @property
    def name(self) -> str:
        if self.model == "U-Net" and self.gamma:
            return f"U-Net + Classifier (γ = {self.gamma:g})"
        return f"{self.model} ({'unconditional' if not self.gamma else f'γ = {self.gamma:g}'})"

    @property
    def key(self) -> str:
        return f"{self.regime.replace(' ', '')}_{self.kind}_g{self.gamma:g}"


def paper_rows(gammas=(1.0, 10.0)) -> list[Row]:
    """The paper's comparison (unconditional and gamma 3 in every regime, the gradient-taps
    variant in the full regime) and a sweep over `gammas` for the full-data models."""
    rows = []
    for regime in REGIMES:
        models = ("U-Net", "ScoreSubnet", "Gradient taps") if regime == "full" else ("U-Net", "ScoreSubnet")
        for model in models:
            rows += [Row(regime, model, 0.0), Row(regime, model, DEFAULT_GAMMA)]
    for model in ("U-Net", "ScoreSubnet"):
        rows += [Row("full", model, g) for g in gammas if g not in (0.0, DEFAULT_GAMMA)]
    return rows
