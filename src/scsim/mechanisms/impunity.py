"""Impunity of the powerful (seed 002: abuse by the powerful). Every agent has a status
trait, its power: a uniform number in [0, 1) drawn once from the ``population:power`` stream
(a pure function of the seed and the agent, so it needs no memory), which is also its
quantile in the population. Against an agent whose power is at or above the status
quantile ``quantile``, each observation (its own acts sighted by a channel, and other
agents' acts that facial recognition pins on it), each true report of its unseen acts and
each false report that the system accepts is **dropped** from its recorded score with
probability ``p_impunity``. The error-free score keeps the observations and true reports
(they happened), so impunity shows as a recorded score above the error-free one.
Off unless a scenario switches it on.

Observe (``sight_acts``, ``misattribute``) and report call ``shielded`` and ``is_dropped``
and count what they drop in this mechanism's counters
(one ``ImpunityToday`` per day, built by ``impunity_today``). This module's own step runs at
the end of the day and counts agents and listed agents by status decile.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.mechanism import Mechanism, after
from scsim.core.metric import Metric, counter
from scsim.core.rng import agent_hash, stream_key, sub_hash, unit
from scsim.core.state import LISTED
from scsim.core.step import Step, Today
from scsim.scenario.section import Probability, Section, meta, switched_off

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "seed 002 (abuse by the powerful)"
DECILES = 10


# --- scenario section: ``impunity`` --------------------------------------------------------

class Impunity(Section):
    enabled: bool = Field(False, description="true: observations and reports against the "
                          "powerful are dropped")
    quantile: Probability = Field(0.9, description="how powerful one must be to be "
                                  "shielded, as the share of people less powerful (0.9: the "
                                  "top 10 % are shielded)",
                                  json_schema_extra=meta("quantile", SOURCE))
    p_impunity: Probability = Field(0.5, description="probability that an observation or "
                                    "accepted report against a shielded agent is dropped",
                                    json_schema_extra=meta("probability per observation",
                                                           SOURCE))


def enabled(sc: Scenario) -> bool:
    """Does the scenario switch impunity on?"""
    return sc.impunity.enabled


def drops(sc: Scenario) -> bool:
    """Can impunity drop anything from the recorded score (which the error-free score
    keeps), so that the two records differ (``Names.errors``)?"""
    return enabled(sc) and sc.impunity.p_impunity > 0


# --- compiled parameters and the day's context ---------------------------------------------

class ImpunityParams(NamedTuple):
    on: bool  # used in some epoch: the listing rates by status decile are measured
    quantile: float
    p_drop: float  # probability per observation or report; 0 when off in this epoch


def compile_impunity(sc: Scenario, names: Names) -> ImpunityParams:
    im = sc.impunity
    return ImpunityParams("impunity" in names.optional, im.quantile,
                          im.p_impunity if enabled(sc) else 0.0)


ImpunityToday = namedtuple("ImpunityToday", ["p_drop", "quantile", "power_key", "drop_key"])
"""What observe and report need to drop observations today."""


def impunity_today(t: Today) -> ImpunityToday:
    p = t.p.impunity
    return ImpunityToday(p.p_drop, p.quantile, power_key(t.seed), t.key("impunity"))


def power_key(seed: int) -> np.uint64:
    """The stream of the agents' power (not daily: a trait)."""
    return stream_key(seed, "population:power")


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("impunity", counts=("dropped_observations", "dropped_reports"),
                    arrays={"decile_agents": (np.int64, (DECILES,)),
                            "decile_listed": (np.int64, (DECILES,))})
C = COUNTERS.C


@njit(cache=True, inline="always")
def power(key, i):
    """Agent i's power, uniform in [0, 1): its status trait and its quantile."""
    return unit(agent_hash(key, i))


@njit(cache=True, inline="always")
def shielded(imp, i):
    """The hash of agent i's drops today when impunity can drop observations against it,
    else 0."""
    if imp.p_drop <= 0.0 or power(imp.power_key, i) < imp.quantile:
        return np.uint64(0)
    return agent_hash(imp.drop_key, i) | np.uint64(1)


@njit(cache=True, inline="always")
def is_dropped(hd, k, p_drop):
    """Whether impunity drops the observation or accepted report keyed ``k`` (a draw
    number of ``sub_hash``) against the agent whose drop hash today is ``hd``
    (``shielded``; 0 for an agent it does not shield): with probability ``p_drop``."""
    return hd != 0 and unit(sub_hash(hd, k)) < p_drop


@njit(cache=True, parallel=True)
def deciles(key, status, agents, listed):
    """Agents and listed agents by power decile, block by block."""
    n = len(status)
    for blk in prange(n_blocks(n)):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            d = min(int(power(key, i) * DECILES), DECILES - 1)
            agents[blk, d] += 1
            if status[i] & LISTED:
                listed[blk, d] += 1


# --- the step ------------------------------------------------------------------------------

class ImpunityStep(Step):
    kernels = (deciles,)
    counters = COUNTERS

    def run(self, t: Today) -> None:
        arrays = t.tally.arrays
        deciles(power_key(t.seed), t.state.agents["status"], arrays["decile_agents"],
                arrays["decile_listed"])


# --- metrics -------------------------------------------------------------------------------

def _decile_share(d: int):
    def value(m):
        agents = m.tally.total("decile_agents")[d]
        return m.tally.total("decile_listed")[d] / agents if agents else np.nan
    return value


METRICS = (
    Metric("dropped_observations", "observations per day", "count", "observations of "
           "shielded (powerful) agents dropped from their recorded score",
           label="observations dropped (impunity)", headline=True,
           value=counter("dropped_observations")),
    Metric("dropped_reports", "reports per day", "count", "accepted true and false reports "
           "against shielded agents dropped from their recorded score",
           label="reports dropped (impunity)", value=counter("dropped_reports")),
    *(Metric(f"listed_share_status_d{d + 1}", "share", "level", f"share of the agents of "
             f"status decile {d + 1} (power {d / DECILES:.1f}-{(d + 1) / DECILES:.1f}) listed "
             "now", label=f"listed, status decile {d + 1}", value=_decile_share(d))
      for d in range(DECILES)),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="impunity", place=after("companies"),
    sections={"impunity": (Impunity, "observations against the powerful dropped (seed 002)")},
    compile=compile_impunity, step=ImpunityStep,
    metrics=METRICS, metrics_after="false_reports_accepted", in_use=enabled, errs=drops,
    advice=(switched_off("impunity", "nothing against the powerful will be dropped"),))
