"""Issue 5 end to end through the REAL Spark path.

PostgreSQL source -> DMS-compatible exporter (logical decoding) -> landing -> Glue ``trading_cdc_apply`` run by
the local Glue runner on Spark -> transform tables -> warehouse loader (COPY-equivalent + MERGE) -> warehouse.
After the full load and a CDC batch whose files arrive out of order (the later half with the full load in one job
run, the earlier half in the next; a key's delete before its older update) and which carries bad records, the
transform tables and the warehouse are compared with the source row by row; a second load changes nothing.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import psycopg
import pyarrow.parquet as pq
import pytest

from lakectl import runner
from lakectl.catalog import Catalog
from migration.dms.exporter import DmsExporter
from migration.source import SCHEMA, TABLES, contract_for, generate_changes, generate_sample_data
from migration.storage import S3Store
from warehouse.executors import LocalWarehouse
from warehouse.loader import load_datasets, setup_warehouse

pytestmark = pytest.mark.postgres
ROLE = "arn:aws:iam::123456789012:role/energylake-local-redshift-copy"


@pytest.fixture
def zones(aws, s3, spark):
    """The local environment's zone buckets (the names jobs.yaml placeholders resolve to) as S3Stores."""
    runner.ensure_buckets()
    names = runner.placeholders()
    stores = {zone: S3Store(names[zone], client=s3) for zone in ("landing", "transform", "artifacts")}
    stores["quarantine"] = S3Store(names["transform"], "quarantine", client=s3)
    return stores


@pytest.fixture
def warehouse(postgres_factory):
    """A fresh warehouse database on the PostgreSQL stand-in, with tables and procedures."""
    server = postgres_factory("warehouse")
    name = f"wh_{uuid.uuid4().hex[:8]}"
    with server.connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    wh = LocalWarehouse(server.dsn.replace(f"dbname={server.database}", f"dbname={name}"))
    setup_warehouse(wh)
    return wh


def _columns(table: str) -> list[str]:
    return [c.name for c in contract_for(table).columns]


def _normal(value: object) -> object:
    """Parquet timestamps are UTC-adjusted (tz-aware); the source's are naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _source(dsn: str) -> dict[str, list[tuple]]:
    with psycopg.connect(dsn) as conn:
        return {
            t: conn.execute(f"SELECT {', '.join(_columns(t))} FROM {SCHEMA}.{t} ORDER BY 1").fetchall() for t in TABLES
        }


def _transform(s3) -> dict[str, list[tuple]]:
    """Current rows of the transform tables, read only through their catalog locations (like Athena)."""
    catalog = Catalog()
    out = {}
    for table in TABLES:
        contract = contract_for(table)
        cols = _columns(table)
        rows = []
        if contract.partition_by:
            locations = catalog.partitions("energy_transform", contract.name).items()
        else:
            locations = [((), catalog.table_location("energy_transform", contract.name))]
        for values, location in locations:
            bucket, _, prefix = location.removeprefix("s3://").partition("/")
            for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
                if not obj["Key"].endswith(".parquet"):
                    continue
                body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                for rec in pq.read_table(io.BytesIO(body)).to_pylist():
                    rec.update({c.name: c_value for c, c_value in zip(contract.partition_columns, values, strict=True)})
                    rows.append(tuple(_normal(rec[c]) for c in cols))
        # partition values come back as strings: compare them as the source's type
        if contract.partition_by:
            idx = [cols.index(c) for c in contract.partition_by]
            rows = [tuple(str(v) if i in idx else v for i, v in enumerate(r)) for r in rows]
        out[table] = sorted(rows, key=lambda r: r[0])
    return out


def _as_partition_text(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Source rows with partition columns rendered like Hive partition values (to compare with _transform)."""
    out = {}
    for table, table_rows in rows.items():
        contract = contract_for(table)
        idx = [_columns(table).index(c) for c in contract.partition_by]
        out[table] = [tuple(str(v) if i in idx else v for i, v in enumerate(r)) for r in table_rows]
    return out


def _warehouse_rows(wh: LocalWarehouse) -> dict[str, list[tuple]]:
    return {t: wh.query(f"SELECT {', '.join(_columns(t))} FROM trading.{t} ORDER BY 1") for t in TABLES}


def _load(wh: LocalWarehouse, zones: dict[str, S3Store]):
    return load_datasets(
        wh,
        stores={"transform": zones["transform"]},
        manifest_store=S3Store(zones["artifacts"].bucket, "state/redshift/manifests", client=zones["artifacts"].client),
        iam_role=ROLE,
    )


def _assert_equal(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]], where: str) -> None:
    for table in TABLES:
        assert len(actual[table]) == len(expected[table]), f"{where}: {table} row count"
        for got, want in zip(actual[table], expected[table], strict=True):
            assert got == want, f"{where}: {table} row differs"


def _bad_cdc_file(table: str, stamp: str) -> bytes:
    """Two bad CDC records: an unknown Op and an update without its primary key."""
    cols = _columns(table)
    blank = [""] * (len(cols) - 1)
    lines = [
        ",".join(["Op", "dms_commit_ts", *cols]),
        ",".join(["X", stamp, "999001", *blank]),
        ",".join(["U", stamp, "", *blank]),
    ]
    return ("\n".join(lines) + "\n").encode()


def test_full_load_and_out_of_order_cdc_through_spark_and_warehouse_equal_the_source(source_dsn, zones, warehouse, s3):
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=41, size=1)
    exporter = DmsExporter(source_dsn, zones["landing"], zones["artifacts"], zones["quarantine"], slot="spark_e2e")
    exporter.run()

    # CDC: a key updated first and deleted last (its delete arrives before its update below), then the
    # generator's stream (same key twice in one transaction, insert-update-delete, parent deletes, ...).
    with psycopg.connect(source_dsn, autocommit=True) as conn:
        victim = conn.execute(f"SELECT min(transaction_id) FROM {SCHEMA}.transactions").fetchone()[0]
        conn.execute(
            f"UPDATE {SCHEMA}.transactions SET status = 'settled', updated_at = updated_at + interval '1 second' "
            "WHERE transaction_id = %s",
            [victim],
        )
        summary = generate_changes(conn, seed=42, batches=40)
        conn.execute(f"DELETE FROM {SCHEMA}.transactions WHERE transaction_id = %s", [victim])
    assert summary.repeated_keys["transactions"] and summary.repeated_keys["customers"]
    assert {op for _t, op in summary.operations} == {"I", "U", "D"}
    exporter.max_rows_per_file = 3  # many CDC files per table
    exported = exporter.run()
    assert exported.quarantined == 0 and sum(exported.cdc_rows.values()) > 0

    # Out-of-order arrival: the earlier half of every table's CDC files is held back; the full load and the
    # later half (with a file of bad records) are applied by the first job run, the earlier half by the second.
    held: dict[str, bytes] = {}
    for table in TABLES:
        cdc = [o["Key"] for o in zones["landing"].list(f"dms/{SCHEMA}/{table}/") if "/LOAD" not in o["Key"]]
        for key in cdc[: len(cdc) // 2]:
            held[key] = zones["landing"].get(key) or b""
    assert len(held) >= 4
    zones["landing"].client.delete_objects(
        Bucket=zones["landing"].bucket, Delete={"Objects": [{"Key": k} for k in held]}
    )
    newest = max(o["Key"] for o in zones["landing"].list(f"dms/{SCHEMA}/customers/") if "/LOAD" not in o["Key"])
    stamp = datetime.strptime(newest.rsplit("/", 1)[1][:15], "%Y%m%d-%H%M%S").strftime("%Y-%m-%d %H:%M:%S.000000")
    zones["landing"].put(f"dms/{SCHEMA}/customers/29990101-000000000.csv", _bad_cdc_file("customers", stamp))

    later = runner.run_job("trading_cdc_apply")
    assert later.status == "succeeded" and later.balanced
    assert later.rows_quarantined == 2 and later.details["trading_customers"]["quarantined"] == 2
    for key, body in held.items():
        zones["landing"].put(key, body)
    earlier = runner.run_job("trading_cdc_apply")
    assert earlier.status == "succeeded" and earlier.balanced and earlier.rows_quarantined == 0
    assert earlier.rows_read == sum(body.count(b"\n") - 1 for body in held.values())
    assert earlier.rows_deduplicated > 0  # older changes of keys already changed (or deleted) by the first run

    source = _source(source_dsn)
    assert victim not in {r[0] for r in source["transactions"]}
    _assert_equal(_transform(s3), _as_partition_text(source), "transform")

    # Bad records are in the quarantine table with their reasons.
    reasons = []
    for location in Catalog().data_locations("energy_quarantine", "quarantine_records"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            if obj["Key"].endswith(".parquet"):
                body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                reasons += pq.read_table(io.BytesIO(body)).column("reason").to_pylist()
    assert len(reasons) == 2
    assert any(r.startswith("unknown_op:X") for r in reasons)
    assert any("customer_id" in r and "missing" in r for r in reasons), reasons

    # curated-to-redshift from the job's output.
    result = _load(warehouse, zones)
    assert result.gate.passed
    assert result.rows == {contract_for(t).name: len(source[t]) for t in TABLES}
    loaded = _warehouse_rows(warehouse)
    _assert_equal(loaded, source, "warehouse")
    _load(warehouse, zones)  # idempotent rerun
    assert _warehouse_rows(warehouse) == loaded
