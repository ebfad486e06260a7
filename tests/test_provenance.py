"""Provenance: every point booked to its source, wrongful listings with their causes, case
files (MODEL.md, "Provenance"; docs/provenance.md)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import bare, left_out_on_purpose, run, run_cli
from golden import RUNS, scenario_of
from scsim.core.blocks import BLOCK, region_segments
from scsim.core.engine import Simulation
from scsim.core.source import CAUSES, source_registry
from scsim.errors import ScsimError
from scsim.outputs.casefile import MAX_TRACED, Trace

F32_ULP = float(np.spacing(np.float32(2048.0)))  # rounding step of float32 scores up to 2048


def identity_gap(agents: pd.DataFrame, score: str, prefix: str) -> np.ndarray:
    """score − starting score − the sum of the agent's points by source (points)."""
    booked = agents[[c for c in agents.columns if c.startswith(prefix)]].astype(float)
    return agents[score].astype(float) - agents["start_score"] - booked.sum(axis=1)


@pytest.mark.parametrize("label", sorted(RUNS))
def test_score_minus_start_is_the_sum_of_its_sources(label):
    """For every agent of every built-in scenario (the golden runs, which make every phase
    do real work), on the recorded and the error-free score. Scores are float32: each day
    rounds them by at most half a step, and each source's float32 total as much."""
    settings = RUNS[label]
    if not any(o.startswith("timeline") for o in settings["overrides"]):
        settings = dict(settings, days=min(settings["days"], 45))
    with left_out_on_purpose(f"days={settings['days']}"):  # (high-control's abolition)
        sc = scenario_of(settings)
    res = Simulation(sc, seed=settings["seed"]).run()
    a = res.agents
    tolerance = 2 * sc.days * F32_ULP
    for score, prefix in (("score", "points_"), ("clean_score", "clean_points_")):
        gap = identity_gap(a, score, prefix)
        assert np.abs(gap).max() <= tolerance, (label, score, np.abs(gap).max())
    # The daily metrics add up to the agents' totals, and so do the group and region series.
    for name in res.names.sources:
        total = a[f"points_{name}"].astype(float).sum()
        assert res.metrics[f"points_{name}"].sum() == pytest.approx(total, abs=1e-3 * max(
            1.0, abs(total)))
        for table in (res.groups, res.regions):
            assert table[f"points_{name}"].sum() == pytest.approx(
                res.metrics[f"points_{name}"].sum(), rel=1e-9, abs=1e-6)
    assert (res.metrics[[f"wrongful_by_{c}" for c in CAUSES]].sum(axis=1)
            == res.metrics["wrongful_new"]).all()
    assert len(res.wrongful) == res.metrics["wrongful_new"].sum()


def test_segments_cut_blocks_at_region_boundaries():
    """The day's tallies are kept by segment: a block's agents of one region. An agent's
    segment is found from its block and its region's offset in the block, an empty region
    inside a block getting an empty segment, so region sums are exact."""
    n = 2 * BLOCK + 100
    region_start = np.array([0, 100, 100, BLOCK + 50, n])  # region 1 has nobody
    region = np.repeat(np.arange(4), np.diff(region_start)).astype(np.uint16)
    seg_base, seg_start, seg_region = region_segments(region, region_start)
    assert seg_region.tolist() == [0, 1, 2, 2, 3, 3]
    assert seg_base.tolist() == [0, 3, 5, 6]
    assert seg_start.tolist() == [0, 100, 100, BLOCK, BLOCK + 50, 2 * BLOCK, n]
    i = np.arange(n)
    seg = seg_base[i // BLOCK] + region.astype(np.int64) - region[i // BLOCK * BLOCK]
    assert (seg_start[seg] <= i).all() and (i < seg_start[seg + 1]).all()
    assert (seg_region[seg] == region).all()


def test_group_and_region_series_add_up_to_the_agents_totals():
    """Each region's (group's) daily points of a source, summed over the days, are the
    points its agents' ledgers hold (float32 totals), in a run whose regions straddle
    blocks of agents."""
    with left_out_on_purpose("days=20"):  # (the golden run's policy change of day 100)
        sc = scenario_of(dict(RUNS["national-800"], agents=3 * BLOCK, days=20))
    res = Simulation(sc, seed=5).run()
    a = res.agents
    assert a["region"].nunique() > 3 and len(a) > 2 * BLOCK
    for table, key in ((res.regions, "region"), (res.groups, "group")):
        for prefix in ("points_", "clean_points_"):
            for name in res.names.sources if prefix == "points_" else res.names.clean_sources:
                col = prefix + name
                daily = table.groupby(key, observed=True)[col].sum()
                held = a.groupby(key, observed=True)[col].apply(
                    lambda c: c.astype(float).sum())
                scale = max(1.0, a[col].abs().sum())
                assert np.allclose(daily.to_numpy(), held.reindex(daily.index).to_numpy(),
                                   rtol=0, atol=1e-5 * scale), (key, col)
    assert res.regions["points_true_sighting"].abs().sum() > 0


def two_agents(days=5, **sections):
    """Two agents of one household (one family tie) in one region; agent 1 never acts."""
    sc = bare(days=days, population={"agents": 2, "household_size": 2.0},
              network={"kind": "none", "family_ties": True}, **sections)
    return sc


THEFT = [{"name": "theft", "rate": 1.0, "delta": -200, "channel": "camera"}]
LISTING = {"enabled": True, "threshold": 900, "duration": 30}


def test_one_misattribution_causes_one_wrongful_listing_naming_the_actor():
    """Agent 0 steals in front of a camera that always mistakes it for agent 1: agent 1 is
    wrongfully listed once, by misattribution, and its case file names agent 0."""
    sc = two_agents(behaviours=THEFT, listing=LISTING,
                    surveillance={"channels": {"camera": {"coverage": 1.0,
                                                          "facial_recognition": True}},
                                  "misattribution": 1.0})
    sim = Simulation(sc, seed=1, trace=Trace(ids=(1,)))
    assert list(sim.state.net.neighbour_ids()) == [1, 0]
    sim.state.agents["propensity"][1] = 0.0
    res = sim.run()
    assert res.agents["acts_theft"].tolist()[1] == 0 and res.agents["acts_theft"][0] > 0
    w = res.wrongful
    assert len(w) == 1 and res.metrics["wrongful_new"].sum() == 1
    row = w.iloc[0]
    assert (row.agent, row.cause, row.mistaken_for, row.falsely_reported_by) == (
        1, "misattribution", 0, -1)
    assert row.damage_misattribution == -row.points_misattribution > 0
    # The actor's own record is untouched; its error-free score carries its acts.
    actor = res.agents.iloc[0]
    assert actor["points_true_sighting"] == 0 and actor["clean_points_true_sighting"] < 0
    case = res.explain(1)
    assert case.traced
    sightings = case.frame[case.frame["source"] == "misattribution"]
    assert (sightings["other_agent"] == 0).all() and len(sightings) > 0
    assert (sightings["channel"] == "camera").all()
    assert "in fact agent 0, a false match" in case.text
    assert "LISTED — wrongfully (cause: misattribution)" in str(case)


def test_false_report_by_a_named_neighbour():
    """Agent 0 files false reports against its only neighbour, agent 1, who never acts."""
    sc = two_agents(behaviours=[{"name": "theft", "rate": 1e-9, "delta": -200,
                                 "channel": "camera"}], listing=LISTING,
                    surveillance={"channels": {"camera": {"coverage": 0.0}}},
                    reports={"enabled": True, "false_rate": 1.0, "accept": 1.0})
    sim = Simulation(sc, seed=1, trace=Trace(wrongful=True))
    sim.state.agents["malice"][1] = 0.0
    res = sim.run()
    w = res.wrongful
    assert len(w) == 1
    assert (w.iloc[0].agent, w.iloc[0].cause, w.iloc[0].falsely_reported_by) == (
        1, "false_report", 0)
    case = res.explain(1)
    assert "falsely reported by agent 0" in case.text
    assert res.agents["points_false_report"].tolist()[0] == 0.0


def test_a_severe_act_pinned_by_a_false_report_is_its_cause_whatever_association_took():
    """A severe act lists whatever the score: a false report of one lists an innocent far
    above the threshold. Association with falsely reported neighbours takes points too, and
    since the gap to the threshold is negative any damage "covered" it: nearly every such
    listing was put down to "several". Association cannot put an act on a record: the
    cause is the false report."""
    sc = bare(days=30, population={"agents": 1500},
              behaviours=[{"name": "protest", "rate": 1e-9, "delta": -20, "severe": True,
                           "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.0}}},
              reports={"enabled": True, "false_rate": 0.02, "accept": 1.0},
              scoring={"association": {"alpha": 0.1}},
              listing={"enabled": True, "threshold": 100, "duration": 60})
    res = Simulation(sc, seed=1, trace=Trace(wrongful=True)).run()
    w = res.wrongful
    assert len(w) > 20 and (w["threshold_gap"] < 0).all()  # listed far above it
    assert (w["damage_false_report"] >= 20).all()
    assert (w["damage_association"] > 0.01).sum() > len(w) / 2  # it did take points
    assert (w["cause"] == "false_report").all(), w["cause"].value_counts()
    # The case file says why someone so far above the threshold was listed.
    story = res.explain(int(w["agent"].iloc[0])).text
    assert "LISTED on a severe act (whatever the score) — wrongfully (cause: false report)" in (
        story)


def test_listing_by_association_with_wrongly_listed_neighbours():
    """Misattributions list some agents wrongly; a heavy penalty per listed neighbour then
    lists their neighbours: cause association when that damage alone covers the gap to the
    threshold and no other error's does; many have no other error against them at all.
    Each had a wrongfully listed neighbour."""
    sc = bare(days=40, behaviours=[{"name": "act", "rate": 0.05, "delta": -100,
                                    "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.2},
              scoring={"association": {"listed_penalty": 60.0}},
              listing={"enabled": True, "threshold": 850, "duration": 60})
    res, sim = run(sc)
    w = res.wrongful
    assoc = w[w["cause"] == "association"]
    gap = assoc["threshold_gap"]
    assert (assoc["damage_association"] >= gap).all()
    assert (assoc["damage_misattribution"] < gap).all()
    assert (assoc["damage_false_report"] == 0).all()
    assert ((assoc["damage_misattribution"] == 0).sum()) > 10
    several = w[w["cause"] == "several"]
    assert ((several[["damage_misattribution", "damage_association"]].ge(
        several["threshold_gap"], axis=0)).sum(axis=1) != 1).all()
    # Each had a neighbour wrongfully listed before it.
    net = sim.state.net
    first = w.groupby("agent")["day"].min()
    for agent, day in assoc[["agent", "day"]].head(20).itertuples(index=False):
        nbrs = net.neighbour_ids()[net.indptr[agent]:net.indptr[agent + 1]]
        assert any(first.get(j, day + 1) <= day for j in nbrs), agent
    # The cause counts are the metric columns.
    for cause in CAUSES:
        assert res.metrics[f"wrongful_by_{cause}"].sum() == (w["cause"] == cause).sum()


def test_case_files_equal_under_one_and_two_threads():
    sc = bare(days=30, behaviours=[{"name": "act", "rate": 0.1, "delta": -30,
                                    "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.1},
              scoring={"association": {"alpha": 0.05, "listed_penalty": 5.0},
                       "recovery": 0.01},
              listing={"enabled": True, "threshold": 930, "duration": 10})
    trace = Trace(sample=40, ids=(5, 9000), wrongful=True)
    one = Simulation(sc, seed=3, threads=1, trace=trace).run()
    two = Simulation(sc, seed=3, threads=2, trace=trace).run()
    assert len(one.events) > 100
    pd.testing.assert_frame_equal(one.events, two.events)
    pd.testing.assert_frame_equal(one.wrongful, two.wrongful)
    for table in ("regions", "groups", "metrics"):  # the day's tallies, summed by block
        pd.testing.assert_frame_equal(getattr(one, table), getattr(two, table))


def test_trace_sizes_and_ids_are_checked():
    sc = bare(days=2, population={"agents": 100})
    with pytest.raises(ScsimError, match="no agent 100"):
        Simulation(sc, trace=Trace(ids=(100,)))
    with pytest.raises(ScsimError, match=f"at most {MAX_TRACED:,}"):
        Simulation(sc, trace=Trace(sample=MAX_TRACED + 1))
    sim = Simulation(sc, seed=4, trace=Trace(sample=10))
    again = Simulation(sc, seed=4, trace=Trace(sample=10))
    other = Simulation(sc, seed=5, trace=Trace(sample=10))
    files = [next(s for s in x.steps if s.name == "casefiles").traced
             for x in (sim, again, other)]
    assert len(files[0]) == 10 and (files[0] == files[1]).all()
    assert not (files[0] == files[2]).all()


def test_every_source_has_words():
    names = [s.name for s in source_registry()]
    assert len(names) == len(set(names))
    for s in source_registry():
        assert s.label and s.description
    assert {"true_sighting", "misattribution", "true_report", "false_report", "association",
            "listed_penalty", "group_bonus", "recovery", "clamping",
            "representative_penalty"} <= set(names)


def test_every_source_is_described_in_plain_words_with_its_setting_in_parentheses():
    """The dashboard shows each source's description to teachers in a person's record:
    "the pull toward the weighted mean of active neighbours' scores (alpha per day ...)",
    "points a clamp to [scoring.min, scoring.max] added or took". Each now says what it is
    in plain words first, and names the setting that sets it (a real scenario key) only in
    parentheses, for those who look it up; no symbol of the model's formulas."""
    import re

    from scsim.scenario.reference import reference_markdown

    keys = reference_markdown()
    symbols = re.compile(r"\b(alpha|beta|rho|s_min|s_max|s0|delta)\b|\[")
    setting = re.compile(r"\b[a-z_]+(?:\.[a-z_]+)+\b")
    for s in source_registry():
        plain = re.sub(r"\s*\([^()]*\)", "", s.description)  # without its asides
        assert plain.split()[0].islower() and len(plain.split()) >= 8, s.name
        assert not re.search(r"\w[._]\w", plain), (s.name, plain)  # no setting, no name
        assert not symbols.search(setting.sub("", s.description)), (s.name, s.description)
        for name in setting.findall(s.description):
            assert f"`{name}`" in keys, (s.name, name)
    named = {s.name: s.description for s in source_registry()}
    assert "(scoring.association.alpha: the share of the gap closed each day;" in (
        named["association"])
    assert named["clamping"].endswith("(scoring.min and scoring.max)")


def test_explain_and_sources_commands(monkeypatch, capsys, tmp_path):
    store = str(tmp_path / "store")
    code, _, err = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "3000",
                           "--days", "60", "--store", store, "--quiet", "--trace-ids", "7",
                           "--trace-wrongful", "--set", "surveillance.misattribution=0.05",
                           "--set", "listing.threshold=690")
    assert code == 0, err
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "7", "--store", store)
    assert code == 0 and out.startswith("agent 7: case file")
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "--wrongful", "3",
                           "--store", store)
    assert code == 0 and "wrongfully listed (score " in out and "), cause " in out
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "7", "--csv",
                           "--store", store)
    assert code == 0 and out.splitlines()[0].startswith("day,agent,event,source,points")
    code, out, _ = run_cli(monkeypatch, capsys, "sources", "last", "--store", store)
    assert code == 0 and "misattribution" in out and "wrongful listings:" in out
    # Without an agent: who has a case file, the wrongfully listed first, then agent 7.
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "--csv", "--store", store)
    listed = pd.read_csv(io.StringIO(out))
    res = scsim.open_store(store).load("last")
    wrongful = sorted(res.wrongful["agent"].unique())
    assert code == 0 and list(listed["agent"]) == [*wrongful, 7] and 7 not in wrongful
    assert list(listed["events"]) == [int((res.events["agent"] == a).sum())
                                      for a in listed["agent"]]
    assert (listed["wrongful_listings"].iloc[:-1] > 0).all()
    # A wrongfully listed agent's case file opens on the day of its first wrongful listing.
    first = res.wrongful.groupby("agent")["day"].min()
    assert list(listed["from_day"]) == [*first.loc[wrongful], 0]
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "--store", store)
    assert code == 0 and "agents with a case file" in out and "AGENT tells one" in out
    code, _, err = run_cli(monkeypatch, capsys, "explain", "last", "7", "--wrongful", "2",
                           "--store", store)
    assert code == 2 and "AGENT or --wrongful K, not both" in err
    code, _, err = run_cli(monkeypatch, capsys, "run", "mesa-parity", "--agents", "500",
                           "--days", "5", "--store", store, "--quiet")
    assert code == 0, err
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "--store", store)
    assert code == 0 and "has a case file: run it again with --trace N" in out
    code, _, err = run_cli(monkeypatch, capsys, "explain", "last", "999999", "--store", store)
    assert code == 2 and "no agent 999999" in err
    code, out, _ = run_cli(monkeypatch, capsys, "query", "SELECT count(*) AS n FROM events "
                           "WHERE agent = 7", "--store", store)
    assert code == 0


def test_case_files_survive_a_checkpoint(tmp_path):
    """A traced run saved on day 12 and resumed logs the same events as one never stopped
    (the traced agents and their snapshots travel in the checkpoint)."""
    sc = bare(days=25, population={"agents": 3000},
              behaviours=[{"name": "act", "rate": 0.1, "delta": -40, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.2},
              listing={"enabled": True, "threshold": 900, "duration": 5})
    trace = Trace(sample=30, wrongful=True)
    whole = Simulation(sc, seed=2, trace=trace).run()
    sim = Simulation(sc, seed=2, trace=trace)
    sim.run_until(12)
    sim.save(tmp_path / "ck")
    resumed = Simulation.load(tmp_path / "ck").run()
    assert len(whole.events) > 50 and len(whole.wrongful) > 5
    pd.testing.assert_frame_equal(whole.events, resumed.events)
    pd.testing.assert_frame_equal(whole.provenance["traced"], resumed.provenance["traced"])
    assert (whole.traced["from_day"] > 12).any()  # some opened after the checkpoint
    pd.testing.assert_frame_equal(whole.wrongful, resumed.wrongful)


def test_compare_reports_each_source_and_cause():
    """A paired comparison's headline rows hold the change in each source's points and in
    wrongful listings by cause; misattributions only exist under B."""
    from scsim.analysis.compare import compare

    base = {"days": 30, "behaviours": [{"name": "act", "rate": 0.1, "delta": -40,
                                        "channel": "camera"}],
            "listing": {"enabled": True, "threshold": 900, "duration": 5}}
    a = bare(**base, population={"agents": 3000},
             surveillance={"channels": {"camera": {"coverage": 0.5,
                                                   "facial_recognition": True}}})
    b = bare(**base, population={"agents": 3000},
             surveillance={"channels": {"camera": {"coverage": 0.5,
                                                   "facial_recognition": True}},
                           "misattribution": 0.2})
    rows = compare(a, b, seed=1, reps=2).metrics(headline=True).set_index("metric")
    for name in ("points_true_sighting", "points_misattribution", "wrongful_by_misattribution",
                 "wrongful_by_several"):
        assert name in rows.index
    mis = rows.loc["points_misattribution"]
    assert mis["a"] == 0 and mis["b"] < 0 and mis["hi"] < 0
    assert rows.loc["wrongful_by_misattribution", "b"] > 0


def test_nothing_can_err_keeps_the_error_free_ledger_equal():
    """mesa-parity has no facial recognition and no false reports (``Names.errors`` is
    false, so the score phase does not gather the error-free scores and the breakdown does
    not sum the error-free ledger): the error-free score, ledger, daily points and group
    and region series still equal the recorded ones bit for bit. Misattribution or false
    reports switched on (in any epoch of the timeline) make ``Names.errors`` true."""
    sc = scenario_of(dict(RUNS["mesa-parity"], agents=2000, days=20))
    sim = Simulation(sc, seed=3)
    assert not sim.names.errors
    res = sim.run()
    a = res.agents
    assert (a["clean_score"] == a["score"]).all()
    for name in res.names.clean_sources:
        assert (a[f"clean_points_{name}"] == a[f"points_{name}"]).all(), name
        for table in (res.metrics, res.groups, res.regions):
            assert (table[f"clean_points_{name}"] == table[f"points_{name}"]).all(), name
    assert res.metrics["points_association"].abs().sum() > 0  # the ledger is not empty
    camera = {"camera": {"coverage": 0.5, "facial_recognition": True}}
    for changed in (
            bare(surveillance={"channels": camera, "misattribution": 0.01}),
            bare(reports={"enabled": True, "false_rate": 0.001}),
            bare(days=10, surveillance={"channels": camera},
                 timeline=[{"day": 5, "set": {"surveillance.misattribution": 0.01}}])):
        assert Simulation(changed, seed=1).names.errors
    assert not Simulation(bare(surveillance={"channels": camera}), seed=1).names.errors


def test_impunity_alone_keeps_the_error_free_score_apart():
    """Impunity drops sightings of the powerful from the recorded score only: with no other
    error, ``Names.errors`` is still true and the error-free score takes the dropped
    points (lower than the recorded one for a penalised act, never higher)."""
    camera = {"camera": {"coverage": 1.0, "facial_recognition": False}}
    sc = bare(days=30, population={"agents": 2000}, surveillance={"channels": camera},
              behaviours=[{"name": "act", "rate": 0.2, "delta": -5, "channel": "camera"}],
              impunity={"enabled": True, "quantile": 0.5, "p_impunity": 1.0})
    res, sim = run(sc)
    assert sim.names.errors
    gap = res.agents["score"] - res.agents["clean_score"]
    assert (gap >= -1e-3).all() and (gap > 0).sum() > 0.3 * len(gap)  # about half shielded


@pytest.mark.parametrize("win", [0.5, 0.0])
def test_case_files_log_each_appeal_won(win):
    """Everyone traced: one ``appeal_won`` event (with a ``delisted`` one the same day) per
    appeal won that the metrics count, and none when appeals never win."""
    sc = bare(days=40, population={"agents": 2000},
              behaviours=[{"name": "act", "rate": 0.1, "delta": -40, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5}}},
              listing={"enabled": True, "threshold": 900, "duration": 20,
                       "appeals": {"rate": 0.2, "win": win}})
    res = Simulation(sc, seed=3, trace=Trace(sample=2000)).run()
    won = res.events[res.events["event"] == "appeal_won"]
    assert res.metrics["appeals"].sum() > 20
    assert len(won) == res.metrics["appeals_won"].sum()
    assert (len(won) > 10) == (win > 0)
    delisted = res.events[res.events["event"] == "delisted"].set_index(["day", "agent"])
    assert won.set_index(["day", "agent"]).index.isin(delisted.index).all()


def test_the_story_of_a_wrongful_listing_says_what_each_kind_of_error_cost():
    """Four false reports took 40 points, and the story named only the last reporter, whose
    report was the smallest, as if it were the one: it says what all of them cost."""
    from types import SimpleNamespace

    from scsim.outputs.casefile import _who

    row = SimpleNamespace(mistaken_for=-1, falsely_reported_by=673, damage_false_report=40.0,
                          damage_misattribution=0.0)
    assert _who(row) == "; false reports cost it 40.0 points, the last filed by agent 673"
    both = SimpleNamespace(mistaken_for=12, falsely_reported_by=5, damage_misattribution=5.0,
                           damage_false_report=1234.5)
    assert _who(both) == ("; false matches cost it 5.0 points, the last mistaking it for "
                          "agent 12; false reports cost it 1,234.5 points, the last filed by "
                          "agent 5")


def test_trace_listed_on_the_command_line(monkeypatch, capsys, tmp_path):
    """``--trace-listed 4``: case files of the first 4 agents listed (by day, then id),
    each opening on the day of its first listing; the store keeps the request, which
    ``scsim check --repair rerun`` traces again (``Trace.requested``)."""
    import json

    from scsim.outputs.casefile import Trace

    store = str(tmp_path / "store")
    code, _, err = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "2000",
                           "--days", "40", "--store", store, "--quiet", "--trace-listed",
                           "4", "--set", "listing.threshold=690")
    assert code == 0, err
    res = scsim.open_store(store).load("last")
    traced = res.traced.set_index("agent")
    assert len(traced) == 4 and (traced["times_listed"] > 0).all()
    request = scsim.open_store(store).query("SELECT trace FROM runs")["trace"].iloc[0]
    assert Trace.requested(json.loads(request)) == Trace(listed=4)
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "--csv", "--store", store)
    told = pd.read_csv(io.StringIO(out))
    assert code == 0 and sorted(told["agent"]) == sorted(traced.index)
    for agent, day in traced["from_day"].items():
        assert f"day {day}: LISTED" in res.explain(int(agent)).text
    code, _, err = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "200",
                           "--days", "5", "--store", store, "--quiet", "--trace-listed", "-1")
    assert code == 2 and "'--trace-listed': Input should be greater than or equal to 0" in (
        " ".join(err.split()))
