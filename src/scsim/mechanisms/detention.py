"""Detention (seeds 002, 004: re-education camps, detention beyond house arrest). Each day, in
regions where the system has started, an agent who is not detained and whose recorded score
is below θ_detain (``threshold``), or who is listed for a political act (below), is detained
with probability ``probability`` for ``days`` days. A detained agent performs no outside or
online acts (behave reads the ``DETAINED`` status bit) and files no false reports (report).
It keeps its ties (they are not severed) but cannot use them: with ``suspend_ties`` (the
default), while either end of a tie is detained the tie is suspended (the ``SUSPENDED`` tie
bit): neither end counts it in association, listed neighbours, group bonuses, exposure, peer
norms, reports or shunning, as for a severed tie, and it is active again once neither end is
detained, unless it was severed. While some member of a household is detained, every other
member loses ``household_penalty`` points a day (both scores, booked to the source
``detention_household``, clamped to the score range) and its fear rises by
``household_fear`` a day (at most 1). Off unless a scenario switches it on; a timeline step
that switches it off releases everyone detained.

Listed for a political act: listed, with a political act (a behaviour named in
``political``) on its record since its previous listing ended (the ``POLITICAL_RECORD``
status bit, set by an accepted observation: a sighting, a true report, or, by error, a
misattributed sighting or an accepted false report; cleared when a listing ends). Acts
the system never saw do not count.

Two parallel passes and a serial one: the first releases and detains (each agent writes
only its own status and release day) and flags the blocks where someone was; the serial
pass suspends the ties of those detained today and frees those of those released (it
writes both ends' neighbour counts); the second parallel pass lets each agent look at its
own household (read-only) and penalise itself (``traced_relatives`` tells the traced
among them which member is detained, for case files). The release days are carried by the
step (int32 per agent, allocated on the first day it runs; in checkpoints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import DETENTION_CAUSES, RELATIVE_DETAINED, add_event, no_events
from scsim.core.mechanism import Mechanism, after
from scsim.core.metric import Metric, counter
from scsim.core.rng import agent_hash, unit
from scsim.core.source import Source, Sources, account, take_from_both
from scsim.core.state import (
    DETAINED,
    LISTED,
    ONE,
    POLITICAL_RECORD,
    TIES_SUSPENDED,
    household_of,
    next_household,
)
from scsim.core.step import Step, Today
from scsim.mechanisms.ties import suspend_ties
from scsim.scenario.section import Advice, Name, Probability, Section, Written, meta, switched_off

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "seeds 002, 004 (re-education camps, detention beyond house arrest)"


# --- scenario section: ``detention`` -------------------------------------------------------

class Detention(Section):
    enabled: bool = Field(False, description="true: agents below θ_detain or listed for a "
                          "political act are detained")
    threshold: float | None = Field(
        None, description="θ_detain: agents whose recorded score is below it can be "
        "detained (none: only political acts count)",
        json_schema_extra=meta("points", SOURCE))
    political: list[Name] = Field(
        default_factory=list, description="behaviours that are political acts: a listed "
        "agent with one on its record (seen, or reported and accepted, since its previous "
        "listing ended) can be detained",
        json_schema_extra=meta("", SOURCE))
    probability: Probability = Field(0.01, description="p_detain: per-day probability that "
                                     "an agent who can be detained is",
                                     json_schema_extra=meta("probability per day", SOURCE))
    days: Annotated[int, Field(ge=1)] = Field(
        90, description="D_detain: length of a detention (at least one day)",
        json_schema_extra=meta("days", SOURCE))
    household_penalty: Annotated[float, Field(ge=0.0)] = Field(
        0.0, description="points each other household member loses per day of detention",
        json_schema_extra=meta("points per day", SOURCE))
    household_fear: Probability = Field(
        0.0, description="rise of each other household member's fear per day of detention",
        json_schema_extra=meta("fear per day", SOURCE))
    suspend_ties: bool = Field(
        True, description="true: a detained agent's ties count for neither end until its "
        "release (it keeps them but cannot use them); false: they stay active for both "
        "ends (its neighbours still count it in association; it files no reports)",
        json_schema_extra=meta("", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Does the scenario switch detention on?"""
    return sc.detention.enabled


def suspends_ties(sc: Scenario) -> bool:
    """Can a tie be suspended (detention on with ``suspend_ties``, and somebody can be
    detained: a probability above 0, and a threshold or a political act)? Without, and
    without shaming, no tie ever goes inactive: ``deg_active`` is each agent's degree
    (``Mechanism.arrays``)."""
    de = sc.detention
    return (de.enabled and de.suspend_ties and de.probability > 0.0
            and (de.threshold is not None or bool(de.political)))


def check(sc: Scenario) -> list[tuple[tuple, str]]:
    known = [b.name for b in sc.behaviours]
    return [(("detention", "political", name), f"unknown behaviour '{name}' (known: "
             f"{', '.join(known)})") for name in sc.detention.political if name not in known]


def release_day_bytes(sc: Scenario) -> float:
    """Bytes per agent the step keeps: the int32 release day."""
    return 4.0 if enabled(sc) else 0.0


def nobody_detained(sc: Scenario, written: Written) -> bool | Advice | None:
    """Detention on, no threshold and no political act: nobody can be detained."""
    de = sc.detention
    if not de.enabled:
        return None
    if de.threshold is not None or de.political:
        return True if de.probability > 0 else None
    if written("detention", "threshold") or written("detention", "political"):
        return None
    where = written.first(("detention",), ("enabled", "probability", "days"))
    return (where, "detention.enabled is true but detention.threshold is not set and "
            "detention.political is empty, so nobody will be detained: set "
            "detention.threshold (points: agents below it can be detained) or "
            "detention.political (behaviours that are political acts)")


# --- compiled parameters -------------------------------------------------------------------

class DetentionParams(NamedTuple):
    on: bool  # used in some epoch of the scenario (when off in this one: releases only)
    enabled: bool  # switched on in this epoch (off: everyone detained is released)
    threshold: float  # θ_detain, points; -inf when none
    probability: float  # per day; 0 when nobody can be detained
    days: int
    penalty: float  # points per day per detained household member
    fear_rise: float  # fear per day
    suspend_ties: bool  # suspend the ties of those detained from now on
    s_min: float  # the score range (points)
    s_max: float


def compile_detention(sc: Scenario, names: Names) -> DetentionParams:
    de = sc.detention
    return DetentionParams(
        on="detention" in names.optional, enabled=enabled(sc),
        threshold=-np.inf if de.threshold is None else de.threshold,
        probability=de.probability if enabled(sc) else 0.0,
        days=de.days, penalty=de.household_penalty, fear_rise=de.household_fear,
        suspend_ties=de.suspend_ties,
        s_min=sc.scoring.min, s_max=sc.scoring.max)


# --- counters, sources and kernels ---------------------------------------------------------

COUNTERS = Counters("detention", counts=("new_detentions", "political_detentions",
                                         "released", "detained",
                                         "households_affected", "relatives_penalised",
                                         "ties_suspended", "ties_freed"),
                    sums=("relatives_points_lost",))
C, S = COUNTERS.C, COUNTERS.S

SOURCES = Sources(
    "detention",
    Source("detention_household", "detention of a relative", "points it loses each day "
           "while someone of its household is detained (detention.household_penalty: "
           "points per day)"),
    uses=("clamping",))
SRC = SOURCES.S


@njit(cache=True, inline="always")
def listed_for_politics(st):
    """Is an agent of status ``st`` listed for a political act (listed, with a political
    act on its record since its previous listing ended)?"""
    return (st & LISTED) != 0 and (st & POLITICAL_RECORD) != 0


@njit(cache=True, parallel=True)
def detain(p, key, day, region, started, scores, status, release_day, counts, flags):
    """Release those whose detention ends today (everyone, when detention is switched
    off: abolition frees them); detain, with probability p.probability, those who can
    be: below θ_detain or listed for a political act (``listed_for_politics``; counted
    apart when not below θ_detain); count who is detained at the end; flag the blocks
    where someone was detained or released."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        new = 0
        political = 0
        released = 0
        detained = 0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            st = status[i]
            if st & DETAINED and (release_day[i] <= day or not p.enabled):
                st &= ~DETAINED
                released += 1
            elif not st & DETAINED and started[region[i]] and p.probability > 0.0:
                below = scores[i, 0] < p.threshold
                if ((below or listed_for_politics(st))
                        and unit(agent_hash(key, i)) < p.probability):
                    st |= DETAINED
                    release_day[i] = day + p.days
                    new += 1
                    political += 0 if below else 1
            status[i] = st
            if st & DETAINED:
                detained += 1
        counts[blk, C.new_detentions] = new
        counts[blk, C.political_detentions] = political
        counts[blk, C.released] = released
        counts[blk, C.detained] = detained
        flags[blk] = 1 if new + released > 0 else 0


@njit(cache=True)
def suspend(p, indptr, entries, status, deg_active, nbr_listed, nbr_clean_listed,
            nbr_shamed, counts, flags):
    """Serial: suspend the ties of those detained today (when ``p.suspend_ties``) and free
    those of those released (``ties.suspend_ties``), in agent order; count the ties that
    changed."""
    n = len(status)
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            st = status[i]
            detained = (st & DETAINED) != 0
            if detained == ((st & TIES_SUSPENDED) != 0) or (detained and not p.suspend_ties):
                continue
            status[i] = st ^ TIES_SUSPENDED
            changed = suspend_ties(i, indptr, entries, status, deg_active, nbr_listed,
                                   nbr_clean_listed, nbr_shamed)
            if detained:
                counts[blk, C.ties_suspended] += changed
            else:
                counts[blk, C.ties_freed] += changed


@njit(cache=True, inline="always")
def detained_relatives(i, hh, household_start, status):
    """The members of agent i's household (``hh``) other than i who are detained: (how
    many, the first of them in household order; -1 when none)."""
    count, first = 0, -1
    for j in range(household_start[hh], household_start[hh + ONE]):
        if j != i and status[j] & DETAINED:
            count += 1
            first = j if first < 0 else first
    return count, first


@njit(cache=True, parallel=True)
def punish_households(p, household_start, status, scores, fear, bk, counts, sums):
    """Each agent with another household member detained loses ``penalty`` points (both
    scores, booked: ``bk``, and clamped) and its fear rises by ``fear_rise``; households
    with a detained member are counted at their first agent."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        households = 0
        relatives = 0
        lost = 0.0
        lo, hi = block_bounds(blk, n)
        hh = household_of(household_start, lo)
        for i in range(lo, hi):
            hh = next_household(household_start, i, hh)
            others, _ = detained_relatives(i, hh, household_start, status)
            if i == household_start[hh] and (others > 0 or status[i] & DETAINED):
                households += 1
            if others == 0:
                continue
            relatives += 1
            fear[i] = min(1.0, fear[i] + p.fear_rise)
            if p.penalty > 0.0:
                before = scores[i, 0]
                take_from_both(bk, account(bk, i), SRC.detention_household, SRC.clamping,
                               scores, i, p.penalty, p.s_min, p.s_max)
                lost += before - scores[i, 0]
        counts[blk, C.households_affected] = households
        counts[blk, C.relatives_penalised] = relatives
        sums[blk, S.relatives_points_lost] = lost


@njit(cache=True)
def traced_relatives(p, slot, household_start, status, who):
    """The traced agents ``who`` (sorted ids) that ``punish_households`` penalised today,
    as events (``core.events``): ``relative_detained``, naming the first detained member of
    the household (``other_agent``) with how many are (``value``), and the points booked
    to ``detention_household`` (ledger column ``slot``, -1 when no points are taken; what
    a clamp gave back is booked to clamping)."""
    rows, m = no_events(), 0
    points = -p.penalty if slot >= 0 else 0.0
    for i in who:
        others, first = detained_relatives(i, household_of(household_start, i),
                                           household_start, status)
        if others:
            rows, m = add_event(rows, m, i, RELATIVE_DETAINED, slot, points, first, -1, -1,
                                others)
    return rows[:m]


# --- the step ------------------------------------------------------------------------------

class DetentionStep(Step):
    kernels = (detain, suspend, punish_households)
    counters = COUNTERS

    def __init__(self, sim) -> None:
        super().__init__(sim)
        self.release_day: np.ndarray | None = None  # int32 per agent, from the first day on
        # The traced agents detained today (sorted ids) and why (index of
        # core.events.DETENTION_CAUSES), for their case files.
        self.traced_detained = np.zeros(0, np.int64)
        self.traced_detained_for = np.zeros(0, np.int8)

    def run(self, t: Today) -> None:
        p, s, a, tally = t.p.detention, t.state, t.state.agents, t.tally
        if self.release_day is None:
            self.release_day = np.zeros(s.n, np.int32)
        counts = tally.counts["detention"]
        traced = t.trace.traced if t.trace is not None else np.zeros(0, np.int64)
        was_detained = (a["status"][traced] & DETAINED) != 0
        detain(p, t.key("detention"), t.day, a["region"], t.started, a["scores"], a["status"],
               self.release_day, counts, tally.flags)
        new = traced[((a["status"][traced] & DETAINED) != 0) & ~was_detained]
        self.traced_detained = new.astype(np.int64)
        self.traced_detained_for = np.where(
            a["scores"][new, 0] < p.threshold, DETENTION_CAUSES.index("score_below_threshold"),
            DETENTION_CAUSES.index("political_act")).astype(np.int8)
        if tally.flags.any():
            suspend(p, t.state.net.indptr, t.state.net.entries, a["status"],
                    a["deg_active"], a["nbr_listed"], a["nbr_clean_listed"], a["nbr_shamed"],
                    counts, tally.flags)
        if tally.count("detained"):
            punish_households(p, s.household_start, a["status"], a["scores"], a["fear"],
                              t.book(SOURCES), counts, tally.sums["detention"])
            if len(traced):
                slot = self.sim.ledger.slot("detention_household") if p.penalty > 0.0 else -1
                t.trace.log(traced_relatives(p, slot, s.household_start, a["status"],
                                             traced))


# --- metrics -------------------------------------------------------------------------------

METRICS = (
    Metric("detained", "agents", "level", "agents detained now", label="detained",
           headline=True, value=counter("detained")),
    Metric("new_detentions", "agents per day", "count", "agents detained today (their "
           "total over a run times detention.days: the detention-days begun)",
           label="new detentions", value=counter("new_detentions")),
    Metric("political_detentions", "agents per day", "count", "agents detained today "
           "for a political act alone: listed with one on the record, not below θ_detain",
           label="detained for a political act", value=counter("political_detentions")),
    Metric("released", "agents per day", "count", "agents released today (their detention "
           "over, or detention switched off)", label="released", value=counter("released")),
    Metric("detention_days", "agent-days per day", "count", "days spent in detention "
           "today (the detained now; totalled over a run: detention-days)",
           label="detention-days", value=counter("detained")),
    Metric("households_affected", "households", "level", "households with a member "
           "detained now", label="households affected", value=counter("households_affected")),
    Metric("relatives_penalised", "agents", "level", "household members of detained agents "
           "(penalised and feared for today)", label="relatives penalised",
           value=counter("relatives_penalised")),
    Metric("relatives_points_lost", "points per day", "rate", "points household members "
           "of detained agents lost today (after clamping)", label="relatives' points lost",
           value=lambda m: m.tally.sum("relatives_points_lost")),
    Metric("ties_suspended", "ties per day", "count", "ties suspended today because an end "
           "was detained (a tie between two detained agents counts once)",
           label="ties suspended", value=counter("ties_suspended")),
    Metric("ties_freed", "ties per day", "count", "suspended ties active again today "
           "because neither end is detained any more", label="ties freed",
           value=counter("ties_freed")),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="detention", place=after("shunning"),
    sections={"detention": (Detention, "detention below θ_detain or for political acts "
                            "(seeds 002, 004)")},
    compile=compile_detention, step=DetentionStep, sources=SOURCES,
    metrics=METRICS, metrics_after="children_barred", in_use=enabled, check=check,
    advice=(switched_off("detention", "nobody will be detained"), nobody_detained),
    state_bytes=release_day_bytes, arrays=("deg_active",), arrays_used=suspends_ties)
