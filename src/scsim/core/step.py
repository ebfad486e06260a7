"""One step of the day plan: what runs a mechanism's kernels for one day.

A step lists its kernels and counters and runs them; its phase name (the name the per-phase
profile uses) and the scenario sections it reads come from its mechanism's declaration
(``core.mechanism.Mechanism``), and whether it runs on a day from the ``on`` field of its
mechanism's compiled record (the one place that answers "is this mechanism on?").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from scsim.core.events import NOT_TRACED
from scsim.core.rng import stream_key

if TYPE_CHECKING:
    from scsim.core.counters import Counters, Tally
    from scsim.core.params import Params
    from scsim.core.source import Book, Ledger, Sources
    from scsim.core.state import State


@dataclass
class Today:
    """What the steps of one day share: the day, the epoch's parameters, which regions
    have started, the state, the day's counters and the provenance ledger. ``acts`` is set
    by behave (what today's acts depend on; observe and report draw them again)."""

    day: int
    p: Params
    started: np.ndarray  # uint8 per region: 1 once the region's start day has come
    seed: int
    state: State
    tally: Tally
    last_day: bool
    acts: Any = None
    provenance: Any = None  # set by outputs.provenance: the day's points by source, causes
    ledger: Ledger | None = None  # the run's provenance ledger (core.source)
    trace: Any = None  # outputs.casefile.CaseFiles while agents are traced (else None)

    def traced(self) -> tuple[np.ndarray, bool]:
        """What the serial passes that log events get: the traced agents' flags (uint8 per
        agent; empty when nobody is traced) and whether every error is logged, traced or
        not (``--trace-wrongful``, ``--trace-listed``: a case file opening later starts
        with them)."""
        if self.trace is None:
            return NOT_TRACED, False
        return self.trace.flags, self.trace.opens_later

    def key(self, purpose: str) -> np.uint64:
        """The random stream of ``purpose`` today (see core.rng)."""
        return stream_key(self.seed, purpose, self.day)

    def book(self, sources: Sources) -> Book:
        """What the kernels of the mechanism booking to ``sources`` book points with
        (``core.source.Book``)."""
        return self.ledger.view(self.state.agents, sources)


class Step:
    """Base of the steps of ``core.plan.DAY_PLAN``; one instance per run (it may keep
    what it carries from day to day)."""

    name: ClassVar[str]  # phase name, as the profile prints it (set by its Mechanism)
    section: ClassVar[str] = ""  # scenario section(s) it reads (set by its Mechanism)
    kernels: ClassVar[tuple] = ()  # its numba kernels, in call order
    counters: ClassVar[Counters | None] = None
    reports: ClassVar[bool] = False  # records the day's results (skipped during a warm-up)

    def __init__(self, sim: Any) -> None:
        self.sim = sim

    @classmethod
    def on(cls, p: Params) -> bool:
        """Whether the step does anything with these parameters (off: skipped): the ``on``
        of its mechanism's record."""
        return bool(getattr(p, cls.name).on)

    def run(self, t: Today) -> None:
        raise NotImplementedError

    @classmethod
    def kernel_names(cls) -> list[str]:
        return [k.__name__ if hasattr(k, "__name__") else k.py_func.__name__
                for k in cls.kernels]
