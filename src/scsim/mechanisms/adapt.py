"""Phase 8, adapt: fear moves toward a mix of the share of active neighbours listed or
shamed and the closeness of one's own score to the listing threshold. Fear deters
penalised behaviours in phase 1: the chilling effect."""

from __future__ import annotations

from numba import njit, prange

from scsim.core.state import BLOCK, LISTED


@njit(cache=True, parallel=True)
def adapt(speed, social_weight, self_weight, margin, threshold, region, started, scores,
          status, deg_active, nbr_listed, nbr_shamed, fear):
    """fear += speed * (target - fear), target = min(1, social_weight * exposure +
    self_weight * own risk); exposure counts listed and shamed neighbours (a shamed listed
    neighbour counts twice, up to all active ties); own risk is 1 while listed, else rises
    linearly from 0 at ``margin`` points above the threshold to 1 at the threshold."""
    n = len(status)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if not started[region[i]]:
                continue
            d = deg_active[i]
            exposure = min(1.0, (nbr_listed[i] + nbr_shamed[i]) / d) if d > 0 else 0.0
            if status[i] & LISTED:
                own = 1.0
            else:
                own = min(1.0, max(0.0, (threshold + margin - scores[i, 0]) / margin))
            target = min(1.0, social_weight * exposure + self_weight * own)
            fear[i] += speed * (target - fear[i])
