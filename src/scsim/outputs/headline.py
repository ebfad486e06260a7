"""The headline: what a run or a paired comparison found, in plain words.

``run_headline(result)`` is three lines (who was listed and how many wrongfully, blocked
travel per year against the published 2018 figures, the chilling effect), with the
wrongful travel bans when the run can err and detention when it has it;
``comparison_headline(comparison)`` is one sentence (how many more or fewer people B lists
than A, with its 95 % interval over the pairs, and how many of them wrongfully). The CLI,
the HTML report and the notebook representations start with them; the full tables follow on
request.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from scsim.analysis.published import ticket_figures
from scsim.analysis.stats import mean_ci95
from scsim.outputs.words import UNBOUNDED_CHANGE, counted, in_digits

if TYPE_CHECKING:
    import pandas as pd

    from scsim.analysis.compare import Comparison
    from scsim.outputs.result import Result
    from scsim.scenario.schema import Scenario

WINDOW = 30  # days compared at the start and the end for the chilling effect

PER_100_DIGITS = 2
"""Significant digits of a rate per 100 people a year wherever one is written
(``per_100_in_digits``): blocked tickets in the run's headline, the summary table and the
dashboard's bars, the 2018 figures beside them, and the summary's other rates a year.
Each place had its own (the bar of 2018's air tickets said 1.29 under a headline saying
1.3)."""


def per_100_a_year(total: float, agents: int, years: float) -> float:
    """``total`` events (blocked tickets, new listings...) among ``agents`` people over
    ``years`` years, per 100 people a year."""
    return 100 * total / agents / years


def per_100_in_digits(rate: float) -> str:
    """A rate per 100 people a year as written (``PER_100_DIGITS`` significant digits,
    ``words.in_digits``): '0.97', '0.064', '220'."""
    return in_digits(rate, PER_100_DIGITS)


def chilling_window(days: int) -> int:
    """Days compared at each end of a run of ``days`` days for the chilling effect:
    ``WINDOW``, or half the run when it is shorter than two windows (the first and last
    days never overlap); 0 for a run of one day (nothing to compare)."""
    return min(WINDOW, days // 2)


def round_figure(value: float, digits: int = 3) -> str:
    """A mean count for a sentence: ``digits`` significant digits but at most one decimal,
    thousands separators, a true minus sign (19,775 -> '19,800'; 5.85 -> '5.9')."""
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    rounded = round(value, min(digits - 1 - magnitude, 1))
    text = f"{rounded:,.0f}" if float(rounded).is_integer() else f"{rounded:,.1f}"
    return text.replace("-", "−")


def period(days: int) -> str:
    """'in a year' for 365 days, 'in 2 years' for 730, 'in one day' for 1, else 'in 180
    days'."""
    if days == 1:
        return "in one day"
    if days % 365 == 0:
        years = days // 365
        return "in a year" if years == 1 else f"in {years} years"
    return f"in {days:,} days"


def chilling_change(metrics) -> float:
    """Relative change of penalised acts per day, the last ``chilling_window`` days against
    the first (−0.12: 12 % fewer); NaN when the first days had none, or the run is one
    day long."""
    acts, window = metrics["penalised_acts"], chilling_window(len(metrics))
    if window == 0:
        return math.nan
    head, tail = acts.iloc[:window].mean(), acts.iloc[-window:].mean()
    return tail / head - 1.0 if head > 0 else math.nan


def chilling_chance(metrics) -> float:
    """How far ``chilling_change`` could be from 0 by chance alone: the half-width of its
    95 % interval from the day-to-day variation of penalised acts in the two windows
    (each day's count taken as independent; a trend inside a window only widens it);
    NaN when it cannot be told (no acts at the start, or windows of one day)."""
    acts, window = metrics["penalised_acts"], chilling_window(len(metrics))
    if window < 2:
        return math.nan
    head, tail = acts.iloc[:window], acts.iloc[-window:]
    if head.mean() <= 0:
        return math.nan
    return 1.96 * math.sqrt((head.var() + tail.var()) / window) / head.mean()


STOPPING = (("social_media_banned", "social-media bans on the listed"),
            ("house_arrest", "house arrest"), ("detained", "detention"))
"""The restrictions that keep agents from acting (their metric, in words): acts they stop
are fewer acts too, though nobody was deterred."""


FEW_TO_SCALE = 10
"""Agents too few for their count, times the people each stands for, to be more than a
rough figure (a count of 3 is uncertain by about ±60 %: 1/√3), said so beside it."""


def people(count: float) -> str:
    """A count of people, in words: '1.4 billion' from a billion on, '20.9 million' from a
    million on, else '210,000'."""
    if count >= 1e9:
        return f"{round_figure(count / 1e9)} billion"
    return (f"{round_figure(count / 1e6)} million" if count >= 1e6 else round_figure(count))


def stopping_penalised(sc: Scenario) -> frozenset[str]:
    """The restrictions of STOPPING (their metric) that can stop a penalised act of
    ``sc``: a social-media ban an online behaviour, house arrest one outside the home,
    detention any (a ban stops no act of a scenario without online behaviours)."""
    penalised = [b for b in sc.behaviours if b.deterred]
    stops = {"social_media_banned": lambda b: b.online,
             "house_arrest": lambda b: b.outside_home, "detained": lambda b: True}
    return frozenset(column for column, stop in stops.items() if any(map(stop, penalised)))


def acting_stopped(metrics, window: int, share: float = 0.0, agents: int = 1,
                   can_stop: frozenset[str] | None = None) -> str:
    """The restrictions of STOPPING that held someone on some of the last ``window`` days
    of the run, in words ('social-media bans on the listed and detention'); '' when none
    did (high-control abolishes them on day 365: a later fall in acts is fear alone).
    With ``share``: only those that held at least that share of the ``agents`` on average
    over those days (a restriction on 2 people of 2,000 does not explain a fall of 5 %);
    with ``can_stop`` (``stopping_penalised``), only those that can stop a penalised act."""
    held = [words for column, words in STOPPING
            if column in metrics and metrics[column].iloc[-window:].to_numpy().any()
            and metrics[column].iloc[-window:].mean() >= share * agents
            and (can_stop is None or column in can_stop)]
    return " and ".join([", ".join(held[:-1]), held[-1]] if len(held) > 1 else held)


def _ever(res: Result, column: str) -> int:
    """Agents whose history count ``column`` (times_listed, wrongful_listings) is positive."""
    return int(np.count_nonzero(np.asarray(res.agent_columns[column])))


def listed_at_start(res: Result) -> int:
    """Agents already listed when the run began (``listing.initial_share``: the published
    stock), counted in the ever-listed of the headline: those listed at the end of day 0
    less the day's new listings plus its releases. 0 after a warm-up, whose listings the
    history counts do not keep (docs/model.md, Initial state)."""
    m, sc = res.metrics, res.scenario
    if sc.listing.initial_share == 0 or sc.warmup_days or "newly_listed" not in m:
        return 0
    first = m.iloc[0]
    return int(first["listed"] - first["newly_listed"] + first.get("delisted", 0))


def percent(share: float, digits: int = 0) -> str:
    """0.437 -> '44 %' (the space as in '95 % CI'); '–' for NaN. A share that is not 0
    but would round to 0, or under 1 % given in whole percents, keeps its first
    significant digit: 1 in 5,000 is '0.02 %', not '0.0 %', and 14 in 2,497 is '0.6 %',
    not '1 %'; one that is not 1 but would round to 100 % keeps as many as it needs:
    0.99997 is '99.997 %'."""
    if share != share:
        return "–"
    text = f"{100 * share:.{digits}f}"
    if share != 0 and (float(text) == 0 or (digits == 0 and abs(100 * share) < 1)):
        text = f"{100 * share:.{max(digits, -math.floor(math.log10(abs(100 * share))))}f}"
    while 100 * share != 100 and float(text) == 100:
        digits += 1
        text = f"{100 * share:.{digits}f}"
    return f"{text} %"


def chilling_line(m: pd.DataFrame, n: int, can_stop: frozenset[str] | None = None) -> str:
    """The chilling effect in words: penalised acts in the last days of a run against the
    first (``chilling_change``), what it comes from (fear, and the restrictions that held
    enough of the ``n`` agents to matter and, ``can_stop``, can stop a penalised act), or
    that there is none to speak of: a change
    within chance (``chilling_chance``), or one that neither fear nor a restriction can
    explain (a run of no-system changes as much). ``m``: the run's metrics."""
    window = chilling_window(len(m))
    change = chilling_change(m)
    first, last = (("on the first day", "on the last day") if window == 1 else
                   (f"in the first {window} days", f"in the last {window} days"))
    if window == 0:
        acts = "one day is too short to compare its first and last days"
    elif math.isnan(change) and m["penalised_acts"].sum() == 0:
        acts = "nothing to measure it by: no act that costs points was committed"
    elif math.isnan(change):
        acts = f"no penalised acts {first}"
    elif abs(change) < 0.005:
        acts = f"as many penalised acts {last} as {first}"
    else:
        acts = (f"{percent(abs(change))} {'fewer' if change < 0 else 'more'} penalised acts "
                f"{last} than {first}")
        chance = chilling_chance(m)
        feared = round(m["fear_mean"].iloc[-1], 2) > 0
        # a restriction is named when it held at least a tenth of the fall's share
        stopping = acting_stopped(m, window, abs(change) / 10, n,
                                  can_stop) if change < 0 else ""
        if window == 1:  # no day-to-day variation to judge it by ("none: 50 % fewer")
            acts = (f"too short a run to tell: {acts}, one day against one, which chance "
                    "alone moves this much")
        elif abs(change) <= chance:  # a run without the system varies as much
            acts = (f"none beyond chance: {acts}, within their day-to-day variation (± "
                    f"{percent(chance)})")
        elif change < 0 and not feared and not stopping:
            acts = (f"none (nobody fears the score, and too few are kept from acting to "
                    f"matter): {acts}, from the model's other dynamics and chance")
        elif stopping:  # not all of it is fear
            acts += f", from fear and from {stopping}" if feared else f", from {stopping}"
    return (f"Chilling effect: {acts}; mean fear {m['fear_mean'].iloc[-1]:.2f} "
            "(0: none, 1: the most).")


def sanction_days(sc: Scenario, days: int) -> int:
    """The days of a run of ``days`` days on which sanctions were on (``sanctions.enabled``
    in the timeline's step in force): a system abolished after a year of two blocks
    tickets in one year, and its tickets per year are that year's."""
    from scsim.scenario.loader import timeline_epochs

    epochs = timeline_epochs(sc) if sc.timeline else [(0, sc)]
    ends = [first for first, _ in epochs[1:]] + [days]
    return sum(max(0, min(end, days) - first)
               for (first, epoch), end in zip(epochs, ends, strict=True)
               if epoch.sanctions.enabled)


def ticket_years(sc: Scenario, days: int) -> tuple[float, str]:
    """The years over which a run of ``days`` days counts its blocked tickets a year: those
    on which sanctions were on (``sanction_days``; all of them where none were), and the
    words that say so after "tickets a year" ("" when they are all the run's days)."""
    banning = sanction_days(sc, days)
    return ((banning or days) / 365.0,
            f" while sanctions were on ({banning:,} of the {days:,} days)"
            if 0 < banning < days else "")


def listed_line(res: Result, n: int, days: int) -> str:
    """The headline's first line: the ``n`` agents ever listed in ``days`` days (with the
    published stock among them, ``listed_at_start``), and how many wrongfully, in what
    sense; in the represented population's terms too when each agent stands for k people
    (a count of few agents said to be rough). A system that cannot err says so rather
    than explaining "wrongfully" by errors it cannot make."""
    k = res.scenario.population.scale
    whom = "people" if k == 1 else "agents"
    ever, wrongful = _ever(res, "times_listed"), _ever(res, "wrongful_listings")
    if ever == 0:
        return f"Listed: nobody among {n:,} {whom} {period(days)}."
    stock = listed_at_start(res)
    head = (f"Listed: {ever:,} of {n:,} {whom} ({percent(ever / n, 1)}) at some point "
            f"{period(days)}" + (f" ({stock:,} of them already listed when it began)"
                                  if stock else ""))
    head += (f", about {people(ever * k)} of the {people(n * k)} people they stand for"
             f"{rough(ever, 'agent')};" if k != 1 else ",")
    if not res.names.errors:
        return (f"{head} none of them wrongfully: this system makes no face-matching errors "
                "and takes no false reports.")
    if not wrongful:  # "0 of them wrongfully (... would not have listed them)" read as
        # saying that of the people listed
        return (f"{head} none of them wrongfully (each time, the same acts without "
                "face-matching errors and false reports would have listed them too).")
    sense = ("on the day they were listed, " if k == 1 else
             f"about {people(wrongful * k)} people" + rough(wrongful, "agent", ": "))
    return (f"{head} {wrongful:,} of them wrongfully ({sense}the same acts without "
            "face-matching errors and false reports would not have listed them).")


def run_headline(res: Result) -> str:
    """Three lines in plain words: listed, blocked travel per year against 2018, chilling;
    the wrongful travel bans after the travel when the run can err, detention last when
    the run has it."""
    m = res.metrics
    n, days = len(res.agent_columns["times_listed"]), len(m)
    k = res.scenario.population.scale
    listed = listed_line(res, n, days)
    # a year of tickets is a year in which tickets could be blocked
    years, during = ticket_years(res.scenario, days)
    per_100 = {mode: per_100_a_year(m[f"blocked_{mode}"].sum(), n, years)
               for mode in ("air", "train")}
    published = {mode: ticket_figures(mode) for mode in ("air", "train")}
    if not during and days < 365:
        during = f" (scaled to a year from {counted(days, 'day')})"

    def reading(k: int) -> str:  # the 2018 figures in one reading, air and train
        return (f"{per_100_in_digits(100 * published['air'][k].value)} and "
                f"{per_100_in_digits(100 * published['train'][k].value)} "
                f"{published['air'][k].reading_words}")

    travel = (f"Blocked travel: {per_100_in_digits(per_100['air'])} air and "
              f"{per_100_in_digits(per_100['train'])} train tickets per 100 people a "
              f"year{during}; China 2018: {reading(0)}, {reading(1)}.")
    if k != 1:
        travel = national_travel(per_100, n * k, published,
                                 int(m[["blocked_air", "blocked_train"]].to_numpy().sum()))
    chilling = chilling_line(m, n, stopping_penalised(res.scenario))
    lines = [listed, travel, chilling]
    if res.names.errors:  # question 2: how many wrongful travel bans
        blocked = m[["blocked_air", "blocked_train"]].to_numpy().sum()
        lines.insert(2, wrongful_travel(m["blocked_tickets_wrongful"].sum(), blocked, n, k,
                                        years))
    if "detained" in m.columns:
        lines.append(detention_line(m, days))
    return "\n".join(lines)


def detention_line(m: pd.DataFrame, days: int) -> str:
    """Detentions and detention-days over the run, the detained and their households on
    the last day (a run with detention)."""
    last = m.iloc[-1]
    total, political = m["new_detentions"].sum(), m["political_detentions"].sum()
    why = ("" if not political else (", for a political act alone" if total == 1 else
                                      ", all of them for a political act alone")
           if political == total else f", {political:,.0f} of them for a political act alone")
    return (f"Detention: {counted(total, 'detention')} {period(days)}{why} "
            f"({counted(m['detention_days'].sum(), 'person-day')} in detention); on the last "
            f"day {counted(last['detained'], 'person', 'people')} detained, and "
            f"{counted(last['households_affected'], 'household')} with a member detained.")


def wrongful_travel(tickets: int, blocked: int, n: int, k: float, years: float) -> str:
    """The wrongful travel bans, in words: of the ``blocked`` air and train tickets over the
    run's ``years``, the ``tickets`` refused to agents listed wrongfully, per 100 people a
    year (``n`` agents); per year in the represented population's terms when each agent
    stands for k people, with the agents' count behind it; and when none of the agents'
    tickets was, not "none" for the people they stand for: scaling multiplies what the
    agents did, and a rare event that none of them met may still happen to the people."""
    if tickets == 0 and k != 1:  # none among the agents is not none among the people
        for_them = f"blocked for the {n:,} agents"
        none = (_none_of(blocked, f"ticket {for_them}", f"tickets {for_them}") if blocked else
                f"none of the {n:,} agents was refused a ticket while listed wrongfully")
        return (f"Wrongful travel bans: {none}; each agent stands for {people(k)} people, "
                f"so one such ticket would count for {people(k / years)} a year: too few "
                "agents to tell how many there are in national terms (run more agents, or "
                "replications).")
    if tickets == 0 and not blocked:
        return "Wrongful travel bans: none: no ticket was blocked."
    if tickets == 0:
        return f"Wrongful travel bans: {_none_of(blocked, 'blocked ticket', 'blocked tickets')}."
    if k != 1:
        return (f"Wrongful travel bans, in national terms: {round_figure(tickets * k / years)}"
                " tickets a year refused to people listed wrongfully ("
                f"{tickets:,.0f} of the {counted(blocked, 'ticket')} blocked for the {n:,} "
                f"agents, each standing for {people(k)} people).")
    which = ("the one blocked ticket was" if blocked == 1 else
             f"{tickets:,.0f} of the {counted(blocked, 'blocked ticket')} "
             f"{'was' if tickets == 1 else 'were'}")
    whom = "someone" if tickets == 1 else "people"
    return (f"Wrongful travel bans: {which} refused to {whom} listed wrongfully "
            f"({per_100_in_digits(per_100_a_year(tickets, n, years))} per 100 people a "
            "year).")


def _none_of(count: int, one: str, many: str) -> str:
    """That none of ``count`` blocked tickets went to someone listed wrongfully: 'none of
    the 12 blocked tickets was refused to someone listed wrongfully', or for one 'none:
    the one blocked ticket was refused to someone listed rightly' (not a double negative);
    ``one`` and ``many``: the tickets in the singular and the plural."""
    if count == 1:
        return f"none: the one {one} was refused to someone listed rightly"
    return f"none of the {count:,} {many} was refused to someone listed wrongfully"


def rough(count: int, what: str, after: str = "") -> str:
    """What a national figure scaled from ``count`` agents (or tickets blocked for them:
    ``what`` "agent" or "ticket") says beside it when they are fewer than
    ``FEW_TO_SCALE``: ', a rough figure from only 2 agents' (then ``after``); '' (or
    ``after``) otherwise."""
    if count >= FEW_TO_SCALE:
        return after
    things = counted(count, what) + (" blocked for the agents" if what == "ticket" else "")
    return f", a rough figure from only {things}{after}"


def national_travel(per_100: dict[str, float], represented: float, published,
                    blocked: int) -> str:
    """The travel line in the represented population's terms (``population.scale``):
    blocked tickets per year in millions for the ``represented`` people, next to the 2018
    counts as published (for 1.4 billion people) in both readings; with fewer than
    ``FEW_TO_SCALE`` tickets ``blocked`` for the agents, said to be rough (one ticket read
    "0.00304 million air" unsaid)."""
    def millions(count: float) -> str:
        return f"{count / 1e6:.3g}"

    air, train = (per_100[kind] / 100 * represented for kind in ("air", "train"))
    said = (" (none blocked for the agents: too few to tell how many in national terms)"
            if not blocked else rough(blocked, "ticket").replace(", a", " (a", 1)
            + (")" if blocked < FEW_TO_SCALE else ""))
    return (f"Blocked travel, in national terms: {millions(air)} "
            f"million air and {millions(train)} million train "
            f"tickets a year for the {people(represented)} people these agents "
            f"stand for{said}; China 2018: {millions(published['air'][0].count)} and "
            f"{millions(published['train'][0].count)} million "
            f"{published['air'][0].reading_words}, {millions(published['air'][1].count)} and "
            f"{millions(published['train'][1].count)} million "
            f"{published['air'][1].reading_words}.")


def _with_unit(value: Any, unit: str) -> str:
    """A setting's value and its unit ('1 point per day per listed contact', the unit's
    first word in the singular for 1); a value that is no number as the scenario writes it,
    without the unit ('[0.3, 0.5]', 'null': "None points" was said)."""
    from scsim.scenario.reference import show_value, unit_of

    if not _is_number(value):
        return show_value(value)
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit_of(value, unit)}".strip()


def _same_scenario(cmp: Comparison) -> bool:
    """Whether B is A: the same scenario, nothing changed."""
    return cmp.a[0].scenario.name == cmp.b[0].scenario.name and not cmp.changes


SHOWN_CHANGES = 4
"""The most settings a comparison's sentence names one by one ('and 3 more settings')."""


def change_phrase(cmp: Comparison) -> str:
    """What B does differently from A, as the subject of a sentence ('Raising the
    association listed penalty from 0 to 1 point per day per listed contact'; with more
    than one setting changed, every one named: 'Changing 3 settings together (raising
    ..., lowering ... and switching ... on)')."""
    name_a, name_b = cmp.a[0].scenario.name, cmp.b[0].scenario.name
    if name_a != name_b:
        return f"Running {name_b} instead of {name_a}"
    if _same_scenario(cmp):
        return "The same scenario run twice"
    changes = [_one_change(path, va, vb) for path, (va, vb) in cmp.changes.items()]
    if len(changes) == 1:
        return changes[0]
    named = [c[0].lower() + c[1:] for c in changes[:SHOWN_CHANGES]]
    if len(changes) > SHOWN_CHANGES:
        rest = len(changes) - SHOWN_CHANGES
        named.append(f"{rest} more setting{'s' if rest > 1 else ''}")
    return (f"Changing {len(changes)} settings together ({', '.join(named[:-1])} and "
            f"{named[-1]})")


def _one_change(path: str, va: Any, vb: Any) -> str:
    """One setting's change from A's value ``va`` to B's ``vb``, as the subject of a
    sentence ('Switching sanctions off', 'Raising the listing threshold from 550 to 650
    points'). A probability or share per event (``reference.percent_unit``) is said as a
    percentage, with the shares after it as the scenario and ``--set`` write them, as the
    dashboard says a change: 'Raising the false-match rate from 0.1 % to 1 % of camera
    sightings (surveillance.misattribution: 0.001 → 0.01)'."""
    from scsim.scenario.reference import (
        as_percent,
        percent_unit,
        setting_name,
        setting_unit,
        timeline_in_words,
        typed_share,
    )

    if path == "timeline":  # a list of steps, not one value ("[{'day': 182, ...")
        return (f"Changing the timeline to {timeline_in_words(vb)} (instead of "
                f"{timeline_in_words(va)})")
    name = "the " + setting_name(path)
    if isinstance(vb, bool) or isinstance(va, bool):
        if path.endswith("enabled"):  # a mechanism: 'Switching sanctions off'
            return f"Switching {setting_name(path)} {'on' if vb else 'off'}"
        # another switch reads best as the setting itself ('Setting
        # detention.suspend_ties to false')
        return f"Setting {path} to {'true' if vb else 'false'}"
    percent = percent_unit(path)
    if percent is not None and (_is_number(va) or _is_number(vb)):
        def share(value: Any, unit: str) -> str:  # 0.001: '0.1 %' and the unit after it
            return (f"{as_percent(value)} {unit}" if _is_number(value) else
                    _with_unit(value, ""))

        typed = f" ({path}: {typed_share(va)} → {typed_share(vb)})"
        if _is_number(va) and _is_number(vb):
            verb = "Raising" if vb > va else "Lowering"
            return f"{verb} {name} from {share(va, '%')} to {share(vb, percent)}{typed}"
        return _setting(name, vb, va, share(vb, percent), share(va, percent)) + typed
    unit = setting_unit(path)
    if _is_number(va) and _is_number(vb):
        verb = "Raising" if vb > va else "Lowering"
        return f"{verb} {name} from {_with_unit(va, '')} to {_with_unit(vb, unit)}"
    return _setting(name, vb, va, _with_unit(vb, unit), _with_unit(va, unit))


def _setting(name: str, vb: Any, va: Any, said_b: str, said_a: str) -> str:
    """A setting B gives another value than A ('Setting NAME to SAID_B instead of
    SAID_A'), a value left unset said as such ("to null instead of 550 points" was
    said)."""
    if vb is None:
        return f"Leaving {name} unset instead of {said_a}"
    if va is None:
        return f"Setting {name} to {said_b} instead of leaving it unset"
    return f"Setting {name} to {said_b} instead of {said_a}"


def _is_number(value: Any) -> bool:
    """Whether a setting's value is a number (not true or false, null, a list...)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_precision(value: float, half_width: float) -> str:
    """A mean to the precision its 95 % interval warrants: two significant digits of the
    half-width (19,774.6 ± 16.4 -> '19,775'; 9,712 ± 3,700 -> '9,700'), at most one
    decimal for a count; thousands separators and a true minus sign."""
    step, decimals = _precision(half_width)
    rounded = round(value / step) * step
    return f"{rounded:,.{decimals}f}".replace("-", "−")


def _precision(half_width: float) -> tuple[float, int]:
    """The step ``to_precision`` rounds to, for a 95 % interval of half-width
    ``half_width`` (1 for 16.4, 100 for 3,700; 0.1 at the finest), and its decimals."""
    step = max(10.0 ** (math.floor(math.log10(half_width)) - 1), 0.1)
    return step, max(0, -math.floor(math.log10(step)))


ONE_PAIR = "one pair, so no interval: run more replications"


def _to_step(value: float, step: float, inward=None) -> float:
    """``value`` rounded to a multiple of ``step`` (``_precision``'s), or for an interval's
    end cut at the most or the least there can be, taken inward by ``inward``
    (``math.floor``, ``math.ceil``): 2,999.67 people at most is 2,999, not 3,000. The
    quotient is taken to 9 decimals first: 19,769.4 / 0.1 is 197,693.99999999997 in
    floating point, which ``math.floor`` took to 19,769.3."""
    if inward is None:
        return round(value / step) * step
    return inward(round(value / step, 9)) * step


def _is_one(amount: str) -> bool:
    """Whether a count as written ('1', '1.0', '12') is one: 'person', not 'people'."""
    return float(amount.replace(",", "")) == 1


def _interval(values: list[float], floor: float = -math.inf, ceiling: float = math.inf,
              *, change: bool = True) -> tuple[float, str, str]:
    """Mean of per-pair differences, the mean in words and its 95 % interval in words (its
    ends cut at ``floor`` and ``ceiling``, the least and the most there can be: 0 for a
    count of people, −A and the agents less A for a change in how many are listed, as
    ``Comparison.switches`` cuts the per-agent table's). Both ends are written to the
    precision of the mean (``to_precision``), a cut end too: the most possible, 19,769.4
    people (20,000 less A's mean of 230.6), was written "19,769.4" beside "19,769 more",
    and a cut end is rounded inward, never past what can be (2,999.67 at most is "2,999",
    not "3,000"); an end that rounds to nothing is "0", not "0.0". A ``change`` (B − A,
    said beside "more" or "fewer") has its interval told in the same terms: ends of one
    sign as amounts ("640 fewer (95 % CI 630 to 650)", which "−650 to −630" beside
    "fewer" said backwards), ends either side of 0 by their direction ("95 % CI 650
    fewer to 50 more"); beside "about as many" a one-sided interval names its direction too."""
    mean, half = mean_ci95(values)
    if not math.isfinite(half):
        return mean, round_figure(abs(mean)), ONE_PAIR
    if half == 0:
        return mean, round_figure(abs(mean)), "the same in every pair"
    amount = to_precision(abs(mean), half)
    step, _ = _precision(half)
    low, high = max(mean - half, floor), min(mean + half, ceiling)
    # the ends as written: which side of 0 they fall on is told by them (A's 5 people
    # at a precision of 100 are "0 to 5,000 more", not "0 fewer to 5,000 more"); an end
    # cut at the least or the most possible is rounded inward, never past it (B adding
    # at most 2,999.67 people was "2,983 to 3,000")
    low = _to_step(low, step, math.ceil if mean - half < floor else None)
    high = _to_step(high, step, math.floor if mean + half > ceiling else None)

    def end(value: float) -> str:
        return "0" if value == 0 else to_precision(abs(value) if change else value, half)

    low_text, high_text = end(low), end(high)
    unclear = mean - half <= 0 <= mean + half
    # what comparison_headline calls "about as many": an interval cut at 0 on one side
    # (A listed nobody, or everyone) says which way it goes ("0 to 1.3" said neither)
    about = unclear and round(mean) == 0
    if not change or low >= 0:
        text = f"95 % CI {low_text} to {high_text}"
        if change and about and high > 0:
            text += " more"
    elif high <= 0:
        text = f"95 % CI {high_text} to {low_text}"
        if about:
            text += " fewer"
    else:
        text = f"95 % CI {low_text} fewer to {high_text} more"
    if unclear:
        text += ", not a clear difference"
    return mean, amount, text


def _of_them(wrongful: float, listed: float) -> str:
    """'half of them wrongfully', '12 % of them wrongfully'..."""
    share = wrongful / listed
    if wrongful == 0:
        return "none of them wrongfully"
    if round(wrongful) == 0:  # "none" beside "(0.2 people, ...)" contradicted it
        return "almost none of them wrongfully"
    if share >= 0.995:
        return "all of them wrongfully"
    for words, value in (("half", 0.5), ("a third", 1 / 3), ("two thirds", 2 / 3),
                         ("a quarter", 0.25), ("three quarters", 0.75)):
        if abs(share - value) < 0.02:
            return f"{words} of them wrongfully"
    # under 10 % with a decimal, as the run's headline gives its shares: 295 of 19,900 was
    # "1 %", a third less than it is
    return f"{percent(share, 1 if share < 0.1 else 0)} of them wrongfully"


def _listing_switches(a: Result, b: Result) -> tuple[int, int, int, int]:
    """Of one pair: agents ever listed under B and never under A, the reverse, and those
    of each set that were wrongfully listed on the side that listed them."""
    la = np.asarray(a.agent_columns["times_listed"]) > 0
    lb = np.asarray(b.agent_columns["times_listed"]) > 0
    wa = np.asarray(a.agent_columns["wrongful_listings"]) > 0
    wb = np.asarray(b.agent_columns["wrongful_listings"]) > 0
    gained, lost = lb & ~la, la & ~lb
    return (int(gained.sum()), int(lost.sum()), int((gained & wb).sum()),
            int((lost & wa).sum()))


def _wrongful_of_the_switched(cmp: Comparison, more: bool, wrongful: list[int]
                              ) -> list[int] | None:
    """Per pair, the people wrongfully listed among those B lists and A does not (``more``)
    or the reverse, when 'N more (fewer) people, X % of them wrongfully' is exactly true
    in every pair: nobody switched the other way, and the change in wrongful listings
    (``wrongful``, B − A per pair) is theirs, not a difference of two sets of people.
    None otherwise."""
    counts = []
    for (a, b), wrong in zip(zip(cmp.a, cmp.b, strict=True), wrongful, strict=True):
        gained, lost, wrong_gained, wrong_lost = _listing_switches(a, b)
        other, theirs = (lost, wrong_gained) if more else (gained, -wrong_lost)
        if other or theirs != wrong:
            return None
        counts.append(abs(theirs))
    return counts


def _clear(values: list[float]) -> bool:
    """Whether the 95 % interval of the per-pair differences ``values`` leaves out 0 (a
    mean of 0.5 people between 0.1 and 0.9 is half a person more, not "about as many");
    never with one pair, which has no interval."""
    mean, half = mean_ci95(values)
    return math.isfinite(half) and (mean - half > 0 or mean + half < 0)


def _nobody_wrongful(cmp: Comparison) -> bool:
    """Whether no run of the comparison, A or B, listed anyone wrongfully."""
    return not any(_ever(r, "wrongful_listings") for r in (*cmp.a, *cmp.b))


def comparison_headline(cmp: Comparison) -> str:
    """One sentence: how many more (or fewer) people B lists than A among the same agents
    over the same days, the 95 % interval over the pairs, and how many of them wrongfully
    (a share of them only when they are the people B lists and A does not, or the reverse,
    in every pair, and theirs is the whole change in wrongful listings:
    ``_wrongful_of_the_switched``; otherwise the change in wrongful listings beside it)."""
    n = len(cmp.a[0].agent_columns["times_listed"])
    days = len(cmp.a[0].metrics)
    listed = [_ever(b, "times_listed") - _ever(a, "times_listed")
              for a, b in zip(cmp.a, cmp.b, strict=True)]
    wrongful = [_ever(b, "wrongful_listings") - _ever(a, "wrongful_listings")
                for a, b in zip(cmp.a, cmp.b, strict=True)]
    # B lists from nobody to all n agents: B − A between −A and n − A (A's mean), as the
    # tables' intervals stop (a CI of "−700 to 2,000" when A listed 600 on average)
    ever_a = np.mean([_ever(a, "times_listed") for a in cmp.a])
    wrong_a = np.mean([_ever(a, "wrongful_listings") for a in cmp.a])
    mean, amount, interval = _interval(listed, floor=-ever_a, ceiling=n - ever_a)
    wrong_mean, wrong_amount, wrong_interval = _interval(wrongful, floor=-wrong_a,
                                                         ceiling=n - wrong_a)
    if wrong_interval == interval == ONE_PAIR:
        wrong_interval = "one pair"  # said once in full is enough
    subject = change_phrase(cmp)
    where = f"per {n:,} {period(days)}"
    if _same_scenario(cmp) and not any(listed) and not any(wrongful):
        # common random numbers: more pairs of one scenario could not differ either
        return (f"{subject} lists exactly as many people {where}, and as many wrongfully: "
                "with the same seeds it is the same run.")
    if amount == "0" or (round(mean) == 0 and not _clear(listed)):
        if round(wrong_mean) == 0:
            # "as many wrongfully" read as some, when nobody was wrongfully listed at all
            return (f"{subject} lists about as many people {where} ({interval}), and " + (
                "nobody wrongfully listed under A or B." if _nobody_wrongful(cmp) else
                "as many wrongfully."))
        return (f"{subject} lists about as many people {where} ({interval}); "
                f"{wrong_amount} {'more' if wrong_mean > 0 else 'fewer'} are wrongfully "
                f"listed ({wrong_interval}).")
    direction = "more" if mean > 0 else "fewer"
    people = "person" if _is_one(amount) else "people"
    sentence = f"{subject} lists {amount} {direction} {people} {where} ({interval})"
    theirs = _wrongful_of_the_switched(cmp, mean > 0, wrongful)
    if theirs is not None:
        them, them_amount, them_interval = _interval(theirs, floor=0.0, ceiling=n,
                                                     change=False)
        if them == 0:
            return f"{sentence}, {_of_them(them, abs(mean))}."
        if them_interval == interval == ONE_PAIR:
            them_interval = "one pair"
        # the count behind the share, with its own interval: a share of a few people
        # found in one pair of five is not a finding
        return (f"{sentence}, {_of_them(them, abs(mean))} ({them_amount} "
                f"{'person' if _is_one(them_amount) else 'people'}, {them_interval}).")
    if not any(wrongful):  # "and as many wrongfully listed" read as "as many more"
        if _nobody_wrongful(cmp):
            return f"{sentence}, and nobody wrongfully listed under A or B."
        return f"{sentence}, and as many wrongfully listed under B as under A."
    wrong_direction = "more" if wrong_mean > 0 else "fewer"
    return (f"{sentence}, and {wrong_amount} {wrong_direction} wrongfully listed "
            f"({wrong_interval}).")


NEGLIGIBLE_ACTS = 0.001
"""A change in a behaviour's acts (relative to A) too small to name: one act more in each of
two pairs gave a zero-width interval, and "late payment (0.007 % more)" was named before
changes a hundred times as large whose intervals were wide."""


def acts_headline(cmp: Comparison, most: int = 3) -> str:
    """The behaviours whose acts change most from A to B, relative to A, in one sentence
    ('Acts change most for criticising government (3.2 % more, 95 % CI 2.9 % to 3.5 %),
    ...'): at most ``most`` of them, those whose change is clear (its 95 % interval over
    the pairs excludes no change; any change with one pair) and not negligible
    (``NEGLIGIBLE_ACTS``)."""
    m = cmp.metrics(headline=True)
    acts = m[m["metric"].str.startswith("acts_") & m["change"].notna()]
    moved = acts[acts["change"].abs() >= NEGLIGIBLE_ACTS]
    if moved.empty:
        return ("Every behaviour is committed as often under B as under A." if (
            acts["diff"] == 0).all() else "Every behaviour is committed about as often under B "
            f"as under A (within {percent(NEGLIGIBLE_ACTS, 1)}).")
    clear = moved if cmp.reps == 1 else moved[(moved["change_lo"] > 0)
                                              | (moved["change_hi"] < 0)]
    if clear.empty:
        return ("No behaviour is clearly acted more or less often under B: every 95 % "
                "interval includes no change.")
    top = clear.loc[clear["change"].abs().sort_values(ascending=False, kind="stable").index]
    parts = [_act_change(row, cmp.reps) for row in top.head(most).itertuples()]
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"Acts change most for {listed}."


def _act_change(row: Any, reps: int) -> str:
    """'criticising government (3.2 % more, 95 % CI 2.9 % to 3.5 %)'; 'littering (7450.0 %
    more, 95 % CI at least 300.0 % more: A's figure is too small and variable to give a
    relative change with an upper bound)' where the interval has no upper end (a clear
    change whose A is not clearly above 0, ``Comparison.metrics``)."""
    name = row.metric.removeprefix("acts_").replace("_", " ")
    direction = "more" if row.change > 0 else "fewer"
    text = f"{name} ({percent(abs(row.change), 1)} {direction}"
    if reps > 1:
        low, high = sorted((abs(row.change_lo), abs(row.change_hi)))
        if math.isinf(high):  # (a clear change from A's mean: one end is finite)
            text += (f", 95 % CI at least {percent(low, 1)} {direction}: "
                     f"{UNBOUNDED_CHANGE} with an upper bound")
        else:
            text += f", 95 % CI {percent(low, 1)} to {percent(high, 1)}"
    return text + ")"
