"""Folders and files that appear whole or not at all, and never at the cost of a user's own.

Every folder scsim writes carries a marker file (``OUTPUT_MARKER``) that lists the files
scsim put there, with their sizes and modification times. A folder may be replaced only
when it is missing, empty, or an earlier scsim output that still holds nothing but those
files, unchanged, and the caller says so (``force``, the CLI's ``--force``); anything else
(a file, a folder without the marker, whatever else it holds, an earlier output to which a
user added or in which a user changed a file, ``/``, the home folder, the current folder or
one above it, a run store or its runs) is refused before any work, ``force`` or not. A
folder that gathers scsim's files one by one (a sweep's charts, ``write_files``) keeps the
same marker, and a file there is replaced only while the marker lists it, unchanged.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

from scsim.errors import ScsimError
from scsim.interrupts import check_signals

OUTPUT_MARKER = ".scsim-output"  # in every folder scsim writes: it may replace it again
MARKER_HEADER = ("written by scsim: `--force` may replace this folder while it holds only "
                 "these files (bytes, modified in ns since 1970, path), unchanged\n")
OLD_MARKER = "written by scsim: `--force` may replace this folder\n"
"""The whole marker of a folder written by scsim before its marker listed the files."""
DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
"""The errors of a full disk (or a file size limit, or a quota)."""


def disk_full_error(exc: OSError, what: str, kept: str = "") -> ScsimError:
    """The one-line error for a full disk; ``kept`` says what survived (a checkpoint), if
    anything did."""
    return ScsimError(f"the disk is full (or a file size limit was reached) while {what}: "
                      f"{exc.strerror or exc}; " + (kept or "nothing was kept"))


STORE_MARKER = "catalog.duckdb"  # a run store's catalogue
STORE_KEPT = ("runs", "tmp", "checkpoints", "repair")
"""The folders of a run store that the store itself fills, cleans and repairs: no output
may be written in them (``reports`` holds scsim outputs, replaced as any; ``sweeps`` holds
folders of charts, each file replaced as ``write_files`` replaces it)."""
STORE_NAMES = frozenset((STORE_MARKER, f"{STORE_MARKER}.wal", "catalog.lock", "reports",
                         "sweeps", *STORE_KEPT))
"""Everything scsim puts at the top of a run store."""
SHOWN = 3  # files named when a folder is refused for what a user put there


def is_scsim_output(folder: Path) -> bool:
    """``folder`` was written by scsim (a report, a saved run, an analysis): it holds the
    marker. A ``run.json`` is no proof: other tools write one too, and the saved runs of
    the scsim that wrote no marker cannot be told from them."""
    return (folder / OUTPUT_MARKER).is_file()


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``folder`` but the marker: {relative path (a folder's
    ending in /): (bytes, modification time in ns)}; folders and links as (-1, -1)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if name == OUTPUT_MARKER:
            continue
        if path.is_dir() and not path.is_symlink():
            found[name + "/"] = (-1, -1)
        else:
            info = path.lstat()
            found[name] = (info.st_size, info.st_mtime_ns) if path.is_file() and not (
                path.is_symlink()) else (-1, -1)
    return found


def _marker_lines(listed: dict[str, set[tuple[int, int]]]) -> str:
    return MARKER_HEADER + "".join(f"{size} {mtime} {name}\n" for name, seen in listed.items()
                                   for size, mtime in sorted(seen))


def _write_marker(folder: Path) -> None:
    """The marker of a folder scsim has just filled: every file in it, as it is."""
    _save_marker(folder, {name: {seen} for name, seen in _listing(folder).items()
                          if seen[0] >= 0})


def _listed(folder: Path) -> dict[str, set[tuple[int, int]]] | None:
    """What the marker of ``folder`` lists: {relative path: {(bytes, modification time in
    ns)}} (a file may be listed twice while ``write_files`` replaces it); None when the
    folder has no marker, or one that lists no files (``OLD_MARKER``, or another text)."""
    marker = folder / OUTPUT_MARKER
    text = marker.read_text(encoding="utf-8", errors="replace") if marker.is_file() else ""
    if not text.startswith(MARKER_HEADER):
        return None
    ours: dict[str, set[tuple[int, int]]] = {}
    for line in text[len(MARKER_HEADER):].splitlines():
        size, _, rest = line.partition(" ")
        mtime, _, name = rest.partition(" ")
        if size.isdigit() and mtime.isdigit() and name:  # else an edited line: not ours
            ours.setdefault(name, set()).add((int(size), int(mtime)))
    return ours


LEGACY_NAMES = re.compile(r"report\.html|\d\d-[a-z0-9_-]+\.(png|csv)|[a-z0-9_]+\.parquet|"
                          r"run\.json|scenario\.yaml|indices\.csv|samples\.csv|"
                          r"sensitivity\.png|manifest\.json|state\.npz")
"""The names of the files scsim wrote into a folder before its marker listed them (reports,
saved runs, sensitivity analyses, checkpoints): all that an older output (``OLD_MARKER``)
may hold to be replaced, and only if none of them changed after the marker was written."""


def _not_ours(folder: Path) -> list[str]:
    """What in the scsim output ``folder`` scsim did not write, or changed since (relative
    paths, a folder's ending in /): everything that its marker does not list as it is now.
    An older scsim's output, whose marker is ``OLD_MARKER`` (written last, once the folder
    was full), is told by its files' names (``LEGACY_NAMES``) and by their modification
    times, none later than the marker's; a folder with another marker, or none, holds
    nothing of scsim's that can be told apart."""
    listing = _listing(folder)
    ours = _listed(folder)
    if ours is None:
        marker = folder / OUTPUT_MARKER
        if not marker.is_file() or marker.read_bytes() != OLD_MARKER.encode():
            return list(listing)
        marked = marker.stat().st_mtime_ns
        return [name for name, (size, mtime) in listing.items()
                if size < 0 or mtime > marked or not LEGACY_NAMES.fullmatch(name)]
    parents = {p.as_posix() + "/" for name in ours for p in Path(name).parents
               if p != Path(".")}
    return [name for name, seen in listing.items()
            if not (seen in ours.get(name, ()) or name in parents)]


def _named(names: list[str]) -> str:
    """A few of ``names``, for a message."""
    return ", ".join(names[:SHOWN]) + (", …" if len(names) > SHOWN else "")


KINDS = {"report": "report.html", "saved run": "run.json",
         "sensitivity analysis": "indices.csv", "checkpoint": "manifest.json"}
"""The kinds of folder scsim writes whole (``atomic_folder``), each told by the file only it
holds. ``force`` replaces an earlier output of the same kind only: a report never replaces
a saved run, nor a saved run a checkpoint."""


FILE_SUFFIXES = (".csv", ".htm", ".html", ".json", ".md", ".parquet", ".pdf", ".png", ".svg",
                 ".tsv", ".txt", ".xls", ".xlsx", ".yaml", ".yml", ".zip")
"""Endings that name one file: a new folder of results is not given one (``scsim report RUN
--out report.html`` made a folder ``report.html``)."""


def output_kind(folder: Path) -> str | None:
    """The kind (``KINDS``) of the scsim output ``folder``, None when none of their files
    is there."""
    return next((kind for kind, name in KINDS.items() if (folder / name).is_file()), None)


SPREADSHEET_CSV = "utf-8-sig"
"""The encoding of a CSV file that scsim writes for a person to open in a spreadsheet
(``scsim show RUN --out FILE.csv``): UTF-8 that begins with a byte-order mark, without which
Excel reads a double-clicked file in the computer's local code page and garbles the signs
scsim writes ("−", "×", "·"). pandas.read_csv skips the mark, as does Python's csv module
given ``open(path, encoding="utf-8-sig")``; CSV on stdout (``--csv``) has none: it goes to
other programs."""

FORCE_REPLACES = "--force (force=True in Python) replaces it"
"""What a refusal to replace scsim's own earlier output says, to the command line and to
Python alike."""


def resolved(path: str | os.PathLike) -> Path:
    """``path`` made absolute, its links followed; a ScsimError for a loop of symbolic
    links (Python's RuntimeError was an internal error)."""
    try:
        return Path(path).expanduser().resolve()
    except RuntimeError:
        raise ScsimError(f"cannot write to {path}: its symbolic links form a loop") from None


def check_output_folder(folder: str | os.PathLike, *, force: bool = False,
                        kind: str | None = None) -> Path:
    """The resolved ``folder`` if scsim may write it (missing, empty, or with ``force`` an
    earlier scsim output of the same ``kind``, one of ``KINDS``); otherwise a ScsimError
    that says why. Nothing is touched."""
    target = resolved(folder)
    try:
        return _check_output_folder(target, force, kind)
    except OSError as exc:  # a name too long, a folder it may not read...
        raise ScsimError(f"cannot write results into {target}: {exc.strerror}") from None


def _check_output_folder(target: Path, force: bool, kind: str | None) -> Path:
    here = Path.cwd().resolve()
    if target == Path(target.anchor) or target == Path.home().resolve():
        raise ScsimError(f"refusing to write results into {target}: choose a new folder")
    if target == here or target in here.parents:
        raise ScsimError(f"refusing to write results into {target}: it is the current "
                         "folder or one above it; choose a new folder")
    _outside_store(target)
    suffix = target.suffix.lower()
    if suffix in FILE_SUFFIXES and not target.exists():
        alone = (" (the summary table alone, as one CSV file: scsim show RUN --out FILE.csv;"
                 " in Python, res.summary().to_csv(FILE, index=False))"
                 if kind == "saved run" else "")
        raise ScsimError(f"refusing to write results into {target}: a name ending in {suffix} "
                         f"names one file, and a {kind or 'result'} is a folder of files; "
                         f"choose a folder name without {suffix}{alone}")
    if not target.exists():
        return _folder_writable(target)
    if not target.is_dir():
        raise ScsimError(f"refusing to write results into {target}: it is a file, not a "
                         "folder")
    if next(target.iterdir(), None) is None:
        return _folder_writable(target)
    if not is_scsim_output(target):
        held = sorted(p.name + ("/" if p.is_dir() else "") for p in target.iterdir())
        raise ScsimError(f"refusing to write results into {target}: it is not empty and "
                         f"was not written by scsim (it holds {_named(held)} and no "
                         f"{OUTPUT_MARKER} marker); choose a new folder")
    theirs = _not_ours(target)
    if theirs:  # refused whatever ``force`` says: it would not be replaced with it either
        raise ScsimError(f"refusing to replace {target}: scsim did not write "
                         f"{_named(theirs)} there, or it changed since ({len(theirs)} in "
                         f"all); move {'it' if len(theirs) == 1 else 'them'} out, or choose "
                         "a new folder")
    held = output_kind(target)
    if kind is not None and held is not None and held != kind:  # force or not
        raise ScsimError(f"refusing to replace {target}: it holds a {held} written by scsim "
                         f"({KINDS[held]}, …), not a {kind}; choose a new folder for the "
                         f"{kind}")
    if not force:
        raise ScsimError(f"{target} holds earlier scsim output: {FORCE_REPLACES}")
    if os.path.ismount(target):  # replaced by renaming it aside, which a mount point is not
        raise ScsimError(f"cannot replace {target}: it is a mount point; empty it, or choose "
                         "a folder inside it")
    return _folder_writable(target)


def _outside_store(target: Path, file: bool = False) -> None:
    """A ScsimError when ``target`` (a folder, or with ``file`` a file, to write) is a run
    store, in one of the parts the store keeps (``STORE_KEPT``: runs, tmp, checkpoints,
    repair), or a file beside its catalogue: a calibration's YAML went into a stored
    run's folder."""
    for store in (target, *target.parents):
        if (store / STORE_MARKER).is_file() and (
                target == store or (file and target.parent == store) or any(
                    target.is_relative_to(store / part) for part in STORE_KEPT)):
            raise ScsimError(f"refusing to write results into {target}: it is part of the "
                             f"run store {store}")


def _folder_writable(target: Path) -> Path:
    """``target`` if this process can write it as ``atomic_folder`` does (a temporary
    folder in it when it is an empty folder, filled in place; else a temporary sibling in
    its parent); ``_writable``'s ScsimError otherwise: a parent that is a file, that
    cannot be written, or a name too long were found only once the run was done, as an
    internal error, and so was an empty folder that cannot be written (a mount point)."""
    empty = target.is_dir() and next(target.iterdir(), None) is None
    return _writable(target, target if empty else target.parent, f"results into {target}")


def _writable(target: Path, home: Path, what: str) -> Path:
    """``target`` if this process can make its temporary work in ``home``, or in the
    nearest folder above it that exists (the others are made when it is written), before
    any work is spent on it; otherwise a ScsimError "cannot write ``what``: why". Nothing
    is left behind."""
    while not home.exists():
        home = home.parent
    if not home.is_dir():
        raise ScsimError(f"cannot write {what}: {home} is a file, not a folder")
    try:
        probe = Path(tempfile.mkdtemp(prefix=work_prefix(target), dir=home))
    except OSError as exc:
        raise ScsimError(f"cannot write {what}: {exc.strerror} ({home})") from None
    probe.rmdir()
    return target


def check_output_file(path: str | os.PathLike, *, force: bool = False,
                      ours: Callable[[Path], bool] | None = None) -> Path:
    """The resolved ``path`` if scsim may write it: missing, or with ``force`` a file
    that ``ours`` recognises as scsim's (its header and seal, or its PNG's marker: see
    ``sealed_with`` and ``png_made_by_scsim``); otherwise a ScsimError: also where the
    file would be in a run store, or where it cannot be written (found once the work was
    done, as an internal error)."""
    target = resolved(path)
    _outside_store(target, file=True)
    if not target.exists():
        return _writable(target, target.parent, str(target))
    if not target.is_file():
        raise ScsimError(f"refusing to write {target}: it is a folder")
    if ours is not None and not ours(target):
        raise ScsimError(f"refusing to overwrite {target}: it was not written by scsim, or "
                         "it changed since; move it out or choose another name")
    if not force:
        raise ScsimError(f"{target} exists: {FORCE_REPLACES}")
    return _writable(target, target.parent, str(target))


def check_new_file(path: str | os.PathLike, what: str) -> Path:
    """The resolved ``path`` if scsim may write ``what`` there: a new file (``force`` or
    not: a file without a seal, such as a CSV for a spreadsheet, cannot be told to be
    scsim's own), outside a run store, where it can be written; otherwise a ScsimError
    that says why and what to do. Nothing is touched."""
    target = resolved(path)
    _outside_store(target, file=True)
    if target.is_dir():
        raise ScsimError(f"refusing to write {what} to {target}: it is a folder")
    if target.exists() or target.is_symlink():
        raise ScsimError(f"refusing to overwrite {target}: {what} goes to a new file only "
                         "(scsim cannot tell a file it wrote there from one of yours, so "
                         "--force does not replace it); choose another name, or move it "
                         "away first")
    return _writable(target, target.parent, str(target))


SEAL = "# scsim: sha256 of the lines above "
"""The start of the last line of a text file scsim seals (``sealed``)."""


def sealed(text: str) -> str:
    """``text`` (ended by a newline) and a last line holding the SHA-256 of it: how
    ``--force`` later knows the file is scsim's and unchanged since (``sealed_with``). A
    comment, so a YAML file stays what it was."""
    text = text if text.endswith("\n") else text + "\n"
    return f"{text}{SEAL}{hashlib.sha256(text.encode()).hexdigest()}\n"


def sealed_with(header: str) -> Callable[[Path], bool]:
    """For ``check_output_file``: is a file scsim's and unchanged since scsim wrote it:
    its first bytes ``header``, its last line the seal of the rest (``sealed``)? A file
    edited by hand, or written before files were sealed (2026-12-03), is not."""
    def ours(path: Path) -> bool:
        data = path.read_bytes()
        body, _, last = data.rstrip(b"\n").rpartition(b"\n")
        body += b"\n"
        return (data.startswith(header.encode()) and data.endswith(b"\n")
                and last == (SEAL + hashlib.sha256(body).hexdigest()).encode())

    return ours


PNG_SOFTWARE = "scsim"
"""The PNG text field ``Software`` of the charts scsim writes beside a user's file
(``savefig(..., metadata=PNG_METADATA)``): how ``--force`` knows a PNG is its own."""
PNG_METADATA = {"Software": PNG_SOFTWARE}


def png_made_by_scsim(path: Path) -> bool:
    """For ``check_output_file``: is this a PNG whose ``Software`` field says scsim?"""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return getattr(image, "text", {}).get("Software") == PNG_SOFTWARE
    except (UnidentifiedImageError, OSError):
        return False


OLD = "old"
"""The end of the name under which ``_replace_dir`` keeps the folder it replaces until the
new one is in place."""


def work_prefix(target: Path) -> str:
    """The start of the name of the temporary sibling in which this process writes
    ``target``: hidden, and naming the host and process, so that a later write of the same
    target can tell a sibling left by a process that died (``kill -9``, power cut) from one
    still being written."""
    return f".{target.name}.scsim-{socket.gethostname()}-{os.getpid()}-"


def clear_stale_work(target: Path) -> None:
    """Remove the temporary siblings of ``target`` (files or folders, ``work_prefix``) left
    by processes of this host that have ended; where such a process died between moving
    the earlier ``target`` aside and putting the new one in its place, put the earlier one
    back instead. Siblings of live processes, of other hosts (whose processes cannot be
    checked from here) and anything else are left alone."""
    stale = re.compile(rf"\.{re.escape(target.name)}\.scsim-{re.escape(socket.gethostname())}"
                       r"-(\d+)-(.+)")
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return  # no parent yet, or not readable: nothing of ours can be there
    for sibling in sorted(siblings, key=lambda p: p.name):
        match = stale.fullmatch(sibling.name)
        if not match or int(match[1]) == os.getpid() or psutil.pid_exists(int(match[1])):
            continue
        if match[2] == OLD and not target.exists() and not target.is_symlink():
            sibling.rename(target)  # the earlier output, which the dead process moved aside
        elif sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)
        else:
            sibling.unlink(missing_ok=True)


def check_path(value: object, name: str) -> None:
    """A ScsimError unless ``value`` (the ``name`` argument) is a path: text or a Path
    (None or a number was a TypeError from inside pathlib)."""
    if not isinstance(value, str | os.PathLike):
        raise ScsimError(f"{name}={value!r}: a path is expected (text, or a pathlib.Path)")


@contextmanager
def atomic_folder(folder: str | os.PathLike, *, kind: str,
                  force: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``folder`` to fill with an output of ``kind``
    (``KINDS``); on success it replaces ``folder`` (rename), on any exception it is removed
    and ``folder`` is left as it was. ``folder`` must pass ``check_output_folder`` (checked
    before and again just before the rename).
    A Ctrl-C or SIGTERM that arrived while it was filled, even one whose exception a
    library lost (``scsim.interrupts``), stops it before the rename."""
    check_path(folder, "folder")
    where = resolved(folder)
    clear_stale_work(where)
    clear_stale_work(where / where.name)  # work left inside an empty folder (in place)
    target = check_output_folder(folder, force=force, kind=kind)
    # an empty folder (the user's own, a mount point) is filled where it is
    in_place = target.is_dir() and next(target.iterdir(), None) is None
    home = target if in_place else target.parent
    home.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=work_prefix(target), dir=home))
    _usual_mode(tmp, 0o777)  # mkdtemp makes it private; the result should not be
    try:
        yield tmp
        check_signals()
        _write_marker(tmp)
        if in_place:
            _fill_in_place(tmp, target)
        else:
            check_output_folder(target, force=force, kind=kind)
            _replace_dir(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise disk_full_error(exc, f"writing {target}") from None
        raise


@contextmanager
def atomic_file(path: str | os.PathLike, *, new: str | None = None) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; on success it replaces ``path``
    (os.replace), on any exception it is removed. ``new`` (what is written, for the
    message): ``path`` must be a new file (``check_new_file``), and it is put in place
    only if nothing appeared there meanwhile (``_put_new``)."""
    target = resolved(path)
    clear_stale_work(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=work_prefix(target), dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        _usual_mode(tmp, 0o666)
        if new is None:
            os.replace(tmp, target)
        else:
            _put_new(tmp, target, new)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise disk_full_error(exc, f"writing {target}") from None
        raise


NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
"""What ``os.link`` raises on a file system without hard links (FAT, some network
shares)."""


def _put_new(tmp: Path, target: Path, what: str) -> None:
    """Put the written ``tmp`` at ``target``, which must not exist: as a hard link, which
    fails if anything is there, so a file of the user's that appeared after the check is
    never replaced (a check, then ``os.replace``, left that instant open); on a file
    system without hard links, checked (``check_new_file``) just before ``os.replace``."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        check_new_file(target, what)  # the refusal, in its words
        raise ScsimError(f"refusing to overwrite {target}: it appeared while {what} was "
                         "written; choose another name") from None
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        check_new_file(target, what)
        os.replace(tmp, target)
        return
    tmp.unlink()


def _fill_in_place(work: Path, target: Path) -> None:
    """Move what ``atomic_folder`` wrote in ``work`` (a temporary folder inside the empty
    ``target``) up into ``target``, its marker last, and remove ``work``: the folder the
    user made keeps its permissions, owner and place (it was swapped for a new one, and a
    mount point could not be). Refused when something else appeared in ``target`` while
    it was filled."""
    others = sorted(p.name for p in target.iterdir() if p != work)
    if others:
        raise ScsimError(f"refusing to write results into {target}: {_named(others)} "
                         "appeared there meanwhile; choose a new folder")
    for entry in sorted(work.iterdir(), key=lambda p: p.name == OUTPUT_MARKER):
        entry.rename(target / entry.name)
    work.rmdir()


def _replace_dir(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is; an earlier target (checked to be scsim's own) is
    renamed aside first and removed once ``new`` is in place, ``new`` taking its
    permissions and group (a folder of mode 750 became 755 with --force)."""
    if target.exists():
        was = target.stat()
        new.chmod(stat.S_IMODE(was.st_mode))
        with suppress(OSError):  # (the group, where this user may give it)
            os.chown(new, -1, was.st_gid)
        old = target.with_name(f"{work_prefix(target)}{OLD}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


def write_files(folder: str | os.PathLike, writers: Mapping[str, Callable[[Path], None]]
                ) -> list[Path]:
    """Write files into ``folder`` (created if missing; a store's ``sweeps/SWEEP``, or a
    folder ``atomic_folder`` is filling), each whole: ``writers`` maps a file's name to a
    function that writes it at the path it is given, a temporary sibling that is then
    renamed into place. A file of that name already there is replaced only while the
    folder's marker lists it, unchanged (scsim wrote it); anything else there is refused
    by name before anything is written, and other files are left alone. The marker then
    lists the new files too (during each rename both the old and the new file, so that a
    kill at any moment leaves nothing that a later write refuses). Returns the paths."""
    target = Path(folder).expanduser().resolve()
    target.mkdir(parents=True, exist_ok=True)
    clear_stale_work(target / OUTPUT_MARKER)
    ours = _listed(target) or {}
    theirs = []
    for name in writers:
        path = target / name
        clear_stale_work(path)
        if path.is_symlink() or path.is_dir() or (path.exists() and (
                _seen(path) not in ours.get(name, ()))):
            theirs.append(name)
    if theirs:
        raise ScsimError(f"refusing to replace {_named(theirs)} in {target}: scsim did not "
                         "write it there, or it changed since; move it out, or rename it")
    written: dict[str, Path] = {}
    try:
        for name, write in writers.items():
            handle, tmp = tempfile.mkstemp(prefix=work_prefix(target / name), dir=target)
            os.close(handle)
            written[name] = Path(tmp)
            write(written[name])
            _usual_mode(written[name], 0o666)
        check_signals()
        for name, tmp in written.items():
            ours.setdefault(name, set()).add(_seen(tmp))
        _save_marker(target, ours)
        for name, tmp in written.items():
            os.replace(tmp, target / name)
    except BaseException:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)
        raise
    _save_marker(target, {**ours, **{name: {_seen(target / name)} for name in written}})
    return [target / name for name in writers]


def _seen(path: Path) -> tuple[int, int]:
    """A file's (bytes, modification time in ns), as the marker lists it."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _save_marker(folder: Path, listed: dict[str, set[tuple[int, int]]]) -> None:
    """Replace the marker of ``folder`` by one that lists ``listed``, in one rename."""
    marker = folder / OUTPUT_MARKER
    handle, tmp = tempfile.mkstemp(prefix=work_prefix(marker), dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(_marker_lines(listed))
        _usual_mode(Path(tmp), 0o666)
        os.replace(tmp, marker)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _usual_mode(path: Path, mode: int) -> None:
    """Give a temporary file or folder (private, as ``tempfile`` makes it) the permissions
    ``mode`` less the umask, as a file or folder made the usual way would have."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(mode & ~umask)
