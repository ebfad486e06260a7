"""``scsim check``: verify every stored run against its recorded checksums (like
``git fsck``), and with ``--repair`` remove damaged runs or run them again, or make a lost
catalogue again from the runs' folders (``--repair catalogue``).

Registered on the main Typer app when ``scsim.cli`` imports the modules of its package.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from scsim.cli.app import StoreOption, app, console
from scsim.errors import ScsimError


@app.command("check")
def check_command(
    repair: Annotated[str | None, typer.Option(
        metavar="remove|rerun|catalogue",
        help="What to do with damaged runs: remove them, or run them again from their "
             "resolved scenario and seed (kept only if the result is byte for byte the "
             "same as recorded); catalogue: make a store's lost catalogue again from its "
             "runs' own files.")] = None,
    store: StoreOption = None,
) -> None:
    """Verify every finished run's files against the sizes and checksums recorded when it
    landed; damaged runs are marked `damaged` (queries skip them). Exit code 1 while any
    damaged run remains."""
    from scsim.store import open_store

    if repair is not None and repair not in ("remove", "rerun", "catalogue"):
        raise ScsimError(f"--repair {repair}: expected remove, rerun or catalogue")
    if repair == "catalogue":
        _rebuild(store)
        repair = None
    st = open_store(store, create=False)

    def report(item) -> None:
        if item.state == "ok":
            return
        action = f" → {item.action}" if item.action else ""
        console.print(f"[red]damaged[/red] {item.run_id}: "
                      f"{escape('; '.join(item.problems))}{escape(action)}", soft_wrap=True)

    items = st.check(repair, on_run=report)
    damaged = [i for i in items if i.state == "damaged"]
    left = [i for i in damaged if i.action not in ("removed", "re-run")]
    console.print(f"checked {len(items)} run{'s' if len(items) != 1 else ''} in {st.root}: "
                  f"{len(items) - len(damaged)} intact, {len(damaged)} damaged"
                  + (f", {len(damaged) - len(left)} repaired" if repair else ""),
                  soft_wrap=True)
    if left:
        if repair is None:
            console.print("[dim]scsim check --repair rerun runs them again; --repair remove "
                          "removes them[/dim]")
        raise typer.Exit(1)


def _rebuild(store) -> None:
    """``--repair catalogue``: the lost catalogue made again, and what it holds, in words."""
    from scsim.outputs.words import counted
    from scsim.store import default_store_path
    from scsim.store.rebuild import rebuild_catalogue

    rebuilt = rebuild_catalogue(store if store is not None else default_store_path())
    resumable = counted(len(rebuilt.resumable), "run with a checkpoint",
                        "runs with a checkpoint")
    console.print(f"rebuilt the catalogue from {counted(len(rebuilt.done), 'finished run')} "
                  f"and {resumable} (what sweep each run was in and the comparisons drawn "
                  "were in the lost one)", soft_wrap=True)
    for run_id in rebuilt.resumable:
        console.print(f"  still running {run_id}: it lands when its process ends"
                      if run_id in rebuilt.running else
                      f"  interrupted {run_id}: scsim resume {run_id} continues it",
                      soft_wrap=True)
    for run_id in rebuilt.damaged:
        console.print(f"  [red]damaged[/red] {run_id}: a file cannot be read (scsim check "
                      "--repair rerun runs it again)", soft_wrap=True)
    for where, why in rebuilt.left_out:
        console.print(f"[yellow]left out[/yellow] {escape(where)}: {escape(why)}",
                      soft_wrap=True)
