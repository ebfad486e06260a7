"""Time spent on numba's kernels rather than on the simulation: compiling them (the first
run on a machine, or after a change to the code) and loading them from the on-disk cache
(every new process). It is measured so that speeds (agent-days per second) leave it out,
and announced so that a first run does not look stuck.

Both go through numba's event API: the ``numba:compiler_lock`` event spans every
compilation and cache load, ``numba:compile`` only real compilations (cache misses), and
``scsim:compile`` the wait for the worker processes that compile a first run's kernels
(``core.precompile``).

A Ctrl-C that arrives while numba compiles a kernel or loads one from the cache in this
process (a ``numba:compiler_lock`` span) is held until the outermost span ends (a fraction
of a second to a few seconds), then raised: numba makes and drops many objects with
finalizers, LLVM calls back into Python through ctypes, and a KeyboardInterrupt raised
inside a finalizer or a ctypes callback is printed as "Exception ignored" and lost.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from numba.core import event

from scsim.core.precompile import EVENT as POOL

# A compilation in this process that the registry did not foresee (core.precompile), in
# seconds: it is one kernel or a few (the largest, breakdown, 7 s of one thread).
COMPILE_ESTIMATE_SECONDS = 10


class _Span(event.Listener):
    """Seconds between the outermost start and end events of a kind (nested ones are part
    of their parent), summed; ``on_first`` is called at the first outermost start."""

    def __init__(self, on_first: Callable[[int], None] | None = None):
        self.seconds = 0.0
        self._depth = 0
        self._since = 0.0
        self._on_first = on_first

    def on_start(self, ev) -> None:
        if self._depth == 0:
            self._since = time.perf_counter()
            if self._on_first is not None:
                first, self._on_first = self._on_first, None
                first(round((ev.data or {}).get("seconds", COMPILE_ESTIMATE_SECONDS)))
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
        """Add the block's kernel seconds; a Ctrl-C during a compilation in the block is
        raised when it ends (see the module docstring)."""
        total, compiling = _Span(), _Span()
        try:
            with _listening(total, "numba:compiler_lock", POOL), \
                    _listening(compiling, "numba:compile", POOL), \
                    event.install_listener("numba:compiler_lock", _HoldCtrlC()):
                yield
        finally:
            self.total += total.seconds
            self.compiling += compiling.seconds


@contextmanager
def _listening(listener: event.Listener, *kinds: str) -> Iterator[None]:
    with ExitStack() as stack:
        for kind in kinds:
            stack.enter_context(event.install_listener(kind, listener))
        yield


class _HoldCtrlC(event.Listener):
    """While numba compiles or loads a kernel in the main thread, SIGINT only sets a flag
    (when it would raise KeyboardInterrupt); the end of the outermost compiler-lock span
    raises it (numba releases the lock before it signals the end)."""

    def __init__(self) -> None:
        self._depth = 0
        self._previous = None
        self._pending = False

    def _hold(self, signum, frame) -> None:
        self._pending = True

    def on_start(self, ev) -> None:
        from scsim.interrupts import interrupts_raise

        if self._depth == 0 and threading.current_thread() is threading.main_thread() \
                and interrupts_raise():
            self._previous = signal.signal(signal.SIGINT, self._hold)
        self._depth += 1

    def on_end(self, ev) -> None:
        from scsim.interrupts import check_signals

        self._depth -= 1
        if self._previous is not None:
            check_signals()  # one taken by another thread is pending: run the hold now
            if self._depth == 0:
                signal.signal(signal.SIGINT, self._previous)
                self._previous = None
        if self._pending and self._depth == 0:  # not inside a nested span: the lock is
            self._pending = False                # taken again while a kernel compiles
            raise KeyboardInterrupt


@contextmanager
def on_first_compile(announce: Callable[[int], None]) -> Iterator[None]:
    """Call ``announce(seconds)`` once, when the block first compiles a kernel (not when it
    only loads kernels from the cache), with about how long compiling will take."""
    with _listening(_Span(announce), "numba:compile", POOL):
        yield
