"""Phase 5, classify: tiers by thresholds; listing below the threshold or on an accepted
severe act for a fixed term; renewal at term end, removal on compliance or a won appeal.
A listing is wrongful when the error-free record would not have listed the agent that day."""

from __future__ import annotations

from numba import njit, prange

from scsim.core.counters import (
    APPEALS,
    APPEALS_WON,
    COMPLIED,
    NEWLY_LISTED,
    RENEWED,
    SEVERE_LISTINGS,
    WRONGFUL_NEW,
)
from scsim.core.counters import (
    DELISTED as T_DELISTED,
)
from scsim.core.rng import G1, G2, agent_hash, mix64, unit
from scsim.core.state import (
    BLOCK,
    DELISTED,
    LISTED,
    NEW_LISTED,
    PROTECTED,
    SEVERE_CLEAN,
    SEVERE_REAL,
    SHAMED,
    WRONGFUL,
    add_capped,
)
from scsim.mechanisms.ties import broadcast


@njit(cache=True, inline="always")
def tier_of(s, tier_min):
    """Index of the tier of score s; tiers are ordered from the highest threshold down and
    the last one takes everything below."""
    t = 0
    while t < len(tier_min) - 1 and s < tier_min[t]:
        t += 1
    return t


@njit(cache=True, parallel=True)
def classify(key, day, listing, threshold, duration, severe_duration, renew, compliance,
             appeal_rate, appeal_win, appeal_win_wrongful, correct_record, protection_days,
             tier_min, region, started, scores, tier, status, today, listed_until,
             times_listed, days_listed, wrongful_listings, tally_counts, block_events):
    """Tier, listing and delisting decisions for every agent of a started region."""
    n = len(status)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        changed = 0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            if not started[region[i]]:
                continue
            s = scores[i, 0]
            tier[i] = tier_of(s, tier_min)
            if not listing:
                continue
            st = status[i]
            ev = today[i]
            if st & LISTED:
                add_capped(days_listed, i, 1)
                h = agent_hash(key, i)
                free = False
                if ev & SEVERE_REAL:
                    listed_until[i] = max(listed_until[i], day + severe_duration)
                elif listed_until[i] <= day:
                    if renew and s < threshold:
                        listed_until[i] = day + duration
                        tally_counts[blk, RENEWED] += 1
                    else:
                        free = True
                elif compliance > 0.0 and unit(h) < compliance:
                    free = True
                    tally_counts[blk, COMPLIED] += 1
                elif appeal_rate > 0.0 and unit(mix64(h ^ G1)) < appeal_rate:
                    tally_counts[blk, APPEALS] += 1
                    win = appeal_win_wrongful if st & WRONGFUL else appeal_win
                    if unit(mix64(h ^ G2)) < win:
                        free = True
                        tally_counts[blk, APPEALS_WON] += 1
                        if correct_record:
                            scores[i, 0] = scores[i, 1]
                            tier[i] = tier_of(scores[i, 0], tier_min)
                        listed_until[i] = day + protection_days
                        st |= PROTECTED
                if free:
                    # WRONGFUL and SHAMED stay set until the serial pass has told the
                    # neighbours what they lose sight of.
                    status[i] = st & ~LISTED
                    today[i] = ev | DELISTED
                    tally_counts[blk, T_DELISTED] += 1
                    changed = 1
                else:
                    status[i] = st
                continue
            protected = (st & PROTECTED) != 0 and listed_until[i] > day
            if (st & PROTECTED) and not protected:
                st &= ~PROTECTED
            severe = (ev & SEVERE_REAL) != 0
            if severe or (s < threshold and not protected):
                rightful = (ev & SEVERE_CLEAN) != 0 or scores[i, 1] < threshold
                st |= LISTED
                st &= ~PROTECTED
                listed_until[i] = day + (severe_duration if severe else duration)
                add_capped(times_listed, i, 1)
                tally_counts[blk, NEWLY_LISTED] += 1
                if severe:
                    tally_counts[blk, SEVERE_LISTINGS] += 1
                if not rightful:
                    st |= WRONGFUL
                    add_capped(wrongful_listings, i, 1)
                    tally_counts[blk, WRONGFUL_NEW] += 1
                today[i] = ev | NEW_LISTED
                changed = 1
            status[i] = st
        block_events[blk] = changed


@njit(cache=True)
def announce_listings(indptr, indices, tie, status, today, nbr_listed, nbr_clean_listed,
                      nbr_shamed, block_events):
    """Serial: neighbours of newly listed and delisted agents update what they see."""
    n = len(status)
    for blk in range(len(block_events)):
        if block_events[blk] == 0:
            continue
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            ev = today[i]
            st = status[i]
            rightful = 0 if st & WRONGFUL else 1
            if ev & NEW_LISTED:
                broadcast(i, 1, rightful, 0, indptr, indices, tie, nbr_listed,
                          nbr_clean_listed, nbr_shamed)
            elif ev & DELISTED:
                shamed = 1 if st & SHAMED else 0
                broadcast(i, -1, -rightful, -shamed, indptr, indices, tie, nbr_listed,
                          nbr_clean_listed, nbr_shamed)
                status[i] = st & ~(WRONGFUL | SHAMED)


@njit(cache=True, parallel=True)
def assign_tiers(scores, tier_min, tier):
    """Tier of every agent from its recorded score (day 0)."""
    for i in prange(len(tier)):
        tier[i] = tier_of(scores[i, 0], tier_min)
