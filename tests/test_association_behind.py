"""Who is behind a wrongful listing by association: the neighbour the wrongful listings
table names (``neighbour_behind``), how many neighbours are listed wrongfully
(``wrongful_neighbours``), and the words ``explain --wrongful`` and the case files tell
(MODEL.md, "Provenance"; docs/provenance.md, "Why was this person listed?")."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import scsim
from conftest import bare, run_cli
from scsim.core.engine import Simulation
from scsim.core.state import CLEAN_LISTED, LISTED, WRONGFUL
from scsim.outputs import casefile
from scsim.outputs.casefile import Trace
from scsim.outputs.provenance import ASSOCIATION_BEHIND, association_behind
from scsim.world.network.csr import CODE_MASK, INACTIVE, SEVERED, TIE_BITS, TYPE_MASK

# Agent 0 has five neighbours (1-5); agent 6 has two (1 and 7); agent 3's only tie is to 0.
EDGES = "0 1\n0 2\n0 3\n0 4\n0 5\n6 1\n6 7\n"
# The star the scenario runs on: agent 0 and its four neighbours.
STAR = "0 1\n0 2\n0 3\n0 4\n"
QUIET_CAMERA = {"channels": {"camera": {"coverage": 0.0, "facial_recognition": True}},
                "misattribution": 0.5}  # errors are possible (two scores), none happens


def network_sim(tmp_path, edges: str, **sections) -> Simulation:
    """A simulation on the edge list ``edges`` where nobody is ever seen acting: scores move
    only by association."""
    path = tmp_path / "net.edges"
    path.write_text(edges)
    sc = bare(population={"agents": 8}, network={"kind": "file", "path": str(path)},
              behaviours=[{"name": "act", "rate": 1e-9, "delta": -1, "channel": "camera"}],
              surveillance=QUIET_CAMERA, **sections)
    return Simulation(sc, seed=1, trace=Trace(wrongful=True))


def tie_bits(net, i: int, j: int, bits: int, kind: int | None = None) -> None:
    """Set ``bits`` on the tie i-j, both ways, and, with ``kind``, make it that tie type."""
    for a, b in ((i, j), (j, i)):
        e = net.indptr[a] + list(net.neighbour_ids()[net.indptr[a]:net.indptr[a + 1]]).index(b)
        code = (int(net.entries[e]) & int(CODE_MASK)) | bits
        if kind is not None:
            code = (code & ~int(TYPE_MASK)) | kind
        net.entries[e] = (int(net.entries[e]) >> int(TIE_BITS) << int(TIE_BITS)) | code


def behind(state, ids, alpha=0.1, beta=0.0, weights=(1.0, 1.0, 1.0)):
    p = SimpleNamespace(alpha=alpha, listed_penalty=beta,
                        tie_weight=np.array(weights, np.float64))
    out = association_behind(state, p, np.asarray(ids, np.int64))
    return [dict(zip(ASSOCIATION_BEHIND, row, strict=True)) for row in out]


@pytest.fixture
def star(tmp_path):
    """Agent 0's neighbours, recorded and error-free scores: 1: 990/1000 (a work tie),
    2: 975/1000, 3: 900/1000 behind a severed tie, 4: 1000/1000, 5: 1010/1000 (its errors
    raised it); agent 6's: 1 and 7 (1000/1000)."""
    sim = network_sim(tmp_path, EDGES)
    a, net = sim.state.agents, sim.state.net
    a["scores"][:, :] = 1000.0
    a["scores"][[1, 2, 3, 5], 0] = [990.0, 975.0, 900.0, 1010.0]
    tie_bits(sim.state.net, 0, 3, SEVERED)
    tie_bits(sim.state.net, 0, 1, 0, kind=2)
    assert ((net.tie_codes()[net.indptr[0]:net.indptr[1]] & INACTIVE) != 0).sum() == 1
    return sim.state


def test_the_neighbour_behind_is_the_largest_weighted_gap_among_active_ties(star):
    """Without a listed neighbour, the one named is the active neighbour whose error-free
    score exceeds its recorded one most, by tie weight: agent 2 (gap 25) with equal
    weights, agent 1 (gap 10 × 3) when work ties weigh 3; never agent 3, whose gap is the
    largest but whose tie is severed. Agent 6 (ties to 1 and 7, in the same call): agent
    1; agent 3, whose only tie is severed: nobody; agent 7, whose neighbour's errors
    raised nothing: nobody."""
    zero, six, three, seven = behind(star, [0, 6, 3, 7])
    assert (zero["neighbour_behind"], zero["neighbour_score"],
            zero["neighbour_clean_score"]) == (2, 975.0, 1000.0)
    assert (zero["neighbour_wrongful"], zero["wrongful_neighbours"]) == (0, 0)
    assert (six["neighbour_behind"], six["neighbour_score"]) == (1, 990.0)
    for nobody in (three, seven):
        assert nobody["neighbour_behind"] == -1 and np.isnan(nobody["neighbour_score"])
        assert nobody["wrongful_neighbours"] == 0
    (weighted,) = behind(star, [0], weights=(1.0, 1.0, 3.0))
    assert weighted["neighbour_behind"] == 1


def test_a_wrongfully_listed_neighbour_is_named_when_the_penalty_outweighs_the_pull(star):
    """Agent 4 listed wrongfully (listed, not on the error-free record), agent 5 listed
    rightfully, agent 3 listed wrongfully behind a severed tie: one wrongfully listed
    active neighbour. With β = 1 point a day against a pull of at most 0.1 × 25 / 6, agent
    4 is named though its scores agree; with β tiny, agent 2's pull wins again; with agent
    2 listed wrongfully too, agent 2 (both)."""
    status = star.agents["status"]
    status[4] = LISTED | WRONGFUL
    status[5] = LISTED | CLEAN_LISTED
    status[3] = LISTED | WRONGFUL
    (heavy,) = behind(star, [0], beta=1.0)
    assert (heavy["neighbour_behind"], heavy["neighbour_wrongful"],
            heavy["wrongful_neighbours"]) == (4, 1, 1)
    (light,) = behind(star, [0], beta=1e-3)
    assert (light["neighbour_behind"], light["neighbour_wrongful"],
            light["wrongful_neighbours"]) == (2, 0, 1)
    status[2] = LISTED | WRONGFUL
    (both,) = behind(star, [0], beta=1.0)
    assert (both["neighbour_behind"], both["wrongful_neighbours"]) == (2, 2)
    # Once the error-free record lists agent 4 too, it no longer counts.
    status[4] |= CLEAN_LISTED
    (joined,) = behind(star, [0], beta=1.0)
    assert (joined["neighbour_behind"], joined["wrongful_neighbours"]) == (2, 1)


@pytest.mark.parametrize(("beta", "threshold"), [(0.0, 975.0), (5.0, 960.0)])
def test_a_listing_by_association_names_the_neighbour_whose_errors_pulled_it_down(
        tmp_path, beta, threshold):
    """A star: agent 0 (1000) and its neighbours 1 (recorded 990, error-free 1000), 2 (900,
    1000: listed wrongfully on day 0), 3 (800, 1000: listed wrongfully too, but its tie to 0
    is severed) and 4 (940, 940: listed rightfully). Association alone (the pull, and with
    β the penalty for agent 2) lists agent 0 wrongfully some days later. The table names
    agent 2: the active neighbour whose error-free score is furthest above its recorded
    one at the listing (agent 3's gap is larger still, behind the severed tie), itself
    listed wrongfully, the only wrongfully listed active neighbour."""
    sim = network_sim(tmp_path, STAR, days=20,
                      scoring={"recovery": 0.0,
                               "association": {"alpha": 0.1, "listed_penalty": beta}},
                      listing={"enabled": True, "threshold": threshold, "duration": 60})
    a, net = sim.state.agents, sim.state.net
    a["scores"][1:5, 0] = [990.0, 900.0, 800.0, 940.0]
    a["scores"][1:5, 1] = [1000.0, 1000.0, 1000.0, 940.0]
    # no mechanism of this run severs ties, so it keeps no active degree: give it one
    a["deg_active"] = np.diff(net.indptr).astype(a["nbr_listed"].dtype)
    tie_bits(net, 0, 3, SEVERED)
    a["deg_active"][[0, 3]] -= 1
    listed = None
    for day in range(sim.scenario.days):
        sim.run_until(day + 1)
        rows = sim.provenance.today_rows
        if 0 in rows[:, 1]:
            listed = day
            break
    assert listed is not None and listed > 0
    # The state at the listing, by hand: the active neighbours' gaps and who is listed
    # wrongfully.
    ties = range(net.indptr[0], net.indptr[1])
    active = [int(net.neighbour_ids()[e]) for e in ties if not net.tie_codes()[e] & INACTIVE]
    assert active == [1, 2, 4]
    gap = {j: float(a["scores"][j, 1]) - float(a["scores"][j, 0]) for j in (1, 2, 3, 4)}
    assert max(gap, key=gap.get) == 3 and max(active, key=gap.get) == 2
    wrongly = [j for j in active
               if a["status"][j] & LISTED and not a["status"][j] & CLEAN_LISTED]
    assert wrongly == [2] and a["status"][3] & LISTED and not a["status"][3] & CLEAN_LISTED
    res = sim.run()
    w = res.wrongful.set_index("agent").loc[0]
    assert (w.day, w.cause) == (listed, "association")
    assert w.damage_association > w.threshold_gap > 0
    assert (w.neighbour_behind, w.neighbour_wrongful, w.wrongful_neighbours) == (2, True, 1)
    assert w.neighbour_clean_score - w.neighbour_score == pytest.approx(gap[2], abs=1e-3)
    assert 3 not in set(res.wrongful["neighbour_behind"])
    # The case file's listing names the same neighbour, as explain --wrongful does.
    told = (f"errors in its neighbours' records cost it {w.damage_association:.1f} points, "
            f"the most through agent 2 (score {w.neighbour_score:.1f}, error-free "
            f"{w.neighbour_clean_score:.1f}, itself wrongfully listed)")
    assert f"LISTED — wrongfully (cause: association); {told}" in res.explain(0).text
    (story,) = [s for s in casefile.wrongful_stories(res, 10) if s.startswith("agent 0,")]
    assert story.endswith(f"), cause association; {told}")


def test_explain_wrongful_names_the_neighbour_behind(tmp_path, monkeypatch, capsys):
    """The CLI: ``explain --wrongful`` tells who among the neighbours is behind a listing
    by association, of a run kept in a store. The star of the test above, no tie severed:
    agents 2 and 3 are both listed wrongfully and cost agent 0 the same penalty; agent 3,
    whose errors took more off its recorded score, is named as the one through whom the
    most came."""
    sim = network_sim(tmp_path, STAR, days=20,
                      scoring={"recovery": 0.0,
                               "association": {"alpha": 0.1, "listed_penalty": 5.0}},
                      listing={"enabled": True, "threshold": 960.0, "duration": 60})
    a = sim.state.agents
    a["scores"][1:5, 0] = [990.0, 900.0, 800.0, 940.0]
    a["scores"][1:5, 1] = [1000.0, 1000.0, 1000.0, 940.0]
    store = str(tmp_path / "store")
    scsim.open_store(store).record(sim)
    code, out, _ = run_cli(monkeypatch, capsys, "explain", "last", "--wrongful", "10",
                           "--store", store)
    assert code == 0
    (line,) = [s for s in out.splitlines() if s.startswith("agent 0,")]
    assert "threshold), cause association; " in line
    assert line.endswith("itself wrongfully listed), and 1 other neighbour was wrongfully "
                         "listed too")
    w = scsim.open_store(store).load("last").wrongful.set_index("agent").loc[0]
    assert (f"; errors in its neighbours' records cost it {w.damage_association:.1f} points, "
            "the most through agent 3 (score ") in line and w.neighbour_behind == 3
    assert w.neighbour_clean_score - w.neighbour_score > 100  # agent 2 started at 100


COST = "; errors in its neighbours' records cost it 21.3 points, the most through agent 7"


@pytest.mark.parametrize(("behind", "itself", "count", "told"), [
    (-1, False, 0, ""),
    (-1, False, 1, "; 1 of its neighbours was wrongfully listed"),
    (-1, False, 3, "; 3 of its neighbours were wrongfully listed"),
    (7, False, 0, f"{COST} (score 540.2, error-free 561.0)"),
    (7, False, 2, f"{COST} (score 540.2, error-free 561.0), and 2 of its neighbours were "
                  "wrongfully listed"),
    (7, True, 1, f"{COST} (score 540.2, error-free 561.0, itself wrongfully listed)"),
    (7, True, 2, f"{COST} (score 540.2, error-free 561.0, itself wrongfully listed), and 1 "
                 "other neighbour was wrongfully listed too"),
    (7, True, 4, f"{COST} (score 540.2, error-free 561.0, itself wrongfully listed), and 3 "
                 "other neighbours were wrongfully listed too")])
def test_the_neighbours_behind_read_as_words(behind, itself, count, told):
    w = SimpleNamespace(neighbour_behind=behind, neighbour_wrongful=itself,
                        neighbour_score=540.2, neighbour_clean_score=561.0,
                        wrongful_neighbours=count, damage_association=21.34)
    assert casefile._neighbours(w) == told


def test_a_neighbours_scores_are_told_apart():
    """A neighbour named for its listing alone may have scores a hair apart: they are told
    with the decimals it takes; a row of a run saved before the columns names nobody."""
    w = SimpleNamespace(neighbour_behind=7, neighbour_wrongful=True, neighbour_score=549.96,
                        neighbour_clean_score=549.98, wrongful_neighbours=1)
    assert casefile._neighbours(w).startswith(  # a row without the damage: no figure
        "; errors in its neighbours' records cost it points, the most through agent 7 "
        "(score 549.96, error-free 549.98, itself")
    assert casefile._neighbours(SimpleNamespace(day=3)) == ""
