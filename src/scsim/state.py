"""The simulation state as a structure of arrays, and its memory footprint.

One table (``AGENT_ARRAYS``, ``COMPANY_ARRAYS``) lists every per-agent and per-company
array with its dtype and width; allocation and the memory estimate both read it, so the
estimate cannot drift from what is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scsim.network import Network

# Status bits (State.status), persistent across days.
LISTED = np.uint8(1)
WRONGFUL = np.uint8(2)  # the current listing would not have happened on the error-free score
SHAMED = np.uint8(4)  # publicly shamed during the current listing
PROTECTED = np.uint8(8)  # won an appeal: no threshold listing until listed_until

# Event bits (State.today), cleared every day.
SEVERE_REAL = np.uint8(1)  # an accepted observation of a severe act, as recorded
SEVERE_CLEAN = np.uint8(2)  # the same, on the error-free record
NEW_LISTED = np.uint8(4)
DELISTED = np.uint8(8)
NEW_SHAMED = np.uint8(16)
HAS_MISATTRIBUTION = np.uint8(32)  # some of today's sightings of this agent went to others
HAS_FALSE_REPORTS = np.uint8(64)  # this agent filed false reports today

BLOCK = 4096  # agents per block: the unit of deterministic partial sums

# name -> (dtype, width); width is 1, or "behaviours" / "categories" / "events" / 2.
AGENT_ARRAYS: dict[str, tuple[type, int | str]] = {
    "scores": (np.float32, 2),  # [:, 0] recorded score, [:, 1] error-free score (points)
    "scratch": (np.float32, 2),  # per-day score deltas, then the next scores (double buffer)
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
    "household": (np.int32, 1),
    "employer": (np.int32, 1),  # company index, -1 when not employed
    "deg_active": (np.int32, 1),  # ties not severed
    "nbr_listed": (np.int32, 1),  # listed active neighbours
    "nbr_clean_listed": (np.int32, 1),  # ... rightfully listed (error-free world)
    "nbr_shamed": (np.int32, 1),  # shamed active neighbours
    "acts": (np.uint8, "behaviours"),  # today's acts (saturating at 255)
    "acts_total": (np.uint32, "behaviours"),
    "times_listed": (np.int32, 1),
    "days_listed": (np.int32, 1),
    "wrongful_listings": (np.int32, 1),
    "times_shamed": (np.int32, 1),
    "ties_lost": (np.int32, 1),
    "blocked_tickets": (np.int32, 1),
    "blocked_other": (np.int32, 1),  # purchases and job applications
    "privileges_used": (np.int32, 1),
    "school_barred_days": (np.int32, 1),
}

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


def _width(width: int | str, dims: dict[str, int]) -> int:
    return width if isinstance(width, int) else dims[width]


def bytes_per_row(table: dict, dims: dict[str, int]) -> int:
    return sum(np.dtype(dt).itemsize * _width(w, dims) for dt, w in table.values())


def allocate(table: dict, n: int, dims: dict[str, int]) -> dict[str, np.ndarray]:
    out = {}
    for name, (dt, w) in table.items():
        width = _width(w, dims)
        out[name] = np.zeros((n, width) if w != 1 else n, dtype=dt)
    return out


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
    block_events: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))

    @property
    def n(self) -> int:
        return len(self.agents["status"])

    @property
    def n_blocks(self) -> int:
        return (self.n + BLOCK - 1) // BLOCK

    def __getattr__(self, name: str) -> np.ndarray:
        agents = self.__dict__.get("agents")
        if agents is not None and name in agents:
            return agents[name]
        raise AttributeError(name)
