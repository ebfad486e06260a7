"""The main levers of the dashboard: the few settings a question usually turns on, each a
labelled slider (or switch) with its unit and a one-line explanation.

A lever names a dotted scenario path; the dashboard offers it only for scenarios that have
that setting (a scenario without cameras has no camera coverage to move) and that use the
mechanism it moves (``Lever.in_use``, from the mechanisms' own ``enabled`` functions, in
any step of the scenario's timeline): a false-match rate does nothing without a camera with
facial recognition, a listing threshold nothing without listings. A switch may do nothing
but bring another lever into use (public shaming with a probability of 0: then its
probability's lever appears). Every other setting is in the "all settings" panel
(``dashboard.settings``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from scsim.core.params import scenario_epochs
from scsim.errors import ScenarioError
from scsim.mechanisms import classify, observe, score, shame
from scsim.scenario.loader import LEFT_OUT
from scsim.scenario.paths import format_path, get_path, parse_path
from scsim.scenario.reference import (
    as_percent,
    change_in_words,
    percent_unit,
)
from scsim.scenario.schema import Scenario


def _seen(sc: Scenario, channel: Callable[[str], bool]) -> bool:
    """Is some behaviour watched by a channel for which ``channel(name)`` holds?"""
    return observe.enabled(sc) and any(
        b.channel in sc.surveillance.channels and channel(b.channel) for b in sc.behaviours)


def _facial(sc: Scenario) -> bool:
    """Can a sighting be pinned on the wrong person (a watched facial-recognition
    channel)?"""
    return _seen(sc, lambda name: sc.surveillance.channels[name].facial_recognition)


def _cameras(sc: Scenario) -> bool:
    """Does the camera channel's one coverage decide what is seen (it watches some
    behaviour, with no coverage per region instead)?"""
    return _seen(sc, lambda name: name == "camera"
                 and sc.surveillance.channels[name].by_region is None)


def _scored_listing(sc: Scenario) -> bool:
    """Are people listed when their score, which moves, falls below a threshold?"""
    return score.enabled(sc) and classify.enabled(sc) and sc.listing.threshold is not None


def _rollout(sc: Scenario) -> bool:
    """Does the system (anything observed, scored or listed) start region by region (a
    roll-out other than everywhere on day 0)?"""
    steps = sc.regions.rollout
    staged = len(steps) > 1 or steps[0].day > 0 or steps[0].regions != "all"
    return staged and (observe.enabled(sc) or score.enabled(sc) or classify.enabled(sc))


PERCENT_UNIT = "%"
"""A percent lever's unit as ``LEVERS`` gives it: its words are the scenario reference's
(``reference.percent_unit``: "% of camera sightings"), filled in by ``Lever``."""


@dataclass(frozen=True)
class Lever:
    """One control: ``path`` (dotted, as ``--set`` takes it), ``label``, ``unit``, what
    it does (``explain``), for a slider its range and step (``low``/``high`` may be
    taken from the scenario: ``"score min"``, ``"score max"``, ``"days"``), and when it
    changes anything: ``in_use(scenario)``, and ``needs``, what it needs, in words.

    A ``percent`` lever's setting is a probability or share per event (0 to 1, as the
    scenario and ``--set`` hold it: 0.001) that a person reads as a percentage: the page
    shows and moves it as one (0.1 %), its ``unit`` saying what it is a percentage of ("%
    of camera sightings"); ``low``, ``high`` and ``step`` stay shares. Which settings
    those are, and their units, is the scenario reference's (``reference.percent_unit``),
    as ``scsim compare``'s headline says them: not given here, so that the two cannot
    differ."""

    path: str
    label: str
    unit: str
    explain: str
    in_use: Callable[[Scenario], bool] = field(repr=False)
    needs: str
    kind: str = "slider"  # or "switch"
    low: float | str = 0.0
    high: float | str = 1.0
    step: float = 0.01
    percent: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        unit = percent_unit(self.path.replace("[-1]", "[0]"))  # any item's unit: the last's
        if unit is not None:  # a frozen dataclass: set once, here
            object.__setattr__(self, "percent", True)
            object.__setattr__(self, "unit", unit)


LEVERS = (
    Lever("surveillance.misattribution", "False-match rate", PERCENT_UNIT,
          "share of camera sightings that facial recognition pins on the wrong person",
          _facial, "a watched channel with facial recognition", high=0.01, step=0.0001),
    Lever("surveillance.channels.camera.coverage", "Camera coverage", PERCENT_UNIT,
          "chance that an act done in view of cameras is seen",
          _cameras, "cameras that watch some behaviour, with one coverage for all regions"),
    Lever("scoring.association.listed_penalty", "Association penalty",
          "points per day per listed contact",
          "points a person loses each day for each listed family member, friend or colleague",
          lambda sc: score.enabled(sc) and classify.enabled(sc), "scores and listings",
          high=3.0, step=0.05),
    Lever("listing.threshold", "Listing threshold", "points",
          "people whose score falls below this are put on the blacklist",
          _scored_listing, "listing by score", low="score min", high="score max", step=5),
    Lever("shaming.enabled", "Public shaming", "on/off",
          "newly listed people may be named in public, and neighbours may cut ties",
          classify.enabled, "listings", kind="switch"),
    Lever("shaming.probability", "Shaming probability", PERCENT_UNIT,
          "chance that a newly listed person is shamed (with public shaming on)",
          shame.enabled, "public shaming on"),
    Lever("regions.rollout[-1].day", "Nationwide from day", "day",
          "the day the last regions join the system (the roll-out)",
          _rollout, "a roll-out in steps", low=0, high="days", step=1),
    Lever("sanctions.enabled", "Sanctions", "on/off",
          "travel bans, purchase bans, job and school bars for listed people",
          classify.enabled, "listings", kind="switch"),
)


def resolve(path: str, data: dict) -> str:
    """``path`` with a ``[-1]`` (last item) replaced by the scenario's own last index."""
    if "[-1]" not in path:
        return path
    head, tail = path.split("[-1]", 1)
    items = get_path(data, parse_path(head))
    return f"{head}[{len(items) - 1}]{tail}"


def levers_for(sc: Scenario) -> list[dict[str, Any]]:
    """The levers a scenario has the setting of, each as a mapping with its resolved
    ``path``, current ``value``, numeric bounds (``high_days``: its top is the number of
    days), what it ``needs`` and whether ``sc`` uses it (``in_use``; the page shows only
    those: ``idle`` gives the others for a question)."""
    data = sc.model_dump(mode="json")
    bounds = {"score min": data["scoring"]["min"], "score max": data["scoring"]["max"],
              "days": data["days"]}
    unused = idle(sc)
    out = []
    for lever in LEVERS:
        try:
            path = format_path(parse_path(resolve(lever.path, data)))
            value = get_path(data, parse_path(path))
        except ScenarioError:
            continue
        if value is None:  # e.g. no listing threshold (the list-only reading)
            continue
        item = {k: v for k, v in asdict(lever).items() if k != "in_use"}
        item |= {"path": path, "value": value, "in_use": lever.path not in unused,
                 "high_days": lever.high == "days"}
        item["low"], item["high"] = (bounds.get(v, v) for v in (lever.low, lever.high))
        out.append(item)
    return out


CHANGE = re.compile(r"^(?P<path>[A-Za-z_][\w.\[\]-]*)(?:=(?P<value>.*)|: (?P<was>.*?) → "
                    r"(?P<now>.*))$", re.S)
"""A setting as ``changed_settings`` ("listing.threshold: 550 → 650") or a run's
overrides ("listing.threshold=650") write it."""


def _lever_of(path: str) -> Lever | None:
    """The lever that moves a setting (a ``[-1]`` in its path standing for any item)."""
    for lever in LEVERS:
        pattern = re.escape(lever.path).replace(re.escape("[-1]"), r"\[\d+\]")
        if re.fullmatch(pattern, path):
            return lever
    return None


def setting_in_words(change: str) -> str:
    """A setting a run or question changes, as every screen says it (the "changed:" line
    of a run, the "All settings" list, the sides beside Compare, a comparison's labels):
    ``reference.change_in_words``, by its lever's label and unit when it has one, else by
    its name in words. "listing.threshold: 550 → 650" is "listing threshold 550 → 650
    points (listing.threshold)", "surveillance.misattribution=0.01" is "false-match rate 1 %
    of camera sightings (surveillance.misattribution=0.01)"; what is no setting's value
    ("behaviours.littering: added", a timeline) stays as written."""
    found = CHANGE.match(change)
    if found is None or found["path"] == "timeline":
        return change
    path = found["path"]
    was, now = (None, found["value"]) if found["value"] is not None else (
        found["was"], found["now"])
    lever = _lever_of(path)
    if lever is None:
        return change_in_words(path, was, now)
    return change_in_words(path, was, now, name=lever.label.lower(),
                           unit=lever.unit, switch=lever.kind == "switch")


def idle(sc: Scenario) -> list[str]:
    """The levers (their ``LEVERS`` paths) that would change nothing in ``sc``: no step of
    its timeline uses the mechanism they move."""
    epochs = scenario_epochs(sc)
    return [lever.path for lever in LEVERS if not any(lever.in_use(s) for s in epochs)]


# Where a setting was given, as ``scsim validate`` starts a sentence ("override
# shaming.enabled=true: "): command-line syntax, left out in the page. Its value may hold
# ": " itself (a YAML mapping): the sentence proper starts with a setting's path, or says
# which timeline steps the days box leaves out (``LEFT_OUT``).
GIVEN = re.compile(rf"^override \S+?=.*?: (?=[a-z_][\w.\[\]]* (?:is|are) |{LEFT_OUT})")


AT_OVERRIDE = re.compile(r"^override \S+?=.*?: (?=[a-z_][\w.\[\]]*: )")
"""Where a problem's setting was given, as the loader says it ('override
listing.threshold=abc: '): the page's own setting, which it need not name twice."""


def problem_in_words(problem: str, levers: list[dict[str, Any]]) -> str:
    """A problem of the question as the page says it: without where the setting was given
    (``AT_OVERRIDE``), and a setting that has a lever named by the lever's label
    ("override listing.threshold=abc: listing.threshold: must be a number, got 'abc'" is
    "Listing threshold: must be a number, got 'abc'"); other settings keep their paths."""
    text = AT_OVERRIDE.sub("", problem, count=1)
    for lever in levers:
        if text.startswith(f"{lever['path']}: "):
            return f"{lever['label']}: {text[len(lever['path']) + 2:]}"
    return text


def in_lever_words(sentence: str, levers: list[dict[str, Any]]) -> str:
    """An advice sentence of ``scsim validate`` as the page says it: without where the
    setting was given (``GIVEN``), and with each setting that has a lever (``levers``, as
    ``levers_for`` gives them) named by the lever's label: "shaming.enabled is true" is
    "Public shaming is on", "set shaming.probability (...)" is "move the Shaming
    probability slider", and a percent lever's value is its percentage, as the slider
    shows it ("surveillance.misattribution is 0.001" is "False-match rate is 0.1 %");
    other settings keep their paths (as "All settings" lists them)."""
    text = GIVEN.sub("", sentence, count=1)
    if text.startswith(LEFT_OUT):  # the steps as the scenario writes them, not levers
        return text
    for lever in sorted(levers, key=lambda lever: -len(lever["path"])):
        name = rf"(?<![\w.]){re.escape(lever['path'])}(?![\w.\[])"
        label = lever["label"]
        if lever["kind"] == "switch":
            for value, state in (("true", "on"), ("false", "off")):
                text = re.sub(rf"\bset {name}: {value}\b", f"switch {label} {state}", text)
                text = re.sub(rf"{name} is {value}\b", f"{label} is {state}", text)
        elif lever.get("percent"):  # "is 0.001": "is 0.1 %", as the slider shows it
            text = re.sub(rf"({name}) is (\d+(?:\.\d+)?(?:e-?\d+)?)\b",
                          lambda m: f"{m.group(1)} is {as_percent(m.group(2))} %", text)
        if lever["kind"] != "switch":
            text = re.sub(rf"\bset {name}(?: \([^()]*\))?", f"move the {label} slider",
                          text)
        text = re.sub(rf"^{name}", label, text)
        text = re.sub(name, f"the {label}", text)
    return text
