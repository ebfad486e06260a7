"""Case files of the mechanisms from the sources (docs/provenance.md, "Case files"): a traced
listed agent's everyday services refused and served by businesses (shunning), the
privileges it used through a top-tier household member (family rewards), and the points
it lost while a household member was detained, naming that member (detention).

Each runs a small population with everyone traced, so that the case files' rows, summed
over the agents, are the mechanism's daily counters; and a run tracing a few chosen agents
tells them the same rows (the draws are per agent)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import INERT_ON_PURPOSE, bare
from scsim.core.engine import Simulation
from scsim.outputs import casefile
from scsim.outputs.casefile import POINTS_EPSILON, Trace

N, T = 600, 10
CHOSEN = (3, 150, 299, 451, 598)
WALK = {"name": "walk", "rate": 0.5, "delta": 0, "channel": "camera", "outside_home": True}


def of(events: pd.DataFrame, event: str) -> pd.DataFrame:
    return events[events["event"] == event]


def daily(rows: pd.DataFrame, metric: pd.DataFrame, column: str = "value") -> np.ndarray:
    """The sum of ``column`` of ``rows`` per day of the run, from day 0 (0 on days without
    rows)."""
    return rows.groupby("day")[column].sum().reindex(metric["day"], fill_value=0).to_numpy()


def traced_both_ways(sc, events: tuple[str, ...]):
    """The run tracing everyone, and the rows of ``events`` of the agents CHOSEN there and
    in the same run tracing only them (the two must be equal)."""
    everyone = Simulation(sc, seed=3, trace=Trace(sample=N)).run()
    chosen = Simulation(sc, seed=3, trace=Trace(ids=CHOSEN)).run()

    def rows(res):
        ev = res.events
        mine = ev[ev["event"].isin(events) & ev["agent"].isin(CHOSEN)]
        return mine.drop(columns="score_after").reset_index(drop=True)

    return everyone, rows(everyone), rows(chosen)


def ledger_gap(res) -> pd.Series:
    """Per traced agent: the points of its rows minus its ledger total (points)."""
    told = res.events.groupby("agent")["points"].sum()
    ledger = res.agents[[f"points_{s}" for s in res.names.sources]].astype(float).sum(axis=1)
    return told - ledger.loc[told.index]


@INERT_ON_PURPOSE
def test_a_listed_agent_is_told_the_services_businesses_refused_and_served():
    """Everyone listed from day 0 (threshold above every score): each traced agent's
    ``services_refused`` and ``services_served`` rows add up, over the agents, to the day's
    refused and served transactions of the metrics; the chosen agents get the same rows
    when only they are traced; the rows read in words."""
    sc = bare(days=T, population={"agents": N},
              listing={"enabled": True, "threshold": 1100},
              companies={"enabled": True, "per_1000_agents": 20},
              shunning={"enabled": True, "rate": 0.5, "refuse": 0.6})
    res, everyone, chosen = traced_both_ways(sc, ("services_refused", "services_served"))
    ev, m = res.events, res.metrics
    refused, served = of(ev, "services_refused"), of(ev, "services_served")
    assert m["refused_transactions"].sum() > 500 and m["served_listed_transactions"].sum() > 300
    np.testing.assert_array_equal(daily(refused, m), m["refused_transactions"])
    np.testing.assert_array_equal(daily(served, m), m["served_listed_transactions"])
    assert (refused["value"] >= 1).all() and (served["value"] >= 1).all()
    assert (refused["phase"] == "shunning").all() and (refused["points"] == 0).all()
    assert len(everyone) > 5
    pd.testing.assert_frame_equal(everyone, chosen)
    agent = int(refused["agent"].iloc[0])
    text = res.explain(agent).text
    k = int(refused["value"].iloc[0])
    assert (f"day {refused['day'].iloc[0]}: "
            + casefile.counted(k, "everyday service")
            + " refused by businesses (hotels, loans, rentals, shops)") in text


def test_privileges_used_through_the_family_name_the_top_tier_member():
    """Scores move on day 0 only (an act of -60 points seen with probability 0.5), so the
    tiers of the final agents table are those of every later day: each
    ``family_privileges_used`` row names another member of the agent's household, unlisted
    and in the top tier at or above the privilege's threshold while the agent is below it;
    the rows add up to the metric's uses, day by day; the chosen agents get the same rows
    when only they are traced."""
    threshold = 980.0
    sc = bare(days=T, population={"agents": N, "household_size": 3.0},
              behaviours=[{"name": "fine", "rate": 1.0, "delta": -60, "channel": "camera"}],
              timeline=[{"day": 1, "set": {"behaviours.fine.rate": 0}}],
              tiers=[{"name": "a", "min": 1000}, {"name": "b", "min": 0}],
              privileges={"enabled": True, "grants": [{"name": "loan", "threshold": threshold,
                                                       "rate": 0.3}]},
              family_rewards={"enabled": True})
    res, everyone, chosen = traced_both_ways(sc, ("family_privileges_used",))
    ev, m, a = res.events, res.metrics, res.agents
    used = of(ev, "family_privileges_used")
    assert m["family_privileges_used"].sum() > 200
    np.testing.assert_array_equal(daily(used, m), m["family_privileges_used"])
    late = used[used["day"] >= 1]
    agent, member = late["agent"].to_numpy(), late["other_agent"].to_numpy()
    assert (member >= 0).all() and (member != agent).all()
    assert (a["household"].to_numpy()[member] == a["household"].to_numpy()[agent]).all()
    assert (a["tier"].to_numpy()[member] == "a").all()
    assert (a["score"].to_numpy()[member] >= threshold).all()
    assert (a["score"].to_numpy()[agent] < threshold).all()
    assert (a["times_listed"].to_numpy()[member] == 0).all()
    assert (used["phase"] == "family_rewards").all()
    assert len(everyone) > 5
    pd.testing.assert_frame_equal(everyone, chosen)
    row = late.iloc[0]
    assert (f"day {row.day}: used {casefile.counted(row.value, 'privilege')} through "
            f"household member {row.other_agent} (top tier)") in res.explain(int(row.agent)).text


def detention_intervals(events: pd.DataFrame) -> pd.DataFrame:
    """Each detention of the run's traced agents: agent, first day, release day (T when
    after the run)."""
    held = of(events, "detained")
    return pd.DataFrame({"agent": held["agent"].to_numpy(), "start": held["day"].to_numpy(),
                         "end": np.minimum(held["value"].to_numpy(), T)})


def test_points_lost_for_a_detained_relative_name_that_relative():
    """Everybody below θ_detain, detained with p = 0.05 a day for 4 days, household
    penalty 1 point a day: each traced agent penalised that day has one
    ``relative_detained`` row (as many as the metric's relatives penalised), of -1 point
    booked to ``detention_household``, naming a member of its own household who is
    detained that day, with how many are; the rows add up to the ledger; the chosen
    agents get the same rows when only they are traced."""
    sc = bare(days=T, population={"agents": N, "household_size": 3.0}, behaviours=[WALK],
              detention={"enabled": True, "threshold": 1100, "probability": 0.05, "days": 4,
                         "household_penalty": 1.0, "household_fear": 0.02})
    res, everyone, chosen = traced_both_ways(sc, ("relative_detained",))
    ev, m = res.events, res.metrics
    rows = of(ev, "relative_detained")
    assert m["relatives_penalised"].sum() > 300
    np.testing.assert_array_equal(daily(rows.assign(one=1), m, "one"), m["relatives_penalised"])
    assert (rows["points"] == -1.0).all() and (rows["source"] == "detention_household").all()
    assert (rows["phase"] == "detention").all()
    household = res.agents["household"].to_numpy()
    assert (household[rows["other_agent"]] == household[rows["agent"]]).all()
    assert (rows["other_agent"] != rows["agent"]).all()
    spans = detention_intervals(ev)
    for r in rows.itertuples(index=False):
        held = spans[(spans["start"] <= r.day) & (r.day < spans["end"])]["agent"].to_numpy()
        mates = held[(household[held] == household[r.agent]) & (held != r.agent)]
        assert r.other_agent == mates.min() and r.value == len(mates), r
    assert ledger_gap(res).abs().max() <= len(res.names.sources) * POINTS_EPSILON
    assert len(everyone) > 5
    pd.testing.assert_frame_equal(everyone, chosen)
    r = rows.iloc[0]
    assert (f"day {r.day}: lost 1.0 points because household member {r.other_agent} "
            "is detained") in res.explain(int(r.agent)).text


@pytest.mark.parametrize(("points", "detained", "told"), [
    (-2.0, 1, "lost 2.0 points because household member 812 is detained"),
    (-0.1, 3, "lost 0.1 points because household member 812 and 2 others are detained"),
    (0.0, 1, "household member 812 is detained"),
    (0.0, 2, "household member 812 and 1 other are detained")])
def test_a_detained_relative_reads_as_words(points, detained, told):
    """Without a household penalty (``points`` 0), the row still says who is detained."""
    row = pd.DataFrame([{"event": "relative_detained", "other_agent": 812, "behaviour": "",
                         "points": points, "value": float(detained)}])
    (e,) = row.itertuples(index=False)
    assert casefile.tell(e, [], {}) == told


def test_a_relative_detained_for_days_on_end_is_one_line_with_its_last_day_and_total():
    """Days 10-13 alike, then day 14 with a second member detained, then days 20-21: three
    lines, not seven (a case file of a 90-day detention would otherwise repeat 90 times)."""
    rows = [(d, 812, 1.0) for d in (10, 11, 12, 13)] + [(14, 812, 2.0)] + [
        (d, 812, 1.0) for d in (20, 21)]
    events = pd.DataFrame([{"day": day, "event": "relative_detained", "other_agent": other,
                            "behaviour": "", "channel": "", "source": "detention_household",
                            "points": -1.5, "value": k, "score_after": 900.0 - day}
                           for day, other, k in rows])
    lines = casefile.story(events, 5, []).splitlines()[1:]
    assert lines == [
        "day 10: lost 1.5 points because household member 812 is detained, every day to "
        "day 13 (4 days, 6.0 points lost in all) (score 890.0)",
        "day 14: lost 1.5 points because household member 812 and 1 other are detained "
        "(score 886.0)",
        "day 20: lost 1.5 points because household member 812 is detained, every day to "
        "day 21 (2 days, 3.0 points lost in all) (score 880.0)"]


@pytest.mark.parametrize(("event", "value", "told"), [
    ("services_refused", 3, "3 everyday services refused by businesses (hotels, loans, "
                            "rentals, shops)"),
    ("services_served", 1, "1 everyday service served by businesses despite the listing"),
    ("family_privileges_used", 2, "used 2 privileges through household member 812 (top "
                                  "tier)")])
def test_the_mechanisms_events_read_as_words(event, value, told):
    row = pd.DataFrame([{"event": event, "other_agent": 812, "behaviour": "", "points": 0.0,
                         "value": float(value)}])
    (e,) = row.itertuples(index=False)
    assert casefile.tell(e, [], {}) == told


@INERT_ON_PURPOSE
def test_a_wrongful_listing_opens_a_case_file_with_the_services_refused_that_day():
    """``--trace-wrongful`` opens a case file at the listing, before shunning runs: from
    the listing day on, a wrongfully listed agent's ``services_refused`` and
    ``services_served`` rows are those of the same run tracing it from day 0."""
    sc = bare(days=15, population={"agents": 3000},
              behaviours=[{"name": "act", "rate": 0.05, "delta": -100, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.3},
              listing={"enabled": True, "threshold": 950, "duration": 60},
              companies={"enabled": True, "per_1000_agents": 20},
              shunning={"enabled": True, "rate": 1.0, "refuse": 0.7})
    wrongful = Simulation(sc, seed=2, trace=Trace(wrongful=True)).run()
    first = wrongful.wrongful.drop_duplicates("agent")
    assert len(first) > 20
    chosen = Simulation(sc, seed=2, trace=Trace(ids=tuple(int(i) for i in first["agent"]))
                        ).run()
    kinds = ("services_refused", "services_served")

    def after_listing(res):
        ev = res.events[res.events["event"].isin(kinds)].merge(first[["agent", "day"]],
                                                               on="agent", suffixes=("", "_l"))
        return ev[ev["day"] >= ev["day_l"]].drop(columns="day_l").reset_index(drop=True)

    told = after_listing(wrongful)
    assert (told["day"] == told["agent"].map(first.set_index("agent")["day"])).sum() > 10
    pd.testing.assert_frame_equal(told, after_listing(chosen))


@pytest.mark.parametrize(("score", "clean", "told"), [
    (549.9996, 550.0093, "score 549.9996, error-free 550.0093"),  # decided by 0.01 points
    (549.96, 551.0, "score 549.96, error-free 551.00"),  # 550.0 would read as not under
    (549.7, 554.7, "score 549.7, error-free 554.7")])
def test_a_wrongful_listings_scores_are_told_apart_and_under_the_threshold(score, clean,
                                                                          told):
    w = SimpleNamespace(score=score, clean_score=clean, threshold_gap=550.0 - score)
    assert casefile._scores(w) == told
