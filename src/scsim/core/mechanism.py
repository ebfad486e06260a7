"""A mechanism declares itself once, at the end of its own module::

    MECHANISM = Mechanism(
        name="shunning",                          # its phase, Params record and profile name
        sections={"shunning": (Shunning, "businesses refuse the listed")},
        compile=compile_shunning,                 # (scenario, names) -> record with ``on``
        step=ShunningStep,                        # runs its kernels for one day
        place=after("sanction"),                  # or a number: where it runs in the day
        metrics=METRICS, metrics_after="pariahs", # its metric columns, and where they go
        in_use=enabled,                           # off by default: columns only when used
        sources=SOURCES,                          # the sources of points it books to
    )

and the core composes every declaration it finds in the ``scsim.mechanisms`` package
(``mechanisms()``, modules in name order, then put in day order) into the scenario schema
(``scenario.schema.Scenario``: one optional section per key of ``sections``), the compiled
parameters (``core.params.Params``: one record per mechanism, named ``name``), the day plan
(``core.plan.DAY_PLAN``) and the metrics table (``outputs.metrics.LAYOUT``). Adding a
mechanism is adding a module; nothing else names it.

"Is this mechanism on?" has one answer per mechanism: the ``on`` field of the record its
``compile`` returns (compile folds the section's ``enabled`` switch and anything else that
makes the step a no-op into it); the step is skipped on days its record says off.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scsim.core.metric import Metric, PerName

if TYPE_CHECKING:
    from scsim.core.params import Names
    from scsim.core.source import Sources
    from scsim.core.step import Step
    from scsim.scenario.schema import Scenario

PACKAGE = "scsim.mechanisms"


@dataclass(frozen=True)
class After:
    """Runs right after mechanism ``name`` (see ``after``)."""

    name: str


def after(name: str) -> After:
    """A ``place`` in the day: right after mechanism ``name`` (after any mechanism placed
    there before it, in module-name order)."""
    return After(name)


@dataclass(frozen=True)
class Columns:
    """A block of metric columns placed right after column ``after`` (a metric's declared
    name, e.g. ``"privilege_{}"``), for a mechanism whose columns are not all in one place.
    ``Columns("reported_{}", TIERS, GROUP_TABLE)``."""

    after: str
    items: tuple[Metric | PerName, ...]

    def __init__(self, after: str, *items: Metric | PerName):
        object.__setattr__(self, "after", after)
        object.__setattr__(self, "items", items)


@dataclass(frozen=True)
class Mechanism:
    """One mechanism of the model, as its module declares it (see the module docstring).

    ``sections``: scenario key -> (section model or ``list[Item]``, description); each key is
    optional in a scenario, defaulting to the model's defaults (an empty list for a list).
    ``compile(sc, names)``: the record the kernels read, a NamedTuple whose ``on`` says
    whether the step runs. ``place``: a number (the built-in steps are 10, 20, ... 90 in
    MODEL.md's order) or ``after("name")``. ``metrics``: its metric declarations, placed
    together right after column ``metrics_after`` (None: at the end of the table); a
    ``Columns`` item goes after its own anchor. ``in_use(sc)``: for a mechanism that is off
    by default, whether a scenario switches it on; its metric columns then appear only in
    runs of scenarios that do (in some epoch of their timeline), so that adding it changes
    no existing output. ``check(sc)``: rules across fields, as (path, message) pairs.
    ``advice``: rules that find a setting that does nothing (``scenario.section.Written``),
    reported as warnings (``scenario.advice``).
    ``sources``: the sources of points it books to (``core.source.Sources``).
    ``state_bytes(sc)``: bytes per agent of the state its step keeps besides
    ``core.state.AGENT_ARRAYS`` (counted by ``core.memory``).
    ``errs(sc)``: for a mechanism with an ``error`` source (or one that keeps points off
    the recorded score only, as impunity does), whether scenario ``sc`` lets that happen
    (when none can, in any epoch, the error-free score is the recorded one and the score
    phase does not compute it apart: ``Names.errors``).
    ``arrays``: agent arrays (``core.state.AGENT_ARRAYS``) that only this mechanism's
    acting (or that of the other mechanisms naming them) reads or moves from their start,
    and ``arrays_used(sc)`` whether scenario ``sc`` lets it act so; when no epoch lets any
    of them, the state keeps no rows of them (``Names.unused_arrays``, ``core.state.
    short_arrays``)."""

    name: str
    sections: dict[str, tuple[Any, str]]
    compile: Callable[[Scenario, Names], Any]
    step: type[Step]
    place: int | After
    metrics: tuple[Metric | PerName | Columns, ...] = ()
    metrics_after: str | None = None
    in_use: Callable[[Scenario], bool] | None = None
    check: Callable[[Scenario], list[tuple[tuple, str]]] | None = None
    advice: tuple[Callable[..., Any], ...] = ()
    state_bytes: Callable[[Scenario], float] | None = None
    sources: Sources | None = None
    errs: Callable[[Scenario], bool] | None = None
    arrays: tuple[str, ...] = ()
    arrays_used: Callable[[Scenario], bool] | None = None
    module: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        step = self.step
        step.name = self.name
        step.section = ", ".join(self.sections)
        if not self.module:
            object.__setattr__(self, "module", step.__module__)
        if self.sources is not None and self.errs is None and any(
                s.error for s in self.sources.declared):
            raise ValueError(f"mechanism {self.name} declares an error source: it needs "
                             "errs(sc), whether a scenario lets that error happen")
        if self.arrays and self.arrays_used is None:
            raise ValueError(f"mechanism {self.name} names agent arrays of its own: it "
                             "needs arrays_used(sc), whether a scenario lets it use them")

    def column_blocks(self) -> list[tuple[str | None, tuple[Metric | PerName, ...]]]:
        """Its metric columns as (anchor, items) blocks."""
        plain = tuple(m for m in self.metrics if not isinstance(m, Columns))
        blocks = [(self.metrics_after, plain)] if plain else []
        return blocks + [(c.after, c.items) for c in self.metrics if isinstance(c, Columns)]

    def section_fields(self) -> dict[str, tuple[Any, Any]]:
        """Its scenario sections as pydantic ``create_model`` field definitions."""
        from pydantic import Field

        out = {}
        for key, (annotation, description) in self.sections.items():
            origin = typing.get_origin(annotation)
            factory = origin if origin in (list, dict) else annotation
            out[key] = (annotation, Field(default_factory=factory, description=description))
        return out


def day_order(found: list[Mechanism]) -> tuple[Mechanism, ...]:
    """Numbered mechanisms by number (then name); each ``after(x)`` one right after x and
    after any other already placed after x."""
    names = [m.name for m in found]
    if len(names) != len(set(names)):
        raise ValueError(f"two mechanisms share a name: {sorted(names)}")
    order = sorted((m for m in found if not isinstance(m.place, After)),
                   key=lambda m: (m.place, m.name))
    pending = sorted((m for m in found if isinstance(m.place, After)), key=lambda m: m.name)
    tail: dict[str, str] = {}  # anchor -> the last mechanism placed after it
    while pending:
        placed = [m for m in pending if m.place.name in {o.name for o in order}]
        if not placed:
            raise ValueError("mechanisms placed after unknown ones: " + ", ".join(
                f"{m.name} after {m.place.name!r}" for m in pending))
        for m in placed:
            anchor = m.place.name
            k = next(i for i, o in enumerate(order) if o.name == tail.get(anchor, anchor))
            order.insert(k + 1, m)
            tail[anchor] = m.name
            pending.remove(m)
    return tuple(order)


@functools.cache
def mechanisms() -> tuple[Mechanism, ...]:
    """Every ``MECHANISM`` declared by a module of ``scsim.mechanisms`` (modules without one
    are helpers), in day order. Modules are imported in name order, so the result does not
    depend on the file system."""
    package = importlib.import_module(PACKAGE)
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{PACKAGE}.{info.name}")
        declared = getattr(module, "MECHANISM", None)
        if declared is not None:
            found.append(declared)
    return day_order(found)


def mechanism(name: str) -> Mechanism:
    """The mechanism called ``name``."""
    for m in mechanisms():
        if m.name == name:
            return m
    raise KeyError(f"no mechanism {name!r} (known: {', '.join(m.name for m in mechanisms())})")
