"""What a first run compiles, kernel by kernel: numba's compile time of every
specialisation (its own time, without the kernels it compiles inside it), with the day of
the run it was compiled on (-1: at setup, before day 0). Not part of the test suite.

    python benchmarks/compile_times.py [SCENARIO ...] [--agents 500] [--days 400] [--top 10]
                                       [--cache DIR]

Run with an empty numba cache (a fresh temporary ``NUMBA_CACHE_DIR`` unless ``--cache``
names one), one thread, in a new process: it sets both before numba is imported.
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
    args = ap.parse_args()
    os.environ["NUMBA_CACHE_DIR"] = args.cache or tempfile.mkdtemp(prefix="numba-cold-")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

    from numba.core import event

    from scsim.core.engine import Simulation
    from scsim.scenario import load_scenario

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
            sim = Simulation(sc, seed=1)

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


if __name__ == "__main__":
    sys.exit(main())
