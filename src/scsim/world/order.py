"""Agent numbering for locality: agents tied to each other get nearby ids.

The daily kernels read, for every agent, something of each of its neighbours (the score
phase reads both scores of every neighbour): one read per tie, at the neighbour's id. Reads
at scattered ids miss the caches. ``renumber`` renumbers the population once, after it is
drawn and before its network is generated (so no tie has to be renamed), in the order
``locality_order`` gives:

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
docs/performance.md, "Speed work of issue 13", step 2). Watts–Strogatz rings follow the
ids, whatever they are. A network loaded from a file is not renumbered (its ties do not
follow the population's workplaces).

The order is a pure function of the population (no random numbers, no threads).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numba import njit

from scsim.world.population import Population

_NO_EMPLOYER = np.int64(2**40)  # sorts after every company index


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


def renumber(pop: Population, order: np.ndarray) -> Population:
    """``pop`` with old agent ``order[k]`` renamed k. ``order`` must keep regions and
    households contiguous, with members in their order (``locality_order`` does).
    Companies keep their numbers; their legal representatives are renamed."""
    n = len(order)
    new_id = np.empty(n, np.int32)
    new_id[order] = np.arange(n, dtype=np.int32)
    old_household = pop.household[order]
    household = np.cumsum(old_household[1:] != old_household[:-1], dtype=np.int32)
    household = np.concatenate([np.zeros(min(n, 1), np.int32), household])
    household_start = np.searchsorted(household, np.arange(household[-1] + 2 if n else 1))
    rep = pop.company_rep
    return replace(pop, household_start=household_start, household=household,
                   group=pop.group[order], employer=pop.employer[order],
                   company_rep=np.where(rep >= 0, new_id[np.maximum(rep, 0)], rep))
