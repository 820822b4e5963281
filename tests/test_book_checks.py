"""The chapters check their own numbers with tolerances (scorelab.checks), and those checks must
still catch a real change. Chapter 9's metric table, whose printed form nbval no longer compares,
is recomputed here for its real-clip row exactly as the chapter computes it: with the chapter's
own expected values and tolerance it passes; with one thing changed on purpose (a metric with a
subtle bug, other clips) it fails. (The generated rows rest on a hundred network evaluations per
clip and are left to nbval's run of the chapter.)"""
import ast
import json
import math
from pathlib import Path

import pytest
import torch

import scorelab.metrics as metrics
from scorelab.checks import NumbersDiffer, expect_close
from scorelab.config import DIGITS

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "book" / "checkpoints"
CHAPTER_9 = ROOT / "book" / "09_evaluating_generated_speech.ipynb"
ROW = "table[real]"  # the chapter's real-clip row: 20 shuffled test clips on the CPU
METRICS = ("fid", "is", "mis", "am", "accuracy")


def chapter_check(notebook: Path, first_argument: str) -> tuple[dict, dict]:
    """(expected values, tolerances) of the notebook's expect_close call whose first argument
    mentions `first_argument`, read from the cell's source as written."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(line for line in cell["source"] if not line.lstrip().startswith(("%", "!")))  # IPython magics
        for node in ast.walk(ast.parse(code)):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect_close"
                    and first_argument in ast.unparse(node.args[0])):
                return ast.literal_eval(node.args[1]), {k.arg: ast.literal_eval(k.value) for k in node.keywords
                                                     if k.arg != "device"}  # where it runs, not a tolerance
    raise AssertionError(f"{notebook.name}: no expect_close call on {first_argument}")


@pytest.fixture(scope="module")
def chapter_9(fsdd_root):
    from scorelab.evaluate import ScorelabExtractor, features_of, reference_clips, reference_features

    judge, root = ScorelabExtractor(CHECKPOINTS / "evalclassifier-tiny-fsdd.pt"), str(fsdd_root)
    test = reference_clips("fsdd", DIGITS, root, split="test")
    return {"reference": reference_features(judge, "fsdd", root), "test_set": features_of(judge, test.waves, test.labels),
            "expected": chapter_check(CHAPTER_9, ROW)}


def real_row(test_set, reference, seed=0) -> dict:
    """The table's first row as chapter 9 computes it: 20 shuffled real test clips."""
    from scorelab.evaluate import scores

    shuffled = torch.randperm(len(test_set), generator=torch.Generator().manual_seed(seed))
    return scores(test_set.subset(shuffled[:20]), reference)


@pytest.mark.slow
def test_the_chapter_checks_the_row_it_computes(chapter_9):
    expected, tolerance = chapter_9["expected"]
    assert set(expected) == set(METRICS)
    expect_close(real_row(chapter_9["test_set"], chapter_9["reference"]), expected, **tolerance)


def _biased_covariance(features):
    f = features.detach().double()
    centred = f - f.mean(0)
    return f.mean(0), centred.T @ centred / len(f)  # divides by n instead of n - 1: FID -0.4 % here


def _mis_over_distinct_pairs(probs):
    p = probs.detach().double().clamp_min(metrics.EPS)
    kl = (p[:, None] * (p[:, None].log() - p[None].log())).sum(-1)  # KL(p_i || p_j) for all i, j
    n = len(p)
    return math.exp(float(kl.sum() / (n * (n - 1))))  # leaves out i = j, where KL is 0


@pytest.mark.slow
@pytest.mark.parametrize("change", ["FID with a biased covariance", "mIS over distinct pairs only", "other clips"])
def test_one_change_on_purpose_fails_the_chapter_check(chapter_9, change, monkeypatch):
    expected, tolerance = chapter_9["expected"]
    test_set, reference = chapter_9["test_set"], chapter_9["reference"]
    if change == "FID with a biased covariance":
        monkeypatch.setattr(metrics, "gaussian_statistics", _biased_covariance)
    elif change == "mIS over distinct pairs only":
        monkeypatch.setattr(metrics, "modified_inception_score", _mis_over_distinct_pairs)
    row = real_row(test_set, reference, seed=1 if change == "other clips" else 0)
    with pytest.raises(NumbersDiffer):
        expect_close(row, expected, **tolerance)
