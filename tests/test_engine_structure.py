"""The engine's housekeeping apart from the model: block loops, counters declared by the
mechanisms, the metric registry and the day plan."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit, prange

import scsim
from scsim.core.blocks import BLOCK, block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters, Tally
from scsim.core.engine import Simulation
from scsim.core.metric import Metric
from scsim.core.params import Names
from scsim.core.plan import COUNTERS, DAY_PLAN, PHASES, scenario_plan
from scsim.core.rng import G1, G2
from scsim.mechanisms import classify, observe, reports, sanction
from scsim.outputs.metrics import (
    LAYOUT,
    metric_columns,
    metric_label,
    metric_of,
    metric_registry,
    registered_metrics,
)
from scsim.scenario.schema import Scenario, section_model

DEMO = Counters("demo", counts=("odd", "big"), sums=("total",),
                arrays={"per_kind": (np.int64, ("kinds",))})
C, S = DEMO.C, DEMO.S  # kernels read the slots as module-level constants


@njit(parallel=True)
def _demo_kernel(values, counts, sums, per_kind, flags):
    n = len(values)
    for blk in prange(n_blocks(n)):
        odd = 0
        total = 0.0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            v = values[i]
            odd += v % 2
            total += v
            per_kind[blk, v % 3] += 1
        counts[blk, C.odd] = odd
        counts[blk, C.big] = 1 if odd > 3 else 0
        sums[blk, S.total] = total
        flags[blk] = 1 if odd > 0 else 0


@njit
def _replayed(flags, n):
    out = []
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        out.append((blk, lo, hi))
    return out


def test_block_bounds_cover_every_agent_once():
    for n in (0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7):
        seen = np.zeros(n, np.int64)
        for blk in range(n_blocks(n)):
            lo, hi = block_bounds(blk, n)
            assert 0 <= lo < hi <= n and hi - lo <= BLOCK
            seen[lo:hi] += 1
        assert (seen == 1).all()
    assert n_blocks(0) == 0 and n_blocks(BLOCK) == 1 and n_blocks(BLOCK + 1) == 2


def test_block_loop_fills_its_own_counters_and_flags_for_the_replay():
    n = 2 * BLOCK + 5
    values = np.zeros(n, np.int64)
    values[3] = 7  # block 0: one odd value
    values[2 * BLOCK + 1] = 9  # block 2: one odd value; block 1 all even
    tally = Tally([DEMO], n, {"kinds": 3})
    assert tally.counts["demo"].shape == (3, 2) and tally.sums["demo"].shape == (3, 1)
    assert tally.arrays["per_kind"].shape == (3, 3)
    _demo_kernel(values, tally.counts["demo"], tally.sums["demo"], tally.arrays["per_kind"],
                 tally.flags)
    assert tally.counts["demo"][:, DEMO.C.odd].tolist() == [1, 0, 1]
    assert tally.count("odd") == 2 and tally.count("big") == 0
    assert tally.sum("total") == 16.0
    assert tally.total("per_kind").sum() == n
    assert _replayed(tally.flags, n) == [(0, 0, BLOCK), (2, 2 * BLOCK, n)]
    tally.close()  # the metrics read the day's counters: each table summed once
    assert tally.count("odd") == 2 and tally.count("big") == 0
    tally.reset()
    assert tally.count("odd") == 0 and tally.total("per_kind").sum() == 0
    tally.counts["demo"][1, DEMO.C.odd] = 4  # a new day after the reset: read afresh
    assert tally.count("odd") == 4
    tally.close()
    assert tally.count("odd") == 4 and tally.count("big") == 0


def test_counter_slots_come_from_declaration_order():
    assert tuple(DEMO.C) == (0, 1) and DEMO.C.big == 1 and DEMO.S.total == 0
    assert DEMO.names() == ("odd", "big", "total", "per_kind")
    with pytest.raises(ValueError, match="declared twice"):
        Tally([DEMO, Counters("other", counts=("odd",))], 10, {"kinds": 1})


def test_every_counter_of_the_day_has_one_owner():
    names = [name for c in COUNTERS for name in c.names()]
    assert len(names) == len(set(names))
    assert {c.owner for c in COUNTERS} >= {"behave", "observe", "report", "classify",
                                           "sanction", "shame", "census"}


def test_named_draw_purposes_keep_their_numbers():
    """Renaming must not renumber: these values are the random numbers."""
    assert (sanction.AIR_ATTEMPT, sanction.TRAIN_ATTEMPT, sanction.PURCHASE_ATTEMPT,
            sanction.JOB_ATTEMPT) == (1, 2, 3, 4)
    assert classify.APPEAL_FILED == G1 and classify.APPEAL_WON == G2
    assert observe.FALSE_MATCH == G1 and observe.WRONG_PERSON == G2
    assert reports.TRUE_REPORT_ACCEPTED == G1 and reports.FALSE_BEHAVIOUR == G1
    assert reports.FALSE_ACCEPTED == G2 and reports.FIRST_FALSE_REPORT == 1


@pytest.mark.parametrize("name", scsim.builtin_names())
def test_metric_registry_covers_exactly_the_metric_columns(name):
    names = Names.of(scsim.load_scenario(name))
    columns = metric_columns(names)
    assert len(columns) == len(set(columns))
    declared = [c for m in registered_metrics(names) for c in m.columns(names)]
    assert sorted(declared) == sorted(columns)
    for col in columns:
        m = metric_of(col)
        assert m is not None and col in m.columns(names), col
        # Words for people: no code name (acts_bad_driving is "acts of bad driving"),
        # and a per-name metric says what it counts, not only its prefix.
        label = metric_label(col)
        assert label and "_" not in label, (col, label)
        assert label != col.replace("_", " ") or m.per is None, (col, label)


def test_points_by_source_are_named_as_scsim_sources_names_them():
    """A comparison's tables (``compare --full``, its report, the dashboard's "Every
    metric") said "points from listed penalty" and "points from true sighting" where
    ``scsim sources``, the report's chart of sources and the case files say "listed
    neighbours" and "true sightings": one figure under two names. Each says the
    source's label."""
    from scsim.core.source import source_registry

    for src in source_registry():
        assert metric_label(f"points_{src.name}") == f"points from {src.label}"
        assert metric_label(f"clean_points_{src.name}") == (
            f"error-free points from {src.label}")
    assert metric_label("points_listed_penalty") == "points from listed neighbours"
    assert metric_label("points_true_sighting") == "points from true sightings"
    assert metric_label("wrongful_by_false_report") == "wrongful listings by false report"


def test_the_metric_of_disparate_impact_on_the_day_is_named_as_every_screen_names_it():
    """The summary, the report's chart, the dashboard and compare name the metric
    ``di_GROUP`` "disparate impact, listed on the day"; its own label said "disparate
    impact on the day", so the tables of every metric gave it a third name."""
    from scsim.outputs.summary import ON_THE_DAY_DI

    for group in ("minority", "majority"):
        assert metric_label(f"di_{group}") == f"{ON_THE_DAY_DI}, {group}"


def test_metric_registry_table_for_the_docs():
    reg = metric_registry()
    assert list(reg.columns) == ["name", "unit", "kind", "headline", "label", "description",
                                 "mechanism"]
    assert reg["name"].is_unique and (reg["unit"] != "").all()
    assert set(reg["kind"]) <= {"level", "count", "rate"}
    assert reg.set_index("name").loc["blocked_air", "mechanism"] == "sanction"
    assert reg.set_index("name").loc["acts_NAME", "kind"] == "count"
    assert len(reg) == len(registered_metrics()) and LAYOUT


def test_a_metric_declaration_checks_itself():
    with pytest.raises(ValueError, match="kind"):
        Metric("x", "agents", "stock", "?")
    with pytest.raises(ValueError, match="template"):
        Metric("x_{}", "agents", "level", "?")
    assert Metric("x", "agents", "level", "?").mechanism == "test_engine_structure"


def test_the_day_plan_keeps_the_profile_phase_names():
    """The built-in steps keep their names and order; added mechanisms come in between."""
    builtin = ("behave", "observe", "report", "score", "classify", "sanction", "shame",
               "adapt", "companies", "metrics")
    assert tuple(p for p in PHASES if p in builtin) == builtin
    assert PHASES[-1] == "metrics" and len(DAY_PLAN) == len(set(PHASES)) == len(PHASES)


def test_plan_says_what_is_on():
    sc = scsim.load_scenario("no-system", agents=200, days=3,
                             overrides=["fear.enabled=true"])
    table = scenario_plan(sc)
    assert list(table["phase"]) == list(PHASES)
    on = dict(zip(table["phase"], table["on"], strict=True))
    assert on["behave"] and on["metrics"] and on["classify"]
    assert Simulation(sc).plan().equals(table)


def test_mechanism_fields_carry_units_and_sources():
    def walk(model, seen):
        for field in model.model_fields.values():
            extra = field.json_schema_extra
            if isinstance(extra, dict):
                assert set(extra) == {"unit", "source"} and extra["source"], field
                seen.append(field)
            sub = section_model(field.annotation)
            if sub is not None:
                walk(sub, seen)
        return seen

    fields = walk(Scenario, [])
    assert len(fields) > 50
    alpha = Scenario.model_fields["scoring"].annotation.model_fields["association"]
    assert alpha.annotation.model_fields["alpha"].json_schema_extra["unit"] == "share per day"


def test_mechanisms_are_discovered_in_day_order():
    from scsim.core.mechanism import mechanisms

    found = mechanisms()
    # then the census, provenance, case files and metrics
    assert tuple(m.step for m in found) == DAY_PLAN[:-4]
    assert [m.name for m in found][:6] == ["behave", "observe", "report", "score", "classify",
                                           "sanction"]
    for m in found:  # one record per mechanism, named after it, saying whether it is on
        assert m.step.name == m.name and m.step.section == ", ".join(m.sections)
    p = Simulation(scsim.load_scenario("no-system", agents=200, days=1)).epochs[0][1]
    for m in found:
        assert isinstance(getattr(p, m.name).on, bool | np.bool_)


def test_day_order_places_after_and_numbers():
    from scsim.core.mechanism import Mechanism, after, day_order
    from scsim.core.step import Step

    def mech(name, place):
        return Mechanism(name=name, sections={}, compile=lambda sc, names: None,
                         step=type(name.title(), (Step,), {}), place=place)

    order = day_order([mech("c", after("a")), mech("b", 20), mech("a", 10),
                       mech("d", after("a")), mech("e", after("c"))])
    assert [m.name for m in order] == ["a", "c", "e", "d", "b"]
    with pytest.raises(ValueError, match="unknown"):
        day_order([mech("x", after("nowhere"))])


def test_metric_blocks_go_after_their_anchor():
    from scsim.core.mechanism import Columns, Mechanism
    from scsim.core.step import Step
    from scsim.outputs.metrics import compose_layout

    def metric(name):
        return Metric(name, "agents", "level", name)

    def mech(name, metrics, anchor):
        return Mechanism(name=name, sections={}, compile=lambda sc, names: None,
                         step=type(name.title(), (Step,), {}), place=1, metrics=metrics,
                         metrics_after=anchor)

    core = (metric("day"), metric("end"))
    layout = compose_layout(core, (
        mech("late", (metric("l1"),), "e1"),  # waits for e1
        mech("early", (metric("e1"), Columns("end", metric("e2"))), "day"),
        mech("last", (metric("z"),), None)))
    assert [m.name for m, _ in layout] == ["day", "e1", "l1", "end", "e2", "z"]
    with pytest.raises(ValueError, match="unknown columns"):
        compose_layout(core, (mech("x", (metric("x"),), "nowhere"),))


def test_scenario_sections_come_from_the_mechanisms_in_day_order():
    keys = list(Scenario.model_fields)
    assert keys[:8] == ["name", "description", "source", "days", "warmup_days", "population",
                        "regions", "network"]
    keys.remove("warmup_days")
    assert keys[7:18] == ["behaviours", "surveillance", "reports", "scoring", "tiers",
                          "listing", "sanctions", "privileges", *keys[15:18]]
    assert keys[-2:] == ["timeline", "metrics"]
    assert Scenario.__module__ == "scsim.scenario.schema"


def test_a_small_run_simulates_its_days_on_fewer_threads():
    """Below AGENTS_PER_THREAD agents a thread, waking another thread costs a day more than
    it gives (``core.engine.day_threads``): a run whose threads were not given takes fewer,
    a count given is kept, and numba's count is set back once the days are done."""
    import numba

    from scsim.core.engine import AGENTS_PER_THREAD, day_threads

    cores = numba.get_num_threads()
    assert day_threads(1000) == day_threads(2 * AGENTS_PER_THREAD - 1) == 1
    assert day_threads(2 * AGENTS_PER_THREAD) == min(cores, 2)
    assert day_threads(10**7) == min(cores, 10**7 // AGENTS_PER_THREAD)
    assert day_threads(1000, threads=1) == 1
    assert day_threads(1000, threads=10**6) == numba.config.NUMBA_NUM_THREADS
    seen: list[int] = []
    res = scsim.simulate("mesa-parity", agents=1000, days=3,
                         progress=lambda day: seen.append(numba.get_num_threads()))
    assert seen == [1, 1, 1] and res.info["threads"] == 1
    assert numba.get_num_threads() == cores
    if numba.config.NUMBA_NUM_THREADS < 2:
        return
    seen.clear()
    try:
        res = scsim.simulate("mesa-parity", agents=1000, days=2, threads=2,
                             progress=lambda day: seen.append(numba.get_num_threads()))
    finally:
        numba.set_num_threads(cores)
    assert seen == [2, 2] and res.info["threads"] == 2
    # a count given to one run is that run's: the next run of the session has every core
    # again (setting up the run left numba's count at the given one)
    scsim.simulate("mesa-parity", agents=1000, days=2, threads=1)
    assert numba.get_num_threads() == cores


def test_a_checkpoint_keeps_the_wall_time_so_far(tmp_path):
    """A checkpoint written during the days records the seconds simulated before it (it
    recorded 0: a resumed run then reported the resumed part's time alone, and a speed
    several times too high); the resumed run's wall time counts both parts."""
    from scsim.core.checkpoint import Checkpoints, read_manifest
    from scsim.core.engine import Simulation

    sc = scsim.load_scenario("national-800", agents=3000, days=12)
    sim = Simulation(sc, seed=1)
    sim.run_until(8, checkpoints=Checkpoints(tmp_path / "cp", every=4))
    saved = read_manifest(tmp_path / "cp")
    assert saved["day"] == 8 and 0 < saved["wall_seconds"] <= sim.elapsed
    resumed = Simulation.load(tmp_path / "cp")
    assert resumed.elapsed == saved["wall_seconds"]
    res = resumed.run()
    assert res.info["wall_seconds"] > saved["wall_seconds"]


@pytest.mark.parametrize("threads", [0, -2, 1.5, True])
def test_a_thread_count_below_one_or_not_whole_is_refused(threads):
    """``threads=0`` ran on one thread, while the command line refuses ``--threads 0``."""
    from scsim.errors import ScsimError

    with pytest.raises(ScsimError, match=rf"^threads={threads!r}: must be a whole number"):
        scsim.simulate("mesa-parity", agents=100, days=1, threads=threads)
