# Every target bootstraps what it needs: a .venv with the package, a browser, and for the
# tests a real keyring (gnome-keyring under dbus-run-session) and a virtual display (Xvfb).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export BIN

.PHONY: install browser keyring-tools demo test bench lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: Python 3.11+ is needed" >&2; exit 4; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

browser: install
	@scripts/ensure-browser

keyring-tools:
	@scripts/ensure-keyring-tools

demo: browser
	$(BIN)/linkedin-ai-optout demo

# On several workers (pytest-xdist; how many: tests/conftest.py), each with its own keyring. A
# worker that runs out of tests takes half of another's (worksteal): none ends the run alone.
test: browser keyring-tools
	@scripts/ensure-display-tools
	scripts/with-test-keyring $(BIN)/python -m pytest -n auto --dist worksteal

bench: browser keyring-tools
	scripts/with-test-keyring $(BIN)/python bench/bench.py
	scripts/with-test-keyring $(BIN)/python -m bench.fleet
	scripts/with-test-keyring $(BIN)/python -m bench.accounts_import

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
