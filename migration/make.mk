# Migration and warehouse targets (included by the root Makefile). Local runs need the emulator for S3:
# `make emulator-start` first, or export AWS_ENDPOINT_URL yourself.
.PHONY: source-db-start source-db-stop source-seed source-changes dms-export sct warehouse-setup warehouse-load test-migration

LAKECTL_ENV = $$( [ -n "$$AWS_ENDPOINT_URL" ] || echo AWS_ENDPOINT_URL=http://127.0.0.1:$${LAKE_EMULATOR_PORT:-4566} AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-testing} AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} )

source-db-start: setup ## Start the local on-prem trading PostgreSQL (.local/postgres/source, wal_level=logical)
	$(PY) -m lakectl source start

source-db-stop: ## Stop the local trading PostgreSQL
	$(PY) -m lakectl source stop

source-seed: setup ## Reset the DMS exporter (slot, state, landing files) and CDC job output, then (re)seed (SEED=7 SIZE=1)
	env $(LAKECTL_ENV) $(PY) -m lakectl source seed --seed $${SEED:-7} --size $${SIZE:-1}

source-changes: setup ## Apply a stream of inserts/updates/deletes to the source (BATCHES=40)
	$(PY) -m lakectl source changes --seed $${SEED:-11} --batches $${BATCHES:-40}

dms-export: setup ## DMS-compatible full load (first run) + CDC into the landing bucket, then the reference apply
	env $(LAKECTL_ENV) $(PY) -m lakectl dms-export --apply

sct: setup ## Schema conversion: Redshift DDL, Glue TableInputs and assessment report into .local/sct/
	env $(LAKECTL_ENV) $(PY) -m lakectl sct

warehouse-setup: setup ## Create warehouse schemas, tables and stored procedures (local stand-in or Redshift)
	$(PY) -m lakectl warehouse setup

warehouse-load: setup ## curated-to-redshift: quality gate, COPY via manifests, MERGE, settlement
	env $(LAKECTL_ENV) $(PY) -m lakectl warehouse load

test-migration: setup ## Migration and warehouse tests
	$(PY) -m pytest tests/migration tests/warehouse -m "not slow" $(PYTEST_ARGS)
