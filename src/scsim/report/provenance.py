"""The report's provenance charts and case files (docs/provenance.md): where the points come
from (stacked by source over time), wrongful listings by cause, listing curves per region,
and three case files."""

from __future__ import annotations

import html

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from scsim.core.events import WRONGFULLY
from scsim.core.params import scenario_epochs, started_by_day
from scsim.core.source import UNKNOWN_CAUSE, source
from scsim.outputs.casefile import wrongful_stories
from scsim.outputs.result import Result
from scsim.outputs.words import counted
from scsim.report.figures import (
    CHART_TITLES,
    ONE_DAY,
    SMOOTH,
    SWITCHES,
    Chart,
    Runs,
    _days,
    _drawn,
    _from_zero,
    _n,
    _panel_titles,
    _smooth,
    blank_chart,
    one_day,
    source_color,
)

CAUSE_COLORS = {"misattribution": "#d73027", "false_report": "#fc8d59",
                "association": "#4575b4", "several": "#91bfdb", "other": "0.6",
                UNKNOWN_CAUSE: "0.8"}
CASE_FILES = 3  # case files shown in a run's report
CASE_LINES = 25  # lines of each case file shown (a line may tell several alike events)


def _has(res: Result, name: str) -> bool:
    return name in res.provenance


def sources(runs: Runs) -> Chart | str:
    """Its numbers (``Chart.data``) are the areas it draws,
    ``points_X_per_agent_per_day_14_day_mean``, by run and day: the daily totals over all
    agents, which it held, matched nothing drawn."""
    if not all(res.names.sources and f"points_{res.names.sources[0]}" in res.metrics
               for _, res in runs):
        return "the run has no points by source (saved before provenance)"
    if one_day(runs):
        return ONE_DAY
    shown = [s for s in runs[0][1].names.sources
             if any(res.metrics[f"points_{s}"].abs().sum() > 0 for _, res in runs
                    if f"points_{s}" in res.metrics)]
    if not shown:  # an empty frame with a 0-1 axis said nothing
        return "no source gave or took any points: nobody was scored"
    # a side that scores nobody (no-system against national-800) is said, not drawn as
    # an empty frame whose days ran from 0 to 1
    runs, left_out = _drawn(runs, lambda res: any(
        res.metrics[f"points_{s}"].abs().sum() > 0 for s in shown
        if f"points_{s}" in res.metrics), "scores nobody")
    caption = (f"Points gained (above 0) and lost (below 0) per agent and day by source, "
               f"recorded scores, {SMOOTH}-day rolling mean; together: the mean score's "
               f"change.{left_out}")
    chart, axes = blank_chart("sources", CHART_TITLES["sources"], caption,
                              ncols=len(runs), sharey=True)
    colors = {s: source_color(s) for s in shown}
    data = []
    for ax, (label, res) in zip(axes, runs, strict=True):
        days = _days(res)
        per_agent = {s: _smooth(res.metrics[f"points_{s}"] / _n(res)).to_numpy()
                     for s in shown if f"points_{s}" in res.metrics}
        data.append(pd.DataFrame({"day": days, **{
            f"points_{s}_per_agent_per_day_{SMOOTH}_day_mean": v
            for s, v in per_agent.items()}, "run": label}))
        for sign in (1, -1):
            parts = [(s, np.clip(sign * v, 0, None)) for s, v in per_agent.items()]
            parts = [(s, v) for s, v in parts if v.any()]
            if parts:
                ax.stackplot(days, *[sign * v for _, v in parts],
                             colors=[colors[s] for s, _ in parts],
                             )
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel("day")
        ax.set_ylabel("points per agent per day")
    axes[0].legend(handles=[Patch(color=colors[s], label=source(s).label) for s in shown],
                   loc="lower left", ncols=2)
    _panel_titles(axes, runs)
    chart.data = pd.concat(data, ignore_index=True)
    return chart


def causes(runs: Runs) -> Chart | str:
    if not all(_has(res, "wrongful") for _, res in runs):
        return "the run has no wrongful-listing causes (saved before provenance)"
    if not any(len(res.wrongful) for _, res in runs):
        return "no wrongful listings"
    caption = ("Wrongful listings so far, by the error that made the recorded score cross "
               "the threshold, or that put a severe act on the record (several: no single "
               "error decided it).")
    chart, axes = blank_chart("causes", CHART_TITLES["causes"], caption,
                              ncols=len(runs), sharey=True)
    for ax, (_, res) in zip(axes, runs, strict=True):
        days = _days(res)
        w = res.wrongful
        causes = [c for c in res.names.causes if (w["cause"] == c).any()]
        counts = [np.cumsum(np.bincount(w.loc[w["cause"] == c, "day"], minlength=len(days))
                            [:len(days)]) for c in causes]
        if counts:
            ax.stackplot(days, *counts, colors=[CAUSE_COLORS[c] for c in causes],
                         labels=[c.replace("_", " ") for c in causes])
            ax.legend(loc="upper left")
        ax.set_xlabel("day")
        ax.set_ylabel("wrongful listings (agents)")
        ax.set_xlim(days[0], days[-1])  # a side with none: its days, not 0 to 1
    _from_zero(*axes)  # once both sides are drawn: a shared axis that shows both
    _panel_titles(axes, runs)
    return chart


def regions(runs: Runs) -> Chart | str:
    if not all(_has(res, "regions") for _, res in runs):
        return "the run has no per-region series (saved before provenance)"
    if all(res.regions["region"].nunique() < 2 for _, res in runs):  # the listed chart again
        return ("the population lives in one region: there is no other to compare its "
                "listing rate with (the listed chart draws it)")
    lists, _ = SWITCHES["regions"]
    # a side that lists nobody (no-system against national-800) is said, not drawn as a
    # flat panel at 0
    runs, left_out = _drawn(runs, lambda res: any(
        lists(sc) for sc in scenario_epochs(res.scenario)), "lists nobody")
    caption = ("Share of each region's agents on the list each day (a region's curve starts "
               f"when the system starts there).{left_out}")
    chart, axes = blank_chart("regions", CHART_TITLES["regions"], caption, ncols=len(runs),
                              sharey=True)
    for ax, (_, res) in zip(axes, runs, strict=True):
        size = res.agents["region"].value_counts()
        reg = res.regions
        k = reg["region"].nunique()
        cmap = mpl.colormaps["viridis"]
        started = started_by_day(res.scenario)
        for r, rows in reg.groupby("region"):
            share = rows["listed"].to_numpy() / max(int(size.get(r, 0)), 1) * 100
            share = np.where(started[rows["day"].to_numpy(), r], share, np.nan)
            ax.plot(rows["day"], share, color=cmap(r / max(k - 1, 1)), lw=1.0,
                    label=f"region {r}" if k <= 10 else None)
        if k <= 10:
            ax.legend(loc="best", ncols=2)  # (as figures._line_chart's)
        ax.set_xlabel("day")
        ax.set_ylabel("listed (% of the region)")
    _from_zero(*axes, at_least=0.1)  # once both sides are drawn (a shared axis)
    _panel_titles(axes, runs)
    return chart


PROVENANCE_CHARTS = (sources, causes, regions)


def case_files_html(res: Result) -> str:
    """Three case files (wrongfully listed traced agents first), and the first wrongful
    listings with their causes, as HTML."""
    parts = []
    if _has(res, "wrongful") and len(res.wrongful):
        lines = wrongful_stories(res, 10)
        parts.append("<p>The first wrongful listings:</p><pre>"
                     + html.escape("\n".join(lines)) + "</pre>")
    if not res.names.per_agent_sources:
        parts.append("<p>This run kept no points by source per agent "
                     "(<code>metrics.per_agent_sources: false</code>): the causes of its "
                     "wrongful listings are unknown and it has no case files.</p>")
        return "".join(parts)
    traced = len(res.traced)
    if not traced:
        parts.append("<p>No agent was traced: <code>scsim run --trace N --trace-listed K "
                     "--trace-wrongful</code> keeps case files, <code>scsim explain RUN "
                     "AGENT</code> prints them.</p>")
        return "".join(parts)
    if not _has(res, "events") or not len(res.events):
        parts.append(f"<p>{counted(traced, 'agent was', 'agents were')} traced, and nothing "
                     "happened to any of them: no act, sighting, report, listing or sanction "
                     "(<code>scsim explain RUN</code> lists them).</p>")
        return "".join(parts)
    ev = res.events
    wrongly = ev.loc[(ev["event"] == "listed") & ((ev["value"].astype(int) & WRONGFULLY) != 0),
                     "agent"].unique()
    others = np.setdiff1d(ev["agent"].unique(), wrongly)
    chosen = [*wrongly[:CASE_FILES], *others[:max(0, CASE_FILES - len(wrongly))]]
    for agent in chosen[:CASE_FILES]:
        lines = res.explain(int(agent)).text.splitlines()  # a heading, then CASE_LINES
        if len(lines) > CASE_LINES + 2:  # one line more is shown: "… 1 more lines" took its place
            more = len(lines) - 1 - CASE_LINES
            lines = [*lines[:CASE_LINES + 1], f"… {more} more lines (scsim explain)"]
        parts.append(f"<pre>{html.escape(chr(10).join(lines))}</pre>")
    return "".join(parts)
