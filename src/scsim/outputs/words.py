"""Counts in words for people, shared by every text scsim prints (headlines, summaries,
case files, tables' footers, sweep plans). Imports nothing heavy: the CLI uses it before
any simulation module is loaded."""

from __future__ import annotations


def counted(k: float, one: str, many: str | None = None) -> str:
    """``k`` things in words, with thousands separators: '1 tie', '68 ties', '1,234
    rows'; ``many`` is the plural when it is not ``one`` + 's' ('1 other listed
    neighbour', '2 purchases or applications')."""
    return f"{k:,.0f} {one if k == 1 else many or one + 's'}"
