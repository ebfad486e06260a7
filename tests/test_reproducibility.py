"""Same seed, same bits: across thread counts, across repeated runs; and common random
numbers across scenarios that differ in one policy."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import scsim

RUN = """
import sys, scsim
sc = scsim.load_scenario(sys.argv[1], agents=3000, days=40, overrides=sys.argv[4:])
scsim.simulate(sc, seed=11, threads=int(sys.argv[3])).save(sys.argv[2])
"""
# (threads given: a run of 3,000 agents would otherwise take one, core.engine.day_threads)
# Errors and informants turned up so that every serial replay path does work.
BUSY = ["surveillance.misattribution=0.05", "reports.false_rate=0.01", "reports.true_rate=0.2"]


def run_in_process(tmp_path, name, threads, extra):
    out = tmp_path / f"{name}-{threads}"
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", RUN, name, str(out), str(threads), *extra], env=env,
                   check=True)
    return out


def read(folder):
    return {t: pd.read_parquet(folder / f"{t}.parquet") for t in ("metrics", "agents",
                                                                 "companies")}


@pytest.mark.parametrize(("name", "extra"), [
    ("national-800", [*BUSY, "listing.threshold=695"]),
    ("informants", ["listing.threshold=990"]),
    ("pilot-1000", [*BUSY, "listing.threshold=995"]),
    ("high-control", [*BUSY, "listing.threshold=695", "norms.toward=neighbours",
                      "detention.threshold=650", "impunity.quantile=0.5"])])
def test_bit_identical_across_thread_counts(tmp_path, name, extra):
    one = read(run_in_process(tmp_path, name, 1, extra))
    three = read(run_in_process(tmp_path, name, 3, extra))
    for table in one:
        pd.testing.assert_frame_equal(one[table], three[table], check_exact=True)
    m = one["metrics"]
    assert m["listed"].max() > 0 and m["misattributions"].sum() + m[
        "false_reports_accepted"].sum() > 0


def test_bit_identical_across_repeated_runs():
    sc = scsim.load_scenario("informants", agents=2000, days=30)
    a, b = scsim.simulate(sc, seed=5), scsim.simulate(sc, seed=5)
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.agents, b.agents, check_exact=True)
    c = scsim.simulate(sc, seed=6)
    assert not a.agents["score"].equals(c.agents["score"])


def acts_columns(df):
    return [c for c in df.columns if c.startswith("acts_")]


def test_common_random_numbers_when_a_sanction_changes():
    """Train bans change no behaviour: every act of every agent on every day is the same."""
    busy = ["listing.threshold=685"]
    with_ban = scsim.load_scenario("national-800", agents=4000, days=60, overrides=busy)
    without = scsim.load_scenario("national-800", agents=4000, days=60,
                                  overrides=[*busy, "sanctions.travel.train_rate=0"])
    a, b = scsim.simulate(with_ban, seed=3), scsim.simulate(without, seed=3)
    assert a.metrics["blocked_train"].sum() > 0 and b.metrics["blocked_train"].sum() == 0
    pd.testing.assert_frame_equal(a.agents[acts_columns(a.agents)],
                                  b.agents[acts_columns(b.agents)], check_exact=True)
    same = [c for c in a.metrics.columns if c != "blocked_train"]
    pd.testing.assert_frame_equal(a.metrics[same], b.metrics[same], check_exact=True)


def test_common_random_numbers_until_a_ban_can_matter():
    """A social-media ban changes online acts only from the day after the first listing."""
    busy = ["listing.threshold=685"]
    on = scsim.load_scenario("national-800", agents=4000, days=80, overrides=busy)
    off = scsim.load_scenario("national-800", agents=4000, days=80,
                              overrides=[*busy, "sanctions.social_media.enabled=false"])
    a, b = scsim.simulate(on, seed=3), scsim.simulate(off, seed=3)
    first = int(np.argmax(a.metrics["listed"].to_numpy() > 0))  # bans start the day after
    cols = acts_columns(a.metrics)
    pd.testing.assert_frame_equal(a.metrics.loc[:first, cols], b.metrics.loc[:first, cols],
                                  check_exact=True)
    online = ["acts_criticising_government", "acts_posting_fake_news"]
    assert (a.agents[online].sum() < b.agents[online].sum()).all()


BLAS_CALLS = {"dot", "vdot", "inner", "matmul", "einsum", "tensordot"}


def test_no_output_goes_through_blas():
    """The same bits on any CPU: a BLAS product (np.dot, @) adds in an order that depends
    on the CPU's vector width (seen: score_gini and tax_take differed between AVX-512 and
    AVX2 machines), so scsim computes no figure with one; compiled sums go in a fixed
    order. Scans the package's source for such calls."""
    import ast
    from pathlib import Path

    found = []
    for path in Path(scsim.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            blas = (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in BLAS_CALLS)
            if blas:
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
