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

import scsim
from scsim.core.params import Names
from scsim.outputs.result import AGENT_TABLE_ROWS
from scsim.scenario import builtin_names

PROBE = r"""
import json, sys, tempfile
import scsim
from scsim.core.memory import estimate_bytes
from scsim.core.params import Names
name, n = sys.argv[1], int(sys.argv[2])
sc = scsim.load_scenario(name, agents=n, days=3, overrides=sys.argv[3:])
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


def measure(name: str, n: int, *overrides: str) -> tuple[int, int]:
    proc = subprocess.run([sys.executable, "-c", PROBE, name, str(n), *overrides],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["estimate"], out["peak"]


WITHOUT_LEDGER = ("national-800", "metrics.per_agent_sources=false")


@pytest.fixture(scope="module")
def at_a_million() -> dict[tuple[str, ...], tuple[int, int]]:
    """(estimate, peak) of every built-in scenario at 10^6 agents, and of national-800
    without per-agent sources, two processes at a time (each measures its own peak)."""
    runs = [(name,) for name in builtin_names()] + [WITHOUT_LEDGER]
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(runs, pool.map(lambda r: measure(r[0], 10**6, *r[1:]), runs),
                        strict=True))


def test_estimate_within_20_percent_of_the_peak_at_a_million(at_a_million):
    off = {run: f"estimate {e / 2**20:.0f} MiB, peak {p / 2**20:.0f} MiB"
           for run, (e, p) in at_a_million.items() if not 0.8 * p <= e <= 1.2 * p}
    assert not off, off


def test_without_per_agent_sources_the_ledger_bytes_are_saved(at_a_million):
    """national-800 (11 sources, 8 of them move the error-free score; it can err) keeps
    2 x 4 bytes per source and two int32 per agent in its state's ledger, and writes 4
    bytes per recorded and error-free column and the two int32 in its agents table (built
    AGENT_TABLE_ROWS rows at a time): the estimate drops by those 96 bytes per agent and
    84 per row of a block. The measured peak drops by at least a block's and at most both:
    as shipped, the regions outside the pilot book nothing for 90 days, and their rows of
    the state's ledger, zeroed pages never written, take no memory."""
    sc = scsim.load_scenario("national-800")
    names = Names.of(sc)
    assert (len(names.sources), len(names.clean_sources), names.errors) == (11, 8, True)
    state, table = 2 * 4 * 11 + 8, 4 * (11 + 8) + 8
    (e_on, p_on), (e_off, p_off) = at_a_million[("national-800",)], at_a_million[
        WITHOUT_LEDGER]
    block = min(10**6, AGENT_TABLE_ROWS)
    assert e_on - e_off == 10**6 * state + block * table
    assert block * table <= p_on - p_off <= e_on - e_off, (p_on - p_off) / 10**6


@pytest.mark.slow
def test_estimate_within_20_percent_of_the_peak_at_ten_million():
    estimate, peak = measure("pilot-1000", 10**7)
    assert 0.8 * peak <= estimate <= 1.2 * peak, (estimate / 2**20, peak / 2**20)


def test_the_row_pointer_takes_4_bytes_per_agent_below_2_to_the_32_entries(monkeypatch):
    """The CSR's row pointer is uint32 (4 bytes per agent) up to 2^32 - 1 directed entries,
    int64 (8) beyond: the estimate counts which (``csr.indptr_dtype``)."""
    from scsim.core import memory
    from scsim.world.network import csr

    assert memory.network_bytes(10, 2**32 - 1) == 4 * 11 + 4 * (2**32 - 1)
    assert memory.network_bytes(10, 2**32) == 8 * 11 + 4 * 2**32
    sc = scsim.load_scenario("national-800", overrides=["metrics.per_agent_sources=false"])
    n, names = 10**6, Names.of(sc)
    narrow = memory.estimate_bytes(sc, n, names)
    monkeypatch.setattr(csr, "INDPTR32_MAX_ENTRIES", -1)  # as if the network were larger
    assert memory.estimate_bytes(sc, n, names) - narrow == 4 * (n + 1)


def test_a_tie_entry_takes_4_bytes_up_to_2_to_the_28_agents(monkeypatch):
    """A directed tie entry (neighbour id and tie code packed) is a uint32 up to 2^28
    agents, a uint64 beyond: the estimate counts which (``csr.entries_dtype``)."""
    from scsim.core import memory
    from scsim.world.network import csr

    assert memory.network_bytes(2**28, 10 * 2**28) == 4 * (2**28 + 1) + 4 * 10 * 2**28
    assert memory.network_bytes(2**28 + 1, 10) == 4 * (2**28 + 2) + 8 * 10
    sc = scsim.load_scenario("national-800", overrides=["metrics.per_agent_sources=false"])
    n, names = 10**6, Names.of(sc)
    entries = 10 * n
    narrow = memory.estimate_bytes(sc, n, names, entries)
    monkeypatch.setattr(csr, "ENTRIES32_MAX_AGENTS", 0)  # as if there were more agents
    assert memory.estimate_bytes(sc, n, names, entries) - narrow == 4 * entries
