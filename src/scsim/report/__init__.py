"""scsim.report(results, folder=None, *, store=None, force=False) -> Path: write the report
of a run or of a paired comparison, and return the path of its HTML file.

A report is one self-contained HTML file (charts embedded as base64 PNG, no network needed
to open it) plus the charts as PNG files. ``results``: a Result, a Comparison
(``scsim.compare``), or Results in pairs A1, B1, A2, B2... (each pair with its own seed and
the same population: B − A). ``folder``: a new or empty folder (``force=True``: or scsim's
own earlier output); without it, ``store``'s ``reports/ID`` (``ID``: the run id, or
``A-vs-B`` of the first pair).

    scsim.report(result, "report/")          # -> report/report.html, report/01-scores.png...
    scsim.report(comparison, "cmp/")
    scsim.report([res_a, res_b], store=store)   # -> STORE/reports/A-vs-B/report.html
    from scsim.report import report_run, report_comparison   # the same, one kind each

``scsim.report`` is this package, callable as its function ``report`` (Python's import sets
the attribute ``scsim.report`` to the package, so the package is made callable).

Needs the ``report`` extra (matplotlib, networkx): ``pip install 'scsim[report]'``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import sys
import types
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from scsim import __version__
from scsim.analysis.compare import SWITCHES_NOTE, Comparison, groups_caption
from scsim.errors import ScsimError
from scsim.fsutil import SPREADSHEET_CSV, atomic_folder
from scsim.outputs.headline import acts_headline, comparison_headline, run_headline
from scsim.outputs.metrics import metric_label
from scsim.outputs.result import Result
from scsim.outputs.summary import format_value
from scsim.outputs.words import (
    change_in_words,
    change_unbounded,
    counted,
    size,
    source_in_words,
    unbounded_note,
)
from scsim.report.figures import CHART_TITLES, Chart, Runs, draw_charts
from scsim.report.provenance import case_files_html
from scsim.scenario.diff import changed_settings
from scsim.scenario.reference import show_setting, timeline_in_words
from scsim.store.runstore import REPORT_RUNS_FILE

if TYPE_CHECKING:
    from scsim.store import RunStore

REPORT_FILE = "report.html"
SUMMARY_FILE = "summary.csv"  # a run report's summary table, for a spreadsheet
DPI = 110

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto;
       max-width: 1180px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
p.lead { color: #555; margin: 0.3em 0; } p.facts { margin: 0.2em 0 0.6em; }
p.headline { font-size: 1.05em; margin: 0.25em 0; } p.data { font-size: 0.85em; margin: 0; }
nav { font-size: 0.9em; color: #555; margin: 0.8em 0; } nav a { margin-right: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0 1.2em;
        display: block; max-width: 100%; overflow-x: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
.columns { display: flex; gap: 2em; flex-wrap: wrap; } .columns > div { flex: 1; }
footer { color: #777; font-size: 0.8em; margin-top: 3em; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav, p.data { display: none; }
  table { display: table; width: 100%; font-size: 7.5pt; }
  th, td { padding: 0.1em 0.35em; overflow-wrap: anywhere; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; }
  h2 { break-after: avoid; }
  .columns { display: block; }
}
"""


def report(results: Result | Sequence[Result] | Comparison,
           folder: str | os.PathLike | None = None, *, store: RunStore | None = None,
           force: bool = False) -> Path:
    """The report of one result, of the paired comparison of pairs of results given in
    turn (A1, B1, A2, B2...: each pair with its own seed, the same population: B − A), or
    of a Comparison; returns the path of the HTML file. Without ``folder`` it goes to
    ``store``'s ``reports/ID`` (``ID``: the run id, ``A-vs-B`` of one pair, ``A1-vs-B1+K-
    DIGEST`` of several: ``RunStore.report_folder``), where scsim replaces its own earlier
    report of the same runs."""
    from scsim.analysis.compare import check_different_runs, compare_results

    if isinstance(results, Comparison):
        shown = [side for pair in zip(results.a, results.b, strict=True) for side in pair]
    else:
        given = _results(results)
        if len(given) != 1 and (len(given) % 2 or not given):
            raise ScsimError(f"a report shows one run or pairs of runs (A B, A B...), not "
                             f"{len(given)}")
        if len(given) > 1:
            check_different_runs(given[0::2], given[1::2], "report")
            pairs = [(a.run_id, b.run_id) for a, b in zip(given[0::2], given[1::2],
                                                          strict=True)]
            twice = {pair for pair in pairs if pair[0] and pairs.count(pair) > 1}
            if twice:  # (read as two pairs: an interval from one pair counted twice)
                raise ScsimError(f"the pair {' '.join(sorted(twice)[0])} is given twice: "
                                 "each pair of runs counts once")
            results = compare_results(given[0::2], given[1::2])
        shown = given
    if folder is None:
        if store is None:
            raise ScsimError("give the report a folder, or the run store its runs are in")
        if not all(r.run_id for r in shown):
            raise ScsimError("results that are not in the run store need a report folder")
        store.require_writable("keep a report in it", "give the report a folder of its "
                               "own (--out DIR)", moves=False)
        folder, force = store.report_folder([r.run_id for r in shown]), True
    if isinstance(results, Comparison):
        return report_comparison(results, folder, force=force)
    return report_run(shown[0], folder, force=force)


def _results(given: object) -> list[Result]:
    """What ``report`` was given, as a list of Results; a ScsimError saying what it takes
    when it is something else (a run id, Replicates, which it would read as pairs)."""
    from scsim.analysis.replicate import Replicates

    takes = ("a report shows a Result, a Comparison or pairs of Results (A, B, A, B...)")
    if isinstance(given, Result):
        return [given]
    if isinstance(given, str | os.PathLike):
        raise ScsimError(f"{takes}, not {given!r}: load a stored run first "
                         "(scsim.open_store().load(RUN))")
    if isinstance(given, Replicates):
        raise ScsimError(f"{takes}, not Replicates (seeds are not pairs): report one of "
                         "them (reps[0]), or draw them together with reps.plot()")
    if not isinstance(given, Sequence) or not all(isinstance(r, Result) for r in given):
        raise ScsimError(f"{takes}, not {type(given).__name__}")
    return list(given)


def report_run(res: Result, folder: str | os.PathLike, *, force: bool = False) -> Path:
    """Write the report of one run into ``folder`` (written atomically; an earlier scsim
    output there is replaced only with ``force``); returns the path of the HTML file."""
    facts = [res.scenario.name, source_in_words(res.scenario.source),
             f"run {res.run_id}" if res.run_id else "not stored",
             f"random seed {res.seed}", size(len(res.agents), len(res.metrics)),
             f"scsim {res.info.get('scsim_version', '')}", _seconds(res.info)]
    summary = res.summary()
    summary = summary[summary["section"] != "run"]
    # the table's numbers for a spreadsheet (it was in the page alone, its numbers text
    # with thousands separators); a cause's figure without the table's indent
    csv = summary.assign(figure=summary["figure"].str.strip()).to_csv(index=False)
    label = res.scenario.name
    changes = changed_settings(res.scenario)
    headline = "".join(f"<p class='headline'>{html.escape(line)}</p>"
                       for line in run_headline(res).splitlines())
    changed = (f"<h2>What this run changes in the built-in {html.escape(label)}</h2><ul>"
               + "".join(f"<li><code>{html.escape(c)}</code></li>" for c in changes)
               + "</ul><p>The description below is the built-in scenario's.</p>"
               if changes else "")
    title = f"scsim report: {label}" + (
        f" ({counted(len(changes), 'setting')} changed)" if changes else "")
    return _write(folder, title, [(label, res)],
                  head=[_facts(facts), _p(res.branched or ""), headline, changed,
                        _timeline(res.scenario),
                        _p(res.scenario.description)],
                  tail=[("summary", "Summary", _table(summary, numeric={"value"})
                         + _data_link(SUMMARY_FILE, csv.encode(SPREADSHEET_CSV), "table")),
                        ("casefiles", "Case files", case_files_html(res))],
                  force=force, texts={SUMMARY_FILE: csv})


def report_comparison(comparison: Comparison, folder: str | os.PathLike, *,
                      force: bool = False) -> Path:
    """Write the report of a paired comparison (its first pair drawn side by side; the
    headline, the day-by-day difference and the tables over all pairs, with 95 %
    intervals) into ``folder`` (as ``report_run`` does); returns the path of the HTML
    file."""
    a, b = comparison.a[0], comparison.b[0]
    label_a, label_b = comparison.labels
    seeds = comparison.seeds
    metrics = comparison.metrics(headline=True)
    facts = [f"{label_a} (run {a.run_id or '–'})", f"{label_b} (run {b.run_id or '–'})",
             size(len(a.agents), len(a.metrics)),
             ("random seed " if len(seeds) == 1 else "random seeds ") + ", ".join(map(
                 str, seeds)) if len(seeds) <= 10
             else f"random seeds {seeds[0]} … {seeds[-1]} ({len(seeds)} pairs)"]
    changes = "".join(f"<li><code>{html.escape(p)}</code>: {html.escape(show_setting(p, va))} "
                      f"→ {html.escape(show_setting(p, vb))}</li>"
                      for p, (va, vb) in comparison.changes.items())
    interval = " Intervals are 95 % t-intervals over the pairs." if comparison.reps > 1 else ""
    drawn, note = [(label_a, a), (label_b, b)], ""
    if comparison.reps > 1:  # the side-by-side charts and their files are of one pair: said
        drawn = [(f"{label} (seed {seeds[0]})", res) for label, res in drawn]
        note = (f"A and B: the first of the {comparison.reps} pairs (seed {seeds[0]}), "
                "not their mean.")
        interval += (f" The charts of A and B side by side (and their files) show the first "
                     f"pair, seed {seeds[0]} (runs {a.run_id or '–'} and {b.run_id or '–'}); "
                     f"the B − A chart, the headline and the tables take all "
                     f"{comparison.reps} pairs.")
    groups = comparison.groups()
    head = [
        _facts(facts),
        f"<p class='headline'>{html.escape(comparison_headline(comparison))}</p>",
        f"<p class='headline'>{html.escape(acts_headline(comparison))}</p>",
        f"<h2>What B changes</h2><ul>{changes}</ul>" if changes
        else "<p>Nothing: A and B are the same scenario.</p>",
        _p("Both run with the same seed and population, so every agent draws the same random "
           f"numbers in A and B: each difference is caused by what B changes.{interval}"),
        "<div class='columns'><div><h2 id='agents'>Per agent</h2>",
        _table(comparison.switches(), numeric={"agents", "lo", "hi"}),
        _p(SWITCHES_NOTE),
        "</div><div><h2 id='groups'>Per group</h2>",
        _table(groups.drop(columns="note"), numeric={"a", "b", "diff", "lo", "hi"}),
        _p(groups_caption(groups)),
        "</div></div>",
    ]
    tail = [("metrics", "Per metric, B − A",
             _p("Totals over the run for daily counts, final-day values for levels; "
                "change: B − A relative to A, with its 95 % interval.")
             + _table(_with_change(_labelled(metrics)), numeric={"a", "b", "diff", "lo", "hi"})
             + _p(_unbounded_note(metrics)))]
    pairs = [[ra.run_id, rb.run_id] for ra, rb in zip(comparison.a, comparison.b,
                                                       strict=True)]
    return _write(folder, f"scsim comparison: {label_a} vs {label_b}",
                  drawn, head, tail, comparison, force,
                  {REPORT_RUNS_FILE: json.dumps({"pairs": pairs}, indent=1) + "\n"}, note)


def _write(folder: str | os.PathLike, title: str, runs: Runs, head: list[str],
           tail: list[tuple[str, str, str]], comparison: Comparison | None = None,
           force: bool = False, texts: dict[str, str] | None = None, note: str = "") -> Path:
    """The page: title, ``head`` (HTML), links to the charts and to the ``tail`` sections
    (anchor, heading, HTML), the charts (``note`` ending the captions of those of
    ``runs``: ``draw_charts``), the tail sections; and ``texts`` (file name -> text)
    beside it. CSV files, the charts' numbers and ``texts``', begin with UTF-8's byte-order
    mark (``SPREADSHEET_CSV``), for a spreadsheet opened on a double-click."""
    charts, skipped = draw_charts(runs, comparison, note)
    sections = [(c.name, c.title) for c in charts] + [(a, h) for a, h, _ in tail]
    links = "".join(f"<a href='#{a}'>{html.escape(h)}</a>" for a, h in sections)
    tail_html = "".join(f"<h2 id='{a}'>{html.escape(h)}</h2>{body}" for a, h, body in tail)
    # each chart left out by its title, as the links name those drawn; a comparison of
    # several pairs says that its reasons ("nobody was listed wrongfully") are the first
    # pair's, as the charts' captions do (its headline may count wrongful listings)
    not_drawn = "" if not skipped else _p("Not drawn: " + "; ".join(
        f"{CHART_TITLES.get(name, name)} ({why})" for name, why in skipped.items()) + "."
        + (f" {note}" if note else ""))
    with atomic_folder(folder, kind="report", force=force) as tmp:
        figures = []
        for k, chart in enumerate(charts, start=1):
            png = _png(chart)
            name = f"{k:02d}-{chart.name}.png"
            (tmp / name).write_bytes(png)
            figures.append(_figure_html(chart, name, png))
            if chart.data is not None:
                csv = chart.data.to_csv(index=False).encode(SPREADSHEET_CSV)
                (tmp / f"{k:02d}-{chart.name}.csv").write_bytes(csv)
                figures.append(_data_link(f"{k:02d}-{chart.name}.csv", csv))
        page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                "<link rel='icon' href='data:,'>"  # (a browser asked for /favicon.ico)
                f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
                f"<h1>{html.escape(title)}</h1>{''.join(head)}<nav>{links}</nav>"
                f"{''.join(figures)}{not_drawn}{tail_html}<footer>Written by scsim "
                f"{__version__} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Synthetic "
                "population: no real person is described.</footer></body></html>\n")
        (tmp / REPORT_FILE).write_text(page, encoding="utf-8")
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding=SPREADSHEET_CSV if name.endswith(".csv")
                                    else "utf-8")
    return Path(folder).resolve() / REPORT_FILE


def _png(chart: Chart) -> bytes:
    buf = io.BytesIO()
    chart.figure.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _figure_html(chart: Chart, name: str, png: bytes) -> str:
    """The chart's PNG (which carries its title and caption), with both as alt text."""
    data = base64.b64encode(png).decode("ascii")
    alt = html.escape(f"{chart.title}. {chart.caption}")
    return (f"<figure id='{chart.name}'><img src='data:image/png;base64,{data}' alt='{alt}' "
            f"data-file='{name}'></figure>")


def _data_link(name: str, csv: bytes, what: str = "chart") -> str:
    """A link that downloads the numbers of a chart (or of a table: ``what``), embedded:
    the page stays self-contained."""
    data = base64.b64encode(csv).decode("ascii")
    return (f"<p class='data'><a download='{name}' href='data:text/csv;base64,{data}'>"
            f"the numbers of this {what} ({name})</a></p>")


def _timeline(sc) -> str:
    """What changes on which day of the run (its timeline), said under the headline: a
    reader of a run whose blacklist starts on day 182 was told nothing of it."""
    if not sc.timeline:
        return ""
    steps = sorted(sc.timeline, key=lambda step: step.day)
    return ("<h2>What changes during the run</h2><ul>" + "".join(
        f"<li>{html.escape(timeline_in_words([step]))}</li>" for step in steps) + "</ul>")


def _facts(facts: list[str]) -> str:
    return "<p class='facts'>" + " · ".join(html.escape(f) for f in facts if f) + "</p>"


def _p(text: str) -> str:
    return f"<p class='lead'>{html.escape(text)}</p>" if text else ""


def _table(df: pd.DataFrame, numeric: set[str]) -> str:
    head = "".join(f"<th>{html.escape(_header(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, value in zip(df.columns, rec, strict=True):
            if col in numeric:
                cells.append(f"<td class='num'>{format_value(value)}</td>")
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _labelled(metrics: pd.DataFrame) -> pd.DataFrame:
    """A comparison's metrics named in words, as the CLI and the dashboard name them
    ("mean score", not score_mean)."""
    return metrics.assign(metric=[metric_label(m) for m in metrics["metric"]])


def _with_change(metrics: pd.DataFrame) -> pd.DataFrame:
    """A comparison's metrics with their relative change in words, one column ('+3.2 %
    (+2.9 % to +3.5 %)'; '×75.5 (at least ×3.1, no upper bound)' where A's figure is too
    small and variable to bound it; '–' where A is not positive: ``change_in_words``)
    instead of three raw fractions."""
    out = metrics.drop(columns=["change", "change_lo", "change_hi"])
    out["change"] = [change_in_words(row.change, row.change_lo, row.change_hi)
                     for row in metrics.itertuples(index=False)]
    return out


def _unbounded_note(metrics: pd.DataFrame) -> str:
    """The sentence under the per-metric table naming the metrics (in words) whose relative
    change has no bound, and why (``unbounded_note``); '' when every one has."""
    names = [metric_label(row.metric) for row in metrics.itertuples(index=False)
             if row.change == row.change and change_unbounded(row.change_lo, row.change_hi)]
    return unbounded_note(names)


def _header(column: str) -> str:
    return {"a": "A", "b": "B", "diff": "B − A", "lo": "95 % low", "hi": "95 % high"}.get(
        column, column)


def _seconds(info: dict) -> str:
    wall = info.get("wall_seconds")
    return f"{wall:.1f} s" if isinstance(wall, int | float) else ""


class _CallableModule(types.ModuleType):
    """``scsim.report(...)`` is ``report(...)``: the package and its main function share a
    name, and Python's import sets the attribute ``scsim.report`` to the package."""

    def __call__(self, *args, **kwargs) -> Path:
        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
# inspect.signature(scsim.report), and so a notebook's `scsim.report?`: the function's
__signature__ = __import__("inspect").signature(report)
