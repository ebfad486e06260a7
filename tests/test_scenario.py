"""Scenario files: every built-in loads, overrides and inheritance work, and each kind of
bad input gives one clear line naming the field (and the file and line)."""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml

import scsim
from scsim.errors import ScenarioError, ScenarioWarning
from scsim.scenario import dump_yaml, load_scenario, timeline_epochs


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(source, **kw):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(source, **kw)
    return exc.value.problems


def test_every_builtin_loads_and_round_trips():
    names = scsim.builtin_names()
    assert {"pilot-1000", "national-800", "three-tier", "informants", "court-blacklist",
            "no-system"} <= set(names)
    for name in names:
        sc = load_scenario(name)
        assert sc.name == name and sc.source and sc.description
        again = load_scenario(yaml.safe_load(dump_yaml(sc)))
        assert again == sc


def test_overrides_by_path_and_named_item():
    sc = load_scenario("national-800", agents=123, days=45, overrides=[
        "scoring.association.alpha=0.05", "network.kind=erdos_renyi",
        "behaviours.court_default.rate=1e-4", "behaviours[0].delta=-7",
        "surveillance.channels.camera.coverage=0.1"])
    assert sc.population.agents == 123 and sc.days == 45
    assert sc.scoring.association.alpha == 0.05
    assert sc.network.kind == "erdos_renyi"
    assert {b.name: b.rate for b in sc.behaviours}["court_default"] == 1e-4
    assert sc.behaviours[0].delta == -7
    assert sc.surveillance.channels["camera"].coverage == 0.1


def test_an_override_of_a_missing_list_item_names_the_override():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("mesa-parity", overrides=["behaviours[5].rate=1"])
    assert exc.value.source == "<built-in mesa-parity>"
    assert exc.value.problems == [
        "override behaviours[5].rate=1: behaviours: no item [5] (there are 3)"]
    # an item of a list the scenario does not give (it was "timeline: must be a list")
    assert problems("mesa-parity", overrides=["timeline[0].day=5"]) == [
        "override timeline[0].day=5: timeline: no item [0] (there are none)"]
    assert problems("mesa-parity", overrides=["behaviours.ghost.rate=1"]) == [
        "override behaviours.ghost.rate=1: behaviours: no item named 'ghost' (known: "
        "jaywalking, criticising_government, volunteering)"]
    assert problems("mesa-parity", overrides=["scoring.s0.x=1"]) == [
        "override scoring.s0.x=1: scoring.s0: is a value, not a section"]


def test_base_inheritance_merges_named_lists(tmp_path):
    path = write(tmp_path, """
        base: national-800
        name: mine
        behaviours:
          - {name: bad_driving, rate: 0.5}
          - {name: new_one, rate: 0.1, delta: -1, channel: camera}
        """)
    sc = load_scenario(path)
    base = load_scenario("national-800")
    rates = {b.name: b.rate for b in sc.behaviours}
    assert rates["bad_driving"] == 0.5 and "new_one" in rates
    assert len(sc.behaviours) == len(base.behaviours) + 1
    assert sc.scoring == base.scoring


def test_errors_name_field_file_and_line(tmp_path):
    path = write(tmp_path, """
        name: broken
        behaviours:
          - {name: a, rate: 0.1, delta: -1, channel: camera}
          - {name: b, rate: 0.1, delta: -1, channel: camera}
          - {name: c, rate: 0.1, delta: -1, channel: camera}
          - {name: d, rate: -0.5, delta: -1, channel: camera}
        scoring:
          association: {alfa: 0.1}
        surveillance:
          channels:
            camera: {coverage: 1.5}
        """)
    found = problems(path)
    assert f"{path}:7: behaviours[3].rate: must be >= 0" in found
    assert f"{path}:9: scoring.association.alfa: unknown key (did you mean 'alpha'?)" in found
    assert (f"{path}:12: surveillance.channels.camera.coverage: must be <= 1 (a share or "
            "probability: 1.5 % is 0.015)") in found


def test_agents_or_days_given_twice_must_agree(monkeypatch, capsys):
    """--agents/--days beside an override of the same key: one value is taken, two that
    disagree are refused (compare took --agents over --set-b silently, then said A and B
    were the same scenario)."""
    from conftest import run_cli

    same = load_scenario("national-800", agents=500, overrides={"population.agents": 500})
    assert same.population.agents == 500
    for kwargs, message in (
            ({"agents": 500, "overrides": {"population.agents": 600}},
             "agents=500 and the override population.agents=600 disagree"),
            ({"days": 10, "overrides": ["days=20"]}, "days=10 and the override days=20")):
        with pytest.raises(ScenarioError, match=message):
            load_scenario("national-800", **kwargs)
    code, out, err = run_cli(monkeypatch, capsys, "compare", "national-800", "national-800",
                             "--agents", "500", "--days", "5", "--set-b",
                             "population.agents=600")
    assert code == 2 and "--agents 500 and the override population.agents=600 disagree" in err
    assert "Traceback" not in err + out


def test_unknown_keys_do_not_hide_the_rules_that_span_fields(tmp_path):
    """A scenario whose only field problems are unknown keys is checked without them too:
    one run tells the misspelt keys and a rule broken elsewhere. A problem of a value
    stops the second check (a default put in its place could be blamed instead)."""
    path = write(tmp_path, """
        name: typos
        behaviours:
          - {name: a, rate: 0.1, delta: -1, channel: camra}
        scoring:
          recovry: 0.01
        surveillance:
          channels:
            camera: {coverage: 0.5, facial_recognitoin: true}
        """)
    found = problems(path)
    assert found == [
        f"{path}:4: behaviours[0].channel: unknown channel 'camra' (known: camera)",
        f"{path}:6: scoring.recovry: unknown key (did you mean 'recovery'?)",
        f"{path}:9: surveillance.channels.camera.facial_recognitoin: unknown key (did you "
        "mean 'facial_recognition'?)"]
    path.write_text(path.read_text().replace("coverage: 0.5", "coverage: 5"))
    assert not any("unknown channel" in p for p in problems(path))


def test_a_misspelt_required_key_is_one_problem(tmp_path):
    """'chanel' for the required 'channel' reads as one problem, the unknown key and what
    it was meant to be, not also 'channel: required'; a key missing with no misspelling
    beside it is still required."""
    path = write(tmp_path, """
        behaviours:
          - {name: a, rate: 0.1, delta: -1, chanel: camera}
          - {name: b, rate: 0.1, delta: -1}
        """)
    assert problems(path) == [
        f"{path}:3: behaviours[0].chanel: unknown key (did you mean 'channel'?)",
        f"{path}:4: behaviours[1].channel: required"]


@pytest.mark.parametrize(("text", "expected"), [
    ("days: 10\nmystery: 1\n", "mystery: unknown key"),
    ("days: ten\n", "days: must be a whole number, got 'ten'"),
    # YAML reads 1e3 as text: the number it means is said (it was "got '1e3'" alone)
    ("days: 1e3\n", "days: must be a whole number, got '1e3' (write 1000)"),
    ("population: {agents: 2.5E4}\n",
     "population.agents: must be a whole number, got '2.5E4' (write 25000)"),
    # the readings the command line gives a whole number slipped (words.whole_number_meant)
    ("days: 1,000\n", "days: must be a whole number, got '1,000' (write 1000, or 1 if the "
     "',' is a decimal point)"),
    ("days: 2.5\n", "days: must be a whole number, got 2.5 (write 2 or 3)"),
    # a long value is repeated cut, with its length (5,000 characters were repeated whole)
    ("days: " + "x" * 100 + "\n", "days: must be a whole number, got '" + "x" * 38 + "… (100 "
     "characters)"),
    ("scoring: {s0: .nan}\n", "scoring.s0: must be a finite number"),
    ("scoring: {s0: .inf}\n", "scoring.s0: must be a finite number"),
    ("listing: {threshold: 5000}\n", "listing.threshold: must be within the score range"),
    ("detention: {threshold: -300}\n", "detention.threshold: must be within the score range"),
    ("sanctions: {schools: {score_below: 5000}}\n",
     "sanctions.schools.score_below: must be within the score range"),
    ("tiers: [{name: x, min: -5}]\n", "tiers[0].min: must be within the score range"),
    ("scoring: {min: 10, max: 5}\n", "scoring.max: must be > scoring.min"),
    ("reports: {accept: 2}\n", "reports.accept: must be <= 1"),
    ("network: {kind: small_world}\n", "network.kind: must be one of"),
    ("network: {kind: file}\n", "network.path: required when network.kind is 'file'"),
    ("network: {kind: file, path: /no/such.edges}\n", "network.path: file not found"),
    ("network: {kind: file, path: /}\n", "network.path: is a folder, not an edge-list file: /"),
    ("behaviours: [{name: x, rate: 1, delta: 1, channel: radar}]\n",
     "behaviours[0].channel: unknown channel 'radar'"),
    ("behaviours: [{name: X, rate: 1, delta: 1, channel: camera}]\n",
     "behaviours[0].name: must be a lowercase name"),
    ("behaviours: [{name: x, delta: 1, channel: camera}]\n", "behaviours[0].rate: required"),
    ("population: {groups: [{name: a, share: 0.5}]}\n", "shares must sum to 1"),
    ("population: {reference_group: ghosts}\n", "population.reference_group: unknown group"),
    ("surveillance: {misattribution_factor: {ghosts: 2}}\n", "unknown group 'ghosts'"),
    ("surveillance: {misattribution: 0.5, misattribution_factor: {everyone: 3}}\n",
     "surveillance.misattribution_factor.everyone: 3 times surveillance.misattribution (0.5) "
     "makes this group's false-match rate 1.5, above 1: with this factor "
     "surveillance.misattribution can be at most 0.333"),
    ("regions: {count: 2, rollout: [{day: 0, regions: [5]}]}\n",
     "regions.rollout[0].regions[0]: region 5 does not exist"),
    ("scoring: 5\n", "scoring: must be a section"),
    ("days: 10\ndays: 20\n", "days: duplicate key"),
    ("days: [1,\n", "YAML syntax error"),
    # told as the pure Python parser tells it (libyaml, which reads it first, says only
    # "found character that cannot start any token"), after what it means in plain words
    ("days: 3\n\tseed: 3\n",
     "YAML syntax error: a tab: YAML indents with spaces only (found character '\\t' that "
     "cannot start any token)"),
    # a tab libyaml reads, before the error: the error's line, not the tab's, is told
    ("days:\t30\nscoring:\n  s0: 900\n   threshold: 1\n",
     "s.yaml:4: YAML syntax error: a ':' where none can be: a key indented more than the one "
     "above it, or a value with ': ' in it that needs quotes (mapping values are not allowed"),
    ("scoring:\n  s0: 900\n recovery: 0.1\n", "s.yaml:3: YAML syntax error: the indentation "
     "does not line up: a key indented less than the keys beside it (expected <block end>"),
    ("days: 5\nbehaviours: [{name: a\n", "YAML syntax error: a bracket opened and not closed"),
    ("timeline: [{day: 5, set: {scoring.association.alpha: -1}}]\n",
     "timeline[0].set.scoring.association.alpha: must be >= 0"),
    ("timeline: [{day: 5, set: {population.agents: 5}}]\n",
     "'population.agents' is fixed when the run starts"),
    ("days: 10\ntimeline: [{day: 50, set: {scoring.recovery: 0.1}}]\n",
     "timeline[0].day: day 50 is after the run ends"),
    ("timeline: [{day: 5, set: {behaviours.ghost.rate: 1}}]\n", "no item named 'ghost'"),
    ("warmup_days: -5\n", "warmup_days: must be >= 0"),
    ("detention: {enabled: true, days: 0}\n", "detention.days: must be >= 1"),
    ("listing: {initial_share: 1.5}\n", "listing.initial_share: must be <= 1"),
    ("listing: {enabled: false, initial_share: 0.01}\n",
     "listing.initial_share: needs listing.enabled: true"),
    ("timeline: [{day: 5, set: {listing.initial_share: 0.1}}]\n",
     "'listing.initial_share' is fixed when the run starts"),
    # a group's s0 may change (its recovery target), not the rest of it
    ("timeline: [{day: 5, set: {'population.groups[0].share': 0.5}}]\n",
     "'population.groups[0].share' is fixed when the run starts"),
    ("timeline: [{day: 5, set: {'population.groups[0].s0': 5000}}]\n",
     "timeline[0].set.population.groups[0].s0: must be within the score range"),
    # -1e308 overflowed the sums of points by source to -inf
    ("behaviours: [{name: a, rate: 0.1, delta: -1e308, channel: camera}]\n",
     "behaviours[0].delta: must be within ± 1300 points (scoring.max − scoring.min"),
])
def test_invalid_inputs(tmp_path, text, expected):
    path = write(tmp_path, text)
    found = problems(path)
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(path)) for p in found), found  # each names the file


def test_a_base_or_file_that_is_not_a_scenario_names_where(tmp_path):
    """A misspelt base: is a scenario error at its line with the nearest built-in (it was
    an internal TypeError), a relative base: that is missing says so, and a folder is
    called a folder (it was 'no scenario file named')."""
    (tmp_path / "adir.yaml").mkdir()
    bad = write(tmp_path, "base: national-801\nname: x\n", "bad.yaml")
    assert problems(bad) == [
        f"{bad}:1: base: no scenario file or built-in scenario named 'national-801' (did you "
        f"mean 'national-800'? built-in: {', '.join(scsim.builtin_names())})"]
    missing = write(tmp_path, "name: x\nbase: ./nothere.yaml\n", "missing.yaml")
    assert problems(missing)[0].startswith(
        f"{missing}:2: base: no scenario file or built-in scenario named './nothere.yaml' (")
    folder = write(tmp_path, "base: adir.yaml\nname: x\n", "folder.yaml")
    assert problems(folder) == [f"{folder}:1: base: adir.yaml is a folder, not a scenario file"]
    assert problems(tmp_path / "adir.yaml") == [
        f"{tmp_path / 'adir.yaml'} is a folder, not a scenario file"]


def test_a_scenario_file_needs_a_base_or_behaviours_and_its_name_is_optional(tmp_path):
    """The name defaults to "custom" (the schema); what a file needs is a base: or
    behaviours of its own: `days: 30` alone was a scenario where nobody acts, and the
    empty-file message asked for a name, which is not required."""
    needs = ("a scenario file needs a base: to start from, e.g. base: national-800, or "
             "behaviours of its own")
    only_days = write(tmp_path, "days: 30\n", "days.yaml")
    assert problems(only_days) == [f"{only_days}: no behaviours ({needs})"]
    empty = write(tmp_path, "# nothing\n", "empty.yaml")
    assert problems(empty) == [f"{empty}: the file is empty ({needs})"]
    chain = write(tmp_path, "base: days.yaml\nname: c\n", "chain.yaml")
    assert problems(chain) == [f"{chain}: no behaviours ({needs})"]
    based = load_scenario(write(tmp_path, "base: national-800\ndays: 30\n", "b.yaml"))
    assert based.name == "national-800" and based.behaviours  # the base's name
    own = write(tmp_path, """
        behaviours:
          - {name: littering, rate: 0.01, delta: -5, channel: camera}
        surveillance: {channels: {camera: {coverage: 0.5}}}
        """, "own.yaml")
    unnamed = load_scenario(own)
    assert unnamed.name == "custom" and [b.name for b in unnamed.behaviours] == ["littering"]
    assert load_scenario({"days": 30, "behaviours": []}).behaviours == []  # on purpose


def test_a_mapping_without_behaviours_is_warned_as_a_file_is_refused():
    """``simulate({"days": 10, "population": {"agents": 1000}})`` ran silently with nobody
    acting, where the same text as YAML was refused: it is told in the same words, as a
    ScenarioWarning (the test suite's mechanisms-only scenarios are such mappings:
    conftest's BARE). ``behaviours: []``, a base or an override that adds behaviours are
    meant and not warned."""
    needs = ("no behaviours (a scenario file needs a base: to start from, e.g. base: "
             "national-800, or behaviours of its own)")
    given = {"days": 10, "population": {"agents": 1000}}
    assert problems(yaml.safe_dump(given)) == [f"<text>: {needs}"]
    with pytest.raises(ScenarioError) as refused:  # its header names it, as every other's
        load_scenario("days: 10\npopulation: {agents: 1000}\n")
    assert str(refused.value).startswith(f"invalid scenario <text>:\n  <text>: {needs}")
    with pytest.warns(scsim.ScenarioWarning) as caught:
        sc = load_scenario(given)
    assert sc.behaviours == [] and [str(w.message) for w in caught] == [
        f"<dict>: {needs}: nobody acts in it (behaviours: [] runs it so on purpose, without "
        "this warning)"]
    assert caught[0].message.path == ("behaviours",)
    with pytest.warns(scsim.ScenarioWarning, match=r"^<dict>: no behaviours \(a scenario "):
        scsim.simulate(given, seed=1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_scenario({**given, "behaviours": []}).behaviours == []
        assert load_scenario({**given, "base": "national-800"}).behaviours
        added = load_scenario(given, overrides={"behaviours": [
            {"name": "litter", "rate": 0.1, "delta": -5, "channel": "camera"}],
            "surveillance.channels.camera.coverage": 0.5})
        assert [b.name for b in added.behaviours] == ["litter"]
        # a Scenario's own mapping (agents= on a Scenario) always has the key
        assert scsim.simulate(load_scenario({**given, "behaviours": []}), agents=100,
                              days=2).info["agents"] == 100


def test_bad_override_and_unknown_scenario():
    assert "no scenario file or built-in scenario named 'nope' (built-in: " in problems(
        "nope")[0]
    # no scenario, so none to be invalid: said alone, not headed "invalid scenario:"
    with pytest.raises(ScenarioError) as missing:
        load_scenario("national800")
    assert str(missing.value).startswith("no scenario file or built-in scenario named "
                                         "'national800' (did you mean 'national-800'?")
    assert "named 'national800' (did you mean 'national-800'? built-in:" in problems(
        "national800")[0]
    assert any("scoring.recovery: must be <= 1" in p
               for p in problems("national-800", overrides=["scoring.recovery=3"]))
    assert "expected KEY=VALUE" in problems("national-800", overrides=["scoring"])[0]
    assert "no value after '=' (write listing.threshold=null to clear it)" in problems(
        "national-800", overrides=["listing.threshold= "])[0]
    cleared = load_scenario("national-800", overrides=["listing.threshold=null"])
    assert cleared.listing.threshold is None
    assert any("population.agents: must be >= 2" in p
               for p in problems("national-800", agents=1))
    # base is the loader's, not a setting: an override of it said "unknown key (did you
    # mean 'base'?)"
    assert problems("national-800", overrides=["base=pilot-1000"]) == [
        "override base=pilot-1000: base is the scenario a file builds on, not a setting: "
        "give that scenario instead"]


def test_an_unknown_top_level_key_lists_base_among_the_known(tmp_path):
    """A file's top-level keys include base (the loader takes it before the schema sees
    the file): the list of known keys left it out, and a misspelling was not matched."""
    path = tmp_path / "own.yaml"
    path.write_text("extends: national-800\ndays: 10\n")
    assert problems(path)[0].startswith(
        f"{path}:1: extends: unknown key (known: base, name, description, source, days,")
    path.write_text("bsae: national-800\ndays: 10\n")
    assert problems(path) == [f"{path}:1: bsae: unknown key (did you mean 'base'?)"]
    # not in an override's: base is no setting
    (told,) = problems("national-800", overrides=["bsae=1"])
    assert told.startswith("override bsae=1: bsae: unknown key (known: name, description,")


@pytest.mark.parametrize(("given", "named"), [
    ({"agents": 1}, "agents=1: population.agents: must be >= 2"),
    ({"days": 0}, "days=0: days: must be >= 1"),
    ({"agents": 5, "overrides": {"population.agents": 7}},
     "agents=5 and the override population.agents=7 disagree"),
])
def test_a_python_argument_is_named_as_python_writes_it_not_as_a_cli_option(given, named):
    """A notebook user passed ``agents=1``; '--agents 1' would send them to a command line."""
    found = problems("national-800", **given)
    assert any(named in p for p in found) and not any("--" in p for p in found), found


def test_a_scenario_changed_in_python_is_checked_before_it_runs():
    """A notebook user changed a field through ``model_copy(update=...)``, or a list in
    place, neither checked when done: a probability of 5 ran, a threshold of 'abc' failed
    deep in numba. Every entry point validates a Scenario again, and a valid one comes
    back equal (an int where a float is due as a float, so no new kernel version). An
    assignment is checked at once (``test_an_assignment_is_checked_at_once``)."""
    sc = load_scenario("pilot-1000", agents=200, days=2)
    for change, said in ((lambda s: s.model_copy(update={"surveillance": s.surveillance.
                                                          model_copy(update={
                                                              "misattribution": -0.5})}),
                          "surveillance.misattribution: must be >= 0"),
                         (lambda s: s.model_copy(update={"listing": s.listing.model_copy(
                             update={"threshold": "abc"})}),
                          "listing.threshold: must be a number, got 'abc'")):
        bad = change(sc)
        for call in (scsim.simulate, scsim.Simulation, lambda s: scsim.replicate(s, reps=1),
                     lambda s: scsim.compare(s, sc)):
            with pytest.raises(ScenarioError, match=said):
                call(bad)
    listed = sc.model_copy(deep=True)
    listed.behaviours[0].__dict__["rate"] = -1.0  # (past the assignment's check)
    with pytest.raises(ScenarioError, match=r"behaviours\[0\]\.rate: must be >= 0"):
        scsim.simulate(listed)
    whole = sc.model_copy(deep=True)
    whole.listing.threshold = 650
    assert isinstance(whole.listing.threshold, float)  # converted when assigned
    assert scsim.Simulation(whole).scenario.listing.threshold == 650.0
    assert isinstance(scsim.Simulation(whole).scenario.listing.threshold, float)
    for name in scsim.builtin_names():
        loaded = load_scenario(name)
        assert scsim.scenario.as_scenario(loaded) == loaded


def assigned(target, name, value) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        setattr(target, name, value)
    assert str(exc.value).startswith("invalid scenario:\n  ")
    return exc.value.problems


def test_an_assignment_is_checked_at_once():
    """``sc.listing.threshold = "abc"`` and ``sc.population.agents = -5`` were accepted,
    and refused only at simulate(), naming ``<scenario>``: an assignment is validated
    (pydantic's ``validate_assignment``) and refused at once in the loader's words, at
    the field's path in the scenario, the field keeping its value; a section or list
    assigned whole is checked and its items named from the scenario too, in copies and
    pickles as well."""
    import copy
    import pickle

    sc = load_scenario("national-800", agents=2000)
    before = sc.model_dump()
    assert assigned(sc.listing, "threshold", "abc") == [
        "listing.threshold: must be a number, got 'abc'"]
    assert assigned(sc.population, "agents", -5) == ["population.agents: must be >= 2"]
    assert assigned(sc.listing, "threshold", True) == [
        "listing.threshold: must be a number, got true"]
    assert assigned(sc, "days", 0) == ["days: must be >= 1"]
    assert assigned(sc.listing, "treshold", 600) == [
        "listing.treshold: unknown key (did you mean 'threshold'?)"]
    assert assigned(sc.population.conformity, "sigma", 9) == [
        "population.conformity.sigma: must be <= 5"]
    assert assigned(sc.behaviours[2], "rate", "often") == [
        "behaviours[2].rate: must be a number, got 'often'"]
    channel = next(iter(sc.surveillance.channels))
    assert assigned(sc.surveillance.channels[channel], "coverage", 1.5) == [
        f"surveillance.channels.{channel}.coverage: must be <= 1 (a share or probability: "
        "1.5 % is 0.015)"]
    assert assigned(sc, "population", {"agents": 1, "household_size": 0}) == [
        "population.agents: must be >= 2", "population.household_size: must be >= 1"]
    assert sc.model_dump() == before  # nothing refused was kept
    sc.population = {**sc.population.model_dump(), "agents": 3000,
                     "conformity": {"mean": 2.0}}  # a whole section
    assert sc.population.agents == 3000 and sc.population.conformity.mean == 2.0
    assert assigned(sc.population.conformity, "mean", -1) == [
        "population.conformity.mean: must be >= 0"]
    sc.behaviours = [*sc.behaviours, {"name": "litter", "rate": 0.1, "delta": -5,
                                      "channel": channel}]
    last = len(sc.behaviours) - 1
    assert assigned(sc.behaviours[last], "delta", "x") == [
        f"behaviours[{last}].delta: must be a number, got 'x'"]
    for other in (copy.deepcopy(sc), sc.model_copy(deep=True), pickle.loads(pickle.dumps(sc))):
        assert other == sc
        assert assigned(other.listing, "threshold", "abc") == [
            "listing.threshold: must be a number, got 'abc'"]
    # the rules across fields are checked when it runs: two fields changed one by one
    sc.scoring.min = sc.scoring.max + 1
    sc.scoring.max = sc.scoring.min + 1000
    sc.scoring.min = 0
    assert scsim.scenario.as_scenario(sc).scoring.max == sc.scoring.max
    sc.scoring.min = sc.scoring.max + 1
    with pytest.raises(ScenarioError, match=r"scoring.max: must be > scoring.min"):
        scsim.scenario.as_scenario(sc)
    sc.scoring.min = 0
    sc.listing.threshold = 600  # a valid value, as before
    assert sc.listing.threshold == 600.0
    from scsim.scenario.section import Section

    assert "validate_assignment" in Section.__doc__


def test_one_override_may_be_given_as_a_string_and_reps_must_be_whole():
    """``overrides="a.b=v"`` was read one character at a time ('--set s: expected
    KEY=VALUE'), and ``reps=1.5`` failed inside range()."""
    assert load_scenario("national-800", overrides="listing.threshold=600"
                         ).listing.threshold == 600
    for reps in (1.5, "2", 0, True):
        with pytest.raises(scsim.ScsimError, match="reps must be a whole number of at least "
                           f"1, got {reps!r}"):
            scsim.replicate("pilot-1000", reps=reps, agents=100, days=1)


HALF_MAJORITY = """\
base: national-800
days: 30
population:
  groups:
    - {name: majority, share: 0.5}
"""
"""A file whose groups' shares sum to 0.6 (line 4: population.groups)."""


def test_a_problem_an_override_caused_names_that_override(tmp_path):
    """`--days 5 --set foo.bar=1` said "--days 5: foo: unknown key (known: ..., days,
    ...)": the known keys named --days. A problem at a key no line wrote, or at a line of a
    built-in (which the user did not write), names the override that wrote under it, and
    an item by the name the override used."""
    assert problems("national-800", days=5, overrides=["foo.bar=1"])[0].startswith(
        "override foo.bar=1: foo: unknown key (known: ")
    assert problems("national-800", overrides=["behaviours[0].rate=1000"]) == [
        "override behaviours[0].rate=1000: behaviours.bad_driving.rate: must be <= 50"]
    assert problems("national-800", overrides={"population.groups.majority.share": 0.5}) == [
        "override population.groups.majority.share=0.5: population.groups: shares must sum "
        "to 1 (they sum to 0.6: majority 0.5, minority 0.1)"]
    own = write(tmp_path, HALF_MAJORITY)
    found = problems(own, days=5)
    assert len(found) == 1 and found[0].startswith(f"{own}:4: population.groups: shares "), found
    # a key misspelt by an override under a section the file wrote: the override, not the
    # file's line of that section (which the user would search in vain)
    listing = write(tmp_path, "behaviours: [{name: a, rate: 0.1, delta: -1, channel: camera}]"
                    "\nlisting:\n  threshold: 990\n", "listing.yaml")
    assert problems(listing, overrides=["listing.appeal.rate=0.05"]) == [
        "override listing.appeal.rate=0.05: listing.appeal: unknown key (did you mean "
        "'appeals'?)"]


def test_agents_beside_an_edge_list_network_are_refused(tmp_path):
    """`--network net.txt --agents 100` ran the file's 5 agents without a word."""
    edges = tmp_path / "net.txt"
    edges.write_text("0 1\n1 2\n2 0\n3 4\n")
    assert problems("national-800", agents=100, network=edges) == [
        f"agents=100 and network={str(edges)!r}: an edge-list network fixes the number of "
        "agents (its node count); give one of them"]
    assert load_scenario("national-800", network=edges).network.kind == "file"


def test_a_problem_a_base_file_wrote_names_that_file_and_line(tmp_path):
    """A file whose base: file is invalid told "population.groups: shares must sum to 1"
    with no file or line: the user could not tell which file to fix."""
    base = write(tmp_path, HALF_MAJORITY + "listing:\n  threshold: 900\n", "t10.yaml")
    child = write(tmp_path, "base: t10.yaml\ndays: 20\nlisting: {duration: 30}\n", "t11.yaml")
    assert problems(child) == [
        f"{base}:4: population.groups: shares must sum to 1 (they sum to 0.6: majority 0.5, "
        "minority 0.1); a base's groups and yours merge by name, so to have other groups "
        "give yours the base's names",
        f"{base}:7: listing.threshold: must be within the score range [0, 800]"]
    fixed = write(tmp_path, "base: t10.yaml\nlisting: {threshold: 950}\n", "t12.yaml")
    found = problems(fixed)  # its own key at its own line, the base's at the base's
    assert len(found) == 2 and found[0].startswith(f"{fixed}:2: listing.threshold: must be "
                                                   "within") and found[1].startswith(f"{base}:4")


def test_timeline_epochs_apply_cumulatively(tmp_path):
    path = write(tmp_path, """
        base: national-800
        days: 100
        timeline:
          - {day: 60, set: {scoring.recovery: 0.2}}
          - {day: 30, set: {scoring.association.alpha: 0.1, scoring.recovery: 0.1}}
        """)
    epochs = timeline_epochs(load_scenario(path))
    assert [d for d, _ in epochs] == [0, 30, 60]
    assert epochs[1][1].scoring.association.alpha == 0.1
    assert epochs[2][1].scoring.association.alpha == 0.1  # carried forward
    assert epochs[2][1].scoring.recovery == 0.2


def test_an_item_a_based_file_adds_is_named_not_numbered_by_the_merged_list(tmp_path):
    """The file's only behaviour is the 9th of the list merged with national-800's eight:
    'behaviours[8]' would point at nothing in the file; its name does, with its line. A
    file without a base keeps its own positions."""
    based = write(tmp_path, """
        base: national-800
        behaviours:
          - {name: jaywalking, rate: -0.1, delta: -5, channel: camera}
        """)
    assert problems(based) == [f"{based}:4: behaviours.jaywalking.rate: must be >= 0"]
    alone = write(tmp_path, """
        behaviours:
          - {name: jaywalking, rate: -0.1, delta: -5, channel: camera}
        surveillance: {channels: {camera: {coverage: 0.5}}}
        """)
    assert problems(alone) == [f"{alone}:3: behaviours[0].rate: must be >= 0"]


def test_a_problem_another_key_explains_is_put_at_the_override_that_set_it():
    """A false-match rate overridden so that a group's factor (in the built-in file) takes
    it above 1: the problem names the override, not only the file's line the user never
    touched, and says how high the rate may go."""
    with pytest.raises(ScenarioError) as err:
        load_scenario("national-800", overrides=["surveillance.misattribution=0.5"])
    (problem,) = err.value.problems
    assert problem.startswith("override surveillance.misattribution=0.5: "
                              "surveillance.misattribution_factor.minority: 3 times")
    assert problem.endswith("surveillance.misattribution can be at most 0.333")


def test_a_name_repeated_in_ones_own_list_is_refused_with_or_without_a_base(tmp_path):
    """Merged onto a base by name, the second 'a' silently replaced the first; without a
    base the schema refused it. Both are refused, at the repeat's own line and position in
    the file's list; a name shared with the base's list still merges."""
    based = write(tmp_path, """
        base: national-800
        tiers:
          - {name: a, min: 790}
          - {name: a, min: 600}
        behaviours:
          - {name: bad_driving, rate: 0.5}
          - {name: bad_driving, rate: 0.01}
        """)
    assert problems(based) == [f"{based}:5: tiers[1].name: duplicate name 'a'",
                               f"{based}:8: behaviours[1].name: duplicate name 'bad_driving'"]
    assert problems({"base": "national-800", "tiers": [{"name": "a", "min": 700},
                                                       {"name": "a", "min": 600}]}) == [
        "tiers[1].name: duplicate name 'a'"]
    alone = write(tmp_path, """
        behaviours:
          - {name: x, rate: 0.01, delta: -5, channel: camera}
        surveillance: {channels: {camera: {coverage: 0.5}}}
        tiers:
          - {name: a, min: 700}
          - {name: a, min: 600}
          - {name: a, min: 500}
        """, "alone.yaml")
    assert problems(alone) == [f"{alone}:7: tiers[1].name: duplicate name 'a'",
                               f"{alone}:8: tiers[2].name: duplicate name 'a'"]


def test_a_timeline_may_not_move_a_behaviour_to_a_new_category(tmp_path):
    """Each agent's propensity per category is drawn once: a category not there on day 0
    was valid and then crashed the run ('newcat' is not in list); one that is there
    applies from the step's day."""
    path = write(tmp_path, """
        base: national-800
        timeline:
          - day: 10
            set:
              behaviours.bad_driving.rate: 0.1
              behaviours.bad_driving.category: newcat
        """)
    assert problems(path) == [
        f"{path}:7: timeline[0].set.behaviours.bad_driving.category: category 'newcat' is "
        "not one of day 0's (traffic, leisure, speech, family, money): each agent's "
        "propensity per category is drawn when the run starts, so a timeline can only move "
        "a behaviour to one of those"]
    path.write_text(path.read_text().replace("newcat", "speech"))
    (_, first), (_, later) = timeline_epochs(load_scenario(path))
    assert {b.name: b.category for b in later.behaviours}["bad_driving"] == "speech"
    assert {b.name: b.category for b in first.behaviours}["bad_driving"] == "traffic"


def test_timeline_problems_name_the_step_and_line_as_written(tmp_path):
    """Steps out of day order are named by their place in the file (they were numbered
    after sorting by day: the wrong step and line), an item named by name is told at its
    own key and line (it was told by position at the 'set:' line), and every problem of
    a step is told, an unknown item in one line each."""
    path = write(tmp_path, """
        base: national-800
        timeline:
          - day: 50
            set:
              listing.threshold: 500
          - day: 20
            set:
              behaviours.bad_driving.rate: -3
              behaviours.flying.rate: 0.1
              scoring.association.alfa: 0
              sanctions.travel.air_rate: -1
              privileges.grants.nothing.rate: 0.2
        """)
    known = ", ".join(b.name for b in load_scenario("national-800").behaviours)
    assert problems(path) == [
        f"{path}:9: timeline[1].set.behaviours.bad_driving.rate: must be >= 0",
        f"{path}:10: timeline[1].set.behaviours.flying.rate: behaviours: no item named "
        f"'flying' (known: {known})",
        f"{path}:11: timeline[1].set.scoring.association.alfa: unknown key (did you mean "
        "'alpha'?)",
        f"{path}:12: timeline[1].set.sanctions.travel.air_rate: must be >= 0",
        f"{path}:13: timeline[1].set.privileges.grants.nothing.rate: privileges.grants: no "
        "item named 'nothing' (known: hospital_priority, energy_discount, "
        "rental_deposit_waived, travel_deals, dating_visibility)"]
    later = write(tmp_path, """
        base: national-800
        timeline:
          - day: 50
            set:
              listing.threshold: -5
          - day: 20
            set: {listing.threshold: 500}
        """, "later.yaml")
    assert problems(later) == [f"{later}:6: timeline[0].set.listing.threshold: must be within "
                               "the score range [0, 800]"]


def test_a_step_kept_by_a_shorter_run_keeps_its_place_in_the_file(tmp_path):
    """A 30-day run drops the step of day 50, the first in the file: the step of day 20
    is still told as timeline[1] on its own line (it was told as timeline[0], on the
    dropped step's line)."""
    path = write(tmp_path, """
        base: national-800
        timeline:
          - day: 50
            set: {listing.threshold: 600}
          - day: 20
            set: {listing.threshold: -5000}
        """)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, days=30)
    assert err.value.problems == [f"{path}:7: timeline[1].set.listing.threshold: must be "
                                  "within the score range [0, 800]"]


def test_a_shorter_run_names_the_steps_it_drops_as_its_length_was_given():
    """``load_scenario(..., days=30)`` dropped the steps of days 50 and 40 without a word
    (only the command line said so, by loading the scenario a second time): the loader
    warns, naming the option as it was given and each step dropped in full, in day
    order; the step the run reaches is kept and not named. A load that fails says its
    problems, not this."""
    steps = {"base": "national-800", "timeline": [
        {"day": 50, "set": {"listing.threshold": 600, "shaming.enabled": False}},
        {"day": 20, "set": {"listing.threshold": 500}},
        {"day": 40, "set": {"scoring.recovery": 0.5}}]}
    dropped = ("the run ends before its timeline's day 40: scoring.recovery 0.5; day 50: "
               "listing.threshold 600, shaming.enabled false (left out)")
    for options, given in ((dict(days=30), "days=30"),
                           (dict(days=30, spelling="cli"), "--days 30"),
                           (dict(overrides={"days": 30}), "override days=30"),
                           (dict(overrides="days=30", spelling="cli"), "override days=30")):
        with pytest.warns(ScenarioWarning) as said:
            sc = load_scenario(steps, **options)
        assert [str(w.message) for w in said] == [f"{given}: {dropped}"], options
        assert [step.day for step in sc.timeline] == [20]
        assert said[0].filename == __file__  # where the notebook's load was
    with pytest.raises(ScenarioError):  # (and no warning, which the suite would raise)
        load_scenario(steps, days=30, overrides={"listing.threshold": -1})


@pytest.mark.parametrize(("override", "said"), [
    ("listing.threshold=true", "listing.threshold: must be a number, got true"),
    ("days=false", "days: must be a whole number, got false"),
    ("surveillance.channels.camera.by_region=[0.1, true]",
     "surveillance.channels.camera.by_region: must be a list of numbers, got [0.1, true]"),
    # a list for one number was told as "must be a list of numbers, got [550]"
    ("listing.threshold=[550]", "listing.threshold: must be a number, got a list: [550]"),
])
def test_true_or_false_is_no_number(override, said):
    """`--set listing.threshold=true` ran a year with a threshold of 1 (pydantic reads true
    as 1), and a sweep's grid of true ran every cell so; "abc" was refused."""
    with pytest.raises(ScenarioError, match=re.escape(f"override {override}: {said}")):
        load_scenario("national-800", overrides=[override])
    # a switch still takes them, and a number still takes a whole number
    sc = load_scenario("national-800", overrides=["listing.threshold=600",
                                                  "sanctions.enabled=false"])
    assert sc.listing.threshold == 600.0 and not sc.sanctions.enabled


@pytest.mark.parametrize("key", ["scoring..association.alpha", ".days", "days."])
def test_a_name_missing_between_dots_is_refused(key):
    """`scoring..alpha` was read as scoring.alpha (and told so: "override scoring.alpha=1"),
    a leading or trailing dot dropped."""
    with pytest.raises(ScenarioError, match=re.escape(f"{key}: a name missing between dots")):
        load_scenario("national-800", overrides=[f"{key}=1"])


def test_a_misspelt_item_of_the_base_is_said_so(tmp_path):
    """A based file changing `criticizing_government` (national-800 has
    criticising_government) was told "rate: required, channel: required", as if it were a
    new behaviour; and a YAML syntax error's heading did not name the file."""
    path = tmp_path / "mine.yaml"
    path.write_text("base: national-800\nbehaviours:\n  - name: criticizing_government\n"
                    "    delta: -50\n")
    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)
    assert refused.value.problems == [
        f"{path}:3: behaviours.criticizing_government: no behaviour 'criticizing_government' "
        "to change (did you mean 'criticising_government'?); a new behaviour needs rate, "
        "channel"]
    path.write_text("base: national-800\nbehaviours:\n  - name: hoarding\n    delta: -5\n")
    with pytest.raises(ScenarioError, match=r"behaviours\.hoarding\.rate: required"):
        load_scenario(path)  # nothing close: a new behaviour, whose keys are required
    path.write_text("base: national-800\nlisting: {threshold: 600\n")
    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)
    assert str(refused.value).startswith(f"invalid scenario {path}:\n  {path}:3: YAML syntax")


def test_a_flood_of_unknown_keys_is_told_without_guessing_each_ones_meaning(tmp_path,
                                                                          monkeypatch):
    """Each unknown key is matched against the schema's keys ("did you mean 'days'?") while
    a scenario has at most SUGGESTED_AT_MOST of them; beyond, each says which keys are known
    instead (40,000 took 12 s of string matching for a message that shows 50)."""
    from scsim.scenario import loader

    monkeypatch.setattr(loader, "SUGGESTED_AT_MOST", 3)

    def problems(count: int) -> list[str]:
        path = tmp_path / f"{count}.yaml"
        path.write_text("".join(f"dayz{k}: 3\n" for k in range(count)))
        with pytest.raises(ScenarioError) as refused:
            load_scenario(path)
        return refused.value.problems

    matched, flooded = problems(3), problems(4)
    assert len(matched) == 3 and all("did you mean 'days'?" in p for p in matched)
    assert len(flooded) == 4
    assert all("did you mean" not in p and "(known: base, name, description" in p for p in flooded)


def test_what_the_python_parser_reads_is_read_though_libyaml_refuses_it(tmp_path):
    """libyaml refuses a `%YAML 1.3` directive, which the Python parser (used before)
    reads: such a file is read as before."""
    path = write(tmp_path, "%YAML 1.3\n---\nbase: national-800\ndays: 30\n")
    assert load_scenario(path).days == 30


def test_merge_keys_bring_a_named_mapping_and_what_is_written_wins(tmp_path):
    """`<<: *name` (YAML's merge key) gives a mapping the keys of the one it names, or of
    each of a list (the first first); the keys written beside it win, and an error in a
    key written there is told at its own line."""
    path = write(tmp_path, """\
        base: mesa-parity
        behaviours:
          - &j {name: jaywalking, rate: 0.05, delta: -10, channel: camera}
          - <<: *j
            name: littering
            rate: 0.01
          - <<: [{delta: 4, rate: 0.2}, *j]
            name: helping
            delta: 5
        """)
    behaviours = {b.name: b for b in load_scenario(path).behaviours}
    assert (behaviours["littering"].rate, behaviours["littering"].delta) == (0.01, -10)
    assert (behaviours["helping"].rate, behaviours["helping"].delta) == (0.2, 5)
    assert behaviours["helping"].channel == "camera"
    path.write_text(path.read_text().replace("rate: 0.01", "rate: -1"))
    with pytest.raises(ScenarioError, match=r":6: behaviours.littering.rate: must be >= 0"):
        load_scenario(path)
    path.write_text("base: mesa-parity\npopulation:\n  <<: 5\n")
    with pytest.raises(ScenarioError, match=r":3: population: '<<' merges a mapping"):
        load_scenario(path)


@pytest.mark.parametrize(("key", "read"), [("~", "~"), ("1", "1"), ("on", "on"),
                                           ("2020-01-01", "2020-01-01")])
def test_a_key_is_the_name_written_with_its_line(tmp_path, key, read):
    """Keys are names: a plain `~`, `1`, `on` or date is its text (YAML would make it
    None, 1, True or a date, which the schema refused without a line)."""
    path = write(tmp_path, f"base: mesa-parity\ndays: 30\n{key}: 3\n")
    with pytest.raises(ScenarioError, match=rf":3: {re.escape(read)}: unknown key"):
        load_scenario(path)


@pytest.mark.parametrize(("written", "told"), [
    ("1:30", "1:30 is a number in base 60 in YAML (90)"),
    ("030", "030 is an octal number in YAML (24)")])
def test_a_number_yaml_reads_otherwise_than_it_looks_is_refused(tmp_path, written, told):
    """YAML 1.1 reads `1:30` as 90 and `030` as 24: refused with the number it would be,
    where quoted text (`"1:30"`) is text as always."""
    path = write(tmp_path, f"base: mesa-parity\ndays: {written}\n")
    with pytest.raises(ScenarioError, match=rf":2: days: {re.escape(told)}"):
        load_scenario(path)
    path.write_text(f'base: mesa-parity\ndescription: "{written}"\n')
    assert load_scenario(path).description == written


def test_a_mapping_set_on_a_section_is_merged_into_it():
    """`listing: {enabled: true}` in a timeline step (or an override) switches listing on
    and keeps the rest of the section, as `listing.enabled: true` does: it replaced the
    section, whose threshold fell back to none, and nobody was ever listed, unsaid."""
    text = textwrap.dedent("""
        name: city
        days: 30
        population: {agents: 3000}
        behaviours: [{name: littering, rate: 0.2, delta: -10, channel: camera}]
        surveillance: {channels: {camera: {coverage: 0.8}}}
        listing: {enabled: false, threshold: 985, appeals: {enabled: false, rate: 0.2}}
        timeline:
          - {day: 10, set: STEP}
        """)
    nested = load_scenario(text.replace("STEP", "{listing: {enabled: true, appeals: "
                                                "{enabled: true}}}"))
    dotted = load_scenario(text.replace("STEP", "{listing.enabled: true, "
                                                "listing.appeals.enabled: true}"))
    (_, before), (_, after) = timeline_epochs(nested)
    assert (before.listing.enabled, after.listing.enabled) == (False, True)
    assert after.listing.threshold == 985 and after.listing.appeals.rate == 0.2
    assert after.listing.appeals.enabled
    assert (after.model_dump(exclude={"timeline"})
            == timeline_epochs(dotted)[1][1].model_dump(exclude={"timeline"}))
    runs = [scsim.simulate(sc, seed=1).metrics for sc in (nested, dotted)]
    assert runs[0]["listed"].iloc[-1] > 0 and runs[0].equals(runs[1])
    # an override of a whole section merges too; a key misspelt inside one is refused
    assert load_scenario("national-800", overrides={"listing": {"enabled": True}}
                         ).listing.threshold == load_scenario("national-800").listing.threshold
    with pytest.raises(ScenarioError, match=r"timeline\[0\]\.set\.listing\.enabeld: unknown"):
        timeline_epochs(load_scenario(text.replace("STEP", "{listing: {enabeld: true}}")))


def test_a_percentage_written_for_a_share_is_told_as_a_share():
    """A non-programmer writes 5 or 5% for a 5 % false-match rate: each is refused with the
    share to write instead (it said only "must be <= 1" and "must be a number")."""
    assert problems("national-800", overrides={"surveillance.misattribution": 5}) == [
        "override surveillance.misattribution=5: surveillance.misattribution: must be <= 1 "
        "(a share or probability: 5 % is 0.05)"]
    assert problems("national-800", overrides=["surveillance.misattribution=0.5%"]) == [
        "override surveillance.misattribution=0.5%: surveillance.misattribution: must be a "
        "number, got '0.5%' (a percentage as a share: write 0.005)"]
    # a setting in points is no share: no such advice; nor for what is no number
    assert problems("national-800", overrides=["listing.threshold=50%"]) == [
        "override listing.threshold=50%: listing.threshold: must be a number, got '50%'"]
    assert problems("national-800", overrides=["surveillance.misattribution=nan%"]) == [
        "override surveillance.misattribution=nan%: surveillance.misattribution: must be a "
        "number, got 'nan%'"]
    # a value above 100 is no percentage
    assert problems("national-800", overrides={"surveillance.misattribution": 500}) == [
        "override surveillance.misattribution=500: surveillance.misattribution: must be <= 1"]


def test_description_and_source_hold_no_terminal_escapes(tmp_path):
    """Only ``name`` was checked: a description or source with a terminal escape went into
    every report and table as it was. A description may hold YAML's block text (line breaks
    and tabs); a source is one line, as a name is."""
    path = write(tmp_path, """
        base: national-800
        source: "article\\t001"
        description: "listed \\e[31min red"
        """)
    assert problems(path) == [
        f"{path}:3: source: must be one line of text, without control characters (line "
        "breaks, tabs, terminal escapes), got 'article\\t001'",
        f"{path}:4: description: may hold line breaks and tabs but no other control "
        "characters (terminal escapes), got '\\x1b' at character 8 of 18"]
    block = write(tmp_path, """
        base: national-800
        description: |
          Two lines,
          \tthe second indented by a tab.
        """, name="block.yaml")
    assert load_scenario(block).description == "Two lines,\n\tthe second indented by a tab.\n"
    # a source in YAML's folded text is one line that ends with a line break: taken
    folded = write(tmp_path, """
        base: national-800
        source: >
          my own reading of article 001,
          with a longer note
        """, name="folded.yaml")
    assert load_scenario(folded).source == ("my own reading of article 001, with a longer "
                                            "note\n")
    assert problems("national-800", overrides={"description": "a\rb"}) == [
        "override description=a\\rb: description: may hold line breaks and tabs but no "
        "other control characters (terminal escapes), got '\\r' at character 2 of 3"]
    sc = load_scenario("national-800")
    sc.source = "a\nb"  # in a notebook: refused before it runs
    with pytest.raises(ScenarioError, match=re.escape(
            "source: must be one line of text, without control characters (line breaks, "
            "tabs, terminal escapes), got 'a\\nb'")):
        scsim.scenario.as_scenario(sc)


def test_a_share_as_a_percentage_has_no_float_noise():
    """``as_percent`` rounds to 12 significant digits, as the dashboard's page does
    (``toPrecision(12)``): 0.1 + 0.2 (0.30000000000000004) is 30 %, not
    30.000000000000004 %; an exact share keeps every digit, and a typed percentage is its
    share (``share_of``)."""
    from scsim.scenario.reference import as_percent, share_of

    assert as_percent(0.1 + 0.2) == "30"
    assert as_percent(0.0057) == "0.57"
    assert as_percent("0.001") == "0.1"
    assert as_percent("0.123456789") == "12.3456789"
    assert as_percent(1e-05) == "0.001"
    assert as_percent("abc") is None and as_percent(True) is None
    assert share_of("0.1 %") == 0.001 and share_of("0.5%") == 0.005
    assert share_of("0.1") is None
