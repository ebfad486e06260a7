"""The ``scsim`` command line (Typer + Rich)."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scsim import __version__
from scsim.errors import ScsimError, Terminated
from scsim.fsutil import check_output_folder
from scsim.outputs.summary import format_value as _fmt

app = typer.Typer(
    name="scsim", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Simulate citizen-scoring (\"social credit\") systems on synthetic populations.")
scenarios_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                            help="List the built-in scenarios, or show one in full.")
app.add_typer(scenarios_app, name="scenarios")

# No emoji shortcodes: ':x:' in a user's file name or data must print as it is.
console = Console(emoji=False)
err = Console(stderr=True, emoji=False)

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", "-s", metavar="KEY=VALUE",
    help="Override a scenario value, e.g. scoring.association.alpha=0.05 (repeatable).")]
AgentsOption = Annotated[int | None, typer.Option(help="Number of agents (population size).")]
DaysOption = Annotated[int | None, typer.Option(help="Number of simulated days.")]
NetworkOption = Annotated[Path | None, typer.Option(
    help="SNAP edge-list file to use as the network; the population size becomes its node "
    "count.")]
StoreOption = Annotated[Path | None, typer.Option(
    help="Run store folder (default: $SCSIM_STORE, else ./scsim-runs).", show_default=False)]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace an earlier scsim output in the output folder (never anything "
                    "else).")]


def _load(scenario: str, agents=None, days=None, network=None, overrides=None):
    from scsim.scenario import load_scenario

    return load_scenario(scenario, agents=agents, days=days, network=network,
                         overrides=overrides)


@scenarios_app.callback()
def scenarios(ctx: typer.Context) -> None:
    """List the built-in scenarios with one line each."""
    if ctx.invoked_subcommand is not None:
        return
    from scsim.scenario import builtin_names

    table = Table(title="Built-in scenarios", title_justify="left")
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("source")
    table.add_column("what it is")
    for name in builtin_names():
        sc = _load(name)
        table.add_row(name, sc.source, sc.description.split("\n")[0])
    console.print(table)
    console.print("[dim]scsim scenarios show NAME prints one in full.[/dim]")


@scenarios_app.command("show")
def scenarios_show(name: str, agents: AgentsOption = None, days: DaysOption = None,
                   set_: SetOption = None) -> None:
    """Print the fully resolved YAML of a scenario (every default filled in)."""
    from scsim.scenario import dump_yaml

    typer.echo(dump_yaml(_load(name, agents, days, overrides=set_)), nl=False)


@app.command()
def validate(scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
             set_: SetOption = None) -> None:
    """Check a scenario; prints every problem with its field and line, exit code 2 when
    invalid."""
    sc = _load(scenario, overrides=set_)
    if sc.network.kind == "file":
        from scsim.world.network import load_edgelist

        net, _ = load_edgelist(sc.network.path)
        detail = f"network file: {net.n:,} nodes, {net.n_ties:,} ties"
    else:
        detail = f"{sc.population.agents:,} agents"
    console.print(f"[green]valid[/green]: {sc.name} ({detail}, {sc.days} days, "
                  f"{len(sc.behaviours)} behaviours, {len(sc.timeline)} timeline steps)")


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bits.")] = 0,
    out: Annotated[Path | None, typer.Option(
        help="Also save the results to this folder (new or empty; an earlier scsim output "
             "only with --force).")] = None,
    force: ForceOption = False,
    set_: SetOption = None,
    network: NetworkOption = None,
    threads: Annotated[int | None, typer.Option(help="Numba threads (default: all cores).")]
    = None,
    profile: Annotated[bool, typer.Option(help="Print wall time per phase.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    store: StoreOption = None,
    report: Annotated[bool, typer.Option(help="Also write the HTML report with its charts.")]
    = False,
    checkpoint_every: Annotated[int | None, typer.Option(
        "--checkpoint-every", metavar="DAYS", min=1, help="Keep a checkpoint in the store "
        "every DAYS days: `scsim resume RUN` continues the run if it stops.")] = None,
) -> None:
    """Run one scenario, print its summary and keep it in the run store; --out also copies
    the results to a folder."""
    from scsim.cli.store import day_progress, sigterm_interrupts, write_report
    from scsim.core.engine import Simulation
    from scsim.store import open_store

    sc = _load(scenario, agents, days, network, set_)
    if out is not None:
        check_output_folder(out, force=force)
    runs = open_store(store)
    with console.status(f"Building {sc.name}: population and network…"):
        sim = Simulation(sc, seed=seed, threads=threads)
    sc = sim.scenario
    progress, advance = day_progress(sc.days, f"{sc.name} · {sim.state.n:,} agents", quiet)
    with progress, sigterm_interrupts():
        res = runs.record(sim, advance, base=_load(scenario), checkpoint_every=checkpoint_every)
    print_summary(res)
    if profile:
        print_profile(res.info)
    console.print(f"run [bold]{res.run_id}[/bold] kept in {runs.root}", soft_wrap=True)
    if out is not None:
        path = res.save(out, force=force)
        console.print(f"results saved to [bold]{path}[/bold]")
    if report:
        path = write_report(runs, [res])
        console.print(f"report written to [bold]{path}[/bold]", soft_wrap=True)


def frame_table(df, title: str | None = None, rows: int | None = None) -> Table:
    """A DataFrame as a Rich table (its first ``rows`` rows): numbers right-aligned and
    written for people, long headers folded rather than cut."""
    import pandas as pd

    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(str(col), overflow="fold",
                         justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
    for row in (df if rows is None else df.head(rows)).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value) -> str:
    if isinstance(value, float):
        return _fmt(value) if math.isfinite(value) else ("–" if value != value else str(value))
    return escape(str(value))


def print_summary(res) -> None:
    info = res.info
    table = Table(title=f"{res.scenario.name}: {info['agents']:,} agents × {info['days']} "
                  f"days, seed {res.seed}", title_justify="left", show_lines=False)
    table.add_column("section", style="cyan", no_wrap=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("note", style="dim")
    previous = None
    for row in res.summary().itertuples(index=False):
        if row.section == "run":
            continue
        table.add_row(row.section if row.section != previous else "", row.figure,
                      _fmt(row.value), row.note)
        previous = row.section
    console.print(table)
    console.print(f"[dim]{info['wall_seconds']:.1f} s simulated + {info['setup_seconds']:.1f} s "
                  f"setup, {info['agent_days_per_second']:,.0f} agent-days/s[/dim]")


def print_profile(info: dict) -> None:
    prof = info["profile_seconds"]
    total = sum(v for k, v in prof.items() if k != "setup") or 1e-9
    table = Table(title="wall time per phase", title_justify="left")
    table.add_column("phase", style="cyan")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    for phase, secs in prof.items():
        share = "" if phase == "setup" else f"{secs / total:.1%}"
        table.add_row(phase, f"{secs:.3f}", share)
    console.print(table)


@app.callback(invoke_without_command=True)
def main_options(version: Annotated[bool, typer.Option("--version",
                                                       help="Print the version.")] = False
                 ) -> None:
    if version:
        typer.echo(f"scsim {__version__}")
        raise typer.Exit()


def main() -> None:
    """Entry point: user errors print one message and exit 2, never a traceback."""
    try:
        code = app(standalone_mode=False)  # recent Typer returns Exit codes, Ctrl-C as 130
        if isinstance(code, int) and code:
            raise typer.Exit(code)
    except typer.Exit as exc:
        if exc.exit_code == 130:
            err.print("interrupted")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    except Terminated:
        err.print("terminated")
        sys.exit(143)
    except ScsimError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except Exception as exc:
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()  # a usage error from Click (vendored by Typer since 0.26)
            sys.exit(2)
        # a bug: say so briefly unless asked for the traceback
        if os.environ.get("SCSIM_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: "
                  f"{escape(str(exc))} "
                  "(set SCSIM_DEBUG=1 for the traceback, and please report it)")
        sys.exit(1)


# Register the other commands on `app` (these modules import it from here).
import scsim.cli.experiments  # noqa: E402
import scsim.cli.plan  # noqa: E402
import scsim.cli.resume  # noqa: E402
import scsim.cli.store  # noqa: E402, F401
