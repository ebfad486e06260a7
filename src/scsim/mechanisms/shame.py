"""Phase 7, shame: a newly listed agent is publicly shamed with probability p_shame; each
active neighbour then severs the tie with probability omega[tie type] times its own
conformity. Severed ties are restored at a per-day rate once neither end is listed.
A pariah has fewer active ties than ``pariah_fraction`` of its original ties."""

from __future__ import annotations

from numba import njit, prange

from scsim.core.counters import SHAMED as T_SHAMED
from scsim.core.counters import TIES_RESTORED, TIES_SEVERED
from scsim.core.rng import agent_hash, sub_hash, unit
from scsim.core.state import BLOCK, LISTED, NEW_LISTED, NEW_SHAMED, SHAMED, add_capped
from scsim.mechanisms.ties import TYPE_MASK, broadcast, set_tie
from scsim.world.network.csr import SEVERED


@njit(cache=True, parallel=True)
def shame(key, probability, status, today, times_shamed, tally_counts, block_events):
    """Decide who of today's newly listed is shamed."""
    n = len(status)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        shamed = 0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if today[i] & NEW_LISTED and unit(agent_hash(key, i)) < probability:
                status[i] |= SHAMED
                today[i] |= NEW_SHAMED
                add_capped(times_shamed, i, 1)
                shamed += 1
        tally_counts[blk, T_SHAMED] = shamed
        block_events[blk] = 1 if shamed > 0 else 0


@njit(cache=True)
def sever(key, sever_probability, conformity, indptr, indices, tie, status, today, deg_active,
          nbr_listed, nbr_clean_listed, nbr_shamed, ties_lost, tally_counts, block_events):
    """Serial: neighbours learn of every shaming of the day first (so a tie between two
    shamed agents is counted both ways before either severs it), then some sever their
    tie."""
    n = len(status)
    for blk in range(len(block_events)):
        if block_events[blk] == 0:
            continue
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if today[i] & NEW_SHAMED:
                broadcast(i, 0, 0, 1, indptr, indices, tie, nbr_listed, nbr_clean_listed,
                          nbr_shamed)
    for blk in range(len(block_events)):
        if block_events[blk] == 0:
            continue
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if not today[i] & NEW_SHAMED:
                continue
            h = agent_hash(key, i)
            for e in range(indptr[i], indptr[i + 1]):
                t = tie[e]
                if t & SEVERED:
                    continue
                j = indices[e]
                p = min(1.0, sever_probability[t & TYPE_MASK] * conformity[j])
                if unit(sub_hash(h, j)) < p:
                    set_tie(i, e, False, indptr, indices, tie, status, deg_active, nbr_listed,
                            nbr_clean_listed, nbr_shamed)
                    add_capped(ties_lost, i, 1)
                    tally_counts[blk, TIES_SEVERED] += 1


@njit(cache=True, parallel=True)
def find_severed(indptr, deg_active, status, block_events):
    """Flag blocks holding an unlisted agent with severed ties (restoration candidates)."""
    n = len(status)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        found = 0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if deg_active[i] < indptr[i + 1] - indptr[i] and not status[i] & LISTED:
                found = 1
                break
        block_events[blk] = found


@njit(cache=True)
def restore(key, rate, indptr, indices, tie, status, deg_active, nbr_listed, nbr_clean_listed,
            nbr_shamed, tally_counts, block_events):
    """Serial: each severed tie with neither end listed comes back with probability
    ``rate`` per day (decided once per tie, from its lower-numbered end)."""
    n = len(status)
    for blk in range(len(block_events)):
        if block_events[blk] == 0:
            continue
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if deg_active[i] == indptr[i + 1] - indptr[i] or status[i] & LISTED:
                continue
            h = agent_hash(key, i)
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                if j < i or not tie[e] & SEVERED or status[j] & LISTED:
                    continue
                if unit(sub_hash(h, j)) < rate:
                    set_tie(i, e, True, indptr, indices, tie, status, deg_active, nbr_listed,
                            nbr_clean_listed, nbr_shamed)
                    tally_counts[blk, TIES_RESTORED] += 1
