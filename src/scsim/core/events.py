"""The events of case files (MODEL.md, "Provenance"): their kinds, the layout of an event
row, and ``add_event``, with which the mechanisms' serial passes and replays log the events
of traced agents (``outputs.casefile`` gathers them into each day's case-file rows).

An event row is float64, with the columns of ``ROW``; ``-1`` where a column does not apply.
The mechanisms fill ``agent`` to ``value``; the case-file step adds the day and the score at
the end of the day. Codes: ``event`` indexes ``EVENTS``, ``source`` the ledger's slots
(``core.source.source_registry``), ``behaviour`` and ``channel`` the scenario's behaviours
and surveillance channels, ``cause`` ``core.source.CAUSES`` (a wrongful listing's) followed
by ``DETENTION_CAUSES`` (a detention's).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EVENTS = (
    "traced",                 # tracing starts: points booked to `source` before
    "acted",                  # acts of `behaviour` today (`value`: how many)
    "sighted",                # an own act seen by `channel` and booked (`value` 0: impunity
                              # dropped it, no points)
    "seen_as_other",          # an own act seen by `channel` and pinned on `other_agent`
    "act_unseen",             # an own act no channel saw
    "reported",               # an own unseen act reported by a neighbour and accepted
                              # (`value` 0: impunity dropped it, no points)
    "report_rejected",        # an own unseen act reported by a neighbour, not accepted
    "misattributed",          # `other_agent`'s act seen by `channel`, pinned on the agent
                              # (`value` 0: impunity dropped it, no points)
    "falsely_reported",       # a false report by `other_agent`, accepted
    "false_report_rejected",  # a false report by `other_agent`, not accepted (`value` 1:
                              # accepted but dropped by impunity)
    "filed_false_report",     # the agent falsely reported `other_agent` (`value` 1: accepted)
    "points",                 # points booked to `source` without an event of their own
    "listed",                 # listed (`value`: 1 wrongfully, `cause` then; plus 2 on a
                              # severe act: WRONGFULLY, ON_SEVERE_ACT)
    "delisted",               # the listing ended
    "appeal_filed",           # appealed against its listing
    "appeal_won",             # ... and won (delisted the same day)
    "appeal_lost",            # ... and lost
    "tier",                   # moved to tier `value`
    "shamed",                 # publicly shamed
    "tie_severed",            # `other_agent` severed its tie with the agent (`value`: tie type)
    "cut_tie",                # the agent severed its tie with the shamed `other_agent`
    "blocked_tickets",        # travel tickets blocked today (`value`)
    "blocked_other",          # purchases and applications blocked today (`value`)
    "school_barred",          # barred from top schools for its parents (a bar's first day)
    "privileges_used",        # privileges used today (`value`)
    "fear",                   # fear moved (`value`: fear now)
    "errors_untold",          # the error log was full from day `value`: errors against the
                              # agent after it, before its tracing, are in the totals only
    "detained",               # detained today, until day `value` (its release day), `cause`
                              # a DETENTION_CAUSES code
    "released",               # released from detention today
    "filed_report",           # the agent reported `other_agent`'s unseen act (`behaviour`,
                              # `channel`; `value` 1: accepted, 0: rejected)
    "services_refused",       # everyday service transactions businesses refused the listed
                              # agent today (`value`: how many)
    "services_served",        # ... and served it despite its listing (`value`: how many)
    "relative_detained",      # household member `other_agent` is detained (`value`: how many
                              # other members are): the agent loses `points` (`source`
                              # detention_household) and fears for them
    "family_privileges_used", # privileges used today through `other_agent`, a top-tier
                              # household member (`value`: how many uses)
    "listed_at_start",        # on the list when its case file opens on day 0 (listed before
                              # the run: the initial stock or the warm-up; `value`: the day
                              # the listing ends)
)
EV = {name: k for k, name in enumerate(EVENTS)}

TOLD = (
    ("behave", ("acted",)),
    ("observe", ("sighted", "seen_as_other", "act_unseen", "misattributed")),
    ("report", ("reported", "report_rejected", "filed_report", "falsely_reported",
                "false_report_rejected", "filed_false_report")),
    ("classify", ("listed_at_start", "traced", "errors_untold", "appeal_filed",
                  "appeal_won", "appeal_lost", "points", "delisted", "listed", "tier")),
    ("sanction", ("blocked_tickets", "blocked_other", "school_barred", "privileges_used")),
    ("shunning", ("services_refused", "services_served")),
    ("detention", ("detained", "released", "relative_detained")),
    ("family_rewards", ("family_privileges_used",)),
    ("shame", ("shamed", "tie_severed", "cut_tie")),
    ("adapt", ("fear",)),
)
"""The order in which a day's events are told: by phase (the mechanism whose step does
what the event tells, in day order: MODEL.md, "One day, in order"), and within a phase in
the order listed. A ``points`` row is told in the phase of the mechanism that declares its
source: at the place where that phase lists ``points``, else after the phase's other
events. ``traced`` and ``errors_untold`` open a ``--trace-wrongful`` case file at the
listing's phase (OPENS_AT), before the listing."""
OPENS_AT = "classify"
"""The phase in which a ``--trace-wrongful`` case file opens (the phase that lists): from
it on, the listing day's events are in the case file; earlier ones are in its ``traced``
rows (points) or, for errors, told one by one from the error log."""

DETENTION_CAUSES = ("score_below_threshold", "political_act")
"""Why an agent was detained (``cause`` of a ``detained`` event, coded after
``core.source.CAUSES``): its recorded score was below θ_detain, or, not below it, it was
listed for a political act (``mechanisms.detention.listed_for_politics``)."""

ROW = ("day", "agent", "event", "source", "points", "score_after", "other_agent",
       "behaviour", "channel", "value", "cause")
WRONGFULLY, ON_SEVERE_ACT = 1, 2
"""The bits of a ``listed`` event's value: listed wrongfully, listed on a severe act."""

DAY, AGENT, EVENT, SOURCE, POINTS, SCORE_AFTER, OTHER, BEHAVIOUR, CHANNEL, VALUE, CAUSE = (
    range(len(ROW)))
WIDTH = len(ROW)

# The codes the kernels write (numba freezes module globals into a compiled function).
SIGHTED, SEEN_AS_OTHER, ACT_UNSEEN = EV["sighted"], EV["seen_as_other"], EV["act_unseen"]
REPORTED, REPORT_REJECTED = EV["reported"], EV["report_rejected"]
MISATTRIBUTED, FALSELY_REPORTED = EV["misattributed"], EV["falsely_reported"]
FALSE_REPORT_REJECTED = EV["false_report_rejected"]
APPEAL_FILED, APPEAL_WON, APPEAL_LOST = EV["appeal_filed"], EV["appeal_won"], EV["appeal_lost"]
TIE_SEVERED = EV["tie_severed"]
SERVICES_REFUSED, SERVICES_SERVED = EV["services_refused"], EV["services_served"]
RELATIVE_DETAINED, FAMILY_PRIVILEGES_USED = EV["relative_detained"], EV["family_privileges_used"]

NOT_TRACED = np.zeros(0, np.uint8)
"""The per-agent traced flags the serial passes get when nobody is traced (log nothing)."""


@njit(cache=True)
def no_events():
    """An empty event table, to grow with ``add_event``."""
    return np.full((0, WIDTH), -1.0)


@njit(cache=True)
def add_event(rows, m, agent, event, source, points, other, behaviour, channel, value):
    """Write event ``m`` into ``rows`` (grown when full): ``rows, m = add_event(rows, m,
    ...)``; the caller returns ``rows[:m]``. ``points`` in points, codes as in ``ROW``."""
    if m == len(rows):
        grown = np.full((2 * m + 16, WIDTH), -1.0)
        grown[:m] = rows
        rows = grown
    rows[m, AGENT] = agent
    rows[m, EVENT] = event
    rows[m, SOURCE] = source
    rows[m, POINTS] = points
    rows[m, OTHER] = other
    rows[m, BEHAVIOUR] = behaviour
    rows[m, CHANNEL] = channel
    rows[m, VALUE] = value
    return rows, m + 1


@njit(cache=True, inline="always")
def is_traced(traced, i):
    """Whether agent i is traced (``traced``: the flags of ``Today.traced``)."""
    return len(traced) > 0 and traced[i] != 0
