"""Charts for notebooks: ``Result.plot()``, ``Comparison.plot()`` and ``Replicates.plot()``
(Covasim's ``sim.plot()`` and ``MultiSim.plot()``). Each returns a matplotlib Figure (object
API, no pyplot state), which Jupyter shows inline; labels and units come from the metric
registry. A run's report charts (scores, tiers, listed, travel, chilling, ties, groups,
wrongful_groups, companies, network) are reachable by name too.
"""

from __future__ import annotations

import difflib
import io
import textwrap
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from scsim.errors import ScsimError
from scsim.outputs.metrics import metric_label, metric_of
from scsim.outputs.result import Result
from scsim.outputs.words import counted
from scsim.report.figures import RUN_CHARTS, SMOOTH, STYLE
from scsim.scenario.diff import changed_settings

# How a panel shows its series: as they are, summed since day 0, or as a rolling mean.
HOW = ("daily", "cumulative", "smoothed")

# The overview a plot() without arguments draws: (metric columns, how), one panel each.
OVERVIEW: tuple[tuple[tuple[str, ...], str], ...] = (
    (("listed", "wrongful_listed"), "daily"),
    (("blocked_air", "blocked_train"), "cumulative"),
    (("score_mean", "clean_score_mean"), "daily"),
    (("penalised_acts",), "smoothed"),
)
BAND = (0.05, 0.95)  # quantiles of the band drawn over replications
TITLE_CHARS_PER_INCH = 11  # characters of a bold 10-point title that fit in an inch


class NotebookFigure(Figure):
    """A Figure that Jupyter shows inline as a PNG even when pyplot was never imported
    (scsim draws with matplotlib's object API)."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()


def for_notebook(fig: Figure) -> NotebookFigure:
    """``fig`` as a NotebookFigure (a subclass that adds only its PNG representation)."""
    fig.__class__ = NotebookFigure
    return fig  # type: ignore[return-value]


def _unit(column: str, how: str) -> str:
    metric = metric_of(column)
    unit = metric.unit if metric is not None else ""
    if how == "cumulative":
        return unit.removesuffix(" per day") + " since day 0"
    if how == "smoothed":
        return f"{unit} ({SMOOTH}-day mean)"
    return unit


def _values(res: Result, column: str, how: str) -> np.ndarray:
    series = res.metrics[column].astype(np.float64)
    if how == "cumulative":
        series = series.cumsum()
    elif how == "smoothed":
        series = series.rolling(SMOOTH, min_periods=1).mean()
    return series.to_numpy()


def _measured(days: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """The days on which a metric was measured (some run has a value), their values (one
    row per run) and how to draw them: a metric measured every so many days (``lcc_frac``,
    ``score_assortativity``: ``metrics.network_every``) is NaN between, and a line
    through NaN drew nothing, so its days are drawn alone, joined, with a marker."""
    kept = ~np.isnan(values).all(axis=0)
    return days[kept], values[:, kept], ({} if kept.all() else {"marker": "o", "ms": 3})


def plot_runs(results: Sequence[Result], panels=OVERVIEW, band=BAND,
              title: str | None = None) -> Figure:
    """One panel per ``(columns, how)`` of ``panels``: each column of one run as a line,
    or, for several runs (replications), their mean with a band between the ``band``
    quantiles over runs."""
    for columns, how in panels:
        if how not in HOW:
            raise ScsimError(f"unknown way to show a series '{how}' (one of {', '.join(HOW)})")
        for column in columns:
            if column not in results[0].metrics.columns:
                raise ScsimError(_unknown(column, list(results[0].metrics.columns),
                                          listed="reps.metrics().columns"))
    with mpl.rc_context(STYLE):
        fig, axes = _panels(len(panels))
        for ax, (columns, how) in zip(axes, panels, strict=True):
            for k, column in enumerate(columns):
                days, values, marks = _measured(
                    results[0].metrics["day"].to_numpy(),
                    np.stack([_values(r, column, how) for r in results]))
                color = f"C{k}"
                if len(results) == 1:
                    ax.plot(days, values[0], color=color, label=metric_label(column), **marks)
                else:
                    ax.plot(days, np.nanmean(values, axis=0), color=color,
                            label=f"{metric_label(column)} (mean of {len(results)})", **marks)
                    lo, hi = np.nanquantile(values, band, axis=0)
                    ax.fill_between(days, lo, hi, color=color, alpha=0.2, lw=0)
            units = {_unit(c, how) for c in columns}
            ax.set_ylabel(units.pop() if len(units) == 1 else "")
            ax.set_xlabel("day")
            ax.legend(loc="best")
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
        if len(results) > 1:
            fig.text(0.99, 0.0, f"bands: {band[0]:.0%} to {band[1]:.0%} of the {len(results)} "
                     "runs", ha="right", va="bottom", fontsize=7.5, color="0.4")
    return fig


def _panels(n: int) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` panels, two to a row (one alone), and its axes in order; the
    axes past the ``n``-th are switched off."""
    ncols = 1 if n == 1 else 2
    fig = NotebookFigure(figsize=(5.2 * ncols, 3.2 * -(-n // ncols)), layout="constrained")
    axes = fig.subplots(-(-n // ncols), ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def panels_of(what: Sequence[str]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The overview for no names; else one daily panel per metric column named."""
    return OVERVIEW if not what else tuple(((c,), "daily") for c in what)


def _unknown(name: str, columns: list[str], charts: Sequence[str] = (),
             listed: str = "res.metrics.columns") -> str:
    """Why ``name`` cannot be drawn: no such metric column (``columns``) nor, for one run,
    chart (``charts``), with the nearest of them and where the columns are listed
    (``listed``: a Replicates' ``metrics`` is a method, a Comparison's columns are those of
    ``daily``; ".metrics.columns" sent their users to an AttributeError)."""
    close = difflib.get_close_matches(name, [*charts, *columns], n=1, cutoff=0.7)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (f"no {'chart or ' if charts else ''}metric column '{name}' ({hint}"
            + (f"charts: {', '.join(charts)}; " if charts else "")
            + f"{listed} lists the metric columns)")


def plot_result(res: Result, what: Sequence[str] = ()) -> Figure:
    """``Result.plot()``: the overview, one of the report's charts by name, or metric
    columns by name (one panel each)."""
    charts = {draw.__name__: draw for draw in RUN_CHARTS}
    for name in what:
        if not isinstance(name, str):
            raise ScsimError(f"plot({name!r}): a chart's or a metric's name, as text")
        if name not in charts and name not in res.metrics.columns:
            raise ScsimError(_unknown(name, list(res.metrics.columns), list(charts)))
    if len(what) == 1 and what[0] in charts:
        with mpl.rc_context(STYLE):
            chart = charts[what[0]]([(res.scenario.name, res)])
        if isinstance(chart, str):
            raise ScsimError(f"no {what[0]} chart for this run: {chart}")
        return for_notebook(chart.figure)
    changed = len(changed_settings(res.scenario))
    title = (f"{res.scenario.name}" + (f" ({counted(changed, 'setting')} changed)" if changed
                                       else "")
             + f": {counted(len(res.metrics), 'day')}, seed {res.seed}")
    return plot_runs([res], panels_of(what), title=title)


def plot_comparison(comparison, columns: Sequence[str] = ()) -> Figure:
    """``Comparison.plot()``: B − A day by day, the mean over the pairs with its 95 %
    interval: the report's difference chart, or one panel per metric column named."""
    from scsim.analysis.stats import t_half_width
    from scsim.report.figures import differences

    if not columns:
        with mpl.rc_context(STYLE):
            return for_notebook(differences(comparison).figure)
    reps = comparison.reps
    daily = [comparison.daily(k) for k in range(reps)]  # B − A of every column, per pair
    shared = list(daily[0].columns[1:])
    for column in columns:
        if column not in shared:
            raise ScsimError(_unknown(column, shared, listed="c.daily().columns"))
    with mpl.rc_context(STYLE):
        fig, axes = _panels(len(columns))
        for ax, column in zip(axes, columns, strict=True):
            days, values, marks = _measured(daily[0]["day"].to_numpy(), np.stack(
                [pair[column].to_numpy(np.float64) for pair in daily]))
            mean = values.mean(axis=0)
            ax.plot(days, mean, color="C3", label=f"B − A, {metric_label(column)}" + (
                f" (mean of {reps} pairs)" if reps > 1 else ""), **marks)
            if reps > 1:
                half = t_half_width(values.std(axis=0, ddof=1), reps)
                ax.fill_between(days, mean - half, mean + half, color="C3", alpha=0.2, lw=0)
            ax.axhline(0, color="0.5", lw=0.8)
            ax.set_ylabel(f"B − A, {_unit(column, 'daily')}".rstrip(", "))
            ax.set_xlabel("day")
            ax.legend(loc="best")
        label_a, label_b = comparison.labels
        band = "; bands: 95 % interval of the mean over the pairs" if reps > 1 else ""
        # wrapped to the figure's width: the labels name what each side changes, and one
        # line ran off the figure ("...; bands: 95 % interval o")
        title = f"B − A ({label_b}; {label_a}){band}"
        fig.suptitle(textwrap.fill(title, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH)),
                     x=0.01, ha="left", fontweight="bold", fontsize=10)
    return fig

