"""The Python API's conventions, as a notebook user relies on them: the order of arguments,
progress callbacks of one number everywhere, checked before anything runs, messages that
say the Python way, and plain errors for slips (user audit of 2026-12-04)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import warnings

import pandas as pd
import pytest

import scsim
from scsim.errors import ResultWarning, ScsimError, check_progress

TINY = {"agents": 100, "days": 3}


@pytest.fixture(scope="module")
def comparison():
    return scsim.compare("mesa-parity", "mesa-parity", seed=2, **TINY)


# --- 1. compare's seed and reps by name ----------------------------------------------------

def test_compare_takes_seed_and_reps_by_name_only(comparison):
    """compare(a, b, seed, reps) and replicate(sc, reps, seed) had them in opposite orders:
    compare(a, b, 5) ran one pair with seed 5. Now a TypeError; replicate(sc, 2) is still
    two replications."""
    params = inspect.signature(scsim.compare).parameters
    assert params["seed"].kind is params["reps"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError):
        scsim.compare("mesa-parity", "mesa-parity", 5, **TINY)
    assert comparison.seeds == [2]
    reps = scsim.replicate("mesa-parity", 2, **TINY)
    assert reps.seeds == [0, 1]


# --- 2. progress callbacks -----------------------------------------------------------------

def test_a_progress_function_must_take_one_number():
    """Checked from the signature: a function of no argument (or of two) is one clear
    ScsimError; one that can take a number, or anything without a signature, passes."""
    def two(a, b):
        pass

    def by_name(*, day):
        pass

    for bad in (lambda: None, two, by_name):
        with pytest.raises(ScsimError, match=r"must accept one positional argument, a number"):
            check_progress(bad)
    for good in (None, lambda day: None, lambda *a: None, lambda n, more=1: None, [].append,
                 print):
        check_progress(good)
    with pytest.raises(ScsimError, match=r"^progress=5: must be a function"):
        check_progress(5)


def test_every_api_refuses_a_progress_of_no_argument_before_it_starts(monkeypatch, tmp_path):
    """A one-argument callback failed deep inside sweep, after the cluster started, and
    left the sweep marked interrupted; a callback of the wrong shape is now refused before
    any store, world or cluster is made."""
    import scsim.experiments.cluster as cluster

    monkeypatch.setattr(cluster, "dask_client", None)  # any use of a cluster would fail
    store = tmp_path / "store"
    ranges = {"listing.threshold": (900, 950), "scoring.recovery": (0.001, 0.01)}
    calls = [
        lambda p: scsim.simulate("mesa-parity", progress=p, store=store, **TINY),
        lambda p: scsim.replicate("mesa-parity", 2, progress=p, store=store, **TINY),
        lambda p: scsim.compare("mesa-parity", "mesa-parity", progress=p, store=store,
                                **TINY),
        lambda p: scsim.sweep("mesa-parity", {"listing.threshold": [900, 950]}, store=store,
                              progress=p, **TINY),
        lambda p: scsim.sensitivity("mesa-parity", ranges, "listed_final", samples=2,
                                    progress=p, **TINY),
        lambda p: scsim.calibrate("mesa-parity", ranges, {"listed_final": 1}, trials=2,
                                  progress=p, **TINY),
    ]
    for call in calls:
        with pytest.raises(ScsimError, match="must accept one positional argument"):
            call(lambda: None)
    assert not store.exists()  # no store made, no run or sweep recorded


def test_sensitivity_and_calibrate_call_progress_with_runs_and_trials_finished(monkeypatch):
    """They called progress() with no argument; now progress(n), n finished so far."""
    import scsim.experiments.calibrate as calibrate_module
    import scsim.experiments.cluster as cluster
    import scsim.experiments.sensitivity as sensitivity_module

    def run_batch(client, jobs, outputs, progress):
        for _ in jobs:
            progress()
        return [dict.fromkeys(outputs, 1.0)] * len(jobs)

    monkeypatch.setattr(cluster, "dask_client", lambda *a, **k: contextlib.nullcontext())
    monkeypatch.setattr(sensitivity_module, "run_batch", run_batch)
    monkeypatch.setattr(calibrate_module, "run_batch", run_batch)
    ranges = {"listing.threshold": (900, 950), "scoring.recovery": (0.001, 0.01)}
    seen: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)  # an output that never varied
        scsim.sensitivity("mesa-parity", ranges, "listed_final", samples=2,
                          progress=seen.append, **TINY)
        assert seen == list(range(1, 2 * (2 + 2) + 1))  # samples × (parameters + 2) runs
        seen.clear()
        scsim.calibrate("mesa-parity", ranges, {"listed_final": 1}, trials=3, reps=2,
                        progress=seen.append, **TINY)
    assert seen == [1, 2, 3]  # trials, each of reps runs


def test_a_sweep_calls_progress_with_the_runs_finished(dask_scheduler, tmp_path):
    seen: list[int] = []
    table = scsim.sweep("mesa-parity", {"listing.threshold": [900, 950]}, store=tmp_path,
                        scheduler=dask_scheduler, progress=seen.append, **TINY)
    assert seen == [1, 2] and len(table) == 2
    sweeps = scsim.open_store(tmp_path).sweeps()
    assert list(sweeps["status"]) == ["done"]


def test_days_are_counted_for_simulate_replicate_and_compare():
    seen: list[int] = []
    scsim.simulate("mesa-parity", progress=seen.append, **TINY)
    assert seen == [0, 1, 2]
    seen.clear()
    scsim.compare("mesa-parity", "mesa-parity", reps=1, progress=seen.append, **TINY)
    assert seen == [0, 1, 2] * 2


# --- 3. an interrupted run says the Python way, and carries its id -------------------------

def stop_at(day):
    def progress(d):
        if d == day:
            raise KeyboardInterrupt

    return progress


def test_an_interrupted_run_names_its_id_and_how_to_resume_it_from_python(tmp_path):
    sc = scsim.load_scenario("mesa-parity", agents=100, days=8)
    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(sc, seed=3, store=tmp_path, checkpoint_every=2, progress=stop_at(5))
    run_id = stopped.value.run_id
    store = scsim.open_store(tmp_path)
    assert list(store.runs()["id"]) == [run_id]
    (note,) = stopped.value.__notes__
    assert note == (f"run {run_id} is kept as interrupted; `scsim resume {run_id}` "
                    f"continues it from day 4 (in Python: scsim.open_store("
                    f"{str(store.root)!r}).resume({run_id!r}))")
    # the Python way works as written
    python = re.search(r"in Python: (.*)\)$", note).group(1)
    res = eval(python, {"scsim": scsim})
    assert res.run_id == run_id and store.runs().iloc[0]["status"] == "done"
    uninterrupted = scsim.simulate(sc, seed=3)
    assert res.metrics.equals(uninterrupted.metrics)

    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(sc, seed=3, store=tmp_path, progress=stop_at(5))
    assert stopped.value.__notes__ == [
        f"run {stopped.value.run_id} is kept as interrupted; without checkpoints "
        "(--checkpoint-every DAYS, or checkpoint_every= in Python) it cannot be resumed"]


# --- 4. small slips, plain errors ----------------------------------------------------------

def test_replicates_say_how_many_there_are_and_what_a_band_is():
    reps = scsim.replicate("mesa-parity", 5, **TINY)
    assert reps[4] is reps.results[4] and reps[-5] is reps.results[0]
    with pytest.raises(IndexError, match=r"^no replication 5: there are 5 replications, "
                                         r"numbered 0 to 4"):
        reps[5]
    for band in ((5, 95), (0.95, 0.05), 0.9, (0.05,), "0.05,0.95"):
        with pytest.raises(ScsimError, match=r"a pair of shares between 0 and 1, the lower "
                                             r"first, e.g. \(0.05, 0.95\)"):
            reps.plot(band=band)


def test_a_comparisons_headline_flag_is_by_name_only(comparison):
    """metrics("listd") took the string for headline=True (a misplaced metric name)."""
    param = inspect.signature(type(comparison).metrics).parameters["headline"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError):
        comparison.metrics("listd")
    assert len(comparison.metrics(headline=True)) < len(comparison.metrics())


def test_the_warnings_are_top_level_names():
    import scsim.errors

    assert scsim.ScenarioWarning is scsim.errors.ScenarioWarning
    assert scsim.ResultWarning is scsim.errors.ResultWarning
    assert {"ScenarioWarning", "ResultWarning"} <= set(scsim.__all__)
    from scsim import ResultWarning as imported  # noqa: F401  (from-import works too)


def test_run_until_beyond_the_last_day_is_an_error():
    sim = scsim.Simulation(scsim.load_scenario("mesa-parity", agents=100, days=5), seed=1)
    # 5.0 and "3" were told to give "a day from 0 to 5", which 5.0 and 3 seemed to be
    for day in (6, 365, -1, 2.5, 5.0, "3"):
        with pytest.raises(ScsimError, match=r"the run has 5 days, so run_until takes a "
                                             r"whole number from 0 to 5"):
            sim.run_until(day)
    assert sim.state.day == 0
    sim.run_until(5)
    assert sim.state.day == 5


def test_a_checkpoint_branches_under_a_scenario_given_by_name_or_yaml(tmp_path):
    """Simulation.load(path, "national-800") raised AttributeError ('str' object has no
    attribute 'model_dump'): a branch's scenario is taken as Simulation takes one."""
    sc = scsim.load_scenario("mesa-parity", agents=100, days=4)
    sim = scsim.Simulation(sc, seed=1)
    sim.run_until(2)
    saved = sim.save(tmp_path / "day-2")
    text = "base: mesa-parity\npopulation: {agents: 100}\ndays: 4\nlisting: {threshold: 1}\n"
    branch = scsim.Simulation.load(saved, text).run()
    assert branch.scenario.listing.threshold == 1 and branch.branched
    with pytest.raises(ScsimError, match="a branch must keep the checkpoint's population, "
                                         "network and days; this scenario changes days"):
        scsim.Simulation.load(saved, "mesa-parity")


def test_step_runs_a_day_at_a_time_as_mesa_and_metrics_gives_the_days_done():
    sc = scsim.load_scenario("mesa-parity", agents=300, days=6)
    whole = scsim.Simulation(sc, seed=4).run()
    sim = scsim.Simulation(sc, seed=4)
    assert sim.metrics().empty and list(sim.metrics().columns) == list(whole.metrics.columns)
    sim.step()
    assert sim.state.day == 1
    pd.testing.assert_frame_equal(sim.metrics(), whole.metrics.iloc[:1])
    sim.step(3)
    assert list(sim.metrics()["day"]) == [0, 1, 2, 3]
    with pytest.raises(ScsimError, match=r"step\(3\): the run has 2 days left of its 6 "
                                         r"\(day 4 is next\); run\(\) finishes"):
        sim.step(3)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ScsimError, match="a whole number of at least 1"):
            sim.step(bad)
    assert sim.state.day == 4
    sim.step(2)
    with pytest.raises(ScsimError, match=r"step\(1\): all 6 days of the run are done"):
        sim.step()
    # a day at a time gives the same bits as the run in one go
    pd.testing.assert_frame_equal(sim.metrics(), whole.metrics)
    pd.testing.assert_frame_equal(sim.run().agents, whole.agents)


def test_help_on_a_result_and_on_trace_says_what_each_holds():
    """help() in a notebook: every public table and method of a Result says what it holds
    (``agents`` and ``companies`` said nothing), and simulate's and Simulation's ``trace=``
    name Trace's ``listed`` as Trace's own docstring does."""
    from scsim.core.engine import Simulation

    silent = [name for name, member in vars(scsim.Result).items()
              if not name.startswith("_") and (callable(member) or isinstance(
                  member, property | functools.cached_property))
              and not inspect.getdoc(member)]
    assert silent == []
    assert "docs/metrics.md" in inspect.getdoc(scsim.Result.agents)
    for doc in (scsim.simulate.__doc__, Simulation.__init__.__doc__):
        assert "the first ``listed`` agents listed" in " ".join(doc.split())
