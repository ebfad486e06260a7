"""Tests of scsim.world.network: CSR building, generators, the edge-list loader, structure metrics.

Tolerances are k standard deviations of the quantity under the generator's own model
(k = 5 unless noted), so a correct generator fails with probability well below 1e-5.
"""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import numba
import numpy as np
import pytest

import golden
import scsim
from conftest import left_out_on_purpose
from scsim.errors import EdgeListError
from scsim.world.network import (
    SEVERED,
    TIE_FAMILY,
    TIE_SOCIAL,
    TIE_TYPE_NAMES,
    TIE_WORK,
    TYPE_MASK,
    Network,
    build_csr,
    count_nodes_hint,
    csr,
    generate_network,
    largest_component_fraction,
    load_edgelist,
    pack,
    score_assortativity,
)

K_SD = 5.0


# --------------------------------------------------------------------------- helpers


def entry_rows(net: Network) -> np.ndarray:
    """Row (source agent) of every directed entry."""
    return np.repeat(np.arange(net.n, dtype=np.int64), np.diff(net.indptr))


def assert_csr_invariants(net: Network) -> None:
    """Sorted rows, no duplicates, no self-loops, symmetric including the tie type."""
    assert net.indptr.dtype == csr.indptr_dtype(net.n_entries)
    assert net.entries.dtype == csr.entries_dtype(net.n)
    assert net.indptr[0] == 0 and net.indptr[-1] == net.n_entries
    assert np.all(np.diff(net.indptr) >= 0)
    assert net.n_entries % 2 == 0 and net.n_ties == net.n_entries // 2
    rows = entry_rows(net)
    cols = net.neighbour_ids()
    assert np.all((cols >= 0) & (cols < net.n))
    assert not np.any(rows == cols), "self-loop"
    same_row = rows[1:] == rows[:-1]
    assert np.all(cols[1:][same_row] > cols[:-1][same_row]), "row unsorted or duplicated"
    assert np.all(net.tie_codes() & TYPE_MASK <= TIE_WORK)
    forward = rows * net.n + cols
    backward = cols * net.n + rows
    order = np.argsort(backward)
    assert np.array_equal(forward, backward[order]), "not symmetric"
    codes = net.tie_codes()
    assert np.array_equal(codes, codes[order]), "tie types differ between directions"


def undirected_pairs(net: Network, code: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i < j of every tie (of one type if ``code`` is given)."""
    rows = entry_rows(net)
    keep = rows < net.neighbour_ids()
    if code is not None:
        keep &= net.tie_codes() == code
    return rows[keep], net.neighbour_ids()[keep].astype(np.int64)


def average_clustering(net: Network) -> float:
    """Mean local clustering coefficient (agents of degree < 2 count as 0)."""
    neighbours = [set(net.neighbour_ids()[net.indptr[i] : net.indptr[i + 1]]) for i in range(net.n)]
    total = 0.0
    for own in neighbours:
        d = len(own)
        if d >= 2:
            links = sum(len(own & neighbours[j]) for j in own) / 2
            total += links / (d * (d - 1) / 2)
    return total / net.n


def same_arrays(a: Network, b: Network) -> bool:
    return (
        np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.neighbour_ids(), b.neighbour_ids())
        and np.array_equal(a.tie_codes(), b.tie_codes())
    )


# --------------------------------------------------------------------------- build_csr


def test_build_csr_merges_duplicates_by_priority_and_drops_self_loops():
    edges = [
        (0, 1, TIE_SOCIAL),
        (1, 0, TIE_WORK),
        (0, 1, TIE_FAMILY),  # family wins over work and social
        (2, 3, TIE_SOCIAL),
        (3, 2, TIE_WORK),  # work wins over social
        (1, 2, TIE_SOCIAL),
        (2, 1, TIE_SOCIAL),
        (4, 4, TIE_FAMILY),  # self-loop
    ]
    src, dst, typ = (np.array(col) for col in zip(*edges, strict=True))
    net = build_csr(5, src.astype(np.int64), dst.astype(np.int32), typ.astype(np.uint8))
    assert_csr_invariants(net)
    assert net.n == 5 and net.n_ties == 3
    assert net.degree().tolist() == [1, 2, 2, 1, 0]
    assert net.degree().dtype == np.int32
    assert net.neighbour_ids().tolist() == [1, 0, 2, 1, 3, 2]
    assert net.tie_codes().tolist() == [TIE_FAMILY, TIE_FAMILY, TIE_SOCIAL, TIE_SOCIAL,
                                        TIE_WORK, TIE_WORK]
    assert net.indptr.dtype == np.uint32 and net.entries.dtype == np.uint32
    assert net.entries.tolist() == [(j << 4) | t for j, t in zip(
        [1, 0, 2, 1, 3, 2], [0, 0, 1, 1, 2, 2], strict=True)]  # neighbour << TIE_BITS | code
    assert net.nbytes == 6 * 4 + 6 * 4


def test_build_csr_long_rows_sort_and_merge():
    # A hub with 200 leaves given in scrambled order, each leaf several times with mixed
    # types: exercises the np.sort path for rows longer than the insertion-sort limit.
    leaves = np.arange(1, 201)
    src = np.concatenate([np.zeros(600, dtype=np.int64), leaves[::-1]])
    dst = np.concatenate([np.tile(leaves[::-1], 3), np.zeros(200, dtype=np.int64)])
    typ = np.concatenate(
        [
            np.full(200, TIE_SOCIAL),
            np.where(leaves % 2 == 0, TIE_WORK, TIE_SOCIAL)[::-1],
            np.where(leaves % 3 == 0, TIE_FAMILY, TIE_SOCIAL)[::-1],
            np.full(200, TIE_SOCIAL),
        ]
    ).astype(np.uint8)
    net = build_csr(201, src, dst, typ)
    assert_csr_invariants(net)
    assert net.neighbour_ids()[: net.indptr[1]].tolist() == leaves.tolist()
    expected = np.where(
        leaves % 3 == 0, TIE_FAMILY, np.where(leaves % 2 == 0, TIE_WORK, TIE_SOCIAL)
    )
    assert net.tie_codes()[: net.indptr[1]].tolist() == expected.tolist()


def test_build_csr_rejects_bad_input():
    ids = np.array([0, 5])
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        build_csr(5, ids, ids[::-1], np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="tie-type"):
        build_csr(6, ids, ids[::-1], np.array([1, 9], np.uint8))


def test_build_csr_empty():
    none = np.empty(0, np.int32)
    net = build_csr(3, none, none, np.empty(0, np.uint8))
    assert_csr_invariants(net)
    assert net.n == 3 and net.n_ties == 0


# --------------------------------------------------------------------------- row pointer


def test_the_row_pointer_is_uint32_up_to_2_to_the_32_minus_1_entries():
    assert csr.INDPTR32_MAX_ENTRIES == 2**32 - 1 == np.iinfo(np.uint32).max
    assert csr.indptr_dtype(0) == np.uint32
    assert csr.indptr_dtype(2**32 - 1) == np.uint32
    assert csr.indptr_dtype(2**32) == np.int64
    assert csr.indptr_dtype(2**40) == np.int64


def test_a_network_over_the_limit_is_built_with_an_int64_row_pointer(monkeypatch):
    """The same rows with either row pointer; a network whose edge list was over the limit
    but whose merged entries are not gets a uint32 one."""
    src = np.array([0, 1, 0, 2, 3, 3, 4], np.int32)
    dst = np.array([1, 0, 2, 1, 4, 3, 0], np.int32)  # 0-1 twice, 3-3 a self-loop
    typ = np.array([TIE_SOCIAL, TIE_WORK, TIE_SOCIAL, TIE_FAMILY, TIE_WORK, TIE_SOCIAL,
                    TIE_SOCIAL], np.uint8)
    narrow = build_csr(5, src, dst, typ)
    assert narrow.indptr.dtype == np.uint32 and narrow.indptr[-1] == 10 < 2 * len(src)
    monkeypatch.setattr(csr, "INDPTR32_MAX_ENTRIES", 9)
    wide = build_csr(5, src, dst, typ)
    assert wide.indptr.dtype == np.int64
    assert wide.indptr.tolist() == narrow.indptr.tolist()
    assert wide.neighbour_ids().tolist() == narrow.neighbour_ids().tolist()
    assert wide.tie_codes().tolist() == narrow.tie_codes().tolist()
    assert_csr_invariants(wide)
    monkeypatch.setattr(csr, "INDPTR32_MAX_ENTRIES", 10)  # 14 before merging, 10 after
    assert build_csr(5, src, dst, typ).indptr.dtype == np.uint32
    assert csr.canonical_indptr(wide.indptr).dtype == np.uint32
    assert csr.canonical_indptr(narrow.indptr) is narrow.indptr  # no copy when it has it


def test_a_network_of_more_agents_than_uint32_entries_hold_gets_uint64_entries(monkeypatch):
    """Beyond ``ENTRIES32_MAX_AGENTS`` agents a neighbour id shifted above the tie code
    needs more than 32 bits: the same rows, merged and compacted alike, in uint64; ids up
    to 2^30 - 1 keep their code."""
    src = np.array([0, 1, 0, 2, 3, 3, 4], np.int32)
    dst = np.array([1, 0, 2, 1, 4, 3, 0], np.int32)  # 0-1 twice, 3-3 a self-loop
    typ = np.array([TIE_SOCIAL, TIE_WORK, TIE_SOCIAL, TIE_FAMILY, TIE_WORK, TIE_SOCIAL,
                    TIE_SOCIAL], np.uint8)
    narrow = build_csr(5, src, dst, typ)
    monkeypatch.setattr(csr, "ENTRIES32_MAX_AGENTS", 4)
    wide = build_csr(5, src, dst, typ)
    assert narrow.entries.dtype == np.uint32 and wide.entries.dtype == np.uint64
    assert wide.entries.tolist() == narrow.entries.tolist()
    assert wide.nbytes == narrow.nbytes + 4 * narrow.n_entries
    assert_csr_invariants(wide)
    top = np.array([2**30 - 1, 2**28], np.int64)
    entries = csr.pack(2**30, top, np.array([TIE_WORK | SEVERED, TIE_FAMILY], np.uint8))
    assert entries.dtype == np.uint64
    assert csr.neighbours_of(entries).tolist() == top.tolist()
    assert csr.codes_of(entries).tolist() == [TIE_WORK | SEVERED, TIE_FAMILY]


# high-control with shaming: association, listing announcements, shaming's severing and
# restoring, false reports, detention's suspended ties, norms, the network measures, case
# files and the network sample all read the row pointer. Small, because the int64 variant of
# every kernel that takes it is compiled for this test alone (the first time, about a
# minute); the population size changes nothing of that.
INT64_RUN = dict(agents=2000, days=40, overrides=[
    "shaming.enabled=true", "shaming.probability=0.5", "shaming.sever.social=0.3",
    "shaming.restore_rate=0.05", "detention.probability=0.5", "detention.threshold=600",
    "norms.toward=neighbours", "listing.threshold=700", "metrics.network_every=5"])


def test_an_int64_row_pointer_gives_the_same_outputs_bit_for_bit(monkeypatch):
    """A network of more than 2^32 - 1 entries gets an int64 row pointer: forced here on a
    small one (a limit of -1), every output column is the same as with uint32."""
    from scsim.outputs.casefile import Trace

    def run() -> tuple[np.dtype, dict, object]:
        with left_out_on_purpose("days=40"):  # the system's year, not its abolition
            sc = scsim.load_scenario("high-control", **INT64_RUN)
        sim = scsim.Simulation(sc, seed=3, trace=Trace(sample=10, wrongful=True))
        res = sim.run()
        return sim.state.net.indptr.dtype, {
            name: {col: golden.column_digest(df[col]) for col in df.columns}
            for name, df in golden.result_tables(res).items()}, res.metrics.sum(
                numeric_only=True)

    dtype, narrow, totals = run()
    assert dtype == np.uint32
    for busy in ("ties_severed", "ties_restored", "ties_suspended", "false_reports_accepted",
                 "newly_listed"):
        assert totals[busy] > 0, busy
    monkeypatch.setattr(csr, "INDPTR32_MAX_ENTRIES", -1)
    dtype, wide, _ = run()
    assert dtype == np.int64
    assert golden.compare_run("int64", {"settings": {}, "tables": narrow},
                              {"settings": {}, "tables": wide}) == []


# --------------------------------------------------------------------------- generators


@pytest.mark.parametrize("kind", ["erdos_renyi", "barabasi_albert", "watts_strogatz", "sbm"])
def test_every_generator_gives_a_valid_csr_and_is_reproducible(kind):
    n = 3000
    households = np.arange(0, n + 1, 4, dtype=np.int64)
    employer = (np.arange(n) // 40).astype(np.int32)
    employer[::7] = -1
    kwargs = dict(
        kind=kind,
        mean_degree=6,
        household_start=households,
        employer=employer,
        work_degree=4,
        group=(np.arange(n) % 3).astype(np.uint8),
        region_start=np.array([0, 1000, n], dtype=np.int64),
        homophily_group=0.6,
        homophily_region=0.8,
    )
    net = generate_network(n, 11, **kwargs)
    assert_csr_invariants(net)
    assert set(np.unique(net.tie_codes())) == {TIE_FAMILY, TIE_SOCIAL, TIE_WORK}
    assert same_arrays(net, generate_network(n, 11, **kwargs))
    assert not same_arrays(net, generate_network(n, 12, **kwargs))


@pytest.mark.parametrize("kind", ["erdos_renyi", "barabasi_albert", "watts_strogatz", "sbm"])
def test_generators_do_not_depend_on_thread_count(kind):
    n = 20_000
    kwargs = dict(
        kind=kind,
        mean_degree=8,
        employer=(np.arange(n) // 100).astype(np.int32),
        work_degree=4,
        group=(np.arange(n) % 2).astype(np.uint8),
        homophily_group=0.8,
    )
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = generate_network(n, 5, **kwargs)
    finally:
        numba.set_num_threads(threads)
    assert same_arrays(serial, generate_network(n, 5, **kwargs))


def test_none_kind_and_empty_population():
    net = generate_network(100, 1, kind="none", mean_degree=8)
    assert net.n == 100 and net.n_ties == 0
    for kind in ["erdos_renyi", "barabasi_albert", "watts_strogatz", "sbm", "none"]:
        assert generate_network(0, 1, kind=kind, mean_degree=8).n == 0


def test_generator_rejects_bad_parameters():
    with pytest.raises(ValueError, match="unknown network kind"):
        generate_network(10, 1, kind="small_world", mean_degree=4)
    with pytest.raises(ValueError, match="homophily_region"):
        generate_network(10, 1, kind="sbm", mean_degree=4, homophily_region=1.5)
    with pytest.raises(ValueError, match="region_start"):
        generate_network(10, 1, kind="sbm", mean_degree=4, region_start=np.array([0, 5]))
    with pytest.raises(ValueError, match="employer"):
        generate_network(10, 1, kind="none", mean_degree=0, employer=np.zeros(3), work_degree=2)
    with pytest.raises(ValueError, match="employer"):
        generate_network(3, 1, kind="none", mean_degree=0, employer=[0, -2, 1], work_degree=2)
    with pytest.raises(ValueError, match="group"):
        generate_network(3, 1, kind="sbm", mean_degree=2, group=[0, 256, 1])


def test_erdos_renyi_degrees():
    n, mean_degree = 100_000, 8.0
    net = generate_network(n, 3, kind="erdos_renyi", mean_degree=mean_degree)
    assert np.all(net.tie_codes() == TIE_SOCIAL)
    pairs = round(n * mean_degree / 2)
    # m pairs drawn with replacement among C(n, 2): about m^2 / (2 C(n, 2)) repeats merged.
    expected_repeats = pairs**2 / (n * (n - 1))
    assert pairs - 10 * expected_repeats - 5 <= net.n_ties <= pairs
    # Each degree is Binomial(2m, 1/n) ~ Poisson(8): the sample variance has sd
    # sqrt((mu4 - sigma^4) / n) = sqrt((lam + 2 lam^2) / n).
    deg = net.degree()
    var_sd = math.sqrt((mean_degree + 2 * mean_degree**2) / n)
    assert abs(deg.var() - mean_degree) < K_SD * var_sd


def test_barabasi_albert_minimum_degree_and_heavy_tail():
    n, mean_degree = 20_000, 6.0
    m = 3
    net = generate_network(n, 4, kind="barabasi_albert", mean_degree=mean_degree)
    deg = net.degree()
    assert deg.min() == m  # each agent attaches to m distinct earlier agents
    assert net.n_ties == m * (m + 1) // 2 + (n - m - 1) * m  # no repeated pairs at all
    # The largest degree grows like m sqrt(n) (about 420 here); a Poisson graph with the
    # same mean would stay below 25.
    assert deg.max() > 20 * deg.mean()


def test_watts_strogatz_lattice_and_rewired():
    n, k = 1000, 6
    lattice = generate_network(n, 5, kind="watts_strogatz", mean_degree=k, rewire=0.0)
    assert np.all(lattice.degree() == k)
    # Ring lattice clustering: 3 (k - 2) / (4 (k - 1)) = 0.6 exactly.
    assert average_clustering(lattice) == pytest.approx(3 * (k - 2) / (4 * (k - 1)))
    rewired = generate_network(n, 5, kind="watts_strogatz", mean_degree=k, rewire=1.0)
    assert_csr_invariants(rewired)
    assert abs(rewired.degree().mean() - k) < 0.05
    # Fully rewired is close to a random graph, clustering about k / n = 0.006.
    assert average_clustering(rewired) < 0.05
    # Odd mean degree: the even number nearest, halves rounded up.
    assert np.all(
        generate_network(n, 5, kind="watts_strogatz", mean_degree=7, rewire=0).degree() == 8
    )


def test_watts_strogatz_over_households_keeps_every_social_tie():
    """With family ties the ring interleaves households' members, so no ring tie joins one
    household (it would merge into the family tie): each agent has its k ring ties on top
    of its family; with rewiring the social degree stays k on average, as the generated
    Erdős–Rényi one does."""
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 6, 400)
    household_start = np.concatenate([[0], np.cumsum(sizes)])
    n, k = int(household_start[-1]) + 7, 6  # 7 agents of no household at the end
    lattice = generate_network(n, 5, kind="watts_strogatz", mean_degree=k, rewire=0.0,
                               household_start=household_start)
    family = np.zeros(n, np.int64)
    family[: household_start[-1]] = np.repeat(sizes - 1, sizes)
    np.testing.assert_array_equal(lattice.degree(), family + k)
    _, social = undirected_pairs(lattice, TIE_SOCIAL)
    assert len(social) == n * k // 2
    rewired = generate_network(n, 5, kind="watts_strogatz", mean_degree=k, rewire=0.2,
                               household_start=household_start)
    assert abs(rewired.degree().mean() - (family.mean() + k)) < 0.05


def sbm_fractions(net: Network, region_of: np.ndarray, group: np.ndarray):
    i, j = undirected_pairs(net, TIE_SOCIAL)
    return (
        len(i),
        float(np.mean(region_of[i] == region_of[j])),
        float(np.mean(group[i] == group[j])),
    )


def test_sbm_homophily_matches_parameters():
    n, mean_degree = 100_000, 8.0
    region_start = np.array([0, 10_000, 40_000, n], dtype=np.int64)  # shares .1, .3, .6
    region_of = np.repeat(np.arange(3), np.diff(region_start))
    group = np.random.default_rng(1).choice(3, size=n, p=[0.55, 0.3, 0.15]).astype(np.uint8)
    kwargs = dict(kind="sbm", mean_degree=mean_degree, group=group, region_start=region_start)

    net = generate_network(n, 8, homophily_region=0.8, homophily_group=0.7, **kwargs)
    ties, within_region, within_group = sbm_fractions(net, region_of, group)
    # Ties ~ Poisson(n d / 2); each stays inside with probability h, independently.
    assert abs(2 * ties / n - mean_degree) < K_SD * math.sqrt(2 * mean_degree / n)
    for share, h in ((within_region, 0.8), (within_group, 0.7)):
        assert abs(share - h) < K_SD * math.sqrt(h * (1 - h) / ties)

    # At or below chance there is no preference: ties land in proportion to size.
    net = generate_network(n, 8, homophily_region=0.0, homophily_group=0.1, **kwargs)
    ties, within_region, within_group = sbm_fractions(net, region_of, group)
    chance_region = float(np.sum((np.diff(region_start) / n) ** 2))
    chance_group = float(np.sum((np.bincount(group) / n) ** 2))
    for share, chance in ((within_region, chance_region), (within_group, chance_group)):
        assert abs(share - chance) < K_SD * math.sqrt(chance * (1 - chance) / ties) + 0.005


def test_household_cliques_are_complete_family_ties():
    sizes = np.tile([1, 2, 3, 4, 5, 7], 200)
    household_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(household_start[-1])
    net = generate_network(n, 2, kind="erdos_renyi", mean_degree=4, household_start=household_start)
    assert_csr_invariants(net)
    household_of = np.repeat(np.arange(len(sizes)), sizes)
    i, j = undirected_pairs(net)
    same = household_of[i] == household_of[j]
    family = net.tie_codes()[entry_rows(net) < net.neighbour_ids()] == TIE_FAMILY
    assert np.array_equal(same, family), "family ties are exactly the same-household pairs"
    assert same.sum() == np.sum(sizes * (sizes - 1) // 2), "every household is a clique"
    without = generate_network(
        n, 2, kind="none", mean_degree=0, household_start=household_start, family_ties=False
    )
    assert without.n_ties == 0


def test_work_ties_join_coworkers_with_expected_degree():
    company_size, work_degree = 50, 4.0
    n = 60_000
    employer = (np.arange(n) // company_size).astype(np.int32)
    employer[50_000:] = -1  # unemployed
    employer[49_999] = 5_000  # alone in its company: no coworker, no work tie
    net = generate_network(
        n, 6, kind="none", mean_degree=0, employer=employer, work_degree=work_degree
    )
    assert_csr_invariants(net)
    assert np.all(net.tie_codes() == TIE_WORK)
    i, j = undirected_pairs(net)
    assert np.all(employer[i] == employer[j]) and np.all(employer[i] >= 0)
    assert net.degree()[49_999:].max() == 0
    # A pair of coworkers gets Poisson(w / (s - 1)) stubs (w/2 stubs from each side spread
    # over s - 1 coworkers), so it is tied with p = 1 - exp(-w / (s - 1)), independently.
    full_companies = 49_999 // company_size
    pairs = full_companies * company_size * (company_size - 1) // 2
    last = 49_999 - full_companies * company_size  # the last, smaller company
    pairs += last * (last - 1) // 2
    p = 1 - math.exp(-work_degree / (company_size - 1))
    employed = 49_999
    expected_mean = 2 * pairs * p / employed
    sd = 2 * math.sqrt(pairs * p * (1 - p)) / employed
    mean_work_degree = 2 * net.n_ties / employed
    assert abs(mean_work_degree - expected_mean) < K_SD * sd
    assert abs(mean_work_degree - work_degree) < 0.2  # about work_degree when s >> w


def test_family_wins_over_work_when_a_household_works_together():
    n = 400
    household_start = np.arange(0, n + 1, 2, dtype=np.int64)
    employer = np.zeros(n, dtype=np.int32)  # everyone in one company
    net = generate_network(
        n,
        1,
        kind="none",
        mean_degree=0,
        household_start=household_start,
        employer=employer,
        work_degree=200,
    )
    assert_csr_invariants(net)
    i, j = undirected_pairs(net)
    types = net.tie_codes()[entry_rows(net) < net.neighbour_ids()]
    partners = i // 2 == j // 2
    assert np.all(types[partners] == TIE_FAMILY) and partners.sum() == n // 2
    assert np.all(types[~partners] == TIE_WORK)


# --------------------------------------------------------------------------- edge lists


def write(tmp_path: Path, text: str, name: str = "net.edges") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_ego_facebook_loads(ego_facebook):
    # The real file (skipped where ../shared/data does not have it).
    net, original_id, _ = load_edgelist(ego_facebook)
    assert net.n == 4039 and net.n_ties == 88234
    assert np.array_equal(original_id, np.arange(4039))
    assert np.all(net.tie_codes() == TIE_SOCIAL)
    assert_csr_invariants(net)
    assert count_nodes_hint(ego_facebook) >= net.n
    assert largest_component_fraction(net) == 1.0


def test_small_edges_fixture_loads_and_is_what_its_script_writes(small_edges):
    script = runpy.run_path(str(small_edges.with_name("make_small_edges.py")))
    text = small_edges.read_text(encoding="utf-8")
    assert text == script["small_edges_text"](), (
        "small.edges is not what its script writes: python tests/data/make_small_edges.py")
    assert text.startswith("#") and "\t" in text  # SNAP: comment lines, tab-separated
    net, original_id, _ = load_edgelist(small_edges)
    assert net.n == 408 and net.n_ties == 2150
    assert np.array_equal(original_id, np.arange(408))
    assert np.all(net.tie_codes() == TIE_SOCIAL)
    assert_csr_invariants(net)
    assert count_nodes_hint(small_edges) >= net.n
    assert largest_component_fraction(net) == 1.0


def test_edgelist_relabels_types_comments_and_merging(tmp_path):
    text = (
        "\ufeff# a comment\r\n"
        "\r\n"
        "30 10\r\n"
        "  # an indented comment\n"
        "10\t20 FAMILY\n"
        "20 30 work   # trailing comment\n"
        "99 99\n"  # a self-loop: node 99 exists, the tie does not
        "10 30 2\n"  # repeats 30-10: work wins over social
        "5 20 0\n"
        "5 10 1"  # no final newline
    )
    path = write(tmp_path, text)
    net, original_id, cleaned = load_edgelist(path)
    assert original_id.tolist() == [5, 10, 20, 30, 99]
    # said, not done unsaid (scsim validate shows it)
    assert cleaned == "; 1 self-loop dropped, 1 repeated pair merged, 1 node without ties"
    assert load_edgelist(write(tmp_path, "0 1\n1 2\n", "clean.edges"))[2] == ""
    assert_csr_invariants(net)
    ties = {
        (int(original_id[a]), int(original_id[b])): TIE_TYPE_NAMES[t]
        for a, b, t in zip(
            *undirected_pairs(net), net.tie_codes()[entry_rows(net) < net.neighbour_ids()],
            strict=True
        )
    }
    assert ties == {
        (10, 30): "work",
        (10, 20): "family",
        (20, 30): "work",
        (5, 20): "family",
        (5, 10): "social",
    }
    assert count_nodes_hint(path) >= net.n


def test_edgelist_dense_and_sparse_ids_give_the_same_network(tmp_path):
    # Ids below a few times the edge count are relabelled through a table, larger ones by
    # sorting: both must give node k = the k-th smallest id.
    net = generate_network(500, 1, kind="erdos_renyi", mean_degree=6)
    i, j = undirected_pairs(net)
    dense = write(tmp_path, "".join(f"{a} {b}\n" for a, b in zip(i, j, strict=True)), "d")
    scale = 10**12
    sparse = write(
        tmp_path, "".join(f"{a * scale} {b * scale}\n" for a, b in zip(i, j, strict=True)), "s"
    )
    dense_net, dense_ids, _ = load_edgelist(dense)
    sparse_net, sparse_ids, _ = load_edgelist(sparse)
    present = np.flatnonzero(net.degree())  # isolated agents are not in the file
    assert np.array_equal(dense_ids, present)
    assert np.array_equal(sparse_ids, present * scale)
    assert same_arrays(dense_net, sparse_net)
    assert dense_net.n_ties == net.n_ties
    assert np.array_equal(dense_net.degree(), net.degree()[present])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 1\n1 2\nabc 5\n", r"net\.edges:3: expected two node ids, got 'abc 5'"),
        ("# c\n\n0 1\n7\n", r"net\.edges:4: expected two node ids, got '7'"),
        ("0 1\n1 -2\n", r"net\.edges:2: node id must be a non-negative integer .*'-2'"),
        ("0 1\n2.5 1\n", r"net\.edges:2: node id must be a non-negative integer .*'2\.5'"),
        ("0 1\n1 2 friend\n", r"net\.edges:2: unknown tie type 'friend'"),
        ("0 1 social\n1 2 work 3\n", r"net\.edges:2: expected two node ids and an optional"),
        ("1 99999999999999999999\n", r"net\.edges:1: node id too large"),
    ],
)
def test_edgelist_errors_name_the_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(EdgeListError, match=message) as caught:
        load_edgelist(path)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def test_edgelist_missing_and_empty(tmp_path):
    missing = tmp_path / "nope.edges"
    with pytest.raises(EdgeListError, match=r"^network file not found: .*nope\.edges$"):
        load_edgelist(missing)
    with pytest.raises(EdgeListError, match="network file not found"):
        count_nodes_hint(missing)
    for text in ["", "# only a comment\n\n   \n"]:
        with pytest.raises(EdgeListError, match=r"net\.edges: no edges$"):
            load_edgelist(write(tmp_path, text))


# --------------------------------------------------------------------------- structure


def severed(net: Network, pairs: list[tuple[int, int]]) -> Network:
    """A copy of ``net`` with the given ties severed in both directions."""
    tie = net.tie_codes().copy()
    rows = entry_rows(net)
    for a, b in pairs:
        nbrs = net.neighbour_ids()
        tie[((rows == a) & (nbrs == b)) | ((rows == b) & (nbrs == a))] |= SEVERED
    return Network(net.indptr, pack(net.n, net.neighbour_ids(), tie))


def graph(n: int, pairs: list[tuple[int, int]]) -> Network:
    """n agents with social ties between the given pairs."""
    ends = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return build_csr(n, ends[:, 0], ends[:, 1], np.full(len(ends), TIE_SOCIAL, dtype=np.uint8))


def test_largest_component_fraction():
    # Two triangles and an isolated agent.
    net = graph(7, [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)])
    assert largest_component_fraction(net) == pytest.approx(3 / 7)
    # A path of five; severing the middle tie splits it into 2 + 3.
    path = graph(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    assert largest_component_fraction(path) == 1.0
    assert largest_component_fraction(severed(path, [(1, 2)])) == pytest.approx(3 / 5)
    assert largest_component_fraction(severed(path, [(0, 1), (3, 4)])) == pytest.approx(3 / 5)
    everything = severed(path, [(0, 1), (1, 2), (2, 3), (3, 4)])
    assert largest_component_fraction(everything) == pytest.approx(1 / 5)
    assert math.isnan(largest_component_fraction(graph(0, [])))


def test_largest_component_fraction_matches_breadth_first_search():
    # A subcritical random graph (mean degree 0.9) has many components of all sizes.
    n = 3000
    net = generate_network(n, 3, kind="erdos_renyi", mean_degree=0.9)
    rows = entry_rows(net)
    tie = net.tie_codes().copy()
    tie[(rows + net.neighbour_ids()) % 5 == 0] |= SEVERED  # symmetric in (i, j)
    cut = Network(net.indptr, pack(n, net.neighbour_ids(), tie))
    nbrs, codes = cut.neighbour_ids(), cut.tie_codes()
    label = np.full(n, -1)
    for start in range(n):
        if label[start] < 0:
            label[start] = start
            frontier = [start]
            while frontier:
                i = frontier.pop()
                for a in range(cut.indptr[i], cut.indptr[i + 1]):
                    j = nbrs[a]
                    if not codes[a] & SEVERED and label[j] < 0:
                        label[j] = start
                        frontier.append(j)
    largest = np.bincount(label).max()
    assert 10 < largest < n / 2
    assert largest_component_fraction(cut) == largest / n


def test_score_assortativity_known_answers():
    pairs_alike = graph(4, [(0, 1), (2, 3)])
    assert score_assortativity(pairs_alike, np.array([1.0, 1.0, 5.0, 5.0])) == pytest.approx(1)
    pairs_unlike = graph(4, [(0, 2), (1, 3)])
    assert score_assortativity(pairs_unlike, np.array([1.0, 1.0, 5.0, 5.0])) == pytest.approx(-1)
    # Path 0-1-2, scores 0, 1, 3: entries (x, y) = (0,1) (1,0) (1,3) (3,1); mean 1.25,
    # cov = (-1.25*-.25 + -.25*-1.25 + -.25*1.75 + 1.75*-.25) / 4, var = 1.1875.
    path = graph(3, [(0, 1), (1, 2)])
    expected = ((0.3125 * 2 - 0.4375 * 2) / 4) / 1.1875
    assert score_assortativity(path, np.array([0.0, 1.0, 3.0])) == pytest.approx(expected)
    # Severed ties do not count: only 1-2 is left, entries (1, 3) and (3, 1): r = -1.
    assert score_assortativity(severed(path, [(0, 1)]), np.array([0.0, 1.0, 3.0])) == -1.0
    assert math.isnan(score_assortativity(graph(2, [(0, 1)]), np.array([2.0, 2.0])))
    assert math.isnan(score_assortativity(graph(3, []), np.array([0.0, 1.0, 3.0])))


def test_score_assortativity_matches_pearson_and_thread_count():
    n = 50_000
    net = generate_network(n, 9, kind="erdos_renyi", mean_degree=6)
    rows = entry_rows(net)
    cut = rows < net.neighbour_ids()
    tie = net.tie_codes().copy()
    # Sever every tenth tie (both directions) to check that severed entries are skipped.
    i, j = rows[cut][::10], net.neighbour_ids()[cut][::10]
    key = rows * n + net.neighbour_ids()
    tie[np.searchsorted(key, i * n + j)] |= SEVERED
    tie[np.searchsorted(key, j.astype(np.int64) * n + i)] |= SEVERED
    cut_net = Network(net.indptr, pack(net.n, net.neighbour_ids(), tie))
    score = np.sin(np.arange(n) / 7.0) + 0.001 * np.arange(n) / n
    active = (tie & SEVERED) == 0
    expected = np.corrcoef(score[rows[active]], score[net.neighbour_ids()[active]])[0, 1]
    result = score_assortativity(cut_net, score)
    assert result == pytest.approx(expected, abs=1e-12)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = score_assortativity(cut_net, score)
    finally:
        numba.set_num_threads(threads)
    assert serial == result  # bit for bit
    # a column of score pairs, packed into a lent workspace (the scores' scratch) or a copy
    pairs = np.stack([score, -score], axis=1)
    workspace = np.full((n, 2), np.nan)
    assert score_assortativity(cut_net, pairs[:, 0], workspace) == result
    np.testing.assert_array_equal(workspace.reshape(-1)[:n], score)
    assert score_assortativity(cut_net, pairs[:, 0], np.empty((n - 1, 1))) == result
    assert score_assortativity(cut_net, pairs[:, 0]) == result


def test_a_run_on_an_edge_list_gives_each_agent_its_node_id_back(tmp_path):
    """Agent k is the k-th smallest node id of the file; the agents table's ``file_id``
    says which, survives a checkpoint, and a case file's first line names it: a user can
    join outputs back to the nodes of their own data."""
    from scsim.core.engine import Simulation

    rng = np.random.default_rng(3)
    ids = np.sort(rng.choice(10**12, 120, replace=False))  # sparse, far beyond int32
    u, v = rng.integers(0, 120, 400), rng.integers(0, 120, 400)
    path = write(tmp_path, "".join(f"{ids[b]} {ids[a]}\n" for a, b in zip(u, v, strict=True)))
    in_file = np.unique(np.concatenate([ids[u], ids[v]]))
    sc = scsim.load_scenario("national-800", days=12, network=path)
    res = scsim.simulate(sc, seed=2, trace=[7])
    agents = res.agents
    assert list(agents.columns[:2]) == ["agent", "file_id"]
    np.testing.assert_array_equal(agents["file_id"], in_file)
    # each node's degree in the file (self-loops and repeated pairs aside) is its agent's
    pairs = {tuple(sorted(p)) for p in zip(ids[u].tolist(), ids[v].tolist(), strict=True)
             if p[0] != p[1]}
    degree = dict.fromkeys(in_file.tolist(), 0)
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1
    assert agents["degree"].tolist() == [degree[i] for i in in_file.tolist()]
    first = str(res.explain(7)).splitlines()[0]
    assert first.startswith(f"agent 7 (node {in_file[7]} of the network file): case file")

    sim = Simulation(sc, seed=2)
    sim.run_until(5)
    resumed = Simulation.load(sim.save(tmp_path / "ck")).run()
    np.testing.assert_array_equal(resumed.agents["file_id"], in_file)
    generated = scsim.simulate(scsim.load_scenario("national-800", agents=50, days=2), seed=1)
    assert "file_id" not in generated.agents.columns
