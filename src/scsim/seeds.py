"""The valid range of a random seed, defined once: 0 to 2**63 - 1.

Seeds are stored as a signed 64-bit integer in the run store's catalogue (DuckDB BIGINT)
and mixed as an unsigned 64-bit word by the random streams (``core.rng``), so a seed must
be a whole number that fits both. It is checked before anything is built.
"""

from __future__ import annotations

import numbers

from scsim.errors import ScsimError

SEED_MIN = 0
SEED_MAX = 2**63 - 1


def check_seed(seed: object) -> int:
    """``seed`` as an int if it is a whole number in [SEED_MIN, SEED_MAX], else a
    ScsimError saying so."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ScsimError(f"seed {seed!r}: must be a whole number from {SEED_MIN} to "
                         f"2**63 - 1")
    value = int(seed)
    if not SEED_MIN <= value <= SEED_MAX:
        raise ScsimError(f"seed {value}: must be from {SEED_MIN} to {SEED_MAX:,} (2**63 - 1)")
    return value
