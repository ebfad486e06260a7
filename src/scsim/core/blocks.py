"""Fixed blocks of agents: the unit of parallel work and of deterministic partial sums.

Every parallel kernel visits agents block by block (``prange`` over blocks) and writes its
counts to its block's row of the day's counters, so no two threads write the same cell and
float sums are added in the same order whatever the number of threads: same seed, same
bits. Effects on other agents are replayed afterwards by a serial pass over the blocks a
parallel pass flagged, in agent order::

    for blk in prange(n_blocks(n)):           # parallel pass
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi): ...
        counts[blk, C.something] = local_total
        flags[blk] = local_total > 0

    for blk in flagged_blocks(flags):         # serial replay, in agent order
        lo, hi = block_bounds(blk, n)
        ...
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 4096  # agents (or CSR rows) per block
PREFETCH_AHEAD = 32  # tie entries between a neighbour's prefetch and its use


@njit(cache=True, inline="always")
def n_blocks(n):
    """Number of blocks of ``n`` agents (the last one may be short)."""
    return (n + BLOCK - 1) // BLOCK


@njit(cache=True, inline="always")
def block_bounds(blk, n):
    """First and one-past-last agent of block ``blk`` of ``n`` agents."""
    return blk * BLOCK, min(n, (blk + 1) * BLOCK)


@njit(cache=True, inline="always")
def flagged_blocks(flags):
    """Indices of the blocks whose flag is set, ascending: what a serial replay visits."""
    return np.nonzero(flags)[0]

