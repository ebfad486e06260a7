"""Where the points come from, and why innocent agents are listed (MODEL.md, "Provenance").

Every booking of points adds to the day's tallies by segment and group (``core.source``:
``Ledger.day``), and every day the metrics step takes a breakdown of the agents by region
and group: listings and score sums. From them come

* the metric columns ``points_SOURCE`` and ``clean_points_SOURCE``: the points all
  agents' recorded (error-free) scores gained from each source that day (negative: lost);
* the daily series by group and by region (``groups.parquet``, ``regions.parquet``:
  ``series_table``): every listing and score figure of the metrics, with the ratio of
  each group's listed share to the reference group's (disparate impact). Percentiles and
  the Gini coefficient come from a histogram of the recorded scores per segment and group
  (``score_bins``: bins one point wide over the score range, wider only when the range
  exceeds ``MAX_BINS`` points), so they are within half a bin width of the exact ones;
* the causes of the day's wrongful listings (``wrongful.parquet``, the metric columns
  ``wrongful_by_CAUSE``): for each agent listed wrongfully, which errors of the system made
  its recorded score cross the threshold. An error did damage when it took points off the
  recorded score: misattributed sightings, accepted false reports, and association (the
  difference between what its neighbours' recorded and error-free scores and listings did
  to it). With several, the ones that alone cover the gap between the error-free score and
  the threshold made the difference; "several" when more than one does, or none does alone.
  A listing on a severe act (the recorded score not below the threshold) has for cause the
  error that put the act on the record: a misattributed sighting or a false report.
  The table keeps the agent who was really seen (the last misattributed sighting) and the
  last false reporter. A run without per-agent sources (``metrics.per_agent_sources``
  false) has no ledger to take the damage from: its wrongful listings are still counted
  and listed, with the cause UNKNOWN_CAUSE and without the damage, who and points columns.

The breakdown (taken by the day's census, ``outputs.census``, in the same pass as the
metrics' counters) runs over the ledger's segments (the agents between consecutive block
and region boundaries, ``core.blocks.region_segments``), each summed in agent order by one
thread, so its sums do not depend on the number of threads; the day's tallies are kept by
the same segments, and their sums over segments are taken in segment order.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit

from scsim.core.metric import Metric
from scsim.core.source import CAUSES, UNKNOWN_CAUSE
from scsim.core.state import CLEAN_LISTED, LISTED, NEW_LISTED, WRONGFUL
from scsim.core.step import Step, Today
from scsim.mechanisms.score import PERCENTILES
from scsim.outputs.casefile import ties_of
from scsim.outputs.census import ProvenancePart, take_census
from scsim.outputs.distribution import QUANTILES, binned_gini, binned_percentiles
from scsim.world.network import INACTIVE, TYPE_MASK, codes_of, neighbours_of

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.core.source import Ledger
    from scsim.core.state import State
    from scsim.mechanisms.score import ScoreParams

FIELDS = ("listed", "wrongful_listed", "newly_listed", "wrongful_new", "score_sum",
          "clean_score_sum", "agents", "delisted", "score_sq_sum")
"""The breakdown's fields before the day's points: agents listed and wrongfully listed at
the end of the day, new (wrongful) listings of the day, sums of recorded and error-free
scores (points), agents, listings ended that day, the sum of squared recorded scores
(points²); then the day's points and clean points by source (points, from the ledger's
tallies)."""
COUNT_FIELDS = ("agents", "listed", "wrongful_listed", "newly_listed", "wrongful_new",
                "delisted")
"""The FIELDS that count agents (int64 in the tables)."""

MAX_BINS = 2048  # score histogram bins per group and segment, at most (int32: 8 KiB)
DISTRIBUTION = (*(f"score_p{q:02d}" for q in PERCENTILES), "score_gini")
"""The figures of the score distribution per group and region, after the tier counts:
percentiles of recorded scores (points) and their Gini coefficient."""

DAMAGE_TOLERANCE = 1e-3  # points: less damage than this is float rounding, not an error
ACT_ERRORS = 2  # the first causes (misattribution, false report) put acts on a record

WRONGFUL_LISTING = ("day", "agent", "cause", "score", "clean_score", "threshold_gap")
"""The columns of every wrongful listing; with per-agent sources, WRONGFUL_DAMAGE follow."""
ASSOCIATION_BEHIND = ("neighbour_behind", "neighbour_score", "neighbour_clean_score",
                      "neighbour_wrongful", "wrongful_neighbours")
"""Who is behind a wrongful listing's association damage (``association_behind``)."""
WRONGFUL_DAMAGE = ("damage_misattribution", "damage_false_report", "damage_association",
                   "mistaken_for", "falsely_reported_by", *ASSOCIATION_BEHIND)


def wrongful_columns(names: Names) -> tuple[str, ...]:
    """The columns of the wrongful listings before the points by source (which only a run
    with per-agent sources has, as it has WRONGFUL_DAMAGE)."""
    return WRONGFUL_LISTING + (WRONGFUL_DAMAGE if names.per_agent_sources else ())


@njit(cache=True)
def region_counts(counts, seg_region, regions):
    """``counts`` (segments, groups, k; int32) summed by region: (regions, groups, k) int64
    (a region without agents: zeros)."""
    out = np.zeros((regions, counts.shape[1], counts.shape[2]), np.int64)
    for k in range(counts.shape[0]):
        r = seg_region[k]
        for g in range(counts.shape[1]):
            for b in range(counts.shape[2]):
                out[r, g, b] += counts[k, g, b]
    return out


class Provenance(Step):
    """The step before the metrics that follows points and wrongful listings: one
    breakdown per day into ``by_group`` (days, groups, fields) and ``by_region`` (days,
    regions, fields): FIELDS, then the day's points and clean points by source (the run's
    ledger columns); ``by_group_stats`` (days, groups, tiers + len(DISTRIBUTION)) and
    ``by_region_stats`` (days, regions, ...): agents per tier and the score distribution;
    ``by_region_group`` (days, regions, groups, 2): agents listed and agents; ``wrongful``
    (rows, ``wrongful_columns`` + sources with per-agent sources) the wrongful listings so
    far, with their causes. It hands the metrics step the day's points by source and
    wrongful listings by cause (``Today.provenance``)."""

    name = "provenance"
    section = "metrics"
    kernels = (region_counts, binned_percentiles, binned_gini)
    reports = True  # a warm-up day is not reported: no breakdown, no wrongful listing

    @classmethod
    def on(cls, p) -> bool:
        return True

    def __init__(self, sim) -> None:
        super().__init__(sim)
        names, state, days, ledger = sim.names, sim.state, sim.scenario.days, sim.ledger
        n_fields = len(FIELDS) + 2 * len(ledger.sources)
        self.out = np.zeros((len(ledger.seg_region), len(names.groups), len(FIELDS)))
        regions = len(state.region_start) - 1
        self.by_group = np.full((days, len(names.groups), n_fields), np.nan)
        self.by_region = np.full((days, regions, n_fields), np.nan)
        self.wrongful = np.zeros((0, len(wrongful_columns(names))
                                  + (len(ledger.sources) if ledger.per_agent else 0)))
        self.today_rows = self.wrongful  # the wrongful listings of the day just recorded
        self.seg_region = ledger.seg_region
        self.seg_start, self.seg_base = ledger.seg_start, ledger.seg_base
        self.regions = regions
        # Agents per tier and the score histogram, per segment and group; per day, the
        # tier counts and DISTRIBUTION by group and by region, and agents listed and agents
        # per region and group (the disparate impact within each region).
        self.tiers = len(names.tiers)
        self.s_min = min(p.score.s_min for _, p in sim.epochs)
        self.width, self.bin_values = score_bins(
            self.s_min, max(p.score.s_max for _, p in sim.epochs))
        self.counts = np.zeros((len(ledger.seg_region), len(names.groups),
                                self.tiers + len(self.bin_values)), np.int32)
        stats = self.tiers + len(DISTRIBUTION)
        self.by_group_stats = np.full((days, len(names.groups), stats), np.nan)
        self.by_region_stats = np.full((days, regions, stats), np.nan)
        self.by_region_group = np.full((days, regions, len(names.groups), 2), np.nan)

    def part(self, state: State) -> ProvenancePart:
        """What the census fills for this step (``outputs.census``)."""
        return ProvenancePart(self.seg_start, self.seg_base, state.agents["today"], self.out,
                              self.counts, self.s_min, self.width, self.tiers)

    def run(self, t: Today) -> None:
        if self.sim.split_passes:
            take_census(self.sim, t, with_metrics=False, with_provenance=True)
        t.provenance = self.record(t.day, t.state, t.ledger, t.p.classify.threshold,
                                   t.tally.count("wrongful_new"), t.p.score)

    def record(self, day: int, state: State, ledger: Ledger, threshold: float,
               wrongful_new: int, score_p: ScoreParams
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Record the day's breakdown (the census taken); return the day's points by
        source (recorded, of ``names.sources``; error-free, of ``names.clean_sources``) and
        its wrongful listings by cause (``names.causes``)."""
        self.record_stats(day)
        clean_day = ledger.clean_day if ledger.clean else ledger.day
        # (segments, groups, FIELDS + points + clean points by source)
        cells = np.concatenate([self.out, ledger.day, clean_day], axis=2)
        self.by_group[day] = cells.sum(axis=0)
        self.by_region[day] = self.region_sums(cells.sum(axis=1))
        n_src, first = len(ledger.sources), len(FIELDS)
        today = self.by_group[day, :, first:].sum(axis=0)
        n_causes = len(self.sim.names.causes)
        causes = np.zeros(n_causes)
        self.today_rows = self.wrongful[:0]
        if wrongful_new:
            self.today_rows = wrongful_rows(day, state, ledger, threshold, score_p)
            self.wrongful = np.concatenate([self.wrongful, self.today_rows])
            causes = np.bincount(self.today_rows[:, 2].astype(np.int64), minlength=n_causes)
        return today[:n_src], today[n_src + ledger.clean_slots], causes


    def region_sums(self, per_segment: np.ndarray) -> np.ndarray:
        """Sums over the segments of each region of ``per_segment`` (segments, ...); 0 for
        a region without agents."""
        sums = np.zeros((self.regions, *per_segment.shape[1:]), per_segment.dtype)
        np.add.at(sums, self.seg_region, per_segment)
        return sums

    def record_stats(self, day: int) -> None:
        """The day's tier counts and score distribution by group and region, and agents
        listed and agents per region and group, from the breakdown just taken."""
        groups = self.by_group_stats.shape[1]
        by_region = region_counts(self.counts, self.seg_region, self.regions)
        counts = np.concatenate([by_region.sum(axis=0), by_region.sum(axis=1)])
        hist = np.ascontiguousarray(counts[:, self.tiers:])  # one kernel signature
        stats = np.column_stack([counts[:, :self.tiers],
                                 binned_percentiles(hist, self.bin_values, QUANTILES),
                                 binned_gini(hist, self.bin_values)])
        self.by_group_stats[day] = stats[:groups]
        self.by_region_stats[day] = stats[groups:]
        listed_agents = [FIELDS.index("listed"), FIELDS.index("agents")]
        self.by_region_group[day] = self.region_sums(self.out[:, :, listed_agents])


def score_bins(s_min: float, s_max: float) -> tuple[float, np.ndarray]:
    """The score histogram over [s_min, s_max] (points): the bin width (points: 1, or the
    smallest whole number that keeps the bins within MAX_BINS) and the bins' values
    (points), s_min, s_min + width, ... up to s_max. Each score counts in the bin of the
    nearest value, at most half a bin width from it."""
    width = float(max(1, math.ceil((s_max - s_min) / (MAX_BINS - 1))))
    bins = math.floor((s_max - s_min) / width + 0.5) + 1
    return width, np.minimum(s_min + width * np.arange(bins), s_max)


def wrongful_rows(day: int, state: State, ledger: Ledger, threshold: float,
                  score_p: ScoreParams) -> np.ndarray:
    """One row per agent wrongfully listed today: WRONGFUL_LISTING, with the cause (an
    index of ``Names.causes``); with per-agent sources (``ledger.per_agent``) then
    WRONGFUL_DAMAGE and its points by source, in ledger order; without them the cause is
    UNKNOWN_CAUSE (index 0). The agent behind each error is named only where that error
    did damage: whose act was pinned on it, who reported it falsely, and, for association
    (``association_behind``, with ``score_p`` the day's scoring parameters), the
    neighbour behind most of it and how many of its neighbours are listed wrongfully."""
    a = state.agents
    who = np.flatnonzero((a["today"] & NEW_LISTED != 0) & (a["status"] & WRONGFUL != 0))
    score = a["scores"][who, 0].astype(np.float64)
    gap = threshold - score
    if not ledger.per_agent:
        return np.column_stack([np.full(len(who), day), who, np.zeros(len(who)), score,
                                a["scores"][who, 1], gap]).astype(np.float64)
    rec = a["points"][who].astype(np.float64)
    clean = ledger.clean_rows(a, who).astype(np.float64)
    slot = ledger.slot
    assoc = [slot("association"), slot("listed_penalty")]
    damage = np.stack([-rec[:, slot("misattribution")], -rec[:, slot("false_report")],
                       clean[:, assoc].sum(axis=1) - rec[:, assoc].sum(axis=1)], axis=1) + 0.0
    cause = np.array([cause_of(d, g) for d, g in zip(damage, gap, strict=True)], np.float64)
    behind = np.tile(NOBODY_BEHIND, (len(who), 1))
    hurt = damage[:, 2] > DAMAGE_TOLERANCE
    behind[hurt] = association_behind(state, score_p, who[hurt])
    return np.column_stack([
        np.full(len(who), day), who, cause, score, a["scores"][who, -1], gap, damage,
        np.where(damage[:, 0] > DAMAGE_TOLERANCE, a["mistaken_for"][who], -1),
        np.where(damage[:, 1] > DAMAGE_TOLERANCE, a["falsely_reported_by"][who], -1),
        behind, rec]).astype(np.float64)


NOBODY_BEHIND = np.array([-1.0, np.nan, np.nan, 0.0, 0.0])
"""ASSOCIATION_BEHIND of a wrongful listing without association damage, or none of whose
neighbours is behind it: nobody named, no scores, no neighbour listed wrongfully."""


def association_behind(state: State, score_p: ScoreParams, ids: np.ndarray) -> np.ndarray:
    """Who among the active neighbours (ties neither severed nor suspended) of each agent
    ``ids[k]`` is behind its association damage, as the state stands at the end of the day
    (after its listing): one row of ASSOCIATION_BEHIND per agent.

    Association costs the recorded score more than the error-free one in two ways
    (``mechanisms.score``): the pull toward the neighbours' weighted mean follows their
    recorded scores, not their error-free ones, and the penalty β counts every listed
    neighbour, the error-free one only those the error-free record lists too. So each
    active neighbour j, of tie weight w_j, recorded score s_j and error-free score c_j, adds

        α · w_j · (c_j − s_j) / Σ w  +  β · [j listed wrongfully]

    points a day to the damage (Σ w: the weights of all the agent's active ties; "listed
    wrongfully": listed, and not on the error-free record, i.e. LISTED without
    CLEAN_LISTED). The neighbour behind the damage (``neighbour_behind``) is the one that
    adds the most, when that is more than nothing (-1 otherwise): a neighbour listed
    wrongfully wherever β outweighs the pull of the others' errors, else the one whose
    errors lowered its recorded score most, by tie weight; the first in tie order among
    equals. With it: its recorded and error-free scores (``neighbour_score``,
    ``neighbour_clean_score``; NaN without one), whether it is itself listed wrongfully
    (``neighbour_wrongful``, 0 or 1), and how many active neighbours are
    (``wrongful_neighbours``). All the agents' ties at once, without a loop over agents."""
    net, a = state.net, state.agents
    owner, edge, lengths = ties_of(net, ids)
    entries = net.entries[edge]
    tie, nbrs = codes_of(entries), neighbours_of(entries)
    active = (tie & INACTIVE) == 0
    weight = np.where(active, score_p.tie_weight[tie & TYPE_MASK], 0.0)
    total = np.bincount(owner, weights=weight, minlength=len(ids))[owner]
    score = a["scores"][nbrs, 0].astype(np.float64)
    clean = a["scores"][nbrs, -1].astype(np.float64)
    status = a["status"][nbrs]
    wrongful = active & ((status & LISTED) != 0) & ((status & CLEAN_LISTED) == 0)
    pull = np.divide(score_p.alpha * weight * (clean - score), total,
                     out=np.zeros(len(nbrs)), where=total > 0.0)
    adds = pull + score_p.listed_penalty * wrongful  # 0 for an inactive tie: never named
    order = np.lexsort((-adds, owner))  # by agent, then most added; stable: tie order kept
    first = np.cumsum(lengths) - lengths  # each agent's first position in ``owner``
    out = np.tile(NOBODY_BEHIND, (len(ids), 1))
    has = np.flatnonzero(lengths > 0)
    best = order[first[has]]
    named = adds[best] > 0.0
    k, best = has[named], best[named]
    out[k, :4] = np.column_stack([nbrs[best], score[best], clean[best], wrongful[best]])
    out[:, 4] = np.bincount(owner, weights=wrongful, minlength=len(ids))
    return out


def cause_of(damage: np.ndarray, gap: float) -> int:
    """The cause (index of CAUSES) of a wrongful listing whose errors took ``damage``
    points (misattribution, false report, association) with the recorded score ``gap``
    points below the threshold. A recorded score not below it (``gap`` <= 0) was listed on
    a severe act that the error-free record does not hold: an act only a misattributed
    sighting or an accepted false report puts on a record, so association is no cause of
    it, however much it took (it made "several" of every such listing its errors had
    touched at all)."""
    hurt = np.flatnonzero(damage > DAMAGE_TOLERANCE)
    if gap <= 0.0:
        hurt = hurt[hurt < ACT_ERRORS]
    if len(hurt) == 0:
        return CAUSES.index("other")
    if len(hurt) > 1:
        decisive = hurt[damage[hurt] >= gap]
        hurt = decisive if len(decisive) else hurt
    return int(hurt[0]) if len(hurt) == 1 else CAUSES.index("several")


def wrongful_table(rows: np.ndarray, names: Names) -> pd.DataFrame:
    """The wrongful listings of a run (``Provenance.wrongful``) as a table: day, agent,
    cause (categorical, ``names.causes``), scores, the gap to the threshold; with per-agent
    sources also the damage of each error (points), who was really seen and who reported
    falsely (-1: nobody), the neighbour behind the association damage with its scores and
    whether it is listed wrongfully, how many neighbours are (ASSOCIATION_BEHIND), and
    the agent's points by source at the listing (``points_SOURCE``)."""
    columns = {c: rows[:, j] for j, c in enumerate(wrongful_columns(names))}
    k = len(columns)
    for c in ("day", "agent", "mistaken_for", "falsely_reported_by", "neighbour_behind",
              "wrongful_neighbours"):
        if c in columns:
            columns[c] = columns[c].astype(np.int32)
    if "neighbour_wrongful" in columns:
        columns["neighbour_wrongful"] = columns["neighbour_wrongful"].astype(bool)
    columns["cause"] = pd.Categorical.from_codes(columns["cause"].astype(np.int32),
                                                 categories=names.causes)
    if names.per_agent_sources:
        for j, s in enumerate(names.sources):
            columns[f"points_{s}"] = rows[:, k + j]
    return pd.DataFrame(columns)


def series_table(cube: np.ndarray, stats: np.ndarray, key: str, labels: list, names: Names,
                 within: np.ndarray | None = None) -> pd.DataFrame:
    """A long daily table by group or region from ``Provenance.by_group`` / ``by_region``
    and ``by_group_stats`` / ``by_region_stats``: day, KEY, the listing and score figures
    (``series_figures``) and the points of each source that day (``points_SOURCE``,
    ``clean_points_SOURCE``).
    ``within`` (regions only: ``Provenance.by_region_group``) adds the listings and the
    disparate impact of each group within the region."""
    days, k, _ = cube.shape
    n_src = len(names.sources)
    first = len(FIELDS)
    columns = {"day": np.repeat(np.arange(days, dtype=np.int32), k),
               key: np.tile(np.asarray(labels), days)}
    for name, values in series_figures(cube, stats, names, within).items():
        columns[name] = values.reshape(-1)
    for j, s in enumerate(names.sources):
        columns[f"points_{s}"] = cube[:, :, first + j].reshape(-1)
    for s in names.clean_sources:
        columns[f"clean_points_{s}"] = cube[:, :, first + n_src + names.sources.index(s)
                                            ].reshape(-1)
    # One constructor call: inserting the columns one by one into a DataFrame costs about
    # a millisecond each (pandas copies its column index every time).
    return pd.DataFrame(columns)


def series_figures(cube: np.ndarray, stats: np.ndarray, names: Names,
                   within: np.ndarray | None) -> dict[str, np.ndarray]:
    """The listing and score figures of a group or region series, in column order, each
    (days, rows): counts of agents as int64 (agents, listings, tiers), shares, ratios and
    points as float64 (NaN where there is nobody to measure)."""
    f = {name: cube[:, :, j] for j, name in enumerate(FIELDS)}
    agents = f["agents"]
    share = listed_share(f["listed"], agents)
    out = {"agents": agents, "listed": f["listed"], "listed_share": share}
    if within is None:
        out["di"] = disparate_impact(share, names.reference_group)
    else:
        di = disparate_impact(listed_share(within[..., 0], within[..., 1]),
                              names.reference_group)
        out.update({f"listed_{g}": within[:, :, k, 0] for k, g in enumerate(names.groups)})
        out.update({f"di_{g}": di[:, :, k] for k, g in enumerate(names.groups)})
    out.update({name: f[name] for name in ("wrongful_listed", "newly_listed",
                                           "wrongful_new", "delisted")})
    out.update({f"tier_{t}": stats[:, :, k] for k, t in enumerate(names.tiers)})
    present = np.where(agents > 0, agents, np.nan)
    mean = f["score_sum"] / present
    out["score_mean"] = mean
    out["score_sd"] = np.sqrt(np.maximum(f["score_sq_sum"] / present - mean * mean, 0.0))
    out.update({name: stats[:, :, len(names.tiers) + k]
                for k, name in enumerate(DISTRIBUTION)})
    out.update({name: f[name] for name in ("score_sum", "score_sq_sum", "clean_score_sum")})
    counts = {*COUNT_FIELDS, *(f"tier_{t}" for t in names.tiers),
              *(f"listed_{g}" for g in names.groups if within is not None)}
    return {name: v.astype(np.int64) if name in counts else v for name, v in out.items()}


def listed_share(listed: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Share of agents listed (NaN where there are no agents)."""
    return listed / np.where(agents > 0, agents, np.nan)


def disparate_impact(share: np.ndarray, reference: int) -> np.ndarray:
    """Listed share over the reference group's (last axis: groups); NaN where the reference
    group has nobody listed. Noisy when few are listed (see ``summary.SMALL_COUNT``)."""
    ref = share[..., reference:reference + 1]
    return share / np.where(ref > 0, ref, np.nan)


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
                     f"other; {UNKNOWN_CAUSE} alone without per-agent sources: see the "
                     "provenance page)", label="wrongful listings by NAME",
                     per="causes", mechanism="provenance", headline=True,
                     value=lambda m: m.wrongful_causes)
METRICS = (POINTS, CLEAN_POINTS, WRONGFUL_BY)


def provenance_tables(sim) -> dict[str, pd.DataFrame]:
    """The provenance tables of a finished simulation (``Result.provenance``)."""
    from scsim.outputs.casefile import CaseFiles, events_table, opened_table

    step = next(s for s in sim.steps if isinstance(s, Provenance))
    files = next(s for s in sim.steps if isinstance(s, CaseFiles))
    names = sim.names
    return {"groups": series_table(step.by_group, step.by_group_stats, "group", names.groups,
                                   names),
            "regions": series_table(step.by_region, step.by_region_stats, "region",
                                    list(range(step.by_region.shape[1])), names,
                                    step.by_region_group),
            "wrongful": wrongful_table(step.wrongful, names),
            "events": events_table(files.events, names),
            "traced": opened_table(files)}


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
