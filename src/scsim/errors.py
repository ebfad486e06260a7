"""Errors a user can cause and fix. The CLI prints their message (no traceback) and exits 2."""

from __future__ import annotations

import numbers


class ScsimError(Exception):
    """Bad input: a message that says what is wrong and where."""


def check_reps(reps: object) -> int:
    """``reps`` (how many replications, or pairs) as an int when it is a whole number of at
    least 1, else a ScsimError saying so."""
    if isinstance(reps, bool) or not isinstance(reps, numbers.Integral) or reps < 1:
        raise ScsimError(f"reps must be a whole number of at least 1, got {reps!r}")
    return int(reps)


def check_progress(progress: object) -> None:
    """A ScsimError unless ``progress`` is None or a function that can be called with one
    number, as every API calls it (``simulate``, ``replicate``, ``compare``: the day just
    simulated; ``sweep``, ``sensitivity``: the count of runs finished so far;
    ``calibrate``: of trials). Checked up front, before anything runs or a cluster starts:
    5 was called on the first day, and a function of no argument failed deep inside a
    sweep, after its cluster started, and left the sweep interrupted."""
    if progress is None:
        return
    if not callable(progress):
        raise ScsimError(f"progress={progress!r}: must be a function to call as the work goes "
                         "on (or None), with one number: the day just simulated, or the "
                         "count of runs finished so far")
    import inspect

    try:
        signature = inspect.signature(progress)
    except (TypeError, ValueError):  # a built-in without one: it is taken at its word
        return
    try:
        signature.bind(0)
    except TypeError:
        name = getattr(progress, "__qualname__", None) or repr(progress)
        raise ScsimError(f"progress={name}{signature}: must accept one positional argument, "
                         "a number (the day just simulated, or the count of runs finished "
                         "so far): e.g. def progress(n): ...") from None


class ScenarioError(ScsimError):
    """An invalid scenario. ``problems`` holds one line per problem, each naming the field
    (``behaviours[3].rate: must be >= 0``) and, where known, the file and line."""

    def __init__(self, problems: list[str] | str, source: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        head = f"invalid scenario {source}" if source else "invalid scenario"
        shown = self.problems[:PROBLEMS_SHOWN]
        if len(self.problems) > PROBLEMS_SHOWN:  # 40,000 unknown keys made 13 MB of message
            shown.append(f"... and {len(self.problems) - PROBLEMS_SHOWN:,} more problems")
        super().__init__(head + ":\n  " + "\n  ".join(shown))


PROBLEMS_SHOWN = 50  # the problems an invalid scenario's message lists (all: ``problems``)


class ScenarioNotFound(ScenarioError):
    """A scenario named that is neither a file nor a built-in: said alone, not headed
    "invalid scenario" (there is no scenario to be invalid)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.args = (problem,)


class ScenarioWarning(UserWarning):
    """A valid scenario with a setting that does nothing (``scenario.advice``): a switch on
    while a value it needs is left at a default that does nothing, or values set under a
    switch left off; or timeline steps a run shortened by ``days`` never reaches (left
    out). ``path``: the key the author wrote; the message says which to set."""

    def __init__(self, message: str, path: tuple = ()):
        super().__init__(message)
        self.path = path


class ResultWarning(UserWarning):
    """A result that does not mean what it seems (a sensitivity analysis whose output never
    varied or whose estimates are too imprecise to rank, a calibration that misses a
    target): the Python API warns with it where the CLI prints a warning."""


class EdgeListError(ScsimError):
    """A missing or malformed edge-list file; the message names the file and line."""


class MemoryRefused(ScsimError):
    """A run that would not fit in memory, refused before anything is allocated."""


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM, so that a run can
    record that it was interrupted before the process exits."""
