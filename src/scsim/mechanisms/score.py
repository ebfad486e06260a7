"""Phase 4, score: accepted observations add their deltas; association pulls toward the
weighted mean of active neighbours' scores (alpha per day), each listed active neighbour
costs beta points, ties to bonus groups add points, recovery pulls toward the starting score
(rho per day); the result is clamped to [s_min, s_max]. The error-free score gets the same
update from error-free observations, neighbours' error-free scores and rightful listings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import PREFETCH_AHEAD, block_bounds, n_blocks
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric
from scsim.core.prefetch import prefetch, worth_prefetching
from scsim.core.source import (
    Source,
    Sources,
    account,
    book,
    book_both,
    book_clean,
    clamp_booked,
)
from scsim.core.state import clean_column
from scsim.core.step import Step, Today
from scsim.scenario.section import (
    Advice,
    Name,
    Probability,
    Section,
    Written,
    meta,
    overridden,
    switched_off,
)
from scsim.world.network.csr import CODE_MASK, INACTIVE, TIE_BITS, TYPE_MASK

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 4. Score"


# --- scenario section: ``scoring`` ---------------------------------------------------------

class TieWeights(Section):
    family: Annotated[float, Field(ge=0.0)] = Field(1.0, description="weight of family ties",
                                                    json_schema_extra=meta("weight", SOURCE))
    social: Annotated[float, Field(ge=0.0)] = Field(1.0, description="weight of social ties",
                                                    json_schema_extra=meta("weight", SOURCE))
    work: Annotated[float, Field(ge=0.0)] = Field(1.0, description="weight of work ties",
                                                  json_schema_extra=meta("weight", SOURCE))


class Association(Section):
    alpha: Probability = Field(0.0, description="the daily pull toward the average score "
                               "of one's active contacts: the share of the gap closed each "
                               "day",
                               json_schema_extra=meta("share per day", SOURCE))
    weights: TieWeights = Field(default_factory=TieWeights,
                                description="weight of each tie type in the neighbour mean")
    listed_penalty: Annotated[float, Field(ge=0.0)] = Field(
        0.0, description="points lost per day per listed contact: an active neighbour "
        "(family, friend or colleague) who is listed (the model's beta)",
        json_schema_extra=meta("points per day per listed contact", SOURCE))
    group_bonus: dict[Name, float] = Field(
        default_factory=dict, description="points per day per active tie to that group",
        json_schema_extra=meta("points per day per tie", "seed 001 (rewards for ties)"))


class Scoring(Section):
    enabled: bool = Field(True, description="false: scores never change")
    s0: float = Field(1000.0, description="starting score (points)",
                      json_schema_extra=meta("points", SOURCE))
    min: float = Field(0.0, description="lowest score (points)",
                       json_schema_extra=meta("points", SOURCE))
    max: float = Field(1300.0, description="highest score (points)",
                       json_schema_extra=meta("points", SOURCE))
    recovery: Probability = Field(0.0, description="the daily pull back toward the "
                                  "starting score: the share of the gap closed each day",
                                  json_schema_extra=meta("share per day", SOURCE))
    association: Association = Field(default_factory=Association,
                                     description="what one's ties do to one's score")


def enabled(sc: Scenario) -> bool:
    """Do scores move?"""
    return sc.scoring.enabled


def weights_unused(sc: Scenario, written: Written) -> bool | Advice | None:
    """Tie weights set, the pull toward the neighbours (alpha) left at 0: they weigh
    nothing."""
    a, path = sc.scoring.association, ("scoring", "association")
    if not sc.scoring.enabled:
        return None
    if a.alpha > 0:
        return True
    if not written(*path, "weights") or written(*path, "alpha"):
        return None
    return ((*path, "weights"), "scoring.association.weights is set but "
            "scoring.association.alpha is 0, so neighbours' scores pull on nobody's: set "
            "scoring.association.alpha (the share of the gap to the average score of one's "
            "active contacts closed each day)")


def s0_unused(sc: Scenario, written: Written) -> bool | Advice | None:
    """Every population group gives its own starting score: ``scoring.s0`` (the default
    of the groups that give none) starts nobody."""
    if any(g.s0 is None for g in sc.population.groups):
        return True
    return overridden(written, ("scoring", "s0"), ("population", "groups"), "gives every "
                      "group its own s0", "no agent starts at it", "population.groups.NAME.s0"
                      ": null (the group starts at scoring.s0)")


# --- compiled parameters -------------------------------------------------------------------

class ScoreParams(NamedTuple):
    on: bool
    s0_group: np.ndarray  # float32 (groups), starting score, points
    s_min: float  # points
    s_max: float  # points
    recovery: float  # share per day
    alpha: float  # share per day
    tie_weight: np.ndarray  # float64 (3,), family / social / work
    listed_penalty: float  # points per day per listed active neighbour
    group_bonus: np.ndarray  # float64 (groups), points per day per active tie
    has_bonus: bool
    unit_weights: bool  # every tie weighs 1: the neighbour mean needs no tie code


def compile_score(sc: Scenario, names: Names) -> ScoreParams:
    scr = sc.scoring
    assoc = scr.association
    groups = {g: k for k, g in enumerate(names.groups)}
    s0_group = np.array([g.s0 if g.s0 is not None else scr.s0 for g in sc.population.groups],
                        np.float32)
    bonus = np.zeros(len(names.groups), np.float64)
    for gname, pts in assoc.group_bonus.items():
        bonus[groups[gname]] = pts
    w = assoc.weights
    return ScoreParams(
        on=enabled(sc), s0_group=s0_group, s_min=scr.min, s_max=scr.max,
        recovery=scr.recovery, alpha=assoc.alpha,
        tie_weight=np.array([w.family, w.social, w.work], np.float64),
        listed_penalty=assoc.listed_penalty, group_bonus=bonus,
        has_bonus=bool(np.any(bonus != 0.0)),
        unit_weights=w.family == w.social == w.work == 1.0)


# --- kernel --------------------------------------------------------------------------------

SOURCES = Sources(
    "score",
    Source("association", "association", "the daily pull of its score toward the average "
           "score of its family members, friends and colleagues, ties cut or suspended left "
           "out (scoring.association.alpha: the share of the gap closed each day; the score "
           "without errors is pulled toward their scores without errors)"),
    Source("listed_penalty", "listed neighbours", "points it loses each day for each of "
           "its family members, friends and colleagues who is listed, ties cut or "
           "suspended left out (scoring.association.listed_penalty: points per day per "
           "listed contact; the score without errors counts only those who would be "
           "listed without the system's errors)"),
    Source("group_bonus", "group bonus", "points it gains each day for each tie to a "
           "member of a group the scenario rewards ties to, such as party members "
           "(scoring.association.group_bonus: points per day per tie; a negative bonus "
           "takes points)"),
    Source("recovery", "recovery", "the daily pull of its score back toward its starting "
           "score (scoring.recovery: the share of the gap closed each day)"),
    Source("clamping", "clamping", "points added or taken to keep its score between the "
           "lowest and the highest score the system gives (scoring.min and scoring.max)"))
SRC = SOURCES.S


@njit(cache=True, inline="always")
def unit_sums(entries, scores, start, end, last, ahead, both):
    """Sums of the recorded (and, with ``both``, error-free) scores of the neighbours of
    the tie entries ``start:end`` (points, float64), none of whose ties is severed, every
    tie weighing 1; with ``ahead``, each neighbour's scores prefetched ``PREFETCH_AHEAD``
    entries before (up to entry ``last``). Entries are read at unsigned positions and
    their neighbours are unsigned: numba adds no negative-index test to these reads."""
    ssum = 0.0
    csum = 0.0
    for e in range(start, end):
        if ahead and e < last:
            prefetch(scores, entries[np.uint64(e + PREFETCH_AHEAD)] >> TIE_BITS)
        j = entries[np.uint64(e)] >> TIE_BITS
        ssum += scores[j, 0]
        if both:
            csum += scores[j, 1]
    return ssum, csum


@njit(cache=True, inline="always")
def weighted_sums(p, entries, group, scores, start, end, last, ahead, both):
    """Weight, weighted recorded (and, with ``both``, error-free) score sums and group
    bonus over the active ties ``start:end`` (points, float64); prefetching as
    ``unit_sums``."""
    wsum = 0.0
    ssum = 0.0
    csum = 0.0
    bonus = 0.0
    for e in range(start, end):
        if ahead and e < last:
            prefetch(scores, entries[np.uint64(e + PREFETCH_AHEAD)] >> TIE_BITS)
        x = entries[np.uint64(e)]
        t = x & CODE_MASK
        if t & INACTIVE:
            continue
        j = x >> TIE_BITS
        w = p.tie_weight[t & TYPE_MASK]
        wsum += w
        ssum += w * scores[j, 0]
        if both:
            csum += w * scores[j, 1]
        if p.has_bonus:
            bonus += p.group_bonus[group[j]]
    return wsum, ssum, csum, bonus


@njit(cache=True, parallel=True)
def score(p, indptr, entries, group, region, started, deg_active, nbr_listed,
          nbr_clean_listed, scores, scratch, bk, ahead):
    """Write tomorrow's scores into ``scratch`` (which holds today's deltas on entry); the
    caller swaps ``scores`` and ``scratch``. Both columns: recorded and error-free. Books
    each part of the update to its source (``bk``). When nothing can err, ``scores`` has
    one column (``state.clean_column``): the recorded score is the error-free one, and only
    it is updated and its neighbours' sums read; an agent none of whose ties is inactive
    (severed or suspended), when every tie weighs 1 and no group gives a bonus, has its
    neighbours summed without testing tie codes (every agent, when the run keeps no
    ``deg_active``: no tie can go inactive). ``ahead``: prefetch the neighbours' scores
    (``core.prefetch.worth_prefetching``; the same results either way)."""
    alpha, has_bonus, recovery = p.alpha, p.has_bonus, p.recovery
    both = clean_column(scores) == 1
    n = len(group)
    for blk in prange(n_blocks(n)):
        lo, hi = block_bounds(blk, n)
        last = indptr[hi] - PREFETCH_AHEAD
        for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: see core.blocks
            s = scores[i, 0]
            if not started[region[i]]:
                scratch[i, 0] = s
                if both:
                    scratch[i, 1] = scores[i, 1]
                continue
            ns = s + scratch[i, 0]
            c = scores[i, 1] if both else s
            nc = c + scratch[i, 1] if both else ns
            acct = account(bk, i)
            if alpha > 0.0 or has_bonus:
                # int64 bounds whichever the row pointer's dtype (csr.row_bounds).
                start, end = np.int64(indptr[i]), np.int64(indptr[i + np.uint64(1)])
                if p.unit_weights and not has_bonus and (len(deg_active) == 0
                                                         or deg_active[i] == end - start):
                    ssum, csum = unit_sums(entries, scores, start, end, last, ahead,
                                           both)
                    wsum = float(end - start)
                    bonus = 0.0
                else:
                    wsum, ssum, csum, bonus = weighted_sums(p, entries, group, scores,
                                                            start, end, last, ahead, both)
                if wsum > 0.0:
                    pull = alpha * (ssum / wsum - s)
                    ns += pull
                    book(bk, acct, SRC.association, pull)
                    if both:
                        clean_pull = alpha * (csum / wsum - c)
                        nc += clean_pull
                        book_clean(bk, acct, SRC.association, clean_pull)
                ns += bonus
                nc += bonus
                if bonus != 0.0:
                    book_both(bk, acct, SRC.group_bonus, bonus)
            s0 = p.s0_group[group[i]]
            back = recovery * (s0 - s)
            penalty = p.listed_penalty * nbr_listed[i]
            ns += back - penalty
            if recovery > 0.0:
                book(bk, acct, SRC.recovery, back)
            if penalty != 0.0:
                book(bk, acct, SRC.listed_penalty, -penalty)
            scratch[i, 0] = clamp_booked(bk, acct, SRC.clamping, ns, p.s_min, p.s_max, 0)
            if both:
                clean_back = recovery * (s0 - c)
                clean_penalty = p.listed_penalty * nbr_clean_listed[i]
                nc += clean_back - clean_penalty
                if recovery > 0.0:
                    book_clean(bk, acct, SRC.recovery, clean_back)
                if clean_penalty != 0.0:
                    book_clean(bk, acct, SRC.listed_penalty, -clean_penalty)
                scratch[i, 1] = clamp_booked(bk, acct, SRC.clamping, nc, p.s_min, p.s_max, 1)


# --- the step ------------------------------------------------------------------------------

class Score(Step):
    kernels = (score,)

    def run(self, t: Today) -> None:
        a, net = t.state.agents, t.state.net
        score(t.p.score, net.indptr, net.entries, a["group"], a["region"], t.started,
              a["deg_active"], a["nbr_listed"], a["nbr_clean_listed"], a["scores"],
              a["scratch"], t.book(SOURCES), worth_prefetching(a["scores"]))
        a["scores"], a["scratch"] = a["scratch"], a["scores"]


# --- metrics (the score distribution is measured by the metrics step's census) ------------

def _score_mean(m):
    return m.tally.sum("score_sum") / m.n


def _score_sd(m):
    mean = m.tally.sum("score_sum") / m.n
    return math.sqrt(max(m.tally.sum("score_sq") / m.n - mean * mean, 0.0))


SCORE_MEAN = Metric("score_mean", "points", "level", "mean recorded score",
                    label="mean score", headline=True, value=_score_mean)
SCORE_SD = Metric("score_sd", "points", "level", "standard deviation of recorded scores",
                  label="score spread (standard deviation)", value=_score_sd)
PERCENTILES = (1, 5, 25, 50, 75, 95, 99)  # of recorded scores, in %
SCORE_PERCENTILES = tuple(
    Metric(f"score_p{q:02d}", "points", "level", f"percentile {q} of recorded scores "
           "(from a fine histogram, within one bin's spread)", label=f"score, percentile {q}",
           value=lambda m, k=k: m.percentiles[k])
    for k, q in enumerate(PERCENTILES))
SCORE_GINI = Metric("score_gini", "share", "level", "Gini coefficient of recorded scores",
                    label="score inequality (Gini)", value=lambda m: m.gini)
CLEAN_SCORE_MEAN = Metric("clean_score_mean", "points", "level",
                          "mean error-free score (no misattributions, no false reports)",
                          label="mean error-free score", headline=True,
                          value=lambda m: m.tally.sum("clean_sum") / m.n)
GROUP_SCORE_MEAN = Metric("score_mean_{}", "points", "level",
                          "mean recorded score of group NAME", per="groups",
                          label="mean score, NAME",
                          value=lambda m: m.group_score / np.maximum(m.group_size, 1.0))


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="score", place=40,
    sections={"scoring": (Scoring, "how scores move")},
    compile=compile_score, step=Score, advice=(
        weights_unused, s0_unused, switched_off("scoring", "scores will not move",
                                     ("recovery", "association"))),
    metrics=(SCORE_MEAN, SCORE_SD, *SCORE_PERCENTILES, SCORE_GINI, CLEAN_SCORE_MEAN),
    metrics_after="day", sources=SOURCES)  # GROUP_SCORE_MEAN is in classify's per-group table
