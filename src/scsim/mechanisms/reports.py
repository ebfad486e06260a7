"""Phase 3, report: an unseen act is reported by a neighbour with probability r_true; each
agent files Poisson(r_false * malice) false reports against active neighbours, higher
scorers more likely (envy); reports are accepted with probability p_accept (more likely when
the reporter outscores the target, with power bias) and then count like observations."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from scsim.core.counters import FALSE_ACCEPTED, FALSE_FILED, REPORTED
from scsim.core.rng import G1, G2, agent_hash, mix64, poisson, sub_hash, unit
from scsim.core.state import ACTED, BLOCK, HAS_FALSE_REPORTS, SEVERE_CLEAN, SEVERE_REAL
from scsim.mechanisms.behave import draw_acts
from scsim.mechanisms.observe import UNSEEN, false_match_rate, sighting
from scsim.world.network.csr import SEVERED

POINTS_SCALE = 100.0  # envy and power bias are per 100 points of score difference


@njit(cache=True, parallel=True)
def report(observe_key, report_key, false_key, true_rate, false_rate, accept, b_delta,
           b_channel, b_severe, b_reportable, b_key, coverage, facial, misattribution, group,
           region, region_start, started, deg_active, malice, act_model, scratch, today,
           tally_counts, tally_behaviour, block_events):
    """True reports of unseen acts (both scores); flags agents that file false reports."""
    n = len(group)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        filed_total = 0
        acts = np.empty(len(b_delta), np.int64)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            r = region[i]
            if not started[r] or deg_active[i] == 0:
                continue
            if true_rate > 0.0 and today[i] & ACTED:
                draw_acts(act_model, i, acts)
                ho = agent_hash(observe_key, i)
                hr = agent_hash(report_key, i)
                for b in range(len(b_delta)):
                    if acts[b] == 0 or not b_reportable[b]:
                        continue
                    ch = b_channel[b]
                    fm = false_match_rate(misattribution, facial, group, region_start, i, r, ch)
                    accepted = 0
                    for j in range(acts[b]):
                        if sighting(ho, b_key[b], j, coverage[ch, r], fm) != UNSEEN:
                            continue
                        x = sub_hash(hr, b_key[b] + np.uint64(j))
                        if unit(x) < true_rate and unit(mix64(x ^ G1)) < accept:
                            accepted += 1
                    if accepted > 0:
                        scratch[i, 0] += accepted * b_delta[b]
                        scratch[i, 1] += accepted * b_delta[b]
                        if b_severe[b]:
                            today[i] |= SEVERE_REAL | SEVERE_CLEAN
                        tally_behaviour[blk, REPORTED, b] += accepted
            if false_rate > 0.0:
                filed = poisson(unit(agent_hash(false_key, i)), false_rate * malice[i])
                if filed > 0:
                    today[i] |= HAS_FALSE_REPORTS
                    filed_total += filed
        tally_counts[blk, FALSE_FILED] = filed_total
        block_events[blk] = 1 if filed_total > 0 else 0


@njit(cache=True)
def false_reports(false_key, false_rate, envy, accept, power_bias, false_report_cdf, b_delta,
                  b_severe, indptr, indices, tie, scores, malice, region, started, scratch,
                  today, tally_counts, block_events):
    """Serial replay of the false reports: target by envy among active neighbours,
    behaviour in proportion to its rate, acceptance with power bias (recorded score only)."""
    n = len(malice)
    for blk in range(len(block_events)):
        if block_events[blk] == 0:
            continue
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if not today[i] & HAS_FALSE_REPORTS:
                continue
            h = agent_hash(false_key, i)
            filed = poisson(unit(h), false_rate * malice[i])
            mine = scores[i, 0]
            top = -np.inf
            for e in range(indptr[i], indptr[i + 1]):
                if not tie[e] & SEVERED:
                    top = max(top, scores[indices[e], 0])
            total = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                if not tie[e] & SEVERED:
                    total += math.exp(envy * (scores[indices[e], 0] - top) / POINTS_SCALE)
            for k in range(filed):
                x = sub_hash(h, k + 1)
                goal = unit(x) * total
                target = -1
                acc = 0.0
                for e in range(indptr[i], indptr[i + 1]):
                    if tie[e] & SEVERED:
                        continue
                    target = indices[e]
                    acc += math.exp(envy * (scores[target, 0] - top) / POINTS_SCALE)
                    if acc > goal:
                        break
                if target < 0 or not started[region[target]]:
                    continue
                b = np.searchsorted(false_report_cdf, unit(mix64(x ^ G1)), side="right")
                b = min(b, len(b_delta) - 1)
                p = accept
                lead = mine - scores[target, 0]
                if power_bias > 0.0 and lead > 0.0 and 0.0 < p < 1.0:
                    odds = p / (1.0 - p) * math.exp(power_bias * lead / POINTS_SCALE)
                    p = odds / (1.0 + odds)
                if unit(mix64(x ^ G2)) < p:
                    scratch[target, 0] += b_delta[b]
                    if b_severe[b]:
                        today[target] |= SEVERE_REAL
                    tally_counts[blk, FALSE_ACCEPTED] += 1
