"""Phase 5, classify: tiers by thresholds; listing below the threshold or on an accepted
severe act for a fixed term; renewal at term end, removal on compliance or a won appeal.
A listing is wrongful when the error-free record would not have listed the agent that day."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import APPEAL_FILED as EV_APPEAL_FILED
from scsim.core.events import APPEAL_LOST as EV_APPEAL_LOST
from scsim.core.events import APPEAL_WON as EV_APPEAL_WON
from scsim.core.events import add_event, no_events
from scsim.core.mechanism import Columns, Mechanism
from scsim.core.metric import Metric, PerName, counter
from scsim.core.rng import SALT_1, SALT_2, agent_hash, below, rehash, stream_key, unit
from scsim.core.source import Source, Sources, account, book
from scsim.core.state import (
    CLEAN_LISTED,
    DELISTED,
    LISTED,
    NEW_LISTED,
    POLITICAL_RECORD,
    PROTECTED,
    SEVERE_CLEAN,
    SEVERE_REAL,
    SHAMED,
    WRONGFUL,
    add_capped,
    clean_column,
)
from scsim.core.step import Step, Today
from scsim.mechanisms.score import GROUP_SCORE_MEAN
from scsim.mechanisms.ties import broadcast
from scsim.scenario.section import (
    Advice,
    Days,
    Name,
    Probability,
    Section,
    Written,
    left_at_default,
    meta,
    overridden,
    switched_off,
)

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.core.state import State
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 5. Classify"

# Random-draw purposes under a listed agent's hash (values fixed: they are the numbers).
APPEAL_FILED = SALT_1  # (the hash itself decides compliance)
APPEAL_WON = SALT_2
INITIAL_TERM = SALT_1  # under an agent's hash in the stream "initial:listing"


# --- scenario sections: ``tiers`` and ``listing`` ------------------------------------------

class Tier(Section):
    name: Name = Field(description="label used in metric columns (tier_NAME)")
    min: float = Field(description="lowest score (points) of the tier",
                       json_schema_extra=meta("points", SOURCE))


class Appeals(Section):
    enabled: bool = Field(True, description="false: no appeals")
    rate: Probability = Field(0.0, description="per-day probability a listed agent appeals",
                              json_schema_extra=meta("probability per day", SOURCE))
    win: Probability = Field(0.1, description="probability an appeal succeeds",
                             json_schema_extra=meta("probability", SOURCE))
    win_wrongful: Probability | None = Field(
        None, description="probability an appeal of a wrongful listing succeeds; default: "
        "as win", json_schema_extra=meta("probability", SOURCE))
    correct_record: bool = Field(
        True, description="a won appeal removes misattributions and false reports")
    protection_days: Days = Field(30, description="no threshold relisting after a won appeal",
                                  json_schema_extra=meta("days", SOURCE))


class Listing(Section):
    enabled: bool = Field(True, description="false: nobody is listed")
    threshold: float | None = Field(None, description="list below this score; null: no "
                                    "threshold (list-only reading)",
                                    json_schema_extra=meta("points", SOURCE))
    duration: Annotated[int, Field(ge=1)] = Field(365, description="days a listing lasts",
                                                  json_schema_extra=meta("days", SOURCE))
    severe_duration: Annotated[int, Field(ge=1)] | None = Field(
        None, description="days listed for a severe act (default: listing.duration)",
        json_schema_extra=meta("days", SOURCE))
    renew: bool = Field(True, description="renew the term if still below the threshold")
    compliance_rate: Probability = Field(
        0.0, description="per-day probability a listed agent complies and is removed",
        json_schema_extra=meta("probability per day", "seed 004 (court blacklist)"))
    appeals: Appeals = Field(default_factory=Appeals, description="appeals against a listing")
    initial_share: Probability = Field(
        0.0, description="share of agents already listed when the run starts (before the "
        "warm-up, if any), chosen at random among the regions where the system runs on day "
        "0, each with a remaining term uniform over 1 to duration days (initial state)",
        json_schema_extra=meta("share of agents", "MODEL.md: Initial state"))


def enabled(sc: Scenario) -> bool:
    """Is anybody ever listed?"""
    return sc.listing.enabled


def check(sc: Scenario) -> list[tuple[tuple, str]]:
    if sc.listing.initial_share > 0 and not sc.listing.enabled:
        return [(("listing", "initial_share"), "needs listing.enabled: true")]
    return []


def listing_threshold(sc: Scenario) -> float:
    """The score (points) below which agents are listed; -inf when nobody is."""
    lst = sc.listing
    return lst.threshold if enabled(sc) and lst.threshold is not None else -math.inf


def listable(sc: Scenario) -> bool:
    """Whether listing is on with a way to list someone: a threshold, a severe behaviour
    or a share listed at the start."""
    return sc.listing.enabled and (sc.listing.threshold is not None
                                   or sc.listing.initial_share > 0
                                   or any(b.severe for b in sc.behaviours))


nobody_listed = left_at_default(
    "listing", ("threshold",), lambda sc: sc.listing.enabled, listable,
    "listing.enabled is true but listing.threshold is not set and no behaviour is severe, "
    "so nobody will be listed: set listing.threshold (points: agents below it are listed) "
    "or severe: true on a behaviour",
    ("enabled", "duration", "severe_duration", "renew", "compliance_rate", "appeals"))
"""Listing on, no threshold, no severe behaviour, nobody listed at the start: nobody is
ever listed."""

def penalty_without_listing(sc: Scenario, written: Written) -> bool | Advice | None:
    """Points per listed contact (``scoring.association.listed_penalty``) while nobody can
    be listed: no contact ever is, and the penalty takes nothing."""
    key = ("scoring", "association", "listed_penalty")
    if not sc.scoring.enabled or sc.scoring.association.listed_penalty == 0:
        return None
    if listable(sc):
        return True
    if not written.by_author(*key):
        return None
    why = ("listing is off" if not sc.listing.enabled else "listing has no threshold, no "
           "behaviour is severe and nobody is listed at the start")
    return key, (f"scoring.association.listed_penalty is set but {why}, so nobody is ever "
                 "listed and no contact costs points: set listing.threshold (points: agents "
                 "below it are listed)" + (" and listing.enabled: true"
                                           if not sc.listing.enabled else ""))


nobody_appeals = left_at_default(
    "listing.appeals", ("rate",),
    lambda sc: sc.listing.enabled and sc.listing.appeals.enabled,
    lambda sc: sc.listing.appeals.rate > 0,
    "listing.appeals.enabled is true but listing.appeals.rate is 0, so nobody will appeal: "
    "set listing.appeals.rate (the per-day probability that a listed agent appeals)",
    ("enabled", "win", "win_wrongful", "correct_record", "protection_days"))
"""Appeals on, their rate left at 0: nobody appeals."""


def no_threshold(sc: Scenario, written: Written) -> bool | Advice | None:
    """Agents listed (at the start, on severe acts) but no listing threshold: a term is
    renewed, and a won appeal protects, only against the threshold, so ``renew`` and
    ``appeals.protection_days`` do nothing (nobody listed at all: ``nobody_listed``)."""
    lst = sc.listing
    if not lst.enabled or not (lst.initial_share > 0 or any(b.severe for b in sc.behaviours)):
        return None
    if lst.threshold is not None:
        return True
    appeals = lst.appeals.enabled and lst.appeals.rate > 0
    for key, does, works in (
            (("renew",), "nobody is listed by score: every listing ends with its "
             "term", True),
            (("appeals", "protection_days"), "nobody is listed by score: a won appeal "
             "protects from nothing (a severe act lists regardless)", appeals)):
        found = works and overridden(
            written, ("listing", *key), ("listing", "threshold"), "is null", does,
            "listing.threshold (points: agents below it are listed)")
        if found:
            return found
    return None


# --- compiled parameters -------------------------------------------------------------------

class ClassifyParams(NamedTuple):
    on: bool  # always: tiers are assigned every day
    listing: bool  # tiers are always assigned; listing only when this is on
    threshold: float  # points; -inf when there is none
    duration: int  # days
    severe_duration: int  # days
    renew: bool
    compliance: float  # probability per day
    appeal_rate: float  # probability per day
    appeal_win: float
    appeal_win_wrongful: float
    correct_record: bool
    protection_days: int  # days
    tier_min: np.ndarray  # float64 points, descending


def compile_classify(sc: Scenario, names: Names) -> ClassifyParams:
    lst = sc.listing
    on = enabled(sc)
    appeals = lst.appeals
    return ClassifyParams(
        on=True,
        listing=on,
        threshold=listing_threshold(sc),
        duration=lst.duration,
        severe_duration=lst.severe_duration or lst.duration,
        renew=lst.renew,
        compliance=lst.compliance_rate,
        appeal_rate=appeals.rate if appeals.enabled else 0.0,
        appeal_win=appeals.win,
        appeal_win_wrongful=appeals.win if appeals.win_wrongful is None else appeals.win_wrongful,
        correct_record=appeals.correct_record,
        protection_days=appeals.protection_days,
        # no tiers: one that takes every score, so that tier_min[0] exists (numba's
        # parallel loops read it ahead of tier_of's test: a read past an empty array,
        # caught by NUMBA_BOUNDSCHECK=1); every agent is in tier 0 either way
        tier_min=np.array([t.min for t in sorted(sc.tiers, key=lambda t: -t.min)] or
                          [-np.inf], np.float64))


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("classify", counts=(
    "newly_listed", "severe_listings", "delisted", "renewed", "appeals", "appeals_won",
    "complied", "wrongful_new"))
C = COUNTERS.C


SOURCES = Sources(
    "classify",
    Source("record_correction", "record corrections", "points given back (or taken) when "
           "it won an appeal and its score was set to its score without errors "
           "(listing.appeals.correct_record)", clean=False))
SRC = SOURCES.S


@njit(cache=True, inline="always")
def tier_of(s, tier_min):
    """Index of the tier of score s; tiers are ordered from the highest threshold down and
    the last one takes everything below."""
    t = 0
    while t < len(tier_min) - 1 and s < tier_min[t]:
        t += 1
    return t


@njit(cache=True, inline="always")
def lists_clean(ev, clean_score, threshold):
    """Whether the error-free record lists an agent today: a severe act on it (event bits
    ``ev``), or an error-free score (points) below the listing threshold. A listing it
    would not make is wrongful; a wrongful listing it makes later is counted from then
    on in the neighbours' error-free listed-neighbour penalty (``CLEAN_LISTED``)."""
    return (ev & SEVERE_CLEAN) != 0 or clean_score < threshold


@njit(cache=True, inline="always")
def joins_clean_record(st, ev, clean_score, threshold):
    """A wrongful listing (status bits ``st``) that the error-free record makes today
    (``lists_clean``) and that its neighbours do not count there yet (no ``CLEAN_LISTED``):
    ``classify`` flags its block, ``announce_listings`` tells the neighbours."""
    return ((st & LISTED) != 0 and (st & WRONGFUL) != 0 and (st & CLEAN_LISTED) == 0
            and lists_clean(ev, clean_score, threshold))


@njit(cache=True, parallel=True)
def classify(p, key, day, region, started, scores, tier, status, today, listed_until,
             times_listed, days_listed, wrongful_listings, counts, bk, flags):
    """Tier, listing and delisting decisions for every agent of a started region.
    ``days_listed`` counts the days an agent ends listed: the listing day, not the day of
    release. With listing off (a timeline step switched it off) every listed agent is
    delisted on that day: nobody is listed (the list froze, its agents listed for ever)."""
    threshold, tier_min = p.threshold, p.tier_min
    clean = clean_column(scores)
    n = len(status)
    for blk in prange(n_blocks(n)):
        changed = 0
        lo, hi = block_bounds(blk, n)
        for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: see core.blocks
            if not started[region[i]]:
                continue
            s = scores[i, 0]
            tier[i] = tier_of(s, tier_min)
            st = status[i]
            if not p.listing and not st & LISTED:
                continue
            ev = today[i]
            if st & LISTED:
                h = agent_hash(key, i)
                free = False
                if not p.listing:  # switched off by a timeline step: nobody is listed
                    free = True
                elif ev & SEVERE_REAL:
                    listed_until[i] = max(listed_until[i], day + p.severe_duration)
                elif listed_until[i] <= day:
                    if p.renew and s < threshold:
                        listed_until[i] = day + p.duration
                        counts[blk, C.renewed] += 1
                    else:
                        free = True
                elif p.compliance > 0.0 and unit(h) < p.compliance:
                    free = True
                    counts[blk, C.complied] += 1
                elif p.appeal_rate > 0.0 and unit(rehash(h, APPEAL_FILED)) < p.appeal_rate:
                    counts[blk, C.appeals] += 1
                    win = p.appeal_win_wrongful if st & WRONGFUL else p.appeal_win
                    if unit(rehash(h, APPEAL_WON)) < win:
                        free = True
                        counts[blk, C.appeals_won] += 1
                        if p.correct_record:
                            book(bk, account(bk, i), SRC.record_correction,
                                 scores[i, clean] - s)
                            scores[i, 0] = scores[i, clean]
                            tier[i] = tier_of(scores[i, 0], tier_min)
                        listed_until[i] = day + p.protection_days
                        st |= PROTECTED
                if free:
                    # WRONGFUL and SHAMED stay set until the serial pass has told the
                    # neighbours what they lose sight of; the political acts on the record
                    # were this listing's.
                    status[i] = st & ~(LISTED | POLITICAL_RECORD)
                    today[i] = ev | DELISTED
                    counts[blk, C.delisted] += 1
                    changed = 1
                else:
                    status[i] = st
                    add_capped(days_listed, i, 1)
                    if joins_clean_record(st, ev, scores[i, clean], threshold):
                        changed = 1  # announce_listings counts it on the error-free record
                continue
            protected = (st & PROTECTED) != 0 and listed_until[i] > day
            if (st & PROTECTED) and not protected:
                st &= ~PROTECTED
            severe = (ev & SEVERE_REAL) != 0
            if severe or (s < threshold and not protected):
                rightful = lists_clean(ev, scores[i, clean], threshold)
                st |= LISTED
                st &= ~PROTECTED
                listed_until[i] = day + (p.severe_duration if severe else p.duration)
                add_capped(times_listed, i, 1)
                add_capped(days_listed, i, 1)
                counts[blk, C.newly_listed] += 1
                if severe:
                    counts[blk, C.severe_listings] += 1
                if not rightful:
                    st |= WRONGFUL
                    add_capped(wrongful_listings, i, 1)
                    counts[blk, C.wrongful_new] += 1
                today[i] = ev | NEW_LISTED
                changed = 1
            status[i] = st
        flags[blk] = changed


@njit(cache=True)
def traced_appeals(p, key, day, region, started, status, today, listed_until, who):
    """Replay for the traced agents ``who`` (sorted ids), before ``classify`` decides:
    the appeals they file today, from its draws, as events (``core.events``):
    ``appeal_filed``, then ``appeal_won`` or ``appeal_lost``."""
    rows, m = no_events(), 0
    for i in who:
        st = status[i]
        if (not started[region[i]] or not st & LISTED or today[i] & SEVERE_REAL
                or listed_until[i] <= day):
            continue
        h = agent_hash(key, i)
        if p.compliance > 0.0 and unit(h) < p.compliance:
            continue
        if unit(rehash(h, APPEAL_FILED)) >= p.appeal_rate:
            continue
        win = p.appeal_win_wrongful if st & WRONGFUL else p.appeal_win
        won = unit(rehash(h, APPEAL_WON)) < win
        rows, m = add_event(rows, m, i, EV_APPEAL_FILED, -1, 0.0, -1, -1, -1, 1.0)
        rows, m = add_event(rows, m, i, EV_APPEAL_WON if won else EV_APPEAL_LOST, -1, 0.0,
                            -1, -1, -1, 1.0)
    return rows[:m]


@njit(cache=True)
def announce_listings(threshold, indptr, entries, scores, status, today, nbr_listed,
                      nbr_clean_listed, nbr_shamed, flags):
    """Serial: neighbours of newly listed and delisted agents update what they see, and
    those of wrongfully listed agents whose error-free score (``scores``' last column,
    points) now lists them (``lists_clean`` against ``threshold``) count them on the
    error-free record from today (``CLEAN_LISTED``)."""
    clean = clean_column(scores)
    n = len(status)
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            ev = today[i]
            st = status[i]
            if ev & NEW_LISTED:
                rightful = 0 if st & WRONGFUL else 1
                if rightful:
                    status[i] = st | CLEAN_LISTED
                broadcast(i, 1, rightful, 0, indptr, entries, nbr_listed,
                          nbr_clean_listed, nbr_shamed)
            elif ev & DELISTED:
                rightful = 1 if st & CLEAN_LISTED else 0
                shamed = 1 if st & SHAMED else 0
                broadcast(i, -1, -rightful, -shamed, indptr, entries, nbr_listed,
                          nbr_clean_listed, nbr_shamed)
                status[i] = st & ~(WRONGFUL | SHAMED | CLEAN_LISTED)
            elif joins_clean_record(st, ev, scores[i, clean], threshold):
                status[i] = st | CLEAN_LISTED
                broadcast(i, 0, 1, 0, indptr, entries, nbr_listed, nbr_clean_listed,
                          nbr_shamed)


@njit(cache=True, parallel=True)
def draw_initial_listings(share, duration, first_day, key, region, started, status, today,
                          listed_until, times_listed, flags):
    """The initial state: each agent of a region where the system runs on the first day
    (``started[region]``: the roll-out of day 0) is listed with probability ``share``
    (rightfully), its term ending after 1 to ``duration`` days (uniform) from
    ``first_day``; the listed are marked NEW_LISTED and their blocks flagged for
    ``announce_listings``. An agent's draw does not depend on the roll-out."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            h = agent_hash(key, i)
            if unit(h) >= share or not started[region[i]]:
                continue
            status[i] |= LISTED
            listed_until[i] = first_day + 1 + below(rehash(h, INITIAL_TERM), duration)
            add_capped(times_listed, i, 1)
            today[i] |= NEW_LISTED
            flags[blk] = 1


def list_initially(state: State, p: ClassifyParams, started: np.ndarray, share: float,
                   seed: int) -> None:
    """Apply ``listing.initial_share`` to the state on its first day (``state.day``),
    in the regions ``started`` (uint8 per region) on day 0: the listed agents, their
    terms, and what their neighbours see. Where the system starts later nobody is listed
    before it starts (MODEL.md, Roll-out)."""
    a, net = state.agents, state.net
    flags = np.zeros(n_blocks(state.n), np.uint8)
    draw_initial_listings(share, p.duration, state.day, stream_key(seed, "initial:listing"),
                          a["region"], started, a["status"], a["today"], a["listed_until"],
                          a["times_listed"], flags)
    announce_listings(p.threshold, net.indptr, net.entries, a["scores"],
                      a["status"], a["today"], a["nbr_listed"], a["nbr_clean_listed"],
                      a["nbr_shamed"], flags)
    a["today"][:] = 0


@njit(cache=True, parallel=True)
def assign_tiers(scores, tier_min, tier):
    """Tier of every agent from its recorded score (day 0)."""
    for i in prange(len(tier)):
        tier[i] = tier_of(scores[i, 0], tier_min)


# --- the step ------------------------------------------------------------------------------

class Classify(Step):
    kernels = (classify, announce_listings)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        a, tally, net = t.state.agents, t.tally, t.state.net
        p = t.p.classify
        if t.trace is not None and len(t.trace.traced) and p.listing and p.appeal_rate > 0.0:
            t.trace.log(traced_appeals(p, t.key("classify"), t.day, a["region"], t.started,
                                       a["status"], a["today"], a["listed_until"],
                                       t.trace.traced))
        # --trace-wrongful, --trace-listed: the case files of today's wrongful (or first)
        # listings open right after this phase, their tier change told as the rest of
        # their day (a byte per agent).
        opening = t.trace is not None and p.listing and (
            t.trace.with_wrongful or t.trace.listed_left > 0)
        tier_before = a["tier"].copy() if opening else None
        classify(t.p.classify, t.key("classify"), t.day, a["region"], t.started, a["scores"],
                 a["tier"], a["status"], a["today"], a["listed_until"], a["times_listed"],
                 a["days_listed"], a["wrongful_listings"], tally.counts["classify"],
                 t.book(SOURCES), tally.flags)
        if tally.flags.any():
            announce_listings(p.threshold, net.indptr, net.entries, a["scores"],
                              a["status"], a["today"], a["nbr_listed"],
                              a["nbr_clean_listed"], a["nbr_shamed"], tally.flags)
        if opening and tally.count("wrongful_new" if not t.trace.listed_left
                                   else "newly_listed"):
            t.trace.open_listed(t, tier_before)


# --- metrics (stocks are measured by the metrics step's census) ---------------------------

LISTED_NOW = Metric("listed", "agents", "level", "agents listed at the end of the day",
                    label="listed", headline=True, value=counter("listed"))
NEWLY_LISTED = Metric("newly_listed", "agents per day", "count", "new listings",
                      label="new listings", headline=True, value=counter("newly_listed"))
SEVERE_LISTINGS = Metric("severe_listings", "agents per day", "count",
                         "new listings on a severe act", headline=True,
                         value=counter("severe_listings"))
DELISTED_TODAY = Metric("delisted", "agents per day", "count",
                        "listings ended (term over, complied or appeal won)",
                        value=counter("delisted"))
RENEWED = Metric("renewed", "agents per day", "count", "listings renewed at term end",
                 value=counter("renewed"))
COMPLIED = Metric("complied", "agents per day", "count", "delisted on compliance",
                  value=counter("complied"))
APPEALS = Metric("appeals", "appeals per day", "count", "appeals filed",
                 value=counter("appeals"))
APPEALS_WON = Metric("appeals_won", "appeals per day", "count", "appeals won",
                     value=counter("appeals_won"))
WRONGFUL_LISTED = Metric("wrongful_listed", "agents", "level",
                         "agents wrongfully listed at the end of the day",
                         label="wrongfully listed", headline=True,
                         value=counter("wrongful_listed"))
WRONGFUL_NEW = Metric("wrongful_new", "agents per day", "count",
                      "new wrongful listings (the error-free record would not list)",
                      label="wrongful listings", headline=True, value=counter("wrongful_new"))
LISTING_METRICS = (LISTED_NOW, NEWLY_LISTED, SEVERE_LISTINGS, DELISTED_TODAY, RENEWED,
                   COMPLIED, APPEALS, APPEALS_WON, WRONGFUL_LISTED, WRONGFUL_NEW)

TIERS = Metric("tier_{}", "agents", "level", "agents in tier NAME", per="tiers",
               label="agents in tier NAME",
               value=lambda m: m.tally.total("tier"))


def _listed_rates(m):
    return m.tally.total("group_listed")[0] / np.maximum(m.group_size, 1.0)


def _disparate_impact(m):
    rates = _listed_rates(m)
    ref = rates[m.names.reference_group]
    return [rates[k] / ref if ref > 0 else math.nan for k in range(len(m.names.groups))]


LISTED_RATE = Metric("listed_rate_{}", "share of the group", "level",
                     "share of group NAME listed", per="groups",
                     label="share listed, NAME", value=_listed_rates)
WRONGFUL_RATE = Metric("wrongful_rate_{}", "share of the group", "level",
                       "share of group NAME wrongfully listed", per="groups",
                       label="share wrongfully listed, NAME",
                       value=lambda m: m.tally.total("group_listed")[1]
                       / np.maximum(m.group_size, 1.0))
DISPARATE_IMPACT = Metric("di_{}", "ratio", "level", "disparate impact, listed on the "
                          "day: share of group NAME on the list that day over that of the "
                          "reference group", per="groups",
                          label="disparate impact, listed on the day, NAME",  # as
                          # outputs.summary.ON_THE_DAY_DI names it on every screen
                          value=_disparate_impact)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="classify", place=50,
    sections={"tiers": (list[Tier], "score bands, e.g. A+ to D"),
              "listing": (Listing, "the list of the discredited")},
    compile=compile_classify, step=Classify, check=check,
    advice=(nobody_listed, nobody_appeals, no_threshold, penalty_without_listing,
            switched_off("listing", "nobody will be listed"),
            switched_off("listing.appeals", "nobody will appeal")),
    metrics=(*LISTING_METRICS,
             Columns("reported_{}", TIERS,
                     PerName("groups", LISTED_RATE, WRONGFUL_RATE, GROUP_SCORE_MEAN,
                             DISPARATE_IMPACT))),
    metrics_after="clean_score_mean", sources=SOURCES)
