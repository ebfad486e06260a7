"""Phase 9, companies: compliance events (tax evasion, customs, pollution...) happen at
their per-day rates and are observed at their coverage times the inspection multiplier of
the company's tier; observed events change the corporate score. Tiers set the tax rate and
inspection rate. A listed company costs its legal representative points each day, and a
listed representative costs the company points each day."""

from __future__ import annotations

import numpy as np
from numba import njit

from scsim.core.rng import agent_hash, poisson, sub_hash, unit
from scsim.core.state import LISTED
from scsim.mechanisms.classify import tier_of


@njit(cache=True)
def companies(key, e_rate, e_delta, e_coverage, e_key, ct_min, ct_inspection, s0, s_min,
              s_max, recovery, threshold, company_penalty, region, started, rep, agent_status,
              score, tier, listed, events_total, events_seen, days_listed):
    # Serial: companies are few (per_1000_agents), too few to pay for waking a thread.
    for c in range(len(score)):
        if not started[region[c]]:
            continue
        h = agent_hash(key, c)
        s = score[c]
        inspection = ct_inspection[tier[c]]
        change = 0.0
        for e in range(len(e_rate)):
            k = poisson(unit(sub_hash(h, e_key[e])), e_rate[e])
            if k == 0:
                continue
            cov = min(1.0, e_coverage[e] * inspection)
            seen = 0
            for j in range(k):
                if unit(sub_hash(h, e_key[e] + np.uint64(1 + j))) < cov:
                    seen += 1
            events_total[c, e] += k
            events_seen[c, e] += seen
            change += seen * e_delta[e]
        if agent_status[rep[c]] & LISTED:
            change -= company_penalty
        s = min(max(s + change + recovery * (s0 - s), s_min), s_max)
        score[c] = s
        tier[c] = tier_of(s, ct_min)
        listed[c] = 1 if s < threshold else 0
        if listed[c]:
            days_listed[c] += 1


@njit(cache=True)
def penalise_representatives(penalty, s_min, s_max, listed, rep, scores):
    """Serial: each listed company takes ``penalty`` points off its legal representative
    (both records: it is no error)."""
    for c in range(len(listed)):
        if listed[c]:
            r = rep[c]
            scores[r, 0] = min(max(scores[r, 0] - penalty, s_min), s_max)
            scores[r, 1] = min(max(scores[r, 1] - penalty, s_min), s_max)
