"""A scenario compiled to the numbers and arrays the kernels read: one typed record per
mechanism (a NamedTuple declared and compiled in its module, ``mechanisms/*.py``), composed
here from the mechanisms' declarations (``core.mechanism``).

Switched-off mechanisms compile to neutral values (zero rates, zero coverage, infinite
thresholds) and ``on=False``, which the day plan reads to skip their steps; the names of
things (behaviours, groups, tiers, privileges) keep their positions so metric columns stay
fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Any

import numpy as np

from scsim.core.mechanism import mechanisms
from scsim.core.source import CAUSES, UNKNOWN_CAUSE
from scsim.scenario.schema import Scenario

NEVER = np.int32(2**31 - 1)  # a day that never comes


@dataclass(frozen=True)
class Names:
    """The named things of a scenario, in column order. Fixed for a whole run."""

    behaviours: list[str]
    categories: list[str]
    channels: list[str]
    groups: list[str]
    reference_group: int
    tiers: list[str]  # ordered from the highest threshold down
    privileges: list[str]
    company_events: list[str]
    company_tiers: list[str]  # highest threshold first
    sectors: list[str]
    regions: list[str]  # "0", "1", ...: regions are numbered
    # Mechanisms that are off by default (``Mechanism.in_use``) and that this scenario
    # switches on in some epoch of its timeline: their metric columns are in its table.
    optional: list[str] = field(default_factory=list)
    # Sources of points (core.source) of the mechanisms in its table, in ledger order, and
    # those that move the error-free score (not errors of the system).
    sources: list[str] = field(default_factory=list)
    clean_sources: list[str] = field(default_factory=list)
    # Causes of wrongful listings: CAUSES, or UNKNOWN_CAUSE alone without per-agent sources.
    causes: list[str] = field(default_factory=lambda: list(CAUSES))
    # Whether an error of the system (an ``error`` source: misattribution, false report)
    # can happen in some epoch; if not, the error-free score equals the recorded one.
    errors: bool = True
    # Whether every agent's points by source are kept (metrics.per_agent_sources): the
    # per-agent ledger, who was mistaken for whom, the causes of wrongful listings.
    per_agent_sources: bool = True
    # Agent arrays that no mechanism can use in any epoch (``Mechanism.arrays``: malice
    # without false reports, the shaming counts and ties lost without shaming, the active
    # degree when no tie can be severed or suspended): the state keeps no rows of them
    # (``core.state.short_arrays``). Not compared: a branch may switch those
    # mechanisms on or off (``core.checkpoint.load`` gives the arrays their rows).
    unused_arrays: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, sc: Scenario) -> Names:
        groups = [g.name for g in sc.population.groups]
        ref = sc.population.reference_group or groups[0]
        categories = list(dict.fromkeys(b.category for b in sc.behaviours)) or ["general"]
        optional = optional_in_use(sc)
        epochs = scenario_epochs(sc)
        per_agent = sc.metrics.per_agent_sources
        used = [s for m in mechanisms() if m.sources is not None
                and (m.in_use is None or m.name in optional) for s in m.sources.declared]
        return cls(
            behaviours=[b.name for b in sc.behaviours],
            categories=categories,
            channels=list(sc.surveillance.channels),
            groups=groups,
            reference_group=groups.index(ref),
            tiers=[t.name for t in sorted(sc.tiers, key=lambda t: -t.min)],
            privileges=[p.name for p in sc.privileges.grants],
            company_events=[e.name for e in sc.companies.events],
            company_tiers=[t.name for t in sorted(sc.companies.tiers, key=lambda t: -t.min)],
            sectors=list(sc.companies.sectors),
            regions=[str(r) for r in range(sc.regions.count)],
            optional=optional,
            sources=[s.name for s in used],
            clean_sources=[s.name for s in used if s.moves_clean],
            causes=list(CAUSES) if per_agent else [UNKNOWN_CAUSE],
            errors=any(m.errs(s) for m in mechanisms() if m.errs is not None for s in epochs),
            per_agent_sources=per_agent,
            unused_arrays=unused_arrays(epochs),
        )


def unused_arrays(epochs: list[Scenario]) -> tuple[str, ...]:
    """The agent arrays (``Mechanism.arrays``) that none of the mechanisms naming them can
    use in any of these epochs (``deg_active`` is named by shaming, which severs ties, and
    by detention, which suspends them), in the order the mechanisms name them."""
    declared = dict.fromkeys(a for m in mechanisms() for a in m.arrays)
    return tuple(a for a in declared if not any(
        m.arrays_used(s) for m in mechanisms() if a in m.arrays for s in epochs))


def scenario_epochs(sc: Scenario) -> list[Scenario]:
    """The scenario in force in each epoch of its timeline (``sc`` alone without one)."""
    if not sc.timeline:
        return [sc]
    from scsim.scenario.loader import timeline_epochs

    return [s for _, s in timeline_epochs(sc)]


def optional_in_use(sc: Scenario) -> list[str]:
    """The off-by-default mechanisms that ``sc`` (or a step of its timeline) switches on."""
    optional = [m for m in mechanisms() if m.in_use is not None]
    if not optional:
        return []
    epochs = scenario_epochs(sc)
    return [m.name for m in optional if any(m.in_use(s) for s in epochs)]


Params = make_dataclass(
    "Params",
    [("region_start_day", np.ndarray),  # int32 (regions): day the system starts there
     *((m.name, Any) for m in mechanisms())],
    frozen=True)
Params.__module__ = __name__
Params.__doc__ = """The compiled parameters of one epoch of a run (the timeline can swap them on
a given day): ``region_start_day`` (int32 per region, the day the system starts there) and
one record per mechanism, named after it (``p.sanction``, ``p.shunning``...)."""


def region_start_days(sc: Scenario) -> np.ndarray:
    """The day the system starts in each region under ``sc``'s rollout (int32 per region;
    NEVER for a region no step names): a region named by several steps starts at the
    earliest."""
    nreg = sc.regions.count
    start = np.full(nreg, NEVER, np.int32)
    for step in sorted(sc.regions.rollout, key=lambda s: -s.day):
        chosen = range(nreg) if step.regions == "all" else step.regions
        start[list(chosen)] = step.day
    return start


def started_by_day(sc: Scenario) -> np.ndarray:
    """Whether the system runs in each region on each day of ``sc`` (bool, days x regions),
    as the engine decides it: each day under the rollout of the timeline's epoch in force."""
    from scsim.scenario.loader import timeline_epochs

    started = np.zeros((sc.days, sc.regions.count), bool)
    epochs = timeline_epochs(sc)
    for k, (first, epoch) in enumerate(epochs):
        last = epochs[k + 1][0] if k + 1 < len(epochs) else sc.days
        days = np.arange(first, last)
        started[first:last] = region_start_days(epoch)[None, :] <= days[:, None]
    return started


def compile_params(sc: Scenario, names: Names) -> Params:
    """Turn one (validated) scenario into kernel parameters."""
    return Params(region_start_day=region_start_days(sc),
                  **{m.name: m.compile(sc, names) for m in mechanisms()})
