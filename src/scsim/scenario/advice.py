"""Settings that do nothing: a mechanism switched on while a value it needs is left at a
default that makes it do nothing (``shaming: {enabled: true}``, whose probability is 0), or
values set in a section whose switch is left off by default (``detention: {threshold:
300}``). The scenario is valid (a sweep may set a probability to 0 on purpose), so these are
warnings, not errors: ``scsim validate`` and ``scsim run`` print them, ``load_scenario``
issues them as ``ScenarioWarning``.

Each mechanism declares its rules (``Mechanism.advice``, ``scenario.section.Written``). Only
what the author left out is suspect: a value written, even 0, is taken as meant. With a
timeline, a rule is asked about the scenario in force in each epoch (with the keys written
so far), and its advice is given when the mechanism works in no epoch: a switch turned on
by a later step is not a mistake.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from scsim.core.mechanism import mechanisms
from scsim.scenario.paths import parse_path
from scsim.scenario.section import Advice, Written


def written_paths(model: BaseModel, prefix: tuple = ()) -> set[tuple]:
    """Every key the author gave (pydantic's ``model_fields_set``), with its prefixes;
    list items by position, mapping entries by key."""
    out: set[tuple] = set()
    for key in model.model_fields_set:
        path = (*prefix, key)
        out.add(path)
        out |= _written_in(getattr(model, key), path)
    return out


def _written_in(value: Any, path: tuple) -> set[tuple]:
    if isinstance(value, BaseModel):
        return written_paths(value, path)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()
    out: set[tuple] = set()
    for k, item in items:
        out.add((*path, k))
        out |= _written_in(item, (*path, k))
    return out


def mapping_paths(data: Any, prefix: tuple = ()) -> set[tuple]:
    """Every key path of nested mappings (list items are not followed)."""
    out: set[tuple] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            out.add((*prefix, key))
            out |= mapping_paths(value, (*prefix, key))
    return out


def _prefixes(path: tuple) -> set[tuple]:
    return {path[:cut] for cut in range(1, len(path) + 1)}


def inert_settings(sc, epochs: list | None = None, own: set[tuple] | None = None
                   ) -> list[Advice]:
    """The settings of scenario ``sc`` that do nothing, as (path, sentence) pairs: the path
    of the key the author wrote, a sentence naming the key to set. ``epochs``: its
    ``timeline_epochs`` when already known; ``own``: the keys (with their prefixes) the
    file itself or its overrides wrote, not its base (default: every key written)."""
    if epochs is None:
        from scsim.scenario.loader import timeline_epochs

        epochs = timeline_epochs(sc)
    paths = written_paths(sc)
    own = set(paths if own is None else own)
    steps = sorted(sc.timeline, key=lambda s: s.day)
    found: dict[Any, Advice] = {}
    works: set[Any] = set()
    for k, (_, epoch) in enumerate(epochs):
        if k:
            for key in steps[k - 1].set:
                paths |= _prefixes(parse_path(key))
                own |= _prefixes(parse_path(key))
        written = Written(paths, own)
        for m in mechanisms():
            for rule in m.advice:
                answer = rule(epoch, written)
                if answer is True:
                    works.add(rule)
                elif answer is not None:
                    found.setdefault(rule, answer)
    return [advice for rule, advice in found.items() if rule not in works]
