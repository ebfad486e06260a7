"""The day loop: the phases of MODEL.md in order, the timeline, and per-phase timing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime

import numba
import numpy as np

from scsim.core import counters as T
from scsim.core.params import Names, Params, compile_params
from scsim.core.rng import stream_key
from scsim.mechanisms.adapt import adapt
from scsim.mechanisms.behave import ActModel, behave
from scsim.mechanisms.classify import announce_listings, classify
from scsim.mechanisms.companies import companies, penalise_representatives
from scsim.mechanisms.observe import misattribute, observe
from scsim.mechanisms.reports import false_reports, report
from scsim.mechanisms.sanction import sanction
from scsim.mechanisms.score import score
from scsim.mechanisms.shame import find_severed, restore, sever, shame
from scsim.outputs.metrics import MetricsRecorder
from scsim.outputs.result import Result
from scsim.scenario.loader import timeline_epochs
from scsim.scenario.schema import Scenario
from scsim.world.build import build_world

PHASES = ("behave", "observe", "report", "score", "classify", "sanction", "shame", "adapt",
          "companies", "metrics")


class Simulation:
    """One run of one scenario with one seed. ``run()`` returns a Result."""

    def __init__(self, scenario: Scenario, seed: int = 0, threads: int | None = None):
        if threads is not None:
            numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        self.seed = int(seed)
        self.names = Names.of(scenario)
        started = time.perf_counter()
        self.epochs: list[tuple[int, Params]] = [
            (day, compile_params(s, self.names)) for day, s in timeline_epochs(scenario)]
        self.state, self.scenario = build_world(scenario, self.names, self.epochs[0][1],
                                                self.seed)
        self.profile = {"setup": time.perf_counter() - started, **dict.fromkeys(PHASES, 0.0)}
        s = self.state
        self.tally = T.Tally(s.n, len(self.names.behaviours), len(self.names.groups),
                             len(self.names.tiers), len(self.names.privileges))
        self.recorder = MetricsRecorder(self.names, s, self.scenario.days,
                                        self.scenario.metrics.network_every,
                                        numba.get_num_threads())
        self.severed_ties = 0

    def run(self, progress: Callable[[int], None] | None = None) -> Result:
        """Simulate every day; ``progress(day)`` is called after each one."""
        started_at = datetime.now(UTC)
        t0 = time.perf_counter()
        epoch = 0
        for day in range(self.scenario.days):
            while epoch + 1 < len(self.epochs) and self.epochs[epoch + 1][0] <= day:
                epoch += 1
            self.step(day, self.epochs[epoch][1])
            if progress is not None:
                progress(day)
        wall = time.perf_counter() - t0
        return Result.from_simulation(self, wall_seconds=wall, started_at=started_at)

    @contextmanager
    def _phase(self, name: str):
        t = time.perf_counter()
        yield
        self.profile[name] += time.perf_counter() - t

    def _key(self, purpose: str, day: int):
        return stream_key(self.seed, purpose, day)

    def step(self, day: int, p: Params) -> None:
        """One day, phases 1-10 of MODEL.md (roll-out is the ``started`` mask)."""
        s, a, t, net = self.state, self.state.agents, self.tally, self.state.net
        started = (p.region_start_day <= day).astype(np.uint8)
        t.reset()
        acts = ActModel(  # what today's acts depend on: observe and report draw them again
            self._key("behave", day), p.b_rate, p.b_category, p.b_penalised, p.b_online,
            p.b_outside, p.b_key, a["propensity"], a["conformity"], a["fear"], a["status"],
            a["scores"], a["region"], started, bool(p.social_media_ban),
            float(p.arrest_threshold))
        with self._phase("behave"):
            behave(acts, a["acts_total"], a["scratch"], a["today"], t.behaviour, t.sums)
        observe_key = self._key("observe", day)
        with self._phase("observe"):
            observe(observe_key, p.b_delta, p.b_channel, p.b_severe, p.b_key, p.coverage,
                    p.facial, p.misattribution, a["group"], a["region"], s.region_start,
                    started, acts, a["scratch"], a["today"], t.counts, t.behaviour,
                    t.events)
            if t.events.any():
                misattribute(observe_key, p.b_delta, p.b_channel, p.b_severe, p.b_key,
                             p.coverage, p.facial, p.misattribution, a["group"], a["region"],
                             s.region_start, acts, a["scratch"], a["today"], t.events)
        false_key = self._key("false_report", day)
        with self._phase("report"):
            if p.true_report > 0.0 or p.false_rate > 0.0:
                report(observe_key, self._key("report", day), false_key, p.true_report,
                       p.false_rate, p.accept, p.b_delta, p.b_channel, p.b_severe,
                       p.b_reportable, p.b_key, p.coverage, p.facial, p.misattribution,
                       a["group"], a["region"], s.region_start, started, a["deg_active"],
                       a["malice"], acts, a["scratch"], a["today"], t.counts, t.behaviour,
                       t.events)
                if t.events.any():
                    false_reports(false_key, p.false_rate, p.envy, p.accept, p.power_bias,
                                  p.false_report_cdf, p.b_delta, p.b_severe, net.indptr,
                                  net.indices, net.tie, a["scores"], a["malice"],
                                  a["region"], started, a["scratch"], a["today"], t.counts,
                                  t.events)
        with self._phase("score"):
            if p.scoring:
                score(p.alpha, p.tie_weight, p.listed_penalty, p.group_bonus, p.has_bonus,
                      p.recovery, p.s0_group, p.s_min, p.s_max, net.indptr, net.indices,
                      net.tie, a["group"], a["region"], started, a["nbr_listed"],
                      a["nbr_clean_listed"], a["scores"], a["scratch"])
                a["scores"], a["scratch"] = a["scratch"], a["scores"]
        with self._phase("classify"):
            classify(self._key("classify", day), day, p.listing, p.threshold, p.duration,
                     p.severe_duration, p.renew, p.compliance, p.appeal_rate, p.appeal_win,
                     p.appeal_win_wrongful, p.correct_record, p.protection_days, p.tier_min,
                     a["region"], started, a["scores"], a["tier"], a["status"], a["today"],
                     a["listed_until"], a["times_listed"], a["days_listed"],
                     a["wrongful_listings"], t.counts, t.events)
            if t.events.any():
                announce_listings(net.indptr, net.indices, net.tie, a["status"], a["today"],
                                  a["nbr_listed"], a["nbr_clean_listed"], a["nbr_shamed"],
                                  t.events)
        with self._phase("sanction"):
            sanction(self._key("sanction", day), p.air_rate, p.train_rate, p.purchase_rate,
                     p.job_rate, p.social_media_ban, p.school_bar, p.school_both_parents,
                     p.arrest_threshold, p.p_threshold, p.p_rate, p.p_key, a["region"],
                     started, a["household"], s.household_start, a["scores"], a["status"],
                     a["blocked_tickets"], a["blocked_other"], a["privileges_used"],
                     a["school_barred_days"], t.counts, t.privilege)
        with self._phase("shame"):
            self._shame(day, p)
        with self._phase("adapt"):
            if p.fear:
                adapt(p.fear_speed, p.fear_social, p.fear_self, p.fear_margin, p.threshold,
                      a["region"], started, a["scores"], a["status"], a["deg_active"],
                      a["nbr_listed"], a["nbr_shamed"], a["fear"])
        with self._phase("companies"):
            c = s.companies
            if p.companies and len(c["score"]):
                companies(self._key("companies", day), p.e_rate, p.e_delta, p.e_coverage,
                          p.e_key, p.ct_min, p.ct_inspection, p.c_s0, p.c_min, p.c_max,
                          p.c_recovery, p.c_threshold, p.company_penalty, c["region"],
                          started, c["rep"], a["status"], c["score"], c["tier"], c["listed"],
                          c["events_total"], c["events_seen"], c["days_listed"])
                if p.rep_penalty > 0.0:
                    penalise_representatives(p.rep_penalty, p.s_min, p.s_max, c["listed"],
                                             c["rep"], a["scores"])
        with self._phase("metrics"):
            self.recorder.record(day, s, t, p, started, day == self.scenario.days - 1)
        s.day = day + 1

    def _shame(self, day: int, p: Params) -> None:
        a, t, net = self.state.agents, self.tally, self.state.net
        nbr = (a["deg_active"], a["nbr_listed"], a["nbr_clean_listed"], a["nbr_shamed"])
        if p.shame > 0.0:
            shame(self._key("shame", day), p.shame, a["status"], a["today"],
                  a["times_shamed"], t.counts, t.events)
            if t.events.any():
                sever(self._key("sever", day), p.sever, a["conformity"], net.indptr,
                      net.indices, net.tie, a["status"], a["today"], *nbr, a["ties_lost"],
                      t.counts, t.events)
        self.severed_ties += t.count(T.TIES_SEVERED)
        if p.restore > 0.0 and self.severed_ties > 0:
            find_severed(net.indptr, a["deg_active"], a["status"], t.events)
            if t.events.any():
                restore(self._key("restore", day), p.restore, net.indptr, net.indices,
                        net.tie, a["status"], *nbr, t.counts, t.events)
            self.severed_ties -= t.count(T.TIES_RESTORED)


def simulate(scenario: Scenario, seed: int = 0, *, threads: int | None = None,
             progress: Callable[[int], None] | None = None,
             store: str | os.PathLike | bool | None = None) -> Result:
    """Run ``scenario`` with ``seed`` and return its Result (metrics, agents, companies).
    ``store``: a run-store folder, or True for the default one (``SCSIM_STORE`` or
    ``./scsim-runs``), to keep the run there (its id is ``result.run_id``)."""
    sim = Simulation(scenario, seed, threads)
    if store is None or store is False:
        return sim.run(progress)
    from scsim.store import open_store

    return open_store(None if store is True else store).record(sim, progress)
