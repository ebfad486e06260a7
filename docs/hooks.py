"""MkDocs hooks: the parts of the documentation that are generated from the code when the
site is built, so that they cannot drift from it.

A page asks for a generated part with a marker on a line of its own:

* ``<!-- scsim:builtin-scenarios -->``: the built-in scenarios (name, source, description:
  the scenario files' own ``source:`` and ``description:``);
* ``<!-- scsim:scenario-reference -->``: every scenario key, its type, default and meaning
  (``scsim.scenario.reference``, also ``python -m scsim.scenario.reference``);
* ``<!-- scsim:metric-registry -->``: every metric the mechanisms declare
  (``scsim.outputs.metrics.metric_registry``): name, unit, kind, headline, description and
  the declaring mechanism. A metric without a description, or a metric column of the code
  the table does not list, is a warning, which fails ``mkdocs build --strict``;
* ``<!-- scsim:metric-columns -->``: the metric columns in order, and what NAME stands for in
  each built-in scenario (``scsim.outputs.metrics.metric_columns``);
* ``<!-- scsim:mechanisms -->``: the mechanisms in day order, from their declarations
  (``scsim.core.mechanism.mechanisms``), linking each one's page where it has one;
* ``<!-- scsim:agent-columns -->``: the agents table's columns, each in words and with what
  it means, as the dashboard's record of an agent says them
  (``scsim.outputs.result.AGENT_COLUMNS``);
* ``<!-- scsim:sources -->``: the sources of points in ledger order, each with its words,
  the mechanisms that book to it, what it books and whether it moves the score without
  errors (``scsim.core.source.Source``, as the mechanisms declare them).

``on_config`` adds every page of docs/mechanisms/ (but its index) to the "Mechanisms" section
of the navigation, in day order, so a new mechanism's page needs no edit of mkdocs.yml.
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

from scsim.core.mechanism import mechanisms  # noqa: E402
from scsim.core.params import Names  # noqa: E402
from scsim.core.source import source_registry  # noqa: E402
from scsim.outputs.metrics import metric_columns, metric_registry  # noqa: E402
from scsim.outputs.result import AGENT_COLUMNS  # noqa: E402
from scsim.outputs.words import spoken  # noqa: E402
from scsim.scenario import builtin_names, load_scenario  # noqa: E402
from scsim.scenario.reference import reference_markdown  # noqa: E402

log = logging.getLogger("mkdocs.hooks.scsim")  # under "mkdocs": --strict counts its warnings

MARKER = re.compile(r"^<!-- scsim:([a-z-]+) -->$", re.MULTILINE)
PLACEHOLDER = "NAME"  # stands for a behaviour, tier, group, privilege or company tier
DOCS = Path(__file__).resolve().parent
MECHANISM_PAGES = "mechanisms"  # docs/mechanisms/NAME.md: the page of mechanism NAME


def generic_metric_columns() -> list[str]:
    """The metric columns in order, with NAME for each named thing of a scenario and every
    off-by-default mechanism switched on."""
    fields = {f.name: [PLACEHOLDER] for f in dataclasses.fields(Names)}
    optional = [m.name for m in mechanisms() if m.in_use is not None]
    return metric_columns(Names(**{**fields, "reference_group": 0, "optional": optional}))


def undocumented_metric_columns(markdown: str) -> list[str]:
    """The generic metric columns that ``markdown`` does not name as a code span."""
    return [col for col in generic_metric_columns() if f"`{col}`" not in markdown]


def undescribed_metrics() -> list[str]:
    """Metrics declared without a description (or a unit)."""
    reg = metric_registry()
    return list(reg.loc[(reg["description"].str.strip() == "")
                        | (reg["unit"].str.strip() == ""), "name"])


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def mechanism_page(name: str) -> Path | None:
    page = DOCS / MECHANISM_PAGES / f"{name}.md"
    return page if page.exists() else None


def metric_registry_table() -> str:
    """Every declared metric, in column order (a per-name metric once, NAME in its name)."""
    rows = ["| metric | unit | kind | headline | meaning | mechanism |",
            "|---|---|---|---|---|---|"]
    for m in metric_registry().itertuples():
        rows.append(f"| `{m.name}` | {_cell(m.unit)} | {m.kind} | "
                    f"{'yes' if m.headline else ''} | {_cell(m.description)} | "
                    f"{m.mechanism} |")
    return "\n".join(rows)


def mechanisms_table(page_dir: str = "") -> str:
    """The mechanisms in day order: step, module, scenario sections, metrics, page."""
    rows = ["| step | mechanism | runs | scenario sections | metric columns | page |",
            "|---|---|---|---|---|---|"]
    for k, m in enumerate(mechanisms(), 1):
        place = f"after {m.place.name}" if hasattr(m.place, "name") else f"at {m.place}"
        names = [x.name for block in (items for _, items in m.column_blocks())
                 for item in block for x in getattr(item, "metrics", (item,))]
        columns = ", ".join(f"`{n.replace('{}', PLACEHOLDER)}`" for n in names) or "–"
        module = m.module.removeprefix("scsim.").replace(".", "/") + ".py"
        page = f"[{m.name}]({page_dir}{m.name}.md)" if mechanism_page(m.name) else "–"
        sections = ", ".join(f"`{key}`" for key in m.sections)
        optional = " (off by default)" if m.in_use is not None else ""
        rows.append(f"| {k} | `{module}`{optional} | {place} | {sections} | {columns} | "
                    f"{page} |")
    return "\n".join(rows)


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


def agent_columns_table() -> str:
    """The agents table's columns in order, a family of columns once (``points_SOURCE``):
    each in words and what it means, for any scenario (the dashboard says a tier, the
    listing threshold... with the run's own numbers)."""
    rows = ["| column | in words | what it means |", "|---|---|---|"]
    for start, column in AGENT_COLUMNS.items():
        name = start + (column.rest or "")
        words = column.words.format(column.rest) if column.words else spoken(name)
        rows.append(f"| `{name}` | {_cell(words)} | {_cell(column.said() or '')} |")
    return "\n".join(rows)


def sources_table() -> str:
    """The sources of points in ledger order (mechanisms in day order, each one's sources
    in declaration order): each in words (as ``scsim sources`` names it), the mechanism
    that declares it and those that also book to it, what it books to an agent (its own
    description) and whether it moves the score without errors."""
    booked_by: dict[str, list[str]] = {}
    for m in mechanisms():
        for name in m.sources.names if m.sources else ():
            booked_by.setdefault(name, []).append(m.name)
    rows = ["| source | in words | booked by | what it books to an agent (points) "
            "| moves the score without errors |", "|---|---|---|---|---|"]
    for s in source_registry():
        clean = ("yes" if s.moves_clean else "no: an error of the system" if s.error
                 else "no: a correction of the record")
        rows.append(f"| `{s.name}` | {_cell(s.label)} | {', '.join(booked_by[s.name])} | "
                    f"{_cell(s.description)} | {clean} |")
    return "\n".join(rows)


GENERATORS = {
    "builtin-scenarios": builtin_table,
    "scenario-reference": reference_markdown,
    "metric-registry": metric_registry_table,
    "metric-columns": metric_columns_section,
    "mechanisms": mechanisms_table,
    "agent-columns": agent_columns_table,
    "sources": sources_table,
}


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each marker with its generated text; check the metrics page."""

    def generate(match: re.Match) -> str:
        what = match.group(1)
        if what not in GENERATORS:
            log.warning("%s: unknown marker '%s' (one of %s)", page.file.src_uri, what,
                        ", ".join(GENERATORS))
            return match.group(0)
        if what == "metric-registry":
            missing = undescribed_metrics()
            if missing:
                log.warning("%s: metrics declared without a description or unit: %s",
                            page.file.src_uri, ", ".join(missing))
            text = GENERATORS[what]()
            unlisted = undocumented_metric_columns(text)
            if unlisted:
                log.warning("%s: metric columns the registry does not list: %s",
                            page.file.src_uri, ", ".join(unlisted))
            return text.strip()
        return GENERATORS[what]().strip()

    return MARKER.sub(generate, markdown)


def mechanism_nav() -> list[str]:
    """The pages of docs/mechanisms/ for the navigation: mechanisms' pages in day order,
    then any other page in name order."""
    folder = DOCS / MECHANISM_PAGES
    if not folder.is_dir():
        return []
    ordered = [f"{MECHANISM_PAGES}/{m.name}.md" for m in mechanisms() if mechanism_page(m.name)]
    others = sorted(f"{MECHANISM_PAGES}/{p.name}" for p in folder.glob("*.md")
                    if p.name != "index.md" and f"{MECHANISM_PAGES}/{p.name}" not in ordered)
    return ordered + others


def on_config(config):
    """Fill the "Mechanisms" section of the navigation with docs/mechanisms/*.md."""
    for entry in config["nav"] or []:
        if isinstance(entry, dict) and isinstance(entry.get("Mechanisms"), list):
            listed = {p if isinstance(p, str) else next(iter(p.values()))
                      for p in entry["Mechanisms"]}
            entry["Mechanisms"] += [p for p in mechanism_nav() if p not in listed]
    return config
