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


def _tombstone_versions(s3, artifacts: str) -> dict[str, dict[str, object]]:
    """Each stored tombstone version of the table: its objects' (key, ETag) and its rows (key -> deleted_ts)."""
    import io

    import pandas as pd

    prefix = f"state/cdc_tombstones/{TABLE}/"
    out: dict[str, dict[str, object]] = {}
    for obj in s3.list_objects_v2(Bucket=artifacts, Prefix=prefix).get("Contents", []):
        version = obj["Key"][len(prefix) :].split("/", 1)[0]
        entry = out.setdefault(version, {"objects": set(), "rows": {}})
        entry["objects"].add((obj["Key"], obj["ETag"]))
        frame = pd.read_parquet(io.BytesIO(s3.get_object(Bucket=artifacts, Key=obj["Key"])["Body"].read()))
        entry["rows"].update({int(k): str(ts) for k, ts in zip(frame[TABLE_KEY], frame["deleted_ts"], strict=True)})
    return out


TABLE_KEY = "transaction_id"


def test_a_batch_stores_only_its_own_tombstones_and_the_history_is_folded_now_and_then(lake, s3, monkeypatch):
    from energylake import tombstones

    landing, artifacts = lake["landing"], lake["artifacts"]
    cdc_key = "dms/trading/transactions/{}.csv"
    load = "2024-07-15 08:00:00.000000"
    rows = [_row("I", load, key, "2024-07-14 01:00:00") for key in range(1, 8)]
    put(s3, landing, cdc_key.format("LOAD00000001"), "\n".join([DMS_HEADERS["transactions"], *rows]))
    assert runner.run_job("trading_cdc_apply").status == "succeeded"
    assert _tombstone_versions(s3, artifacts) == {}  # no delete yet, nothing stored

    def batch(name: str, *lines: str):
        put(s3, landing, cdc_key.format(name), "\n".join([DMS_HEADERS["transactions"], *lines]))
        m = runner.run_job("trading_cdc_apply")
        assert m.status == "succeeded" and m.balanced, m.to_dict()
        return m.details[TABLE]

    batch("20240715-090000000", "D,2024-07-15 09:00:00.000000,1,,,,,,,,,", "D,2024-07-15 09:00:01.000000,2,,,,,,,,,")
    first = _tombstone_versions(s3, artifacts)
    assert [v["rows"] for v in first.values()] == [{1: "2024-07-15 09:00:00", 2: "2024-07-15 09:00:01"}]

    # The next batch adds a version with its own delete only and leaves the first one's objects as they were;
    # a late update of key 1 (committed before its delete, in an earlier run) is still stopped by it.
    late = _row("U", "2024-07-15 08:30:00.000000", 1, "2024-07-14 02:00:00")
    details = batch("20240715-100000000", "D,2024-07-15 10:00:00.000000,3,,,,,,,,,", late)
    assert details["deleted"] == 1 and details["superseded"] == 1
    second = _tombstone_versions(s3, artifacts)
    (old,) = first
    assert second[old] == first[old] and len(second) == 2
    assert [v["rows"] for k, v in second.items() if k != old] == [{3: "2024-07-15 10:00:00"}]

    # Every COMPACT_AFTER versions the history becomes one version (latest delete per key) and the rest goes.
    monkeypatch.setattr(tombstones, "COMPACT_AFTER", 3)
    batch("20240715-110000000", "D,2024-07-15 11:00:00.000000,4,,,,,,,,,")
    (compacted,) = _tombstone_versions(s3, artifacts).values()
    assert compacted["rows"] == {
        1: "2024-07-15 09:00:00",
        2: "2024-07-15 09:00:01",
        3: "2024-07-15 10:00:00",
        4: "2024-07-15 11:00:00",
    }

    # An earlier release's single JSON document is still read, folded into the next version, then deleted.
    legacy = f"state/cdc_tombstones/{TABLE}.json"
    s3.put_object(Bucket=artifacts, Key=legacy, Body=b'[{"key": ["5"], "deleted_ts": "2024-07-15 12:00:00"}]')
    monkeypatch.setattr(tombstones, "COMPACT_AFTER", 32)
    details = batch("20240715-113000000", _row("U", "2024-07-15 11:30:00.000000", 5, "2024-07-14 03:00:00"))
    assert details["superseded"] == 1 and details["applied"] == 0
    assert "Contents" not in s3.list_objects_v2(Bucket=artifacts, Prefix=legacy)
    (folded,) = _tombstone_versions(s3, artifacts).values()
    assert folded["rows"] == {**compacted["rows"], 5: "2024-07-15 12:00:00"}
    # Key 5's stored row (never deleted in the table itself) keeps its values: the legacy tombstone stopped it.
    tx = read_catalog_table(s3, DATABASE, TABLE).set_index(TABLE_KEY)
    assert sorted(tx.index) == [5, 6, 7] and str(tx.loc[5, "updated_at"]) == "2024-07-14 01:00:00"
