"""Phase 9, companies: compliance events (tax evasion, customs, pollution...) happen at
their per-day rates and are observed at their coverage times the inspection multiplier of
the company's tier; observed events change the corporate score. Tiers set the tax rate and
inspection rate. A listed company costs its legal representative points each day, and a
listed representative costs the company points each day."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric
from scsim.core.rng import agent_hash, name_id, poisson, sub_hash, unit
from scsim.core.source import Source, Sources, account, take_from_both
from scsim.core.state import LISTED
from scsim.core.step import Step, Today
from scsim.mechanisms.classify import tier_of
from scsim.scenario.section import (
    Advice,
    LogNormal,
    Name,
    Probability,
    Rate,
    Section,
    Written,
    meta,
    overridden,
    switched_off,
)

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 9. Companies"
FIRST_SIGHTING = 1  # sighting j of event e is draw e_key + j + FIRST_SIGHTING


# --- scenario section: ``companies`` -------------------------------------------------------

class CorporateEvent(Section):
    name: Name = Field(description="tax_evasion, customs_violation, pollution...")
    rate: Rate = Field(description="events per company per day",
                       json_schema_extra=meta("events per company per day", SOURCE))
    delta: float = Field(description="points per observed event",
                         json_schema_extra=meta("points", SOURCE))
    coverage: Probability = Field(0.5, description="probability an event is observed",
                                  json_schema_extra=meta("probability per event", SOURCE))


class CorporateTier(Section):
    name: Name = Field(description="label used in metric columns (corp_tier_NAME)")
    min: float = Field(description="lowest company score (points) of the tier",
                       json_schema_extra=meta("points", SOURCE))
    tax_rate: Probability = Field(0.25, description="share of revenue paid in tax",
                                  json_schema_extra=meta("share of revenue", SOURCE))
    inspection: Annotated[float, Field(ge=0.0)] = Field(
        1.0, description="multiplier on event coverage",
        json_schema_extra=meta("multiplier", SOURCE))


class Companies(Section):
    enabled: bool = Field(True, description="false: companies exist as employers only")
    per_1000_agents: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        20.0, description="companies (employers) per 1,000 agents",
        json_schema_extra=meta("companies per 1,000 agents", "MODEL.md: Entities and state"))
    size_sigma: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        1.0, description="how much company sizes (employees) differ: the "
        "sd of their logarithm")
    sectors: list[Name] = Field(default_factory=lambda: ["industry", "services", "trade"],
                                description="sector labels, drawn uniformly")
    s0: float = Field(1000.0, description="starting company score (points)",
                      json_schema_extra=meta("points", SOURCE))
    min: float = Field(0.0, description="lowest company score (points)",
                       json_schema_extra=meta("points", SOURCE))
    max: float = Field(1300.0, description="highest company score (points)",
                       json_schema_extra=meta("points", SOURCE))
    recovery: Probability = Field(0.0, description="the daily pull back toward the "
                                  "starting score: the share of the gap closed each day",
                                  json_schema_extra=meta("share per day", SOURCE))
    events: list[CorporateEvent] = Field(default_factory=list,
                                         description="compliance events")
    tiers: list[CorporateTier] = Field(
        default_factory=lambda: [CorporateTier(name="a", min=1000.0, tax_rate=0.15),
                                 CorporateTier(name="b", min=0.0, tax_rate=0.25)],
        description="tiers set the tax rate and the inspection rate")
    listing_threshold: float | None = Field(
        None, description="a company below this score is listed; null: never",
        json_schema_extra=meta("points", SOURCE))
    rep_penalty: Annotated[float, Field(ge=0.0)] = Field(
        0.0, description="points per day off the legal representative of a listed company",
        json_schema_extra=meta("points per day", SOURCE))
    company_penalty: Annotated[float, Field(ge=0.0)] = Field(
        0.0, description="points per day off a company whose representative is listed",
        json_schema_extra=meta("points per day", SOURCE))
    revenue: LogNormal = Field(default_factory=lambda: LogNormal(mean=1.0, sigma=1.0),
                               description="revenue per company per day (arbitrary units)")


def enabled(sc: Scenario) -> bool:
    """Do company scores move?"""
    return sc.companies.enabled


def company_scores_still(sc: Scenario, written: Written) -> bool | Advice | None:
    """Corporate scoring switched on or tuned, no compliance event: company scores never
    move, so no company is listed or changes tier."""
    co = sc.companies
    if not co.enabled:
        return None
    if any(e.rate > 0 for e in co.events) or co.company_penalty > 0:
        return True
    if written("companies", "events"):
        return None
    where = written.first(("companies",), ("enabled", "listing_threshold", "tiers",
                                           "rep_penalty", "recovery"))
    if where == ("companies",):
        return None
    return (where, "companies.enabled is true but companies.events is empty, so company "
            "scores will not move (no company is listed or changes tier): add "
            "companies.events (each a name, a rate per company per day and a delta in points)")


def without_companies(section: str, does: str):
    """The rule of section ``section`` (companies, shunning) set by the author while
    ``companies.per_1000_agents`` is 0: with no company, no company score moves and no
    business serves or refuses anyone. A switch the author turns off is meant."""

    def rule(sc: Scenario, written: Written) -> bool | Advice | None:
        if sc.companies.per_1000_agents > 0:
            return True
        sec = getattr(sc, section)
        if not sec.enabled and written.by_author(section, "enabled"):
            return None
        given = next((k for k in type(sec).model_fields if written.by_author(section, k)
                      and k != "per_1000_agents" and (k != "enabled" or sec.enabled)), None)
        return given and overridden(
            written, (section, given), ("companies", "per_1000_agents"), "is 0", does,
            "companies.per_1000_agents (companies per 1,000 agents) above 0")

    rule.__name__ = f"{section}_without_companies"
    return rule


def with_companies(rule):
    """``rule``, silent while there is no company (``without_companies`` says so)."""

    def guarded(sc: Scenario, written: Written) -> bool | Advice | None:
        return rule(sc, written) if sc.companies.per_1000_agents > 0 else None

    guarded.__name__ = rule.__name__
    return guarded


# --- compiled parameters -------------------------------------------------------------------

class CompanyParams(NamedTuple):
    on: bool
    e_rate: np.ndarray  # float64 events per company per day (E events; 0 when off)
    e_delta: np.ndarray  # float64 points per observed event
    e_coverage: np.ndarray  # float64 probability per event
    e_key: np.ndarray  # uint64
    ct_min: np.ndarray  # float64 points, descending (CT tiers)
    ct_tax: np.ndarray  # float64 share of revenue
    ct_inspection: np.ndarray  # float64 multiplier
    s0: float  # points
    s_min: float
    s_max: float
    recovery: float  # share per day
    threshold: float  # points; -inf when there is none
    rep_penalty: float  # points per day
    company_penalty: float  # points per day
    agent_min: float  # agents' score range (the representative's penalty is clamped to it)
    agent_max: float


def compile_companies(sc: Scenario, names: Names) -> CompanyParams:
    co = sc.companies
    on = enabled(sc)
    f64 = np.float64
    tiers = sorted(co.tiers, key=lambda t: -t.min)
    return CompanyParams(
        on=on,
        e_rate=np.array([e.rate if on else 0.0 for e in co.events], f64),
        e_delta=np.array([e.delta for e in co.events], f64),
        e_coverage=np.array([e.coverage for e in co.events], f64),
        e_key=np.array([name_id("company_event:" + e.name) for e in co.events], np.uint64),
        ct_min=np.array([t.min for t in tiers], f64),
        ct_tax=np.array([t.tax_rate for t in tiers], f64),
        ct_inspection=np.array([t.inspection for t in tiers], f64),
        s0=co.s0, s_min=co.min, s_max=co.max, recovery=co.recovery,
        threshold=(co.listing_threshold if on and co.listing_threshold is not None
                   else -math.inf),
        rep_penalty=co.rep_penalty if on else 0.0,
        company_penalty=co.company_penalty if on else 0.0,
        agent_min=sc.scoring.min, agent_max=sc.scoring.max)


# --- kernels -------------------------------------------------------------------------------

@njit(cache=True)
def companies(p, key, region, started, rep, agent_status, score, tier, listed, events_total,
              events_seen, days_listed):
    """Serial: companies are few (per_1000_agents), too few to pay for waking a thread."""
    for c in range(len(score)):
        if not started[region[c]]:
            continue
        h = agent_hash(key, c)
        s = score[c]
        inspection = p.ct_inspection[tier[c]]
        change = 0.0
        for e in range(len(p.e_rate)):
            k = poisson(unit(sub_hash(h, p.e_key[e])), p.e_rate[e])
            if k == 0:
                continue
            cov = min(1.0, p.e_coverage[e] * inspection)
            seen = 0
            for j in range(k):
                if unit(sub_hash(h, p.e_key[e] + np.uint64(FIRST_SIGHTING + j))) < cov:
                    seen += 1
            events_total[c, e] += k
            events_seen[c, e] += seen
            change += seen * p.e_delta[e]
        if agent_status[rep[c]] & LISTED:
            change -= p.company_penalty
        s = min(max(s + change + p.recovery * (p.s0 - s), p.s_min), p.s_max)
        score[c] = s
        tier[c] = tier_of(s, p.ct_min)
        listed[c] = 1 if s < p.threshold else 0
        if listed[c]:
            days_listed[c] += 1


SOURCES = Sources(
    "companies",
    Source("representative_penalty", "representative penalty", "points it loses each "
           "day while a company it legally represents is listed (companies.rep_penalty: "
           "points per day)"),
    uses=("clamping",))
SRC = SOURCES.S


@njit(cache=True)
def penalise_representatives(penalty, s_min, s_max, listed, rep, scores, bk):
    """Serial: each listed company takes ``penalty`` points off its legal representative
    (both records: it is no error; booked: ``bk``)."""
    for c in range(len(listed)):
        if listed[c]:
            r = rep[c]
            take_from_both(bk, account(bk, r), SRC.representative_penalty, SRC.clamping,
                           scores, r, penalty, s_min, s_max)


# --- the step ------------------------------------------------------------------------------

class CompaniesStep(Step):
    kernels = (companies, penalise_representatives)

    def run(self, t: Today) -> None:
        p, c, a = t.p.companies, t.state.companies, t.state.agents
        if not len(c["score"]):
            return
        companies(p, t.key("companies"), c["region"], t.started, c["rep"], a["status"],
                  c["score"], c["tier"], c["listed"], c["events_total"], c["events_seen"],
                  c["days_listed"])
        if p.rep_penalty > 0.0:
            penalise_representatives(p.rep_penalty, p.agent_min, p.agent_max, c["listed"],
                                     c["rep"], a["scores"], t.book(SOURCES))


# --- metrics -------------------------------------------------------------------------------

def _tax_take(m):
    """Revenue units per day. Summed by numpy's pairwise sum, not a BLAS dot product,
    whose order of additions (and so the last bits) depends on the CPU."""
    c, p = m.state.companies, m.p.companies
    return float(np.sum(c["revenue"] * p.ct_tax[c["tier"]])) if len(c["score"]) and p.on \
        else 0.0


METRICS = (
    Metric("corp_listed", "companies", "level", "companies listed",
           label="listed companies", headline=True,
           value=lambda m: int(m.state.companies["listed"].sum())),
    Metric("corp_score_mean", "points", "level", "mean company score",
           label="mean company score", value=lambda m: float(m.state.companies["score"].mean())
           if len(m.state.companies["score"]) else math.nan),
    Metric("corp_tier_{}", "companies", "level", "companies in tier NAME",
           label="companies in tier NAME", per="company_tiers",
           value=lambda m: np.bincount(m.state.companies["tier"],
                                       minlength=len(m.names.company_tiers))),
    Metric("tax_take", "revenue units per day", "rate", "tax paid by all companies today",
           label="tax take", headline=True, value=_tax_take),
)


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="companies", place=90,
    sections={"companies": (Companies, "corporate scores")},
    compile=compile_companies, step=CompaniesStep, advice=(
        without_companies("companies", "there is no company (no company score moves)"),
        with_companies(company_scores_still),
        with_companies(switched_off("companies", "company scores will not move",
                                    ("events", "recovery", "listing_threshold",
                                     "rep_penalty", "company_penalty")))),
    metrics=METRICS, metrics_after="di_{}", sources=SOURCES)
