"""The day as a declared plan: the steps of MODEL.md, "One day, in order", each the step of
one mechanism module. ``core.engine.Simulation`` runs them in this order, times each under
its name (the per-phase profile) and can show the plan (``Simulation.plan()``).

Roll-out (MODEL.md step 10) is no step: the engine computes which regions have started each
day and every step skips agents of the others.
"""

from __future__ import annotations

from scsim.mechanisms.adapt import Adapt
from scsim.mechanisms.behave import Behave
from scsim.mechanisms.classify import Classify
from scsim.mechanisms.companies import CompaniesStep as Companies
from scsim.mechanisms.observe import Observe
from scsim.mechanisms.reports import Report
from scsim.mechanisms.sanction import Sanction
from scsim.mechanisms.score import Score
from scsim.mechanisms.shame import Shame
from scsim.outputs.metrics import Metrics

DAY_PLAN = (Behave, Observe, Report, Score, Classify, Sanction, Shame, Adapt, Companies,
            Metrics)

PHASES = tuple(step.name for step in DAY_PLAN)
"""The phase names of the profile, in day order."""

COUNTERS = tuple(step.counters for step in DAY_PLAN if step.counters is not None)
"""Every per-block counter declaration of a day."""
