"""Every kernel a run needs, compiled before day 0: in a pool of processes (one per core)
when numba's on-disk cache lacks some, then loaded into this process before the first day.

numba compiles a kernel for the argument types of its first call. Some kernels are first
called late in a run (``announce_listings`` on the first new listing, ``misattribute`` on the
first misattributed sighting), so without this a first run compiled them mid-run. The
argument types (signatures) are known once a run has called every kernel: the registry
``core/kernels.json`` lists, for every kernel that Python code calls (the steps' declared
``kernels`` and the kernels that build the world), the signatures that runs of the built-in
scenarios compile, with the seconds each took to compile (recorded on one thread with
``python -m scsim.core.precompile --record``; a test fails when it is out of date).

At setup (``prepare``, before the world is built) the registry's signatures of the kernels
this run needs that are missing from numba's cache are compiled by worker processes, each
kernel by one worker, which writes it to the cache; this process waits (a Ctrl-C stops the
workers and raises KeyboardInterrupt here at once). ``load`` then loads them from the cache
(a fraction of a second) before day 0. A signature not in the registry (a scenario whose
types no built-in scenario has) is still compiled on first use.

numba's cache is one index file per function, read, updated and rewritten by whichever
process compiles one of its signatures: two processes compiling different signatures of the
same function at once could lose an entry or point it at the other's code. So a worker
writes only the kernel it was given: every other scsim kernel it compiles on the way (a
callee that is not inlined) gets no cache there, and this process compiles nothing while
the workers run. The compiled code is the same in any process: results are bit-identical.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numba.core import event
from numba.core.caching import NullCache
from numba.core.registry import CPUDispatcher

REGISTRY = Path(__file__).with_name("kernels.json")
EVENT = "scsim:compile"  # spans the pool's work, as numba:compile spans one compilation
POLL_SECONDS = 0.2  # how often the waiting process looks for a Ctrl-C
_use_registry = True  # off while the registry is recorded (every kernel compiles in place)


@dataclass(frozen=True)
class Entry:
    """One signature of one kernel in the registry: ``kernel`` is "module:qualname",
    ``seconds`` what compiling it took when it was recorded (one thread)."""

    kernel: str
    signature: tuple
    seconds: float


def kernel_name(dispatcher: CPUDispatcher) -> str:
    return f"{dispatcher.py_func.__module__}:{dispatcher.py_func.__qualname__}"


def dispatcher_of(name: str) -> CPUDispatcher:
    module, qualname = name.split(":")
    return getattr(importlib.import_module(module), qualname)


@functools.cache
def registry() -> tuple[Entry, ...]:
    """The registry's entries that this installation can use (those whose kernel no longer
    exists, or whose types do not unpickle under this numba, are left out)."""
    try:
        rows = json.loads(REGISTRY.read_text())["kernels"]
    except (OSError, ValueError, KeyError):
        return ()
    out = []
    for row in rows:
        try:
            dispatcher_of(row["kernel"])
            signature = pickle.loads(base64.b64decode(row["signature"]))
        except Exception:  # a stale or foreign entry: compiled on first use
            continue
        out.append(Entry(row["kernel"], signature, float(row["seconds"])))
    return tuple(out)


def step_kernels(epochs: list[tuple[int, Any]]) -> set[str]:
    """The declared kernels of the steps that are on in some epoch (``(day, Params)``)."""
    from scsim.core.plan import DAY_PLAN

    params = [p for _, p in epochs]
    return {kernel_name(k) for step in DAY_PLAN if any(step.on(p) for p in params)
            for k in step.kernels}


def declared_kernels() -> set[str]:
    """The declared kernels of every step of the day plan."""
    from scsim.core.plan import DAY_PLAN

    return {kernel_name(k) for step in DAY_PLAN for k in step.kernels}


def needed(epochs: list[tuple[int, Any]]) -> list[Entry]:
    """The registry's entries a run with these epochs needs: the kernels of its steps that
    are on, and every kernel that is not a step's (those that build the world)."""
    mine, declared = step_kernels(epochs), declared_kernels()
    return [e for e in registry() if e.kernel in mine or e.kernel not in declared]


def in_cache(entry: Entry) -> bool:
    """Whether numba's on-disk cache holds this signature of the kernel (its index only
    is read)."""
    d = dispatcher_of(entry.kernel)
    if tuple(entry.signature) in d.overloads:
        return True
    cache = d._cache
    if isinstance(cache, NullCache):
        return False
    try:  # numba's own lookup, less the loading
        key = cache._index_key(entry.signature, d.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except AttributeError:  # another numba's internals: leave it to the first call
        return True


WORKER_START = 3  # seconds for a worker process to start (Python, numba, scsim's modules)


def workers() -> int:
    """One worker process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def prepare(epochs: list[tuple[int, Any]]) -> None:
    """Compile the registry's signatures that a run with these epochs needs and numba's
    cache lacks, in worker processes, into the cache (nothing when none is missing)."""
    if _use_registry:
        compile_missing(needed(epochs))


_asked: set[Entry] = set()  # the entries this process's workers have compiled, or failed


def compile_missing(entries: list[Entry]) -> None:
    """Compile those of ``entries`` that numba's cache lacks in worker processes, into the
    cache; an entry a worker of this process was already given is not given again: one
    the kernel no longer takes (a stale registry) would otherwise start the workers before
    every run, 0.6 s each on 2 cores, and compile nothing."""
    missing = [e for e in entries if e not in _asked and not in_cache(e)]
    if not missing:
        return
    shares = split(missing, min(workers(), len({e.kernel for e in missing})))
    seconds = round(max(sum(e.seconds for e in share) for share in shares) + WORKER_START)
    with event.trigger_event(EVENT, data={"seconds": seconds}):
        compile_in_workers(shares)
    _asked.update(missing)


def split(entries: list[Entry], n: int) -> list[list[Entry]]:
    """``entries`` in ``n`` shares of about equal recorded seconds, each kernel (all its
    signatures) in one share: longest kernel first, each to the share with least so far."""
    kernels: dict[str, list[Entry]] = {}
    for e in entries:
        kernels.setdefault(e.kernel, []).append(e)
    shares: list[list[Entry]] = [[] for _ in range(n)]
    for group in sorted(kernels.values(), key=lambda g: -sum(e.seconds for e in g)):
        min(shares, key=lambda share: sum(e.seconds for e in share)).extend(group)
    return shares


def compile_in_workers(shares: list[list[Entry]]) -> None:
    """Compile each share in a new Python process (its own session, so that a Ctrl-C in
    the terminal reaches this process only) and wait for all. A Ctrl-C, or any error here,
    ends the workers. A worker that fails leaves its kernels to be compiled on first use."""
    from scsim.interrupts import check_signals

    package_root = str(Path(__file__).resolve().parents[2])  # the scsim this process runs
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    procs = []
    try:
        for _ in shares:  # all started first: each reads its job once it has imported
            procs.append(subprocess.Popen(
                [sys.executable, "-c", "from scsim.core.precompile import worker; worker()"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=env, start_new_session=True))
        for proc, share in zip(procs, shares, strict=True):
            proc.stdin.write(json.dumps([[e.kernel, base64.b64encode(
                pickle.dumps(e.signature)).decode()] for e in share]).encode())
            proc.stdin.close()
        for proc in procs:
            while True:
                try:
                    proc.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    check_signals()  # a Ctrl-C taken by another thread: raise it here
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def load(epochs: list[tuple[int, Any]]) -> None:
    """Load (or, when the cache lacks them, compile) every registered signature a run with
    these epochs needs, so that none is compiled or loaded during the days (the steps call
    some kernels that also build the world, e.g. the network metrics)."""
    if not _use_registry:
        return
    for e in needed(epochs):
        try:
            dispatcher_of(e.kernel).compile(e.signature)
        except Exception:  # the kernel's arguments changed: compiled on first use
            continue


# --- the worker processes -----------------------------------------------------------------


def worker() -> None:
    """A worker's main function: compile the [kernel, signature] pairs read from stdin
    (JSON; signatures pickled, base64) into numba's cache, each kernel's own cache only:
    every other scsim kernel compiled on the way stays out of it (see the module
    docstring)."""
    job = json.loads(sys.stdin.read())
    for name, _ in job:
        dispatcher_of(name)  # import every module first: all its kernels are known
    caches = {d: d._cache for d in _scsim_dispatchers()}
    for name, signature in job:
        target = dispatcher_of(name)
        for d in caches:
            d._cache = NullCache()
        target._cache = caches[target]
        try:
            target.compile(pickle.loads(base64.b64decode(signature)))
        except Exception:  # a stale entry: the run compiles what it calls
            continue


def _scsim_dispatchers() -> list[CPUDispatcher]:
    """Every kernel of the scsim modules imported so far."""
    return list({id(v): v for name, module in list(sys.modules.items())
                 if name == "scsim" or name.startswith("scsim.")
                 for v in vars(module).values() if isinstance(v, CPUDispatcher)}.values())


# --- one parallel region per kernel --------------------------------------------------------

def parallel_regions(dispatcher: CPUDispatcher) -> list[list[int]]:
    """For each signature of ``dispatcher`` compiled in this process (one loaded from
    numba's on-disk cache keeps no diagnostics and is left out), the source lines of the
    parallel regions at the top level of the kernel. A ``parallel=True`` kernel should
    have one, its ``prange`` loop: an array expression or a NumPy allocation outside it
    (``np.zeros``, ``total += partial[b]``) is a parallel region of its own, which wakes
    the worker threads on every call (60-145 microseconds each on a 2-core VM whose
    threads sleep: ``OMP_WAIT_POLICY``), and in a serial loop on every iteration."""
    from numba.parfors.parfor import Parfor

    out = []
    for compiled in dispatcher.overloads.values():
        diagnostics = compiled.metadata.get("parfor_diagnostics")
        if diagnostics is None or diagnostics.func_ir is None:
            continue
        out.append(sorted(stmt.loc.line for block in diagnostics.func_ir.blocks.values()
                          for stmt in block.body if isinstance(stmt, Parfor)))
    return out


def extra_parallel_regions(dispatchers: list[CPUDispatcher]) -> dict[str, list[int]]:
    """The ``parallel=True`` kernels among ``dispatchers`` that have a signature with more
    than one parallel region at their top level (``parallel_regions``), with its lines."""
    return {kernel_name(d): lines for d in dispatchers if d.targetoptions.get("parallel")
            for lines in parallel_regions(d) if len(lines) > 1}


# --- recording the registry ---------------------------------------------------------------

RECORD_RUNS = {"agents": 500, "days": 400}  # each built-in scenario, and traced agents


def record(path: Path = REGISTRY) -> int:
    """Run every built-in scenario (in this process, which must start with an empty numba
    cache and one thread: ``--record`` arranges it), with its passes fused and split
    (``Simulation.split_passes``: some kernels run only one way), and write the signatures
    of every kernel called from Python, with its compile seconds, to ``path``. Returns how
    many. Refuses (RuntimeError) when a parallel kernel has more than one parallel region
    (``extra_parallel_regions``)."""
    from scsim.core.engine import Simulation
    from scsim.fsutil import atomic_file
    from scsim.outputs.casefile import Trace
    from scsim.scenario import builtin_names, load_scenario

    global _use_registry
    _use_registry = False
    seen: dict[tuple[str, tuple], float] = {}

    class TopLevel(event.Listener):
        """The compilations called from Python (not nested in another), with their CPU
        seconds (those of this thread: the load of the machine counts less)."""

        def __init__(self) -> None:
            self.starts: list[float] = []

        def on_start(self, ev) -> None:
            self.starts.append(time.thread_time())

        def on_end(self, ev) -> None:
            seconds = time.thread_time() - self.starts.pop()
            d = ev.data["dispatcher"]
            if not self.starts and d.py_func.__module__.startswith("scsim."):
                key = (kernel_name(d), tuple(ev.data["args"]))
                seen[key] = seen.get(key, 0.0) + seconds

    with event.install_listener("numba:compile", TopLevel()):
        for name in builtin_names():
            sc = load_scenario(name, **RECORD_RUNS)
            if sc.network.kind != "file":
                for split in (False, True):
                    Simulation(sc, seed=1, trace=Trace(sample=5, wrongful=True),
                               split_passes=split).run()
    extra = extra_parallel_regions(_scsim_dispatchers())
    if extra:
        raise RuntimeError("parallel kernels with more than one parallel region at their "
                           f"top level (source lines): {extra}")
    rows = [{"kernel": k, "seconds": round(s, 2), "types": str(sig),
             "signature": base64.b64encode(pickle.dumps(sig)).decode()}
            for (k, sig), s in sorted(seen.items(), key=lambda kv: (kv[0][0], -kv[1]))]
    import numba

    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps({"numba": numba.__version__, "kernels": rows}, indent=1)
                       + "\n")
    return len(rows)


def main() -> None:
    """``python -m scsim.core.precompile --record``: rewrite the registry, from a new
    process with an empty numba cache and one thread."""
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python -m scsim.core.precompile --record")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="1")
        code = "from scsim.core.precompile import record; print(record())"
        done = subprocess.run([sys.executable, "-c", code], env=env, text=True,
                              capture_output=True)
    if done.returncode:
        sys.exit(done.stderr)
    print(f"{done.stdout.strip()} signatures written to {REGISTRY}")


if __name__ == "__main__":
    main()
