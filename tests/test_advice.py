"""Settings that do nothing (scenario.advice): a switch on with nothing to do, or values set
under a switch left off, are reported by ``scsim validate`` and ``scsim run`` and issued by
``load_scenario`` as a ScenarioWarning naming the key to set; built-in scenarios and
settings that work give none."""

from __future__ import annotations

import warnings

import pytest

from conftest import run_cli
from scsim.errors import ScenarioWarning
from scsim.scenario import builtin_names, load_scenario
from scsim.scenario.advice import inert_settings

COURT = {"behaviours.court_default.rate": 0.002}  # court-blacklist: listings in a short run
GRANT = [{"name": "discount", "threshold": 0, "rate": 0.1}]
EVENTS = [{"name": "tax_evasion", "rate": 0.01, "delta": -20}]


def advice(source, overrides=None) -> list[ScenarioWarning]:
    """The ScenarioWarnings issued while loading ``source`` with ``overrides``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scenario(source, overrides=overrides)
    return [w.message for w in caught if issubclass(w.category, ScenarioWarning)]


# (scenario, overrides, the key the author wrote, the key the warning says to set)
TRAPS = [
    ("national-800", {"shaming.enabled": True}, "shaming.enabled", "shaming.probability"),
    ("court-blacklist", {"shaming.enabled": True, "shaming.probability": 0.5},
     "shaming.probability", "shaming.sever"),
    ("national-800", {"reports.enabled": True}, "reports.enabled", "reports.true_rate"),
    ({"behaviours": [{"name": "jaywalking", "rate": 0.01, "delta": -5, "channel": "camera"}],
      "listing": {"renew": False}}, None, "listing.renew", "listing.threshold"),
    ("mesa-parity", {"listing.appeals.enabled": True}, "listing.appeals.enabled",
     "listing.appeals.rate"),
    ({"behaviours": [{"name": "jaywalking", "rate": 0.01, "delta": -5, "channel": "camera"}],
      "listing": {"threshold": 990}, "sanctions": {"travel": {"enabled": True}}}, None,
     "sanctions.travel.enabled", "sanctions.travel.air_rate"),
    ("court-blacklist", {"sanctions.purchases.enabled": True}, "sanctions.purchases.enabled",
     "sanctions.purchases.rate"),
    ("court-blacklist", {"sanctions.jobs.enabled": True}, "sanctions.jobs.enabled",
     "sanctions.jobs.rate"),
    ("court-blacklist", {"sanctions.house_arrest.enabled": True},
     "sanctions.house_arrest.enabled", "sanctions.house_arrest.threshold"),
    ("mesa-parity", {"privileges.enabled": True}, "privileges.enabled", "privileges.grants"),
    ("court-blacklist", {"detention.enabled": True}, "detention.enabled",
     "detention.threshold"),
    ("court-blacklist", {"detention.threshold": 300}, "detention.threshold",
     "detention.enabled"),
    ("court-blacklist", {"shunning.rate": 0.5}, "shunning.rate", "shunning.enabled"),
    ("court-blacklist", {"impunity.p_impunity": 0.9}, "impunity.p_impunity",
     "impunity.enabled"),
    ("court-blacklist", {"norms.rate": 0.02}, "norms.rate", "norms.enabled"),
    ("national-800", {"perceived_surveillance.kappa": 2.0}, "perceived_surveillance.kappa",
     "perceived_surveillance.enabled"),
    ("court-blacklist", {"family_rewards.enabled": True, "privileges.grants": GRANT},
     "family_rewards.enabled", "tiers"),
    ("court-blacklist", {"family_rewards.enabled": True, "tiers": [
        {"name": "top", "min": 900}, {"name": "rest", "min": 0}]},
     "family_rewards.enabled", "privileges.grants"),
    ("court-blacklist", {"surveillance.misattribution": 0.01}, "surveillance.misattribution",
     "surveillance.channels.NAME.facial_recognition"),
    ("court-blacklist", {"surveillance.misattribution_same_group": 0.5},
     "surveillance.misattribution_same_group", "surveillance.misattribution"),
    ("court-blacklist", {"scoring.enabled": True, "scoring.association.weights.family": 2.0},
     "scoring.association.weights", "scoring.association.alpha"),
    ("court-blacklist", {"companies.enabled": True}, "companies.enabled", "companies.events"),
    # a value set where the scenario it starts from switched the mechanism off
    ("national-800", {"shaming.probability": 0.5}, "shaming.probability", "shaming.enabled"),
    ("national-800", {"reports.true_rate": 0.1}, "reports.true_rate", "reports.enabled"),
    ("mesa-parity", {"listing.appeals.rate": 0.01}, "listing.appeals.rate",
     "listing.appeals.enabled"),
    ("court-blacklist", {"sanctions.purchases.rate": 0.01}, "sanctions.purchases.rate",
     "sanctions.purchases.enabled"),
    ("court-blacklist", {"sanctions.house_arrest.threshold": 500},
     "sanctions.house_arrest.threshold", "sanctions.house_arrest.enabled"),
    ("mesa-parity", {"privileges.grants": GRANT}, "privileges.grants", "privileges.enabled"),
    ("court-blacklist", {"scoring.recovery": 0.01}, "scoring.recovery", "scoring.enabled"),
    ("court-blacklist", {"fear.speed": 0.1}, "fear.speed", "fear.enabled"),
    ("no-system", {"surveillance.misattribution": 0.01}, "surveillance.misattribution",
     "surveillance.enabled"),
    ("no-system", {"listing.duration": 30}, "listing.duration", "listing.enabled"),
    # a value another one overrides: no company (mesa-parity), coverage by region and an
    # announced coverage (high-control), no listing threshold (court-blacklist), every
    # group with its own starting score (three-tier)
    ("mesa-parity", {"companies.events": EVENTS}, "companies.events",
     "companies.per_1000_agents"),
    ("mesa-parity", {"companies.enabled": True}, "companies.enabled",
     "companies.per_1000_agents"),
    ("mesa-parity", {"shunning.enabled": True}, "shunning.enabled",
     "companies.per_1000_agents"),
    ("mesa-parity", {"shunning.rate": 2.0}, "shunning.rate", "companies.per_1000_agents"),
    ("high-control", {"surveillance.channels.camera.coverage": 0.5},
     "surveillance.channels.camera.coverage", "surveillance.channels.camera.by_region"),
    ("high-control", {"perceived_surveillance.channel": "online"},
     "perceived_surveillance.channel", "perceived_surveillance.announced"),
    ("court-blacklist", {"listing.renew": False}, "listing.renew", "listing.threshold"),
    ("court-blacklist", {"listing.appeals.protection_days": 60},
     "listing.appeals.protection_days", "listing.threshold"),
    ("three-tier", {"scoring.s0": 900}, "scoring.s0", "population.groups"),
    # a penalty per listed contact where nobody can be listed (no threshold, no severe act)
    ({"behaviours": [{"name": "jaywalking", "rate": 0.05, "delta": -10, "channel": "camera"}],
      "scoring": {"association": {"listed_penalty": 0.3}}}, None,
     "scoring.association.listed_penalty", "listing.threshold"),
    # a false-match rate on a facial-recognition channel that sees no behaviour
    ({"behaviours": [{"name": "criticising", "rate": 0.05, "delta": -10, "channel": "online"}],
      "surveillance": {"channels": {"online": {"coverage": 0.6}, "camera": {
          "coverage": 0.3, "facial_recognition": True}}, "misattribution": 0.01},
      "listing": {"threshold": 900}}, None, "surveillance.misattribution",
     "behaviours[].channel"),
]


@pytest.mark.parametrize(("source", "overrides", "written", "to_set"), TRAPS,
                         ids=[t[2] + "->" + t[3] for t in TRAPS])
def test_each_setting_that_does_nothing_is_reported(source, overrides, written, to_set):
    found = advice(source, overrides)
    assert len(found) == 1, [str(w) for w in found]
    text = str(found[0])
    if overrides:  # where it was given, the key written, then the key to set
        assert text.startswith("override " + written), text
    assert f"set {to_set}" in text or f"add {to_set}" in text, text
    assert ".".join(str(k) for k in found[0].path).startswith(written)


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenarios_give_no_warning(name):
    assert advice(name) == []
    sc = load_scenario(name)
    assert inert_settings(sc) == []


@pytest.mark.parametrize("overrides", [
    {**COURT, "shaming.enabled": True, "shaming.probability": 0.5, "shaming.sever.social": 0.3},
    {"shaming.enabled": True, "shaming.probability": 0},  # 0 written: meant (a sweep's end)
    {"reports.enabled": True, "reports.true_rate": 0.1},
    {"detention.enabled": True, "detention.threshold": 300},
    {"shunning.enabled": True},  # its defaults refuse half the transactions
    {"impunity.enabled": True},
    {"norms.enabled": True},
    {"sanctions.house_arrest.enabled": False},
    {"shaming.enabled": False, "shaming.sever.social": 0.3},  # off on purpose
    {"scoring.enabled": True, "scoring.recovery": 0.01},
    {"listing.threshold": 900, "listing.renew": False},
    {"listing.threshold": 900, "listing.appeals.protection_days": 60},
    {"listing.renew": False,  # a threshold set later: renewals then happen
     "timeline": [{"day": 100, "set": {"listing.threshold": 900}}]},
    {"surveillance.channels.courts.coverage": 0.9},
    {"surveillance.channels.courts.coverage": 0.9,  # by region only from day 100
     "timeline": [{"day": 100, "set": {"surveillance.channels.courts.by_region": [0.5]}}]},
    {"fear.enabled": True, "perceived_surveillance.enabled": True,
     "perceived_surveillance.channel": "courts"},  # nothing announced: its coverage
    {"scoring.s0": 900},  # the group sets none
    {"companies.per_1000_agents": 0, "shunning.rate": 2.0},  # no company, written: meant
])
def test_settings_that_work_give_no_warning(overrides):
    assert advice("court-blacklist", overrides) == []


def test_the_file_and_line_are_named(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("base: national-800\nname: mine\nshaming:\n  enabled: true\n")
    (found,) = advice(path)
    assert str(found).startswith(f"{path}:4: shaming.enabled is true but shaming.probability "
                                 "is 0, so nobody will be shamed: set shaming.probability")


def test_a_value_set_over_a_base_that_switched_it_off(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("base: national-800\nshaming:\n  probability: 0.5\n"
                    "  sever: {social: 0.3}\n")
    (found,) = advice(path)
    assert str(found) == (f"{path}:3: shaming.probability is set but shaming.enabled is "
                          "false (in the scenario it starts from), so nobody will be "
                          "shamed: set shaming.enabled: true")
    path.write_text("base: national-800\nshaming:\n  enabled: false\n  probability: 0.5\n")
    assert advice(path) == []  # switched off by the author: meant
    # a scenario passed as a mapping is its author's, base and all
    assert advice({"base": "national-800", "shaming": {"probability": 0.5,
                                                       "sever": {"social": 0.3}}})


CAMERA = "base: high-control\nsurveillance:\n  channels:\n    camera:\n      coverage: 0.5\n"


@pytest.mark.parametrize(("text", "expected"), [
    # coverage set over a base that gives it by region: reported, where the base set it
    (CAMERA, ":5: surveillance.channels.camera.coverage is set but surveillance.channels."
     "camera.by_region is set (in the scenario it starts from), so each region's coverage "
     "is by_region's: set surveillance.channels.camera.by_region: null (coverage then "
     "holds in every region)"),
    # written with its by_region, as high-control itself does: meant (a nominal value)
    (CAMERA + "      by_region: [0.9, 0.5, 0.5, 0.5]\n", None),
    # an overriding value left at its default is said to be one
    ("behaviours:\n  - {name: fraud, rate: 0.01, delta: -5, channel: camera, severe: true}"
     "\nlisting:\n  renew: false\n", ":4: listing.renew is set but listing.threshold is "
     "null (its default), so nobody is listed by score: every listing ends with its term: "
     "set listing.threshold (points: agents below it are listed)"),
])
def test_a_value_beside_the_one_that_overrides_it_is_meant(tmp_path, text, expected):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    assert [str(w) for w in advice(path)] == ([f"{path}{expected}"] if expected else [])


def test_a_timeline_is_followed():
    # a switch a later step turns on (with its probability) is no mistake ...
    later = {"detention.threshold": 300,
             "timeline": [{"day": 100, "set": {"detention.enabled": True}}]}
    assert advice("court-blacklist", later) == []
    # ... but a step that turns shaming on with nothing to do is reported
    (found,) = advice("national-800", {"timeline": [{"day": 100,
                                                     "set": {"shaming.enabled": True}}]})
    assert "shaming.probability is 0" in str(found)


def test_validate_and_run_print_each_warning_once(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    code, out, err = run_cli(monkeypatch, capsys, "validate", "national-800", "--set",
                             "shaming.enabled=true")
    assert code == 0 and "1 warning above" in out
    assert err.count("warning: override shaming.enabled=true: shaming.enabled is true but "
                     "shaming.probability is 0") == 1
    code, out, err = run_cli(monkeypatch, capsys, "validate", "national-800")
    assert code == 0 and "warning" not in out + err
    code, out, err = run_cli(monkeypatch, capsys, "run", "national-800", "--agents", "500",
                             "--days", "3", "--quiet", "--set", "shaming.enabled=true")
    assert code == 0, err
    assert err.count("shaming.probability is 0") == 1  # once, though run loads it twice
    assert err.index("warning:") == 0  # before anything else the run prints


def test_a_channel_no_behaviour_uses_is_said_with_the_one_meant():
    """`surveillance.channels.cameras: {coverage: 0.6}` (a misspelt camera) made a channel
    of its own that sees nothing, while the cameras kept their coverage: valid, and said
    nothing. A channel only perceived surveillance reads is used."""
    (said,) = advice("national-800", {"surveillance.channels.cameras.coverage": 0.6})
    assert str(said) == (
        "override surveillance.channels.cameras.coverage=0.6: surveillance.channels.cameras: "
        "no behaviour is seen by this channel (did you mean 'camera'?), so it sees nothing; "
        "the behaviours' channels are camera, courts, finance, online, purchases "
        "(behaviours[].channel)")
    assert advice("national-800", {"surveillance.channels.camera.coverage": 0.6}) == []
