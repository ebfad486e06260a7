"""The lean state: saturating history counts, neighbour-count dtypes, lazy agent columns,
and the memory estimate read from the same table as the allocation."""

from __future__ import annotations

import numpy as np
import pytest

import golden
from conftest import bare, run
from scsim.core.engine import Simulation
from scsim.core.memory import agent_table_bytes, estimate_bytes
from scsim.core.params import Names
from scsim.core.state import (
    AGENT_ARRAYS,
    COUNT_MAX,
    add_capped,
    allocate,
    bytes_per_row,
    clean_column,
    households,
    short_arrays,
    ties_dtype,
    widths,
)
from scsim.mechanisms.observe import MARK_EVERY
from scsim.outputs.result import AGENT_TABLE_ROWS, LazyColumns
from scsim.scenario import load_scenario
from scsim.world.network import generate_network, largest_component_fraction
from scsim.world.population import draw_traits, malice_rows


def test_history_counts_stop_at_their_maximum():
    counts = np.array([0, COUNT_MAX - 3, COUNT_MAX], dtype=np.uint16)
    for i in range(3):
        add_capped(counts, i, 5)
    assert counts.tolist() == [5, COUNT_MAX, COUNT_MAX]
    acts = np.zeros((2, 3), dtype=np.uint16)
    add_capped(acts, (1, 2), 70_000)
    assert acts[1, 2] == COUNT_MAX and acts.sum() == COUNT_MAX


def test_neighbour_counts_widen_only_for_huge_degrees():
    assert ties_dtype(65_535) is np.uint16
    assert ties_dtype(65_536) is np.int32
    dims = {"behaviours": 2, "categories": 1, "events": 1, "sources": 3, "clean_ledger": 3,
            "score_columns": 2}
    narrow = allocate(AGENT_ARRAYS, 3, dims)
    wide = allocate(AGENT_ARRAYS, 3, {**dims, "ties": np.int32})
    assert narrow["nbr_listed"].dtype == np.uint16 and wide["nbr_listed"].dtype == np.int32
    assert bytes_per_row(AGENT_ARRAYS, {**dims, "ties": np.int32}) == bytes_per_row(
        AGENT_ARRAYS, dims) + 4 * 2


def test_ledger_and_scores_are_as_wide_as_the_run_needs():
    """The provenance ledger has a column per source of the mechanisms the run uses, and
    no error-free columns when nothing can err (the error-free ledger is the recorded
    one): 4 bytes per agent and source less; the scores and their scratch then have one
    column instead of two (the error-free score is the recorded one): 8 bytes less."""
    camera = {"camera": {"coverage": 0.5, "facial_recognition": True}}
    plain = Names.of(bare(surveillance={"channels": camera}))
    erring = Names.of(bare(surveillance={"channels": camera, "misattribution": 0.01}))
    detaining = Names.of(bare(detention={"enabled": True, "threshold": 300},
                              surveillance={"channels": camera, "misattribution": 0.01}))
    assert not plain.errors and erring.errors and plain.sources == erring.sources
    assert "detention_household" not in erring.sources
    assert set(detaining.sources) == {*erring.sources, "detention_household"}
    n_src = len(erring.sources)
    assert widths(plain)["sources"] == widths(erring)["clean_ledger"] == n_src
    assert widths(plain)["clean_ledger"] == 0
    assert widths(detaining)["sources"] == n_src + 1
    assert bytes_per_row(AGENT_ARRAYS, widths(erring)) - bytes_per_row(
        AGENT_ARRAYS, widths(plain)) == 4 * n_src + 8
    agents = allocate(AGENT_ARRAYS, 5, widths(plain))
    assert agents["points"].shape == (5, n_src) and agents["clean_points"].shape == (5, 0)
    assert agents["scores"].shape == agents["scratch"].shape == (5, 1)
    assert allocate(AGENT_ARRAYS, 5, widths(erring))["scores"].shape == (5, 2)
    assert clean_column(agents["scores"]) == 0
    assert clean_column(allocate(AGENT_ARRAYS, 5, widths(erring))["scratch"]) == 1


def test_history_counts_are_published_as_signed_counts():
    """Every history count of the agents table is an int32, acts too (they were uint32:
    one run's acts less another's, B - A in a notebook, wrapped round to about 4 billion
    instead of going below zero)."""
    sc = bare(days=5, population={"agents": 500},
              behaviours=[{"name": "b", "rate": 1.0, "delta": -1, "channel": "camera"}])
    res, sim = run(sc)
    assert isinstance(res.agent_columns, LazyColumns)
    a = res.agents
    assert a["acts_b"].dtype == np.int32 and a["times_listed"].dtype == np.int32
    fewer = run(sc, seed=2)[0].agents["acts_b"] - a["acts_b"]
    assert fewer.min() < 0 and fewer.max() < 1000  # 5 days at 1 act a day: a few acts
    assert a["active_degree"].dtype == np.int32
    np.testing.assert_array_equal(a["acts_b"], sim.state.agents["acts_total"][:, 0])
    assert res.metrics["acts_b"].sum() == a["acts_b"].sum()


def test_lazy_columns_compute_once_on_first_read():
    calls = []
    cols = LazyColumns({"x": lambda rows: calls.append(rows) or np.arange(5)[rows]})
    assert calls == [] and list(cols) == ["x"] and len(cols) == 1
    # a block of rows is computed for those rows only, and not kept
    assert cols.rows(1, 3)["x"].tolist() == [1, 2] and calls == [slice(1, 3)]
    assert cols["x"].tolist() == [0, 1, 2, 3, 4] and cols["x"] is cols["x"]
    assert calls == [slice(1, 3), slice(None)]
    assert cols.rows(3, 5)["x"].tolist() == [3, 4] and len(calls) == 2  # from the kept one


def test_largest_component_in_a_lent_workspace():
    net = generate_network(5000, 3, kind="erdos_renyi", mean_degree=1.2)
    workspace = np.full((5000, 2), np.nan, dtype=np.float32)
    assert largest_component_fraction(net, workspace) == largest_component_fraction(net)
    # one score column (nothing can err) is too small to lend: left alone, memory allocated
    one = np.full((5000, 1), np.nan, dtype=np.float32)
    assert largest_component_fraction(net, one) == largest_component_fraction(net)
    assert np.isnan(one).all()


def test_memory_estimate_follows_the_state_table():
    sc = bare(population={"agents": 1_000_000})
    names = Names.of(sc)
    more = bare(population={"agents": 1_000_000},
                behaviours=[{"name": f"b{k}", "rate": 0.1, "delta": -1, "channel": "camera"}
                            for k in range(4)])
    extra = estimate_bytes(more, 10**6, Names.of(more)) - estimate_bytes(sc, 10**6, names)
    # four behaviours instead of none: three more uint16 history counts per agent (the
    # state keeps one when there are none), four 4-byte columns of the agents table written
    # at the end, a block of AGENT_TABLE_ROWS at a time (and metric columns)
    least = 10**6 * 2 * 3 + min(10**6, AGENT_TABLE_ROWS) * 4 * 4
    assert least <= extra < least + 10**4
    # the agents table is built and written AGENT_TABLE_ROWS rows at a time: an agent more
    # in a run of fewer costs its state and its published row, in a larger run its state
    small, big = AGENT_TABLE_ROWS // 4, 4 * AGENT_TABLE_ROWS
    per_agent_small = (estimate_bytes(sc, 2 * small, names)
                       - estimate_bytes(sc, small, names)) / small
    per_agent_big = (estimate_bytes(sc, 2 * big, names) - estimate_bytes(sc, big, names)) / big
    assert per_agent_small - per_agent_big == pytest.approx(agent_table_bytes(names), abs=0.5)
    # a system that can err keeps the error-free score (4 + 4 bytes: scores and scratch)
    # and ledger (4 bytes a source) apart, and observe's index for false matches (an int32
    # every MARK_EVERY members)
    camera = {"camera": {"coverage": 0.5, "facial_recognition": True}}
    plain = bare(population={"agents": 1_000_000}, surveillance={"channels": camera})
    erring = bare(population={"agents": 1_000_000},
                  surveillance={"channels": camera, "misattribution": 0.01})
    n_src = len(Names.of(plain).sources)
    assert estimate_bytes(erring, 10**6, Names.of(erring)) - estimate_bytes(
        plain, 10**6, Names.of(plain)) == 10**6 * (8 + 4 * n_src + 4 / MARK_EVERY)


NO_LEDGER = "metrics.per_agent_sources=false"
FALSE_REPORTS_AND_SHAMING = ("reports.enabled=true", "reports.false_rate=0.002",
                             "shaming.enabled=true", "shaming.probability=0.5",
                             "shaming.sever.social=0.2")
UNUSED = {"malice", "times_shamed", "nbr_shamed", "ties_lost", "deg_active"}


def test_a_run_keeps_no_rows_of_the_arrays_it_cannot_use():
    """national-800 files no false report, shames nobody and detains nobody: its state
    keeps no rows of malice (float32), of times_shamed, nbr_shamed and ties_lost, nor of
    deg_active (no tie can be severed or suspended; uint16 each), and, like every run, no
    household array (int32: households are ranges of agents): 92 bytes per agent without
    the ledger, 16 less than the 108 it kept before (2026-12-01). With false reports and
    shaming on, only the household's 4 are saved; with detention on (a threshold, the
    ties of the detained suspended) the active degree is kept, not if their ties stay
    active. A timeline that switches them on in a later epoch keeps
    them from day 0."""
    quiet = load_scenario("national-800", overrides=[NO_LEDGER])
    loud = load_scenario("national-800", overrides=[NO_LEDGER, *FALSE_REPORTS_AND_SHAMING])
    later = load_scenario("national-800", overrides=[
        NO_LEDGER, "timeline=[{day: 100, set: {reports.enabled: true, reports.false_rate: "
        "0.002, shaming.enabled: true, shaming.probability: 0.5, shaming.sever.social: "
        "0.2}}]"])
    detention = (NO_LEDGER, "detention.enabled=true", "detention.threshold=300")
    detaining = load_scenario("national-800", overrides=[*detention])
    kept_active = load_scenario("national-800", overrides=[
        *detention, "detention.suspend_ties=false"])
    assert set(Names.of(quiet).unused_arrays) == UNUSED
    assert Names.of(loud).unused_arrays == Names.of(later).unused_arrays == ()
    assert set(Names.of(detaining).unused_arrays) == UNUSED - {"deg_active"}
    assert set(Names.of(kept_active).unused_arrays) == UNUSED
    n, before = 10**6, 108
    for sc, saved in ((quiet, 4 + 4 + 2 + 2 + 2 + 2), (loud, 4), (later, 4),
                      (detaining, 4 + 4 + 2 + 2 + 2)):
        names = Names.of(sc)
        assert bytes_per_row(AGENT_ARRAYS, widths(names), short_arrays(names, n)) == (
            before - saved)
    assert estimate_bytes(loud, n, Names.of(loud)) - estimate_bytes(
        quiet, n, Names.of(quiet)) == n * (4 + 2 + 2 + 2 + 2)
    agents = allocate(AGENT_ARRAYS, 5, widths(Names.of(quiet)),
                      short_arrays(Names.of(quiet), 5))
    assert [agents[name].shape for name in UNUSED] == [(0,)] * len(UNUSED)
    assert "household" not in agents


def test_arrays_kept_without_rows_are_published_as_before():
    """The agents table of a run without false reports or shaming publishes malice as the
    seed draws it (the same bits as a run that keeps it, block by block), times_shamed and
    ties_lost at 0, and each agent's household from the households' ranges."""
    behaviours = [{"name": "b", "rate": 1.0, "delta": -1, "channel": "camera",
                   "reportable": True}]
    population = {"agents": 3000, "household_size": 3.0,
                  "malice": {"mean": 1.0, "sigma": 1.0}}
    quiet = bare(days=4, population=population, behaviours=behaviours)
    loud = bare(days=4, population=population, behaviours=behaviours,
                reports={"enabled": True, "false_rate": 0.05},
                shaming={"enabled": True, "probability": 0.5, "sever": {"social": 0.1}},
                listing={"enabled": True, "threshold": 999})
    (res, sim), (res_loud, sim_loud) = run(quiet, seed=3), run(loud, seed=3)
    assert [sim.state.agents[name].shape for name in UNUSED] == [(0,)] * len(UNUSED)
    assert len(sim_loud.state.agents["malice"]) == 3000
    a = res.agents
    np.testing.assert_array_equal(a["malice"], sim_loud.state.agents["malice"])
    np.testing.assert_array_equal(a["malice"], res_loud.agents["malice"])
    assert a["malice"].dtype == np.float32
    for name in ("times_shamed", "ties_lost"):
        assert a[name].dtype == np.int32 and not a[name].any()
        assert res_loud.agents[name].any()
    start = sim.state.household_start
    expected = np.repeat(np.arange(len(start) - 1, dtype=np.int32), np.diff(start))
    np.testing.assert_array_equal(a["household"], expected)
    assert a["household"].dtype == np.int32
    np.testing.assert_array_equal(a["child"], np.arange(3000) - start[expected] >= 2)
    for lo, hi in ((0, 1), (1, 2), (2, 1001), (1001, 3000), (2999, 3000), (5, 5)):
        block = res.agent_columns.rows(lo, hi)
        np.testing.assert_array_equal(block["household"], expected[lo:hi])
        np.testing.assert_array_equal(block["malice"], a["malice"][lo:hi])
        np.testing.assert_array_equal(households(start, lo, hi), expected[lo:hi])


def test_malice_drawn_again_in_blocks_has_the_bits_of_the_whole_draw():
    sc = bare(population={"agents": 10_000})
    whole = np.empty(10_000, np.float32)
    draw_traits(sc, ["general"], 7, np.empty((10_000, 1), np.float32),
                np.empty(10_000, np.float32), whole)
    blocks = np.concatenate([malice_rows(sc, 7, lo, min(lo + 777, 10_000))
                             for lo in range(0, 10_000, 777)])
    assert blocks.tobytes() == whole.tobytes()


def test_a_run_without_rows_of_the_active_degree_has_the_bits_of_one_with_them():
    """A run where no tie can be severed or suspended keeps no ``deg_active``: association
    sums every tie, fear's exposure, the reports (no neighbour, no report; the reporter
    drawn among its ties), the census's mean active degree and the agents table read
    each agent's degree instead, with the same bits as the same run given the array
    (each agent's degree) and the same traced case files."""
    sc = load_scenario("national-800", agents=3000, days=60, overrides=[
        "regions.rollout=[{day: 0, regions: all}]", "reports.enabled=true",
        "reports.true_rate=0.3", "network.kind=erdos_renyi", "network.mean_degree=2",
        "network.work_degree=0", "network.family_ties=false"])  # some agents have no tie
    assert "deg_active" in Names.of(sc).unused_arrays
    lean, full = Simulation(sc, seed=2, trace=60), Simulation(sc, seed=2, trace=60)
    degree = np.diff(full.state.net.indptr)
    assert len(lean.state.agents["deg_active"]) == 0 and (degree == 0).any()
    full.state.agents["deg_active"] = degree.astype(full.state.agents["nbr_listed"].dtype)
    got, want = lean.run(), full.run()

    def digests(result):
        return {name: {col: golden.column_digest(df[col]) for col in df.columns}
                for name, df in golden.result_tables(result).items()}

    assert want.metrics["reports_accepted"].sum() > 0 and len(want.events)
    diffs = golden.compare_run("lean", {"settings": {}, "tables": digests(want)},
                               {"settings": {}, "tables": digests(got)})
    assert not diffs, "\n".join(diffs)
    np.testing.assert_array_equal(got.agents["active_degree"], degree)
    assert not got.agents["pariah"].any()
