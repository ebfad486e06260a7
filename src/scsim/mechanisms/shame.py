"""Phase 7, shame: a newly listed agent is publicly shamed with probability p_shame; each
active neighbour then severs the tie with probability omega[tie type] times its own
conformity. Severed ties are restored at a per-day rate once neither end is listed.
A pariah has fewer active ties than ``pariah_fraction`` of its original ties."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import TIE_SEVERED, add_event, is_traced, no_events
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric, counter
from scsim.core.rng import agent_hash, sub_hash, unit
from scsim.core.state import LISTED, NEW_LISTED, NEW_SHAMED, SHAMED, add_capped
from scsim.core.step import Step, Today
from scsim.mechanisms.ties import broadcast, set_tie
from scsim.scenario.section import (
    Advice,
    Probability,
    Section,
    Written,
    left_at_default,
    meta,
    switched_off,
)
from scsim.world.network.csr import (
    INACTIVE,
    SEVERED,
    TYPE_MASK,
    neighbour,
    row_bounds,
    tie_code,
)

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 7. Shame"


# --- scenario section: ``shaming`` ---------------------------------------------------------

class TieProbabilities(Section):
    family: Probability = Field(0.0, description="for family ties",
                                json_schema_extra=meta("probability", SOURCE))
    social: Probability = Field(0.0, description="for social ties",
                                json_schema_extra=meta("probability", SOURCE))
    work: Probability = Field(0.0, description="for work ties",
                              json_schema_extra=meta("probability", SOURCE))


class Shaming(Section):
    enabled: bool = Field(True, description="false: no public shaming")
    probability: Probability = Field(0.0, description="a newly listed agent is shamed",
                                     json_schema_extra=meta("probability per listing",
                                                            SOURCE))
    sever: TieProbabilities = Field(
        default_factory=TieProbabilities,
        description="per active neighbour, times its conformity")
    restore_rate: Probability = Field(0.0, description="per severed tie per day once neither "
                                      "end is listed",
                                      json_schema_extra=meta("probability per tie per day",
                                                             SOURCE))
    pariah_fraction: Probability = Field(
        0.5, description="pariah: fewer active ties than this share of the original ones",
        json_schema_extra=meta("share of original ties", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Is anybody ever shamed? (Shaming needs listings.)"""
    return sc.shaming.enabled and sc.listing.enabled


def shames(sc: Scenario) -> bool:
    """Can anybody be shamed (shaming on, with a probability above 0)? Without, nobody's
    ``times_shamed``, ``nbr_shamed`` or ``ties_lost`` moves from 0 and no tie is severed,
    so ``deg_active`` is each agent's degree unless detention suspends ties
    (``Mechanism.arrays``)."""
    return enabled(sc) and sc.shaming.probability > 0.0


nobody_shamed = left_at_default(
    "shaming", ("probability",), enabled, lambda sc: sc.shaming.probability > 0,
    "shaming.enabled is true but shaming.probability is 0, so nobody will be shamed: set "
    "shaming.probability (the probability that a newly listed agent is publicly shamed)",
    ("enabled", "sever", "restore_rate", "pariah_fraction"))
"""Shaming on, its probability left at 0: nobody is ever shamed."""


def no_tie_severed(sc: Scenario, written: Written) -> bool | Advice | None:
    """Shaming happens, the severing probabilities all left at 0: nobody loses a tie."""
    sh = sc.shaming
    if not enabled(sc) or sh.probability <= 0:
        return None
    if max(sh.sever.family, sh.sever.social, sh.sever.work) > 0:
        return True
    if written("shaming", "sever"):
        return None
    return (("shaming", "probability"), f"shaming.probability is {sh.probability:g} but "
            "shaming.sever is 0 for family, social and work ties, so nobody shamed loses a "
            "tie (no pariahs): set shaming.sever.family, .social or .work (the probability "
            "that an active neighbour severs the tie)")


# --- compiled parameters -------------------------------------------------------------------

class ShameParams(NamedTuple):
    on: bool  # shaming or restoration can happen
    shame: float  # probability per new listing; 0 when off
    sever: np.ndarray  # float64 (3,), per tie type
    restore: float  # probability per severed tie per day; 0 when off
    pariah_fraction: float  # share of original ties


def compile_shame(sc: Scenario, names: Names) -> ShameParams:
    sh = sc.shaming
    shame = sh.probability if enabled(sc) else 0.0
    restore = sh.restore_rate if sh.enabled else 0.0
    return ShameParams(shame > 0.0 or restore > 0.0, shame,
                       np.array([sh.sever.family, sh.sever.social, sh.sever.work], np.float64),
                       restore, sh.pariah_fraction)


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("shame", counts=("shamed", "ties_severed", "ties_restored"))
C = COUNTERS.C


@njit(cache=True, parallel=True)
def shame(key, probability, status, today, times_shamed, counts, flags):
    """Decide who of today's newly listed is shamed."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        shamed = 0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            if today[i] & NEW_LISTED and unit(agent_hash(key, i)) < probability:
                status[i] |= SHAMED
                today[i] |= NEW_SHAMED
                add_capped(times_shamed, i, 1)
                shamed += 1
        counts[blk, C.shamed] = shamed
        flags[blk] = 1 if shamed > 0 else 0


@njit(cache=True)
def sever(key, sever_probability, conformity, indptr, entries, status, today, deg_active,
          nbr_listed, nbr_clean_listed, nbr_shamed, ties_lost, counts, traced, flags):
    """Serial: neighbours learn of every shaming of the day first (so a tie between two
    shamed agents is counted both ways before either severs it), then some sever their
    tie. Returns a ``tie_severed`` event (``core.events``: the shamed agent, the neighbour
    who severed, the tie type) for each tie severed with a traced end."""
    n = len(status)
    rows, m = no_events(), 0
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            if today[i] & NEW_SHAMED:
                broadcast(i, 0, 0, 1, indptr, entries, nbr_listed, nbr_clean_listed,
                          nbr_shamed)
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            if not today[i] & NEW_SHAMED:
                continue
            h = agent_hash(key, i)
            start, end = row_bounds(indptr, i)
            for e in range(start, end):
                t = tie_code(entries, e)
                if t & INACTIVE:  # severed already, or suspended (an end is detained)
                    continue
                j = neighbour(entries, e)
                p = min(1.0, sever_probability[t & TYPE_MASK] * conformity[j])
                if unit(sub_hash(h, j)) < p:
                    set_tie(i, e, False, indptr, entries, status, deg_active, nbr_listed,
                            nbr_clean_listed, nbr_shamed)
                    add_capped(ties_lost, i, 1)
                    counts[blk, C.ties_severed] += 1
                    if is_traced(traced, i) or is_traced(traced, j):
                        rows, m = add_event(rows, m, i, TIE_SEVERED, -1, 0.0, j, -1, -1,
                                            t & TYPE_MASK)
    return rows[:m]


@njit(cache=True, parallel=True)
def find_severed(indptr, deg_active, status, flags):
    """Flag blocks holding an unlisted agent with severed ties (restoration candidates)."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        found = 0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            start, end = row_bounds(indptr, i)
            if deg_active[i] < end - start and not status[i] & LISTED:
                found = 1
                break
        flags[blk] = found


@njit(cache=True)
def restore(key, rate, indptr, entries, status, deg_active, nbr_listed, nbr_clean_listed,
            nbr_shamed, counts, flags):
    """Serial: each severed tie with neither end listed comes back with probability
    ``rate`` per day (decided once per tie, from its lower-numbered end); not while it is
    suspended (an end is detained)."""
    n = len(status)
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            start, end = row_bounds(indptr, i)
            if deg_active[i] == end - start or status[i] & LISTED:
                continue
            h = agent_hash(key, i)
            for e in range(start, end):
                j = neighbour(entries, e)
                if j < i or tie_code(entries, e) & INACTIVE != SEVERED or status[j] & LISTED:
                    continue
                if unit(sub_hash(h, j)) < rate:
                    set_tie(i, e, True, indptr, entries, status, deg_active, nbr_listed,
                            nbr_clean_listed, nbr_shamed)
                    counts[blk, C.ties_restored] += 1


# --- the step ------------------------------------------------------------------------------

class Shame(Step):
    """Keeps the number of severed ties from day to day (restoration looks for them only
    while some exist)."""

    kernels = (shame, sever, find_severed, restore)
    counters = COUNTERS

    def __init__(self, sim) -> None:
        super().__init__(sim)
        self.severed_ties = 0

    def run(self, t: Today) -> None:
        p, a, tally, net = t.p.shame, t.state.agents, t.tally, t.state.net
        counts = tally.counts["shame"]
        nbr = (a["deg_active"], a["nbr_listed"], a["nbr_clean_listed"], a["nbr_shamed"])
        if p.shame > 0.0:
            shame(t.key("shame"), p.shame, a["status"], a["today"], a["times_shamed"], counts,
                  tally.flags)
            if tally.flags.any():
                severed = sever(t.key("sever"), p.sever, a["conformity"], net.indptr,
                                net.entries, a["status"], a["today"], *nbr,
                                a["ties_lost"], counts, t.traced()[0], tally.flags)
                if t.trace is not None:
                    t.trace.log(severed)
        self.severed_ties += tally.count("ties_severed")
        if p.restore > 0.0 and self.severed_ties > 0:
            find_severed(net.indptr, a["deg_active"], a["status"], tally.flags)
            if tally.flags.any():
                restore(t.key("restore"), p.restore, net.indptr, net.entries,
                        a["status"], *nbr, counts, tally.flags)
            self.severed_ties -= tally.count("ties_restored")


# --- metrics -------------------------------------------------------------------------------

METRICS = (
    Metric("shamed", "agents per day", "count", "newly listed agents publicly shamed",
           label="shamed", headline=True, value=counter("shamed")),
    Metric("ties_severed", "ties per day", "count", "ties severed after a shaming",
           headline=True, value=counter("ties_severed")),
    Metric("ties_restored", "ties per day", "count", "severed ties restored",
           value=counter("ties_restored")),
    Metric("ties_active_frac", "share", "level", "share of ties active: not severed, nor "
           "suspended by a detention",
           label="ties still active", headline=True,
           value=lambda m: m.tally.count("deg_active") / m.degree_total if m.degree_total
           else math.nan),
    Metric("pariahs", "agents", "level", "agents left with fewer active ties than "
           "shaming.pariah_fraction of their original ones (the detained are counted as "
           "detained, not as pariahs)", label="pariahs", headline=True,
           value=counter("pariahs")),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="shame", place=70,
    sections={"shaming": (Shaming, "public shaming and shunning")},
    compile=compile_shame, step=Shame,
    advice=(nobody_shamed, no_tie_severed, switched_off("shaming", "nobody will be shamed")),
    metrics=METRICS, metrics_after="false_reports_accepted",
    arrays=("times_shamed", "nbr_shamed", "ties_lost", "deg_active"), arrays_used=shames)
