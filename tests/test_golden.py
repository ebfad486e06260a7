"""Every output column of the golden runs is bit for bit what ``tests/data/golden.json``
says (see ``tests/golden.py``: what the runs are, and how to regenerate the baseline)."""

from __future__ import annotations

import pytest

import golden

BASELINE = golden.load()


def test_baseline_lists_every_run():
    assert sorted(BASELINE["runs"]) == sorted(golden.RUNS), (
        "golden.json and golden.RUNS name different runs: run `make golden` "
        "(and add a CHANGELOG.md line)")


def test_baseline_covers_every_builtin_scenario_and_a_network_file():
    from scsim import builtin_names

    scenarios = {s["scenario"] for s in golden.RUNS.values()}
    assert set(builtin_names()) <= scenarios
    assert any(s.get("network") for s in golden.RUNS.values())


@pytest.mark.parametrize("label", list(golden.RUNS))
def test_outputs_match_the_golden_baseline(label):
    diffs = golden.compare_run(label, BASELINE["runs"].get(label), golden.run_digests(label))
    assert not diffs, (
        f"{len(diffs)} difference(s) from tests/data/golden.json:\n" + "\n".join(diffs)
        + "\nIf the change is intended: `make golden` and a CHANGELOG.md line.")


def test_column_digest_is_bitwise():
    import numpy as np
    import pandas as pd

    nan = np.array([np.nan, 1.0])
    assert golden.column_digest(nan) == golden.column_digest(nan.copy())
    assert golden.column_digest(np.array([0.0])) != golden.column_digest(np.array([-0.0]))
    assert golden.column_digest(np.array([1], np.int32)) != golden.column_digest(
        np.array([1], np.int64))
    assert golden.column_digest(np.arange(4)[::2]) == golden.column_digest(np.array([0, 2]))
    a = pd.Categorical.from_codes([0, 1], categories=["x", "y"])
    b = pd.Categorical.from_codes([0, 1], categories=["x", "z"])
    assert golden.column_digest(a).startswith("category[2] int8 ")
    assert golden.column_digest(a) != golden.column_digest(b)
    assert golden.column_digest(pd.Series(a)) == golden.column_digest(a)


def test_compare_names_every_difference():
    old = {"settings": {"seed": 1}, "tables": {
        "metrics": {"day": "d", "x": "x"}, "agents": {"a": "a", "b": "b"}}}
    new = {"settings": {"seed": 1}, "tables": {
        "metrics": {"day": "d", "x": "X"}, "agents": {"a": "A", "c": "c"},
        "companies": {"k": "k"}}}
    diffs = golden.compare_run("r", old, new)
    assert [d.split(":")[0] for d in diffs] == [
        "r/agents/a", "r/agents/b", "r/agents/c", "r/companies", "r/metrics/x"]
    assert golden.compare_run("r", old, old) == []
    assert "not in golden.json" in golden.compare_run("r", None, new)[0]
