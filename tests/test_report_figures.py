"""The report's charts as a reader sees them: panel titles that fit their panels, no chart
of a mechanism that is switched off, captions that say what is drawn, chart numbers that
name their panels, and colours that mean the same thing in every report."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import scsim
from scsim.core.source import source_registry
from scsim.errors import ScenarioWarning
from scsim.report.figures import (
    TIES_AXIS_FROM,
    draw_charts,
    drawn_lines,
    groups,
    network,
    scores,
    source_color,
    ties,
)

AGENTS, DAYS = 3000, 60


def _run(name: str, **overrides):
    sc = scsim.load_scenario(name, agents=AGENTS, days=DAYS, overrides=overrides or None)
    return scsim.simulate(sc, seed=1)


def _high_control(**overrides):
    """high-control over ``DAYS`` days: its timeline's step on day 365 is left out, and
    the loader warns so."""
    with pytest.warns(ScenarioWarning, match="ends before its timeline's day 365"):
        return _run("high-control", **overrides)


@pytest.fixture(scope="module")
def national():
    return _run("national-800")


@pytest.fixture(scope="module")
def no_system():
    return _run("no-system")


def test_a_side_label_fits_the_panel_a_legend_narrows(national):
    """The legend of "Where the points come from" sits between the two panels: B's label,
    wrapped to half the figure's width, ran past the figure's edge ("...=0.0"). Each
    label is now wrapped between words to its own panel, and says its values whole."""
    b = _run("national-800", **{"surveillance.misattribution": 0.01})
    labels = ("A: national-800 (seed 1)",
              "B: national-800, surveillance.misattribution=0.01 (seed 1)")
    charts, _ = draw_charts([(labels[0], national), (labels[1], b)])
    chart = next(c for c in charts if c.name == "sources")
    assert chart.figure.axes[0].get_legend().get_bbox_to_anchor()  # beside the panel
    canvas = FigureCanvasAgg(chart.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax, label in zip(chart.figure.axes[:2], labels, strict=True):
        title = ax.get_title(loc="left")
        assert "".join(title.split()) == "".join(label.split())  # all of it
        if label.startswith("B"):  # its value whole, on one line
            assert any("misattribution=0.01" in line for line in title.split("\n"))
        seen = ax._left_title.get_window_extent(renderer)
        assert seen.x1 <= ax.get_window_extent(renderer).x1 + 1  # within its panel
    assert chart.figure.axes[1].get_title(loc="left").count("\n") >= 1


def test_charts_of_mechanisms_switched_off_are_not_drawn_but_named(no_system, national):
    """no-system scores and lists nobody: it drew a flat score chart, everyone in tier a,
    and flat lines at 0 of the listed, blocked tickets, groups and regions. Against
    national-800, which scores and lists, they are drawn (no-system's side flat)."""
    off = {"scores", "tiers", "listed", "travel", "groups", "regions"}
    charts, skipped = draw_charts([("", no_system)])
    assert off.isdisjoint(c.name for c in charts)
    assert skipped["scores"] == "scoring is off: nobody's score moves"
    assert skipped["listed"] == skipped["groups"] == skipped["regions"] == (
        "listing is off: nobody is listed")
    assert skipped["travel"] == "travel bans are off: no ticket is blocked"
    assert {"ties", "network"} <= {c.name for c in charts}  # the network still changes
    charts, skipped = draw_charts([("A: no-system", no_system), ("B: national-800", national)])
    assert off <= {c.name for c in charts} and not off & set(skipped)


def test_the_score_caption_names_the_threshold_line_only_when_it_is_drawn(national):
    """court-blacklist lists on a severe act only: its score chart said "the red dotted
    line is the listing threshold", with no such line."""
    def threshold_lines(chart):
        return [line for ax in chart.figure.axes for line in ax.get_lines()
                if line.get_label() == "listing threshold"]

    with_line = scores([("", national)])
    assert threshold_lines(with_line) and "red dotted line" in with_line.caption
    no_threshold = _run("national-800", **{"listing.threshold": None})
    without = scores([("", no_threshold)])
    assert not threshold_lines(without)
    assert "red dotted" not in without.caption and "threshold" not in without.caption


def test_the_ties_chart_says_what_its_line_counts_on_a_readable_axis(no_system):
    """high-control suspends ties by detention and severs none: the caption said "ties not
    severed". And a line flat at 100 % sat on an axis from 100.0 to 100.5."""
    chart = ties([("", no_system)])
    assert "neither severed" in chart.caption and "suspended" in chart.caption
    assert "ties not severed" not in chart.caption
    left = chart.figure.axes[0]
    assert (no_system.metrics["ties_active_frac"] == 1.0).all()  # flat at 100 %
    assert left.get_ylim()[0] <= TIES_AXIS_FROM and left.get_ylim()[1] == 100.5


def test_the_ties_chart_says_its_axis_does_not_start_at_0(no_system):
    """high-control's ties fell from 100 % to 96 %, drawn from the bottom of an axis that
    starts at 95 %: a reader saw the ties all but gone, and nothing said the axis was
    cut. The caption says where it starts, in the PNG and in the alt text."""
    chart = ties([("", no_system)])
    low = chart.figure.axes[0].get_ylim()[0]
    assert 0 < low <= TIES_AXIS_FROM
    said = f"The left axis starts at {low:.3g} %, not at 0."
    assert chart.caption.endswith(said)
    drawn = [t.get_text() for t in chart.figure.texts if t.get_text().startswith("Left:")]
    assert len(drawn) == 1 and " ".join(drawn[0].split()).endswith(said)


def test_the_groups_numbers_name_both_panels_alike(national):
    """The right panel's warning ("⚠ small numbers: ...") was its name in the CSV's panel
    column, the left one "left"."""
    chart = groups([("", national)])
    note = chart.figure.axes[1].get_title(loc="left")
    assert note  # a warning or a "no ratio" note over the right panel
    lines = drawn_lines(chart)
    assert set(lines["panel"]) == {"left", "right"}


def test_captions_are_kept_unwrapped_for_the_alt_text(national):
    """The report's alt text reuses the caption: it had line breaks in mid-word ("(dash-\\n
    dotted)", "(no\\nunits)"). The caption drawn on the figure is still wrapped."""
    charts, _ = draw_charts([("", national)])
    assert all("\n" not in c.caption for c in charts)
    travel = next(c for c in charts if c.name == "travel")
    drawn = [t.get_text() for t in travel.figure.texts]
    assert any("\n" in t and "".join(t.split()) == "".join(travel.caption.split())
               for t in drawn)


def test_each_source_has_its_own_colour_in_every_report():
    """The same source changed colour between reports ("listed neighbours" red in one,
    purple in another): it was numbered among the sources each chart shows."""
    names = [s.name for s in source_registry()]
    colours = [source_color(name) for name in names]
    assert len(set(colours)) == len(names)  # none shared
    assert source_color("listed_penalty") == colours[names.index("listed_penalty")]
    with pytest.raises(ValueError):
        source_color("no_such_source")


def test_the_network_says_when_nobody_was_cut_off(no_system):
    """no-system severs no tie: its network chart was titled "Who was cut off", and its
    last panel "end (day 29)" for a 30-day run (days are numbered from 0)."""
    chart = network([("", no_system)])
    assert chart.title == "A sample of the network: no tie was severed"
    assert "severed" not in chart.caption
    titles = [ax.get_title(loc="left") for ax in chart.figure.axes]
    assert f"day {DAYS - 1} (the last)" in titles


def test_the_chilling_chart_draws_the_headlines_figure():
    """high-control's headline said 31 % fewer penalised acts (the last 30 days against the
    first 30) while its chart, 14-day means against the first 14 days, ended at 65 %: the
    chart draws the headline's figure too, over the days it compares, and says so."""
    from scsim.outputs.headline import chilling_change, run_headline
    from scsim.report.figures import chilling

    res = _high_control()
    chart = chilling([("A", res)])
    (bar,) = [line for line in chart.figure.axes[0].get_lines()
              if line.get_label() == "last 30 days against the first 30 (headline)"]
    change = chilling_change(res.metrics)
    assert list(bar.get_xdata()) == [DAYS - 30, DAYS - 1]
    assert list(bar.get_ydata()) == [100 * (1 + change)] * 2
    assert f"{abs(100 * change):.0f} % fewer penalised acts in the last 30 days" in (
        run_headline(res))
    assert "The thick grey bar is the headline's figure" in chart.caption


def test_the_score_bands_are_named_as_the_caption_names_them(national):
    """The legend read "01–99th percentile" (a percentile's column name cut), where the
    caption says "the middle 98 %"."""
    chart = scores([("A", national)])
    labels = [t.get_text() for t in chart.figure.axes[-1].get_legend().get_texts()]
    assert labels[:3] == ["middle 98 % of scores", "middle 90 % of scores",
                          "middle 50 % of scores"]
    assert "middle 98 %, 90 % and 50 %" in chart.caption


def test_every_axis_label_fits_beside_its_panel():
    """high-control's chilling chart labelled its y axis "acts per day, 14-day mean (% of
    the first 14 days)": longer than the panel is tall, it ran up over the chart's title.
    Every axis label of every chart, of one run and of a pair, lies within its panel's
    height and below the title."""
    hc = _high_control()
    b = _high_control(**{"reports.false_rate": 0.01})
    for runs in ([("A", hc)], [("A: high-control", hc), ("B: high-control", b)]):
        charts, _ = draw_charts(runs)
        for chart in charts:
            canvas = FigureCanvasAgg(chart.figure)
            canvas.draw()
            renderer = canvas.get_renderer()
            title = chart.figure._suptitle.get_window_extent(renderer)
            for ax in chart.figure.axes:
                label = ax.yaxis.label
                if not label.get_text():
                    continue
                seen, panel = label.get_window_extent(renderer), ax.get_window_extent(renderer)
                assert seen.y1 <= min(title.y0, panel.y1 + 1), (chart.name, label.get_text())
                assert seen.y0 >= panel.y0 - 1, (chart.name, label.get_text())


def _points_under_legends(chart) -> int:
    """How many drawn points of a chart's lines its legends cover."""
    canvas = FigureCanvasAgg(chart.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    hidden = 0
    for ax in chart.figure.axes:
        if ax.get_legend() is None:
            continue
        box = ax.get_legend().get_window_extent(renderer)
        for line in ax.get_lines():
            xy = line.get_transform().transform(np.column_stack(
                [line.get_xdata(), line.get_ydata()]).astype(np.float64))
            hidden += int(sum(box.contains(x, y) for x, y in xy))
    return hidden


def test_legends_hide_no_line():
    """court-blacklist starts with people listed before day 0: its listed line starts
    high, and the legend, always in the upper left, hid its first 12 days (and the
    regions' first days; high-control's groups, the majority's first day). Each legend
    goes where it covers no line."""
    res = _run("court-blacklist")
    charts, _ = draw_charts([("A", res)])
    drawn = {c.name: c for c in charts}
    assert res.metrics["listed"].iloc[0] > 0  # listed from day 0
    for name in ("listed", "regions"):
        assert _points_under_legends(drawn[name]) == 0, name
    assert _points_under_legends(groups([("A", _high_control())])) == 0
