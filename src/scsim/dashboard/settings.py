"""The question the browser asks: a scenario source (a built-in name or a stored run's
scenario), the main levers, any other settings, agents, days and seed, turned into a
validated Scenario with the same messages as ``scsim validate``.

Nothing from the browser is a file path or SQL: a source is a built-in name or the id of a
run in the dashboard's store, and settings that name files (``network.path``, ``base``) are
refused. The "all settings" panel lists every leaf of the scenario (``leaves``), generated
from the schema with its unit and meaning."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from pydantic import BaseModel

from scsim.errors import ScenarioError, ScsimError
from scsim.outputs.words import spoken
from scsim.scenario.diff import SIZE_PATHS
from scsim.scenario.loader import builtin_names, load_advised, parse_assignment
from scsim.scenario.paths import format_path, parse_path
from scsim.scenario.reference import percent_unit, share_of
from scsim.scenario.schema import Scenario
from scsim.scenario.section import field_unit
from scsim.store import RunStore

FILE_SETTINGS = (("network", "path"), ("base",))  # settings that name a file on the server
# The question's own boxes: what they set, their label, their smallest value. They own
# these settings, which "all settings" leaves out (SIZE_PATHS).
BOXES = {"agents": (("population", "agents"), "Agents", 2), "days": (("days",), "Days", 1)}


@dataclass(frozen=True)
class Source:
    """Where a question starts: ``kind`` "builtin" (``ref`` a built-in name) or "run"
    (``ref`` a run id of the store: that run's resolved scenario)."""

    kind: str
    ref: str

    @classmethod
    def of(cls, body: dict) -> Source:
        src = body.get("source") or {}
        kind, ref = (src.get("kind"), str(src.get("ref", ""))) if isinstance(src, dict) else (
            None, "")
        if kind not in ("builtin", "run"):
            raise ScsimError("a scenario source is a built-in scenario or a stored run")
        return cls(kind, ref)

    def data(self, store: RunStore) -> dict | str:
        """What ``load_scenario`` starts from: a built-in name, or a stored run's scenario
        as a mapping."""
        if self.kind == "builtin":
            if self.ref not in builtin_names():
                raise ScsimError(f"no built-in scenario '{self.ref}'")
            return self.ref
        folder = store.path(self.ref)
        return yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))


def whole(value: Any, label: str, low: int, high: int | None = None) -> int:
    """What a number box holds (its text, or a number) as a whole number from ``low`` to
    ``high``, else a ScsimError in plain words (``1e4`` is 10,000; ``1.5``, an empty box
    and ``-1`` for a seed are refused, never rounded; what is not a number at all, such as
    ``e``, is said without echoing it: "Days must be a whole number of 1 or more")."""
    span = f"from {low:,} to {high:,}" if high is not None else f"of {low:,} or more"
    text = "" if value is None else str(value).strip()
    if not text:
        raise ScsimError(f"{label}: empty; type a whole number {span}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():  # e.g. what a number box could not read ("e")
        raise ScsimError(f"{label} must be a whole number {span}")
    if number.adjusted() > 30:  # nothing so big fits anyway
        shown = text if len(text) <= 24 else f"{text[:8]}…{text[-4:]} ({len(text):,} digits)"
        raise ScsimError(f"{label}: {shown} is too big; type a whole number {span}")
    if number != number.to_integral_value():
        raise ScsimError(f"{label}: {text} is not a whole number; type a whole number {span}")
    out = int(number)
    if out < low or (high is not None and out > high):
        raise ScsimError(f"{label}: {out:,} is out of range; type a whole number {span}")
    return out


def names_a_file(path: tuple) -> bool:
    """Whether a setting's path is (or is inside) one that names a file (``FILE_SETTINGS``)."""
    return any(tuple(path[:len(f)]) == f for f in FILE_SETTINGS)


def _mapping(body: dict, name: str) -> dict:
    """The request's ``name`` ({setting: value}), or a ScsimError when it is no mapping."""
    value = body.get(name) or {}
    if not isinstance(value, dict):
        raise ScsimError(f"'{name}' must map settings to values, e.g. "
                         '{"listing.threshold": 600}')
    return value


def overrides_of(body: dict) -> dict[tuple, Any]:
    """The settings of a request as {path: value}: ``levers`` (typed values) and
    ``settings`` (text, read as YAML as ``--set`` reads it; a probability or share per
    event, which the page and ``scsim compare``'s headline say as a percentage
    (``reference.percent_unit``), also takes one: "0.1 %" is 0.001), then the
    boxes ``agents`` and ``days`` (``BOXES``, whole numbers); a ScenarioError lists every
    problem."""
    out: dict[tuple, Any] = {}
    problems: list[str] = []
    for key, value in _mapping(body, "levers").items():
        out[parse_path(str(key))] = value
    for key, text in _mapping(body, "settings").items():
        if str(key) in SIZE_PATHS:
            box = next(label for path, label, _ in BOXES.values() if format_path(path) == key)
            problems.append(f"{key}: set it in the {box} box")
        elif not str(text).strip():
            problems.append(f"{key}: empty; type a value (undo the change to keep the "
                            "scenario's)")
        elif share_of(str(text)) is not None and percent_unit(str(key)) is not None:
            out[parse_path(str(key))] = share_of(str(text))
        else:
            path, value = parse_assignment(f"{key}={text}")
            out[path] = value
    for name, (path, label, low) in BOXES.items():
        if body.get(name) is not None:
            try:
                out[path] = whole(body[name], label, low)
            except ScsimError as exc:
                problems.append(str(exc))
    problems += [f"{format_path(path)}: files cannot be named from the dashboard"
                 for path in out if names_a_file(path)]
    if problems:
        raise ScenarioError(problems)
    return out


def scenario_of(body: dict, store: RunStore, advice: list[str] | None = None) -> Scenario:
    """The validated scenario a request asks for (ScenarioError lists every problem). Its
    settings that would do nothing (``scenario.advice``: a shaming probability typed while
    shaming is off) go to ``advice``, each a sentence naming the key to set, or nowhere
    (the page showed them when the question was checked, ``/api/validate``)."""
    source = Source.of(body)
    sc, found = load_advised(source.data(store), overrides=overrides_of(body))
    if advice is not None:
        advice.extend(line for line in found if line not in advice)
    if sc.network.kind == "file" and source.kind == "builtin":
        raise ScenarioError("network.kind: a network file cannot be used from the dashboard")
    return sc


SIDES = ("a", "b")


def side_of(body: dict, side: str) -> dict:
    """The question of one side ("a" or "b") of a comparison: its own ``source`` (a
    scenario of its own: A may be no-system and B national-800, as ``scsim compare
    no-system national-800`` takes them), else the question's; its own ``levers`` and
    ``settings``; the question's ``agents`` and ``days`` (both sides have the same
    population size and length, as ``--agents`` and ``--days`` give both)."""
    own = body.get(side) or {}
    if not isinstance(own, dict):
        raise ScsimError(f"'{side}' must be a mapping with 'levers' and 'settings'")
    return {"source": own.get("source") or body.get("source"),
            "levers": own.get("levers"), "settings": own.get("settings"),
            "agents": body.get("agents"), "days": body.get("days")}


def side_scenario(body: dict, side: str, store: RunStore) -> Scenario:
    """The validated scenario of one side of a comparison (``side_of``). B is the question
    on the page: its problems are said as the question's; A's are named as A's ("A:
    override fear.speed=-1: fear.speed: must be >= 0"), as ``scsim compare`` names a
    side's."""
    question = side_of(body, side)
    if side == "b":
        return scenario_of(question, store)
    try:
        return scenario_of(question, store)
    except ScenarioError as exc:
        raise ScenarioError([f"A: {p}" for p in exc.problems]) from None
    except ScsimError as exc:
        raise ScsimError(f"A: {exc}") from None


def sides_of(body: dict, store: RunStore) -> tuple[Scenario, Scenario]:
    """The validated scenarios of A and B (``side_scenario``), B's checked first."""
    for side in SIDES:
        side_of(body, side)  # both shapes checked before either scenario is read
    b = side_scenario(body, "b", store)
    return side_scenario(body, "a", store), b


def leaves(sc: Scenario) -> list[dict[str, Any]]:
    """Every setting of a scenario that holds a value, but those the question's boxes
    own (agents, days): ``path``, ``kind`` (bool, number, text: YAML), ``value`` (for
    text, as YAML), ``unit`` and ``meaning`` (in a named item of a list, its name first:
    "criticising government: ..."), in schema order."""
    out: list[dict[str, Any]] = []

    def walk(model: BaseModel, loc: tuple, item: str = "") -> None:
        for name, field in type(model).model_fields.items():
            value, here = getattr(model, name), (*loc, name)
            if isinstance(value, BaseModel):
                walk(value, here, item)
            elif isinstance(value, list) and value and all(
                    isinstance(v, BaseModel) for v in value):
                for i, part in enumerate(value):
                    walk(part, (*here, i), str(getattr(part, "name", "") or item))
            elif isinstance(value, dict) and value and all(
                    isinstance(v, BaseModel) for v in value.values()):
                for key, part in value.items():
                    walk(part, (*here, key), item)
            elif not names_a_file(here) and format_path(here) not in SIZE_PATHS:
                meaning = field.description or ""
                if item and name != "name":  # which item behaviours[2] is: a filter finds it
                    meaning = f"{spoken(item)}: {meaning}"
                out.append({"path": format_path(here), "kind": _kind(value),
                            "value": _shown(value), "unit": field_unit(field),
                            "meaning": meaning})

    walk(sc, ())
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _shown(value: Any) -> Any:
    if _kind(value) != "text" or isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix(
        "\n...")
