"""What a first run compiles, kernel by kernel: numba's compile time of every
specialisation (its own time, without the kernels it compiles inside it), with the day of
the run it was compiled on (-1: at setup, before day 0). Not part of the test suite.

    python benchmarks/compile_times.py [SCENARIO ...] [--agents 500] [--days 400] [--top 10]
                                       [--cache DIR] [--in-process]
    python benchmarks/compile_times.py --serial [--top 10]

Run with an empty numba cache (a fresh temporary ``NUMBA_CACHE_DIR`` unless ``--cache``
names one), one thread, in a new process: it sets both before numba is imported.
The compilations listed are those of this process: with worker processes compiling the
registry's kernels (core.precompile) there are none unless the registry is out of date;
``--in-process`` leaves the registry unused, so that every kernel compiles here, when it is
first called.
``--serial``: for the ``parallel=True`` kernels of the registry (core/kernels.json),
longest first, the CPU seconds of compiling each as it is and with ``parallel=False``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", default=["national-800"])
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--cache", help="numba cache folder (default: a new empty one)")
    ap.add_argument("--in-process", action="store_true",
                    help="no worker processes: every kernel compiles here on first use")
    ap.add_argument("--serial", action="store_true",
                    help="compile the parallel kernels with and without parallel=True")
    args = ap.parse_args()
    os.environ["NUMBA_CACHE_DIR"] = args.cache or tempfile.mkdtemp(prefix="numba-cold-")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    if args.serial:
        return serial_against_parallel(args.top)

    from numba.core import event

    from scsim.core import precompile
    from scsim.core.engine import Simulation
    from scsim.scenario import load_scenario

    precompile._use_registry = not args.in_process

    day = [-1]  # the day being simulated; -1 during setup
    compiles: list[dict] = []

    class Own(event.Listener):
        """Each compilation's own seconds: its span less the spans of those nested in it."""

        def __init__(self) -> None:
            self.stack: list[list[float]] = []  # [start, seconds of nested compilations]

        def on_start(self, ev) -> None:
            self.stack.append([time.perf_counter(), 0.0])

        def on_end(self, ev) -> None:
            start, nested = self.stack.pop()
            span = time.perf_counter() - start
            if self.stack:
                self.stack[-1][1] += span
            d = ev.data["dispatcher"]
            compiles.append({"kernel": f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                             "args": str(ev.data["args"]), "own": span - nested,
                             "depth": len(self.stack), "day": day[0]})

    started = time.perf_counter()
    with event.install_listener("numba:compile", Own()):
        for name in args.scenarios:
            sc = load_scenario(name, agents=args.agents, days=args.days)
            day[0] = -1
            setup = time.perf_counter()
            sim = Simulation(sc, seed=1)
            print(f"{name}: setup {time.perf_counter() - setup:.1f} s", flush=True)

            def progress(d: int) -> None:
                day[0] = d + 1

            sim.run(progress)
    wall = time.perf_counter() - started

    per_kernel: dict[str, list[dict]] = defaultdict(list)
    for c in compiles:
        per_kernel[c["kernel"]].append(c)
    rows = sorted(per_kernel.items(), key=lambda kv: -sum(c["own"] for c in kv[1]))
    total = sum(c["own"] for c in compiles)
    print(f"{len(compiles)} compilations of {len(per_kernel)} functions, {total:.1f} s "
          f"compiling ({wall:.1f} s in all); load {os.getloadavg()[0]:.2f}")
    print("| kernel | specialisations | seconds | first day |")
    print("|---|---|---|---|")
    for kernel, cs in rows[:args.top]:
        print(f"| `{kernel.removeprefix('scsim.')}` | {len(cs)} | "
              f"{sum(c['own'] for c in cs):.1f} | {min(c['day'] for c in cs)} |")
    late = [c for c in compiles if c["day"] >= 0]
    print(f"compiled after setup: {len(late)} ({sum(c['own'] for c in late):.1f} s)")
    for c in late:
        print(f"  day {c['day']}: {c['kernel']} {c['own']:.2f} s {c['args'][:300]}")
    many = {k: cs for k, cs in per_kernel.items() if len(cs) > 1}
    for kernel, cs in many.items():
        print(f"several specialisations of {kernel}:")
        for c in cs:
            print(f"  {c['own']:.2f} s day {c['day']}: {c['args'][:600]}")


def serial_against_parallel(top: int) -> None:
    """CPU seconds to compile the registry's longest parallel kernels as they are and
    serially (fresh dispatchers, no cache; the kernels they call are compiled first)."""
    from numba import njit

    from scsim.core.precompile import dispatcher_of, registry

    entries = [e for e in sorted(registry(), key=lambda e: -e.seconds)
               if dispatcher_of(e.kernel).targetoptions.get("parallel")][:top]
    for e in entries:  # the callees, compiled once, outside the timings
        njit(dispatcher_of(e.kernel).py_func).compile(e.signature)
    print("| kernel | parallel=True (s) | parallel=False (s) |")
    print("|---|---|---|")
    for e in entries:
        seconds = []
        for parallel in (True, False):
            start = time.thread_time()
            njit(parallel=parallel)(dispatcher_of(e.kernel).py_func).compile(e.signature)
            seconds.append(time.thread_time() - start)
        print(f"| `{e.kernel.removeprefix('scsim.')}` | {seconds[0]:.2f} | {seconds[1]:.2f} |",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
