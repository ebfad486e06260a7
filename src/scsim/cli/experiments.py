"""The ``scsim`` commands for experiments: sweep, calibrate and sensitivity, on Dask.

Registered on the main Typer app when ``scsim.cli.app`` is imported.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scsim.cli.app import (
    AgentsOption,
    DaysOption,
    ForceOption,
    SetOption,
    StoreOption,
    _load,
    app,
    console,
    frame_table,
)
from scsim.errors import ScsimError
from scsim.outputs.summary import format_value

CALIBRATED_HEADER = "# Calibrated by scsim"  # first line of a calibrated scenario file
SchedulerOption = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler (tcp://host:8786); default SCSIM_SCHEDULER, "
    "else a local cluster on this machine.")]
WorkersOption = Annotated[int | None, typer.Option(
    help="Worker processes of the local cluster (default: one per core).")]
SeedOption = Annotated[int, typer.Option(help="Seed of the experiment (replication seeds "
                                              "derive from it).")]
QuietOption = Annotated[bool, typer.Option(help="No progress bar.")]
ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", metavar="KEY=LOW..HIGH",
    help="A parameter and its range (':log' or ':linear' to choose the scale; positive "
    "ranges spanning 100x or more are log by default). Repeatable.")]


class TaskBar:
    """A progress bar over runs on the cluster."""

    def __init__(self, progress: Progress, description: str):
        self.progress = progress
        self.task = progress.add_task(description, total=None)

    def set_total(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self) -> None:
        self.progress.advance(self.task)


@contextmanager
def task_progress(description: str, quiet: bool):
    """A TaskBar shown while the block runs."""
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("runs"), TimeElapsedColumn(),
                        console=console, disable=quiet, transient=False)
    with progress:
        yield TaskBar(progress, description)


def _client(scheduler: str | None, workers: int | None):
    from scsim.experiments.cluster import dask_client

    return dask_client(scheduler, workers)


@app.command("sweep")
def sweep_command(
    target: Annotated[str | None, typer.Argument(
        help="Scenario to sweep (file or built-in name), or 'show' to show a sweep.")] = None,
    sweep_ref: Annotated[str | None, typer.Argument(help="With 'show': the sweep id.")] = None,
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", metavar="KEY=V1,V2,...", help="Values of one parameter; the sweep runs "
        "every combination. Repeatable.")] = None,
    sample: Annotated[int | None, typer.Option(
        help="Run this many cells of a Latin-hypercube sample of the --range parameters.")]
    = None,
    range_: Annotated[list[str] | None, typer.Option(
        "--range", metavar="KEY=LOW..HIGH", help="A parameter range for --sample.")] = None,
    reps: Annotated[int, typer.Option(help="Replications (seeds) per cell.")] = 1,
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: SeedOption = 0,
    set_: SetOption = None,
    resume: Annotated[str | None, typer.Option(
        help="Run what is missing of an earlier sweep (its id).")] = None,
    output: Annotated[list[str] | None, typer.Option(
        "--output", help="With 'show': outputs to tabulate (e.g. wrongful_new_total). "
        "Repeatable.")] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    store: StoreOption = None,
    quiet: QuietOption = False,
) -> None:
    """Sweep parameters with replications on Dask: every cell x replication is a task and
    lands in the run store as it finishes. `scsim sweep show SWEEP` tabulates and charts a
    sweep; `--resume SWEEP` runs only what is missing."""
    from scsim.experiments import sweep as sw
    from scsim.store import open_store

    if target == "show":
        if not sweep_ref:
            raise ScsimError("scsim sweep show needs the sweep id (scsim runs lists runs with "
                             "their sweep)")
        show_sweep(open_store(store, create=False), sweep_ref, output or sw.DEFAULT_OUTPUTS)
        return
    runs = open_store(store)
    if resume:
        sweep_id, plan = sw.plan_of(runs, resume)
    else:
        if not target:
            raise ScsimError("scsim sweep needs a scenario (or --resume SWEEP, or show SWEEP)")
        plan = _new_plan(target, grid or [], sample, range_ or [], reps, agents, days, seed,
                         set_)
        sweep_id = sw.start(runs, plan)
    console.print(f"sweep [bold]{sweep_id}[/bold]: {escape(sw.describe(plan))}")
    with _client(scheduler, workers) as client, task_progress(f"sweep {sweep_id}",
                                                              quiet) as bar:
        try:
            outcome = sw.execute(runs, sweep_id, plan, client, bar.set_total, bar.advance)
        except KeyboardInterrupt:
            console.print(f"interrupted: `scsim sweep --resume {sweep_id}` runs what is left")
            raise typer.Exit(130) from None
    console.print(f"{outcome.landed} runs landed in {runs.root}"
                  + (f", {outcome.skipped} were already there" if outcome.skipped else ""))
    for cell, rep, error in outcome.failed:
        console.print(f"[red]failed[/red]: cell {cell} ({escape(str(plan.cells[cell]))}), "
                      f"replication {rep}: {escape(error)}")
    console.print(f"[dim]scsim sweep show {sweep_id} tabulates it[/dim]")
    if outcome.failed:
        raise typer.Exit(1)


def _new_plan(target, grid, sample, ranges, reps, agents, days, seed, overrides):
    from scsim.experiments.design import grid_cells, latin_hypercube, parse_grid, parse_range
    from scsim.experiments.sweep import make_plan

    base = _load(target, agents, days, overrides=overrides)
    if grid and sample:
        raise ScsimError("give either --grid values or --sample with --range, not both")
    if sample is not None:
        if not ranges:
            raise ScsimError("--sample needs at least one --range KEY=LOW..HIGH")
        data = base.model_dump(mode="json")
        parsed = [parse_range(r, data) for r in ranges]
        cells = latin_hypercube(parsed, sample, seed)
        design = {"sample": sample, "ranges": [str(r) for r in parsed]}
    else:
        if ranges:
            raise ScsimError("--range needs --sample N (the number of cells to draw)")
        cells = grid_cells(parse_grid(grid))
        design = {"grid": parse_grid(grid)}
    return make_plan(base, cells, reps, seed, design)


def show_sweep(runs, ref: str, outputs: list[str]) -> None:
    """Print a table per cell (mean and 95 % interval over replications) and chart each
    output against each swept parameter."""
    from scsim.experiments.charts import save_charts, sweep_charts
    from scsim.experiments.sweep import cell_table, plan_of

    sweep_id, plan = plan_of(runs, ref)
    table = cell_table(runs, sweep_id, plan, outputs)
    params = list(plan.cells[0]) if plan.cells else []
    short = {p: p.rsplit(".", 1)[-1] for p in params}
    if len(set(short.values())) < len(short):
        short = {p: p for p in params}
    shown = table[["cell", *params, "reps"]].rename(columns=short)
    for name in outputs:
        shown[name] = [f"{format_value(m)} ± {format_value(h)}" for m, h in zip(
            table[name], table[f"{name}_ci95"], strict=True)]
    console.print(frame_table(shown, f"sweep {sweep_id}: mean ± 95 % interval over replications"))
    for path, name in short.items():
        if path != name:
            console.print(f"[dim]{name} = {path}[/dim]")
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(table[p])]
    if numeric and (table["reps"] > 0).any():
        folder = runs.root / "sweeps" / sweep_id
        for path in save_charts(sweep_charts(table[table["reps"] > 0], numeric, outputs),
                                folder):
            console.print(f"chart: {path}")


@app.command("calibrate")
def calibrate_command(
    scenario: Annotated[str, typer.Argument(help="Scenario to calibrate.")],
    target: Annotated[list[str] | None, typer.Option(
        "--target", metavar="OUTPUT=VALUE", help="A figure to reproduce, e.g. "
        "blocked_air_per_capita_year=0.0129. Repeatable.")] = None,
    preset: Annotated[str | None, typer.Option(
        help="Published targets: 2018-seed (air 0.0129, train 0.0039 per person per year, as "
        "seed 003 states them) or 2018-series (0.0058, 0.0013, from the cumulative series).")]
    = None,
    param: ParamOption = None,
    trials: Annotated[int, typer.Option(help="Optuna trials.")] = 100,
    reps: Annotated[int, typer.Option(help="Replications per trial (their mean is fitted).")]
    = 2,
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: SeedOption = 0,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(
        help="Where to write the calibrated scenario (default calibrated-NAME.yaml); an "
             "earlier calibrated scenario is replaced only with --force.")] = None,
    force: ForceOption = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
) -> None:
    """Fit parameters to target figures with Optuna, trials evaluated on Dask; prints the
    best parameters and the fit, and writes the calibrated scenario as YAML."""
    from scsim.analysis.published import PRESETS
    from scsim.experiments.calibrate import Target, calibrate, parse_target
    from scsim.experiments.charts import calibration_chart
    from scsim.experiments.design import parse_range
    from scsim.fsutil import atomic_file, check_output_file
    from scsim.report import DPI
    from scsim.scenario import dump_yaml

    base = _load(scenario, agents, days, overrides=set_)
    path = out or Path(f"calibrated-{base.name}.yaml")
    check_output_file(path, force=force, ours=CALIBRATED_HEADER)
    check_output_file(path.with_suffix(".png"), force=force)
    targets = [parse_target(t, base) for t in target or []]
    if preset is not None:
        if preset not in PRESETS:
            raise ScsimError(f"unknown preset '{preset}' (one of {', '.join(PRESETS)})")
        targets += [Target(f.output, f.value) for f in PRESETS[preset]]
    data = base.model_dump(mode="json")
    params = [parse_range(p, data) for p in param or []]
    if trials < 1 or reps < 1:
        raise ScsimError("--trials and --reps must be at least 1")
    with _client(scheduler, workers) as client, task_progress(
            f"calibrating {base.name} (trials)", quiet) as bar:
        bar.set_total(trials)
        cal = calibrate(base, params, targets, client=client, trials=trials, reps=reps,
                        seed=seed, progress=bar.advance)
    best = pd.DataFrame({"parameter": list(cal.best_params),
                         "value": list(cal.best_params.values())})
    console.print(frame_table(best, f"best parameters (loss {cal.loss:.3g}: mean squared "
                               "relative error)"))
    fit = cal.fit.assign(relative_error=[f"{e:+.1%}" for e in cal.fit["relative_error"]])
    console.print(frame_table(fit, f"fit over {reps} replications (ci95: half-width)"))
    header = (CALIBRATED_HEADER + ": " + "; ".join(f"{t.output}={t.value:g}" for t in targets)
              + f" ({trials} trials x {reps} replications, seed {seed})\n")
    with atomic_file(path) as tmp:
        tmp.write_text(header + dump_yaml(cal.scenario), encoding="utf-8")
    chart = calibration_chart(cal, params)
    with atomic_file(path.with_suffix(".png")) as tmp:
        chart.figure.savefig(tmp, format="png", dpi=DPI)
    console.print(f"calibrated scenario: [bold]{path}[/bold] (scsim run {path}); trials: "
                  f"{path.with_suffix('.png')}")


@app.command("sensitivity")
def sensitivity_command(
    scenario: Annotated[str, typer.Argument(help="Scenario to analyse.")],
    param: ParamOption = None,
    output: Annotated[str, typer.Option(help="The output to explain, e.g. wrongful_new_total."
                                        )] = "wrongful_new_total",
    method: Annotated[Literal["sobol", "morris"], typer.Option(
        help="sobol (first-order and total indices) or morris (screening).")] = "sobol",
    samples: Annotated[int, typer.Option(
        help="Sobol: base samples, a power of 2 (runs: samples x (parameters + 2)); Morris: "
        "trajectories (runs: samples x (parameters + 1)).")] = 64,
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: SeedOption = 0,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for the indices (CSV) and the chart (default sensitivity-NAME); new or "
             "empty, or an earlier scsim output with --force.")] = None,
    force: ForceOption = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
) -> None:
    """Global sensitivity analysis with SALib (Sobol or Morris), runs evaluated on Dask:
    which lever drives the output most?"""
    from scsim.core.params import Names
    from scsim.experiments.charts import save_charts, sensitivity_chart
    from scsim.experiments.design import parse_range
    from scsim.experiments.outputs import parse_output
    from scsim.experiments.sensitivity import check_samples, sensitivity
    from scsim.fsutil import atomic_folder, check_output_folder
    from scsim.outputs.metrics import metric_columns

    base = _load(scenario, agents, days, overrides=set_)
    folder = out or Path(f"sensitivity-{base.name}")
    check_output_folder(folder, force=force)
    parse_output(output, metric_columns(Names.of(base)))
    data = base.model_dump(mode="json")
    params = [parse_range(p, data) for p in param or []]
    if len(params) < 2:
        raise ScsimError("sensitivity analysis needs at least two --param ranges")
    check_samples(method, samples)
    with _client(scheduler, workers) as client, task_progress(
            f"sensitivity of {output}", quiet) as bar:
        result = sensitivity(base, params, output, client=client, method=method,
                             samples=samples, seed=seed, progress=bar.advance,
                             on_total=bar.set_total)
    console.print(frame_table(result.indices, f"{method} indices of {output} "
                                         f"({len(result.samples)} runs)"))
    with atomic_folder(folder, force=force) as tmp:
        result.indices.to_csv(tmp / "indices.csv", index=False)
        result.samples.to_csv(tmp / "samples.csv", index=False)
        save_charts([sensitivity_chart(result)], tmp)
    console.print(f"indices and chart: [bold]{Path(folder).resolve()}[/bold]")
