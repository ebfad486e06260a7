"""The run store: every run kept with what produced it, and a DuckDB catalogue over them.

A store is a folder (``./scsim-runs`` by default, ``SCSIM_STORE`` or ``--store`` to choose)::

    catalog.duckdb      the catalogue: tables ``runs``, ``sweeps`` and ``comparisons``
                        (the run ids of A and B of each paired comparison), views
                        ``metrics``, ``agents``, ``companies`` over every finished run's
                        Parquet files, and
                        ``groups``, ``regions``, ``wrongful``, ``events`` (provenance
                        and case files) over the runs that have them
    catalog.lock        a file lock held around each (short) catalogue transaction
    runs/<run id>/      a finished run: metrics/agents/companies.parquet, the network sample
                        (network_nodes/network_ties.parquet), groups/regions/wrongful/
                        events.parquet, scenario.yaml, run.json
    tmp/<run id>/       a run being written; renamed into runs/ once complete
    checkpoints/<run id>/  the newest checkpoint of a run started with --checkpoint-every
                        (day-DDDDDD/, see ``core.checkpoint``), until the run is done
    reports/<run id>/   the HTML report of a run written by ``scsim report``, and
    reports/<A>-vs-<B>/ that of a paired comparison (A and B: the first pair's run ids);
                        removed with the run (A or B) unless a user added or changed a
                        file in it

Crash safety. A run's row is inserted as ``running`` (with pid and host) before the day
loop starts; its files are written into ``tmp/`` and the folder is renamed into ``runs/``
in one step, then the row becomes ``done``. An exception marks it ``failed`` (with the
error), Ctrl-C or SIGTERM ``interrupted``. The views read only rows marked ``done``, so a
half-written run is never visible. Every opening of the catalogue repairs what a killed
process left: a ``running`` row whose process is gone becomes ``interrupted`` (or ``done``
when its folder was already complete) and stray temporary folders are removed. A run
with a checkpoint keeps it (``checkpoints/`` is not temporary): ``scsim resume`` continues
it from there, and ``scsim rm`` removes it with the run.

Integrity. Each file of a run is fsynced, with its folder, before the rename that publishes
it, and recorded in the catalogue with its size and SHA-256 (``runs.files``). A run whose
files no longer match (a file deleted, truncated or changed) is marked ``damaged``: the
views leave it out (and ``query`` says so on stderr), ``load`` refuses it with one line, and
``check`` (``scsim check``) verifies every checksum and can remove damaged runs or run them
again from their resolved scenario and seed. A sweep left ``running`` by a process that is
gone becomes ``interrupted`` (resume it).

Concurrency. DuckDB allows one writing process per database file, so every catalogue
access takes the file lock, opens the database, does its work and closes it again; the
catalogue is never held open while a simulation runs, and two processes can record runs
into one store at the same time.

Read-only stores. A store this process cannot write (on a read-only mount, an archived copy
without write permission) can still be listed, shown, queried and checked: its catalogue
is opened read-only, without the lock and without repairs, ``query`` reads the runs through
temporary views, and whatever would change it (a run, a removal, a repair, a report kept
in it) is refused with one line saying the store is read-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import psutil
from filelock import FileLock, Timeout

from scsim import __version__
from scsim.core.checkpoint import BRANCHED, SERIES_ENTRY, check_every, remove_series
from scsim.errors import ScsimError, Terminated
from scsim.fsutil import (
    DISK_FULL,
    SHOWN,
    STORE_MARKER,
    STORE_NAMES,
    check_output_folder,
    check_path,
    disk_full_error,
)
from scsim.interrupts import stop_of
from scsim.outputs.casefile import Trace
from scsim.outputs.result import PROVENANCE_TABLES, TABLES, Result
from scsim.outputs.words import counted
from scsim.scenario.diff import builtin, digest, overrides, population_key
from scsim.scenario.schema import Scenario
from scsim.seeds import check_seed
from scsim.store.integrity import (
    disk_full_in,
    fingerprint,
    fsync_dir,
    fsync_folder,
    full_problems,
    quick_problems,
)

if TYPE_CHECKING:
    from scsim.core.checkpoint import Checkpoints
    from scsim.core.engine import Simulation

DEFAULT_STORE = "scsim-runs"
COMPARED = "-vs-"  # joins the run ids of a comparison's report folder: reports/A-vs-B
STATUSES = ("running", "done", "failed", "interrupted", "damaged")
LOCK_TIMEOUT = 120.0  # seconds to wait for another process's catalogue transaction
# what `scsim query` runs: statements that only read
QUERY_STATEMENTS = (duckdb.StatementType.SELECT,)
# The lines of a DuckDB error after its first that a query's author needs: its hints
DUCKDB_HINTS = ("Did you mean", "Candidate bindings")
# blanks and SQL comments before a statement's first word (with which a refusal names it)
LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
BUSY_TIMEOUT = 10.0  # seconds to wait for another program holding the database open
VIEWS_VERSION = "4"  # bump when the view definitions change: they are then recreated

# Columns added to ``runs`` after its first version: (name, type, what it holds). Older
# stores get them when opened; a migrated copy of the table gets them too.
ADDED_RUN_COLUMNS = (
    ("sweep_id", "VARCHAR", "the sweep it belongs to"),
    ("cell", "INTEGER", "its cell in the sweep"),
    ("rep", "INTEGER", "its replication (seed)"),
    ("params", "VARCHAR", "JSON: the cell's parameters"),
    ("files", "VARCHAR", "JSON: name -> [size, sha256]"),
    ("resumed", "TIMESTAMP", "UTC, its last `scsim resume`"),
    ("trace", "VARCHAR", "JSON: whom it traces (casefile.Trace), for `check --repair rerun`"),
    ("branched", "VARCHAR", "JSON: where it was branched (core.checkpoint.BRANCHED); NULL: "
                            "it ran under its scenario from day 0"),
)


def _add_run_columns(table: str) -> str:
    return "\n".join(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind};  -- {what}"
                     for name, kind, what in ADDED_RUN_COLUMNS)


_RUNS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {{table}} (
    id VARCHAR PRIMARY KEY,             -- yyyymmdd-hhmmss-xxxx (UTC start, random suffix)
    scenario VARCHAR NOT NULL,          -- the scenario's name
    scenario_hash VARCHAR NOT NULL,     -- hash of the fully resolved scenario
    population_hash VARCHAR NOT NULL,   -- hash of what fixes the population and network
    seed BIGINT NOT NULL,
    overrides VARCHAR,                  -- JSON: dotted path -> value, against the base
    scsim_version VARCHAR NOT NULL,
    agents BIGINT NOT NULL,
    days INTEGER NOT NULL,
    started TIMESTAMP NOT NULL,         -- UTC
    finished TIMESTAMP,                 -- UTC
    status VARCHAR NOT NULL CHECK (status IN {STATUSES}),
    wall_seconds DOUBLE,                -- the day loop, as in run.json
    error VARCHAR,                      -- why a run failed or was interrupted
    pid INTEGER,
    host VARCHAR
);
"""
CATALOGUE_SCHEMA = _RUNS_TABLE.format(table="runs") + _add_run_columns("runs") + """
CREATE TABLE IF NOT EXISTS sweeps (
    id VARCHAR PRIMARY KEY,             -- same form as a run id
    scenario VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,         -- UTC
    cells INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    status VARCHAR NOT NULL,            -- running, done, interrupted, incomplete
    plan VARCHAR NOT NULL               -- JSON: the resolved base scenario, cells, seeds
);
ALTER TABLE sweeps ADD COLUMN IF NOT EXISTS pid INTEGER;     -- the process running it
ALTER TABLE sweeps ADD COLUMN IF NOT EXISTS host VARCHAR;
ALTER TABLE sweeps ADD COLUMN IF NOT EXISTS resumed TIMESTAMP;  -- UTC, its last --resume
CREATE TABLE IF NOT EXISTS comparisons (
    id VARCHAR PRIMARY KEY,             -- same form as a run id
    created TIMESTAMP NOT NULL,         -- UTC
    a VARCHAR NOT NULL,                 -- JSON: the run ids of side A, pair by pair
    b VARCHAR NOT NULL                  -- JSON: those of side B, in the same order
);
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""


def default_store_path() -> Path:
    """``SCSIM_STORE`` if set, else ``./scsim-runs``."""
    return Path(os.environ.get("SCSIM_STORE") or DEFAULT_STORE)


def open_store(path: str | os.PathLike | None = None, *, create: bool = True) -> RunStore:
    """The store at ``path`` (default: ``default_store_path()``). With ``create=False`` a
    missing store (or a folder without a catalogue) is an error instead of being created."""
    if path is not None:
        check_path(path, "path")
    return RunStore(Path(path) if path is not None else default_store_path(), create=create)


def store_of(store: RunStore | str | os.PathLike | bool | None) -> RunStore | None:
    """The run store that the Python API's ``store=`` names (``simulate``, ``replicate``,
    ``compare``): None or False, none; True, the default one (``default_store_path``); a
    folder; or a RunStore, as it is."""
    if store is None or store is False:
        return None
    if isinstance(store, RunStore):
        return store
    if store is True or isinstance(store, str | os.PathLike):
        return open_store(None if store is True else store)
    raise ScsimError(f"store={store!r}: expected True (the default store), a folder or "
                     "a RunStore (scsim.open_store())")


LISTS_RUNS = "`scsim runs` lists them; in Python, `scsim.open_store().runs()`"
"""Where a user finds the ids of the runs in a store, from the command line and Python."""

RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")  # new_run_id's, matched whole
WORK_NAME = re.compile(rf"(rm-)?{RUN_ID.pattern}(-\d+)?")
"""What scsim names the entries of a store's ``tmp/``: a run being written (its id), a run
being removed (``rm-<id>-<pid>``); the crash repair removes nothing else there."""
REMOVAL = re.compile(rf"rm-({RUN_ID.pattern})-\d+")  # a removal's trash: rm-RUN-PID
TRASHED_CHECKPOINT = "checkpoint-"  # a checkpoint in a removal's trash: checkpoint-day-D


RUNNING_LOCK = re.compile(rf"{RUN_ID.pattern}\.running")  # ``running``'s lock, in tmp/


def _not_a_store(folder: Path) -> str | None:
    """What makes an existing ``folder`` something other than a run store, in words (a few
    of the names it holds), or None: it has a catalogue, or holds nothing but what scsim
    puts in a store (a store being made by another process has no catalogue yet)."""
    if not folder.is_dir() or (folder / STORE_MARKER).is_file():
        return None
    theirs = sorted(p.name for p in folder.iterdir() if p.name not in STORE_NAMES)
    if not theirs:
        return None
    return ", ".join(theirs[:SHOWN]) + (f" and {len(theirs) - SHOWN} more"
                                        if len(theirs) > SHOWN else "")


def lost_catalogue(folder: Path) -> str | None:
    """What a store folder without its catalogue still holds of runs (finished runs and
    checkpoints, in words), or None: it has its catalogue, or holds no run."""
    if not folder.is_dir() or (folder / STORE_MARKER).is_file():
        return None
    held = []
    for name, one, many in (("runs", "finished run", "finished runs"),
                            ("checkpoints", "run with checkpoints", "runs with checkpoints")):
        sub = folder / name
        count = sum(1 for p in sub.iterdir() if RUN_ID.fullmatch(p.name)) if sub.is_dir() else 0
        if count:
            held.append(counted(count, one, many))
    return " and ".join(held) or None


def can_write(folder: Path) -> bool:
    """Whether this process may change the store ``folder``: the folder and its catalogue
    (when it has one) can be written. False on a read-only mount, whoever asks."""
    catalog = folder / STORE_MARKER
    return not folder.exists() or (os.access(folder, os.W_OK) and (
        not catalog.exists() or os.access(catalog, os.W_OK)))


MOVED_BETWEEN = ("runs", "tmp", "reports", "repair", "checkpoints")
"""The store's folders whose entries scsim moves from one to another in one rename (a
run's folder written in tmp/ into runs/, a removed run's files and checkpoints into tmp/,
a repaired one's through repair/): they must lie on the store folder's own file system."""


def on_other_file_systems(folder: Path) -> list[str]:
    """The folders of ``MOVED_BETWEEN`` in the store ``folder`` that lie on another file
    system than the folder itself (a link to, or a mount of, another disk)."""
    home = folder.stat().st_dev
    return [name for name in MOVED_BETWEEN
            if (folder / name).exists() and (folder / name).stat().st_dev != home]


def new_run_id(now: datetime | None = None) -> str:
    """``yyyymmdd-hhmmss-xxxx``: the UTC time (sortable) and 16 random bits."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class Compared:
    """A paired comparison kept in the store: its id, when it was made (UTC) and the run
    ids of each side, pair by pair (``a[k]`` against ``b[k]``)."""

    id: str
    created: datetime
    a: list[str]
    b: list[str]

    def holds(self, run_id: str) -> bool:
        return run_id in self.a or run_id in self.b

    def side_of(self, run_id: str) -> str:
        """Where ``run_id`` sits in it, in words: "A, pair 2"."""
        side = "A" if run_id in self.a else "B"
        return f"{side}, pair {(self.a if side == 'A' else self.b).index(run_id) + 1}"


def _comparisons(con: duckdb.DuckDBPyConnection) -> list[Compared]:
    rows = con.execute("SELECT id, created, a, b FROM comparisons ORDER BY created DESC, "
                       "id DESC").fetchall()
    return [Compared(i, created, json.loads(a), json.loads(b)) for i, created, a, b in rows]


@dataclass(frozen=True)
class Tag:
    """Where a run sits in a sweep."""

    sweep_id: str
    cell: int
    rep: int
    params: dict


@dataclass
class CheckItem:
    """What ``check`` found for one run: ``ok`` or ``damaged`` (with what is wrong), and
    what was done about it."""

    run_id: str
    state: str
    problems: list[str]
    action: str | None = None


@dataclass
class RunRecord:
    """One row of the ``runs`` table."""

    id: str
    scenario: str
    seed: int
    status: str
    error: str | None
    pid: int | None
    host: str | None
    started: datetime  # when the process in pid took the run on: its start or last resume


class RunStore:
    """A store folder; see the module docstring for its layout."""

    def __init__(self, root: str | os.PathLike, create: bool = True):
        self.root = Path(root).expanduser().resolve()
        if self.root.exists() and not self.root.is_dir():
            raise ScsimError(f"the run store {self.root} is a file, not a folder")
        theirs = _not_a_store(self.root)
        if theirs:  # its crash repair would clean tmp/ and checkpoints/ of someone's folder
            raise ScsimError(f"{self.root} is not a run store: it holds {theirs} and no "
                             f"catalogue ({STORE_MARKER}); scsim keeps runs in a new or "
                             "empty folder, or in a store it made: choose one with --store "
                             "or SCSIM_STORE")
        self._refuse_lost_catalogue()
        if not create and not (self.root / STORE_MARKER).is_file():  # a query made one
            raise ScsimError(f"no run store at {self.root} (run `scsim run` first, or "
                             "choose one with --store or SCSIM_STORE)")
        self.writable = can_write(self.root)
        if not self.writable and not (self.root / STORE_MARKER).is_file():
            raise ScsimError(f"cannot create the run store {self.root}: the folder cannot "
                             "be written")
        if not self.root.exists():
            try:
                self.root.mkdir(parents=True)
            except OSError as exc:
                raise ScsimError(f"cannot create the run store {self.root}: "
                                 f"{exc.strerror}") from None
        self.catalog = self.root / "catalog.duckdb"
        self.runs_dir = self.root / "runs"
        self.tmp_dir = self.root / "tmp"
        self.checkpoints_dir = self.root / "checkpoints"
        self.reports_dir = self.root / "reports"
        self._lock = FileLock(self.root / "catalog.lock", timeout=LOCK_TIMEOUT)
        # the checkpoints of the run this store last recorded or resumed (None: it kept
        # none), for what they took on disk (``Checkpoints.words``: `scsim run` says it)
        self.last_series: Checkpoints | None = None

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    def _refuse_lost_catalogue(self) -> None:
        """A ScsimError when the store's catalogue is gone but its runs are not: a new
        catalogue would list none of them (and its crash repair would once have deleted
        their checkpoints). Checked when the store is opened and again before each
        read-write opening, as a long run or the dashboard holds a store for hours."""
        lost = lost_catalogue(self.root)
        if lost:
            raise ScsimError(f"the run store {self.root} has lost its catalogue "
                             f"({STORE_MARKER}) but holds {lost}: scsim will not use it "
                             f"without one. `scsim check --repair catalogue --store "
                             f"{self.root}` makes one again from the runs' own files (what "
                             "sweep each run was in, and the comparisons, are lost), or put "
                             "the catalogue back from a backup")

    def require_writable(self, doing: str, instead: str = "copy the store to a folder "
                         "you can write to do that", moves: bool = True) -> None:
        """A ScsimError, when the store is read-only (``writable`` is false), saying that
        it cannot ``doing`` (words after "cannot") and what to do ``instead``, or when
        folders it moves runs between are links to nowhere or lie on different disks
        (``on_other_file_systems``), unless what it is to do ``moves`` nothing between them
        (a report written into reports/); nothing when it can be written."""
        if not self.writable:
            raise ScsimError(f"the run store {self.root} is read-only (its folder or its "
                             f"catalogue cannot be written): scsim can list, show, query "
                             f"and check its runs but cannot {doing}; {instead}")
        if not moves:
            return
        dangling = [name for name in MOVED_BETWEEN if (self.root / name).is_symlink()
                    and not (self.root / name).exists()]
        if dangling:
            name = dangling[0]
            raise ScsimError(f"the run store {self.root} has {name}/ as a link to "
                             f"{os.readlink(self.root / name)}, which does not exist: scsim "
                             f"cannot {doing}; make that folder, or put {name}/ back")
        if self.root.exists() and (apart := on_other_file_systems(self.root)):
            raise ScsimError(
                f"the run store {self.root} has {' and '.join(f'{name}/' for name in apart)} "
                f"on another disk than the store's own folder (a link or a mount): scsim "
                f"moves a run's folder into place in one step, which cannot cross disks, so "
                f"it cannot {doing}; move the whole store to that disk instead (--store or "
                f"SCSIM_STORE); listing, showing and querying its runs work as they are")

    # -- recording ------------------------------------------------------------------------

    def record(self, sim: Simulation, progress: Callable[[int], None] | None = None,
               base: Scenario | None = None, checkpoint_every: int | None = None,
               finished: Callable[[Result], None] | None = None) -> Result:
        """Run ``sim`` and keep it: the row goes ``running`` -> ``done`` (``failed`` or
        ``interrupted`` when it does not finish). ``base`` is the scenario the run's
        scenario was derived from (for the ``overrides`` column); by default the built-in
        scenario of the same name, if there is one. ``checkpoint_every``: keep a checkpoint
        every so many days (``checkpoints/<run id>/``) for ``resume``. ``finished(result)``
        is called with the run's Result (its ``run_id`` set) once the days are done and
        before its files are written: the run is listed as done only after that."""
        from scsim.core.checkpoint import Checkpoints

        check_every(checkpoint_every)
        run_id = self._begin(sim.scenario, sim.seed, sim.state.n, base,
                             trace=sim.trace or Trace(),
                             branched=sim.branched or None)
        every = Checkpoints(self.checkpoints_dir / run_id, checkpoint_every,
                            _checkpoint_owner(run_id)) if checkpoint_every else None
        self.last_series = every
        start = sim.state.day  # (a loaded checkpoint's day)
        unsaved = (lambda: _before_first_checkpoint(start, sim.state.day, checkpoint_every,
                                                    sim.scenario.days)) if every else None
        with running(self.root, run_id):
            return self._land(run_id, lambda: sim.run(progress, every), finished,
                              unsaved=unsaved)

    def checkpoint(self, ref: str) -> tuple[RunRecord, dict]:
        """The run ``ref`` names and the manifest of its newest checkpoint, when ``resume``
        can continue it; otherwise a ScsimError saying why not (no checkpoint, done,
        running in a live process, written by another scsim version, or for another
        scenario than the run's)."""
        from scsim.core.checkpoint import incompatibility, latest, read_manifest

        try:
            rec = self.get(ref)
        except ScsimError as exc:  # no run has finished: 'last' names none
            if ref != "last":
                raise
            raise ScsimError(f"{exc}; {self._stopped_instead()}") from None
        if rec.status == "done":
            raise ScsimError(f"run {rec.id} is done: there is nothing to resume (`scsim show "
                             f"{rec.id} --out DIR` saves its results to a folder, `scsim "
                             f"report {rec.id}` draws its report)"
                             + (f". 'last' names the run that finished last; "
                                f"{self._stopped_instead()}" if ref == "last" else ""))
        if rec.status == "running" and not _gone(rec):
            raise ScsimError(f"run {rec.id} is still running (pid {rec.pid} on {rec.host}): "
                             "there is nothing to resume; `scsim runs` shows when it is done")
        if latest(self.checkpoints_dir / rec.id) is None:
            with self._connect() as con:
                sweep, changed, branched = con.execute(
                    "SELECT sweep_id, overrides, branched FROM runs WHERE id = ?",
                    [rec.id]).fetchone()
            if sweep is not None:
                raise ScsimError(f"run {rec.id} is a run of sweep {sweep}, whose runs keep no "
                                 f"checkpoints: `scsim sweep --resume {sweep}` runs what the "
                                 "sweep lacks again")
            raise ScsimError(f"run {rec.id} has no checkpoint to resume from (none in "
                             f"{self.checkpoints_dir / rec.id}): it was started without "
                             "--checkpoint-every, or stopped before its first checkpoint. "
                             f"{_run_again(rec, changed, branched)}")
        manifest = read_manifest(self.checkpoints_dir / rec.id)
        with self._connect() as con:
            row_hash = con.execute("SELECT scenario_hash FROM runs WHERE id = ?",
                                   [rec.id]).fetchone()[0]
        why = incompatibility(manifest) or (
            None if manifest["scenario_hash"] == row_hash else
            f"its checkpoint is of scenario {manifest['scenario_hash']}, the run's is "
            f"{row_hash}") or _not_its_checkpoint(manifest, rec)
        if why:
            raise ScsimError(f"cannot resume run {rec.id}: {why}")
        return rec, manifest

    def _stopped_instead(self) -> str:
        """For ``resume last`` (the run that finished last, always done): the newest run
        that stopped with a checkpoint, which it was probably meant to name."""
        from scsim.core.checkpoint import latest

        with self._connect() as con:
            stopped = [row[0] for row in con.execute(
                "SELECT id FROM runs WHERE status IN ('interrupted', 'failed') "
                "ORDER BY started DESC, id DESC").fetchall()]
        newest = next((i for i in stopped if latest(self.checkpoints_dir / i) is not None),
                      None)
        return (f"the newest run that stopped with a checkpoint is {newest}: `scsim resume "
                f"{newest}`" if newest else "no run in the store stopped with a checkpoint")

    def resume(self, ref: str, progress: Callable[[int], None] | None = None, *,
               threads: int | None = None, checkpoint_every: int | None = None) -> Result:
        """Continue a run from its newest checkpoint (see ``checkpoint`` for which runs can
        be): the row goes back to ``running``, then ``done``, with the same id; the outputs
        are bit for bit those of a run that was never stopped. Checkpoints go on being
        written every ``checkpoint_every`` days (by default as often as before).

        The row is taken (``running``, this process) before the checkpoint is loaded, so
        that a second resume of the run is refused at once instead of loading the whole
        state too (two copies of a large run's state at once, 17 GB each at 10^8 agents);
        a load that fails or is interrupted gives the row back as it was."""
        from scsim.core.checkpoint import Checkpoints
        from scsim.core.engine import Simulation

        self.require_writable("resume its runs")
        check_every(checkpoint_every)  # before the row is taken and the state loaded
        rec, manifest = self.checkpoint(ref)
        every = checkpoint_every or manifest.get("checkpoint_every")
        kept = ("status", "error", "finished", "pid", "host", "resumed")
        with self._connect() as con:  # (this repairs a dead process's row first)
            before = con.execute(f"SELECT {', '.join(kept)} FROM runs WHERE id = ?",
                                 [rec.id]).fetchone()
            if before is None or before[0] in ("running", "done"):
                raise ScsimError(f"run {rec.id} is {before[0] if before else 'gone'}: "
                                 "another process took it on (`scsim runs` shows it)")
            con.execute("UPDATE runs SET status = 'running', error = NULL, finished = NULL, "
                        "pid = ?, host = ?, resumed = ? WHERE id = ?",
                        [os.getpid(), socket.gethostname(), _utcnow(), rec.id])
        with running(self.root, rec.id):
            try:
                sim = Simulation.load(manifest["path"], threads=threads)
                checkpoints = Checkpoints(self.checkpoints_dir / rec.id, every,
                                          _checkpoint_owner(rec.id)) if every else None
                self.last_series = checkpoints
            except BaseException:  # a damaged checkpoint, a Ctrl-C: the run stays resumable
                with contextlib.suppress(ScsimError, duckdb.Error, OSError), \
                        self._connect() as con:
                    con.execute(f"UPDATE runs SET {', '.join(f'{k} = ?' for k in kept)} "
                                "WHERE id = ?", [*before, rec.id])
                raise
            return self._land(rec.id, lambda: sim.run(progress, checkpoints))

    def add(self, res: Result, base: Scenario | None = None, *, sweep: Tag | None = None
            ) -> Result:
        """Keep a Result that was computed elsewhere (a Dask worker), tagged with its place
        in a sweep. Interrupted while it lands (Ctrl-C), a sweep's run is forgotten, row and
        all, without a word of its own: nothing of it was kept, and the sweep says how to
        resume (``scsim sweep --resume`` runs it again; its row stayed "interrupted" beside
        the run that replaced it, and `scsim resume` of it found no checkpoint)."""
        run_id = self._begin(res.scenario, res.seed, res.info["agents"], base, sweep,
                             branched=res.info.get(BRANCHED))
        try:
            return self._land(run_id, lambda: res, tell=sweep is None)
        except BaseException as exc:
            if sweep is not None and not isinstance(exc, Exception):
                with contextlib.suppress(ScsimError, duckdb.Error, OSError), \
                        self._connect() as con:
                    con.execute("DELETE FROM runs WHERE id = ? AND status = 'interrupted'",
                                [run_id])
            raise

    def add_failure(self, sc: Scenario, seed: int, error: str, base: Scenario | None = None,
                    *, sweep: Tag | None = None) -> str:
        """Record a run that failed elsewhere (no results, status ``failed``)."""
        run_id = self._begin(sc, seed, sc.population.agents, base, sweep)
        self._end(run_id, "failed", error=error)
        return run_id

    def _land(self, run_id: str, produce: Callable[[], Result],
              finished: Callable[[Result], None] | None = None, tell: bool = True,
              unsaved: Callable[[], str] | None = None) -> Result:
        """Produce a run's Result and publish its folder; on an interrupt the row is kept
        as interrupted and (``tell``) the exception (KeyboardInterrupt, or Terminated)
        carries the run's id as its ``run_id`` attribute and a note saying whether the run
        can be resumed, and how: ``scsim resume RUN``, or in Python
        ``scsim.open_store(STORE).resume(RUN)``. ``unsaved()``: what to say of a run that
        keeps checkpoints and stopped before its first one (it was told to keep them)."""
        tmp = self.tmp_dir / run_id
        try:
            res = produce()
            res.info["run_id"] = run_id
            if finished is not None:
                finished(res)
            tmp.mkdir(parents=True)
            res.write_files(tmp)
            files = self._publish(tmp, self.runs_dir / run_id)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            # a Ctrl-C that a library turned into an error of its own is a stop all the same
            stop = stop_of(exc) or (None if isinstance(exc, Exception) else exc)
            full = isinstance(exc, OSError) and exc.errno in DISK_FULL
            status = "failed" if stop is None else "interrupted"
            error = "the disk is full: " + (exc.strerror or str(exc)) if full else (
                _describe(stop or exc))
            note = _checkpoint_note(self.checkpoints_dir / run_id, run_id)
            lost = "" if note or unsaved is None else unsaved()
            error += note or lost
            with contextlib.suppress(ScsimError, duckdb.Error, OSError):  # else: next open
                self._end(run_id, status, error=error)
            if stop is not None and tell:
                stop.run_id = run_id  # for a notebook: st.resume(exc.run_id)
                stop.add_note(f"run {run_id} is kept as interrupted" + (
                    note + f" (in Python: scsim.open_store({str(self.root)!r}).resume("
                    f"{run_id!r}))" if note else lost or "; without checkpoints "
                    "(--checkpoint-every DAYS, or checkpoint_every= in Python) it cannot "
                    "be resumed"))
            if full:
                kept = f"its last checkpoint was kept: {note[2:]}" if note else ""
                error = disk_full_error(exc, f"writing run {run_id}", kept)
                error.run_id = run_id  # type: ignore[attr-defined]
                raise error from None
            if stop is not None and stop is not exc:
                raise stop from exc
            raise
        self._end(run_id, "done", wall_seconds=res.info["wall_seconds"], files=files,
                  full=f"run {run_id} was kept in {self.runs_dir / run_id}, and any scsim "
                  "command records it as done once there is room")
        remove_series(self.checkpoints_dir / run_id)  # a user's files there stay
        return res

    def _publish(self, tmp: Path, final: Path) -> dict[str, list]:
        """Make a written folder durable (fsync its files and itself), move it to
        ``final`` in one rename and make that durable too; returns its files' sizes and
        checksums."""
        fsync_folder(tmp)
        files = fingerprint(tmp)
        final.parent.mkdir(exist_ok=True)
        tmp.rename(final)
        fsync_dir(final.parent)
        return files

    def _begin(self, sc: Scenario, seed: int, agents: int, base: Scenario | None,
               sweep: Tag | None = None, trace: Trace | None = None,
               branched: list[dict] | None = None) -> str:
        """Insert the row of a run about to start (``running``); returns its id. ``trace``:
        whom it traces, kept so that ``check --repair rerun`` traces them again (None:
        not known, a Result computed elsewhere); ``branched``: where it was branched
        (``core.checkpoint.BRANCHED``), so that ``check --repair rerun`` does not run it
        again from day 0 under its scenario alone."""
        self.require_writable("keep new runs in it")
        seed = check_seed(seed)
        if base is None:
            base = builtin(sc.name)
        changed = json.dumps(overrides(base, sc)) if base is not None else None
        tag = (sweep.sweep_id, sweep.cell, sweep.rep, json.dumps(sweep.params)) if sweep else (
            None, None, None, None)
        with self._connect() as con:
            for _ in range(20):
                run_id = new_run_id()
                try:
                    con.execute(
                        "INSERT INTO runs (id, scenario, scenario_hash, population_hash, seed, "
                        "overrides, scsim_version, agents, days, started, status, pid, host, "
                        "sweep_id, cell, rep, params, trace, branched) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, "
                        "?)",
                        [run_id, sc.name, digest(sc), digest(population_key(sc)), seed,
                         changed, __version__, agents, sc.days, _utcnow(), os.getpid(),
                         socket.gethostname(), *tag,
                         json.dumps(trace.request()) if trace is not None else None,
                         json.dumps(branched) if branched else None])
                    return run_id
                except duckdb.ConstraintException:
                    time.sleep(0.01)
        raise ScsimError("could not find a free run id")  # 20 collisions: not by chance

    # -- comparisons ----------------------------------------------------------------------

    def record_comparison(self, a: Sequence[str], b: Sequence[str]) -> str:
        """Keep a paired comparison of stored runs (``a[k]`` against ``b[k]``, pair by
        pair), so that it can be shown again (``comparisons``, the dashboard's run list);
        returns its id. It goes when one of its runs is removed."""
        if len(a) != len(b) or not a:
            raise ScsimError(f"a comparison pairs runs: {len(a)} under A, {len(b)} under B")
        with self._connect() as con:
            for _ in range(20):
                comparison_id = new_run_id()
                try:
                    con.execute("INSERT INTO comparisons (id, created, a, b) VALUES "
                                "(?, ?, ?, ?)", [comparison_id, _utcnow(), json.dumps(list(a)),
                                                 json.dumps(list(b))])
                    return comparison_id
                except duckdb.ConstraintException:
                    time.sleep(0.01)
        raise ScsimError("could not find a free comparison id")

    def comparisons(self) -> list[Compared]:
        """The comparisons kept (``record_comparison``), newest first."""
        with self._connect() as con:
            return _comparisons(con)

    # -- sweeps ---------------------------------------------------------------------------

    def create_sweep(self, scenario: str, cells: int, reps: int, plan: dict) -> str:
        """Register a sweep and its plan (JSON-able); returns its id."""
        self.require_writable("run sweeps into it")
        with self._connect() as con:
            for _ in range(20):
                sweep_id = new_run_id()
                try:
                    con.execute("INSERT INTO sweeps (id, scenario, created, cells, reps, "
                                "status, plan, pid, host) "
                                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                                [sweep_id, scenario, _utcnow(), cells, reps, json.dumps(plan),
                                 os.getpid(), socket.gethostname()])
                    return sweep_id
                except duckdb.ConstraintException:
                    time.sleep(0.01)
        raise ScsimError("could not find a free sweep id")

    def take_sweep(self, sweep_id: str) -> None:
        """Make this process the one running the sweep (for ``--resume``): its row goes
        back to ``running`` with this pid and host, and the time in ``resumed``. A sweep
        still running in a live process is refused: two processes would run the same
        missing tasks."""
        self.require_writable("resume its sweeps")
        with self._connect() as con:  # (this marks a dead process's sweep interrupted first)
            row = con.execute("SELECT status, pid, host, coalesce(resumed, created) "
                              "FROM sweeps WHERE id = ?", [sweep_id]).fetchone()
            if row is None:
                raise ScsimError(f"no sweep '{sweep_id}' in the store {self.root}")
            status, pid, host, since = row
            # a row without a pid was written before sweeps recorded one: nothing to check
            if status == "running" and pid is not None and not _sweep_gone(pid, host, since):
                raise ScsimError(f"sweep {sweep_id} is still running (pid {pid} on {host})")
            con.execute("UPDATE sweeps SET status = 'running', pid = ?, host = ?, "
                        "resumed = ? WHERE id = ?",
                        [os.getpid(), socket.gethostname(), _utcnow(), sweep_id])

    def sweep(self, ref: str) -> tuple[str, dict]:
        """(id, plan) of the sweep ``ref`` names: an id, a unique prefix, or ``last``."""
        with self._connect() as con:
            if ref == "last":
                rows = con.execute("SELECT id, plan FROM sweeps ORDER BY created DESC, id DESC "
                                   "LIMIT 1").fetchall()
            else:
                rows = con.execute("SELECT id, plan FROM sweeps WHERE starts_with(id, ?)",
                                   [ref]).fetchall()
                rows = [r for r in rows if r[0] == ref] or rows
        if not rows and ref == "last":  # ("no sweep 'last'" read as a sweep's name)
            raise ScsimError(f"'last' is the newest sweep, and the store {self.root} has none "
                             "yet (`scsim sweep SCENARIO --grid KEY=A,B` makes one)")
        if len(rows) != 1:
            what = "no sweep" if not rows else f"{len(rows)} sweeps match"
            raise ScsimError(f"{what} '{ref}' in the store {self.root}")
        return rows[0][0], json.loads(rows[0][1])

    def sweeps(self) -> pd.DataFrame:
        """The sweeps, newest first: id, scenario, created, cells, reps, status."""
        with self._connect() as con:
            return con.execute("SELECT id, scenario, created, cells, reps, status FROM "
                               "sweeps ORDER BY created DESC, id DESC").df()

    def sweep_runs(self, sweep_id: str) -> pd.DataFrame:
        """The runs of a sweep (id, cell, rep, seed, status, error, agents), oldest first."""
        with self._connect() as con:
            return con.execute("SELECT id, cell, rep, seed, status, error, agents FROM runs "
                               "WHERE sweep_id = ? ORDER BY started, id", [sweep_id]).df()

    def end_sweep(self, sweep_id: str, status: str) -> None:
        with self._connect() as con:
            con.execute("UPDATE sweeps SET status = ? WHERE id = ?", [status, sweep_id])

    def _end(self, run_id: str, status: str, *, error: str | None = None,
             wall_seconds: float | None = None, files: dict | None = None,
             full: str = "") -> None:
        """Give a run's row its final ``status``; ``full``: what to say was kept if the
        disk is too full to write the catalogue (see ``_connect``). A finished run whose
        row is gone (its catalogue was rebuilt while it ran, without checkpoints to find
        it by) gets one from its folder, as the rebuild makes them."""
        with self._connect(full=full) as con:
            con.execute("UPDATE runs SET status = ?, error = ?, finished = ?, "
                        "wall_seconds = coalesce(?, wall_seconds), "
                        "files = coalesce(?, files) WHERE id = ?",
                        [status, error, _utcnow(), wall_seconds,
                         json.dumps(files) if files is not None else None, run_id])
            missing = not con.execute("SELECT count(*) FROM runs WHERE id = ?",
                                      [run_id]).fetchone()[0]
            if status == "done" and missing:
                from scsim.store.rebuild import finished_row, insert_rows

                insert_rows(con, [{**finished_row(self.runs_dir / run_id),
                                   "files": json.dumps(files)}])
            if status == "done":
                self._ensure_views(con)

    # -- reading --------------------------------------------------------------------------

    def runs(self, scenario: str | None = None, status: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
        """The ``runs`` table, newest first, optionally filtered (``status`` in any case:
        ``Done`` is ``done``)."""
        if isinstance(status, str):
            status = status.lower()
        if status is not None and status not in STATUSES:
            raise ScsimError(f"unknown status '{status}' (one of {', '.join(STATUSES)})")
        where, args = [], []
        for column, value in (("scenario", scenario), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT * EXCLUDE (pid, host, params, files, trace) FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._connect() as con:
            return con.execute(sql, args).df()

    def get(self, ref: str) -> RunRecord:
        """The run ``ref`` names: a run id, a unique prefix of one, or ``last`` (the run that
        finished last: a long run that ends after a short one started later is ``last``)."""
        return self.get_all([ref])[0]

    def get_all(self, refs: list[str]) -> list[RunRecord]:
        """The runs ``refs`` name (see ``get``), in their order; one ScsimError that names
        every ref naming no run, or several, when any does."""
        wrong = [ref for ref in refs if not isinstance(ref, str)]
        if wrong:  # (None, a number: 'NoneType' object has no attribute 'strip')
            raise ScsimError(f"a run is named by its id as text (or a unique prefix of one, "
                             f"or 'last'), not {wrong[0]!r}")
        if not all(ref.strip() for ref in refs):
            raise ScsimError(f"give a run id (or a unique prefix of one, or 'last'; "
                             f"{LISTS_RUNS})")
        found = {ref: self.matching(ref) for ref in refs}
        missing = [ref for ref, rows in found.items() if not rows and ref != "last"]
        problems = [f"no run {_either(missing)} in the store {self.root} ({LISTS_RUNS})"
                    ] if missing else []
        problems += self._ids_containing(missing)
        if "last" in found and not found["last"]:  # ("no run 'last'" read as a run's name)
            problems.append(f"'last' is the run that finished last, and no run in the store "
                            f"{self.root} has finished yet ({LISTS_RUNS}; `scsim run "
                            "SCENARIO` records one)")
        problems += _scenarios_named(missing)
        for ref, rows in found.items():
            if len(rows) > 1:
                ids = ", ".join(r.id for r in rows[:5]) + (", …" if len(rows) > 5 else "")
                problems.append(f"'{ref}' matches {len(rows)} runs ({ids}): give more of the "
                                "id")
        if problems:
            raise ScsimError("; ".join(problems))
        return [found[ref][0] for ref in refs]

    def _ids_containing(self, refs: list[str]) -> list[str]:
        """For each ref that begins no run id but is part of one (its end, ``ec2d``, as
        it stands out in `scsim runs`), which run it probably means."""
        if not refs:
            return []
        with self._connect() as con:
            ids = [row[0] for row in con.execute("SELECT id FROM runs ORDER BY id").fetchall()]
        out = []
        for ref in refs:
            within = [i for i in ids if ref.strip() and ref.strip() in i]
            if len(within) == 1:
                out.append(f"did you mean {within[0]}? ('{ref}' is part of its id; a run is "
                           "named by its whole id or by how it begins)")
            elif within:
                shown = ", ".join(within[:5]) + (", …" if len(within) > 5 else "")
                out.append(f"'{ref}' is part of {len(within)} run ids ({shown}); a run is "
                           "named by its whole id or by how it begins")
        return out

    def matching(self, ref: str) -> list[RunRecord]:
        """The runs ``ref`` may name: for ``last`` the run that finished last, else the run
        whose id it is, or every run whose id starts with it (by id); none when no run
        does."""
        with self._connect() as con:
            cols = "id, scenario, seed, status, error, pid, host, coalesce(resumed, started)"
            if ref == "last":
                rows = con.execute(f"SELECT {cols} FROM runs WHERE status = 'done' "
                                   "ORDER BY finished DESC, started DESC, id DESC LIMIT 1"
                                   ).fetchall()
            else:
                rows = con.execute(f"SELECT {cols} FROM runs WHERE starts_with(id, ?) "
                                   "ORDER BY id", [ref]).fetchall()
                rows = [r for r in rows if r[0] == ref] or rows
        return [RunRecord(*row) for row in rows]

    def path(self, ref: str) -> Path:
        """The folder of a finished run."""
        rec = self.get(ref)
        if rec.status == "damaged":
            raise ScsimError(_damaged_message(rec.id, rec.error))
        if rec.status != "done":
            why = f": {rec.error}" if rec.error else ""
            raise ScsimError(f"run {rec.id} is {rec.status}{why}; it has no results")
        folder = self.runs_dir / rec.id
        with self._connect() as con:
            files = con.execute("SELECT files FROM runs WHERE id = ?", [rec.id]).fetchone()[0]
        problems = quick_problems(folder, json.loads(files) if files else None)
        if problems:
            self._mark_damaged(rec.id, problems)
            raise ScsimError(_damaged_message(rec.id, "; ".join(problems)))
        return folder

    def load(self, ref: str) -> Result:
        """The Result of a finished run (see ``get`` for ``ref``). A run whose files are
        damaged is marked so and refused with a ScsimError."""
        folder = self.path(ref)
        try:
            return Result.load(folder)
        except Exception as exc:
            problem = f"its files cannot be read ({type(exc).__name__}: " + (
                str(exc).splitlines()[0][:200] if str(exc) else "") + ")"
            self._mark_damaged(folder.name, [problem])
            raise ScsimError(_damaged_message(folder.name, problem)) from None

    def _mark_damaged(self, run_id: str, problems: list[str]) -> None:
        """Mark a run ``damaged`` (not in a read-only store, which stays as it is)."""
        if not self.writable:
            return
        with self._connect() as con:
            self._set_damaged(con, run_id, problems)
            self._ensure_views(con)

    def query(self, sql: str) -> pd.DataFrame:
        """Run one SQL statement on the catalogue and return its result.

        A query can only read: the statement must be one DuckDB parses as a query (SELECT,
        WITH, VALUES, FROM ..., and SHOW, DESCRIBE and SUMMARIZE, which DuckDB turns into
        one); EXPLAIN is refused too, as EXPLAIN ANALYZE runs what it explains, and so are
        PRAGMA and CALL. Several statements are refused, so that no result is dropped
        unseen. The connection is read-only and sandboxed (``_sandbox``): no file outside
        the store's runs, no extension installed or loaded, configuration locked."""
        if not isinstance(sql, str):
            raise ScsimError(f"a query is one SQL statement as text, not {sql!r}")
        with self._connect() as con:  # repairs and creates the views if needed
            damaged = con.execute("SELECT count(*) FROM runs WHERE status = 'damaged'"
                                  ).fetchone()[0]
        if not sql.strip():
            raise ScsimError("the query is empty")
        with self._connect(read_only=True) as con:
            if not self.writable:  # its views cannot be repaired: temporary ones, fresh
                damaged += self._temporary_views(con)
            has_views = bool(con.execute("SELECT count(*) FROM duckdb_views() "
                                         "WHERE view_name = 'metrics'").fetchone()[0])
            if damaged:
                print(f"note: {counted(damaged, 'damaged run')} skipped (scsim check)",
                      file=sys.stderr)
            try:
                self._sandbox(con)
                statements = con.extract_statements(sql)
                refused = [st for st in statements if st.type not in QUERY_STATEMENTS]
                if refused and refused[0].type == duckdb.StatementType.MULTI:
                    raise ScsimError(
                        "query refused: scsim query runs one statement that only reads, and "
                        "DuckDB makes this query several (a PIVOT that finds its columns in "
                        "the data does so): name them, as in PIVOT runs ON status IN "
                        "('done', 'failed') USING count(*) GROUP BY scenario")
                if refused:
                    kind = _written_as(refused[0])
                    article = "an" if kind[0] in "AEIOU" and not kind.startswith(
                        ("USE", "UNI")) else "a"  # (a USE, a UNIQUE...)
                    raise ScsimError(f"query refused: scsim query only reads (SELECT), "
                                     f"and this query has {article} {kind} statement")
                if not statements:
                    raise ScsimError("the query has no statement, only comments or ';'")
                if len(statements) > 1:
                    raise ScsimError(f"query refused: scsim query runs one statement at a "
                                     f"time, and this query has {len(statements)} "
                                     "(separated by ';'): run them one by one")
                result = con.sql(statements[0].query)
                return _whole_sums(result.df(), [str(t) for t in result.types])
            except duckdb.Error as exc:
                # the first line, and DuckDB's hint when it gives one ("Did you mean
                # "runs"?", "Candidate bindings: ..."); it was cut off with the rest
                lines = str(exc).strip().split("\n")
                message = "; ".join([lines[0], *(line.strip() for line in lines[1:]
                                                 if line.startswith(DUCKDB_HINTS))])
                if 'column "run_id" not found' in message:  # DuckDB's hint does not say it
                    message += ("; the runs table calls a run's id id (the other tables "
                                "run_id): JOIN runs r ON r.id = m.run_id")
                hint = "" if has_views else (
                    " (the store has no finished runs yet, so no metrics, agents or "
                    "companies views)")
                raise ScsimError(f"query failed: {message}{hint}") from None

    def _temporary_views(self, con: duckdb.DuckDBPyConnection) -> int:
        """Make the views over a read-only store's finished, intact runs as temporary
        views of ``con`` (they hide the stored ones, which may name the files where the
        store was written, not where it is now); returns how many finished runs they
        leave out as damaged (the store cannot mark them so)."""
        finished = con.execute("SELECT id, files FROM runs WHERE status = 'done' ORDER BY id"
                               ).fetchall()
        whole = [run_id for run_id, files in finished if not quick_problems(
            self.runs_dir / run_id, json.loads(files) if files else None)]
        good = [r for r in whole if r not in self._unreadable(con, whole)]
        self._create_views(con, good, temporary=True)
        return len(finished) - len(good)

    def _sandbox(self, con: duckdb.DuckDBPyConnection) -> None:
        """Lock a read-only connection down to reading the catalogue and the runs' files:
        no other file, no network, no extension, and no way to change that afterwards."""
        runs = str(self.runs_dir) + os.sep
        con.execute("SET allowed_directories = ?", [[runs]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def removable(self, refs: list[str], *, elsewhere: bool = False) -> list[RunRecord]:
        """The runs ``refs`` name (see ``get``), each once, if every one of them may be
        removed (see ``remove``); otherwise one ScsimError that names every ref that names
        no run, or several, and every run still running. Nothing is touched."""
        self.require_writable("remove runs from it")
        records = list({rec.id: rec for rec in self.get_all(refs)}.values())
        running = [_still_running(rec, elsewhere) for rec in records]
        if any(running):
            raise ScsimError("; ".join(why for why in running if why))
        return records

    def remove(self, ref: str, *, elsewhere: bool = False) -> str:
        """Delete a run (its row, its folder, its checkpoints and the store's report of it,
        ``reports/RUN``, and of the comparisons drawn with it, ``reports/RUN-vs-B`` and
        ``reports/A-vs-RUN``, while they hold only what scsim wrote there: see
        ``reports_kept``); returns its id. Files that scsim did not write in its folder or
        its checkpoints' folder (a user's notes, a backup of a checkpoint) stay there, in
        their folder (``folders_kept``). A run still going in a live process cannot be
        removed; one recorded as running on another host (whose process cannot be checked
        from here) only with ``elsewhere``, when its owner knows that process has ended
        (the host went down)."""
        self.require_writable("remove runs from it")
        rec = self.get(ref)
        running = _still_running(rec, elsewhere)
        if running:
            raise ScsimError(running)
        trash = self.tmp_dir / f"rm-{rec.id}-{os.getpid()}"
        with self._connect(full=f"run {rec.id} was not removed") as con:
            folder = self.runs_dir / rec.id
            files = con.execute("SELECT files FROM runs WHERE id = ?", [rec.id]).fetchone()
            theirs = _not_written_by_scsim(folder, files[0] if files else None)
            found = [] if not folder.exists() else [folder] if not theirs else [
                p for p in folder.iterdir() if p.name not in theirs]  # a user's files stay
            # its checkpoints go into the trash too, before the row: a crash from here on
            # leaves them where the crash repair clears them, not in a series of no run
            checkpoints = [p for p in sorted((self.checkpoints_dir / rec.id).glob("*"))
                           if SERIES_ENTRY.fullmatch(p.name)]
            moved = [(p, trash / p.name) for p in found] + [
                (p, trash / f"{TRASHED_CHECKPOINT}{p.name}") for p in checkpoints]
            if moved:
                self.tmp_dir.mkdir(exist_ok=True)
                trash.mkdir(exist_ok=True)
                for path, binned in moved:
                    path.rename(binned)
            try:
                con.execute("DELETE FROM runs WHERE id = ?", [rec.id])
                for compared in _comparisons(con):  # a comparison goes with any of its runs
                    if compared.holds(rec.id):
                        con.execute("DELETE FROM comparisons WHERE id = ?", [compared.id])
            except BaseException:  # the row stays (a full disk): so do its files
                for path, binned in moved:
                    binned.rename(path)
                raise
        for k, report in enumerate(self.reports_of(rec.id)):
            if _only_scsims(report):  # into the trash, which the crash repair clears
                trash.mkdir(parents=True, exist_ok=True)
                report.rename(trash / f"report-{k}")
        shutil.rmtree(trash, ignore_errors=True)
        remove_series(self.checkpoints_dir / rec.id)
        with self._connect(full=f"run {rec.id} was removed; the catalogue's views are "
                           "updated once there is room") as con:
            self._ensure_views(con)
        return rec.id

    def report_folder(self, run_ids: Sequence[str]) -> Path:
        """The store's folder for the report of one run (``reports/RUN``), of one pair
        (``reports/A-vs-B``) or of several pairs ``A1, B1, A2, B2...`` (``reports/A1-vs-
        B1+K-DIGEST``: K more pairs, and 8 hex digits of every id, so that the report of
        other pairs, or of the first alone, is not replaced by it)."""
        if len(run_ids) <= 2:
            return self.reports_dir / COMPARED.join(run_ids)
        digest = digest_ids(list(run_ids))[:8]
        return self.reports_dir / (f"{run_ids[0]}{COMPARED}{run_ids[1]}"
                                   f"+{len(run_ids) // 2 - 1}-{digest}")

    def folders_kept(self, run_id: str) -> list[tuple[str, Path]]:
        """The folders of a run that ``remove`` removed and kept, because they hold files
        that scsim did not write there (a user's notes, a backup of a checkpoint), each
        with what it is: its folder in ``runs/`` ("folder"), in ``checkpoints/``
        ("checkpoints' folder") and its reports ("report folder", ``reports_kept``)."""
        found = [("folder", self.runs_dir / run_id),
                 ("checkpoints' folder", self.checkpoints_dir / run_id),
                 *(("report folder", report) for report in self.reports_kept(run_id))]
        return [(what, folder) for what, folder in found
                if folder.exists() or folder.is_symlink()]

    def reports_of(self, run_id: str) -> list[Path]:
        """The store's report folders of the run ``run_id``: its own (``reports/RUN``) and
        those of the comparisons drawn with it (``reports/RUN-vs-B``, ``reports/A-vs-RUN``,
        and a report of several pairs that names it among them: ``_paired``; see
        ``scsim.report``)."""
        if not self.reports_dir.is_dir():
            return []
        return sorted(folder for folder in self.reports_dir.iterdir()
                      if folder.name == run_id or run_id in _compared(folder.name)
                      or (MORE_PAIRS.search(folder.name) and run_id in _paired(folder)))

    def reports_kept(self, run_id: str) -> list[Path]:
        """The store's report folders of the run ``run_id`` (``reports_of``) that
        ``remove`` kept when it removed the run: each holds files that scsim did not write
        there, or that changed since (``fsutil.check_output_folder``), which are their
        owner's."""
        return self.reports_of(run_id)

    # -- checking -------------------------------------------------------------------------

    def check(self, repair: str | None = None,
              on_run: Callable[[CheckItem], None] | None = None) -> list[CheckItem]:
        """Verify every finished or damaged run against its recorded sizes and checksums
        (like ``git fsck``): a run that does not match is marked ``damaged``, one that
        matches again becomes ``done`` (a read-only store is checked, not marked).
        ``repair``: ``"remove"`` deletes damaged runs, ``"rerun"`` runs them again from
        their scenario.yaml and seed and keeps the result only if every file that was
        intact comes out byte for byte the same (and every damaged file the same as
        recorded, run.json excepted: it holds times). Returns one item per run checked;
        ``on_run`` hears of each."""
        if repair not in (None, "remove", "rerun"):
            raise ScsimError(f"--repair {repair}: expected remove or rerun")
        if repair is not None:
            self.require_writable("repair its runs")
        with self._connect() as con:  # repairs rows and sweeps a dead process left
            rows = con.execute("SELECT id, status, files, seed, trace, branched FROM runs "
                               "WHERE status IN ('done', 'damaged') ORDER BY id").fetchall()
        items = []
        for run_id, status, files, seed, trace, branched in rows:
            recorded = json.loads(files) if files else None
            folder = self.runs_dir / run_id
            problems = full_problems(folder, recorded)
            item = CheckItem(run_id, "damaged" if problems else "ok", problems)
            if self.writable:  # a read-only store is told, not changed
                with self._connect() as con:
                    if problems:
                        self._set_damaged(con, run_id, problems)
                    elif status == "damaged" or recorded is None:
                        con.execute("UPDATE runs SET status = 'done', error = NULL, files = ? "
                                    "WHERE id = ?", [json.dumps(fingerprint(folder)), run_id])
                    self._ensure_views(con)
            if problems and repair == "remove":
                self.remove(run_id)
                item.action = "removed"
            elif problems and repair == "rerun":
                try:
                    _refuse_branch_rerun(folder, branched)
                    self._rerun(run_id, int(seed), recorded, problems, trace)
                    item.action = "re-run"
                except ScsimError as exc:
                    item.action = f"not repaired: {exc}"
            items.append(item)
            if on_run is not None:
                on_run(item)
        return items

    def _rerun(self, run_id: str, seed: int, recorded: dict | None,
               problems: list[str], trace: str | None) -> None:
        """Run a damaged run again from its scenario.yaml and seed, tracing whom it traced
        (``trace``: the row's JSON; when the row does not say, as in a run recorded before
        it did, the agents of its traced.parquet), and put it back only if every file comes
        out as recorded."""
        from scsim.core.engine import Simulation
        from scsim.scenario import load_scenario

        folder = self.runs_dir / run_id
        damaged = {p.split(" ", 1)[0] for p in problems}
        if "its" in damaged or "scenario.yaml" in damaged or (
                not (folder / "scenario.yaml").is_file()):
            raise ScsimError("its scenario.yaml is damaged or missing; only "
                             "`--repair remove` can help")
        work = self.root / "repair" / f"{run_id}-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            sim = Simulation(load_scenario(folder / "scenario.yaml"), seed=seed,
                             trace=_traced(folder, damaged, trace))
            res = sim.run()
            res.info["run_id"] = run_id
            res.write_files(work)
            if "run.json" not in damaged and (folder / "run.json").is_file():
                shutil.copyfile(folder / "run.json", work / "run.json")  # its own times
            new = fingerprint(work)
            if recorded is not None:
                differ = sorted(name for name, rec in recorded.items()
                                if new.get(name) != rec and name != "run.json")
                if differ:
                    raise ScsimError("the re-run differs from the recorded run in "
                                     f"{', '.join(differ)}; the run was kept as it is")
            trash = self.root / "repair" / f"old-{run_id}-{os.getpid()}"
            fsync_folder(work)
            if folder.exists():
                folder.rename(trash)
            files = self._publish(work, folder)
            for path in trash.iterdir() if recorded is not None and trash.is_dir() else ():
                if path.name not in recorded:  # a user's file: into the new folder
                    path.rename(folder / path.name)
            shutil.rmtree(trash, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with self._connect() as con:
            con.execute("UPDATE runs SET status = 'done', error = NULL, files = ? "
                        "WHERE id = ?", [json.dumps(files), run_id])
            self._ensure_views(con)

    # -- the catalogue --------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self, read_only: bool = False, full: str = ""
                 ) -> Iterator[duckdb.DuckDBPyConnection]:
        """The catalogue, open for one short transaction under the store's file lock;
        a read-write opening first creates the schema and repairs what a killed process
        left behind. A write that fails because the disk is full is a ScsimError that
        says so, and ``full`` what was kept (by default: nothing). In a read-only store
        (``writable`` false) it is ``_read_only_catalogue``, whatever ``read_only`` says."""
        if not self.writable:
            with self._read_only_catalogue() as con:
                yield con
            return
        try:
            self._lock.acquire()
        except Timeout:
            raise ScsimError(f"the run store {self.root} stayed locked for "
                             f"{LOCK_TIMEOUT:.0f} s by another scsim process") from None
        except OSError as exc:
            raise ScsimError(f"cannot lock the run store {self.root}: {exc.strerror}") from None
        try:
            self._refuse_lost_catalogue()  # lost while this process held the store
            con = self._open(read_only)
            try:
                if not read_only:
                    con.execute(CATALOGUE_SCHEMA)
                    _migrate(con)
                    self._repair(con)
                yield con
            except duckdb.Error as exc:
                error = disk_full_in(exc)
                if error is None:
                    raise
                raise disk_full_error(error, f"writing the catalogue {self.catalog}",
                                      full) from None
            finally:
                con.close()
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def _read_only_catalogue(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The catalogue of a read-only store, opened read-only without the file lock (it
        cannot be made there) and with nothing repaired (a killed process's rows stay as
        they were written); a statement that would change it is a ScsimError saying the
        store is read-only."""
        con = self._open(read_only=True)
        try:
            _added_columns_as_null(con)
            yield con
        except duckdb.InvalidInputException as exc:
            if "read-only" not in str(exc):
                raise
            self.require_writable("change its catalogue")
        finally:
            con.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                return duckdb.connect(str(self.catalog), read_only=read_only, config={
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False})
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise ScsimError(f"cannot open the catalogue {self.catalog}: "
                                     f"{str(exc).splitlines()[0]}") from None
                time.sleep(0.1)
            except duckdb.Error as exc:
                raise ScsimError(f"cannot open the catalogue {self.catalog}: "
                                 f"{str(exc).splitlines()[0]}") from None

    def _put_back(self, trash: Path, run_id: str) -> None:
        """What a removal of ``run_id`` killed before its row was deleted had moved into
        its ``trash`` (``tmp/rm-RUN-PID``), back where it was: the run's folder (or its
        files) into ``runs/``, its checkpoints (``checkpoint-day-D``) into
        ``checkpoints/RUN``; an entry whose place is taken again stays in the trash. The
        run is as before the removal (the repair cleared the trash, checkpoints and all,
        while the row still said the run could be resumed)."""
        folder = self.runs_dir / run_id
        for entry in sorted(trash.iterdir()):
            if entry.name.startswith(TRASHED_CHECKPOINT):
                place = self.checkpoints_dir / run_id / entry.name.removeprefix(
                    TRASHED_CHECKPOINT)
            elif entry.name == run_id and not folder.exists():
                place = folder  # the whole folder was moved
            else:
                place = folder / entry.name
            if not place.exists():
                place.parent.mkdir(parents=True, exist_ok=True)
                entry.rename(place)

    def _repair(self, con: duckdb.DuckDBPyConnection) -> None:
        """Runs left ``running`` by a process that is gone, and stray temporary folders."""
        live = set()
        rows = con.execute("SELECT id, scenario, seed, status, error, pid, host, "
                           "coalesce(resumed, started) FROM runs WHERE status = 'running'"
                           ).fetchall()
        for rec in [RunRecord(*r) for r in rows]:
            if not _gone(rec):
                live.add(rec.id)
                continue
            info = self.runs_dir / rec.id / "run.json"
            if info.is_file():  # killed between the rename and the status update
                try:
                    wall = json.loads(info.read_text(encoding="utf-8")).get("wall_seconds")
                    files = json.dumps(fingerprint(info.parent))
                except (OSError, ValueError):
                    wall, files = None, None
                con.execute("UPDATE runs SET status = 'done', finished = ?, wall_seconds = ?, "
                            "files = ? WHERE id = ?", [_utcnow(), wall, files, rec.id])
            else:
                resumable = _checkpoint_note(self.checkpoints_dir / rec.id, rec.id) or (
                    "; it kept no checkpoint, so it cannot be resumed (`scsim resume "
                    f"{rec.id}` says how to run it again)")
                con.execute("UPDATE runs SET status = 'interrupted', finished = ?, error = ? "
                            "WHERE id = ?", [_utcnow(), f"the process (pid {rec.pid}) "
                                             f"ended without finishing the run{resumable}",
                                             rec.id])
        if self.tmp_dir.is_dir():  # only what scsim put there: a run's files, a removal's
            for folder in self.tmp_dir.iterdir():
                removal = REMOVAL.fullmatch(folder.name)
                if removal and con.execute("SELECT 1 FROM runs WHERE id = ?",
                                           [removal.group(1)]).fetchone():
                    self._put_back(folder, removal.group(1))  # killed before its row went
                if folder.name not in live and WORK_NAME.fullmatch(folder.name):
                    shutil.rmtree(folder, ignore_errors=True)
                elif RUNNING_LOCK.fullmatch(folder.name) and not is_running(
                        self.root, folder.name.removesuffix(".running")):
                    folder.unlink(missing_ok=True)  # a killed run's lock
        sweeps = con.execute("SELECT id, pid, host, coalesce(resumed, created) FROM sweeps "
                             "WHERE status = 'running' AND pid IS NOT NULL").fetchall()
        for sweep_id, pid, host, since in sweeps:
            if _sweep_gone(pid, host, since):
                con.execute("UPDATE sweeps SET status = 'interrupted' WHERE id = ?",
                            [sweep_id])
        if self.checkpoints_dir.is_dir():  # checkpoints are kept until their run is done
            keep = {r[0] for r in con.execute("SELECT id FROM runs WHERE status IN "
                                              "('failed', 'interrupted')").fetchall()}
            finished = {r[0] for r in con.execute("SELECT id FROM runs WHERE status IN "
                                                  "('done', 'damaged')").fetchall()}
            for folder in self.checkpoints_dir.iterdir():
                if folder.name in live or not RUN_ID.fullmatch(folder.name):
                    continue  # a run going on, or not scsim's
                if folder.name in finished:
                    remove_series(folder)  # a user's files there stay
                    continue
                for part in folder.glob(".tmp-*"):  # a checkpoint write that was cut short
                    if SERIES_ENTRY.fullmatch(part.name):
                        shutil.rmtree(part, ignore_errors=True)
                # a run the catalogue does not know keeps its checkpoints (the only copy of
                # a run a rebuild could not read); an empty folder of one goes
                if folder.name not in keep and not any(folder.iterdir()):
                    folder.rmdir()
        self._ensure_views(con)

    def _ensure_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """Views over the Parquet files of every finished, intact run, with a ``run_id``
        column taken from the folder name. A finished run whose folder or files are missing
        or changed size is marked ``damaged`` first (a stat per file; ``check`` reads the
        checksums), and so is one with a file DuckDB cannot read when the views are made
        (a damaged footer of the same size): one damaged run never spoils a query over the
        others. The views name their files, so they are recreated when that set changes;
        without finished runs there are none."""
        rows = con.execute("SELECT id, files FROM runs WHERE status = 'done' ORDER BY id"
                           ).fetchall()
        good = []
        for run_id, files in rows:
            recorded = json.loads(files) if files else None
            folder = self.runs_dir / run_id
            problems = quick_problems(folder, recorded)
            if not problems and recorded is None:  # recorded before checksums: read it once
                problems = full_problems(folder, None)
                if not problems:
                    con.execute("UPDATE runs SET files = ? WHERE id = ?",
                                [json.dumps(fingerprint(folder)), run_id])
            if problems:
                self._set_damaged(con, run_id, problems)
            else:
                good.append(run_id)
        made = dict(con.execute("SELECT key, value FROM store_meta").fetchall()).get("views")
        while True:
            wanted = (f"{VIEWS_VERSION}:{self.runs_dir}:" + digest_ids(good)) if good else ""
            if made == wanted:
                return
            try:
                self._create_views(con, good)
            except duckdb.Error as exc:  # a file DuckDB cannot read: leave its run out
                unreadable = self._unreadable(con, good)
                if not unreadable and disk_full_in(exc):
                    raise  # _connect says so
                if not unreadable:
                    raise ScsimError("cannot make the catalogue's views: "
                                     f"{str(exc).strip().splitlines()[0]}") from None
                for run_id, problems in unreadable.items():
                    self._set_damaged(con, run_id, problems)
                good = [r for r in good if r not in unreadable]
                continue
            con.execute("INSERT OR REPLACE INTO store_meta VALUES ('views', ?)", [wanted])
            return

    def _view_files(self, good: list[str]) -> dict[str, list[str]]:
        """table -> the runs of ``good`` whose files its view reads (every run has the
        tables of TABLES; a provenance table only the runs that wrote it)."""
        return {table: [r for r in good if table in TABLES
                        or (self.runs_dir / r / f"{table}.parquet").is_file()]
                for table in (*TABLES, *PROVENANCE_TABLES)}

    def _create_views(self, con: duckdb.DuckDBPyConnection, good: list[str],
                      temporary: bool = False) -> None:
        """(Re)create the views over the files of the runs ``good`` (``temporary``: as
        temporary views of ``con``, leaving the stored ones as they are); DuckDB reads
        each file's footer here, and raises if one cannot be read."""
        for table, having in self._view_files(good).items():
            if having:
                paths = ", ".join(_sql_text(self.runs_dir / r / f"{table}.parquet")
                                  for r in having)
                con.execute(
                    f"CREATE OR REPLACE {'TEMPORARY ' if temporary else ''}VIEW {table} "
                    "AS SELECT "
                    f"regexp_extract(filename, '([^/\\\\]+)[/\\\\]{table}\\.parquet$', 1) "
                    "AS run_id, * EXCLUDE (filename) "
                    f"FROM read_parquet([{paths}], union_by_name = true, filename = true) "
                    "WHERE run_id IN (SELECT id FROM runs WHERE status = 'done')")
            elif not temporary:
                con.execute(f"DROP VIEW IF EXISTS {table}")

    def _unreadable(self, con: duckdb.DuckDBPyConnection, good: list[str]
                    ) -> dict[str, list[str]]:
        """run id -> what is wrong, for each run of ``good`` with a file of the views that
        DuckDB cannot read (each file's schema read on its own)."""
        out: dict[str, list[str]] = {}
        for table, having in self._view_files(good).items():
            for run_id in having:
                path = self.runs_dir / run_id / f"{table}.parquet"
                try:
                    con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_text(path)})")
                except duckdb.Error as exc:
                    why = str(exc).strip().splitlines()[0].split(": ")[-1]
                    out.setdefault(run_id, []).append(
                        f"{path.name} cannot be read ({why[:200]})")
        return out

    @staticmethod
    def _set_damaged(con: duckdb.DuckDBPyConnection, run_id: str,
                     problems: list[str]) -> None:
        """Mark a run ``damaged``, with what is wrong with it."""
        con.execute("UPDATE runs SET status = 'damaged', error = ? WHERE id = ?",
                    ["; ".join(problems), run_id])


def digest_ids(ids: list[str]) -> str:
    """16 hex digits of the SHA-256 of the ids, in their order."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _added_columns_as_null(con: duckdb.DuckDBPyConnection) -> None:
    """A read-only catalogue made by an older scsim lacks the ``runs`` columns added since
    (``ADDED_RUN_COLUMNS``), which cannot be added to it: a temporary view ``runs`` (of
    this connection only) gives them, as NULL, so that what reads them (``check``,
    ``scsim query``) works there too (``check`` of such an archive failed on
    ``branched``)."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    have = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = "
        "'main' AND table_name = 'runs'", [database]).fetchall()}
    missing = [(name, kind) for name, kind, _ in ADDED_RUN_COLUMNS if name not in have]
    if have and missing:
        nulls = ", ".join(f"NULL::{kind} AS {name}" for name, kind in missing)
        con.execute(f'CREATE TEMP VIEW runs AS SELECT *, {nulls} FROM "{database}".main.runs')


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """A store made before the ``damaged`` status: its CHECK constraint does not allow it,
    so the runs table is copied into one that does (DuckDB cannot alter a constraint)."""
    checks = con.execute("SELECT expression FROM duckdb_constraints() WHERE table_name = "
                         "'runs' AND constraint_type = 'CHECK'").fetchall()
    if not checks or any("damaged" in (c[0] or "") for c in checks):
        return
    for table in (*TABLES, *PROVENANCE_TABLES):
        con.execute(f"DROP VIEW IF EXISTS {table}")
    con.execute(_RUNS_TABLE.format(table="runs_new"))
    columns = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE "
                                         "table_name = 'runs'").fetchall()]
    con.execute(_add_run_columns("runs_new"))
    cols = ", ".join(columns)
    con.execute(f"INSERT INTO runs_new ({cols}) SELECT {cols} FROM runs")
    con.execute("DROP TABLE runs")
    con.execute("ALTER TABLE runs_new RENAME TO runs")
    con.execute("DELETE FROM store_meta WHERE key = 'views'")


def _refuse_branch_rerun(folder: Path, branched: str | None) -> None:
    """A ScsimError when the run in ``folder`` was branched (``branched``: its row's JSON,
    see ``core.checkpoint.BRANCHED``; a rebuilt row takes it from run.json): a re-run from
    day 0 under its scenario.yaml alone is another run, which cannot repair it."""
    if not branched:
        return
    last = json.loads(branched)[-1]
    raise ScsimError(
        f"it is a branch (Simulation.load of a checkpoint with another scenario): its days "
        f"before day {last['day']:,} ran under {last['scenario']}, so a re-run from day 0 "
        "under its scenario.yaml cannot reproduce it, and its files were left as they are; "
        f"keep it as it is, or remove it (`scsim rm {folder.name}`)")


def _traced(folder: Path, damaged: set[str], trace: str | None) -> Trace | None:
    """Whom a stored run traced: the ``trace`` its row keeps (JSON), else the agents of its
    traced.parquet while that is intact, else nobody (a re-run that should have traced
    someone then differs from the recorded run, and is not kept)."""
    import pyarrow.parquet as pq

    if trace is not None:
        return Trace.requested(json.loads(trace))
    if "traced.parquet" in damaged or not (folder / "traced.parquet").is_file():
        return None
    return Trace.opened(pq.read_table(folder / "traced.parquet").to_pandas())


def _sql_text(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _damaged_message(run_id: str, error: str | None) -> str:
    why = f" ({error})" if error else ""
    return (f"run {run_id} is damaged{why}; `scsim check --repair rerun` runs it again, "
            "`--repair remove` removes it")


EXACT_IN_FLOAT = 2**53  # every whole number below this is exact in a float64


def _whole_sums(frame: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """``frame`` with its 128-bit integer columns (DuckDB's ``sum`` of integers, which
    pandas receives as floats: 85.0) as whole numbers again (nullable Int64), where every
    value was exact in the float; ``types``: DuckDB's column types, in order."""
    for k, kind in enumerate(types):
        column = frame.iloc[:, k]
        if kind in ("HUGEINT", "UHUGEINT") and column.abs().max(skipna=True) < EXACT_IN_FLOAT:
            frame.isetitem(k, column.astype("Int64"))
    return frame


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _gone(rec: RunRecord) -> bool:
    """The process that recorded a running row has ended. A row from another host cannot
    be checked and counts as live."""
    if rec.host != socket.gethostname() or rec.pid is None:
        return False
    try:
        proc = psutil.Process(rec.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return True
        born = proc.create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False
    return born > rec.started.replace(tzinfo=UTC).timestamp() + 1.0  # the pid was reused


def _still_running(rec: RunRecord, elsewhere: bool) -> str | None:
    """Why the run ``rec`` cannot be removed yet: it is still going in a live process here,
    or recorded as running on another host, whose process cannot be checked from here
    (unless ``elsewhere`` says it has ended); None when it can be."""
    here = rec.host == socket.gethostname()
    if rec.status != "running" or _gone(rec) or (elsewhere and not here):
        return None
    hint = (f"; stop it first (Ctrl-C where it runs, or `kill {rec.pid}`), then `scsim rm "
            f"{rec.id}` removes it" if here else
            f"; it cannot be checked from here: if that process has ended, `scsim rm "
            f"{rec.id} --elsewhere` removes the run")
    return f"run {rec.id} is still running (pid {rec.pid} on {rec.host}){hint}"


@contextlib.contextmanager
def running(root: Path, run_id: str) -> Iterator[None]:
    """Hold ``tmp/RUN.running`` in the store ``root`` while this process runs ``run_id``:
    the lock goes when the run ends, however it ends (a killed process's with it), so that
    a catalogue rebuilt meanwhile (``store.rebuild``) tells a run still going from one
    interrupted, whose process may live on (a notebook after Ctrl-C)."""
    path = root / "tmp" / f"{run_id}.running"
    path.parent.mkdir(exist_ok=True)
    lock = FileLock(path)
    with lock:
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def is_running(root: Path, run_id: str) -> bool:
    """Whether a process holds ``running``'s lock of ``run_id`` in the store ``root``."""
    path = root / "tmp" / f"{run_id}.running"
    if not path.exists():
        return False
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def _checkpoint_owner(run_id: str) -> dict[str, object]:
    """What a run's checkpoints record of it beside the state: its id, and the process
    writing them (pid, host), so that a catalogue rebuilt while it runs
    (``store.rebuild``) lists it as running, not as interrupted."""
    return {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname()}


def _not_its_checkpoint(manifest: dict, rec: RunRecord) -> str | None:
    """Why a checkpoint found in the run's folder is another run's (its run id or seed
    differ from the run's row: copied there by hand), or None. Resumed, it gave the row's
    run another seed's results, checksummed as intact."""
    theirs = manifest.get("run_id")
    if theirs is not None and theirs != rec.id:
        return f"its checkpoint is of run {theirs}, not of this one"
    if manifest["seed"] != rec.seed:
        return f"its checkpoint is of seed {manifest['seed']}, the run's is {rec.seed}"
    return None


def _not_written_by_scsim(folder: Path, files: str | None) -> set[str]:
    """The names in a finished run's ``folder`` that scsim did not write there: not among
    its recorded ``files`` (the row's JSON; a run recorded before it kept them: none)."""
    if files is None or not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir()} - set(json.loads(files))


def _compared(name: str) -> list[str]:
    """The first pair's run ids of a comparison's report folder name (``A-vs-B``, or
    ``A-vs-B+K-DIGEST`` for several pairs: ``report_folder``); else none."""
    parts = name.split(COMPARED)
    if len(parts) != 2:
        return []
    return [parts[0], MORE_PAIRS.sub("", parts[1])]


MORE_PAIRS = re.compile(r"\+\d+-[0-9a-f]{8}$")  # the end of a report of several pairs


REPORT_RUNS_FILE = "runs.json"
"""Beside a comparison's report: the run ids of its pairs, {"pairs": [[A1, B1], ...]}, by
which a report of several pairs goes with any of its runs (``RunStore.reports_of``)."""


def _paired(report: Path) -> list[str]:
    """The run ids of a comparison's report folder, from the list beside its page
    (``REPORT_RUNS_FILE``); none when there is none, or it cannot be read."""
    try:
        pairs = json.loads((report / REPORT_RUNS_FILE).read_text(encoding="utf-8"))["pairs"]
        return [str(run) for pair in pairs for run in pair]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _only_scsims(report: Path) -> bool:
    """Whether ``report`` (a store's ``reports/RUN``) is a report folder that holds nothing
    but what scsim wrote there, unchanged (``fsutil.check_output_folder``), so that it may
    go with its run."""
    if not report.is_dir() or report.is_symlink():
        return False
    try:
        check_output_folder(report, force=True, kind="report")
    except ScsimError:
        return False
    return True


def _written_as(statement) -> str:
    """The kind of an SQL statement as its author wrote it, for a refusal: its first
    word, after any comments ('INSTALL', which DuckDB files under LOAD; 'FORCE INSTALL'),
    or DuckDB's name of its type where that word does not say it (WITH ... INSERT)."""
    text = LEADING_COMMENTS.sub("", statement.query)
    word = re.match(r"(?:force\s+)?[a-z]+", text, re.IGNORECASE)
    if word is None or word[0].upper() == "WITH":
        return statement.type.name.replace("_", " ")
    return " ".join(word[0].upper().split())


def _scenarios_named(refs: list[str]) -> list[str]:
    """For each ref that names no run but a built-in scenario, where to find it: a teacher
    typed `scsim show national-800` and read only that there was no such run."""
    from scsim.scenario.loader import builtin_names

    return [f"'{ref}' is a built-in scenario: `scsim scenarios show {ref}` shows its "
            f"settings, `scsim run {ref}` runs it" for ref in refs if ref in builtin_names()]


def _either(refs: list[str]) -> str:
    """Run refs in words: "'a'", "'a' or 'b'", "'a', 'b' or 'c'"."""
    quoted = [f"'{ref}'" for ref in refs]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _sweep_gone(pid: int, host: str | None, since: datetime) -> bool:
    """The process that runs a sweep (pid on host, since it created or resumed it, UTC)
    has ended; as ``_gone`` for a run."""
    return _gone(RunRecord("", "", 0, "running", None, pid, host, since))


def _checkpoint_note(folder: Path, run_id: str) -> str:
    """What to say about a stopped run's checkpoint, if it has one."""
    from scsim.core.checkpoint import latest, read_manifest

    if latest(folder) is None:
        return ""
    try:
        day = read_manifest(folder)["day"]
    except (ScsimError, KeyError):
        return ""
    return f"; `scsim resume {run_id}` continues it from day {day}"


def _before_first_checkpoint(start: int, day: int, every: int, days: int) -> str:
    """What to say of a run kept with checkpoints every ``every`` days from day ``start``
    (0, or the day of the checkpoint it was loaded from) that stopped on ``day`` (of
    ``days``) before writing its first one: it cannot be resumed, though it was started to
    be; its first checkpoint was due on the first multiple of ``every`` after ``start``,
    none at all when that is not before the last day."""
    first = (start // every + 1) * every
    if first < days:
        return (f"; it stopped on day {day:,}, before its first checkpoint (day {first:,}), "
                "so it cannot be resumed: run it again")
    return (f"; it stopped on day {day:,} and cannot be resumed: --checkpoint-every "
            f"{every:,} keeps no checkpoint in a run of {days:,} days; run it again with "
            "fewer days between checkpoints")


def _run_again(rec: RunRecord, overrides: str | None, branched: str | None = None) -> str:
    """How to run again a stopped run that cannot be resumed, in words: its scenario (a
    built-in one by name; the row's ``overrides`` JSON, the values it changed, is null for
    a scenario of a file), seed and changed values, with --checkpoint-every; for a branch
    (``branched``: the row's JSON), branching it again, as a run from day 0 is another."""
    from scsim.scenario.reference import as_assignments

    if branched:
        last = json.loads(branched)[-1]
        return (f"It is a branch (on day {last['day']:,}, of a run of {last['scenario']}), "
                "which a run from day 0 does not give: branch it again in Python "
                "(Simulation.load of the checkpoint it was branched from, with its scenario, "
                "then record(sim, checkpoint_every=DAYS) of the store); "
                f"`scsim rm {rec.id}` removes this one")
    if overrides is None:
        command = f"`scsim run` of its scenario file ({rec.scenario}), --seed {rec.seed}"
    else:
        changed = as_assignments(json.loads(overrides))
        command = f"`scsim run {rec.scenario} --seed {rec.seed}`" + (
            f" and the options it was started with (it changed {changed})" if changed
            else "")
    return (f"Run it again with {command} and --checkpoint-every DAYS to keep checkpoints; "
            f"`scsim rm {rec.id}` removes this one")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM)"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return f"{type(exc).__name__}: {exc}"
