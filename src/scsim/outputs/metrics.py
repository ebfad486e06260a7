"""The per-day metrics table: one row per day, one column per figure (see README, Metrics).

Percentiles and the Gini coefficient come from a histogram of scores with ``HIST_BINS``
bins over [s_min, s_max] that also keeps the lowest and highest score in each bin: they are
exact when the scores in the bins concerned are equal (as at the start of a run) and
otherwise off by less than the spread of one bin (under 0.16 points on a 0-1300 scale),
for the cost of one pass over the agents.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from scsim.core import counters as T
from scsim.core.params import Names, Params
from scsim.core.state import BLOCK, LISTED, WRONGFUL, State
from scsim.world.network import largest_component_fraction, score_assortativity

HIST_BINS = 8192
PERCENTILES = (1, 5, 25, 50, 75, 95, 99)


def metric_columns(names: Names) -> list[str]:
    """Column names of the metrics table, in order."""
    cols = ["day", "score_mean", "score_sd", *(f"score_p{q:02d}" for q in PERCENTILES),
            "score_gini", "clean_score_mean", "listed", "newly_listed", "severe_listings",
            "delisted", "renewed", "complied", "appeals", "appeals_won", "wrongful_listed",
            "wrongful_new", "blocked_air", "blocked_train", "blocked_purchases", "blocked_jobs",
            "social_media_banned", "house_arrest", "children_barred", "privileges_used"]
    cols += [f"privilege_{p}" for p in names.privileges]
    cols += ["misattributions", "reports_accepted", "false_reports_filed",
             "false_reports_accepted", "shamed", "ties_severed", "ties_restored",
             "ties_active_frac", "pariahs", "lcc_frac", "score_assortativity", "fear_mean",
             "deterrence_mean", "penalised_acts"]
    for b in names.behaviours:
        cols += [f"acts_{b}", f"seen_{b}", f"reported_{b}"]
    cols += [f"tier_{t}" for t in names.tiers]
    for g in names.groups:
        cols += [f"listed_rate_{g}", f"wrongful_rate_{g}", f"score_mean_{g}", f"di_{g}"]
    cols += ["corp_listed", "corp_score_mean", *(f"corp_tier_{t}" for t in names.company_tiers),
             "tax_take", "agents_active"]
    return cols


@njit(cache=True, parallel=True)
def agent_stats(scores, fear, tier, status, group, region, started, indptr, deg_active,
                pariah_fraction, s_min, s_max, hist, hist_lo, hist_hi, tally_counts, tally_sums,
                group_listed, group_score, tally_tier):
    """Sums and counts over agents into the block rows; the score histogram (counts, and
    the lowest and highest score of each bin) per chunk of blocks: counts, minima and maxima
    do not depend on the chunking, so neither does the result."""
    n = len(status)
    nblocks = (n + BLOCK - 1) // BLOCK
    nchunks = hist.shape[0]
    nbins = hist.shape[1]
    scale = nbins / (s_max - s_min)
    for chunk in prange(nchunks):
        hist[chunk, :] = 0
        hist_lo[chunk, :] = np.inf
        hist_hi[chunk, :] = -np.inf
        for blk in range(chunk * nblocks // nchunks, (chunk + 1) * nblocks // nchunks):
            ssum = 0.0
            ssq = 0.0
            csum = 0.0
            fsum = 0.0
            listed = 0
            wrongful = 0
            pariahs = 0
            degs = 0
            active = 0
            for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
                s = np.float64(scores[i, 0])
                ssum += s
                ssq += s * s
                csum += scores[i, 1]
                fsum += fear[i]
                g = group[i]
                group_score[blk, g] += s
                tally_tier[blk, tier[i]] += 1
                k = min(max(int((s - s_min) * scale), 0), nbins - 1)
                hist[chunk, k] += 1
                hist_lo[chunk, k] = min(hist_lo[chunk, k], s)
                hist_hi[chunk, k] = max(hist_hi[chunk, k], s)
                if status[i] & LISTED:
                    listed += 1
                    group_listed[blk, 0, g] += 1
                    if status[i] & WRONGFUL:
                        wrongful += 1
                        group_listed[blk, 1, g] += 1
                deg = indptr[i + 1] - indptr[i]
                degs += deg_active[i]
                if deg > 0 and deg_active[i] < pariah_fraction * deg:
                    pariahs += 1
                if started[region[i]]:
                    active += 1
            tally_sums[blk, T.SCORE_SUM] = ssum
            tally_sums[blk, T.SCORE_SQ] = ssq
            tally_sums[blk, T.CLEAN_SUM] = csum
            tally_sums[blk, T.FEAR_SUM] = fsum
            tally_counts[blk, T.LISTED] = listed
            tally_counts[blk, T.WRONGFUL_LISTED] = wrongful
            tally_counts[blk, T.PARIAHS] = pariahs
            tally_counts[blk, T.DEG_ACTIVE] = degs
            tally_counts[blk, T.AGENTS_ACTIVE] = active


def histogram_percentiles(hist: np.ndarray, lo: np.ndarray, hi: np.ndarray, qs) -> list[float]:
    """Percentiles (in %, numpy's linear definition) from a histogram whose bins also know
    their lowest (``lo``) and highest (``hi``) value: order statistics inside a bin are
    spread evenly between the two."""
    n = int(hist.sum())
    cdf = np.cumsum(hist)

    def order_statistic(k: int) -> float:
        b = int(np.searchsorted(cdf, k, side="right"))
        rank = k - (cdf[b - 1] if b > 0 else 0)
        count = hist[b]
        return float(lo[b] + (hi[b] - lo[b]) * (rank / (count - 1) if count > 1 else 0.0))

    out = []
    for q in qs:
        pos = q / 100.0 * (n - 1)
        k = math.floor(pos)
        low = order_statistic(k)
        high = order_statistic(min(k + 1, n - 1))
        out.append(low + (pos - k) * (high - low))
    return out


def histogram_gini(hist: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Gini coefficient of scores from their histogram (each bin at the middle of its
    lowest and highest value); NaN if the mean score is not positive."""
    counts = hist.astype(np.float64)
    n = counts.sum()
    occupied = hist > 0
    x = np.zeros(len(hist))
    x[occupied] = (lo[occupied] + hi[occupied]) / 2.0
    total = float(np.dot(counts, x))
    if n == 0 or total <= 0 or np.any(x[occupied] < 0):
        return math.nan
    before = np.cumsum(counts) - counts
    return float(np.dot(x * counts, 2.0 * before + counts - n) / (n * total))


class MetricsRecorder:
    """Fills the metrics table one day at a time."""

    def __init__(self, names: Names, state: State, days: int, network_every: int,
                 threads: int):
        self.names = names
        self.columns = metric_columns(names)
        self.index = {c: k for k, c in enumerate(self.columns)}
        self.table = np.full((days, len(self.columns)), np.nan)
        self.network_every = network_every
        self.group_size = np.bincount(state.group, minlength=len(names.groups)).astype(float)
        self.degree_total = float(len(state.net.indices))
        self.hist = np.zeros((max(1, threads), HIST_BINS), np.int64)
        self.hist_lo = np.zeros((max(1, threads), HIST_BINS), np.float64)
        self.hist_hi = np.zeros((max(1, threads), HIST_BINS), np.float64)
        # The largest component depends only on which ties are active: it is measured
        # again only after a tie has been severed or restored.
        self.lcc: float | None = None

    def record(self, day: int, state: State, tally: T.Tally, p: Params, started: np.ndarray,
               last_day: bool) -> None:
        a, c, net = state.agents, state.companies, state.net
        agent_stats(a["scores"], a["fear"], a["tier"], a["status"], a["group"], a["region"],
                    started, net.indptr, a["deg_active"], p.pariah_fraction, p.s_min, p.s_max,
                    self.hist, self.hist_lo, self.hist_hi, tally.counts, tally.sums,
                    tally.group_listed, tally.group_score, tally.tier)
        n = state.n
        row = self.table[day]
        put = self._put(row)
        put("day", day)
        mean = tally.sum(T.SCORE_SUM) / n
        put("score_mean", mean)
        put("score_sd", math.sqrt(max(tally.sum(T.SCORE_SQ) / n - mean * mean, 0.0)))
        hist = self.hist.sum(axis=0)
        lo, hi = self.hist_lo.min(axis=0), self.hist_hi.max(axis=0)
        for q, v in zip(PERCENTILES, histogram_percentiles(hist, lo, hi, PERCENTILES),
                        strict=True):
            put(f"score_p{q:02d}", v)
        put("score_gini", histogram_gini(hist, lo, hi))
        put("clean_score_mean", tally.sum(T.CLEAN_SUM) / n)
        for col, slot in (("listed", T.LISTED), ("newly_listed", T.NEWLY_LISTED),
                          ("severe_listings", T.SEVERE_LISTINGS), ("delisted", T.DELISTED),
                          ("renewed", T.RENEWED), ("complied", T.COMPLIED),
                          ("appeals", T.APPEALS), ("appeals_won", T.APPEALS_WON),
                          ("wrongful_listed", T.WRONGFUL_LISTED),
                          ("wrongful_new", T.WRONGFUL_NEW), ("blocked_air", T.BLOCKED_AIR),
                          ("blocked_train", T.BLOCKED_TRAIN),
                          ("blocked_purchases", T.BLOCKED_PURCHASES),
                          ("blocked_jobs", T.BLOCKED_JOBS),
                          ("social_media_banned", T.SOCIAL_MEDIA_BANNED),
                          ("house_arrest", T.HOUSE_ARREST),
                          ("children_barred", T.CHILDREN_BARRED),
                          ("misattributions", T.MISATTRIBUTIONS),
                          ("false_reports_filed", T.FALSE_FILED),
                          ("false_reports_accepted", T.FALSE_ACCEPTED), ("shamed", T.SHAMED),
                          ("ties_severed", T.TIES_SEVERED), ("ties_restored", T.TIES_RESTORED),
                          ("pariahs", T.PARIAHS), ("agents_active", T.AGENTS_ACTIVE)):
            put(col, tally.count(slot))
        privileges = tally.privilege.sum(axis=0)
        for k, name in enumerate(self.names.privileges):
            put(f"privilege_{name}", privileges[k])
        put("privileges_used", privileges[: len(self.names.privileges)].sum())
        beh = tally.behaviour.sum(axis=0)
        for k, name in enumerate(self.names.behaviours):
            put(f"acts_{name}", beh[T.ACTS, k])
            put(f"seen_{name}", beh[T.SEEN, k])
            put(f"reported_{name}", beh[T.REPORTED, k])
        put("reports_accepted", beh[T.REPORTED, : len(self.names.behaviours)].sum())
        penalised = p.b_penalised.astype(bool)
        put("penalised_acts", beh[T.ACTS, : len(penalised)][penalised].sum())
        put("ties_active_frac", tally.count(T.DEG_ACTIVE) / self.degree_total
            if self.degree_total else math.nan)
        if tally.count(T.TIES_SEVERED) or tally.count(T.TIES_RESTORED):
            self.lcc = None
        if day % self.network_every == 0 or last_day:
            if self.lcc is None:
                # Lend it the score scratch: nothing in it is read again before behave
                # clears it tomorrow.
                self.lcc = largest_component_fraction(net, a["scratch"])
            put("lcc_frac", self.lcc)
            put("score_assortativity", score_assortativity(net, a["scores"][:, 0]))
        put("fear_mean", tally.sum(T.FEAR_SUM) / n)
        put("deterrence_mean", tally.sum(T.DETERRENCE_SUM) / n)
        tiers = tally.tier.sum(axis=0)
        for k, name in enumerate(self.names.tiers):
            put(f"tier_{name}", tiers[k])
        listed = tally.group_listed.sum(axis=0)
        gscore = tally.group_score.sum(axis=0)
        size = np.maximum(self.group_size, 1.0)
        rates = listed[0] / size
        ref = rates[self.names.reference_group]
        for k, name in enumerate(self.names.groups):
            put(f"listed_rate_{name}", rates[k])
            put(f"wrongful_rate_{name}", listed[1, k] / size[k])
            put(f"score_mean_{name}", gscore[k] / size[k])
            put(f"di_{name}", rates[k] / ref if ref > 0 else math.nan)
        m = len(c["score"])
        put("corp_listed", int(c["listed"].sum()))
        put("corp_score_mean", float(c["score"].mean()) if m else math.nan)
        ctiers = np.bincount(c["tier"], minlength=len(self.names.company_tiers))
        for k, name in enumerate(self.names.company_tiers):
            put(f"corp_tier_{name}", ctiers[k])
        put("tax_take", float(np.dot(c["revenue"], p.ct_tax[c["tier"]])) if m and p.companies
            else 0.0)

    def _put(self, row: np.ndarray):
        index = self.index

        def put(column: str, value) -> None:
            row[index[column]] = value

        return put
