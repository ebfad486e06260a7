"""Checkpoints and resume: a run saved at day k and continued, a run killed (SIGKILL)
between checkpoints or in the middle of writing one and resumed, and a run branched from a
checkpoint, all compared bit for bit (every column of every output table, the network
sample too) with a run that was never stopped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import golden
import scsim
from conftest import run_cli
from scsim.core import checkpoint
from scsim.core.engine import Simulation
from scsim.errors import ScsimError
from scsim.store import open_store
from scsim.world.population import malice_rows

CLI = [sys.executable, "-c", "from scsim.cli import main; main()"]

# Every mechanism does work in these 40 days of 4,000 agents: misattributed sightings, true
# and false reports, listing, renewal, appeals, sanctions, shaming, severing and restoring
# ties (so the cached largest component is dropped and measured again), companies listed;
# the timeline changes the listing threshold on day 22, between the checkpoints.
SCENARIO = "pilot-1000"
AGENTS, DAYS, SEED = 4000, 40, 5
OVERRIDES = ["surveillance.misattribution=0.05", "reports.false_rate=0.01",
             "listing.threshold=995", "listing.duration=12", "companies.listing_threshold=990",
             "shaming.restore_rate=0.3", "metrics.network_every=3",
             "timeline=[{day: 22, set: {listing.threshold: 990}}]"]
CLI_ARGS = [SCENARIO, "--agents", str(AGENTS), "--days", str(DAYS), "--seed", str(SEED),
            *(a for o in OVERRIDES for a in ("--set", o))]


def unsigned(manifest: dict) -> dict:
    """A manifest as scsim wrote it before manifests carried their checksum: a test that
    writes one of an older kind, or of another version, leaves it out."""
    return {k: v for k, v in manifest.items() if k != checkpoint.CHECKSUM}


def scenario(*extra: str):
    return scsim.load_scenario(SCENARIO, agents=AGENTS, days=DAYS,
                               overrides=[*OVERRIDES, *extra])


def digests(result) -> dict:
    return {name: {col: golden.column_digest(df[col]) for col in df.columns}
            for name, df in golden.result_tables(result).items()}


def assert_identical(got: dict, want: dict) -> None:
    diffs = golden.compare_run("resumed", {"settings": {}, "tables": want},
                               {"settings": {}, "tables": got})
    assert not diffs, "\n".join(diffs)


@pytest.fixture(scope="module")
def reference() -> dict:
    """Digests of the run never stopped, in memory."""
    res = Simulation(scenario(), seed=SEED).run()
    m = res.metrics.sum(numeric_only=True)
    for busy in ("misattributions", "reports_accepted", "false_reports_accepted",
                 "newly_listed", "renewed", "appeals", "blocked_air", "shamed",
                 "ties_severed", "ties_restored", "corp_listed"):
        assert m[busy] > 0, busy
    return digests(res)


@pytest.fixture(scope="module")
def stored_reference(tmp_path_factory) -> dict:
    """Digests of the run never stopped, as the store keeps it (read back from Parquet)."""
    folder = tmp_path_factory.mktemp("reference-store")
    res = scsim.simulate(scenario(), seed=SEED, store=folder)
    return digests(open_store(folder).load(res.run_id))


# --- in Python ------------------------------------------------------------------------------

@pytest.mark.parametrize("day", [0, 15, 22, 30, DAYS])
def test_save_at_day_k_then_load_and_finish_is_bit_identical(tmp_path, reference, day):
    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(day)
    path = sim.save(tmp_path / "ck")
    manifest = json.loads((path / checkpoint.MANIFEST).read_text())
    assert (manifest["day"], manifest["epoch"], manifest["seed"]) == (day, int(day >= 22), SEED)
    assert manifest["bytes"] == (path / checkpoint.ARRAYS).stat().st_size
    loaded = Simulation.load(path)
    assert loaded.state.day == day
    assert_identical(digests(loaded.run()), reference)
    assert_identical(digests(sim.run()), reference)  # saving changed nothing


def rewrite_arrays(path: Path, arrays: dict) -> None:
    """Replace the arrays of the checkpoint at ``path`` with ``arrays``, as an older scsim
    wrote them: the manifest lists them and their bytes, without a checksum."""
    with open(path / checkpoint.ARRAYS, "wb") as out:
        np.savez(out, **arrays)
    manifest = json.loads((path / checkpoint.MANIFEST).read_text())
    manifest["arrays"] = {k: [v.dtype.str, list(v.shape)] for k, v in arrays.items()}
    manifest["bytes"] = (path / checkpoint.ARRAYS).stat().st_size
    (path / checkpoint.MANIFEST).write_text(json.dumps(unsigned(manifest)))


def saved_arrays(path: Path) -> dict:
    with np.load(path / checkpoint.ARRAYS, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def test_a_checkpoint_with_an_int64_row_pointer_resumes_bit_identical(tmp_path, reference):
    """A checkpoint written before row pointers were uint32 holds an int64 ``net/indptr``:
    loading converts it, and the run finishes as if never stopped. (A run whose row pointer
    is int64, as beyond 2^32 - 1 entries, is test_network's.)"""
    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(20)
    assert sim.state.net.indptr.dtype == np.uint32
    path = sim.save(tmp_path / "ck")
    arrays = saved_arrays(path)
    arrays["net/indptr"] = arrays["net/indptr"].astype(np.int64)
    rewrite_arrays(path, arrays)
    loaded = Simulation.load(path)
    assert loaded.state.net.indptr.dtype == np.uint32
    np.testing.assert_array_equal(loaded.state.net.indptr, sim.state.net.indptr)
    assert_identical(digests(loaded.run()), reference)


def test_wide_tie_entries_give_the_same_run(reference, monkeypatch):
    """Beyond 2^28 agents a tie entry is a uint64 (``csr.entries_dtype``): forced here on a
    run where every mechanism does work, its outputs are those of uint32 entries."""
    from scsim.world.network import csr

    monkeypatch.setattr(csr, "ENTRIES32_MAX_AGENTS", 0)
    sim = Simulation(scenario(), seed=SEED)
    assert sim.state.net.entries.dtype == np.uint64
    assert_identical(digests(sim.run()), reference)


def test_a_checkpoint_with_neighbour_ids_and_tie_bytes_resumes_bit_identical(tmp_path,
                                                                            reference):
    """A checkpoint written before tie entries were packed holds ``net/indices`` (int32)
    and ``net/tie`` (a byte: type, 0x40 suspended, 0x80 severed) instead of
    ``net/entries``: loading packs them, and the run finishes as if never stopped."""
    from scsim.world.network import csr

    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(30)
    net = sim.state.net
    codes = net.tie_codes()
    assert (codes & csr.SEVERED).any()  # the conversion has severed ties to carry
    path = sim.save(tmp_path / "ck")
    arrays = saved_arrays(path)
    del arrays["net/entries"]
    arrays["net/indices"] = net.neighbour_ids().astype(np.int32)
    arrays["net/tie"] = ((codes & csr.TYPE_MASK) | np.where(codes & csr.SEVERED, 0x80, 0)
                         | np.where(codes & csr.SUSPENDED, 0x40, 0)).astype(np.uint8)
    rewrite_arrays(path, arrays)
    loaded = Simulation.load(path)
    np.testing.assert_array_equal(loaded.state.net.entries, net.entries)
    assert_identical(digests(loaded.run()), reference)


def test_a_checkpoint_holds_arrays_and_json_only(tmp_path):
    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(12)
    path = sim.save(tmp_path / "ck")
    assert sorted(p.name for p in path.iterdir()) == sorted(
        [checkpoint.ARRAYS, checkpoint.MANIFEST, ".scsim-output"])
    with np.load(path / checkpoint.ARRAYS, allow_pickle=False) as npz:
        keys = set(npz.files)
        assert {"agents/scores", "net/entries", "companies/score", "recorder/table",
                "tally/flags"} <= keys
        np.testing.assert_array_equal(npz["net/entries"], sim.state.net.entries)
    manifest = json.loads((path / checkpoint.MANIFEST).read_text())
    assert set(manifest["arrays"]) == keys
    assert manifest["carried"]["steps"]["shame"]["severed_ties"] == {
        "value": sim.steps[[s.name for s in sim.steps].index("shame")].severed_ties}
    with pytest.raises(ScsimError, match="earlier scsim output"):
        sim.save(path)
    sim.run_until(14)
    assert Simulation.load(sim.save(path, force=True)).state.day == 14
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(ScsimError, match="not written by scsim"):
        sim.save(tmp_path / "mine", force=True)


def test_branching_from_a_checkpoint(tmp_path, reference):
    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(20)
    path = sim.save(tmp_path / "day20")
    same = Simulation.load(path, scenario=scenario())
    assert_identical(digests(same.run()), reference)

    laxer = Simulation.load(path, scenario=scenario("timeline=[]", "listing.threshold=700"))
    res = laxer.run()
    assert res.scenario.listing.threshold == 700
    base = Simulation.load(path).run().metrics
    branched = res.metrics
    np.testing.assert_array_equal(branched.iloc[:20].to_numpy(), base.iloc[:20].to_numpy())
    after = branched.iloc[20:]
    assert not np.array_equal(after.to_numpy(), base.iloc[20:].to_numpy())
    # A laxer threshold keeps fewer agents listed (agent-days listed after day 20): a
    # listing that ends (12 days) is renewed only below 700 points, not below 990. (A
    # stricter one than 990 changes nothing here: nearly everyone is listed by day 20.)
    assert after["listed"].sum() < 0.9 * base.iloc[20:]["listed"].sum()

    for changed, match in (
            (scsim.load_scenario(SCENARIO, agents=4001, days=DAYS, overrides=OVERRIDES),
             "population.agents"),
            (scenario("network.mean_degree=9"), "network.mean_degree"),
            (scsim.load_scenario(SCENARIO, agents=AGENTS, days=41, overrides=OVERRIDES),
             "days")):
        with pytest.raises(ScsimError, match=f"must keep .*{match}"):
            Simulation.load(path, scenario=changed)
    other = scsim.load_scenario("national-800", agents=AGENTS, days=DAYS)
    with pytest.raises(ScsimError, match="must keep"):
        Simulation.load(path, scenario=other)


def test_incompatible_or_damaged_checkpoints_are_refused(tmp_path, monkeypatch):
    sim = Simulation(scenario(), seed=SEED)
    sim.run_until(5)
    path = sim.save(tmp_path / "ck")
    manifest = json.loads((path / checkpoint.MANIFEST).read_text())

    def rewrite(**changes):
        (path / checkpoint.MANIFEST).write_text(json.dumps(unsigned({**manifest, **changes})))

    rewrite(scsim_version="0.0.1")
    with pytest.raises(ScsimError, match=r"written by scsim 0\.0\.1"):
        Simulation.load(path)
    rewrite(format=checkpoint.FORMAT + 1)
    with pytest.raises(ScsimError, match="format"):
        Simulation.load(path)
    rewrite(scenario_hash="0" * 16)
    with pytest.raises(ScsimError, match="does not match"):
        Simulation.load(path)
    rewrite()
    data = (path / checkpoint.ARRAYS).read_bytes()
    (path / checkpoint.ARRAYS).write_bytes(data[: len(data) // 2])
    with pytest.raises(ScsimError, match="damaged"):
        Simulation.load(path)
    with pytest.raises(ScsimError, match="no checkpoint"):
        Simulation.load(tmp_path / "nothing")

    shame = next(s for s in sim.steps if s.name == "shame")
    monkeypatch.setattr(shame, "memo", {"a": 1}, raising=False)
    with pytest.raises(ScsimError, match=r"cannot checkpoint steps/shame.memo: a dict"):
        sim.save(tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_an_edge_list_network_is_saved_and_branched(tmp_path, small_edges):
    edges = tmp_path / "copy.edges"
    edges.write_bytes(small_edges.read_bytes())
    sc = scsim.load_scenario("informants", days=30, network=edges,
                             overrides=["listing.threshold=990", "reports.false_rate=0.01"])
    want = digests(Simulation(sc, seed=3).run())
    sim = Simulation(sc, seed=3)
    sim.run_until(12)
    path = sim.save(tmp_path / "ck")
    edges.unlink()  # the network is in the checkpoint: the file is not read again
    assert_identical(digests(Simulation.load(path).run()), want)
    assert_identical(digests(Simulation.load(path, scenario=sc).run()), want)


# --- in the run store -----------------------------------------------------------------------

def stop_at(day):
    def progress(d):
        if d == day:
            raise KeyboardInterrupt

    return progress


def test_store_run_interrupted_then_resumed(tmp_path, stored_reference):
    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(scenario(), seed=SEED, store=tmp_path, checkpoint_every=10,
                       progress=stop_at(26))
    st = open_store(tmp_path)
    row = st.runs().iloc[0]
    run_id = row["id"]
    assert row["status"] == "interrupted"
    assert row["error"] == (f"interrupted (Ctrl-C); `scsim resume {run_id}` continues it "
                            "from day 20")
    assert stopped.value.__notes__ == [f"run {run_id} is kept as interrupted; `scsim resume "
                                       f"{run_id}` continues it from day 20 (in Python: "
                                       f"scsim.open_store({str(tmp_path.resolve())!r}).resume("
                                       f"{run_id!r}))"]
    assert stopped.value.run_id == run_id
    folder = tmp_path / "checkpoints" / run_id
    assert [p.name for p in folder.iterdir()] == ["day-000020"]
    seen = []
    res = st.resume(run_id[:-1], progress=seen.append)
    assert seen == list(range(20, DAYS))
    assert res.run_id == run_id and st.runs().iloc[0]["status"] == "done"
    assert not folder.exists()
    assert_identical(digests(st.load(run_id)), stored_reference)
    with pytest.raises(ScsimError, match="is done"):
        st.resume(run_id)


def test_a_checkpoint_that_fails_to_write_fails_the_run_resumably(tmp_path, monkeypatch,
                                                                  stored_reference):
    real = checkpoint.write_checkpoint

    def disk_full_at_day_20(sim, folder, extra=None):
        if sim.state.day == 20:
            (folder / checkpoint.ARRAYS).write_bytes(b"PK half a file")
            raise OSError(28, "No space left on device")
        return real(sim, folder, extra)

    monkeypatch.setattr(checkpoint, "write_checkpoint", disk_full_at_day_20)
    with pytest.raises(ScsimError, match=r"disk is full .* its last checkpoint was kept: "
                                         r"`scsim resume \S+` continues it from day 10"):
        scsim.simulate(scenario(), seed=SEED, store=tmp_path, checkpoint_every=10)
    monkeypatch.undo()
    st = open_store(tmp_path)
    row = st.runs().iloc[0]
    assert row["status"] == "failed" and "continues it from day 10" in row["error"]
    assert [p.name for p in (tmp_path / "checkpoints" / row["id"]).iterdir()] == ["day-000010"]
    st.resume(row["id"])
    assert_identical(digests(st.load(row["id"])), stored_reference)


def stopped_run(store: Path):
    """A run stopped by Ctrl-C on day 7 of ``scenario()`` with a checkpoint every 5 days,
    kept in ``store``: (the store opened, the run's id)."""
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=5,
                       progress=stop_at(7))
    st = open_store(store)
    return st, st.runs().iloc[0]["id"]


def test_repair_keeps_checkpoints_of_stopped_runs_only(tmp_path):
    st, run_id = stopped_run(tmp_path)
    kept = tmp_path / "checkpoints" / run_id
    stale = [tmp_path / "checkpoints" / "20000101-000000-abcd", kept / ".tmp-day-000010-1"]
    for folder in stale:
        folder.mkdir(parents=True)
    open_store(tmp_path).runs()  # an opening repairs
    assert (kept / "day-000005" / checkpoint.MANIFEST).is_file()
    assert not any(folder.exists() for folder in stale)
    st.remove(run_id)
    assert not kept.exists()


def test_a_removal_that_dies_once_the_row_is_gone_leaves_no_checkpoints_behind(
        tmp_path, monkeypatch):
    """``rm`` of a stopped run killed after its row was deleted left its checkpoints in a
    series no run owns (kept for good by the repair, which keeps what it does not know):
    they go into the removal's trash with its folder, which the next opening clears. A
    user's file beside them stays."""
    st, run_id = stopped_run(tmp_path)
    kept = tmp_path / "checkpoints" / run_id
    (kept / "NOTES.txt").write_text("mine")

    def killed(self, ref):
        raise KeyboardInterrupt  # after the catalogue let go of the row

    monkeypatch.setattr(type(st), "reports_of", killed)
    with pytest.raises(KeyboardInterrupt):
        st.remove(run_id)
    monkeypatch.undo()
    assert sorted(p.name for p in kept.iterdir()) == ["NOTES.txt"]
    assert open_store(tmp_path).runs().empty  # an opening repairs: the trash goes
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("rm-")]
    assert (kept / "NOTES.txt").read_text() == "mine"


def test_a_removal_killed_before_its_row_went_is_put_back(tmp_path):
    """`rm` killed after it moved a stopped run's checkpoints (and a finished run's folder)
    into its trash, before the row was deleted: the next opening cleared the trash, and the
    run its row still called resumable had no checkpoint left. The opening puts them back."""
    st, stopped = stopped_run(tmp_path)
    done = scsim.simulate(scenario(), seed=SEED, store=tmp_path)
    trash = tmp_path / "tmp" / "rm-{}-99999999"
    for run_id in (stopped, done.run_id):  # as `rm` leaves them, killed before the DELETE
        (bin_ := Path(str(trash).format(run_id))).mkdir(parents=True)
        for entry in (tmp_path / "checkpoints" / run_id).glob("day-*"):
            entry.rename(bin_ / f"checkpoint-{entry.name}")
        if run_id == done.run_id:
            (tmp_path / "runs" / run_id).rename(bin_ / run_id)
    st = open_store(tmp_path)
    assert [item.state for item in st.check()] == ["ok"]
    assert not list((tmp_path / "tmp").glob("rm-*"))
    resumed = st.resume(stopped)
    assert_identical(digests(resumed), digests(scsim.simulate(scenario(), seed=SEED)))


def test_resume_refusals_on_the_command_line(tmp_path, monkeypatch, capsys):
    store = tmp_path / "store"
    monkeypatch.setenv("SCSIM_STORE", str(store))
    with pytest.raises(KeyboardInterrupt):  # no checkpoint
        scsim.simulate(scenario(), seed=SEED, store=store, progress=stop_at(3))
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    done = scsim.simulate(scenario(), seed=SEED, store=store)
    st = open_store(store)
    with_ckpt, plain = st.runs(status="interrupted")["id"]  # newest first
    ckpt = tmp_path / "store" / "checkpoints" / with_ckpt / "day-000008" / checkpoint.MANIFEST
    manifest = json.loads(ckpt.read_text())

    def refused(run, message):
        code, _, err = run_cli(monkeypatch, capsys, "resume", run, "--quiet")
        assert code == 2 and message in err and "Traceback" not in err, err
        assert err.count("error:") == 1

    refused(plain, "has no checkpoint to resume from")
    refused(done.run_id, "is done")
    refused("nope", "no run 'nope'")
    ckpt.write_text(json.dumps(unsigned({**manifest, "scsim_version": "9.9"})))
    refused(with_ckpt, "written by scsim 9.9")
    # one changed figure of a manifest (a seed, a day) is damage: it resumed another seed's
    # run, or ran past its last day and failed, leaving a checkpoint that failed again
    ckpt.write_text(json.dumps({**manifest, "seed": SEED + 1}))
    refused(with_ckpt, "manifest.json: its content does not match its checksum")
    # another run's checkpoint copied into this run's folder: its results would be
    # recorded as this run's, of another seed
    ckpt.write_text(json.dumps(unsigned({**manifest, "run_id": plain})))
    refused(with_ckpt, f"its checkpoint is of run {plain}, not of this one")
    ckpt.write_text(json.dumps(unsigned({**manifest, "seed": SEED + 1})))
    refused(with_ckpt, f"its checkpoint is of seed {SEED + 1}, the run's is {SEED}")
    ckpt.write_text(json.dumps(manifest))
    with st._connect() as con:
        con.execute("UPDATE runs SET scenario_hash = 'feedfacefeedface' WHERE id = ?",
                    [with_ckpt])
    refused(with_ckpt, "the run's is feedfacefeedface")


def test_a_run_stopped_before_its_first_checkpoint_is_told_so(tmp_path, monkeypatch,
                                                              capsys):
    """A run started with checkpoints every 20 days and stopped on day 6 has none: it was
    told "without checkpoints (--checkpoint-every DAYS ...) it cannot be resumed", and
    resume "run with --checkpoint-every DAYS to keep one", both asking for what it had
    been given, and neither saying how to run it again. A --checkpoint-every of the run's
    days or more, which keeps none, is told when the run starts."""
    store = tmp_path / "store"
    monkeypatch.setenv("SCSIM_STORE", str(store))
    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=20,
                       progress=stop_at(5))
    row = open_store(store).runs().iloc[0]
    told = "it stopped on day 6, before its first checkpoint (day 20), so it cannot be resumed"
    assert stopped.value.__notes__ == [f"run {row['id']} is kept as interrupted; {told}: "
                                       "run it again"]
    assert (row["status"], row["error"]) == ("interrupted", f"interrupted (Ctrl-C); {told}: "
                                             "run it again")
    code, _, err = run_cli(monkeypatch, capsys, "resume", row["id"], "--quiet")
    said = " ".join(err.split())
    assert code == 2 and "Traceback" not in err, err
    assert "or stopped before its first checkpoint" in said
    assert (f"`scsim run {SCENARIO} --seed {SEED}` and the options it was started with "
            f"(it changed days={DAYS} population.agents={AGENTS} ") in said
    assert f"`scsim rm {row['id']}` removes this one" in said
    code, _, err = run_cli(monkeypatch, capsys, "run", *CLI_ARGS, "--checkpoint-every",
                           str(DAYS), "--quiet")
    assert code == 0, err
    assert (f"note: --checkpoint-every {DAYS} keeps no checkpoint in a run of {DAYS} days"
            in " ".join(err.split()))


def test_loading_no_checkpoint_says_what_to_give(tmp_path):
    """Simulation.load of a path that holds no checkpoint said only "no checkpoint in
    PATH", whether the path was missing, a checkpoint's manifest.json, the store, or its
    checkpoints/ folder: it now says which, and the folder to give."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(5))
    run = store / "checkpoints" / stopped.value.run_id
    (tmp_path / "empty").mkdir()
    for path, told in (
            (tmp_path / "nope", "there is no such folder"),
            (run / "day-000004" / checkpoint.MANIFEST,
             f"it is a file; give the checkpoint's folder ({run / 'day-000004'})"),
            (store / "checkpoints", f"it holds the checkpoints of 1 run: give one run's "
             f"folder ({run}), or `scsim resume RUN` continues a run"),
            (store, "it is a run store: give a run's folder in its checkpoints/"),
            (tmp_path / "empty", "a checkpoint's folder holds manifest.json and state.npz")):
        with pytest.raises(ScsimError) as refused:
            Simulation.load(path)
        assert str(refused.value).startswith(f"no checkpoint in {path}: {told}")
    assert Simulation.load(run).state.day == 4


def test_a_second_resume_is_refused_before_it_loads_the_state(tmp_path, monkeypatch):
    """Two resumes of a run at once each loaded the whole checkpoint before one of them was
    refused (17 GB each at 10^8 agents): the row is now taken first, and the second resume,
    started while the first loads, is refused without loading. A load that fails gives the
    row back, still resumable."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(5))
    run_id, st = stopped.value.run_id, open_store(store)
    loaded, refused = [], []
    real_load = Simulation.load

    def load_and_resume_again(path, *args, **kwargs):
        loaded.append(path)
        with pytest.raises(ScsimError) as second:
            open_store(store).resume(run_id)
        refused.append(str(second.value))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(Simulation, "load", load_and_resume_again)
    assert st.resume(run_id).run_id == run_id
    assert len(loaded) == 1 and refused == [
        f"run {run_id} is still running (pid {os.getpid()} on {socket.gethostname()}): "
        "there is nothing to resume; `scsim runs` shows when it is done"]
    with pytest.raises(KeyboardInterrupt):  # stopped again, then its checkpoint damaged
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(5))
    row = "SELECT id, status, error, pid, finished FROM runs WHERE status = 'interrupted'"
    again = st.query(row).iloc[0]
    (store / "checkpoints" / again["id"] / "day-000004" / checkpoint.ARRAYS).write_bytes(b"")
    monkeypatch.setattr(Simulation, "load", real_load)
    with pytest.raises(ScsimError, match="is damaged"):
        st.resume(again["id"])
    pd.testing.assert_series_equal(st.query(row).iloc[0], again)
    # a bad number of days is refused before the row is taken (it stayed running, with
    # this process's pid, so that every later resume was refused as "still running")
    with pytest.raises(ScsimError, match="must be at least 1 day, got -3"):
        st.resume(again["id"], checkpoint_every=-3)
    pd.testing.assert_series_equal(st.query(row).iloc[0], again)


def test_a_damaged_manifest_is_told_in_one_line(tmp_path, monkeypatch, capsys):
    """A manifest.json with a key missing, of another JSON type, or naming an array it
    does not list is refused as damaged, by `Simulation.load` and by `scsim resume` (exit
    2, one line), not met later as a KeyError or TypeError (an internal error)."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(5))
    run_id = open_store(store).runs()["id"].iloc[0]
    folder = (store / "checkpoints" / run_id / "day-000004").resolve()
    manifest = json.loads((folder / checkpoint.MANIFEST).read_text())
    carried, step = manifest["carried"], next(iter(manifest["carried"]["steps"]))
    elsewhere = {**carried["steps"], step: {"n": {"array": "nowhere", "scalar": False}}}
    for broken, problem in [
            ({k: v for k, v in manifest.items() if k != "carried"}, "carried is missing"),
            ('{"day": 4', "it is not JSON (Expecting ',' delimiter: line 1 column 10 "
                           "(char 9))"),
            ([], "it is an array, not an object"),
            ({**manifest, "day": "fifty"}, "day is a string, not an integer"),
            ({**manifest, "seed": True}, "seed is true or false, not an integer"),
            ({**manifest, "format": "2"}, "format is a string, not an integer"),
            ({**manifest, "arrays": {"net/entries": "<u4"}},
             "arrays.net/entries is not [dtype, [size, ...]]"),
            ({**manifest, "started": "yesterday"}, "started is not a date and time: "
                                                   "'yesterday'"),
            ({**manifest, "profile": {"setup": "slow"}},
             "profile.setup is a string, not an integer or a number"),
            ({**manifest, "carried": {"steps": carried["steps"]}},
             "carried.recorder is missing"),
            ({**manifest, "carried": {**carried, "steps": elsewhere}},
             f"carried.steps.{step}.n names the array 'nowhere', which it does not list")]:
        (folder / checkpoint.MANIFEST).write_text(broken if isinstance(broken, str)
                                                  else json.dumps(broken))
        message = f"the checkpoint {folder} is damaged: manifest.json: {problem}"
        with pytest.raises(ScsimError) as refused:
            Simulation.load(folder)
        assert str(refused.value) == message
        code, _, err = run_cli(monkeypatch, capsys, "resume", run_id, "--quiet", "--store",
                               str(store))
        assert (code, err) == (2, f"error: {message}")
    (folder / checkpoint.MANIFEST).write_text(json.dumps(manifest))
    assert Simulation.load(folder).state.day == 4  # the manifest as written is whole


# --- killed processes -----------------------------------------------------------------------

def start(store: Path, pause: str, *more: str, cwd: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ, SCSIM_CHECKPOINT_TEST_PAUSE=pause)
    return subprocess.Popen([*CLI, "run", *CLI_ARGS, "--checkpoint-every", "10", "--quiet",
                             "--store", str(store), *more], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=cwd)


def wait_for(proc: subprocess.Popen, *paths_of) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"scsim run ended: {proc.stderr.read().decode()}")
        if all(f() for f in paths_of):
            return
        time.sleep(0.1)
    raise AssertionError("the checkpoints did not appear")


def only_run(store: Path) -> str:
    while not (store / "catalog.duckdb").exists():
        time.sleep(0.1)
    return open_store(store).runs().iloc[0]["id"]


def test_sigkill_between_checkpoints_then_resume(tmp_path, monkeypatch, capsys,
                                                 stored_reference):
    store = tmp_path / "store"
    proc = start(store, "day:25:600")  # sleeps after day 25: days 20-25 done, not kept
    try:
        folder = store / "checkpoints" / only_run(store)
        wait_for(proc, lambda: (folder / "day-000020" / checkpoint.MANIFEST).is_file())
        time.sleep(1.0)
        code, _, err = run_cli(monkeypatch, capsys, "resume", folder.name, "--store",
                               str(store), "--quiet")
        assert code == 2 and "is still running" in err
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run_id = folder.name
    row = open_store(store).runs().iloc[0]
    assert row["status"] == "interrupted" and "continues it from day 20" in row["error"]
    code, out, err = run_cli(monkeypatch, capsys, "resume", run_id, "--store", str(store),
                             "--quiet")
    assert code == 0, err
    assert f"run {run_id} resumed at day 20" in out
    st = open_store(store)
    assert list(st.runs()["status"]) == ["done"] and not folder.exists()
    assert_identical(digests(st.load(run_id)), stored_reference)


def test_sigkill_while_writing_a_checkpoint_then_resume(tmp_path, monkeypatch, capsys,
                                                        stored_reference):
    store = tmp_path / "store"
    proc = start(store, "write:20:600")  # sleeps inside the write of day 20's checkpoint
    try:
        folder = store / "checkpoints" / only_run(store)
        wait_for(proc, lambda: (folder / "day-000010" / checkpoint.MANIFEST).is_file(),
                 lambda: any((p / checkpoint.MANIFEST).is_file()
                             for p in folder.glob(".tmp-day-000020-*")))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run_id = folder.name
    assert checkpoint.latest(folder).name == "day-000010"  # the previous one is intact
    assert Simulation.load(folder).state.day == 10
    st = open_store(store)
    assert st.runs().iloc[0]["status"] == "interrupted"  # the repair...
    assert sorted(p.name for p in folder.iterdir()) == ["day-000010"]  # ...and the cut write
    code, out, err = run_cli(monkeypatch, capsys, "resume", run_id, "--store", str(store),
                             "--quiet")
    assert code == 0, err
    assert "resumed at day 10" in out
    assert_identical(digests(st.load(run_id)), stored_reference)


def test_resume_writes_the_folder_and_report_the_run_was_started_with(
        tmp_path, monkeypatch, capsys):
    """`scsim run --out results --report --checkpoint-every`, killed and resumed: the
    resumed run saves the results to the folder the run was started with (made absolute
    when it started: resume runs from another folder) and draws the report, as the run
    would have (both were dropped without a word). The folder taken by a user's file in
    the meantime is refused before the run goes on, and the run stays resumable."""
    store, started_in = tmp_path / "store", tmp_path / "project"
    started_in.mkdir()
    proc = start(store, "day:25:600", "--out", "results", "--report", cwd=started_in)
    try:
        folder = store / "checkpoints" / only_run(store)
        wait_for(proc, lambda: (folder / "day-000020" / checkpoint.MANIFEST).is_file())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run_id, results = folder.name, started_in / "results"
    assert checkpoint.read_manifest(folder)["request"] == {
        "out": str(results.resolve()), "force": False, "report": True}
    monkeypatch.chdir(tmp_path)
    results.mkdir()
    (results / "notes.txt").write_text("mine")
    code, out, err = run_cli(monkeypatch, capsys, "resume", run_id, "--store", str(store),
                             "--quiet")
    assert code == 2 and "notes.txt" in err and f"was started with --out {results}" in err
    assert (results / "notes.txt").read_text() == "mine"
    assert open_store(store).runs().iloc[0]["status"] == "interrupted"
    (results / "notes.txt").unlink()
    code, out, err = run_cli(monkeypatch, capsys, "resume", run_id, "--store", str(store),
                             "--quiet")
    assert code == 0, err
    assert f"results saved to {results}" in " ".join(out.split())
    assert open_store(store).load(run_id).info["run_id"] == run_id
    assert (results / "run.json").is_file() and (results / "metrics.parquet").is_file()
    assert (store / "reports" / run_id / "report.html").is_file()


def test_resume_keeps_the_request_through_a_second_stop_or_is_told_otherwise(
        tmp_path, monkeypatch, capsys):
    """The request (``checkpoint.requested``; from Python: nothing) is recorded by every
    checkpoint, also those written after a resume that stopped again; `resume --out DIR`
    and `--no-report` replace it; a checkpoint that does not record it is resumed with a
    note saying that neither the folder nor the report was written."""
    store = tmp_path / "store"
    monkeypatch.setenv("SCSIM_STORE", str(store))
    with pytest.raises(KeyboardInterrupt):  # from Python: nothing asked
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    with pytest.raises(KeyboardInterrupt), checkpoint.requested(tmp_path / "a", False, True):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    st = open_store(store)
    asked, plain = st.runs(status="interrupted")["id"]  # newest first
    manifest = checkpoint.read_manifest(store / "checkpoints" / plain)
    assert manifest["request"] == checkpoint.NOTHING_ASKED
    with pytest.raises(KeyboardInterrupt):  # resumed from Python, stopped again
        st.resume(asked, progress=stop_at(14))
    manifest = checkpoint.read_manifest(store / "checkpoints" / asked)
    assert manifest["day"] == 12 and manifest["request"] == {
        "out": str((tmp_path / "a").resolve()), "force": False, "report": True}
    code, out, err = run_cli(monkeypatch, capsys, "resume", asked, "--quiet", "--out",
                             str(tmp_path / "b"), "--no-report")
    assert code == 0, err
    assert (tmp_path / "b" / "run.json").is_file() and not (tmp_path / "a").exists()
    assert not (store / "reports").exists()

    ckpt = Path(checkpoint.read_manifest(store / "checkpoints" / plain)["path"])
    manifest = json.loads((ckpt / checkpoint.MANIFEST).read_text())
    del manifest["request"]  # as a checkpoint written before scsim kept it
    (ckpt / checkpoint.MANIFEST).write_text(json.dumps(unsigned(manifest)))
    code, out, err = run_cli(monkeypatch, capsys, "resume", plain, "--quiet")
    assert code == 0, err
    assert "does not record whether it was started with --out or --report" in " ".join(
        out.split())


# --- arrays a run cannot use (core.state.short_arrays) ---------------------------------------

QUIET = ("reports.false_rate=0", "shaming.enabled=false")  # no false reports, no shaming
LOUD_AT_20 = ("timeline=[{day: 20, set: {reports.false_rate: 0.01, shaming.enabled: true}}, "
              "{day: 22, set: {listing.threshold: 990}}]")
UNUSED = ("malice", "times_shamed", "nbr_shamed", "ties_lost", "deg_active")


def test_a_branch_gives_the_arrays_it_uses_their_rows(tmp_path):
    """A run without false reports or shaming keeps no rows of malice, the shaming counts
    and the active degree; branched at day 20 into false reports and shaming, it gets
    malice drawn from the seed, the counts at 0 and each agent's degree, and goes on bit
    for bit as the run whose timeline switches them on at day 20 (which keeps them from
    day 0)."""
    quiet = Simulation(scenario(*QUIET), seed=SEED)
    assert all(quiet.state.agents[name].shape == (0,) for name in UNUSED)
    quiet.run_until(20)
    path = quiet.save(tmp_path / "day20")
    loud = scenario(*QUIET, LOUD_AT_20)
    whole = Simulation(loud, seed=SEED)
    assert all(len(whole.state.agents[name]) == AGENTS for name in UNUSED)
    branched = Simulation.load(path, scenario=loud)
    np.testing.assert_array_equal(branched.state.agents["malice"],
                                  whole.state.agents["malice"])
    res = branched.run()
    assert res.metrics["false_reports_accepted"].iloc[20:].sum() > 0
    assert res.metrics["shamed"].iloc[20:].sum() > 0
    assert_identical(digests(res), digests(whole.run()))


def test_a_checkpoint_with_a_household_array_and_full_rows_still_resumes(tmp_path):
    """A checkpoint written before the state kept no household array nor rows of the
    arrays its run cannot use resumes bit for bit, and keeps no rows of them."""
    sim = Simulation(scenario(*QUIET), seed=SEED)
    sim.run_until(15)
    path = sim.save(tmp_path / "ck")
    arrays = saved_arrays(path)
    start = arrays["state/household_start"]
    arrays["agents/household"] = np.repeat(np.arange(len(start) - 1, dtype=np.int32),
                                           np.diff(start))
    whole = Simulation(scenario(*QUIET), seed=SEED)  # its malice drawn in full
    arrays["agents/malice"] = malice_rows(whole.scenario, SEED, 0, AGENTS)
    ties = sim.state.agents["nbr_listed"].dtype
    arrays["agents/times_shamed"] = arrays["agents/ties_lost"] = np.zeros(AGENTS, np.uint16)
    arrays["agents/nbr_shamed"] = np.zeros(AGENTS, ties)
    arrays["agents/deg_active"] = np.diff(sim.state.net.indptr).astype(ties)
    rewrite_arrays(path, arrays)
    loaded = Simulation.load(path)
    assert "household" not in loaded.state.agents
    assert all(loaded.state.agents[name].shape == (0,) for name in UNUSED)
    res = loaded.run()
    assert_identical(digests(res), digests(whole.run()))
    np.testing.assert_array_equal(res.agents["household"], arrays["agents/household"])


def test_a_store_that_lost_its_catalogue_is_refused_with_its_checkpoints_intact(
        tmp_path, monkeypatch, capsys):
    """A store whose catalogue was lost (moved aside after damage) was taken for a new one:
    `scsim runs` said "no runs yet" and its crash repair deleted every checkpoint it had
    no row for, the only copy of an interrupted run's state."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    done = scsim.simulate(scenario(), seed=SEED, store=store).run_id
    (store / "catalog.duckdb").unlink()
    before = sorted(p.relative_to(store) for p in store.rglob("*"))
    for command in (["runs"], ["query", "SELECT 1"], ["check"], ["show", done]):
        code, out, err = run_cli(monkeypatch, capsys, *command, "--store", str(store))
        assert (code, out) == (2, ""), command
        assert err == (f"error: the run store {store} has lost its catalogue (catalog.duckdb) "
                       "but holds 1 finished run and 1 run with checkpoints: scsim will not "
                       "use it without one. `scsim check --repair catalogue --store "
                       f"{store}` makes one again from the runs' own files (what sweep each "
                       "run was in, and the comparisons, are lost), or put the catalogue "
                       "back from a backup"), command
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before


def test_a_lost_catalogue_is_made_again_from_the_runs_folders(tmp_path, monkeypatch, capsys):
    """Refusing a store without its catalogue kept its runs safe but out of reach: `scsim
    check --repair catalogue` makes the catalogue again from run.json, scenario.yaml and
    the checkpoints' manifests. The finished run is found as it was (same row, its own
    files only: a user's notes stay theirs), the interrupted one resumes to the bits of a
    run never stopped, and a folder that cannot be read is left out and named."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    finished = scsim.simulate(scenario(), seed=SEED + 1, store=store)
    rows = open_store(store).runs().set_index("id")
    interrupted = next(i for i in rows.index if i != finished.run_id)
    (store / "runs" / finished.run_id / "NOTES.txt").write_text("mine")
    broken = store / "runs" / "20200101-000000-abcd"
    broken.mkdir()
    (broken / "run.json").write_text("{")
    (store / "catalog.duckdb").unlink()
    code, out, err = run_cli(monkeypatch, capsys, "check", "--repair", "catalogue",
                             "--store", str(store))
    assert code == 0, err
    said = " ".join(out.split())
    assert said.startswith("rebuilt the catalogue from 1 finished run and 1 run with a "
                           "checkpoint")
    assert f"interrupted {interrupted}: scsim resume {interrupted} continues it" in said
    assert "left out runs/20200101-000000-abcd: JSONDecodeError" in said
    assert said.endswith(f"checked 1 run in {store}: 1 intact, 0 damaged")
    again = open_store(store).runs().set_index("id")
    kept = ["scenario", "seed", "overrides", "scsim_version", "agents", "days", "status",
            "wall_seconds"]
    assert again.loc[finished.run_id, kept].equals(rows.loc[finished.run_id, kept])
    assert again.loc[interrupted, "status"] == "interrupted"
    st = open_store(store)
    loaded = st.load(finished.run_id)
    pd.testing.assert_frame_equal(loaded.metrics, finished.metrics)
    pd.testing.assert_frame_equal(loaded.agents, finished.agents)
    resumed = st.resume(interrupted)
    assert_identical(digests(resumed), digests(scsim.simulate(scenario(), seed=SEED)))
    st.remove(finished.run_id)
    assert (store / "runs" / finished.run_id / "NOTES.txt").read_text() == "mine"
    code, _, err = run_cli(monkeypatch, capsys, "check", "--repair", "catalogue",
                           "--store", str(store))
    assert code == 2 and "has its catalogue: there is nothing to rebuild" in err


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and not p.name.endswith(".lock"))


def test_a_catalogue_lost_while_a_process_holds_the_store_is_refused_there_too(tmp_path):
    """A dashboard (or a long run) that opened the store before its catalogue was lost
    made an empty one at its next step, and that one's repair deleted every interrupted
    run's checkpoints: the check is made again before each opening that could write."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    held = open_store(store)
    assert len(held.runs()) == 1
    (store / "catalog.duckdb").unlink()
    before = _files(store)
    for step in (held.runs, lambda: scsim.simulate(scenario(), seed=SEED + 1, store=held)):
        with pytest.raises(ScsimError, match=r"has lost its catalogue .* --repair catalogue"):
            step()
    assert not (store / "catalog.duckdb").exists() and _files(store) == before


def test_a_rebuild_keeps_what_it_leaves_out_and_tells_a_run_still_going(tmp_path, monkeypatch,
                                                                        capsys):
    """Found by attacking the rebuild: a checkpoint series it left out (an edited
    manifest) was deleted by the check after it, day-000004 with day-000008; a run still
    going was listed as interrupted and its checkpoint write deleted under it (the run
    died); a run with an unreadable file was "intact" (fingerprinted as it was)."""
    from scsim.store.runstore import running

    store = tmp_path / "store"
    ids = []
    for seed in (SEED, SEED + 1):
        with pytest.raises(KeyboardInterrupt):
            scsim.simulate(scenario(), seed=seed, store=store, checkpoint_every=4,
                           progress=stop_at(9))
        ids.append(open_store(store).runs()["id"].iloc[0])
    edited, going = ids
    damaged = scsim.simulate(scenario(), seed=SEED + 2, store=store).run_id
    with open(store / "runs" / damaged / "metrics.parquet", "r+b") as handle:
        handle.truncate(100)
    newest = sorted((store / "checkpoints" / edited).glob("day-*"))[-1] / "manifest.json"
    newest.write_text(newest.read_text().replace('"day": 8', '"day": 6'))
    writing = store / "checkpoints" / going / ".tmp-day-000010-99999"
    writing.mkdir()  # the live run's next checkpoint, being written
    (store / "catalog.duckdb").unlink()
    kept = _files(store / "checkpoints")
    with running(store, going):  # as the process that runs it holds it
        code, out, err = run_cli(monkeypatch, capsys, "check", "--repair", "catalogue",
                                 "--store", str(store))
        said = " ".join(out.split())
        assert code == 1, err  # the damaged run remains
        assert f"still running {going}: it lands when its process ends" in said
        assert f"left out checkpoints/{edited}: " in said and "is damaged" in said
        assert f"damaged {damaged}: a file cannot be read" in said
        assert open_store(store).runs().set_index("id").loc[going, "status"] == "running"
        assert writing.is_dir()
    assert _files(store / "checkpoints") == kept  # every checkpoint, the left-out ones too
    assert open_store(store).runs().set_index("id").loc[damaged, "status"] == "damaged"
    code, _, _ = run_cli(monkeypatch, capsys, "check", "--store", str(store))
    assert code == 1  # damaged, as the rebuild found it (it said "intact", exit 0)


def test_a_run_that_lands_after_a_rebuild_gets_its_row(tmp_path):
    """A run without checkpoints going on while the catalogue was rebuilt has no row in
    the new one: when it lands it gets one from its folder, instead of a folder no
    command lists."""
    from scsim.store.rebuild import rebuild_catalogue

    store = tmp_path / "store"
    first = scsim.simulate(scenario(), seed=SEED, store=store).run_id

    def lose_and_rebuild(_result) -> None:  # while the run is going, before it lands
        (store / "catalog.duckdb").unlink()
        assert rebuild_catalogue(store).done == [first]

    st = open_store(store)
    late = st.record(Simulation(scenario(), seed=SEED + 1), finished=lose_and_rebuild)
    rows = open_store(store).runs().set_index("id")
    assert rows.loc[late.run_id, "status"] == "done" and rows.loc[first, "status"] == "done"
    pd.testing.assert_frame_equal(open_store(store).load(late.run_id).metrics, late.metrics)


def test_files_a_user_put_beside_a_run_stay(tmp_path, monkeypatch, capsys):
    """A backup of a checkpoint and notes in a run's checkpoints' folder went when the run
    was resumed and done, notes in its folder in runs/ when it was removed: only scsim's
    own files go; the folders stay with the user's, and rm says so. A backup named after
    the checkpoint with a number (day-000008-1, as a file manager copies it) went too: it
    was taken for a checkpoint being written."""
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(scenario(), seed=SEED, store=store, checkpoint_every=4,
                       progress=stop_at(9))
    st = open_store(store)
    run_id = st.runs()["id"].iloc[0]
    folder = store / "checkpoints" / run_id
    shutil.copytree(folder / "day-000008", folder / "my-backup-day8")
    shutil.copytree(folder / "day-000008", folder / "day-000008-1")
    (folder / "NOTES.txt").write_text("mine")
    code, _, err = run_cli(monkeypatch, capsys, "resume", run_id, "--quiet", "--store",
                           str(store))
    assert code == 0, err
    mine = ["NOTES.txt", "day-000008-1", "my-backup-day8"]
    assert sorted(p.name for p in folder.iterdir()) == mine
    assert (folder / "my-backup-day8" / checkpoint.MANIFEST).is_file()
    assert (folder / "day-000008-1" / checkpoint.MANIFEST).is_file()
    (store / "runs" / run_id / "NOTES.txt").write_text("my annotations")
    code, _, err = run_cli(monkeypatch, capsys, "check", "--store", str(store))
    assert code == 0, err  # a file of the user's is no damage
    code, out, err = run_cli(monkeypatch, capsys, "rm", run_id, "--store", str(store))
    assert code == 0, err
    said = " ".join(out.split())
    assert f"kept its folder {store / 'runs' / run_id}: it holds files that scsim" in said
    assert f"kept its checkpoints' folder {folder}: it holds files" in said
    assert [p.name for p in (store / "runs" / run_id).iterdir()] == ["NOTES.txt"]
    assert (store / "runs" / run_id / "NOTES.txt").read_text() == "my annotations"
    assert sorted(p.name for p in folder.iterdir()) == mine
    assert st.runs().empty


# --- what checkpoints take on disk ------------------------------------------------------------

DISK_ARGS = ["pilot-1000", "--agents", "2000", "--days", "24", "--seed", "1",
             "--checkpoint-every", "5"]


def test_a_checkpointed_run_says_what_its_checkpoints_took_on_disk(tmp_path, monkeypatch,
                                                                   capsys):
    """`scsim run --checkpoint-every N` wrote checkpoints without a word of the disk they
    took. Once the run is done it says how many it wrote and how large the newest was on
    disk: the sum of its files' sizes (kept here for the test: a done run's are removed)."""
    from scsim.outputs.words import in_bytes
    from scsim.store import runstore

    removed = []
    monkeypatch.setattr(runstore, "remove_series", removed.append)  # keep them to measure
    code, out, err = run_cli(monkeypatch, capsys, "run", *DISK_ARGS, "--store",
                             str(tmp_path))
    assert code == 0, err
    (run_id,) = open_store(tmp_path).runs()["id"]
    folder = tmp_path / "checkpoints" / run_id
    assert folder in removed
    assert [p.name for p in folder.iterdir()] == ["day-000020"]  # days 5, 10, 15 replaced
    size = sum(p.stat().st_size for p in (folder / "day-000020").iterdir())
    assert size > 100_000
    assert [in_bytes(k) for k in (1, 812, 999_999, 41_234_567, 1_050_000_000)] == [
        "1 byte", "812 bytes", "1 MB", "41.2 MB", "1.05 GB"]  # decimal units, as df -H
    told = " ".join(out.split())
    assert (f"4 checkpoints written (every 5 days), the newest {in_bytes(size)} on disk "
            f"(about {in_bytes(2 * size)} at once while it replaced the one before); "
            "removed now that the run is done") in told
    # in Python, the bytes themselves
    st = open_store(tmp_path)
    st.record(Simulation(scsim.load_scenario("pilot-1000", agents=2000, days=24), seed=1),
              checkpoint_every=5)
    series = st.last_series
    newest = series.folder / "day-000020"
    assert series.disk == sum(p.stat().st_size for p in newest.iterdir())
    assert [day for day, _, _ in series.written] == [5, 10, 15, 20]
    # `scsim show` of a run that keeps checkpoints says what they take
    code, out, _ = run_cli(monkeypatch, capsys, "show", run_id, "--store", str(tmp_path))
    assert code == 0
    assert (f"checkpoints kept: 1 checkpoint, {in_bytes(size)}, in {folder}"
            in " ".join(out.split()))


def test_a_stopped_run_shown_says_what_its_checkpoint_takes(tmp_path, monkeypatch, capsys):
    """A run stopped after a checkpoint keeps it until it is resumed: `scsim show` said it
    has no results, not what it keeps on disk."""
    from scsim.outputs.words import in_bytes

    with pytest.raises(KeyboardInterrupt) as stopped:
        scsim.simulate(scsim.load_scenario("pilot-1000", agents=2000, days=24), seed=1,
                       store=tmp_path, checkpoint_every=5, progress=stop_at(12))
    run_id = stopped.value.run_id
    folder = tmp_path / "checkpoints" / run_id
    (kept,) = folder.iterdir()
    size = sum(p.stat().st_size for p in kept.iterdir())
    assert checkpoint.kept(folder) == (1, size)
    code, _, err = run_cli(monkeypatch, capsys, "show", run_id, "--store", str(tmp_path))
    assert code == 2
    assert err.endswith(f"it has no results; its checkpoints: 1 checkpoint, "
                        f"{in_bytes(size)}, in {folder}"), err


def test_a_checkpointed_run_that_would_fill_the_disk_is_warned_of_first(tmp_path,
                                                                        monkeypatch, capsys):
    """A long run with checkpoints on a nearly full disk stopped when a checkpoint found no
    room. Before it starts, `scsim run` says what its checkpoints will take at their peak
    (two at once, while the newest replaces the one before) when that is over half the
    free disk; the estimate is the checkpoint's size within 1 %."""
    from scsim.outputs.words import in_bytes

    sim = Simulation(scsim.load_scenario("pilot-1000", agents=2000, days=24), seed=1)
    each = checkpoint.estimated_bytes(sim)
    actual = checkpoint.files_bytes(checkpoint.save(sim, tmp_path / "ck"))
    assert each == pytest.approx(actual, rel=0.01)
    assert checkpoint.due(0, 24, 5) == 4 and checkpoint.due(10, 24, 5) == 2
    assert checkpoint.due(0, 24, 30) == 0

    def free(gigabytes):
        usage = shutil.disk_usage(tmp_path)
        return lambda path: usage._replace(free=int(gigabytes * 1e9))

    monkeypatch.setattr(checkpoint.shutil, "disk_usage", free(each * 3 / 1e9))
    code, _, err = run_cli(monkeypatch, capsys, "run", *DISK_ARGS, "--store",
                           str(tmp_path / "store"))
    assert code == 0
    assert (f"note: this run's checkpoints take about {in_bytes(2 * each)} on disk at their "
            f"peak (two of {in_bytes(each)} while the newest replaces the one before), over "
            f"half of the {in_bytes(each * 3)} free on the disk of {tmp_path / 'store'}: the "
            "run may stop with a full disk") in err, err
    assert checkpoint.disk_note(each, 1, tmp_path) is None  # one checkpoint: a third of it
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", free(each * 1.5 / 1e9))
    assert "more than the" in checkpoint.disk_note(each, 4, tmp_path)
    assert checkpoint.disk_note(each, 0, tmp_path) is None  # none written
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", free(1000))
    code, _, err = run_cli(monkeypatch, capsys, "run", *DISK_ARGS, "--store",
                           str(tmp_path / "store"))
    assert code == 0 and "note:" not in err, err


def test_a_resume_that_would_fill_the_disk_is_warned_of_first(tmp_path, monkeypatch, capsys):
    """`scsim run --checkpoint-every` warned of checkpoints that would fill the disk;
    `scsim resume` of a run that keeps them went on without a word. It warns likewise,
    before it starts, from the size of the checkpoint it resumes from, which stays on disk
    until the first new one replaces it: the disk has one more checkpoint to hold, not
    two."""
    from scsim.outputs.words import in_bytes

    def stopped() -> str:
        with pytest.raises(KeyboardInterrupt) as stop:
            scsim.simulate(scsim.load_scenario("pilot-1000", agents=2000, days=24), seed=1,
                           store=tmp_path, checkpoint_every=5, progress=stop_at(12))
        return stop.value.run_id

    def free(bytes_):
        usage = shutil.disk_usage(tmp_path)
        return lambda path: usage._replace(free=int(bytes_))

    run_id = stopped()
    (kept,) = (tmp_path / "checkpoints" / run_id).iterdir()  # day 10's
    each = checkpoint.files_bytes(kept)
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", free(each * 1.5))
    code, out, err = run_cli(monkeypatch, capsys, "resume", run_id, "--quiet", "--store",
                             str(tmp_path))
    assert code == 0, err
    assert err.startswith(
        f"note: this run's checkpoints take about {in_bytes(2 * each)} on disk at their peak "
        f"(two of {in_bytes(each)} while the newest replaces the one before), "
        f"{in_bytes(each)} more than the one it resumes from takes now, over half of the "
        f"{in_bytes(each * 1.5)} free on the disk of {tmp_path / 'checkpoints'}: the run "
        "may stop with a full disk"), err
    assert "resumed at day 10" in out and "note:" not in out
    assert "2 checkpoints written (every 5 days)" in " ".join(out.split())  # days 15, 20

    run_id = stopped()
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", free(each * 0.8))
    code, _, err = run_cli(monkeypatch, capsys, "resume", run_id, "--quiet", "--store",
                           str(tmp_path))
    assert code == 0 and f"more than the {in_bytes(each * 0.8)} free" in err, err
    # none due from here on: no warning however full the disk
    run_id = stopped()
    code, _, err = run_cli(monkeypatch, capsys, "resume", run_id, "--quiet",
                           "--checkpoint-every", "30", "--store", str(tmp_path))
    assert code == 0 and "note:" not in err, err
    # three times a checkpoint free: room for the one more it writes beside the one kept
    # (a run from day 0 would be warned: two new ones, over half of it)
    run_id = stopped()
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", free(each * 3))
    code, _, err = run_cli(monkeypatch, capsys, "resume", run_id, "--quiet", "--store",
                           str(tmp_path))
    assert code == 0 and "note:" not in err, err
    assert checkpoint.disk_note(each, 2, tmp_path, resumed=True) is None
    assert checkpoint.disk_note(each, 2, tmp_path) is not None
