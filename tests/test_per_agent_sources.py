"""A run without per-agent sources (``metrics.per_agent_sources: false``): no per-agent
ledger, the same metrics, series and points by source per day (paired, same seed), wrongful
listings counted with the cause "unknown", case files refused, checkpoints kept and
branches between the two refused (docs/provenance.md, "Without per-agent sources")."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_cli
from golden import RUNS, result_tables, scenario_of
from scsim.core.blocks import BLOCK
from scsim.core.engine import Simulation
from scsim.core.source import CAUSES, UNKNOWN_CAUSE
from scsim.core.state import PER_AGENT_LEDGER
from scsim.errors import ScsimError
from scsim.outputs.casefile import Trace
from scsim.scenario.loader import ScenarioError

OFF = "metrics.per_agent_sources=false"
# pilot-1000 with misattributions and false reports: every error source books, and
# wrongful listings happen within the days run.
SETTINGS = dict(RUNS["pilot-1000"], days=45)
LEDGER_COLUMNS = ("mistaken_for", "falsely_reported_by")


def scenario(*extra: str):
    return scenario_of(dict(SETTINGS, overrides=[*SETTINGS["overrides"], *extra]))


@pytest.fixture(scope="module")
def pair():
    """The same run (same seed) with the per-agent ledger and without it."""
    kept = Simulation(scenario(), seed=SETTINGS["seed"])
    dropped = Simulation(scenario(OFF), seed=SETTINGS["seed"])
    return kept, kept.run(), dropped, dropped.run()


def test_the_same_metrics_series_and_points_by_source_without_the_ledger(pair):
    """Every metric column but the causes of wrongful listings, every group and region
    series, the companies and every agent column but the ledger's: the same bits."""
    _, on, _, off = pair
    assert on.metrics["wrongful_new"].sum() > 5  # wrongful listings to count
    assert on.metrics["points_misattribution"].sum() < 0
    assert on.metrics["points_false_report"].sum() < 0
    only_on = sorted(set(on.metrics.columns) - set(off.metrics.columns))
    assert only_on == sorted(f"wrongful_by_{c}" for c in CAUSES)
    assert sorted(set(off.metrics.columns) - set(on.metrics.columns)) == [
        f"wrongful_by_{UNKNOWN_CAUSE}"]
    for table, got in result_tables(off).items():
        want = result_tables(on)[table]
        shared = [c for c in want.columns if c in got.columns
                  and (table, c) != ("wrongful", "cause")]  # the next test's
        for c in shared:
            np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy(),
                                          err_msg=f"{table}.{c}")
    # no wrongful listing reads 0: they are all counted, under "unknown"
    np.testing.assert_array_equal(off.metrics[f"wrongful_by_{UNKNOWN_CAUSE}"],
                                  on.metrics["wrongful_new"])


def test_no_ledger_columns_and_wrongful_listings_of_unknown_cause(pair):
    _, on, _, off = pair
    dropped = sorted(set(on.agents.columns) - set(off.agents.columns))
    assert dropped == sorted([c for c in on.agents.columns if c.startswith(
        ("points_", "clean_points_"))] + list(LEDGER_COLUMNS))
    assert set(off.agents.columns) < set(on.agents.columns)
    w_on, w_off = on.wrongful, off.wrongful
    assert list(w_off.columns) == ["day", "agent", "cause", "score", "clean_score",
                                   "threshold_gap"]
    assert list(w_off["cause"].cat.categories) == [UNKNOWN_CAUSE]
    assert (w_off["cause"] == UNKNOWN_CAUSE).all()
    assert (w_on["cause"] != UNKNOWN_CAUSE).all()
    for c in w_off.columns.drop("cause"):
        np.testing.assert_array_equal(w_off[c].to_numpy(), w_on[c].to_numpy())
    text = off.explain(int(w_off["agent"].iloc[0])).text
    assert "metrics.per_agent_sources: false" in text and "cause unknown" in text


def test_the_report_says_why_it_has_no_case_files(pair):
    pytest.importorskip("matplotlib")
    from scsim.report.provenance import case_files_html

    _, on, _, off = pair
    assert "cause unknown" in case_files_html(off)
    assert "metrics.per_agent_sources: false" in case_files_html(off)
    assert "per_agent_sources" not in case_files_html(on)


def test_the_per_agent_ledger_has_no_rows(pair):
    """The ledger's arrays keep their dtype and width (the kernels' signatures do not
    change): the points by source have one sink row per block of 4,096 agents, who was
    mistaken for whom none; every other agent array is the same."""
    kept, _, dropped, _ = pair
    n = kept.state.n
    blocks = -(-n // BLOCK)
    rows = {"points": blocks, "clean_points": blocks, "mistaken_for": 0,
            "falsely_reported_by": 0}
    for name, array in dropped.state.agents.items():
        full = kept.state.agents[name]
        assert array.dtype == full.dtype and array.shape[1:] == full.shape[1:]
        assert len(array) == rows.get(name, n), name
    assert set(rows) == set(PER_AGENT_LEDGER)
    saved = sum(kept.state.agents[name].nbytes - dropped.state.agents[name].nbytes
                for name in PER_AGENT_LEDGER)
    # pilot-1000: its sources, twice (it can err), and two int32 per agent
    sources = len(kept.names.sources)
    assert saved == (n - blocks) * 2 * 4 * sources + n * 8


def test_case_files_are_refused_without_the_ledger(monkeypatch, capsys, tmp_path):
    sc = scenario(OFF)
    for trace in (Trace(sample=3), Trace(ids=(1,)), Trace(wrongful=True)):
        with pytest.raises(ScsimError, match=r"metrics\.per_agent_sources: false"):
            Simulation(sc, seed=1, trace=trace)
    Simulation(sc, seed=1, trace=Trace())  # nothing traced: nothing refused
    code, _, err = run_cli(monkeypatch, capsys, "run", "no-system", "--agents", "500",
                           "--days", "2", "--set", OFF, "--trace", "5", "--store",
                           str(tmp_path / "store"))
    assert code == 2 and "metrics.per_agent_sources" in err and "Traceback" not in err


def test_the_key_is_validated():
    with pytest.raises(ScenarioError, match="per_agent_sources"):
        scenario("metrics.per_agent_sources=sometimes")


def test_checkpoint_without_the_ledger_and_no_branch_between_the_two(tmp_path, pair):
    _, _, _, whole = pair
    sim = Simulation(scenario(OFF), seed=SETTINGS["seed"])
    sim.run_until(20)
    path = sim.save(tmp_path / "day20")
    resumed = Simulation.load(path).run()
    for table, want in result_tables(whole).items():
        got = result_tables(resumed)[table]
        assert list(got.columns) == list(want.columns), table
        for c in want.columns:
            np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy(),
                                          err_msg=f"{table}.{c}")
    with pytest.raises(ScsimError, match=r"must keep the checkpoint's "
                       r"metrics.per_agent_sources \(false\)"):
        Simulation.load(path, scenario=scenario())
    kept = Simulation(scenario(), seed=SETTINGS["seed"])
    kept.run_until(5)
    with pytest.raises(ScsimError, match=r"metrics.per_agent_sources \(true\)"):
        Simulation.load(kept.save(tmp_path / "kept"), scenario=scenario(OFF))


def test_explain_of_a_run_without_the_ledger_does_not_ask_for_tracing(tmp_path, monkeypatch,
                                                                     capsys):
    """`scsim explain RUN` of such a run advised --trace, which the run refuses, and any
    agent's points by source, which it kept none of: it says why and where to look."""
    store = ["--store", str(tmp_path)]
    code, _, _ = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "500",
                         "--days", "5", "--set", OFF, "--quiet", *store)
    assert code == 0
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", *store)
    said = " ".join(out.split())
    assert code == 0 and "kept no points by source per agent" in said
    assert "scsim sources" in said and "--trace-ids" not in said
