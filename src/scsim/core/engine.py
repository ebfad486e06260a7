"""The day loop: the steps of ``core.plan.DAY_PLAN`` in order, the timeline, and per-phase
timing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numba
import numpy as np
import pandas as pd

from scsim.core.counters import Tally
from scsim.core.params import Names, Params, compile_params
from scsim.core.plan import COUNTERS, DAY_PLAN, PHASES, plan_table
from scsim.core.step import Today
from scsim.outputs.metrics import MetricsRecorder
from scsim.outputs.result import Result
from scsim.scenario.loader import timeline_epochs
from scsim.scenario.schema import Scenario
from scsim.world.build import build_world

__all__ = ["PHASES", "Simulation", "simulate"]


class Simulation:
    """One run of one scenario with one seed. ``run()`` returns a Result."""

    def __init__(self, scenario: Scenario, seed: int = 0, threads: int | None = None):
        if threads is not None:
            numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        self.seed = int(seed)
        self.names = Names.of(scenario)
        started = time.perf_counter()
        self.epochs: list[tuple[int, Params]] = [
            (day, compile_params(s, self.names)) for day, s in timeline_epochs(scenario)]
        self.state, self.scenario = build_world(scenario, self.names, self.epochs[0][1],
                                                self.seed)
        self.profile = {"setup": time.perf_counter() - started, **dict.fromkeys(PHASES, 0.0)}
        s, names = self.state, self.names
        self.tally = Tally(COUNTERS, s.n, {
            "behaviours": max(len(names.behaviours), 1), "groups": len(names.groups),
            "tiers": max(len(names.tiers), 1), "privileges": max(len(names.privileges), 1)})
        self.recorder = MetricsRecorder(names, s, self.scenario.days,
                                        self.scenario.metrics.network_every,
                                        numba.get_num_threads())
        self.steps = [step(self) for step in DAY_PLAN]

    def run(self, progress: Callable[[int], None] | None = None) -> Result:
        """Simulate every day; ``progress(day)`` is called after each one."""
        started_at = datetime.now(UTC)
        t0 = time.perf_counter()
        epoch = 0
        for day in range(self.scenario.days):
            while epoch + 1 < len(self.epochs) and self.epochs[epoch + 1][0] <= day:
                epoch += 1
            self.step(day, self.epochs[epoch][1])
            if progress is not None:
                progress(day)
        wall = time.perf_counter() - t0
        return Result.from_simulation(self, wall_seconds=wall, started_at=started_at)

    def step(self, day: int, p: Params) -> None:
        """One day: every step of the plan that is on, in order (MODEL.md, One day)."""
        s = self.state
        self.tally.reset()
        today = Today(day, p, (p.region_start_day <= day).astype(np.uint8), self.seed, s,
                      self.tally, day == self.scenario.days - 1)
        for step in self.steps:
            t = time.perf_counter()
            if step.on(p):
                step.run(today)
            self.profile[step.name] += time.perf_counter() - t
        s.day = day + 1

    def plan(self) -> pd.DataFrame:
        """The day plan of this run (see ``core.plan.plan_table``): step, phase, mechanism,
        section, kernels, counters, and on/off per epoch of the timeline."""
        return plan_table(self.epochs)


def simulate(scenario: Scenario, seed: int = 0, *, threads: int | None = None,
             progress: Callable[[int], None] | None = None,
             store: str | os.PathLike | bool | None = None) -> Result:
    """Run ``scenario`` with ``seed`` and return its Result (metrics, agents, companies).
    ``store``: a run-store folder, or True for the default one (``SCSIM_STORE`` or
    ``./scsim-runs``), to keep the run there (its id is ``result.run_id``)."""
    sim = Simulation(scenario, seed, threads)
    if store is None or store is False:
        return sim.run(progress)
    from scsim.store import open_store

    return open_store(None if store is True else store).record(sim, progress)
