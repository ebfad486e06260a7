"""Counts and changes in words for people, shared by every text scsim prints (headlines,
summaries, case files, tables' footers, sweep plans, reports). Imports nothing heavy: the
CLI uses it before any simulation module is loaded."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal


def counted(k: float, one: str, many: str | None = None) -> str:
    """``k`` things in words, with thousands separators: '1 tie', '68 ties', '1,234
    rows'; ``many`` is the plural when it is not ``one`` + 's' ('1 other listed
    neighbour', '2 purchases or applications')."""
    return f"{k:,.0f} {one if k == 1 else many or one + 's'}"


def size(agents: int, days: int) -> str:
    """A run's size in words: '100,000 agents × 365 days', '1 agent × 1 day'."""
    return f"{counted(agents, 'agent')} × {counted(days, 'day')}"


def significant(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant digits (2,129,166.7 -> 2,130,000.0), as
    the dashboard's charts round it (JavaScript's ``toPrecision``): from the number as
    stored, a half away from zero. 43 tickets per 20,000 people, 0.215 per 100, is stored
    a little under 0.215: 0.21 (numpy's rounding, which ``round`` of a numpy number
    takes, scales it first and made it 0.22 beside the chart's 0.21); 0.125, stored
    exactly: 0.13."""
    if value == 0 or not math.isfinite(value):
        return value
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = float(Decimal(float(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))
    return rounded if math.isfinite(rounded) else value  # (past the largest float)


def in_digits(value: float, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits, in plain digits with thousands
    separators and never an exponent, nor a trailing zero (as ``:.2g``): 106.7 -> '110'
    (``:.2g`` writes '1.1e+02'), 5.73 -> '5.7', 0.0333 -> '0.033', 0.5 -> '0.5'."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{significant(value, digits):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def source_in_words(source: str) -> str:
    """Where a scenario comes from, for a reader: its ``source`` names the source articles
    by number ('001', '000-004'), which a reader took for the random seed: 'source:
    article 001 (docs/model.md: what each part of the model takes from it)'; another
    source ('control', 'benchmark', a reading of the model) as written; '' for none."""
    if not source.strip():  # a scenario of one's own that names none: not "source: "
        return ""
    articles = re.fullmatch(r"(\d{3})(?:\s*[-–]\s*(\d{3}))?", source.strip())
    if articles is None:
        return f"source: {source}"
    first, last = articles.groups()
    named = f"article {first}" if last is None else f"articles {first} to {last}"
    return f"source: {named} (docs/model.md: what each part of the model takes from it)"


def spoken(name: str) -> str:
    """A name a scenario gives a thing (a behaviour, a channel), as a reader says it:
    'smoking_in_no_smoking_zone' -> 'smoking in no smoking zone'."""
    return name.replace("_", " ")


def signed_percent(share: float) -> str:
    """A relative change in words: 0.0323 -> '+3.2 %', -0.5 -> '-50.0 %' (a hyphen, as the
    table's other numbers), 0 -> '0 %', NaN -> '–'; under 0.1 % two significant digits,
    0.00042 -> '+0.042 %', and under 0.01 % a bound, 0.00002 -> '+<0.01 %' (never a
    '+0.0 %' that reads as no change); from doubling on, a factor: 97.8 -> '×98.8'."""
    if share != share:
        return "–"
    if share == 0:
        return "0 %"
    if share >= 1:
        return f"×{1 + share:.3g}" if share < 99 else f"×{1 + share:,.0f}"
    percent = 100 * share
    if abs(percent) < 0.01:
        return f"{'+' if percent > 0 else '-'}<0.01 %"
    if abs(percent) < 0.1:
        return f"{percent:+.2g} %"
    return f"{percent:+.1f} %"
