"""Phase 3, report: an unseen act is reported by a neighbour with probability r_true; each
agent files Poisson(r_false * malice) false reports against active neighbours, higher
scorers more likely (envy); reports are accepted with probability p_accept (more likely when
the reporter outscores the target, with power bias) and then count like observations."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import (
    FALSE_REPORT_REJECTED,
    FALSELY_REPORTED,
    REPORT_REJECTED,
    add_event,
    is_traced,
    no_events,
)
from scsim.core.events import REPORTED as EV_REPORTED
from scsim.core.mechanism import Columns, Mechanism
from scsim.core.metric import Metric, PerName, counter
from scsim.core.rng import SALT_1, SALT_2, agent_hash, below, poisson, rehash, sub_hash, unit
from scsim.core.source import Source, Sources, account, book, book_clean
from scsim.core.state import (
    ACTED,
    DETAINED,
    HAS_FALSE_REPORTS,
    clean_column,
)
from scsim.core.step import Step, Today
from scsim.mechanisms.acts import draw_acts
from scsim.mechanisms.behave import ACTS
from scsim.mechanisms.impunity import COUNTERS as IMPUNITY_COUNTERS
from scsim.mechanisms.impunity import impunity_today, is_dropped, shielded
from scsim.mechanisms.observe import SEEN, UNSEEN, false_match_rate, mark_record, sighting
from scsim.mechanisms.ties import active_degree
from scsim.scenario.section import Probability, Rate, Section, left_at_default, meta, switched_off
from scsim.world.network.csr import INACTIVE, neighbour, row_bounds, tie_code

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 3. Report"
POINTS_SCALE = 100.0  # envy and power bias are per 100 points of score difference

# Random-draw purposes (values fixed: they are the numbers).
TRUE_REPORT_ACCEPTED = SALT_1  # under the hash of unseen act j: is its report accepted?
REPORTER = SALT_2  # ... and which active neighbour reported it (case files only)
FALSE_BEHAVIOUR = SALT_1  # under the hash of false report k: which behaviour it alleges
FALSE_ACCEPTED = SALT_2  # ... and whether it is accepted
FIRST_FALSE_REPORT = 1  # false report k is draw k + FIRST_FALSE_REPORT of its filer's hash
IMPUNITY_DROP = 0  # draw 0 of false report k's hash: is it dropped against a powerful target?


# --- scenario section: ``reports`` ---------------------------------------------------------

class Reports(Section):
    enabled: bool = Field(True, description="false: no reports, true or false")
    true_rate: Probability = Field(0.0, description="probability an unseen act is reported",
                                   json_schema_extra=meta("probability per unseen act",
                                                          SOURCE))
    false_rate: Rate = Field(0.0, description="false reports per agent per day at malice 1",
                             json_schema_extra=meta("reports per agent per day", SOURCE))
    envy: Annotated[float, Field(ge=0.0)] = Field(
        1.0, description="target weight exp(envy * (s_target - s_reporter) / 100 points)",
        json_schema_extra=meta("per 100 points", SOURCE))
    accept: Probability = Field(0.5, description="probability a report is accepted",
                                json_schema_extra=meta("probability", SOURCE))
    power_bias: Annotated[float, Field(ge=0.0)] = Field(
        0.0, description="acceptance odds x exp(power_bias * lead / 100 points) when the "
        "reporter outscores the target by `lead`",
        json_schema_extra=meta("per 100 points", "seed 002 (abuse by the powerful)"))


def reports_falsely(sc: Scenario) -> bool:
    """Can a false report be filed (reports on, a false-report rate above 0)?"""
    return sc.reports.enabled and sc.reports.false_rate > 0.0


nobody_reports = left_at_default(
    "reports", ("true_rate", "false_rate"), lambda sc: sc.reports.enabled,
    lambda sc: sc.reports.true_rate > 0 or sc.reports.false_rate > 0,
    "reports.enabled is true but reports.true_rate and reports.false_rate are 0, so nobody "
    "will report anyone: set reports.true_rate (the probability that an unseen act is "
    "reported) or reports.false_rate (false reports per agent per day)",
    ("enabled", "accept", "envy", "power_bias"))
"""Reports on, both rates left at 0: nobody reports anyone."""


# --- compiled parameters -------------------------------------------------------------------

class ReportParams(NamedTuple):
    on: bool
    true_rate: float  # probability per unseen act
    false_rate: float  # false reports per agent-day at malice 1
    envy: float  # per 100 points
    accept: float
    power_bias: float  # per 100 points
    false_report_cdf: np.ndarray  # float64, choice of behaviour for a false report


def compile_reports(sc: Scenario, names: Names) -> ReportParams:
    rep = sc.reports
    beh = sc.behaviours
    weights = np.array([x.rate if x.reportable and x.delta < 0 else 0.0 for x in beh],
                       np.float64)
    cdf = np.cumsum(weights) / weights.sum() if weights.sum() > 0 else np.zeros(len(beh))
    true_rate = rep.true_rate if rep.enabled else 0.0
    false_rate = rep.false_rate if rep.enabled and weights.sum() > 0 else 0.0
    return ReportParams(true_rate > 0.0 or false_rate > 0.0, true_rate, false_rate, rep.envy,
                        rep.accept, rep.power_bias, cdf)


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("report", counts=("false_reports_filed", "false_reports_accepted"),
                    arrays={"reported": (np.int64, ("behaviours",))})
C = COUNTERS.C
IC = IMPUNITY_COUNTERS.C

SOURCES = Sources(
    "report",
    Source("true_report", "true reports", "points for its own acts, unseen by the "
           "surveillance, that a neighbour reported and the system accepted"),
    Source("false_report", "false reports", "points for acts it did not do that a "
           "neighbour reported and the system accepted (an error of the system, which the "
           "score without errors does not count)", error=True))
SRC = SOURCES.S


@njit(cache=True, parallel=True)
def report(p, beh, seen, observe_key, report_key, false_key, group, region, region_start, started,
           indptr, deg_active, malice, status, act_model, scratch, today, counts, reported, bk, imp,
           imp_counts, flags):
    """True reports of unseen acts (both scores, booked: ``bk``; impunity may drop them from
    the recorded one; on the record: ``observe.mark_record``); flags agents that file false
    reports."""
    b_delta, b_channel, b_severe, b_key = beh.delta, beh.channel, beh.severe, beh.key
    b_reportable, coverage = beh.reportable, seen.coverage
    true_rate, false_rate, accept = p.true_rate, p.false_rate, p.accept
    clean = clean_column(scratch)
    n = len(group)
    for blk in prange(n_blocks(n)):
        filed_total = 0
        dropped_total = 0
        acts = np.empty(len(b_delta), np.int64)
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            r = region[i]
            if not started[r] or active_degree(deg_active, indptr, i) == 0:
                continue
            if true_rate > 0.0 and today[i] & ACTED:
                draw_acts(act_model, i, acts)
                ho = agent_hash(observe_key, i)
                hr = agent_hash(report_key, i)
                hd = shielded(imp, i)
                for b in range(len(b_delta)):
                    if acts[b] == 0 or not b_reportable[b]:
                        continue
                    ch = b_channel[b]
                    fm = false_match_rate(seen, group, region_start, i, r, ch)
                    accepted = 0
                    dropped = 0
                    for j in range(acts[b]):
                        if sighting(ho, b_key[b], j, coverage[ch, r], fm) != UNSEEN:
                            continue
                        x = sub_hash(hr, b_key[b] + np.uint64(j))
                        if unit(x) < true_rate and unit(
                                rehash(x, TRUE_REPORT_ACCEPTED)) < accept:
                            accepted += 1
                            # an unseen act: its observation draw is free for impunity
                            if is_dropped(hd, b_key[b] + np.uint64(j), imp.p_drop):
                                dropped += 1
                    if accepted > 0:
                        scratch[i, 0] += (accepted - dropped) * b_delta[b]
                        if clean:
                            scratch[i, clean] += accepted * b_delta[b]
                        acct = account(bk, i)
                        book(bk, acct, SRC.true_report, (accepted - dropped) * b_delta[b])
                        book_clean(bk, acct, SRC.true_report, accepted * b_delta[b])
                        mark_record(i, b_severe[b], beh.political[b], accepted > dropped,
                                    True, today, status)
                        dropped_total += dropped
                        reported[blk, b] += accepted
            if false_rate > 0.0 and not status[i] & DETAINED:  # the detained cannot report
                filed = poisson(unit(agent_hash(false_key, i)), false_rate * malice[i])
                if filed > 0:
                    today[i] |= HAS_FALSE_REPORTS
                    filed_total += filed
        counts[blk, C.false_reports_filed] = filed_total
        imp_counts[blk, IC.dropped_reports] += dropped_total
        flags[blk] = 1 if filed_total > 0 else 0


@njit(cache=True)
def false_reports(p, beh, false_key, indptr, entries, scores, malice, region, started,
                  scratch, today, status, counts, bk, falsely_reported_by, imp, imp_counts,
                  traced, log_all, flags):
    """Serial replay of the false reports: target by envy among active neighbours,
    behaviour in proportion to its rate, acceptance with power bias (recorded score only);
    the target keeps the reporter's id (when the run keeps per-agent sources) and the act on
    its record (``observe.mark_record``: ``today``, ``status``); impunity
    may drop an accepted one against a powerful target. Returns the events
    (``core.events``) of the reports whose target or reporter is traced:
    ``falsely_reported`` (accepted), ``false_report_rejected`` (``value`` 1: accepted but
    dropped); with ``log_all``, every accepted one too."""
    b_delta, b_severe = beh.delta, beh.severe
    envy, power_bias = p.envy, p.power_bias
    n = len(malice)
    rows, m = no_events(), 0
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            if not today[i] & HAS_FALSE_REPORTS:
                continue
            h = agent_hash(false_key, i)
            filed = poisson(unit(h), p.false_rate * malice[i])
            mine = scores[i, 0]
            top = -np.inf
            start, end = row_bounds(indptr, i)
            for e in range(start, end):
                if not tie_code(entries, e) & INACTIVE:
                    top = max(top, scores[neighbour(entries, e), 0])
            total = 0.0
            for e in range(start, end):
                if not tie_code(entries, e) & INACTIVE:
                    total += math.exp(envy * (scores[neighbour(entries, e), 0] - top)
                                      / POINTS_SCALE)
            for k in range(filed):
                x = sub_hash(h, k + FIRST_FALSE_REPORT)
                goal = unit(x) * total
                target = -1
                acc = 0.0
                for e in range(start, end):
                    if tie_code(entries, e) & INACTIVE:
                        continue
                    target = neighbour(entries, e)
                    acc += math.exp(envy * (scores[target, 0] - top) / POINTS_SCALE)
                    if acc > goal:
                        break
                if target < 0 or not started[region[target]]:
                    continue
                b = np.searchsorted(p.false_report_cdf, unit(rehash(x, FALSE_BEHAVIOUR)),
                                    side="right")
                b = min(b, len(b_delta) - 1)
                q = p.accept
                lead = mine - scores[target, 0]
                if power_bias > 0.0 and lead > 0.0 and 0.0 < q < 1.0:
                    odds = q / (1.0 - q) * math.exp(power_bias * lead / POINTS_SCALE)
                    q = odds / (1.0 + odds)
                watched = is_traced(traced, target) or is_traced(traced, i)
                if unit(rehash(x, FALSE_ACCEPTED)) < q:
                    # accepted, then maybe dropped (as a true report or a sighting is)
                    counts[blk, C.false_reports_accepted] += 1
                    if shielded(imp, target) and unit(sub_hash(x, IMPUNITY_DROP)) < imp.p_drop:
                        imp_counts[blk, IC.dropped_reports] += 1
                        if watched:
                            rows, m = add_event(rows, m, target, FALSE_REPORT_REJECTED,
                                                -1, 0.0, i, b, -1, 1.0)
                        continue
                    scratch[target, 0] += b_delta[b]
                    book(bk, account(bk, target), SRC.false_report, b_delta[b])
                    if bk.per_agent:
                        falsely_reported_by[target] = i
                    mark_record(target, b_severe[b], beh.political[b], True, False, today,
                                status)
                    if watched or log_all:
                        rows, m = add_event(rows, m, target, FALSELY_REPORTED,
                                            bk.slots[SRC.false_report], b_delta[b], i, b, -1,
                                            1.0)
                elif watched:
                    rows, m = add_event(rows, m, target, FALSE_REPORT_REJECTED, -1, 0.0, i, b,
                                        -1, 0.0)
    return rows[:m]


@njit(cache=True, inline="always")
def reporter(x, i, indptr, entries, deg_active):
    """The neighbour who reported agent i's unseen act of draw ``x`` (the model says "a
    neighbour"): one of its active ties, uniformly (draw ``REPORTER`` under ``x``), in
    the order of its ties."""
    k = below(rehash(x, REPORTER), active_degree(deg_active, indptr, i))
    start, end = row_bounds(indptr, i)
    for e in range(start, end):
        if not tie_code(entries, e) & INACTIVE:
            if k == 0:
                return neighbour(entries, e)
            k -= 1
    return -1


@njit(cache=True)
def traced_reports(p, beh, seen, observe_key, report_key, group, region, region_start,
                   started, indptr, entries, deg_active, act_model, today, slots, imp,
                   who):
    """Replay for the agents ``who`` (sorted ids: the traced agents and their neighbours,
    ``CaseFiles.neighbourhood``): the true reports of their unseen acts today, from the
    draws of ``report``, one event each (``core.events``): ``reported`` (accepted;
    ``value`` 0 and no points when impunity dropped it) or ``report_rejected``, naming the
    reporter (``reporter``). The case files keep the rows of traced agents, and tell the
    traced reporters' side (``filed_report``)."""
    b_delta, b_channel, b_key, b_reportable = beh.delta, beh.channel, beh.key, beh.reportable
    acts = np.empty(len(b_delta), np.int64)
    rows, m = no_events(), 0
    for i in who:
        r = region[i]
        if not started[r] or active_degree(deg_active, indptr, i) == 0 or not today[i] & ACTED:
            continue
        draw_acts(act_model, i, acts)
        ho = agent_hash(observe_key, i)
        hr = agent_hash(report_key, i)
        hd = shielded(imp, i)
        for b in range(len(b_delta)):
            if not b_reportable[b]:
                continue
            ch = b_channel[b]
            fm = false_match_rate(seen, group, region_start, i, r, ch)
            for j in range(acts[b]):
                if sighting(ho, b_key[b], j, seen.coverage[ch, r], fm) != UNSEEN:
                    continue
                x = sub_hash(hr, b_key[b] + np.uint64(j))
                if unit(x) >= p.true_rate:
                    continue
                by = reporter(x, i, indptr, entries, deg_active)
                if unit(rehash(x, TRUE_REPORT_ACCEPTED)) >= p.accept:
                    rows, m = add_event(rows, m, i, REPORT_REJECTED, -1, 0.0, by, b, ch, 0.0)
                elif is_dropped(hd, b_key[b] + np.uint64(j), imp.p_drop):
                    rows, m = add_event(rows, m, i, EV_REPORTED, slots[SRC.true_report], 0.0,
                                        by, b, ch, 0.0)
                else:
                    rows, m = add_event(rows, m, i, EV_REPORTED, slots[SRC.true_report],
                                        b_delta[b], by, b, ch, 1.0)
    return rows[:m]


# --- the step ------------------------------------------------------------------------------

class Report(Step):
    kernels = (report, false_reports)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        p, s, a, tally, net = t.p.report, t.state, t.state.agents, t.tally, t.state.net
        false_key = t.key("false_report")
        imp = impunity_today(t)
        report(p, t.p.behave, t.p.observe, t.key("observe"), t.key("report"), false_key,
               a["group"], a["region"], s.region_start, t.started, net.indptr, a["deg_active"],
               a["malice"], a["status"], t.acts, a["scratch"], a["today"],
               tally.counts["report"],
               tally.arrays["reported"], t.book(SOURCES), imp, tally.counts["impunity"],
               tally.flags)
        if tally.flags.any():
            errors = false_reports(p, t.p.behave, false_key, net.indptr, net.entries,
                                   a["scores"], a["malice"], a["region"], t.started,
                                   a["scratch"], a["today"], a["status"],
                                   tally.counts["report"],
                                   t.book(SOURCES), a["falsely_reported_by"], imp,
                                   tally.counts["impunity"], *t.traced(), tally.flags)
            if t.trace is not None:
                t.trace.log(errors)
        if t.trace is not None and len(t.trace.traced) and p.true_rate > 0.0:
            t.trace.log(traced_reports(p, t.p.behave, t.p.observe, t.key("observe"),
                                       t.key("report"), a["group"], a["region"],
                                       s.region_start, t.started, net.indptr, net.entries,
                                       a["deg_active"], t.acts,
                                       a["today"], t.ledger.slots(SOURCES), imp,
                                       t.trace.neighbourhood()))


# --- metrics -------------------------------------------------------------------------------

REPORTS_ACCEPTED = Metric(
    "reports_accepted", "reports per day", "count", "true reports of unseen acts accepted "
    "(impunity may then drop one: dropped_reports)",
    value=lambda m: m.tally.total("reported")[: len(m.names.behaviours)].sum())
FALSE_REPORTS_FILED = Metric("false_reports_filed", "reports per day", "count",
                             "false reports filed", value=counter("false_reports_filed"))
FALSE_REPORTS_ACCEPTED = Metric("false_reports_accepted", "reports per day", "count",
                                "false reports accepted (impunity may then drop one: "
                                "dropped_reports)", label="false reports accepted",
                                headline=True, value=counter("false_reports_accepted"))
REPORTED = Metric("reported_{}", "acts per day", "count", "unseen acts of behaviour NAME "
                  "reported truly and accepted", per="behaviours",
                  label="acts of NAME reported",
                  value=lambda m: m.tally.total("reported")[: len(m.names.behaviours)])


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="report", place=30,
    sections={"reports": (Reports, "reports by neighbours")},
    compile=compile_reports, step=Report,
    advice=(nobody_reports, switched_off("reports", "nobody will report anyone")),
    metrics=(REPORTS_ACCEPTED, FALSE_REPORTS_FILED, FALSE_REPORTS_ACCEPTED,
             # The per-behaviour table interleaves behave's, observe's and report's columns
             # (acts_a, seen_a, reported_a, acts_b...); report, the last of the three in the
             # day, declares it.
             Columns("penalised_acts", PerName("behaviours", ACTS, SEEN, REPORTED))),
    metrics_after="misattributions", sources=SOURCES, errs=reports_falsely,
    arrays=("malice",), arrays_used=reports_falsely)
