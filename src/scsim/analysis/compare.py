"""Paired comparison (counterfactual audit) of two scenarios under common random numbers.

Two scenarios with the same population (same ``population``, ``network``, regions and
company set-up, behaviour categories and days) run with the same seed draw the same random
numbers for the same agent, day and purpose, so the difference B − A of any outcome is the
effect of what differs between them, not of luck. With ``reps`` > 1, seeds ``seed``,
``seed + 1``, ... give independent pairs, and differences come with 95 % t-intervals over
the pairs.

Tables of a ``Comparison`` (``a`` and ``b`` are means over pairs, ``diff`` the mean
difference, ``lo``/``hi`` its 95 % t-interval, cut where B − A cannot go: a mean of B
is never below 0 agents or above the population, a share within 0 and 1; empty for a single
pair):

* ``metrics()``: per metric column, the total over days for daily counts (acts, blocked
  tickets, new listings...) and the final-day value for levels (listed, score, fear...);
* ``switches()``: per-agent changes counted in agents (``switch_counts(k)``: in pair k):
  listed under B and not under A, and vice versa; the same for wrongful listings and for
  losing ties; acts changed;
* ``groups()``: per group, the share ever listed and ever wrongfully listed, listed and
  wrongfully listed on the final day, and (two groups or more) two disparate-impact
  ratios to the reference group: the summary's, of the shares ever listed in the run
  ("disparate impact, ever listed"), and that of the shares listed on the final day;
* ``agents(k)``: one row per agent whose outcomes differ in pair ``k``;
* ``daily(k)``: B − A of every metric on every day in pair ``k``.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from scsim.analysis.stats import ratio_interval, t_half_width
from scsim.errors import (
    ScenarioError,
    ScenarioNotFound,
    ScsimError,
    check_progress,
    check_reps,
)
from scsim.outputs.metrics import (
    measured_unit,
    metric_of,
    never_negative,
    registered_metrics,
)
from scsim.outputs.result import Result
from scsim.outputs.summary import EVER_LISTED_DI, listed_on_di, share_ratio
from scsim.outputs.words import counted
from scsim.scenario.diff import (
    SIZE_PATHS,
    builtin,
    changed_settings,
    differences,
    overrides,
    population_key,
)
from scsim.scenario.schema import Scenario
from scsim.seeds import check_seed

if TYPE_CHECKING:
    import os

    from scsim.store import RunStore

# The metrics shown first (all of them with ``compare --all``), from the metric registry.
HEADLINE = tuple(m.name for m in registered_metrics() if m.headline and m.per is None)
HEADLINE_PREFIXES = tuple(m.prefix for m in registered_metrics() if m.headline and m.per)


def is_daily_count(column: str) -> bool:
    """Whether a metric column counts the events (or flows) of one day, compared as totals
    over the run, rather than a level, compared on the final day (its declared kind)."""
    m = metric_of(column)
    return m is not None and m.kind in ("count", "rate")


def is_headline(column: str) -> bool:
    """Whether a metric column is among those shown first."""
    return column in HEADLINE or column.startswith(HEADLINE_PREFIXES)


def _first_of(settings: dict[str, Any]) -> str:
    """', path=value (+N more)' of the first of ``settings``; '' when there is none."""
    if not settings:
        return ""
    from scsim.scenario.reference import show_value

    path, value = next(iter(settings.items()))
    more = len(settings) - 1
    return f", {path}={show_value(value)}" + (f" (+{more} more)" if more else "")


@dataclass
class Comparison:
    """Pairs of results (``a[k]``, ``b[k]`` ran with the same seed) and what differs
    between the two scenarios (``changes``: dotted path -> (value in A, value in B))."""

    a: list[Result]
    b: list[Result]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def seeds(self) -> list[int]:
        """The seed of each pair, in order."""
        return [r.seed for r in self.a]

    @property
    def reps(self) -> int:
        """How many pairs."""
        return len(self.a)

    @property
    def labels(self) -> tuple[str, str]:
        """Short names of the two sides: the scenario names, with what A changes in the
        built-in scenario of its name (A is not always it as shipped) and what B changes
        in A when both have the same name."""
        sc_a, name_b = self.a[0].scenario, self.b[0].scenario.name
        base = builtin(sc_a.name)
        own = {path: new for path, new in overrides(base, sc_a).items()
               if path not in SIZE_PATHS} if base is not None else {}
        label_a = f"A: {sc_a.name}{_first_of(own)}"
        label_b = f"B: {name_b}"
        if sc_a.name == name_b and self.changes:
            label_b += _first_of({path: b for path, (_, b) in self.changes.items()})
        return label_a, label_b

    def plot(self, *columns: str):
        """B − A day by day, the mean over the pairs with its 95 % band, a matplotlib
        Figure (needs scsim[report]): listed, wrongfully listed and penalised acts, or one
        panel per metric column named (``plot("fear_mean")``), as ``Result.plot`` takes
        them."""
        from scsim.extras import require

        require("report", what="Comparison.plot()")
        from scsim.report.plots import plot_comparison

        return plot_comparison(self, columns)

    def __repr__(self) -> str:
        label_a, label_b = self.labels
        return f"Comparison({label_a} vs {label_b}, {counted(self.reps, 'pair')})"

    def _repr_html_(self) -> str:
        from scsim.outputs.display import comparison_html

        return comparison_html(self)

    def metrics(self, *, headline: bool = False) -> pd.DataFrame:
        """Per metric: ``metric``, ``measure`` (total over days, or final day), ``unit`` (as
        measured: "acts" for a total of acts per day, ``outputs.metrics.measured_unit``),
        a, b, diff, lo, hi, and the relative change ``change`` (diff over a, a fraction:
        0.032 is 3.2 % more under B; NaN where a, the mean of A, is not positive) with its
        95 % interval ``change_lo``/``change_hi``: that of the ratio of the means b / a,
        less 1, by Fieller's theorem (``analysis.stats.ratio_interval``: from the spread of
        A and B over the pairs and how they vary together; lo/a and hi/a took A's mean as
        known exactly), cut where the ratio cannot go (from −100 %, B's mean at 0, for what
        is never negative; within the score scale for a score statistic). An end is ±inf
        where the interval has no bound on that side: A's mean is too small and variable
        (not clearly above 0 over the pairs) to give a relative change
        (``outputs.words.UNBOUNDED_CHANGE``). Where B is the same multiple of A in every
        pair, the change is exactly that (0 to 0 where B − A is 0 in every pair, as its
        own interval; −100 % where B is 0); both NaN with one pair, which has no
        interval.
        ``headline=True`` (by name only: ``metrics("listed")`` took the metric's name for
        it) keeps the metrics of ``HEADLINE`` and acts per behaviour. A metric that one
        side does not record (its mechanism is off there: detention switched on in B
        only) is kept: a daily count, or a count of agents or households, is 0 on that
        side (nobody was detained), another level NaN (not measured: mean conformity
        without norms)."""
        rows = []
        for k, (ra, rb) in enumerate(zip(self.a, self.b, strict=True)):
            ma, mb = ra.metrics, rb.metrics
            for col in dict.fromkeys([*ma.columns, *mb.columns]):
                if col == "day" or (headline and not is_headline(col)):
                    continue
                daily = is_daily_count(col)
                metric = metric_of(col)
                unmeasured = 0 if daily or (metric is not None and metric.unit in (
                    "agents", "households")) else math.nan
                rows.append((col, "total" if daily else "final day", k, *(
                    (m[col].sum() if daily else m[col].iloc[-1]) if col in m else unmeasured
                    for m in (ma, mb))))
        long = pd.DataFrame(rows, columns=["metric", "measure", "rep", "a", "b"])
        out = _aggregate(long, ["metric", "measure"])
        n, scoring = len(self.a[0].agents), self.a[0].scenario.scoring
        ranges = [value_range(m, measure, n, float(scoring.min), float(scoring.max))
                  for m, measure in zip(out["metric"], out["measure"], strict=True)]
        low = pd.Series([lowest for lowest, _ in ranges], index=out.index, dtype=float)
        high = pd.Series([highest for _, highest in ranges], index=out.index, dtype=float)
        _within(out, low, high)
        base = out["a"].where(out["a"] > 0)
        out["change"] = (out["diff"] / base).astype(float)
        moments = out[["metric", "measure"]].merge(_moments(long, ["metric", "measure"]),
                                                   how="left", on=["metric", "measure"])
        lowest, highest = _ratio_range(low.to_numpy(), high.to_numpy())
        ratio_lo, ratio_hi = ratio_interval(
            out["a"], out["b"], moments["var_a"], moments["var_b"], moments["cov_ab"],
            moments["n"], lowest, highest)
        # B a fixed multiple of A in every pair (B as A: no change; B at 0, its mechanism
        # off: −100 %): the ratio is that multiple for any A's mean above 0, which a
        # relative change takes as given; Fieller's set, which allows A's mean near 0, is
        # all ratios there ("−100 % (no bound)" of everyone B never listed)
        ratio = (out["b"] / base).to_numpy(float)
        spread = (moments["var_b"] - 2 * ratio * moments["cov_ab"]
                  + ratio**2 * moments["var_a"]).to_numpy(float)  # of b − ratio·a
        scale = (moments["var_b"] + ratio**2 * moments["var_a"]).to_numpy(float)
        exact = spread <= EXACT * scale
        out["change_lo"] = np.where(exact, ratio - 1.0, ratio_lo - 1.0)
        out["change_hi"] = np.where(exact, ratio - 1.0, ratio_hi - 1.0)
        out.loc[base.isna(), ["change_lo", "change_hi"]] = np.nan
        out.insert(2, "unit", [measured_unit(m, measure) for m, measure in zip(
            out["metric"], out["measure"], strict=True)])
        return out

    def switches(self) -> pd.DataFrame:
        """Per-agent changes, in agents: ``figure``, ``agents`` (mean over pairs), lo, hi
        (the t-interval cut at 0 agents and at the most the row can count,
        ``switch_ceilings``: a count of agents is never negative, and B cannot list more
        people that A does not than A leaves unlisted; the headline's interval of the
        people B lists more stops there too, so the two agree)."""
        rows = [(figure, k, agents) for k in range(self.reps)
                for figure, agents in self.switch_counts(k)]
        long = pd.DataFrame(rows, columns=["figure", "rep", "agents"])
        out = _aggregate(long, ["figure"], value="agents")
        out["lo"] = out["lo"].clip(lower=0.0)
        ceiling = out["figure"].map(self.switch_ceilings()).fillna(
            float(len(self.a[0].agents)))
        out["hi"] = out["hi"].mask(out["hi"] > ceiling, ceiling)
        return out

    def switch_ceilings(self) -> dict[str, float]:
        """The most agents a per-agent figure can count, as a mean over the pairs, by
        figure: of the agents listed under A (A's mean; wrongfully listed, lost ties
        alike) "listed under A, not under B" counts at most all of them, and "listed under
        B, not under A" at most all the others (the agents less A's mean: the ceiling of
        the headline's "N more people"). Figures not named here can count every agent.
        The names are ``switch_counts``' (``switched``): a figure renamed in one place
        only lost its ceiling without a word."""
        n = len(self.a[0].agents)
        out = {}
        for what, col in SWITCHED:
            under_a = float(np.mean([np.count_nonzero(np.asarray(r.agent_columns[col]) > 0)
                                     for r in self.a]))
            out[switched(what, "A")] = under_a
            out[switched(what, "B")] = n - under_a
        return out

    def switch_counts(self, k: int = 0) -> list[tuple[str, float]]:
        """Per-agent changes in pair ``k``: (figure, agents)."""
        d = self._agent_pairs(k)
        pa, pb = d["penalised_acts_a"], d["penalised_acts_b"]
        masks = []
        for what, col in SWITCHED:  # under B and not A, then the reverse
            under_a, under_b = d[f"{col}_a"] > 0, d[f"{col}_b"] > 0
            masks += [(switched(what, "B"), under_b & ~under_a),
                      (switched(what, "A"), under_a & ~under_b)]
        return [(figure, float(mask.sum())) for figure, mask in (
            *masks,
            ("acts changed (any behaviour)", d["acts_changed"]),
            ("fewer penalised acts under B", pb < pa),
            ("more penalised acts under B", pb > pa))]

    def groups(self) -> pd.DataFrame:
        """Per group: ``group``, ``figure``, a, b, diff, lo, hi and ``note``. The figures:
        shares of the group ever listed, ever wrongfully listed, listed and wrongfully
        listed on the final day (0 to 1), and, with two groups or more, two
        disparate-impact ratios to the reference group: the summary's "disparate impact,
        ever listed" (``EVER_LISTED_DI``: the group's share of its people listed at any
        point in the run over the reference group's, ``summary.share_ratio``; 1 for the
        reference group itself) and "disparate impact, listed on the final day" (the
        metric ``di_GROUP`` on the last day). ``note`` is '' but where a pair has no
        ever-listed ratio because nobody in the reference group was ever listed in it
        (``ever_listed_note``); the means and B − A are then of the pairs that have
        one."""
        def ever(res: Result) -> pd.DataFrame:  # per group, the share with a count > 0
            return res.agents.groupby("group", observed=False)[
                ["times_listed", "wrongful_listings"]].agg(lambda s: float((s > 0).mean()))

        rows = []
        for k, (ra, rb) in enumerate(zip(self.a, self.b, strict=True)):
            ever_a, ever_b = ever(ra), ever(rb)
            several = len(ra.names.groups) > 1  # (one group's ratio to itself is 1)
            ratios = [ever_listed_ratios(r) for r in (ra, rb)] if several else None
            for g in ra.names.groups:
                if g not in rb.names.groups:
                    continue
                for col, figure in (("times_listed", "ever listed (share)"),
                                    ("wrongful_listings", "ever wrongfully listed (share)")):
                    rows.append((g, figure, k, ever_a.at[g, col], ever_b.at[g, col]))
                if ratios is not None:  # whether one group gets listed more often
                    rows.append((g, EVER_LISTED_RATIO, k, *(r.get(g, math.nan)
                                                            for r in ratios)))
                finals = [(f"listed_rate_{g}", "listed, final day (share)"),
                          (f"wrongful_rate_{g}", "wrongfully listed, final day (share)")]
                if several:
                    # on the list that day, not ever listed as the summary's ratio
                    finals.append((f"di_{g}", FINAL_DAY_RATIO))
                for col, figure in finals:
                    rows.append((g, figure, k, ra.metrics[col].iloc[-1],
                                 rb.metrics[col].iloc[-1]))
        long = pd.DataFrame(rows, columns=["group", "figure", "rep", "a", "b"])
        out = _aggregate(long, ["group", "figure"])
        share = out["figure"].str.endswith("(share)")
        _within(out, pd.Series(0.0, index=out.index), share.map({True: 1.0, False: math.inf}))
        note = ever_listed_note(self) if len(self.a[0].names.groups) > 1 else ""
        out["note"] = np.where(out["figure"] == EVER_LISTED_RATIO, note, "")
        return out

    def agents(self, k: int = 0) -> pd.DataFrame:
        """Agents whose outcomes differ in pair ``k``: id, group, and per side the times
        listed, wrongful listings, ties lost, penalised acts, blocked tickets and score."""
        d = self._agent_pairs(self._pair(k))
        outcome = ("times_listed", "wrongful_listings", "ties_lost", "penalised_acts",
                   "blocked_tickets")
        differs = d["acts_changed"].copy()
        for col in outcome:
            differs |= d[f"{col}_a"] != d[f"{col}_b"]
        keep = ["agent", "group", *(f"{c}_{s}" for c in (*outcome, "score") for s in "ab"),
                "acts_changed"]
        return d.loc[differs, keep].reset_index(drop=True)

    def daily(self, k: int = 0) -> pd.DataFrame:
        """B − A of every metric shared by both runs, one row per day, for pair ``k``."""
        k = self._pair(k)
        ma, mb = self.a[k].metrics, self.b[k].metrics
        cols = [c for c in ma.columns if c in mb.columns and c != "day"]
        out = mb[cols] - ma[cols]
        out.insert(0, "day", ma["day"])
        return out

    def _pair(self, k: object) -> int:
        """``k`` if it numbers a pair (0 .. reps - 1), else a ScsimError saying which do."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not (
                0 <= k < self.reps):
            raise ScsimError(f"pair {k!r}: this comparison has {counted(self.reps, 'pair')}"
                             f", numbered 0 to {self.reps - 1}")
        return int(k)

    def _agent_pairs(self, k: int) -> pd.DataFrame:
        ra, rb = self.a[k], self.b[k]
        aa, ab = ra.agents, rb.agents
        acts = [c for c in aa.columns if c.startswith("acts_") and c in ab.columns]
        out = pd.DataFrame({"agent": aa["agent"], "group": aa["group"]})
        for col in ("times_listed", "wrongful_listings", "ties_lost", "blocked_tickets",
                    "score"):
            out[f"{col}_a"], out[f"{col}_b"] = aa[col].to_numpy(), ab[col].to_numpy()
        out["penalised_acts_a"] = _penalised_acts(ra)
        out["penalised_acts_b"] = _penalised_acts(rb)
        out["acts_changed"] = (aa[acts].to_numpy() != ab[acts].to_numpy()).any(axis=1)
        return out


SWITCHED = (("listed", "times_listed"), ("wrongfully listed", "wrongful_listings"),
            ("lost ties", "ties_lost"))
"""The per-agent figures that count agents on one side and not the other
(``Comparison.switch_counts``), with the agents' column that says it of each (above 0)."""


def switched(what: str, side: str) -> str:
    """The name of the per-agent figure of the agents ``what`` ("listed", ...: ``SWITCHED``)
    under ``side`` ("A" or "B") and not under the other: "listed under B, not under A"."""
    return f"{what} under {side}, not under {'A' if side == 'B' else 'B'}"


EVER_LISTED_RATIO = f"{EVER_LISTED_DI} (ratio)"
"""The figure of ``Comparison.groups`` that is the summary's disparate impact: a group's
share of its people ever listed in the run over the reference group's."""

FINAL_DAY_RATIO = f"{listed_on_di('the final day')} (ratio)"
"""The figure of ``Comparison.groups`` that is the metric ``di_GROUP`` on the last day,
named as every screen names that metric (``summary.listed_on_di``)."""


def ever_listed_counts(res: Result) -> dict[str, tuple[int, int]]:
    """Each group's agents listed at any point in the run (a count of listings above 0,
    as the summary counts them), and its agents, by group name."""
    listed = res.agents["times_listed"].to_numpy() > 0
    group = res.agents["group"].to_numpy()
    return {g: (int(np.count_nonzero(listed[group == g])), int(np.count_nonzero(group == g)))
            for g in res.names.groups}


def ever_listed_ratios(res: Result) -> dict[str, float]:
    """The summary's "disparate impact, ever listed" of one run, by group: the group's
    share of its agents ever listed over the reference group's (``summary.share_ratio``;
    1 for the reference group, NaN for every group where nobody in the reference group
    was ever listed)."""
    counts = ever_listed_counts(res)
    ref_count, ref_size = counts[res.names.groups[res.names.reference_group]]
    return {g: share_ratio(count, size, ref_count, ref_size)
            for g, (count, size) in counts.items()}


def ever_listed_note(comparison: Comparison) -> str:
    """What the rows "disparate impact, ever listed (ratio)" of ``Comparison.groups`` say
    when a pair has no such ratio, in the summary's words: "no ratio under A: nobody in
    majority listed"; with several pairs, in how many and which (by seed), and that the
    means and B − A are of the others. A side without a ratio in any pair says so beside
    one without it in some ("no ratio under A in every pair and under B in 1 of 2 pairs
    (seed 0)": "under A and under B in 1 of 2 pairs" read as both in one pair). '' when
    every pair has its ratios."""
    ref = comparison.a[0].names.groups[comparison.a[0].names.reference_group]
    seeds, reps = comparison.seeds, comparison.reps
    missing = {side: [seed for seed, r in zip(seeds, runs, strict=True)
                      if ever_listed_counts(r)[ref][0] == 0]
               for side, runs in (("A", comparison.a), ("B", comparison.b))}
    some = any(0 < len(none) < reps for none in missing.values())
    parts = []
    for side, none in missing.items():
        if len(none) == reps:
            parts.append(f"under {side}" + (" in every pair" if some else ""))
        elif none:
            which = ", ".join(map(str, none))
            parts.append(f"under {side} in {len(none)} of {reps} pairs "
                         f"({'seed' if len(none) == 1 else 'seeds'} {which})")
    if not parts:
        return ""
    rest = "; the means and B − A are of the other pairs" if some else ""
    return f"no ratio {' and '.join(parts)}: nobody in {ref} listed{rest}"


def groups_caption(groups: pd.DataFrame) -> str:
    """The notes of a per-group table (``Comparison.groups``), each once, said under it
    (the terminal's table and the report's have no column for them): "disparate impact,
    ever listed: no ratio under A: nobody in majority listed"; '' when there is none."""
    notes = dict.fromkeys(n for n in groups["note"] if n)
    return "; ".join(f"{EVER_LISTED_DI}: {n}" for n in notes)


def _penalised_acts(res: Result) -> np.ndarray:
    names = [f"acts_{b.name}" for b in res.scenario.behaviours
             if (b.penalised if b.penalised is not None else b.delta < 0)]
    return res.agents[names].to_numpy(np.int64).sum(axis=1) if names else np.zeros(
        len(res.agents), np.int64)


def _aggregate(long: pd.DataFrame, keys: list[str], value: str | None = None) -> pd.DataFrame:
    """Means over pairs and the 95 % t-interval of the mean difference (``value``, or
    ``diff`` = b − a)."""
    if value is None:
        long = long.assign(diff=long["b"] - long["a"])
        value, columns = "diff", ["a", "b", "diff"]
    else:
        columns = [value]
    grouped = long.groupby(keys, sort=False)
    out = grouped[columns].mean()
    n = grouped[value].count()
    sd = grouped[value].std(ddof=1)
    half = pd.Series(t_half_width(sd, n), index=n.index)
    out["lo"], out["hi"] = out[value] - half, out[value] + half
    return out.reset_index()


EXACT = 1e-9
"""The spread of b − r·a over the pairs (r = b̄/ā), relative to that of b and r·a, below
which B is r times A in every pair (float rounding of the variances and covariance)."""


def _moments(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys`` (its ``keys`` columns, a row each), the sample variances of
    ``a`` and ``b`` over the pairs, their covariance (ddof 1; NaN for one pair) and the
    number of pairs ``n``: what the interval of the ratio b / a needs."""
    grouped = long.groupby(keys, sort=False)
    centred = long[["a", "b"]] - grouped[["a", "b"]].transform("mean")
    n = grouped["a"].count()
    var = grouped[["a", "b"]].var(ddof=1)
    cross = (centred["a"] * centred["b"]).groupby([long[k] for k in keys], sort=False).sum()
    cov = cross.reindex(n.index) / (n - 1).where(n > 1)
    return pd.DataFrame({"var_a": var["a"].reindex(n.index), "var_b": var["b"].reindex(
        n.index), "cov_ab": cov, "n": n}, index=n.index).reset_index()


def _ratio_range(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values a ratio of two means can take when each mean lies between ``low`` and
    ``high`` (arrays, a metric's range, ``value_range``): from low/high to high/low for
    what is never negative (0 to inf for a total of counts: B − A from −100 % on), any
    value otherwise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lowest = np.where(np.isinf(high), 0.0, low / high)
        highest = np.where(low == 0, np.inf, high / low)
    positive = low >= 0
    return np.where(positive, lowest, -np.inf), np.where(positive, highest, np.inf)


SWITCHES_NOTE = ("These count the people whose fate differs, each way; the change in "
                 "people listed is the first row less the second (its interval is that of "
                 "the difference, wider than either row's).")
"""What the per-agent table (``Comparison.switches``) counts, said under it everywhere."""

SHARE_UNITS = ("share", "0-1", "share of the group")  # a level between 0 and 1


def value_range(metric: str, measure: str, agents: int, score_min: float,
                 score_max: float) -> tuple[float, float]:
    """Lowest and highest value one run can give ``metric`` (in its unit) as ``measure``
    takes it: on the final day, 0 to 1 for a share, 0 to the number of agents for a count
    of agents, the score scale (``score_min`` to ``score_max``, points) for a statistic
    of the agents' scores (0 to the scale's span for their standard deviation); else
    from 0 for what is never negative (``outputs.metrics.never_negative``: totals of
    counts, households, ratios...), no bound otherwise (points per day, a company's
    score)."""
    m = metric_of(metric)
    if m is None:
        return -math.inf, math.inf
    if measure == "final day":
        if metric == "score_sd":
            return 0.0, score_max - score_min
        if m.unit == "points" and metric.startswith(("score_", "clean_score_")):
            return score_min, score_max  # (the error-free score keeps to the same range)
        if m.unit in SHARE_UNITS:
            return 0.0, 1.0
        if m.unit == "agents":
            return 0.0, float(agents)
    return (0.0, math.inf) if never_negative(metric) else (-math.inf, math.inf)


def _within(out: pd.DataFrame, low: pd.Series, high: pd.Series) -> None:
    """Cut each row's 95 % interval of B − A (``lo``, ``hi``) at what the difference can
    be, given A's mean ``a``: a mean of B lies between the metric's ``low`` and ``high``,
    so B − A between ``low − a`` and ``high − a``. A t-interval of a few pairs reached
    past them ("4,800 to 5,010 more people of 5,000", a share of 1.002, 216 times fewer
    wrongful listings than A had). A row whose ``a`` is not measured (NaN) is left as
    is."""
    floor, ceiling = low - out["a"], high - out["a"]
    out["lo"] = out["lo"].mask(out["lo"] < floor, floor)
    out["hi"] = out["hi"].mask(out["hi"] > ceiling, ceiling)


def check_pairable(a: Scenario, b: Scenario) -> None:
    """Refuse two scenarios whose populations differ: their agents would not pair up. The
    message says how they differ in words, then the settings that differ."""
    ka, kb = population_key(a), population_key(b)
    if ka != kb:
        found = differences(a, b)
        paths = [p for p in found if p.startswith(tuple(ka))]
        words = _population_words(a, b, {p: found[p] for p in paths})
        categories = ka["behaviours.category"], kb["behaviours.category"]
        if categories[0] != categories[1]:
            paths.append("behaviours[].category")
            words.append("behaviour categories " + " against ".join(
                ", ".join(side) for side in categories))
        digests = ka.get("network.file_digest"), kb.get("network.file_digest")
        if None not in digests and digests[0] != digests[1]:
            words.append("the network file's contents")  # one path, two contents
        lengths = ka["days"] != kb["days"]
        # (a network file's digest is a key of the side that reads one only)
        populations = any(ka.get(k) != kb.get(k) for k in (ka.keys() | kb.keys()) - {"days"})
        differ = ("different populations and lengths" if populations and lengths else
                  "different populations" if populations else "different lengths")
        paired = ("their agents cannot be paired" if populations else
                  "their days cannot be paired (give both the same --days)")
        raise ScsimError(f"the two scenarios have {differ}, so {paired}. "
                         "A against B: " + "; ".join(words) + ". Settings that differ: "
                         + ", ".join(paths[:8]) + (", …" if len(paths) > 8 else ""))


def _population_words(a: Scenario, b: Scenario, found: dict[str, tuple[Any, Any]]
                      ) -> list[str]:
    """The differences ``found`` (path: (A's value, B's)) between two populations in
    words, A's then B's: "groups majority 90 % and minority 10 % against everyone 100 %",
    "agents 20,000 against 1,000", "network barabasi_albert against watts_strogatz"."""
    from scsim.scenario.reference import show_value

    def groups(sc: Scenario) -> str:
        return " and ".join(f"{g.name} {100 * g.share:.3g} %" for g in sc.population.groups)

    words = []
    if any(path.startswith("population.groups.") for path in found):
        words.append(f"groups {groups(a)} against {groups(b)}" if groups(a) != groups(b)
                     else "the groups' other settings")
    for path, values in found.items():
        if path.startswith("population.groups."):
            continue
        name = path.removeprefix("population.").removesuffix(".count").removesuffix(
            ".kind").replace(".", " ").replace("_", " ")
        va, vb = (f"{v:,}" if isinstance(v, int) and not isinstance(v, bool)
                  else "none" if v is None else show_value(v) for v in values)
        words.append(f"{name} {va} against {vb}")
    return words


def same_run_words(res: Result, command: Literal["compare", "report"] = "compare") -> str:
    """Why a run is not compared with itself (``scsim compare A A``, ``scsim report A A``:
    B − A is 0 in everything, a comparison of nothing), and what to type instead:
    ``command`` is the one given, whose way of showing the run alone comes first."""
    run = f"run {res.run_id}" if res.run_id else "the same result"
    name = typed_name(res.scenario)
    if not res.run_id:
        alone = "scsim.report(result) reports it alone"
    elif command == "report":
        alone = f"`scsim report {res.run_id}` reports it alone"
    else:
        alone = (f"`scsim show {res.run_id}` shows it alone (`scsim report {res.run_id}`: "
                 "its report)")
    sc = res.scenario
    size = f"--agents {sc.population.agents} --days {sc.days}"  # the run's, not the built-in's
    changed = changed_settings(sc)
    kept = (f" (and the {counted(len(changed), 'setting')} the run changed, as --set-a and "
            f"--set-b: `scsim show {res.run_id or 'RUN'}` lists them)" if changed else "")
    return (f"{run} is given as both A and B: a comparison needs two different runs (one "
            f"compared with itself differs in nothing). {alone}; to compare {name} with "
            f"itself under a changed setting, `scsim compare {name} {name} {size} --set-b "
            f"KEY=VALUE`{kept}; to see how its figures vary from one seed to another, `scsim "
            f"sweep {name} {size} --reps 10`")


def typed_name(sc: Scenario) -> str:
    """A scenario as a command in a message types it: its name if it is a built-in one,
    else "SCENARIO" (the path of its file)."""
    from scsim.scenario import builtin_names

    return sc.name if sc.name in builtin_names() else "SCENARIO"


def same_scenario_words(sc: Scenario) -> str:
    """What a comparison of a scenario with itself says (B − A is 0 in everything), and
    how to compare what a setting does."""
    name = typed_name(sc)
    return (f"A and B are the same scenario: every difference must be 0. To see what a "
            f"setting does, change it in B: `scsim compare {name} {name} --set-b "
            f"KEY=VALUE` (`scsim scenarios show {name}` lists every setting)")


def check_different_runs(a: list[Result], b: list[Result],
                         command: Literal["compare", "report"] = "compare") -> None:
    """Refuse a pair whose A and B are one run (one Result, or one stored run loaded
    twice), in the words of ``same_run_words``."""
    for ra, rb in zip(a, b, strict=True):
        if ra is rb or (ra.run_id and ra.run_id == rb.run_id):
            raise ScsimError(same_run_words(ra, command))


def compare_results(a: list[Result], b: list[Result]) -> Comparison:
    """A Comparison of finished runs, paired by position; each pair must share its seed
    and population, and be two runs (not one run as both A and B)."""
    if not a or len(a) != len(b):
        raise ScsimError("a comparison needs the same number (at least one) of A and B runs")
    check_different_runs(a, b)
    for ra, rb in zip(a, b, strict=True):
        if ra.seed != rb.seed:
            raise ScsimError(f"runs with different seeds ({ra.seed} and {rb.seed}) do not "
                             "share their random numbers: run them with the same seed")
        check_pairable(ra.scenario, rb.scenario)
        read = [r.info.get("network_file_digest") for r in (ra, rb)]
        if None not in read and read[0] != read[1]:
            raise ScsimError(f"runs {ra.run_id or 'A'} and {rb.run_id or 'B'} read different "
                             f"contents of the network file {ra.scenario.network.path} (it "
                             "changed between them), so their agents cannot be paired")
    return Comparison(a, b, differences(a[0].scenario, b[0].scenario,
                                        ignore=("name", "description", "source")))


def compare(a: Scenario | str, b: Scenario | str, *, seed: int = 0, reps: int = 1,
            agents: int | None = None, days: int | None = None,
            overrides: str | list[str] | dict[str, Any] | None = None,
            overrides_a: str | list[str] | dict[str, Any] | None = None,
            overrides_b: str | list[str] | dict[str, Any] | None = None,
            store: RunStore | str | os.PathLike | bool | None = None,
            base_a: Scenario | None = None,
            base_b: Scenario | None = None,
            progress: Callable[[int], None] | None = None) -> Comparison:
    """Run A and B (Scenarios, or built-in names or YAML paths, both with ``agents`` and
    ``days`` as ``load_scenario`` applies them) with seeds ``seed`` .. ``seed + reps - 1``
    and compare them pairwise (``seed`` and ``reps`` by name only: ``replicate`` takes
    ``reps`` before ``seed``, and ``compare(a, b, 5)`` ran one pair with seed 5).
    ``overrides_a``/``overrides_b``: settings changed in A or in B alone, as
    ``load_scenario``'s ``overrides`` takes them (``"a.b=value"`` strings, one or a list,
    or a ``{path: value}`` mapping) and as ``scsim compare``'s ``--set-a``/``--set-b``:
    ``compare("national-800", "national-800", overrides_b="scoring.association.
    listed_penalty=1")``; ``overrides``: settings changed in both, as ``simulate`` and
    ``replicate`` take them (a side's own come after). With ``store`` (a RunStore, a
    run-store folder, or True for
    the default one, as ``simulate`` takes it) every run is recorded there
    (``base_a``/``base_b``: what each scenario was derived from, for the catalogue's
    overrides column; by default, where a side has overrides, that side's scenario
    without them, as ``scsim compare`` records them), and so is the comparison
    (``RunStore.comparisons``).
    ``progress(day)``, a function of one argument, is called after every simulated day
    of every run with that day (0 to days - 1, again for each run)."""
    from scsim.core.engine import Simulation
    from scsim.scenario.loader import as_scenario
    from scsim.store import store_of

    reps = check_reps(reps)
    seed = check_seed(seed)
    check_progress(progress)
    store = store_of(store)
    check_overrides(overrides, "overrides=")
    check_overrides(overrides_a, "overrides_a=")
    check_overrides(overrides_b, "overrides_b=")
    if base_a is None and (overrides or overrides_a):
        base_a = _without_options(a)
    if base_b is None and (overrides or overrides_b):
        base_b = _without_options(b)
    if overrides:  # both sides' first, then each side's own
        a, b = (as_scenario(sc, agents=agents, days=days, overrides=overrides)
                for sc in (a, b))
        agents = days = None
    with side_named("A", overrides_a):
        a = as_scenario(a, agents=agents, days=days, overrides=overrides_a)
    with side_named("B", overrides_b):
        b = as_scenario(b, agents=agents, days=days, overrides=overrides_b)
    check_pairable(a, b)
    runs: dict[str, list[Result]] = {"a": [], "b": []}
    for k in range(reps):
        for side, sc, base in (("a", a, base_a), ("b", b, base_b)):
            sim = Simulation(sc, seed + k)
            runs[side].append(sim.run(progress) if store is None
                              else store.record(sim, progress, base=base))
    comparison = compare_results(runs["a"], runs["b"])
    if store is not None:
        store.record_comparison(*([r.run_id for r in runs[side]] for side in ("a", "b")))
    return comparison


@contextlib.contextmanager
def side_named(side: str, own: object):
    """An invalid scenario loaded as one side of a comparison ("A" or "B") with overrides of
    its own (``own``: ``--set-a``, ``overrides_b=``) is told as that side's (``invalid
    scenario A (<built-in national-800>)``): when both sides are the same scenario, each
    with its own overrides, the problem alone did not say which was wrong. A side without
    its own is not named: its problem is one of both sides (``--agents 1``)."""
    try:
        yield
    except ScenarioNotFound:
        raise
    except ScenarioError as exc:
        if not own:
            raise
        source = f"{side} ({exc.source})" if exc.source else side
        raise ScenarioError(exc.problems, source) from None


def check_overrides(given: object, named: str) -> None:
    """Refuse overrides given to one side of a comparison whose syntax is wrong (not
    ``key=value``, no value...), the problem beginning with ``named``, the option or
    argument they were given to (``--set-a``, ``overrides_b=``): the loader names them
    ``--set`` or ``overrides=``, the same for both sides. A mapping's keys and every
    value are checked when the scenario is loaded."""
    from scsim.scenario.loader import parse_assignment

    if given is None or isinstance(given, dict):
        return
    for text in given if isinstance(given, list | tuple) else [given]:
        parse_assignment(text, named)


def _without_options(sc: Scenario | str | os.PathLike | dict) -> Scenario:
    """The scenario a side of a comparison names, without its agents, days or overrides:
    the base its runs are recorded against (a built-in as shipped, a file as written),
    loaded without telling its settings that do nothing again."""
    from scsim.scenario.loader import load_unadvised

    return sc if isinstance(sc, Scenario) else load_unadvised(sc)
