"""MkDocs hooks: the parts of the documentation that are generated from the code when the
site is built, so that they cannot drift from it.

A page asks for a generated part with a marker on a line of its own:

* ``<!-- scsim:builtin-scenarios -->``: the built-in scenarios (name, source, description);
* ``<!-- scsim:scenario-reference -->``: every scenario key, its type, default and meaning
  (``scsim.scenario.reference``, also ``python -m scsim.scenario.reference``);
* ``<!-- scsim:metric-columns -->``: the metric columns in order, and what NAME stands for in
  each built-in scenario (``scsim.outputs.metrics.metric_columns``). The page that holds it must
  describe every column (as a code span): a column without one is a warning, which fails
  ``mkdocs build --strict``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
from pathlib import Path

# Document the code of this checkout, whatever scsim the environment has installed.
SRC = Path(__file__).resolve().parents[1] / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from scsim.core.params import Names  # noqa: E402
from scsim.outputs.metrics import metric_columns  # noqa: E402
from scsim.scenario import builtin_names, load_scenario  # noqa: E402
from scsim.scenario.reference import reference_markdown  # noqa: E402

log = logging.getLogger("mkdocs.hooks.scsim")  # under "mkdocs": --strict counts its warnings

MARKER = re.compile(r"^<!-- scsim:([a-z-]+) -->$", re.MULTILINE)
PLACEHOLDER = "NAME"  # stands for a behaviour, tier, group, privilege or company tier


def generic_metric_columns() -> list[str]:
    """The metric columns in order, with NAME for each named thing of a scenario."""
    fields = {f.name: [PLACEHOLDER] for f in dataclasses.fields(Names)}
    return metric_columns(Names(**{**fields, "reference_group": 0}))


def undocumented_metric_columns(markdown: str) -> list[str]:
    """The generic metric columns that ``markdown`` does not name as a code span."""
    return [col for col in generic_metric_columns() if f"`{col}`" not in markdown]


def builtin_table() -> str:
    rows = ["| name | source | what it is |", "|---|---|---|"]
    for name in builtin_names():
        sc = load_scenario(name)
        rows.append(f"| `{name}` | {sc.source} | {' '.join(sc.description.split())} |")
    return "\n".join(rows)


def metric_columns_section() -> str:
    def names(items: list[str]) -> str:
        return ", ".join(items) or "–"

    rows = ["| scenario | columns | behaviours (`acts_NAME`...) | tiers | groups | privileges "
            "| company tiers |", "|---|---|---|---|---|---|---|"]
    for name in builtin_names():
        n = Names.of(load_scenario(name))
        rows.append(f"| `{name}` | {len(metric_columns(n))} | {names(n.behaviours)} | "
                    f"{names(n.tiers)} | {names(n.groups)} | {names(n.privileges)} | "
                    f"{names(n.company_tiers)} |")
    order = ", ".join(f"`{c}`" for c in generic_metric_columns())
    return (f"In order: {order}.\n\n"
            "What NAME stands for in each built-in scenario, and how many columns its metrics "
            "table has:\n\n" + "\n".join(rows))


GENERATORS = {
    "builtin-scenarios": builtin_table,
    "scenario-reference": reference_markdown,
    "metric-columns": metric_columns_section,
}


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each marker with its generated text; check the metrics page."""

    def generate(match: re.Match) -> str:
        what = match.group(1)
        if what not in GENERATORS:
            log.warning("%s: unknown marker '%s' (one of %s)", page.file.src_uri, what,
                        ", ".join(GENERATORS))
            return match.group(0)
        if what == "metric-columns":
            missing = undocumented_metric_columns(markdown)
            if missing:
                log.warning("%s: metric columns without a description: %s",
                            page.file.src_uri, ", ".join(missing))
        return GENERATORS[what]().strip()

    return MARKER.sub(generate, markdown)
