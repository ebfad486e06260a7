"""The memory estimate against the measured peak: each built-in scenario at 10^6 agents,
and one at 10^7 (``slow``), each in a fresh process, recorded in a store as `scsim run`
does. The estimate must be within 20 % of the peak.

The peak is the process's high-water mark of resident memory (VmHWM in /proc/self/status),
which starts afresh at exec. getrusage's ru_maxrss does not: Linux keeps it across exec,
so a child of a large test process would report the parent's size."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scsim.scenario import builtin_names

PROBE = r"""
import json, sys, tempfile
import scsim
from scsim.core.memory import estimate_bytes
from scsim.core.params import Names
name, n = sys.argv[1], int(sys.argv[2])
sc = scsim.load_scenario(name, agents=n, days=3)
need = estimate_bytes(sc, n, Names.of(sc))
with tempfile.TemporaryDirectory() as store:
    scsim.simulate(sc, seed=1, store=store)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"estimate": need, "peak": peak}))
"""


@pytest.fixture(autouse=True)
def _linux():
    if not Path("/proc/self/status").exists():
        pytest.skip("the peak is read from /proc/self/status (Linux)")


def measure(name: str, n: int) -> tuple[int, int]:
    proc = subprocess.run([sys.executable, "-c", PROBE, name, str(n)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["estimate"], out["peak"]


def test_estimate_within_20_percent_of_the_peak_at_a_million():
    """Every built-in scenario, two processes at a time (each measures its own peak)."""
    names = builtin_names()
    with ThreadPoolExecutor(2) as pool:
        measured = dict(zip(names, pool.map(lambda name: measure(name, 10**6), names),
                            strict=True))
    off = {name: f"estimate {e / 2**20:.0f} MiB, peak {p / 2**20:.0f} MiB"
           for name, (e, p) in measured.items() if not 0.8 * p <= e <= 1.2 * p}
    assert not off, off


@pytest.mark.slow
def test_estimate_within_20_percent_of_the_peak_at_ten_million():
    estimate, peak = measure("pilot-1000", 10**7)
    assert 0.8 * peak <= estimate <= 1.2 * peak, (estimate / 2**20, peak / 2**20)
