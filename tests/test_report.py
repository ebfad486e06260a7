"""Reports: the HTML file embeds every chart it writes, each titled and captioned."""

from __future__ import annotations

import base64
import codecs
import re
from html import escape

import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import run_cli
from scsim.analysis.compare import SWITCHES_NOTE, compare
from scsim.errors import ScsimError
from scsim.outputs.headline import run_headline
from scsim.outputs.metrics import metric_label as label
from scsim.outputs.summary import (
    EVER_LISTED_DI,
    ON_THE_DAY_DI,
    SMALL_COUNT,
    format_value,
    listed_at_end,
)
from scsim.report import REPORT_FILE, report_comparison, report_run
from scsim.report.figures import RUN_CHARTS, draw_charts, tiers
from scsim.store import open_store

PNG = b"\x89PNG\r\n\x1a\n"


def check_report(html_path, expected):
    """Every PNG in the folder is non-empty, embedded in the HTML with its title and
    caption, and the HTML needs no network."""
    folder = html_path.parent
    html = html_path.read_text(encoding="utf-8")
    pngs = sorted(p for p in folder.iterdir() if p.suffix == ".png")
    assert [re.sub(r"^\d\d-", "", p.stem) for p in pngs] == expected
    figures = re.findall(r"<figure id='([^']+)'><img src='data:image/png;base64,([^']+)' "
                         r"alt='([^']+)' data-file='([^']+)'></figure>", html)
    assert [f[3] for f in figures] == [p.name for p in pngs]
    for (anchor, data, alt, _), png in zip(figures, pngs, strict=True):
        raw = png.read_bytes()
        assert raw.startswith(PNG) and len(raw) > 10_000
        assert base64.b64decode(data) == raw
        title, caption = alt.split(". ", 1)  # the PNG carries both; the alt text says them
        assert title and len(caption) > 40 and f"<a href='#{anchor}'>{title}</a>" in html
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", html)
    # each chart's numbers: a CSV beside its PNG, and the same bytes behind the link
    links = dict(re.findall(r"<a download='([^']+)' href='data:text/csv;base64,([^']+)'>",
                            html))
    for png in pngs:
        csv = png.with_suffix(".csv")
        assert base64.b64decode(links[csv.name]) == csv.read_bytes()
    return html


@pytest.fixture(scope="module")
def pair():
    a = scsim.load_scenario("national-800", agents=3000, days=60,
                            overrides={"listing.threshold": 685})
    b = scsim.load_scenario("national-800", agents=3000, days=60,
                            overrides={"listing.threshold": 685,
                                       "surveillance.misattribution": 0.02})
    return compare(a, b, seed=5)


def test_run_report(tmp_path, pair):
    res = pair.a[0]
    html = check_report(report_run(res, tmp_path / "report"), [
        "scores", "tiers", "listed", "travel", "chilling", "ties", "groups", "companies",
        "network", "sources", "regions"])
    assert "Wrongful listings by cause, cumulative (no wrongful listings)" in html
    assert "ever listed" in html and "national-800" in html  # the summary table
    for line in run_headline(res).splitlines():
        assert f"<p class='headline'>{escape(line)}</p>" in html
    scores = pd.read_csv(tmp_path / "report" / "01-scores.csv")
    assert list(scores.columns) == ["day", "score_mean", *(f"score_p{q:02d}" for q in (
        1, 5, 25, 50, 75, 95, 99)), "run"]
    assert "<td>companies</td>" in html  # national-800 scores its companies
    # the article it follows, told apart from the random seed (a teacher read "seed 5"
    # as the article)
    assert (" · source: article 001 (docs/model.md: what each part of the model takes from "
            "it) · ") in html and " · random seed 5 · " in html
    # a phone shows it at its own width (it rendered at 1,560 px, text tiny)
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
    # its icon named (served by the dashboard, a browser asked for /favicon.ico: a 404)
    assert "<link rel='icon' href='data:,'>" in html
    # the run is not the built-in national-800, and the report says how
    assert "<title>scsim report: national-800 (1 setting changed)</title>" in html
    assert ("<h2>What this run changes in the built-in national-800</h2><ul><li><code>"
            "listing.threshold: 550 → 685</code></li></ul>") in html
    # a chart of lines gives the lines it draws, in the units of its axis
    travel = pd.read_csv(tmp_path / "report" / "04-travel.csv")
    air = travel[travel["line"] == "air tickets"]
    assert set(air["unit"]) == {"blocked tickets per 100 agents (cumulative)"}
    np.testing.assert_array_equal(air["day"], res.metrics["day"])
    np.testing.assert_allclose(air["value"], res.metrics["blocked_air"].cumsum() * 100
                               / len(res.agents), rtol=1e-12)
    assert air["value"].iloc[-1] > 0
    ties = pd.read_csv(tmp_path / "report" / "06-ties.csv")
    assert list(ties.columns) == ["panel", "line", "unit", "day", "value"]
    assert ties.groupby("panel")["unit"].unique().map(list).to_dict() == {
        "left": ["% of ties / % of agents"], "right": ["pariahs per 100,000 agents"]}
    chilling = pd.read_csv(tmp_path / "report" / "05-chilling.csv")  # smoothed: said so
    assert set(chilling["unit"]) == {"acts per day, 14-day mean (% of the first 14 days)"}


def test_listed_csv_holds_the_numbers_the_chart_draws(tmp_path, pair):
    """The chart draws agents per 100,000 (as its axis and caption say); so does its CSV,
    whose columns say so (it held the counts under the metrics' names)."""
    from scsim.report.figures import PER, listed

    runs = list(zip(pair.labels, (pair.a[0], pair.b[0]), strict=True))
    report_comparison(pair, tmp_path / "cmp")
    csv = pd.read_csv(tmp_path / "cmp" / "04-listed.csv")
    assert list(csv.columns) == ["day", "listed_per_100k_agents",
                                 "wrongful_listed_per_100k_agents", "run"]
    (ax,) = listed(runs).figure.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    for run, res in runs:
        rows = csv[csv["run"] == run]
        for col in ("listed", "wrongful_listed"):
            line = lines[f"{label(col)} ({run.split(':')[0]})"]
            assert (rows["day"].to_numpy() == line.get_xdata()).all()
            assert (rows[f"{col}_per_100k_agents"].to_numpy() == line.get_ydata()).all()
            counts = rows[f"{col}_per_100k_agents"] * len(res.agents) / PER
            np.testing.assert_allclose(counts, res.metrics[col], rtol=1e-12)
    assert runs[1][1].metrics["wrongful_listed"].max() > 0  # B's second line is not all 0
    # the table per metric: the change relative to A in words, not raw fractions and nan
    page = (tmp_path / "cmp" / REPORT_FILE).read_text(encoding="utf-8")
    table = page[page.index("id='metrics'"):]
    assert "nan" not in table and "change_lo" not in table
    assert not re.search(r"\d\.0*[1-9]\d{6,}", table)  # no float printed whole
    assert re.search(r"<td>[+-]\d+\.\d+ %</td>", table)  # one pair: '-0.1 %', no interval


def test_charts_that_do_not_apply_are_left_out(tmp_path):
    res = scsim.simulate(scsim.load_scenario("court-blacklist", agents=2000, days=20), seed=1)
    assert not res.names.tiers
    html = check_report(report_run(res, tmp_path / "r"), [
        "listed", "travel", "ties", "network"])
    # the list-only reading moves nobody's score: no flat chart of scores, nor a caption
    # naming a threshold line it does not draw
    assert ("Not drawn: Score distribution over time (scoring is off: nobody&#x27;s score "
            "moves); Agents per tier (scoring is off") in html
    assert ("Listing rate per group and disparate impact, listed on the day (the "
            "population is one group: "
            "there is no other to compare") in html
    # one region: its one line, "region 0", was the listed chart again in other units
    assert ("Listed per region (the population lives in one region: there is no other to "
            "compare its listing rate with (the listed chart draws it))") in html
    # the list-only reading scores nobody: no empty frame of points by source
    assert ("Where the points come from (no source gave or took any points: nobody was "
            "scored)") in html
    assert "Companies (companies are not scored in this scenario)" in html
    assert "<td>companies</td>" not in html  # nor a companies section in the summary
    assert ("Wrongful listings per group (the population is one group: there is no other "
            "to compare its wrongful listings with)") in html
    assert len(RUN_CHARTS) == 10


def _warned(res) -> bool:
    charts, _ = draw_charts([("A", res)])
    return any("small numbers" in ax.get_title(loc="left") for c in charts
               if c.name == "groups" for ax in c.figure.axes)


def test_small_numbers_are_flagged_on_the_ratio_chart(pair):
    many = pair.a[0]  # a listing threshold of 685: many listed in every group
    assert min(listed_at_end(many, g) for g in many.names.groups) >= SMALL_COUNT
    assert not _warned(many)
    few = scsim.simulate(scsim.load_scenario("national-800", agents=3000, days=60), seed=5)
    fewest = min((listed_at_end(few, g), g) for g in few.names.groups)
    assert fewest[0] < SMALL_COUNT
    assert _warned(few)
    # the warning names the group and the day it counts ("13 listed in a group" said
    # neither), and the dashboard's ratio chart carries it too (it said nothing)
    from scsim.dashboard.views import run_view

    said = (f"small numbers: {fewest[1]} has {fewest[0]} listed on the final day (under "
            f"{SMALL_COUNT}): noisy ratios")
    (title,) = [ax.get_title(loc="left") for c in draw_charts([("A", few)])[0]
                if c.name == "groups" for ax in c.figure.axes if ax.get_title(loc="left")]
    assert title == f"⚠ {said}"
    assert run_view(few)["ratio_warning"] == said and run_view(many)["ratio_warning"] == ""


def test_the_two_disparate_impacts_are_named_apart(tmp_path, pair):
    """A journalist read "disparate impact" 1.20 in the summary (`scsim run --full`: the
    shares of each group ever listed in the run) and 1.146 in the report's chart (the
    shares on the list on the final day): two figures under one name. Each screen now
    says which it gives, and the chart's caption points to the other."""
    res = pair.a[0]
    summary = res.summary()
    # the names as the screens show them: the summary table's section, ...
    assert "disparate impact, ever listed" in set(summary["section"])
    ever = summary[summary["section"] == EVER_LISTED_DI].set_index("figure")
    # the summary's ratio is of the shares ever listed ...
    size = res.agents["group"].value_counts()
    ever_share = (res.agents.assign(ever=res.agents["times_listed"] > 0)
                  .groupby("group", observed=True)["ever"].sum() / size)
    ratio = ever_share["minority"] / ever_share["majority"]
    assert f"ratio to majority: {ratio:.2f}" in ever.loc["minority: ever listed", "note"]
    # ... the chart's, of the shares on the list each day (di_minority)
    (chart,) = [c for c in draw_charts([("A", res)])[0] if c.name == "groups"]
    assert chart.title == "Listing rate per group and disparate impact, listed on the day"
    assert f"Right: {ON_THE_DAY_DI}, a group's share on the list that day" in chart.caption
    assert f"shares ever listed in the run instead (\"{EVER_LISTED_DI}\")" in chart.caption
    right = chart.figure.axes[1]
    assert right.get_ylabel() == "listed share that day / majority's (ratio)"
    html = report_run(res, tmp_path / "r").read_text(encoding="utf-8")
    for name in ("disparate impact, ever listed", "disparate impact, listed on the day"):
        assert escape(name) in html, name


def test_comparison_report(tmp_path, pair):
    html = check_report(report_comparison(pair, tmp_path / "cmp"), [
        "scores", "difference", "tiers", "listed", "travel", "chilling", "ties", "groups",
        "wrongful_groups", "companies", "network", "sources", "causes", "regions"])
    assert "surveillance.misattribution</code>: 0.001 → 0.02" in html
    assert "listed under B, not under A" in html
    assert escape(SWITCHES_NOTE) in html  # rows counted each way, not the net change
    # the metrics in words with their units, as the CLI and the dashboard name them; no
    # figure with an exponent
    metrics = html[html.index("<h2 id='metrics'>"):]
    assert "<td>mean score</td><td>final day</td><td>points</td>" in metrics
    assert "<td>score_mean</td>" not in metrics
    assert "<td>largest component</td><td>final day</td><td>share (0-1)</td>" in metrics
    assert not re.search(r"<td class='num'>-?[\d.]+e[-+]\d+</td>", html)
    assert " · random seed 5" in html
    # per group, the summary's disparate impact of A and B, of the shares ever listed in
    # the run, from each side's agents table
    ratios = []
    for res in (pair.a[0], pair.b[0]):
        ever = (res.agents["times_listed"] > 0).groupby(res.agents["group"],
                                                         observed=True).mean()
        ratios.append(ever["minority"] / ever["majority"])
    cells = "".join(f"<td class='num'>{format_value(v)}</td>"
                    for v in (*ratios, ratios[1] - ratios[0]))
    assert f"<td>minority</td><td>{escape(EVER_LISTED_DI)} (ratio)</td>{cells}" in html


def test_a_chart_one_side_cannot_have_draws_the_other(tmp_path):
    """no-system against national-800: the report said "Not drawn: companies (companies
    are not scored in this scenario)" though B scores companies. A chart drawn for one
    side says which side it leaves out, and why."""
    a, b = (scsim.load_scenario(name, agents=1000, days=20)
            for name in ("no-system", "national-800"))
    html = check_report(report_comparison(compare(a, b, seed=4), tmp_path / "cmp"), [
        "scores", "difference", "tiers", "listed", "travel", "chilling", "ties", "groups",
        "companies", "network", "sources", "regions"])
    assert "companies are not scored" not in html
    # A lists nobody: no ratio of the shares ever listed there, said as the summary says it
    assert escape(f"{EVER_LISTED_DI}: no ratio under A: nobody in majority listed") in html
    assert re.search(r"A: no-system scores no companies,\s+so it is not drawn\.", html)
    court = scsim.load_scenario("court-blacklist", agents=1000, days=20)  # no tiers
    chart = tiers([("A: court-blacklist", scsim.simulate(court, seed=1)),
                   ("B: no-system", scsim.simulate(a, seed=1))])
    assert " ".join(chart.caption.split()).endswith(
        "A: court-blacklist has no tiers, so it is not drawn.")


def test_a_side_that_scores_nobody_is_said_not_drawn_as_an_empty_frame():
    """no-system against national-800: "Where the points come from" drew A's panel empty,
    its days running from 0 to 1 beside B's 0 to 19. The side that scores nobody is left
    out and the caption says so, as the tiers and companies charts do."""
    from scsim.report.provenance import sources

    a, b = (scsim.simulate(scsim.load_scenario(name, agents=1000, days=20), seed=4)
            for name in ("no-system", "national-800"))
    chart = sources([("A: no-system", a), ("B: national-800", b)])
    (panel,) = chart.figure.axes
    assert panel.get_xlim()[1] > 10  # B's days
    assert " ".join(chart.caption.split()).endswith(
        "A: no-system scores nobody, so it is not drawn.")
    assert set(chart.data["run"]) == {"B: national-800"}
    both = sources([("A: national-800", b), ("B: national-800", b)])
    assert len(both.figure.axes) == 2 and "not drawn" not in both.caption


def test_a_side_that_lists_nobody_is_said_not_drawn_per_region():
    """no-system against national-800: "Listed per region" drew A's panel as eight flat
    lines at 0. The side that lists nobody is left out and the caption says so."""
    from scsim.report.provenance import regions

    a, b = (scsim.simulate(scsim.load_scenario(name, agents=1000, days=20), seed=4)
            for name in ("no-system", "national-800"))
    chart = regions([("A: no-system", a), ("B: national-800", b)])
    assert len(chart.figure.axes) == 1
    assert " ".join(chart.caption.split()).endswith(
        "A: no-system lists nobody, so it is not drawn.")
    both = regions([("A: national-800", b), ("B: national-800", b)])
    assert len(both.figure.axes) == 2 and "not drawn" not in both.caption


def test_report_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path))
    code, out, _ = run_cli(monkeypatch, capsys, "run", "informants", "--agents", "2000",
                           "--days", "30", "--quiet", "--report")
    run_id = open_store(tmp_path).runs()["id"][0]
    assert code == 0 and str(tmp_path / "reports" / run_id / REPORT_FILE) in out
    # a run compared with itself (B − A is 0 in everything) is refused: it quietly wrote
    # a report of nothing
    code, out, err = run_cli(monkeypatch, capsys, "report", run_id, "last", "--out",
                             str(tmp_path / "self"))
    assert (code, out) == (2, "") and err == (
        f"error: run {run_id} is given as both A and B: a comparison needs two different "
        f"runs (one compared with itself differs in nothing). `scsim report {run_id}` "
        "reports it alone; to compare informants with itself under a changed setting, "
        "`scsim compare informants informants --agents 2000 --days 30 --set-b KEY=VALUE`; "
        "to see how its figures vary from one seed to another, `scsim sweep informants "
        "--agents 2000 --days 30 --reps 10`")
    assert not (tmp_path / "self").exists()
    res = scsim.simulate(scsim.load_scenario("informants", agents=300, days=3))
    with pytest.raises(ScsimError, match=r"^the same result is given as both A and B: .* "
                                         r"scsim\.report\(result\) reports it alone"):
        scsim.report([res, res], tmp_path / "self")
    assert not (tmp_path / "self").exists()
    # two runs of the same scenario and seed are two runs: their report says B changes
    # nothing
    code, _, _ = run_cli(monkeypatch, capsys, "run", "informants", "--agents", "2000",
                         "--days", "30", "--quiet")
    code, _, err = run_cli(monkeypatch, capsys, "report", run_id, "last", "--out",
                           str(tmp_path / "same"))
    html = (tmp_path / "same" / REPORT_FILE).read_text(encoding="utf-8")
    assert code == 0 and "Nothing: A and B are the same scenario." in html, err
    code, _, err = run_cli(monkeypatch, capsys, "report", "nope")
    assert code == 2 and "no run 'nope'" in err
    # a comparison over two pairs keeps both: the headline's interval and the band
    code, _, _ = run_cli(monkeypatch, capsys, "compare", "national-800", "national-800",
                         "--set-a", "listing.threshold=685", "--set-b", "listing.threshold=685",
                         "--set-b", "surveillance.misattribution=0.02", "--agents", "2000",
                         "--days", "30", "--reps", "2", "--quiet")
    ids = list(open_store(tmp_path).runs().sort_values("started")["id"])[-4:]
    code, _, err = run_cli(monkeypatch, capsys, "report", *ids, "--out", str(tmp_path / "two"))
    html = (tmp_path / "two" / REPORT_FILE).read_text(encoding="utf-8")
    assert code == 0 and "mean over 2 pairs" in html and "95 % CI" in html, err
    assert "random seeds 0, 1" in html
    # its charts of A and B side by side are the first pair's, and say so (they were
    # unlabelled, and their numbers disagreed with the tables over both pairs)
    assert (f"show the first pair, seed 0 (runs {ids[0]} and {ids[1]}); the B − A chart, "
            "the headline and the tables take all 2 pairs") in html
    listed = pd.read_csv(next((tmp_path / "two").glob("*-listed.csv")))
    assert len(listed) and listed["run"].str.endswith("(seed 0)").all()
    code, _, err = run_cli(monkeypatch, capsys, "report", *ids[:3])
    assert code == 2 and "pairs of runs" in err


def test_each_chart_of_one_pair_of_several_says_so_itself(tmp_path):
    """A comparison over two pairs drew its listed chart (and the other charts of A and
    B) from the first pair alone, its legend saying "listed (A)": only the page's text
    said so, not the PNG a journalist takes for an article, beside a headline that is the
    mean over both pairs. Each such chart now says so in its caption; the B − A chart,
    over both pairs, does not, nor does a comparison of one pair."""
    a = scsim.load_scenario("informants", agents=1000, days=20)
    b = scsim.load_scenario("informants", agents=1000, days=20,
                            overrides={"reports.false_rate": 0.006})
    note = "A and B: the first of the 2 pairs (seed 3), not their mean."
    html = report_comparison(compare(a, b, seed=3, reps=2), tmp_path / "two").read_text(
        encoding="utf-8")
    alts = dict(re.findall(r"<figure id='([^']+)'><img src='[^']+' alt='([^']+)'", html))
    assert "listed" in alts and "difference" in alts
    assert all(alt.endswith(escape(note)) for name, alt in alts.items()
               if name != "difference"), alts
    assert note not in alts["difference"]
    one = report_comparison(compare(a, b, seed=3), tmp_path / "one").read_text(
        encoding="utf-8")
    assert "the first of" not in one
    # drawn under the chart too, wrapped with the rest of its caption
    charts, _ = draw_charts([("A", scsim.simulate(a, seed=3))], note=note)
    figure = charts[0].figure
    (drawn,) = (" ".join(t.get_text().split()) for t in figure.texts
                if t.get_text() != figure.get_suptitle())
    assert drawn == charts[0].caption and drawn.endswith(note)
    assert figure.get_suptitle() == charts[0].title  # the title kept


def test_charts_not_drawn_are_named_by_their_titles(tmp_path, pair):
    """The report's "Not drawn" line named a chart left out by its file stem, a word of
    the code: "Not drawn: wrongful_groups (nobody was listed wrongfully); causes (no
    wrongful listings)". It names it by the title the chart has where it is drawn; and a
    comparison of several pairs says that these reasons are the first pair's, whose
    charts they are, beside a headline over all pairs that may count wrongful listings."""
    from scsim.report.figures import CHART_TITLES

    drawn, _ = draw_charts([(f"{side}: national-800", res)
                            for side, res in zip("AB", (pair.a[0], pair.b[0]), strict=True)],
                           pair)
    assert {c.name for c in drawn} == set(CHART_TITLES)
    # the network's title says whether a tie was severed in the samples drawn
    severed = any(r.sample.ties["severed_end"].any() for r in (pair.a[0], pair.b[0])
                  if r.sample is not None)
    network = (f"Who was cut off: {CHART_TITLES['network'].lower()}" if severed
               else f"{CHART_TITLES['network']}: no tie was severed")
    for chart in drawn:
        assert chart.title == (network if chart.name == "network"
                               else CHART_TITLES[chart.name]), chart.name
    a = scsim.load_scenario("national-800", agents=500, days=10)
    html = report_comparison(compare(a, a, seed=1, reps=2), tmp_path / "cmp").read_text(
        encoding="utf-8")
    said = " ".join(re.search(r"<p class='lead'>(Not drawn: .*?)</p>", html, re.S).group(1).split())
    assert said == ("Not drawn: Wrongful listings per group (nobody was listed wrongfully); "
                    "Wrongful listings by cause, cumulative (no wrongful listings). A and B: "
                    "the first of the 2 pairs (seed 1), not their mean.")
    assert "wrongful_groups" not in said


def test_provenance_charts_and_case_files(tmp_path):
    """Where the points come from, wrongful listings by cause, listings per region, and
    three case files of wrongfully listed traced agents."""
    from scsim.outputs.casefile import Trace

    sc = scsim.load_scenario("national-800", agents=3000, days=60,
                             overrides={"listing.threshold": 690,
                                        "surveillance.misattribution": 0.05})
    res = scsim.simulate(sc, seed=2, trace=Trace(sample=5, wrongful=True))
    assert len(res.wrongful) >= 3
    html = check_report(report_run(res, tmp_path / "r"), [
        "scores", "tiers", "listed", "travel", "chilling", "ties", "groups", "wrongful_groups",
        "companies", "network", "sources", "causes", "regions"])
    assert "Where the points come from" in html and "Wrongful listings by cause" in html
    assert "<h2 id='casefiles'>Case files</h2>" in html
    assert html.count(": case file, ") == 3
    assert html.count("LISTED — wrongfully (cause: ") >= 3


def test_region_curves_start_when_the_system_starts_there(pair):
    """national-800 pilots in regions 0 and 1 and goes nationwide on day 90 (beyond these
    60 days): the per-region chart draws the two pilot regions from day 0 and no point of
    the others, as its caption says, not a line at 0 for regions not yet in the system."""
    from scsim.report.provenance import regions

    res = pair.a[0]
    chart = regions([("A", res)])
    (ax,) = chart.figure.axes[:1]
    drawn = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert np.isfinite(drawn["region 0"]).all() and np.isfinite(drawn["region 1"]).all()
    for r in range(2, 8):
        assert np.isnan(drawn[f"region {r}"]).all()


def test_shared_axes_show_both_sides_whole(pair):
    """The per-region and wrongful-cause charts of a comparison share their y axis: it
    covers the larger side (B's false matches list more people wrongfully), not A's alone
    (it was fixed at A's scale before B was drawn, and B ran off the top)."""
    from scsim.report.provenance import causes, regions

    runs = [("A", pair.a[0]), ("B", pair.b[0])]
    top_b = max(len(pair.b[0].wrongful), 1)
    assert len(pair.b[0].wrongful) > 2 * max(len(pair.a[0].wrongful), 1)
    ax_a, ax_b = causes(runs).figure.axes[:2]
    assert ax_a.get_ylim()[1] >= top_b and ax_b.get_ylim()[1] >= top_b
    ax_a, ax_b = regions(runs).figure.axes[:2]
    drawn = np.concatenate([line.get_ydata() for ax in (ax_a, ax_b) for line in ax.get_lines()])
    highest = np.nanmax(drawn)  # regions the roll-out has not reached are all NaN
    assert ax_a.get_ylim()[1] >= highest


def test_the_2018_ticket_figures_are_in_the_legend(pair):
    """The four 2018 reference lines of the travel chart are named in its legend (their
    labels beside the lines' ends overlapped and ran off the figure), per 100 people a
    year like the chart's axis and the headline."""
    from scsim.report.figures import travel

    (ax,) = travel([("A", pair.a[0])]).figure.axes
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["air tickets", "train tickets"]
    assert legend[2:] == ["air 2018, as reported: 1.3 per 100 people a year",
                          "air 2018, from the year-end totals: 0.58 per 100 people a year",
                          "train 2018, as reported: 0.39 per 100 people a year",
                          "train 2018, from the year-end totals: 0.13 per 100 people a year"]
    assert not ax.texts


def test_the_travel_chart_counts_per_100_agents(pair):
    """The travel chart drew blocked tickets per agent, 0.004 and the like, which a reader
    could not take in at a glance. It draws them per 100 agents, as its axis and caption
    say (and the headline), and the 2018 lines on the same scale (the figure per person a
    year x 100, added up over the days), so the two stay comparable."""
    from scsim.analysis.published import ticket_figures
    from scsim.report.figures import travel

    runs = list(zip(pair.labels, (pair.a[0], pair.b[0]), strict=True))
    chart = travel(runs)
    (ax,) = chart.figure.axes
    assert " ".join(ax.get_ylabel().split()) == "blocked tickets per 100 agents (cumulative)"
    assert "per 100 agents" in chart.caption
    assert "per 100 people a year" in chart.caption
    lines = {line.get_label(): line for line in ax.get_lines()}
    for run, res in runs:
        side = run.split(":")[0]
        for mode in ("air", "train"):
            line = lines[f"{mode} tickets ({side})"]
            assert (line.get_xdata() == res.metrics["day"].to_numpy()).all()
            np.testing.assert_allclose(
                line.get_ydata(),
                res.metrics[f"blocked_{mode}"].cumsum() * 100 / len(res.agents), rtol=1e-12)
    assert lines["air tickets (A)"].get_ydata()[-1] > 1  # a reading of whole tickets
    last = len(runs[0][1].metrics) - 1
    for mode in ("air", "train"):
        for figure in ticket_figures(mode):
            (line,) = [ln for label, ln in lines.items()
                       if label.startswith(f"{mode} 2018, {figure.reading_words}:")]
            np.testing.assert_allclose(line.get_ydata(),
                                       [0, figure.value * 100 * last / 365], rtol=1e-12)


def test_case_files_section_tells_traced_agents_with_nothing_to_tell():
    """Agents traced to whom nothing happened are not 'no agent was traced' (the section
    told the user to trace agents, which they had done)."""
    from scsim.report.provenance import case_files_html

    res = scsim.simulate(scsim.load_scenario("court-blacklist", agents=2000, days=10),
                         seed=1, trace=10)
    assert len(res.traced) == 10 and len(res.events) == 0  # court defaults are rare
    assert case_files_html(res) == (
        "<p>10 agents were traced, and nothing happened to any of them: no act, sighting, "
        "report, listing or sanction (<code>scsim explain RUN</code> lists them).</p>")
    untraced = scsim.simulate(scsim.load_scenario("court-blacklist", agents=2000, days=10),
                              seed=1)
    assert case_files_html(untraced).startswith("<p>No agent was traced")


def test_the_difference_csv_holds_the_numbers_the_chart_draws(tmp_path):
    """The B − A chart draws agents per 100,000 (and penalised acts, a 14-day mean), the
    mean over the pairs; its CSV held each pair's raw counts under the metrics' names
    ("listed": B's list, or A's?), so its numbers matched nothing drawn. It holds each
    pair's B − A in the chart's units, named so, whose mean is the line."""
    from scsim.report.figures import PER, SMOOTH, differences

    a = scsim.load_scenario("informants", agents=1000, days=20)
    b = scsim.load_scenario("informants", agents=1000, days=20,
                            overrides={"reports.false_rate": 0.006})
    cmp = compare(a, b, seed=3, reps=2)
    report_comparison(cmp, tmp_path / "two")
    csv = pd.read_csv(next((tmp_path / "two").glob("*-difference.csv")))
    acts = f"penalised_acts_per_day_{SMOOTH}_day_mean_b_minus_a_per_100k_agents"
    assert list(csv.columns) == ["day", "listed_b_minus_a_per_100k_agents",
                                 "wrongful_listed_b_minus_a_per_100k_agents", acts,
                                 "pair", "seed"]
    assert csv.groupby("pair")["seed"].first().tolist() == [3, 4]
    daily = cmp.daily(1)
    second = csv[csv["pair"] == 1]
    np.testing.assert_allclose(second["listed_b_minus_a_per_100k_agents"],
                               daily["listed"] / 1000 * PER, rtol=1e-12)
    np.testing.assert_allclose(second[acts], daily["penalised_acts"].rolling(
        SMOOTH, min_periods=1).mean() / 1000 * PER, rtol=1e-12)
    left, right = differences(cmp).figure.axes
    for ax, column in ((left, "wrongful_listed_b_minus_a_per_100k_agents"), (right, acts)):
        (line,) = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")][-1:]
        np.testing.assert_allclose(line.get_ydata(), csv.groupby("day")[column].mean(),
                                   rtol=1e-12, atol=1e-9)


def test_the_area_charts_csv_hold_the_numbers_they_draw(pair):
    """The tiers chart draws % of agents and the sources chart points per agent and day
    (a 14-day mean); their CSVs held the agents per tier and the day's points over all
    agents under the metrics' names, numbers a reader could not find in either chart."""
    from scsim.report.figures import SMOOTH

    res = pair.a[0]
    n = len(res.agents)
    charts = {c.name: c for c in draw_charts([("A", res)])[0]}
    tiers = charts["tiers"].data
    for t in res.names.tiers:
        np.testing.assert_allclose(tiers[f"tier_{t}_pct_of_agents"],
                                   res.metrics[f"tier_{t}"] / n * 100, rtol=1e-12)
        assert (tiers[f"tier_{t}_agents"] == res.metrics[f"tier_{t}"]).all()
    assert not any(c in tiers for c in res.metrics if c.startswith("tier_"))
    sources = charts["sources"].data
    drawn = [c for c in sources if c.startswith("points_")]
    assert drawn and all(c.endswith(f"_per_agent_per_day_{SMOOTH}_day_mean") for c in drawn)
    np.testing.assert_allclose(
        sources["points_true_sighting_per_agent_per_day_14_day_mean"],
        (res.metrics["points_true_sighting"] / n).rolling(SMOOTH, min_periods=1).mean(),
        rtol=1e-12)


def test_the_csv_numbers_carry_no_rounding_noise():
    """3 listed of 20,000 were written as 14.999999999999998 per 100,000 in the listed
    chart's CSV (and 19,421 in tier a as 97.10499999999999 %): counts are multiplied
    before they are divided, and come out as the numbers they are."""
    from scsim.report.figures import listed

    res = scsim.simulate(scsim.load_scenario("national-800", agents=2000, days=30,
                                             overrides={"listing.threshold": 685}), seed=1)
    data = listed([("A", res)]).data
    assert res.metrics["listed"].nunique() > 5
    np.testing.assert_array_equal(data["listed_per_100k_agents"], res.metrics["listed"] * 50)
    bands = tiers([("A", res)]).data
    for t in res.names.tiers:
        np.testing.assert_array_equal(bands[f"tier_{t}_pct_of_agents"],
                                      res.metrics[f"tier_{t}"] / 20)


def test_the_summary_table_comes_as_a_csv_too(tmp_path, pair):
    """Every chart's numbers came as a CSV, but the summary table (how many listed, how
    many wrongfully, by group) was in the page alone, its numbers text with thousands
    separators. It comes as summary.csv beside the page (and behind a link), numbers as
    numbers, a cause's figure without the table's indent."""
    res = pair.b[0]
    html = report_run(res, tmp_path / "report").read_text(encoding="utf-8")
    csv = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert list(csv.columns) == ["section", "figure", "value", "note"]
    assert csv["value"].dtype == np.float64
    rows = csv.set_index("figure")
    summary = res.summary().assign(figure=lambda s: s["figure"].str.strip()).set_index(
        "figure")
    assert rows.loc["ever wrongfully listed", "value"] == summary.loc[
        "ever wrongfully listed", "value"] > 0
    assert any(f.startswith("cause: ") for f in csv["figure"])
    assert "agents" not in set(csv["figure"])  # the run's size is in the page's facts
    link = re.search(r"<a download='summary.csv' href='data:text/csv;base64,([^']+)'>"
                     r"the numbers of this table \(summary.csv\)</a>", html)
    assert link and base64.b64decode(link.group(1)) == (
        tmp_path / "report" / "summary.csv").read_bytes()
    # a spreadsheet opened on a double-click reads UTF-8 by its byte-order mark (Excel
    # garbled "×" and "–" without it), the charts' numbers as the summary's
    for csv_file in (tmp_path / "report").glob("*.csv"):
        assert csv_file.read_bytes().startswith(codecs.BOM_UTF8), csv_file.name


def test_a_case_file_cut_short_says_how_many_lines_are_left(monkeypatch):
    """A case file one line too long for the report ended "… 1 more lines (scsim
    explain)": that line is shown instead; two or more left are said, in the plural."""
    from scsim.report import provenance

    res = scsim.simulate(scsim.load_scenario("informants", agents=2000, days=40), seed=1,
                         trace=20)

    def first_case_file() -> list[str]:
        html = provenance.case_files_html(res)
        return html[html.index("<pre>") + 5:html.index("</pre>")].split("\n")

    whole = first_case_file()
    assert len(whole) >= 4 and not whole[-1].startswith("…")
    monkeypatch.setattr(provenance, "CASE_LINES", len(whole) - 2)  # one line too many
    assert first_case_file() == whole
    monkeypatch.setattr(provenance, "CASE_LINES", len(whole) - 3)  # two
    assert first_case_file() == [*whole[:-2], "… 2 more lines (scsim explain)"]


def test_a_narrow_charts_title_and_caption_stay_inside_it():
    """A sweep over one parameter draws a 5-inch chart: its title and caption were cut at
    the right edge ("... (tickets), against", "lines jo"); wrapped, every line is inside."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from scsim.experiments.charts import sweep_charts

    output = "blocked_air_per_capita_year"
    table = pd.DataFrame({"listing.threshold": [900, 950], "reps": [2, 2], output: [0.1, 0.2],
                          f"{output}_ci95": [0.01, 0.02]})
    (chart,) = sweep_charts(table, ["listing.threshold"], [output])
    canvas = FigureCanvasAgg(chart.figure)
    canvas.draw()
    box = chart.figure.bbox
    title = chart.figure.get_suptitle()
    caption = next(t for t in chart.figure.texts if t.get_text().startswith("Each point"))
    texts = [t for t in chart.figure.texts if t.get_text() == title] + [caption]
    assert len(texts) == 2 and all("\n" in t.get_text() for t in texts)  # both wrapped
    for text in texts:
        seen = text.get_window_extent(canvas.get_renderer())
        assert box.x0 <= seen.x0 and seen.x1 <= box.x1 and box.y0 <= seen.y0
    axes = chart.figure.axes[0].get_tightbbox(canvas.get_renderer())  # with its labels
    assert caption.get_window_extent(canvas.get_renderer()).y1 < axes.y0  # below the panel


def test_long_side_labels_are_wrapped_over_their_panels(pair):
    """A comparison's side labels name what each side changes, and can be longer than a
    panel is wide: wrapped, each stays within its half of the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from scsim.report.provenance import sources

    long = ("A: national-800, scoring.association.listed_penalty=0.3 (+2 more)",
            "B: national-800, scoring.association.listed_penalty=0.3 (+2 more)")
    chart = sources([(long[0], pair.a[0]), (long[1], pair.b[0])])
    canvas = FigureCanvasAgg(chart.figure)
    canvas.draw()
    width = chart.figure.bbox.x1
    for k, ax in enumerate(chart.figure.axes[:2]):
        title = ax._left_title  # set_title(loc="left")
        assert "\n" in title.get_text()
        seen = title.get_window_extent(canvas.get_renderer())
        assert seen.x1 <= width * (k + 1) / 2 + 5  # within its own half
    # the chart's numbers name each panel on one line (a CSV field with a line break in it)
    from scsim.report.figures import drawn_lines
    from scsim.report.provenance import regions

    lines = drawn_lines(regions([(long[0], pair.a[0]), (long[1], pair.b[0])]))
    assert set(lines["panel"]) == set(long)


def test_a_run_without_the_system_draws_no_empty_frames():
    """no-system scores nobody: no empty "Where the points come from" frame with a 0-1 axis
    (said instead under "Not drawn"), and the ratio panel says there is no ratio rather
    than warning of noisy ones over an empty axis from day -0.04 to 0.04."""
    from scsim.report.figures import groups
    from scsim.report.provenance import sources

    res = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=20), seed=1)
    assert sources([("A", res)]) == "no source gave or took any points: nobody was scored"
    right = groups([("A", res)]).figure.axes[1]
    assert right.get_title(loc="left") == ("no ratio: nobody in the group majority was listed "
                                           "on any day")
    assert right.get_xlim() == (0.0, 19.0)


def test_a_side_without_wrongful_listings_keeps_its_days(pair):
    """In a comparison where only B lists anyone wrongfully, A's panel of causes spans the
    run's days (it showed day 0 to 1)."""
    from scsim.report.provenance import causes

    assert len(pair.a[0].wrongful) < len(pair.b[0].wrongful)
    for ax in causes([("A", pair.a[0]), ("B", pair.b[0])]).figure.axes[:2]:
        assert ax.get_xlim() == (0.0, 59.0)


def test_a_population_of_one_group_has_no_disparate_impact_chart_or_note():
    """mesa-parity (one group, "everyone") drew a disparate-impact line flat at 1, and its
    summary said "small numbers: everyone has 17 listed, so the share is noisy"."""
    res = scsim.simulate(scsim.load_scenario("mesa-parity", agents=1000, days=20), seed=1)
    assert len(res.names.groups) == 1
    charts, skipped = draw_charts([("", res)])
    assert "groups" not in {c.name for c in charts}
    assert skipped["groups"].startswith("the population is one group")
    notes = res.summary().set_index("section").loc[[EVER_LISTED_DI], "note"]
    assert not notes.str.contains("small numbers").any()


def test_a_one_day_run_draws_no_empty_chart_of_change():
    """A one-day run's report drew the chilling and sources charts empty, on an axis from
    −0.04 to 0.04, captioned with a 14-day rolling mean."""
    res = scsim.simulate(scsim.load_scenario("national-800", agents=500, days=1), seed=1)
    charts, skipped = draw_charts([("", res)])
    assert {"chilling", "sources"}.isdisjoint(c.name for c in charts)
    assert skipped["chilling"] == skipped["sources"] == (
        "a run of one day: there is no change over its days to draw")


def test_a_timeline_is_told_in_full(tmp_path):
    """A reader is told what changes on which day: the run report lists the timeline's
    steps, a comparison of two timelines names each step of both (a 60-character cut hid
    where they differ) in its list and in its sentence, never as Python's repr; a scenario
    that names no source has no empty 'source:' in its facts."""
    text = """
name: city
source: ""
days: 40
population: {agents: 2000}
behaviours: [{name: littering, rate: 0.05, delta: -10, channel: camera}]
surveillance: {channels: {camera: {coverage: 0.5}}}
listing: {enabled: false, threshold: 980, appeals: {enabled: false, rate: 0.05}}
timeline:
  - {day: 10, set: {listing.enabled: true}}
"""
    a = scsim.load_scenario(text)
    b = scsim.load_scenario(text, overrides={"timeline": [
        {"day": 10, "set": {"listing.enabled": True}},
        {"day": 30, "set": {"listing.appeals.enabled": True}}]})
    res = scsim.simulate(b, seed=1)
    html = (report_run(res, tmp_path / "run")).read_text()
    told = html[html.index("What changes during the run"):]
    assert "<li>day 10: listing.enabled true</li><li>day 30: listing.appeals.enabled true" \
        "</li>" in told
    assert "source:" not in html
    cmp = compare(a, b, seed=1, reps=1)
    html = report_comparison(cmp, tmp_path / "cmp").read_text()
    assert ("<code>timeline</code>: day 10: listing.enabled true → day 10: listing.enabled "
            "true; day 30: listing.appeals.enabled true</li>") in html
    assert ("Changing the timeline to day 10: listing.enabled true; day 30: "
            "listing.appeals.enabled true (instead of day 10: listing.enabled true) lists ") in html
    assert "{'day'" not in html and "&#x27;day&#x27;" not in html
