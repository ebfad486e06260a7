"""The day loop: the steps of ``core.plan.DAY_PLAN`` in order, the timeline, and per-phase
timing."""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd

from scsim.core import precompile
from scsim.core.compiling import KernelTime
from scsim.core.counters import Tally
from scsim.core.params import Names, Params, compile_params
from scsim.core.plan import COUNTERS, DAY_PLAN, PHASES, plan_table
from scsim.core.source import Ledger
from scsim.core.state import State
from scsim.core.step import Today
from scsim.errors import ScsimError, check_progress
from scsim.outputs.casefile import CaseFiles, Trace
from scsim.outputs.metrics import MetricsRecorder, metrics_frame
from scsim.outputs.provenance import Provenance
from scsim.outputs.result import Result
from scsim.outputs.words import counted
from scsim.scenario.loader import as_scenario, timeline_epochs
from scsim.scenario.schema import Scenario
from scsim.seeds import check_seed
from scsim.world.build import build_world

if TYPE_CHECKING:
    from scsim.core.checkpoint import Checkpoints

__all__ = ["PHASES", "Simulation", "simulate"]


AGENTS_PER_THREAD = 1 << 15
"""Agents per thread below which a run whose threads were not given simulates its days on
fewer threads (``day_threads``). Each parallel kernel waits for the threads it wakes (60-145
µs for a sleeping thread on a 2-core virtual machine, 2026-12-03: ``OMP_WAIT_POLICY``,
``scsim/__init__.py``), and a day calls five to ten of them: at 1,000 agents a day of
mesa-parity took 0.39-0.48 ms on one thread and 0.91-1.0 ms on two, at 10,000 and 20,000
agents one thread was as fast as two (mesa-parity and national-800), at 100,000 two were
faster (docs/performance.md, "Small runs on fewer threads")."""


def check_threads(threads: object) -> None:
    """A ScsimError unless ``threads`` is None (numba's count) or a whole number of at least
    1 (``threads=0`` was taken as 1, while ``--threads 0`` is refused)."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(
            threads, numbers.Integral) or threads < 1):
        raise ScsimError(f"threads={threads!r}: must be a whole number of at least 1 (None: "
                         "every core numba may use)")


def _given_threads(threads: int) -> int:
    """A thread count given by the caller, kept within 1 and numba's NUMBA_NUM_THREADS."""
    return max(1, min(threads, numba.config.NUMBA_NUM_THREADS))


@contextmanager
def _on_threads(threads: int | None) -> Iterator[None]:
    """Numba's thread count set to ``threads`` (when given) for the block, then set back:
    a run's threads are its own, not the rest of the session's."""
    before = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(_given_threads(threads))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def day_threads(agents: int, threads: int | None = None) -> int:
    """How many threads simulate the days of a run of ``agents`` agents: ``threads`` when
    given (at most numba's ``NUMBA_NUM_THREADS``); otherwise numba's count (all cores,
    unless ``numba.set_num_threads`` said fewer), at most one per ``AGENTS_PER_THREAD``
    agents. Results are the same bits whatever the count."""
    if threads is not None:
        return _given_threads(threads)
    return max(1, min(numba.get_num_threads(), agents // AGENTS_PER_THREAD))


def _compile(scenario: Scenario, names: Names) -> list[tuple[int, Params]]:
    """The compiled parameters of each epoch of the timeline: [(first day, params)]."""
    return [(day, compile_params(s, names)) for day, s in timeline_epochs(scenario)]


class Simulation:
    """One run of one scenario with one seed. ``run()`` returns a Result."""

    split_passes = False
    """Take the census of the day in two passes, timed in the provenance and metrics phases
    of the profile, instead of one (``outputs.census``), and observe's sightings in a pass
    of their own, timed in the observe phase, instead of in behave's pass
    (``mechanisms.observe.sighted_in_behave``): to see what each part costs. The same
    results either way."""

    def __init__(self, scenario: Scenario | str, seed: int = 0, threads: int | None = None,
                 trace: Trace | int | list[int] | str | None = None, *,
                 split_passes: bool = False):
        """``scenario``: a Scenario, or a built-in name, YAML path or mapping
        (``load_scenario``); ``trace``: which agents get case files (``Trace``: a sample,
        chosen ids, the wrongfully listed, the first ``listed`` agents listed; or its
        shorthands: a number of agents at random, a list of ids, ``"wrongful"``);
        ``split_passes``: see ``Simulation.split_passes``."""
        check_threads(threads)
        self.split_passes = split_passes
        scenario = as_scenario(scenario)
        trace = Trace.of(trace)
        self.threads = threads
        self.seed = check_seed(seed)
        self.trace = trace
        self.names = Names.of(scenario)
        if trace is not None:
            trace.check(self.names)
        started = time.perf_counter()
        self.epochs = _compile(scenario, self.names)
        kernels = KernelTime()
        with _on_threads(threads):
            with kernels.measure():
                precompile.prepare(self.epochs)
                state, sc = build_world(scenario, self.names, self.epochs[0][1], self.seed)
            self._assemble(state, sc, time.perf_counter() - started, kernels)
            with kernels.measure():
                self._warm_up()

    @classmethod
    def from_state(cls, scenario: Scenario, state: State, seed: int,
                   threads: int | None = None) -> Simulation:
        """A simulation of ``scenario`` that goes on from ``state`` (which it takes over)
        instead of building day 0; ``core.checkpoint.load`` then restores what the steps
        and the recorder carry."""
        check_threads(threads)
        sim = cls.__new__(cls)
        sim.threads = threads
        sim.seed = check_seed(seed)
        sim.trace = None  # the case files' step restores whom it traces
        sim.names = Names.of(scenario)
        started = time.perf_counter()
        sim.epochs = _compile(scenario, sim.names)
        sim._assemble(state, scenario, time.perf_counter() - started, KernelTime())
        return sim

    def _assemble(self, state: State, scenario: Scenario, setup: float,
                  setup_kernels: KernelTime) -> None:
        self.state, self.scenario = state, scenario
        # where the run was branched (``core.checkpoint``: day, scenario name and hash of
        # the days before), set by ``load`` with another scenario; empty for any other run
        self.branched: list[dict] = []
        self.day_threads = day_threads(state.n, self.threads)
        self.profile = {"setup": setup, **dict.fromkeys(PHASES, 0.0)}
        self.elapsed = 0.0  # seconds in the day loop so far (also before a resume)
        # seconds spent compiling kernels or loading them from the cache, in setup and in
        # the day loop (part of elapsed; left out of speeds)
        self.setup_kernels, self.kernels = setup_kernels, KernelTime()
        self.started_at: datetime | None = None  # when the day loop first started
        # The steps and outputs (some of them call kernels), then every kernel of the days
        # before the first: part of the setup time, as their kernel seconds are (so that
        # setup and day loop less all kernel seconds, the time building and simulating, is
        # never negative); a Ctrl-C while a kernel loads is held (core.compiling).
        t0 = time.perf_counter()
        with self.setup_kernels.measure():
            self._make_steps()
            precompile.load(self.epochs)
        self.profile["setup"] += time.perf_counter() - t0

    def _make_steps(self) -> None:
        """The day's counters, the metrics recorder, the ledger and the steps of
        ``DAY_PLAN`` for the state assembled."""
        s, names = self.state, self.names
        self.tally = Tally(COUNTERS, s.n, {
            "behaviours": max(len(names.behaviours), 1), "groups": len(names.groups),
            "tiers": max(len(names.tiers), 1), "privileges": max(len(names.privileges), 1),
            "regions": len(names.regions)})
        self.recorder = MetricsRecorder(names, s, self.scenario.days,
                                        self.scenario.metrics.network_every,
                                        self.scenario.metrics.distribution_every,
                                        self.day_threads)
        self.ledger = Ledger(names, s.region, s.region_start)
        self.steps = [step(self) for step in DAY_PLAN]
        self.case_files = next(s for s in self.steps if isinstance(s, CaseFiles))
        self.provenance = next(s for s in self.steps if isinstance(s, Provenance))

    def _warm_up(self) -> None:
        """The warm-up (MODEL.md, Initial state): days -W to -1 under the policy of day 0,
        every step but those that report (metrics, provenance, case files); then the
        history counts restart at day 0."""
        if self.state.day >= 0:
            return
        t0 = time.perf_counter()
        with self._on_day_threads():
            while self.state.day < 0:
                self._simulate_day(self.state.day, self.epochs[0][1])
        self.state.restart_history()
        self.case_files.after_warm_up()
        self.profile["setup"] += time.perf_counter() - t0

    def __repr__(self) -> str:
        day = self.state.day  # the warm-up, if any, is done when the Simulation is made
        when = "not started" if day == 0 else f"{day:,} of {self.scenario.days:,} days done"
        return (f"Simulation({self.scenario.name!r}, agents={self.state.n:,}, "
                f"seed={self.seed}, {when})")

    def run(self, progress: Callable[[int], None] | None = None,
            checkpoints: Checkpoints | None = None) -> Result:
        """Simulate every day left (all of them, or those after the day a checkpoint was
        loaded at); ``progress(day)`` is called after each one with that day, and
        ``checkpoints`` (see ``core.checkpoint.Checkpoints``) writes one every so many
        days."""
        self.run_until(self.scenario.days, progress, checkpoints)
        return Result.from_simulation(self, wall_seconds=self.elapsed,
                                      started_at=self.started_at)

    def run_until(self, day: int, progress: Callable[[int], None] | None = None,
                  checkpoints: Checkpoints | None = None) -> None:
        """Simulate the days before ``day`` that are not done yet (then ``state.day`` is
        ``day``): e.g. ``run_until(180)`` and ``save`` to branch there. ``day`` is at most
        the scenario's ``days`` (a ScsimError beyond it: it did nothing past the last day);
        ``progress(day)`` is called after each day simulated, with that day."""
        days = self.scenario.days
        if isinstance(day, bool) or not isinstance(day, numbers.Integral) or not (
                0 <= day <= days):
            raise ScsimError(f"run_until({day!r}): the run has {days:,} days, so run_until "
                             f"takes a whole number from 0 to {days:,} (run() simulates them "
                             "all)")
        check_progress(progress)
        if self.started_at is None:
            self.started_at = datetime.now(UTC)
        t0, before = time.perf_counter(), self.elapsed
        try:
            with self.kernels.measure(), self._on_day_threads():
                for today in range(self.state.day, min(day, self.scenario.days)):
                    self._simulate_day(today, self.epochs[self.epoch_of(today)][1])
                    if progress is not None:
                        progress(today)
                    if checkpoints is not None:
                        # a checkpoint keeps the wall time so far: a resumed run's counts
                        # the days before it too (it said 0 s, and a tenfold speed)
                        self.elapsed = before + time.perf_counter() - t0
                        checkpoints.after(self, today)
        finally:
            self.elapsed = before + time.perf_counter() - t0

    def _on_day_threads(self):
        """Numba's thread count set to ``day_threads`` (see ``core.engine.day_threads``)
        while the days are simulated, then set back (``_on_threads``)."""
        return _on_threads(self.day_threads)

    def epoch_of(self, day: int) -> int:
        """The epoch of the timeline in force on ``day`` (an index into ``epochs``)."""
        epoch = 0
        while epoch + 1 < len(self.epochs) and self.epochs[epoch + 1][0] <= day:
            epoch += 1
        return epoch

    def save(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write a checkpoint of the state now (before day ``state.day``) to the folder
        ``path``, whole or not at all; ``Simulation.load`` goes on from it with the same
        bits. ``path`` must be new or empty (an earlier scsim output only with ``force``).
        See ``core.checkpoint`` for what it holds."""
        from scsim.core import checkpoint

        return checkpoint.save(self, path, force=force)

    @classmethod
    def load(cls, path: str | os.PathLike, scenario: Scenario | str | dict | None = None,
             *, threads: int | None = None) -> Simulation:
        """The simulation saved at ``path`` (by ``save``, or a run's checkpoint folder in
        the store: its newest), ready to go on from its day with ``run()``. ``scenario``
        (a Scenario, or a built-in name, YAML path, YAML text or mapping, as ``Simulation``
        takes it) branches it: the run goes on under that scenario (e.g. another listing
        threshold), which must keep the saved population, network, days and names of
        things."""
        from scsim.core import checkpoint

        if scenario is not None and not isinstance(scenario, Scenario):
            scenario = as_scenario(scenario)
        return checkpoint.load(path, scenario, threads)

    def step(self, days: int = 1) -> None:
        """Simulate the next day (``days``: the next so many), as Mesa's ``model.step()``
        does; ``metrics()`` then gives the days done. A ScsimError past the scenario's last
        day (``run()`` simulates every day left)."""
        done, last = self.state.day, self.scenario.days
        if isinstance(days, bool) or not isinstance(days, numbers.Integral) or days < 1:
            raise ScsimError(f"step({days!r}): the number of days to simulate is a whole "
                             "number of at least 1")
        if done + days > last:
            if done == last:
                raise ScsimError(f"step({days}): all {last:,} days of the run are done; "
                                 "run() gives its Result")
            raise ScsimError(f"step({days}): the run has {counted(last - done, 'day')} left "
                             f"of its {last:,} (day {done:,} is next); run() finishes the run "
                             "and gives its Result")
        self.run_until(done + days)

    def metrics(self) -> pd.DataFrame:
        """The daily metrics of the days simulated so far (one row per day, as
        ``Result.metrics``): what a notebook reads between ``step()`` calls."""
        return metrics_frame(self.recorder.table[:self.state.day], self.recorder.columns)

    def _simulate_day(self, day: int, p: Params) -> None:
        """One day: every step of the plan that is on, in order (MODEL.md, One day); on a
        warm-up day (``day`` < 0) all but those that report (``Step.reports``), and
        nobody traced."""
        s = self.state
        self.tally.reset()
        self.ledger.reset()
        # A warm-up day (day < 0) counts as day 0 for the roll-out and is not reported.
        today = Today(day, p, (p.region_start_day <= max(day, 0)).astype(np.uint8),
                      self.seed, s, self.tally, day == self.scenario.days - 1,
                      ledger=self.ledger,
                      trace=self.case_files.tracing() if day >= 0 else None)
        for step in self.steps:
            t = time.perf_counter()
            if step.on(p) and (day >= 0 or not step.reports):
                step.run(today)
            self.profile[step.name] += time.perf_counter() - t
        s.day = day + 1

    def plan(self) -> pd.DataFrame:
        """The day plan of this run (see ``core.plan.plan_table``): step, phase, mechanism,
        section, kernels, counters, and on/off per epoch of the timeline."""
        return plan_table(self.epochs)


def simulate(scenario: Scenario | str, seed: int = 0, *, agents: int | None = None,
             days: int | None = None, overrides: str | list[str] | dict | None = None,
             threads: int | None = None, progress: Callable[[int], None] | None = None,
             store: str | os.PathLike | bool | None = None,
             checkpoint_every: int | None = None,
             trace: Trace | int | list[int] | str | None = None) -> Result:
    """Run ``scenario`` with ``seed`` and return its Result (metrics, agents, companies).

    ``scenario``: a Scenario, or a built-in name, YAML path or mapping;
    ``seed``: a whole number from 0 to 2**63 - 1 (the same seed gives the same run);
    ``agents``: how many people are simulated (at least 2), instead of the scenario's
    ``population.agents``; ``days``: how many days are simulated (at least 1), instead of
    the scenario's ``days``; ``overrides``: ``"a.b=value"`` strings or a
    ``{path: value}`` mapping; all three applied as ``load_scenario`` applies them;
    ``threads``: how many CPU threads the day's steps use (at most numba's
    ``NUMBA_NUM_THREADS``, by default the machine's cores; None: as set before, at most
    one per 32,768 agents, ``core.engine.day_threads``); the result is the same with any
    number; ``progress(day)``: a function of one argument, called after every day with
    that day (0 to days - 1);
    ``store``: a run-store folder, True for the default one (``SCSIM_STORE`` or
    ``./scsim-runs``) or a RunStore, to keep the run there (its id is ``result.run_id``;
    interrupted, by Ctrl-C or SIGTERM, the run stays in the store as interrupted and the
    exception's ``run_id`` names it);
    ``checkpoint_every``: with a store, keep a checkpoint every so many days, from which
    ``scsim resume RUN`` (``scsim.open_store().resume(RUN)`` in Python) continues the run
    if it does not finish; ``trace``: which agents get
    case files (``Trace``: a sample, chosen ids, the wrongfully listed, the first
    ``listed`` agents listed; or a number of agents at random, a list of ids,
    ``"wrongful"``)."""
    check_progress(progress)
    scenario = as_scenario(scenario, agents=agents, days=days, overrides=overrides)
    sim = Simulation(scenario, seed, threads, trace)
    from scsim.store import store_of

    runs = store_of(store)
    if runs is None:
        if checkpoint_every:
            raise ScsimError("checkpoint_every needs a store (store=True or a folder)")
        return sim.run(progress)
    return runs.record(sim, progress, checkpoint_every=checkpoint_every)
