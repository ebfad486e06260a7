"""How much memory a run needs, estimated before anything is allocated."""

from __future__ import annotations

import os
import re

import psutil

from scsim.core.params import Names
from scsim.core.state import AGENT_ARRAYS, COMPANY_ARRAYS, bytes_per_row
from scsim.errors import MemoryRefused
from scsim.scenario.schema import Scenario
from scsim.world.population import MAX_HOUSEHOLD, company_count

# Bytes per directed tie entry in the CSR (int32 neighbour + uint8 tie byte), and what
# building it needs at its peak: the undirected edge list (two int32 ends and a type byte per
# two directed entries) while the neighbour ids are written (generators.py, csr.py).
CSR_BYTES_PER_ENTRY = 5
BUILD_BYTES_PER_ENTRY = 4 + 9 / 2
# Per agent while the network is built: region, household, group, employer, households.
POPULATION_BYTES = 2 + 4 + 1 + 4 + 8 / 2.8
FIXED_OVERHEAD = 250 * 2**20  # interpreter, numba and its compiled kernels, numpy, pandas


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
    dims = {"behaviours": max(len(names.behaviours), 1), "categories": len(names.categories),
            "events": max(len(names.company_events), 1)}
    if entries is None:
        entries = int(n * expected_degree(sc))
    build = n * (8 + POPULATION_BYTES) + entries * BUILD_BYTES_PER_ENTRY
    agents = n * (bytes_per_row(AGENT_ARRAYS, dims) + 8 / 2.8)  # + household boundaries
    companies = company_count(sc, n) * bytes_per_row(COMPANY_ARRAYS, dims)
    network = 8 * (n + 1) + entries * CSR_BYTES_PER_ENTRY
    metrics = sc.days * (80 + 3 * len(names.behaviours) + 4 * len(names.groups)) * 8
    run = agents + companies + network + metrics
    return int(max(build, run)) + FIXED_OVERHEAD


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
    if need > have:
        raise MemoryRefused(
            f"{n:,} agents for {sc.days} days need about {need / 2**30:.1f} GiB "
            f"(~{need / n:.0f} bytes per agent with the network) but only "
            f"{have / 2**30:.1f} GiB is available; use fewer agents or set "
            "SCSIM_MEMORY_LIMIT")
    return need
