"""Each mechanism of MODEL.md in isolation, against the value its math predicts.

Tolerances are a number of standard deviations of the estimator (Z = 4.5, so a correct
model fails one check in ~150,000 seeds), derived from the Poisson / binomial variance of
what is counted. Seeds are fixed, so the tests are also exactly reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from conftest import bare, run
from scsim.core.engine import Simulation
from scsim.core.params import started_by_day
from scsim.core.state import CLEAN_LISTED, LISTED, SHAMED, WRONGFUL
from scsim.world.network.csr import INACTIVE, SEVERED

Z = 4.5
N = 20_000


def within(observed, expected, sd, z=Z):
    assert abs(observed - expected) <= z * sd, (
        f"observed {observed:.6g}, expected {expected:.6g} ± {z}×{sd:.3g}")


def camera(coverage=0.5, **kw):
    return {"channels": {"camera": {"coverage": coverage, **kw}}}


@pytest.mark.parametrize(("delta", "sigma"), [(2.0, 0.0), (-5.0, 0.0), (-5.0, 0.5)])
def test_score_drift_of_one_behaviour(delta, sigma):
    """Mean score after T days of one behaviour: s0 + T·λ·p·δ (propensity has mean 1)."""
    lam, p, days = 0.1, 0.5, 30
    sc = bare(days=days, population={"propensity_sigma": sigma},
              behaviours=[{"name": "act", "rate": lam, "delta": delta, "channel": "camera"}],
              surveillance=camera(p))
    res, _ = run(sc)
    mu = days * lam * p  # sightings per agent
    var_m = math.exp(sigma**2) - 1.0  # variance of the log-normal propensity
    sd = abs(delta) * math.sqrt((mu + mu * mu * var_m) / N)
    within(res.agents["score"].mean(), 1000 + mu * delta, sd)
    assert res.metrics["score_mean"].iloc[-1] == pytest.approx(res.agents["score"].mean())
    # Acts per agent-day: λ, with Poisson noise.
    acts = res.metrics["acts_act"].sum()
    within(acts / (N * days), lam, math.sqrt((lam * N * days) * (1 + lam * var_m * days))
           / (N * days))


def test_observed_fraction_equals_coverage():
    p = 0.3
    sc = bare(behaviours=[{"name": "act", "rate": 0.2, "delta": -1, "channel": "camera"}],
              surveillance=camera(p))
    res, _ = run(sc)
    acts, seen = res.metrics["acts_act"].sum(), res.metrics["seen_act"].sum()
    within(seen / acts, p, math.sqrt(p * (1 - p) / acts))


def test_coverage_by_region():
    cov = [0.1, 0.9]
    sc = bare(regions={"count": 2},
              behaviours=[{"name": "act", "rate": 0.2, "delta": -1, "channel": "camera"}],
              surveillance={"channels": {"camera": {"by_region": cov}}})
    res, _ = run(sc)
    a = res.agents
    for r in (0, 1):
        mine = a[a["region"] == r]
        acts = mine["acts_act"].sum()
        seen = (1000 - mine["score"]).sum()  # each seen act costs exactly 1 point
        within(seen / acts, cov[r], math.sqrt(cov[r] * (1 - cov[r]) / acts))


def test_misattribution_rate_by_group_and_conservation():
    """Misattributions / sightings = false-match rate of the actor's group; points are
    moved, not created: the recorded total equals δ × sightings, as does the error-free."""
    fm = {"a": 0.02, "b": 0.10}
    sc = bare(population={"groups": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]},
              behaviours=[{"name": "act", "rate": 0.2, "delta": -1, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": fm["a"],
                            "misattribution_factor": {"b": fm["b"] / fm["a"]}})
    res, _ = run(sc)
    a, m = res.agents, res.metrics
    expected = sum(0.5 * a.loc[a["group"] == g, "acts_act"].sum() * fm[g] for g in fm)
    within(m["misattributions"].sum(), expected, math.sqrt(expected))
    seen = m["seen_act"].sum()
    assert (1000 - a["score"]).sum() == pytest.approx(seen, abs=1e-3)
    assert (1000 - a["clean_score"]).sum() == pytest.approx(seen, abs=1e-3)
    # False matches go to someone of the actor's group (h = 1 by default): the points an
    # actor escapes land inside its group, so each group's recorded total is its error-free
    # total although b's sightings are five times as often misattributed.
    gap = (a["score"] - a["clean_score"]).groupby(a["group"], observed=True).sum()
    assert gap["a"] == pytest.approx(0, abs=1e-3) and gap["b"] == pytest.approx(0, abs=1e-3)


def two_groups_with_false_matches(factor_b, same_group=1.0):
    """Two even groups, one camera act (−1 point, half of the acts seen) and a listing
    threshold that a few extra wrongful sightings cross."""
    return bare(population={"groups": [{"name": "a", "share": 0.5},
                                       {"name": "b", "share": 0.5}]},
                behaviours=[{"name": "act", "rate": 0.2, "delta": -1, "channel": "camera"}],
                surveillance={"channels": {"camera": {"coverage": 0.5,
                                                      "facial_recognition": True}},
                              "misattribution": 0.02, "misattribution_same_group": same_group,
                              "misattribution_factor": {"b": factor_b}},
                listing={"enabled": True, "threshold": 994, "duration": 365})


def wrongful_sightings(agents, fm):
    """Sightings each group received that were not its own: its members' seen acts
    misattributed (expected: false-match rate × seen acts, the acts being worth −1 point
    each) minus what the recorded score kept over the error-free one; and its sd."""
    by = agents.groupby("group", observed=True)
    seen = by["clean_score"].apply(lambda c: (1000 - c).sum())
    gap = by.apply(lambda g: (g["score"] - g["clean_score"]).sum(), include_groups=False)
    return {g: (fm[g] * seen[g] - gap[g], math.sqrt(fm[g] * seen[g])) for g in fm}


def test_group_false_matches_stay_in_the_group():
    """Paired (same seed): raising group b's false-match factor from 1 to 4 raises b's
    wrongful sightings about fourfold and its wrongful listings, and leaves group a's
    unchanged. With the wrong person drawn from the whole region (h = 0, the old rule) a's
    rise instead."""
    res = {}
    for h in (1.0, 0.0):
        for factor in (1.0, 4.0):
            res[h, factor] = run(two_groups_with_false_matches(factor, h))[0].agents
    for h in (1.0, 0.0):
        low, high = res[h, 1.0], res[h, 4.0]
        before = wrongful_sightings(low, {"a": 0.02, "b": 0.02})
        after = wrongful_sightings(high, {"a": 0.02, "b": 0.08})
        listed = {f: r.groupby("group", observed=True)["wrongful_listings"].sum()
                  for f, r in ((1, low), (4, high))}
        if h == 1.0:
            within(after["b"][0], 4 * before["b"][0], after["b"][1] + 4 * before["b"][1])
            within(after["a"][0], before["a"][0], math.sqrt(2) * before["a"][1])
            assert listed[4]["b"] > listed[1]["b"] + 4.5 * math.sqrt(listed[1]["b"])
            mine = low["group"] == "a"
            assert (low.loc[mine, "score"] == high.loc[mine, "score"]).all()  # a untouched
            assert listed[4]["a"] == listed[1]["a"]
        else:
            # Half of b's extra false matches land on a.
            rise = after["a"][0] - before["a"][0]
            within(rise, 0.5 * (after["b"][0] + after["a"][0] - before["b"][0]
                                - before["a"][0]), 2 * after["a"][1])
            assert rise > 4.5 * after["a"][1]


def test_association_pulls_toward_weighted_neighbour_mean():
    """One day of association: s_i + α·(Σ_j w_ij s_j / Σ_j w_ij − s_i), exactly."""
    alpha = 0.2
    weights = {"family": 3.0, "social": 1.0, "work": 0.5}
    sc = bare(days=1, population={"household_size": 3.0, "employment": 0.8,
                                  "groups": [{"name": "low", "share": 0.5, "s0": 500},
                                             {"name": "high", "share": 0.5, "s0": 1500}]},
              network={"family_ties": True, "work_degree": 3},
              companies={"per_1000_agents": 20},
              scoring={"association": {"alpha": alpha, "weights": weights}})
    res, sim = run(sc)
    net = sim.state.net
    s0 = np.where(sim.state.agents["group"] == 0, 500.0, 1500.0)
    w = np.array([weights["family"], weights["social"], weights["work"]])[net.tie_codes() & 3]
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    wsum = np.bincount(rows, weights=w, minlength=net.n)
    ssum = np.bincount(rows, weights=w * s0[net.neighbour_ids()], minlength=net.n)
    has = wsum > 0
    expected = s0.copy()
    expected[has] += alpha * (ssum[has] / wsum[has] - s0[has])
    np.testing.assert_allclose(res.agents["score"], expected, rtol=2e-7, atol=1e-4)
    assert set(np.unique(net.tie_codes() & 3)) == {0, 1, 2}  # all three tie types took part


def test_listed_neighbour_penalty_and_recovery():
    """β per listed active neighbour per day; recovery ρ·(s0 − s)."""
    beta, rho = 2.0, 0.1
    sc = bare(days=2,
              behaviours=[{"name": "crime", "rate": 1, "delta": 0, "channel": "camera",
                           "severe": True}],
              surveillance=camera(0.02),  # about 1 in 50 gets listed on day 0
              listing={"enabled": True, "duration": 100},
              scoring={"recovery": rho, "association": {"listed_penalty": beta}},
              timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])
    res, sim = run(sc)
    net, a = sim.state.net, sim.state.agents
    listed = (a["status"] & LISTED) != 0
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    k = np.bincount(rows, weights=listed[net.neighbour_ids()], minlength=net.n)
    # Day 1: s = 1000 - β·k (day 0 saw no listed neighbours yet); recovery pulls back ρ·β·k.
    np.testing.assert_allclose(res.agents["score"], 1000 - beta * k, atol=1e-3)
    # Error-free record: these listings are all rightful, so the same.
    np.testing.assert_allclose(res.agents["clean_score"], 1000 - beta * k, atol=1e-3)
    assert k.max() >= 1


def test_recovery_toward_start():
    rho, days = 0.05, 20
    sc = bare(days=days, behaviours=[{"name": "act", "rate": 50, "delta": -10,
                                      "channel": "camera"}],
              surveillance=camera(1.0), scoring={"recovery": rho},
              timeline=[{"day": 1, "set": {"behaviours.act.rate": 0}}])
    res, _ = run(sc)
    # After day 0 each agent sits at 1000 - 10·k0; then decays as (1-ρ)^(days-1).
    a = res.agents
    k0 = a["acts_act"].to_numpy()
    expected = 1000 - 10 * k0 * (1 - rho) ** (days - 1)
    np.testing.assert_allclose(a["score"], expected, rtol=1e-5)


def test_clamping_to_score_range():
    sc = bare(days=5, behaviours=[{"name": "act", "rate": 20, "delta": -100,
                                   "channel": "camera"}],
              surveillance=camera(1.0), scoring={"min": 200, "max": 1200})
    res, _ = run(sc)
    assert res.agents["score"].min() == 200
    assert res.metrics["score_p01"].iloc[-1] == 200


def severe_all(days=20, duration=10, **extra):
    """Everyone is listed on day 0 by a certain severe act, which then stops."""
    return bare(days=days,
                behaviours=[{"name": "crime", "rate": 50, "delta": 0, "channel": "camera",
                             "severe": True}],
                surveillance=camera(1.0),
                listing={"enabled": True, "duration": duration, **extra.pop("listing", {})},
                timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}], **extra)


def test_listing_duration():
    res, _ = run(severe_all(days=20, duration=10))
    m = res.metrics
    assert (m["newly_listed"].iloc[0], m["severe_listings"].iloc[0]) == (N, N)
    assert (m["listed"].iloc[:10] == N).all()
    assert m["delisted"].iloc[10] == N
    assert (m["listed"].iloc[10:] == 0).all()
    assert (res.agents["days_listed"] == 10).all()
    assert (res.agents["times_listed"] == 1).all()
    assert m["wrongful_new"].sum() == 0


def test_listing_switched_off_on_a_timeline_delists_everyone_that_day():
    """`listing.enabled: false` from day 6 means nobody is listed from then on: every
    agent is delisted on day 6 (the list froze: its agents stayed listed, and sanctioned,
    for ever), and no ticket is blocked after it."""
    sc = severe_all(days=15, duration=1000, sanctions={
        "enabled": True, "travel": {"air_rate": 0.2, "train_rate": 0.0}})
    steps = [*sc.model_dump()["timeline"], {"day": 6, "set": {"listing.enabled": False}}]
    res, _ = run(sc.model_validate({**sc.model_dump(), "timeline": steps}))
    m = res.metrics
    assert (m["listed"].iloc[:6] == N).all() and (m["listed"].iloc[6:] == 0).all()
    assert m["delisted"].iloc[6] == N and m["delisted"].sum() == N
    assert m["blocked_air"].iloc[:6].sum() > 0 and (m["blocked_air"].iloc[6:] == 0).all()
    assert (res.agents["days_listed"] == 6).all()


def test_days_listed_counts_a_listing_running_at_the_end():
    """Listed on day 3 for 100 days of a 20-day run: listed at the end of days 3..19, so
    days_listed is 17 (the listing day counts, and a listing still running is not short)."""
    sc = bare(days=20,
              behaviours=[{"name": "crime", "rate": 0, "delta": 0, "channel": "camera",
                           "severe": True}],
              surveillance=camera(1.0), listing={"enabled": True, "duration": 100},
              timeline=[{"day": 3, "set": {"behaviours.crime.rate": 50}},
                        {"day": 4, "set": {"behaviours.crime.rate": 0}}])
    res, _ = run(sc)
    assert res.metrics["newly_listed"].iloc[3] == N
    assert (res.agents["days_listed"] == 20 - 3).all()


def initially_listed(**extra):
    """A share of agents listed when the run starts (no other listing, no removal but the
    end of the term)."""
    return bare(listing={"enabled": True, "duration": 40, "initial_share": 0.1}, **extra)


def test_initial_state_listed_share_and_remaining_terms():
    """Binomial(N, 0.1) agents listed on day 0, rightfully; remaining terms uniform over
    1..40 days, so about a 40th of them are released on each of days 1..40 and none is
    left after; their neighbours count them."""
    res, sim = run(initially_listed(days=45))
    m = res.metrics
    listed = m["listed"].iloc[0]
    within(listed, 0.1 * N, math.sqrt(N * 0.1 * 0.9))
    assert m["newly_listed"].sum() == 0 and m["wrongful_listed"].iloc[0] == 0
    released = m["delisted"].iloc[:41].to_numpy()  # a term of T days ends on day T
    assert released[0] == 0 and released.sum() == listed and (m["listed"].iloc[40:] == 0).all()
    within(released[1:].mean(), listed / 40, math.sqrt(listed / 40 / 40))
    # Listed at the end of days 0..T-1: T days each.
    assert res.agents["days_listed"].sum() == (np.arange(41) * released).sum()
    net = sim.state.net
    start = Simulation(initially_listed(days=45), seed=1).state.agents
    listed0 = (start["status"] & LISTED) != 0
    assert listed0.sum() == listed
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    expected = np.bincount(rows, weights=listed0[net.neighbour_ids()], minlength=net.n)
    assert (start["nbr_listed"] == expected).all() and expected.sum() > 0
    assert (sim.state.agents["nbr_listed"] == 0).all()


def test_warm_up_is_simulated_and_not_reported():
    """A warm-up of 10 days: the stock on day 0 is what is left after 10 days of terms of
    1..40 (three quarters), the metrics table has the reported days only, and the history
    counts restart at day 0; the same run without warm-up, 10 days longer, ends alike."""
    warm, _ = run(initially_listed(days=20, warmup_days=10))
    cold, _ = run(initially_listed(days=30))
    assert len(warm.metrics) == 20 and warm.metrics["day"].iloc[0] == 0
    stock = warm.metrics["listed"].to_numpy()
    assert (stock == cold.metrics["listed"].to_numpy()[10:]).all()
    assert (warm.agents["listed"] == cold.agents["listed"]).all()
    within(stock[0], 0.1 * N * 0.75, math.sqrt(N * 0.1 * 0.75))
    assert (warm.agents["days_listed"] <= 20).all() and (warm.agents["times_listed"] == 0).all()


def test_blocked_tickets_are_attempts_while_listed():
    air, train, days = 0.05, 0.02, 10
    sc = severe_all(days=15, duration=days, sanctions={
        "enabled": True, "travel": {"air_rate": air, "train_rate": train},
        "purchases": {"rate": 0.01}, "jobs": {"rate": 0.03}})
    res, _ = run(sc)
    m = res.metrics
    for col, rate in (("blocked_air", air), ("blocked_train", train),
                      ("blocked_purchases", 0.01), ("blocked_jobs", 0.03)):
        mu = N * days * rate
        within(m[col].sum(), mu, math.sqrt(mu))
        assert (m[col].iloc[days:] == 0).all()  # nobody listed, nothing blocked
    assert res.agents["blocked_tickets"].sum() == m["blocked_air"].sum() + m[
        "blocked_train"].sum()


def test_appeals():
    a_rate, win = 0.05, 0.4
    sc = severe_all(days=40, duration=1000,
                    listing={"appeals": {"rate": a_rate, "win": win}})
    res, _ = run(sc)
    m = res.metrics
    listed_before = np.concatenate([[N], m["listed"].to_numpy()[:-1]])[1:]
    expected_appeals = (listed_before * a_rate).sum()
    within(m["appeals"].iloc[1:].sum(), expected_appeals, math.sqrt(expected_appeals))
    expected_wins = (listed_before * a_rate * win).sum()
    within(m["appeals_won"].iloc[1:].sum(), expected_wins, math.sqrt(expected_wins))
    within(m["listed"].iloc[-1], N * (1 - a_rate * win) ** 39,
           math.sqrt(N * 0.5 * 0.5))


def test_compliance_removes_listings():
    c = 0.05
    sc = severe_all(days=30, duration=1000, listing={"compliance_rate": c})
    res, _ = run(sc)
    m = res.metrics
    mu = N * (1 - c) ** 29
    within(m["listed"].iloc[-1], mu, math.sqrt(N * (1 - c) ** 29 * (1 - (1 - c) ** 29)))
    assert m["complied"].sum() == N - m["listed"].iloc[-1]


def test_threshold_listing_and_tiers():
    sc = bare(days=10, behaviours=[{"name": "act", "rate": 1, "delta": -150,
                                    "channel": "camera"}],
              surveillance=camera(1.0), listing={"enabled": True, "threshold": 700},
              tiers=[{"name": "high", "min": 900}, {"name": "mid", "min": 700},
                     {"name": "low", "min": 0}],
              timeline=[{"day": 1, "set": {"behaviours.act.rate": 0}}])
    res, _ = run(sc)
    a = res.agents
    below = a["score"] < 700
    assert below.sum() > 500
    assert (a.loc[below, "listed"]).all() and not (a.loc[~below, "listed"]).any()
    tiers = np.where(a["score"] >= 900, "high", np.where(a["score"] >= 700, "mid", "low"))
    assert (a["tier"].astype(str) == tiers).all()
    last = res.metrics.iloc[-1]
    assert last["tier_high"] + last["tier_mid"] + last["tier_low"] == N


def test_tie_severing_rate():
    omega = 0.3
    sc = bare(days=1,
              behaviours=[{"name": "crime", "rate": 1, "delta": 0, "channel": "camera",
                           "severe": True}],
              surveillance=camera(0.02),
              listing={"enabled": True, "duration": 100},
              shaming={"enabled": True, "probability": 1.0,
                       "sever": {"family": omega, "social": omega, "work": omega}})
    res, sim = run(sc)
    a = res.agents
    shamed = a[a["shamed"]]
    assert len(shamed) == res.metrics["shamed"].iloc[0] > 200
    trials = shamed["degree"].sum()
    lost = shamed["ties_lost"].sum()
    within(lost / trials, omega, math.sqrt(omega * (1 - omega) / trials))
    assert lost == res.metrics["ties_severed"].iloc[0]
    net = sim.state.net
    assert np.count_nonzero(net.tie_codes() & SEVERED) == 2 * lost


def test_tie_restoration_after_delisting():
    r = 0.1
    sc = bare(days=12,
              behaviours=[{"name": "crime", "rate": 1, "delta": 0, "channel": "camera",
                           "severe": True}],
              surveillance=camera(0.05),
              listing={"enabled": True, "duration": 2},
              shaming={"enabled": True, "probability": 1.0,
                       "sever": {"family": 0.5, "social": 0.5, "work": 0.5},
                       "restore_rate": r},
              timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])
    res, _ = run(sc)
    m = res.metrics
    severed = m["ties_severed"].sum()
    assert m["ties_restored"].iloc[:2].sum() == 0  # still listed: nothing comes back
    stock = severed * (1 - r) ** np.arange(10)  # from day 2 (delisted) on
    within(m["ties_restored"].iloc[2:].sum(), stock.sum() * r, math.sqrt(stock.sum() * r))
    assert m["ties_active_frac"].iloc[-1] > m["ties_active_frac"].iloc[1]


def test_shaming_makes_pariahs():
    sc = bare(days=3,
              behaviours=[{"name": "crime", "rate": 1, "delta": 0, "channel": "camera",
                           "severe": True}],
              surveillance=camera(0.1), listing={"enabled": True, "duration": 100},
              shaming={"enabled": True, "probability": 1.0,
                       "sever": {"family": 1.0, "social": 1.0, "work": 1.0},
                       "pariah_fraction": 0.5},
              timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])
    res, _ = run(sc)
    a = res.agents
    assert (a.loc[a["shamed"] & (a["degree"] > 0), "pariah"]).all()
    assert res.metrics["pariahs"].iloc[-1] == a["pariah"].sum() >= a["shamed"].sum() > 1000
    assert res.metrics["lcc_frac"].iloc[-1] <= 1 - a["shamed"].mean()


def shaming_day(probability, sever, conformity=None, pariah_fraction=None):
    """One day of severe acts (Poisson(1) per agent) seen by a camera of coverage 0.1: about
    1,900 agents are listed on day 0 and nobody after (the acts stop on day 1), with the
    shaming of ``probability`` and the severing probability ``sever`` for every tie type."""
    shaming = {"enabled": True, "probability": probability,
               "sever": {"family": sever, "social": sever, "work": sever}}
    if pariah_fraction is not None:
        shaming["pariah_fraction"] = pariah_fraction
    population = {} if conformity is None else {"conformity": conformity}
    return bare(days=2, population=population,
                behaviours=[{"name": "crime", "rate": 1, "delta": 0, "channel": "camera",
                             "severe": True}],
                surveillance=camera(0.1), listing={"enabled": True, "duration": 100},
                shaming=shaming, timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])


def ties_once(net):
    """Each tie once (its lower-numbered end first): (end i, end j, severed)."""
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    cols = net.neighbour_ids()
    once = rows < cols
    return rows[once], cols[once], (net.tie_codes()[once] & SEVERED) != 0


def test_shaming_probability_and_severing_by_conformity_have_the_model_s_size():
    """The sizes of shaming, not only that it happens. On day 0 about 1,900 agents are
    listed (``shaming_day``), each shamed with probability p: the shamed are
    Binomial(listed, p). Each active tie of a shamed agent i is then severed with
    probability min(1, ω · c_j), c_j the conformity of the neighbour j at its other end
    (log-normal, mean 0.6 and sd 0.8 here: ω · c_j runs from under 0.01 to above 1); a tie
    between two shamed agents is drawn from both ends and survives with probability
    (1 − min(1, ω c_i)) (1 − min(1, ω c_j)). Given who was shamed the ties are severed
    independently, each with its probability q, so the ties severed have expectation Σ q
    and variance Σ q (1 − q): checked in total, and for each quarter of the neighbours'
    conformity among the ties with one shamed end (where ignoring conformity shows most).
    Doubling p or ω, leaving either at its default 0, or severing with probability ω
    whatever the conformity, misses by more than 30 sd."""
    p, omega = 0.4, 0.5
    res, sim = run(shaming_day(p, omega, conformity={"mean": 0.6, "sigma": 0.8}))
    m, a = res.metrics, res.agents
    listed = m["listed"].iloc[0]
    assert listed == m["listed"].iloc[-1] > 1500  # all listed on day 0, none after
    within(m["shamed"].iloc[0], listed * p, math.sqrt(listed * p * (1 - p)))
    assert m["shamed"].iloc[1] == 0 and m["shamed"].iloc[0] == a["shamed"].sum()
    # severing, given who was shamed
    i, j, severed = ties_once(sim.state.net)
    shamed = a["shamed"].to_numpy()
    c = a["conformity"].to_numpy(np.float64)
    keep_i = np.where(shamed[i], 1 - np.minimum(1.0, omega * c[j]), 1.0)  # i's draw
    keep_j = np.where(shamed[j], 1 - np.minimum(1.0, omega * c[i]), 1.0)  # j's draw
    q = 1 - keep_i * keep_j
    assert severed.sum() == m["ties_severed"].sum()
    within(severed.sum(), q.sum(), math.sqrt((q * (1 - q)).sum()))
    one = shamed[i] != shamed[j]  # one shamed end: the other one severs
    other = np.where(shamed[i], c[j], c[i])[one]
    quarter = np.searchsorted(np.quantile(other, [0.25, 0.5, 0.75]), other)
    for k in range(4):
        mine = quarter == k
        qk = q[one][mine]
        within(severed[one][mine].sum(), qk.sum(), math.sqrt((qk * (1 - qk)).sum()))
    assert severed[q == 1].all() and not severed[q == 0].any()  # the cap, and no stray ties


def pariah_odds(d, k, shamed, omega, f):
    """For an agent with d ties, k of them to shamed agents, itself shamed or not, after one
    day of severing with probability ω from each shamed end (conformity 1): the probability
    that it is a pariah (fewer than f · d ties left), and how much one of its ties being
    severed raises it, for a tie to a shamed and to an unshamed neighbour. A tie to a shamed
    neighbour survives with probability (1 − ω)^(1 + shamed), one to an unshamed neighbour
    with (1 − ω)^shamed, independently: its active ties are the sum of two binomials."""
    def left(to_shamed, to_others):  # distribution of the active ties among these
        return np.convolve(
            binom.pmf(np.arange(to_shamed + 1), to_shamed, (1 - omega) ** (1 + shamed)),
            binom.pmf(np.arange(to_others + 1), to_others, (1 - omega) ** shamed))

    def edge(pmf):  # P(f·d − 1 ≤ active < f·d): pariah if one more tie goes, not otherwise
        a = np.arange(len(pmf))
        return pmf[(a < f * d) & (a + 1 >= f * d)].sum()

    pmf = left(k, d - k)
    pariah = pmf[np.arange(d + 1) < f * d].sum()
    return (pariah, edge(left(k - 1, d - k)) if k else 0.0,
            edge(left(k, d - k - 1)) if k < d else 0.0)


def test_pariahs_are_exactly_those_below_pariah_fraction_and_as_many_as_the_model_says():
    """Both directions of the pariah rule, and the metric's value. After a day of shaming
    (``shaming_day``: everyone listed shamed, each shamed end severing a tie with
    probability ω, conformity 1), an agent is a pariah exactly when it has ties and fewer
    than f of them still active (f = pariah_fraction): the ``pariah`` column, the agents'
    ``active_degree`` and the ``pariahs`` metric are checked against the active ties
    counted from the network's tie codes, every agent, both ways.
    Their number, given who was shamed: agent i is a pariah with probability P_i
    (``pariah_odds``: two binomials), so the expected count is Σ P_i; two agents share a
    random variable only when tied, and given that tie's fate they are independent, so
    Var = Σ P_i (1 − P_i) + 2 Σ_ties q (1 − q) Δ_i Δ_j, q the tie's severing probability
    (1 − (1 − ω)^(shamed ends)) and Δ_i how much its severing raises P_i. f doubled
    (0.7) or left at its default 0.5 breaks the exact check for hundreds of agents and
    misses the count by more than 10 sd; ω doubled misses it by more than 60 sd."""
    f, omega = 0.35, 0.5
    res, sim = run(shaming_day(1.0, omega, pariah_fraction=f))
    m, a, net = res.metrics, res.agents, sim.state.net
    assert (a["conformity"] == 1).all()
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    cols = net.neighbour_ids()
    degree = np.diff(net.indptr)
    active = np.bincount(rows, weights=(net.tie_codes() & INACTIVE) == 0, minlength=net.n)
    pariah = (degree > 0) & (active < f * degree)
    # exact, both ways: every pariah has fewer than f·d active ties, and every agent with
    # ties and fewer is a pariah
    np.testing.assert_array_equal(a["active_degree"], active)
    np.testing.assert_array_equal(a["pariah"], pariah)
    assert (m["pariahs"] == pariah.sum()).all()  # day 0 and day 1: nothing moved on day 1
    shamed = a["shamed"].to_numpy()
    assert (pariah & ~shamed).sum() > 10 and (~pariah & shamed & (degree > 0)).sum() > 1000
    between = (active >= f * degree) & (active < 2 * f * degree)  # the band f tells apart
    assert (between & (active < 0.5 * degree)).sum() > 100
    # the count, against the model given who was shamed
    k = np.bincount(rows, weights=shamed[cols], minlength=net.n).astype(int)
    keys = list(zip(degree.tolist(), k.tolist(), shamed.tolist(), strict=True))
    odds = {key: pariah_odds(*key, omega, f) for key in set(keys)}
    chance = np.array([odds[key] for key in keys])  # each agent's P, Δ (shamed, other end)
    once = rows < cols
    i, j = rows[once], cols[once]
    q = 1 - (1 - omega) ** (shamed[i].astype(int) + shamed[j])
    delta_i = np.where(shamed[j], chance[i, 1], chance[i, 2])
    delta_j = np.where(shamed[i], chance[j, 1], chance[j, 2])
    var = (chance[:, 0] * (1 - chance[:, 0])).sum() + 2 * (q * (1 - q) * delta_i
                                                           * delta_j).sum()
    within(m["pariahs"].iloc[-1], chance[:, 0].sum(), math.sqrt(var))


def test_fear_dynamics_and_chilling_effect():
    """Everyone listed forever, fear toward own risk 1 at speed κ: f_t = 1 − (1 − κ)^(t+1);
    penalised acts on day t fall to λ·exp(−f_(t−1)) per agent (conformity 1)."""
    kappa, lam, days = 0.2, 0.5, 15
    sc = bare(days=days,
              behaviours=[{"name": "crime", "rate": 50, "delta": 0, "channel": "courts",
                           "severe": True, "penalised": False},
                          {"name": "protest", "rate": lam, "delta": -1, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.0},
                                         "courts": {"coverage": 1.0}}},
              listing={"enabled": True, "duration": 1000},
              fear={"enabled": True, "speed": kappa, "social_weight": 0.0,
                    "self_weight": 1.0},
              timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])
    res, _ = run(sc)
    m = res.metrics
    t = np.arange(days)
    np.testing.assert_allclose(m["fear_mean"], 1 - (1 - kappa) ** (t + 1), rtol=1e-5)
    expected = N * lam * np.exp(-np.concatenate([[0.0], 1 - (1 - kappa) ** t[1:]]))
    observed = m["acts_protest"].to_numpy()
    within(observed.sum(), expected.sum(), math.sqrt(expected.sum()))
    np.testing.assert_allclose(m["deterrence_mean"], 1 - np.exp(
        -np.concatenate([[0.0], 1 - (1 - kappa) ** t[1:]])), rtol=1e-5)
    assert observed[-3:].sum() < 0.5 * observed[:3].sum()


def test_fear_from_listed_neighbours_has_the_size_of_social_weight_times_exposure():
    """Fear from the neighbours alone (self weight 0): a severe act on day 0, seen by the
    courts, lists each agent independently with probability π = 1 − exp(−r) for longer
    than the run, and nothing else moves. Agent i's exposure e_i (listed active neighbours
    / active ties) then stays fixed and its fear after day d is
    w · e_i · (1 − (1 − κ)^(d+1)) (adapt runs after the day's listings).
    Over agents, Σ_i e_i = Σ_j L_j c_j with L_j ~ Bernoulli(π) independent and
    c_j = Σ_{i tied to j} 1/d_i, so the mean exposure has expectation π · (share of agents
    with ties) and variance π(1 − π) Σ_j c_j² / N²: the tolerance of fear_mean. Doubling w,
    or the default w = 0.5 in place of the scenario's, misses by more than 10 sd."""
    w, kappa, r, days = 0.8, 0.1, 0.25, 10
    sc = bare(days=days,
              behaviours=[{"name": "crime", "rate": r, "delta": 0, "channel": "courts",
                           "severe": True, "penalised": False}],
              surveillance={"channels": {"courts": {"coverage": 1.0}}},
              listing={"enabled": True, "duration": 1000},
              fear={"enabled": True, "speed": kappa, "social_weight": w, "self_weight": 0.0},
              timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])
    res, sim = run(sc)
    m, net = res.metrics, sim.state.net
    assert (m["listed"] == m["listed"].iloc[0]).all()  # nobody listed or delisted later
    listed = (sim.state.status & LISTED) != 0
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    degree = np.bincount(rows, minlength=net.n)
    exposure = np.bincount(rows, weights=listed[net.neighbour_ids()], minlength=net.n) \
        / np.maximum(degree, 1)
    grown = 1 - (1 - kappa) ** np.arange(1, days + 1)  # share of the target reached
    # each agent, given who was listed: exact up to float32
    np.testing.assert_allclose(res.agents["fear"], w * exposure * grown[-1], rtol=1e-5,
                               atol=1e-7)
    # the mean, against the model's expectation over the listings
    pi = 1 - math.exp(-r)
    within(listed.sum(), N * pi, math.sqrt(N * pi * (1 - pi)))
    c = np.bincount(net.neighbour_ids(), weights=1.0 / degree[rows], minlength=net.n)
    sd = math.sqrt(pi * (1 - pi) * (c ** 2).sum()) / N
    share_tied = (degree > 0).mean()
    for d in (0, days - 1):
        within(m["fear_mean"].iloc[d], w * pi * share_tied * grown[d], w * sd * grown[d])


def test_own_score_fear_rises_over_margin_points_above_the_threshold():
    """The size of fear from one's own score (self weight w, social weight 0): an
    act (Poisson(λ) per agent, on day 0 only, all seen) costs 15 points, so an agent ends
    day 0 at 1000 − 15 K, K ~ Poisson(λ), and its score stays there (nothing else moves).
    Its own risk is r(s) = min(1, max(0, (θ + m − s) / m)): 0 at m points or more above
    the threshold θ, 1 at it, and 1 while listed (below θ, where r(s) is 1 too). Its fear
    after day d is then w · r(s) · (1 − (1 − κ)^(d+1)): each agent is checked to float32
    rounding, and the mean against the model's expectation over K, E[r(1000 − 15 K)], with
    sd √(Var r / N) (independent agents). The same run with m doubled, or with the default
    m = 100 in place of the scenario's, misses the mean by more than 50 sd."""
    w, kappa, lam, theta, margin, days = 0.8, 0.2, 3.0, 900, 80, 5
    sc = bare(days=days,
              behaviours=[{"name": "slip", "rate": lam, "delta": -15, "channel": "camera"}],
              surveillance=camera(1.0), listing={"enabled": True, "threshold": theta},
              fear={"enabled": True, "speed": kappa, "social_weight": 0.0,
                    "self_weight": w, "margin": margin},
              timeline=[{"day": 1, "set": {"behaviours.slip.rate": 0}}])
    res, _ = run(sc)
    a, m = res.agents, res.metrics
    score = 1000 - 15 * a["acts_slip"].to_numpy(np.float64)
    np.testing.assert_array_equal(a["score"], score)  # set on day 0, unchanged since
    listed = a["listed"].to_numpy()
    np.testing.assert_array_equal(listed, score < theta)

    def risk(s):
        return np.clip((theta + margin - s) / margin, 0.0, 1.0)

    grown = 1 - (1 - kappa) ** np.arange(1, days + 1)
    own = np.where(listed, 1.0, risk(score))
    assert 0.1 < ((own > 0) & (own < 1)).mean() < 0.9  # many between 0 and 1
    np.testing.assert_allclose(a["fear"], w * own * grown[-1], rtol=1e-5, atol=1e-7)
    # the mean, against the expectation over K ~ Poisson(λ)
    k = np.arange(60)
    pk = np.exp(-lam) * lam ** k / np.array([math.factorial(x) for x in k], np.float64)
    r = risk(1000 - 15.0 * k)
    mean, var = (pk * r).sum(), (pk * r**2).sum() - (pk * r).sum() ** 2
    for d in (0, days - 1):
        within(m["fear_mean"].iloc[d], w * mean * grown[d], w * grown[d] * math.sqrt(var / N))


def test_true_reports():
    p_cov, r_true, accept, lam, days = 0.2, 0.3, 0.5, 0.2, 20
    sc = bare(days=days, behaviours=[{"name": "act", "rate": lam, "delta": -1,
                                      "channel": "camera"}],
              surveillance=camera(p_cov),
              reports={"enabled": True, "true_rate": r_true, "accept": accept})
    res, _ = run(sc)
    m, a = res.metrics, res.agents
    connected_acts = a.loc[a["degree"] > 0, "acts_act"].sum()
    q = (1 - p_cov) * r_true * accept
    within(m["reported_act"].sum(), connected_acts * q, math.sqrt(connected_acts * q))
    assert m["reports_accepted"].sum() == m["reported_act"].sum()
    # Reported acts count on both records, like sightings.
    total = m["seen_act"].sum() + m["reported_act"].sum()
    assert (1000 - a["score"]).sum() == pytest.approx(total, abs=1e-3)
    assert (1000 - a["clean_score"]).sum() == pytest.approx(total, abs=1e-3)


def test_false_reports_envy_and_acceptance():
    """Filed: r_false·malice per connected agent-day; accepted: p_accept; target j of
    reporter i with probability ∝ exp(envy·(s_j − s_i)/100) among its neighbours."""
    rate, accept, days, envy = 0.01, 0.5, 20, 1.0
    sc = bare(days=days,
              population={"groups": [{"name": "low", "share": 0.5, "s0": 900},
                                     {"name": "high", "share": 0.5, "s0": 1100}]},
              behaviours=[{"name": "act", "rate": 1e-6, "delta": -10, "channel": "camera"}],
              surveillance=camera(0.0),
              reports={"enabled": True, "false_rate": rate, "envy": envy, "accept": accept})
    res, sim = run(sc)
    m, a, net = res.metrics, res.agents, sim.state.net
    filers = (a["degree"] > 0).sum()
    filed = m["false_reports_filed"].sum()
    within(filed, filers * rate * days, math.sqrt(filers * rate * days))
    acc = m["false_reports_accepted"].sum()
    within(acc / filed, accept, math.sqrt(accept * (1 - accept) / filed))
    hits = (a["clean_score"] - a["score"]) / 10  # false reports only touch the record
    assert hits.sum() == pytest.approx(acc)
    # Scores move by 10 points per hit, far less than the 200-point group gap, so the
    # day-0 envy weights hold to within e^(envy·0.1·hits) ≈ 1.
    s0 = np.where(sim.state.agents["group"] == 0, 900.0, 1100.0)
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    w = np.exp(envy * s0[net.neighbour_ids()] / 100)
    share = w / np.bincount(rows, weights=w, minlength=net.n)[rows]
    expected = (np.bincount(net.neighbour_ids(), weights=share, minlength=net.n)
                * rate * days * accept)
    high = (sim.state.agents["group"] == 1)
    for mask in (high, ~high):
        mu = expected[mask].sum()
        within(hits[mask].sum(), mu, math.sqrt(mu))
    assert hits[high].mean() > 5 * hits[~high].mean()  # e^2 ≈ 7.4 where both are present


def test_wrongful_listings_come_only_from_errors():
    base = {"days": 30, "behaviours": [{"name": "act", "rate": 0.3, "delta": -20,
                                        "channel": "camera"}],
            "surveillance": {"channels": {"camera": {"coverage": 0.5,
                                                     "facial_recognition": True}}},
            "listing": {"enabled": True, "threshold": 900, "duration": 5}}
    clean, _ = run(bare(**base))
    assert clean.metrics["newly_listed"].sum() > 1000
    assert clean.metrics["wrongful_new"].sum() == 0
    base["surveillance"]["misattribution"] = 0.2
    noisy, sim = run(bare(**base))
    m = noisy.metrics
    assert m["wrongful_new"].sum() > 100
    assert m["wrongful_new"].sum() < m["newly_listed"].sum()
    status = sim.state.agents["status"]
    assert m["wrongful_listed"].iloc[-1] == np.count_nonzero(
        ((status & LISTED) != 0) & ((status & WRONGFUL) != 0)) > 0


def test_wrongful_travel_bans_are_the_tickets_of_the_wrongfully_listed():
    """Each listed agent attempts Poisson(air + train) tickets a day: the tickets refused to
    the wrongfully listed add up to (air + train) × the wrongfully listed, summed over the
    days, within Poisson error; none without errors."""
    air, train = 0.3, 0.1
    base = {"days": 30, "behaviours": [{"name": "act", "rate": 0.3, "delta": -20,
                                        "channel": "camera"}],
            "surveillance": {"channels": {"camera": {"coverage": 0.5,
                                                     "facial_recognition": True}},
                             "misattribution": 0.2},
            "listing": {"enabled": True, "threshold": 900, "duration": 5},
            "sanctions": {"enabled": True, "travel": {"air_rate": air, "train_rate": train}}}
    m = run(bare(**base))[0].metrics
    mu = (air + train) * m["wrongful_listed"].sum()
    assert mu > 1000
    within(m["blocked_tickets_wrongful"].sum(), mu, math.sqrt(mu))
    assert (m["blocked_tickets_wrongful"] <= m["blocked_air"] + m["blocked_train"]).all()
    base["surveillance"]["misattribution"] = 0.0
    clean = run(bare(**base))[0].metrics
    assert clean["blocked_air"].sum() > 1000 and clean["blocked_tickets_wrongful"].sum() == 0


def test_house_arrest_and_social_media_ban_block_behaviours():
    sc = bare(days=10,
              population={"groups": [{"name": "ok", "share": 0.5},
                                     {"name": "low", "share": 0.5, "s0": 300}]},
              behaviours=[{"name": "walk", "rate": 0.5, "delta": 0, "channel": "camera",
                           "outside_home": True},
                          {"name": "post", "rate": 0.5, "delta": 0, "channel": "camera",
                           "online": True}],
              listing={"enabled": True, "threshold": 500},
              sanctions={"enabled": True, "house_arrest": {"threshold": 400},
                         "social_media": {"enabled": True}})
    res, _ = run(sc)
    a = res.agents
    low = a["group"] == "low"
    assert a.loc[low, "acts_walk"].sum() == 0  # under house arrest from day 0
    # Listed on day 0 after posting; banned from social media from day 1.
    within(a.loc[low, "acts_post"].sum(), low.sum() * 0.5, math.sqrt(low.sum() * 0.5))
    within(a.loc[~low, "acts_walk"].sum(), (~low).sum() * 0.5 * 10,
           math.sqrt((~low).sum() * 5))
    assert res.metrics["house_arrest"].iloc[-1] == low.sum()
    assert res.metrics["social_media_banned"].iloc[-1] == low.sum()


@pytest.mark.parametrize("parents", ["any", "both"])
def test_school_bar_counts_children_of_listed_parents(parents):
    sc = bare(days=3, population={"household_size": 4.0},
              behaviours=[{"name": "crime", "rate": 1, "delta": 0, "channel": "camera",
                           "severe": True}],
              surveillance=camera(0.5),
              listing={"enabled": True, "duration": 100},
              sanctions={"enabled": True, "schools": {"parents": parents}},
              timeline=[{"day": 1, "set": {"behaviours.crime.rate": 0}}])
    res, sim = run(sc)
    a = res.agents
    first = sim.state.household_start[a["household"]]
    listed = a["listed"].to_numpy()
    one, two = listed[first], listed[np.minimum(first + 1, len(a) - 1)]
    barred = a["child"] & ((one & two) if parents == "both" else (one | two))
    assert res.metrics["children_barred"].iloc[-1] == barred.sum() > 0
    assert (a.loc[barred, "school_barred_days"] == 3).all()


@pytest.mark.parametrize("parents", ["any", "both"])
def test_school_bar_by_parents_scores(parents):
    """θ_school (seed 004): with nobody listed, children are barred when one (any) or both
    parents score below θ_school; without it, none is. Paired: same seed, bar on / off."""
    theta = 990.0
    sc = dict(days=3, population={"household_size": 4.0},
              behaviours=[{"name": "fine", "rate": 0.5, "delta": -10, "channel": "camera"}],
              surveillance=camera(0.5), listing={"enabled": False},
              timeline=[{"day": 1, "set": {"behaviours.fine.rate": 0}}])
    barred_by_score, sim = run(bare(**sc, sanctions={
        "enabled": True, "schools": {"parents": parents, "score_below": theta}}))
    no_bar, _ = run(bare(**sc, sanctions={"enabled": True, "schools": {"parents": parents}}))
    a = barred_by_score.agents
    first = sim.state.household_start[a["household"]]
    low = a["score"].to_numpy() < theta
    one, two = low[first], low[np.minimum(first + 1, len(a) - 1)]
    barred = a["child"] & ((one & two) if parents == "both" else (one | two))
    assert barred_by_score.metrics["children_barred"].iloc[-1] == barred.sum() > 0
    # scores move on day 0 only, so the same children are barred on each of the 3 days
    assert (a.loc[barred, "school_barred_days"] == 3).all()
    assert (a.loc[~barred, "school_barred_days"] == 0).all()
    assert (no_bar.metrics["children_barred"] == 0).all()
    np.testing.assert_array_equal(no_bar.agents["score"], a["score"])


def test_privileges_above_threshold():
    rate, days = 0.05, 10
    sc = bare(days=days,
              population={"groups": [{"name": "ok", "share": 0.5},
                                     {"name": "low", "share": 0.5, "s0": 600}]},
              privileges={"enabled": True, "grants": [
                  {"name": "hospital", "threshold": 650, "rate": rate}]})
    res, _ = run(sc)
    a = res.agents
    ok = a["group"] == "ok"
    mu = ok.sum() * days * rate
    within(res.metrics["privilege_hospital"].sum(), mu, math.sqrt(mu))
    assert a.loc[~ok, "privileges_used"].sum() == 0
    assert res.metrics["privileges_used"].sum() == a["privileges_used"].sum()


def test_group_bonus_for_ties_to_a_group():
    sc = bare(days=1, population={"groups": [{"name": "people", "share": 0.9},
                                             {"name": "party", "share": 0.1}]},
              scoring={"association": {"group_bonus": {"party": 2.0}}})
    res, sim = run(sc)
    net, g = sim.state.net, sim.state.agents["group"]
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    ties = np.bincount(rows, weights=g[net.neighbour_ids()] == 1, minlength=net.n)
    np.testing.assert_allclose(res.agents["score"], 1000 + 2.0 * ties)


def test_regional_rollout():
    sc = bare(days=20, regions={"count": 2, "rollout": [{"day": 0, "regions": [0]},
                                                         {"day": 10, "regions": [1]}]},
              behaviours=[{"name": "act", "rate": 0.5, "delta": -10, "channel": "camera"}],
              surveillance=camera(1.0), listing={"enabled": True, "threshold": 990})
    res, sim = run(sc)
    m = res.metrics
    assert (m["agents_active"].iloc[:10] == N // 2).all()
    assert (m["agents_active"].iloc[10:] == N).all()
    region1 = sim.state.agents["region"] == 1
    # Region 1 saw 10 unobserved days: its agents lost points only for days 10-19.
    a = res.agents
    acts = a.loc[region1, "acts_act"].sum()
    lost = (1000 - a.loc[region1, "score"]).sum() / 10
    within(lost, acts * 10 / 20, math.sqrt(acts))
    assert a.loc[region1, "times_listed"].max() >= 1


def test_started_by_day_follows_the_rollout_and_its_timeline():
    """``core.params.started_by_day`` (what the report's per-region chart masks by) says
    what the engine does: agents of started regions (``agents_active``) each day, with a
    timeline step that moves a region's start and a region that never starts."""
    sc = bare(days=20, regions={"count": 3, "rollout": [{"day": 0, "regions": [0]},
                                                         {"day": 15, "regions": [1]}]},
              timeline=[{"day": 5, "set": {"regions.rollout[1].day": 8}}])
    res, sim = run(sc)
    started = started_by_day(sc)
    sizes = np.bincount(sim.state.agents["region"], minlength=3)
    np.testing.assert_array_equal(started @ sizes, res.metrics["agents_active"])
    np.testing.assert_array_equal(started.sum(axis=0), [20, 12, 0])


def test_timeline_abolishes_association_mid_run():
    sc = bare(days=20, population={"groups": [{"name": "low", "share": 0.5, "s0": 500},
                                              {"name": "high", "share": 0.5, "s0": 1500}]},
              scoring={"association": {"alpha": 0.1}},
              timeline=[{"day": 10, "set": {"scoring.association.alpha": 0}}])
    res, _ = run(sc)
    m = res.metrics
    gap = m["score_mean_high"] - m["score_mean_low"]
    assert gap.iloc[9] < 0.5 * gap.iloc[0]  # converging while the rule holds
    assert (gap.iloc[10:] == gap.iloc[9]).all()  # frozen once it is abolished


def test_a_timeline_moves_a_groups_recovery_target():
    """``population.groups.NAME.s0`` may change on a timeline: from that day it is the
    score recovery pulls the group toward (nobody acts, no tie pulls): k days on, s = 900 -
    (900 - 500)(1 - rho)^k. The scores the run started with stay day 0's, and every agent's
    points by source still add up to its score minus them."""
    rho = 0.1
    sc = bare(days=20, population={"groups": [{"name": "low", "share": 0.5, "s0": 500},
                                              {"name": "high", "share": 0.5, "s0": 1500}]},
              scoring={"recovery": rho},
              timeline=[{"day": 10, "set": {"population.groups.low.s0": 900}}])
    res, _ = run(sc)
    low, high = res.metrics["score_mean_low"].to_numpy(), res.metrics["score_mean_high"]
    assert (low[:10] == 500).all()  # at its target: recovery moves nothing
    np.testing.assert_allclose(low[10:], 900 - 400 * (1 - rho) ** np.arange(1, 11),
                               rtol=1e-6)
    assert (high == 1500).all()
    a = res.agents
    assert set(a.loc[a["group"] == "low", "start_score"]) == {500.0}
    np.testing.assert_allclose(a["points_recovery"], a["score"] - a["start_score"],
                               atol=1e-3)


def test_companies_events_and_legal_representatives():
    days, rate, cov, delta = 20, 0.05, 0.4, -10.0
    sc = bare(days=days, companies={
        "enabled": True, "per_1000_agents": 20, "s0": 1000, "min": 0, "max": 2000,
        "events": [{"name": "tax_evasion", "rate": rate, "delta": delta, "coverage": cov}],
        "tiers": [{"name": "all", "min": 0, "tax_rate": 0.2, "inspection": 1.0}],
        "listing_threshold": 2000, "rep_penalty": 1.5})
    res, _ = run(sc)
    c, a = res.companies, res.agents
    mu = days * rate * cov
    within(c["score"].mean(), 1000 + mu * delta, abs(delta) * math.sqrt(mu / len(c)))
    assert c["listed"].all()  # threshold above every score
    reps = c["legal_rep"].value_counts()
    expected = np.full(N, 1000.0)
    expected[reps.index] -= 1.5 * days * reps.to_numpy()
    np.testing.assert_allclose(a["score"], expected)
    assert res.metrics["tax_take"].iloc[-1] == pytest.approx(0.2 * c["revenue"].sum(),
                                                            rel=1e-6)
    summary = res.summary().set_index("figure")  # the final day's, said so as elsewhere
    assert summary.loc["tax take", "note"] == "final day, revenue units per day"


def test_neighbour_counts_stay_consistent():
    """The incrementally kept counts equal a recount after a run full of listings,
    delistings, shamings, severed and restored ties."""
    sc = bare(days=40, population={"agents": 5000},
              behaviours=[{"name": "act", "rate": 0.3, "delta": -20, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.1},
              scoring={"recovery": 0.1},
              listing={"enabled": True, "threshold": 950, "duration": 3,
                       "appeals": {"rate": 0.1, "win": 0.5}},
              shaming={"enabled": True, "probability": 0.7,
                       "sever": {"family": 0.3, "social": 0.3, "work": 0.3},
                       "restore_rate": 0.2})
    res, sim = run(sc)
    m = res.metrics
    assert m["ties_severed"].sum() > 100 and m["ties_restored"].sum() > 100
    assert m["appeals_won"].sum() > 10
    net, a = sim.state.net, sim.state.agents
    active = (net.tie_codes() & SEVERED) == 0
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    st = a["status"][net.neighbour_ids()]
    listed = (st & LISTED) != 0

    def count(mask):
        return np.bincount(rows, weights=active & mask, minlength=net.n).astype(int)

    np.testing.assert_array_equal(a["deg_active"], count(np.ones_like(listed)))
    np.testing.assert_array_equal(a["nbr_listed"], count(listed))
    np.testing.assert_array_equal(a["nbr_clean_listed"], count(listed & ((st & CLEAN_LISTED) != 0)))
    np.testing.assert_array_equal(a["nbr_shamed"], count((st & SHAMED) != 0))
    # Ties are severed and restored in both directions at once.
    cols = net.neighbour_ids()
    order = np.lexsort((rows, cols))  # entry (j, i) for each (i, j), both sorted
    np.testing.assert_array_equal(net.tie_codes()[np.lexsort((cols, rows))], net.tie_codes()[order])


def test_a_warm_up_longer_than_the_run_reports_nothing_before_day_0():
    """A warm-up of 60 days before a run of 20 (it used to fail with an IndexError), with
    wrongful listings during the warm-up and after it: the wrongful table, the case files
    and the daily breakdowns hold days 0 to 19 only, and agree with the agents' counts,
    which restart at day 0; a case file's first day compares with day 0's state."""
    import scsim
    from scsim.outputs.casefile import events_table

    sc = scsim.load_scenario("informants", agents=3000, days=20, overrides={
        "warmup_days": 60, "listing.threshold": 990, "reports.false_rate": 0.02})
    res = scsim.simulate(sc, seed=2, trace=scsim.Trace(sample=300, wrongful=True))
    assert len(res.metrics) == 20 and len(res.wrongful) > 0
    assert res.wrongful["day"].between(0, 19).all()
    assert len(res.wrongful) == res.agents["wrongful_listings"].sum()
    assert res.events["day"].between(0, 19).all()
    for table in (res.groups, res.regions):
        assert sorted(table["day"].unique()) == list(range(20))
    # Day 0's tier events are the tiers that changed on day 0, not during the warm-up.
    sim = Simulation(sc, seed=2, trace=scsim.Trace(sample=300))
    traced = sim.case_files.traced
    before = sim.state.agents["tier"][traced].copy()
    sim.run_until(1)
    moved = traced[sim.state.agents["tier"][traced] != before]
    events = events_table(sim.case_files.events, sim.names)
    told = events.loc[events["event"] == "tier", "agent"]
    assert sorted(told) == sorted(moved)
    assert events["day"].eq(0).all() and len(events) > 0


def test_the_initially_listed_are_drawn_where_the_system_runs_on_day_0():
    """national-800 pilots regions 0 and 1 and reaches the others on day 90: an initial
    share lists agents of the pilot regions only (the same agents as when every region
    starts on day 0: the draws do not depend on the roll-out), so the listed stock and
    the agents' days listed agree (they did not: the others' terms stood still until day
    90, then ended at once)."""
    import scsim

    def state0(**overrides):
        sc = scsim.load_scenario("national-800", agents=4000, days=30, overrides={
            "listing.initial_share": 0.1, **overrides})
        return sc, Simulation(sc, seed=3).state.agents

    sc, staged = state0()
    _, everywhere = state0(**{"regions.rollout": [{"day": 0, "regions": "all"}]})
    pilot = staged["region"] < 2
    listed, listed_all = (staged["status"] & LISTED) != 0, (everywhere["status"] & LISTED) != 0
    assert not listed[~pilot].any() and listed_all[~pilot].sum() > 0
    assert (listed[pilot] == listed_all[pilot]).all()
    within(listed.sum(), 0.1 * pilot.sum(), math.sqrt(0.1 * 0.9 * pilot.sum()))
    res = scsim.simulate(sc, seed=3)
    assert res.metrics["listed"].sum() == res.agents["days_listed"].sum()
    assert res.regions.loc[res.regions["region"] >= 2, "listed"].eq(0).all()
