"""The report's charts, drawn with matplotlib's object API (no pyplot, no global backend).

Every chart function takes the runs to draw, ``[(label, Result)]`` (one run, or two paired
runs A and B), and returns a Chart, or a sentence saying why it does not apply (e.g. a
scenario without tiers); a chart of a mechanism switched off in every run (``SWITCHES``:
no-system scores nobody) is not drawn either, and the report says why. With
two runs, area charts and the network picture get one panel per run, side by side; line
charts draw both runs on the same axes, A with solid lines and B with dashed ones.
Every chart has a title, axis labels with units and a one-line caption, which is also
printed under the chart in the PNG.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from scsim.analysis.compare import Comparison
from scsim.analysis.published import ticket_figures
from scsim.core.params import scenario_epochs
from scsim.core.source import source_registry
from scsim.mechanisms import classify, sanction, score
from scsim.outputs.headline import chilling_change, chilling_window
from scsim.outputs.metrics import metric_label
from scsim.outputs.result import Result
from scsim.outputs.summary import (
    EVER_LISTED_DI,
    ON_THE_DAY_DI,
    SMALL_COUNT,
    companies_scored,
    ever_wrongful_by_group,
    ratio_bounds,
    ratio_warning,
    share_ratio,
)
from scsim.outputs.words import in_digits

Runs = list[tuple[str, Result]]

TITLE_CHARS_PER_INCH = 11  # a chart's bold 11-point title, wrapped at this many a line
CAPTION_CHARS_PER_INCH = 15  # its 8.5-point caption
CAPTION_LINE_INCHES = 0.15  # the height of a caption line
CAPTION_GID = "caption"  # the figure's text that is the caption (the title is another)
PANEL_TITLE_CHARS_PER_INCH = 10  # a line of a panel's 10-point title (axes.titlesize)

STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "figure.dpi": 110, "savefig.dpi": 110, "legend.framealpha": 0.9,
}
MAX_LEGEND_INSIDE = 5  # entries; a longer legend goes beside the panel, not over the lines

RUN_STYLES = ("-", "--")  # A, B
PER = 100_000  # "per 100,000 agents"
TICKETS_PER = 100  # the travel chart's blocked tickets are per 100 agents, as the headline's
SMOOTH = 14  # days in the rolling mean of daily counts, and in the chilling baseline
MIN_BASELINE_ACTS = 100  # a behaviour with fewer acts in the baseline is too noisy to draw
# Highest tier to lowest, blue to red (ColorBrewer's RdBu and RdYlBu): a reader blind to
# red and green tells them apart (green to red, RdYlGn, made neighbouring tiers one colour)
TIER_COLORS = ("#2166ac", "#4393c3", "#92c5de", "#fdb863", "#f46d43", "#b2182b")
SEVERED_COLOR = "#7b3294"
# Lines of several behaviours (chilling): Okabe & Ito's colours, which readers blind to
# red or green tell apart (matplotlib's default cycle drew a green and a red they saw as one)
SERIES_COLORS = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442")
# 20 distinct colours, the strong ones first (matplotlib's tab20, dark then light)
SOURCE_PALETTE = (*mpl.colormaps["tab20"].colors[0::2], *mpl.colormaps["tab20"].colors[1::2])
TIES_AXIS_FROM = 95.0  # %: the ties chart's left axis starts here or lower
# Each chart's title, by its name (the stem of its files): the report's "Not drawn" line
# names a chart it leaves out by its title, as the links to the charts drawn do (it said
# "wrongful_groups (nobody was listed wrongfully)"). The network picture's title says
# whether a tie was severed; left out, it is this one.
CHART_TITLES = {
    "scores": "Score distribution over time",
    "difference": "Paired difference, B − A, day by day",
    "tiers": "Agents per tier",
    "listed": "Listed and wrongfully listed",
    "travel": "Blocked air and train tickets, cumulative",
    "chilling": "Penalised acts relative to the start (chilling effect)",
    "ties": "Ties active, largest component and pariahs",
    "groups": f"Listing rate per group and {ON_THE_DAY_DI}",
    "wrongful_groups": "Wrongful listings per group",
    "companies": "Companies",
    "network": "A sample of the network",
    "sources": "Where the points come from",
    "causes": "Wrongful listings by cause, cumulative",
    "regions": "Listed per region",
}


@dataclass
class Chart:
    """One figure: ``name`` is its file stem, ``caption`` says how to read it."""

    name: str
    title: str
    caption: str
    figure: Figure
    data: pd.DataFrame | None = None  # what it draws, for the report's CSV link


def blank_chart(name: str, title: str, caption: str, ncols: int = 1, width: float = 10.5,
           height: float = 4.0, sharey: bool = False) -> tuple[Chart, list]:
    """An empty chart with ``ncols`` panels, its title on top and its caption below, each
    wrapped to the figure's width (``width`` and ``height`` in inches): a narrow chart
    (a sweep over one parameter) cut them at its edge. ``Chart.caption`` keeps the caption
    unwrapped: the report's alt text, where a line break split words ("dash-\ndotted")."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]
    fig.suptitle(textwrap.fill(title, int(width * TITLE_CHARS_PER_INCH)), x=0.01, ha="left",
                 fontweight="bold", fontsize=11)
    fig.text(0.01, 0.01, "", fontsize=8.5, style="italic", color="0.3", va="bottom",
             gid=CAPTION_GID)
    chart = Chart(name, title, "", fig)
    _set_caption(chart, caption)
    return chart, list(axes)


def _set_caption(chart: Chart, caption: str) -> None:
    """Draw ``caption`` under the panels of ``chart`` (the figure's text that
    ``blank_chart`` made, ``CAPTION_GID``), wrapped to the figure's width, the panels
    raised by a line's height for each line it takes."""
    fig = chart.figure
    width, height = fig.get_size_inches()
    wrapped = textwrap.fill(caption, int(width * CAPTION_CHARS_PER_INCH))
    # the panels above the caption: 6 % of the height for one line, a line more for each
    bottom = 0.06 + wrapped.count("\n") * CAPTION_LINE_INCHES / height
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    next(text for text in fig.texts if text.get_gid() == CAPTION_GID).set_text(wrapped)
    chart.caption = caption


def _line_chart(name: str, title: str, caption: str, runs: Runs, series: list,
                ylabel: str) -> tuple[Chart, object]:
    """A one-panel chart of daily series, both runs on the same axes."""
    chart, (ax,) = blank_chart(name, title, caption)
    _overlay(ax, runs, series)
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel)
    # where it hides the fewest points: court-blacklist's listed line starts high (those
    # listed before day 0), and a legend in the upper left hid its first 12 days
    ax.legend(loc="best")
    return chart, ax


def _days(res: Result) -> np.ndarray:
    return res.metrics["day"].to_numpy()


def _n(res: Result) -> int:
    return len(res.agents)


def _per(count, n: int, per: float = PER):
    """``count`` (agents, acts: an array or Series) per ``per`` of ``n`` agents, multiplied
    first: 3 of 20,000 is 15.0 per 100,000, where dividing first wrote 14.999999999999998
    into the charts' CSVs."""
    return count * per / n


def _smooth(values: pd.Series) -> pd.Series:
    return values.rolling(SMOOTH, min_periods=1).mean()


def _overlay(ax, runs: Runs, series: list[tuple[str, str, Callable[[Result], pd.Series]]],
             **kw) -> None:
    """Each series (label, colour, values of a run per day) for each run; the run's
    linestyle tells A from B."""
    for k, (label, res) in enumerate(runs):
        for name, color, values in series:
            suffix = f" ({label.split(':')[0]})" if len(runs) > 1 else ""
            ax.plot(_days(res), values(res), color=color, ls=RUN_STYLES[k], lw=1.6,
                    label=name + suffix, **kw)


def _from_zero(*axes, at_least: float = 1.0) -> None:
    """Y axes of counts and shares start at 0 and show at least ``at_least`` (a series that
    stays at 0 then reads as 0, not as noise around it)."""
    for ax in axes:
        ax.set_ylim(0, max(at_least, ax.get_ylim()[1]))


def _none_note(ax, runs: Runs, column: str, words: str) -> None:
    """Over a panel of metric ``column``, when it is 0 on every day of every run, say so
    in words ("no agent became a pariah in 180 days"): a flat line along the axis, under
    an axis from 0 to 1, left a reader looking for a line that was not there."""
    if all((res.metrics[column] == 0).all() for _, res in runs):
        days = max(len(res.metrics) for _, res in runs)
        ax.set_title(f"{words} in {days:,} days", loc="left", color="0.3", fontsize=8)


def _panel_titles(axes, runs: Runs) -> None:
    """Each side's label over its panel, and as its name (``Axes.get_label``: the panel of
    the chart's numbers), wrapped (``_wrap_label``) to the width the panel has once the
    chart is laid out with its legends in place: a long label, "B: national-800,
    scoring.association.listed_penalty=0.3", ran off the figure, and one wrapped to half
    the figure's width was cut where a legend between the panels narrowed them. Called
    once the panels are drawn."""
    if len(runs) < 2:
        return
    fig = axes[0].figure
    _legible_legends(fig)
    fig.draw_without_rendering()  # the layout: each panel's width
    for ax, (label, _) in zip(axes, runs, strict=False):
        inches = ax.get_position().width * fig.get_figwidth()
        ax.set_label(label)
        ax.set_title(_wrap_label(label, int(inches * PANEL_TITLE_CHARS_PER_INCH)), loc="left")


def _wrap_label(label: str, chars: int) -> str:
    """``label`` in lines of at most ``chars`` characters where it can be: broken between
    words, or after a dot of a setting's name ("scoring.association." then
    "listed_penalty=0.3"), never inside a name or a value."""
    lines = [""]
    for piece in re.findall(r"\S+?(?:\.(?=[A-Za-z_])|\s+|$)", label):
        if lines[-1] and len(lines[-1] + piece.rstrip()) > chars:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip() for line in lines)


def source_color(name: str) -> tuple[float, float, float]:
    """The colour (RGB, 0 to 1) of the point source ``name`` ("listed_penalty"): fixed by
    its place among all the sources scsim declares (``core.source.source_registry``), so
    a source has the same colour in every report and comparison (numbered by the sources a
    chart shows, "listed neighbours" was red in one report and purple in another)."""
    names = [s.name for s in source_registry()]
    return SOURCE_PALETTE[names.index(name) % len(SOURCE_PALETTE)]


def _tier_colors(n: int) -> list:
    """The colours of ``n`` tiers, highest first: ``n`` of ``TIER_COLORS`` spread from its
    first to its last (three companies' tiers: blue, orange, red), blends of them for more
    than six tiers; a blend of light blue and orange, drawn as a line, was grey on white."""
    last = len(TIER_COLORS) - 1
    if n <= len(TIER_COLORS):
        return [mpl.colors.to_rgba(TIER_COLORS[math.floor(k * last / max(n - 1, 1) + 0.5)])
                for k in range(n)]
    cmap = mpl.colors.LinearSegmentedColormap.from_list("tiers", TIER_COLORS)
    return [cmap(k / (n - 1)) for k in range(n)]


def _threshold(res: Result) -> float | None:
    """The score (points) below which the run lists agents; None when it lists nobody by
    score (listing off, or no threshold: court-blacklist lists on a severe act only)."""
    return res.scenario.listing.threshold if res.scenario.listing.enabled else None


def scores(runs: Runs) -> Chart:
    caption = ("Shaded bands hold the middle 98 %, 90 % and 50 % of agents' scores on each "
               "day; the line is the median")
    caption += ("; the red dotted line is the listing threshold."
                if any(_threshold(res) is not None for _, res in runs) else ".")
    chart, axes = blank_chart("scores", CHART_TITLES["scores"], caption, ncols=len(runs),
                         sharey=True)
    for ax, (_label, res) in zip(axes, runs, strict=True):
        m, x = res.metrics, _days(res)
        for lo, hi, alpha in (("p01", "p99", 0.15), ("p05", "p95", 0.25), ("p25", "p75", 0.4)):
            ax.fill_between(x, m[f"score_{lo}"], m[f"score_{hi}"], color="C0", alpha=alpha,
                            lw=0, label=f"middle {int(hi[1:]) - int(lo[1:])} % of scores")
        ax.plot(x, m["score_p50"], color="C0", lw=1.8, label="median")
        if _threshold(res) is not None:
            ax.axhline(_threshold(res), color="C3", ls=":", lw=1.5, label="listing threshold")
        ax.set_xlabel("day")
        ax.set_ylabel("score (points)")
    axes[-1].legend(loc="lower left")
    _panel_titles(axes, runs)
    return chart


def _drawn(runs: Runs, has: Callable[[Result], Any], lacks: str) -> tuple[Runs, str]:
    """The runs that ``has`` what a chart draws, and a sentence for its caption naming
    those left out ('A: no-system has no companies scored, so it is not drawn.'; '' when
    none is)."""
    drawn = [(label, res) for label, res in runs if has(res)]
    left = [label for label, res in runs if not has(res)]
    if not left or not drawn:
        return drawn, ""
    return drawn, f" {' and '.join(left)} {lacks}, so it is not drawn."


def _empty_tiers(runs: Runs) -> list[str]:
    """The tiers (names, highest first) that no agent of any run is in on any day, which
    the tiers chart leaves out: its legend listed them, a colour with no band (tier d of
    national-800, where nobody fell below 550 points in 60 days); none when every tier
    is empty (the chart then draws them all)."""
    names = list(dict.fromkeys(t for _, res in runs for t in res.names.tiers))
    empty = [t for t in names if not any(
        t in res.names.tiers and (res.metrics[f"tier_{t}"] > 0).any() for _, res in runs)]
    return empty if len(empty) < len(names) else []


def tiers(runs: Runs) -> Chart | str:
    """Its numbers (``Chart.data``) are the agents in each tier, ``tier_X_agents``, and the
    bands it draws, ``tier_X_pct_of_agents``, by run and day (the counts alone, under the
    metrics' names, matched no band)."""
    runs, left_out = _drawn(runs, lambda res: res.names.tiers, "has no tiers")
    if not runs:
        return "the scenario has no tiers"
    empty = _empty_tiers(runs)
    caption = ("Each band is the share of agents in one tier on each day, from the highest "
               "tier at the bottom (blue) to the lowest at the top (red when it is the "
               "scenario's lowest).")
    if len(empty) == 1:
        caption += f" No agent was ever in tier {empty[0]}, so it is left out."
    elif empty:
        caption += (f" No agent was ever in tiers {', '.join(empty[:-1])} or {empty[-1]}, "
                    "so they are left out.")
    caption += left_out
    chart, axes = blank_chart("tiers", CHART_TITLES["tiers"], caption, ncols=len(runs), sharey=True)
    for ax, (_label, res) in zip(axes, runs, strict=True):
        # each tier keeps its colour, the one of its place among all the scenario's tiers
        # (numbered among the tiers drawn, tier c would turn red when tier d is left out)
        colors = dict(zip(res.names.tiers, _tier_colors(len(res.names.tiers)), strict=True))
        names = [t for t in res.names.tiers if t not in empty]
        shares = [_per(res.metrics[f"tier_{t}"], _n(res), 100) for t in names]
        ax.stackplot(_days(res), *shares, labels=names, colors=[colors[t] for t in names],
                     alpha=0.9)
        ax.set_ylim(0, 100)
        ax.set_xlabel("day")
        ax.set_ylabel("agents (% of all agents)")
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), reverse=True)
    _panel_titles(axes, runs)
    chart.data = pd.concat([pd.DataFrame({
        "day": res.metrics["day"],
        **{f"tier_{t}_agents": res.metrics[f"tier_{t}"] for t in res.names.tiers},
        **{f"tier_{t}_pct_of_agents": _per(res.metrics[f"tier_{t}"], _n(res), 100)
           for t in res.names.tiers}, "run": label}) for label, res in runs],
        ignore_index=True)
    return chart


def listed(runs: Runs) -> Chart:
    """Its numbers (``Chart.data``) are the lines it draws: ``listed_per_100k_agents`` and
    ``wrongful_listed_per_100k_agents`` by run and day."""
    caption = ("Agents on the list on each day, and those of them whose listing is wrongful "
               "(the error-free record would not have listed them on the day they were "
               "listed), per 100,000 agents.")
    drawn = {"listed": "C0", "wrongful_listed": "C3"}

    def per_100k(res: Result, col: str) -> pd.Series:
        return _per(res.metrics[col], _n(res))

    chart, ax = _line_chart("listed", CHART_TITLES["listed"], caption, runs, [
        (metric_label(col), color, lambda r, col=col: per_100k(r, col))
        for col, color in drawn.items()], "agents per 100,000")
    _from_zero(ax)
    _none_note(ax, runs, "wrongful_listed", "nobody was listed wrongfully")  # a red line at 0
    chart.data = pd.concat([pd.DataFrame({
        "day": res.metrics["day"], **{f"{col}_per_100k_agents": per_100k(res, col)
                                      for col in drawn}, "run": label})
        for label, res in runs], ignore_index=True)
    return chart


def travel(runs: Runs) -> Chart:
    """Blocked tickets since day 0 per ``TICKETS_PER`` agents (per agent, 0.004 was hard to
    read), next to the 2018 figures on the same scale: a figure per ``TICKETS_PER`` people
    a year, added up over the days drawn (figure x day / 365)."""
    per = f"{TICKETS_PER:,}"
    caption = (f"Blocked ticket purchases since day 0, per {per} agents; thin lines: the 2018 "
               f"figures (per {per} people a year) added up over the same days, as reported "
               "(dotted) and from the year-end totals (dash-dotted).")
    chart, ax = _line_chart("travel", CHART_TITLES["travel"], caption, runs, [
        ("air tickets", "C0",
         lambda r: _per(r.metrics["blocked_air"].cumsum(), _n(r), TICKETS_PER)),
        ("train tickets", "C1",
         lambda r: _per(r.metrics["blocked_train"].cumsum(), _n(r), TICKETS_PER))],
        f"blocked tickets per {per} agents\n(cumulative)")  # one line: longer than the panel
    days = max(len(res.metrics) for _, res in runs)
    x = np.array([0, days - 1])
    for mode, figure in ((m, f) for m in ("air", "train") for f in ticket_figures(m)):
        rate = figure.value * TICKETS_PER  # per TICKETS_PER people a year
        ax.plot(x, rate * x / 365.0, color="C0" if mode == "air" else "C1", lw=0.9,
                ls=":" if figure.reading == "seed" else "-.", alpha=0.8,
                label=f"{mode} 2018, {figure.reading_words}: {in_digits(rate)} per {per} people "
                      "a year")  # as the headline writes them
    # In the legend rather than beside the lines' ends, where the four labels overlapped
    # and ran off the figure.
    ax.legend(loc="upper left", fontsize=8)
    return chart


def _penalised(res: Result) -> list[str]:
    return [b.name for b in res.scenario.behaviours
            if (b.penalised if b.penalised is not None else b.delta < 0)]


def _relative(values: pd.Series) -> pd.Series:
    return _smooth(values) / values.iloc[:SMOOTH].mean() * 100


def _enough(res: Result, column: str) -> bool:
    return res.metrics[column].iloc[:SMOOTH].sum() >= MIN_BASELINE_ACTS


ONE_DAY = "a run of one day: there is no change over its days to draw"


def one_day(runs: Runs) -> bool:
    """Whether every run of ``runs`` has a single day: a chart of change over the days,
    or of a rolling mean, would be empty (an axis from −0.04 to 0.04)."""
    return all(len(r.metrics) < 2 for _, r in runs)


def chilling(runs: Runs) -> Chart | str:
    if one_day(runs):
        return ONE_DAY
    if not all(_enough(r, "penalised_acts") for _, r in runs):
        return (f"fewer than {MIN_BASELINE_ACTS} penalised acts in the first {SMOOTH} days: "
                "too few to measure a change")
    names = [b for b in _penalised(runs[0][1])
             if all(b in _penalised(r) and _enough(r, f"acts_{b}") for _, r in runs)]
    window = chilling_window(len(runs[0][1].metrics))
    caption = (f"Penalised acts per day ({SMOOTH}-day mean), % of the first {SMOOTH} days, per "
               f"behaviour (if ≥ {MIN_BASELINE_ACTS} acts then) and in all (black); under 100 "
               f"% = deterred. The thick grey bar is the headline's figure: the last {window} "
               f"days' mean against the first {window} days'.")
    series = [(b.replace("_", " "), SERIES_COLORS[k % len(SERIES_COLORS)],
               lambda r, b=b: _relative(r.metrics[f"acts_{b}"])) for k, b in enumerate(names)]
    series.append(("all penalised acts", "black", lambda r: _relative(r.metrics[
        "penalised_acts"])))
    chart, ax = _line_chart("chilling", CHART_TITLES["chilling"],
                            caption, runs, series,
                            # on two lines: on one it ran up over the chart's title
                            f"acts per day, {SMOOTH}-day mean\n(% of the first {SMOOTH} days)")
    ax.axhline(100, color="0.5", lw=0.8)
    for k, (label, res) in enumerate(runs):  # the headline's windows, not the chart's
        change, days = chilling_change(res.metrics), _days(res)
        if math.isfinite(change):
            suffix = f" ({label.split(':')[0]})" if len(runs) > 1 else ""
            ax.plot([days[-window], days[-1]], [100 * (1 + change)] * 2, color="0.45",
                    ls=RUN_STYLES[k], lw=4, solid_capstyle="butt",
                    label=f"last {window} days against the first {window} (headline)"
                          + suffix)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return chart


def ties(runs: Runs) -> Chart:
    caption = ("Left: ties active (neither severed by one of the two, nor suspended while "
               "one of them is detained), and agents in the largest connected component of "
               "active ties (dots: days measured). Right: pariahs, agents left with few ties.")
    chart, (left, right) = blank_chart("ties", CHART_TITLES["ties"],
                                       caption, 2)
    _overlay(left, runs, [("ties active (% of ties)", "C0",
                           lambda r: r.metrics["ties_active_frac"] * 100)])
    for k, (label, res) in enumerate(runs):
        m = res.metrics.dropna(subset=["lcc_frac"])
        suffix = f" ({label.split(':')[0]})" if len(runs) > 1 else ""
        left.plot(m["day"], m["lcc_frac"] * 100, color="C2", ls=RUN_STYLES[k], marker="o",
                  ms=3, lw=1.2, label=metric_label("lcc_frac") + " (% of agents)" + suffix)
    left.set_ylabel("% of ties / % of agents")
    _overlay(right, runs, [(metric_label("pariahs"), "C3",
                            lambda r: _per(r.metrics["pariahs"], _n(r)))])
    right.set_ylabel("pariahs per 100,000 agents")
    _none_note(right, runs, "pariahs", "no agent became a pariah")
    # from 95 % at the highest: a line flat at 100 % sat on an axis from 100.0 to 100.5
    left.set_ylim(min(left.get_ylim()[0], TIES_AXIS_FROM), 100.5)
    if (low := left.get_ylim()[0]) > 0:  # a fall from 100 % to 96 % looked like one to 0
        _set_caption(chart, f"{caption} The left axis starts at {low:.3g} %, not at 0.")
    _from_zero(right)
    for ax in (left, right):
        ax.set_xlabel("day")
        ax.legend(loc="lower left" if ax is left else "upper left")
    return chart


def groups(runs: Runs) -> Chart | str:
    res0 = runs[0][1]
    if all(len(r.names.groups) < 2 for _, r in runs):  # a flat line at parity says nothing
        return ("the population is one group: there is no other to compare its listing "
                "rate with")
    ref = res0.names.groups[res0.names.reference_group]
    caption = (f"Left: share of each group on the list each day. Right: {ON_THE_DAY_DI}, "
               f"a group's share on the list that day divided by that of {ref}; 1 = parity, "
               "above 1 = listed more often. A run's summary table (scsim run --full) "
               f"divides the shares ever listed in the run instead (\"{EVER_LISTED_DI}\").")
    chart, (left, right) = blank_chart("groups", CHART_TITLES["groups"],
                                  caption, 2)
    names = [g for g in res0.names.groups if all(g in r.names.groups for _, r in runs)]
    _overlay(left, runs, [(g, f"C{k % 10}", lambda r, g=g: r.metrics[f"listed_rate_{g}"] * 100)
                          for k, g in enumerate(names)])
    _overlay(right, runs, [(g, f"C{k % 10}", lambda r, g=g: r.metrics[f"di_{g}"])
                           for k, g in enumerate(names)])
    right.axhline(1.0, color="0.5", lw=0.8)
    warning = ratio_warning([r for _, r in runs], names)
    if not any(r.metrics[f"di_{g}"].notna().any() for _, r in runs for g in names):
        right.set_title(f"no ratio: nobody in the group {ref} was listed on any day",
                        loc="left", color="0.3", fontsize=8)
        right.set_xlim(0, max(1, max(len(r.metrics) for _, r in runs) - 1))
    elif warning:
        right.set_title(f"⚠ {warning}", loc="left", color="C3", fontsize=8)
    _from_zero(left, at_least=0.1)
    _from_zero(right, at_least=2.0)
    left.set_ylabel("listed (% of the group)")
    right.set_ylabel(f"listed share that day / {ref}'s (ratio)")
    for ax in (left, right):
        ax.set_xlabel("day")
        ax.legend(loc="best")  # (as _line_chart's)
    return chart


WRONGFUL_KEPT = "has no wrongful listings per group (saved before they were kept)"
RUN_MARKERS = ("o", "s")  # A, B: the dots of a chart of figures over the whole run


def _wrongful_kept(res: Result) -> bool:
    """Whether ``res`` kept what the wrongful-groups chart draws: each group's share on the
    list wrongfully each day (``wrongful_rate_NAME``) and each agent's wrongful listings."""
    return ("wrongful_listings" in res.agent_columns
            and all(f"wrongful_rate_{g}" in res.metrics for g in res.names.groups))


def wrongful_groups(runs: Runs) -> Chart | str:
    """Does one group get listed wrongfully more often? Left, each group's share on the
    list wrongfully each day (lines, each group in its colour of the groups chart); right,
    each group's share ever wrongfully listed by the last day over the reference group's,
    with the summary's 95 % interval (``summary.ratio_bounds``). Its numbers
    (``Chart.data``): one row per run, panel, group and day drawn (``unit``: its axis;
    ``value``: the point drawn), the right panel's with its interval and the counts
    behind it."""
    if all(len(r.names.groups) < 2 for _, r in runs):
        return ("the population is one group: there is no other to compare its wrongful "
                "listings with")
    if not any(r.names.errors for _, r in runs):
        return ("the scenario makes no errors (no false match, no false report): nobody is "
                "listed wrongfully")
    runs, left_out = _drawn(runs, _wrongful_kept, WRONGFUL_KEPT)
    if not runs:
        return f"the run {WRONGFUL_KEPT}"
    res0 = runs[0][1]
    evers = [ever_wrongful_by_group(r) for _, r in runs]  # per run: group -> (ever, agents)
    if not any(count for ever in evers for count, _ in ever.values()):
        return "nobody was listed wrongfully"
    ref = res0.names.groups[res0.names.reference_group]
    caption = ("Left: share of each group on the list wrongfully on each day (the error-free "
               "record would not have listed them). Right: share of each group ever listed "
               f"wrongfully by the last day, divided by that of {ref}, with its 95 % interval "
               "(as in the summary table); 1 = parity, above 1 = listed wrongfully more "
               "often." + left_out)
    chart, (left, right) = blank_chart("wrongful_groups", CHART_TITLES["wrongful_groups"],
                                       caption, 2)
    names = [g for g in res0.names.groups if all(g in r.names.groups for _, r in runs)]
    _overlay(left, runs, [(g, f"C{k % 10}",
                           lambda r, g=g: r.metrics[f"wrongful_rate_{g}"] * 100)
                          for k, g in enumerate(names)])
    units = ("wrongfully listed (% of the group)",
             f"ever wrongfully listed: share / share of {ref} (ratio)")
    rows = [pd.DataFrame({"run": label, "panel": "left", "group": g, "unit": units[0],
                          "day": _days(res), "value": res.metrics[f"wrongful_rate_{g}"] * 100})
            for label, res in runs for g in names]
    right.axhline(1.0, color="0.5", lw=0.8)
    fewest = None
    for j, ((label, res), ever) in enumerate(zip(runs, evers, strict=True)):
        run_ref = res.names.groups[res.names.reference_group]
        ref_count, ref_size = ever[run_ref]
        for k, g in enumerate(names):
            count, size = ever[g]
            ratio = share_ratio(count, size, ref_count, ref_size)
            # none for the reference itself (1 by definition), nor for a count of 0
            bounds = ratio_bounds(count, size, ref_count, ref_size) if g != run_ref else None
            low, high = bounds or (math.nan, math.nan)
            rows.append(pd.DataFrame({
                "run": label, "panel": "right", "group": g, "unit": units[1],
                "day": [_days(res)[-1]], "value": [ratio], "ci95_low": [low],
                "ci95_high": [high], "ever_wrongfully_listed_agents": [count],
                "group_agents": [size]}))
            if fewest is None or count < fewest[0]:
                fewest = (count, g)
            if math.isfinite(ratio):
                x = k + (j - (len(runs) - 1) / 2) * 0.2
                whisker = [[ratio - low], [high - ratio]] if bounds else None
                bars = right.errorbar([x], [ratio], yerr=whisker, fmt=RUN_MARKERS[j],
                                      color=f"C{k % 10}", capsize=4, ms=6,
                                      mfc="white" if j else f"C{k % 10}")
                for whiskers in bars.lines[2]:
                    whiskers.set_linestyle(RUN_STYLES[j])
    right.set_xticks(range(len(names)), [f"{g}\n(reference)" if g == ref else g
                                         for g in names])
    right.set_xlim(-0.6, len(names) - 0.4)
    right.grid(False, axis="x")
    if all(ever[r.names.groups[r.names.reference_group]][0] == 0
           for (_, r), ever in zip(runs, evers, strict=True)):
        right.set_title(f"no ratio: nobody in the group {ref} was ever listed wrongfully",
                        loc="left", color="0.3", fontsize=8)
    elif fewest is not None and fewest[0] < SMALL_COUNT:
        right.set_title(f"⚠ small numbers: {fewest[1]} has {fewest[0]:,} ever listed "
                        f"wrongfully (under {SMALL_COUNT}): wide intervals", loc="left",
                        color="C3", fontsize=8)
    if len(runs) > 1:
        right.legend(handles=[Line2D([], [], marker=RUN_MARKERS[j], ls=RUN_STYLES[j],
                                     color="0.3", mfc="white" if j else "0.3",
                                     label=label.split(":")[0])
                              for j, (label, _) in enumerate(runs)], loc="best")
    _from_zero(left, at_least=0.1)
    _from_zero(right, at_least=2.0)
    left.set_xlabel("day")
    left.legend(loc="best")
    right.set_xlabel("group (by the last day)")
    left.set_ylabel(units[0])
    right.set_ylabel(units[1].replace(": ", ":\n"))
    data = pd.concat(rows, ignore_index=True)
    counts = ["ever_wrongfully_listed_agents", "group_agents"]  # blank on the left's rows
    data[counts] = data[counts].astype("Int64")
    chart.data = data
    return chart


def companies(runs: Runs) -> Chart | str:
    runs, left_out = _drawn(runs, companies_scored, "scores no companies")
    if not runs:
        return "companies are not scored in this scenario"
    caption = ("Left: share of companies in each corporate tier (the tier sets the tax and "
               "inspection rates). Right: companies on the list." + left_out)
    chart, (left, right) = blank_chart("companies", CHART_TITLES["companies"], caption, 2)
    names = runs[0][1].names.company_tiers
    colors = _tier_colors(len(names))
    _overlay(left, runs, [(f"tier {t}", colors[k],
                           lambda r, t=t: r.metrics[f"corp_tier_{t}"] / len(r.companies) * 100)
                          for k, t in enumerate(names)
                          if all(t in r.names.company_tiers for _, r in runs)])
    _overlay(right, runs, [(metric_label("corp_listed"), "C3", lambda r: r.metrics["corp_listed"])])
    _from_zero(left, at_least=100.0)
    _from_zero(right)
    left.set_ylabel("companies (% of companies)")
    right.set_ylabel("listed companies (count)")
    _none_note(right, runs, "corp_listed", "no company was listed")
    for ax in (left, right):
        ax.set_xlabel("day")
        ax.legend(loc="best")
    return chart


def network(runs: Runs) -> Chart | str:
    samples = [(label, res.sample) for label, res in runs if res.sample is not None]
    if len(samples) != len(runs):
        return "the run was saved without its network sample"
    first = samples[0][1]
    same = all(s.nodes["agent"].equals(first.nodes["agent"]) for _, s in samples)
    severed = any(s.ties["severed_end"].any() for _, s in samples)
    panels = [("day 0", first, False)] if same else []
    for label, s in samples:
        short = label.split(":")[0] + ", " if len(runs) > 1 else ""
        if not same:
            panels.append((f"{short}day 0", s, False))
        # days are numbered from 0: the last of 365 is day 364
        panels.append((f"{short}day {runs[0][1].scenario.days - 1} (the last)", s, True))
    caption = (f"{len(first.nodes)} agents reached from {int(first.nodes['seed'].sum())} "
               "random agents through their ties; colour: tier, ring: listed"
               + (", purple dashes: severed ties" if severed else "")
               + ". Positions: force layout (no units).")
    title = (f"Who was cut off: {CHART_TITLES['network'].lower()}" if severed
             else f"{CHART_TITLES['network']}: no tie was severed")
    chart, axes = blank_chart("network", title, caption, len(panels),
                              width=min(5.0 * len(panels), 15.0), height=5.2)
    graph = nx.Graph()
    graph.add_nodes_from(first.nodes["agent"].tolist())
    graph.add_edges_from(zip(first.ties["a"].tolist(), first.ties["b"].tolist(), strict=True))
    pos = nx.spring_layout(graph, seed=int(runs[0][1].seed), iterations=100)
    tiers = list(first.nodes["tier_end"].cat.categories)
    colors = _tier_colors(len(tiers)) if tiers != ["none"] else ["C0"]
    for ax, (title, s, end) in zip(axes, panels, strict=True):
        if not same:
            graph = nx.Graph()
            graph.add_nodes_from(s.nodes["agent"].tolist())
            graph.add_edges_from(zip(s.ties["a"].tolist(), s.ties["b"].tolist(), strict=True))
            pos = nx.spring_layout(graph, seed=int(runs[0][1].seed), iterations=100)
        _draw_network(ax, s, pos, colors, end)
        ax.set_title(title, loc="left")
        ax.set_axis_off()
    handles = [Patch(color=c, label=t) for t, c in zip(tiers, colors, strict=True)
               if t != "none"]
    handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=1.6,
                          label="listed"))
    if severed:
        handles.append(Line2D([], [], color=SEVERED_COLOR, ls="--", label="severed tie"))
    handles.append(Line2D([], [], color="0.6", label="active tie"))
    axes[-1].legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return chart


def _draw_network(ax, s, pos: dict, colors: list, end: bool) -> None:
    ties = s.ties
    severed = ties["severed_end"].to_numpy() & end
    segments = np.array([[pos[a], pos[b]] for a, b in zip(ties["a"], ties["b"], strict=True)])
    if len(segments):
        ax.add_collection(LineCollection(segments[~severed], colors="0.6", lw=0.6,
                                         alpha=0.7))
        ax.add_collection(LineCollection(segments[severed], colors=SEVERED_COLOR, lw=1.5,
                                         linestyles="--"))
    nodes = s.nodes
    xy = np.array([pos[a] for a in nodes["agent"]])
    tier = (nodes["tier_end"] if end else nodes["tier_start"]).cat.codes.to_numpy()
    listed = nodes["listed_end"].to_numpy() & end
    ax.scatter(xy[:, 0], xy[:, 1], s=np.where(listed, 40, 16), c=[colors[t] for t in tier],
               edgecolors=np.where(listed, "black", "none").tolist(),
               linewidths=np.where(listed, 1.6, 0.0), zorder=3)


DIFFERENCE_COLUMNS = {  # the difference chart's numbers: each line's CSV column
    "listed": "listed_b_minus_a_per_100k_agents",
    "wrongful_listed": "wrongful_listed_b_minus_a_per_100k_agents",
    "penalised_acts": f"penalised_acts_per_day_{SMOOTH}_day_mean_b_minus_a_per_100k_agents"}


def differences(comparison: Comparison) -> Chart:
    """B − A day by day: the mean over the pairs of a comparison, with the 95 % interval
    of that mean when there are several pairs. Its numbers (``Chart.data``) are each
    pair's, in the chart's units (``DIFFERENCE_COLUMNS``), by ``day``, ``pair`` (0 is the
    first) and its ``seed``: the mean over the pairs is the line drawn."""
    from scsim.analysis.stats import t_half_width

    days = comparison.daily(0)["day"]
    n, reps = _n(comparison.a[0]), comparison.reps
    per_pair = {col: np.stack([comparison.daily(k)[col].to_numpy() for k in range(reps)])
                for col in ("listed", "wrongful_listed", "penalised_acts")}
    per_pair["penalised_acts"] = np.stack([_smooth(pd.Series(row)).to_numpy()
                                           for row in per_pair["penalised_acts"]])
    per_pair = {col: _per(values, n) for col, values in per_pair.items()}  # as drawn
    over = f"mean over {reps} pairs, band: 95 % interval" if reps > 1 else "one pair"
    caption = (f"B − A per day, same agents and random numbers ({over}); above 0: more "
               f"under B. Right: {SMOOTH}-day mean of penalised acts.")
    chart, (left, right) = blank_chart("difference", CHART_TITLES["difference"],
                                       caption, 2)
    for ax, col, color in ((left, "listed", "C0"), (left, "wrongful_listed", "C3"),
                           (right, "penalised_acts", "black")):
        values = per_pair[col]
        mean = values.mean(axis=0)
        ax.plot(days, mean, color=color, label=metric_label(col))
        if reps > 1:
            half = t_half_width(values.std(axis=0, ddof=1), reps)
            ax.fill_between(days, mean - half, mean + half, color=color, alpha=0.2, lw=0)
    left.set_ylabel("B − A, agents per 100,000")
    right.set_ylabel("B − A, acts per day per 100,000 agents")
    for ax in (left, right):
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("day")
        ax.legend(loc="best")
    # B − A in the units drawn, not counts under the metrics' names ("listed": B's list?)
    chart.data = pd.concat([pd.DataFrame({
        "day": days.to_numpy(), **{name: per_pair[col][k]
                                   for col, name in DIFFERENCE_COLUMNS.items()},
        "pair": k, "seed": comparison.seeds[k]}) for k in range(reps)], ignore_index=True)
    return chart


# The metric columns behind a run chart with areas that draws them as they are (the score
# bands, in points), by name or by prefix (ending in *); the tiers and sources charts keep
# the numbers they draw (``Chart.data``)
CHART_COLUMNS = {"scores": ("score_p*", "score_mean")}
# ... or the columns of these provenance tables (``Result.provenance``; regions: a chart of
# more than ten regions, which have no legend entries)
CHART_TABLES = {"causes": ("wrongful", ("day", "agent", "cause")),
                "regions": ("regions", ("day", "region", "listed", "wrongful_listed"))}


def drawn_lines(chart: Chart) -> pd.DataFrame | None:
    """The numbers of a chart drawn with lines only, as it draws them: one row per point of
    each labelled line (``panel``, in a chart of several: the run it draws, else left or
    right as the caption says, or its number, never a note over it such as the groups
    chart's small-numbers warning; ``line``: its legend entry; ``unit``: its y axis's
    label, on one line; ``day``; ``value``). None for a chart with areas, bars or dots
    (their numbers are ``chart_data``'s)."""
    axes = chart.figure.axes
    rows = []
    for k, ax in enumerate(axes):
        if ax.collections:
            return None
        side = ("left", "right")[k] if len(axes) == 2 else f"panel {k + 1}"
        panel = {"panel": ax.get_label() or side} if len(axes) > 1 else {}  # _panel_titles
        unit = " ".join(ax.get_ylabel().split())  # a label drawn on two lines, on one
        for line in ax.get_lines():
            if not line.get_label().startswith("_"):
                rows.append(pd.DataFrame({
                    **panel, "line": line.get_label(), "unit": unit,
                    "day": np.asarray(line.get_xdata()),
                    "value": np.asarray(line.get_ydata(), dtype=np.float64)}))
    return pd.concat(rows, ignore_index=True) if rows else None


def chart_data(name: str, runs: Runs) -> pd.DataFrame | None:
    """The numbers behind a run chart that is not drawn with lines only (``drawn_lines``):
    one row per run and day (``run``, ``day`` and the metric columns of
    ``CHART_COLUMNS``), the rows of a provenance table (``CHART_TABLES``), or the network
    sample's agents."""
    if name == "network":
        return pd.concat([res.sample.nodes.assign(run=label) for label, res in runs
                          if res.sample is not None], ignore_index=True)
    if name in CHART_TABLES:
        table, columns = CHART_TABLES[name]
        return pd.concat([res.provenance[table][list(columns)].assign(run=label)
                          for label, res in runs], ignore_index=True)
    wanted = CHART_COLUMNS.get(name)
    if wanted is None:
        return None
    frames = []
    for label, res in runs:
        m = res.metrics
        prefixes = tuple(w.removesuffix("*") for w in wanted if w.endswith("*"))
        cols = [c for c in m.columns if c in wanted or c.startswith(prefixes)]
        frames.append(m[["day", *cols]].assign(run=label))
    return pd.concat(frames, ignore_index=True)


def _legible_legends(fig: Figure) -> None:
    """Legends with many entries go beside their panel, where they hide no line."""
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None and len(legend.get_texts()) > MAX_LEGEND_INSIDE:
            legend.set_loc("center left")
            legend.set_bbox_to_anchor((1.01, 0.5), transform=ax.transAxes)


RUN_CHARTS = (scores, tiers, listed, travel, chilling, ties, groups, wrongful_groups,
              companies, network)


def _travel_bans(sc) -> bool:
    """Can a listed agent's ticket be blocked under scenario ``sc``?"""
    return sanction.enabled(sc) and sc.sanctions.travel.enabled


# The mechanism each chart draws (on in a scenario or not), and why the chart is not drawn
# when it is off in every run: no-system drew everyone in tier a, and flat lines at 0.
SWITCHES = {
    "scores": (score.enabled, "scoring is off: nobody's score moves"),
    "tiers": (score.enabled, "scoring is off: nobody's score moves, so nobody changes tier"),
    "listed": (classify.enabled, "listing is off: nobody is listed"),
    "groups": (classify.enabled, "listing is off: nobody is listed"),
    "wrongful_groups": (classify.enabled, "listing is off: nobody is listed"),
    "regions": (classify.enabled, "listing is off: nobody is listed"),
    "travel": (_travel_bans, "travel bans are off: no ticket is blocked"),
}


def switched_off(name: str, runs: Runs) -> str | None:
    """Why chart ``name`` is not drawn: the mechanism it draws (``SWITCHES``) is off in
    every run, on every day of its timeline; None when it is on in one of them (a chart
    of one side with it off shows that side flat: the comparison)."""
    if name not in SWITCHES:
        return None
    on, why = SWITCHES[name]
    if any(on(sc) for _, res in runs for sc in scenario_epochs(res.scenario)):
        return None
    return why


def draw_charts(runs: Runs, comparison: Comparison | None = None, note: str = ""
                ) -> tuple[list[Chart], dict[str, str]]:
    """Every chart that applies to ``runs`` (plus the day-by-day difference for a pair),
    and for each one that does not, why (by chart name). ``note`` ends the caption of
    each chart of ``runs`` (not of the difference): a comparison of several pairs draws
    its first pair only, and says so in each PNG, which a reader may see alone."""
    from scsim.report.provenance import PROVENANCE_CHARTS

    charts, skipped = [], {}
    with mpl.rc_context(STYLE):
        for draw in (*RUN_CHARTS, *PROVENANCE_CHARTS):
            chart = switched_off(draw.__name__, runs) or draw(runs)
            if isinstance(chart, str):
                skipped[draw.__name__] = chart
            else:
                if chart.data is None:  # unless it kept the numbers it drew (listed)
                    chart.data = drawn_lines(chart)
                if chart.data is None:
                    chart.data = chart_data(chart.name, runs)
                if note:
                    _set_caption(chart, f"{chart.caption} {note}")
                charts.append(chart)
        if comparison is not None:
            charts.insert(1, differences(comparison))
        for chart in charts:
            _legible_legends(chart.figure)
    return charts, skipped
