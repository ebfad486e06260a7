"""Shared helpers: a bare scenario (every mechanism off) that each test extends, the path
of the shared ego-Facebook network, and the scsim command run in this process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scsim.cli import main
from scsim.engine import Simulation
from scsim.scenario.loader import load_scenario, merge

REPO = Path(__file__).resolve().parents[1]
EGO_FACEBOOK = REPO.parent / "shared" / "data" / "ego-facebook.edges"

BARE = {
    "name": "bare",
    "days": 30,
    "population": {
        "agents": 20_000,
        "household_size": 1.0,
        "propensity_sigma": 0.0,
        "conformity": {"mean": 1.0, "sigma": 0.0},
        "malice": {"mean": 1.0, "sigma": 0.0},
    },
    "network": {"kind": "erdos_renyi", "mean_degree": 6, "family_ties": False,
                "work_degree": 0},
    "surveillance": {"channels": {"camera": {"coverage": 0.5}}},
    "reports": {"enabled": False},
    "scoring": {"s0": 1000, "min": 0, "max": 2000},
    "listing": {"enabled": False},
    "sanctions": {"enabled": False},
    "privileges": {"enabled": False},
    "shaming": {"enabled": False},
    "fear": {"enabled": False},
    "companies": {"enabled": False, "per_1000_agents": 0},
}


def bare(**sections):
    """The bare scenario with ``sections`` deep-merged in (lists of named items by name)."""
    return load_scenario(merge(BARE, sections))


def run(sc, seed: int = 1):
    """Run and return (result, simulation) so tests can look at the final state."""
    sim = Simulation(sc, seed=seed)
    return sim.run(), sim


@pytest.fixture(scope="session")
def ego_facebook() -> Path:
    assert EGO_FACEBOOK.is_file(), f"the shared network is missing: {EGO_FACEBOOK}"
    return EGO_FACEBOOK


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the scsim command in this process: (exit code, stdout, stderr with runs of
    whitespace made single spaces, as Rich wraps long lines)."""
    monkeypatch.setattr(sys, "argv", ["scsim", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())
