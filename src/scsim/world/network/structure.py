"""Structure metrics of the active tie network (ties neither severed nor suspended:
``code & INACTIVE`` is 0).

Results do not depend on the number of numba threads: float sums are taken per fixed block
of rows in parallel and the block partials are added serially in block order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from scsim.core.blocks import PREFETCH_AHEAD, block_bounds, n_blocks
from scsim.core.prefetch import prefetch
from scsim.world.network.csr import (
    INACTIVE,
    TIE_BITS,
    Network,
    neighbour,
    row_bounds,
    tie_code,
)

_SAMPLED_TIES = 2  # ties per agent joined before the largest set is picked


@njit(cache=True, inline="always")
def _find(parent, i):
    """Root of i's set, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, inline="always")
def _union(parent, size, i, j):
    """Merge the sets of i and j (the smaller under the larger)."""
    root_i = _find(parent, i)
    root_j = _find(parent, j)
    if root_i != root_j:
        if size[root_i] < size[root_j]:
            root_i, root_j = root_j, root_i
        parent[root_j] = root_i
        size[root_i] += size[root_j]


@njit(cache=True)
def _largest_component_size(indptr, entries, parent, size):
    """Size of the largest connected component over active ties, by union-find.

    Skips most ties (the "Afforest" idea, Sutton et al. 2018): first join each agent to its
    first ``_SAMPLED_TIES`` active neighbours; the largest set found then is usually most of
    the giant component. Then only agents outside that set have all their ties joined. This
    is exact: a tie between two agents of that set changes nothing, and any other tie has an
    end outside it, whose ties are all joined (ties are symmetric)."""
    n = len(indptr) - 1
    for i in range(n):
        parent[i] = i
        size[i] = 1
    for i in range(n):
        taken = 0
        start, end = row_bounds(indptr, i)
        for a in range(start, end):
            if taken == _SAMPLED_TIES:
                break
            if not tie_code(entries, a) & INACTIVE:
                _union(parent, size, i, neighbour(entries, a))
                taken += 1
    sampled_giant = 0
    for i in range(n):
        if parent[i] == i and size[i] > size[sampled_giant]:
            sampled_giant = i
    outside = np.empty(n, dtype=np.bool_)
    for i in range(n):
        outside[i] = _find(parent, i) != sampled_giant
    for i in range(n):
        if outside[i]:
            start, end = row_bounds(indptr, i)
            for a in range(start, end):
                if not tie_code(entries, a) & INACTIVE:
                    _union(parent, size, i, neighbour(entries, a))
    largest = 0
    for i in range(n):
        if parent[i] == i and size[i] > largest:
            largest = size[i]
    return largest


def largest_component_fraction(net: Network, workspace: np.ndarray | None = None) -> float:
    """Share of agents (0..1) in the largest connected component over active ties.
    An isolated agent is a component of size 1. NaN for a network without agents.

    ``workspace``: optional writable memory for the union-find arrays (the simulator lends
    its per-day score scratch), used if it holds 8 bytes per agent; allocated if absent or
    smaller (a scratch of one score column when nothing can err holds 4)."""
    n = net.n
    if n == 0:
        return float("nan")
    if workspace is None or workspace.nbytes < 8 * n:
        workspace = np.empty(2 * n, dtype=np.int32)
    work = workspace.reshape(-1).view(np.int32)
    return _largest_component_size(net.indptr, net.entries, work[:n],
                                   work[n:2 * n]) / n


@njit(cache=True, inline="always")
def _in_block_order(partial):
    """The sum of the blocks' rows of partial sums, added in block order: the same bits
    whatever the number of threads that filled them. Scalar loops: in a parallel kernel
    an array expression (``total += partial[b]``, ``np.zeros``) outside ``prange`` is a
    parallel region of its own, which wakes the worker threads, and in a loop over the
    blocks it did so once per block (245 times at 10^6 agents)."""
    total = np.empty(partial.shape[1])
    for k in range(partial.shape[1]):
        total[k] = 0.0
        for b in range(len(partial)):
            total[k] += partial[b, k]
    return total


@njit(cache=True, parallel=True)
def _active_sums(indptr, entries, score):
    """[active entries i->j, sum of x = score[i, 0] over them], in float64 whatever the
    float type of ``score`` (agents x columns: the state's scores, of one column or two,
    are one type): a pass over the ties' codes in order that reads no neighbour's score.
    Summed per row block in parallel, the blocks' partials in block order."""
    n = len(indptr) - 1
    partial = np.empty((n_blocks(n), 2))  # every cell written below
    for b in prange(n_blocks(n)):
        count = 0.0
        sum_x = 0.0
        lo, hi = block_bounds(b, n)
        for i in range(lo, hi):
            start, end = row_bounds(indptr, i)
            active = 0
            for a in range(start, end):
                if not entries[np.uint64(a)] & INACTIVE:
                    active += 1
            count += active
            sum_x += active * np.float64(score[i, 0])
        partial[b, 0] = count
        partial[b, 1] = sum_x
    return _in_block_order(partial)


@njit(cache=True, parallel=True)
def _centred_sums(indptr, entries, score, mean):
    """[sum of dx * dy, sum of dx^2] over active entries i->j, dx = score[i, 0] - mean and
    dy = score[j, 0] - mean (float64), the one pass that reads every neighbour's score:
    a row's dy are summed first, then weighed by its dx. Summed as ``_active_sums``."""
    n = len(indptr) - 1
    partial = np.empty((n_blocks(n), 2))  # every cell written below
    for b in prange(n_blocks(n)):
        cov = 0.0
        var = 0.0
        lo, hi = block_bounds(b, n)
        last = indptr[hi] - PREFETCH_AHEAD
        for i in range(lo, hi):
            dx = np.float64(score[i, 0]) - mean
            start, end = row_bounds(indptr, i)
            active = 0
            sum_dy = 0.0
            for a in range(start, end):
                if a < last:
                    prefetch(score, entries[np.uint64(a + PREFETCH_AHEAD)] >> TIE_BITS)
                entry = entries[np.uint64(a)]  # unsigned reads: see core.blocks
                if entry & INACTIVE:
                    continue
                active += 1
                sum_dy += np.float64(score[entry >> TIE_BITS, 0]) - mean
            cov += dx * sum_dy
            var += active * dx * dx
        partial[b, 0] = cov
        partial[b, 1] = var
    return _in_block_order(partial)


def score_assortativity(net: Network, score: np.ndarray,
                        workspace: np.ndarray | None = None) -> float:
    """Pearson correlation of (score[i], score[j]) over active directed entries i->j (each
    active tie counted in both directions), in [-1, 1]. NaN without active ties or when
    the scores at tie ends do not vary. ``score``: a float32 or float64 array of one score
    per agent, or agents x columns (column 0 is read). Two passes over the ties: one over
    their codes (how many are active, and the mean score at their ends), one that reads
    every neighbour's score (the centred sums). A strided view (a column of the
    agents' score pairs) is copied packed first (4 or 8 bytes per agent), which makes the
    random reads of neighbours' scores about a quarter cheaper; the kernel then reads it as
    one column, so it has one type for both. ``workspace``: optional writable memory of
    the score's dtype for that copy (the simulator lends its per-day score scratch, as to
    ``largest_component_fraction``), used if it holds a score per agent."""
    if (score.ndim == 1 and not score.flags.c_contiguous and workspace is not None
            and workspace.dtype == score.dtype and workspace.flags.c_contiguous
            and workspace.size >= len(score)):
        packed = workspace.reshape(-1)[:len(score)]
        packed[:] = score
        score = packed
    score = np.ascontiguousarray(score)
    if score.dtype.kind != "f":
        score = score.astype(np.float64)
    if score.ndim == 1:
        score = score.reshape(-1, 1)
    if score.ndim != 2 or len(score) != net.n:
        raise ValueError(f"score must have one entry per agent ({net.n}), got {score.shape}")
    count, sum_x = _active_sums(net.indptr, net.entries, score)
    if count == 0:
        return float("nan")
    # Ties are symmetric (an active tie is an active entry in both directions), so the
    # scores at the two ends of the entries have one mean and one variance.
    cov, var = _centred_sums(net.indptr, net.entries, score, sum_x / count)
    if var <= 0.0:
        return float("nan")
    return float(min(1.0, max(-1.0, cov / var)))  # rounding kept inside [-1, 1]
