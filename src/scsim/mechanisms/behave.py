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
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric
from scsim.core.rng import agent_hash, name_id, poisson, sub_hash, unit
from scsim.core.state import ACTED, DETAINED, LISTED, add_capped, clean_column
from scsim.core.step import Step, Today
from scsim.scenario.section import Name, Section, meta

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 1. Behave"


# --- scenario section: the list ``behaviours`` ---------------------------------------------

class Behaviour(Section):
    name: Name = Field(description="label used in metric columns (acts_NAME)")
    rate: Annotated[float, Field(ge=0.0, le=50.0)] = Field(
        description="acts per agent per day at propensity 1",
        json_schema_extra=meta("acts per agent per day", SOURCE))
    delta: float = Field(description="points per accepted observation (< 0 penalised)",
                         json_schema_extra=meta("points", "MODEL.md: One day, 4. Score"))
    channel: Name = Field(description="surveillance channel that can see it",
                          json_schema_extra=meta("", "MODEL.md: One day, 2. Observe"))
    category: Name = Field("general", description="propensity category")
    penalised: bool | None = Field(None, description="deterred by fear; default delta < 0")
    severe: bool = Field(False, description="an accepted observation lists the agent directly",
                         json_schema_extra=meta("", "MODEL.md: One day, 5. Classify"))
    reportable: bool = Field(True, description="neighbours can report it (truly or falsely)",
                             json_schema_extra=meta("", "MODEL.md: One day, 3. Report"))
    online: bool = Field(False, description="impossible under a social-media ban",
                         json_schema_extra=meta("", "MODEL.md: One day, 6. Sanction"))
    outside_home: bool = Field(False, description="impossible under house arrest",
                               json_schema_extra=meta("", "MODEL.md: One day, 6. Sanction"))


# --- compiled parameters -------------------------------------------------------------------

class Behaviours(NamedTuple):
    """The behaviours of a scenario as arrays, one entry per behaviour (B)."""

    on: bool  # always: acts are drawn every day (with no behaviours, none)
    rate: np.ndarray  # float64, acts per agent-day at propensity 1
    delta: np.ndarray  # float64, points per accepted observation
    category: np.ndarray  # int32, column of the propensity array
    channel: np.ndarray  # int32
    penalised: np.ndarray  # uint8: deterred by fear
    severe: np.ndarray  # uint8
    reportable: np.ndarray  # uint8
    online: np.ndarray  # uint8
    outside: np.ndarray  # uint8
    key: np.ndarray  # uint64 name ids (common random numbers across scenarios)


def compile_behaviours(sc: Scenario, names: Names) -> Behaviours:
    beh = sc.behaviours
    channels = {c: k for k, c in enumerate(names.channels)}
    u8 = np.uint8
    return Behaviours(
        on=True,
        rate=np.array([b.rate for b in beh], np.float64),
        delta=np.array([b.delta for b in beh], np.float64),
        category=np.array([names.categories.index(b.category) for b in beh], np.int32),
        channel=np.array([channels[b.channel] for b in beh], np.int32),
        penalised=np.array([b.delta < 0 if b.penalised is None else b.penalised for b in beh],
                           u8),
        severe=np.array([b.severe for b in beh], u8),
        reportable=np.array([b.reportable for b in beh], u8),
        online=np.array([b.online for b in beh], u8),
        outside=np.array([b.outside_home for b in beh], u8),
        key=np.array([name_id("behaviour:" + b.name) for b in beh], np.uint64),
    )


ActModel = namedtuple("ActModel", [
    "key",  # the day's "behave" stream key
    "rate", "category", "penalised", "online", "outside", "b_key",  # per behaviour
    "propensity", "conformity", "fear", "status", "scores", "region",  # per agent
    "started", "social_media_ban", "arrest_threshold"])
"""Everything today's acts depend on (behave builds one per day)."""


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("behave", sums=("deterrence",),
                    arrays={"acts": (np.int64, ("behaviours",))})
S = COUNTERS.S


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


BATCH = 256
"""Agents whose draws behave makes together (a block of agents is cut into batches): the
expected acts and uniform numbers of a batch, one row per behaviour, take 2 x 8 x BATCH x
8 bytes for eight behaviours (32 KiB: they stay in the core's first-level cache)."""


@njit(cache=True, inline="always")
def batch_rates(m, size, propensity, deter, banned, arrested, lam):
    """``act_rate`` of every agent k of a batch (k < size) and behaviour b into
    ``lam[b, k]`` (the same bits), behaviour by behaviour in branch-free loops over the
    agents, from each agent's propensities (``propensity[category, k]``) and
    ``agent_context`` (``deter``, ``banned``, ``arrested``)."""
    for b in range(len(m.rate)):
        rate = m.rate[b]
        column = propensity[m.category[b]]
        penalised, online, outside = m.penalised[b] != 0, m.online[b] != 0, m.outside[b] != 0
        row = lam[b]
        for k in range(size):
            x = rate * column[k]
            x = x * deter[k] if penalised else x
            blocked = (banned[k] & online) | (arrested[k] & outside)
            row[k] = 0.0 if blocked else x


@njit(cache=True, inline="always")
def batch_uniforms(m, first, size, hashes, u, lam, possible):
    """The uniform numbers of every agent and behaviour of a batch (``act_uniform``, the
    same bits), behaviour by behaviour in branch-free loops over the agents that the
    compiler vectorises; ``possible[k]``: whether some act of agent first + k is possible
    (some u > 1 - lam, see ``poisson``)."""
    for k in range(size):
        hashes[k] = agent_hash(m.key, first + k)
        possible[k] = False
    for b in range(len(m.rate)):
        row, rates = u[b], lam[b]
        for k in range(size):
            x = act_uniform(m, hashes[k], b)
            row[k] = x
            possible[k] = possible[k] | (x > 1.0 - rates[k])


@njit(cache=True, parallel=True)
def behave(m, acts_total, scratch, today, sums, acts_count):
    """Draw today's acts, add them to ``acts_total`` and flag the agents that acted in
    ``today``; also clears the per-day score deltas (``scratch``) and the other event bits.

    The draws are those of ``draw_acts``, made a batch of agents at a time: each agent's
    context, then the expected acts and the uniform numbers behaviour by behaviour
    (vectorised hashing), then counts only for the few agents for which some act is
    possible (a Poisson(lam) count is 0 when its uniform u <= 1 - lam)."""
    n = len(m.status)
    nbeh = len(m.rate)
    clean = clean_column(scratch)
    for blk in prange(n_blocks(n)):
        deterrence = 0.0
        counts = np.zeros(nbeh, np.int64)
        lam = np.empty((nbeh, BATCH))
        u = np.empty((nbeh, BATCH))
        propensity = np.empty((m.propensity.shape[1], BATCH), np.float32)
        deter = np.empty(BATCH)
        banned = np.empty(BATCH, np.bool_)
        arrested = np.empty(BATCH, np.bool_)
        hashes = np.empty(BATCH, np.uint64)
        possible = np.empty(BATCH, np.bool_)
        lo, hi = block_bounds(blk, n)
        for first in range(lo, hi, BATCH):
            size = min(BATCH, hi - first)
            for k in range(size):
                scratch[first + k, 0] = 0.0
                if clean:
                    scratch[first + k, clean] = 0.0
                d, banned[k], arrested[k] = agent_context(m, first + k)
                deter[k] = d
                deterrence += 1.0 - d
                for c in range(propensity.shape[0]):
                    propensity[c, k] = m.propensity[first + k, c]
            batch_rates(m, size, propensity, deter, banned, arrested, lam)
            batch_uniforms(m, first, size, hashes, u, lam, possible)
            for k in range(size):
                acted = np.uint8(0)
                if possible[k]:
                    for b in range(nbeh):
                        c = poisson(u[b, k], lam[b, k])
                        if c > 0:
                            add_capped(acts_total, (first + k, b), c)
                            counts[b] += c
                            acted = ACTED
                today[first + k] = acted
        acts_count[blk, :nbeh] = counts
        sums[blk, S.deterrence] = deterrence


# --- the step ------------------------------------------------------------------------------

class Behave(Step):
    kernels = (behave,)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        p, a = t.p, t.state.agents
        b = p.behave
        t.acts = ActModel(
            t.key("behave"), b.rate, b.category, b.penalised, b.online, b.outside, b.key,
            a["propensity"], a["conformity"], a["fear"], a["status"], a["scores"],
            a["region"], t.started, bool(p.sanction.social_media_ban),
            float(p.sanction.arrest_threshold))
        behave(t.acts, a["acts_total"], a["scratch"], a["today"], t.tally.sums["behave"],
               t.tally.arrays["acts"])


# --- metrics -------------------------------------------------------------------------------

DETERRENCE_MEAN = Metric(
    "deterrence_mean", "share", "level", "mean share of penalised acts deterred by fear, "
    "1 - exp(-conformity * fear)", label="acts deterred", headline=True,
    value=lambda m: m.tally.sum("deterrence") / m.n)


def _penalised_acts(m):
    beh = m.tally.total("acts")
    penalised = m.p.behave.penalised.astype(bool)
    return beh[: len(penalised)][penalised].sum()


PENALISED_ACTS = Metric("penalised_acts", "acts per day", "count",
                        "acts of penalised behaviours (the chilling effect shows here)",
                        headline=True, value=_penalised_acts)
ACTS = Metric("acts_{}", "acts per day", "count", "acts of behaviour NAME",
              per="behaviours", headline=True,
              value=lambda m: m.tally.total("acts")[: len(m.names.behaviours)])


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="behave", place=10,
    sections={"behaviours": (list[Behaviour], "good and bad acts")},
    compile=compile_behaviours, step=Behave,
    metrics=(DETERRENCE_MEAN, PENALISED_ACTS), metrics_after="fear_mean")
