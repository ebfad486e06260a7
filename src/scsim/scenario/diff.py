"""What differs between two resolved scenarios, as dotted paths (``--set`` syntax).

Used to record a run's overrides (the run's scenario against the one it was loaded from),
to say what a paired comparison changes, and to check that two scenarios share their
population (common random numbers only pair the same agents when the population is the
same).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from scsim.scenario.paths import format_path
from scsim.scenario.schema import Scenario

# Scenario parts that decide who the agents and companies are and how they are tied:
# two runs with equal parts (and seed) have the same population and network.
POPULATION_PATHS = (
    ("population",), ("network",), ("regions", "count"), ("regions", "weights"),
    ("companies", "per_1000_agents"), ("companies", "size_sigma"), ("companies", "sectors"),
    ("companies", "revenue"),
)


def flatten(data: Any, prefix: tuple = ()) -> dict[str, Any]:
    """``{dotted path: value}`` for every leaf; lists of named items are keyed by name
    (``behaviours.jaywalking.rate``), other lists are leaves, empty mappings have none."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, (*prefix, key)))
        return out
    if isinstance(data, list) and data and all(isinstance(i, dict) and "name" in i
                                               for i in data):
        out = {}
        for item in data:
            out.update(flatten(item, (*prefix, item["name"])))
        return out
    return {format_path(prefix): data}


def differences(a: Scenario, b: Scenario, ignore: tuple[str, ...] = ()
                ) -> dict[str, tuple[Any, Any]]:
    """``{path: (value in a, value in b)}`` for every path whose value differs (a path
    present on one side only has ``None`` on the other); paths starting with one of
    ``ignore`` are left out."""
    fa, fb = flatten(a.model_dump(mode="json")), flatten(b.model_dump(mode="json"))
    out = {}
    for path in [*fa, *(p for p in fb if p not in fa)]:
        if path.startswith(ignore):
            continue
        va, vb = fa.get(path), fb.get(path)
        if va != vb:
            out[path] = (va, vb)
    return out


def reached(base: Scenario, days: int) -> Scenario:
    """``base`` run for ``days`` days: its timeline steps on or after day ``days`` dropped,
    as the loader drops them when a run is shortened (they never happen). Compared with
    this, a shorter run of ``base`` changes its length, not its timeline."""
    steps = [step for step in base.timeline if step.day < days]
    if len(steps) == len(base.timeline):
        return base
    return base.model_copy(update={"timeline": steps})


def overrides(base: Scenario, sc: Scenario) -> dict[str, Any]:
    """The ``--set`` assignments that turn ``base`` into ``sc`` (name, description and
    source aside; a timeline step that ``sc`` ends before is dropped, not changed:
    ``reached``)."""
    return {path: new for path, (_old, new) in differences(
        reached(base, sc.days), sc, ignore=("name", "description", "source")).items()}


@functools.cache
def builtin(name: str) -> Scenario | None:
    """The built-in scenario ``name`` (None if there is none), read once per process: it
    is a file of the package, and parsing its YAML takes a tenth of a second."""
    from scsim.scenario.loader import builtin_names, load_scenario

    return load_scenario(name) if name in builtin_names() else None


SIZE_PATHS = ("days", "population.agents")  # said with every run: "5,000 agents × 200 days"


def changed_settings(sc: Scenario) -> list[str]:
    """What ``sc`` changes in the built-in scenario of its name, one setting a line
    (``listing.threshold: 550 → 650``), its size (``SIZE_PATHS``) aside; empty when it
    changes nothing or no built-in has its name. For every text that names a run by its
    scenario (reports, ``scsim show``, the dashboard): a result is the built-in's only
    when this is empty."""
    from scsim.scenario.reference import show_value

    base = builtin(sc.name)
    if base is None:
        return []
    before = reached(base, sc.days)
    changes = differences(before, sc, ignore=("name", "description", "source", *SIZE_PATHS))
    # an item of a named list removed or added is one line, not one per field
    was, now = (named_items(x.model_dump(mode="json")) for x in (before, sc))
    whole = {**{path: "removed" for path in was.keys() - now.keys()},
             **{path: "added" for path in now.keys() - was.keys()}}
    lists = {path.rsplit(".", 1)[0] for path in whole}
    lines = [f"{path}: {what}" for path, what in sorted(whole.items())]
    return lines + [f"{path}: {show_value(old)} → {show_value(new)}"
                    for path, (old, new) in changes.items()
                    if not path.startswith(tuple(f"{p}." for p in whole))
                    and not (path in lists and ([] in (old, new) or None in (old, new)))]


def named_items(data: Any, prefix: tuple = ()) -> dict[str, Any]:
    """``{dotted path: item}`` of every item of a list of named items in ``data`` (a
    scenario as a mapping), as ``flatten`` keys them (``behaviours.jaywalking``)."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(named_items(value, (*prefix, key)))
    elif isinstance(data, list) and data and all(isinstance(i, dict) and "name" in i
                                                 for i in data):
        for item in data:
            out[format_path((*prefix, item["name"]))] = item
            out.update(named_items(item, (*prefix, item["name"])))
    return out


def population_key(sc: Scenario) -> dict[str, Any]:
    """The parts of a scenario that fix its population and network, plus the behaviour
    categories (one propensity per category) and the number of days; for a network read
    from a file, the digest of the file's bytes too (``file_digest``): the same path
    holding another network made runs on two networks look pairable."""
    data = sc.model_dump(mode="json")
    key: dict[str, Any] = {}
    for path in POPULATION_PATHS:
        node = data
        for part in path:
            node = node[part]
        key[format_path(path)] = node
    key["behaviours.category"] = list(dict.fromkeys(b.category for b in sc.behaviours))
    key["days"] = sc.days
    if sc.network.kind == "file" and sc.network.path:
        key["network.file_digest"] = file_digest(sc.network.path)
    return key


def file_digest(path: str | os.PathLike) -> str:
    """A short hash (16 hex digits) of the bytes of the file at ``path``, read once for a
    given size and modification time; "missing" when there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return "missing"
    return _digest_of(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _digest_of(path: str, size: int, mtime_ns: int) -> str:
    """The digest ``file_digest`` gives, computed once per (path, size, modification)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def digest(data: Any) -> str:
    """A short stable hash (16 hex digits) of JSON-able data or a scenario."""
    if isinstance(data, Scenario):
        data = data.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
