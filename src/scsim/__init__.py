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

import numba as _numba

# numba's OpenMP layer wakes its threads slowly on some virtual machines (milliseconds per
# parallel kernel, against tens of microseconds for 'workqueue'); results do not depend on
# the layer. A layer chosen with NUMBA_THREADING_LAYER is left alone. workqueue must not be
# entered from two Python threads at once: run concurrent simulations in processes.
if "NUMBA_THREADING_LAYER" not in _os.environ:
    _numba.config.THREADING_LAYER = "workqueue"
# If OpenMP is chosen, its threads sleep while they wait for work instead of spinning, which
# fought any other busy process for the cores (up to 7 times slower days on a 2-core machine).
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from scsim.engine import Simulation, simulate
from scsim.errors import ScenarioError, ScsimError
from scsim.result import Result
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
