"""Counter-based random numbers.

Every random number in scsim is a pure function of (seed, purpose, day, agent, index):
there is no generator state to advance. This gives three properties the model needs:

* the same seed gives the same bits whatever the number of threads, because no draw
  depends on the order in which agents are visited;
* two scenarios run with the same seed draw the same number for the same agent, day and
  purpose (common random numbers), because purposes are keyed by stable names
  (``"behave:jaywalking"``), not by positions in a scenario;
* any draw can be recomputed later (a serial pass can replay what a parallel pass decided).

The mixing function is the SplitMix64 finaliser (Steele, Lea & Flood 2014), the output
function of a counter-based generator that passes BigCrush.

Usage inside kernels::

    key = stream_key(seed, "behave", day)        # Python, once per phase and day
    h = agent_hash(key, i)                       # numba, once per agent
    u = unit(sub_hash(h, j))                     # numba, one per draw j
    v = unit(rehash(h, SALT_1))                  # numba, a further independent draw

A Poisson count whose mean is small (an act, a privilege used: a few in a hundred per
agent and day) is drawn screened: its uniform number's leading 16 bits come from a hash of
32-bit lanes (``lead``), which the compiler vectorises eight agents at a time, and only
where they leave a count above 0 possible (``lead_threshold``) are its trailing 37 bits
drawn with ``sub_hash`` (``lead_unit``, ``screened_poisson``). The uniform is still exactly
uniform on the grid of 2**-53 and a pure function of (stream, agent, purpose). Screening
eight behaviours takes a little over half the time of the eight ``sub_hash`` draws and
comparisons it replaces (10 against 18 ms for 10**6 agents on one thread).

Draws are told apart by named purposes, each defined once next to its use with the number
it has always had (``AIR_ATTEMPT = 1`` in mechanisms/sanction.py, ``APPEAL_FILED = SALT_1``
in mechanisms/classify.py...): renumbering a purpose would change every random number.
"""

from __future__ import annotations

import functools
import math
import zlib

import numpy as np
from numba import njit

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_GOLDEN2 = 0xD1B54A32D192ED03
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB

G1 = np.uint64(_GOLDEN)
G2 = np.uint64(_GOLDEN2)
SALT_1 = G1  # rehash(h, SALT_1), rehash(h, SALT_2): two further draws from one hash
SALT_2 = G2
M1 = np.uint64(_MUL1)
M2 = np.uint64(_MUL2)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
S32 = np.uint64(32)
# A screened uniform (lead, lead_unit): the lead is its top 16 bits, the rest from bit 16 of
# a sub_hash; the lead comes from the 32-bit halves of a hash.
S16, S48, LOW32 = np.uint64(16), np.uint64(48), np.uint64(0xFFFFFFFF)
LEAD_CELLS = 65536.0  # 2**16 values of a uniform's leading 16 bits
# The 32-bit mixer (lowbias32): its multipliers and shifts, uint32.
M32_1, M32_2, T15, T16 = np.uint32(0x7FEB352D), np.uint32(0x846CA68B), np.uint32(15), np.uint32(16)
INV53 = 1.0 / 9007199254740992.0  # 2**-53


def _mix_py(z: int) -> int:
    z &= _MASK
    z = ((z ^ (z >> 30)) * _MUL1) & _MASK
    z = ((z ^ (z >> 27)) * _MUL2) & _MASK
    return z ^ (z >> 31)


def name_id(name: str) -> int:
    """A stable 64-bit id for a name (a purpose, a behaviour, a sanction)."""
    return _mix_py(zlib.crc32(name.encode("utf-8")) * _GOLDEN + len(name))


@functools.lru_cache(maxsize=1024)
def _purpose_key(seed: int, purpose: str) -> int:
    """The part of ``stream_key`` that does not change from day to day (kept: the steps
    ask for a few of these every day)."""
    return _mix_py(_mix_py((seed & _MASK) * _GOLDEN2 + 0x5CA1AB1E) ^ name_id(purpose))


def stream_key(seed: int, purpose: str, day: int = -1) -> np.uint64:
    """The key of one random stream: a seed, a named purpose and a day (-1: not daily)."""
    return np.uint64(_mix_py(_purpose_key(seed, purpose) ^ ((day + 1) * _GOLDEN)))


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finaliser: a bijective, well-mixing map of uint64."""
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


@njit(cache=True, inline="always")
def agent_hash(key, i):
    """The hash of agent (or tie, company) ``i`` in the stream ``key``."""
    return mix64(key ^ (np.uint64(i) * G1))


@njit(cache=True, inline="always")
def sub_hash(h, j):
    """Draw number ``j`` (an act index, a behaviour id, a neighbour id) under hash ``h``."""
    return mix64(h ^ (np.uint64(j) * G2 + G1))


@njit(cache=True, inline="always")
def rehash(h, salt):
    """A further draw from hash ``h``, independent of ``h`` itself (``salt``: SALT_1 or
    SALT_2)."""
    return mix64(h ^ salt)


@njit(cache=True, inline="always")
def unit(x):
    """A uniform number in [0, 1) from the top 53 bits of ``x``."""
    return np.float64(x >> S11) * INV53


@njit(cache=True, inline="always")
def mix32(z):
    """A bijective, well-mixing map of uint32 (Wellons's "lowbias32" finaliser). Every
    step is cast back to uint32: numba widens uint32 arithmetic to 64 bits otherwise."""
    z = np.uint32(np.uint32(z ^ (z >> T16)) * M32_1)
    z = np.uint32(np.uint32(z ^ (z >> T15)) * M32_2)
    return np.uint32(z ^ (z >> T16))


@njit(cache=True, inline="always")
def lead(h, j):
    """The leading 16 bits (0..65535, int32) of the uniform number of draw ``j`` under
    hash ``h`` (see ``lead_unit``)."""
    low, high = halves(h)
    return lead_of_halves(low, high, j)


@njit(cache=True, inline="always")
def halves(h):
    """The low and high 32-bit halves of hash ``h`` (uint32, uint32)."""
    return np.uint32(h & LOW32), np.uint32(h >> S32)


@njit(cache=True, inline="always")
def lead_of_halves(low, high, j):
    """``lead(h, j)`` from the low and high 32-bit halves of ``h`` (uint32), for loops that
    split their hashes once and then run in 32-bit lanes only. The low half is mixed with
    the low half of ``j``, then with the high half, so that two agents whose hashes share a
    half still draw independently."""
    return np.int32(mix32(mix32(low ^ np.uint32(j & LOW32)) ^ high) >> T16)


@njit(cache=True, inline="always")
def lead_threshold(lam):
    """The least leading bits (``lead``, int32, -1 to 65536) of a uniform u for which
    ``poisson(u, lam)`` can be above 0: it is 0 when u <= 1 - lam, and u < (lead + 1) /
    2**16, so a lead below floor((1 - lam) * 2**16) gives 0 (exact: the product is a float
    times a power of two)."""
    return np.int32(max(np.floor((1.0 - lam) * LEAD_CELLS), -1.0))


@njit(cache=True, inline="always")
def lead_unit(h, j, leading):
    """The uniform number in [0, 1) of draw ``j`` under hash ``h`` whose leading 16 bits
    are ``leading`` (``lead(h, j)``): the next 37 bits are the top of ``sub_hash(h, j)``.
    Uniform on the grid of 2**-53, as ``unit`` is."""
    return unit((np.uint64(leading) << S48) | (sub_hash(h, j) >> S16))


@njit(cache=True)
def screened_poisson(h, j, lam):
    """Poisson(lam) from the uniform of draw ``j`` under hash ``h`` (``lead_unit``), its
    trailing bits drawn only when its leading bits allow a count above 0. A function of
    its own, not inlined: it is called only for the few agents the screen lets through, and
    inlined into every kernel that replays acts it made the first compile about 10 s
    longer."""
    leading = lead(h, j)
    if leading < lead_threshold(lam):
        return 0
    return poisson(lead_unit(h, j, leading), lam)


@njit(cache=True, inline="always")
def poisson(u, lam):
    """Poisson(lam) by inversion of one uniform ``u`` (monotone in u, so coupled across
    scenarios that differ only in ``lam``). Exact for every lam; fast for lam < ~10."""
    if lam <= 0.0 or u <= 1.0 - lam:
        return 0  # u <= 1 - lam <= exp(-lam): the first cell of the inverse CDF
    p = math.exp(-lam)
    cdf = p
    k = 0
    while u > cdf and k < 4096:
        k += 1
        p *= lam / k
        cdf += p
        if p < 1e-300:
            break
    return k


@njit(cache=True, inline="always")
def normal(h):
    """A standard normal draw from one hash (Box-Muller on its two 32-bit halves,
    with 53-bit precision from a second mix)."""
    u1 = unit(mix64(h ^ G1))
    u2 = unit(mix64(h ^ G2))
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, inline="always")
def lognormal_mean(h, mean, sigma):
    """A log-normal draw with the given arithmetic mean and log-scale sd ``sigma``."""
    if sigma <= 0.0:
        return mean
    return mean * math.exp(sigma * normal(h) - 0.5 * sigma * sigma)


@njit(cache=True, inline="always")
def below(x, n):
    """An integer uniform in [0, n) from hash ``x`` (Lemire's multiply-shift, n < 2**32)."""
    return np.int64(((x >> S32) * np.uint64(n)) >> S32)
