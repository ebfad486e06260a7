"""Every kernel a run needs is compiled (or loaded) before day 0: the registry of kernel
signatures (``src/scsim/core/kernels.json``) covers what the runs call, a cold cache is
compiled by worker processes, and a Ctrl-C during that compile stops the run at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import numba
import numpy as np
import pytest
from numba.core.caching import NullCache

from conftest import REPO, SCSIM
from scsim.core import precompile
from scsim.store import open_store
from scsim.world.network import generate_network, structure

STALE = ("run `python -m scsim.core.precompile --record` (the registry of kernel signatures "
         "is out of date: a kernel or its arguments changed)")

# A fresh process (no kernel in memory yet) runs golden runs and lists the kernels (with
# their argument types) compiled or loaded during their days, not before day 0.
DURING_DAYS = """
import json, sys
import golden
from scsim.core.engine import Simulation
from scsim.core.precompile import _scsim_dispatchers, kernel_name
from scsim.outputs.casefile import Trace

def in_memory():
    return {(kernel_name(d), str(sig)) for d in _scsim_dispatchers() for sig in d.overloads}

late = set()
for label in sys.argv[1:]:
    settings = golden.RUNS[label]
    trace = Trace(**settings["trace"]) if "trace" in settings else None
    sim = Simulation(golden.scenario_of(settings), seed=settings["seed"], trace=trace)
    before = in_memory()
    sim.run()
    late |= in_memory() - before
print(json.dumps(sorted(late)))
"""


def kernels_during_days(labels: list[str]) -> list[list[str]]:
    env = dict(os.environ, NUMBA_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO / "tests")]))
    done = subprocess.run([sys.executable, "-c", DURING_DAYS, *labels], capture_output=True,
                          text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_no_kernel_is_compiled_or_loaded_during_the_days():
    """national-800's golden run lists, misattributes, shames, penalises companies and
    changes its policy on day 100: every kernel it calls is in memory before day 0."""
    assert kernels_during_days(["national-800"]) == [], STALE


@pytest.mark.slow
def test_no_kernel_is_compiled_or_loaded_during_the_days_of_any_golden_run():
    import golden

    assert kernels_during_days(list(golden.RUNS)) == [], STALE


def test_the_registry_names_the_declared_kernels_and_what_they_take():
    entries = precompile.registry()
    assert entries, "src/scsim/core/kernels.json is missing or unreadable"
    names = {e.kernel for e in entries}
    assert precompile.declared_kernels() <= names, STALE
    assert all(e.seconds > 0 for e in entries)
    # one specialisation per kernel: no argument whose type varies between the scenarios
    assert len(names) == len(entries)


def test_every_registered_signature_is_in_the_cache_once_the_workers_compiled_it():
    """A signature its kernel no longer takes (an argument added since the registry was
    recorded) is never in the cache: it started the compiling workers before every run in
    every process (0.6 s a run on 2 cores) and the kernel was
    compiled on first use all the same."""
    entries = precompile.registry()
    if isinstance(precompile.dispatcher_of(entries[0].kernel)._cache, NullCache):
        pytest.skip("numba's on-disk cache is off here: nothing is ever in it")
    precompile.compile_missing(list(entries))  # (loads nothing: a cold cache is filled)
    assert [e.kernel for e in entries if not precompile.in_cache(e)] == [], STALE


def test_an_entry_the_workers_could_not_compile_is_not_given_to_them_again(monkeypatch):
    stale = precompile.Entry("scsim.world.population:_households", (numba.int64,), 1.0)
    assert not precompile.in_cache(stale)
    started = []
    monkeypatch.setattr(precompile, "compile_in_workers", started.append)
    monkeypatch.setattr(precompile, "_asked", set())
    precompile.compile_missing([stale])
    precompile.compile_missing([stale])
    assert started == [[[stale]]]


def test_a_run_needs_the_kernels_of_its_steps_that_are_on():
    import scsim

    sc = scsim.load_scenario("no-system", agents=200, days=2)
    sim = scsim.Simulation(sc, seed=1)
    kernels = precompile.step_kernels(sim.epochs)
    assert "scsim.mechanisms.behave:behave" in kernels
    assert "scsim.mechanisms.observe:observe" not in kernels  # no surveillance, no score
    assert "scsim.mechanisms.score:score" not in kernels
    needed = {e.kernel for e in precompile.needed(sim.epochs)}
    assert kernels <= needed
    assert "scsim.world.population:_households" in needed  # builds the world
    assert not needed & (precompile.declared_kernels() - kernels)


def test_plain_pytest_compiles_no_kernel_before_its_tests(tmp_path):
    """In one process (plain ``pytest``) nothing is compiled before the tests: a test that
    needs no kernel runs at once on an empty numba cache, as benchmarks/mutation.py runs
    every mutant (the whole registry was compiled first: a minute on 2 cores, for 33 tests
    of 0.1 s). Only ``make test``'s worker processes need the kernels in the cache before
    they start."""
    cache = tmp_path / "numba"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["NUMBA_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_steps.py", "-k", "test_behave_classify_step_always_on"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    compiled = sorted(p.name for p in cache.rglob("*.nbi")) if cache.exists() else []
    assert compiled == [], f"compiled before the test: {compiled[:5]}"


def test_the_suite_in_workers_compiles_the_registry_first(monkeypatch):
    """``pytest -n 2`` (``make test``): the process that starts the workers compiles every
    registered kernel before they start (two workers never compile one kernel at once);
    a worker, plain ``pytest``, ``-n 0`` and ``--collect-only`` compile nothing first.
    The options are those pytest-xdist leaves for ``pytest_configure``: ``dist`` (a mode,
    or "no") and ``tx`` (one entry per worker)."""
    import conftest

    given = []
    monkeypatch.setattr(precompile, "compile_missing", given.append)
    monkeypatch.setattr(conftest, "_workers_save_numba_cache_one_at_a_time", lambda: None)

    class Config:
        def __init__(self, worker: bool = False, **options):
            self.option = SimpleNamespace(**{"help": False, "collectonly": False, **options})
            if worker:
                self.workerinput = {"workerid": "gw0"}

        def getoption(self, name, default=None):
            return getattr(self.option, name, default)

    workers = {"dist": "loadfile", "tx": ["popen", "popen"]}
    for config in (Config(), Config(dist="no", tx=[]), Config(worker=True, **workers),
                   Config(collectonly=True, **workers)):
        conftest.pytest_configure(config)
    assert given == []
    conftest.pytest_configure(Config(**workers))
    assert given == [list(precompile.registry())]


SAVE_IN_A_WORKER = """
import sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import conftest
conftest._workers_save_numba_cache_one_at_a_time()
import kernel
print("compiling", flush=True)
print(kernel.add_one(1), flush=True)
"""


def test_a_worker_writes_numba_cache_only_under_the_lock(tmp_path):
    """A test worker writes a signature to numba's cache while holding the lock file, so
    that two workers never rewrite one kernel's index at once: while another process holds
    the lock, the worker waits, and writes once it is free."""
    fcntl = pytest.importorskip("fcntl")
    (tmp_path / "kernel.py").write_text("import numba\n\n\n@numba.njit(cache=True)\n"
                                        "def add_one(x):\n    return x + 1\n")
    cache = tmp_path / "cache"
    env = dict(os.environ, TMPDIR=str(tmp_path), NUMBA_CACHE_DIR=str(cache))
    lock = tmp_path / f"scsim-tests-numba-cache-{os.getuid()}.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        worker = subprocess.Popen(
            [sys.executable, "-c", SAVE_IN_A_WORKER, str(REPO / "tests"), str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert worker.stdout.readline() == "compiling\n"
        time.sleep(3)  # a function this small compiles in well under a second
        waiting = worker.poll() is None
        written_meanwhile = list(cache.rglob("*.nbi"))
    out, err = worker.communicate(timeout=60)
    assert waiting and written_meanwhile == [], (out, err)
    assert worker.returncode == 0 and out == "2\n", err
    assert [p.name.split("-")[0] for p in cache.rglob("*.nbi")] == ["kernel.add_one"]


def _cold_cache_run(tmp_path, *args: str) -> subprocess.Popen:
    """``scsim run ARGS`` in a new process with an empty numba cache of its own and two
    compiling workers at most (SIGINT as in a terminal's foreground job)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), NUMBA_NUM_THREADS="1")
    return subprocess.Popen([*SCSIM, "run", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)


def test_ctrl_c_during_a_cold_compile_stops_the_run_at_once(tmp_path):
    store = tmp_path / "st"
    proc = _cold_cache_run(tmp_path, "pilot-1000", "--agents", "500", "--days", "100000",
                           "--store", str(store))
    try:
        first = proc.stderr.readline().decode()
        assert "compiling the kernels once, about" in first, first
        time.sleep(1.0)  # the workers are compiling
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=120)
        stopped = time.monotonic() - sent
    finally:
        proc.kill()
    stderr = first + rest.decode()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.split("\n")[-2] == "interrupted"
    assert stopped < 10, f"{stopped:.1f} s from the Ctrl-C to the end"
    if store.exists():  # nothing half-written: no run began
        assert not (store / "runs").exists() or not any((store / "runs").iterdir())
        runs = open_store(store).runs()
        assert (runs["status"] != "running").all()


def test_the_workers_share_the_kernels_by_their_seconds():
    entries = [precompile.Entry(k, (n,), s) for k, n, s in [
        ("a:x", 1, 6.0), ("a:x", 2, 1.0), ("b:y", 1, 4.0), ("c:z", 1, 2.0), ("d:w", 1, 1.0)]]
    shares = precompile.split(entries, 2)
    assert sorted(sorted({e.kernel for e in share}) for share in shares) == [
        ["a:x"], ["b:y", "c:z", "d:w"]]  # each kernel whole in one share: 7 s and 7 s
    assert sorted(map(len, shares)) == [2, 3]


def fresh_copy(dispatcher):
    """A new dispatcher of ``dispatcher``'s function and options, with no on-disk cache:
    it compiles in this process, so its parallel regions can be read."""
    options = {k: v for k, v in dispatcher.targetoptions.items() if k != "nopython"}
    return numba.njit(**options)(dispatcher.py_func)


def test_an_array_expression_outside_prange_is_a_parallel_region_of_its_own():
    """The check can fail: block sums added with an array expression in a serial loop (as
    the score assortativity did) make a region per block, besides the prange."""
    @numba.njit(parallel=True)
    def array_total(partial):
        for b in numba.prange(len(partial)):
            partial[b, 0] = b
        total = np.zeros(partial.shape[1])
        for b in range(len(partial)):
            total += partial[b]
        return total

    array_total(np.zeros((3, 2)))
    assert len(precompile.parallel_regions(array_total)[0]) == 3
    assert "array_total" in "".join(precompile.extra_parallel_regions([array_total]))


def test_the_assortativity_kernels_have_one_parallel_region_each():
    """Each call wakes the worker threads once (its prange), not once per block."""
    net = generate_network(3000, 1, kind="barabasi_albert", mean_degree=6)
    score = np.linspace(0.0, 1.0, net.n, dtype=np.float32).reshape(-1, 1)
    active, centred = (fresh_copy(structure._active_sums),
                       fresh_copy(structure._centred_sums))
    count, sum_x = active(net.indptr, net.entries, score)
    centred(net.indptr, net.entries, score, sum_x / count)
    assert [len(lines) for lines in precompile.parallel_regions(active)] == [1]
    assert [len(lines) for lines in precompile.parallel_regions(centred)] == [1]


@pytest.mark.slow
def test_every_parallel_kernel_has_one_parallel_region():
    """Every parallel kernel of the registry, compiled afresh for each of its signatures
    (about two minutes): its prange and no other parallel region at its top level."""
    copies = {}
    for entry in precompile.registry():
        dispatcher = precompile.dispatcher_of(entry.kernel)
        if dispatcher.targetoptions.get("parallel"):
            copy = copies.setdefault(entry.kernel, fresh_copy(dispatcher))
            copy.compile(entry.signature)
    assert len(copies) > 30
    assert precompile.extra_parallel_regions(list(copies.values())) == {}
