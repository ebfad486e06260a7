"""Means over replications (or pairs) and their 95 % Student-t intervals, and the 95 %
interval of a ratio of two paired means (Fieller), with SciPy."""

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


def ratio_interval(mean_a, mean_b, var_a, var_b, cov_ab, n, lowest=-np.inf,
                   highest=np.inf):
    """95 % interval of the ratio R = μ_b / μ_a of two paired means (Fieller's theorem),
    row by row (arrays welcome, broadcast together): returns (lo, hi) in the unit of the
    ratio (1.25: B is 25 % above A).

    From ``n`` pairs (a_k, b_k) with means ``mean_a``, ``mean_b``, sample variances
    ``var_a``, ``var_b`` and covariance ``cov_ab`` (ddof 1; in the squared unit of the
    values), b̄ − R·ā has variance (s_bb − 2R·s_ab + R²·s_aa)/n, and the 95 % set of R is
    where

        (b̄ − R·ā)² ≤ t²·(s_bb − 2R·s_ab + R²·s_aa)/n,   t the 97.5 % point of Student's t
                                                         with n − 1 degrees of freedom,

    a quadratic A·R² − 2B·R + C ≤ 0 with A = ā² − q·s_aa, B = ā·b̄ − q·s_ab,
    C = b̄² − q·s_bb and q = t²/n. When ā is clearly away from 0 (A > 0: ā² > t²·s_aa/n)
    the set is the interval between the roots (B ± √(B² − AC))/A. Otherwise it is
    unbounded: all of the line, or the line less the interval between the roots (two
    half-lines). It always holds b̄/ā.

    ``lowest``/``highest``: the values R can take (a ratio of two means that are never
    negative is at least 0); the set is cut to them and (lo, hi) is the smallest interval
    holding what is left, so an end is ±inf where the set goes on without bound (the
    change cannot be bounded on that side: A's mean is too small and variable). NaN
    with fewer than two pairs, or where an input is NaN."""
    mean_a, mean_b, var_a, var_b, cov_ab, n, lowest, highest = np.broadcast_arrays(*(
        np.asarray(x, dtype=np.float64) for x in (mean_a, mean_b, var_a, var_b, cov_ab, n,
                                                   lowest, highest)))
    dof = np.where(n > 1, n - 1, np.nan)
    q = student.ppf(0.975, dof) ** 2 / n
    quad = mean_a**2 - q * var_a
    half = mean_a * mean_b - q * cov_ab
    const = mean_b**2 - q * var_b
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(np.maximum(half**2 - quad * const, 0.0))
        bounded = quad > 0
        # bounded: between the roots; two half-lines (A < 0, real roots): outside them
        # (below the lower root r1 or above r2); else all of the line
        split = (quad < 0) & (half**2 - quad * const > 0)
        r1 = np.where(bounded, (half - root) / quad, (half + root) / quad)
        r2 = np.where(bounded, (half + root) / quad, (half - root) / quad)
        lo = np.where(bounded, np.maximum(r1, lowest), lowest)
        hi = np.where(bounded, np.minimum(r2, highest), highest)
        # of two half-lines cut to [lowest, highest], the lower or the upper may be empty
        below = lowest <= np.minimum(r1, highest)
        above = np.maximum(r2, lowest) <= highest
        lo = np.where(split & ~below, np.maximum(r2, lowest), lo)
        hi = np.where(split & ~above, np.minimum(r1, highest), hi)
        empty = (bounded & (lo > hi)) | (split & ~below & ~above)
    valid = np.isfinite(mean_a + mean_b + var_a + var_b + cov_ab + q) & ~empty
    return np.where(valid, lo, np.nan), np.where(valid, hi, np.nan)
