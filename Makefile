# Renewable-energy data lake: one entry point for setup, tests, local runs and Terraform.
# Area targets live beside their code in <area>/make.mk and are included below.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BIN ?= python3.11
VENV       ?= .venv
PY         := $(VENV)/bin/python
PYTEST_ARGS ?=
# Test files are spread over worker processes (one file per worker: Spark, emulator and PostgreSQL are
# per-process session fixtures). TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
export PYTHONDONTWRITEBYTECODE := 1

# Every environment installs exact versions with hashes from requirements/ (see requirements/lock.py);
# `make setup` resolves nothing. The build backend goes in first so that pyspark's sdist and the editable
# installs build without isolation, which would otherwise fetch the newest setuptools.
LOCKS      := requirements
PIP_LOCKED := -m pip install --quiet --require-hashes --no-deps --no-build-isolation
LOCK_VENV  := .local/lock-venv
UV         := $(LOCK_VENV)/bin/uv
UPGRADE_DIR ?= $(or $(TMPDIR),/tmp)/energylake-upgrade-check

.PHONY: help setup jar compile lock upgrade-check test test-glue lint fmt-py clean emulator-start emulator-stop

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

setup: $(VENV)/.installed jar ## Create .venv from the lock (PySpark 3.5 = Glue 5.0, dev tools), build the lake's jar

jar: $(VENV)/.installed ## Build the energylake JVM functions jar (glue/jvm -> build/jvm; needs a JDK's javac)
	@$(PY) -m lakectl build-jar >/dev/null

# The contract compiler: contracts, jobs.yaml and the grant files -> terraform/generated/lake.json (committed,
# read by Terraform); `make test` fails when the committed file is stale.
# The telemetry rules write their blocks of the contracts first, so one `make compile` regenerates everything.
compile: $(VENV)/.installed ## Regenerate the telemetry rules' contract blocks, then terraform/generated/lake.json
	@$(PY) -m energylake.telemetry_rules --write >/dev/null
	@$(PY) -m energylake.compiler

$(VENV)/.installed: $(LOCKS)/lake.txt $(LOCKS)/build.txt pyproject.toml glue/lib/pyproject.toml
	@command -v $(PYTHON_BIN) >/dev/null || { echo "setup: $(PYTHON_BIN) not found (Glue 5.0 runs Python 3.11); install it or pass PYTHON_BIN=..."; exit 1; }
	@command -v javac >/dev/null || [ -x "$$JAVA_HOME/bin/javac" ] || echo "setup: warning: no javac on PATH; Spark needs Java 17 and the lake's jar its compiler (Debian: apt-get install openjdk-17-jdk-headless)"
	@[ -x $(PY) ] || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) $(PIP_LOCKED) -r $(LOCKS)/build.txt
	$(PY) $(PIP_LOCKED) -r $(LOCKS)/lake.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e glue/lib -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "setup: the installed set is inconsistent: run 'make lock' and commit requirements/"; exit 1; }
	@touch $@

$(LOCK_VENV)/.installed: $(LOCKS)/uv.txt
	@[ -x $(LOCK_VENV)/bin/python ] || $(PYTHON_BIN) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCKS)/uv.txt
	@touch $@

lock: $(LOCK_VENV)/.installed ## Re-resolve every lock in requirements/ from the loose constraints; print what changed (UPGRADE=1: newest versions)
	$(LOCK_VENV)/bin/python $(LOCKS)/lock.py --uv $(UV) $(if $(UPGRADE),--upgrade) $(ARGS)

# An upstream break is found by this command, not by a new user: the newest versions the pyproject constraints
# allow, in a scratch venv, against the smoke tests (emulator, one Terraform apply, one Glue job, one Athena query).
upgrade-check: $(LOCK_VENV)/.installed ## Newest resolvable versions in a scratch venv + the smoke tests (nothing in the repo changes)
	rm -rf $(UPGRADE_DIR) && mkdir -p $(UPGRADE_DIR)
	$(LOCK_VENV)/bin/python $(LOCKS)/lock.py --uv $(UV) --upgrade --scratch $(UPGRADE_DIR)/requirements
	$(PYTHON_BIN) -m venv $(UPGRADE_DIR)/venv
	$(UPGRADE_DIR)/venv/bin/python $(PIP_LOCKED) -r $(UPGRADE_DIR)/requirements/build.txt
	$(UPGRADE_DIR)/venv/bin/python $(PIP_LOCKED) -r $(UPGRADE_DIR)/requirements/lake.txt
	$(UPGRADE_DIR)/venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e glue/lib -e .
	$(UPGRADE_DIR)/venv/bin/python -m pytest -m smoke -p no:cacheprovider $(PYTEST_ARGS)
	@echo "upgrade-check: the newest versions pass the smoke tests; adopt them with 'make lock UPGRADE=1' and run 'make test'"

test: setup ## Run the whole test suite (what CI runs); slow scale tests are left to `make bench`
	$(PY) -m pytest -m "not slow" $(XDIST) $(PYTEST_ARGS)

test-glue: setup ## Glue library and job tests only (local Spark, embedded emulator)
	$(PY) -m pytest tests/glue -m "not slow" $(PYTEST_ARGS)

lint: setup ## ruff on all Python (area targets add checkov, terraform fmt)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt-py: setup ## Format Python with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

emulator-start: setup ## Start the embedded AWS emulator (moto server) on 127.0.0.1:$${LAKE_EMULATOR_PORT:-4566}
	@$(PY) -m lakectl emulator start

emulator-stop: ## Stop the embedded AWS emulator
	@$(PY) -m lakectl emulator stop

clean: ## Remove local state, build output and caches (keeps .venv)
	rm -rf .local build dist demo-report .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

include $(sort $(wildcard */make.mk))
