"""Short HTML for notebooks (``_repr_html_``): a Scenario, a Result, a Comparison and
Replicates each show who and how long, and what they found in plain words (the headline),
not every field; the full tables stay one call away."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from scsim.outputs.headline import acts_headline, comparison_headline, run_headline
from scsim.outputs.summary import format_value
from scsim.outputs.words import counted

if TYPE_CHECKING:
    from scsim.analysis.compare import Comparison
    from scsim.analysis.replicate import Replicates
    from scsim.experiments.calibrate import Calibration
    from scsim.experiments.sensitivity import Sensitivity
    from scsim.outputs.casefile import CaseFile
    from scsim.outputs.result import Result
    from scsim.scenario.schema import Scenario

# sections of the replicates' summary shown in their HTML
REPLICATE_SECTIONS = ("listing", "sanctions", "chilling effect")


def _box(title: str, lines: list[str], hint: str) -> str:
    body = "".join(f"<div>{line}</div>" for line in lines)
    return (f"<div style='line-height:1.45'><b>{html.escape(title)}</b>{body}"
            f"<div style='color:#777;font-size:0.9em'>{html.escape(hint)}</div></div>")


def mechanisms_on(sc: Scenario) -> tuple[list[str], list[str]]:
    """Names of the scenario's switchable sections that are on, and those that are off."""
    on, off = [], []
    for name in type(sc).model_fields:
        enabled = getattr(getattr(sc, name), "enabled", None)
        if isinstance(enabled, bool):
            (on if enabled else off).append(name)
    return on, off


def scenario_line(sc: Scenario) -> str:
    """'national-800: 100,000 agents × 365 days, barabasi_albert network'."""
    return (f"{sc.name}: {sc.population.agents:,} agents × {sc.days:,} days, "
            f"{sc.network.kind} network")


def scenario_html(sc: Scenario) -> str:
    on, off = mechanisms_on(sc)
    lines = [html.escape(sc.description)] if sc.description else []
    lines.append("on: " + html.escape(", ".join(on) or "nothing"))
    if off:
        lines.append("off: " + html.escape(", ".join(off)))
    if sc.timeline:
        lines.append(f"timeline: {counted(len(sc.timeline), 'change')} of policy")
    return _box(scenario_line(sc), lines,
                "scsim.dump_yaml(scenario) shows every key; scsim.simulate(scenario) runs it")


def result_html(res: Result) -> str:
    from scsim.scenario.diff import changed_settings

    run = f", run {res.run_id}" if res.run_id else ""
    title = (f"{res.scenario.name}: {len(res.agent_columns['times_listed']):,} agents × "
             f"{len(res.metrics):,} days, seed {res.seed}{run}")
    changes = [f"changes <code>{html.escape(line)}</code>"
               for line in changed_settings(res.scenario)]
    if res.branched:  # its days before the branch ran under another scenario
        changes.insert(0, f"<b>{html.escape(res.branched)}</b>")
    return _box(title, [*changes[:6], *(html.escape(line)
                                        for line in run_headline(res).splitlines())],
                ".summary(), .metrics, .agents, .companies, .plot()")


def comparison_html(comparison: Comparison) -> str:
    from scsim.scenario.reference import show_setting

    label_a, label_b = comparison.labels
    changes = [f"B changes <code>{html.escape(path)}</code>: "
               f"{html.escape(show_setting(path, va))} → {html.escape(show_setting(path, vb))}"
               for path, (va, vb) in comparison.changes.items()]
    return _box(f"{label_a} vs {label_b}, {counted(comparison.reps, 'pair')}",
                [*changes[:5], html.escape(comparison_headline(comparison)),
                 html.escape(acts_headline(comparison))],
                ".metrics(), .switches(), .groups(), .agents(), .daily(), .plot()")


def sensitivity_html(si: Sensitivity) -> str:
    """A sensitivity analysis in a notebook: what the indices say (or that they measure
    nothing) and its warnings."""
    from scsim.experiments.outputs import output_label

    title = (f"{si.method} sensitivity of {output_label(si.output)}: "
             f"{counted(len(si.indices), 'parameter')}, {counted(len(si.samples), 'run')}")
    said = [] if si.never_varied() else si.in_words()
    warned = [f"<span style='color:#a60'>warning: {html.escape(w)}</span>"
              for w in si.warnings("samples=")]
    lines = [*map(html.escape, said), *warned]
    return _box(title, lines, ".indices, .samples, .in_words(), .warnings(), .save(folder)")


def calibration_html(cal: Calibration) -> str:
    """A calibration in a notebook: the best parameters, each target against its fitted
    mean, and the targets it misses."""
    from scsim.experiments.calibrate import miss

    title = (f"calibration of {cal.scenario.name}: {counted(len(cal.trials), 'trial')} × "
             f"{counted(cal.reps, 'replication')}, loss {cal.loss:.3g}")
    best = [f"<code>{html.escape(k)}</code> = {v:.4g}" if isinstance(v, float) else
            f"<code>{html.escape(k)}</code> = {html.escape(str(v))}"
            for k, v in cal.best_params.items()]
    fit = [f"{html.escape(r.output)}: {r.fitted:.4g} against the target {r.target:g} "
           f"({miss(r.fitted, r.target)})" for r in cal.fit.itertuples()]
    lines = [*best, *fit, *(f"<span style='color:#a60'>warning: {html.escape(w)}</span>"
                            for w in cal.warnings("ranges="))]
    return _box(title, lines, ".best_params, .fit, .trials, .scenario, .save(path)")


def case_file_html(case: CaseFile) -> str:
    """A case file in a notebook: its dated story as the CLI prints it."""
    return (f"<pre style='white-space:pre-wrap;line-height:1.35'>{html.escape(case.text)}"
            "</pre>")


def replicates_html(reps: Replicates) -> str:
    summary = reps.summary()
    rows = summary[summary["section"].isin(REPLICATE_SECTIONS)]
    cells = "".join(
        f"<tr><td>{html.escape(r.section)}</td><td>{html.escape(r.figure)}</td>"
        f"<td style='text-align:right'>{format_value(r.mean)}</td>"
        f"<td style='text-align:right'>{format_value(r.lo)} to {format_value(r.hi)}</td>"
        f"<td>{html.escape(r.note)}</td></tr>"
        for r in rows.itertuples(index=False))
    table = ("<table><tr><th>section</th><th>figure</th><th>mean</th><th>95 % interval</th>"
             f"<th>note</th></tr>{cells}</table>")
    return _box(repr(reps), [table], ".summary(), .mean(), .quantiles(), .metrics(), .plot()")
