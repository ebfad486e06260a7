"""What each agent sees of its neighbours, kept up to date incrementally.

``deg_active``, ``nbr_listed``, ``nbr_clean_listed`` and ``nbr_shamed`` count, for every
agent, its active ties and how many of those neighbours are listed, rightfully listed and
shamed. They change only when someone is listed, delisted or shamed or a tie is severed or
restored (rare events), so the daily phases read them instead of scanning the network.
These helpers are called from serial passes only.
"""

from __future__ import annotations

from numba import njit

from scsim.core.state import LISTED, SHAMED, WRONGFUL
from scsim.world.network.csr import SEVERED


@njit(cache=True, inline="always")
def visible(status):
    """(listed, rightfully listed, shamed) of an agent as its neighbours count it."""
    listed = 1 if status & LISTED else 0
    rightful = 1 if (status & LISTED) and not (status & WRONGFUL) else 0
    shamed = 1 if status & SHAMED else 0
    return listed, rightful, shamed


@njit(cache=True)
def broadcast(i, d_listed, d_rightful, d_shamed, indptr, indices, tie, nbr_listed,
              nbr_clean_listed, nbr_shamed):
    """Agent i's visible status changed by the given amounts: tell its active neighbours."""
    for e in range(indptr[i], indptr[i + 1]):
        if tie[e] & SEVERED:
            continue
        j = indices[e]
        nbr_listed[j] += d_listed
        nbr_clean_listed[j] += d_rightful
        nbr_shamed[j] += d_shamed


@njit(cache=True)
def reverse_entry(indptr, indices, i, j):
    """Position of j in row i (rows are sorted): binary search."""
    lo = indptr[i]
    hi = indptr[i + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < j:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def set_tie(i, e, active, indptr, indices, tie, status, deg_active, nbr_listed,
            nbr_clean_listed, nbr_shamed):
    """Sever (active=False) or restore the tie at entry e of row i, in both directions,
    and update both ends' counts of what they see of each other."""
    j = indices[e]
    f = reverse_entry(indptr, indices, j, i)
    sign = 1 if active else -1
    if active:
        tie[e] &= ~SEVERED
        tie[f] &= ~SEVERED
    else:
        tie[e] |= SEVERED
        tie[f] |= SEVERED
    deg_active[i] += sign
    deg_active[j] += sign
    li, ri, si = visible(status[i])
    lj, rj, sj = visible(status[j])
    nbr_listed[i] += sign * lj
    nbr_clean_listed[i] += sign * rj
    nbr_shamed[i] += sign * sj
    nbr_listed[j] += sign * li
    nbr_clean_listed[j] += sign * ri
    nbr_shamed[j] += sign * si
