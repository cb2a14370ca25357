# Ingestion (lambda/): packaging, local ingestion run, tests. Included by the root Makefile.
.PHONY: package ingest test-ingest

package: setup ## Build reproducible Lambda zips into build/lambda/<function>.zip (functions + shared code + deps)
	$(PY) -m lakeingest.packaging --out build/lambda

ingest: setup ## Run every producer/ingestor once against the local emulator (creates missing buckets/streams)
	$(PY) -m lakectl ingest

test-ingest: setup ## Ingestion tests (Lambdas, producers, local delivery, packaging)
	$(PY) -m pytest tests/ingest -m "not slow" $(PYTEST_ARGS)
