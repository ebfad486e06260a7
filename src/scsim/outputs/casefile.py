"""Case files: the dated story of traced agents (MODEL.md, "Provenance").

A run traces a seeded random sample of agents (``--trace N``), chosen ones
(``--trace-ids``), with ``--trace-wrongful`` everyone who is wrongfully listed during the
run, and with ``--trace-listed K`` the first K agents listed during the run, rightfully or
not (for why someone was listed, when the sample holds nobody listed). Their events are
one row each (``core.events``: the kinds and the columns):

* **Each act** is told by replaying, for the traced agents only, the draws the kernels
  used that day: observe's ``traced_sightings`` (``sighted`` by a channel, ``seen_as_other``
  when pinned on someone else, ``act_unseen``), report's ``traced_reports`` (``reported``,
  ``report_rejected``; replayed for the traced agents' neighbours too, so that a traced
  reporter gets ``filed_report``), classify's ``traced_appeals`` (``appeal_filed``, ``appeal_won``,
  ``appeal_lost``), shunning's ``traced_transactions`` (``services_refused``,
  ``services_served``), family rewards' ``traced_family_rewards``
  (``family_privileges_used``, naming the top-tier household member) and detention's
  ``traced_relatives`` (``relative_detained``, naming the detained household member, with
  the points it cost). The steps call them when tracing is on (``Today.trace``); the
  parallel kernels are untouched and tracing off costs nothing.
* **What others did to them** comes from the serial passes, which log it as they go when
  given the traced agents' flags (``Today.traced``): ``misattributed`` (naming the agent
  really seen and the channel), ``falsely_reported`` and ``false_report_rejected`` (naming
  the reporter), ``tie_severed`` (naming the neighbour who severed). The other side, when
  traced, gets ``filed_false_report``, ``filed_report`` and ``cut_tie``.
* **Everything else** is read at the end of the day from the state, compared with a
  snapshot of the traced agents: ``acted``, ``listed``, ``delisted``, ``tier``, ``shamed``,
  sanctions, ``detained`` and ``released``, ``fear``, and ``points`` rows for the points of
  sources without events of their own (association, recovery...; logged once they add up
  to POINTS_STEP, and all that is left on the last day), so that the points of an agent's
  rows add up to its ledger.
* **The error log.** With ``--trace-wrongful`` or ``--trace-listed`` every misattribution
  and accepted false report of the run is kept in a compact log (32 bytes each, at most
  MAX_ERROR_LOG): an agent whose case file opens at its listing gets one that opens with its
  errors since day 0, then its points by source booked until then from other sources
  (``traced`` rows), and goes on day by day. The log keeps only the errors of agents not
  traced yet; the rest is dropped at the end of the run. If it fills up, the case files
  opened later say so
  (``errors_untold``: those errors are then in the ``traced`` totals only).
* **Opening at the listing.** Such a case file opens right after the listing phase
  (``open_listed``, called by classify): from then on the agent is traced, so the rest of
  its listing day (sanctions, shaming and the ties severed for it, fear...) is told as for
  an agent traced from day 0; the listing and the tier change of that phase are measured
  from the state before it.

Every row has the recorded score at the end of its day (``score_after``). The events table
tells each day in the order of its phases (``events_table``, ``core.events.TOLD``); a
story tells a run of alike events of one day in one line. Tracing does not change the run:
its outputs are bit-identical with and without it, and under any number of threads.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scsim.core.events import (
    AGENT,
    BEHAVIOUR,
    CAUSE,
    CHANNEL,
    DAY,
    DETENTION_CAUSES,
    EV,
    EVENT,
    EVENTS,
    NOT_TRACED,
    ON_SEVERE_ACT,
    OPENS_AT,
    OTHER,
    POINTS,
    ROW,
    SCORE_AFTER,
    SOURCE,
    TOLD,
    VALUE,
    WIDTH,
    WRONGFULLY,
)
from scsim.core.source import CAUSES, source
from scsim.core.state import (
    DELISTED,
    DETAINED,
    LISTED,
    NEW_LISTED,
    SEVERE_REAL,
    WRONGFUL,
    rows_or_zeros,
)
from scsim.core.step import Step, Today
from scsim.errors import ScsimError
from scsim.outputs.words import counted, spoken, tier_bands
from scsim.world.network import INACTIVE, TYPE_MASK, codes_of, neighbours_of

MAX_TRACED = 100_000
"""At most this many agents get case files in one run (the sample, the chosen ids and the
first listed; the wrongfully listed come on top): a case file for everyone of a large run
would be larger than the run itself."""

NAMED_IDS = 5
"""A refusal of traced ids names this many of them (then '…')."""

MAX_ERROR_LOG = 2_000_000
"""``--trace-wrongful``: at most this many errors (misattributions, accepted false reports)
of agents not traced yet are kept, 32 bytes each (64 MB)."""

FEAR_STEP = 0.1  # fear moves logged when at least this large (fear is in [0, 1])
COUNTS = ("blocked_tickets", "blocked_other", "school_barred_days", "privileges_used",
          "times_shamed")  # history counts whose daily rise is an event
COUNT_EVENTS = ("blocked_tickets", "blocked_other", "school_barred", "privileges_used",
                "shamed")
POINTS_STEP = 1.0
"""Points: a source's points without events of their own (association, recovery...) are
logged once they have moved by at least this much since they were last logged."""
POINTS_EPSILON = 0.01
"""Points: less is float rounding (what is left on the last day, or of an
error source's total when tracing starts, is logged only above it)."""
ERRORS = (EV["misattributed"], EV["falsely_reported"])  # the events the error log keeps
MIRRORED = {EV["falsely_reported"]: EV["filed_false_report"],
            EV["false_report_rejected"]: EV["filed_false_report"],
            EV["reported"]: EV["filed_report"], EV["report_rejected"]: EV["filed_report"],
            EV["tie_severed"]: EV["cut_tie"]}
"""Events told on the other agent's side too, when it is traced (as the event named)."""
MIRRORED_FROM = np.array(list(MIRRORED))
LOG_INTS = (DAY, AGENT, EVENT, OTHER, BEHAVIOUR, CHANNEL)  # the error log's int32 columns
LOG_FLOATS = (POINTS, SCORE_AFTER)  # ... and its float32 ones
ERROR_SOURCE = {EV["misattributed"]: "misattribution", EV["falsely_reported"]: "false_report"}
OPENED = 2
"""``flags`` of an agent whose case file opened today, at the listing phase (OPENS_AT): its
events from that phase on are in the case file (1: traced before today; 0: not traced)."""
TOLD_IN = {event: phase for phase, events in TOLD for event in events if event != "points"}
"""The phase of each kind of event but ``points`` (whose phase is its source's)."""
_TOLD_PHASES = [phase for phase, _ in TOLD]
FROM_OPENING = np.array([e in TOLD_IN and _TOLD_PHASES.index(TOLD_IN[e])
                         >= _TOLD_PHASES.index(OPENS_AT) for e in EVENTS])
"""Per event code: whether it is told in the listing phase or a later one, so belongs to a
case file that a listing opened that day (``points`` rows are read from the state at the
end of the day, never logged by a step: False)."""
SNAPS = ("snap_points", "snap_status", "snap_tier", "snap_fear", "snap_times_listed",
         "snap_acts", "snap_counts", "snap_barred")
"""The traced agents' state a day is measured from (``CaseFiles._snap``)."""


@dataclass(frozen=True)
class Trace:
    """Which agents get case files: ``sample`` agents drawn at random (seeded by the
    run's seed), the agents ``ids``, with ``wrongful`` everyone wrongfully listed, and the
    first ``listed`` agents listed (rightfully or not; those on the list at day 0 first,
    then in the order of their listing days; by id within a day), who are not traced
    already.
    ``spelling`` says how they were asked for, so that a refusal names what the caller
    wrote: ``"python"`` (``trace=``, the default) or ``"cli"`` (``--trace``,
    ``--trace-ids``, ``--trace-wrongful``); it does not change whom a run traces."""

    sample: int = 0
    ids: tuple[int, ...] = ()
    wrongful: bool = False
    listed: int = 0
    spelling: str = field(default="python", compare=False)

    @classmethod
    def of(cls, value) -> Trace | None:
        """A Trace from the shorthands of the Python API: a number of agents drawn at
        random, a list of agent ids, ``"wrongful"``, a Trace, or None (no case files)."""
        if value is None or isinstance(value, Trace):
            return value
        if isinstance(value, str):
            if value == "wrongful":
                return cls(wrongful=True)
        elif isinstance(value, int | np.integer) and not isinstance(value, bool):
            return cls(sample=int(value))
        elif isinstance(value, list | tuple | np.ndarray) and all(
                isinstance(i, int | np.integer) and not isinstance(i, bool) for i in value):
            return cls(ids=tuple(int(i) for i in value))
        raise ScsimError(f"trace={value!r}: give a number of agents (drawn at random), a "
                         "list of agent ids, 'wrongful', or scsim.Trace(sample=..., ids=..., "
                         "wrongful=..., listed=...)")

    @classmethod
    def opened(cls, traced: pd.DataFrame) -> Trace:
        """What traces the agents of a run's ``traced`` table (``opened_table``) again:
        those traced from day 0 by id, and ``wrongful`` when a case file opened later.
        (A case file that a wrongful listing opened on day 0 cannot be told from one
        traced from the start; nor a ``wrongful`` request that opened none, which traces
        nobody.)"""
        return cls(ids=tuple(int(i) for i in traced["agent"][traced["from_day"] == 0]),
                   wrongful=bool((traced["from_day"] > 0).any()))

    def request(self) -> dict:
        """Whom it traces, as the run store keeps it (``sample``, ``ids``, ``wrongful``,
        ``listed``)."""
        return {"sample": self.sample, "ids": list(self.ids), "wrongful": self.wrongful,
                "listed": self.listed}

    @classmethod
    def requested(cls, request: dict) -> Trace:
        """The Trace of a ``request()`` the run store kept (one kept before ``listed``
        existed traced nobody by listing)."""
        return cls(request["sample"], tuple(request["ids"]), request["wrongful"],
                   request.get("listed", 0))

    @property
    def opens_later(self) -> bool:
        """Whether case files may open during the run, at a listing (``wrongful``,
        ``listed``): every error is then logged, to open them with."""
        return self.wrongful or self.listed > 0

    def _option(self, *which: str) -> str:
        """The options that asked for ``which`` (``"sample"``, ``"ids"``, with their values;
        none: every option that asks for case files) as the caller spelled them
        (``spelling``): ``--trace-ids 3,600`` on the command line, ``trace=[3, 600]`` in
        Python (``trace=Trace(...)`` where the request is more than that)."""
        ids = [*map(str, self.ids[:NAMED_IDS]), *(["…"] if len(self.ids) > NAMED_IDS else [])]
        if self.spelling == "cli":
            if not which:
                return "--trace, --trace-ids, --trace-wrongful and --trace-listed"
            spelt = {"sample": f"--trace {self.sample}", "ids": f"--trace-ids {','.join(ids)}",
                     "listed": f"--trace-listed {self.listed}"}
            return " and ".join(spelt[w] for w in which)
        if not which:
            return "trace="
        shorthand = {"sample": str(self.sample), "ids": f"[{', '.join(ids)}]",
                     "listed": str(self.listed)}
        if len(which) == 1 and which[0] != "listed" and self == Trace(
                **{which[0]: getattr(self, which[0])}):
            return f"trace={shorthand[which[0]]}"
        return f"trace=Trace({', '.join(f'{w}={shorthand[w]}' for w in which)})"

    def check(self, names) -> None:
        """Refuse case files in a run that keeps no per-agent sources: they tell each
        agent's points by source (its ledger), which such a run does not keep."""
        if (self.sample or self.ids or self.opens_later) and not names.per_agent_sources:
            raise ScsimError(f"case files ({self._option()}) need every agent's points "
                             "by source: this scenario sets metrics.per_agent_sources: "
                             "false (set it to true, or run without case files)")

    def chosen(self, n: int, seed: int) -> np.ndarray:
        """The agents traced from day 0 (sorted int64 ids)."""
        for which in ("sample", "listed"):
            if getattr(self, which) < 0:
                raise ScsimError(f"{self._option(which)}: the number of agents to trace is "
                                 "negative")
        bad = [i for i in self.ids if not 0 <= i < n]
        if bad:
            raise ScsimError(f"{self._option('ids')}: no agent {bad[0]} in a run of "
                             f"{counted(n, 'agent')} (ids are 0 to {n - 1:,})")
        asked = self.sample + len(self.ids) + self.listed
        if asked > MAX_TRACED:
            options = self._option(*(which for which in ("sample", "ids", "listed")
                                     if getattr(self, which)))
            raise ScsimError(f"{options}: at most {MAX_TRACED:,} agents get case files (asked "
                             f"for {asked:,}); trace a sample, and use the agents table "
                             "and `scsim sources` for everyone")
        rng = np.random.default_rng([seed, 0x7472616365])  # "trace"
        sample = rng.choice(n, size=min(self.sample, n), replace=False)
        return np.unique(np.concatenate([sample, np.asarray(self.ids, np.int64)])
                         ).astype(np.int64)


def empty_rows() -> np.ndarray:
    return np.zeros((0, WIDTH))


class CaseFiles(Step):
    """The step after the provenance breakdown that writes the traced agents' events
    (``events``: rows of ROW, float64): those the other steps logged today (``log``, into
    ``pending``) and those read from the state, compared with the traced agents' state of
    the day before (``snap_*``). ``flags`` marks the traced agents (uint8 per agent; empty
    when nobody is or can be traced); ``error_ints``/``error_floats`` is the error log of
    ``--trace-wrongful`` and ``--trace-listed`` (``error_rows`` used, ``errors_full_day``:
    the first day an error did not fit, -1 if none); ``listed_left``: how many more case
    files ``--trace-listed`` opens at a listing."""

    name = "casefiles"
    section = "metrics"
    reports = True  # case files open on day 0: the warm-up is not reported

    @classmethod
    def on(cls, p) -> bool:
        return True

    def __init__(self, sim) -> None:
        super().__init__(sim)
        trace = getattr(sim, "trace", None) or Trace()
        n = sim.state.n
        self.with_wrongful = trace.wrongful
        self.listed_left = trace.listed
        self.opens_later = trace.opens_later
        self.traced = trace.chosen(n, sim.seed)
        self.traced_from = np.zeros(len(self.traced), np.int32)  # day each case file opens
        self.flags = np.zeros(n, np.uint8) if len(self.traced) or self.opens_later \
            else NOT_TRACED
        self.flags[self.traced] = 1
        self.written = empty_rows()  # the events so far: its first ``n_events`` rows
        self.n_events = 0
        self.pending = empty_rows()
        self.error_ints = np.zeros((0, len(LOG_INTS)), np.int32)
        self.error_floats = np.zeros((0, len(LOG_FLOATS)), np.float32)
        self.error_rows = 0
        self.errors_full_day = -1
        if sim.state.day >= 0:  # no warm-up to run first
            self._day_0()
        else:
            self._snap(self.traced)

    def after_warm_up(self) -> None:
        """The state the traced agents' first day is compared with: day 0's, once the
        warm-up (which logs nothing) has run and the history counts restarted."""
        self._day_0()

    def _day_0(self) -> None:
        """At the start of day 0 (after the warm-up, if any): ``--trace-listed`` traces
        the first agents already on the list (the initial stock, the warm-up's listings;
        by id) from day 0, as the first listed; every agent traced from day 0 and on the
        list then is told so (``listed_at_start``, with the day its listing ends: it was
        listed before the run, and its case file had no listing to tell); then the state
        the first day is compared with."""
        a = self.sim.state.agents
        if self.listed_left:  # (a pass over every agent only then)
            on_list = np.flatnonzero((a["status"] & LISTED) != 0)
            first = on_list[self.flags[on_list] == 0][:self.listed_left]
            self.listed_left -= len(first)
            self.flags[first] = 1
            self.traced = np.union1d(self.traced, first)
            self.traced_from = np.zeros(len(self.traced), np.int32)
        self._snap(self.traced)
        who = self.traced[(a["status"][self.traced] & LISTED) != 0]
        rows = np.full((len(who), WIDTH), -1.0)
        rows[:, AGENT], rows[:, EVENT], rows[:, POINTS] = who, EV["listed_at_start"], 0.0
        rows[:, VALUE] = a["listed_until"][who]
        self.log(rows)

    @property
    def events(self) -> np.ndarray:
        """The events logged so far (rows of ROW)."""
        return self.written[:self.n_events]

    def _write(self, chunks: list[np.ndarray]) -> None:
        """Append rows to the events (grown by doubling: a day's rows are not a copy of
        all the days before)."""
        end = self.n_events + sum(len(c) for c in chunks)
        if end > len(self.written):
            grown = np.empty((max(end, 2 * len(self.written), 1024), WIDTH))
            grown[:self.n_events] = self.events
            self.written = grown
        for c in chunks:
            self.written[self.n_events:self.n_events + len(c)] = c
            self.n_events += len(c)

    def tracing(self) -> CaseFiles | None:
        """Itself when agents are traced or may be (``Today.trace``), else None."""
        return self if len(self.flags) else None

    def log(self, rows: np.ndarray) -> None:
        """Events a step logged today (``core.events`` rows, without day and score)."""
        if len(rows):
            self.pending = np.concatenate([self.pending, rows])

    def _snap(self, who: np.ndarray) -> None:
        """Measure the traced agents ``who`` from their state now (the ``snap_*`` of
        SNAPS)."""
        a = self.sim.state.agents
        self.snap_points = a["points"][who].astype(np.float64)
        self.snap_status = a["status"][who].copy()
        self.snap_tier = a["tier"][who].copy()
        self.snap_fear = a["fear"][who].copy()
        self.snap_times_listed = a["times_listed"][who].copy()
        self.snap_acts = a["acts_total"][who].copy()
        self.snap_counts = np.stack([rows_or_zeros(a, c, who) for c in COUNTS],
                                    axis=1).astype(np.int64)
        self.snap_barred = np.zeros(len(who), np.uint8)  # school bar started before today

    def run(self, t: Today) -> None:
        a = t.state.agents
        logged, self.pending = self.pending, empty_rows()
        if not len(self.flags):
            return
        logged[:, DAY] = t.day
        logged[:, SCORE_AFTER] = a["scores"][logged[:, AGENT].astype(np.int64), 0]
        mine = self._traced_then(logged[:, AGENT], logged[:, EVENT])
        own = np.concatenate([logged[mine], self._mirrored(logged, a)]) if len(logged) \
            else logged
        if self.opens_later:
            self._keep_errors(t.day, logged[~mine])
            new = self.traced[self.flags[self.traced] == OPENED]
            if len(new):
                self._start(t.day, new)
        if len(self.traced):
            self._diff(t, own)

    def _traced_then(self, agents: np.ndarray, events: np.ndarray) -> np.ndarray:
        """Whether each of today's events (``events``, codes) of agents ``agents`` belongs
        to a case file: the agent was traced before today, or its case file opened today
        (``OPENED``) and the event comes from the phase that opened it or a later one."""
        flag = self.flags[agents.astype(np.int64)]
        return (flag == 1) | ((flag == OPENED) & FROM_OPENING[events.astype(np.int64)])

    def open_listed(self, t: Today, tier_before: np.ndarray) -> None:
        """``--trace-wrongful`` and ``--trace-listed``, right after the listing phase
        (OPENS_AT): open the case files of the agents it has just listed wrongfully, and of
        the first it has just listed while ``listed_left`` lasts (by id, among those not
        traced yet), so that the rest of their day
        (sanctions, shaming and the ties severed for it, fear...) is told as it is for an
        agent traced from day 0. They are traced from now on (``flags`` OPENED until the
        end of the day, when ``run`` writes their opening rows); their state is measured
        from now, but for what the listing phase itself changed: the listing, and the tier
        (``tier_before``: every agent's tier before that phase)."""
        a = t.state.agents
        listed = np.flatnonzero((a["today"] & NEW_LISTED) != 0)
        listed = listed[self.flags[listed] == 0]
        first = listed[:self.listed_left]
        self.listed_left -= len(first)
        new = np.union1d(first, listed[(a["status"][listed] & WRONGFUL) != 0]
                         if self.with_wrongful else first)
        if not len(new):
            return
        self.flags[new] = OPENED
        old = self.traced
        merged = np.sort(np.concatenate([old, new]))  # new: none of them traced before
        into, fresh = np.searchsorted(merged, old), np.searchsorted(merged, new)
        opened = np.full(len(merged), t.day, np.int32)
        opened[into] = self.traced_from
        self.traced_from = opened
        kept = {name: getattr(self, name) for name in SNAPS}
        self._snap(new)
        for name, values in kept.items():
            grown = np.zeros((len(merged), *values.shape[1:]), values.dtype)
            grown[into] = values
            grown[fresh] = getattr(self, name)
            setattr(self, name, grown)
        self.traced = merged
        self.snap_tier[fresh] = tier_before[new]
        self.snap_times_listed[fresh] -= 1
        self.snap_status[fresh] &= ~LISTED
        self.snap_barred[fresh] = barred_before(t, new)

    def _mirrored(self, logged: np.ndarray, a) -> np.ndarray:
        """The other side of today's events whose other agent is traced."""
        other = logged[:, OTHER].astype(np.int64)
        kind = logged[:, EVENT].astype(np.int64)
        told = (other >= 0) & np.any(kind[:, None] == MIRRORED_FROM, axis=1)
        told[told] = self._traced_then(other[told], kind[told])
        rows = logged[told].copy()
        rows[:, AGENT], rows[:, OTHER] = logged[told, OTHER], logged[told, AGENT]
        rows[:, EVENT] = [MIRRORED[k] for k in kind[told]]
        rows[:, SOURCE] = -1
        rows[:, POINTS] = 0.0
        rows[:, SCORE_AFTER] = a["scores"][other[told], 0]
        # a report's fate: 1 accepted (booked, or dropped by impunity), 0 rejected
        report = rows[:, EVENT] == EV["filed_false_report"]
        rows[report, VALUE] = ((kind[told][report] == EV["falsely_reported"])
                               | (logged[told][report, VALUE] == 1)).astype(float)
        report = rows[:, EVENT] == EV["filed_report"]
        rows[report, VALUE] = (kind[told][report] == EV["reported"]).astype(float)
        return rows

    def neighbourhood(self) -> np.ndarray:
        """The traced agents and all their neighbours (sorted ids; every tie, severed or
        not): whose true reports today a traced agent may have filed, or be named in."""
        net = self.sim.state.net
        _, edge, _ = ties_of(net, self.traced)
        return np.union1d(self.traced, neighbours_of(net.entries[edge]))

    def _keep_errors(self, day: int, rows: np.ndarray) -> None:
        """Keep today's errors against agents not traced (yet) in the error log."""
        rows = rows[(rows[:, EVENT] == ERRORS[0]) | (rows[:, EVENT] == ERRORS[1])]
        room = MAX_ERROR_LOG - self.error_rows
        if len(rows) > room:
            if self.errors_full_day < 0:
                self.errors_full_day = day
            rows = rows[:room]
        end = self.error_rows + len(rows)
        if end > len(self.error_ints):
            size = min(MAX_ERROR_LOG, max(2 * len(self.error_ints), end, 1024))
            self.error_ints = np.resize(self.error_ints, (size, len(LOG_INTS)))
            self.error_floats = np.resize(self.error_floats, (size, len(LOG_FLOATS)))
        self.error_ints[self.error_rows:end] = rows[:, LOG_INTS]
        self.error_floats[self.error_rows:end] = rows[:, LOG_FLOATS]
        self.error_rows = end

    def _logged_errors(self) -> np.ndarray:
        """The error log's rows of the agents whose case files opened today (taken out of
        the log), as events."""
        ints = self.error_ints[:self.error_rows]
        theirs = self.flags[ints[:, 1]] == OPENED
        rows = np.full((int(theirs.sum()), WIDTH), -1.0)
        rows[:, LOG_INTS] = ints[theirs]
        rows[:, LOG_FLOATS] = self.error_floats[:self.error_rows][theirs]
        slot = self.sim.ledger.slot
        rows[:, SOURCE] = [slot(ERROR_SOURCE[k]) for k in rows[:, EVENT].astype(np.int64)]
        rows[:, VALUE] = 1.0
        kept = int((~theirs).sum())
        self.error_ints[:kept] = ints[~theirs]
        self.error_floats[:kept] = self.error_floats[:self.error_rows][~theirs]
        self.error_rows = kept
        return rows

    def _diff(self, t: Today, own: np.ndarray) -> None:
        """The day's rows of the agents traced before today: ``own`` (logged by the
        steps), then what their state says changed."""
        a = t.state.agents
        who = self.traced
        score = a["scores"][who, 0].astype(np.float64)
        out = []

        def log(mask, event, per=None, **cols):
            """Rows of ``event`` where ``mask`` (per traced agent; or per agent and
            behaviour or source, that index then going into the column ``per``)."""
            if not mask.any():
                return
            k, *j = np.nonzero(mask)
            row = np.full((len(k), WIDTH), -1.0)
            row[:, DAY] = t.day
            row[:, AGENT] = who[k]
            row[:, EVENT] = EV[event]
            row[:, POINTS] = 0.0
            row[:, SCORE_AFTER] = score[k]
            if per is not None:
                row[:, ROW.index(per)] = j[0]
            for name, values in cols.items():
                row[:, ROW.index(name)] = np.broadcast_to(values, mask.shape)[mask]
            out.append(row)

        acts = a["acts_total"][who]
        done = acts.astype(np.int64) - self.snap_acts
        log(done > 0, "acted", per="behaviour", value=done)
        out.append(own)
        points = a["points"][who].astype(np.float64)
        told = np.zeros_like(points)  # points of today's events, per agent and source
        booked = own[:, SOURCE] >= 0
        np.add.at(told, (np.searchsorted(who, own[booked, AGENT].astype(np.int64)),
                         own[booked, SOURCE].astype(np.int64)), own[booked, POINTS])
        moved = points - self.snap_points - told
        step = POINTS_EPSILON if t.last_day else POINTS_STEP
        untold = np.abs(moved) >= step
        other, count = self._neighbours_behind(t, who, untold & (moved < 0))
        log(untold, "points", per="source", points=moved, other_agent=other, value=count)
        status = a["status"][who]
        times = a["times_listed"][who]
        new_listing = times > self.snap_times_listed
        wrongful = (status & WRONGFUL) != 0
        cause = np.full(len(who), -1.0)
        if new_listing.any() and wrongful.any():
            rows = self.sim.provenance.today_rows
            pos = np.searchsorted(who, rows[:, 1].astype(np.int64))
            mine = (pos < len(who)) & (who[np.minimum(pos, len(who) - 1)] == rows[:, 1])
            cause[pos[mine]] = rows[mine, 2]
        severe = (a["today"][who] & SEVERE_REAL) != 0  # listed whatever its score
        log(new_listing, "listed", value=WRONGFULLY * wrongful + ON_SEVERE_ACT * severe,
            cause=cause)
        log(((self.snap_status & LISTED) != 0) & ((status & LISTED) == 0), "delisted")
        detained, was_detained = (status & DETAINED) != 0, (self.snap_status & DETAINED) != 0
        if (detained & ~was_detained).any():  # the detention step keeps the release days
            step = next(s for s in self.sim.steps if s.name == "detention")
            why = np.full(len(who), -1.0)  # coded after the wrongful listings' causes
            known = np.isin(who, step.traced_detained)
            why[known] = len(CAUSES) + step.traced_detained_for[
                np.searchsorted(step.traced_detained, who[known])]
            log(detained & ~was_detained, "detained", value=step.release_day[who], cause=why)
        log(was_detained & ~detained, "released")
        tier = a["tier"][who]
        log(tier != self.snap_tier, "tier", value=tier)
        counts = np.stack([rows_or_zeros(a, c, who) for c in COUNTS], axis=1).astype(np.int64)
        rise = counts - self.snap_counts
        for k, event in enumerate(COUNT_EVENTS):
            if event == "school_barred":  # a bar lasts: logged on its first day
                log((rise[:, k] > 0) & (self.snap_barred == 0), event, value=1.0)
            else:
                log(rise[:, k] > 0, event, value=rise[:, k])
        barred = (rise[:, COUNT_EVENTS.index("school_barred")] > 0).astype(np.uint8)
        fear = a["fear"][who]
        log(np.abs(fear - self.snap_fear) >= FEAR_STEP, "fear", value=fear)
        self._write(out)
        # Fear is compared with its value at the last logged move, so slow drifts show;
        # points, likewise, from what the rows have told so far.
        fear_then = np.where(np.abs(fear - self.snap_fear) >= FEAR_STEP, fear, self.snap_fear)
        points_then = np.where(untold, points, self.snap_points + told)
        self.snap_points, self.snap_status, self.snap_tier = points_then, status, tier
        self.snap_fear, self.snap_times_listed, self.snap_acts = fear_then, times, acts
        self.snap_counts, self.snap_barred = counts, barred

    def _start(self, day: int, new: np.ndarray) -> None:
        """Write the opening rows of the case files ``open_listed`` opened today (``new``,
        sorted ids): their errors from the error log (today's included), then the points
        each source booked to them until the opening besides those (``traced`` rows),
        each with the score at the end of the day; they are traced as any other agent
        from tomorrow on."""
        a = self.sim.state.agents
        errors = self._logged_errors()
        errors = errors[np.lexsort((errors[:, AGENT], errors[:, DAY]))]
        before = self.snap_points[np.searchsorted(self.traced, new)].copy()
        np.add.at(before, (np.searchsorted(new, errors[:, AGENT].astype(np.int64)),
                           errors[:, SOURCE].astype(np.int64)), -errors[:, POINTS])
        others = self._others(new)
        rows = [errors]
        if self.errors_full_day >= 0:
            untold = np.full((len(new), WIDTH), -1.0)
            untold[:, DAY], untold[:, AGENT] = day, new
            untold[:, EVENT], untold[:, POINTS] = EV["errors_untold"], 0.0
            untold[:, SCORE_AFTER] = a["scores"][new, 0]
            untold[:, VALUE] = self.errors_full_day
            rows.append(untold)
        for s in range(before.shape[1]):
            k = np.flatnonzero(np.abs(before[:, s]) > (POINTS_EPSILON if s in others
                                                       else 0.0))
            row = np.full((len(k), WIDTH), -1.0)
            row[:, DAY] = day
            row[:, AGENT] = new[k]
            row[:, EVENT] = EV["traced"]
            row[:, SOURCE] = s
            row[:, POINTS] = before[k, s]
            row[:, SCORE_AFTER] = a["scores"][new[k], 0]
            if s in others:
                row[:, OTHER] = others[s][k]
            rows.append(row)
        self._write(rows)
        self.flags[new] = 1

    def _neighbours_behind(self, t: Today, who: np.ndarray, lost: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
        """For the points each traced agent ``who[k]`` lost to its ties (``lost[k, slot]``
        of the sources ``association`` and ``listed_penalty``), the neighbour behind them at
        the end of the day (``neighbours_behind``) and, for the listed-neighbour penalty,
        how many listed active neighbours it has: -1 elsewhere."""
        other = np.full(lost.shape, -1.0)
        count = np.full(lost.shape, -1.0)
        column = self.sim.ledger.column
        for name, listed_only in (("association", False), ("listed_penalty", True)):
            if name not in column:
                continue
            k = np.flatnonzero(lost[:, column[name]])
            other[k, column[name]], listed = neighbours_behind(t, who[k], listed_only)
            if listed_only:
                count[k, column[name]] = listed
        return other, count

    def _others(self, who: np.ndarray) -> dict[int, np.ndarray]:
        """The other agent behind each error source's points of agents ``who``, by ledger
        column: whose act was pinned on them, who reported them falsely."""
        a, slot = self.sim.state.agents, self.sim.ledger.slot
        return {slot("misattribution"): a["mistaken_for"][who],
                slot("false_report"): a["falsely_reported_by"][who]}


def barred_before(t: Today, ids: np.ndarray) -> np.ndarray:
    """Whether the agents ``ids`` were barred from top schools by the day before's
    sanctions (uint8; ``mechanisms.sanction.parents_fail``), as it can be told after day
    t's listing phase: a child (a household's third member or later) in a region started
    before day t, one (or with ``parents: both``, both) of whose parents was listed before
    that phase (listed and not newly, or delisted today) or has a recorded score below
    θ_school. The scores are day t's (the day before's are gone): exact when only listed
    parents bar (no ``schools.score_below``), the default."""
    p, s = t.p.sanction, t.state
    a = s.agents
    if not p.school_bar:
        return np.zeros(len(ids), np.uint8)
    first = s.household_start[np.searchsorted(s.household_start, ids, side="right") - 1]
    parents = np.stack([first, np.minimum(first + 1, s.n - 1)])
    status, today = a["status"][parents], a["today"][parents]
    listed = (((status & LISTED) != 0) & ((today & NEW_LISTED) == 0)) | ((today & DELISTED) != 0)
    fail = listed | (a["scores"][parents, 0] < p.school_threshold)
    bar = fail.all(axis=0) if p.school_both_parents else fail.any(axis=0)
    started = t.p.region_start_day[a["region"][ids]] <= max(t.day - 1, 0)
    return ((ids - first >= 2) & bar & started).astype(np.uint8)


def ties_of(net, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ties of the agents ``ids``, all at once: for each, the index in ``ids`` of its
    agent (``owner``) and its position in the CSR (``edge``), agent by agent in tie order;
    and how many ties each agent has (``lengths``)."""
    starts = net.indptr[ids].astype(np.int64)  # not uint32: numpy mixes it into float64
    lengths = net.indptr[ids + 1] - starts
    owner = np.repeat(np.arange(len(ids)), lengths)
    edge = np.arange(len(owner)) - (np.cumsum(lengths) - lengths)[owner] + starts[owner]
    return owner, edge, lengths


def neighbours_behind(t: Today, ids: np.ndarray, listed_only: bool
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Which neighbour pulls each agent ``ids[k]``'s recorded score down at the end of day
    t (-1 when none), and how many of its active neighbours are listed. Among its active
    ties (not severed or suspended): the neighbour whose pull, tie weight × (its score −
    the agent's score), is the most negative; with ``listed_only``, the listed neighbour
    with the lowest score (each listed neighbour costs the same points). The first in tie
    order among equals. All the agents' ties at once, without a loop over agents."""
    net, a = t.state.net, t.state.agents
    owner, edge, lengths = ties_of(net, ids)
    first = np.cumsum(lengths) - lengths  # each agent's first position in ``owner``
    entries = net.entries[edge]
    tie, nbrs = codes_of(entries), neighbours_of(entries)
    active = (tie & INACTIVE) == 0
    score = a["scores"][nbrs, 0].astype(np.float64)
    listed = active & ((a["status"][nbrs] & LISTED) != 0)
    if listed_only:
        pull = np.where(listed, score, np.inf)
    else:
        pull = t.p.score.tie_weight[tie & TYPE_MASK] * (score - a["scores"][ids, 0][owner])
        pull = np.where(active & (pull < 0.0), pull, np.inf)
    order = np.lexsort((pull, owner))  # by agent, then pull; stable: tie order kept
    best = order[first[lengths > 0]]
    other = np.full(len(ids), -1, np.int64)
    other[lengths > 0] = np.where(np.isfinite(pull[best]), nbrs[best], -1)
    return other, np.bincount(owner, weights=listed, minlength=len(ids)).astype(np.int64)


@functools.cache
def day_phases() -> tuple[tuple[str, ...], dict[str, str]]:
    """The phases an event can be told in, in day order (the mechanisms' names: MODEL.md,
    "One day, in order"), and the phase of each source (the mechanism declaring it)."""
    from scsim.core.mechanism import mechanisms

    found = mechanisms()
    return (tuple(m.name for m in found),
            {s.name: m.name for m in found if m.sources is not None
             for s in m.sources.declared})


def told_order(events: np.ndarray, sources: np.ndarray, names) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Where each event (codes ``events``, source slots ``sources`` of ``names.sources``)
    is told within its day: its phase (index of ``day_phases()``) and its place in the
    phase (TOLD: a ``points`` row in the phase of its source, where that phase lists
    ``points``, else after the phase's other events)."""
    phases, source_phase = day_phases()
    rank = {phase: {e: k for k, e in enumerate(told)} for phase, told in TOLD}
    phase_of = np.array([phases.index(TOLD_IN[e]) if e in TOLD_IN else -1 for e in EVENTS])
    place_of = np.array([rank[TOLD_IN[e]][e] if e in TOLD_IN else -1 for e in EVENTS])
    # a points row: where its source's phase lists points, else after its other events
    points_place = np.array([rank.get(p, {}).get("points", len(rank.get(p, {})))
                             for p in phases])
    by_source = np.array([phases.index(source_phase[s]) for s in names.sources], np.int64)
    phase, place = phase_of[events], place_of[events]
    points = events == EV["points"]
    phase[points] = by_source[sources[points]]
    place[points] = points_place[phase[points]]
    return phase, place


def events_table(rows: np.ndarray, names) -> pd.DataFrame:
    """The events of a run's case files (``CaseFiles.events``) as a table, in the order
    they are told: by day, agent, then phase in day order and place in the phase
    (``told_order``), else as logged. Columns: day, agent, event, source, points,
    score_after, other_agent, behaviour, channel, value, cause (names for the codes; ""
    or -1 where they do not apply) and phase (a categorical of ``day_phases``)."""
    events = rows[:, EVENT].astype(np.int64)
    phase, place = told_order(events, rows[:, SOURCE].astype(np.int64), names)
    order = np.lexsort((place, phase, rows[:, AGENT], rows[:, DAY]))  # stable
    rows, phase = rows[order], phase[order]

    def named(column: int, values) -> np.ndarray:
        # code -1 (does not apply) picks the "" at the end
        return np.array([*values, ""], object)[rows[:, column].astype(np.int64)]

    return pd.DataFrame({
        "day": rows[:, DAY].astype(np.int32), "agent": rows[:, AGENT].astype(np.int32),
        "event": pd.Categorical.from_codes(rows[:, EVENT].astype(np.int32),
                                           categories=EVENTS),
        "source": named(SOURCE, names.sources),
        "points": rows[:, POINTS], "score_after": rows[:, SCORE_AFTER].astype(np.float32),
        "other_agent": rows[:, OTHER].astype(np.int32),
        "behaviour": named(BEHAVIOUR, names.behaviours),
        "channel": named(CHANNEL, names.channels),
        "value": rows[:, VALUE], "cause": named(CAUSE, CASE_CAUSES),
        "phase": pd.Categorical.from_codes(phase.astype(np.int32),
                                           categories=day_phases()[0])})


CASE_CAUSES = (*CAUSES, *DETENTION_CAUSES)  # the codes of an event's ``cause``
DETAINED_FOR = {"score_below_threshold": "score below θ_detain",
                "political_act": "listed for a political act"}
TIE_TYPES = ("family", "social", "work")  # tie-type codes (world.network.csr)
STORY = {
    "association": "pulled toward its neighbours' scores",
    "listed_penalty": "penalised for listed neighbours",
}
"""How a ``points`` row of these sources reads (others: the source's label)."""


def _fate(dropped: bool) -> str:
    return "; dropped (impunity), no points" if dropped else ""


def tell(e, tiers: list[str], acts: dict) -> str | None:
    """What event ``e`` (a row of the events table) says, in words, behaviours and
    channels named as a reader says them (``spoken``); None for one told in another's line
    (``act_unseen``, ``seen_as_other`` rows are counted in ``acted``) and for a tracing
    start that says nothing (a source's points before tracing that round to 0.0).
    ``acts``: (day, behaviour) -> a Counter of what became of that day's acts."""
    ev, other, did = str(e.event), e.other_agent, f"({spoken(e.behaviour)})"
    points = f"; {signed_points(e.points)} points" if e.points else ""
    if ev == "traced":
        if round(e.points, 1) == 0 and other < 0:
            return None
        return (f"tracing starts: {signed_points(e.points)} points from "
                f"{source(e.source).label} until now"
                + (f" (last: agent {other})" if other >= 0 else ""))
    if ev == "acted":
        fates = acts.get((e.day, e.behaviour))
        told = ", ".join(f"{k} {what}" for what, k in fates.items()) if fates else ""
        return (f"acted: {spoken(e.behaviour)} ×{e.value:.0f}"
                + (f" — {told}" if told else ""))
    if ev == "sighted":
        return f"seen by {spoken(e.channel)} {did}" + _fate(e.value == 0) + points
    if ev == "misattributed":
        return (f"sighted by {spoken(e.channel)} {did} — in fact agent {other}, "
                f"a false match{_fate(e.value == 0)}{points}")
    by = f"its neighbour agent {other}" if other >= 0 else "a neighbour"
    if ev == "reported":
        return (f"reported by {by} {did} for an act nobody saw, accepted"
                + _fate(e.value == 0) + points)
    if ev == "report_rejected":
        return f"reported by {by} {did}; the report was rejected"
    if ev == "falsely_reported":
        return f"falsely reported by agent {other} {did}, and the report was accepted{points}"
    if ev == "false_report_rejected":
        return (f"falsely reported by agent {other} {did}; the report was "
                + ("accepted but dropped (impunity)" if e.value == 1 else "rejected"))
    if ev == "filed_report":
        return (f"reported agent {other} {did} for an act nobody saw, "
                + ("accepted" if e.value == 1 else "rejected"))
    if ev == "filed_false_report":
        return (f"filed a false report against agent {other} {did}, "
                + ("accepted" if e.value == 1 else "rejected"))
    if ev == "points":
        return f"{STORY.get(e.source, source(e.source).label)}{_behind(e)}{points}"
    if ev == "listed":
        how = int(e.value)
        return ("LISTED" + (" on a severe act (whatever the score)" if how & ON_SEVERE_ACT
                            else "")
                + (f" — wrongfully (cause: {e.cause.replace('_', ' ')})" if how & WRONGFULLY
                   else ""))
    if ev == "appeal_filed":
        return "appealed against the listing"
    if ev in ("appeal_won", "appeal_lost"):
        return ev.replace("_", " ")
    if ev == "tier":
        return f"tier {tiers[int(e.value)] if tiers else int(e.value)}"
    if ev == "tie_severed":
        return f"agent {other} severed its {TIE_TYPES[int(e.value)]} tie"
    if ev == "cut_tie":
        return f"severed its {TIE_TYPES[int(e.value)]} tie with the shamed agent {other}"
    if ev == "fear":
        return f"fear now {e.value:.2f}"
    if ev == "errors_untold":
        return (f"the error log was full from day {e.value:.0f}: errors against this agent "
                "since then are in the totals above only")
    if ev == "delisted":
        return ev
    if ev == "listed_at_start":
        return (f"on the list from before the run (listed before day 0), until day "
                f"{e.value:,.0f}")
    if ev == "detained":
        why = DETAINED_FOR.get(e.cause)
        return f"DETAINED until day {e.value:.0f}" + (f" ({why})" if why else "")
    if ev == "released":
        return "released from detention"
    if ev == "relative_detained":
        return _relatives(other, int(e.value), e.points)
    if ev == "family_privileges_used":
        return f"used {counted(e.value, 'privilege')} through household member {other} (top tier)"
    if ev == "shamed":
        return "publicly shamed"
    if ev == "school_barred":
        return "barred from top schools because of its parents (listed or scored low)"
    if ev in COUNTED:
        return COUNTED[ev](int(e.value))
    if ev in ("act_unseen", "seen_as_other"):
        return None
    return f"{ev.replace('_', ' ')}: {e.value:.0f}"


def _behind(e) -> str:
    """Who is behind points lost to one's ties (a ``points`` row of association or the
    listed-neighbour penalty), in words: '' when nobody is named."""
    if e.other_agent < 0:
        return ""
    if e.source == "association":
        return f" (most by agent {e.other_agent})"
    more = int(e.value) - 1
    return f" (agent {e.other_agent}" + (
        f" and {counted(more, 'other listed neighbour')})"
        if more > 0 else ")")


def _relatives(first: int, detained: int, points: float) -> str:
    """A ``relative_detained`` row in words: the points lost (when any) because household
    member ``first`` (and ``detained`` - 1 others) is detained."""
    who = f"household member {first}" + (
        f" and {counted(detained - 1, 'other')} are" if detained > 1 else " is")
    if not points:
        return f"{who} detained"
    return f"lost {signed_points(-points).lstrip('+')} points because {who} detained"


COUNTED = {
    "blocked_tickets": lambda k: counted(k, "travel ticket") + " blocked",
    "blocked_other": lambda k: counted(k, "purchase or application", "purchases or "
                                      "applications") + " blocked",
    "privileges_used": lambda k: "used " + counted(k, "privilege"),
    "services_refused": lambda k: counted(k, "everyday service") + " refused by businesses "
                                  "(hotels, loans, rentals, shops)",
    "services_served": lambda k: counted(k, "everyday service") + " served by businesses "
                                 "despite the listing",
}
"""How the events that count something today read (``value``: how many)."""


def _act_fates(events: pd.DataFrame) -> dict:
    """(day, behaviour) -> Counter of what became of those acts, in words."""
    fates: dict = {}
    for e in events.itertuples(index=False):
        if e.event == "sighted":
            what = f"seen by {spoken(e.channel)}"
        elif e.event == "seen_as_other":
            what = f"seen by {spoken(e.channel)} but pinned on agent {e.other_agent}"
        elif e.event == "act_unseen":
            what = "unseen"
        else:
            continue
        fates.setdefault((e.day, e.behaviour), Counter())[what] += 1
    return fates


NAMED = 3
"""A line telling several ties severed the same day names this many of the neighbours (all
of them when one more would be all)."""


def _ties(rows: list) -> str:
    """The tie types of ``rows`` (``tie_severed`` or ``cut_tie`` events), in words: "social
    ties", or "ties (60 social, 8 family)"."""
    kinds = Counter(TIE_TYPES[int(e.value)] for e in rows)
    if len(kinds) == 1:
        return f"{next(iter(kinds))} ties"
    return "ties (" + ", ".join(f"{k} {kind}" for kind, k in kinds.most_common()) + ")"


def _agents(rows: list) -> str:
    """The other agents of ``rows``, in words: "agents 12, 40 and 77", or "agents 12, 40,
    77 and 65 others" (NAMED of them)."""
    ids = [str(e.other_agent) for e in rows]
    if len(ids) > NAMED + 1:
        ids = [*ids[:NAMED], counted(len(ids) - NAMED, "other")]
    return "agents " + ", ".join(ids[:-1]) + " and " + ids[-1]


def tell_ties(rows: list) -> str:
    """Several ties severed the same day (``rows``: two or more ``tie_severed``, or
    ``cut_tie``, events of one agent and day), in one line with their count and a few of
    the neighbours."""
    if str(rows[0].event) == "tie_severed":
        return f"{len(rows)} neighbours severed their {_ties(rows)}: {_agents(rows)}"
    return f"severed its {_ties(rows)} with {len(rows)} shamed neighbours: {_agents(rows)}"


STREAKED = ("relative_detained",)
"""Events that repeat every day while a state lasts: a streak of them on consecutive days,
alike, is told once, on its first day (``_streaks``)."""


def _streaks(events: pd.DataFrame) -> dict[int, tuple[int, int, float] | None]:
    """The STREAKED rows of one agent's events (sorted by day) by position: for the first
    row of a streak of alike rows (same event, other agent, value and points) on
    consecutive days, (days, last day, points in all); None for the others of a streak."""
    streaks: dict[int, tuple[int, int, float] | None] = {}
    opened: dict[tuple, int] = {}  # alike rows -> position of the row opening their streak
    for pos in np.flatnonzero(events["event"].isin(STREAKED).to_numpy()):
        e = events.iloc[pos]
        key = (str(e.event), e.other_agent, e.value, e.points)
        first = opened.get(key)
        if first is not None and streaks[first][1] == e.day - 1:
            days, _, total = streaks[first]
            streaks[first], streaks[pos] = (days + 1, int(e.day), total + e.points), None
        else:
            opened[key], streaks[pos] = pos, (1, int(e.day), float(e.points))
    return streaks


def _streak(what: str, days: int, last: int, total: float) -> str:
    """A streaked event's line (``what``) told for the ``days`` consecutive days to ``last``
    that it repeated, with the points of them all."""
    if days == 1:
        return what
    return (f"{what}, every day to day {last} ({counted(days, 'day')}"
            + (f", {signed_points(-total).lstrip('+')} points lost in all)" if total
               else ")"))


def boundaries(sc) -> tuple[float, ...]:
    """The scores a case file's lines must not be shown across: every tier's lower bound
    and the listing threshold, of every epoch of ``sc``'s timeline."""
    from scsim.scenario.loader import timeline_epochs

    found = set()
    for _, epoch in timeline_epochs(sc):
        found.update(t.min for t in epoch.tiers)
        if epoch.listing.threshold is not None:
            found.add(epoch.listing.threshold)
    return tuple(sorted(found))


def signed_points(points: float) -> str:
    """Points gained (+) or lost (-) in words: one decimal, '+2.5', '-0.3'; under 0.05
    points two significant digits, '-0.0042', and under 0.0001 a bound, '+<0.0001': never
    a '-0.0' or '+0.0' that reads as none; 0 is '0'."""
    if points == 0:
        return "0"
    size = abs(points)
    if size >= 0.05:
        return f"{points:+.1f}"
    if size < 0.0001:
        return f"{'+' if points > 0 else '-'}<0.0001"
    return f"{points:+.{1 - math.floor(math.log10(size))}f}"


def shown_score(score: float, bounds: tuple[float, ...] = ()) -> str:
    """A score in a case file's line: one decimal, or as many (up to 4) as it takes to stay
    on its side of each of ``bounds`` (``boundaries``): 699.9987 in tier b, whose upper
    bound is 700, is "699.999", not "700.0"."""
    for places in range(1, 5):
        shown = round(score, places)
        if all((shown >= b) == (score >= b) for b in bounds):
            break
    return f"{score:.{places}f}"


def _days_of(durations: set[int]) -> str:
    """Listing terms in words: "365 days", or "180 or 365 days" when the timeline changes
    them."""
    return " or ".join(f"{d:,}" for d in sorted(durations)) + (
        " day" if durations == {1} else " days")


def listing_term(sc) -> str:
    """How long a listing of ``sc`` lasts, in words after the threshold of ``reading_key``:
    its term (``listing.duration``; ``severe_duration`` for a severe act, when the scenario
    has one), that it holds whatever the score does meanwhile, renewal at its end
    (``renew``, when a score threshold lists), and what ends it sooner (a won appeal,
    complying). A case file showed a listed agent back above the threshold, and an appeal
    lost after it, with nothing saying the listing runs its term. '' when nothing lists."""
    from scsim.scenario.loader import timeline_epochs

    listings = [e.listing for _, e in timeline_epochs(sc) if e.listing.enabled]
    if not listings:
        return ""
    terms = {lst.duration for lst in listings}
    severe = {lst.severe_duration for lst in listings
              if lst.severe_duration is not None} - terms
    scored = any(lst.threshold is not None for lst in listings)
    told = (f", each listing for {_days_of(terms)}" if scored else
            f"; each listing lasts {_days_of(terms)}")
    if severe and any(b.severe for b in sc.behaviours):
        told += f" ({_days_of(severe)} for a severe act)"
    told += " even if the score recovers meanwhile" if scored else ""
    if scored and any(lst.renew for lst in listings):
        told += ", renewed at its end if the score is still below"
    sooner = ([*(["a won appeal"] if any(lst.appeals.enabled for lst in listings) else []),
               *(["complying"] if any(lst.compliance_rate > 0 for lst in listings) else [])])
    if len(listings) < len(timeline_epochs(sc)):
        sooner.append("the system's end")
    return told + (f", unless {' or '.join(sooner)} ends it sooner" if sooner else "")


def _listed_below(sc) -> str:
    """"; listed below 550 points" for ``sc``'s listing threshold, and from which day each
    step of its timeline changes it ("; listed below 550 points, from day 365 nobody new":
    a threshold at or below the lowest score lists nobody; it said "listed below 0 or 550
    points (the timeline changes it)"); "" where nothing lists by score."""
    from scsim.scenario.loader import timeline_epochs

    said, now = [], None  # None: nobody is listed by score
    for day, e in timeline_epochs(sc):
        threshold = e.listing.threshold if e.listing.enabled else None
        below = threshold if threshold is not None and threshold > e.scoring.min else None
        if below == now:
            continue
        when = f"from day {day:,} " if day else ""
        said.append(when + ("" if said else "listed ")
                    + ("nobody new" if below is None else f"below {below:,g} points"))
        now = below
    return "; " + ", ".join(said) if said else ""


def _tier_bands(sc) -> str:
    """"; tiers by score: a from 700 points, b from 650 points, ..." for ``sc``'s tiers
    (``outputs.words.tier_bands``, as the agents table's column says them), and from which
    day each step of its timeline changes them: a case file's "tier c" told a reader
    nothing. "" with fewer than two tiers (everyone in one), or where scores never move
    (no-system)."""
    from scsim.scenario.loader import timeline_epochs

    epochs = timeline_epochs(sc)
    if not any(e.scoring.enabled for _, e in epochs):
        return ""
    said, now = [], ""
    for day, e in epochs:
        bands = tier_bands(e.tiers) if len(e.tiers) > 1 else "everyone in one tier"
        if bands != now:
            said.append((f"from day {day:,} " if day else "") + bands)
            now = bands
    return "" if said == ["everyone in one tier"] else "; tiers by score: " + "; ".join(said)


def reading_key(sc, start_score: float) -> str:
    """What a reader needs to check a case file's lines, said under its first: the score the
    agent started from (points), the listing threshold of ``sc`` (each of its timeline's,
    when it changes), its tiers (``_tier_bands``), and that small amounts are told once
    they add up to a point (a page showed "-1.2 points (score 549.4)" after "score
    549.9996", with no way to tell why)."""
    return (f"(started at {start_score:,.1f} points{_listed_below(sc)}{listing_term(sc)}"
            f"{_tier_bands(sc)}; amounts under a point, such as the daily pull toward "
            "neighbours or recovery, are told once they add up to a point, so a score shown "
            "may differ from the amounts told before it by what is not told yet)")


RIGHTFUL = " — rightfully: the same acts without errors would have listed it too"
"""What a listing's line adds when the listing is not wrongful, in a run that can err: the
line of a wrongful one gave its cause, a rightful one's nothing, and "why was this person
listed?" had no answer there."""
ENDS_ON_ANOTHER = frozenset({"tie_severed", "cut_tie", "family_privileges_used"})
"""Events whose line ends on another agent (so does a ``traced`` row naming one, and a
wrongful listing's naming who is behind it): "(score 549.7)" after "mistaking it for
agent 2195" read as agent 2195's score, so those lines say whose it is."""


def story(events: pd.DataFrame, agent: int, tiers: list[str],
          wrongful: pd.DataFrame | None = None, bounds: tuple[float, ...] = (),
          reading: str = "", node: str = "", errors: bool = False) -> str:
    """A traced agent's case file as a dated story, one line per event (an act's fate is
    told in its ``acted`` line), in the order of its rows (``events_table``: the order of
    the day's phases). A run of events told alike the same day is one line: severed ties
    with their count and a few of the neighbours (``tell_ties``), other identical lines
    followed by how many times. A STREAKED event repeated alike on consecutive days is one
    line on its first day, with its last day and how many (``_streaks``). A wrongful
    listing's line names who is behind it as ``wrongful_stories`` does (``_who``), from
    the agent's rows of the wrongful listings (``wrongful``); with ``errors`` (the run can
    err) any other listing's line says it is rightful (``RIGHTFUL``). Scores have one
    decimal, or more where one would show them across a tier's bound or the listing
    threshold (``bounds``, see ``shown_score``); a line that ends on another agent says
    whose score it is (``ENDS_ON_ANOTHER``). ``reading`` (``reading_key``) is said under
    the first line, and ``node`` (``in_file``) follows the agent's id in it."""
    acts = _act_fates(events)
    streaks = _streaks(events)
    listings = () if wrongful is None else wrongful[wrongful["agent"] == agent].itertuples(
        index=False)
    behind = {int(w.day): _who(w) + _neighbours(w) for w in listings}
    told = []  # (key, what, rows, ends on another agent): one per line; its rows share key
    detained_until = -1  # the release day of the agent's detention, while detained
    for pos, e in enumerate(events.itertuples(index=False)):
        event = str(e.event)
        if event == "detained":
            detained_until = int(e.value)
        elif event == "released":
            detained_until = -1
        if pos in streaks:
            if streaks[pos] is None:
                continue
            what = _streak(tell(e, tiers, acts), *streaks[pos])
        else:
            what = tell(e, tiers, acts)
        if what is None:
            continue
        named_last = event in ENDS_ON_ANOTHER or (event == "traced" and e.other_agent >= 0)
        if event == "listed" and int(e.value) & WRONGFULLY:
            named_last = bool(behind.get(int(e.day)))
            what += behind.get(int(e.day), "")
        elif event == "listed" and errors:
            what += RIGHTFUL
        if event == "delisted" and detained_until > e.day:  # after a won appeal, too
            what += f" (still detained until day {detained_until:,}: a detention runs its term)"
        ties = str(e.event) in ("tie_severed", "cut_tie")
        key = (e.day, str(e.event) if ties else what)
        if told and told[-1][0] == key:
            told[-1][2].append(e)
        else:
            told.append((key, what, [e], named_last))
    lines = []
    for (day, kind), what, rows, named_last in told:
        if len(rows) > 1:
            what = tell_ties(rows) if kind in ("tie_severed", "cut_tie") else (
                f"{what} — {counted(len(rows), 'time')}")
        whose = f"agent {agent}'s score" if named_last else "score"
        lines.append(f"day {day}: {what} ({whose} {shown_score(rows[0].score_after, bounds)})")
    head = f"agent {agent}{node}: case file, {counted(len(events), 'event')}"
    return "\n".join([head, *([reading] if reading else []), *lines])


@dataclass(frozen=True)
class CaseFile:
    """One agent's case file: ``frame`` (its events, or for an agent that was not traced
    its points by source) and ``text`` (the dated story); ``str()`` is the text."""

    agent: int
    traced: bool
    frame: pd.DataFrame
    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        told = counted(len(self.frame), "event") if self.traced else "not traced"
        return f"CaseFile(agent {self.agent}, {told})"

    def _repr_html_(self) -> str:
        from scsim.outputs.display import case_file_html

        return case_file_html(self)


def opened_table(step: CaseFiles) -> pd.DataFrame:
    """The traced agents of a finished run (``traced.parquet``): agent, and from_day, the
    day its case file opens (0 for ``--trace``/``--trace-ids``, the day of the listing for
    the wrongfully listed), by agent."""
    return pd.DataFrame({"agent": step.traced.astype(np.int64),
                         "from_day": step.traced_from.astype(np.int32)})


def traced_table(res) -> pd.DataFrame:
    """The agents of ``res`` with a case file (see ``Result.traced``): one row each, the
    wrongfully listed first, then the others ever listed, then the rest, each part by id.
    A run stored before the ``traced`` table lists the agents its events name (from_day
    -1: not recorded)."""
    opened = res.provenance.get("traced")
    events = res.provenance.get("events")
    if opened is None:
        agents = np.unique(np.empty(0, np.int64) if events is None
                           else events["agent"].to_numpy())
        opened = pd.DataFrame({"agent": agents, "from_day": np.full(len(agents), -1)})
    agents = opened["agent"].to_numpy(np.int64)
    rows = res.agents.iloc[agents]
    counted = np.zeros(len(agents), np.int64)
    if events is not None and len(events):
        named, k = np.unique(events["agent"].to_numpy(), return_counts=True)
        counted[np.searchsorted(agents, named)] = k
    table = pd.DataFrame({
        "agent": agents,
        "from_day": opened["from_day"].to_numpy(np.int64),
        "times_listed": rows["times_listed"].to_numpy(np.int64),
        "wrongful_listings": rows["wrongful_listings"].to_numpy(np.int64),
        "days_listed": rows["days_listed"].to_numpy(np.int64),
        "group": rows["group"].astype(str).to_numpy(),
        "region": rows["region"].to_numpy(np.int64),
        "events": counted})
    order = np.lexsort((table["agent"], table["times_listed"] == 0,
                        table["wrongful_listings"] == 0))
    return table.iloc[order].reset_index(drop=True)


# What the story of an agent without a case file starts with: how to get one.
UNTRACED = ("agent {agent} was not traced (`--trace-ids {agent}` traces it, trace=[{agent}] "
            "in Python)")


def in_file(res, agent: int) -> str:
    """Which node of the network file ``agent`` is, in words (" (node 5824594 of the
    network file)"), from the agents table's ``file_id``; "" on a generated network."""
    if "file_id" not in res.agents.columns:
        return ""
    return f" (node {int(res.agents['file_id'].iloc[agent])} of the network file)"


def case_file(res, agent: int, untraced: str = UNTRACED) -> CaseFile:
    """The case file of ``agent`` in the Result ``res`` (see ``Result.explain``);
    ``untraced`` says, for an agent that has none, how to get one (``{agent}``: its id)."""
    n = int(res.info.get("agents", len(res.agents)))
    if isinstance(agent, bool) or not isinstance(agent, numbers.Integral):
        raise ScsimError(f"an agent is a whole number from 0 to {n - 1:,}, got {agent!r}")
    agent = int(agent)
    if not 0 <= agent < n:
        raise ScsimError(f"no agent {agent} in this run: agent numbers start at 0, and this "
                         f"run's are 0 to {n - 1:,}")
    events = res.events
    mine = events[events["agent"] == agent].reset_index(drop=True)
    tiers = list(res.names.tiers)
    node = in_file(res, agent)
    if len(mine):
        reading = reading_key(res.scenario, float(res.agents["start_score"].iloc[agent]))
        return CaseFile(agent, True, mine, story(mine, agent, tiers,
                                                 res.provenance.get("wrongful"),
                                                 boundaries(res.scenario), reading, node,
                                                 res.names.errors))
    opened = res.provenance.get("traced")
    since = opened.loc[opened["agent"] == agent, "from_day"] if opened is not None else ()
    if len(since):
        return CaseFile(agent, True, mine, f"agent {agent}{node}: case file, no events: nothing "
                        f"was logged for it from day {since.iloc[0]} to the end of the run")
    row = res.agents.iloc[agent]
    kept = res.names.per_agent_sources
    sources = res.names.sources if kept else []
    totals = pd.DataFrame({
        "source": sources,
        "label": [source(s).label for s in sources],
        "points": [float(row[f"points_{s}"]) for s in sources],
        "clean_points": [float(row[f"clean_points_{s}"]) if s in res.names.clean_sources
                         else 0.0 for s in sources]})
    about = (f"score {row['score']:.1f}, error-free {row['clean_score']:.1f}, from "
             f"{row['start_score']:.1f} at the start{_listings(row)}.")
    booked = [f"  {t.label}: {signed_points(t.points)}" for t in totals.itertuples()
              if t.points]
    lines = [f"{untraced.format(agent=agent)}{node}; {about} " + (
        "Points by source:" if booked else "No source booked it any points.") if kept else
             f"agent {agent}{node}: {about} This run kept no points by source per agent "
             "(metrics.per_agent_sources: false; `scsim sources` has them for all agents "
             "together)."]
    lines += booked
    wrong = res.wrongful[res.wrongful["agent"] == agent]
    for w in wrong.itertuples(index=False):
        lines.append(f"day {w.day}: wrongfully listed, cause {w.cause.replace('_', ' ')}"
                     + _who(w) + f" ({_scores(w)})" + _neighbours(w))
    return CaseFile(agent, False, totals, "\n".join(lines))


def _listings(row: pd.Series) -> str:
    """An untraced agent's listings, in words from its row of the agents table: ";
    listed 2 times, 65 days in all, and listed at the end"; "" when never listed (it
    said nothing of them, and "why was it listed?" got its points alone)."""
    times = int(row["times_listed"])
    if not times:
        return ""
    return (f"; listed {counted(times, 'time')}, {counted(int(row['days_listed']), 'day')} "
            f"in all" + (", and listed at the end" if row["listed"] else ""))


def _damage_points(value: float) -> str:
    """What errors cost a wrongful listing, in words: "12.3 points"; under 0.05 points two
    significant digits, "0.031 points" (a listing can hang on a few hundredths of a point:
    "cost it 0.0 points", beside the cause it names, read as a contradiction); "points"
    when the run, saved before, did not record it."""
    points = float(value)
    if not math.isfinite(points):
        return "points"
    if points == 0 or abs(points) >= 0.05:
        return f"{points:,.1f} points"
    return f"{points:.2g} points"


def _who(w) -> str:
    """The errors behind a wrongful listing (a row of ``res.wrongful``) and who made the
    last of each, in words: what false matches and false reports took until the listing
    and whose act was last pinned on it, who last reported it falsely; '' when nobody is
    named. (It named the last alone: of four false reports, the smallest, as if it were
    the one.)"""
    parts = []
    for who, damage, told in (("mistaken_for", "damage_misattribution",
                                "false matches cost it {}, the last mistaking it for agent {}"),
                              ("falsely_reported_by", "damage_false_report",
                               "false reports cost it {}, the last filed by agent {}")):
        agent = getattr(w, who, -1)
        if agent >= 0:
            parts.append(told.format(_damage_points(getattr(w, damage, math.nan)), agent))
    return ("; " + "; ".join(parts)) if parts else ""


def _neighbours(w) -> str:
    """The neighbours behind a wrongful listing's association damage (a row of
    ``res.wrongful``: ``provenance.association_behind``), in words after "; ": the points
    that errors in the neighbours' records cost it, the neighbour through whom the most
    came, with its scores, and how many of its neighbours were wrongfully listed at the
    listing; '' when none is (or the run, saved before, names none). "; errors in its
    neighbours' records cost it 2.2 points, the most through agent 2125 (score 540.2,
    error-free 561.0, itself wrongfully listed), and 2 other neighbours were wrongfully
    listed too". (It said that neighbour "pulled it down most", also of one whose score
    was above the agent's: the pull is toward the neighbours' scores, the damage what
    their errors took.)"""
    behind = int(getattr(w, "neighbour_behind", -1))
    count = int(getattr(w, "wrongful_neighbours", 0))
    were = "was" if count == 1 else "were"
    if behind < 0:
        return f"; {count} of its neighbours {were} wrongfully listed" if count > 0 else ""
    itself = bool(w.neighbour_wrongful)
    cost = _damage_points(getattr(w, "damage_association", math.nan))
    told = (f"; errors in its neighbours' records cost it {cost}, the most through agent "
            f"{behind} (" + _apart(w.neighbour_score, w.neighbour_clean_score)
            + (", itself wrongfully listed" if itself else "") + ")")
    others = count - itself
    if others <= 0:
        return told
    if itself:
        return (f"{told}, and {counted(others, 'other neighbour')} "
                f"{'was' if others == 1 else 'were'} wrongfully listed too")
    return f"{told}, and {count} of its neighbours {were} wrongfully listed"


def _apart(score: float, clean: float, threshold: float | None = None) -> str:
    """A recorded and an error-free score (points), in words, with as many decimals (1 to
    4) as it takes to tell them apart, and, given a ``threshold`` the recorded score is
    under, to show it under: "score 549.9996, error-free 550.0093", not "550.0, error-free
    550.0"."""
    for places in range(1, 5):
        rec, err_free = round(score, places), round(clean, places)
        if rec != err_free and (threshold is None or rec < round(threshold, places)):
            break
    return f"score {score:.{places}f}, error-free {clean:.{places}f}"


def _scores(w) -> str:
    """A wrongful listing's recorded and error-free scores (points), in words, with as many
    decimals (1 to 4) as it takes to tell them apart and to show the recorded one under
    the threshold: "score 549.9996, error-free 550.0093", not "550.0, error-free 550.0"
    for a listing decided by 0.01 points."""
    under = w.threshold_gap > 0  # listed by its score (else by a severe act)
    return _apart(w.score, w.clean_score, w.score + w.threshold_gap if under else None)


def _against_threshold(gap: float) -> str:
    """Where a listed score stood against the listing threshold, in words, from ``gap``
    (threshold minus score, points): one decimal, "less than 0.1 points under" for a score
    just under it (never "0 points under"), and, for a score at or above it, that the
    listing came from a severe act (the only way to be listed there, and the only way at
    all when listing has no threshold: ``gap`` is then minus infinity)."""
    if gap == -math.inf:
        return "listed for a severe act (listing has no score threshold)"
    if gap >= 0.05:
        return f"{gap:.1f} points under the threshold"
    if gap > 0.0:
        return "less than 0.1 points under the threshold"
    where = "at the threshold" if gap > -0.05 else f"{-gap:.1f} points above the threshold"
    return f"{where}: listed for a severe act"


def wrongful_stories(res, k: int) -> list[str]:
    """The first ``k`` wrongful listings of ``res``, each in one line: its scores, its
    cause and who is behind it: the false matches and false reports (``_who``), then the
    neighbours behind its association damage (``_neighbours``). (The scores came after
    the agent last mistaken for it, and read as that agent's.)"""
    return [f"agent {w.agent}, day {w.day}: wrongfully listed ({_scores(w)}, "
            f"{_against_threshold(w.threshold_gap)}), cause {w.cause.replace('_', ' ')}"
            f"{_who(w)}{_neighbours(w)}"
            for w in res.wrongful.head(k).itertuples(index=False)]
