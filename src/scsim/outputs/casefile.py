"""Case files: the dated story of traced agents (MODEL.md, "Provenance").

A run traces a seeded random sample of agents (``--trace N``), chosen ones
(``--trace-ids``) and, with ``--trace-wrongful``, everyone who is wrongfully listed during
the run, from the day of that listing (their case file opens with the points each source
had booked to them until then). At the end of every day the case-file step compares each
traced agent with the day before and logs what changed, one row per event:

======================  ==============================================================
event                   what (columns used)
======================  ==============================================================
traced                  tracing starts: points booked to ``source`` before (``points``)
acted                   acts of ``behaviour`` performed today (``value``: how many)
points                  points booked to ``source`` (``points``: since last logged, once
                        at least POINTS_STEP); a misattribution
                        names the agent really seen, a false report the reporter
                        (``other_agent``); ``channel`` for sightings
listed                  listed (``value``: 1 if wrongfully; ``cause`` for wrongful ones)
delisted                the listing ended
appeal_won              an appeal against the listing won (logged with ``delisted``; a
                        record correction shows as ``points`` from ``record_correction``)
tier                    moved to tier ``value`` (an index of the scenario's tiers)
shamed                  publicly shamed
ties_lost               ties severed by neighbours today (``value``)
blocked_tickets         travel tickets blocked today (``value``)
blocked_other           purchases and applications blocked today (``value``)
school_barred           a child barred from top schools (the first day of a bar)
privileges_used         privileges used today (``value``)
fear                    fear moved by at least FEAR_STEP (``value``: fear now)
======================  ==============================================================

Every row has the recorded score at the end of the day (``score_after``). The events are
computed from the state after the day (snapshots of the traced agents only), so tracing
costs a few array lookups per traced agent and day and does not change the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scsim.core.source import CAUSES, source
from scsim.core.state import LISTED, PROTECTED, WRONGFUL
from scsim.core.step import Step, Today
from scsim.errors import ScsimError

MAX_TRACED = 100_000
"""At most this many agents get case files in one run (the sample and the chosen ids; the
wrongfully listed come on top): a case file for everyone of a large run would be larger than
the run itself."""

EVENTS = ("traced", "acted", "points", "listed", "delisted", "appeal_won", "tier", "shamed",
          "ties_lost", "blocked_tickets", "blocked_other", "school_barred", "privileges_used",
          "fear")
EV = {name: k for k, name in enumerate(EVENTS)}
FEAR_STEP = 0.1  # fear moves logged when at least this large (fear is in [0, 1])
COUNTS = ("ties_lost", "blocked_tickets", "blocked_other", "school_barred_days",
          "privileges_used", "times_shamed")  # history counts whose daily rise is an event
COUNT_EVENTS = ("ties_lost", "blocked_tickets", "blocked_other", "school_barred",
                "privileges_used", "shamed")
ROW = ("day", "agent", "event", "source", "points", "score_after", "other_agent",
       "behaviour", "value", "cause")
POINTS_STEP = 1.0
"""Points: a source's points are logged once they have moved by at least this much since
they were last logged (sightings and reports at once; the daily drips of association and
recovery when they add up to a point)."""
POINTS_EPSILON = 1e-6  # points: less is float rounding


@dataclass(frozen=True)
class Trace:
    """Which agents get case files: ``sample`` agents drawn at random (seeded by the
    run's seed), the agents ``ids``, and with ``wrongful`` everyone wrongfully listed."""

    sample: int = 0
    ids: tuple[int, ...] = ()
    wrongful: bool = False

    def chosen(self, n: int, seed: int) -> np.ndarray:
        """The agents traced from day 0 (sorted int64 ids)."""
        if self.sample < 0:
            raise ScsimError("--trace: the number of agents to trace is negative")
        bad = [i for i in self.ids if not 0 <= i < n]
        if bad:
            raise ScsimError(f"--trace-ids: no agent {bad[0]} in a run of {n:,} agents "
                             f"(ids are 0 to {n - 1:,})")
        if self.sample + len(self.ids) > MAX_TRACED:
            raise ScsimError(f"--trace: at most {MAX_TRACED:,} agents get case files "
                             f"(asked for {self.sample + len(self.ids):,}); trace a sample, "
                             "and use the agents table and `scsim sources` for everyone")
        rng = np.random.default_rng([seed, 0x7472616365])  # "trace"
        sample = rng.choice(n, size=min(self.sample, n), replace=False)
        return np.unique(np.concatenate([sample, np.asarray(self.ids, np.int64)])
                         ).astype(np.int64)


class CaseFiles(Step):
    """The step after the provenance breakdown that logs the traced agents' events
    (``events``: rows of ROW, float64) and remembers their state (``snap_*``)."""

    name = "casefiles"
    section = "metrics"

    @classmethod
    def on(cls, p) -> bool:
        return True

    def __init__(self, sim) -> None:
        super().__init__(sim)
        trace = getattr(sim, "trace", None) or Trace()
        self.with_wrongful = trace.wrongful
        self.traced = trace.chosen(sim.state.n, sim.seed)
        self.events = np.zeros((0, len(ROW)))
        self._snap(self.traced)

    def _snap(self, who: np.ndarray) -> None:
        a = self.sim.state.agents
        self.snap_points = a["points"][who].astype(np.float64)
        self.snap_status = a["status"][who].copy()
        self.snap_tier = a["tier"][who].copy()
        self.snap_fear = a["fear"][who].copy()
        self.snap_times_listed = a["times_listed"][who].copy()
        self.snap_acts = a["acts_total"][who].copy()
        self.snap_counts = np.stack([a[c][who] for c in COUNTS], axis=1).astype(np.int64)
        self.snap_barred = np.zeros(len(who), np.uint8)  # school bar started before today

    def run(self, t: Today) -> None:
        a = t.state.agents
        if self.with_wrongful:
            rows = self.sim_provenance().today_rows
            new = np.setdiff1d(rows[:, 1].astype(np.int64), self.traced)
            if len(new):
                self._start(t.day, new)
        if not len(self.traced):
            return
        who = self.traced
        score = a["scores"][who, 0].astype(np.float64)
        out = []

        def log(mask, event, **cols):
            k = np.flatnonzero(mask)
            if len(k) == 0:
                return
            row = np.full((len(k), len(ROW)), -1.0)
            row[:, 0] = t.day
            row[:, 1] = who[k]
            row[:, 2] = EV[event]
            row[:, 4] = 0.0
            row[:, 5] = score[k]
            for name, values in cols.items():
                row[:, ROW.index(name)] = np.broadcast_to(values, mask.shape)[k]
            out.append(row)

        acts = a["acts_total"][who]
        for b in range(acts.shape[1]):
            done = acts[:, b].astype(np.int64) - self.snap_acts[:, b]
            log(done > 0, "acted", behaviour=b, value=done)
        points = a["points"][who].astype(np.float64)
        moved = points - self.snap_points
        others = self._others(who)
        logged = np.abs(moved) >= POINTS_STEP
        for s in range(points.shape[1]):
            log(logged[:, s], "points", source=s, points=moved[:, s],
                other_agent=others.get(s, -1))
        status = a["status"][who]
        listed_now = (status & LISTED) != 0
        times = a["times_listed"][who]
        new_listing = times > self.snap_times_listed
        wrongful = (status & WRONGFUL) != 0
        cause = np.full(len(who), -1.0)
        if new_listing.any() and wrongful.any():
            rows = self.sim_provenance().today_rows
            pos = np.searchsorted(who, rows[:, 1].astype(np.int64))
            mine = (pos < len(who)) & (who[np.minimum(pos, len(who) - 1)] == rows[:, 1])
            cause[pos[mine]] = rows[mine, 2]
        log(new_listing, "listed", value=wrongful.astype(float), cause=cause)
        delisted = ((self.snap_status & LISTED) != 0) & ~listed_now
        log(delisted, "delisted")
        # Only a won appeal sets PROTECTED, and a listing clears it: a delisting with it
        # set is an appeal won today.
        log(delisted & ((status & PROTECTED) != 0), "appeal_won")
        tier = a["tier"][who]
        log(tier != self.snap_tier, "tier", value=tier)
        counts = np.stack([a[c][who] for c in COUNTS], axis=1).astype(np.int64)
        rise = counts - self.snap_counts
        for k, event in enumerate(COUNT_EVENTS):
            if event == "school_barred":  # a bar lasts: logged on its first day
                log((rise[:, k] > 0) & (self.snap_barred == 0), event, value=1.0)
            else:
                log(rise[:, k] > 0, event, value=rise[:, k])
        barred = (rise[:, COUNT_EVENTS.index("school_barred")] > 0).astype(np.uint8)
        fear = a["fear"][who]
        log(np.abs(fear - self.snap_fear) >= FEAR_STEP, "fear", value=fear)
        if out:
            self.events = np.concatenate([self.events, *out])
        # Fear is compared with its value at the last logged move, so slow drifts show.
        # Points, likewise, from their values when last logged.
        fear_then = np.where(np.abs(fear - self.snap_fear) >= FEAR_STEP, fear, self.snap_fear)
        points_then = np.where(logged, points, self.snap_points)
        self._snap(who)
        self.snap_fear = fear_then
        self.snap_points = points_then
        self.snap_barred = barred

    def _start(self, day: int, new: np.ndarray) -> None:
        """Trace ``new`` agents from today: their points so far open their case files;
        today's changes are measured from yesterday's values of their history counts."""
        a = self.sim.state.agents
        before = a["points"][new].astype(np.float64)
        others = self._others(new)
        rows = []
        for s in range(before.shape[1]):
            k = np.flatnonzero(np.abs(before[:, s]) > POINTS_EPSILON)
            row = np.full((len(k), len(ROW)), -1.0)
            row[:, 0] = day
            row[:, 1] = new[k]
            row[:, 2] = EV["traced"]
            row[:, 3] = s
            row[:, 4] = before[k, s]
            row[:, 5] = a["scores"][new[k], 0]
            if s in others:
                row[:, 6] = others[s][k]
            rows.append(row)
        self.events = np.concatenate([self.events, *rows])
        old = self.traced
        merged = np.union1d(old, new)
        into = np.searchsorted(merged, old)
        fresh = np.searchsorted(merged, new)
        snaps = {}
        for name in ("snap_points", "snap_status", "snap_tier", "snap_fear",
                     "snap_times_listed", "snap_acts", "snap_counts", "snap_barred"):
            kept = getattr(self, name)
            grown = np.zeros((len(merged), *kept.shape[1:]), kept.dtype)
            grown[into] = kept
            snaps[name] = grown
        self.traced = merged
        # The newcomers' changes of the day start from their state now, except the listing
        # itself (its history count one less) and their points (all logged as "traced").
        self._snap(new)
        fresh_values = {n: getattr(self, n) for n in snaps}
        for name, grown in snaps.items():
            grown[fresh] = fresh_values[name]
            setattr(self, name, grown)
        self.snap_times_listed[fresh] -= 1
        self.snap_status[fresh] &= ~LISTED

    def _others(self, who: np.ndarray) -> dict[int, np.ndarray]:
        """The other agent behind each error source's points of agents ``who``, by ledger
        column: whose act was pinned on them, who reported them falsely."""
        a, slot = self.sim.state.agents, self.sim.ledger.slot
        return {slot("misattribution"): a["mistaken_for"][who],
                slot("false_report"): a["falsely_reported_by"][who]}

    def sim_provenance(self):
        from scsim.outputs.provenance import Provenance

        return next(s for s in self.sim.steps if isinstance(s, Provenance))


def events_table(rows: np.ndarray, names, facial: str = "facial recognition"
                 ) -> pd.DataFrame:
    """The events of a run's case files (``CaseFiles.events``) as a table: day, agent,
    event, source, points, score_after, other_agent, behaviour, channel, value, cause
    (names for the codes; "" or -1 where they do not apply). ``facial``: the channels
    with facial recognition, in words (where misattributions come from)."""
    src = rows[:, 3].astype(np.int64)
    beh = rows[:, 7].astype(np.int64)
    cause = rows[:, 9].astype(np.int64)
    df = pd.DataFrame({
        "day": rows[:, 0].astype(np.int32), "agent": rows[:, 1].astype(np.int32),
        "event": pd.Categorical.from_codes(rows[:, 2].astype(np.int32), categories=EVENTS),
        "source": np.array([names.sources[k] if k >= 0 else "" for k in src], object),
        "points": rows[:, 4], "score_after": rows[:, 5].astype(np.float32),
        "other_agent": rows[:, 6].astype(np.int32),
        "behaviour": np.array([names.behaviours[k] if k >= 0 else "" for k in beh], object),
        "value": rows[:, 8],
        "cause": np.array([CAUSES[k] if k >= 0 else "" for k in cause], object)})
    df["channel"] = np.where(df["source"] == "misattribution", facial,
                             np.where(df["source"] == "true_sighting", "surveillance", ""))
    return df


STORY = {
    "true_sighting": "seen acting by surveillance",
    "misattribution": "sighted by {channel} — in fact agent {other}, a false match",
    "true_report": "reported by a neighbour for an act nobody saw",
    "false_report": "falsely reported by agent {other}, and the report was accepted",
    "association": "pulled toward its neighbours' scores",
    "listed_penalty": "penalised for listed neighbours",
}


def story(events: pd.DataFrame, agent: int, tiers: list[str]) -> str:
    """A traced agent's case file as a dated story, one line per event."""
    lines = []
    for e in events.itertuples(index=False):
        score = f"(score {e.score_after:.0f})"
        if e.event == "traced":
            what = (f"tracing starts: {e.points:+.1f} points from {source(e.source).label} "
                    "until now" + (f" (last: agent {e.other_agent})" if e.other_agent >= 0
                                   else ""))
        elif e.event == "points":
            text = STORY.get(e.source, source(e.source).label)
            what = f"{text.format(channel=e.channel, other=e.other_agent)}; " \
                   f"{e.points:+.1f} points"
        elif e.event == "acted":
            what = f"acted: {e.behaviour} ×{e.value:.0f}"
        elif e.event == "listed":
            what = "LISTED" + (f" — wrongfully (cause: {e.cause.replace('_', ' ')})"
                               if e.value == 1 else "")
        elif e.event == "tier":
            what = f"tier {tiers[int(e.value)] if tiers else int(e.value)}"
        elif e.event == "fear":
            what = f"fear now {e.value:.2f}"
        elif e.event == "appeal_won":
            what = "appeal won"
        elif e.event in ("delisted", "shamed"):
            what = str(e.event)
        else:
            what = f"{str(e.event).replace('_', ' ')}: {e.value:.0f}"
        lines.append(f"day {e.day}: {what} {score}")
    head = f"agent {agent}: case file, {len(lines)} events"
    return "\n".join([head, *lines])


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


def case_file(res, agent: int) -> CaseFile:
    """The case file of ``agent`` in the Result ``res`` (see ``Result.explain``)."""
    n = int(res.info.get("agents", len(res.agents)))
    if not 0 <= agent < n:
        raise ScsimError(f"no agent {agent} in this run (agents are 0 to {n - 1:,})")
    events = res.events
    mine = events[events["agent"] == agent].reset_index(drop=True)
    tiers = list(res.names.tiers)
    if len(mine):
        return CaseFile(agent, True, mine, story(mine, agent, tiers))
    row = res.agents.iloc[agent]
    totals = pd.DataFrame({
        "source": res.names.sources,
        "label": [source(s).label for s in res.names.sources],
        "points": [float(row[f"points_{s}"]) for s in res.names.sources],
        "clean_points": [float(row[f"clean_points_{s}"]) if s in res.names.clean_sources
                         else 0.0 for s in res.names.sources]})
    lines = [f"agent {agent} was not traced (`--trace-ids {agent}` traces it); score "
             f"{row['score']:.1f}, error-free {row['clean_score']:.1f}, from "
             f"{row['start_score']:.1f} at the start. Points by source:"]
    lines += [f"  {t.label}: {t.points:+.1f}" for t in totals.itertuples() if t.points]
    wrong = res.wrongful[res.wrongful["agent"] == agent]
    for w in wrong.itertuples(index=False):
        lines.append(f"day {w.day}: wrongfully listed, cause {w.cause.replace('_', ' ')}"
                     + _who(w) + f" (score {w.score:.0f}, error-free {w.clean_score:.0f})")
    return CaseFile(agent, False, totals, "\n".join(lines))


def _who(w) -> str:
    parts = []
    if w.mistaken_for >= 0:
        parts.append(f"mistaken for agent {w.mistaken_for}")
    if w.falsely_reported_by >= 0:
        parts.append(f"falsely reported by agent {w.falsely_reported_by}")
    return ("; " + ", ".join(parts)) if parts else ""


def wrongful_stories(res, k: int) -> list[str]:
    """The first ``k`` wrongful listings of ``res``, each in one line with its cause."""
    return [f"agent {w.agent}, day {w.day}: wrongfully listed, cause "
            f"{w.cause.replace('_', ' ')}{_who(w)} (score {w.score:.0f}, error-free "
            f"{w.clean_score:.0f}, {w.threshold_gap:.0f} points under the threshold)"
            for w in res.wrongful.head(k).itertuples(index=False)]
