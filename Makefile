# The two commands a newcomer needs: `make run` and `make test`. Both create the virtual
# environment and install everything on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format install browser prometheus translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/concordat run

browser:
	sh tests/browser/install_chromium.sh

# promtool, for the alert rules in ops/prometheus/.
prometheus:
	sh tests/install_prometheus.sh

test: $(STAMP) browser prometheus
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/pytest -n 2

# After changing words on a page: extract them into translations/messages.pot and update the
# Welsh and English catalogs (a test fails while any message has no Welsh).
translations: $(STAMP)
	$(BIN)/python -m translations.update

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
