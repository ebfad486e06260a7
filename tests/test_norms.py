"""Internalised norms (src/scsim/mechanisms/norms.py, docs/mechanisms/norms.md):
conformity drifts under the system, toward 1 or toward the neighbours' mean, and stays
where it is when the system is abolished.

Toward 1 from c0 (every agent the same: sigma 0), after day d conformity is exactly
1 - (1 - c0)(1 - η)^(d+1) (float32 rounding)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from conftest import bare, run

T, ETA, C0 = 30, 0.05, 0.4


def scenario(norms: dict | None, sigma: float = 0.0, **more):
    extra = {} if norms is None else {"norms": norms}
    return bare(days=T, population={"conformity": {"mean": C0, "sigma": sigma}},
                **extra, **more)


def test_conformity_drifts_toward_one_at_rate_eta():
    res, _ = run(scenario({"enabled": True, "rate": ETA}))
    expected = 1.0 - (1.0 - C0) * (1.0 - ETA) ** np.arange(1, T + 1)
    np.testing.assert_allclose(res.metrics["conformity_mean"], expected, rtol=1e-5)
    np.testing.assert_allclose(res.agents["conformity"], expected[-1], rtol=1e-5)


def test_toward_the_neighbours_mean_shrinks_the_spread_and_keeps_isolated_agents():
    res, _ = run(scenario({"enabled": True, "rate": 0.2, "toward": "neighbours"},
                          sigma=0.6))
    start, _ = run(scenario(None, sigma=0.6))
    c0, c = start.agents["conformity"].to_numpy(), res.agents["conformity"].to_numpy()
    assert c.std() < 0.3 * c0.std()
    # the network mixes well: the mean moves by much less than the spread
    assert abs(c.mean() - c0.mean()) < 0.1 * c0.std()
    isolated = (res.agents["degree"] == 0).to_numpy()
    np.testing.assert_array_equal(c[isolated], c0[isolated])


def test_paired_chilling_outlasts_abolition():
    """Same seed: announced surveillance keeps fear up after the listing system is
    abolished on day 20 (perceived surveillance stays on); with norms, conformity stays at
    its day-20 level afterwards and deters more than without."""
    lam, day = 0.5, 20
    common = dict(fear={"enabled": True, "speed": 0.2},
                  perceived_surveillance={"enabled": True, "kappa": 0.5, "announced": 0.8},
                  behaviours=[{"name": "protest", "rate": lam, "delta": 0,
                               "penalised": True, "channel": "camera"}])
    abolish = [{"day": day, "set": {"norms.enabled": False}}]
    with_norms, _ = run(scenario({"enabled": True, "rate": ETA}, timeline=abolish, **common))
    without, _ = run(scenario(None, **common))
    m = with_norms.metrics
    kept = 1.0 - (1.0 - C0) * (1.0 - ETA) ** day
    np.testing.assert_allclose(m["conformity_mean"].iloc[day:], kept, rtol=1e-5)
    assert (m["deterrence_mean"].iloc[day + 1:]
            > without.metrics["deterrence_mean"].iloc[day + 1:]).all()
    after_on = m["acts_protest"].iloc[day + 1:].sum()
    after_off = without.metrics["acts_protest"].iloc[day + 1:].sum()
    assert after_off - after_on > 4.5 * math.sqrt(after_off + after_on)
    pd.testing.assert_series_equal(m["fear_mean"], without.metrics["fear_mean"])


def neighbours_drift(c0: np.ndarray, net, eta: float, days: int) -> np.ndarray:
    """The model's rule toward the neighbours, day by day in float64 from c0:
    c_i ← c_i + η · (mean of c_j over i's active neighbours j − c_i), every agent reading
    yesterday's values; an agent without ties keeps its own. In matrix form
    c_T = (I − η(I − D⁻¹A))^T c0, A the ties, D the degrees."""
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    cols = net.neighbour_ids()
    degree = np.bincount(rows, minlength=net.n)
    c = c0.astype(np.float64)
    for _ in range(days):
        total = np.bincount(rows, weights=c[cols], minlength=net.n)
        mean = np.where(degree > 0, total / np.maximum(degree, 1), c)
        c = c + eta * (mean - c)
    return c


def test_toward_the_neighbours_moves_each_agent_by_eta_times_its_gap():
    """The size of the drift, not only its direction: after T days every agent's
    conformity is the model's rule applied T times to its starting value (above), and
    the degree-weighted sum Σ d_i c_i, which the rule keeps (each tie passes η·(c_j − c_i)
    to one end and η·(c_i − c_j) to the other, once divided by the degree), is unchanged.
    Nothing is drawn at random (no listings, no ties severed), so the tolerance is float32
    rounding (rtol 1e-5, as toward 1), not a sampling spread. The same run with η doubled,
    or with the default η = 0.01 in place of the scenario's, misses by far more."""
    eta = 0.2
    res, sim = run(scenario({"enabled": True, "rate": eta, "toward": "neighbours"},
                            sigma=0.6))
    start, _ = run(scenario(None, sigma=0.6))
    c0 = start.agents["conformity"].to_numpy(np.float64)
    c = res.agents["conformity"].to_numpy(np.float64)
    expected = neighbours_drift(c0, sim.state.net, eta, T)
    assert np.abs(c - c0).max() > 0.5  # far from where they started...
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-6)  # ...and where the rule says
    degree = res.agents["degree"].to_numpy(np.float64)
    np.testing.assert_allclose((degree * c).sum(), (degree * c0).sum(), rtol=1e-6)
    # the daily mean, day by day
    daily = [neighbours_drift(c0, sim.state.net, eta, d).mean() for d in (1, 2, 10)]
    np.testing.assert_allclose(res.metrics["conformity_mean"].iloc[[0, 1, 9]], daily,
                               rtol=1e-5)
