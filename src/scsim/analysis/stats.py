"""Means over replications (or pairs) and their 95 % Student-t intervals (SciPy)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import t as student


def t_half_width(sd, n):
    """Half-width of the 95 % t-interval of a mean from sample sds and counts (arrays
    welcome); NaN where there are fewer than two values."""
    n = np.asarray(n, dtype=np.float64)
    dof = np.where(n > 1, n - 1, np.nan)
    return student.ppf(0.975, dof) * np.asarray(sd, dtype=np.float64) / np.sqrt(n)


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95 % Student-t interval (NaN with fewer than two)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan
    if len(x) < 2:
        return float(x[0]), math.nan
    return float(x.mean()), float(t_half_width(x.std(ddof=1), len(x)))
