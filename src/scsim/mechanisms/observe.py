"""Phase 2, observe: each act is seen with probability coverage[channel][region]; a
sighting on a facial-recognition channel goes to a wrong person with the false-match rate of
the actor's group. Matchers confuse similar faces: the wrong person is of the actor's region
and, with probability ``misattribution_same_group`` (h), of the actor's group too, so that a
group with a higher false-match rate bears more wrongful sightings, not fewer. Impunity may
drop sightings of the powerful."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numba import njit, prange
from pydantic import Field

from scsim.core.blocks import block_bounds, flagged_blocks, n_blocks
from scsim.core.counters import Counters
from scsim.core.events import (
    ACT_UNSEEN,
    MISATTRIBUTED,
    SEEN_AS_OTHER,
    SIGHTED,
    add_event,
    is_traced,
    no_events,
)
from scsim.core.mechanism import Mechanism
from scsim.core.metric import Metric, counter
from scsim.core.rng import SALT_1, SALT_2, agent_hash, below, rehash, sub_hash, unit
from scsim.core.source import Source, Sources, account, book, book_clean
from scsim.core.state import (
    ACTED,
    HAS_MISATTRIBUTION,
    POLITICAL_RECORD,
    SEVERE_CLEAN,
    SEVERE_REAL,
    clean_column,
)
from scsim.core.step import Step, Today
from scsim.mechanisms.acts import draw_acts
from scsim.mechanisms.impunity import COUNTERS as IMPUNITY_COUNTERS
from scsim.mechanisms.impunity import impunity_today, is_dropped, shielded
from scsim.scenario.section import (
    Advice,
    Name,
    Probability,
    Section,
    Written,
    meta,
    overridden,
    switched_off,
)

if TYPE_CHECKING:
    from scsim.core.params import Names, Params
    from scsim.core.source import Book
    from scsim.scenario.schema import Scenario

SOURCE = "MODEL.md: One day, 2. Observe"

# Random-draw purposes under the hash of sighting j (values fixed: they are the numbers).
FALSE_MATCH = SALT_1  # is the sighting attributed to someone else?
WRONG_PERSON = SALT_2  # to whom
# ... and under the hash of WRONG_PERSON:
SAME_GROUP = SALT_1  # is the wrong person drawn from the actor's group?


# --- scenario section: ``surveillance`` ----------------------------------------------------

class Channel(Section):
    coverage: Probability = Field(0.5, description="probability that one act is seen",
                                  json_schema_extra=meta("probability per act", SOURCE))
    by_region: list[Probability] | None = Field(
        None, description="coverage per region",
        json_schema_extra=meta("probability per act", SOURCE))
    facial_recognition: bool = Field(False, description="sightings can be misattributed",
                                     json_schema_extra=meta("", SOURCE))


class Surveillance(Section):
    enabled: bool = Field(True, description="false: nothing is seen (no observations)")
    channels: dict[Name, Channel] = Field(
        default_factory=lambda: {"camera": Channel(coverage=0.3, facial_recognition=True)},
        description="data sources by name: cameras, online, purchases, finance, courts...")
    misattribution: Probability = Field(
        0.0, description="facial-recognition false-match rate per camera sighting",
        json_schema_extra=meta("probability per sighting", SOURCE))
    misattribution_factor: dict[Name, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=dict, description="the false-match rate times this for actors of "
        "the group (NIST: 2-5x for some groups); default 1",
        json_schema_extra=meta("multiplier", "seed 003 (NIST FRVT demographic effects)"))
    misattribution_same_group: Probability = Field(
        1.0, description="probability that the wrongly matched person is of the actor's "
        "group (otherwise anyone of the actor's region): matchers confuse similar faces",
        json_schema_extra=meta("probability per false match", SOURCE))


def enabled(sc: Scenario) -> bool:
    """Is anything observed?"""
    return sc.surveillance.enabled


def misattributes(sc: Scenario) -> bool:
    """Can a sighting go to a wrong person (a facial-recognition channel and a false-match
    rate above 0)?"""
    surv = sc.surveillance
    return (enabled(sc) and surv.misattribution > 0.0
            and any(ch.facial_recognition for ch in surv.channels.values()))


def false_match_index_bytes(sc: Scenario) -> float:
    """Bytes per agent the step keeps once a sighting is misattributed: the sampled index
    of agents by region and group (an int32 id every ``MARK_EVERY`` members,
    ``region_group_marks``)."""
    return 4 / MARK_EVERY if misattributes(sc) else 0.0


def nobody_mistaken(sc: Scenario, written: Written) -> bool | Advice | None:
    """A false-match rate with no facial-recognition channel (or one that sees no
    behaviour), or false-match settings with the rate left at 0: nobody is mistaken for
    anyone."""
    surv, path = sc.surveillance, ("surveillance",)
    if not surv.enabled:
        return None
    facial = [name for name, ch in surv.channels.items() if ch.facial_recognition]
    if surv.misattribution > 0:
        seen = {b.channel for b in sc.behaviours}
        if seen & set(facial):
            return True
        if facial:  # (a channel no behaviour uses): told where the author set the rate
            if not written.by_author(*path, "misattribution"):
                return None
            return ((*path, "misattribution"), f"surveillance.misattribution is "
                    f"{surv.misattribution:g} but no behaviour is seen by a channel with "
                    f"facial recognition ({', '.join(facial)}), so no sighting will be "
                    "misattributed: set behaviours[].channel to it, or "
                    "facial_recognition: true on the channel that sees them")
        if any(written(*path, "channels", name, "facial_recognition")
               for name in surv.channels):
            return None
        return ((*path, "misattribution"), f"surveillance.misattribution is "
                f"{surv.misattribution:g} but no channel has facial_recognition: true, so no "
                "sighting will be misattributed: set surveillance.channels.NAME."
                "facial_recognition: true on the camera channel")
    if written(*path, "misattribution"):
        return None
    for key in ("misattribution_factor", "misattribution_same_group"):
        if written(*path, key):
            return ((*path, key), f"surveillance.{key} is set but surveillance."
                    "misattribution is 0, so nobody will be mistaken for anyone: set "
                    "surveillance.misattribution (the false-match rate per camera sighting)")
    return None


def coverage_unused(sc: Scenario, written: Written) -> bool | Advice | None:
    """A channel's coverage set while its ``by_region`` gives every region's: the coverage
    (probability per act) is used nowhere."""
    if not sc.surveillance.enabled:
        return None
    path = ("surveillance", "channels")
    for name, ch in sc.surveillance.channels.items():
        found = ch.by_region is not None and overridden(
            written, (*path, name, "coverage"), (*path, name, "by_region"), "is set",
            "each region's coverage is by_region's", f"surveillance.channels.{name}."
            "by_region: null (coverage then holds in every region)")
        if found:
            return found
    return True


def channel_unseen(sc: Scenario, written: Written) -> bool | Advice | None:
    """A channel the scenario's author added that no behaviour is seen by (nor perceived
    surveillance reads) and whose name is close to one that is: a misspelt name
    (``channels.cameras`` beside ``camera``) made a channel of its own, while the one
    meant kept its coverage. (A channel spare under another name is left alone.)"""
    import difflib

    used = {b.channel for b in sc.behaviours}
    if sc.perceived_surveillance.enabled:
        used.add(sc.perceived_surveillance.channel)
    for name in sc.surveillance.channels:
        if name in used or not written.by_author("surveillance", "channels", name):
            continue
        close = difflib.get_close_matches(name, sorted(used), n=1)
        if close:
            return (("surveillance", "channels", name),
                    f"surveillance.channels.{name}: no behaviour is seen by this channel "
                    f"(did you mean '{close[0]}'?), so it sees nothing; the behaviours' "
                    f"channels are {', '.join(sorted(used))} (behaviours[].channel)")
    return True


# --- compiled parameters -------------------------------------------------------------------

class ObserveParams(NamedTuple):
    on: bool
    coverage: np.ndarray  # float64 (channels, regions), probability per act
    facial: np.ndarray  # uint8 (channels)
    misattribution: np.ndarray  # float64 (groups), false-match rate per camera sighting
    same_group: float  # probability that the wrong person is of the actor's group


def compile_observe(sc: Scenario, names: Names) -> ObserveParams:
    surv = sc.surveillance
    on = enabled(sc)
    groups = {g: k for k, g in enumerate(names.groups)}
    channels = {c: k for k, c in enumerate(names.channels)}
    coverage = np.zeros((len(names.channels), sc.regions.count), np.float64)
    if on:
        for name, ch in surv.channels.items():
            coverage[channels[name]] = ch.by_region if ch.by_region else ch.coverage
    misattribution = np.full(len(names.groups), surv.misattribution if on else 0.0)
    for gname, factor in surv.misattribution_factor.items():
        misattribution[groups[gname]] *= factor
    facial = np.array([surv.channels[c].facial_recognition for c in names.channels], np.uint8)
    return ObserveParams(on, coverage, facial, misattribution, surv.misattribution_same_group)


# --- counters and kernels ------------------------------------------------------------------

COUNTERS = Counters("observe", counts=("misattributions",),
                    arrays={"seen": (np.int64, ("behaviours",))})
C = COUNTERS.C
UNSEEN, SEEN_OWN, SEEN_WRONG = 0, 1, 2
IC = IMPUNITY_COUNTERS.C

SOURCES = Sources(
    "observe",
    Source("true_sighting", "true sightings", "points for its own acts that the "
           "surveillance (cameras, purchase records, online monitoring) saw and put down to "
           "it (the score without errors counts every one of its acts seen, also those put "
           "down to someone else or dropped for impunity)"),
    Source("misattribution", "misattributions", "points for other people's acts that a "
           "camera's facial recognition put down to it (a false match: an error of the "
           "system, which the score without errors does not count)", error=True))
SRC = SOURCES.S


@njit(cache=True, inline="always")
def sighting(h, bkey, j, coverage, false_match):
    """What the surveillance made of act ``j`` of the behaviour keyed ``bkey``: UNSEEN,
    SEEN_OWN, or SEEN_WRONG (attributed to someone else)."""
    x = sub_hash(h, bkey + np.uint64(j))
    if unit(x) >= coverage:
        return UNSEEN
    if false_match > 0.0 and unit(rehash(x, FALSE_MATCH)) < false_match:
        return SEEN_WRONG
    return SEEN_OWN


@njit(cache=True, inline="always")
def false_match_rate(p, group, region_start, i, r, channel):
    """The false-match rate of a sighting of agent i (region r) on ``channel``."""
    if not p.facial[channel] or region_start[r + 1] - region_start[r] < 2:
        return 0.0
    return p.misattribution[group[i]]


class Sightings(NamedTuple):
    """What the sightings of a day read (``sightings_today``), flat (a parallel loop cannot
    take tuples nested in a tuple): observe's parameters (``ObserveParams``: coverage by
    channel and region, facial recognition by channel, false-match rate by group), the
    behaviours' deltas (points), channels, severity, keys and political acts, today's
    "observe" stream, the
    agents' groups and regions, where each region's agents start (``State.region_start``),
    which regions have started, and what impunity drops today (``ImpunityToday``'s
    fields). ``false_match_rate`` and ``impunity.shielded`` read it as they read those."""

    coverage: np.ndarray
    facial: np.ndarray
    misattribution: np.ndarray
    delta: np.ndarray
    channel: np.ndarray
    severe: np.ndarray
    b_key: np.ndarray
    political: np.ndarray
    key: np.uint64
    group: np.ndarray
    region: np.ndarray
    region_start: np.ndarray
    started: np.ndarray
    p_drop: float
    quantile: float
    power_key: np.uint64
    drop_key: np.uint64


def sightings_today(t: Today) -> Sightings:
    """What today's sightings read."""
    p, beh, a = t.p.observe, t.p.behave, t.state.agents
    return Sightings(p.coverage, p.facial, p.misattribution, beh.delta, beh.channel,
                     beh.severe, beh.key, beh.political, t.key("observe"), a["group"],
                     a["region"], t.state.region_start, t.started, *impunity_today(t))


def sighting_tallies(t: Today) -> tuple[Book, np.ndarray, np.ndarray, np.ndarray]:
    """What today's sightings book and count to: the book of observe's sources, its
    counters (misattributions), the seen acts per behaviour and impunity's counters."""
    tally = t.tally
    return (t.book(SOURCES), tally.counts["observe"], tally.arrays["seen"],
            tally.counts["impunity"])


def sighted_in_behave(sim, p: Params) -> bool:
    """Whether behave's pass over the agents also makes observe's sightings
    (``sight_acts``) while each agent's acts are at hand: when observe is on, unless the run
    splits its passes (``Simulation.split_passes``; then ``observe`` draws the acts again
    in a pass of its own, timed in the observe phase). The same bits either way."""
    return bool(p.observe.on) and not sim.split_passes


@njit(cache=True, inline="always")
def mark_record(i, severe, political, recorded, clean, today, status):
    """What an accepted observation of an act of agent i leaves besides its points: a
    severe act flags ``today`` with SEVERE_CLEAN (``clean``: it is on the error-free record)
    and SEVERE_REAL (``recorded``: on the recorded one), on which classify lists; a political
    act on the recorded record sets the agent's POLITICAL_RECORD status bit, which
    detention reads."""
    if severe:
        if clean:
            today[i] |= SEVERE_CLEAN
        if recorded:
            today[i] |= SEVERE_REAL
    if political and recorded:
        status[i] |= POLITICAL_RECORD


@njit(cache=True, inline="always")
def sight_acts(o, i, acts, scratch, today, status, bk, seen):
    """What the surveillance made of today's ``acts`` (per behaviour) of agent i, of a
    started region: the score deltas of the sightings attributed to it (recorded score,
    less those impunity drops) and of all its sightings (error-free score), booked
    (``bk``), and what they leave on its record (``mark_record``: ``today``, ``status``);
    its sightings per behaviour added to ``seen``. Returns how many of its
    sightings went to someone else (``today`` flags it: ``misattribute`` replays them) and
    how many impunity dropped."""
    b_delta, b_channel, b_severe, b_key = o.delta, o.channel, o.severe, o.b_key
    clean = clean_column(scratch)
    r = o.region[i]
    h = agent_hash(o.key, i)
    hd = shielded(o, i)
    acct = account(bk, i)
    wrong_total = 0
    dropped_total = 0
    for b in range(len(b_delta)):
        k = acts[b]
        ch = b_channel[b]
        cov = o.coverage[ch, r]
        if k == 0 or cov <= 0.0:
            continue
        fm = false_match_rate(o, o.group, o.region_start, i, r, ch)
        seen_here = 0
        wrong = 0
        dropped = 0
        for j in range(k):
            s = sighting(h, b_key[b], j, cov, fm)
            if s != UNSEEN:
                seen_here += 1
                if s == SEEN_WRONG:
                    wrong += 1
                elif is_dropped(hd, b_key[b] + np.uint64(j), o.p_drop):
                    dropped += 1
        if seen_here == 0:
            continue
        own = seen_here - wrong - dropped
        scratch[i, 0] += own * b_delta[b]
        if clean:
            scratch[i, clean] += seen_here * b_delta[b]
        book(bk, acct, SRC.true_sighting, own * b_delta[b])
        book_clean(bk, acct, SRC.true_sighting, seen_here * b_delta[b])
        mark_record(i, b_severe[b], o.political[b], own > 0, True, today, status)
        dropped_total += dropped
        seen[b] += seen_here
        if wrong > 0:
            today[i] |= HAS_MISATTRIBUTION
            wrong_total += wrong
    return wrong_total, dropped_total


@njit(cache=True, inline="always")
def tally_sightings(counts, seen_count, imp_counts, blk, seen, wrong, dropped):
    """Block ``blk``'s sightings (``sight_acts``) into the day's counters: seen acts per
    behaviour, misattributions and observations impunity dropped."""
    for b in range(len(seen)):
        seen_count[blk, b] += seen[b]
    counts[blk, C.misattributions] = wrong
    imp_counts[blk, IC.dropped_observations] += dropped


@njit(cache=True, parallel=True)
def observe(o, act_model, scratch, today, bk, counts, seen_count, imp_counts):
    """Observe's own pass (when the run splits its passes, ``sighted_in_behave``): the
    sightings (``sight_acts``) of every agent of a started region that acted today, its
    acts drawn again (``draw_acts``)."""
    n = len(o.group)
    nbeh = len(o.delta)
    for blk in prange(n_blocks(n)):
        acts = np.empty(nbeh, np.int64)
        seen = np.zeros(nbeh, np.int64)
        wrong = 0
        dropped = 0
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            if not o.started[o.region[i]] or not today[i] & ACTED:
                continue
            draw_acts(act_model, i, acts)
            w, d = sight_acts(o, i, acts, scratch, today, act_model.status, bk, seen)
            wrong += w
            dropped += d
        tally_sightings(counts, seen_count, imp_counts, blk, seen, wrong, dropped)


MARK_EVERY = 64
"""Members of a (region, group) block between two marks of ``region_group_marks``: the
index keeps 4 bytes per 64 members (an id per member would take 4 bytes per agent), and
finding a member reads the group bytes of the agents up to 63 members past a mark."""


@njit(cache=True)
def region_group_marks(group, region_start, n_groups):
    """A sampled index of the agents of each (region, group) block, in id order (regions are
    id ranges: ``region_start``). Block ``b = r * n_groups + g`` has ``member_start[b + 1] -
    member_start[b]`` members; ``marks[mark_start[b] + j]`` is its member number ``j *
    MARK_EVERY`` (int64 starts, int32 ids): ``block_member`` and ``member_rank`` find any
    other by reading ``group`` from there."""
    n_blocks = (len(region_start) - 1) * n_groups
    size = np.zeros(n_blocks, np.int64)
    for r in range(len(region_start) - 1):
        for i in range(region_start[r], region_start[r + 1]):
            size[r * n_groups + group[i]] += 1
    member_start = np.zeros(n_blocks + 1, np.int64)
    mark_start = np.zeros(n_blocks + 1, np.int64)
    for b in range(n_blocks):
        member_start[b + 1] = member_start[b] + size[b]
        mark_start[b + 1] = mark_start[b] + (size[b] + MARK_EVERY - 1) // MARK_EVERY
    marks = np.empty(mark_start[n_blocks], np.int32)
    seen = np.zeros(n_blocks, np.int64)
    for r in range(len(region_start) - 1):
        for i in range(region_start[r], region_start[r + 1]):
            b = r * n_groups + group[i]
            if seen[b] % MARK_EVERY == 0:
                marks[mark_start[b] + seen[b] // MARK_EVERY] = i
            seen[b] += 1
    return member_start, mark_start, marks


@njit(cache=True, inline="always")
def block_member(group, g, marks, first_mark, k):
    """Member number ``k`` (in id order) of the block of group ``g`` whose marks start at
    ``first_mark`` (``region_group_marks``)."""
    j = k // MARK_EVERY
    a = marks[first_mark + j]
    left = k - j * MARK_EVERY
    while left > 0:
        a += 1
        if group[a] == g:
            left -= 1
    return a


@njit(cache=True, inline="always")
def member_rank(group, g, marks, first_mark, end_mark, i):
    """How many members of its block (group ``g``, marks ``first_mark`` to ``end_mark``)
    come before agent ``i``, itself a member (``region_group_marks``)."""
    j = np.searchsorted(marks[first_mark:end_mark], i, side="right") - 1
    rank = j * MARK_EVERY
    for a in range(marks[first_mark + j], i):
        if group[a] == g:
            rank += 1
    return rank


@njit(cache=True, inline="always")
def wrong_person(p, x, i, group, r, region_start, member_start, mark_start, marks):
    """The agent a false match of agent i (region r) goes to, from the draw ``x`` of the
    sighting: with probability ``p.same_group`` a uniformly chosen other agent of i's
    region and group (when there is one; ``region_group_marks``), otherwise of i's
    region."""
    g = group[i]
    y = rehash(x, WRONG_PERSON)
    b = r * len(p.misattribution) + g
    size = member_start[b + 1] - member_start[b]
    if size >= 2 and unit(rehash(y, SAME_GROUP)) < p.same_group:
        k = below(y, size - 1)
        if k >= member_rank(group, g, marks, mark_start[b], mark_start[b + 1], i):
            k += 1
        return block_member(group, g, marks, mark_start[b], k)
    first = region_start[r]
    t = first + below(y, region_start[r + 1] - first - 1)
    return t + 1 if t >= i else t


@njit(cache=True)
def misattribute(p, beh, key, group, region, region_start, member_start, mark_start, marks,
                 act_model, scratch, today, status, bk, mistaken_for, imp, imp_counts, traced,
                 log_all, flags):
    """Serial replay: each misattributed sighting counts against the wrong person
    (``wrong_person``; recorded score only), who keeps the actor's id (when the run keeps
    per-agent sources) and the act on its record (``mark_record``: ``today``, ``status``),
    unless impunity drops it (``impunity.is_dropped``, from the victim's
    drops today under the sighting's own draw ``x``, distinct from those of its own acts:
    no points, counted in ``imp_counts``' dropped observations). Returns a ``misattributed`` event
    (``core.events``; ``value`` 0 and no points when dropped) for each one whose victim is
    traced, or for every one with ``log_all``."""
    b_delta, b_channel, b_severe, b_key = beh.delta, beh.channel, beh.severe, beh.key
    n = len(group)
    acts = np.empty(len(b_delta), np.int64)
    rows, m = no_events(), 0
    for blk in flagged_blocks(flags):
        lo, hi = block_bounds(blk, n)
        for i in range(lo, hi):
            if not today[i] & HAS_MISATTRIBUTION:
                continue
            draw_acts(act_model, i, acts)
            r = region[i]
            h = agent_hash(key, i)
            for b in range(len(b_delta)):
                ch = b_channel[b]
                fm = false_match_rate(p, group, region_start, i, r, ch)
                for j in range(acts[b]):
                    if sighting(h, b_key[b], j, p.coverage[ch, r], fm) != SEEN_WRONG:
                        continue
                    x = sub_hash(h, b_key[b] + np.uint64(j))
                    t = wrong_person(p, x, i, group, r, region_start, member_start,
                                     mark_start, marks)
                    if is_dropped(shielded(imp, t), x, imp.p_drop):
                        imp_counts[blk, IC.dropped_observations] += 1
                        if log_all or is_traced(traced, t):
                            rows, m = add_event(rows, m, t, MISATTRIBUTED,
                                                bk.slots[SRC.misattribution], 0.0, i, b, ch,
                                                0.0)
                        continue
                    scratch[t, 0] += b_delta[b]
                    book(bk, account(bk, t), SRC.misattribution, b_delta[b])
                    if bk.per_agent:
                        mistaken_for[t] = i
                    mark_record(t, b_severe[b], beh.political[b], True, False, today,
                                status)
                    if log_all or is_traced(traced, t):
                        rows, m = add_event(rows, m, t, MISATTRIBUTED,
                                            bk.slots[SRC.misattribution], b_delta[b], i, b,
                                            ch, 1.0)
    return rows[:m]


@njit(cache=True)
def traced_sightings(p, beh, key, group, region, region_start, started, member_start,
                     mark_start, marks, act_model, today, slots, imp, who):
    """Replay for the traced agents ``who`` (sorted ids): what the surveillance made of
    each of their acts today, one event each (``core.events``), from the draws of
    ``observe``: ``sighted`` (booked to the agent; ``value`` 0 and no points when impunity
    dropped it), ``seen_as_other`` (pinned on the ``wrong_person``) or ``act_unseen``."""
    b_delta, b_channel, b_key = beh.delta, beh.channel, beh.key
    acts = np.empty(len(b_delta), np.int64)
    rows, m = no_events(), 0
    for i in who:
        r = region[i]
        if not started[r] or not today[i] & ACTED:
            continue
        draw_acts(act_model, i, acts)
        h = agent_hash(key, i)
        hd = shielded(imp, i)
        for b in range(len(b_delta)):
            ch = b_channel[b]
            fm = false_match_rate(p, group, region_start, i, r, ch)
            for j in range(acts[b]):
                s = sighting(h, b_key[b], j, p.coverage[ch, r], fm)
                if s == UNSEEN:
                    rows, m = add_event(rows, m, i, ACT_UNSEEN, -1, 0.0, -1, b, ch, 1.0)
                elif s == SEEN_WRONG:
                    x = sub_hash(h, b_key[b] + np.uint64(j))
                    t = wrong_person(p, x, i, group, r, region_start, member_start,
                                     mark_start, marks)
                    rows, m = add_event(rows, m, i, SEEN_AS_OTHER, -1, 0.0, t, b, ch, 1.0)
                elif is_dropped(hd, b_key[b] + np.uint64(j), imp.p_drop):
                    rows, m = add_event(rows, m, i, SIGHTED, slots[SRC.true_sighting], 0.0,
                                        -1, b, ch, 0.0)
                else:
                    rows, m = add_event(rows, m, i, SIGHTED, slots[SRC.true_sighting],
                                        b_delta[b], -1, b, ch, 1.0)
    return rows[:m]


# --- the step ------------------------------------------------------------------------------

NO_MARKS = (np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32))
"""``region_group_marks`` of nobody."""


class Observe(Step):
    kernels = (observe, misattribute)
    counters = COUNTERS
    marks: tuple[np.ndarray, ...] | None = None  # region_group_marks, once needed

    def run(self, t: Today) -> None:
        p, s, a, tally = t.p.observe, t.state, t.state.agents, t.tally
        key = t.key("observe")
        if not sighted_in_behave(self.sim, t.p):
            observe(sightings_today(t), t.acts, a["scratch"], a["today"], *sighting_tallies(t))
        tally.flags[:] = tally.counts["observe"][:, C.misattributions] > 0
        if tally.flags.any():
            if self.marks is None:  # groups and regions never change during a run
                self.marks = region_group_marks(a["group"], s.region_start,
                                                len(p.misattribution))
            errors = misattribute(p, t.p.behave, key, a["group"], a["region"],
                                  s.region_start, *self.marks, t.acts, a["scratch"],
                                  a["today"], a["status"], t.book(SOURCES), a["mistaken_for"],
                                  impunity_today(t), tally.counts["impunity"], *t.traced(),
                                  tally.flags)
            if t.trace is not None:
                t.trace.log(errors)
        if t.trace is not None and len(t.trace.traced):
            # Without a misattribution today, nobody's sighting went to a wrong person.
            marks = self.marks if self.marks is not None else NO_MARKS
            t.trace.log(traced_sightings(p, t.p.behave, key, a["group"], a["region"],
                                         s.region_start, t.started, *marks, t.acts,
                                         a["today"], t.ledger.slots(SOURCES), impunity_today(t),
                                         t.trace.traced))


# --- metrics -------------------------------------------------------------------------------

MISATTRIBUTIONS = Metric("misattributions", "sightings per day", "count",
                         "sightings attributed to the wrong person (facial recognition)",
                         label="misattributed sightings", headline=True,
                         value=counter("misattributions"))
SEEN = Metric("seen_{}", "acts per day", "count", "acts of behaviour NAME seen by a "
              "surveillance channel", per="behaviours", label="acts of NAME seen",
              value=lambda m: m.tally.total("seen")[: len(m.names.behaviours)])


# --- the declaration -----------------------------------------------------------------------

MECHANISM = Mechanism(
    name="observe", place=20,
    sections={"surveillance": (Surveillance, "channels that see acts")},
    compile=compile_observe, step=Observe,
    metrics=(MISATTRIBUTIONS,), metrics_after="privilege_{}", sources=SOURCES,
    errs=misattributes, state_bytes=false_match_index_bytes,
    advice=(nobody_mistaken, coverage_unused, channel_unseen, switched_off(
        "surveillance", "nothing will be seen",
        ("misattribution", "misattribution_factor", "misattribution_same_group"))))
