"""The documentation site describes every scenario key and every metric column that the code
has: docs/hooks.py generates them into the pages when the site is built."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

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
