"""What commands print on stdout: for people, headlines and tables (runs, summaries, phase
timings, paired comparisons); for scripts, the same as JSON or CSV (``--json``, ``--csv``)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from scsim.cli.app import console
from scsim.outputs.words import change_in_words, change_unbounded, unbounded_note
from scsim.outputs.words import size as size_in_words


def fmt(value) -> str:
    from scsim.outputs.summary import format_value

    return format_value(value)


MAX_CELL = 40
"""Characters a cell keeps in a table fitted to the terminal (longer ones end in '…')."""


def frame_table(df, title: str | None = None, rows: int | None = None,
                fit: bool = False) -> Table:
    """A DataFrame as a Rich table (its first ``rows`` rows): numbers right-aligned and
    written for people, long headers folded rather than cut.

    ``fit`` (for tables of any shape, such as a query's): in a terminal too narrow for
    every column, cells are cut at ``MAX_CELL`` characters and the columns that do not fit
    are left out, from the right; the caption says how many are shown and how to see all.
    Output to a file or a pipe keeps every column whole."""
    import pandas as pd

    shown = df if rows is None else df.head(rows)
    cells = {col: [_cell(v) for v in shown[col]] for col in df.columns}
    columns = list(df.columns)
    caption = None
    width = console.width
    if fit and _table_width(cells, columns, None) > width:
        cells = {col: [_cut(c) for c in cells[col]] for col in columns}
        kept = []
        for col in columns:
            if kept and _table_width(cells, [*kept, col], MAX_CELL) > width:
                break
            kept.append(col)
        if len(kept) < len(columns):
            caption = (f"{len(kept)} of {len(columns)} columns fit: select fewer, or "
                       "--csv for all")
        columns = kept
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for col in columns:
        table.add_column(str(col), overflow="fold",
                         justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
    for i in range(len(shown)):
        table.add_row(*(cells[col][i] for col in columns))
    return table


def _table_width(cells: dict, columns: list, header_cap: int | None) -> int:
    """Characters a Rich table needs for ``columns`` at their natural width: each column
    its longest cell or header (headers up to ``header_cap`` characters: longer ones fold),
    plus a space each side and a border."""
    def natural(col) -> int:
        header = len(str(col)) if header_cap is None else min(len(str(col)), header_cap)
        return max([header, *(len(c) for c in cells[col])])

    return 1 + sum(natural(col) + 3 for col in columns)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _cell(value) -> str:
    if value is None:  # SQL's NULL, as a float's NaN is shown
        return "–"
    if isinstance(value, float):
        return fmt(value) if math.isfinite(value) else ("–" if value != value else str(value))
    return escape(str(value))


def print_run(res, full: bool = False) -> None:
    """A run for people: its headline, the summary table with ``full``, and its speed."""
    from scsim.outputs.headline import run_headline
    from scsim.scenario.diff import changed_settings

    info = res.info
    console.print(f"[bold]{escape(res.scenario.name)}[/bold]: {size(info)}, seed {res.seed}")
    for change in changed_settings(res.scenario):
        console.print(f"  this run changes [cyan]{escape(change)}[/cyan]", highlight=False)
    console.print(escape(run_headline(res)))
    if full:
        print_summary(res)
    console.print(f"[dim]{speed_line(info)}[/dim]")


def size(info: dict) -> str:
    """A run's size in words, from its run.json facts: '100,000 agents × 365 days'."""
    return size_in_words(info["agents"], info["days"])


def speed_line(info: dict) -> str:
    """Seconds simulating, in setup and on kernels, and agent-days per second (which
    leave out the kernels: compiling them is done once, loading them once per process),
    and on how many threads the days ran."""
    kernels = info.get("kernel_seconds", 0.0)
    compiling = info.get("compile_seconds", 0.0)
    what = ("compiling kernels, once: later runs load them from the cache"
            if compiling >= 0.5 * kernels and compiling > 0 else "loading kernels")
    work = info["wall_seconds"] + info["setup_seconds"] - kernels
    threads = info.get("threads")
    on = "" if threads is None else f" on {threads} thread{'s' if threads != 1 else ''}"
    return (f"{work:.1f} s building and simulating + {kernels:.1f} s {what}; "
            f"{info['agent_days_per_second']:,.0f} agent-days/s{on}")


def print_summary(res) -> None:
    """The summary table of a Result."""
    info = res.info
    table = Table(title=f"{res.scenario.name}: {size(info)}, seed {res.seed}",
                  title_justify="left", show_lines=False)
    table.add_column("section", style="cyan", no_wrap=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("note", style="dim")
    previous = None
    for row in res.summary().itertuples(index=False):
        if row.section == "run":
            continue
        table.add_row(row.section if row.section != previous else "", row.figure,
                      fmt(row.value), row.note)
        previous = row.section
    console.print(table)


def run_record(res) -> dict:
    """A run for scripts (``--json``): id, scenario, seed, headline lines, the summary
    rows and run.json's facts."""
    from scsim.outputs.headline import run_headline

    return {"run_id": res.run_id, "scenario": res.scenario.name, "seed": res.seed,
            "headline": run_headline(res).splitlines(),
            "summary": res.summary().to_dict("records"), "info": res.info}


def print_data(data, as_json: bool) -> None:
    """A DataFrame (or, for JSON only, a mapping) on stdout as JSON records or CSV. JSON
    keeps every digit of a number, as the CSV does (pandas' ``to_json`` kept 10: a sweep's
    0.3523541490390402 read 0.352354149, and 1e-12 read 0.0); times in ISO 8601."""
    import json

    import pandas as pd

    if not as_json:
        typer.echo(csv_text(data), nl=False)
        return
    if isinstance(data, pd.DataFrame):
        columns = [str(c) for c in data.columns]
        data = [dict(zip(columns, row, strict=True))
                for row in whole_numbers(data).itertuples(index=False, name=None)]
    typer.echo(json.dumps(_plain(data), indent=1, allow_nan=False, default=_iso_time))


def csv_text(df) -> str:
    """``df`` as the CSV of ``--csv``: whole numbers whole, lists and mappings as JSON."""
    return _json_cells(whole_numbers(df)).to_csv(index=False)


def _iso_time(value) -> str:
    """A time for JSON (``json.dumps``'s ``default``): ISO 8601; anything else JSON cannot
    hold is an error, as before."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def whole_numbers(df):
    """``df`` for scripts (CSV, JSON), its whole numbers written as whole numbers: a count
    of 1,000 held as a float is 1000, not 1000.0. A float column of whole numbers only
    becomes integers; in other columns each whole float becomes an integer, the rest
    (fractions, NaN) stay as they are."""
    import numpy as np
    import pandas as pd

    out = df.copy(deep=False)
    for i in range(df.shape[1]):  # by position: a query may name two columns alike
        values = df.iloc[:, i]
        if values.dtype.kind == "f":
            whole = np.isfinite(values) & (values == np.trunc(values))
            if whole.all() and (values.abs() < 2**53).all():
                out.isetitem(i, values.astype(np.int64))
            elif whole.any():
                out.isetitem(i, pd.Series([int(v) if w else v for v, w in zip(
                    values, whole, strict=True)], index=df.index, dtype=object))
        elif values.dtype == object:
            out.isetitem(i, [_whole(v) for v in values])
    return out


def _whole(value):
    """A float that is a whole number as an int; any other value as it is."""
    return int(value) if isinstance(value, float) and math.isfinite(value) and (
        value.is_integer()) else value


def _json_cells(df):
    """``df`` with every list, array or mapping in its cells (DuckDB's LIST and STRUCT
    columns) as JSON text, ``[1, 2]`` and ``{"a": 1}``, not Python's spelling of them."""
    import json

    import numpy as np

    nested = (list, tuple, dict, np.ndarray)
    out = df.copy(deep=False)
    for column in df.columns:
        values = df[column]
        if values.dtype == object and any(isinstance(v, nested) for v in values):
            out[column] = [json.dumps(_plain(v)) if isinstance(v, nested) else v
                           for v in values]
    return out


def _plain(value):
    """``value`` with numpy scalars and arrays, and decimals, made Python numbers and lists,
    whole floats made ints and NaN made None, at any depth."""
    import numpy as np

    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Decimal):  # DuckDB's DECIMAL (a literal such as 0.5)
        value = float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if _missing(value):  # pandas' NA and NaT
        return None
    return _whole(value)


def _missing(value) -> bool:
    """Whether ``value`` is one of pandas' missing values (NA, NaT) that JSON writes null."""
    import pandas as pd

    return value is pd.NA or value is pd.NaT


FUSED_PASSES = ("behave includes observe's sightings, and census the counts of provenance "
                "and metrics (one pass each); --split-passes times them apart")
"""The caption of the profile of a run whose passes are fused (``Simulation.split_passes``
false)."""


def print_profile(info: dict, to=console, *, split_passes: bool = False) -> None:
    """Wall time per phase of the day (``scsim run --profile``), on ``to``; the caption says
    which phases include others' work unless the run split its passes."""
    prof = info["profile_seconds"]
    total = sum(v for k, v in prof.items() if k != "setup") or 1e-9
    table = Table(title="wall time per phase", title_justify="left",
                  caption=None if split_passes else FUSED_PASSES, caption_justify="left")
    table.add_column("phase", style="cyan")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    for phase, secs in prof.items():
        share = "" if phase == "setup" else f"{secs / total:.1%}"
        table.add_row(phase, f"{secs:.3f}", share)
    to.print(table)


def print_comparison(comparison, all_metrics: bool = False, full: bool = False) -> None:
    """A comparison for people: what B changes and the headline sentence; with ``full``
    (or ``all_metrics``) the tables per metric, per agent and per group."""
    from scsim.analysis.compare import SWITCHES_NOTE, groups_caption, same_scenario_words
    from scsim.outputs.headline import acts_headline, comparison_headline

    label_a, label_b = comparison.labels
    first = comparison.a[0]
    reps = comparison.reps
    seeds = f"seed {comparison.seeds[0]}" if reps == 1 else (
        f"seeds {comparison.seeds[0]}–{comparison.seeds[-1]} ({reps} pairs)")
    # two lines: one folded at 80 columns in the middle of "common random numbers"
    console.print(f"[bold]{escape(label_a)}[/bold] vs [bold]{escape(label_b)}[/bold]")
    console.print(f"{size_in_words(len(first.agents), len(first.metrics))}, {seeds}, common "
                  "random numbers")
    runs = " / ".join(f"{ra.run_id} {rb.run_id}" for ra, rb in
                      zip(comparison.a, comparison.b, strict=True) if ra.run_id)
    if runs:
        console.print(f"[dim]runs (A B): {runs}[/dim]")
    from scsim.scenario.reference import show_setting

    for path, (va, vb) in comparison.changes.items():
        console.print(f"  B changes [cyan]{escape(path)}[/cyan]: "
                      f"{escape(show_setting(path, va))} → {escape(show_setting(path, vb))}")
    if not comparison.changes:
        console.print(f"  {escape(same_scenario_words(first.scenario))}")
    console.print(escape(comparison_headline(comparison)))
    console.print(escape(acts_headline(comparison)))
    if not (full or all_metrics):
        console.print("[dim]--full: the tables per metric, per agent and per group[/dim]")
        return
    from scsim.outputs.metrics import metric_label

    metrics = comparison.metrics(headline=not all_metrics)
    labels = [metric_label(m) for m in metrics["metric"]]  # in words (--json: the columns)
    unbounded = [label for label, rec in zip(labels, metrics.to_dict("records"), strict=True)
                 if rec["change"] == rec["change"]
                 and change_unbounded(rec["change_lo"], rec["change_hi"])]
    # the measure and its unit under the metric: a column fewer keeps the table readable
    # at 80 columns
    metrics["metric"] = [f"{label}\n{measure}, {unit}" for label, measure, unit in zip(
        labels, metrics["measure"], metrics["unit"], strict=True)]
    _print_table("per metric, B − A (totals over days for daily counts); change: B − A "
                 "relative to A", metrics, ["metric"], ["a", "b", "diff"], reps,
                 change=True, caption=unbounded_note(unbounded) or None)
    _print_table("per agent (agents)", comparison.switches(), ["figure"], ["agents"], reps,
                 caption=SWITCHES_NOTE)
    groups = comparison.groups()
    _print_table("per group", groups, ["group", "figure"], ["a", "b", "diff"], reps,
                 caption=groups_caption(groups) or None)


KEEP = "\u00a0"
"""In a comparison's table, a space its lines never break at (printed as a space): inside
a number with its unit ("-94.9 %"), before an interval's "to", in a header's "B − A"."""


def _unbroken(text: str) -> str:
    """A figure, an interval or a change in words (``change_in_words``) whose lines may
    break only after "to", a comma, "least" or "most": "(-94.9 % to" over "-72.9 %)",
    "(at least" over "×3.1, no upper bound)"; never inside a number."""
    return re.sub(r"(?<!to)(?<!,)(?<!least)(?<!most) ", KEEP, text)


def _wrap(text: str, width: int) -> list[str]:
    """``text``'s lines, each at most ``width`` characters where its words allow: a new
    line at each "\\n", and where the next word would not fit, at a space (never at
    ``KEEP``; a word wider than ``width`` keeps a line to itself, whole)."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return [line.replace(KEEP, " ") for line in lines]


def _word_widths(columns: list[list[str]]) -> tuple[list[int], list[int]]:
    """Per column of a table, given as its header then its cells (``_wrap``'s texts): the
    characters of its longest word (the least it can take) and of its longest line (the
    most it can use)."""
    least = [max(len(word) for text in col for word in re.split("[ \n]", text))
             for col in columns]
    most = [max(len(line) for text in col for line in text.split("\n")) for col in columns]
    return least, most


def _fit_widths(columns: list[list[str]], room: int) -> list[int]:
    """Widths (characters) of a table's columns, each given as its header then its cells
    (``_wrap``'s texts), that sum to at most ``room`` where the columns' words allow: each
    column as wide as its longest line if all fit; otherwise each at least as wide as its
    longest word, and the rest of the room given, then moved from column to column, where
    it saves lines: the rows' heights first, then the lines of single cells. Where the
    longest words alone do not fit, their widths."""
    import numpy as np

    least, most = _word_widths(columns)
    if sum(most) <= room or sum(least) >= room:
        return most if sum(most) <= room else least
    lines = [np.array([[len(_wrap(text, w)) for text in col] for w in range(lo, hi + 1)])
             for col, lo, hi in zip(columns, least, most, strict=True)]

    def lines_at(widths: list[int]) -> np.ndarray:
        """The rows' heights, then the cells' lines, at ``widths``."""
        cells = np.array([lines[i][w - least[i]] for i, w in enumerate(widths)])
        return np.array([cells.max(axis=0).sum(), cells.sum()])

    def widened(widths: list[int], shrink: bool):
        """Each column made wider, within the room left, with the characters of room it
        takes; ``shrink``: beyond the room left, another column made as much narrower as
        it needs (as if it took one character: what it saves is compared as it is)."""
        spare = room - sum(widths)
        for j, now in enumerate(widths):
            for width in range(now + 1, most[j] + 1):
                need = width - now - spare
                if need <= 0 and not shrink:
                    yield [*widths[:j], width, *widths[j + 1:]], width - now
                for i in range(len(widths) * (need > 0 and shrink)):
                    if i != j and widths[i] - need >= least[i]:
                        trial = list(widths)
                        trial[i], trial[j] = widths[i] - need, width
                        yield trial, 1

    widths = least
    while True:
        before = lines_at(widths)
        for shrink in (False, True):  # widening alone first, the most saved per character
            saved = [(tuple((before - lines_at(trial)) / taken), trial)
                     for trial, taken in widened(widths, shrink)]
            best = max(saved, default=((0, 0), widths), key=lambda pair: pair[0])
            if best[0] > (0, 0):
                widths = best[1]
                break
        else:
            return widths


def _print_table(title: str, df, labels: list[str], values: list[str], reps: int,
                 change: bool = False, caption: str | None = None) -> None:
    """One table of a comparison, fitted to the terminal (``_fit_widths``: a label breaks
    between words, a figure or an interval never inside a number, "to" never alone);
    ``change`` (the per-metric table, ``Comparison.metrics``, its first label a metric's
    name with its measure and unit on the line under it): each B − A with its 95 %
    interval on the line under it, and a column of the relative change B − A over A, as a
    signed percentage with its 95 % interval on the line under it, in the report's words
    (``change_in_words``: "(+2.9 % to +3.5 %)", or "(at least ×3.1, no upper bound)"
    where A's figure is too small and variable to bound it); ``caption``: a sentence
    under it."""
    heads = {"a": "A", "b": "B", "diff": f"B{KEEP}−{KEEP}A", "agents": "agents",
             "metric": "metric\nmeasure, unit"}
    mean = " (mean)" if reps > 1 else ""
    interval = reps > 1 and not change  # a column of its own, else under B − A
    headers = [heads.get(col, col) for col in labels] + [heads[col] + mean for col in values]
    if change and reps > 1:
        headers[-1] += f"\n95{KEEP}% interval"
    headers += [f"95{KEEP}% interval"] * interval
    if change:
        headers.append("change" + (f"\n(95{KEEP}% interval)" if reps > 1 else ""))
    rows, styles = [], []
    for rec in df.to_dict("records"):
        cells = [str(rec[c]) for c in labels] + [fmt(rec[c]) for c in values]
        if reps > 1:
            between = f"{fmt(rec['lo'])} to {fmt(rec['hi'])}"
            cells[-1:] = ([f"{cells[-1]}\n{_unbroken(between)}"] if change
                          else [cells[-1], _unbroken(between)])
        if change:
            cells.append(_unbroken(change_in_words(rec["change"], rec["change_lo"],
                                                   rec["change_hi"], between="\n")))
        rows.append(cells)
        key = values[-1]
        styles.append("dim" if rec[key] == 0 and (reps == 1 or rec["lo"] == rec["hi"])
                      else None)
    columns = [list(col) for col in zip(headers, *rows, strict=True)]
    boxed = 1 + 3 * len(columns)  # characters of borders and padding
    compact = sum(_word_widths(columns)[0]) > console.width - boxed  # no borders then
    widths = _fit_widths(columns, console.width - (2 * len(columns) - 1 if compact else boxed))
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left",
                  **({"box": box.SIMPLE_HEAD, "show_edge": False, "padding": (0, 1, 0, 0)}
                     if compact else {}))
    for i, (col, width) in enumerate(zip(columns, widths, strict=True)):
        # (narrower still, Rich folds what does not fit rather than cut it)
        table.add_column(_lines(col[0], width), width=width, overflow="fold",
                         justify="left" if i < len(labels) else "right",
                         style="cyan" if i == 0 else None)
    for cells, style in zip(rows, styles, strict=True):
        table.add_row(*(_lines(text, width, under="dim" if i == 0 and change else None)
                        for i, (text, width) in enumerate(zip(cells, widths, strict=True))),
                      style=style)
    console.print(table)


def _lines(text: str, width: int, under: str | None = None) -> Text:
    """``text`` wrapped to ``width`` (``_wrap``) for a table's cell, as it is (no markup);
    ``under``: the style of the lines after its first "\\n" (a metric's measure)."""
    first, _, rest = text.partition("\n")
    cell = Text("\n".join(_wrap(first, width)))
    if rest:
        cell.append("\n" + "\n".join(_wrap(rest, width)), style=under)
    return cell


def comparison_record(comparison, all_metrics: bool = False) -> dict:
    """A comparison for scripts (``--json``): sides, seeds, changes, the headline and every
    table (means over pairs, 95 % intervals lo/hi)."""
    from scsim.outputs.headline import acts_headline, comparison_headline

    label_a, label_b = comparison.labels
    return {
        "a": label_a, "b": label_b, "seeds": comparison.seeds,
        "runs": [[ra.run_id, rb.run_id] for ra, rb in zip(comparison.a, comparison.b,
                                                           strict=True)],
        "changes": {k: list(v) for k, v in comparison.changes.items()},
        "headline": comparison_headline(comparison), "acts": acts_headline(comparison),
        "metrics": comparison.metrics(headline=not all_metrics).to_dict("records"),
        "switches": comparison.switches().to_dict("records"),
        "groups": comparison.groups().to_dict("records")}


def comparison_frame(comparison, all_metrics: bool = False):
    """Every table of a comparison in one frame (``--csv``): ``table`` says which, then the
    row's labels (metric, its ``label`` in words as the tables print it, and measure;
    figure; or group and figure, without the tables' indent) and values."""
    import pandas as pd

    from scsim.outputs.metrics import metric_label

    frame = pd.concat([comparison.metrics(headline=not all_metrics).assign(table="metrics"),
                       comparison.switches().assign(table="switches"),
                       comparison.groups().assign(table="groups")], ignore_index=True)
    frame["label"] = [metric_label(m) if isinstance(m, str) else "" for m in frame["metric"]]
    frame["figure"] = frame["figure"].str.strip()  # "  cause: ..." is indented in a table
    return frame[["table", "metric", "label", "measure", "unit", "group", "figure", "a", "b",
                  "diff", "agents", "lo", "hi", "change", "change_lo", "change_hi", "note"]]
