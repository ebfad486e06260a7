"""scsim: a simulator of citizen-scoring ("social credit") systems.

    import scsim
    sc = scsim.load_scenario("national-800", agents=50_000, days=180)
    res = scsim.simulate(sc, seed=7)         # or scsim.simulate("national-800", agents=...)
    res                                      # in a notebook: the headline in plain words
    res.metrics, res.agents, res.companies   # pandas DataFrames
    res.plot()                               # charts (needs scsim[report])
    reps = scsim.replicate(sc, reps=10)      # seeds 0-9: .mean(), .quantiles(), .plot()
    cmp = scsim.compare(sc_a, sc_b, seed=1, reps=5)   # paired: cmp.metrics(), cmp.plot()
    runs = scsim.sweep(sc, {"listing.threshold": [640, 660]}, reps=3)  # a row per run (Dask)
    scsim.sweep_table("last", per_cell=True)        # a stored sweep read back: mean, 95 % CI
    si = scsim.sensitivity(sc, {"scoring.recovery": (0.001, 0.01)})   # Sobol indices (SALib)
    fit = scsim.calibrate(sc, {"sanctions.travel.air_rate": (0.001, 0.05)},
                          {"blocked_air_per_capita_year": 0.0129})  # Optuna: fit.best_params
    scsim.report(res, "report/")             # the HTML report
    res = scsim.simulate(sc, seed=7, store=True)   # kept in ./scsim-runs (res.run_id)
    scsim.open_store().load(res.run_id)            # ... and read back

The names below load on first use (PEP 562), so that ``import scsim`` and ``scsim --help``
stay fast: numba, pandas and DuckDB are imported by the first call that needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"

import os as _os

from scsim.errors import (  # light: no dependencies
    ResultWarning,
    ScenarioError,
    ScenarioWarning,
    ScsimError,
)

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (start-up time)

# OpenMP threads that spin while they wait for work fight any other busy process for the
# cores: on a shared 2-core virtual machine that made parallel kernels take milliseconds to
# start and a day up to 7 times slower. Waiting threads sleep instead (measured side by side
# on 2026-11-23: faster than numba's 'workqueue' layer at 10^4-10^6 agents, busy or idle).
# Set OMP_WAIT_POLICY=ACTIVE to spin. (Set here, before numba can start its threads.)
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# name -> module that defines it, imported on first access
_LAZY = {
    "Simulation": "scsim.core.engine",
    "Trace": "scsim.outputs.casefile",
    "simulate": "scsim.core.engine",
    "Result": "scsim.outputs.result",
    "Scenario": "scsim.scenario",
    "builtin_names": "scsim.scenario",
    "dump_yaml": "scsim.scenario",
    "load_scenario": "scsim.scenario",
    "open_store": "scsim.store",
    "compare": "scsim.analysis.compare",
    "replicate": "scsim.analysis.replicate",
    "sweep": "scsim.experiments.perform",
    "sweep_table": "scsim.experiments.perform",
    "sensitivity": "scsim.experiments.perform",
    "calibrate": "scsim.experiments.perform",
    "Replicates": "scsim.analysis.replicate",
    "report": "scsim.report",  # the package itself, callable: scsim.report(res, "folder")
    "report_run": "scsim.report",
    "report_comparison": "scsim.report",
}

if TYPE_CHECKING:
    from scsim import report
    from scsim.analysis.compare import compare
    from scsim.analysis.replicate import Replicates, replicate
    from scsim.core.engine import Simulation, simulate
    from scsim.experiments.perform import calibrate, sensitivity, sweep, sweep_table
    from scsim.outputs.casefile import Trace
    from scsim.outputs.result import Result
    from scsim.report import report_comparison, report_run
    from scsim.scenario import Scenario, builtin_names, dump_yaml, load_scenario
    from scsim.store import open_store


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scsim' has no attribute {name!r}")
    from importlib import import_module

    loaded = import_module(module)
    value = loaded if module == f"{__name__}.{name}" else getattr(loaded, name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Replicates",
    "Result",
    "ResultWarning",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "ScsimError",
    "Simulation",
    "Trace",
    "__version__",
    "builtin_names",
    "calibrate",
    "compare",
    "dump_yaml",
    "load_scenario",
    "open_store",
    "replicate",
    "report",
    "report_comparison",
    "report_run",
    "sensitivity",
    "simulate",
    "sweep",
    "sweep_table",
]
