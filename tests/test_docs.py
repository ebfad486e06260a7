"""The README documents every scenario key and every metric column that the code has."""

from __future__ import annotations

import re

from conftest import REPO
from scsim.core.params import Names
from scsim.outputs.metrics import metric_columns
from scsim.scenario import load_scenario
from scsim.scenario.reference import reference_markdown

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_scenario_reference_is_current():
    block = README.split("<!-- scenario-reference:start -->\n")[1].split(
        "<!-- scenario-reference:end -->")[0]
    assert block.strip() == reference_markdown().strip(), (
        "regenerate it: python -m scsim.scenario.reference")


def test_every_metric_column_is_documented():
    named = ("acts_", "seen_", "reported_", "tier_", "listed_rate_", "wrongful_rate_",
             "score_mean_", "di_", "privilege_", "corp_tier_")
    for name in ("national-800", "three-tier", "informants"):
        names = Names.of(load_scenario(name))
        specific = set(names.behaviours) | set(names.tiers) | set(names.groups) | set(
            names.privileges) | set(names.company_tiers)
        for col in metric_columns(names):
            generic = next((p + "NAME" for p in named if col.startswith(p)
                            and col[len(p):] in specific), col)
            if re.fullmatch(r"score_p\d\d", col):
                generic = "score_p01"
            assert f"`{generic}`" in README, col
