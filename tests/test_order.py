"""Tests of scsim.world.order: the renumbering of agents for locality.

The renumbered population and network must be the same people and the same ties under a
permutation that keeps regions and households contiguous (members in their order), and the
order must put coworkers' households next to each other."""

from __future__ import annotations

import numpy as np
import pytest

import scsim
from scsim.core.params import Names, compile_params
from scsim.world.build import build_world
from scsim.world.network import generate_network
from scsim.world.order import keeps_numbering, locality_order, renumber
from scsim.world.population import build_population

N = 6000


def world(scenario: str, n: int = N, seed: int = 3):
    sc = scsim.load_scenario(scenario, agents=n, days=1)
    net = sc.network
    pop = build_population(sc, n, seed)
    graph = generate_network(
        n, seed, kind=net.kind, mean_degree=net.mean_degree, rewire=net.rewire,
        homophily_group=net.homophily.group, homophily_region=net.homophily.region,
        group=pop.group, region_start=pop.region_start,
        household_start=pop.household_start, family_ties=net.family_ties,
        employer=pop.employer, work_degree=net.work_degree)
    return sc, pop, graph


def household_shuffle(pop, seed: int) -> np.ndarray:
    """An order that keeps regions and households whole but shuffles households within each
    region (what ``renumber`` accepts, other than ``locality_order``'s)."""
    rng = np.random.default_rng(seed)
    first = pop.household_start[:-1]
    households = np.lexsort((rng.random(len(first)), pop.region[first]))
    return np.concatenate([np.arange(pop.household_start[h], pop.household_start[h + 1])
                           for h in households])


def rows(net) -> np.ndarray:
    return np.repeat(np.arange(len(net.indptr) - 1), np.diff(net.indptr))


@pytest.mark.parametrize("scenario", ["national-800", "three-tier"])
def test_renumbering_renames_people_and_ties_and_nothing_else(scenario):
    _, pop, net = world(scenario)
    order = household_shuffle(pop, 7)
    new_pop, new_net = renumber(pop, net, order)
    new_id = np.empty(pop.n, np.int64)
    new_id[order] = np.arange(pop.n)
    assert np.array_equal(new_pop.region, pop.region)  # regions stay where they were
    assert np.array_equal(new_pop.region, pop.region[order])
    assert np.array_equal(new_pop.group, pop.group[order])
    assert np.array_equal(new_pop.employer, pop.employer[order])
    assert np.array_equal(new_pop.company_rep, new_id[pop.company_rep])
    assert np.array_equal(new_pop.household_start[[0, -1]], [0, pop.n])
    # households: contiguous, numbered in id order, the same members in the same order
    hs = new_pop.household_start
    assert np.array_equal(new_pop.household, np.repeat(np.arange(len(hs) - 1), np.diff(hs)))
    for h in range(len(hs) - 1):
        members = order[hs[h]:hs[h + 1]]
        old = pop.household[members[0]]
        assert np.array_equal(members, np.arange(pop.household_start[old],
                                                 pop.household_start[old + 1]))
    # the same ties, renamed; rows sorted by the new ids, each tie byte on its entry
    mapped = sorted(zip(new_id[rows(net)], new_id[net.indices], net.tie, strict=True))
    assert mapped == sorted(zip(rows(new_net), new_net.indices, new_net.tie, strict=True))
    starts, ends = new_net.indptr[:-1], new_net.indptr[1:]
    ascending = np.diff(new_net.indices) > 0
    within_row = np.ones(len(new_net.indices) - 1, bool)
    within_row[ends[(ends > starts) & (ends < len(new_net.indices))] - 1] = False
    assert np.all(ascending[within_row])


def test_locality_order_puts_coworkers_households_together():
    _, pop, net = world("national-800")
    order = locality_order(pop)
    assert np.array_equal(np.sort(order), np.arange(pop.n))
    new_pop, new_net = renumber(pop, net, order)
    first = new_pop.household_start[:-1]
    size = np.diff(new_pop.household_start)
    adult_employer = np.where(new_pop.employer[first] >= 0, new_pop.employer[first],
                              np.where(size >= 2, new_pop.employer[np.minimum(first + 1,
                                                                              pop.n - 1)], -1))
    for r in range(len(pop.region_start) - 1):
        e = adult_employer[new_pop.region[first] == r]
        employed = int(np.sum(e >= 0))
        assert np.all(e[:employed] >= 0)  # households with a working adult first,
        assert np.all(np.diff(e[:employed]) >= 0)  # by employer
        assert np.all(e[employed:] < 0)

    def share_close(g):
        """Share of work ties whose ends are less than 64 ids (8 cache lines of scores) apart."""
        work = (g.tie & 0x7F) == 2
        return np.mean(np.abs(rows(g)[work] - g.indices[work]) < 64)

    # Coworkers were uniform in their region (750 agents: share 128 / 750 = 0.17). Sorted
    # by the first working adult, a tie between two such adults is within a run of its
    # company's households; ties of second adults stay scattered: measured 0.53 (seed 3,
    # about 8,500 work ties, so sampling error about 0.005).
    assert share_close(net) == pytest.approx(128 / 750, abs=0.03)
    assert share_close(new_net) > 2.5 * share_close(net)


def test_watts_strogatz_keeps_the_generators_numbering():
    assert keeps_numbering("watts_strogatz")
    assert not any(keeps_numbering(k) for k in ("barabasi_albert", "erdos_renyi", "sbm", "none"))
    sc, pop, net = world("pilot-1000")
    assert sc.network.kind == "watts_strogatz"
    names = Names.of(sc)
    state, _ = build_world(sc, names, compile_params(sc, names), 3)
    assert np.array_equal(state.net.indices, net.indices)
    assert np.array_equal(state.agents["household"], pop.household)


def test_build_world_renumbers_generated_networks():
    sc, pop, net = world("national-800")
    names = Names.of(sc)
    state, _ = build_world(sc, names, compile_params(sc, names), 3)
    new_pop, new_net = renumber(pop, net, locality_order(pop))
    assert np.array_equal(state.net.indices, new_net.indices)
    assert np.array_equal(state.agents["employer"], new_pop.employer)
    assert np.array_equal(state.household_start, new_pop.household_start)
