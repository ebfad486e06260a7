"""The tie network as a compressed sparse row (CSR) adjacency structure.

Every undirected tie {i, j} is stored twice, as the directed entries i->j and j->i, with the
same tie code. Rows are sorted by neighbour id, there are no self-loops and at most one tie
per pair. ``build_csr`` is the only constructor: generators and the edge-list loader hand it
a flat list of undirected edges and it returns the canonical structure.

A tie entry packs the neighbour id and the tie code in one unsigned integer,
``neighbour << TIE_BITS | code`` (``pack``): uint32 for up to ``ENTRIES32_MAX_AGENTS``
agents, uint64 beyond (``entries_dtype``). The code's low bits are the tie type
(``TYPE_MASK``), its high bits ``SUSPENDED`` and ``SEVERED``. Entries sorted by value are
sorted by neighbour, so a row stays ascending whatever its ties' codes. Kernels read an
entry's neighbour with ``neighbour`` (or ``entry >> TIE_BITS``, unsigned, in hot loops) and
its code with ``tie_code``.

Memory per agent is 4 bytes (``indptr``, uint32; 8 in a network of more than
``INDPTR32_MAX_ENTRIES`` directed entries, int64: ``indptr_dtype``) and per undirected tie
8 bytes (two uint32 entries; 16 beyond ``ENTRIES32_MAX_AGENTS`` agents). Kernels take either
row pointer and read a row's bounds as int64 (``row_bounds``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

TIE_FAMILY = np.uint8(0)
TIE_SOCIAL = np.uint8(1)
TIE_WORK = np.uint8(2)
TYPE_MASK = np.uint8(0x3)
"""``code & TYPE_MASK`` is the tie-type code, whether the tie is active or not."""
SUSPENDED = np.uint8(0x4)
"""Bit set in a tie's code while an end of the tie is detained (the detained keep their
ties but cannot use them: ``mechanisms.detention`` sets and clears it)."""
SEVERED = np.uint8(0x8)
"""Bit set in a tie's code while the tie is severed (shunning sets it, restoration clears
it)."""
INACTIVE = np.uint8(SEVERED | SUSPENDED)
"""A tie is active when ``code & INACTIVE`` is 0: neither severed nor suspended."""
TIE_BITS = np.uint8(4)
"""Low bits of a tie entry that hold its code; the neighbour id is above them."""
CODE_MASK = np.uint8((1 << TIE_BITS) - 1)
"""``entry & CODE_MASK`` is the tie's code (``tie_code``)."""
TIE_TYPE_NAMES = ("family", "social", "work")

MAX_AGENTS = 2**30
"""Largest supported number of agents (neighbour ids share 32 bits with a 2-bit merge rank
while the CSR is built)."""
ENTRIES32_MAX_AGENTS = 2**(32 - int(TIE_BITS))
"""Most agents a network may have for its tie entries to be uint32: the largest id, shifted
above the ``TIE_BITS`` code bits, must fit in 32 unsigned bits."""

# When one pair is given more than once, the entry with the lowest rank survives:
# family (0) before work (1) before social (2). Indexed by tie-type code.
_MERGE_RANK = np.array([0, 2, 1], dtype=np.uint32)
_MERGE_TYPE = np.array([TIE_FAMILY, TIE_WORK, TIE_SOCIAL], dtype=np.uint8)  # rank -> code
_RANK_BITS = np.uint32(2)
_RANK_MASK = np.uint32(3)
_INSERTION_SORT_MAX = 32  # rows up to this length are sorted by insertion, longer by np.sort
_MAX_ROW_PARTS = 16  # row ranges filled in parallel; each one reads all edges once

INDPTR32_MAX_ENTRIES = 2**32 - 1
"""Most directed tie entries a network may have for its row pointer to be uint32: its last
value, the number of entries, must fit in 32 unsigned bits."""


def indptr_dtype(entries: int) -> np.dtype:
    """The dtype of the row pointer of a network of ``entries`` directed tie entries: uint32
    (4 bytes per agent) up to ``INDPTR32_MAX_ENTRIES``, int64 (8 bytes) beyond, so that a
    network of 10^8 agents with mean degree up to 42 keeps half the bytes and a larger one
    still works. The only place that decides it."""
    return np.dtype(np.uint32) if entries <= INDPTR32_MAX_ENTRIES else np.dtype(np.int64)


def entries_dtype(n: int) -> np.dtype:
    """The dtype of the tie entries of a network of ``n`` agents: uint32 (4 bytes per
    directed tie) up to ``ENTRIES32_MAX_AGENTS``, uint64 (8 bytes) beyond. The only place
    that decides it."""
    return np.dtype(np.uint32) if n <= ENTRIES32_MAX_AGENTS else np.dtype(np.uint64)


def pack(n: int, neighbours: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Tie entries of a network of ``n`` agents from neighbour ids and tie codes (type,
    ``SUSPENDED``, ``SEVERED`` bits), in ``entries_dtype(n)``."""
    dtype = entries_dtype(n)
    return (neighbours.astype(dtype) << dtype.type(TIE_BITS)) | codes.astype(dtype)


def neighbours_of(entries: np.ndarray) -> np.ndarray:
    """The neighbour ids of tie entries (int64 array)."""
    return (entries >> entries.dtype.type(TIE_BITS)).astype(np.int64)


def codes_of(entries: np.ndarray) -> np.ndarray:
    """The tie codes of tie entries (uint8 array: type, ``SUSPENDED``, ``SEVERED`` bits)."""
    return (entries & entries.dtype.type(CODE_MASK)).astype(np.uint8)


def canonical_indptr(indptr: np.ndarray) -> np.ndarray:
    """``indptr`` in the dtype ``indptr_dtype`` gives its number of entries (its last value):
    itself if it has it already, else a converted copy (a row pointer of another dtype, e.g.
    the int64 of a checkpoint written before uint32 row pointers)."""
    entries = int(indptr[-1]) if len(indptr) else 0
    return indptr.astype(indptr_dtype(entries), copy=False)


@njit(cache=True, inline="always")
def neighbour(entries, e):
    """The neighbour id of tie entry ``e`` (int64)."""
    return np.int64(entries[e] >> TIE_BITS)


@njit(cache=True, inline="always")
def tie_code(entries, e):
    """The code of tie entry ``e``: its type (``& TYPE_MASK``) and ``SUSPENDED`` and
    ``SEVERED`` bits."""
    return entries[e] & CODE_MASK


@njit(cache=True, inline="always")
def set_code_bit(entries, e, bit, on):
    """Set (``on``) or clear ``bit`` of tie entry ``e``'s code."""
    x = entries[e] | bit
    entries[e] = x if on else x ^ bit


@njit(cache=True, inline="always")
def row_bounds(indptr, i):
    """First and one-past-last entry of row ``i`` (a signed agent id), as int64 whichever
    dtype ``indptr`` has: a loop over ``range(lo, hi)`` then counts in int64, as it would
    over an int64 row pointer, and never in uint64 (what numba makes of a range over
    uint32 bounds, and which it mixes with int64 into float64: ``core.blocks``)."""
    return np.int64(indptr[i]), np.int64(indptr[i + 1])


@dataclass
class Network:
    """Undirected typed ties of ``n`` agents in CSR form.

    ``indptr`` (n+1; uint32, or int64 beyond ``INDPTR32_MAX_ENTRIES`` entries:
    ``indptr_dtype``): row i is ``entries[indptr[i]:indptr[i+1]]``.
    ``entries`` (uint32, or uint64 beyond ``ENTRIES32_MAX_AGENTS`` agents: ``entries_dtype``;
    nnz): ``neighbour << TIE_BITS | code``, ascending within each row; the code is the
    tie-type code (``TIE_FAMILY``, ``TIE_SOCIAL``, ``TIE_WORK``), possibly with the
    ``SEVERED`` and ``SUSPENDED`` bits, and the entries i->j and j->i always carry the same
    code.
    """

    indptr: np.ndarray
    entries: np.ndarray

    @property
    def n(self) -> int:
        """Number of agents."""
        return len(self.indptr) - 1

    @property
    def n_entries(self) -> int:
        """Number of directed tie entries (twice the ties)."""
        return len(self.entries)

    @property
    def n_ties(self) -> int:
        """Number of undirected ties (active and severed)."""
        return len(self.entries) // 2

    def neighbour_ids(self) -> np.ndarray:
        """Every entry's neighbour id, row by row (a decoded int64 copy: ``neighbours_of``)."""
        return neighbours_of(self.entries)

    def tie_codes(self) -> np.ndarray:
        """Every entry's tie code, row by row (a decoded uint8 copy: ``codes_of``)."""
        return codes_of(self.entries)

    def degree(self) -> np.ndarray:
        """Ties per agent (active and severed), int32 of shape (n,)."""
        return np.diff(self.indptr).astype(np.int32)

    @property
    def nbytes(self) -> int:
        """Bytes held by the row pointer and the entries."""
        return self.indptr.nbytes + self.entries.nbytes


@njit(cache=True, parallel=True)
def _row_ends(src, dst, n_parts, indptr):
    """Set ``indptr[i + 1]`` (zeros on entry) to the number of entries in rows 0..i
    (self-loops excluded).

    Rows are split into ``n_parts`` ranges; each part scans all edges and counts only its
    own rows, so no two threads write the same row."""
    n = len(indptr) - 1
    for part in prange(n_parts):
        lo = n * part // n_parts
        hi = n * (part + 1) // n_parts
        for e in range(len(src)):
            u = src[e]
            v = dst[e]
            if u != v:
                if lo <= u < hi:
                    indptr[u + 1] += 1
                if lo <= v < hi:
                    indptr[v + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]


@njit(cache=True, parallel=True)
def _scatter(src, dst, typ, indptr, keys, n_parts):
    """Write both directions of each edge into its rows as the key neighbour * 4 + merge
    rank, so that sorting a row's keys orders it by neighbour, then by merge priority.

    Uses ``indptr[1:]`` as per-row write cursors counting down from each row's end; when
    done, ``indptr[i + 1]`` has come down to the start of row i, and is shifted back.
    Rows are split into parts as in ``_row_ends``."""
    n = len(indptr) - 1
    for part in prange(n_parts):
        lo = n * part // n_parts
        hi = n * (part + 1) // n_parts
        for e in range(len(src)):
            u = src[e]
            v = dst[e]
            if u == v:
                continue
            if lo <= u < hi:
                indptr[u + 1] -= 1
                keys[indptr[u + 1]] = (np.uint32(v) << _RANK_BITS) | _MERGE_RANK[typ[e]]
            if lo <= v < hi:
                indptr[v + 1] -= 1
                keys[indptr[v + 1]] = (np.uint32(u) << _RANK_BITS) | _MERGE_RANK[typ[e]]
    # indptr[i + 1] now holds the start of row i = the end of row i - 1.
    for i in range(n):
        indptr[i] = indptr[i + 1]
    indptr[n] = len(keys)


@njit(cache=True, parallel=True)
def _sort_and_merge_rows(indptr, keys, entries, row_len):
    """Sort each row's keys, keep the first (highest-priority) key per neighbour at the
    front of the row as a tie entry (neighbour and tie-type code, packed as ``pack`` does,
    in ``entries``: ``keys`` itself, or an array as long of a wider dtype), and record the
    merged row length. In place, an entry is written no later than the key it comes from,
    after that key has been read."""
    n = len(indptr) - 1
    for i in prange(n):
        lo, hi = row_bounds(indptr, i)
        if hi - lo <= _INSERTION_SORT_MAX:
            for a in range(lo + 1, hi):
                key = keys[a]
                b = a - 1
                while b >= lo and keys[b] > key:
                    keys[b + 1] = keys[b]
                    b -= 1
                keys[b + 1] = key
        else:
            keys[lo:hi].sort()
        write = lo
        for a in range(lo, hi):
            key = keys[a]
            nb = key >> _RANK_BITS
            if write == lo or nb != entries[write - 1] >> TIE_BITS:
                entries[write] = (np.uint64(nb) << np.uint64(TIE_BITS)) | np.uint64(
                    _MERGE_TYPE[key & _RANK_MASK])
                write += 1
        row_len[i] = write - lo


@njit(cache=True)
def _compact_rows(indptr, entries, row_len):
    """Move the merged rows left so they are contiguous, and rewrite indptr. Returns nnz.

    Serial and in order: each row moves to a position no later than where it was, so no
    row is overwritten before it has been moved."""
    n = len(indptr) - 1
    write = np.int64(0)
    for i in range(n):
        start = np.int64(indptr[i])
        indptr[i] = write
        for a in range(start, start + row_len[i]):
            entries[write] = entries[a]
            write += 1
    indptr[n] = write
    return write


def build_csr(n: int, src: np.ndarray, dst: np.ndarray, typ: np.ndarray) -> Network:
    """Build the canonical CSR network of ``n`` agents from undirected edges.

    ``src``, ``dst``: int32 or int64 endpoint ids in [0, n); ``typ``: uint8 tie-type codes
    (0..2). Self-loops are dropped; a pair given more than once keeps one tie, of the type
    family before work before social. Time O(E + sum of d log d) over rows of length d;
    memory: the result plus an int32 row-length array (n), nothing proportional to E.
    """
    return build_csr_from(n, [src, dst, typ])


def build_csr_from(n: int, edges: list[np.ndarray]) -> Network:
    """``build_csr(n, *edges)`` that empties the list ``edges`` = [src, dst, typ] as soon
    as the edges are in the CSR, so that a caller that holds no other reference to them gets
    their memory back before the rows are sorted."""
    src, dst, typ = edges
    if not (len(src) == len(dst) == len(typ)):
        raise ValueError("build_csr: src, dst and typ must have the same length")
    if n > MAX_AGENTS:
        raise ValueError(f"build_csr: {n} agents exceed the limit of {MAX_AGENTS}")
    typ = np.ascontiguousarray(typ, dtype=np.uint8)
    if len(src):
        lo = min(int(src.min()), int(dst.min()))
        hi = max(int(src.max()), int(dst.max()))
        if lo < 0 or hi >= n:
            raise ValueError(f"build_csr: endpoint ids must lie in [0, {n}), got [{lo}, {hi}]")
        if int(typ.max()) > int(TIE_WORK):
            raise ValueError("build_csr: tie-type codes must be 0 (family), 1 (social), 2 (work)")
    n_parts = min(numba.get_num_threads(), _MAX_ROW_PARTS)
    # Two entries per edge at most (fewer once self-loops and repeated pairs are dropped):
    # the dtype holds the count before they are; canonical_indptr narrows it after.
    indptr = np.zeros(n + 1, dtype=indptr_dtype(2 * len(src)))
    _row_ends(src, dst, n_parts, indptr)
    nnz = int(indptr[n])
    # Allocated here (not inside numba) so they own their memory and can shrink in place.
    keys = np.empty(nnz, dtype=np.uint32)
    _scatter(src, dst, typ, indptr, keys, n_parts)
    del src, dst, typ
    edges.clear()
    dtype = entries_dtype(n)
    entries = keys if dtype == keys.dtype else np.empty(nnz, dtype=dtype)
    row_len = np.empty(n, dtype=np.int32)
    _sort_and_merge_rows(indptr, keys, entries, row_len)
    del keys
    if int(row_len.sum(dtype=np.int64)) < nnz:
        merged_nnz = int(_compact_rows(indptr, entries, row_len))
        entries.resize(merged_nnz, refcheck=False)
    return Network(indptr=canonical_indptr(indptr), entries=entries)
