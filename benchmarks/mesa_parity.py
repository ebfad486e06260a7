"""The ``mesa-parity`` scenario written as idiomatic Mesa 3 code, for the speed comparison.

One agent object per citizen with its own methods, the network as a Mesa ``Network`` of
cells (built from a networkx graph), and the day as stages run over the model's AgentSet,
the way the Mesa examples (e.g. virus_on_network) are written. The semantics follow
scsim's phases for this scenario (src/scsim/scenarios/mesa-parity.yaml):

1. behave and observe: Poisson(rate) acts per behaviour, each seen with the coverage;
2. score: s + seen deltas + alpha * (mean neighbour score - s), clamped, from yesterday's
   scores of everyone (computed for all agents first, then applied);
3. classify: listed for ``duration`` days when the score is below the threshold;
4. sanction: listed agents make Poisson(air_rate) air-ticket attempts, all blocked.

Random numbers come from the model's numpy generator, so the two simulators draw different
numbers: they agree in distribution, which ``benchmarks/bench.py`` checks on the share
listed.
"""

from __future__ import annotations

import mesa
import networkx as nx
from mesa.discrete_space import FixedAgent, Network

from scsim.scenario.schema import Scenario


class Citizen(FixedAgent):
    """A citizen on one node of the network."""

    def __init__(self, model: ParityModel, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.score = model.s0
        self.next_score = model.s0
        self.delta = 0.0
        self.listed = False
        self.listed_until = -1
        self.blocked_air = 0

    def behave(self) -> None:
        """Today's acts and what the cameras saw of them (points)."""
        model = self.model
        delta = 0.0
        for rate, points in model.behaviours:
            acts = model.rng.poisson(rate)
            if acts:
                delta += model.rng.binomial(acts, model.coverage) * points
        self.delta = delta

    def update_score(self) -> None:
        """Tomorrow's score from today's scores of the neighbours."""
        model = self.model
        neighbours = [n.score for n in self.cell.neighborhood.agents]
        score = self.score + self.delta
        if neighbours:
            score += model.alpha * (sum(neighbours) / len(neighbours) - self.score)
        self.next_score = min(max(score, model.s_min), model.s_max)

    def commit(self) -> None:
        self.score = self.next_score

    def classify(self) -> None:
        day = self.model.day
        if self.listed:
            if self.listed_until <= day:
                self.listed = False
        elif self.score < self.model.threshold:
            self.listed = True
            self.listed_until = day + self.model.duration

    def sanction(self) -> None:
        if self.listed:
            self.blocked_air += self.model.rng.poisson(self.model.air_rate)


class ParityModel(mesa.Model):
    """The mesa-parity scenario on a given networkx graph (node ids 0..n-1)."""

    def __init__(self, sc: Scenario, graph: nx.Graph, seed: int = 0) -> None:
        super().__init__(seed=seed)
        coverage = next(iter(sc.surveillance.channels.values())).coverage
        self.behaviours = [(b.rate, b.delta) for b in sc.behaviours]
        self.coverage = coverage
        self.alpha = sc.scoring.association.alpha
        self.s0, self.s_min, self.s_max = sc.scoring.s0, sc.scoring.min, sc.scoring.max
        self.threshold = sc.listing.threshold
        self.duration = sc.listing.duration
        self.air_rate = sc.sanctions.travel.air_rate
        self.day = 0
        self.listed_per_day: list[int] = []
        self.grid = Network(graph, random=self.random)
        for node in graph.nodes:
            Citizen(self, self.grid[node])

    def step(self) -> None:
        for stage in ("behave", "update_score", "commit", "classify", "sanction"):
            self.agents.do(stage)
        self.listed_per_day.append(sum(1 for a in self.agents if a.listed))
        self.day += 1


def graph_of(indptr, indices) -> nx.Graph:
    """The networkx graph of a CSR network (scsim's ``Network``)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(indptr) - 1))
    graph.add_edges_from((i, int(j)) for i in range(len(indptr) - 1)
                         for j in indices[indptr[i]:indptr[i + 1]] if i < j)
    return graph


def run(sc: Scenario, graph: nx.Graph, days: int, seed: int = 0) -> ParityModel:
    """Run the Mesa model for ``days`` days and return it."""
    model = ParityModel(sc, graph, seed)
    for _ in range(days):
        model.step()
    return model
