"""A scenario compiled to the numbers and arrays the kernels read: one typed record per
mechanism (a NamedTuple declared in its module, ``mechanisms/*.py``), composed here.

Switched-off mechanisms compile to neutral values (zero rates, zero coverage, infinite
thresholds) and ``on=False``, which the day plan reads to skip their steps; the names of
things (behaviours, groups, tiers, privileges) keep their positions so metric columns stay
fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scsim.mechanisms.adapt import AdaptParams, compile_adapt
from scsim.mechanisms.behave import Behaviours, compile_behaviours
from scsim.mechanisms.classify import ClassifyParams, compile_classify
from scsim.mechanisms.companies import CompanyParams, compile_companies
from scsim.mechanisms.observe import ObserveParams, compile_observe
from scsim.mechanisms.reports import ReportParams, compile_reports
from scsim.mechanisms.sanction import SanctionParams, compile_sanction
from scsim.mechanisms.score import ScoreParams, compile_score
from scsim.mechanisms.shame import ShameParams, compile_shame
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

    @classmethod
    def of(cls, sc: Scenario) -> Names:
        groups = [g.name for g in sc.population.groups]
        ref = sc.population.reference_group or groups[0]
        categories = list(dict.fromkeys(b.category for b in sc.behaviours)) or ["general"]
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
        )


@dataclass(frozen=True)
class Params:
    """The compiled parameters of one epoch of a run (the timeline can swap them on a given
    day): one record per mechanism, named after its step."""

    region_start_day: np.ndarray  # int32 (regions): day the system starts there
    behaviours: Behaviours
    observe: ObserveParams
    report: ReportParams
    score: ScoreParams
    classify: ClassifyParams
    sanction: SanctionParams
    shame: ShameParams
    adapt: AdaptParams
    companies: CompanyParams


def compile_params(sc: Scenario, names: Names) -> Params:
    """Turn one (validated) scenario into kernel parameters."""
    nreg = sc.regions.count
    start = np.full(nreg, NEVER, np.int32)
    for step in sorted(sc.regions.rollout, key=lambda s: -s.day):
        chosen = range(nreg) if step.regions == "all" else step.regions
        start[list(chosen)] = step.day
    b = compile_behaviours(sc, names)
    observe = compile_observe(sc, names)
    classify = compile_classify(sc)
    return Params(
        region_start_day=start,
        behaviours=b,
        observe=observe,
        report=compile_reports(sc),
        score=compile_score(sc, names),
        classify=classify,
        sanction=compile_sanction(sc),
        shame=compile_shame(sc),
        adapt=compile_adapt(sc, classify.threshold),
        companies=compile_companies(sc),
    )
