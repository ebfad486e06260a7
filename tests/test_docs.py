"""The documentation site describes every scenario key and every metric column that the code
has: docs/hooks.py generates them into the pages when the site is built."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest

from conftest import REPO
from scsim.scenario.reference import reference_markdown

DOCS = REPO / "docs"


def _hooks():
    spec = importlib.util.spec_from_file_location("scsim_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


def built(page: str) -> str:
    """The Markdown of a page as the site build sees it, generated parts filled in."""
    fake = SimpleNamespace(file=SimpleNamespace(src_uri=page))
    return hooks.on_page_markdown((DOCS / page).read_text(encoding="utf-8"), page=fake,
                                  config=None, files=None)


def test_scenario_reference_is_generated_into_the_scenarios_page():
    page = built("scenarios.md")
    assert reference_markdown().strip() in page
    assert "<!-- scsim:" not in page


def test_every_metric_is_documented_from_the_registry():
    assert hooks.undescribed_metrics() == []
    page = built("metrics.md")
    assert hooks.undocumented_metric_columns(page) == []
    assert "`acts_NAME`" in page and "`national-800`" in page
    assert "| `refused_transactions` | transactions per day | count | yes |" in page
    assert "<!-- scsim:" not in page


def test_mechanisms_page_lists_every_mechanism_in_day_order():
    from scsim.core.mechanism import mechanisms

    page = built("mechanisms/index.md")
    positions = [page.index(f"`{m.module.removeprefix('scsim.').replace('.', '/')}.py`")
                 for m in mechanisms()]
    assert positions == sorted(positions)
    assert "[shunning](shunning.md)" in page and "<!-- scsim:" not in page
    config = {"nav": [{"Mechanisms": ["mechanisms/index.md"]}]}
    assert "mechanisms/shunning.md" in hooks.on_config(config)["nav"][0]["Mechanisms"]


def test_benchmark_table_lives_in_the_performance_page():
    page = (DOCS / "performance.md").read_text(encoding="utf-8")
    assert "<!-- bench-table:start -->\n" in page and "<!-- bench-table:end -->" in page


def test_architecture_page_shows_the_real_shunning_code():
    import re

    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    part = page[page.index("## Add a mechanism in one file"):page.index("## The numba cache")]
    blocks = re.findall(r"```python\n(.*?)```", part, re.S)
    source = (REPO / "src" / "scsim" / "mechanisms" / "shunning.py").read_text(encoding="utf-8")
    assert len(blocks) >= 6
    for block in blocks:
        assert block in source, block[:80]


# The page of each mechanism whose example the test below checks, and what says the example
# uses it: the mechanism's own switch (``in_use``) and its compiled ``on``, or for the school
# bar (part of sanctions, always there) its θ_school.
EXAMPLE_PAGES = {"detention", "family-rewards", "impunity", "perceived-surveillance",
                 "school-bar", "shunning"}


def test_every_mechanism_example_is_a_scenario_that_uses_its_mechanism(tmp_path):
    import math
    import re

    from scsim.core.mechanism import mechanism
    from scsim.core.params import Names
    from scsim.scenario import load_scenario

    found = set()
    for page in sorted((DOCS / "mechanisms").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
        if not blocks:
            assert "## Example" not in text, f"{page.name}: an Example without YAML"
            continue
        found.add(page.stem)
        for k, block in enumerate(blocks):
            path = tmp_path / f"{page.stem}-{k}.yaml"
            path.write_text(block, encoding="utf-8")
            sc = load_scenario(path)  # as `scsim validate` reads the saved file
            assert sc.behaviours, f"{page.name}: the example's scenario has no behaviours"
            names = Names.of(sc)
            if page.stem == "school-bar":
                p = mechanism("sanction").compile(sc, names)
                assert p.school_bar and p.school_threshold > -math.inf, page.name
                continue
            m = mechanism(page.stem.replace("-", "_"))
            assert m.in_use(sc) and m.compile(sc, names).on, f"{page.name}: {m.name} is off"
    assert found == EXAMPLE_PAGES


def test_sql_examples_of_the_runs_page_run_as_pasted(tmp_path, monkeypatch, capsys):
    """Each `scsim query "..."` example of runs.md, split into words as a shell splits it,
    runs and gives rows (they started with an `-- comment` line, which the command line
    took for an option)."""
    import re
    import shlex

    import scsim
    from conftest import run_cli

    store = tmp_path / "store"
    for overrides in ([], ["surveillance.misattribution=0.05"]):
        scsim.simulate("national-800", agents=2000, days=40, seed=1, overrides=overrides,
                       store=store)
    scsim.compare(*(scsim.load_scenario("national-800", agents=500, days=10, overrides=o)
                    for o in ([], ["listing.threshold=600"])), reps=2, store=store)
    monkeypatch.setenv("SCSIM_STORE", str(store))
    page = (DOCS / "runs.md").read_text(encoding="utf-8")
    part = page[page.index("## SQL"):page.index("## Paired comparisons")]
    blocks = re.findall(r"```sh\n(.*?)```", part, re.S)
    assert len(blocks) == 6
    for block in blocks:
        words = shlex.split(block)
        assert words[:2] == ["scsim", "query"] and len(words) == 3, block[:60]
        code, out, err = run_cli(monkeypatch, capsys, *words[1:], "--csv")
        assert code == 0, (block[:60], err)
        assert len(out.splitlines()) >= 2, block[:60]  # a header and rows


def test_python_help_describes_the_calls():
    """help(scsim.report) showed the package's contents, not how to call it; help(
    scsim.simulate) did not say what agents, days, seed and threads are."""
    import inspect
    import pydoc

    import scsim

    assert list(inspect.signature(scsim.report).parameters) == [
        "results", "folder", "store", "force"]
    text = pydoc.render_doc(scsim.report, renderer=pydoc.plaintext)
    assert "scsim.report(results, folder=None, *, store=None, force=False) -> Path" in text
    doc = " ".join(inspect.getdoc(scsim.simulate).split())
    for words in ("``seed``: a whole number from 0 to 2**63 - 1",
                  "``agents``: how many people are simulated", "``days``: how many days",
                  "``threads``: how many CPU threads"):
        assert words in doc, words


def test_the_citation_names_the_version_scsim_reports():
    """CITATION.cff (how to cite scsim) gives the version that `scsim --version` and the run
    store record, so a citation and a run can be matched."""
    import yaml

    import scsim

    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    assert str(citation["version"]) == scsim.__version__


def _tour_tables(page: str) -> tuple[dict, dict]:
    """The tour's `--full` excerpt of ``page``: per metric (by label, as the table says
    them on a row's first line, above its measure), the means (A, B) of each row; per
    agent, the mean of each figure."""
    import re

    def number(text: str) -> float:
        return float(text.replace(",", "").replace("−", "-"))

    metrics, agents = {}, {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 5 and re.fullmatch(r"[a-z ]+", cells[0]) and cells[1]:
            metrics[cells[0]] = number(cells[1]), number(cells[2])
        elif len(cells) == 3 and cells[0].startswith(("listed under", "wrongfully listed")):
            agents[cells[0]] = number(cells[1])
    return metrics, agents


def test_the_tours_full_excerpt_agrees_with_its_own_headline():
    """The tour's `--full` excerpt (penalty 0 against 1) was left from before the
    error-free record counted rightful neighbours' listings (2026-12-02): 5,930 people
    wrongfully listed on the final day and 8,641 wrongful listings under B, next to a
    headline and a per-agent table of 136 people ever wrongfully listed under B. Nobody
    is wrongfully listed on the last day who never was (B's wrongfully listed on the
    final day are at most those wrongfully listed under B and not A, plus A's), and
    the excerpt's figures are the headline's."""
    from scsim.outputs.metrics import metric_label

    for name in ("getting-started.md",):
        page = (DOCS / name).read_text(encoding="utf-8")
        tour = page[page.index("## A five-minute tour"):page.index("## The command line")]
        metrics, agents = _tour_tables(tour)
        wrongful_listed, wrongful_new, newly_listed = (metric_label(c) for c in (
            "wrongful_listed", "wrongful_new", "newly_listed"))
        assert {"listed", wrongful_listed, wrongful_new} <= metrics.keys(), name
        only_b = agents["wrongfully listed under B, not under A"]
        a_ever = metrics[wrongful_new][0]  # A's wrongful listings: at least its people
        assert metrics[wrongful_listed][1] <= only_b + a_ever, name
        assert metrics["listed"][1] <= agents["listed under B, not under A"] + \
            metrics[newly_listed][0], name
        headline = f"and {round(only_b):,} more wrongfully listed (95 % CI"
        assert headline in tour, name


def test_the_sweep_excerpt_and_the_tour_agree_where_they_measure_the_same():
    """The experiments page's sweep excerpt (national-800, 20,000 agents, a year) said a
    0.1 % false-match rate under a penalty of 1 point made 12,962 ± 6,600 wrongful
    listings, "more than half of all listings", from before the error-free record counted
    rightfully listed neighbours; the tour's comparison of the same setting (penalty 1,
    the shipped 0.1 %, the same size) gives 136 (95 % CI 69 to 203). Two estimates of
    one mean over different seeds: their 95 % intervals overlap, and so do the listed on
    the last day."""
    import re

    def interval(cell: str) -> tuple[float, float, float]:
        """A cell of the sweep table as (mean, low, high): "276.8 ± 167.4", or, where an
        end is cut at what the output can be, "0.4 (0 to 1.511)"."""
        number = r"(-?[\d,.]+)"
        cut = re.fullmatch(rf"{number} \({number} to {number}\)", cell)
        if cut:
            return tuple(float(x.replace(",", "")) for x in cut.groups())
        mean, half = (float(x.replace(",", "")) for x in cell.split(" ± "))
        return mean, mean - half, mean + half

    page = (DOCS / "experiments.md").read_text(encoding="utf-8")
    cells = {}
    for row in re.findall(r"^│(.*)│$", page, re.M):
        cells_ = [c.strip() for c in row.split("│")]
        if len(cells_) == 6 and cells_[0].isdigit():
            penalty, rate = float(cells_[1]), float(cells_[2])
            cells[penalty, rate] = [interval(c) for c in cells_[4:6]]
    (_, wrongful_low, wrongful_high), (listed, listed_low, listed_high) = cells[1.0, 0.001]
    tour = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    metrics, _ = _tour_tables(tour[tour.index("## A five-minute tour"):])
    low, high = (float(x) for x in re.search(
        r"and (\d+) more wrongfully listed \(95 % CI (\d+) to (\d+)\)", tour).groups()[1:])
    assert wrongful_low <= high and low <= wrongful_high
    # B's listed, 5 pairs
    assert abs(listed - metrics["listed"][1]) <= 2 * (listed_high - listed_low)
    assert cells[1.0, 0.0][0] == (0, 0, 0)  # no error, no wrongful listing
    assert cells[0.0, 0.001][0] == (0.4, 0, 1.511)  # a count's interval stops at 0


@pytest.mark.slow
def test_the_informants_comparison_of_the_runs_page_gives_what_it_says():
    """runs.md's example comparison (informants with shaming switched off, 20,000 agents, a
    year, seeds 1-5) quoted figures from before wrongful listings in cascades were fixed:
    "110.4 more penalised acts (33.5 to 187.3)", a change the command no longer finds
    (91.2, −24.8 to 207.2), and a headline the command no longer writes. About a minute:
    `pytest -m slow`."""
    import scsim
    from scsim.outputs.headline import comparison_headline

    page = " ".join((DOCS / "runs.md").read_text(encoding="utf-8").split())
    b = scsim.load_scenario("informants", overrides={"shaming.enabled": False})
    cmp = scsim.compare("informants", b, seed=1, reps=5, agents=20_000, days=365)
    sentence = comparison_headline(cmp)
    quoted = sentence[sentence.index("lists"):].removesuffix(".")
    assert f'switching public shaming off "{quoted}"' in page
    m = cmp.metrics().set_index("metric")

    def told(col: str, scale: float = 1.0) -> str:
        lo, hi = (f"{v:,.1f}".replace("-", "−") for v in
                  sorted((scale * m.loc[col, "lo"], scale * m.loc[col, "hi"])))
        return f"({lo} to {hi})"

    assert f"{m.loc['penalised_acts', 'diff']:,.1f} more, " + told(
        "penalised_acts")[1:] in page
    assert f"grow by {-m.loc['points_listed_penalty', 'diff']:,.1f} " + told(
        "points_listed_penalty", -1) in page
    assert f"13.2 more new listings {told('newly_listed')}" in page


def test_the_case_file_excerpt_of_the_provenance_page_is_the_runs(tmp_path):
    """provenance.md quotes agent 619's case file from a run it names: every line quoted is
    a line of that case file today (the page kept the scores of an older version from day
    77 on: 610.0 and +3.3 for 609.0 and +2.2)."""
    import scsim
    from scsim.outputs.casefile import Trace

    page = (DOCS / "provenance.md").read_text(encoding="utf-8")
    block = page[page.index("```\nagent 619: case file"):]
    quoted = [line for line in block[4:block.index("```", 4)].splitlines()
              if line and line != "…"]
    sc = scsim.load_scenario("national-800", agents=3000, days=120, overrides={
        "surveillance.misattribution": 0.05, "listing.threshold": 690})
    res = scsim.simulate(sc, seed=1, trace=Trace(sample=50, wrongful=True))
    told = res.explain(619).text.splitlines()
    assert len(quoted) > 20 and [line for line in quoted if line not in told] == []


def test_the_command_lines_of_getting_started_say_what_runs_and_query_print(
        tmp_path, monkeypatch, capsys):
    """getting-started's `scsim runs` said "every run kept in ./scsim-runs", where the
    table shows the newest RUNS_SHOWN; its `scsim query` example printed a column headed
    "count_star()". The comment says how many, and each query of the block, pasted,
    names its columns in words (no SQL function's name for a header)."""
    import re
    import shlex

    import scsim
    from conftest import run_cli
    from scsim.cli.store import RUNS_SHOWN

    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    block = page[page.index("## The command line"):page.index("`scsim run` shows")]
    assert re.search(rf"^scsim runs +# .*newest first \({RUNS_SHOWN}; --limit N\)$", block,
                     re.M)
    queries = [line.split("   #")[0] for line in block.splitlines()
               if line.startswith("scsim query ")]
    assert queries
    scsim.simulate("no-system", agents=200, days=3, seed=1, store=tmp_path / "store")
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    for query in queries:
        code, out, err = run_cli(monkeypatch, capsys, *shlex.split(query)[1:], "--csv")
        assert code == 0, err
        header = out.splitlines()[0].lstrip("\ufeff").split(",")
        assert not [name for name in header if "(" in name], (query, header)


def test_the_dashboard_page_says_what_the_dashboard_says():
    """dashboard.md quotes court-blacklist as the list of scenarios names it (the list said
    "List-only: ...", which a teacher could not read), and says where the record's words
    are defined: its columns beside the agents table's code, not in the dashboard's terms
    alone."""
    from scsim.dashboard.views import plain_title
    from scsim.scenario import load_scenario

    page = " ".join((DOCS / "dashboard.md").read_text(encoding="utf-8").split())
    title = plain_title(load_scenario("court-blacklist").description)
    assert f'"court-blacklist — {title}"' in page
    assert not title.startswith("List-only")
    assert "`outputs.result.AGENT_COLUMNS`" in page


def test_the_built_in_scenarios_are_said_in_their_own_words():
    """The scenarios page described the built-ins by hand beside its generated table, in
    older words than theirs ("from the start (group prior)", "score deltas",
    "court-blacklist with travel attempts set for the other reading"): the table says each
    one's own description, and the hand-written list only adds to it, one entry for each
    built-in."""
    import re

    from scsim.scenario import builtin_names, load_scenario

    page = built("scenarios.md")
    for name in builtin_names():
        assert " ".join(load_scenario(name).description.split()) in page, name
    section = page[page.index("## Built-in scenarios"):page.index("## Scenario files")]
    added = re.findall(r"^\* `([a-z0-9-]+)`:", section, re.M)
    assert sorted(added) == sorted(builtin_names())
    for old in ("group prior", "score deltas", "for the other reading", "List-only"):
        assert old not in section, old
    assert "<!-- scsim:" not in page


def test_every_source_of_points_is_described_as_the_code_declares_it():
    """provenance.md's table of the sources of points was written by hand in older words
    than the code's ("β per listed active neighbour", "a clamp to [scoring.min,
    scoring.max]") and lacked detention_household: it is generated from the sources the
    mechanisms declare, each with its words, its description and the mechanisms booking
    to it."""
    from scsim.core.source import source_registry

    page = built("provenance.md")
    for s in source_registry():
        assert f"| `{s.name}` | {s.label} |" in page, s.name
        assert s.description in page, s.name
    assert "| `clamping` | clamping | score, detention, companies |" in page
    assert "β per listed" not in page and "<!-- scsim:" not in page


def test_ci_is_spelled_out_before_a_reader_meets_it():
    """The tour's answers read "(95 % CI 18 to 69)", and the dashboard's comparison says
    the same, but neither the README, the getting-started page nor the page a teacher
    presses Compare on said what "CI" stands for or how to read one: "with the 95 %
    interval over the pairs" was all. Each says it before its first "95 % CI"."""
    pages = {"README.md": (REPO / "README.md").read_text(encoding="utf-8"),
             "getting-started.md": (DOCS / "getting-started.md").read_text(encoding="utf-8"),
             "dashboard page": (REPO / "src" / "scsim" / "dashboard" / "static"
                                / "index.html").read_text(encoding="utf-8")}
    for name, text in pages.items():
        text = " ".join(text.split())
        spelled = text.find("confidence interval")
        assert spelled >= 0, name
        first = text.find("95 % CI ")  # as an answer says it, a number after it
        assert first < 0 or spelled < first, name
        assert "95 % CI" in text[:spelled + 200], name  # the abbreviation named with it
