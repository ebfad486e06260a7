"""The simulation state as a structure of arrays, and its memory footprint.

One table (``AGENT_ARRAYS``, ``COMPANY_ARRAYS``) lists every per-agent and per-company
array with its dtype and width; allocation and the memory estimate both read it, so the
estimate cannot drift from what is allocated.

The table is kept lean (about 92 bytes per agent with eight behaviours and five propensity
categories, 8 less when nothing can err: one score column in ``scores`` and ``scratch``
instead of two; 12 more with false reports and shaming on: without them ``malice``,
``times_shamed``, ``nbr_shamed`` and ``ties_lost`` get no rows, and no ``deg_active``
unless detention suspends ties: ``Names.unused_arrays``); plus the
provenance ledger: 4 bytes per source of points of the run, twice that when some error can
happen, 88 for national-800's eleven sources, and 8 for who was mistaken for whom) so that
10^8 agents and their network fit in about 24 GB without the ledger (``PER_AGENT_LEDGER``,
not kept when ``metrics.per_agent_sources`` is false): history counts are uint16 that
saturate at 65,535 (``add_capped``), neighbour counts are uint16 unless some agent has more
ties than that, households are not stored per agent (they are contiguous ranges,
``State.household_start``: ``household_of``, ``households``), and today's acts are not
stored (phases that need them draw them again from the same random numbers, see
``mechanisms.acts.draw_acts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numba import njit

from scsim.core.blocks import BLOCK
from scsim.world.network import Network

# Status bits (State.status), persistent across days.
LISTED = np.uint8(1)
WRONGFUL = np.uint8(2)  # the current listing would not have happened on the error-free score
SHAMED = np.uint8(4)  # publicly shamed during the current listing
PROTECTED = np.uint8(8)  # won an appeal: no threshold listing until listed_until
DETAINED = np.uint8(16)  # detained (mechanisms.detention): no outside or online acts
TIES_SUSPENDED = np.uint8(32)  # its ties are suspended for its detention (set with DETAINED
# when detention.suspend_ties, cleared on release, with the ties' SUSPENDED bits)
POLITICAL_RECORD = np.uint8(64)  # the record holds a political act of this agent (an
# accepted observation of a behaviour in detention.political, its own or pinned on it by
# error) since its last listing ended: listed with it, it is listed for a political act
CLEAN_LISTED = np.uint8(128)  # listed, and the error-free record lists it too: its
# neighbours count it in nbr_clean_listed. Set with a rightful listing, or on the first day
# a wrongfully listed agent's error-free score would list it (``lists_clean``); cleared
# with LISTED.

# Event bits (State.today), cleared every day.
SEVERE_REAL = np.uint8(1)  # an accepted observation of a severe act, as recorded
SEVERE_CLEAN = np.uint8(2)  # the same, on the error-free record
NEW_LISTED = np.uint8(4)
DELISTED = np.uint8(8)
NEW_SHAMED = np.uint8(16)
HAS_MISATTRIBUTION = np.uint8(32)  # some of today's sightings of this agent went to others
HAS_FALSE_REPORTS = np.uint8(64)  # this agent filed false reports today
ACTED = np.uint8(128)  # performed at least one act today

COUNT_MAX = 65535  # history counts (uint16) stop here
ONE = np.uint64(1)  # the next household (unsigned positions: ``household_of``)

# name -> (dtype, width); width is 1, 2, or a name of ``widths``. The dtype
# "ties" stands for uint16, or int32 when some agent has more than 65,535 ties (ties_dtype).
AGENT_ARRAYS: dict[str, tuple[type | str, int | str]] = {
    # [:, 0] recorded score, [:, -1] error-free score (points): one column when nothing can
    # err (Names.errors false: the error-free score is the recorded one), else two.
    "scores": (np.float32, "score_columns"),
    "scratch": (np.float32, "score_columns"),  # per-day deltas, then the next scores (double
    # buffer), laid out like scores
    # Provenance ledger (core.source): points booked to each source since day 0 (points).
    # One column per source of the run (Names.sources); no error-free columns when nothing
    # can err (Names.errors false: the error-free ledger is the recorded one).
    "points": (np.float32, "sources"),  # recorded score
    "clean_points": (np.float32, "clean_ledger"),  # error-free score
    "mistaken_for": (np.int32, 1),  # whose act was last pinned on this agent (-1: nobody)
    "falsely_reported_by": (np.int32, 1),  # who last filed an accepted false report on it
    "fear": (np.float32, 1),  # in [0, 1]
    "conformity": (np.float32, 1),
    "malice": (np.float32, 1),
    "propensity": (np.float32, "categories"),
    "group": (np.uint8, 1),
    "region": (np.uint16, 1),
    "tier": (np.uint8, 1),
    "status": (np.uint8, 1),
    "today": (np.uint8, 1),
    "listed_until": (np.int32, 1),  # day the listing (or appeal protection) ends
    "employer": (np.int32, 1),  # company index, -1 when not employed
    "deg_active": ("ties", 1),  # ties neither severed nor suspended (mechanisms.ties.
    # active_degree: no rows when no tie can go inactive)
    "nbr_listed": ("ties", 1),  # listed active neighbours
    "nbr_clean_listed": ("ties", 1),  # ... rightfully listed (error-free world)
    "nbr_shamed": ("ties", 1),  # shamed active neighbours
    # History counts, saturating at COUNT_MAX.
    "acts_total": (np.uint16, "behaviours"),
    "times_listed": (np.uint16, 1),
    "days_listed": (np.uint16, 1),
    "wrongful_listings": (np.uint16, 1),
    "times_shamed": (np.uint16, 1),
    "ties_lost": (np.uint16, 1),
    "blocked_tickets": (np.uint16, 1),
    "blocked_other": (np.uint16, 1),  # purchases and job applications
    "privileges_used": (np.uint16, 1),
    "school_barred_days": (np.uint16, 1),
}

PER_AGENT_LEDGER = ("points", "clean_points", "mistaken_for", "falsely_reported_by")
"""The per-agent provenance arrays: a run without per-agent sources (``Names.
per_agent_sources`` false) allocates them short (``short_arrays``)."""

# What an agent or company has done so far (published in the agents and companies tables):
# restarted at day 0 after a warm-up.
AGENT_HISTORY = ("acts_total", "times_listed", "days_listed", "wrongful_listings",
                 "times_shamed", "ties_lost", "blocked_tickets", "blocked_other",
                 "privileges_used", "school_barred_days")
COMPANY_HISTORY = ("events_total", "events_seen", "days_listed")

COMPANY_ARRAYS: dict[str, tuple[type, int | str]] = {
    "score": (np.float32, 1),
    "tier": (np.uint8, 1),
    "listed": (np.uint8, 1),
    "rep": (np.int32, 1),  # legal representative (agent index)
    "sector": (np.uint8, 1),
    "region": (np.uint16, 1),
    "revenue": (np.float32, 1),  # per day, arbitrary units
    "events_total": (np.int32, "events"),
    "events_seen": (np.int32, "events"),
    "days_listed": (np.int32, 1),
}


def widths(names) -> dict[str, int]:
    """The named widths of the tables for a scenario's ``Names``: behaviours, behaviour
    categories, company events, the sources of points of the run (``core.source``), the
    error-free ledger's columns (as many, or none when nothing can err) and the score
    columns (recorded and error-free, or one when nothing can err: ``clean_column``)."""
    sources = len(names.sources)
    return {"behaviours": max(len(names.behaviours), 1), "categories": len(names.categories),
            "events": max(len(names.company_events), 1), "sources": sources,
            "clean_ledger": sources if names.errors else 0,
            "score_columns": 2 if names.errors else 1}


def ledger_rows(n: int, per_agent: bool) -> int:
    """Rows of the ledger (``points``, ``clean_points``) of ``n`` agents: one per agent, or
    without per-agent sources one sink row per block of agents (``core.source.Book``)."""
    return n if per_agent else (n + BLOCK - 1) // BLOCK


def short_arrays(names, n: int) -> dict[str, int]:
    """The agent arrays a run of ``n`` agents with these ``Names`` allocates with fewer
    rows, and their rows (same dtype and width, so the kernels' signatures do not change):
    the arrays no mechanism of the run can use (``Names.unused_arrays``: no rows; a kernel
    that may be handed one does not index it, and the published columns are drawn again,
    ``world.population.malice_rows``, or zeros, ``rows_or_zeros``); without per-agent
    sources, the ledger (one sink row per block of agents, ``ledger_rows``) and who was
    mistaken for whom (no rows)."""
    short = dict.fromkeys(names.unused_arrays, 0)
    if names.per_agent_sources:
        return short
    sink = ledger_rows(n, per_agent=False)
    return {**short, "points": sink, "clean_points": sink, "mistaken_for": 0,
            "falsely_reported_by": 0}


def rows_or_zeros(agents: dict[str, np.ndarray], name: str, which) -> np.ndarray:
    """Rows ``which`` (a slice or agent ids) of the one-column agent array ``name``, or
    zeros of its dtype when the run keeps no rows of it (``short_arrays``: an array no
    mechanism of the run can move from 0, such as ``times_shamed`` without shaming)."""
    array = agents[name]
    if len(array) == len(agents["status"]):
        return array[which]
    return np.zeros(len(agents["status"][which]), array.dtype)


@njit(cache=True, inline="always")
def household_of(household_start, i):
    """The household of agent i (uint64, an unsigned position: see ``core.blocks``; add
    ``np.uint64`` constants to it): households are contiguous ranges of agents, household
    h being ``household_start[h]`` to ``household_start[h + 1]`` (int64, H+1). A binary
    search: a kernel that visits agents in order finds the first agent's once per block
    and walks on with ``next_household``."""
    return np.uint64(np.searchsorted(household_start, np.int64(i), side="right") - 1)


@njit(cache=True, inline="always")
def next_household(household_start, i, hh):
    """The household of agent i given ``hh``, that of agent i - 1 (households are never
    empty, so it is hh or hh + 1; no branch)."""
    return hh + np.uint64(household_start[hh + ONE] <= np.int64(i))


def households(household_start: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The household of each agent of ``[lo, hi)`` (int32, as the agents table publishes
    it), from the households' ranges ``household_start`` (int64, H+1)."""
    if hi <= lo:
        return np.zeros(0, np.int32)
    first = int(np.searchsorted(household_start, lo, side="right")) - 1
    last = int(np.searchsorted(household_start, hi, side="left"))
    bounds = np.clip(household_start[first:last + 1], lo, hi)
    return np.repeat(np.arange(first, last, dtype=np.int32), np.diff(bounds))


def ties_dtype(max_degree: int) -> type:
    """dtype of the per-agent neighbour counts for a network whose largest degree is
    ``max_degree``."""
    return np.uint16 if max_degree <= np.iinfo(np.uint16).max else np.int32


def _width(width: int | str, dims: dict[str, int]) -> int:
    return width if isinstance(width, int) else dims[width]


def _dtype(dt: type | str, dims: dict) -> np.dtype:
    return np.dtype(dims.get(dt, np.uint16) if isinstance(dt, str) else dt)


def bytes_per_row(table: dict, dims: dict, short: Iterable[str] = ()) -> int:
    """Bytes of one row (agent or company); ``dims`` gives the widths and the "ties" dtype
    (uint16 if absent); the arrays named in ``short`` are left out (``short_arrays``: at
    most a row per 4,096 agents)."""
    return sum(_dtype(dt, dims).itemsize * _width(w, dims) for name, (dt, w) in table.items()
               if name not in short)


def allocate(table: dict, n: int, dims: dict, short: dict[str, int] | None = None
             ) -> dict[str, np.ndarray]:
    """Zeroed arrays of ``n`` rows for every entry of ``table`` (of ``short[name]`` rows
    for those it names)."""
    out = {}
    for name, (dt, w) in table.items():
        rows = (short or {}).get(name, n)
        out[name] = np.zeros((rows, _width(w, dims)) if w != 1 else rows,
                             dtype=_dtype(dt, dims))
    return out


@njit(cache=True, inline="always")
def clean_column(scores):
    """The column of ``scores`` (or ``scratch``) that holds the error-free score: 1, or 0
    when the run can make no error and keeps one column, the recorded score being the
    error-free one. A kernel reads the error-free score there and writes it only when the
    column is not 0 (never over the recorded score)."""
    return scores.shape[1] - 1


@njit(cache=True, inline="always")
def add_capped(counts, i, k):
    """counts[i] += k, stopping at COUNT_MAX (history counts are uint16)."""
    counts[i] = min(counts[i] + k, COUNT_MAX)


@dataclass
class State:
    """Everything that changes during a run. Agents and companies are arrays of rows."""

    day: int
    agents: dict[str, np.ndarray]
    companies: dict[str, np.ndarray]
    net: Network
    household_start: np.ndarray  # int64 (H+1,), households are contiguous agent ranges
    region_start: np.ndarray  # int64 (R+1,), regions are contiguous agent ranges
    company_region_start: np.ndarray  # int64 (R+1,)
    file_ids: np.ndarray | None = None
    """int64 (N,), ascending: agent k is node ``file_ids[k]`` of an edge-list file (None
    for a generated network); published as the agents table's ``file_id``."""

    @property
    def n(self) -> int:
        return len(self.agents["status"])

    def restart_history(self) -> None:
        """Zero the history counts (``AGENT_HISTORY``, ``COMPANY_HISTORY``): what the
        published tables count starts now."""
        for name in AGENT_HISTORY:
            self.agents[name][:] = 0
        for name in COMPANY_HISTORY:
            self.companies[name][:] = 0

    def __getattr__(self, name: str) -> np.ndarray:
        agents = self.__dict__.get("agents")
        if agents is not None and name in agents:
            return agents[name]
        raise AttributeError(name)
