"""Write ``small.edges``: a small synthetic social network in SNAP edge-list format, for the
tests that need an edge-list file but not the real ego-Facebook graph.

    python tests/data/make_small_edges.py      # rewrites tests/data/small.edges

The graph imitates the shape of ego-Facebook at a hundredth of its size: ``CIRCLES``
friend circles, each around an ego tied to every member, dense inside a circle, sparse
between circles, the egos in a ring so that the graph is connected. Every node 0..N-1 has
a tie. Each tie is written once (smaller id first), sorted, tab-separated, under ``#``
comment lines as SNAP writes them.

It uses only ``random.Random(SEED).random()``, whose sequence Python guarantees across
versions and platforms, so the file is the same wherever it is generated; a test checks
that the committed file is what this script writes.
"""

from __future__ import annotations

import random
from pathlib import Path

SEED = 20240601
CIRCLES = 8
CIRCLE_SIZE = 50  # members besides the ego
P_INSIDE = 0.15  # tie probability between two members of one circle
P_BETWEEN = 0.004  # tie probability between members of different circles
PATH = Path(__file__).resolve().parent / "small.edges"


def small_edges_text() -> str:
    """The file's content (see the module docstring)."""
    rng = random.Random(SEED)
    per = CIRCLE_SIZE + 1
    n = CIRCLES * per
    circle = [i // per for i in range(n)]
    ego = [c * per for c in range(CIRCLES)]
    ties: set[tuple[int, int]] = set()
    for c in range(CIRCLES):
        ties.add(tuple(sorted((ego[c], ego[(c + 1) % CIRCLES]))))
        for i in range(ego[c] + 1, ego[c] + per):
            ties.add((ego[c], i))
    for i in range(n):
        for j in range(i + 1, n):
            if i in ego or j in ego:
                continue
            p = P_INSIDE if circle[i] == circle[j] else P_BETWEEN
            if rng.random() < p:
                ties.add((i, j))
    lines = [
        "# Undirected graph (each unordered pair once): tests/data/small.edges",
        "# A synthetic stand-in for SNAP ego-Facebook, written by make_small_edges.py",
        f"# Nodes: {n} Edges: {len(ties)}",
        "# FromNodeId\tToNodeId",
        *(f"{i}\t{j}" for i, j in sorted(ties)),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PATH.write_text(small_edges_text(), encoding="utf-8", newline="\n")
    print(f"wrote {PATH}")
