"""Scenarios: the YAML schema, loading with precise errors, and the timeline."""

from scsim.scenario.loader import (
    builtin_names,
    dump_yaml,
    load_scenario,
    parse_assignment,
    timeline_epochs,
)
from scsim.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "builtin_names",
    "dump_yaml",
    "load_scenario",
    "parse_assignment",
    "timeline_epochs",
]
