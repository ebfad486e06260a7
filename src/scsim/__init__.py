"""scsim: a simulator of citizen-scoring ("social credit") systems.

    import scsim
    sc = scsim.load_scenario("national-800", agents=50_000, days=180)
    res = scsim.simulate(sc, seed=7)
    res.metrics, res.agents, res.companies   # pandas DataFrames
    res = scsim.simulate(sc, seed=7, store=True)   # kept in ./scsim-runs (res.run_id)
    scsim.open_store().load(res.run_id)            # ... and read back
"""

__version__ = "0.1.0"

import os as _os

# OpenMP threads that spin while they wait for work fight any other busy process for the
# cores: on a shared 2-core virtual machine that made parallel kernels take milliseconds to
# start and a day up to 7 times slower. Waiting threads sleep instead (measured side by side
# on 2026-11-23: faster than numba's 'workqueue' layer at 10^4-10^6 agents, busy or idle).
# Set OMP_WAIT_POLICY=ACTIVE to spin.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from scsim.core.engine import Simulation, simulate
from scsim.errors import ScenarioError, ScsimError
from scsim.outputs.result import Result
from scsim.scenario import Scenario, builtin_names, dump_yaml, load_scenario
from scsim.store import open_store

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
    "open_store",
    "simulate",
]
