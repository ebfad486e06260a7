"""The ``scsim resume`` command: continue a run that stopped from its newest checkpoint, and
write what the command that started it asked for (``--out``, ``--report``).

Registered on the main Typer app when ``scsim.cli`` imports the modules of its package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scsim.cli.app import (
    ForceOption,
    QuietOption,
    StoreOption,
    ThreadsOption,
    app,
    console,
    open_runs,
)
from scsim.cli.progress import day_progress, stoppable
from scsim.cli.render import print_profile, print_run
from scsim.cli.run import checkpoints_told, disk_warning, write_asked
from scsim.errors import ScsimError


@app.command("resume")
def resume(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix) of a run that "
                                            "stopped after writing a checkpoint.")],
    threads: ThreadsOption = None,
    checkpoint_every: Annotated[int | None, typer.Option(
        "--checkpoint-every", metavar="DAYS", min=1,
        help="Days between checkpoints from here on (default: as the run was started).")]
    = None,
    out: Annotated[Path | None, typer.Option(
        help="Save the results to this folder instead of the one the run was started with "
             "(new or empty; an earlier scsim output only with --force).")] = None,
    force: ForceOption = False,
    report: Annotated[bool | None, typer.Option(
        "--report/--no-report", help="Write the HTML report, or not (default: as the run "
        "was started).")] = None,
    profile: Annotated[bool, typer.Option(help="Print wall time per phase.")] = False,
    quiet: QuietOption = False,
    store: StoreOption = None,
) -> None:
    """Continue a stopped run (killed, interrupted, failed) from its newest checkpoint, with
    the same run id; its outputs are bit for bit those of a run that never stopped, and
    the folder (--out) and report (--report) the run was started with are written as
    `scsim run` would have. Runs keep checkpoints when started with --checkpoint-every."""
    from scsim.core.checkpoint import NOTHING_ASKED, REQUEST, files_bytes, requested
    from scsim.fsutil import check_output_folder

    st = open_runs(store, to="resume its runs")
    rec, manifest = st.checkpoint(run)  # refuses with one line when it cannot resume
    recorded = manifest.get(REQUEST)
    request = dict(recorded or NOTHING_ASKED)
    if out is not None:
        request.update(out=str(out.expanduser().resolve()), force=force)
    if report is not None:
        request["report"] = report
    if request["report"]:
        from scsim.extras import require

        require("report", what="scsim resume with --report")
    if request["out"] is not None:
        try:
            check_output_folder(request["out"], force=request["force"],
                                kind="saved run")
        except ScsimError as exc:
            if out is not None:
                raise
            raise ScsimError(f"{exc} (run {rec.id} was started with --out "
                             f"{request['out']}: give resume --out DIR to save it "
                             "elsewhere)") from None
    day, days = int(manifest["day"]), int(manifest["days"])
    every = checkpoint_every or manifest.get("checkpoint_every")
    if every:  # as `scsim run` warns: a full disk would stop it again (each checkpoint of
        # a run is as large as the one it goes on from)
        disk_warning(st, every, day, days, lambda: files_bytes(Path(manifest["path"])),
                     resumed=True)
    progress, advance = day_progress(
        days, f"{manifest['scenario_name']} · {manifest['agents']:,} agents · resumed at day "
        f"{day}", quiet)
    progress.update(progress.task_ids[0], completed=day)
    with progress, stoppable(), requested(**request):  # recorded by further checkpoints
        res = st.resume(rec.id, advance, threads=threads, checkpoint_every=checkpoint_every)
    print_run(res)
    if profile:
        print_profile(res.info)
    console.print(f"run [bold]{res.run_id}[/bold] resumed at day {day} and kept in {st.root}",
                  soft_wrap=True)
    checkpoints_told(st, console)
    if recorded is None and out is None and report is None:
        console.print(f"note: the checkpoint of run {res.run_id} does not record whether it "
                      "was started with --out or --report (an earlier scsim wrote it), so "
                      f"neither was written: `scsim report {res.run_id}` draws the report, "
                      f"and its results are in {st.runs_dir / res.run_id}", soft_wrap=True)
    write_asked(res, st, request["out"], request["force"], request["report"], console)
