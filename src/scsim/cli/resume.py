"""The ``scsim resume`` command: continue a run that stopped from its newest checkpoint.

Registered on the main Typer app when ``scsim.cli`` imports the modules of its package."""

from __future__ import annotations

from typing import Annotated

import typer

from scsim.cli.app import QuietOption, StoreOption, ThreadsOption, app, console, open_runs
from scsim.cli.progress import day_progress, stoppable
from scsim.cli.render import print_profile, print_run


@app.command("resume")
def resume(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix) of a run that "
                                            "stopped after writing a checkpoint.")],
    threads: ThreadsOption = None,
    checkpoint_every: Annotated[int | None, typer.Option(
        "--checkpoint-every", metavar="DAYS", min=1,
        help="Days between checkpoints from here on (default: as the run was started).")]
    = None,
    profile: Annotated[bool, typer.Option(help="Print wall time per phase.")] = False,
    quiet: QuietOption = False,
    store: StoreOption = None,
) -> None:
    """Continue a stopped run (killed, interrupted, failed) from its newest checkpoint, with
    the same run id; its outputs are bit for bit those of a run that never stopped. Runs
    keep checkpoints when started with --checkpoint-every."""

    st = open_runs(store)
    rec, manifest = st.checkpoint(run)  # refuses with one line when it cannot resume
    day, days = int(manifest["day"]), int(manifest["days"])
    progress, advance = day_progress(
        days, f"{manifest['scenario_name']} · {manifest['agents']:,} agents · resumed at day "
        f"{day}", quiet)
    progress.update(progress.task_ids[0], completed=day)
    with progress, stoppable():
        res = st.resume(rec.id, advance, threads=threads, checkpoint_every=checkpoint_every)
    print_run(res)
    if profile:
        print_profile(res.info)
    console.print(f"run [bold]{res.run_id}[/bold] resumed at day {day} and kept in {st.root}",
                  soft_wrap=True)
