"""The run store: round trip through the catalogue, crash safety, concurrent writers."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import SCSIM, run_cli
from scsim.errors import ScsimError
from scsim.outputs.result import Result
from scsim.scenario.diff import digest, population_key
from scsim.store import open_store

CLI = SCSIM


def small(name="national-800", **overrides):
    return scsim.load_scenario(name, agents=2000, days=40, overrides=overrides)


def start_run(store, days=50_000, extra=()):
    """A `scsim run` process that is still simulating when the test acts on it."""
    return subprocess.Popen([*CLI, "run", "national-800", "--agents", "2000", "--days",
                             str(days), "--quiet", "--store", str(store), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def empty(folder) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def wait_for_status(store, status, timeout=300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store.exists():
            runs = open_store(store).runs()
            if (runs["status"] == status).any():
                return runs
        time.sleep(0.2)
    raise AssertionError(f"no run reached status {status}")


def test_round_trip_catalogue_sql_and_load(tmp_path):
    sc = small(**{"surveillance.misattribution": 0.01, "listing.threshold": 690})
    res = scsim.simulate(sc, seed=4, store=tmp_path)
    other = scsim.simulate(small("informants"), seed=4, store=tmp_path)
    st = open_store(tmp_path)

    runs = st.runs()
    assert list(runs["id"]) == [other.run_id, res.run_id]  # newest first
    row = runs.set_index("id").loc[res.run_id]
    assert (row["scenario"], row["seed"], row["agents"], row["days"], row["status"]) == (
        "national-800", 4, 2000, 40, "done")
    assert row["scenario_hash"] == digest(res.scenario)
    assert row["population_hash"] == digest(population_key(res.scenario))
    assert json.loads(row["overrides"]) == {
        "days": 40, "population.agents": 2000, "surveillance.misattribution": 0.01,
        "listing.threshold": 690}
    assert row["wall_seconds"] == res.info["wall_seconds"]

    # the views read every run's Parquet files, with a run_id column, across schemas
    sql = st.query(f"SELECT * FROM metrics WHERE run_id = '{res.run_id}' ORDER BY day")
    assert res.metrics["newly_listed"].sum() > 0
    for col in res.metrics.columns:
        np.testing.assert_array_equal(sql[col].to_numpy(np.float64),
                                      res.metrics[col].to_numpy(np.float64), err_msg=col)
    assert sql["acts_jaywalking"].isna().all()  # an informants behaviour, absent here
    counts = st.query("SELECT run_id, count(*) AS n FROM agents GROUP BY run_id")
    assert dict(zip(counts["run_id"], counts["n"], strict=True)) == {
        res.run_id: 2000, other.run_id: len(other.agents)}
    listed = st.query(f"SELECT sum(times_listed) AS t FROM agents WHERE run_id = "
                      f"'{res.run_id}'")["t"][0]
    assert listed == res.agents["times_listed"].sum()

    loaded = st.load(res.run_id[:-1])  # a unique prefix is enough
    for table in ("metrics", "agents", "companies"):
        pd.testing.assert_frame_equal(getattr(loaded, table), getattr(res, table))
    pd.testing.assert_frame_equal(loaded.sample.ties, res.sample.ties)
    assert st.load("last").run_id == other.run_id
    assert (tmp_path / "runs" / res.run_id / "scenario.yaml").is_file()
    assert Result.load(tmp_path / "runs" / res.run_id).info["run_id"] == res.run_id


def test_catalogue_opens_in_duckdb_and_views_follow_new_runs(tmp_path):
    scsim.simulate(small(), seed=1, store=tmp_path)
    con = duckdb.connect(str(tmp_path / "catalog.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT run_id) FROM metrics").fetchone()[0] == 1
    finally:
        con.close()
    scsim.simulate(small(), seed=2, store=tmp_path)
    assert len(open_store(tmp_path).query("SELECT DISTINCT run_id FROM agents")) == 2


def test_query_runs_one_statement_and_says_how_to_start_with_a_comment(
        tmp_path, monkeypatch, capsys):
    """Several statements were run and all results but the last dropped unseen: they are
    refused. A query that starts with an SQL comment is read by the command line as an
    option; `--help` says to put `--` before it, and that works."""
    st = open_store(tmp_path)
    for sql in ("SELECT 1 AS a; SELECT 2 AS b", "SELECT 1; SELECT 2;", "SHOW TABLES; SELECT 1"):
        with pytest.raises(ScsimError, match=r"runs one statement at a time, and this query "
                                             r"has 2 .*run them one by one"):
            st.query(sql)
    with pytest.raises(ScsimError, match="no statement"):
        st.query("-- a note alone\n;")
    with pytest.raises(ScsimError, match="this query has an ATTACH statement"):  # not "a"
        st.query("ATTACH 'other.duckdb'")
    # named as written, not by DuckDB's type of it (INSTALL is a LOAD statement to DuckDB)
    for sql, kind in (("INSTALL httpfs", "an INSTALL"), ("load httpfs", "a LOAD"),
                      ("/* why */ -- not\n FORCE  INSTALL httpfs", "a FORCE INSTALL"),
                      ("SET threads = 1", "a SET"),
                      ("WITH a AS (SELECT 1) INSERT INTO runs SELECT * FROM a", "an INSERT")):
        with pytest.raises(ScsimError, match=f"this query has {kind} statement$"):
            st.query(sql)
    assert not (tmp_path / "other.duckdb").exists()
    assert st.query("-- a note\nSELECT 1 AS a;")["a"].tolist() == [1]
    assert {"runs", "sweeps"} <= set(st.query("SHOW TABLES")["name"])
    store = ["--store", str(tmp_path)]
    code, out, err = run_cli(monkeypatch, capsys, "query", "SELECT 1; SELECT 2", *store)
    assert code == 2 and "one statement at a time" in err and "Traceback" not in err
    code, out, _ = run_cli(monkeypatch, capsys, "query", "SELECT NULL AS nothing", *store)
    assert code == 0 and "–" in out and "None" not in out  # SQL's NULL, not Python's
    code, out, _ = run_cli(monkeypatch, capsys, "query", "--help")
    assert code == 0 and 'scsim query -- "-- my note ..."' in " ".join(out.split())
    code, out, _ = run_cli(monkeypatch, capsys, "query", *store, "--csv", "--",
                           "-- a note\nSELECT 41 + 1 AS answer")
    assert code == 0 and out == "answer\n42\n"


def test_run_ids_remove_and_bad_input(tmp_path):
    st = open_store(tmp_path)
    with pytest.raises(ScsimError, match="no finished runs"):
        st.query("SELECT * FROM metrics")
    a = scsim.simulate(small(), seed=1, store=tmp_path)
    b = scsim.simulate(small(), seed=2, store=tmp_path)
    with pytest.raises(ScsimError, match="no run 'zzz'"):
        st.get("zzz")
    with pytest.raises(ScsimError, match=r"^give a run id"):
        st.get(" ")  # a prefix of every id: it named them all
    if a.run_id[:9] == b.run_id[:9]:
        with pytest.raises(ScsimError, match="matches 2 runs"):
            st.get(a.run_id[:9])
    with pytest.raises(ScsimError, match="query failed: Parser Error"):
        st.query("SELEC 1")
    # DuckDB's hint on the lines after the first was cut off with the rest
    with pytest.raises(ScsimError, match=r'^query failed: Catalog Error: Table with name '
                       r'metric does not exist!; Did you mean "metrics"\?$'):
        st.query("SELECT * FROM metric")
    with pytest.raises(ScsimError, match=r'not found in FROM clause!; Candidate bindings: '
                       r'"wrongful_new"'):
        st.query("SELECT wrongfull_new FROM metrics")
    with pytest.raises(ScsimError, match=r"the runs table calls a run's id id \(the other "
                       r"tables run_id\): JOIN runs r ON r.id = m.run_id$"):
        st.query("SELECT run_id FROM runs")
    with pytest.raises(ScsimError, match="only reads"):
        st.query("DELETE FROM runs")
    with pytest.raises(ScsimError, match="empty"):
        st.query(" \n")
    assert st.remove(a.run_id) == a.run_id
    assert not (tmp_path / "runs" / a.run_id).exists()
    assert list(st.query("SELECT DISTINCT run_id FROM metrics")["run_id"]) == [b.run_id]
    st.remove(b.run_id)
    assert st.runs().empty and empty(tmp_path / "runs")
    with pytest.raises(ScsimError, match="no finished runs"):
        st.query("SELECT * FROM agents")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ScsimError, match="is a file"):
        open_store(tmp_path / "file")
    with pytest.raises(ScsimError, match="no run store"):
        open_store(tmp_path / "missing", create=False)


def test_last_is_the_run_that_finished_last(tmp_path):
    """'last' (explain last, report last, ...) is the run that finished last: a long run
    ending after a short one that started later, not the later start; a store opens from
    a str as from a Path."""
    from scsim.store import RunStore

    a = scsim.simulate(small(), seed=1, store=tmp_path)
    b = scsim.simulate(small(), seed=2, store=tmp_path)
    st = RunStore(str(tmp_path))
    assert st.root == tmp_path.resolve() and st.get("last").id == b.run_id
    with duckdb.connect(str(tmp_path / "catalog.duckdb")) as con:  # a began first, ended last
        con.execute("UPDATE runs SET started = started - INTERVAL 1 HOUR, finished = "
                    "finished + INTERVAL 1 HOUR WHERE id = ?", [a.run_id])
    assert st.get("last").id == a.run_id


def test_failure_while_writing_leaves_no_partial_run(tmp_path, monkeypatch):
    def write_half(self, folder):
        (folder / "metrics.parquet").write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(Result, "write_files", write_half)
    with pytest.raises(OSError, match="disk full"):
        scsim.simulate(small(), seed=1, store=tmp_path)
    st = open_store(tmp_path)
    row = st.runs().iloc[0]
    assert row["status"] == "failed" and row["error"] == "OSError: disk full"
    assert empty(tmp_path / "runs") and empty(tmp_path / "tmp")
    with pytest.raises(ScsimError, match="is failed: OSError: disk full"):
        st.load(row["id"])


def test_interrupt_marks_the_run_interrupted(tmp_path):
    def stop(day):
        if day == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(small(), seed=1, store=tmp_path, progress=stop)
    row = open_store(tmp_path).runs().iloc[0]
    assert (row["status"], row["error"]) == ("interrupted", "interrupted (Ctrl-C)")
    assert stopped.value.__notes__ == [
        f"run {row['id']} is kept as interrupted; without checkpoints (--checkpoint-every "
        "DAYS, or checkpoint_every= in Python) it cannot be resumed"]


def test_a_ctrl_c_a_library_turned_into_its_own_error_is_an_interrupt(monkeypatch, tmp_path):
    """A Ctrl-C that reaches DuckDB while it runs a query becomes its RuntimeError "Query
    interrupted": the run was kept as failed with that error, and the note that says it
    cannot be resumed was lost. After a Ctrl-C (the CLI's handler remembers it) such an
    error is the interrupt; without one, an error is a failure as before."""
    import scsim.interrupts

    def stop(day):
        if day == 5:
            scsim.interrupts.request_interrupt()
            raise RuntimeError("Query interrupted")

    monkeypatch.setattr(scsim.interrupts, "_requested", False)
    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(small(), seed=1, store=tmp_path, progress=stop)
    row = open_store(tmp_path).runs().iloc[0]
    assert (row["status"], row["error"]) == ("interrupted", "interrupted (Ctrl-C)")
    assert isinstance(stopped.value.__cause__, RuntimeError)
    assert stopped.value.__notes__ == [
        f"run {row['id']} is kept as interrupted; without checkpoints (--checkpoint-every "
        "DAYS, or checkpoint_every= in Python) it cannot be resumed"]
    monkeypatch.setattr(scsim.interrupts, "_requested", False)

    def fail(day):
        if day == 5:
            raise RuntimeError("Query interrupted")

    with pytest.raises(RuntimeError):
        scsim.simulate(small(), seed=2, store=tmp_path, progress=fail)
    assert open_store(tmp_path).runs().iloc[0]["status"] == "failed"


def test_a_run_left_running_on_another_host_is_removed_only_when_asked(monkeypatch,
                                                                          capsys, tmp_path):
    """A run recorded as running on another host (a shared store, a host that went down)
    cannot be checked from here: `rm` refuses it and says how to remove it; `rm
    --elsewhere` does; a run still going in a live process here stays refused even so."""
    st = open_store(tmp_path)
    away = scsim.simulate(small(), seed=1, store=tmp_path).run_id
    here = scsim.simulate(small(), seed=2, store=tmp_path).run_id
    with st._connect() as con:
        con.execute("UPDATE runs SET status = 'running', pid = 1, host = 'gone.example' "
                    "WHERE id = ?", [away])
        con.execute("UPDATE runs SET status = 'running', pid = ?, started = ? WHERE id = ?",
                    [os.getpid(), datetime.now(UTC).replace(tzinfo=None), here])
    code, _, err = run_cli(monkeypatch, capsys, "rm", away, "--store", str(tmp_path))
    assert code == 2 and err.strip() == (
        f"error: run {away} is still running (pid 1 on gone.example); it cannot be checked "
        f"from here: if that process has ended, `scsim rm {away} --elsewhere` removes the run")
    assert (tmp_path / "runs" / away).is_dir()
    code, out, _ = run_cli(monkeypatch, capsys, "rm", away, "--elsewhere", "--store",
                           str(tmp_path))
    assert code == 0 and f"removed run {away}" in out
    assert not (tmp_path / "runs" / away).exists() and away not in set(st.runs()["id"])
    code, _, err = run_cli(monkeypatch, capsys, "rm", here, "--elsewhere", "--store",
                           str(tmp_path))
    assert code == 2 and "is still running" in err and "--elsewhere" not in err
    assert f"stop it first (Ctrl-C where it runs, or `kill {os.getpid()}`)" in " ".join(
        err.split())
    assert (tmp_path / "runs" / here).is_dir()


def test_repair_after_a_killed_process(tmp_path):
    """Rows left `running` by a dead process, with or without a complete folder."""
    st = open_store(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    done = scsim.simulate(small(), seed=1, store=tmp_path)
    with st._connect() as con:
        con.execute("UPDATE runs SET status = 'running', pid = ? WHERE id = ?",
                    [dead.pid, done.run_id])
        con.execute("INSERT INTO runs (id, scenario, scenario_hash, population_hash, seed, "
                    "scsim_version, agents, days, started, status, pid, host) SELECT "
                    "'20000101-000000-dead', scenario, scenario_hash, population_hash, 9, "
                    "scsim_version, agents, days, started, 'running', pid, host FROM runs")
    partial = tmp_path / "tmp" / "20000101-000000-dead"
    partial.mkdir()
    (partial / "metrics.parquet").write_bytes(b"PAR1 truncated")

    runs = open_store(tmp_path).runs().set_index("id")
    assert runs.loc[done.run_id, "status"] == "done"  # its folder was complete
    assert runs.loc["20000101-000000-dead", "status"] == "interrupted"
    assert "ended without finishing" in runs.loc["20000101-000000-dead", "error"]
    assert ("it kept no checkpoint, so it cannot be resumed (`scsim resume "
            "20000101-000000-dead` says how to run it again)"
            in runs.loc["20000101-000000-dead", "error"])
    assert not partial.exists()
    assert len(st.query("SELECT DISTINCT run_id FROM metrics")) == 1


def test_killed_run_leaves_a_readable_catalogue(tmp_path):
    proc = start_run(tmp_path)
    try:
        wait_for_status(tmp_path, "running")
    finally:
        proc.kill()
        proc.wait()
    st = open_store(tmp_path)
    row = st.runs().iloc[0]
    assert row["status"] == "interrupted"
    assert empty(tmp_path / "runs") and empty(tmp_path / "tmp")
    with pytest.raises(ScsimError, match="no finished runs"):
        st.query("SELECT * FROM metrics")


@pytest.mark.parametrize(("sig", "code", "error"), [
    (signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted (Ctrl-C)")])
def test_sigterm_and_ctrl_c_exit_cleanly(tmp_path, sig, code, error):
    proc = start_run(tmp_path)
    try:
        wait_for_status(tmp_path, "running")
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == code
    assert b"Traceback" not in stderr
    row = open_store(tmp_path).runs().iloc[0]
    assert (row["status"], row["error"]) == ("interrupted", error)
    # the user is told which run stopped, and that it cannot be resumed
    assert f"run {row['id']} is kept as interrupted; without checkpoints".encode() in stderr
    assert empty(tmp_path / "tmp")


def test_runs_lists_overrides_as_they_can_be_given_again(tmp_path, monkeypatch, capsys):
    """A timeline given with --set was listed as Python wrote it ([{'day': 3, 'set':
    {'listing.threshold': 500}}]), which --set does not take back."""
    given = "timeline=[{day: 3, set: {listing.threshold: 500}}]"
    store = str(tmp_path / "st")
    code, _, err = run_cli(monkeypatch, capsys, "run", "pilot-1000", "--agents", "300",
                           "--days", "5", "--quiet", "--set", given, "--store", store)
    assert code == 0, err
    code, out, _ = run_cli(monkeypatch, capsys, "runs", "--store", store, columns=300)
    assert code == 0 and given in out, out
    again = scsim.load_scenario("pilot-1000", overrides=[given])
    assert again.timeline[0].set == {"listing.threshold": 500}


def test_two_concurrent_runs_both_land(tmp_path):
    procs = [subprocess.Popen([*CLI, "run", "pilot-1000", "--agents", "2000", "--days", "30",
                               "--seed", str(seed), "--quiet", "--store", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=dict(os.environ, NUMBA_NUM_THREADS="1"))
             for seed in (1, 2)]
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()
    st = open_store(tmp_path)
    runs = st.runs()
    assert sorted(runs["seed"]) == [1, 2] and (runs["status"] == "done").all()
    days = st.query("SELECT run_id, count(*) AS days FROM metrics GROUP BY run_id")
    assert sorted(days["run_id"]) == sorted(runs["id"]) and (days["days"] == 30).all()


def test_cli_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    code, out, _ = run_cli(monkeypatch, capsys, "run", "court-blacklist", "--agents", "2000",
                       "--days", "30", "--quiet", "--out", str(tmp_path / "copy"))
    assert code == 0 and "kept in" in out
    run_id = open_store(tmp_path / "store").runs()["id"][0]
    assert run_id in out and (tmp_path / "copy" / "metrics.parquet").is_file()

    code, out, _ = run_cli(monkeypatch, capsys, "runs", "--scenario", "court-blacklist")
    assert code == 0 and run_id in out
    for status in ("Done", "DONE"):  # a status in any case (it listed the valid ones)
        code, out, err = run_cli(monkeypatch, capsys, "runs", "--status", status, "--csv")
        assert (code, list(pd.read_csv(io.StringIO(out))["id"])) == (0, [run_id]), err
    code, out, _ = run_cli(monkeypatch, capsys, "runs", "--status", "Failed")
    assert code == 0 and run_id not in out and "no run matches --status Failed" in out
    assert open_store(tmp_path / "store").runs(status="Done")["id"].tolist() == [run_id]
    code, out, _ = run_cli(monkeypatch, capsys, "show", run_id)
    assert code == 0 and "court-blacklist: 2,000 agents × 30 days, seed 0" in out
    code, out, _ = run_cli(monkeypatch, capsys, "query",
                       "SELECT run_id, max(day) AS last FROM metrics GROUP BY 1", "--csv")
    assert (code, out) == (0, f"run_id,last\n{run_id},29\n")
    code, out, _ = run_cli(monkeypatch, capsys, "query", "SELECT seed FROM runs", "--json")
    assert json.loads(out) == [{"seed": 0}]
    # JSON keeps every digit, as the CSV does (pandas kept 10: 1e-12 read 0.0); times in
    # ISO 8601, missing values null
    code, out, _ = run_cli(monkeypatch, capsys, "query", "SELECT 0.3523541490390402::DOUBLE "
                           "AS x, 1e-12::DOUBLE AS y, started, NULL::TIMESTAMP AS t FROM runs",
                           "--json")
    (row,) = json.loads(out)
    started = open_store(tmp_path / "store").runs()["started"][0]
    assert (row["x"], row["y"], row["t"]) == (0.3523541490390402, 1e-12, None)
    assert pd.Timestamp(row["started"]) == started
    # SELECT * in a terminal 100 wide: the columns that fit, whole, and how to see the rest
    code, out, _ = run_cli(monkeypatch, capsys, "query", "SELECT * FROM runs", columns=100)
    n_columns = len(open_store(tmp_path / "store").query("SELECT * FROM runs").columns)
    assert code == 0 and max(map(len, out.splitlines())) <= 100
    assert run_id in out and "court-blacklist" in out and "agents.parquet" not in out
    assert re.search(rf"\b\d of {n_columns} columns fit: select fewer, or --csv for all",
                     " ".join(out.split()))
    code, out, _ = run_cli(monkeypatch, capsys, "query", "SELECT id, seed FROM runs",
                           columns=100)
    assert "columns fit" not in out and out.rstrip().endswith("1 row")
    for args, message in ((("show", "nope"), "no run 'nope'"),
                          (("query", "SELECT * FROM nothing"), "query failed"),
                          (("runs", "--status", "lost"), "unknown status 'lost'"),
                          (("runs", "--store", str(tmp_path / "copy" / "run.json")),
                           "is a file")):
        code, out, err = run_cli(monkeypatch, capsys, *args)
        assert code == 2 and message in err and "Traceback" not in err
    code, out, _ = run_cli(monkeypatch, capsys, "rm", run_id)
    assert code == 0 and open_store(tmp_path / "store").runs().empty


def test_ctrl_c_after_the_run_landed_says_it_is_kept(tmp_path, monkeypatch, capsys):
    """A Ctrl-C once the run is stored (while its headline prints): the run is kept as
    done, and the user hears that, and that --out was not written (before, only
    'interrupted', which the stored run contradicted)."""
    import scsim.cli.run as run_command
    from conftest import run_cli

    def stopped(res, full=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command, "print_run", stopped)
    code, _, err = run_cli(monkeypatch, capsys, "run", "pilot-1000", "--agents", "500",
                           "--days", "5", "--quiet", "--store", str(tmp_path / "store"),
                           "--out", str(tmp_path / "out"))
    row = open_store(tmp_path / "store").runs().iloc[0]
    assert code == 130 and row["status"] == "done"
    assert (f"run {row['id']} had finished and is kept (done); --out {tmp_path / 'out'} not "
            f"written (`scsim show {row['id']} --out {tmp_path / 'out'}` writes it) "
            "interrupted") in err
    assert not (tmp_path / "out").exists()


def test_rm_checks_every_run_first_and_removes_its_report(tmp_path, monkeypatch, capsys):
    """`scsim rm GOOD zzz` removed GOOD, then failed on zzz: every run is checked first,
    and nothing is removed while one is not there. A run's report in the store
    (reports/RUN) goes with it, unless a user added a file to it: then it is kept, and rm
    says so."""
    from scsim.fsutil import atomic_folder

    st = open_store(tmp_path)
    ids = [scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=seed,
                          store=tmp_path).run_id for seed in (1, 2)]
    for run_id in ids:  # a report as `scsim report` writes it, marker and all
        with atomic_folder(tmp_path / "reports" / run_id, kind="report") as folder:
            (folder / "report.html").write_text("<html></html>")
    (tmp_path / "reports" / ids[1] / "notes.txt").write_text("mine")
    store = ["--store", str(tmp_path)]
    code, out, err = run_cli(monkeypatch, capsys, "rm", ids[0], "zzz", "yyy", *store)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err == (f"error: no run 'zzz' or 'yyy' in the store {tmp_path} (`scsim runs` lists "
                   "them; in Python, `scsim.open_store().runs()`); nothing was removed")
    assert list(st.runs()["id"]) == ids[::-1] and (tmp_path / "runs" / ids[0]).is_dir()
    with pytest.raises(ScsimError, match=rf"^no run 'zzz' in the store .*; '{ids[0][:4]}' "
                                         r"matches 2 runs"):
        st.removable([ids[1], "zzz", ids[0][:4]])
    # a run named twice (by its id and as 'last') is removed once
    code, out, err = run_cli(monkeypatch, capsys, "rm", ids[0], ids[1], "last", *store)
    assert code == 0, err
    assert out.splitlines()[:2] == [f"removed run {ids[0]}", f"removed run {ids[1]}"]
    assert (f"kept its report folder {tmp_path / 'reports' / ids[1]}: it holds files that "
            "scsim did not write there") in " ".join(out.split())
    assert st.runs().empty and empty(tmp_path / "runs") and empty(tmp_path / "tmp")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [ids[1]]
    assert (tmp_path / "reports" / ids[1] / "notes.txt").read_text() == "mine"


def test_rm_removes_the_reports_of_the_comparisons_drawn_with_the_run(tmp_path, monkeypatch,
                                                                      capsys):
    """A comparison's report in the store (reports/A-vs-B, `scsim report A B`) goes when A
    or B is removed, unless a user added a file to it; a report of other runs, and one
    whose name merely contains the run's id, stay."""
    from scsim.fsutil import atomic_folder

    st = open_store(tmp_path)
    sc = scsim.load_scenario("national-800", agents=300, days=3)
    a, b, c = (scsim.simulate(sc, seed=1, store=tmp_path).run_id for _ in range(3))
    names = [f"{a}-vs-{b}", f"{c}-vs-{a}", f"{b}-vs-{c}", f"{a}x-vs-{b}", f"{a}-vs-{b}-vs-{c}"]
    for name in names:
        with atomic_folder(st.reports_dir / name, kind="report") as folder:
            (folder / "report.html").write_text("<html></html>")
    assert st.reports_of(a) == sorted(tmp_path / "reports" / n for n in names[:2])
    (tmp_path / "reports" / names[1] / "notes.txt").write_text("mine")
    code, out, err = run_cli(monkeypatch, capsys, "rm", a, "--store", str(tmp_path))
    assert code == 0, err
    assert (f"kept its report folder {tmp_path / 'reports' / names[1]}: it holds files that "
            "scsim did not write there") in " ".join(out.split())
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted(names[1:])
    assert (tmp_path / "reports" / names[1] / "notes.txt").read_text() == "mine"
    assert empty(tmp_path / "tmp")


def test_a_comparison_is_kept_and_goes_with_its_runs(tmp_path, monkeypatch, capsys):
    """`scsim compare A B` (and scsim.compare with a store) keeps the comparison: the run ids
    of A and B pair by pair, in the catalogue's table `comparisons`, so that it can be
    shown again (the dashboard lost it on restart); removing one of its runs forgets it."""
    code, _, err = run_cli(monkeypatch, capsys, "compare", "national-800", "national-800",
                           "--set-b", "listing.threshold=600", "--agents", "300", "--days",
                           "3", "--reps", "2", "--quiet", "--store", str(tmp_path))
    assert code == 0, err
    st = open_store(tmp_path)
    (kept,) = st.comparisons()
    runs = st.runs().set_index("id")
    assert len(kept.a) == len(kept.b) == 2 and set(runs.index) == {*kept.a, *kept.b}
    seeds = [[runs.loc[r, "seed"] for r in side] for side in (kept.a, kept.b)]
    assert seeds == [[0, 1], [0, 1]]
    assert not any("listing.threshold" in (runs.loc[r, "overrides"] or "") for r in kept.a)
    assert all("listing.threshold" in runs.loc[r, "overrides"] for r in kept.b)
    assert kept.side_of(kept.b[1]) == "B, pair 2"
    rows = st.query("SELECT id, a::JSON::VARCHAR[] AS a FROM comparisons")
    assert list(rows["id"]) == [kept.id] and list(rows["a"][0]) == kept.a
    with pytest.raises(ScsimError, match="a comparison pairs runs: 2 under A, 1 under B"):
        st.record_comparison(kept.a, kept.b[:1])
    other = st.record_comparison(kept.b[:1], kept.a[:1])
    st.remove(kept.a[0])
    assert st.comparisons() == []  # both held it
    assert other and len(st.runs()) == 3


def test_a_reading_command_makes_no_store(tmp_path, monkeypatch, capsys):
    """`scsim query` (or runs, show...) in an empty folder wrote a catalogue there (780 KB)
    and answered from it: a query cannot write, so it says there is no store."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in (["query", "SELECT count(*) FROM runs"], ["runs"]):
        code, out, err = run_cli(monkeypatch, capsys, *command, "--store", str(empty))
        assert (code, out) == (2, "") and err.startswith(f"error: no run store at {empty}")
    with pytest.raises(ScsimError, match="no run store at"):
        open_store(empty, create=False)
    assert list(empty.iterdir()) == []


def test_show_saves_a_stored_run_to_a_folder(tmp_path, monkeypatch, capsys):
    """A run killed while its --out folder was written was done in the store, but no
    command wrote the folder afterwards (resume: "nothing to resume"): `scsim show RUN
    --out DIR` does, as `scsim run --out` would have, and refuses as it does."""
    res = scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=4,
                         store=tmp_path / "store")
    out = tmp_path / "results"
    code, said, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out", str(out),
                              "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert said.rstrip().endswith(f"results saved to {out}")
    saved = Result.load(out)
    pd.testing.assert_frame_equal(saved.metrics, res.metrics)
    pd.testing.assert_frame_equal(saved.agents, res.agents)
    code, _, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out", str(out),
                           "--store", str(tmp_path / "store"))
    assert code == 2 and "holds earlier scsim output" in err
    code, _, err = run_cli(monkeypatch, capsys, "resume", res.run_id, "--store",
                           str(tmp_path / "store"))
    assert code == 2 and f"`scsim show {res.run_id} --out DIR` saves its results" in err


def test_show_saves_a_stored_runs_summary_to_a_csv_file(tmp_path, monkeypatch, capsys):
    """`scsim show RUN --out DIR` writes Parquet files, which a journalist's spreadsheet
    does not open. `--out FILE.csv` writes the summary table (the rows `scsim show --csv`
    prints) to one new file, written whole; a file already there is never replaced,
    --force or not, since scsim cannot tell its own CSV from the user's."""
    store = ["--store", str(tmp_path / "store")]
    res = scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=4,
                         store=tmp_path / "store")
    path = tmp_path / "for the desk" / "summary.csv"  # (its folder made)
    code, said, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out", str(path),
                              *store)
    assert code == 0, err
    assert said.rstrip().endswith(f"summary table saved to {path}")
    code, printed, _ = run_cli(monkeypatch, capsys, "show", res.run_id, "--csv", *store)
    # the rows of --csv, byte for byte, after the byte-order mark a spreadsheet needs
    assert path.read_bytes() == codecs.BOM_UTF8 + printed.encode("utf-8")
    table = pd.read_csv(path, keep_default_na=False)
    assert list(table.columns) == ["section", "figure", "value", "note"]
    summary = res.summary()
    assert list(table["figure"]) == list(summary["figure"])
    assert table.loc[table["figure"] == "agents", "value"].tolist() == [300]
    assert sorted(p.name for p in path.parent.iterdir()) == ["summary.csv"]  # nothing else

    before = path.read_bytes()
    for force in ([], ["--force"]):  # the user's file (or scsim's: it cannot tell) kept
        code, out, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out",
                                 str(path), *force, *store)
        assert code == 2 and out == "" and "Traceback" not in err
        assert err == (f"error: refusing to overwrite {path}: a run's summary table goes "
                       "to a new file only (scsim cannot tell a file it wrote there from "
                       "one of yours, so --force does not replace it); choose another "
                       "name, or move it away first")
        assert path.read_bytes() == before
    upper = tmp_path / "SUMMARY.CSV"  # the ending in any case; --json keeps stdout data
    code, data, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--json", "--out",
                              str(upper), *store)
    assert code == 0 and json.loads(data)["run_id"] == res.run_id
    assert f"summary table saved to {upper}" in err
    assert upper.read_text(encoding="utf-8-sig") == printed
    folder = tmp_path / "folder.csv"  # a folder of that name is not replaced by a file
    folder.mkdir()
    code, _, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out", str(folder),
                           *store)
    assert code == 2 and err == (f"error: refusing to write a run's summary table to "
                                 f"{folder}: it is a folder")
    code, _, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out",
                           str(tmp_path / "store" / "summary.csv"), *store)
    assert code == 2 and "it is part of the run store" in err
    assert not (tmp_path / "store" / "summary.csv").exists()

    def broken(df):  # a failure while it is written leaves no file, whole or part
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("scsim.cli.store.csv_text", broken)
    late = tmp_path / "late.csv"
    code, _, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out", str(late),
                           *store)
    assert code == 2 and "the disk is full" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["store", "for the desk", "SUMMARY.CSV", "folder.csv"])


def test_a_scenario_name_given_for_a_run_says_where_the_scenario_is(tmp_path, monkeypatch,
                                                                    capsys):
    """`scsim show national-800` (a teacher's first guess) said only that no such run is
    in the store: it says where the built-in scenario is shown and run."""
    scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=1,
                   store=tmp_path)
    code, out, err = run_cli(monkeypatch, capsys, "show", "national-800", "--store",
                             str(tmp_path))
    assert code == 2 and out == ""
    assert err == (f"error: no run 'national-800' in the store {tmp_path} (`scsim runs` "
                   "lists them; in Python, `scsim.open_store().runs()`); 'national-800' is "
                   "a built-in scenario: `scsim scenarios "
                   "show national-800` shows its settings, `scsim run national-800` runs it")


def test_a_report_of_several_pairs_does_not_replace_that_of_its_first_pair(tmp_path,
                                                                           monkeypatch,
                                                                           capsys):
    """`scsim report A1 B1 A2 B2` was written to reports/A1-vs-B1, replacing the report of
    `scsim report A1 B1`: several pairs have a folder of their own, named by the first pair
    and a digest of all, and go with the first pair's runs as a pair's report does."""
    sc = scsim.load_scenario("national-800", agents=300, days=3)
    a1, b1, a2, b2, a3, b3 = (scsim.simulate(sc, seed=seed, store=tmp_path).run_id
                              for seed in (1, 1, 2, 2, 3, 3))
    store = ["--store", str(tmp_path)]
    for runs in ([a1, b1], [a1, b1, a2, b2], [a1, b1, a3, b3]):
        code, _, err = run_cli(monkeypatch, capsys, "report", *runs, *store)
        assert code == 0, err
    folders = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert len(folders) == 3 and f"{a1}-vs-{b1}" in folders
    assert all(name.startswith(f"{a1}-vs-{b1}") for name in folders)
    st = open_store(tmp_path)
    assert st.reports_of(b1) == sorted(tmp_path / "reports" / name for name in folders)
    # a run of a later pair takes the reports that show it, and only those
    several = [name for name in folders if "+" in name]
    shown = json.loads((tmp_path / "reports" / several[0] / "runs.json").read_text())
    assert shown["pairs"] in ([[a1, b1], [a2, b2]], [[a1, b1], [a3, b3]])
    code, _, err = run_cli(monkeypatch, capsys, "rm", a2, *store)
    assert code == 0, err
    left = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert len(left) == 2 and f"{a1}-vs-{b1}" in left
    code, _, err = run_cli(monkeypatch, capsys, "rm", a1, *store)
    assert code == 0, err
    assert not list((tmp_path / "reports").glob("*"))


def test_a_sweep_run_stopped_while_it_lands_leaves_no_row(tmp_path, monkeypatch):
    """Ctrl-C while a sweep landed a worker's result left a row "interrupted" with no
    folder, listed for good beside the run `scsim sweep --resume` made in its place, whose
    `scsim resume` advised --checkpoint-every. The row goes; a sweep's run that cannot be
    resumed says how its sweep is."""
    from scsim.store import Tag

    st = open_store(tmp_path)
    sc = scsim.load_scenario("national-800", agents=300, days=3)
    res = scsim.simulate(sc, seed=1)
    sweep = st.create_sweep("national-800", 1, 2, {})

    def stopped(self, folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(Result, "write_files", stopped)
    with pytest.raises(KeyboardInterrupt):
        st.add(res, sweep=Tag(sweep, 0, 0, {}))
    monkeypatch.undo()
    assert st.runs().empty and not list((tmp_path / "runs").glob("*"))
    failed = st.add_failure(sc, 2, "KilledWorker: ...", sweep=Tag(sweep, 0, 1, {}))
    with pytest.raises(ScsimError, match=rf"^run {failed} is a run of sweep {sweep}, whose "
                                         rf"runs keep no checkpoints: `scsim sweep --resume "
                                         rf"{sweep}` runs what the sweep lacks again$"):
        st.checkpoint(failed)


def test_a_pair_given_twice_to_a_report_is_refused(tmp_path, monkeypatch, capsys):
    """`scsim report A B A B` drew "mean over 2 pairs" and its interval from one pair."""
    sc = scsim.load_scenario("national-800", agents=300, days=3)
    a, b = (scsim.simulate(sc, seed=1, store=tmp_path).run_id for _ in range(2))
    code, _, err = run_cli(monkeypatch, capsys, "report", a, b, a, b, "--store",
                           str(tmp_path))
    assert code == 2 and err == (f"error: the pair {a} {b} is given twice: each pair of "
                                 "runs counts once")
    assert not (tmp_path / "reports").exists()


def test_a_run_not_found_from_python_is_told_the_python_way_to_list_runs(tmp_path,
                                                                        monkeypatch):
    """`open_store().load("bad")` named `scsim runs` only, a command a notebook user does
    not type: the error names the store's own method too, and it works as written."""
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path))
    res = scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3),
                         store=tmp_path)
    with pytest.raises(ScsimError) as refused:
        scsim.open_store().load("bad")
    assert str(refused.value) == (f"no run 'bad' in the store {tmp_path} (`scsim runs` "
                                  "lists them; in Python, `scsim.open_store().runs()`)")
    told = re.search(r"in Python, `([^`]+)`", str(refused.value)).group(1)
    assert list(eval(told, {"scsim": scsim})["id"]) == [res.run_id]


def test_a_summary_csv_keeps_its_signs_in_a_spreadsheet_and_its_columns_in_code(
        tmp_path, monkeypatch, capsys):
    """Excel read a double-clicked UTF-8 CSV without a byte-order mark in the local code
    page: "300 agents × 1,000" became "300 agents Ã— 1,000". The file begins with the mark,
    and pandas, DuckDB and Python's csv module (with encoding="utf-8-sig") read the same
    column names and signs back."""
    import duckdb

    res = scsim.simulate(scsim.load_scenario(
        "national-800", agents=300, days=3, overrides={"population.scale": 1000}),
        store=tmp_path / "store")
    path = tmp_path / "summary.csv"
    code, _, err = run_cli(monkeypatch, capsys, "show", res.run_id, "--out", str(path),
                           "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    columns = ["section", "figure", "value", "note"]
    table = pd.read_csv(path, keep_default_na=False)
    assert list(table.columns) == columns
    assert "300 agents × 1,000" in list(table["note"])
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == columns and ["national terms", "people represented", "300000",
                                   "300 agents × 1,000"] in rows
    assert duckdb.sql(f"SELECT * FROM read_csv('{path}')").columns == columns
