"""Internalised norms (seed 000: citizens come to embrace the rules). Conformity, which
sets how much fear deters (d = exp(-conformity · fear), behave), drifts under the system:
toward 1 at rate η per day (``toward: one``), or toward the mean conformity of one's active
neighbours (``toward: neighbours``, agents without active ties keep theirs). Only where the
system has started and while the mechanism is on: a timeline that abolishes the system
switches it off, and conformity then stays where the system left it, so the chilling effect
can outlast the system (seed 000). Off unless a scenario switches it on.

The neighbours' mean is read from yesterday's conformity: a parallel pass writes the new
values into a buffer the step keeps (4 bytes per agent, ``state_bytes``; toward 1 it
updates in place), a second copies them back, so the result does not depend on the order
of agents or on threads. The step also sums conformity by block for ``conformity_mean``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.mechanism import Mechanism, after
from scsim.core.metric import Metric
from scsim.core.step import Step, Today
from scsim.scenario.section import Probability, Section, meta, switched_off
from scsim.world.network.csr import INACTIVE, neighbour, row_bounds, tie_code

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "seed 000 (citizens come to embrace the rules)"


# --- scenario section: ``norms`` -----------------------------------------------------------

class Norms(Section):
    enabled: bool = Field(False, description="true: conformity drifts under the system")
    rate: Probability = Field(0.01, description="η: per-day step of conformity toward its "
                              "target", json_schema_extra=meta("share per day", SOURCE))
    toward: Literal["one", "neighbours"] = Field(
        "one", description="the target: 1 (full conformity), or the mean conformity of "
        "one's active neighbours", json_schema_extra=meta("", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Does the scenario switch internalised norms on?"""
    return sc.norms.enabled


def buffer_bytes(sc: Scenario) -> float:
    """Bytes per agent of the step's buffer (float32 conformity, toward the neighbours)."""
    return 4.0 if enabled(sc) and sc.norms.toward == "neighbours" else 0.0


# --- compiled parameters -------------------------------------------------------------------

class NormsParams(NamedTuple):
    on: bool
    rate: float  # η, share per day
    neighbours: bool  # toward the neighbours' mean (else toward 1)


def compile_norms(sc: Scenario, names: Names) -> NormsParams:
    no = sc.norms
    return NormsParams(enabled(sc) and no.rate > 0.0, no.rate, no.toward == "neighbours")


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("norms", sums=("conformity_sum",))
S = COUNTERS.S


@njit(cache=True, inline="always")
def neighbours_mean(i, indptr, entries, conformity):
    """Mean conformity of agent i's active neighbours; its own when it has none."""
    total = 0.0
    k = 0
    start, end = row_bounds(indptr, i)
    for e in range(start, end):
        if not tie_code(entries, e) & INACTIVE:
            total += conformity[neighbour(entries, e)]
            k += 1
    return total / k if k > 0 else conformity[i]


@njit(cache=True, parallel=True)
def drift(p, region, started, indptr, entries, conformity, out):
    """out[i] = conformity[i] + η · (target - conformity[i]) where the system has started;
    unchanged elsewhere."""
    n = len(conformity)
    for blk in prange(n_blocks(n)):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            c = conformity[i]
            if started[region[i]]:
                target = neighbours_mean(i, indptr, entries, conformity) \
                    if p.neighbours else 1.0
                c += p.rate * (target - c)
            out[i] = c


@njit(cache=True, parallel=True)
def settle(new, conformity, sums):
    """Copy the new conformity in and sum it by block."""
    n = len(conformity)
    for blk in prange(n_blocks(n)):
        total = 0.0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            conformity[i] = new[i]
            total += new[i]
        sums[blk, S.conformity_sum] = total


# --- the step ------------------------------------------------------------------------------

class NormsStep(Step):
    kernels = (drift, settle)
    counters = COUNTERS

    def __init__(self, sim) -> None:
        super().__init__(sim)
        self.buffer: np.ndarray | None = None  # allocated on the first day it runs

    def run(self, t: Today) -> None:
        p, a, net = t.p.norms, t.state.agents, t.state.net
        out = a["conformity"]  # toward 1 each agent reads only its own: in place
        if p.neighbours:
            if self.buffer is None:
                self.buffer = np.empty_like(a["conformity"])
            out = self.buffer
        drift(p, a["region"], t.started, net.indptr, net.entries, a["conformity"],
              out)
        settle(out, a["conformity"], t.tally.sums["norms"])


# --- metrics -------------------------------------------------------------------------------

def _conformity_mean(m):
    if not m.p.norms.on:  # the step did not run: measure it here (rare: a timeline step)
        return float(m.state.agents["conformity"].astype(np.float64).sum() / m.n)
    return m.tally.sum("conformity_sum") / m.n


METRICS = (
    Metric("conformity_mean", "multiplier", "level", "mean conformity (how much fear "
           "deters: d = exp(-conformity · fear))", label="mean conformity", headline=True,
           value=_conformity_mean),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="norms", place=after("adapt"),
    sections={"norms": (Norms, "conformity drifts under the system (seed 000)")},
    compile=compile_norms, step=NormsStep,
    metrics=METRICS, metrics_after="fear_mean", in_use=enabled, state_bytes=buffer_bytes,
    advice=(switched_off("norms", "conformity will not drift"),))
