"""Progress bars, on stderr (stdout carries results only): over simulated days, and over
runs on a Dask cluster. Each day's update also runs pending signal handlers, so that Ctrl-C
and SIGTERM stop a run within a day (see ``scsim.interrupts``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scsim.cli.app import err
from scsim.errors import Terminated
from scsim.interrupts import check_signals

if TYPE_CHECKING:
    from rich.progress import Progress


def _bar(unit: str, quiet: bool) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn(unit), TimeElapsedColumn(), console=err, disable=quiet,
                    transient=False)


def day_progress(total_days: int, description: str, quiet: bool = False
                 ) -> tuple[Progress, Callable[[int], None]]:
    """A Rich progress bar over simulated days (of one run or of several: each call of the
    per-day callback it returns advances it by one day). Until the first day is done it
    says that the kernels are loading."""
    progress = _bar("days", quiet)
    task = progress.add_task(f"{description} · loading kernels", total=total_days)

    def advance(day: int) -> None:
        check_signals()
        progress.update(task, advance=1, description=description)

    return progress, advance


@contextmanager
def compile_notice(quiet: bool = False) -> Iterator[None]:
    """Say on stderr, when the block first compiles a kernel, that it happens once and
    about how long it takes (a first run would otherwise seem stuck)."""
    from scsim.core.compiling import on_first_compile

    def announce(seconds: int) -> None:
        if not quiet:
            err.print(f"compiling the kernels once, about {seconds} s "
                      "(later runs load them from numba's cache)")

    with on_first_compile(announce):
        yield


class TaskBar:
    """A progress bar over runs on the cluster."""

    def __init__(self, progress: Progress, description: str):
        self.progress = progress
        self.task = progress.add_task(description, total=None)

    def set_total(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self) -> None:
        self.progress.advance(self.task)


@contextmanager
def task_progress(description: str, quiet: bool, unit: str = "runs") -> Iterator[TaskBar]:
    """A TaskBar shown while the block runs, counting ``unit`` (runs, or trials)."""
    progress = _bar(unit, quiet)
    with progress:
        yield TaskBar(progress, description)


@contextmanager
def stoppable() -> Iterator[None]:
    """Runs stopped by Ctrl-C or SIGTERM (which ``scsim.cli.app.main`` turns into
    Terminated for the whole command): what the run store says of the stopped run (the
    exception's notes: its id, how to resume it) is printed before the command exits with
    "interrupted" or "terminated"."""
    try:
        yield
    except (KeyboardInterrupt, Terminated) as exc:
        for note in getattr(exc, "__notes__", ()):
            err.print(note, soft_wrap=True)
        raise
