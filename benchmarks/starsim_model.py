"""The simple configuration (``plain_numpy.SIMPLE``) in Starsim 3.7, the framework a
modeller would pick instead of scsim: one ``ss.Module`` with vectorised numpy over the
network's edge arrays (``p1``, ``p2`` of an ``ss.Network``), Starsim's states and its
common-random-number distributions, a daily time step.

Run in a process of its own (Starsim is in the ``bench`` extra; ``bench.py
--starsim-python PATH`` uses another environment's): the benchmark writes the network as an
``.npz`` of undirected edges and the parameters as JSON, and runs

    PATH benchmarks/starsim_model.py NETWORK.npz PARAMS.json DAYS SEED

which prints one JSON line: seconds for the days (setup excluded: ``sim.init()`` is
timed separately) and the number listed on the last day.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import starsim as ss


class Scoring(ss.Module):
    """Acts seen by a camera, association toward the neighbour mean, recovery, listing
    below a threshold and blocked air tickets, vectorised over agents and edges."""

    def __init__(self, pars=None, **kwargs):
        super().__init__()
        self.define_pars(rate=0.05, delta=-10.0, coverage=0.5, alpha=0.05, rho=0.01,
                         s0=1000.0, s_min=0.0, s_max=2000.0, threshold=940.0,
                         duration=365, air_rate=0.01)
        self.update_pars(pars, **kwargs)
        self.define_states(
            ss.FloatArr("score", default=self.pars.s0),
            ss.FloatArr("listed_until", default=-1.0),
            ss.FloatArr("blocked_air", default=0.0),
        )
        # seen acts: a Poisson(rate) count of acts, each seen with the coverage, is a
        # Poisson(rate x coverage) count of seen acts (thinning), drawn per agent
        self.seen = ss.poisson(lam=self.pars.rate * self.pars.coverage)
        self.tickets = ss.poisson(lam=self.pars.air_rate)
        self.degree = None

    def init_post(self):
        super().init_post()
        net = self.sim.networks[0]
        n = len(self.sim.people)
        self.degree = (np.bincount(net.p1, minlength=n) + np.bincount(net.p2, minlength=n))

    def step(self):
        p = self.pars
        uids = self.sim.people.auids
        net = self.sim.networks[0]
        p1, p2 = net.p1, net.p2
        s = self.score.raw[: len(self.degree)]
        # behave and observe: today's seen acts of every agent
        seen = self.seen.rvs(uids)
        # score: association and recovery from yesterday's scores, over the edge arrays
        nsum = np.bincount(p1, weights=s[p2], minlength=len(s)) + np.bincount(
            p2, weights=s[p1], minlength=len(s))
        has = self.degree > 0
        new = s + p.rho * (p.s0 - s)
        new[has] += p.alpha * (nsum[has] / self.degree[has] - s[has])
        new[uids] += p.delta * seen
        self.score[uids] = np.clip(new[uids], p.s_min, p.s_max)
        # classify and sanction
        day = self.ti
        listed = self.listed_until.raw[: len(s)] > day
        newly = uids[(~listed[uids]) & (self.score[uids] < p.threshold)]
        self.listed_until[newly] = day + p.duration
        who = uids[self.listed_until[uids] > day]
        self.blocked_air[who] = self.blocked_air[who] + self.tickets.rvs(who)
        self.n_listed = len(who)


def main() -> None:
    network, params, days, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    edges = np.load(network)
    with open(params) as f:
        pars = json.load(f)
    net = ss.Network(p1=edges["p1"], p2=edges["p2"], beta=np.ones(len(edges["p1"])))
    model = Scoring(pars=pars)
    sim = ss.Sim(n_agents=int(edges["n"]), modules=[model], networks=[net],
                 dt=ss.days(1), dur=ss.days(days), rand_seed=seed, verbose=0,
                 people_results=False)
    t0 = time.perf_counter()
    sim.init()
    t1 = time.perf_counter()
    sim.run()
    t2 = time.perf_counter()
    model = next(m for m in sim.modules if isinstance(m, Scoring))  # the sim's own copy
    print(json.dumps({"setup_s": t1 - t0, "run_s": t2 - t1, "listed": model.n_listed,
                      "steps": int(sim.t.npts),
                      "starsim": ss.__version__}))


if __name__ == "__main__":
    main()
