"""Sweeps on a real Dask scheduler and workers: every cell × replication lands once in the
store, paired by seed; failing tasks are reported while the others land; a resumed sweep
runs only what is missing."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import BIN, SCSIM, dask_cluster, run_cli
from scsim.errors import MemoryRefused, ResultWarning, ScsimError
from scsim.experiments.perform import sweep as python_sweep
from scsim.experiments.perform import sweep_table
from scsim.store import open_store


def scsim(monkeypatch, capsys, *args):
    """(exit code, everything printed)."""
    code, out, err = run_cli(monkeypatch, capsys, *args)
    return code, out + err


def sweep_id_of(output: str) -> str:
    return output.split("sweep ", 1)[1].split(":", 1)[0].strip()


def blocked_air(store, run_id):
    return pd.read_parquet(store.path(run_id) / "metrics.parquet")["blocked_air"].sum()


def test_sweep_lands_every_cell_once(monkeypatch, capsys, tmp_path, dask_scheduler):
    code, out = scsim(monkeypatch, capsys, "sweep", "court-blacklist", "--grid",
                      "sanctions.travel.air_rate=0.002,0.02", "--grid",
                      "listing.duration=100,300", "--reps", "2", "--agents", "4000", "--days",
                      "200", "--scheduler", dask_scheduler, "--store", str(tmp_path),
                      "--quiet", "--set", "behaviours.court_default.rate=1e-4")
    assert code == 0, out
    store = open_store(tmp_path)
    runs = store.sweep_runs(sweep_id_of(out))
    assert len(runs) == 8 and (runs["status"] == "done").all()
    assert sorted(zip(runs["cell"], runs["rep"], strict=True)) == [
        (c, r) for c in range(4) for r in range(2)]
    # each run's overrides hold --agents, --days and --set, as those of `scsim run` do
    changed = store.query("SELECT overrides, params FROM runs WHERE sweep_id IS NOT NULL")
    for row in changed.itertuples():
        assert json.loads(row.overrides) == {
            "population.agents": 4000, "days": 200, "behaviours.court_default.rate": 1e-4,
            **json.loads(row.params)}
    assert runs.groupby("rep")["seed"].nunique().eq(1).all()  # cells paired by seed
    # Paired cells differ only by their parameters: a higher air-ticket rate blocks at
    # least as many tickets for every replication (Poisson draws by inversion are coupled).
    for rep in (0, 1):
        mine = runs[runs["rep"] == rep].set_index("cell")["id"]
        assert blocked_air(store, mine[2]) >= blocked_air(store, mine[0]) > 0
    catalogue = store.query("SELECT count(DISTINCT run_id) AS n FROM metrics")
    assert catalogue["n"].iloc[0] == 8

    sweep_id = sweep_id_of(out)
    code, out = scsim(monkeypatch, capsys, "sweeps", sweep_id, "--store", str(tmp_path),
                      "--output", "blocked_air_total")
    assert code == 0, out
    assert "air_rate" in out and "blocked_air_total" in out.replace(" ", "_")
    assert "blocked air tickets, total over the run (tickets)" in out  # the registry's words
    charts = list((tmp_path / "sweeps").glob("*/sweep-blocked_air_total.png"))
    assert len(charts) == 1 and charts[0].stat().st_size > 10_000
    drawn = pd.read_csv(charts[0].with_suffix(".csv"))  # the numbers the chart draws
    assert list(drawn["reps"]) == [2, 2, 2, 2]
    # for a spreadsheet opened on a double-click: UTF-8 told by its byte-order mark
    assert charts[0].with_suffix(".csv").read_bytes().startswith(codecs.BOM_UTF8)
    # for scripts: the cell table as JSON or CSV, and the list of sweeps
    code, out, _ = run_cli(monkeypatch, capsys, "sweeps", sweep_id, "--store", str(tmp_path),
                           "--output", "blocked_air_total", "--json", "--quiet")
    cells = pd.DataFrame(json.loads(out))
    assert code == 0 and list(cells["cell"]) == [0, 1, 2, 3] and (cells["reps"] == 2).all()
    totals = [blocked_air(store, i) for i in runs[runs["cell"] == 2]["id"]]
    assert cells.loc[2, "blocked_air_total"] == pytest.approx(sum(totals) / 2)
    code, out, _ = run_cli(monkeypatch, capsys, "sweeps", sweep_id, "--store", str(tmp_path),
                           "--output", "blocked_air_total", "--csv", "--quiet")
    # cell, 2 parameters, reps, mean, ci95, lo, hi
    assert pd.read_csv(io.StringIO(out)).shape == (4, 8)
    # tidy, for R: one row per run with its seed, id, typed parameters and outputs
    code, out, _ = run_cli(monkeypatch, capsys, "sweeps", sweep_id, "--runs", "--store",
                           str(tmp_path), "--output", "blocked_air_total", "--csv", "--quiet")
    each = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(each.columns) == [
        "cell", "rep", "seed", "run_id", "sanctions.travel.air_rate", "listing.duration",
        "blocked_air_total"]
    assert list(zip(each["cell"], each["rep"], strict=True)) == [
        (c, r) for c in range(4) for r in range(2)]
    by_id = runs.set_index("id")
    assert list(each["seed"]) == [by_id.loc[i, "seed"] for i in each["run_id"]]
    assert list(each["blocked_air_total"]) == [blocked_air(store, i) for i in each["run_id"]]
    assert each["sanctions.travel.air_rate"].dtype == float
    assert each.groupby("cell")["blocked_air_total"].mean().tolist() == pytest.approx(
        list(cells["blocked_air_total"]))
    # read back in a notebook, as the command prints them (only `scsim sweeps` reached
    # them); a reading call makes no store where there is none
    read = sweep_table(sweep_id[:8], "blocked_air_total", store=tmp_path)
    assert read.attrs["sweep_id"] == sweep_id
    pd.testing.assert_frame_equal(read.reset_index(drop=True), each, check_dtype=False)
    per_cell = sweep_table("last", ["blocked_air_total"], per_cell=True,
                                        store=open_store(tmp_path))
    assert per_cell["blocked_air_total"].tolist() == pytest.approx(
        list(cells["blocked_air_total"]))
    assert per_cell["blocked_air_total_ci95"].tolist() == pytest.approx(
        list(cells["blocked_air_total_ci95"]), nan_ok=True)
    with pytest.raises(ScsimError, match="no run store at"):
        sweep_table(store=tmp_path / "none")
    with pytest.raises(ScsimError, match="output blocked_air_total is given twice"):
        sweep_table(sweep_id, ["blocked_air_total"] * 2, store=tmp_path)
    code, out, _ = run_cli(monkeypatch, capsys, "sweeps", "--store", str(tmp_path), "--json")
    assert [(s["id"], s["cells"], s["status"]) for s in json.loads(out)] == [
        (sweep_id, 4, "done")]


def test_sweep_intervals_are_cut_at_zero_and_unmoved_outputs_are_told(monkeypatch, capsys,
                                                                       tmp_path):
    """A count's interval has its ends as columns, cut at 0 (it read "0.3333 ± 1.434"); an
    output that is the same in every cell is told after the sweep, from the command line
    and from Python (the analyst took a false-match rate that lists no one wrongfully at
    800 agents and 30 days for a lever that does nothing)."""
    from scsim.analysis.stats import mean_ci95
    from scsim.cli.render import fmt
    from scsim.errors import ResultWarning

    sweep = ["national-800", "--grid", "surveillance.misattribution=0,0.01", "--reps", "3",
             "--agents", "800", "--days", "30", "--workers", "0", "--store", str(tmp_path),
             "--quiet"]
    code, out = scsim(monkeypatch, capsys, "sweep", *sweep)
    assert code == 0, out
    assert ("warning: wrongful_new_total is 0 in every cell: no value swept moved it (at "
            "this population and these days)") in out  # of a grid: it said "these ranges"
    assert "listed_final is" not in out  # it moved (between replications)
    sweep_id = sweep_id_of(out)
    outputs = ["--output", "wrongful_new_total", "--output", "listed_final"]
    unmoved = ("warning: wrongful_new_total is 0 in every cell: no value swept moved it "
               "(at this population and these days)")
    _, text, told = run_cli(monkeypatch, capsys, "sweeps", sweep_id, "--store",
                            str(tmp_path), *outputs, "--runs", "--csv", "--quiet")
    each = pd.read_csv(io.StringIO(text))  # the warning on stderr: the CSV stays whole
    assert (each["wrongful_new_total"] == 0).all() and each["listed_final"].nunique() > 1
    assert told == unmoved  # read back, the sweep says it again, once
    _, text, told = run_cli(monkeypatch, capsys, "sweeps", sweep_id, "--store",
                            str(tmp_path), *outputs, "--csv", "--quiet")
    cells = pd.read_csv(io.StringIO(text))
    assert told == unmoved
    assert list(cells.columns) == [
        "cell", "surveillance.misattribution", "reps", "wrongful_new_total",
        "wrongful_new_total_ci95", "wrongful_new_total_lo", "wrongful_new_total_hi",
        "listed_final", "listed_final_ci95", "listed_final_lo", "listed_final_hi"]
    cut = False
    for row in cells.itertuples():
        for name in ("wrongful_new_total", "listed_final"):
            mean, half = mean_ci95(list(each.loc[each["cell"] == row.cell, name]))
            lo, hi = getattr(row, f"{name}_lo"), getattr(row, f"{name}_hi")
            assert getattr(row, f"{name}_ci95") == pytest.approx(half)
            assert (lo, hi) == pytest.approx((max(mean - half, 0), mean + half))
            cut |= mean - half < 0
    assert cut  # a count's interval reached below 0 here: its low end is 0
    code, out = scsim(monkeypatch, capsys, "sweeps", sweep_id, "--store", str(tmp_path),
                      *outputs, "--quiet")
    row = cells.iloc[0]
    assert code == 0 and (f"{fmt(row.listed_final)} (0 to {fmt(row.listed_final_hi)})"
                          if row.listed_final_lo == 0 else "± ") in out, out
    assert "0 ± 0" in out and "mean (low to high): an interval cut at" in out
    assert out.count(unmoved) == 1 and "listed_final is" not in out
    per_cell = sweep_table(sweep_id, ["listed_final"], per_cell=True, store=tmp_path)
    assert per_cell["listed_final_lo"].tolist() == pytest.approx(list(cells["listed_final_lo"]))
    with pytest.warns(ResultWarning) as told:  # from Python too, computed from the runs
        sweep_table(sweep_id, outputs[1::2], per_cell=True, store=tmp_path)
    assert [str(w.message) for w in told] == [unmoved.removeprefix("warning: ")]
    # from Python: the same sweep, the same warning (a ResultWarning), and its table
    with pytest.warns(ResultWarning, match="wrongful_new_total is 0 in every cell") as told:
        table = python_sweep("national-800", {"surveillance.misattribution": [0, 0.01]},
                             reps=3, agents=800, days=30, workers=0, store=tmp_path,
                             outputs=["wrongful_new_total", "listed_final"])
    assert not [w for w in told if "listed_final" in str(w.message)]
    pd.testing.assert_frame_equal(table.drop(columns="run_id"),
                                  each.drop(columns="run_id"), check_dtype=False)


def test_failing_task_is_reported_and_resume_runs_what_is_missing(monkeypatch, capsys,
                                                                  tmp_path, dask_scheduler):
    # Two billion agents is a valid scenario, but the worker refuses it (memory).
    args = ["--scheduler", dask_scheduler, "--store", str(tmp_path), "--quiet"]
    code, out = scsim(monkeypatch, capsys, "sweep", "informants", "--grid",
                      "population.agents=1500,2000000000", "--reps", "2", "--days", "10", *args)
    assert code == 1
    assert out.count("failed") >= 2 and "MemoryRefused" in out
    sweep_id = sweep_id_of(out)
    store = open_store(tmp_path)
    runs = store.sweep_runs(sweep_id)
    assert sorted(runs.loc[runs["status"] == "done", "cell"]) == [0, 0]
    assert sorted(runs.loc[runs["status"] == "failed", "cell"]) == [1, 1]
    # its table says it is not whole (it looked like a finished sweep's)
    code, out = scsim(monkeypatch, capsys, "sweeps", sweep_id, "--store", str(tmp_path),
                      "--quiet")
    assert code == 0 and (f"this sweep is {store.sweeps()['status'].iloc[0]}: 2 of its 4 runs "
                          f"landed") in out and f"scsim sweep --resume {sweep_id}" in out, out
    code, out = scsim(monkeypatch, capsys, "sweeps", "nope", "--store", str(tmp_path))
    assert code == 2 and "no sweep 'nope'" in out

    code, out = scsim(monkeypatch, capsys, "sweep", "--resume", sweep_id, *args)
    assert code == 1 and "2 were already there" in out
    runs = store.sweep_runs(sweep_id)
    assert (runs["status"] == "done").sum() == 2  # nothing done twice
    assert (runs["status"] == "failed").sum() == 4  # the bad cell tried again, once more


@pytest.mark.parametrize(("stop", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                  (signal.SIGTERM, 143, "terminated")])
def test_interrupted_sweep_resumes(tmp_path, dask_scheduler, stop, code, word):
    """Ctrl-C, or SIGTERM (a batch system's time limit), stops a sweep cleanly (exit 130 or
    143, one line saying how to resume, the sweep marked interrupted); --resume then runs
    only the missing tasks and every cell lands exactly once."""
    cmd = [*SCSIM, "sweep", "national-800", "--grid",
           "scoring.recovery=0.001,0.002,0.003", "--reps", "3", "--agents",
           "20000", "--days", "120", "--scheduler", dask_scheduler, "--store", str(tmp_path),
           "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, COLUMNS="200"))
    first = proc.stdout.readline()
    sweep_id = sweep_id_of(first)
    store = open_store(tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline:
        runs = store.sweep_runs(sweep_id)
        if (runs["status"] == "done").sum() >= 2:
            break
        time.sleep(0.2)
    proc.send_signal(stop)
    out = first + proc.communicate(timeout=120)[0]
    done = store.sweep_runs(sweep_id)
    if proc.returncode == 0:  # pragma: no cover - the machine outran the signal
        pytest.skip("the sweep finished before it could be interrupted")
    assert proc.returncode == code, out
    told = out.strip().splitlines()
    assert told[-2:] == [f"sweep {sweep_id} stopped: `scsim sweep --resume {sweep_id}` runs "
                         "what is left", word], out
    assert "Traceback" not in out and "leaked semaphore" not in out
    assert "cannot be resumed" not in out
    assert 2 <= (done["status"] == "done").sum() < 9
    status = store.query(f"SELECT status FROM sweeps WHERE id = '{sweep_id}'")
    assert status["status"].iloc[0] == "interrupted"

    resumed = subprocess.run([sys.executable, "-m", "scsim", "sweep", "--resume", sweep_id,
                              "--scheduler", dask_scheduler, "--store", str(tmp_path),
                              "--quiet"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    runs = store.sweep_runs(sweep_id)
    finished = runs[runs["status"] == "done"]
    assert len(finished) == 9 and not finished.duplicated(["cell", "rep"]).any()


def test_ctrl_c_in_a_terminal_stops_a_local_cluster_sweep_without_tracebacks(tmp_path):
    """Ctrl-C in a terminal signals the whole process group, the local cluster's worker
    processes too: they ignore it (the command stops them), so the user reads the resume
    line and one word, not a KeyboardInterrupt traceback from each worker."""
    cmd = [*SCSIM, "sweep", "national-800", "--grid",
           "scoring.recovery=0.001,0.002,0.003,0.004", "--reps", "3", "--agents", "20000",
           "--days", "150", "--workers", "2", "--store", str(tmp_path), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, COLUMNS="200"), start_new_session=True)
    first = proc.stdout.readline()
    sweep_id = sweep_id_of(first)
    store = open_store(tmp_path)
    deadline = time.time() + 180
    while time.time() < deadline and (store.sweep_runs(sweep_id)["status"] == "done"
                                      ).sum() < 1:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does
    out = first + proc.communicate(timeout=120)[0]
    if proc.returncode == 0:  # pragma: no cover - the machine outran the signal
        pytest.skip("the sweep finished before it could be interrupted")
    assert proc.returncode == 130, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert "cannot be resumed" not in out  # a run interrupted as it landed: the sweep tells
    assert out.strip().splitlines()[-1] == "interrupted", out
    status = store.query(f"SELECT status FROM sweeps WHERE id = '{sweep_id}'")
    assert status["status"].iloc[0] == "interrupted"


def test_a_local_cluster_sweep_killed_with_sigkill_leaves_no_python_warning(tmp_path):
    """A sweep killed with SIGKILL (the out-of-memory killer, a batch system) cannot say
    anything; but Python's resource tracker, which outlives it, printed "UserWarning:
    resource_tracker: There appear to be 12 leaked semaphore objects" with its file path
    on the terminal. Nothing now; --resume finishes the sweep."""
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [*SCSIM, "sweep", "informants", "--reps", "6", "--agents", "2000", "--days", "20",
         "--workers", "2", "--store", str(store), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, COLUMNS="200"))
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not (
            (store / "runs").is_dir() and any((store / "runs").iterdir())):
        time.sleep(0.05)
    proc.kill()
    out, err = proc.communicate(timeout=60)  # (the tracker's stderr closes when it ends)
    if proc.returncode == 0:  # pragma: no cover - the machine outran the signal
        pytest.skip("the sweep finished before it could be killed")
    assert "leaked semaphore" not in err and "Warning" not in err, err
    sweep_id = sweep_id_of(out)
    resumed = subprocess.run([*SCSIM, "sweep", "--resume", sweep_id, "--workers", "0",
                              "--store", str(store), "--quiet"], capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert (open_store(store).sweep_runs(sweep_id)["status"] == "done").sum() == 6


def test_resume_of_a_sweep_running_in_a_live_process_is_refused(monkeypatch, capsys,
                                                                tmp_path, dask_scheduler):
    """--resume of a sweep that a live process still runs is refused (two processes would
    run the same missing tasks and land each replication twice); the process that resumes
    a sweep records itself as running it; a replication landed twice counts once."""
    args = ["--scheduler", dask_scheduler, "--store", str(tmp_path), "--quiet"]
    code, out = scsim(monkeypatch, capsys, "sweep", "informants", "--grid",
                      "sanctions.travel.air_rate=0.002,0.02", "--reps", "2", "--agents",
                      "1500", "--days", "10", *args)
    assert code == 0, out
    sweep_id = sweep_id_of(out)
    store = open_store(tmp_path)
    store.take_sweep(sweep_id)  # this (live) test process now runs it
    status = store.query(f"SELECT status, pid FROM sweeps WHERE id = '{sweep_id}'")
    assert (status["status"].iloc[0], status["pid"].iloc[0]) == ("running", os.getpid())
    refused = subprocess.run([*SCSIM, "sweep", "--resume", sweep_id, *args],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert " ".join(refused.stderr.split()) == (  # one line (Rich may wrap it)
        f"error: sweep {sweep_id} is still running (pid {os.getpid()} on "
        f"{socket.gethostname()})")
    assert len(store.sweep_runs(sweep_id)) == 4  # nothing ran

    store.end_sweep(sweep_id, "interrupted")
    resumer = subprocess.Popen([*SCSIM, "sweep", "--resume", sweep_id, *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = resumer.communicate(timeout=300)[0]
    assert resumer.returncode == 0 and "4 were already there" in out, out
    owner = store.query(f"SELECT status, pid, resumed FROM sweeps WHERE id = '{sweep_id}'")
    assert list(owner.iloc[0][["status", "pid"]]) == ["done", resumer.pid]
    assert owner["resumed"].notna().all()

    # a second finished run of (cell 1, replication 0), as two resuming processes left them
    from scsim.experiments import sweep as sw
    from scsim.store import Tag

    _, plan = sw.plan_of(store, sweep_id)
    runs = store.sweep_runs(sweep_id).set_index(["cell", "rep"])["id"]
    store.add(store.load(runs[(1, 0)]), sweep=Tag(sweep_id, 1, 0, plan.cells[1]))
    assert len(store.sweep_runs(sweep_id)) == 5
    assert sw.pending(store, sweep_id, plan) == []
    table = sw.cell_table(plan, sw.run_table(store, sweep_id, plan, ["listed_final"]),
                          ["listed_final"])
    assert list(table["reps"]) == [2, 2]  # not 3


def test_calibrate_command_writes_a_runnable_scenario(monkeypatch, capsys, tmp_path,
                                                      dask_scheduler):
    out_file = tmp_path / "fitted.yaml"
    code, out = scsim(monkeypatch, capsys, "calibrate", "court-blacklist", "--preset",
                      "2018-seed", "--param", "sanctions.travel.air_rate=0.001..0.05",
                      "--param", "sanctions.travel.train_rate=0.0001..0.01", "--trials", "12",
                      "--reps", "1", "--agents", "3000", "--days", "365", "--set",
                      "behaviours.court_default.rate=5e-5", "--scheduler", dask_scheduler,
                      "--out", str(out_file), "--quiet")
    assert code == 0, out
    assert "blocked_air_per_capita_year" in out.replace(" ", "_") and "best parameters" in out
    from scsim.scenario import load_scenario

    fitted = load_scenario(out_file)
    assert out_file.read_text().startswith("# Calibrated by scsim")
    assert out_file.with_suffix(".png").stat().st_size > 10_000  # the trials chart
    from scsim.fsutil import png_made_by_scsim

    assert png_made_by_scsim(out_file.with_suffix(".png"))  # so --force may replace it
    assert 0.001 <= fitted.sanctions.travel.air_rate <= 0.05
    assert fitted.sanctions.travel.air_rate > fitted.sanctions.travel.train_rate


def test_sensitivity_command_writes_indices_and_chart(monkeypatch, capsys, tmp_path,
                                                      dask_scheduler):
    folder = tmp_path / "sens"
    code, out = scsim(monkeypatch, capsys, "sensitivity", "court-blacklist", "--param",
                      "behaviours.court_default.rate=1e-6..1e-4", "--param",
                      "sanctions.travel.air_rate=0.001..0.01", "--output", "listed_final",
                      "--method", "morris", "--samples", "4", "--agents", "2000", "--days",
                      "100", "--scheduler", dask_scheduler, "--out", str(folder), "--quiet")
    assert code == 0, out
    indices = pd.read_csv(folder / "indices.csv")
    assert indices["parameter"].iloc[0] == "behaviours.court_default.rate"
    assert (folder / "sensitivity.png").stat().st_size > 10_000
    assert len(pd.read_csv(folder / "samples.csv")) == 4 * 3
    # data for scripts: no byte-order mark (csv.DictReader named the first column
    # '\ufeffseed'), unlike the chart CSVs made for a spreadsheet
    with open(folder / "samples.csv", encoding="utf-8", newline="") as f:
        assert "seed" in next(csv.DictReader(f))
    assert not (folder / "indices.csv").read_bytes().startswith(codecs.BOM_UTF8)
    # said before the runs, and what the indices mean in words after
    assert "morris: 4 trajectories x (2 parameters + 1) = 12 runs of court-blacklist" in out
    assert out.index("12 runs of court-blacklist") < out.index("morris indices")
    assert "behaviours.court_default.rate: across its whole range it moves" in out


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", "national-800", "--grid", "scoring.recovery"], "expected KEY=V1,V2"),
    (["sweep", "national-800", "--range", "scoring.recovery=0..1"], "--range needs --sample"),
    (["sweep", "national-800", "--grid", "scoring.recovery=0,7"], "cell 1"),
    (["sweeps", "nope"], "no run store at"),  # a reading command makes no store
    (["sweeps", "--runs"], "--runs shows the runs of one sweep: give its id"),
    (["calibrate", "national-800", "--param", "scoring.recovery=0..0.1"], "at least one"),
    (["calibrate", "national-800", "--target", "nonsense_total=1"], "unknown output"),
    (["calibrate", "national-800", "--preset", "1999"], "unknown preset"),
    (["sensitivity", "national-800", "--param", "x=0..1"], "x: unknown key (known:"),
    (["calibrate", "national-800", "--preset", "2018-seed", "--param", "no.such=0..1"],
     "no.such=0..1 is not a valid scenario: override no.such=0: no: unknown key (known:"),
    # a key given twice is refused by every command before anything runs
    (["sweep", "national-800", "--sample", "2", "--range", "listing.threshold=500..600",
      "--range", "listing.threshold=600..700"], "--range listing.threshold: given twice"),
    (["sensitivity", "national-800", "--param", "surveillance.misattribution=0..0.05",
      "--param", "surveillance.misattribution=0..0.1"],
     "--param surveillance.misattribution: given twice"),
    (["calibrate", "court-blacklist", "--preset", "2018-seed", "--param",
      "sanctions.travel.air_rate=0.001..0.01", "--param",
      "sanctions.travel.air_rate=0.002..0.02"], "--param sanctions.travel.air_rate: given twice"),
    (["calibrate", "court-blacklist", "--param", "sanctions.travel.air_rate=0.001..0.01",
      "--target", "blocked_air_per_capita_year=0.01", "--target",
      "blocked_air_per_capita_year=0.02"], "--target blocked_air_per_capita_year: given twice"),
    # a value given twice would run the same cell again
    (["sweep", "national-800", "--grid", "surveillance.misattribution=0,0.1,0.0"],
     "--grid surveillance.misattribution: 0.0 given twice"),
    # an output given twice made a table of two columns of one name (an internal error);
    # sensitivity analysed the last one alone, unsaid
    (["sensitivity", "national-800", "--param", "scoring.recovery=0..0.1", "--param",
      "listing.threshold=500..600", "--output", "listed_final", "--output", "fear_mean_final"],
     "--output given 2 times: an analysis explains one output; run one for each"),
    # a sweep too big to plan: an internal error from the catalogue, or 7 TiB asked for
    (["sweep", "national-800", "--grid", "listing.threshold=500,600", "--reps",
      "100000000000"], "2 cells × 100,000,000,000 replications = 200,000,000,000 runs: at "
     "most 1,000,000 runs in one sweep"),
    (["sweep", "national-800", "--sample", "1000000000000", "--range",
      "listing.threshold=500..600"], "at most 1,000,000 runs in one sweep"),
    (["sweep", "national-800", "--grid", "listing.threshold=" + ",".join(map(str, range(1100))),
      "--grid", "scoring.recovery=" + ",".join(str(k / 1e4) for k in range(1000))],
     "1,100,000 cells × 1 replication"),
    # --workers sizes a local cluster (0: none, this process): a negative number is refused,
    # and so is --workers with a scheduler, 0 included
    (["sweep", "national-800", "--grid", "scoring.recovery=0,0.1", "--workers", "-1"],
     "--workers -1: a local cluster needs at least 1 worker process (0 runs here, in this "
     "process, one run after another; leave it out for one per core)"),
    (["sweep", "national-800", "--grid", "scoring.recovery=0,0.1", "--workers", "0",
      "--scheduler", "tcp://127.0.0.1:8786"], "--workers 0: it sizes the local cluster"),
    (["sensitivity", "national-800", "--param", "scoring.recovery=0..0.1", "--workers", "2",
      "--scheduler", "tcp://127.0.0.1:8786"], "--workers 2: it sizes the local cluster"),
    # both ends of a range are checked against the scenario before any trial runs
    (["calibrate", "court-blacklist", "--preset", "2018-seed", "--param",
      "sanctions.travel.air_rate=-1..0.001"], "its low end is not a valid scenario: override "
     "sanctions.travel.air_rate=-1: sanctions.travel.air_rate: must be >= 0"),
    (["calibrate", "court-blacklist", "--preset", "2018-seed", "--param",
      "listing.compliance_rate=0.5..2"], "its high end is not a valid scenario: override "
     "listing.compliance_rate=2: listing.compliance_rate: must be <= 1"),
    (["calibrate", "court-blacklist", "--param", "sanctions.travel.air_rate=0.001..0.01",
      "--target", "blocked_air_per_capita_year=-1"], "cannot be negative"),
    # --resume runs the stored plan: options that would change it are refused
    (["sweep", "--resume", "x", "--agents", "100"],
     "--resume runs the sweep as it was planned: drop --agents"),
    (["sweep", "national-800", "--resume", "x", "--reps", "1", "--range", "a=0..1"],
     "drop TARGET, --range, --reps"),
])
def test_bad_experiment_input(monkeypatch, capsys, tmp_path, args, message):
    in_store = args[0] in ("sweep", "sweeps")
    code, out = scsim(monkeypatch, capsys, *args, "--store" if in_store else "--set",
                      str(tmp_path) if in_store else "days=10")
    assert code == 2, out
    assert message in out and "Traceback" not in out


EXPERIMENTS = {
    "sweep": ["sweep", "national-800", "--grid", "surveillance.misattribution=0,0.1",
              "--agents", "500", "--days", "10"],
    "sensitivity": ["sensitivity", "national-800", "--param",
                    "surveillance.misattribution=0..0.05", "--param",
                    "scoring.recovery=0.0005..0.01", "--samples", "2", "--method", "morris",
                    "--agents", "500", "--days", "10"],
    "calibrate": ["calibrate", "court-blacklist", "--preset", "2018-seed", "--param",
                  "sanctions.travel.air_rate=0.001..0.01", "--agents", "500", "--days", "10"],
}


@pytest.mark.parametrize("command", list(EXPERIMENTS))
@pytest.mark.parametrize(("option", "env"), [
    (["--scheduler", "nonsense"], None), (["--scheduler", "localhost"], None),
    ([], "localhost:notaport"), (["--scheduler", "tcp://127.0.0.1:99999"], None)])
def test_scheduler_address_without_a_port_is_refused_up_front(monkeypatch, capsys, tmp_path,
                                                             command, option, env):
    """A scheduler address that is not HOST:PORT is a one-line error (exit 2), before the
    store, the output or the cluster is touched."""
    if env is None:
        monkeypatch.delenv("SCSIM_SCHEDULER", raising=False)
    else:
        monkeypatch.setenv("SCSIM_SCHEDULER", env)
    monkeypatch.chdir(tmp_path)
    code, out = scsim(monkeypatch, capsys, *EXPERIMENTS[command], *option,
                      "--store" if command == "sweep" else "--out",
                      str(tmp_path / "out"), "--quiet")
    assert code == 2, out
    source = "SCSIM_SCHEDULER localhost:notaport" if env else f"--scheduler {option[1]}"
    assert out.strip() == (f"error: {source}: not a scheduler address: expected "
                           "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786), or local")
    assert list(tmp_path.iterdir()) == []  # no store, no sweep recorded, no output


def test_a_ctrl_c_that_duckdb_turned_into_its_error_still_says_how_to_resume(
        monkeypatch, capsys, tmp_path):
    """A Ctrl-C that reached DuckDB while a run landed came back as its RuntimeError
    "Query interrupted": the sweep stopped with "interrupted" alone, without the line that
    says how to resume it (seen in about one Ctrl-C in three)."""
    import contextlib

    import scsim.cli.experiments as cli
    import scsim.experiments.sweep as sw
    from scsim import interrupts

    def execute(*args, **kwargs):
        interrupts.request_interrupt()  # as the CLI's handler does
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(interrupts, "_requested", False)
    monkeypatch.setattr(cli, "_client", lambda address, workers: contextlib.nullcontext())
    monkeypatch.setattr(sw, "execute", execute)
    code, out = scsim(monkeypatch, capsys, *EXPERIMENTS["sweep"], "--store", str(tmp_path),
                      "--quiet")
    sweep_id = sweep_id_of(out)
    assert code == 130 and out.endswith(
        f"sweep {sweep_id} stopped: `scsim sweep --resume {sweep_id}` runs what is left "
        "interrupted"), out


def test_a_tls_scheduler_without_tls_settings_says_so(monkeypatch):
    """tls:// needs Dask's TLS settings: without them Dask raised a TypeError (no
    ssl_context), which scsim told as "it speaks another protocol"."""
    from scsim.errors import ScsimError
    from scsim.experiments.cluster import connected

    monkeypatch.delenv("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", raising=False)
    with pytest.raises(ScsimError, match=r"tls://127.0.0.1:1: a tls:// address needs Dask's "
                                         r"TLS settings \(distributed.comm.tls"), \
            connected("tls://127.0.0.1:1", 1):
        pass


def test_unreachable_scheduler_leaves_no_sweep(monkeypatch, capsys, tmp_path):
    """A sweep is recorded only once its cluster is connected: a scheduler that cannot be
    reached leaves no (ghost, "interrupted") sweep in the store."""
    import scsim.cli.experiments as cli
    from scsim.experiments.cluster import dask_client

    monkeypatch.setattr(cli, "_client", lambda address, workers: dask_client(
        address, workers, timeout=1))
    code, out = scsim(monkeypatch, capsys, *EXPERIMENTS["sweep"], "--scheduler",
                      "tcp://127.0.0.1:1", "--store", str(tmp_path), "--quiet")
    assert code == 2 and out.strip() == (
        "error: cannot reach the Dask scheduler at tcp://127.0.0.1:1: nothing listens there "
        "(Connection refused); is the scheduler started, on that port?"), out
    assert open_store(tmp_path).sweeps().empty
    code, out = scsim(monkeypatch, capsys, "sweeps", "--store", str(tmp_path))
    assert code == 0 and f"no sweeps in {tmp_path.resolve()} yet" in " ".join(out.split())


def test_calibrate_help_lists_every_preset(monkeypatch, capsys):
    from scsim.analysis.published import PRESETS

    code, out = scsim(monkeypatch, capsys, "calibrate", "--help")
    assert code == 0
    for name, figures in PRESETS.items():
        assert f"{name} ({', '.join(f'{f.value:g}' for f in figures)})" in " ".join(
            out.replace("│", " ").split())


def test_calibrate_fit_table_zero_target_and_preset_replaced(monkeypatch, capsys, tmp_path):
    """The fit table gives a target of 0 its absolute error (not "+nan%"); a --target for
    an output of the preset replaces the preset's figure and says so; the fitted figures are
    those asked for, once each."""
    from contextlib import nullcontext

    import scsim.cli.experiments as cli
    import scsim.experiments.calibrate as calibration

    asked = {}

    def fake_calibrate(base, params, targets, **kwargs):
        asked["targets"] = targets
        fit = pd.DataFrame({"output": [t.output for t in targets],
                            "target": [t.value for t in targets],
                            "fitted": [0.04867, 0.0039], "ci95": [0.0, 0.0],
                            "relative_error": [float("nan"), 0.0]})
        return calibration.Calibration({"sanctions.travel.air_rate": 0.005}, fit,
                                       pd.DataFrame({"number": [0]}), base, 0.002,
                                       params, targets, 1, 0)

    monkeypatch.setattr(calibration, "calibrate", fake_calibrate)
    monkeypatch.setattr(cli, "_client", lambda address, workers: nullcontext())
    monkeypatch.setattr(calibration.Calibration, "save", lambda self, path, force=False: (
        path, path.with_suffix(".png")))
    code, out = scsim(monkeypatch, capsys, "calibrate", "court-blacklist", "--preset",
                      "2018-seed", "--target", "blocked_air_per_capita_year=0", "--param",
                      "sanctions.travel.air_rate=0.001..0.01", "--out",
                      str(tmp_path / "c.yaml"), "--quiet")
    assert code == 0, out
    assert asked["targets"] == [calibration.Target("blocked_air_per_capita_year", 0.0),
                                calibration.Target("blocked_train_per_capita_year", 0.0039)]
    assert "note: --target blocked_air_per_capita_year replaces the preset's 0.0129" in out
    assert "nan" not in out and "+0.04867" in out and "+0.0%" in out


def test_sweep_from_python_returns_a_row_per_run(monkeypatch, capsys, tmp_path,
                                                 dask_scheduler):
    """``scsim.sweep`` (``python_sweep``) runs what ``scsim sweep`` runs: the grid's cells
    paired by seed, every run landed in the store (so `scsim sweeps` shows it), and back a tidy
    table whose outputs are those of the stored runs; a Latin-hypercube sample keeps each
    parameter within its range."""
    tab = python_sweep("court-blacklist", {"sanctions.travel.air_rate": [0.002, 0.02]},
                      reps=2, agents=2000, days=60, store=tmp_path, scheduler=dask_scheduler,
                      outputs=["blocked_air_total"])
    store = open_store(tmp_path)
    assert list(tab.columns) == ["cell", "rep", "seed", "run_id",
                                 "sanctions.travel.air_rate", "blocked_air_total"]
    assert list(zip(tab["cell"], tab["rep"], strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert list(tab["sanctions.travel.air_rate"]) == [0.002, 0.002, 0.02, 0.02]
    assert tab.groupby("rep")["seed"].nunique().eq(1).all()  # cells paired by seed
    assert list(tab["blocked_air_total"]) == [blocked_air(store, i) for i in tab["run_id"]]
    code, out = scsim(monkeypatch, capsys, "sweeps", "--store", str(tmp_path))
    assert code == 0 and tab.attrs["sweep_id"] in out
    # (court-blacklist lists without scores: the recovery rate moves no listing, and the
    # sweep says so)
    with pytest.warns(ResultWarning, match=r"^listed_final is \d+ in every cell: no value "):
        sampled = python_sweep("court-blacklist", sample=3, ranges={
            "scoring.recovery": (0.001, 0.01, "log")}, agents=1000, days=5, store=tmp_path,
            scheduler=dask_scheduler, outputs=["listed_final"])
    assert len(sampled) == 3 and sampled["scoring.recovery"].between(0.001, 0.01).all()
    with pytest.raises(ScsimError, match=r"grid\['listing.threshold'\]: expected a list"):
        python_sweep("court-blacklist", {"listing.threshold": 640}, store=tmp_path)
    with pytest.raises(ScsimError, match="keeps its runs in a run store"):
        python_sweep("court-blacklist", {"listing.threshold": [640]}, store=False)
    sweeps = len(store.sweeps())
    with pytest.raises(ScsimError, match="unknown output 'listed_finale'"):
        python_sweep("court-blacklist", {"listing.threshold": [640]}, store=tmp_path,
                     scheduler=dask_scheduler, outputs=["listed_finale"])
    assert len(store.sweeps()) == sweeps  # refused before anything ran
    code, _, err = run_cli(monkeypatch, capsys, "sweeps", tab.attrs["sweep_id"], "--output",
                           "listed_finale", "--store", str(tmp_path))
    assert code == 2 and "unknown output 'listed_finale'" in err and "reading" not in err


def no_cluster(*args, **kwargs):
    raise AssertionError("a Dask cluster was started for input that should be refused")


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", "national-800", "--grid", "listing.threshold=500", "--seed", "-1"],
     "seed -1: must be from 0 to 9,223,372,036,854,775,807 (2**63 - 1)"),
    (["sweep", "national-800", "--grid", "listing.threshold=500", "--seed",
      "99999999999999999999"], "seed 99999999999999999999: must be from 0 to"),
    (["sweep", "national-800", "--sample", "2", "--range", "scoring.recovery=0.001..0.01",
      "--seed", "-1"], "seed -1: must be from 0 to"),
    (["sweep", "national-800", "--grid", "listing.threshold=500,x"], "cell 1"),
    (["sensitivity", "national-800", "--param", "scoring.recovery=0.001..0.01", "--param",
      "listing.threshold=500..600", "--seed", "-1"], "seed -1: must be from 0 to"),
    (["sensitivity", "national-800", "--param", "scoring.recovery=0.001..0.01", "--param",
      "listing.threshold=500..600", "--samples", "3"], "Sobol needs a power of 2"),
    (["calibrate", "national-800", "--target", "blocked_air_per_capita_year=0.0129",
      "--param", "sanctions.travel.air_rate=0.001..0.05", "--seed", "-1"],
     "seed -1: must be from 0 to"),
    (["calibrate", "national-800", "--param", "sanctions.travel.air_rate=0.001..0.05"],
     "calibration needs at least one parameter range (--param) and one target (--target)"),
    (["calibrate", "national-800", "--target", "blocked_air_per_capita_year=0.0129"],
     "calibration needs at least one parameter range (--param) and one target (--target)"),
    (["calibrate", "national-800", "--target", "blocked_air_per_capita_year=0.0129",
      "--param", "sanctions.travel.air_rate=0.001..0.05", "--trials", "0"],
     "--trials 0: must be at least 1"),
])
def test_bad_input_is_refused_before_the_cluster_or_the_store(monkeypatch, capsys, tmp_path,
                                                             args, message):
    """A bad seed (out of scsim's range), a calibration without a target, a design the
    method cannot take: one line, exit 2, before any Dask cluster starts and before the
    store (or an output) is written; no sweep is left behind as `interrupted`."""
    import scsim.cli.experiments as cli

    monkeypatch.setattr(cli, "_client", no_cluster)
    monkeypatch.chdir(tmp_path)
    out_name = {"sweep": "store", "sensitivity": "out", "calibrate": "out.yaml"}[args[0]]
    code, out = scsim(monkeypatch, capsys, *args, "--agents", "300", "--days", "3",
                      "--store" if args[0] == "sweep" else "--out", str(tmp_path / out_name))
    assert code == 2, out
    assert out.startswith("error: ") and message in out and "\n" not in out.strip(), out
    assert list(tmp_path.iterdir()) == []  # no store, no sweep recorded, no output


def test_a_sweep_whose_runs_cannot_fit_is_refused_before_the_local_cluster(
        monkeypatch, capsys, tmp_path):
    """A cell too big for the memory available (``SCSIM_MEMORY_LIMIT``), as ``scsim run``
    would refuse it: one line naming the cell, exit 2, no cluster, no store; every run was
    recorded as failed before. From Python the same. A cell that fits runs as before."""
    import scsim.cli.experiments as cli
    import scsim.experiments.cluster as cluster

    monkeypatch.setenv("SCSIM_MEMORY_LIMIT", "1G")
    monkeypatch.setattr(cli, "_client", no_cluster)
    monkeypatch.setattr(cluster, "dask_client", no_cluster)
    code, out = scsim(monkeypatch, capsys, "sweep", "national-800", "--grid",
                      "population.agents=300,5000000", "--days", "3", "--store",
                      str(tmp_path / "store"))
    assert code == 2 and "\n" not in out.strip(), out
    assert out.startswith("error: cell 1 (population.agents=5000000): 5,000,000 agents for 3 "
                          "days need about "), out
    assert "SCSIM_MEMORY_LIMIT" in out
    with pytest.raises(MemoryRefused, match=r"^cell 0 \(population.agents=5000000\): "):
        python_sweep("national-800", {"population.agents": [5_000_000]}, days=3,
                     store=tmp_path / "store")
    assert list(tmp_path.iterdir()) == []


def test_python_sweep_refuses_a_bad_seed_or_workers_before_anything(monkeypatch, tmp_path):
    """``scsim.sweep`` checks its seed and ``workers`` first: no cluster, no store, no
    phantom `interrupted` sweep; a negative ``workers`` is refused as ``--workers -1`` is
    (0 runs here, in this process: ``test_sequential``)."""
    import scsim.experiments.cluster as cluster

    monkeypatch.setattr(cluster, "dask_client", no_cluster)
    store = tmp_path / "store"
    for seed in (-1, 2**63, 1.5):
        with pytest.raises(ScsimError, match=r"^seed .*: must be"):
            python_sweep("court-blacklist", {"listing.threshold": [640]}, seed=seed,
                         store=store)
        with pytest.raises(ScsimError, match=r"^seed .*: must be"):
            python_sweep("court-blacklist", sample=2, seed=seed, store=store,
                         ranges={"scoring.recovery": (0.001, 0.01)})
    for workers in (-1, 1.5, True):
        with pytest.raises(ScsimError, match=rf"^workers={workers!r}: a local cluster needs "
                                             r"at least 1 worker process \(0: no cluster, "
                                             r"the runs go here, in this process, one after "
                                             r"another; None: one per core\)$"):
            python_sweep("court-blacklist", {"listing.threshold": [640]}, workers=workers,
                         store=store)
    # workers beside a scheduler's address would be ignored: refused, as --workers is
    with pytest.raises(ScsimError, match=r"^workers=2: it sizes the local cluster, and this "
                                         r"uses the scheduler at tcp://127.0.0.1:1; give one"):
        python_sweep("court-blacklist", {"listing.threshold": [640]}, workers=2,
                     scheduler="tcp://127.0.0.1:1", store=store)
    # the grid's problems are told in Python's words, not --grid's
    with pytest.raises(ScsimError, match=r"^grid\['listing.threshold'\]: no values$"):
        python_sweep("court-blacklist", {"listing.threshold": []}, store=store)
    with pytest.raises(ScsimError, match=r"^grid\['listing.threshold'\]: 640 given twice "
                                         r"\(a repeated value runs the same cell again; "
                                         r"reps= adds replications\)$"):
        python_sweep("court-blacklist", {"listing.threshold": [640, 600, 640]}, store=store)
    # and so are the design's, a range's scale and a single output (not its letters)
    rng = {"scoring.recovery": (0.001, 0.01)}
    for given, said in (({"grid": {"listing.threshold": [640]}, "sample": 2, "ranges": rng},
                         "give either grid= or sample= with ranges=, not both"),
                        ({"sample": 2}, r"sample=N draws its cells from ranges=: give both"),
                        ({"ranges": rng}, r"sample=N draws its cells from ranges="),
                        ({"sample": 0, "ranges": rng},  # it said --sample
                         r"sample=0: must be a whole number of at least 1$"),
                        ({"sample": 2.5, "ranges": rng},
                         r"sample=2.5: must be a whole number of at least 1$"),
                        ({"sample": 2, "ranges": {"scoring.recovery": (0.001, 0.01, "ln")}},
                         r"ranges\['scoring.recovery'\]: the scale is 'log' or 'linear', "
                         "got 'ln'")):
        with pytest.raises(ScsimError, match=rf"^{said}"):
            python_sweep("court-blacklist", store=store, **given)
    with pytest.raises(ScsimError, match=r"unknown output 'listed_finl'"):
        python_sweep("court-blacklist", {"listing.threshold": [640]}, store=store,
                     outputs="listed_finl")
    assert not store.exists()
    with pytest.raises(ScsimError, match=r"^workers=-1: a local cluster needs"):
        cluster.check_workers(-1)
    cluster.check_workers(0)
    cluster.check_workers(None)
    cluster.check_workers(2)


def test_sweep_of_a_scenario_object_records_its_overrides(tmp_path, dask_scheduler):
    """The runs of ``scsim.sweep(Scenario)`` record in ``overrides`` what the Scenario
    changed (agents, days, its overrides) and the cell's parameters, against the built-in
    of its name, as ``simulate(sc, store=True)`` records them (docs/runs.md)."""
    import scsim

    sc = scsim.load_scenario("national-800", agents=400, days=4,
                             overrides={"surveillance.misattribution": 0.02})
    tab = python_sweep(sc, {"listing.threshold": [600]}, store=tmp_path,
                       scheduler=dask_scheduler, outputs=["listed_final"])
    single = scsim.simulate(sc, seed=0, store=tmp_path)
    store = open_store(tmp_path)
    recorded = {row.id: json.loads(row.overrides) for row in store.query(
        "SELECT id, overrides FROM runs").itertuples()}
    assert recorded[single.run_id] == {"population.agents": 400, "days": 4,
                                       "surveillance.misattribution": 0.02}
    assert recorded[tab["run_id"].iloc[0]] == {**recorded[single.run_id],
                                               "listing.threshold": 600}
    found = store.query("SELECT count(*) AS n FROM runs WHERE "
                        "overrides ->> 'surveillance.misattribution' = '0.02'")
    assert found["n"].iloc[0] == 2  # runs.md's query finds the sweep's run too


def test_a_scheduler_lost_mid_sweep_is_told_in_one_line_and_the_sweep_resumes(
        tmp_path, compiled_kernels):
    """A Dask scheduler killed while a sweep runs on it: Dask cancels every task, which was
    an internal error with Dask's paragraph and traceback. One line now, saying how to go
    on; the sweep is kept as interrupted and `--resume` finishes it (here on a local
    cluster), running only what was left."""
    store = tmp_path / "store"
    runs = store / "runs"
    env = dict(os.environ, NUMBA_NUM_THREADS="1", SCSIM_DASK_LOG=str(tmp_path / "d.log"))
    with dask_cluster(tmp_path / "dask", workers=1) as (address, scheduler):
        sweep = subprocess.Popen(
            [*SCSIM, "sweep", "national-800", "--grid", "listing.threshold=600,650",
             "--reps", "12", "--agents", "2000", "--days", "30", "--scheduler", address,
             "--quiet", "--store", str(store)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.time() + 120
        while time.time() < deadline and sweep.poll() is None and not (
                runs.is_dir() and any(runs.iterdir())):
            time.sleep(0.1)
        scheduler.kill()
        out, err = sweep.communicate(timeout=120)
    said = " ".join(err.split())
    assert sweep.returncode == 2, (out, err)
    assert said.startswith(f"error: lost the connection to the Dask scheduler at {address} "), said
    assert said.count("error:") == 1 and "Traceback" not in said and "internal" not in said
    sweep_id = said.split("scsim sweep --resume ")[1].split("`")[0]
    landed = len(list(runs.iterdir()))
    assert 0 < landed < 24
    st = open_store(store)
    assert st.sweeps().set_index("id").loc[sweep_id, "status"] == "interrupted"
    done = subprocess.run([*SCSIM, "sweep", "--resume", sweep_id, "--workers", "1", "--quiet",
                           "--store", str(store)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    finished = st.sweep_runs(sweep_id)
    assert (finished["status"] == "done").sum() == 24
    assert len(list(runs.iterdir())) == 24  # only what was left was run


def test_workers_that_cannot_import_scsim_are_told_not_waited_for(tmp_path):
    """A scheduler whose worker runs a Python without scsim: the sweep sat at 0 runs for
    good (the worker died on its first task, the reason only in its own log). Refused in
    one line, naming what to install, before the sweep is recorded."""
    import distributed

    site = str(Path(distributed.__file__).parents[1])  # distributed, not scsim (no .pth)
    bare = [sys.executable, "-S", "-m", "distributed.cli.dask_worker"]
    env = dict(os.environ, PYTHONPATH=site, NUMBA_NUM_THREADS="1")
    store = tmp_path / "store"
    with dask_cluster(tmp_path / "dask", workers=1, worker=bare, worker_env=env) as (
            address, _):
        done = subprocess.run(
            [*SCSIM, "sweep", "national-800", "--grid", "listing.threshold=600,650",
             "--agents", "300", "--days", "3", "--scheduler", address, "--quiet",
             "--store", str(store)], capture_output=True, text=True, timeout=120)
    said = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    assert said.startswith(f"error: 1 of the 1 workers of the Dask scheduler at {address} "
                           "cannot import scsim (worker tcp://127.0.0.1:"), said
    assert "ModuleNotFoundError: No module named 'scsim'); install scsim" in said
    assert not (store / "runs").exists() and open_store(store).sweeps().empty


def test_a_scheduler_without_workers_is_told_while_the_sweep_waits(monkeypatch, capsys,
                                                                    tmp_path):
    """A scheduler whose only worker died (or that none joined yet): the sweep waited
    without a word, its progress bar frozen. After NO_WORKERS_AFTER seconds it says, in
    one warning line, that the runs wait for a worker and how to start one; a worker that
    joins then runs the sweep to its end."""
    from scsim.experiments import runner

    monkeypatch.setattr(runner, "NO_WORKERS_AFTER", 1.0)
    info = tmp_path / "scheduler.json"
    logs = open(tmp_path / "dask.log", "w")  # noqa: SIM115 - closed at the end
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    procs = [subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(info)], stdout=logs, stderr=logs, env=env)]

    def start_worker() -> None:  # once the sweep has waited long enough to tell it
        procs.append(subprocess.Popen(
            [BIN / "dask", "worker", "--scheduler-file", str(info), "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=logs, stderr=logs, env=env))

    later = threading.Timer(6.0, start_worker)
    try:
        deadline = time.time() + 60
        while not info.exists() and time.time() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        later.start()
        code, out, err = run_cli(monkeypatch, capsys, "sweep", "informants", "--reps", "2",
                                 "--agents", "300", "--days", "3", "--scheduler", address,
                                 "--store", str(tmp_path / "store"))
    finally:
        later.cancel()
        later.join()
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        logs.close()
    assert code == 0, out + err
    assert (f"warning: the Dask scheduler at {address} has had no worker for 1 s: the runs "
            f"wait until one joins (start one: `dask worker {address}`), or stop with "
            "Ctrl-C") in err, err
    assert err.count("has had no worker") == 1 and "Traceback" not in err
    assert "2 runs landed" in out


KILLER = """
import os, signal
from distributed.diagnostics.plugin import WorkerPlugin


class Killer(WorkerPlugin):  # the worker dies (SIGKILL) as it starts cell 1's first run
    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and "-c1-r0" in str(key):
            os.kill(os.getpid(), signal.SIGKILL)


async def dask_setup(worker):
    await worker.plugin_add(Killer(), name="killer")
"""


def test_a_run_whose_worker_dies_is_told_in_plain_words_and_resumed(monkeypatch, capsys,
                                                                    tmp_path):
    """A run whose worker process dies (killed, out of memory) each time Dask runs it is
    recorded as failed with Dask's KilledWorker: its paragraph named the task's internal
    key and sent the user to a web page, and the failed cell was a Python dict. Now plain
    words, the cell as key=value, and how to try the failed runs again, which works."""
    preload = tmp_path / "killer.py"
    preload.write_text(KILLER)
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")  # one death
    store = tmp_path / "store"
    with dask_cluster(tmp_path / "dask", workers=1,
                      worker=[BIN / "dask", "worker", "--preload", str(preload)]) as (
            address, _):
        code, out, err = run_cli(monkeypatch, capsys, "sweep", "informants", "--grid",
                                 "surveillance.misattribution=0,0.01", "--reps", "2",
                                 "--agents", "300", "--days", "3", "--scheduler", address,
                                 "--quiet", "--store", str(store))
    out = " ".join(out.split())
    sweep_id = sweep_id_of(out)
    assert code == 1, out + err
    said = ("KilledWorker: the worker process it was given to died, the one time Dask gave "
            "it to one (the last: tcp://127.0.0.1:")
    assert f"failed: cell 1 (surveillance.misattribution=0.01), replication 0: {said}" in out
    assert "; a worker dies when it is killed or runs out of memory: its log says which" in out
    assert "{" not in out and "https://" not in out and "scsim-" not in out, out
    assert f"`scsim sweep --resume {sweep_id}` tries the failed runs again" in out
    runs = open_store(store).sweep_runs(sweep_id)
    failed = runs[runs["status"] == "failed"]  # (with a run queued on the dead worker)
    assert (1, 0) in set(zip(failed["cell"], failed["rep"], strict=True))
    assert all(error.startswith(said.split(" (")[0]) for error in failed["error"])

    code, out, err = run_cli(monkeypatch, capsys, "sweep", "--resume", sweep_id,
                             "--workers", "0", "--quiet", "--store", str(store))
    assert code == 0, out + err
    kept = 4 - len(failed)
    assert f"{len(failed)} run" in out
    assert f"{kept} {'was' if kept == 1 else 'were'} already there" in out


def test_a_calibration_whose_worker_dies_says_so_in_plain_words(monkeypatch, capsys,
                                                                 tmp_path):
    """A calibration (or sensitivity analysis) stops at a run that failed; one whose worker
    died was Dask's KilledWorker paragraph (the task's internal key, a web page): in plain
    words now, as a sweep records it."""
    preload = tmp_path / "killer.py"
    preload.write_text(KILLER.replace('"-c1-r0" in str(key)', '"run_simulation" in str(key)'))
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")
    with dask_cluster(tmp_path / "dask", workers=1,
                      worker=[BIN / "dask", "worker", "--preload", str(preload)]) as (
            address, _):
        code, out, err = run_cli(monkeypatch, capsys, "calibrate", "court-blacklist",
                                 "--preset", "2018-seed", "--param",
                                 "sanctions.travel.air_rate=0.001..0.05", "--trials", "1",
                                 "--batch", "1", "--agents", "300", "--days", "3",
                                 "--scheduler", address, "--quiet",
                                 "--out", str(tmp_path / "fitted.yaml"))
    assert code == 2, out + err
    assert err.startswith("error: run "), err
    assert (" failed: KilledWorker: the worker process it was given to died, the one time "
            "Dask gave it to one (the last: tcp://127.0.0.1:") in err, err
    assert err.count("error:") == 1
    assert "https://" not in err and "run_simulation" not in err and "Traceback" not in err
    assert not (tmp_path / "fitted.yaml").exists()


def test_scheduler_local_overrides_the_environment(monkeypatch, capsys, tmp_path):
    """With SCSIM_SCHEDULER set, `--scheduler local` runs on a local cluster (there was no
    way from the command line: `--workers` was refused beside the variable, `--scheduler
    ''` read it again)."""
    monkeypatch.setenv("SCSIM_SCHEDULER", "tcp://127.0.0.1:1")
    code, out = scsim(monkeypatch, capsys, *EXPERIMENTS["sweep"], "--scheduler", "local",
                      "--workers", "1", "--store", str(tmp_path), "--quiet")
    assert code == 0, out
    assert (open_store(tmp_path).sweeps()["status"] == "done").all()


def test_resuming_a_sweep_where_there_is_no_store_makes_none(monkeypatch, capsys, tmp_path):
    """`scsim sweep --resume last` in an empty folder made a store there (an 800 kB
    catalogue) to say it had no sweep: there is nothing to resume without a store."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "none"):
        code, out = scsim(monkeypatch, capsys, "sweep", "--resume", "last", "--store",
                          str(folder))
        assert code == 2 and out.strip() == (
            f"error: no run store at {folder} (run `scsim run` first, or choose one with "
            "--store or SCSIM_STORE)"), out
    assert list(empty.iterdir()) == [] and not (tmp_path / "none").exists()
