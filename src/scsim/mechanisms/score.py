"""Phase 4, score: accepted observations add their deltas; association pulls toward the
weighted mean of active neighbours' scores (alpha per day), each listed active neighbour
costs beta points, ties to bonus groups add points, recovery pulls toward the starting score
(rho per day); the result is clamped to [s_min, s_max]. The error-free score gets the same
update from error-free observations, neighbours' error-free scores and rightful listings."""

from __future__ import annotations

from numba import njit, prange

from scsim.core.prefetch import prefetch
from scsim.core.state import BLOCK
from scsim.mechanisms.ties import TYPE_MASK
from scsim.world.network.csr import SEVERED

PREFETCH_AHEAD = 32  # tie entries between a neighbour's prefetch and its use


@njit(cache=True, parallel=True)
def score(alpha, tie_weight, listed_penalty, group_bonus, has_bonus, recovery, s0_group, s_min,
          s_max, indptr, indices, tie, group, region, started, nbr_listed, nbr_clean_listed,
          scores, scratch):
    """Write tomorrow's scores into ``scratch`` (which holds today's deltas on entry); the
    caller swaps ``scores`` and ``scratch``. Both columns: recorded and error-free."""
    n = len(group)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        last = indptr[min(n, (blk + 1) * BLOCK)] - PREFETCH_AHEAD
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            s = scores[i, 0]
            c = scores[i, 1]
            if not started[region[i]]:
                scratch[i, 0] = s
                scratch[i, 1] = c
                continue
            ns = s + scratch[i, 0]
            nc = c + scratch[i, 1]
            if alpha > 0.0 or has_bonus:
                wsum = 0.0
                ssum = 0.0
                csum = 0.0
                bonus = 0.0
                for e in range(indptr[i], indptr[i + 1]):
                    if e < last:
                        prefetch(scores, indices[e + PREFETCH_AHEAD])
                    t = tie[e]
                    if t & SEVERED:
                        continue
                    j = indices[e]
                    w = tie_weight[t & TYPE_MASK]
                    wsum += w
                    ssum += w * scores[j, 0]
                    csum += w * scores[j, 1]
                    if has_bonus:
                        bonus += group_bonus[group[j]]
                if wsum > 0.0:
                    ns += alpha * (ssum / wsum - s)
                    nc += alpha * (csum / wsum - c)
                ns += bonus
                nc += bonus
            s0 = s0_group[group[i]]
            ns += recovery * (s0 - s) - listed_penalty * nbr_listed[i]
            nc += recovery * (s0 - c) - listed_penalty * nbr_clean_listed[i]
            scratch[i, 0] = min(max(ns, s_min), s_max)
            scratch[i, 1] = min(max(nc, s_min), s_max)
