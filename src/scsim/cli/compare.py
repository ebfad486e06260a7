"""``scsim compare``: a paired comparison of two scenarios, or of two stored runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scsim.cli.app import (
    AgentsOption,
    CsvOption,
    DaysOption,
    FullOption,
    JsonOption,
    QuietOption,
    StoreOption,
    app,
    console,
    data_format,
    err,
    load,
    open_runs,
)
from scsim.cli.progress import compile_notice, day_progress, stoppable
from scsim.cli.render import comparison_frame, comparison_record, print_comparison, print_data
from scsim.errors import ScsimError
from scsim.outputs.words import counted


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="Scenario A (file or built-in name) or a stored "
                                          "run id.")],
    b: Annotated[str, typer.Argument(help="Scenario B, or a stored run with A's seed and "
                                          "population.")],
    set_a: Annotated[list[str] | None, typer.Option(
        "--set-a", metavar="KEY=VALUE", help="Override a value of A (repeatable).")] = None,
    set_b: Annotated[list[str] | None, typer.Option(
        "--set-b", metavar="KEY=VALUE", help="Override a value of B (repeatable).")] = None,
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the first pair (then seed+1, ...).")] = 0,
    reps: Annotated[int, typer.Option(help="Seed pairs to run; above 1, differences get 95 % "
                                           "intervals.")] = 1,
    all_metrics: Annotated[bool, typer.Option("--all", help="Every metric, not just the "
                                                            "headline ones.")] = False,
    report: Annotated[bool, typer.Option(help="Also write the side-by-side HTML "
                                              "report.")] = False,
    quiet: QuietOption = False,
    full: FullOption = False,
    json_: JsonOption = False,
    csv: CsvOption = False,
    store: StoreOption = None,
) -> None:
    """Paired comparison B − A under common random numbers: a headline sentence, and with
    --full the tables per metric, per agent and per group. Scenario runs are kept in the
    store."""
    from scsim.analysis.compare import compare as run_pair
    from scsim.analysis.compare import compare_results

    if report:
        from scsim.extras import require

        require("report", what="scsim compare --report")
    as_data = data_format(json_, csv)
    stored = [_stored_run(ref, store) for ref in (a, b)]
    if all(stored):
        if set_a or set_b or agents or days or reps != 1:
            raise ScsimError("--set-a, --set-b, --agents, --days and --reps apply to "
                             "scenarios, not to stored runs")
        st = open_runs(store)
        comparison = compare_results([st.load(a)], [st.load(b)])
    elif any(stored):
        raise ScsimError("give two scenarios or two stored runs, not one of each")
    else:
        if reps < 1:
            raise ScsimError(f"--reps must be at least 1, got {reps}")
        sc_a = load(a, agents, days, overrides=set_a)
        sc_b = load(b, agents, days, overrides=set_b)
        st = open_runs(store, create=True)
        progress, advance = day_progress(
            2 * reps * sc_a.days, f"{sc_a.name} vs {sc_b.name} · {sc_a.population.agents:,} "
            f"agents · {counted(reps, 'pair')}", quiet)
        with compile_notice(quiet), progress, stoppable():
            comparison = run_pair(sc_a, sc_b, seed, reps, store=st, base_a=load(a, advise=False),
                                  base_b=load(b, advise=False), progress=advance)
    if as_data == "json":
        print_data(comparison_record(comparison, all_metrics), True)
    elif as_data == "csv":
        print_data(comparison_frame(comparison, all_metrics), False)
    else:
        print_comparison(comparison, all_metrics, full)
    if report:
        from scsim.report import report as write_report

        # SIGTERM stops it as Ctrl-C does: the report's temporary folder is removed
        with err.status("Drawing the report…"), stoppable():
            path = write_report(comparison, store=st)
        (err if as_data else console).print(f"report written to [bold]{path}[/bold]",
                                            soft_wrap=True)


def _stored_run(ref: str, store: Path | None) -> bool:
    """Whether ``ref`` names a stored run rather than a scenario (a file or a built-in
    name always means the scenario)."""
    from scsim.scenario import builtin_names

    if ref in builtin_names() or Path(ref).is_file():
        return False
    try:
        open_runs(store).get(ref)
    except ScsimError:
        return False
    return True
