"""Phase 6, sanction and reward: while listed, travel attempts (air, train), purchases of
luxury goods and homes, and job applications happen at their own per-day rates and are
blocked and counted; listed agents lose social media; children of listed parents (one or
both; with ``schools.score_below``, also of parents below that score) are barred from top
schools; house arrest below its threshold. Agents above a
privilege's threshold who are not listed use it at its rate."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric, counter
from scsim.core.rng import (
    agent_hash,
    lead,
    lead_threshold,
    name_id,
    poisson,
    screened_poisson,
    sub_hash,
    unit,
)
from scsim.core.state import (
    DETAINED,
    LISTED,
    WRONGFUL,
    add_capped,
    household_of,
    next_household,
)
from scsim.core.step import Step, Today
from scsim.scenario.section import (
    Advice,
    Name,
    Rate,
    Section,
    Written,
    left_at_default,
    meta,
    switched_off,
)

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 6. Sanction and reward"

# Random-draw purposes: draw k of a listed agent's hash (values fixed: they are the numbers).
AIR_ATTEMPT = 1
TRAIN_ATTEMPT = 2
PURCHASE_ATTEMPT = 3
JOB_ATTEMPT = 4


# --- scenario sections: ``sanctions`` and ``privileges`` -----------------------------------

class Travel(Section):
    enabled: bool = Field(True, description="false: no travel bans")
    air_rate: Rate = Field(0.0, description="air-ticket purchase attempts per listed person "
                           "per day (each one blocked)",
                           json_schema_extra=meta("attempts per listed person per day",
                                                  SOURCE))
    train_rate: Rate = Field(0.0, description="train-ticket purchase attempts per listed "
                             "person per day (each one blocked)",
                             json_schema_extra=meta("attempts per listed person per day",
                                                    SOURCE))


class RatedSanction(Section):
    enabled: bool = Field(True, description="false: not blocked")
    rate: Rate = Field(0.0, description="attempts per listed person per day",
                       json_schema_extra=meta("attempts per listed person per day", SOURCE))


class Switch(Section):
    enabled: bool = Field(True, description="false: not applied")


class Schools(Section):
    enabled: bool = Field(True, description="false: no school bar")
    parents: Literal["any", "both"] = Field(
        "any", description="a child is barred when one (any) or both parents are listed "
        "(or score below `score_below`)",
        json_schema_extra=meta("", SOURCE))
    score_below: float | None = Field(
        None, description="θ_school: a parent whose recorded score is below this also bars "
        "the child, listed or not (none: only listed parents do)",
        json_schema_extra=meta("points", "seed 004 (school bar by parents' scores)"))


class HouseArrest(Section):
    enabled: bool = Field(True, description="false: no house arrest")
    threshold: float | None = Field(None, description="house arrest below this score",
                                    json_schema_extra=meta("points", SOURCE))


class Sanctions(Section):
    enabled: bool = Field(True, description="false: no sanction at all")
    travel: Travel = Field(default_factory=Travel, description="air and train ticket bans")
    purchases: RatedSanction = Field(default_factory=RatedSanction,
                                     description="luxury goods and homes")
    social_media: Switch = Field(default_factory=Switch,
                                 description="listed agents cannot do `online` behaviours")
    jobs: RatedSanction = Field(default_factory=RatedSanction,
                                description="job applications and promotions")
    schools: Schools = Field(default_factory=Schools,
                             description="children of listed (or low-scoring) parents barred "
                             "from top schools")
    house_arrest: HouseArrest = Field(default_factory=HouseArrest,
                                      description="no `outside_home` behaviours")


class Privilege(Section):
    name: Name = Field(description="label used in metric columns (privilege_NAME)")
    threshold: float = Field(description="minimum score (points) to get it",
                             json_schema_extra=meta("points", SOURCE))
    rate: Rate = Field(description="uses per eligible person per day",
                       json_schema_extra=meta("uses per eligible person per day", SOURCE))


class Privileges(Section):
    enabled: bool = Field(True, description="false: no privilege is used")
    grants: list[Privilege] = Field(default_factory=list,
                                    description="rewards for agents above a score")


def enabled(sc: Scenario) -> bool:
    """Do sanctions of listed agents apply? (House arrest goes by score, see
    ``compile_sanction``; privileges by their own switch.)"""
    return sc.sanctions.enabled and sc.listing.enabled


no_ticket_blocked = left_at_default(
    "sanctions.travel", ("air_rate", "train_rate"),
    lambda sc: enabled(sc) and sc.sanctions.travel.enabled,
    lambda sc: sc.sanctions.travel.air_rate > 0 or sc.sanctions.travel.train_rate > 0,
    "sanctions.travel.enabled is true but sanctions.travel.air_rate and "
    "sanctions.travel.train_rate are 0, so no ticket will be blocked: set "
    "sanctions.travel.air_rate or sanctions.travel.train_rate (ticket purchase attempts per "
    "listed person per day)")
"""Travel bans on, both rates left at 0: no ticket is ever blocked."""


def _rate_left_at_zero(key: str, does: str):
    """The rule of a sanction with a rate (purchases, jobs): on, its rate left at 0."""
    return left_at_default(
        f"sanctions.{key}", ("rate",),
        lambda sc: enabled(sc) and getattr(sc.sanctions, key).enabled,
        lambda sc: getattr(sc.sanctions, key).rate > 0,
        f"sanctions.{key}.enabled is true but sanctions.{key}.rate is 0, so {does}: set "
        f"sanctions.{key}.rate (attempts per listed person per day)")


nobody_arrested = left_at_default(
    "sanctions.house_arrest", ("threshold",),
    lambda sc: sc.sanctions.enabled and sc.sanctions.house_arrest.enabled,
    lambda sc: sc.sanctions.house_arrest.threshold is not None,
    "sanctions.house_arrest.enabled is true but sanctions.house_arrest.threshold is not set, "
    "so nobody will be put under house arrest: set sanctions.house_arrest.threshold (points: "
    "house arrest below it)")
"""House arrest on, no threshold: nobody is ever put under house arrest."""


def no_privilege(sc: Scenario, written: Written) -> bool | Advice | None:
    """Privileges on, no grant: no privilege is ever used."""
    pr = sc.privileges
    if not pr.enabled:
        return None
    if any(g.rate > 0 for g in pr.grants):
        return True
    if not written("privileges") or written("privileges", "grants"):
        return None
    return (("privileges", "enabled"), "privileges.enabled is true but privileges.grants is "
            "empty, so no privilege will be granted: add privileges.grants (each a name, a "
            "threshold in points and a rate of uses per eligible person per day)")


# --- compiled parameters -------------------------------------------------------------------

class SanctionParams(NamedTuple):
    on: bool  # some sanction or privilege can happen
    air_rate: float  # attempts per listed person per day; 0 when off
    train_rate: float
    purchase_rate: float
    job_rate: float
    social_media_ban: bool
    school_bar: bool
    school_both_parents: bool
    school_threshold: float  # points: a parent below it bars the child; -inf when none
    arrest_threshold: float  # points; -inf when off
    p_threshold: np.ndarray  # float64 points (privileges)
    p_rate: np.ndarray  # float64, uses per eligible person per day (0 when off)
    p_key: np.ndarray  # uint64
    privileges: bool  # some privilege has a rate: agents not listed may use one


def compile_sanction(sc: Scenario, names: Names) -> SanctionParams:
    sanc, grants = sc.sanctions, sc.privileges.grants
    on = enabled(sc)

    def rate(section, value: float) -> float:
        return value if on and section.enabled else 0.0

    arrest = sanc.house_arrest
    p = SanctionParams(
        on=False,
        air_rate=rate(sanc.travel, sanc.travel.air_rate),
        train_rate=rate(sanc.travel, sanc.travel.train_rate),
        purchase_rate=rate(sanc.purchases, sanc.purchases.rate),
        job_rate=rate(sanc.jobs, sanc.jobs.rate),
        social_media_ban=on and sanc.social_media.enabled,
        school_bar=sanc.enabled and sanc.schools.enabled and (
            sc.listing.enabled or sanc.schools.score_below is not None),
        school_both_parents=sanc.schools.parents == "both",
        school_threshold=(-math.inf if sanc.schools.score_below is None
                          else sanc.schools.score_below),
        arrest_threshold=(arrest.threshold if sanc.enabled and arrest.enabled
                          and arrest.threshold is not None else -math.inf),
        p_threshold=np.array([g.threshold for g in grants], np.float64),
        p_rate=np.array([g.rate if sc.privileges.enabled else 0.0 for g in grants],
                        np.float64),
        p_key=np.array([name_id("privilege:" + g.name) for g in grants], np.uint64),
        privileges=False)
    p = p._replace(privileges=bool(np.any(p.p_rate > 0)))
    return p._replace(on=bool(
        p.air_rate > 0 or p.train_rate > 0 or p.purchase_rate > 0 or p.job_rate > 0
        or p.social_media_ban or p.school_bar or p.arrest_threshold > -math.inf
        or p.privileges))


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("sanction", counts=(
    "blocked_air", "blocked_train", "blocked_tickets_wrongful", "blocked_purchases",
    "blocked_jobs", "social_media_banned", "house_arrest", "children_barred"),
    arrays={"privilege": (np.int64, ("privileges",))})
C = COUNTERS.C


@njit(cache=True, inline="always")
def attempts(h, purpose, rate):
    """Attempts today, Poisson(rate), from draw ``purpose`` of hash h."""
    return poisson(unit(sub_hash(h, purpose)), rate) if rate > 0.0 else 0


@njit(cache=True, inline="always")
def parents_fail(first, status, scores, threshold, both):
    """True when the parents of a child whose household starts at agent ``first`` bar it
    from top schools (one of them, or both with ``both``): a parent fails when listed or
    when its recorded score is below ``threshold`` (points; -inf: only listing counts).
    Without branches: the kernel asks it of every agent, child or not (whether an agent is
    a child varies from one agent to the next, which a branch would mispredict), and uses
    the answer for children only; for the last agent of a household of one, the second
    parent read is the agent itself."""
    second = min(first + 1, len(status) - 1)
    one = ((status[first] & LISTED) != 0) | (scores[first, 0] < threshold)
    two = ((status[second] & LISTED) != 0) | (scores[second, 0] < threshold)
    return (one & two) if both else (one | two)


@njit(cache=True, parallel=True)
def sanction(p, key, region, started, household_start, scores, status, blocked_tickets,
             blocked_other, privileges_used, school_barred_days, counts, privilege):
    """Blocked attempts and restrictions of listed agents, privileges used by the others;
    a detained agent attempts nothing and uses no privilege (detention). An agent's hash
    is computed only when it may be used: for a listed agent, or for any agent when some
    privilege has a rate (``p.privileges``)."""
    p_threshold, p_rate, p_key = p.p_threshold, p.p_rate, p.p_key
    p_lead = np.empty(len(p_rate), np.int32)  # the screen of each privilege's draws
    for g in range(len(p_rate)):
        p_lead[g] = lead_threshold(p_rate[g])
    n = len(status)
    for blk in prange(n_blocks(n)):
        arrest = 0
        barred = 0
        air_total = 0
        train_total = 0
        wrongful_total = 0  # air and train tickets of agents listed wrongfully
        bought_total = 0
        applied_total = 0
        banned = 0
        lo, hi = block_bounds(blk, n)
        hh = household_of(household_start, lo)
        for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: see core.blocks
            hh = next_household(household_start, i, hh)
            if not started[region[i]]:
                continue
            s = scores[i, 0]
            if s < p.arrest_threshold and not status[i] & DETAINED:  # detention goes further
                arrest += 1
            first = household_start[hh]
            if p.school_bar and (np.int64(i) - first >= 2) & parents_fail(
                    first, status, scores, p.school_threshold, p.school_both_parents):
                barred += 1
                add_capped(school_barred_days, i, 1)
            if status[i] & DETAINED:  # no tickets, purchases, applications or privileges
                if status[i] & LISTED and p.social_media_ban:
                    banned += 1
                continue
            if status[i] & LISTED:
                h = agent_hash(key, i)
                air = attempts(h, AIR_ATTEMPT, p.air_rate)
                train = attempts(h, TRAIN_ATTEMPT, p.train_rate)
                bought = attempts(h, PURCHASE_ATTEMPT, p.purchase_rate)
                applied = attempts(h, JOB_ATTEMPT, p.job_rate)
                air_total += air
                train_total += train
                if status[i] & WRONGFUL:
                    wrongful_total += air + train
                bought_total += bought
                applied_total += applied
                add_capped(blocked_tickets, i, air + train)
                add_capped(blocked_other, i, bought + applied)
                if p.social_media_ban:
                    banned += 1
                continue
            if not p.privileges:
                continue
            # Most agents use no privilege today, which a branch-free screen of the leading
            # bits of their uniform numbers (core.rng.lead) finds first.
            h = agent_hash(key, i)
            possible = False
            for g in range(len(p_rate)):
                possible |= (s >= p_threshold[g]) & (lead(h, p_key[g]) >= p_lead[g])
            if not possible:
                continue
            for g in range(len(p_rate)):
                if s >= p_threshold[g] and p_rate[g] > 0.0:
                    used = screened_poisson(h, p_key[g], p_rate[g])
                    privilege[blk, g] += used
                    add_capped(privileges_used, i, used)
        counts[blk, C.house_arrest] = arrest
        counts[blk, C.children_barred] = barred
        counts[blk, C.blocked_air] = air_total
        counts[blk, C.blocked_train] = train_total
        counts[blk, C.blocked_tickets_wrongful] = wrongful_total
        counts[blk, C.blocked_purchases] = bought_total
        counts[blk, C.blocked_jobs] = applied_total
        counts[blk, C.social_media_banned] = banned


# --- the step ------------------------------------------------------------------------------

class Sanction(Step):
    kernels = (sanction,)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        s, a, tally = t.state, t.state.agents, t.tally
        sanction(t.p.sanction, t.key("sanction"), a["region"], t.started, s.household_start,
                 a["scores"], a["status"], a["blocked_tickets"], a["blocked_other"],
                 a["privileges_used"], a["school_barred_days"], tally.counts["sanction"],
                 tally.arrays["privilege"])


# --- metrics -------------------------------------------------------------------------------

def _privileges(m):
    return m.tally.total("privilege")[: len(m.names.privileges)]


METRICS = (
    Metric("blocked_air", "tickets per day", "count", "air tickets refused to listed agents",
           label="blocked air tickets", headline=True, value=counter("blocked_air")),
    Metric("blocked_train", "tickets per day", "count",
           "train tickets refused to listed agents", label="blocked train tickets",
           headline=True, value=counter("blocked_train")),
    Metric("blocked_tickets_wrongful", "tickets per day", "count",
           "air and train tickets refused to agents listed wrongfully (a listing the "
           "error-free record had not made on its day)",
           label="blocked tickets, wrongfully listed", headline=True,
           value=counter("blocked_tickets_wrongful")),
    Metric("blocked_purchases", "purchases per day", "count",
           "purchases of luxury goods and homes refused", label="blocked purchases",
           headline=True, value=counter("blocked_purchases")),
    Metric("blocked_jobs", "applications per day", "count",
           "job applications and promotions refused", label="blocked job applications",
           headline=True, value=counter("blocked_jobs")),
    Metric("social_media_banned", "agents", "level", "listed agents banned from social media",
           label="banned from social media", value=counter("social_media_banned")),
    Metric("house_arrest", "agents", "level", "agents under house arrest (below "
           "θ_arrest, not detained)",
           label="under house arrest", value=counter("house_arrest")),
    Metric("children_barred", "agents", "level", "children barred from top schools",
           label="children barred from top schools", value=counter("children_barred")),
    Metric("privileges_used", "uses per day", "count", "uses of all privileges",
           headline=True, value=lambda m: _privileges(m).sum()),
    Metric("privilege_{}", "uses per day", "count", "uses of privilege NAME",
           label="uses of privilege NAME", per="privileges", value=_privileges),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="sanction", place=60,
    sections={"sanctions": (Sanctions, "what listed citizens cannot do"),
              "privileges": (Privileges, "rewards above thresholds")},
    compile=compile_sanction, step=Sanction,
    metrics=METRICS, metrics_after="wrongful_new",
    advice=(no_ticket_blocked, _rate_left_at_zero("purchases", "no purchase will be blocked"),
            _rate_left_at_zero("jobs", "no job application or promotion will be barred"),
            nobody_arrested, no_privilege,
            switched_off("sanctions.travel", "no ticket will be blocked",
                         ("air_rate", "train_rate")),
            switched_off("sanctions.purchases", "no purchase will be blocked", ("rate",)),
            switched_off("sanctions.jobs", "no job application or promotion will be barred",
                         ("rate",)),
            switched_off("sanctions.schools", "no child will be barred from top schools",
                         ("parents", "score_below")),
            switched_off("sanctions.house_arrest", "nobody will be put under house arrest",
                         ("threshold",)),
            switched_off("privileges", "no privilege will be granted", ("grants",))))
