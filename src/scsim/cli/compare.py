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

MAX_PAIRS = 500_000
"""Pairs one comparison may run: 1,000,000 runs, as many as one sweep may plan
(``experiments.design.MAX_RUNS``); --reps 100000000 ran on for hours, a run in the store
each."""


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
    from scsim.analysis.compare import (
        check_overrides,
        check_pairable,
        compare_results,
        side_named,
    )
    from scsim.analysis.compare import compare as run_pair
    from scsim.seeds import check_seed

    if report:
        from scsim.extras import require

        require("report", what="scsim compare --report")
    as_data = data_format(json_, csv)
    kinds = [_kind(ref, store) for ref in (a, b)]
    if "last" in (a, b) and kinds[(a, b).index("last")] is None:
        open_runs(store).get("last")  # says why: no store, or no run finished yet
    if kinds == ["run", "run"]:
        if set_a or set_b or agents or days or reps != 1:
            raise ScsimError("--set-a, --set-b, --agents, --days and --reps apply to "
                             "scenarios, not to stored runs")
        st = open_runs(store)
        comparison = compare_results([st.load(a)], [st.load(b)])
    elif "run" in kinds:
        run, other = (a, b) if kinds[0] == "run" else (b, a)
        if None in kinds:
            raise ScsimError(_neither(other, store))
        raise ScsimError(f"{run} is a stored run and {other} a scenario: give two scenarios "
                         "or two stored runs, not one of each")
    else:
        if reps < 1:
            raise ScsimError(f"--reps must be at least 1, got {reps}")
        if reps > MAX_PAIRS:
            raise ScsimError(f"--reps {reps:,}: at most {MAX_PAIRS:,} pairs "
                             f"({2 * MAX_PAIRS:,} runs) in one comparison")
        check_seed(seed)  # before the progress bar is drawn
        check_overrides(set_a, "--set-a")  # named as given (a bad one was told as --set)
        check_overrides(set_b, "--set-b")
        with side_named("A", set_a):
            sc_a = load(a, agents, days, overrides=set_a)
        with side_named("B", set_b):
            sc_b = load(b, agents, days, overrides=set_b)
        check_pairable(sc_a, sc_b)  # before the progress bar and the store are made
        st = open_runs(store, create=True, to="keep new runs in it")
        progress, advance = day_progress(
            2 * reps * sc_a.days, f"{sc_a.name} vs {sc_b.name} · "
            f"{counted(sc_a.population.agents, 'agent')} · {counted(reps, 'pair')}", quiet)
        with compile_notice(quiet), progress, stoppable():
            comparison = run_pair(sc_a, sc_b, seed=seed, reps=reps, store=st,
                                  base_a=load(a, advise=False),
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


def _kind(ref: str, store: Path | None) -> str | None:
    """What ``ref`` names: ``"scenario"`` (a built-in name or a file, which always mean the
    scenario), ``"run"`` (a stored run, or several whose ids start with it), or None
    (neither)."""
    from scsim.scenario import builtin_names

    if ref in builtin_names() or Path(ref).is_file():
        return "scenario"
    if not ref.strip():  # (the prefix of every run)
        return None
    try:
        return "run" if open_runs(store).matching(ref) else None
    except ScsimError:  # no store, or a folder that is not one
        return None


def _neither(ref: str, store: Path | None) -> str:
    """Why ``ref`` names nothing to compare, with the built-in scenario or stored run it
    may be a misspelling of."""
    import difflib

    from scsim.scenario import builtin_names

    try:
        ids = list(open_runs(store).runs()["id"])
    except ScsimError:
        ids = []
    close = difflib.get_close_matches(ref, [*builtin_names(), *ids], n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (f"'{ref}' is neither a built-in scenario, a scenario file nor a stored run"
            f"{hint}; `scsim scenarios` lists the built-in ones, `scsim runs` the runs")
