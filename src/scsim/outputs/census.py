"""The day's census: one pass over every agent for the metrics step and the provenance
breakdown (issue 13, "fewer passes").

Both count the same agents at the end of the day: the metrics step's counters (``COUNTERS``:
agents listed and wrongfully listed, score sums, fear, pariahs, active ties and agents, per
group and tier, and on distribution days the fine score histogram of
``outputs.metrics``) and the provenance breakdown by segment and group (``outputs.provenance``:
``FIELDS``, agents per tier and the one-point score histogram). ``census`` takes both in one
pass (the ``census`` phase of the profile). ``Simulation(..., split_passes=True)`` (``scsim run
--profile --split-passes``) takes them in two passes of the same kernel instead, timed as
before in the ``provenance`` and ``metrics`` phases: the same bits either way.

Sums do not depend on the number of threads: the metrics counters are summed per block
(``core.blocks``), the breakdown per segment (a block cut at region boundaries), each in
agent order by one thread; the fine histogram is kept per chunk of blocks (counts, minima
and maxima, which do not depend on the chunking).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from scsim.core.blocks import n_blocks
from scsim.core.counters import Counters
from scsim.core.state import (
    DELISTED,
    DETAINED,
    LISTED,
    NEW_LISTED,
    WRONGFUL,
    clean_column,
)
from scsim.core.step import Step, Today
from scsim.mechanisms.ties import active_degree

COUNTERS = Counters(
    "census", counts=("listed", "wrongful_listed", "pariahs", "deg_active", "agents_active"),
    sums=("score_sum", "score_sq", "clean_sum", "fear_sum"),
    arrays={"group_listed": (np.int64, (2, "groups")),  # listed, wrongfully listed
            "group_score": (np.float64, ("groups",)),
            "tier": (np.int64, ("tiers",))})
"""The metrics step's counters, per block."""
C, S = COUNTERS.C, COUNTERS.S


class MetricsPart(NamedTuple):
    """What the metrics part of the census reads and fills: per-agent arrays, the pariah
    fraction (share of one's ties), the fine histogram's range (points) and whether it is
    taken today, its per-chunk arrays (counts, lowest and highest score per bin), the
    block rows of ``COUNTERS`` and whether agents are counted by tier (the scenario has
    tiers)."""

    fear: np.ndarray
    region: np.ndarray
    started: np.ndarray
    indptr: np.ndarray
    deg_active: np.ndarray
    pariah_fraction: float
    s_min: float
    s_max: float
    histogram: bool
    hist: np.ndarray
    hist_lo: np.ndarray
    hist_hi: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    group_listed: np.ndarray
    group_score: np.ndarray
    count_tiers: bool
    tier_counts: np.ndarray


class ProvenancePart(NamedTuple):
    """What the provenance part fills: ``out[segment, group, field]`` (``FIELDS``) and
    ``counts[segment, group]`` (agents per tier, ``tiers`` of them, then the one-point score
    histogram from ``s_min`` in bins ``width`` points wide); ``seg_start`` and ``seg_base``
    are the ledger's segments (``core.blocks.region_segments``)."""

    seg_start: np.ndarray
    seg_base: np.ndarray
    today: np.ndarray
    out: np.ndarray
    counts: np.ndarray
    s_min: float
    width: float
    tiers: int


@njit(cache=True)
def census_segment(lo, hi, blk, chunk, scores, tier, status, group, mp, pp, with_metrics,
                   with_provenance, one_group, block_sums, block_counts, acc, tally):
    """Count agents ``[lo, hi)`` (one segment of block ``blk``), in agent order: with
    ``with_metrics``, into the block's accumulators (``block_sums``: score, its square,
    error-free score and fear; ``block_counts``: listed, wrongfully listed, pariahs,
    active tie ends, agents of started regions), the block rows of ``mp`` and chunk
    ``chunk``'s fine histogram; with ``with_provenance``, into the segment's
    ``acc[group, field]`` (``FIELDS``) and ``tally[group]`` (tiers, then the one-point
    histogram). The error-free score is read from ``state.clean_column`` (the recorded
    score itself when nothing can err). A function of its own, outside the parallel loop,
    indexing its arrays directly: it runs about twice as fast as the same loop inside it;
    and at unsigned positions (``i``, the bins), for which numba adds no negative-index
    correction to each read: a third faster (``core.blocks``)."""
    ssum, ssq, csum, fsum = block_sums[0], block_sums[1], block_sums[2], block_sums[3]
    listed, wrongful, pariahs = block_counts[0], block_counts[1], block_counts[2]
    degs, active = block_counts[3], block_counts[4]
    scale = mp.hist.shape[1] / (mp.s_max - mp.s_min)
    last_bin = mp.hist.shape[1] - 1
    last_point = tally.shape[1] - pp.tiers - 1
    clean = clean_column(scores)
    for i in range(np.uint64(lo), np.uint64(hi)):
        s = np.float64(scores[i, 0])
        g = group[i]
        st = status[i]
        if with_metrics:
            ssum += s
            ssq += s * s
            csum += scores[i, clean]
            fsum += mp.fear[i]
            if not one_group:
                mp.group_score[blk, g] += s
            if mp.count_tiers:
                mp.tier_counts[blk, tier[i]] += 1
            if mp.histogram:
                k = np.uint64(min(max(int((s - mp.s_min) * scale), 0), last_bin))
                mp.hist[chunk, k] += 1
                mp.hist_lo[chunk, k] = min(mp.hist_lo[chunk, k], s)
                mp.hist_hi[chunk, k] = max(mp.hist_hi[chunk, k], s)
            if st & LISTED:
                listed += 1
                mp.group_listed[blk, 0, g] += 1
                if st & WRONGFUL:
                    wrongful += 1
                    mp.group_listed[blk, 1, g] += 1
            deg = np.int64(mp.indptr[i + np.uint64(1)]) - np.int64(mp.indptr[i])
            d = active_degree(mp.deg_active, mp.indptr, i)
            degs += d
            if deg > 0 and d < mp.pariah_fraction * deg and not st & DETAINED:
                pariahs += 1
            if mp.started[mp.region[i]]:
                active += 1
        if with_provenance:
            if st & LISTED:
                acc[g, 0] += 1.0
                if st & WRONGFUL:
                    acc[g, 1] += 1.0
                if pp.today[i] & NEW_LISTED:
                    acc[g, 2] += 1.0
                    if st & WRONGFUL:
                        acc[g, 3] += 1.0
            acc[g, 4] += s
            acc[g, 5] += scores[i, clean]
            acc[g, 6] += 1.0
            if pp.today[i] & DELISTED:
                acc[g, 7] += 1.0
            acc[g, 8] += s * s
            if pp.tiers:  # without tiers, column 0 is the histogram's first bin
                tally[g, tier[i]] += 1
            b = np.uint64(min(max(int((s - pp.s_min) / pp.width + 0.5), 0), last_point))
            tally[g, np.uint64(pp.tiers) + b] += 1
    block_sums[0], block_sums[1], block_sums[2], block_sums[3] = ssum, ssq, csum, fsum
    block_counts[0], block_counts[1], block_counts[2] = listed, wrongful, pariahs
    block_counts[3], block_counts[4] = degs, active


@njit(cache=True, parallel=True)
def census(scores, tier, status, group, mp, pp, with_metrics, with_provenance):
    """The day's census of every agent (``census_segment``): the metrics part into ``mp``
    (``MetricsPart``) if ``with_metrics``, the provenance breakdown into ``pp``
    (``ProvenancePart``) if ``with_provenance``. Chunks of blocks run in parallel, one
    per row of the fine histogram."""
    n = len(status)
    nblocks = n_blocks(n)
    # Arrays written inside the parallel loop are taken out of the records first: numba's
    # parallel loops drop writes to an array reached as a named tuple's attribute (see
    # core.source).
    hist, hist_lo, hist_hi = mp.hist, mp.hist_lo, mp.hist_hi
    sums, counts, group_score = mp.sums, mp.counts, mp.group_score
    out, tallies, seg_base, seg_start = pp.out, pp.counts, pp.seg_base, pp.seg_start
    histogram = with_metrics and mp.histogram
    nchunks = hist.shape[0]
    one_group = group_score.shape[1] == 1
    for chunk in prange(nchunks):
        if histogram:
            hist[chunk, :] = 0
            hist_lo[chunk, :] = np.inf
            hist_hi[chunk, :] = -np.inf
        block_sums = np.zeros(4)
        block_counts = np.zeros(5, np.int64)
        for blk in range(chunk * nblocks // nchunks, (chunk + 1) * nblocks // nchunks):
            block_sums[:] = 0.0
            block_counts[:] = 0
            for k in range(seg_base[blk], seg_base[blk + 1]):
                if with_provenance:
                    out[k] = 0.0
                    tallies[k] = 0
                census_segment(seg_start[k], seg_start[k + 1], blk, chunk, scores, tier,
                               status, group, mp, pp, with_metrics, with_provenance,
                               one_group, block_sums, block_counts, out[k], tallies[k])
            if with_metrics:
                sums[blk, S.score_sum] = block_sums[0]
                sums[blk, S.score_sq] = block_sums[1]
                sums[blk, S.clean_sum] = block_sums[2]
                sums[blk, S.fear_sum] = block_sums[3]
                if one_group:
                    group_score[blk, 0] = block_sums[0]
                counts[blk, C.listed] = block_counts[0]
                counts[blk, C.wrongful_listed] = block_counts[1]
                counts[blk, C.pariahs] = block_counts[2]
                counts[blk, C.deg_active] = block_counts[3]
                counts[blk, C.agents_active] = block_counts[4]


class Census(Step):
    """The census of the day (both parts in one pass), unless the run splits its passes
    (then the provenance and metrics steps take their parts themselves)."""

    name = "census"
    section = "metrics"
    kernels = (census,)
    counters = COUNTERS

    @classmethod
    def on(cls, p) -> bool:
        return True

    def run(self, t: Today) -> None:
        if not self.sim.split_passes:
            take_census(self.sim, t, with_metrics=True, with_provenance=True)


def take_census(sim, t: Today, *, with_metrics: bool, with_provenance: bool) -> None:
    """Run ``census`` over ``t``'s agents for ``sim``'s metrics recorder and provenance
    step."""
    a = t.state.agents
    census(a["scores"], a["tier"], a["status"], a["group"], sim.recorder.metrics_part(t),
           sim.provenance.part(t.state), with_metrics, with_provenance)
