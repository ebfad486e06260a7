"""Phase 6, sanction and reward: while listed, travel attempts (air, train), purchases of
luxury goods and homes, and job applications happen at their own per-day rates and are
blocked and counted; listed agents lose social media; children of listed parents (one or
both) are barred from top schools; house arrest below its threshold. Agents above a
privilege's threshold who are not listed use it at its rate."""

from __future__ import annotations

from numba import njit, prange

from scsim.core.counters import (
    BLOCKED_AIR,
    BLOCKED_JOBS,
    BLOCKED_PURCHASES,
    BLOCKED_TRAIN,
    CHILDREN_BARRED,
    HOUSE_ARREST,
    SOCIAL_MEDIA_BANNED,
)
from scsim.core.rng import agent_hash, poisson, sub_hash, unit
from scsim.core.state import BLOCK, LISTED, add_capped


@njit(cache=True, inline="always")
def attempts(h, which, rate):
    return poisson(unit(sub_hash(h, which)), rate) if rate > 0.0 else 0


@njit(cache=True)
def parents_listed(i, household, household_start, status, both):
    """True when the parents of child i are listed (one of them, or both with ``both``)."""
    first = household_start[household[i]]
    one = (status[first] & LISTED) != 0
    two = (status[first + 1] & LISTED) != 0
    return (one and two) if both else (one or two)


@njit(cache=True, parallel=True)
def sanction(key, air_rate, train_rate, purchase_rate, job_rate, social_media_ban, school_bar,
             school_both_parents, arrest_threshold, p_threshold, p_rate, p_key, region,
             started, household, household_start, scores, status, blocked_tickets,
             blocked_other, privileges_used, school_barred_days, tally_counts,
             tally_privilege):
    """Blocked attempts and restrictions of listed agents, privileges used by the others."""
    n = len(status)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        arrest = 0
        barred = 0
        air_total = 0
        train_total = 0
        bought_total = 0
        applied_total = 0
        banned = 0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if not started[region[i]]:
                continue
            h = agent_hash(key, i)
            s = scores[i, 0]
            if s < arrest_threshold:
                arrest += 1
            if school_bar and i - household_start[household[i]] >= 2 and parents_listed(
                    i, household, household_start, status, school_both_parents):
                barred += 1
                add_capped(school_barred_days, i, 1)
            if status[i] & LISTED:
                air = attempts(h, 1, air_rate)
                train = attempts(h, 2, train_rate)
                bought = attempts(h, 3, purchase_rate)
                applied = attempts(h, 4, job_rate)
                air_total += air
                train_total += train
                bought_total += bought
                applied_total += applied
                add_capped(blocked_tickets, i, air + train)
                add_capped(blocked_other, i, bought + applied)
                if social_media_ban:
                    banned += 1
                continue
            # poisson(u, rate) is 0 when u <= 1 - rate: most agents use no privilege today,
            # which a branch-free pass over the privileges finds first.
            possible = False
            for p in range(len(p_rate)):
                possible |= (s >= p_threshold[p]) & (
                    unit(sub_hash(h, p_key[p])) > 1.0 - p_rate[p])
            if not possible:
                continue
            for p in range(len(p_rate)):
                if s >= p_threshold[p] and p_rate[p] > 0.0:
                    used = poisson(unit(sub_hash(h, p_key[p])), p_rate[p])
                    tally_privilege[blk, p] += used
                    add_capped(privileges_used, i, used)
        tally_counts[blk, HOUSE_ARREST] = arrest
        tally_counts[blk, CHILDREN_BARRED] = barred
        tally_counts[blk, BLOCKED_AIR] = air_total
        tally_counts[blk, BLOCKED_TRAIN] = train_total
        tally_counts[blk, BLOCKED_PURCHASES] = bought_total
        tally_counts[blk, BLOCKED_JOBS] = applied_total
        tally_counts[blk, SOCIAL_MEDIA_BANNED] = banned
