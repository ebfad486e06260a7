"""Experiment designs, outputs, calibration and sensitivity, run on a real Dask scheduler
and real worker processes on 127.0.0.1."""

from __future__ import annotations

import contextlib
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.analysis.stats import mean_ci95
from scsim.errors import ResultWarning, ScenarioWarning, ScsimError
from scsim.experiments.calibrate import (
    Calibration,
    Target,
    calibrate,
    merge_targets,
    miss,
    parse_target,
    sampler_seed,
)
from scsim.experiments.cluster import dask_client
from scsim.experiments.design import (
    grid_cells,
    latin_hypercube,
    parse_grid,
    parse_range,
    parse_ranges,
    replication_seed,
)
from scsim.experiments.outputs import evaluate, parse_output
from scsim.experiments.sensitivity import Sensitivity, sensitivity


@pytest.fixture(scope="module")
def base_data():
    return scsim.load_scenario("court-blacklist").model_dump(mode="json")


def test_ranges(base_data):
    wide = parse_range("behaviours.court_default.rate=1e-6..1e-3", base_data)
    assert wide.log and not wide.integer
    assert wide.value(0) == pytest.approx(1e-6) and wide.value(0.5) == pytest.approx(
        math.sqrt(1e-9))
    narrow = parse_range("sanctions.travel.air_rate=0.001..0.01", base_data)
    assert not narrow.log and narrow.value(0.5) == pytest.approx(0.0055)
    days = parse_range("listing.duration=10..19", base_data)
    assert days.integer and {days.value(u) for u in np.linspace(0, 0.999, 50)} == set(
        range(10, 20))
    for bad, message in (("listing.duration=5..1", "LOW < HIGH"), ("nonsense", "KEY=LOW"),
                         ("name=0..1", "not a number"), ("x.y=0..1", "x: unknown key"),
                         ("scoring.recovery=0..1:log", "LOW > 0")):
        with pytest.raises(ScsimError, match=message):
            parse_range(bad, base_data)


def test_grid_and_latin_hypercube(base_data):
    grid = parse_grid(["scoring.association.alpha=0,0.01,0.05", "network.kind=erdos_renyi,sbm"])
    cells = grid_cells(grid)
    assert len(cells) == 6 and cells[0] == {"scoring.association.alpha": 0,
                                            "network.kind": "erdos_renyi"}
    ranges = [parse_range("sanctions.travel.air_rate=0..1", base_data),
              parse_range("listing.compliance_rate=0..0.5", base_data)]
    sample = latin_hypercube(ranges, 20, seed=4)
    for r in ranges:  # one point in each of the 20 strata of every parameter
        strata = sorted(int(c[r.key] / r.high * 20) for c in sample)
        assert strata == list(range(20))
    assert sample == latin_hypercube(ranges, 20, seed=4)
    assert sample != latin_hypercube(ranges, 20, seed=5)


def test_replication_seeds_pair_cells():
    seeds = [replication_seed(7, r) for r in range(100)]
    assert seeds[0] == 7 and len(set(seeds)) == 100 and min(seeds) >= 0


def test_outputs():
    res = scsim.simulate(scsim.load_scenario("court-blacklist", agents=2000, days=73), seed=1)
    m = res.metrics
    out = evaluate(m, 2000, ["newly_listed_total", "listed_final", "blocked_air_per_capita_year",
                             "newly_listed_per_100k", "lcc_frac_mean", "listed_max"])
    assert out["newly_listed_total"] == m["newly_listed"].sum()
    assert out["listed_final"] == m["listed"].iloc[-1]
    assert out["blocked_air_per_capita_year"] == pytest.approx(m["blocked_air"].sum() / 2000 * 5)
    assert out["newly_listed_per_100k"] == pytest.approx(m["newly_listed"].sum() * 50)
    assert out["lcc_frac_mean"] == pytest.approx(m["lcc_frac"].dropna().mean())
    with pytest.raises(ScsimError, match="unknown output 'listed_total_x'"):
        parse_output("listed_total_x", list(m.columns))


def test_mean_ci95():
    mean, half = mean_ci95([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and half == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-5)
    assert math.isnan(mean_ci95([5.0])[1])


def test_poor_fits_are_named_and_headed():
    """A fitted output more than 20 % off its target is reported (relative error; absolute
    for a target of 0), in the result and in the calibrated file's first line."""
    fit = pd.DataFrame({"output": ["a_total", "b_total", "c_total", "d_total"],
                        "target": [1.0, 2.0, 0.0, 0.0], "fitted": [1.19, 0.38, 0.1, 0.3],
                        "ci95": [0.0] * 4,
                        "relative_error": [0.19, -0.81, math.nan, math.nan]})
    sc = scsim.load_scenario("court-blacklist")
    cal = Calibration({}, fit, pd.DataFrame({"number": [0]}), sc,
                      targets=[Target(o, t) for o, t in zip(fit["output"], fit["target"],
                                                            strict=True)])
    assert cal.poor_fits()["output"].tolist() == ["b_total", "d_total"]
    assert cal.header().endswith("NOT REPRODUCED: b_total -81%, d_total +0.3")
    good = Calibration({}, fit.iloc[:1], pd.DataFrame({"number": [0]}), sc)
    assert len(good.poor_fits()) == 0 and "NOT REPRODUCED" not in good.header()


def test_sensitivity_output_that_never_varied():
    samples = pd.DataFrame({"x": [0.1, 0.2, 0.3], "listed_final": [4.0, 4.0, 4.0]})
    flat = Sensitivity("morris", "listed_final", pd.DataFrame(), samples)
    assert flat.never_varied()
    moved = Sensitivity("morris", "listed_final", pd.DataFrame(),
                        samples.assign(listed_final=[4.0, 5.0, 4.0]))
    assert not moved.never_varied()


def test_sensitivity_of_a_flat_output_is_zero_without_a_warning(monkeypatch, base_data):
    """An output equal in every run has no variance to share out: Sobol indices of 0, no
    numpy warning from SALib's division by that zero variance (the CLI says why)."""
    import scsim.experiments.sensitivity as module

    monkeypatch.setattr(module, "run_batch", lambda client, jobs, outputs, progress: [
        {"listed_final": 4.0}] * len(jobs))
    ranges = [parse_range(spec, base_data) for spec in (
        "scoring.recovery=0..0.01", "listing.duration=100..200")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = sensitivity(scsim.load_scenario("court-blacklist"), ranges, "listed_final",
                           client=None, samples=2)
    assert flat.never_varied()
    assert (flat.indices[["S1", "ST"]] == 0).all().all()


def test_calibration_recovers_a_known_parameter(dask_scheduler):
    """Targets from a run with court_default.rate = 4e-5; calibrating from a range 1000
    times wider recovers it within 25 %: the new-listing rate is proportional to the
    parameter, and the count behind each target (about 150 listings per replication at
    10,000 agents, two replications) has a relative sd of about 6 %."""
    truth = 4e-5
    n = 10_000
    base = scsim.load_scenario("court-blacklist", agents=n, days=365)
    true_sc = scsim.load_scenario("court-blacklist", agents=n, days=365,
                                  overrides={"behaviours.court_default.rate": truth})
    target = evaluate(scsim.simulate(true_sc, seed=99).metrics, n,
                      ["newly_listed_per_capita_year"])["newly_listed_per_capita_year"]
    data = base.model_dump(mode="json")
    with dask_client(dask_scheduler) as client:
        cal = calibrate(base, [parse_range("behaviours.court_default.rate=2e-6..2e-3", data)],
                        [parse_target(f"newly_listed_per_capita_year={target}", base)],
                        client=client, trials=30, reps=2, seed=1)
    found = cal.best_params["behaviours.court_default.rate"]
    assert found == pytest.approx(truth, rel=0.25)
    assert {b.name: b.rate for b in cal.scenario.behaviours}["court_default"] == found
    assert abs(cal.fit["relative_error"].iloc[0]) < 0.25
    assert len(cal.trials) == 30


def test_sobol_ranks_the_only_lever_first(dask_scheduler):
    base = scsim.load_scenario("court-blacklist", agents=2000, days=150)
    data = base.model_dump(mode="json")
    params = [parse_range(s, data) for s in (
        "sanctions.travel.air_rate=0.001..0.01", "behaviours.court_default.rate=1e-6..1e-4",
        "listing.appeals.rate=0..0.01")]
    with dask_client(dask_scheduler) as client:
        sens = sensitivity(base, params, "newly_listed_total", client=client,
                           method="sobol", samples=32, seed=3)
        morris = sensitivity(base, params, "newly_listed_total", client=client,
                             method="morris", samples=8, seed=3)
    assert sens.indices["parameter"].iloc[0] == "behaviours.court_default.rate"
    assert sens.indices["ST"].iloc[0] > 0.8
    assert (sens.indices["ST"].iloc[1:] < 0.05).all()  # travel and appeals change no listing
    assert len(sens.samples) == 32 * (3 + 2)
    assert morris.indices["parameter"].iloc[0] == "behaviours.court_default.rate"
    assert (morris.indices["mu_star"].iloc[1:] == 0).all()


def test_sensitivity_samples_say_each_run_s_seed(tmp_path):
    """samples.csv had no seed, so a sample could not be run again to look at it: each row
    gives its seed (the runs are not stored), and the run with that seed and the row's
    parameters gives the row's output."""
    from scsim.experiments.outputs import evaluate

    base = scsim.load_scenario("court-blacklist", agents=500, days=30)
    ranges = {"behaviours.court_default.rate": (1e-5, 1e-3, "log"),
              "listing.appeals.rate": (0.0, 0.01)}
    sens = scsim.sensitivity(base, ranges, "newly_listed_total", method="morris", samples=2,
                             seed=7, workers=0)
    saved = pd.read_csv(sens.save(tmp_path / "sens") / "samples.csv")
    assert list(saved.columns) == ["seed", *ranges, "newly_listed_total"]
    assert (saved["seed"] == 7).all() and len(saved) == 2 * 3
    for row in saved.iloc[[0, -1]].itertuples(index=False):
        values = dict(zip(ranges, row[1:3], strict=True))
        res = scsim.simulate(scsim.load_scenario(base.model_dump(mode="json"),
                                                 overrides=values), seed=row.seed)
        assert evaluate(res.metrics, 500, ["newly_listed_total"])["newly_listed_total"] == (
            row.newly_listed_total)


def test_sensitivity_command_prints_how_to_run_a_sample_again(monkeypatch, capsys,
                                                             tmp_path):
    """The runs of an analysis are not kept, and the command did not say how to open the
    one behind an odd sample: it prints the `scsim run` command of the sample with the
    highest output, with the analysis's own options, and that command gives the sample's
    output to the bit (a mean fear, with a log range's value such as 3.2e-05)."""
    import shlex

    from conftest import run_cli
    from scsim.store import open_store

    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(
        monkeypatch, capsys, "sensitivity", "national-800", "--param",
        "listing.threshold=550..750", "--param", "surveillance.misattribution=1e-5..1e-2",
        "--output", "fear_mean_final", "--method", "morris", "--samples", "2", "--agents",
        "600", "--days", "20", "--set", "scoring.recovery=0.002", "--workers", "0",
        "--out", "sens", "--quiet")
    assert code == 0, out + err
    said, command = out.splitlines()[-2:]
    samples = pd.read_csv(tmp_path / "sens" / "samples.csv")
    highest = samples.loc[samples["fear_mean_final"].idxmax()]
    assert said.startswith("samples.csv gives each run's seed and parameters (the runs are "
                           "not kept); `scsim run` with them as --seed and --set runs one "
                           "again")
    assert said.endswith(f"the sample with the highest fear_mean_final "
                         f"({highest.fear_mean_final:.4g}):")
    words = shlex.split(command)
    assert words[:9] == ["scsim", "run", "national-800", "--agents", "600", "--days", "20",
                         "--set", "scoring.recovery=0.002"]
    assert "e-" in command  # the false-match rate, sampled on a log scale
    code, out, err = run_cli(monkeypatch, capsys, *words[1:], "--store", "again")
    assert code == 0, out + err
    store = open_store(tmp_path / "again")
    (run_id,) = store.runs()["id"]
    again = evaluate(pd.read_parquet(store.path(run_id) / "metrics.parquet"), 600,
                     ["fear_mean_final"])["fear_mean_final"]
    assert again == highest.fear_mean_final > samples["fear_mean_final"].min()


def test_a_failed_run_of_a_batch_is_told_as_a_sweep_records_it(monkeypatch):
    """A calibration's (or sensitivity analysis's) failed run said its error's message
    alone ("the disk is full"), a sweep's "OSError: the disk is full": both say it in the
    one way (``runner.failure_words``), as they tell a worker that died."""
    from scsim.experiments import tasks
    from scsim.experiments.runner import Sequential, failure_words

    def full(*args):
        raise OSError("the disk is full")

    monkeypatch.setattr(tasks, "run_simulation", full)
    with pytest.raises(ScsimError) as told:
        tasks.run_batch(Sequential(), [({}, 0), ({}, 1)], ["listed_final"])
    assert str(told.value) == "run 1 of 2 failed: OSError: the disk is full"
    assert str(told.value).endswith(failure_words(OSError("the disk is full")))


def test_unreachable_scheduler_is_a_clear_error():
    with (pytest.raises(ScsimError, match=r"cannot reach the Dask scheduler at tcp://127\.0"),
          dask_client("tcp://127.0.0.1:9", timeout=1)):
        pass


def test_an_unknown_host_is_told_at_once():
    """A scheduler on a host nobody knows waited Dask's 15 s and said "timed out"."""
    import time

    started = time.monotonic()
    with (pytest.raises(ScsimError, match=r"no computer is known by the name "
                                          r"no-such-host\.invalid \("),
          dask_client("tcp://no-such-host.invalid:8786", timeout=15)):
        pass
    assert time.monotonic() - started < 10


SLOW_START = """
import signal, sys, threading, _thread
import scsim.experiments.cluster as cluster

def main():
    # Python's own Ctrl-C handler, whatever this process inherited: a test run started in
    # the background ignores SIGINT, and interrupt_main then does nothing
    signal.signal(signal.SIGINT, signal.default_int_handler)
    made = cluster.LocalCluster
    cluster.LocalCluster = lambda **kw: made(**{**kw, "preload": [*kw["preload"], sys.argv[1]]})
    threading.Timer(float(sys.argv[2]), _thread.interrupt_main).start()
    try:
        with cluster.dask_client(workers=2):
            print("started")
    except KeyboardInterrupt:
        print("interrupted", flush=True)

if __name__ == "__main__":
    main()
"""


def test_a_ctrl_c_while_the_local_cluster_starts_leaves_no_traceback(tmp_path):
    """A Ctrl-C in a sweep's first seconds, while its workers were starting, printed an
    AssertionError's traceback from Dask's exit hook after "interrupted" (it closed the
    half-started cluster again). Here the workers take a minute to start (a preload that
    sleeps), and the Ctrl-C comes in the middle: one line, and no wait for them."""
    import subprocess
    import sys
    import time

    preload = tmp_path / "slow_preload.py"
    preload.write_text("import time\n\ndef dask_setup(worker):\n    time.sleep(60)\n")
    script = tmp_path / "start.py"
    script.write_text(SLOW_START)
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(script), str(preload), "4"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout == "interrupted\n", done.stdout + done.stderr
    assert "AssertionError" not in done.stderr, done.stderr
    assert time.monotonic() - started < 50


@pytest.mark.parametrize(("reply", "said"), [
    (b"", "something answers there, but no Dask scheduler within 3 s"),
    (b"\xff" * 64, "what answers there is not a Dask scheduler")])
def test_an_address_where_something_else_listens_is_a_clear_error(reply, said, monkeypatch):
    """A web server at the address (or the scheduler's dashboard port) hung `scsim sweep`
    for good: Dask's timeout covers the TCP connection, not its handshake; one that answered
    with other bytes was an internal error (a MemoryError reading them as a frame length)."""
    import socket
    import threading
    import time

    from scsim.experiments import cluster

    monkeypatch.setattr(cluster, "CONNECT_GRACE", 2.0)
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():  # every connection (scsim's check that something listens, then Dask's)
        with server:
            while True:
                conn, _ = server.accept()
                accepted.append(conn)
                if reply:
                    conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    started = time.monotonic()
    with (pytest.raises(ScsimError, match=re.escape(said)),
          dask_client(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=1)):
        pass
    assert time.monotonic() - started < 10 and accepted


def test_a_grid_value_is_read_as_a_set_value_is():
    """A grid's values are YAML as --set's: text where YAML cannot read them (a parser
    error was an internal error), and a number YAML reads otherwise than it looks
    (`1:30` is 90) is refused, not swept."""
    assert parse_grid(["listing.threshold=[9,600", "name=a: b: c"]) == {
        "listing.threshold": ["[9", 600], "name": ["a: b: c"]}
    with pytest.raises(ScsimError, match=r"--grid days:1: 1:30 is a number in base 60"):
        parse_grid(["days=1:30"])
    # a value lost between two commas (600,,650 swept 600 and 650 without a word)
    for spec in ("listing.threshold=600,,650", "listing.threshold=600,650,"):
        with pytest.raises(ScsimError, match=re.escape(
                f"--grid {spec}: an empty value between commas; write "
                "listing.threshold=V1,V2,... with a value between each two commas")):
            parse_grid([spec])
    # a range given to --grid (each cell failed on "must be a number, got '600..650'")
    with pytest.raises(ScsimError, match=re.escape(
            "--grid listing.threshold=600..650: a grid lists values (listing.threshold=V1,"
            "V2,...); a range is drawn from with --range listing.threshold=600..650 and "
            "--sample N (N cells)")):
        parse_grid(["listing.threshold=600..650"])
    assert parse_grid(["name=a..b"]) == {"name": ["a..b"]}  # text with dots, not a range


def test_a_key_given_twice_is_refused_everywhere(base_data):
    """--grid, --range/--param: one check, the same words; sensitivity and calibrate refuse
    it from Python too, before running anything."""
    with pytest.raises(ScsimError, match=r"^--grid listing.duration: given twice$"):
        parse_grid(["listing.duration=1,2", "listing.duration=3"])
    with pytest.raises(ScsimError, match=r"^--range listing.duration: given twice$"):
        parse_ranges(["listing.duration=10..20", "listing.duration=30..40"], base_data,
                     "--range")
    twice = [parse_range("scoring.recovery=0..0.01", base_data)] * 2
    base = scsim.load_scenario("court-blacklist")
    with pytest.raises(ScsimError, match=r"--param scoring\.recovery: given twice"):
        sensitivity(base, twice, "listed_final", client=None)
    with pytest.raises(ScsimError, match=r"--param scoring\.recovery: given twice"):
        calibrate(base, twice, [Target("listed_final", 1.0)], client=None)
    with pytest.raises(ScsimError, match="--target listed_final: given twice"):
        calibrate(base, twice[:1], [Target("listed_final", 1.0)] * 2, client=None)


def test_range_ends_are_checked_against_the_scenario(base_data):
    with pytest.raises(ScsimError, match=r"air_rate=-1\.\.0\.001: its low end is not a "
                                         r"valid scenario: .*must be >= 0"):
        parse_range("sanctions.travel.air_rate=-1..0.001", base_data)
    with pytest.raises(ScsimError, match=r"no\.such=0\.\.1 is not a valid scenario: override "
                                         r"no\.such=0: no: unknown key \(known: name,"):
        parse_range("no.such=0..1", base_data)
    # a known key that the scenario leaves unset read "invalid scenario: ...: not set"
    unset = scsim.load_scenario("court-blacklist").model_dump(mode="json")
    with pytest.raises(ScsimError, match=r"^listing\.threshold=500\.\.650: listing\.threshold: "
                                         r"not set in this scenario \(it has no value to vary "
                                         r"from: set one first, e\.g\. --set listing\.threshold="
                                         r"VALUE, or overrides= from Python\)$"):
        parse_range("listing.threshold=500..650", unset)


def test_targets_zero_negative_and_presets():
    """A negative target is refused for an output that cannot be negative, accepted for one
    that can; a target of 0 is measured by absolute error; an explicit target replaces the
    preset's for the same output, and one output given twice is refused."""
    sc = scsim.load_scenario("court-blacklist")
    with pytest.raises(ScsimError, match="blocked_air_per_capita_year cannot be negative"):
        parse_target("blocked_air_per_capita_year=-1", sc)
    with pytest.raises(ScsimError, match="listed_per_capita_mean cannot be negative"):
        parse_target("listed_per_capita_mean=-0.5", sc)
    assert parse_target("score_mean_final=-5", sc) == Target("score_mean_final", -5.0)
    assert parse_target("listed_final=0", sc) == Target("listed_final", 0.0)
    # an impossible target is refused, not fitted by every trial in vain
    small = scsim.load_scenario("national-800", agents=3000)
    for spec, bound in (("listed_final=1000000", "3,000 (the run has 3,000 agents)"),
                        ("listed_per_capita_mean=1.2", "1 (a share of the agents)"),
                        ("ties_active_frac_final=1.5", "1 (a share)")):
        with pytest.raises(ScsimError, match=re.escape(f"cannot be above {bound}")):
            parse_target(spec, small)
    assert parse_target("listed_final=3000", small).value == 3000
    assert parse_target("newly_listed_total=5000", small).value == 5000  # relisted: no bound
    assert miss(0.04867, 0.0) == "+0.04867"
    assert miss(1.5, 2.0, digits=1) == "-25.0%" and miss(-1.5, -2.0) == "+25%"
    given = [Target("a_total", 0.5)]
    preset = [Target("a_total", 0.0129), Target("b_total", 0.0039)]
    assert merge_targets(given, preset) == ([Target("a_total", 0.5), Target("b_total", 0.0039)],
                                            [Target("a_total", 0.0129)])
    with pytest.raises(ScsimError, match="--target a_total: given twice"):
        merge_targets(given * 2, preset)


def test_a_sweep_is_described_in_words():
    from scsim.experiments.sweep import Plan, describe

    one = Plan({}, [{"a": 1}], reps=1, seed=0, design={"grid": {"a": [1]}})
    assert describe(one) == "1 cell × 1 replication = 1 run; a grid of a: 1"
    many = Plan({}, [{"a": 1, "b": 0}, {"a": 2, "b": 0}], reps=3, seed=0,
                design={"grid": {"a": [1, 2], "b": [0]}})
    assert describe(many) == "2 cells × 3 replications = 6 runs; a grid of a: 1, 2; b: 0"
    alone = Plan({}, [{}], reps=2, seed=0, design={"grid": {}})  # was '({"grid": {}})'
    assert describe(alone) == ("1 cell × 2 replications = 2 runs; no setting varied (--grid "
                               "or --sample to vary one): replications of the scenario as "
                               "it is")
    drawn = Plan({}, [{"a": 1}], reps=1, seed=0,
                 design={"sample": 8, "ranges": ["a=0..1"]})
    assert describe(drawn).endswith("; a Latin-hypercube sample of 8 cells over a=0..1")


def test_sensitivity_says_when_its_estimates_cannot_rank_the_parameters():
    """Sobol estimates from too few samples (S1 above ST, or an interval wider than its
    index) are named with the parameter; sound ones give no caution; the sentences read
    S1 and ST as shares of the output's variance."""
    from scsim.experiments.sensitivity import Sensitivity, planned_runs

    def sobol(rows):
        return Sensitivity("sobol", "listed_final", pd.DataFrame(
            rows, columns=["parameter", "S1", "S1_ci95", "ST", "ST_ci95"]), pd.DataFrame())

    noisy = sobol([("a", 0.76, 0.60, 0.63, 0.20), ("b", 0.29, 0.05, 0.40, 0.45)])
    assert noisy.imprecise() == ["S1 is above ST for a",
                                 "the 95 % interval is wider than the index for b"]
    sound = sobol([("a", 0.70, 0.05, 0.75, 0.06), ("b", 0.20, 0.04, 0.26, 0.05)])
    assert sound.imprecise() == []
    first, second = sound.in_words()
    assert second.startswith("b: alone, it explains about 20 % of the variance")
    assert first.startswith("a: alone, it explains about 70 % of the variance of ")
    assert first.endswith("(S1); with its interactions with the other parameters, about "
                          "75 % (ST)")
    assert sobol([("a", -0.01, 0.0, 0.0, 0.0)]).in_words()[0].startswith(
        "a: alone, it explains none of the variance")
    # an index above 1 is sampling error, said so (it read "about 100 %"); a parameter
    # with no effect at all (0 ± 0) is not imprecise (it was named as the wide one)
    few = sobol([("a", 1.333, 0.70, 1.333, 0.28), ("b", 0.0, 0.0, 0.0, 0.0)])
    assert few.imprecise() == ["an index is above 1, which only sampling error makes, for a"]
    assert few.in_words()[0].startswith("a: alone, it explains all of it, or nearly (the "
                                        "estimate, 1.33, is above 1: sampling error)")
    assert planned_runs("sobol", 8, 2) == 32 and planned_runs("morris", 4, 2) == 12


def test_morris_mu_star_is_the_change_across_the_whole_range():
    """The sentence said "one step of its range (a quarter of it) moves the output by mu*":
    a step is two thirds of the range, and SALib divides each change by it. For an output
    that moves by 3 across a's range and by 0 with b's, mu* is 3 and 0."""
    from SALib.analyze import morris as morris_analyze

    from scsim.experiments.design import Range
    from scsim.experiments.sensitivity import MORRIS_LEVELS, Sensitivity, design

    params = [Range("a", 10.0, 20.0, False, False), Range("b", 0.0, 1.0, False, False)]
    unit = design(params, "morris", 6, seed=1)
    steps = np.abs(np.diff(unit.reshape(6, 3, 2), axis=1))  # within each trajectory
    assert np.allclose(steps[steps > 0], MORRIS_LEVELS / (2 * (MORRIS_LEVELS - 1)))  # 2/3
    assert ((steps > 0).sum(axis=2) == 1).all()  # one parameter a step
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0]] * 2}
    si = morris_analyze.analyze(problem, unit, 3.0 * unit[:, 0], num_levels=MORRIS_LEVELS)
    assert np.allclose(si["mu_star"], [3.0, 0.0])
    words = Sensitivity("morris", "listed_final", pd.DataFrame(
        {"parameter": ["a"], "mu_star": [3.0], "mu_star_ci95": [0.0], "sigma": [0.0]}),
        pd.DataFrame()).in_words()[0]
    assert words.startswith("a: across its whole range it moves ") and " by 3 on average " \
        "(mu*: steps of two thirds of the range, each change scaled to the whole range)" in words


def test_a_swept_parameter_that_does_nothing_in_any_cell_is_named():
    """A sweep of shaming.probability while national-800 keeps shaming off would give the
    same results in every cell: it is named before anything runs. A parameter that does
    something in some cell (the switch swept with it, a threshold) is not."""
    from scsim.experiments import sweep as sw

    base = scsim.load_scenario("national-800", agents=500, days=5)
    (line,) = sw.advice(sw.design_plan(base, grid=["shaming.probability=0.1,0.5"]))
    assert line.startswith("swept shaming.probability does nothing in any cell: "
                           "shaming.probability is set but shaming.enabled is false")
    for grid in (["listing.threshold=500,600"],
                 ["shaming.enabled=false,true", "shaming.probability=0.1,0.5"]):
        assert sw.advice(sw.design_plan(base, grid=grid)) == [], grid


def test_a_swept_days_that_leaves_out_timeline_steps_is_told_once():
    """Cells of 30 and 40 days leave high-control's day-365 abolition out: the sweep said
    nothing of it (each cell's load warned, unheard: the suite makes that an error)."""
    from scsim.experiments import sweep as sw

    base = scsim.load_scenario("high-control", agents=300)
    plan = sw.design_plan(base, grid=["days=30,40,400", "listing.threshold=500,600"])
    (line,) = sw.advice(plan)
    assert line.startswith("swept days=30, 40: the run ends before its timeline's day 365: "
                           "surveillance.enabled false, reports.enabled false"), line
    assert line.endswith("(left out)")


def test_a_sweep_of_days_warns_of_left_out_steps_once_not_per_cell(tmp_path):
    """Run in Python, the sweep gave its one line, then each cell's load warned again."""
    with pytest.warns(ScenarioWarning) as said:
        table = scsim.sweep("high-control", {"days": [3, 4]}, agents=300, workers=0,
                            store=tmp_path / "st")
    assert len(table) == 2
    # (at 300 agents for 3 or 4 days, nothing moves: ResultWarnings of their own)
    assert [str(w.message)[:40] for w in said if w.category is ScenarioWarning] == [
        "swept days=3, 4: the run ends before its"]


def test_a_range_of_days_that_leaves_out_timeline_steps_is_told_once():
    """A sensitivity analysis or a calibration of days on high-control from 30 days left
    its day-365 abolition out of every short trial: told once, at the range's low end
    (each trial's load warned on its own in Python, and nothing at all on the CLI)."""
    from scsim.experiments.design import parse_ranges, range_advice

    base = scsim.load_scenario("high-control", agents=300)
    params = parse_ranges(["days=30..400"], base.model_dump(mode="json"))
    (line,) = range_advice(base, params)
    assert line.startswith("days=30 (the lowest end of its range): the run ends before its "
                           "timeline's day 365: surveillance.enabled false"), line


@pytest.mark.filterwarnings("ignore::scsim.errors.ScenarioWarning")  # shaming, on purpose
def test_a_range_that_does_nothing_is_named(monkeypatch):
    """A sensitivity analysis (or a calibration) of shaming.probability while shaming is
    off spent its runs for an index of 0 (a fit that cannot move), unsaid (a sweep said
    so): named before anything runs, in Python as a warning; not once shaming is on."""
    from scsim.experiments.design import parse_ranges, range_advice

    base = scsim.load_scenario("national-800", agents=500, days=5)
    data = base.model_dump(mode="json")
    params = parse_ranges(["listing.threshold=500..600", "shaming.probability=0..1"], data)
    (line,) = range_advice(base, params)
    assert line.startswith("shaming.probability does nothing at either end of its range: "
                           "shaming.probability is set but shaming.enabled")
    shaming = scsim.load_scenario("national-800", agents=500, days=5,
                                  overrides={"shaming.enabled": True,
                                             "shaming.probability": 0.5})
    assert range_advice(shaming, params) == []
    from scsim.experiments import cluster

    def no_cluster(*args, **kwargs):  # the warning comes before any cluster starts
        raise RuntimeError("no cluster in this test")

    monkeypatch.setattr(cluster, "dask_client", no_cluster)
    ranges = {"listing.threshold": (500, 600), "shaming.probability": (0, 1)}
    with pytest.warns(ScenarioWarning, match="shaming.probability does nothing at either"), \
            pytest.raises(RuntimeError, match="no cluster in this test"):
        scsim.sensitivity(base, ranges, samples=4)
    with pytest.warns(ScenarioWarning, match="shaming.probability does nothing at either"), \
            pytest.raises(RuntimeError, match="no cluster in this test"):
        scsim.calibrate(base, ranges, {"listed_final": 10}, trials=2)


def test_an_output_given_twice_is_refused():
    """A sweep's table with two columns of one name was an internal error."""
    with pytest.raises(ScsimError, match=r"^output listed_final is given twice$"):
        scsim.sweep("national-800", {"listing.threshold": [500, 600]},
                    outputs=["listed_final", "wrongful_new_total", "listed_final"])


def test_seeds_are_checked_before_calibrate_or_sensitivity_touch_the_cluster(base_data):
    """A seed scsim refuses (negative, above 2**63 - 1, not whole) is the same one-line
    ScsimError from calibrate and sensitivity as from simulate, before the client is used
    (None here: any use of it would fail otherwise)."""
    base = scsim.load_scenario("court-blacklist")
    params = parse_ranges(["scoring.recovery=0..0.01", "listing.duration=10..20"], base_data)
    for seed in (-1, 2**63, 1.5):
        with pytest.raises(ScsimError, match=r"^seed .*: must be"):
            calibrate(base, params, [Target("listed_final", 1.0)], client=None, seed=seed)
        with pytest.raises(ScsimError, match=r"^seed .*: must be"):
            sensitivity(base, params, "listed_final", client=None, method="morris",
                        samples=2, seed=seed)
    with pytest.raises(ScsimError, match=r"^--trials 0: must be at least 1$"):
        calibrate(base, params, [Target("listed_final", 1.0)], client=None, trials=0)
    with pytest.raises(ScsimError, match=r"^--batch 0: must be at least 1$"):
        calibrate(base, params, [Target("listed_final", 1.0)], client=None, batch=0)
    with pytest.raises(ScsimError, match=r"^batch=0: must be at least 1$"):
        scsim.calibrate(base, {"scoring.recovery": (0, 0.01)}, {"listed_final": 1}, batch=0)


def test_calibration_sampler_seed_fits_optuna():
    """Optuna's sampler takes seeds below 2**32, scsim's go to 2**63 - 1: a seed below 2**32
    seeds the sampler itself (calibrations made before keep their trials); one above, a
    hash of it, deterministic, below 2**32 and different for neighbouring seeds."""
    assert [sampler_seed(s) for s in (0, 1, 2**32 - 1)] == [0, 1, 2**32 - 1]
    derived = [sampler_seed(s) for s in (2**32, 2**32 + 1, 5_000_000_000, 2**63 - 1)]
    assert all(0 <= s < 2**32 for s in derived) and len(set(derived)) == 4
    assert derived == [sampler_seed(s) for s in (2**32, 2**32 + 1, 5_000_000_000, 2**63 - 1)]
    with pytest.raises(ScsimError, match="seed -1: must be"):
        sampler_seed(-1)


def test_calibration_with_a_seed_above_2_to_the_32(dask_scheduler):
    """A valid scsim seed that Optuna's sampler would refuse calibrates, and its sampler
    proposes the same parameters again with the same seed."""
    base = scsim.load_scenario("court-blacklist", agents=300, days=3)
    data = base.model_dump(mode="json")

    def fit():
        with dask_client(dask_scheduler) as client:
            return calibrate(base, [parse_range("sanctions.travel.air_rate=0.001..0.01", data)],
                             [parse_target("listed_final=2", base)], client=client, trials=2,
                             reps=1, seed=5_000_000_000)

    first, second = fit(), fit()
    assert first.seed == 5_000_000_000 and len(first.trials) == 2
    proposed = "params_sanctions.travel.air_rate"  # the sampler's proposals, trial by trial
    assert list(first.trials.sort_values("number")[proposed]) == list(
        second.trials.sort_values("number")[proposed])


def test_a_calibration_is_the_same_on_clusters_of_any_size(dask_scheduler):
    """Optuna is asked a batch of trials at a time and told their results in the order
    asked: the proposals after its random start (10 trials) depend on the seed and the
    batch, not on how many workers ran them or in which order they finished (a cluster of
    another size found other parameters)."""
    base = scsim.load_scenario("court-blacklist", agents=300, days=20)
    data = base.model_dump(mode="json")

    def fit(client):
        return calibrate(base, [parse_range("sanctions.travel.air_rate=0.001..0.05", data),
                                parse_range("listing.appeals.rate=0..0.05", data)],
                         [parse_target("listed_final=2", base)], client=client, trials=14,
                         reps=1, seed=4, batch=3).trials.sort_values("number")

    with dask_client(dask_scheduler) as client:  # 2 worker processes
        two = fit(client)
    with dask_client(None, workers=1) as client:  # a local cluster of one
        one = fit(client)
    proposed = ["params_sanctions.travel.air_rate", "params_listing.appeals.rate"]
    assert len(one) == 14 and one[proposed].equals(two[proposed])
    assert one["value"].equals(two["value"])


def test_sensitivity_and_calibration_from_python(dask_scheduler, monkeypatch):
    """`scsim.sensitivity` and `scsim.calibrate`, as a notebook user calls them (a
    researcher missed them beside `scsim.sweep`): the same analysis as the command line's
    from the same seed, and bad input refused before any cluster starts."""
    base = scsim.load_scenario("court-blacklist", agents=1000, days=60)
    ranges = {"behaviours.court_default.rate": (1e-6, 1e-4, "log"),
              "listing.appeals.rate": (0.0, 0.01)}
    sens = scsim.sensitivity(base, ranges, "newly_listed_total", method="morris", samples=4,
                             seed=3, scheduler=dask_scheduler)
    params = parse_ranges(["behaviours.court_default.rate=1e-6..1e-4:log",
                           "listing.appeals.rate=0..0.01"], base.model_dump(mode="json"))
    with dask_client(dask_scheduler) as client:
        same = sensitivity(base, params, "newly_listed_total", client=client,
                           method="morris", samples=4, seed=3)
    pd.testing.assert_frame_equal(sens.indices, same.indices)
    assert sens.indices["parameter"].iloc[0] == "behaviours.court_default.rate"

    with warnings.catch_warnings():  # three trials may well miss (a ResultWarning)
        warnings.simplefilter("ignore", ResultWarning)
        cal = scsim.calibrate("court-blacklist", {"behaviours.court_default.rate": (1e-6, 1e-4)},
                              {"newly_listed_per_capita_year": 0.01}, trials=3, reps=1,
                              seed=2, agents=500, days=30, scheduler=dask_scheduler)
    assert 1e-6 <= cal.best_params["behaviours.court_default.rate"] <= 1e-4
    assert list(cal.fit["output"]) == ["newly_listed_per_capita_year"]
    assert len(cal.trials) == 3

    import scsim.experiments.cluster as cluster

    monkeypatch.setattr(cluster, "dask_client", None)  # any use of a cluster would fail
    for call, said in (
            (lambda: scsim.sensitivity(base, {}), "ranges= names no parameter"),
            (lambda: scsim.sensitivity(base, ranges, "listed_finl"), "unknown output"),
            (lambda: scsim.sensitivity(base, ranges, method="fast"), "'sobol' or 'morris'"),
            (lambda: scsim.calibrate(base, ranges), r"give targets= \(\{output: value\}\)"),
            (lambda: scsim.calibrate(base, ranges, preset="2019"), "preset='2019': one of"),
            (lambda: scsim.calibrate(base, ranges, {"newly_listed_total": -1}),
             r"^targets\['newly_listed_total'\]=-1: newly_listed_total cannot be negative"),
            (lambda: scsim.calibrate(base, ranges, {"newly_listed_total": 1}, reps=0),
             "reps must be a whole number"),
            # the Python arguments' names, not the command line's (--samples, --trials)
            (lambda: scsim.sensitivity(base, ranges, samples=3),
             r"^samples=3: Sobol needs a power of 2"),
            (lambda: scsim.sensitivity(base, {"scoring.recovery": (0, 0.01)}),
             r"needs at least two parameter ranges \(ranges=\)$"),
            (lambda: scsim.calibrate(base, ranges, {"newly_listed_total": 1}, trials=0),
             r"^trials=0: must be at least 1$")):
        with pytest.raises(ScsimError, match=said):
            call()


def test_python_warns_where_the_command_line_prints_a_warning(monkeypatch):
    """A notebook user got a calibration 592 % off its target, and Sobol indices of an
    output that never varied ("explains none of the variance"), without a word, where the
    CLI warns: `scsim.calibrate` and `scsim.sensitivity` warn (ResultWarning) with the
    CLI's words, naming the Python settings (samples=, ranges=) instead of its options."""
    import scsim.experiments.calibrate as calibrate_module
    import scsim.experiments.cluster as cluster
    import scsim.experiments.sensitivity as sensitivity_module

    monkeypatch.setattr(cluster, "dask_client", lambda *a, **k: contextlib.nullcontext())
    base = scsim.load_scenario("court-blacklist", agents=1000, days=60)
    ranges = {"sanctions.travel.air_rate": (0.001, 0.01), "listing.duration": (100, 200)}
    indices = pd.DataFrame([("sanctions.travel.air_rate", 0.9, 0.8, 0.5, 0.2),
                            ("listing.duration", 0.1, 0.05, 0.2, 0.05)],
                           columns=["parameter", "S1", "S1_ci95", "ST", "ST_ci95"])
    flat = Sensitivity("sobol", "listed_final", indices,
                       pd.DataFrame({"listed_final": [4.0] * 8}))
    noisy = Sensitivity("sobol", "listed_final", indices,
                        pd.DataFrame({"listed_final": np.arange(8.0)}))
    for result, said in ((flat, "listed_final took the same value in all 8 runs: the "
                                "indices measure nothing"),
                         (noisy, r"too imprecise to rank the parameters: S1 is above ST for "
                                 r"sanctions.travel.air_rate: raise samples= \(now 2; e.g. 64\)")):
        monkeypatch.setattr(sensitivity_module, "sensitivity", lambda *a, r=result, **k: r)
        with pytest.warns(ResultWarning, match=said):
            assert scsim.sensitivity(base, ranges, "listed_final") is result
    fit = pd.DataFrame({"output": ["blocked_air_per_capita_year"], "target": [0.0129],
                        "fitted": [0.0893], "ci95": [0.0], "relative_error": [5.92]})
    poor = Calibration({}, fit, pd.DataFrame({"number": [0]}), base)
    monkeypatch.setattr(calibrate_module, "calibrate", lambda *a, **k: poor)
    with pytest.warns(ResultWarning, match=r"blocked_air_per_capita_year is 0.0893, \+592% "
                      r"off its target 0.0129 .*does not reproduce it \(widen ranges="):
        scsim.calibrate(base, ranges, {"blocked_air_per_capita_year": 0.0129})
    # a notebook shows them short, in words, with the warnings (their repr was every row)
    assert repr(poor) == "Calibration(court-blacklist, 1 trial, loss nan, best none)"
    assert "0.0893 against the target 0.0129 (+592%)" in poor._repr_html_()
    assert "widen ranges=" in poor._repr_html_()
    assert repr(noisy) == "Sensitivity(sobol, listed_final, 2 parameters, 8 runs)"
    page = flat._repr_html_()
    assert "took the same value in all 8 runs" in page and "explains" not in page
    assert "raise samples= (now 2" in noisy._repr_html_()
    assert "sanctions.travel.air_rate: alone, it explains" in noisy._repr_html_()
    good = Calibration({}, fit.assign(fitted=0.013, relative_error=0.008),
                       pd.DataFrame({"number": [0]}), base)
    monkeypatch.setattr(calibrate_module, "calibrate", lambda *a, **k: good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scsim.calibrate(base, ranges, {"blocked_air_per_capita_year": 0.0129})


def test_a_sweep_chart_cuts_each_interval_at_what_the_output_can_be(tmp_path):
    """0.67 ± 1.43 people listed was drawn down to −0.77, and a share of ties still active
    of 0.99 ± 0.04 up to 1.03: a count's interval stops at 0, a share's at 1 (on the final
    day, as a mean over days or on the highest day), in the chart and in the CSV beside
    it; a change in points may go below 0."""
    from scsim.experiments.charts import save_charts, sweep_charts
    from scsim.experiments.outputs import output_range
    from scsim.experiments.sweep import Plan, cell_table

    sc = scsim.load_scenario("national-800", agents=800, days=30)
    assert output_range("points_association_total", sc) == (-np.inf, np.inf)
    assert output_range("fear_mean_mean", sc) == output_range("fear_mean_max", sc) == (0, 1)
    assert output_range("listed_max", sc) == (0, 800)
    plan = Plan(sc.model_dump(mode="json"), [{"listing.threshold": t} for t in (540, 560)],
                3, 0)
    outputs = ["listed_final", "ties_active_frac_final", "fear_mean_mean"]
    runs = pd.DataFrame({"cell": [0, 0, 0, 1, 1, 1], "rep": [0, 1, 2] * 2,
                         "listing.threshold": [540] * 3 + [560] * 3,
                         "listed_final": [0, 0, 2, 2, 3, 4],
                         "ties_active_frac_final": [1, 1, 0.97, 0.5, 0.6, 0.7],
                         "fear_mean_mean": [0.99, 0.95, 1.0, 0.2, 0.3, 0.4]})
    table = cell_table(plan, runs, outputs)
    charts = sweep_charts(table, ["listing.threshold"], outputs)
    drawn = {}
    for chart in charts:
        bars = next(c for c in chart.figure.axes[0].containers if hasattr(c, "lines"))
        ends = [segment[:, 1] for segment in bars.lines[2][0].get_segments()]
        drawn[chart.name.removeprefix("sweep-")] = ends
    low = table["listed_final_lo"]
    assert low[0] == 0 and table["listed_final"][0] - table["listed_final_ci95"][0] < 0
    assert [e[0] for e in drawn["listed_final"]] == pytest.approx(list(low))
    for share in ("ties_active_frac_final", "fear_mean_mean"):
        top = table[f"{share}_hi"]
        assert top[0] == 1 and table[share][0] + table[f"{share}_ci95"][0] > 1
        assert [e[1] for e in drawn[share]] == pytest.approx(list(top))
        assert top[1] == table[share][1] + table[f"{share}_ci95"][1]  # not cut
    assert "cut at what the output can be (a count at 0, a share at 1)" in (
        charts[0].figure.texts[-1].get_text())
    save_charts(charts, tmp_path)  # the numbers the chart draws, beside it
    written = pd.read_csv(tmp_path / "sweep-fear_mean_mean.csv")
    assert written["fear_mean_mean_hi"].tolist() == pytest.approx([1, 0.5484], abs=1e-4)


def test_an_output_says_its_unit_for_every_statistic():
    """listed_per_capita_mean (the list-stock-flows preset's) read 'listed per capita mean',
    with no unit, in the sweep table, its chart and the sensitivity chart; and the listed
    summed over days read '(agents)' where they are agent-days."""
    from scsim.experiments.outputs import output_label

    res = scsim.simulate(scsim.load_scenario("court-blacklist", agents=2000, days=73), seed=1)
    m = res.metrics
    out = evaluate(m, 2000, ["listed_per_capita_mean", "listed_total"])
    assert out["listed_per_capita_mean"] == pytest.approx(m["listed"].mean() / 2000)
    assert 0 < out["listed_per_capita_mean"] < 1  # a share of the agents, as the label says
    assert out["listed_total"] == m["listed"].sum() > m["listed"].max()  # agent-days
    assert (output_label("listed_per_capita_mean")
            == "listed per agent, mean over days (share of agents)")
    assert output_label("wrongful_listed_per_capita_mean").endswith("(share of agents)")
    assert output_label("listed_total") == "listed, total over the run (agent-days)"
    assert output_label("listed_per_100k").endswith("(agent-days)")
    # counts summed over days are still agents, levels on a day still their own unit
    assert output_label("wrongful_new_total") == "wrongful listings, total over the run (agents)"
    assert output_label("listed_final") == "listed, final day (agents)"
    assert output_label("blocked_air_per_capita_year").endswith("(tickets)")


def test_a_calibration_whose_trials_all_tie_says_its_best_is_no_fit(monkeypatch, tmp_path):
    """No false match lists anyone wrongfully in 10 days at 300 agents: every trial's loss
    was 1 and 'best parameters' were printed as a fit, with no word that they were
    arbitrary."""
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path))
    with pytest.warns(ResultWarning) as caught:
        cal = scsim.calibrate("national-800", {"surveillance.misattribution": (0, 0.001)},
                              {"wrongful_new_total": 5}, trials=3, reps=1, agents=300,
                              days=10, workers=0, seed=2)
    assert cal.trials["value"].tolist() == [1.0, 1.0, 1.0]  # wrongful 0 in every trial
    assert cal.fit["fitted"].tolist() == [0.0]
    said = [str(w.message) for w in caught]
    assert any(m.startswith("every trial gave the same loss (1): the parameters did not "
                            "move wrongful_new_total") for m in said)
    assert (cal.best_params["surveillance.misattribution"]
            == cal.trials["params_surveillance.misattribution"].iloc[0])
    # trials whose losses differ give no such line
    moved = Calibration({}, cal.fit, cal.trials.assign(value=[1.0, 0.5, 1.0]), cal.scenario,
                        targets=cal.targets)
    assert not any("same loss" in line for line in moved.warnings())


def test_a_sampled_sweeps_chart_draws_its_cells_unjoined_without_a_legend_of_each():
    """A Latin-hypercube sweep of two parameters drew each cell as a line of one point,
    its legend 8 entries such as 'listing threshold 654.2667306581526' over the data, and
    its caption said lines join cells that share the other values (none do). A grid keeps
    its lines and legend, its values short."""
    from scsim.experiments.charts import sweep_charts

    data = scsim.load_scenario("national-800").model_dump(mode="json")
    ranges = parse_ranges(["surveillance.misattribution=0..0.05",
                           "listing.threshold=650..690"], data)
    cells = pd.DataFrame(latin_hypercube(ranges, 8, seed=2))
    table = cells.assign(wrongful_new_total=np.arange(8.0), wrongful_new_total_ci95=1.0)
    (chart,) = sweep_charts(table, list(cells.columns), ["wrongful_new_total"])
    assert "unjoined" in chart.caption and "lines join" not in chart.caption
    for ax, param in zip(chart.figure.axes, cells.columns, strict=True):
        assert ax.get_legend() is None
        (bars,) = ax.containers  # one series of the 8 cells, sorted by this parameter
        line = bars.lines[0]
        assert sorted(line.get_xdata()) == sorted(table[param])
        assert line.get_linestyle() == "None"
        assert bars.lines[2][0].get_linewidths()[0] > 0  # the intervals are still drawn
        by_x = dict(zip(table[param], table["wrongful_new_total"], strict=True))
        assert list(line.get_ydata()) == [by_x[x] for x in line.get_xdata()]
    grid = pd.DataFrame({"surveillance.misattribution": [0.001, 0.001, 0.0100000001, 0.0100000001],
                         "listing.threshold": [650, 690, 650, 690],
                         "wrongful_new_total": [0.0, 1.0, 2.0, 3.0],
                         "wrongful_new_total_ci95": [0.0] * 4})
    (chart,) = sweep_charts(grid, ["surveillance.misattribution", "listing.threshold"],
                            ["wrongful_new_total"])
    assert "lines join" in chart.caption
    texts = [t.get_text() for t in chart.figure.axes[1].get_legend().get_texts()]
    assert texts == ["false-match rate 0.001", "false-match rate 0.01"]
