# The two commands of the README: `make run` and `make test`. Both build the virtual
# environment (.venv) on first use, so a fresh machine needs nothing but python3 >= 3.11.
# `make bench` (about 10 minutes) and `make bench-quick` (10^5 agents) measure speed and
# memory (benchmarks/, with Mesa for the comparison); they are not part of `make test`.
# The environment gets every extra (experiments, report) and the dev tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-quick clean

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

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py --readme README.md

bench-quick: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py --quick --out benchmarks/results/quick.json

clean:
	rm -rf $(VENV) results build src/*.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
