"""Score percentiles and Gini from the metrics histogram (bins that also keep their lowest
and highest score) against numpy on the raw scores: exact when no bin holds more than two
scores, and within one bin's width otherwise, as outputs/metrics.py promises."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scsim.mechanisms.score import PERCENTILES
from scsim.outputs.distribution import QUANTILES, histogram_gini, histogram_percentiles
from scsim.outputs.metrics import HIST_BINS

S_MIN, S_MAX = 0.0, 1300.0
WIDTH = (S_MAX - S_MIN) / HIST_BINS


def histogram(scores: np.ndarray):
    """The histogram the metrics kernel builds: counts, lowest and highest per bin."""
    b = np.minimum(((scores - S_MIN) / WIDTH).astype(np.int64), HIST_BINS - 1)
    hist = np.bincount(b, minlength=HIST_BINS)
    lo = np.full(HIST_BINS, np.inf)
    hi = np.full(HIST_BINS, -np.inf)
    np.minimum.at(lo, b, scores)
    np.maximum.at(hi, b, scores)
    return hist, lo, hi


def gini(x: np.ndarray) -> float:
    """The population Gini coefficient: sum (2i - n - 1) x_(i) / (n sum x)."""
    x = np.sort(x)
    n = len(x)
    return float(np.dot(2 * np.arange(1, n + 1) - n - 1, x) / (n * x.sum()))


def test_percentiles_are_exact_when_bins_hold_at_most_two_scores():
    rng = np.random.default_rng(1)
    scores = rng.choice(np.arange(HIST_BINS) * WIDTH + WIDTH / 3, 1500, replace=False)
    scores = np.concatenate([scores, scores[:200] + WIDTH / 2])  # some bins hold two
    got = histogram_percentiles(*histogram(scores), QUANTILES)
    np.testing.assert_allclose(got, np.percentile(scores, PERCENTILES), rtol=0, atol=1e-9)


@pytest.mark.parametrize("spread", [5.0, 80.0])
def test_percentiles_are_within_one_bin_otherwise(spread):
    rng = np.random.default_rng(2)
    scores = np.clip(rng.normal(700, spread, 100_000), S_MIN, S_MAX)
    got = np.array(histogram_percentiles(*histogram(scores), QUANTILES))
    err = np.abs(got - np.percentile(scores, PERCENTILES))
    assert err.max() < WIDTH
    assert err.max() > 0  # many scores share a bin here: the bound, not exactness, holds


def test_equal_scores_give_that_score_and_gini_zero():
    scores = np.full(1000, 960.0)
    hist, lo, hi = histogram(scores)
    assert histogram_percentiles(hist, lo, hi, QUANTILES).tolist() == [960.0] * len(PERCENTILES)
    assert histogram_gini(hist, lo, hi) == 0.0


def test_gini_of_half_zero_half_equal_is_one_half():
    scores = np.concatenate([np.zeros(500), np.full(500, 1000.0)])
    assert histogram_gini(*histogram(scores)) == pytest.approx(0.5, abs=1e-12)


def test_gini_matches_the_raw_scores_within_one_bin_over_the_mean():
    rng = np.random.default_rng(3)
    scores = np.clip(rng.lognormal(6.5, 0.4, 50_000), S_MIN, S_MAX)
    got = histogram_gini(*histogram(scores))
    assert abs(got - gini(scores)) < WIDTH / scores.mean()
    assert 0.1 < got < 0.4


def test_gini_is_undefined_for_non_positive_totals():
    assert math.isnan(histogram_gini(*histogram(np.zeros(10))))


def test_distribution_every_measures_on_its_days_and_changes_nothing_else():
    """metrics.distribution_every = 7 over 20 days: the distribution columns are those of a
    daily run on days 0, 7, 14 and the last day (19) and empty on the others; every other
    column is the same, bit for bit."""
    from scsim import load_scenario, simulate

    daily = simulate(load_scenario("national-800", agents=3000, days=20), seed=2).metrics
    weekly = simulate(load_scenario("national-800", agents=3000, days=20,
                                    overrides={"metrics.distribution_every": 7}),
                      seed=2).metrics
    dist = [f"score_p{q:02d}" for q in PERCENTILES] + ["score_gini"]
    measured = [0, 7, 14, 19]
    assert weekly.loc[measured, dist].notna().all().all()
    assert weekly.drop(index=measured)[dist].isna().all().all()
    assert weekly.loc[measured, dist].equals(daily.loc[measured, dist])
    assert weekly.drop(columns=dist).equals(daily.drop(columns=dist))
