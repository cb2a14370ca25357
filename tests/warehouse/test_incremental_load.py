"""Warehouse loads read only what changed (issue 32): day 1 then day 2, a no-op rerun, a republished day.

The lake is published like the Glue jobs publish it (one immutable version directory per partition, the catalog
switched to it; bench.warehouse.publish) on the moto server, and loaded into the real PostgreSQL stand-in. The
loader's reader is injected to count the files a load opens.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import boto3
import pyarrow.parquet as pq
import pytest

from bench.warehouse import START, _row, publish, publish_day, publish_dimensions
from energylake.catalog import Catalog
from energylake.contracts import get_contract
from migration.storage import S3Store, split_s3_url
from tests.warehouse.test_curated_to_redshift import ROLE, warehouse  # noqa: F401 - warehouse is a fixture
from warehouse.loader import TRADING_DATASETS, load_datasets, s3_reader
from warehouse.quality import DataQualityGateError
from warehouse.redshift_dialect import check_manifest, check_script

pytestmark = pytest.mark.postgres
ROWS = 40


class CountingReader:
    """The loader's file reader, recording every URL it opens."""

    def __init__(self, s3) -> None:
        self.inner = s3_reader(s3)
        self.opened: list[str] = []

    def __call__(self, url: str):
        self.opened.append(url)
        return self.inner(url)


@pytest.fixture
def lake(s3):
    for bucket in ("transform", "artifacts"):
        s3.create_bucket(Bucket=bucket)
    catalog = Catalog(boto3.client("glue"))
    publish_dimensions(s3, catalog)
    return s3, catalog


def _load(wh, s3, catalog):
    reader = CountingReader(s3)
    result = load_datasets(
        wh,
        stores={"transform": S3Store("transform", client=s3)},
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=s3),
        iam_role=ROLE,
        datasets=TRADING_DATASETS,
        catalog=catalog,
        reader=reader,
    )
    return result, reader.opened


def _files(s3, location: str) -> list[str]:
    bucket, prefix = split_s3_url(location)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return sorted(f"s3://{bucket}/{k}" for k in keys if k.endswith(".parquet"))


def _manifest(s3, url: str) -> dict:
    bucket, key = split_s3_url(url)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _day(i: int) -> date:
    return START + timedelta(days=i)


def test_second_load_copies_and_reads_only_the_new_day(lake, warehouse):  # noqa: F811
    s3, catalog = lake
    day1 = publish_day(s3, catalog, 0, ROWS, files=2)
    _, opened = _load(warehouse, s3, catalog)
    assert set(_files(s3, day1)) <= set(opened)  # the first load reads everything it loads

    day2 = publish_day(s3, catalog, 1, ROWS, files=2)
    warehouse.executed.clear()
    result, opened = _load(warehouse, s3, catalog)
    assert sorted(opened) == _files(s3, day2)  # the loader opened day 2's files and nothing else
    assert len(result.manifests) == 1
    manifest = _manifest(s3, result.manifests[0])
    assert sorted(e["url"] for e in manifest["entries"]) == _files(s3, day2)
    copies = [s for s in warehouse.executed if s.startswith("COPY ")]
    copy = f"COPY copy_trading_transactions FROM '{result.manifests[0]}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST"
    assert copies == [copy]
    unchanged = {"trading_contracts": 0, "trading_customers": 0, "trading_providers": 0}
    assert result.rows == {**unchanged, "trading_transactions": ROWS}
    assert result.gate.passed  # foreign keys of day 2 resolve against the customers already in the warehouse
    counts = warehouse.query("SELECT transaction_date, count(*) FROM trading.transactions GROUP BY 1 ORDER BY 1")
    assert counts == [(_day(0), ROWS), (_day(1), ROWS)]
    refreshed = [s for s in warehouse.executed if s.startswith("CALL trading.sp_refresh_settlement")]
    assert refreshed == [f"CALL trading.sp_refresh_settlement('{_day(1)}', '{_day(1)}')"]  # that day only
    assert check_script(refreshed) == []


def test_the_manifest_is_the_documented_redshift_format(lake, warehouse):  # noqa: F811
    # https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html: a JSON object whose
    # "entries" list gives each file's full object path as "url" (bucket and key, not a prefix), an optional
    # boolean "mandatory", and for ORC/Parquet "meta": {"content_length": <the file's actual size in bytes>}.
    s3, catalog = lake
    publish_day(s3, catalog, 0, ROWS, files=3)
    result, _ = _load(warehouse, s3, catalog)
    assert result.manifests
    for url in result.manifests:
        manifest = _manifest(s3, url)
        assert list(manifest) == ["entries"] and manifest["entries"]
        for entry in manifest["entries"]:
            assert set(entry) == {"url", "mandatory", "meta"} and entry["mandatory"] is True
            assert list(entry["meta"]) == ["content_length"]
            bucket, key = split_s3_url(entry["url"])
            assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == entry["meta"]["content_length"]
        assert check_manifest(manifest) == []


def test_rerun_is_a_no_op(lake, warehouse):  # noqa: F811
    s3, catalog = lake
    publish_day(s3, catalog, 0, ROWS)
    publish_day(s3, catalog, 1, ROWS)
    _load(warehouse, s3, catalog)
    before = warehouse.query("SELECT * FROM trading.transactions ORDER BY transaction_id")
    warehouse.executed.clear()
    result, opened = _load(warehouse, s3, catalog)
    assert opened == [] and result.manifests == [] and result.statements == 0
    assert warehouse.executed == []  # no transaction at all (the ledger is unchanged too)
    assert result.gate.passed
    assert warehouse.query("SELECT * FROM trading.transactions ORDER BY transaction_id") == before


def test_a_republished_day_replaces_its_rows_and_a_removed_day_leaves(lake, warehouse):  # noqa: F811
    s3, catalog = lake
    contract = get_contract("trading_transactions")
    for i in range(3):
        publish_day(s3, catalog, i, ROWS)
    _load(warehouse, s3, catalog)
    other = warehouse.query(f"SELECT * FROM trading.transactions WHERE transaction_date = '{_day(0)}' ORDER BY 1")

    # Day 2 is republished: a row deleted at the source, a row changed, a row added.
    rows = [_row(contract, ROWS + n, _day(1)) for n in range(1, ROWS + 1)]
    del rows[0]
    rows[0]["status"] = "cancelled" if rows[0]["status"] != "cancelled" else "settled"
    rows.append(_row(contract, 10_000, _day(1)))
    new = publish(s3, catalog, contract, rows, "republished", values=(_day(1).isoformat(),))
    # Day 3 leaves the catalog (every row deleted at the source).
    catalog.delete_partition(contract, contract.glue_database(), (_day(2).isoformat(),))
    warehouse.executed.clear()
    result, opened = _load(warehouse, s3, catalog)
    assert sorted(opened) == _files(s3, new)
    assert result.changed["trading_transactions"] == 2

    cols = [c.name for c in contract.data_columns]
    loaded = warehouse.query(
        f"SELECT {', '.join(cols)} FROM trading.transactions WHERE transaction_date = '{_day(1)}' ORDER BY 1"
    )
    table = pq.read_table(
        io.BytesIO(s3.get_object(Bucket="transform", Key=split_s3_url(_files(s3, new)[0])[1])["Body"].read())
    )
    expected = sorted(tuple(r[c] for c in cols) for r in table.to_pylist())
    assert loaded == expected
    assert warehouse.query(f"SELECT count(*) FROM trading.transactions WHERE transaction_date = '{_day(2)}'") == [(0,)]
    assert (
        warehouse.query(f"SELECT * FROM trading.transactions WHERE transaction_date = '{_day(0)}' ORDER BY 1") == other
    )  # untouched
    days = warehouse.query("SELECT DISTINCT settlement_date FROM trading.daily_client_settlement ORDER BY 1")
    assert days == [(_day(0),), (_day(1),)]  # the removed day's settlement went with it
    ledger = warehouse.query("SELECT partition_key FROM etl.load_ledger WHERE dataset_name = 'trading_transactions'")
    assert {k for (k,) in ledger} == {f"transaction_date={_day(i)}" for i in (0, 1)}


def test_a_parent_key_still_referenced_by_kept_rows_blocks_the_load(lake, warehouse):  # noqa: F811
    s3, catalog = lake
    publish_day(s3, catalog, 0, ROWS)
    _load(warehouse, s3, catalog)
    customers = get_contract("trading_customers")
    referenced = warehouse.query("SELECT min(customer_id) FROM trading.transactions")[0][0]
    rows = [_row(customers, n, START) for n in range(1, 51) if n != referenced]
    publish(s3, catalog, customers, rows, "without-one")  # only customers changed; day 1 still points at it
    with pytest.raises(DataQualityGateError, match=f"fk_customer_id: 1 customer_id values missing.*\\[{referenced}\\]"):
        _load(warehouse, s3, catalog)
    assert warehouse.query("SELECT count(*) FROM trading.customers") == [(50,)]  # blocked: nothing changed


def test_without_a_catalog_unchanged_files_are_not_read_again(s3, warehouse):  # noqa: F811
    """The reference CDC apply registers no catalog table: a partition's version is a digest of its files."""
    from migration.dms.apply import write_parquet

    for bucket in ("transform", "artifacts"):
        s3.create_bucket(Bucket=bucket)
    transform = S3Store("transform", client=s3)
    for name in TRADING_DATASETS:
        contract = get_contract(name)
        write_parquet(contract, [_row(contract, n, _day(n % 2)) for n in range(1, 51)], transform)
    catalog = Catalog(boto3.client("glue"))  # given, but it has none of these tables
    first, opened = _load(warehouse, s3, catalog)
    assert first.gate.passed and len(opened) == 5  # 3 tables + 2 days of transactions
    warehouse.executed.clear()
    result, opened = _load(warehouse, s3, catalog)
    assert opened == [] and result.statements == 0 and warehouse.executed == []
