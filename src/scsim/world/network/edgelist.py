"""Loading a tie network from an edge-list file (SNAP format).

One tie per line: ``u v`` or ``u v type``, fields separated by spaces or tabs. ``u`` and
``v`` are non-negative integers (decimal digits, at most 2^63 - 1); ``type`` is ``family``,
``social`` or ``work`` (any case) or the codes 0, 1, 2; without it a tie is social. ``#``
starts a comment that runs to the end of the line; blank lines are skipped; CRLF line ends
and a UTF-8 byte-order mark are accepted.

Node ids are relabelled 0..N-1 in ascending order of the original id; only ids that appear
become nodes (one that appears only in a self-loop becomes an isolated node). Self-loops
are dropped and repeated pairs merged by ``build_csr``.

The file is parsed in two numba passes over its bytes (count, then fill), which also find
the first malformed line; that one line is then re-read in Python to say what is wrong.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from numba import njit

from scsim.errors import EdgeListError, MemoryRefused
from scsim.outputs.words import counted
from scsim.world.network.csr import MAX_AGENTS, TIE_FAMILY, TIE_SOCIAL, TIE_WORK, Network, build_csr

_NEWLINE = 10
_HASH = 35
_ZERO = 48
_MAX_ID = 2**63 - 1
_WORDS = {b"family": TIE_FAMILY, b"social": TIE_SOCIAL, b"work": TIE_WORK}
_CODES = {b"0": TIE_FAMILY, b"1": TIE_SOCIAL, b"2": TIE_WORK}
_FAMILY = np.frombuffer(b"family", dtype=np.uint8)
_SOCIAL = np.frombuffer(b"social", dtype=np.uint8)
_WORK = np.frombuffer(b"work", dtype=np.uint8)
_FIELD_SEPARATORS = re.compile(rb"[ \t\v\f\r]+")
_NUMBER_LIKE = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_BOM = b"\xef\xbb\xbf"
_TABLE_IDS_PER_EDGE = 4  # relabel through a table when ids < 4 x edges (<= 16 bytes/edge)
_MAX_QUOTED_LINE = 200  # bytes of a malformed line quoted in the error message
# Bytes per edge line while a file is read, besides the file itself (read whole): u and v
# (int64) and the tie type; after the file is freed, the relabelling adds src and dst
# (int32) and a table of up to 4 ids per edge (int32), and the CSR build its two directed
# entries per tie (int32 + uint8) with a scratch copy.
READ_BYTES_PER_LINE = 8 + 8 + 1
RELABEL_BYTES_PER_LINE = READ_BYTES_PER_LINE + 8 + 16


@njit(cache=True, inline="always")
def _is_space(c):
    """Field separator: space, \\t, \\v, \\f, \\r (not \\n, which ends the line)."""
    return c == 32 or c == 9 or c == 11 or c == 12 or c == 13


@njit(cache=True)
def _parse_id(buf, start, end):
    """The decimal integer in buf[start:end], or -1 if it is not digits only or too large."""
    value = np.int64(0)
    for p in range(start, end):
        digit = np.int64(buf[p]) - _ZERO
        if digit < 0 or digit > 9 or value > (np.int64(_MAX_ID) - digit) // 10:
            return np.int64(-1)
        value = value * 10 + digit
    return value


@njit(cache=True)
def _matches(buf, start, end, word):
    """buf[start:end] equals the lower-case ASCII ``word``, ignoring case."""
    if end - start != len(word):
        return False
    p = start
    while p < end and buf[p] | 32 == word[p - start]:
        p += 1
    return p == end


@njit(cache=True)
def _parse_tie_type(buf, start, end):
    """The tie-type code named by buf[start:end], or -1 if it names none."""
    if end - start == 1 and _ZERO <= buf[start] <= _ZERO + 2:
        return np.int64(buf[start] - _ZERO)
    if _matches(buf, start, end, _FAMILY):
        return np.int64(TIE_FAMILY)
    if _matches(buf, start, end, _SOCIAL):
        return np.int64(TIE_SOCIAL)
    if _matches(buf, start, end, _WORK):
        return np.int64(TIE_WORK)
    return np.int64(-1)


@njit(cache=True)
def _scan(buf, start, u, v, typ, store):
    """Parse the edge lines of buf from byte ``start``; write them into u, v, typ if
    ``store``. Returns (edges, bad line number (1-based, 0 if none), its byte offset)."""
    n_bytes = len(buf)
    pos = start
    line = 1
    n_edges = 0
    while pos < n_bytes:
        line_start = pos
        fields = 0
        first = np.int64(0)
        second = np.int64(0)
        code = np.int64(TIE_SOCIAL)
        bad = False
        while pos < n_bytes and buf[pos] != _NEWLINE:
            c = buf[pos]
            if _is_space(c):
                pos += 1
                continue
            if c == _HASH:
                while pos < n_bytes and buf[pos] != _NEWLINE:
                    pos += 1
                break
            field_start = pos
            while pos < n_bytes and buf[pos] != _NEWLINE and buf[pos] != _HASH:
                if _is_space(buf[pos]):
                    break
                pos += 1
            if fields == 0:
                first = _parse_id(buf, field_start, pos)
                bad = first < 0
            elif fields == 1:
                second = _parse_id(buf, field_start, pos)
                bad = second < 0
            elif fields == 2:
                code = _parse_tie_type(buf, field_start, pos)
                bad = code < 0
            else:
                bad = True
            fields += 1
            if bad:
                break
        if bad or fields == 1:
            return n_edges, line, line_start
        if fields >= 2:
            if store:
                u[n_edges] = first
                v[n_edges] = second
                typ[n_edges] = code
            n_edges += 1
        pos += 1  # past the newline
        line += 1
    return n_edges, 0, 0


SHOWN = 60  # characters of a bad line that its problem repeats


def _line_problem(raw: bytes) -> str:
    """What is wrong with one edge-list line (the Python reading of ``_scan``'s rules)."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    if len(text) > SHOWN:  # (a binary file's "line" was repeated whole, 300 characters)
        text = f"{text[:SHOWN - 1]}… ({len(text):,} characters)"
    fields = [f for f in _FIELD_SEPARATORS.split(raw.split(b"#", 1)[0]) if f]
    if len(fields) < 2:
        return f"expected two node ids, got {text!r}"
    if len(fields) > 3:
        return f"expected two node ids and an optional tie type, got {text!r}"
    for field in fields[:2]:
        token = field.decode("utf-8", errors="replace")
        if not field.isdigit():
            if _NUMBER_LIKE.fullmatch(token):
                return f"node id must be a non-negative integer (digits only), got {token!r}"
            return f"expected two node ids, got {text!r}"
        if int(field) > _MAX_ID:
            return f"node id too large (at most 2^63 - 1), got {token!r}"
    token = fields[2].decode("utf-8", errors="replace")
    return f"unknown tie type {token!r} (expected family, social, work or 0, 1, 2)"


def _read_bytes(path: str | os.PathLike) -> np.ndarray:
    try:
        return np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise EdgeListError(f"network file not found: {path}") from None
    except OSError as exc:
        raise EdgeListError(f"{path}: cannot read network file ({exc.strerror or exc})") from None


def load_edgelist(path: str | os.PathLike) -> tuple[Network, np.ndarray, str]:
    """Load a SNAP edge list. Returns the network, ``original_id`` (int64, ascending):
    node k of the network is node ``original_id[k]`` of the file, and what was cleaned in
    words ('', or '; 2 self-loops dropped, 2 repeated pairs merged, 1 node without ties':
    it was done unsaid). Raises ``EdgeListError``
    naming the file and line of the first malformed line, or a missing or edgeless file,
    or one with a single node; ``MemoryRefused`` when reading it would not fit in memory
    (estimated from its size and line count before it is read)."""
    check_read_memory(path)
    buf = _read_bytes(path)
    start = len(_BOM) if buf[: len(_BOM)].tobytes() == _BOM else 0
    empty_ids = np.empty(0, dtype=np.int64)
    n_edges, bad_line, bad_offset = _scan(
        buf, start, empty_ids, empty_ids, np.empty(0, dtype=np.uint8), False
    )
    if bad_line:
        raw = buf[bad_offset : bad_offset + _MAX_QUOTED_LINE].tobytes().split(b"\n", 1)[0]
        raise EdgeListError(f"{path}:{bad_line}: {_line_problem(raw)}")
    if n_edges == 0:
        raise EdgeListError(f"{path}: no edges")
    u = np.empty(n_edges, dtype=np.int64)
    v = np.empty(n_edges, dtype=np.int64)
    typ = np.empty(n_edges, dtype=np.uint8)
    _scan(buf, start, u, v, typ, True)
    del buf
    loops = int(np.count_nonzero(u == v))
    src, dst, original_id = _relabel(u, v)
    if len(original_id) > MAX_AGENTS:
        raise EdgeListError(f"{path}: {len(original_id)} nodes exceed the limit of {MAX_AGENTS}")
    del u, v
    if len(original_id) < 2:
        raise EdgeListError(f"{path}: only one node ({original_id[0]}); a network needs at "
                            "least 2")
    net = build_csr(len(original_id), src, dst, typ)
    return net, original_id, _cleaned(loops, n_edges - loops - net.n_ties,
                                      int(np.count_nonzero(np.diff(net.indptr) == 0)))


def _cleaned(loops: int, repeated: int, alone: int) -> str:
    """What loading an edge list did to it, in words for ``scsim validate``."""
    parts = [f"{counted(loops, 'self-loop')} dropped"] if loops else []
    parts += [f"{counted(repeated, 'repeated pair')} merged"] if repeated else []
    parts += [f"{counted(alone, 'node')} without ties"] if alone else []
    return "; " + ", ".join(parts) if parts else ""


def read_bytes_needed(path: str | os.PathLike) -> int:
    """Peak bytes of ``load_edgelist`` on this file, from its size and its number of edge
    lines (counted in chunks, without reading it whole)."""
    try:
        size = Path(path).stat().st_size
    except FileNotFoundError:
        raise EdgeListError(f"network file not found: {path}") from None
    except OSError as exc:
        raise EdgeListError(f"{path}: cannot read network file ({exc.strerror or exc})") from None
    lines = count_nodes_hint(path) // 2
    return max(size + lines * READ_BYTES_PER_LINE, lines * RELABEL_BYTES_PER_LINE)


def check_read_memory(path: str | os.PathLike) -> int:
    """Refuse (``MemoryRefused``) an edge-list file that could not be read in the memory
    available (``SCSIM_MEMORY_LIMIT`` or what is free); returns the estimate."""
    from scsim.core.memory import FIXED_OVERHEAD, available_bytes

    need = read_bytes_needed(path) + FIXED_OVERHEAD
    have = available_bytes()
    if need > have:
        raise MemoryRefused(
            f"{path}: reading this network file needs about {need / 2**30:.2f} GiB but only "
            f"{have / 2**30:.2f} GiB is available; use a smaller network or set "
            "SCSIM_MEMORY_LIMIT")
    return need


@njit(cache=True)
def _relabel_by_table(u, v, max_id):
    """Relabel through a table indexed by original id (for ids up to a few times the number
    of edges). Returns (src, dst, original_id)."""
    label = np.zeros(max_id + 1, dtype=np.int32)
    for e in range(len(u)):
        label[u[e]] = 1
        label[v[e]] = 1
    original_id = np.empty(label.sum(), dtype=np.int64)
    count = 0
    for node in range(max_id + 1):
        if label[node]:
            label[node] = count
            original_id[count] = node
            count += 1
    src = np.empty(len(u), dtype=np.int32)
    dst = np.empty(len(u), dtype=np.int32)
    for e in range(len(u)):
        src[e] = label[u[e]]
        dst[e] = label[v[e]]
    return src, dst, original_id


def _relabel(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node k = the k-th smallest id that appears. Returns (src, dst, original_id)."""
    max_id = int(max(u.max(), v.max()))
    if max_id < _TABLE_IDS_PER_EDGE * len(u):
        return _relabel_by_table(u, v, max_id)
    ends = np.concatenate((u, v))
    ends.sort()
    original_id = ends[np.concatenate(([True], ends[1:] != ends[:-1]))]
    del ends
    src = np.searchsorted(original_id, u).astype(np.int32)
    dst = np.searchsorted(original_id, v).astype(np.int32)
    return src, dst, original_id


def count_nodes_hint(path: str | os.PathLike, chunk_bytes: int = 1 << 24) -> int:
    """An upper bound on the nodes of an edge-list file without parsing it: two per line
    that does not start with ``#`` (each node appears on at least one edge line).
    Reads the file once in ``chunk_bytes`` chunks, counting line starts."""
    try:
        with Path(path).open("rb") as stream:
            lines = 0
            comments = 0
            previous = b"\n"  # the file's first byte starts a line
            while chunk := stream.read(chunk_bytes):
                lines += chunk.count(b"\n")
                comments += chunk.count(b"\n#") + (previous == b"\n" and chunk[:1] == b"#")
                previous = chunk[-1:]
            lines += previous != b"\n"  # a last line without a newline
    except FileNotFoundError:
        raise EdgeListError(f"network file not found: {path}") from None
    except OSError as exc:
        raise EdgeListError(f"{path}: cannot read network file ({exc.strerror or exc})") from None
    return 2 * max(lines - comments, 0)
