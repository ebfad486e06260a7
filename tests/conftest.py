"""Shared helpers: a bare scenario (every mechanism off) that each test extends, the small
edge list of tests/data and the real ego-Facebook network (when ../shared/data has it), and
the scsim command run in this process.

Tests read files from the repository only: a test that needs an edge list uses
``small_edges`` (tests/data/small.edges, written by tests/data/make_small_edges.py). The one
test of the real ego-Facebook file uses ``ego_facebook``, which skips when the file is not
beside the repository.

`make test` runs the suite in two processes (pytest-xdist, ``-n 2``): ``pytest_configure``
below first compiles every kernel of the registry into numba's cache, and the worker
processes write that cache one at a time (``_workers_save_numba_cache_one_at_a_time``).
Plain ``pytest`` runs the tests in its own process, where each run compiles the kernels it
needs, as any run does."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pytest

# pytest-xdist sets COLUMNS and LINES in each worker to the terminal the suite was started
# from (80 x 24 without one); Rich reads COLUMNS when a console is made, so every table and
# line the scsim command prints would fold at 80 columns for the whole session, as it does
# in no terminal. Removed before scsim's consoles are made: a worker prints as pytest does.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

from scsim.cli import main  # (after COLUMNS is settled)
from scsim.core.engine import Simulation
from scsim.errors import ScenarioWarning
from scsim.scenario.loader import load_scenario, merge

REPO = Path(__file__).resolve().parents[1]
SMALL_EDGES = REPO / "tests" / "data" / "small.edges"  # 408 nodes, 2,150 ties
EGO_FACEBOOK = REPO.parent / "shared" / "data" / "ego-facebook.edges"  # not in the repository
BIN = Path(sys.executable).parent

# The scsim command in a new process, with Ctrl-C (SIGINT) raising KeyboardInterrupt as in a
# terminal's foreground job. A shell without job control starts background jobs (`make test
# &`, `nohup pytest &`) with SIGINT ignored; children inherit that, Python then installs no
# SIGINT handler, and a test's SIGINT would be dropped (the run finishes with exit 0).
SCSIM = [sys.executable, "-c", "import signal; signal.signal(signal.SIGINT, "
         "signal.default_int_handler); from scsim.cli import main; main()"]

BARE = {
    "name": "bare",
    "days": 30,
    "population": {
        "agents": 20_000,
        "household_size": 1.0,
        "propensity_sigma": 0.0,
        "conformity": {"mean": 1.0, "sigma": 0.0},
        "malice": {"mean": 1.0, "sigma": 0.0},
    },
    "network": {"kind": "erdos_renyi", "mean_degree": 6, "family_ties": False,
                "work_degree": 0},
    "surveillance": {"channels": {"camera": {"coverage": 0.5}}},
    "reports": {"enabled": False},
    "scoring": {"s0": 1000, "min": 0, "max": 2000},
    "listing": {"enabled": False},
    "sanctions": {"enabled": False},
    "privileges": {"enabled": False},
    "shaming": {"enabled": False},
    "fear": {"enabled": False},
    "companies": {"enabled": False, "per_1000_agents": 0},
}


def pytest_configure(config):
    """When the tests run in xdist workers (``-n 2``), before any test, in the process that
    starts them: compile every kernel of the registry (``core/kernels.json``) that numba's
    cache lacks, in worker processes as a first run would (``precompile.compile_missing``).
    The tests' processes then load those kernels from the cache, and two of them never
    compile one at the same time. A worker process writes numba's cache one at a time
    (``_workers_save_numba_cache_one_at_a_time``). Plain ``pytest`` (one process) compiles nothing
    first: there is no second process to race, and each run compiles what it needs
    (``pytest tests/test_steps.py``, which compiles no kernel, spent a minute compiling the
    whole registry on an empty cache, as benchmarks/mutation.py runs every mutant)."""
    if hasattr(config, "workerinput"):  # an xdist worker
        _workers_save_numba_cache_one_at_a_time()
        return
    if config.option.help or config.option.collectonly:  # no test runs
        return
    if not _tests_in_workers(config):
        return
    from scsim.core import precompile

    precompile.compile_missing(list(precompile.registry()))


def _tests_in_workers(config) -> bool:
    """Whether pytest-xdist runs the tests in worker processes, as xdist decides it (a
    ``--dist`` mode and workers to start: ``-n 2``; not ``-n 0``, nor without xdist)."""
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def _workers_save_numba_cache_one_at_a_time():
    """numba's on-disk cache keeps one index per kernel, read and rewritten by whichever
    process compiles a signature of it: two processes compiling two signatures of one
    kernel at once can leave the index pointing one signature at the other's code (see
    ``core/precompile.py``). The registry's signatures are in the cache before the workers
    start (``pytest_configure``); a signature that only a test uses (an int64 row pointer,
    a kernel called with a test's arrays) is written to the cache by one worker at a time,
    under a lock file (numba writes each file whole, by renaming: a reader never sees half
    of one). Without ``fcntl`` (Windows) a worker does not write the cache at all."""
    from numba.core import caching

    try:
        import fcntl
    except ImportError:
        caching.Cache.save_overload = lambda self, sig, data: None
        return
    save = caching.Cache.save_overload
    lock = Path(tempfile.gettempdir()) / f"scsim-tests-numba-cache-{os.getuid()}.lock"

    def save_alone(self, sig, data):
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            save(self, sig, data)

    caching.Cache.save_overload = save_alone


INERT_ON_PURPOSE = pytest.mark.filterwarnings("ignore::scsim.errors.ScenarioWarning")
"""For a test whose scenario has a setting that does nothing, on purpose (levers all moved
at once, a section's values under its switch turned off, companies only as employers): the
suite makes any other ScenarioWarning an error, so that no test does less than it says."""


@contextlib.contextmanager
def left_out_on_purpose(option: str):
    """For a load whose run ends before a timeline step on purpose (high-control's year of
    the system, without its abolition on day 365): the loader's warning that ``option``
    (``days=60``, ``override days=60``, as the load was given it) leaves the step out is
    not raised; any other ScenarioWarning still is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", f"{re.escape(option)}: the run ends before its "
                                "timeline's ", ScenarioWarning)
        yield


def bare(**sections):
    """The bare scenario with ``sections`` deep-merged in (lists of named items by name).
    Its settings may do nothing on purpose (a mechanism's compiled parameters checked
    alone, a false-match rate with no behaviour its camera sees): the warnings that say so
    to a user (``scenario.advice``, tested in test_advice.py) are not raised here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return load_scenario(merge(BARE, sections))


def run(sc, seed: int = 1):
    """Run and return (result, simulation) so tests can look at the final state."""
    sim = Simulation(sc, seed=seed)
    return sim.run(), sim


@pytest.fixture(scope="session")
def small_edges() -> Path:
    """A small edge list in SNAP format, committed with the tests."""
    return SMALL_EDGES


@pytest.fixture(scope="session")
def ego_facebook() -> Path:
    """The real SNAP ego-Facebook edge list, which lives outside the repository (in
    ../shared/data); the test is skipped where it is absent."""
    if not EGO_FACEBOOK.is_file():
        pytest.skip("the SNAP ego-Facebook edge list is not available (expected at "
                    "../shared/data/ego-facebook.edges, beside the repository)")
    return EGO_FACEBOOK


def run_cli(monkeypatch, capsys, *args: str, columns: int = 200) -> tuple[int, str, str]:
    """Run the scsim command in this process: (exit code, stdout, stderr with runs of
    whitespace made single spaces, as Rich wraps long lines). The terminal is ``columns``
    wide: 200 by default, so that tables keep their rows on one line."""
    monkeypatch.setattr(sys, "argv", ["scsim", *args])
    monkeypatch.setenv("COLUMNS", str(columns))
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, worker: list | None = None,
                 worker_env: dict | None = None):
    """A `dask scheduler` and a `dask worker` of ``workers`` single-threaded processes on
    127.0.0.1 (``worker``: the command that starts the worker instead, in ``worker_env``),
    their messages in ``folder``/dask.log; yields (the scheduler's address, its process),
    and stops both at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    info = folder / "scheduler.json"
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    logs = open(folder / "dask.log", "w")  # noqa: SIM115 - closed at the end
    scheduler = subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(info)], stdout=logs, stderr=logs, env=env)
    worker = subprocess.Popen(
        [*(worker or [BIN / "dask", "worker"]), "--scheduler-file", str(info), "--nworkers",
         str(workers), "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
         "--memory-limit", "4GB"], stdout=logs, stderr=logs, env=worker_env or env)
    try:
        deadline = time.time() + 60
        while not info.exists() and time.time() < deadline:
            time.sleep(0.2)
        from distributed import Client

        address = json.loads(info.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, scheduler
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logs.close()


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory):
    """A `dask scheduler` and a `dask worker` (2 single-threaded processes) on 127.0.0.1
    (``dask_cluster``) for the whole session; yields the scheduler address."""
    with dask_cluster(tmp_path_factory.mktemp("dask")) as (address, _):
        yield address


@pytest.fixture(scope="session")
def compiled_kernels():
    """Compile the kernels of the built-in scenarios that subprocess tests run into numba's
    on-disk cache first, so that a child process loads them instead of compiling (a cold
    compile of every kernel takes half a minute or more on 2 busy cores). A run compiles
    or loads every kernel it needs before day 0 (core.precompile), so 2 days do."""
    for name in ("national-800", "pilot-1000"):
        Simulation(load_scenario(name, agents=300, days=2), seed=1).run()
