"""The scenario schema: the world's sections (population, regions, network, timeline,
metrics), declared here, and the mechanisms' sections, each declared in its mechanism
module (src/scsim/mechanisms/, ``MECHANISM.sections``), composed into one ``Scenario``:
the world's keys first, then each mechanism's in day order, then timeline and metrics.

Units used throughout: scores in points, durations in days, rates per agent (or company)
per day, probabilities in [0, 1]; each field's unit and source are in its metadata
(``json_schema_extra``). Every section has ``enabled`` (or, for a list of items, can be
left empty) so that a mechanism can be switched off without editing the others.
"""

from __future__ import annotations

import typing
import unicodedata
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, create_model

from scsim.core.mechanism import mechanisms
from scsim.scenario.section import Days, LogNormal, Name, Probability, Section, meta, place

__all__ = ["Days", "LogNormal", "Name", "Probability", "Scenario", "Section"]

NetworkKind = Literal["barabasi_albert", "erdos_renyi", "watts_strogatz", "sbm", "file", "none"]


class Group(Section):
    """An abstract population group (labels carry no meaning beyond the scenario)."""

    name: Name = Field(description="label used in metric columns (listed_rate_NAME)")
    share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        description="share of households; the shares sum to 1")
    s0: float | None = Field(None, description="starting score of the group (points); "
                             "default scoring.s0 (a group may start lower or higher: "
                             "the model's group prior)",
                             json_schema_extra=meta("points", "MODEL.md: Agents"))
    region_weights: list[Annotated[float, Field(ge=0.0)]] | None = Field(
        None, description="relative presence of the group in each region; default even")


class Population(Section):
    agents: Annotated[int, Field(ge=2, le=2_000_000_000)] = Field(
        10_000, description="number of citizens (an edge-list network sets it)")
    groups: list[Group] = Field(default_factory=lambda: [Group(name="everyone", share=1.0)],
                                description="abstract population groups")
    reference_group: Name | None = Field(
        None, description="group that disparate-impact ratios divide by; default the first")
    household_size: Annotated[float, Field(ge=1.0, le=12.0)] = Field(
        2.8, description="mean household size: 1 + Poisson(mean - 1), at most 12; members "
        "from the third on are the first two's children")
    propensity_sigma: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        0.5, description="how much agents differ in how often they act, for each "
        "category of acts: the sd of the logarithm of a multiplier averaging 1 (0: everyone "
        "alike)")
    conformity: LogNormal = Field(default_factory=lambda: LogNormal(mean=1.0, sigma=0.5),
                                  description="how strongly fear deters (and shaming severs)")
    malice: LogNormal = Field(default_factory=lambda: LogNormal(mean=1.0, sigma=1.0),
                              description="multiplies the false-report rate")
    employment: Probability = Field(0.6, description="share of adults employed by a company")
    scale: Annotated[float, Field(ge=1.0, le=1e10)] = Field(
        1.0, description="people each agent stands for (Covasim's pop_scale): counts are "
        "also reported scaled (Result.scaled_metrics, the summary's national terms), "
        "per-capita figures are unchanged",
        json_schema_extra=meta("people per agent", "MODEL.md: Population scale"))


class Rollout(Section):
    day: Days = Field(description="day the system starts in these regions")
    regions: list[Annotated[int, Field(ge=0)]] | Literal["all"] = Field(
        "all", description="region numbers (from 0), or all")


class Regions(Section):
    count: Annotated[int, Field(ge=1, le=10_000)] = Field(
        1, description="regions: contiguous blocks of agents")
    weights: list[Annotated[float, Field(gt=0.0)]] | None = Field(
        None, description="relative population of each region; default equal")
    rollout: list[Rollout] = Field(
        default_factory=lambda: [Rollout(day=0, regions="all")],
        description="day the system starts in each region; regions never named never start")


class Homophily(Section):
    group: Probability = Field(0.0, description="expected share of social ties inside one's "
                               "group (at or below chance: no preference)")
    region: Probability = Field(0.0, description="expected share of social ties inside one's "
                                "region (at or below chance: no preference)")


class Network(Section):
    kind: NetworkKind = Field(
        "barabasi_albert", description="generator of the social ties, or an edge-list file")
    mean_degree: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        6.0, description="mean number of social ties from the generator")
    rewire: Probability = Field(0.1, description="Watts-Strogatz rewiring probability")
    homophily: Homophily = Field(default_factory=Homophily, description="sbm: expected share "
                                 "of social ties inside one's own group / region")
    path: str | None = Field(None, description="kind=file: SNAP edge list; N = its nodes")
    family_ties: bool = Field(True, description="households are cliques of family ties")
    work_degree: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        4.0, description="mean number of work ties of an employed agent")


class TimelineStep(Section):
    day: Annotated[int, Field(ge=1)] = Field(description="first day the new values hold")
    set: dict[str, Any] = Field(min_length=1, description="dotted path: new value, e.g. "
                                "scoring.association.alpha: 0")


class Metrics(Section):
    network_every: Annotated[int, Field(ge=1)] = Field(
        30, description="days between largest-component and assortativity measurements")
    distribution_every: Annotated[int, Field(ge=1)] = Field(
        1, description="days between measurements of the score distribution (percentiles "
        "and Gini): day 0, every so many days and the last day; a pass over the agents' "
        "scores into a histogram saved on the other days")
    per_agent_sources: bool = Field(
        True, description="keep every agent's points by source (the provenance ledger): "
        "its totals in the agents table (points_SOURCE, mistaken_for, falsely_reported_by), "
        "the causes and damage of wrongful listings and case files (--trace) need them. "
        "false saves 4 bytes per agent per source of the run, twice that when some error "
        "can happen, and 8 more (national-800: 96 bytes per agent), so that 10^8 agents fit "
        "in 24 GB; the daily points by source, group and region are kept either way, and "
        "wrongful listings are still counted and listed, with cause 'unknown'",
        json_schema_extra=meta("", "MODEL.md: Provenance"))


class World(Section):
    """The keys of a scenario that no mechanism declares, up to the mechanisms' sections."""

    name: str = Field("custom", description="scenario name, shown in results")
    description: str = Field("", description="what the scenario is, in a sentence")
    source: str = Field("", description="source document it reproduces")
    days: Annotated[int, Field(ge=1, le=100_000)] = Field(365, description="days simulated")
    warmup_days: Annotated[int, Field(ge=0, le=100_000)] = Field(
        0, description="days simulated before day 0 under the day-0 policy and not reported "
        "(no metric rows; history counts restart at day 0), so that stocks start near "
        "their steady state (initial state)",
        json_schema_extra=meta("days", "MODEL.md: Initial state"))
    population: Population = Field(default_factory=Population,
                                   description="who the citizens are")
    regions: Regions = Field(default_factory=Regions, description="regions and roll-out")
    network: Network = Field(default_factory=Network, description="ties between citizens")

    def model_post_init(self, context: Any, /) -> None:
        """Each section is told its path in the scenario (``section.place``): a bad
        assignment names it (``listing.threshold: ...``)."""
        place(self, ())

    def __repr__(self) -> str:  # not every key: dump_yaml shows them
        return (f"{type(self).__name__}({self.name!r}, agents={self.population.agents}, "
                f"days={self.days})")

    def _repr_html_(self) -> str:
        from scsim.outputs.display import scenario_html

        return scenario_html(self)  # type: ignore[arg-type]


Scenario = create_model(
    "Scenario", __base__=World, __module__=__name__,
    __doc__="One complete, validated scenario.",
    **{key: spec for m in mechanisms() for key, spec in m.section_fields().items()},
    timeline=(list[TimelineStep], Field(default_factory=list,
                                        description="policy changes on given days")),
    metrics=(Metrics, Field(default_factory=Metrics, description="what is measured when")),
)


def section_model(annotation: Any) -> type[BaseModel] | None:
    """The section class inside a field's type (``list[Behaviour] | None`` -> Behaviour)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = section_model(arg)
        if found is not None:
            return found
    return None


def consistency_problems(sc: Scenario) -> list[tuple[tuple, str]]:
    """Rules that span fields, as (path, message) pairs; empty when consistent."""
    out: list[tuple[tuple, str]] = []
    for key in ("name", "source"):  # printed in every table, and in the report
        # (YAML's folded text, "source: >", ends its one line with a line break)
        if _control_character(getattr(sc, key).removesuffix("\n")) is not None:
            out.append(((key,), f"must be one line of text, without control characters "
                        f"(line breaks, tabs, terminal escapes), got {getattr(sc, key)!r}"))
    stray = _control_character(sc.description, allowed="\n\t")  # YAML's block text has both
    if stray is not None:
        out.append((("description",), "may hold line breaks and tabs but no other control "
                    f"characters (terminal escapes), got {sc.description[stray]!r} at "
                    f"character {stray + 1} of {len(sc.description):,}"))
    lo, hi = sc.scoring.min, sc.scoring.max
    if lo >= hi:
        out.append((("scoring", "max"), f"must be > scoring.min ({lo:g})"))
        return out

    def in_range(path: tuple, value: float | None, low=lo, high=hi, what="score range") -> None:
        if value is not None and not low <= value <= high:
            out.append((path, f"must be within the {what} [{low:g}, {high:g}]"))

    in_range(("scoring", "s0"), sc.scoring.s0)
    groups = [g.name for g in sc.population.groups]
    _unique(out, ("population", "groups"), groups)
    total = sum(g.share for g in sc.population.groups)
    if abs(total - 1.0) > 1e-6:
        shares = ", ".join(f"{g.name} {g.share:g}" for g in sc.population.groups)
        out.append((("population", "groups"),
                    f"shares must sum to 1 (they sum to {total:g}: {shares})"))
    if len(groups) > 64:
        out.append((("population", "groups"), "at most 64 groups"))
    for k, g in enumerate(sc.population.groups):
        in_range(("population", "groups", k, "s0"), g.s0)
        if g.region_weights is not None and len(g.region_weights) != sc.regions.count:
            out.append((("population", "groups", k, "region_weights"),
                        f"needs one weight per region ({sc.regions.count})"))
    if len(groups) > 1 and not out:
        presence = _group_presence(sc)
        for r, row in enumerate(presence):
            if row.sum() <= 0:
                out.append((("population", "groups"), f"no group lives in region {r}"))
    ref = sc.population.reference_group
    known = f" (known: {', '.join(groups) or 'none'})"
    if ref is not None and ref not in groups:
        out.append((("population", "reference_group"), f"unknown group '{ref}'{known}"))

    nreg = sc.regions.count
    if sc.regions.weights is not None and len(sc.regions.weights) != nreg:
        out.append((("regions", "weights"), f"needs one weight per region ({nreg})"))
    for k, step in enumerate(sc.regions.rollout):
        if step.regions != "all":
            for j, r in enumerate(step.regions):
                if r >= nreg:
                    out.append((("regions", "rollout", k, "regions", j),
                                f"region {r} does not exist (regions.count is {nreg})"))

    if sc.network.kind == "file" and not sc.network.path:
        out.append((("network", "path"), "required when network.kind is 'file'"))

    channels = sc.surveillance.channels
    for name, ch in channels.items():
        if ch.by_region is not None and len(ch.by_region) != nreg:
            out.append((("surveillance", "channels", name, "by_region"),
                        f"needs one coverage per region ({nreg})"))
    for gname, factor in sc.surveillance.misattribution_factor.items():
        where = ("surveillance", "misattribution_factor", gname)
        if gname not in groups:
            out.append((where, f"unknown group '{gname}'{known}"))
        elif sc.surveillance.misattribution * factor > 1.0:
            rate = sc.surveillance.misattribution
            out.append((where, f"{factor:g} times surveillance.misattribution ({rate:g}) "
                        f"makes this group's false-match rate {rate * factor:g}, above 1: "
                        f"with this factor surveillance.misattribution can be at most "
                        f"{1.0 / factor:.3g}"))
    _unique(out, ("behaviours",), [b.name for b in sc.behaviours])
    if len(sc.behaviours) > 250:
        out.append((("behaviours",), "at most 250 behaviours"))
    scale = sc.scoring.max - sc.scoring.min
    for k, b in enumerate(sc.behaviours):
        if b.channel not in channels:
            out.append((("behaviours", k, "channel"), f"unknown channel '{b.channel}' (known: "
                        f"{', '.join(channels) or 'none'})"))
        if abs(b.delta) > scale:  # one act would cross the whole scale (and sums overflow)
            out.append((("behaviours", k, "delta"), f"must be within ± {scale:g} points "
                        "(scoring.max − scoring.min: one act cannot move a score further)"))
    for gname in sc.scoring.association.group_bonus:
        if gname not in groups:
            out.append((("scoring", "association", "group_bonus", gname),
                        f"unknown group '{gname}'{known}"))

    _unique(out, ("tiers",), [t.name for t in sc.tiers])
    for k, t in enumerate(sc.tiers):
        in_range(("tiers", k, "min"), t.min)
    in_range(("listing", "threshold"), sc.listing.threshold)
    in_range(("sanctions", "house_arrest", "threshold"), sc.sanctions.house_arrest.threshold)
    in_range(("sanctions", "schools", "score_below"), sc.sanctions.schools.score_below)
    in_range(("detention", "threshold"), sc.detention.threshold)
    _unique(out, ("privileges", "grants"), [p.name for p in sc.privileges.grants])
    for k, p in enumerate(sc.privileges.grants):
        in_range(("privileges", "grants", k, "threshold"), p.threshold)

    co = sc.companies
    if co.min >= co.max:
        out.append((("companies", "max"), f"must be > companies.min ({co.min:g})"))
    else:
        crange = "company score range"
        in_range(("companies", "s0"), co.s0, co.min, co.max, crange)
        in_range(("companies", "listing_threshold"), co.listing_threshold, co.min, co.max, crange)
        for k, t in enumerate(co.tiers):
            in_range(("companies", "tiers", k, "min"), t.min, co.min, co.max, crange)
    _unique(out, ("companies", "events"), [e.name for e in co.events])
    _unique(out, ("companies", "tiers"), [t.name for t in co.tiers])
    if not co.tiers:
        out.append((("companies", "tiers"), "needs at least one tier"))
    if not co.sectors:
        out.append((("companies", "sectors"), "needs at least one sector"))
    for m in mechanisms():
        if m.check is not None:
            out.extend(m.check(sc))
    return out


def _group_presence(sc: Scenario):
    """P(group | region) before normalisation: share_g * region_weight_g,r."""
    nreg = sc.regions.count
    return np.array([[g.share * (g.region_weights[r] if g.region_weights else 1.0)
                      for g in sc.population.groups] for r in range(nreg)])


def group_mix(sc: Scenario):
    """Cumulative P(group | region), shape (regions, groups), rows ending at 1."""
    presence = _group_presence(sc)
    cum = np.cumsum(presence / presence.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    return cum


def _control_character(text: str, allowed: str = "") -> int | None:
    """Where (from 0) the first control character of ``text`` that is not in ``allowed``
    stands (a line break, a tab, the escape that starts a terminal's colours), or None."""
    return next((k for k, c in enumerate(text)
                 if unicodedata.category(c) == "Cc" and c not in allowed), None)


def _unique(out: list, path: tuple, names: list[str]) -> None:
    seen: set[str] = set()
    for k, n in enumerate(names):
        if n in seen:
            out.append(((*path, k, "name"), f"duplicate name '{n}'"))
        seen.add(n)
