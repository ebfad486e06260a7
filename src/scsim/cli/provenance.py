"""``scsim explain`` (an agent's case file, or the wrongful listings with their causes) and
``scsim sources`` (where the points came from) for a stored run."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from scsim.cli.app import DashedArguments, StoreOption, app, console, open_runs
from scsim.cli.render import frame_table, whole_numbers
from scsim.errors import ScsimError

RunArgument = Annotated[str, typer.Argument(help="Run id (or a unique prefix, or 'last').")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the table as JSON lines.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print the table as CSV.")]


TRACED_HEADERS = {"from_day": "case file from day"}
"""The plain headers of the table ``scsim explain RUN`` prints where a column's name alone
says too little ("from day": from when what?); the others read with spaces for
underscores."""
SOURCES_HEADERS = {"clean_points": "error-free points", "per_agent": "points per agent"}
"""The plain headers of the table ``scsim sources`` prints for its columns named for
scripts (which --csv and --json keep)."""


def _print_frame(df, as_json: bool, as_csv: bool) -> bool:
    """Print ``df`` for scripts (JSON lines or CSV) if asked; whether it did."""
    if as_json and as_csv:
        raise ScsimError("--json and --csv: choose one")
    if as_json:
        sys.stdout.write(whole_numbers(df).to_json(orient="records", lines=True))
        sys.stdout.write("\n")
    elif as_csv:
        whole_numbers(df).to_csv(sys.stdout, index=False)
    return as_json or as_csv


@app.command(cls=DashedArguments)
def explain(
    run: RunArgument,
    agent: Annotated[int | None, typer.Argument(
        help="The agent whose case file to print (a number from 0).")]
    = None,
    wrongful: Annotated[int | None, typer.Option(
        metavar="K", min=1, help="Instead: the first K wrongful listings, each with its "
        "cause and who was really seen or reported falsely.")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    store: StoreOption = None,
) -> None:
    """Why was this agent listed? Its case file as a dated story (traced agents: `scsim run
    --trace N / --trace-ids / --trace-wrongful / --trace-listed`), or its points by
    source. Without an
    AGENT: the agents that have a case file."""
    from scsim.outputs.casefile import wrongful_stories

    if agent is not None and wrongful is not None:
        raise ScsimError("give an AGENT or --wrongful K, not both")
    res = open_runs(store).load(run)
    if agent is None and wrongful is None:
        _print_traced(res, as_json, as_csv)
        return
    if wrongful is not None:
        if _print_frame(res.wrongful.head(wrongful), as_json, as_csv):
            return
        lines = wrongful_stories(res, wrongful)
        console.print("\n".join(lines) if lines else "no wrongful listings in this run",
                      soft_wrap=True, markup=False)
        return
    case = res.explain(agent)
    if not _print_frame(case.frame, as_json, as_csv):
        console.print(case.text, soft_wrap=True, markup=False)


def _print_traced(res, as_json: bool, as_csv: bool) -> None:
    """The agents of ``res`` with a case file, and how to read one."""
    table = res.traced
    if _print_frame(table, as_json, as_csv):
        return
    if not len(table) and not res.names.per_agent_sources:  # tracing needs the ledger
        console.print(f"No agent of run {res.run_id} has a case file: it kept no points by "
                      "source per agent (metrics.per_agent_sources: false), which case files "
                      "need. Run it again without that setting and with --trace N, or see "
                      f"the points by source of all agents together: scsim sources "
                      f"{res.run_id}.", soft_wrap=True, markup=False)
        return
    if not len(table):
        console.print(f"No agent of run {res.run_id} has a case file: run it again with "
                      "--trace N (N agents at random), --trace-ids A,B,..., --trace-listed K "
                      "(the first K listed) or --trace-wrongful (everyone wrongfully "
                      "listed). Any agent's points by "
                      f"source: scsim explain {res.run_id} AGENT; the wrongful listings and "
                      f"their causes: scsim explain {res.run_id} --wrongful K.",
                      soft_wrap=True, markup=False)
        return
    console.print(frame_table(table.rename(columns=lambda c: TRACED_HEADERS.get(
                                  c, c.replace("_", " "))),
                              title=f"agents with a case file, run {res.run_id} "
                              "(wrongfully listed first, then the others ever listed, then "
                              "the rest)"))
    console.print(f"scsim explain {res.run_id} AGENT tells one as a dated story.",
                  soft_wrap=True, markup=False)


@app.command()
def sources(
    run: RunArgument,
    daily: Annotated[bool, typer.Option(help="One row per day and source.")] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    store: StoreOption = None,
) -> None:
    """Where the points came from: points of all agents by source, in total (or per day),
    for the recorded and the error-free scores, and wrongful listings by cause."""
    res = open_runs(store).load(run)
    table = res.sources
    if not daily:
        table = table.groupby(["source", "label"], sort=False, as_index=False)[
            ["points", "clean_points"]].sum()
        table["per_agent"] = table["points"] / max(len(res.agents), 1)
    if _print_frame(table, as_json, as_csv):
        return
    # for people: the sources in words (the data keep their names in a column of their own)
    shown = table.drop(columns="source").rename(columns={"label": "source"})
    console.print(frame_table(shown.rename(columns=SOURCES_HEADERS),
                              title=f"points by source, run {res.run_id} (negative: taken "
                              "off)"))
    if not daily:
        causes = res.wrongful["cause"].value_counts(sort=False)
        console.print(f"wrongful listings: {int(causes.sum()):,}"
                      + "".join(f"; {c.replace('_', ' ')} {n:,}"
                                for c, n in causes.items() if n), soft_wrap=True)
        _explain_sources(table)


def _explain_sources(table) -> None:
    """Under the totals, what each source that moved points is, for one person, in the
    words of the case files (``core.source.Source.description``); sources a run no longer
    declares are left out."""
    from scsim.core.source import source  # (numba: not loaded for --help)

    moved = table[(table["points"] != 0) | (table["clean_points"] != 0)]
    lines = []
    for name, label in zip(moved["source"], moved["label"], strict=True):
        try:
            lines.append(f"  {label}: {source(name).description}")
        except KeyError:
            continue
    if lines:
        console.print("\n".join(["What each source is, for one person:", *lines]),
                      highlight=False)
