"""`make demo` end to end at the tiny size: two runs on an empty emulator and fresh PostgreSQL servers.

Asserts row accounting from ingest to curated, the catalog (tables and partitions), the analyst's PII
restriction, the report's charts and that the rerun (same window re-delivered) leaves curated results unchanged.
Terraform and the forecast are switched off here: `tests/terraform` applies the local env on its own and the
forecast has its own tests; both run in `make demo`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import boto3
import matplotlib.image as mpimg
import pytest

from lakectl.athena_local import run_query
from lakectl.demo import CRAWLED_TABLES, CURATED_TABLES, DemoConfig, clean, read_table, run_demo
from lakectl.emulator import free_port
from lakectl.governance import AccessDenied
from lakectl.runner import placeholders
from warehouse.loader import WAREHOUSE_DATASETS

pytestmark = [pytest.mark.postgres, pytest.mark.spark]


@pytest.fixture(scope="module")
def demo(aws_emulator, spark):
    """Run the demo twice (tiny) in its own state directory; yields (config, first summary, second summary)."""
    aws_emulator.reset()
    # Not pytest's tmp_path: it is private to root and the PostgreSQL servers run as the 'postgres' user.
    state = Path(tempfile.mkdtemp(prefix="lake-demo-"))
    state.chmod(0o755)
    cfg = DemoConfig(
        size="tiny",
        state_dir=state,
        report_dir=state / "report",
        emulator_endpoint=aws_emulator.endpoint_url,
        source_port=free_port(),
        warehouse_port=free_port(),
        terraform=False,
        forecast=False,
    )
    try:
        first = run_demo(cfg)
        charts_first = {p.name: p.stat().st_size for p in (cfg.report_dir / "charts").rglob("*.png")}
        second = run_demo(cfg)
        yield cfg, first, second, charts_first
    finally:
        clean(cfg)
        shutil.rmtree(state, ignore_errors=True)


def _raw_lines(prefix: str) -> tuple[int, int]:
    """(objects, non-empty lines) under a raw-bucket prefix."""
    s3 = boto3.client("s3")
    bucket = placeholders()["raw"]
    objects = lines = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            objects += 1
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            lines += sum(1 for line in body.splitlines() if line.strip())
    return objects, lines


def test_row_accounting_from_ingest_to_warehouse(demo):
    _, first, second, _ = demo
    runs = (first["results"], second["results"])
    for source in ("windfarm", "devices"):
        sent = [r["ingest"]["ingest"][f"produce_{source}"]["sent"] for r in runs]
        delivered = [r["ingest"]["ingest"][f"deliver_{source}"] for r in runs]
        assert sent[0] > 0 and sent[0] == sent[1]  # the rerun re-sends the same window
        for n, d in zip(sent, delivered, strict=True):
            assert n == d["ok"] + d["failed"] + d["dropped"] and d["failed"] > 0  # bad records reach errors/
        _, lines = _raw_lines(f"telemetry/{source}/")
        assert lines == sum(d["ok"] for d in delivered)  # every delivered record is a raw line
    # Glue: every record job balances; the telemetry job read exactly the raw objects of its run.
    for run in runs:
        for name, m in run["workflow"]["jobs"].items():
            assert m["status"] == "succeeded", name
            if m["kind"] == "records":
                accounted = m["rows_written"] + m["rows_quarantined"] + m["rows_deduplicated"]
                assert m["rows_read"] == accounted + m.get("rows_not_reported", 0), name
            else:
                assert m["rows_read"] == m["rows_aggregated"], name
    tel = [r["workflow"]["jobs"]["telemetry_to_transform"] for r in runs]
    objects_total = _raw_lines("telemetry/windfarm/")[0] + _raw_lines("telemetry/devices/")[0]
    assert tel[0]["input_objects"] + tel[1]["input_objects"] == objects_total
    assert tel[0]["rows_written"] > 0 and tel[0]["rows_quarantined"] > 0
    # Sensors a device does not have are counted, not quarantined; the quarantine holds the injected faults.
    assert tel[0]["rows_not_reported"] > 0
    # Trading: rows exported by the DMS exporter = rows read by the CDC job = rows applied + superseded + ...
    trading = first["results"]["trading"]["trading"]
    exported = sum(trading["full_load"]["full_load_rows"].values()) + sum(trading["cdc"]["cdc_rows"].values())
    cdc_job = first["results"]["workflow"]["jobs"]["trading_cdc_apply"]
    assert cdc_job["rows_read"] == exported and cdc_job["rows_quarantined"] == 0
    # Warehouse: what the gate passed and COPY loaded is the transform state the job wrote.
    loaded = first["results"]["warehouse"]["warehouse"]
    assert set(loaded["rows_loaded"]) == {*WAREHOUSE_DATASETS}
    for table, rows in loaded["rows_loaded"].items():
        if table != "client_analytics":
            assert rows == cdc_job["outputs"][table] > 0, table
        assert loaded["warehouse_rows"][f"trading.{table.removeprefix('trading_')}"] == rows
    # curated-to-redshift: the curated client_analytics (Spark job output, via the catalog) is in the warehouse.
    assert loaded["rows_loaded"]["client_analytics"] == len(read_table("client_analytics")) > 0
    assert all(check["passed"] for check in loaded["gate"])


def test_catalog_has_every_table_with_partitions(demo):
    glue = boto3.client("glue")

    def tables(db: str) -> dict[str, dict]:
        pages = glue.get_paginator("get_tables").paginate(DatabaseName=db)
        return {t["Name"]: t for page in pages for t in page["TableList"]}

    curated, transform, raw = tables("energy_curated"), tables("energy_transform"), tables("energy_raw")
    assert set(CURATED_TABLES) <= set(curated)
    assert {"telemetry_readings", "weather_hourly", "ercot_system_load", "trading_transactions"} <= set(transform)
    assert set(CRAWLED_TABLES) <= set(raw)
    for db, name in [("energy_curated", "site_hourly_generation"), ("energy_transform", "telemetry_readings")]:
        parts = glue.get_partitions(DatabaseName=db, TableName=name)["Partitions"]
        assert parts and all(p["StorageDescriptor"]["Location"].startswith("s3://") for p in parts), name


def test_analyst_sees_no_pii_and_trading_ops_does(demo):
    _, first, _, _ = demo
    personas = first["results"]["athena"]["athena"]["personas"]
    assert personas["analyst"]["rows"] > 0 and personas["analyst"]["pii_columns_seen"] == []
    assert {"customer_name", "email"} <= set(personas["trading_ops"]["pii_columns_seen"])
    assert run_query("SELECT customer_id, region FROM client_analytics", "analyst").table.num_rows > 0
    with pytest.raises(AccessDenied, match="customer_name"):
        run_query("SELECT customer_name FROM client_analytics", "analyst")
    named = first["results"]["athena"]["athena"]["named_queries"]
    assert named and named["site_capacity_factor_daily"]["rows"] > 0


def test_report_has_non_trivial_charts(demo):
    cfg, _, _, charts_first = demo
    index = (cfg.report_dir / "index.html").read_text()
    pngs = sorted((cfg.report_dir / "charts").rglob("*.png"))
    names = {p.name for p in pngs}
    for chart in (
        "site_generation.png",
        "grid_weather.png",
        "windfarm_metrics.png",
        "client_analytics.png",
        "quarantine.png",
        "row_accounting.png",
        "timings.png",
    ):
        assert chart in names and chart in index
    assert any("dashboards/business" in str(p) for p in pngs)
    assert set(charts_first) == names  # the rerun redraws the same charts
    for png in pngs:
        assert png.stat().st_size > 5_000, png
        pixels = mpimg.imread(png)
        assert pixels.std() > 0.01, f"{png} is blank"


def test_rerun_processes_only_new_data_and_keeps_curated_results(demo):
    _, first, second, _ = demo
    assert first["results"]["workflow"]["curated_checksums"] == second["results"]["workflow"]["curated_checksums"]
    assert all(v != "empty" for v in first["results"]["workflow"]["curated_checksums"].values())
    jobs = second["results"]["workflow"]["jobs"]
    # Nothing new landed for ERCOT, Open-Meteo and the trading source: bookmarks skip everything.
    for name in ("ercot_to_transform", "openmeteo_to_transform", "trading_cdc_apply"):
        assert jobs[name]["input_objects"] == 0 and jobs[name]["rows_read"] == 0, name
    assert second["results"]["trading"]["trading"]["cdc"]["changes_exported"] == 0
    # The re-delivered telemetry is read (new raw objects only); its rows replace their earlier copies (newer
    # ingest time wins, same values), so the rewritten partitions hold exactly as many rows as before.
    before = first["results"]["workflow"]["jobs"]["telemetry_to_transform"]
    tel = jobs["telemetry_to_transform"]
    assert tel["input_objects"] == before["input_objects"] and tel["rows_read"] == before["rows_read"] > 0
    assert tel["outputs"]["telemetry_readings"] == before["outputs"]["telemetry_readings"]
