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

.PHONY: help setup jar test test-glue lint fmt-py clean emulator-start emulator-stop

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

setup: $(VENV)/.installed jar ## Create .venv, install the lake (PySpark 3.5 = Glue 5.0) and dev tools from PyPI, build its jar

jar: $(VENV)/.installed ## Build the energylake JVM functions jar (glue/jvm -> build/jvm; needs a JDK's javac)
	@$(PY) -m lakectl build-jar >/dev/null

$(VENV)/.installed: pyproject.toml glue/lib/pyproject.toml
	@command -v $(PYTHON_BIN) >/dev/null || { echo "setup: $(PYTHON_BIN) not found (Glue 5.0 runs Python 3.11); install it or pass PYTHON_BIN=..."; exit 1; }
	@command -v javac >/dev/null || [ -x "$$JAVA_HOME/bin/javac" ] || echo "setup: warning: no javac on PATH; Spark needs Java 17 and the lake's jar its compiler (Debian: apt-get install openjdk-17-jdk-headless)"
	@[ -x $(PY) ] || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e glue/lib -e '.[dev]'
	@touch $@

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
