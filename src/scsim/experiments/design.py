"""Experimental designs: full grids, parameter ranges, Latin-hypercube samples, and the
seeds of replications.

Replication r of every cell runs with the same seed, derived from the experiment's seed and
r alone, so cells are paired: with counter-based random numbers they differ only by their
parameters (common random numbers), as in a paired comparison.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import qmc

from scsim.core.rng import stream_key
from scsim.errors import ScenarioError, ScenarioWarning, ScsimError
from scsim.outputs.words import counted
from scsim.scenario.loader import parse_assignment
from scsim.scenario.paths import get_path, parse_path

if TYPE_CHECKING:
    from scsim.scenario import Scenario

_RANGE = re.compile(r"^\s*([^=]+?)\s*=\s*([^.]+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*\.\.\s*"
                    r"([^:]+?)\s*(?::\s*(log|linear))?\s*$")


@dataclass(frozen=True)
class Range:
    """A parameter varied over [low, high]: on a log scale when ``log`` (the default for
    positive ranges spanning a factor of 100 or more), as integers when the scenario's
    value there is one."""

    key: str
    low: float
    high: float
    log: bool
    integer: bool

    def value(self, u: float) -> float | int:
        """The parameter value at quantile ``u`` in [0, 1] of the range."""
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        if self.integer:
            return min(int(self.low + u * (self.high - self.low + 1)), int(self.high))
        return float(x)

    def __str__(self) -> str:
        return f"{self.key}={self.low:g}..{self.high:g}{':log' if self.log else ''}"


def _number(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ScsimError(f"{spec}: '{text}' is not a number") from None


def _numeric_range(spec: str) -> bool:
    """Whether ``spec`` is ``KEY=LOW..HIGH`` with numbers at both ends (``parse_range``'s
    syntax; ``name=a..b`` is text)."""
    m = _RANGE.match(spec)
    try:
        return m is not None and all(math.isfinite(float(end)) for end in m.group(2, 3))
    except ValueError:
        return False


def valid_scenario(base: dict, values: dict[str, Any], what: str):
    """``base`` (a scenario as a mapping) with ``values`` (dotted path -> value) set, as a
    Scenario; if that is not a valid scenario, a ScsimError saying that ``what`` (a cell,
    a range's end...) is not, with the first problem. The one check of parameter values
    that sweep, calibrate and sensitivity make before they run anything. The loader's
    warnings are not given here, cell by cell: a design tells them once (``sweep.advice``,
    ``range_advice``)."""
    from scsim.scenario.loader import load_unadvised

    try:
        return load_unadvised(base, overrides=values)
    except ScenarioError as exc:
        raise ScsimError(f"{what} is not a valid scenario: {exc.problems[0]}") from None


def inert_keys(scenarios: Iterable[Scenario], keys: list[str]) -> dict[str, str]:
    """The ``keys`` (dotted paths a design varies) that do nothing in every one of
    ``scenarios``, each with why (``scenario.advice``): ``shaming.probability`` while
    shaming is off gives the same results wherever it is set. Empty as soon as every key
    does something in one of them."""
    from scsim.scenario.advice import inert_settings

    paths = {parse_path(key): key for key in keys}
    own = {path[:cut] for path in paths for cut in range(1, len(path) + 1)}
    inert: dict[str, str] | None = None
    for sc in scenarios:
        found = {paths[tuple(path)]: sentence for path, sentence in
                 inert_settings(sc, own=own) if tuple(path) in paths}
        inert = found if inert is None else {k: v for k, v in inert.items() if k in found}
        if not inert:
            return {}
    return inert or {}


def with_left_out(base: dict, values: dict[str, Any]) -> tuple[Scenario, str | None]:
    """``base`` (a scenario as a mapping) with ``values`` set (``load_advised``), and the
    timeline steps that a ``days`` among the values leaves out, in words ("the run ends
    before its timeline's day 365: … (left out)"; None when it leaves none out), which a
    design tells once, not cell by cell. The load's other advice is issued as it comes."""
    from scsim.scenario.loader import LEFT_OUT, load_advised

    sc, advice = load_advised(base, overrides=values)
    told = None
    for line in advice:
        if LEFT_OUT in line:
            told = line[line.index(LEFT_OUT):]  # (after the option that gave it)
        else:
            warnings.warn(ScenarioWarning(line), stacklevel=2)
    return sc, told


def range_advice(base: Scenario, params: list[Range]) -> list[str]:
    """What to tell of a sensitivity analysis or a calibration before it runs: the
    parameters that do nothing at either end of their ranges (all at their lowest, then
    all at their highest), each with why (``inert_keys``: their runs are spent for an
    index of 0, or a fit that cannot move), and the timeline steps that a range of
    ``days`` leaves out at an end (each trial's load warned on its own, or not at all)."""
    data = base.model_dump(mode="json")
    ends, left_out = [], {}
    for u, end in ((0.0, "lowest"), (1.0, "highest")):
        values = {r.key: r.value(u) for r in params}
        valid_scenario(data, values, f"the {end} ends of the ranges")  # (what is wrong)
        sc, told = with_left_out(data, values)
        ends.append(sc)
        if told is not None:
            left_out.setdefault(told, f"days={values['days']:,} (the {end} end of its range)")
    return [*(f"{key} does nothing at either end of its range: {sentence}"
              for key, sentence in inert_keys(ends, [r.key for r in params]).items()),
            *(f"{where}: {told}" for told, where in left_out.items())]


def parse_range(spec: str, base: dict) -> Range:
    """``key=lo..hi`` (optionally ``:log`` or ``:linear``) -> Range; ``base`` is the
    scenario (as a mapping) whose value at ``key`` says whether the range is of integers.
    Both ends must give a valid scenario (``valid_scenario``), so that nothing runs with a
    value the scenario refuses."""
    m = _RANGE.match(spec)
    if not m:
        raise ScsimError(f"{spec}: expected KEY=LOW..HIGH, e.g. scoring.recovery=0..0.01")
    key, lo_text, hi_text, scale = m.groups()
    key = key.strip()
    low, high = _number(lo_text, spec), _number(hi_text, spec)
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ScsimError(f"{spec}: needs finite LOW < HIGH")
    if scale == "log" and low <= 0:
        raise ScsimError(f"{spec}: a log scale needs LOW > 0")
    log = scale == "log" or (scale is None and low > 0 and high / low >= 100)
    try:
        current = get_path(base, parse_path(key))
    except ScenarioError as exc:
        valid_scenario(base, {key: low}, spec)  # names an unknown key as sweep --grid does
        # a known key that this scenario leaves unset (court-blacklist's threshold read
        # "invalid scenario: listing.threshold: not set")
        raise ScsimError(f"{spec}: {'; '.join(exc.problems)} in this scenario (it has no "
                         f"value to vary from: set one first, e.g. --set {key}=VALUE, or "
                         f"overrides= from Python)") from None
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise ScsimError(f"{spec}: {key} is not a number in the scenario")
    found = Range(key, low, high, log, isinstance(current, int))
    for end, u in (("low", 0.0), ("high", 1.0)):
        valid_scenario(base, {key: found.value(u)}, f"{spec}: its {end} end")
    return found


@dataclass(frozen=True)
class Spelling:
    """How the caller names an experiment's settings in its messages: the command line's
    options (``CLI``) or the Python API's arguments (``PYTHON``)."""

    param: str
    samples: str
    target: str
    trials: str
    reps: str
    batch: str

    def given(self, setting: str, value: Any) -> str:
        """``value`` as the caller gave it: ``--samples 3``, or ``samples=3``."""
        option = getattr(self, setting)
        return f"{option}{value!r}" if option.endswith("=") else f"{option} {value}"


CLI = Spelling(param="--param", samples="--samples", target="--target", trials="--trials",
               reps="--reps", batch="--batch")
PYTHON = Spelling(param="ranges=", samples="samples=", target="targets=", trials="trials=",
                  reps="reps=", batch="batch=")


def refuse_repeated(keys: list[str], option: str) -> None:
    """A ScsimError naming the first key given twice (``option``: the flag, as --grid)."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ScsimError(f"{option} {key}: given twice")
        seen.add(key)


def parse_ranges(specs: list[str], base: dict, option: str = "--param") -> list[Range]:
    """Every ``parse_range`` of ``specs``; a key given twice is refused before anything
    runs (``option`` names the flag in the message)."""
    ranges = [parse_range(spec, base) for spec in specs]
    refuse_repeated([r.key for r in ranges], option)
    return ranges


def parse_grid(specs: list[str]) -> dict[str, list[Any]]:
    """``key=v1,v2,v3`` items -> {key: [values]}, each value read as ``--set`` reads one
    (``scenario.loader.parse_assignment``: YAML, or the text where it is not YAML)."""
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        if not spec.split("=", 1)[0].strip() or "=" not in spec:  # (=1,2: no key)
            raise ScsimError(f"--grid {spec}: expected KEY=V1,V2,...")
        key, raw = spec.split("=", 1)
        if _numeric_range(spec):  # 600..650: a range, which a grid does not take
            raise ScsimError(f"--grid {spec}: a grid lists values ({key.strip()}=V1,V2,...); "
                             f"a range is drawn from with --range {spec.strip()} and "
                             "--sample N (N cells)")
        items = raw.split(",")
        if len(items) > 1 and not all(v.strip() for v in items):  # (600,,650: a value lost)
            raise ScsimError(f"--grid {spec}: an empty value between commas; write "
                             f"{key.strip()}=V1,V2,... with a value between each two commas")
        texts = [v.strip() for v in items if v.strip()]
        values = [parse_assignment(f"{key.strip()}={text}", "--grid")[1] for text in texts]
        if not values:
            raise ScsimError(f"--grid {spec}: no values")
        refuse_repeated([*grid, key.strip()], "--grid")
        for k, value in enumerate(values):
            if value in values[:k]:
                raise ScsimError(f"--grid {key.strip()}: {texts[k]} given "
                                 "twice (a repeated value runs the same cell again; "
                                 "--reps adds replications)")
        grid[key.strip()] = values
    return grid


MAX_RUNS = 1_000_000
"""Runs one sweep may plan (cells × replications): each is a task on the cluster and a row
of the catalogue, and beyond, the plan itself outgrows the machine (--reps 10^11 was an
internal error from the catalogue, --sample 10^12 asked for 7 TiB)."""


def check_runs(cells: int, reps: int) -> None:
    """Refuse a sweep of more than ``MAX_RUNS`` runs, saying how many it would be."""
    if cells * reps > MAX_RUNS:
        raise ScsimError(f"a sweep of {counted(cells, 'cell')} × {counted(reps, 'replication')}"
                         f" = {cells * reps:,} runs: at most {MAX_RUNS:,} runs in one sweep "
                         "(split it, or draw fewer cells)")


def grid_cells(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, first key varying slowest (at most
    ``MAX_RUNS`` of them)."""
    check_runs(math.prod(len(values) for values in grid.values()), 1)
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(
        *(grid[k] for k in keys))]


def latin_hypercube(ranges: list[Range], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` cells from a Latin-hypercube sample of the ranges (scipy.stats.qmc)."""
    if n < 1:
        raise ScsimError("--sample must be at least 1")
    check_runs(n, 1)
    unit = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(n)
    return [{r.key: r.value(u[k]) for k, r in enumerate(ranges)} for u in unit]


def replication_seed(base_seed: int, rep: int) -> int:
    """The seed of replication ``rep``: the same for every cell of an experiment."""
    if rep == 0:
        return int(base_seed)
    return int(stream_key(base_seed, "replication", rep)) >> 1  # 63 bits, non-negative


def cell_label(cell: dict[str, Any]) -> str:
    """A short stable label for a cell: key=value pairs."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in cell.items()) or "(base)"

