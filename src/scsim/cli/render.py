"""Tables for people: DataFrames, run summaries, phase timings and paired comparisons,
printed on stdout."""

from __future__ import annotations

import math

from rich.markup import escape
from rich.table import Table

from scsim.cli.app import console


def fmt(value) -> str:
    from scsim.outputs.summary import format_value

    return format_value(value)


def frame_table(df, title: str | None = None, rows: int | None = None) -> Table:
    """A DataFrame as a Rich table (its first ``rows`` rows): numbers right-aligned and
    written for people, long headers folded rather than cut."""
    import pandas as pd

    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(str(col), overflow="fold",
                         justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
    for row in (df if rows is None else df.head(rows)).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value) -> str:
    if isinstance(value, float):
        return fmt(value) if math.isfinite(value) else ("–" if value != value else str(value))
    return escape(str(value))


def print_summary(res) -> None:
    """The summary table of a Result, and its speed."""
    info = res.info
    table = Table(title=f"{res.scenario.name}: {info['agents']:,} agents × {info['days']} "
                  f"days, seed {res.seed}", title_justify="left", show_lines=False)
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
    console.print(f"[dim]{info['wall_seconds']:.1f} s simulated + {info['setup_seconds']:.1f} s "
                  f"setup, {info['agent_days_per_second']:,.0f} agent-days/s[/dim]")


def print_profile(info: dict) -> None:
    """Wall time per phase of the day (``scsim run --profile``)."""
    prof = info["profile_seconds"]
    total = sum(v for k, v in prof.items() if k != "setup") or 1e-9
    table = Table(title="wall time per phase", title_justify="left")
    table.add_column("phase", style="cyan")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    for phase, secs in prof.items():
        share = "" if phase == "setup" else f"{secs / total:.1%}"
        table.add_row(phase, f"{secs:.3f}", share)
    console.print(table)


def print_comparison(comparison, all_metrics: bool = False) -> None:
    """The comparison tables: what B changes, per metric, per agent, per group."""
    label_a, label_b = comparison.labels
    first = comparison.a[0]
    reps = comparison.reps
    seeds = f"seed {comparison.seeds[0]}" if reps == 1 else (
        f"seeds {comparison.seeds[0]}–{comparison.seeds[-1]} ({reps} pairs)")
    console.print(f"[bold]{escape(label_a)}[/bold] vs [bold]{escape(label_b)}[/bold]: "
                  f"{len(first.agents):,} agents × {len(first.metrics)} days, {seeds}, common "
                  "random numbers")
    runs = " / ".join(f"{ra.run_id} {rb.run_id}" for ra, rb in
                      zip(comparison.a, comparison.b, strict=True) if ra.run_id)
    if runs:
        console.print(f"[dim]runs (A B): {runs}[/dim]")
    for path, (va, vb) in comparison.changes.items():
        console.print(f"  B changes [cyan]{escape(path)}[/cyan]: {escape(str(va))} → "
                      f"{escape(str(vb))}")
    if not comparison.changes:
        console.print("  A and B are the same scenario: every difference must be 0")
    metrics = comparison.metrics(headline=not all_metrics)
    _print_table("per metric, B − A (totals over days for daily counts)", metrics,
                 ["metric", "measure"], ["a", "b", "diff"], reps)
    _print_table("per agent (agents)", comparison.switches(), ["figure"], ["agents"], reps)
    _print_table("per group", comparison.groups(), ["group", "figure"], ["a", "b", "diff"],
                 reps)


def _print_table(title: str, df, labels: list[str], values: list[str], reps: int) -> None:
    table = Table(title=title, title_justify="left")
    heads = {"a": "A", "b": "B", "diff": "B − A", "agents": "agents"}
    for col in labels:
        table.add_column(col, style="cyan" if col == labels[0] else None)
    for col in values:
        table.add_column(heads[col] + (" (mean)" if reps > 1 else ""), justify="right")
    if reps > 1:
        table.add_column("95 % interval", justify="right")
    for rec in df.to_dict("records"):
        cells = [str(rec[c]) for c in labels] + [fmt(rec[c]) for c in values]
        if reps > 1:
            cells.append(f"{fmt(rec['lo'])} to {fmt(rec['hi'])}")
        key = values[-1]
        style = "dim" if rec[key] == 0 and (reps == 1 or rec["lo"] == rec["hi"]) else None
        table.add_row(*cells, style=style)
    console.print(table)
