"""The dashboard in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright against ``scsim dashboard`` started as a user would (``--no-browser --port 0``).

Load the page, move a slider, run, wait for the chart and check the headline number against
the run store's catalogue; click an agent of the network picture for its record, and a
traced agent for its case file; validate as you type; compare A with B; cancel a
run; save a screenshot (written to docs/dashboard.png when SCSIM_UPDATE_SCREENSHOT=1); and
check that the page asks nothing of any host but 127.0.0.1. Runs are small (a few thousand
agents, 40 days), except the one that is cancelled.

``make test`` installs Debian's chromium when it is missing and it runs as root; otherwise
these tests are skipped, and say so."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import REPO, SCSIM
from scsim.analysis.compare import SWITCHES_NOTE
from scsim.outputs.words import in_digits

CHROMIUM = Path("/usr/bin/chromium")
# Without these Chromium tries the network (updates, sync, field trials...) and a GPU.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY = 300  # seconds for the worker to compile (a first run) or load the kernels
RUN = 120_000  # milliseconds for a small run to finish in the page

playwright = pytest.importorskip(
    "playwright.sync_api", reason="!!! the dashboard's browser tests need playwright "
    "(pip install -e '.[dev]') — SKIPPED !!!")
if not CHROMIUM.exists():
    pytest.skip("!!! no /usr/bin/chromium: the dashboard's browser tests are SKIPPED "
                "(as root: apt-get install chromium chromium-driver; make test does it) !!!",
                allow_module_level=True)
pytest.importorskip("starlette", reason="the dashboard needs scsim[dashboard]")

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``scsim dashboard`` in its own process, on a free port, with a fresh store; yields
    (url, store folder) once its worker says the kernels are ready."""
    folder = tmp_path_factory.mktemp("dashboard")
    store = folder / "store"
    log = open(folder / "server.log", "w+")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [*SCSIM, "dashboard", "--no-browser", "--port", "0", "--store", str(store),
         "--max-agent-days", "200000000"],
        stdout=log, stderr=log, env=dict(os.environ, NUMBA_NUM_THREADS="1"), cwd=folder)
    try:
        url = _wait_for(lambda: re.search(r"http://127\.0\.0\.1:\d+/", _read(log)), 60,
                        proc, log).group(0)
        import httpx

        _wait_for(lambda: httpx.get(url + "api/status").json()["state"] == "ready", READY,
                  proc, log)
        yield url, store
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _read(log) -> str:
    log.seek(0)
    return log.read()


def _wait_for(check, seconds: float, proc, log):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"scsim dashboard exited {proc.returncode}: {_read(log)}")
        try:
            if out := check():
                return out
        except Exception:  # not listening yet
            pass
        time.sleep(0.3)
    pytest.fail(f"scsim dashboard not ready in {seconds} s: {_read(log)}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium with a fresh profile; records every URL its pages request."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=FLAGS, headless=True,
            viewport={"width": 1200, "height": 900})
        context.requested = []
        context.on("request", lambda request: context.requested.append(request.url))
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(server, browser):
    url, _ = server
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#levers input")).not_to_have_count(0)
    yield page
    page.close()
    assert not errors, errors  # no script error on the page


def ask(page, agents: int, days: int, seed: int = 1) -> None:
    page.fill("#agents", str(agents))
    page.fill("#days", str(days))
    page.fill("#seed", str(seed))
    expect(page.locator("#run")).to_be_enabled()


def move(page, path: str, presses: int) -> None:
    """Move a lever's slider with the keyboard, one step per press."""
    slider = page.locator(f"#levers input[data-path='{path}']")
    slider.focus()
    for _ in range(abs(presses)):
        slider.press("ArrowRight" if presses > 0 else "ArrowLeft")


def rgb(colour: str) -> tuple[float, ...]:
    """A CSS colour, "#rrggbb", "#rgb" or "rgb(r, g, b)", as its three channels."""
    if colour.startswith("#"):
        digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
    return tuple(float(c) for c in re.findall(r"[\d.]+", colour)[:3])


def over(top: tuple, opacity: float, below: tuple) -> tuple[float, ...]:
    """What is seen of a colour drawn at ``opacity`` over another."""
    return tuple(opacity * t + (1 - opacity) * b for t, b in zip(top, below, strict=True))


def contrast(a, b) -> float:
    """WCAG's contrast ratio of two colours (CSS strings or channels)."""
    def luminance(colour):
        lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
               for c in (rgb(colour) if isinstance(colour, str) else colour)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def catalogue(store: Path, sql: str):
    from scsim.store import open_store

    return open_store(store, create=False).query(sql)


def test_run_from_a_slider_headline_equals_the_catalogue(server, page):
    _, store = server
    ask(page, agents=3000, days=40, seed=4)
    move(page, "listing.threshold", 28)  # 550 -> 690 points: listings within days
    move(page, "scoring.association.listed_penalty", 14)  # 0.3 -> 1.0 point a day
    expect(page.locator("#lever-listing-threshold + output")).to_have_text("690")
    expect(page.locator("#lever-scoring-association-listed-penalty + output")).to_have_text("1")
    expect(page.locator("#lever-scoring-association-listed-penalty")).to_have_attribute(
        "aria-valuetext", "1 point per day per listed contact")  # a screen reader's words
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    expect(page.locator("#chart-listed polyline")).to_have_count(2)  # listed, wrongful
    expect(page.locator("#facts")).to_be_in_viewport()  # its results come into view
    expect(page.locator("#chart-regions polyline")).to_have_count(8)  # one per region
    strokes = page.locator("#chart-regions polyline").evaluate_all(
        "lines => lines.map(line => line.getAttribute('stroke'))")
    assert len(set(strokes)) == 8  # eight colours for eight regions
    expect(page.locator("#figure-detention")).to_be_hidden()  # national-800: no detention
    page.select_option("#breakdown", "di")  # one line per region and non-reference group
    expect(page.locator("#caption-groups")).to_have_text(
        "Disparate impact, listed on the day: each group's share on the list that day over "
        "that of majority (1 = parity, above 1 = listed more often; the \"disparate impact, "
        "ever listed\" in the summary of `scsim show RUN --full` and of the HTML report is "
        "of the shares ever listed in the run)")
    expect(page.locator("#chart-regions text", has_text="region 0 · minority")).to_have_count(1)
    run_id = page.locator("#downloads").get_attribute("data-run")
    shown = float(page.locator("#n-listed_final").get_attribute("data-value"))
    # a screen reader hears the result, and each chart by its numbers (a picture, described)
    expect(page.locator("#progress-said")).to_have_text("done: the results are under “2. Look”")
    expect(page.locator("#headline")).to_have_attribute("aria-live", "polite")
    for chart in ("#chart-listed", "#chart-score", "#chart-travel"):
        expect(page.locator(chart)).to_have_attribute("role", "img")
    # (the network picture is a group: its listed and shamed dots are buttons)
    expect(page.locator("#chart-network")).to_have_attribute("role", "group")
    expect(page.locator("#chart-listed")).to_have_attribute("aria-label", re.compile(
        rf"^day 0 to 39; listed: \S+ on day 0, {int(shown):,} on day 39, lowest "))
    expect(page.locator("#chart-score")).to_have_attribute("aria-label", re.compile(
        r"; 5–95 % band on day 39: \S+ to \S+; 25–75 % band on day 39: "))
    expect(page.locator("#chart-travel")).to_have_attribute("aria-label", re.compile(
        r"^air: this run: \S+; air: 2018, as reported: 1.3; "))
    # the score chart's bands are seen by their edges, lines of 3:1 at least (WCAG 1.4.11)
    # against the background and the fill either side of them (the 5–95 % band's fill, light
    # blue at 35 %, was 1.2:1), and named in its key with the median (which stands out from
    # the inner band's fill too)
    chart = page.locator("#chart-score")
    under = [rgb(chart.evaluate("svg => getComputedStyle(svg).backgroundColor"))]
    bands = chart.locator("polygon")
    for fill, opacity in bands.evaluate_all(
            "ps => ps.map(p => [p.getAttribute('fill'), p.getAttribute('opacity')])"):
        under.append(over(rgb(fill), float(opacity), under[-1]))  # each band's fill, seen
    for k, band in enumerate(bands.evaluate_all("ps => ps.map(p => p.dataset.band)")):
        edges = chart.locator(f"polyline[data-band='{band}']")
        expect(edges).to_have_count(2)  # its top and its bottom
        for stroke in edges.evaluate_all("ls => ls.map(l => l.getAttribute('stroke'))"):
            assert min(contrast(stroke, under[k]), contrast(stroke, under[k + 1])) >= 3, band
    assert contrast(chart.locator("polyline:not([data-band])").get_attribute("stroke"),
                    under[-1]) >= 3
    assert {"median score", "middle 90 % of scores", "middle 50 % of scores"} <= set(
        chart.locator(":scope > text").all_text_contents())
    first = page.locator("#chart-network circle[fill='#d62728']").first.get_attribute(
        "data-agent")  # listed: named in the picture's words, to open by number
    expect(page.locator("#chart-network")).to_have_attribute("aria-label", re.compile(
        rf"; listed now: agents? {first}(,|;| and|$)"))
    stored = catalogue(store, f"SELECT listed FROM metrics WHERE run_id = '{run_id}' "
                              "AND day = 39")["listed"].iloc[0]
    assert shown == stored > 0
    ever = catalogue(store, f"SELECT count(*) AS n FROM agents WHERE run_id = '{run_id}' "
                            "AND times_listed > 0")["n"].iloc[0]
    assert page.locator("#headline p").first.inner_text().startswith(
        f"Listed: {ever:,} of 3,000 people")
    row = catalogue(store, f"SELECT agents, days, seed, overrides FROM runs "
                           f"WHERE id = '{run_id}'").iloc[0]
    assert (row["agents"], row["days"], row["seed"]) == (3000, 40, 4)
    assert '"scoring.association.listed_penalty": 1.0' in row["overrides"]
    assert '"listing.threshold": 690.0' in row["overrides"]
    # an agent of the network picture, clicked: its record, as the catalogue has it
    # listed at the end; listed agents are drawn last, and the last one drawn lies on top
    dot = page.locator("#chart-network circle[fill='#d62728']").last
    agent = int(dot.get_attribute("data-agent"))
    dot.click()
    expect(page.locator("#case")).to_have_attribute("data-agent", str(agent))
    record = catalogue(store, f"SELECT listed, times_listed FROM agents WHERE run_id = "
                              f"'{run_id}' AND agent = {agent}").iloc[0]
    assert bool(record["listed"])
    expect(page.locator("#case-record tr", has_text="times listed")).to_contain_text(
        str(record["times_listed"]))
    # the same dot from the keyboard: the picture's one tab stop, a button a screen reader
    # names, Enter opens its case file, and "Back to the list" returns to the dot; the
    # arrow keys move among the listed and shamed (one tab stop for all: there may be
    # hundreds); a dot of someone never listed nor shamed is no stop, and says who it is
    # when pointed at
    said = ax(page, f"#chart-network circle[data-agent='{agent}']")
    assert (said["role"], said["name"]) == ("button", f"agent {agent}: listed now"), said
    buttons = page.locator("#chart-network circle[role='button']")
    assert buttons.count() > 2
    assert page.locator("#chart-network [tabindex='0']").evaluate_all(
        "ds => ds.map(d => d.dataset.agent)") == [str(agent)]
    page.locator("#case-back").click()
    dot.focus()
    page.keyboard.press("ArrowLeft")
    expect(buttons.nth(buttons.count() - 2)).to_be_focused()
    page.keyboard.press("Home")
    expect(buttons.first).to_be_focused()
    page.keyboard.press("End")
    expect(dot).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#case-title")).to_be_focused()
    expect(page.locator("#case")).to_have_attribute("data-agent", str(agent))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(dot).to_be_focused()
    plain = page.locator("#chart-network circle[fill='#1f77b4']:not([stroke='#000'])").first
    assert plain.get_attribute("tabindex") is None
    assert plain.locator("title").text_content() == (
        f"agent {plain.get_attribute('data-agent')}: not listed")
    # a traced agent's case file: the story Result.explain tells; opened from the keyboard
    # (Enter on its button) the focus moves to its title, which a screen reader then says
    # (it stayed on the button, and nothing was said), and "Back to the list" returns it
    button = page.locator("#case-list button").first
    traced = int(button.get_attribute("data-agent"))
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#case")).to_have_attribute("data-agent", str(traced))
    expect(page.locator("#case-title")).to_be_focused()
    title = ax(page, "#case-title")
    assert title["role"] == "heading" and title["name"].startswith(
        f"Agent {traced}, run {run_id}"), title
    page.keyboard.press("Tab")
    expect(page.locator("#case-back")).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_be_focused()
    from scsim.store import open_store

    story = open_store(store, create=False).load(run_id).explain(traced)
    assert story.traced
    assert page.locator("#case-story").text_content() == story.text
    # the run is listed under Keep, and its table downloads as CSV
    expect(page.locator(f"#runs tr[data-run='{run_id}']")).to_have_count(1)
    with page.expect_download() as download:
        page.click("#downloads a:text('metrics.csv')")
    assert download.value.suggested_filename == f"{run_id}-metrics.csv"


def test_a_run_with_detention_draws_it(server, page):
    _, store = server
    page.select_option("#source", "builtin:high-control")
    expect(page.locator("#days")).to_have_value("730")  # its own length, once loaded
    ask(page, agents=2000, days=60)  # the abolition on day 365 is dropped
    page.click("#run")
    # the progress line may still say "done" of an earlier test's run: wait for this one
    expect(page.locator("#facts")).to_contain_text("high-control, run", timeout=RUN)
    expect(page.locator("#figure-detention")).to_be_visible()
    expect(page.locator("#chart-detention polyline")).to_have_count(2)  # now, so far
    run_id = page.locator("#downloads").get_attribute("data-run")
    # the page draws the run while it is being saved: the catalogue has it once it is done
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    detained = int(catalogue(store, f"SELECT sum(new_detentions) AS n FROM metrics "
                                    f"WHERE run_id = '{run_id}'")["n"].iloc[0])
    assert detained > 0
    expect(page.locator("#headline p").last).to_contain_text(
        f"Detention: {detained:,} detentions in 60 days")


def test_wrongful_listings_per_group(server, page):
    """ "Does one group get listed more often, and wrongfully?": the group chart's "share
    wrongfully listed" draws each group's share on the list wrongfully each day (the
    catalogue's wrongful_rate_* columns, in %, in the colours of the listed-share view),
    and says under it each group's share ever wrongfully listed (the agents table's) and
    its ratio to the reference group's with the summary's interval."""
    from scsim.outputs.headline import percent
    from scsim.outputs.summary import ratio_bounds

    _, store = server
    ask(page, agents=3000, days=60, seed=4)
    move(page, "listing.threshold", 24)  # 550 -> 670 points
    page.locator("#levers input[data-path='surveillance.misattribution']").press("End")
    expect(page.locator("#lever-surveillance-misattribution + output")).to_have_text("1 %")
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    run_id = page.locator("#downloads").get_attribute("data-run")
    expect(page.locator("#wrongful-groups")).to_be_hidden()  # "share listed" first
    listed_colours = page.locator("#chart-groups polyline").evaluate_all(
        "ls => ls.map(l => [l.querySelector('title').textContent, l.getAttribute('stroke')])")
    page.select_option("#breakdown", "wrongful_rate")
    expect(page.locator("#caption-groups")).to_have_text(
        "Share of each group wrongfully listed (% of the group)")
    expect(page.locator("#caption-regions")).to_contain_text(
        "Share of each region wrongfully listed (% of the region)")
    lines = page.locator("#chart-groups polyline")
    expect(lines).to_have_count(2)
    assert lines.evaluate_all("ls => ls.map(l => [l.querySelector('title').textContent, "
                              "l.getAttribute('stroke')])") == listed_colours
    # the numbers drawn, as a screen reader hears them: the catalogue's, in percent
    days = catalogue(store, "SELECT day, wrongful_rate_majority AS majority, "
                            "wrongful_rate_minority AS minority FROM metrics "
                            f"WHERE run_id = '{run_id}' ORDER BY day")
    said = ["day 0 to 59"]
    for g in ("majority", "minority"):
        values = page.evaluate("vs => vs.map(fmt)", [100 * days[g].iloc[0],
                                                     100 * days[g].iloc[-1],
                                                     100 * days[g].min(), 100 * days[g].max()])
        said.append(f"{g}: {values[0]} on day 0, {values[1]} on day 59, lowest {values[2]}, "
                    f"highest {values[3]}")
    expect(page.locator("#chart-groups")).to_have_attribute("role", "img")
    expect(page.locator("#chart-groups")).to_have_attribute("aria-label", "; ".join(said))
    assert days["minority"].max() > 0 and days["majority"].max() > 0
    # in words: each group's share ever wrongfully listed, from the agents table, and the
    # ratio to the reference group's with its interval; read with the chart
    ever = catalogue(store, 'SELECT "group" AS g, count(*) AS n, sum(CASE WHEN '
                            "wrongful_listings > 0 THEN 1 ELSE 0 END) AS w FROM agents "
                            f"WHERE run_id = '{run_id}' GROUP BY 1").set_index("g")
    n, w = ever["n"].astype(int).to_dict(), ever["w"].astype(int).to_dict()
    assert w["majority"] > 0 and w["minority"] > 0  # both groups are listed wrongfully
    expect(page.locator("#wrongful-said")).to_contain_text(
        "the share of each group ever wrongfully listed, and that share divided by majority's")
    items = page.locator("#wrongful-list li")
    expect(items).to_have_count(2)
    for k, g in enumerate(("majority", "minority")):
        expect(items.nth(k)).to_contain_text(
            f"{g}: {w[g]:,} of {n[g]:,} people ever wrongfully listed, "
            f"{percent(w[g] / n[g], 1)} of the group")
    ratio = (w["minority"] / n["minority"]) / (w["majority"] / n["majority"])
    low, high = ratio_bounds(w["minority"], n["minority"], w["majority"], n["majority"])
    expect(items.nth(1)).to_contain_text(
        f"ratio to majority: {ratio:.2f} (95 % CI {low:.2f} to {high:.2f}")
    assert float(items.nth(1).get_attribute("data-ratio")) == pytest.approx(ratio)
    expect(items.nth(0)).to_contain_text("the reference group")
    assert ax(page, "#chart-groups")["description"].startswith("Wrongfully listed: on the list")
    # and back: the words go with the figure
    page.select_option("#breakdown", "listed_rate")
    expect(page.locator("#wrongful-groups")).to_be_hidden()
    assert page.locator("#chart-groups").get_attribute("aria-describedby") is None


def test_a_teacher_s_path_in_plain_words(server, page):
    """A teacher who had never used the tool, asking "how many innocent people end up
    blacklisted when ties to low scorers cost points, and why was this person listed?",
    stumbled on: "agent-days" and "kernels" in the first line; Agents, Seed and Pairs,
    never explained; a case list that marked the wrongfully listed "!" and did not say who was
    listed at all; a record whose "points from listed penalty" sat beside "points from
    association", read as the association penalty's lever; and four downloads named by
    file alone. Each now says what it is, in words."""
    _, store = server
    expect(page.locator("#status")).to_have_text(re.compile(
        r"^Ready\. Largest question: 200,000,000 agent-days \(agents × days × runs: a year "
        r"of 547,945 agents\)\. The simulation was ready in [\d.]+ s\.$"))
    for box, said in (("#agents", "Agents: how many people the simulated population has."),
                      ("#days", "Days: how long the system runs, a step a day."),
                      ("#seed", "Seed: any whole number; the same seed gives the same answer "
                                "again, another seed another population and other chances."),
                      ("#reps", "Pairs: how many times A and B are run, each pair on a seed "
                                "of its own (the seed, the seed + 1, …), so that each "
                                "difference comes with its 95 % interval (“95 % CI”, a 95 % "
                                "confidence interval: the range in which the true difference "
                                "lies with 95 % confidence, given how much it varied from "
                                "pair to pair).")):
        expect(page.locator(f"{box}-explain")).to_be_visible()
        assert ax(page, box)["description"] == said, box
    page.fill("#seed", "1.5")  # a problem is heard first, then what the box takes
    expect(page.locator("#problems li")).to_have_count(1)
    assert ax(page, "#seed")["description"].startswith("Seed: 1.5 is not a whole number")
    assert ax(page, "#seed")["description"].endswith("another population and other chances.")
    ask(page, agents=3000, days=60, seed=4)
    move(page, "listing.threshold", 24)  # 550 -> 670 points
    move(page, "scoring.association.listed_penalty", 14)  # 0.3 -> 1 point a day
    page.locator("#levers input[data-path='surveillance.misattribution']").press("End")
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    run_id = page.locator("#downloads").get_attribute("data-run")
    # the case list says who was listed, and who wrongfully, as the agents table has it
    fates = catalogue(store, "SELECT agent, times_listed, wrongful_listings FROM agents "
                             f"WHERE run_id = '{run_id}'").set_index("agent")
    buttons = page.locator("#case-list button")
    shown = buttons.evaluate_all("bs => bs.map(b => [Number(b.dataset.agent), b.textContent])")
    expected = [(a, f"agent {a}" + (": wrongfully listed" if fates.loc[a, "wrongful_listings"]
                                    else ": listed" if fates.loc[a, "times_listed"] else ""))
                for a, _ in shown]
    assert [tuple(s) for s in shown] == expected
    words = {text.split(": ", 1)[-1] for _, text in expected}
    assert {"wrongfully listed", "listed"} <= words  # both kinds are in this run's list
    expect(page.locator("#case-files")).not_to_contain_text("marked !")
    # a listed agent's record: the points its listed neighbours cost it, named as the
    # association penalty they are, and the daily pull toward neighbours told apart
    listed = next(a for a, text in expected if text.endswith(": listed"))
    page.locator(f"#case-list button[data-agent='{listed}']").click()
    expect(page.locator("#case")).to_have_attribute("data-agent", str(listed))
    points = catalogue(store, "SELECT points_listed_penalty AS p FROM agents WHERE run_id = "
                              f"'{run_id}' AND agent = {listed}")["p"].iloc[0]
    assert points < 0
    row = page.locator("#case-record tr", has_text="points from listed neighbours (the "
                                                    "association penalty)").first
    expect(row.locator("td").nth(1)).to_have_text(page.evaluate("fmt", float(points)))
    expect(page.locator("#case-record")).to_contain_text(
        "points from association (the daily pull toward neighbours' scores)")
    expect(page.locator("#case-record")).not_to_contain_text("listed penalty")
    # "tier c", "conformity", "pariah" explained where they appear, in visible words (a
    # tooltip is no use on a phone or from the keyboard): in the record, each in its row;
    # under the story, those it uses; each as the server defines it, once
    from scsim.dashboard.views import agent_view
    from scsim.store import open_store

    view = agent_view(open_store(store, create=False).load(run_id), listed)
    page.click("#case details summary")  # "Its record at the end of the run"
    for column, label in (("tier", "tier"), ("conformity", "conformity"),
                          ("pariah", "pariah")):
        row = page.locator("#case-record tr").filter(
            has=page.locator("td:first-child dfn", has_text=re.compile(f"^{label}$")))
        expect(row.locator("td.meaning")).to_have_text(view["meanings"][column])
        expect(row.locator("td.meaning")).to_be_visible()
    expect(page.locator("#case-record tr", has_text="wrongfully listed").first.locator(
        "td").nth(1)).to_have_text("no")  # not "false"
    assert any(w["word"] == "tier" for w in view["words"])  # "tier c" in its story
    terms = page.locator("#case-words dt")
    expect(terms).to_have_text([w["word"] for w in view["words"]])
    expect(page.locator("#case-words dd")).to_have_text([w["meaning"] for w in view["words"]])
    expect(page.locator("#case-words dt", has_text=re.compile("^tier$"))).to_be_visible()
    # the downloads say what their rows are
    expect(page.locator("#downloads")).to_have_text(
        "Download: metrics.csv (a row a day: the figures of the charts) · agents.csv (a row "
        "a person, at the end of the run) · companies.csv (a row a company) · HTML report "
        "(every chart and table of the run, to print or share)")


def test_built_in_scenarios_are_named_in_plain_words(page):
    """The list of scenarios named each built-in by its name alone ("court-blacklist"):
    each now says, after its name, what it is (the start of its own description)."""
    from scsim.dashboard.views import plain_title
    from scsim.scenario import builtin_names, load_scenario

    options = page.locator("#source optgroup[label='Built-in scenarios'] option")
    expect(options).to_have_text([f"{name} — {plain_title(load_scenario(name).description)}"
                                  for name in builtin_names()])
    expect(page.locator("#source option[value='builtin:court-blacklist']")).to_have_text(
        "court-blacklist — A blacklist of people who did not comply with a court judgment, "
        "with no score")
    # read whole in the box, and within a phone's width there
    assert page.locator("#source").evaluate("s => s.scrollWidth <= s.clientWidth + 24")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_all_settings_are_validated_as_you_type(page):
    page.click("#all-settings summary")
    field = page.locator("#settings input[data-path='fear.speed']")
    field.fill("-1")
    expect(page.locator("#problems li")).to_have_text(
        ["fear.speed: must be >= 0"])  # where it was typed, not "override fear.speed=-1"
    expect(page.locator("#run")).to_be_disabled()
    field.fill("0.05")
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#run")).to_be_enabled()
    # a value that would do nothing is said, not refused
    shaming = page.locator("#settings input[data-path='shaming.probability']")
    shaming.fill("0.5")
    expect(page.locator("#advice li")).to_have_text([  # in the levers' words
        "Shaming probability is set but Public shaming is off (in the scenario it starts "
        "from), so nobody will be shamed: switch Public shaming on"])
    expect(page.locator("#run")).to_be_enabled()
    shaming.fill("0")  # the scenario's value again: nothing to say
    expect(page.locator("#advice li")).to_have_count(0)
    field.fill("")  # in words, not the command line's --set syntax
    expect(page.locator("#problems li")).to_have_text(
        ["fear.speed: empty; type a value (undo the change to keep the scenario's)"])
    field.fill("0.05")
    # the question's boxes: nothing rounded, nothing too big let through to Run
    page.fill("#seed", "1.5")
    expect(page.locator("#problems li")).to_have_text(
        ["Seed: 1.5 is not a whole number; type a whole number from 0 to "
         "9,223,372,036,854,775,807"])
    expect(page.locator("#run")).to_be_disabled()
    page.fill("#seed", "1")
    page.fill("#agents", "5000000")
    expect(page.locator("#problems li")).to_contain_text(["too big for this dashboard"])
    expect(page.locator("#run")).to_be_disabled()
    page.fill("#agents", "99999999999999999999999")  # over the schema's limit too: the same
    expect(page.locator("#problems li")).to_have_text([re.compile(
        r"^too big for this dashboard: 99,999,999,999,999,999,999,999 agents × 365 days .*"
        r"use at most [\d,]+ agents")])
    page.fill("#days", "")
    page.locator("#days").press_sequentially("e")  # the box cannot read it: in plain words
    expect(page.locator("#problems li")).to_have_text(["Days must be a whole number of 1 or "
                                                       "more"])
    page.fill("#days", "365")
    page.fill("#agents", "1e4")  # the number box takes it: 10,000
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#run")).to_be_enabled()
    # the roll-out's slider ends on the last day asked for (not on the scenario's 365th),
    # or where it stands if that is later (a shorter run does not move it)
    page.fill("#days", "200")
    expect(page.locator("#lever-regions-rollout-1-day")).to_have_attribute("max", "200")
    page.fill("#days", "40")
    expect(page.locator("#lever-regions-rollout-1-day")).to_have_attribute("max", "90")
    # agents and days are the boxes' alone
    expect(page.locator("#settings input[data-path='population.agents']")).to_have_count(0)


def ax(page, selector: str) -> dict:
    """What Chromium tells a screen reader of an element: its role, name and description,
    whether it is invalid, and whether it is a live region (``live``: None when not)."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    info = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node,
                                                       "fetchRelatives": False})["nodes"][0]
    cdp.detach()
    props = {p["name"]: p["value"].get("value") for p in info.get("properties", [])}
    return {"role": info.get("role", {}).get("value"),
            "name": info.get("name", {}).get("value", ""),
            "description": info.get("description", {}).get("value", ""),
            "invalid": props.get("invalid"), "live": props.get("live")}


def test_a_screen_reader_hears_every_control_and_each_problem_at_its_box(page):
    """Every control has a name of its own (the settings' boxes had none, the progress bar
    none, the filter only its placeholder); a problem is said with the box it names; the
    Agents box is not "invalid" at 10,000 (a step of 1000 counted from 2) and its arrow keys
    go by thousands; the progress is said on each change of state, not five times a second."""
    page.click("#all-settings summary")
    cdp = page.context.new_cdp_session(page)
    controls = {"textbox", "searchbox", "spinbutton", "slider", "combobox", "checkbox",
                "button", "progressbar", "link"}
    unnamed = []
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        if node.get("ignored") or node.get("role", {}).get("value") not in controls:
            continue
        name = node.get("name", {})
        used = [s["type"] for s in name.get("sources", []) if "value" in s and
                not s.get("superseded")]
        if not name.get("value", "").strip() or used[:1] == ["placeholder"]:
            unnamed.append((node["role"]["value"], name.get("value"), used))
    cdp.detach()
    assert not unnamed, unnamed[:5]
    assert ax(page, "#settings input[data-path='fear.speed']")["name"] == (
        "fear.speed (share per day)")
    page.fill("#seed", "1.5")
    page.locator("#settings input[data-path='fear.speed']").fill("-1")
    expect(page.locator("#problems li")).to_have_count(2)
    seed, speed = ax(page, "#seed"), ax(page, "#settings input[data-path='fear.speed']")
    assert (seed["invalid"], speed["invalid"]) == ("true", "true")
    assert seed["description"].startswith("Seed: 1.5 is not a whole number")
    assert speed["description"] == "fear.speed: must be >= 0"
    assert ax(page, "#lever-listing-threshold")["description"] == (
        "people whose score falls below this are put on the blacklist")  # its explanation
    # a slider says its value with its unit, and once only: the number shown beside each
    # lever was a live region (an <output>), said again at each arrow press. (Chromium's
    # tree gives a slider's number alone, whatever aria-valuetext says: the attribute is
    # what reaches a screen reader.)
    for lever in page.locator("#levers .lever").all():
        slider = lever.locator("input")
        beside = ax(page, f"#{slider.get_attribute('id')} + output")
        assert beside["role"] != "status" and beside["live"] in (None, "off"), beside
        if slider.get_attribute("type") == "range":
            unit = lever.locator(".unit").text_content()[1:-1]  # "(points)": points
            shown = lever.locator("output").text_content()  # "0.1 %": "% of ..." is its unit
            assert slider.get_attribute("aria-valuetext") in (
                f"{shown.removesuffix(' %')} {unit}", f"day {shown}")
    move(page, "listing.threshold", 1)
    expect(page.locator("#lever-listing-threshold")).to_have_attribute(
        "aria-valuetext", "555 points")
    page.fill("#seed", "1")
    page.locator("#settings input[data-path='fear.speed']").fill("0.05")
    expect(page.locator("#problems li")).to_have_count(0)
    assert ax(page, "#seed")["invalid"] == "false"
    page.fill("#agents", "9000")
    page.locator("#agents").press("ArrowUp")
    expect(page.locator("#agents")).to_have_value("10000")
    assert ax(page, "#agents")["invalid"] == "false"
    page.click("#open-agent button")  # nothing shown yet: said, with the box
    assert ax(page, "#agent-id")["description"] == "Run a question or open a stored run first."
    said = page.evaluate("""() => {
        const job = {status: "running", kind: "run", total: 365, done: 1, rows: []}, out = [];
        for (const done of [1, 2, 3]) {
          showProgress(Object.assign({}, job, {done}));
          out.push(document.getElementById("progress-said").textContent);
        }
        showProgress(Object.assign({}, job, {status: "cancelled"}));
        out.push(document.getElementById("progress-said").textContent);
        return out; }""")
    assert said == ["running: day 1 of 365"] * 3 + ["cancelled"]


def test_compare_a_with_b_and_screenshot(server, page, tmp_path):
    ask(page, agents=3000, days=40)
    page.fill("#reps", "2")
    move(page, "listing.threshold", 24)  # 670 points in A and B
    move(page, "scoring.association.listed_penalty", -6)  # A: 0 points
    page.click("#set-a")
    # in the levers' words, not their paths
    expect(page.locator("#a-settings")).to_have_text(
        "A: national-800 with association penalty 0.3 → 0 points per day per listed "
        "contact (scoring.association.listed_penalty), listing threshold 550 → 670 points "
        "(listing.threshold)")  # in the order of "All settings"
    # B: 0.5 points. With 2 points both pairs (seeds 1 and 2) list 750 people under B and
    # 39 under A, so their differences are equal and no interval is shown; at 0.5 points
    # they differ (49 and 43).
    move(page, "scoring.association.listed_penalty", 10)
    page.click("#compare")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    headline = page.locator("#cmp-headline")
    expect(headline).to_contain_text("Raising the association listed penalty from 0 to 0.5")
    expect(headline).to_contain_text(re.compile(r"lists [\d,]+ more people per 3,000 in 40 "
                                                r"days \(95 % CI [\d,]+ to [\d,]+\)"))
    expect(page.locator("#cmp-acts")).to_contain_text(re.compile(
        r"Acts change most for [a-z ]+ \(\d+(\.\d)? % (fewer|more)|No behaviour is clearly"))
    # the answer first, in view; A named with what it changes; B's run in detail below it
    expect(page.locator("#comparison")).to_be_in_viewport()
    expect(page.locator("#cmp-labels")).to_have_text(
        "A: national-800, association penalty 0 points per day per listed contact "
        "(scoring.association.listed_penalty) (+1 more) · B: national-800, association "
        "penalty 0.5 points per day per listed contact (scoring.association.listed_penalty) "
        "· 2 pairs, seeds 1, 2")
    expect(page.locator("#look-which")).to_contain_text("the B run of the first pair (seed 1)")
    assert page.evaluate("document.getElementById('comparison').getBoundingClientRect().top"
                         " < document.getElementById('facts').getBoundingClientRect().top")
    assert page.locator("#cmp-metrics tr").count() > 5
    metrics = page.locator("#cmp-metrics")  # in words, as the metrics' labels say them
    expect(metrics).to_contain_text("mean score")
    expect(metrics).not_to_contain_text("score_mean")
    expect(metrics).to_contain_text("acts of criticising government")  # not acts_criti...
    # with their units: a share of ties read "1 / 1", as if one person
    expect(metrics.locator("tr", has_text="ties still active")).to_contain_text("share (0-1)")
    expect(metrics.locator("tr", has_text="acts of criticising government")).to_contain_text(
        "acts")
    # the per-agent table says that its rows count switches each way, not the net change
    expect(page.locator("#cmp-switches-note")).to_have_text(SWITCHES_NOTE)
    expect(page.locator("#chart-compare polyline")).to_have_count(2)
    # a comparison's progress counts the days of the run under way, not of all its runs
    # ("running: day 1,338 of 2,190 (B, pair 2)" for a question of 365 days), and the
    # numbers read as the text's (0.215 is 0.21 in both: words.significant)
    assert page.evaluate("runningText({kind: 'compare', about: {days: 365}, done: 1338, "
                         "total: 2190, side: 'b 2'})") == (
        "running B, pair 2: day 243 of 365 (run 4 of 6)")
    assert page.evaluate("[fmt(0.215), fmt(0.125), fmt(10.25), fmt(-10.25)]") == [
        in_digits(0.215), in_digits(0.125), in_digits(10.25, 3), in_digits(-10.25, 3)]
    # the runs of the comparison are told apart in the list: side, pair, what they change
    for side in ("A, pair 1", "A, pair 2", "B, pair 1", "B, pair 2"):
        expect(page.locator("#runs td", has_text=f"{side}: ")).to_have_count(1)
    expect(page.locator("#runs td", has_text="B, pair 2: ")).to_contain_text(
        "association penalty 0.5 points per day per listed contact")
    expect(page.get_by_role("button", name=re.compile(r"^Open run .* \(A, pair 1\)$"))
           ).to_have_count(1)
    # a stored run of the comparison opens the comparison again (the store keeps it)
    page.get_by_role("button", name=re.compile(r"^Open run .* \(A, pair 2\)$")).click()
    expect(page.locator("#comparison")).to_be_hidden()
    page.get_by_role("button", name=re.compile(r"^Open the comparison of run .* \(A, "
                                               r"pair 2\)$")).click()
    expect(page.locator("#comparison")).to_be_visible()
    expect(page.locator("#cmp-headline")).to_contain_text("Raising the association listed "
                                                          "penalty from 0 to 0.5")
    page.locator("#case-list button").first.click()  # a case file open in the picture
    expect(page.locator("#case-story")).to_contain_text("day ")
    shot = tmp_path / "dashboard.png"
    page.set_viewport_size({"width": 1200, "height": 1000})
    page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SCSIM_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, REPO / "docs" / "dashboard.png")


def test_compare_two_scenarios_as_scsim_compare_does(server, page, tmp_path):
    """"How much does criticism of the government fall once people fear the score?": A is
    no-system, kept by "Use these settings as A", and B national-800, chosen after it, as
    `scsim compare no-system national-800` takes them; the page says which each side is,
    and its answer is the command's for the same sizes and seeds. (Choosing national-800
    reset A to it: A and B were one run, and the comparison said nothing.)"""
    page.select_option("#source", "builtin:no-system")
    expect(page.locator("#b-settings")).to_have_text("B: no-system as shipped")
    ask(page, agents=3000, days=60, seed=3)
    page.fill("#reps", "2")
    page.click("#set-a")
    expect(page.locator("#a-settings")).to_have_text("A: no-system as shipped")
    page.select_option("#source", "builtin:national-800")
    expect(page.locator("#b-settings")).to_have_text("B: national-800 as shipped")
    expect(page.locator("#sides")).to_have_text(
        "A: no-system as shipped; B: national-800 as shipped")
    # the sizes typed stay with the scenario chosen: they are A's and B's (they were set
    # back to national-800's 9,000 agents and 365 days, to be typed again)
    expect(page.locator("#agents")).to_have_value("3000")
    expect(page.locator("#days")).to_have_value("60")
    expect(page.locator("#seed")).to_have_value("3")
    expect(page.locator("#compare")).to_be_enabled()
    expect(page.locator("#compare-problems li")).to_have_count(0)
    page.click("#compare")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    expect(page.locator("#cmp-labels")).to_have_text(
        "A: no-system · B: national-800 · 2 pairs, seeds 3, 4")
    cli = subprocess.run(
        [*SCSIM, "compare", "no-system", "national-800", "--agents", "3000", "--days", "60",
         "--seed", "3", "--reps", "2", "--json", "--quiet", "--store", str(tmp_path / "cli")],
        capture_output=True, text=True, check=True, env=dict(os.environ, NUMBA_NUM_THREADS="1"))
    said = json.loads(cli.stdout)
    expect(page.locator("#cmp-headline")).to_have_text(said["headline"])
    assert said["headline"].startswith("Running national-800 instead of no-system lists")
    expect(page.locator("#cmp-acts")).to_have_text(said["acts"])
    # the question's own figure: acts of criticising the government, B − A, as the command
    row = next(r for r in said["metrics"] if r["metric"] == "acts_criticising_government"
               and r["measure"] == "total")
    cells = page.locator("#cmp-metrics tr", has_text="acts of criticising government").first
    shown = cells.locator("td").all_text_contents()
    assert shown[3] == page.evaluate("fmt", row["diff"]), (shown, row)
    assert shown[5:7] == [page.evaluate("fmt", row["a"]), page.evaluate("fmt", row["b"])]
    # the runs kept: A's of no-system, B's of national-800
    expect(page.locator("#runs tr", has_text="A, pair 1: ").locator("td").nth(1)).to_have_text(
        "no-system")
    expect(page.locator("#runs tr", has_text="B, pair 1: ").locator("td").nth(1)).to_have_text(
        "national-800")
    # A is kept across a reload of the tab; "A: back to the scenario chosen" lets it go
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#sides")).to_have_text(
        "A: no-system as shipped; B: national-800 as shipped")
    page.click("#reset-a")
    expect(page.locator("#a-settings")).to_have_text("A: national-800 as shipped")
    expect(page.locator("#reset-a")).to_be_hidden()


def test_a_and_b_the_same_are_both_seen(page):
    """When A and B list the same people every day, B's line was drawn over A's and hid
    it: A is drawn wider beneath it, and a line under the legend says they are the same."""
    ask(page, agents=2000, days=30)
    page.fill("#reps", "1")
    page.click("#compare")  # A and B both as shipped
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    chart = page.locator("#chart-compare")
    widths = chart.locator("polyline").evaluate_all(
        "ls => ls.map(l => [l.querySelector('title').textContent, l.getAttribute('stroke-width')])")
    assert widths == [["A listed", "6"], ["B listed", "2"]]
    said = "A listed and B listed are the same here: one line over the other"
    expect(chart.locator("text.same-note")).to_have_text(said)
    expect(chart.locator("text.same-note")).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile(f"; {said}$"))
    # lines that differ: no note, each as wide as the other
    page.evaluate("""() => lineChart(document.getElementById('chart-compare'), [0, 1],
        [{name: 'A listed', values: [0, 1]}, {name: 'B listed', values: [0, 2]}])""")
    expect(chart.locator("text.same-note")).to_have_count(0)
    assert chart.locator("polyline").evaluate_all(
        "ls => ls.map(l => l.getAttribute('stroke-width'))") == ["2", "2"]


def test_a_dashed_line_is_shown_dashed_in_the_legend(page):
    """The comparison chart draws A dashed and B solid, and its legend showed both as
    filled squares of their colours: a dashed line's swatch is a dashed line."""
    page.evaluate("""() => lineChart(document.getElementById('chart-compare'), [0, 1],
        [{name: 'A listed', values: [0, 1], dash: '5 4', color: '#555'},
         {name: 'B listed', values: [0, 2]}])""")
    swatches = page.locator("#chart-compare .swatch")
    assert swatches.evaluate_all("ss => ss.map(s => [s.tagName, s.getAttribute("
                                 "'stroke-dasharray')])") == [["line", "5 4"], ["rect", None]]


def test_the_network_picture_keeps_one_key_handler_however_often_it_is_drawn(page):
    """The picture is drawn again for each run watched and each run opened: each drawing
    added a keyboard handler to the same picture, keeping every earlier drawing's dots
    alive in the page. However often it is drawn, it has one, and the arrows move one dot."""
    page.evaluate("""() => {
      const net = {nodes: [0, 1, 2, 3].map(a => ({agent: a, listed: a < 3, ever_listed: a < 3,
                                                    shamed: false})),
                   ties: [[0, 1, false], [1, 2, false], [2, 3, false]]};
      for (let k = 0; k < 3; k++) networkChart(document.getElementById('chart-network'), net);
    }""")
    cdp = page.context.new_cdp_session(page)
    svg = cdp.send("Runtime.evaluate", {
        "expression": "document.getElementById('chart-network')"})["result"]["objectId"]
    listeners = cdp.send("DOMDebugger.getEventListeners", {"objectId": svg})["listeners"]
    assert [entry["type"] for entry in listeners].count("keydown") == 1, listeners
    buttons = page.locator("#chart-network circle[role='button']")
    buttons.last.focus()
    page.keyboard.press("ArrowLeft")
    expect(buttons.nth(1)).to_be_focused()


def test_a_dot_of_the_network_is_tapped_near_it_on_a_phone(page):
    """The network picture's dots are 8 units wide, about 5 px on a phone: a tap beside a
    dot, where no other dot is nearer, opens its case file; the dots stay as small (the
    picture no more crowded) and the keyboard's one tab stop stays."""
    page.set_viewport_size({"width": 390, "height": 844})
    ask(page, agents=2000, days=30, seed=5)
    move(page, "listing.threshold", 28)  # 550 -> 690 points: listed agents in the picture
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    dots = page.locator("#chart-network circle")
    assert set(dots.evaluate_all("ds => ds.map(d => d.getAttribute('r'))")) == {"4"}
    expect(page.locator("#chart-network [tabindex='0']")).to_have_count(1)
    page.locator("#chart-network").scroll_into_view_if_needed()
    # a point 12 px from a listed dot, on no dot, nearer to it than to any other
    found = page.evaluate("""() => {
      const svg = document.getElementById('chart-network');
      const all = [...svg.querySelectorAll('circle')];
      const centre = d => { const r = d.getBoundingClientRect();
                            return [r.left + r.width / 2, r.top + r.height / 2]; };
      for (const dot of svg.querySelectorAll("circle[role='button']")) {
        const [x, y] = centre(dot);
        for (let a = 0; a < 2 * Math.PI; a += Math.PI / 12) {
          const px = x + 12 * Math.cos(a), py = y + 12 * Math.sin(a);
          if (document.elementFromPoint(px, py).tagName === 'circle') continue;
          const nearest = all.reduce((best, d) => {
            const [dx, dy] = centre(d), far = Math.hypot(dx - px, dy - py);
            return far < best[1] ? [d, far] : best; }, [null, Infinity])[0];
          if (nearest === dot) return {x: px, y: py, agent: dot.dataset.agent,
                                       size: dot.getBoundingClientRect().width};
        }
      }
      return null; }""")
    assert found and found["size"] < 8, found  # a dot smaller than a finger
    page.mouse.click(found["x"], found["y"])
    expect(page.locator("#case")).to_have_attribute("data-agent", found["agent"])
    expect(page.locator("#case-title")).to_contain_text(f"Agent {found['agent']}, run ")


def test_cancel_a_run(server, page):
    _, store = server
    ask(page, agents=50_000, days=2000)  # about a minute: cancelled in its first seconds
    page.click("#run")
    expect(page.locator("#progress-text")).to_contain_text("running: day", timeout=RUN)
    # the charts grow while the days pass, labelled as the run in progress
    expect(page.locator("#chart-listed polyline")).to_have_count(2)
    expect(page.locator("#chart-score polygon")).to_have_count(2)  # 5-95 %, 25-75 % bands
    expect(page.locator("#look-state")).to_contain_text(
        "Run in progress (national-800, 50,000 agents × 2,000 days, seed 1)")
    expect(page.locator("#watch .partial-tag").first).to_contain_text(
        re.compile(r"run in progress, days 0–\d+"))
    expect(page.locator("#look-empty")).to_be_hidden()
    # a reload in the middle: the question as it was, and the run watched again at once
    page.reload()
    expect(page.locator("#agents")).to_have_value("50000")
    expect(page.locator("#days")).to_have_value("2000")
    expect(page.locator("#progress-text")).to_contain_text("running: day", timeout=10_000)
    expect(page.locator("#cancel")).to_be_enabled()
    page.click("#cancel")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "cancelled",
                                                             timeout=RUN)
    # nothing was shown before it (the page was reloaded): its charts stay, labelled as a
    # cancelled run that was not kept; nothing of a finished run is shown with them
    expect(page.locator("#look-state")).to_contain_text(re.compile(
        r"The run cancelled on day \d+ \(national-800, 50,000 agents × 2,000 days, seed 1\) "
        r"was not kept as a result"))
    expect(page.locator("#watch .partial-tag").first).to_contain_text(
        re.compile(r"cancelled run, days 0–\d+, not kept as a result"))
    expect(page.locator("#chart-listed polyline")).to_have_count(2)
    expect(page.locator("#look-empty")).to_be_hidden()
    expect(page.locator("#chart-travel")).to_be_hidden()
    runs = catalogue(store, "SELECT status, error FROM runs WHERE agents = 50000")
    assert list(runs["status"]) == ["interrupted"]
    assert "cancelled in the dashboard" in runs["error"].iloc[0]


def test_a_cancelled_run_gives_back_the_run_shown_before(server, page):
    """Keyboard only: Enter on Run moves the focus to Cancel; while the new run goes on,
    "Look" shows its charts alone, labelled, not the earlier run's headline; Enter on
    Cancel brings the earlier run back whole, says the other was not kept, and gives the
    focus back to Run. The stored runs' buttons name their run."""
    ask(page, agents=2000, days=20, seed=3)
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    run_id = page.locator("#downloads").get_attribute("data-run")
    facts = page.locator("#facts").text_content()
    listed = page.locator("#chart-listed polyline").first.get_attribute("points")
    expect(page.get_by_role("button", name=f"Open run {run_id}")).to_have_count(1)
    expect(page.get_by_role("button", name=f"Delete run {run_id}")).to_have_count(1)
    ask(page, agents=50_000, days=2000)
    page.locator("#run").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cancel")).to_be_focused()
    expect(page.locator("#progress-text")).to_contain_text("running: day", timeout=RUN)
    expect(page.locator("#look-state")).to_contain_text("Run in progress (national-800, "
                                                        "50,000 agents × 2,000 days, seed 1)")
    for shown_before in ("#facts", "#headline", "#numbers", "#chart-groups", "#downloads"):
        expect(page.locator(shown_before)).to_be_hidden()
    page.keyboard.press("Enter")  # on Cancel
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "cancelled",
                                                             timeout=RUN)
    expect(page.locator("#run")).to_be_focused()
    expect(page.locator("#look-state")).to_contain_text(re.compile(
        r"The run cancelled on day \d+ .* was not kept as a result\. Shown again below: the "
        r"run shown before it\."))
    expect(page.locator("#facts")).to_have_text(facts)
    expect(page.locator("#headline p").first).to_be_visible()
    expect(page.locator("#watch .partial-tag").first).to_have_text("")
    assert page.locator("#chart-listed polyline").first.get_attribute("points") == listed


def test_a_setting_typed_moves_its_lever(page):
    """A setting a lever moves shows one value in both places, typed or slid, also after
    a reload; the advice it brings names the levers in words."""
    page.click("#all-settings summary")
    row = page.locator("#settings input[data-path='listing.threshold']")
    row.fill("650")
    expect(page.locator("#lever-listing-threshold + output")).to_have_text("650")
    expect(page.locator("#lever-listing-threshold")).to_have_value("650")
    expect(page.locator("#lever-listing-threshold")).to_have_attribute(
        "aria-valuetext", "650 points")  # as a screen reader says it
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#lever-listing-threshold + output")).to_have_text("650")
    expect(page.locator("#lever-listing-threshold")).to_have_value("650")
    move(page, "listing.threshold", 2)
    expect(row).to_have_value("660")
    page.locator("#lever-shaming-enabled").check()
    expect(page.locator("#lever-shaming-probability")).to_be_visible()
    expect(page.locator("#advice li")).to_have_text([
        "Public shaming is on but the Shaming probability is 0 %, so nobody will be shamed: "
        "move the Shaming probability slider"])
    page.click("#all-settings summary")
    page.locator("#settings input[data-path='shaming.enabled']").fill("false")
    expect(page.locator("#lever-shaming-enabled")).not_to_be_checked()
    expect(page.locator("#lever-shaming-enabled + output")).to_have_text("off")
    expect(page.locator("#advice li")).to_have_count(0)


def test_a_share_lever_shows_a_percentage_as_the_texts_say_it(page, tmp_path):
    """Every text and question speaks of a "0.1 %" false-match rate; the lever showed
    0.001. It shows (and a screen reader says) the percentage, moves by 0.01 %, takes a
    percentage typed in "All settings", and the words of what B changes give the share
    after it, as the scenario, --set and `scsim compare`'s headline write it."""
    slider = page.locator("#lever-surveillance-misattribution")
    beside = page.locator("#lever-surveillance-misattribution + output")
    row = page.locator("#settings input[data-path='surveillance.misattribution']")
    expect(page.locator(".lever[data-path='surveillance.misattribution'] .unit")).to_have_text(
        "(% of camera sightings)")
    expect(beside).to_have_text("0.1 %")
    expect(slider).to_have_attribute("aria-valuetext", "0.1 % of camera sightings")
    move(page, "surveillance.misattribution", 9)  # 0.01 % a press
    expect(beside).to_have_text("0.19 %")
    expect(slider).to_have_attribute("aria-valuetext", "0.19 % of camera sightings")
    expect(row).to_have_value("0.0019")  # the setting itself stays a share, as --set takes it
    expect(page.locator("#b-settings")).to_have_text(
        "B: national-800 with false-match rate 0.1 % → 0.19 % of camera sightings "
        "(surveillance.misattribution: 0.001 → 0.0019)")
    page.click("#all-settings summary")
    row.fill("0.5 %")  # a percentage typed: the share 0.005
    expect(beside).to_have_text("0.5 %")
    expect(page.locator("#changed-list li")).to_have_text([
        "false-match rate 0.1 % → 0.5 % of camera sightings (surveillance.misattribution: "
        "0.001 → 0.005)"])
    expect(page.locator("#run")).to_be_enabled()  # a question without a problem
    expect(page.locator("#problems li")).to_have_count(0)
    # compared as `scsim compare national-800 national-800 --set-b
    # surveillance.misattribution=0.01` compares it: the page's words and the command's
    ask(page, agents=2000, days=30, seed=1)
    page.fill("#reps", "1")
    slider.press("End")
    expect(beside).to_have_text("1 %")
    expect(row).to_have_value("0.01")
    said = ("false-match rate 0.1 % → 1 % of camera sightings (surveillance.misattribution: "
            "0.001 → 0.01)")
    expect(page.locator("#b-settings")).to_have_text(f"B: national-800 with {said}")
    expect(page.locator("#changed-list li")).to_have_text([said])
    page.click("#compare")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    expect(page.locator("#cmp-labels")).to_have_text(
        "A: national-800 · B: national-800, false-match rate 1 % of camera sightings "
        "(surveillance.misattribution=0.01) · 1 pair, seed 1")
    cli = subprocess.run(
        [*SCSIM, "compare", "national-800", "national-800", "--set-b",
         "surveillance.misattribution=0.01", "--agents", "2000", "--days", "30", "--seed",
         "1", "--reps", "1", "--json", "--quiet", "--store", str(tmp_path / "cli")],
        capture_output=True, text=True, check=True, env=dict(os.environ, NUMBA_NUM_THREADS="1"))
    headline = json.loads(cli.stdout)["headline"]
    expect(page.locator("#cmp-headline")).to_have_text(headline)
    # the page's words: a percentage, the shares after it
    assert ("from 0.1 % to 1 % of camera sightings (surveillance.misattribution: 0.001 → "
            "0.01)") in headline


def test_all_settings_counts_every_setting_changed(page):
    """"All settings (0 changed)" after a slider was moved: it counts, and lists, every
    setting that differs from the scenario as it comes, moved by a lever or typed."""
    from scsim.dashboard.levers import setting_in_words

    count, rows = page.locator("#changed-count"), page.locator("#changed-list li")
    expect(count).to_have_text("0")
    move(page, "listing.threshold", 2)  # 550 -> 560 points
    expect(count).to_have_text("1")
    expect(page.locator("#all-settings summary")).to_have_text("All settings (1 changed)")
    page.click("#all-settings summary")
    expect(page.locator("#changed-said")).to_have_text("Changed from national-800 as it comes (1):")
    expect(rows).to_have_text(["listing threshold 550 → 560 points (listing.threshold)"])
    threshold = page.locator("#settings input[data-path='listing.threshold']")
    expect(threshold).to_have_value("560")
    expect(threshold).to_have_class(re.compile(r"\bchanged\b"))  # marked as a typed one is
    page.locator("#settings input[data-path='fear.speed']").fill("0.2")
    page.locator("#lever-shaming-enabled").check()
    expect(count).to_have_text("3")
    words = [  # in the order of the table
        "listing threshold 550 → 560 points (listing.threshold)",
        "public shaming off → on (shaming.enabled)",
        "fear speed 0.05 → 0.2 share per day (fear.speed)"]
    expect(rows).to_have_text(words)
    # the server's words, the one place that words a changed setting: the page has none
    # of its own
    assert [setting_in_words(change) for change in (
        "listing.threshold: 550 → 560", "shaming.enabled: false → true",
        "fear.speed: 0.05 → 0.2")] == words
    expect(page.locator("#b-settings")).to_have_text(f"B: national-800 with {', '.join(words)}")
    move(page, "listing.threshold", -2)  # back to the scenario's: not a change
    expect(count).to_have_text("2")
    expect(threshold).not_to_have_class(re.compile(r"\bchanged\b"))
    page.reload()  # the question kept, and so its count
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(count).to_have_text("2")


def test_choosing_another_scenario_keeps_the_sizes_typed(page):
    """A teacher comparing no-system with national-800 at 2,000 agents typed it again after
    each choice: the Agents and Days boxes typed into keep their numbers; a box left at
    the last scenario's default takes the next one's (high-control runs 730 days)."""
    expect(page.locator("#days")).to_have_value("365")  # national-800's
    page.fill("#agents", "2000")
    page.select_option("#source", "builtin:high-control")
    expect(page.locator("#days")).to_have_value("730")
    expect(page.locator("#agents")).to_have_value("2000")
    page.fill("#days", "30")
    page.select_option("#source", "builtin:no-system")
    expect(page.locator("#b-settings")).to_have_text("B: no-system as shipped")
    expect(page.locator("#agents")).to_have_value("2000")
    expect(page.locator("#days")).to_have_value("30")
    expect(page.locator("#run")).to_be_enabled()


def test_a_long_run_is_drawn_and_a_large_seed_kept_exactly(server, page):
    """A run of 40,000 days stayed on "running" for good: its charts took their range
    with Math.min(...values), which overflows the stack; and seed 123456789012345678 went
    through JavaScript's numbers and came back as ...680, on the page and when the
    question was asked again."""
    days = 200_000  # values: enough to overflow here (the page's deeper stack, fewer)
    errors = page.evaluate(f"""() => {{
        const x = Array.from({{length: {days}}}, (_, k) => k);
        try {{
            lineChart(document.querySelector("#chart-listed"), x,
                      [{{name: "listed", values: x.map(k => k % 7)}}], [], "day");
            return "";
        }} catch (err) {{ return String(err); }}
    }}""")
    assert errors == ""
    seed = "123456789012345678"
    ask(page, agents=300, days=3, seed=seed)
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    expect(page.locator("#facts")).to_contain_text(f"seed {seed}")
    page.fill("#seed", "1")
    page.click("#load-question")
    expect(page.locator("#seed")).to_have_value(seed)


def test_an_error_answer_is_not_a_silence(server, page):
    """The dashboard answering with an error (a plain-text 500) is said as such, with its
    reason; "did not answer" is kept for a request that got no answer."""
    url, _ = server
    report = page.context.new_page()
    report.route("**/report?build=1", lambda route: route.fulfill(
        status=500, body="Internal Server Error", content_type="text/plain"))
    report.goto(url + "api/runs/20260101-000000-abcd/report")
    expect(report.locator("#report-status")).to_have_text(
        "The report could not be built: the dashboard answered with an error (HTTP 500: "
        "Internal Server Error).")
    report.unroute("**/report?build=1")
    report.route("**/report?build=1", lambda route: route.abort())
    report.reload()
    expect(report.locator("#report-status")).to_have_text(
        "The report could not be built: the dashboard did not answer (is scsim dashboard "
        "still running?).")
    report.close()
    page.route("**/api/validate", lambda route: route.fulfill(
        status=500, body='{"error": "disk full"}', content_type="application/json"))
    page.fill("#seed", "2")
    expect(page.locator("#problems li")).to_have_text([
        "The question could not be checked: the dashboard answered with an error (HTTP "
        "500: disk full)"])
    expect(page.locator("#run")).to_be_disabled()
    page.unroute("**/api/validate")
    page.fill("#seed", "3")
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#run")).to_be_enabled()


def test_open_then_delete_a_run_on_a_phone_screen(server, page):
    """At phone width the page does not scroll sideways; Open on a stored run brings its
    results into view with what it changes and lets its question be asked again; its
    case files say how many there are and any agent opens by number; deleting the run
    shown empties "Look" and says so."""
    page.set_viewport_size({"width": 390, "height": 844})
    ask(page, agents=2000, days=30, seed=5)
    move(page, "listing.threshold", 20)  # 550 -> 650 points
    page.click("#run")
    expect(page.locator("#run")).to_be_disabled()  # one run at a time: no second click
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    expect(page.locator("#run")).to_be_enabled()
    run_id = page.locator("#downloads").get_attribute("data-run")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the charts are drawn at the width they are shown, their text at 11 px (a drawing
    # 560 wide shrunk to the phone made it 6.6 px), the bars' labels within the chart
    for chart in ("#chart-listed", "#chart-score", "#chart-travel"):
        sizes = page.locator(f"{chart} text").evaluate_all(
            "ts => ts.map(t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize))")
        assert sizes and min(sizes) >= 10.5, (chart, sizes)
    assert page.locator("#chart-travel").evaluate(
        """svg => { const box = svg.getBoundingClientRect();
                    return [...svg.querySelectorAll('text')].every(t => {
                      const r = t.getBoundingClientRect();
                      return r.left >= box.left - 1 && r.right <= box.right + 1; }); }""")
    page.fill("#seed", "9")  # another question is being set up
    row = page.locator(f"#runs tr[data-run='{run_id}']")
    row.scroll_into_view_if_needed()
    row.locator("button.open").click()
    facts = page.locator("#facts")
    expect(facts).to_be_in_viewport()
    # the scenario list holds the stored runs by now: still no sideways scrolling
    expect(page.locator(f"#source option[value='run:{run_id}']")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(facts).to_contain_text(f"national-800, run {run_id}: 2,000 agents × 30 days, "
                                  "seed 5; changed: listing threshold 550 → 650 points "
                                  "(listing.threshold)")
    page.click("#load-question")
    expect(page.locator("#seed")).to_have_value("5")
    expect(page.locator("#source")).to_have_value(f"run:{run_id}")
    expect(page.locator("#lever-listing-threshold + output")).to_have_text("650")
    expect(page.locator("#case-count")).to_contain_text("agents with case files")
    page.fill("#agent-id", "7")
    page.click("#open-agent button")
    expect(page.locator("#case")).to_have_attribute("data-agent", "7")
    # a number past the last agent is said, not refused silently by the browser's own check
    page.fill("#agent-id", "2000")
    page.click("#open-agent button")
    expect(page.locator("#case-message")).to_have_text("Type an agent number from 0 to 1,999.")
    asked: list[str] = []  # the question names the run in words, not by its id alone
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    row.locator("button.delete").click()
    expect(page.locator("#look-empty")).to_contain_text("was deleted")
    assert asked[0].startswith(f"Delete run {run_id} (national-800, 2,000 agents × 30 days, "
                               "seed 5: ") and "comparison" not in asked[0], asked
    expect(page.locator("#look-empty")).to_have_text(
        f"Run {run_id} was deleted: nothing to show. Run a question, or open a stored run "
        "below.")
    # the question started from that run: it starts again from the built-in, and says so
    expect(page.locator("#run-message li")).to_have_text(
        f"Run {run_id}, which this question started from, was deleted: the question "
        "starts again from national-800.")
    expect(page.locator("#source")).to_have_value("builtin:national-800")
    expect(page.locator("#a-settings")).to_have_text("A: national-800 as shipped")
    expect(page.locator("#run")).to_be_enabled()
    expect(page.locator("#headline p")).to_have_count(0)
    expect(page.locator("#downloads a")).to_have_count(0)
    expect(page.locator("#case")).to_be_hidden()


def test_a_run_missing_from_the_list_is_not_taken_for_deleted(server, page):
    """The list of scenarios (/api/scenarios) holds only the newest 200 stored runs: a run
    the question and A start from that it no longer lists was taken for deleted (the
    question and A reset, "was deleted" said). The page asks /api/runs/ID, which answers
    404 only for a run the store does not hold."""
    ask(page, agents=2000, days=20, seed=11)
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    run_id = page.locator("#downloads").get_attribute("data-run")
    page.click("#load-question")
    expect(page.locator("#source")).to_have_value(f"run:{run_id}")
    page.click("#set-a")
    expect(page.locator("#a-settings")).to_contain_text(f"run {run_id}")

    def older(route):  # the list as it is once 200 newer runs are stored
        answer = route.fetch()
        data = answer.json()
        data["stored"] = [r for r in data["stored"] if r["id"] != run_id]
        route.fulfill(response=answer, json=data)

    page.route("**/api/scenarios", older)
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#runs tr[data-run]")).not_to_have_count(0)  # the list refreshed
    expect(page.locator("#source")).to_have_value(f"run:{run_id}")
    expect(page.locator("#a-settings")).to_contain_text(f"run {run_id}")
    expect(page.locator("#run-message li")).to_have_count(0)
    expect(page.locator("#run")).to_be_enabled()


def test_a_reload_keeps_the_question(server, page):
    """Reloading the tab keeps the question being set up: the boxes, the levers moved and
    the settings kept as A (they were the scenario's defaults again)."""
    ask(page, agents=2000, days=30, seed=7)
    move(page, "listing.threshold", 2)  # 550 -> 560 points
    page.click("#set-a")
    kept = "A: national-800 with listing threshold 550 → 560 points (listing.threshold)"
    expect(page.locator("#a-settings")).to_have_text(kept)
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#seed")).to_have_value("7")
    expect(page.locator("#agents")).to_have_value("2000")
    expect(page.locator("#lever-listing-threshold + output")).to_have_text("560")
    expect(page.locator("#a-settings")).to_have_text(kept)
    expect(page.locator("#run")).to_be_enabled()
    # a box typed into and the tab reloaded at once, before the question is checked: kept
    # (it was saved only with the check, a quarter of a second later)
    page.fill("#agents", "4321")
    page.reload()
    expect(page.locator("#agents")).to_have_value("4321")
    expect(page.locator("#seed")).to_have_value("7")
    # and a reload while the page is still restoring it keeps it too
    page.reload()
    page.reload()
    expect(page.locator("#agents")).to_have_value("4321")
    expect(page.locator("#lever-listing-threshold + output")).to_have_text("560")


def test_what_is_typed_as_soon_as_it_says_ready_is_kept(server, browser):
    """A journalist typed 5000 into Agents the moment the page said "Ready": the
    scenario's default arrived three quarters of a second later and the box read 9000 (or
    900000, merged), and the run went out at 9,000 agents. The boxes open, and the page
    says "Ready", only once the question is loaded into them."""
    url, _ = server
    page = browser.new_page()
    page.goto(url)
    for box in ("#source", "#agents", "#days", "#seed"):  # disabled until loaded
        assert page.locator(box).is_disabled() or page.locator(
            "#status").get_attribute("data-state") == "ready"
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    page.fill("#agents", "5000")
    page.wait_for_timeout(1500)  # longer than the question took to load
    expect(page.locator("#agents")).to_have_value("5000")
    page.close()


def test_a_report_fits_a_phone_screen(browser, tmp_path):
    """A report's wide tables (the summary, case files) made the whole page scroll
    sideways on a phone: they scroll inside their own box now."""
    import scsim

    res = scsim.simulate("informants", agents=1000, days=30, seed=3, trace=5)
    page = browser.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(scsim.report(res, tmp_path / "report").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('table')].map("
                           "t => t.scrollWidth))")
    assert widest > 390  # there is a table wider than the phone, and it scrolls within
    page.close()


def test_a_comparison_report_prints_every_column(browser, tmp_path):
    """Printed on A4 (about 720 CSS pixels between the margins), the per-metric table of a
    comparison lost its last columns (95 % high and the change: a table scrolled in its
    own box, which paper cannot); each table fits the page now and repeats its header."""
    import scsim

    a, b = (scsim.load_scenario("national-800", agents=1000, days=20,
                                overrides={"surveillance.misattribution": rate})
            for rate in (0.001, 0.01))
    cmp = scsim.compare(a, b, seed=1, reps=2)
    page = browser.new_page()
    page.set_viewport_size({"width": 720, "height": 1000})
    page.goto(scsim.report(cmp, tmp_path / "report").as_uri())
    page.emulate_media(media="print")
    widths = page.evaluate("[...document.querySelectorAll('table')].map(t => "
                           "[t.scrollWidth, t.getBoundingClientRect().width])")
    assert len(widths) >= 3 and all(scroll <= shown + 1 and shown <= 720
                                    for scroll, shown in widths), widths
    assert page.evaluate("getComputedStyle(document.querySelector('thead')).display") == (
        "table-header-group")
    page.close()


def test_the_agents_box_starts_at_a_size_a_comparison_fits(page):
    """Under the dashboard's default limit (20 million agent-days) a comparison of the 3
    pairs the page starts with fits at once: 9,000 agents for national-800's year (6 runs ×
    9,000 × 365 = 19.7 million), not its 10,000; never more than the scenario's own."""
    def first_agents(agents, days):
        return page.evaluate("([agents, days]) => { page.maxAgentDays = 20000000; "
                             "return defaultAgents({agents, days}); }", [agents, days])

    assert first_agents(10_000, 365) == 9000
    assert first_agents(100_000, 730) == 4000  # 4,566 fit: rounded down to thousands
    assert first_agents(1_000, 365) == 1000
    assert first_agents(100_000, 20) == 20_000  # at most 20,000 however short the run


def test_two_tabs_are_two_pages(server, page):
    """Two tabs of one browser: the second neither draws the first one's run as its own
    nor waits for it."""
    url, _ = server
    ask(page, agents=2000, days=30, seed=21)
    page.click("#run")
    other = page.context.new_page()
    other.goto(url)
    expect(other.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    expect(other.locator("#facts")).to_have_text("")
    expect(other.locator("#progress-text")).to_have_text("")
    expect(other.locator("#run")).to_be_enabled()
    other.close()


def test_the_page_asks_nothing_of_other_hosts(server, browser, page):
    """Every request of every page of these tests (the page, its files, the API, CSV
    downloads) went to 127.0.0.1; this test adds a run and its HTML report (built once,
    then served from the store)."""
    _, store = server
    ask(page, agents=2000, days=30)
    page.click("#run")
    expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                             timeout=RUN)
    with page.context.expect_page() as report:
        page.click("#downloads a:text('HTML report')")
    # a page that says the report is being built, then the report
    expect(report.value.locator("h1")).to_contain_text("scsim report: national-800",
                                                       timeout=RUN)
    report.value.close()
    run_id = page.locator("#downloads").get_attribute("data-run")
    kept = store / "reports" / run_id / "report.html"
    built = kept.stat().st_mtime_ns
    with page.context.expect_page() as again:  # kept in the store: shown, not rebuilt
        page.click("#downloads a:text('HTML report')")
    expect(again.value.locator("h1")).to_contain_text("scsim report: national-800")
    again.value.close()
    assert kept.stat().st_mtime_ns == built
    hosts = {urlsplit(url).hostname for url in browser.requested
             if not url.startswith(("data:", "blob:", "file:"))}  # file: a report's test
    paths = {urlsplit(url).path for url in browser.requested}
    assert {"/", "/static/app.js", "/static/charts.js", "/static/style.css", "/api/run"} <= paths
    assert any(path.endswith("/report") for path in paths)
    assert hosts == {"127.0.0.1"}
