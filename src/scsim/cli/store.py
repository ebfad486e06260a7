"""The ``scsim`` commands for kept results: runs, show, query, rm, compare and report.

Registered on the main Typer app when ``scsim.cli.app`` is imported.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scsim.cli.app import (
    AgentsOption,
    DaysOption,
    ForceOption,
    StoreOption,
    _fmt,
    _load,
    app,
    console,
    frame_table,
    print_summary,
)
from scsim.errors import ScsimError, Terminated
from scsim.fsutil import check_output_folder

TABLE_ROWS = 200  # rows printed by `scsim query` before it says how many more there are


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into a Terminated exception while the block runs, so that a run can be
    marked interrupted before the process exits."""
    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def day_progress(total_days: int, description: str, quiet: bool = False
                 ) -> tuple[Progress, Callable[[int], None]]:
    """A Rich progress bar over simulated days, and the per-day callback that advances it.
    Until the first day is done it says that the kernels are loading (or compiling, once,
    about a minute)."""
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn(),
                        console=console, disable=quiet, transient=False)
    task = progress.add_task(f"{description} · loading kernels", total=total_days)
    return progress, lambda day: progress.update(task, completed=day + 1,
                                                 description=description)


def _store(path: Path | None, create: bool = False):
    from scsim.store import open_store

    return open_store(path, create=create)


@app.command("runs")
def runs_command(
    scenario: Annotated[str | None, typer.Option(help="Only runs of this scenario.")] = None,
    status: Annotated[str | None, typer.Option(
        help="Only runs with this status: running, done, failed or interrupted.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs (newest first).")] = 50,
    store: StoreOption = None,
) -> None:
    """List the runs in the store, newest first."""
    st = _store(store)
    df = st.runs(scenario=scenario, status=status)
    table = Table(title=f"runs in {st.root} (ids start with the UTC start time)",
                  title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("id", "scenario", "seed", "agents × days", "status"):
        table.add_column(col, justify="right" if col in ("seed", "agents × days") else "left",
                         no_wrap=True)
    table.add_column("overrides, or error", min_width=20)
    colours = {"done": "green", "running": "yellow", "failed": "red", "interrupted": "red",
               "damaged": "magenta"}
    for rec in df.head(limit).itertuples(index=False):
        if rec.status in ("failed", "interrupted") and rec.error:
            note = rec.error
        else:
            note = " ".join(f"{k}={v}" for k, v in json.loads(rec.overrides or "{}").items())
        table.add_row(rec.id, rec.scenario, str(rec.seed), f"{rec.agents:,} × {rec.days}",
                      f"[{colours[rec.status]}]{rec.status}[/]", escape(_short(note, 200)))
    console.print(table)
    if len(df) > limit:
        console.print(f"[dim]{len(df) - limit} older runs not shown (--limit)[/dim]")
    elif df.empty:
        console.print("[dim]no runs yet: `scsim run SCENARIO` records one[/dim]")


@app.command()
def show(run: Annotated[str, typer.Argument(help="Run id (or a unique prefix, or 'last').")],
         store: StoreOption = None) -> None:
    """Print the summary table of a stored run."""
    st = _store(store)
    res = st.load(run)
    print_summary(res)
    console.print(f"[dim]run {res.run_id}: {st.runs_dir / res.run_id}[/dim]")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL (DuckDB dialect, read-only) over the "
                                            "tables runs, metrics, agents, companies.")],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON records instead of a "
                                                       "table.")] = False,
    store: StoreOption = None,
) -> None:
    """Run SQL on the catalogue of the store (read-only) and print the result."""
    if csv and json_:
        raise ScsimError("--csv and --json cannot be combined")
    df = _store(store).query(sql)
    if csv:
        typer.echo(df.to_csv(index=False), nl=False)
        return
    if json_:
        typer.echo(df.to_json(orient="records", date_format="iso", indent=1))
        return
    console.print(frame_table(df, rows=TABLE_ROWS))
    more = len(df) - TABLE_ROWS
    console.print(f"[dim]{len(df):,} rows" + (f" ({more:,} not shown: use --csv)" if more > 0
                                              else "") + "[/dim]")


@app.command("rm")
def rm_command(runs: Annotated[list[str], typer.Argument(help="Run ids (or unique "
                                                               "prefixes).")],
               store: StoreOption = None) -> None:
    """Delete runs from the store (their catalogue row and their folder)."""
    st = _store(store)
    for ref in runs:
        console.print(f"removed run {st.remove(ref)}")


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
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    store: StoreOption = None,
) -> None:
    """Paired comparison B − A under common random numbers: per metric, per agent, per
    group. Scenario runs are kept in the store."""
    from scsim.analysis.compare import compare as run_pair
    from scsim.analysis.compare import compare_results

    stored = [_stored_run(ref, store) for ref in (a, b)]
    if all(stored):
        if set_a or set_b or agents or days or reps != 1:
            raise ScsimError("--set-a, --set-b, --agents, --days and --reps apply to "
                             "scenarios, not to stored runs")
        st = _store(store)
        comparison = compare_results([st.load(a)], [st.load(b)])
    elif any(stored):
        raise ScsimError("give two scenarios or two stored runs, not one of each")
    else:
        if reps < 1:
            raise ScsimError(f"--reps must be at least 1, got {reps}")
        sc_a = _load(a, agents, days, overrides=set_a)
        sc_b = _load(b, agents, days, overrides=set_b)
        st = _store(store, create=True)
        progress, advance = day_progress(
            2 * reps * sc_a.days, f"{sc_a.name} vs {sc_b.name} · {sc_a.population.agents:,} "
            f"agents · {reps} pair(s)", quiet)
        with progress, sigterm_interrupts():
            comparison = run_pair(sc_a, sc_b, seed, reps, store=st, base_a=_load(a),
                                  base_b=_load(b), progress=advance)
    print_comparison(comparison, all_metrics)
    if report:
        from scsim.report import report_comparison

        name = f"{comparison.a[0].run_id}-vs-{comparison.b[0].run_id}"
        path = report_comparison(comparison, st.root / "reports" / name, force=True)
        console.print(f"report written to [bold]{path}[/bold]", soft_wrap=True)


@app.command("report")
def report_command(
    run: Annotated[str, typer.Argument(help="Run id (or unique prefix, or 'last').")],
    run_b: Annotated[str | None, typer.Argument(
        metavar="[RUN_B]", help="A second run with the same seed and population: draws "
                                "the paired comparison.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for report.html and the PNGs (default: STORE/reports/RUN); new or "
             "empty, or an earlier scsim output with --force.")] = None,
    force: ForceOption = False,
    store: StoreOption = None,
) -> None:
    """Write the HTML report (charts embedded, plus PNG files) of a stored run, or of a
    paired comparison of two stored runs."""
    if out is not None:
        check_output_folder(out, force=force)
    st = _store(store)
    path = write_report(st, [st.load(run)] + ([st.load(run_b)] if run_b else []), out,
                        force)
    console.print(f"report written to [bold]{path}[/bold]", soft_wrap=True)


def write_report(st, results: list, out: Path | None = None, force: bool = False) -> Path:
    """The report of one stored result, or of a pair; by default in STORE/reports/ID,
    where scsim replaces its own earlier report of the same runs."""
    from scsim.analysis.compare import compare_results
    from scsim.report import report_comparison, report_run

    name = "-vs-".join(r.run_id for r in results)
    folder, force = (out, force) if out is not None else (st.root / "reports" / name, True)
    if len(results) == 1:
        return report_run(results[0], folder, force=force)
    return report_comparison(compare_results(results[:1], results[1:]), folder, force=force)


def print_comparison(comparison, all_metrics: bool = False) -> None:
    """The comparison tables: what B changes, per metric, per agent, per group."""
    label_a, label_b = comparison.labels
    first = comparison.a[0]
    reps = comparison.reps
    seeds = f"seed {comparison.seeds[0]}" if reps == 1 else (
        f"seeds {comparison.seeds[0]}–{comparison.seeds[-1]} ({reps} pairs)")
    console.print(f"[bold]{escape(label_a)}[/bold] vs [bold]{escape(label_b)}[/bold]: "
                  f"{len(first.agents):,} agents × {len(first.metrics)} days, {seeds}, common "
                  "random numbers")
    runs = " / ".join(f"{ra.run_id} {rb.run_id}" for ra, rb in
                      zip(comparison.a, comparison.b, strict=True) if ra.run_id)
    if runs:
        console.print(f"[dim]runs (A B): {runs}[/dim]")
    for path, (va, vb) in comparison.changes.items():
        console.print(f"  B changes [cyan]{escape(path)}[/cyan]: {escape(str(va))} → "
                      f"{escape(str(vb))}")
    if not comparison.changes:
        console.print("  A and B are the same scenario: every difference must be 0")
    metrics = comparison.metrics(headline=not all_metrics)
    _print_table("per metric, B − A (totals over days for daily counts)", metrics,
                 ["metric", "measure"], ["a", "b", "diff"], reps)
    _print_table("per agent (agents)", comparison.switches(), ["figure"], ["agents"], reps)
    _print_table("per group", comparison.groups(), ["group", "figure"], ["a", "b", "diff"],
                 reps)


def _print_table(title: str, df: pd.DataFrame, labels: list[str], values: list[str],
                 reps: int) -> None:
    table = Table(title=title, title_justify="left")
    heads = {"a": "A", "b": "B", "diff": "B − A", "agents": "agents"}
    for col in labels:
        table.add_column(col, style="cyan" if col == labels[0] else None)
    for col in values:
        table.add_column(heads[col] + (" (mean)" if reps > 1 else ""), justify="right")
    if reps > 1:
        table.add_column("95 % interval", justify="right")
    for rec in df.to_dict("records"):
        cells = [str(rec[c]) for c in labels] + [_fmt(rec[c]) for c in values]
        if reps > 1:
            cells.append(f"{_fmt(rec['lo'])} to {_fmt(rec['hi'])}")
        key = values[-1]
        style = "dim" if rec[key] == 0 and (reps == 1 or rec["lo"] == rec["hi"]) else None
        table.add_row(*cells, style=style)
    console.print(table)


def _stored_run(ref: str, store: Path | None) -> bool:
    """Whether ``ref`` names a stored run rather than a scenario (a file or a built-in
    name always means the scenario)."""
    from scsim.scenario import builtin_names

    if ref in builtin_names() or Path(ref).is_file():
        return False
    try:
        _store(store).get(ref)
    except ScsimError:
        return False
    return True


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"

