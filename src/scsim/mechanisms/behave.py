"""Phase 1, behave: agent i performs behaviour b Poisson(rate_b * m_ib * d_ib) times, with
d = exp(-conformity * fear) for penalised behaviours; sanctions block some behaviours.

Today's acts are not stored: behave adds them to the history counts and flags the agents
that acted (``ACTED``); observe and report draw the acts of those agents again with
``draw_acts``, from the same random numbers and the same state (nothing they depend on
changes before phase 4), so they get the same counts.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit, prange

from scsim.core.counters import ACTS, DETERRENCE_SUM
from scsim.core.rng import agent_hash, poisson, sub_hash, unit
from scsim.core.state import ACTED, BLOCK, LISTED, add_capped

ActModel = namedtuple("ActModel", [
    "key",  # the day's "behave" stream key
    "rate", "category", "penalised", "online", "outside", "b_key",  # per behaviour
    "propensity", "conformity", "fear", "status", "scores", "region",  # per agent
    "started", "social_media_ban", "arrest_threshold"])
"""Everything today's acts depend on (the engine builds one per day)."""


@njit(cache=True, inline="always")
def agent_context(m, i):
    """Agent i's deterrence factor d = exp(-conformity * fear) and whether a social-media
    ban or house arrest blocks some of its behaviours today."""
    d = math.exp(-m.conformity[i] * m.fear[i]) if m.fear[i] > 0.0 else 1.0
    active = m.started[m.region[i]]
    banned = m.social_media_ban and active and (m.status[i] & LISTED) != 0
    arrested = active and m.scores[i, 0] < m.arrest_threshold
    return d, banned, arrested


@njit(cache=True, inline="always")
def act_rate(m, i, b, d, banned, arrested):
    """Expected acts of behaviour b by agent i today."""
    lam = m.rate[b] * m.propensity[i, m.category[b]]
    if m.penalised[b]:
        lam *= d
    if (banned and m.online[b]) or (arrested and m.outside[b]):
        lam = 0.0
    return lam


@njit(cache=True, inline="always")
def act_uniform(m, h, b):
    """The uniform number that decides agent (hash h)'s acts of behaviour b today."""
    return unit(sub_hash(h, m.b_key[b]))


@njit(cache=True, inline="always")
def draw_acts(m, i, out):
    """Today's acts of agent i, per behaviour, into ``out`` (as behave drew them)."""
    d, banned, arrested = agent_context(m, i)
    h = agent_hash(m.key, i)
    for b in range(len(m.rate)):
        out[b] = poisson(act_uniform(m, h, b), act_rate(m, i, b, d, banned, arrested))


@njit(cache=True, parallel=True)
def behave(m, acts_total, scratch, today, tally_behaviour, tally_sums):
    """Draw today's acts, add them to ``acts_total`` and flag the agents that acted in
    ``today``; also clears the per-day score deltas (``scratch``) and the other event bits.

    Poisson(lam) is 0 when its uniform u <= 1 - lam, so a first pass over the behaviours
    only compares u with 1 - lam (branch-free, which the compiler vectorises), and only the
    few agents for which some act is possible draw their counts."""
    n = len(m.status)
    nbeh = len(m.rate)
    for blk in prange((n + BLOCK - 1) // BLOCK):
        deterrence = 0.0
        counts = np.zeros(nbeh, np.int64)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            scratch[i, 0] = 0.0
            scratch[i, 1] = 0.0
            d, banned, arrested = agent_context(m, i)
            deterrence += 1.0 - d
            h = agent_hash(m.key, i)
            possible = False
            for b in range(nbeh):
                possible |= act_uniform(m, h, b) > 1.0 - act_rate(m, i, b, d, banned, arrested)
            acted = np.uint8(0)
            if possible:
                for b in range(nbeh):
                    k = poisson(act_uniform(m, h, b), act_rate(m, i, b, d, banned, arrested))
                    if k > 0:
                        add_capped(acts_total, (i, b), k)
                        counts[b] += k
                        acted = ACTED
            today[i] = acted
        tally_behaviour[blk, ACTS, :nbeh] = counts
        tally_sums[blk, DETERRENCE_SUM] = deterrence
