"""Provenance: every score change is booked to the source that made it (MODEL.md,
"Provenance").

A mechanism that moves scores declares its sources once, in its module, and lists them in
its ``Mechanism(..., sources=SOURCES)``::

    SOURCES = Sources("observe",
                      Source("true_sighting", "true sightings", "acts of the agent seen"),
                      Source("misattribution", "misattributions", "...", error=True))
    S = SOURCES.S   # S.true_sighting == 0, S.misattribution == 1

A mechanism may also book to a source that another declares (``uses=("clamping",)``: the
points a clamp to [s_min, s_max] adds or takes). A run's ledger (``Ledger``) has one column
per source of the mechanisms it uses (``Names.sources``, mechanisms in day order, each
one's sources in declaration order): every agent has a float32 row of per-source totals
for the recorded score, ``points``, and one for the error-free score, ``clean_points``,
so that at any time, for every agent,

    score - starting score == points.sum()   and   clean_score - starting score ==
    clean_points.sum()

up to float32 rounding. When no error can happen in the run (``Names.errors`` false) the
error-free ledger is the recorded one and ``clean_points`` has no columns. A run with
``metrics.per_agent_sources`` false (``Names.per_agent_sources`` false) keeps no per-agent
rows: ``points`` and ``clean_points`` have one row per block of agents, a sink that every
booking of the block's agents adds to and nothing reads (``Book.row_shift``), so the
bookings count in the day's tallies only. A kernel books
through a ``Book`` (``Today.book(SOURCES)``: the ledger rows, the day's tallies and the
mechanism's slots, resolved per run, so never compiled into a kernel)::

    acct = account(bk, i)                        # agent i's row and tally cell
    book(bk, acct, S.misattribution, delta)      # recorded score
    book_both(bk, acct, S.true_sighting, delta)  # both scores (no error)

Each booking also adds to the day's tally of its segment (a block of agents cut at region
boundaries, ``core.blocks.region_segments``) and group, so the day's points by source,
group and region need no pass over the ledger; a block's cells are written only by the
thread that runs the block (or by a serial replay), in agent order: the sums do not depend
on the number of threads.

An ``error`` source is one of the system's errors (misattributions, false reports): it
moves the recorded score only, so its ``clean_points`` column stays zero and is left out
of the error-free tables; so is a source declared ``clean=False`` (a correction of the
record, which only the recorded score needs).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from scsim.core.blocks import BLOCK, region_segments
from scsim.core.state import clean_column

if TYPE_CHECKING:
    from scsim.core.params import Names

CAUSES = ("misattribution", "false_report", "association", "several", "other")
"""Causes of a wrongful listing (``outputs.provenance``; "other": no error took points)."""
UNKNOWN_CAUSE = "unknown"
"""The one cause of a run that keeps no per-agent ledger (``metrics.per_agent_sources``
false): the damage of each error is not known, so neither is the cause."""


@dataclass(frozen=True)
class Source:
    """One source of points: ``name`` (a column suffix: ``points_NAME``), ``label`` (for
    people: charts, ``scsim sources``), ``description`` (what is booked to it, with units:
    points), ``error`` (an error of the system, recorded score only), ``clean`` (whether
    it can move the error-free score; False also for a correction of the record)."""

    name: str
    label: str
    description: str
    error: bool = False
    clean: bool = True

    @property
    def moves_clean(self) -> bool:
        """Whether it has a ``clean_points`` column (errors and corrections do not)."""
        return self.clean and not self.error


class Sources:
    """The sources one mechanism books points to: those it declares and those of other
    mechanisms it ``uses``. ``S`` is a namedtuple of local numbers (declared first, then
    used); a run's ``Ledger.slots`` gives their columns."""

    def __init__(self, owner: str, *declared: Source, uses: Iterable[str] = ()):
        self.owner = owner
        self.declared = tuple(declared)
        self.uses = tuple(uses)
        names = (*(s.name for s in self.declared), *self.uses)
        kind = owner.title().replace("_", "")
        self.S = namedtuple(f"{kind}Sources", names)(*range(len(names)))
        self.names = names

    def __repr__(self) -> str:
        return f"Sources({self.owner!r}: {', '.join(self.names)})"


@functools.cache
def source_registry() -> tuple[Source, ...]:
    """Every declared source, in ledger order (mechanisms in day order, each one's sources
    in declaration order)."""
    from scsim.core.mechanism import mechanisms

    found = [s for m in mechanisms() if m.sources is not None for s in m.sources.declared]
    names = [s.name for s in found]
    if len(names) != len(set(names)):
        raise ValueError(f"a source is declared twice: {sorted(names)}")
    return tuple(found)


def source(name: str) -> Source:
    """The declaration of source ``name``."""
    for s in source_registry():
        if s.name == name:
            return s
    raise KeyError(f"no source {name!r} (known: "
                   f"{', '.join(s.name for s in source_registry())})")


class Book(NamedTuple):
    """What a kernel books points with (``Ledger.view``): the ledger rows (float32 points,
    agents x sources; ``clean_points`` has no columns when ``clean`` is false; without
    per-agent sources, ``per_agent`` false, one sink row per block of agents, which nothing
    reads: agent i books to row ``i >> row_shift``), the day's
    tallies (float64 points, segments x groups x sources), the agents' groups and regions,
    the segment of each block's first region (``core.blocks.region_segments``) and the
    ledger column of each of the mechanism's sources (``slots``, by its ``S`` numbers)."""

    points: np.ndarray  # the first four by position: POINTS, CLEAN_POINTS, DAY, CLEAN_DAY
    clean_points: np.ndarray
    day: np.ndarray
    clean_day: np.ndarray
    group: np.ndarray
    region: np.ndarray
    seg_base: np.ndarray
    slots: np.ndarray
    clean: bool  # a separate error-free ledger is kept (some error can happen)
    per_agent: bool  # the agents' ledger rows are kept (else only the day's tallies)
    row_shift: int  # agent i's ledger row is i >> row_shift: 0, or BLOCK_SHIFT (a sink row)


class Ledger:
    """The provenance ledger of one run: its columns (``sources``: ``Names.sources``), the
    segments its daily tallies are kept by (blocks cut at region boundaries) and those
    tallies: ``day`` and ``clean_day`` (float64 points, segments x groups x sources), the
    points booked today, zeroed by ``reset`` before each day. ``clean``: whether a
    separate error-free ledger is kept (``Names.errors``; if not, ``clean_points`` and
    ``clean_day`` have no columns and the error-free figures are the recorded ones).
    ``per_agent``: whether the agents' rows are kept (``Names.per_agent_sources``; if not,
    the rows are one sink per block of agents, ``state.ledger_rows``, and the bookings count in
    the day's tallies only). A sink row rather than a test before each write: that test
    in the score kernel's bookings made its phase 1.5 times slower (measured at 10^6
    agents, one thread)."""

    def __init__(self, names: Names, region: np.ndarray, region_start: np.ndarray):
        self.sources = tuple(names.sources)
        self.clean = bool(names.errors)
        self.per_agent = bool(names.per_agent_sources)
        self.row_shift = 0 if self.per_agent else BLOCK_SHIFT
        self.column = {name: k for k, name in enumerate(self.sources)}
        self.clean_slots = np.array([self.column[s] for s in names.clean_sources], np.int64)
        self.seg_base, self.seg_start, self.seg_region = region_segments(region, region_start)
        self.region, self.group_count = region, len(names.groups)
        shape = (len(self.seg_region), self.group_count)
        self.day = np.zeros((*shape, len(self.sources)))
        self.clean_day = np.zeros((*shape, len(self.sources) if self.clean else 0))
        self._slots: dict[str, np.ndarray] = {}

    def slot(self, name: str) -> int:
        """The ledger column of source ``name`` in this run."""
        try:
            return self.column[name]
        except KeyError:
            raise KeyError(f"source {name!r} is not in this run's ledger (its sources: "
                           f"{', '.join(self.sources)})") from None

    def slots(self, sources: Sources) -> np.ndarray:
        """The ledger columns of a mechanism's sources, by their ``S`` numbers (int64)."""
        found = self._slots.get(sources.owner)
        if found is None:
            found = np.array([self.slot(name) for name in sources.names], np.int64)
            self._slots[sources.owner] = found
        return found

    def reset(self) -> None:
        """Zero the day's tallies (before each day)."""
        self.day.fill(0.0)
        self.clean_day.fill(0.0)

    def view(self, agents: dict[str, np.ndarray], sources: Sources) -> Book:
        """What the kernels of the mechanism booking to ``sources`` book with today."""
        return Book(agents["points"], agents["clean_points"], self.day, self.clean_day,
                    agents["group"], agents["region"], self.seg_base, self.slots(sources),
                    self.clean, self.per_agent, self.row_shift)

    def clean_rows(self, agents: dict[str, np.ndarray], who: np.ndarray) -> np.ndarray:
        """The error-free ledger rows of agents ``who`` (float32; the recorded ones when no
        separate error-free ledger is kept)."""
        return agents["clean_points" if self.clean else "points"][who]


# A kernel writes the ledger rows and tallies by position (``bk[POINTS]``), never by name:
# numba's parallel loops drop writes to an array reached as a named tuple's attribute
# (numba issues 5872, 7135, 10338); reading by name is safe.
POINTS, CLEAN_POINTS, DAY, CLEAN_DAY = 0, 1, 2, 3


BLOCK_SHIFT = BLOCK.bit_length() - 1  # i >> BLOCK_SHIFT == i // BLOCK
assert 1 << BLOCK_SHIFT == BLOCK


@njit(cache=True, inline="always")
def account(bk, i):
    """Agent ``i``'s account: its ledger row (its own, or its block's sink row without
    per-agent sources) and the cell of the day's tallies it books to (its segment and
    group), as unsigned indices. A kernel that books an agent several times takes it
    once."""
    blk = i // BLOCK
    seg = bk.seg_base[blk] + np.int64(bk.region[i]) - np.int64(bk.region[blk * BLOCK])
    return np.uint64(i) >> np.uint64(bk.row_shift), np.uint64(seg), np.uint64(bk.group[i])


@njit(cache=True, inline="always")
def _add(rows, day, acct, column, delta):
    """``rows[row, column] += delta`` and the same to the day's tally of its cell
    (points)."""
    c = np.uint64(column)
    rows[acct[0], c] += delta
    day[acct[1], acct[2], c] += delta


@njit(cache=True, inline="always")
def book(bk, acct, k, delta):
    """Book ``delta`` points of the recorded score of the agent of ``acct``
    (``account``) to the mechanism's source ``k`` (its ``S`` number)."""
    _add(bk[POINTS], bk[DAY], acct, bk.slots[k], delta)


@njit(cache=True, inline="always")
def book_clean(bk, acct, k, delta):
    """Book ``delta`` points of the error-free score of the agent of ``acct`` to source
    ``k`` (nothing when the run keeps no separate error-free ledger: then it equals the
    recorded one)."""
    if bk.clean:
        _add(bk[CLEAN_POINTS], bk[CLEAN_DAY], acct, bk.slots[k], delta)


@njit(cache=True, inline="always")
def book_both(bk, acct, k, delta):
    """Book ``delta`` points of both scores of the agent of ``acct`` to source ``k`` (no
    error)."""
    book(bk, acct, k, delta)
    book_clean(bk, acct, k, delta)


@njit(cache=True, inline="always")
def clamp_booked(bk, acct, k, value, s_min, s_max, column):
    """``value`` clamped to [s_min, s_max] (points), the points the clamp adds or takes
    booked to source ``k`` of the recorded (``column`` 0) or error-free (``column`` 1)
    score of the agent of ``acct``, like the columns of ``scores``."""
    c = min(max(value, s_min), s_max)
    if c != value:
        if column == 0:
            book(bk, acct, k, c - value)
        else:
            book_clean(bk, acct, k, c - value)
    return c


@njit(cache=True, inline="always")
def take_from_both(bk, acct, k, clamping, scores, i, points, s_min, s_max):
    """Take ``points`` off both scores of agent ``i`` (no error: the recorded and the
    error-free score alike; the one column when they are one, ``state.clean_column``),
    booked to source ``k`` of the agent of ``acct``; each result clamped to [s_min, s_max]
    (points), what the clamp adds booked to source ``clamping``."""
    book_both(bk, acct, k, -points)
    scores[i, 0] = clamp_booked(bk, acct, clamping, scores[i, 0] - points, s_min, s_max, 0)
    clean = clean_column(scores)
    if clean:
        scores[i, clean] = clamp_booked(bk, acct, clamping, scores[i, clean] - points, s_min,
                                        s_max, 1)
