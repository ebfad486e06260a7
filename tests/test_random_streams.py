"""The counter-based random streams (core/rng.py) against their distributions.

Tolerances are z-scores of the statistics under the null: with fixed seeds each check
either always passes or always fails, and a correct stream fails a 5-sigma bound with
probability under 1e-6."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from scsim.core.rng import (
    agent_hash,
    below,
    lead,
    lead_threshold,
    lead_unit,
    lognormal_mean,
    name_id,
    normal,
    poisson,
    screened_poisson,
    stream_key,
    sub_hash,
    unit,
)

N = 200_000
Z = 5.0


@njit(cache=True)
def _uniforms(key, n, j):
    out = np.empty(n)
    for i in range(n):
        out[i] = unit(sub_hash(agent_hash(key, i), j))
    return out


@njit(cache=True)
def _poissons(key, n, lam):
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = poisson(unit(agent_hash(key, i)), lam)
    return out


@njit(cache=True)
def _below(key, n, m):
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = below(agent_hash(key, i), m)
    return out


@njit(cache=True)
def _normals(key, n, mean, sigma):
    z = np.empty(n)
    ln = np.empty(n)
    for i in range(n):
        h = agent_hash(key, i)
        z[i] = normal(h)
        ln[i] = lognormal_mean(h, mean, sigma)
    return z, ln


@njit(cache=True)
def _screened(key, n, j, lam):
    """Each agent's lead, screened uniform and screened Poisson(lam) count of draw j."""
    leads = np.empty(n, np.int32)
    u = np.empty(n)
    k = np.empty(n, np.int64)
    for i in range(n):
        h = agent_hash(key, i)
        leads[i] = lead(h, j)
        u[i] = lead_unit(h, j, leads[i])
        k[i] = screened_poisson(h, j, lam)
    return leads, u, k


@njit(cache=True)
def _leads(hashes, j):
    out = np.empty(len(hashes), np.int32)
    for i in range(len(hashes)):
        out[i] = lead(hashes[i], j)
    return out


def key(purpose="test", seed=7, day=3):
    return stream_key(seed, purpose, day)


def test_unit_is_uniform_on_0_1_and_draws_are_independent():
    u = _uniforms(key(), N, 0)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < Z * math.sqrt(1 / 12 / N)
    assert stats.kstest(u, "uniform").pvalue > 1e-6
    v = _uniforms(key(), N, 1)  # another draw number under the same agent hash
    w = _uniforms(key(day=4), N, 0)  # the next day
    for other in (v, w):
        assert abs(np.corrcoef(u, other)[0, 1]) < Z / math.sqrt(N)


def test_streams_are_pure_functions_of_seed_purpose_and_day():
    assert key() == key() and name_id("behave") == name_id("behave")
    keys = {key(), key(seed=8), key(purpose="other"), key(day=4), key(day=-1)}
    assert len(keys) == 5
    np.testing.assert_array_equal(_uniforms(key(), 1000, 0), _uniforms(key(), 1000, 0))


@pytest.mark.parametrize("lam", [0.001, 0.3, 1.0, 4.0, 25.0])
def test_poisson_has_the_poisson_distribution(lam):
    k = _poissons(key(), N, lam)
    assert abs(k.mean() - lam) < Z * math.sqrt(lam / N)
    assert abs(np.mean(k == 0) - math.exp(-lam)) < Z * math.sqrt(
        math.exp(-lam) * (1 - math.exp(-lam)) / N) + 1e-12
    values, counts = np.unique(k, return_counts=True)
    expected = stats.poisson.pmf(values, lam) * N
    big = expected > 20
    chi2 = ((counts[big] - expected[big]) ** 2 / expected[big]).sum()
    assert stats.chi2.sf(chi2, max(big.sum() - 1, 1)) > 1e-6


def test_poisson_is_the_inverse_cdf_so_scenarios_stay_coupled():
    u = _uniforms(key(), 20_000, 0)
    for lam in (0.05, 0.7, 3.0, 12.0):
        k = np.array([poisson(x, lam) for x in u])
        np.testing.assert_array_equal(k, stats.poisson.ppf(u, lam).astype(np.int64))
    # monotone in the rate for a fixed uniform: a higher rate never means fewer acts
    for x in u[:2000]:
        ks = [poisson(x, lam) for lam in (0.0, 0.1, 0.5, 1.0, 2.0, 8.0)]
        assert ks == sorted(ks) and ks[0] == 0
    assert poisson(0.999, -1.0) == 0


@pytest.mark.parametrize("m", [1, 2, 7, 1000, 2**31 - 1])
def test_below_is_uniform_on_0_to_m(m):
    x = _below(key(), N, m)
    assert x.min() >= 0 and x.max() < m
    if m == 1:
        assert (x == 0).all()
    elif m <= 1000:
        counts = np.bincount(x, minlength=m)
        assert stats.chisquare(counts).pvalue > 1e-6
    else:
        assert abs(x.mean() / (m - 1) - 0.5) < Z * math.sqrt(1 / 12 / N)


def test_normal_and_lognormal_mean():
    z, ln = _normals(key(), N, 2.0, 0.5)
    assert abs(z.mean()) < Z / math.sqrt(N)
    assert abs(z.std() - 1.0) < Z * math.sqrt(0.5 / N)
    assert stats.kstest(z, "norm").pvalue > 1e-6
    assert (ln > 0).all()
    sd = 2.0 * math.sqrt(math.exp(0.25) - 1)  # the log-normal's sd at mean 2, sigma 0.5
    assert abs(ln.mean() - 2.0) < Z * sd / math.sqrt(N)
    assert abs(np.log(ln).std() - 0.5) < Z * math.sqrt(0.5 / N) * 0.5
    assert lognormal_mean(np.uint64(123), 3.0, 0.0) == 3.0


def test_screened_uniforms_are_uniform_and_start_with_their_leads():
    leads, u, _ = _screened(key(), N, np.uint64(5), 0.0)
    assert u.min() >= 0.0 and u.max() < 1.0
    np.testing.assert_array_equal(np.floor(u * 65536.0).astype(np.int32), leads)
    assert abs(u.mean() - 0.5) < Z * math.sqrt(1 / 12 / N)
    assert stats.kstest(u, "uniform").pvalue > 1e-6
    # the trailing bits are uniform too: u's position inside its lead's cell
    assert stats.kstest(u * 65536.0 - leads, "uniform").pvalue > 1e-6
    assert stats.chisquare(np.bincount(leads >> 8, minlength=256)).pvalue > 1e-6
    other, v, _ = _screened(key(), N, np.uint64(6), 0.0)  # another draw under the same hash
    assert abs(np.corrcoef(u, v)[0, 1]) < Z / math.sqrt(N)
    assert abs(np.corrcoef(leads, other)[0, 1]) < Z / math.sqrt(N)


@pytest.mark.parametrize("shared", ["low", "high"])
def test_leads_of_hashes_that_share_a_half_are_independent(shared):
    """Two agents whose 64-bit hashes share one 32-bit half draw independent leads: equal
    about once in 2**16 draws, uncorrelated (a lead of the low half alone would be equal
    every time)."""
    gen = np.random.default_rng(3)
    half, one, two = (gen.integers(0, 2**32, N, dtype=np.uint64) for _ in range(3))
    s32 = np.uint64(32)
    if shared == "low":
        a, b = (one << s32) | half, (two << s32) | half
    else:
        a, b = (half << s32) | one, (half << s32) | two
    la, lb = _leads(a, np.uint64(11)), _leads(b, np.uint64(11))
    equal, expected = int((la == lb).sum()), N / 65536
    assert abs(equal - expected) < Z * math.sqrt(expected)
    assert abs(np.corrcoef(la, lb)[0, 1]) < Z / math.sqrt(N)


@pytest.mark.parametrize("lam", [0.0, 1e-6, 1 / 65536, 0.02, 0.25, 1 - 3 / 65536, 1.0, 2.5])
def test_screened_poisson_is_poisson_of_the_screened_uniform(lam):
    """Skipping the trailing bits below the screen never changes a count (lam 0.25 and
    1 - 3/65536 put the threshold exactly on a cell boundary)."""
    _, u, k = _screened(key(), N, np.uint64(9), lam)
    np.testing.assert_array_equal(k, [poisson(x, lam) for x in u])
    if lam > 0.01:
        assert abs(k.mean() - lam) < Z * math.sqrt(lam / N)


@pytest.mark.parametrize("lam", [1e-9, 1 / 65536, 0.003, 0.02, 0.25, 0.5 + 1e-12, 0.999, 1.0,
                                 40.0])
def test_lead_threshold_is_the_least_lead_with_a_possible_act(lam):
    """Every uniform whose lead is below ``lead_threshold(lam)`` gives Poisson count 0
    (checked at the largest one, (t * 2**37 - 1) / 2**53), and the largest uniform with
    the threshold's own lead is already above 1 - lam, where counts above 0 begin."""
    t = int(lead_threshold(lam))
    assert -1 <= t <= 65536
    if t >= 1:
        assert poisson(float(t * 2**37 - 1) * 2.0**-53, lam) == 0
    if 0 <= t <= 65535:
        assert float((t + 1) * 2**37 - 1) * 2.0**-53 >= 1.0 - lam
    if lam >= 1.0:
        assert t <= 0
    assert int(lead_threshold(0.0)) == 65536  # no lead: a rate of 0 never acts
