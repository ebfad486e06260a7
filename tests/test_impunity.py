"""Impunity of the powerful (src/scsim/mechanisms/impunity.py, docs/mechanisms/impunity.md).

One behaviour worth -1 point, seen with probability 0.5, unseen acts truly reported with
probability 0.4 and accepted: every dropped observation or report leaves the recorded
score one point above the error-free one, so for the shielded agents (power at or above
the quantile) score - clean_score sums exactly to what was dropped, and for the others it
is 0. The share dropped is p_impunity (binomial, 4.5 standard deviations)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from conftest import bare, run
from scsim.mechanisms.impunity import power, power_key

Q, P_DROP, T, SEED = 0.8, 0.5, 20, 1
DECILES = [f"listed_share_status_d{d}" for d in range(1, 11)]


def scenario(impunity: dict | None, **more):
    extra = {} if impunity is None else {"impunity": impunity}
    return bare(days=T, behaviours=[{"name": "litter", "rate": 0.2, "delta": -1,
                                     "channel": "camera"}],
                reports={"enabled": True, "true_rate": 0.4, "accept": 1.0},
                listing={"enabled": True, "threshold": 998, "duration": 1000},
                **extra, **more)


def powers(n: int) -> np.ndarray:
    key = power_key(SEED)
    return np.array([power(key, i) for i in range(n)])


def test_observations_and_reports_against_the_powerful_are_dropped():
    res, _ = run(scenario({"enabled": True, "quantile": Q, "p_impunity": P_DROP}), SEED)
    m, a = res.metrics, res.agents
    shielded = powers(len(a)) >= Q
    assert abs(shielded.mean() - (1 - Q)) < 0.02
    gap = (a["score"] - a["clean_score"]).to_numpy()
    assert (gap[~shielded] == 0).all()
    dropped = m["dropped_observations"].sum() + m["dropped_reports"].sum()
    assert gap[shielded].sum() == dropped
    # the shielded lost (clean) 1000 - clean_score points; half of them were dropped
    against = (1000 - a.loc[shielded, "clean_score"]).sum()
    assert abs(dropped / against - P_DROP) <= 4.5 * math.sqrt(P_DROP * (1 - P_DROP) / against)
    assert m["dropped_reports"].sum() > 0


def test_misattributed_sightings_against_the_powerful_are_dropped():
    """Every camera sighting goes to a wrong person (false-match rate 1) and nothing else
    moves scores or behaviour, so a run with impunity and its control (p_impunity 0, same
    seed) make the same misattributions to the same victims: the others' misattribution
    points are the same bits, and each shielded victim's points differ by exactly the
    one-point sightings dropped against it; the share dropped is p_impunity (binomial,
    4.5 standard deviations), and every misattribution is either booked or dropped."""
    def sc(p_drop):
        return bare(days=T, behaviours=[{"name": "litter", "rate": 0.2, "delta": -1,
                                         "channel": "camera"}],
                    surveillance={"channels": {"camera": {"coverage": 0.5,
                                                          "facial_recognition": True}},
                                  "misattribution": 1.0},
                    impunity={"enabled": True, "quantile": Q, "p_impunity": p_drop})
    on, _ = run(sc(P_DROP), SEED)
    control, _ = run(sc(0.0), SEED)
    m = on.metrics
    assert m["misattributions"].sum() == control.metrics["misattributions"].sum() > 0
    assert control.metrics["dropped_observations"].sum() == 0
    shielded = powers(len(on.agents)) >= Q
    got = on.agents["points_misattribution"].to_numpy(np.float64)
    full = control.agents["points_misattribution"].to_numpy(np.float64)
    np.testing.assert_array_equal(got[~shielded], full[~shielded])
    dropped = m["dropped_observations"].sum()
    assert (got[shielded] - full[shielded]).sum() == dropped
    assert -got.sum() == m["misattributions"].sum() - dropped
    against = -full[shielded].sum()  # misattributed sightings landing on shielded agents
    assert abs(dropped / against - P_DROP) <= 4.5 * math.sqrt(P_DROP * (1 - P_DROP) / against)


def test_paired_listing_rates_by_status_decile():
    """Same seed: with impunity the top two deciles are listed less often than without,
    the others exactly as often (nothing else differs); off, no column."""
    on, _ = run(scenario({"enabled": True, "quantile": Q, "p_impunity": P_DROP}), SEED)
    off, _ = run(scenario(None), SEED)
    control, _ = run(scenario({"enabled": True, "quantile": Q, "p_impunity": 0.0}), SEED)
    assert not set(DECILES) & set(off.metrics.columns)
    last_on, last_off = on.metrics.iloc[-1], control.metrics.iloc[-1]
    for d in range(1, 9):
        assert last_on[f"listed_share_status_d{d}"] == last_off[f"listed_share_status_d{d}"]
    for d in (9, 10):
        assert last_on[f"listed_share_status_d{d}"] < last_off[f"listed_share_status_d{d}"] - 0.05
    # a decile's share is its listed agents over its agents
    shares = control.metrics[DECILES].iloc[-1].to_numpy()
    listed = control.agents["listed"].to_numpy()
    dec = np.minimum((powers(len(listed)) * 10).astype(int), 9)
    np.testing.assert_allclose(shares, [listed[dec == d].mean() for d in range(10)])
    # p_impunity 0: the same outputs as off, plus the columns
    pd.testing.assert_frame_equal(control.metrics[off.metrics.columns], off.metrics,
                                  check_exact=True)


def test_a_dropped_report_still_counts_as_accepted_true_or_false():
    """Impunity drops a report after the system accepted it, as it drops a sighting after
    the camera saw it: with targets and acceptance that do not depend on scores (no envy,
    no power bias, nobody's acts moved by fear), the run with impunity accepts the same
    true and false reports as its control with p_impunity 0, and drops some of them."""
    def sc(p_drop):
        return bare(days=T, behaviours=[{"name": "litter", "rate": 0.2, "delta": -1,
                                         "channel": "camera"}],
                    reports={"enabled": True, "true_rate": 0.4, "accept": 0.7,
                             "false_rate": 0.05, "envy": 0.0, "power_bias": 0.0},
                    impunity={"enabled": True, "quantile": 0.5, "p_impunity": p_drop})
    control, _ = run(sc(0.0), SEED)
    shielding, _ = run(sc(1.0), SEED)
    for name in ("reports_accepted", "false_reports_accepted"):
        assert control.metrics[name].sum() > 100
        np.testing.assert_array_equal(shielding.metrics[name], control.metrics[name])
    assert control.metrics["dropped_reports"].sum() == 0
    assert shielding.metrics["dropped_reports"].sum() > 100


def test_listing_rate_of_each_status_decile_has_the_size_the_model_predicts():
    """The size of impunity's effect on listings, not only its sign. In ``scenario``,
    agent i's acts (Poisson(0.2) a day) each cost a point when seen (0.5) or, unseen,
    truly reported and accepted (0.4, if it has a neighbour to report it); against a
    shielded agent each such point is dropped with probability p. So over T days its lost
    points are Poisson(μ_i), μ_i = 0.2 · T · (0.5 + 0.5 · 0.4 · [has ties]) · (1 − p ·
    [shielded]), and it ends listed (score below 998: 3 points or more, terms longer than
    the run) with probability P(Poisson(μ_i) ≥ 3): 0.53 unshielded, 0.31 shielded with
    p = 0.3. A decile's listed share is the mean of these over its agents, its sd
    √(Σ q_i(1 − q_i)) / n (independent agents). Doubling p (0.17 less), or ignoring it for
    the default 0.5 (0.15 less), or the quantile for the default 0.9 (decile 9 at 0.53),
    misses by more than 10 sd."""
    p = 0.3
    res, _ = run(scenario({"enabled": True, "quantile": Q, "p_impunity": p}), SEED)
    a = res.agents
    shielded = powers(len(a)) >= Q
    tied = (a["degree"] > 0).to_numpy()
    mu = 0.2 * T * (0.5 + 0.5 * 0.4 * tied) * (1 - p * shielded)
    q = 1 - np.exp(-mu) * (1 + mu + mu**2 / 2)  # P(Poisson(μ) ≥ 3)
    decile = np.minimum((powers(len(a)) * 10).astype(int), 9)
    shares = res.metrics[DECILES].iloc[-1].to_numpy()
    for d in range(10):
        mine = decile == d
        expected = q[mine].mean()
        sd = math.sqrt((q[mine] * (1 - q[mine])).sum()) / mine.sum()
        assert abs(shares[d] - expected) <= 4.5 * sd, (d + 1, shares[d], expected, sd)
    assert q[shielded].mean() < q[~shielded].mean() - 0.2  # what the test tells apart
