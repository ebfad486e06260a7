"""Global sensitivity analysis with SALib: which lever drives an output most?

Parameters are sampled in the unit hypercube (Sobol/Saltelli or Morris designs) and mapped
onto their ranges (log scales and integers as the ranges say). Every model evaluation uses
the same seed (common random numbers), so differences between evaluations come from the
parameters, not from luck; the runs execute on the Dask cluster.

Needs the ``experiments`` extra (Dask, SALib), and ``report`` (matplotlib) for the chart
that ``Sensitivity.save`` draws.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from scsim.errors import ScsimError
from scsim.experiments.design import (
    CLI,
    MAX_RUNS,
    Range,
    Spelling,
    cell_label,
    refuse_repeated,
    valid_scenario,
)
from scsim.experiments.tasks import run_batch
from scsim.fsutil import atomic_folder
from scsim.outputs.words import counted
from scsim.scenario import Scenario
from scsim.seeds import check_seed

Method = Literal["sobol", "morris"]
MORRIS_LEVELS = 4
"""Levels of a Morris grid: each step moves a parameter by levels / (2 (levels - 1)) of its
range, two thirds (SALib's Δ), and SALib divides each change of the output by that share:
mu* is the mean change across the whole range."""
MORRIS_STEP_WORDS = "two thirds"


@dataclass
class Sensitivity:
    """Indices per parameter: Sobol first-order (S1) and total (ST) with 95 % confidence
    half-widths, or Morris mu* and sigma; ``samples`` holds every evaluation: its seed,
    its parameters and the output (the runs are not kept in the run store)."""

    method: Method
    output: str
    indices: pd.DataFrame
    samples: pd.DataFrame

    def __repr__(self) -> str:
        return (f"Sensitivity({self.method}, {self.output}, "
                f"{counted(len(self.indices), 'parameter')}, "
                f"{counted(len(self.samples), 'run')})")

    def _repr_html_(self) -> str:
        from scsim.outputs.display import sensitivity_html

        return sensitivity_html(self)

    def never_varied(self) -> bool:
        """True when the output took one value in every run (or none): then the indices
        measure nothing (a mechanism off, too few agents or days for the event)."""
        return self.samples[self.output].dropna().nunique() <= 1

    def imprecise(self) -> list[str]:
        """What makes the estimates too imprecise to rank the parameters, in words (empty
        when nothing does): Sobol's first-order index above the total one (impossible but
        for sampling error), or a 95 % interval wider than its index (it reaches 0); for
        Morris, a mu* interval wider than mu*."""
        i = self.indices.set_index("parameter")

        def wider(index: str) -> pd.Series:  # 0 ± 0 (no effect at all) is precise
            ci = i[f"{index}_ci95"]
            return (ci > 0) & (ci >= i[index].abs())

        if self.method == "sobol":
            above = list(i.index[i["S1"] > i["ST"] + 1e-12])
            beyond = list(i.index[(i["S1"] > 1) | (i["ST"] > 1)])
            wide = list(i.index[wider("ST") | wider("S1")])
        else:
            above, beyond, wide = [], [], list(i.index[wider("mu_star")])
        out = []
        if beyond:
            out.append(f"an index is above 1, which only sampling error makes, for "
                       f"{', '.join(beyond)}")
        if above:
            out.append(f"S1 is above ST for {', '.join(above)}")
        if wide:
            out.append(f"the 95 % interval is wider than the index for {', '.join(wide)}")
        return out

    def warnings(self, samples_option: str = "--samples") -> list[str]:
        """What makes the indices mean less than they seem, one line each (empty when
        nothing does): an output that never varied, or estimates too imprecise to rank the
        parameters, with how many more samples to ask for (``samples_option``: the name of
        that setting, ``--samples`` in the CLI, ``samples=`` in Python)."""
        runs = len(self.samples)
        if self.never_varied():
            return [f"{self.output} took the same value in all {runs} runs: the indices "
                    "measure nothing (is the mechanism behind it on? more agents or days?)"]
        problems = self.imprecise()
        if not problems:
            return []
        per = len(self.indices) + (2 if self.method == "sobol" else 1)
        samples = runs // per
        return [f"the estimates are too imprecise to rank the parameters: "
                f"{'; '.join(problems)}: raise {samples_option} (now {samples}; e.g. "
                f"{max(64, 4 * samples)})"]

    def in_words(self) -> list[str]:
        """What the indices say, one sentence per parameter (the largest first)."""
        from scsim.experiments.outputs import output_label

        label = output_label(self.output)
        if self.method == "sobol":
            return [f"{r.parameter}: alone, it explains {_share(r.S1)} of the variance "
                    f"of {label} (S1); with its interactions with the other parameters, "
                    f"{_share(r.ST)} (ST)" for r in self.indices.itertuples()]
        return [f"{r.parameter}: across its whole range it moves {label} by {r.mu_star:.3g} "
                f"on average (mu*: steps of {MORRIS_STEP_WORDS} of the range, each change "
                f"scaled to the whole range), spread {r.sigma:.3g} (sigma: a large one "
                "means interactions or a curved effect)" for r in self.indices.itertuples()]

    def save(self, folder: str | os.PathLike, *, force: bool = False) -> Path:
        """Write ``indices.csv``, ``samples.csv`` (every evaluation) and the chart
        ``sensitivity.png`` into ``folder``, whole or not at all: it must be new or empty,
        or with ``force`` an earlier scsim output (``scsim.fsutil.check_output_folder``;
        call that before the analysis to refuse early). Returns the folder. Needs the
        ``report`` extra."""
        from scsim.experiments.charts import save_charts, sensitivity_chart

        with atomic_folder(folder, kind="sensitivity analysis", force=force) as tmp:
            # data for scripts (samples.csv: how to run a sample again), without the
            # byte-order mark of the CSVs made for spreadsheets: Python's csv module read
            # its first column as '\ufeffseed'
            self.indices.to_csv(tmp / "indices.csv", index=False)
            self.samples.to_csv(tmp / "samples.csv", index=False)
            save_charts([sensitivity_chart(self)], tmp)
        return Path(folder).resolve()


def _share(index: float) -> str:
    """A Sobol index as a share of the variance, in words ('about 76 %'; an estimate at or
    below 0, which below 0 only sampling error makes, is 'none'; one above 1, which only
    sampling error makes too, says so rather than 'about 100 %')."""
    if index > 1:
        return f"all of it, or nearly (the estimate, {index:.2f}, is above 1: sampling error)"
    return "none" if index <= 0 else f"about {100 * index:.0f} %"


def planned_runs(method: Method, n: int, parameters: int) -> int:
    """How many runs a design of ``n`` samples over ``parameters`` ranges takes (``design``):
    Sobol n·(D+2), Morris n·(D+1)."""
    return n * (parameters + (2 if method == "sobol" else 1))


def design(params: list[Range], method: Method, n: int, seed: int) -> np.ndarray:
    """The unit-cube sample: Sobol with n base points (a power of 2): n·(D+2) runs;
    Morris with n trajectories of 4 levels: n·(D+1) runs."""
    check_samples(method, n)
    problem = _problem(params)
    if method == "sobol":
        return sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    return morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)


def check_samples(method: Method, n: int, spelling: Spelling = CLI) -> None:
    """Sobol needs a power of 2 of base samples, Morris at least 2 trajectories
    (``spelling``: how the caller names the setting)."""
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise ScsimError(f"{spelling.given('samples', n)}: Sobol needs a power of 2 (e.g. 64)")
    if method == "morris" and n < 2:
        raise ScsimError(f"{spelling.given('samples', n)}: Morris needs at least 2 "
                         "trajectories")


def _problem(params: list[Range]) -> dict:
    return {"num_vars": len(params), "names": [r.key for r in params],
            "bounds": [[0.0, 1.0]] * len(params)}


def check_sensitivity(params: list[Range], method: Method, samples: int, seed: int,
                      spelling: Spelling = CLI) -> int:
    """Refuse what a sensitivity analysis cannot run, with one ScsimError, before any
    cluster starts: a seed out of range (``check_seed``), fewer than two parameters, one
    given twice, a number of samples the method cannot take (``check_samples``), each
    named as the caller names it (``spelling``). Returns the seed (an int)."""
    seed = check_seed(seed)
    if len(params) < 2:
        raise ScsimError(f"sensitivity analysis needs at least two parameter ranges "
                         f"({spelling.param})")
    refuse_repeated([r.key for r in params], spelling.param)
    check_samples(method, samples, spelling)
    runs = planned_runs(method, samples, len(params))
    if runs > MAX_RUNS:  # (--samples 2**30 was an internal error: a 32 GiB design)
        raise ScsimError(f"{spelling.given('samples', samples)}: {runs:,} runs, at most "
                         f"{MAX_RUNS:,} in one analysis (fewer samples, or fewer parameters)")
    return seed


def sensitivity(base: Scenario, params: list[Range], output: str, *, client,
                method: Method = "sobol", samples: int = 64, seed: int = 0,
                progress=None, on_total=None) -> Sensitivity:
    """Run the design on the cluster and compute the indices of ``output``; ``on_total(n)``
    learns the number of runs, ``progress()`` hears of each (``check_sensitivity`` says
    what is refused)."""
    seed = check_sensitivity(params, method, samples, seed)
    unit = design(params, method, samples, seed)
    if on_total is not None:
        on_total(len(unit))
    base_data = base.model_dump(mode="json")
    jobs, rows = [], []
    for u in unit:
        values = {r.key: r.value(float(x)) for r, x in zip(params, u, strict=True)}
        sc = valid_scenario(base_data, values, f"the sample ({cell_label(values)})")
        jobs.append((sc.model_dump(mode="json"), seed))
        rows.append(values)
    outputs = run_batch(client, jobs, [output], progress)
    y = np.array([o[output] for o in outputs], dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ScsimError(f"output {output} is not finite in some runs")
    problem = _problem(params)
    if method == "sobol":
        # an output that never varies divides by its zero variance (SALib then gives
        # indices of 0, which the CLI explains): not worth numpy's warning
        with np.errstate(divide="ignore", invalid="ignore"):
            si = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                       conf_level=0.95, seed=seed)
        indices = pd.DataFrame({"parameter": problem["names"], "S1": si["S1"],
                                "S1_ci95": si["S1_conf"], "ST": si["ST"],
                                "ST_ci95": si["ST_conf"]})
        indices = indices.sort_values("ST", ascending=False)
    else:
        si = morris_analyze.analyze(problem, unit, y, conf_level=0.95,
                                    num_levels=MORRIS_LEVELS,
                                    seed=seed)
        indices = pd.DataFrame({"parameter": problem["names"], "mu_star": si["mu_star"],
                                "mu_star_ci95": si["mu_star_conf"], "sigma": si["sigma"]})
        indices = indices.sort_values("mu_star", ascending=False)
    # each run's seed (one for all: common random numbers), so that a row can be run again
    # (`scsim run SCENARIO --seed S --set KEY=VALUE ...`): the runs are not stored
    samples_df = pd.DataFrame(rows).assign(**{output: y})
    samples_df.insert(0, "seed", seed)
    return Sensitivity(method, output, indices.reset_index(drop=True), samples_df)
