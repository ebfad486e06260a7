"""Family rewards (seed 001: good citizens' families get better schools and housing). The
privileges of an agent in the top tier extend to its household members: a member of a
started region who is not listed and is below a privilege's threshold uses that privilege
at its rate (``privileges.grants``) while some other member of its household is in the top
tier, unlisted and at or above the threshold. These uses are counted apart from the
members' own privileges (``family_privilege_NAME``). Off unless a scenario switches it on.

Each agent looks only at its own household (read-only) and writes its own block's counters,
so one parallel pass suffices; its draws come from the day's ``family_rewards`` stream with
the privileges' own draw numbers. For case files, ``traced_family_rewards`` replays the
traced agents' draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import FAMILY_PRIVILEGES_USED, add_event, no_events
from scsim.core.mechanism import Mechanism, after
from scsim.core.metric import Metric, counter
from scsim.core.rng import agent_hash, poisson, sub_hash, unit
from scsim.core.state import DETAINED, LISTED, ONE, household_of, next_household
from scsim.core.step import Step, Today
from scsim.scenario.section import Advice, Section, Written

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "seed 001 (good citizens' families get better schools and housing)"
TOP_TIER = 0  # tiers are numbered from the highest threshold down


# --- scenario section: ``family_rewards`` --------------------------------------------------

class FamilyRewards(Section):
    enabled: bool = Field(False, description="true: privileges of a top-tier agent extend "
                          "to its household members (seed 001)")


def enabled(sc: Scenario) -> bool:
    """Does the scenario switch family rewards on?"""
    return sc.family_rewards.enabled


def nothing_extended(sc: Scenario, written: Written) -> bool | Advice | None:
    """Family rewards on, with no tiers (no top tier) or no privilege: nothing to extend."""
    if not enabled(sc):
        return None
    grants = sc.privileges.grants if sc.privileges.enabled else []
    if sc.tiers and any(g.rate > 0 for g in grants):
        return True
    if not sc.tiers and not written("tiers"):
        return (("family_rewards", "enabled"), "family_rewards.enabled is true but no tiers "
                "are defined, so there is no top tier whose privileges could extend to a "
                "household: add tiers (each a name and a min score in points)")
    if sc.privileges.enabled and not grants and not written("privileges", "grants"):
        return (("family_rewards", "enabled"), "family_rewards.enabled is true but "
                "privileges.grants is empty, so there is no privilege to extend to a "
                "household: add privileges.grants (each a name, a threshold in points and a "
                "rate of uses per eligible person per day)")
    return None


# --- compiled parameters -------------------------------------------------------------------

class FamilyRewardsParams(NamedTuple):
    on: bool  # switched on, with tiers and some privilege used at a positive rate


def compile_family_rewards(sc: Scenario, names: Names) -> FamilyRewardsParams:
    rates = [g.rate for g in sc.privileges.grants] if sc.privileges.enabled else []
    return FamilyRewardsParams(on=enabled(sc) and bool(names.tiers) and any(
        r > 0.0 for r in rates))


# --- counters and kernel -------------------------------------------------------------------

COUNTERS = Counters("family_rewards", counts=("family_beneficiaries",),
                    arrays={"family_privilege": (np.int64, ("privileges",))})
C = COUNTERS.C


@njit(cache=True, inline="always")
def family_best(i, hh, household_start, scores, status, tier):
    """The unlisted top-tier member of agent i's household (``hh``) other than i with the
    highest recorded score (the first in household order among equals): (its score,
    points; its id), (-inf, -1) when there is none."""
    best, member = -np.inf, -1
    for j in range(household_start[hh], household_start[hh + ONE]):
        if j != i and tier[j] == TOP_TIER and not status[j] & LISTED and scores[j, 0] > best:
            best, member = scores[j, 0], j
    return best, member


@njit(cache=True, inline="always")
def family_uses(i, hh, key, p_threshold, p_rate, p_key, region, started, household_start,
                scores, status, tier, uses):
    """Agent i's uses today of each privilege it gets through its family (household
    ``hh``; none while it is listed or detained), into ``uses`` (int64 per privilege: how
    many, -1 for one it does not get so), and the household member it gets them through
    (``family_best``; -1 when none)."""
    uses[:] = -1
    if not started[region[i]] or status[i] & (LISTED | DETAINED):
        return -1
    best, member = family_best(i, hh, household_start, scores, status, tier)
    s = scores[i, 0]
    h = agent_hash(key, i)
    for g in range(len(p_rate)):
        if s < p_threshold[g] <= best and p_rate[g] > 0.0:
            uses[g] = poisson(unit(sub_hash(h, p_key[g])), p_rate[g])
    return member


@njit(cache=True, parallel=True)
def family_rewards(key, p_threshold, p_rate, p_key, region, started, household_start,
                   scores, status, tier, counts, privilege):
    """Count the members who get a privilege through their family today and its uses."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        beneficiaries = 0
        uses = np.empty(len(p_rate), np.int64)
        lo, hi = block_bounds(blk, n)
        hh = household_of(household_start, lo)
        for i in range(lo, hi):
            hh = next_household(household_start, i, hh)
            family_uses(i, hh, key, p_threshold, p_rate, p_key, region, started,
                        household_start, scores, status, tier, uses)
            benefits = False
            for g in range(len(p_rate)):
                if uses[g] >= 0:
                    benefits = True
                    privilege[blk, g] += uses[g]
            if benefits:
                beneficiaries += 1
        counts[blk, C.family_beneficiaries] = beneficiaries


@njit(cache=True)
def traced_family_rewards(key, p_threshold, p_rate, p_key, region, started,
                          household_start, scores, status, tier, who):
    """Replay for the traced agents ``who`` (sorted ids) the uses ``family_rewards`` drew
    for them today, as events (``core.events``): ``family_privileges_used``, with how many
    (``value``) and the household member they came through (``other_agent``)."""
    rows, m = no_events(), 0
    uses = np.empty(len(p_rate), np.int64)
    for i in who:
        member = family_uses(i, household_of(household_start, i), key, p_threshold, p_rate,
                             p_key, region, started, household_start, scores, status, tier,
                             uses)
        used = uses[uses > 0].sum()
        if used:
            rows, m = add_event(rows, m, i, FAMILY_PRIVILEGES_USED, -1, 0.0, member, -1, -1,
                                used)
    return rows[:m]


# --- the step ------------------------------------------------------------------------------

class FamilyRewardsStep(Step):
    kernels = (family_rewards,)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        s, a, g = t.state, t.state.agents, t.p.sanction
        key = t.key("family_rewards")
        family_rewards(key, g.p_threshold, g.p_rate, g.p_key, a["region"], t.started,
                       s.household_start, a["scores"], a["status"], a["tier"],
                       t.tally.counts["family_rewards"], t.tally.arrays["family_privilege"])
        if t.trace is not None and len(t.trace.traced):
            t.trace.log(traced_family_rewards(key, g.p_threshold, g.p_rate, g.p_key,
                                              a["region"], t.started, s.household_start,
                                              a["scores"], a["status"], a["tier"],
                                              t.trace.traced))


# --- metrics -------------------------------------------------------------------------------

def _family_privileges(m):
    return m.tally.total("family_privilege")[: len(m.names.privileges)]


METRICS = (
    Metric("family_beneficiaries", "agents", "level",
           "household members of top-tier agents who get a privilege they would not get "
           "by their own score", label="family beneficiaries",
           value=counter("family_beneficiaries")),
    Metric("family_privileges_used", "uses per day", "count",
           "uses of privileges extended to household members of top-tier agents (not in "
           "privileges_used)", label="privileges used through family", headline=True,
           value=lambda m: _family_privileges(m).sum()),
    Metric("family_privilege_{}", "uses per day", "count",
           "uses of privilege NAME extended to household members of top-tier agents",
           label="uses of privilege NAME through family", per="privileges",
           value=_family_privileges),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="family_rewards", place=after("shunning"),
    sections={"family_rewards": (FamilyRewards, "privileges extend to top-tier agents' "
                                 "households (seed 001)")},
    compile=compile_family_rewards, step=FamilyRewardsStep,
    metrics=METRICS, metrics_after="privilege_{}", in_use=enabled,
    advice=(nothing_extended,))
