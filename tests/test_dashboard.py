"""The dashboard's server side, without a browser and without its worker process: the
levers, the question turned into a scenario (same messages as ``scsim validate``), what the
browser may not do (file paths, other hosts, odd run ids), the size cap and one job per page.
The browser tests (tests/test_dashboard_browser.py) run the whole thing."""

from __future__ import annotations

import codecs
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the dashboard needs scsim[dashboard]")
pytest.importorskip("httpx", reason="Starlette's test client needs httpx")

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2 (same API)
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from conftest import INERT_ON_PURPOSE, left_out_on_purpose, run_cli
from scsim.dashboard.app import create_app
from scsim.dashboard.levers import LEVERS, idle, levers_for
from scsim.dashboard.settings import leaves, scenario_of, side_of, sides_of
from scsim.dashboard.views import TRACED_SHOWN, agent_view, floats, run_view
from scsim.dashboard.worker import TRACED
from scsim.errors import ScenarioError, ScsimError
from scsim.outputs.words import in_digits, significant
from scsim.scenario import builtin_names, load_scenario
from scsim.store import open_store

NATIONAL = {"kind": "builtin", "ref": "national-800"}


@pytest.fixture
def client(tmp_path):
    """The app without its lifespan: no worker starts, so jobs stay queued."""
    app = create_app(tmp_path / "store", max_agent_days=1_000_000)
    c = TestClient(app, base_url="http://127.0.0.1")  # not entered: no lifespan
    c.get("/")  # the session cookie
    return c


@INERT_ON_PURPOSE
def test_levers_of_national_800_follow_the_scenario():
    sc = load_scenario("national-800")
    levers = {lever["path"]: lever for lever in levers_for(sc)}
    assert levers["listing.threshold"]["value"] == 550
    assert (levers["listing.threshold"]["low"], levers["listing.threshold"]["high"]) == (0, 800)
    # the roll-out lever is the scenario's last step (day 90, in national-800)
    assert levers["regions.rollout[1].day"]["value"] == 90
    assert levers["regions.rollout[1].day"]["high"] == sc.days
    assert levers["regions.rollout[1].day"]["high_days"]  # the page follows Days
    assert all(lever["unit"] and lever["explain"] for lever in levers.values())
    # every lever names a real setting: moving it changes the scenario
    for path, lever in levers.items():
        moved = (not lever["value"]) if lever["kind"] == "switch" else lever["high"]
        changed = load_scenario("national-800", overrides={path: moved})
        assert changed.model_dump() != sc.model_dump(), path


def test_a_lever_a_scenario_lacks_is_not_shown():
    sc = load_scenario("national-800", overrides={"listing.threshold": None})
    paths = [lever["path"] for lever in levers_for(sc)]
    assert "listing.threshold" not in paths
    assert len(LEVERS) > len(paths)


def _moved(name, size, levers):
    """The scenario with ``levers`` moved: to their top (to the bottom if there), a switch
    flipped."""
    moves = {lever["path"]: (not lever["value"]) if lever["kind"] == "switch" else (
        lever["high"] if lever["value"] != lever["high"] else lever["low"])
        for lever in levers}
    return load_scenario(name, **size, overrides=moves)


def _outputs(sc):
    import scsim

    res = scsim.simulate(sc, seed=1)
    return res.metrics, res.agents


@INERT_ON_PURPOSE
@pytest.mark.parametrize("name", builtin_names())
def test_every_lever_offered_changes_an_output(name, compiled_kernels):
    """A lever the page offers (``in_use``) changes the outputs of a small paired run
    when moved (to its top, a switch flipped; with the levers it brings into use, moved
    too: public shaming switched on with its probability); in the control (no-system) and
    the list-only reading (court-blacklist), those it hides change nothing (but the count
    of agents in regions the system has reached)."""
    size = {"agents": 3000, "days": 200}
    base = load_scenario(name, **size)
    metrics, agents = _outputs(base)
    offered = [lever for lever in levers_for(base) if lever["in_use"]]
    assert len(offered) == len(LEVERS) - len(idle(base))
    for lever in levers_for(base):
        if not lever["in_use"] and name not in ("no-system", "court-blacklist"):
            continue
        try:
            moved = _moved(name, size, [lever])
            if lever["in_use"]:
                brought = set(idle(base)) - set(idle(moved))
                moved = _moved(name, size, [lever, *(lv for lv in levers_for(base)
                                                     if lv["path"] in brought)])
        except ScenarioError:  # a setting the scenario file lacks (its default roll-out)
            assert not lever["in_use"]
            continue
        m, a = _outputs(moved)
        changed = not (m.drop(columns="agents_active").equals(
            metrics.drop(columns="agents_active")) and a.equals(agents))
        assert changed == lever["in_use"], (lever["path"], moved)
    if name == "no-system":
        assert not offered  # nothing to move: nothing is observed, scored or listed


def test_all_settings_are_every_leaf_with_units():
    sc = load_scenario("national-800")
    rows = {row["path"]: row for row in leaves(sc)}
    # agents and days have their own boxes, which own them: not listed twice
    assert "population.agents" not in rows and "days" not in rows
    assert "population.household_size" in rows
    assert rows["scoring.association.listed_penalty"]["value"] == 0.3
    assert rows["scoring.association.listed_penalty"]["kind"] == "number"
    assert rows["sanctions.enabled"]["kind"] == "bool"
    assert rows["behaviours[2].rate"]["value"] == 0.01  # criticising_government
    # which behaviour it is, so that typing "critic" in the filter finds it
    assert rows["behaviours[2].rate"]["meaning"] == ("criticising government: acts per "
                                                     "agent per day at propensity 1")
    assert rows["tiers[0].min"]["unit"] == "points"
    assert not any(path.endswith(".path") for path in rows)  # no file paths offered


def test_settings_are_explained_without_the_model_s_symbols():
    """The settings table told a teacher "per-day pull toward the neighbour mean", "status
    quantile: ..." and "deterred by fear; default delta < 0": each says what it does in
    plain words first, a symbol of the model's formulas only in an aside."""
    rows = {row["path"]: row for name in builtin_names()
            for row in leaves(load_scenario(name))}
    symbols = re.compile(r"\b(alpha|beta|rho|delta|quantile)\b|<")
    for path, row in rows.items():
        plain = re.sub(r"\s*\([^()]*\)", "", row["meaning"])
        plain = re.sub(r"\b[a-z_]+(?:\.[a-z_]+)+\b", "", plain)  # a setting named
        assert not symbols.search(plain), (path, row["meaning"])
    assert rows["scoring.association.alpha"]["meaning"] == (
        "the daily pull toward the average score of one's active contacts: the share of the "
        "gap closed each day")
    assert rows["behaviours[0].penalised"]["meaning"].endswith(
        "whether fear keeps people from it; unset: yes for an act that costs points (delta "
        "below 0)")


def test_a_question_gives_the_messages_of_scsim_validate(tmp_path):
    store = open_store(tmp_path / "store")
    body = {"source": NATIONAL, "settings": {"fear.speed": "-1"},
            "levers": {"surveillance.misattribution": 2.0}}
    with pytest.raises(ScenarioError) as asked:
        scenario_of(body, store)
    with pytest.raises(ScenarioError) as validated:
        load_scenario("national-800", overrides=["fear.speed=-1",
                                                 "surveillance.misattribution=2.0"])
    assert asked.value.problems == validated.value.problems
    assert len(asked.value.problems) == 2
    sc = scenario_of({"source": NATIONAL, "agents": 1234, "days": 7,
                      "settings": {"listing.threshold": "600"}}, store)
    assert (sc.population.agents, sc.days, sc.listing.threshold) == (1234, 7, 600)


@pytest.mark.parametrize("settings", [{"network.path": "/etc/passwd"},
                                      {"base": "/etc/passwd"}])
def test_settings_that_name_files_are_refused(tmp_path, settings):
    with pytest.raises(ScenarioError, match="files cannot be named from the dashboard"):
        scenario_of({"source": NATIONAL, "settings": settings}, open_store(tmp_path / "s"))


@pytest.mark.parametrize(("body", "problem"), [
    ({"source": "national-800"}, "a scenario source is a built-in scenario or a stored run"),
    ({"source": NATIONAL, "settings": [1, 2]}, "'settings' must map settings to values"),
    ({"source": NATIONAL, "levers": "x"}, "'levers' must map settings to values"),
])
def test_a_malformed_question_is_answered_in_words(client, body, problem):
    """Hand-made requests with the wrong shapes: a 400 that says what is wrong, never a
    server error (they were 500s with a traceback)."""
    for endpoint in ("/api/validate", "/api/run"):
        answer = client.post(endpoint, json=body)
        if endpoint == "/api/validate":  # the page's check: problems, not an error
            assert answer.status_code == 200 and problem in answer.json()["problems"][0]
        else:
            assert answer.status_code == 400 and problem in answer.json()["error"]
    compare = client.post("/api/compare", json={"source": NATIONAL, "a": [1], "b": {}})
    assert compare.status_code == 400
    assert "'a' must be a mapping" in compare.json()["error"]


def test_an_unknown_setting_is_unknown_not_a_file(tmp_path):
    """Only network.path and base name files; another path that ends in 'path' is
    simply not a setting."""
    with pytest.raises(ScenarioError) as err:
        scenario_of({"source": NATIONAL, "levers": {"no.such.path": 1}},
                    open_store(tmp_path / "s"))
    assert err.value.problems[0].startswith("override no.such.path=1: no: unknown key")


def test_validate_endpoint(client):
    ok = client.post("/api/validate", json={"source": NATIONAL, "agents": 200}).json()
    assert ok == {"ok": True, "problems": [], "agents": 200, "days": 365, "compare_ok": True,
                  "compare_problems": [], "idle": ["shaming.probability"], "advice": [],
                  "changes": {}, "a_changes": {}}
    # a setting typed that would do nothing is said, as `scsim validate` says it: it may run
    idle = client.post("/api/validate", json={"source": NATIONAL, "agents": 200, "settings": {
        "reports.false_rate": "0.01"}}).json()
    # (without the command line's "override reports.false_rate=0.01: ", and by its path:
    # no lever moves it)
    assert (idle["ok"], idle["problems"], idle["advice"]) == (True, [], [
        "reports.false_rate is set but reports.enabled is false (in the scenario it starts "
        "from), so nobody will report anyone: set reports.enabled: true"])
    on = client.post("/api/validate", json={"source": NATIONAL, "agents": 200, "settings": {
        "reports.false_rate": "0.01", "reports.enabled": "true"}}).json()
    assert (on["ok"], on["advice"]) == (True, [])
    bad = client.post("/api/validate", json={"source": NATIONAL,
                                             "settings": {"fear.speed": "-1"}}).json()
    assert bad["ok"] is False
    assert bad["problems"] == ["fear.speed: must be >= 0"]  # said where it was typed
    # a setting with a lever is named by its label, as the page shows it
    typed = client.post("/api/validate", json={"source": NATIONAL, "levers": {
        "listing.threshold": "abc"}}).json()
    assert typed["problems"] == ["Listing threshold: must be a number, got 'abc'"]
    unknown = client.post("/api/validate", json={"source": {"kind": "builtin",
                                                            "ref": "../../etc/passwd"}})
    assert unknown.json()["problems"] == ["no built-in scenario '../../etc/passwd'"]


@pytest.mark.parametrize(("box", "typed", "problem"), [
    ("seed", "1.5", "Seed: 1.5 is not a whole number; type a whole number from 0 to "
                    "9,223,372,036,854,775,807"),
    ("seed", "", "Seed: empty; type a whole number from 0 to 9,223,372,036,854,775,807"),
    ("seed", "-1", "Seed: -1 is out of range; type a whole number from 0 to "
                   "9,223,372,036,854,775,807"),
    ("agents", "1.5", "Agents: 1.5 is not a whole number; type a whole number of 2 or more"),
    ("agents", "not a number", "Agents must be a whole number of 2 or more"),
    ("days", "e", "Days must be a whole number of 1 or more"),
    ("days", "", "Days: empty; type a whole number of 1 or more"),
    ("agents", "5000000", "too big for this dashboard: 5,000,000 agents × 30 days = "
                          "150,000,000 agent-days, over the limit of 1,000,000: use at "
                          "most 33,333 agents, or fewer days (or start it with scsim "
                          "dashboard --max-agent-days N to allow more)"),
])
def test_the_boxes_are_checked_as_typed_in_plain_words(client, box, typed, problem):
    """What the boxes hold is never rounded or guessed (seed 1.5 is not seed 1), and a
    question too big for the dashboard keeps Run disabled (ok false) before it is run."""
    question = {"source": NATIONAL, "agents": "2000", "days": "30", "seed": "1", box: typed}
    out = client.post("/api/validate", json=question).json()
    assert (out["ok"], out["problems"]) == (False, [problem])
    assert client.post("/api/run", json=question).status_code == 400


def test_agents_too_many_for_the_schema_are_too_big_for_the_dashboard(client):
    """A number of agents over the scenario schema's own limit is said as any question too
    big for the dashboard (the most agents that fit), not in the schema's words; the
    question's other problems are still said."""
    question = {"source": NATIONAL, "agents": "99999999999999999999999", "days": "60"}
    out = client.post("/api/validate", json=question).json()
    assert out["ok"] is False
    assert out["problems"] == [
        "too big for this dashboard: 99,999,999,999,999,999,999,999 agents × 60 days = "
        "5,999,999,999,999,999,999,999,940 agent-days, over the limit of 1,000,000: use at "
        "most 16,666 agents, or fewer days (or start it with scsim dashboard "
        "--max-agent-days N to allow more)"]
    both = client.post("/api/validate", json={**question, "settings": {"fear.speed": "-1"}})
    assert both.json()["problems"][1:] == ["fear.speed: must be >= 0"]
    # days over the schema's limit: the same one sentence ("days: must be <= 100000" was
    # said beside it)
    days = client.post("/api/validate", json={**question, "agents": "2000",
                                               "days": "1000000"}).json()
    assert len(days["problems"]) == 1 and days["problems"][0].startswith(
        "too big for this dashboard: 2,000 agents × 1,000,000 days")
    run = client.post("/api/run", json=question)
    assert run.status_code == 400 and run.json()["error"].startswith("too big for this")
    compare = client.post("/api/compare", json={**question, "reps": 1})
    assert compare.status_code == 400 and "2 runs × 99,999" in compare.json()["error"]


def test_advice_names_the_levers_in_their_words(client):
    """Advice about a setting a lever moves names the lever, as the page labels it, and
    what to do with it; the command line's "override KEY=VALUE: " is left out."""
    on = client.post("/api/validate", json={"source": NATIONAL, "agents": "200",
                                            "levers": {"shaming.enabled": True}}).json()
    assert on["advice"] == ["Public shaming is on but the Shaming probability is 0 %, so "
                            "nobody will be shamed: move the Shaming probability slider"]
    off = client.post("/api/validate", json={"source": NATIONAL, "agents": "200",
                                             "settings": {"shaming.probability": "0.5"}})
    assert off.json()["advice"] == [
        "Shaming probability is set but Public shaming is off (in the scenario it starts "
        "from), so nobody will be shamed: switch Public shaming on"]


def test_a_question_shorter_than_a_timeline_step_is_told_it_leaves_the_step_out(client):
    """high-control in 60 days: the days box drops its abolition on day 365, which the
    page said nothing of (only the command line warned); the loader's warning is among
    the advice, once. Its own 730 days reach the step: nothing to say."""
    source = {"kind": "builtin", "ref": "high-control"}
    short = client.post("/api/validate", json={"source": source, "agents": "200",
                                               "days": "60"}).json()["advice"]
    assert len(short) == 1 and short[0].endswith("(left out)")
    # the steps as written (not "the Listing threshold 0, the Sanctions false"), and not
    # where the days were given (the page's own box)
    assert short[0].startswith("the run ends before its timeline's day 365: surveillance."
                               "enabled false, reports.enabled false, listing.threshold 0, "
                               "sanctions.enabled false"), short[0]
    whole = client.post("/api/validate", json={"source": source, "agents": "200"}).json()
    assert whole["advice"] == []


def test_in_lever_words_keeps_settings_without_a_lever():
    from scsim.dashboard.levers import in_lever_words

    levers = levers_for(load_scenario("national-800"))
    # a YAML value with ": " in it: the sentence still starts at the setting's path
    assert in_lever_words("override shaming.sever={family: 0.1}: shaming.sever is set but "
                          "shaming.probability is 0", levers) == (
        "shaming.sever is set but the Shaming probability is 0 %")  # as its slider shows it
    assert in_lever_words("listing.appeals.enabled is true but listing.appeals.rate is 0",
                          levers) == "listing.appeals.enabled is true but listing.appeals." \
                                     "rate is 0"


def test_a_share_is_said_and_typed_as_a_percentage(tmp_path):
    """The false-match rate is "0.1 %" in every text a teacher reads (the README's "a 0.1 %
    facial-recognition error rate"): its lever shows and takes a percentage, while the
    scenario and --set keep the share (0.001), which the words give after it, as
    `scsim compare`'s headline writes it ("from 0.1 % to 1 % of camera sightings
    (surveillance.misattribution: 0.001 → 0.01)")."""
    from scsim.dashboard.levers import in_lever_words, setting_in_words

    sc = load_scenario("national-800")
    levers = {lever["path"]: lever for lever in levers_for(sc)}
    rate = levers["surveillance.misattribution"]
    assert rate["percent"] and rate["value"] == 0.001  # the share, as the scenario holds it
    assert rate["unit"] == "% of camera sightings"
    assert levers["surveillance.channels.camera.coverage"]["percent"]
    assert not levers["listing.threshold"]["percent"]
    assert setting_in_words("surveillance.misattribution: 0.001 → 0.01") == (
        "false-match rate 0.1 % → 1 % of camera sightings (surveillance.misattribution: "
        "0.001 → 0.01)")
    assert setting_in_words("surveillance.misattribution=0.0019") == (
        "false-match rate 0.19 % of camera sightings (surveillance.misattribution=0.0019)")
    assert setting_in_words("surveillance.channels.camera.coverage=0.3") == (
        "camera coverage 30 % of acts in view of cameras "
        "(surveillance.channels.camera.coverage=0.3)")
    assert setting_in_words("listing.threshold: 550 → 650") == (
        "listing threshold 550 → 650 points (listing.threshold)")
    assert in_lever_words("surveillance.misattribution is 0.001 but no channel has "
                          "facial_recognition: true", list(levers.values())) == (
        "False-match rate is 0.1 % but no channel has facial_recognition: true")
    # "All settings" takes the share as --set does, or the percentage the lever shows
    store = open_store(tmp_path / "store")
    for typed in ("0.005", "0.5 %", "0.5%"):
        asked = scenario_of({"source": NATIONAL, "settings": {
            "surveillance.misattribution": typed}}, store)
        assert asked.surveillance.misattribution == 0.005, typed
    # a setting not read as a percentage (a share per day) refuses one
    with pytest.raises(ScenarioError) as refused:
        scenario_of({"source": NATIONAL, "settings": {"fear.speed": "5 %"}}, store)
    assert "fear.speed: must be a number" in refused.value.problems[0]


def test_a_lever_says_a_percentage_as_the_comparison_headline_does():
    """Which settings read as percentages, and of what, is one definition: the scenario
    reference's, from the schema's units, which the levers take and `scsim compare`'s
    headline says ("from 0.1 % to 1 % of camera sightings"); a lever on any probability or
    share per event would be one, a rate per day would not."""
    from scsim.dashboard.levers import PERCENT_UNIT, Lever, setting_in_words
    from scsim.outputs.headline import _one_change
    from scsim.scenario.reference import percent_unit

    for lever in LEVERS:
        unit = percent_unit(lever.path.replace("[-1]", "[0]"))
        assert lever.percent == (unit is not None), lever.path
        assert lever.unit == (unit or lever.unit) != PERCENT_UNIT, lever.path
    coverage = "surveillance.channels.camera.coverage"
    words = setting_in_words(f"{coverage}: 0.3 → 0.5")
    said = _one_change(coverage, 0.3, 0.5)
    assert words == ("camera coverage 30 % → 50 % of acts in view of cameras "
                     f"({coverage}: 0.3 → 0.5)")
    assert said == ("Raising the camera coverage from 30 % to 50 % of acts in view of cameras "
                    f"({coverage}: 0.3 → 0.5)")
    refuse = Lever("shunning.refuse", "Refusals", PERCENT_UNIT, "", lambda sc: True, "")
    assert refuse.percent and refuse.unit == "% of transactions"
    speed = Lever("fear.speed", "Fear speed", "share per day", "", lambda sc: True, "")
    assert not speed.percent and speed.unit == "share per day"


def test_a_server_error_is_answered_in_json_with_its_reason(tmp_path, compiled_kernels,
                                                             monkeypatch, caplog):
    """An exception that is not the question's fault (a bug, a full disk) comes back as a
    500 whose JSON names the reason, and its traceback goes to the log; the page then says
    the dashboard answered with an error, not that it did not answer."""
    import logging

    import scsim
    import scsim.report

    app = create_app(tmp_path / "store", max_agent_days=1_000_000)
    client = TestClient(app, base_url="http://127.0.0.1")
    client.get("/")
    res = scsim.simulate(load_scenario("national-800", agents=300, days=5), seed=1,
                         store=tmp_path / "store")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scsim.report, "report", broken)
    with caplog.at_level(logging.ERROR, logger="scsim.dashboard"):
        answer = client.get(f"/api/runs/{res.run_id}/report", params={"build": "1"})
    assert answer.status_code == 500
    assert answer.json()["error"] == "[Errno 28] No space left on device"
    assert "Traceback" in caplog.text and "No space left on device" in caplog.text
    # a POST as well (the page's question checked): the same
    import scsim.dashboard.settings as settings

    monkeypatch.setattr(settings, "load_advised", lambda *a, **k: 1 / 0)
    failed = client.post("/api/run", json={"source": NATIONAL, "agents": 300, "days": 5})
    assert failed.status_code == 500 and failed.json()["error"] == "division by zero"


def test_the_runs_list_says_what_each_run_is(tmp_path, compiled_kernels):
    """The stored runs are listed with what they change, and the runs of a comparison made
    in the dashboard with their side and pair and the comparison's runs (to open it
    again), also after a restart: the store keeps the comparison (it did not, and a
    restarted dashboard no longer marked them). Deleting one of its runs forgets it."""
    from types import SimpleNamespace

    from scsim.dashboard.worker import run_job

    def listing():
        app = create_app(tmp_path / "store", max_agent_days=1_000_000)  # started afresh
        client = TestClient(app, base_url="http://127.0.0.1")
        client.get("/")
        return client, {r["id"]: r for r in client.get("/api/runs").json()["runs"]}

    client, _ = listing()
    dash = client.app.state.dashboard
    a = load_scenario("national-800", agents=300, days=3).model_dump(mode="json")
    b = load_scenario("national-800", agents=300, days=3,
                      overrides={"listing.threshold": 650}).model_dump(mode="json")
    runs, _ = run_job({"id": 1, "kind": "compare", "seed": 1, "reps": 2, "a": a, "b": b},
                      dash.store, _Events(dash.store), SimpleNamespace(value=0))
    alone = run_job({"id": 2, "kind": "run", "seed": 1, "scenario": a}, dash.store,
                    _Events(dash.store), SimpleNamespace(value=0))[0]["runs"][0]
    from scsim.dashboard.jobs import Job

    job = Job(1, "page", {"kind": "compare", "b": b, "seed": 1, "reps": 2}, status="done",
              runs=runs)
    client, listed = listing()
    assert listed[runs["a"][1]]["side"] == "A, pair 2"
    assert listed[runs["b"][0]]["side"] == "B, pair 1"
    assert listed[runs["b"][1]]["compared"] == runs
    assert listed[alone]["side"] is None and listed[alone]["compared"] is None
    assert listed[runs["a"][0]]["changes"] == []
    # in the lever's words (a journalist read "listing.threshold=650")
    assert listed[runs["b"][0]]["changes"] == [
        "listing threshold 650 points (listing.threshold)"]
    shown = client.get("/api/comparison", params={k: ",".join(v) for k, v in runs.items()})
    assert shown.status_code == 200 and shown.json()["runs"] == runs
    # a delete from outside a page of the dashboard (no session cookie) is refused
    stranger = TestClient(client.app, base_url="http://127.0.0.1")
    refused = stranger.delete(f"/api/runs/{runs['a'][1]}")
    assert refused.status_code == 400 and "no session" in refused.json()["error"]
    assert client.delete(f"/api/runs/{runs['a'][1]}").status_code == 200
    _, listed = listing()
    assert all(r["compared"] is None and r["side"] is None for r in listed.values())
    about = job.view()["about"]
    assert about == {"scenario": "national-800", "agents": 300, "days": 3, "seed": "1",
                     "reps": 2}


def test_a_number_written_with_an_exponent_is_read_whole(client):
    out = client.post("/api/validate", json={"source": NATIONAL, "agents": "1e4",
                                             "days": "30"}).json()
    assert out["ok"] and out["agents"] == 10_000
    pairs = client.post("/api/validate", json={"source": NATIONAL, "agents": "1000",
                                               "days": "30", "reps": "21"}).json()
    assert pairs["ok"] and not pairs["compare_ok"]  # Run may go, Compare may not
    assert pairs["compare_problems"] == [
        "Pairs: 21 is out of range; type a whole number from 1 to 20"]


def test_all_settings_say_what_is_wrong_without_command_line_syntax(client):
    out = client.post("/api/validate", json={
        "source": NATIONAL, "agents": "2000", "days": "30",
        "settings": {"fear.speed": "", "population.agents": "3000", "days": "40"}}).json()
    assert out["problems"] == [
        "fear.speed: empty; type a value (undo the change to keep the scenario's)",
        "population.agents: set it in the Agents box", "days: set it in the Days box"]


@INERT_ON_PURPOSE
def test_levers_that_would_do_nothing_are_named_for_the_question(client):
    """The page hides the levers that would change nothing in the question as it stands:
    switching public shaming on in All settings brings its probability's lever back."""
    no_system = client.post("/api/validate", json={
        "source": {"kind": "builtin", "ref": "no-system"}, "agents": "200"}).json()
    assert set(no_system["idle"]) == {lever.path.replace("[-1]", "[1]") for lever in LEVERS}
    off = client.post("/api/validate", json={"source": NATIONAL, "agents": "200"}).json()
    on = client.post("/api/validate", json={"source": NATIONAL, "agents": "200",
                                            "levers": {"shaming.enabled": True}}).json()
    assert "shaming.probability" in off["idle"] and "shaming.probability" not in on["idle"]


def test_each_tab_is_a_page_of_its_own(client):
    """Two tabs of one browser share the session cookie but not their page id: each has
    its own job, and one does not see (or draw) the other's."""
    first = {"X-Scsim-Page": "tab-one-0001"}
    second = {"X-Scsim-Page": "tab-two-0002"}
    question = {"source": NATIONAL, "agents": 1000, "days": 30}
    mine = client.post("/api/run", json=question, headers=first).json()
    assert client.get("/api/job", headers=second).json()["job"] is None
    theirs = client.post("/api/run", json=question, headers=second).json()
    assert theirs["status"] == "queued" and theirs["id"] != mine["id"]
    job = client.get("/api/job", headers=second).json()["job"]
    assert job["id"] == theirs["id"]
    assert job["waiting"] == "waiting: 1 question ahead of this one"
    again = client.post("/api/run", json=question, headers=first)
    assert "this page already has a run queued" in again.json()["error"]
    bad = client.get("/api/job", headers={"X-Scsim-Page": "../x"})
    assert bad.status_code == 400


def test_a_job_whose_tab_was_closed_is_taken_over_by_the_next_page(client, monkeypatch):
    """A tab closed in the middle of its run: another page of the same browser that has no
    job under way sees that run and can cancel it once the closed tab has not asked of it
    for ``ORPHAN_AFTER`` seconds, instead of queueing behind a run nobody can see. Another
    browser never does."""
    from scsim.dashboard import jobs

    closed, new = {"X-Scsim-Page": "tab-gone-0001"}, {"X-Scsim-Page": "tab-new-0002"}
    question = {"source": NATIONAL, "agents": 1000, "days": 30}
    orphan = client.post("/api/run", json=question, headers=closed).json()
    assert client.get("/api/job", headers=new).json()["job"] is None  # still heard of
    monkeypatch.setattr(jobs, "ORPHAN_AFTER", 0.0)
    stranger = TestClient(client.app, base_url="http://127.0.0.1")
    stranger.get("/")  # another browser: its own cookie
    assert stranger.get("/api/job", headers=new).json()["job"] is None
    assert client.get("/api/job", headers=new).json()["job"]["id"] == orphan["id"]
    cancelled = client.post("/api/cancel", json={}, headers=new).json()["job"]
    assert (cancelled["id"], cancelled["status"]) == (orphan["id"], "cancelled")
    assert client.post("/api/run", json=question, headers=new).json()["status"] == "queued"


def test_size_cap_one_job_per_page_and_cancel_while_queued(client):
    big = client.post("/api/run", json={"source": NATIONAL, "agents": 10_000, "days": 365})
    assert big.status_code == 400
    assert big.json()["error"] == (
        "too big for this dashboard: 10,000 agents × 365 days = 3,650,000 agent-days, over "
        "the limit of 1,000,000: use at most 2,739 agents, or fewer days (or start it with "
        "scsim dashboard --max-agent-days N to allow more)")
    cmp = client.post("/api/compare", json={"source": NATIONAL, "agents": 1000, "days": 200,
                                            "reps": 3, "b": {}})
    assert ("6 runs × 1,000 agents × 200 days = 1,200,000 agent-days, over the limit of "
            "1,000,000: use at most 833 agents, or fewer days or fewer pairs") in cmp.json(
                )["error"]
    first = client.post("/api/run", json={"source": NATIONAL, "agents": 1000, "days": 30})
    assert first.json()["status"] == "queued"  # no worker in this test: it stays queued
    second = client.post("/api/run", json={"source": NATIONAL, "agents": 1000, "days": 30})
    assert second.status_code == 400 and "one run at a time" in second.json()["error"]
    other = TestClient(client.app, base_url="http://127.0.0.1")
    other.get("/")  # another page: its own session, its own place in the queue
    queued = other.post("/api/run", json={"source": NATIONAL, "agents": 1000, "days": 30})
    assert queued.json()["status"] == "queued"
    assert other.get("/api/job").json()["job"]["ahead"] == 1
    assert client.post("/api/cancel", json={}).json()["job"]["status"] == "cancelled"
    assert other.get("/api/job").json()["job"]["ahead"] == 0
    again = client.post("/api/run", json={"source": NATIONAL, "agents": 1000, "days": 30})
    assert again.json()["status"] == "queued"


def test_compare_refuses_different_populations(client):
    out = client.post("/api/compare", json={"source": NATIONAL, "agents": 1000, "days": 30,
                                            "a": {}, "b": {"settings": {
                                                "population.household_size": "3.5"}}})
    assert out.status_code == 400
    assert "different populations" in out.json()["error"]


NO_SYSTEM = {"kind": "builtin", "ref": "no-system"}


def test_each_side_of_a_comparison_is_its_own_scenario(tmp_path):
    """A may start from a scenario of its own (no-system) while B is the question's
    (national-800), as `scsim compare no-system national-800` takes them; the Agents and
    Days boxes are both sides'; a side without a source of its own is the question's."""
    store = open_store(tmp_path / "s")
    body = {"source": NATIONAL, "agents": "1500", "days": "20",
            "a": {"source": NO_SYSTEM, "levers": {}, "settings": {}},
            "b": {"levers": {"listing.threshold": 600}}}
    assert side_of(body, "a")["source"] == NO_SYSTEM
    assert side_of(body, "b")["source"] == NATIONAL
    a, b = sides_of(body, store)
    assert (a.name, b.name) == ("no-system", "national-800")
    assert (a.population.agents, a.days, b.population.agents, b.days) == (1500, 20, 1500, 20)
    assert a.model_dump() == load_scenario("no-system", agents=1500, days=20).model_dump()
    assert b.listing.threshold == 600
    same = sides_of({**body, "a": {}}, store)[0]  # no source of its own: the question's
    assert same.model_dump() == load_scenario("national-800", agents=1500, days=20).model_dump()
    # A's problems are named as A's; B's are the question's, said as they are
    with pytest.raises(ScenarioError) as err:
        sides_of({**body, "a": {"source": NO_SYSTEM, "settings": {"fear.speed": "-1"}}}, store)
    assert err.value.problems == ["A: override fear.speed=-1: fear.speed: must be >= 0"]
    with pytest.raises(ScsimError, match=r"^A: no built-in scenario 'nope'$"):
        sides_of({**body, "a": {"source": {"kind": "builtin", "ref": "nope"}}}, store)
    with pytest.raises(ScenarioError) as err:
        sides_of({**body, "b": {"settings": {"fear.speed": "-1"}}}, store)
    assert err.value.problems == ["override fear.speed=-1: fear.speed: must be >= 0"]


def test_validate_checks_a_with_its_own_scenario(client):
    """The page sends A as it keeps it: a scenario of its own is checked with the
    question, and whether its population pairs with B's, before Compare is pressed."""
    question = {"source": NATIONAL, "agents": "1000", "days": "30"}
    two = client.post("/api/validate", json={**question, "a": {"source": NO_SYSTEM}}).json()
    assert (two["ok"], two["compare_ok"], two["compare_problems"]) == (True, True, [])
    apart = client.post("/api/validate", json={**question, "a": {
        "source": NO_SYSTEM, "settings": {"population.household_size": "3.5"}}}).json()
    assert apart["ok"] is True and apart["compare_ok"] is False  # Run may go, not Compare
    assert "different populations" in apart["compare_problems"][0]
    bad = client.post("/api/validate", json={**question, "a": {
        "source": NO_SYSTEM, "settings": {"fear.speed": "-1"}}}).json()
    assert (bad["ok"], bad["compare_ok"]) == (True, False)
    assert bad["compare_problems"] == ["A: fear.speed: must be >= 0"]
    # a setting with a lever is named by its label, as the question's are
    lever = client.post("/api/validate", json={**question, "a": {
        "source": NATIONAL, "levers": {"listing.threshold": "abc"}}}).json()
    assert lever["compare_problems"] == ["A: Listing threshold: must be a number, got 'abc'"]
    shape = client.post("/api/validate", json={**question, "a": [1]}).json()
    assert shape["compare_problems"] == ["A: 'a' must be a mapping with 'levers' and "
                                         "'settings'"]


def test_a_comparison_of_two_scenarios_is_scsim_compare_s(client, compiled_kernels):
    """/api/compare with A no-system and B national-800 queues the two scenarios (the job
    named "no-system vs national-800"), and the worker's runs of it give what
    ``scsim compare no-system national-800`` gives for the same sizes and seeds."""
    import queue
    from types import SimpleNamespace

    from scsim.analysis.compare import compare, compare_results
    from scsim.dashboard.views import comparison_view
    from scsim.dashboard.worker import run_job

    jobs = client.app.state.dashboard.jobs
    jobs._to_worker = queue.Queue()  # the test stands in for the worker
    with jobs._lock:
        jobs._handle({"type": "ready", "seconds": 0.0})
    job = client.post("/api/compare", json={
        "source": NATIONAL, "agents": "1000", "days": "20", "seed": "2", "reps": "2",
        "a": {"source": NO_SYSTEM, "levers": {}, "settings": {}},
        "b": {"levers": {}, "settings": {}}}).json()
    assert job["about"]["scenario"] == "no-system vs national-800"
    spec = jobs._to_worker.get_nowait()
    assert (spec["a"]["name"], spec["b"]["name"]) == ("no-system", "national-800")
    store = client.app.state.dashboard.store
    runs, _ = run_job(spec, store, _Events(store), SimpleNamespace(value=0))
    page = comparison_view(compare_results([store.load(r) for r in runs["a"]],
                                           [store.load(r) for r in runs["b"]]))
    cli = comparison_view(compare("no-system", "national-800", agents=1000, days=20, seed=2,
                                  reps=2))
    assert page["labels"] == ["A: no-system", "B: national-800"]
    for key in ("headline", "acts", "labels", "seeds", "changes", "metrics", "switches"):
        assert page[key] == cli[key], key
    assert page["headline"].startswith("Running national-800 instead of no-system")


def test_only_local_hosts_and_run_ids(client):
    stranger = TestClient(client.app, base_url="http://attacker.example")
    assert stranger.get("/api/status").status_code == 400  # DNS rebinding: refused
    assert client.get("/api/runs/..%2F..%2Fetc").status_code in (400, 404)
    bad = client.get("/api/runs/select-1")
    assert bad.status_code == 400 and bad.json()["error"] == "'select-1' is not a run id"
    missing = client.get("/api/runs/20260101-000000-abcd")
    assert missing.status_code == 404 and "no run '20260101-000000-abcd'" in (
        missing.json()["error"])
    assert TestClient(client.app, base_url="http://127.0.0.1").get(
        "/api/job").status_code == 400  # no session cookie: load the page first
    form = client.post("/api/run", content='{"source": {}}',
                       headers={"Content-Type": "text/plain"})  # what a form could send
    assert form.status_code == 400 and "must be JSON" in form.json()["error"]


def test_the_page_and_its_files_are_served_locally(client):
    page = TestClient(client.app, base_url="http://127.0.0.1").get("/")  # a new visitor
    assert page.status_code == 200 and "scsim dashboard" in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from elsewhere
    for name in ("app.js", "charts.js", "style.css", "report.html", "report.js"):
        text = client.get(f"/static/{name}").text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text


def test_the_ratio_chart_names_its_disparate_impact(client):
    """The dashboard's chart of each group's listed share over the reference group's is
    the ratio of the shares on the list that day, which the summary table's "disparate
    impact" (1.20 against the chart's 1.146 on the final day) is not: it is of the shares
    ever listed in the run. The chart's choice and caption name theirs, in the summary's
    words, and say where the other is (the dashboard has no summary table)."""
    from scsim.outputs.summary import ON_THE_DAY_DI

    page = client.get("/").text
    assert f'<option value="di">{ON_THE_DAY_DI}</option>' in page
    script = client.get("/static/app.js").text
    start = script.index("  di: [")
    captions = script[start:script.index("],", start)]
    assert captions.count(ON_THE_DAY_DI.capitalize()) == 2  # the groups' and the regions'
    assert "is of the shares ever listed in the run" in captions


def test_run_view_matches_the_result(compiled_kernels):
    import scsim

    res = scsim.simulate(load_scenario("national-800", agents=2000, days=40), seed=3)
    view = run_view(res)
    assert view["numbers"]["listed_final"] == res.metrics["listed"].iloc[-1]
    assert view["numbers"]["ever_listed"] == int((res.agents["times_listed"] > 0).sum())
    assert view["series"]["day"] == list(range(40))
    assert "detained" not in view["series"]  # no detention in national-800: no chart
    # the bars' numbers are the headline's, above them (the 2018 bar said 1.29 under a
    # headline saying 1.3)
    air, train = view["travel"]
    assert air["run"] == significant(100 * res.metrics["blocked_air"].sum() / 2000
                                     / (40 / 365), 2)
    assert [f["value"] for f in air["published"]] == [1.3, 0.58]
    assert [f["value"] for f in train["published"]] == [0.39, 0.13]
    assert (f"Blocked travel: {in_digits(air['run'])} air and {in_digits(train['run'])} "
            "train tickets per 100 people a year") in view["headline"][1]
    assert len(view["network"]["nodes"]) == len(res.sample.nodes)
    assert set(view["groups"]) == {"majority", "minority"}
    assert view["reference_group"] == "majority"  # named in the disparate-impact caption
    assert set(view["regions"]) == {str(r) for r in range(8)}
    assert all(len(v["listed_rate"]) == len(v["score_mean"]) == 40
               for v in view["regions"].values())
    last = res.agents.groupby("region")  # the last day, from the agents
    for figure, values in (("listed_rate", last["listed"].mean()),
                           ("score_mean", last["score"].mean())):
        # The two pilot regions (the rest join on day 90): their last day ...
        assert [view["regions"][str(r)][figure][-1] for r in range(2)] == pytest.approx(
            list(values)[:2], rel=1e-6)
        # ... and nothing for the regions the roll-out has not reached.
        assert all(v is None for r in range(2, 8) for v in view["regions"][str(r)][figure])
    assert all(set(v["di"]) == {"minority"} and len(v["di"]["minority"]) == 40
               for v in view["regions"].values())
    assert view["groups"]["minority"]["di"] == floats(res.metrics["di_minority"])
    assert view["groups"]["majority"]["score_mean"] == pytest.approx(
        res.metrics["score_mean_majority"].tolist())
    one = agent_view(res, 17)
    assert one["record"]["score"] == pytest.approx(float(res.agents["score"].iloc[17]))
    assert one["record"]["group"] == str(res.agents["group"].iloc[17])
    # the record in words: columns named for a reader, and no -1 standing for "none"
    assert one["labels"]["times_listed"] == "times listed"
    assert one["labels"]["clean_points_association"] == (
        "points from association (the daily pull toward neighbours' scores), without errors")
    # a source by its label, as the case file names it; the penalty for listed contacts
    # by the lever that sets it ("points from listed penalty" read as "association")
    assert one["labels"]["points_listed_penalty"] == (
        "points from listed neighbours (the association penalty)")
    assert one["labels"]["points_true_sighting"] == "points from true sightings"
    assert one["labels"]["mistaken_for"] == "mistaken for agent (a false face match)"
    no_job = int(np.flatnonzero(res.agents["employer"].to_numpy() == -1)[0])
    jobless = agent_view(res, no_job)["record"]
    assert jobless["employer"] is None and res.agents["employer"].iloc[no_job] == -1
    assert -1 not in [v for v in jobless.values() if not isinstance(v, bool)]
    assert one["traced"] is False
    # in words for a browser: no command line to type
    assert one["story"].startswith("agent 17 has no case file (a dashboard run keeps the "
                                   "story of 20 agents drawn at random")
    assert "--trace-ids" not in one["story"]
    assert one["story"].split("; ", 1)[1] == res.explain(17).text.split("; ", 1)[1]
    assert (view["traced"], view["traced_count"]) == ([], 0)  # nobody traced in this run
    assert view["changes"] == [] and view["builtin"]  # national-800 as shipped
    with pytest.raises(ScsimError, match="no agent 2000 in this run"):
        agent_view(res, 2000)


def test_a_run_with_detention_has_its_series(compiled_kernels):
    import scsim

    with left_out_on_purpose("days=60"):  # detention's year, not its abolition
        sc = load_scenario("high-control", agents=2000, days=60)
    res = scsim.simulate(sc, seed=1)
    series = run_view(res)["series"]
    for column in ("detained", "new_detentions"):
        assert series[column] == floats(res.metrics[column])
    assert max(series["detained"]) > 0


def test_case_files_of_traced_agents(compiled_kernels):
    import scsim
    from scsim.outputs.casefile import Trace

    sc = load_scenario("national-800", agents=2000, days=40,
                       overrides={"listing.threshold": 690,
                                  "surveillance.misattribution": 0.1})
    res = scsim.simulate(sc, seed=2, trace=Trace(sample=5, wrongful=True))
    view = run_view(res)
    traced = view["traced"]
    wrongful = sorted(res.wrongful["agent"].astype(int))
    # what the run changes in national-800, for the line under its headline
    assert view["changes"] == [
        "false-match rate 0.1 % → 10 % of camera sightings (surveillance.misattribution: "
        "0.001 → 0.1)", "listing threshold 550 → 690 points (listing.threshold)"]
    # the page says how many agents have case files when it lists only the first ones
    assert view["traced_count"] == len(res.traced) > TRACED_SHOWN
    # Every wrongfully listed agent has a case file; the page lists them first, by id, up
    # to TRACED_SHOWN (this run has more than that).
    assert wrongful and set(wrongful) <= set(res.provenance["events"]["agent"].astype(int))
    assert len(traced) == min(TRACED_SHOWN, len(set(res.provenance["events"]["agent"])))
    assert [t["agent"] for t in traced if t["wrongful"]] == wrongful[:TRACED_SHOWN]
    assert [t["wrongful"] for t in traced] == sorted((t["wrongful"] for t in traced),
                                                     reverse=True)  # wrongful ones first
    # and whether each was listed at all (the page says so: who was listed, and why?)
    assert [t["listed"] for t in traced] == [
        bool(res.agents["times_listed"].iloc[t["agent"]] > 0) for t in traced]
    assert all(t["listed"] for t in traced if t["wrongful"])
    first = agent_view(res, traced[0]["agent"])
    assert first["traced"] and first["story"] == res.explain(traced[0]["agent"]).text


def test_the_command_checks_its_port_host_and_cap(monkeypatch, capsys, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run_cli(monkeypatch, capsys, "dashboard", "--no-browser", "--port",
                               str(port), "--store", str(tmp_path / "store"))
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    assert not (tmp_path / "store").exists()  # nothing created for a refused start
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run_cli(monkeypatch, capsys, "dashboard", "--host", "0.0.0.0",
                               "--port", str(port), "--no-browser")
    assert code == 2
    assert "warning: --host 0.0.0.0 makes the dashboard reachable by anyone" in err
    code, _, err = run_cli(monkeypatch, capsys, "dashboard", "--max-agent-days", "0")
    assert code == 2 and "--max-agent-days must be at least 1, got 0" in err
    code, _, err = run_cli(monkeypatch, capsys, "dashboard", "--port", "99999")
    assert code == 2 and "--port must be from 0 to 65535 (0: any free one), got 99999" in err
    # an address that is not this machine's: said, not an "internal error" (gaierror)
    code, _, err = run_cli(monkeypatch, capsys, "dashboard", "--host", "no.such.host.invalid",
                           "--no-browser", "--store", str(tmp_path / "store"))
    assert code == 2 and "cannot listen on no.such.host.invalid (" in err
    assert "give --host an address of this machine" in err and "internal" not in err
    assert not (tmp_path / "store").exists()


def test_a_stored_run_is_a_source(tmp_path, compiled_kernels):
    import scsim

    store = open_store(tmp_path / "store")
    sc = load_scenario("national-800", agents=1500, days=5,
                       overrides={"listing.threshold": 600})
    res = scsim.simulate(sc, seed=2, store=store.root)
    again = scenario_of({"source": {"kind": "run", "ref": res.run_id}, "days": 9}, store)
    assert again.listing.threshold == 600 and again.population.agents == 1500
    assert again.days == 9
    with pytest.raises(ScsimError, match="no run 'nope'"):
        scenario_of({"source": {"kind": "run", "ref": "nope"}}, store)
    with pytest.raises(ScsimError, match="a built-in scenario or a stored run"):
        scenario_of({"source": {"kind": "file", "ref": "/etc/passwd"}}, store)


def test_a_runs_table_downloads_as_csv_for_a_spreadsheet(tmp_path, compiled_kernels):
    """The download links' CSV (metrics, agents, companies) begins with UTF-8's byte-order
    mark, as the report's and ``scsim show --out``'s: a spreadsheet opened on a
    double-click garbled "−" without it; pandas reads the same table."""
    import io

    import pandas as pd

    import scsim

    app = create_app(tmp_path / "store", max_agent_days=1_000_000)
    client = TestClient(app, base_url="http://127.0.0.1")
    client.get("/")
    res = scsim.simulate(load_scenario("national-800", agents=300, days=5), seed=1,
                         store=tmp_path / "store")
    answer = client.get(f"/api/runs/{res.run_id}/metrics.csv")
    assert answer.status_code == 200 and answer.content.startswith(codecs.BOM_UTF8)
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    read = pd.read_csv(io.BytesIO(answer.content))
    assert list(read.columns) == list(res.metrics.columns) and len(read) == 5


def test_the_html_report_is_the_stored_one_or_built_once(tmp_path, compiled_kernels,
                                                          monkeypatch):
    """The report link serves the report the store keeps (a click does not rebuild it);
    without one, a page that says it is being built, which asks for it; a report that
    cannot be built says why in words (JSON the page shows, not to the reader)."""
    import scsim
    import scsim.report

    app = create_app(tmp_path / "store", max_agent_days=1_000_000)
    client = TestClient(app, base_url="http://127.0.0.1")
    client.get("/")
    res = scsim.simulate(load_scenario("national-800", agents=300, days=5), seed=1,
                         store=tmp_path / "store")
    link = f"/api/runs/{res.run_id}/report"
    building = client.get(link)
    assert building.status_code == 200 and "Building the report" in building.text
    assert "/static/report.js" in building.text

    def refuse(*args, **kwargs):
        raise ScsimError("reports/RUN holds files scsim did not write")

    monkeypatch.setattr(scsim.report, "report", refuse)
    refused = client.get(link, params={"build": "1"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "reports/RUN holds files scsim did not write"
    kept = tmp_path / "store" / "reports" / res.run_id / "report.html"
    kept.parent.mkdir(parents=True)
    kept.write_text("<h1>scsim report: kept</h1>")
    assert client.get(link).text == "<h1>scsim report: kept</h1>"  # refuse() not called
    assert client.get(link, params={"build": "1"}).json() == {"built": res.run_id}


def test_the_warm_up_says_nothing_of_its_own_short_runs(monkeypatch):
    """The worker's warm-up loads every built-in for 10 days: high-control's day-365
    abolition is left out of it, which nobody asked, so it is not told (the suite makes a
    ScenarioWarning an error; it was printed in the terminal at every start)."""
    from scsim.core import engine
    from scsim.dashboard.worker import warm_up

    loaded = []
    monkeypatch.setattr(engine, "simulate", lambda sc, **_: loaded.append(sc.name))
    warm_up()
    assert "high-control" in loaded


def test_a_dead_worker_fails_its_jobs_and_refuses_new_ones(tmp_path):
    import time

    from scsim.dashboard.jobs import Jobs

    jobs = Jobs(str(tmp_path / "store"))
    jobs.start()
    try:
        queued = jobs.submit("page", {"kind": "run", "scenario": {}, "seed": 1})
        assert queued.status == "queued"  # the worker is still starting
        jobs._process.kill()  # as the system's out-of-memory killer would
        deadline = time.time() + 30
        while jobs.state != "stopped" and time.time() < deadline:
            time.sleep(0.1)
        assert jobs.state == "stopped"
        assert jobs.latest("page")["status"] == "failed"
        assert jobs.latest("page")["error"] == (
            "the worker process stopped (exit code -9); restart scsim dashboard")
        with pytest.raises(ScsimError, match="the worker process stopped"):
            jobs.submit("another page", {"kind": "run", "scenario": {}, "seed": 1})
    finally:
        jobs.stop()


class _Events:
    """The worker's event queue, kept in a list; a ``shown`` event also notes the status
    the store gives its run at that moment."""

    def __init__(self, store):
        self.store, self.sent = store, []

    def put(self, event: dict) -> None:
        if event["type"] == "shown":
            event = {**event, "stored": self.store.get(event["run"]).status}
        self.sent.append(event)


def test_the_page_data_sent_from_memory_is_that_of_the_stored_run(tmp_path, compiled_kernels):
    """A single run is drawn from the Result in memory before it is written to the store:
    what the page is sent then must be, number for number, what the stored run gives (the
    headline number the page shows equals the catalogue's)."""
    import json
    from types import SimpleNamespace

    from scsim.dashboard.worker import run_job

    store = open_store(tmp_path / "store")
    sc = load_scenario("national-800", agents=2000, days=40,
                       overrides={"listing.threshold": 690,
                                  "surveillance.misattribution": 0.05})
    events = _Events(store)
    runs, seconds = run_job({"id": 7, "kind": "run", "seed": 3,
                             "scenario": sc.model_dump(mode="json")},
                            store, events, SimpleNamespace(value=0))
    shown = [e for e in events.sent if e["type"] == "shown"]
    assert len(shown) == 1 and shown[0]["run"] == runs["runs"][0]
    assert shown[0]["stored"] == "running"  # sent before the run is listed as kept
    stored = run_view(store.load(runs["runs"][0]))
    assert json.dumps(shown[0]["view"]) == json.dumps(stored)
    assert shown[0]["view"]["traced"]  # case files: the sample and the wrongfully listed
    # ... and the first TRACED listed, rightfully or not: why someone was listed
    res = store.load(runs["runs"][0])
    listed_from = res.traced.set_index("agent")["from_day"]
    opened_at_listing = listed_from[(listed_from > 0)
                                    & (res.agents.loc[listed_from.index, "wrongful_listings"]
                                       == 0)]
    assert len(opened_at_listing) > 0
    ever = int((res.agents["times_listed"] > 0).sum())
    assert ever > TRACED and int((res.agents.loc[res.traced["agent"], "times_listed"]
                                  > 0).sum()) >= TRACED
    listed = store.query(f"SELECT listed FROM metrics WHERE run_id = '{runs['runs'][0]}' "
                         "AND day = 39")["listed"].iloc[0]
    assert shown[0]["view"]["numbers"]["listed_final"] == listed
    assert set(seconds) == {"setup", "days", "catalogue and result", "page data", "saving"}
    assert all(s >= 0 for s in seconds.values())
    progress = [e for e in events.sent if e["type"] == "progress"]
    assert progress[-1]["done"] == 40 and events.sent[-1] is shown[0]


def test_a_comparison_is_shown_from_the_store(tmp_path, compiled_kernels):
    from types import SimpleNamespace

    from scsim.dashboard.worker import run_job

    store = open_store(tmp_path / "store")
    sc = load_scenario("national-800", agents=1000, days=5).model_dump(mode="json")
    events = _Events(store)
    runs, _ = run_job({"id": 1, "kind": "compare", "seed": 1, "reps": 1, "a": sc, "b": sc},
                      store, events, SimpleNamespace(value=0))
    assert not [e for e in events.sent if e["type"] == "shown"]
    assert [len(runs["a"]), len(runs["b"])] == [1, 1]


def test_a_run_being_saved_is_served_from_memory_and_waited_for(client, monkeypatch):
    """The job's life as the page sees it, with the test standing in for the worker:
    running, then saving (its page data served from memory, the page told at once by the
    long poll), then done (from then on the store answers for the run)."""
    import queue

    from scsim.dashboard import app as app_module

    jobs = client.app.state.dashboard.jobs
    jobs._to_worker = queue.Queue()  # the stand-in worker's inbox
    with jobs._lock:
        jobs._handle({"type": "ready", "seconds": 0.0})
    job = client.post("/api/run", json={"source": NATIONAL, "agents": 1000,
                                        "days": 30}).json()
    assert job["status"] == "running" and jobs._to_worker.get_nowait()["id"] == job["id"]
    monkeypatch.setattr(app_module, "LONG_POLL", 0.05)
    same = client.get("/api/job", params={"after": job["version"]}).json()["job"]
    assert same["version"] == job["version"]  # nothing changed: answered after LONG_POLL
    bad = client.get("/api/job", params={"after": "x"})
    assert bad.status_code == 400 and "'after' must be a job version" in bad.json()["error"]

    run_id = "20260101-000000-abcd"
    view = {"id": run_id, "numbers": {"listed_final": 12.0}}
    with jobs._lock:
        jobs._handle({"type": "shown", "id": job["id"], "run": run_id, "view": view})
    saving = client.get("/api/job", params={"after": job["version"]}).json()["job"]
    assert (saving["status"], saving["runs"]) == ("saving", {"runs": [run_id]})
    assert client.get(f"/api/runs/{run_id}").json() == view
    again = client.post("/api/run", json={"source": NATIONAL, "agents": 1000, "days": 30})
    assert again.status_code == 400 and "already has a run saving" in again.json()["error"]

    with jobs._lock:
        jobs._handle({"type": "done", "id": job["id"], "runs": {"runs": [run_id]},
                      "seconds": {"days": 1.5}})
    done = client.get("/api/job", params={"after": saving["version"]}).json()["job"]
    assert (done["status"], done["seconds"]) == ("done", {"days": 1.5})
    gone = client.get(f"/api/runs/{run_id}")  # the stand-in stored nothing: the store says
    assert gone.status_code == 404 and f"no run '{run_id}'" in gone.json()["error"]


def test_wrongful_listings_per_group_are_the_summary_s(compiled_kernels):
    """The page's answer to "is one group listed wrongfully more often?": each group's
    agents ever wrongfully listed (counted here from the agents table), the ratio to the
    reference group's with the summary's interval (its words are the summary table's),
    and each region's share wrongfully listed day by day; or, in words, why there is
    nothing to compare."""
    import scsim
    from scsim.outputs.summary import ratio_bounds, summarise

    sc = load_scenario("national-800", agents=3000, days=60,
                       overrides={"listing.threshold": 670,
                                  "surveillance.misattribution": 0.01})
    res = scsim.simulate(sc, seed=4)
    view = run_view(res)
    said = view["wrongful_groups"]
    agents = res.agents
    ever = (agents["wrongful_listings"] > 0).groupby(agents["group"], observed=True)
    counts, sizes = ever.sum().to_dict(), ever.size().to_dict()
    assert counts["majority"] > 0 and counts["minority"] > 0  # both groups bear errors
    assert said["reference"] == "majority"
    assert said["said"].startswith("Wrongfully listed: on the list although")
    rows = {g["group"]: g for g in said["groups"]}
    assert list(rows) == ["majority", "minority"]
    for g, row in rows.items():
        assert (row["ever"], row["agents"]) == (counts[g], sizes[g])
        assert row["share"] == pytest.approx(counts[g] / sizes[g])
    ratio = (counts["minority"] / sizes["minority"]) / (counts["majority"] / sizes["majority"])
    low, high = ratio_bounds(counts["minority"], sizes["minority"], counts["majority"],
                             sizes["majority"])
    minority = rows["minority"]
    assert (minority["ratio"], minority["low"], minority["high"]) == pytest.approx(
        (ratio, low, high))
    assert rows["majority"]["ratio"] is None  # the reference group: 1 by definition
    # its words are the summary table's row, after the counts
    table = summarise(res).set_index("figure")
    for g, row in rows.items():
        assert row["words"] == (f"{g}: {counts[g]:,} of {sizes[g]:,} people ever wrongfully "
                                f"listed, {table.loc[f'{g}: ever wrongfully listed', 'note']}")
    assert f"ratio to majority: {ratio:.2f} (95 % CI {low:.2f} to {high:.2f}" in (
        minority["words"])
    # the daily lines drawn: each group's share on the list wrongfully, and each region's
    assert view["groups"]["minority"]["wrongful_rate"] == floats(
        res.metrics["wrongful_rate_minority"])
    regions = res.provenance["regions"]
    first = regions[regions["region"] == 0].sort_values("day")
    assert view["regions"]["0"]["wrongful_rate"] == pytest.approx(
        (first["wrongful_listed"] / int((agents["region"] == 0).sum())).tolist())
    assert max(view["regions"]["0"]["wrongful_rate"]) > 0
    # nothing to compare, said plainly
    quiet = scsim.simulate(load_scenario("national-800", agents=500, days=10), seed=1)
    assert run_view(quiet)["wrongful_groups"] == {
        "reference": "majority", "groups": [],
        "said": "Nobody was wrongfully listed in this run, in any group."}
    one = scsim.simulate(load_scenario("informants", agents=500, days=10), seed=1)
    assert run_view(one)["wrongful_groups"]["said"] == (
        "Nobody was wrongfully listed in this run (its population is one group).")
    one = scsim.simulate(load_scenario("informants", agents=1000, days=60,
                                       overrides={"listing.threshold": 980}), seed=1)
    wrongful = int((one.agents["wrongful_listings"] > 0).sum())
    assert wrongful > 0 and run_view(one)["wrongful_groups"] == {
        "reference": "everyone", "groups": [],
        "said": f"The population is one group: {wrongful / 10:.1f} % of it ({wrongful:,} of "
                "1,000 people) was ever wrongfully listed; there is no other group to compare "
                "it with."}
    none = scsim.simulate(load_scenario("no-system", agents=500, days=10), seed=1)
    assert run_view(none)["wrongful_groups"]["said"].startswith(
        "This scenario makes no errors (no false face match, no false report)")


def test_built_in_scenarios_are_listed_in_plain_words(client):
    """The scenario list named the built-ins by their names alone ("national-800",
    "court-blacklist"): each now comes with a short title in plain words, the start of its
    own description (its first sentence or clause, without asides, cut at a word)."""
    from scsim.dashboard.views import TITLE_LONGEST, plain_title

    listed = {s["name"]: s for s in client.get("/api/scenarios").json()["builtin"]}
    assert set(listed) == set(builtin_names())
    for name, s in listed.items():
        assert s["description"] == load_scenario(name).description
        assert s["title"] == plain_title(s["description"]) and s["title"], name
        assert len(s["title"]) <= TITLE_LONGEST + 1, name  # + 1: a "…" when cut at a word
        # the start of the description, without its asides: no word made up
        without_asides = re.sub(r"\s*\([^()]*\)", "", s["description"])
        assert without_asides.startswith(s["title"].removesuffix("…")), name
    assert listed["national-800"]["title"] == (
        "National score out of 800 fed by cameras, purchases, social media and finances")
    assert listed["court-blacklist"]["title"] == (
        "A blacklist of people who did not comply with a court judgment, with no score")
    # an aside in parentheses is dropped; a sentence with no clause to end at is cut at a
    # word; a short one is whole
    assert plain_title("Every mechanism (cameras, reports) together, and more. Two.") == (
        "Every mechanism together, and more")
    assert plain_title("word " * 30) == ("word " * 16).strip() + "…"
    assert plain_title("A pilot; then more.") == "A pilot"


def test_built_in_scenarios_titles_start_in_plain_words():
    """Three built-ins were listed by words a teacher does not know: "court-blacklist with
    travel attempts set for the 2018 growth of the cumulative…", "Speed comparison with
    Mesa: three behaviours, one camera coverage, score deltas", "Trustworthy / average /
    untrustworthy tiers with a group prior"; and two by a jargon first clause ("Every
    mechanism of the sources together", "The national-800 population"). Each now starts
    with what it is in plain words; the rest of its description keeps the facts."""
    from scsim.dashboard.views import plain_title

    titles = {name: plain_title(load_scenario(name).description) for name in builtin_names()}
    assert titles["court-blacklist-series"] == (
        "The court blacklist with the 2018 ticket figures read another way")
    assert titles["mesa-parity"] == (
        "A small model for comparing scsim's speed with the Mesa simulation library")
    assert titles["three-tier"] == (
        "People sorted into three tiers, one group marked average from the start")
    assert titles["high-control"] == (
        "The whole system the source articles describe, abolished after a year")
    assert titles["no-system"] == (
        "The same people and behaviours as national-800 with no scoring system at all")
    jargon = re.compile(r"\b(prior|deltas?|cumulative|parity|mechanisms?|population)\b|…")
    for name, title in titles.items():
        assert title[0].isupper() and not jargon.search(title), (name, title)
    # the facts stay in the descriptions
    series = load_scenario("court-blacklist-series").description
    assert "(0.0058 air, 0.0013 train per person per year)" in series
    assert "18 million air and 5.5 million train tickets blocked in 2018 alone" in series
    assert "(trustworthy, average, untrustworthy)" in load_scenario("three-tier").description


def test_an_agent_s_record_and_case_file_explain_their_words(compiled_kernels):
    """An agent's record showed "tier c", "conformity 1.32", "pariah false" and a case
    file "tier c", "recovery", with nothing to say what they are: each term is defined
    once (a column of the agents table with the columns, ``outputs.result.AGENT_COLUMNS``,
    a word only the story uses in ``views.TERMS``; in the model's words, with the run's own
    numbers: its tiers, its pariah share), the record says it in its row and the case file
    under its story; points by source are defined by their sources' own descriptions."""
    import scsim
    from scsim.core.source import source
    from scsim.dashboard.views import TERMS
    from scsim.outputs.casefile import Trace
    from scsim.outputs.result import AGENT_COLUMNS, agent_column

    sc = load_scenario("national-800", agents=2000, days=40,
                       overrides={"listing.threshold": 690, "shaming.enabled": True,
                                  "shaming.probability": 0.2, "shaming.sever.social": 0.3,
                                  "shaming.pariah_fraction": 0.25})
    res = scsim.simulate(sc, seed=2, trace=Trace(sample=5))
    listed = next(int(t.agent) for t in res.traced.itertuples()
                  if res.agents["times_listed"].iloc[int(t.agent)] > 0)
    view = agent_view(res, listed)
    meanings = view["meanings"]
    assert meanings["tier"] == ("the band of scores it is in, by the scenario's thresholds: "
                                "a from 700 points, b from 650 points, c from 550 points, d "
                                "below 550 points")
    assert meanings["pariah"] == ("left with fewer active ties than 25 % of its ties at the "
                                  "start (shunned after public shaming)")
    assert "690 points" in meanings["listed"]  # the run's own threshold
    assert meanings["conformity"].startswith("how strongly fear keeps it from penalised acts")
    assert meanings["conformity"].endswith("(1 on average)")
    assert meanings["propensity_speech"] == AGENT_COLUMNS["propensity_"].meaning
    assert meanings["points_recovery"] == source("recovery").description
    assert meanings["times_listed"] is None  # its name says it all
    assert view["labels"]["conformity"] == "conformity"  # the definition is said once
    # every row as the agents table's definitions say it, and the story's words too
    for column in view["record"]:
        if not column.startswith("points_"):
            assert meanings[column] == agent_column(column)[0].said(sc), column
    assert TERMS["tier"].meaning is AGENT_COLUMNS["tier"].meaning
    assert view["labels"]["clean_score"] == AGENT_COLUMNS["clean_score"].words
    # the words of its story, each defined as the record defines it
    story, words = view["story"], {w["word"]: w["meaning"] for w in view["words"]}
    assert "tier " in story and "LISTED" in story
    assert (words["tier"], words["listed"]) == (meanings["tier"], meanings["listed"])
    assert words["recovery"] == source("recovery").description
    assert "pariah" not in words  # a word the story does not use is not defined under it
    for word in words:
        assert word.lower() in story.lower(), word


def test_a_changed_setting_is_worded_in_one_place(client):
    """One setting change was said five ways (the "All settings" list, a run's "changed"
    line, the sides beside Compare, a comparison's labels with a capital mid-sentence):
    the server words it (``setting_in_words``), in one form, and /api/validate gives the
    page those words for what the question changes, a percentage typed into "All
    settings" and a cleared value ("not set", not "null") included."""
    from scsim.dashboard.levers import setting_in_words
    from scsim.dashboard.views import _label_in_words

    said = setting_in_words("surveillance.misattribution: 0.001 → 0.01")
    assert said == ("false-match rate 0.1 % → 1 % of camera sightings "
                    "(surveillance.misattribution: 0.001 → 0.01)")
    assert _label_in_words("B: national-800, surveillance.misattribution=0.01") == (
        "B: national-800, false-match rate 1 % of camera sightings "
        "(surveillance.misattribution=0.01)")  # lower case mid-sentence
    assert setting_in_words("listing.threshold: 550 → null") == (
        "listing threshold 550 → not set (listing.threshold)")
    assert setting_in_words("regions.rollout[2].day: 90 → 120") == (
        "nationwide from day 90 → 120 (regions.rollout[2].day)")  # a [-1] lever's item
    # a setting without a lever: by its name, unit and path, a share as a percentage
    assert setting_in_words("shunning.refuse: 0.5 → 0.2") == (
        "shunning refuse 50 % → 20 % of transactions (shunning.refuse: 0.5 → 0.2)")
    assert setting_in_words("behaviours.littering: added") == "behaviours.littering: added"
    answer = client.post("/api/validate", json={
        "source": NATIONAL, "agents": 200, "levers": {"surveillance.misattribution": 0.01},
        "settings": {"shunning.refuse": "20 %", "listing.threshold": "null",
                     "fear.speed": "abc"}}).json()
    assert answer["changes"] == {
        "surveillance.misattribution": said,
        "shunning.refuse": setting_in_words("shunning.refuse: 0.5 → 0.2"),
        "listing.threshold": setting_in_words("listing.threshold: 550 → null"),
        "fear.speed": "fear speed 0.05 → abc (fear.speed)"}  # as typed: its problem apart
    assert not answer["ok"]
    # A's own changes, in the same words, for the line beside Compare
    kept = client.post("/api/validate", json={
        "source": NATIONAL, "agents": 200, "a": {"levers": {"listing.threshold": 600}}}).json()
    assert kept["a_changes"] == {
        "listing.threshold": "listing threshold 550 → 600 points (listing.threshold)"}
    # the page words no setting itself: its copies are gone
    script = (Path(create_app.__code__.co_filename).parent / "static" / "app.js").read_text(
        encoding="utf-8")
    assert "changeInWords" not in script and "changesInWords" not in script


def test_a_percentage_is_typed_for_every_setting_said_as_one(tmp_path):
    """``scsim compare``'s headline says ``shunning.refuse`` and ``listing.appeals.win`` as
    percentages: "All settings" takes a percentage for them too (not only for the three
    levers' settings), but not for a rate per day."""
    store = open_store(tmp_path / "store")
    asked = scenario_of({"source": NATIONAL, "settings": {
        "shunning.refuse": "20 %", "listing.appeals.win": "5%"}}, store)
    assert (asked.shunning.refuse, asked.listing.appeals.win) == (0.2, 0.05)
    with pytest.raises(ScenarioError):
        scenario_of({"source": NATIONAL, "settings": {"fear.speed": "5 %"}}, store)


def test_the_settings_module_does_not_load_the_levers():
    """``dashboard.settings`` (which ``app`` imports for the boxes) takes the percent
    conversions from the scenario reference, not from the levers (and their mechanisms);
    the conversions are the reference's only."""
    import subprocess
    import sys

    code = ("import sys, scsim.dashboard.settings; "
            "print('scsim.dashboard.levers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
    import scsim.dashboard.levers as levers

    for name in ("share_of", "PERCENT", "percent_paths", "_percent_words"):
        assert not hasattr(levers, name), name


def test_a_deleted_run_is_a_404(client):
    """The page asks /api/runs/ID whether a run it no longer finds in the list (which holds
    only the newest 200 runs) was deleted: a run the store does not hold is a 404."""
    answer = client.get("/api/runs/20200101-000000-abcd")
    assert answer.status_code == 404 and "deleted" in answer.json()["error"]


def test_the_disparate_impact_caption_names_where_the_summary_is():
    """The dashboard has no summary table: the caption names where the ratio of the shares
    ever listed is (the summary of `scsim show RUN --full` and of the HTML report)."""
    script = (Path(create_app.__code__.co_filename).parent / "static" / "app.js").read_text(
        encoding="utf-8")
    assert "the summary table's ratio" not in script
    assert "in the summary of `scsim show RUN --full` and of the HTML report" in script
