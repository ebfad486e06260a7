"""Case files in detail (MODEL.md, "Provenance"; docs/provenance.md): each act of a traced
agent with its fate, what others did to it (misattributions, false reports, severed ties)
and what it did to them, appeals filed and lost, the error log of ``--trace-wrongful``, and
the points of each agent's rows adding up to its ledger."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import bare
from scsim.core.engine import Simulation
from scsim.core.events import EVENTS, OPENS_AT, TOLD
from scsim.core.source import source_registry
from scsim.core.state import LISTED
from scsim.errors import ScsimError
from scsim.outputs import casefile
from scsim.outputs.casefile import POINTS_EPSILON, Trace
from scsim.world.network import INACTIVE

LISTING = {"enabled": True, "threshold": 900, "duration": 30}


def two_agents(days=8, **sections):
    """Two agents of one household (one family tie) in one region."""
    return bare(days=days, population={"agents": 2, "household_size": 2.0},
                network={"kind": "none", "family_ties": True}, **sections)


def of(events: pd.DataFrame, event: str, agent: int | None = None) -> pd.DataFrame:
    rows = events[events["event"] == event]
    return rows if agent is None else rows[rows["agent"] == agent]


def ledger_gap(res) -> pd.Series:
    """Per traced agent: the points of its rows minus its ledger total (points)."""
    told = res.events.groupby("agent")["points"].sum()
    a = res.agents
    ledger = a[[f"points_{s}" for s in res.names.sources]].astype(float).sum(axis=1)
    return told - ledger.loc[told.index]


@pytest.mark.parametrize("coverage", [1.0, 0.0])
def test_each_act_is_sighted_or_unseen_as_the_observe_kernel_drew_it(coverage):
    """Coverage 1 without false matches: every act of every traced agent is a ``sighted``
    row naming the channel, with the behaviour's points; coverage 0: every act is
    ``act_unseen``. The rows count the same acts as the metrics and the agents table."""
    sc = bare(days=10, population={"agents": 300},
              behaviours=[{"name": "litter", "rate": 0.3, "delta": -7, "channel": "cctv"}],
              surveillance={"channels": {"cctv": {"coverage": coverage}}})
    res = Simulation(sc, seed=2, trace=Trace(sample=300)).run()
    ev = res.events
    acts = int(res.agents["acts_litter"].sum())
    assert acts > 300 and of(ev, "acted")["value"].sum() == acts
    fate = "sighted" if coverage else "act_unseen"
    rows = of(ev, fate)
    assert len(rows) == acts == len(ev[ev["event"].isin(
        ["sighted", "seen_as_other", "act_unseen"])])
    assert (rows["channel"] == "cctv").all() and (rows["behaviour"] == "litter").all()
    assert (rows["points"] == (-7.0 if coverage else 0.0)).all()
    assert len(rows) == (res.metrics["seen_litter"].sum() if coverage else acts)
    per_agent = rows.groupby("agent").size().reindex(range(300), fill_value=0)
    assert (per_agent.to_numpy() == res.agents["acts_litter"].to_numpy()).all()


def test_sightings_match_the_kernels_with_false_matches_and_impunity():
    """Everyone traced, coverage 0.5, false matches and impunity: the ``sighted`` rows
    (booked or dropped) and ``seen_as_other`` rows are the day's seen acts; each
    ``seen_as_other`` of an actor is one ``misattributed`` row of the agent it names, the
    same day, naming the actor (booked, or dropped by impunity); the misattributions and
    drops are those the metrics count."""
    sc = bare(days=15, population={"agents": 2000},
              behaviours=[{"name": "act", "rate": 0.2, "delta": -5, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.3},
              impunity={"enabled": True, "quantile": 0.8, "p_impunity": 0.5})
    res = Simulation(sc, seed=4, trace=Trace(sample=2000)).run()
    ev, m = res.events, res.metrics
    sighted, other = of(ev, "sighted"), of(ev, "seen_as_other")
    assert len(sighted) + len(other) == m["seen_act"].sum()
    assert len(other) == m["misattributions"].sum() > 100
    dropped = sighted[sighted["value"] == 0]
    assert len(dropped) > 20 and (dropped["points"] == 0).all()
    victim = of(ev, "misattributed")
    mine = other[["day", "other_agent", "agent"]].to_numpy()
    theirs = victim[["day", "agent", "other_agent"]].to_numpy()
    assert sorted(map(tuple, mine)) == sorted(map(tuple, theirs))
    # A misattribution impunity dropped (its victim shielded) is told with value 0 and no
    # points; with the dropped sightings of own acts, they are the drops counted.
    assert (victim["channel"] == "camera").all() and set(victim["value"]) == {0.0, 1.0}
    assert (victim["points"] == -5 * victim["value"]).all()
    assert (victim["value"] == 0).sum() + len(dropped) == m["dropped_observations"].sum()
    assert (victim["agent"] != victim["other_agent"]).all()
    assert ledger_gap(res).abs().max() <= len(res.names.sources) * POINTS_EPSILON


def test_a_misattribution_names_the_actor_and_the_channel_on_both_sides():
    """Agent 0 steals in front of a camera that always mistakes it for agent 1, who never
    acts: agent 1's case file has one ``misattributed`` row per theft, naming agent 0 and
    the camera; agent 0's says each theft was pinned on agent 1."""
    sc = two_agents(behaviours=[{"name": "theft", "rate": 1.0, "delta": -20,
                                 "channel": "camera"}],
                    surveillance={"channels": {"camera": {"coverage": 1.0,
                                                          "facial_recognition": True}},
                                  "misattribution": 1.0})
    sim = Simulation(sc, seed=1, trace=Trace(ids=(0, 1)))
    sim.state.agents["propensity"][1] = 0.0
    res = sim.run()
    thefts = int(res.agents["acts_theft"][0])
    ev = res.events
    victim = of(ev, "misattributed", 1)
    actor = of(ev, "seen_as_other", 0)
    assert len(victim) == len(actor) == thefts == res.metrics["misattributions"].sum() > 2
    assert (victim["other_agent"] == 0).all() and (actor["other_agent"] == 1).all()
    assert (victim["channel"] == "camera").all() and (actor["channel"] == "camera").all()
    assert victim["points"].sum() == res.agents["points_misattribution"][1] == -20 * thefts
    assert (actor["points"] == 0).all() and len(of(ev, "sighted")) == 0
    assert "sighted by camera (theft) — in fact agent 0, a false match; -20.0 points" \
        in res.explain(1).text
    assert "seen by camera but pinned on agent 1" in res.explain(0).text


@pytest.mark.parametrize("accept", [1.0, 0.5])
def test_a_false_report_names_the_reporter_on_both_sides(accept):
    """Agent 0 files false reports against its only neighbour, agent 1: agent 1's case
    file names agent 0 in each one, accepted or rejected; agent 0's says it filed each."""
    sc = two_agents(behaviours=[{"name": "theft", "rate": 1e-9, "delta": -10,
                                 "channel": "camera"}],
                    reports={"enabled": True, "false_rate": 1.0, "accept": accept})
    sim = Simulation(sc, seed=1, trace=Trace(ids=(0, 1)))
    sim.state.agents["malice"][1] = 0.0
    res = sim.run()
    ev, m = res.events, res.metrics
    accepted = of(ev, "falsely_reported", 1)
    rejected = of(ev, "false_report_rejected", 1)
    filed = of(ev, "filed_false_report", 0)
    assert len(accepted) == m["false_reports_accepted"].sum()
    assert len(accepted) + len(rejected) == len(filed) == m["false_reports_filed"].sum() > 3
    assert (len(rejected) > 0) == (accept < 1)
    assert (accepted["other_agent"] == 0).all() and (rejected["other_agent"] == 0).all()
    assert (filed["other_agent"] == 1).all()
    assert filed["value"].sum() == len(accepted)
    assert accepted["points"].sum() == res.agents["points_false_report"][1]
    text = res.explain(1).text
    assert "falsely reported by agent 0 (theft), and the report was accepted" in text
    assert "filed a false report against agent 1 (theft), accepted" in res.explain(0).text


def test_a_severed_tie_names_the_neighbour_who_cut_it():
    """Agent 1 steals in front of a camera, is listed and shamed; its only neighbour,
    agent 0 (conformity 1), severs their family tie for sure."""
    sc = two_agents(behaviours=[{"name": "theft", "rate": 1.0, "delta": -200,
                                 "channel": "camera"}],
                    surveillance={"channels": {"camera": {"coverage": 1.0}}},
                    listing=LISTING,
                    shaming={"enabled": True, "probability": 1.0, "sever": {"family": 1.0}})
    sim = Simulation(sc, seed=1, trace=Trace(ids=(0, 1)))
    sim.state.agents["propensity"][0] = 0.0
    res = sim.run()
    ev = res.events
    listed = of(ev, "listed", 1)
    severed = of(ev, "tie_severed", 1)
    cut = of(ev, "cut_tie", 0)
    assert len(severed) == len(cut) == res.metrics["ties_severed"].sum() == 1
    assert severed.iloc[0].day == listed.iloc[0].day == cut.iloc[0].day
    assert (severed.iloc[0].other_agent, cut.iloc[0].other_agent) == (0, 1)
    assert "agent 0 severed its family tie" in res.explain(1).text
    assert "severed its family tie with the shamed agent 1" in res.explain(0).text


def test_appeals_filed_won_and_lost():
    """Everyone traced: one ``appeal_filed`` row per appeal the metrics count, each
    followed the same day by ``appeal_won`` (with a ``delisted`` row) or ``appeal_lost``."""
    sc = bare(days=40, population={"agents": 2000},
              behaviours=[{"name": "act", "rate": 0.1, "delta": -40, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5}}},
              listing={"enabled": True, "threshold": 900, "duration": 20,
                       "appeals": {"rate": 0.2, "win": 0.3}})
    res = Simulation(sc, seed=3, trace=Trace(sample=2000)).run()
    ev, m = res.events, res.metrics
    filed, won, lost = (of(ev, e) for e in ("appeal_filed", "appeal_won", "appeal_lost"))
    assert len(filed) == m["appeals"].sum() > 50
    assert len(won) == m["appeals_won"].sum() > 10 and len(lost) == len(filed) - len(won)
    key = ["day", "agent"]
    decided = pd.concat([won[key], lost[key]]).sort_values(key)
    assert (decided.to_numpy() == filed[key].sort_values(key).to_numpy()).all()
    delisted = of(ev, "delisted").set_index(key).index
    assert won.set_index(key).index.isin(delisted).all()
    assert not lost.set_index(key).index.isin(delisted).any()
    agent = int(lost.iloc[0].agent)
    assert "appealed against the listing" in res.explain(agent).text
    assert "appeal lost" in res.explain(agent).text


def misattributed_victim(days=12):
    """Agent 0 acts in front of a camera that pins every act on agent 1 (never acts)."""
    return two_agents(days=days, behaviours=[{"name": "theft", "rate": 0.5, "delta": -30,
                                              "channel": "camera"}],
                      listing=LISTING,
                      surveillance={"channels": {"camera": {"coverage": 1.0,
                                                            "facial_recognition": True}},
                                    "misattribution": 1.0})


def test_trace_wrongful_opens_the_case_file_with_the_errors_since_day_0():
    """Agent 1, traced only once wrongfully listed, gets a case file that starts with
    each misattribution against it since day 0 (naming agent 0 and the camera), then its
    other points until then, and adds up to its ledger."""
    sim = Simulation(misattributed_victim(), seed=1, trace=Trace(wrongful=True))
    sim.state.agents["propensity"][1] = 0.0
    res = sim.run()
    listing = int(res.wrongful.iloc[0].day)
    ev = res.events[res.events["agent"] == 1]
    errors = of(ev, "misattributed")
    before = errors[errors["day"] < listing]
    assert len(before) >= 2 and ev.iloc[0].day < listing  # starts before the listing
    assert (errors["other_agent"] == 0).all() and (errors["channel"] == "camera").all()
    assert len(errors) == res.metrics["misattributions"].sum()
    assert errors["points"].sum() == res.agents["points_misattribution"][1]
    assert not (of(ev, "traced")["source"] == "misattribution").any()  # all told singly
    assert abs(ledger_gap(res)[1]) <= len(res.names.sources) * POINTS_EPSILON
    assert res.events["agent"].unique().tolist() == [1]  # agent 0 was never listed
    _, reading, first = res.explain(1).text.splitlines()[:3]
    assert first.startswith(
        f"day {before.iloc[0].day}: sighted by camera (theft) — in fact agent 0")
    # how to read it, under its first line: where the score started, where it lists, and
    # why a score shown may differ from the amounts told before it
    start = res.agents["start_score"].iloc[1]
    assert reading.startswith(f"(started at {start:,.1f} points; listed below "
                              f"{res.scenario.listing.threshold:,g} points, each listing for "
                              "30 days even if the score recovers meanwhile") and (
        "; amounts under a point" in reading and "told once they add up to a point" in reading)


@pytest.mark.parametrize(("name", "term"), [
    ("national-800", "; listed below 550 points, each listing for 365 days (730 days for a "
                     "severe act) even if the score recovers meanwhile, renewed at its end if "
                     "the score is still below, unless a won appeal ends it sooner; tiers "
                     "by score: a from 700 points, b from 650 points, c from 550 points, d "
                     "below 550 points; amounts"),
    ("court-blacklist", " points; each listing lasts 3,650 days, unless a won appeal or "
                        "complying ends it sooner; amounts"),
    ("mesa-parity", "; listed below 940 points, each listing for 365 days even if the score "
                    "recovers meanwhile, renewed at its end if the score is still below; "
                    "amounts"),
    ("no-system", "(started at 700.0 points; amounts"),
    # abolished on day 365 (its threshold set to 0, the lowest score): it said "listed
    # below 0 or 550 points (the timeline changes it)"
    ("high-control", "(started at 700.0 points; listed below 550 points, from day 365 "
                     "nobody new, each listing for ")])
def test_the_reading_key_says_a_listing_runs_its_term(name, term):
    """A case file showed a listed agent back above the threshold (tier b, 650.0 points
    against a threshold of 650) and an appeal lost after it, with nothing saying that a
    listing lasts its term whatever the score does: the key under its first line says how
    long, what renews it and what ends it sooner (a severe act's term only in a scenario
    that has one; nothing where nothing lists)."""
    assert term in casefile.reading_key(scsim.load_scenario(name), 700.0)


def test_the_reading_key_says_what_each_tier_is():
    """A case file's lines say "tier c (score 649.2)" and nothing said what tier c is: the
    key under its first line gives each tier's scores, and from which day a timeline
    changes them; nothing where there are no tiers or scores never move."""
    key = casefile.reading_key(scsim.load_scenario("three-tier"), 700.0)
    assert ("; tiers by score: trustworthy from 750 points, average from 600 points, "
            "untrustworthy below 600 points; amounts") in key
    changed = scsim.load_scenario("three-tier", overrides=[
        "timeline=[{day: 100, set: {tiers: [{name: trustworthy, min: 800}, "
        "{name: average, min: 650}, {name: untrustworthy, min: 0}]}}]"])
    assert ("; tiers by score: trustworthy from 750 points, average from 600 points, "
            "untrustworthy below 600 points; from day 100 trustworthy from 800 points, "
            "average from 650 points, untrustworthy below 650 points; amounts"
            ) in casefile.reading_key(changed, 700.0)
    for name in ("court-blacklist", "no-system"):  # no tiers; scores that never move
        assert "tiers" not in casefile.reading_key(scsim.load_scenario(name), 700.0)


def listing_rows(value: float, other: int = -1, event: str = "listed") -> pd.DataFrame:
    """One event of agent 1 on day 4 (a listing: ``value`` 1 wrongfully)."""
    return pd.DataFrame({"day": [4], "agent": 1, "event": event, "source": "",
                         "behaviour": "", "channel": "", "points": 0.0,
                         "score_after": [549.7], "other_agent": other, "value": value,
                         "cause": "misattribution" if value else ""})


def test_a_rightful_listing_says_so_where_the_run_can_err():
    """"Why was this person listed?": a wrongful listing's line gave its cause, a rightful
    one's said nothing; in a run that can err it now says that the error-free record lists
    it too (in one that cannot, every listing is rightful, and the line says nothing)."""
    rows = listing_rows(0.0)
    assert casefile.story(rows, 1, [], errors=True).splitlines()[1] == (
        "day 4: LISTED — rightfully: the same acts without errors would have listed it too "
        "(score 549.7)")
    assert casefile.story(rows, 1, []).splitlines()[1] == "day 4: LISTED (score 549.7)"


def test_a_line_ending_on_another_agent_says_whose_score_it_shows():
    """"... the last mistaking it for agent 2195 (score 549.7)" read as agent 2195's score:
    a line that ends on another agent says whose the score is; other lines keep "(score
    ...)"."""
    wrongful = pd.DataFrame({"agent": [1], "day": [4], "mistaken_for": [2195],
                             "damage_misattribution": [5.0]})
    (line,) = casefile.story(listing_rows(1.0), 1, [], wrongful, errors=True).splitlines()[1:]
    assert line == ("day 4: LISTED — wrongfully (cause: misattribution); false matches cost "
                    "it 5.0 points, the last mistaking it for agent 2195 (agent 1's score "
                    "549.7)")
    (cut,) = casefile.story(listing_rows(1.0, 12, "cut_tie"), 1, []).splitlines()[1:]
    assert cut == ("day 4: severed its social tie with the shamed agent 12 (agent 1's score "
                   "549.7)")


def test_a_full_error_log_is_told_in_the_case_file(monkeypatch):
    """With room for one error only, the case file says from which day errors went
    untold, and its ``traced`` row carries their points (the rows still add up)."""
    monkeypatch.setattr(casefile, "MAX_ERROR_LOG", 1)
    sim = Simulation(misattributed_victim(), seed=1, trace=Trace(wrongful=True))
    sim.state.agents["propensity"][1] = 0.0
    res = sim.run()
    ev = res.events
    untold = of(ev, "errors_untold", 1)
    assert len(untold) == 1 and untold.iloc[0].value < res.wrongful.iloc[0].day
    rest = of(ev, "traced", 1)
    assert (rest["source"] == "misattribution").sum() == 1
    assert abs(ledger_gap(res)[1]) <= len(res.names.sources) * POINTS_EPSILON
    assert "the error log was full from day" in res.explain(1).text


BUSY = {
    "behaviours": [{"name": "act", "rate": 0.1, "delta": -30, "channel": "camera"}],
    "surveillance": {"channels": {"camera": {"coverage": 0.5, "facial_recognition": True}},
                     "misattribution": 0.1},
    "reports": {"enabled": True, "true_rate": 0.5, "false_rate": 0.01, "accept": 0.5},
    "scoring": {"association": {"alpha": 0.05, "listed_penalty": 5.0}, "recovery": 0.01},
    "listing": {"enabled": True, "threshold": 930, "duration": 10,
                "appeals": {"rate": 0.2, "win": 0.3}},
    "shaming": {"enabled": True, "probability": 0.5,
                "sever": {"family": 0.3, "social": 0.5, "work": 0.5}},
}
"""The sections of ``busy``: every kind of event."""


def busy(days=30, agents=3000):
    """Every kind of event: sightings with false matches, true and false reports,
    association, listings with appeals, shaming and severed ties."""
    return bare(days=days, population={"agents": agents}, **copy.deepcopy(BUSY))


def test_rows_add_up_to_the_ledger_and_tracing_changes_nothing():
    """Per traced agent (a sample, and everyone wrongfully listed), the points of its
    rows add up to its ledger total, up to POINTS_EPSILON per source; every kind of event
    occurs; the run's outputs are those of the same run without tracing."""
    sc = busy()
    res = Simulation(sc, seed=5, trace=Trace(sample=300, wrongful=True)).run()
    plain = Simulation(sc, seed=5).run()
    gap = ledger_gap(res)
    assert len(gap) > 300 and gap.abs().max() <= len(source_registry()) * POINTS_EPSILON
    seen = set(res.events["event"].astype(str))
    for event in ("sighted", "seen_as_other", "act_unseen", "reported", "report_rejected",
                  "misattributed", "falsely_reported", "false_report_rejected",
                  "filed_false_report", "filed_report", "appeal_filed", "appeal_won", "appeal_lost",
                  "tie_severed", "cut_tie", "points", "traced", "listed"):
        assert event in seen, event
    pd.testing.assert_frame_equal(res.metrics, plain.metrics)
    pd.testing.assert_frame_equal(res.agents, plain.agents)
    first = of(res.events, "reported").iloc[0]
    assert (f"reported by its neighbour agent {first.other_agent} (act) for an act nobody "
            "saw, accepted") in res.explain(int(first.agent)).text
    assert np.isfinite(res.events["score_after"]).all()


def test_a_true_report_names_a_neighbour_as_its_reporter():
    """Each true report, accepted or not, names one of the agent's neighbours (drawn for
    the case file, since the model says only "a neighbour"), and the reporters spread over
    them: each neighbour tied to a reported agent reports about as often."""
    sim = Simulation(busy(days=20, agents=1500), seed=5, trace=Trace(sample=1500))
    res = sim.run()
    net = sim.state.net
    rows = res.events[res.events["event"].isin(["reported", "report_rejected"])]
    assert len(rows) > 500
    position = [np.flatnonzero(net.neighbour_ids()[net.indptr[r.agent]:net.indptr[r.agent + 1]]
                               == r.other_agent) for r in rows.itertuples()]
    assert all(len(p) == 1 for p in position)  # a neighbour, every time
    # the reporter's place among the agent's d ties, (k + 1/2) / d: mean 1/2 for a uniform
    # choice (sd 0.29 / sqrt(rows); severed ties, not chosen, bias it a little)
    share = (np.array([p[0] for p in position]) + 0.5) / np.diff(net.indptr)[rows["agent"]]
    assert abs(share.mean() - 0.5) < 0.05


def test_a_traced_reporter_tells_the_true_reports_it_filed():
    """A traced agent's case file has a ``filed_report`` for every true report it filed,
    whether the reported neighbour is traced or not: traced alone, a sample gets the same
    rows as when everyone is traced, where each report is told on both sides."""
    sc = busy(days=20, agents=1500)
    everyone = Simulation(sc, seed=5, trace=Trace(sample=1500)).run().events
    told = of(everyone, "reported").shape[0] + of(everyone, "report_rejected").shape[0]
    filed = of(everyone, "filed_report")
    assert told > 500 and len(filed) == told
    # each report on both sides: reporter, reported, day, behaviour, channel, accepted
    sides = everyone[everyone["event"].isin(["reported", "report_rejected"])]
    keys = ["day", "behaviour", "channel"]
    by_reporter = filed.assign(reporter=filed["agent"], reported=filed["other_agent"],
                               accepted=filed["value"] == 1)
    by_reported = sides.assign(reporter=sides["other_agent"], reported=sides["agent"],
                               accepted=sides["event"] == "reported")
    count = ["reporter", "reported", *keys, "accepted"]
    assert (by_reporter.groupby(count, observed=True).size().sort_index().equals(
        by_reported.groupby(count, observed=True).size().sort_index()))
    assert 0 < (filed["value"] == 1).sum() < len(filed)  # accepted and rejected ones
    some = np.sort(np.unique(filed["agent"]))[::7][:40]
    sample = Simulation(sc, seed=5, trace=Trace(ids=tuple(int(i) for i in some))).run()
    mine = of(sample.events, "filed_report").reset_index(drop=True)
    theirs = filed[filed["agent"].isin(some)].reset_index(drop=True)
    cols = ["day", "agent", "other_agent", "behaviour", "channel", "value"]
    pd.testing.assert_frame_equal(mine[cols], theirs[cols])
    first = mine.iloc[0]
    assert (f"day {first.day}: reported agent {first.other_agent} ({first.behaviour}) for an "
            "act nobody saw, " + ("accepted" if first.value == 1 else "rejected")
            ) in sample.explain(int(first.agent)).text


def test_points_lost_to_ties_name_the_neighbour_behind_them():
    """Everyone traced: on the last day (all points told), each loss to association names
    the active neighbour with the lowest score, below the agent's (every tie weighs 1), and
    each loss to listed neighbours the listed active neighbour with the lowest score and
    how many listed active neighbours there are; the story says so in words."""
    sim = Simulation(busy(days=20, agents=1500), seed=5, trace=Trace(sample=1500))
    res = sim.run()
    net, a = sim.state.net, sim.state.agents
    score, listed = a["scores"][:, 0], (a["status"] & LISTED) != 0
    rows = res.events[(res.events["event"] == "points") & (res.events["day"] == 19)
                      & (res.events["points"] < 0)]
    named = 0
    for r in rows.itertuples():
        e = np.arange(net.indptr[r.agent], net.indptr[r.agent + 1])
        nbrs = net.neighbour_ids()[e][(net.tie_codes()[e] & INACTIVE) == 0]
        if r.source == "association":
            low = nbrs[np.argmin(score[nbrs])] if len(nbrs) else -1
            expected = low if len(nbrs) and score[low] < score[r.agent] else -1
            assert r.other_agent == expected
        elif r.source == "listed_penalty":
            theirs = nbrs[listed[nbrs]]
            assert r.value == len(theirs)
            assert r.other_agent == (theirs[np.argmin(score[theirs])] if len(theirs) else -1)
        else:
            assert r.other_agent == -1
        named += r.other_agent >= 0
    assert named > 100
    both = rows[(rows["source"] == "listed_penalty") & (rows["value"] > 2)].iloc[0]
    assert casefile.tell(both, [], {}).startswith(
        f"penalised for listed neighbours (agent {both.other_agent} and "
        f"{both.value - 1:.0f} other listed neighbours); ")
    pulled = rows[(rows["source"] == "association") & (rows["other_agent"] >= 0)].iloc[0]
    assert f"(most by agent {pulled.other_agent}); " in res.explain(int(pulled.agent)).text


def test_events_equal_under_one_and_two_threads():
    sc = busy(days=20, agents=2000)
    trace = Trace(sample=100, ids=(7,), wrongful=True)
    one = Simulation(sc, seed=6, threads=1, trace=trace).run()
    two = Simulation(sc, seed=6, threads=2, trace=trace).run()
    assert len(one.events) > 1000
    pd.testing.assert_frame_equal(one.events, two.events)


def test_trace_wrongful_opens_a_case_file_for_every_wrongful_listing():
    """Acts and false matches for the first 5 days only; a heavy penalty per listed
    neighbour then lists neighbours wrongfully on days when no step logs anything: each
    wrongful listing is a ``listed`` row (wrongful, with its cause) in a case file."""
    sc = bare(days=25, population={"agents": 3000},
              behaviours=[{"name": "act", "rate": 0.05, "delta": -100, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.2},
              scoring={"association": {"listed_penalty": 60.0}},
              listing={"enabled": True, "threshold": 850, "duration": 60},
              timeline=[{"day": 5, "set": {"behaviours.act.rate": 0.0}}])
    res = Simulation(sc, seed=1, trace=Trace(wrongful=True)).run()
    w = res.wrongful
    quiet = w[w["day"] > 5]
    assert len(quiet) > 5 and res.metrics.loc[res.metrics["day"] > 5, "acts_act"].sum() == 0
    listed = of(res.events, "listed")
    listed = listed[listed["value"] == 1]
    pairs = set(zip(listed["day"], listed["agent"], listed["cause"], strict=True))
    assert pairs == set(zip(w["day"], w["agent"], w["cause"], strict=True))


@pytest.mark.parametrize(("gap", "told"), [
    (12.34, "12.3 points under the threshold"),
    (0.3, "0.3 points under the threshold"),
    (0.01, "less than 0.1 points under the threshold"),
    (0.0, "at the threshold: listed for a severe act"),
    (-40.0, "40.0 points above the threshold: listed for a severe act"),
    (-np.inf, "listed for a severe act (listing has no score threshold)")])
def test_a_wrongful_listing_tells_the_score_against_the_threshold(gap, told):
    """A score just under the threshold (550 when listing is below 550) is told with one
    decimal and never as "0 points under"; a listing at or above it can only come from a
    severe act, and says so (threshold minus score: ``gap``, points)."""
    row = {"day": 3, "agent": 7, "cause": "misattribution", "score": 550.0 - gap,
           "clean_score": 560.0, "threshold_gap": gap, "mistaken_for": 9,
           "falsely_reported_by": -1, "damage_misattribution": 10.0}
    res = type("Res", (), {"wrongful": pd.DataFrame([row])})()
    (line,) = casefile.wrongful_stories(res, 5)
    assert line.startswith("agent 7, day 3: wrongfully listed (score ")
    # 549.99 under 550 needs two decimals, for the score and the error-free score alike;
    # the scores come first: after "mistaken for agent 9" they read as agent 9's
    assert line.endswith(f"error-free {'560.00' if gap == 0.01 else '560.0'}, {told}), cause "
                         "misattribution; false matches cost it 10.0 points, the last "
                         "mistaking it for agent 9")


@pytest.mark.parametrize(("event", "value", "told"), [
    ("blocked_tickets", 1, "1 travel ticket blocked"),
    ("blocked_tickets", 2, "2 travel tickets blocked"),
    ("blocked_other", 3, "3 purchases or applications blocked"),
    ("privileges_used", 1, "used 1 privilege"),
    ("school_barred", 1, "barred from top schools because of its parents (listed or scored low)"),
    ("shamed", 1, "publicly shamed")])
def test_events_that_count_something_read_as_words(event, value, told):
    """A case file says "2 travel tickets blocked", not "blocked tickets: 2"."""
    row = pd.DataFrame([{"event": event, "other_agent": -1, "behaviour": "", "points": 0.0,
                         "value": float(value)}])
    (e,) = row.itertuples(index=False)
    assert casefile.tell(e, [], {}) == told


@pytest.mark.parametrize(("value", "told"), [
    (1.0, "sighted by camera (litter) — in fact agent 5, a false match; -1.0 points"),
    (0.0, "sighted by camera (litter) — in fact agent 5, a false match; dropped (impunity), "
          "no points")])
def test_a_misattribution_impunity_dropped_says_so(value, told):
    row = pd.DataFrame([{"event": "misattributed", "other_agent": 5, "behaviour": "litter",
                         "channel": "camera", "points": -value, "value": value}])
    (e,) = row.itertuples(index=False)
    assert casefile.tell(e, [], {}) == told


def listing_days(days=30, agents=3000, shaming=None):
    """``busy`` with households (children barred from top schools while a parent is
    listed), tiers (a listing moves the agent's tier), travel bans (tickets blocked from
    the listing day on) and fear: a listing day has events in most phases.
    ``shaming``: the shaming section (default: busy's, half the listed shamed, ties
    severed with probability 0.3 to 0.5)."""
    sections = copy.deepcopy(BUSY)
    if shaming is not None:
        sections["shaming"] = shaming
    return bare(days=days, population={"agents": agents, "household_size": 3.0},
                tiers=[{"name": "good", "min": 960}, {"name": "fair", "min": 930},
                       {"name": "bad", "min": 0}],
                sanctions={"enabled": True, "travel": {"air_rate": 0.5}},
                fear={"enabled": True}, **sections)


def from_listing(events: pd.DataFrame, agent: int, day: int) -> pd.DataFrame:
    """Agent ``agent``'s events from its listing on day ``day`` on: that day's from the
    listing phase (OPENS_AT) and the later days', without the rows that depend on when its
    case file opened (``traced``, ``errors_untold``; ``points`` and ``fear``, logged once a
    drift since the last row logged crosses a step)."""
    phases = list(events["phase"].cat.categories)
    mine = events[(events["agent"] == agent)
                  & ~events["event"].isin(["traced", "errors_untold", "points", "fear"])]
    after = (mine["day"] > day) | ((mine["day"] == day) & (
        mine["phase"].cat.codes >= phases.index(OPENS_AT)))
    return mine[after].reset_index(drop=True)


def test_a_wrongful_case_file_tells_the_whole_listing_day_as_a_traced_agent():
    """``--trace-wrongful`` opens a case file at the listing itself: from the listing on
    (tier, sanctions, shaming and the ties severed for it the same day, and every later
    day), each wrongfully listed agent's events are those of the same run tracing it from
    day 0 (``--trace-ids``), row for row; the two runs' results are the same."""
    sc = listing_days()
    wrongful = Simulation(sc, seed=5, trace=Trace(wrongful=True)).run()
    first = wrongful.wrongful.drop_duplicates("agent")
    agents, days = first["agent"].to_numpy()[::8], first["day"].to_numpy()[::8]
    chosen = Simulation(sc, seed=5, trace=Trace(ids=tuple(int(i) for i in agents))).run()
    pd.testing.assert_frame_equal(wrongful.metrics, chosen.metrics)
    pd.testing.assert_frame_equal(wrongful.agents, chosen.agents)
    told = set()
    for agent, day in zip(agents, days, strict=True):
        mine = from_listing(wrongful.events, agent, day)
        pd.testing.assert_frame_equal(mine, from_listing(chosen.events, agent, day))
        told |= set(mine.loc[mine["day"] == day, "event"].astype(str))
    # the listing day beyond the listing: what the case files used to leave out
    assert {"listed", "tier", "blocked_tickets", "school_barred", "shamed", "tie_severed"} <= told
    # Every shaming of an agent whose first listing was wrongful, and every tie it lost,
    # is in its case file (as the agents table counts them).
    ev, a = wrongful.events, wrongful.agents
    listings = ev[ev["event"] == "listed"].groupby("agent").size()
    first_wrongful = listings.index[listings == a.loc[listings.index, "times_listed"]]
    count = ev[ev["agent"].isin(first_wrongful)].groupby(["agent", "event"],
                                                          observed=False).size().unstack()
    assert count["shamed"].sum() > 5 and count["tie_severed"].sum() > 10
    assert (count["shamed"] == a.loc[count.index, "times_shamed"]).all()
    assert (count["tie_severed"] == a.loc[count.index, "ties_lost"]).all()


def test_a_day_is_told_in_the_order_of_its_phases():
    """Each agent's events of a day come in the order the day's phases run (``phase``:
    behave, observe, report, score, classify, sanction, shame, adapt...), in the order
    ``core.events.TOLD`` gives within a phase: a listing before the shaming and the ties
    severed because of it; ``points`` rows in the phase of their source."""
    res = Simulation(listing_days(days=20, agents=2000), seed=5,
                     trace=Trace(sample=200, wrongful=True)).run()
    ev = res.events
    assert list(ev["phase"].cat.categories)[:5] == [
        "behave", "observe", "report", "score", "classify"]
    place = {(phase, e): (k, j) for k, (phase, told) in enumerate(TOLD)
             for j, e in enumerate(told)}
    for (day, agent), rows in ev[ev["event"] != "points"].groupby(["day", "agent"]):
        told = [place[(str(r.phase), str(r.event))] for r in rows.itertuples()]
        assert told == sorted(told), (day, agent)
    assert (ev.groupby(["day", "agent"])["phase"].agg(
        lambda p: p.cat.codes.is_monotonic_increasing)).all()  # points rows too
    points = ev[ev["event"] == "points"]
    assert set(zip(points["source"], points["phase"].astype(str), strict=True)) >= {
        ("association", "score"), ("recovery", "score")}
    assert (ev.loc[ev["event"] == "tie_severed", "phase"] == "shame").all()
    severed = ev[ev["event"] == "tie_severed"].iloc[0]
    day = ev[(ev["agent"] == severed.agent) & (ev["day"] == severed.day)]
    kinds = day["event"].astype(str).tolist()
    assert kinds.index("listed") < kinds.index("shamed") < kinds.index("tie_severed")


def test_ties_severed_the_same_day_are_told_in_one_line():
    """An agent shamed on its listing day loses many ties at once: one ``tie_severed``
    row each in the events, one line in its story, after the listing and the shaming,
    naming NAMED neighbours and the count of the others."""
    sc = listing_days(days=20, agents=2000, shaming={
        "enabled": True, "probability": 1.0, "sever": {"social": 1.0}})
    res = Simulation(sc, seed=5, trace=Trace(wrongful=True)).run()
    ev = res.events
    cut = ev[ev["event"] == "tie_severed"].groupby(["agent", "day"]).size()
    (agent, day), k = cut.idxmax(), cut.max()
    assert k > casefile.NAMED + 1
    others = ev[(ev["event"] == "tie_severed") & (ev["agent"] == agent)
                & (ev["day"] == day)]["other_agent"].tolist()
    lines = [line for line in res.explain(int(agent)).text.splitlines()
             if line.startswith(f"day {day}: ")]
    named = ", ".join(str(o) for o in others[:casefile.NAMED])
    severed = (f"day {day}: {k} neighbours severed their social ties: agents {named} and "
               f"{k - casefile.NAMED} others (agent {agent}'s score ")
    assert sum(line.startswith(severed) for line in lines) == 1
    told = [line.split(": ", 1)[1][:10] for line in lines]
    assert told.index("LISTED — w") < told.index("publicly s") < told.index(
        f"{k} neighbou"[:10])
    assert not any("severed its social tie" in line for line in lines)


def tie_rows(event, others, types):
    """``event`` rows (``tie_severed``, ``cut_tie``) of one day with these other agents
    and tie types (0 family, 1 social, 2 work)."""
    return list(pd.DataFrame({"day": 4, "agent": 1, "event": event, "other_agent": others,
                              "value": [float(t) for t in types], "behaviour": "",
                              "points": 0.0, "score_after": 900.0}).itertuples(index=False))


@pytest.mark.parametrize(("event", "others", "types", "told"), [
    ("tie_severed", [12, 40], [1, 1], "2 neighbours severed their social ties: agents 12 and "
     "40"),
    ("tie_severed", [12, 40, 77, 5], [0, 1, 1, 2], "4 neighbours severed their ties "
     "(2 social, 1 family, 1 work): agents 12, 40, 77 and 5"),
    ("tie_severed", [12, 40, 77, 5, 9, 3], [1] * 6, "6 neighbours severed their social ties: "
     "agents 12, 40, 77 and 3 others"),
    ("cut_tie", [8, 2], [2, 2], "severed its work ties with 2 shamed neighbours: agents 8 "
     "and 2")])
def test_several_severed_ties_read_as_one_line(event, others, types, told):
    assert casefile.tell_ties(tie_rows(event, others, types)) == told


def test_identical_events_of_a_day_are_told_once_with_a_count():
    """Three sightings alike on one day are one line "— 3 times"; a different one, or the
    same on another day, its own line; the frame keeps every row."""
    rows = pd.DataFrame({
        "day": [3, 3, 3, 3, 4], "agent": 1, "event": "sighted",
        "behaviour": ["litter", "litter", "litter", "theft", "litter"], "channel": "cctv",
        "points": [-2.0, -2.0, -2.0, -9.0, -2.0], "score_after": [990.0] * 4 + [988.0],
        "other_agent": -1, "value": 1.0})
    assert casefile.story(rows, 1, []).splitlines() == [
        "agent 1: case file, 5 events",
        "day 3: seen by cctv (litter); -2.0 points — 3 times (score 990.0)",
        "day 3: seen by cctv (theft); -9.0 points (score 990.0)",
        "day 4: seen by cctv (litter); -2.0 points (score 988.0)"]


def test_a_story_names_behaviours_and_channels_in_words_and_skips_empty_tracing_starts():
    """Behaviours and channels read as a reader says them ("smoking in no smoking zone",
    not the scenario's key); a tracing start of a source that booked nothing worth a
    decimal (association's -0.0 before a --trace-wrongful listing) is not told, one with
    points or naming an agent is; the frame keeps every row."""
    rows = pd.DataFrame({
        "day": [2, 2, 2, 2, 2, 3], "agent": 1,
        "event": ["traced", "traced", "traced", "acted", "sighted", "misattributed"],
        "source": ["association", "true_sighting", "misattribution", "", "true_sighting",
                   "misattribution"],
        "behaviour": ["", "", "", "smoking_in_no_smoking_zone", "smoking_in_no_smoking_zone",
                      "jay_walking"],
        "channel": ["", "", "", "", "street_camera", "street_camera"],
        "points": [-0.04, -3.0, 0.0, 0.0, -3.0, -5.0], "score_after": [990.0] * 5 + [985.0],
        "other_agent": [-1, -1, 7, -1, -1, 9], "value": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]})
    assert casefile.story(rows, 1, []).splitlines() == [
        "agent 1: case file, 6 events",
        "day 2: tracing starts: -3.0 points from true sightings until now (score 990.0)",
        "day 2: tracing starts: 0 points from misattributions until now (last: agent 7) "
        "(agent 1's score 990.0)",
        "day 2: acted: smoking in no smoking zone ×1 — 1 seen by street camera "
        "(score 990.0)",
        "day 2: seen by street camera (smoking in no smoking zone); -3.0 points "
        "(score 990.0)",
        "day 3: sighted by street camera (jay walking) — in fact agent 9, a false match; "
        "-5.0 points (score 985.0)"]


def test_every_event_is_told_in_one_phase_of_the_day():
    """``core.events.TOLD`` places every kind of event (``points`` rows by their source),
    in phases that are mechanisms of the day, in day order."""
    phases, source_phase = casefile.day_phases()
    told = [e for _, events in TOLD for e in events]
    assert sorted(told) == sorted(EVENTS) and len(set(told)) == len(told)
    order = [phases.index(phase) for phase, _ in TOLD]
    assert order == sorted(order)
    assert {s.name for s in source_registry()} == set(source_phase)
    assert source_phase["record_correction"] == "classify"


def test_a_case_files_score_is_not_shown_across_a_tier_bound():
    """national-800's case files told "day 2: tier b (score 700.0)": tier b is 650 to 700,
    and the score was 699.9987, shown with one decimal (204 of 551 tier lines of a
    20,000-agent run were so). A score is shown with as many decimals as it takes to stay
    under the bound above it and at or over its own."""
    import re

    import scsim

    res = scsim.simulate("national-800", agents=2000, days=20, seed=1, trace=300)
    mins = {t.name: t.min for t in res.scenario.tiers}
    above = {name: min((m for m in mins.values() if m > low), default=np.inf)
             for name, low in mins.items()}
    tiers = of(res.events, "tier")
    scores = tiers["score_after"].to_numpy(np.float64)
    assert ((np.round(scores, 1) >= 700) & (scores < 700)).any()  # the case in point
    told = 0
    for agent in tiers["agent"].unique():
        for name, shown in re.findall(r"^day \d+: tier (\w+) \(score ([\d.]+)\)$",
                                      res.explain(int(agent)).text, re.M):
            told += 1
            assert mins[name] <= float(shown) < above[name], (agent, name, shown)
    assert told == len(tiers)
    assert casefile.shown_score(699.9987, (550, 650, 700)) == "699.999"
    assert casefile.shown_score(549.96, (550, 650, 700)) == "549.96"
    assert casefile.shown_score(612.34, (550, 650, 700)) == "612.3"  # one decimal as before
    assert casefile.shown_score(700.0, (550, 650, 700)) == "700.0"


def test_an_untraced_agent_nothing_booked_points_to():
    """In a run without the system nothing books points: the untraced agent's file says
    so instead of ending on "Points by source:" with nothing after it."""
    from scsim import load_scenario, simulate

    res = simulate(load_scenario("no-system", agents=300, days=5), seed=1)
    text = res.explain(7).text
    assert text.endswith("No source booked it any points.") and "Points by source" not in text


def test_a_case_file_of_one_event_says_1_event():
    """"agent 1: case file, 1 events" read as a slip: one event, or none, in words."""
    rows = pd.DataFrame({"day": [3], "agent": 1, "event": "sighted", "behaviour": "litter",
                         "channel": "cctv", "points": [-2.0], "score_after": [990.0],
                         "other_agent": -1, "value": 1.0})
    assert casefile.story(rows, 1, []).splitlines() == [
        "agent 1: case file, 1 event", "day 3: seen by cctv (litter); -2.0 points (score 990.0)"]
    res = scsim.simulate("national-800", agents=300, days=3, seed=1, trace=[5])
    assert res.explain(299).text.startswith("agent 299 was not traced")
    if not (res.events["agent"] == 5).any():
        assert res.explain(5).text.startswith("agent 5: case file, no events: nothing was "
                                              "logged for it from day 0")


@pytest.mark.parametrize(("points", "told"), [
    (2.46, "+2.5"), (-0.3, "-0.3"), (-0.0046, "-0.0046"), (0.0499, "+0.050"),
    (0.00012, "+0.00012"), (0.000012, "+<0.0001"), (-1e-12, "-<0.0001"), (0.0, "0"),
    (-0.0, "0")])
def test_points_never_read_as_a_signed_zero(points, told):
    """An untraced agent's points by source read "association: -0.0" and "recovery: +0.0"
    for a few thousandths of a point: a small amount has two significant digits, a tiny one
    a bound, and nothing is 0 without a sign."""
    assert casefile.signed_points(points) == told


def test_an_untraced_agents_small_points_are_not_a_signed_zero():
    """national-800 books each agent a few thousandths of a point of association and
    recovery in 5 days: every line of points by source shows a value other than 0."""
    import re

    res = scsim.simulate("national-800", agents=300, days=5, seed=0)
    lines = [line for agent in range(20) for line in res.explain(agent).text.splitlines()
             if line.startswith("  ")]
    assert lines and not [line for line in lines if re.search(r"[+-]0(\.0+)?$", line)]
    assert any(re.search(r": [+-]0\.00\d+$|<0\.0001$", line) for line in lines)


def test_a_refused_trace_names_the_option_as_the_caller_gave_it():
    """A refusal named "--trace-ids (trace=)" on the command line, a Python argument name
    there: it names the option the caller used, --trace-ids on the command line (a Trace
    with spelling="cli", as the CLI makes it) and trace= in Python."""
    from scsim.errors import ScsimError

    sc = bare(days=2, population={"agents": 100})
    with pytest.raises(ScsimError) as python:
        Simulation(sc, trace=[3, 600])
    assert str(python.value).startswith("trace=[3, 600]: no agent 600 in a run of 100 agents "
                                        "(ids are 0 to 99)")
    with pytest.raises(ScsimError) as cli:
        Simulation(sc, trace=Trace(ids=(3, 600), spelling="cli"))
    assert str(cli.value).startswith("--trace-ids 3,600: no agent 600 in a run of 100 agents")
    assert "trace=" not in str(cli.value)
    with pytest.raises(ScsimError, match=r"^--trace -1: the number of agents to trace is "
                                         r"negative"):
        Simulation(sc, trace=Trace(sample=-1, spelling="cli"))
    with pytest.raises(ScsimError, match=r"^trace=Trace\(sample=100001, ids=\[0, 1, 2, 3, 4, "
                                         r"…\]\): at most 100,000 agents"):
        Simulation(sc, trace=Trace(sample=100_001, ids=tuple(range(10))))
    with pytest.raises(ScsimError, match=r"^--trace 100001 and --trace-ids 0,1,2,3,4,…: at "
                                         r"most 100,000 agents"):
        Simulation(sc, trace=Trace(sample=100_001, ids=tuple(range(10)), spelling="cli"))
    # the spelling changes no run: equal requests, stored alike
    assert Trace(ids=(3,), spelling="cli") == Trace(ids=(3,))
    assert Trace(ids=(3,), spelling="cli").request() == {"sample": 0, "ids": [3],
                                                         "wrongful": False, "listed": 0}
    with pytest.raises(ScsimError, match=r"^--trace-listed -2: the number of agents to "
                                         r"trace is negative"):
        Simulation(sc, trace=Trace(listed=-2, spelling="cli"))
    with pytest.raises(ScsimError, match=r"^trace=Trace\(listed=100001\): at most 100,000 "
                                         r"agents get case files \(asked for 100,001\)"):
        Simulation(sc, trace=Trace(listed=100_001))


def test_trace_listed_opens_the_case_files_of_the_first_listed():
    """``Trace(listed=K)`` (``--trace-listed K``) opens a case file at the listing of
    each of the first K agents listed in the run (by day, then by id), rightfully or not,
    so that why someone was listed can be read when a random sample holds nobody listed:
    from the listing on, each one's events are those of the same run tracing everyone
    from day 0, row for row; with ``wrongful`` the wrongfully listed come on top; the
    run's results are those of the run without case files; the request is kept as the
    store keeps it (``requested``)."""
    sc = listing_days()
    everyone = Simulation(sc, seed=5, trace=Trace(ids=tuple(range(3000)))).run()
    firsts = of(everyone.events, "listed").sort_values(["day", "agent"]).drop_duplicates(
        "agent")  # (its value: 1 wrongfully, 0 rightfully)
    assert len(firsts) > 40
    k = 25
    res = Simulation(sc, seed=5, trace=Trace(listed=k)).run()
    pd.testing.assert_frame_equal(res.metrics, everyone.metrics)
    pd.testing.assert_frame_equal(res.agents, everyone.agents)
    first = firsts.head(k)
    traced = res.traced.set_index("agent")
    assert sorted(traced.index) == sorted(first["agent"])
    assert (traced.loc[first["agent"], "from_day"].to_numpy() == first["day"].to_numpy()).all()
    rightful = [int(a) for a in first["agent"] if not res.agents.loc[a, "wrongful_listings"]]
    assert rightful  # the point: people listed rightfully get a case file too
    for agent, day in zip(first["agent"], first["day"], strict=True):
        pd.testing.assert_frame_equal(from_listing(res.events, agent, day),
                                      from_listing(everyone.events, agent, day))
    story = res.explain(rightful[0]).text
    assert f"day {int(traced.loc[rightful[0], 'from_day'])}: LISTED" in story
    both = Simulation(sc, seed=5, trace=Trace(listed=k, wrongful=True)).run()
    wrongly = set(both.wrongful["agent"])
    assert set(both.traced["agent"]) == set(first["agent"]) | wrongly > set(first["agent"])
    assert Trace.requested(Trace(listed=k, wrongful=True).request()) == Trace(
        listed=k, wrongful=True)
    # a shorthand Trace.of does not know names the Trace that asks for it
    with pytest.raises(ScsimError, match=r"scsim\.Trace\(sample=\.\.\., ids=\.\.\., "
                                         r"wrongful=\.\.\., listed=\.\.\.\)$"):
        Trace.of("listed")


def test_what_errors_cost_a_wrongful_listing_keeps_its_small_amounts():
    """A wrongful listing caused by association, its gap a few hundredths of a point, read
    "errors in its neighbours' records cost it 0.0 points" (a teacher took it for a
    contradiction): amounts under 0.05 points keep two significant digits."""
    from scsim.outputs.casefile import _damage_points

    assert [_damage_points(x) for x in (12.34, 0.05, 0.031, -0.0042, 0.0, float("nan"))] == [
        "12.3 points", "0.1 points", "0.031 points", "-0.0042 points", "0.0 points", "points"]


def test_on_the_list_before_the_run_is_told_and_counts_as_first_listed():
    """court-blacklist lists its initial stock before day 0: a traced agent of it had a
    case file of "no events" (nothing was listed during the run), and ``--trace-listed``
    traced nobody though hundreds were listed. Such an agent's case file opens with
    ``listed_at_start`` and the day its listing ends; ``Trace(listed=K)`` takes the first
    K on the list at day 0 (by id) before anyone listed later, traced from day 0."""
    sc = scsim.load_scenario("court-blacklist", agents=2000, days=20)
    sim = Simulation(sc, seed=1)
    start = np.flatnonzero((sim.state.agents["status"] & LISTED) != 0)
    until = sim.state.agents["listed_until"][start]
    assert len(start) > 5
    res = Simulation(sc, seed=1, trace=Trace(listed=4)).run()
    traced = res.traced.set_index("agent")
    assert sorted(traced.index) == list(start[:4]) and (traced["from_day"] == 0).all()
    told = of(res.events, "listed_at_start")
    assert list(told["agent"]) == list(start[:4]) and (told["day"] == 0).all()
    assert list(told["value"]) == list(until[:4])
    assert res.explain(int(start[0])).text.splitlines()[2] == (
        f"day 0: on the list from before the run (listed before day 0), until day "
        f"{until[0]:,} (score 1000.0)")
    # by id, the same: told whoever traced it; an agent not on the list is not
    chosen = Simulation(sc, seed=1, trace=Trace(ids=(int(start[5]), 0))).run()
    told = of(chosen.events, "listed_at_start")
    assert list(told["agent"]) == [start[5]] and start[5] != 0


def test_an_untraced_agent_ever_listed_is_told_so():
    """"Why was agent X listed?" of an agent without a case file got its points by source
    and nothing of its listings: it says how often and how long, from the agents table."""
    res = scsim.simulate("national-800", agents=300, days=30, seed=1,
                         overrides={"listing.threshold": 695})
    row = res.agents[res.agents["times_listed"] > 0].iloc[0]
    text = res.explain(int(row["agent"])).text
    first = text.splitlines()[0]
    end = ", and listed at the end" if row["listed"] else ""
    assert (f"at the start; listed {int(row['times_listed'])} time"
            f"{'s' if row['times_listed'] > 1 else ''}, {int(row['days_listed'])} days in "
            f"all{end}. Points by source:") in first
    never = int(res.agents.loc[res.agents["times_listed"] == 0, "agent"].iloc[0])
    assert "listed" not in res.explain(never).text.splitlines()[0]
