"""The notebook face of scsim: short representations, plot(), replications, top-level names."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import scsim
from scsim.errors import ScsimError
from scsim.outputs.headline import comparison_headline, run_headline


@pytest.fixture(scope="module")
def scenario():
    return scsim.load_scenario("national-800", agents=2000, days=60,
                               overrides={"listing.threshold": 685})


@pytest.fixture(scope="module")
def reps(scenario):
    return scsim.replicate(scenario, reps=3, seed=4)


def test_representations_are_short_and_say_what_was_found(scenario, reps):
    assert repr(scenario) == "Scenario('national-800', agents=2000, days=60)"
    page = scenario._repr_html_()
    assert "national-800: 2,000 agents × 60 days" in page and "on: " in page
    assert "misattribution_factor" not in page  # not every key
    res = reps.results[0]
    # a run of changed settings is not the built-in's (a researcher's notebook showed both
    # alike): its repr counts them, its HTML and its plot's title say them
    assert repr(res) == "Result(national-800 (1 setting changed), 2,000 agents × 60 days, " \
                        "seed 4)"
    assert "changes <code>listing.threshold: 550 → 685</code>" in res._repr_html_()
    assert res.plot()._suptitle.get_text().startswith("national-800 (1 setting changed): ")
    plain = scsim.simulate("national-800", agents=300, days=2, seed=1)
    assert repr(plain) == "Result(national-800, 300 agents × 2 days, seed 1)"
    assert "changes <code>" not in plain._repr_html_()
    page = res._repr_html_()
    for line in run_headline(res).splitlines():
        assert html.escape(line) in page
    c = scsim.compare(scenario, scsim.load_scenario(
        "national-800", agents=2000, days=60, overrides={"listing.threshold": 700}), seed=4)
    assert repr(c) == ("Comparison(A: national-800, listing.threshold=685 vs B: "
                       "national-800, listing.threshold=700, 1 pair)")
    assert html.escape(comparison_headline(c)) in c._repr_html_()
    assert repr(reps) == "Replicates(national-800, 3 × 2,000 agents × 60 days, seeds 4–6)"
    assert "95 % interval" in reps._repr_html_() and "ever listed" in reps._repr_html_()
    assert "<th>note</th>" in reps._repr_html_() and "<td>agents</td>" in reps._repr_html_()


def test_a_scenario_by_name_and_trace_shorthands(scenario, reps):
    """simulate, replicate and compare take a built-in name with agents, days and overrides
    as load_scenario takes them, and give the same runs; trace takes a number, ids or
    'wrongful' for the Trace they stand for."""
    by_name = dict(agents=2000, days=60, overrides={"listing.threshold": 685})
    again = scsim.replicate("national-800", reps=1, seed=5, agents=2000, days=60)
    other = scsim.simulate(scsim.load_scenario("national-800", agents=2000, days=60), seed=5)
    assert again.results[0].metrics.equals(other.metrics)
    sample = scsim.simulate("national-800", seed=4, trace=7, **by_name)
    assert sample.metrics.equals(reps.results[0].metrics)  # tracing changes no result
    assert sample.events.equals(scsim.simulate(scenario, seed=4, trace=scsim.Trace(
        sample=7)).events) and len(sample.traced) == 7
    ids = scsim.simulate(scenario, seed=4, trace=[3, 11])
    assert sorted(ids.traced["agent"]) == [3, 11]
    assert "trace=[4] in Python" in str(ids.explain(4))  # the notebook's way, not only the CLI's
    with pytest.raises(ScsimError, match=r"^trace=\[2000\]: no agent 2000 "):
        scsim.simulate(scenario, seed=4, trace=[2000])
    c = scsim.compare("national-800", "no-system", seed=4, agents=2000, days=60)
    assert c.seeds == [4] and c.a[0].scenario == other.scenario
    assert c.b[0].scenario == scsim.load_scenario("no-system", agents=2000, days=60)
    for bad in (True, "everyone", [1.5]):
        with pytest.raises(ScsimError, match="give a number of agents"):
            scsim.simulate(scenario, seed=4, trace=bad)


def test_replications_are_the_runs_of_successive_seeds(scenario, reps):
    assert reps.seeds == [4, 5, 6]
    again = scsim.simulate(scenario, seed=5)
    assert reps.results[1].metrics.equals(again.metrics)
    listed = np.stack([r.metrics["listed"].to_numpy() for r in reps.results])
    assert reps.mean()["listed"].to_numpy() == pytest.approx(listed.mean(axis=0))
    assert reps.quantiles((0.05, 0.5)).loc[0.5]["listed"].to_numpy() == pytest.approx(
        np.median(listed, axis=0))
    summary = reps.summary().set_index(["section", "figure"])
    ever = [float((r.agents["times_listed"] > 0).sum()) for r in reps.results]
    row = summary.loc[("listing", "ever listed")]
    assert row["mean"] == pytest.approx(np.mean(ever))
    assert row["lo"] <= row["mean"] <= row["hi"] and (row["min"], row["max"]) == (
        min(ever), max(ever))
    with pytest.raises(ScsimError, match="at least 1"):
        scsim.replicate(scenario, reps=0)


def test_plots_draw_the_runs_numbers(scenario, reps):
    res = reps.results[0]
    fig = res.plot()
    assert isinstance(fig, Figure)
    assert fig._repr_png_().startswith(b"\x89PNG")  # Jupyter shows it without pyplot
    listed_ax = fig.axes[0]
    assert listed_ax.get_ylabel() == "agents"
    assert [t.get_text() for t in listed_ax.get_legend().get_texts()] == [
        "listed", "wrongfully listed"]
    assert (listed_ax.lines[0].get_ydata() == res.metrics["listed"].to_numpy()).all()
    assert fig.axes[1].get_ylabel() == "tickets since day 0"
    assert fig.axes[1].lines[0].get_ydata()[-1] == res.metrics["blocked_air"].sum()
    one = res.plot("fear_mean")
    assert len(one.axes) == 1 and one.axes[0].get_ylabel() == "0-1"
    assert res.plot("network")._repr_png_().startswith(b"\x89PNG")  # a report chart by name
    with pytest.raises(ScsimError, match="no chart or metric column 'nonsense' \\(charts: "
                       "scores, "):
        res.plot("nonsense")
    with pytest.raises(ScsimError, match="no chart or metric column 'netwrok' \\(did you "
                       "mean 'network'\\? charts: "):
        res.plot("netwrok")
    with pytest.raises(ScsimError, match=re.escape(
            "no metric column 'fear_maen' (did you mean 'fear_mean'? reps.metrics().columns "
            "lists the metric columns)")):
        reps.plot("fear_maen")
    assert "fear_mean" in reps.metrics().columns  # the hint, followed, works
    band = reps.plot("listed")
    ax = band.axes[0]
    assert ax.lines[0].get_ydata() == pytest.approx(reps.mean()["listed"].to_numpy())
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the 5-95 % band
    c = scsim.compare(scenario, scsim.load_scenario(
        "national-800", agents=2000, days=60, overrides={"listing.threshold": 700}), seed=4,
        reps=2)
    left = c.plot().axes[0]
    diffs = np.stack([c.daily(k)["listed"].to_numpy() for k in range(2)]) / 2000 * 100_000
    assert left.lines[0].get_ydata() == pytest.approx(diffs.mean(axis=0))
    # metric columns by name, as Result.plot takes them (it was a TypeError)
    fear, listed = c.plot("fear_mean", "listed").axes[:2]
    assert fear.get_ylabel() == "B − A, 0-1" and listed.get_ylabel() == "B − A, agents"
    fears = np.stack([c.daily(k)["fear_mean"].to_numpy() for k in range(2)])
    assert fear.lines[0].get_ydata() == pytest.approx(fears.mean(axis=0))
    assert any(isinstance(p, PolyCollection) for p in fear.collections)  # the 95 % band
    with pytest.raises(ScsimError, match=re.escape(
            "did you mean 'fear_mean'? c.daily().columns lists the metric columns")):
        c.plot("fear_maen")
    assert "fear_mean" in c.daily().columns


def test_report_is_callable_from_the_top_level(tmp_path, reps):
    import scsim.report as package

    assert scsim.report is package
    path = scsim.report(reps.results[0], tmp_path / "r")
    assert path.name == "report.html" and path.is_file()
    assert scsim.compare.__module__ == "scsim.analysis.compare"


def test_an_interval_over_replications_stays_within_what_its_figure_can_be(reps):
    """Shares stay within [0, 1] and counts above 0, while points and the relative change
    of penalised acts keep their whole t-interval: three runs whose share of ties still
    active is 0.98, 1 and 1 have a t-interval reaching 1.02; the summary stops it at 1."""
    from scsim.analysis.replicate import Replicates

    tables = [r.summary() for r in reps.results]
    shares = (0.98, 1.0, 1.0)
    for table, share, change in zip(tables, shares, (-0.3, 0.01, 0.02), strict=True):
        table.loc[table["figure"] == "share of ties still active", "value"] = share
        table.loc[table["figure"] == "change in penalised acts", "value"] = change
    faked = [type("Run", (), {"summary": lambda self, t=t: t})() for t in tables]
    summary = Replicates(faked).summary().set_index(["section", "figure"])
    row = summary.loc[("network", "share of ties still active")]
    half = 4.3027 * np.std(shares, ddof=1) / 3**0.5
    assert row["hi"] == 1.0 and row["lo"] == pytest.approx(np.mean(shares) - half, rel=1e-4)
    row = summary.loc[("chilling effect", "change in penalised acts")]
    assert row["lo"] < -0.3 and row["hi"] > 0.02  # a fall is a negative change
    assert (summary.loc["listing", "lo"] >= 0).all() and (summary.loc["listing", "min"] >= 0).all()


def test_the_replications_summary_keeps_the_notes_every_run_shares(reps):
    """A figure's note (its unit, what it counts) is in the replications' summary where
    every run gives the same one; a note telling one run's own figures is left empty
    there (the summary had no notes: "mean 699.6" without "points")."""
    tables = [r.summary().set_index(["section", "figure"])["note"] for r in reps.results]
    notes = reps.summary().set_index(["section", "figure"])["note"]
    shared = [k for k in notes.index if len({t.get(k) for t in tables}) == 1]
    differing = [k for k in notes.index if k not in shared]
    assert ("score", "mean") in shared and notes[("score", "mean")] == "final day, points"
    assert differing, "the runs' notes should differ somewhere (a percentage)"
    assert all(notes[k] == tables[0][k] for k in shared)
    assert all(notes[k] == "" for k in differing)


def test_a_summary_figure_a_run_leaves_out_counts_as_zero_in_the_replications(reps,
                                                                            monkeypatch):
    """A run's summary leaves out a cause of wrongful listings none of its listings had:
    averaged over 3 runs, 3 wrongful listings by association in one run are a mean of 1
    (min 0), not 3 "in every run" with an interval of no width."""
    from scsim.analysis.replicate import Replicates

    tables = [t[~t["figure"].str.startswith("  cause:")].reset_index(drop=True)
              for t in (r.summary() for r in reps.results)]
    cause = pd.DataFrame([{"section": "listing", "figure": "  cause: association",
                           "value": 3.0, "note": ""}])
    at = tables[1].index[tables[1]["figure"] == "wrongfully listed now"][0] + 1
    tables[1] = pd.concat([tables[1][:at], cause, tables[1][at:]], ignore_index=True)
    faked = [type("Run", (), {"summary": lambda self, t=t: t})() for t in tables]
    summary = Replicates(faked).summary()
    row = summary.set_index(["section", "figure"]).loc[("listing", "  cause: association")]
    # sd √3 over 3 runs: the t-interval 1 ± t(0.975, 2) = 1 ± 4.303 would start at −3.3
    # wrongful listings; it is cut at 0
    assert (row["mean"], row["min"], row["max"], row["lo"]) == (1.0, 0.0, 3.0, 0.0)
    assert row["hi"] == pytest.approx(1 + 4.3027, abs=1e-3)
    figures = summary["figure"].tolist()
    assert figures.index("  cause: association") == figures.index("wrongfully listed now") + 1
    assert len(summary) == len(tables[1])


def test_a_notebook_users_slips_get_plain_errors(tmp_path, scenario, reps):
    """Found by trying the API as a researcher would: these raised TypeError, IndexError,
    FileNotFoundError or ValueError from deep inside; each is a ScsimError saying what to
    give instead."""
    with pytest.raises(ScsimError, match="a built-in name, a YAML path, YAML text or a "
                       "mapping, not 42"):
        scsim.load_scenario(42)
    with pytest.raises(ScsimError, match=r"not a run saved by scsim .*: no such folder"):
        scsim.Result.load(tmp_path / "nope")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "run.json").write_text("{}")
    with pytest.raises(ScsimError, match=r": no scenario\.yaml, metrics\.parquet"):
        scsim.Result.load(tmp_path / "half")
    with pytest.raises(ScsimError, match="checkpoint_every needs a store"):
        scsim.simulate("pilot-1000", agents=100, days=2, checkpoint_every=1)
    from scsim.analysis.compare import compare_results

    # the same scenario run again with the same seeds (one run with itself is refused)
    cmp = compare_results(reps.results[:2], scsim.replicate(scenario, reps=2, seed=4).results)
    for k in (2, -1, 1.0):
        with pytest.raises(ScsimError, match=f"pair {k!r}: this comparison has 2 pairs, "
                           "numbered 0 to 1"):
            cmp.agents(k)
    assert len(cmp.daily(1)) == 60
    median = reps.quantiles(0.5)  # one quantile, not a list of one
    assert median.index.names == ["quantile", "day"]
    assert median.loc[0.5].equals(reps.quantiles([0.5]).loc[0.5])
    per_day = reps.metrics().groupby("day")["score_mean"].median()
    assert np.allclose(median.loc[0.5]["score_mean"], per_day)


def test_a_scenario_written_in_a_notebook_cell_is_yaml_text(tmp_path, monkeypatch):
    """A researcher passed a cell's YAML to load_scenario: an OSError (file name too long)
    from pathlib. Text of several lines is a scenario; its problems name <text> and the
    line; a relative base file is found from the working folder."""
    text = "base: national-800\nname: my-study\ndays: 90\npopulation: {agents: 2000}\n"
    sc = scsim.load_scenario(text)
    assert (sc.name, sc.days, sc.population.agents) == ("my-study", 90, 2000)
    assert sc == scsim.load_scenario({"base": "national-800", "name": "my-study",
                                      "days": 90, "population": {"agents": 2000}})
    with pytest.raises(ScsimError, match=r"<text>:2: days: must be >= 1"):
        scsim.load_scenario("base: national-800\ndays: 0\n")
    (tmp_path / "mine.yaml").write_text("base: pilot-1000\ndays: 7\n")
    monkeypatch.chdir(tmp_path)
    assert scsim.load_scenario("base: mine.yaml\nname: on-mine\n").days == 7
    with pytest.raises(ScsimError, match="no scenario file or built-in scenario named 'xxx"):
        scsim.load_scenario("x" * 5000)  # one line: a name, too long to look up
    # one line with a "key: value" is text too (it was a file name with a line break in it)
    with pytest.raises(ScsimError, match=r"<text>: no behaviours \(a scenario file needs "
                                         r"a base"):
        scsim.load_scenario("days: 5\n")
    assert scsim.load_scenario("base: pilot-1000\r\ndays: 3\r\n").days == 3
    with pytest.raises(ScsimError, match="<text>:1: base: must be a scenario name or file"):
        scsim.load_scenario("base: ''\ndays: 3\n")
    with pytest.raises(ScsimError, match="too many for a scenario"):  # as a file's limit
        scsim.load_scenario("base: pilot-1000\n" + "# " + "x" * 9 * 2**20 + "\n")
    # 40,000 unknown keys made a message of 13 MB: the first 50 problems, and a count
    many = "base: pilot-1000\n" + "".join(
        f"k{i}: 1\n" for i in range(60))
    with pytest.raises(ScsimError) as told:
        scsim.load_scenario(many)
    assert len(told.value.problems) == 60
    assert str(told.value).count("unknown key") == 50
    assert str(told.value).endswith("... and 10 more problems")


def test_more_slips_get_plain_errors_naming_the_python_argument(reps):
    """More of a notebook user's slips that raised TypeError, AttributeError or pandas'
    errors, or spoke of command-line options, or read Replicates as pairs A, B."""
    for overrides, said in ((5, "overrides=: expected 'key=value', a list of them or a "
                                "{key: value} mapping, got 5"),
                            ([{"a": 1}], r"overrides=: expected 'key=value' text, got "
                                         r"\{'a': 1\}"),
                            (["days"], "overrides= days: expected KEY=VALUE")):
        with pytest.raises(ScsimError, match=re.escape(said) if overrides == 5 else said):
            scsim.load_scenario("national-800", overrides=overrides)
    res = reps[0]
    for agent in ("5", 3.0, True):
        with pytest.raises(ScsimError, match=f"an agent is a whole number from 0 to 1,999, "
                           f"got {re.escape(repr(agent))}"):
            res.explain(agent)
    assert res.explain(np.int64(5)).agent == res.explain(5).agent == 5
    assert repr(res.explain(5)) == "CaseFile(agent 5, not traced)"
    assert res.explain(5)._repr_html_().startswith("<pre") and (
        html.escape(res.explain(5).text) in res.explain(5)._repr_html_())
    with pytest.raises(ScsimError, match=r"a report shows a Result, a Comparison or pairs "
                       r"of Results \(A, B, A, B...\), not 'last': load a stored run"):
        scsim.report("last", "somewhere")
    with pytest.raises(ScsimError, match=r"not Replicates \(seeds are not pairs\)"):
        scsim.report(reps, "somewhere")
    for q in ("0.9", 1.5, [0.1, "x"], None):
        with pytest.raises(ScsimError, match="quantiles: q is a number from 0 to 1"):
            reps.quantiles(q)
    assert list(reps.quantiles(np.array([0.1, 0.9])).index.levels[0]) == [0.1, 0.9]


def test_arguments_of_the_wrong_kind_are_plain_errors(reps, tmp_path):
    """A researcher's slips that raised TypeError or AttributeError from inside scsim,
    pathlib or difflib: each a ScsimError naming what was expected."""
    res, store = reps[0], scsim.open_store(tmp_path / "store")
    tiny = {"agents": 100, "days": 3}
    slips = [
        (lambda: scsim.simulate("mesa-parity", progress=5, **tiny), r"^progress=5: must be a "
         "function to call"),
        (lambda: scsim.replicate("mesa-parity", 2, progress=5, **tiny), r"^progress=5: "),
        (lambda: scsim.compare("mesa-parity", "mesa-parity", seed="x", **tiny),
         r"^seed 'x': must be a whole number"),
        (lambda: scsim.replicate("mesa-parity", 2, seed="x", **tiny), r"^seed 'x': "),
        (lambda: store.load(None), r"^a run is named by its id as text .*, not None"),
        (lambda: store.get(123), r"^a run is named by its id as text .*, not 123"),
        (lambda: store.query(5), r"^a query is one SQL statement as text, not 5"),
        (lambda: scsim.sweep("mesa-parity", [("listing.threshold", [940])], store=False,
                             **tiny), r"^grid= must be a mapping of dotted keys"),
        (lambda: scsim.sweep("mesa-parity", {"listing.threshold": [940]}, outputs=5,
                             store=False, **tiny), r"^outputs=5: an output's name"),
        (lambda: scsim.open_store(5), r"^path=5: a path is expected"),
        (lambda: scsim.report(res, 5), r"^folder=5: a path is expected"),
        (lambda: res.save(None), r"^folder=None: a path is expected"),
        (lambda: res.plot(5), r"^plot\(5\): a chart's or a metric's name"),
        (lambda: scsim.dump_yaml(5), r"^dump_yaml takes a Scenario"),
    ]
    for call, said in slips:
        with pytest.raises(ScsimError, match=said):
            call()


def test_replications_are_a_sequence_and_a_simulation_says_where_it_is(reps):
    assert len(reps) == 3 and [r.seed for r in reps] == reps.seeds == [4, 5, 6]
    assert reps[1] is reps.results[1]
    sim = scsim.Simulation(scsim.load_scenario("pilot-1000", agents=300, days=5), seed=2)
    assert repr(sim) == "Simulation('pilot-1000', agents=300, seed=2, not started)"
    sim.run_until(3)
    assert repr(sim) == "Simulation('pilot-1000', agents=300, seed=2, 3 of 5 days done)"


def test_a_metric_measured_every_few_days_is_drawn_on_those_days(scenario, reps):
    # lcc_frac and score_assortativity are NaN between the days the network is measured
    # (metrics.network_every): a line through the NaN drew an empty panel
    res = reps.results[0]
    measured = res.metrics.dropna(subset=["lcc_frac"])
    assert 1 < len(measured) < len(res.metrics)
    line = res.plot("lcc_frac").axes[0].lines[0]
    assert (line.get_xdata() == measured["day"].to_numpy()).all()
    assert (line.get_ydata() == measured["lcc_frac"].to_numpy()).all()
    assert line.get_marker() == "o"  # the days measured are shown as points
    line = reps.plot("score_assortativity").axes[0].lines[0]
    means = reps.mean()["score_assortativity"].dropna()
    assert line.get_ydata() == pytest.approx(means.to_numpy())
    c = scsim.compare(scenario, scsim.load_scenario(
        "national-800", agents=2000, days=60, overrides={
            "listing.threshold": 700, "scoring.association.listed_penalty": 2}),
        seed=4, reps=2)
    fig = c.plot("score_assortativity")
    line = fig.axes[0].lines[0]
    diffs = np.stack([c.daily(k)["score_assortativity"].dropna().to_numpy()
                      for k in range(2)])
    assert line.get_xdata() == pytest.approx(measured["day"].to_numpy())
    assert line.get_ydata() == pytest.approx(diffs.mean(axis=0))
    # the title names both sides' settings; one line of it ran off the figure
    title = fig._suptitle.get_text()
    assert "listed_penalty=2 (+1 more); A: national-800, listing.threshold=685); bands: " \
        "95 % interval of the mean over the pairs" in title.replace("\n", " ")
    assert max(map(len, title.split("\n"))) <= fig.get_figwidth() * 11


def test_the_python_section_of_getting_started_calls_what_exists():
    """The getting-started page's Python section showed no way to change one setting on
    one side of a comparison (compare's overrides_a= and overrides_b=), to read a saved
    run back (Result.load), to branch a Simulation from a checkpoint, nor a case file
    (explain). Its code is Python whose every scsim.X(...) call names keywords that X
    takes."""
    import ast
    import inspect
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "getting-started.md").read_text("utf-8")
    section = page[page.index("## Python"):]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    keywords: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse("\n".join(blocks))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                isinstance(node.func.value, ast.Name) and node.func.value.id == "scsim"):
            keywords.setdefault(node.func.attr, set()).update(k.arg for k in node.keywords)
    for name, used in keywords.items():
        assert used <= set(inspect.signature(getattr(scsim, name)).parameters), name
    assert {"overrides_a", "overrides_b"} <= keywords["compare"]
    code = "\n".join(blocks)
    for call in ("scsim.Result.load(", ".explain(", "sim.save(", "scsim.Simulation.load("):
        assert call in code, call
