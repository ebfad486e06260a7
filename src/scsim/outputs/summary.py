"""The end-of-run summary: the figures a reader of one run asks for first; their labels and
units come from the metric registry (``outputs.metrics``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scsim.analysis.published import ticket_figures
from scsim.outputs.headline import (
    chilling_chance,
    chilling_change,
    chilling_window,
    people,
    per_100_a_year,
    per_100_in_digits,
    percent,
    rough,
    ticket_years,
)
from scsim.outputs.metrics import metric_label as label
from scsim.outputs.metrics import metric_of, registered_metrics
from scsim.outputs.words import counted, in_digits, significant
from scsim.scenario.loader import timeline_epochs

if TYPE_CHECKING:
    from scsim.outputs.result import Result

SMALL_COUNT = 30  # listed agents below which a group's shares and ratios are noisy

EVER_LISTED_DI = "disparate impact, ever listed"
"""The summary's section of disparate impact over the whole run: each group's share of its
people listed at any point in the run (and wrongfully), and its ratio to the reference
group's. The ratio the report's and the dashboard's charts draw, and ``compare``'s
per-group table gives, is another: of the shares on the list on one day (the metric
``di_GROUP``), named ``ON_THE_DAY_DI``. Both were called "disparate impact" alone, and a
journalist met 1.20 in one and 1.146 in the other for the same run."""



def listed_on_di(day: str) -> str:
    """The name of the metric ``di_GROUP`` on ``day``: "the day" (any day, as a chart draws
    it: ``ON_THE_DAY_DI``) or "the final day" (``compare``'s per-group table), so that
    every screen names it alike."""
    return f"disparate impact, listed on {day}"


ON_THE_DAY_DI = listed_on_di("the day")
"""The name of the metric ``di_GROUP`` wherever it is shown: a group's share on the list
that day over the reference group's that day (the summary's is ``EVER_LISTED_DI``)."""


def unit(column: str) -> str:
    """The declared unit of a metric column (see the metric registry)."""
    return metric_of(column).unit


def format_value(value: float) -> str:
    """A figure for people: thousands separators, 4 significant digits, – for NaN, in
    plain digits (a share of 0.00002217, not "2.217e-05": a class reads the tables). A
    fraction (0 < |value| < 1, such as a share) keeps the digits that tell it from 1:
    a share of 0.99997 of ties still active is "0.99997", not "1"."""
    value = float(value)
    if value != value:  # NaN
        return "–"
    if value.is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    digits = 4
    text = _plain(value, digits)
    while abs(value) < 1 and abs(float(text)) == 1:  # 17 digits tell any double from 1
        digits += 1
        text = _plain(value, digits)
    return text


PLAIN_FROM = 1e-9
"""Smaller figures (not 0) keep the exponent: nine zeros after the point are unreadable
too."""


def _plain(value: float, digits: int) -> str:
    """``value`` (under 100 in size) to ``digits`` significant digits without trailing
    zeros, in plain digits from ``PLAIN_FROM`` on (``words.in_digits``): 0.00002217, 12.5,
    0.5, 0."""
    if value == 0 or not math.isfinite(value) or abs(value) < PLAIN_FROM:
        return f"{value:.{digits}g}"
    return in_digits(value, digits)


def figure_range(section: str, figure: str) -> tuple[float, float]:
    """The values a summary figure can take: points and the relative change of penalised
    acts any value, a share (of ties, of agents, of a group, of acts; the Gini) from 0 to
    1, and every other figure (counts of agents, tickets, days; rates; fear) from 0 up.
    An interval over replications is cut to it (``Replicates.summary``)."""
    if (section == "score" and figure not in ("sd", "gini")) or (section, figure) in (
            ("companies", "mean score"), ("chilling effect", "change in penalised acts")):
        return -math.inf, math.inf
    if section == EVER_LISTED_DI or figure in SHARES:
        return 0.0, 1.0
    return 0.0, math.inf


SHARES = {"gini", f"share of {label('ties_active_frac')}", f"share in the {label('lcc_frac')}",
          label("deterrence_mean"), label("fear_mean")}
"""The summary's figures that are shares, besides disparate impact's (``figure_range``)."""


def tier_bounds(sc) -> dict[str, str]:
    """Each tier's scores in words ("700 points and up", "650 to under 700 points",
    "under 550 points" for the lowest): a letter alone told a reader nothing."""
    ordered = sorted(sc.tiers, key=lambda t: -t.min)
    if len(ordered) == 1:  # (every score falls in the last tier)
        return {ordered[0].name: "every score"}
    out = {}
    for k, t in enumerate(ordered):
        above = ordered[k - 1].min if k else None
        if k == len(ordered) - 1 and k:
            out[t.name] = f"under {above:,g} points"
        elif above is None:
            out[t.name] = f"{t.min:,g} points and up"
        else:
            out[t.name] = f"{t.min:,g} to under {above:,g} points"
    return out


def companies_scored(res: Result) -> bool:
    """Whether the run scores companies (``companies.enabled``): they exist as employers
    whether or not they are scored, and their figures mean something only when they are."""
    return bool(len(res.companies)) and res.scenario.companies.enabled


def summarise(res: Result) -> pd.DataFrame:
    """Rows of (section, figure, value, note); values are plain floats."""
    m, companies = res.metrics, res.companies
    times_listed = np.asarray(res.agent_columns["times_listed"])  # not the whole agents table
    n, days = len(times_listed), len(m)
    last = m.iloc[-1]
    years = days / 365.0
    rows: list[tuple[str, str, float, str]] = []

    def add(section: str, figure: str, value, note: str = "") -> None:
        rows.append((section, figure, float(value), note))

    add("run", "agents", n)
    add("run", "days", days, "the rates a year below are scaled to a year from these days"
        if days < 365 else "")
    # not the seed: a float, as every value is, loses a seed's last digits (4.1e18)
    add("score", "mean", last["score_mean"], "final day, points")
    add("score", "sd", last["score_sd"], f"{unit('score_sd')}, the standard deviation: how "
        "far scores typically lie from the mean")
    for col in ("score_p05", "score_p50", "score_p95"):
        add("score", label(col), last[col], unit(col))
    add("score", "gini", last["score_gini"], "inequality of the scores, 0: all equal, 1: "
        "the most unequal")
    add("score", "error-free mean", last["clean_score_mean"], "points, the same acts without "
        "face-matching errors and false reports")
    bounds = tier_bounds(res.scenario)
    for t in res.names.tiers:
        add("tiers", t, last[f"tier_{t}"],
            f"{percent(last[f'tier_{t}'] / n, 1)} of agents; {bounds.get(t, '')}".rstrip("; "))
    def per_100(total: float, over: float = years) -> str:
        # every rate a year of the table in one form, as the headline, the report's travel
        # chart and the dashboard write blocked tickets ("0.0123/person/yr" for new
        # listings beside "0.97 per 100 people a year" for tickets: two scales in one table)
        return f"{per_100_in_digits(per_100_a_year(total, n, over))} per 100 people a year"

    # tickets a year are those of the days sanctions ran, as the headline says them (a
    # system abolished after a year of two blocked them in one year, not two)
    tickets_over, while_on = ticket_years(res.scenario, days)

    new = m["newly_listed"].sum()
    wrongful_new = m["wrongful_new"].sum()
    add("listing", "listed now", last["listed"], f"{percent(last['listed'] / n, 2)} of agents")
    add("listing", "ever listed", int(np.count_nonzero(times_listed)), "agents")
    add("listing", "ever wrongfully listed",
        int(np.count_nonzero(res.agent_columns["wrongful_listings"])),
        "agents (the headline's count; one may be listed wrongfully more than once)")
    add("listing", label("newly_listed"), new, per_100(new))
    add("listing", label("wrongful_new"), wrongful_new,
        f"{percent(wrongful_new / new, 1)} of listings" if new else "no listings")
    # in agents, as "listed now" (it had no note: a count, or a share of the list?)
    add("listing", "wrongfully listed now", last["wrongful_listed"],
        f"{percent(last['wrongful_listed'] / n, 2)} of agents; " + (
            f"{percent(last['wrongful_listed'] / last['listed'], 1)} of those listed now"
            if last["listed"] else "nobody listed now"))
    for cause in res.names.causes:  # what made the wrongful listings (outputs.provenance)
        count = m[f"wrongful_by_{cause}"].sum() if f"wrongful_by_{cause}" in m else 0
        if count:
            add("listing", f"  cause: {cause.replace('_', ' ')}", count,
                f"{percent(count / wrongful_new)} of wrongful listings")
    add("listing", "delisted", m["delisted"].sum(), f"{m['appeals_won'].sum():,.0f} by appeal")
    for col in ("blocked_air", "blocked_train"):
        total = m[col].sum()
        # the 2018 figures each with its reading, as the headline says them ("2018: 0.0129
        # / 0.0058" did not say which was which)
        add("sanctions", label(col), total,
            f"{per_100(total, tickets_over)}{while_on}; China 2018: " + ", ".join(
                f"{per_100_in_digits(100 * f.value)} {f.reading_words}"
                for f in ticket_figures(col.removeprefix("blocked_"))))
    if res.names.errors:  # the wrongful travel bans
        wrongful, tickets = m["blocked_tickets_wrongful"].sum(), m[
            ["blocked_air", "blocked_train"]].to_numpy().sum()
        add("sanctions", label("blocked_tickets_wrongful"), wrongful,
            f"{per_100(wrongful, tickets_over)}{while_on}; " + (
                f"{percent(wrongful / tickets, 1)} of blocked tickets" if tickets
                else "no ticket blocked"))
    add("sanctions", label("blocked_purchases"), m["blocked_purchases"].sum(),
        "luxury goods, homes")
    add("sanctions", label("blocked_jobs"), m["blocked_jobs"].sum())
    for col in ("children_barred", "house_arrest", "social_media_banned"):
        add("sanctions", label(col), last[col], "final day")
    used = m["privileges_used"].sum()
    add("privileges", "uses", used, per_100(used))
    add("errors", label("misattributions"), m["misattributions"].sum(), "facial recognition")
    add("errors", label("false_reports_accepted"), m["false_reports_accepted"].sum(),
        f"of {m['false_reports_filed'].sum():,.0f} filed")
    # shares, said as shares ("ties still active: 1" read as one tie)
    add("network", f"share of {label('ties_active_frac')}", last["ties_active_frac"],
        f"{percent(last['ties_active_frac'], 1)} of ties")
    fraction = timeline_epochs(res.scenario)[-1][1].shaming.pariah_fraction  # the last day's
    add("network", label("pariahs"), last["pariahs"],
        f"left with fewer than {percent(fraction)} of their original ties")
    add("network", f"share in the {label('lcc_frac')}", last["lcc_frac"],
        f"{percent(last['lcc_frac'], 1)} of agents")
    severed = m["ties_severed"].sum()
    add("network", label("shamed"), m["shamed"].sum(),
        f"{counted(severed, 'tie')} severed")
    window = chilling_window(len(m))
    change = chilling_change(m)
    said = ("" if math.isnan(change) else  # the fraction in words, as the headline says it
            f"{percent(abs(change))} {'fewer' if change < 0 else 'more'}, ")
    chance = chilling_chance(m)
    # as the headline: a change within the day-to-day variation is no chilling effect (the
    # table said "2 % fewer" where the headline said "none beyond chance")
    within = (f"; within the day-to-day variation (± {percent(chance)}): none beyond chance"
              if abs(change) <= chance else "")
    add("chilling effect", "change in penalised acts", change,
        f"{said}last vs first {counted(window, 'day')}{within}" if window
        else "a run of one day")
    add("chilling effect", label("deterrence_mean"), last["deterrence_mean"],
        f"final day: {percent(last['deterrence_mean'], 1)}, the mean over agents of the share "
        "of their penalised acts fear deters")
    add("chilling effect", label("fear_mean"), last["fear_mean"], unit("fear_mean"))
    group = res.agent_columns["group"]
    codes = np.asarray(getattr(group, "codes", group))
    group_shares(res, codes, times_listed > 0, "listed", add)
    if res.names.errors and len(res.names.groups) > 1:  # does one group bear the errors?
        wrongful = np.asarray(res.agent_columns["wrongful_listings"]) > 0
        group_shares(res, codes, wrongful, "wrongfully listed", add)
    mechanism_rows(res, add)
    if companies_scored(res):
        add("companies", "listed", last["corp_listed"], f"of {len(companies)}")
        add("companies", "mean score", last["corp_score_mean"], unit("corp_score_mean"))
        add("companies", label("tax_take"), last["tax_take"], "final day, revenue units per day")
    if res.scenario.population.scale != 1:
        national_terms(m, n, res.scenario.population.scale, add, res.names.errors)
    return pd.DataFrame(rows, columns=["section", "figure", "value", "note"])


def ever_wrongful_by_group(res: Result) -> dict[str, tuple[int, int]]:
    """Each group's agents ever wrongfully listed in the run, and its agents (the counts
    behind the summary's "GROUP: ever wrongfully listed"), by group name."""
    group = res.agent_columns["group"]
    codes = np.asarray(getattr(group, "codes", group))
    ever = np.asarray(res.agent_columns["wrongful_listings"]) > 0
    count = len(res.names.groups)
    sizes = np.bincount(codes, minlength=count)
    tally = np.bincount(codes[ever], minlength=count)
    return {g: (int(tally[k]), int(sizes[k])) for k, g in enumerate(res.names.groups)}


def group_shares(res: Result, codes: np.ndarray, ever: np.ndarray, what: str, add) -> None:
    """The disparate-impact rows "GROUP: ever WHAT" (section ``EVER_LISTED_DI``): the
    share of each group's agents for whom ``ever`` (one flag per agent: listed at any
    point in the run) holds, and its ratio to the reference group's with a 95 % interval
    (``ratio_in_words``) and a warning under ``SMALL_COUNT`` agents. One group's share is
    the whole population's, said without a ratio."""
    names, ref_k = res.names.groups, res.names.reference_group
    groups, ref = len(names), names[ref_k]
    sizes = np.bincount(codes, minlength=groups)
    tally = np.bincount(codes[ever], minlength=groups)
    shares = np.divide(tally, sizes, out=np.full(groups, np.nan), where=sizes > 0)
    for k, (g, count) in enumerate(zip(names, tally, strict=True)):
        ratio = shares[k] / shares[ref_k] if shares[ref_k] > 0 else np.nan
        counts = {g: int(count)}  # the agents behind what the note tells
        if groups == 1:  # a ratio to itself says nothing
            relation = ""
        elif g == ref:
            relation = "the reference group"
        elif not np.isfinite(ratio):
            relation = f"no ratio: nobody in {ref} {what}"
        else:
            relation = f"ratio to {ref}: {ratio:.2f}" + ratio_in_words(
                count, sizes[k], int(tally[ref_k]), sizes[ref_k])
            counts[ref] = int(tally[ref_k])
        add(EVER_LISTED_DI, f"{g}: ever {what}", shares[k],
            f"{percent(shares[k], 1)} of " + (f"the group; {relation}" if relation else
                                               "agents")
            + (small_numbers(counts, "share" if len(counts) == 1 else "ratio", what)
               if groups > 1 else ""))


def share_ratio(count: int, size: int, ref_count: int, ref_size: int) -> float:
    """A group's share (``count`` of ``size`` agents) over the reference group's
    (``ref_count`` of ``ref_size``): NaN where either share is undefined or the
    reference's is 0."""
    if not (size and ref_size and ref_count):
        return math.nan
    return count / size / (ref_count / ref_size)


def ratio_in_words(listed: int, size: int, ref_listed: int, ref_size: int) -> str:
    """The 95 % interval of a group's ever-listed share over the reference group's
    (``listed`` of ``size`` agents against ``ref_listed`` of ``ref_size``), in words, by
    the log method for a ratio of two binomial proportions (Katz): " (95 % CI 0.84 to
    1.70, not a clear difference)". Agents are taken as independent draws, which
    cascades through the network are not: the interval is a lower bound on the noise
    (replications measure it: ``scsim replicate``, ``compare``). '' when a count is 0."""
    bounds = ratio_bounds(listed, size, ref_listed, ref_size)
    if bounds is None:
        return ""
    low, high = bounds
    clear = "" if low > 1 or high < 1 else ", not a clear difference"
    return f" (95 % CI {low:.2f} to {high:.2f}{clear})"


def ratio_bounds(listed: int, size: int, ref_listed: int,
                 ref_size: int) -> tuple[float, float] | None:
    """The bounds of ``ratio_in_words``'s 95 % interval (Katz's log method), as numbers
    (the report's chart of wrongful listings per group draws them); None when a count is 0."""
    if listed == 0 or ref_listed == 0:
        return None
    ratio = (listed / size) / (ref_listed / ref_size)
    half = 1.96 * math.sqrt(1 / listed - 1 / size + 1 / ref_listed - 1 / ref_size)
    return ratio * math.exp(-half), ratio * math.exp(half)


def small_numbers(counts: dict[str, int], what: str, who: str = "listed") -> str:
    """The warning a disparate-impact note ends with when a group's count of agents ever
    ``who`` ("listed", "wrongfully listed"; ``counts``: by group, the counts behind ``what``
    the note tells, a share or a ratio) is under ``SMALL_COUNT``, naming each such group;
    '' when none is: " (small numbers: group_a has 10 listed, so the ratio is noisy)"."""
    small = " and ".join(f"{g} has {k:,} {who}" for g, k in counts.items()
                         if k < SMALL_COUNT)
    return f" (small numbers: {small}, so the {what} is noisy)" if small else ""


def listed_at_end(res: Result, group: str) -> int:
    """Agents of ``group`` on the list on the final day (the count behind its rates)."""
    size = int((res.agents["group"] == group).sum())
    return round(float(res.metrics[f"listed_rate_{group}"].iloc[-1]) * size)


def ratio_warning(runs: list[Result], groups: list[str]) -> str:
    """The warning a chart of disparate-impact ratios over days carries when the group of
    ``groups`` with the fewest listed on the final day, in any of ``runs``, has under
    ``SMALL_COUNT``: "small numbers: minority has 13 listed on the final day (under 30):
    noisy ratios" (the report's chart said "13 listed in a group", without
    which; the dashboard's said nothing while its ratio jumped to 9 in the first weeks);
    '' when none has."""
    fewest = min(((listed_at_end(r, g), g) for r in runs for g in groups), default=None)
    if fewest is None or fewest[0] >= SMALL_COUNT:
        return ""
    count, group = fewest
    return (f"small numbers: {group} has {count:,} listed on the final day (under "
            f"{SMALL_COUNT}): noisy ratios")


def mechanism_rows(res: Result, add) -> None:
    """One section per mechanism that is off by default and on in this run (detention,
    impunity, shunning by businesses, family rewards, norms...): each of its metrics, a
    level on the final day, a count or rate totalled over the run (metrics with one
    column per name, such as per region, are in the metrics table only)."""
    m = res.metrics
    last = m.iloc[-1]
    for metric in registered_metrics(res.names):
        if metric.mechanism not in res.names.optional or metric.per is not None:
            continue
        section = metric.mechanism.replace("_", " ")
        if metric.kind == "level":
            value = last[metric.name]
            note = (f"{percent(value, 1)}, final day" if metric.unit == "share"
                    else f"final day, {metric.unit}")
        else:
            value = m[metric.name].sum()
            note = f"over the run, {metric.unit.removesuffix(' per day')}"
        add(section, metric.label, value, note)


def national_terms(m: pd.DataFrame, n: int, k: float, add, errors: bool) -> None:
    """The summary's rows in the represented population's terms (``population.scale`` = k
    people per agent, see ``outputs.scale``): its size, the list, and the blocked tickets
    per year in millions next to the 2018 figures of 1.4 billion people; with ``errors``
    (the run can err) those of the wrongfully listed too."""
    years = len(m) / 365.0
    per_agent = f"{k:,.0f}" if float(k).is_integer() else f"{k:,}"
    add("national terms", "people represented", n * k, f"{n:,} agents × {per_agent}")
    listed, new = int(m["listed"].iloc[-1]), int(m["newly_listed"].sum())
    add("national terms", "listed now", listed * k, "people" + rough(listed, "agent"))
    # a count of agents scaled up: shown to 3 significant digits, not to the person
    add("national terms", "new listings per year",
        significant(new * k / years), "people" + rough(new, "agent"))
    for col in ("blocked_air", "blocked_train"):
        tickets = int(m[col].sum())
        add("national terms", f"{label(col)} per year, millions",
            tickets * k / years / 1e6, "2018, 1.4 billion people: " + " / ".join(
                f"{f.count / 1e6:.3g} ({f.reading_words})"
                for f in ticket_figures(col.removeprefix("blocked_"))) + rough(tickets,
                                                                               "ticket"))
    if errors:
        wrongful = m["blocked_tickets_wrongful"].sum()
        add("national terms", f"{label('blocked_tickets_wrongful')} per year",
            wrongful * k / years, "tickets" if wrongful else
            f"tickets; none among the {n:,} agents, too few to tell (one would count for "
            f"{people(k / years)})")
