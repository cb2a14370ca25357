"""One test per Glue job through the local runner, against the embedded emulator."""

from __future__ import annotations

import pytest

from lakectl import runner
from tests.glue import fixtures
from tests.glue.conftest import put, read_catalog_table


def _accounted(m) -> None:
    assert m.status == "succeeded"
    assert m.balanced, m.to_dict()
    assert m.rows_read == m.rows_written + m.rows_quarantined + m.rows_deduplicated + m.rows_not_reported


def test_telemetry_job_quarantines_dedups_and_is_idempotent(lake, s3, spark):
    raw = lake["raw"]
    put(s3, raw, "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    put(s3, raw, "telemetry/devices/2024/07/15/10/dev-1.json", "\n".join(fixtures.device_telemetry_lines()))
    m = runner.run_job("telemetry_to_transform")
    _accounted(m)
    # The frames the job materialised are released with it (none would serve a later job stale rows).
    assert spark._jsparkSession.sharedState().cacheManager().isEmpty()
    # 12 + 1 dup + 4 bad seed readings; 9 + 2 device readings (one unknown key)
    assert m.rows_read == 17 + 11
    assert m.rows_deduplicated == 1
    assert m.rows_quarantined == 5
    out = read_catalog_table(s3, "energy_transform", "telemetry_readings")
    assert len(out) == m.rows_written == 22
    assert not out.duplicated(["device_id", "metric", "event_ts"]).any()
    pressure = out[out.metric == "hydraulic_pressure"].value
    assert pressure.between(199, 201).all()  # psi converted to bar
    # The job carries each row's file as a number (energylake.lineage); the table names the file.
    seed_uri, device_uri = (
        f"s3://{raw}/telemetry/{k}/2024/07/15/10/{f}"
        for k, f in [("windfarm", "seed-1.json"), ("devices", "dev-1.json")]
    )
    assert set(out.source_file) == {seed_uri, device_uri}
    assert set(out[out.device_id.str.startswith("WF-ROSCOE")].source_file) == {seed_uri}
    q = read_catalog_table(s3, "energy_quarantine", "quarantine_records")
    assert len(q) == 5
    assert set(q.source_file) == {seed_uri, device_uri}
    assert {r.split(":")[0] for r in q.reason} >= {
        "malformed_json",
        "invalid_type",
        "out_of_range",
        "unknown_columns",
        "unknown_metric",
    }

    # Bookmark: nothing new; output unchanged.
    again = runner.run_job("telemetry_to_transform")
    assert again.rows_read == 0 and again.input_objects == 0
    assert len(read_catalog_table(s3, "energy_transform", "telemetry_readings")) == 22


@pytest.mark.parametrize("reset_bookmark", [True])
def test_rerun_without_bookmark_gives_same_output(lake, s3, reset_bookmark):
    raw = lake["raw"]
    put(s3, raw, "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    runner.run_job("telemetry_to_transform")
    first = read_catalog_table(s3, "energy_transform", "telemetry_readings").sort_values(
        ["device_id", "metric", "event_ts"]
    )
    s3.delete_object(Bucket=lake["artifacts"], Key="state/bookmarks/telemetry_to_transform.json")
    m = runner.run_job("telemetry_to_transform")
    _accounted(m)
    second = read_catalog_table(s3, "energy_transform", "telemetry_readings").sort_values(
        ["device_id", "metric", "event_ts"]
    )
    assert first.reset_index(drop=True).equals(second.reset_index(drop=True))
    assert len(read_catalog_table(s3, "energy_quarantine", "quarantine_records")) == 4


def _load_ercot(s3, landing: str) -> None:
    put(s3, landing, "ercot/system_load/2024/07/15/system_load_20240715_0100.csv", fixtures.system_load_csv())
    put(s3, landing, "ercot/spp_realtime/2024/07/15/spp_realtime_20240715_1300.csv", fixtures.spp_csv())
    put(s3, landing, "ercot/fuel_mix/2024/07/15/fuel_mix_20240716_0005.csv", fixtures.fuel_mix_csv())


@pytest.mark.smoke
def test_ercot_job_melts_reports_and_quarantines_bad_rows(lake, s3):
    _load_ercot(s3, lake["landing"])
    put(s3, lake["landing"], "ercot/spp_realtime/2024/07/15/spp_realtime_20240715_1400.csv", "Foo,Bar\n1,2\n")
    m = runner.run_job("ercot_to_transform")
    _accounted(m)
    load = read_catalog_table(s3, "energy_transform", "ercot_system_load")
    assert len(load) == 24 * 9
    assert m.details["ercot_system_load"]["quarantined"] == 9  # the bad row, once per zone
    total = load[(load.weather_zone == "TOTAL") & (load.hour_ending == 1)]
    # HE01 on a CDT day starts at 00:00 local = 05:00 UTC.
    assert str(total.interval_start_ts.iloc[0]) == "2024-07-15 05:00:00"
    prices = read_catalog_table(s3, "energy_transform", "ercot_settlement_prices")
    assert len(prices) == 3 * 4 * 3
    fuel = read_catalog_table(s3, "energy_transform", "ercot_fuel_mix")
    assert len(fuel) == 3 * 96
    q = read_catalog_table(s3, "energy_quarantine", "quarantine_records")
    assert any(r.startswith("unknown_columns:foo,bar") for r in q.reason)


def test_openmeteo_job_converts_units_and_prefers_archive(lake, s3):
    landing = lake["landing"]
    put(s3, landing, "openmeteo/forecast/WF-ROSCOE/2024/07/14/1200.json", fixtures.openmeteo_json(kind_offset=5))
    put(s3, landing, "openmeteo/archive/WF-ROSCOE/2024/07/16/0100.json", fixtures.openmeteo_json(hours=12))
    put(s3, landing, "openmeteo/forecast/WF-ROSCOE/2024/07/14/1300.json", '{"hourly": ')
    m = runner.run_job("openmeteo_to_transform")
    _accounted(m)
    assert m.rows_read == 24 + 12 + 1 and m.rows_deduplicated == 12 and m.rows_quarantined == 1
    wx = read_catalog_table(s3, "energy_transform", "weather_hourly")
    assert len(wx) == 24
    assert (wx.data_kind == "archive").sum() == 12
    first = wx.sort_values("observation_ts").iloc[0]
    assert first.wind_speed_100m_ms == pytest.approx(10.0)  # 36 km/h
    assert first.temperature_c == pytest.approx(25.0)  # archive value, not forecast (+5)


def test_trading_cdc_job_applies_ops_in_commit_order(lake, s3):
    landing = lake["landing"]
    for table, body in fixtures.dms_full_load().items():
        put(s3, landing, f"dms/trading/{table}/LOAD00000001.csv", body)
    first = runner.run_job("trading_cdc_apply")
    _accounted(first)
    assert first.rows_read == 3 + 2 + 8
    later, earlier = fixtures.dms_cdc_transactions()
    put(s3, landing, "dms/trading/transactions/20240715-091000000.csv", later)
    put(s3, landing, "dms/trading/transactions/20240715-090000000.csv", earlier)
    m = runner.run_job("trading_cdc_apply")
    _accounted(m)
    assert m.rows_read == 6 and m.rows_quarantined == 2 and m.rows_deduplicated == 1
    tx = read_catalog_table(s3, "energy_transform", "trading_transactions").set_index("transaction_id")
    assert 102 not in tx.index  # deleted
    assert float(tx.loc[101, "energy_mwh"]) == 11.5 and tx.loc[101, "status"] == "settled"  # 09:05 beats 09:01
    assert 200 in tx.index and str(tx.loc[200, "transaction_date"]) == "2024-07-16"
    assert len(tx) == 8
    customers = read_catalog_table(s3, "energy_transform", "trading_customers")
    assert sorted(customers.customer_id) == [1, 2, 3]
    assert "12 Oak St, Austin" in set(customers.address)


def test_curated_jobs_build_from_transform_tables(lake, s3):
    raw, landing = lake["raw"], lake["landing"]
    put(s3, raw, "telemetry/devices/2024/07/15/10/dev-1.json", "\n".join(fixtures.device_telemetry_lines()))
    put(s3, raw, "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    put(s3, landing, "openmeteo/archive/WF-PAPALOTE/2024/07/16/0100.json", fixtures.openmeteo_json())
    _load_ercot(s3, landing)
    for table, body in fixtures.dms_full_load().items():
        put(s3, landing, f"dms/trading/{table}/LOAD00000001.csv", body)
    results = {m.job_name: m for m in runner.run_workflow()}
    assert all(m.status == "succeeded" and m.balanced for m in results.values())

    gen = read_catalog_table(s3, "energy_curated", "site_hourly_generation")
    papalote = gen[gen.site_id == "WF-PAPALOTE"].sort_values("hour_ts")
    assert list(papalote.reading_count) == [3]  # three readings between 10:00 and 10:40
    assert papalote.generation_mwh.iloc[0] == pytest.approx((1.2 + 1.5 + 1.8) / 3)
    assert papalote.avg_wind_speed_ms.iloc[0] == pytest.approx((36 + 10) / 3.6)
    grid = read_catalog_table(s3, "energy_curated", "grid_weather_hourly")
    assert grid.hour_ts.is_unique and len(grid) == 24
    metrics = read_catalog_table(s3, "energy_curated", "windfarm_daily_metrics")
    pf = metrics[(metrics.device_id == "WF-ROSCOE-T01") & (metrics.metric == "power_factor")].iloc[0]
    assert pf.reading_count == 4 and pf.min_value == pytest.approx(0.93)
    clients = read_catalog_table(s3, "energy_curated", "client_analytics").set_index("customer_id")
    assert set(clients.index) == {1, 2, 3}
    daily = read_catalog_table(s3, "energy_curated", "daily_energy_consumption")
    assert int(daily.transaction_count.sum()) == 8
    assert float(clients.total_energy_mwh.astype(float).sum()) == pytest.approx(
        float(daily.energy_mwh.astype(float).sum())
    )

    # Second workflow run: every bookmark says nothing new.
    rerun = runner.run_workflow()
    assert all(m.rows_read == 0 and m.rows_written == 0 for m in rerun)
    assert len(read_catalog_table(s3, "energy_curated", "grid_weather_hourly")) == 24


def test_output_is_snappy_parquet_one_file_per_partition(lake, s3, spark, monkeypatch):
    """Files: snappy whatever the session default (Glue's can differ), one file per partition version."""
    import io

    import pyarrow.parquet as pq

    import lakectl.spark

    put(s3, lake["raw"], "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    put(s3, lake["raw"], "telemetry/devices/2024/07/15/10/dev-1.json", "\n".join(fixtures.device_telemetry_lines()))
    real_local_spark = lakectl.spark.local_spark

    def uncompressed_by_default(*args, **kwargs):
        session = real_local_spark(*args, **kwargs)
        session.conf.set("spark.sql.parquet.compression.codec", "uncompressed")
        return session

    codec = spark.conf.get("spark.sql.parquet.compression.codec")
    monkeypatch.setattr(lakectl.spark, "local_spark", uncompressed_by_default)
    try:
        m = runner.run_job("telemetry_to_transform")
    finally:
        spark.conf.set("spark.sql.parquet.compression.codec", codec)
    from lakectl.catalog import Catalog

    partitions = Catalog().partitions("energy_transform", "telemetry_readings")
    assert len(partitions) == m.partitions_written - len(
        Catalog().partitions("energy_quarantine", "quarantine_records")
    )
    for location in partitions.values():
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
        assert len(keys) == 1 and keys[0].endswith(".parquet"), keys
        meta = pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read())).metadata
        assert {meta.row_group(0).column(i).compression for i in range(meta.num_columns)} == {"SNAPPY"}


def test_missing_input_bucket_fails_with_one_line_naming_it(lake):
    with pytest.raises(ValueError, match=r"input path s3://no-such-bucket/x/ does not exist"):
        runner.run_job("telemetry_to_transform", {"input_path": "s3://no-such-bucket/x/"})


def test_bad_argument_fails_naming_it(lake):
    with pytest.raises(ValueError, match="--output_path must be an s3:// URI"):
        runner.run_job("telemetry_to_transform", {"output_path": "/tmp/out"})


def test_crash_mid_write_leaves_published_partition_intact(lake, s3, monkeypatch):
    raw = lake["raw"]
    put(s3, raw, "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    runner.run_job("telemetry_to_transform")
    before = read_catalog_table(s3, "energy_transform", "telemetry_readings")
    late = (
        '{"id": "WF-ROSCOE-T01", "data": 0.99, "type": "powerFactor", "date": "2024-07-15T09:00:00Z"}\n'
        '{"id": "WF-ROSCOE-T01", "data": 21.5, "type": "temperature", "date": "2024-07-15T09:00:00Z"}\n'
    )
    put(s3, raw, "telemetry/windfarm/2024/07/15/11/seed-2.json", late)

    from energylake.storage import Storage

    real_upload = Storage.upload_file
    calls = {"n": 0}

    def dying_upload(self, source, uri):
        calls["n"] += "telemetry_readings" in uri
        if calls["n"] > 1:  # the first partition is uploaded, the second dies
            raise RuntimeError("simulated crash during upload")
        real_upload(self, source, uri)

    monkeypatch.setattr(Storage, "upload_file", dying_upload)
    with pytest.raises(RuntimeError, match="simulated crash"):
        runner.run_job("telemetry_to_transform")
    assert read_catalog_table(s3, "energy_transform", "telemetry_readings").equals(before)
    monkeypatch.setattr(Storage, "upload_file", real_upload)
    m = runner.run_job("telemetry_to_transform")  # bookmark was not advanced: the late file is retried
    assert m.rows_written == 2
    after = read_catalog_table(s3, "energy_transform", "telemetry_readings")
    assert len(after) == len(before) + 2
    # Late data merged into the already-written partition; older versions garbage-collected.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=lake["transform"], Prefix="telemetry_readings/")["Contents"]]
    pf_versions = {k.split("/v=")[1].split("/")[0] for k in keys if "metric=power_factor" in k}
    assert len(pf_versions) == 1


def test_merge_without_a_primary_key_counts_and_lays_out_the_rows_itself(lake, s3, spark):
    """A table with no primary key has no planned layout: the merge keeps every row, counts and places it."""
    from datetime import date, datetime

    from energylake.contracts import get_contract
    from energylake.runtime import job_context
    from energylake.schema import struct_type

    contract = get_contract("telemetry_readings").model_copy(update={"primary_key": ()})
    args = runner.job_arguments("telemetry_to_transform")
    argv = ["telemetry_to_transform.py", *[x for key, value in args.items() for x in (f"--{key}", value)]]
    ts = datetime(2024, 7, 15, 10)
    rows = [
        ("WF-A-T01", "WF-A", metric, 0.5, "ratio", ts, ts, "s3://raw/x.json", date(2024, 7, 15))
        for metric in ("power_factor", "power_factor", "rotor_speed")
    ]  # the first two rows would be duplicates under the real key; with no key both are kept
    with job_context(argv, ["output_path", "output_database"]) as ctx:
        frame = spark.createDataFrame(rows, struct_type(contract))
        written, dropped = ctx.merge_into(frame, contract, "energy_transform", ctx.args["output_path"], order=[])
    assert (written, dropped) == (3, 0)
    out = read_catalog_table(s3, "energy_transform", "telemetry_readings")
    assert sorted(out.metric) == ["power_factor", "power_factor", "rotor_speed"]
    assert ctx.metrics.outputs["telemetry_readings"] == 3 and ctx.metrics.partitions_written == 2


def test_a_row_without_a_partition_value_stops_the_merge_before_anything_is_written(lake, s3, spark):
    """A partition column's null or empty value would have no directory: the merge says so and writes nothing."""
    from datetime import date, datetime

    from energylake.contracts import get_contract
    from energylake.runtime import job_context
    from energylake.schema import struct_type

    contract = get_contract("telemetry_readings")
    args = runner.job_arguments("telemetry_to_transform")
    argv = ["telemetry_to_transform.py", *[x for key, value in args.items() for x in (f"--{key}", value)]]
    ts = datetime(2024, 7, 15, 10)
    rows = [
        ("WF-A-T01", "WF-A", metric, 0.5, "ratio", ts, ts, "s3://raw/x.json", date(2024, 7, 15))
        for metric in ("power_factor", "")
    ]
    with (
        pytest.raises(ValueError, match=r"no value \(null or empty\) for partition column\(s\) metric in 1 row\(s\)"),
        job_context(argv, ["output_path", "output_database"]) as ctx,
    ):
        frame = spark.createDataFrame(rows, struct_type(contract))
        ctx.merge_into(frame, contract, "energy_transform", ctx.args["output_path"], order=[])
    listed = s3.list_objects_v2(Bucket=lake["transform"], Prefix="telemetry_readings/")
    assert listed.get("KeyCount", 0) == 0
