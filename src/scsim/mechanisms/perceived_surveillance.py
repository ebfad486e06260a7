"""Perceived surveillance (seed 001: people behave because they believe they are watched).
Fear also moves toward κ times the surveillance coverage the agents of a region perceive:
the coverage announced there, which may differ from the real coverage of the channel
(``surveillance.channels``), or the real one when nothing is announced. Off unless a
scenario switches it on; it needs fear (``fear.enabled``).

It runs right after adapt, with the same speed: adapt moves fear by ``speed · (target -
fear)``, this step adds ``speed · κ · perceived[region]`` (fear at most 1), so fear settles
at adapt's target plus κ · perceived. It also measures mean fear and the share of
penalised acts fear deters, 1 - exp(-conformity · fear), by region (block sums in a fixed
order: the same at any number of threads).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, n_blocks
from scsim.core.counters import Counters
from scsim.core.mechanism import Mechanism, after
from scsim.core.metric import Metric, PerName
from scsim.core.step import Step, Today
from scsim.scenario.section import (
    Advice,
    Name,
    Probability,
    Section,
    Written,
    meta,
    overridden,
    switched_off,
)

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "seed 001 (people behave because they believe they are watched)"


# --- scenario section: ``perceived_surveillance`` ------------------------------------------

class PerceivedSurveillance(Section):
    enabled: bool = Field(False, description="true: fear also moves toward κ · the "
                          "perceived coverage of one's region")
    kappa: Annotated[float, Field(ge=0.0)] = Field(
        1.0, description="κ: fear per unit of perceived coverage (added to adapt's target)",
        json_schema_extra=meta("fear per unit of coverage", SOURCE))
    channel: Name = Field("camera", description="the surveillance channel whose coverage "
                          "is announced (its real coverage when nothing is announced)")
    announced: Probability | list[Probability] | None = Field(
        None, description="announced coverage, one value or one per region (none: the "
        "real coverage of `channel`)",
        json_schema_extra=meta("probability per act", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Does the scenario switch perceived surveillance on?"""
    return sc.perceived_surveillance.enabled


def check(sc: Scenario) -> list[tuple[tuple, str]]:
    """The announced coverage has one value per region even while the mechanism is off (a
    timeline may switch it on); the channel is checked only when on."""
    ps, out = sc.perceived_surveillance, []
    if isinstance(ps.announced, list) and len(ps.announced) != sc.regions.count:
        out.append((("perceived_surveillance", "announced"), f"{len(ps.announced)} values "
                    f"for {sc.regions.count} regions"))
    if ps.enabled and ps.channel not in sc.surveillance.channels:
        out.append((("perceived_surveillance", "channel"), f"unknown channel '{ps.channel}' "
                    f"(known: {', '.join(sc.surveillance.channels)})"))
    return out


def channel_unused(sc: Scenario, written: Written) -> bool | Advice | None:
    """A channel named while a coverage is announced: fear follows the announced coverage,
    and the channel's real one is used nowhere."""
    ps = sc.perceived_surveillance
    if not (ps.enabled and sc.fear.enabled):
        return None
    if ps.announced is None:
        return True
    return overridden(written, ("perceived_surveillance", "channel"),
                      ("perceived_surveillance", "announced"), "is set", "fear follows the "
                      "announced coverage, not the channel's", "perceived_surveillance."
                      "announced: null (perceived coverage = the channel's real one)")


# --- compiled parameters -------------------------------------------------------------------

class PerceivedParams(NamedTuple):
    on: bool
    speed: float  # fear.speed: share per day
    pull: np.ndarray  # float64 (regions): κ · perceived coverage, fear


def compile_perceived(sc: Scenario, names: Names) -> PerceivedParams:
    ps, nreg = sc.perceived_surveillance, sc.regions.count
    on = enabled(sc) and sc.fear.enabled
    if not on:
        return PerceivedParams(on, sc.fear.speed, np.zeros(nreg))
    if ps.announced is None:
        ch = sc.surveillance.channels.get(ps.channel)
        real = 0.0 if ch is None or not sc.surveillance.enabled else (
            ch.by_region or ch.coverage)
        perceived = np.broadcast_to(np.asarray(real, np.float64), nreg)
    else:
        perceived = np.broadcast_to(np.asarray(ps.announced, np.float64), nreg)
    return PerceivedParams(on, sc.fear.speed, ps.kappa * perceived.copy())


# --- counters and kernel -------------------------------------------------------------------

COUNTERS = Counters("perceived_surveillance",
                    arrays={"region_fear": (np.float64, ("regions",)),
                            "region_deterrence": (np.float64, ("regions",))})


@njit(cache=True, parallel=True)
def perceive(p, region, started, conformity, fear, region_fear, region_deterrence):
    """fear += speed · κ · perceived[region] (at most 1) in started regions; then the sums
    of fear and of 1 - exp(-conformity · fear) by region."""
    n = len(fear)
    for blk in prange(n_blocks(n)):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            r = region[i]
            if started[r]:
                fear[i] = min(1.0, fear[i] + p.speed * p.pull[r])
            region_fear[blk, r] += fear[i]
            region_deterrence[blk, r] += 1.0 - math.exp(-conformity[i] * fear[i])


# --- the step ------------------------------------------------------------------------------

class PerceivedStep(Step):
    kernels = (perceive,)

    counters = COUNTERS

    def run(self, t: Today) -> None:
        a, arrays = t.state.agents, t.tally.arrays
        perceive(t.p.perceived_surveillance, a["region"], t.started, a["conformity"],
                 a["fear"], arrays["region_fear"], arrays["region_deterrence"])


# --- metrics -------------------------------------------------------------------------------

def _by_region(name: str):
    return lambda m: m.tally.total(name) / np.diff(m.state.region_start)


METRICS = (
    PerName("regions",
            Metric("fear_region_{}", "0-1", "level", "mean fear in region NAME (at the end "
                   "of the day)", label="mean fear, region NAME", per="regions",
                   value=_by_region("region_fear")),
            Metric("deterrence_region_{}", "share", "level", "mean share of penalised acts "
                   "that fear deters in region NAME, 1 - exp(-conformity · fear), at the end "
                   "of the day", label="acts deterred, region NAME", per="regions",
                   value=_by_region("region_deterrence"))),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="perceived_surveillance", place=after("adapt"),
    sections={"perceived_surveillance": (PerceivedSurveillance, "announced surveillance "
                                         "drives fear (seed 001)")},
    compile=compile_perceived, step=PerceivedStep,
    metrics=METRICS, metrics_after="penalised_acts", in_use=enabled, check=check,
    advice=(channel_unused, switched_off("perceived_surveillance",
                                         "fear will not move toward the perceived coverage")))
