"""Counts and changes in words for people, shared by every text scsim prints (headlines,
summaries, case files, tables' footers, sweep plans, reports). Imports nothing heavy: the
CLI uses it before any simulation module is loaded."""

from __future__ import annotations

import math
import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation


def counted(k: float, one: str, many: str | None = None) -> str:
    """``k`` things in words, with thousands separators: '1 tie', '68 ties', '1,234
    rows'; ``many`` is the plural when it is not ``one`` + 's' ('1 other listed
    neighbour', '2 purchases or applications')."""
    return f"{k:,.0f} {one if k == 1 else many or one + 's'}"


def size(agents: int, days: int) -> str:
    """A run's size in words: '100,000 agents × 365 days', '1 agent × 1 day'."""
    return f"{counted(agents, 'agent')} × {counted(days, 'day')}"


BYTE_UNITS = ("bytes", "kB", "MB", "GB", "TB", "PB")  # decimal: 1 MB = 1,000,000 bytes


def in_bytes(count: int) -> str:
    """A size on disk in words, to three significant digits in decimal units (as ``df
    -H`` and file managers count them): '812 bytes', '41.2 MB', '1.05 GB'."""
    if count < 1000:
        return counted(count, "byte")
    k = min(int(math.log10(count) // 3), len(BYTE_UNITS) - 1)
    value = significant(count / 1000 ** k)
    if value >= 1000 and k < len(BYTE_UNITS) - 1:  # 999,999 bytes: 1.00 MB, not 1,000 kB
        k, value = k + 1, value / 1000
    return f"{in_digits(value, 3)} {BYTE_UNITS[k]}"


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


# digits in groups of three: 1,000 or 1.000 or 1 000 or 1'000 (one sign throughout)
_THOUSANDS = re.compile(r"-?\d{1,3}([,.' ])\d{3}(?:\1\d{3})*")


def tier_bands(tiers) -> str:
    """Tiers (with ``name`` and ``min``, points) in words, highest first: "a from 700
    points, b from 650 points, c from 550 points, d below 550 points" (the lowest tier
    starts at any score); "everyone in a" for one."""
    ordered = sorted(tiers, key=lambda t: -t.min)
    bands = [f"{t.name} from {t.min:,g} points" for t in ordered[:-1]]
    bands.append(f"{ordered[-1].name} below {ordered[-2].min:,g} points" if bands else
                 f"everyone in {ordered[-1].name}")
    return ", ".join(bands)


def whole_number_meant(word: str) -> str | None:
    """The whole number that ``word``, given where one was asked, most likely means, as
    what to write instead: '1 000' and '1e3' -> '1000'; '1.000' and '1,000' -> "1000, or 1
    if the '.' is a decimal point" (a thousand in one country, one in another); '2.5' and
    '2,5' -> '2 or 3'. None when ``word`` is no number (``ten``, ``inf``, ``1e999``)."""
    text = word.strip()
    grouped = _THOUSANDS.fullmatch(text)
    if grouped:
        thousands = re.sub(r"[,.' ]", "", text)
        sign = grouped.group(1)
        if sign in ",." and text.count(sign) == 1:  # '1.000': a thousand, or one?
            decimal = Decimal(text.replace(sign, "."))
            if decimal == decimal.to_integral_value():
                return thousands + f", or {int(decimal)} if the '{sign}' is a decimal point"
        return thousands
    if "," in text:  # '1,000.5': separators of thousands; '1,5': a decimal comma
        text = text.replace(",", "") if "." in text else text.replace(",", ".", 1)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() > 18:  # inf, nan, 1e999999
        return None
    if number == number.to_integral_value():
        return str(int(number))
    below = int(number.to_integral_value(rounding=ROUND_FLOOR))
    return f"{below} or {below + 1}"


def source_in_words(source: str) -> str:
    """Where a scenario comes from, for a reader: its ``source`` names the source articles
    by number ('001', '000-004'), which a reader took for the random seed: 'source:
    article 001 (docs/model.md: what each part of the model takes from it)'; another
    source ('control', 'benchmark', a reading of the model) as written; '' for none."""
    if not source.strip():  # a scenario of one's own that names none: not "source: "
        return ""
    named = articles_named(source)
    if named is None:
        return f"source: {source}"
    return f"source: {named} (docs/model.md: what each part of the model takes from it)"


def articles_named(source: str) -> str | None:
    """The source articles a scenario's ``source`` names by number, in words: '001' ->
    'article 001', '000-004' -> 'articles 000 to 004'; None for any other source."""
    articles = re.fullmatch(r"(\d{3})(?:\s*[-–]\s*(\d{3}))?", source.strip())
    if articles is None:
        return None
    first, last = articles.groups()
    return f"article {first}" if last is None else f"articles {first} to {last}"


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


UNBOUNDED_CHANGE = "A's figure is too small and variable to give a relative change"
"""Why a relative change B − A over A has no bound (``Comparison.metrics``: ``change_lo``
or ``change_hi`` infinite): A's mean is not clearly above 0 over the pairs."""


def change_unbounded(low: float, high: float) -> bool:
    """Whether the 95 % interval (``low``, ``high``) of a relative change has no bound on
    one side or both (an end is ±inf)."""
    return math.isinf(low) or math.isinf(high)


def change_in_words(change: float, low: float, high: float, between: str = " ") -> str:
    """A relative change with its 95 % interval (``Comparison.metrics``' ``change``,
    ``change_lo``, ``change_hi``): '+3.2 % (+2.9 % to +3.5 %)'; '×75.5 (at least ×3.1, no
    upper bound)' and '0 % (no bound)' where A's mean is too small and variable to bound
    it (an end is ±inf; what is at most −100 %, B at 0, says nothing); the change
    alone with one pair (no interval: NaN) and '–' where there is no change (A is not
    positive). ``between``: what separates the change from its interval ("\\n" in a
    table's narrow column, so that the interval is never cut in two)."""
    text = signed_percent(change)
    if change != change or low != low or high != high:
        return text
    if not change_unbounded(low, high):
        return f"{text}{between}({signed_percent(low)} to {signed_percent(high)})"
    if math.isinf(high) and -1 < low < math.inf:
        bound = f"at least {signed_percent(low)}, no upper bound"
    elif math.isinf(low) and -math.inf < high < math.inf:
        bound = f"at most {signed_percent(high)}, no lower bound"
    else:
        bound = "no bound"
    return f"{text}{between}({bound})"


def unbounded_note(names: list[str]) -> str:
    """The sentence under a table of relative changes some of whose intervals have no
    bound (``change_in_words``), naming their metrics ``names``; '' for none."""
    if not names:
        return ""
    return (f"No bound ({', '.join(names)}): {UNBOUNDED_CHANGE}. Its mean over the pairs "
            "is not clearly above 0, so the 95 % interval of the change is open-ended.")
