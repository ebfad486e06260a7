"""The per-day metrics table: one row per day, one column per figure, each declared once
(``core.metric.Metric``) by the mechanism that produces it and composed here in column
order (``LAYOUT``: this module's own columns, with each mechanism's block of columns put
right after the column it names, ``Mechanism.metrics_after``); ``metric_registry()`` lists
them for the docs.

The metrics step ends the day: every metric's ``value`` reads the day's counters, among
them those of the census of the agents (``outputs.census``).

Percentiles and the Gini coefficient come from a histogram of scores with ``HIST_BINS``
bins over [s_min, s_max] that also keeps the lowest and highest score in each bin: they are
exact when the scores in the bins concerned are equal (as at the start of a run) and
otherwise off by less than the spread of one bin (under 0.16 points on a 0-1300 scale),
for the cost of one pass over the agents.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scsim.core.mechanism import Mechanism, mechanisms
from scsim.core.metric import Metric, PerName, counter
from scsim.core.state import State
from scsim.core.step import Step, Today
from scsim.mechanisms.score import PERCENTILES
from scsim.outputs.census import MetricsPart, take_census
from scsim.outputs.distribution import QUANTILES, histogram_gini, histogram_percentiles
from scsim.outputs.provenance import METRICS as PROVENANCE_METRICS
from scsim.outputs.words import spoken
from scsim.world.network import largest_component_fraction, score_assortativity

if TYPE_CHECKING:
    from scsim.core.counters import Tally
    from scsim.core.params import Names, Params

HIST_BINS = 8192


# --- the metrics of the day and of the network ---------------------------------------------

DAY = Metric("day", "day", "level", "day of the run, from 0", mechanism="day",
             value=lambda m: m.day)
LCC_FRAC = Metric("lcc_frac", "share", "level", "share of agents in the largest connected "
                  "component of active ties (every metrics.network_every days)",
                  label="largest component", headline=True, mechanism="network",
                  value=lambda m: m.lcc)
SCORE_ASSORTATIVITY = Metric("score_assortativity", "correlation", "level",
                             "correlation of scores across active ties (every "
                             "metrics.network_every days)", mechanism="network",
                             value=lambda m: m.assortativity)
AGENTS_ACTIVE = Metric("agents_active", "agents", "level",
                       "agents of regions where the system has started",
                       label="agents under the system", mechanism="rollout",
                       value=counter("agents_active"))

CORE = (DAY, LCC_FRAC, SCORE_ASSORTATIVITY, AGENTS_ACTIVE, *PROVENANCE_METRICS)
"""This module's own columns, in order; the mechanisms' blocks go between them."""


def compose_layout(core: tuple, declared: tuple[Mechanism, ...]
                   ) -> list[tuple[Metric | PerName, Mechanism | None]]:
    """The table's items in column order, each with the mechanism that declares it (None for
    ``core``). Blocks are placed in day order, each right after the column it names (a
    metric's declared name; a per-name table is named by any of its metrics) and after any
    block placed there before it; a block naming a column not placed yet waits for it."""
    layout: list[tuple[Metric | PerName, Mechanism | None]] = [(m, None) for m in core]
    tail: dict[str, Metric | PerName] = {}  # anchor -> last item placed after it
    pending = [(anchor, items, m) for m in declared for anchor, items in m.column_blocks()]

    def position(name: str) -> int | None:
        for k, (item, _) in enumerate(layout):
            members = item.metrics if isinstance(item, PerName) else (item,)
            if any(x.name == name for x in members):
                return k
        return None

    while pending:
        waiting = []
        for anchor, items, m in pending:
            if anchor is None:
                k = len(layout) - 1
            elif anchor in tail:
                k = next(i for i, (item, _) in enumerate(layout) if item is tail[anchor])
            else:
                k = position(anchor)
            if k is None:
                waiting.append((anchor, items, m))
                continue
            layout[k + 1:k + 1] = [(item, m) for item in items]
            if anchor is not None:
                tail[anchor] = items[-1]
        if len(waiting) == len(pending):
            raise ValueError("metric blocks placed after unknown columns: " + ", ".join(
                f"{m.name} after {anchor!r}" for anchor, _, m in waiting))
        pending = waiting
    return layout


_PLACED = compose_layout(CORE, mechanisms())
LAYOUT: tuple[Metric | PerName, ...] = tuple(item for item, _ in _PLACED)
"""The metrics table, in column order: declarations of the mechanisms, composed."""


def layout_of(names: Names) -> list[Metric | PerName]:
    """``LAYOUT`` less the columns of off-by-default mechanisms that the scenario of
    ``names`` does not switch on (``Names.optional``)."""
    return [item for item, m in _PLACED
            if m is None or m.in_use is None or m.name in names.optional]


def registered_metrics(names: Names | None = None) -> list[Metric]:
    """Every metric declaration, in column order (with ``names``: those in its table)."""
    out: list[Metric] = []
    for item in LAYOUT if names is None else layout_of(names):
        out.extend(item.metrics if isinstance(item, PerName) else (item,))
    return out


def metric_registry() -> pd.DataFrame:
    """The registry for people and the docs: one row per metric (a per-name metric once,
    with NAME in its name): name, unit, kind, headline, label, description, mechanism."""
    return pd.DataFrame(
        [(m.name.replace("{}", "NAME"), m.unit, m.kind, m.headline, m.label, m.description,
          m.mechanism) for m in registered_metrics()],
        columns=["name", "unit", "kind", "headline", "label", "description", "mechanism"])


def metric_of(column: str) -> Metric | None:
    """The declaration a metric column comes from (exact names first, then the longest
    per-name prefix); None for a column no metric declares."""
    exact, templated = _index()
    if column in exact:
        return exact[column]
    return next((m for m in templated if column.startswith(m.prefix)), None)


@functools.cache
def _index() -> tuple[dict[str, Metric], list[Metric]]:
    exact = {m.name: m for m in registered_metrics() if m.per is None}
    templated = sorted((m for m in registered_metrics() if m.per is not None),
                       key=lambda m: -len(m.prefix))
    return exact, templated


def is_count(column: str) -> bool:
    """Whether a metric column holds whole numbers: events of a day (kind ``count``) or
    agents or companies on a day (published as int64)."""
    m = metric_of(column)
    return m is not None and (m.kind == "count" or m.unit in ("agents", "companies"))


def metrics_frame(table: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """The daily metrics ``table`` (one row per day, ``columns``) as a DataFrame: ``day`` as
    int32, counts (events, agents, companies) as int64 unless a day has no value (NaN), the
    other figures as float64."""
    df = pd.DataFrame(table, columns=columns)
    df["day"] = df["day"].astype(np.int32)
    counts = [c for c in df.columns if c != "day" and is_count(c) and df[c].notna().all()]
    df[counts] = df[counts].astype(np.int64)
    return df


NON_NEGATIVE_UNITS = ("share", "share of the group", "0-1", "households", "day", "ratio")


def never_negative(column: str) -> bool:
    """Whether a metric column can never be below 0: counts (``is_count``), shares and the
    other units of amounts, a disparate-impact ratio (points, correlations, rates of change
    can be negative)."""
    m = metric_of(column)
    return is_count(column) or (m is not None and m.unit in NON_NEGATIVE_UNITS)


def measured_unit(column: str, measure: str) -> str:
    """The unit of a metric column as a table measures it: a total over days drops the
    "per day" of a daily count or rate ("acts", "points"); a final-day value keeps its
    unit, a share said to run from 0 to 1 ("share (0-1)": "1" read as one person); "" for
    a column no metric declares."""
    m = metric_of(column)
    if m is None:
        return ""
    if measure == "total":
        return m.unit.removesuffix(" per day")
    return f"{m.unit} (0-1)" if m.unit in ("share", "share of the group") else m.unit


def source_label(name: str) -> str:
    """A source of points as ``scsim sources``, the report's chart of sources and the case
    files name it (``core.source``: 'true sightings', 'listed neighbours'), else its name
    spoken (a source this version does not declare)."""
    from scsim.core.source import source

    try:
        return source(name).label
    except KeyError:
        return spoken(name)


def metric_label(column: str) -> str:
    """A human label for a metric column (its declaration's label, NAME filled in; a
    source of points by its label: the tables of a comparison said "points from listed
    penalty" and "points from true sighting" where ``scsim sources``, the report's chart
    and the case files say "listed neighbours" and "true sightings")."""
    m = metric_of(column)
    if m is None:
        return column.replace("_", " ")
    if m.per is None:
        return m.label
    name = column[len(m.prefix):]
    return m.label.replace("NAME", source_label(name) if m.per in ("sources", "clean_sources")
                           else spoken(name))


def metric_columns(names: Names) -> list[str]:
    """Column names of the metrics table, in order."""
    return [c for item in layout_of(names) for c in item.columns(names)]


@dataclass
class Measure:
    """What a metric's ``value`` reads on one day."""

    day: int
    n: int  # agents
    names: Names
    p: Params
    state: State
    tally: Tally
    group_size: np.ndarray  # agents per group (float)
    group_score: np.ndarray  # sum of recorded scores per group (points)
    degree_total: float  # tie entries (both directions)
    # Of recorded scores, PERCENTILES (points); None on days the distribution is not measured.
    percentiles: np.ndarray | list[None]
    gini: float | None  # None on days the distribution is not measured
    lcc: float | None  # None on days the network is not measured
    assortativity: float | None
    source_points: np.ndarray  # points by source today (names.sources), recorded scores
    clean_source_points: np.ndarray  # ... (names.clean_sources), error-free scores
    wrongful_causes: np.ndarray  # new wrongful listings by cause (names.causes)


class MetricsRecorder:
    """Fills the metrics table one day at a time."""

    def __init__(self, names: Names, state: State, days: int, network_every: int,
                 distribution_every: int, threads: int):
        self.names = names
        self.layout = layout_of(names)
        self.columns = metric_columns(names)
        self.table = np.full((days, len(self.columns)), np.nan)
        self.network_every = network_every
        self.distribution_every = distribution_every
        self.group_size = np.bincount(state.group, minlength=len(names.groups)).astype(float)
        self.degree_total = float(state.net.n_entries)
        self.hist = np.zeros((max(1, threads), HIST_BINS), np.int64)
        self.hist_lo = np.zeros((max(1, threads), HIST_BINS), np.float64)
        self.hist_hi = np.zeros((max(1, threads), HIST_BINS), np.float64)
        # The largest component depends only on which ties are active: it is measured
        # again only after a tie has been severed, restored, suspended or freed.
        self.lcc: float | None = None

    def distribution_today(self, t: Today) -> bool:
        """Whether the score distribution (percentiles, Gini) is measured on ``t``'s day."""
        return t.day % self.distribution_every == 0 or t.last_day

    def metrics_part(self, t: Today) -> MetricsPart:
        """What the census fills for this recorder on ``t``'s day."""
        a, p, tally = t.state.agents, t.p, t.tally
        return MetricsPart(a["fear"], a["region"], t.started, t.state.net.indptr,
                           a["deg_active"], p.shame.pariah_fraction, p.score.s_min,
                           p.score.s_max, self.distribution_today(t), self.hist,
                           self.hist_lo, self.hist_hi, tally.counts["census"],
                           tally.sums["census"], tally.arrays["group_listed"],
                           tally.arrays["group_score"], len(self.names.tiers) > 0,
                           tally.arrays["tier"])

    def record(self, t: Today) -> None:
        """Fill the day's row, from the counters (the census taken)."""
        day, state, tally, p = t.day, t.state, t.tally, t.p
        a, net = state.agents, state.net
        tally.close()
        distribution = self.distribution_today(t)
        percentiles: np.ndarray | list[None] = [None] * len(PERCENTILES)
        gini = None
        if distribution:
            hist = self.hist.sum(axis=0)
            lo, hi = self.hist_lo.min(axis=0), self.hist_hi.max(axis=0)
            percentiles = histogram_percentiles(hist, lo, hi, QUANTILES)
            gini = histogram_gini(hist, lo, hi)
        if any(tally.count(c) for c in ("ties_severed", "ties_restored", "ties_suspended",
                                        "ties_freed")):
            self.lcc = None
        lcc = assortativity = None
        if day % self.network_every == 0 or t.last_day:
            # Lend them the score scratch: nothing in it is read again before behave
            # clears it tomorrow (too small for the union-find with one score column: it
            # allocates; the packed scores are copied in once the component is measured).
            if self.lcc is None:
                self.lcc = largest_component_fraction(net, a["scratch"])
            lcc = self.lcc
            assortativity = score_assortativity(net, a["scores"][:, 0], a["scratch"])
        m = Measure(day, state.n, self.names, p, state, tally, self.group_size,
                    tally.total("group_score"), self.degree_total, percentiles, gini, lcc,
                    assortativity, *t.provenance)
        self._fill(self.table[day], m)

    def _fill(self, row: np.ndarray, m: Measure) -> None:
        k = 0
        for item in self.layout:
            if isinstance(item, PerName):
                count = len(getattr(self.names, item.per))
                values = [metric.value(m) for metric in item.metrics]
                for j in range(count):
                    for v in values:
                        row[k] = v[j]
                        k += 1
                continue
            if item.per is None:
                v = item.value(m)
                if v is not None:
                    row[k] = v
                k += 1
                continue
            values = item.value(m)
            for j in range(len(getattr(self.names, item.per))):
                row[k] = values[j]
                k += 1


class Metrics(Step):
    """Ends the day (no mechanism of its own: always on)."""

    name = "metrics"
    section = "metrics"
    reports = True
    kernels = (histogram_percentiles, histogram_gini)

    @classmethod
    def on(cls, p) -> bool:
        return True

    def run(self, t: Today) -> None:
        if self.sim.split_passes:
            take_census(self.sim, t, with_metrics=True, with_provenance=False)
        self.sim.recorder.record(t)

