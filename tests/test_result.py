"""Results: tables, Arrow, atomic saving, and refusing runs that would not fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import scsim
from scsim.errors import MemoryRefused
from scsim.outputs import result as result_module
from scsim.outputs.metrics import metric_label as label
from scsim.outputs.result import Result
from scsim.world import build as world


@pytest.fixture(scope="module")
def result():
    return scsim.simulate(scsim.load_scenario("three-tier", agents=2000, days=15), seed=9)


def test_tables_and_arrow(result):
    assert len(result.metrics) == 15 and list(result.metrics["day"]) == list(range(15))
    assert len(result.agents) == 2000 and result.agents["agent"].is_unique
    assert set(result.agents["group"].cat.categories) == {"group_a", "group_b", "party"}
    for name in ("metrics", "agents", "companies"):
        table = result.to_arrow(name)
        assert isinstance(table, pa.Table)
        assert table.num_rows == len(getattr(result, name))
    summary = result.summary()
    assert {"score", "listing", "sanctions", "network", "chilling effect",
            "disparate impact"} <= set(summary["section"])
    # shares are told as percentages in the notes, computed from the metrics
    notes = summary.set_index("figure")["note"]
    last = result.metrics.iloc[-1]
    assert notes["ties still active"] == f"{100 * last['ties_active_frac']:.1f} % of ties"
    assert notes[label("lcc_frac")] == f"{100 * last['lcc_frac']:.1f} % of agents"
    ever = (result.agents["times_listed"] > 0).groupby(result.agents["group"],
                                                        observed=True).mean()
    assert notes["party: ever listed"].startswith(f"{100 * ever['party']:.1f} % of the group; ")


def test_save_round_trip_and_overwrite(result, tmp_path):
    target = tmp_path / "run"
    result.save(target)
    assert pq.read_table(target / "metrics.parquet").num_rows == 15
    result.save(target, force=True)  # replacing an earlier result is atomic too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_agents_table_written_in_blocks_of_rows(result, tmp_path, monkeypatch):
    """A fresh run of the same scenario and seed, its agents table built and written 700
    rows at a time: three row groups, and the same table as the one built whole."""
    monkeypatch.setattr(result_module, "AGENT_TABLE_ROWS", 700)
    fresh = scsim.simulate(scsim.load_scenario("three-tier", agents=2000, days=15), seed=9)
    fresh.save(tmp_path / "run")
    assert pq.ParquetFile(tmp_path / "run" / "agents.parquet").metadata.num_row_groups == 3
    whole = result.agents
    assert {"points_misattribution", "mistaken_for"} <= set(whole.columns)
    loaded = Result.load(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.agents, whole)
    loaded.save(tmp_path / "again")  # a loaded run is written in blocks too
    pd.testing.assert_frame_equal(Result.load(tmp_path / "again").agents, whole)


def test_failed_save_leaves_nothing(result, tmp_path, monkeypatch):
    original, calls = pq.write_table, []

    def failing_write(table, path, **kw):  # the second file fails half-way
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        original(table, path, **kw)

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError, match="disk full"):
        result.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []  # neither the result nor a temporary folder


def test_memory_refused_before_anything_is_allocated(monkeypatch):
    monkeypatch.setenv("SCSIM_MEMORY_LIMIT", "1G")
    built = []
    monkeypatch.setattr(world, "build_population", lambda *a, **k: built.append(1))
    sc = scsim.load_scenario("national-800", agents=20_000_000, days=30)
    with pytest.raises(MemoryRefused, match=r"20,000,000 agents for 30 days need about"):
        scsim.Simulation(sc)
    assert built == []


def test_counts_are_integers_with_the_same_values():
    res = scsim.simulate(scsim.load_scenario("national-800", agents=2000, days=20), seed=3)
    m = res.metrics
    for col in ("listed", "newly_listed", "blocked_air", "tier_a", "corp_listed", "pariahs",
                "acts_bad_driving"):
        assert m[col].dtype == np.int64, col
    for col in ("score_mean", "fear_mean", "ties_active_frac", "listed_rate_majority"):
        assert m[col].dtype == np.float64, col
    assert m["day"].dtype == np.int32
    counts = [c for c in m.columns if m[c].dtype == np.int64]
    assert (m[counts].to_numpy(np.float64) == res.metrics_table[
        :, [res.metrics_columns.index(c) for c in counts]]).all()
