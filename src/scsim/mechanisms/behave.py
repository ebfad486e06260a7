"""Phase 1, behave: agent i performs behaviour b Poisson(rate_b * m_ib * d_ib) times, with
d = exp(-conformity * fear) for penalised behaviours; sanctions block some behaviours.

Today's acts are not stored (``mechanisms.acts``): behave adds them to the history counts,
flags the agents that acted (``ACTED``) and, in the same pass, makes observe's sightings of
their acts while they are at hand (``observe.sight_acts``; unless the run splits its
passes, ``observe.sighted_in_behave``); report draws the acts of those agents again with
``acts.draw_acts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric
from scsim.core.rng import agent_hash, halves, lead_of_halves, lead_threshold, name_id
from scsim.core.state import ACTED, add_capped, clean_column
from scsim.core.step import Step, Today
from scsim.mechanisms.acts import ActModel, act_count, agent_context
from scsim.mechanisms.observe import (
    sight_acts,
    sighted_in_behave,
    sighting_tallies,
    sightings_today,
    tally_sightings,
)
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
    category: Name = Field("general", description="category of acts: an agent "
                          "does the acts of one category more or less often alike "
                          "(population.propensity_sigma)")
    penalised: bool | None = Field(None, description="whether fear keeps people from it; "
                                   "unset: yes for an act that costs points (delta below 0)")
    severe: bool = Field(False, description="an accepted observation lists the agent directly",
                         json_schema_extra=meta("", "MODEL.md: One day, 5. Classify"))
    reportable: bool = Field(True, description="neighbours can report it (truly or falsely)",
                             json_schema_extra=meta("", "MODEL.md: One day, 3. Report"))
    online: bool = Field(False, description="impossible under a social-media ban",
                         json_schema_extra=meta("", "MODEL.md: One day, 6. Sanction"))
    outside_home: bool = Field(False, description="impossible under house arrest",
                               json_schema_extra=meta("", "MODEL.md: One day, 6. Sanction"))

    @property
    def deterred(self) -> bool:
        """Whether fear deters it: ``penalised`` as written, else whether it costs points
        (delta < 0)."""
        return self.delta < 0 if self.penalised is None else self.penalised


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
    political: np.ndarray  # uint8: a political act (detention.political, when detention
    # is used): an accepted observation of it is kept on the record (POLITICAL_RECORD)


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
        penalised=np.array([b.deterred for b in beh], u8),
        severe=np.array([b.severe for b in beh], u8),
        reportable=np.array([b.reportable for b in beh], u8),
        online=np.array([b.online for b in beh], u8),
        outside=np.array([b.outside_home for b in beh], u8),
        key=np.array([name_id("behaviour:" + b.name) for b in beh], np.uint64),
        political=np.array([b.name in sc.detention.political and "detention" in names.optional
                            for b in beh], u8),
    )


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("behave", sums=("deterrence",),
                    arrays={"acts": (np.int64, ("behaviours",))})
S = COUNTERS.S


BATCH = 256
"""Agents whose draws behave makes together (a block of agents is cut into batches): the
expected acts and their screens' thresholds of a batch, one row per behaviour, take
(8 + 4) x 8 x BATCH bytes for eight behaviours (24 KiB: they stay in the core's
first-level cache)."""


@njit(cache=True, inline="always")
def batch_rates(m, size, propensity, deter, banned, arrested, lam, lead_min):
    """``act_rate`` of every agent k of a batch (k < size) and behaviour b into
    ``lam[b, k]`` (the same bits), and its ``lead_threshold`` into ``lead_min[b, k]``,
    behaviour by behaviour in branch-free loops over the agents, from each agent's
    propensities (``propensity[category, k]``) and ``agent_context`` (``deter``,
    ``banned``, ``arrested``)."""
    for b in range(len(m.rate)):
        rate = m.rate[b]
        column = propensity[m.category[b]]
        penalised, online, outside = m.penalised[b] != 0, m.online[b] != 0, m.outside[b] != 0
        row, least = lam[b], lead_min[b]
        for k in range(size):
            x = rate * column[k]
            x = x * deter[k] if penalised else x
            blocked = (banned[k] & online) | (arrested[k] & outside)
            row[k] = 0.0 if blocked else x
        for k in range(size):
            least[k] = lead_threshold(row[k])


@njit(cache=True, inline="always")
def batch_screen(m, first, size, lead_min, hashes, low, high, possible):
    """Each agent k's hash (``hashes[k]``) of a batch and whether some act of agent
    first + k is possible (``possible[k]``): whether the leading bits of some behaviour's
    uniform number (``core.rng.lead``) reach its ``lead_min``. Behaviour by behaviour, in
    branch-free loops over the agents in 32-bit lanes that the compiler vectorises."""
    for k in range(size):
        hashes[k] = agent_hash(m.key, first + k)
        low[k], high[k] = halves(hashes[k])
        possible[k] = False
    for b in range(len(m.rate)):
        key, least = m.b_key[b], lead_min[b]
        for k in range(size):
            possible[k] = possible[k] | (lead_of_halves(low[k], high[k], key) >= least[k])


@njit(cache=True, parallel=True)
def behave(m, acts_total, scratch, today, sums, acts_count, sight, o, bk, seen_counts,
           seen_per_behaviour, impunity_counts):
    """Draw today's acts, add them to ``acts_total`` and flag the agents that acted in
    ``today``; also clears the per-day score deltas (``scratch``) and the other event bits.
    With ``sight``, also make observe's sightings of each agent of a started region that
    acted (``observe.sight_acts`` with ``o``; booked to ``bk``, counted in the last three),
    in the same pass.

    The draws are those of ``draw_acts``, made a batch of agents at a time: each agent's
    context, then the expected acts and the screen of the uniform numbers' leading bits
    behaviour by behaviour (vectorised hashing), then counts only for the few agents for
    which some act is possible (``batch_screen``), their counts by ``act_count``."""
    n = len(m.status)
    nbeh = len(m.rate)
    clean = clean_column(scratch)
    for blk in prange(n_blocks(n)):
        deterrence = 0.0
        counts = np.zeros(nbeh, np.int64)
        acts = np.empty(nbeh, np.int64)
        seen = np.zeros(nbeh, np.int64)
        wrong = 0
        dropped = 0
        lam = np.empty((nbeh, BATCH))
        lead_min = np.empty((nbeh, BATCH), np.int32)
        propensity = np.empty((m.propensity.shape[1], BATCH), np.float32)
        deter = np.empty(BATCH)
        banned = np.empty(BATCH, np.bool_)
        arrested = np.empty(BATCH, np.bool_)
        hashes = np.empty(BATCH, np.uint64)
        low = np.empty(BATCH, np.uint32)
        high = np.empty(BATCH, np.uint32)
        possible = np.empty(BATCH, np.bool_)
        lo, hi = block_bounds(blk, n)
        for first in range(lo, hi, BATCH):
            size = min(BATCH, hi - first)
            for k in range(size):
                agent = np.uint64(first + k)  # an unsigned position: see core.blocks
                scratch[agent, 0] = 0.0
                if clean:
                    scratch[agent, clean] = 0.0
                d, banned[k], arrested[k] = agent_context(m, agent)
                deter[k] = d
                deterrence += 1.0 - d
                for c in range(propensity.shape[0]):
                    propensity[c, k] = m.propensity[agent, c]
            batch_rates(m, size, propensity, deter, banned, arrested, lam, lead_min)
            batch_screen(m, first, size, lead_min, hashes, low, high, possible)
            for k in range(size):
                i = first + k
                acted = np.uint8(0)
                if possible[k]:
                    for b in range(nbeh):
                        c = act_count(m, hashes[k], b, lam[b, k])
                        acts[b] = c
                        if c > 0:
                            add_capped(acts_total, (i, b), c)
                            counts[b] += c
                            acted = ACTED
                today[np.uint64(i)] = acted
                if sight and acted and o.started[o.region[i]]:
                    w, dr = sight_acts(o, i, acts, scratch, today, m.status, bk, seen)
                    wrong += w
                    dropped += dr
        acts_count[blk, :nbeh] = counts
        sums[blk, S.deterrence] = deterrence
        if sight:
            tally_sightings(seen_counts, seen_per_behaviour, impunity_counts, blk, seen, wrong,
                            dropped)


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
               t.tally.arrays["acts"], sighted_in_behave(self.sim, p), sightings_today(t),
               *sighting_tallies(t))


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
              label="acts of NAME", per="behaviours", headline=True,
              value=lambda m: m.tally.total("acts")[: len(m.names.behaviours)])


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="behave", place=10,
    sections={"behaviours": (list[Behaviour], "good and bad acts")},
    compile=compile_behaviours, step=Behave,
    metrics=(DETERRENCE_MEAN, PENALISED_ACTS), metrics_after="fear_mean")
