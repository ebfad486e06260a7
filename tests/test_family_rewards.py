"""Family rewards (src/scsim/mechanisms/family_rewards.py, docs/mechanisms/family-rewards.md):
the privileges of a top-tier agent extend to its household members.

Scores move on day 0 only (one act of -60 points seen with probability 0.5, then its rate
is 0), so who benefits is fixed from day 0 on and can be read from the final agents table:
an unlisted agent below the privilege's threshold with another household member in the
top tier (a: 1000 points and up) at or above the threshold. Its uses over T days are
Poisson(B · rate · T); the tolerance is 4.5 standard deviations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from conftest import bare, run

COLUMNS = ["family_beneficiaries", "family_privileges_used", "family_privilege_loan"]
T, RATE, THRESHOLD = 10, 0.2, 980.0


def scenario(family: dict | None):
    more = {} if family is None else {"family_rewards": family}
    return bare(days=T, population={"household_size": 3.0},
                behaviours=[{"name": "fine", "rate": 1.0, "delta": -60, "channel": "camera"}],
                timeline=[{"day": 1, "set": {"behaviours.fine.rate": 0}}],
                tiers=[{"name": "a", "min": 1000}, {"name": "b", "min": 0}],
                privileges={"enabled": True,
                            "grants": [{"name": "loan", "threshold": THRESHOLD,
                                        "rate": RATE}]}, **more)


def beneficiaries(agents: pd.DataFrame, household_start: np.ndarray) -> int:
    score, house = agents["score"].to_numpy(), agents["household"].to_numpy()
    top = (agents["tier"] == "a").to_numpy() & (score >= THRESHOLD)
    count = 0
    for i in np.flatnonzero(score < THRESHOLD):
        members = range(household_start[house[i]], household_start[house[i] + 1])
        count += any(top[j] for j in members if j != i)
    return count


def test_household_members_of_top_tier_agents_use_their_privileges():
    res, sim = run(scenario({"enabled": True}))
    m = res.metrics
    b = beneficiaries(res.agents, sim.state.household_start)
    assert b > 1000
    assert (m["family_beneficiaries"] == b).all()
    mean = b * RATE * T
    used = m["family_privileges_used"].sum()
    assert abs(used - mean) <= 4.5 * math.sqrt(mean), (used, mean)
    assert (m["family_privilege_loan"] == m["family_privileges_used"]).all()


def test_paired_off_it_adds_no_column_and_changes_nothing_else():
    on, _ = run(scenario({"enabled": True}))
    off, _ = run(scenario(None))
    switched_off, _ = run(scenario({"enabled": False}))
    assert not set(COLUMNS) & set(off.metrics.columns)
    pd.testing.assert_frame_equal(off.metrics, switched_off.metrics, check_exact=True)
    # counted apart: the agents' own privileges (and everything else) are unchanged
    pd.testing.assert_frame_equal(on.metrics.drop(columns=COLUMNS), off.metrics,
                                  check_exact=True)
    pd.testing.assert_frame_equal(on.agents, off.agents, check_exact=True)
    assert on.metrics["family_privileges_used"].sum() > 0
