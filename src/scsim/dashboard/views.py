"""What the dashboard draws of a stored run and of a paired comparison, as JSON-ready
mappings: the headline (``outputs.headline``), day-by-day series, blocked travel against
the published 2018 figures, per-group and per-region figures and the network sample.
Non-finite numbers become ``null`` (JSON has no NaN)."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scsim.analysis.compare import SWITCHES_NOTE, Comparison
from scsim.analysis.published import ticket_figures
from scsim.core.params import started_by_day
from scsim.core.source import source
from scsim.dashboard.levers import setting_in_words
from scsim.dashboard.worker import TRACED
from scsim.outputs.casefile import STORY, case_file
from scsim.outputs.headline import (
    PER_100_DIGITS,
    acts_headline,
    comparison_headline,
    per_100_a_year,
    percent,
    run_headline,
    ticket_years,
)
from scsim.outputs.metrics import metric_label
from scsim.outputs.result import AGENT_COLUMNS, Result, agent_column
from scsim.outputs.summary import (
    ever_wrongful_by_group,
    group_shares,
    ratio_bounds,
    ratio_warning,
    share_ratio,
)
from scsim.outputs.words import counted, significant, spoken
from scsim.scenario.diff import builtin, changed_settings
from scsim.scenario.schema import Scenario

# Day-by-day columns drawn for a run (those present), then the per-group ones.
SERIES = ("day", "listed", "wrongful_listed", "newly_listed", "wrongful_new", "score_p05",
          "score_p25", "score_p50", "score_p75", "score_p95", "score_mean", "blocked_air",
          "blocked_train", "fear_mean", "penalised_acts", "shamed", "pariahs", "detained",
          "new_detentions")
GROUP_SERIES = ("listed_rate_", "wrongful_rate_", "score_mean_", "di_")
TRACED_SHOWN = 60  # case files listed on the page, at most (any other opens by its id)
# An agent without a case file, as the page words it (no command line in a browser).
UNTRACED = ("agent {agent} has no case file (a dashboard run keeps the story of "
            f"{TRACED} agents drawn at random, of the first {TRACED} listed and of everyone "
            "wrongfully listed)")


TITLE_LONGEST = 80  # characters of a built-in scenario's title in the list, at most
CLAUSE_SHORTEST = 25  # characters before the first place a title may end at a clause


def plain_title(description: str) -> str:
    """A built-in scenario's title in plain words, for the list of scenarios: the first
    sentence of its own description (up to ". " or "; ") without its asides in
    parentheses; if longer than ``TITLE_LONGEST`` characters, up to the last ", " or ": "
    that keeps it within them (at ``CLAUSE_SHORTEST`` characters or more), else cut at a
    word, with "…"."""
    text = re.sub(r"\s*\([^()]*\)", "", description)
    text = re.split(r"[.;]\s", text + " ", maxsplit=1)[0].strip()
    if len(text) <= TITLE_LONGEST:
        return text
    clauses = [m.start() for m in re.finditer(r"[,:] ", text)
               if CLAUSE_SHORTEST <= m.start() <= TITLE_LONGEST]
    if clauses:
        return text[:clauses[-1]]
    return text[:TITLE_LONGEST + 1].rsplit(" ", 1)[0] + "…"


def floats(values: Any, where: np.ndarray | None = None) -> list[float | None]:
    """A column as a JSON list: NaN and infinities as null, and so are the entries where
    ``where`` (bool, if given) is false."""
    out = np.asarray(values, dtype=np.float64)
    if where is not None:
        out = np.where(where, out, np.nan)
    return [v if math.isfinite(v) else None for v in out.tolist()]


def number(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def run_view(res: Result) -> dict[str, Any]:
    """Everything the "Look" panel shows of one run."""
    m, agents = res.metrics, res.agents
    n, days = len(agents), len(m)
    groups = {g: {prefix.rstrip("_"): floats(m[f"{prefix}{g}"]) for prefix in GROUP_SERIES
                  if f"{prefix}{g}" in m.columns} for g in res.names.groups}
    return {
        "id": res.run_id, "scenario": res.scenario.name, "seed": str(res.seed), "agents": n,
        "days": days, "wall_seconds": res.info.get("wall_seconds"),
        "builtin": builtin(res.scenario.name) is not None,
        "changes": [setting_in_words(c) for c in changed_settings(res.scenario)],
        "headline": run_headline(res).splitlines(),
        "numbers": {"listed_final": number(m["listed"].iloc[-1]),
                    "wrongful_final": number(m["wrongful_listed"].iloc[-1]),
                    "ever_listed": int((agents["times_listed"] > 0).sum()),
                    "ever_wrongful": int((agents["wrongful_listings"] > 0).sum())},
        "series": {c: floats(m[c]) for c in SERIES if c in m.columns},
        "groups": groups,
        "reference_group": res.names.groups[res.names.reference_group],
        "ratio_warning": ratio_warning([res], list(res.names.groups)),
        "wrongful_groups": wrongful_groups(res),
        "regions": regions(res),
        "travel": travel(m, n, res.scenario),
        "network": network(res),
        "traced": traced_agents(res),
        "traced_count": len(res.traced),
    }


def regions(res: Result) -> dict[str, dict[str, Any]]:
    """Per region, day by day: the share of its agents listed (``listed_rate``) and
    wrongfully listed (``wrongful_rate``), its mean score (``score_mean``, points) and,
    for each group but the reference group, the group's share on the list that day over
    the reference group's in the region (``di``: {group: values}; "disparate impact,
    listed on the day", not the summary's of the shares ever listed), from the provenance
    table ``regions``
    (empty for a run stored before it existed; no ``di`` for one stored before the series
    had it). Days before the system
    starts in a region (``core.params.started_by_day``) are null: its lines start when
    the roll-out reaches it."""
    table = res.provenance.get("regions")
    if table is None:
        return {}
    sizes = res.agents.groupby("region").size()
    others = [g for k, g in enumerate(res.names.groups) if k != res.names.reference_group]
    started = started_by_day(res.scenario)
    out = {}
    for r, rows in table.sort_values("day").groupby("region"):
        size = max(int(sizes.get(r, 0)), 1)
        on = started[rows["day"].to_numpy(), r]
        view: dict[str, Any] = {"listed_rate": floats(rows["listed"] / size, where=on),
                                "score_mean": floats(rows["score_sum"] / size, where=on)}
        if "wrongful_listed" in rows:
            view["wrongful_rate"] = floats(rows["wrongful_listed"] / size, where=on)
        if all(f"di_{g}" in rows for g in others):
            view["di"] = {g: floats(rows[f"di_{g}"], where=on) for g in others}
        out[str(r)] = view
    return out


def wrongful_groups(res: Result) -> dict[str, Any]:
    """Does one group get listed wrongfully more often? ``groups``: for each group, its
    agents ever wrongfully listed by the last day (``ever``, of ``agents``; ``share``),
    for each but the reference group that share over the reference group's (``ratio``)
    with the summary's 95 % interval (``low``, ``high``: ``summary.ratio_bounds``; null
    when a count is 0), and ``words``: the summary table's row in words
    (``summary.group_shares``: "0.9 % of the group; ratio to majority: 2.80 (95 % CI
    ...)"). ``said``: the sentence the page puts first, or why there is nothing to
    compare (no errors, one group, nobody wrongfully listed, a run saved without its
    agents' wrongful listings), in words."""
    names = res.names
    ref = names.groups[names.reference_group]
    out: dict[str, Any] = {"reference": ref, "said": "", "groups": []}
    if not names.errors:
        out["said"] = ("This scenario makes no errors (no false face match, no false "
                       "report): nobody can be listed wrongfully.")
        return out
    if "wrongful_listings" not in res.agent_columns:
        out["said"] = ("This run was saved before each person's wrongful listings were "
                       "kept: run its question again to see them per group.")
        return out
    group = res.agent_columns["group"]
    codes = np.asarray(getattr(group, "codes", group))
    ever = np.asarray(res.agent_columns["wrongful_listings"]) > 0
    notes: list[str] = []  # the summary's words, one row per group in their order
    group_shares(res, codes, ever, "wrongfully listed",
                 lambda section, figure, value, note: notes.append(note))
    counts = ever_wrongful_by_group(res)
    ref_count, ref_size = counts[ref]
    for k, (g, (count, size)) in enumerate(counts.items()):
        bounds = ratio_bounds(count, size, ref_count, ref_size) if g != ref else None
        ratio = share_ratio(count, size, ref_count, ref_size) if g != ref else math.nan
        out["groups"].append({
            "group": g, "ever": count, "agents": size,
            "share": number(count / size) if size else None,
            "ratio": number(ratio), "low": bounds[0] if bounds else None,
            "high": bounds[1] if bounds else None,
            "words": f"{g}: {count:,} of {size:,} people ever wrongfully listed, {notes[k]}"})
    total, one = sum(count for count, _ in counts.values()), len(names.groups) == 1
    if not total:
        out["said"] = ("Nobody was wrongfully listed in this run" +
                       (" (its population is one group)." if one else ", in any group."))
        out["groups"] = []
    elif one:
        out["said"] = (f"The population is one group: {percent(total / len(codes), 1)} of it "
                       f"({total:,} of {len(codes):,} people) was ever wrongfully listed; "
                       "there is no other group to compare it with.")
        out["groups"] = []
    else:
        out["said"] = (f"Wrongfully listed: {TERMS['wrongfully_listed'].meaning}. By the "
                       "last day, the share of each group ever wrongfully listed, and that "
                       "share divided by "
                       f"{ref}'s (1 = as often as {ref}, above 1 = more often), with its 95 % "
                       "interval:")
    return out


def travel(m: pd.DataFrame, agents: int, sc: Scenario) -> list[dict[str, Any]]:
    """Blocked tickets per 100 people per year while sanctions were on (``ticket_years``),
    air and train, with the 2018 figures under both readings (``analysis.published``);
    each to the digits the headline above the bars writes them with (``PER_100_DIGITS``:
    the bar of 2018's air tickets said 1.29 under a headline saying 1.3)."""
    years, _ = ticket_years(sc, len(m))
    return [{"mode": mode, "run": number(significant(
                per_100_a_year(m[f"blocked_{mode}"].sum(), agents, years), PER_100_DIGITS)),
             "published": [{"value": significant(100 * f.value, PER_100_DIGITS),
                            "reading": f.reading_words, "what": f.what}
                           for f in ticket_figures(mode)]}
            for mode in ("air", "train")]


def network(res: Result) -> dict[str, Any] | None:
    """The run's network sample (nodes with their end state, ties with severed or not);
    the page lays it out."""
    if res.sample is None:
        return None
    nodes, ties = res.sample.nodes, res.sample.ties
    return {"nodes": [{"agent": int(r.agent), "group": str(r.group),
                       "listed": bool(r.listed_end), "ever_listed": bool(r.ever_listed),
                       "shamed": bool(r.shamed)} for r in nodes.itertuples()],
            "ties": [[int(a), int(b), bool(s)] for a, b, s in
                     zip(ties["a"], ties["b"], ties["severed_end"], strict=True)]}


def comparison_view(cmp: Comparison) -> dict[str, Any]:
    """The "Compare" panel: the headline sentence, what B changes, the headline metrics
    and the per-agent switches with 95 % intervals, and A and B day by day (first pair)."""
    table = cmp.metrics(headline=True)
    return {
        "headline": comparison_headline(cmp), "acts": acts_headline(cmp),
        "labels": [_label_in_words(label) for label in cmp.labels],
        "reps": cmp.reps, "pairs": counted(cmp.reps, "pair"),
        "seeds": [str(s) for s in cmp.seeds],
        "runs": {"a": [r.run_id for r in cmp.a], "b": [r.run_id for r in cmp.b]},
        "changes": [{"path": p, "a": a, "b": b} for p, (a, b) in cmp.changes.items()],
        "metrics": _rows(table.assign(label=[metric_label(m) for m in table["metric"]]),
                         ("metric", "label", "measure", "unit"),
                         ("a", "b", "diff", "lo", "hi")),
        "switches": _rows(cmp.switches(), ("figure",), ("agents", "lo", "hi")),
        "switches_note": SWITCHES_NOTE,
        "series": {side: {c: floats(r.metrics[c]) for c in ("day", "listed",
                                                            "wrongful_listed")}
                   for side, r in (("a", cmp.a[0]), ("b", cmp.b[0]))},
    }


def _label_in_words(label: str) -> str:
    """A side's label ("A: national-800, listing.threshold=650 (+1 more)") with each
    setting in its lever's words (``setting_in_words``)."""
    label, more = re.fullmatch(r"(.*?)((?: \(\+\d+ more\))?)", label).groups()
    return ", ".join(map(setting_in_words, label.split(", "))) + more


def _rows(df: pd.DataFrame, keys: tuple[str, ...], values: tuple[str, ...]) -> list[dict]:
    return [{**{k: str(row[k]) for k in keys}, **{v: number(row[v]) for v in values}}
            for _, row in df.iterrows()]


NO_ONE = ("employer", "mistaken_for", "falsely_reported_by", "listed_until")
"""Columns whose −1 means none (no employer, nobody, not listed): null for the page."""


# Sources of points in the record by their label (``core.source``: as the case file and
# ``scsim sources`` name them), these two with what they are: the record said "points from
# listed penalty" beside "points from association", and a teacher read the association
# penalty's lever as the second.
RECORD_SOURCES = {"association": "association (the daily pull toward neighbours' scores)",
                  "listed_penalty": "listed neighbours (the association penalty)"}


def source_words(name: str) -> str:
    """A source of points in words: ``RECORD_SOURCES``, else its label ('true
    sightings'), else its name spoken (a source this version does not declare)."""
    if name in RECORD_SOURCES:
        return RECORD_SOURCES[name]
    try:
        return source(name).label
    except KeyError:
        return spoken(name)


def record_label(column: str) -> str:
    """An agents-table column in words (``outputs.result.AGENT_COLUMNS``; a source of points
    by ``source_words``): 'points_listed_penalty' -> 'points from listed neighbours (the
    association penalty)'."""
    found = agent_column(column)
    if found is None or found[0].words is None:
        return spoken(column)
    defined, rest = found
    return defined.words.format(source_words(rest) if "points_" in column else spoken(rest))


@dataclass(frozen=True)
class Term:
    """A word of an agent's case file, and what it means: ``meaning``, a text or a
    function of the run's scenario that gives it with the scenario's numbers (its tiers,
    its thresholds), in the words of the model's definitions (docs/model.md); ``told``:
    how a case file's story says it (a regular expression)."""

    word: str
    meaning: str | Callable[[Scenario], str]
    told: str

    def said(self, sc: Scenario) -> dict[str, str]:
        """``{"word", "meaning"}`` for the page."""
        meaning = self.meaning(sc) if callable(self.meaning) else self.meaning
        return {"word": self.word, "meaning": meaning}


def _column(column: str, told: str, word: str | None = None) -> Term:
    """The term of a story word that is a column of the agents table, defined as the
    record defines it (``outputs.result.AGENT_COLUMNS``)."""
    return Term(word or spoken(column), AGENT_COLUMNS[column].meaning, told)


# The words of a case file's story that a reader may not know, each defined once: those
# that are columns of the agents table as the record defines them (``record_meaning``),
# the others here. Points by source are defined by their sources
# (``core.source.Source.description``).
TERMS = {
    "tier": _column("tier", r"\btier\b"),
    "listed": _column("listed", r"\bLISTED\b"),
    "wrongfully_listed": _column("wrongfully_listed", r"\bwrongfully\b"),
    "shamed": _column("shamed", r"\bshamed\b"),
    "delisted": Term("delisted", "taken off the list: its term ended, or an appeal "
                     "was won", r"\bdelisted\b"),
    "fear": _column("fear", r"\bfear now\b"),
    "mistaken_for": _column("mistaken_for", r"\bfalse match\b", "false match"),
    "impunity": Term("impunity", "an act of someone powerful, seen or reported, dropped "
                     "by the system: it cost no points", r"\bimpunity\b"),
    "detained": Term("detained", "held for a term: no acts outside or online, its ties "
                     "suspended, its household penalised", r"\bDETAINED\b"),
    "traced": Term("tracing starts", "its case file starts here: the points each source "
                   "gave or took before this day, summed", r"\btracing starts\b"),
}


def story_words(res: Result, story: str) -> list[dict[str, str]]:
    """The words a case file's story uses that ``TERMS`` defines, then the sources of
    points it names (as a traced agent's story names them, ``STORY``, or by their label),
    each defined by its source's own description: ``[{"word", "meaning"}]``, in that
    order."""
    words = [term.said(res.scenario) for term in TERMS.values()
             if re.search(term.told, story)]
    for name in res.names.sources:
        told = [word for word in (STORY.get(name), source(name).label)
                if word and re.search(rf"\b{re.escape(word)}\b", story)]
        if told:
            words.append({"word": told[0], "meaning": source(name).description})
    return words


def agent_view(res: Result, agent: int) -> dict[str, Any]:
    """One agent's case file (``Result.explain``: the dated story of a traced agent, the
    points by source of any other, with what the page can do about it: ``UNTRACED``; the
    words it uses, defined: ``words``, ``story_words``) and its row of the agents table
    (its record at the end of the run: ``record`` by column, null for none, ``NO_ONE``;
    ``labels``, the columns in words; ``meanings``, what each means, ``record_meaning``),
    shown when an agent is clicked. A listing that ends after the run's last day says
    so."""
    case = case_file(res, agent, untraced=UNTRACED)  # refuses an agent the run lacks
    row = res.agents.iloc[agent]
    record: dict[str, Any] = {}
    for k, v in row.items():
        v = v.item() if isinstance(v, np.generic) else v
        record[k] = (None if k in NO_ONE and v == -1 else
                     v if isinstance(v, bool | int | float) else str(v))
    last = len(res.metrics) - 1
    if record.get("listed_until") is not None and record["listed_until"] > last:
        record["listed_until"] = f"{record['listed_until']:,} (after the run's last day, {last:,})"
    return {"agent": agent, "run": res.run_id, "traced": case.traced, "story": case.text,
            "words": story_words(res, case.text), "record": record,
            "labels": {k: record_label(k) for k in record},
            "meanings": {k: record_meaning(k, res.scenario) for k in record}}


def record_meaning(column: str, sc: Scenario) -> str | None:
    """What an agents-table column means, for the record's rows: its source's description
    (``points_SOURCE``), else its definition (``outputs.result.AGENT_COLUMNS``) with the
    scenario's own numbers, or None when its words say it all."""
    if column.startswith("points_"):
        with contextlib.suppress(KeyError):  # a source this version does not declare
            return source(column.removeprefix("points_")).description
    found = agent_column(column)
    return found[0].said(sc) if found else None


def traced_agents(res: Result, limit: int = TRACED_SHOWN) -> list[dict[str, Any]]:
    """The agents with case files (``Result.traced``: wrongfully listed ones first), for the
    page's list, each with whether it was ever listed and wrongfully (the list says so:
    whoever wants to know why someone was listed finds them)."""
    times_listed = np.asarray(res.agent_columns["times_listed"])
    return [{"agent": int(t.agent), "listed": bool(times_listed[t.agent] > 0),
             "wrongful": bool(t.wrongful_listings > 0)}
            for t in res.traced.head(limit).itertuples(index=False)]
