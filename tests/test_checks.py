"""expect_close: numbers within a stated tolerance pass, anything else fails naming the number;
nested tables, per-quantity tolerances, and the log that measures the spread across CPUs."""
import json
import math

import pytest
import torch

from scorelab.checks import NumbersDiffer, expect_close


def test_numbers_within_the_tolerance_pass_and_others_fail_by_name():
    expect_close(0.905, 0.9, abs=0.01)
    expect_close(1012.0, 1000.0, rel=0.02)
    expect_close(torch.tensor([0.5, 0.31]), [0.5, 0.3], abs=0.011)
    with pytest.raises(NumbersDiffer, match=r"mIS: 1030.0 here, expected 1000.0 within ±20") as err:
        expect_close({"mIS": 1030.0}, {"mIS": 1000.0}, rel=0.02, what="the table")
    assert str(err.value).startswith("the table: 1 of 1 numbers differ")
    with pytest.raises(NumbersDiffer):
        expect_close(math.nan, 0.0, abs=1.0)  # NaN is never close


def test_a_nested_table_with_a_tolerance_per_quantity():
    table = {"real": {"fid": 11.45, "accuracy": 0.95}, "model": {"fid": 7.95, "accuracy": 0.85}}
    expected = {"real": {"fid": 11.44, "accuracy": 1.0}, "model": {"fid": 7.96, "accuracy": 0.9}}
    expect_close(table, expected, rel=0.01, abs={"accuracy": 0.05})  # one clip of twenty
    with pytest.raises(NumbersDiffer, match=r"model / fid: 8.5 here"):
        expect_close({**table, "model": {"fid": 8.5, "accuracy": 0.85}}, expected, rel=0.01,
                     abs={"accuracy": 0.05})
    with pytest.raises(NumbersDiffer, match=r"model / accuracy"):
        expect_close({**table, "model": {"fid": 7.95, "accuracy": 0.8}}, expected, rel=0.01,
                     abs={"accuracy": 0.05})


def test_missing_numbers_or_other_words_fail_and_extra_numbers_are_not_compared():
    with pytest.raises(NumbersDiffer, match=r"lack b \(computed: a, c\)"):
        expect_close({"a": 1.0, "c": 2.0}, {"a": 1.0, "b": 2.0}, abs=1.0)
    expect_close({"fid": 7.9, "clips": 20}, {"fid": 7.9})
    with pytest.raises(NumbersDiffer, match=r"heard\[1\]: 'five' here, expected 'zero'"):
        expect_close({"heard": ["zero", "five"]}, {"heard": ["zero", "zero"]})


def test_every_comparison_is_logged_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("SCORELAB_CHECK_LOG", str(log))
    expect_close({"x": 1.0, "y": [2.0, 3.0]}, {"x": 1.0, "y": [2.0, 3.5]}, abs=1.0, what="t")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["name"] for r in records] == ["x", "y[0]", "y[1]"]
    assert records[2] == {"what": "t", "name": "y[1]", "actual": 3.0, "expected": 3.5, "tolerance": 1.0}


def test_off_the_cpu_a_difference_is_reported_not_raised(capsys):
    expect_close({"fid": 9.0}, {"fid": 8.0}, rel=0.01, what="table", device="cuda")
    assert "computed on cuda: 1 of 1 numbers differ" in capsys.readouterr().out
    with pytest.raises(NumbersDiffer):
        expect_close({"fid": 9.0}, {"fid": 8.0}, rel=0.01, what="table", device="cpu")
    expect_close({"fid": 8.01}, {"fid": 8.0}, rel=0.01, device="cuda")
    assert capsys.readouterr().out == ""


def test_log_only_mode_logs_a_difference_instead_of_raising_and_needs_a_log(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORELAB_CHECK_LOG_ONLY", "1")
    with pytest.raises(RuntimeError, match="without SCORELAB_CHECK_LOG"):
        expect_close({"fid": 9.0}, {"fid": 8.0}, rel=0.01)
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("SCORELAB_CHECK_LOG", str(log))
    expect_close({"fid": 9.0}, {"fid": 8.0}, rel=0.01, what="table")
    assert json.loads(log.read_text()) == {"what": "table", "name": "fid", "actual": 9.0, "expected": 8.0,
                                           "tolerance": 0.08}
    monkeypatch.setenv("SCORELAB_CHECK_LOG_ONLY", "0")
    with pytest.raises(NumbersDiffer):
        expect_close({"fid": 9.0}, {"fid": 8.0}, rel=0.01)
