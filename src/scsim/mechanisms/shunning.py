"""Shunning by businesses (seed 002: businesses avoid the discredited). Each listed agent
of a started region attempts Poisson(``rate``) everyday service transactions a day (hotels,
loans, rentals, shops), each at a company of its region chosen uniformly; the company
refuses with probability ``refuse`` times the factor of its tier (at most 1), and a company
that serves a listed agent loses ``penalty`` points. Regions without companies have no
transactions. Off unless a scenario switches it on (its metric columns appear only then).

A parallel pass over blocks of agents draws and counts the transactions; a serial replay
of the blocks with served transactions, in agent order, takes the points off the companies
(several agents may be served by one company), so results do not depend on threads.
Company tiers are those of the start of the day (the companies step updates them later).
For case files, ``traced_transactions`` replays the traced agents' draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import SERVICES_REFUSED, SERVICES_SERVED, add_event, no_events
from scsim.core.mechanism import Mechanism, after
from scsim.core.metric import Metric, counter
from scsim.core.rng import SALT_1, agent_hash, below, poisson, rehash, sub_hash, unit
from scsim.core.state import DETAINED, LISTED
from scsim.core.step import Step, Today
from scsim.mechanisms.companies import with_companies, without_companies
from scsim.scenario.section import Name, Probability, Rate, Section, meta, switched_off

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "seed 002 (businesses avoid the discredited)"

# Random-draw purposes under a listed agent's hash in the day's "shunning" stream (values
# fixed: they are the numbers). Transaction j is draw FIRST_TRANSACTION + j: which company;
# its rehash with REFUSED: whether that company refuses.
TRANSACTIONS = 0
FIRST_TRANSACTION = 1
REFUSED = SALT_1


# --- scenario section: ``shunning`` --------------------------------------------------------

class Shunning(Section):
    enabled: bool = Field(False, description="true: businesses refuse listed agents")
    rate: Rate = Field(1.0, description="everyday service transactions (hotels, loans, "
                       "rentals, shops) a listed agent attempts per day",
                       json_schema_extra=meta("transactions per listed agent per day",
                                              SOURCE))
    refuse: Probability = Field(0.5, description="probability a company refuses a listed "
                                "agent (times its tier's factor, at most 1)",
                                json_schema_extra=meta("probability per transaction",
                                                       SOURCE))
    tier_factor: dict[Name, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=dict, description="multiplier on `refuse` for companies of that "
        "company tier (e.g. {a: 2.0}: top-tier companies refuse twice as often); others 1",
        json_schema_extra=meta("multiplier", SOURCE))
    penalty: Annotated[float, Field(ge=0.0)] = Field(
        0.0, description="points a company loses for each transaction it serves a listed "
        "agent (its score clamped to [companies.min, companies.max])",
        json_schema_extra=meta("points per served transaction", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Does the scenario switch shunning on? (It needs listings to do anything.)"""
    return sc.shunning.enabled


def check(sc: Scenario) -> list[tuple[tuple, str]]:
    tiers = [t.name for t in sc.companies.tiers]
    return [(("shunning", "tier_factor", name), f"unknown company tier '{name}' (known: "
             f"{', '.join(tiers)})") for name in sc.shunning.tier_factor if name not in tiers]


# --- compiled parameters -------------------------------------------------------------------

class ShunningParams(NamedTuple):
    on: bool
    rate: float  # transactions per listed agent per day
    refuse: np.ndarray  # float64 (company tiers, highest first): probability of refusal
    penalty: float  # points per served transaction; 0 when company scores do not move
    s_min: float  # companies' score range (points)
    s_max: float


def compile_shunning(sc: Scenario, names: Names) -> ShunningParams:
    sh = sc.shunning
    on = enabled(sc) and sc.listing.enabled and sh.rate > 0.0
    refuse = np.array([min(1.0, sh.refuse * sh.tier_factor.get(t, 1.0))
                       for t in names.company_tiers], np.float64)
    return ShunningParams(on=on, rate=sh.rate if on else 0.0, refuse=refuse,
                          penalty=sh.penalty if on and sc.companies.enabled else 0.0,
                          s_min=sc.companies.min, s_max=sc.companies.max)


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("shunning", counts=("refused_transactions", "served_listed_transactions"),
                    sums=("company_points_lost",))
C, S = COUNTERS.C, COUNTERS.S


@njit(cache=True, inline="always")
def transactions(p, key, i, region, started, status, company_region_start):
    """Agent i's transactions today: (its hash, how many, the first company of its region,
    the number of companies there). None unless it is listed, not detained, in a started
    region that has companies."""
    r = region[i]
    first = company_region_start[r]
    m = company_region_start[r + 1] - first
    if not started[r] or (status[i] & (LISTED | DETAINED)) != LISTED or m == 0:
        return np.uint64(0), 0, first, m
    h = agent_hash(key, i)
    return h, poisson(unit(sub_hash(h, TRANSACTIONS)), p.rate), first, m


@njit(cache=True, inline="always")
def transaction(p, h, j, first, m, company_tier):
    """Transaction j of the agent with hash h: (the company, whether it refuses)."""
    t = sub_hash(h, FIRST_TRANSACTION + j)
    c = first + below(t, m)
    return c, unit(rehash(t, REFUSED)) < p.refuse[company_tier[c]]


@njit(cache=True, parallel=True)
def shun(p, key, region, started, status, company_region_start, company_tier, counts, flags):
    """Draw and count the transactions of listed agents; flag blocks with served ones."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        refused = 0
        served = 0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            h, k, first, m = transactions(p, key, i, region, started, status,
                                          company_region_start)
            for j in range(k):
                _, refuses = transaction(p, h, j, first, m, company_tier)
                if refuses:
                    refused += 1
                else:
                    served += 1
        counts[blk, C.refused_transactions] = refused
        counts[blk, C.served_listed_transactions] = served
        flags[blk] = 1 if served > 0 else 0


@njit(cache=True)
def penalise_companies(p, key, region, started, status, company_region_start, company_tier,
                       company_score, sums, flags):
    """Serial, in agent order: each served transaction takes ``penalty`` points off its
    company (the same draws as ``shun``; tiers are not changed here, so the same refusals)."""
    n = len(status)
    for blk in flagged_blocks(flags):
        lost = 0.0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            h, k, first, m = transactions(p, key, i, region, started, status,
                                          company_region_start)
            for j in range(k):
                c, refuses = transaction(p, h, j, first, m, company_tier)
                if refuses:
                    continue
                before = company_score[c]
                company_score[c] = min(max(before - p.penalty, p.s_min), p.s_max)
                lost += before - company_score[c]
        sums[blk, S.company_points_lost] = lost


@njit(cache=True)
def traced_transactions(p, key, region, started, status, company_region_start, company_tier,
                        who):
    """Replay for the traced agents ``who`` (sorted ids) the transactions ``shun`` drew
    for them today, as events (``core.events``): ``services_refused`` and
    ``services_served``, each with how many (``value``), when there are any."""
    rows, m = no_events(), 0
    for i in who:
        h, k, first, n = transactions(p, key, i, region, started, status,
                                      company_region_start)
        refused = 0
        for j in range(k):
            _, refuses = transaction(p, h, j, first, n, company_tier)
            refused += 1 if refuses else 0
        if refused:
            rows, m = add_event(rows, m, i, SERVICES_REFUSED, -1, 0.0, -1, -1, -1, refused)
        if k > refused:
            rows, m = add_event(rows, m, i, SERVICES_SERVED, -1, 0.0, -1, -1, -1, k - refused)
    return rows[:m]


# --- the step ------------------------------------------------------------------------------

class ShunningStep(Step):
    kernels = (shun, penalise_companies)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        p, s, a, c, tally = t.p.shunning, t.state, t.state.agents, t.state.companies, t.tally
        key = t.key("shunning")
        shun(p, key, a["region"], t.started, a["status"], s.company_region_start, c["tier"],
             tally.counts["shunning"], tally.flags)
        if t.trace is not None and len(t.trace.traced) and p.rate > 0.0:
            t.trace.log(traced_transactions(p, key, a["region"], t.started, a["status"],
                                            s.company_region_start, c["tier"],
                                            t.trace.traced))
        if p.penalty > 0.0 and tally.flags.any():
            penalise_companies(p, key, a["region"], t.started, a["status"],
                               s.company_region_start, c["tier"], c["score"],
                               tally.sums["shunning"], tally.flags)


# --- metrics -------------------------------------------------------------------------------

METRICS = (
    Metric("refused_transactions", "transactions per day", "count",
           "everyday service transactions (hotels, loans, rentals, shops) companies refused "
           "to listed agents", label="transactions refused", headline=True,
           value=counter("refused_transactions")),
    Metric("served_listed_transactions", "transactions per day", "count",
           "everyday service transactions companies served to listed agents",
           label="listed agents served", value=counter("served_listed_transactions")),
    Metric("company_points_lost", "points per day", "rate",
           "points companies lost for serving listed agents (shunning.penalty each, "
           "after clamping)", label="company points lost",
           value=lambda m: m.tally.sum("company_points_lost")),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="shunning", place=after("sanction"),
    sections={"shunning": (Shunning, "businesses refuse listed agents (seed 002)")},
    compile=compile_shunning, step=ShunningStep,
    metrics=METRICS, metrics_after="pariahs",
    in_use=enabled, check=check,
    advice=(without_companies("shunning", "there is no business to refuse anyone"),
            with_companies(switched_off("shunning", "no business will refuse anyone"))))
