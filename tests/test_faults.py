"""Fault injection: bad input, damaged stores, killed processes, full disks.

Each test names the fault it injects and the promise it checks (docs/reliability.md).
The default run stays under two minutes; longer variants are marked ``slow``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scsim
from conftest import SCSIM, run_cli
from scsim.errors import EdgeListError, MemoryRefused, ScenarioError, ScsimError
from scsim.scenario import load_scenario
from scsim.seeds import SEED_MAX, check_seed
from scsim.store import open_store
from scsim.world.network import load_edgelist

CLI = SCSIM  # Ctrl-C raises KeyboardInterrupt in the child even in a background job


def small(seed_days=8):
    return scsim.load_scenario("national-800", agents=2000, days=seed_days)


# -- bad input --------------------------------------------------------------------------

def _bomb(levels=9, width=9) -> str:
    lines = ["name: bomb", "l0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


BAD_FILES = {
    "alias-bomb": (_bomb().encode(), "aliases are expanded"),
    "self-alias": (b"name: x\na: &a [*a]\n", "alias refers to a node that contains it"),
    "binary": (b"\x7fELF\x00\x01\x02 binary", "binary file"),
    "latin-1": ("name: café\n".encode("latin-1"), "not UTF-8"),
    "python-tag": (b"name: !!python/name:os.system x\n", "unsupported YAML tag"),
    "custom-tag": (b"name: !shout x\n", "unsupported YAML tag"),
    "key-tag": (b"!!python/name:os.system x: 1\n", "unsupported YAML tag"),
    "list-key": (b"name: x\n? [a, b]\n: 1\n", "a list cannot be a key"),
    "deep": (b"name: " + b"[" * 20_000 + b"\n", "nested more than"),
    "empty": (b"", "the file is empty"),
    "only-comments": (b"# nothing here\n", "the file is empty"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_scenario_file_is_one_clear_error_within_a_second(tmp_path, case):
    data, message = BAD_FILES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(data)
    t = time.perf_counter()
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)
    assert time.perf_counter() - t < 1.0


def test_many_values_without_aliases_are_not_called_an_alias_bomb(tmp_path):
    """50,000 values pasted into a scenario were refused as "an alias bomb?"; they are
    told as what they are (not timed: reading 50,000 values takes about a second)."""
    path = tmp_path / "many.yaml"
    path.write_text("name: x\nmetrics:\n  junk:\n" + "    - 1\n" * 50_001)
    with pytest.raises(ScenarioError, match=r"more than 50,000 values \(a scenario holds a "
                                            r"few hundred; a network is a file of its own: "
                                            r"network.kind: file\)"):
        load_scenario(path)


@pytest.mark.parametrize("case", ["alias-bomb", "binary", "python-tag", "list-key", "deep",
                                  "empty"])
def test_bad_scenario_file_exits_2_from_the_cli(tmp_path, monkeypatch, capsys, case):
    data, message = BAD_FILES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(data)
    for command in ("validate", "run"):
        code, _, err = run_cli(monkeypatch, capsys, command, str(path), "--store",
                                 str(tmp_path / "st")) if command == "run" else run_cli(
            monkeypatch, capsys, command, str(path))
        assert code == 2, (command, err)
        assert message in err and "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "st" / "runs").exists()


def test_alias_bomb_in_a_set_value_is_refused():
    bomb = "[" + ", ".join(["&a [1, 2, 3, 4, 5, 6, 7, 8, 9]"] + ["*a"] * 8) + "]"
    value = bomb
    for level in range(1, 8):  # each level: a list of 9 references to the previous one
        value = f"[&b{level} {value}" + f", *b{level}" * 8 + "]"
    t = time.perf_counter()
    with pytest.raises(ScenarioError, match="aliases are expanded"):
        load_scenario("national-800", overrides=[f"description={value}"])
    assert time.perf_counter() - t < 1.0


@pytest.mark.parametrize("seed", [-1, 10**21, SEED_MAX + 1])
def test_seed_out_of_range_is_refused_before_anything_is_built(tmp_path, monkeypatch,
                                                              capsys, seed):
    with pytest.raises(ScsimError, match="seed"):
        scsim.Simulation(scsim.load_scenario("national-800", agents=10**9), seed=seed)
    with pytest.raises(ScsimError, match="seed"):
        scsim.simulate(small(), seed=seed)
    code, _, err = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "2000",
                           "--days", "3", "--seed", str(seed), "--store", str(tmp_path))
    assert code == 2 and "seed" in err and "internal error" not in err
    assert open_store(tmp_path).runs().empty


def test_seed_range_edges():
    assert check_seed(0) == 0 and check_seed(SEED_MAX) == SEED_MAX
    with pytest.raises(ScsimError):
        check_seed(1.5)
    with pytest.raises(ScsimError):
        check_seed(True)


@pytest.mark.parametrize("seed", [1.5, True, "3"])
def test_python_refuses_a_seed_that_is_not_a_whole_number(seed):
    """As the CLI does: Simulation truncated 1.5 to seed 1 without a word."""
    with pytest.raises(ScsimError, match="must be a whole number"):
        scsim.simulate(small(), seed=seed)


def test_the_summary_has_no_seed_to_round():
    """The summary's values are floats: a sweep's replication seed (about 4e18) came back
    with its last digits wrong. The seed is in the run's info, exact."""
    res = scsim.simulate(small(), seed=4116990038315039621)
    assert "seed" not in set(res.summary()["figure"])
    assert res.seed == res.info["seed"] == 4116990038315039621


def test_single_node_edge_list_is_refused(tmp_path, monkeypatch, capsys):
    path = tmp_path / "one.edges"
    path.write_text("5 5\n")
    with pytest.raises(EdgeListError, match="only one node"):
        load_edgelist(path)
    code, _, err = run_cli(monkeypatch, capsys, "run", "national-800", "--network",
                           str(path), "--days", "3", "--store", str(tmp_path / "st"))
    assert code == 2 and "only one node" in err


def test_large_edge_list_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys):
    """A network file counts in the estimate before it is read (file size + lines)."""
    path = tmp_path / "big.edges"
    line = b"123456 654321\n"
    with path.open("wb") as f:
        f.write(line * (8 * 2**20 // len(line)))  # 8 MiB, 600,000 ties
    monkeypatch.setenv("SCSIM_MEMORY_LIMIT", "430M")  # the fixed overhead is 420 MiB
    t = time.perf_counter()
    with pytest.raises(MemoryRefused, match="reading this network file"):
        load_edgelist(path)
    for args in (["validate", "national-800", "--set", f"network.path={path}", "--set",
                  "network.kind=file"],
                 ["run", "national-800", "--network", str(path), "--store",
                  str(tmp_path / "st")]):
        code, _, err = run_cli(monkeypatch, capsys, *args)
        assert code == 2 and "reading this network file" in err, err
    assert time.perf_counter() - t < 10


def test_disk_full_is_one_line_and_leaves_nothing_half_written(tmp_path):
    store = tmp_path / "st"
    scsim.simulate(small(), seed=1, store=store)  # the catalogue exists, one run done
    code = (f"import resource; resource.setrlimit(resource.RLIMIT_FSIZE, ({64 * 1024}, "
            f"{64 * 1024})); from scsim.cli.app import main; main()")
    proc = subprocess.run([sys.executable, "-c", code, "run", "national-800", "--agents",
                           "50000", "--days", "3", "--quiet", "--store", str(store)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "disk is full" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 3  # one line, as wrapped by Rich
    runs = open_store(store).runs()
    assert sorted(runs["status"]) == ["done", "failed"]
    failed = runs[runs["status"] == "failed"].iloc[0]
    assert "disk is full" in failed["error"]
    assert not (store / "runs" / failed["id"]).exists()
    assert not any((store / "tmp").iterdir()) if (store / "tmp").exists() else True


FULL_AFTER_PUBLISHING = """
import resource
from scsim.store.runstore import RunStore

publish = RunStore._publish

def publish_then_fill(self, tmp, final):
    files = publish(self, tmp, final)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    return files

RunStore._publish = publish_then_fill
"""


def test_a_full_disk_while_the_catalogue_is_written(tmp_path):
    """RLIMIT_FSIZE of 0 in a subprocess: DuckDB cannot write the catalogue's WAL ('File
    too large'; a full disk says 'No space left on device'). `run` and `rm` say the disk is
    full and what was kept, exit 2 (they used to print an internal error), and `rm` leaves
    the run as it was (it used to lose the run's folder and leave its row damaged). A run
    whose folder was published before the disk filled is kept and recorded as done by the
    next command."""
    store = tmp_path / "st"
    ids = [scsim.simulate(small(), seed=s, store=store).run_id for s in (1, 2)]

    def scsim_cli(*args, before=("import resource; resource.setrlimit("
                                 "resource.RLIMIT_FSIZE, (0, 0))")):
        code = f"{before}\nfrom scsim.cli.app import main; main()"
        return subprocess.run([sys.executable, "-c", code, *args, "--store", str(store)],
                              capture_output=True, text=True, timeout=300)

    run = ("run", "national-800", "--agents", "2000", "--days", "8", "--quiet")
    proc = scsim_cli(*run)
    assert proc.returncode == 2, proc.stderr
    assert "disk is full" in proc.stderr and "nothing was kept" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    proc = scsim_cli("rm", ids[0])
    assert proc.returncode == 2 and f"run {ids[0]} was not removed" in proc.stderr, \
        proc.stderr
    st = open_store(store)
    runs = st.runs()
    assert sorted(runs["id"]) == sorted(ids) and set(runs["status"]) == {"done"}
    assert all(item.state == "ok" for item in st.check())
    proc = scsim_cli(*run, before=FULL_AFTER_PUBLISHING)
    assert proc.returncode == 2 and "disk is full" in proc.stderr, proc.stderr
    assert "was kept in" in proc.stderr and "records it as done" in proc.stderr
    runs = open_store(store).runs()
    assert len(runs) == 3 and set(runs["status"]) == {"done"}
    _store_is_consistent(store)
    assert st.remove(ids[0]) == ids[0] and not (store / "runs" / ids[0]).exists()


# -- a damaged run must not spoil the store ---------------------------------------------

@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """A store with three finished runs (copied by each test that damages it)."""
    store = tmp_path_factory.mktemp("three") / "st"
    ids = [scsim.simulate(small(), seed=s, store=store).run_id for s in (1, 2, 3)]
    return store, ids


def _copy(three_runs, tmp_path):
    store, ids = three_runs
    target = tmp_path / "st"
    shutil.copytree(store, target)
    return target, ids


def _truncate(path: Path, size: int = 100) -> None:
    with path.open("r+b") as f:
        f.truncate(size)


def test_truncated_and_deleted_files_spoil_nothing_else(three_runs, tmp_path, monkeypatch,
                                                        capsys):
    store, ids = _copy(three_runs, tmp_path)
    _truncate(store / "runs" / ids[0] / "metrics.parquet")
    (store / "runs" / ids[1] / "agents.parquet").unlink()
    st = open_store(store)
    assert st.query("SELECT DISTINCT run_id FROM metrics")["run_id"].tolist() == [ids[2]]
    assert st.query("SELECT count(*) AS n FROM agents")["n"].iloc[0] == 2000
    assert "note: 2 damaged runs skipped (scsim check)" in capsys.readouterr().err
    for command in ("show", "report"):
        for ref in ids[:2]:
            code, _, err = run_cli(monkeypatch, capsys, command, ref, "--store", str(store))
            assert code == 2 and "is damaged" in err and "internal error" not in err, err
    with pytest.raises(ScsimError, match="is damaged"):
        st.load(ids[0])
    assert st.load(ids[2]).run_id == ids[2]
    # `scsim runs` says why each damaged run is damaged, and what to do
    code, out, _ = run_cli(monkeypatch, capsys, "runs", "--store", str(store))
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert code == 0 and "metrics.parquet" in rows[ids[0]] and "agents.parquet" in rows[ids[1]]
    assert "damaged" in rows[ids[0]] and "done" in rows[ids[2]]
    assert "`scsim check --repair rerun`" in out


def test_check_finds_flipped_bytes_and_repair_rerun_is_exact(three_runs, tmp_path,
                                                             monkeypatch, capsys):
    store, ids = _copy(three_runs, tmp_path)
    before = {i: json.loads(open_store(store).query(
        f"SELECT files FROM runs WHERE id = '{i}'")["files"].iloc[0]) for i in ids}
    path = store / "runs" / ids[0] / "agents.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the checksum sees it
    path.write_bytes(bytes(data))
    (store / "runs" / ids[1] / "companies.parquet").unlink()
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--store", str(store))
    assert code == 1 and "2 damaged" in out and "does not match its checksum" in out
    assert set(open_store(store).runs(status="damaged")["id"]) == set(ids[:2])
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--repair", "rerun", "--store",
                           str(store))
    assert code == 0 and "2 repaired" in out, out
    st = open_store(store)
    assert set(st.runs()["status"]) == {"done"}
    for i in ids:  # the re-run gave back the recorded bytes
        after = json.loads(st.query(f"SELECT files FROM runs WHERE id = '{i}'")["files"].iloc[0])
        assert after == before[i]
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--store", str(store))
    assert code == 0 and "3 intact, 0 damaged" in out


def test_a_footer_duckdb_cannot_read_spoils_only_its_run(three_runs, tmp_path, monkeypatch,
                                                         capsys):
    """The last byte of one run's metrics.parquet flipped (same size: only DuckDB, which
    reads the footer when the views are made, sees it): that run is marked damaged with the
    reason, and every command goes on working for the others (it used to fail every one
    with an internal error, `check` included)."""
    store, ids = _copy(three_runs, tmp_path)
    path = store / "runs" / ids[0] / "metrics.parquet"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    st = open_store(store)
    # (runs started in the same second have ids in random order: compare sorted)
    assert st.query("SELECT DISTINCT run_id FROM metrics ORDER BY 1")["run_id"].tolist() == \
        sorted(ids[1:])
    assert "note: 1 damaged run skipped" in capsys.readouterr().err
    runs = st.runs().set_index("id")
    assert runs.loc[ids[0], "status"] == "damaged"
    assert "metrics.parquet cannot be read" in runs.loc[ids[0], "error"]
    new = scsim.simulate(small(), seed=4, store=store).run_id  # a new run lands as done
    assert open_store(store).runs().set_index("id").loc[new, "status"] == "done"
    code, out, _ = run_cli(monkeypatch, capsys, "runs", "--store", str(store))
    assert code == 0 and ids[0] in out
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--store", str(store))
    assert code == 1 and "3 intact, 1 damaged" in out, out
    code, out, err = run_cli(monkeypatch, capsys, "check", "--repair", "remove", "--store",
                             str(store))
    assert code == 0 and "removed" in out, out + err
    assert sorted(open_store(store).runs()["id"]) == sorted([*ids[1:], new])
    assert not (store / "runs" / ids[0]).exists()


def _flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_check_repair_rerun_traces_whom_the_run_traced(tmp_path, monkeypatch, capsys):
    """Runs made with case files (a sample, chosen ids) are re-run tracing the same agents,
    so the repair is exact (the re-run used to trace nobody, differ in events.parquet and
    traced.parquet, and be refused). The row keeps whom a run traces, so a damaged
    traced.parquet is repaired too; a run whose row does not say (recorded before it did)
    traces the agents of its traced.parquet."""
    import duckdb

    store = tmp_path / "st"
    ids = [scsim.simulate(small(), seed=4, store=store, trace=t).run_id
           for t in (20, [1, 2, 3], 7)]
    con = duckdb.connect(str(store / "catalog.duckdb"))
    con.execute("UPDATE runs SET trace = NULL WHERE id = ?", [ids[2]])
    con.close()
    st = open_store(store)
    before = {i: st.query(f"SELECT files FROM runs WHERE id = '{i}'")["files"].iloc[0]
              for i in ids}
    assert all("traced.parquet" in json.loads(f) for f in before.values())
    for i in ids:
        _flip_middle_byte(store / "runs" / i / "agents.parquet")
    _flip_middle_byte(store / "runs" / ids[0] / "traced.parquet")
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--repair", "rerun", "--store",
                           str(store))
    assert code == 0 and "3 repaired" in out and "differs" not in out, out
    st = open_store(store)
    assert set(st.runs()["status"]) == {"done"}
    for i in ids:  # the re-run gave back the recorded bytes
        assert st.query(f"SELECT files FROM runs WHERE id = '{i}'")["files"].iloc[0] == \
            before[i]


def test_check_repair_remove_and_a_missing_scenario(three_runs, tmp_path, monkeypatch,
                                                    capsys):
    store, ids = _copy(three_runs, tmp_path)
    (store / "runs" / ids[0] / "scenario.yaml").unlink()
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--repair", "rerun", "--store",
                           str(store))
    assert code == 1 and "only `--repair remove`" in out
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--repair", "remove", "--store",
                           str(store))
    assert code == 0 and "removed" in out
    assert sorted(open_store(store).runs()["id"]) == sorted(ids[1:])
    assert not (store / "runs" / ids[0]).exists()


def test_store_from_before_checksums_is_upgraded(three_runs, tmp_path):
    """An old store: CHECK without 'damaged', no files column. It opens, gets checksums,
    and a damaged old run is still found."""
    store, ids = _copy(three_runs, tmp_path)
    con_path = store / "catalog.duckdb"
    import duckdb

    con = duckdb.connect(str(con_path))
    con.execute("CREATE TABLE old AS SELECT * EXCLUDE (files, resumed, trace, branched) FROM runs")
    for view in ("metrics", "agents", "companies"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("DROP TABLE runs")
    con.execute("CREATE TABLE runs (id VARCHAR PRIMARY KEY, scenario VARCHAR NOT NULL, "
                "scenario_hash VARCHAR NOT NULL, population_hash VARCHAR NOT NULL, seed "
                "BIGINT NOT NULL, overrides VARCHAR, scsim_version VARCHAR NOT NULL, agents "
                "BIGINT NOT NULL, days INTEGER NOT NULL, started TIMESTAMP NOT NULL, finished "
                "TIMESTAMP, status VARCHAR NOT NULL CHECK (status IN ('running', 'done', "
                "'failed', 'interrupted')), wall_seconds DOUBLE, error VARCHAR, pid INTEGER, "
                "host VARCHAR, sweep_id VARCHAR, cell INTEGER, rep INTEGER, params VARCHAR)")
    con.execute("INSERT INTO runs SELECT * FROM old")
    con.execute("DROP TABLE old")
    con.execute("DELETE FROM store_meta")
    con.close()
    _truncate(store / "runs" / ids[2] / "metrics.parquet")
    st = open_store(store)
    runs = st.runs().set_index("id")
    assert runs.loc[ids[2], "status"] == "damaged"
    assert runs.loc[ids[0], "status"] == "done"
    assert len(st.query("SELECT DISTINCT run_id FROM metrics")) == 2


# -- killed processes, signals, concurrent writers --------------------------------------

def _store_is_consistent(store: Path) -> None:
    """Every row is final; every done run is intact and readable; no folder without a
    row, nothing left in tmp/."""
    st = open_store(store)
    runs = st.runs()
    assert set(runs["status"]) <= {"done", "interrupted", "failed"}, runs
    items = st.check()
    assert all(i.state == "ok" for i in items), items
    folders = {p.name for p in (store / "runs").iterdir()} if (store / "runs").exists() \
        else set()
    assert folders == set(runs.loc[runs["status"] == "done", "id"])
    assert not (store / "tmp").exists() or not any((store / "tmp").iterdir())
    for run_id in folders:
        st.load(run_id)


@pytest.mark.parametrize("trial", range(3))
def test_kill_9_at_a_random_point_of_a_run(tmp_path, trial):
    rng = random.Random(1000 + trial)
    store = tmp_path / "st"
    proc = subprocess.Popen([*CLI, "run", "national-800", "--agents", "3000", "--days",
                             "30", "--quiet", "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.5, 6.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _store_is_consistent(store)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(20))
def test_kill_9_at_many_random_points(tmp_path, trial):
    rng = random.Random(2000 + trial)
    store = tmp_path / "st"
    proc = subprocess.Popen([*CLI, "run", "national-800", "--agents", "3000", "--days",
                             "30", "--quiet", "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.2, 12.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _store_is_consistent(store)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signals_leave_a_consistent_store(tmp_path, sig, code, compiled_kernels):
    store = tmp_path / "st"
    proc = subprocess.Popen([*CLI, "run", "national-800", "--agents", "2000", "--days",
                             "50000", "--quiet", "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if store.exists() and (open_store(store).runs()["status"] == "running").any():
            break
        time.sleep(0.2)
    proc.send_signal(sig)
    assert proc.wait(timeout=300) == code
    _store_is_consistent(store)


@pytest.mark.parametrize("command", ["report", "run --report"])
def test_sigterm_while_a_report_is_written_leaves_no_partial_folder(tmp_path, command):
    """SIGTERM while `scsim report` (or `scsim run --report`, once the run has landed)
    writes its folder is handled as Ctrl-C is: exit 143 with one word (and, after a run,
    what was kept and what was not written), and the hidden temporary folder that held
    the half-written report is removed, not left behind."""
    store = tmp_path / "st"
    if command == "report":
        run_id = scsim.simulate(small(), seed=1, store=store).run_id
        args, folder = ["report", run_id, "--out", str(tmp_path / "rep")], tmp_path
    else:
        args, folder = ["run", "national-800", "--agents", "2000", "--days", "8",
                        "--report", "--quiet"], store / "reports"
    proc = subprocess.Popen([*CLI, *args, "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, COLUMNS="300"))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        partial = list(folder.glob(".*/*.png")) if folder.is_dir() else []
        if partial:
            break
        time.sleep(0.02)
    if not partial:  # pragma: no cover - the machine outran the check
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        pytest.skip("the report was written before it could be stopped")
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 143, err
    told = err.strip().splitlines()
    if command == "report":
        assert told == ["terminated"]
    else:
        run_id = open_store(store).runs()["id"].iloc[0]
        assert " ".join(told) == (f"run {run_id} had finished and is kept (done); the report "
                                  f"not written (`scsim report {run_id}` writes it) terminated")
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    assert not (tmp_path / "rep").exists()
    _store_is_consistent(store)


def test_a_sigterm_a_library_lost_still_removes_a_half_written_folder(tmp_path,
                                                                      monkeypatch):
    """A SIGTERM whose Terminated is lost (raised in a weakref callback of matplotlib's
    while a report was drawn, it was printed as 'Exception ignored' and the report was
    published, exit 0) is remembered: the folder being written is removed, not published,
    and the command then exits 143."""
    from scsim import interrupts
    from scsim.errors import Terminated
    from scsim.fsutil import atomic_folder

    monkeypatch.setattr(interrupts, "_terminated", False)
    with pytest.raises(Terminated), atomic_folder(tmp_path / "rep", kind="report") as tmp:
        (tmp / "01-scores.csv").write_text("day,score\n")
        with contextlib.suppress(Terminated):  # as a callback's exception is lost
            interrupts.terminate(signal.SIGTERM, None)
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    """The pid of a process that has just ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_what_a_killed_writer_left_is_cleared_by_the_next_write(tmp_path):
    """A process killed (kill -9) while writing leaves its hidden temporary sibling; the
    next write of the same target removes it (folder or file). A live process's sibling,
    another host's, and a user's own hidden files are left alone."""
    from scsim.fsutil import atomic_file, atomic_folder, work_prefix

    out, doc = tmp_path / "rep", tmp_path / "fit.yaml"
    dead = work_prefix(out).replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")
    (tmp_path / f"{dead}x1y2z3").mkdir()
    (tmp_path / f"{dead}x1y2z3" / "01-scores.png").write_bytes(b"half")
    dead_file = work_prefix(doc).replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")
    (tmp_path / f"{dead_file}a1b2").write_text("half")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = work_prefix(out).replace(f"-{os.getpid()}-", f"-{live.pid}-") + "q9"
        (tmp_path / alive).mkdir()
        elsewhere = f".rep.scsim-another-host.example-{_dead_pid()}-k7"
        (tmp_path / elsewhere).mkdir()
        (tmp_path / ".rep.notes").write_text("mine")
        with atomic_folder(out, kind="report") as tmp:
            (tmp / "a.csv").write_text("x\n")
        with atomic_file(doc) as tmp:
            tmp.write_text("a: 1\n")
        left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
        assert left == sorted([alive, elsewhere, ".rep.notes"])
        assert (out / "a.csv").read_text() == "x\n" and doc.read_text() == "a: 1\n"
    finally:
        live.kill()
        live.wait()


def test_an_output_moved_aside_by_a_killed_writer_is_put_back(tmp_path):
    """Killed between moving the earlier output aside and putting the new one in its
    place, a writer leaves the user without either; the next write puts the earlier one
    back first, so that it is judged (and kept, without --force) as if nothing happened."""
    from scsim.fsutil import OLD, OUTPUT_MARKER, atomic_folder, work_prefix

    out = tmp_path / "rep"
    with atomic_folder(out, kind="report") as tmp:
        (tmp / "a.csv").write_text("earlier\n")
    aside = tmp_path / (work_prefix(out).replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")
                        + OLD)
    out.rename(aside)
    with pytest.raises(ScsimError, match="--force"), atomic_folder(out, kind="report") as tmp:
        (tmp / "a.csv").write_text("later\n")
    assert (out / "a.csv").read_text() == "earlier\n" and (out / OUTPUT_MARKER).is_file()
    assert not aside.exists()
    with atomic_folder(out, kind="report", force=True) as tmp:
        (tmp / "a.csv").write_text("later\n")
    assert (out / "a.csv").read_text() == "later\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_a_report_killed_while_written_leaves_nothing_after_the_next(tmp_path):
    """`scsim report` killed with SIGKILL (no handler can run) while it draws its figures,
    then run again: the second report is written whole and no hidden folder is left."""
    store = tmp_path / "st"
    run_id = scsim.simulate(small(), seed=1, store=store).run_id
    args = [*CLI, "report", run_id, "--out", str(tmp_path / "rep"), "--store", str(store)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, partial = time.monotonic() + 180, []
    while time.monotonic() < deadline and proc.poll() is None and not partial:
        with contextlib.suppress(FileNotFoundError):  # the hidden folder moved into place
            partial = list(tmp_path.glob(".rep.*/*.png"))  # while it was listed
        time.sleep(0.02)
    if not partial:  # pragma: no cover - the machine outran the check
        proc.wait(timeout=120)
        pytest.skip("the report was written before it could be killed")
    proc.kill()
    proc.wait(timeout=60)
    assert list(tmp_path.glob(".rep.*"))  # what the kill left
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "rep" / "report.html").is_file()
    assert list(tmp_path.glob(".rep*")) == []


def test_concurrent_writers_and_a_checker(tmp_path):
    store = tmp_path / "st"
    procs = [subprocess.Popen([*CLI, "run", "national-800", "--agents", "2000", "--days",
                               "10", "--seed", str(k), "--quiet", "--store", str(store)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for k in range(3)]
    time.sleep(2)
    checker = subprocess.run([*CLI, "check", "--store", str(store)], capture_output=True,
                             text=True, timeout=300)
    assert checker.returncode in (0, 2), checker.stderr  # 2: the store did not exist yet
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    runs = open_store(store).runs()
    assert (runs["status"] == "done").sum() == 3
    _store_is_consistent(store)


def test_sweep_left_running_by_a_killed_process_is_repaired(tmp_path):
    st = open_store(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    sweep_id = st.create_sweep("national-800", 2, 1, {"cells": []})
    with st._connect() as con:
        con.execute("UPDATE sweeps SET pid = ? WHERE id = ?", [dead.pid, sweep_id])
    status = open_store(tmp_path).query(f"SELECT status FROM sweeps WHERE id = '{sweep_id}'")
    assert status["status"].iloc[0] == "interrupted"
    live = st.create_sweep("national-800", 2, 1, {"cells": []})  # this process: still live
    status = open_store(tmp_path).query(f"SELECT status FROM sweeps WHERE id = '{live}'")
    assert status["status"].iloc[0] == "running"


def test_published_run_is_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    res = scsim.simulate(small(), seed=1, store=tmp_path)
    names = {Path(p).name for p in synced}
    assert {"metrics.parquet", "agents.parquet", "run.json", res.run_id, "runs"} <= names


def test_dask_messages_go_to_the_log_file_not_the_terminal(tmp_path, monkeypatch, capfd,
                                                           request):
    """Dask gives ``distributed.client`` a terminal handler of its own (holding the real
    stderr, which only a file-descriptor capture sees): "Couldn't gather 1 keys" leaked
    to the terminal past the routing of ``distributed``; so did ``tornado.application``'s
    traceback of a Dask callback that failed as a Ctrl-C stopped a local cluster. Every
    one goes to the file, and the terminal's handlers are back afterwards."""
    import logging
    import sys

    from scsim.experiments.cluster import dask_logs_to_file

    monkeypatch.setenv("SCSIM_DASK_LOG", str(tmp_path / "dask.log"))
    # as Dask sets them up in `scsim sweep` (under pytest, whose root logger has handlers,
    # it adds none)
    names = ("distributed", "distributed.client", "tornado", "tornado.application")
    for name in names:
        terminal = logging.StreamHandler(sys.__stderr__)
        logging.getLogger(name).addHandler(terminal)
        monkeypatch.setattr(logging.getLogger(name), "propagate", False)
        request.addfinalizer(lambda name=name, terminal=terminal:
                             logging.getLogger(name).removeHandler(terminal))
    before = {name: list(logging.getLogger(name).handlers) for name in names}
    with dask_logs_to_file() as path:
        logging.getLogger("distributed.client").warning("Couldn't gather 1 keys")
        logging.getLogger("distributed.scheduler").error("lost the scheduler")
        logging.getLogger("tornado.application").error("Exception in callback")
    assert "Couldn't gather 1 keys" in path.read_text()
    assert "lost the scheduler" in path.read_text()
    assert "Exception in callback" in path.read_text()
    err = capfd.readouterr().err
    assert "gather" not in err and "lost the scheduler" not in err
    assert "Exception in callback" not in err
    assert {name: logging.getLogger(name).handlers for name in before} == before


def test_sigterm_outside_a_run_ends_the_command_with_its_word(tmp_path):
    """SIGTERM raised Terminated only while days ran: anywhere else (a world being built, a
    table read, the dashboard serving) it ended the process without a word or a clean-up.
    The whole command turns it into Terminated now: 143 and "terminated"."""
    pytest.importorskip("starlette", reason="the dashboard needs scsim[dashboard]")
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(
            [*SCSIM, "dashboard", "--no-browser", "--port", "0", "--store",
             str(tmp_path / "store")], stdout=stdout, stderr=stderr,
            env=dict(os.environ, NUMBA_NUM_THREADS="1"), cwd=tmp_path)
    try:
        deadline = time.time() + 60
        while "http://127.0.0.1:" not in out.read_text() + err.read_text() and (
                time.time() < deadline):
            time.sleep(0.2)  # serving
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    said = err.read_text()
    assert "http://127.0.0.1:" in out.read_text() + said and proc.returncode == 143, said
    assert said.strip().splitlines()[-1] == "terminated" and "Traceback" not in said
