"""The day as a declared plan: the steps of MODEL.md, "One day, in order", each the step of
one mechanism module, in the order the mechanisms declare (``core.mechanism``).
``core.engine.Simulation`` runs them in this order, times each under its name (the
per-phase profile) and can show the plan (``Simulation.plan()``, ``scsim plan``).

Roll-out (MODEL.md step 10) is no step: the engine computes which regions have started each
day and every step skips agents of the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from scsim.core.mechanism import mechanisms
from scsim.outputs.casefile import CaseFiles
from scsim.outputs.census import Census
from scsim.outputs.metrics import Metrics
from scsim.outputs.provenance import Provenance

if TYPE_CHECKING:
    from scsim.core.params import Params
    from scsim.scenario.schema import Scenario

DAY_PLAN = (*(m.step for m in mechanisms()), Census, Provenance, CaseFiles, Metrics)
"""The steps of a day, in order: each mechanism's step in day order (``Mechanism.place``),
then the census of the agents (one pass for the provenance breakdown and the metrics), the
provenance breakdown, the case files of traced agents and the metrics step that ends the
day."""

PHASES = tuple(step.name for step in DAY_PLAN)
"""The phase names of the profile, in day order."""

COUNTERS = tuple(step.counters for step in DAY_PLAN if step.counters is not None)
"""Every per-block counter declaration of a day."""


def plan_table(epochs: list[tuple[int, Params]]) -> pd.DataFrame:
    """The day plan as a table: one row per step, in order, with its mechanism module, the
    scenario section it reads, its kernels and counters, and whether it is on in each epoch
    of the timeline (``on`` from day 0, ``on from day D`` after each change)."""
    rows = []
    for k, step in enumerate(DAY_PLAN, 1):
        module = step.__module__.removeprefix("scsim.").replace(".", "/") + ".py"
        row = {"step": k, "phase": step.name, "mechanism": module,
               "section": step.section, "kernels": ", ".join(step.kernel_names()),
               "counters": ", ".join(step.counters.names()) if step.counters else ""}
        for day, p in epochs:
            row["on" if day == 0 else f"on from day {day}"] = step.on(p)
        rows.append(row)
    return pd.DataFrame(rows)


def scenario_plan(scenario: Scenario) -> pd.DataFrame:
    """``plan_table`` of a scenario, without building its world."""
    from scsim.core.params import Names, compile_params
    from scsim.scenario.loader import timeline_epochs

    names = Names.of(scenario)
    return plan_table([(day, compile_params(s, names))
                       for day, s in timeline_epochs(scenario)])
