"""court-blacklist against the published figures of its list (MODEL.md, "Calibration
targets"): the stock (0.0095 listed), new listings (0.0018 per person per year) and removals
(0.0020) together, starting from the stock (initial state). The slow test is the claim
(mean of 5 seeds, 10^5 agents, one year, each within 15 %); the fast one checks one seed
against the figures with a tolerance of the Poisson noise of its counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scsim
from scsim.analysis.published import PRESETS
from scsim.experiments.outputs import evaluate

TARGETS = {f.output: f.value for f in PRESETS["list-stock-flows"]}


def list_figures(agents: int, seeds: range) -> dict[str, list[float]]:
    """Stock, inflow and outflow of court-blacklist per seed (one year)."""
    sc = scsim.load_scenario("court-blacklist", agents=agents, days=365)
    out: dict[str, list[float]] = {name: [] for name in TARGETS}
    for seed in seeds:
        figures = evaluate(scsim.simulate(sc, seed=seed).metrics, agents, list(TARGETS))
        for name, value in figures.items():
            out[name].append(value)
    return out


def report(figures: dict[str, list[float]]) -> dict[str, float]:
    means = {name: float(np.mean(v)) for name, v in figures.items()}
    for name, mean in means.items():
        print(f"{name}: {mean:.5f} (published {TARGETS[name]:.4f}, "
              f"{mean / TARGETS[name] - 1:+.1%})")
    return means


@pytest.mark.slow
def test_court_blacklist_reproduces_stock_inflow_and_outflow():
    means = report(list_figures(100_000, range(5)))
    for name, mean in means.items():
        assert abs(mean / TARGETS[name] - 1) <= 0.15, name


def test_court_blacklist_list_figures_one_seed():
    """One seed at 10^5 agents: each flow within 4.5 Poisson sd of its published rate (about
    180 and 200 events a year), the stock within 15 %."""
    n = 100_000
    means = report(list_figures(n, range(1)))
    for name, mean in means.items():
        if name.endswith("_per_capita_year"):
            sd = math.sqrt(TARGETS[name] * n) / n
            assert abs(mean - TARGETS[name]) <= 4.5 * sd, name
        else:
            assert abs(mean / TARGETS[name] - 1) <= 0.15, name
