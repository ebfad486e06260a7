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
