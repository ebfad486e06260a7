"""How an experiment's jobs run: on Dask (a client of a local cluster or of a scheduler,
``DaskRunner``), or here, in this process, one after another (``Sequential``:
``workers=0``, ``--workers 0``; no cluster to start, as EMA Workbench's
SequentialEvaluator). Both take jobs with ``submit`` and give them back with
``as_completed``, so a sweep (``sweep.execute``) and a batch of runs (``tasks.run_batch``)
land, record failures and hear of interruptions one way, wherever their jobs run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

RETRIES = 1  # a job that raises is run once more before it counts as failed


class DaskRunner:
    """Jobs as tasks of a Dask client's cluster, given back as they finish."""

    threads = 1
    """Threads a simulation takes: each worker process runs one task at a time, on one."""

    def __init__(self, client) -> None:
        self.client = client

    def submit(self, fn: Callable[..., Any], *args: Any, key: str | None = None):
        named = {"key": key} if key is not None else {}
        return self.client.submit(fn, *args, pure=False, retries=RETRIES, **named)

    def as_completed(self, futures: list) -> Iterator:
        from distributed import as_completed

        return iter(as_completed(futures))

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
def runner(scheduler: str | None = None, workers: int | None = None) -> Iterator[Runner]:
    """Where an experiment's jobs run: ``workers`` 0, here, in this process, one after
    another, no cluster (``scheduler``, or SCSIM_SCHEDULER, is refused beside it, as any
    ``workers`` is); otherwise on Dask (``cluster.dask_client``: the scheduler at
    ``scheduler``, or a local cluster of ``workers`` processes, None: one per core)."""
    from scsim.experiments import cluster

    if workers == 0 and not isinstance(workers, bool):
        cluster.cluster_address(scheduler, workers)  # (a scheduler beside it is refused)
        yield Sequential()
        return
    with cluster.dask_client(scheduler, workers) as client:
        yield DaskRunner(client)
