"""The synthetic population: regions, households, groups, workplaces and individual traits.

Layout: regions are contiguous ranges of agent ids and households are contiguous ranges
inside a region, so "a uniform agent of region r" and "the parents of child i" need no
index arrays. In a household the first member (and the second, when there are two or
more) are adults; members from the third on are their children. Everything is drawn from
counter-based streams keyed by the seed and a purpose name, so two scenarios with the same
seed and the same population section get exactly the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from scsim.core.rng import (
    agent_hash,
    below,
    lognormal_mean,
    name_id,
    poisson,
    stream_key,
    sub_hash,
    unit,
)
from scsim.scenario.schema import Scenario, group_mix

MAX_HOUSEHOLD = 12


@dataclass
class Population:
    """Who the agents are; the network and the state are built from this."""

    region_start: np.ndarray  # int64 (R+1,)
    region: np.ndarray  # uint16 (N,)
    household_start: np.ndarray  # int64 (H+1,)
    household: np.ndarray  # int32 (N,)
    group: np.ndarray  # uint8 (N,)
    employer: np.ndarray  # int32 (N,), -1 when not employed
    company_region_start: np.ndarray  # int64 (R+1,)
    company_rep: np.ndarray  # int32 (M,), legal representative
    company_sector: np.ndarray  # uint8 (M,)
    company_region: np.ndarray  # uint16 (M,)
    company_revenue: np.ndarray  # float32 (M,), per day

    @property
    def n(self) -> int:
        return len(self.group)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    share = np.asarray(weights, np.float64) / np.sum(weights) * total
    parts = np.floor(share).astype(np.int64)
    order = np.argsort(-(share - parts), kind="stable")
    parts[order[: total - parts.sum()]] += 1
    return parts


def company_count(sc: Scenario, n: int) -> int:
    per = sc.companies.per_1000_agents
    return 0 if per == 0 else max(1, round(n * per / 1000.0))


def build_population(sc: Scenario, n: int, seed: int) -> Population:
    """Draw the structure of a population of ``n`` agents for scenario ``sc`` (their
    individual traits come from ``draw_traits``)."""
    pop = sc.population
    nreg = sc.regions.count
    weights = np.asarray(sc.regions.weights or [1.0] * nreg)
    region_start = np.concatenate([[0], np.cumsum(apportion(n, weights))]).astype(np.int64)
    region = np.repeat(np.arange(nreg, dtype=np.uint16), np.diff(region_start))

    household_start, household = _households(
        region_start, pop.household_size, stream_key(seed, "population:household"))
    group = _group_by_household(household, region, group_mix(sc),
                                stream_key(seed, "population:group"))

    m = company_count(sc, n)
    company_region_start = np.concatenate(
        [[0], np.cumsum(apportion(m, weights))]).astype(np.int64) if m else np.zeros(
        nreg + 1, np.int64)
    size_weight = _company_weights(m, sc.companies.size_sigma,
                                   stream_key(seed, "population:company_size"))
    employer = _employers(region, household, household_start, region_start,
                          company_region_start, np.cumsum(size_weight), pop.employment,
                          stream_key(seed, "population:employer"))
    company_region = np.repeat(np.arange(nreg, dtype=np.uint16), np.diff(company_region_start))
    company_rep = _legal_representatives(employer, m, company_region, region_start,
                                         stream_key(seed, "population:legal_rep"))

    sector_key = stream_key(seed, "population:company_sector")
    company_sector = _uniform_choice(m, len(sc.companies.sectors), sector_key)
    revenue = np.empty(m, np.float32)
    _lognormal(sc.companies.revenue.mean, sc.companies.revenue.sigma,
               stream_key(seed, "population:company_revenue"), 0, revenue)
    return Population(region_start, region, household_start, household, group, employer,
                      company_region_start, company_rep, company_sector, company_region,
                      revenue)


def draw_traits(sc: Scenario, categories: list[str], seed: int, propensity: np.ndarray,
                conformity: np.ndarray, malice: np.ndarray) -> None:
    """Draw every agent's propensities (one column per category), conformity and malice
    into the given float32 arrays (those of the state: no copy is made; a run that keeps
    no rows of malice, ``core.state.short_arrays``, draws none: ``malice_rows`` draws any
    rows of it again)."""
    pop = sc.population
    cat_keys = np.array([name_id("category:" + c) for c in categories], np.uint64)
    _propensities(cat_keys, pop.propensity_sigma, stream_key(seed, "population:propensity"),
                  propensity)
    _lognormal(pop.conformity.mean, pop.conformity.sigma,
               stream_key(seed, "population:conformity"), 0, conformity)
    _draw_malice(sc, seed, 0, malice)


def malice_rows(sc: Scenario, seed: int, lo: int, hi: int) -> np.ndarray:
    """The malice of agents ``[lo, hi)`` (float32), the same bits ``draw_traits`` draws: a
    draw of each agent's own counter in the stream of the seed."""
    out = np.empty(max(hi - lo, 0), np.float32)
    _draw_malice(sc, seed, lo, out)
    return out


def _draw_malice(sc: Scenario, seed: int, lo: int, out: np.ndarray) -> None:
    """The malice of agents ``lo``, ``lo + 1``, ... into ``out`` (float32)."""
    _lognormal(sc.population.malice.mean, sc.population.malice.sigma,
               stream_key(seed, "population:malice"), lo, out)


@njit(cache=True)
def _households(region_start, mean_size, key):
    """Contiguous households inside each region: size 1 + Poisson(mean - 1), at most 12."""
    n = region_start[-1]
    starts = np.empty(n + 1, np.int64)
    household = np.empty(n, np.int32)
    h = 0
    for r in range(len(region_start) - 1):
        pos = region_start[r]
        end = region_start[r + 1]
        while pos < end:
            size = 1 + poisson(unit(agent_hash(key, h)), mean_size - 1.0)
            size = min(size, MAX_HOUSEHOLD, end - pos)
            starts[h] = pos
            household[pos:pos + size] = h
            pos += size
            h += 1
    starts[h] = n
    return starts[: h + 1].copy(), household


@njit(cache=True, parallel=True)
def _group_by_household(household, region, cum_mix, key):
    """Each household belongs to one group, drawn from the group mix of its region."""
    n = len(household)
    group = np.empty(n, np.uint8)
    for i in prange(n):
        u = unit(agent_hash(key, household[i]))
        mix = cum_mix[region[i]]
        g = 0
        while g < len(mix) - 1 and u >= mix[g]:
            g += 1
        group[i] = g
    return group


@njit(cache=True, parallel=True)
def _company_weights(m, sigma, key):
    out = np.empty(m, np.float64)
    for c in prange(m):
        out[c] = lognormal_mean(agent_hash(key, c), 1.0, sigma)
    return out


@njit(cache=True, parallel=True)
def _employers(region, household, household_start, region_start, company_region_start,
               cum_weight, employment, key):
    """Adults are employed with probability ``employment`` by a company of their region,
    chosen in proportion to company size."""
    n = len(region)
    employer = np.full(n, -1, np.int32)
    for i in prange(n):
        if i - household_start[household[i]] >= 2:
            continue  # a child
        h = agent_hash(key, i)
        if unit(h) >= employment:
            continue
        r = region[i]
        lo = company_region_start[r]
        hi = company_region_start[r + 1]
        if hi <= lo:
            continue
        base = cum_weight[lo - 1] if lo > 0 else 0.0
        x = base + unit(sub_hash(h, 1)) * (cum_weight[hi - 1] - base)
        c = np.searchsorted(cum_weight[lo:hi], x, side="right") + lo
        employer[i] = min(c, hi - 1)
    return employer


@njit(cache=True)
def _legal_representatives(employer, m, company_region, region_start, key):
    """A uniformly chosen employee of each company (any agent of its region if none)."""
    count = np.zeros(m + 1, np.int64)
    for i in range(len(employer)):
        if employer[i] >= 0:
            count[employer[i] + 1] += 1
    offsets = np.cumsum(count)
    members = np.empty(offsets[-1], np.int32)
    fill = offsets[:-1].copy()
    for i in range(len(employer)):
        c = employer[i]
        if c >= 0:
            members[fill[c]] = i
            fill[c] += 1
    rep = np.empty(m, np.int32)
    for c in range(m):
        h = agent_hash(key, c)
        size = offsets[c + 1] - offsets[c]
        if size > 0:
            rep[c] = members[offsets[c] + below(h, size)]
        else:
            r = company_region[c]
            rep[c] = region_start[r] + below(h, region_start[r + 1] - region_start[r])
    return rep


@njit(cache=True, parallel=True)
def _uniform_choice(m, k, key):
    out = np.empty(m, np.uint8)
    for c in prange(m):
        out[c] = below(agent_hash(key, c), k)
    return out


@njit(cache=True, parallel=True)
def _propensities(category_keys, sigma, key, out):
    for i in prange(len(out)):
        h = agent_hash(key, i)
        for c in range(len(category_keys)):
            out[i, c] = lognormal_mean(sub_hash(h, category_keys[c]), 1.0, sigma)


@njit(cache=True, parallel=True)
def _lognormal(mean, sigma, key, first, out):
    """out[k]: the log-normal draw of agent (or company) ``first + k`` of stream ``key``."""
    for k in prange(len(out)):
        out[k] = lognormal_mean(agent_hash(key, np.int64(first) + np.int64(k)), mean, sigma)
