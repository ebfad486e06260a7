"""How much memory a run needs, estimated before anything is allocated.

The estimate is the larger of two peaks, plus a fixed overhead:

* building the world: the population's structure, the edge list and the neighbour ids;
* finishing the run: the state (``AGENT_ARRAYS``, the companies, the CSR, the metrics
  table) while the agents table is built as Arrow columns and written to Parquet, one
  block of ``AGENT_TABLE_ROWS`` rows at a time (a second copy of every published agent
  column of those rows, ``agent_table_bytes``).

The constants were measured (peak RSS of a fresh process, ``tests/test_memory.py``) for
every built-in scenario at 10^6 agents and one at 10^7; ``check_memory`` keeps a further
``SAFETY_MARGIN`` free.
"""

from __future__ import annotations

import os
import re

import psutil

from scsim.core.mechanism import mechanisms
from scsim.core.params import Names
from scsim.core.state import (
    AGENT_ARRAYS,
    COMPANY_ARRAYS,
    bytes_per_row,
    short_arrays,
    widths,
)
from scsim.errors import MemoryRefused
from scsim.outputs.result import AGENT_TABLE_ROWS
from scsim.scenario.schema import Scenario
from scsim.world.network.csr import entries_dtype, indptr_dtype
from scsim.world.population import MAX_HOUSEHOLD, company_count

# What building the CSR needs per directed tie entry at its peak: the undirected edge list
# (two int32 ends and a type byte per two directed entries) while the neighbour ids are
# written (generators.py, csr.py).
BUILD_BYTES_PER_ENTRY = 12.5  # measured: pilot-1000 at 10^7 agents (7.8 entries per agent)
# Per agent while the network is built: region, household, group, employer, households.
POPULATION_BYTES = 2 + 4 + 1 + 4 + 8 / 2.8
# interpreter, numba and its compiled kernels, numpy, pandas, pyarrow, duckdb (measured
# 360-430 MiB for a small run kept in a store)
FIXED_OVERHEAD = 420 * 2**20
SAFETY_MARGIN = 0.10  # a run is refused unless its estimate plus 10 % is available
# The published agents table (outputs/result.py): per agent, the fixed columns (int32 and
# float32, int8 category codes, bit-packed booleans) and one 4-byte column per propensity
# category and per behaviour.
AGENT_TABLE_FIXED_BYTES = 86


def expected_degree(sc: Scenario) -> float:
    """Expected ties per agent: household cliques + work ties + the generator's ties."""
    net = sc.network
    lam = min(sc.population.household_size, MAX_HOUSEHOLD) - 1.0
    family = (2 * lam + lam * lam) / (1 + lam) if net.family_ties else 0.0
    adults = min(2.0, 1.0 + lam) / (1.0 + lam)
    work = net.work_degree * sc.population.employment * adults if company_count(
        sc, 1000) else 0.0
    social = 0.0 if net.kind in ("none", "file") else net.mean_degree
    return family + work + social


def estimate_bytes(sc: Scenario, n: int, names: Names, entries: int | None = None) -> int:
    """Peak bytes of a run of ``n`` agents (``entries``: directed ties, if known): the larger
    of the network build (population structure, edge list and neighbour ids) and the run
    (the state table, the CSR, the metrics table), plus a fixed overhead."""
    dims = widths(names)
    if entries is None:
        entries = int(n * expected_degree(sc))
    # a Watts-Strogatz ring over households' members (generators._households_interleaved)
    ring = 8 if sc.network.kind == "watts_strogatz" and sc.network.family_ties else 0
    build = n * (8 + POPULATION_BYTES + ring) + entries * BUILD_BYTES_PER_ENTRY
    agents = n * (bytes_per_row(AGENT_ARRAYS, dims, short_arrays(names, n))
                  + 8 / 2.8  # + household boundaries
                  + mechanism_state_bytes(sc))
    companies = company_count(sc, n) * bytes_per_row(COMPANY_ARRAYS, dims)
    network = network_bytes(n, entries)
    metrics = sc.days * (80 + 3 * len(names.behaviours) + 4 * len(names.groups)) * 8
    file_id = 8 if sc.network.kind == "file" else 0  # State.file_ids, and its column
    run = agents + companies + network + metrics + n * file_id
    output = (min(n, AGENT_TABLE_ROWS) * (agent_table_bytes(names) + file_id)
              + 2 * companies)
    return int(max(build, run + output)) + FIXED_OVERHEAD


def network_bytes(n: int, entries: int) -> int:
    """Bytes of the CSR of ``n`` agents and ``entries`` directed ties: the row pointer (4
    bytes per agent, or 8 beyond 2^32 - 1 entries: ``csr.indptr_dtype``) and the entries
    (4 bytes each, or 8 beyond 2^28 agents: ``csr.entries_dtype``)."""
    return (indptr_dtype(entries).itemsize * (n + 1)
            + entries * entries_dtype(n).itemsize)


def mechanism_state_bytes(sc: Scenario) -> float:
    """Bytes per agent the steps keep besides the state table (``Mechanism.state_bytes``)."""
    return sum(m.state_bytes(sc) for m in mechanisms() if m.state_bytes is not None)


def agent_table_bytes(names: Names) -> float:
    """Bytes per agent of the agents table as written (Arrow columns): the fixed ones, a
    propensity per category, the acts of each behaviour and, when the run keeps per-agent
    sources, its points by source (recorded, and error-free for the sources that move the
    error-free score) and who was mistaken for it and who reported it falsely (national-800:
    84 bytes; measured at 10^7 agents, all regions: 180 bytes per agent less peak without
    them, 96 of them the state's)."""
    ledger = (4 * (len(names.sources) + len(names.clean_sources)) + 8
              if names.per_agent_sources else 0)
    return (AGENT_TABLE_FIXED_BYTES + 4 * (len(names.categories) + len(names.behaviours))
            + ledger)


def available_bytes() -> int:
    """Memory a run may use: SCSIM_MEMORY_LIMIT (e.g. '8G') or what the system has free."""
    limit = os.environ.get("SCSIM_MEMORY_LIMIT")
    if limit:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*", limit)
        if not m:
            raise MemoryRefused(f"SCSIM_MEMORY_LIMIT={limit!r}: expected a size like 8G")
        scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
        return int(float(m.group(1)) * scale)
    return int(psutil.virtual_memory().available)


def check_memory(sc: Scenario, n: int, names: Names, entries: int | None = None) -> int:
    """Refuse a run whose estimate exceeds the memory available; returns the estimate."""
    need = estimate_bytes(sc, n, names, entries)
    have = available_bytes()
    if need * (1 + SAFETY_MARGIN) > have:
        raise MemoryRefused(
            f"{n:,} agents for {sc.days:,} days need about {need / 2**30:.1f} GiB "
            f"(~{need / n:.0f} bytes per agent with the network), "
            f"{need * (1 + SAFETY_MARGIN) / 2**30:.1f} GiB with a {SAFETY_MARGIN:.0%} "
            f"margin, but only {have / 2**30:.1f} GiB is available; use fewer agents or "
            "set SCSIM_MEMORY_LIMIT")
    return need
