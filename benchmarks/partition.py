"""How a run split by region across workers would talk: for a generated network, the share
of tie entries whose two ends live in different regions (cut ties) and the ghost agents each
region's worker must mirror (distinct neighbours of its agents living elsewhere), per agent.
The figures of docs/scale.md ("1.4 billion agents").

    python benchmarks/partition.py national-800 1000000 [--set regions.count=31 ...]

prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from numba import njit

import scsim
from scsim.core.params import Names, compile_params
from scsim.world.build import build_world


@njit(cache=True)
def cut_and_ghosts(indptr, indices, region, n_regions):
    """(tie entries across regions, ghosts of each region): region r's ghosts are the
    distinct agents of other regions tied to one of its agents."""
    n = len(region)
    cut = 0
    ghosts = np.zeros(n_regions, np.int64)
    last_seen_by = np.full(n, -1, np.int64)  # the last region that counted agent j
    for r in range(n_regions):
        for i in range(n):
            if region[i] != r:
                continue
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                if region[j] == r:
                    continue
                cut += 1
                if last_seen_by[j] != r:
                    last_seen_by[j] = r
                    ghosts[r] += 1
    return cut, ghosts


def measure(scenario: str, agents: int, overrides: list[str], seed: int = 1) -> dict:
    sc = scsim.load_scenario(scenario, agents=agents, days=1, overrides=overrides)
    names = Names.of(sc)
    t0 = time.perf_counter()
    state, sc = build_world(sc, names, compile_params(sc, names), seed)
    build_s = time.perf_counter() - t0
    net, region = state.net, state.agents["region"]
    cut, ghosts = cut_and_ghosts(net.indptr, net.neighbour_ids(), region, sc.regions.count)
    return {"scenario": scenario, "overrides": overrides, "kind": sc.network.kind,
            "agents": state.n, "regions": sc.regions.count, "ties": len(net.neighbour_ids()) // 2,
            "cut_share": cut / max(len(net.neighbour_ids()), 1),
            "ghosts_per_agent": float(ghosts.sum()) / max(state.n, 1),
            "build_s": round(build_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("agents", type=int)
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args()
    print(json.dumps(measure(args.scenario, args.agents, args.overrides)))


if __name__ == "__main__":
    main()
