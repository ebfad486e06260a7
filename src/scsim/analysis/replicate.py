"""Replications of one scenario (Covasim's MultiSim): the same scenario run with seeds
``seed``, ``seed + 1``, ..., and what varies between them.

    reps = scsim.replicate(scsim.load_scenario("national-800", agents=20_000), reps=10)
    reps.mean()                  # per day, the mean over replications of every metric
    reps.quantiles((0.05, 0.95)) # per quantile and day
    reps.summary()               # each summary figure: mean and 95 % interval of the mean
    reps.plot()                  # the overview, means with 5-95 % bands
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scsim.analysis.stats import t_half_width
from scsim.errors import ScsimError, check_progress, check_reps
from scsim.outputs.result import Result
from scsim.outputs.summary import figure_range
from scsim.outputs.words import counted
from scsim.seeds import check_seed

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

    from scsim.scenario.schema import Scenario
    from scsim.store import RunStore


@dataclass(repr=False)
class Replicates:
    """Results of one scenario under successive seeds (``results[k]`` ran with
    ``seeds[k]``)."""

    results: list[Result]

    def __len__(self) -> int:
        """How many replications (``reps``)."""
        return len(self.results)

    def __iter__(self) -> Iterator[Result]:
        """The replications' Results, in the order of their seeds."""
        return iter(self.results)

    def __getitem__(self, k: int) -> Result:
        """The Result of replication ``k`` (seed ``seeds[k]``); an IndexError that says how
        many there are when there is no replication ``k``."""
        try:
            return self.results[k]
        except IndexError:
            n = len(self.results)
            raise IndexError(f"no replication {k}: there are {counted(n, 'replication')}, "
                             f"numbered 0 to {n - 1} (or -{n} to -1 from the end)") from None

    @property
    def reps(self) -> int:
        """How many replications."""
        return len(self.results)

    @property
    def seeds(self) -> list[int]:
        """The seed of each replication, in order."""
        return [r.seed for r in self.results]

    @property
    def scenario(self) -> Scenario:
        """The scenario every replication ran."""
        return self.results[0].scenario

    def metrics(self) -> pd.DataFrame:
        """Every replication's metrics in one table, with its ``rep`` and ``seed``."""
        return pd.concat([r.metrics.assign(rep=k, seed=r.seed)
                          for k, r in enumerate(self.results)], ignore_index=True)

    def mean(self) -> pd.DataFrame:
        """Per day (the index), the mean over replications of every metric column."""
        return self.metrics().drop(columns=["rep", "seed"]).groupby("day").mean()

    def quantiles(self, q: float | Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per quantile and day (a two-level index, ``quantile`` and ``day``:
        ``quantiles().loc[0.05]`` is one table per day), the quantiles ``q`` (one, or
        several) over replications of every metric column."""
        qs = list(q) if isinstance(q, Sequence | np.ndarray) and not isinstance(q, str) else [q]
        if not qs or not all(isinstance(x, numbers.Real) and not isinstance(x, bool)
                             and 0 <= x <= 1 for x in qs):
            raise ScsimError(f"quantiles: q is a number from 0 to 1, or a list of them "
                             f"(0.05 for the 5th percentile), got {q!r}")
        by_day = self.metrics().drop(columns=["rep", "seed"]).groupby("day")
        out = by_day.quantile(qs).swaplevel().sort_index()
        out.index = out.index.set_names(["quantile", "day"])
        return out

    def summary(self) -> pd.DataFrame:
        """Each figure of the end-of-run summary: ``mean`` over replications, the 95 %
        t-interval of that mean (``lo``, ``hi``, cut to the values the figure can take: no
        negative count, no share above 1; ``outputs.summary.figure_range``), ``min`` and
        ``max``, and the ``note`` of ``Result.summary`` (its unit, what it counts) where
        every run's is the same: a note that tells one run's own figures (a percentage, a
        group's ratio) holds for that run only and is left empty. A figure that some
        runs leave out is one they had none of (a cause of wrongful listings that none of
        their listings had): it counts as 0 there, not as a run that did not happen."""
        tables = [r.summary() for r in self.results]
        keys = ["section", "figure"]
        order: list[tuple] = []  # every run's figures, each where its runs put it
        for table in tables:
            before = -1
            for key in zip(table["section"], table["figure"], strict=True):
                if key not in order:
                    order.insert(before + 1, key)
                before = order.index(key)
        long = pd.concat([t.assign(rep=k) for k, t in enumerate(tables)])
        every = pd.MultiIndex.from_tuples([(*key, k) for key in order
                                           for k in range(len(tables))], names=[*keys, "rep"])
        value = long.set_index([*keys, "rep"])["value"].reindex(every, fill_value=0.0)
        grouped = value.groupby(level=keys, sort=False)
        out = grouped.agg(["mean", "std", "count", "min", "max"])
        half = t_half_width(out["std"], out["count"])
        lowest, highest = zip(*(figure_range(*key) for key in out.index), strict=True)
        out["lo"] = np.maximum(out["mean"] - half, lowest)
        out["hi"] = np.minimum(out["mean"] + half, highest)
        notes = long.groupby(keys, sort=False)["note"].agg(
            lambda n: n.iloc[0] if n.nunique() == 1 and len(n) == len(tables) else "")
        out["note"] = notes.reindex(out.index, fill_value="")
        return out[["mean", "lo", "hi", "min", "max", "note"]].reset_index()

    def plot(self, *columns: str, band: tuple[float, float] = (0.05, 0.95)) -> Figure:
        """The overview (or one panel per metric column named): the mean over
        replications with a band between the ``band`` quantiles, a pair of shares from 0
        to 1 (the default ``(0.05, 0.95)``: from the 5th to the 95th percentile). Needs
        scsim[report]."""
        from scsim.extras import require

        _check_band(band)
        require("report", what="Replicates.plot()")
        from scsim.report.plots import panels_of, plot_runs

        return plot_runs(self.results, panels_of(columns), band,
                         title=f"{self.scenario.name}: {self.reps} replications")

    def __repr__(self) -> str:
        days = counted(len(self.results[0].metrics), "day")
        return (f"Replicates({self.scenario.name}, {self.reps} × "
                f"{self.results[0].info.get('agents', 0):,} agents × {days}, seeds "
                f"{self.seeds[0]}–{self.seeds[-1]})")

    def _repr_html_(self) -> str:
        from scsim.outputs.display import replicates_html

        return replicates_html(self)


def _check_band(band: object) -> None:
    """A ScsimError unless ``band`` is a pair of shares from 0 to 1, the lower first:
    ``band=(5, 95)`` was numpy's "Quantiles must be in the range [0, 1]"."""
    pair = list(band) if isinstance(band, Sequence | np.ndarray) and not isinstance(
        band, str) else None
    if pair is None or len(pair) != 2 or not all(
            isinstance(x, numbers.Real) and not isinstance(x, bool) and 0 <= x <= 1
            for x in pair) or pair[0] > pair[1]:
        raise ScsimError(f"band={band!r}: a pair of shares between 0 and 1, the lower first, "
                         "e.g. (0.05, 0.95) for the 5th to the 95th percentile")


def replicate(scenario: Scenario | str, reps: int = 10, seed: int = 0, *,
              agents: int | None = None, days: int | None = None,
              overrides: str | list[str] | dict | None = None, threads: int | None = None,
              store: RunStore | str | os.PathLike | bool | None = None,
              progress: Callable[[int], None] | None = None) -> Replicates:
    """Run ``scenario`` (a Scenario, or a built-in name or YAML path, with ``agents``,
    ``days`` and ``overrides`` as ``load_scenario`` applies them) with seeds ``seed`` ..
    ``seed + reps - 1``. With ``store`` (a RunStore, a run-store folder, or True for the
    default one, as ``simulate`` takes it) every run is kept there; ``progress(day)``, a
    function of one argument, is called after every simulated day of every run with that
    day (0 to days - 1, again for each run)."""
    from scsim.core.engine import Simulation
    from scsim.scenario.loader import as_scenario
    from scsim.store import store_of

    reps = check_reps(reps)
    seed = check_seed(seed)
    check_progress(progress)
    store = store_of(store)
    scenario = as_scenario(scenario, agents=agents, days=days, overrides=overrides)
    results = []
    for k in range(reps):
        sim = Simulation(scenario, seed + k, threads)
        results.append(sim.run(progress) if store is None else store.record(sim, progress))
    return Replicates(results)
