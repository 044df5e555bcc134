# fabkiosk: `make run` starts the store on the embedded default; `make test` runs every test.
# Both install whatever is missing first (system packages, then a virtual environment in .venv).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
HOST ?= 127.0.0.1
PORT ?= 8080
# the tests mostly wait for machines and servers: two workers halve the time
TEST_WORKERS ?= 2

OCTOPRINT_VENV := .venv-octoprint
# OctoPrint pins old versions of many packages, so it lives in its own environment. Tests use its bundled
# virtual printer (internal API): keep the version pinned.
OCTOPRINT_VERSION := 1.11.8

SYSTEM_PACKAGES := python3-venv prusa-slicer openscad fonts-liberation fontconfig socat
TEST_SYSTEM_PACKAGES := postgresql chromium chromium-driver
# the browser tests inject axe-core (accessibility checks) into every page
AXE_CORE_VERSION := 4.11.0

.PHONY: run test lint format bench chain-demo system-packages test-system-packages

run: system-packages $(VENV)/.installed-run
	$(VENV)/bin/fabkiosk serve --host $(HOST) --port $(PORT)

test: system-packages test-system-packages $(VENV)/.installed-test $(OCTOPRINT_VENV)/.installed node_modules/axe-core/axe.min.js
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy machine_adapters app ui_components
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# a head office and two stores (Köln, Leipzig), each with its own PostgreSQL cluster under data/chain-demo/
chain-demo: system-packages $(VENV)/.installed-run
	@scripts/system-packages.sh postgresql
	$(VENV)/bin/python -m app.chain.demo

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy machine_adapters app ui_components

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: system-packages $(VENV)/.installed-run
	$(VENV)/bin/python bench/quote.py

system-packages:
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)

test-system-packages:
	@[ -z "$(TEST_SYSTEM_PACKAGES)" ] || scripts/system-packages.sh $(TEST_SYSTEM_PACKAGES)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e .
	touch $@

$(OCTOPRINT_VENV)/.installed: Makefile
	rm -rf $(OCTOPRINT_VENV)
	$(PYTHON) -m venv $(OCTOPRINT_VENV)
	$(OCTOPRINT_VENV)/bin/pip install -q --upgrade pip
	$(OCTOPRINT_VENV)/bin/pip install -q octoprint==$(OCTOPRINT_VERSION)
	touch $@

node_modules/axe-core/axe.min.js: Makefile
	@# Debian's npm only where no npm is there: it conflicts with Node.js packages that bring their own
	@command -v npm >/dev/null || scripts/system-packages.sh npm
	npm install --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_CORE_VERSION)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run
