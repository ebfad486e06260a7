"""Results: tables, Arrow, atomic saving, and refusing runs that would not fit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import scsim
from scsim.errors import MemoryRefused, ScsimError
from scsim.outputs import result as result_module
from scsim.outputs.headline import percent
from scsim.outputs.metrics import metric_label as label
from scsim.outputs.result import Result
from scsim.outputs.summary import SMALL_COUNT, format_value
from scsim.outputs.words import in_digits
from scsim.world import build as world


@pytest.fixture(scope="module")
def result():
    return scsim.simulate(scsim.load_scenario("three-tier", agents=2000, days=15), seed=9)


def test_tables_and_arrow(result):
    assert len(result.metrics) == 15 and list(result.metrics["day"]) == list(range(15))
    assert len(result.agents) == 2000 and result.agents["agent"].is_unique
    assert set(result.agents["group"].cat.categories) == {"group_a", "group_b", "party"}
    for name in ("metrics", "agents", "companies", *result_module.ARROW_FRAMES):
        table = result.to_arrow(name)
        frame = result.summary() if name == "summary" else getattr(result, name)
        assert isinstance(table, pa.Table) and table.num_rows == len(frame), name
        assert table.column_names == list(frame.columns), name
        # nobody traced and nobody wrongfully listed in this run: those two are empty
        assert (table.num_rows > 0) == (name not in ("wrongful", "events", "traced")), name
    with pytest.raises(ScsimError, match=r"to_arrow\('agent'\): no such table \(metrics, "
                                         r"agents, companies, sources, groups, "):
        result.to_arrow("agent")  # a bare KeyError before
    summary = result.summary()
    # the disparate impact of the shares ever listed in the run, named so: the report's
    # and the dashboard's charts give that of the shares on the list on the day
    assert {"score", "listing", "sanctions", "network", "chilling effect",
            "disparate impact, ever listed"} <= set(summary["section"])
    # shares are told as percentages in the notes, computed from the metrics
    notes = summary.set_index("figure")["note"]
    last = result.metrics.iloc[-1]
    assert notes["share of ties still active"] == (
        f"{100 * last['ties_active_frac']:.1f} % of ties")
    assert notes[f"share in the {label('lcc_frac')}"] == (
        f"{100 * last['lcc_frac']:.1f} % of agents")
    assert notes["listed now"] == f"{100 * last['listed'] / 2000:.2f} % of agents"
    # each tier with its scores (a letter alone told a reader nothing)
    tiers = sorted(result.scenario.tiers, key=lambda t: -t.min)
    top, low = tiers[0], tiers[-1]
    assert notes[top.name].endswith(f" of agents; {top.min:,g} points and up")
    assert notes[low.name].endswith(f" of agents; under {tiers[-2].min:,g} points")
    assert notes[tiers[1].name].endswith(f"; {tiers[1].min:,g} to under {top.min:,g} points")
    from scsim.outputs.summary import tier_bounds  # one tier holds every score

    one = scsim.load_scenario("national-800", overrides={"tiers": [{"name": "a", "min": 700}]})
    assert tier_bounds(one) == {"a": "every score"}
    ever = (result.agents["times_listed"] > 0).groupby(result.agents["group"],
                                                        observed=True).mean()
    assert notes["party: ever listed"].startswith(f"{100 * ever['party']:.1f} % of the group; ")


def test_the_wrongfully_listed_now_say_what_they_count():
    """The summary's "wrongfully listed now" had no note, where "listed now" beside it
    says "% of agents": a reader could not tell a count of agents from a share of the
    list. It says both, the share of agents and of those listed on the final day."""
    sc = scsim.load_scenario("national-800", agents=3000, days=60, overrides={
        "listing.threshold": 685, "surveillance.misattribution": 0.02})
    res = scsim.simulate(sc, seed=5)
    last = res.metrics.iloc[-1]
    assert 0 < last["wrongful_listed"] < last["listed"]
    notes = res.summary().set_index("figure")["note"]
    assert notes["wrongfully listed now"] == (
        f"{percent(last['wrongful_listed'] / 3000, 2)} of agents; "
        f"{percent(last['wrongful_listed'] / last['listed'], 1)} of those listed now")
    none = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=5), seed=1)
    assert none.summary().set_index("figure")["note"]["wrongfully listed now"] == (
        "0.00 % of agents; nobody listed now")


def test_a_rare_rate_per_person_keeps_its_digits():
    """Rates per person and year had 4 decimals: 3 blocked train tickets among 20,000
    people in 200 days read "0.0000/person/yr", which is none. Every rate a year of the
    table is per 100 people a year, as the headline gives blocked tickets, to the same
    significant digits: new listings and privilege uses were still "0.0123/person/yr"
    beside tickets "0.97 per 100 people a year", two scales in one table."""
    from scsim.outputs.headline import PER_100_DIGITS, run_headline

    res = scsim.simulate(scsim.load_scenario("national-800", agents=20_000, days=200),
                         seed=1)
    rows = res.summary().set_index("figure")
    train = rows.loc[label("blocked_train")]
    per_100 = 100 * train["value"] / 20_000 / (200 / 365)
    assert 0 < per_100 < 0.1
    said = f"{per_100:.2g}"  # e.g. 0.064
    assert train["note"].startswith(f"{said} per 100 people a year; "), train["note"]
    assert f" and {said} train tickets per 100 people a year " in run_headline(res)
    for figure in ("uses", label("newly_listed")):
        row = rows.loc[figure]
        rate = 100 * row["value"] / 20_000 / (200 / 365)
        assert rate > 0
        assert row["note"] == f"{in_digits(rate, PER_100_DIGITS)} per 100 people a year"
    assert not rows["note"].str.contains("/person/yr").any()
    # 200 days' rates read as a year's without a word: the run's days say so, as the
    # headline does
    assert rows.loc["days", "note"] == ("the rates a year below are scaled to a year from "
                                        "these days")


def test_the_tables_ticket_rates_are_the_headlines():
    """The summary table gave blocked tickets per person a year beside the 2018 figures
    without their readings ("0.00973/person/yr; 2018: 0.0129 / 0.0058"), under a headline
    (and beside the report's chart and the dashboard's bars) that says "0.97 air ...
    tickets per 100 people a year; China 2018: 1.3 ... as reported, 0.58 ... from the
    year-end totals": one figure on two scales, and two 2018 figures a reader could not
    tell apart. The table says them as the headline does."""
    from scsim.analysis.published import ticket_figures
    from scsim.outputs.headline import run_headline
    from scsim.outputs.words import in_digits

    res = scsim.simulate(scsim.load_scenario("national-800", agents=3000, days=365,
                                             overrides={"listing.threshold": 650}), seed=2)
    notes = res.summary().set_index("figure")["note"]
    headline = run_headline(res)
    for mode in ("air", "train"):
        rate = in_digits(100 * res.metrics[f"blocked_{mode}"].sum() / 3000)
        assert rate != "0"
        published = ", ".join(f"{in_digits(100 * f.value)} {f.reading_words}"
                              for f in ticket_figures(mode))
        assert notes[label(f"blocked_{mode}")] == (
            f"{rate} per 100 people a year; China 2018: {published}")
        assert f" {rate} {mode} " in headline or f" {rate} {mode} tickets" in headline
    assert notes[label("blocked_air")].endswith(
        "China 2018: 1.3 as reported, 0.58 from the year-end totals")
    assert "China 2018: 1.3 and 0.39 as reported, 0.58 and 0.13 from the year-end" in headline


def test_the_score_figures_say_what_they_are(result):
    """"sd 7.637 points", "gini 0.003361" with no note and "error-free mean: without
    errors" told a reader without statistics nothing: each note says what it measures."""
    notes = result.summary().set_index(["section", "figure"])["note"]
    assert "the standard deviation" in notes["score", "sd"]
    assert notes["score", "gini"] == ("inequality of the scores, 0: all equal, 1: the most "
                                      "unequal")
    assert notes["score", "error-free mean"] == ("points, the same acts without face-matching "
                                                 "errors and false reports")


def test_tickets_a_year_in_the_table_are_the_headlines():
    """A system that stops its sanctions part-way (high-control abolishes them after a
    year of two) blocked its tickets in the days they ran: the headline spread them over
    those days, the summary table over the whole run, so the two rates of one run
    differed (by half, for high-control). The table's are the headline's, and say so."""
    from scsim.outputs.headline import run_headline
    from scsim.outputs.words import in_digits

    sc = scsim.load_scenario({"base": "national-800", "days": 120,
                              "population": {"agents": 2000},
                              "listing": {"threshold": 690},
                              "timeline": [{"day": 80, "set": {"sanctions.enabled": False}}]})
    res = scsim.simulate(sc, seed=3)
    air = res.metrics["blocked_air"].sum()
    assert air > 0
    per_person = air / 2000 / (80 / 365)
    assert f"Blocked travel: {in_digits(100 * per_person)} air and " in run_headline(res)
    notes = res.summary().set_index("figure")["note"]
    assert notes[label("blocked_air")].startswith(
        f"{in_digits(100 * per_person)} per 100 people a year while sanctions were on (80 "
        "of the 120 days); China 2018: ")
    assert " while sanctions were on (80 of the 120 days); " in notes[
        label("blocked_tickets_wrongful")]


def test_a_change_in_acts_within_chance_is_said_so_in_the_table():
    """The headline said "Chilling effect: none beyond chance: 2 % fewer ..., within their
    day-to-day variation (± 4 %)", the table beside it "2 % fewer, last vs first 30 days"
    alone, which a reader took for the effect. The table says it too."""
    from scsim.outputs.headline import chilling_chance, chilling_change, run_headline

    res = scsim.simulate("national-800", agents=2000, days=60, seed=7)
    change, chance = chilling_change(res.metrics), chilling_chance(res.metrics)
    assert 0.005 < abs(change) <= chance and "none beyond chance" in run_headline(res)
    note = res.summary().set_index("figure")["note"]["change in penalised acts"]
    assert note == (f"{percent(abs(change))} fewer, last vs first 30 days; within the "
                    f"day-to-day variation (± {percent(chance)}): none beyond chance")


def test_save_round_trip_and_overwrite(result, tmp_path):
    target = tmp_path / "run"
    result.save(target)
    assert pq.read_table(target / "metrics.parquet").num_rows == 15
    result.save(target, force=True)  # replacing an earlier result is atomic too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_agents_table_written_in_blocks_of_rows(result, tmp_path, monkeypatch):
    """A fresh run of the same scenario and seed, its agents table built and written 700
    rows at a time: three row groups, and the same table as the one built whole."""
    monkeypatch.setattr(result_module, "AGENT_TABLE_ROWS", 700)
    fresh = scsim.simulate(scsim.load_scenario("three-tier", agents=2000, days=15), seed=9)
    fresh.save(tmp_path / "run")
    assert pq.ParquetFile(tmp_path / "run" / "agents.parquet").metadata.num_row_groups == 3
    whole = result.agents
    assert {"points_misattribution", "mistaken_for"} <= set(whole.columns)
    loaded = Result.load(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.agents, whole)
    loaded.save(tmp_path / "again")  # a loaded run is written in blocks too
    pd.testing.assert_frame_equal(Result.load(tmp_path / "again").agents, whole)


def test_failed_save_leaves_nothing(result, tmp_path, monkeypatch):
    original, calls = pq.write_table, []

    def failing_write(table, path, **kw):  # the second file fails half-way
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        original(table, path, **kw)

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError, match="disk full"):
        result.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []  # neither the result nor a temporary folder


def test_memory_refused_before_anything_is_allocated(monkeypatch):
    monkeypatch.setenv("SCSIM_MEMORY_LIMIT", "1G")
    built = []
    monkeypatch.setattr(world, "build_population", lambda *a, **k: built.append(1))
    sc = scsim.load_scenario("national-800", agents=20_000_000, days=30)
    with pytest.raises(MemoryRefused, match=r"20,000,000 agents for 30 days need about"):
        scsim.Simulation(sc)
    assert built == []


def test_counts_are_integers_with_the_same_values():
    res = scsim.simulate(scsim.load_scenario("national-800", agents=2000, days=20), seed=3)
    m = res.metrics
    for col in ("listed", "newly_listed", "blocked_air", "tier_a", "corp_listed", "pariahs",
                "acts_bad_driving"):
        assert m[col].dtype == np.int64, col
    for col in ("score_mean", "fear_mean", "ties_active_frac", "listed_rate_majority"):
        assert m[col].dtype == np.float64, col
    assert m["day"].dtype == np.int32
    counts = [c for c in m.columns if m[c].dtype == np.int64]
    assert (m[counts].to_numpy(np.float64) == res.metrics_table[
        :, [res.metrics_columns.index(c) for c in counts]]).all()


def test_companies_in_the_summary_only_when_they_are_scored(result):
    """three-tier's companies are employers, not scored: no companies section (it showed
    0 of 60 listed, a mean score of 1,000 points and no tax). pilot-1000 scores them."""
    assert not result.scenario.companies.enabled and len(result.companies)
    assert "companies" not in set(result.summary()["section"])
    scored = scsim.simulate(scsim.load_scenario("pilot-1000", agents=2000, days=15), seed=9)
    rows = scored.summary().set_index("section").loc["companies"].set_index("figure")
    last = scored.metrics.iloc[-1]
    assert rows.loc["listed", "note"] == f"of {len(scored.companies)}"
    assert rows["value"].tolist() == [last["corp_listed"], last["corp_score_mean"],
                                      last["tax_take"]]


def _listed_by_group(res) -> dict[str, int]:
    ever = res.agents["times_listed"] > 0
    return {g: int(k) for g, k in ever.groupby(res.agents["group"], observed=True).sum()
            .items()}


def test_small_numbers_name_the_group_whose_count_is_small():
    """The reference group (group_a) has 1 agent ever listed, group_b 56: group_b's note
    says group_a's count is small (it said "small numbers: 1 listed" as if group_b's)."""
    res = scsim.simulate(scsim.load_scenario("three-tier", agents=3000, days=20,
                                             overrides={"listing.threshold": 648}), seed=3)
    counts = _listed_by_group(res)
    assert counts["group_a"] < SMALL_COUNT <= counts["group_b"]
    notes = res.summary().set_index("figure")["note"]
    assert notes["group_b: ever listed"].endswith(
        f" (small numbers: group_a has {counts['group_a']} listed, so the ratio is noisy)")
    assert notes["group_a: ever listed"].endswith(
        f"the reference group (small numbers: group_a has {counts['group_a']} listed, "
        "so the share is noisy)")
    assert notes["party: ever listed"].endswith(
        f"(small numbers: party has {counts['party']} listed and group_a has "
        f"{counts['group_a']} listed, so the ratio is noisy)")


def test_no_ratio_to_a_reference_group_nobody_of_which_was_listed(result):
    counts = _listed_by_group(result)
    assert counts["group_a"] == 0
    notes = result.summary().set_index("figure")["note"]
    assert "no ratio: nobody in group_a listed" in notes["group_b: ever listed"]
    assert "group_a has" not in notes["group_b: ever listed"]  # no ratio, no noisy ratio


def test_a_share_that_is_not_one_is_not_shown_as_one():
    """One tie severed among tens of thousands: the share of ties still active is 0.99998,
    which the value column showed as "1" and the note as "100.0 %"."""
    res = scsim.simulate(scsim.load_scenario("pilot-1000", agents=10_000, days=5), seed=1)
    share = res.metrics["ties_active_frac"].iloc[-1]
    assert res.metrics["ties_severed"].sum() >= 1 and 0.99995 <= share < 1
    row = res.summary().set_index("figure").loc["share of ties still active"]
    shown = float(format_value(row["value"]))
    assert shown < 1 and abs(shown - share) < 1 - share  # nearer the share than 1 is
    assert row["note"] == f"{percent(share, 1)} of ties"
    told = float(row["note"].removesuffix(" % of ties"))
    assert told < 100 and abs(told - 100 * share) < 100 * (1 - share)  # not "100.0 %"


def test_format_value_keeps_its_rules_and_tells_a_fraction_from_one():
    assert format_value(1.0) == "1" and format_value(0.5) == "0.5"
    assert format_value(0.99994) == "0.9999"  # 4 significant digits tell it from 1
    assert format_value(0.99997) == "0.99997" and format_value(-0.99997) == "-0.99997"
    assert format_value(1 - 2 ** -53) == "0.9999999999999999"
    assert format_value(12_345.0) == "12,345" and format_value(784.06) == "784.1"
    assert format_value(1.00003) == "1"  # not a fraction: 4 significant digits, as before
    assert format_value(float("nan")) == "–"
    # plain digits in the tables a class reads, not "2.217e-05"
    assert format_value(2.217e-05) == "0.00002217" and format_value(-3.938e-05) == "-0.00003938"
    assert format_value(0.0) == "0" and format_value(12.5) == "12.5"


def test_a_groups_ratio_comes_with_its_interval():
    """national-800, seed 1: the minority's ever-listed share over the majority's, with
    the 95 % interval of a ratio of two binomial shares (Katz's log method) from the
    run's own counts, and "not a clear difference" when it spans 1."""
    res = scsim.simulate(scsim.load_scenario("national-800", agents=20_000), seed=1)
    counts = _listed_by_group(res)
    sizes = res.agents["group"].value_counts()
    x, n = counts["minority"], sizes["minority"]
    y, m = counts["majority"], sizes["majority"]
    ratio = (x / n) / (y / m)
    half = 1.96 * math.sqrt(1 / x - 1 / n + 1 / y - 1 / m)
    low, high = ratio * math.exp(-half), ratio * math.exp(half)
    assert low < 1 < high  # no group-specific mechanism moves this much at 20,000 agents
    note = res.summary().set_index("figure")["note"]["minority: ever listed"]
    assert note.endswith(f"ratio to majority: {ratio:.2f} (95 % CI {low:.2f} to {high:.2f}, "
                         "not a clear difference)")
    assert "CI" not in res.summary().set_index("figure")["note"]["majority: ever listed"]


def test_one_group_has_no_ratio_to_itself():
    res = scsim.simulate(scsim.load_scenario("pilot-1000", agents=2000, days=30), seed=1)
    (note,) = res.summary().query("section == 'disparate impact, ever listed'")["note"]
    ever = (res.agents["times_listed"] > 0).mean()
    assert note.startswith(f"{100 * ever:.1f} % of agents") and "ratio" not in note


def test_metrics_parquet_carries_each_columns_unit_and_meaning(tmp_path):
    """Read in R or with pyarrow, metrics.parquet says what each column is: its unit and
    description from the metric registry (a per-behaviour column names its behaviour),
    as field metadata; the values and the pandas reading are unchanged."""
    from scsim.outputs.metrics import metric_of

    res = scsim.simulate("national-800", agents=300, days=3, seed=2)
    schema = pq.read_schema(res.save(tmp_path / "r") / "metrics.parquet")
    for field in schema:
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        if field.name == "day":
            assert meta["unit"] == "day"
            continue
        m = metric_of(field.name)
        assert meta["unit"] == m.unit and meta["description"], field.name
    acts = schema.field("acts_bad_driving").metadata
    assert acts[b"description"] == b"acts of behaviour bad_driving"
    assert acts[b"unit"] == b"acts per day"
    back = pd.read_parquet(tmp_path / "r" / "metrics.parquet")
    pd.testing.assert_frame_equal(back, res.metrics)


def test_the_pariahs_note_says_the_scenarios_fraction():
    """The summary said pariahs "lost most of their ties" whatever
    `shaming.pariah_fraction` was: with 0.9, an agent who lost 2 of its 10 ties is a
    pariah (fewer active ties than 90 % of its original ones) and lost no majority."""
    sc = scsim.load_scenario("pilot-1000", agents=2000, days=20, overrides={
        "listing.threshold": 990, "shaming.pariah_fraction": 0.9})
    res = scsim.simulate(sc, seed=2)
    a = res.agents
    pariahs = a[a["pariah"]]
    assert len(pariahs) == res.metrics["pariahs"].iloc[-1] > 0
    assert (pariahs["active_degree"] < 0.9 * pariahs["degree"]).all()
    assert (pariahs["active_degree"] >= pariahs["degree"] / 2).any()  # kept most of them
    row = res.summary().set_index("figure").loc["pariahs"]
    assert row["note"] == "left with fewer than 90 % of their original ties"


def test_acts_deterred_says_it_is_the_last_days_mean_over_agents(result):
    """The summary's "acts deterred" row read "4.1 % of penalised acts not done": it is the
    final day's mean over agents of 1 − exp(−conformity · fear) (the metric
    deterrence_mean), not a share of the run's acts, and the rows of the final day say
    so."""
    row = result.summary().set_index("figure").loc["acts deterred"]
    share = result.metrics["deterrence_mean"].iloc[-1]
    assert row["value"] == share
    assert row["note"] == (f"final day: {percent(share, 1)}, the mean over agents of the share "
                           "of their penalised acts fear deters")


def test_a_run_that_errs_says_which_group_bears_the_wrongful_listings():
    """Does one group get listed wrongfully more often? A false-match rate three times as
    high for the minority puts more of its agents on the list wrongfully: the summary has
    each group's share ever wrongfully listed, from the agents table, and the minority's
    ratio to the reference group; a run that cannot err has no such rows."""
    res = scsim.simulate(scsim.load_scenario(
        "national-800", agents=20000, days=120,
        overrides={"surveillance.misattribution": 0.03, "listing.threshold": 690,
                   "surveillance.misattribution_factor": {"minority": 3.0}}), seed=2)
    a = res.agents
    wrongful = (a["wrongful_listings"] > 0).groupby(a["group"], observed=True)
    share, count = wrongful.mean(), wrongful.sum()
    assert count["minority"] >= SMALL_COUNT
    notes = res.summary().set_index("figure")
    for g in ("majority", "minority"):
        assert notes.loc[f"{g}: ever wrongfully listed", "value"] == pytest.approx(share[g])
    ratio = share["minority"] / share["majority"]
    assert ratio > 1.5
    assert (f"ratio to majority: {ratio:.2f} (95 % CI" in
            notes.loc["minority: ever wrongfully listed", "note"])
    flawless = scsim.simulate(scsim.load_scenario(
        "national-800", agents=2000, days=10,
        overrides={"surveillance.misattribution": 0.0}), seed=2)
    assert not flawless.names.errors
    assert not flawless.summary()["figure"].str.contains(": ever wrongfully listed").any()


def test_every_agents_column_is_defined_once_for_the_docs_and_the_dashboard(small_edges):
    """The agents table's columns were explained in three places that could disagree: a
    list of names in docs/metrics.md, the dashboard's words for the record and its terms.
    Each column (or family of columns, ``points_SOURCE``) is now defined once, beside the
    code that makes it (``AGENT_COLUMNS``): every column of a run has a definition, every
    definition a column, and the metrics page says each in the same words."""
    from scsim.outputs.result import AGENT_COLUMNS, agent_column
    from test_docs import built

    sc = scsim.load_scenario("national-800", days=5, network=str(small_edges))
    columns = list(scsim.simulate(sc, seed=1).agents.columns)
    assert "file_id" in columns and "points_association" in columns
    assert [c for c in columns if agent_column(c) is None] == []
    for start in AGENT_COLUMNS:  # none defined that a run lacks
        assert any(c == start or (start.endswith("_") and c.startswith(start))
                   for c in columns), start
    assert agent_column("clean_points_recovery") == (AGENT_COLUMNS["clean_points_"],
                                                     "recovery")
    assert agent_column("points_recovery") == (AGENT_COLUMNS["points_"], "recovery")
    # the run's own numbers where it has them, the setting's name for any scenario
    tier = AGENT_COLUMNS["tier"]
    assert tier.said(sc) == ("the band of scores it is in, by the scenario's thresholds: a "
                             "from 700 points, b from 650 points, c from 550 points, d "
                             "below 550 points")
    assert tier.said() == ("the band of scores it is in, by the scenario's thresholds (each "
                           "tier's lowest score: tiers[].min)")
    assert AGENT_COLUMNS["pariah"].said(sc).startswith(
        "left with fewer active ties than 50 % of its ties at the start")
    # a severe act lists directly only in a scenario that has one (mesa-parity has none)
    listed = AGENT_COLUMNS["listed"]
    assert "directly for a severe act" in listed.said(sc)
    assert listed.said(scsim.load_scenario("mesa-parity")) == (
        "on the blacklist (\"discredited\"): listed when its score fell below 940 points, "
        "for a term; sanctions such as travel bans apply meanwhile")
    page = built("metrics.md").split("## Agents and companies", 1)[1]
    for start, column in AGENT_COLUMNS.items():
        name = start + (column.rest or "")
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        assert (column.said() or "") in row, name
    assert ("| `propensity_CATEGORY` | propensity for CATEGORY acts | how often it does acts "
            "of that kind") in page
