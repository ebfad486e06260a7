"""The day's per-block counters, with slots assigned from the mechanisms' declarations.

A mechanism declares once what it counts::

    COUNTERS = Counters("sanction", counts=("blocked_air", "blocked_train"),
                        arrays={"privilege": ("privileges",)})

and its kernels write ``counts[blk, COUNTERS.C.blocked_air]`` (``C`` is a namedtuple of
slot numbers, assigned here in declaration order; numba reads it as a constant), so no
counter is ever numbered by hand. Each declaration gets its own arrays: one row per block
of agents (see ``core.blocks``), int64 ``counts``, float64 ``sums`` and named arrays of
per-name counts (per behaviour, per privilege...). ``Tally`` allocates them for a run,
``reset`` clears them before each day and ``count``/``sum``/``total`` read them by name.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from scsim.core.blocks import n_blocks


class Counters:
    """What one mechanism counts per block and day.

    ``counts``: names of int64 counters; ``sums``: names of float64 sums; ``arrays``: name
    -> (dtype, shape), a shape of ints and dimension names (``"behaviours"``, ``"groups"``,
    ``"tiers"``, ``"privileges"``) resolved per run, each array being one row per block.
    ``C`` and ``S`` are the slots of ``counts`` and ``sums`` (namedtuples of ints)."""

    def __init__(self, owner: str, counts: Iterable[str] = (), sums: Iterable[str] = (),
                 arrays: dict[str, tuple] | None = None):
        self.owner = owner
        self.counts = tuple(counts)
        self.sums = tuple(sums)
        self.arrays = dict(arrays or {})
        kind = owner.title().replace("_", "")
        self.C = namedtuple(f"{kind}Counts", self.counts)(*range(len(self.counts)))
        self.S = namedtuple(f"{kind}Sums", self.sums)(*range(len(self.sums)))

    def names(self) -> tuple[str, ...]:
        return (*self.counts, *self.sums, *self.arrays)

    def __repr__(self) -> str:
        return f"Counters({self.owner!r}: {', '.join(self.names())})"


class Tally:
    """The day's counters of every declaration; ``reset`` before each day.

    ``counts[owner]`` (blocks, len(counts)) int64, ``sums[owner]`` (blocks, len(sums))
    float64, ``arrays[name]`` (blocks, *shape); ``flags`` (blocks,) uint8 marks the blocks a
    serial replay must visit (scratch shared by the phases, not reset)."""

    def __init__(self, declarations: Iterable[Counters], n: int, dims: dict[str, int]):
        nb = int(n_blocks(n))
        self.counts: dict[str, np.ndarray] = {}
        self.sums: dict[str, np.ndarray] = {}
        self.arrays: dict[str, np.ndarray] = {}
        self._where: dict[str, tuple[np.ndarray, int]] = {}
        for d in declarations:
            self.counts[d.owner] = np.zeros((nb, len(d.counts)), np.int64)
            self.sums[d.owner] = np.zeros((nb, len(d.sums)), np.float64)
            for slot, name in enumerate(d.counts):
                self._claim(name, (self.counts[d.owner], slot))
            for slot, name in enumerate(d.sums):
                self._claim(name, (self.sums[d.owner], slot))
            for name, (dtype, shape) in d.arrays.items():
                size = tuple(s if isinstance(s, int) else dims[s] for s in shape)
                self._claim(name, None)
                self.arrays[name] = np.zeros((nb, *size), dtype)
        self.flags = np.zeros(nb, np.uint8)
        self._closed: dict[int, np.ndarray] | None = None

    def _claim(self, name: str, where) -> None:
        if name in self._where:
            raise ValueError(f"counter {name!r} is declared twice")
        self._where[name] = where

    def reset(self) -> None:
        for group in (self.counts, self.sums, self.arrays):
            for a in group.values():
                a.fill(0)
        self._closed = None

    def close(self) -> None:
        """The day's counting is over (the metrics step reads the counters; nothing writes
        them until ``reset``): from now on ``count`` sums each table over the blocks once,
        not once per counter."""
        self._closed = {}

    def count(self, name: str) -> int:
        """The day's total of int64 counter ``name`` over all blocks."""
        table, slot = self._where[name]
        if self._closed is None:
            return int(table[:, slot].sum())
        totals = self._closed.get(id(table))
        if totals is None:
            totals = self._closed[id(table)] = table.sum(axis=0)
        return int(totals[slot])

    def sum(self, name: str) -> float:
        """The day's total of float64 sum ``name`` over all blocks."""
        table, slot = self._where[name]
        return float(table[:, slot].sum())

    def total(self, name: str) -> np.ndarray:
        """The day's totals of per-name array ``name`` (summed over blocks)."""
        return self.arrays[name].sum(axis=0)
