"""Checkpoints: the whole state of a simulation between two days, written so that a run
can stop (a crash, a kill, a full disk) and go on later with bit-identical outputs, or be
branched from a given day under a changed policy.

A checkpoint is a folder of two files:

``state.npz``
    every array that a day reads and writes, uncompressed (``numpy.savez``): the agents
    (``agents/NAME``), the companies (``companies/NAME``), the network with its severed
    ties (``net/indptr``, ``net/entries``), the household and region ranges
    (``state/...``), the metrics table so far (``recorder/table``), the day's block flags
    (``tally/flags``) and any array a step or the metrics recorder carries from day to
    day (``steps/PHASE/NAME``, ``recorder/NAME``).
``manifest.json``
    what the arrays are (name, dtype, shape), the day to simulate next, the epoch of the
    timeline in force, the seed, the resolved scenario and its hash, the scsim version
    and checkpoint format, the plain values the steps and the recorder carry (the number
    of severed ties, the cached largest-component share, ...), the wall time so far, and
    (``BRANCHED``) for a branched run, the days and scenarios it ran before its branch.

Nothing is pickled: the arrays are ``.npy`` members of the zip, the rest is JSON.

Atomicity. The files are written into a temporary sibling folder, flushed and fsync'ed,
and the folder is then renamed into place (and its parent fsync'ed): a checkpoint folder
under its final name is always complete. The manifest is written last. A run writing a
series (``Checkpoints``) names each one ``day-DDDDDD`` and removes the older ones only once
the new one is in place, so a kill at any moment leaves at least the previous checkpoint
intact; ``latest`` picks the newest complete one.

What the steps carry. Every attribute of a step of the day plan (except ``sim``) and of
the metrics recorder (except the ones rebuilt from the scenario, ``RECORDER_REBUILT``) is
kept: numbers, strings and None in the manifest, numpy arrays and scalars in the npz.
An attribute of another type cannot be kept, and saving fails saying which one: a
mechanism that carries something across days must carry it in one of those forms.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scsim.errors import ScsimError

if TYPE_CHECKING:
    from scsim.core.engine import Simulation
    from scsim.scenario.schema import Scenario

FORMAT = 4  # bump when the layout of a checkpoint changes (2: ledger of the run's sources;
# 3: the CLEAN_LISTED status bit; 4: the wrongful listings' neighbours behind association).
# Since 2026-12-02 a checkpoint keeps no agents/household and no rows of the arrays its run
# cannot use (core.state.short_arrays): still format 4, since this scsim loads the earlier
# layout too (``load``, ``_fit_rows``), and an earlier one refuses the new layout, naming
# its agent arrays.
MANIFEST = "manifest.json"
ARRAYS = "state.npz"
SERIES_PREFIX = "day-"  # a checkpoint of a series: day-000030 (the day it resumes at)
SERIES_ENTRY = re.compile(r"day-\d{6}|\.tmp-day-\d{6}-\d+")
"""What a series' folder holds of scsim's: its checkpoints (day-000030) and those being
written (.tmp-day-000030-PID); anything else there (a user's backup, day-000030-1 or
day-000030-copy) is not touched."""
TEST_PAUSE = "SCSIM_CHECKPOINT_TEST_PAUSE"
"""Test hook: ``write:DAY:SECONDS`` sleeps inside the write of the checkpoint that resumes
at DAY (its files written and synced, not yet renamed into place), ``day:DAY:SECONDS``
sleeps once day DAY is done; the tests kill the process there."""

# Recorder attributes rebuilt from the scenario and the state when a simulation is made
# (the histograms are scratch, filled afresh each day).
RECORDER_REBUILT = ("names", "layout", "columns", "network_every", "distribution_every",
                    "hist", "hist_lo", "hist_hi")
# Step attributes rebuilt after a load: the simulation, and indexes derived from the state
# that a step builds when it first needs them (observe's ``marks``).
STEP_REBUILT = ("sim", "marks")


# --- writing ----------------------------------------------------------------------------

def _carried(obj: Any, skip: tuple[str, ...], where: str, arrays: dict[str, np.ndarray]
             ) -> dict[str, Any]:
    """The attributes ``obj`` carries from day to day: plain values returned (for the
    manifest), numpy values put into ``arrays`` under ``where/NAME``."""
    plain: dict[str, Any] = {}
    for name, value in vars(obj).items():
        if name in skip:
            continue
        if value is None or isinstance(value, bool | int | float | str):
            plain[name] = {"value": value}
        elif isinstance(value, np.ndarray | np.generic):
            arrays[f"{where}/{name}"] = np.asarray(value)
            plain[name] = {"array": f"{where}/{name}", "scalar": isinstance(value, np.generic)}
        else:
            raise ScsimError(f"cannot checkpoint {where}.{name}: a {type(value).__name__} "
                             "(a step may carry numbers, strings and numpy arrays from day "
                             "to day)")
    return plain


def _restore(obj: Any, plain: dict[str, Any], arrays: dict[str, np.ndarray], where: str,
             skip: tuple[str, ...]) -> None:
    have = {k for k in vars(obj) if k not in skip}
    if have != set(plain):
        raise ScsimError(f"this checkpoint was written by an incompatible scsim: {where} "
                         f"carries {sorted(have)}, the checkpoint {sorted(plain)}")
    for name, item in plain.items():
        if "array" in item:
            value = arrays[item["array"]]
            setattr(obj, name, value[()] if item["scalar"] else value)
        else:
            setattr(obj, name, item["value"])


def collect(sim: Simulation) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest (without the array list) and the arrays of ``sim``'s state now."""
    from scsim import __version__
    from scsim.scenario.diff import digest, population_key

    s = sim.state
    arrays: dict[str, np.ndarray] = {}
    arrays.update({f"agents/{k}": v for k, v in s.agents.items()})
    arrays.update({f"companies/{k}": v for k, v in s.companies.items()})
    arrays.update({"net/indptr": s.net.indptr, "net/entries": s.net.entries,
                   "state/household_start": s.household_start,
                   "state/region_start": s.region_start,
                   "state/company_region_start": s.company_region_start,
                   "tally/flags": sim.tally.flags})
    if s.file_ids is not None:
        arrays["state/file_ids"] = s.file_ids
    steps = {step.name: _carried(step, STEP_REBUILT, f"steps/{step.name}", arrays)
             for step in sim.steps}
    recorder = _carried(sim.recorder, RECORDER_REBUILT, "recorder", arrays)
    sc = sim.scenario
    manifest = {
        "format": FORMAT, "scsim_version": __version__,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "day": s.day, "days": sc.days, "epoch": sim.epoch_of(s.day),
        "seed": sim.seed, "scenario_name": sc.name, "scenario_hash": digest(sc),
        "population_hash": digest(population_key(sc)), "agents": s.n,
        "companies": len(next(iter(s.companies.values()))) if s.companies else 0,
        "scenario": sc.model_dump(mode="json"),
        "carried": {"steps": steps, "recorder": recorder},
        "wall_seconds": sim.elapsed, "kernel_seconds": sim.kernels.total,
        "profile": dict(sim.profile),
        "started": sim.started_at.isoformat() if sim.started_at else None,
    }
    if sim.branched:  # (set by ``load`` only: a new run is no branch)
        manifest[BRANCHED] = sim.branched
    return manifest, arrays


def write_checkpoint(sim: Simulation, folder: Path, extra: dict | None = None) -> int:
    """Write ``sim``'s checkpoint into the existing, empty ``folder``: the arrays, then the
    manifest, each flushed to disk. Returns the bytes written."""
    manifest, arrays = collect(sim)
    manifest.update(extra or {})
    manifest["arrays"] = {k: [v.dtype.str, list(v.shape)] for k, v in arrays.items()}
    with open(folder / ARRAYS, "wb") as handle:
        np.savez(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    size = (folder / ARRAYS).stat().st_size
    manifest["bytes"] = size
    manifest[CHECKSUM] = manifest_checksum(manifest)
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    return size


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk, where the system allows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(sim: Simulation, path: str | os.PathLike, *, force: bool = False) -> Path:
    """``Simulation.save``: the checkpoint in the folder ``path``, written whole or not at
    all (a temporary sibling renamed into place). ``path`` must be missing or empty; an
    earlier scsim output is replaced only with ``force`` (``fsutil.atomic_folder``)."""
    from scsim.fsutil import atomic_folder

    with atomic_folder(path, kind="checkpoint", force=force) as tmp:
        write_checkpoint(sim, tmp)
    target = Path(path).expanduser().resolve()
    fsync_folder(target.parent)
    return target


class Checkpoints:
    """A series of checkpoints of one run in ``folder``: one every ``every`` days (none
    after the last day), each replacing the previous one once it is complete."""

    def __init__(self, folder: str | os.PathLike, every: int, extra: dict | None = None):
        check_every(every)
        self.folder = Path(folder)
        self.every = int(every)
        self.extra = {"checkpoint_every": self.every, REQUEST: command_request(self.folder),
                      **(extra or {})}
        self.written: list[tuple[int, float, int]] = []  # (day, seconds, bytes)
        self.disk = 0  # bytes on disk of the newest checkpoint's files (``files_bytes``)
        self._pause = _test_pause()

    def after(self, sim: Simulation, day: int) -> None:
        """Called once ``day`` is done: write a checkpoint if one is due."""
        if self._pause and self._pause[0] == "day" and self._pause[1] == day:
            time.sleep(self._pause[2])
        if (day + 1) % self.every == 0 and day + 1 < sim.scenario.days:
            self.write(sim)

    def write(self, sim: Simulation) -> Path:
        """A checkpoint of ``sim`` now, as ``day-DDDDDD`` in the folder; the older ones are
        removed once it is in place."""
        started = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{SERIES_PREFIX}{sim.state.day:06d}"
        tmp = self.folder / f".tmp-{name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        target = self.folder / name
        try:
            size = write_checkpoint(sim, tmp, self.extra)
            if self._pause and self._pause[:2] == ("write", sim.state.day):
                time.sleep(self._pause[2])
            if target.exists():  # our own, from an earlier attempt at this day
                shutil.rmtree(target)
            tmp.rename(target)
            fsync_folder(self.folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in self.folder.iterdir():
            if old != target and SERIES_ENTRY.fullmatch(old.name):
                shutil.rmtree(old, ignore_errors=True)
        self.written.append((sim.state.day, time.perf_counter() - started, size))
        self.disk = files_bytes(target)
        return target

    def words(self) -> str | None:
        """What the series took on disk, for a run that is done (its checkpoints removed):
        '3 checkpoints written (every 5 days), the newest 41.2 MB on disk (about 82.4 MB at
        once while it replaced the one before)'; None when none was written."""
        from scsim.outputs.words import counted, in_bytes

        if not self.written:
            return None
        text = (f"{counted(len(self.written), 'checkpoint')} written (every "
                f"{counted(self.every, 'day')}), ")
        if len(self.written) == 1:
            return f"{text}{in_bytes(self.disk)} on disk"
        return (f"{text}the newest {in_bytes(self.disk)} on disk (about "
                f"{in_bytes(2 * self.disk)} at once while it replaced the one before)")


def check_every(every: int | None) -> None:
    """Refuse a number of days between checkpoints below 1 (None: none, or as before)."""
    if every is not None and every < 1:
        raise ScsimError(f"--checkpoint-every (checkpoint_every=) must be at least 1 day, "
                         f"got {every}")


BRANCHED = "branched"
"""The key (a manifest's, run.json's, a ``runs`` column's, the Simulation attribute) of
where a run was branched (``Simulation.load`` with another scenario than the
checkpoint's): a list, oldest first, of ``{"day": D, "scenario": NAME, "scenario_hash":
H}``, each saying that the days before D (since the branch before it, or day 0) ran under
the scenario NAME of hash H, not under the run's own scenario. Absent, or empty, for a run
that ran under its own scenario from day 0 (a plain resume is no branch)."""
BRANCH_KEYS = {"day": (int,), "scenario": (str,), "scenario_hash": (str,)}


def branched_problem(branched: Any) -> str | None:
    """What is wrong with a ``BRANCHED`` list as read from JSON, or None."""
    if type(branched) is not list:
        return _kind_problem(branched, (list,), BRANCHED)
    for k, entry in enumerate(branched):
        if type(entry) is not dict or entry.keys() != BRANCH_KEYS.keys():
            return (f"{BRANCHED}[{k}] is not {{\"day\": ..., \"scenario\": ..., "
                    "\"scenario_hash\": ...}")
        for key, kinds in BRANCH_KEYS.items():
            if problem := _kind_problem(entry[key], kinds, f"{BRANCHED}[{k}].{key}"):
                return problem
    return None


def branch_words(branched: list[dict[str, Any]] | None, days: int) -> str | None:
    """A branched run in plain words, for people (``scsim show``, the Result): on which
    day it was branched and under which scenario its earlier days ran; None for a run
    that ran under its own scenario from day 0. ``days``: the run's days."""
    if not branched:
        return None
    parts, start = [], 0
    for entry in branched:
        last = entry["day"] - 1
        if last >= start or start == 0:  # (branched again on its own branch day: no day)
            span = (f"day {start:,}" if last == start else f"days {start:,}-{last:,}") if (
                last >= start) else "its warm-up"
            parts.append(f"{span} ran under {entry['scenario']} (scenario hash "
                         f"{entry['scenario_hash']})")
        start = entry["day"]
    return (f"{branch_headline(branched)}: {'; '.join(parts)}; days {start:,}-{days - 1:,} "
            "under this scenario. A re-run from day 0 under this scenario would not give "
            "these results.")


def branch_headline(branched: list[dict[str, Any]]) -> str:
    """A branched run in a few words (its repr): 'branched on day D from a run of NAME',
    the last branch's day and the first scenario."""
    return f"branched on day {branched[-1]['day']:,} from a run of {branched[0]['scenario']}"


REQUEST = "request"
"""The manifest's key for what the run's command asked to be written once the run is done:
{"out": an absolute folder or null, "force": bool, "report": bool}. A checkpoint written
before scsim kept it has none: what was asked is not known."""
NOTHING_ASKED = {"out": None, "force": False, "report": False}
_REQUESTED: ContextVar[dict[str, Any] | None] = ContextVar("scsim_request", default=None)


@contextmanager
def requested(out: str | os.PathLike | None, force: bool, report: bool) -> Iterator[None]:
    """Within it, the checkpoints a run writes record that ``out`` (a folder, made
    absolute; None for none) is to be saved, with ``force``, and the report drawn
    (``report``) once the run is done: what ``scsim resume`` writes after continuing it."""
    token = _REQUESTED.set({"out": None if out is None else str(
        Path(out).expanduser().resolve()), "force": bool(force), "report": bool(report)})
    try:
        yield
    finally:
        _REQUESTED.reset(token)


def command_request(folder: Path) -> dict[str, Any]:
    """What is to be written once the run whose checkpoints go to ``folder`` is done
    (``REQUEST``): what ``requested`` says (``scsim run`` and ``scsim resume`` say it);
    else (Python, whose caller writes what it wants) what the series' newest checkpoint
    records (a run continued), or nothing."""
    given = _REQUESTED.get()
    if given is not None:
        return dict(given)
    found = latest(folder)
    if found is not None:
        try:
            recorded = json.loads((found / MANIFEST).read_text(encoding="utf-8")).get(REQUEST)
        except (OSError, ValueError, AttributeError):
            recorded = None
        if recorded is not None and _request_problem(recorded) is None:
            return dict(recorded)
    return dict(NOTHING_ASKED)


def _request_problem(request: Any) -> str | None:
    """What is wrong with a manifest's ``request`` (see ``REQUEST``), or None."""
    if request is None:
        return None
    if type(request) is not dict or request.keys() != NOTHING_ASKED.keys():
        return "request is not {\"out\": ..., \"force\": ..., \"report\": ...}"
    return (_kind_problem(request["out"], (str, type(None)), "request.out")
            or _kind_problem(request["force"], (bool,), "request.force")
            or _kind_problem(request["report"], (bool,), "request.report"))


def _test_pause() -> tuple | None:
    spec = os.environ.get(TEST_PAUSE)
    if not spec:
        return None
    parts = spec.split(":")
    if parts[0] in ("write", "day") and len(parts) == 3:
        return (parts[0], int(parts[1]), float(parts[2]))
    raise ScsimError(f"{TEST_PAUSE}: expected write:DAY:SECONDS or day:DAY:SECONDS, got "
                     f"{spec!r}")


# --- reading ----------------------------------------------------------------------------

def remove_series(folder: Path) -> bool:
    """Delete the checkpoints of a series (``SERIES_ENTRY``) and then ``folder`` if that
    leaves it empty; returns whether the folder was kept, holding what someone else put
    there (a backup of a checkpoint, notes)."""
    if not folder.is_dir():
        return False
    for entry in folder.iterdir():
        if SERIES_ENTRY.fullmatch(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
    try:
        folder.rmdir()
    except OSError:
        return folder.exists()
    return False


def series(folder: Path) -> Iterator[tuple[int, Path]]:
    """(day, folder) of every complete checkpoint of a series."""
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.name.startswith(SERIES_PREFIX) and (sub / MANIFEST).is_file():
            try:
                yield int(sub.name[len(SERIES_PREFIX):]), sub
            except ValueError:
                continue


def files_bytes(folder: Path) -> int:
    """The bytes of the files under ``folder``, at every level (their sizes)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def kept(folder: str | os.PathLike) -> tuple[int, int]:
    """How many complete checkpoints the series in ``folder`` keeps, and the bytes of their
    files."""
    found = [path for _, path in series(Path(folder))]
    return len(found), sum(files_bytes(path) for path in found)


def kept_words(folder: str | os.PathLike) -> str | None:
    """The checkpoints the series in ``folder`` keeps, in words: '1 checkpoint, 41.2 MB, in
    FOLDER'; None when it keeps none."""
    from scsim.outputs.words import counted, in_bytes

    count, size = kept(folder)
    return f"{counted(count, 'checkpoint')}, {in_bytes(size)}, in {folder}" if count else None


NPZ_MEMBER_BYTES = 400
"""About what ``state.npz`` and the manifest take per array beyond its data: its .npy
header (128 bytes), its zip entries (local and central, with the name twice and the zip64
fields) and its line in the manifest's list of arrays."""
DISK_SHARE = 0.5
"""``disk_note`` warns of checkpoints that would take more than this share of the free
disk at their peak."""


def estimated_bytes(sim: Simulation) -> int:
    """About the bytes a checkpoint of ``sim`` takes on disk: the data of its arrays (the
    agents, the network, the metrics table of every day: each allocated whole before day
    0, so every checkpoint of a run is as large), ``NPZ_MEMBER_BYTES`` for each, and the
    manifest."""
    manifest, arrays = collect(sim)
    return (sum(a.nbytes for a in arrays.values()) + NPZ_MEMBER_BYTES * len(arrays)
            + len(json.dumps(manifest, indent=1)))


def due(start: int, days: int, every: int) -> int:
    """How many checkpoints a run writes every ``every`` days from day ``start`` (0, or a
    loaded checkpoint's) in ``days``: one at each multiple of ``every`` after ``start``,
    none after the last day (``Checkpoints.after``)."""
    return len(range((start // every + 1) * every, days, every))


def disk_note(each: int, count: int, folder: Path, *, resumed: bool = False
              ) -> str | None:
    """A warning, before a run that writes ``count`` checkpoints of about ``each`` bytes
    into ``folder``, when they would take more than ``DISK_SHARE`` of the free disk there
    at their peak (two at once, while the newest replaces the one before); None
    otherwise. ``resumed``: the run goes on from a checkpoint there (``scsim resume``),
    which stays until its first new one replaces it: the peak counts it, the free disk
    has no need to hold it again."""
    from scsim.outputs.words import in_bytes

    if count < 1:
        return None
    where = Path(folder)
    while not where.exists() and where != where.parent:  # (not made yet)
        where = where.parent
    free = shutil.disk_usage(where).free
    on_disk = int(resumed)  # checkpoints there already
    peak = each * min(count + on_disk, 2)
    more = peak - each * on_disk  # what the disk has yet to hold
    if more <= DISK_SHARE * free:
        return None
    at_peak = (f"{in_bytes(peak)} on disk at their peak (two of {in_bytes(each)} while the "
               "newest replaces the one before)" if count + on_disk > 1 else
               f"{in_bytes(peak)} on disk (one checkpoint)")
    if resumed:
        at_peak += f", {in_bytes(more)} more than the one it resumes from takes now"
    return (f"this run's checkpoints take about {at_peak}, "
            f"{'more than' if more > free else 'over half of'} the {in_bytes(free)} free on "
            f"the disk of {where}: the run may stop with a full disk (its last checkpoint "
            "kept: `scsim resume` continues it once there is room); free some space, or "
            "keep the store on a larger disk (--store)")


def latest(folder: str | os.PathLike) -> Path | None:
    """The checkpoint in ``folder``: the folder itself when it is one, else the newest
    complete checkpoint of the series it holds; None when there is none."""
    folder = Path(folder)
    if (folder / MANIFEST).is_file():
        return folder
    found = sorted(series(folder))
    return found[-1][1] if found else None


def _why_none(folder: Path) -> str:
    """Why ``folder`` holds no checkpoint, and what to give instead: a folder that is not
    there, a file of a checkpoint (its folder), a store's ``checkpoints/`` or the store
    itself (a run's folder in it), a write that was cut short."""
    if not folder.exists():
        return "there is no such folder"
    if not folder.is_dir():
        return (f"it is a file; give the checkpoint's folder ({folder.parent})"
                if folder.name in (MANIFEST, ARRAYS) else
                "it is a file, not a checkpoint's folder")
    runs = sorted(p.name for p in folder.iterdir() if latest(p) is not None) if (
        folder.name == "checkpoints") else []
    if runs:
        return (f"it holds the checkpoints of {len(runs)} run{'s' if len(runs) > 1 else ''}: "
                f"give one run's folder ({folder / runs[-1]}), or `scsim resume RUN` "
                "continues a run")
    from scsim.fsutil import STORE_MARKER

    if (folder / "checkpoints").is_dir() and (folder / STORE_MARKER).exists():
        return ("it is a run store: give a run's folder in its checkpoints/ "
                f"({folder / 'checkpoints'}/RUN), or `scsim resume RUN` continues a run")
    if any(p.name.startswith(".tmp-") for p in folder.iterdir()):
        return "it holds only a checkpoint whose writing was cut short"
    return (f"a checkpoint's folder holds {MANIFEST} and {ARRAYS} (Simulation.save and "
            "scsim run --checkpoint-every write one)")


CHECKSUM = "checksum"
"""The manifest's own SHA-256 (``manifest_checksum``): a changed byte in it (a seed, a day)
is told as damage instead of resuming another run, or failing after its last day."""


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """The SHA-256 of a manifest's content (keys sorted, ``CHECKSUM`` left out)."""
    content = {k: v for k, v in manifest.items() if k != CHECKSUM}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The manifest of the checkpoint at (or newest in) ``folder``; a ScsimError when
    there is none, it cannot be read, or it is damaged (see ``manifest_problem``)."""
    path = latest(folder)
    if path is None:
        raise ScsimError(f"no checkpoint in {folder}: {_why_none(Path(folder))}")
    try:
        data = (path / MANIFEST).read_bytes()
    except OSError as exc:
        raise ScsimError(f"cannot read the checkpoint manifest {path / MANIFEST}: "
                         f"{exc.strerror}") from None
    damaged = f"the checkpoint {path} is damaged: {MANIFEST}:"
    try:
        manifest = json.loads(data)
    except ValueError as exc:  # not JSON, or not UTF-8
        raise ScsimError(f"{damaged} it is not JSON ({exc})") from None
    problem = manifest_problem(manifest)
    if problem:
        raise ScsimError(f"{damaged} {problem}")
    if CHECKSUM in manifest and manifest[CHECKSUM] != manifest_checksum(manifest):
        raise ScsimError(f"{damaged} its content does not match its checksum (changed "
                         "since it was written)")
    manifest["path"] = str(path)
    return manifest


_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", int: "an integer",
               float: "a number", bool: "true or false", type(None): "null"}
_NUMBER = (int, float)
# What this scsim reads from a manifest of its FORMAT, and the JSON types it takes
# (Python's, as ``json`` reads them): required keys, then keys that may be absent.
_REQUIRED = {"format": (int,), "scsim_version": (str,), "day": (int,), "days": (int,),
             "seed": (int,), "agents": (int,), "scenario_name": (str,),
             "scenario_hash": (str,), "scenario": (dict,), "carried": (dict,),
             "arrays": (dict,)}
_OPTIONAL = {"wall_seconds": (*_NUMBER, type(None)), "kernel_seconds": (*_NUMBER, type(None)),
             "profile": (dict,), "started": (str, type(None)),
             "checkpoint_every": (int, type(None)), REQUEST: (dict, type(None)),
             CHECKSUM: (str,)}


def _kind_problem(value: Any, kinds: tuple[type, ...], where: str) -> str | None:
    """``where`` is not of one of the JSON ``kinds`` (exact types: true is no integer)."""
    if type(value) in kinds:
        return None
    return (f"{where} is {_JSON_KINDS.get(type(value), type(value).__name__)}, not "
            f"{' or '.join(_JSON_KINDS[k] for k in kinds)}")


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with the structure of a manifest as read from JSON (a key missing, a
    value of another type, a carried array it does not list), or None. The keys of a
    manifest of another format than ``FORMAT`` are not checked: ``incompatibility``
    refuses it by its format."""
    if type(manifest) is not dict:
        return _kind_problem(manifest, (dict,), "it")
    if type(manifest.get("format")) is int and manifest["format"] != FORMAT:
        return None
    for key, kinds in (*_REQUIRED.items(), *_OPTIONAL.items()):
        if key not in manifest:
            if key in _REQUIRED:
                return f"{key} is missing"
        elif problem := _kind_problem(manifest[key], kinds, key):
            return problem
    for name, listed in manifest["arrays"].items():
        if (type(listed) is not list or len(listed) != 2 or type(listed[0]) is not str
                or type(listed[1]) is not list
                or any(type(n) is not int for n in listed[1])):
            return f"arrays.{name} is not [dtype, [size, ...]]"
    for name, took in manifest.get("profile", {}).items():
        if problem := _kind_problem(took, _NUMBER, f"profile.{name}"):
            return problem
    if problem := _request_problem(manifest.get(REQUEST)):
        return problem
    if BRANCHED in manifest and (problem := branched_problem(manifest[BRANCHED])):
        return problem
    if manifest.get("started"):
        try:
            datetime.fromisoformat(manifest["started"])
        except ValueError:
            return f"started is not a date and time: {manifest['started']!r}"
    carried = manifest["carried"]
    for part in ("steps", "recorder"):
        if part not in carried:
            return f"carried.{part} is missing"
        if problem := _kind_problem(carried[part], (dict,), f"carried.{part}"):
            return problem
    owners = {"carried.recorder": carried["recorder"],
              **{f"carried.steps.{k}": v for k, v in carried["steps"].items()}}
    for owner, plain in owners.items():
        if problem := _kind_problem(plain, (dict,), owner):
            return problem
        for name, item in plain.items():
            if problem := _carried_problem(item, manifest["arrays"], f"{owner}.{name}"):
                return problem
    return None


def _carried_problem(item: Any, arrays: dict[str, Any], where: str) -> str | None:
    """What is wrong with one carried attribute of a manifest (as ``_carried`` writes it:
    ``{"value": number, string or null}`` or ``{"array": NAME, "scalar": true/false}``
    with NAME among the manifest's ``arrays``), or None."""
    if type(item) is dict and item.keys() == {"value"}:
        return _kind_problem(item["value"], (*_NUMBER, str, bool, type(None)),
                             f"{where}.value")
    if type(item) is dict and item.keys() == {"array", "scalar"}:
        if item["array"] not in arrays:
            return f"{where} names the array {item['array']!r}, which it does not list"
        return _kind_problem(item["scalar"], (bool,), f"{where}.scalar")
    return f"{where} is not {{\"value\": ...}} or {{\"array\": ..., \"scalar\": ...}}"


def incompatibility(manifest: dict[str, Any]) -> str | None:
    """Why this scsim cannot continue the checkpoint (a version or format it did not
    write, a scenario that does not match its hash), or None."""
    from scsim import __version__
    from scsim.scenario.diff import digest

    if manifest.get("format") != FORMAT:
        return (f"its checkpoint has format {manifest.get('format')} and this scsim reads "
                f"format {FORMAT}")
    if manifest.get("scsim_version") != __version__:
        return (f"its checkpoint was written by scsim {manifest.get('scsim_version')} and "
                f"this is scsim {__version__}: only the same version continues a run bit "
                "for bit")
    if digest(manifest["scenario"]) != manifest.get("scenario_hash"):
        return "its checkpoint's scenario does not match the scenario hash it records"
    return None


def _branch_scenario(saved: Scenario, scenario: Scenario) -> Scenario:
    """``scenario`` for a run continued from a checkpoint of ``saved``: the same
    population, network, days and names of things, or a ScsimError saying what differs."""
    from scsim.core.params import Names
    from scsim.scenario.diff import differences, population_key

    if saved.network.kind == "file" and scenario.network == saved.network:
        # the population size of an edge-list network is the file's node count
        scenario = scenario.model_copy(update={"population": scenario.population.model_copy(
            update={"agents": saved.population.agents})})
    if population_key(scenario) != population_key(saved):
        keys = population_key(saved)
        changed = sorted(p for p in differences(saved, scenario)
                         if any(p == k or p.startswith(k + ".") or p.startswith(k + "[")
                                for k in keys))
        raise ScsimError("a branch must keep the checkpoint's population, network and days; "
                         f"this scenario changes {', '.join(changed) or 'them'}")
    if scenario.metrics.per_agent_sources != saved.metrics.per_agent_sources:
        raise ScsimError("a branch must keep the checkpoint's metrics.per_agent_sources "
                         f"({str(saved.metrics.per_agent_sources).lower()}): every agent's "
                         "points by source are kept from day 0 or not at all")
    names, kept = Names.of(scenario), Names.of(saved)
    if names != kept:
        changed = [f.name for f in fields(Names) if getattr(names, f.name) != getattr(
            kept, f.name)]
        if "errors" in changed:  # then the sources of points usually differ too
            changed = ["whether the system can err (misattribution, false reports, "
                       "impunity: the error-free score and ledger are kept apart only then)"]
        raise ScsimError("a branch must keep the checkpoint's behaviours, groups, tiers, "
                         "privileges, sectors, company events and sources of points (the "
                         "state's arrays and the metric columns are laid out by them), and "
                         f"whether the system can err; this scenario changes "
                         f"{', '.join(changed)}")
    return scenario


def _idle_rows(name: str, dtype: np.dtype, scenario: Scenario, seed: int,
               indptr: np.ndarray) -> np.ndarray:
    """What the agent array ``name`` (``Mechanism.arrays``) holds as long as no mechanism
    uses it: malice as the seed draws it, each agent's degree for its active ties, a
    count at 0."""
    from scsim.world.population import malice_rows

    n = len(indptr) - 1
    if name == "malice":
        return malice_rows(scenario, seed, 0, n)
    if name == "deg_active":
        return np.diff(indptr).astype(dtype)
    return np.zeros(n, dtype)


def _fit_rows(agents: dict[str, np.ndarray], scenario: Scenario, seed: int,
              indptr: np.ndarray) -> None:
    """Give the arrays that only some mechanisms use (``Mechanism.arrays``) the rows the
    run now needs (``core.state.short_arrays``): a run that switches such a mechanism on
    (a branch) gets the array as the days so far left it, which no mechanism had used
    (``_idle_rows``); one that cannot use it any more keeps no rows of it once it holds
    nothing else (malice never changes; a count at 0 everywhere; no tie severed or
    suspended). A checkpoint written before the run kept no rows of unused arrays loads
    so too."""
    from scsim.core.mechanism import mechanisms
    from scsim.core.params import Names

    n = len(indptr) - 1
    unused = Names.of(scenario).unused_arrays
    for name in dict.fromkeys(a for m in mechanisms() for a in m.arrays):
        array = agents[name]
        if name not in unused and len(array) != n:
            agents[name] = _idle_rows(name, array.dtype, scenario, seed, indptr)
        elif name in unused and len(array) and np.array_equal(
                array, _idle_rows(name, array.dtype, scenario, seed, indptr)):
            agents[name] = array[:0].copy()


LEGACY_SEVERED, LEGACY_SUSPENDED, LEGACY_TYPE_MASK = 0x80, 0x40, 0x3F
"""The tie byte's bits in checkpoints written before tie entries were packed (``net/tie``
beside ``net/indices``, before 2026-12-03)."""


def _entries(arrays: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The network's tie entries of a checkpoint of ``n`` agents: ``net/entries``, or packed
    from the neighbour ids and tie bytes of a checkpoint written before 2026-12-03."""
    from scsim.world.network.csr import SEVERED, SUSPENDED, pack

    if "net/entries" in arrays:
        return arrays["net/entries"]
    tie = arrays["net/tie"]
    codes = ((tie & LEGACY_TYPE_MASK) | np.where(tie & LEGACY_SEVERED, SEVERED, 0)
             | np.where(tie & LEGACY_SUSPENDED, SUSPENDED, 0))
    return pack(n, arrays["net/indices"], codes)


def load(path: str | os.PathLike, scenario: Scenario | None = None,
         threads: int | None = None) -> Simulation:
    """``Simulation.load``: the simulation saved at ``path`` (a checkpoint folder, or a
    folder of a series: its newest one), ready to go on from its day. ``scenario``, if
    given, replaces the saved one from that day on (a branch); it must keep the
    population, network, days and names of things (see ``_branch_scenario``)."""
    from scsim.core.engine import Simulation
    from scsim.core.state import AGENT_ARRAYS, COMPANY_ARRAYS, State
    from scsim.scenario.diff import digest
    from scsim.scenario.schema import Scenario
    from scsim.world.network import Network
    from scsim.world.network.csr import canonical_indptr

    manifest = read_manifest(path)
    why = incompatibility(manifest)
    if why:
        raise ScsimError(f"cannot load {manifest['path']}: {why}")
    saved = Scenario.model_validate(manifest["scenario"])
    scenario = saved if scenario is None else _branch_scenario(saved, scenario)
    branched = list(manifest.get(BRANCHED, []))
    if digest(scenario) != manifest["scenario_hash"]:  # a branch, not a plain resume
        branched.append({"day": int(manifest["day"]), "scenario": saved.name,
                         "scenario_hash": manifest["scenario_hash"]})
    folder = Path(manifest["path"])
    listed = manifest["arrays"]
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(folder / ARRAYS, allow_pickle=False) as npz:
            missing = sorted(set(listed) - set(npz.files))
            if missing:
                raise ScsimError(f"the checkpoint {folder} is damaged: {ARRAYS} lacks "
                                 f"{', '.join(missing[:5])}")
            for key, (dtype, shape) in listed.items():
                value = npz[key]
                if value.dtype.str != dtype or list(value.shape) != shape:
                    raise ScsimError(f"the checkpoint {folder} is damaged: {key} is "
                                     f"{value.dtype.str} {list(value.shape)}, its manifest "
                                     f"says {dtype} {shape}")
                arrays[key] = value
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # truncated, corrupt
        raise ScsimError(f"the checkpoint {folder} is damaged: {exc}") from None

    def group(prefix: str) -> dict[str, np.ndarray]:
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    agents, companies = group("agents/"), group("companies/")
    agents.pop("household", None)  # kept before 2026-12-02: state/household_start tells it
    if set(agents) != set(AGENT_ARRAYS) or set(companies) != set(COMPANY_ARRAYS):
        raise ScsimError(f"cannot load {folder}: it was written by an incompatible scsim "
                         "(its agent and company arrays differ from this version's)")
    # A checkpoint written before row pointers were uint32 holds int64.
    indptr = canonical_indptr(arrays["net/indptr"])
    _fit_rows(agents, scenario, int(manifest["seed"]), indptr)
    state = State(day=int(manifest["day"]), agents=agents, companies=companies,
                  net=Network(indptr, _entries(arrays, len(indptr) - 1)),
                  household_start=arrays["state/household_start"],
                  region_start=arrays["state/region_start"],
                  company_region_start=arrays["state/company_region_start"],
                  file_ids=arrays.get("state/file_ids"))
    sim = Simulation.from_state(scenario, state, int(manifest["seed"]), threads)
    carried = manifest["carried"]
    if set(carried["steps"]) != {step.name for step in sim.steps}:
        raise ScsimError(f"cannot load {folder}: it was written by an incompatible scsim "
                         "(its day plan has other steps)")
    for step in sim.steps:
        _restore(step, carried["steps"][step.name], arrays, f"steps/{step.name}",
                 STEP_REBUILT)
    _restore(sim.recorder, carried["recorder"], arrays, "recorder", RECORDER_REBUILT)
    sim.tally.flags[:] = arrays["tally/flags"]
    sim.elapsed = float(manifest.get("wall_seconds") or 0.0)
    sim.kernels.total = float(manifest.get("kernel_seconds") or 0.0)
    sim.profile.update({k: v for k, v in manifest.get("profile", {}).items()
                        if k in sim.profile and k != "setup"})
    sim.profile["setup"] += float(manifest.get("profile", {}).get("setup", 0.0))
    if manifest.get("started"):
        sim.started_at = datetime.fromisoformat(manifest["started"])
    sim.branched = branched
    return sim
