"""``workers=0`` (``--workers 0``): an experiment's runs go here, in this process, one after
another, with no Dask cluster; the same seeds give the same bits as on a cluster, runs land
in the store the same way, and an interrupted sweep is kept as interrupted, resumable."""

from __future__ import annotations

import contextlib
import warnings

import pandas as pd
import pytest

import scsim
import scsim.experiments.cluster as cluster
from conftest import run_cli
from scsim.errors import ResultWarning
from scsim.store import open_store

SMALL = {"agents": 2000, "days": 30}
GRID = {"listing.threshold": [900, 950]}


@pytest.fixture
def no_cluster(monkeypatch):
    """Any Dask cluster or client started fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a Dask cluster was started for workers=0")

    for name in ("dask_client", "local_cluster", "LocalCluster", "Client", "connected"):
        monkeypatch.setattr(cluster, name, refuse)


def stored_metrics(store, table: pd.DataFrame) -> list[pd.DataFrame]:
    return [pd.read_parquet(store.path(run_id) / "metrics.parquet")
            for run_id in table["run_id"]]


def test_a_sequential_sweep_gives_the_bits_of_a_cluster(tmp_path, monkeypatch):
    here = scsim.sweep("mesa-parity", GRID, reps=2, seed=7, store=tmp_path / "here",
                       workers=0, **SMALL)
    on_dask = scsim.sweep("mesa-parity", GRID, reps=2, seed=7, store=tmp_path / "dask",
                          workers=1, **SMALL)
    assert len(here) == 4
    pd.testing.assert_frame_equal(here.drop(columns="run_id"), on_dask.drop(columns="run_id"),
                                  check_exact=True)
    for a, b in zip(stored_metrics(open_store(tmp_path / "here"), here),
                    stored_metrics(open_store(tmp_path / "dask"), on_dask), strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    for folder in ("here", "dask"):
        assert list(open_store(tmp_path / folder).sweeps()["status"]) == ["done"]
    for per_cell in (False, True):  # the stored sweeps read back alike
        pd.testing.assert_frame_equal(
            scsim.sweep_table(here.attrs["sweep_id"], per_cell=per_cell,
                              store=tmp_path / "here").drop(columns="run_id", errors="ignore"),
            scsim.sweep_table(on_dask.attrs["sweep_id"], per_cell=per_cell,
                              store=tmp_path / "dask").drop(columns="run_id", errors="ignore"),
            check_exact=True)


def test_sensitivity_and_calibrate_in_this_process_match_a_cluster(dask_scheduler):
    ranges = {"behaviours.court_default.rate": (1e-5, 1e-3),
              "sanctions.travel.air_rate": (0.001, 0.01)}
    kwargs = {"samples": 4, "seed": 3, "agents": 1000, "days": 20}
    seen: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)
        here = scsim.sensitivity("court-blacklist", ranges, "newly_listed_total", workers=0,
                                 progress=seen.append, **kwargs)
        on_dask = scsim.sensitivity("court-blacklist", ranges, "newly_listed_total",
                                    scheduler=dask_scheduler, **kwargs)
    assert seen == list(range(1, 4 * (2 + 2) + 1))
    pd.testing.assert_frame_equal(here.indices, on_dask.indices, check_exact=True)
    pd.testing.assert_frame_equal(here.samples, on_dask.samples, check_exact=True)

    seen.clear()
    fit = {"trials": 4, "reps": 2, "seed": 5, "batch": 2, "agents": 1000, "days": 20}
    targets = {"blocked_air_per_capita_year": 0.01}
    ranges = {"sanctions.travel.air_rate": (0.001, 0.05)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)
        here = scsim.calibrate("court-blacklist", ranges, targets, workers=0,
                               progress=seen.append, **fit)
        on_dask = scsim.calibrate("court-blacklist", ranges, targets,
                                  scheduler=dask_scheduler, **fit)
    assert seen == [1, 2, 3, 4]
    assert here.best_params == on_dask.best_params and here.loss == on_dask.loss
    pd.testing.assert_frame_equal(here.fit, on_dask.fit, check_exact=True)


def test_workers_0_starts_no_cluster(no_cluster, tmp_path, monkeypatch, capsys):
    seen: list[int] = []
    table = scsim.sweep("mesa-parity", GRID, store=tmp_path / "py", workers=0,
                        progress=seen.append, agents=100, days=3)
    assert seen == [1, 2] and len(table) == 2
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "mesa-parity", "--grid",
                             "listing.threshold=900,950", "--agents", "100", "--days", "3",
                             "--workers", "0", "--store", str(tmp_path / "cli"), "--quiet")
    assert code == 0, out + err
    assert "2 runs landed" in out
    assert list(open_store(tmp_path / "cli").sweeps()["status"]) == ["done"]
    # a scheduler beside workers=0 is refused, as beside any workers
    with pytest.raises(scsim.ScsimError, match=r"^workers=0: it sizes the local cluster"):
        scsim.sweep("mesa-parity", GRID, store=tmp_path / "py", workers=0,
                    scheduler="tcp://127.0.0.1:1", agents=100, days=3)


def test_workers_minus_1_is_refused_in_one_line(no_cluster, tmp_path, monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "mesa-parity", "--agents", "100",
                             "--days", "3", "--workers", "-1", "--store", str(tmp_path / "s"))
    assert code == 2 and out == "" and err == (
        "error: --workers -1: a local cluster needs at least 1 worker process (0 runs here, "
        "in this process, one run after another; leave it out for one per core)"), err
    assert not (tmp_path / "s").exists()


def test_an_interrupted_sequential_sweep_is_kept_and_resumes(no_cluster, tmp_path,
                                                            monkeypatch, capsys):
    store = tmp_path / "store"

    def stop_after_the_first(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scsim.sweep("mesa-parity", GRID, store=store, workers=0,
                    progress=stop_after_the_first, agents=100, days=3)
    runs = open_store(store)
    sweeps = runs.sweeps()
    assert list(sweeps["status"]) == ["interrupted"]
    sweep_id = sweeps["id"].iloc[0]
    assert len(scsim.sweep_table(sweep_id, store=store)) == 1  # the first run landed
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "--resume", sweep_id, "--workers",
                             "0", "--store", str(store), "--quiet")
    assert code == 0, out + err
    assert "1 run landed" in out and "1 was already there" in out  # (it said "1 were")
    assert list(open_store(store).sweeps()["status"]) == ["done"]
    table = scsim.sweep_table(sweep_id, store=store)
    assert list(table["cell"]) == [0, 1]


def test_a_failing_run_is_recorded_and_the_others_land(no_cluster, tmp_path):
    """A run that raises is tried once more, then recorded as failed (the sweep
    ``incomplete``), as on Dask; the others land."""
    import scsim.experiments.sweep as sw
    from scsim.experiments.tasks import run_simulation

    tries: list[int] = []

    def flaky(scenario, seed, outputs, keep_result, threads):
        if scenario["listing"]["threshold"] == 950:
            tries.append(seed)
            raise ValueError("no such luck")
        return run_simulation(scenario, seed, outputs, keep_result, threads)

    with contextlib.ExitStack() as stack:
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setattr(sw, "run_simulation", flaky)
        with pytest.warns(UserWarning, match=r"cell 1 \(listing.threshold=950\), "
                                             r"replication 0 failed: ValueError: no such"):
            table = scsim.sweep("mesa-parity", GRID, store=tmp_path, workers=0, agents=100,
                                days=3)
    assert len(tries) == 2 and list(table["cell"]) == [0]
    sweeps = open_store(tmp_path).sweeps()
    assert list(sweeps["status"]) == ["incomplete"]
    runs = open_store(tmp_path).sweep_runs(sweeps["id"].iloc[0])
    assert sorted(runs["status"]) == ["done", "failed"]


def test_a_failed_job_here_keeps_no_frames_and_runs_on_every_thread():
    """A job that fails here keeps its error without the tracebacks of it or of what it
    was raised from: their frames held the failed run's whole simulation, which a sweep of
    many failed cells kept in memory to its end. A simulation here takes as many threads
    as it can use (nothing runs beside it); on Dask, one per worker process."""
    import numpy as np

    from scsim.experiments.runner import DaskRunner, Sequential

    def fails(state):
        try:
            raise KeyError("inner")
        except KeyError as exc:
            raise ValueError("outer") from exc

    runner = Sequential()
    job = runner.submit(fails, np.zeros(10**6))
    assert list(runner.as_completed([job])) == [job]
    error = runner.error(job)
    assert isinstance(error, ValueError) and isinstance(error.__cause__, KeyError)
    assert error.__traceback__ is None and error.__cause__.__traceback__ is None
    assert (Sequential.threads, DaskRunner.threads) == (None, 1)
