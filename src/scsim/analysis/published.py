"""Published figures a run can be set against (MODEL.md, "Calibration targets"): per person
per year for a population of 1.4 billion, each under its reading."""

from __future__ import annotations

from dataclasses import dataclass

POPULATION_2018 = 1.4e9  # people: the per-capita figures below are counts over this


@dataclass(frozen=True)
class Figure:
    """One published figure, as a run output (see scsim.experiments.outputs)."""

    output: str
    value: float  # per person (per year for flows), as MODEL.md's table rounds it
    reading: str  # "seed": as a source article states it; "series": from the data series
    what: str
    count: float  # the published count behind it (tickets or people, for 1.4 billion)

    @property
    def reading_words(self) -> str:
        """Its reading in words for a reader ('as reported', 'from the year-end totals')."""
        return READING_WORDS[self.reading]


READING_WORDS = {"seed": "as reported", "series": "from the year-end totals"}
"""The readings of a published figure, in words: as the press reported it (a source
article, e.g. seed 003's "18 million times"), or computed from the year-end cumulative
totals of the official series."""


FIGURES = (
    Figure("blocked_air_per_capita_year", 0.0129, "seed",
           "air tickets blocked in 2018, as reported (18 million; seed 003)", 18e6),
    Figure("blocked_train_per_capita_year", 0.0039, "seed",
           "train tickets blocked in 2018, as reported (5.5 million; seed 003)", 5.5e6),
    Figure("blocked_air_per_capita_year", 0.0058, "series",
           "air tickets blocked in 2018, from the year-end totals (9.36 M to 17.46 M)",
           17.46e6 - 9.36e6),
    Figure("blocked_train_per_capita_year", 0.0013, "series",
           "train tickets blocked in 2018, from the year-end totals (3.67 M to 5.47 M)",
           5.47e6 - 3.67e6),
    Figure("listed_per_capita_mean", 0.0095, "series",
           "people listed at a time (13.3 million in March 2019), Supreme People's Court",
           13.3e6),
    Figure("newly_listed_per_capita_year", 0.0018, "series",
           "new listings in 2024 (2.46 million), court figures", 2.46e6),
    Figure("delisted_per_capita_year", 0.0020, "series",
           "removals after credit repair in 2024 (2.82 million), court figures", 2.82e6),
)

# The calibration presets: the 2018 ticket figures under each reading, and the list's stock
# with its 2024 flows (court-blacklist reproduces the three together).
PRESETS = {
    "2018-seed": [f for f in FIGURES if f.reading == "seed"],
    "2018-series": [f for f in FIGURES if f.reading == "series" and "2018" in f.what],
    "list-stock-flows": [f for f in FIGURES if not f.output.startswith("blocked_")],
}


def ticket_figures(mode: str) -> list[Figure]:
    """The 2018 figures for blocked ``air`` or ``train`` tickets, seed reading first."""
    return [f for f in FIGURES if f.output == f"blocked_{mode}_per_capita_year"]
