"""One score column when nothing can err: a run whose system can make no error
(``Names.errors`` false) keeps ``scores`` and ``scratch`` one column wide, the recorded score
being the error-free one (``core.state.clean_column``). Paired with the same run forced to
keep two columns: every output bit is the same, and so is a run continued from a
checkpoint of either width."""

from __future__ import annotations

import numpy as np
import pytest

import golden
import scsim
import scsim.world.build
from conftest import left_out_on_purpose
from scsim.core.engine import Simulation
from scsim.core.params import Names
from scsim.core.state import widths
from scsim.errors import ScsimError

# high-control with its errors switched off (no misattribution, no false report, nobody
# shielded by impunity), in 40 days of 2,000 agents: observations, true reports, listing and
# appeals, detention of relatives (down to the minimum score: clamped), companies
# penalising their representatives, family
# rewards, shunning and norms all do work.
NO_ERRORS = ["surveillance.misattribution=0", "reports.false_rate=0", "impunity.p_impunity=0",
             "listing.threshold=680", "listing.appeals.rate=0.05", "detention.threshold=600",
             "detention.probability=0.05", "companies.listing_threshold=690",
             "detention.household_penalty=25", "metrics.network_every=5"]
AGENTS, DAYS, SEED = 2000, 40, 4


def no_errors(*extra: str):
    with left_out_on_purpose(f"days={DAYS}"):  # year one only: no abolition
        return scsim.load_scenario("high-control", agents=AGENTS, days=DAYS,
                                   overrides=[*NO_ERRORS, *extra])


def digests(result) -> dict:
    return {name: {col: golden.column_digest(df[col]) for col in df.columns}
            for name, df in golden.result_tables(result).items()}


def assert_identical(got: dict, want: dict) -> None:
    diffs = golden.compare_run("one column", {"settings": {}, "tables": want},
                               {"settings": {}, "tables": got})
    assert not diffs, "\n".join(diffs)


def keep_two_columns(monkeypatch) -> None:
    """Worlds built from now on keep two score columns even when nothing can err (as
    before this change): the kernels then update the error-free column apart."""
    monkeypatch.setattr(scsim.world.build, "widths",
                        lambda names: {**widths(names), "score_columns": 2})


@pytest.fixture
def two_columns(monkeypatch):
    keep_two_columns(monkeypatch)


@pytest.fixture(scope="module")
def one_column_run():
    sim = Simulation(no_errors(), seed=SEED)
    return sim.run(), sim


def test_width_follows_whether_the_system_can_err(one_column_run):
    res, sim = one_column_run
    assert not Names.of(no_errors()).errors
    assert sim.state.agents["scores"].shape == sim.state.agents["scratch"].shape == (AGENTS, 1)
    with left_out_on_purpose("days=2"):
        erring = scsim.load_scenario("high-control", agents=500, days=2)
    assert Names.of(erring).errors
    assert Simulation(erring, seed=SEED).state.agents["scores"].shape == (500, 2)
    # the run did the work that moves or reads both scores
    m = res.metrics
    for col in ("newly_listed", "appeals_won", "reports_accepted", "points_true_sighting",
                "points_association", "points_detention_household",
                "points_representative_penalty", "points_clamping"):
        assert m[col].abs().sum() > 0, col
    np.testing.assert_array_equal(res.agents["clean_score"], res.agents["score"])


def test_one_column_gives_the_outputs_of_two(one_column_run, two_columns):
    """Paired (same seed, only the width changed): every column of every table."""
    res, _ = one_column_run
    sim = Simulation(no_errors(), seed=SEED)
    assert sim.state.agents["scores"].shape == (AGENTS, 2)
    wide = sim.run()
    assert_identical(digests(res), digests(wide))
    np.testing.assert_array_equal(sim.state.agents["scores"][:, 1],
                                  sim.state.agents["scores"][:, 0])


def test_checkpoints_of_either_width_continue(tmp_path, one_column_run, monkeypatch):
    """A one-column checkpoint continues bit for bit, and cannot be branched into a
    scenario that can err (which needs two columns and the error-free ledger); a
    two-column one (written before this change) loaded by this version keeps its width and
    continues bit for bit too."""
    want = digests(one_column_run[0])
    sim = Simulation(no_errors(), seed=SEED)
    sim.run_until(15)
    narrow = sim.save(tmp_path / "narrow")
    assert_identical(digests(Simulation.load(narrow).run()), want)
    erring = no_errors("surveillance.misattribution=0.01")
    with pytest.raises(ScsimError, match=r"must keep .*changes whether the system can err"):
        Simulation.load(narrow, scenario=erring)
    keep_two_columns(monkeypatch)
    sim = Simulation(no_errors(), seed=SEED)
    sim.run_until(15)
    wide = sim.save(tmp_path / "wide")
    monkeypatch.undo()
    loaded = Simulation.load(wide)
    assert loaded.state.agents["scores"].shape == (AGENTS, 2)
    assert_identical(digests(loaded.run()), want)

