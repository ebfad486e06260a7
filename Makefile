# The two commands of the README: `make run` and `make test`. Both build the virtual
# environment (.venv) on first use, so a fresh machine needs nothing but python3 >= 3.11.
# `make test` also builds the documentation site with --strict; `make docs` builds it into site/.
# `make bench` (about 7 minutes) and `make bench-quick` (10^5 agents) measure speed and
# memory (benchmarks/, with Mesa for the comparison); they are not part of `make test`.
# `make mutation` (about 7 minutes on 2 cores) runs a seeded sample of cosmic-ray mutants of the
# mechanism modules against tests/test_steps.py and tests/test_kernels.py (docs/testing.md);
# not part of `make test`; it installs the `mutation` extra (cosmic-ray).
# `make golden` rewrites tests/data/golden.json, the digests of every output column that
# tests/test_golden.py checks (see tests/golden.py); a change to it needs a CHANGELOG.md line.
# `make test` also drives the dashboard in headless Chromium (tests/test_dashboard_browser.py):
# Debian's chromium and chromium-driver are installed when missing and make runs as root
# (apt-get); otherwise those tests are skipped with a loud message.
# The suite runs in two processes (pytest-xdist, one file to a process at a time): on the
# 2-core CI machine 545 s instead of 746 s with a warm cache, side by side on 2026-12-05;
# `pytest` alone runs it in one.
# The environment gets every extra (experiments, report, dashboard) and the dev tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# mkdocs-material prints a notice about MkDocs 2 on every build unless this is set.
export NO_MKDOCS_2_WARNING := 1

.PHONY: run test lint docs golden bench bench-quick mutation clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,all]'
	touch $(STAMP)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,all,bench]'
	touch $(BENCH_STAMP)

run: $(STAMP)
	$(BIN)/scsim run national-800 --agents 100000 --days 365 --seed 1 --out results/national-800 --force

# Debian's chromium for the dashboard's browser tests (quietly, only when missing and root).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium and chromium-driver (the dashboard's browser tests)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver >/dev/null) || echo "*** apt-get could not install chromium:" \
	      "the dashboard's browser tests will be SKIPPED ***"; \
	  else \
	    echo "*** no /usr/bin/chromium and not root: the dashboard's browser tests will be" \
	      "SKIPPED (apt-get install chromium chromium-driver) ***"; \
	  fi; \
	fi

test: $(STAMP) chromium
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/python -m pytest -q -n 2 --dist loadfile
	$(BIN)/mkdocs build --strict --quiet

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

golden: $(STAMP)
	$(BIN)/python tests/golden.py --update --fresh-cache

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py --doc docs/performance.md

bench-quick: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py --quick --out benchmarks/results/quick.json

MUTATION_SAMPLE ?= 60

MUTATION_STAMP := $(VENV)/.mutation-installed

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,all,mutation]'
	touch $(MUTATION_STAMP)

mutation: $(MUTATION_STAMP)
	$(BIN)/python benchmarks/mutation.py --sample $(MUTATION_SAMPLE) --seed 1 --jobs 2 \
		--out results/mutation.json

clean:
	rm -rf $(VENV) results build site src/*.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
