"""Parameter sweeps and replications on a Dask cluster (or here, one run after another:
``workers=0``), kept in the run store.

A sweep is a list of cells (parameter settings: a full grid, or a Latin-hypercube sample
of ranges; no grid at all is one cell, the scenario itself) times a number of
replications. Every cell × replication is one Dask task;
replication r of every cell uses the same seed (paired cells, common random numbers). Each
result lands in the run store as soon as it finishes, tagged with the sweep, cell and
replication; a task that raises is retried once, then recorded as ``failed`` while the
others go on. The plan is stored with the sweep, so ``resume`` runs exactly what is missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scsim.analysis.stats import mean_ci95
from scsim.errors import ScsimError
from scsim.experiments.design import (
    cell_label,
    check_runs,
    inert_keys,
    replication_seed,
    valid_scenario,
    with_left_out,
)
from scsim.experiments.outputs import evaluate
from scsim.experiments.runner import failure_words, runner_of
from scsim.experiments.tasks import run_simulation
from scsim.outputs.words import counted
from scsim.scenario import Scenario
from scsim.scenario.loader import load_unadvised
from scsim.seeds import check_seed
from scsim.store import RunStore, Tag

DEFAULT_OUTPUTS = ["listed_final", "wrongful_new_total", "blocked_air_per_capita_year",
                   "ties_active_frac_final", "fear_mean_final"]


@dataclass
class Plan:
    """What a sweep runs: the resolved base scenario, the cells (dotted path -> value),
    the number of replications and the sweep seed; ``origin`` is the scenario the base was
    derived from (the built-in or file, before --agents, --days and --set), against which
    each run's ``overrides`` are recorded (None: against the built-in scenario of the same
    name, as for any run recorded from Python)."""

    base: dict[str, Any]
    cells: list[dict[str, Any]]
    reps: int
    seed: int
    design: dict[str, Any] = field(default_factory=dict)  # how the cells were made
    origin: dict[str, Any] | None = None

    def scenario(self, cell: int) -> Scenario:
        """The scenario of ``cell``; the loader's warnings are not given cell by cell: a
        sweep tells them once before it runs (``advice``)."""
        return load_unadvised(self.base, overrides=self.cells[cell])

    def tasks(self) -> list[tuple[int, int]]:
        return [(c, r) for c in range(len(self.cells)) for r in range(self.reps)]

    def to_json(self) -> dict[str, Any]:
        return {"base": self.base, "cells": self.cells, "reps": self.reps, "seed": self.seed,
                "design": self.design, "origin": self.origin}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(data["base"], data["cells"], data["reps"], data["seed"], data["design"],
                   data.get("origin"))

    def origin_scenario(self) -> Scenario | None:
        """What each run's ``overrides`` are recorded against (``origin``; None: the
        store's default, the built-in scenario of the same name)."""
        return Scenario.model_validate(self.origin) if self.origin is not None else None


def make_plan(base: Scenario, cells: list[dict[str, Any]], reps: int, seed: int,
              design: dict[str, Any], origin: Scenario | None = None, *,
              fits_here: bool = False) -> Plan:
    """Check every cell gives a valid scenario before anything runs; with ``fits_here`` (a
    local cluster), also that its runs fit in this machine's memory
    (``world.build.check_fits``, as ``scsim run`` refuses one: each would be refused in its
    worker and recorded as failed), naming the first cell that does not. A sweep on a
    scheduler's workers is not checked so: their memory is theirs."""
    from scsim.core.params import Names
    from scsim.errors import MemoryRefused
    from scsim.world.build import check_fits

    if reps < 1:
        raise ScsimError("--reps must be at least 1")
    check_runs(len(cells), reps)
    plan = Plan(base.model_dump(mode="json"), cells, reps, seed, design,
                origin.model_dump(mode="json") if origin is not None else None)
    for k, cell in enumerate(cells):
        what = f"cell {k} ({cell_label(cell)})"
        sc = valid_scenario(plan.base, cell, what)
        if fits_here:
            try:
                check_fits(sc, Names.of(sc))
            except MemoryRefused as exc:
                raise MemoryRefused(f"{what}: {exc}") from None
    return plan


def design_plan(base: Scenario, *, grid: list[str] | None = None, sample: int | None = None,
                ranges: list[str] | None = None, reps: int = 1, seed: int = 0,
                origin: Scenario | None = None, fits_here: bool = False) -> Plan:
    """The plan of a new sweep of ``base``: every combination of the ``grid`` values
    (``KEY=V1,V2,...`` each), or ``sample`` cells of a Latin-hypercube sample of the
    ``ranges`` (``KEY=LOW..HIGH[:log|:linear]`` each); no grid at all is one cell.
    ``origin``: what ``base`` was derived from (the scenario before --agents, --days and
    --set), for the runs' ``overrides`` column; by default the built-in scenario of the
    same name. ``seed`` must be a whole number from 0 to 2**63 - 1 (``check_seed``).
    ``fits_here``: see ``make_plan``."""
    from scsim.experiments.design import grid_cells, latin_hypercube, parse_grid, parse_ranges

    seed = check_seed(seed)
    grid, ranges = grid or [], ranges or []
    if grid and sample:
        raise ScsimError("give either --grid values or --sample with --range, not both")
    if sample is not None:
        if not ranges:
            raise ScsimError("--sample needs at least one --range KEY=LOW..HIGH")
        data = base.model_dump(mode="json")
        parsed = parse_ranges(ranges, data, "--range")
        cells = latin_hypercube(parsed, sample, seed)
        design = {"sample": sample, "ranges": [str(r) for r in parsed]}
    else:
        if ranges:
            raise ScsimError("--range needs --sample N (the number of cells to draw)")
        cells = grid_cells(parse_grid(grid))
        design = {"grid": parse_grid(grid)}
    return make_plan(base, cells, reps, seed, design, origin, fits_here=fits_here)


@dataclass
class Outcome:
    """What a sweep (or a resumption) did."""

    sweep_id: str
    landed: int
    failed: list[tuple[int, int, str]]  # cell, replication, error
    skipped: int  # already done before


def advice(plan: Plan) -> list[str]:
    """What to tell of a sweep before it runs: the swept parameters that do nothing in any
    cell, each with why (``scenario.advice``: a sweep of ``shaming.probability`` while
    shaming is off gives the same results in every cell), and the timeline steps that
    cells shortened by a swept ``days`` leave out, once for the cells that leave out the
    same steps (the loader warns of each cell's; a sweep of days on high-control left its
    abolition out of every cell unsaid). Empty when there is nothing to tell."""
    cells, left_out = [], {}
    for values in plan.cells:
        sc, steps = with_left_out(plan.base, values)
        cells.append(sc)
        if steps is not None:
            days = f"{values['days']:,}"
            if days not in left_out.setdefault(steps, []):
                left_out[steps].append(days)
    inert = inert_keys(cells, list(plan.cells[0]) if plan.cells else [])
    return [*(f"swept {key} does nothing in any cell: {sentence}"
              for key, sentence in inert.items()),
            *(f"swept days={', '.join(days)}: {steps}" for steps, days in left_out.items())]


def start(store: RunStore, plan: Plan) -> str:
    """Register a new sweep in the store; returns its id."""
    name = plan.base.get("name", "custom")
    return store.create_sweep(name, len(plan.cells), plan.reps, plan.to_json())


def pending(store: RunStore, sweep_id: str, plan: Plan) -> list[tuple[int, int]]:
    """The (cell, replication) tasks without a finished run in the store."""
    runs = store.sweep_runs(sweep_id)
    done = set(zip(runs.loc[runs["status"] == "done", "cell"],
                   runs.loc[runs["status"] == "done", "rep"], strict=True))
    return [t for t in plan.tasks() if t not in done]


def execute(store: RunStore, sweep_id: str, plan: Plan, client,
            on_total: Callable[[int], None] | None = None,
            on_done: Callable[[], None] | None = None) -> Outcome:
    """Run the sweep's missing tasks on ``client`` (a Dask client, or a runner of
    ``experiments.runner``: ``Sequential`` runs them here, one after another), landing each
    result as it finishes. ``on_total(n)`` learns how many tasks will run, ``on_done()``
    hears of each. Ctrl-C cancels what is left (the sweep is then ``interrupted``; resume
    it later)."""
    runner = runner_of(client)
    todo = pending(store, sweep_id, plan)
    skipped = len(plan.tasks()) - len(todo)
    if on_total is not None:
        on_total(len(todo))
    scenarios: dict[int, Scenario] = {}
    futures = {}
    for cell, rep in todo:
        sc = scenarios.setdefault(cell, plan.scenario(cell))
        future = runner.submit(run_simulation, sc.model_dump(mode="json"),
                               replication_seed(plan.seed, rep), [], True, runner.threads,
                               key=f"scsim-{sweep_id}-c{cell}-r{rep}")
        futures[future] = (cell, rep)
    base = plan.origin_scenario()
    landed, failed = 0, []
    try:
        for future in runner.as_completed(list(futures)):
            cell, rep = futures.pop(future)
            tag = Tag(sweep_id, cell, rep, plan.cells[cell])
            exc = runner.error(future)
            if exc is not None:
                error = failure_words(exc)
                store.add_failure(scenarios[cell], replication_seed(plan.seed, rep), error,
                                  base, sweep=tag)
                failed.append((cell, rep, error))
            else:
                done = runner.result(future, f"the sweep is kept as interrupted: "
                                     f"`scsim sweep --resume {sweep_id}` runs what is left")
                store.add(done["result"], base, sweep=tag)
                landed += 1
            future.release()
            if on_done is not None:
                on_done()
    except BaseException:
        runner.cancel(list(futures))
        store.end_sweep(sweep_id, "interrupted")
        raise
    store.end_sweep(sweep_id, "incomplete" if failed else "done")
    return Outcome(sweep_id, landed, failed, skipped)


def run_table(store: RunStore, sweep_id: str, plan: Plan, outputs: list[str],
              progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per finished run of the sweep (a cell × replication), tidy: its cell,
    replication, seed and run id, the cell's parameters (as the plan gives them, typed) and
    each output's value in that run; ordered by cell, then replication. A replication
    counts once: should two finished runs of one (cell, replication) be in the store, the
    first landed is read. ``progress(done, total)`` is called after each run is read."""
    runs = store.sweep_runs(sweep_id)
    runs = runs[runs["status"] == "done"].drop_duplicates(["cell", "rep"]).sort_values(
        ["cell", "rep"])
    params = list(plan.cells[0]) if plan.cells else []
    rows = []
    for k, row in enumerate(runs.itertuples(), start=1):
        metrics = pd.read_parquet(store.path(row.id) / "metrics.parquet")
        rows.append({"cell": int(row.cell), "rep": int(row.rep), "seed": int(row.seed),
                     "run_id": row.id, **plan.cells[int(row.cell)],
                     **evaluate(metrics, int(row.agents), outputs)})
        if progress is not None:
            progress(k, len(runs))
    return pd.DataFrame(rows, columns=["cell", "rep", "seed", "run_id", *params, *outputs])


def cell_table(plan: Plan, runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """One row per cell of ``plan``: its parameters, the number of finished replications,
    and each output's mean over them (``runs``: ``run_table``'s rows), the half-width of
    its 95 % interval (``NAME_ci95``) and the interval's ends (``NAME_lo``, ``NAME_hi``),
    cut at what the output can be in that cell (``outputs.output_range``: 0 for a count,
    which mean − half-width took below 0; 1 for a share, which mean + half-width took
    above 1). NaN where fewer than two replications finished."""
    from scsim.experiments.outputs import output_range

    rows = []
    for cell, params in enumerate(plan.cells):
        found = runs[runs["cell"] == cell]
        sc = plan.scenario(cell)
        row: dict[str, Any] = {"cell": cell, **params, "reps": len(found)}
        for name in outputs:
            mean, half = mean_ci95(list(found[name]))
            low, high = output_range(name, sc)
            row[name] = mean
            row[f"{name}_ci95"] = half
            cut = not math.isnan(half)
            row[f"{name}_lo"] = max(mean - half, low) if cut else math.nan
            row[f"{name}_hi"] = min(mean + half, high) if cut else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def unmoved(runs: pd.DataFrame, outputs: list[str]) -> list[str]:
    """One line per output that took the same value in every finished run of a sweep of
    more than one cell (``run_table``'s rows): nothing in the swept ranges moved it, which
    a table of equal means does not say (a false-match rate that lists no one wrongfully
    at a thousand agents reads as a lever that does nothing). Empty when none did."""
    if runs["cell"].nunique() < 2:  # replications of one cell: nothing was swept
        return []
    lines = []
    for name in outputs:
        values = runs[name].dropna()
        if len(values) and values.nunique() == 1:
            lines.append(f"{name} is {values.iloc[0]:.4g} in every cell: no value swept "
                         "moved it (at this population and these days)")
    return lines


def plan_of(store: RunStore, ref: str) -> tuple[str, Plan]:
    """The id and plan of a stored sweep."""
    sweep_id, data = store.sweep(ref)
    return sweep_id, Plan.from_json(data)


def describe(plan: Plan) -> str:
    """One line: how many cells, replications and runs, and what varies, in words ('2
    cells × 3 replications = 6 runs; a grid of listing.threshold: 640, 660'; a sweep
    that varies nothing says so: it is replications of the scenario alone)."""
    return (f"{counted(len(plan.cells), 'cell')} × {counted(plan.reps, 'replication')} = "
            f"{counted(len(plan.tasks()), 'run')}; {_varied(plan.design)}")


def _varied(design: dict) -> str:
    """What a plan's design varies, in words."""
    if "sample" in design:
        return (f"a Latin-hypercube sample of {counted(design['sample'], 'cell')} over "
                + ", ".join(design.get("ranges", [])))
    grid = design.get("grid") or {}
    if not grid:
        return "no setting varied (--grid or --sample to vary one): replications of the " \
               "scenario as it is"
    return "a grid of " + "; ".join(
        f"{key}: {', '.join(str(v) for v in values)}" for key, values in grid.items())


def save_sweep_charts(store: RunStore, sweep_id: str, plan: Plan, table: pd.DataFrame,
                      outputs: list[str]) -> list[Path]:
    """Chart each output of ``table`` (``cell_table``) against each numeric swept parameter,
    as PNG files in the store's ``sweeps/SWEEP`` folder; returns their paths (none when
    no parameter is numeric or no cell has finished). Needs the ``report`` extra."""
    from scsim.experiments.charts import save_charts, sweep_charts

    params = list(plan.cells[0]) if plan.cells else []
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(table[p])]
    finished = table[table["reps"] > 0]
    if not numeric or finished.empty:
        return []
    return save_charts(sweep_charts(finished, numeric, outputs),
                       store.root / "sweeps" / sweep_id)
