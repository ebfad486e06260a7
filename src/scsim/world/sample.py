"""A small sample of the network kept with a Result, for pictures of who was cut off.

A run can have tens of millions of agents; a picture needs a few hundred. We take a
snowball sample: from ``SEEDS`` starting agents drawn uniformly, each sampled agent brings
in up to ``FANOUT`` of its neighbours (drawn uniformly), breadth first, until ``SIZE``
agents are sampled. The sample keeps every tie among its agents with its type and whether
it is severed at the end of the run (on day 0 no tie is severed), and each agent's tier at
day 0 (from its group's starting score) and at the end.

The sample depends only on the seed and the network, not on what happened in the run:
two runs paired by a comparison (same seed and population) sample the same agents, so
their pictures can be set side by side. It is drawn with numpy's generator seeded by the
run's seed and draws nothing from the simulation's random streams.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scsim.core.state import LISTED, rows_or_zeros
from scsim.mechanisms.classify import assign_tiers
from scsim.world.network import SEVERED, TIE_TYPE_NAMES, TYPE_MASK, codes_of, neighbours_of

if TYPE_CHECKING:
    from scsim.core.engine import Simulation

SIZE = 300  # agents in the sample
SEEDS = 6  # starting agents
FANOUT = 3  # neighbours each sampled agent brings in, at most


@dataclass
class NetworkSample:
    """``nodes``: one row per sampled agent (``agent``, ``group``, ``tier_start``,
    ``tier_end``, ``listed_end``, ``ever_listed``, ``shamed``, ``seed``: a starting agent).
    ``ties``: one row per tie between two sampled agents (``a``, ``b`` agent ids, ``type``,
    ``severed_end``)."""

    nodes: pd.DataFrame
    ties: pd.DataFrame


def sample_network(sim: Simulation) -> NetworkSample:
    """The sample of a finished simulation (see the module docstring)."""
    s, names = sim.state, sim.names
    a, net = s.agents, s.net
    rng = np.random.default_rng([sim.seed, 0x5A3D])
    seeds = rng.choice(s.n, min(SEEDS, s.n), replace=False)
    members = _snowball(net.indptr, net.entries, dict.fromkeys(int(i) for i in seeds),
                        min(SIZE, s.n), rng)
    agents = np.array(sorted(members), dtype=np.int64)
    lo, hi = net.indptr[agents], net.indptr[agents + 1]
    rows = np.repeat(agents, hi - lo)
    positions = np.concatenate([np.arange(x, y) for x, y in zip(lo, hi, strict=True)]) \
        if len(agents) else np.zeros(0, np.int64)
    other = neighbours_of(net.entries[positions])
    keep = np.isin(other, agents) & (rows < other)
    tie = codes_of(net.entries[positions[keep]])
    ties = pd.DataFrame({
        "a": rows[keep].astype(np.int32), "b": other[keep].astype(np.int32),
        "type": pd.Categorical.from_codes((tie & TYPE_MASK).astype(np.int32),
                                          categories=list(TIE_TYPE_NAMES)),
        "severed_end": (tie & SEVERED) != 0,
    })
    p0 = sim.epochs[0][1]
    start_scores = np.repeat(p0.score.s0_group[a["group"][agents]][:, None], 2, axis=1)
    tier_start = np.zeros(len(agents), np.uint8)
    assign_tiers(start_scores.astype(np.float32), p0.classify.tier_min, tier_start)
    tiers = names.tiers or ["none"]
    nodes = pd.DataFrame({
        "agent": agents.astype(np.int32),
        "group": pd.Categorical.from_codes(a["group"][agents].astype(np.int32),
                                           categories=names.groups),
        "tier_start": pd.Categorical.from_codes(tier_start.astype(np.int32), categories=tiers),
        "tier_end": pd.Categorical.from_codes(a["tier"][agents].astype(np.int32),
                                              categories=tiers),
        "listed_end": (a["status"][agents] & LISTED) != 0,
        "ever_listed": a["times_listed"][agents] > 0,
        "shamed": rows_or_zeros(a, "times_shamed", agents) > 0,
        "seed": np.isin(agents, seeds),
    })
    return NetworkSample(nodes, ties)


def _snowball(indptr: np.ndarray, entries: np.ndarray, start: dict[int, None], size: int,
              rng: np.random.Generator) -> dict[int, None]:
    """Breadth-first from ``start``: each agent reached brings in up to FANOUT of its
    neighbours (drawn uniformly) until ``size`` agents are reached; when the reachable
    agents run out, a uniformly drawn new agent restarts the search."""
    members = dict(start)
    queue = deque(members)
    n = len(indptr) - 1
    while len(members) < size:
        if not queue:
            fresh = int(rng.integers(n))
            if fresh not in members:
                members[fresh] = None
                queue.append(fresh)
            continue
        i = queue.popleft()
        nbrs = neighbours_of(entries[indptr[i]:indptr[i + 1]])
        for j in rng.permutation(nbrs)[:FANOUT]:
            j = int(j)
            if j not in members and len(members) < size:
                members[j] = None
                queue.append(j)
    return members
