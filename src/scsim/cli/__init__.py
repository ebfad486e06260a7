"""The ``scsim`` command (Typer + Rich): ``main`` is the console script.

Layout, with no import circles (each module imports only ``app`` and the helpers below it):

- ``app``: the Typer app, the consoles (results on stdout, progress and messages on
  stderr), the options that commands share, and ``main``;
- ``render``, ``progress``: tables on stdout, progress bars on stderr;
- one module per command group, each registering its commands on ``scsim.cli.app.app``:
  ``scenarios`` (scenarios, validate), ``run``, ``compare``, ``store`` (runs, show, query,
  rm, report), ``experiments`` (sweep, sweeps, calibrate, sensitivity); any other module
  added to this package is imported too, so a new command group only needs its file
  (``resume`` also calls ``run.write_asked``: a resumed run writes what its run asked for).

Commands import what they need (numba, pandas, DuckDB, Dask, ...) when they run, so that
``scsim --help`` starts in a fraction of a second. A Ctrl-C while this package loads exits
130 with one word, as it does later, and a SIGTERM 143 with its word.
"""

import signal as _signal
import sys as _sys

from scsim.interrupts import quiet_lost_interrupts as _quiet_lost_interrupts
from scsim.interrupts import request_interrupt as _request_interrupt


def _interrupted_while_loading(signum, frame):
    _request_interrupt()  # in case an import loses the exit: main() then exits 130
    _sys.stderr.write("interrupted\n")
    raise SystemExit(130)


def _terminated_while_loading(signum, frame):
    _sys.stderr.write("terminated\n")
    raise SystemExit(143)


# Ctrl-C during the imports below: exit 130 quietly rather than with a traceback, and a
# SIGTERM 143 with its word (it ended the process without one). Only where Python's own
# handlers are in place (the scsim command itself), and put back after.
_quiet = _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler
_quiet_term = _quiet and _signal.getsignal(_signal.SIGTERM) is _signal.SIG_DFL
if _quiet:
    try:
        _signal.signal(_signal.SIGINT, _interrupted_while_loading)
        if _quiet_term:
            _signal.signal(_signal.SIGTERM, _terminated_while_loading)
    except ValueError:  # not the main thread: leave signals alone
        _quiet = _quiet_term = False
    else:
        _hook, _sys.unraisablehook = _sys.unraisablehook, _quiet_lost_interrupts
try:
    import pkgutil as _pkgutil
    from importlib import import_module as _import_module

    from scsim.cli.app import app, main

    # the command groups, in the order `scsim --help` lists them; then any other module
    _GROUPS = ("scenarios", "run", "compare", "store", "experiments")
    _HELPERS = ("app", "render", "progress")
    for _name in (*_GROUPS, *sorted(m.name for m in _pkgutil.iter_modules(__path__)
                                    if m.name not in (*_GROUPS, *_HELPERS)
                                    and not m.name.startswith("_"))):
        _import_module(f"{__name__}.{_name}")
finally:
    if _quiet:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        _sys.unraisablehook = _hook
    if _quiet_term:
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)

__all__ = ["app", "main"]
