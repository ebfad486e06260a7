"""What a Dask worker runs: one simulation of a fully resolved scenario."""

from __future__ import annotations

import contextlib
from typing import Any

from scsim.experiments.outputs import evaluate


def run_simulation(scenario: dict[str, Any], seed: int, outputs: list[str],
                   keep_result: bool) -> dict[str, Any]:
    """Simulate ``scenario`` (a resolved scenario as a mapping, so workers need no files)
    with ``seed`` on one thread; return the named outputs, and the Result if asked."""
    from scsim.core.engine import simulate
    from scsim.scenario import load_scenario

    sc = load_scenario(scenario)
    res = simulate(sc, seed=seed, threads=1)
    done: dict[str, Any] = {"outputs": evaluate(res.metrics, res.info["agents"], outputs),
                            "wall_seconds": res.info["wall_seconds"]}
    if keep_result:
        done["result"] = res
    return done


def run_batch(client, jobs: list[tuple[dict[str, Any], int]], outputs: list[str],
              progress=None) -> list[dict[str, float]]:
    """Run (scenario, seed) jobs on the cluster; return their outputs in job order.
    ``progress()`` is called as each finishes. A failed job raises ScsimError naming it."""
    from distributed import as_completed

    from scsim.errors import ScsimError
    from scsim.experiments.cluster import result_of

    futures = [client.submit(run_simulation, sc, seed, outputs, False, pure=False, retries=1)
               for sc, seed in jobs]
    index = {f.key: k for k, f in enumerate(futures)}
    results: list[dict[str, float] | None] = [None] * len(jobs)
    try:
        for future in as_completed(futures):
            k = index[future.key]
            if future.status == "error":
                raise ScsimError(f"run {k + 1} of {len(jobs)} failed: {future.exception()}")
            results[k] = result_of(future, client, "run the command again once it is "
                                   "back")["outputs"]
            if progress is not None:
                progress()
    finally:
        with contextlib.suppress(Exception):  # (a lost scheduler cannot be told)
            client.cancel([f for f in futures if not f.done()])
    return results  # type: ignore[return-value]
