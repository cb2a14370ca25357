"""curated-to-redshift end to end: source -> DMS files -> current-state Parquet -> warehouse equals the source."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from migration.dms.apply import apply_dms_to_transform
from migration.dms.exporter import DmsExporter
from migration.source import TABLES, generate_changes, generate_sample_data
from migration.storage import S3Store
from warehouse.executors import LocalWarehouse, Statement, WarehouseError
from warehouse.loader import load_datasets, setup_warehouse
from warehouse.quality import DataQualityGateError

pytestmark = pytest.mark.postgres
ROLE = "arn:aws:iam::123456789012:role/energylake-local-redshift-copy"


@pytest.fixture
def warehouse(postgres_factory):
    server = postgres_factory("warehouse")
    name = f"wh_{uuid.uuid4().hex[:8]}"
    with server.connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    wh = LocalWarehouse(server.dsn.replace(f"dbname={server.database}", f"dbname={name}"))
    setup_warehouse(wh)
    return wh


def _snapshot(query) -> dict[str, list[tuple]]:
    tables = [*TABLES, "daily_client_settlement"]
    return {t: query(f"SELECT * FROM trading.{t} ORDER BY 1, 2") for t in tables}


def _source(dsn) -> dict[str, list[tuple]]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT * FROM trading.{t} ORDER BY 1").fetchall() for t in TABLES}


def _load(wh, lake, **kw):
    return load_datasets(
        wh,
        stores={"transform": lake["transform"]},
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=lake["artifacts"].client),
        iam_role=ROLE,
        **kw,
    )


def _expected_settlement(source: dict[str, list[tuple]]) -> list[tuple]:
    """Daily settlement computed in Python from the source rows (independent of the stored procedure)."""
    customers = {c[0]: c for c in source["customers"]}
    acc: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)])
    for t in source["transactions"]:
        _id, _p, cust, _k, energy, _price, amount, status, _ts, _u, day = t
        if status == "cancelled":
            continue
        a = acc[(day, cust)]
        a[0] += 1
        a[1] += energy
        a[2] += amount
        a[3] += amount if status == "settled" else 0
        a[4] += amount if status == "pending" else 0
    out = []
    for (day, cust), (n, energy, amount, settled, pending) in sorted(acc.items()):
        c = customers[cust]
        avg = (amount / energy).quantize(Decimal("0.0001")) if energy else None
        out.append((day, cust, c[6], c[5], n, energy, amount, settled, pending, avg))
    return out


def test_full_load_then_cdc_leaves_the_warehouse_equal_to_the_source(source_dsn, lake, warehouse):
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=21, size=1)
    exporter = DmsExporter(source_dsn, lake["landing"], lake["artifacts"], lake["quarantine"], slot="wh_dms")
    exporter.run()
    apply_dms_to_transform(lake["landing"], lake["transform"])
    first = _load(warehouse, lake)
    loaded = _snapshot(warehouse.query)
    assert all(loaded[t] == rows for t, rows in _source(source_dsn).items())
    assert first.gate.passed and first.rows["trading_transactions"] == len(_source(source_dsn)["transactions"])

    with psycopg.connect(source_dsn) as conn:
        summary = generate_changes(conn, seed=22, batches=30)
    assert summary.repeated_keys["transactions"]
    exporter.max_rows_per_file = 4  # CDC over many files, applied in shuffled order below
    exporter.run()
    results = apply_dms_to_transform(lake["landing"], lake["transform"], file_order="shuffled")
    assert all(r.balanced() for r in results.values())
    _load(warehouse, lake)
    source = _source(source_dsn)
    loaded = _snapshot(warehouse.query)
    for table in TABLES:
        assert loaded[table] == source[table], f"{table} differs from the source"
    assert loaded["daily_client_settlement"] == _expected_settlement(source)

    _load(warehouse, lake)  # idempotent: same input, same warehouse
    assert _snapshot(warehouse.query) == loaded


class _FailingWarehouse(LocalWarehouse):
    """Runs the real transaction but raises after ``fail_after`` statements (a crash half way)."""

    fail_after: int = 0

    def execute_transaction(self, statements: list[Statement]) -> None:
        cut = self.fail_after
        super().execute_transaction([*statements[:cut], Statement(raw="SELECT 1/0"), *statements[cut:]])


def _loaded_then_changed(source_dsn, lake, warehouse, *, slot: str, seed: int, batches: int) -> dict:
    """Seed, export, apply and load; then change the source and export/apply again (not loaded): the snapshot."""
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=seed, size=1)
    exporter = DmsExporter(source_dsn, lake["landing"], lake["artifacts"], lake["quarantine"], slot=slot)
    exporter.run()
    apply_dms_to_transform(lake["landing"], lake["transform"])
    _load(warehouse, lake)
    before = _snapshot(warehouse.query)
    with psycopg.connect(source_dsn) as conn:
        generate_changes(conn, seed=seed + 1, batches=batches)
    exporter.run()
    apply_dms_to_transform(lake["landing"], lake["transform"])
    return before


def test_a_load_failing_half_way_leaves_the_warehouse_unchanged(source_dsn, lake, warehouse):
    before = _loaded_then_changed(source_dsn, lake, warehouse, slot="wh_fail", seed=5, batches=20)
    failing = _FailingWarehouse(warehouse.conninfo)
    failing.fail_after = 40  # after providers/customers/contracts are merged, inside transactions
    with pytest.raises(WarehouseError, match="division by zero"):
        _load(failing, lake)
    assert any(s.startswith("MERGE INTO trading.customers") for s in failing.executed[:40])
    assert _snapshot(warehouse.query) == before
    # a data error inside the COPY (NOT NULL target column) also rolls back everything
    broken = lake["transform"].list("trading_customers/")[0]["Key"]
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(lake["transform"].get(broken)))
    table = table.set_column(1, "name", pa.array([None] * table.num_rows, pa.string()))
    buf = io.BytesIO()
    pq.write_table(table, buf)
    lake["transform"].put(broken, buf.getvalue())
    with pytest.raises(WarehouseError):
        _load(warehouse, lake)
    assert _snapshot(warehouse.query) == before


def test_failing_quality_gate_blocks_the_load_and_alarms(source_dsn, lake, warehouse, monkeypatch):
    import boto3

    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=8, size=1)
        conn.execute("DELETE FROM trading.transactions WHERE customer_id = 3")
        conn.execute("DELETE FROM trading.contracts WHERE customer_id = 3")
        conn.execute("DELETE FROM trading.customers WHERE customer_id = 3")
    DmsExporter(source_dsn, lake["landing"], lake["artifacts"], lake["quarantine"], slot="wh_gate").run()
    apply_dms_to_transform(lake["landing"], lake["transform"])
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="lake-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="alarms")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    monkeypatch.setenv("LAKE_ALARM_TOPIC_ARN", topic)

    with pytest.raises(DataQualityGateError) as stale:  # files older than the freshness limit
        _load(warehouse, lake, now=datetime.now(UTC) + timedelta(days=3))
    assert [r.check for r in stale.value.report.failures] == ["freshness"] * 4

    # an orphan: a transaction whose customer is missing from the snapshot
    customers = lake["transform"].list("trading_customers/")[0]["Key"]
    import io

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(lake["transform"].get(customers)))
    table = table.filter(pc.not_equal(table["customer_id"], 1))
    buf = io.BytesIO()
    pq.write_table(table, buf)
    lake["transform"].put(customers, buf.getvalue())
    with pytest.raises(DataQualityGateError, match="fk_customer_id"):
        _load(warehouse, lake)
    assert warehouse.query("SELECT count(*) FROM trading.transactions") == [(0,)]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 2 and "warehouse-load-blocked" in messages[0]["Body"]


def _client_analytics(dsn) -> list[dict]:
    """client_analytics rows computed from the source with SQL (independent of the Glue job), as dicts."""
    sql = """
        SELECT c.customer_id, c.name AS customer_name, c.email, c.segment, c.region,
               COALESCE(SUM(t.energy_mwh), 0) AS total_energy_mwh, COALESCE(SUM(t.amount), 0) AS total_amount,
               ROUND(SUM(t.amount) / NULLIF(SUM(t.energy_mwh), 0), 4) AS avg_price_per_mwh,
               COUNT(t.transaction_id) AS transaction_count,
               (SELECT COUNT(*) FROM trading.contracts k WHERE k.customer_id = c.customer_id) AS active_contracts,
               NULL::text AS preferred_energy_type,
               MIN(t.transaction_ts) AS first_transaction_ts, MAX(t.transaction_ts) AS last_transaction_ts
        FROM trading.customers c LEFT JOIN trading.transactions t ON t.customer_id = c.customer_id
        GROUP BY c.customer_id ORDER BY c.customer_id"""
    with psycopg.connect(dsn) as conn:
        cur = conn.execute(sql)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_curated_client_analytics_is_copied_merged_and_pruned(source_dsn, lake, warehouse, s3):
    from energylake.contracts import get_contract
    from migration.dms.apply import write_parquet
    from warehouse.loader import WAREHOUSE_DATASETS

    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=31, size=1)
    DmsExporter(source_dsn, lake["landing"], lake["artifacts"], lake["quarantine"], slot="wh_curated").run()
    apply_dms_to_transform(lake["landing"], lake["transform"])
    s3.create_bucket(Bucket="curated")
    curated = S3Store("curated", client=s3)
    contract = get_contract("client_analytics")
    rows = _client_analytics(source_dsn)
    write_parquet(contract, rows, curated)
    stores = {"transform": lake["transform"], "curated": curated}
    result = load_datasets(
        warehouse,
        stores=stores,
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=s3),
        iam_role=ROLE,
        datasets=WAREHOUSE_DATASETS,
    )
    assert result.rows["client_analytics"] == len(rows) > 0
    assert any("/client_analytics/" in m for m in result.manifests)
    cols = ", ".join(c.name for c in contract.columns)
    loaded = warehouse.query(f"SELECT {cols} FROM trading.client_analytics ORDER BY customer_id")
    assert loaded == [tuple(r[c.name] for c in contract.columns) for r in rows]
    # The next curated snapshot drops a customer and changes another: MERGE updates, absent rows are deleted.
    changed = [dict(r) for r in rows[1:]]
    changed[0]["segment"] = "industrial" if changed[0]["segment"] != "industrial" else "residential"
    write_parquet(contract, changed, curated)
    load_datasets(
        warehouse,
        stores=stores,
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=s3),
        iam_role=ROLE,
        datasets=WAREHOUSE_DATASETS,
    )
    loaded = warehouse.query(f"SELECT {cols} FROM trading.client_analytics ORDER BY customer_id")
    assert loaded == [tuple(r[c.name] for c in contract.columns) for r in changed]
    assert _snapshot(warehouse.query)["customers"] == _source(source_dsn)["customers"]
