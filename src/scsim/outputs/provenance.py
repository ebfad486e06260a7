"""Where the points come from, and why innocent agents are listed (MODEL.md, "Provenance").

Every day the metrics step takes a breakdown of the agents by region and group: listings,
score sums and the provenance ledger (``core.source``: points booked to each source since
day 0). From it come

* the metric columns ``points_SOURCE`` and ``clean_points_SOURCE``: the points all
  agents' recorded (error-free) scores gained from each source that day (negative: lost);
* the daily series by group and by region (``groups.parquet``, ``regions.parquet``:
  ``series_table``);
* the causes of the day's wrongful listings (``wrongful.parquet``, the metric columns
  ``wrongful_by_CAUSE``): for each agent listed wrongfully, which errors of the system made
  its recorded score cross the threshold. An error did damage when it took points off the
  recorded score: misattributed sightings, accepted false reports, and association (the
  difference between what its neighbours' recorded and error-free scores and listings did
  to it). With several, the ones that alone cover the gap between the error-free score and
  the threshold made the difference; "several" when more than one does, or none does alone.
  The table keeps the agent who was really seen (the last misattributed sighting) and the
  last false reporter.

The breakdown runs over segments (the agents between consecutive block and region
boundaries), each summed in agent order by one thread, so its sums do not depend on the
number of threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit, prange

from scsim.core.blocks import BLOCK
from scsim.core.metric import Metric
from scsim.core.source import CAUSES, slot, source_registry
from scsim.core.state import LISTED, NEW_LISTED, WRONGFUL
from scsim.core.step import Step, Today

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.core.state import State

FIELDS = ("listed", "wrongful_listed", "newly_listed", "wrongful_new", "score_sum",
          "clean_score_sum")
"""The breakdown's fields before the ledger's: agents listed and wrongfully listed at the
end of the day, new (wrongful) listings of the day, sums of recorded and error-free scores
(points); then points and clean points by source (cumulative, points)."""

DAMAGE_TOLERANCE = 1e-3  # points: less damage than this is float rounding, not an error

WRONGFUL_COLUMNS = ("day", "agent", "cause", "score", "clean_score", "threshold_gap",
                    "damage_misattribution", "damage_false_report", "damage_association",
                    "mistaken_for", "falsely_reported_by")


@njit(cache=True)
def segment_sums(lo, hi, group, status, today, scores, points, clean_points, slots,
                 clean_slots, acc):
    """Add agents ``[lo, hi)`` into ``acc[group, field]`` (FIELDS, then points, then clean
    points by source), in agent order; only the ledger slots ``slots`` (``clean_slots``)
    are read, the other sources' fields stay 0. A function of its own, indexing ``acc``
    directly (no row views): compiled outside the parallel loop it runs about twice as
    fast."""
    n_src = points.shape[1]
    first = len(FIELDS)
    for i in range(lo, hi):
        g = group[i]
        st = status[i]
        if st & LISTED:
            acc[g, 0] += 1.0
            if st & WRONGFUL:
                acc[g, 1] += 1.0
            if today[i] & NEW_LISTED:
                acc[g, 2] += 1.0
                if st & WRONGFUL:
                    acc[g, 3] += 1.0
        acc[g, 4] += scores[i, 0]
        acc[g, 5] += scores[i, 1]
        for s in slots:
            acc[g, first + s] += points[i, s]
        for s in clean_slots:
            acc[g, first + n_src + s] += clean_points[i, s]


@njit(cache=True, parallel=True)
def breakdown(seg_start, group, status, today, scores, points, clean_points, slots,
              clean_slots, out):
    """``out[segment, group, field]`` (FIELDS, then points, then clean points by source)
    for every segment of agents ``[seg_start[k], seg_start[k + 1])``, summed in a small
    array of the segment's own (it stays in cache). Only the ledger slots ``slots``
    (``clean_slots``) are read; the other sources' fields stay 0."""
    for k in prange(len(seg_start) - 1):
        acc = np.zeros((out.shape[1], out.shape[2]))
        segment_sums(seg_start[k], seg_start[k + 1], group, status, today, scores, points,
                     clean_points, slots, clean_slots, acc)
        out[k] = acc


def segments(n: int, region_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment starts (int64, with n at the end: blocks cut at region boundaries) and the
    first segment of each region (int64, regions + 1)."""
    cuts = np.union1d(np.arange(0, n, BLOCK, dtype=np.int64),
                      np.asarray(region_start, np.int64))
    starts = cuts[cuts < n] if n else cuts[:0]
    starts = np.append(starts, n)
    first = np.searchsorted(starts, np.asarray(region_start, np.int64))
    return starts, first.astype(np.int64)


class Provenance(Step):
    """The step before the metrics that follows points and wrongful listings: one
    breakdown per day into ``by_group`` (days, groups, fields) and ``by_region`` (days,
    regions, fields), cumulative ledger sums as taken; ``wrongful`` (rows, len(
    WRONGFUL_COLUMNS) + sources) the wrongful listings so far, with their causes. It hands
    the metrics step the day's points by source and wrongful listings by cause
    (``Today.provenance``)."""

    name = "provenance"
    section = "metrics"
    kernels = (breakdown,)

    @classmethod
    def on(cls, p) -> bool:
        return True

    def __init__(self, sim) -> None:
        super().__init__(sim)
        names, state, days = sim.names, sim.state, sim.scenario.days
        n_src = len(source_registry())
        self.n_fields = len(FIELDS) + 2 * n_src
        self.seg_start, self.seg_first = segments(state.n, state.region_start)
        self.out = np.zeros((len(self.seg_start) - 1, len(names.groups), self.n_fields))
        regions = len(state.region_start) - 1
        self.by_group = np.full((days, len(names.groups), self.n_fields), np.nan)
        self.by_region = np.full((days, regions, self.n_fields), np.nan)
        self.ledger_before = np.zeros(2 * n_src)  # yesterday's ledger sums (points)
        self.wrongful = np.zeros((0, len(WRONGFUL_COLUMNS) + n_src))
        self.today_rows = self.wrongful  # the wrongful listings of the day just recorded
        self.slots = np.array([slot(s) for s in names.sources], np.int64)
        self.clean_slots = np.array([slot(s) for s in names.clean_sources], np.int64)
        # Ledger columns to sum: those of the sources in use; the error-free ones only when
        # an error can happen (otherwise the error-free ledger is the recorded one).
        self.errors = names.errors
        self.summed_clean = self.clean_slots if self.errors else self.clean_slots[:0]

    def run(self, t: Today) -> None:
        t.provenance = self.record(t.day, t.state, t.p.classify.threshold,
                                   t.tally.count("wrongful_new"))

    def record(self, day: int, state: State, threshold: float, wrongful_new: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Take the day's breakdown; return the day's points by source (recorded, of
        ``names.sources``; error-free, of ``names.clean_sources``) and its wrongful
        listings by cause (CAUSES)."""
        a = state.agents
        breakdown(self.seg_start, a["group"], a["status"], a["today"], a["scores"],
                  a["points"], a["clean_points"], self.slots, self.summed_clean, self.out)
        n_src = len(source_registry())
        if not self.errors:
            first = len(FIELDS)
            self.out[:, :, first + n_src + self.clean_slots] = \
                self.out[:, :, first + self.clean_slots]
        self.by_group[day] = self.out.sum(axis=0)
        per_segment = self.out.sum(axis=1)
        self.by_region[day] = np.add.reduceat(per_segment, self.seg_first[:-1], axis=0) \
            if len(per_segment) else 0.0
        ledger = self.by_group[day, :, len(FIELDS):].sum(axis=0)
        today = ledger - self.ledger_before
        self.ledger_before = ledger
        causes = np.zeros(len(CAUSES))
        self.today_rows = self.wrongful[:0]
        if wrongful_new:
            self.today_rows = wrongful_rows(day, state, threshold)
            self.wrongful = np.concatenate([self.wrongful, self.today_rows])
            causes = np.bincount(self.today_rows[:, 2].astype(np.int64),
                                 minlength=len(CAUSES))
        return today[self.slots], today[n_src + self.clean_slots], causes


def wrongful_rows(day: int, state: State, threshold: float) -> np.ndarray:
    """One row per agent wrongfully listed today (WRONGFUL_COLUMNS, then its points by
    source), with the cause (an index of CAUSES)."""
    a = state.agents
    who = np.flatnonzero((a["today"] & NEW_LISTED != 0) & (a["status"] & WRONGFUL != 0))
    rec = a["points"][who].astype(np.float64)
    clean = a["clean_points"][who].astype(np.float64)
    assoc = [slot("association"), slot("listed_penalty")]
    damage = np.stack([-rec[:, slot("misattribution")], -rec[:, slot("false_report")],
                       clean[:, assoc].sum(axis=1) - rec[:, assoc].sum(axis=1)], axis=1) + 0.0
    score = a["scores"][who, 0].astype(np.float64)
    gap = threshold - score
    cause = np.array([cause_of(d, g) for d, g in zip(damage, gap, strict=True)], np.float64)
    return np.column_stack([
        np.full(len(who), day), who, cause, score, a["scores"][who, 1], gap, damage,
        np.where(damage[:, 0] > DAMAGE_TOLERANCE, a["mistaken_for"][who], -1),
        np.where(damage[:, 1] > DAMAGE_TOLERANCE, a["falsely_reported_by"][who], -1),
        rec]).astype(np.float64)


def cause_of(damage: np.ndarray, gap: float) -> int:
    """The cause (index of CAUSES) of a wrongful listing whose errors took ``damage``
    points (misattribution, false report, association) with the recorded score ``gap``
    points below the threshold."""
    hurt = np.flatnonzero(damage > DAMAGE_TOLERANCE)
    if len(hurt) == 0:
        return CAUSES.index("other")
    if len(hurt) > 1:
        decisive = hurt[damage[hurt] >= gap]
        hurt = decisive if len(decisive) else hurt
    return int(hurt[0]) if len(hurt) == 1 else CAUSES.index("several")


def wrongful_table(rows: np.ndarray, names: Names) -> pd.DataFrame:
    """The wrongful listings of a run (``Provenance.wrongful``) as a table: day, agent,
    cause (categorical), scores, the gap to the threshold, the damage of each error
    (points), who was really seen and who reported falsely (-1: nobody), and the agent's
    points by source at the listing (``points_SOURCE``)."""
    k = len(WRONGFUL_COLUMNS)
    df = pd.DataFrame(rows[:, :k], columns=list(WRONGFUL_COLUMNS))
    for c in ("day", "agent", "mistaken_for", "falsely_reported_by"):
        df[c] = df[c].astype(np.int32)
    df["cause"] = pd.Categorical.from_codes(df["cause"].astype(np.int32), categories=CAUSES)
    for s in names.sources:
        df[f"points_{s}"] = rows[:, k + slot(s)]
    return df


def series_table(cube: np.ndarray, key: str, labels: list, names: Names) -> pd.DataFrame:
    """A long daily table by group or region from ``Provenance.by_group`` / ``by_region``:
    day, KEY, the FIELDS and the points of each source that day (``points_SOURCE``,
    ``clean_points_SOURCE``; the ledger is cumulative, the table gives daily changes)."""
    days, k, _ = cube.shape
    n_src = len(source_registry())
    first = len(FIELDS)
    ledger = np.nan_to_num(cube[:, :, first:])
    daily = np.diff(ledger, axis=0, prepend=np.zeros((1, k, 2 * n_src)))
    df = pd.DataFrame({"day": np.repeat(np.arange(days, dtype=np.int32), k),
                       key: np.tile(np.asarray(labels), days)})
    for j, f in enumerate(FIELDS):
        df[f] = cube[:, :, j].reshape(-1)
    for s in names.sources:
        df[f"points_{s}"] = daily[:, :, slot(s)].reshape(-1)
    for s in names.clean_sources:
        df[f"clean_points_{s}"] = daily[:, :, n_src + slot(s)].reshape(-1)
    return df


POINTS = Metric("points_{}", "points per day", "rate", "points all agents' recorded scores "
                "gained from source NAME today (negative: lost); see the provenance page",
                label="points from NAME", per="sources", mechanism="provenance", headline=True,
                value=lambda m: m.source_points)
CLEAN_POINTS = Metric("clean_points_{}", "points per day", "rate", "points all agents' "
                      "error-free scores gained from source NAME today (negative: lost)",
                      label="error-free points from NAME", per="clean_sources",
                      mechanism="provenance", value=lambda m: m.clean_source_points)
WRONGFUL_BY = Metric("wrongful_by_{}", "agents per day", "count", "new wrongful listings "
                     "caused by NAME (misattribution, false_report, association, several, "
                     "other: see the provenance page)", label="wrongful listings by NAME",
                     per="causes", mechanism="provenance", headline=True,
                     value=lambda m: m.wrongful_causes)
METRICS = (POINTS, CLEAN_POINTS, WRONGFUL_BY)


def provenance_tables(sim) -> dict[str, pd.DataFrame]:
    """The provenance tables of a finished simulation (``Result.provenance``)."""
    from scsim.outputs.casefile import CaseFiles, events_table

    step = next(s for s in sim.steps if isinstance(s, Provenance))
    files = next(s for s in sim.steps if isinstance(s, CaseFiles))
    names = sim.names
    return {"groups": series_table(step.by_group, "group", names.groups, names),
            "regions": series_table(step.by_region, "region",
                                    list(range(step.by_region.shape[1])), names),
            "wrongful": wrongful_table(step.wrongful, names),
            "events": events_table(files.events, names)}


def sources_table(metrics: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The points of each source per day (all agents), long: day, source, label, points,
    clean_points (points per day), from the metrics table."""
    from scsim.core.source import source
    from scsim.errors import ScsimError

    if names.sources and f"points_{names.sources[0]}" not in metrics:
        raise ScsimError("this run has no points by source: it was saved by a version of "
                         "scsim before provenance; run it again")
    frames = []
    for name in names.sources:
        clean = metrics[f"clean_points_{name}"] if name in names.clean_sources else 0.0
        frames.append(pd.DataFrame({"day": metrics["day"], "source": name,
                                    "label": source(name).label,
                                    "points": metrics[f"points_{name}"],
                                    "clean_points": clean}))
    return pd.concat(frames, ignore_index=True)
