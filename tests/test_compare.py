"""Paired comparisons under common random numbers, and what differs between scenarios."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import left_out_on_purpose, run_cli
from scsim.analysis.compare import SWITCHES_NOTE, compare, compare_results, is_daily_count
from scsim.core.params import Names
from scsim.errors import ScenarioWarning, ScsimError
from scsim.outputs.headline import NEGLIGIBLE_ACTS, acts_headline, comparison_headline
from scsim.outputs.metrics import metric_columns
from scsim.scenario.diff import (
    changed_settings,
    differences,
    flatten,
    overrides,
    population_key,
)
from scsim.store import open_store

BUSY = {"listing.threshold": 685}  # enough listings at a few thousand agents


def national(days=60, **extra):
    return scsim.load_scenario("national-800", agents=4000, days=days,
                               overrides={**BUSY, **extra})


def test_scenario_differences_and_overrides():
    base = scsim.load_scenario("national-800")
    changed = scsim.load_scenario("national-800", agents=500, overrides={
        "behaviours.bad_driving.rate": 0.5, "surveillance.misattribution_factor": {}})
    assert differences(base, changed) == {
        "population.agents": (10_000, 500),
        "behaviours.bad_driving.rate": (0.02, 0.5),
        "surveillance.misattribution_factor.minority": (3, None)}
    assert overrides(base, changed)["behaviours.bad_driving.rate"] == 0.5
    assert "behaviours.bad_driving.rate" in flatten(base.model_dump(mode="json"))
    assert population_key(base) == population_key(scsim.load_scenario("no-system"))
    assert population_key(base) != population_key(changed)


def test_a_shorter_run_changes_its_length_not_its_timeline():
    """high-control abolishes detention on day 365; a 60-day run never gets there (the
    loader drops the step): it changed its days, not the timeline, and is the built-in's
    own run. A timeline emptied by hand before the step's day is still a change."""
    base = scsim.load_scenario("high-control")
    assert [step.day for step in base.timeline] == [365]
    with pytest.warns(ScenarioWarning, match="^days=60: the run ends before its timeline's "
                      "day 365: "):
        short = scsim.load_scenario("high-control", days=60)
    assert short.timeline == []
    assert overrides(base, short) == {"days": 60}
    assert changed_settings(short) == []
    emptied = scsim.load_scenario("high-control", days=400, overrides={"timeline": []})
    assert overrides(base, emptied) == {"days": 400, "timeline": []}
    assert [c.split(":")[0] for c in changed_settings(emptied)] == ["timeline"]


def test_an_item_removed_or_added_is_one_change_not_one_per_field():
    """`--set behaviours=[]` printed 73 lines (`behaviours.bad_driving.name: bad_driving →
    null`, ... `behaviours: null → []`): one line per behaviour removed."""
    base = scsim.load_scenario("national-800")
    emptied = scsim.load_scenario("national-800", overrides={"behaviours": []})
    assert changed_settings(emptied) == [f"behaviours.{b.name}: removed"
                                         for b in sorted(base.behaviours, key=lambda b: b.name)]
    added = scsim.load_scenario({"base": "national-800", "listing": {"threshold": 600},
                                 "behaviours": [{"name": "littering", "rate": 0.01,
                                                 "delta": -1, "channel": "camera"}]})
    assert changed_settings(added) == ["behaviours.littering: added",
                                       "listing.threshold: 550 → 600"]


def test_every_metric_is_a_count_or_a_level():
    """Counts of one day's events are the columns the daily tallies reset."""
    names = Names.of(scsim.load_scenario("pilot-1000"))
    counts = {c for c in metric_columns(names) if is_daily_count(c)}
    assert {"newly_listed", "blocked_air", "acts_donating_blood", "tax_take"} <= counts
    assert not counts & {"listed", "wrongful_listed", "pariahs", "score_mean", "fear_mean",
                         "ties_active_frac", "agents_active", "corp_listed"}


def test_a_sanction_that_changes_no_behaviour():
    """Without train bans, only blocked train tickets differ: same acts, same listings,
    and the per-agent differences are exactly the listed agents' blocked train tickets."""
    a = national()
    c = compare(a, national(**{"sanctions.travel.train_rate": 0}), seed=3)
    assert c.changes == {"sanctions.travel.train_rate": (a.sanctions.travel.train_rate, 0.0)}
    # A is not national-800 as shipped: its label says what it changes (the days aside)
    assert c.labels == ("A: national-800, listing.threshold=685",
                        "B: national-800, sanctions.travel.train_rate=0")
    m = c.metrics().set_index("metric")
    blocked = c.a[0].metrics["blocked_train"].sum()
    assert blocked > 0 and m.loc["blocked_train", "diff"] == -blocked
    assert (m.drop(index="blocked_train")["diff"].fillna(0) == 0).all()
    assert (c.switches()["agents"] == 0).all()
    agents = c.agents()
    assert len(agents) > 0 and (agents["times_listed_a"] > 0).all()
    assert (agents["times_listed_a"] == agents["times_listed_b"]).all()
    assert (agents["blocked_tickets_b"] < agents["blocked_tickets_a"]).all()
    assert (agents["blocked_tickets_a"] - agents["blocked_tickets_b"]).sum() == blocked
    assert (c.daily()["blocked_train"] == -c.a[0].metrics["blocked_train"]).all()
    assert acts_headline(c) == "Every behaviour is committed as often under B as under A."


def test_a_ban_changes_acts_only_once_it_can_matter():
    """A social-media ban starts the day after the first listing: every act on every day
    before is the same; afterwards the unbanned side posts more online."""
    online = ["acts_criticising_government", "acts_posting_fake_news"]
    later = {"listing.threshold": 660}  # first listings after a few days
    c = compare(national(days=80, **later),
                national(days=80, **later, **{"sanctions.social_media.enabled": False}), seed=3)
    daily = c.daily()
    acts = [col for col in daily.columns if col.startswith("acts_")]
    first = int(np.argmax(c.a[0].metrics["listed"].to_numpy() > 0))
    assert 5 < first < 70
    assert (daily.loc[:first, acts] == 0).all().all()
    assert (daily[online].sum() > 0).all()
    switches = c.switches().set_index("figure")["agents"]
    assert switches["acts changed (any behaviour)"] > 0
    # who posts more online without the ban: mostly those the ban silenced (listed under A)
    more_online = c.b[0].agents[online].sum(axis=1) > c.a[0].agents[online].sum(axis=1)
    assert more_online.sum() > 0
    assert set(np.flatnonzero(more_online)) <= set(c.agents()["agent"])
    assert (c.a[0].agents.loc[more_online, "times_listed"] > 0).mean() > 0.5
    # in words: the behaviours whose acts change most relative to A, largest first
    m = c.metrics(headline=True).set_index("metric")
    change = (daily[acts].sum() / c.a[0].metrics[acts].sum()).sort_values(
        key=abs, ascending=False, kind="stable")
    assert change.to_numpy() == pytest.approx(m.loc[change.index, "change"].to_numpy())
    moved = change[change.abs() >= NEGLIGIBLE_ACTS]  # (one act in 10,000 is not named)
    assert set(moved.index[:2]) == set(online)  # what the ban stopped
    told = [f"{col.removeprefix('acts_').replace('_', ' ')} ({100 * abs(x):.1f} % "
            f"{'more' if x > 0 else 'fewer'})" for col, x in moved.head(3).items()]
    words = ", ".join(told[:-1]) + " and " + told[-1]
    assert acts_headline(c) == f"Acts change most for {words}."


def test_replications_give_mean_differences_with_t_intervals():
    a = scsim.load_scenario("no-system", agents=3000, days=40)
    b = scsim.load_scenario("national-800", agents=3000, days=40, overrides=BUSY)
    c = compare(a, b, seed=10, reps=3)
    assert c.seeds == [10, 11, 12]
    diffs = [rb.metrics["newly_listed"].sum() - ra.metrics["newly_listed"].sum()
             for ra, rb in zip(c.a, c.b, strict=True)]
    row = c.metrics().set_index("metric").loc["newly_listed"]
    half = 4.302653 * np.std(diffs, ddof=1) / np.sqrt(3)  # t(0.975, 2 dof)
    assert row["diff"] == pytest.approx(np.mean(diffs))
    assert (row["lo"], row["hi"]) == pytest.approx((np.mean(diffs) - half,
                                                    np.mean(diffs) + half))
    assert row["a"] == 0 and row["b"] > 0
    # the other way round (B the system off): what B never does is −100 % exactly, also
    # where A's mean is too small and variable for Fieller's interval to bound the ratio
    # (it allows A's mean near 0; a relative change takes it above 0)
    back = compare_results(c.b, c.a).metrics()
    t2 = 4.302653**2
    gone = back[(back["a"] > 0) & (back["b"] == 0) & (back["hi"] > back["lo"])]
    per_pair = {m: _per_pair(c.b, m) for m in gone["metric"]}
    assert all((_per_pair(c.a, m) == 0).all() for m in gone["metric"])
    assert any(v.mean() ** 2 <= t2 * v.var(ddof=1) / 3 for v in per_pair.values())
    assert (gone["change_lo"] == -1).all() and (gone["change_hi"] == -1).all()
    groups = c.groups().set_index(["group", "figure"])
    assert groups.loc[("minority", "ever listed (share)"), "a"] == 0
    assert ("minority", "disparate impact, listed on the final day (ratio)") in groups.index
    # counts of agents: the t-interval is cut at 0 and the mean is kept, ...
    per_pair = pd.DataFrame(
        [(k, figure, n) for k in range(3)
         for figure, n in c.switch_counts(k)], columns=["rep", "figure", "agents"])
    switches = c.switches().set_index("figure")
    # ... and at the most the row can count: A's listed (mean) can leave, the others join
    under_a = np.mean([(r.agents["times_listed"] > 0).sum() for r in c.a])
    most = {"listed under A, not under B": under_a,
            "listed under B, not under A": len(c.a[0].agents) - under_a}
    for figure, counts in per_pair.groupby("figure")["agents"]:
        half = 4.302653 * np.std(counts, ddof=1) / np.sqrt(3)
        row = switches.loc[figure]
        assert row["agents"] == pytest.approx(counts.mean())
        assert row["hi"] == pytest.approx(min(counts.mean() + half,
                                              most.get(figure, len(c.a[0].agents))))
        assert row["lo"] == pytest.approx(max(0.0, counts.mean() - half))
    assert (switches["lo"] >= 0).all() and (switches["lo"] == 0).any()
    # the relative change: the mean difference over A's mean, its interval that of the
    # ratio of the means (Fieller: at each end R, b̄ − R·ā is t standard errors of the
    # pairs' b − R·a from 0), and none where A is 0 (nobody is listed without the system)
    m = c.metrics().set_index("metric")
    acts_a = np.array([ra.metrics["penalised_acts"].sum() for ra in c.a], dtype=float)
    acts_b = np.array([rb.metrics["penalised_acts"].sum() for rb in c.b], dtype=float)
    row = m.loc["penalised_acts"]
    assert row["change"] == pytest.approx((acts_b.mean() - acts_a.mean()) / acts_a.mean())
    assert row["change_lo"] < row["change"] < row["change_hi"] < 0  # the system deters
    for end in (row["change_lo"], row["change_hi"]):
        ratio = 1 + end
        assert abs(acts_b.mean() - ratio * acts_a.mean()) == pytest.approx(
            4.302653 * np.std(acts_b - ratio * acts_a, ddof=1) / np.sqrt(3), rel=1e-5)
    assert m.loc["newly_listed", ["change", "change_lo", "change_hi"]].isna().all()


def test_groups_tell_who_was_ever_wrongfully_listed():
    """The run summary and headline count people ever listed wrongfully; the comparison's
    per-group table had only those wrongfully listed on the final day."""
    c = compare(national(days=40), national(days=40, **{"surveillance.misattribution": 0.05}),
                seed=2)
    groups = c.groups().set_index(["group", "figure"])
    agents = c.b[0].agents
    for g in ("majority", "minority"):
        share = float((agents.loc[agents["group"] == g, "wrongful_listings"] > 0).mean())
        assert share > 0
        assert groups.loc[(g, "ever wrongfully listed (share)"), "b"] == pytest.approx(share)


def test_one_group_has_no_disparate_impact_row():
    """mesa-parity has one group ("everyone"): its ratio to itself, always 1, was a row."""
    a = scsim.load_scenario("mesa-parity", agents=500, days=10)
    b = scsim.load_scenario("mesa-parity", agents=500, days=10,
                            overrides={"listing.threshold": 800})
    figures = compare(a, b, seed=1).groups()["figure"].tolist()
    assert figures == ["ever listed (share)", "ever wrongfully listed (share)",
                       "listed, final day (share)", "wrongfully listed, final day (share)"]


EVER_LISTED_RATIO = "disparate impact, ever listed (ratio)"


def _ever_listed_ratio(res, group: str, reference: str = "majority") -> float:
    """The summary's "disparate impact, ever listed" of one run, from its agents table
    alone: the share of ``group`` with a count of listings above 0 over the reference
    group's (NaN where nobody in the reference group was listed)."""
    agents = res.agents
    ever = (agents["times_listed"] > 0).groupby(agents["group"], observed=True).mean()
    return ever[group] / ever[reference] if ever[reference] > 0 else float("nan")


def test_groups_give_the_summarys_ever_listed_disparate_impact(tmp_path, monkeypatch,
                                                               capsys):
    """"Does one group get listed more often?": the summary answers it with the shares of
    each group ever listed in the run; the comparison gave only the ratio of the shares on
    the list on the final day. It gives the summary's ratio too, for A and B, and B − A
    with its 95 % interval over the pairs, in Python, on the terminal and in --json."""
    c = compare(national(), national(**{"listing.threshold": 700}), seed=1, reps=3)
    groups = c.groups().set_index(["group", "figure"])
    for g in ("majority", "minority"):
        ra = np.array([_ever_listed_ratio(r, g) for r in c.a])
        rb = np.array([_ever_listed_ratio(r, g) for r in c.b])
        diffs = rb - ra
        half = 4.302653 * np.std(diffs, ddof=1) / np.sqrt(3)  # t(0.975, 2 dof)
        row = groups.loc[(g, EVER_LISTED_RATIO)]
        assert row["a"] == pytest.approx(ra.mean()) and row["b"] == pytest.approx(rb.mean())
        assert row["diff"] == pytest.approx(diffs.mean())
        # a ratio is never negative: the interval stops where B's mean would be 0
        assert row["lo"] == pytest.approx(max(diffs.mean() - half, -ra.mean()))
        assert row["hi"] == pytest.approx(diffs.mean() + half)
        assert row["note"] == ""
    minority = groups.loc[("minority", EVER_LISTED_RATIO)]
    assert minority["a"] != 1 and minority["lo"] < minority["hi"]  # a ratio that varies
    assert groups.loc[("majority", EVER_LISTED_RATIO), "a"] == 1  # the reference group
    # the ratio the summary gives each run (to its two decimals) is this one, which
    # differs from the final day's
    for r in c.a:
        summary = r.summary().set_index("figure")
        assert f"ratio to majority: {_ever_listed_ratio(r, 'minority'):.2f}" in summary.loc[
            "minority: ever listed", "note"]
    assert minority["a"] != groups.loc[
        ("minority", "disparate impact, listed on the final day (ratio)"), "a"]

    store = tmp_path / "store"
    code, out, _ = run_cli(monkeypatch, capsys, "compare", "national-800", "national-800",
                           "--agents", "3000", "--days", "40", "--seed", "2", "--set-a",
                           "listing.threshold=685", "--set-b", "listing.threshold=700",
                           "--quiet", "--full", "--store", str(store))
    assert code == 0
    ra, rb = sorted((open_store(store).load(run) for run in open_store(store).runs()["id"]),
                    key=lambda r: r.scenario.listing.threshold)  # A's is 685
    runs = [ra.run_id, rb.run_id]
    a, b = (_ever_listed_ratio(r, "minority") for r in (ra, rb))
    from scsim.cli.render import fmt

    cells = [c.strip() for c in out.split(f"│ minority │ {EVER_LISTED_RATIO}")[1]
             .split("\n")[0].split("│")[1:4]]
    assert cells == [fmt(a), fmt(b), fmt(b - a)]
    code, data, _ = run_cli(monkeypatch, capsys, "compare", *runs, "--json",
                            "--store", str(store))
    assert code == 0
    (row,) = [r for r in json.loads(data)["groups"]
              if r["group"] == "minority" and r["figure"] == EVER_LISTED_RATIO]
    assert (row["a"], row["b"], row["diff"]) == pytest.approx((a, b, b - a))
    assert row["note"] == ""


def test_no_ever_listed_ratio_where_the_reference_group_is_never_listed(tmp_path, monkeypatch,
                                                                       capsys):
    """Without the system nobody in the reference group is ever listed: the summary says
    "no ratio: nobody in majority listed"; so does the comparison, for the side and the
    pairs it concerns, its means and B − A being of the other pairs."""
    a = scsim.load_scenario("no-system", agents=2000, days=30)
    b = scsim.load_scenario("national-800", agents=2000, days=30, overrides=BUSY)
    c = compare(a, b, seed=3)
    said = "no ratio under A: nobody in majority listed"
    summary = c.a[0].summary().set_index("figure")
    assert "no ratio: nobody in majority listed" in summary.loc["minority: ever listed", "note"]
    groups = c.groups().set_index(["group", "figure"])
    for g in ("majority", "minority"):
        row = groups.loc[(g, EVER_LISTED_RATIO)]
        assert np.isnan(row["a"]) and np.isnan(row["diff"]) and row["note"] == said
        assert row["b"] == pytest.approx(_ever_listed_ratio(c.b[0], g))
    assert (groups.drop(index=EVER_LISTED_RATIO, level="figure")["note"] == "").all()
    # a second pair in which A lists people: its ratios alone make A's mean and B − A
    second = [scsim.simulate(scsim.load_scenario("national-800", agents=2000, days=30,
                                           overrides={"listing.threshold": t}), seed=4)
        for t in (685, 700)]
    mixed = compare_results([c.a[0], second[0]], [c.b[0], second[1]])
    row = mixed.groups().set_index(["group", "figure"]).loc[("minority", EVER_LISTED_RATIO)]
    ra = _ever_listed_ratio(second[0], "minority")
    rb = [_ever_listed_ratio(r, "minority") for r in (c.b[0], second[1])]
    assert row["a"] == pytest.approx(ra) and row["b"] == pytest.approx(np.mean(rb))
    assert row["diff"] == pytest.approx(rb[1] - ra)
    assert row["note"] == ("no ratio under A in 1 of 2 pairs (seed 3): nobody in majority "
                           "listed; the means and B − A are of the other pairs")
    # on the terminal, under the per-group table
    code, out, _ = run_cli(monkeypatch, capsys, "compare", "no-system", "national-800",
                           "--agents", "2000", "--days", "30", "--seed", "3", "--set-b",
                           "listing.threshold=685", "--quiet", "--full", "--store",
                           str(tmp_path / "store"))
    assert code == 0
    table = " ".join(out[out.index("per group"):].split())
    assert f"disparate impact, ever listed: {said}" in table


def test_every_switch_row_is_cut_at_the_most_it_can_count():
    """The rows "wrongfully listed" and "lost ties" each way are cut, as "listed" is, at
    the most agents they can count: A's mean of its agents wrongfully listed (or who lost
    ties) for "under A, not under B", the others for "under B, not under A". Their names
    were rebuilt apart from the counts' and a rename would have lost the cut unseen."""
    from types import SimpleNamespace

    from scsim.analysis.compare import Comparison

    def run(wrongful, ties):  # 4 agents; listed as wrongfully
        columns = {"agent": np.arange(4), "group": ["majority"] * 4,
                   "times_listed": wrongful, "wrongful_listings": wrongful,
                   "ties_lost": ties, "blocked_tickets": [0] * 4, "score": [600.0] * 4}
        return SimpleNamespace(agents=pd.DataFrame(columns),
                               agent_columns={k: np.asarray(v) for k, v in columns.items()},
                               scenario=SimpleNamespace(behaviours=[]))

    a = [run([1, 0, 0, 0], [1, 1, 0, 0])] * 3
    # in pair 0 B swaps who is wrongfully listed (3 gained, 1 lost) and who lost ties
    # (2 each way); in the others it is A
    b = [run([0, 1, 1, 1], [0, 0, 1, 1]), *a[1:]]
    most = {"wrongfully listed under B, not under A": 3.0,  # 4 agents less A's 1
            "wrongfully listed under A, not under B": 1.0,
            "lost ties under B, not under A": 2.0, "lost ties under A, not under B": 2.0}
    c = Comparison(a=a, b=b)
    assert {k: c.switch_ceilings()[k] for k in most} == most
    switches = c.switches().set_index("figure")
    counts = pd.DataFrame([(f, n) for k in range(3) for f, n in c.switch_counts(k)],
                          columns=["figure", "agents"]).groupby("figure")["agents"]
    for figure, ceiling in most.items():
        mean, sd = counts.mean()[figure], counts.std()[figure]
        assert mean + 4.302653 * sd / np.sqrt(3) > ceiling  # the t-interval reaches past
        assert switches.loc[figure, "hi"] == ceiling, figure


def test_a_side_without_ratio_in_every_pair_says_so_beside_the_other():
    """A lists nobody of the reference group in either pair, B nobody in one (seed 0):
    "no ratio under A and under B in 1 of 2 pairs (seed 0)" read as both missing in one
    pair. Each side's pairs are told."""
    from types import SimpleNamespace

    from scsim.analysis.compare import ever_listed_note

    names = SimpleNamespace(groups=["majority", "minority"], reference_group=0)

    def run(listed_majority: bool):
        return SimpleNamespace(names=names, agents=pd.DataFrame({
            "group": ["majority", "majority", "minority"],
            "times_listed": [int(listed_majority), 0, 1]}))

    cmp = SimpleNamespace(a=[run(False), run(False)], b=[run(False), run(True)],
                          seeds=[0, 1], reps=2)
    assert ever_listed_note(cmp) == (
        "no ratio under A in every pair and under B in 1 of 2 pairs (seed 0): nobody in "
        "majority listed; the means and B − A are of the other pairs")
    cmp.b = [run(True), run(False)]
    cmp.a = [run(False), run(True)]
    assert ever_listed_note(cmp) == (
        "no ratio under A in 1 of 2 pairs (seed 0) and under B in 1 of 2 pairs (seed 1): "
        "nobody in majority listed; the means and B − A are of the other pairs")
    cmp.a = cmp.b = [run(False), run(False)]  # no side in some pairs only: said plainly
    assert ever_listed_note(cmp) == "no ratio under A and under B: nobody in majority listed"


def test_pairs_must_share_population_and_seed():
    with pytest.raises(ScsimError, match=r"different populations.*A against B: agents 4,000 "
                                         r"against 3,000\. Settings that differ: "
                                         r"population\.agents$"):
        compare(national(), scsim.load_scenario("national-800", agents=3000, days=60))
    with pytest.raises(ScsimError, match=r"network\.mean_degree"):
        compare(national(), national(**{"network.mean_degree": 8}))
    ra = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=5), seed=1)
    rb = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=5), seed=2)
    with pytest.raises(ScsimError, match="different seeds"):
        compare_results([ra], [rb])


def test_the_refusal_of_two_populations_says_how_they_differ_in_words():
    """national-800 against pilot-1000 was refused with a list of raw paths
    ("population.groups.majority.name, population.groups.majority.share, ...", cut before
    the behaviour categories); now the message says first, in words, how A's population
    differs from B's, then the settings for those who want them."""
    a, b = (scsim.load_scenario(name, agents=1000, days=60)
            for name in ("national-800", "pilot-1000"))
    with pytest.raises(ScsimError) as refused:
        compare(a, b)
    words, settings = str(refused.value).split(". Settings that differ: ")
    assert words == (
        "the two scenarios have different populations, so their agents cannot be paired. "
        "A against B: groups majority 90 % and minority 10 % against everyone 100 %; "
        "propensity sigma 0.8 against 0.6; regions 8 against 1; network barabasi_albert "
        "against watts_strogatz; behaviour categories traffic, leisure, speech, family, "
        "money against civic, speech, leisure, traffic, money")
    assert settings.startswith("population.groups.majority.name, ") and settings.endswith(
        ", …")
    shares = {"population.groups.majority.share": 0.8,
              "population.groups.minority.share": 0.2, "network.mean_degree": 8}
    with pytest.raises(ScsimError, match=re.escape(
            "A against B: groups majority 90 % and minority 10 % against majority 80 % and "
            "minority 20 %; network mean degree 6 against 8. Settings that differ")):
        compare(national(), national(**shares))
    # the same population run for two lengths: not "different populations"
    with pytest.raises(ScsimError, match=re.escape(
            "the two scenarios have different lengths, so their days cannot be paired (give "
            "both the same --days). A against B: days 10 against 12. Settings that differ: "
            "days")):
        compare(*(scsim.load_scenario("national-800", agents=300, days=d) for d in (10, 12)))


def test_the_command_refuses_two_populations_before_it_starts(monkeypatch, capsys, tmp_path):
    """`scsim compare national-800 pilot-1000` drew its progress bar ("loading kernels",
    "0/10 days") and made the run store before the refusal: it is refused first."""
    store = tmp_path / "store"
    code, out, err = run_cli(monkeypatch, capsys, "compare", "national-800", "pilot-1000",
                             "--agents", "300", "--days", "5", "--store", str(store))
    assert code == 2 and "cannot be paired" in err
    assert "days" not in out + err.split("cannot be paired")[0]  # no progress bar
    assert not store.exists()


def test_runs_on_two_contents_of_one_network_file_do_not_pair(tmp_path):
    """The catalogue's population hash read a network file's path only: two runs on one
    path holding two networks had the same hash, which says they pair up."""
    path = tmp_path / "net.edges"
    store = tmp_path / "store"
    path.write_text("0 1\n1 2\n2 3\n3 0\n")
    scsim.simulate(scsim.load_scenario("no-system", network=path, days=3), seed=1, store=store)
    scsim.simulate(scsim.load_scenario("no-system", network=path, days=3), seed=1, store=store)
    path.write_text("0 1\n1 2\n2 3\n0 2\n")  # the same nodes, another network
    scsim.simulate(scsim.load_scenario("no-system", network=path, days=3), seed=1, store=store)
    hashes = scsim.open_store(store).query(
        "SELECT population_hash FROM runs ORDER BY started")["population_hash"].tolist()
    assert hashes[0] == hashes[1] != hashes[2]
    # and the runs themselves say which contents they read: they do not pair (a stored
    # pair was compared as "the same scenario run twice")
    kept = scsim.open_store(store)
    first, _, third = (kept.load(i) for i in kept.runs().sort_values("started")["id"])
    with pytest.raises(ScsimError, match="read different contents of the network file"):
        compare_results([first], [third])


def test_the_comparison_title_reads_whole_on_80_columns(tmp_path, monkeypatch, capsys):
    """What is compared, then at what size, each on a line of its own: on one line an
    80-column terminal folded it in the middle of "common random numbers"."""
    code, out, _ = run_cli(monkeypatch, capsys, "compare", "national-800", "no-system",
                           "--agents", "2000", "--days", "5", "--quiet", "--store",
                           str(tmp_path), columns=80)
    assert code == 0
    assert out.splitlines()[:2] == ["A: national-800 vs B: no-system",
                                    "2,000 agents × 5 days, seed 0, common random numbers"]


def test_compare_command(tmp_path, monkeypatch, capsys):
    store = tmp_path / "store"

    def cli(*args):
        return run_cli(monkeypatch, capsys, *args, "--store", str(store))

    code, out, _ = cli("compare", "no-system", "national-800", "--agents", "3000",
                       "--days", "40", "--seed", "2", "--set-b", "listing.threshold=685",
                       "--quiet", "--full")
    assert code == 0
    assert "B changes listing.threshold: 550 → 685" in out
    assert "listed under B, not under A" in out
    assert " ".join(SWITCHES_NOTE.split()) in " ".join(out.split())  # under that table
    runs = open_store(store).runs()
    assert len(runs) == 2 and set(runs["seed"]) == {2}
    by_name = runs.set_index("scenario")["id"]

    code, again, _ = cli("compare", by_name["no-system"], by_name["national-800"], "--full")
    assert code == 0
    table = out[out.index("per metric"):]
    assert table == again[again.index("per metric"):]  # the stored pair reads the same
    # the headline sentence comes first; the tables only on request; JSON and CSV for scripts
    c = compare_results([open_store(store).load(by_name["no-system"])],
                        [open_store(store).load(by_name["national-800"])])
    sentence = comparison_headline(c)
    assert sentence in out and out.index(sentence) < out.index("per metric")
    acts = acts_headline(c)
    assert acts.startswith("Acts change most for ") and out.index(sentence) < out.index(acts)
    # the table's relative change: B − A over A, in percent, or a factor from doubling on
    rows = c.metrics().set_index("metric")
    penalised = rows.loc["penalised_acts"]
    assert -0.5 < penalised["change"] < 0  # the system deters
    # the metrics in words in the table (their column names in --json and --csv)
    assert f"{100 * penalised['change']:+.1f} %" in out.split("│ penalised acts ")[1][:120]
    assert "│ new listings " in out and "newly_listed" not in out
    assert np.isnan(rows.loc["newly_listed", "change"])  # nobody listed without a system
    code, short, _ = cli("compare", by_name["no-system"], by_name["national-800"])
    assert code == 0 and sentence in short and "per metric, B − A" not in short
    code, data, _ = cli("compare", by_name["no-system"], by_name["national-800"], "--json")
    record = json.loads(data)
    assert record["headline"] == sentence and record["seeds"] == [2]
    assert record["acts"] == acts
    assert record["changes"]["listing.threshold"] == [550.0, 685]
    newly = next(r for r in record["metrics"] if r["metric"] == "newly_listed")
    assert newly["diff"] == c.metrics().set_index("metric").loc["newly_listed", "diff"]
    code, data, _ = cli("compare", by_name["no-system"], by_name["national-800"], "--csv")
    frame = pd.read_csv(io.StringIO(data))
    assert set(frame["table"]) == {"metrics", "switches", "groups"}
    assert len(frame) == len(c.metrics(headline=True)) + len(c.switches()) + len(c.groups())
    # for a briefing: each metric in words beside its name, figures without the indent
    labels = frame[frame["table"] == "metrics"].set_index("metric")["label"]
    assert labels["newly_listed"] == "new listings" and labels["penalised_acts"] == (
        "penalised acts")
    assert not frame["figure"].dropna().str.startswith(" ").any()
    for args, message in (
            (("compare", by_name["no-system"], "national-800"), "not one of each"),
            (("compare", by_name["no-system"], by_name["national-800"], "--reps", "2"),
             "apply to scenarios"),
            (("compare", "national-800", "no-system", "--set-a", "population.agents=900",
              "--days", "5"), "different populations")):
        code, _, err = cli(*args)
        assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("given", ["default", "folder", "runstore"])
def test_replicate_and_compare_keep_runs_in_the_store_simulate_takes(tmp_path, monkeypatch,
                                                                     given):
    """``store=`` of replicate and compare takes what simulate's takes: True (the default
    store), a folder, or a RunStore; each run lands there once, with its seed."""
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "default"))
    folder = tmp_path / ("default" if given == "default" else "mine")
    store = {"default": True, "folder": folder, "runstore": open_store(folder)}[given]
    sc = scsim.load_scenario("national-800", agents=500, days=5)
    reps = scsim.replicate(sc, reps=2, seed=4, store=store)
    c = compare(sc, sc.model_copy(update={"name": "other"}), seed=9, store=store)
    runs = open_store(folder).runs()
    assert sorted(runs["seed"]) == [4, 5, 9, 9]
    assert set(runs["id"]) == {r.run_id for r in [*reps.results, *c.a, *c.b]}
    assert (runs["status"] == "done").all()


def test_a_store_that_is_not_one_is_refused_before_any_run(monkeypatch):
    """``store=3`` is refused at once, in words, by each function that takes a store."""
    def no_runs(*args, **kwargs):  # pragma: no cover - reached only if the check is gone
        raise AssertionError("a simulation was built before the store was checked")

    monkeypatch.setattr("scsim.core.engine.Simulation.__init__", no_runs)
    for call in (lambda: scsim.replicate("national-800", reps=1, store=3),
                 lambda: compare("national-800", "national-800", store=3)):
        with pytest.raises(ScsimError, match="store=3: expected True"):
            call()


def test_relative_changes_in_words():
    """The compare table's change column: a signed percentage with a hyphen like the
    table's other numbers, a factor from doubling on (a 9,779 % rise reads as ×98.8), and
    a change under 0.1 % never rounded to a "+0.0 %" that reads as none."""
    from scsim.outputs.words import signed_percent

    assert [signed_percent(x) for x in (0.0323, -0.5, 0.0, float("nan"), 1.0, 97.789,
                                        1234.5)] == [
        "+3.2 %", "-50.0 %", "0 %", "–", "×2", "×98.8", "×1,236"]
    assert [signed_percent(x) for x in (0.00042, -0.00042, 0.000999, 0.001, 0.0001,
                                        0.00002, -0.00002, -1e-12)] == [
        "+0.042 %", "-0.042 %", "+0.1 %", "+0.1 %", "+0.01 %", "+<0.01 %", "-<0.01 %",
        "-<0.01 %"]
    # the report's table: the change and its interval in one column, in those words
    from scsim.report import _with_change

    nan = float("nan")
    rows = pd.DataFrame({"metric": ["listed", "fear_mean"], "a": [10.0, 0.0],
                         "change": [0.0323, nan], "change_lo": [0.029, nan],
                         "change_hi": [0.035, nan]})
    assert _with_change(rows).to_dict("list") == {
        "metric": ["listed", "fear_mean"], "a": [10.0, 0.0],
        "change": ["+3.2 % (+2.9 % to +3.5 %)", "–"]}
    # an interval with no bound says so (A's figure too small and variable), never an end
    # "inf"; with one pair (NaN ends) the change alone
    from scsim.outputs.words import change_in_words

    inf = float("inf")
    rows = pd.DataFrame({"metric": ["wrongful_new", "misattributions", "tax_take", "listed"],
                         "change": [18.2, 0.0, 0.0003, 0.5],
                         "change_lo": [2.1, -1.0, -inf, nan],
                         "change_hi": [inf, inf, inf, nan]})
    assert _with_change(rows)["change"].tolist() == [
        "×19.2 (at least ×3.1, no upper bound)", "0 % (no bound)", "+0.03 % (no bound)",
        "+50.0 %"]
    assert change_in_words(-0.2, -inf, -0.1) == "-20.0 % (at most -10.0 %, no lower bound)"
    # the CLI's column: the same words, the interval on a line of its own
    assert [change_in_words(*row, between="\n") for row in rows[
        ["change", "change_lo", "change_hi"]].itertuples(index=False)] == [
        "×19.2\n(at least ×3.1, no upper bound)", "0 %\n(no bound)", "+0.03 %\n(no bound)",
        "+50.0 %"]
    assert change_in_words(0.0323, 0.029, 0.035, between="\n") == "+3.2 %\n(+2.9 % to +3.5 %)"


def test_the_tables_intervals_stop_where_a_difference_must():
    """A mean of B lies within what one run can give (a share between 0 and 1, agents
    between 0 and the population, a score statistic within the scale, a total of counts
    from 0), so B − A between that range less A's mean. A t-interval of a few pairs went
    past it: a share of 1.002, fear of 1.05, and "×75.5 (-21610.7 % to ×366)" for a total
    of wrongful listings whose A had 0.2 on average."""
    import math

    from scsim.analysis.compare import _within, value_range
    from scsim.report import _with_change

    inf = math.inf
    assert value_range("fear_mean", "final day", 500, 0.0, 800.0) == (0.0, 1.0)
    assert value_range("ties_active_frac", "final day", 500, 0.0, 800.0) == (0.0, 1.0)
    assert value_range("listed", "final day", 500, 0.0, 800.0) == (0.0, 500.0)
    assert value_range("newly_listed", "total", 500, 0.0, 800.0) == (0.0, inf)
    assert value_range("households_affected", "final day", 500, 0.0, 800.0) == (0.0, inf)
    assert value_range("di_minority", "final day", 500, 0.0, 800.0) == (0.0, inf)
    # a statistic of the scores keeps to the scale (the dashboard showed a change of the
    # mean score "−976.6 to 241.4" on a scale of 0 to 800)
    assert value_range("score_mean", "final day", 500, 350.0, 950.0) == (350.0, 950.0)
    assert value_range("score_p05", "final day", 500, 350.0, 950.0) == (350.0, 950.0)
    assert value_range("clean_score_mean", "final day", 500, 350.0, 950.0) == (350.0, 950.0)
    assert value_range("score_sd", "final day", 500, 350.0, 950.0) == (0.0, 600.0)
    # a rate of points can be negative, a company's score has its own scale
    assert value_range("points_association", "total", 500, 0.0, 800.0) == (-inf, inf)
    assert value_range("corp_score_mean", "final day", 500, 0.0, 800.0) == (-inf, inf)
    rows = pd.DataFrame({"metric": ["fear_mean", "fear_mean", "listed", "wrongful", "x"],
                         "a": [0.3, 0.1, 200.0, 0.2, float("nan")],
                         "lo": [-1.3, 0.8, -700.0, -43.2, -5.0],
                         "hi": [0.2, 1.05, 650.0, 73.0, 5.0]})
    _within(rows, pd.Series([0.0, 0.0, 0.0, 0.0, 0.0]),
            pd.Series([1.0, 1.0, 500.0, inf, inf]))
    assert rows["lo"].tolist() == [-0.3, 0.8, -200.0, -0.2, -5.0]
    assert rows["hi"].tolist() == [0.2, 0.9, 300.0, 73.0, 5.0]
    # in words: from all of A's listings gone to 366 times as many
    rows = pd.DataFrame({"metric": ["wrongful"], "a": [0.2], "change": [74.5],
                         "change_lo": [-0.2 / 0.2], "change_hi": [73.0 / 0.2]})
    assert _with_change(rows)["change"].tolist() == ["×75.5 (-100.0 % to ×366)"]


def test_an_interval_of_a_rare_count_stops_at_none_under_b():
    """End to end: three pairs whose A pins a few sightings on the wrong person (0.3 %)
    and whose B pins none: the t-interval of the change in misattributions reached below
    −100 % (B cannot have fewer than none); it stops there now, and no total of counts
    nor count of agents goes below −A or past the population."""
    from scsim.analysis.stats import t_half_width
    from scsim.outputs.metrics import metric_of

    a, b = (scsim.load_scenario("national-800", agents=2000, days=120,
                                overrides={"surveillance.misattribution": rate})
            for rate in (0.003, 0.0))
    c = compare(a, b, seed=1, reps=3)
    m = c.metrics().set_index("metric")
    per_pair = np.array([r.metrics["misattributions"].sum() for r in c.a])
    assert per_pair.min() > 0 and all(r.metrics["misattributions"].sum() == 0 for r in c.b)
    raw_low = -per_pair.mean() - t_half_width(per_pair.std(ddof=1), 3)
    assert raw_low < -per_pair.mean()  # the t-interval alone went past −100 %
    assert m.loc["misattributions", "lo"] == -per_pair.mean()
    assert m.loc["misattributions", "change_lo"] == -1.0
    counts = m[[metric_of(x).kind == "count" or x in ("listed", "wrongful_listed")
                for x in m.index]]
    assert (counts["lo"] >= -counts["a"]).all()
    assert (counts.loc[["listed", "wrongful_listed"], "hi"]
            <= 2000 - counts.loc[["listed", "wrongful_listed"], "a"]).all()


def test_a_mechanism_on_in_b_only_keeps_its_own_metrics():
    """Switching detention (and norms) on in B only: A's metrics have no such columns, and
    the comparison left out the figures of the very mechanism asked about. A daily count
    or a count of agents is 0 where the mechanism is off; another level is not measured."""
    days = {"timeline[0].day": 200}  # high-control's abolition after the run
    with left_out_on_purpose("days=90"):
        a = scsim.load_scenario("high-control", agents=2000, days=90,
                                overrides={**days, "detention.enabled": False,
                                           "norms.enabled": False})
        b = scsim.load_scenario("high-control", agents=2000, days=90, overrides=days)
    c = compare(a, b, seed=1)
    m = c.metrics().set_index("metric")
    b_total = c.b[0].metrics["new_detentions"].sum()
    assert b_total > 0 and "new_detentions" not in c.a[0].metrics
    assert tuple(m.loc["new_detentions", ["a", "b", "diff"]]) == (0, b_total, b_total)
    assert m.loc["detained", "a"] == 0
    assert np.isnan(m.loc["conformity_mean", "a"])
    assert m.loc["conformity_mean", "b"] == c.b[0].metrics["conformity_mean"].iloc[-1]


T3 = 3.182446305284263  # t(0.975) with 3 degrees of freedom (four pairs)


def test_the_ratio_interval_by_hand():
    """Fieller's interval of the ratio of two paired means. Four pairs a = 9, 11, 9, 11 and
    b = 20, 20, 22, 22: ā = 10, b̄ = 21, s_aa = s_bb = 4/3, s_ab = 0, so the ends solve
    (21 − 10R)² = t²·(4/3)(1 + R²)/4, that is (100 − k)R² − 420R + 441 − k = 0 with
    k = t²/3; at each end b̄ − R·ā is t standard errors of the pairs' b − R·a."""
    from scsim.analysis.stats import ratio_interval

    a, b = np.array([9.0, 11, 9, 11]), np.array([20.0, 20, 22, 22])
    lo, hi = ratio_interval(10.0, 21.0, 4 / 3, 4 / 3, 0.0, 4)
    k = T3**2 / 3
    root = np.sqrt(210**2 - (100 - k) * (441 - k))
    assert (lo, hi) == pytest.approx(((210 - root) / (100 - k), (210 + root) / (100 - k)),
                                     rel=1e-12)
    assert lo < 2.1 < hi  # b̄/ā
    for ratio in (lo, hi):
        assert abs(b.mean() - ratio * a.mean()) == pytest.approx(
            T3 * np.std(b - ratio * a, ddof=1) / 2, rel=1e-12)
    # A's mean not clearly above 0: 0, 0, 2, 0 (the brief's wrongful listings), ā² = 0.25
    # under t²·s_aa/n = 2.53, against b = 1, 2, 1, 2: the set is the line less an interval
    # around a negative ratio; a ratio of counts is never negative, which leaves a
    # half-line from the upper root up
    a, b = np.array([0.0, 0, 2, 0]), np.array([1.0, 2, 1, 2])
    moments = (a.mean(), b.mean(), a.var(ddof=1), b.var(ddof=1), np.cov(a, b)[0, 1], 4)
    assert a.mean() ** 2 < T3**2 * a.var(ddof=1) / 4
    assert ratio_interval(*moments) == (-np.inf, np.inf)
    lo, hi = ratio_interval(*moments, lowest=0.0)
    assert 0 < lo < b.mean() / a.mean() and hi == np.inf
    assert abs(b.mean() - lo * a.mean()) == pytest.approx(
        T3 * np.std(b - lo * a, ddof=1) / 2, rel=1e-12)
    # B at 0 in every pair: the ratio 0 whenever A's mean is clear, anything from 0 up when
    # it is not; one pair has no interval, nor has a row with a NaN
    assert ratio_interval(10.0, 0.0, 4 / 3, 0.0, 0.0, 4) == (0.0, 0.0)
    assert ratio_interval(0.5, 0.0, 1.0, 0.0, 0.0, 4, lowest=0.0) == (0.0, np.inf)
    for nan_row in ((10.0, 21.0, np.nan, np.nan, np.nan, 1), (np.nan, 21.0, 1, 1, 0, 4)):
        assert np.isnan(ratio_interval(*nan_row)).all()
    # row by row: arrays give each row's own interval
    rows = ratio_interval([10.0, 0.5], [21.0, 1.5], [4 / 3, 1.0], [4 / 3, 1 / 3],
                          [0.0, -1 / 3], 4, [-np.inf, 0.0])
    assert rows[0][0] == ratio_interval(10.0, 21.0, 4 / 3, 4 / 3, 0.0, 4)[0]
    assert rows[0][1] == pytest.approx(lo) and rows[1][1] == np.inf


def _coverage(mu_a, sd_a, mu_b, sd_b, rho, n, trials, seed):
    """Of ``trials`` samples of ``n`` bivariate normal pairs, the share whose Fieller
    interval holds the true ratio μ_b/μ_a, the share where it has no bound, the share
    where the old interval (the t-interval of B − A over ā, plus 1) holds it, and whether
    the interval is the Fieller set (bounded) or holds it (unbounded) in every sample."""
    from scsim.analysis.stats import ratio_interval, t_half_width

    rng = np.random.default_rng(seed)
    cov = [[sd_a**2, rho * sd_a * sd_b], [rho * sd_a * sd_b, sd_b**2]]
    pairs = rng.multivariate_normal([mu_a, mu_b], cov, size=(trials, n))
    a, b = pairs[..., 0], pairs[..., 1]
    ma, mb = a.mean(axis=1), b.mean(axis=1)
    va, vb = a.var(axis=1, ddof=1), b.var(axis=1, ddof=1)
    cab = ((a - ma[:, None]) * (b - mb[:, None])).sum(axis=1) / (n - 1)
    lo, hi = ratio_interval(ma, mb, va, vb, cab, n)
    ratio = mu_b / mu_a
    covered = (lo <= ratio) & (ratio <= hi)
    unbounded = np.isinf(lo) | np.isinf(hi)
    # the defining inequality at the true ratio, straight from the samples
    q = (t_half_width(1.0, n) ** 2)
    in_set = (mb - ratio * ma) ** 2 <= q * (vb - 2 * ratio * cab + ratio**2 * va)
    half = t_half_width((b - a).std(axis=1, ddof=1), n)
    old = (ma > 0) & ((mb - ma - half) / ma + 1 <= ratio) & (ratio <= (mb - ma + half) / ma + 1)
    exact = bool((covered[~unbounded] == in_set[~unbounded]).all()
                 and covered[in_set].all())
    return covered.mean(), unbounded.mean(), old.mean(), exact


@pytest.mark.parametrize("case", [(2.0, 1.0, 10.0, 1.0, 0.0, 8), (1.0, 1.5, 10.0, 3.0, 0.3, 5)],
                         ids=["A-noisy", "A-mean-below-its-sd"])
def test_the_ratio_interval_covers_the_true_ratio(case):
    """Synthetic pairs from known normal distributions whose A is noisy (its sd half its
    mean, 8 pairs; then its sd 1.5 times its mean, 5 pairs, most samples unbounded):
    Fieller's set holds the true ratio in 95 % of samples (exactly, for normal pairs);
    the interval reported, the set's hull, is that set where bounded and holds it
    otherwise, so it covers 95 % plus at most the share unbounded. The old interval,
    A's mean taken as known, covered half the samples or fewer. Tolerance: 4 binomial
    standard deviations of a 95 % share over the trials."""
    trials = 10_000
    covered, unbounded, old, exact = _coverage(*case, trials=trials, seed=20240601)
    tolerance = 4 * np.sqrt(0.95 * 0.05 / trials)
    assert exact
    assert 0.95 - tolerance <= covered <= 0.95 + tolerance + unbounded
    assert old < 0.95 - tolerance  # what the test would catch: the old interval
    assert old < 0.6


@pytest.fixture(scope="module")
def rare_in_a():
    """Three pairs in which A pins few sightings on the wrong person (0.5 %), B many (3 %):
    A has a handful of wrongful listings in one pair and none in the others."""
    a, b = (scsim.load_scenario("national-800", agents=1000, days=40, overrides={
        **BUSY, "surveillance.misattribution": rate}) for rate in (0.005, 0.03))
    return compare(a, b, seed=1, reps=3)


def _per_pair(runs, column):
    daily = is_daily_count(column)
    return np.array([(r.metrics[column].sum() if daily else r.metrics[column].iloc[-1])
                     if column in r.metrics else 0.0 for r in runs], dtype=float)


def test_a_relative_change_whose_a_is_too_small_has_no_bound(rare_in_a):
    """Every metric whose A is not clearly above 0 over the pairs (ā² ≤ t²·s_aa/n) and
    whose B differs from A has no upper bound on its relative change (lo/a and hi/a said
    '×19.2 (-100.0 % to ×97.5)' for new wrongful listings: 5, 0, 0 under A, 5, 91, 0
    under B, as if A's 1.7 were known exactly); one whose A is clear has
    a bounded interval, whose ends solve Fieller's equation unless cut at B = 0."""
    m = rare_in_a.metrics(headline=True).set_index("metric")
    t2 = 4.302653**2  # t(0.975, 2 dof)
    unbounded = []
    for metric, row in m[m["a"] > 0].iterrows():
        a, b = _per_pair(rare_in_a.a, metric), _per_pair(rare_in_a.b, metric)
        if (a == b).all():
            assert row["change_lo"] == row["change_hi"] == 0  # as B − A: 0 to 0
        elif (b == 0).all():  # −100 % for any A's mean above 0
            assert row["change_lo"] == row["change_hi"] == row["change"] == -1
        elif a.mean() ** 2 <= t2 * a.var(ddof=1) / 3:
            assert row["change_hi"] == np.inf and row["change_lo"] < row["change"]
            unbounded.append(metric)
        else:
            assert np.isfinite([row["change_lo"], row["change_hi"]]).all()
            for end in (row["change_lo"], row["change_hi"]):
                if end > -1:
                    ratio = 1 + end
                    assert abs(b.mean() - ratio * a.mean()) == pytest.approx(
                        4.302653 * np.std(b - ratio * a, ddof=1) / np.sqrt(3), rel=1e-5)
    assert {"wrongful_new", "wrongful_listed", "misattributions"} <= set(unbounded)
    wrongful = m.loc["wrongful_new"]
    assert wrongful["change"] == pytest.approx(wrongful["diff"] / wrongful["a"]) and (
        wrongful["change"] > 5)
    assert wrongful["change_lo"] >= -1  # never below none under B


def test_the_tables_say_a_relative_change_has_no_bound(rare_in_a, tmp_path, monkeypatch,
                                                        capsys):
    """The CLI's per-metric table and the report's say in words that the relative change
    cannot be bounded, and why, instead of an interval of the change over A's mean."""
    from html import escape

    from scsim.outputs.metrics import metric_label
    from scsim.outputs.words import UNBOUNDED_CHANGE, change_in_words, unbounded_note
    from scsim.report import report_comparison

    m = rare_in_a.metrics(headline=True).set_index("metric")
    wrongful = m.loc["wrongful_new"]
    cell = change_in_words(wrongful["change"], wrongful["change_lo"], wrongful["change_hi"])
    bound = "no bound" if wrongful["change_lo"] == -1 else "no upper bound"
    assert cell.startswith(f"×{1 + wrongful['change']:.3g} (") and cell.endswith(f"{bound})")
    names = [metric_label(x) for x, row in m.iterrows()
             if row["change"] == row["change"] and np.isinf(row["change_hi"])]
    note = unbounded_note(names)
    assert UNBOUNDED_CHANGE in note and metric_label("wrongful_new") in note
    rows, out = _cli_metric_rows(tmp_path, monkeypatch, capsys)
    row = next(row for row in rows if row["metric"].startswith(
        metric_label("wrongful_new") + " total,"))
    assert row["change"] == cell
    assert " ".join(note.split()) in " ".join(out.split())  # under the table
    html = report_comparison(rare_in_a, tmp_path / "report").read_text(encoding="utf-8")
    metrics = html[html.index("<h2 id='metrics'>"):]
    assert f"<td>{escape(cell)}</td>" in metrics
    assert escape(note) in metrics


def _cli_metric_rows(tmp_path, monkeypatch, capsys, columns=200):
    """``scsim compare --full`` of ``rare_in_a``'s scenarios on a terminal ``columns``
    wide: (the per-metric table's rows, ``_metric_rows``; stdout)."""
    code, out, _ = run_cli(
        monkeypatch, capsys, "compare", "national-800", "national-800", "--agents", "1000",
        "--days", "40", "--seed", "1", "--reps", "3", "--quiet", "--full",
        "--store", str(tmp_path / "store"),
        *(arg for side, rate in (("a", 0.005), ("b", 0.03)) for arg in (
            f"--set-{side}", "listing.threshold=685",
            f"--set-{side}", f"surveillance.misattribution={rate}")), columns=columns)
    assert code == 0
    return _metric_rows(out[out.index("per metric"):out.index("per agent")]), out


def _metric_rows(table: str) -> list[dict]:
    """The rows of a per-metric table, in order, each its cells by column (the metric with
    its measure and unit; A; B; B − A with its interval; the change with its interval),
    a cell's lines joined by a space."""
    heads = ("metric", "a", "b", "diff", "change")
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.rstrip()[1:-1].split("│")]
        if not line.startswith("│") or len(cells) != len(heads):
            continue
        if cells[1]:  # A's figure begins a row; the lines under it continue its cells
            rows.append(dict.fromkeys(heads, ""))
        for head, text in zip(heads, cells, strict=True):
            rows[-1][head] = f"{rows[-1][head]} {text}".strip()
    return rows


def _expected_rows(metrics: pd.DataFrame) -> list[dict]:
    """What ``_metric_rows`` reads in the per-metric table of ``metrics``
    (``Comparison.metrics``), each cell whole."""
    from scsim.cli.render import fmt
    from scsim.outputs.metrics import metric_label
    from scsim.outputs.words import change_in_words

    return [{"metric": f"{metric_label(rec['metric'])} {rec['measure']}, {rec['unit']}",
             "a": fmt(rec["a"]), "b": fmt(rec["b"]),
             "diff": f"{fmt(rec['diff'])} {fmt(rec['lo'])} to {fmt(rec['hi'])}",
             "change": change_in_words(rec["change"], rec["change_lo"], rec["change_hi"])}
            for rec in metrics.to_dict("records")]


def _no_piece_alone(text: str) -> None:
    """No line of a cell in the tables of ``text`` begins with what belongs to the line
    above it: an interval's "to" or a number's "%" (a cell begins after a border, or
    after two spaces or more in a table without borders)."""
    for line in text.replace("│", "  ").replace("┃", "  ").splitlines():
        assert not re.search(r"(^|\s\s)(to\b|%)", line), line


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_the_per_metric_table_reads_on_a_terminal_80_to_160_columns_wide(
        rare_in_a, columns, monkeypatch, capsys):
    """At 100 columns the per-metric table of ``scsim compare --full`` folded nearly every
    cell onto 2 to 4 lines, inside words and numbers ("misattribut" over "ed", "-30,288.8"
    over "to" over "-14,321.2", "(0 % to 0" over "%)"). Now each metric has its measure
    and unit under it and B − A its 95 % interval under it, as the change has; the table
    fits the terminal at 80, 100 and 160 columns, every metric is there, every cell reads
    whole once its lines are joined (a label breaks between words only, a number or a
    percentage never, "to" stays with the interval's lower end), and nothing is cut with
    "…"; from 160 columns each row is two lines."""
    from scsim.cli.render import print_comparison

    monkeypatch.setenv("COLUMNS", str(columns))
    print_comparison(rare_in_a, full=True)
    out = capsys.readouterr().out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
    table = out[out.index("per metric"):out.index("per agent")]
    assert all(line.rstrip()[-1] in "┓┃┩│┘" for line in table.splitlines()
               if line[:1] in "┏┃┡│└")  # its right-hand border: no column cut off
    assert _metric_rows(table) == _expected_rows(rare_in_a.metrics(headline=True))
    _no_piece_alone(out)
    assert "…" not in out
    if columns == 160:
        assert sum(line.startswith("│") for line in table.splitlines()) == 2 * len(
            rare_in_a.metrics(headline=True))


@pytest.mark.parametrize("columns", [75, 80, 100])
def test_the_per_metric_table_of_a_large_run_fits_80_columns(columns, monkeypatch, capsys):
    """The tour's comparison of 20,000 agents over a year has figures in the millions and
    intervals 30 characters wide ("-22,721,722.2 to -11,018,927.8"), which the table cut
    ("-22,721,72…") at 100 columns: now they fit whole at 80 columns and more, and at 75
    the table drops its borders to keep them whole."""
    from scsim.cli.render import _print_table, fmt
    from scsim.outputs.metrics import metric_label

    metrics = pd.DataFrame({
        "metric": ["points_listed_penalty", "points_true_sighting", "acts_no_smoking_zone",
                   "ties_active_frac", "wrongful_new"],
        "measure": ["total", "total", "total", "final day", "total"],
        "unit": ["points", "points", "acts", "share (0-1)", "agents"],
        "a": [0.0, -1_093_232.6, 144_555.4, 1.0, 0.4],
        "b": [-16_870_325.0, -782_925.8, 117_949.4, 1.0, 30.2],
        "diff": [-16_870_325.0, 310_306.8, -26_606.0, 0.0, 29.8],
        "lo": [-22_721_722.2, 193_718.7, -38_893.5, 0.0, 2.5],
        "hi": [-11_018_927.8, 426_894.9, -14_318.5, 0.0, 57.1],
        "change": [np.nan, -0.284, -0.184, 0.0, 74.5],
        "change_lo": [np.nan, -0.39, -0.268, 0.0, 2.1],
        "change_hi": [np.nan, -0.18, -0.099, 0.0, np.inf]})
    shown = metrics.assign(metric=[f"{metric_label(m)}\n{measure}, {unit}" for m, measure, unit
                                   in zip(metrics["metric"], metrics["measure"],
                                          metrics["unit"], strict=True)])
    monkeypatch.setenv("COLUMNS", str(columns))
    _print_table("per metric", shown, ["metric"], ["a", "b", "diff"], 5, change=True)
    out = capsys.readouterr().out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
    assert "…" not in out
    _no_piece_alone(out)
    if columns >= 80:
        assert _metric_rows(out) == _expected_rows(metrics)
        return
    assert "│" not in out  # without borders, each figure and each end of an interval whole
    lines = out.splitlines()
    for rec in metrics.to_dict("records"):
        for figure in (*(fmt(rec[c]) for c in ("a", "b", "diff", "hi")), f"{fmt(rec['lo'])} to"):
            assert any(re.search(rf"(^| ){re.escape(figure)}( |$)", line) for line in lines)


def test_the_acts_sentence_names_a_change_with_no_upper_bound_as_such():
    """A behaviour that A commits a few times in some pairs and never in others: a change
    whose interval is from +200 % up with no bound is clear (B commits it more) and said
    so; one from −100 % up with no bound is no clear change and not named."""
    from types import SimpleNamespace

    from scsim.outputs.words import UNBOUNDED_CHANGE

    inf = float("inf")
    table = pd.DataFrame({"metric": ["acts_littering", "acts_loitering", "acts_spitting"],
                          "diff": [149.0, 50.0, 10.0], "change": [74.5, 25.0, 0.02],
                          "change_lo": [2.0, -1.0, 0.01], "change_hi": [inf, inf, 0.03]})
    stub = SimpleNamespace(reps=3, metrics=lambda headline: table)
    assert acts_headline(stub) == (
        "Acts change most for littering (7450.0 % more, 95 % CI at least 200.0 % more: "
        f"{UNBOUNDED_CHANGE} with an upper bound) and spitting (2.0 % more, 95 % CI "
        "1.0 % to 3.0 %).")


def test_a_run_compared_with_itself_is_refused(tmp_path, monkeypatch, capsys):
    """``scsim compare RUN RUN`` (or RUN last, the same run) printed a comparison of
    nothing ("A and B are the same scenario: every difference must be 0") where ``scsim
    report RUN RUN`` is refused; now both are, by one check, each saying what to type
    instead. Two runs of one scenario and seed are two runs, and still compare."""
    store = tmp_path / "store"
    sc = scsim.load_scenario("no-system", agents=300, days=3)
    first = scsim.simulate(sc, seed=1, store=store)
    second = scsim.simulate(sc, seed=1, store=store)
    for given in ((first.run_id, first.run_id), (second.run_id, "last")):
        code, out, err = run_cli(monkeypatch, capsys, "compare", *given, "--store", str(store))
        assert (code, out) == (2, "") and err == (
            f"error: run {second.run_id if 'last' in given else first.run_id} is given as "
            "both A and B: a comparison needs two different runs (one compared with itself "
            "differs in nothing). `scsim show {0}` shows it alone (`scsim report {0}`: its "
            "report); to compare no-system with itself under a changed setting, `scsim "
            "compare no-system no-system --agents 300 --days 3 --set-b KEY=VALUE`; to see "
            "how its figures vary from one seed to another, `scsim sweep no-system --agents "
            "300 --days 3 --reps 10`".format(
                second.run_id if "last" in given else first.run_id))
    kept = open_store(store)
    with pytest.raises(ScsimError, match=rf"^run {first.run_id} is given as both A and B"):
        compare_results([kept.load(first.run_id)], [kept.load(first.run_id)])
    # a run that changed settings says so, with where to find them
    changed = scsim.simulate(scsim.load_scenario("no-system", agents=300, days=3, overrides={
        "population.propensity_sigma": 0.5, "regions.count": 2}), seed=1, store=store)
    with pytest.raises(ScsimError, match=re.escape(
            "--set-b KEY=VALUE` (and the 2 settings the run changed, as --set-a and --set-b: "
            f"`scsim show {changed.run_id}` lists them); to see")):
        compare_results([changed], [changed])
    again = scsim.simulate(sc, seed=2)  # a pair of lists with one run on both sides
    with pytest.raises(ScsimError, match=r"^the same result is given as both A and B"):
        compare_results([first, again], [second, again])
    code, out, _ = run_cli(monkeypatch, capsys, "compare", first.run_id, second.run_id,
                           "--store", str(store))
    assert code == 0 and "with the same seeds it is the same run" in out
    # and says how to compare what a setting does
    assert ("A and B are the same scenario: every difference must be 0. To see what a "
            "setting does, change it in B: `scsim compare no-system no-system --set-b "
            "KEY=VALUE` (`scsim scenarios show no-system` lists every setting)") in " ".join(
        out.split())


def test_compare_takes_overrides_of_each_side_as_the_command_line_does(tmp_path,
                                                                        monkeypatch, capsys):
    """``scsim.compare(a, b, overrides_a=, overrides_b=)`` changes one side as
    ``--set-a``/``--set-b`` do, with the same problems (named after the argument) and the
    same runs in the catalogue, overrides included, for a scenario file too (without it a
    notebook built both scenarios with load_scenario, and its runs of a file were stored
    with no overrides)."""
    path = tmp_path / "mine.yaml"
    path.write_text("base: national-800\nname: mine\n")
    penalty = "scoring.association.listed_penalty"
    python, cli = tmp_path / "python", tmp_path / "cli"
    c = compare(str(path), str(path), agents=400, days=5, seed=3, store=python,
                overrides_a=f"{penalty}=0", overrides_b={penalty: 1})
    assert c.changes == {penalty: (0, 1)}
    code, _, _ = run_cli(monkeypatch, capsys, "compare", str(path), str(path), "--agents",
                         "400", "--days", "5", "--seed", "3", "--set-a", f"{penalty}=0",
                         "--set-b", f"{penalty}=1", "--quiet", "--store", str(cli))
    assert code == 0

    def catalogue(store):
        return open_store(store).query("SELECT overrides FROM runs ORDER BY started")[
            "overrides"].map(json.loads).tolist()

    assert catalogue(python) == catalogue(cli) == [
        {"days": 5, "population.agents": 400, penalty: value} for value in (0, 1)]
    built = compare("national-800", "national-800", agents=400, days=5,
                    overrides_b=[f"{penalty}=1", "listing.threshold=600"])
    assert built.changes == {penalty: (0.3, 1), "listing.threshold": (550, 600)}
    for given, problem in (
            ({"overrides_b": penalty}, f"overrides_b= {penalty}: expected KEY=VALUE"),
            ({"overrides_a": [f"{penalty}="]}, f"overrides_a= {penalty}=: no value after"),
            ({"overrides_a": 5}, "overrides_a=: expected 'key=value' text, got 5"),
            ({"overrides_b": f"{penalty}=-3"}, f"override {penalty}=-3: {penalty}: must be "
                                               ">= 0")):
        with pytest.raises(ScsimError, match=re.escape(problem)):
            compare("national-800", "national-800", agents=400, days=5, **given)


def test_a_side_whose_overrides_are_invalid_is_named(monkeypatch, capsys, tmp_path):
    """Both sides the same scenario, each with its own overrides: the problem is told as
    side A's or side B's (it named the built-in only, the same for both)."""
    misspelt, bad = "listing.treshold=600", "listing.threshold=-5"
    for sides, side in (({"overrides_a": misspelt}, "A"), ({"overrides_b": bad}, "B")):
        with pytest.raises(ScsimError, match=re.escape(
                f"invalid scenario {side} (<built-in national-800>):\n  override ")):
            compare("national-800", "national-800", agents=300, days=3, **sides)
    for option, given, side in (("--set-a", misspelt, "A"), ("--set-b", bad, "B")):
        code, _, err = run_cli(monkeypatch, capsys, "compare", "national-800",
                               "national-800", "--agents", "300", "--days", "3", option,
                               given, "--quiet", "--store", str(tmp_path / "store"))
        assert code == 2 and err.startswith(
            f"error: invalid scenario {side} (<built-in national-800>): override {given}: "
        ), err
    assert not (tmp_path / "store").exists()
    # a problem of both sides is not put down to the side loaded first
    code, _, err = run_cli(monkeypatch, capsys, "compare", "national-800", "no-system",
                           "--agents", "1", "--set-b", "listing.threshold=600", "--quiet",
                           "--store", str(tmp_path / "store"))
    assert code == 2 and err.startswith(
        "error: invalid scenario <built-in national-800>: --agents 1: "), err
    with pytest.raises(ScsimError, match=re.escape(
            "invalid scenario <built-in national-800>:\n  agents=-5: ")):
        compare("national-800", "no-system", agents=-5, days=3, overrides_b={"days": 4})


def test_compare_takes_overrides_of_both_sides_as_simulate_does(tmp_path):
    """``simulate`` and ``replicate`` take ``overrides=``; ``compare(a, b, overrides=...)``
    was Python's bare TypeError. It changes both sides, each side's own coming after, and
    the catalogue keeps each run's overrides as for a side's own."""
    penalty = "scoring.association.listed_penalty"
    c = compare("national-800", "national-800", agents=300, days=5, seed=2,
                store=tmp_path / "store", overrides={"listing.threshold": 690, penalty: 0},
                overrides_b=f"{penalty}=1")
    assert c.changes == {penalty: (0, 1)}
    assert [r.scenario.listing.threshold for r in (*c.a, *c.b)] == [690, 690]
    assert [r.scenario.population.agents for r in (*c.a, *c.b)] == [300, 300]
    kept = open_store(tmp_path / "store").query(
        "SELECT overrides FROM runs ORDER BY started")["overrides"].map(json.loads).tolist()
    assert kept == [{"days": 5, "population.agents": 300, "listing.threshold": 690,
                     penalty: value} for value in (0, 1)]
    with pytest.raises(ScsimError, match=re.escape("overrides= days: expected KEY=VALUE")):
        compare("national-800", "national-800", overrides="days")
