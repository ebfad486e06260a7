"""The Typer app of the ``scsim`` command, its consoles and shared options, and ``main``.

Command modules (``scsim.cli.run``, ``scsim.cli.store``, ...) register their commands on
``app``; ``scsim.cli`` imports them all. This module imports none of them, and nothing
heavy: ``scsim --help`` must start in a fraction of a second, so numba, pandas, DuckDB,
Dask, matplotlib, Optuna and SALib are imported inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from scsim import __version__
from scsim.errors import ScenarioWarning, ScsimError, Terminated
from scsim.interrupts import (
    interrupt_requested,
    raise_requested_stop,
    remembered_interrupts,
    sigterm_interrupts,
)

app = typer.Typer(
    name="scsim", no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings are reflowed: a single newline is a space
    help="Simulate citizen-scoring (\"social credit\") systems on synthetic populations.",
    epilog=(  # each command on a line of its own (it wrapped mid-command at 80 columns)
        "**Questions to start with** (each command answers in plain words; the built-in "
        "scenarios: `scsim scenarios`):\n\n"
        "* Who is listed, how many wrongfully, how many travel bans are wrongful:\n\n"
        "  `scsim run national-800`\n"
        "* How many more people are listed because ties to listed people cost points:\n\n"
        "  `scsim compare national-800 national-800 --reps 5 --set-a "
        "scoring.association.listed_penalty=0`\n"
        "* How much criticism of the government falls under the system:\n\n"
        "  `scsim compare no-system national-800 --reps 5`\n"
        "* Is one group listed more often (disparate impact):\n\n"
        "  `scsim run national-800 --full`\n"
        "* Why was a person listed (case files of 500 people, then the story of one):\n\n"
        "  `scsim run national-800 --trace 500`\n\n"
        "  `scsim explain last`\n"
        "* All of it in a browser:\n\n"
        "  `scsim dashboard`"))

PIPE_WIDTH = 4096  # columns when output goes to a file or a pipe: tables keep their rows


def _flags_without_a_type() -> None:
    """Typer's help (0.2x) writes a type beside every option, flags too: "--full <bool>",
    which reads as a value to give ("--full true" is then refused). A flag takes none:
    its type is left out. Where a Typer has no such column, nothing changes."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if shown is None or getattr(shown, "scsim_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.scsim_flags = True
    option.display_type_rich = display_type_rich


_flags_without_a_type()


def _words_checked() -> None:
    """The word given for an option or argument of any command is checked before Typer
    reads it (``refusal``), and a word refused is told in plain words with exit code 2.
    Typer has no hook per application: this replaces ``process_value`` of its option and
    argument classes in the process, so another Typer application imported beside
    ``scsim.cli`` is checked the same way (only ``int`` parameters and ``--out``)."""
    for kind in (typer.core.TyperOption, typer.core.TyperArgument):
        typed = kind.process_value
        if not getattr(typed, "scsim_checked", False):
            kind.process_value = _checking(typed)


def _checking(typed):
    """``typed`` (a parameter's ``process_value``), after ``refusal``."""

    def process_value(self, ctx, value):
        why = refusal(self, value) if isinstance(value, str) else None
        if why is not None:
            raise typer.BadParameter(why, ctx=ctx, param=self)
        return typed(self, ctx, value)

    process_value.scsim_checked = True
    return process_value


def refusal(param, word: str) -> str | None:
    """Why ``word`` cannot be the value of ``param``, or None: a whole number that Python
    does not read as one (``--agents 1,000``: Typer said "Input should be a valid integer",
    naming neither the value nor what to write, and read ``--days 1.000``, a thousand in
    much of Europe, as 1 day), or an --out that names no file (``unfit_output``)."""
    if _takes_a_whole_number(param):
        try:
            int(word)  # '1000', ' 1_000 '
        except ValueError:
            return not_whole(word)
    elif "--out" in param.opts:
        return unfit_output(word)
    return None


def _takes_a_whole_number(param) -> bool:
    """Whether ``param`` is typed ``int``: in Typer's own types (0.26 on), else Click's."""
    described = getattr(param, "type_descriptor", None)
    if described is not None:
        return described.annotation is int
    return getattr(getattr(param, "type", None), "name", None) in ("integer", "integer range")


OUTPUT_FILE_SUFFIXES = (".csv", ".yaml", ".yml")
"""The names that an --out writes as one file, not a folder: ``scsim show``'s summary
table (.csv) and ``scsim calibrate``'s scenario (.yaml, .yml)."""


def unfit_output(word: str) -> str | None:
    """Why ``word`` cannot be an --out, or None: a file's ending alone (``.csv``: no name
    before it, and a file or folder hidden from the user; another name that begins with a
    dot, ``.results``, is a hidden folder on purpose), or a file's name ended by '/'
    (``dir.csv/``: the file was written without the '/')."""
    from scsim.fsutil import FILE_SUFFIXES

    name = Path(word).name
    if name.lower() in FILE_SUFFIXES:
        return (f"{word!r} has no name before its first dot: it would be hidden in most "
                f"file browsers; write a name before it, e.g. results{name}")
    suffix = Path(word).suffix.lower()
    if word.endswith(("/", os.sep)) and suffix in OUTPUT_FILE_SUFFIXES:
        return (f"{word!r}: a name ending in {suffix} names a file, and the '/' after it a "
                f"folder; write {word.rstrip('/' + os.sep)} for the file, or a folder name "
                f"without {suffix}")
    return None


def not_whole(word: str) -> str:
    """What to say of ``word`` where a whole number was asked, e.g. "'1 000' is not a whole
    number: write 1000" (``words.whole_number_meant``)."""
    from scsim.outputs.words import whole_number_meant

    return (f"{word!r} is not a whole number: write "
            f"{whole_number_meant(word) or 'digits only, e.g. 1000'}")


_words_checked()


class DashedArguments(typer.core.TyperCommand):
    """A command whose arguments may begin with '-': a negative number (``scsim explain
    RUN -4`` was refused by Click as "No such option: -4", which said nothing of agent
    numbers) or text with a space in it (SQL that begins with a comment, ``-- note``). Such
    a word, where it is not the value of an option before it, is passed on as an argument
    (after ``--``, where Click reads every word as one), for the command to take or refuse
    in its own words. Anything else that begins with '-' is read as an option, as usual (a
    misspelt one is told "No such option", with the nearest)."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, dashed_as_arguments(self.get_params(ctx), list(args)))


def dashed_as_arguments(params, args: list[str]) -> list[str]:
    """``args`` with every word that begins with '-' but is a value (``_dashed_value``),
    not an option's, moved after ``--``."""
    options = {name for p in params if p.param_type_name == "option"
               for name in (*p.opts, *p.secondary_opts)}
    taking = {name for p in params if p.param_type_name == "option"
              and not p.is_flag and not p.count for name in p.opts}
    kept: list[str] = []
    moved: list[str] = []
    after: list[str] = []  # the words after a "--" of the user's own
    value_next = False  # the word before was an option that takes a value (--seed -1)
    for k, word in enumerate(args):
        if value_next:
            kept.append(word)
            value_next = False
        elif word == "--":  # the rest are arguments already
            after = args[k + 1:]
            break
        elif _dashed_value(word) and word.split("=", 1)[0] not in options:
            moved.append(word)
        else:
            kept.append(word)
            value_next = word in taking
    return args if not moved else [*kept, "--", *moved, *after]


def _dashed_value(word: str) -> bool:
    """Whether ``word`` begins with '-' and reads as a value, not an option: a number
    (-4, -0.5, -.5) or words with a space (``-- a comment``)."""
    return word.startswith("-") and len(word) > 1 and (
        word[1].isdigit() or (word[1] == "." and word[2:3].isdigit())
        or any(c.isspace() for c in word))


class _Console(Console):
    """A Rich console that does not fold its output at 80 columns when it writes to a file
    or a pipe (unless COLUMNS says otherwise), so tables and lines stay whole."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        if not self.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
            return ConsoleDimensions(PIPE_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


# No emoji shortcodes: ':x:' in a user's file name or data must print as it is.
console = _Console(emoji=False)  # results: stdout
err = _Console(stderr=True, emoji=False)  # progress bars, messages and errors: stderr

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", "-s", metavar="KEY=VALUE",
    help="Override a scenario value, e.g. scoring.association.alpha=0.05 (repeatable).")]
AgentsOption = Annotated[int | None, typer.Option(
    help="Number of agents (population size); default: the scenario's (`scsim scenarios` "
         "lists the built-ins' agents and days).")]
DaysOption = Annotated[int | None, typer.Option(
    help="Number of simulated days; default: the scenario's.")]
SeedOption = Annotated[int, typer.Option(help="Random seed: same seed, same bits.")]
ThreadsOption = Annotated[int | None, typer.Option(
    min=1, help="Numba threads (default: all cores, at most one per 32,768 agents: a smaller "
         "run is faster on fewer; more than NUMBA_NUM_THREADS, the cores by default, are capped "
         "there). The results are the same bits whatever the count.")]
NetworkOption = Annotated[Path | None, typer.Option(
    help="SNAP edge-list file to use as the network; the population size becomes its node "
    "count.")]
StoreOption = Annotated[Path | None, typer.Option(
    help="Run store folder (default: $SCSIM_STORE, else ./scsim-runs).", show_default=False)]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace an earlier scsim output in the output folder (never anything "
                    "else).")]
QuietOption = Annotated[bool, typer.Option(help="No progress bar.")]
FullOption = Annotated[bool, typer.Option("--full", help="The full tables after the "
                                                         "headline.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead "
                                                         "(nothing else on stdout).")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV for spreadsheets instead "
                                                       "(nothing else on stdout).")]


def data_format(as_json: bool, as_csv: bool) -> str | None:
    """'json', 'csv' or None (tables for people); both at once is refused."""
    if as_json and as_csv:
        raise ScsimError("--json and --csv cannot be combined")
    return "json" if as_json else "csv" if as_csv else None


def load(scenario, agents=None, days=None, network=None, overrides=None, advise=True):
    """The scenario a command names (a file or a built-in name), with its options. Its
    settings that do nothing (``scenario.advice``) and the timeline steps that ``--days``
    or ``--set days=`` leaves out (the loader's ``ScenarioWarning``) are printed on
    stderr, each once per command, before any progress bar (``advise=False``: not, for a
    second load of the same scenario); elsewhere in a command (a sweep's cells) they are
    not printed."""
    from scsim.scenario.loader import load_advised

    sc, advice = load_advised(scenario, agents=agents, days=days, network=network,
                              overrides=overrides, spelling="cli")
    for line in advice:
        if advise and line not in ADVISED:
            ADVISED.append(line)
            err.print(f"[bold yellow]warning:[/bold yellow] {escape(line)}", soft_wrap=True)
    return sc


ADVISED: list[str] = []  # the scenario warnings printed so far by this command


def open_runs(path: Path | None, create: bool = False, to: str | None = None):
    """The run store of ``--store`` (default: $SCSIM_STORE, else ./scsim-runs); an error
    if it is missing, unless ``create``. ``to``: what the command is about to do to the
    store (words after "cannot", e.g. "resume its runs"): a read-only store is refused
    now, before a progress bar is drawn or a cluster started."""
    from scsim.store import open_store

    runs = open_store(path, create=create)
    if to is not None:
        runs.require_writable(to)
    return runs


def existing_runs(path: Path | None):
    """The run store of ``--store`` if it exists (refused now if a file stands in its
    place), else None: a command that creates its store does so once its world is built,
    so that a run refused while building (memory, case-file options) leaves no folder. A
    read-only store is refused now too, before the world is built."""
    from scsim.store import default_store_path

    root = Path(path) if path is not None else default_store_path()
    if not root.expanduser().exists():
        return None
    return open_runs(path, create=True, to="keep new runs in it")


@app.callback(invoke_without_command=True)
def main_options(version: Annotated[bool, typer.Option("--version",
                                                       help="Print the version.")] = False
                 ) -> None:
    if version:
        typer.echo(f"scsim {__version__}")
        raise typer.Exit()


def main() -> None:
    """Entry point: user errors print one message and exit 2, Ctrl-C exits 130 and SIGTERM
    143 with one word, never a traceback. A Ctrl-C whose KeyboardInterrupt a library lost
    (``scsim.interrupts``) still ends the command with 130, even one that then finished or
    failed; likewise a SIGTERM whose Terminated was lost, with 143. Settings that do
    nothing are printed by ``load``, not as Python warnings (which would break a progress
    bar)."""
    warnings.filterwarnings("ignore", category=ScenarioWarning)
    ADVISED.clear()
    if interrupt_requested():  # while the CLI loaded, which said so (scsim.cli)
        sys.exit(130)
    # SIGTERM raises Terminated for the whole command, not only while days run: it ended
    # the process without a word (or a clean-up) while a world was built or a table read
    with remembered_interrupts(), sigterm_interrupts():
        _run_command()


def _command_code():
    """Run the command of ``sys.argv``; its exit code. After a Ctrl-C (or SIGTERM) that a
    library lost, whatever the command then did (finished, failed: a lost
    KeyboardInterrupt can come back as an ImportError...) raises KeyboardInterrupt (or
    Terminated)."""
    try:
        code = app(standalone_mode=False)  # recent Typer returns Exit codes, Ctrl-C as 130
    except Exception:
        raise_requested_stop()
        raise
    raise_requested_stop()
    return code


def _run_command() -> None:
    """The command of ``sys.argv``, its errors and interruptions told as ``main`` says."""
    try:
        code = _command_code()
        if isinstance(code, int) and code:
            raise typer.Exit(code)
    except typer.Exit as exc:
        if exc.exit_code == 130:
            err.print("interrupted")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    except Terminated:
        err.print("terminated")
        sys.exit(143)
    except ScsimError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except Exception as exc:
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()  # a usage error from Click (vendored by Typer since 0.26)
            sys.exit(2)
        # a bug: say so briefly unless asked for the traceback
        if os.environ.get("SCSIM_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: "
                  f"{escape(str(exc))} "
                  "(set SCSIM_DEBUG=1 for the traceback, and please report it)")
        sys.exit(1)
