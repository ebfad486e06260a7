"""Mutation testing of the mechanism modules (src/scsim/mechanisms/*.py) with cosmic-ray's
operators, one mutant at a time, each against the kernel tests of its module.

    python benchmarks/mutation.py --sample 60 --seed 1 --jobs 2

Mutants are cosmic-ray's own: its ``init`` enumeration of every (operator, occurrence) in the
target modules, and its ``use_mutation`` to write one into the file and restore it after.
This driver only adds what numba needs: each worker mutates its own copy of ``src/`` (two
mutants never share a tree), and each mutant runs with ``NUMBA_CACHE_DIR`` set to a fresh
empty folder, so no cached kernel compiled from other source can answer for it (numba
does not invalidate a kernel's cache when a function it inlines from another file changes).
The tests run JIT-compiled, with the dtypes of a real run (no NUMBA_DISABLE_JIT).

The test command per mutant is ``pytest -x tests/test_kernels.py -k SELECTOR``: the tests of
the mutated module and of the modules that call its kernels (SELECTORS). A mutant is killed
when that command fails (a failed assertion, or the mutant does not import or compile) or
runs past --timeout; it survives when the command passes. With --sample N a seeded uniform
random sample of N mutants is run, and the kill rate is reported with its 95 % Wilson
interval. Mutants listed in EQUIVALENT are left out of the score, each with its reason.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULES = ("adapt", "behave", "classify", "companies", "observe", "reports", "sanction",
           "score", "shame", "ties")
# Tests of module M: test_M_*, plus those of the modules that call M's kernels.
SELECTORS = {
    "ties": "ties or announce or sever or restore",
    "behave": "behave or observe or reports",
    "observe": "observe or reports",
    "classify": "classify or companies",
}
# (module, line) -> why no mutant of that line can change a result (left out of the score).
_PREFETCH = "prefetch is a cache hint: which neighbour row it names changes speed, not results"
EQUIVALENT: dict[tuple[str, int], str] = {
    ("score", 117): _PREFETCH,  # last = indptr[hi] - PREFETCH_AHEAD
    ("score", 133): _PREFETCH,  # if e < last:
    ("score", 134): _PREFETCH,  # prefetch(scores, indices[e + PREFETCH_AHEAD])
}


def population(modules=MODULES):
    """Every mutant cosmic-ray's init would create for the modules, in a fixed order."""
    from cosmic_ray.commands.init import _all_work_items
    paths = [REPO / "src" / "scsim" / "mechanisms" / f"{m}.py" for m in modules]
    out = []
    for item in _all_work_items(paths, {}):
        mu = item.mutations[0]
        out.append((Path(mu.module_path).stem, mu.operator_name, mu.occurrence,
                    mu.start_pos[0]))
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def run_one(mutant, tree: Path, timeout: float) -> dict:
    from cosmic_ray.mutating import use_mutation
    from cosmic_ray.plugins import get_operator
    module, op_name, occurrence, _line = mutant
    path = tree / "src" / "scsim" / "mechanisms" / f"{module}.py"
    operator = get_operator(op_name)()
    cache = tempfile.mkdtemp(prefix="numba-mutant-")
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), NUMBA_CACHE_DIR=cache,
               NUMBA_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           str(REPO / "tests" / "test_kernels.py"), "-k", SELECTORS.get(module, module)]
    t0 = time.perf_counter()
    try:
        with use_mutation(path, operator, occurrence) as (original, mutated):
            if mutated is None:
                return dict(mutant=list(mutant), outcome="no-mutation", seconds=0.0)
            diff = [f"- {a}\n+ {b}" for a, b in zip(original.splitlines(),
                                                    mutated.splitlines(), strict=False)
                    if a != b]
            try:
                proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                                      timeout=timeout)
                outcome = "survived" if proc.returncode == 0 else "killed"
                tail = proc.stdout[-600:]
            except subprocess.TimeoutExpired:
                outcome, tail = "timeout", ""
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return dict(mutant=list(mutant), outcome=outcome, seconds=time.perf_counter() - t0,
                diff=diff[:3], tail=tail if outcome == "survived" else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=150, help="mutants to run; 0: all")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    ap.add_argument("--modules", nargs="*", default=list(MODULES))
    ap.add_argument("--out", type=Path, default=REPO / "results" / "mutation.json")
    a = ap.parse_args(argv)
    from importlib.metadata import version

    import cosmic_ray  # noqa: F401 (fail early when the tool is missing)

    pop = population(a.modules)
    chosen = sorted(random.Random(a.seed).sample(pop, a.sample)) if 0 < a.sample < len(pop) \
        else pop
    excluded = [m for m in chosen if (m[0], m[3]) in EQUIVALENT]
    chosen = [m for m in chosen if (m[0], m[3]) not in EQUIVALENT]
    print(f"cosmic-ray {version('cosmic-ray')}: {len(pop)} mutants in {len(a.modules)} "
          f"modules; running {len(chosen)} (seed {a.seed}), {a.jobs} at a time", flush=True)
    work = Path(tempfile.mkdtemp(prefix="mutation-"))
    trees = []
    for k in range(a.jobs):
        tree = work / f"w{k}"
        shutil.copytree(REPO / "src", tree / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        trees.append(tree)
    free = list(trees)
    results = []
    t0 = time.perf_counter()

    def task(m):
        tree = free.pop()
        try:
            return run_one(m, tree, a.timeout)
        finally:
            free.append(tree)

    try:
        with ThreadPoolExecutor(a.jobs) as pool:
            for r in pool.map(task, chosen):
                results.append(r)
                print(f"[{len(results)}/{len(chosen)}] {r['outcome']:9s} "
                      f"{r['seconds']:5.1f}s {r['mutant']}", flush=True)
                if r["outcome"] == "survived":
                    print("    " + "\n    ".join(r["diff"]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    scored = [r for r in results if r["outcome"] != "no-mutation"]
    killed = sum(r["outcome"] in ("killed", "timeout") for r in scored)
    lo, hi = wilson(killed, len(scored))
    summary = dict(tool=f"cosmic-ray {version('cosmic-ray')}", population=len(pop),
                   sample=len(scored), seed=a.seed, killed=killed,
                   survived=len(scored) - killed,
                   timeouts=sum(r["outcome"] == "timeout" for r in scored),
                   score=killed / max(len(scored), 1), wilson95=[lo, hi],
                   seconds=time.perf_counter() - t0,
                   seconds_per_mutant=sum(r["seconds"] for r in scored) / max(len(scored), 1),
                   excluded_equivalent=[[*m, EQUIVALENT[m[0], m[3]]] for m in excluded])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(dict(summary=summary, results=results), indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
