"""Phase 1, behave: agent i performs behaviour b Poisson(rate_b * m_ib * d_ib) times, with
d = exp(-conformity * fear) for penalised behaviours; sanctions block some behaviours."""

from __future__ import annotations

import math

from numba import njit, prange

from scsim.rng import agent_hash, poisson, sub_hash, unit
from scsim.state import BLOCK, LISTED
from scsim.tally import ACTS, DETERRENCE_SUM


@njit(cache=True, parallel=True)
def behave(key, b_rate, b_category, b_penalised, b_online, b_outside, b_key, propensity,
           conformity, fear, status, scores, region, started, social_media_ban,
           arrest_threshold, acts, acts_total, scratch, today, tally_behaviour, tally_sums):
    """Draw today's acts into ``acts`` (and add them to ``acts_total``); also clears the
    per-day score deltas (``scratch``) and event bits (``today``)."""
    n = len(status)
    nbeh = len(b_rate)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        deterrence = 0.0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            scratch[i, 0] = 0.0
            scratch[i, 1] = 0.0
            today[i] = 0
            d = math.exp(-conformity[i] * fear[i]) if fear[i] > 0.0 else 1.0
            deterrence += 1.0 - d
            active = started[region[i]]
            banned = social_media_ban and active and (status[i] & LISTED) != 0
            arrested = active and scores[i, 0] < arrest_threshold
            h = agent_hash(key, i)
            for b in range(nbeh):
                lam = b_rate[b] * propensity[i, b_category[b]]
                if b_penalised[b]:
                    lam *= d
                if (banned and b_online[b]) or (arrested and b_outside[b]):
                    lam = 0.0
                k = poisson(unit(sub_hash(h, b_key[b])), lam)
                acts[i, b] = min(k, 65535)
                acts_total[i, b] += k
                tally_behaviour[blk, ACTS, b] += k
        tally_sums[blk, DETERRENCE_SUM] = deterrence
