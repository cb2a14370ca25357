# Glue area targets (included by the root Makefile).
.PHONY: run-job run-workflow package-glue

JOB  ?=
ARGS ?=

run-job: setup ## Run one Glue job locally: make run-job JOB=telemetry_to_transform ARGS="--input_path s3://..."
	@[ -n "$(JOB)" ] || { echo "run-job: set JOB=<name> (see glue/jobs/jobs.yaml)"; exit 2; }
	$(PY) -m lakectl run-job $(JOB) $(ARGS)

run-workflow: setup ## Run every Glue job locally in workflow order (bookmarks skip processed input)
	$(PY) -m lakectl run-workflow

package-glue: setup ## Build what Glue jobs load: the energylake wheel (--extra-py-files) and its jar (--extra-jars) into build/
	@mkdir -p build
	$(PY) -m pip wheel --quiet --no-deps --wheel-dir build glue/lib
	@ls build/energylake-*.whl
	@$(PY) -m lakectl build-jar
