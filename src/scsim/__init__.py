"""scsim: a simulator of citizen-scoring ("social credit") systems.

    import scsim
    sc = scsim.load_scenario("national-800", agents=50_000, days=180)
    res = scsim.simulate(sc, seed=7)
    res.metrics, res.agents, res.companies   # pandas DataFrames
"""

__version__ = "0.1.0"

import os

# OpenMP threads that spin while they wait for work fight any other busy process for the
# cores: on a shared 2-core machine that made a day up to 7 times slower. Waiting threads
# sleep instead, which costs about 10 % on an idle machine at 10^5 agents (set
# OMP_WAIT_POLICY=ACTIVE to spin).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from scsim.engine import Simulation, simulate
from scsim.errors import ScenarioError, ScsimError
from scsim.result import Result
from scsim.scenario import Scenario, builtin_names, dump_yaml, load_scenario

__all__ = [
    "Result",
    "Scenario",
    "ScenarioError",
    "ScsimError",
    "Simulation",
    "__version__",
    "builtin_names",
    "dump_yaml",
    "load_scenario",
    "simulate",
]
