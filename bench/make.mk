# Benchmarks (issue 7): `make bench` regenerates BENCHMARKS.md and bench/results/*.json.
BENCH_SIZE      ?= 1GB
BENCH_RUNS      ?= 3
BENCH_SEED      ?= 7
BENCH_ENGINES   ?= competent,project,project_nojvm,naive,duckdb
# DuckDB memory limit (SET memory_limit); empty = the Spark heap (BENCH_SPARK_MEMORY)
BENCH_DUCKDB_MEMORY ?=
BENCH_WORKDIR   ?= $(or $(TMPDIR),/tmp)/energylake-bench
BENCH_MAKE_TEST ?=
BENCH_ARGS      ?=
BENCH_CDC_CHANGES ?= 1000000
# Rows of a pre-existing transactions table the CDC batch is applied to (empty: the batch with its own full load)
BENCH_CDC_TABLE_ROWS ?=
# Heap of the Spark engines: 2 GiB per core, under a Glue G.1X worker's 4 GB per vCPU (DuckDB gets the same limit)
BENCH_SPARK_MEMORY ?= 4g
# free-text notes for the report (| separates notes), e.g. what else ran on the machine
BENCH_NOTE ?=

# Warehouse load of one new day after 1 and after 30 days of history (issue 32), at each day size (rows of
# transactions per day): two sizes split the loader's CPU into a fixed part and a part per row
BENCH_WAREHOUSE_ROWS    ?= 2000,20000
BENCH_WAREHOUSE_HISTORY ?= 1,30

.PHONY: bench bench-data test-bench bench-warehouse bench-cdc

bench: setup ## Benchmark project job vs competent PySpark, naive script, DuckDB (BENCH_SIZE=50MB for a quick run) -> BENCHMARKS.md
	BENCH_COMMAND="make bench BENCH_SIZE=$(BENCH_SIZE) BENCH_RUNS=$(BENCH_RUNS) BENCH_SEED=$(BENCH_SEED) BENCH_CDC_CHANGES=$(BENCH_CDC_CHANGES)$(if $(BENCH_CDC_TABLE_ROWS), BENCH_CDC_TABLE_ROWS=$(BENCH_CDC_TABLE_ROWS)) BENCH_SPARK_MEMORY=$(BENCH_SPARK_MEMORY)$(if $(BENCH_MAKE_TEST), BENCH_MAKE_TEST=1)$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" \
	LAKE_SPARK_DRIVER_MEMORY=$(BENCH_SPARK_MEMORY) BENCH_DUCKDB_MEMORY=$(BENCH_DUCKDB_MEMORY) BENCH_NOTE="$(BENCH_NOTE)" $(PY) -m bench run --size $(BENCH_SIZE) --runs $(BENCH_RUNS) --seed $(BENCH_SEED) --engines $(BENCH_ENGINES) \
		--cdc-changes $(BENCH_CDC_CHANGES) $(if $(BENCH_CDC_TABLE_ROWS),--cdc-table-rows $(BENCH_CDC_TABLE_ROWS)) --workdir $(BENCH_WORKDIR) --report BENCHMARKS.md $(if $(BENCH_MAKE_TEST),--make-test) $(BENCH_ARGS)

bench-data: setup ## Only generate the benchmark input (BENCH_SIZE, BENCH_SEED) under BENCH_WORKDIR/data
	$(PY) -m bench generate $(BENCH_WORKDIR)/data --size $(BENCH_SIZE) --seed $(BENCH_SEED)

test-bench: setup ## Benchmark tests (generator determinism, engines agree on a tiny input, report)
	$(PY) -m pytest tests/bench -m "not slow" $(PYTEST_ARGS)

bench: bench-warehouse
bench-warehouse: setup ## Warehouse load of one new day after 1 and 30 days of history, two day sizes: ratio, memory
	$(PY) -m bench.warehouse --rows-per-day $(BENCH_WAREHOUSE_ROWS) --history $(BENCH_WAREHOUSE_HISTORY) \
		--runs $(BENCH_RUNS) --out bench/results/warehouse-load.json

# The CDC batch against a bigger table (issue 32: does a batch's cost follow the changes or the table?); the
# result joins the report with `python -m bench report --cdc-point bench/results/cdc-<changes>-t<rows>.json`.
BENCH_CDC_BIG_TABLE_ROWS ?= 10000000
bench-cdc: setup ## Only the CDC apply of BENCH_CDC_CHANGES against a table of BENCH_CDC_BIG_TABLE_ROWS rows
	LAKE_SPARK_DRIVER_MEMORY=$(BENCH_SPARK_MEMORY) $(PY) -m bench cdc --changes $(BENCH_CDC_CHANGES) \
		--table-rows $(BENCH_CDC_BIG_TABLE_ROWS) --runs $(BENCH_RUNS) --seed $(BENCH_SEED) --workdir $(BENCH_WORKDIR)
