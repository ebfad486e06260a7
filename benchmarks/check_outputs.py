"""Bit-for-bit output check for speed work: run a fixed set of scenarios and either save
their outputs (``save DIR``) or compare them with saved ones (``compare DIR``).

    python benchmarks/check_outputs.py save /tmp/scsim-reference     # before a change
    python benchmarks/check_outputs.py compare /tmp/scsim-reference  # after it

Every number of the metrics, agents and companies tables is compared as raw bytes (NaN
equal to NaN), so a changed float summation order shows up. Not a test: the reference is
whatever the code produced before the change, not a committed digest.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# numba's cache does not notice a change in an inlined function of another module, so the
# check compiles everything afresh in a cache of its own.
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="scsim-check-numba-")

import numpy as np

import scsim

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ego-facebook.edges"

# (label, scenario, agents, days, overrides): every phase and serial replay does work.
RUNS = [
    ("national-800", "national-800", 5000, 120,
     ["surveillance.misattribution=0.02", "listing.threshold=690"]),
    ("informants", "informants", 4000, 90, ["listing.threshold=990"]),
    ("pilot-1000", "pilot-1000", 4000, 90,
     ["surveillance.misattribution=0.02", "reports.false_rate=0.01",
      "listing.threshold=995"]),
    ("three-tier", "three-tier", 4000, 90, []),
    ("court-blacklist", "court-blacklist", 5000, 120, []),
    ("no-system", "no-system", 3000, 30, []),
    ("national-800-er", "national-800", 3000, 40,
     ["network.kind=erdos_renyi", "listing.threshold=690"]),
    ("mesa-parity", "mesa-parity", 4000, 60, []),
    ("informants-facebook", "informants", None, 40, [f"network.path={SHARED}",
                                                     "network.kind=file"]),
]


def outputs(label: str, name: str, agents: int | None, days: int,
            overrides: list[str]) -> dict[str, np.ndarray]:
    """Every column of the three tables of one run, as numpy arrays keyed table/column."""
    if name not in scsim.builtin_names():
        return {}
    sc = scsim.load_scenario(name, agents=agents, days=days, overrides=overrides)
    res = scsim.simulate(sc, seed=7)
    out = {f"metrics/{c}": res.metrics_table[:, k] for k, c in enumerate(res.metrics_columns)}
    for table, cols in (("agents", res.agent_columns), ("companies", res.company_columns)):
        for c, v in cols.items():
            out[f"{table}/{c}"] = np.asarray(getattr(v, "codes", v))
    return out


def main() -> int:
    mode, folder = sys.argv[1], Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    failures = 0
    for label, *spec in RUNS:
        got = outputs(label, *spec)
        path = folder / f"{label}.npz"
        if not got:
            print(f"{label}: scenario not available, skipped")
            continue
        if mode == "save":
            np.savez(path, **{k.replace("/", "__"): v for k, v in got.items()})
            print(f"{label}: saved {len(got)} columns")
            continue
        if not path.exists():
            print(f"{label}: no reference, skipped")
            continue
        ref = {k.replace("__", "/"): v for k, v in np.load(path).items()}
        diff = sorted(k for k in ref.keys() | got.keys()
                      if k not in ref or k not in got or ref[k].shape != got[k].shape
                      or ref[k].tobytes() != np.ascontiguousarray(got[k], ref[k].dtype)
                      .tobytes())
        failures += bool(diff)
        print(f"{label}: {'IDENTICAL' if not diff else 'DIFFERENT: ' + ', '.join(diff[:12])}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
