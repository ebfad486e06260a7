"""Experiments from Python, as the command line runs them: sweeps (``scsim.sweep``, as
``scsim sweep`` and EMA Workbench's ``perform_experiments`` do: the cells on Dask, every run
in the run store, and back one tidy table with a row per run), global sensitivity analyses
(``scsim.sensitivity``) and calibrations (``scsim.calibrate``)."""

from __future__ import annotations

import json
import numbers
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scsim.errors import (
    ResultWarning,
    ScenarioWarning,
    ScsimError,
    check_progress,
    check_reps,
)
from scsim.experiments import CALIBRATION_BATCH

if TYPE_CHECKING:
    import pandas as pd

    from scsim.experiments.calibrate import Calibration
    from scsim.experiments.sensitivity import Sensitivity
    from scsim.scenario import Scenario
    from scsim.store import RunStore


def sweep(scenario: Scenario | str | Path | dict,
          grid: Mapping[str, Sequence[Any]] | None = None, *, sample: int | None = None,
          ranges: Mapping[str, Sequence[Any]] | None = None, reps: int = 1, seed: int = 0,
          agents: int | None = None, days: int | None = None,
          overrides: str | list[str] | dict | None = None, outputs: str | list[str] | None = None,
          store: RunStore | str | os.PathLike | bool = True, scheduler: str | None = None,
          workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Sweep ``scenario`` (a Scenario, built-in name, YAML path or mapping, with ``agents``,
    ``days`` and ``overrides`` as ``load_scenario`` applies them): every combination of
    ``grid`` (``{"listing.threshold": [640, 660]}``), or ``sample`` cells of a
    Latin-hypercube sample of ``ranges`` (``{"scoring.recovery": (0.0005, 0.01)}``, or
    ``(low, high, "log")``), each run ``reps`` times with seeds paired across cells
    (derived from ``seed``, a whole number from 0 to 2**63 - 1).

    The runs go to Dask (a local cluster of ``workers`` processes, None: one per core; or
    the scheduler at ``scheduler`` or ``SCSIM_SCHEDULER``), or with ``workers=0`` run here,
    in this process, one after another (no cluster to start; the same results), and land
    in the run store ``store`` (True: the default one; a folder; a RunStore) as they
    finish, so ``scsim sweeps`` and ``scsim sweep --resume`` see them. Each run's ``overrides`` are
    recorded against the built-in or file that a name or path loads, and against the
    built-in scenario of the same name for a Scenario or a mapping, as
    ``simulate(store=True)`` records them. Bad input (a seed, ``workers``, a key, a value,
    an output) is refused before the cluster starts or the store records the sweep.
    Returns one row per finished run: cell, replication, seed, run id, the cell's
    parameters and each of ``outputs`` (a name or a list of names; default: the sweep's
    usual outputs, e.g. ``listed_final``, ``wrongful_new_total``); ``.attrs["sweep_id"]``
    names the sweep. A run that failed twice is left out of the table, with a warning
    naming it; so is an output that took one value in every run of more than one cell
    (a ``ResultWarning``: nothing in the swept ranges moved it). ``progress(n)``, if given,
    is called as each run finishes with ``n``, the count of runs finished so far (a
    function of one argument, checked before anything starts)."""
    from scsim.extras import require

    require("experiments", what="scsim.sweep()")
    from scsim.experiments import sweep as sw
    from scsim.experiments.cluster import cluster_address
    from scsim.experiments.design import cell_label
    from scsim.experiments.outputs import check_outputs
    from scsim.experiments.runner import runner
    from scsim.scenario.loader import as_scenario
    from scsim.seeds import check_seed
    from scsim.store import store_of

    seed = check_seed(seed)  # before the store, the plan or the cluster
    address = cluster_address(scheduler, workers)
    reps = check_reps(reps)
    check_progress(progress)
    for name, given in (("grid", grid), ("ranges", ranges)):
        _mapping_or_none(name, given)
    outputs = _output_list(outputs)
    if store is False or store is None:
        raise ScsimError("a sweep keeps its runs in a run store: store=True (the default "
                         "one), a folder or a RunStore")
    if grid and sample is not None:
        raise ScsimError("give either grid= or sample= with ranges=, not both")
    if (sample is None) != (not ranges):
        raise ScsimError("sample=N draws its cells from ranges=: give both, or grid=")
    if sample is not None and (isinstance(sample, bool) or not isinstance(
            sample, numbers.Integral) or sample < 1):
        raise ScsimError(f"sample={sample!r}: must be a whole number of at least 1")
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
    check_outputs(base, outputs)  # a misspelt output is refused before anything runs
    runs = store_of(store)  # opened (or made) once the input is known to be good
    for line in sw.advice(plan):
        warnings.warn(ScenarioWarning(line), stacklevel=2)
    with runner(scheduler, workers) as client:
        sweep_id = sw.start(runs, plan)
        outcome = sw.execute(runs, sweep_id, plan, client, None, _counted(progress))
    for cell, rep, error in outcome.failed:
        warnings.warn(f"sweep {sweep_id}: cell {cell} ({cell_label(plan.cells[cell])}), "
                      f"replication {rep} failed: {error}", stacklevel=2)
    table = sw.run_table(runs, sweep_id, plan, outputs)
    for line in sw.unmoved(table, outputs):
        warnings.warn(ResultWarning(line), stacklevel=2)
    table.attrs["sweep_id"] = sweep_id
    return table


def sweep_table(sweep: str = "last", outputs: str | list[str] | None = None, *,
                per_cell: bool = False,
                store: RunStore | str | os.PathLike | bool = True) -> pd.DataFrame:
    """A stored sweep's table, read back (a notebook had only ``scsim sweeps`` to reach one
    it did not run itself, or ran before a restart): ``sweep`` names it (an id, a unique
    prefix of one, or ``"last"``) in ``store`` (True: the default store; a folder; a
    RunStore). One row per finished run, as ``sweep()`` returns (cell, replication, seed,
    run id, the cell's parameters and each of ``outputs``; default: the sweep's usual
    ones); with ``per_cell``, one row per cell, each output's mean over its finished
    replications, the half-width of its 95 % interval (``NAME_ci95``) and the interval's
    ends cut at what the output can be (``NAME_lo``, ``NAME_hi``: a count's stops at 0),
    as ``scsim sweeps SWEEP`` prints it. An interrupted sweep gives what it finished. An
    output that took one value in every finished run of more than one cell is a
    ``ResultWarning``, as when the sweep ran (nothing in the swept ranges moved it)."""
    from scsim.extras import require

    require("experiments", what="scsim.sweep_table()")
    from scsim.experiments import sweep as sw
    from scsim.experiments.outputs import check_outputs
    from scsim.store import RunStore, open_store

    if not isinstance(sweep, str):
        raise ScsimError(f"sweep={sweep!r}: a sweep's id, a unique prefix of one, or 'last'")
    outputs = _output_list(outputs)
    if store is False or store is None:
        raise ScsimError("store= names the run store the sweep is in: True (the default "
                         "one), a folder or a RunStore")
    runs = store if isinstance(store, RunStore) else open_store(
        None if store is True else store, create=False)
    sweep_id, plan = sw.plan_of(runs, sweep)
    check_outputs(plan.scenario(0), outputs)
    each = sw.run_table(runs, sweep_id, plan, outputs)
    for line in sw.unmoved(each, outputs):  # as when it ran, from what is stored
        warnings.warn(ResultWarning(line), stacklevel=2)
    table = sw.cell_table(plan, each, outputs) if per_cell else each
    table.attrs["sweep_id"] = sweep_id
    return table


def _output_list(outputs: object) -> list[str]:
    """``outputs=`` of ``sweep`` and ``sweep_table`` as a list of names: one name, a list
    of them, or None or none (the sweep's usual outputs, ``sweep.DEFAULT_OUTPUTS``); a
    ScsimError for anything else."""
    from scsim.experiments.sweep import DEFAULT_OUTPUTS

    if isinstance(outputs, str):
        return [outputs]
    if outputs is None or (isinstance(outputs, list | tuple)
                           and all(isinstance(o, str) for o in outputs)):
        return list(outputs or DEFAULT_OUTPUTS)
    raise ScsimError(f"outputs={outputs!r}: an output's name or a list of them "
                     "(e.g. ['listed_final', 'wrongful_new_total'])")


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


def sensitivity(scenario: Scenario | str | Path | dict,
                ranges: Mapping[str, Sequence[Any]], output: str = "wrongful_new_total", *,
                method: str = "sobol", samples: int = 64, seed: int = 0,
                agents: int | None = None, days: int | None = None,
                overrides: str | list[str] | dict | None = None,
                scheduler: str | None = None, workers: int | None = None,
                progress: Callable[[int], None] | None = None) -> Sensitivity:
    """Global sensitivity analysis of ``output`` (a metric's statistic, e.g.
    ``wrongful_new_total``) to the parameters of ``ranges`` (``{"scoring.recovery":
    (0.0005, 0.01)}``, or ``(low, high, "log")``), as ``scsim sensitivity`` runs it: SALib's
    Sobol indices (``samples`` base samples, a power of 2; runs: samples × (parameters +
    2)) or Morris screening (``method="morris"``, ``samples`` trajectories), every run on
    Dask (a local cluster of ``workers`` processes, or the scheduler at ``scheduler``; with
    ``workers=0``, here, in this process, one after another, no cluster).
    ``scenario``, ``agents``, ``days`` and ``overrides`` as ``load_scenario`` takes them.
    Returns the analysis: ``.indices`` (a table per parameter), ``.samples`` (every
    evaluation), ``.in_words()``, ``.save(folder)`` (the CSV files and the chart). Bad
    input is refused before the cluster starts. ``progress(n)``, if given, is called as
    each run finishes with ``n``, the count of runs finished so far."""
    from scsim.extras import require

    require("experiments", what="scsim.sensitivity()")
    require("report", what="scsim.sensitivity()")
    from scsim.experiments.cluster import cluster_address
    from scsim.experiments.design import PYTHON, range_advice
    from scsim.experiments.outputs import check_outputs
    from scsim.experiments.runner import runner
    from scsim.experiments.sensitivity import check_sensitivity
    from scsim.experiments.sensitivity import sensitivity as analyse
    from scsim.scenario.loader import as_scenario

    if method not in ("sobol", "morris"):
        raise ScsimError(f"method={method!r}: 'sobol' or 'morris'")
    cluster_address(scheduler, workers)
    check_progress(progress)
    _mapping_or_none("ranges", ranges)
    base = as_scenario(scenario, agents=agents, days=days, overrides=overrides)
    check_outputs(base, [output])
    params = _parameters(ranges, base)
    check_sensitivity(params, method, samples, seed, PYTHON)  # before Dask
    for line in range_advice(base, params):
        warnings.warn(ScenarioWarning(line), stacklevel=2)
    with runner(scheduler, workers) as client:
        result = analyse(base, params, output, client=client, method=method,
                         samples=samples, seed=seed, progress=_counted(progress))
    for line in result.warnings("samples="):
        warnings.warn(ResultWarning(line), stacklevel=2)
    return result


def calibrate(scenario: Scenario | str | Path | dict, ranges: Mapping[str, Sequence[Any]],
              targets: Mapping[str, float] | None = None, *, preset: str | None = None,
              trials: int = 100, reps: int = 2, seed: int = 0, batch: int = CALIBRATION_BATCH,
              agents: int | None = None, days: int | None = None,
              overrides: str | list[str] | dict | None = None,
              scheduler: str | None = None, workers: int | None = None,
              progress: Callable[[int], None] | None = None) -> Calibration:
    """Fit the parameters of ``ranges`` (``{"sanctions.travel.air_rate": (0.001, 0.05)}``)
    with Optuna so that the mean of ``reps`` replications matches ``targets``
    (``{"blocked_air_per_capita_year": 0.0129}``) and, with ``preset``, the published
    figures of that preset (``scsim calibrate --help`` lists them; a target given
    replaces the preset's), as ``scsim calibrate`` does: ``trials`` trials, each on Dask
    (a local cluster of ``workers`` processes, or the scheduler at ``scheduler``; with
    ``workers=0``, here, in this process, one after another, no cluster), asked
    ``batch`` at a time (the same seed and batch give the same calibration on any
    cluster).
    ``scenario``, ``agents``, ``days`` and ``overrides`` as ``load_scenario`` takes them.
    Returns the calibration: ``.best_params``, ``.loss``, ``.fit`` (fitted against
    target per output), ``.poor_fits()``, ``.save(path)`` (the calibrated scenario as YAML
    and its chart). Bad input is refused before the cluster starts. ``progress(n)``, if
    given, is called as each trial finishes (its ``reps`` runs done, or refused: its
    parameters make no valid scenario) with ``n``, the count of trials finished so far."""
    from scsim.extras import require

    require("experiments", what="scsim.calibrate()")
    require("report", what="scsim.calibrate()")
    from scsim.analysis.published import PRESETS
    from scsim.experiments.calibrate import (
        Target,
        check_calibration,
        merge_targets,
        parse_target,
    )
    from scsim.experiments.calibrate import calibrate as fit
    from scsim.experiments.cluster import cluster_address
    from scsim.experiments.design import PYTHON, range_advice
    from scsim.experiments.runner import runner
    from scsim.scenario.loader import as_scenario

    if preset is not None and preset not in PRESETS:
        raise ScsimError(f"preset={preset!r}: one of {', '.join(map(repr, PRESETS))}")
    if not targets and preset is None:
        raise ScsimError("give targets= ({output: value}) or a preset= to fit")
    reps = check_reps(reps)
    cluster_address(scheduler, workers)
    check_progress(progress)
    _mapping_or_none("ranges", ranges)
    base = as_scenario(scenario, agents=agents, days=days, overrides=overrides)
    given = [parse_target(f"{name}={value}", base, f"targets[{name!r}]={value!r}")
             for name, value in (targets or {}).items()]
    chosen, _replaced = merge_targets(
        given, [Target(f.output, f.value) for f in PRESETS[preset]] if preset else [])
    params = _parameters(ranges, base)
    check_calibration(params, chosen, trials=trials, reps=reps, seed=seed, batch=batch,
                      spelling=PYTHON)  # before Dask
    for line in range_advice(base, params):
        warnings.warn(ScenarioWarning(line), stacklevel=2)
    with runner(scheduler, workers) as client:
        result = fit(base, params, chosen, client=client, trials=trials, reps=reps,
                     seed=seed, batch=batch, progress=_counted(progress))
    for line in result.warnings("ranges="):
        warnings.warn(ResultWarning(line), stacklevel=2)
    return result


def _parameters(ranges: Mapping[str, Sequence[Any]], base: Scenario) -> list:
    """``ranges`` of ``scsim.sensitivity`` and ``scsim.calibrate`` as ``Range``s of
    ``base``, checked against it as ``--param`` is; at least one (a ScsimError)."""
    from scsim.experiments.design import parse_ranges

    if not ranges:
        raise ScsimError("ranges= names no parameter: give {key: (low, high)} for each")
    return parse_ranges([_range_spec(k, v) for k, v in ranges.items()],
                        base.model_dump(mode="json"), "ranges")


def _counted(progress: Callable[[int], None] | None) -> Callable[[], None] | None:
    """The user's ``progress(n)`` as the experiments call it, once per run (per trial for a
    calibration) and without an argument: called with how many have finished so far."""
    if progress is None:
        return None
    finished = 0

    def tick() -> None:
        nonlocal finished
        finished += 1
        progress(finished)

    return tick


def _mapping_or_none(name: str, given: object) -> None:
    """A ScsimError unless ``given`` (the ``name`` argument) is None or a mapping of
    dotted keys ({"listing.threshold": [640, 660]}); a list of pairs was an AttributeError."""
    if given is not None and not isinstance(given, Mapping):
        raise ScsimError(f"{name}= must be a mapping of dotted keys, e.g. "
                         f"{{'listing.threshold': [640, 660]}}, got {type(given).__name__}")
