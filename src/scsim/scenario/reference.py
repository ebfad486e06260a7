"""The scenario reference (every key, its type, unit, default and meaning) generated from
the schema and a default scenario, so the documentation cannot drift from what is
validated. Units come from each field's metadata (``scenario.section.meta``), declared with
the field in its mechanism module."""

from __future__ import annotations

import re
import types
import typing
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from scsim.scenario.paths import parse_path
from scsim.scenario.schema import Scenario, section_model
from scsim.scenario.section import field_unit


def _type(annotation, metadata=()) -> str:
    """A short human name for a field's type, with its bounds."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0], args[1:])
    if origin in (typing.Union, types.UnionType):
        parts = [_type(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if origin is Literal:
        return " / ".join(str(a) for a in args)
    if annotation is Any:
        return "any value"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    name = getattr(annotation, "__name__", str(annotation))
    bounds = []
    for meta in metadata:
        for item in getattr(meta, "metadata", [meta]):
            if getattr(item, "pattern", None):
                name = "name"
            for attr, sym in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
                value = getattr(item, attr, None)
                if value is not None:
                    bounds.append(f"{sym} {value:g}")
    return name + (f" ({', '.join(bounds)})" if bounds else "")


def show_value(value: Any, cut: int | None = 60) -> str:
    """A setting's value as a scenario file (and ``--set``) writes it: true/false, null,
    numbers (whole ones without ".0"), flow-style lists and mappings (cut at ``cut``
    characters; None: whole, to be pasted back)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, list | dict):
        if not value:
            return "[]" if isinstance(value, list) else "{}"
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value] \
            if isinstance(value, list) else {k: v.model_dump(mode="json") if isinstance(
                v, BaseModel) else v for k, v in value.items()}
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        return text if cut is None or len(text) <= cut else text[:cut - 3] + "…"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 550, as a user writes it, not 550.0
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(
        value)


def as_assignments(values: dict[str, Any]) -> str:
    """Settings (dotted path -> value) as ``--set`` takes them back, each whole:
    'days=40 timeline=[{day: 3, set: {listing.threshold: 500}}]'."""
    return " ".join(f"{path}={show_value(value, cut=None)}" for path, value in values.items())


def timeline_in_words(steps: list) -> str:
    """A timeline, every step and key in full (``show_value`` cut it at 60 characters,
    where the difference between two timelines often lies): 'day 182: listing.enabled
    true; day 270: listing.appeals.enabled true'; 'no timeline' for none."""
    said = []
    for step in steps:
        step = step.model_dump(mode="json") if isinstance(step, BaseModel) else step
        keys = ", ".join(f"{key} {show_value(value)}" for key, value in step["set"].items())
        said.append(f"day {step['day']}: {keys}")
    return "; ".join(said) if said else "no timeline"


def show_setting(path: str, value: Any) -> str:
    """A setting's value in words for a list of what B changes: a timeline in full
    (``timeline_in_words``), any other value as ``show_value`` writes it."""
    return timeline_in_words(value) if path == "timeline" else show_value(value)


def _kind(annotation, model) -> str:
    """What a field holding sections is, in words: 'list of corporate events', 'mapping of
    name to channel', 'section'."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()  # CorporateEvent
    origin = typing.get_origin(annotation)
    if origin is list or "list[" in str(annotation):
        return f"list of {words}s"
    if origin is dict or "dict[" in str(annotation):
        return f"mapping of name to {words}"
    return "section"


def reference_markdown() -> str:
    """One table per section, in schema order: key, type, unit, default, meaning."""
    out: list[str] = []

    def section(model: type[BaseModel], path: str, instance: BaseModel | None) -> None:
        rows, children = [], []
        for name, field in model.model_fields.items():
            sub = section_model(field.annotation)
            key = f"{path}.{name}" if path else name
            if instance is not None:
                default = getattr(instance, name)
            elif field.default is PydanticUndefined and field.default_factory is None:
                default = "required"
            else:
                default = field.get_default(call_default_factory=True)
            if sub is not None:
                kind = _kind(field.annotation, sub)
                shown = "see below" if kind == "section" else show_value(default)
                inner = default if kind == "section" else None
                children.append((sub, key + ("" if kind == "section" else "[]"), inner))
            else:
                kind = _type(field.annotation, field.metadata)
                shown = default if default == "required" else show_value(default)
            rows.append(f"| `{key}` | {kind} | {field_unit(field)} | {shown} | "
                        f"{field.description or ''} |"
                        .replace("\n", " "))
        out.append(f"#### `{path or 'top level'}`\n")
        out.append("| key | type | unit | default | meaning |\n|---|---|---|---|---|")
        out.extend(row.replace("||", "|") for row in rows)
        out.append("")
        for sub, key, inner in children:
            section(sub, key, inner)

    section(Scenario, "", Scenario())
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown())


PLAIN_NAMES = {"surveillance.misattribution": "false-match rate",
               "surveillance.misattribution_factor": "false-match rate factor"}
"""Settings whose last two keys do not say what they are to a reader ("Raising the
surveillance misattribution from 0.001 to 0.01", a teacher quoted): as the dashboard's
levers name them."""


def setting_name(path: str) -> str:
    """A scenario setting in words: 'scoring.association.listed_penalty' -> 'association
    listed penalty', 'sanctions.enabled' -> 'sanctions', 'surveillance.misattribution' ->
    'false-match rate' (``PLAIN_NAMES``)."""
    plain = next(((name, path[len(key) + 1:]) for key, name in PLAIN_NAMES.items()
                  if path == key or path.startswith(key + ".")), None)
    if plain is not None:  # the rest of the path says whose: "(minority)"
        return plain[0] + (f" ({plain[1].replace('_', ' ')})" if plain[1] else "")
    words = [k for k in parse_path(path) if isinstance(k, str) and k != "enabled"]
    return " ".join(words[-2:]).replace("_", " ")


def setting_unit(path: str) -> str:
    """The unit a scenario setting declares ('' when none or not a schema field)."""
    model: Any = Scenario
    field, skip = None, False
    for key in parse_path(path):
        if isinstance(key, int) or skip:  # a list position, or an item's name
            skip = False
            continue
        field = model.model_fields.get(key) if model is not None else None
        if field is None:
            return ""
        model = section_model(field.annotation)
        skip = model is not None and _holds_items(field.annotation)
    return field_unit(field) if field is not None else ""


PERCENT_OF = {"surveillance.misattribution": "camera sightings",
              "surveillance.channels.camera.coverage": "acts in view of cameras",
              "shaming.probability": "newly listed people"}
"""What a setting's share is a percentage of, where its unit says less than a reader needs
("probability per sighting" is "% of sightings"; the false-match rate is "% of camera
sightings"): as the dashboard's levers say it, which take their units from here."""


def percent_unit(path: str) -> str | None:
    """What follows a setting's value written as a percentage ('% of camera sightings', '%
    of transactions', '%'), or None when the setting is not read as one. From the unit the
    schema declares (``setting_unit``): a probability per event (per sighting, act,
    transaction, listing...) is the percentage of those events ('% of sightings'); a bare
    probability, of the one event it is about (an appeal won, a report accepted), is '%';
    a share of something ('share of agents', 'share of revenue') is '% of' it. Not read as
    a percentage: a probability or share per day (a chance each day, or the share of a gap
    closed each day, which compounds over the days: no percentage of events), a rate of
    acts or attempts per day, which can exceed 1, and multipliers, weights, quantiles and
    points."""
    if path in PERCENT_OF:
        return f"% of {PERCENT_OF[path]}"
    unit = setting_unit(path)
    if unit == "probability":
        return "%"
    if unit.startswith("probability per ") and not unit.endswith(" per day"):
        event = unit.removeprefix("probability per ")
        return f"% of {event}{'es' if event.endswith(('s', 'sh', 'ch', 'x')) else 's'}"
    if unit.startswith("share of "):
        return f"% of {unit.removeprefix('share of ')}"
    return None


PRECISION = 12
"""Significant digits of a percentage made from a share (``as_percent``), as the dashboard's
page rounds one (``toPrecision(12)``): 0.1 + 0.2 is 30 %, not 30.000000000000004 %."""


def as_percent(share: str | float) -> str | None:
    """A share (0.001, or its text "0.001") as a percentage without the sign ("0.1"; "30"
    for 0.3), to ``PRECISION`` significant digits, so that a float's noise goes (0.0057 is
    "0.57"; 0.1 + 0.2, 0.30000000000000004, is "30"); None when it is not a number."""
    if isinstance(share, bool):
        return None
    try:
        with localcontext() as context:
            context.prec = PRECISION
            number = Decimal(str(share).strip()) * 100  # rounded to PRECISION digits
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


PERCENT = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*$")
"""A percentage as a person types it: "0.1 %", "0.1%", "30 %"."""


def share_of(text: str) -> float | None:
    """A percentage typed ("0.1 %", "0.1%") as the share it is (0.001, exactly as
    ``--set`` would take "0.001"); None when the text is not a percentage."""
    found = PERCENT.match(str(text))
    if found is None:
        return None
    return float(format((Decimal(found.group(1)) / 100).normalize(), "f"))


def typed_share(value: Any) -> str:
    """A share as it is typed back into ``--set`` or a scenario, in digits without an
    exponent (0.001; 1e-05 is "0.00001"; 1.0 is "1"); any other value as ``show_value``
    writes it (null)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return show_value(value)
    return format(Decimal(repr(value)).normalize(), "f")


NOT_SET = "not set"
"""A setting's null said to a reader (a listing threshold of null: nobody is listed by
score), not the scenario file's "null"."""


def _is_number_text(text: str) -> bool:
    """Whether a value's text ("0.001", "550", "null") is a finite number."""
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def change_in_words(path: str, was: str | None, now: str, name: str | None = None,
                    unit: str | None = None, switch: bool = False) -> str:
    """A setting as every list of what a run or question changes says it: its ``name``
    (lower case, for the middle of a sentence; ``setting_name`` when not given), its value
    (``now``) or its change (``was`` → ``now``) with its ``unit`` (``setting_unit`` when
    not given; a probability or share per event, ``percent_unit``, as a percentage), and
    the setting as it is typed after it: "false-match rate 0.1 % → 1 % of camera
    sightings (surveillance.misattribution: 0.001 → 0.01)", "listing threshold 550 →
    650 points (listing.threshold)", "public shaming off → on (shaming.enabled)" (a
    ``switch``, or a setting ``...enabled``, is on or off), "listing threshold not set →
    650 points (listing.threshold)". ``was`` and ``now`` are texts as the scenario
    writes values (``show_value``: "0.001", "true", "null"); a value that is no number
    keeps its text, without the unit."""
    name = setting_name(path) if name is None else name
    values = [v.strip() for v in ([now] if was is None else [was, now])]
    typed = values[-1] if was is None else f"{values[0]} → {values[1]}"
    percent = percent_unit(path)
    if switch or (path.endswith("enabled") and all(v in ("true", "false") for v in values)):
        said = " → ".join({"true": "on", "false": "off"}.get(v, v) for v in values)
        return f"{name} {said} ({path})"
    if percent is not None and any(_is_number_text(v) for v in values):
        said = " → ".join(f"{as_percent(v)} %" if _is_number_text(v) else
                          NOT_SET if v == "null" else v for v in values)
        unit = unit if unit is not None else percent
        said = said.removesuffix(" %") + f" {unit}" if said.endswith(" %") else said
        shown = f"{path}={typed}" if was is None else f"{path}: {typed}"
        return f"{name} {said} ({shown})"
    unit = setting_unit(path) if unit is None else unit
    said = " → ".join(NOT_SET if v == "null" else v for v in values)
    if unit and _is_number_text(values[-1]) and not name.endswith(unit):
        said = f"{said} {unit_of(Decimal(values[-1]), unit)}"
    return f"{name} {said} ({path})"


def unit_of(value: Any, unit: str) -> str:
    """``unit`` after ``value``: its first word in the singular for 1 ("1 point per day per
    listed contact", "2 points per day ...")."""
    first = unit.split(" ")[0]
    if value == 1 and first.endswith("s"):
        return unit.replace(first, first[:-1], 1)
    return unit


def setting_label(path: str) -> str:
    """A setting for a chart's axis: its name in words and its unit."""
    unit = setting_unit(path)
    return setting_name(path) + (f" ({unit})" if unit else "")


def _holds_items(annotation: Any) -> bool:
    """Whether a field's type is a list or mapping (of sections)."""
    if typing.get_origin(annotation) in (list, dict):
        return True
    return any(_holds_items(a) for a in typing.get_args(annotation))
