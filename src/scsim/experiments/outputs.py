"""Named outputs of a run, the quantities experiments compare, fit and explain.

An output is a metric column and a statistic over the days: ``wrongful_new_total`` (sum
over days), ``listed_final`` (last day), ``fear_mean_mean`` (mean over days), ``listed_max``,
``blocked_air_per_capita_year`` (sum over days per agent per 365 days),
``listed_per_capita_mean`` (mean over days per agent: a stock) or ``wrongful_new_per_100k``
(sum over days per 100,000 agents).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from scsim.errors import ScsimError

DAYS_PER_YEAR = 365.0

STATISTICS: dict[str, Callable[[pd.Series, int], float]] = {
    "per_capita_year": lambda s, n: float(s.sum()) / n / (len(s) / DAYS_PER_YEAR),
    "per_capita_mean": lambda s, n: float(s.mean()) / n,
    "per_100k": lambda s, n: float(s.sum()) / n * 1e5,
    "total": lambda s, n: float(s.sum()),
    "final": lambda s, n: float(s.iloc[-1]),
    "mean": lambda s, n: float(s.mean()),
    "max": lambda s, n: float(s.max()),
}


def parse_output(name: str, columns: list[str]) -> tuple[str, str]:
    """Split an output name into (metric column, statistic); ScsimError if it names none."""
    for stat in STATISTICS:
        suffix = "_" + stat
        if name.endswith(suffix) and name[: -len(suffix)] in columns:
            return name[: -len(suffix)], stat
    raise ScsimError(
        f"unknown output '{name}': use a metric column followed by one of "
        f"{', '.join('_' + s for s in STATISTICS)} (e.g. wrongful_new_total, "
        "blocked_air_per_capita_year)")


# Each statistic in words ({} is the metric's label); sums over days drop "per day".
# per_capita_mean first: "mean" would take "listed_per_capita" for a column.
_IN_WORDS = {
    "per_capita_mean": "{} per agent, mean over days",
    "per_capita_year": "{} per person per year",
    "per_100k": "{} per 100,000 agents, over the run",
    "total": "{}, total over the run",
    "final": "{}, final day",
    "mean": "{}, mean over days",
    "max": "{}, highest day",
}
_SUMS = ("per_capita_year", "per_100k", "total")


def output_label(name: str) -> str:
    """An output in words for a chart or a table, from the metric registry:
    'wrongful_new_total' -> 'wrongful listings, total over the run (agents)';
    'listed_total', a level summed over days, -> '... (agent-days)';
    'listed_per_capita_mean' -> 'listed per agent, mean over days (share of agents)'."""
    from scsim.outputs.metrics import metric_label, metric_of

    for stat, words in _IN_WORDS.items():
        column = name.removesuffix("_" + stat)
        metric = metric_of(column) if column != name else None
        if metric is not None:
            return words.format(metric_label(column)) + (
                f" ({unit})" if (unit := _unit(metric, stat)) else "")
    return name.replace("_", " ")


def _unit(metric, stat: str) -> str:
    """The unit of a statistic of a metric: a sum over days drops a count's "per day" and
    makes a level's agents agent-days (the listed of 40 days summed are not agents); a
    mean per agent makes agents a share of them."""
    unit = metric.unit
    if stat in _SUMS:
        if metric.kind == "level" and unit:
            return "agent-days" if unit == "agents" else f"{unit} × days"
        return unit.removesuffix(" per day")
    if stat == "per_capita_mean":
        return ("share of " + unit if unit.startswith("agents")
                else f"{unit} per agent" if unit else "")
    return unit


def output_range(name: str, sc) -> tuple[float, float]:
    """Lowest and highest value ``name`` can take in a run of scenario ``sc``, as a paired
    comparison cuts its intervals (``analysis.compare.value_range``): a day's share 0 to
    1, its count of agents 0 to the agents, its score on the scale, on the final day, on
    average over the days or on the highest day alike; from 0 for every other statistic
    of what is never negative (counts, shares...); no bound otherwise (points)."""
    from scsim.analysis.compare import value_range

    for stat in STATISTICS:
        column = name.removesuffix("_" + stat)
        if column != name:
            # a mean or a highest of days' values keeps within a day's bounds
            one_day = stat in ("final", "mean", "max")
            return value_range(column, "final day" if one_day else stat,
                                sc.population.agents, float(sc.scoring.min),
                                float(sc.scoring.max))
    return -np.inf, np.inf


def check_outputs(sc, names: list[str]) -> None:
    """Refuse, before anything is run or read, an output that names no metric column of
    the runs of scenario ``sc`` (``parse_output``'s error), or one given twice (a table
    of two columns of one name was an internal error)."""
    from scsim.core.params import Names
    from scsim.outputs.metrics import metric_columns

    columns = metric_columns(Names.of(sc))
    for k, name in enumerate(names):
        parse_output(name, columns)
        if name in names[:k]:
            raise ScsimError(f"output {name} is given twice")


def evaluate(metrics: pd.DataFrame, agents: int, names: list[str]) -> dict[str, float]:
    """The named outputs of one run (NaN days of sparse metrics are skipped)."""
    out = {}
    columns = list(metrics.columns)
    for name in names:
        column, stat = parse_output(name, columns)
        series = metrics[column]
        if series.isna().any():
            series = series.dropna()
        out[name] = STATISTICS[stat](series, agents) if len(series) else np.nan
    return out
