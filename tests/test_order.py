"""Tests of scsim.world.order: the renumbering of agents for locality.

The renumbered population must be the same people under a permutation that keeps regions
and households contiguous (members in their order); the order must put coworkers'
households next to each other, so that the work ties generated from it join nearby ids;
``build_world`` renumbers generated networks' populations and leaves a loaded edge list's
alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scsim
from scsim.core.params import Names, compile_params
from scsim.world.build import build_world
from scsim.world.network import TIE_WORK, TYPE_MASK, generate_network
from scsim.world.order import locality_order, renumber
from scsim.world.population import build_population

N = 6000
SEED = 3


def population(scenario: str, n: int = N):
    sc = scsim.load_scenario(scenario, agents=n, days=1)
    return sc, build_population(sc, n, SEED)


def network(sc, pop):
    """The network ``build_world`` generates for population ``pop``."""
    net = sc.network
    return generate_network(
        pop.n, SEED, kind=net.kind, mean_degree=net.mean_degree, rewire=net.rewire,
        homophily_group=net.homophily.group, homophily_region=net.homophily.region,
        group=pop.group, region_start=pop.region_start,
        household_start=pop.household_start, family_ties=net.family_ties,
        employer=pop.employer, work_degree=net.work_degree)


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
def test_renumbering_renames_people_and_nothing_else(scenario):
    _, pop = population(scenario)
    order = household_shuffle(pop, 7)
    new = renumber(pop, order)
    new_id = np.empty(pop.n, np.int64)
    new_id[order] = np.arange(pop.n)
    assert np.array_equal(new.region, pop.region)  # regions stay where they were
    assert np.array_equal(new.region_start, pop.region_start)
    assert np.array_equal(pop.region[order], pop.region)
    assert np.array_equal(new.group, pop.group[order])
    assert np.array_equal(new.employer, pop.employer[order])
    assert np.array_equal(new.company_rep, new_id[pop.company_rep])
    assert np.array_equal(new.company_region, pop.company_region)
    # households: contiguous, numbered in id order, the same members in the same order
    hs = new.household_start
    assert hs[0] == 0 and hs[-1] == pop.n and len(hs) == len(pop.household_start)
    assert np.array_equal(new.household, np.repeat(np.arange(len(hs) - 1), np.diff(hs)))
    for h in range(len(hs) - 1):
        members = order[hs[h]:hs[h + 1]]
        old = pop.household[members[0]]
        assert np.array_equal(members, np.arange(pop.household_start[old],
                                                 pop.household_start[old + 1]))


def test_locality_order_puts_coworkers_households_together():
    sc, pop = population("national-800")
    order = locality_order(pop)
    assert np.array_equal(np.sort(order), np.arange(pop.n))
    new = renumber(pop, order)
    first = new.household_start[:-1]
    size = np.diff(new.household_start)
    second = np.where(size >= 2, new.employer[np.minimum(first + 1, pop.n - 1)], -1)
    adult_employer = np.where(new.employer[first] >= 0, new.employer[first], second)
    for r in range(len(pop.region_start) - 1):
        e = adult_employer[new.region[first] == r]
        employed = int(np.sum(e >= 0))
        assert np.all(e[:employed] >= 0)  # households with a working adult first,
        assert np.all(np.diff(e[:employed]) >= 0)  # by employer
        assert np.all(e[employed:] < 0)

    def share_close(g):
        """Share of work ties whose ends are less than 64 ids (8 cache lines of scores)
        apart."""
        work = (g.tie_codes() & TYPE_MASK) == TIE_WORK
        return np.mean(np.abs(rows(g)[work] - g.neighbour_ids()[work]) < 64)

    # Coworkers were uniform in their region (750 agents: share 128 / 750 = 0.17). Sorted
    # by the first working adult, a tie between two such adults is within a run of its
    # company's households; ties of second adults stay scattered: measured 0.53 (seed 3,
    # about 8,500 work ties, so sampling error about 0.005).
    assert share_close(network(sc, pop)) == pytest.approx(128 / 750, abs=0.03)
    assert share_close(network(sc, new)) > 2.5 * share_close(network(sc, pop))


@pytest.mark.parametrize("scenario", ["national-800", "pilot-1000"])
def test_build_world_generates_the_network_of_the_renumbered_population(scenario):
    sc, pop = population(scenario)
    names = Names.of(sc)
    state, _ = build_world(sc, names, compile_params(sc, names), SEED)
    new = renumber(pop, locality_order(pop))
    net = network(sc, new)
    assert np.array_equal(state.net.indptr, net.indptr)
    assert np.array_equal(state.net.neighbour_ids(), net.neighbour_ids())
    assert np.array_equal(state.agents["employer"], new.employer)
    assert np.array_equal(state.household_start, new.household_start)


def test_a_loaded_edge_list_keeps_its_numbering():
    path = Path(__file__).parent / "data" / "small.edges"
    sc = scsim.load_scenario("national-800", days=1, network=path)
    names = Names.of(sc)
    state, sc = build_world(sc, names, compile_params(sc, names), SEED)
    pop = build_population(sc, state.n, SEED)
    assert np.array_equal(state.agents["employer"], pop.employer)
    assert np.array_equal(state.household_start, pop.household_start)
