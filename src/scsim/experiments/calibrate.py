"""Calibration: find parameter values whose runs reproduce target figures.

Optuna (TPE sampler) proposes parameters; each trial's replications run as tasks on the
Dask cluster, with as many trials in flight as the cluster has worker slots (Optuna's
ask-and-tell interface). Every trial uses the same replication seeds, so trials differ only
by their parameters (common random numbers) and the objective is smooth in them. The loss
is the mean squared relative error of the replication means against the targets.

Needs the ``experiments`` extra (Dask, Optuna), and ``report`` (matplotlib) for the chart
that ``Calibration.save`` draws.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from scsim.analysis.stats import mean_ci95
from scsim.core.params import Names
from scsim.core.rng import stream_key
from scsim.errors import ScenarioError, ScsimError
from scsim.experiments import CALIBRATION_BATCH
from scsim.experiments.design import (
    CLI,
    MAX_RUNS,
    Range,
    Spelling,
    refuse_repeated,
    replication_seed,
)
from scsim.experiments.outputs import parse_output
from scsim.experiments.tasks import run_batch
from scsim.fsutil import (
    PNG_METADATA,
    atomic_file,
    check_output_file,
    png_made_by_scsim,
    sealed,
    sealed_with,
)
from scsim.outputs.metrics import metric_columns, metric_of, never_negative
from scsim.outputs.words import counted
from scsim.scenario import Scenario, dump_yaml, load_scenario
from scsim.scenario.loader import load_unadvised
from scsim.seeds import check_seed

CALIBRATED_HEADER = "# Calibrated by scsim"  # first line of a calibrated scenario file
POOR_FIT = 0.20  # a fitted output further than this (relative) from its target is reported


@dataclass(frozen=True)
class Target:
    output: str
    value: float


def parse_target(spec: str, sc: Scenario, shown: str | None = None) -> Target:
    """``output=value`` (e.g. blocked_air_per_capita_year=0.0129) -> Target. A negative
    value is refused for an output that cannot be negative (a count, a share...); a value
    of 0 is fitted by absolute error (see ``loss_of``). Problems begin with ``shown``, the
    target as the caller gave it (by default ``--target SPEC``)."""
    name, _, raw = spec.partition("=")
    shown = shown or f"--target {spec}"
    try:
        value = float(raw)
    except ValueError:
        raise ScsimError(f"{shown}: expected OUTPUT=NUMBER") from None
    if not math.isfinite(value):
        raise ScsimError(f"{shown}: the value must be finite")
    column, _stat = parse_output(name.strip(), metric_columns(Names.of(sc)))
    if value < 0 and never_negative(column):
        raise ScsimError(f"{shown}: {name.strip()} cannot be negative")
    bound = highest(column, _stat, sc.population.agents)
    if bound is not None and value > bound[0]:
        raise ScsimError(f"{shown}: {name.strip()} cannot be above {bound[0]:,g} "
                         f"({bound[1]}): no parameter can reach it")
    return Target(name.strip(), value)


SHARES = ("share", "share of the group", "0-1")  # metric units that stay within [0, 1]
LEVELS = ("final", "mean", "max")  # statistics that stay within a metric's daily range


def highest(column: str, stat: str, agents: int) -> tuple[float, str] | None:
    """The highest value output ``column``_``stat`` can take in a run of ``agents``
    agents, with why, where a metric's unit bounds it: a share on any day is at most 1, a
    stock of agents at most ``agents`` (per agent, 1); None where nothing does."""
    m = metric_of(column)
    if m is None:
        return None
    if m.unit in SHARES and stat in LEVELS:
        return 1.0, "a share"
    if m.unit == "agents" and stat in LEVELS:
        return float(agents), f"the run has {agents:,} agents"
    if m.unit == "agents" and stat == "per_capita_mean":
        return 1.0, "a share of the agents"
    return None


def merge_targets(given: list[Target], preset: list[Target]
                  ) -> tuple[list[Target], list[Target]]:
    """The targets to fit: the ``given`` ones (``--target``; an output given twice is
    refused), then the ``preset``'s, except those of an output given explicitly, which
    the explicit target replaces. Returns (targets, the preset's replaced targets)."""
    refuse_repeated([t.output for t in given], "--target")
    explicit = {t.output for t in given}
    replaced = [t for t in preset if t.output in explicit]
    return [*given, *(t for t in preset if t.output not in explicit)], replaced


@dataclass
class Calibration:
    """What a calibration found: the best parameters, its fitted outputs against the
    targets, every trial, and the calibrated scenario; with what was asked (parameters,
    targets, replications per trial, seed). ``save`` writes the scenario and a chart."""

    best_params: dict[str, Any]
    fit: pd.DataFrame  # output, target, fitted (mean), ci95, relative error
    trials: pd.DataFrame  # one row per trial: parameters, loss, state
    scenario: Scenario
    loss: float = field(default=math.nan)
    params: list[Range] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    reps: int = 0
    seed: int = 0

    def __repr__(self) -> str:
        best = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in self.best_params.items())
        return (f"Calibration({self.scenario.name}, {counted(len(self.trials), 'trial')}, "
                f"loss {self.loss:.3g}, best {best or 'none'})")

    def _repr_html_(self) -> str:
        from scsim.outputs.display import calibration_html

        return calibration_html(self)

    def header(self) -> str:
        """The first line of the calibrated scenario file: what it was fitted to, how, and
        which targets it misses by more than ``POOR_FIT``."""
        missed = self.poor_fits()
        return (CALIBRATED_HEADER + ": "
                + "; ".join(f"{t.output}={t.value:g}" for t in self.targets)
                + f" ({counted(len(self.trials), 'trial')} x "
                  f"{counted(self.reps, 'replication')}, seed {self.seed})"
                + ("; NOT REPRODUCED: " + ", ".join(
                    f"{r.output} {miss(r.fitted, r.target)}" for r in missed.itertuples())
                   if len(missed) else ""))

    def poor_fits(self, limit: float = POOR_FIT) -> pd.DataFrame:
        """The rows of ``fit`` whose fitted mean is more than ``limit`` (relative; absolute
        for a target of 0) from its target."""
        off = np.where(self.fit["target"] != 0, self.fit["relative_error"],
                       self.fit["fitted"] - self.fit["target"])
        return self.fit[np.abs(off) > limit]

    def warnings(self, ranges_option: str = "the --param ranges") -> list[str]:
        """One line per target the calibrated scenario misses by more than ``POOR_FIT``,
        saying what to try (``ranges_option``: what the ranges are called, ``the --param
        ranges`` in the CLI, ``ranges=`` in Python)."""
        lines = [f"{row.output} is {row.fitted:.4g}, {miss(row.fitted, row.target)} off "
                 f"its target {row.target:g} (more than {POOR_FIT:.0%}): the calibrated "
                 f"scenario does not reproduce it (widen {ranges_option}, add parameters "
                 "or trials)" for row in self.poor_fits().itertuples()]
        losses = (self.trials["value"].dropna() if "value" in self.trials
                  else pd.Series(dtype=float))
        if len(losses) > 1 and losses.nunique() == 1:
            outputs = ", ".join(t.output for t in self.targets) or "the outputs"
            lines.append(
                f"every trial gave the same loss ({losses.iloc[0]:.4g}): the parameters did "
                f"not move {outputs} within these ranges, so the best parameters are the "
                f"first trial's, not a fit (widen {ranges_option}, or choose parameters "
                "that move the targets)")
        return lines

    def save(self, path: str | os.PathLike, *, force: bool = False) -> tuple[Path, Path]:
        """Write the calibrated scenario as YAML at ``path`` (headed by ``header()``, sealed
        by a last comment line with its checksum: ``fsutil.sealed``) and
        the chart of every trial's loss next to it (same name, ``.png``); each file is
        written whole or not at all. An existing file is replaced only with ``force``, and
        the YAML only if scsim wrote it and nobody changed it since. Returns both paths.
        Needs the ``report`` extra."""
        from scsim.experiments.charts import calibration_chart
        from scsim.report import DPI

        yaml_path, png_path = check_calibration_output(path, force=force)
        chart = calibration_chart(self, self.params)
        with atomic_file(yaml_path) as tmp:
            tmp.write_text(sealed(self.header() + "\n" + dump_yaml(self.scenario)),
                           encoding="utf-8")
        with atomic_file(png_path) as tmp:
            chart.figure.savefig(tmp, format="png", dpi=DPI, metadata=PNG_METADATA)
        return yaml_path, png_path


def miss(fitted: float, target: float, digits: int = 0) -> str:
    """How far ``fitted`` is from ``target``: relative ("+81%", with ``digits`` decimals),
    absolute for a target of 0 ("+0.04867"), as ``loss_of`` measures it."""
    if target:
        return f"{(fitted - target) / abs(target):+.{digits}%}"
    return f"{fitted - target:+.4g}"


def check_calibration_output(path: str | os.PathLike, *, force: bool = False
                             ) -> tuple[Path, Path]:
    """The resolved paths ``Calibration.save`` would write (the YAML, and the chart with
    ``.png``) if it may: ``path`` ends in .yaml or .yml (so that the two are never one
    file), and each is missing, or with ``force`` an earlier scsim output; otherwise a
    ScsimError. Nothing is touched: call it before calibrating."""
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ScsimError(f"{path}: the calibrated scenario is written as YAML, with its chart "
                         "beside it (same name, .png): give a name ending in .yaml or .yml")
    return (check_output_file(path, force=force, ours=sealed_with(CALIBRATED_HEADER)),
            check_output_file(path.with_suffix(".png"), force=force, ours=png_made_by_scsim))


def loss_of(means: dict[str, float], targets: list[Target]) -> float:
    """Mean squared relative error (absolute error where a target is 0)."""
    errors = [(means[t.output] - t.value) / (abs(t.value) if t.value else 1.0)
              for t in targets]
    return float(np.mean(np.square(errors)))


def _suggest(trial: optuna.Trial, r: Range) -> float | int:
    if r.integer:
        return trial.suggest_int(r.key, int(r.low), int(r.high), log=r.log)
    return trial.suggest_float(r.key, r.low, r.high, log=r.log)


SAMPLER_SEEDS = 2**32  # Optuna's samplers take a seed from 0 to 2**32 - 1


def sampler_seed(seed: int) -> int:
    """The seed of Optuna's sampler in a calibration seeded ``seed`` (0 to 2**63 - 1, as
    any scsim seed): ``seed`` itself below 2**32, which is all Optuna takes; above, the top
    32 bits of scsim's own hash of it (``core.rng.stream_key(seed, "calibration-sampler")``),
    deterministic. The replications keep ``seed`` itself (``replication_seed``)."""
    seed = check_seed(seed)
    if seed < SAMPLER_SEEDS:
        return seed
    return int(stream_key(seed, "calibration-sampler")) >> 32


def check_calibration(params: list[Range], targets: list[Target], *, trials: int,
                      reps: int, seed: int, batch: int = CALIBRATION_BATCH,
                      spelling: Spelling = CLI) -> int:
    """Refuse what a calibration cannot run, with one ScsimError, before any cluster
    starts: a seed out of range (``check_seed``), no parameter or no target, one given
    twice, fewer than one trial, replication or trial a batch, each named as the caller
    names it (``spelling``). Returns the seed (an int)."""
    seed = check_seed(seed)
    if not params or not targets:
        raise ScsimError(f"calibration needs at least one parameter range ({spelling.param}) "
                         f"and one target ({spelling.target})")
    refuse_repeated([r.key for r in params], spelling.param)
    refuse_repeated([t.output for t in targets], spelling.target)
    for setting, value in (("trials", trials), ("reps", reps), ("batch", batch)):
        if value < 1:
            raise ScsimError(f"{spelling.given(setting, value)}: must be at least 1")
    if trials * reps > MAX_RUNS:  # (--trials 10^8 ran on for days)
        raise ScsimError(f"{spelling.given('trials', trials)} × {spelling.given('reps', reps)}"
                         f" = {trials * reps:,} runs: at most {MAX_RUNS:,} in one calibration")
    return seed


def calibrate(base: Scenario, params: list[Range], targets: list[Target], *, client,
              trials: int = 100, reps: int = 2, seed: int = 0, batch: int = CALIBRATION_BATCH,
              progress=None) -> Calibration:
    """Fit ``params`` so that the mean outputs of ``reps`` replications match ``targets``
    (``check_calibration`` says what is refused); Optuna's sampler is seeded with
    ``sampler_seed(seed)``.

    Optuna is asked ``batch`` trials at a time; their replications run on the cluster
    together, and their results are told in the order of the trials once all of the batch
    are in. So each proposal depends on the seed, the batch and the results before it, not
    on the cluster's size or the order in which runs finish: the same calibration on any
    cluster. A cluster runs at most ``batch`` × ``reps`` runs at once."""
    seed = check_calibration(params, targets, trials=trials, reps=reps, seed=seed,
                             batch=batch)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=sampler_seed(seed)))
    base_data = base.model_dump(mode="json")
    outputs = [t.output for t in targets]
    seeds = [replication_seed(seed, r) for r in range(reps)]
    collected: dict[int, list[dict[str, float]]] = {}  # trial number -> outputs per rep
    finished = 0  # runs finished

    def scenario_of(trial: optuna.Trial) -> dict[str, Any] | None:
        """The scenario of a trial's parameters; None when they make no valid scenario
        (the trial fails, no run)."""
        values = {r.key: _suggest(trial, r) for r in params}
        try:
            # (its warnings told once, before: design.range_advice)
            return load_unadvised(base_data, overrides=values).model_dump(mode="json")
        except ScenarioError as exc:
            trial.set_user_attr("error", str(exc))
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            if progress is not None:
                progress()
            return None

    def run_finished() -> None:  # the bar counts trials: one per reps runs
        nonlocal finished
        finished += 1
        if finished % reps == 0 and progress is not None:
            progress()

    for first in range(0, trials, batch):
        asked = [study.ask() for _ in range(min(batch, trials - first))]
        launched = [(t, data) for t in asked if (data := scenario_of(t)) is not None]
        outcomes = run_batch(client, [(data, s) for _, data in launched for s in seeds],
                             outputs, run_finished)
        for k, (trial, _) in enumerate(launched):  # told in the order asked
            runs = collected[trial.number] = outcomes[k * reps:(k + 1) * reps]
            means = {o: float(np.mean([r[o] for r in runs])) for o in outputs}
            for o, v in means.items():
                trial.set_user_attr(o, v)
            study.tell(trial, loss_of(means, targets))
    return _summarise(study, base_data, params, targets, collected, reps, seed)


def _summarise(study, base_data, params, targets, collected, reps, seed) -> Calibration:
    """The best trial, with the spread of its replications' outputs."""
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        why = next((f": trial {t.number}: {t.user_attrs['error']}" for t in study.trials
                    if "error" in t.user_attrs), "")
        raise ScsimError(f"no calibration trial completed{why}")
    best = study.best_trial
    best_params = {r.key: best.params[r.key] for r in params}
    scenario = load_scenario(base_data, overrides=best_params)
    runs = collected[best.number]
    rows = []
    for t in targets:
        mean, half = mean_ci95([r[t.output] for r in runs])
        rows.append({"output": t.output, "target": t.value, "fitted": mean, "ci95": half,
                     "relative_error": (mean - t.value) / abs(t.value) if t.value
                     else math.nan})
    trials = study.trials_dataframe(attrs=("number", "params", "value", "state",
                                           "user_attrs"))
    return Calibration(best_params, pd.DataFrame(rows), trials, scenario, float(best.value),
                       list(params), list(targets), reps, seed)

