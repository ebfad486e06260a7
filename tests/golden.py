"""Golden baseline: a digest of every output column of a fixed set of small runs, committed
in ``tests/data/golden.json``, so that a change meant to leave the results alone (a
refactoring, a speed-up) can show that it changed no output bit.

    python tests/golden.py                  # compare with golden.json; exit 1 on any change
    python tests/golden.py --update         # rewrite golden.json (also: make golden)
    python tests/golden.py --fresh-cache    # compare, compiling every kernel afresh

``tests/test_golden.py`` runs the comparison as part of the test suite (a few seconds once
the kernels are compiled). The runs (``RUNS``) are every built-in scenario at 3,000-10,000
agents (most span two or three blocks of 4,096 agents) and 30-120 days, with overrides that
make every phase and every serial replay do real work (misattributed sightings, true and
false reports, listing and renewal, appeals and compliance, sanctions and privileges,
shaming, severing and restoring ties, companies listed and penalising their
representatives, a regional rollout and a timeline step), national-800 once more on an
Erdős-Rényi network, and one run on the small edge list ``tests/data/small.edges``.

For each run, each table (``metrics``, ``agents``, ``companies``, the provenance tables
``groups``, ``regions``, ``wrongful`` and ``events``, the network sample ``network_nodes``
and ``network_ties``) and each column, golden.json keeps one line:
``DTYPE[LENGTH] SHA256`` where the hash is over the column's raw numpy bytes (so NaN equals
NaN and -0.0 differs from 0.0); a categorical column keeps the hash of its codes and its
categories. A mismatch names every run, table and column that differs.

Updating the baseline says that the outputs changed on purpose: every ``--update`` that
changes golden.json must come with a line in CHANGELOG.md saying which outputs changed and
why. Run it with ``--fresh-cache`` (``make golden`` does): numba's on-disk cache does not
notice a change in a jitted function of another module that a kernel calls, so a cached
kernel can hide (or fake) a change. For the same reason, after editing such a helper, run
the comparison with ``--fresh-cache`` too before trusting it.

The outputs do not depend on the number of threads (``NUMBA_NUM_THREADS``, ``--threads``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "golden.json"
SMALL_EDGES = "tests/data/small.edges"  # relative to the repository

# label: settings. ``network``: an edge list (relative to the repository) replacing the
# scenario's generated network; its nodes are the agents. ``trace``: case files
# (``scsim.outputs.casefile.Trace``).
RUNS: dict[str, dict[str, Any]] = {
    "court-blacklist": {
        "scenario": "court-blacklist", "agents": 5000, "days": 120, "seed": 7,
        "overrides": ["behaviours.court_default.rate=0.0005", "listing.compliance_rate=0.01",
                      "listing.appeals.rate=0.02"]},
    "informants": {
        "scenario": "informants", "agents": 9000, "days": 90, "seed": 7,
        "overrides": ["listing.threshold=990", "surveillance.misattribution=0.01",
                      "shaming.restore_rate=0.02", "listing.duration=30"]},
    "mesa-parity": {
        "scenario": "mesa-parity", "agents": 5000, "days": 60, "seed": 7,
        "overrides": ["listing.threshold=960"]},
    "national-800": {
        "scenario": "national-800", "agents": 10000, "days": 120, "seed": 7,
        "overrides": ["surveillance.misattribution=0.02", "listing.threshold=680",
                      "companies.listing_threshold=690", "sanctions.house_arrest.threshold=550",
                      "metrics.network_every=7",
                      "timeline=[{day: 100, set: {listing.threshold: 670, "
                      "scoring.association.alpha: 0.01}}]"],
        "trace": {"sample": 25, "ids": [4097], "wrongful": True}},
    "national-800-er": {
        "scenario": "national-800", "agents": 5000, "days": 40, "seed": 11,
        "overrides": ["network.kind=erdos_renyi", "listing.threshold=690"]},
    "no-system": {
        "scenario": "no-system", "agents": 3000, "days": 30, "seed": 7, "overrides": []},
    "pilot-1000": {
        "scenario": "pilot-1000", "agents": 6000, "days": 90, "seed": 7,
        "overrides": ["surveillance.misattribution=0.02", "reports.false_rate=0.01",
                      "listing.threshold=995", "companies.listing_threshold=990"]},
    "three-tier": {
        "scenario": "three-tier", "agents": 6000, "days": 90, "seed": 7,
        "overrides": ["regions.rollout[1].day=45", "listing.threshold=700"]},
    "informants-small-edges": {
        "scenario": "informants", "agents": None, "days": 60, "seed": 3,
        "network": SMALL_EDGES,
        "overrides": ["listing.threshold=990", "reports.false_rate=0.01",
                      "surveillance.misattribution=0.1"]},
}


# --------------------------------------------------------------------------- digests


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def column_digest(values: Any) -> str:
    """``DTYPE[LENGTH] SHA256`` of a column's raw bytes; a categorical column gives
    ``category[LENGTH] CODES_DTYPE SHA256(codes) categories SHA256(categories as JSON)``."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.Categorical):
        codes = np.ascontiguousarray(values.codes)
        cats = json.dumps([str(c) for c in values.categories], ensure_ascii=False)
        return (f"category[{len(codes)}] {codes.dtype.name} {_sha(codes.tobytes())} "
                f"categories {_sha(cats.encode())}")
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"a column must be one-dimensional, got shape {array.shape}")
    if array.dtype == object:  # Python objects: digest their text, not their addresses
        text = json.dumps([None if v is None else str(v) for v in array], ensure_ascii=False)
        return f"object[{len(array)}] {_sha(text.encode())}"
    return f"{array.dtype.name}[{len(array)}] {_sha(np.ascontiguousarray(array).tobytes())}"


def result_tables(result: Any) -> dict[str, pd.DataFrame]:
    """Every table a Result publishes: ``TABLES``, the provenance tables it has
    (``PROVENANCE_TABLES``) and, when it has one, the network sample (``SAMPLE_TABLES``)."""
    from scsim.outputs.result import PROVENANCE_TABLES, SAMPLE_TABLES, TABLES

    tables = {name: getattr(result, name) for name in TABLES}
    tables.update((name, result.provenance[name]) for name in PROVENANCE_TABLES
                  if name in result.provenance)
    if result.sample is not None:
        tables.update(zip(SAMPLE_TABLES, (result.sample.nodes, result.sample.ties),
                          strict=True))
    return tables


def scenario_of(settings: dict[str, Any]) -> Any:
    """The scenario of one run's settings."""
    import scsim

    network = settings.get("network")
    return scsim.load_scenario(settings["scenario"], agents=settings["agents"],
                               days=settings["days"], overrides=list(settings["overrides"]),
                               network=REPO / network if network else None)


def run_digests(label: str, threads: int | None = None) -> dict[str, Any]:
    """Settings and per-table, per-column digests of one run of ``RUNS``."""
    import scsim
    from scsim.outputs.casefile import Trace

    settings = RUNS[label]
    trace = Trace(**settings["trace"]) if "trace" in settings else None
    result = scsim.simulate(scenario_of(settings), seed=settings["seed"], threads=threads,
                            trace=trace)
    tables = {name: {col: column_digest(df[col]) for col in df.columns}
              for name, df in result_tables(result).items()}
    return {"settings": settings, "tables": tables}


def compute(labels: list[str] | None = None, threads: int | None = None,
            verbose: bool = False) -> dict[str, Any]:
    """The baseline as golden.json stores it, for ``labels`` (default: every run)."""
    runs = {}
    for label in labels or list(RUNS):
        start = time.perf_counter()
        runs[label] = run_digests(label, threads)
        if verbose:
            print(f"{label}: {time.perf_counter() - start:.2f} s", flush=True)
    return {
        "about": "Digests of every output column of small runs; see tests/golden.py. "
                 "Regenerate with `make golden` and add a CHANGELOG.md line saying why.",
        "runs": runs,
    }


def load(path: Path = GOLDEN) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dump(baseline: dict[str, Any], path: Path = GOLDEN) -> None:
    path.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8", newline="\n")


def compare_run(label: str, expected: dict[str, Any] | None,
                got: dict[str, Any]) -> list[str]:
    """One line per difference between the stored and the computed digests of one run:
    its settings, a table or column missing on either side, or a column that differs."""
    if expected is None:
        return [f"{label}: not in golden.json (run `python tests/golden.py --update`)"]
    out = []
    if expected["settings"] != got["settings"]:
        out.append(f"{label}: settings differ: golden.json has {expected['settings']}, "
                   f"RUNS has {got['settings']}")
    old, new = expected["tables"], got["tables"]
    for table in sorted(old.keys() | new.keys()):
        if table not in new:
            out.append(f"{label}/{table}: table missing from the output")
            continue
        if table not in old:
            out.append(f"{label}/{table}: table not in golden.json")
            continue
        for col in [*old[table], *(c for c in new[table] if c not in old[table])]:
            was, now = old[table].get(col), new[table].get(col)
            if was == now:
                continue
            if now is None:
                out.append(f"{label}/{table}/{col}: column missing from the output")
            elif was is None:
                out.append(f"{label}/{table}/{col}: new column, not in golden.json")
            else:
                out.append(f"{label}/{table}/{col}: differs (golden {was}; now {now})")
        if list(old[table]) != list(new[table]) and set(old[table]) == set(new[table]):
            out.append(f"{label}/{table}: columns in a different order")
    return out


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every difference between two baselines, run by run (runs missing from ``got``
    are reported too)."""
    out = []
    for label in sorted(expected["runs"].keys() | got["runs"].keys()):
        if label not in got["runs"]:
            out.append(f"{label}: in golden.json but not in RUNS")
            continue
        out += compare_run(label, expected["runs"].get(label), got["runs"][label])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true",
                        help="rewrite tests/data/golden.json (add a CHANGELOG.md line)")
    parser.add_argument("--fresh-cache", action="store_true",
                        help="compile every numba kernel afresh (a temporary cache)")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads for the runs (default: numba's)")
    parser.add_argument("runs", nargs="*", help="labels of RUNS to compare (default: all)")
    args = parser.parse_args(argv)
    if args.fresh_cache:
        # Must be set before numba is imported (scsim is imported lazily, below).
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="scsim-golden-numba-")
    # The code of this repository, whatever scsim an editable install points at.
    sys.path.insert(0, str(REPO / "src"))
    unknown = [r for r in args.runs if r not in RUNS]
    if unknown:
        parser.error(f"unknown runs: {', '.join(unknown)} (known: {', '.join(RUNS)})")
    if args.update and args.runs:
        parser.error("--update rewrites every run: give no run labels")
    got = compute(args.runs or None, args.threads, verbose=True)
    if args.update:
        changed = not GOLDEN.exists() or bool(compare(load(), got))
        dump(got)
        print(f"wrote {GOLDEN.relative_to(REPO)}"
              + (" (changed: add a line to CHANGELOG.md)" if changed else " (unchanged)"))
        return 0
    expected = load()
    if args.runs:
        expected = {**expected, "runs": {k: v for k, v in expected["runs"].items()
                                         if k in args.runs}}
    diffs = compare(expected, got)
    for line in diffs:
        print(line)
    print("IDENTICAL" if not diffs else f"{len(diffs)} difference(s)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
