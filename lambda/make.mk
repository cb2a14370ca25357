# Ingestion (lambda/): packaging, local ingestion run, tests. Included by the root Makefile.
.PHONY: package ingest test-ingest ercot-backfill

package: setup ## Build reproducible Lambda zips into build/lambda/<function>.zip (functions + shared code + deps)
	$(PY) -m lakeingest.packaging --out build/lambda

ingest: setup ## Run every producer/ingestor once against the local emulator (creates missing buckets/streams)
	$(PY) -m lakectl ingest

test-ingest: setup ## Ingestion tests (Lambdas, producers, local delivery, packaging)
	$(PY) -m pytest tests/ingest -m "not slow" $(PYTEST_ARGS)

ercot-backfill: setup ## Backfill ERCOT reports from the Public API: make ercot-backfill START=YYYY-MM-DD END=YYYY-MM-DD [FUNCTION=name]
	$(PY) -m lakeingest.ercot.backfill --start $(START) --end $(END) $(if $(FUNCTION),--function-name $(FUNCTION))
