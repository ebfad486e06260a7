"""The plain-words headline of a run and of a paired comparison: its figures are the run's."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.analysis.stats import mean_ci95
from scsim.outputs.headline import (
    _interval,
    comparison_headline,
    detention_line,
    percent,
    round_figure,
    run_headline,
    to_precision,
    wrongful_travel,
)
from scsim.scenario.reference import setting_label, setting_unit

PENALTY = "scoring.association.listed_penalty"


def listing_side(listed):
    """One side of a pair, as comparison_headline reads it: 3,000 agents over a year, of
    whom ``listed`` (ids) were listed, nobody wrongfully."""
    ids = np.arange(3000)
    return SimpleNamespace(
        agent_columns={"times_listed": np.isin(ids, listed).astype(np.int64),
                       "wrongful_listings": np.zeros(3000, np.int64)},
        metrics=np.zeros(365), scenario=SimpleNamespace(name="national-800"))


def national(**overrides):
    return scsim.load_scenario("national-800", agents=3000, days=365,
                               overrides={PENALTY: 0.3, **overrides})


@pytest.fixture(scope="module")
def penalty_comparison():
    """Penalty 0 against 1 point a day per listed contact, three pairs."""
    return scsim.compare(national(**{PENALTY: 0.0}), national(**{PENALTY: 1.0}), seed=3,
                         reps=3)


def test_round_figure():
    assert round_figure(19_775) == "19,800"
    assert round_figure(49) == "49"
    assert round_figure(5.86) == "5.9"
    assert round_figure(-5.86) == "−5.9"
    assert round_figure(0) == "0"
    assert round_figure(float("nan")) == "–"
    assert to_precision(19_774.6, 16.4) == "19,775"
    assert to_precision(9_712.0, 3_700.0) == "9,700"
    assert to_precision(-2.94, 11.2) == "−3"
    assert to_precision(0.437, 0.05) == "0.4"  # at most one decimal
    # "lists 1.0 more people" was printed: a count written 1.0 is one person
    from scsim.outputs.headline import _is_one

    assert _is_one("1.0") and _is_one("1") and not _is_one("1,001") and not _is_one("0.96")


def test_percent_never_calls_a_share_that_is_not_zero_zero():
    assert percent(0.437) == "44 %" and percent(0.437, 1) == "43.7 %"
    assert percent(1 / 5000, 1) == "0.02 %"  # 1 of 5,000 listed was "0.0 %"
    assert percent(0.004) == "0.4 %" and percent(0.00049, 1) == "0.05 %"
    # 14 wrongful of 2,497 more listed read "1 %" beside 10.7 of 2,954 as "0.4 %"
    assert percent(14 / 2497) == "0.6 %" and percent(-0.0056) == "-0.6 %"
    assert percent(0.01) == "1 %" and percent(0.0123, 1) == "1.2 %"
    assert percent(0.0) == "0 %" and percent(0.0, 1) == "0.0 %"
    assert percent(float("nan")) == "–"


def test_percent_never_calls_a_share_that_is_not_one_a_hundred():
    assert percent(0.99997, 1) == "99.997 %" and percent(0.996) == "99.6 %"
    assert percent(0.9994, 1) == "99.9 %"  # the digits asked for tell it from 100 %
    assert percent(1.0) == "100 %" and percent(1.0, 1) == "100.0 %"


def test_setting_units_come_from_the_schema():
    assert setting_unit(PENALTY) == "points per day per listed contact"
    assert setting_unit("behaviours.jaywalking.rate") == "acts per agent per day"
    assert setting_unit("no.such.key") == ""
    assert setting_label(PENALTY) == ("association listed penalty (points per day per listed "
                                      "contact)")
    assert setting_label("sanctions.enabled") == "sanctions"


def test_run_headline_states_the_runs_own_figures(penalty_comparison):
    res = penalty_comparison.b[0]
    lines = run_headline(res).splitlines()
    assert len(lines) == 4  # national-800 can err: its wrongful travel bans
    ever = int((res.agents["times_listed"] > 0).sum())
    wrongful = int((res.agents["wrongful_listings"] > 0).sum())
    assert 0 < wrongful < ever  # the case worth a sentence
    assert lines[0].startswith(f"Listed: {ever:,} of 3,000 people "
                               f"({100 * ever / 3000:.1f} %) at some point in a year, "
                               f"{wrongful:,} of them wrongfully")
    per_100 = 100 * res.metrics["blocked_air"].sum() / 3000 / 1
    assert lines[1].startswith(f"Blocked travel: {per_100:.2g} air and ")
    assert ("China 2018: 1.3 and 0.39 as reported, 0.58 and 0.13 from the year-end totals."
            in lines[1])
    acts = res.metrics["penalised_acts"]
    fall = 1 - acts.iloc[-30:].mean() / acts.iloc[:30].mean()
    assert fall > 0.005  # fear of the score deters acts under this penalty
    m = res.metrics
    wrongful_tickets, tickets = m["blocked_tickets_wrongful"].sum(), (
        m["blocked_air"].sum() + m["blocked_train"].sum())
    assert 0 < wrongful_tickets < tickets
    were, whom = ("was", "someone") if wrongful_tickets == 1 else ("were", "people")
    assert lines[2] == (f"Wrongful travel bans: {wrongful_tickets:,} of the {tickets:,} blocked "
                        f"tickets {were} refused to {whom} listed wrongfully "
                        f"({100 * wrongful_tickets / 3000:.2g} per 100 people a year).")
    # the listed banned from social media and those under house arrest act less too:
    # named beside fear, as each holds more than a tenth of the fall's share of the people
    banned, arrested = (m[c].iloc[-30:].mean() / 3000 for c in ("social_media_banned",
                                                               "house_arrest"))
    assert min(banned, arrested) >= fall / 10
    assert lines[3].startswith(f"Chilling effect: {100 * fall:.0f} % fewer penalised acts "
                               "in the last 30 days than in the first 30 days, from fear and "
                               "from social-media bans on the listed and house arrest; mean "
                               f"fear {res.metrics['fear_mean'].iloc[-1]:.2f}")


def test_run_headline_without_listings():
    res = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=40), seed=1)
    lines = run_headline(res).splitlines()
    assert lines[0] == "Listed: nobody among 500 people in 40 days."
    assert lines[1].startswith("Blocked travel: 0 air and 0 train tickets")
    one_day = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=1), seed=1)
    lines = run_headline(one_day).splitlines()
    assert lines[0] == "Listed: nobody among 500 people in one day."
    assert lines[2].startswith(  # one day was compared with itself before
        "Chilling effect: one day is too short to compare its first and last days; ")
    two_days = scsim.simulate(scsim.load_scenario("no-system", agents=500, days=40), seed=1)
    assert "in the last 20 days than in the first 20 days" in run_headline(
        two_days).splitlines()[2]  # 40 days: two windows of 20, not two of 30 that overlap


def test_a_list_with_a_published_stock_and_no_errors_says_so():
    """court-blacklist starts from the published stock (listing.initial_share) and cannot
    err: its headline counted the stock among those listed "at some point in a year"
    unsaid (91 of the 109), explained "wrongfully" by face-matching errors and false
    reports it has none of, and said "no penalised acts in the first 30 days" of a list
    whose acts cost no points."""
    from scsim.outputs.headline import listed_at_start

    res = scsim.simulate(scsim.load_scenario("court-blacklist", agents=3000, days=100), seed=1)
    m = res.metrics
    stock = listed_at_start(res)
    first_listed_later = int((res.agents["times_listed"] > 0).sum()) - stock
    assert stock > 0 and first_listed_later > 0
    assert stock == int(m["listed"].iloc[0]) and m["newly_listed"].iloc[0] == 0
    assert first_listed_later <= m["newly_listed"].sum()
    listed, _, chilling = run_headline(res).splitlines()
    ever = stock + first_listed_later
    assert listed == (f"Listed: {ever} of 3,000 people ({ever / 30:.1f} %) at some point in "
                      f"100 days ({stock} of them already listed when it began), none of them "
                      "wrongfully: this system makes no face-matching errors and takes no "
                      "false reports.")
    assert chilling.startswith("Chilling effect: nothing to measure it by: no act that "
                               "costs points was committed; ")
    # a warm-up's listings are not kept in the history counts: no stock is told
    warmed = scsim.simulate(scsim.load_scenario(
        "court-blacklist", agents=3000, days=30, overrides={"warmup_days": 10}), seed=1)
    assert listed_at_start(warmed) == 0 and "already listed" not in run_headline(warmed)


@pytest.mark.parametrize("scale", [1, 1000])
def test_nobody_listed_wrongfully_is_said_without_a_definition_that_reads_as_a_finding(scale):
    """A run that can err and listed nobody wrongfully said "0 of them wrongfully (on the
    day they were listed, the same acts without face-matching errors and false reports
    would not have listed them)": read as a finding about the people listed. It says
    none, and what that means of them: the error-free record lists them too."""
    res = scsim.simulate("national-800", agents=1000, days=40, seed=1, overrides={
        "listing.threshold": 695, "surveillance.misattribution": 1e-9,
        "population.scale": scale})
    assert res.names.errors and not res.agents["wrongful_listings"].any()
    listed = run_headline(res).splitlines()[0]
    assert listed.endswith(" none of them wrongfully (each time, the same acts without "
                           "face-matching errors and false reports would have listed them "
                           "too).")
    assert "0 of them" not in listed and "would not have" not in listed


def test_one_of_a_thing_is_said_in_the_singular():
    """A short run of high-control detains one person: '1 detention', not '1 detentions'
    (seen in the dashboard); one blocked ticket is 'the 1 blocked ticket'."""
    m = pd.DataFrame({"new_detentions": [1, 0], "political_detentions": [1, 0],
                      "detention_days": [1, 1], "detained": [1, 1],
                      "households_affected": [1, 1]})
    assert detention_line(m, 2) == (
        "Detention: 1 detention in 2 days, for a political act alone (2 person-days in "
        "detention); on the last day 1 person detained, and 1 household with a member "
        "detained.")
    m = m.assign(new_detentions=[3, 0], political_detentions=[1, 0], detained=[2, 2],
                 households_affected=[2, 2])
    assert detention_line(m, 2) == (
        "Detention: 3 detentions in 2 days, 1 of them for a political act alone (2 "
        "person-days in detention); on the last day 2 people detained, and 2 households "
        "with a member detained.")
    assert wrongful_travel(0, 1, 100, 1, 1.0) == (
        "Wrongful travel bans: none: the one blocked ticket was refused to someone listed "
        "rightly.")  # not "none of the 1 blocked ticket", nor a double negative
    assert wrongful_travel(0, 0, 100, 1, 1.0) == (
        "Wrongful travel bans: none: no ticket was blocked.")
    assert wrongful_travel(0, 1, 100, 70_000.0, 1.0).startswith(
        "Wrongful travel bans: none: the one ticket blocked for the 100 agents was refused "
        "to someone listed rightly; each agent")
    assert wrongful_travel(1, 1, 100, 1, 1.0).startswith(
        "Wrongful travel bans: the one blocked ticket was refused")
    assert wrongful_travel(2, 5, 100, 1, 1.0).startswith(
        "Wrongful travel bans: 2 of the 5 blocked tickets were refused")


def test_figures_in_sentences_are_written_without_an_exponent():
    """The travel line said "Blocked travel: 1.1e+02 air and 5.7 train tickets per 100
    people a year" (Python's :.2g) at a high ticket rate."""
    from scsim.outputs.words import in_digits

    assert [in_digits(v) for v in (106.7, 5.73, 0.0333, 0.0, 12_345.0, -0.5)] == [
        "110", "5.7", "0.033", "0", "12,000", "-0.5"]
    assert in_digits(1234.5, 3) == "1,230"
    # rounded as the dashboard's charts round (toPrecision: the number as stored, a half
    # away from zero): 43 tickets per 20,000 people a year, 0.215 per 100 stored a little
    # under it, read 0.22 in the headline (numpy's rounding) beside the chart's 0.21
    per_100 = np.float64(100 * 43 / 20_000)
    assert [in_digits(v) for v in (per_100, 0.125, -0.125, np.float64(2.675))] == [
        "0.21", "0.13", "-0.13", "2.7"]
    res = scsim.simulate(scsim.load_scenario(
        "national-800", agents=500, days=30, overrides={
            "listing.threshold": 700, "sanctions.travel.air_rate": 0.05}), seed=1)
    travel = run_headline(res).splitlines()[1]
    per_100 = 100 * res.metrics["blocked_air"].sum() / 500 / (30 / 365)
    assert per_100 >= 100 and "e+" not in travel, travel
    assert travel.startswith(f"Blocked travel: {in_digits(per_100)} air and ")


def test_comparison_headline_counts_the_people_b_lists_and_a_does_not(penalty_comparison):
    c = penalty_comparison
    switches = c.switches().set_index("figure")["agents"]
    net = switches["listed under B, not under A"] - switches["listed under A, not under B"]
    wrong = (switches["wrongfully listed under B, not under A"]
             - switches["wrongfully listed under A, not under B"])
    assert net > 100 and 0 < wrong < net
    diffs = [int((rb.agents["times_listed"] > 0).sum() - (ra.agents["times_listed"] > 0).sum())
             for ra, rb in zip(c.a, c.b, strict=True)]
    half = 4.302653 * np.std(diffs, ddof=1) / np.sqrt(3)  # t(0.975, 2 dof)
    sentence = comparison_headline(c)
    # the interval stops at the 3,000 people there are, less those A lists already, and
    # is written to the precision of the count: B lists nearly everyone here, and the
    # most possible, 2,965.3, was written so beside "2,500 more (95 % CI 700 to"; rounded
    # down, not to the nearest (3,000 is more than B can add)
    room = 3000 - np.mean([(ra.agents["times_listed"] > 0).sum() for ra in c.a])
    assert net + half > room and not float(room).is_integer()
    step = 10.0 ** (math.floor(math.log10(half)) - 1)  # two digits of the half-width
    high = to_precision(math.floor(room / step) * step, half)
    assert float(high.replace(",", "")) <= room < float(to_precision(room, half).replace(
        ",", ""))
    # the per-agent table (--full) stops there too: it said 3,000 where the headline
    # said 2,965.3 (the people A did not list are the most B can add)
    gained = c.switches().set_index("figure").loc["listed under B, not under A"]
    assert gained["hi"] == pytest.approx(room)
    assert sentence.startswith(
        "Raising the association listed penalty from 0 to 1 point per day per listed "
        f"contact lists {to_precision(net, half)} more people per 3,000 in a year (95 % CI "
        f"{to_precision(net - half, half)} to {high})")
    share = next((w for w, v in (("half", 1 / 2), ("a third", 1 / 3), ("two thirds", 2 / 3),
                                 ("a quarter", 1 / 4), ("three quarters", 3 / 4))
                  if abs(wrong / net - v) < 0.02), percent(wrong / net))
    told = re.search(r", (.+) of them wrongfully \(([\d,.]+) (?:people|person), 95 % CI "
                     r"([−-]?[\d,.]+) to ([\d,.]+)(, not a clear difference)?\)\.$", sentence)
    assert told and told[1] == share, sentence
    amount, low, high = (float(told[k].replace(",", "").replace("−", "-")) for k in (2, 3, 4))
    assert low <= amount <= high and abs(amount - wrong) <= 0.05 * wrong + 0.5


def test_comparison_headline_in_the_other_direction_and_with_one_pair(penalty_comparison):
    back = scsim.analysis.compare.compare_results(penalty_comparison.b[:1],
                                                  penalty_comparison.a[:1])
    sentence = comparison_headline(back)
    assert sentence.startswith("Lowering the association listed penalty from 1 to 0 points "
                               "per day per listed contact lists ")
    assert " fewer people per 3,000 in a year (one pair, so no interval" in sentence
    assert sentence.count("run more replications") == 1  # said once, not per clause


def test_comparison_headline_counts_in_words():
    """Synthetic pairs (ever listed, ever wrongfully listed per side): one person is a
    person; a mean that rounds to 0 at its precision is 'about as many', not '0 more';
    one pair's missing interval is told once."""
    def side(listed: int, wrongful: int):
        counts = np.zeros(3000, np.int64)
        return SimpleNamespace(
            agent_columns={"times_listed": np.where(np.arange(3000) < listed, 1, counts),
                           "wrongful_listings": np.where(np.arange(3000) < wrongful, 1,
                                                         counts)},
            metrics=np.zeros(365), scenario=SimpleNamespace(name="national-800"))

    def sentence(pairs):
        cmp = SimpleNamespace(a=[side(a, wa) for a, wa, _, _ in pairs],
                              b=[side(b, wb) for _, _, b, wb in pairs],
                              changes={PENALTY: (0.0, 1.0)})
        return comparison_headline(cmp)

    one = sentence([(10, 0, 9, 3)])
    assert " lists 1 fewer person per 3,000 in a year (one pair, so no interval: run more " \
        "replications), and 3 more wrongfully listed (one pair)." in one
    wide = sentence([(0, 0, 300, 0), (300, 0, 5, 0)])  # mean 2.5, interval ±3,700
    assert " lists about as many people per 3,000 in a year (95 % CI " in wide
    # a scenario against itself: the same run, which more pairs would not change
    same = comparison_headline(SimpleNamespace(a=[side(10, 2)], b=[side(10, 2)], changes={}))
    assert same == ("The same scenario run twice lists exactly as many people per 3,000 in "
                    "a year, and as many wrongfully: with the same seeds it is the same run.")
    # a change that happens to list as many in one pair may not in another: told so
    assert "(one pair, so no interval: run more replications), and as many wrongfully." in \
        sentence([(10, 2, 10, 2)])
    # half a person more in every pair, give or take: a clear difference, not "about as
    # many" beside an interval that leaves out 0
    half = sentence([(10, 0, 10, 0), (10, 0, 11, 0)] * 6)
    assert " lists 0.5 more people per 3,000 in a year (95 % CI 0." in half
    # and when nobody at all was wrongfully listed, that is said ("as many" read as some)
    assert sentence([(10, 0, 10, 0), (10, 0, 11, 0), (11, 0, 10, 0)]).endswith(
        "), and nobody wrongfully listed under A or B.")


def test_a_share_of_them_only_when_they_are_the_people_who_switched():
    """'N more people, X % of them wrongfully' names people: the share is given only when
    nobody is listed under A alone and the change in wrongful listings is that of the
    people B adds; a difference of two different sets of people is told as two counts."""
    def side(listed: range, wrongful: range):
        ids = np.arange(3000)
        return SimpleNamespace(
            agent_columns={"times_listed": np.isin(ids, listed).astype(np.int64),
                           "wrongful_listings": np.isin(ids, wrongful).astype(np.int64)},
            metrics=np.zeros(365), scenario=SimpleNamespace(name="national-800"))

    def sentence(a, b):
        return comparison_headline(SimpleNamespace(a=[side(*a)], b=[side(*b)],
                                                   changes={PENALTY: (0.0, 1.0)}))

    # B lists A's 10 and 10 more, 5 of those wrongfully: half of them
    added = sentence((range(10), range(0)), (range(20), range(10, 15)))
    assert added.endswith(" lists 10 more people per 3,000 in a year (one pair, so no "
                          "interval: run more replications), half of them wrongfully (5 "
                          "people, one pair).")
    # the same net counts from different people: 5 of A's are not listed under B
    swapped = sentence((range(10), range(0)), (range(5, 25), range(10, 15)))
    assert swapped.endswith(" lists 10 more people per 3,000 in a year (one pair, so no "
                            "interval: run more replications), and 5 more wrongfully listed "
                            "(one pair).")
    nobody = sentence((range(10), range(0)), (range(5, 25), range(0)))
    assert nobody.endswith(" replications), and nobody wrongfully listed under A or B.")
    # as many wrongfully listed on both sides, not none: said so, not "as many" of the 10
    same = sentence((range(10), range(3)), (range(5, 25), range(5, 8)))
    assert same.endswith(" replications), and as many wrongfully listed under B as under A.")
    # B lists the same people, but 5 of them wrongfully: not 'of' the 10 it adds
    blamed = sentence((range(10), range(0)), (range(20), range(5)))
    assert blamed.endswith(", and 5 more wrongfully listed (one pair).")
    # two pairs: 0 and 4 of the 10 added wrongfully listed, an interval cut at 0 people
    pairs = SimpleNamespace(a=[side(range(10), range(0))] * 2,
                            b=[side(range(20), range(0)), side(range(20), range(10, 14))],
                            changes={PENALTY: (0.0, 1.0)})
    assert comparison_headline(pairs).endswith(
        " lists 10 more people per 3,000 in a year (the same in every pair), 20 % of them "
        "wrongfully (2 people, 95 % CI 0 to 27, not a clear difference).")
    # 0.2 people of the 10 on average: "almost none", not "none" beside "(0.2 people"
    few = SimpleNamespace(a=[side(range(10), range(0))] * 5,
                          b=[side(range(20), range(0))] * 4 + [side(range(20), range(10, 11))],
                          changes={PENALTY: (0.0, 1.0)})
    assert comparison_headline(few).endswith(
        " lists 10 more people per 3,000 in a year (the same in every pair), almost none of "
        "them wrongfully (0.2 people, 95 % CI 0 to 0.8, not a clear difference).")
    # under 10 %, a share keeps a decimal: 3 of 200 added is 1.5 %, which was "2 %" (and
    # 295 of 19,900 "1 %")
    small = sentence((range(10), range(0)), (range(210), range(10, 13)))
    assert small.endswith(", 1.5 % of them wrongfully (3 people, one pair).")
    wide = sentence((range(10), range(0)), (range(30), range(10, 13)))
    assert wide.endswith(", 15 % of them wrongfully (3 people, one pair).")
    # fewer: the 10 people B no longer lists, 5 of them wrongfully listed under A
    fewer = sentence((range(20), range(10, 15)), (range(10), range(0)))
    assert fewer.endswith(" lists 10 fewer people per 3,000 in a year (one pair, so no "
                          "interval: run more replications), half of them wrongfully (5 "
                          "people, one pair).")


def test_comparison_headline_of_a_switch():
    a = scsim.load_scenario("national-800", agents=1000, days=30)
    b = scsim.load_scenario("national-800", agents=1000, days=30,
                            overrides={"sanctions.enabled": False})
    cmp = scsim.compare(a, b, seed=1, reps=2)
    assert comparison_headline(cmp).startswith("Switching sanctions off lists ")
    from scsim.outputs.display import comparison_html

    assert "<code>sanctions.enabled</code>: true → false" in comparison_html(cmp)  # as YAML


def test_comparison_headline_of_a_switch_that_is_not_a_mechanism():
    a = scsim.load_scenario("national-800", agents=1000, days=30)
    b = scsim.load_scenario("national-800", agents=1000, days=30,
                            overrides={"surveillance.channels.camera.facial_recognition": False})
    sentence = comparison_headline(scsim.compare(a, b, seed=1, reps=2))
    assert sentence.startswith("Setting surveillance.channels.camera.facial_recognition to "
                               "false lists ")


def test_a_comparison_of_several_changes_names_every_one():
    """The dashboard's tester changed three settings: the sentence put the effect down to
    the first ('Raising the surveillance misattribution ... (and 2 other settings)') and
    named the others nowhere. Every change is named, as a change of them together."""
    a = scsim.load_scenario("national-800", agents=500, days=10)
    changes = {"surveillance.misattribution": 0.01, "listing.threshold": 500,
               "sanctions.enabled": False}
    b = scsim.load_scenario("national-800", agents=500, days=10, overrides=changes)
    sentence = comparison_headline(scsim.compare(a, b, seed=1, reps=1))
    assert sentence.startswith(
        "Changing 3 settings together (raising the false-match rate from 0.1 % to 1 % "
        "of camera sightings (surveillance.misattribution: 0.001 → 0.01), lowering the "
        "listing threshold from 550 to 500 points and switching sanctions off) lists "), \
        sentence
    many = {**changes, "scoring.recovery": 0.02, "listing.duration": 100, "fear.enabled":
            False}
    b = scsim.load_scenario("national-800", agents=500, days=10, overrides=many)
    sentence = comparison_headline(scsim.compare(a, b, seed=1, reps=1))
    assert sentence.startswith("Changing 6 settings together (raising the false-match rate ")
    assert "switching sanctions off, raising the scoring recovery" not in sentence
    assert " and 2 more settings) lists " in sentence, sentence


def test_a_change_in_acts_without_fear_is_no_chilling_effect():
    """A teacher ran national-800 and no-system at 2,000 agents for 100 days: both said '5 %
    fewer penalised acts ... from fear' with a mean fear of 0.00. A change within the day-
    to-day variation of the two windows is none beyond chance; one that neither fear nor
    enough people kept from acting can explain is none either."""
    from scsim.outputs.headline import chilling_chance, chilling_line

    rng = np.random.default_rng(7)
    calm = pd.DataFrame({"penalised_acts": rng.poisson(115, 100), "fear_mean": 0.0,
                         "social_media_banned": 0})
    chance = chilling_chance(calm)
    assert chance == pytest.approx(1.96 * np.sqrt(2 * 115 / 30) / 115, rel=0.3)
    # the same count every day of each window: no day-to-day variation, not chance
    falling = calm.assign(penalised_acts=[200] * 30 + [100] * 40 + [150] * 30)
    line = chilling_line(falling, 2000)
    assert line.startswith("Chilling effect: none (nobody fears the score, and too few are "
                           "kept from acting to matter): 25 % fewer penalised acts in the "
                           "last 30 days than in the first 30 days, from the model's other ")
    banned = falling.assign(social_media_banned=[0] * 70 + [60] * 30)  # 3 % of 2,000
    assert ", from social-media bans on the listed; mean fear 0.00" in chilling_line(
        banned, 2000)
    assert "none (nobody fears" in chilling_line(
        falling.assign(social_media_banned=[0] * 70 + [40] * 30), 2000)  # 2 % < 25 % / 10
    # a ban stops no act of a scenario whose penalised behaviours are all offline
    assert "none (nobody fears" in chilling_line(banned, 2000, frozenset({"detained"}))
    feared = banned.assign(fear_mean=0.2)
    assert ", from fear and from social-media bans on the listed; mean fear 0.20" in (
        chilling_line(feared, 2000))
    noisy = pd.DataFrame({"penalised_acts": np.r_[rng.poisson(120, 30), rng.poisson(115, 40),
                                                  rng.poisson(114, 30)],
                          "fear_mean": 0.3, "social_media_banned": 0})
    line = chilling_line(noisy, 2000)
    assert line.startswith("Chilling effect: none beyond chance: ") and (
        "within their day-to-day variation (± " in line), line
    # two days: one day against one, with no variation to judge by ("none (nobody fears
    # the score ...): 50 % fewer")
    assert chilling_line(calm.iloc[:2].assign(penalised_acts=[100, 50]), 2000).startswith(
        "Chilling effect: too short a run to tell: 50 % fewer penalised acts on the last day "
        "than on the first day, one day against one, which chance alone moves this much;")


def test_the_restrictions_that_stop_acts_are_named_beside_fear():
    from scsim.outputs.headline import acting_stopped, stopping_penalised

    assert stopping_penalised(scsim.load_scenario("national-800")) == {
        "social_media_banned", "house_arrest", "detained"}  # criticism online, driving out
    assert stopping_penalised(scsim.load_scenario("mesa-parity")) == {"detained"}
    assert stopping_penalised(scsim.load_scenario(
        "mesa-parity", overrides={"behaviours.jaywalking.outside_home": True})) == {
        "house_arrest", "detained"}

    days = pd.DataFrame({"social_media_banned": [0, 3], "house_arrest": [0, 0],
                         "detained": [1, 0]})
    assert acting_stopped(days, 2) == "social-media bans on the listed and detention"
    days["house_arrest"] = [0, 2]
    assert acting_stopped(days, 2) == ("social-media bans on the listed, house arrest and "
                                       "detention")
    assert acting_stopped(days.drop(columns="detained") * 0, 2) == ""
    # only what held in the last days compared: detention ended on day 0 (high-control's
    # abolition on day 365 of a 400-day run), so the fall is not put down to it
    assert acting_stopped(days, 1) == "social-media bans on the listed and house arrest"


def test_an_interval_never_reaches_past_the_population():
    """Two pairs in which B lists 2,990 and 3,000 of 3,000 people that A does not: the
    t-interval of their mean (2,995 ± 64) reached "3,059" people of 3,000; it stops at
    3,000."""
    cmp = SimpleNamespace(a=[listing_side(range(0)), listing_side(range(0))],
                          b=[listing_side(range(2990)), listing_side(range(3000))],
                          changes={PENALTY: (0.0, 1.0)})
    sentence = comparison_headline(cmp)
    assert "lists 2,995 more people per 3,000 in a year (95 % CI 2,931 to 3,000)" in sentence
    # nor below all of A's gone: A lists 600 and 700, B 10 and 0 (−645 ± 699 reached
    # "−1,300" people; B cannot list fewer than none: −650, A's mean, at most)
    cmp = SimpleNamespace(a=[listing_side(range(600)), listing_side(range(700))],
                          b=[listing_side(range(10)), listing_side(range(0))],
                          changes={PENALTY: (1.0, 0.0)})
    # (the interval told in the sentence's terms: "640 fewer (95 % CI −650 to 50)" read
    # as between 650 and 50 fewer, when B may list up to 50 more)
    assert ("lists 640 fewer people per 3,000 in a year (95 % CI 650 fewer to 50 more, not "
            "a clear difference)") in comparison_headline(cmp)


def test_an_interval_cut_at_the_most_possible_is_written_as_the_count():
    """A lists 0, 1 and 1 people, B 2,990, 3,000 and 3,000 of 3,000: B can add at most
    2,999.3 people (3,000 less A's mean), and the interval cut there said "2,983 to
    2,999.3" beside "2,996 more": both ends are written to the count's precision."""
    cmp = SimpleNamespace(a=[listing_side(range(k)) for k in (0, 1, 1)],
                          b=[listing_side(range(k)) for k in (2990, 3000, 3000)],
                          changes={PENALTY: (0.0, 1.0)})
    assert ("lists 2,996 more people per 3,000 in a year (95 % CI 2,983 to 2,999)"
            in comparison_headline(cmp))


def test_a_cut_end_is_rounded_inward():
    """A lists 0, 1 and 0 people, B 2,990, 2,999 and 3,000 of 3,000: B can add at most
    2,999.67 people (3,000 less A's mean), and the interval cut there, rounded to the
    nearest person, said "2,983 to 3,000": more than can be. A cut end is rounded inward,
    a ceiling down and a floor up."""
    cmp = SimpleNamespace(a=[listing_side(range(k)) for k in (0, 1, 0)],
                          b=[listing_side(range(k)) for k in (2990, 2999, 3000)],
                          changes={PENALTY: (0.0, 1.0)})
    assert ("lists 2,996 more people per 3,000 in a year (95 % CI 2,983 to 2,999)"
            in comparison_headline(cmp))
    # the floor: A lists 3,000, 2,999 and 3,000, B 10, 1 and 0: B can list at most
    # 2,999.67 fewer (A's mean), and "fewer" reads the cut end as an amount
    cmp = SimpleNamespace(a=[listing_side(range(k)) for k in (3000, 2999, 3000)],
                          b=[listing_side(range(k)) for k in (10, 1, 0)],
                          changes={PENALTY: (1.0, 0.0)})
    assert ("lists 2,996 fewer people per 3,000 in a year (95 % CI 2,983 to 2,999)"
            in comparison_headline(cmp))
    # rounding inward is exact at a finer step: 19,769.4 / 0.1 is 197,693.99999999997
    _, _, text = _interval([19_769.0, 19_769.4, 19_769.2], ceiling=19_769.4, change=False)
    assert text.endswith(" to 19,769.4"), text


def test_fewer_has_its_interval_as_amounts_fewer():
    """B lists 100, 120 and 110 fewer people than A: "110 fewer", and its interval as
    amounts fewer, ascending ("95 % CI 85 to 135"), not as B − A ("−135 to −85", which
    beside "fewer" read as more)."""
    cmp = SimpleNamespace(a=[listing_side(range(k)) for k in (500, 520, 510)],
                          b=[listing_side(range(400))] * 3,
                          changes={PENALTY: (1.0, 0.0)})
    mean, half = mean_ci95([-100, -120, -110])
    low, high = to_precision(-(mean + half), half), to_precision(-(mean - half), half)
    assert float(low.replace(",", "")) > 0  # one sided: the table's "B − A" is −137 to −83
    assert (f"lists 110 fewer people per 3,000 in a year (95 % CI {low} to {high})"
            in comparison_headline(cmp))


def test_about_as_many_cut_at_zero_says_which_way():
    """A lists nobody in ten pairs, B four people in one: "about as many" with an interval
    cut at 0 ("95 % CI 0 to 1.3") said neither more nor fewer, and read the same when it
    is B that lists 4 fewer of everyone A lists; the direction is named in both."""
    everyone = range(3000)
    more = SimpleNamespace(a=[listing_side(range(0))] * 10,
                           b=[listing_side(range(0))] * 9 + [listing_side(range(4))],
                           changes={PENALTY: (1.0, 0.0)})
    fewer = SimpleNamespace(a=[listing_side(everyone)] * 10,
                            b=[listing_side(everyone)] * 9 + [listing_side(range(4, 3000))],
                            changes={PENALTY: (1.0, 0.0)})
    assert ("lists about as many people per 3,000 in a year (95 % CI 0 to 1.3 more, not a "
            "clear difference)") in comparison_headline(more)
    assert ("lists about as many people per 3,000 in a year (95 % CI 0 to 1.3 fewer, not a "
            "clear difference)") in comparison_headline(fewer)


def test_tickets_a_year_are_those_of_the_days_sanctions_ran():
    """A system abolished after its first year (high-control) blocked tickets in one year
    of two, and the headline spread them over both: 0.64 air tickets per 100 people a year
    where they were 1.28 while it ran, beside the 2018 figure. The rate is over the days
    sanctions were on, and the line says so; the dashboard's bars follow."""
    from scsim.dashboard.views import travel
    from scsim.outputs.headline import sanction_days
    from scsim.outputs.words import in_digits, significant

    sc = scsim.load_scenario({"base": "national-800", "days": 120,
                              "population": {"agents": 2000},
                              "listing": {"threshold": 690},
                              "timeline": [{"day": 80, "set": {"sanctions.enabled": False}}]})
    assert sanction_days(sc, 120) == 80 and sanction_days(sc, 50) == 50
    assert sanction_days(scsim.load_scenario("national-800"), 365) == 365
    assert sanction_days(scsim.load_scenario("no-system"), 365) == 0
    res = scsim.simulate(sc, seed=3)
    air = res.metrics["blocked_air"]
    assert air.sum() > 0 and air.iloc[80:].sum() == 0  # none once sanctions are off
    per_100 = 100 * air.sum() / 2000 / (80 / 365)
    assert (f"Blocked travel: {in_digits(per_100)} air and " in run_headline(res)
            and "per 100 people a year while sanctions were on (80 of the 120 days); "
            in run_headline(res))
    bars = {row["mode"]: row["run"] for row in travel(res.metrics, 2000, res.scenario)}
    assert bars["air"] == significant(per_100, 2)  # the headline's two digits
    plain = scsim.simulate("national-800", agents=500, days=30, seed=1)
    assert "while sanctions were on" not in run_headline(plain)
    # a rate of a month read as a year's without a word: said
    assert "tickets per 100 people a year (scaled to a year from 30 days); China 2018" in \
        run_headline(plain)
    year = scsim.simulate("mesa-parity", agents=300, days=365, seed=1)
    assert "tickets per 100 people a year; China 2018" in run_headline(year)


def test_a_share_per_event_is_said_as_a_percentage_with_the_share_to_type():
    """"Raising the false-match rate from 0.001 to 0.01 probability per sighting": the
    README, the question ("a 0.1 % facial-recognition error rate") and the dashboard say
    0.1 %. A probability or share per event (its unit in the schema) is said as a
    percentage of those events, the shares after it as --set takes them back; a rate per
    day (acts, or a share of a gap closed, or a chance each day) keeps its unit."""
    from scsim.outputs.headline import _one_change
    from scsim.scenario.reference import percent_unit

    a = scsim.load_scenario("national-800", agents=500, days=10)
    b = scsim.load_scenario("national-800", agents=500, days=10,
                            overrides={"surveillance.misattribution": 0.01})
    sentence = comparison_headline(scsim.compare(a, b, seed=1, reps=1))
    assert sentence.startswith(
        "Raising the false-match rate from 0.1 % to 1 % of camera sightings "
        "(surveillance.misattribution: 0.001 → 0.01) lists "), sentence
    assert "probability per" not in sentence
    # the units the schema declares decide it
    assert percent_unit("surveillance.misattribution") == "% of camera sightings"
    assert percent_unit("surveillance.channels.online.coverage") == "% of acts"
    assert percent_unit("surveillance.misattribution_same_group") == "% of false matches"
    assert percent_unit("shunning.refuse") == "% of transactions"
    assert percent_unit("listing.appeals.win") == "%"  # of appeals: the one event
    assert percent_unit("listing.initial_share") == "% of agents"
    for per_day in ("behaviours.jaywalking.rate", "scoring.recovery", "fear.speed",
                    "detention.probability", "shaming.restore_rate", "reports.false_rate",
                    "impunity.quantile", PENALTY, "listing.threshold", "sanctions.enabled"):
        assert percent_unit(per_day) is None, per_day
    assert _one_change("listing.appeals.win", 0.2, 0.5) == (
        "Raising the appeals win from 20 % to 50 % (listing.appeals.win: 0.2 → 0.5)")
    assert _one_change("shunning.refuse", 0.5, 1) == (  # 1, as --set takes it
        "Raising the shunning refuse from 50 % to 100 % of transactions (shunning.refuse: "
        "0.5 → 1)")
    # exactly, without the float's noise or an exponent to type back
    assert _one_change("surveillance.misattribution", 0.0057, 1e-05) == (
        "Lowering the false-match rate from 0.57 % to 0.001 % of camera sightings "
        "(surveillance.misattribution: 0.0057 → 0.00001)")
    assert _one_change("listing.appeals.win_wrongful", None, 0.5) == (
        "Setting the appeals win wrongful to 50 % instead of leaving it unset "
        "(listing.appeals.win_wrongful: null → 0.5)")  # "None probability", "null" were said
    assert _one_change("listing.threshold", 550.0, None) == (
        "Leaving the listing threshold unset instead of 550 points")
    assert _one_change("scoring.recovery", 0.01, 0.02) == (
        "Raising the scoring recovery from 0.01 to 0.02 share per day")
    assert _one_change("detention.probability", 0.01, 0.05) == (
        "Raising the detention probability from 0.01 to 0.05 probability per day")
    assert _one_change("behaviours.jaywalking.rate", 0.1, 0.2).endswith(
        "from 0.1 to 0.2 acts per agent per day")


def test_a_false_match_factor_names_its_group():
    """"Raising the false-match rate factor from 3 to 5" said not whose."""
    from scsim.scenario.reference import setting_name

    assert setting_name("surveillance.misattribution") == "false-match rate"
    assert setting_name("surveillance.misattribution_factor.minority") == (
        "false-match rate factor (minority)")
