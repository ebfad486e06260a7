"""Shunning by businesses (src/scsim/mechanisms/shunning.py, docs/mechanisms/shunning.md):
counts against the model's expectations, the companies' lost points, tiers, the switch, the
example of the docs, and thread-count independence.

The analytic runs list everybody on day 0 (scores stay at 1000, listing threshold 1100, no
behaviours), so L = N listed agents every day. Each attempts Poisson(r) transactions a day,
each refused with probability p: over T days, refused ~ Poisson(L r p T) and served ~
Poisson(L r (1 - p) T), independent; tolerances are 4 standard deviations."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import INERT_ON_PURPOSE
from scsim.errors import ScenarioError

DOC = Path(__file__).resolve().parents[1] / "docs" / "mechanisms" / "shunning.md"
COLUMNS = ["refused_transactions", "served_listed_transactions", "company_points_lost"]
N, T = 3000, 20


def everyone_listed(shunning: dict | None, **more) -> dict:
    sc = {"name": "shunning-test", "days": T, "population": {"agents": N},
          "behaviours": [],  # nobody acts: the threshold lists everyone
          "listing": {"threshold": 1100}, **more}
    if shunning is not None:
        sc["shunning"] = {"enabled": True, **shunning}
    return sc


def run(sc: dict, seed: int = 1):
    return scsim.simulate(scsim.load_scenario(sc), seed=seed)


def within(observed: float, expected: float, sd: float, k: float = 4.0) -> bool:
    return abs(observed - expected) <= k * sd


def test_refused_and_served_transactions_match_the_model():
    r, p = 0.5, 0.3
    m = run(everyone_listed({"rate": r, "refuse": p})).metrics
    assert (m["listed"] == N).all()
    refused, served = m["refused_transactions"].sum(), m["served_listed_transactions"].sum()
    mean_refused, mean_served = N * r * p * T, N * r * (1 - p) * T  # 9,000 and 21,000
    assert within(refused, mean_refused, math.sqrt(mean_refused)), refused
    assert within(served, mean_served, math.sqrt(mean_served)), served
    assert (m["company_points_lost"] == 0).all()  # no penalty


def test_companies_lose_penalty_points_per_served_transaction():
    penalty = 2.0
    res = run(everyone_listed({"rate": 0.5, "refuse": 0.3, "penalty": penalty}))
    m, companies = res.metrics, len(res.companies)
    lost = m["company_points_lost"].to_numpy()
    # no score reaches companies.min (0) in 20 days: every served transaction costs 2 points
    np.testing.assert_array_equal(lost, penalty * m["served_listed_transactions"].to_numpy())
    # nothing else moves company scores here: the mean falls by the points lost / companies
    expected = 1000.0 - np.cumsum(lost) / companies
    np.testing.assert_allclose(m["corp_score_mean"], expected, rtol=1e-6)


def test_company_scores_are_clamped_and_the_metric_counts_what_was_lost():
    res = run(everyone_listed({"rate": 0.5, "refuse": 0.3, "penalty": 400.0}))
    m = res.metrics
    assert res.companies["score"].min() == 0.0  # companies.min
    assert m["company_points_lost"].sum() == pytest.approx(1000.0 * len(res.companies))
    assert m["company_points_lost"].sum() < 400.0 * m["served_listed_transactions"].sum()


def test_top_tier_companies_refuse_more_when_their_factor_says_so():
    """Default company tiers: a (from 1000 points) and b. All companies start at
    companies.s0: at 1000 they are all in a, at 900 all in b."""
    r, p, factor = 0.5, 0.2, 2.5

    def refused_share(s0: float) -> tuple[float, float]:
        m = run(everyone_listed({"rate": r, "refuse": p, "tier_factor": {"a": factor}},
                                companies={"s0": s0})).metrics
        refused = m["refused_transactions"].sum()
        total = refused + m["served_listed_transactions"].sum()
        return refused / total, total

    top, n_top = refused_share(1000.0)
    other, n_other = refused_share(900.0)
    q = p * factor
    assert within(top, q, math.sqrt(q * (1 - q) / n_top)), top
    assert within(other, p, math.sqrt(p * (1 - p) / n_other)), other
    assert top > other


def test_regions_without_companies_have_no_transactions():
    """Two companies over three equal regions: one region has none, so only 2N/3 listed
    agents can transact."""
    r, p = 0.5, 0.3
    res = run(everyone_listed({"rate": r, "refuse": p}, regions={"count": 3},
                              companies={"per_1000_agents": 0.5}))
    assert len(res.companies) == 2 and res.companies["region"].nunique() == 2
    refused = res.metrics["refused_transactions"].sum()
    mean = (2 * N / 3) * r * p * T
    assert within(refused, mean, math.sqrt(mean)), refused


@INERT_ON_PURPOSE
def test_off_it_adds_no_column_and_changes_nothing():
    base = everyone_listed(None, companies={"recovery": 0.01})
    off = run(base)
    switched_off = run({**base, "shunning": {"enabled": False, "rate": 3.0, "penalty": 5.0}})
    assert not set(COLUMNS) & set(off.metrics.columns)
    for table in ("metrics", "agents", "companies"):
        pd.testing.assert_frame_equal(getattr(off, table), getattr(switched_off, table),
                                      check_exact=True)
    # on with nothing to do (rate 0): its columns are there, all zero, the rest unchanged
    idle = run({**base, "shunning": {"enabled": True, "rate": 0.0, "penalty": 5.0}})
    assert (idle.metrics[COLUMNS] == 0).all().all()
    pd.testing.assert_frame_equal(off.metrics, idle.metrics.drop(columns=COLUMNS),
                                  check_exact=True)
    pd.testing.assert_frame_equal(off.companies, idle.companies, check_exact=True)


def test_switched_on_by_the_timeline_counts_from_that_day():
    sc = {**everyone_listed(None), "shunning": {"enabled": False, "rate": 0.5, "refuse": 0.3},
          "timeline": [{"day": 10, "set": {"shunning.enabled": True}}]}
    m = run(sc).metrics
    assert (m.loc[m["day"] < 10, COLUMNS] == 0).all().all()
    assert (m.loc[m["day"] >= 10, "refused_transactions"] > 0).all()


def test_scenario_errors_name_the_key():
    with pytest.raises(ScenarioError, match="unknown company tier 'gold'"):
        scsim.load_scenario(everyone_listed({"tier_factor": {"gold": 2.0}}))
    with pytest.raises(ScenarioError, match="refuse"):
        scsim.load_scenario(everyone_listed({"refuze": 0.5}))
    with pytest.raises(ScenarioError, match="refuse"):
        scsim.load_scenario(everyone_listed({"refuse": 1.5}))


def test_the_example_of_the_docs_runs():
    example = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    import yaml

    data = yaml.safe_load(example)
    assert data["base"] == "pilot-1000" and data["shunning"]["enabled"]
    res = scsim.simulate(scsim.load_scenario(data, agents=4000, days=120,
                                             overrides=["listing.threshold=995"]), seed=3)
    m = res.metrics
    assert m["listed"].max() > 0 and m["refused_transactions"].sum() > 0
    assert m["company_points_lost"].sum() > 0
    plan = scsim.Simulation(scsim.load_scenario(data, agents=200, days=2)).plan()
    assert list(plan["phase"]).index("shunning") == list(plan["phase"]).index("sanction") + 1


RUN = """
import json, sys, scsim
sc = scsim.load_scenario(json.loads(sys.argv[1]))
scsim.simulate(sc, seed=5, threads=int(sys.argv[3])).save(sys.argv[2])
"""


def test_bit_identical_under_one_and_two_threads(tmp_path):
    """9,000 agents: three blocks, companies served from several blocks on one day."""
    sc = json.dumps({**everyone_listed({"rate": 0.8, "refuse": 0.4, "penalty": 1.5,
                                        "tier_factor": {"a": 1.5}}),
                     "population": {"agents": 9000}})
    tables = {}
    for threads in (1, 2):
        out = tmp_path / str(threads)
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-c", RUN, sc, str(out), str(threads)], env=env,
                       check=True)
        tables[threads] = {t: pd.read_parquet(out / f"{t}.parquet")
                           for t in ("metrics", "companies")}
    for t in ("metrics", "companies"):
        pd.testing.assert_frame_equal(tables[1][t], tables[2][t], check_exact=True)
    assert tables[1]["metrics"]["company_points_lost"].sum() > 0
