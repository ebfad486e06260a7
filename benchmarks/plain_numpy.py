"""The simple configuration written as plain vectorised numpy/scipy, the way a careful
modeller would write it without scsim: one array per agent attribute, one vectorised
statement per step of the day, the network as a scipy.sparse matrix.

The configuration (``SIMPLE``, from the mesa-parity scenario): one behaviour, Poisson(rate)
acts per agent per day, each seen with the channel's coverage and costing ``delta`` points;
association (the score moves ``alpha`` of the way toward the mean score of the agent's
neighbours) and recovery (``rho`` of the way back toward the starting score), from
yesterday's scores; listing below a threshold for ``duration`` days; listed agents make
Poisson(air_rate) air-ticket attempts per day, all blocked (a travel ban).

The care taken: float32 state, the neighbour mean as one sparse matrix-vector product with
the row normalisation folded into the matrix once (``W = D^-1 A``), Poisson acts by inversion
of one uniform per agent (only the few agents with acts look their count up),
draws only for the agents concerned (seen acts among acts, tickets among the listed), and
no Python loop over agents. Random numbers come from numpy's PCG64 generator, so the two
simulators agree in distribution, not draw for draw (``benchmarks/bench.py`` compares the
share listed).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from scsim.scenario.schema import Scenario

SIMPLE = ["behaviours=[{name: jaywalking, rate: 0.05, delta: -10, channel: camera}]",
          "scoring.recovery=0.01", "listing.threshold=965"]
"""Overrides of mesa-parity that make the simple configuration (about 2.7 % listed after
100 days)."""


class PlainModel:
    """The simple configuration on a CSR network (``indptr``, ``indices``), numpy only."""

    def __init__(self, sc: Scenario, indptr: np.ndarray, indices: np.ndarray, seed: int = 0):
        (b,) = sc.behaviours
        n = len(indptr) - 1
        self.rng = np.random.default_rng(seed)
        self.rate, self.delta = b.rate, np.float32(b.delta)
        k = np.arange(40)
        pmf = np.exp(-b.rate + k * np.log(b.rate) - np.cumsum(np.log(np.maximum(k, 1))))
        self.cdf = np.cumsum(pmf)  # Poisson(rate) P(X <= k), k = 0..39
        self.coverage = sc.surveillance.channels[b.channel].coverage
        self.alpha = np.float32(sc.scoring.association.alpha)
        self.rho = np.float32(sc.scoring.recovery)
        self.s0 = np.float32(sc.scoring.s0)
        self.s_min, self.s_max = np.float32(sc.scoring.min), np.float32(sc.scoring.max)
        self.threshold = np.float32(sc.listing.threshold)
        self.duration = sc.listing.duration
        self.air_rate = sc.sanctions.travel.air_rate
        degree = np.diff(indptr).astype(np.float32)
        inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
        self.W = sp.csr_matrix((np.repeat(inv, np.diff(indptr)), indices, indptr),
                               shape=(n, n))
        self.has_neighbours = degree > 0
        self.score = np.full(n, self.s0, np.float32)
        self.listed_until = np.full(n, -1, np.int32)
        self.blocked_air = np.zeros(n, np.int32)
        self.day = 0
        self.listed_per_day: list[int] = []

    def step(self) -> None:
        rng, s = self.rng, self.score
        n = len(s)
        # behave and observe: Poisson acts by inversion of one uniform per agent (only the
        # agents with u past P(0) act), and how many of them were seen
        u = rng.random(n)
        actors = np.flatnonzero(u >= self.cdf[0])
        acts = np.searchsorted(self.cdf, u[actors], side="right")
        seen = rng.binomial(acts, self.coverage)
        # score: association and recovery from yesterday's scores, then the seen deltas
        mean = self.W @ s
        new = s + self.rho * (self.s0 - s)
        new[self.has_neighbours] += self.alpha * (mean - s)[self.has_neighbours]
        new[actors] += seen * self.delta
        np.clip(new, self.s_min, self.s_max, out=new)
        self.score = new
        # classify: listed for `duration` days from the day the score falls below
        listed = self.listed_until > self.day
        newly = ~listed & (new < self.threshold)
        self.listed_until[newly] = self.day + self.duration
        listed |= newly
        # sanction: listed agents' air-ticket attempts, all blocked
        who = np.flatnonzero(listed)
        self.blocked_air[who] += rng.poisson(self.air_rate, len(who)).astype(np.int32)
        self.listed_per_day.append(len(who))
        self.day += 1


def run(sc: Scenario, indptr: np.ndarray, indices: np.ndarray, days: int,
        seed: int = 0) -> PlainModel:
    """Run the plain model for ``days`` days and return it."""
    model = PlainModel(sc, indptr, indices, seed)
    for _ in range(days):
        model.step()
    return model
