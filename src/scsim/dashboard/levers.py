"""The main levers of the dashboard: the few settings a question usually turns on, each a
labelled slider (or switch) with its unit and a one-line explanation.

A lever names a dotted scenario path; the dashboard shows it only for scenarios that have
that setting (a scenario without cameras has no camera coverage to move). Every other
setting is in the "all settings" panel (``dashboard.settings``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scsim.errors import ScenarioError
from scsim.scenario.paths import format_path, get_path, parse_path


@dataclass(frozen=True)
class Lever:
    """One control: ``path`` (dotted, as ``--set`` takes it), ``label``, ``unit``, what
    it does (``explain``), and for a slider its range and step (``low``/``high`` may be
    taken from the scenario: ``"score min"``, ``"score max"``, ``"days"``)."""

    path: str
    label: str
    unit: str
    explain: str
    kind: str = "slider"  # or "switch"
    low: float | str = 0.0
    high: float | str = 1.0
    step: float = 0.01


LEVERS = (
    Lever("surveillance.misattribution", "False-match rate", "per camera sighting",
          "share of camera sightings that facial recognition pins on the wrong person",
          high=0.01, step=0.0001),
    Lever("surveillance.channels.camera.coverage", "Camera coverage", "probability per act",
          "chance that an act done in view of cameras is seen"),
    Lever("scoring.association.listed_penalty", "Association penalty",
          "points per day per listed contact",
          "points a person loses each day for each listed family member, friend or colleague",
          high=3.0, step=0.05),
    Lever("listing.threshold", "Listing threshold", "points",
          "people whose score falls below this are put on the blacklist",
          low="score min", high="score max", step=5),
    Lever("shaming.enabled", "Public shaming", "on/off",
          "newly listed people may be named in public, and neighbours may cut ties",
          kind="switch"),
    Lever("shaming.probability", "Shaming probability", "probability per listing",
          "chance that a newly listed person is shamed (with public shaming on)"),
    Lever("regions.rollout[-1].day", "Nationwide from day", "day",
          "the day the last regions join the system (the roll-out)",
          low=0, high="days", step=1),
    Lever("sanctions.enabled", "Sanctions", "on/off",
          "travel bans, purchase bans, job and school bars for listed people", kind="switch"),
)


def resolve(path: str, data: dict) -> str:
    """``path`` with a ``[-1]`` (last item) replaced by the scenario's own last index."""
    if "[-1]" not in path:
        return path
    head, tail = path.split("[-1]", 1)
    items = get_path(data, parse_path(head))
    return f"{head}[{len(items) - 1}]{tail}"


def levers_for(data: dict) -> list[dict[str, Any]]:
    """The levers a scenario (its resolved ``model_dump(mode="json")``) has, each as a
    mapping with its resolved ``path``, current ``value`` and numeric bounds."""
    bounds = {"score min": data["scoring"]["min"], "score max": data["scoring"]["max"],
              "days": data["days"]}
    out = []
    for lever in LEVERS:
        try:
            path = format_path(parse_path(resolve(lever.path, data)))
            value = get_path(data, parse_path(path))
        except ScenarioError:
            continue
        if value is None:  # e.g. no listing threshold (the list-only reading)
            continue
        item = asdict(lever) | {"path": path, "value": value}
        item["low"], item["high"] = (bounds.get(v, v) for v in (lever.low, lever.high))
        out.append(item)
    return out
