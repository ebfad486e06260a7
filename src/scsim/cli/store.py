"""The ``scsim`` commands for kept results: runs, show, query, rm and report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from scsim.cli.app import (
    CsvOption,
    DashedArguments,
    ForceOption,
    FullOption,
    JsonOption,
    StoreOption,
    app,
    console,
    data_format,
    err,
    open_runs,
)
from scsim.cli.progress import stoppable
from scsim.cli.render import csv_text, frame_table, print_data, print_run, run_record
from scsim.errors import ScsimError
from scsim.outputs.words import counted

TABLE_ROWS = 200  # rows printed by `scsim query` before it says how many more there are
RUNS_SHOWN = 50  # rows of the `scsim runs` table unless --limit says otherwise
SUMMARY_CSV = "a run's summary table"  # what `scsim show --out FILE.csv` writes
JSON_COLUMNS = ("overrides", "branched")
"""The columns of the ``runs`` table that hold JSON: objects in ``scsim runs --json`` (a
read-only catalogue older than the ``branched`` column has none)."""


@app.command("runs")
def runs_command(
    scenario: Annotated[str | None, typer.Option(help="Only runs of this scenario.")] = None,
    status: Annotated[str | None, typer.Option(
        help="Only runs with this status, in any case: running, done, failed, "
        "interrupted or damaged.")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help=f"At most this many runs, newest first (default: {RUNS_SHOWN} in the "
        "table, every run with --json or --csv).")] = None,
    json_: JsonOption = False,
    csv: CsvOption = False,
    store: StoreOption = None,
) -> None:
    """List the runs in the store, newest first, with why a run failed or is damaged."""
    as_data = data_format(json_, csv)
    st = open_runs(store)
    df = st.runs(scenario=scenario, status=status)
    if as_data:
        df = df if limit is None else df.head(limit)
        if as_data == "json":  # the overrides and the branch as objects, not strings of
            # JSON (null for a run whose scenario was not derived from a built-in or a
            # file, and for a run that is no branch), as `scsim show --json` gives them
            df = df.assign(**{column: [json.loads(v) if isinstance(v, str) else None
                                       for v in df[column]]
                              for column in JSON_COLUMNS if column in df})
        print_data(df, as_data == "json")
        return
    from scsim.core.checkpoint import branch_headline  # (numba: not for --help)
    from scsim.scenario.diff import SIZE_PATHS
    from scsim.scenario.reference import as_assignments

    if df.empty and (scenario or status):  # not an empty table: what matched nothing
        given = " ".join(f"--{k} {v}" for k, v in (("scenario", scenario),
                                                    ("status", status)) if v)
        console.print(f"no run matches {escape(given)}"
                      + (_nearest_scenario(scenario, st.runs()["scenario"]) if scenario
                         else "") + " (`scsim runs` lists them all)", soft_wrap=True)
        return
    limit = RUNS_SHOWN if limit is None else limit
    table = Table(title=f"runs in {st.root} (ids start with the UTC start time)",
                  title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("id", "scenario", "seed", "agents × days", "status"):
        table.add_column(col, justify="right" if col in ("seed", "agents × days") else "left",
                         no_wrap=True)
    # folded, never cropped: a least width cropped each folded line in a narrow terminal
    # ("listing.threshold=" over "0" read as a threshold of 0)
    table.add_column("branch, overrides, or error", overflow="fold")
    colours = {"done": "green", "running": "yellow", "failed": "red", "interrupted": "red",
               "damaged": "magenta"}
    for rec in df.head(limit).itertuples(index=False):
        if rec.status in ("failed", "interrupted", "damaged") and rec.error:
            note = rec.error
        else:
            # its size aside: the "agents × days" column says it (it took the width of the
            # settings that differ, cut to "population.ag")
            note = as_assignments({path: value for path, value in json.loads(
                rec.overrides or "{}").items() if path not in SIZE_PATHS})
        # a branch first (as `scsim show` says it): its scenario is not that of all its days
        branched = getattr(rec, "branched", None)  # (NULL: no branch, or an older catalogue)
        mark = branch_headline(json.loads(branched)) if isinstance(branched, str) else ""
        text = escape(_short(note, 200 - len(mark)))
        if mark:
            text = f"[yellow]{escape(mark)}[/yellow]" + (f"; {text}" if note else "")
        table.add_row(rec.id, rec.scenario, str(rec.seed), f"{rec.agents:,} × {rec.days:,}",
                      f"[{colours[rec.status]}]{rec.status}[/]", text)
    console.print(table)
    if len(df) > limit:
        console.print(f"[dim]{counted(len(df) - limit, 'older run')} not shown "
                      "(--limit)[/dim]")
    elif df.empty:
        console.print("[dim]no runs yet: `scsim run SCENARIO` records one[/dim]")
    if (df.head(limit)["status"] == "damaged").any():
        console.print("[dim]damaged runs: `scsim check --repair rerun` runs them again, "
                      "`--repair remove` removes them[/dim]")


@app.command()
def show(run: Annotated[str, typer.Argument(help="Run id (or a unique prefix, or 'last').")],
         full: FullOption = False, json_: JsonOption = False, csv: CsvOption = False,
         out: Annotated[Path | None, typer.Option(
             help="Also save the run's results to this folder, as `scsim run --out` does: "
                  "its tables as Parquet files, scenario.yaml and run.json (new or empty; "
                  "an earlier saved run only with --force). A name ending in .csv: its "
                  "summary table (the rows of --csv) as one CSV file for a spreadsheet "
                  "(a new file).")] = None,
         force: ForceOption = False,
         store: StoreOption = None) -> None:
    """Print the headline of a stored run (--full: its summary table); --out copies its
    results to a folder, or its summary table to a .csv file."""
    from scsim.fsutil import check_new_file, check_output_folder

    as_data = data_format(json_, csv)
    to_csv = out is not None and out.suffix.lower() == ".csv"
    if to_csv:
        check_new_file(out, SUMMARY_CSV)
    elif out is not None:
        check_output_folder(out, force=force, kind="saved run")
    from scsim.core.checkpoint import kept_words

    st = open_runs(store)
    kept = kept_words(st.checkpoints_dir / st.get(run).id)  # a stopped run's, to resume
    try:
        res = st.load(run)
    except ScsimError as exc:  # not done: no results, but its checkpoints take the disk
        if kept is None:
            raise
        raise ScsimError(f"{exc}; its checkpoints: {kept}") from None
    if as_data:
        print_data(run_record(res) if as_data == "json" else res.summary(),
                   as_data == "json")
    else:
        if res.branched:  # first: its scenario below is not the one of all its days
            console.print(f"[yellow]{escape(res.branched)}[/yellow]", soft_wrap=True)
        print_run(res, full)
        console.print(f"[dim]run {res.run_id}: {st.runs_dir / res.run_id}[/dim]")
        if kept is not None:  # (a done run removes its own as it finishes: these stayed)
            console.print(f"[dim]checkpoints kept: {escape(kept)}[/dim]", soft_wrap=True)
    if out is not None:
        with stoppable():  # SIGTERM stops the writing as Ctrl-C does: nothing half-written
            path = (save_summary(res, out) if to_csv else res.save(out, force=force))
        (err if as_data else console).print(
            f"{'summary table' if to_csv else 'results'} saved to [bold]{path}[/bold]",
            soft_wrap=True)


def save_summary(res, path: Path) -> Path:
    """Write the summary table of ``res`` (what ``scsim show --csv`` prints) to the new
    file ``path`` as CSV for a spreadsheet (``SPREADSHEET_CSV``), whole or not at all;
    returns its resolved path."""
    from scsim.fsutil import SPREADSHEET_CSV, atomic_file

    with atomic_file(path, new=SUMMARY_CSV) as tmp:
        tmp.write_text(csv_text(res.summary()), encoding=SPREADSHEET_CSV)
    return path.expanduser().resolve()


@app.command(cls=DashedArguments)
def query(
    sql: Annotated[str, typer.Argument(help="SQL (DuckDB dialect, read-only) over the "
                                            "tables runs, sweeps, comparisons, metrics, "
                                            "agents, companies, groups, regions, wrongful, "
                                            "events, traced (e.g. SHOW TABLES, or DESCRIBE "
                                            "events).")],
    csv: CsvOption = False,
    json_: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Run one SQL statement on the catalogue of the store (read-only) and print the
    result.

    One statement that reads: SELECT (also WITH, VALUES, FROM ...), SHOW, DESCRIBE or
    SUMMARIZE. A query that starts with an SQL comment ("-- my note ...") is read as the
    query, not as an option, as it is after --: scsim query -- "-- my note ...".
    """
    as_data = data_format(json_, csv)
    df = open_runs(store).query(sql)
    if as_data:
        print_data(df, as_data == "json")
        return
    console.print(frame_table(df, rows=TABLE_ROWS, fit=True))
    more = len(df) - TABLE_ROWS
    console.print(f"[dim]{counted(len(df), 'row')}"
                  + (f" ({more:,} not shown: use --csv)" if more > 0 else "") + "[/dim]")


@app.command("rm")
def rm_command(runs: Annotated[list[str], typer.Argument(help="Run ids (or unique "
                                                               "prefixes, or 'last').")],
               elsewhere: Annotated[bool, typer.Option(
                   help="Also a run recorded as running on another host, whose process "
                   "cannot be checked from here: only when you know it has ended.")] = False,
               store: StoreOption = None) -> None:
    """Delete runs from the store (their catalogue row, their folder, their checkpoints
    and their report in the store). Every run is checked first: when one cannot be removed,
    none is."""
    st = open_runs(store)
    try:
        records = st.removable(runs, elsewhere=elsewhere)
    except ScsimError as exc:
        raise ScsimError(f"{exc}; nothing was removed" if len(runs) > 1 else str(exc)
                         ) from None
    for rec in records:
        console.print(f"removed run {st.remove(rec.id, elsewhere=elsewhere)}")
        for what, kept in st.folders_kept(rec.id):
            console.print(f"  kept its {what} {escape(str(kept))}: it holds files that "
                          "scsim did not write there, or that changed since; move what you "
                          "want out of it, then delete it", soft_wrap=True)


@app.command("report")
def report_command(
    runs: Annotated[list[str], typer.Argument(
        metavar="RUN [RUN_B] [RUN_A2 RUN_B2 ...]",
        help="Run id (or unique prefix, or 'last'); a second run with the same seed and "
             "population draws the paired comparison, and more pairs (A B A B ...) give "
             "it means and 95 % intervals over the pairs.")],
    out: Annotated[Path | None, typer.Option(
        help="Folder for report.html and the PNGs (default: STORE/reports/RUN, or "
             "STORE/reports/A-vs-B for a comparison); new or empty, or an earlier scsim "
             "report with --force.")] = None,
    force: ForceOption = False,
    store: StoreOption = None,
) -> None:
    """Write the HTML report (charts embedded, plus PNG and CSV files) of a stored run,
    or of a paired comparison of stored runs."""
    from scsim.extras import require
    from scsim.fsutil import check_output_folder

    require("report", what="scsim report")
    from scsim.report import report

    if out is not None:
        check_output_folder(out, force=force, kind="report")
    if len(runs) > 1 and len(runs) % 2:
        raise ScsimError(f"give one run or pairs of runs (A B, A B...), not {len(runs)}")
    st = open_runs(store)
    # SIGTERM stops it as Ctrl-C does: the report's temporary folder is removed
    with err.status("Reading the runs…") as status, stoppable():
        results = [st.load(ref) for ref in runs]
        status.update(f"Drawing the charts of {counted(len(results), 'run')}…")
        path = report(results, out, store=st, force=force)
    console.print(f"report written to [bold]{path}[/bold]", soft_wrap=True)


def _nearest_scenario(name: str, stored) -> str:
    """A hint for ``scsim runs --scenario NAME`` that matched no run: the stored scenario
    whose name is nearest (" (did you mean 'national-800'?)"), or '' when none is near or
    NAME is one (its runs did not match ``--status``)."""
    import difflib

    names = sorted(set(stored))
    if name in names:
        return ""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f" (did you mean {escape(close[0])!r}?)" if close else ""


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
