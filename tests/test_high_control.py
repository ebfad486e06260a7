"""The built-in high-control scenario (docs/mechanisms/high-control.md): every mechanism
of the sources in year one, abolished on day 365 of two years. Paired runs (same seed):
with and without internalised norms, to see what of the chilling effect outlasts the
system because conformity stayed where the system left it."""

from __future__ import annotations

import numpy as np
import pytest

import scsim
from scsim.errors import ScenarioWarning

N, ABOLITION = 3000, 365


@pytest.fixture(scope="module")
def runs():
    def run(overrides=None):
        return scsim.simulate(scsim.load_scenario("high-control", agents=N,
                                                  overrides=overrides), seed=3).metrics
    return {"norms": run(), "no-norms": run(["norms.enabled=false"])}


def test_a_shorter_run_drops_the_abolition():
    """And says so: a notebook's ``days=100`` dropped the abolition without a word (only
    the command line warned), a day written past the file's own days being refused."""
    assert scsim.load_scenario("high-control").timeline[0].day == ABOLITION
    abolition = ("the run ends before its timeline's day 365: surveillance.enabled false, "
                 "reports.enabled false, ")
    with pytest.warns(ScenarioWarning, match=f"^days=100: {abolition}") as said:
        assert scsim.load_scenario("high-control", days=100).timeline == []
    assert len(said) == 1 and str(said[0].message).endswith(
        "perceived_surveillance.announced [0.9, 0.3, 0.3, 0.3] (left out)")  # every key
    # the same when the length is an override (`--set days=100`, the dashboard's days)
    for overrides in (["days=100"], {"days": 100}):
        with pytest.warns(ScenarioWarning, match=f"^override days=100: {abolition}"):
            assert scsim.load_scenario("high-control", overrides=overrides).timeline == []
    # a run that reaches the step keeps it, unsaid (the suite raises any ScenarioWarning)
    assert scsim.load_scenario("high-control", overrides={("days",): 400}).timeline[0].day == (
        ABOLITION)
    assert scsim.load_scenario("high-control", days=366).timeline[0].day == ABOLITION


def test_every_mechanism_works_in_year_one_and_stops_at_abolition(runs):
    m = runs["norms"]
    year, after = m.iloc[:ABOLITION], m.iloc[ABOLITION:]
    for col in ("new_detentions", "refused_transactions", "dropped_observations",
                "family_privileges_used", "children_barred", "relatives_points_lost",
                "blocked_air"):
        assert year[col].sum() > 0, col
        assert after[col].sum() == 0, col
    assert (after["detained"] == 0).all()  # abolition frees the detained
    assert (after["listed"].iloc[-30:] == 0).all()  # listings have run out their terms
    # dense announced cameras in region 0: more fear there than elsewhere, before and after
    for part in (year, after):
        assert part["fear_region_0"].mean() > part["fear_region_1"].mean() + 0.1


def test_conformity_and_part_of_the_chilling_effect_outlast_the_system(runs):
    m, control = runs["norms"], runs["no-norms"]
    kept = m["conformity_mean"].iloc[ABOLITION - 1]
    assert kept > m["conformity_mean"].iloc[0] + 0.2
    assert (m["conformity_mean"].iloc[ABOLITION:] == kept).all()
    last = slice(-60, None)  # a year after abolition, with nobody listed any more
    assert m["deterrence_mean"].iloc[last].mean() > 0.05
    assert (m["deterrence_mean"].iloc[last]
            > control["deterrence_mean"].iloc[last]).all()
    # fear itself has settled to the same level (κ · the cameras people see) in both
    np.testing.assert_allclose(m["fear_mean"].iloc[last], control["fear_mean"].iloc[last],
                               rtol=1e-3)
    assert m["penalised_acts"].iloc[last].sum() < control["penalised_acts"].iloc[last].sum()
