"""Day 0: the population, its network and the initial state of a run."""

from __future__ import annotations

import numpy as np

from scsim.core.memory import check_memory
from scsim.core.params import Names, Params
from scsim.core.state import (
    AGENT_ARRAYS,
    COMPANY_ARRAYS,
    State,
    allocate,
    short_arrays,
    ties_dtype,
    widths,
)
from scsim.mechanisms.classify import assign_tiers, list_initially
from scsim.scenario.schema import Scenario
from scsim.seeds import check_seed
from scsim.world.network import generate_network, load_edgelist
from scsim.world.network.edgelist import check_read_memory, count_nodes_hint
from scsim.world.order import locality_order, renumber
from scsim.world.population import build_population, company_count, draw_traits


def check_fits(sc: Scenario, names: Names) -> None:
    """Refuse (``MemoryRefused``) a run of ``sc`` whose estimate exceeds the memory
    available (``core.memory.check_memory``), before anything is read or built: with an
    edge-list network, reading the file, then the run of its node count (from its size
    and lines); else the run of its population."""
    if sc.network.kind == "file":
        check_read_memory(sc.network.path)  # reading the file, from its size and lines
        check_memory(sc, count_nodes_hint(sc.network.path), names)
    else:
        check_memory(sc, sc.population.agents, names)


def build_world(sc: Scenario, names: Names, p: Params, seed: int) -> tuple[State, Scenario]:
    """The initial state, on day ``-warmup_days`` (day 0 without a warm-up), with the
    initially listed agents; and the scenario with the population size actually used (an
    edge-list network fixes it to the file's node count). The seed and the memory needed
    are checked before anything is allocated."""
    seed = check_seed(seed)
    net = file_ids = None
    check_fits(sc, names)
    if sc.network.kind == "file":
        net, file_ids, _cleaned = load_edgelist(sc.network.path)
        sc = sc.model_copy(update={"population": sc.population.model_copy(
            update={"agents": net.n})})
        check_memory(sc, net.n, names, net.n_entries)
    n = sc.population.agents
    pop = build_population(sc, n, seed)
    if net is None:
        pop = renumber(pop, locality_order(pop))
        net = generate_network(
            n, seed, kind=sc.network.kind, mean_degree=sc.network.mean_degree,
            rewire=sc.network.rewire, homophily_group=sc.network.homophily.group,
            homophily_region=sc.network.homophily.region, group=pop.group,
            region_start=pop.region_start, household_start=pop.household_start,
            family_ties=sc.network.family_ties, employer=pop.employer,
            work_degree=sc.network.work_degree)

    degree = np.diff(net.indptr)
    dims = {**widths(names), "ties": ties_dtype(int(degree.max()) if n else 0)}
    agents = allocate(AGENT_ARRAYS, n, dims, short_arrays(names, n))
    # The population's arrays become the state's (same dtypes; the zeroed ones they replace
    # were never touched, so never took memory).
    for name in ("group", "region", "employer"):
        agents[name] = getattr(pop, name).astype(agents[name].dtype, copy=False)
    draw_traits(sc, names.categories, seed, agents["propensity"], agents["conformity"],
                agents["malice"])
    s0 = p.score.s0_group[pop.group]
    agents["scores"][:] = s0[:, None]  # recorded and error-free (state.clean_column)
    assign_tiers(agents["scores"], p.classify.tier_min, agents["tier"])
    if len(agents["deg_active"]):  # none when no tie can go inactive (short_arrays)
        agents["deg_active"][:] = degree
    agents["mistaken_for"][:] = -1
    agents["falsely_reported_by"][:] = -1
    del degree

    m = company_count(sc, n)
    companies = allocate(COMPANY_ARRAYS, m, dims)
    co = p.companies
    companies["score"][:] = co.s0
    companies["rep"][:] = pop.company_rep
    companies["sector"][:] = pop.company_sector
    companies["region"][:] = pop.company_region
    companies["revenue"][:] = pop.company_revenue
    companies["tier"][:] = np.minimum(np.sum(co.ct_min > co.s0), len(co.ct_min) - 1)
    state = State(day=-sc.warmup_days, agents=agents, companies=companies, net=net,
                  household_start=pop.household_start, region_start=pop.region_start,
                  company_region_start=pop.company_region_start, file_ids=file_ids)
    if sc.listing.initial_share > 0:
        list_initially(state, p.classify, (p.region_start_day <= 0).astype(np.uint8),
                       sc.listing.initial_share, seed)
    return state, sc
