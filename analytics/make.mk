# analytics/: Managed Flink SQL job, generation forecast, dashboards. Included by the root Makefile.

FLINK_VENV ?= .venv-flink
ANALYTICS_BUILD ?= build
FORECAST_DATA ?=
# `make forecast`: next-day features (the curated_forecast_features Glue job's output) and where forecasts go.
FORECAST_FEATURES ?= s3://energylake-local-curated/site_forecast_features/
FORECAST_OUTPUT ?= s3://energylake-local-curated/site_generation_forecast/
# The local emulator's endpoint unless AWS_ENDPOINT_URL is set (real AWS: set nothing here, use the normal chain).
FORECAST_AWS_ENV = $$( [ -n "$$AWS_ENDPOINT_URL" ] || echo AWS_ENDPOINT_URL=http://127.0.0.1:$${LAKE_EMULATOR_PORT:-4566} AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-testing} AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} )
FLINK_CONNECTOR_JAR ?=

.PHONY: setup-flink test-analytics flink-run flink-package train forecast dashboards

# PyFlink 1.20 gets its own venv (its apache-beam pins numpy<1.25 and pyarrow<12), from requirements/flink.txt;
# `make setup` builds it too.
setup: $(FLINK_VENV)/.installed

setup-flink: $(FLINK_VENV)/.installed ## PyFlink 1.20 in .venv-flink (about 700 MB, 1.5-3 min from PyPI)

$(FLINK_VENV)/.installed: $(LOCKS)/flink.txt $(LOCKS)/build.txt
	@[ -x $(FLINK_VENV)/bin/python ] || $(PYTHON_BIN) -m venv $(FLINK_VENV)
	$(FLINK_VENV)/bin/python $(PIP_LOCKED) -r $(LOCKS)/build.txt
	$(FLINK_VENV)/bin/python $(PIP_LOCKED) -r $(LOCKS)/flink.txt
	@touch $@

test-analytics: setup ## Streaming (real PyFlink), forecast and dashboard tests
	$(PY) -m pytest tests/analytics -m "not slow" $(PYTEST_ARGS)

flink-run: setup ## Run the Flink SQL job on the generated telemetry fixture into build/streaming/
	$(PY) -c "from analytics.streaming.fixtures import write_telemetry; write_telemetry('$(ANALYTICS_BUILD)/streaming/telemetry.jsonl')"
	PYTHONPATH=. $(FLINK_VENV)/bin/python -m analytics.streaming.local $(ANALYTICS_BUILD)/streaming/telemetry.jsonl $(ANALYTICS_BUILD)/streaming/out

flink-package: setup ## Managed Flink zip (FLINK_CONNECTOR_JAR=<flink-sql-connector-aws-kinesis-streams-5.x-1.20.jar>)
	$(PY) -m analytics.streaming.package $(ANALYTICS_BUILD)/flink/telemetry-analytics.zip \
		--consumers-zip $(ANALYTICS_BUILD)/flink/stream-consumers.zip \
		$(if $(FLINK_CONNECTOR_JAR),--connector-jar $(FLINK_CONNECTOR_JAR),--allow-missing-connector)

train: setup ## Train the generation forecast (FORECAST_DATA=<parquet dir|s3://...>, default: synthetic sample)
	$(PY) -m analytics.forecast.train --output $(ANALYTICS_BUILD)/forecast $(if $(FORECAST_DATA),--data $(FORECAST_DATA))

forecast: setup ## Score next-day rows of site_forecast_features with build/forecast/model.joblib into site_generation_forecast
	env $(FORECAST_AWS_ENV) $(PY) -m analytics.forecast.score --features $(FORECAST_FEATURES) --model-dir $(ANALYTICS_BUILD)/forecast --output $(FORECAST_OUTPUT)

dashboards: setup ## Render the Grafana dashboard panels to PNG from local data into build/dashboards/
	$(PY) -m analytics.dashboards --out $(ANALYTICS_BUILD)/dashboards
