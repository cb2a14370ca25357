"""Issue 33, class 2: quarantine rows are keyed by source file and line, and every row keeps its raw text.

Identical bad records in one file stay separate rows (the table's count equals the metrics'); records whose
time is null keep their text; a rerun over the same objects adds no quarantine row.
"""

from __future__ import annotations

import io
import json
import random

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakectl import runner
from lakectl.catalog import Catalog

from .balance_lib import assert_balanced_by_table, forget_bookmark, put_objects, run


def test_identical_bad_telemetry_records_are_one_row_each_and_reruns_add_none(aws, spark, s3):
    runner.ensure_buckets()
    rng = random.Random(3302)
    bad_kinds = [
        '{"id": "WF-ROSCOE-T01", "data": "not a number", "type": "powerFactor", "date": "2024-07-15T10:00:00Z"}',
        '{"id": "WF-ROSCOE-T01", "data": 0.9, "type": "powerFactor", "date": null}',
        '{"id": "WF-ROSCOE-T01", "data": 0.9, "type": "powerFactor"}',
        '{"id": "WF-ROSCOE-T01", "data": 0.9, "type": "powerFactor", "date": "yesterday"}',
        "{broken",
    ]
    lines, copies = [], {}
    for bad in bad_kinds:
        copies[bad] = rng.randint(2, 5)
        lines += [bad] * copies[bad]
    good = [
        json.dumps({"id": "WF-ROSCOE-T02", "data": 0.95, "type": "powerFactor", "date": f"2024-07-15T10:{m:02d}:00Z"})
        for m in range(3)
    ]
    lines += good
    rng.shuffle(lines)
    key = "telemetry/windfarm/2024/07/15/10/issue33-identical.json"
    # The same lines in a second object: its rows are not merged with the first object's.
    twin = "telemetry/windfarm/2024/07/15/11/issue33-identical.json"
    body = ("\n".join(lines) + "\n").encode()
    uris = put_objects(s3, "energylake-local-raw", {key: body, twin: body})

    first = run(s3, "telemetry_to_transform", uris)

    assert first.metrics.rows_quarantined == 2 * sum(copies.values())
    assert len(first.quarantine) == 2 * sum(copies.values())
    for uri in uris.values():
        rows = first.quarantine[first.quarantine.source_file == uri]
        assert sorted(rows.line_no) == [i for i, line in enumerate(lines) if line in copies]
        assert rows.raw_record.value_counts().to_dict() == copies
    assert_balanced_by_table(first)

    forget_bookmark("telemetry_to_transform")
    again = run(s3, "telemetry_to_transform", uris)
    assert again.metrics.rows_quarantined == first.metrics.rows_quarantined
    assert len(again.quarantine) == len(first.quarantine)  # the earliest quarantine of each record is kept


def _weather(times: list[str | None], temperature: float) -> bytes:
    n = len(times)
    hourly = {
        "time": times,
        "temperature_2m": [temperature] * n,
        "wind_speed_10m": [10.0] * n,
        "wind_speed_100m": [20.0] * n,
        "shortwave_radiation": [300.0] * n,
        "cloud_cover": [50.0] * n,
    }
    return json.dumps({"latitude": 32.4, "longitude": -100.5, "utc_offset_seconds": 0, "hourly": hourly}).encode()


def test_hours_with_a_null_or_bad_time_keep_their_text_and_are_one_row_each(aws, spark, s3):
    runner.ensure_buckets()
    rng = random.Random(3303)
    times: list[str | None] = [f"2024-07-15T{h:02d}:00" for h in range(6)]
    damaged = rng.sample(range(6), 4)
    for i in damaged:
        times[i] = rng.choice([None, None, "", "not a time"])
    key = "openmeteo/forecast/WF-ROSCOE/2024/07/15/0600.json"
    uris = put_objects(s3, "energylake-local-landing", {key: _weather(times, 25.0)})

    done = run(s3, "openmeteo_to_transform", uris)

    assert done.metrics.rows_written == 6 - len(damaged)
    assert sorted(done.quarantine.line_no) == sorted(damaged)
    assert done.quarantine.raw_record.notna().all()
    assert_balanced_by_table(done)

    forget_bookmark("openmeteo_to_transform")
    again = run(s3, "openmeteo_to_transform", uris)
    assert len(again.quarantine) == len(damaged)


def _rewrite_as_before_line_numbers(s3) -> None:
    """Make the quarantine table look as a release before line numbers wrote it: no line_no, one row per key."""
    catalog = Catalog()
    for _, location in catalog.partitions("energy_quarantine", "quarantine_records").items():
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        files = [k for k in keys if k.endswith(".parquet")]
        table = pa.concat_tables(
            pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in files
        )
        table = table.set_column(table.schema.get_field_index("line_no"), "line_no", pa.nulls(len(table), pa.int32()))
        legacy_key = ["job_name", "source_file", "reason", "raw_record"]
        first = table.group_by(legacy_key, use_threads=False).aggregate([("run_id", "min")])
        table = table.join(first.rename_columns([*legacy_key, "run_id"]), [*legacy_key, "run_id"]).select(
            table.schema.names
        )
        table = table.filter(pc.invert(pc.is_null(table["job_name"])))
        for k in files:
            s3.delete_object(Bucket=bucket, Key=k)
        out = io.BytesIO()
        pq.write_table(table, out, coerce_timestamps="us")  # what Spark reads back as its timestamp type
        s3.put_object(Bucket=bucket, Key=files[0], Body=out.getvalue())


def test_rows_from_before_line_numbers_are_replaced_not_doubled_on_rerun(aws, spark, s3):
    runner.ensure_buckets()
    bad = '{"id": "WF-ROSCOE-T01", "data": "not a number", "type": "powerFactor", "date": "2024-07-15T10:00:00Z"}'
    good = json.dumps({"id": "WF-ROSCOE-T02", "data": 0.95, "type": "powerFactor", "date": "2024-07-15T10:01:00Z"})
    lines = [bad, good, bad, "{broken", bad]
    key = "telemetry/windfarm/2024/07/15/10/issue33-legacy.json"
    uris = put_objects(s3, "energylake-local-raw", {key: ("\n".join(lines) + "\n").encode()})
    run(s3, "telemetry_to_transform", uris)
    _rewrite_as_before_line_numbers(s3)

    forget_bookmark("telemetry_to_transform")
    again = run(s3, "telemetry_to_transform", uris)

    assert sorted(again.quarantine.line_no) == [0, 2, 3, 4]
    assert_balanced_by_table(again)
