"""A branched run knows it is one: ``Simulation.load(path, scenario=other)`` with another
scenario than the checkpoint's records the day it branched and the scenario of the days
before it (run.json, the catalogue, the checkpoints it writes), ``scsim show`` and the
Result say so, and ``scsim check --repair rerun`` refuses to run it again from day 0
(which would give another run) and leaves its files as they are. A plain resume (the
checkpoint's own scenario) is no branch."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import scsim
from conftest import run_cli
from scsim.core import checkpoint
from scsim.core.engine import Simulation
from scsim.errors import ScsimError
from scsim.scenario.diff import digest
from scsim.store import open_store

SCENARIO, AGENTS, DAYS, SEED, DAY = "pilot-1000", 2000, 24, 3, 10


def scenario(*extra: str):
    return scsim.load_scenario(SCENARIO, agents=AGENTS, days=DAYS, overrides=list(extra))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A checkpoint of day ``DAY``."""
    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(DAY)
    return sim.save(tmp_path_factory.mktemp("ck") / "day10")


def test_a_plain_resume_is_no_branch(saved, tmp_path):
    for sim in (Simulation.load(saved), Simulation.load(saved, scenario=scenario())):
        assert sim.branched == []
        res = sim.run()
        assert checkpoint.BRANCHED not in res.info and res.branched is None
        assert "branched" not in repr(res)
        st = open_store(tmp_path / "store")
        kept = st.record(Simulation.load(saved))
        info = json.loads((st.runs_dir / kept.run_id / "run.json").read_text())
        assert checkpoint.BRANCHED not in info
        row = st.query(f"SELECT branched FROM runs WHERE id = '{kept.run_id}'")
        assert row["branched"].isna().all()


def test_a_branch_kept_in_a_store_says_where_it_branched(saved, tmp_path, monkeypatch,
                                                         capsys):
    other = scenario("listing.threshold=700")
    sim = Simulation.load(saved, scenario=other)
    want = [{"day": DAY, "scenario": SCENARIO, "scenario_hash": digest(scenario())}]
    assert sim.branched == want
    st = open_store(tmp_path / "store")
    res = st.record(sim)
    assert res.info[checkpoint.BRANCHED] == want
    assert f"branched on day {DAY} from a run of {SCENARIO}" in repr(res)
    folder = st.runs_dir / res.run_id
    assert json.loads((folder / "run.json").read_text())[checkpoint.BRANCHED] == want
    row = st.query(f"SELECT branched FROM runs WHERE id = '{res.run_id}'")
    assert json.loads(row["branched"].iloc[0]) == want
    loaded = st.load(res.run_id)
    assert loaded.branched.startswith(f"branched on day {DAY} from a run of {SCENARIO}: "
                                      f"days 0-{DAY - 1} ran under {SCENARIO}")
    assert "<b>branched on day" in loaded._repr_html_()
    page = scsim.report(loaded, tmp_path / "report").read_text()
    assert f"<p class='lead'>branched on day {DAY} from a run of {SCENARIO}: " in page

    code, out, _ = run_cli(monkeypatch, capsys, "show", res.run_id, "--store",
                           str(st.root))
    assert code == 0
    words = " ".join(out.split())
    assert words.startswith(f"branched on day {DAY} from a run of {SCENARIO}: days 0-{DAY - 1} "
                            f"ran under {SCENARIO} (scenario hash {digest(scenario())}); "
                            f"days {DAY}-{DAYS - 1} under this scenario"), words

    (st.root / "catalog.duckdb").unlink()  # a catalogue made again from the folders keeps it
    code, _, err = run_cli(monkeypatch, capsys, "check", "--repair", "catalogue", "--store",
                           str(st.root))
    assert code == 0, err
    row = open_store(st.root).query(f"SELECT branched FROM runs WHERE id = '{res.run_id}'")
    assert json.loads(row["branched"].iloc[0]) == want


def test_scsim_runs_marks_a_branch_and_no_plain_run(saved, tmp_path, monkeypatch, capsys):
    """`scsim show` and the report said a run was branched; `scsim runs` listed it like
    any other, its scenario read as that of all its days. Its row says where it branched,
    before its overrides; a plain resume's row says nothing of the kind."""
    st = open_store(tmp_path / "store")
    plain = st.record(Simulation.load(saved))
    branch = st.record(Simulation.load(saved, scenario=scenario("listing.threshold=700")))
    code, out, err = run_cli(monkeypatch, capsys, "runs", "--store", str(st.root))
    assert code == 0, err
    rows = {run_id: " ".join(line.split()) for line in out.splitlines()
            for run_id in (plain.run_id, branch.run_id) if run_id in line}
    mark = f"branched on day {DAY} from a run of {SCENARIO}"
    assert f"done {mark}; " in rows[branch.run_id]
    assert rows[branch.run_id].endswith("listing.threshold=700")  # its overrides after it
    assert "branched" not in rows[plain.run_id]
    assert out.count("branched") == 1
    assert "branch, overrides, or error" in out
    # --json: the branch an object (a list of branches), as `scsim show --json` gives it,
    # not a string of JSON beside the overrides' object; null for a plain run
    code, data, err = run_cli(monkeypatch, capsys, "runs", "--json", "--store",
                              str(st.root))
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(data)}
    want = [{"day": DAY, "scenario": SCENARIO, "scenario_hash": digest(scenario())}]
    assert rows[branch.run_id]["branched"] == want
    assert rows[plain.run_id]["branched"] is None
    assert rows[branch.run_id]["overrides"]["listing.threshold"] == 700
    code, shown, _ = run_cli(monkeypatch, capsys, "show", branch.run_id, "--json",
                             "--store", str(st.root))
    assert json.loads(shown)["info"][checkpoint.BRANCHED] == want
    code, data, _ = run_cli(monkeypatch, capsys, "runs", "--csv", "--store", str(st.root))
    table = pd.read_csv(io.StringIO(data)).set_index("id")  # CSV: JSON text in its cell
    assert json.loads(table.loc[branch.run_id, "branched"]) == want


def test_a_branch_keeps_its_record_through_its_checkpoints(saved, tmp_path):
    """A branch kept with checkpoints, stopped and resumed, is still a branch; branched
    again, it says both branches."""
    other = scenario("listing.threshold=700")

    def stop(day):
        if day == 15:
            raise KeyboardInterrupt

    st = open_store(tmp_path / "store")
    with pytest.raises(KeyboardInterrupt) as stopped:
        st.record(Simulation.load(saved, scenario=other), stop, checkpoint_every=4)
    run_id = stopped.value.run_id
    first = [{"day": DAY, "scenario": SCENARIO, "scenario_hash": digest(scenario())}]
    manifest = checkpoint.read_manifest(st.checkpoints_dir / run_id)
    assert manifest[checkpoint.BRANCHED] == first
    again = Simulation.load(st.checkpoints_dir / run_id, scenario=scenario())
    assert again.branched == [*first, {"day": 12, "scenario": SCENARIO,
                                       "scenario_hash": digest(other)}]
    res = st.resume(run_id)
    assert res.info[checkpoint.BRANCHED] == first


def test_repair_rerun_refuses_a_branch_and_leaves_its_files(saved, tmp_path, monkeypatch,
                                                           capsys):
    st = open_store(tmp_path / "store")
    res = st.record(Simulation.load(saved, scenario=scenario("listing.threshold=700")))
    folder = st.runs_dir / res.run_id
    path = folder / "agents.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # damaged: a rerun would be tried
    path.write_bytes(bytes(data))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code, out, _ = run_cli(monkeypatch, capsys, "check", "--repair", "rerun", "--store",
                           str(st.root))
    words = " ".join(out.split())
    assert code == 1, words
    assert (f"not repaired: it is a branch (Simulation.load of a checkpoint with another "
            f"scenario): its days before day {DAY} ran under {SCENARIO}") in words
    assert f"`scsim rm {res.run_id}`" in words
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert not (st.root / "repair").exists() or not any((st.root / "repair").iterdir())


def test_a_branch_stopped_before_its_first_checkpoint_is_told_how_to_branch_again(
        saved, tmp_path):
    """Branched on day 10 with checkpoints every 4 days and stopped on day 11: it was told
    "before its first checkpoint (day 4)", a day before the branch, and resume said to run
    it again with `scsim run` from day 0, which gives another run."""
    st = open_store(tmp_path / "store")

    def stop(day):
        if day == DAY:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stopped:
        st.record(Simulation.load(saved, scenario=scenario("listing.threshold=700")),
                  stop, checkpoint_every=4)
    assert stopped.value.__notes__ == [
        f"run {stopped.value.run_id} is kept as interrupted; it stopped on day {DAY + 1}, "
        "before its first checkpoint (day 12), so it cannot be resumed: run it again"]
    with pytest.raises(ScsimError) as refused:
        st.resume(stopped.value.run_id)
    assert (f"It is a branch (on day {DAY}, of a run of {SCENARIO}), which a run from day 0 "
            "does not give: branch it again in Python") in str(refused.value)


def test_a_branch_of_a_branch_on_its_day_names_no_days_under_the_first_branch():
    twice = [{"day": 5, "scenario": "a", "scenario_hash": "h1"},
             {"day": 5, "scenario": "b", "scenario_hash": "h2"}]
    assert checkpoint.branch_words(twice, 20) == (
        "branched on day 5 from a run of a: days 0-4 ran under a (scenario hash h1); days "
        "5-19 under this scenario. A re-run from day 0 under this scenario would not give "
        "these results.")  # (it said "its warm-up ran under b")
