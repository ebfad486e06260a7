"""What every scenario section is built from: the base class, the shared field types and
the metadata (unit, source) each field carries.

Mechanism modules (src/scsim/mechanisms/) declare their own sections from these;
scenario/schema.py composes them into the ``Scenario``.
"""

from __future__ import annotations

import functools
import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from scsim.errors import ScenarioError
from scsim.scenario.paths import format_path

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0)]
Days = Annotated[int, Field(ge=0)]


def meta(unit: str, source: str) -> dict[str, Any]:
    """A field's ``json_schema_extra``: its unit and the MODEL.md section (or seed) it
    comes from, e.g. ``meta("points per day", "MODEL.md: One day, 4. Score")``."""
    return {"unit": unit, "source": source}


def field_unit(field) -> str:
    """The unit a field declares ('' when none)."""
    extra = field.json_schema_extra
    return extra.get("unit", "") if isinstance(extra, dict) else ""


class Section(BaseModel):
    """Base of every section: unknown keys rejected, NaN and infinities rejected. Assigning
    a field validates the value (``validate_assignment``): a bad one is refused at once
    with a ScenarioError in the loader's words, naming the field's path in the scenario
    (``listing.threshold: must be a number, got 'abc'``), and the field keeps its value.
    The rules across fields (``schema.consistency_problems``: scoring.min below
    scoring.max...) are checked when the scenario runs (``loader.as_scenario``), so that
    two fields can be changed one after the other; so are lists and mappings changed in
    place (``sc.behaviours.append(...)``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True,
                              validate_assignment=True)
    # Where the section is in its scenario (``("population", "conformity")``,
    # ``("behaviours", 3)``; ``place``), for the problems of an assignment: a slot, not a
    # pydantic private attribute, which would cost a call into Python for every section
    # built (loading high-control: 15 -> 21 ms) and take part in ``==``. Kept by copies
    # and pickles of the section.
    __slots__ = ("_at",)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
            return
        at = where(self)
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            from scsim.scenario.loader import assignment_problems

            raise ScenarioError(assignment_problems(exc.errors(), at)) from None
        place(self.__dict__[name], (*at, name))

    def __copy__(self):
        copied = super().__copy__()
        _object_setattr(copied, "_at", where(self))
        return copied

    def __deepcopy__(self, memo: dict | None = None):
        copied = super().__deepcopy__(memo)
        _object_setattr(copied, "_at", where(self))
        return copied

    def __getstate__(self) -> dict[Any, Any]:
        return {**super().__getstate__(), "_at": where(self)}

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        _object_setattr(self, "_at", state.get("_at", ()))

    @field_validator("*", mode="before")
    @classmethod
    def _no_truth_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """true or false where a number is due is refused, as "abc" is: pydantic reads them
        as 1 and 0 (`--set listing.threshold=true` ran with a threshold of 1), also as the
        items of a list of numbers."""
        kind = _number_kind(cls.model_fields[info.field_name].annotation)
        items = value if isinstance(value, list) and kind and kind.endswith("s") else [value]
        if kind and any(isinstance(v, bool) for v in items):
            kind = kind.rstrip("s")
            raise PydanticCustomError(f"{kind}_type", "a {kind}, not true or false",
                                      {"kind": kind})
        return value


_object_setattr = object.__setattr__


def where(section: Section) -> tuple:
    """The path of ``section`` in its scenario (``place``); () when it was never placed."""
    try:
        return object.__getattribute__(section, "_at")
    except AttributeError:
        return ()


def place(value: Any, at: tuple) -> None:
    """Tell the sections in ``value`` (a section, or a list or mapping of them) where they
    are in their scenario (``Section._at``), ``value`` being at ``at``."""
    if isinstance(value, Section):
        _object_setattr(value, "_at", at)
        fields = value.__dict__
        for name in _holding_sections(type(value)):
            place(fields[name], (*at, name))
    elif isinstance(value, list):
        for k, item in enumerate(value):
            if isinstance(item, Section):
                place(item, (*at, k))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, Section):
                place(item, (*at, key))


@functools.cache
def _holding_sections(cls: type[Section]) -> tuple[str, ...]:
    """The fields of ``cls`` whose values may be or hold sections (``place`` looks no
    further: a list of 10,000 region weights is not walked)."""
    return tuple(name for name, field in cls.model_fields.items()
                 if _has_section(field.annotation))


def _has_section(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_has_section(arg) for arg in typing.get_args(annotation))


def _number_kind(annotation: Any) -> str | None:
    """'float' or 'int' for a field that takes a number (and not true or false), 'floats'
    or 'ints' for a list of them; None for any other field."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return _number_kind(args[0])
    if annotation is bool or bool in args:
        return None
    if annotation in (float, int):
        return annotation.__name__
    if typing.get_origin(annotation) is list and args:
        inner = _number_kind(args[0])
        return inner + "s" if inner in ("float", "int") else None
    kinds = {_number_kind(a) for a in args} - {None}
    return kinds.pop() if len(kinds) == 1 else None


class LogNormal(Section):
    """A positive quantity drawn once per agent, or per company (log-normal): its average
    over them (arithmetic mean) and how much they differ (the sd of its logarithm)."""

    mean: Annotated[float, Field(ge=0.0)] = Field(
        1.0, description="average over the agents (or companies) it is drawn for "
        "(arithmetic mean)")
    sigma: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        0.5, description="how much they differ, as the sd of its logarithm: 0 all equal; "
        "0.5 one in ten above 1.9 times the typical value; 1 above 3.6 times")


# --- settings that do nothing (scenario.advice) ----------------------------------------------
#
# A mechanism declares rules (``Mechanism.advice``) that find a setting that does nothing: a
# switch on while a value it needs is left at a default that does nothing (shaming on, its
# probability 0), or values set under a switch left off by default. A rule is called with
# the scenario in force from some day on and the keys its author wrote (``Written``), and
# answers True when the mechanism works in that scenario, None when it does not apply (off
# on purpose, a nullifying value written on purpose: a sweep down to 0), or an ``Advice``.


class Written:
    """The keys a scenario's author wrote (in the file, its bases, an override or a timeline
    step so far), as paths (``("shaming", "enabled")``) with every prefix; keys left out take
    their defaults. ``own``: those of them written by the file itself (or the mapping),
    its overrides and timeline, not inherited from a ``base:`` (default: all of them)."""

    def __init__(self, paths, own=None) -> None:
        self.paths = frozenset(paths)
        self.own = self.paths if own is None else frozenset(own)

    def __call__(self, *path) -> bool:
        """Was ``path`` (or a key under it) written?"""
        return tuple(path) in self.paths

    def by_author(self, *path) -> bool:
        """Was ``path`` (or a key under it) written by the file itself, not its base?"""
        return tuple(path) in self.own

    def first(self, section: tuple, keys) -> tuple:
        """The first of ``keys`` written in ``section`` (where to point the author), else
        the section itself."""
        return next(((*section, k) for k in keys if self(*section, k)), section)


Advice = tuple[tuple, str]  # (path of the key the author wrote, the whole sentence)


def overridden(written: Written, key: tuple, by: tuple, state: str, does: str,
               to_set: str) -> Advice | None:
    """The advice for ``key``, written by the author, while ``by`` (``state``: "is 0")
    makes it do nothing (``does``: what will not happen), naming ``to_set``; None when the
    author did not write ``key``, or wrote ``by`` himself: a value he gives next to the one
    it overrides is meant (a switch he turns off, a sweep's end)."""
    if not written.by_author(*key) or written.by_author(*by):
        return None
    why = "in the scenario it starts from" if written(*by) else "its default"
    return key, (f"{format_path(key)} is set but {format_path(by)} {state} ({why}), so "
                 f"{does}: set {to_set}")


def left_at_default(section: str, keys: tuple[str, ...], on, works, sentence: str,
                    point_at: tuple[str, ...] = ("enabled",)):
    """The rule of a mechanism switched on (``on(sc)``) while its values ``keys`` of
    ``section`` (a dotted path) are left at defaults under which it does nothing
    (``works(sc)`` false): shaming on with its probability left at 0. The advice points at
    the first of ``point_at`` written in the section (else the section itself) and says
    ``sentence``; one of ``keys`` written, even with the default value, is meant (a sweep
    down to 0), and so is a section left out altogether."""
    path = tuple(section.split("."))

    def rule(sc, written: Written) -> bool | Advice | None:
        if not on(sc):
            return None
        if works(sc):
            return True
        if not written(*path) or any(written(*path, key) for key in keys):
            return None
        return written.first(path, point_at), sentence

    rule.__name__ = f"{path[-1]}_left_at_default"
    return rule


def switched_off(section: str, does: str, keys: tuple[str, ...] | None = None):
    """The rule of a section's switch: some of its ``keys`` (default: all but ``enabled``)
    written by the author while ``enabled`` is false by default, or by a base scenario
    (``shaming.probability`` set on national-800, which switches shaming off), so that
    nothing they say happens. ``section``: a dotted path; ``does``: what would not happen
    ("nobody will be detained"). A switch the author turns off himself is meant."""
    path = tuple(section.split("."))

    def rule(sc, written: Written) -> bool | Advice | None:
        sec = sc
        for key in path:
            sec = getattr(sec, key)
        if sec.enabled:
            return True
        given = [k for k in (keys or type(sec).model_fields) if k != "enabled"
                 and written.by_author(*path, k)]
        return overridden(written, (*path, given[0]), (*path, "enabled"), "is false", does,
                          f"{section}.enabled: true") if given else None

    rule.__name__ = f"{path[-1]}_switched_off"
    return rule
