"""``scsim run``: one scenario, its summary, kept in the run store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from scsim.cli.app import (
    AgentsOption,
    CsvOption,
    DaysOption,
    ForceOption,
    FullOption,
    JsonOption,
    NetworkOption,
    QuietOption,
    SeedOption,
    SetOption,
    StoreOption,
    ThreadsOption,
    app,
    console,
    data_format,
    err,
    existing_runs,
    load,
    open_runs,
)
from scsim.cli.progress import compile_notice, day_progress, stoppable
from scsim.cli.render import print_data, print_profile, print_run, run_record
from scsim.errors import ScsimError, Terminated
from scsim.outputs.words import counted


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
    agents: AgentsOption = None,
    days: DaysOption = None,
    seed: SeedOption = 0,
    out: Annotated[Path | None, typer.Option(
        help="Also save the results to this folder (new or empty; an earlier scsim output "
             "only with --force).")] = None,
    force: ForceOption = False,
    set_: SetOption = None,
    network: NetworkOption = None,
    threads: ThreadsOption = None,
    profile: Annotated[bool, typer.Option(help="Print wall time per phase.")] = False,
    split_passes: Annotated[bool, typer.Option(
        "--split-passes", help="Take the day's census of the agents in two passes, timed in "
        "the provenance and metrics phases of --profile, instead of one (the census phase), "
        "and observe's sightings in a pass of their own (the observe phase) instead of in "
        "behave's: the same results, a little slower.")] = False,
    quiet: QuietOption = False,
    store: StoreOption = None,
    report: Annotated[bool, typer.Option(help="Also write the HTML report with its charts.")]
    = False,
    checkpoint_every: Annotated[int | None, typer.Option(
        "--checkpoint-every", metavar="DAYS", min=1, help="Keep a checkpoint in the store "
        "every DAYS days: `scsim resume RUN` continues the run if it stops.")] = None,
    full: FullOption = False,
    json_: JsonOption = False,
    csv: CsvOption = False,
    trace: Annotated[int, typer.Option(
        "--trace", metavar="N", min=0, help="Keep case files (every event, `scsim explain`) "
        "of N agents drawn at random (seeded).")] = 0,
    trace_ids: Annotated[str | None, typer.Option(
        "--trace-ids", metavar="IDS", help="Keep case files of these agents (comma-"
        "separated ids).")] = None,
    trace_wrongful: Annotated[bool, typer.Option(
        "--trace-wrongful", help="Keep case files of everyone wrongfully listed: the "
        "errors against them since day 0, then every event from their first wrongful "
        "listing.")] = False,
    trace_listed: Annotated[int, typer.Option(
        "--trace-listed", metavar="K", min=0, help="Keep case files of the first K agents "
        "listed, rightfully or not (why was this person listed?): their errors and points "
        "until the listing, then every event.")] = 0,
) -> None:
    """Run one scenario, print its headline (--full: the summary table) and keep it in the
    run store; --out also copies the results to a folder."""
    from scsim.fsutil import check_output_folder

    if report:
        from scsim.extras import require

        require("report", what="scsim run --report")
    as_data = data_format(json_, csv)
    sc = load(scenario, agents, days, network, set_)
    traced = trace_request(trace, trace_ids, trace_wrongful, trace_listed)  # before any work
    if checkpoint_every is not None and checkpoint_every >= sc.days:
        err.print(f"note: --checkpoint-every {checkpoint_every:,} keeps no checkpoint in a run "
                  f"of {sc.days:,} days (none is written after the last day), so this run "
                  "cannot be resumed if it stops: give fewer days between checkpoints to "
                  "keep one", soft_wrap=True)
    if out is not None:
        check_output_folder(out, force=force, kind="saved run")
    runs = existing_runs(store)
    with compile_notice(quiet):
        warm_up = (f", then {sc.warmup_days:,} days of warm-up (not reported)"
                   if sc.warmup_days else "")
        with err.status(f"Building {sc.name}: population and network{warm_up}…"):
            from scsim.core.engine import Simulation

            sim = Simulation(sc, seed=seed, threads=threads, trace=traced,
                             split_passes=split_passes)
        sc = sim.scenario
        if trace > sim.state.n:  # (a sample of them all: every agent, no error)
            err.print(f"note: --trace {trace:,}: this run has only "
                      f"{counted(sim.state.n, 'agent')}, so all of them are traced",
                      soft_wrap=True)
        if runs is None:
            runs = open_runs(store, create=True)
        if checkpoint_every is not None:  # a full disk would stop the run: say so first
            from scsim.core.checkpoint import estimated_bytes

            disk_warning(runs, checkpoint_every, sim.state.day, sc.days,
                         lambda: estimated_bytes(sim))
        progress, advance = day_progress(sc.days, f"{sc.name} · {sim.state.n:,} agents",
                                         quiet)
        # the checkpoints record what is to be written once the run is done: `scsim
        # resume` writes it
        from scsim.core.checkpoint import requested

        with progress, stoppable(), requested(out, force, report):
            res = runs.record(sim, advance, base=load(scenario, advise=False),
                              checkpoint_every=checkpoint_every)
    for note in untraced_listings(res, trace_listed, trace_wrongful):
        err.print(f"note: {note}", soft_wrap=True)
    # with --json or --csv, stdout carries the data only and the rest goes to stderr
    say = err if as_data else console

    def shown() -> None:
        if as_data:
            print_data(run_record(res) if as_data == "json" else res.summary(),
                       as_data == "json")
        else:
            print_run(res, full)
        if profile:
            print_profile(res.info, say, split_passes=split_passes)
        say.print(f"run [bold]{res.run_id}[/bold] kept in {runs.root}", soft_wrap=True)
        checkpoints_told(runs, say)

    write_asked(res, runs, out, force, report, say, shown)


def disk_warning(runs, every: int, start: int, days: int, each: Callable[[], int],
                 resumed: bool = False) -> None:
    """Warn, before a run goes on from day ``start`` to ``days``, when the checkpoints it
    writes every ``every`` days into ``runs``' store would take much of the free disk
    there (``checkpoint.disk_note``). ``each()``: the bytes of one checkpoint, asked for
    only when one is due; ``resumed``: the run goes on from a checkpoint there (``scsim
    resume``)."""
    from scsim.core import checkpoint

    count = checkpoint.due(start, days, every)
    if count and (note := checkpoint.disk_note(each(), count, runs.checkpoints_dir,
                                               resumed=resumed)):
        err.print(f"note: {note}", soft_wrap=True)


def checkpoints_told(runs, say) -> None:
    """After a run is done: what its checkpoints took on disk (``Checkpoints.words``),
    now that they are removed."""
    series = runs.last_series
    if series is not None and (words := series.words()):
        say.print(f"[dim]{words}; removed now that the run is done[/dim]",
                  soft_wrap=True)


def write_asked(res, runs, out: Path | str | None, force: bool, report: bool, say,
                shown: Callable[[], None] | None = None) -> None:
    """After a finished run (``scsim run``, ``scsim resume``): ``shown()`` (what is
    printed of it), then its folder ``out`` saved (``force``: over an earlier scsim
    output) and its HTML report drawn (``report``), saying each on ``say``. A Ctrl-C or
    SIGTERM meanwhile says what was not written (a half-written folder is removed; the
    run itself is kept)."""
    pending = ([f"--out {out}"] if out is not None else []) + (["the report"] if report
                                                               else [])
    try:
        with stoppable():  # SIGTERM stops the writing as Ctrl-C does
            if shown is not None:
                shown()
            if out is not None:
                path = res.save(out, force=force)
                pending.remove(f"--out {out}")
                say.print(f"results saved to [bold]{path}[/bold]", soft_wrap=True)
            if report:
                from scsim.report import report as write_report

                with err.status("Drawing the report…"):
                    path = write_report([res], store=runs)
                pending.remove("the report")
                say.print(f"report written to [bold]{path}[/bold]", soft_wrap=True)
    except (KeyboardInterrupt, Terminated):  # a Ctrl-C or SIGTERM once the run had landed
        later = [f"`scsim show {res.run_id} --out {out}`" if p.startswith("--out") else
                 f"`scsim report {res.run_id}`" for p in pending]
        err.print(f"run {res.run_id} had finished and is kept (done)" + (
            f"; {' and '.join(pending)} not written ({' and '.join(later)} write"
            f"{'s' if len(later) == 1 else ''} {'it' if len(later) == 1 else 'them'})"
            if pending else ""), soft_wrap=True)
        raise


def untraced_listings(res, listed: int, wrongful: bool) -> list[str]:
    """What ``--trace-listed K`` and ``--trace-wrongful`` could not trace in the finished
    run ``res``, in words: fewer than K agents listed, nobody listed wrongfully (`scsim
    explain` then listed the random sample alone, and the case files asked for were
    nowhere, without a word)."""
    ever = int(np.count_nonzero(res.agent_columns["times_listed"]))
    notes = []
    if listed > ever:
        notes.append(f"--trace-listed {listed:,}: " + (
            "nobody was listed in this run, so no case file opened at a listing" if not ever
            else f"only {counted(ever, 'agent')} {'was' if ever == 1 else 'were'} listed in "
            f"this run: {'it has a case file' if ever == 1 else 'all of them have case files'}"
        ))
    if wrongful and not np.count_nonzero(res.agent_columns["wrongful_listings"]):
        notes.append("--trace-wrongful: nobody was listed wrongfully in this run, so no "
                     "case file opened at a wrongful listing")
    return notes


def trace_request(sample: int, ids: str | None, wrongful: bool, listed: int):
    """The ``Trace`` of the --trace options (None when none is given)."""
    from scsim.outputs.casefile import Trace

    try:
        chosen = (tuple(int(x) for x in ids.split(",") if x.strip())
                  if ids is not None else ())
    except ValueError:
        raise ScsimError(f"--trace-ids {ids!r}: give agent ids separated by commas, "
                         "e.g. 17,4242") from None
    if ids is not None and not chosen:  # ('' traced nobody, without a word)
        raise ScsimError(f"--trace-ids {ids!r} names no agent: give agent ids separated by "
                         "commas, e.g. --trace-ids 17,4242 (or leave --trace-ids out; "
                         "--trace N traces N agents drawn at random)")
    if not sample and not chosen and not wrongful and not listed:
        return None
    return Trace(sample=sample, ids=chosen, wrongful=wrongful, listed=listed, spelling="cli")
