"""A scenario compiled to the flat numbers and arrays the kernels read.

Switched-off mechanisms compile to neutral values (zero rates, zero coverage, infinite
thresholds), so every kernel runs the same code whatever is enabled; the names of things
(behaviours, groups, tiers, privileges) keep their positions so metric columns stay fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scsim.core.rng import name_id
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


@dataclass
class Params:
    """Numbers for one epoch of a run (the timeline can swap them on a given day)."""

    # behaviours (B)
    b_rate: np.ndarray  # float64, acts per agent-day at propensity 1
    b_delta: np.ndarray  # float64, points per accepted observation
    b_category: np.ndarray  # int32, column of State.propensity
    b_channel: np.ndarray  # int32
    b_penalised: np.ndarray  # uint8: deterred by fear
    b_severe: np.ndarray  # uint8
    b_reportable: np.ndarray  # uint8
    b_online: np.ndarray  # uint8
    b_outside: np.ndarray  # uint8
    b_key: np.ndarray  # uint64 name ids (common random numbers across scenarios)
    false_report_cdf: np.ndarray  # float64, choice of behaviour for a false report
    # surveillance
    coverage: np.ndarray  # float64 (channels, regions)
    facial: np.ndarray  # uint8 (channels)
    misattribution: np.ndarray  # float64 (groups), false-match rate per camera sighting
    region_start_day: np.ndarray  # int32 (regions)
    # reports
    true_report: float
    false_rate: float  # false reports per agent-day at malice 1
    envy: float  # per 100 points
    accept: float
    power_bias: float  # per 100 points
    # scoring
    scoring: bool
    s0_group: np.ndarray  # float32 (groups)
    s_min: float
    s_max: float
    recovery: float
    alpha: float
    tie_weight: np.ndarray  # float64 (3,), family / social / work
    listed_penalty: float
    group_bonus: np.ndarray  # float64 (groups), points per day per active tie
    has_bonus: bool
    tier_min: np.ndarray  # float64, descending
    # listing
    listing: bool
    threshold: float  # -inf when there is none
    duration: int
    severe_duration: int
    renew: bool
    compliance: float
    appeal_rate: float
    appeal_win: float
    appeal_win_wrongful: float
    correct_record: bool
    protection_days: int
    # sanctions (rates are attempts per listed person per day; 0 when off)
    air_rate: float
    train_rate: float
    purchase_rate: float
    job_rate: float
    social_media_ban: bool
    school_bar: bool
    school_both_parents: bool
    arrest_threshold: float  # -inf when off
    # privileges (P)
    p_threshold: np.ndarray  # float64
    p_rate: np.ndarray  # float64, uses per eligible person per day (0 when off)
    p_key: np.ndarray  # uint64
    # shaming
    shame: float
    sever: np.ndarray  # float64 (3,), per tie type
    restore: float
    pariah_fraction: float
    # fear
    fear: bool
    fear_speed: float
    fear_social: float
    fear_self: float
    fear_margin: float
    # companies (E events, CT tiers)
    companies: bool
    e_rate: np.ndarray
    e_delta: np.ndarray
    e_coverage: np.ndarray
    e_key: np.ndarray
    ct_min: np.ndarray  # descending
    ct_tax: np.ndarray
    ct_inspection: np.ndarray
    c_s0: float
    c_min: float
    c_max: float
    c_recovery: float
    c_threshold: float  # -inf when there is none
    rep_penalty: float
    company_penalty: float


def compile_params(sc: Scenario, names: Names) -> Params:
    """Turn one (validated) scenario into kernel parameters."""
    f64, u8 = np.float64, np.uint8
    groups = {g: k for k, g in enumerate(names.groups)}
    channels = {c: k for k, c in enumerate(names.channels)}
    beh = sc.behaviours
    nreg = sc.regions.count

    surv = sc.surveillance
    coverage = np.zeros((len(names.channels), nreg), f64)
    if surv.enabled:
        for name, ch in surv.channels.items():
            coverage[channels[name]] = ch.by_region if ch.by_region else ch.coverage
    misattribution = np.full(len(names.groups), surv.misattribution if surv.enabled else 0.0)
    for gname, factor in surv.misattribution_factor.items():
        misattribution[groups[gname]] *= factor

    start = np.full(nreg, NEVER, np.int32)
    for step in sorted(sc.regions.rollout, key=lambda s: -s.day):
        chosen = range(nreg) if step.regions == "all" else step.regions
        start[list(chosen)] = step.day

    penalised = np.array([b.delta < 0 if b.penalised is None else b.penalised for b in beh], u8)
    rep = sc.reports
    weights = np.array([b.rate if b.reportable and b.delta < 0 else 0.0 for b in beh], f64)
    cdf = np.cumsum(weights) / weights.sum() if weights.sum() > 0 else np.zeros(len(beh))

    scr, lst, sanc, sh, fe, co = (sc.scoring, sc.listing, sc.sanctions, sc.shaming, sc.fear,
                                  sc.companies)
    s0_group = np.array([g.s0 if g.s0 is not None else scr.s0 for g in sc.population.groups],
                        np.float32)
    bonus = np.zeros(len(names.groups), f64)
    for gname, pts in scr.association.group_bonus.items():
        bonus[groups[gname]] = pts
    assoc = scr.association
    listing_on = lst.enabled
    appeals = lst.appeals
    sanctions_on = sanc.enabled and listing_on

    def rate(section, value: float) -> float:
        return value if sanctions_on and section.enabled else 0.0

    tiers = sorted(sc.tiers, key=lambda t: -t.min)
    grants = sc.privileges.grants
    ctiers = sorted(co.tiers, key=lambda t: -t.min)
    inf = float("inf")
    return Params(
        b_rate=np.array([b.rate for b in beh], f64),
        b_delta=np.array([b.delta for b in beh], f64),
        b_category=np.array([names.categories.index(b.category) for b in beh], np.int32),
        b_channel=np.array([channels[b.channel] for b in beh], np.int32),
        b_penalised=penalised,
        b_severe=np.array([b.severe for b in beh], u8),
        b_reportable=np.array([b.reportable for b in beh], u8),
        b_online=np.array([b.online for b in beh], u8),
        b_outside=np.array([b.outside_home for b in beh], u8),
        b_key=np.array([name_id("behaviour:" + b.name) for b in beh], np.uint64),
        false_report_cdf=cdf,
        coverage=coverage,
        facial=np.array([surv.channels[c].facial_recognition for c in names.channels], u8),
        misattribution=misattribution,
        region_start_day=start,
        true_report=rep.true_rate if rep.enabled else 0.0,
        false_rate=rep.false_rate if rep.enabled and weights.sum() > 0 else 0.0,
        envy=rep.envy,
        accept=rep.accept,
        power_bias=rep.power_bias,
        scoring=scr.enabled,
        s0_group=s0_group,
        s_min=scr.min,
        s_max=scr.max,
        recovery=scr.recovery,
        alpha=assoc.alpha,
        tie_weight=np.array([assoc.weights.family, assoc.weights.social, assoc.weights.work],
                            f64),
        listed_penalty=assoc.listed_penalty,
        group_bonus=bonus,
        has_bonus=bool(np.any(bonus != 0.0)),
        tier_min=np.array([t.min for t in tiers], f64),
        listing=listing_on,
        threshold=lst.threshold if listing_on and lst.threshold is not None else -inf,
        duration=lst.duration,
        severe_duration=lst.severe_duration or lst.duration,
        renew=lst.renew,
        compliance=lst.compliance_rate,
        appeal_rate=appeals.rate if appeals.enabled else 0.0,
        appeal_win=appeals.win,
        appeal_win_wrongful=appeals.win if appeals.win_wrongful is None else appeals.win_wrongful,
        correct_record=appeals.correct_record,
        protection_days=appeals.protection_days,
        air_rate=rate(sanc.travel, sanc.travel.air_rate),
        train_rate=rate(sanc.travel, sanc.travel.train_rate),
        purchase_rate=rate(sanc.purchases, sanc.purchases.rate),
        job_rate=rate(sanc.jobs, sanc.jobs.rate),
        social_media_ban=sanctions_on and sanc.social_media.enabled,
        school_bar=sanctions_on and sanc.schools.enabled,
        school_both_parents=sanc.schools.parents == "both",
        arrest_threshold=(sanc.house_arrest.threshold if sanc.enabled and sanc.house_arrest.enabled
                          and sanc.house_arrest.threshold is not None else -inf),
        p_threshold=np.array([p.threshold for p in grants], f64),
        p_rate=np.array([p.rate if sc.privileges.enabled else 0.0 for p in grants], f64),
        p_key=np.array([name_id("privilege:" + p.name) for p in grants], np.uint64),
        shame=sh.probability if sh.enabled and listing_on else 0.0,
        sever=np.array([sh.sever.family, sh.sever.social, sh.sever.work], f64),
        restore=sh.restore_rate if sh.enabled else 0.0,
        pariah_fraction=sh.pariah_fraction,
        fear=fe.enabled,
        fear_speed=fe.speed,
        fear_social=fe.social_weight,
        fear_self=fe.self_weight,
        fear_margin=fe.margin,
        companies=co.enabled,
        e_rate=np.array([e.rate if co.enabled else 0.0 for e in co.events], f64),
        e_delta=np.array([e.delta for e in co.events], f64),
        e_coverage=np.array([e.coverage for e in co.events], f64),
        e_key=np.array([name_id("company_event:" + e.name) for e in co.events], np.uint64),
        ct_min=np.array([t.min for t in ctiers], f64),
        ct_tax=np.array([t.tax_rate for t in ctiers], f64),
        ct_inspection=np.array([t.inspection for t in ctiers], f64),
        c_s0=co.s0,
        c_min=co.min,
        c_max=co.max,
        c_recovery=co.recovery,
        c_threshold=(co.listing_threshold if co.enabled and co.listing_threshold is not None
                     else -inf),
        rep_penalty=co.rep_penalty if co.enabled else 0.0,
        company_penalty=co.company_penalty if co.enabled else 0.0,
    )
