"""Ctrl-C and SIGTERM during a run: noticed within one simulated day, whichever thread the
operating system hands the signal to.

Python runs signal handlers in the main thread only, between bytecodes. On Python 3.11
(Linux) a signal that the kernel delivers to another thread of the process (one of the
OpenMP threads of numba's parallel kernels, or of OpenBLAS) marks the handler pending
without telling the main thread's evaluation loop, which holds the GIL through the day
loop; it acts on it only when something makes it look again. ``check_signals()`` runs
pending handlers now: the CLI's progress callbacks call it once per simulated day.

A process started with SIGINT ignored (a background job of a shell without job control:
``scsim run ... &`` in a script, ``nohup``) keeps ignoring it, as the shell intends: Python
installs no KeyboardInterrupt handler then, and neither does scsim.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from scsim.errors import Terminated

_check = None


def check_signals() -> None:
    """Run the handlers of signals that arrived since the last check, in this (the main)
    thread: a pending Ctrl-C raises KeyboardInterrupt here, a pending SIGTERM under
    ``sigterm_interrupts`` raises Terminated. Costs about a microsecond."""
    global _check
    if _check is None:
        import ctypes

        _check = ctypes.pythonapi.PyErr_CheckSignals  # raises what the handler raises
        _check.restype = ctypes.c_int
        _check.argtypes = []
    _check()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into a Terminated exception while the block runs, so that a run can be
    marked interrupted before the process exits."""
    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
