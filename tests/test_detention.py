"""Detention (src/scsim/mechanisms/detention.py, docs/mechanisms/detention.md).

Everybody is below θ_detain (1100 > 1000 points) and nobody is released within T < D days,
so after day d the detained are Binomial(N, 1 - (1 - p)^(d+1)); detained agents do no
outside acts (behave draws today's acts with yesterday's detentions); every other member
of a household with a detained member loses the penalty each day and its fear rises."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import bare, left_out_on_purpose, run
from scsim.core.engine import Simulation
from scsim.core.state import (
    CLEAN_LISTED,
    DELISTED,
    DETAINED,
    LISTED,
    POLITICAL_RECORD,
    SHAMED,
    TIES_SUSPENDED,
    WRONGFUL,
)
from scsim.outputs import casefile
from scsim.outputs.casefile import Trace
from scsim.outputs.headline import run_headline
from scsim.world.network.csr import INACTIVE, SUSPENDED

N, T, P, D, LAM = 20_000, 10, 0.05, 30, 0.5
COLUMNS = ["detained", "new_detentions", "political_detentions", "released", "detention_days",
           "households_affected", "relatives_penalised", "relatives_points_lost",
           "ties_suspended", "ties_freed"]


WALK = {"name": "walk", "rate": LAM, "delta": 0, "channel": "camera", "outside_home": True}


def scenario(detention: dict | None, behaviours=(WALK,), agents=N, **more):
    extra = {} if detention is None else {"detention": {"enabled": True, **detention}}
    return bare(days=T, population={"household_size": 3.0, "agents": agents},
                behaviours=list(behaviours), **extra, **more)


def everyone_detainable(**more):
    return scenario({"threshold": 1100, "probability": P, "days": D,
                     "household_penalty": 1.0, "household_fear": 0.02}, **more)


def test_detentions_follow_the_daily_probability():
    res, sim = run(everyone_detainable())
    m = res.metrics
    q = 1.0 - (1.0 - P) ** np.arange(1, T + 1)
    for d in range(T):
        assert abs(m["detained"].iloc[d] - N * q[d]) <= 4.5 * math.sqrt(N * q[d] * (1 - q[d]))
    assert (m["detained"] == m["new_detentions"].cumsum()).all()
    assert (m["detention_days"] == m["detained"]).all()
    detained = (sim.state.status & DETAINED) != 0
    assert detained.sum() == m["detained"].iloc[-1]
    # the summary's detention section: levels on the final day, counts over the run
    rows = res.summary().set_index(["section", "figure"])
    assert rows.loc[("detention", "detained"), "value"] == m["detained"].iloc[-1]
    assert rows.loc[("detention", "new detentions"), "value"] == m["new_detentions"].sum()
    assert rows.loc[("detention", "detention-days"), "note"] == "over the run, agent-days"
    # and a fourth headline line, in words
    line = run_headline(res).splitlines()[3]
    assert line == (f"Detention: {m['new_detentions'].sum():,} detentions in {T} days "
                    f"({m['detained'].sum():,} person-days in detention); on the last day "
                    f"{m['detained'].iloc[-1]:,} people detained, and "
                    f"{m['households_affected'].iloc[-1]:,.0f} households with a member detained.")


def test_detained_agents_do_no_outside_acts():
    on, _ = run(everyone_detainable())
    off, _ = run(scenario(None))
    free_before = N - np.concatenate([[0], on.metrics["detained"].to_numpy()[:-1]])
    mean = LAM * free_before.sum()
    acts = on.metrics["acts_walk"].sum()
    assert abs(acts - mean) <= 4.5 * math.sqrt(mean), (acts, mean)
    assert acts < off.metrics["acts_walk"].sum()


def test_households_of_the_detained_lose_points_and_fear():
    res, sim = run(everyone_detainable())
    m, a = res.metrics, res.agents
    # households affected and relatives, from the final state
    detained = (sim.state.status & DETAINED) != 0
    house = a["household"].to_numpy()
    per_house = np.bincount(house, weights=detained, minlength=house.max() + 1)
    assert m["households_affected"].iloc[-1] == (per_house > 0).sum()
    relatives = (per_house[house] - detained) > 0
    assert m["relatives_penalised"].iloc[-1] == relatives.sum()
    # one point a day each (no clamping), on both scores, the ledger in step
    np.testing.assert_array_equal(m["relatives_points_lost"], m["relatives_penalised"])
    lost = (1000.0 - a["score"]).sum()
    assert lost == m["relatives_points_lost"].sum()
    np.testing.assert_array_equal(a["score"], a["clean_score"])
    np.testing.assert_allclose(a["fear"].sum(), 0.02 * m["relatives_penalised"].sum(),
                               rtol=1e-4)
    np.testing.assert_allclose(sim.state.agents["points"].sum(axis=1), a["score"] - 1000.0,
                               atol=1e-3)


def test_political_acts_detain_only_the_listed_who_performed_them():
    protest = {"name": "protest", "rate": 0.05, "delta": 0, "channel": "camera",
               "severe": True}
    res, sim = run(scenario({"political": ["protest"], "probability": 1.0, "days": D},
                            behaviours=[protest], listing={"enabled": True, "duration": 100},
                            surveillance={"channels": {"camera": {"coverage": 1.0}}}))
    st, a = sim.state.status, res.agents
    detained = (st & DETAINED) != 0
    listed = (st & LISTED) != 0
    protested = (a["acts_protest"] > 0).to_numpy()
    # p = 1: the listed protesters of each day are detained that day (listing comes first)
    np.testing.assert_array_equal(detained, listed & protested)
    assert detained.sum() > 100
    m = res.metrics
    assert (m["political_detentions"] == m["new_detentions"]).all()


def test_listed_protesters_are_detained_at_the_daily_probability():
    """The political path below probability 1. Protests (severe, all seen) on day 0 only
    list L agents for longer than the run, each listed for a political act from then on;
    nobody else can be detained (no threshold) and nobody is released (D > T). Each is
    detained on each day with probability p until it is, so after day d the detained are
    Binomial(L, 1 − (1 − p)^(d+1)), and day d's new detentions, given the F still free the
    evening before, Binomial(F, p): both checked every day within 4.5 binomial sd. The
    same run with p doubled, or with the default 0.01 in place of the scenario's, misses
    day 0 by more than 20 sd."""
    p = 0.2
    protest = {"name": "protest", "rate": 0.1, "delta": 0, "channel": "camera",
               "severe": True}
    res, sim = run(scenario({"political": ["protest"], "probability": p, "days": D},
                            behaviours=[protest],
                            listing={"enabled": True, "severe_duration": 100},
                            surveillance={"channels": {"camera": {"coverage": 1.0}}},
                            timeline=[{"day": 1, "set": {"behaviours.protest.rate": 0}}]))
    st, m = sim.state.status, res.metrics
    listed = (st & LISTED) != 0
    np.testing.assert_array_equal(listed, (res.agents["acts_protest"] > 0).to_numpy())
    n_listed = listed.sum()
    assert n_listed > 1500 and (m["listed"] == n_listed).all()  # all listed on day 0, still
    detained = (st & DETAINED) != 0
    assert not (detained & ~listed).any() and m["released"].sum() == 0
    assert (m["political_detentions"] == m["new_detentions"]).all()
    q = 1 - (1 - p) ** np.arange(1, T + 1)
    free = n_listed - np.concatenate([[0], m["detained"].to_numpy()[:-1]])
    for d in range(T):
        detained_d, new_d = m["detained"].iloc[d], m["new_detentions"].iloc[d]
        sd = math.sqrt(n_listed * q[d] * (1 - q[d]))
        assert abs(detained_d - n_listed * q[d]) <= 4.5 * sd, (d, detained_d, n_listed * q[d], sd)
        sd = math.sqrt(free[d] * p * (1 - p))
        assert abs(new_d - free[d] * p) <= 4.5 * sd, (d, new_d, free[d] * p, sd)
    assert detained.sum() == m["detained"].iloc[-1]


DEBT = {"name": "debt", "rate": 0.02, "delta": 0, "channel": "camera", "severe": True}
PROTEST = {"name": "protest", "rate": 0.1, "delta": 0, "channel": "online"}


@pytest.mark.parametrize("coverage", [0.0, 1.0])
def test_only_political_acts_on_the_record_count(coverage):
    """Listed for debts (seen on camera), detained with p = 1 only if a protest is on the
    record: every protest is seen online with coverage 1, none with coverage 0. Acts the
    system never saw do not count (before, any protest performed did)."""
    res, sim = run(scenario({"political": ["protest"], "probability": 1.0, "days": D},
                            behaviours=[DEBT, PROTEST],
                            listing={"enabled": True, "severe_duration": 100},
                            surveillance={"channels": {"camera": {"coverage": 1.0},
                                                       "online": {"coverage": coverage}}}))
    st, a = sim.state.status, res.agents
    detained = (st & DETAINED) != 0
    listed_protesters = ((st & LISTED) != 0) & (a["acts_protest"] > 0).to_numpy()
    assert listed_protesters.sum() > 300
    np.testing.assert_array_equal(detained, listed_protesters & (coverage == 1.0))
    m = res.metrics
    assert m["political_detentions"].sum() == m["new_detentions"].sum() == detained.sum()


def test_a_false_match_puts_a_political_act_on_the_wrong_record():
    """Every camera sighting of a protest (severe, political) goes to a wrong person, who
    is listed (wrongfully, unless it protested itself that day, which the error-free
    record sees) and detained (p = 1), knowing whose act was pinned on it."""
    protest = {"name": "protest", "rate": 0.02, "delta": 0, "channel": "camera",
               "severe": True}
    res, sim = run(scenario(
        {"political": ["protest"], "probability": 1.0, "days": D}, behaviours=[protest],
        listing={"enabled": True, "severe_duration": 100},
        surveillance={"channels": {"camera": {"coverage": 1.0, "facial_recognition": True}},
                      "misattribution": 1.0}))
    st = sim.state.status
    detained = (st & DETAINED) != 0
    np.testing.assert_array_equal(detained, (st & LISTED) != 0)
    assert detained.sum() > 1000
    wrongful = (st & WRONGFUL) != 0
    assert not (detained & ~wrongful & (res.agents["acts_protest"] == 0).to_numpy()).any()
    assert (detained & wrongful).sum() > 0.9 * detained.sum()
    assert (sim.state.agents["mistaken_for"][detained] >= 0).all()
    assert res.metrics["political_detentions"].sum() == detained.sum()


def test_a_listing_that_ends_clears_the_political_record():
    """Protests, all seen, put agents on the political record; a debt lists for 3 days; the
    record is cleared when the listing ends, and only protesters are ever on it."""
    sc = scenario({"political": ["protest"], "probability": 0.0},
                  behaviours=[DEBT, PROTEST], listing={"enabled": True, "severe_duration": 3},
                  surveillance={"channels": {"camera": {"coverage": 1.0},
                                             "online": {"coverage": 1.0}}})
    sim = Simulation(sc, seed=1)
    a = sim.state.agents
    cleared = 0
    for day in range(1, T + 1):
        before = (a["status"] & POLITICAL_RECORD) != 0
        sim.run_until(day)
        record = (a["status"] & POLITICAL_RECORD) != 0
        delisted = (a["today"] & DELISTED) != 0
        protested = a["acts_total"][:, 1] > 0
        assert not (record & delisted).any() and not (record & ~protested).any()
        assert not (before & ~record & ~delisted).any()  # kept until a listing ends
        cleared += (before & delisted).sum()
    assert cleared > 50 and record.sum() > 5000


def test_switched_off_releases_everyone_and_off_changes_nothing():
    freed, _ = run(everyone_detainable(
        timeline=[{"day": 5, "set": {"detention.enabled": False}}]))
    assert freed.metrics["detained"].iloc[4] > 0
    assert (freed.metrics["detained"].iloc[5:] == 0).all()
    assert freed.metrics["relatives_penalised"].iloc[5:].sum() == 0
    off, _ = run(scenario(None))
    switched_off, _ = run(scenario({"enabled": False, "threshold": 1100}))
    assert not set(COLUMNS) & set(off.metrics.columns)
    assert "detention" not in set(off.summary()["section"])
    assert len(run_headline(off).splitlines()) == 3
    pd.testing.assert_frame_equal(off.metrics, switched_off.metrics, check_exact=True)
    pd.testing.assert_frame_equal(off.agents, switched_off.agents, check_exact=True)


def test_the_detained_file_no_false_reports():
    """Everybody is detained on day 0 (p = 1, after the day's reports): false reports (of
    littering, the one penalised behaviour) are filed on day 0 only."""
    litter = {"name": "litter", "rate": 0.01, "delta": -1, "channel": "camera"}
    res, _ = run(scenario({"threshold": 1100, "probability": 1.0, "days": D},
                          behaviours=(WALK, litter),
                          reports={"enabled": True, "false_rate": 0.2}))
    filed = res.metrics["false_reports_filed"]
    assert (res.metrics["detained"] == N).all()
    assert abs(filed.iloc[0] - 0.2 * N) <= 4.5 * math.sqrt(0.2 * N)
    assert (filed.iloc[1:] == 0).all()


@pytest.mark.parametrize("suspend", [True, False])
def test_the_ties_of_the_detained_are_suspended_until_release(suspend):
    """Everybody is detained on day 0 (p = 1, after the day's scores) and released when a
    timeline step switches detention off on day 5. A group bonus of B points per tie per
    day is paid on day 0, not while every tie is suspended, and again from day 6 (day 5's
    releases come after that day's scores): each agent ends at s0 + (T - 5) · B · degree.
    While detained nobody counts as a pariah, although no tie is active. With
    ``suspend_ties: false`` the ties stay active: the bonus is paid every day."""
    bonus = 0.5
    res, sim = run(scenario({"threshold": 1100, "probability": 1.0, "days": D,
                             "suspend_ties": suspend},
                            scoring={"association": {"group_bonus": {"everyone": bonus}}},
                            shaming={"enabled": True},
                            timeline=[{"day": 5, "set": {"detention.enabled": False}}]))
    m, a, net = res.metrics, res.agents, sim.state.net
    ties = len(net.neighbour_ids()) // 2 if suspend else 0
    assert m["ties_suspended"].tolist() == [ties] + [0] * (T - 1)
    assert m["ties_freed"].tolist() == [0] * 5 + [ties] + [0] * (T - 6)
    assert m["ties_active_frac"].tolist() == [0.0 if suspend else 1.0] * 5 + [1.0] * (T - 5)
    assert (m["pariahs"] == 0).all()
    # the largest component: one agent while every tie is suspended
    lcc = m["lcc_frac"].dropna()
    whole = 0.99 < lcc.iloc[-1] < 1.0
    assert whole and (lcc[lcc.index < 5] == (1 / N if suspend else lcc.iloc[-1])).all()
    degree = np.diff(net.indptr)
    days_paid = T - 5 if suspend else T
    np.testing.assert_allclose(a["score"], 1000.0 + days_paid * bonus * degree, rtol=1e-6)
    assert not (net.tie_codes() & SUSPENDED).any()


def neighbour_counts(state):
    """deg_active, nbr_listed, nbr_clean_listed and nbr_shamed counted from scratch over
    the active ties (neither severed nor suspended); a listed neighbour counts in
    nbr_clean_listed when the error-free record lists it too (CLEAN_LISTED: a wrongful
    listing from the day the error-free record would list the agent)."""
    net, st = state.net, state.status
    rows = np.repeat(np.arange(state.n), np.diff(net.indptr))
    active = (net.tie_codes() & INACTIVE) == 0
    other = st[net.neighbour_ids()]
    listed = (other & LISTED) != 0

    def per_agent(seen):
        return np.bincount(rows[active & seen], minlength=state.n)

    return (per_agent(np.ones_like(active)), per_agent(listed),
            per_agent(listed & ((other & CLEAN_LISTED) != 0)),
            per_agent((other & SHAMED) != 0))


def busy_scenario():
    """30 days of 5,000 agents: listings that end, shaming, severing and restoration,
    detentions of 4 days and their releases."""
    litter = {"name": "litter", "rate": 0.05, "delta": -30, "channel": "camera"}
    return bare(days=30, population={"agents": 5000, "household_size": 3.0},
                behaviours=[litter], surveillance={
                    "misattribution": 0.05, "channels": {"camera": {"facial_recognition": True}}},
                listing={"enabled": True, "threshold": 960, "duration": 8, "renew": False},
                scoring={"recovery": 0.1},
                shaming={"enabled": True, "probability": 0.5,
                         "sever": {"family": 0.3, "social": 0.3, "work": 0.3},
                         "restore_rate": 0.1},
                detention={"enabled": True, "threshold": 985, "probability": 0.2, "days": 4})


def test_suspension_keeps_every_neighbour_count_exact():
    """Listings, shaming, severing, restoration, detentions and releases all change what
    neighbours see of each other; after 30 days the counts kept incrementally equal those
    counted from scratch, and a tie is suspended exactly while one of its ends is detained."""
    res, sim = run(busy_scenario())
    m, s = res.metrics, sim.state
    assert m["ties_suspended"].sum() > 100 and m["ties_freed"].sum() > 100
    assert m["ties_severed"].sum() > 100 and m["ties_restored"].sum() > 30
    a = s.agents
    assert (a["nbr_clean_listed"] != a["nbr_listed"]).any()  # errors: the two counts differ
    kept = (a["deg_active"], a["nbr_listed"], a["nbr_clean_listed"], a["nbr_shamed"])
    for mine, recount in zip(kept, neighbour_counts(s), strict=True):
        np.testing.assert_array_equal(mine, recount)
    detained = (s.status & DETAINED) != 0
    rows = np.repeat(np.arange(s.n), np.diff(s.net.indptr))
    np.testing.assert_array_equal((s.net.tie_codes() & SUSPENDED) != 0,
                                  detained[rows] | detained[s.net.neighbour_ids()])
    np.testing.assert_array_equal((s.status & TIES_SUSPENDED) != 0, detained)


def test_case_files_tell_detentions_and_releases():
    """Everybody traced, detained with p = 0.5 a day for 3 days (release on day d + 3):
    each detention is one ``detained`` row naming its release day and one ``released`` row
    that day (or none, if it falls after the run); the rows count the metrics' detentions
    and releases, and read in words."""
    sc = bare(days=T, population={"agents": 400}, behaviours=[WALK],
              detention={"enabled": True, "threshold": 1100, "probability": 0.5, "days": 3})
    res = Simulation(sc, seed=1, trace=Trace(sample=400)).run()
    ev, m = res.events, res.metrics
    detained, released = ev[ev["event"] == "detained"], ev[ev["event"] == "released"]
    assert len(detained) == m["new_detentions"].sum() > 400
    assert len(released) == m["released"].sum() > 400
    np.testing.assert_array_equal(detained["value"], detained["day"] + 3)
    ends = detained[detained["value"] < T][["agent", "value"]].to_numpy()
    freed = released[["agent", "day"]].to_numpy()
    np.testing.assert_array_equal(ends[np.lexsort(ends.T[::-1])], freed[np.lexsort(freed.T[::-1])])
    assert (detained["cause"] == "score_below_threshold").all()
    text = casefile.tell(detained.iloc[0], [], {})
    assert text == f"DETAINED until day {detained['value'].iloc[0]:.0f} (score below θ_detain)"
    assert casefile.tell(released.iloc[0], [], {}) == "released from detention"


def traced_political_run(severe_duration: int):
    """Everyone traced, listed for debts (severe, for ``severe_duration`` days) and
    detained (p = 1, for D days) for a protest on the record, every act seen."""
    sc = scenario({"political": ["protest"], "probability": 1.0, "days": D},
                  behaviours=[DEBT, PROTEST], agents=2000,
                  listing={"enabled": True, "severe_duration": severe_duration},
                  surveillance={"channels": {"camera": {"coverage": 1.0},
                                             "online": {"coverage": 1.0}}})
    return Simulation(sc, seed=1, trace=Trace(sample=2000)).run()


def test_case_files_tell_a_detention_for_a_political_act():
    """Listed for debts and detained (p = 1) for a protest on the record: the case file
    says why, as often as the metrics count detentions for a political act."""
    res = traced_political_run(severe_duration=100)
    ev = res.events
    detained = ev[ev["event"] == "detained"]
    assert len(detained) == res.metrics["political_detentions"].sum() > 10
    assert (detained["cause"] == "political_act").all()
    assert casefile.tell(detained.iloc[0], [], {}).endswith("(listed for a political act)")
    assert f"{len(detained):,} detentions in {T} days, all of them for a political act " \
        "alone" in run_headline(res)


def test_a_checkpoint_keeps_the_suspended_ties(tmp_path):
    """``busy_scenario`` saved on day 12 (agents detained and released, ties suspended,
    severed and restored; 300 agents traced), loaded and finished: the same tables, bit for
    bit, as the run never stopped."""
    whole = Simulation(busy_scenario(), seed=3, trace=Trace(sample=300)).run()
    sim = Simulation(busy_scenario(), seed=3, trace=Trace(sample=300))
    sim.run_until(12)
    assert (sim.state.net.tie_codes() & SUSPENDED).any()
    resumed = Simulation.load(sim.save(tmp_path / "ck")).run()
    assert (whole.events["event"] == "detained").any()
    for name in ("metrics", "agents", "events"):
        pd.testing.assert_frame_equal(getattr(resumed, name), getattr(whole, name),
                                      check_exact=True)


def test_the_detained_buy_no_ticket_use_no_privilege_and_meet_no_business():
    """MODEL.md: detained agents perform no acts outside or online. So they attempt no
    ticket, purchase or application, use no privilege (their own or through their family)
    and have no everyday transactions for businesses to refuse; before, all of these were
    counted for them. Detained at the end of a day = detained during the next day's
    sanctions, shunning and family rewards (detention runs after them)."""
    from scsim.scenario import load_scenario

    with left_out_on_purpose("days=150"):  # detention's year, not its abolition
        sc = load_scenario("high-control", agents=3000, days=150)
    sim = Simulation(sc, seed=2, trace=Trace(sample=3000))
    a = sim.state.agents
    counted = ("blocked_tickets", "blocked_other", "privileges_used")
    before: dict = {}
    detained_on: dict[int, np.ndarray] = {}
    moved = dict.fromkeys(counted, 0)

    def snap() -> None:
        before["detained"] = np.flatnonzero(a["status"] & DETAINED)
        before.update({c: a[c].copy() for c in counted})

    def check(day: int) -> None:
        detained = detained_on[day] = before["detained"]
        for c in counted:
            assert (a[c][detained] == before[c][detained]).all(), (day, c)
            moved[c] += int(np.count_nonzero(a[c] != before[c]))
        snap()

    snap()
    res = sim.run(check)
    assert sum(map(len, detained_on.values())) > 500  # agent-days in detention
    assert min(moved.values()) > 0  # the others still attempt and use
    ev = res.events
    told = 0
    for kind in ("services_refused", "services_served", "family_privileges_used"):
        rows = ev[ev["event"] == kind]
        told += len(rows)
        for day, agent in zip(rows["day"], rows["agent"], strict=True):
            assert agent not in detained_on[day], (kind, day, agent)
    assert told > 0


def test_the_detained_are_not_also_counted_under_house_arrest():
    """Everybody is below θ_arrest (and θ_detain): on each day the agents under house
    arrest are all but those detained before that day's sanctions, i.e. at the end of the
    day before (detention runs after sanctions). They were counted in both before."""
    res, sim = run(everyone_detainable(sanctions={"enabled": True,
                                                  "house_arrest": {"threshold": 1100}}))
    m = res.metrics
    assert m["house_arrest"].iloc[0] == N
    detained_before = m["detained"].to_numpy()[:-1]
    assert detained_before[-1] > 0.2 * N
    np.testing.assert_array_equal(m["house_arrest"].to_numpy()[1:], N - detained_before)
    # the agents table too: under house arrest at the end = not detained then
    detained_now = (sim.state.status & DETAINED) != 0
    np.testing.assert_array_equal(res.agents["house_arrest"].to_numpy(), ~detained_now)


def test_a_case_file_says_a_detention_outlives_the_listing():
    """A listing that ends (its term over, or an appeal won) does not end a detention,
    which runs its term: the case file said "delisted" and, weeks later, "released from
    detention", and a reader took the agent for free in between."""
    res = traced_political_run(severe_duration=3)
    ev = res.events
    detained = ev[ev["event"] == "detained"].set_index("agent")["value"]
    delisted = ev[(ev["event"] == "delisted") & ev["agent"].isin(detained.index)]
    assert len(delisted) > 5
    agent, day = (int(x) for x in delisted[["agent", "day"]].iloc[0])
    assert detained[agent] > day  # the detention outlives the listing
    line = next(s for s in res.explain(agent).text.splitlines() if "delisted" in s)
    assert (f"day {day}: delisted (still detained until day {int(detained[agent])}: a "
            "detention runs its term)") in line
