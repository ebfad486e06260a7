"""Perceived surveillance (src/scsim/mechanisms/perceived_surveillance.py,
docs/mechanisms/perceived-surveillance.md): fear also moves toward κ · the coverage
announced in one's region.

Without listings adapt's target is 0 (no listed neighbours, no threshold), so fear follows
f(d+1) = (1 - s) f(d) + s κ c_r exactly: after day d, f = κ c_r (1 - (1 - s)^(d+1)), the
same for every agent of region r; the announced coverage, not the real one, is what counts.
A penalised behaviour is then deterred by 1 - exp(-conformity · f) (conformity 1)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import BARE, bare, run
from scsim.errors import ScenarioError
from scsim.scenario.loader import merge
from scsim.scenario.schema import Scenario

T, SPEED, KAPPA, REAL = 40, 0.1, 0.9, 0.5
ANNOUNCED = [0.2, 0.8]


def scenario(perceived: dict | None, rate: float = 0.0):
    more = {} if perceived is None else {"perceived_surveillance": perceived}
    return bare(days=T, regions={"count": 2}, surveillance={"channels": {
                    "camera": {"coverage": REAL}}},
                fear={"enabled": True, "speed": SPEED},
                behaviours=[{"name": "jaywalk", "rate": rate, "delta": 0,
                             "penalised": True, "channel": "camera"}], **more)


def expected_fear(coverage: float) -> np.ndarray:
    days = np.arange(1, T + 1)
    return KAPPA * coverage * (1.0 - (1.0 - SPEED) ** days)


def test_fear_follows_the_announced_coverage_of_each_region():
    res, _ = run(scenario({"enabled": True, "kappa": KAPPA, "announced": ANNOUNCED}))
    m, a = res.metrics, res.agents
    for r, c in enumerate(ANNOUNCED):
        np.testing.assert_allclose(m[f"fear_region_{r}"], expected_fear(c), rtol=1e-5)
        np.testing.assert_allclose(m[f"deterrence_region_{r}"],
                                   1.0 - np.exp(-expected_fear(c)), rtol=1e-5)
        np.testing.assert_allclose(a.loc[a["region"] == r, "fear"], expected_fear(c)[-1],
                                   rtol=1e-5)
    # nothing announced: the real coverage of the channel
    real, _ = run(scenario({"enabled": True, "kappa": KAPPA}))
    for r in (0, 1):
        np.testing.assert_allclose(real.metrics[f"fear_region_{r}"], expected_fear(REAL),
                                   rtol=1e-5)


def test_paired_announced_surveillance_deters_acts():
    """Same seed, switch on / off: acts of the penalised behaviour fall by the deterrence
    factor, more where more coverage is announced; off, fear stays 0 and no column is
    added."""
    lam = 0.5
    on, _ = run(scenario({"enabled": True, "kappa": KAPPA, "announced": ANNOUNCED}, lam))
    off, _ = run(scenario(None, lam))
    assert (off.metrics["fear_mean"] == 0).all()
    assert not any(c.startswith(("fear_region", "deterrence_region"))
                   for c in off.metrics.columns)
    n_region = (on.agents["region"] == 0).sum()
    for r, c in enumerate(ANNOUNCED):
        acts_on = on.agents.loc[on.agents["region"] == r, "acts_jaywalk"].sum()
        acts_off = off.agents.loc[off.agents["region"] == r, "acts_jaywalk"].sum()
        # today's acts are drawn with yesterday's fear
        fear = np.concatenate([[0.0], expected_fear(c)[:-1]])
        mean = lam * n_region * np.exp(-fear).sum()
        assert abs(acts_on - mean) <= 4.5 * math.sqrt(mean), (r, acts_on, mean)
        assert acts_on < acts_off
    pd.testing.assert_series_equal(on.metrics["fear_mean"],
                                   on.metrics[["fear_region_0", "fear_region_1"]].mean(
                                       axis=1), check_names=False, rtol=1e-4)


def test_announced_for_another_number_of_regions_is_refused_even_while_off():
    """Three values for two regions passed validation while the mechanism was off (or set
    alone on a timeline), and the run died broadcasting them (internal error)."""
    wrong = {"announced": [0.5, 0.5, 0.5]}
    with pytest.raises(ScenarioError) as off:
        scenario(wrong)
    assert off.value.problems == ["perceived_surveillance.announced: 3 values for 2 regions"]
    with pytest.raises(ScenarioError) as later:
        bare(days=T, regions={"count": 2}, timeline=[
            {"day": 5, "set": {"perceived_surveillance.announced": wrong["announced"]}}])
    assert later.value.problems == [
        "timeline[0].set.perceived_surveillance.announced: 3 values for 2 regions"]


def test_a_mechanism_left_off_compiles_without_its_announced_coverage():
    """Off, the announced values are not compiled at all (a scenario built without the
    loader's checks compiles, its pull 0 in every region); a run checks the scenario again
    (``scenario.loader.as_scenario``) and refuses it with the loader's words."""
    from scsim.core.params import Names
    from scsim.mechanisms.perceived_surveillance import compile_perceived

    data = merge(BARE, {"days": 5, "regions": {"count": 2},
                        "perceived_surveillance": {"announced": [0.5, 0.5, 0.5]},
                        "behaviours": [{"name": "jaywalk", "rate": 0.1, "delta": -1,
                                        "channel": "camera"}]})
    sc = Scenario.model_validate(data)
    off = compile_perceived(sc, Names.of(sc))
    assert not off.on and off.pull.tolist() == [0.0, 0.0]
    with pytest.raises(ScenarioError, match=r"perceived_surveillance\.announced: 3 values "
                                            r"for 2 regions"):
        run(sc)
