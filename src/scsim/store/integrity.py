"""What a stored run's files should be, and whether they still are.

Every file of a run is recorded in the catalogue when the run lands (``runs.files``: JSON,
file name -> [size in bytes, SHA-256]). A run whose files no longer match is ``damaged``:
the views leave it out, ``load`` refuses it, and ``scsim check --repair`` removes it or
runs it again from its resolved scenario and seed (which gives the same bytes).

Files are made durable before they are published: each file and its folder are fsynced
before the folder is renamed into ``runs/``, and ``runs/`` after, so that a power cut
leaves a run complete or absent, never a folder of empty files.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from scsim.fsutil import DISK_FULL

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(folder: Path) -> dict[str, list]:
    """name -> [size, sha256] of every file in ``folder``."""
    return {p.name: [p.stat().st_size, sha256(p)] for p in sorted(folder.iterdir())
            if p.is_file()}


def fsync_folder(folder: Path) -> None:
    """fsync every file in ``folder`` and the folder itself."""
    for p in folder.iterdir():
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """fsync a folder's entry list (a rename into it is then durable)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def quick_problems(folder: Path, files: dict[str, list] | None) -> list[str]:
    """What is visibly wrong with a run's folder without reading it: a missing folder or
    file, a size that changed. ``files`` None (a run recorded before checksums): only the
    required files are looked for."""
    if not folder.is_dir():
        return ["its folder is missing"]
    expected = files or dict.fromkeys(REQUIRED)
    out = []
    for name, rec in expected.items():
        path = folder / name
        if not path.is_file():
            out.append(f"{name} is missing")
        elif rec is not None and path.stat().st_size != rec[0]:
            out.append(f"{name} has {path.stat().st_size:,} bytes, {rec[0]:,} recorded")
    return out


def full_problems(folder: Path, files: dict[str, list] | None) -> list[str]:
    """``quick_problems``, then every checksum (or, for a run recorded before checksums,
    whether each Parquet file can be read)."""
    out = quick_problems(folder, files)
    if out:
        return out
    if files is None:
        return _readable_problems(folder)
    return [f"{name} does not match its checksum" for name, (_size, digest) in files.items()
            if sha256(folder / name) != digest]


def _readable_problems(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    out = []
    for name in REQUIRED:
        path = folder / name
        try:
            if name.endswith(".parquet"):
                pq.read_table(path)
            elif name.endswith(".json"):
                json.loads(path.read_text(encoding="utf-8"))
        except Exception as exc:
            out.append(f"{name} cannot be read ({type(exc).__name__})")
    return out


REQUIRED = ("metrics.parquet", "agents.parquet", "companies.parquet", "scenario.yaml",
            "run.json")


def disk_full_in(exc: BaseException) -> OSError | None:
    """The OSError of a full disk that a library reports only in its message (DuckDB:
    'Could not write file "catalog.duckdb.wal": No space left on device'), or None."""
    for code in sorted(DISK_FULL):
        if os.strerror(code) in str(exc):
            return OSError(code, os.strerror(code))
    return None


