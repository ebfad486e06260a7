"""The dashboard's worker: one child process that compiles (or loads) the kernels when the
dashboard starts, then runs one job at a time, a run or a paired comparison, into the run
store, while the web server stays responsive.

The parent (``dashboard.jobs``) sends jobs on one queue; the worker answers on another with
events: ``compiling``, ``ready`` (with the seconds it took), and per job ``progress`` (days
done of all, and the new rows of the chart columns of the run under way), for a single
run ``shown`` (what the page draws of it, sent before it is written to the store), then
``done`` (the run ids, and the seconds spent in each phase), ``cancelled`` or ``failed``
(one line). A job is cancelled by writing its number into a shared integer: the worker
checks it after every simulated day and stops the run there (the store marks it
``interrupted``).
"""

from __future__ import annotations

import time
from typing import Any

PROGRESS_EVERY = 0.2  # seconds between progress events of one job
WARM_UP = {"agents": 500, "days": 10}  # a run of each built-in scenario at start-up
TRACED = 20  # agents drawn at random with case files in every run, and as many of the first
# listed (the wrongfully listed too: job_trace)

# The columns streamed while a run goes on (those the live charts draw), when present.
LIVE_COLUMNS = ("day", "listed", "wrongful_listed", "score_p05", "score_p25", "score_p50",
                "score_p75", "score_p95", "fear_mean")


class Cancelled(BaseException):
    """Raised inside a run whose job was cancelled (a BaseException, as Ctrl-C is, so the
    run store records the run as interrupted, not failed)."""


def serve(store_path: str, jobs: Any, events: Any, cancel: Any) -> None:
    """The worker's main function: warm up, then serve ``jobs`` until a ``None``. Ctrl-C
    in the terminal reaches the whole process group: the worker leaves it to the server,
    which cancels the run under way and then ends the worker."""
    import signal

    from scsim.errors import ScsimError

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from scsim.store import open_store

    events.put({"type": "compiling"})
    started = time.perf_counter()
    warm_up()
    import scsim.dashboard.views  # noqa: F401  (scipy: most of a second, not in a job)
    events.put({"type": "ready", "seconds": round(time.perf_counter() - started, 1)})
    store = open_store(store_path)
    while (job := jobs.get()) is not None:
        try:
            run_ids, seconds = run_job(job, store, events, cancel)
        except Cancelled:
            events.put({"type": "cancelled", "id": job["id"]})
        except ScsimError as exc:
            events.put({"type": "failed", "id": job["id"], "error": str(exc)})
        except Exception as exc:  # a bug: say what, the dashboard goes on
            events.put({"type": "failed", "id": job["id"],
                        "error": f"internal error: {type(exc).__name__}: {exc}"})
        else:
            events.put({"type": "done", "id": job["id"], "runs": run_ids,
                        "seconds": seconds})


def job_trace() -> Any:
    """Whom a dashboard run keeps case files of (``casefile.Trace``): ``TRACED`` agents
    drawn at random, the first ``TRACED`` listed (why someone was listed, rightfully or
    not: a random sample seldom holds one) and everyone wrongfully listed."""
    from scsim.outputs.casefile import Trace

    return Trace(sample=TRACED, wrongful=True, listed=TRACED)


def warm_up() -> None:
    """Run every built-in scenario briefly, with case files as the jobs keep them, so
    that its kernels (and the case files' replays) are compiled (or loaded from numba's
    cache) before the first question."""
    from scsim.core.engine import simulate
    from scsim.scenario import builtin_names
    from scsim.scenario.loader import load_unadvised

    for name in builtin_names():
        # (high-control's day-365 step left out: not asked)
        sc = load_unadvised(name, agents=WARM_UP["agents"], days=WARM_UP["days"])
        if sc.network.kind != "file":
            simulate(sc, seed=0, trace=job_trace())


def run_job(job: dict, store: Any, events: Any, cancel: Any
            ) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Run a job (``kind`` "run": ``scenario``; "compare": ``a``, ``b``, ``reps``; both a
    ``seed``) into ``store``; returns the run ids ({"runs": [...]} or {"a": [...],
    "b": [...]}) and the seconds the job spent in each phase (summed over its runs:
    ``Phases``).

    The page of a single run does not wait for the store: as soon as its days are done, a
    ``shown`` event carries what the page draws of it (``views.run_view`` of the Result in
    memory, the same as of the stored run), then the run is written to the store, and only
    then is the job ``done`` (the run listed as kept)."""
    from scsim.core.engine import Simulation
    from scsim.dashboard.views import run_view
    from scsim.scenario.loader import load_unadvised

    phases = Phases()
    trace = job_trace()
    seed, number = int(job["seed"]), job["id"]
    sides = ("runs",) if job["kind"] == "run" else ("a", "b")
    # (a setting that does nothing: the page said so)
    scenarios = {side: load_unadvised(job["scenario"] if side == "runs" else job[side])
                 for side in sides}
    reps = int(job.get("reps", 1))
    total = reps * sum(sc.days for sc in scenarios.values())
    done = 0
    out: dict[str, list[str]] = {side: [] for side in sides}
    for k in range(reps):
        for side in sides:
            sim = Simulation(scenarios[side], seed + k, trace=trace)
            phases.lap("setup")
            names = [c for c in LIVE_COLUMNS if c in sim.recorder.columns]
            columns = [sim.recorder.columns.index(c) for c in names]
            sent, last = 0, 0.0

            def progress(day: int, sim=sim, names=names, columns=columns, side=side,
                         k=k) -> None:
                nonlocal done, sent, last
                if cancel.value == number:
                    raise Cancelled("cancelled in the dashboard")
                done += 1
                now = time.monotonic()
                if now - last >= PROGRESS_EVERY or day == sim.scenario.days - 1:
                    rows = sim.recorder.table[sent:day + 1][:, columns]
                    events.put({"type": "progress", "id": number, "done": done,
                                "total": total, "side": side, "rep": k,
                                "columns": names,
                                "rows": rows.tolist()})
                    sent, last = day + 1, now

            def finished(res: Any, sim=sim) -> None:
                phases.lap("days", sim.elapsed)
                if job["kind"] == "run":
                    events.put({"type": "shown", "id": number, "run": res.run_id,
                                "view": run_view(res)})
                    phases.lap("page data")

            out[side].append(store.record(sim, progress, finished=finished).run_id)
            phases.lap("saving")
    if job["kind"] == "compare":  # kept, so that the run list can show it again
        store.record_comparison(out["a"], out["b"])
    return out, {phase: round(seconds, 3) for phase, seconds in phases.seconds.items()}


class Phases:
    """Seconds spent in each phase of a job, from one mark to the next, summed over the
    job's runs: ``setup`` (the world and day 0), ``days`` (the day loop),
    ``catalogue and result`` (the catalogue row before the days and the Result after
    them), ``page data`` (what the page draws, computed and sent) and ``saving`` (the
    run's files and its catalogue row marked done)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, phase: str, within: float | None = None) -> None:
        """Book the seconds since the last mark to ``phase``; with ``within``, only that
        many of them (the rest to ``catalogue and result``)."""
        now = time.perf_counter()
        spent = now - self._mark
        if within is not None:
            self._book("catalogue and result", spent - within)
            spent = within
        self._book(phase, spent)
        self._mark = now

    def _book(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
