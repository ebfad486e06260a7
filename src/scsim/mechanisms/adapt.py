"""Phase 8, adapt: fear moves toward a mix of the share of active neighbours listed or
shamed and the closeness of one's own score to the listing threshold. Fear deters
penalised behaviours in phase 1: the chilling effect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric
from scsim.core.state import LISTED
from scsim.core.step import Step, Today
from scsim.mechanisms.classify import listing_threshold
from scsim.mechanisms.ties import active_degree
from scsim.scenario.section import Probability, Section, meta, switched_off

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 8. Adapt"


# --- scenario section: ``fear`` ------------------------------------------------------------

class Fear(Section):
    enabled: bool = Field(True, description="false: fear stays 0 (no chilling effect)")
    speed: Probability = Field(0.05, description="per-day step toward the target fear",
                               json_schema_extra=meta("share per day", SOURCE))
    social_weight: Annotated[float, Field(ge=0.0)] = Field(
        0.5, description="weight of the share of active neighbours listed or shamed",
        json_schema_extra=meta("weight", SOURCE))
    self_weight: Annotated[float, Field(ge=0.0)] = Field(
        0.5, description="weight of one's own closeness to the listing threshold",
        json_schema_extra=meta("weight", SOURCE))
    margin: Annotated[float, Field(gt=0.0)] = Field(
        100.0, description="points above the listing threshold where own-score fear starts",
        json_schema_extra=meta("points", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Does fear move?"""
    return sc.fear.enabled


# --- compiled parameters -------------------------------------------------------------------

class AdaptParams(NamedTuple):
    on: bool
    speed: float  # share per day
    social_weight: float
    self_weight: float
    margin: float  # points
    threshold: float  # the listing threshold, points (-inf when none)


def compile_adapt(sc: Scenario, names: Names) -> AdaptParams:
    fe = sc.fear
    return AdaptParams(enabled(sc), fe.speed, fe.social_weight, fe.self_weight, fe.margin,
                       listing_threshold(sc))


# --- kernel --------------------------------------------------------------------------------

@njit(cache=True, parallel=True)
def adapt(p, region, started, scores, status, indptr, deg_active, nbr_listed, nbr_shamed,
          fear):
    """fear += speed * (target - fear), target = min(1, social_weight * exposure +
    self_weight * own risk); exposure counts listed and shamed neighbours (a shamed listed
    neighbour counts twice, up to all active ties); own risk is 1 while listed, else rises
    linearly from 0 at ``margin`` points above the threshold to 1 at the threshold."""
    speed, threshold, margin = p.speed, p.threshold, p.margin
    n = len(status)
    shaming = len(nbr_shamed) > 0  # none without shaming (core.state.short_arrays)
    for blk in prange(n_blocks(n)):
        lo, hi = block_bounds(blk, n)
        for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: see core.blocks
            if not started[region[i]]:
                continue
            d = active_degree(deg_active, indptr, i)
            seen = nbr_listed[i] + nbr_shamed[i] if shaming else nbr_listed[i]
            exposure = min(1.0, seen / d) if d > 0 else 0.0
            if status[i] & LISTED:
                own = 1.0
            else:
                own = min(1.0, max(0.0, (threshold + margin - scores[i, 0]) / margin))
            target = min(1.0, p.social_weight * exposure + p.self_weight * own)
            fear[i] += speed * (target - fear[i])


# --- the step ------------------------------------------------------------------------------

class Adapt(Step):
    kernels = (adapt,)

    def run(self, t: Today) -> None:
        a = t.state.agents
        adapt(t.p.adapt, a["region"], t.started, a["scores"], a["status"],
              t.state.net.indptr, a["deg_active"], a["nbr_listed"], a["nbr_shamed"], a["fear"])


# --- metrics (fear is summed by the metrics step's census) --------------------------------

FEAR_MEAN = Metric("fear_mean", "0-1", "level", "mean fear", label="mean fear",
                   headline=True, value=lambda m: m.tally.sum("fear_sum") / m.n)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="adapt", place=80,
    sections={"fear": (Fear, "fear and the chilling effect")},
    compile=compile_adapt, step=Adapt,
    advice=(switched_off("fear", "fear will stay 0 (no chilling effect)"),),
    metrics=(FEAR_MEAN,), metrics_after="score_assortativity")
