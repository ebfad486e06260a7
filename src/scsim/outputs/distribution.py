"""Percentiles and the Gini coefficient of scores from a histogram, compiled: the metrics
step's fine histogram (``outputs.metrics``: bins that also keep their lowest and highest
score) and the provenance step's one-point histograms by group and region
(``outputs.provenance``: every score counted at its bin's value) go through the same two
functions, the second with each bin's lowest and highest score both at its value.

Each call is one or two passes over the bins (8,192 or about 1,300 of them): at small
populations these figures, taken every day, cost more than the agents do when computed
with a dozen numpy calls each. The sums are taken in bin order, in float64, so they are
the same bits on any CPU (a BLAS dot product's are not).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from scsim.mechanisms.score import PERCENTILES

QUANTILES = np.array(PERCENTILES, np.float64)
"""The percentiles reported (in %), as the functions below take them."""


@njit(cache=True)
def _order_statistic(hist, cdf, lo, hi, k):
    """The k-th smallest score (from 0), order statistics inside a bin spread evenly
    between its lowest (``lo``) and highest (``hi``) score."""
    b = np.searchsorted(cdf, k, side="right")
    rank = k - (cdf[b - 1] if b > 0 else 0)
    count = hist[b]
    return lo[b] + (hi[b] - lo[b]) * (rank / (count - 1) if count > 1 else 0.0)


@njit(cache=True)
def _percentiles(out, hist, lo, hi, qs):
    """``histogram_percentiles`` into ``out``."""
    cdf = np.cumsum(hist)
    n = cdf[-1]
    for j in range(len(qs)):
        if n == 0:
            out[j] = np.nan
            continue
        pos = qs[j] / 100.0 * (n - 1)
        k = math.floor(pos)
        low = _order_statistic(hist, cdf, lo, hi, k)
        high = _order_statistic(hist, cdf, lo, hi, min(k + 1, n - 1))
        out[j] = low + (pos - k) * (high - low)


@njit(cache=True)
def _gini(hist, lo, hi):
    """``histogram_gini``."""
    n = 0.0
    total = 0.0
    for b in range(len(hist)):
        if hist[b] > 0:
            x = (lo[b] + hi[b]) / 2.0
            if x < 0.0:
                return np.nan
            n += hist[b]
            total += hist[b] * x
    if n == 0.0 or total <= 0.0:
        return np.nan
    before = 0.0
    weighted = 0.0
    for b in range(len(hist)):
        if hist[b] > 0:
            c = float(hist[b])
            weighted += (lo[b] + hi[b]) / 2.0 * c * (2.0 * before + c - n)
            before += c
    return weighted / (n * total)


# The four functions called from Python (the metrics and provenance steps) call the two
# above, never one another: numba's cache then holds each one's own signatures, which
# the kernel registry (core.precompile) loads before day 0.

@njit(cache=True)
def histogram_percentiles(hist, lo, hi, qs):
    """Percentiles ``qs`` (in %, numpy's linear definition; float64 array) of the scores
    of a histogram (``hist``, int) whose bins also know their lowest (``lo``) and highest
    (``hi``) score (points): float64 points, NaN when the histogram is empty. Exact when
    no bin concerned holds more than two different scores."""
    out = np.empty(len(qs))
    _percentiles(out, hist, lo, hi, qs)
    return out


@njit(cache=True)
def histogram_gini(hist, lo, hi):
    """Gini coefficient of the scores of a histogram (as ``histogram_percentiles``), each
    score at the middle of its bin's lowest and highest: sum over bins of
    x c (2 before + c - n) / (n total) (c: the bin's count, before: the scores in lower
    bins). NaN when the histogram is empty, its total is not above 0, or some occupied
    bin is below 0 (the coefficient is for scores of 0 and more)."""
    return _gini(hist, lo, hi)


@njit(cache=True)
def binned_percentiles(hist, values, qs):
    """``histogram_percentiles`` of each row of ``hist`` (rows, bins) whose bins hold
    scores within half a bin width of ``values`` (points): (rows, len(qs)), NaN for an
    empty row; each is within half a bin width of the exact one, and exact when the
    scores are the bins' values."""
    out = np.empty((hist.shape[0], len(qs)))
    for r in range(hist.shape[0]):
        _percentiles(out[r], hist[r], values, values, qs)
    return out


@njit(cache=True)
def binned_gini(hist, values):
    """``histogram_gini`` of each row of ``hist`` (rows, bins) whose bins hold scores
    within half a bin width of ``values`` (points), each taken at its bin's value:
    (rows,), off by at most h (1 + G) / (mean - h) for a bin width of 2h points."""
    out = np.empty(hist.shape[0])
    for r in range(hist.shape[0]):
        out[r] = _gini(hist[r], values, values)
    return out
