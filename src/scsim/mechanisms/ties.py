"""What each agent sees of its neighbours, kept up to date incrementally.

``deg_active``, ``nbr_listed``, ``nbr_clean_listed`` and ``nbr_shamed`` count, for every
agent, its active ties (``active_degree``: a run where no tie can go inactive keeps no
``deg_active``) and how many of those neighbours are listed, listed on the error-free
record too (``CLEAN_LISTED``: rightfully, or since the error-free score would list them) and
shamed. A tie is active when it is neither severed (shunning) nor suspended (an end is
detained). The counts change only when someone is listed, delisted or shamed, a tie is
severed or restored, or someone is detained or released (rare events), so the daily phases
read them instead of scanning the network. The helpers that change them are called from
serial passes only.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scsim.core.state import CLEAN_LISTED, LISTED, SHAMED, TIES_SUSPENDED
from scsim.world.network.csr import (
    INACTIVE,
    SEVERED,
    SUSPENDED,
    neighbour,
    row_bounds,
    set_code_bit,
    tie_code,
)


@njit(cache=True, inline="always")
def visible(status):
    """(listed, listed on the error-free record too, shamed) of an agent as its neighbours
    count it."""
    listed = 1 if status & LISTED else 0
    rightful = 1 if (status & LISTED) and (status & CLEAN_LISTED) else 0
    shamed = 1 if status & SHAMED else 0
    return listed, rightful, shamed


@njit(cache=True, inline="always")
def active_degree(deg_active, indptr, i):
    """Agent i's active ties (neither severed nor suspended): ``deg_active[i]``, or its
    degree when the run keeps no rows of ``deg_active`` (no tie of it can be severed or
    suspended: ``core.state.short_arrays``)."""
    if len(deg_active) == 0:
        start, end = row_bounds(indptr, np.int64(i))  # i may be unsigned: core.blocks
        return end - start
    return np.int64(deg_active[i])


@njit(cache=True)
def broadcast(i, d_listed, d_rightful, d_shamed, indptr, entries, nbr_listed,
              nbr_clean_listed, nbr_shamed):
    """Agent i's visible status changed by the given amounts: tell its active neighbours.
    ``nbr_shamed`` is written only when ``d_shamed`` is not 0 (a run without shaming keeps
    no rows of it: ``core.state.short_arrays``)."""
    lo, hi = row_bounds(indptr, i)
    for e in range(lo, hi):
        if tie_code(entries, e) & INACTIVE:
            continue
        j = neighbour(entries, e)
        nbr_listed[j] += d_listed
        nbr_clean_listed[j] += d_rightful
        if d_shamed != 0:
            nbr_shamed[j] += d_shamed


@njit(cache=True)
def reverse_entry(indptr, entries, i, j):
    """Position of j in row i (rows are sorted): binary search."""
    lo, hi = row_bounds(indptr, i)
    while lo < hi:
        mid = (lo + hi) // 2
        if neighbour(entries, mid) < j:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def count_tie(i, j, sign, status, deg_active, nbr_listed, nbr_clean_listed, nbr_shamed):
    """The tie {i, j} became active (sign 1) or inactive (sign -1): update both ends'
    counts of their active ties and of what they see of each other (``nbr_shamed`` only
    for a shamed end: a run without shaming keeps no rows of it)."""
    deg_active[i] += sign
    deg_active[j] += sign
    li, ri, si = visible(status[i])
    lj, rj, sj = visible(status[j])
    nbr_listed[i] += sign * lj
    nbr_clean_listed[i] += sign * rj
    nbr_listed[j] += sign * li
    nbr_clean_listed[j] += sign * ri
    if sj:
        nbr_shamed[i] += sign * sj
    if si:
        nbr_shamed[j] += sign * si


@njit(cache=True, inline="always")
def mark_tie(i, e, bit, on, indptr, entries):
    """Set (``on``) or clear ``bit`` on the tie at entry e of row i, in both directions."""
    f = reverse_entry(indptr, entries, neighbour(entries, e), i)
    set_code_bit(entries, e, bit, on)
    set_code_bit(entries, f, bit, on)


@njit(cache=True)
def set_tie(i, e, active, indptr, entries, status, deg_active, nbr_listed, nbr_clean_listed,
            nbr_shamed):
    """Sever (active=False) an active tie, or restore a severed tie that is not suspended,
    at entry e of row i, in both directions, and update both ends' counts of what they see
    of each other."""
    mark_tie(i, e, SEVERED, not active, indptr, entries)
    count_tie(i, neighbour(entries, e), 1 if active else -1, status, deg_active, nbr_listed,
              nbr_clean_listed, nbr_shamed)


@njit(cache=True)
def suspend_ties(i, indptr, entries, status, deg_active, nbr_listed, nbr_clean_listed,
                 nbr_shamed):
    """Agent i's ties were suspended or freed (its ``TIES_SUSPENDED`` status bit is already
    set or cleared): each tie is suspended while either end has that bit, and no longer once
    neither has. A tie that is also severed stays inactive, so only the counts of ties that
    become active or inactive change. Returns the number of ties that changed."""
    changed = 0
    lo, hi = row_bounds(indptr, i)
    for e in range(lo, hi):
        j = neighbour(entries, e)
        suspend = (status[i] & TIES_SUSPENDED) != 0 or (status[j] & TIES_SUSPENDED) != 0
        if suspend == ((tie_code(entries, e) & SUSPENDED) != 0):
            continue
        mark_tie(i, e, SUSPENDED, suspend, indptr, entries)
        changed += 1
        if not tie_code(entries, e) & SEVERED:
            count_tie(i, j, -1 if suspend else 1, status, deg_active, nbr_listed,
                      nbr_clean_listed, nbr_shamed)
    return changed
