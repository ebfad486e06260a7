"""Ctrl-C and SIGTERM during a run: noticed within one simulated day, whichever thread the
operating system hands the signal to.

Python runs signal handlers in the main thread only, between bytecodes. On Python 3.11
(Linux) a signal that the kernel delivers to another thread of the process (one of the
OpenMP threads of numba's parallel kernels, or of OpenBLAS) marks the handler pending
without telling the main thread's evaluation loop, which holds the GIL through the day
loop; it acts on it only when something makes it look again. ``check_signals()`` runs
pending handlers now: the CLI's progress callbacks call it once per simulated day.

A KeyboardInterrupt can also be lost: raised while an import runs a callback (the import
lock's weakref callback), while pydantic-core or numba calls back into Python, or turned
into an ImportError by an extension module's loader, it is printed as "Exception ignored"
or becomes another error, and the command went on (a Ctrl-C at the wrong moment while
`scsim run` loaded its modules let the run finish and exit 0). The CLI's handler
(``ctrl_c``) therefore also remembers the request: ``check_signals`` raises it again if
it was lost, and the CLI's ``main`` exits 130 for a command that ends, or fails, after one.
A SIGTERM under ``sigterm_interrupts`` (a run, a report being written) is remembered the
same way: its Terminated, lost in a callback, is raised again by ``check_signals`` (and
``fsutil.atomic_folder`` checks before it publishes a folder, so a half-written one is
removed), and ``main`` exits 143.

A process started with SIGINT ignored (a background job of a shell without job control:
``scsim run ... &`` in a script, ``nohup``) keeps ignoring it, as the shell intends: Python
installs no KeyboardInterrupt handler then, and neither does scsim.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from scsim.errors import Terminated

_check = None
_requested = False  # a Ctrl-C reached ``ctrl_c`` (never reset: the process is to stop)
_terminated = False  # a SIGTERM reached ``terminate`` (never reset either)


def request_interrupt() -> None:
    """Remember that the user asked this process to stop (``interrupt_requested``)."""
    global _requested
    _requested = True


def ctrl_c(signum, frame) -> None:
    """The CLI's SIGINT handler: raise KeyboardInterrupt, as Python's does, and remember
    the request, in case the exception is lost."""
    request_interrupt()
    raise KeyboardInterrupt


def interrupts_raise() -> bool:
    """Whether a Ctrl-C raises KeyboardInterrupt now (Python's handler or ``ctrl_c``; not
    when SIGINT is ignored or another handler is in place)."""
    return signal.getsignal(signal.SIGINT) in (signal.default_int_handler, ctrl_c)


def interrupt_requested() -> bool:
    """Whether a Ctrl-C reached ``ctrl_c`` in this process."""
    return _requested


def terminate(signum, frame) -> None:
    """The SIGTERM handler of ``sigterm_interrupts``: raise Terminated, and remember the
    request, in case the exception is lost."""
    global _terminated
    _terminated = True
    raise Terminated()


def _requested_stop() -> BaseException | None:
    """The stop this process was asked for: KeyboardInterrupt after a Ctrl-C that reached
    ``ctrl_c``, Terminated after a SIGTERM that reached ``terminate``; None otherwise."""
    if _requested:
        return KeyboardInterrupt()
    return Terminated() if _terminated else None


def raise_requested_stop() -> None:
    """Raise the stop this process was asked for (``_requested_stop``), in case its
    exception was lost; nothing when it was asked none."""
    stop = _requested_stop()
    if stop is not None:
        raise stop


def stop_of(exc: BaseException) -> BaseException | None:
    """The stop (Ctrl-C or SIGTERM) that ``exc`` stands for: ``exc`` itself when it is a
    KeyboardInterrupt or Terminated; when this process was asked to stop and a library
    turned the stop into an error of its own (DuckDB's RuntimeError "Query interrupted",
    raised while the store lands a run), a new KeyboardInterrupt or Terminated caused by
    ``exc``; None otherwise (an error of its own)."""
    if isinstance(exc, KeyboardInterrupt | Terminated):
        return exc
    stop = _requested_stop()
    if stop is not None:
        stop.__cause__ = exc
    return stop


def quiet_lost_interrupts(unraisable) -> None:
    """A ``sys.unraisablehook`` for the CLI: the KeyboardInterrupt (or, while the CLI
    loads, SystemExit) of a Ctrl-C that Python could not raise (it was raised in a
    callback or a finalizer, and ``ctrl_c`` remembered it) is not printed as "Exception
    ignored" with its traceback; anything else is, as usual."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt | SystemExit) and _requested:
        return
    if isinstance(unraisable.exc_value, Terminated) and _terminated:
        return
    sys.__unraisablehook__(unraisable)


@contextmanager
def remembered_interrupts() -> Iterator[None]:
    """While the block runs (the CLI's command), a Ctrl-C goes to ``ctrl_c`` and a lost
    one is not printed (``quiet_lost_interrupts``); both are put back after. Only where
    Python's own handler is in place: an ignored SIGINT stays ignored."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    hook = sys.unraisablehook
    signal.signal(signal.SIGINT, ctrl_c)
    sys.unraisablehook = quiet_lost_interrupts
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = hook


def check_signals() -> None:
    """Run the handlers of signals that arrived since the last check, in this (the main)
    thread: a pending Ctrl-C raises KeyboardInterrupt here, as does one that ``ctrl_c``
    took before and whose exception was lost; a pending SIGTERM under
    ``sigterm_interrupts`` raises Terminated, as does one that ``terminate`` took before.
    Costs about a microsecond."""
    global _check
    if _check is None:
        import ctypes

        _check = ctypes.pythonapi.PyErr_CheckSignals  # raises what the handler raises
        _check.restype = ctypes.c_int
        _check.argtypes = []
    _check()
    raise_requested_stop()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into a Terminated exception while the block runs, so that a run can be
    marked interrupted before the process exits."""
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
