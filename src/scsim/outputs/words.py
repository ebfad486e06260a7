"""Counts and changes in words for people, shared by every text scsim prints (headlines,
summaries, case files, tables' footers, sweep plans, reports). Imports nothing heavy: the
CLI uses it before any simulation module is loaded."""

from __future__ import annotations


def counted(k: float, one: str, many: str | None = None) -> str:
    """``k`` things in words, with thousands separators: '1 tie', '68 ties', '1,234
    rows'; ``many`` is the plural when it is not ``one`` + 's' ('1 other listed
    neighbour', '2 purchases or applications')."""
    return f"{k:,.0f} {one if k == 1 else many or one + 's'}"


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
