"""Per-block counters filled by the phase kernels and summed into the day's metrics.

Each kernel visits agents in fixed blocks of ``BLOCK`` agents and writes its counts to the
row of its block, so no two threads write the same cell and float sums are added in the
same order whatever the number of threads: same seed, same bits.
"""

from __future__ import annotations

import numpy as np

from scsim.core.state import BLOCK

# Columns of Tally.counts (int64 per block).
(
    MISATTRIBUTIONS,
    FALSE_FILED,
    FALSE_ACCEPTED,
    NEWLY_LISTED,
    SEVERE_LISTINGS,
    DELISTED,
    RENEWED,
    APPEALS,
    APPEALS_WON,
    COMPLIED,
    WRONGFUL_NEW,
    LISTED,
    WRONGFUL_LISTED,
    BLOCKED_AIR,
    BLOCKED_TRAIN,
    BLOCKED_PURCHASES,
    BLOCKED_JOBS,
    SOCIAL_MEDIA_BANNED,
    HOUSE_ARREST,
    CHILDREN_BARRED,
    SHAMED,
    TIES_SEVERED,
    TIES_RESTORED,
    PARIAHS,
    DEG_ACTIVE,
    AGENTS_ACTIVE,
    N_COUNTS,
) = range(27)

# Columns of Tally.sums (float64 per block).
SCORE_SUM, SCORE_SQ, CLEAN_SUM, FEAR_SUM, DETERRENCE_SUM, N_SUMS = range(6)

# Rows of Tally.behaviour (per block, per behaviour).
ACTS, SEEN, REPORTED = range(3)


class Tally:
    """The day's counters; ``reset`` before each day, ``total`` after it."""

    def __init__(self, n: int, behaviours: int, groups: int, tiers: int, privileges: int):
        nb = (n + BLOCK - 1) // BLOCK
        self.counts = np.zeros((nb, N_COUNTS), np.int64)
        self.sums = np.zeros((nb, N_SUMS), np.float64)
        self.behaviour = np.zeros((nb, 3, max(behaviours, 1)), np.int64)
        self.group_listed = np.zeros((nb, 2, groups), np.int64)  # listed, wrongfully listed
        self.group_score = np.zeros((nb, groups), np.float64)
        self.tier = np.zeros((nb, max(tiers, 1)), np.int64)
        self.privilege = np.zeros((nb, max(privileges, 1)), np.int64)
        self.events = np.zeros(nb, np.uint8)  # blocks with work for a serial pass

    def reset(self) -> None:
        for a in (self.counts, self.sums, self.behaviour, self.group_listed, self.group_score,
                  self.tier, self.privilege):
            a.fill(0)

    def count(self, column: int) -> int:
        return int(self.counts[:, column].sum())

    def sum(self, column: int) -> float:
        return float(self.sums[:, column].sum())
