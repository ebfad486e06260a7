"""The report's charts as a reader sees them: panel titles that fit their panels, no chart
of a mechanism that is switched off, captions that say what is drawn, chart numbers that
name their panels, and colours that mean the same thing in every report."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import scsim
from scsim.core.source import source_registry
from scsim.errors import ScenarioWarning
from scsim.report.figures import (
    SERIES_COLORS,
    TIES_AXIS_FROM,
    _tier_colors,
    chilling,
    companies,
    draw_charts,
    drawn_lines,
    groups,
    listed,
    network,
    scores,
    source_color,
    tiers,
    ties,
)
from scsim.report.provenance import regions

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


def test_a_panel_of_nothing_says_so_in_words():
    """The ties chart's pariahs and the companies chart's listed companies, 0 on every
    day, drew a flat line along the bottom of an axis from 0 to 1: an empty panel that
    said nothing. It now says so over the panel; a panel with something on it does not."""
    res = _run("national-800")
    assert (res.metrics["pariahs"] == 0).all() and (res.metrics["corp_listed"] == 0).all()
    pariahs = ties([("", res)]).figure.axes[1]
    listed = companies([("", res)]).figure.axes[1]
    assert pariahs.get_title(loc="left") == f"no agent became a pariah in {DAYS} days"
    assert listed.get_title(loc="left") == f"no company was listed in {DAYS} days"
    res.metrics.loc[res.metrics.index[-1], ["pariahs", "corp_listed"]] = 3  # the last day
    assert ties([("", res)]).figure.axes[1].get_title(loc="left") == ""
    assert companies([("", res)]).figure.axes[1].get_title(loc="left") == ""


def test_the_listed_chart_says_when_nobody_was_listed_wrongfully():
    """pilot-1000 lists nobody wrongfully: its red line lay along the axis, under the
    blue one's start, and a reader could not tell 'none' from 'not drawn'."""
    res = _run("pilot-1000")
    assert res.metrics["listed"].max() > 0 and (res.metrics["wrongful_listed"] == 0).all()
    ax = listed([("", res)]).figure.axes[0]
    assert ax.get_title(loc="left") == f"nobody was listed wrongfully in {DAYS} days"
    res.metrics.loc[res.metrics.index[-1], "wrongful_listed"] = 1
    assert listed([("", res)]).figure.axes[0].get_title(loc="left") == ""


# Machado, Oliveira & Fernandes (2009), severity 1: linear RGB as a reader without green
# (deuteranopia) or red (protanopia) cones sees it
COLOUR_BLIND = {"deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                                          [0.280085, 0.672501, 0.047413],
                                          [-0.011820, 0.042940, 0.968881]]),
                "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                                        [0.114503, 0.786281, 0.099216],
                                        [-0.003882, -0.048116, 1.051998]])}


def _seen(rgb, matrix) -> np.ndarray:
    """sRGB colour ``rgb`` (0 to 1) as a colour-blind reader sees it, in sRGB."""
    c = np.asarray(rgb[:3], dtype=np.float64)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(matrix @ linear, 0, 1)
    return np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("blindness", sorted(COLOUR_BLIND))
def test_a_colour_blind_reader_tells_the_tiers_apart(n, blindness):
    """The tiers ran from green to red: to a reader blind to red and green, the tiers a
    and b of a run's six (and of the companies' three, the network's dots) were one
    colour (0.03 apart, of 1.7 from black to white). Every two tiers are now more than
    0.15 apart as that reader sees them."""
    seen = [_seen(c, COLOUR_BLIND[blindness]) for c in _tier_colors(n)]
    assert min(np.linalg.norm(a - b) for a, b in itertools.combinations(seen, 2)) > 0.15


@pytest.mark.parametrize("blindness", sorted(COLOUR_BLIND))
def test_a_colour_blind_reader_tells_the_chilling_charts_behaviours_apart(national,
                                                                          blindness):
    """The chilling chart drew its behaviours in matplotlib's default colours: a green and
    a red (spreading rumours, traffic violations) that a reader blind to red and green saw
    as one, and blue and purple 0.05 apart. Every two lines are now more than 0.15 apart
    as that reader sees them."""
    from matplotlib.colors import to_rgb

    chart = chilling([("", national)])
    colours = {line.get_label(): to_rgb(line.get_color())
               for line in chart.figure.axes[0].get_lines()
               if not line.get_label().startswith(("_", "last ", "all "))}
    assert len(colours) >= 4, colours
    # the lines drawn, and every colour a chart of more behaviours would draw
    for drawn in (colours.values(), [to_rgb(c) for c in SERIES_COLORS]):
        seen = [_seen(c, COLOUR_BLIND[blindness]) for c in drawn]
        assert min(np.linalg.norm(a - b) for a, b in itertools.combinations(seen, 2)) > 0.15


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_no_tier_is_drawn_in_grey(n):
    """A line of the middle of three tiers (companies) was a blend of light blue and
    orange: grey on a white chart, with its grid lines. Up to six tiers, every tier has a
    colour (its red, green and blue at least 0.29 apart, of 1)."""
    assert all(max(c[:3]) - min(c[:3]) >= 0.29 for c in _tier_colors(n))


def test_the_tiers_legend_leaves_out_tiers_nobody_is_in(national):
    """national-800's legend listed tier d, a red square with no band: nobody fell below
    550 points in the run. A tier no agent is in on any day is left out (the caption
    says so), and the others keep their colours: tier c is orange still, not the red of
    the last of three."""
    names = national.names.tiers
    empty = [t for t in names if (national.metrics[f"tier_{t}"] == 0).all()]
    assert empty == ["d"]  # the case of this test
    chart = tiers([("", national)])
    (ax,) = chart.figure.axes
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["c", "b", "a"]  # lowest on top
    colours = dict(zip(names, _tier_colors(len(names)), strict=True))
    for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
        assert tuple(handle.get_facecolor()[:3]) == pytest.approx(colours[text.get_text()][:3])
    bands = [c for c in ax.collections if c.get_label() in names]
    assert [b.get_label() for b in bands] == ["a", "b", "c"]
    for band in bands:
        assert tuple(band.get_facecolor()[0][:3]) == pytest.approx(
            colours[band.get_label()][:3])
    assert "No agent was ever in tier d, so it is left out." in chart.caption
    # a tier one side of a comparison has is kept, for both
    low = _run("national-800", **{"listing.threshold": 685})
    assert (low.metrics["tier_d"] > 0).any()
    both = tiers([("A", national), ("B", low)])
    assert [t.get_text() for t in both.figure.axes[-1].get_legend().get_texts()] == [
        "d", "c", "b", "a"]
    assert "left out" not in both.caption


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
    assert _points_under_legends(drawn["listed"]) == 0
    assert "regions" not in drawn  # one region: the listed chart again, left out
    high_control = _high_control()
    assert _points_under_legends(groups([("A", high_control)])) == 0
    assert _points_under_legends(regions([("A", high_control)])) == 0


# national-800 with the face matcher erring ten times as often on the minority: its members
# are listed wrongfully more often (the summary's interval lies above 1)
MISMATCHED = {"listing.threshold": 685, "surveillance.misattribution": 0.02,
              "surveillance.misattribution_factor": {"minority": 10}}


@pytest.fixture(scope="module")
def mismatched():
    return _run("national-800", **MISMATCHED)


def _katz(count: int, size: int, ref_count: int, ref_size: int) -> tuple[float, ...]:
    """The ratio of two shares and its 95 % interval by Katz's log method, written out."""
    ratio = (count / size) / (ref_count / ref_size)
    half = 1.96 * np.sqrt(1 / count - 1 / size + 1 / ref_count - 1 / ref_size)
    return ratio, ratio * np.exp(-half), ratio * np.exp(half)


def test_wrongful_listings_per_group_are_drawn_as_the_tables_count_them(mismatched):
    """Users asked "does one group get listed more often, and wrongfully?": the summary
    table had each group's share ever listed wrongfully, but no chart showed wrongful
    listings by group. The chart draws each group's share on the list wrongfully each day
    (left) and its share ever listed wrongfully over the reference group's with the
    summary's interval (right), in each group's colour of the groups chart; its numbers
    are what is drawn, and match the run's agents and wrongful-listings tables."""
    from scsim.report.figures import wrongful_groups

    res = mismatched
    agents, n = res.agents, len(res.agents)
    chart = wrongful_groups([("A", res)])
    left, right = chart.figure.axes
    data = chart.data
    sizes = agents["group"].value_counts()
    # left: on the last day, the share of each group that the agents table says is listed
    # wrongfully; over the days, the groups' shares add up to the wrongfully listed
    lines = {line.get_label(): line for line in left.get_lines()}
    assert set(lines) == {"majority", "minority"}
    total = np.zeros(len(res.metrics))
    for g, line in lines.items():
        rows = data[(data["panel"] == "left") & (data["group"] == g)]
        np.testing.assert_array_equal(rows["value"], line.get_ydata())
        np.testing.assert_array_equal(rows["day"], np.arange(DAYS))
        at_end = int((agents["wrongfully_listed"] & (agents["group"] == g)).sum())
        assert line.get_ydata()[-1] == pytest.approx(at_end / sizes[g] * 100, rel=1e-12)
        total += line.get_ydata() / 100 * sizes[g]
    np.testing.assert_allclose(total, res.metrics["wrongful_listed"], atol=1e-6)
    assert res.metrics["wrongful_listed"].max() > 0
    assert set(data.loc[data["panel"] == "left", "unit"]) == {left.get_ylabel()}
    # right: agents ever listed wrongfully per group, counted in the wrongful table
    wrongly = agents.loc[np.unique(res.wrongful["agent"]), "group"].value_counts()
    assert (agents.loc[agents["wrongful_listings"] > 0, "group"].value_counts()
            == wrongly).all()
    ever = data[data["panel"] == "right"].set_index("group")
    for g in ("majority", "minority"):
        assert ever.loc[g, "ever_wrongfully_listed_agents"] == wrongly[g]
        assert ever.loc[g, "group_agents"] == sizes[g]
    assert sizes.sum() == n
    ratio, low, high = _katz(wrongly["minority"], sizes["minority"], wrongly["majority"],
                             sizes["majority"])
    assert low > 1  # the minority is listed wrongfully more often, clearly
    np.testing.assert_allclose(ever.loc["minority", ["value", "ci95_low", "ci95_high"]]
                               .astype(float), [ratio, low, high], rtol=1e-12)
    assert ever.loc["majority", "value"] == 1.0  # the reference, without an interval
    assert np.isnan(ever.loc["majority", "ci95_low"])
    note = res.summary().set_index("figure").loc["minority: ever wrongfully listed", "note"]
    assert f"ratio to majority: {ratio:.2f} (95 % CI {low:.2f} to {high:.2f})" in note
    # the dot and its whisker are drawn where the numbers say
    (dot,) = [line for line in right.get_lines() if line.get_marker() == "o"
              and line.get_ydata()[0] == pytest.approx(ratio)]
    (whisker,) = [c for c in right.collections if c.get_segments()]
    seg = whisker.get_segments()[0]
    assert sorted(seg[:, 1]) == pytest.approx([low, high])
    # each group in the colour the groups chart gives it, on both panels
    listed_colours = {line.get_label(): line.get_color()
                      for line in groups([("A", res)]).figure.axes[0].get_lines()}
    assert {g: line.get_color() for g, line in lines.items()} == listed_colours
    assert dot.get_color() == listed_colours["minority"]
    assert "(ratio)" in right.get_ylabel() and "% of the group" in left.get_ylabel()
    assert "95 % interval" in chart.caption and "divided by that of majority" in chart.caption
    # under 30 in a group, the warning names it as the summary's does ("20 of minority"
    # read as a share of it)
    assert wrongly["minority"] < 30
    assert right.get_title(loc="left") == (f"⚠ small numbers: minority has "
                                           f"{wrongly['minority']} ever listed wrongfully "
                                           "(under 30): wide intervals")


def test_wrongful_listings_per_group_of_two_runs_and_of_a_run_without_them(mismatched,
                                                                          national):
    """A report of two runs draws both on each panel (B dashed, its dots open and beside
    A's), its numbers by run; a run saved without what the chart draws (its agents'
    wrongful listings) is left out and named, and a run alone without them says why."""
    import dataclasses

    from scsim.outputs.result import LazyColumns
    from scsim.report.figures import WRONGFUL_KEPT, wrongful_groups

    runs = [("A: national-800", national), ("B: national-800, mismatched", mismatched)]
    chart = wrongful_groups(runs)
    left, right = chart.figure.axes
    styles = {line.get_label(): line.get_linestyle() for line in left.get_lines()}
    assert styles == {"majority (A)": "-", "minority (A)": "-", "majority (B)": "--",
                      "minority (B)": "--"}
    assert set(chart.data["run"]) == {label for label, _ in runs}
    ratios = chart.data[chart.data["panel"] == "right"]
    assert len(ratios) == 4 and (ratios["day"] == DAYS - 1).all()
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["A", "B"]
    old = dataclasses.replace(national, agent_columns=LazyColumns.of({
        k: v for k, v in national.agent_columns.items() if k != "wrongful_listings"}))
    assert wrongful_groups([("A", old)]) == f"the run {WRONGFUL_KEPT}"
    chart = wrongful_groups([("A: old", old), ("B: national-800", mismatched)])
    assert chart.caption.endswith(f"A: old {WRONGFUL_KEPT}, so it is not drawn.")
    assert set(chart.data["run"]) == {"B: national-800"}


def test_wrongful_listings_per_group_say_why_they_are_not_drawn(no_system, national):
    """One group has no other to compare with; a system that lists nobody, or makes no
    error, lists nobody wrongfully: the report names the chart and says why."""
    from scsim.report.figures import wrongful_groups

    one = scsim.simulate(scsim.load_scenario("court-blacklist", agents=1000, days=20), seed=1)
    assert len(one.names.groups) == 1
    _, skipped = draw_charts([("A", one)])
    assert skipped["wrongful_groups"] == ("the population is one group: there is no other "
                                          "to compare its wrongful listings with")
    _, skipped = draw_charts([("A", no_system)])
    assert skipped["wrongful_groups"] == "listing is off: nobody is listed"
    exact = _run("national-800", **{"surveillance.misattribution": 0.0})
    assert not exact.names.errors
    assert wrongful_groups([("A", exact)]) == ("the scenario makes no errors (no false "
                                               "match, no false report): nobody is listed "
                                               "wrongfully")
    # errors possible, none made in 60 days at 3,000 agents (as the agents table says)
    assert national.names.errors and not national.agents["wrongful_listings"].any()
    assert wrongful_groups([("A", national)]) == "nobody was listed wrongfully"
