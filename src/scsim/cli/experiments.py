"""The ``scsim`` commands for experiments on Dask: sweep, calibrate and sensitivity, and
sweeps (list or show stored sweeps). They need ``scsim[experiments]`` (and ``scsim[report]``
for their charts): without it they say what to install, before any work (``scsim sweeps``
alone, the list, needs neither)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from scsim.analysis.published import PRESETS
from scsim.cli.app import (
    AgentsOption,
    CsvOption,
    DaysOption,
    ForceOption,
    JsonOption,
    QuietOption,
    SetOption,
    StoreOption,
    app,
    console,
    data_format,
    err,
    load,
    open_runs,
)
from scsim.cli.progress import stoppable, task_progress
from scsim.cli.render import fmt, frame_table, print_data
from scsim.errors import ScsimError
from scsim.experiments import CALIBRATION_BATCH
from scsim.interrupts import stop_of
from scsim.outputs.words import counted
from scsim.seeds import check_seed

SchedulerOption = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler (tcp://host:8786), or 'local' for a local "
    "cluster on this machine; default SCSIM_SCHEDULER, else local.")]
WorkersOption = Annotated[int | None, typer.Option(
    help="Worker processes of the local cluster (default: one per core); 0: no cluster, "
    "the runs go here, in this process, one after another (the same results).")]
SeedOption = Annotated[int, typer.Option(help="Seed of the experiment, 0 to 2**63 - 1 "
                                              "(replication seeds derive from it).")]
ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", metavar="KEY=LOW..HIGH",
    help="A parameter and its range (':log' or ':linear' to choose the scale; positive "
    "ranges spanning 100x or more are log by default). Repeatable.")]


def _require(command: str, *extras: str) -> None:
    from scsim.extras import require

    require(*extras, what=f"scsim {command}")


def _scheduler(scheduler: str | None, workers: int | None) -> str | None:
    """The scheduler address (``--scheduler``, else SCSIM_SCHEDULER; None: a local
    cluster), checked before the command records or runs anything; ``--workers`` sizes
    only a local cluster (0: none, the runs go here), so it is refused with an address."""
    from scsim.experiments.cluster import scheduler_address

    if workers is not None and workers < 0:  # (typer's own words read as a form's)
        raise ScsimError(f"--workers {workers}: a local cluster needs at least 1 worker "
                         "process (0 runs here, in this process, one run after another; "
                         "leave it out for one per core)")
    address = scheduler_address(scheduler)
    if address and workers is not None:
        raise ScsimError(f"--workers {workers}: it sizes the local cluster, and this "
                         f"command uses the scheduler at {address}; give one of them")
    return address


def _client(address: str | None, workers: int | None):
    """Where the command's runs go (``runner.runner``): the scheduler at ``address``
    (``_scheduler``'s answer), or a local cluster of ``workers`` when it is None (not read
    again from SCSIM_SCHEDULER, which ``--scheduler local`` overrode), or, with
    ``--workers 0``, this process, one run after another. A scheduler left with no worker
    while runs wait is told as a warning line (its only worker died, or none was started)."""
    from scsim.experiments.cluster import LOCAL
    from scsim.experiments.runner import runner

    return runner(address or LOCAL, workers, notice=lambda line: _warn([line]))


def _warn(lines: list[str]) -> None:
    """Each line as a warning on stderr (beside a table or data on stdout)."""
    for line in lines:
        err.print(f"[bold yellow]warning:[/bold yellow] {escape(line)}", soft_wrap=True)


def _in_a_name(name: str) -> str:
    """A scenario's name as part of a file name in the working folder: a slash in it made
    folders (``--set name=a/b`` wrote calibrated-a/b.yaml, ``../x`` one folder up)."""
    return name.replace("/", "-").replace("\\", "-")


def _given(ctx: typer.Context, names: tuple[str, ...]) -> list[str]:
    """The options (and arguments) among ``names`` that the command line gave, as the user
    wrote them (--agents, TARGET)."""
    def on_command_line(name: str) -> bool:
        source = ctx.get_parameter_source(name)
        return source is not None and source.name == "COMMANDLINE"

    return [p.opts[0] if p.param_type_name == "option" else p.name.upper()
            for p in ctx.command.params if p.name in names and on_command_line(p.name)]


def _preset_help() -> str:
    """The --preset help, from the presets registry: each preset with its figures."""
    return ("Published targets (per person; the outputs of each in docs/experiments.md): "
            + ", ".join(f"{name} ({', '.join(f'{f.value:g}' for f in figures)})"
                        for name, figures in PRESETS.items()) + ".")


# What a resumed sweep cannot honour: its plan (scenario, cells, replications, seed) is stored.
PLANNING = ("target", "grid", "sample", "range_", "reps", "agents", "days", "seed", "set_")


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    target: Annotated[str | None, typer.Argument(
        help="Scenario to sweep (file or built-in name).")] = None,
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
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    store: StoreOption = None,
    quiet: QuietOption = False,
) -> None:
    """Sweep parameters with replications on Dask: every cell x replication is a task and
    lands in the run store as it finishes. `scsim sweeps SWEEP` tabulates and charts a
    sweep; `--resume SWEEP` runs only what is missing."""
    _require("sweep", "experiments")
    from scsim.experiments import sweep as sw
    from scsim.experiments.design import cell_label

    check_seed(seed)
    address = _scheduler(scheduler, workers)
    if resume and (conflicts := _given(ctx, PLANNING)):
        raise ScsimError(f"--resume runs the sweep as it was planned: drop "
                         f"{', '.join(conflicts)}")
    if resume:
        runs = open_runs(store, to="resume its sweeps")  # (a store to resume in exists)
        sweep_id, plan = sw.plan_of(runs, resume)
    else:
        if not target:
            raise ScsimError("scsim sweep needs a scenario (or --resume SWEEP)")
        # on a local cluster, its runs must fit in this machine
        plan = sw.design_plan(load(target, agents, days, overrides=set_), grid=grid,
                              sample=sample, ranges=range_, reps=reps, seed=seed,
                              origin=load(target, advise=False), fits_here=address is None)
        # once the plan holds: bad input leaves no store
        runs = open_runs(store, create=True, to="run sweeps into it")
    if not resume:
        _warn(sw.advice(plan))
    # the sweep is recorded once the cluster is there: a scheduler that cannot be reached
    # leaves nothing in the store
    with stoppable(), _client(address, workers) as client:  # SIGTERM stops it as Ctrl-C
        if resume:
            runs.take_sweep(sweep_id)  # refused while a live process runs it
        else:
            sweep_id = sw.start(runs, plan)
        console.print(f"sweep [bold]{sweep_id}[/bold]: {escape(sw.describe(plan))}")
        try:
            with task_progress(f"sweep {sweep_id}", quiet) as bar:
                outcome = sw.execute(runs, sweep_id, plan, client, bar.set_total,
                                     bar.advance)
        except BaseException as exc:  # a stop: told by stoppable, then the word
            stop = stop_of(exc)  # (DuckDB turns a Ctrl-C into "Query interrupted")
            if stop is None:
                raise
            stop.add_note(f"sweep {sweep_id} stopped: `scsim sweep --resume {sweep_id}` runs "
                          "what is left")
            if stop is exc:
                raise
            raise stop from exc
    console.print(f"{counted(outcome.landed, 'run')} landed in {runs.root}"
                  + (f", {outcome.skipped:,} {'was' if outcome.skipped == 1 else 'were'} "
                     "already there" if outcome.skipped else ""))
    for cell, rep, error in outcome.failed:
        console.print(f"[red]failed[/red]: cell {cell} ({escape(cell_label(plan.cells[cell]))}"
                      f"), replication {rep}: {escape(error)}")
    if outcome.failed:
        console.print(f"`scsim sweep --resume {sweep_id}` tries the failed runs again")
    _warn(sw.unmoved(sw.run_table(runs, sweep_id, plan, sw.DEFAULT_OUTPUTS),
                     sw.DEFAULT_OUTPUTS))
    console.print(f"[dim]scsim sweeps {sweep_id} tabulates it[/dim]")
    if outcome.failed:
        raise typer.Exit(1)


@app.command("sweeps")
def sweeps_command(
    sweep: Annotated[str | None, typer.Argument(
        help="A sweep id (or unique prefix, or 'last'): its table and charts. Without it: "
             "the sweeps in the store.")] = None,
    output: Annotated[list[str] | None, typer.Option(
        "--output", help="Outputs to tabulate (e.g. wrongful_new_total). Repeatable.")]
    = None,
    per_run: Annotated[bool, typer.Option(
        "--runs", help="One row per finished run (cell × replication: its seed, run id, "
        "parameters and outputs) instead of the cell means; tidy, for R or pandas with "
        "--csv or --json.")] = False,
    json_: JsonOption = False,
    csv: CsvOption = False,
    quiet: QuietOption = False,
    store: StoreOption = None,
) -> None:
    """List the sweeps in the store, or show one: per cell, the mean and 95 % interval of
    each output over its replications, and a chart of each output against each swept
    parameter (`--runs`: each run's outputs instead)."""
    as_data = data_format(json_, csv)
    if per_run and sweep is None:
        raise ScsimError("--runs shows the runs of one sweep: give its id (or 'last')")
    runs = open_runs(store)
    if sweep is None:
        table = runs.sweeps()
        if as_data:
            print_data(table, as_data == "json")
        elif table.empty:
            console.print(f"no sweeps in {runs.root} yet (`scsim sweep SCENARIO --grid "
                          "KEY=A,B` makes one)")
        else:
            console.print(frame_table(table, f"sweeps in {runs.root}", fit=True))
        return
    _require("sweeps", "experiments", "report")
    from scsim.experiments import sweep as sw

    show_sweep(runs, sweep, output or sw.DEFAULT_OUTPUTS, as_data, quiet, per_run)


def show_sweep(runs, ref: str, outputs: list[str], as_data: str | None = None,
               quiet: bool = False, per_run: bool = False) -> None:
    """Print a table per cell (mean and 95 % interval over replications) and chart each
    output against each swept parameter; with ``as_data``, the table as JSON or CSV; with
    ``per_run``, a row per finished run instead (``run_table``), without charts. Each
    output that no swept lever moved is a warning (on stderr), as when the sweep ran."""
    from scsim.experiments.outputs import check_outputs, output_label
    from scsim.experiments.sweep import (
        cell_table,
        plan_of,
        run_table,
        save_sweep_charts,
        unmoved,
    )

    sweep_id, plan = plan_of(runs, ref)
    check_outputs(plan.scenario(0), outputs)
    with task_progress(f"reading sweep {sweep_id}", quiet) as bar:
        def advance(done: int, total: int) -> None:
            bar.set_total(total)
            bar.advance()

        each = run_table(runs, sweep_id, plan, outputs, advance)
    table = each if per_run else cell_table(plan, each, outputs)
    if as_data or per_run:
        if as_data:
            print_data(table, as_data == "json")
        else:
            console.print(frame_table(table, f"sweep {sweep_id}: each finished run", fit=True))
        _warn(unmoved(each, outputs))
        return
    params = list(plan.cells[0]) if plan.cells else []
    short = {p: p.rsplit(".", 1)[-1] for p in params}
    if len(set(short.values())) < len(short):
        short = {p: p for p in params}
    shown = table[["cell", *params, "reps"]].rename(columns=short)
    for name in outputs:
        shown[name] = [_mean_and_interval(*row) for row in zip(
            table[name], table[f"{name}_ci95"], table[f"{name}_lo"], table[f"{name}_hi"],
            strict=True)]
    console.print(frame_table(shown, f"sweep {sweep_id}: mean ± 95 % interval over replications",
                              fit=True))
    if any(((table[f"{n}_lo"] > table[n] - table[f"{n}_ci95"])
            | (table[f"{n}_hi"] < table[n] + table[f"{n}_ci95"])).any() for n in outputs):
        console.print("[dim]mean (low to high): an interval cut at what the output can be "
                      "(a count stops at 0, a share at 1)[/dim]")
    for path, name in short.items():
        if path != name:
            console.print(f"[dim]{name} = {path}[/dim]")
    for name in outputs:
        console.print(f"[dim]{name}: {output_label(name)}[/dim]")
    _warn(unmoved(each, outputs))
    landed, planned = int(table["reps"].sum()), len(plan.cells) * plan.reps
    if landed < planned:  # an interrupted sweep's table looked like a finished one
        status = runs.sweeps().set_index("id")["status"].get(sweep_id, "incomplete")
        err.print(f"[bold yellow]warning:[/bold yellow] this sweep is {status}: "
                  f"{landed:,} of its {planned:,} runs landed, so some cells have fewer "
                  f"replications (or none); `scsim sweep --resume {sweep_id}` runs the "
                  "rest", soft_wrap=True)
    try:
        charts = save_sweep_charts(runs, sweep_id, plan, table, outputs)
    except ScsimError as exc:  # a file there that scsim did not write: the table stands
        err.print(f"[bold yellow]warning:[/bold yellow] charts not drawn: {escape(str(exc))}",
                  soft_wrap=True)
        charts = []
    for path in charts:
        console.print(f"chart: {path}")


def _mean_and_interval(mean: float, half: float, low: float, high: float) -> str:
    """A cell's mean and 95 % interval: 'mean ± half-width', or, where the interval is cut
    at what the output can be (``cell_table``'s ``_lo`` and ``_hi``), its ends: a count's
    '0.3333 (0 to 1.768)' (as '0.3333 ± 1.434' it read as reaching below 0)."""
    if low > mean - half or high < mean + half:  # (False for NaN: no interval)
        return f"{fmt(mean)} ({fmt(low)} to {fmt(high)})"
    return f"{fmt(mean)} ± {fmt(half)}"


@app.command("calibrate")
def calibrate_command(
    scenario: Annotated[str, typer.Argument(help="Scenario to calibrate.")],
    target: Annotated[list[str] | None, typer.Option(
        "--target", metavar="OUTPUT=VALUE", help="A figure to reproduce, e.g. "
        "blocked_air_per_capita_year=0.0129. Repeatable.")] = None,
    preset: Annotated[str | None, typer.Option(help=_preset_help())] = None,
    param: ParamOption = None,
    trials: Annotated[int, typer.Option(help="Optuna trials.")] = 100,
    reps: Annotated[int, typer.Option(help="Replications per trial (their mean is fitted).")]
    = 2,
    batch: Annotated[int, typer.Option(
        help="Trials asked of Optuna at a time, run together: the same seed and batch give "
             "the same calibration on any cluster (at most batch x reps runs at once).")]
    = CALIBRATION_BATCH,
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: SeedOption = 0,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(
        help="Where to write the calibrated scenario, a .yaml or .yml name (default "
             "calibrated-NAME.yaml; the chart goes beside it, .png); an earlier calibrated "
             "scenario is replaced only with --force.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an earlier calibrated scenario and its chart (never another "
                        "file).")] = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
) -> None:
    """Fit parameters to target figures with Optuna, trials evaluated on Dask; prints the
    best parameters and the fit, and writes the calibrated scenario as YAML."""
    _require("calibrate", "experiments", "report")
    import pandas as pd

    from scsim.experiments.calibrate import (
        Target,
        calibrate,
        check_calibration,
        check_calibration_output,
        merge_targets,
        miss,
        parse_target,
    )
    from scsim.experiments.design import parse_ranges, range_advice

    check_seed(seed)
    address = _scheduler(scheduler, workers)
    base = load(scenario, agents, days, overrides=set_)
    path = out or Path(f"calibrated-{_in_a_name(base.name)}.yaml")
    check_calibration_output(path, force=force)
    if preset is not None and preset not in PRESETS:
        raise ScsimError(f"unknown preset '{preset}' (one of {', '.join(PRESETS)})")
    targets, replaced = merge_targets(
        [parse_target(t, base) for t in target or []],
        [Target(f.output, f.value) for f in PRESETS[preset]] if preset else [])
    for t in replaced:
        err.print(f"note: --target {t.output} replaces the preset's {t.value:g}")
    params = parse_ranges(param or [], base.model_dump(mode="json"))
    check_calibration(params, targets, trials=trials, reps=reps, seed=seed,
                      batch=batch)  # before Dask
    _warn(range_advice(base, params))
    with stoppable():  # SIGTERM stops it as Ctrl-C: nothing half-written
        with _client(address, workers) as client, task_progress(
                f"calibrating {base.name}", quiet, unit="trials") as bar:
            bar.set_total(trials)
            cal = calibrate(base, params, targets, client=client, trials=trials, reps=reps,
                            seed=seed, batch=batch, progress=bar.advance)
        best = pd.DataFrame({"parameter": list(cal.best_params),
                             "value": list(cal.best_params.values())})
        console.print(frame_table(best, f"best parameters (loss {cal.loss:.3g}: mean squared "
                                   "relative error, absolute for a target of 0)"))
        fit = cal.fit.drop(columns="relative_error").assign(error=[
            miss(f, t, digits=1) for f, t in zip(cal.fit["fitted"], cal.fit["target"],
                                                 strict=True)])
        console.print(frame_table(fit, f"fit over {counted(reps, 'replication')} (ci95: "
                                       "half-width; error: relative, absolute for a target "
                                       "of 0)"))
        for line in cal.warnings():
            console.print(f"[yellow]warning:[/yellow] {escape(line)}", soft_wrap=True)
        yaml_path, png_path = cal.save(path, force=force)
    console.print(f"calibrated scenario: [bold]{yaml_path}[/bold] (scsim run {yaml_path}); "
                  f"trials: {png_path}")


@app.command("sensitivity")
def sensitivity_command(
    scenario: Annotated[str, typer.Argument(help="Scenario to analyse.")],
    param: ParamOption = None,
    output: Annotated[list[str] | None, typer.Option(
        help="The output to explain (one), e.g. wrongful_new_total (the default).")] = None,
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
    _require("sensitivity", "experiments", "report")
    from scsim.experiments.design import parse_ranges, range_advice
    from scsim.experiments.outputs import check_outputs
    from scsim.experiments.sensitivity import check_sensitivity, planned_runs, sensitivity
    from scsim.fsutil import check_output_folder

    check_seed(seed)
    if output and len(output) > 1:  # (the last one was analysed alone, unsaid)
        raise ScsimError(f"--output given {len(output)} times: an analysis explains one "
                         "output; run one for each")
    output = output[0] if output else "wrongful_new_total"
    address = _scheduler(scheduler, workers)
    base = load(scenario, agents, days, overrides=set_)
    folder = out or Path(f"sensitivity-{_in_a_name(base.name)}")
    check_output_folder(folder, force=force, kind="sensitivity analysis")
    check_outputs(base, [output])
    params = parse_ranges(param or [], base.model_dump(mode="json"))
    check_sensitivity(params, method, samples, seed)  # before Dask
    _warn(range_advice(base, params))
    per = "base samples" if method == "sobol" else "trajectories"
    console.print(f"{method}: {samples} {per} x ({len(params)} parameters + "
                  f"{2 if method == 'sobol' else 1}) = "
                  f"{planned_runs(method, samples, len(params)):,} runs of {base.name}")
    with stoppable():  # SIGTERM stops it as Ctrl-C: nothing half-written
        with _client(address, workers) as client, task_progress(
                f"sensitivity of {output}", quiet) as bar:
            result = sensitivity(base, params, output, client=client, method=method,
                                 samples=samples, seed=seed, progress=bar.advance,
                                 on_total=bar.set_total)
        console.print(frame_table(result.indices, f"{method} indices of {output} "
                                             f"({len(result.samples)} runs)"))
        if not result.never_varied():
            for line in result.in_words():
                console.print(escape(line), soft_wrap=True)
        for line in result.warnings():
            console.print(f"[yellow]warning:[/yellow] {escape(line)}", soft_wrap=True)
        path = result.save(folder, force=force)
    console.print(f"indices and chart: [bold]{path}[/bold]")
    which, command = _run_again(scenario, agents, days, set_, result)
    console.print(f"samples.csv gives each run's seed and parameters (the runs are not "
                  f"kept); `scsim run` with them as --seed and --set runs one again, the same "
                  f"bits, and keeps it in the run store, as for {which}:", soft_wrap=True)
    console.print(escape(command), soft_wrap=True, highlight=False)


def _run_again(scenario: str, agents: int | None, days: int | None, set_: list[str] | None,
               result) -> tuple[str, str]:
    """The ``scsim run`` command that runs one sample of a sensitivity analysis again
    (``result``: a ``Sensitivity``; ``scenario``, ``agents``, ``days`` and ``set_`` as the
    analysis was given them), the one with the highest output (the first if the output
    never varied): (that sample in words, the command). Each parameter's value is written
    as Python's shortest exact text of it, so the run has the sample's scenario to the
    bit."""
    import shlex

    samples = result.samples
    params = [c for c in samples.columns if c not in ("seed", result.output)]
    varied = not result.never_varied()
    k = int(samples[result.output].to_numpy().argmax()) if varied else 0
    value = samples[result.output].iloc[k]
    which = (f"the sample with the highest {result.output} ({value:.4g})" if varied
             else "the first sample")
    words = ["scsim", "run", scenario]
    for option, given in (("--agents", agents), ("--days", days)):
        if given is not None:
            words += [option, str(given)]
    for text in set_ or []:  # the analysis's own, but for a parameter it varies
        if text.split("=", 1)[0].strip() not in params:
            words += ["--set", text]
    words += ["--seed", str(samples["seed"].iloc[k])]
    for name in params:
        words += ["--set", f"{name}={samples[name].to_numpy()[k].item()!r}"]
    return which, shlex.join(words)
