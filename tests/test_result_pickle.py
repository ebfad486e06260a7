"""A Result through pickle (joblib, multiprocessing, notebook caches) reads as the original,
and ``==`` between Results is identity (no ambiguous truth value of arrays)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

import scsim
from conftest import bare
from scsim.core.engine import Simulation
from scsim.core.state import State
from scsim.outputs.result import ARROW_FRAMES, LazyColumns, Result

FRAMES = ("metrics", "scaled_metrics", "agents", "companies", "sources", "groups",
          "regions", "wrongful", "events", "traced")


@pytest.fixture(scope="module")
def result():
    """Misattributions and listing, case files for a sample and for everyone wrongfully
    listed: every table of a run has rows."""
    sc = bare(days=20, population={"agents": 2000},
              behaviours=[{"name": "act", "rate": 0.2, "delta": -20, "channel": "camera"}],
              surveillance={"channels": {"camera": {"coverage": 0.5,
                                                    "facial_recognition": True}},
                            "misattribution": 0.3},
              listing={"enabled": True, "threshold": 950, "duration": 30})
    return scsim.simulate(sc, seed=3, trace=scsim.Trace(sample=100, wrongful=True))


class NoSimulation(pickle.Pickler):
    """A pickler that refuses the simulation and its state: a pickled Result holds neither."""

    def reducer_override(self, obj):
        if isinstance(obj, Simulation | State):
            raise AssertionError(f"a {type(obj).__name__} in the pickle")
        return NotImplemented


def dumps(obj) -> bytes:
    import io

    out = io.BytesIO()
    NoSimulation(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return out.getvalue()


def same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal values (NaN equal to NaN), dtypes, columns and index; floats bit for bit."""
    if not (a.equals(b) and list(a.columns) == list(b.columns)
            and list(a.dtypes) == list(b.dtypes)):
        return False
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind == "f" and x.tobytes() != y.tobytes():
            return False
    return True


def test_a_pickled_result_reads_as_the_original(result):
    """Pickled before any table is read (its agent columns still lazy, over the final
    state), the Result comes back with every table, case file, summary, Arrow table and
    plot of the original, bit for bit."""
    assert len(result.wrongful) > 100 and len(result.events) > 1000  # every table has rows
    assert not result.agent_columns._columns  # nothing computed yet: the makers' closures
    blob = dumps(result)  # an AttributeError before (a local function of _agent_columns)
    assert not result.agent_columns._columns  # pickling computed nothing to keep here
    back = pickle.loads(blob)
    assert isinstance(back, Result) and isinstance(back.agent_columns, LazyColumns)
    assert back.scenario == result.scenario and back.seed == result.seed
    assert back.names == result.names and back.info == result.info
    assert np.array_equal(back.metrics_table, result.metrics_table, equal_nan=True)
    assert list(back.agent_columns) == list(result.agent_columns)
    for name in FRAMES:
        assert same_frame(getattr(back, name), getattr(result, name)), name
    assert same_frame(back.summary(), result.summary())
    assert same_frame(back.sample.nodes, result.sample.nodes)
    assert same_frame(back.sample.ties, result.sample.ties)
    for name in ("metrics", "agents", "companies", *ARROW_FRAMES):
        assert back.to_arrow(name).equals(result.to_arrow(name), check_metadata=True), name
    # case files: a traced agent wrongfully listed, one traced from day 0, one not traced
    traced = result.traced
    wrongful = int(traced.loc[traced["wrongful_listings"] > 0, "agent"].iloc[0])
    from_start = int(traced.loc[traced["from_day"] == 0, "agent"].iloc[0])
    untraced = int(np.setdiff1d(np.arange(2000), traced["agent"])[0])
    for agent in (wrongful, from_start, untraced):
        mine, theirs = back.explain(agent), result.explain(agent)
        assert str(mine) == str(theirs) and mine.text
        assert same_frame(mine.frame, theirs.frame)
    assert repr(back) == repr(result)


def test_a_result_read_before_pickling_round_trips_without_its_frames(result):
    """The DataFrames already built are not pickled beside the columns they were built
    from (a second copy of the agents), and a Result that came back pickles again."""
    fresh = dumps(pickle.loads(dumps(result)))  # no DataFrame built in it
    for name in ("metrics", "agents", "companies", "scaled_metrics"):
        getattr(result, name)  # built and kept
    assert "agents" in vars(result) and "agents" not in result.__getstate__()
    blob = dumps(result)
    assert len(blob) < 1.01 * len(fresh)
    again = pickle.loads(dumps(pickle.loads(blob)))
    assert same_frame(again.agents, result.agents)
    assert same_frame(again.metrics, result.metrics)


def test_plots_of_a_pickled_result_are_the_originals(result):
    pytest.importorskip("matplotlib")
    back = pickle.loads(pickle.dumps(result))
    for what in ((), ("network",), ("fear_mean", "listed")):
        assert back.plot(*what)._repr_png_() == result.plot(*what)._repr_png_(), what


def test_results_are_equal_only_to_themselves(result):
    """``==`` compared the arrays of the fields ("The truth value of an array ... is
    ambiguous"); it is identity now, and a Result can be a dict key or in a set."""
    back = copy.copy(result)  # the same arrays: still another Result
    assert result == result and (result == back) is False and result != back
    assert len({result, back, result}) == 2 and result in [back, result]
    assert back.metrics.equals(result.metrics)  # how two runs' outputs are compared
    assert "res1.metrics.equals(res2.metrics)" in Result.__doc__
