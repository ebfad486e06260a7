"""Provenance: every score change is booked to the source that made it (MODEL.md,
"Provenance").

A mechanism that moves scores declares its sources once, in its module, and lists them in
its ``Mechanism(..., sources=SOURCES)``::

    SOURCES = Sources("observe",
                      Source("true_sighting", "true sightings", "acts of the agent seen"),
                      Source("misattribution", "misattributions", "...", error=True))
    S = SOURCES.S   # S.true_sighting == 0, S.misattribution == 1

A mechanism may also book to a source that another declares (``uses=("clamping",)``: the
points a clamp to [s_min, s_max] adds or takes). The core composes the declarations of all
mechanisms, in day order, into the ledger's columns (``source_registry()``): every agent
has two float32 rows of per-source totals, ``points`` (recorded score) and
``clean_points`` (error-free score), so that at any time, for every agent,

    score - starting score == points.sum()   and   clean_score - starting score ==
    clean_points.sum()

up to float32 rounding. A kernel books with the ledger slots of its declaration, passed
at run time (``SOURCES.slots``, an int64 array: the slot numbers depend on which
mechanisms exist, so they are never compiled into a kernel)::

    points[i, slots[S.misattribution]] += delta

An ``error`` source is one of the system's errors (misattributions, false reports): it
moves the recorded score only, so its ``clean_points`` column stays zero and is left out
of the error-free tables.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numba import njit

CAUSES = ("misattribution", "false_report", "association", "several", "other")
"""Causes of a wrongful listing (``outputs.provenance``; "other": no error took points)."""


@dataclass(frozen=True)
class Source:
    """One source of points: ``name`` (a column suffix: ``points_NAME``), ``label`` (for
    people: charts, ``scsim sources``), ``description`` (what is booked to it, with units:
    points), ``error`` (an error of the system, recorded score only)."""

    name: str
    label: str
    description: str
    error: bool = False


class Sources:
    """The sources one mechanism books points to: those it declares and those of other
    mechanisms it ``uses``. ``S`` is a namedtuple of local numbers (declared first, then
    used), ``slots`` the ledger slot of each (int64, resolved on first use)."""

    def __init__(self, owner: str, *declared: Source, uses: Iterable[str] = ()):
        self.owner = owner
        self.declared = tuple(declared)
        self.uses = tuple(uses)
        names = (*(s.name for s in self.declared), *self.uses)
        kind = owner.title().replace("_", "")
        self.S = namedtuple(f"{kind}Sources", names)(*range(len(names)))
        self.names = names

    @functools.cached_property
    def slots(self) -> np.ndarray:
        index = {s.name: k for k, s in enumerate(source_registry())}
        missing = [n for n in self.names if n not in index]
        if missing:
            raise ValueError(f"{self.owner} books to undeclared sources: {missing}")
        return np.array([index[n] for n in self.names], np.int64)

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


def slot(name: str) -> int:
    """The ledger slot of source ``name``."""
    return next(k for k, s in enumerate(source_registry()) if s.name == name)


@njit(cache=True, inline="always")
def clamp_booked(ledger, i, clamp_slot, value, s_min, s_max):
    """``value`` clamped to [s_min, s_max] (points), the points the clamp adds or takes
    booked to ``ledger[i, clamp_slot]``."""
    c = min(max(value, s_min), s_max)
    if c != value:
        ledger[i, clamp_slot] += c - value
    return c
