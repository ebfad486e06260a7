"""Phase 2, observe: each act is seen with probability coverage[channel][region]; a
sighting on a facial-recognition channel goes to a wrong person of the same region with the
false-match rate of the actor's group."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from scsim.core.counters import MISATTRIBUTIONS, SEEN
from scsim.core.rng import G1, G2, agent_hash, below, mix64, sub_hash, unit
from scsim.core.state import ACTED, BLOCK, HAS_MISATTRIBUTION, SEVERE_CLEAN, SEVERE_REAL
from scsim.mechanisms.behave import draw_acts

UNSEEN, SEEN_OWN, SEEN_WRONG = 0, 1, 2


@njit(cache=True, inline="always")
def sighting(h, bkey, j, coverage, false_match):
    """What the surveillance made of act ``j`` of the behaviour keyed ``bkey``: UNSEEN,
    SEEN_OWN, or SEEN_WRONG (attributed to someone else)."""
    x = sub_hash(h, bkey + np.uint64(j))
    if unit(x) >= coverage:
        return UNSEEN
    if false_match > 0.0 and unit(mix64(x ^ G1)) < false_match:
        return SEEN_WRONG
    return SEEN_OWN


@njit(cache=True, inline="always")
def false_match_rate(misattribution, facial, group, region_start, i, r, channel):
    if not facial[channel] or region_start[r + 1] - region_start[r] < 2:
        return 0.0
    return misattribution[group[i]]


@njit(cache=True, parallel=True)
def observe(key, b_delta, b_channel, b_severe, b_key, coverage, facial, misattribution, group,
            region, region_start, started, act_model, scratch, today, tally_counts,
            tally_behaviour, block_events):
    """Score deltas of the sightings attributed to the actor (recorded score) and of all
    sightings (error-free score). Flags agents whose sightings went to someone else."""
    n = len(group)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        wrong_total = 0
        acts = np.empty(len(b_delta), np.int64)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            r = region[i]
            if not started[r] or not today[i] & ACTED:
                continue
            draw_acts(act_model, i, acts)
            h = agent_hash(key, i)
            for b in range(len(b_delta)):
                k = acts[b]
                ch = b_channel[b]
                cov = coverage[ch, r]
                if k == 0 or cov <= 0.0:
                    continue
                fm = false_match_rate(misattribution, facial, group, region_start, i, r, ch)
                seen = 0
                wrong = 0
                for j in range(k):
                    s = sighting(h, b_key[b], j, cov, fm)
                    if s != UNSEEN:
                        seen += 1
                        if s == SEEN_WRONG:
                            wrong += 1
                if seen == 0:
                    continue
                scratch[i, 0] += (seen - wrong) * b_delta[b]
                scratch[i, 1] += seen * b_delta[b]
                if b_severe[b]:
                    today[i] |= SEVERE_CLEAN
                    if seen > wrong:
                        today[i] |= SEVERE_REAL
                tally_behaviour[blk, SEEN, b] += seen
                if wrong > 0:
                    today[i] |= HAS_MISATTRIBUTION
                    wrong_total += wrong
        tally_counts[blk, MISATTRIBUTIONS] = wrong_total
        block_events[blk] = 1 if wrong_total > 0 else 0


@njit(cache=True)
def misattribute(key, b_delta, b_channel, b_severe, b_key, coverage, facial, misattribution,
                 group, region, region_start, act_model, scratch, today, block_events):
    """Serial replay: each misattributed sighting counts against a uniformly chosen other
    agent of the actor's region (recorded score only)."""
    n = len(group)
    acts = np.empty(len(b_delta), np.int64)
    for blk in range(len(block_events)):
        if block_events[blk] == 0:
            continue
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if not today[i] & HAS_MISATTRIBUTION:
                continue
            draw_acts(act_model, i, acts)
            r = region[i]
            lo = region_start[r]
            size = region_start[r + 1] - lo
            h = agent_hash(key, i)
            for b in range(len(b_delta)):
                ch = b_channel[b]
                fm = false_match_rate(misattribution, facial, group, region_start, i, r, ch)
                for j in range(acts[b]):
                    if sighting(h, b_key[b], j, coverage[ch, r], fm) != SEEN_WRONG:
                        continue
                    t = lo + below(mix64(sub_hash(h, b_key[b] + np.uint64(j)) ^ G2), size - 1)
                    if t >= i:
                        t += 1
                    scratch[t, 0] += b_delta[b]
                    if b_severe[b]:
                        today[t] |= SEVERE_REAL
