"""Time spent on numba's kernels rather than on the simulation: compiling them (the first
run on a machine, or after a change to the code) and loading them from the on-disk cache
(every new process). It is measured so that speeds (agent-days per second) leave it out,
and announced so that a first run does not look stuck.

Both go through numba's event API: the ``numba:compiler_lock`` event spans every
compilation and cache load, ``numba:compile`` only real compilations (cache misses).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from numba.core import event

# A first run's compilation of every kernel of national-800, measured on 2026-11-30 with
# one thread on the project's shared 2-core machine (37 s; 35 s to over 2 minutes on
# others, see docs/performance.md).
COMPILE_ESTIMATE_SECONDS = 40


class _Span(event.Listener):
    """Seconds between the outermost start and end events of a kind (nested ones are part
    of their parent), summed; ``on_first`` is called at the first outermost start."""

    def __init__(self, on_first: Callable[[], None] | None = None):
        self.seconds = 0.0
        self._depth = 0
        self._since = 0.0
        self._on_first = on_first

    def on_start(self, ev) -> None:
        if self._depth == 0:
            self._since = time.perf_counter()
            if self._on_first is not None:
                first, self._on_first = self._on_first, None
                first()
        self._depth += 1

    def on_end(self, ev) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._since


class KernelTime:
    """Seconds spent on kernels, summed over the blocks ``measure`` ran: ``total``
    (compiling them or loading them from the cache) and ``compiling`` (the part spent
    compiling)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.compiling = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        total, compiling = _Span(), _Span()
        try:
            with event.install_listener("numba:compiler_lock", total), \
                    event.install_listener("numba:compile", compiling):
                yield
        finally:
            self.total += total.seconds
            self.compiling += compiling.seconds


@contextmanager
def on_first_compile(announce: Callable[[], None]) -> Iterator[None]:
    """Call ``announce()`` once, when the block first compiles a kernel (not when it only
    loads kernels from the cache)."""
    with event.install_listener("numba:compile", _Span(announce)):
        yield
