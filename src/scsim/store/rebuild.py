"""A run store's catalogue made again from its folders, when it was lost (deleted, or not
copied with the rest): ``scsim check --repair catalogue``.

Each finished run keeps what its row said: ``runs/RUN/run.json`` (seed, version, size,
times) and ``scenario.yaml`` (the resolved scenario, hence its hashes and overrides); each
run with a checkpoint, ``checkpoints/RUN/day-D/manifest.json`` (with its checksum, the
run's id and the process writing it). A rebuilt finished run is ``done``, its files
fingerprinted as they are now (the checksums recorded when it landed were in the lost
catalogue, so only damage that makes a file unreadable can be told: such a run is
``damaged``, for ``check --repair``); a run with only a checkpoint is ``interrupted``, and
``scsim resume`` continues it, unless a process still runs it (it holds the run's lock,
``runstore.running``): then it is ``running`` and lands as usual (a run that lands after the
rebuild without a row gets one then: ``RunStore._end``). What the runs' own files do not
hold is lost with the catalogue: which sweep a run belonged to, the comparisons drawn, whom
a run traced (``check --repair rerun`` reads its traced.parquet instead). A folder that
cannot be read is left out, and said so (and kept: a store's repair deletes only the
checkpoints of runs it knows to be finished); nothing in the store is changed but the new
catalogue, written whole in the store's ``tmp/`` and linked into place only if no
catalogue appeared meanwhile. A store this process cannot write is refused in one line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from scsim.errors import ScsimError
from scsim.fsutil import STORE_MARKER
from scsim.outputs.result import PROVENANCE_TABLES, SAMPLE_TABLES, TABLES
from scsim.store.integrity import fingerprint, fsync_dir, full_problems
from scsim.store.runstore import CATALOGUE_SCHEMA, RUN_ID, can_write, is_running, lost_catalogue

RUN_FILES = frozenset({f"{table}.parquet" for table in (*TABLES, *PROVENANCE_TABLES,
                                                        *SAMPLE_TABLES)}
                      | {"scenario.yaml", "run.json"})
"""The files scsim writes in a finished run's folder: only these are fingerprinted again
(a user's notes there stay theirs, as ``remove`` keeps them)."""

COLUMNS = ("id", "scenario", "scenario_hash", "population_hash", "seed", "overrides",
           "scsim_version", "agents", "days", "started", "finished", "status",
           "wall_seconds", "error", "files", "pid", "host", "resumed", "branched")


@dataclass
class Rebuilt:
    """What a rebuilt catalogue holds (``rows``, as ``finished_row`` and
    ``_checkpoint_row`` make them), and the folders left out with why."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)

    def ids(self, *statuses: str) -> list[str]:
        """The runs rebuilt with one of ``statuses``."""
        return [row["id"] for row in self.rows if row["status"] in statuses]

    @property
    def done(self) -> list[str]:
        """The finished runs (``damaged`` ones included)."""
        return self.ids("done", "damaged")

    @property
    def damaged(self) -> list[str]:
        """The finished runs with a file that cannot be read."""
        return self.ids("damaged")

    @property
    def resumable(self) -> list[str]:
        """The runs found by their checkpoints (``running`` ones included)."""
        return self.ids("interrupted", "running")

    @property
    def running(self) -> list[str]:
        """The runs a process still runs."""
        return self.ids("running")


def rebuild_catalogue(root: str | os.PathLike) -> Rebuilt:
    """Make the lost catalogue of the store ``root`` again from its runs' folders (see the
    module docstring); a ScsimError when it has a catalogue or holds no run."""
    root = Path(root).expanduser().resolve()
    marker = root / STORE_MARKER
    if marker.is_file():
        raise ScsimError(f"the run store {root} has its catalogue: there is nothing to "
                         "rebuild (`scsim check` verifies its runs)")
    if marker.exists() or marker.is_symlink():
        raise ScsimError(f"{marker} is not a catalogue (a folder, or a link to nothing): "
                         "move it aside, then rebuild")
    if lost_catalogue(root) is None:
        raise ScsimError(f"{root} holds no run to rebuild a catalogue from (runs/ and "
                         "checkpoints/ hold no run folder)")
    if not can_write(root):
        raise ScsimError(f"the run store {root} is read-only (its folder cannot be "
                         "written): its catalogue cannot be made there; copy the store to "
                         "a folder you can write, and rebuild it there")
    rebuilt = Rebuilt()
    for where, row_of in (("runs", finished_row), ("checkpoints", _checkpoint_row)):
        for folder in _run_folders(root / where):
            if folder.name in rebuilt.done:
                continue  # finished after its last checkpoint: the repair removes that
            try:
                rebuilt.rows.append(row_of(folder))
            except (ScsimError, OSError, ValueError, KeyError, TypeError) as exc:
                rebuilt.left_out.append((f"{where}/{folder.name}", _why(exc)))
    if not rebuilt.rows:
        raise ScsimError(f"no run of {root} could be read to rebuild its catalogue: "
                         + "; ".join(f"{where}: {why}" for where, why in rebuilt.left_out))
    _write(root, rebuilt.rows)
    return rebuilt


def _run_folders(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.is_dir() and RUN_ID.fullmatch(p.name)) \
        if parent.is_dir() else []


def finished_row(folder: Path) -> dict[str, Any]:
    """The ``runs`` row of the finished run in ``folder``, from its run.json and
    scenario.yaml: ``done`` with its files fingerprinted as they are, or ``damaged`` when
    one cannot be read (without a fingerprint: ``check`` reads the files again)."""
    from scsim.scenario import load_scenario

    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    if info.get("run_id", folder.name) != folder.name:
        raise ScsimError(f"its run.json is of run {info['run_id']}")
    sc = load_scenario(folder / "scenario.yaml")
    problems = full_problems(folder, None)
    files = {name: entry for name, entry in fingerprint(folder).items()
             if name in RUN_FILES}
    return _row(folder.name, sc, info, status="damaged" if problems else "done",
                finished=_when(info.get("finished")), wall_seconds=info.get("wall_seconds"),
                files=None if problems else json.dumps(files),
                error="; ".join(problems) if problems else None)


def _checkpoint_row(folder: Path) -> dict[str, Any]:
    from scsim.core.checkpoint import read_manifest
    from scsim.scenario.schema import Scenario

    manifest = read_manifest(folder)  # refuses a damaged one
    if manifest.get("run_id") != folder.name:
        raise ScsimError(f"its checkpoint is of run {manifest.get('run_id')}")
    sc = Scenario.model_validate(manifest["scenario"])
    if is_running(folder.parent.parent, folder.name):  # its process is still at it
        return _row(folder.name, sc, manifest, status="running", finished=None,
                    wall_seconds=None, files=None, pid=manifest.get("pid"),
                    host=manifest.get("host"), resumed=_when(manifest.get("written")))
    return _row(folder.name, sc, manifest, status="interrupted", finished=None,
                wall_seconds=None, files=None,
                error=f"its row was rebuilt from its checkpoint of day {manifest['day']} "
                      f"(the catalogue was lost); `scsim resume {folder.name}` continues it")


def _row(run_id: str, sc, info: dict, **rest: Any) -> dict[str, Any]:
    """A ``runs`` row from a run's scenario and what its run.json or checkpoint manifest
    says (``seed``, ``scsim_version``, ``agents``, ``days``, ``started``)."""
    from scsim.scenario.diff import builtin, digest, overrides, population_key

    base = builtin(sc.name)
    started = _when(info.get("started"))
    if started is None:
        raise ScsimError("it does not say when it started")
    return {"id": run_id, "scenario": sc.name, "scenario_hash": digest(sc),
            "population_hash": digest(population_key(sc)), "seed": int(info["seed"]),
            "overrides": json.dumps(overrides(base, sc)) if base is not None else None,
            "scsim_version": str(info["scsim_version"]), "agents": int(info["agents"]),
            "days": int(info["days"]), "started": started, "error": None, "pid": None,
            "host": None, "resumed": None,
            # where it was branched (core.checkpoint.BRANCHED), which its files alone say
            "branched": json.dumps(info["branched"]) if info.get("branched") else None,
            **rest}


def _when(text: str | None) -> datetime | None:
    """An ISO time of run.json or a manifest as the catalogue keeps it: UTC, naive."""
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=None)


def insert_rows(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Insert rebuilt ``runs`` rows (``finished_row``, ``_checkpoint_row``)."""
    marks = ", ".join("?" * len(COLUMNS))
    con.executemany(f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({marks})",
                    [[row.get(c) for c in COLUMNS] for row in rows])


def _write(root: Path, rows: list[dict[str, Any]]) -> None:
    """The new catalogue, whole: written in the store's ``tmp/`` (a rebuild killed
    halfway leaves nothing a store may not hold), then linked into place (which fails,
    leaving the other, if a catalogue appeared meanwhile)."""
    (root / "tmp").mkdir(exist_ok=True)
    tmp = root / "tmp" / f"catalog-rebuild-{os.getpid()}.duckdb"
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(CATALOGUE_SCHEMA)
            insert_rows(con, rows)
        finally:
            con.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, root / STORE_MARKER)
        except FileExistsError:
            raise ScsimError(f"another process made a catalogue in {root} meanwhile: it "
                             "was kept, nothing was rebuilt") from None
        fsync_dir(root)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def _why(exc: BaseException) -> str:
    """Why a folder was left out, on one line."""
    text = " ".join(str(exc).split())[:300] or type(exc).__name__
    return text if isinstance(exc, ScsimError) else f"{type(exc).__name__}: {text}"
