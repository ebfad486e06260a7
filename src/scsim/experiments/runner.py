"""How an experiment's jobs run: on Dask (a client of a local cluster or of a scheduler,
``DaskRunner``), or here, in this process, one after another (``Sequential``:
``workers=0``, ``--workers 0``; no cluster to start, as EMA Workbench's
SequentialEvaluator). Both take jobs with ``submit`` and give them back with
``as_completed``, so a sweep (``sweep.execute``) and a batch of runs (``tasks.run_batch``)
land, record failures and hear of interruptions one way, wherever their jobs run."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

RETRIES = 1  # a job that raises is run once more before it counts as failed
NO_WORKERS_AFTER = 10.0
"""Seconds a Dask scheduler may have no worker, with runs still to do, before the
experiment says that it waits for one (it waited without a word: a frozen progress bar)."""
POLL = 0.05  # seconds between looks for finished jobs while none is ready


def warn(line: str) -> None:
    """Tell ``line`` from Python (a notebook): as a warning."""
    warnings.warn(line, stacklevel=4)


def failure_words(exc: BaseException) -> str:
    """A failed job's error as it is told and recorded: its type and message; a job whose
    worker process died each time Dask ran it (``KilledWorker``) in plain words: Dask's
    paragraph gave the task's internal key and sent the user to a web page, not saying
    what to look for."""
    if type(exc).__name__ != "KilledWorker":
        return f"{type(exc).__name__}: {exc}"
    tries = getattr(exc, "allowed_failures", None)
    last = getattr(getattr(exc, "last_worker", None), "address", None)
    times = ("each time" if not isinstance(tries, int) else "the one time" if tries == 0
             else f"each of the {tries + 1} times")
    return (f"KilledWorker: the worker process it was given to died, {times} Dask gave "
            "it to one"
            + (f" (the last: {last})" if last else "")
            + "; a worker dies when it is killed or runs out of memory: its log says which")


class NoWorkers:
    """Watches a Dask client's scheduler for workers, while an experiment waits for its
    jobs, and tells once (``notice``, a function of one line) when it has had none for
    ``after`` seconds (``NO_WORKERS_AFTER``): its only worker died (killed, out of memory)
    or none was started, and the runs wait until one joins. Told again after workers came
    and went again. It reads the count of workers that Dask's client keeps (its cached
    scheduler identity, refreshed every 2 s: ``distributed.client.scheduler-info-interval``),
    so a look never waits on the network; when that count is unknown, nothing is told."""

    def __init__(self, client, notice: Callable[[str], None], after: float | None = None
                 ) -> None:
        self.client, self.notice = client, notice
        self.after = NO_WORKERS_AFTER if after is None else after
        self.since: float | None = None
        self.told = False

    def workers(self) -> int | None:
        """Workers the scheduler had at Dask's last look; None if not known."""
        count = (getattr(self.client, "_scheduler_identity", None) or {}).get("n_workers")
        return count if isinstance(count, int) else None

    def look(self) -> None:
        if self.workers() != 0:
            self.since, self.told = None, False
            return
        now = time.monotonic()
        if self.since is None:
            self.since = now
        if not self.told and now - self.since >= self.after:
            self.told = True
            address = getattr(self.client.scheduler, "address", None) or "its address"
            self.notice(f"the Dask scheduler at {address} has had no worker for "
                        f"{self.after:.0f} s: the runs wait until one joins (start one: "
                        f"`dask worker {address}`), or stop with Ctrl-C")


class DaskRunner:
    """Jobs as tasks of a Dask client's cluster, given back as they finish."""

    threads = 1
    """Threads a simulation takes: each worker process runs one task at a time, on one."""

    def __init__(self, client, notice: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.notice = notice or warn  # how to tell that the scheduler has no worker

    def submit(self, fn: Callable[..., Any], *args: Any, key: str | None = None):
        named = {"key": key} if key is not None else {}
        return self.client.submit(fn, *args, pure=False, retries=RETRIES, **named)

    def as_completed(self, futures: list) -> Iterator:
        """The jobs as they finish; while none is ready, a scheduler left without workers
        is told (``NoWorkers``)."""
        from distributed import as_completed

        pending = as_completed(futures)
        watch = NoWorkers(self.client, self.notice)
        while not pending.is_empty():
            if pending.has_ready():
                yield next(pending)
            else:
                watch.look()
                time.sleep(POLL)

    def error(self, future) -> BaseException | None:
        """What the job raised (its last try), or None when it did not fail."""
        return future.exception() if future.status == "error" else None

    def result(self, future, then: str) -> Any:
        """The job's result; a ScsimError saying what to do ``then`` when the scheduler
        was lost (``cluster.result_of``)."""
        from scsim.experiments.cluster import result_of

        return result_of(future, self.client, then)

    def cancel(self, futures: Iterable) -> None:
        with suppress(Exception):  # (a lost scheduler cannot be told)
            self.client.cancel(list(futures))


class Job:
    """A job of ``Sequential``: run when ``as_completed`` reaches it, tried again once if
    it raises (as a Dask task is). A Ctrl-C or SIGTERM (KeyboardInterrupt, Terminated, or
    an error a library made of one, ``interrupts.stop_of``) is not a failure: it stops the
    experiment."""

    def __init__(self, fn: Callable[..., Any], args: tuple, key: str | None) -> None:
        self.fn, self.args, self.key = fn, args, key
        self.status = "pending"
        self._value: Any = None
        self._error: Exception | None = None

    def run(self) -> None:
        from scsim.interrupts import stop_of

        for _ in range(RETRIES + 1):
            try:
                self._value = self.fn(*self.args)
            except Exception as exc:  # (not a KeyboardInterrupt: that stops it all)
                stop = stop_of(exc)  # a stop a library turned into an error of its own
                if stop is not None:
                    raise stop from exc
                self._error = _without_frames(exc)
                continue
            self.status, self._error = "finished", None
            break
        else:
            self.status = "error"
        self.fn, self.args = None, ()

    def done(self) -> bool:
        return self.status != "pending"

    def exception(self) -> Exception | None:
        return self._error

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value

    def release(self) -> None:
        self._value = None


def _without_frames(exc: Exception) -> Exception:
    """``exc`` and the exceptions chained to it without their tracebacks: a failed run's
    frames hold its whole simulation, which a sweep of many failed cells run here would
    keep in memory to its end (a Dask task's error comes back without them too)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__traceback__ = None
        link = link.__cause__ or link.__context__
    return exc


class Sequential:
    """Jobs run here, in this process, one after another, in the order submitted: each
    when ``as_completed`` reaches it, so a stop leaves the jobs after it unrun."""

    threads = None
    """Threads a simulation takes: as many as it can use (``core.engine.day_threads``),
    since nothing else runs beside it; results are the same bits with any number."""

    def submit(self, fn: Callable[..., Any], *args: Any, key: str | None = None) -> Job:
        return Job(fn, args, key)

    def as_completed(self, jobs: list[Job]) -> Iterator[Job]:
        for job in jobs:
            job.run()
            yield job

    def error(self, job: Job) -> BaseException | None:
        return job.exception() if job.status == "error" else None

    def result(self, job: Job, then: str) -> Any:
        return job.result()

    def cancel(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            job.release()


Runner = DaskRunner | Sequential


def runner_of(client) -> Runner:
    """``client`` as a runner: a runner as it is, a Dask client wrapped."""
    return client if isinstance(client, DaskRunner | Sequential) else DaskRunner(client)


@contextmanager
def runner(scheduler: str | None = None, workers: int | None = None,
           notice: Callable[[str], None] | None = None) -> Iterator[Runner]:
    """Where an experiment's jobs run: ``workers`` 0, here, in this process, one after
    another, no cluster (``scheduler``, or SCSIM_SCHEDULER, is refused beside it, as any
    ``workers`` is); otherwise on Dask (``cluster.dask_client``: the scheduler at
    ``scheduler``, or a local cluster of ``workers`` processes, None: one per core).
    ``notice``: how a Dask runner tells a line while it waits (a scheduler with no
    worker); default, a warning."""
    from scsim.experiments import cluster

    if workers == 0 and not isinstance(workers, bool):
        cluster.cluster_address(scheduler, workers)  # (a scheduler beside it is refused)
        yield Sequential()
        return
    with cluster.dask_client(scheduler, workers) as client:
        yield DaskRunner(client, notice)
