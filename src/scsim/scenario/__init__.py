"""Scenarios: the YAML schema, loading with precise errors, and the timeline.

Names are imported on first use (PEP 562), so that mechanism modules can build their
sections from ``scsim.scenario.section`` while ``scenario.schema`` composes them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scsim.scenario.loader import (
        as_scenario,
        builtin_names,
        dump_yaml,
        load_scenario,
        parse_assignment,
        timeline_epochs,
    )
    from scsim.scenario.schema import Scenario

_WHERE = {"Scenario": "scsim.scenario.schema", "as_scenario": "scsim.scenario.loader",
          "builtin_names": "scsim.scenario.loader",
          "dump_yaml": "scsim.scenario.loader", "load_scenario": "scsim.scenario.loader",
          "parse_assignment": "scsim.scenario.loader",
          "timeline_epochs": "scsim.scenario.loader"}

__all__ = [
    "Scenario",
    "as_scenario",
    "builtin_names",
    "dump_yaml",
    "load_scenario",
    "parse_assignment",
    "timeline_epochs",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'scsim.scenario' has no attribute {name!r}")
