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

The test command per mutant is ``pytest -x tests/test_steps.py tests/test_kernels.py -k
SELECTOR``: the tests of the mutated module and of the modules that call its kernels
(SELECTORS), the pure-Python step and metric tests first (no compile, so a mutant of the
glue dies in seconds). A mutant is killed
when that command fails (a failed assertion, or the mutant does not import or compile) or
runs past --timeout; it survives when the command passes. With --sample N a seeded uniform
random sample of N mutants is run, and the kill rate is reported with its 95 % Wilson
interval. Mutants listed in EQUIVALENT are left out of the score, each with its reason.
``--rerun results/mutation.json`` keeps an earlier run's kills of the same sample and runs
only its survivors again (after tests were added: a test added cannot revive a mutant).
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
# Pure-Python tests first (no compile: a Step or compile mutant fails in a second), then
# the kernel tests.
TEST_FILES = ("test_steps.py", "test_kernels.py")
# Tests of module M: test_M_*, plus those of the modules that call M's kernels.
SELECTORS = {
    "ties": "ties or announce or sever or restore",
    "behave": "behave or observe or reports",
    "observe": "observe or reports",
    "classify": "classify or companies",
}
# (module, operator, source line) -> why no mutant of that kind on that line can change a
# result; operator None: any operator. Keyed by the line's text, not its number, so that
# edits elsewhere in a module do not move the entries. Left out of the score.
_PREFETCH = "prefetch is a cache hint: which neighbour row it names changes speed, not results"
_NEVER_BELOW_0 = ("> 0 -> >= 0 in `rate > 0 and unit(x) < rate`: at rate 0 the draw, in [0, 1), "
                  "is never below it; the guard only skips the draw")
EQUIVALENT: dict[tuple[str | None, str | None, str], str] = {
    ("score", None, "last = indptr[hi] - PREFETCH_AHEAD"): _PREFETCH,
    ("score", None, "if e < last:"): _PREFETCH,
    ("score", None, "prefetch(scores, indices[e + PREFETCH_AHEAD])"): _PREFETCH,
    ("observe", "core/ReplaceComparisonOperator_Gt_NotEq",
     "if false_match > 0.0 and unit(rehash(x, FALSE_MATCH)) < false_match:"):
        "the false-match rate is a probability times a factor >= 0, never negative",
    ("observe", "core/ReplaceComparisonOperator_Gt_GtE",
     "if false_match > 0.0 and unit(rehash(x, FALSE_MATCH)) < false_match:"): _NEVER_BELOW_0,
    ("classify", "core/ReplaceComparisonOperator_Gt_GtE",
     "elif p.compliance > 0.0 and unit(h) < p.compliance:"): _NEVER_BELOW_0,
    ("classify", "core/ReplaceComparisonOperator_Gt_GtE",
     "elif p.appeal_rate > 0.0 and unit(rehash(h, APPEAL_FILED)) < p.appeal_rate:"):
        _NEVER_BELOW_0,
    ("reports", "core/ReplaceBinaryOperator_BitAnd_FloorDiv",
     "if true_rate > 0.0 and today[i] & ACTED:"):
        "ACTED is the top bit of a uint8: today // ACTED is non-zero exactly when it is set",
    ("reports", "core/ReplaceComparisonOperator_Gt_GtE",
     "if true_rate > 0.0 and today[i] & ACTED:"):
        "at true_rate 0 the loop runs but unit(x) < 0.0 never holds: nothing is reported",
    ("behave", "core/ReplaceComparisonOperator_NotEq_Gt",
     "banned = m.social_media_ban and active and (m.status[i] & LISTED) != 0"):
        "status & LISTED is a uint8, never negative: != 0 and > 0 agree",
    ("sanction", "core/ReplaceComparisonOperator_GtE_IsNot",
     "possible |= (s >= p_threshold[g]) & ("):
        "a pre-filter: the loop it lets through checks s >= p_threshold[g] again",
    ("reports", "core/ReplaceComparisonOperator_NotEq_Gt",
     "if sighting(ho, b_key[b], j, coverage[ch, r], fm) != UNSEEN:"):
        "a sighting is UNSEEN (0), SEEN_OWN (1) or SEEN_WRONG (2): != 0 and > 0 agree",
    ("ties", "core/ReplaceComparisonOperator_Lt_IsNot", "while lo < hi:"):
        "a binary search keeps lo <= hi: lo < hi and lo != hi agree (ints compare by value)",
    ("companies", "core/NumberReplacer",
     "e_rate=np.array([e.rate if on else 0.0 for e in co.events], f64),"):
        "with companies off their step never runs: the rate of their events is not read",
    ("sanction", "core/ReplaceComparisonOperator_NotEq_Gt",
     "one = (status[first] & LISTED) != 0"):
        "status & LISTED is a uint8, never negative: != 0 and > 0 agree",
    ("observe", "core/NumberReplacer", 'name="observe", place=20,'):
        "19 or 21 keeps observe between behave (10) and reports (30): the same day plan",
    ("shame", "core/ReplaceComparisonOperator_Gt_NotEq",
     "if p.restore > 0.0 and self.severed_ties > 0:"):
        "a restore rate and a count of severed ties are never negative: > 0 and != 0 agree",
    ("sanction", "core/ReplaceComparisonOperator_Eq_GtE",
     'school_both_parents=sanc.schools.parents == "both",'):
        'parents is Literal["any", "both"]: "any" >= "both" is False, as == is',
}
_COMPILE = "a compile option (cache, parallel): speed, not results (same bits on any thread count)"
for _line in ("@njit(cache=True)", "@njit(cache=True, parallel=True)",
              '@njit(cache=True, inline="always")'):
    EQUIVALENT[None, "core/ReplaceTrueWithFalse", _line] = _COMPILE


def source_line(module: str, line: int) -> str:
    path = REPO / "src" / "scsim" / "mechanisms" / f"{module}.py"
    return path.read_text().splitlines()[line - 1].strip()


def equivalent(mutant) -> str | None:
    module, op, _occurrence, line = mutant
    text = source_line(module, line)
    return (EQUIVALENT.get((module, op, text)) or EQUIVALENT.get((module, None, text))
            or EQUIVALENT.get((None, op, text)))


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
           *(str(REPO / "tests" / f) for f in TEST_FILES), "-k", SELECTORS.get(module, module)]
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
    ap.add_argument("--only", nargs="*", help="run only the sampled mutants of these modules")
    ap.add_argument("--rerun", type=Path, help="an earlier --out of the same sample: its "
                    "killed mutants are kept, only the others run again")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "mutation.json")
    a = ap.parse_args(argv)
    from importlib.metadata import version

    import cosmic_ray  # noqa: F401 (fail early when the tool is missing)

    pop = population(a.modules)
    chosen = sorted(random.Random(a.seed).sample(pop, a.sample)) if 0 < a.sample < len(pop) \
        else pop
    excluded = [m for m in chosen if equivalent(m)]
    chosen = [m for m in chosen if not equivalent(m)]
    previous = {}
    if a.rerun:  # keep the kills of an earlier run of the same sample; rerun the rest
        old = json.loads(a.rerun.read_text())["results"]
        previous = {tuple(r["mutant"]): r for r in old
                    if r["outcome"] in ("killed", "timeout", "no-mutation")}
    if a.only:
        chosen = [m for m in chosen if m[0] in a.only]
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
    results = [previous[tuple(m)] for m in chosen if tuple(m) in previous]
    chosen = [m for m in chosen if tuple(m) not in previous]
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
                print(f"[{len(results)}/{len(chosen) + len(previous)}] {r['outcome']:9s} "
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
                   excluded_equivalent=[[*m, equivalent(m)] for m in excluded],
                   rerun_of=str(a.rerun) if a.rerun else None)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(dict(summary=summary, results=results), indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
