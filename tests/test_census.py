"""The day's census (outputs/census.py): one pass for the metrics and the provenance
breakdown gives what two passes give, bit for bit, and each part measures what it says."""

from __future__ import annotations

import numpy as np
import pandas as pd

import scsim
from scsim import Simulation
from scsim.core.state import LISTED
from scsim.outputs import census as census_module
from scsim.outputs.provenance import FIELDS

# Errors, tiers, several groups and regions: every field of both parts is non-trivial.
BUSY = ["surveillance.misattribution=0.05", "reports.enabled=true", "reports.false_rate=0.01",
        "reports.true_rate=0.2", "listing.threshold=695"]


def run(split: bool, monkeypatch, calls: list):
    sc = scsim.load_scenario("national-800", agents=3000, days=25, overrides=BUSY)
    sim = Simulation(sc, seed=5, split_passes=split)
    kernel = census_module.census

    def counted(*args):
        calls.append(args[-2:])  # with_metrics, with_provenance
        kernel(*args)

    with monkeypatch.context() as patch:  # after the setup, which compiles the kernels
        patch.setattr(census_module, "census", counted)
        res = sim.run()
    return sim, res


def test_one_pass_gives_the_bits_of_two(monkeypatch):
    fused, split = [], []
    one, res_one = run(False, monkeypatch, fused)
    two, res_two = run(True, monkeypatch, split)
    # one pass a day with both parts, or two passes of one part each
    assert fused == [(True, True)] * 25
    assert split == [(False, True), (True, False)] * 25
    pd.testing.assert_frame_equal(res_one.metrics, res_two.metrics, check_exact=True)
    # split passes also make observe's sightings in a pass of its own (not in behave's):
    # the agents' scores, ledgers and histories are the same bits
    pd.testing.assert_frame_equal(res_one.agents, res_two.agents, check_exact=True)
    assert res_one.metrics["wrongful_listed"].iloc[-1] > 0  # the errors did list someone
    assert res_one.metrics["misattributions"].sum() > 0
    p1, p2 = one.provenance, two.provenance
    for name in ("by_group", "by_region", "by_group_stats", "by_region_stats",
                 "by_region_group", "wrongful"):
        np.testing.assert_array_equal(getattr(p1, name), getattr(p2, name), err_msg=name)


def test_census_counts_what_the_agents_hold(monkeypatch):
    sim, res = run(False, monkeypatch, [])
    a = sim.state.agents
    listed = (a["status"] & LISTED) != 0
    last = res.metrics.iloc[-1]
    assert last["listed"] == listed.sum()
    assert np.isclose(last["score_mean"], a["scores"][:, 0].astype(np.float64).mean(),
                      rtol=1e-12)
    # the breakdown of the last day, summed over groups: agents and listed agents
    day = sim.scenario.days - 1
    cells = sim.provenance.by_group[day]
    assert cells[:, FIELDS.index("agents")].sum() == sim.state.n
    assert cells[:, FIELDS.index("listed")].sum() == listed.sum()
    by_group = np.bincount(a["group"][listed], minlength=cells.shape[0])
    np.testing.assert_array_equal(cells[:, FIELDS.index("listed")], by_group)


def test_group_percentiles_without_tiers_are_the_group_scores():
    """A scenario without tiers keeps no tier counts ahead of the one-point histogram: each
    group's median and quartiles on the last day are those of its agents' scores (within
    the histogram's one point), and its Gini is small for scores near the start, not the
    one half of a histogram with every agent counted again at the scale's bottom."""
    sc = scsim.load_scenario("national-800", agents=3000, days=20,
                             overrides={"tiers": [], "listing.threshold": 650})
    assert not sc.tiers
    res = Simulation(sc, seed=3).run()
    groups, agents = res.groups, res.agents
    last = groups[groups["day"] == groups["day"].max()]
    for row in last.itertuples():
        scores = agents.loc[agents["group"] == row.group, "score"].to_numpy(np.float64)
        assert row.agents == len(scores) > 100
        for q in (25, 50, 75):
            assert abs(getattr(row, f"score_p{q}") - np.percentile(scores, q)) <= 1.0
        assert row.score_gini < 0.05
