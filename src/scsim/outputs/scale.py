"""Population scale (MODEL.md, "Population scale"; Covasim's ``pop_scale``): each agent
stands for ``population.scale`` = k people, so 10^6 agents with k = 1,400 stand for a
country of 1.4 billion.

The metrics table keeps what was simulated. ``scaled_metrics`` is the same table in the
represented population's terms: every metric that counts things in the population (agents,
acts, tickets, reports, ties, companies, and sums over them such as the tax take) is
multiplied by k, and every per-capita figure (scores in points, shares, ratios,
correlations, fear) is unchanged.

What scaling cannot capture: k people who each are one agent share one network position,
one household and one fate, so the network effects of rare events are those of N agents, not
of N·k people (a listing that spreads by association reaches k people at once, a rare
event happens in whole blocks of k or not at all, and its variance is that of N agents);
the largest connected component, assortativity and pariahs are those of the simulated
network, whose degree and clustering do not grow with k.
"""

from __future__ import annotations

import pandas as pd

from scsim.outputs.metrics import metric_of

# Units of per-capita (intensive) metrics; every other metric counts things in the
# population and scales with it.
PER_CAPITA_UNITS = frozenset({"points", "share", "share of the group", "ratio", "correlation",
                              "0-1", "day"})


def scales(column: str) -> bool:
    """Whether a metric column counts things in the population (so scales with k)."""
    metric = metric_of(column)
    return metric is not None and metric.unit not in PER_CAPITA_UNITS


def scaled_metrics(metrics: pd.DataFrame, k: float) -> pd.DataFrame:
    """The metrics table with each count multiplied by k (see the module docstring)."""
    out = metrics.copy()
    counts = [c for c in out.columns if scales(c)]
    out[counts] = out[counts] * k
    return out
