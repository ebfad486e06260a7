"""Population scale (MODEL.md): each agent stands for k people; counts are reported scaled,
per-capita figures unchanged, the summary in national terms."""

from __future__ import annotations

import pandas as pd
import pytest

import scsim
from conftest import run_cli
from scsim.analysis.published import POPULATION_2018, ticket_figures
from scsim.outputs.headline import people
from scsim.outputs.scale import scales
from scsim.store import open_store

K = 1400.0
BUSY = {"listing.threshold": 695, "sanctions.travel.air_rate": 0.05}  # listings in 60 days


@pytest.fixture(scope="module")
def national():
    return scsim.simulate(scsim.load_scenario("national-800", agents=4000, days=60,
                                              overrides={"population.scale": K, **BUSY}),
                          seed=3)


def test_counts_scale_and_per_capita_figures_do_not(national):
    m, scaled = national.metrics, national.scaled_metrics
    for col in ("listed", "newly_listed", "blocked_air", "acts_bad_driving", "misattributions",
                "ties_severed", "corp_listed", "tax_take"):
        assert scales(col), col
        pd.testing.assert_series_equal(scaled[col], m[col] * K)
    for col in ("day", "score_mean", "score_sd", "score_gini", "fear_mean", "lcc_frac",
                "listed_rate_majority", "di_minority", "score_assortativity"):
        assert not scales(col), col
        pd.testing.assert_series_equal(scaled[col], m[col])
    assert m["blocked_air"].sum() > 0 and m["listed"].iloc[-1] > 0
    # The simulation itself does not depend on the scale.
    plain = scsim.simulate(scsim.load_scenario("national-800", agents=4000, days=60,
                                               overrides=BUSY), seed=3)
    pd.testing.assert_frame_equal(plain.metrics, m)


def test_summary_in_national_terms(national):
    s = national.summary().set_index("figure")
    m, n, years = national.metrics, 4000, 60 / 365
    assert s.loc["people represented", "value"] == n * K
    assert s.loc["people represented", "note"] == "4,000 agents × 1,400"  # was "x 1400"
    assert s.loc["listed now", "value"].iloc[-1] == m["listed"].iloc[-1] * K
    air = s.loc["blocked air tickets per year, millions"]
    assert air["value"] == pytest.approx(m["blocked_air"].sum() * K / years / 1e6)
    for f in ticket_figures("air"):
        assert f"{f.count / 1e6:.3g} ({f.reading})" in air["note"]  # as published
        assert f.count / POPULATION_2018 == pytest.approx(f.value, abs=5e-5)  # its rate
    unscaled = scsim.simulate(scsim.load_scenario("national-800", agents=2000, days=5), seed=1)
    assert "national terms" not in set(unscaled.summary()["section"])


def test_run_prints_national_terms(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    code, out, _ = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "3000",
                           "--days", "30", "--set", "population.scale=1400",
                           "--set", "listing.threshold=690")  # some listed in 30 days
    assert code == 0, out
    # The headline reads in national terms: 3,000 agents × 1,400 = 4.2 million people, and
    # the 2018 counts of 1.4 billion people in millions, as published (18 and 5.5 as the
    # seed states them, 8.1 and 1.8 from the series: not back from rounded rates, which
    # gave 18.1 and 5.46).
    words = " ".join(out.split())  # Rich wraps at the terminal's 200 columns
    assert "Blocked travel, in national terms" in words
    assert "for the 4.2 million people" in words
    # the list: agents, and the people they stand for (not "of 3,000 people")
    res = open_store(tmp_path / "store").load("last")
    ever = int((res.agents["times_listed"] > 0).sum())
    assert ever > 0 and (f"Listed: {ever:,} of 3,000 agents ({100 * ever / 3000:.1f} %) at "
                         f"some point in 30 days, about {people(ever * 1400)} of the 4.2 "
                         "million people they stand for;") in words
    assert "China 2018: 18 and 5.5 million as seed 003 states it, 8.1 and 1.8 million" in words
    code, out, _ = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "3000",
                           "--days", "30", "--set", "population.scale=1400", "--full")
    assert code == 0, out
    assert "national terms" in out and "blocked air tickets per year, millions" in out
    assert "18 (seed) / 8.1 (series)" in out  # the 2018 figures, in millions, as published
    assert "4,200,000" in out  # people represented
