"""`make source-seed` (lakectl source seed) resets the exporter and the CDC job so a re-seed exports cleanly."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import psycopg
import pytest

from lakectl.catalog import register_contract_table
from lakectl.cli import build_parser
from migration.dms.apply import apply_dms_to_transform
from migration.source import SCHEMA, TABLES
from migration.storage import S3Store

pytestmark = pytest.mark.postgres
BUCKETS = {zone: f"energylake-local-{zone}" for zone in ("landing", "transform", "artifacts")}


def _lakectl(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return args.func(args)


def _source(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {SCHEMA}.{t}").fetchone()[0] for t in TABLES}


def _slots(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT slot_name FROM pg_replication_slots").fetchall()]


def test_source_seed_resets_slot_state_landing_and_cdc_job(source_dsn, s3, monkeypatch, capsys):
    import migration.cli

    monkeypatch.setattr(migration.cli, "local_source", lambda: SimpleNamespace(dsn=source_dsn))
    for bucket in BUCKETS.values():
        s3.create_bucket(Bucket=bucket)
    landing, transform, artifacts = (S3Store(BUCKETS[z], client=s3) for z in ("landing", "transform", "artifacts"))

    assert _lakectl("source", "seed", "--seed", "3") == 0
    assert _lakectl("dms-export") == 0
    assert _lakectl("source", "changes", "--seed", "4", "--batches", "10") == 0
    assert _lakectl("dms-export") == 0
    before = [o["Key"] for o in landing.list("dms/trading/")]
    assert any("/LOAD" not in k for k in before), "the second export wrote CDC files"
    assert "lake_dms_trading" in _slots(source_dsn)
    # What the Glue CDC job leaves behind: a bookmark, transform tables and their catalog entries.
    apply_dms_to_transform(landing, transform)
    artifacts.put("state/bookmarks/trading_cdc_apply.json", b'{"processed": {"s3://x/y.csv": "etag"}}')
    artifacts.put("state/cdc_tombstones/trading_transactions.json", b'[{"key": ["7"], "deleted_ts": "2024-01-02"}]')
    # Tombstones as the job keeps them now (energylake.tombstones), and another job's state that must stay.
    artifacts.put("state/cdc_tombstones/trading_customers/v=run-1/part-0.parquet", b"PAR1")
    artifacts.put("state/cdc_tombstones/trading_customers/v=run-2/part-0.parquet", b"PAR1")
    artifacts.put("state/cdc_tombstones/not_a_trading_table/v=run-1/part-0.parquet", b"PAR1")
    register_contract_table("trading_customers", f"s3://{BUCKETS['transform']}/trading_customers/")
    capsys.readouterr()

    assert _lakectl("source", "seed", "--seed", "3") == 0
    reset = json.loads(capsys.readouterr().out.splitlines()[0])["reset"]
    assert reset["slot_dropped"] and reset["state_deleted"] and reset["bookmark_deleted"]
    assert reset["landing_files"] == len(before) and reset["tombstone_files"] == 3
    assert reset["catalog_tables"] == ["trading_customers"]
    assert all(n > 0 for n in reset["transform_files"].values())
    assert "lake_dms_trading" not in _slots(source_dsn)
    assert landing.list("dms/trading/") == [] and transform.list("trading_") == []
    assert artifacts.get("state/dms-exporter/trading/lake_dms_trading.json") is None
    assert artifacts.get("state/bookmarks/trading_cdc_apply.json") is None
    assert [o["Key"] for o in artifacts.list("state/cdc_tombstones/")] == [
        "state/cdc_tombstones/not_a_trading_table/v=run-1/part-0.parquet"
    ]
    glue = boto3.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName="energy_transform", Name="trading_customers")

    # The re-seeded source exports as a fresh full load (no CDC of the seed) and applies to exactly the source.
    assert _lakectl("dms-export") == 0
    keys = [o["Key"] for o in landing.list("dms/trading/")]
    assert keys and all(k.rsplit("/", 1)[1].startswith("LOAD") for k in keys)
    results = apply_dms_to_transform(landing, transform)
    assert {r.dataset: r.rows_out for r in results.values()} == {
        f"trading_{t}": n for t, n in _source(source_dsn).items()
    }
    assert all(r.superseded == 0 and r.final_deletes == 0 for r in results.values())


def test_seed_without_reset_would_export_the_seed_as_cdc(source_dsn, s3, monkeypatch):
    """The failure the reset prevents (so the test above can fail): the old slot turns the re-seed into CDC."""
    import migration.cli

    monkeypatch.setattr(migration.cli, "local_source", lambda: SimpleNamespace(dsn=source_dsn))
    for bucket in BUCKETS.values():
        s3.create_bucket(Bucket=bucket)
    landing = S3Store(BUCKETS["landing"], client=s3)
    assert _lakectl("source", "seed", "--seed", "3") == 0
    assert _lakectl("dms-export") == 0
    assert _lakectl("source", "seed", "--seed", "3", "--keep-exporter-state") == 0
    assert _lakectl("dms-export") == 0
    cdc = [o["Key"] for o in landing.list("dms/trading/") if "/LOAD" not in o["Key"]]
    assert cdc, "without the reset the re-seed is exported as CDC on top of the old full load"
