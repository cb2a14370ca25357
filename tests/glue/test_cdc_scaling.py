"""Issue 32: a CDC batch costs what it changes. Whole rows are read only from the partitions holding a changed
key, only the partitions whose contents change are rewritten, and every other partition keeps its files (same
object keys and ETags) and its catalog location. Checked through the job's accounting and the catalog, never
through timings."""

from __future__ import annotations

from energylake.catalog import Catalog
from energylake.storage import parse_s3_uri
from lakectl import runner
from tests.glue.conftest import put, read_catalog_table
from tests.glue.fixtures import DMS_HEADERS

DATABASE, TABLE = "energy_transform", "trading_transactions"
DAYS = ("2024-07-12", "2024-07-13", "2024-07-14")


def _row(op: str, commit: str, key: int, ts: str, status: str = "settled") -> str:
    return f"{op},{commit},{key},10,1,,1.5000,40.0000,60.0000,{status},{ts},{ts}"


def _files(s3) -> dict[tuple[str, ...], tuple[str, frozenset[tuple[str, str]]]]:
    """Each partition's catalog location and the (key, ETag) of every object under it."""
    out = {}
    for values, location in Catalog().partitions(DATABASE, TABLE).items():
        bucket, prefix = parse_s3_uri(location)
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        out[values] = (location, frozenset((o["Key"], o["ETag"]) for o in listed))
    return out


def _scanned_partitions(monkeypatch) -> list[str]:
    """Dates of the stored files the plan of each write of the table scans (``DataFrame.inputFiles``)."""
    import re

    from energylake.publish import Tables

    scanned: list[str] = []
    write = Tables.write_partitions

    def spy(self, frame, contract, *args, **kwargs):
        if contract.name == TABLE:
            for path in frame.inputFiles():
                scanned.extend(re.findall(r"transaction_date=([0-9-]+)/v=", path))
        return write(self, frame, contract, *args, **kwargs)

    monkeypatch.setattr(Tables, "write_partitions", spy)
    return scanned


def test_a_batch_reads_and_rewrites_only_the_partitions_it_touches(lake, s3, monkeypatch):
    landing = lake["landing"]
    load = "2024-07-15 08:00:00.000000"
    # Three transactions on each of three days: keys 1xx on 07-12, 2xx on 07-13, 3xx on 07-14.
    rows = [_row("I", load, 100 * (d + 1) + i, f"{day} 0{i}:00:00") for d, day in enumerate(DAYS) for i in (1, 2, 3)]
    put(s3, landing, "dms/trading/transactions/LOAD00000001.csv", "\n".join([DMS_HEADERS["transactions"], *rows]))
    first = runner.run_job("trading_cdc_apply")
    assert first.status == "succeeded" and first.balanced
    before = _files(s3)
    assert sorted(before) == [(d,) for d in DAYS]

    # One batch touching 07-13 only: an update, an insert and a delete that carries only its key (its
    # partition comes from where the key is stored, not from the change row).
    cdc = [
        _row("U", "2024-07-15 09:00:00.000000", 201, "2024-07-13 01:00:00", "cancelled"),
        _row("I", "2024-07-15 09:01:00.000000", 204, "2024-07-13 04:00:00"),
        "D,2024-07-15 09:02:00.000000,202,,,,,,,,,",
    ]
    put(s3, landing, "dms/trading/transactions/20240715-090000000.csv", "\n".join([DMS_HEADERS["transactions"], *cdc]))
    scans = _scanned_partitions(monkeypatch)
    m = runner.run_job("trading_cdc_apply")
    assert m.status == "succeeded" and m.balanced, m.to_dict()
    after = _files(s3)
    details = m.details[TABLE]
    # What was written was computed from 07-13's stored files alone (the plans of the job's writes).
    assert scans and set(scans) == {"2024-07-13"}, scans
    assert details["applied"] == 3 and details["deleted"] == 1
    # The job's own accounting says the same: whole rows of one partition, its one published file.
    assert details["partitions_read"] == 1
    assert details["files_read"] == len([k for k, _ in before[("2024-07-13",)][1] if k.endswith(".parquet")])
    assert details["partitions_rewritten"] == 1
    # Untouched partitions keep their catalog location and the very same objects; 07-13 is a new version.
    for day in ("2024-07-12", "2024-07-14"):
        assert after[(day,)] == before[(day,)]
    assert after[("2024-07-13",)][0] != before[("2024-07-13",)][0]
    tx = read_catalog_table(s3, DATABASE, TABLE).set_index("transaction_id")
    assert sorted(tx.index) == [101, 102, 103, 201, 203, 204, 301, 302, 303]
    assert tx.loc[201, "status"] == "cancelled"

    # An update that moves a row to another date reads and rewrites the two dates involved, no third.
    moved = [_row("U", "2024-07-15 09:10:00.000000", 101, "2024-07-13 05:00:00")]
    put(
        s3, landing, "dms/trading/transactions/20240715-091000000.csv", "\n".join([DMS_HEADERS["transactions"], *moved])
    )
    again = runner.run_job("trading_cdc_apply")
    assert again.status == "succeeded" and again.balanced
    # Both are read: the key's stored partition (07-12) and the one it lands in (07-13), whose other rows the
    # rewrite must keep.
    assert again.details[TABLE]["partitions_read"] == 2
    assert again.details[TABLE]["partitions_rewritten"] == 2
    assert _files(s3)[("2024-07-14",)] == before[("2024-07-14",)]
    tx = read_catalog_table(s3, DATABASE, TABLE).set_index("transaction_id")
    assert tx.index.is_unique and str(tx.loc[101, "transaction_date"]) == "2024-07-13"
    assert sorted(tx.index) == [101, 102, 103, 201, 203, 204, 301, 302, 303]

    # A change older than the stored row (a late file) is superseded: its partition is read, nothing rewritten.
    older = _row("U", "2024-07-13 09:00:00.000000", 302, "2024-07-14 00:30:00")  # stored: updated 02:00
    stale = "\n".join([DMS_HEADERS["transactions"], older])
    put(s3, landing, "dms/trading/transactions/20240713-090000000.csv", stale)
    late = runner.run_job("trading_cdc_apply")
    assert late.status == "succeeded" and late.balanced and late.details[TABLE]["superseded"] == 1
    assert late.details[TABLE]["partitions_read"] == 1 and late.details[TABLE]["partitions_rewritten"] == 0
    assert _files(s3)[("2024-07-14",)] == before[("2024-07-14",)]
