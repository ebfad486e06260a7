"""The mechanism kernels called directly on tiny hand-built arrays.

A handful of agents, a hand-written CSR network (rows sorted, both directions of every tie)
and chosen parameters: each expected value is worked out from MODEL.md's rules (in the
comments, or by a plain-Python restatement of the rule), not read from a run. Random
decisions use probabilities 0 or 1, or are recomputed from scsim.core.rng's public draws.

The tests are named ``test_<module>_...`` after the mechanism module they exercise, so that
``-k`` picks the tests of one module (tools/mutation.py does, per mutant).
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import INERT_ON_PURPOSE, bare
from scsim.core import rng
from scsim.core.blocks import BLOCK
from scsim.core.events import NOT_TRACED
from scsim.core.params import Names
from scsim.core.rng import SALT_1, SALT_2, below, poisson, unit
from scsim.core.source import Book, source_registry
from scsim.core.state import (
    ACTED,
    CLEAN_LISTED,
    DELISTED,
    HAS_FALSE_REPORTS,
    HAS_MISATTRIBUTION,
    LISTED,
    NEW_LISTED,
    NEW_SHAMED,
    PROTECTED,
    SEVERE_CLEAN,
    SEVERE_REAL,
    SHAMED,
    WRONGFUL,
)
from scsim.errors import ScenarioError
from scsim.mechanisms import acts as acts_m
from scsim.mechanisms import adapt as adapt_m
from scsim.mechanisms import behave as behave_m
from scsim.mechanisms import classify as classify_m
from scsim.mechanisms import companies as companies_m
from scsim.mechanisms import impunity as impunity_m
from scsim.mechanisms import observe as observe_m
from scsim.mechanisms import reports as reports_m
from scsim.mechanisms import sanction as sanction_m
from scsim.mechanisms import score as score_m
from scsim.mechanisms import shame as shame_m
from scsim.mechanisms import ties as ties_m
from scsim.world.network.csr import (
    SEVERED,
    TIE_FAMILY,
    TIE_SOCIAL,
    TIE_WORK,
    TYPE_MASK,
    canonical_indptr,
    codes_of,
    neighbours_of,
    pack,
)


def slot(name):
    """The ledger column of source ``name`` in ``book_for``'s ledgers: every declared
    source, in registry order."""
    return [s.name for s in source_registry()].index(name)


def book_for(mod, n):
    """An empty provenance ledger of n agents (one group, one region) for the kernels of
    mechanism module ``mod`` (core.source.Book): a column for every declared source, and
    the day's tallies (one segment per block)."""
    k = len(source_registry())
    blocks = -(-n // BLOCK)
    return Book(np.zeros((n, k), np.float32), np.zeros((n, k), np.float32),
                np.zeros((blocks, 1, k)), np.zeros((blocks, 1, k)), np.zeros(n, np.uint8),
                np.zeros(n, np.uint16), np.arange(blocks + 1, dtype=np.int64),
                np.array([slot(name) for name in mod.SOURCES.names], np.int64), True, True, 0)


def not_detained(n):
    """Status bits of n agents none of whom is detained (report)."""
    return np.zeros(n, np.uint8)


def no_impunity():
    """Impunity off (observe and report): nothing dropped, and its counters."""
    return (impunity_m.ImpunityToday(0.0, 1.0, np.uint64(0), np.uint64(0)),
            counts_for(impunity_m))


KEY = np.uint64(0x9E3779B97F4A7C15)  # any stream key


def agent_hash(key, i):  # the public draws, kept uint64 between calls from Python
    return np.uint64(rng.agent_hash(np.uint64(key), i))


def sub_hash(h, j):
    return np.uint64(rng.sub_hash(np.uint64(h), np.uint64(j)))


def rehash(h, salt):
    return np.uint64(rng.rehash(np.uint64(h), salt))


def screened_unit(h, j):
    """The uniform of draw j under h that decides a screened count (acts, privileges used):
    its leading 16 bits from ``lead``, the rest from ``sub_hash`` (``core.rng``)."""
    h, j = np.uint64(h), np.uint64(j)
    return rng.lead_unit(h, j, rng.lead(h, j))


def compiled(sc):
    """Each mechanism's compiled parameters, from its own compile function."""
    names = Names.of(sc)
    return SimpleNamespace(
        behave=behave_m.compile_behaviours(sc, names),
        observe=observe_m.compile_observe(sc, names),
        report=reports_m.compile_reports(sc, names), score=score_m.compile_score(sc, names),
        classify=classify_m.compile_classify(sc, names),
        sanction=sanction_m.compile_sanction(sc, names),
        shame=shame_m.compile_shame(sc, names), adapt=adapt_m.compile_adapt(sc, names),
        companies=companies_m.compile_companies(sc, names))


def csr(n, edges):
    """CSR arrays (indptr and entries as a network's, uint32) of undirected ``edges`` given
    as (i, j, type[, severed]); rows sorted by neighbour."""
    rows = [[] for _ in range(n)]
    for i, j, t, *cut in edges:
        code = t | (SEVERED if cut and cut[0] else 0)
        rows[i].append((j, code))
        rows[j].append((i, code))
    indptr = np.zeros(n + 1, np.int64)
    indices, tie = [], []
    for i, row in enumerate(rows):
        row.sort()
        indptr[i + 1] = indptr[i] + len(row)
        indices += [j for j, _ in row]
        tie += [c for _, c in row]
    return canonical_indptr(indptr), pack(n, np.array(indices, np.int64),
                                          np.array(tie, np.uint8))


def counts_for(mod, extra=0):
    return np.zeros((1, len(mod.COUNTERS.counts) + extra), np.int64)


def cnt(mod, counts, name):
    return counts[0, getattr(mod.C, name)]


# --- ties ------------------------------------------------------------------------------------


def row_pointer(degrees) -> np.ndarray:
    """A CSR row pointer (uint32) of agents with these degrees (a kernel that is handed no
    rows of ``deg_active`` reads the degrees there: ``mechanisms.ties.active_degree``)."""
    return np.concatenate([[0], np.cumsum(degrees)]).astype(np.uint32)

def test_ties_visible():
    assert ties_m.visible(np.uint8(0)) == (0, 0, 0)
    assert ties_m.visible(LISTED | CLEAN_LISTED) == (1, 1, 0)
    assert ties_m.visible(LISTED | WRONGFUL) == (1, 0, 0)
    # a wrongful listing that the error-free record has since made too
    assert ties_m.visible(LISTED | WRONGFUL | CLEAN_LISTED) == (1, 1, 0)
    assert ties_m.visible(LISTED | SHAMED | CLEAN_LISTED) == (1, 1, 1)
    assert ties_m.visible(SHAMED) == (0, 0, 1)
    assert ties_m.visible(CLEAN_LISTED) == (0, 0, 0)  # not listed: counted by nobody


def test_ties_reverse_entry_and_broadcast():
    indptr, entries = csr(5, [(0, 1, 0), (0, 3, 1), (0, 4, 2, True), (2, 3, 0), (1, 3, 2)])
    for i in range(5):
        for e in range(indptr[i], indptr[i + 1]):
            j = neighbours_of(entries)[e]
            f = ties_m.reverse_entry(indptr, entries, j, i)
            assert neighbours_of(entries)[f] == i and indptr[j] <= f < indptr[j + 1]
    nl, nc, ns = (np.zeros(5, np.uint16) for _ in range(3))
    nl[:] = 5
    nc[:] = 5
    ns[:] = 5
    ties_m.broadcast(0, 1, 1, -1, indptr, entries, nl, nc, ns)
    # Agent 0's active neighbours are 1 and 3 (the tie to 4 is severed).
    assert nl.tolist() == [5, 6, 5, 6, 5]
    assert nc.tolist() == [5, 6, 5, 6, 5]
    assert ns.tolist() == [5, 4, 5, 4, 5]


def test_ties_set_tie_both_directions_and_counts():
    indptr, entries = csr(3, [(0, 1, TIE_WORK), (1, 2, TIE_SOCIAL)])
    status = np.array([LISTED | SHAMED | CLEAN_LISTED, LISTED | WRONGFUL, 0], np.uint8)
    deg = np.array([1, 2, 1], np.uint16)
    nl = np.array([1, 1, 1], np.uint16)  # 0 sees 1; 1 sees 0; 2 sees 1
    nc = np.array([0, 1, 0], np.uint16)  # 1 is wrongfully listed: only 0 is rightful
    ns = np.array([0, 1, 0], np.uint16)
    e = ties_m.reverse_entry(indptr, entries, 1, 0)  # entry (1 -> 0)
    ties_m.set_tie(1, e, False, indptr, entries, status, deg, nl, nc, ns)
    assert codes_of(entries).tolist() == [TIE_WORK | SEVERED, TIE_WORK | SEVERED, TIE_SOCIAL,
                                          TIE_SOCIAL]
    assert neighbours_of(entries).tolist() == [1, 0, 2, 1]  # the ids keep their bits
    assert deg.tolist() == [0, 1, 1]
    assert nl.tolist() == [0, 0, 1] and nc.tolist() == [0, 0, 0] and ns.tolist() == [0, 0, 0]
    ties_m.set_tie(1, e, True, indptr, entries, status, deg, nl, nc, ns)
    assert codes_of(entries).tolist() == [TIE_WORK, TIE_WORK, TIE_SOCIAL, TIE_SOCIAL]
    assert deg.tolist() == [1, 2, 1]
    assert nl.tolist() == [1, 1, 1] and nc.tolist() == [0, 1, 0] and ns.tolist() == [0, 1, 0]


# --- score -----------------------------------------------------------------------------------

def score_params(**kw):
    base = dict(on=True, s0_group=np.array([1000.0, 500.0], np.float32), s_min=0.0,
                s_max=1300.0, recovery=0.0, alpha=0.0,
                tie_weight=np.array([1.0, 1.0, 1.0]), listed_penalty=0.0,
                group_bonus=np.zeros(2), has_bonus=False, unit_weights=False)
    base.update(kw)
    return score_m.ScoreParams(**base)


def run_score(p, indptr, entries, group, region, started, nl, ncl, scores, scratch,
              clean=True, ahead=False):
    """The score kernel with the active degrees counted from the tie codes; returns the
    ledger rows (points, clean points: none booked unless ``clean``, a separate error-free
    ledger). ``ahead``: with prefetch hints."""
    deg_active = np.array([np.sum((codes_of(entries)[a:b] & SEVERED) == 0)
                           for a, b in itertools.pairwise(indptr)], np.uint16)
    bk = book_for(score_m, len(group))._replace(clean=clean)
    score_m.score(p, indptr, entries, group, region, started,
                  deg_active, nl, ncl, scores, scratch, bk, ahead)
    return bk.points, bk.clean_points


def score_reference(p, indptr, entries, group, region, started, nl, ncl, scores, delta):
    """MODEL.md, 4. Score, restated: s' = clamp(s + deltas + alpha (weighted mean of active
    neighbours - s) + bonus of active ties + rho (s0 - s) - beta listed active neighbours)."""
    out = np.array(scores, np.float64)
    for i in range(len(group)):
        if not started[region[i]]:
            continue
        for col, nb in ((0, nl), (1, ncl)):
            s = float(scores[i, col])
            w = ws = bonus = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                if codes_of(entries)[e] & SEVERED:
                    continue
                j = neighbours_of(entries)[e]
                wt = p.tie_weight[codes_of(entries)[e] & TYPE_MASK]
                w += wt
                ws += wt * float(scores[j, col])
                bonus += p.group_bonus[group[j]]
            new = s + float(delta[i, col])
            if w > 0 and p.alpha > 0:
                new += p.alpha * (ws / w - s)
            if p.alpha > 0 or p.has_bonus:
                new += bonus
            new += p.recovery * (float(p.s0_group[group[i]]) - s) - p.listed_penalty * nb[i]
            out[i, col] = min(max(new, p.s_min), p.s_max)
    return out


def score_world():
    # 0: family tie to 1, social (severed) to 2, work tie to 3; 4 alone; 5 in a region
    # that has not started.
    indptr, entries = csr(6, [(0, 1, TIE_FAMILY), (0, 2, TIE_SOCIAL, True),
                                   (0, 3, TIE_WORK), (1, 2, TIE_WORK), (3, 5, TIE_SOCIAL)])
    group = np.array([0, 1, 0, 1, 0, 0], np.uint8)
    region = np.array([0, 0, 0, 0, 0, 1], np.uint16)
    started = np.array([True, False])
    scores = np.array([[100, 90], [200, 210], [900, 950], [400, 380], [700, 700],
                       [600, 650]], np.float32)
    delta = np.array([[-5, -3], [2, 2], [0, 0], [10, 0], [0, 0], [50, 50]], np.float32)
    nl = np.array([1, 0, 2, 0, 0, 0], np.uint16)
    ncl = np.array([0, 0, 1, 0, 0, 0], np.uint16)
    return indptr, entries, group, region, started, nl, ncl, scores, delta


@pytest.mark.parametrize("kw", [
    dict(alpha=0.5, tie_weight=np.array([1.0, 2.0, 4.0])),
    dict(alpha=0.25, recovery=0.1, listed_penalty=3.0),
    dict(group_bonus=np.array([0.0, 7.0]), has_bonus=True),
    dict(alpha=0.3, group_bonus=np.array([-2.0, 5.0]), has_bonus=True,
         tie_weight=np.array([3.0, 0.5, 1.0]), recovery=0.2, listed_penalty=1.5),
    dict(recovery=0.5, listed_penalty=10.0),
    # every tie weighs 1: agents without a severed tie take the sum without tie bytes
    dict(alpha=0.5, recovery=0.1, listed_penalty=2.0, unit_weights=True),
])
def test_score_update_matches_model(kw):
    p = score_params(**kw)
    indptr, entries, group, region, started, nl, ncl, scores, delta = score_world()
    expected = score_reference(p, indptr, entries, group, region, started, nl, ncl,
                               scores, delta)
    scratch = delta.copy()
    run_score(p, indptr, entries, group, region, started, nl, ncl, scores, scratch)
    np.testing.assert_allclose(scratch, expected, rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("unit", [False, True])
def test_one_score_column_is_bit_identical(unit):
    """Paired: when nothing can err the scores have one column (``state.clean_column``);
    the kernel then writes to it the bits it writes to the recorded column of two equal
    ones, books the same points, and keeps no error-free ledger."""
    indptr, entries, group, region, started, nl, _, scores, delta = score_world()
    scores[:, 1] = scores[:, 0]
    delta[:, 1] = delta[:, 0]
    p = score_params(alpha=0.3, recovery=0.1, listed_penalty=2.0, unit_weights=unit)
    wide = delta.copy()
    points, clean = run_score(p, indptr, entries, group, region, started, nl, nl, scores,
                              wide)
    assert wide[:, 0].tobytes() == wide[:, 1].tobytes()
    assert points.tobytes() == clean.tobytes()
    narrow = np.ascontiguousarray(delta[:, :1])
    one_points, one_clean = run_score(p, indptr, entries, group, region, started, nl, nl,
                                      np.ascontiguousarray(scores[:, :1]), narrow, clean=False)
    assert narrow.shape == (6, 1) and narrow[:, 0].tobytes() == wide[:, 0].tobytes()
    assert one_points.tobytes() == points.tobytes() and not one_clean.any()


@pytest.mark.parametrize("kw", [dict(alpha=0.3, recovery=0.1, listed_penalty=2.0,
                                     unit_weights=True),
                                dict(alpha=0.3, tie_weight=np.array([1.0, 2.0, 4.0]),
                                     group_bonus=np.array([0.0, 3.0]), has_bonus=True)])
def test_score_prefetch_hints_change_no_bit(kw):
    """Prefetching neighbours' scores (``ahead``) only moves when memory loads: on a
    network of 3 blocks of agents and 6 ties each, some severed (so rows that prefetch past
    the entries of their block, and both sums), the same scores and bookings to the bit."""
    gen = np.random.default_rng(5)
    n = 3 * BLOCK
    pairs = gen.integers(0, n, size=(3 * n, 2))
    edges = [(int(i), int(j), int(t), bool(cut)) for (i, j), t, cut in
             zip(pairs, gen.integers(0, 3, 3 * n), gen.random(3 * n) < 0.1, strict=True)
             if i != j]
    indptr, entries = csr(n, edges)
    group = gen.integers(0, 2, n).astype(np.uint8)
    region = np.zeros(n, np.uint16)
    started = np.array([True])
    scores = gen.uniform(0, 1300, (n, 2)).astype(np.float32)
    delta = gen.normal(0, 5, (n, 2)).astype(np.float32)
    nl = gen.integers(0, 3, n).astype(np.uint16)
    p = score_params(**kw)
    runs = []
    for ahead in (False, True):
        scratch = delta.copy()
        points, clean = run_score(p, indptr, entries, group, region, started, nl, nl,
                                  scores, scratch, ahead=ahead)
        runs.append((scratch.tobytes(), points.tobytes(), clean.tobytes()))
    assert runs[0] == runs[1]
    assert not np.array_equal(np.frombuffer(runs[0][0], np.float32).reshape(n, 2), delta)


@pytest.mark.parametrize(("text", "expected"), [("1024K\n", 1 << 20), ("2M", 2 << 20),
                                              ("524288", 524288), ("", 1 << 20),
                                              ("lots", 1 << 20), (None, 1 << 20)])
def test_prefetch_only_what_one_core_cache_cannot_hold(tmp_path, monkeypatch, text,
                                                        expected):
    """The level-2 cache size is read as Linux writes it (1 MiB when absent or unreadable);
    an array is prefetched only when it is larger."""
    from scsim.core import prefetch as prefetch_m

    size_file = tmp_path / "size"
    if text is not None:
        size_file.write_text(text)
    monkeypatch.setattr(prefetch_m, "L2_CACHE_FILE", size_file)
    prefetch_m.l2_cache_bytes.cache_clear()
    try:
        assert prefetch_m.l2_cache_bytes() == expected
        fits = np.zeros(expected // 4, np.float32)
        assert not prefetch_m.worth_prefetching(fits)
        assert prefetch_m.worth_prefetching(np.zeros(expected // 4 + 1, np.float32))
    finally:
        prefetch_m.l2_cache_bytes.cache_clear()


def test_score_by_hand():
    """Agent 0 by hand: weights family 1, work 4 (the severed social tie does not count):
    mean = (1·200 + 4·400) / 5 = 360; s = 100 - 5 + 0.5·(360 - 100) = 225; error-free:
    (210 + 4·380) / 5 = 346, c = 90 - 3 + 0.5·(346 - 90) = 215."""
    p = score_params(alpha=0.5, tie_weight=np.array([1.0, 2.0, 4.0]))
    indptr, entries, group, region, started, nl, ncl, scores, delta = score_world()
    scratch = delta.copy()
    run_score(p, indptr, entries, group, region, started, nl, ncl, scores, scratch)
    assert scratch[0].tolist() == pytest.approx([225.0, 215.0])
    assert scratch[4].tolist() == [700.0, 700.0]  # no ties: nothing pulls
    assert scratch[5].tolist() == [600.0, 650.0]  # region not started: unchanged


def test_score_clamped_to_range():
    p = score_params(s_min=50.0, s_max=1000.0)
    indptr, entries, group, region, started, nl, ncl, scores, _ = score_world()
    delta = np.zeros_like(scores)
    delta[0] = [-500, -20]  # below the minimum / inside
    delta[2] = [500, 100]  # above the maximum
    delta[3] = [600, 620]  # exactly the maximum
    scratch = delta.copy()
    run_score(p, indptr, entries, group, region, started, nl, ncl, scores, scratch)
    assert scratch[0].tolist() == [50.0, 70.0]
    assert scratch[2].tolist() == [1000.0, 1000.0]
    assert scratch[3].tolist() == [1000.0, 1000.0]
    assert scratch[1].tolist() == [200.0, 210.0]


def test_score_recovery_and_penalty_by_hand():
    """rho = 0.1 toward s0 of the agent's own group; beta = 3 per listed neighbour:
    agent 1 (group 1, s0 500): 200 + 2 + 0.1·300 = 232; error-free 210 + 2 + 29 = 241.
    agent 2 (group 0, s0 1000): 900 + 10 - 3·2 = 904; error-free 950 + 5 - 3·1 = 952."""
    p = score_params(recovery=0.1, listed_penalty=3.0)
    indptr, entries, group, region, started, nl, ncl, scores, delta = score_world()
    scratch = delta.copy()
    run_score(p, indptr, entries, group, region, started, nl, ncl, scores, scratch)
    assert scratch[1].tolist() == pytest.approx([232.0, 241.0])
    assert scratch[2].tolist() == pytest.approx([904.0, 952.0])


def test_score_compile():
    sc = bare(population={"groups": [{"name": "a", "share": 0.5},
                                     {"name": "b", "share": 0.5, "s0": 800}]},
              scoring={"s0": 1000, "min": 10, "max": 1200, "recovery": 0.1,
                       "association": {"alpha": 0.2, "listed_penalty": 4,
                                       "weights": {"family": 2, "social": 3, "work": 5},
                                       "group_bonus": {"b": 6}}})
    p = compiled(sc).score
    assert p.on and p.s_min == 10 and p.s_max == 1200 and p.recovery == 0.1
    assert p.alpha == 0.2 and p.listed_penalty == 4
    assert p.s0_group.tolist() == [1000, 800]
    assert p.tie_weight.tolist() == [2, 3, 5]
    assert p.group_bonus.tolist() == [0, 6] and p.has_bonus
    assert not compiled(bare()).score.has_bonus


# --- adapt -----------------------------------------------------------------------------------

def test_adapt_fear_update():
    """fear += speed (target - fear), target = min(1, ws·exposure + wo·own)."""
    p = adapt_m.AdaptParams(True, 0.5, 0.6, 0.8, 100.0, 300.0)
    region = np.array([0, 0, 0, 0, 0, 1, 0], np.uint16)
    started = np.array([True, False])
    scores = np.array([[350, 0], [500, 0], [250, 0], [400, 0], [300, 0], [0, 0], [900, 0]],
                      np.float32)
    # Agent 1 is not listed (other status bits set): its own risk comes from its score.
    status = np.array([0, PROTECTED | WRONGFUL | SHAMED, 0, LISTED, 0, 0, 0], np.uint8)
    deg = np.array([4, 2, 0, 1, 3, 1, 0], np.uint16)
    nl = np.array([1, 2, 0, 1, 0, 1, 0], np.uint16)
    ns = np.array([1, 1, 0, 1, 0, 1, 0], np.uint16)
    fear = np.array([0.2, 0.0, 0.1, 0.5, 0.0, 0.3, 0.4], np.float32)
    before_fear = fear.copy()
    adapt_m.adapt(p, region, started, scores, status, row_pointer(deg), deg, nl, ns, fear)
    # Without rows of deg_active (no tie can go inactive) the degrees are the row pointer's.
    lean = before_fear.copy()
    adapt_m.adapt(p, region, started, scores, status, row_pointer(deg), deg[:0], nl, ns, lean)
    assert lean.tobytes() == fear.tobytes()
    # 0: exposure 2/4, own (300 + 100 - 350)/100 = 0.5: target 0.3 + 0.4 = 0.7.
    # 1: exposure min(1, 3/2) = 1, own 0 (far above): target 0.6.
    # 2: no ties, own min(1, 150/100) = 1: target 0.8.
    # 3: listed, exposure 1 (2/1 capped): target min(1, 0.6 + 0.8) = 1.
    # 4: at the threshold: own 1, target 0.8.  5: not started (the next agent still is).
    # 6: no ties, far above: target 0.
    target = [0.7, 0.6, 0.8, 1.0, 0.8, 0.3, 0.0]
    before = [0.2, 0.0, 0.1, 0.5, 0.0, 0.3, 0.4]
    expected = [f + 0.5 * (t - f) if i != 5 else f
                for i, (f, t) in enumerate(zip(before, target, strict=False))]
    assert fear.tolist() == pytest.approx(expected, abs=1e-6)


def test_adapt_compile():
    sc = bare(fear={"enabled": True, "speed": 0.2, "social_weight": 0.3, "self_weight": 0.7,
                    "margin": 50}, listing={"enabled": True, "threshold": 600})
    p = compiled(sc).adapt
    assert p == adapt_m.AdaptParams(True, 0.2, 0.3, 0.7, 50.0, 600.0)
    assert not compiled(bare()).adapt.on


# --- classify --------------------------------------------------------------------------------

def classify_params(**kw):
    base = dict(on=True, listing=True, threshold=600.0, duration=30, severe_duration=90,
                renew=False,
                compliance=0.0, appeal_rate=0.0, appeal_win=0.0, appeal_win_wrongful=0.0,
                correct_record=False, protection_days=20,
                tier_min=np.array([1000.0, 800.0, 600.0, -np.inf]))
    base.update(kw)
    return classify_m.ClassifyParams(**base)


class Agents:
    def __init__(self, scores, status=None, today=None, listed_until=None, region=None):
        n = len(scores)
        self.scores = np.array(scores, np.float32).reshape(n, 2)
        self.status = np.array(status if status is not None else [0] * n, np.uint8)
        self.today = np.array(today if today is not None else [0] * n, np.uint8)
        self.listed_until = np.array(listed_until if listed_until is not None else [0] * n,
                                     np.int32)
        self.region = np.array(region if region is not None else [0] * n, np.uint16)
        self.tier = np.full(n, 99, np.uint8)
        self.times_listed = np.zeros(n, np.uint16)
        self.days_listed = np.zeros(n, np.uint16)
        self.wrongful = np.zeros(n, np.uint16)
        self.counts = counts_for(classify_m)
        self.flags = np.zeros(1, np.uint8)


def run_classify(p, a, day=10, key=KEY, started=(True, False)):
    classify_m.classify(p, key, day, a.region, np.array(started), a.scores, a.tier, a.status,
                        a.today, a.listed_until, a.times_listed, a.days_listed, a.wrongful,
                        a.counts, book_for(classify_m, len(a.status)), a.flags)


def test_classify_tiers():
    tmin = np.array([1000.0, 800.0, 600.0, -np.inf])
    # A score at a tier's minimum is in that tier; below the last minimum, the last tier.
    for s, t in [(1200, 0), (1000, 0), (999.5, 1), (800, 1), (700, 2), (600, 2), (599, 3),
                 (-50, 3)]:
        assert classify_m.tier_of(s, tmin) == t
    assert classify_m.tier_of(5.0, np.array([-np.inf])) == 0
    a = Agents([[1000, 0], [650, 0], [10, 0], [900, 0]], region=[0, 0, 0, 1])
    run_classify(classify_params(listing=False), a)
    assert a.tier.tolist() == [0, 2, 3, 99]  # region 1 has not started
    assert a.status.tolist() == [0, 0, 0, 0]  # listing off: nobody listed
    tier = np.zeros(3, np.uint8)
    classify_m.assign_tiers(np.array([[850, 0], [1001, 0], [600, 0]], np.float32), tmin, tier)
    assert tier.tolist() == [1, 0, 2]


def test_classify_listing_at_threshold():
    # 0: above; 1: exactly at the threshold (not listed); 2: below, error-free below too
    # (rightful); 3: below but error-free above (wrongful); 4: severe act seen (listed for
    # the severe term whatever the score), rightful on the error-free record; 5: severe on
    # the recorded score only (wrongful); 6: region not started.
    a = Agents([[700, 700], [600, 600], [599, 500], [550, 650], [900, 900], [900, 900],
                [100, 100]],
               today=[0, 0, 0, 0, SEVERE_REAL | SEVERE_CLEAN, SEVERE_REAL, 0],
               region=[0, 0, 0, 0, 0, 0, 1])
    run_classify(classify_params(), a, day=10)
    L, W = LISTED, LISTED | WRONGFUL
    assert a.status.tolist() == [0, 0, L, W, L, W, 0]
    assert a.listed_until.tolist() == [0, 0, 40, 40, 100, 100, 0]
    assert a.times_listed.tolist() == [0, 0, 1, 1, 1, 1, 0]
    assert a.wrongful.tolist() == [0, 0, 0, 1, 0, 1, 0]
    assert [bool(x & NEW_LISTED) for x in a.today] == [0, 0, 1, 1, 1, 1, 0]
    assert a.days_listed.tolist() == [0, 0, 1, 1, 1, 1, 0]  # the listing day counts
    assert cnt(classify_m, a.counts, "newly_listed") == 4
    assert cnt(classify_m, a.counts, "severe_listings") == 2
    assert cnt(classify_m, a.counts, "wrongful_new") == 2
    assert cnt(classify_m, a.counts, "delisted") == 0
    assert a.flags[0] == 1
    b = Agents([[700, 500]])
    run_classify(classify_params(), b)
    assert b.flags[0] == 0 and b.status[0] == 0


def test_classify_term_end_and_renewal():
    # Listed agents: 0 term ends today (score recovered); 1 term ends today, still below;
    # 2 term ended yesterday; 3 term runs on; 4 severe act while listed extends the term.
    status = [LISTED, LISTED, LISTED | WRONGFUL, LISTED, LISTED]
    until = [10, 10, 9, 11, 50]
    scores = [[700, 700], [500, 500], [500, 500], [500, 500], [500, 500]]
    today = [0, 0, 0, 0, SEVERE_REAL]
    a = Agents(scores, status=status, today=today, listed_until=until)
    run_classify(classify_params(renew=False), a, day=10)
    assert a.status.tolist() == [0, 0, WRONGFUL, LISTED, LISTED]  # WRONGFUL kept for now
    assert [bool(x & DELISTED) for x in a.today] == [1, 1, 1, 0, 0]
    assert a.listed_until.tolist() == [10, 10, 9, 11, 100]
    assert a.days_listed.tolist() == [0, 0, 0, 1, 1]  # the day of release does not
    assert cnt(classify_m, a.counts, "delisted") == 3
    assert cnt(classify_m, a.counts, "renewed") == 0
    assert cnt(classify_m, a.counts, "newly_listed") == 0
    assert a.flags[0] == 1
    b = Agents(scores, status=status, today=today, listed_until=until)
    run_classify(classify_params(renew=True), b, day=10)
    # Renewal only while the score is still below the threshold.
    assert b.status.tolist() == [0, LISTED, LISTED | WRONGFUL, LISTED, LISTED]
    assert b.listed_until.tolist() == [10, 40, 40, 11, 100]
    assert cnt(classify_m, b.counts, "renewed") == 2
    assert cnt(classify_m, b.counts, "delisted") == 1
    c = Agents([[500, 500]], status=[LISTED], today=[SEVERE_REAL], listed_until=[200])
    run_classify(classify_params(), c, day=10)
    assert c.listed_until[0] == 200  # a longer term is kept
    d = Agents([[500, 500]], status=[LISTED], listed_until=[20])
    run_classify(classify_params(renew=True), d, day=10)
    assert d.flags[0] == 0 and d.status[0] == LISTED and d.listed_until[0] == 20


def test_classify_compliance():
    a = Agents([[500, 500]] * 3, status=[LISTED] * 3, listed_until=[30] * 3)
    run_classify(classify_params(compliance=1.0), a)
    assert a.status.tolist() == [0, 0, 0]
    assert cnt(classify_m, a.counts, "complied") == 3
    assert cnt(classify_m, a.counts, "delisted") == 3
    b = Agents([[500, 500]] * 3, status=[LISTED] * 3, listed_until=[30] * 3)
    run_classify(classify_params(compliance=0.0, appeal_rate=0.0), b)
    assert b.status.tolist() == [LISTED] * 3 and b.flags[0] == 0
    # Compliance with probability 0.4, decided by the agent's hash (MODEL.md: per day).
    n = 40
    c = Agents([[500, 500]] * n, status=[LISTED] * n, listed_until=[30] * n)
    run_classify(classify_params(compliance=0.4), c)
    expected = [unit(agent_hash(KEY, i)) < 0.4 for i in range(n)]
    assert [s == 0 for s in c.status] == expected
    assert cnt(classify_m, c.counts, "complied") == sum(expected)


def test_classify_appeals():
    status = [LISTED, LISTED | WRONGFUL]
    scores = [[500, 700], [500, 650]]
    # Appeals always filed and won; the record is corrected; protection for 20 days.
    a = Agents(scores, status=status, listed_until=[30, 30])
    run_classify(classify_params(appeal_rate=1.0, appeal_win=1.0, appeal_win_wrongful=1.0,
                                 correct_record=True), a, day=10)
    assert a.status.tolist() == [PROTECTED, PROTECTED | WRONGFUL]
    assert a.scores[:, 0].tolist() == [700, 650]
    assert a.tier.tolist() == [2, 2]
    assert a.listed_until.tolist() == [30, 30]
    assert [bool(x & DELISTED) for x in a.today] == [1, 1]
    assert cnt(classify_m, a.counts, "appeals") == 2
    assert cnt(classify_m, a.counts, "appeals_won") == 2
    assert cnt(classify_m, a.counts, "delisted") == 2
    # Without correction the record stays; only the wrongfully listed win.
    b = Agents(scores, status=status, listed_until=[30, 30])
    run_classify(classify_params(appeal_rate=1.0, appeal_win=0.0, appeal_win_wrongful=1.0,
                                 protection_days=5), b, day=10)
    assert b.status.tolist() == [LISTED, PROTECTED | WRONGFUL]
    assert b.scores[:, 0].tolist() == [500, 500]
    assert b.listed_until.tolist() == [30, 15]
    assert cnt(classify_m, b.counts, "appeals") == 2
    assert cnt(classify_m, b.counts, "appeals_won") == 1
    # Rightful appeals win, wrongful lose.
    c = Agents(scores, status=status, listed_until=[30, 30])
    run_classify(classify_params(appeal_rate=1.0, appeal_win=1.0, appeal_win_wrongful=0.0),
                 c, day=10)
    assert c.status.tolist() == [PROTECTED, LISTED | WRONGFUL]
    # Filing and winning with probability 0.5 each, from the agent's hash.
    n = 40
    d = Agents([[500, 500]] * n, status=[LISTED] * n, listed_until=[30] * n)
    run_classify(classify_params(appeal_rate=0.5, appeal_win=0.5), d, day=10)
    filed = [unit(rehash(agent_hash(KEY, i), SALT_1)) < 0.5 for i in range(n)]
    won = [f and unit(rehash(agent_hash(KEY, i), SALT_2)) < 0.5 for i, f in enumerate(filed)]
    assert cnt(classify_m, d.counts, "appeals") == sum(filed)
    assert [s == PROTECTED for s in d.status] == won


def test_classify_protection():
    # Protected until day 15: no threshold listing while it lasts, listed after it.
    a = Agents([[500, 500], [500, 500]], status=[PROTECTED, PROTECTED], listed_until=[15, 10])
    run_classify(classify_params(), a, day=10)
    assert a.status.tolist() == [PROTECTED, LISTED]
    assert a.listed_until.tolist() == [15, 40]
    # A severe act lists even a protected agent.
    b = Agents([[900, 900]], status=[PROTECTED], today=[SEVERE_REAL | SEVERE_CLEAN],
               listed_until=[15])
    run_classify(classify_params(), b, day=10)
    assert b.status.tolist() == [LISTED] and b.listed_until[0] == 100
    # Protection that has run out is cleared even when the score is fine.
    c = Agents([[900, 900]], status=[PROTECTED], listed_until=[10])
    run_classify(classify_params(), c, day=10)
    assert c.status.tolist() == [0]


def test_classify_announce_listings():
    indptr, entries = csr(5, [(0, 1, 0), (0, 2, 1), (1, 3, 2), (2, 3, 0, True),
                                   (4, 1, 1)])
    status = np.array([LISTED | WRONGFUL, 0, LISTED, SHAMED | WRONGFUL, CLEAN_LISTED],
                      np.uint8)
    today = np.array([NEW_LISTED, 0, NEW_LISTED, DELISTED, DELISTED], np.uint8)
    scores = np.full((5, 2), 700.0, np.float32)
    nl = np.array([1, 2, 1, 1, 1], np.uint16)
    nc = np.array([1, 2, 1, 1, 1], np.uint16)
    ns = np.array([1, 1, 1, 1, 1], np.uint16)
    classify_m.announce_listings(600.0, indptr, entries, scores, status, today, nl, nc,
                                 ns, np.ones(1, np.uint8))
    # 0 (wrongful) tells 1 and 2; 2 (rightful) tells 0 (not 3: severed); 3 leaves a
    # wrongful, shamed listing: 1 loses one listed and one shamed neighbour; 4 leaves a
    # rightful, unshamed listing: 1 loses one listed and one rightfully listed neighbour.
    assert nl.tolist() == [2, 1, 2, 1, 1]
    assert nc.tolist() == [2, 1, 1, 1, 1]
    assert ns.tolist() == [1, 0, 1, 1, 1]
    assert status.tolist() == [LISTED | WRONGFUL, 0, LISTED | CLEAN_LISTED, 0, 0]
    nl2 = np.array([1, 1, 1, 1, 1], np.uint16)
    classify_m.announce_listings(600.0, indptr, entries, scores, status, today, nl2, nc,
                                 ns, np.zeros(1, np.uint8))
    assert nl2.tolist() == [1, 1, 1, 1, 1]  # no flagged block: nothing to tell


def test_a_wrongful_listing_counts_on_the_error_free_record_once_that_would_list_it():
    """Agent 0, listed wrongfully, is counted in its neighbours' error-free listed-
    neighbour penalty from the day its error-free score falls below the threshold (and no
    earlier, nor twice); on delisting it is taken off both counts."""
    indptr, entries = csr(3, [(0, 1, 1), (0, 2, 1)])
    a = Agents([[590, 601], [700, 700], [700, 700]], status=[LISTED | WRONGFUL, 0, 0],
               listed_until=[500, 0, 0])
    nl, nc, ns = (np.array([0, 1, 1], np.uint16), np.zeros(3, np.uint16),
                  np.zeros(3, np.uint16))

    def day(d):
        a.flags[:] = 0
        run_classify(classify_params(), a, day=d, started=(True,))
        classify_m.announce_listings(600.0, indptr, entries, a.scores, a.status,
                                     a.today, nl, nc, ns, a.flags)

    day(1)  # error-free 601: not yet
    assert nc.tolist() == [0, 0, 0] and a.status[0] == LISTED | WRONGFUL
    a.scores[0, 1] = 599.0
    day(2)
    assert nc.tolist() == [0, 1, 1] and a.status[0] == LISTED | WRONGFUL | CLEAN_LISTED
    day(3)
    assert nc.tolist() == [0, 1, 1]  # once
    a.today[0] = DELISTED
    a.status[0] &= ~LISTED
    classify_m.announce_listings(600.0, indptr, entries, a.scores, a.status, a.today,
                                 nl, nc, ns, np.ones(1, np.uint8))
    assert nl.tolist() == [0, 0, 0] and nc.tolist() == [0, 0, 0] and a.status[0] == 0


def test_classify_compile():
    sc = bare(listing={"enabled": True, "threshold": 600, "duration": 30, "renew": True,
                       "compliance_rate": 0.1,
                       "appeals": {"enabled": True, "rate": 0.2, "win": 0.3,
                                   "protection_days": 7}},
              tiers=[{"name": "b", "min": 500}, {"name": "a", "min": 900},
                     {"name": "c", "min": 0}])
    p = compiled(sc).classify
    assert p.listing and p.threshold == 600 and p.duration == 30 and p.severe_duration == 30
    assert p.renew and p.compliance == 0.1 and p.appeal_rate == 0.2
    assert p.appeal_win == 0.3 and p.appeal_win_wrongful == 0.3 and p.protection_days == 7
    assert p.tier_min.tolist() == [900, 500, 0]
    off = compiled(bare()).classify
    assert not off.listing and off.threshold == -math.inf and off.appeal_rate == 0.0


# --- sanction --------------------------------------------------------------------------------

def sanction_params(**kw):
    base = dict(on=True, air_rate=0.0, train_rate=0.0, purchase_rate=0.0, job_rate=0.0,
                social_media_ban=False, school_bar=False, school_both_parents=False,
                school_threshold=-math.inf,
                arrest_threshold=-math.inf, p_threshold=np.zeros(0), p_rate=np.zeros(0),
                p_key=np.zeros(0, np.uint64))
    base.update(kw)
    base.setdefault("privileges", bool(np.any(base["p_rate"] > 0)))
    return sanction_m.SanctionParams(**base)


def run_sanction(p, scores, status, household_start, region=None, started=(True, False)):
    n = len(status)
    out = dict(tickets=np.zeros(n, np.uint16), other=np.zeros(n, np.uint16),
               priv=np.zeros(n, np.uint16), barred=np.zeros(n, np.uint16),
               counts=counts_for(sanction_m),
               privilege=np.zeros((1, max(len(p.p_rate), 1)), np.int64))
    region = np.zeros(n, np.uint16) if region is None else np.array(region, np.uint16)
    sanction_m.sanction(p, KEY, region, np.array(started), np.array(household_start, np.int64),
                        np.array(scores, np.float32).reshape(n, 2),
                        np.array(status, np.uint8), out["tickets"], out["other"],
                        out["priv"], out["barred"], out["counts"], out["privilege"])
    return out


def test_sanction_blocked_attempts_of_listed_only():
    rates = dict(air_rate=2.0, train_rate=3.0, purchase_rate=1.5, job_rate=0.7,
                 social_media_ban=True)
    n = 12
    # Odd agents listed; some unlisted ones carry other status bits (not sanctioned).
    status = [LISTED if i % 2 else (PROTECTED | SHAMED if i % 4 == 0 else 0) for i in range(n)]
    region = [0] * (n - 1) + [1]
    out = run_sanction(sanction_params(**rates), [[500, 500]] * n, status, list(range(n + 1)),
                       region=region)
    tickets, other = [], []
    for i in range(n):
        h = agent_hash(KEY, i)
        k = [poisson(unit(sub_hash(h, np.uint64(purpose))), rate)
             for purpose, rate in ((1, 2.0), (2, 3.0), (3, 1.5), (4, 0.7))]
        listed = status[i] & LISTED and region[i] == 0
        tickets.append(k[0] + k[1] if listed else 0)
        other.append(k[2] + k[3] if listed else 0)
        if listed:
            assert k[0] != k[1] or k[2] != k[3] or True
    assert out["tickets"].tolist() == tickets
    assert out["other"].tolist() == other
    assert sum(tickets) > 0 and sum(other) > 0
    c = out["counts"]
    air = sum(poisson(unit(sub_hash(agent_hash(KEY, i), np.uint64(1))), 2.0)
              for i in range(n - 1) if status[i] & LISTED)
    job = sum(poisson(unit(sub_hash(agent_hash(KEY, i), np.uint64(4))), 0.7)
              for i in range(n - 1) if status[i] & LISTED)
    assert cnt(sanction_m, c, "blocked_air") == air
    assert cnt(sanction_m, c, "blocked_train") == sum(tickets) - air
    assert cnt(sanction_m, c, "blocked_jobs") == job
    assert cnt(sanction_m, c, "blocked_purchases") == sum(other) - job
    assert cnt(sanction_m, c, "social_media_banned") == 5  # listed agents 1, 3, ..., 9
    off = run_sanction(sanction_params(**{**rates, "social_media_ban": False}),
                       [[500, 500]] * n, status, list(range(n + 1)))
    assert cnt(sanction_m, off["counts"], "social_media_banned") == 0


def test_sanction_house_arrest_and_school_bar():
    # Household 0: parents 0, 1 and children 2, 3; household 1: parents 4, 5, child 6.
    start = [0, 4, 7]
    status = [LISTED, 0, 0, 0, LISTED, LISTED, 0]
    scores = [[100, 100], [200, 200], [300, 300], [299.5, 0], [500, 500], [50, 50], [0, 0]]
    p = sanction_params(school_bar=True, arrest_threshold=300.0)
    out = run_sanction(p, scores, status, start)
    assert out["barred"].tolist() == [0, 0, 1, 1, 0, 0, 1]
    assert cnt(sanction_m, out["counts"], "children_barred") == 3
    assert cnt(sanction_m, out["counts"], "house_arrest") == 5  # below 300: 0, 1, 3, 5, 6
    both = run_sanction(sanction_params(school_bar=True, school_both_parents=True),
                        scores, status, start)
    assert both["barred"].tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert cnt(sanction_m, both["counts"], "house_arrest") == 0
    none = run_sanction(sanction_params(), scores, status, start)
    assert none["barred"].tolist() == [0] * 7
    no_bar = -math.inf  # parents_fail is given the household's first agent: 4, or 0
    sc4 = np.array([[900, 900], [100, 100], [0, 0], [0, 0]], np.float32)
    assert sanction_m.parents_fail(4, np.array(status, np.uint8),
                                   np.array(scores, np.float32), no_bar, True)
    assert not sanction_m.parents_fail(0, np.array([0, LISTED, 0, 0], np.uint8),
                                       sc4, no_bar, True)
    assert sanction_m.parents_fail(0, np.array([0, LISTED, 0, 0], np.uint8),
                                   sc4, no_bar, False)
    assert not sanction_m.parents_fail(0, np.array([PROTECTED | SHAMED, SHAMED, 0, 0],
                                                   np.uint8), sc4, no_bar, False)
    # a score bar (θ_school): parent 1 (100 points) fails below 500, parent 0 (900) does not
    unlisted = np.zeros(4, np.uint8)
    assert sanction_m.parents_fail(0, unlisted, sc4, 500.0, False)
    assert not sanction_m.parents_fail(0, unlisted, sc4, 500.0, True)
    assert sanction_m.parents_fail(0, unlisted, sc4, 901.0, True)
    assert not sanction_m.parents_fail(0, unlisted, sc4, 100.0, False)
    # listed parent 1 and parent 0 below the bar: both fail
    assert sanction_m.parents_fail(0, np.array([0, LISTED, 0, 0], np.uint8), sc4,
                                   901.0, True)


def test_sanction_privileges():
    n = 40
    keys = np.array([11, 22], np.uint64)
    thr = np.array([800.0, 500.0])
    rate = np.array([0.6, 2.5])
    scores = [[900 if i % 3 == 0 else (800 if i % 3 == 1 else 600), 0] for i in range(n)]
    status = [LISTED if i % 5 == 4 else 0 for i in range(n)]
    out = run_sanction(sanction_params(p_threshold=thr, p_rate=rate, p_key=keys), scores,
                       status, list(range(n + 1)))
    per_g = [0, 0]
    used = []
    for i in range(n):
        h = agent_hash(KEY, i)
        total = 0
        for g in range(2):
            if not status[i] and scores[i][0] >= thr[g]:
                k = poisson(screened_unit(h, keys[g]), rate[g])
                per_g[g] += k
                total += k
        used.append(total)
    assert out["priv"].tolist() == used
    assert out["privilege"][0].tolist() == per_g
    assert per_g[0] > 0 and per_g[1] > 0


def test_sanction_compile():
    p = compiled(bare()).sanction
    assert not p.on and p.air_rate == 0 and p.arrest_threshold == -math.inf
    sc = bare(listing={"enabled": True, "threshold": 600},
              sanctions={"enabled": True, "travel": {"enabled": True, "air_rate": 0.1,
                                                     "train_rate": 0.2}})
    p = compiled(sc).sanction
    assert p.on and p.air_rate == 0.1 and p.train_rate == 0.2 and p.job_rate == 0.0
    # House arrest alone (it goes by score, listing or not) turns the step on.
    off = {"enabled": False}
    sc = bare(sanctions={"enabled": True, "travel": off, "purchases": off, "jobs": off,
                         "social_media": off, "schools": off,
                         "house_arrest": {"enabled": True, "threshold": 350}})
    p = compiled(sc).sanction
    assert p.on and p.arrest_threshold == 350 and not p.social_media_ban
    assert not compiled(bare(sanctions={"enabled": True, "travel": off, "purchases": off,
                                        "jobs": off, "social_media": off,
                                        "schools": off})).sanction.on
    # Privileges: each grant's draws keyed by its name (purpose "privilege:NAME").
    sc = bare(privileges={"enabled": True,
                          "grants": [{"name": "gold", "threshold": 900, "rate": 0.1},
                                     {"name": "fast", "threshold": 700, "rate": 0.2}]})
    p = compiled(sc).sanction
    assert p.on and p.p_rate.tolist() == [0.1, 0.2] and p.p_threshold.tolist() == [900, 700]
    assert p.p_key.tolist() == [rng.name_id("privilege:gold"), rng.name_id("privilege:fast")]


# --- shame -----------------------------------------------------------------------------------

def shame_world():
    # 0 - 1 family, 0 - 2 social, 0 - 3 work, 1 - 2 work, 3 - 4 social (severed).
    indptr, entries = csr(5, [(0, 1, TIE_FAMILY), (0, 2, TIE_SOCIAL), (0, 3, TIE_WORK),
                                   (1, 2, TIE_WORK), (3, 4, TIE_SOCIAL, True)])
    deg = np.array([3, 2, 2, 1, 0], np.uint16)
    return indptr, entries, deg


def test_shame_decision():
    n = 30
    status = np.array([LISTED] * n, np.uint8)
    today = np.array([NEW_LISTED if i % 2 == 0 else 0 for i in range(n)], np.uint8)
    times = np.zeros(n, np.uint16)
    counts, flags = counts_for(shame_m), np.zeros(1, np.uint8)
    shame_m.shame(KEY, 0.5, status, today, times, counts, flags)
    expected = [i % 2 == 0 and unit(agent_hash(KEY, i)) < 0.5 for i in range(n)]
    assert [bool(s & SHAMED) for s in status] == expected
    assert [bool(t & NEW_SHAMED) for t in today] == expected
    assert times.tolist() == [int(x) for x in expected]
    assert cnt(shame_m, counts, "shamed") == sum(expected) > 0 and flags[0] == 1
    shame_m.shame(KEY, 0.0, status, today, times, counts, flags)
    assert cnt(shame_m, counts, "shamed") == 0 and flags[0] == 0


@pytest.mark.parametrize(("sever", "lost"), [((1.0, 0.0, 0.0), [1]), ((0.0, 1.0, 0.0), [2]),
                                             ((0.0, 0.0, 1.0), [3]), ((1.0, 1.0, 1.0), [1, 2, 3]),
                                             ((0.0, 0.0, 0.0), [])])
def test_shame_sever_by_tie_type(sever, lost):
    indptr, entries, deg = shame_world()
    status = np.array([LISTED | SHAMED, 0, LISTED, 0, 0], np.uint8)
    # Agent 1 acted today but was not shamed: it severs nothing.
    today = np.array([NEW_LISTED | NEW_SHAMED, ACTED, 0, 0, 0], np.uint8)
    nl = np.array([1, 2, 1, 1, 0], np.uint16)  # 0 sees 2; 1 sees 0 and 2; 2, 3 see 0
    nc = nl.copy()
    ns = np.zeros(5, np.uint16)
    ties_lost = np.zeros(5, np.uint16)
    counts = counts_for(shame_m)
    conformity = np.ones(5, np.float32)
    shame_m.sever(KEY, np.array(sever), conformity, indptr, entries, status, today, deg,
                  nl, nc, ns, ties_lost, counts, NOT_TRACED, np.ones(1, np.uint8))
    # Every active neighbour of 0 first learns of the shaming; then the ties severed stop
    # counting 0 (and 0 stops counting a listed neighbour 2).
    assert ns.tolist() == [0] + [0 if j in lost else 1 for j in (1, 2, 3)] + [0]
    assert deg.tolist() == [3 - len(lost)] + [d - (j in lost) for j, d in
                                              zip((1, 2, 3), (2, 2, 1), strict=False)] + [0]
    assert nl.tolist() == [1 - (2 in lost)] + [n - (j in lost) for j, n in
                                                zip((1, 2, 3), (2, 1, 1), strict=False)] + [0]
    assert ties_lost.tolist() == [len(lost), 0, 0, 0, 0]
    assert cnt(shame_m, counts, "ties_severed") == len(lost)
    for i, j in ((0, 1), (0, 2), (0, 3)):
        for a, b in ((i, j), (j, i)):
            e = ties_m.reverse_entry(indptr, entries, a, b)
            assert bool(codes_of(entries)[e] & SEVERED) == (j in lost)
    assert codes_of(entries)[ties_m.reverse_entry(indptr, entries, 3, 4)] & SEVERED  # stays severed


def test_shame_sever_probability_times_conformity():
    """p = min(1, sever[type] · conformity of the neighbour), decided per neighbour."""
    n = 30
    edges = [(0, j, TIE_SOCIAL) for j in range(1, n)]
    indptr, entries = csr(n, edges)
    conformity = np.array([1.0] + [0.25 * (j % 5) for j in range(1, n)], np.float32)
    status = np.zeros(n, np.uint8)
    today = np.zeros(n, np.uint8)
    today[0] = NEW_SHAMED
    z = [np.zeros(n, np.uint16) for _ in range(4)]
    z[0][0] = n - 1
    z[0][1:] = 1
    ties_lost = np.zeros(n, np.uint16)
    counts = counts_for(shame_m)
    shame_m.sever(KEY, np.array([0.0, 0.8, 0.0]), conformity, indptr, entries, status,
                  today, *z, ties_lost, counts, NOT_TRACED, np.ones(1, np.uint8))
    h = agent_hash(KEY, 0)
    expected = [unit(sub_hash(h, np.uint64(j))) < min(1.0, 0.8 * float(conformity[j]))
                for j in range(1, n)]
    assert [bool(t & SEVERED) for t in codes_of(entries)[:n - 1]] == expected
    assert 0 < sum(expected) < n - 1
    assert ties_lost[0] == sum(expected)


def test_shame_find_severed_and_restore():
    indptr, entries = csr(5, [(0, 1, 0, True), (0, 2, 1, True), (2, 3, 2, True),
                                   (3, 4, 1)])
    status = np.array([0, PROTECTED, 0, LISTED, 0], np.uint8)  # 1: other bits, not listed
    deg = np.array([0, 0, 0, 1, 1], np.uint16)
    flags = np.zeros(1, np.uint8)
    shame_m.find_severed(indptr, deg, status, flags)
    assert flags[0] == 1
    nl = np.array([0, 0, 0, 0, 1], np.uint16)
    nc = nl.copy()
    ns = np.zeros(5, np.uint16)
    counts = counts_for(shame_m)
    shame_m.restore(KEY, 1.0, indptr, entries, status, deg, nl, nc, ns, counts, flags)
    # Ties with a listed end (2 - 3) stay severed; the others come back.
    assert deg.tolist() == [2, 1, 1, 1, 1]
    assert nl.tolist() == [0, 0, 0, 0, 1]
    assert cnt(shame_m, counts, "ties_restored") == 2
    assert not any(codes_of(entries)[e] & SEVERED for e in range(indptr[0], indptr[2]))
    assert codes_of(entries)[ties_m.reverse_entry(indptr, entries, 2, 3)] & SEVERED
    none = np.zeros(1, np.uint8)
    shame_m.find_severed(indptr, np.array([2, 1, 2, 2, 1], np.uint16), status, none)
    assert none[0] == 0  # only the listed agent 3 ... and it has all its ties
    shame_m.find_severed(indptr, np.array([2, 1, 2, 1, 1], np.uint16), status, none)
    assert none[0] == 0  # a listed agent with a severed tie is no candidate


def test_shame_restore_rate():
    n = 30
    indptr, entries = csr(n, [(0, j, TIE_SOCIAL, True) for j in range(1, n)])
    deg = np.zeros(n, np.uint16)
    z = [np.zeros(n, np.uint16) for _ in range(3)]
    counts = counts_for(shame_m)
    shame_m.restore(KEY, 0.5, indptr, entries, np.zeros(n, np.uint8), deg, *z, counts,
                    np.ones(1, np.uint8))
    h = agent_hash(KEY, 0)  # decided once, from the lower-numbered end
    expected = [unit(sub_hash(h, np.uint64(j))) < 0.5 for j in range(1, n)]
    assert [not t & SEVERED for t in codes_of(entries)[:n - 1]] == expected
    assert deg[0] == sum(expected) == cnt(shame_m, counts, "ties_restored")


def test_shame_compile():
    assert not compiled(bare()).shame.on
    sc = bare(listing={"enabled": True, "threshold": 600},
              shaming={"enabled": True, "probability": 0.3, "restore_rate": 0.01,
                       "sever": {"family": 0.1, "social": 0.2, "work": 0.4}})
    p = compiled(sc).shame
    assert p.on and p.shame == 0.3 and p.restore == 0.01
    assert p.sever.tolist() == [0.1, 0.2, 0.4]


# --- companies -------------------------------------------------------------------------------

def company_params(**kw):
    base = dict(on=True, e_rate=np.array([0.0]), e_delta=np.array([-10.0]),
                e_coverage=np.array([1.0]), e_key=np.array([77], np.uint64),
                ct_min=np.array([900.0, 500.0, -np.inf]), ct_tax=np.array([0.1, 0.2, 0.3]),
                ct_inspection=np.array([0.5, 1.0, 2.0]), s0=1000.0, s_min=0.0,
                s_max=1200.0, recovery=0.0, threshold=-math.inf, rep_penalty=0.0,
                company_penalty=0.0, agent_min=0.0, agent_max=2000.0)
    base.update(kw)
    return companies_m.CompanyParams(**base)


def run_companies(p, score, tier, rep_status=(0, 0, 0, 0), region=(0, 0, 0, 1)):
    n = len(score)
    c = dict(score=np.array(score, np.float32), tier=np.array(tier, np.uint8),
             listed=np.zeros(n, np.uint8), events_total=np.zeros((n, len(p.e_rate)), np.int32),
             events_seen=np.zeros((n, len(p.e_rate)), np.int32),
             days_listed=np.zeros(n, np.int32))
    companies_m.companies(p, KEY, np.array(region, np.uint16), np.array([True, False]),
                          np.arange(n, dtype=np.int32), np.array(rep_status, np.uint8),
                          c["score"], c["tier"], c["listed"], c["events_total"],
                          c["events_seen"], c["days_listed"])
    return c


def test_companies_score_tier_listing():
    p = company_params(recovery=0.1, threshold=600.0, company_penalty=30.0)
    c = run_companies(p, [950, 700, 1190, 100], [0, 1, 0, 2], rep_status=[0, LISTED, 0, 0])
    # 0: 950 + 0.1·50 = 955 (tier 0); 1: 700 - 30 + 30 = 700 (rep listed; tier 1);
    # 2: 1190 - 19 = 1171; 3: region not started.
    assert c["score"].tolist() == pytest.approx([955, 700, 1171, 100])
    assert c["tier"].tolist() == [0, 1, 0, 2]
    assert c["listed"].tolist() == [0, 0, 0, 0]
    p = company_params(threshold=600.0, company_penalty=150.0, s_min=560.0)
    c = run_companies(p, [950, 700, 599, 100], [0, 1, 1, 2], rep_status=[0, LISTED, 0, 0])
    assert c["score"].tolist() == pytest.approx([950, 560, 599, 100])
    assert c["tier"].tolist() == [0, 1, 1, 2]
    assert c["listed"].tolist() == [0, 1, 1, 0]
    assert c["days_listed"].tolist() == [0, 1, 1, 0]
    p = company_params(recovery=1.0, s0=1500.0)  # clamped at the maximum
    c = run_companies(p, [950, 700, 599, 100], [0, 1, 1, 2])
    assert c["score"].tolist() == pytest.approx([1200, 1200, 1200, 100])


def test_companies_events():
    """Events: k ~ Poisson(rate) per company, each seen with min(1, coverage · inspection of
    the company's tier); seen events move the score by delta."""
    n = 30
    p = company_params(e_rate=np.array([1.5, 0.8]), e_delta=np.array([-10.0, 4.0]),
                       e_coverage=np.array([0.4, 1.0]), e_key=np.array([77, 5], np.uint64))
    tier = [i % 3 for i in range(n)]
    score = [950.0 if t == 0 else (700.0 if t == 1 else 100.0) for t in tier]
    c = run_companies(p, score, tier, rep_status=[0] * n, region=[0] * n)
    for i in range(n):
        h = agent_hash(KEY, i)
        change = 0.0
        for e in range(2):
            k = poisson(unit(sub_hash(h, p.e_key[e])), p.e_rate[e])
            cov = min(1.0, p.e_coverage[e] * p.ct_inspection[tier[i]])
            seen = sum(unit(sub_hash(h, p.e_key[e] + np.uint64(1 + j))) < cov
                       for j in range(k))
            assert c["events_total"][i, e] == k
            assert c["events_seen"][i, e] == seen
            change += seen * p.e_delta[e]
        assert c["score"][i] == pytest.approx(min(max(score[i] + change, 0.0), 1200.0))
    assert c["events_total"].sum() > c["events_seen"][:, 0].sum() > 0


def test_companies_penalise_representatives():
    scores = np.array([[100, 90], [500, 500], [30, 20], [800, 800]], np.float32)
    listed = np.array([1, 0, 1], np.uint8)
    rep = np.array([0, 1, 2], np.int32)
    bk = book_for(companies_m, 4)
    points, clean = bk.points, bk.clean_points
    companies_m.penalise_representatives(25.0, 0.0, 2000.0, listed, rep, scores, bk)
    assert scores.tolist() == [[75, 65], [500, 500], [5, 0], [800, 800]]
    companies_m.penalise_representatives(-1500.0, 0.0, 1000.0, listed, rep, scores, bk)
    assert scores.tolist() == [[1000, 1000], [500, 500], [1000, 1000], [800, 800]]
    # Booked: the penalties, and what the clamps added or took (clean: agent 2 hit 0).
    pen, clamp = slot("representative_penalty"), slot("clamping")
    assert points[:, pen].tolist() == clean[:, pen].tolist() == [1475, 0, 1475, 0]
    assert points[:, clamp].tolist() == [-575, 0, -505, 0]
    assert clean[:, clamp].tolist() == [-565, 0, -495, 0]
    start = np.array([[100, 90], [500, 500], [30, 20], [800, 800]])
    assert (scores[:, 0] - start[:, 0]).tolist() == points.sum(axis=1).tolist()
    assert (scores[:, 1] - start[:, 1]).tolist() == clean.sum(axis=1).tolist()


@INERT_ON_PURPOSE
def test_companies_compile():
    p = compiled(bare()).companies
    assert not p.on and p.threshold == -math.inf and p.rep_penalty == 0.0
    sc = bare(companies={"enabled": True, "per_1000_agents": 5, "listing_threshold": 600,
                         "rep_penalty": 7, "company_penalty": 9, "recovery": 0.1,
                         "events": [{"name": "fraud", "rate": 0.01, "delta": -50,
                                     "coverage": 0.5},
                                    {"name": "charity", "rate": 0.02, "delta": 5,
                                     "coverage": 0.2}]})
    p = compiled(sc).companies
    assert p.on and p.threshold == 600 and p.rep_penalty == 7 and p.company_penalty == 9
    assert p.e_rate.tolist() == [0.01, 0.02] and p.e_delta.tolist() == [-50, 5]
    assert p.e_coverage.tolist() == [0.5, 0.2] and p.recovery == 0.1
    # Event draws are keyed by name (common random numbers across scenarios).
    assert p.e_key.tolist() == [rng.name_id("company_event:fraud"),
                                rng.name_id("company_event:charity")]
    assert p.agent_min == 0 and p.agent_max == 2000
    assert list(p.ct_min) == sorted(p.ct_min, reverse=True)
    # Tiers given in any order are sorted by minimum score, highest first.
    sc = bare(companies={"enabled": True, "tiers": [
        {"name": "b", "min": 500, "tax_rate": 0.2}, {"name": "a", "min": 900, "tax_rate": 0.1},
        {"name": "c", "min": 0, "tax_rate": 0.3}]})
    p = compiled(sc).companies
    assert p.ct_min.tolist() == [900, 500, 0] and p.ct_tax.tolist() == [0.1, 0.2, 0.3]


# --- behave ----------------------------------------------------------------------------------

def act_model(n=20, key=KEY, **kw):
    rng = np.random.default_rng(3)
    base = dict(key=key, rate=np.array([0.8, 0.5, 1.2]), category=np.array([0, 1, 0], np.int32),
                penalised=np.array([1, 0, 1], np.uint8), online=np.array([0, 1, 0], np.uint8),
                outside=np.array([0, 0, 1], np.uint8), b_key=np.array([5, 9, 13], np.uint64),
                propensity=rng.uniform(0.5, 2.0, (n, 2)).astype(np.float32),
                conformity=rng.uniform(0.5, 1.5, n).astype(np.float32),
                fear=rng.uniform(0.0, 1.0, n).astype(np.float32),
                status=np.array([LISTED if i % 4 == 0 else 0 for i in range(n)], np.uint8),
                scores=np.array([[200 if i % 3 == 0 else 800, 0] for i in range(n)],
                                np.float32),
                region=np.array([0] * (n - 2) + [1, 1], np.uint16),
                started=np.array([True, False]), social_media_ban=True,
                arrest_threshold=300.0)
    base.update(kw)
    return acts_m.ActModel(**base)


def no_sightings(m):
    """behave's last arguments when it makes no sightings (observe off, or in a pass of
    its own)."""
    n = len(m.status)
    p = observe_m.ObserveParams(False, np.zeros((2, len(m.started))), np.zeros(2, np.uint8),
                                np.zeros(1), 0.0)
    imp, imp_counts = no_impunity()
    sightings = sightings_of(p, behaviours_of(m), np.zeros(n, np.uint8), np.array([0, n]), m,
                             imp)
    blocks = -(-n // BLOCK)
    return (False, sightings, book_for(observe_m, n), counts_for(observe_m),
            np.zeros((blocks, len(m.rate)), np.int64), imp_counts)


def acts_reference(m, i):
    """MODEL.md, 1. Behave: lam = rate · propensity[category] · (exp(-conformity · fear) if
    penalised), 0 for online acts of the banned (listed) and outside acts under house arrest
    (score below the threshold); k = Poisson(lam) from the agent's draw of the behaviour."""
    d = math.exp(-float(m.conformity[i]) * float(m.fear[i]))
    active = m.started[m.region[i]]
    banned = m.social_media_ban and active and bool(m.status[i] & LISTED)
    arrested = active and m.scores[i, 0] < m.arrest_threshold
    h = agent_hash(m.key, i)
    out = []
    for b in range(len(m.rate)):
        lam = m.rate[b] * float(m.propensity[i, m.category[b]]) * (d if m.penalised[b] else 1)
        if (banned and m.online[b]) or (arrested and m.outside[b]):
            lam = 0.0
        out.append(poisson(screened_unit(h, m.b_key[b]), lam))
    return out, d


def test_behave_acts():
    n = 20
    m = act_model(n)
    acts_total = np.zeros((n, 3), np.uint16)
    scratch = np.ones((n, 2), np.float32)
    today = np.full(n, 0xFF, np.uint8)
    sums = np.zeros((1, 1))
    acts_count = np.zeros((1, 3), np.int64)
    behave_m.behave(m, acts_total, scratch, today, sums, acts_count, *no_sightings(m))
    expected = [acts_reference(m, i) for i in range(n)]
    assert acts_total.tolist() == [k for k, _ in expected]
    assert today.tolist() == [ACTED if sum(k) else 0 for k, _ in expected]
    assert acts_count[0].tolist() == np.sum([k for k, _ in expected], axis=0).tolist()
    assert sums[0, 0] == pytest.approx(sum(1 - d for _, d in expected), rel=1e-5)
    assert scratch.tolist() == [[0.0, 0.0]] * n
    out = np.zeros(3, np.int64)
    for i in range(n):
        acts_m.draw_acts(m, i, out)
        assert out.tolist() == expected[i][0]
    # Someone is blocked: the listed agents act online never, the arrested never outside.
    for i in range(n - 2):
        if m.status[i] & LISTED:
            assert acts_total[i, 1] == 0
        if m.scores[i, 0] < 300:
            assert acts_total[i, 2] == 0
    assert acts_total[:, 1].sum() > 0 and acts_total[:, 2].sum() > 0


def test_behave_batches_draw_what_draw_acts_draws():
    """behave draws a batch of agents at a time (behave_m.BATCH) inside blocks of BLOCK:
    over two blocks, the second cut into a full and a short batch, every agent's acts are
    those of draw_acts (which observe and report replay) and of the model's formula, and
    each block's deterrence is the sum of 1 - d over its agents."""
    n = BLOCK + behave_m.BATCH + 37
    m = act_model(n)
    acts_total = np.zeros((n, 3), np.uint16)
    today = np.full(n, 0xFF, np.uint8)
    sums = np.zeros((2, 1))
    acts_count = np.zeros((2, 3), np.int64)
    behave_m.behave(m, acts_total, np.ones((n, 2), np.float32), today, sums, acts_count,
                    *no_sightings(m))
    out = np.zeros(3, np.int64)
    drawn = np.zeros((n, 3), np.int64)
    for i in range(n):
        acts_m.draw_acts(m, i, out)
        drawn[i] = out
    expected = [acts_reference(m, i) for i in range(n)]
    assert drawn.tolist() == [k for k, _ in expected]
    assert acts_total.tolist() == drawn.tolist()
    assert today.tolist() == [ACTED if k.any() else 0 for k in drawn]
    assert acts_count.tolist() == [drawn[:BLOCK].sum(axis=0).tolist(),
                                   drawn[BLOCK:].sum(axis=0).tolist()]
    for blk, (lo, hi) in enumerate(((0, BLOCK), (BLOCK, n))):
        assert sums[blk, 0] == pytest.approx(sum(1 - expected[i][1] for i in range(lo, hi)),
                                             rel=1e-5)
    assert today[BLOCK + behave_m.BATCH:].sum() > 0  # the short batch acted too


def test_behave_no_fear_no_deterrence():
    n = 8
    m = act_model(n, fear=np.zeros(n, np.float32), social_media_ban=False,
                  arrest_threshold=-math.inf)
    sums = np.zeros((1, 1))
    acts_total = np.zeros((n, 3), np.uint16)
    behave_m.behave(m, acts_total, np.zeros((n, 2), np.float32), np.zeros(n, np.uint8), sums,
                    np.zeros((1, 3), np.int64), *no_sightings(m))
    assert sums[0, 0] == 0.0
    assert acts_total.tolist() == [acts_reference(m, i)[0] for i in range(n)]


def test_behave_compile():
    sc = bare(behaviours=[{"name": "x", "rate": 0.2, "delta": -3, "channel": "camera",
                           "severe": True},
                          {"name": "y", "rate": 0.1, "delta": 2, "channel": "camera"}])
    b = compiled(sc).behave
    assert b.rate.tolist() == [0.2, 0.1] and b.delta.tolist() == [-3, 2]
    assert b.penalised.tolist() == [1, 0] and b.severe.tolist() == [1, 0]


# --- observe ---------------------------------------------------------------------------------

def behaviours_of(m, severe=(0, 1, 0), political=(0, 0, 0)):
    """The behaviours of act model ``m`` (act_model) as observe reads them: deltas -10, 3
    and -1 points, the first two seen by channel 0 and the third by channel 1."""
    return behave_m.Behaviours(on=True, rate=m.rate, delta=np.array([-10.0, 3.0, -1.0]),
                               category=m.category, channel=np.array([0, 0, 1], np.int32),
                               penalised=m.penalised, severe=np.array(severe, np.uint8),
                               reportable=np.array([1, 1, 0], np.uint8), online=m.online,
                               outside=m.outside, key=m.b_key,
                               political=np.array(political, np.uint8))


def observe_setup(n, coverage, misattribution, facial=1, severe=(0, 1, 0), region=None,
                  same_group=0.0):
    m = act_model(n, fear=np.zeros(n, np.float32), social_media_ban=False,
                  arrest_threshold=-math.inf, region=np.zeros(n, np.uint16)
                  if region is None else np.array(region, np.uint16))
    beh = behaviours_of(m, severe)
    p = observe_m.ObserveParams(True, np.array(coverage, np.float64).reshape(2, -1),
                                np.array([facial, 0], np.uint8),
                                np.array([misattribution, misattribution]), same_group)
    today = np.zeros(n, np.uint8)
    for i in range(n):
        if sum(acts_reference(m, i)[0]):
            today[i] = ACTED
    return m, beh, p, today


def sightings_of(p, beh, group, region_start, m, imp):
    """What observe's kernels read (observe.Sightings): observe's parameters ``p``, the
    behaviours ``beh``, the stream KEY, the agents' groups, the regions of act model ``m``
    and impunity ``imp``."""
    return observe_m.Sightings(p.coverage, p.facial, p.misattribution, beh.delta, beh.channel,
                               beh.severe, beh.key, beh.political, KEY, group, m.region,
                               region_start, m.started, *imp)


def run_observe(p, beh, group, region_start, m, scratch, today, counts, seen, bk, flags):
    """observe's own pass (split passes) over the agents of act model ``m``, and the flags
    of the blocks with misattributions (as Observe.run sets them for misattribute)."""
    imp, imp_counts = no_impunity()
    sightings = sightings_of(p, beh, group, region_start, m, imp)
    observe_m.observe(sightings, m, scratch, today, bk, counts, seen, imp_counts)
    flags[:] = counts[:, observe_m.C.misattributions] > 0


def test_observe_sightings_full_and_no_coverage():
    n = 16
    m, beh, p, today = observe_setup(n, [1.0, 0.0], 0.0)
    region_start = np.array([0, n], np.int64)
    scratch = np.zeros((n, 2), np.float32)
    counts, seen, flags = counts_for(observe_m), np.zeros((1, 3), np.int64), np.zeros(1, np.uint8)
    run_observe(p, beh, np.zeros(n, np.uint8), region_start, m, scratch, today, counts, seen,
                book_for(observe_m, n), flags)
    acts = np.array([acts_reference(m, i)[0] for i in range(n)])
    # Channel 0 sees every act, channel 1 none: behaviours 0 and 1 count, 2 does not.
    delta = acts[:, 0] * -10.0 + acts[:, 1] * 3.0
    assert scratch[:, 0].tolist() == delta.tolist()
    assert scratch[:, 1].tolist() == delta.tolist()
    assert seen[0].tolist() == [acts[:, 0].sum(), acts[:, 1].sum(), 0]
    assert [bool(t & SEVERE_REAL) for t in today] == (acts[:, 1] > 0).tolist()
    assert [bool(t & SEVERE_CLEAN) for t in today] == (acts[:, 1] > 0).tolist()
    assert cnt(observe_m, counts, "misattributions") == 0 and flags[0] == 0
    assert acts[:, 0].sum() > 0 and acts[:, 1].sum() > 0 and acts[:, 2].sum() > 0


def test_observe_partial_coverage():
    n = 16
    m, beh, p, today = observe_setup(n, [0.5, 0.0], 0.0)
    scratch = np.zeros((n, 2), np.float32)
    counts, seen, flags = counts_for(observe_m), np.zeros((1, 3), np.int64), np.zeros(1, np.uint8)
    run_observe(p, beh, np.zeros(n, np.uint8), np.array([0, n]), m, scratch, today, counts,
                seen, book_for(observe_m, n), flags)
    exp = np.zeros(n)
    for i in range(n):
        h = agent_hash(KEY, i)
        for b, k in enumerate(acts_reference(m, i)[0][:2]):
            s = sum(observe_m.sighting(h, m.b_key[b], j, 0.5, 0.0) for j in range(k))
            s2 = sum(unit(sub_hash(h, m.b_key[b] + np.uint64(j))) < 0.5 for j in range(k))
            assert s == s2
            exp[i] += s * beh.delta[b]
    assert scratch[:, 0].tolist() == exp.tolist()


def test_observe_misattribution():
    """All camera sightings misattributed (false-match rate 1, facial recognition): the
    actor's recorded score does not move, its error-free score takes every sighting; each
    sighting's delta goes to another agent of the actor's region (h = 0: any group)."""
    n = 16
    region = [0] * 8 + [1] * 8
    m, beh, p, today = observe_setup(n, [[1.0, 1.0], [0.0, 0.0]], 1.0, region=region)
    m = m._replace(started=np.array([True, True]))
    region_start = np.array([0, 8, 16], np.int64)
    scratch = np.zeros((n, 2), np.float32)
    counts, seen, flags = counts_for(observe_m), np.zeros((1, 3), np.int64), np.zeros(1, np.uint8)
    run_observe(p, beh, np.zeros(n, np.uint8), region_start, m, scratch, today, counts, seen,
                book_for(observe_m, n), flags)
    acts = np.array([acts_reference(m, i)[0] for i in range(n)])
    delta = acts[:, 0] * -10.0 + acts[:, 1] * 3.0
    assert scratch[:, 0].tolist() == [0.0] * n
    assert scratch[:, 1].tolist() == delta.tolist()
    assert [bool(t & HAS_MISATTRIBUTION) for t in today] == ((acts[:, 0] + acts[:, 1]) > 0).tolist()
    assert [bool(t & SEVERE_REAL) for t in today] == [False] * n  # seen, but not as own
    assert [bool(t & SEVERE_CLEAN) for t in today] == (acts[:, 1] > 0).tolist()
    wrong = acts[:, 0].sum() + acts[:, 1].sum()
    assert cnt(observe_m, counts, "misattributions") == wrong and flags[0] == 1
    before = today.copy()
    observe_m.misattribute(p, beh, KEY, np.zeros(n, np.uint8), m.region, region_start,
                           *observe_m.region_group_marks(np.zeros(n, np.uint8), region_start, 2),
                           m, scratch, today, not_detained(n), book_for(observe_m, n),
                           np.full(n, -1, np.int32), *no_impunity(), NOT_TRACED, False, flags)
    expected = np.zeros(n)
    severe_to = set()
    for i in range(n):
        r = region[i]
        first, size = region_start[r], region_start[r + 1] - region_start[r]
        h = agent_hash(KEY, i)
        for b in range(2):
            for j in range(acts[i, b]):
                x = sub_hash(h, m.b_key[b] + np.uint64(j))
                t = first + below(rehash(x, SALT_2), size - 1)
                t += t >= i
                assert t != i and region[t] == r
                expected[t] += beh.delta[b]
                if b == 1:
                    severe_to.add(t)
    assert scratch[:, 0].tolist() == pytest.approx(expected.tolist())
    assert scratch[:, 1].tolist() == delta.tolist()
    assert [bool(t & SEVERE_REAL) for t in today] == [i in severe_to for i in range(n)]
    assert ((today ^ before) & ~SEVERE_REAL).tolist() == [0] * n
    # No facial recognition, or a region of one: no false matches.
    assert observe_m.false_match_rate(p, np.zeros(n, np.uint8), region_start, 0, 0, 1) == 0.0
    assert observe_m.false_match_rate(p, np.zeros(n, np.uint8), np.array([0, 1, 2]), 0, 0, 0) == 0
    assert observe_m.false_match_rate(p, np.zeros(n, np.uint8), np.array([0, 2, 3]), 0, 0, 0) == 1


@pytest.mark.parametrize("same_group", [1.0, 0.6])
def test_observe_misattribution_same_group(same_group):
    """False matches go to the actor's region and, with probability h (same_group), to a
    uniformly chosen other member of the actor's group there; a group with a single member
    in the region falls back on the whole region."""
    n = 24
    region = [0] * 12 + [1] * 12
    group = np.array([0, 1, 1, 0, 2, 1, 0, 0, 1, 1, 0, 1] + [1, 0] * 6, np.uint8)
    m, beh, p, today = observe_setup(n, [[1.0, 1.0], [0.0, 0.0]], 1.0, region=region,
                                     same_group=same_group)
    p = p._replace(misattribution=np.ones(3))  # one false-match rate per group
    m = m._replace(started=np.array([True, True]))
    region_start = np.array([0, 12, 24], np.int64)
    scratch = np.zeros((n, 2), np.float32)
    counts, seen, flags = counts_for(observe_m), np.zeros((1, 3), np.int64), np.zeros(1, np.uint8)
    run_observe(p, beh, group, region_start, m, scratch, today, counts, seen,
                book_for(observe_m, n), flags)
    start, mark_start, marks = observe_m.region_group_marks(group, region_start, 3)
    assert start.tolist() == [0, 5, 11, 12, 18, 24, 24]
    assert mark_start.tolist() == [0, 1, 2, 3, 4, 5, 5]  # a mark every 64 members
    assert marks.tolist() == [0, 1, 4, 13, 12]  # each block's first member
    bk, mistaken_for = book_for(observe_m, n), np.full(n, -1, np.int32)
    observe_m.misattribute(p, beh, KEY, group, m.region, region_start, start, mark_start,
                           marks, m,
                           scratch, today, not_detained(n), bk, mistaken_for, *no_impunity(),
                           NOT_TRACED,
                           False, flags)
    expected = np.zeros(n)
    same = other = 0
    for i in range(n):
        h = agent_hash(KEY, i)
        mates = [t for t in range(n) if region[t] == region[i] and group[t] == group[i]
                 and t != i]
        for b, k in enumerate(acts_reference(m, i)[0][:2]):
            for j in range(k):
                y = rehash(sub_hash(h, m.b_key[b] + np.uint64(j)), SALT_2)
                if mates and unit(rehash(y, SALT_1)) < same_group:
                    t = mates[below(y, len(mates))]
                    same += 1
                else:
                    t = region_start[region[i]] + below(y, 11)
                    t += t >= i
                    other += bool(mates)
                assert region[t] == region[i] and t != i
                expected[t] += beh.delta[b]
    assert scratch[:, 0].tolist() == pytest.approx(expected.tolist())
    booked = bk.points[:, slot("misattribution")]
    assert booked.tolist() == pytest.approx(expected.tolist())  # booked to its source
    # Agent 4, alone in its group, always falls back on the region.
    assert same > 0 and (other > 0) == (same_group < 1.0) and expected[group != 2].any()


def test_the_sampled_index_finds_every_member_of_a_block():
    """``region_group_marks`` keeps one id per MARK_EVERY members of each (region, group)
    block; ``block_member`` and ``member_rank`` give what a full list of the members in id
    order gives (the k-th member, the place of a member), for blocks of 0 to several
    hundred members, one of them ending exactly on a mark."""
    rng = np.random.default_rng(5)
    region_start = np.array([0, 1000, 1000, 1500, 1500 + 2 * observe_m.MARK_EVERY], np.int64)
    group = rng.choice(3, p=[0.6, 0.35, 0.05], size=region_start[-1]).astype(np.uint8)
    group[1500:] = 1  # a block of exactly two marks' worth of members
    start, mark_start, marks = observe_m.region_group_marks(group, region_start, 3)
    for r in range(len(region_start) - 1):
        for g in range(3):
            b = r * 3 + g
            members = [i for i in range(region_start[r], region_start[r + 1]) if group[i] == g]
            assert start[b + 1] - start[b] == len(members)
            assert mark_start[b + 1] - mark_start[b] == -(-len(members) // observe_m.MARK_EVERY)
            for k, i in enumerate(members):
                assert observe_m.block_member(group, g, marks, mark_start[b], k) == i
                assert observe_m.member_rank(group, g, marks, mark_start[b],
                                             mark_start[b + 1], i) == k


def test_observe_partial_misattribution():
    """A false-match rate strictly between 0 and 1: each seen act of agent i is its own
    (recorded score) unless its false-match draw falls below the rate; the error-free score
    takes every sighting. Expected values from the same public draws."""
    n = 64
    m, beh, p, today = observe_setup(n, [0.9, 0.0], 0.3)
    scratch = np.zeros((n, 2), np.float32)
    counts, seen, flags = counts_for(observe_m), np.zeros((1, 3), np.int64), np.zeros(1, np.uint8)
    run_observe(p, beh, np.zeros(n, np.uint8), np.array([0, n]), m, scratch, today, counts,
                seen, book_for(observe_m, n), flags)
    own, every, mixed = np.zeros(n), np.zeros(n), 0
    wrong_total = 0
    for i in range(n):
        h = agent_hash(KEY, i)
        for b, k in enumerate(acts_reference(m, i)[0][:2]):
            s = w = 0
            for j in range(k):
                x = sub_hash(h, m.b_key[b] + np.uint64(j))
                if unit(x) < 0.9:
                    s += 1
                    w += unit(rehash(x, SALT_1)) < 0.3
            own[i] += (s - w) * beh.delta[b]
            every[i] += s * beh.delta[b]
            mixed += 0 < w < s and s - w != s >> w  # a mix no cruder rule could fake
            wrong_total += w
    assert scratch[:, 0].tolist() == own.tolist()
    assert scratch[:, 1].tolist() == every.tolist()
    assert cnt(observe_m, counts, "misattributions") == wrong_total and flags[0] == 1
    assert mixed > 0 and (own != every).any() and (own != 0).any()


def test_behave_makes_observe_sightings_in_its_pass():
    """behave with sightings (one pass, observe.sighted_in_behave) gives the same bits as
    behave and then observe's own pass drawing the acts again: scores' deltas, event bits,
    ledger rows and day tallies, seen acts, misattributions, impunity's drops, over two
    blocks and a region that has not started. Not vacuous: some of each happen."""
    n = BLOCK + 300
    region = [0] * (n - 50) + [1] * 50
    region_start = np.array([0, n - 50, n], np.int64)
    m, beh, p, _ = observe_setup(n, [[0.8, 0.8], [0.5, 0.5]], 0.3, region=region)
    imp, _ = no_impunity()
    imp = imp._replace(p_drop=0.5, quantile=0.0, drop_key=np.uint64(5))  # drops half
    group = np.zeros(n, np.uint8)
    sightings = sightings_of(p, beh, group, region_start, m, imp)

    def fresh():
        return {"acts_total": np.zeros((n, 3), np.uint16),
                "scratch": np.ones((n, 2), np.float32), "today": np.full(n, 0xFF, np.uint8),
                "sums": np.zeros((2, 1)), "acts": np.zeros((2, 3), np.int64),
                "bk": book_for(observe_m, n), "counts": np.zeros((2, 1), np.int64),
                "seen": np.zeros((2, 3), np.int64),
                "imp_counts": np.zeros((2, len(impunity_m.COUNTERS.counts)), np.int64)}

    def behave(x, sight):
        behave_m.behave(m, x["acts_total"], x["scratch"], x["today"], x["sums"], x["acts"],
                        sight, sightings, x["bk"], x["counts"], x["seen"], x["imp_counts"])

    two = fresh()
    behave(two, False)
    observe_m.observe(sightings, m, two["scratch"], two["today"], two["bk"], two["counts"],
                      two["seen"], two["imp_counts"])
    one = fresh()
    behave(one, True)
    for name in ("acts_total", "scratch", "today", "sums", "acts", "counts", "seen",
                 "imp_counts"):
        assert np.array_equal(one[name], two[name]), name
    for part in range(4):  # ledger rows (recorded, error-free), day tallies (both)
        assert np.array_equal(one["bk"][part], two["bk"][part])
    assert one["seen"].sum() > 0 and one["counts"][:, observe_m.C.misattributions].all()
    assert one["imp_counts"][:, impunity_m.C.dropped_observations].all()
    assert (one["scratch"][n - 50:] == 0).all() and one["today"][n - 50:].any()  # not started


def test_observe_sighting_rule():
    for j in range(20):
        x = sub_hash(agent_hash(KEY, j), np.uint64(7 + j))
        u, v = unit(x), unit(rehash(x, SALT_1))
        want = 0 if u >= 0.6 else (2 if v < 0.3 else 1)
        assert observe_m.sighting(agent_hash(KEY, j), np.uint64(7), j, 0.6, 0.3) == want
        assert observe_m.sighting(agent_hash(KEY, j), np.uint64(7), j, 0.6, 0.0) == min(want, 1)


def test_observe_compile():
    sc = bare(regions={"count": 2}, population={"groups": [{"name": "a", "share": 0.5},
                                                           {"name": "b", "share": 0.5}]},
              surveillance={"misattribution": 0.02, "misattribution_factor": {"b": 3},
                            "channels": {"camera": {"by_region": [0.1, 0.9],
                                                    "facial_recognition": True}}})
    p = compiled(sc).observe
    assert p.on and p.coverage.tolist() == [[0.1, 0.9]] and p.facial.tolist() == [1]
    assert p.misattribution.tolist() == pytest.approx([0.02, 0.06])


# --- reports ---------------------------------------------------------------------------------

def test_reports_true_reports_of_unseen_acts():
    """Each unseen act of a reportable behaviour is reported with true_rate and accepted
    with accept; accepted reports move both scores by delta."""
    n = 16
    m, beh, seen_p, today = observe_setup(n, [0.3, 0.0], 0.0)
    p = reports_m.ReportParams(True, 0.7, 0.0, 0.0, 0.6, 0.0, np.zeros(3))
    ok, rk, fk = np.uint64(1), np.uint64(2), np.uint64(3)
    deg = np.array([0 if i == 3 else 2 for i in range(n)], np.uint16)
    scratch = np.zeros((n, 2), np.float32)
    counts, reported = counts_for(reports_m), np.zeros((1, 3), np.int64)
    flags = np.zeros(1, np.uint8)
    reports_m.report(p, beh, seen_p, ok, rk, fk, np.zeros(n, np.uint8), m.region,
                     np.array([0, n]), m.started, row_pointer(deg), deg,
                     np.ones(n, np.float32), not_detained(n), m, scratch,
                     today, counts, reported, book_for(reports_m, n), *no_impunity(),
                     flags)
    exp = np.zeros(n)
    per_b = [0, 0, 0]
    sev = []
    for i in range(n):
        acts = acts_reference(m, i)[0]
        ho, hr = agent_hash(ok, i), agent_hash(rk, i)
        got = [0, 0, 0]
        for b in range(2):  # behaviour 2 is not reportable
            for j in range(acts[b]):
                if unit(sub_hash(ho, m.b_key[b] + np.uint64(j))) < 0.3 or deg[i] == 0:
                    continue
                x = sub_hash(hr, m.b_key[b] + np.uint64(j))
                if unit(x) < 0.7 and unit(rehash(x, SALT_1)) < 0.6:
                    got[b] += 1
        exp[i] = got[0] * -10.0 + got[1] * 3.0
        per_b = [a + g for a, g in zip(per_b, got, strict=False)]
        sev.append(got[1] > 0)
    assert scratch[:, 0].tolist() == exp.tolist() and scratch[:, 1].tolist() == exp.tolist()
    assert reported[0].tolist() == per_b and per_b[0] > 0 and per_b[1] > 0
    assert [bool(t & SEVERE_REAL) and bool(t & SEVERE_CLEAN) for t in today] == sev
    assert flags[0] == 0 and cnt(reports_m, counts, "false_reports_filed") == 0


def test_reports_none_accepted():
    """Reports filed but none accepted (accept 0): no score moves, no severe flag."""
    n = 16
    m, beh, seen_p, today = observe_setup(n, [0.0, 0.0], 0.0)
    p = reports_m.ReportParams(True, 1.0, 0.0, 0.0, 0.0, 0.0, np.zeros(3))
    scratch = np.zeros((n, 2), np.float32)
    counts, reported = counts_for(reports_m), np.zeros((1, 3), np.int64)
    before = today.copy()
    reports_m.report(p, beh, seen_p, np.uint64(1), np.uint64(2), np.uint64(3),
                     np.zeros(n, np.uint8), m.region, np.array([0, n]), m.started,
                     row_pointer(np.full(n, 2)), np.full(n, 2, np.uint16),
                     np.ones(n, np.float32), not_detained(n), m, scratch, today,
                     counts, reported, book_for(reports_m, n),
                     *no_impunity(), np.zeros(1, np.uint8))
    assert scratch.tolist() == [[0.0, 0.0]] * n and reported.sum() == 0
    assert today.tolist() == before.tolist() and (before & ACTED).any()
    # Accepted, but nobody acted today (no ACTED bit): nothing to report.
    p = p._replace(accept=1.0)
    today = np.zeros(n, np.uint8)
    reports_m.report(p, beh, seen_p, np.uint64(1), np.uint64(2), np.uint64(3),
                     np.zeros(n, np.uint8), m.region, np.array([0, n]), m.started,
                     row_pointer(np.full(n, 2)), np.full(n, 2, np.uint16),
                     np.ones(n, np.float32), not_detained(n), m, scratch, today,
                     counts, reported, book_for(reports_m, n),
                     *no_impunity(), np.zeros(1, np.uint8))
    assert scratch.tolist() == [[0.0, 0.0]] * n and reported.sum() == 0 and not today.any()


def test_reports_false_reports():
    """False reports: filed ~ Poisson(false_rate · malice); the target is an active
    neighbour, chosen with weight exp(envy · (its score - top) / 100); the behaviour by the
    cdf; accepted with accept, raised by power bias when the filer leads."""
    n = 6
    # 0 reports on 1, 2 (3 is severed); 5 reports on 4 (region not started).
    indptr, entries = csr(n, [(0, 1, 1), (0, 2, 1), (0, 3, 1, True), (4, 5, 0)])
    scores = np.array([[900, 0], [300, 0], [800, 0], [100, 0], [500, 0], [500, 0]],
                      np.float32)
    malice = np.array([4.0, 0, 0, 0, 0, 3.0], np.float32)
    region = np.array([0, 0, 0, 0, 1, 0], np.uint16)
    started = np.array([True, False])
    beh = behave_m.Behaviours(on=True, rate=np.array([1.0, 1.0]), delta=np.array([-10.0, -50.0]),
                              category=np.zeros(2, np.int32), channel=np.zeros(2, np.int32),
                              penalised=np.ones(2, np.uint8), severe=np.array([0, 1], np.uint8),
                              reportable=np.ones(2, np.uint8), online=np.zeros(2, np.uint8),
                              outside=np.zeros(2, np.uint8), key=np.array([1, 2], np.uint64),
                              political=np.zeros(2, np.uint8))
    cdf = np.array([0.5, 1.0])
    for envy, bias, accept in ((0.0, 0.0, 1.0), (2.0, 0.0, 0.5), (-1.5, 1.0, 0.3)):
        p = reports_m.ReportParams(True, 0.0, 1.0, envy, accept, bias, cdf)
        fk = np.uint64(99)
        today = np.zeros(n, np.uint8)
        counts = counts_for(reports_m)
        flags = np.zeros(1, np.uint8)
        reports_m.report(p, beh, observe_m.ObserveParams(True, np.zeros((1, 2)),
                                                         np.zeros(1, np.uint8), np.zeros(1), 1.0),
                         np.uint64(1), np.uint64(2), fk, np.zeros(n, np.uint8), region,
                         np.array([0, n]), np.array([True, True]), indptr,
                         np.array([2, 1, 1, 0, 1, 1], np.uint16), malice, not_detained(n),
                         act_model(n),
                         np.zeros((n, 2), np.float32),
                         today, counts, np.zeros((1, 2), np.int64), book_for(reports_m, n),
                         *no_impunity(), flags)
        filed = {i: poisson(unit(agent_hash(fk, i)), 1.0 * malice[i]) for i in (0, 5)}
        assert cnt(reports_m, counts, "false_reports_filed") == sum(filed.values()) > 0
        assert [bool(t & HAS_FALSE_REPORTS) for t in today] == [
            filed.get(i, 0) > 0 for i in range(n)]
        scratch = np.zeros((n, 2), np.float32)
        reports_m.false_reports(p, beh, fk, indptr, entries, scores, malice, region,
                                started, scratch, today, not_detained(n), counts,
                                book_for(reports_m, n),
                                np.full(n, -1, np.int32), *no_impunity(), NOT_TRACED, False, flags)
        exp = np.zeros(n)
        severe = set()
        accepted = 0
        for i, k_filed in filed.items():
            h = agent_hash(fk, i)
            nbrs = [neighbours_of(entries)[e] for e in range(indptr[i], indptr[i + 1])
                    if not codes_of(entries)[e] & SEVERED]
            top = max(scores[j, 0] for j in nbrs)
            w = [math.exp(envy * (scores[j, 0] - top) / 100) for j in nbrs]
            for k in range(k_filed):
                x = sub_hash(h, np.uint64(k + 1))
                goal = unit(x) * sum(w)
                acc, target = 0.0, -1
                for j, wj in zip(nbrs, w, strict=False):
                    target = j
                    acc += wj
                    if acc > goal:
                        break
                if not started[region[target]]:
                    continue
                b = min(int(np.searchsorted(cdf, unit(rehash(x, SALT_1)), side="right")), 1)
                q = accept
                lead = scores[i, 0] - scores[target, 0]
                if bias > 0 and lead > 0 and 0 < q < 1:
                    odds = q / (1 - q) * math.exp(bias * lead / 100)
                    q = odds / (1 + odds)
                if unit(rehash(x, SALT_2)) < q:
                    exp[target] += beh.delta[b]
                    accepted += 1
                    if b == 1:
                        severe.add(target)
        assert scratch[:, 0].tolist() == exp.tolist()
        assert scratch[:, 1].tolist() == [0.0] * n
        assert [bool(t & SEVERE_REAL) for t in today] == [i in severe for i in range(n)]
        assert cnt(reports_m, counts, "false_reports_accepted") == accepted
        assert exp[3] == 0 and exp[4] == 0  # severed tie, region not started


def test_reports_compile():
    sc = bare(reports={"enabled": True, "true_rate": 0.1, "false_rate": 0.01, "accept": 0.5},
              behaviours=[{"name": "x", "rate": 0.3, "delta": -3, "channel": "camera"},
                          {"name": "y", "rate": 0.2, "delta": 2, "channel": "camera"},
                          {"name": "z", "rate": 0.1, "delta": -1, "channel": "camera"}])
    p = compiled(sc).report
    assert p.on and p.true_rate == 0.1 and p.false_rate == 0.01 and p.accept == 0.5
    assert p.false_report_cdf.tolist() == pytest.approx([0.75, 0.75, 1.0])
    assert not compiled(bare()).report.on
    # Either kind of report alone turns the step on.
    beh = [{"name": "x", "rate": 0.3, "delta": -3, "channel": "camera"}]
    assert compiled(bare(reports={"enabled": True, "true_rate": 0.1}, behaviours=beh)).report.on
    assert compiled(bare(reports={"enabled": True, "false_rate": 0.1},
                         behaviours=beh)).report.on


# --- survivors of the seed-3 mutation sample ---------------------------------------------------

def test_behave_compile_a_neutral_act_is_not_deterred():
    """MODEL.md: fear deters penalised behaviours; by default a behaviour is penalised when
    it costs points (delta < 0), so one worth nothing (delta 0) is not."""
    sc = bare(behaviours=[{"name": "z", "rate": 0.2, "delta": 0, "channel": "camera"},
                          {"name": "x", "rate": 0.2, "delta": -1, "channel": "camera"}])
    assert compiled(sc).behave.penalised.tolist() == [0, 1]


def test_sanction_compile_any_one_sanction_turns_the_step_on():
    off = {"enabled": False}
    for travel in ({"air_rate": 0.1, "train_rate": 0.0}, {"air_rate": 0.0, "train_rate": 0.1}):
        sc = bare(listing={"enabled": True, "threshold": 600},
                  sanctions={"enabled": True, "travel": {"enabled": True, **travel},
                             "purchases": off, "jobs": off, "social_media": off,
                             "schools": off, "house_arrest": off})
        assert compiled(sc).sanction.on, travel


def test_score_an_unstarted_agent_does_not_stop_its_block():
    """Agent 0's region has not started (its scores stay); agents 1 and 2 after it, in the
    same block, still recover toward s0: s += 0.5 · (1000 - s)."""
    p = score_params(recovery=0.5)
    indptr, entries = csr(3, [])
    scores = np.array([[600, 600], [600, 600], [800, 800]], np.float32)
    scratch = np.zeros((3, 2), np.float32)
    run_score(p, indptr, entries, np.zeros(3, np.uint8), np.array([1, 0, 0], np.uint16),
              np.array([True, False]), np.zeros(3, np.uint16), np.zeros(3, np.uint16), scores,
              scratch)
    assert scratch.tolist() == [[600, 600], [800, 800], [900, 900]]


def test_shame_restore_skips_listed_agents_only():
    """A severed tie comes back from its lower-numbered end unless an end is listed: agent 0
    (protected, not listed) gets its tie to 1 back; agent 2 (listed) keeps its severed tie
    to 3 although 3 is not listed."""
    indptr, entries = csr(4, [(0, 1, 1, True), (2, 3, 1, True)])
    status = np.array([PROTECTED, 0, LISTED, 0], np.uint8)
    deg = np.zeros(4, np.uint16)
    flags = np.ones(1, np.uint8)
    z = np.zeros(4, np.uint16)
    counts = counts_for(shame_m)
    shame_m.restore(KEY, 1.0, indptr, entries, status, deg, z.copy(), z.copy(),
                    z.copy(), counts, flags)
    assert deg.tolist() == [1, 1, 0, 0]
    assert cnt(shame_m, counts, "ties_restored") == 1


def test_reports_false_report_by_an_odd_numbered_agent():
    """Agent 1 files Poisson(false_rate · malice) false reports, all against its only
    neighbour 0, all accepted (accept 1) as behaviour 0: 0 loses filed · delta points."""
    n = 2
    indptr, entries = csr(n, [(0, 1, 1)])
    beh = behave_m.Behaviours(on=True, rate=np.array([1.0]), delta=np.array([-10.0]),
                              category=np.zeros(1, np.int32), channel=np.zeros(1, np.int32),
                              penalised=np.ones(1, np.uint8), severe=np.zeros(1, np.uint8),
                              reportable=np.ones(1, np.uint8), online=np.zeros(1, np.uint8),
                              outside=np.zeros(1, np.uint8), key=np.array([1], np.uint64),
                              political=np.zeros(1, np.uint8))
    p = reports_m.ReportParams(True, 0.0, 1.0, 0.0, 1.0, 0.0, np.array([1.0]))
    fk = np.uint64(7)
    malice = np.array([0.0, 5.0], np.float32)
    region = np.zeros(n, np.uint16)
    started = np.array([True])
    today = np.zeros(n, np.uint8)
    counts = counts_for(reports_m)
    flags = np.zeros(1, np.uint8)
    reports_m.report(p, beh, observe_m.ObserveParams(True, np.zeros((1, 1)),
                                                     np.zeros(1, np.uint8), np.zeros(1), 1.0),
                     np.uint64(1), np.uint64(2), fk, np.zeros(n, np.uint8), region,
                     np.array([0, n]), started, row_pointer([1, 1]),
                     np.array([1, 1], np.uint16), malice,
                     not_detained(n), act_model(n), np.zeros((n, 2), np.float32), today, counts,
                     np.zeros((1, 1), np.int64), book_for(reports_m, n),
                     *no_impunity(), flags)
    filed = poisson(unit(agent_hash(fk, 1)), 5.0)
    assert filed > 0 and cnt(reports_m, counts, "false_reports_filed") == filed
    scratch = np.zeros((n, 2), np.float32)
    bk = book_for(reports_m, n)
    reporter = np.full(n, -1, np.int32)
    reports_m.false_reports(p, beh, fk, indptr, entries,
                            np.array([[500, 0], [500, 0]], np.float32), malice, region,
                            started, scratch, today, not_detained(n), counts, bk, reporter,
                            *no_impunity(),
                            NOT_TRACED, False, flags)
    assert scratch[:, 0].tolist() == [-10.0 * filed, 0.0]
    # Booked to false reports, and agent 0 knows its reporter.
    assert bk.points[:, slot("false_report")].tolist() == [-10.0 * filed, 0.0]
    assert reporter.tolist() == [1, -1]


@pytest.mark.parametrize("kind", ["family", "social", "work"])
def test_score_tie_weights_must_not_be_negative(kind):
    with pytest.raises(ScenarioError, match=rf"scoring\.association\.weights\.{kind}: .*>= 0"):
        bare(scoring={"association": {"weights": {kind: -0.5}}})


# --- survivors of the seed-4 mutation sample ---------------------------------------------------

@pytest.mark.parametrize("path", [("weights", "social"), ("listed_penalty",)])
def test_score_association_penalties_must_not_be_negative(path):
    section = {path[0]: {path[1]: -0.5}} if len(path) == 2 else {path[0]: -0.5}
    with pytest.raises(ScenarioError, match=rf"scoring\.association\.{'.'.join(path)}: "
                                            r".*>= 0"):
        bare(scoring={"association": section})


def test_shame_compile_restoring_alone_turns_the_step_on():
    """Ties severed earlier may come back although nobody is shamed any more."""
    sc = bare(listing={"enabled": True, "threshold": 600},
              shaming={"enabled": True, "probability": 0.0, "restore_rate": 0.02})
    p = compiled(sc).shame
    assert p.on and p.shame == 0.0 and p.restore == 0.02


def test_companies_tax_take_counts_only_when_companies_are_on():
    """Tax take = sum of revenue x the tax rate of each company's tier, and 0 when the
    companies mechanism is off."""
    c = {"revenue": np.array([10.0, 20.0]), "tier": np.array([0, 1]),
         "score": np.array([700.0, 300.0])}
    for on, expected in ((True, 10 * 0.1 + 20 * 0.3), (False, 0.0)):
        m = SimpleNamespace(state=SimpleNamespace(companies=c), p=SimpleNamespace(
            companies=SimpleNamespace(on=on, ct_tax=np.array([0.1, 0.3]))))
        assert companies_m._tax_take(m) == pytest.approx(expected)


def test_companies_revenue_default_is_its_documented_log_normal():
    """Company revenue defaults to a log-normal with mean 1 and log-sd 1, as the scenario
    reference documents it."""
    revenue = bare().companies.revenue
    assert (revenue.mean, revenue.sigma) == (1.0, 1.0)


def test_reports_power_bias_raises_acceptance_by_the_odds_formula():
    """A filer leading its target by L points: odds = q / (1 - q) · exp(bias · L / 100),
    accepted with odds / (1 + odds). Agent 0 (900 points) files many false reports against
    its only neighbour 1 (300 points): bias 0.1, accept 0.3 give 0.4385."""
    n = 2
    indptr, entries = csr(n, [(0, 1, 1)])
    beh = behave_m.Behaviours(on=True, rate=np.array([1.0]), delta=np.array([-1.0]),
                              category=np.zeros(1, np.int32), channel=np.zeros(1, np.int32),
                              penalised=np.ones(1, np.uint8), severe=np.zeros(1, np.uint8),
                              reportable=np.ones(1, np.uint8), online=np.zeros(1, np.uint8),
                              outside=np.zeros(1, np.uint8), key=np.array([1], np.uint64),
                              political=np.zeros(1, np.uint8))
    p = reports_m.ReportParams(True, 0.0, 1.0, 0.0, 0.3, 0.1, np.array([1.0]))
    fk = np.uint64(11)
    malice = np.array([300.0, 0.0], np.float32)
    today = np.full(n, HAS_FALSE_REPORTS, np.uint8)
    counts = counts_for(reports_m)
    flags = np.ones(1, np.uint8)
    scratch = np.zeros((n, 2), np.float32)
    reports_m.false_reports(p, beh, fk, indptr, entries,
                            np.array([[900, 0], [300, 0]], np.float32), malice,
                            np.zeros(n, np.uint16), np.array([True]), scratch, today,
                            not_detained(n), counts,
                            book_for(reports_m, n), np.full(n, -1, np.int32),
                            *no_impunity(), NOT_TRACED, False, flags)
    filed = poisson(unit(agent_hash(fk, 0)), 300.0)
    odds = 0.3 / 0.7 * math.exp(0.1 * 600 / 100)
    q = odds / (1 + odds)
    accepted = sum(unit(rehash(sub_hash(agent_hash(fk, 0), np.uint64(k + 1)), SALT_2)) < q
                   for k in range(filed))
    assert filed > 200 and abs(q - 0.4385) < 1e-4
    assert -scratch[1, 0] == accepted == cnt(reports_m, counts, "false_reports_accepted")


# --- survivors of the seed-5 mutation sample ---------------------------------------------------

def test_classify_tier_of_a_score_below_every_finite_minimum_is_the_last_tier():
    assert classify_m.tier_of(500.0, np.array([1000.0, 800.0, 600.0])) == 2


def test_classify_tier_follows_the_recorded_score_not_the_error_free_one():
    tmin = np.array([1000.0, 800.0, 600.0, -np.inf])
    a = Agents([[650, 1100], [1100, 650]])
    run_classify(classify_params(listing=False, tier_min=tmin), a)
    assert a.tier.tolist() == [2, 0]


def test_classify_a_past_listing_does_not_protect_an_agent_that_did_not_appeal():
    """Agent 0 left the list early (it complied: no PROTECTED bit) and its old term would
    have run to day 15: on day 10 a score below the threshold lists it again. Agent 1 won
    an appeal (PROTECTED until day 15): it is not listed by its score."""
    a = Agents([[500, 500], [500, 500]], status=[0, PROTECTED], listed_until=[15, 15])
    run_classify(classify_params(), a)
    assert [bool(s & LISTED) for s in a.status] == [True, False]


def test_classify_delisting_keeps_the_other_events_of_the_day():
    """An agent whose term ends on a day it also acted: today keeps ACTED and gains
    DELISTED."""
    a = Agents([[900, 900]], status=[LISTED], today=[ACTED], listed_until=[10])
    run_classify(classify_params(), a)
    assert not a.status[0] & LISTED
    assert a.today[0] == ACTED | DELISTED


def test_shame_only_the_newly_listed_are_shamed():
    """Probability 1: the newly listed agent is shamed; one that only acted today is not."""
    status = np.array([LISTED, LISTED], np.uint8)
    today = np.array([NEW_LISTED, ACTED], np.uint8)
    counts, flags = counts_for(shame_m), np.zeros(1, np.uint8)
    shame_m.shame(KEY, 1.0, status, today, np.zeros(2, np.uint16), counts, flags)
    assert [bool(s & SHAMED) for s in status] == [True, False]


def test_adapt_exposure_counts_listed_and_shamed_neighbours():
    """Exposure = (listed + shamed active neighbours) / active ties: 1 listed and 2 shamed
    of 4 ties give 3/4; fear moves halfway to 1.0 · 0.75 (no own risk: far above)."""
    p = adapt_m.AdaptParams(True, 0.5, 1.0, 0.0, 100.0, 300.0)
    fear = np.zeros(1, np.float32)
    adapt_m.adapt(p, np.zeros(1, np.uint16), np.array([True]),
                  np.array([[900, 0]], np.float32), np.zeros(1, np.uint8), row_pointer([4]),
                  np.array([4], np.uint16), np.array([1], np.uint16), np.array([2], np.uint16),
                  fear)
    assert fear[0] == pytest.approx(0.375)


def test_companies_tier_inspection_default_is_one():
    """A tier inspects at the events' own coverage unless it says otherwise (multiplier 1)."""
    assert companies_m.CorporateTier(name="a", min=0).inspection == 1.0
