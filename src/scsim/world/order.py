"""Agent numbering for locality: agents tied to each other get nearby ids.

The daily kernels read, for every agent, something of each of its neighbours (the score
phase reads both scores of every neighbour): one read per tie, at the neighbour's id. Reads
at scattered ids miss the caches. ``renumber`` renumbers the population once, after the
network is generated and before the state is allocated, in the order ``locality_order``
gives:

* regions stay contiguous ranges of ids, in region order (``region_start`` is unchanged);
* households stay contiguous and keep their members' order (adults first), so family ties
  stay as local as they were;
* within a region, households are sorted by the employer of their first employed adult
  (households without one last), the old order breaking ties: coworkers, whose work ties
  were scattered over the region, become neighbours in memory too.

Social ties of the Barabási–Albert, Erdős–Rényi and block-model generators join agents
drawn at random (within a block for the block model), so no numbering makes most of them
local; the employer order was the best of those measured (breadth-first and reverse
Cuthill–McKee orders of each region's ties, a global breadth-first order, hubs first:
docs/performance.md, "Speed work of issue 13", step 2). Watts–Strogatz rings are local in
the generator's own numbering, which is kept (``keeps_numbering``).

The order is a pure function of the population (no random numbers, no threads).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numba import njit, prange

from scsim.world.network.csr import Network
from scsim.world.population import Population

_INSERTION_SORT_MAX = 32  # rows up to this length are sorted by insertion, longer by argsort
_NO_EMPLOYER = np.int64(2**40)  # sorts after every company index


def keeps_numbering(kind: str) -> bool:
    """Whether a generated network of this kind keeps the generator's numbering (its ties
    are already between nearby ids)."""
    return kind == "watts_strogatz"


def locality_order(pop: Population) -> np.ndarray:
    """The new numbering: ``order[k]`` (int32) is the old id of new agent k. Households,
    region by region, sorted by the employer of their first employed adult (adults are the
    first two members), each with its members in their order."""
    first = pop.household_start[:-1]
    size = np.diff(pop.household_start)
    employer = pop.employer[first].astype(np.int64)
    second = np.where(size >= 2, pop.employer[np.minimum(first + 1, pop.n - 1)], -1)
    employer = np.where(employer >= 0, employer, second)
    employer = np.where(employer >= 0, employer, _NO_EMPLOYER)
    households = np.lexsort((employer, pop.region[first]))
    return _agent_order(households, pop.household_start)


@njit(cache=True)
def _agent_order(household_order, household_start):
    """Old id of each new id: the members of each household, households in the new order."""
    order = np.empty(household_start[-1], np.int32)
    k = 0
    for h in household_order:
        for i in range(household_start[h], household_start[h + 1]):
            order[k] = i
            k += 1
    return order


@njit(cache=True, parallel=True)
def _relabel_rows(indptr, indices, tie, order, new_id, new_indptr, new_indices, new_tie):
    """Row k of the new CSR is row ``order[k]`` of the old one with its neighbours renamed
    by ``new_id`` and sorted by their new ids (each tie byte stays with its neighbour)."""
    for k in prange(len(order)):
        old = order[k]
        lo = new_indptr[k]
        hi = new_indptr[k + 1]
        src = indptr[old]
        for a in range(hi - lo):
            new_indices[lo + a] = new_id[indices[src + a]]
            new_tie[lo + a] = tie[src + a]
        if hi - lo <= _INSERTION_SORT_MAX:
            for a in range(lo + 1, hi):
                j = new_indices[a]
                t = new_tie[a]
                b = a - 1
                while b >= lo and new_indices[b] > j:
                    new_indices[b + 1] = new_indices[b]
                    new_tie[b + 1] = new_tie[b]
                    b -= 1
                new_indices[b + 1] = j
                new_tie[b + 1] = t
        else:
            perm = np.argsort(new_indices[lo:hi])
            new_indices[lo:hi] = new_indices[lo:hi][perm]
            new_tie[lo:hi] = new_tie[lo:hi][perm]


def renumber(pop: Population, net: Network, order: np.ndarray) -> tuple[Population, Network]:
    """``pop`` and ``net`` with old agent ``order[k]`` renamed k. ``order`` must keep
    regions and households contiguous, with members in their order (``locality_order``
    does). Companies keep their numbers; their legal representatives are renamed. While
    the new network is written both are held (10 bytes per directed tie); the caller's
    reference to the old one is then all that is left of it."""
    n = len(order)
    new_id = np.empty(n, np.int32)
    new_id[order] = np.arange(n, dtype=np.int32)
    old_household = pop.household[order]
    household = np.cumsum(old_household[1:] != old_household[:-1], dtype=np.int32)
    household = np.concatenate([np.zeros(min(n, 1), np.int32), household])
    del old_household
    household_start = np.searchsorted(household, np.arange(household[-1] + 2 if n else 1))
    indptr = np.concatenate([[0], np.cumsum(np.diff(net.indptr)[order])]).astype(np.int64)
    indices = np.empty(len(net.indices), np.int32)
    tie = np.empty(len(net.tie), np.uint8)
    _relabel_rows(net.indptr, net.indices, net.tie, order, new_id, indptr, indices, tie)
    rep = pop.company_rep
    new_pop = replace(pop, household_start=household_start, household=household,
                      group=pop.group[order], employer=pop.employer[order],
                      company_rep=np.where(rep >= 0, new_id[np.maximum(rep, 0)], rep))
    return new_pop, Network(indptr=indptr, indices=indices, tie=tie)
