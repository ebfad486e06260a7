"""``scsim scenarios``, ``scsim scenarios show`` and ``scsim validate``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from scsim.cli.app import (
    ADVISED,
    AgentsOption,
    DaysOption,
    NetworkOption,
    SetOption,
    app,
    console,
    load,
)
from scsim.outputs.words import articles_named, counted

scenarios_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                            help="List the built-in scenarios, or show one in full.")
app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.callback()
def scenarios(ctx: typer.Context) -> None:
    """List the built-in scenarios with one line each."""
    if ctx.invoked_subcommand is None:
        scenarios_list()


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the built-in scenarios with one line each (as `scsim scenarios` does)."""
    from scsim.scenario import builtin_names

    table = Table(title="Built-in scenarios", title_justify="left")
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("agents", justify="right")
    table.add_column("days", justify="right")
    table.add_column("source")
    table.add_column("what it is")
    for name in builtin_names():
        sc = load(name)
        table.add_row(name, f"{sc.population.agents:,}", f"{sc.days:,}",
                      articles_named(sc.source) or sc.source, sc.description.split("\n")[0])
    console.print(table)
    console.print("[dim]scsim scenarios show NAME prints one in full; agents and days are "
                  "what a run uses unless given (--agents, --days). The source articles are "
                  "numbered 000 to 004 in the model's specification (docs/model.md, \"What "
                  "the sources describe\").[/dim]")


@scenarios_app.command("show")
def scenarios_show(name: str, agents: AgentsOption = None, days: DaysOption = None,
                   set_: SetOption = None, as_written: Annotated[bool, typer.Option(
                       "--as-written", help="Print the built-in scenario's file as written, "
                       "with the comments that say what each setting takes from its "
                       "source, instead of every setting resolved.")] = False) -> None:
    """Print the fully resolved YAML of a scenario (every default filled in), or with
    --as-written a built-in's file with its comments."""
    from scsim.errors import ScsimError
    from scsim.scenario import dump_yaml
    from scsim.scenario.loader import builtin_names, builtin_text

    if as_written:
        if agents is not None or days is not None or set_:
            raise ScsimError("--as-written prints the file as it is: drop --agents, --days "
                             "and --set")
        text = builtin_text(name)
        if text is None:
            known = ", ".join(builtin_names())
            raise ScsimError(f"--as-written shows a built-in scenario's file ({known}); "
                             f"{name} is not one")
        typer.echo(text, nl=False)
        return
    sc = load(name, agents, days, overrides=set_)  # refused before a line is printed
    typer.echo(f"# {name}, every setting resolved (every default filled in); "
               f"--as-written shows the file with its comments\n" if builtin_text(name)
               else "", nl=False)
    typer.echo(dump_yaml(sc), nl=False)


@app.command()
def validate(scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
             set_: SetOption = None, network: NetworkOption = None) -> None:
    """Check a scenario; prints every problem with its field and line, exit code 2 when
    invalid, and every setting that does nothing (a switch on with nothing to do: a
    warning, exit code 0)."""
    sc = load(scenario, network=network, overrides=set_)
    if sc.network.kind == "file":
        from scsim.world.network import load_edgelist

        net, ids, cleaned = load_edgelist(sc.network.path)
        detail = (f"network file: {counted(net.n, 'node')}, {counted(net.n_ties, 'tie')}"
                  f"{cleaned}; agents 0 to {net.n - 1:,} are the file's ids {ids[0]:,} to "
                  f"{ids[-1]:,} in ascending order (the agents table's file_id)")
    else:
        detail = f"{sc.population.agents:,} agents"
    console.print(f"[green]valid[/green]: {sc.name} ({detail}, {counted(sc.days, 'day')}, "
                  f"{counted(len(sc.behaviours), 'behaviour')}, "
                  f"{counted(len(sc.timeline), 'timeline step')})"
                  + (f", {counted(len(ADVISED), 'warning')} above"
                     if ADVISED else ""))
