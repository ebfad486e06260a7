"""What a Dask worker (or this process, with workers=0) runs: one simulation of a fully
resolved scenario; and a batch of them, on a runner (``experiments.runner``)."""

from __future__ import annotations

from typing import Any

from scsim.experiments.outputs import evaluate


def run_simulation(scenario: dict[str, Any], seed: int, outputs: list[str],
                   keep_result: bool, threads: int | None = 1) -> dict[str, Any]:
    """Simulate ``scenario`` (a resolved scenario as a mapping, so workers need no files)
    with ``seed`` on ``threads`` (the runner's: one in a Dask worker, None as many as it
    can use here); return the named outputs, and the Result if asked."""
    from scsim.core.engine import simulate
    from scsim.scenario import load_scenario

    sc = load_scenario(scenario)
    res = simulate(sc, seed=seed, threads=threads)
    done: dict[str, Any] = {"outputs": evaluate(res.metrics, res.info["agents"], outputs),
                            "wall_seconds": res.info["wall_seconds"]}
    if keep_result:
        done["result"] = res
    return done


def run_batch(client, jobs: list[tuple[dict[str, Any], int]], outputs: list[str],
              progress=None) -> list[dict[str, float]]:
    """Run (scenario, seed) jobs on ``client`` (a Dask client, or a runner of
    ``experiments.runner``: ``Sequential`` runs them here, one after another); return their
    outputs in job order. ``progress()`` is called as each finishes. A failed job raises
    ScsimError naming it and its error as a sweep records one (``runner.failure_words``:
    type and message, a worker that died in words)."""
    from scsim.errors import ScsimError
    from scsim.experiments.runner import failure_words, runner_of

    runner = runner_of(client)
    futures = [runner.submit(run_simulation, sc, seed, outputs, False, runner.threads)
               for sc, seed in jobs]
    index = {f: k for k, f in enumerate(futures)}
    results: list[dict[str, float] | None] = [None] * len(jobs)
    try:
        for future in runner.as_completed(futures):
            k = index[future]
            error = runner.error(future)
            if error is not None:  # as a sweep records it (a worker that died in words)
                raise ScsimError(f"run {k + 1} of {len(jobs)} failed: "
                                 f"{failure_words(error)}")
            results[k] = runner.result(future, "run the command again once it is "
                                       "back")["outputs"]
            if progress is not None:
                progress()
    finally:
        runner.cancel([f for f in futures if not f.done()])
    return results  # type: ignore[return-value]
