"""The dashboard's job queue (in the web server's process): one worker process
(``dashboard.worker``), jobs served first come first served, at most one job per browser
session at a time, cancel, and what each job has shown so far (progress and live rows).

A job is a mapping ``kind`` ("run" or "compare"), the resolved scenario(s) as mappings,
``seed`` (and ``reps``); the web layer validates it before it gets here."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from scsim.dashboard.worker import serve
from scsim.errors import ScsimError
from scsim.outputs.words import counted

POLL = 0.5  # seconds between checks that the worker is alive
ORPHAN_AFTER = 5.0  # seconds without a word from the page of a job not over (a page that
# watches its job asks at least every second): its tab was closed, and another page of the
# same browser takes the job over (sees it, can cancel it) instead of queueing behind it
STOPPED = "the worker process stopped (exit code {}); restart scsim dashboard"
STOP_WAIT = 5.0  # seconds the worker has to end when the dashboard stops


ACTIVE = ("queued", "running", "saving")  # a job that is not over


@dataclass
class Job:
    """One job and what is known of it: ``status`` queued, running, saving (a single run
    whose days are done, shown on the page while it is written to the store), done,
    failed or cancelled; ``done``/``total`` simulated days; ``live``: the rows of the run
    under way (``columns``, ``rows``); ``runs``: the run ids (the stored ones when done);
    ``seconds``: the seconds the worker spent in each phase of the job (when done);
    ``version``: changes whenever any of these does (the page waits for a change)."""

    id: int
    session: str
    spec: dict
    status: str = "queued"
    done: int = 0
    total: int = 0
    columns: list[str] = field(default_factory=list)
    rows: list[list[float]] = field(default_factory=list)
    runs: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    side: str = ""  # the run under way: "runs 1", "a 2"...
    seconds: dict[str, float] = field(default_factory=dict)
    version: int = 0
    shown: dict | None = None  # while saving: what the page draws of the run
    heard: float = field(default_factory=time.monotonic)  # when its page last asked of it

    def view(self) -> dict[str, Any]:
        """What the page shows of the job (JSON); ``about``: what it asks (the scenario's
        name, or "A vs B" of a comparison of two scenarios; agents, days, seed and,
        for a comparison, pairs), for the page to name the run under way."""
        sc = self.spec.get("scenario") or self.spec.get("b") or {}
        name = sc.get("name")
        other = (self.spec.get("a") or {}).get("name")
        if other and other != name:  # two scenarios: "no-system vs national-800"
            name = f"{other} vs {name}"
        about = {"scenario": name, "agents": (sc.get("population") or {}).get(
                 "agents"), "days": sc.get("days"), "seed": str(self.spec.get("seed")),
                 "reps": self.spec.get("reps", 1)}
        return {"id": self.id, "kind": self.spec["kind"], "status": self.status,
                "done": self.done, "total": self.total, "columns": self.columns,
                "rows": self.rows, "runs": self.runs, "error": self.error,
                "side": self.side, "seconds": self.seconds, "version": self.version,
                "about": about}


class Jobs:
    """The worker and its queue. ``start()`` launches the worker (it compiles the kernels:
    ``state`` is "compiling" until it says "ready"); ``submit``, ``cancel`` and ``latest``
    are called from the web server's threads."""

    def __init__(self, store_path: str):
        self.store_path = store_path
        self.state = "starting"
        self.compile_seconds: float | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._versions = itertools.count(1)
        self._waiting: deque[Job] = deque()
        self._jobs: dict[int, Job] = {}
        self._running: Job | None = None
        self._ctx = mp.get_context("spawn")  # a fresh interpreter: no threads forked
        self._cancel = self._ctx.Value("q", 0)
        self._process: Any = None

    def start(self) -> None:
        self._to_worker = self._ctx.Queue()
        self._events = self._ctx.Queue()
        self._process = self._ctx.Process(
            target=serve, args=(self.store_path, self._to_worker, self._events,
                                self._cancel), daemon=True, name="scsim-dashboard-worker")
        self._process.start()
        threading.Thread(target=self._listen, daemon=True, name="scsim-events").start()

    def stop(self) -> None:
        """Stop the worker: a run under way is cancelled (recorded as interrupted), then
        the worker is asked to end, and killed if it has not within ``STOP_WAIT``."""
        if self._process is None or not self._process.is_alive():
            return
        with self._lock:
            if self._running is not None:
                self._cancel.value = self._running.id
            self._waiting.clear()
        self._to_worker.put(None)
        self._process.join(STOP_WAIT)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_WAIT)

    def submit(self, session: str, spec: dict) -> Job:
        """Queue a job for ``session``; refused while that session has one queued or
        running."""
        with self._lock:
            if self.state == "stopped":
                raise ScsimError(STOPPED.format(self._process.exitcode))
            mine = self._of(session)
            if mine is not None and mine.status in ACTIVE:
                raise ScsimError("one run at a time: this page already has a run "
                                 f"{mine.status}; wait for it or cancel it")
            job = Job(next(self._ids), session, spec, version=next(self._versions))
            self._jobs[job.id] = job
            self._waiting.append(job)
            self._dispatch()
            return job

    def cancel(self, session: str) -> Job | None:
        """Cancel the session's queued or running job (None if it has none)."""
        with self._lock:
            job = self._of(session)
            if job is None or job.status not in ("queued", "running"):
                return None
            if job.status == "queued":
                self._waiting.remove(job)
                job.status = "cancelled"
                self._changed(job)
            else:
                self._cancel.value = job.id
            return job

    def latest(self, session: str) -> dict[str, Any] | None:
        """The session's newest job as the page shows it, with its place in the queue
        (``ahead``, and in words, ``waiting``)."""
        with self._lock:
            job = self._of(session)
            if job is None:
                return None
            out = job.view()
            if job.status == "queued":
                ahead = [j.id for j in self._waiting].index(job.id) + (
                    self._running is not None)
                out["ahead"] = ahead
                out["waiting"] = f"waiting: {counted(ahead, 'question')} ahead of this one"
            return out

    def version(self, session: str) -> int | None:
        """The ``version`` of the session's newest job (None if it has none): the page
        asks for the job again when it changes."""
        with self._lock:
            job = self._of(session)
            return None if job is None else job.version

    def shown(self, run_id: str) -> dict | None:
        """What the page draws of run ``run_id`` while it is being saved (None otherwise:
        then the run store has it)."""
        with self._lock:
            for job in self._jobs.values():
                if job.shown is not None and job.shown["id"] == run_id:
                    return job.shown
            return None

    def _changed(self, job: Job) -> None:
        job.version = next(self._versions)

    def _of(self, session: str) -> Job | None:
        """The page's newest job; when that is over (or it has none), a job not over of
        another page of the same browser that has not asked of it for ``ORPHAN_AFTER``
        seconds (its tab was closed) becomes this page's."""
        now = time.monotonic()
        mine = [j for j in self._jobs.values() if j.session == session]
        if not mine or mine[-1].status not in ACTIVE:
            browser = session.split("/")[0] + "/"
            orphans = [j for j in self._jobs.values() if j.status in ACTIVE
                       and j.session.startswith(browser) and now - j.heard > ORPHAN_AFTER]
            if orphans:
                orphans[-1].session = session
                self._changed(orphans[-1])
                mine = [orphans[-1]]
        if not mine:
            return None
        mine[-1].heard = now
        return mine[-1]

    def _dispatch(self) -> None:
        """Send the next waiting job to the worker if it is free (with the lock held)."""
        if self._running is None and self._waiting and self.state == "ready":
            job = self._running = self._waiting.popleft()
            job.status = "running"
            self._changed(job)
            self._to_worker.put({"id": job.id, **job.spec})

    def _listen(self) -> None:
        while True:
            try:
                event = self._events.get(timeout=POLL)
            except queue.Empty:
                if not self._process.is_alive():
                    self._worker_died()
                    return
                continue
            with self._lock:
                self._handle(event)

    def _handle(self, event: dict) -> None:
        kind = event["type"]
        if kind == "compiling":
            self.state = "compiling"
            return
        if kind == "ready":
            self.state, self.compile_seconds = "ready", event["seconds"]
            self._dispatch()
            return
        job = self._jobs[event["id"]]
        self._changed(job)
        if kind == "progress":
            job.done, job.total = event["done"], event["total"]
            run = f"{event['side']} {event['rep'] + 1}"
            if job.side != run:  # a new run of the job: its chart starts again
                job.columns, job.rows, job.side = event["columns"], [], run
            job.rows.extend(event["rows"])
            return
        if kind == "shown":
            job.status, job.runs, job.shown = "saving", {"runs": [event["run"]]}, event["view"]
            return
        job.status = {"done": "done", "cancelled": "cancelled", "failed": "failed"}[kind]
        job.runs = event.get("runs", {})
        job.seconds = event.get("seconds", {})
        job.error = event.get("error")
        job.shown = None  # the store has the run now (or it failed: no run to show)
        self._running = None
        self._dispatch()

    def _worker_died(self) -> None:
        """The worker is gone (killed, out of memory): its job and the queue fail with one
        line, and new jobs are refused."""
        with self._lock:
            self.state = "stopped"
            for job in [self._running, *self._waiting]:
                if job is not None:
                    job.status, job.error = "failed", STOPPED.format(self._process.exitcode)
                    job.shown = None
                    self._changed(job)
            self._running = None
            self._waiting.clear()
