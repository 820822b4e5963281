"""The kinds of model scorelab trains, in one table.

For each kind: the part of a profile that sizes it, what it trains on, whether it is built on a
frozen classifier, what tables call it, and whether the benchmark times it. The command line,
training, loading, the report, the benchmark and the compute table all read this table, so a new
kind of model is added here once.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .losses import classifier_objective, dsm_objective


@dataclass(frozen=True)
class Kind:
    name: str            # as the command line and file names spell it
    title: str           # in the report's rows
    long_title: str      # in the compute table's rows
    section: str         # the Profile field that sizes it
    objective: str       # "dsm" (a score model), "noisy-cross-entropy" or "clean-cross-entropy"
    on_classifier: bool  # built on a frozen classifier, which also guides it
    taps: str | None = None  # subnets: which classifier taps it reads
    timed: bool = True   # the benchmark times it (the evaluation classifier is the classifier's twin)

    @property
    def is_score_model(self) -> bool:
        return self.objective == "dsm"


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("classifier", "Classifier", "Classifier (frozen)", "classifier", "noisy-cross-entropy", False),
    Kind("unet", "U-Net", "U-Net", "unet", "dsm", False),
    Kind("subnet", "ScoreSubnet", "ScoreSubnet", "subnet", "dsm", True, taps="features+gradients"),
    Kind("subnet-gradtaps", "Gradient taps", "Gradient-taps variant", "subnet_gradtaps", "dsm", True,
         taps="gradients"),
    Kind("evalclassifier", "Evaluation classifier", "Evaluation classifier", "classifier", "clean-cross-entropy",
         False, timed=False),
)}
SCORE_MODELS = tuple(name for name, k in KINDS.items() if k.is_score_model)
TIMED = tuple(name for name, k in KINDS.items() if k.timed)  # in the order a reproduction trains them


def get_kind(name: str) -> Kind:
    """The table's entry for `name`, or a ValueError that lists the kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown model kind {name!r}; choose one of {', '.join(KINDS)}") from None


def kind_titled(title: str) -> Kind:
    """The kind whose report title is `title` ("U-Net", "ScoreSubnet", "Gradient taps")."""
    for k in KINDS.values():
        if k.title == title:
            return k
    raise ValueError(f"no model kind is titled {title!r}; titles: {', '.join(k.title for k in KINDS.values())}")


def guiding_classifier(kind: str, model: nn.Module, classifier: nn.Module | None = None) -> nn.Module:
    """The classifier that guides a trained model of `kind`: a subnet's own frozen classifier (so
    that guidance and the subnet's taps share one forward pass); for any other score model, the
    `classifier` given, which it needs."""
    if get_kind(kind).on_classifier:
        return model.backbone.classifier
    if classifier is None:
        raise ValueError(f"guiding a {kind} needs a trained classifier (on the command line, --classifier RUN_DIR)")
    return classifier


def objective_for(kind: str, sde):
    """What a model of `kind` trains on: the noisy cross-entropy over all noise levels (classifier),
    the clean cross-entropy (evalclassifier), or denoising score matching (score models)."""
    objective = get_kind(kind).objective
    if objective == "noisy-cross-entropy":
        return classifier_objective(sde)
    if objective == "clean-cross-entropy":
        return classifier_objective(sde, max_t=0.0)
    return dsm_objective(sde)
