"""A read-only run store (an archived copy, a read-only mount) can be listed, shown,
queried and checked; whatever would change it is refused in one line, and nothing in it
changes."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

import scsim
from conftest import SCSIM, run_cli
from scsim.errors import ScsimError
from scsim.store import open_store
from scsim.store import runstore as runstore_module


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` -> its SHA-256: what a read-only store must keep."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def make_read_only(folder: Path, monkeypatch) -> None:
    """Take the write permission off ``folder`` and everything in it. Root writes whatever
    the modes say (only a read-only mount stops it: see the test with ``unshare`` below),
    so for root the store's own test of writability answers as it would there."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if os.geteuid() == 0:
        monkeypatch.setattr(runstore_module, "can_write", lambda path: False)


@pytest.fixture
def archived(tmp_path, monkeypatch):
    """A store of two runs (one of them damaged since), copied elsewhere as an archive is,
    the original gone (so that views naming its files find nothing), made read-only."""
    written = tmp_path / "written"
    for seed in (1, 2):
        scsim.simulate(scsim.load_scenario("national-800", agents=300, days=4), seed=seed,
                       store=written)
    archive = tmp_path / "archive"
    shutil.copytree(written, archive, ignore=shutil.ignore_patterns("catalog.lock"))
    shutil.rmtree(written)
    damaged = sorted((archive / "runs").iterdir())[0]
    with open(damaged / "metrics.parquet", "r+b") as handle:
        handle.truncate(100)
    make_read_only(archive, monkeypatch)
    yield archive, damaged.name
    for path in [archive, *archive.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_store_is_read_where_it_is_now_and_left_as_it_was(archived, capsys):
    archive, damaged = archived
    before = snapshot(archive)
    st = open_store(archive, create=False)
    assert not st.writable
    runs = st.runs()
    assert len(runs) == 2 and set(runs["status"]) == {"done"}  # it cannot mark them
    intact = next(r for r in runs["id"] if r != damaged)
    per_run = st.query("SELECT run_id, count(*) AS days FROM metrics GROUP BY run_id")
    assert per_run.to_dict("records") == [{"run_id": intact, "days": 4}]
    assert "1 damaged run skipped" in capsys.readouterr().err
    assert len(st.load(intact).metrics) == 4
    with pytest.raises(ScsimError, match=f"run {damaged} is damaged"):
        st.load(damaged)
    items = {item.run_id: item.state for item in st.check()}
    assert items == {intact: "ok", damaged: "damaged"}
    assert snapshot(archive) == before
    assert not (archive / "catalog.lock").exists()


@pytest.mark.parametrize("change", ["run", "remove", "repair", "report", "sweep"])
def test_what_would_change_a_read_only_store_is_refused(archived, change, tmp_path):
    archive, damaged = archived
    before = snapshot(archive)
    st = open_store(archive, create=False)
    intact = next(r for r in st.runs()["id"] if r != damaged)
    act = {
        "run": lambda: scsim.simulate(scsim.load_scenario("national-800", agents=300,
                                                          days=2), seed=3, store=st),
        "remove": lambda: st.remove(intact),
        "repair": lambda: st.check(repair="remove"),
        "report": lambda: scsim.report(st.load(intact), store=st),
        "sweep": lambda: st.create_sweep("national-800", 2, 1, {}),
    }[change]
    with pytest.raises(ScsimError, match=f"the run store {archive} is read-only .*cannot"):
        act()
    assert snapshot(archive) == before


@pytest.mark.parametrize("command", [
    ["resume", "RUN"],
    ["compare", "national-800", "national-800", "--set-b", "listing.threshold=600",
     "--agents", "300", "--days", "2"],
    ["sweep", "national-800", "--grid", "listing.threshold=600,650", "--agents", "300",
     "--days", "2", "--workers", "1"],
    ["sweep", "--resume", "last"],
])
def test_commands_that_would_write_a_read_only_store_refuse_before_they_start(
        archived, command, monkeypatch, capsys):
    """Refused in one line before a progress bar is drawn, a world built or a cluster
    started (each of these drew its bar first, or started Dask, then failed)."""
    archive, damaged = archived
    before = snapshot(archive)
    args = [damaged if part == "RUN" else part for part in command]
    code, out, err = run_cli(monkeypatch, capsys, *args, "--store", str(archive))
    assert code == 2
    assert err.startswith(f"error: the run store {archive} is read-only")
    assert err.count("error:") == 1 and "agents" not in err + out and "sweep" not in out
    assert snapshot(archive) == before


def _unshare_works() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs root and `unshare -m` to mount the "
                    "store read-only (a private mount namespace)")
def test_the_cli_reads_a_store_on_a_read_only_mount(tmp_path):
    """The real thing: a store bind-mounted read-only, where the modes say writable and
    only the mount refuses (root included)."""
    store = tmp_path / "store"
    res = scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=1,
                         store=store)
    before = snapshot(store)
    cli = " ".join(shlex.quote(part) for part in SCSIM)
    at = shlex.quote(str(store))
    script = (f"mount --bind {at} {at} && mount -o remount,ro,bind {at} {at} || exit 99\n"
              f"{cli} runs --store {at} || exit 1\n"
              f"{cli} query 'SELECT count(*) AS n FROM metrics' --store {at} || exit 1\n"
              f"{cli} check --store {at} || exit 1\n"
              f"{cli} run national-800 --agents 300 --days 2 --store {at}; echo rc=$?\n"
              f"{cli} rm {res.run_id} --store {at}; echo rc=$?\n")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300)
    if done.returncode == 99:
        pytest.skip("this machine does not allow a read-only bind mount")
    assert done.returncode == 0, done.stderr
    out, err = done.stdout, " ".join(done.stderr.split())
    assert res.run_id in out and "│ 3 │" in out and "1 intact, 0 damaged" in out
    assert out.count("rc=2") == 2
    assert err.count(f"error: the run store {store} is read-only") == 2
    assert "cannot keep new runs in it" in err and "cannot remove runs from it" in err
    assert "Traceback" not in err
    assert snapshot(store) == before


def test_a_lost_catalogue_on_a_read_only_store_is_not_rebuilt_there(tmp_path, monkeypatch,
                                                                     capsys):
    """`check --repair catalogue`, which the refusal of a store without its catalogue
    recommends, was an internal error (OSError: Read-only file system) on a read-only
    mount: one line now, exit 2, nothing written."""
    from conftest import run_cli
    from scsim.store import rebuild

    store = tmp_path / "store"
    scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=1,
                   store=store)
    (store / "catalog.duckdb").unlink()
    before = snapshot(store)
    if os.geteuid() == 0:  # root writes whatever the modes say (see make_read_only)
        monkeypatch.setattr(rebuild, "can_write", lambda path: False)
    for path in [store, *store.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        code, out, err = run_cli(monkeypatch, capsys, "check", "--repair", "catalogue",
                                 "--store", str(store))
    finally:
        for path in [store, *store.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: the run store {store} is read-only (its folder cannot be "
                          "written): its catalogue cannot be made there")
    assert snapshot(store) == before


@pytest.fixture
def apart(tmp_path):
    """A store of one run (seed 1, 3 days) and a new folder on another file system than
    the store's (a RAM disk) to move or link its folders to: (store, run, folder);
    skipped where there is none."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)
            and shm.stat().st_dev != tmp_path.stat().st_dev):
        pytest.skip("no writable folder on another file system (/dev/shm) here")
    store = tmp_path / "store"
    res = scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=1,
                         store=store)
    moved = Path(tempfile.mkdtemp(dir=shm))
    yield store, res, moved
    shutil.rmtree(moved)


def test_a_store_whose_runs_folder_lies_on_another_disk_is_refused_before_writing(
        apart, monkeypatch, capsys):
    """A user who moved runs/ to a bigger disk and linked it back: a run's folder moves
    into runs/ in one rename, which cannot cross disks (it was an internal error at the
    run's end, after the days were computed, and in `rm`). Refused before anything runs;
    the runs are still read where they are."""
    store, res, moved = apart
    shutil.move(store / "runs", moved / "runs")
    (store / "runs").symlink_to(moved / "runs")
    before = snapshot(moved)
    for args in (["run", "national-800", "--agents", "300", "--days", "2"],
                 ["rm", res.run_id]):
        code, out, err = run_cli(monkeypatch, capsys, *args, "--store", str(store))
        assert code == 2 and err.count("error:") == 1 and "Traceback" not in err
        assert f"the run store {store} has runs/ on another disk" in err
        assert "move the whole store to that disk" in err
    with pytest.raises(ScsimError, match="cannot keep new runs in it"):
        scsim.simulate(scsim.load_scenario("national-800", agents=300, days=2), seed=2,
                       store=store)
    code, out, err = run_cli(monkeypatch, capsys, "runs", "--store", str(store))
    assert code == 0 and res.run_id in out
    assert len(open_store(store).load(res.run_id).metrics) == 3
    assert snapshot(moved) == before and open_store(store).runs()["id"].tolist() == [
        res.run_id]


def test_a_store_whose_runs_folder_links_to_nowhere_is_refused_before_writing(
        tmp_path, monkeypatch, capsys):
    """runs/ (tmp/, checkpoints/...) a link to a folder that is gone: a run computed its
    days, then died with an internal error (FileExistsError) and left a failed row."""
    store = tmp_path / "store"
    scsim.simulate(scsim.load_scenario("national-800", agents=300, days=3), seed=1,
                   store=store)
    (store / "runs").rename(tmp_path / "runs.real")
    (store / "runs").symlink_to(tmp_path / "gone")
    code, _, err = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "300",
                             "--days", "2", "--store", str(store))
    assert code == 2 and err == (f"error: the run store {store} has runs/ as a link to "
                                 f"{tmp_path / 'gone'}, which does not exist: scsim cannot "
                                 "keep new runs in it; make that folder, or put runs/ back")
    assert len(open_store(store).runs()) == 1  # no failed row


def test_a_report_is_kept_in_a_store_whose_checkpoints_lie_on_another_disk(
        apart, monkeypatch, capsys):
    """A report is written into reports/ itself: folders apart elsewhere do not stop it
    (only what moves a run between them is refused)."""
    store, res, moved = apart
    (store / "checkpoints").symlink_to(moved)
    code, _, err = run_cli(monkeypatch, capsys, "report", res.run_id, "--store", str(store))
    assert code == 0, err
    assert (store / "reports" / res.run_id / "report.html").is_file()
    code, _, err = run_cli(monkeypatch, capsys, "rm", res.run_id, "--store", str(store))
    assert code == 2 and "has checkpoints/ on another disk" in err


def test_an_archive_made_before_a_column_was_added_is_checked(tmp_path, monkeypatch,
                                                             capsys):
    """``check`` reads the runs' ``branched`` column, added on 2026-12-04: an archive made
    before had none, and a read-only store cannot be given it (check failed with an
    internal error). The columns added since read as NULL there; ``scsim runs``, which
    marks a branched run from it, lists its run unmarked."""
    import duckdb

    store = tmp_path / "old"
    scsim.simulate(scsim.load_scenario("national-800", agents=300, days=4), seed=1,
                   store=store)
    with duckdb.connect(str(store / "catalog.duckdb")) as con:
        views = [name for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
        for name in views:  # (they depend on runs)
            con.execute(f"DROP VIEW {name}")
        con.execute("ALTER TABLE runs DROP COLUMN branched")
        con.execute("ALTER TABLE runs DROP COLUMN trace")
    before = snapshot(store)
    make_read_only(store, monkeypatch)
    try:
        st = open_store(store)
        (item,) = st.check()
        assert item.state == "ok" and item.problems == [], item
        assert st.query("SELECT branched, trace FROM runs")["branched"].isna().all()
        code, out, err = run_cli(monkeypatch, capsys, "runs", "--store", str(store))
        (row,) = [line for line in out.splitlines() if item.run_id in line]
        assert code == 0 and "done" in row and "branched" not in out, err
        assert snapshot(store) == before
    finally:
        for path in [store, *store.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)

