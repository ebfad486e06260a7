"""Detention (src/scsim/mechanisms/detention.py, docs/mechanisms/detention.md).

Everybody is below θ_detain (1100 > 1000 points) and nobody is released within T < D days,
so after day d the detained are Binomial(N, 1 - (1 - p)^(d+1)); detained agents do no
outside acts (behave draws today's acts with yesterday's detentions); every other member
of a household with a detained member loses the penalty each day and its fear rises."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from conftest import bare, run
from scsim.core.state import DETAINED, LISTED

N, T, P, D, LAM = 20_000, 10, 0.05, 30, 0.5
COLUMNS = ["detained", "new_detentions", "detention_days", "households_affected",
           "relatives_penalised", "relatives_points_lost"]


WALK = {"name": "walk", "rate": LAM, "delta": 0, "channel": "camera", "outside_home": True}


def scenario(detention: dict | None, behaviours=(WALK,), **more):
    extra = {} if detention is None else {"detention": {"enabled": True, **detention}}
    return bare(days=T, population={"household_size": 3.0}, behaviours=list(behaviours),
                **extra, **more)


def everyone_detainable(**more):
    return scenario({"threshold": 1100, "probability": P, "days": D,
                     "household_penalty": 1.0, "household_fear": 0.02}, **more)


def test_detentions_follow_the_daily_probability():
    res, sim = run(everyone_detainable())
    m = res.metrics
    q = 1.0 - (1.0 - P) ** np.arange(1, T + 1)
    for d in range(T):
        assert abs(m["detained"].iloc[d] - N * q[d]) <= 4.5 * math.sqrt(N * q[d] * (1 - q[d]))
    assert (m["detained"] == m["new_detentions"].cumsum()).all()
    assert (m["detention_days"] == m["detained"]).all()
    detained = (sim.state.status & DETAINED) != 0
    assert detained.sum() == m["detained"].iloc[-1]


def test_detained_agents_do_no_outside_acts():
    on, _ = run(everyone_detainable())
    off, _ = run(scenario(None))
    free_before = N - np.concatenate([[0], on.metrics["detained"].to_numpy()[:-1]])
    mean = LAM * free_before.sum()
    acts = on.metrics["acts_walk"].sum()
    assert abs(acts - mean) <= 4.5 * math.sqrt(mean), (acts, mean)
    assert acts < off.metrics["acts_walk"].sum()


def test_households_of_the_detained_lose_points_and_fear():
    res, sim = run(everyone_detainable())
    m, a = res.metrics, res.agents
    # households affected and relatives, from the final state
    detained = (sim.state.status & DETAINED) != 0
    house = a["household"].to_numpy()
    per_house = np.bincount(house, weights=detained, minlength=house.max() + 1)
    assert m["households_affected"].iloc[-1] == (per_house > 0).sum()
    relatives = (per_house[house] - detained) > 0
    assert m["relatives_penalised"].iloc[-1] == relatives.sum()
    # one point a day each (no clamping), on both scores, the ledger in step
    np.testing.assert_array_equal(m["relatives_points_lost"], m["relatives_penalised"])
    lost = (1000.0 - a["score"]).sum()
    assert lost == m["relatives_points_lost"].sum()
    np.testing.assert_array_equal(a["score"], a["clean_score"])
    np.testing.assert_allclose(a["fear"].sum(), 0.02 * m["relatives_penalised"].sum(),
                               rtol=1e-4)
    np.testing.assert_allclose(sim.state.agents["points"].sum(axis=1), a["score"] - 1000.0,
                               atol=1e-3)


def test_political_acts_detain_only_the_listed_who_performed_them():
    protest = {"name": "protest", "rate": 0.05, "delta": 0, "channel": "camera",
               "severe": True}
    res, sim = run(scenario({"political": ["protest"], "probability": 1.0, "days": D},
                            behaviours=[protest], listing={"enabled": True, "duration": 100}))
    st, a = sim.state.status, res.agents
    detained = (st & DETAINED) != 0
    listed = (st & LISTED) != 0
    protested = (a["acts_protest"] > 0).to_numpy()
    # p = 1: the listed protesters of each day are detained that day (listing comes first)
    np.testing.assert_array_equal(detained, listed & protested)
    assert detained.sum() > 100


def test_switched_off_releases_everyone_and_off_changes_nothing():
    freed, _ = run(everyone_detainable(
        timeline=[{"day": 5, "set": {"detention.enabled": False}}]))
    assert freed.metrics["detained"].iloc[4] > 0
    assert (freed.metrics["detained"].iloc[5:] == 0).all()
    assert freed.metrics["relatives_penalised"].iloc[5:].sum() == 0
    off, _ = run(scenario(None))
    switched_off, _ = run(scenario({"enabled": False, "threshold": 1100}))
    assert not set(COLUMNS) & set(off.metrics.columns)
    pd.testing.assert_frame_equal(off.metrics, switched_off.metrics, check_exact=True)
    pd.testing.assert_frame_equal(off.agents, switched_off.agents, check_exact=True)


def test_the_detained_file_no_false_reports():
    """Everybody is detained on day 0 (p = 1, after the day's reports): false reports (of
    littering, the one penalised behaviour) are filed on day 0 only."""
    litter = {"name": "litter", "rate": 0.01, "delta": -1, "channel": "camera"}
    res, _ = run(scenario({"threshold": 1100, "probability": 1.0, "days": D},
                          behaviours=(WALK, litter),
                          reports={"enabled": True, "false_rate": 0.2}))
    filed = res.metrics["false_reports_filed"]
    assert (res.metrics["detained"] == N).all()
    assert abs(filed.iloc[0] - 0.2 * N) <= 4.5 * math.sqrt(0.2 * N)
    assert (filed.iloc[1:] == 0).all()
