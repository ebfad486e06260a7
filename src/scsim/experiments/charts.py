"""Charts of experiments: sweep outputs against swept parameters, sensitivity indices.
They follow the report's conventions (scsim.report.figures): title, axis labels with units
where there are any, and a one-line caption saying how to read the chart."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib as mpl
import pandas as pd

from scsim.experiments.calibrate import Calibration
from scsim.experiments.design import Range
from scsim.experiments.sensitivity import Sensitivity
from scsim.fsutil import SPREADSHEET_CSV
from scsim.report import DPI
from scsim.report.figures import STYLE, Chart, blank_chart


def sweep_charts(table: pd.DataFrame, params: list[str], outputs: list[str]) -> list[Chart]:
    """One chart per output of ``table`` (``sweep.cell_table``): its mean over
    replications against each swept parameter, with the 95 % interval from ``NAME_lo`` to
    ``NAME_hi`` (cut at what the output can be: a count's at 0, a share's at 1; a table
    without them, means and half-widths ``NAME_ci95`` alone, draws each whole), one panel
    per parameter; other parameters' values as lines (a grid). The cells of a sample (a
    Latin hypercube) share no value of any parameter: each panel draws them all as points,
    unjoined, with no legend (it listed each cell as a line of one point, its value to 16
    digits)."""
    from scsim.experiments.outputs import output_label
    from scsim.scenario.reference import setting_label, setting_name

    sample = len(params) > 1 and len(table) > 1 and all(table[p].is_unique for p in params)
    how = ("the cells of a sample share no parameter value, so each panel draws them all, "
           "unjoined" if sample else "lines join cells that share the other parameters' "
           "values")
    charts = []
    for output in outputs:
        with mpl.rc_context(STYLE):
            chart, axes = blank_chart(
                f"sweep-{output}", f"{output_label(output)}, against the swept parameters",
                "Each point is one cell: the mean over its replications, with the 95 % "
                "interval, cut at what the output can be (a count at 0, a share at 1); "
                f"{how}.",
                ncols=len(params), width=max(5.0, 4.2 * len(params)), height=3.8)
            for ax, param in zip(axes, params, strict=True):
                others = [] if sample else [p for p in params if p != param]
                groups = table.groupby(others, dropna=False) if others else [((), table)]
                for key, part in groups:
                    part = part.sort_values(param)
                    label = ", ".join(f"{setting_name(o)} {_value(v)}" for o, v in zip(
                        others, key if isinstance(key, tuple) else (key,), strict=True))
                    # the cut ends (a share's interval drew past 1, a count's below 0)
                    mean, half = part[output], part[f"{output}_ci95"]
                    low = part.get(f"{output}_lo", mean - half)
                    high = part.get(f"{output}_hi", mean + half)
                    ax.errorbar(part[param], mean, yerr=[mean - low, high - mean],
                                marker="o", ms=3.5, capsize=2, lw=1, ls="none" if sample else "-",
                                label=label or None)
                # A label in words can be wider than its panel: wrapped, not cut at the edge.
                ax.set_xlabel(textwrap.fill(setting_label(param), 45))
                ax.set_ylabel(textwrap.fill(output_label(output), 40))
                if others and len(groups) <= 8:  # inside the panel: outside, it squeezes it
                    ax.legend(fontsize=7.5, loc="best", frameon=False)
            chart.data = table
        charts.append(chart)
    return charts


def _value(v) -> str:
    """A parameter's value in a legend: a float to 6 significant digits (a sampled
    0.0010344358671864 read so), anything else as it is."""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def calibration_chart(cal: Calibration, params: list[Range]) -> Chart:
    """The loss of every trial against each parameter, the best trial marked."""
    from scsim.scenario.reference import setting_label

    trials = cal.trials[cal.trials["state"] == "COMPLETE"]
    with mpl.rc_context(STYLE):
        chart, axes = blank_chart(
            "calibration", "Calibration: the loss of each trial against each parameter",
            "One point per Optuna trial: its loss (mean squared relative error against the "
            "targets) by parameter value; red: the best.",
            ncols=len(params), width=max(5.0, 4.2 * len(params)), height=3.8)
        for ax, r in zip(axes, params, strict=True):
            x = trials[f"params_{r.key}"]
            ax.scatter(x, trials["value"], s=12, alpha=0.6, color="C0")
            ax.scatter([cal.best_params[r.key]], [cal.loss], s=40, color="C3", zorder=3,
                       label="best")
            ax.set_yscale("log")
            if r.log:
                ax.set_xscale("log")
            ax.set_xlabel(setting_label(r.key))
            ax.set_ylabel("loss (mean squared relative error)")
            ax.legend(frameon=False)
    return chart


def sensitivity_chart(result: Sensitivity) -> Chart:
    """Bars per parameter: Sobol first-order and total indices, or Morris mu* and sigma,
    with 95 % confidence intervals."""
    from scsim.experiments.outputs import output_label
    from scsim.scenario.reference import setting_label

    df = result.indices
    what = output_label(result.output)
    with mpl.rc_context(STYLE):
        if result.method == "sobol":
            chart, (ax,) = blank_chart(
                "sensitivity", f"What drives {what}: Sobol indices",
                "S1: share of the output's variance due to the parameter alone; ST: "
                "including its interactions. Bars show 95 % intervals.",
                height=1.2 + 0.45 * len(df))
            y = range(len(df))
            ax.barh([i + 0.2 for i in y], df["S1"], 0.4, xerr=df["S1_ci95"], label="S1",
                    color="C0")
            ax.barh([i - 0.2 for i in y], df["ST"], 0.4, xerr=df["ST_ci95"], label="ST",
                    color="C1")
            ax.set_xlabel("index (share of output variance)")
        else:
            chart, (ax,) = blank_chart(
                "sensitivity", f"What drives {what}: Morris screening",
                "mu*: mean absolute effect of moving the parameter across its range; "
                "sigma: how much that effect depends on the other parameters.",
                height=1.2 + 0.45 * len(df))
            y = range(len(df))
            ax.barh([i + 0.2 for i in y], df["mu_star"], 0.4, xerr=df["mu_star_ci95"],
                    label="mu*", color="C0")
            ax.barh([i - 0.2 for i in y], df["sigma"], 0.4, label="sigma", color="C2")
            ax.set_xlabel(f"effect on {what}")
        ax.set_yticks(list(y), [setting_label(p) for p in df["parameter"]])
        ax.invert_yaxis()
        ax.legend(frameon=False, loc="lower right")
    return chart


def save_charts(charts: list[Chart], folder: Path) -> list[Path]:
    """Write each chart as folder/<name>.png, and the numbers it draws (if it keeps them)
    as folder/<name>.csv, each file whole (a temporary sibling renamed into place) and
    listed in the folder's marker; a file of those names that scsim did not write there,
    or that changed since (a CSV a user edited), is refused before anything is written
    (``scsim.fsutil.write_files``). Returns the paths of the PNG files."""
    from scsim.fsutil import write_files

    writers = {}
    for chart in charts:
        writers[f"{chart.name}.png"] = lambda path, c=chart: c.figure.savefig(
            path, dpi=DPI, format="png")
        if chart.data is not None:
            writers[f"{chart.name}.csv"] = lambda path, c=chart: c.data.to_csv(
                path, index=False, encoding=SPREADSHEET_CSV)
    write_files(folder, writers)
    return [Path(folder) / f"{chart.name}.png" for chart in charts]
