"""The scsim command as a user types it: output, files and exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import shlex

import pandas as pd
import pytest
import yaml

from conftest import run_cli
from scsim.scenario import load_scenario


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    """Runs go to a store in the test's own folder, not ./scsim-runs."""
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    return tmp_path / "store"


scsim = run_cli


def test_scenarios_lists_every_builtin(monkeypatch, capsys):
    from scsim.scenario import builtin_names

    code, out, _ = scsim(monkeypatch, capsys, "scenarios")
    assert code == 0
    for name in builtin_names():  # with the agents and days a run takes unless told
        sc = load_scenario(name)
        assert re.search(rf"│ {re.escape(name)} +│ +{sc.population.agents:,} │ +{sc.days:,} │",
                         out), name
    assert scsim(monkeypatch, capsys, "scenarios", "list") == (0, out, "")
    # the source articles by number, said as such ("001" said nothing to a reader)
    assert re.search(r"│ national-800 .*│ article 001 +│", out)
    assert re.search(r"│ high-control .*│ articles 000 to 004 +│", out)
    assert "numbered 000 to 004 in the model's specification" in " ".join(out.split())


def test_scenarios_show_prints_yaml_that_loads_back(monkeypatch, capsys):
    code, out, _ = scsim(monkeypatch, capsys, "scenarios", "show", "three-tier", "--days", "30")
    assert code == 0
    shown = load_scenario(yaml.safe_load(out))
    assert shown == load_scenario("three-tier", days=30)
    assert "misattribution_factor" in out and "reference_group" in out  # defaults filled in


def test_scenarios_show_as_written_prints_the_file_with_its_comments(monkeypatch, capsys):
    """A teacher found 335 lines of resolved YAML without a comment: the built-in's file,
    which says what each setting takes from its source, is printed as written."""
    from scsim.scenario.loader import builtin_text

    code, out, _ = scsim(monkeypatch, capsys, "scenarios", "show", "national-800",
                         "--as-written")
    assert code == 0 and out == builtin_text("national-800")
    assert out.startswith("# national-800") and load_scenario(yaml.safe_load(out)) == (
        load_scenario("national-800"))
    code, _, err = scsim(monkeypatch, capsys, "scenarios", "show", "national-800",
                         "--as-written", "--days", "3")
    assert code == 2 and err == ("error: --as-written prints the file as it is: drop "
                                 "--agents, --days and --set")


def test_validate(monkeypatch, capsys, tmp_path):
    code, out, _ = scsim(monkeypatch, capsys, "validate", "informants")
    assert code == 0 and "valid" in out
    code, out, _ = scsim(monkeypatch, capsys, "validate", "court-blacklist", "--set",
                         "days=1")
    sc = load_scenario("court-blacklist")
    assert len(sc.behaviours) == 1 and code == 0 and out.strip() == (  # not '1 days'
        f"valid: court-blacklist ({sc.population.agents:,} agents, 1 day, 1 behaviour, "
        "0 timeline steps)")
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: national-800\nbehaviours:\n  - {name: bad_driving, rate: -1}\n")
    code, out, err = scsim(monkeypatch, capsys, "validate", str(bad))
    assert code == 2
    assert f"{bad}:3: behaviours.bad_driving.rate: must be >= 0" in err  # by name: merged
    assert "Traceback" not in err + out


def test_validate_reports_bad_edge_list_line(monkeypatch, capsys, tmp_path):
    edges = tmp_path / "g.edges"
    edges.write_text("# a comment\n0 1\n1 2\n2 x\n")
    code, _, err = scsim(monkeypatch, capsys, "validate", "national-800", "--set",
                         "network.kind=file", "--set", f"network.path={edges}")
    assert code == 2
    assert f"{edges}:4:" in err and "Traceback" not in err
    # --network, as `scsim run` takes it; what loading cleaned, and how agents map to ids
    edges.write_text("10 20\n20 20\n30 30\n20 10\n")
    code, out, _ = scsim(monkeypatch, capsys, "validate", "national-800", "--network",
                         str(edges))
    assert code == 0 and ("network file: 3 nodes, 1 tie; 2 self-loops dropped, 1 repeated "
                          "pair merged, 1 node without ties; agents 0 to 2 are the file's ids "
                          "10 to 30 in ascending order") in " ".join(out.split())


@pytest.mark.parametrize("args", [
    ["run", "no-such-scenario"],
    ["run", "national-800", "--set", "scoring.recovery=7"],
    ["run", "national-800", "--set", "nonsense"],
    ["run", "national-800", "--agents", "1"],
    ["run", "national-800", "--network", "/no/such/file.edges"],
    ["run", "national-800", "--days", "0"],
])
def test_bad_input_exits_2_without_traceback(monkeypatch, capsys, args):
    code, out, err = scsim(monkeypatch, capsys, *args)
    assert code == 2, (out, err)
    assert "error" in err.lower() and "Traceback" not in out + err


def test_memory_refusal(monkeypatch, capsys):
    monkeypatch.setenv("SCSIM_MEMORY_LIMIT", "200M")
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "5000000")
    assert code == 2
    assert "need about" in err and "GiB" in err and "SCSIM_MEMORY_LIMIT" in err


def test_a_run_refused_while_building_leaves_no_store(monkeypatch, capsys, store, tmp_path):
    """The store is created once the world is built: a run refused before (memory, case
    files in a run without per-agent sources) leaves no folder behind."""
    monkeypatch.setenv("SCSIM_MEMORY_LIMIT", "200M")
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "5000000")
    assert code == 2 and "need about" in err
    monkeypatch.delenv("SCSIM_MEMORY_LIMIT")
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "2000",
                         "--days", "5", "--set", "metrics.per_agent_sources=false",
                         "--trace", "5")
    assert code == 2 and "per_agent_sources" in err
    assert not store.exists()
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--threads", "0")
    assert code == 2 and "--threads" in err and "greater than or equal to 1" in err
    store.write_text("not a store")  # a file in its place is refused before building
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "2000")
    assert code == 2 and "is a file, not a folder" in err
    # an --out that cannot be written is refused before the run, in one line (found only
    # once the run was done, as an internal error)
    for out, why in ((store / "sub", f"{store} is a file, not a folder"),
                     (tmp_path / ("a" * 300), "File name too long")):
        code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "2000",
                             "--store", str(tmp_path / "other"), "--out", str(out))
        assert code == 2 and err.startswith("error: cannot write results into ") and (
            why in err) and "internal" not in err, err
    assert not (tmp_path / "other").exists()  # no run was started


def test_run_writes_results_and_summary(monkeypatch, capsys, tmp_path):
    out_dir = tmp_path / "res"
    code, out, err = scsim(monkeypatch, capsys, "run", "pilot-1000", "--agents", "3000",
                           "--days", "20", "--seed", "4", "--out", str(out_dir), "--set",
                           "listing.threshold=990", "--profile", "--quiet", "--full")
    assert code == 0, err
    # what the run changes in the built-in, right under its name (show says it too)
    assert out.splitlines()[1] == "  this run changes listing.threshold: 600 → 990"
    for figure in ("listed now", "wrongful listings", "blocked air tickets",
                   "ties still active", "change in penalised acts", "ever listed",
                   "wall time per phase", "behave", "metrics"):
        assert figure in out
    assert "behave includes observe's sightings" in " ".join(out.split())  # fused passes
    files = {p.name for p in out_dir.iterdir()}
    assert {"agents.parquet", "companies.parquet", "metrics.parquet", "run.json",
            "scenario.yaml"} <= files
    info = json.loads((out_dir / "run.json").read_text())
    assert (info["seed"], info["agents"], info["days"]) == (4, 3000, 20)
    assert len(pd.read_parquet(out_dir / "metrics.parquet")) == 20
    assert len(pd.read_parquet(out_dir / "agents.parquet")) == 3000
    # The resolved scenario repeats the run exactly.
    again = load_scenario(out_dir / "scenario.yaml")
    assert again.listing.threshold == 990 and again.population.agents == 3000
    assert not list(tmp_path.glob(".res*"))  # no temporary folder left behind
    assert len(list((tmp_path / "store" / "runs").iterdir())) == 1  # and kept in the store


def test_run_profile_with_split_passes_has_no_fused_caption(monkeypatch, capsys):
    code, out, err = scsim(monkeypatch, capsys, "run", "pilot-1000", "--agents", "2000",
                           "--days", "5", "--profile", "--split-passes", "--quiet")
    assert code == 0, err
    assert "wall time per phase" in out and "observe" in out
    assert "behave includes" not in " ".join(out.split())


def test_run_on_an_edge_list(monkeypatch, capsys, tmp_path, small_edges):
    out_dir = tmp_path / "net"
    code, _, err = scsim(monkeypatch, capsys, "run", "informants", "--network",
                         str(small_edges), "--days", "5", "--out", str(out_dir), "--quiet")
    assert code == 0, err
    info = json.loads((out_dir / "run.json").read_text())
    assert (info["agents"], info["ties"]) == (408, 2150)
    sc = load_scenario(out_dir / "scenario.yaml")
    assert sc.population.agents == 408 and sc.network.kind == "file"


@pytest.mark.parametrize(("args", "named"), [
    (["--days", "0"], "--days 0: days: must be >= 1"),
    (["--days=-3"], "--days -3: days: must be >= 1"),
    (["--agents", "1"], "--agents 1: population.agents: must be >= 2"),
    (["--set", "scoring.recovery=7"], "override scoring.recovery=7: scoring.recovery:"),
    # a mapping or list echoed as YAML's flow style, as written (not Python's repr)
    (["--set", "listing.appeals={rate: -1, enabled: true}"],
     "override listing.appeals={rate: -1, enabled: true}: listing.appeals.rate: must be >= 0"),
    (["--set", "timeline=[{day: 10, set: {scoring.recovery: 2.5}}]"],
     "override timeline=[{day: 10, set: {scoring.recovery: 2.5}}]: timeline[0].set."
     "scoring.recovery: must be <= 1"),
])
def test_an_option_is_named_in_its_error_not_a_line_of_the_file(monkeypatch, capsys, args,
                                                               named):
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", *args)
    assert code == 2 and named in err, err
    assert not re.search(r"national-800>:\d", err)  # no line of the file


def test_run_and_show_start_with_the_headline_and_print_data_for_scripts(monkeypatch,
                                                                         capsys, store):
    from scsim.outputs.headline import run_headline
    from scsim.store import open_store

    args = ("pilot-1000", "--agents", "2000", "--days", "60", "--quiet")
    code, out, err = scsim(monkeypatch, capsys, "run", *args)
    assert code == 0, err
    res = open_store(store).load("last")
    lines = out.splitlines()
    assert lines[0] == "pilot-1000: 2,000 agents × 60 days, seed 0"
    head = run_headline(res).splitlines()  # pilot-1000 can err: its wrongful travel bans
    assert len(head) == 4 and head[2].startswith("Wrongful travel bans: ")
    assert lines[1:5] == head
    assert "agent-days/s" in lines[5] and "kernels" in lines[5]
    assert lines[5].endswith("agent-days/s on 1 thread")  # 2,000 agents: day_threads
    assert "ever listed" not in out  # the summary table only with --full
    code, full, _ = scsim(monkeypatch, capsys, "show", res.run_id, "--full")
    assert code == 0 and full.startswith("\n".join(lines[:5])) and "ever listed" in full

    code, data, err = scsim(monkeypatch, capsys, "run", *args, "--seed", "1", "--json")
    record = json.loads(data)  # stdout holds the JSON and nothing else
    assert code == 0 and f"run {record['run_id']} kept in" in err
    assert record["seed"] == 1 and len(record["headline"]) == 4
    assert record["info"]["agents"] == 2000 and record["summary"][0]["figure"] == "agents"
    code, data, _ = scsim(monkeypatch, capsys, "show", res.run_id, "--json")
    assert json.loads(data)["headline"] == run_headline(res).splitlines()
    code, data, _ = scsim(monkeypatch, capsys, "show", res.run_id, "--csv")
    table = pd.read_csv(io.StringIO(data), keep_default_na=False)
    summary = res.summary()
    assert list(table["figure"]) == list(summary["figure"])
    assert table["value"].to_numpy() == pytest.approx(summary["value"].to_numpy(),
                                                      nan_ok=True)

    code, data, _ = scsim(monkeypatch, capsys, "runs", "--json")
    assert [r["seed"] for r in json.loads(data)] == [1, 0]
    # the overrides an object, not a string of JSON inside the JSON
    assert json.loads(data)[0]["overrides"] == {"days": 60, "population.agents": 2000}
    code, data, _ = scsim(monkeypatch, capsys, "runs", "--csv", "--limit", "1")
    assert list(pd.read_csv(io.StringIO(data))["id"]) == [record["run_id"]]
    code, _, err = scsim(monkeypatch, capsys, "runs", "--csv", "--json")
    assert code == 2 and "cannot be combined" in err
    # the data give every run unless --limit says otherwise (they stopped at 50, unsaid)
    monkeypatch.setattr("scsim.cli.store.RUNS_SHOWN", 1)
    code, data, _ = scsim(monkeypatch, capsys, "runs", "--json")
    assert len(json.loads(data)) == 2
    code, table, _ = scsim(monkeypatch, capsys, "runs")
    assert "1 older run not shown (--limit)" in table
    code, _, err = scsim(monkeypatch, capsys, "runs", "--limit", "-1")
    assert code == 2 and "'--limit'" in err
    code, table, _ = scsim(monkeypatch, capsys, "runs", "--scenario", "nosuch")
    assert "no run matches --scenario nosuch" in table and "no runs yet" not in table


@pytest.mark.parametrize("command", ["show", "run", "compare", "rm"])
def test_flags_show_no_value_in_help(monkeypatch, capsys, command):
    """A flag takes no value: its help line has no type beside it ("--full <bool>" read as
    a value to give, and `scsim show last --full true` was refused), while options that
    take one keep theirs (<path>, <int>)."""
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run_cli(monkeypatch, capsys, command, "--help")
    assert code == 0 and "<bool>" not in out and "--help" in out
    assert "<path>" in out or "<int" in out or "<str>" in out


def test_plan_says_on_and_off(monkeypatch, capsys):
    """`scsim plan` showed whether a step is on as True and False."""
    code, out, _ = scsim(monkeypatch, capsys, "plan", "high-control", columns=400)
    assert code == 0 and "on from day 365" in out
    assert "True" not in out and "False" not in out
    behave = next(line for line in out.splitlines() if " behave " in line)
    observe = next(line for line in out.splitlines() if " observe " in line)
    assert [cell.strip() for cell in behave.split("│")[-3:-1]] == ["on", "on"]
    assert [cell.strip() for cell in observe.split("│")[-3:-1]] == ["on", "off"]
    # what the day-365 step sets, which the columns show only as steps switched off
    assert "What changes on which day: day 365: surveillance.enabled false, " in \
        " ".join(out.split())


def test_a_run_cut_short_by_days_says_which_timeline_steps_it_leaves_out(monkeypatch, capsys,
                                                                         store):
    """`--days 200` dropped the step of day 270 without a word, where a step written past
    the file's own days is refused: a warning names each step left out, once (the
    loader's, which a command loading the scenario twice, as compare does for each side
    and for what it records against, prints once)."""
    abolition = ("the run ends before its timeline's day 365: surveillance.enabled false, "
                 "reports.enabled false, ")
    for command in (["run", "high-control"], ["compare", "high-control", "high-control"],
                    ["scenarios", "show", "high-control"]):
        code, _, err = scsim(monkeypatch, capsys, *command, "--agents", "500", "--days",
                             "3", *(["--quiet"] if command[0] != "scenarios" else []))
        assert code == 0, err
        assert err.count(f"warning: --days 3: {abolition}") == 1, command
        assert err.count("(left out)") == 1, command
    code, _, err = scsim(monkeypatch, capsys, "run", "high-control", "--agents", "500",
                         "--set", "days=4", "--quiet")
    assert code == 0 and "warning: override days=4: the run ends before its timeline's day " \
        "365: " in " ".join(err.split())
    code, _, err = scsim(monkeypatch, capsys, "run", "high-control", "--agents", "500",
                         "--quiet")
    assert "left out" not in err  # its own length reaches day 365


def test_sizes_have_thousands_separators_and_scripts_get_whole_numbers(monkeypatch, capsys,
                                                                       store):
    """The run header said "100 agents × 100000 days" and `run --csv` "run,agents,1000.0":
    sizes are written with separators, whole numbers in CSV and JSON as whole numbers."""
    from scsim.cli.render import size
    from scsim.store import open_store

    assert size({"agents": 100, "days": 100_000}) == "100 agents × 100,000 days"
    assert size({"agents": 1000, "days": 1}) == "1,000 agents × 1 day"
    code, data, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "1000",
                            "--days", "3", "--quiet", "--csv")
    assert code == 0, err
    assert data.splitlines()[1:3] == ["run,agents,1000,", "run,days,3,the rates a year "
                                      "below are scaled to a year from these days"]
    assert re.search(r"^score,mean,\d+\.\d+,", data, re.M)  # fractions stay fractions
    code, data, _ = scsim(monkeypatch, capsys, "show", "last", "--json")
    summary = json.loads(data)["summary"]
    assert summary[0]["value"] == 1000 and isinstance(summary[0]["value"], int)
    code, out, _ = scsim(monkeypatch, capsys, "show", "last")
    assert out.startswith("national-800: 1,000 agents × 3 days, seed 0")
    code, data, _ = scsim(monkeypatch, capsys, "sources", "last", "--csv")
    assert code == 0 and not re.search(r"(^|,)-?\d+\.0(,|$)", data, re.M)
    assert re.search(r"^true_sighting,true sightings,-\d+,-\d+,", data, re.M)
    sc = load_scenario("national-800", agents=100, days=100_000)
    open_store(store).add_failure(sc, 0, "stopped")  # a long run, no need to run it
    code, out, _ = scsim(monkeypatch, capsys, "runs")
    assert "100 × 100,000" in out


def test_trace_of_more_agents_than_the_run_has_or_of_no_ids_is_said(monkeypatch, capsys,
                                                                    store):
    """`--trace 1000` on a 100-agent run traced all 100 without a word, and
    `--trace-ids ""` traced nobody without one: the first says so in a note (it is no
    error), the second is refused before the run with what to write instead."""
    from scsim.store import open_store

    args = ["run", "pilot-1000", "--agents", "100", "--days", "3", "--quiet"]
    code, _, err = scsim(monkeypatch, capsys, *args, "--trace", "1000")
    assert code == 0, err
    assert err == "note: --trace 1,000: this run has only 100 agents, so all of them are " \
                  "traced"
    traced = open_store(store).query("SELECT agent FROM traced")
    assert sorted(traced["agent"]) == list(range(100))
    code, _, err = scsim(monkeypatch, capsys, *args, "--trace", "100")  # asked for all
    assert code == 0 and "note" not in err, err
    for ids in ("", " , "):
        code, out, err = scsim(monkeypatch, capsys, *args, "--trace-ids", ids)
        assert (code, out) == (2, "") and "Traceback" not in err
        assert err == (f"error: --trace-ids {ids!r} names no agent: give agent ids "
                       "separated by commas, e.g. --trace-ids 17,4242 (or leave --trace-ids "
                       "out; --trace N traces N agents drawn at random)")
    assert len(open_store(store).runs()) == 2  # the refused runs were not started
    code, _, err = scsim(monkeypatch, capsys, *args, "--trace-ids", "3,,5")
    assert code == 0, err  # an empty place between ids is passed over, as before
    assert sorted(open_store(store).query(
        "SELECT agent FROM traced WHERE run_id = (SELECT id FROM runs ORDER BY started "
        "DESC LIMIT 1)")["agent"]) == [3, 5]


def test_trace_listed_and_wrongful_say_when_the_run_had_fewer_to_trace(monkeypatch, capsys,
                                                                       store):
    """`--trace-listed 5 --trace-wrongful` on a run that listed nobody opened no case file
    without a word, and `scsim explain` then showed the random sample alone: the run says
    what each option could not trace."""
    args = ["run", "national-800", "--agents", "300", "--days", "5", "--quiet"]
    code, _, err = scsim(monkeypatch, capsys, *args, "--trace-listed", "5", "--trace-wrongful")
    assert code == 0, err
    assert err == ("note: --trace-listed 5: nobody was listed in this run, so no case file "
                   "opened at a listing note: --trace-wrongful: nobody was listed wrongfully "
                   "in this run, so no case file opened at a wrongful listing")
    from conftest import REPO

    quoted = (REPO / "docs" / "provenance.md").read_text(encoding="utf-8")
    assert ("`note: --trace-listed 5: nobody was listed in this run, so no case\n  file opened "
            "at a listing`") in quoted  # the page quotes it as it is
    code, _, err = scsim(monkeypatch, capsys, *args, "--set", "listing.threshold=701",
                         "--trace-listed", "400")
    assert code == 0, err
    assert re.fullmatch(r"note: --trace-listed 400: only \d+ agents were listed in this run: "
                        r"all of them have case files", err), err
    code, _, err = scsim(monkeypatch, capsys, *args, "--trace-listed", "0", "--trace", "3")
    assert code == 0 and err == "", err


def test_explain_heads_the_day_a_case_file_opens_as_such(monkeypatch, capsys):
    """The table of agents with a case file headed the day each opens "from day", which a
    reader could take for the day of a listing: it says "case file from day"; the data
    keep the column's name."""
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                         "--days", "5", "--quiet", "--trace", "3")
    assert code == 0, err
    code, out, _ = scsim(monkeypatch, capsys, "explain", "last")
    assert code == 0 and "case file from day" in out and "┃ from day" not in out
    code, data, _ = scsim(monkeypatch, capsys, "explain", "last", "--csv")
    assert data.splitlines()[0].startswith("agent,from_day,")


def test_explain_and_sources_speak_plainly(monkeypatch, capsys):
    """`scsim sources` headed columns clean_points and per_agent, and an untraced agent's
    points read "association: -0.0": plain headers in the table (the data keep their
    column names), and small points that do not read as a signed zero."""
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                         "--days", "5", "--quiet", "--trace-ids", "1,2")
    assert code == 0, err
    code, out, _ = scsim(monkeypatch, capsys, "sources", "last")
    assert code == 0 and "error-free points" in out and "points per agent" in out
    assert "clean_points" not in out and "per_agent" not in out
    assert "true sightings" in out and "true_sighting" not in out  # sources in words
    legend = out.split("What each source is, for one person:")[1]  # each source that moved
    assert "true sightings: " in legend and "recovery: the daily pull" in legend
    assert "group bonus" not in legend  # no points from it: not explained
    code, data, _ = scsim(monkeypatch, capsys, "sources", "last", "--csv")
    assert data.splitlines()[0] == "source,label,points,clean_points,per_agent"
    code, out, _ = scsim(monkeypatch, capsys, "explain", "last", "3")
    assert code == 0 and "Points by source:" in out
    assert not re.search(r"[+-]0\.0$", out, re.M)
    code, out, _ = scsim(monkeypatch, capsys, "explain", "last", "1")
    assert code == 0 and not re.search(r"\b1 events\b", out)


def test_compare_names_what_is_neither_a_scenario_nor_a_run(monkeypatch, capsys):
    """`scsim compare RUN nosuch` said "give two scenarios or two stored runs, not one of
    each": it says that nosuch is none of the three, with the nearest name."""
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                         "--days", "3", "--quiet")
    assert code == 0, err
    from scsim.store import open_store

    run_id = open_store(os.environ["SCSIM_STORE"]).runs()["id"][0]
    for other, hint in (("nosuch", ""), ("nationl-800", " (did you mean 'national-800'?)"),
                        (run_id[:-1] + "x", f" (did you mean '{run_id}'?)")):
        for pair in ((run_id, other), (other, "last")):
            code, _, err = scsim(monkeypatch, capsys, "compare", *pair)
            assert code == 2 and "one of each" not in err
            assert err.startswith(f"error: '{other}' is neither a built-in scenario, a "
                                  f"scenario file nor a stored run{hint}; ")
    code, _, err = scsim(monkeypatch, capsys, "compare", run_id, "national-800")
    assert code == 2 and (f"{run_id} is a stored run and national-800 a scenario: give two "
                          "scenarios or two stored runs, not one of each") in err


def test_the_questions_in_the_help_run_as_written(monkeypatch, capsys, tmp_path):
    """`scsim --help` ends with the questions users come with and a command answering each
    (a teacher could not find the association comparison from the help alone): each runs as
    written (smaller, with --agents and --days added) and answers."""
    from scsim.cli.app import app

    commands = re.findall(r"`(scsim [^`]+)`", app.info.epilog)
    assert len(commands) >= 6
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    answered = []
    for command in commands:
        args = shlex.split(command)[1:]
        if args[0] == "dashboard":
            args.append("--help")  # (its page is tested in a browser elsewhere)
        elif args[0] in ("run", "compare"):
            args += ["--agents", "400", "--days", "20"]
        code, out, err = run_cli(monkeypatch, capsys, *args)
        assert code == 0, (command, err)
        answered.append(" ".join(out.split()))
    said = dict(zip(commands, answered, strict=True))
    assert "Listed:" in said["scsim run national-800"]
    assert "Raising the association listed penalty from 0 to" in said[
        "scsim compare national-800 national-800 --reps 5 --set-a "
        "scoring.association.listed_penalty=0"]
    assert "disparate impact" in said["scsim run national-800 --full"]
    assert "agents with a case file" in said["scsim explain last"]
    help_text = run_cli(monkeypatch, capsys, "--help", columns=80)[1]
    assert commands[0] == "scsim scenarios"  # named in the introduction's sentence
    for command in commands[1:]:  # each answer begins a line of its own (at 80 columns)
        assert any(line.strip().startswith(command[:40]) for line in help_text.splitlines())


@pytest.mark.parametrize("columns", [80, 90, 100])
def test_runs_shows_each_changed_setting_whole_in_a_narrow_terminal(monkeypatch, capsys,
                                                                    columns):
    """In a terminal 100 columns wide, `scsim runs` cut the settings a run changed to
    their first letters ("population.ag", "surveillance."), and spent its width on --agents
    and --days, which its "agents × days" column says: the settings that differ are told
    whole (folded over lines where they must be), without the run's size. At 80 and 90
    columns a least width of the column cropped each folded line ("surveillance.misat",
    "listing.threshold=", "0": read as a threshold of 0)."""
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                         "--days", "5", "--quiet", "--set", "surveillance.misattribution=0.05",
                         "--set", "listing.threshold=650")
    assert code == 0, err
    code, out, _ = scsim(monkeypatch, capsys, "runs", columns=columns)
    assert max(len(line) for line in out.splitlines()) <= columns
    assert code == 0 and "300 × 5" in out
    whole = re.sub(r"\s+", "", out)
    assert "surveillance.misattribution=0.05" in whole and "listing.threshold=650" in whole
    assert "population.agents" not in whole and "days=5" not in whole
    code, data, _ = scsim(monkeypatch, capsys, "runs", "--json")  # the data keep them all
    assert json.loads(data)[0]["overrides"] == {
        "days": 5, "population.agents": 300, "surveillance.misattribution": 0.05,
        "listing.threshold": 650}


def test_runs_of_a_mistyped_scenario_says_the_nearest_without_an_empty_table(monkeypatch,
                                                                            capsys):
    """`scsim runs --scenario national800` printed an empty table's headers, then "no run
    matches": it says that alone, with the stored scenario meant; a scenario that has runs,
    none of them of the status asked for, gets no such hint."""
    code, _, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                         "--days", "3", "--quiet")
    assert code == 0, err
    code, out, _ = scsim(monkeypatch, capsys, "runs", "--scenario", "national800")
    assert (code, " ".join(out.split())) == (0, "no run matches --scenario national800 (did "
                                                "you mean 'national-800'?) (`scsim runs` "
                                                "lists them all)")
    code, out, _ = scsim(monkeypatch, capsys, "runs", "--scenario", "national-800",
                         "--status", "failed")
    assert " ".join(out.split()) == ("no run matches --scenario national-800 --status failed "
                                     "(`scsim runs` lists them all)")


def test_runs_json_of_a_run_without_recorded_overrides(monkeypatch, capsys, tmp_path):
    """A run kept from Python with a scenario file holds no overrides (NULL): `scsim runs
    --json` was an internal error (json.loads of NaN)."""
    path = tmp_path / "mine.yaml"
    path.write_text("base: no-system\nname: mine\ndays: 3\npopulation: {agents: 300}\n")
    from scsim.core.engine import simulate

    simulate(load_scenario(path), seed=0, store=tmp_path / "s")
    code, out, _ = scsim(monkeypatch, capsys, "runs", "--json", "--store", str(tmp_path / "s"))
    assert code == 0 and json.loads(out)[0]["overrides"] is None


# --- a journalist's mistypings: each refused in one line of plain words, exit 2 ----------

def refused(monkeypatch, capsys, *args: str) -> str:
    """The error of ``scsim ARGS``, after asserting that it is one: exit code 2, no
    traceback nor internal error, and nothing on stdout (no half-written result)."""
    code, out, err = scsim(monkeypatch, capsys, *args)
    assert code == 2, (args, out, err)
    assert "Traceback" not in out + err and "internal error" not in err, err
    assert out == "", (args, out)
    return err


def small_run(monkeypatch, capsys, *more: str) -> str:
    """A kept run of 300 agents for 3 days; its id."""
    code, out, err = scsim(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                           "--days", "3", "--quiet", *more)
    assert code == 0, err
    return re.search(r"run (\S+) kept in", out).group(1)


def test_a_negative_agent_is_told_that_agents_are_numbered_from_0(monkeypatch, capsys):
    """`scsim explain RUN -4` was Click's "No such option: -4", which said nothing of agent
    numbers; with or without --, it says where they start and this run's range."""
    small_run(monkeypatch, capsys)
    for args in (["last", "-4"], ["last", "--", "-4"], ["--json", "last", "-45"]):
        err = refused(monkeypatch, capsys, "explain", *args)
        agent = args[-1]
        assert err == (f"error: no agent {agent} in this run: agent numbers start at 0, and "
                       "this run's are 0 to 299"), err
    err = refused(monkeypatch, capsys, "explain", "last", "300")
    assert "no agent 300 in this run" in err and "0 to 299" in err
    # a misspelt option is still told as one, with the nearest
    err = refused(monkeypatch, capsys, "explain", "last", "--jsn")
    assert "No such option: --jsn" in err and "--json" in err
    # an option's own negative value is still its value (and refused in its words)
    err = refused(monkeypatch, capsys, "explain", "last", "--wrongful", "-1")
    assert "'--wrongful'" in err and "greater than or equal to 1" in err
    # SQL that begins with a comment is the query, not an option
    code, out, err = scsim(monkeypatch, capsys, "query", "-- my note\nSELECT 41 + 1 AS a",
                           "--csv")
    assert (code, out) == (0, "a\n42\n"), err


def test_a_key_missing_before_the_equals_sign_is_named_with_its_option(monkeypatch, capsys):
    """`--set =3` was "'': empty path", which named neither the option nor what was
    missing; compare's --set-a and --set-b were told as --set."""
    for args, said in (
            (["validate", "national-800", "--set", "=3"],
             "--set =3: no key before '=' (KEY=VALUE, e.g. days=30)"),
            (["run", "national-800", "--set", " =3"], "--set =3: no key before '='"),
            (["validate", "national-800", "--set", "scoring..x=1"],
             "--set scoring..x=1: scoring..x: a name missing between dots"),
            (["compare", "national-800", "no-system", "--set-a", "=3"],
             "--set-a =3: no key before '='"),
            (["compare", "national-800", "no-system", "--set-b", "days"],
             "--set-b days: expected KEY=VALUE"),
            (["sweep", "national-800", "--grid", "=1,2", "--workers", "0"],
             "--grid =1,2: expected KEY=V1,V2,...")):
        err = refused(monkeypatch, capsys, *args)
        assert said in err, (args, err)
        assert "empty path" not in err


def test_an_empty_scenario_name_is_not_taken_for_the_working_folder(monkeypatch, capsys):
    """`scsim validate ""` said " is a folder, not a scenario file" (the empty path is the
    working folder); `scsim compare "" national-800` took "" for a prefix of every run."""
    for args in (["validate", ""], ["run", ""], ["plan", " "],
                 ["compare", "", "national-800"]):
        err = refused(monkeypatch, capsys, *args)
        assert "no scenario given (an empty name): give a built-in name (" in err, err
        assert "national-800" in err and "is a folder" not in err
    small_run(monkeypatch, capsys)
    err = refused(monkeypatch, capsys, "compare", "", "national-800")
    assert "no scenario given" in err and "stored run" not in err


def test_last_in_a_store_without_a_finished_run_says_so(monkeypatch, capsys, store):
    """'last' in a store whose runs were all removed was "no run 'last' in the store", as
    if a run were named last; compare took it for a scenario file."""
    run_id = small_run(monkeypatch, capsys)
    assert scsim(monkeypatch, capsys, "rm", run_id)[0] == 0
    said = (f"'last' is the run that finished last, and no run in the store {store} has "
            "finished yet")
    for command in (["show"], ["explain"], ["report"], ["sources"], ["compare", "last"],
                    ["compare", "national-800"]):
        err = refused(monkeypatch, capsys, *command, "last")
        assert said in err and "invalid scenario" not in err, (command, err)
    err = refused(monkeypatch, capsys, "sweeps", "last")
    assert f"'last' is the newest sweep, and the store {store} has none yet" in err


def test_resume_last_names_the_run_that_stopped(monkeypatch, capsys, store):
    """'last' is the run that finished last, so `scsim resume last` was always "is done:
    nothing to resume", even with a stopped run waiting: it names that one."""
    from scsim.core.engine import simulate

    done = small_run(monkeypatch, capsys)
    err = refused(monkeypatch, capsys, "resume", "last")
    assert f"run {done} is done: there is nothing to resume" in err
    assert "'last' names the run that finished last; no run in the store stopped with a " \
           "checkpoint" in err

    def stop(day):
        if day == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(load_scenario("national-800", agents=300, days=10), seed=0, store=store,
                 checkpoint_every=2, progress=stop)
    from scsim.store import open_store

    stopped = open_store(store).runs(status="interrupted")["id"][0]
    err = refused(monkeypatch, capsys, "resume", "last")
    assert (f"the newest run that stopped with a checkpoint is {stopped}: `scsim resume "
            f"{stopped}`") in err
    assert scsim(monkeypatch, capsys, "resume", stopped, "--quiet")[0] == 0


def test_the_end_of_a_run_id_is_told_which_run_it_is(monkeypatch, capsys, store):
    """The end of an id (`ec2d`) stands out in `scsim runs`, and was only "no run 'ec2d'"."""
    run_id = small_run(monkeypatch, capsys)
    err = refused(monkeypatch, capsys, "show", run_id[-4:])
    assert err == (f"error: no run '{run_id[-4:]}' in the store {store} (`scsim runs` lists "
                   f"them; in Python, `scsim.open_store().runs()`); did you mean {run_id}? "
                   f"('{run_id[-4:]}' is part of its id; a run is named by its whole id or "
                   "by how it begins)")
    assert "did you mean" not in refused(monkeypatch, capsys, "show", "zzzz")


def test_experiments_of_absurd_size_are_refused_before_they_start(monkeypatch, capsys,
                                                                  store, tmp_path):
    """--reps 10^8 compared pairs for hours (a run in the store each), --trials 10^8
    calibrated for days, and --samples 2^30 was an internal error (a 32 GiB design); each
    is refused at once, as a sweep of over 1,000,000 runs is, and nothing is kept."""
    monkeypatch.chdir(tmp_path)
    quick = ["--agents", "100", "--days", "3"]
    err = refused(monkeypatch, capsys, "compare", "national-800", "no-system", "--reps",
                  "100000000", *quick)
    assert "--reps 100,000,000: at most 500,000 pairs (1,000,000 runs) in one comparison" in err
    err = refused(monkeypatch, capsys, "compare", "national-800", "no-system", "--seed", "-1",
                  *quick)
    assert err.startswith("error: seed -1: must be from 0 to")  # before a progress bar
    ranges = ["--param", "listing.threshold=500..600", "--param", "scoring.recovery=0..0.01"]
    err = refused(monkeypatch, capsys, "sensitivity", "national-800", *ranges, "--samples",
                  str(2 ** 30), "--workers", "0", *quick)
    assert ("--samples 1073741824: 4,294,967,296 runs, at most 1,000,000 in one analysis"
            in err)
    err = refused(monkeypatch, capsys, "calibrate", "national-800", "--target",
                  "wrongful_new_total=1", "--param", "listing.threshold=500..600",
                  "--trials", "100000000", "--workers", "0", *quick)
    assert ("--trials 100000000 × --reps 2 = 200,000,000 runs: at most 1,000,000 in one "
            "calibration") in err
    assert not store.exists() and list(tmp_path.iterdir()) == []


def test_a_scenario_name_cannot_hold_control_characters_or_make_folders(monkeypatch, capsys,
                                                                         tmp_path):
    """A name with a terminal escape was printed raw in every table (`scsim runs` turned
    red), and calibrate's default file, calibrated-NAME.yaml, was written in a folder the
    name made (--set name=a/b: calibrated-a/b.yaml)."""
    err = refused(monkeypatch, capsys, "validate", "national-800", "--set", "name=a\x1b[31mred")
    assert "name: must be one line of text, without control characters" in err
    assert "'a\\x1b[31mred'" in err
    path = tmp_path / "two.yaml"
    path.write_text("base: national-800\nname: |\n  two\n  lines\n")
    err = refused(monkeypatch, capsys, "validate", str(path))
    assert f"{path}:2: name: must be one line of text" in err
    monkeypatch.chdir(tmp_path)
    code, _, err = scsim(monkeypatch, capsys, "calibrate", "national-800", "--set",
                         "name=w/ penalty", "--target", "wrongful_new_total=1", "--param",
                         "listing.threshold=500..600", "--trials", "1", "--reps", "1",
                         "--workers", "0", "--agents", "100", "--days", "3", "--quiet")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "calibrated-w- penalty.png", "calibrated-w- penalty.yaml", "two.yaml"]


def test_scenarios_show_prints_nothing_of_a_scenario_it_refuses(monkeypatch, capsys):
    """Its first line (# national-800, every setting resolved...) was printed before the
    scenario was refused: a half-written YAML on stdout."""
    err = refused(monkeypatch, capsys, "scenarios", "show", "national-800", "--days", "-1")
    assert "--days -1: days: must be >= 1" in err


def test_a_binary_edge_list_is_told_in_a_line_of_bounded_length(monkeypatch, capsys,
                                                                  tmp_path):
    """A binary file given as --network had its first 'line' repeated whole, control
    characters and all."""
    path = tmp_path / "garbage.edges"
    path.write_bytes(bytes(b for b in range(1, 256) if b not in b"\n\r") * 3)
    err = refused(monkeypatch, capsys, "run", "national-800", "--network", str(path))
    assert f"{path}:1: expected two node ids" in err and "characters)'" in err
    assert len(err) < 300, err


def test_query_names_a_use_statement_with_a(monkeypatch, capsys):
    small_run(monkeypatch, capsys)
    err = refused(monkeypatch, capsys, "query", "USE memory")
    assert err.endswith("this query has a USE statement"), err


def parameters(chosen) -> list[tuple[tuple[str, ...], str]]:
    """(words before the value, the parameter's name as Click shows it) for every
    parameter of every command for which ``chosen(param)`` is true: an option's flag, or
    an argument after placeholders."""
    from typer.main import get_command

    from scsim.cli import app

    found = []
    commands = [((name,), command) for name, command in get_command(app).commands.items()]
    while commands:
        path, command = commands.pop()
        commands += [((*path, name), sub)
                     for name, sub in getattr(command, "commands", {}).items()]
        before: list[str] = []  # placeholders for the arguments before this one
        for param in command.params:
            if param.param_type_name == "argument":
                if chosen(param):
                    found.append(((*path, *before), param.name))
                before.append("x")
            elif chosen(param):
                found.append(((*path, param.opts[0]), param.opts[0]))
    return found


def whole_number_parameters():
    return parameters(lambda param: param.type_descriptor.annotation is int)


def test_every_whole_number_parameter_is_found():
    names = {(words[0], name) for words, name in whole_number_parameters()}
    assert {("run", "--agents"), ("compare", "--reps"), ("runs", "--limit"),
            ("explain", "agent"), ("dashboard", "--port")} <= names


@pytest.mark.parametrize(("words", "name"), whole_number_parameters())
def test_a_whole_number_written_with_separators_is_told_how_to_write_it(monkeypatch, capsys,
                                                                       words, name):
    """`--agents 1,000` was Typer's "Input should be a valid integer", with neither the
    value nor what to write; every whole-number option and argument of every command now
    names both."""
    err = refused(monkeypatch, capsys, *words, "1,000")
    assert f"Invalid value for '{name}': '1,000' is not a whole number: write 1000" in err


@pytest.mark.parametrize(("word", "told"), [
    ("1e3", "write 1000"), ("1 000", "write 1000"),
    ("1.000", "write 1000, or 1 if the '.' is a decimal point"),
    ("12,000", "write 12000, or 12 if the ',' is a decimal point"),
    ("1,500", "write 1500"), ("1.000.000", "write 1000000"),
    ("1,5", "write 1 or 2"), ("1,000.5", "write 1000 or 1001"),
    ("100.0", "write 100"), ("2.5", "write 2 or 3"), ("-2.5", "write -3 or -2"),
    ("ten", "write digits only, e.g. 1000"), ("inf", "write digits only, e.g. 1000"),
    ("1e999999", "write digits only, e.g. 1000"),
])
def test_what_is_not_a_whole_number_is_told_what_to_write(monkeypatch, capsys, word, told):
    """'1.000' (a thousand in much of Europe, one elsewhere) and '100.0' were read as 1 and
    100 days; both readings of '1.000' are offered."""
    err = refused(monkeypatch, capsys, "run", "national-800", "--days", word)
    assert f"Invalid value for '--days': '{word}' is not a whole number: {told}" in err


def test_a_whole_number_python_reads_is_still_taken(monkeypatch, capsys):
    code, out, err = scsim(monkeypatch, capsys, "scenarios", "show", "national-800",
                           "--days", " 1_0 ")
    assert code == 0 and yaml.safe_load(out)["days"] == 10, err


def out_options():
    return parameters(lambda param: "--out" in param.opts)


def test_every_out_option_is_found():
    assert {words[0] for words, _ in out_options()} >= {"run", "show", "report", "calibrate",
                                                        "sensitivity", "resume"}


@pytest.mark.parametrize(("words", "name"), out_options())
@pytest.mark.parametrize(("out", "told"), [
    ("dir.csv/", "'dir.csv/': a name ending in .csv names a file, and the '/' after it a "
                 "folder; write dir.csv for the file, or a folder name without .csv"),
    ("sub/x.YAML/", "a name ending in .yaml names a file, and the '/' after it a folder; "
                    "write sub/x.YAML for the file"),
    (".csv", "'.csv' has no name before its first dot: it would be hidden in most file "
             "browsers; write a name before it, e.g. results.csv"),
    ("sub/.HTML", "write a name before it, e.g. results.HTML"),
])
def test_an_out_that_names_no_file_is_refused_before_anything_is_written(
        monkeypatch, capsys, tmp_path, words, name, out, told):
    """`scsim show RUN --out dir.csv/` wrote a file named dir.csv, and `--out .csv` a
    hidden file or folder: every command's --out refuses both, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    err = refused(monkeypatch, capsys, *words, out)
    assert "Invalid value for '--out': " in err and told in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("key", ["name", "source", "description"])
def test_an_override_with_a_terminal_escape_is_echoed_escaped(monkeypatch, capsys, key):
    """`--set description=...` with a terminal escape was refused for name only, and its
    error echoed the override with the escape itself, which a terminal obeys."""
    err = refused(monkeypatch, capsys, "validate", "national-800", "--set",
                  f"{key}=a\x1b[2J")
    assert f"override {key}=a\\x1b[2J: {key}: " in err and "\x1b" not in err
