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

The hottest loops read their arrays at unsigned positions (``range(np.uint64(lo),
np.uint64(hi))``, neighbour ids shifted out of unsigned tie entries): at a signed position
numba adds a correction for negative indices to every read (a compare and a select), which
made the census a third slower and a plain neighbour gather up to twice as slow. Arithmetic that
mixes uint64 and int64 gives float64 in numba, so such loops add ``np.uint64`` constants.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 4096  # agents (or CSR rows) per block
PREFETCH_AHEAD = 64  # tie entries between a neighbour's prefetch and its use (64 against
# 32: the score kernel 1-12 % faster from 10^6 agents, docs/performance.md)


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



def region_segments(region: np.ndarray, region_start: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blocks cut at region boundaries: segment ``seg_base[blk] + region[i] -
    region[first agent of blk]`` holds agent ``i`` of block ``blk`` (a region with no agents
    inside a block's range gets an empty segment there), so a kernel finds an agent's
    segment without a search. Regions are contiguous agent ranges in ascending order.
    Returns ``seg_base`` (int64, blocks + 1), ``seg_start`` (int64, segments + 1: the first
    agent of each segment, then n) and ``seg_region`` (int64, segments: its region)."""
    n = len(region)
    lo = np.arange(0, n, BLOCK, dtype=np.int64)
    first = region[lo].astype(np.int64)
    last = region[np.minimum(lo + BLOCK, n) - 1].astype(np.int64)
    seg_base = np.zeros(len(lo) + 1, np.int64)
    np.cumsum(last - first + 1, out=seg_base[1:])
    seg_region = np.concatenate([np.arange(f, t + 1) for f, t in zip(first, last, strict=True)]
                                ).astype(np.int64) if n else np.zeros(0, np.int64)
    block_lo = np.repeat(lo, last - first + 1)
    seg_start = np.append(np.maximum(block_lo, np.asarray(region_start, np.int64)[seg_region]),
                          n).astype(np.int64)
    return seg_base, seg_start, seg_region
