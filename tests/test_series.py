"""The daily series by group and by region (``groups.parquet``, ``regions.parquet``): every
listing and score figure of the metrics, per group and per region (MODEL.md, "What a run
reports"; docs/provenance.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.core.engine import Simulation
from scsim.mechanisms.score import PERCENTILES
from scsim.outputs.distribution import QUANTILES, binned_gini, binned_percentiles
from scsim.outputs.provenance import MAX_BINS, disparate_impact, score_bins

# Short listings at a threshold near the mean score, and face-matching errors: every day
# lists, delists and lists wrongfully, in both groups and all eight regions.
SETTINGS = {"agents": 6000, "days": 40,
            "overrides": ["surveillance.misattribution=0.1", "listing.threshold=695",
                          "listing.duration=5"]}


@pytest.fixture(scope="module")
def res():
    return Simulation(scsim.load_scenario("national-800", **SETTINGS), seed=7).run()


def exact_gini(x: np.ndarray) -> float:
    """Gini coefficient of the values x (mean absolute difference over twice the mean)."""
    x = np.sort(x)
    n = len(x)
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * x.sum()))


def by_day(table: pd.DataFrame, column: str) -> np.ndarray:
    return table.groupby("day")[column].sum().to_numpy()


def test_the_series_add_up_to_the_daily_metrics(res):
    """Per day, the groups (regions) of a count add up to its metric; each row's tiers add
    up to its agents, who are the agents of that group (region) in the agents table."""
    m = res.metrics
    assert m["delisted"].sum() > 30 and m["wrongful_new"].sum() > 10
    for table, key in ((res.groups, "group"), (res.regions, "region")):
        assert table["delisted"].dtype == np.int64 and table["tier_a"].dtype == np.int64
        for column in ("listed", "wrongful_listed", "newly_listed", "wrongful_new",
                       "delisted"):
            assert (by_day(table, column) == m[column].to_numpy()).all(), (key, column)
        for tier in res.names.tiers:
            assert (by_day(table, f"tier_{tier}") == m[f"tier_{tier}"].to_numpy()).all()
        tiers = table[[f"tier_{t}" for t in res.names.tiers]].sum(axis=1)
        assert (tiers == table["agents"]).all()
        size = res.agents[key].astype(str).value_counts()
        assert (table["agents"].to_numpy() == size[table[key].astype(str)].to_numpy()).all()
        assert table["listed_share"].to_numpy() == pytest.approx(
            (table["listed"] / table["agents"]).to_numpy())
    # Each group's listed share and its ratio to the reference group's are the metrics'.
    for g in res.names.groups:
        rows = res.groups[res.groups["group"] == g]
        assert rows["listed_share"].to_numpy() == pytest.approx(
            m[f"listed_rate_{g}"].to_numpy(), rel=1e-12)
        np.testing.assert_allclose(rows["di"], m[f"di_{g}"], rtol=1e-12)
        assert rows["score_mean"].to_numpy() == pytest.approx(
            m[f"score_mean_{g}"].to_numpy(), rel=1e-12)
    assert res.groups["di"].gt(0).all()
    # Within the regions: the listed of each group add up to the group's series, and a
    # region's ratios are its groups' listed shares over the reference group's.
    for g in res.names.groups:
        assert (by_day(res.regions, f"listed_{g}")
                == res.groups.loc[res.groups["group"] == g, "listed"].to_numpy()).all()
    last = res.agents.assign(listed=res.agents["listed"].astype(bool))
    final = res.regions[res.regions["day"] == res.metrics["day"].max()].set_index("region")
    for r, rows in last.groupby("region"):
        share = rows.groupby("group", observed=False)["listed"].mean().reindex(
            res.names.groups).to_numpy()
        expected = disparate_impact(share, res.names.reference_group)
        got = final.loc[r, [f"di_{g}" for g in res.names.groups]].to_numpy(np.float64)
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_the_last_day_describes_the_agents_final_scores(res):
    """On the last day, each group's (region's) mean and sd are those of its agents' final
    scores, its percentiles within half a bin width of numpy's and its Gini coefficient
    within the bound that half a bin width gives."""
    h = score_bins(res.scenario.scoring.min, res.scenario.scoring.max)[0] / 2
    day = res.metrics["day"].max()
    for table, key in ((res.groups, "group"), (res.regions, "region")):
        final = table[table["day"] == day].set_index(key)
        for label, rows in res.agents.groupby(key, observed=True):
            x = rows["score"].to_numpy(np.float64)
            row = final.loc[label]
            assert row["score_mean"] == pytest.approx(x.mean(), rel=1e-12)
            assert row["score_sd"] == pytest.approx(x.std(), rel=1e-6)
            got = row[[f"score_p{q:02d}" for q in PERCENTILES]].to_numpy(np.float64)
            assert np.abs(got - np.percentile(x, PERCENTILES)).max() <= h
            gini = exact_gini(x)
            assert abs(row["score_gini"] - gini) <= h * (1 + gini) / (x.mean() - h)
        assert final["score_sd"].gt(1.0).sum() >= 2  # scores have spread apart (roll-out)


def test_binned_figures_are_exact_on_the_bins_and_close_between_them():
    """Scores on the bins' values give numpy's percentiles and Gini; others are within
    half a bin width (and the Gini within its bound). A wide range gets wider bins."""
    rng = np.random.default_rng(3)
    width, values = score_bins(0.0, 800.0)
    assert width == 1.0 and len(values) == 801 and values[-1] == 800.0
    rows = [rng.integers(500, 801, 5000), rng.integers(0, 801, 37), np.full(9, 700)]
    hist = np.stack([np.bincount(x, minlength=len(values)) for x in rows])
    pct = binned_percentiles(hist, values, QUANTILES)
    gini = binned_gini(hist, values)
    for k, x in enumerate(rows):
        np.testing.assert_allclose(pct[k], np.percentile(x, PERCENTILES), rtol=1e-12)
        assert gini[k] == pytest.approx(exact_gini(x.astype(float)), abs=1e-12)
    empty = np.zeros((1, len(values)), np.int64)
    assert np.isnan(binned_percentiles(empty, values, QUANTILES)).all()
    assert np.isnan(binned_gini(empty, values)).all()

    width, values = score_bins(0.0, 100_000.0)
    assert len(values) <= MAX_BINS and width == np.ceil(100_000 / (MAX_BINS - 1))
    x = rng.uniform(0.0, 100_000.0, 20_000)
    nearest = np.clip(np.floor(x / width + 0.5).astype(np.int64), 0, len(values) - 1)
    hist = np.bincount(nearest, minlength=len(values))[None, :]
    h = width / 2
    got = binned_percentiles(hist, values, QUANTILES)[0]
    assert np.abs(got - np.percentile(x, PERCENTILES)).max() <= h
    g = exact_gini(x)
    assert abs(binned_gini(hist, values)[0] - g) <= h * (1 + g) / (x.mean() - h)
