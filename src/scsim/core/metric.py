"""Metric declarations: each column of the metrics table is declared once, by the
mechanism that produces it, with its unit, kind and meaning.

Kinds: ``level`` (a state on the day: listed now, mean score; compared at the final day),
``count`` (events of the day: new listings, blocked tickets; compared as totals over the
run) and ``rate`` (a per-day flow that is not a count of events, e.g. tax revenue per day;
also totalled). ``per`` makes one column per name of a scenario (behaviours, tiers,
groups...): the name is then a template, ``"acts_{}"``.

``outputs.metrics.LAYOUT`` composes the declarations into the table, in column order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["level", "count", "rate"]
KINDS = ("level", "count", "rate")


@dataclass(frozen=True)
class Metric:
    """One column (or, with ``per``, one column per name) of the metrics table.

    ``value(m)`` computes it from the day's measurement ``m`` (outputs.metrics.Measure:
    ``m.tally``, ``m.p``, ``m.names``, ``m.state``, ``m.n``...); with ``per`` it returns one
    value per name. ``None`` (or no ``value``): the cell stays NaN that day."""

    name: str
    unit: str
    kind: Kind
    description: str
    label: str = ""  # for people: charts, summary; default the name with spaces
    headline: bool = False  # shown first in paired comparisons
    per: str | None = None  # attribute of Names: behaviours, privileges, tiers, groups...
    value: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    mechanism: str = ""  # the declaring module (filled in automatically)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if (self.per is None) == ("{}" in self.name):
            raise ValueError(f"metric {self.name}: a per-name metric is a template with {{}}")
        if not self.mechanism:
            module = sys._getframe(2).f_globals.get("__name__", "")
            object.__setattr__(self, "mechanism", module.rsplit(".", 1)[-1])
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("{}", "NAME").replace("_", " "))

    @property
    def prefix(self) -> str:
        """What every column of a per-name metric starts with (``acts_``)."""
        return self.name.split("{}")[0]

    def columns(self, names) -> list[str]:
        if self.per is None:
            return [self.name]
        return [self.name.format(x) for x in getattr(names, self.per)]


@dataclass(frozen=True)
class PerName:
    """Per-name metrics interleaved name by name (``acts_a, seen_a, acts_b, seen_b``)."""

    per: str
    metrics: tuple[Metric, ...]

    def __init__(self, per: str, *metrics: Metric):
        object.__setattr__(self, "per", per)
        object.__setattr__(self, "metrics", metrics)

    def columns(self, names) -> list[str]:
        return [m.name.format(x) for x in getattr(names, self.per) for m in self.metrics]


def counter(name: str) -> Callable[[Any], int]:
    """A metric's ``value``: the day's total of counter ``name``."""
    return lambda m: m.tally.count(name)
