"""Sweeps from Python (``scsim.sweep``), as ``scsim sweep`` runs them from the command line
and as EMA Workbench's ``perform_experiments`` does: the cells on Dask, every run in the run
store, and back one tidy table with a row per run."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scsim.errors import ScenarioWarning, ScsimError, check_reps

if TYPE_CHECKING:
    import pandas as pd

    from scsim.scenario import Scenario
    from scsim.store import RunStore


def sweep(scenario: Scenario | str | Path | dict,
          grid: Mapping[str, Sequence[Any]] | None = None, *, sample: int | None = None,
          ranges: Mapping[str, Sequence[Any]] | None = None, reps: int = 1, seed: int = 0,
          agents: int | None = None, days: int | None = None,
          overrides: str | list[str] | dict | None = None, outputs: str | list[str] | None = None,
          store: RunStore | str | os.PathLike | bool = True, scheduler: str | None = None,
          workers: int | None = None,
          progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """Sweep ``scenario`` (a Scenario, built-in name, YAML path or mapping, with ``agents``,
    ``days`` and ``overrides`` as ``load_scenario`` applies them): every combination of
    ``grid`` (``{"listing.threshold": [640, 660]}``), or ``sample`` cells of a
    Latin-hypercube sample of ``ranges`` (``{"scoring.recovery": (0.0005, 0.01)}``, or
    ``(low, high, "log")``), each run ``reps`` times with seeds paired across cells
    (derived from ``seed``, a whole number from 0 to 2**63 - 1).

    The runs go to Dask (a local cluster of ``workers`` processes, at least 1, None: one
    per core; or the scheduler at ``scheduler`` or ``SCSIM_SCHEDULER``) and land in the run
    store ``store`` (True: the default one; a folder; a RunStore) as they finish, so
    ``scsim sweeps`` and ``scsim sweep --resume`` see them. Each run's ``overrides`` are
    recorded against the built-in or file that a name or path loads, and against the
    built-in scenario of the same name for a Scenario or a mapping, as
    ``simulate(store=True)`` records them. Bad input (a seed, ``workers``, a key, a value,
    an output) is refused before the cluster starts or the store records the sweep.
    Returns one row per finished run: cell, replication, seed, run id, the cell's
    parameters and each of ``outputs`` (a name or a list of names; default: the sweep's
    usual outputs, e.g. ``listed_final``, ``wrongful_new_total``); ``.attrs["sweep_id"]``
    names the sweep. A run that failed twice is left out of the table, with a warning
    naming it."""
    from scsim.extras import require

    require("experiments", what="scsim.sweep()")
    from scsim.experiments import sweep as sw
    from scsim.experiments.cluster import cluster_address, dask_client
    from scsim.experiments.design import cell_label
    from scsim.experiments.outputs import check_outputs
    from scsim.scenario.loader import as_scenario
    from scsim.seeds import check_seed
    from scsim.store import store_of

    seed = check_seed(seed)  # before the store, the plan or the cluster
    address = cluster_address(scheduler, workers)
    reps = check_reps(reps)
    if store is False or store is None:
        raise ScsimError("a sweep keeps its runs in a run store: store=True (the default "
                         "one), a folder or a RunStore")
    if grid and sample is not None:
        raise ScsimError("give either grid= or sample= with ranges=, not both")
    if (sample is None) != (not ranges):
        raise ScsimError("sample=N draws its cells from ranges=: give both, or grid=")
    base = as_scenario(scenario, agents=agents, days=days, overrides=overrides)
    # overrides are recorded against the built-in or file a name or path loads, as `scsim
    # sweep` records them; a Scenario or mapping against the built-in of its name, as
    # simulate(store=True) records them (None), so that what it changed is kept
    origin = as_scenario(scenario) if isinstance(scenario, str | Path) else None
    plan = sw.design_plan(base, grid=[_grid_spec(k, v) for k, v in (grid or {}).items()],
                          sample=sample,
                          ranges=[_range_spec(k, v) for k, v in (ranges or {}).items()],
                          reps=reps, seed=seed, origin=origin,
                          fits_here=address is None)  # a local cluster: runs fit here
    outputs = [outputs] if isinstance(outputs, str) else list(outputs or sw.DEFAULT_OUTPUTS)
    check_outputs(base, outputs)  # a misspelt output is refused before anything runs
    runs = store_of(store)  # opened (or made) once the input is known to be good
    for line in sw.inert_parameters(plan):
        warnings.warn(ScenarioWarning(line), stacklevel=2)
    with dask_client(scheduler, workers) as client:
        sweep_id = sw.start(runs, plan)
        outcome = sw.execute(runs, sweep_id, plan, client, None, progress)
    for cell, rep, error in outcome.failed:
        warnings.warn(f"sweep {sweep_id}: cell {cell} ({cell_label(plan.cells[cell])}), "
                      f"replication {rep} failed: {error}", stacklevel=2)
    table = sw.run_table(runs, sweep_id, plan, outputs)
    table.attrs["sweep_id"] = sweep_id
    return table


def _grid_spec(key: str, values: Sequence[Any]) -> str:
    """``grid``'s values of ``key`` as ``scsim sweep --grid`` takes them (KEY=V1,V2)."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ScsimError(f"grid[{key!r}]: expected a list of values, got {values!r}")
    if not values:
        raise ScsimError(f"grid[{key!r}]: no values")
    texts = [json.dumps(v) for v in values]
    for k, text in enumerate(texts):
        if text in texts[:k]:
            raise ScsimError(f"grid[{key!r}]: {values[k]!r} given twice (a repeated value "
                             "runs the same cell again; reps= adds replications)")
    if any("," in t for t in texts):
        raise ScsimError(f"grid[{key!r}]: a value may not contain a comma")
    return f"{key}={','.join(texts)}"


def _range_spec(key: str, bounds: Sequence[Any]) -> str:
    """``ranges``' (low, high[, "log"]) of ``key`` as ``--range`` takes it."""
    if isinstance(bounds, str) or not isinstance(bounds, Sequence) or len(bounds) not in (
            2, 3):
        raise ScsimError(f"ranges[{key!r}]: expected (low, high) or (low, high, 'log'), "
                         f"got {bounds!r}")
    if len(bounds) == 3 and bounds[2] not in ("log", "linear"):
        raise ScsimError(f"ranges[{key!r}]: the scale is 'log' or 'linear', got "
                         f"{bounds[2]!r}")
    scale = f":{bounds[2]}" if len(bounds) == 3 else ""
    return f"{key}={bounds[0]!r}..{bounds[1]!r}{scale}"
