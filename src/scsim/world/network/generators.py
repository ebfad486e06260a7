"""Synthetic tie networks: household cliques, coworker ties and one social-tie model.

``generate_network`` counts the edges of every part first, allocates one flat edge list
(int32 endpoints, uint8 type: 9 bytes per undirected tie), fills it in place and hands it to
``build_csr_from``, which frees it as soon as its entries are in the CSR rows. Peak memory is
therefore that edge list plus the CSR's indptr and its sort keys (uint32 per directed entry,
before duplicates are merged; they become the tie entries in place): about 17 bytes per
undirected tie.

All randomness is counter-based (``scsim.core.rng``): each draw is a hash of (seed, purpose,
agent or edge index, draw number), so a seed fixes the network bit for bit whatever the
number of numba threads. Parallel kernels work on fixed blocks of agents or edges whose
output positions come from prefix sums over the blocks, never from thread order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, prange

from scsim.core.blocks import BLOCK
from scsim.core.rng import agent_hash, below, poisson, stream_key, sub_hash, unit
from scsim.world.network.csr import TIE_FAMILY, TIE_SOCIAL, TIE_WORK, Network, build_csr_from

NETWORK_KINDS = ("erdos_renyi", "barabasi_albert", "watts_strogatz", "sbm", "none")
"""Accepted values of ``generate_network(kind=...)``: the model of the social ties."""

_EDGE_BLOCK = 65536  # edges per parallel work unit

Filler = Callable[[np.ndarray, np.ndarray], None]
"""Writes one part's edges into (src, dst) slices of exactly the part's edge count."""


def _half_up(x: float) -> int:
    """round(x) with halves rounded up (2.5 -> 3), unlike Python's round-half-even."""
    return int(np.floor(x + 0.5))


# --------------------------------------------------------------------------- households


@njit(cache=True, parallel=True)
def _fill_household_cliques(household_start, edge_start, src, dst):
    """Every pair of members of household h, written from ``edge_start[h]`` on."""
    for h in prange(len(household_start) - 1):
        e = edge_start[h]
        for a in range(household_start[h], household_start[h + 1]):
            for b in range(a + 1, household_start[h + 1]):
                src[e] = a
                dst[e] = b
                e += 1


def _household_part(household_start: np.ndarray) -> tuple[int, Filler]:
    sizes = np.diff(household_start)
    edge_start = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes * (sizes - 1) // 2, out=edge_start[1:])

    def fill(src: np.ndarray, dst: np.ndarray) -> None:
        _fill_household_cliques(household_start, edge_start, src, dst)

    return int(edge_start[-1]), fill


# --------------------------------------------------------------------------- work


@njit(cache=True)
def _company_members(employer, n_companies):
    """Counting sort of employed agents by company: members of company c are
    ``members[company_start[c]:company_start[c + 1]]``, in ascending agent order."""
    company_start = np.zeros(n_companies + 1, dtype=np.int64)
    for i in range(len(employer)):
        if employer[i] >= 0:
            company_start[employer[i] + 1] += 1
    for c in range(n_companies):
        company_start[c + 1] += company_start[c]
    members = np.empty(company_start[n_companies], dtype=np.int32)
    cursor = company_start[:n_companies].copy()
    for i in range(len(employer)):
        c = employer[i]
        if c >= 0:
            members[cursor[c]] = i
            cursor[c] += 1
    return company_start, members


@njit(cache=True, inline="always")
def _work_stub_count(i, employer, company_start, key, stubs_per_agent):
    """Work ties agent i initiates: Poisson(stubs_per_agent) if it has a coworker, else 0."""
    c = employer[i]
    if c < 0 or company_start[c + 1] - company_start[c] < 2:
        return 0
    return poisson(unit(sub_hash(agent_hash(key, i), 0)), stubs_per_agent)


@njit(cache=True, parallel=True)
def _work_block_edge_start(employer, company_start, key, stubs_per_agent):
    """Offset of the first work edge of each agent block (and the total at the end)."""
    n = len(employer)
    n_blocks = (n + BLOCK - 1) // BLOCK
    # every other cell is written below (np.zeros would be a parallel region of its own:
    # core.precompile.parallel_regions)
    edge_start = np.empty(n_blocks + 1, dtype=np.int64)
    edge_start[0] = 0
    for b in prange(n_blocks):
        total = 0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            total += _work_stub_count(i, employer, company_start, key, stubs_per_agent)
        edge_start[b + 1] = total
    for b in range(n_blocks):
        edge_start[b + 1] += edge_start[b]
    return edge_start


@njit(cache=True, parallel=True)
def _fill_work(employer, company_start, members, key, stubs_per_agent, edge_start, src, dst):
    """Each stub of agent i goes to a coworker drawn uniformly from the others."""
    n = len(employer)
    for b in prange(len(edge_start) - 1):
        e = edge_start[b]
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            k = _work_stub_count(i, employer, company_start, key, stubs_per_agent)
            if k == 0:
                continue
            h = agent_hash(key, i)
            lo = company_start[employer[i]]
            size = company_start[employer[i] + 1] - lo
            for j in range(k):
                # A uniform slot among size - 1; the agent's own slot maps to the last one.
                coworker = members[lo + below(sub_hash(h, j + 1), size - 1)]
                if coworker == i:
                    coworker = members[lo + size - 1]
                src[e] = i
                dst[e] = coworker
                e += 1


def _work_part(employer: np.ndarray, seed: int, work_degree: float) -> tuple[int, Filler]:
    n_companies = int(employer.max()) + 1 if len(employer) else 0
    company_start, members = _company_members(employer, n_companies)
    key = stream_key(seed, "network:work")
    stubs_per_agent = work_degree / 2.0
    edge_start = _work_block_edge_start(employer, company_start, key, stubs_per_agent)

    def fill(src: np.ndarray, dst: np.ndarray) -> None:
        _fill_work(employer, company_start, members, key, stubs_per_agent, edge_start, src, dst)

    return int(edge_start[-1]), fill


# --------------------------------------------------------------------------- Erdős–Rényi


@njit(cache=True, parallel=True)
def _fill_erdos_renyi(n, key, src, dst):
    """Edge e joins two distinct agents drawn uniformly (pairs drawn with replacement)."""
    n_edges = len(src)
    for b in prange((n_edges + _EDGE_BLOCK - 1) // _EDGE_BLOCK):
        for e in range(b * _EDGE_BLOCK, min(n_edges, (b + 1) * _EDGE_BLOCK)):
            h = agent_hash(key, e)
            u = below(sub_hash(h, 0), n)
            v = below(sub_hash(h, 1), n - 1)
            if v >= u:
                v += 1
            src[e] = u
            dst[e] = v


def _erdos_renyi_part(n: int, seed: int, mean_degree: float) -> tuple[int, Filler]:
    n_edges = _half_up(n * mean_degree / 2.0) if n >= 2 else 0
    key = stream_key(seed, "network:erdos_renyi")

    def fill(src: np.ndarray, dst: np.ndarray) -> None:
        _fill_erdos_renyi(n, key, src, dst)

    return n_edges, fill


# --------------------------------------------------------------------------- Barabási–Albert


@njit(cache=True)
def _fill_barabasi_albert(n, m, key, src, dst):
    """A clique on the first m + 1 agents, then each later agent t attaches to m distinct
    earlier agents, each drawn with probability proportional to its degree: a uniform
    position in the list of all endpoints written so far (src/dst themselves)."""
    n_seed = min(n, m + 1)
    e = 0
    for a in range(n_seed):
        for b in range(a + 1, n_seed):
            src[e] = a
            dst[e] = b
            e += 1
    targets = np.empty(m, dtype=np.int64)
    for t in range(n_seed, n):
        h = agent_hash(key, t)
        draw = 0
        for k in range(m):
            duplicate = True
            while duplicate:
                slot = below(sub_hash(h, draw), 2 * e)
                draw += 1
                target = src[slot >> 1] if slot & 1 == 0 else dst[slot >> 1]
                duplicate = False
                for q in range(k):
                    if targets[q] == target:
                        duplicate = True
                        break
            targets[k] = target
        for k in range(m):
            src[e] = t
            dst[e] = targets[k]
            e += 1


def _barabasi_albert_part(n: int, seed: int, mean_degree: float) -> tuple[int, Filler]:
    m = max(1, _half_up(mean_degree / 2.0))
    n_seed = min(n, m + 1)
    n_edges = n_seed * (n_seed - 1) // 2 + (n - n_seed) * m
    if 2 * n_edges >= 2**32:
        raise ValueError("barabasi_albert: more than 2^31 edges are not supported")
    key = stream_key(seed, "network:barabasi_albert")

    def fill(src: np.ndarray, dst: np.ndarray) -> None:
        _fill_barabasi_albert(n, m, key, src, dst)

    return n_edges, fill


# --------------------------------------------------------------------------- Watts–Strogatz


@njit(cache=True, parallel=True)
def _fill_watts_strogatz(n, half, rewire, key, ring, src, dst):
    """Ring lattice: the agent at ring position p, i = ring[p], ties to the agents at
    positions p+1 .. p+half (mod n); each such tie has its far end moved, with probability
    ``rewire``, to an agent drawn uniformly from all but i."""
    for b in prange((n + BLOCK - 1) // BLOCK):
        for p in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            i = ring[p]
            h = agent_hash(key, i)
            for j in range(1, half + 1):
                x = sub_hash(h, j)
                target = ring[(p + j) % n]
                if unit(x) < rewire:
                    target = below(sub_hash(x, 0), n - 1)
                    if target >= i:
                        target += 1
                e = p * half + j - 1
                src[e] = i
                dst[e] = target


@njit(cache=True)
def _households_interleaved(household_start, n):
    """The ring of a Watts–Strogatz network whose agents live in households tied as
    families: the first member of every household in turn, then every second member,
    and so on, then the agents of no household. Ring neighbours are members of nearby
    households (agents are numbered so that those live near each other), never of one's
    own while there are more than ``half`` households: a ring tie inside a household would
    merge into its family tie and the network would fall short of its mean degree."""
    households = len(household_start) - 1
    largest = 0
    for h in range(households):
        largest = max(largest, household_start[h + 1] - household_start[h])
    at_rank = np.zeros(largest + 1, np.int64)  # households with a member of rank r
    for h in range(households):
        at_rank[household_start[h + 1] - household_start[h] - 1] += 1
    start = np.zeros(largest + 1, np.int64)
    total = 0
    for r in range(largest - 1, -1, -1):  # households of more than r members
        total += at_rank[r]
        at_rank[r] = total
    for r in range(1, largest + 1):
        start[r] = start[r - 1] + at_rank[r - 1]
    ring = np.empty(n, np.int64)
    for h in range(households):
        for r in range(household_start[h + 1] - household_start[h]):
            ring[start[r]] = household_start[h] + r
            start[r] += 1
    k = start[largest - 1] if largest else 0
    for i in range(n):
        if i < household_start[0] or i >= household_start[households]:
            ring[k] = i
            k += 1
    return ring


def _watts_strogatz_part(
    n: int, seed: int, mean_degree: float, rewire: float,
    household_start: np.ndarray | None
) -> tuple[int, Filler]:
    half = min(_half_up(mean_degree / 2.0), max(0, (n - 1) // 2))
    key = stream_key(seed, "network:watts_strogatz")

    def fill(src: np.ndarray, dst: np.ndarray) -> None:
        ring = (np.arange(n, dtype=np.int64) if household_start is None
                else _households_interleaved(household_start, n))
        _fill_watts_strogatz(n, half, rewire, key, ring, src, dst)

    return n * half, fill


# --------------------------------------------------------------------------- block model


@njit(cache=True)
def _block_members(region_start, group, n_groups):
    """Counting sort of agents by block (region, group), block id = region * n_groups + group.

    Regions are contiguous agent ranges, so region r still occupies positions
    ``region_start[r]:region_start[r + 1]`` of ``members``; block b occupies
    ``block_start[b]:block_start[b + 1]``."""
    n_blocks = (len(region_start) - 1) * n_groups
    block_start = np.zeros(n_blocks + 1, dtype=np.int64)
    for r in range(len(region_start) - 1):
        for i in range(region_start[r], region_start[r + 1]):
            block_start[r * n_groups + group[i] + 1] += 1
    for b in range(n_blocks):
        block_start[b + 1] += block_start[b]
    members = np.empty(block_start[n_blocks], dtype=np.int32)
    cursor = block_start[:n_blocks].copy()
    for r in range(len(region_start) - 1):
        for i in range(region_start[r], region_start[r + 1]):
            b = r * n_groups + group[i]
            members[cursor[b]] = i
            cursor[b] += 1
    return block_start, members


@njit(cache=True, parallel=True)
def _sbm_block_edge_start(n, key, stubs_per_agent):
    """Offset of the first social edge of each agent block (and the total at the end)."""
    n_blocks = (n + BLOCK - 1) // BLOCK
    # every other cell is written below (np.zeros would be a parallel region of its own:
    # core.precompile.parallel_regions)
    edge_start = np.empty(n_blocks + 1, dtype=np.int64)
    edge_start[0] = 0
    for b in prange(n_blocks):
        total = 0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            total += poisson(unit(sub_hash(agent_hash(key, i), 0)), stubs_per_agent)
        edge_start[b + 1] = total
    for b in range(n_blocks):
        edge_start[b + 1] += edge_start[b]
    return edge_start


@njit(cache=True, inline="always")
def _draw_in_range_except(x, lo, hi, skip_lo, skip_hi):
    """A uniform position in [lo, hi) outside [skip_lo, skip_hi) (which lies inside it)."""
    pos = lo + below(x, (hi - lo) - (skip_hi - skip_lo))
    if pos >= skip_lo:
        pos += skip_hi - skip_lo
    return pos


@njit(cache=True, inline="always")
def _sbm_partner(i, r, g, x, region_start, block_start, members, own_region_p, own_group_p):
    """The partner of one tie initiated by agent i (region r, group g), from hash x."""
    n = len(members)
    r_to = r
    if unit(sub_hash(x, 0)) >= own_region_p[r]:
        outsider = _draw_in_range_except(sub_hash(x, 1), 0, n, region_start[r], region_start[r + 1])
        r_to = np.searchsorted(region_start, outsider, side="right") - 1
    b = r_to * own_group_p.shape[1] + g
    lo = block_start[b]
    hi = block_start[b + 1]
    pick = sub_hash(x, 3)
    if unit(sub_hash(x, 2)) >= own_group_p[r_to, g]:
        return members[
            _draw_in_range_except(pick, region_start[r_to], region_start[r_to + 1], lo, hi)
        ]
    if r_to != r:
        return members[lo + below(pick, hi - lo)]
    # i's own block: a uniform slot among hi - lo - 1; i's own slot maps to the last one.
    # (An agent alone in its block gets itself, a self-loop that build_csr drops.)
    partner = members[lo + below(pick, hi - lo - 1)]
    return members[hi - 1] if partner == i else partner


@njit(cache=True, parallel=True)
def _fill_sbm(
    group,
    region_start,
    block_start,
    members,
    own_region_p,
    own_group_p,
    key,
    stubs_per_agent,
    edge_start,
    src,
    dst,
):
    """Each agent i initiates Poisson(stubs_per_agent) ties. A tie stays in i's region r with
    probability own_region_p[r], else goes to a uniform agent outside r (so other regions
    are chosen in proportion to size). Within the chosen region r', it goes to i's group g
    with probability own_group_p[r', g], else to a uniform agent of r' outside g. The
    partner is uniform in the chosen block, i excluded."""
    n = len(group)
    for blk in prange(len(edge_start) - 1):
        e = edge_start[blk]
        r = 0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            while region_start[r + 1] <= i:
                r += 1
            h = agent_hash(key, i)
            for j in range(poisson(unit(sub_hash(h, 0)), stubs_per_agent)):
                src[e] = i
                dst[e] = _sbm_partner(
                    i,
                    r,
                    group[i],
                    sub_hash(h, j + 1),
                    region_start,
                    block_start,
                    members,
                    own_region_p,
                    own_group_p,
                )
                e += 1


def _own_share(target: float, size: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Probability that a tie stays inside its own set: ``max(target, size / total)``,
    0 for an empty set, 1 when the set is everything."""
    chance = np.divide(size, total, out=np.zeros(size.shape), where=total > 0)
    share = np.maximum(target, chance)
    share[size == 0] = 0.0
    share[size == total] = 1.0
    return share


def _sbm_part(
    n: int,
    seed: int,
    mean_degree: float,
    homophily_region: float,
    homophily_group: float,
    group: np.ndarray,
    region_start: np.ndarray,
) -> tuple[int, Filler]:
    n_groups = int(group.max()) + 1 if n else 1
    block_start, members = _block_members(region_start, group, n_groups)
    region_size = np.diff(region_start)
    block_size = np.diff(block_start).reshape(len(region_size), n_groups)
    own_region_p = _own_share(homophily_region, region_size, np.full_like(region_size, n))
    own_group_p = _own_share(homophily_group, block_size, region_size[:, None])
    key = stream_key(seed, "network:sbm")
    stubs_per_agent = mean_degree / 2.0
    edge_start = _sbm_block_edge_start(n, key, stubs_per_agent)

    def fill(src: np.ndarray, dst: np.ndarray) -> None:
        _fill_sbm(
            group,
            region_start,
            block_start,
            members,
            own_region_p,
            own_group_p,
            key,
            stubs_per_agent,
            edge_start,
            src,
            dst,
        )

    return int(edge_start[-1]), fill


# --------------------------------------------------------------------------- entry point


def _check_boundaries(name: str, start: np.ndarray, n: int, cover: bool) -> np.ndarray:
    start = np.ascontiguousarray(start, dtype=np.int64)
    if start.ndim != 1 or len(start) < 1 or np.any(np.diff(start) < 0):
        raise ValueError(f"{name} must be a non-decreasing 1-d array of boundaries")
    if start[0] < 0 or start[-1] > n or (cover and (start[0] != 0 or start[-1] != n)):
        span = f"from 0 to {n}" if cover else f"within [0, {n}]"
        raise ValueError(f"{name} must run {span}, got {start[0]}..{start[-1]}")
    return start


def _check_per_agent(name: str, values: np.ndarray, n: int, dtype: type, low: int) -> np.ndarray:
    values = np.asarray(values)
    if values.shape != (n,):
        raise ValueError(f"{name} must have one entry per agent ({n}), got shape {values.shape}")
    if n and (values.min() < low or values.max() > np.iinfo(dtype).max):
        raise ValueError(f"{name} values must lie in [{low}, {np.iinfo(dtype).max}]")
    return np.ascontiguousarray(values, dtype=dtype)


def generate_network(
    n: int,
    seed: int,
    *,
    kind: str,
    mean_degree: float,
    rewire: float = 0.1,
    homophily_group: float = 0.0,
    homophily_region: float = 0.0,
    group: np.ndarray | None = None,
    region_start: np.ndarray | None = None,
    household_start: np.ndarray | None = None,
    family_ties: bool = True,
    employer: np.ndarray | None = None,
    work_degree: float = 0.0,
) -> Network:
    """Generate the tie network of ``n`` agents: family + work + social ties, in CSR form.

    Family: if ``family_ties`` and ``household_start`` (int64, H+1 boundaries; household h
    is agents ``household_start[h]`` to ``household_start[h+1] - 1``) is given, every
    household is a clique of family ties.

    Work: if ``employer`` (int32 company index per agent, -1 = none) is given, each agent
    with at least one coworker initiates Poisson(``work_degree`` / 2) ties, each to a
    coworker drawn uniformly. Expected work ties per employed agent in a company of size s:
    (s-1)(1 - exp(-work_degree / (s-1))), i.e. about ``work_degree`` when s >> work_degree.

    Social, by ``kind`` (one of ``NETWORK_KINDS``), mean social degree ``mean_degree``
    (ties per agent):

    * ``erdos_renyi``: round(n * mean_degree / 2) pairs of distinct agents drawn uniformly
      with replacement (G(n, m); the rare repeated pair is merged).
    * ``barabasi_albert``: m = max(1, round(mean_degree / 2)) ties per new agent, to m
      distinct earlier agents by preferential attachment, from a clique of m + 1 agents.
    * ``watts_strogatz``: ring lattice of degree k = 2 * round(mean_degree / 2) (the even
      number nearest ``mean_degree``), each tie's far end rewired with probability
      ``rewire`` to a uniform agent (a rewired tie that repeats one is merged). The ring
      runs over agents in order, or, with family ties, over households' members
      interleaved (``_households_interleaved``: first members, then second members, ...)
      so that no ring tie joins two members of one household, which would merge into
      their family tie and leave the agent short of k social ties.
    * ``sbm``: block model over blocks (region, group). Each agent initiates
      Poisson(mean_degree / 2) ties. A tie of an agent in region r stays in r with
      probability max(``homophily_region``, n_r / n), otherwise it goes to a uniform agent
      of another region; within the chosen region it joins the agent's own group with
      probability max(``homophily_group``, that group's share of the region), otherwise
      another group of that region, in proportion to size. Partners are uniform within
      their block. Hence a parameter at or below chance (0 included) means no preference,
      and a parameter above chance is the expected share of all social ties that join two
      agents of the same region (group). Ties an agent receives follow the others'
      choices, so with strong homophily and unequal blocks the mean degree differs between
      blocks (the overall mean stays ``mean_degree``). ``region_start`` (int64, R+1
      boundaries covering 0..n; default one region) and ``group`` (uint8 per agent;
      default one group).
    * ``none``: no social ties.

    Rounding is half up. A pair tied more than once keeps one tie (family, else work, else
    social). Randomness: purposes ``"network:<kind>"`` and ``"network:work"``.
    """
    if kind not in NETWORK_KINDS:
        raise ValueError(f"unknown network kind {kind!r}; expected one of {NETWORK_KINDS}")
    if n < 0 or mean_degree < 0 or work_degree < 0:
        raise ValueError("n, mean_degree and work_degree must be >= 0")
    for name, value in (
        ("rewire", rewire),
        ("homophily_group", homophily_group),
        ("homophily_region", homophily_region),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")

    parts: list[tuple[np.uint8, int, Filler]] = []
    if family_ties and household_start is not None:
        household_start = _check_boundaries("household_start", household_start, n, cover=False)
        parts.append((TIE_FAMILY, *_household_part(household_start)))
    if employer is not None and work_degree > 0:
        employer = _check_per_agent("employer", employer, n, np.int32, low=-1)
        parts.append((TIE_WORK, *_work_part(employer, seed, work_degree)))
    if kind == "erdos_renyi":
        parts.append((TIE_SOCIAL, *_erdos_renyi_part(n, seed, mean_degree)))
    elif kind == "barabasi_albert" and n:
        parts.append((TIE_SOCIAL, *_barabasi_albert_part(n, seed, mean_degree)))
    elif kind == "watts_strogatz":
        families = household_start if family_ties and household_start is not None else None
        parts.append((TIE_SOCIAL, *_watts_strogatz_part(n, seed, mean_degree, rewire,
                                                        families)))
    elif kind == "sbm":
        group = (
            np.zeros(n, dtype=np.uint8)
            if group is None
            else _check_per_agent("group", group, n, np.uint8, low=0)
        )
        region_start = (
            np.array([0, n], dtype=np.int64)
            if region_start is None
            else _check_boundaries("region_start", region_start, n, cover=True)
        )
        parts.append(
            (
                TIE_SOCIAL,
                *_sbm_part(
                    n, seed, mean_degree, homophily_region, homophily_group, group, region_start
                ),
            )
        )

    n_edges = sum(count for _, count, _ in parts)
    src = np.empty(n_edges, dtype=np.int32)
    dst = np.empty(n_edges, dtype=np.int32)
    typ = np.empty(n_edges, dtype=np.uint8)
    offset = 0
    for code, count, fill in parts:
        fill(src[offset : offset + count], dst[offset : offset + count])
        typ[offset : offset + count] = code
        offset += count
    edges = [src, dst, typ]
    del src, dst, typ  # build_csr_from frees them once they are in the CSR
    return build_csr_from(n, edges)
