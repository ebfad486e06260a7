"""The mechanism steps' glue, in pure Python (no kernel is compiled): ``Step.on`` for an
epoch's parameters, and ``Step.run``'s wiring with the module's kernels replaced by
recorders: which kernels run, in which order, on which arrays and parameter records, and
that the optional passes (serial replays, second kernels) run only when their condition
holds. Also metric declarations on a fake tally.

Named ``test_<module>_...`` like tests/test_kernels.py, so that ``-k`` picks one module's
tests (benchmarks/mutation.py runs them first for each mutant: they cost no compile).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import bare
from scsim.core.events import NOT_TRACED
from scsim.core.params import Names, compile_params
from scsim.core.rng import stream_key
from scsim.core.step import Today
from scsim.mechanisms import acts as acts_m
from scsim.mechanisms import adapt as adapt_m
from scsim.mechanisms import behave as behave_m
from scsim.mechanisms import classify as classify_m
from scsim.mechanisms import companies as companies_m
from scsim.mechanisms import observe as observe_m
from scsim.mechanisms import reports as reports_m
from scsim.mechanisms import sanction as sanction_m
from scsim.mechanisms import score as score_m
from scsim.mechanisms import shame as shame_m
from scsim.mechanisms.impunity import ImpunityParams, impunity_today

SEED, DAY = 1234, 7


class Named(dict):
    """A table whose every column is a sentinel naming it ("a.scores")."""

    def __init__(self, prefix, **real):
        super().__init__(real)
        self.prefix = prefix

    def __missing__(self, key):
        return f"{self.prefix}.{key}"


class Calls(list):
    """Recorders standing in for a module's kernels; each call is (kernel, args)."""

    def patch(self, monkeypatch, mod, name, effect=None):
        def kernel(*args):
            self.append((name, args))
            if effect is not None:
                effect(*args)
        monkeypatch.setattr(mod, name, kernel)

    def names(self):
        return [name for name, _ in self]


NO_IMPUNITY = ImpunityParams(on=False, quantile=0.9, p_drop=0.0)


def key(purpose):
    return stream_key(SEED, purpose, DAY)


def today(p, flags=2, counts=None, companies=None):
    counts = counts or {}
    tally = SimpleNamespace(counts=Named("counts"), arrays=Named("arrays"), sums=Named("sums"),
                            flags=np.zeros(flags, np.uint8),
                            count=lambda name: counts.get(name, 0))
    net = SimpleNamespace(indptr="net.indptr", entries="net.entries")
    state = SimpleNamespace(agents=Named("a"), net=net, region_start="s.region_start",
                            household_start="s.household_start",
                            companies=companies if companies is not None else Named("c"))
    ledger = SimpleNamespace(view=lambda agents, sources: book(sources.owner))
    return Today(DAY, p, "started", SEED, state, tally, False, acts="acts", ledger=ledger)


def book(owner):
    """The sentinel standing for what the kernels of mechanism ``owner`` book points with
    (``Today.book``)."""
    return f"book.{owner}"


def raise_flag(*args):
    args[-1][1] = 1  # every kernel with a flags argument takes it last


# --- on/off -----------------------------------------------------------------------------------

@pytest.mark.parametrize("step, field", [
    (adapt_m.Adapt, "adapt"), (observe_m.Observe, "observe"), (reports_m.Report, "report"),
    (sanction_m.Sanction, "sanction"), (score_m.Score, "score"), (shame_m.Shame, "shame"),
    (companies_m.CompaniesStep, "companies")])
def test_adapt_observe_reports_sanction_score_shame_companies_step_on(step, field):
    for on in (True, False):
        p = SimpleNamespace(**{field: SimpleNamespace(on=on)})
        assert step.on(p) is on  # a class method: asked of the class, before any run
        assert step(None).on(p) is on


def test_behave_classify_step_always_on():
    for sc in (bare(), bare(listing={"enabled": False}, behaviours=[])):
        p = compile_params(sc, Names.of(sc))
        assert behave_m.Behave.on(p) and classify_m.Classify.on(p)


# --- run: which kernels, on what --------------------------------------------------------------

def test_adapt_step_run(monkeypatch):
    calls = Calls()
    calls.patch(monkeypatch, adapt_m, "adapt")
    t = today(SimpleNamespace(adapt="P.adapt"))
    adapt_m.Adapt(None).run(t)
    assert calls == [("adapt", ("P.adapt", "a.region", "started", "a.scores", "a.status",
                                "net.indptr", "a.deg_active", "a.nbr_listed", "a.nbr_shamed",
                                "a.fear"))]


def sightings_params(on=True):
    """Sentinel parameters of the phases the day's sightings read (observe, behaviours,
    impunity off)."""
    return dict(observe=SimpleNamespace(on=on, coverage="o.coverage", facial="o.facial",
                                        misattribution=[0.1, 0.2]),
                behave=SimpleNamespace(rate="b.rate", category="b.category",
                                       penalised="b.penalised", online="b.online",
                                       outside="b.outside", key="b.key", delta="b.delta",
                                       channel="b.channel", severe="b.severe",
                                       political="b.political"),
                impunity=NO_IMPUNITY)


def sightings(t):
    """What behave's and observe's kernels get as the day's sightings (observe.Sightings)."""
    return observe_m.Sightings("o.coverage", "o.facial", [0.1, 0.2], "b.delta", "b.channel",
                               "b.severe", "b.key", "b.political", key("observe"), "a.group",
                               "a.region", "s.region_start", "started", *impunity_today(t))


@pytest.mark.parametrize(("observe_on", "split"), [(True, False), (True, True), (False, False)])
def test_behave_step_run(monkeypatch, observe_on, split):
    """behave draws the acts and, when observe is on and the passes are not split, makes
    the sightings in the same pass."""
    calls = Calls()
    calls.patch(monkeypatch, behave_m, "behave")
    t = today(SimpleNamespace(**sightings_params(observe_on), sanction=SimpleNamespace(
        social_media_ban=np.uint8(1), arrest_threshold=np.float32(300))))
    behave_m.Behave(SimpleNamespace(split_passes=split)).run(t)
    want = acts_m.ActModel(key("behave"), "b.rate", "b.category", "b.penalised", "b.online",
                           "b.outside", "b.key", "a.propensity", "a.conformity", "a.fear",
                           "a.status", "a.scores", "a.region", "started", True, 300.0)
    assert t.acts == want
    assert type(t.acts.social_media_ban) is bool and type(t.acts.arrest_threshold) is float
    assert calls == [("behave", (want, "a.acts_total", "a.scratch", "a.today", "sums.behave",
                                 "arrays.acts", observe_on and not split, sightings(t),
                                 book("observe"), "counts.observe", "arrays.seen",
                                 "counts.impunity"))]


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("flagged", [False, True])
def test_observe_step_run(monkeypatch, flagged, split):
    """observe makes the sightings in a pass of its own only when the passes are split
    (else behave made them); then the blocks with misattributions are replayed."""
    calls = Calls()
    counts = np.zeros((2, len(observe_m.COUNTERS.counts)), np.int64)
    if flagged:  # a misattribution in block 1 (counted by whichever pass sighted)
        counts[1, observe_m.C.misattributions] = 3
    calls.patch(monkeypatch, observe_m, "observe")
    calls.patch(monkeypatch, observe_m, "misattribute")
    monkeypatch.setattr(observe_m, "region_group_marks",
                        lambda *args: ("members.start", "marks.start", "marks.ids"))
    t = today(SimpleNamespace(**sightings_params()))
    t.tally.counts = Named("counts", observe=counts)
    observe_m.Observe(SimpleNamespace(split_passes=split)).run(t)
    k = key("observe")
    own_pass = [("observe", (sightings(t), "acts", "a.scratch", "a.today", book("observe"),
                             counts, "arrays.seen", "counts.impunity"))] if split else []
    assert calls[:len(own_pass)] == own_pass
    assert calls.names() == [n for n, _ in own_pass] + (["misattribute"] if flagged else [])
    assert t.tally.flags.tolist() == [0, int(flagged)]
    if flagged:  # the serial replay, with the same draws (same key)
        assert calls[-1][1] == (t.p.observe, t.p.behave, k, "a.group", "a.region",
                                "s.region_start", "members.start", "marks.start",
                                "marks.ids", "acts",
                                "a.scratch", "a.today", "a.status", book("observe"),
                                "a.mistaken_for", impunity_today(t), "counts.impunity",
                                NOT_TRACED, False, t.tally.flags)


@pytest.mark.parametrize("flagged", [False, True])
def test_reports_step_run(monkeypatch, flagged):
    calls = Calls()
    calls.patch(monkeypatch, reports_m, "report", raise_flag if flagged else None)
    calls.patch(monkeypatch, reports_m, "false_reports")
    t = today(SimpleNamespace(report="P.report", behave="P.behave",
                              observe="P.observe", impunity=NO_IMPUNITY))
    reports_m.Report(None).run(t)
    fk = key("false_report")
    assert calls[0] == ("report", (
        "P.report", "P.behave", "P.observe", key("observe"), key("report"), fk, "a.group",
        "a.region", "s.region_start", "started", "net.indptr", "a.deg_active", "a.malice",
        "a.status", "acts", "a.scratch", "a.today", "counts.report", "arrays.reported",
        book("report"), impunity_today(t), "counts.impunity",
        t.tally.flags))
    assert calls.names() == (["report", "false_reports"] if flagged else ["report"])
    if flagged:
        assert calls[1][1] == ("P.report", "P.behave", fk, "net.indptr", "net.entries",
                               "a.scores", "a.malice", "a.region", "started",
                               "a.scratch", "a.today", "a.status", "counts.report",
                               book("report"), "a.falsely_reported_by",
                               impunity_today(t), "counts.impunity", NOT_TRACED, False,
                               t.tally.flags)


@pytest.mark.parametrize("flagged", [False, True])
def test_classify_step_run(monkeypatch, flagged):
    calls = Calls()
    calls.patch(monkeypatch, classify_m, "classify", raise_flag if flagged else None)
    calls.patch(monkeypatch, classify_m, "announce_listings")
    params = SimpleNamespace(threshold="P.threshold", listing=True, appeal_rate=0.0)
    t = today(SimpleNamespace(classify=params))
    classify_m.Classify(None).run(t)
    assert calls[0] == ("classify", (
        params, key("classify"), DAY, "a.region", "started", "a.scores", "a.tier",
        "a.status", "a.today", "a.listed_until", "a.times_listed", "a.days_listed",
        "a.wrongful_listings", "counts.classify", book("classify"),
        t.tally.flags))
    assert calls.names() == (["classify", "announce_listings"] if flagged else ["classify"])
    if flagged:
        assert calls[1][1] == ("P.threshold", "net.indptr", "net.entries",
                               "a.scores", "a.status", "a.today", "a.nbr_listed",
                               "a.nbr_clean_listed", "a.nbr_shamed", t.tally.flags)


def test_sanction_step_run(monkeypatch):
    calls = Calls()
    calls.patch(monkeypatch, sanction_m, "sanction")
    t = today(SimpleNamespace(sanction="P.sanction"))
    sanction_m.Sanction(None).run(t)
    assert calls == [("sanction", (
        "P.sanction", key("sanction"), "a.region", "started", "s.household_start",
        "a.scores", "a.status", "a.blocked_tickets", "a.blocked_other",
        "a.privileges_used", "a.school_barred_days", "counts.sanction",
        "arrays.privilege"))]


def test_score_step_run_swaps_buffers(monkeypatch):
    calls = Calls()
    calls.patch(monkeypatch, score_m, "score")
    monkeypatch.setattr(score_m, "worth_prefetching", lambda scores: f"ahead({scores})")
    t = today(SimpleNamespace(score="P.score"))
    score_m.Score(None).run(t)
    assert calls == [("score", ("P.score", "net.indptr", "net.entries", "a.group",
                                "a.region", "started", "a.deg_active", "a.nbr_listed",
                                "a.nbr_clean_listed", "a.scores", "a.scratch", book("score"),
                                "ahead(a.scores)"))]
    # The kernel writes the new scores into scratch: the two swap.
    assert t.state.agents["scores"] == "a.scratch" and t.state.agents["scratch"] == "a.scores"


@pytest.mark.parametrize("penalty", [0.0, 0.5])
def test_companies_step_run(monkeypatch, penalty):
    calls = Calls()
    calls.patch(monkeypatch, companies_m, "companies")
    calls.patch(monkeypatch, companies_m, "penalise_representatives")
    p = SimpleNamespace(rep_penalty=penalty, agent_min=0.0, agent_max=1000.0)
    c = Named("c", score=np.zeros(3))
    t = today(SimpleNamespace(companies=p), companies=c)
    companies_m.CompaniesStep(None).run(t)
    assert calls[0] == ("companies", (p, key("companies"), "c.region", "started", "c.rep",
                                      "a.status", c["score"], "c.tier", "c.listed",
                                      "c.events_total", "c.events_seen", "c.days_listed"))
    if penalty > 0:
        assert calls[1:] == [("penalise_representatives", (
            0.5, 0.0, 1000.0, "c.listed", "c.rep", "a.scores", book("companies")))]
    else:
        assert len(calls) == 1
    calls.clear()  # no companies: nothing runs
    t = today(SimpleNamespace(companies=p), companies=Named("c", score=np.zeros(0)))
    companies_m.CompaniesStep(None).run(t)
    assert calls == []


def shame_calls(monkeypatch, shame, restore, flag_shame=False, flag_find=False):
    calls = Calls()
    calls.patch(monkeypatch, shame_m, "shame", raise_flag if flag_shame else None)
    calls.patch(monkeypatch, shame_m, "sever")
    calls.patch(monkeypatch, shame_m, "find_severed", raise_flag if flag_find else None)
    calls.patch(monkeypatch, shame_m, "restore")
    p = SimpleNamespace(shame=SimpleNamespace(shame=shame, sever="P.sever", restore=restore))
    return calls, p


def test_shame_step_run_shaming(monkeypatch):
    nbr = ("a.deg_active", "a.nbr_listed", "a.nbr_clean_listed", "a.nbr_shamed")
    for flagged in (False, True):
        calls, p = shame_calls(monkeypatch, 0.3, 0.0, flag_shame=flagged)
        t = today(p, counts={"ties_severed": 4})
        step = shame_m.Shame(None)
        assert step.severed_ties == 0
        step.run(t)
        assert calls[0] == ("shame", (key("shame"), 0.3, "a.status", "a.today",
                                      "a.times_shamed", "counts.shame", t.tally.flags))
        if flagged:
            assert calls[1:] == [("sever", (
                key("sever"), "P.sever", "a.conformity", "net.indptr", "net.entries",
                "a.status", "a.today", *nbr, "a.ties_lost", "counts.shame",
                NOT_TRACED, t.tally.flags))]
        else:
            assert calls.names() == ["shame"]
        assert step.severed_ties == 4  # carried to the next day (restore is off)
    calls, p = shame_calls(monkeypatch, 0.0, 0.0, flag_shame=True)
    shame_m.Shame(None).run(today(p))
    assert calls == []  # no shaming: neither shame nor sever


def test_shame_step_run_restoring(monkeypatch):
    nbr = ("a.deg_active", "a.nbr_listed", "a.nbr_clean_listed", "a.nbr_shamed")
    # Nothing severed yet: restoration does not look.
    calls, p = shame_calls(monkeypatch, 0.0, 0.1, flag_find=True)
    step = shame_m.Shame(None)
    step.run(today(p))
    assert calls == [] and step.severed_ties == 0
    # Ties severed earlier: look for them; restore only where some were found.
    for found in (False, True):
        calls, p = shame_calls(monkeypatch, 0.0, 0.1, flag_find=found)
        step = shame_m.Shame(None)
        step.severed_ties = 5
        t = today(p, counts={"ties_restored": 2})
        step.run(t)
        assert calls[0] == ("find_severed", ("net.indptr", "a.deg_active", "a.status",
                                             t.tally.flags))
        if found:
            assert calls[1:] == [("restore", (key("restore"), 0.1, "net.indptr",
                                              "net.entries", "a.status", *nbr,
                                              "counts.shame", t.tally.flags))]
        else:
            assert len(calls) == 1
        assert step.severed_ties == 3
    # Restoration off: never looks, even with severed ties.
    calls, p = shame_calls(monkeypatch, 0.0, 0.0, flag_find=True)
    step = shame_m.Shame(None)
    step.severed_ties = 5
    step.run(today(p))
    assert calls == [] and step.severed_ties == 5


# --- random-draw purposes: part of every seeded result ----------------------------------------

def test_sanction_attempt_purposes_fixed():
    assert (sanction_m.AIR_ATTEMPT, sanction_m.TRAIN_ATTEMPT, sanction_m.PURCHASE_ATTEMPT,
            sanction_m.JOB_ATTEMPT) == (1, 2, 3, 4)


# --- metric declarations on a fake tally ----------------------------------------------------

def fake_metrics(n=4, sums=None, counts=None, arrays=None, **kw):
    sums, counts, arrays = sums or {}, counts or {}, arrays or {}
    tally = SimpleNamespace(sum=lambda k: sums[k], count=lambda k: counts[k],
                            total=lambda k: arrays[k])
    return SimpleNamespace(tally=tally, n=n, **kw)


def test_score_metrics():
    m = fake_metrics(4, sums={"score_sum": 2000.0, "score_sq": 1_000_100.0,
                              "clean_sum": 2400.0},
                     group_score=np.array([900.0, 0.0]), group_size=np.array([2.0, 0.0]))
    assert score_m.SCORE_MEAN.value(m) == 500.0
    assert score_m.SCORE_SD.value(m) == pytest.approx(5.0)  # sqrt(250025 - 250000)
    assert score_m.CLEAN_SCORE_MEAN.value(m) == 600.0
    assert score_m.GROUP_SCORE_MEAN.value(m).tolist() == [450.0, 0.0]
    m = fake_metrics(2, sums={"score_sum": 2.0, "score_sq": 1.0})  # rounding below 0
    assert score_m.SCORE_SD.value(m) == 0.0


def test_adapt_behave_metrics():
    m = fake_metrics(4, sums={"fear_sum": 1.0, "deterrence": 3.0},
                     arrays={"acts": np.array([5, 7, 9, 0])},
                     p=SimpleNamespace(behave=SimpleNamespace(
                         penalised=np.array([1, 0, 1], np.uint8))),
                     names=SimpleNamespace(behaviours=("x", "y", "z")))
    assert adapt_m.FEAR_MEAN.value(m) == 0.25
    assert behave_m.DETERRENCE_MEAN.value(m) == 0.75
    assert behave_m.PENALISED_ACTS.value(m) == 14
    assert behave_m.ACTS.value(m).tolist() == [5, 7, 9]


def test_observe_reports_metrics():
    m = fake_metrics(counts={"misattributions": 3, "false_reports_filed": 2,
                             "false_reports_accepted": 1},
                     arrays={"seen": np.array([4, 1, 0]), "reported": np.array([2, 3, 9])},
                     names=SimpleNamespace(behaviours=("x", "y")))
    assert observe_m.MISATTRIBUTIONS.value(m) == 3
    assert observe_m.SEEN.value(m).tolist() == [4, 1]
    assert reports_m.REPORTS_ACCEPTED.value(m) == 5
    assert reports_m.REPORTED.value(m).tolist() == [2, 3]
    assert reports_m.FALSE_REPORTS_FILED.value(m) == 2
    assert reports_m.FALSE_REPORTS_ACCEPTED.value(m) == 1


def test_classify_metrics():
    m = fake_metrics(arrays={"group_listed": np.array([[2, 0, 3], [1, 0, 0]])},
                     group_size=np.array([4.0, 0.0, 6.0]),
                     names=SimpleNamespace(reference_group=0, groups=("a", "b", "c")))
    assert classify_m.LISTED_RATE.value(m).tolist() == [0.5, 0.0, 0.5]
    assert classify_m.WRONGFUL_RATE.value(m).tolist() == [0.25, 0.0, 0.0]
    assert classify_m.DISPARATE_IMPACT.value(m) == [1.0, 0.0, 1.0]
    m.names.reference_group = 1  # a reference group never listed: no ratio
    assert all(math.isnan(x) for x in classify_m.DISPARATE_IMPACT.value(m))


def test_shame_metrics():
    m = fake_metrics(counts={"deg_active": 30, "shamed": 2}, degree_total=40)
    assert shame_m.METRICS[3].value(m) == 0.75 and shame_m.METRICS[0].value(m) == 2
    m.degree_total = 0
    assert math.isnan(shame_m.METRICS[3].value(m))


# --- section defaults: the model's documented defaults, and valid ---------------------------

def test_observe_reports_section_defaults():
    surv, rep = observe_m.Surveillance(), reports_m.Reports()
    for section in (surv, rep, observe_m.Channel()):
        type(section).model_validate(section.model_dump())  # defaults pass their own checks
    assert observe_m.Channel().coverage == 0.5 and not observe_m.Channel().facial_recognition
    assert surv.enabled and surv.misattribution == 0.0
    assert {k: (c.coverage, c.facial_recognition) for k, c in surv.channels.items()} == {
        "camera": (0.3, True)}
    assert rep.enabled and rep.true_rate == 0.0
