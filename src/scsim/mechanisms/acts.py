"""Today's acts: what an agent's acts of the day depend on (``ActModel``) and how they are
drawn (``draw_acts``), shared by the phases that need them.

Agent i performs behaviour b Poisson(rate_b * m_ib * d_ib) times (MODEL.md, One day, 1.
Behave), d = exp(-conformity * fear) for penalised behaviours; sanctions block some
behaviours. The acts are not stored: behave draws them for every agent (a batch at a time,
``mechanisms.behave``) and, in the same pass, observe's sightings of the agents that acted
(``mechanisms.observe.sight_acts``); report, and observe when the passes are split, draw
the acts of those agents again with ``draw_acts`` from the same random numbers and the
same state (nothing they depend on changes before phase 4), so they get the same counts.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from scsim.core.rng import agent_hash, screened_poisson
from scsim.core.state import DETAINED, LISTED

ActModel = namedtuple("ActModel", [
    "key",  # the day's "behave" stream key
    "rate", "category", "penalised", "online", "outside", "b_key",  # per behaviour
    "propensity", "conformity", "fear", "status", "scores", "region",  # per agent
    "started", "social_media_ban", "arrest_threshold"])
"""Everything today's acts depend on (behave builds one per day)."""


@njit(cache=True, inline="always")
def agent_context(m, i):
    """Agent i's deterrence factor d = exp(-conformity * fear) and whether a social-media
    ban or house arrest blocks some of its behaviours today (detention blocks both)."""
    d = math.exp(-m.conformity[i] * m.fear[i]) if m.fear[i] > 0.0 else 1.0
    active = m.started[m.region[i]]
    detained = (m.status[i] & DETAINED) != 0
    banned = (m.social_media_ban and active and (m.status[i] & LISTED) != 0) or detained
    arrested = (active and m.scores[i, 0] < m.arrest_threshold) or detained
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
def act_count(m, h, b, lam):
    """Agent (hash h)'s acts of behaviour b today, Poisson(lam), from the uniform number of
    draw ``b_key[b]`` under h (``core.rng.screened_poisson``: 0 without drawing its
    trailing bits when its leading bits, ``lead(h, b_key[b])``, are below
    ``lead_threshold(lam)``)."""
    return screened_poisson(h, m.b_key[b], lam)


@njit(cache=True, inline="always")
def draw_acts(m, i, out):
    """Today's acts of agent i, per behaviour, into ``out`` (as behave drew them)."""
    d, banned, arrested = agent_context(m, i)
    h = agent_hash(m.key, i)
    for b in range(len(m.rate)):
        out[b] = act_count(m, h, b, act_rate(m, i, b, d, banned, arrested))
