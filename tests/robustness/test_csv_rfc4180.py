"""Issue 33, class 4: CSV sources follow RFC 4180, and key columns cast exactly.

A DMS file written by Python's csv module (the dialect DMS writes with Rfc4180=true): doubled quotes and
quoted separators round-trip exactly; a fractional, exponent or overflowing key is quarantined, never
truncated onto another row's key.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter

from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, LongType

from energylake.casts import does_not_cast
from lakectl import runner

from .balance_lib import assert_balanced_by_table, assert_rerun_changes_nothing, put_objects, run
from .corpus_lib import read_table

HEADER = [
    "Op",
    "dms_commit_ts",
    "customer_id",
    "name",
    "email",
    "phone",
    "address",
    "segment",
    "region",
    "created_at",
    "updated_at",
]
PIECES = ['Bob "The Builder"', "Ltd, Inc.", '""', ",", " spaced ", "O'Neil", "Ünïcødé", '"quoted"', "a;b", "x"]
BAD_KEYS = ["304.7", "1e3", "99999999999999999999", "0x10", "12 3", "7.", "-"]


def _row(key: str, name: str, address: str) -> list[str]:
    ts = "2024-01-01 00:00:00"
    return ["I", "2024-07-15 08:00:00.000000", key, name, "a@example.com", "", address, "commercial", "COAST", ts, ts]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")  # RFC 4180 quoting, as DMS writes it
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_dms_csv_round_trips_quotes_and_separators_and_quarantines_inexact_keys(aws, spark, s3):
    runner.ensure_buckets()
    rng = random.Random(334)
    names = {}
    rows = []
    for key in range(1, 25):
        name = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))
        names[key] = name
        rows.append(_row(str(key), name, rng.choice(PIECES)))
    for bad in BAD_KEYS:
        rows.append(_row(bad, "Someone, " + bad, '12 "Oak" St, Austin'))
    rng.shuffle(rows)
    key = "dms/trading/customers/LOAD00000001.csv"
    uris = put_objects(s3, "energylake-local-landing", {key: _csv(rows)})

    done = run(s3, "trading_cdc_apply", uris)

    table = read_table(s3, "energy_transform", "trading_customers")
    # Values are stored as given, quotes and separators included (the lake trims surrounding blanks by design).
    assert dict(zip(table.customer_id.astype(int), table.name, strict=True)) == {k: v.strip() for k, v in names.items()}
    assert done.reasons(key) == {"invalid_type": len(BAD_KEYS)}
    assert all(r.startswith("invalid_type:customer_id") for r in done.quarantine.reason)
    assert_balanced_by_table(done)
    assert_rerun_changes_nothing(s3, "trading_cdc_apply", done, [("energy_transform", "trading_customers")])


def test_does_not_cast_rejects_fractional_exponent_and_overflowing_integers(spark):
    values = ["304", "+7", "-12", "304.7", "1e3", "7.", "99999999999999999999", "2147483648", "", "x", None]
    frame = spark.createDataFrame([(v,) for v in values], "v string")
    got = frame.select(
        does_not_cast(F.col("v"), LongType()).alias("long"), does_not_cast(F.col("v"), IntegerType()).alias("int")
    ).collect()
    assert [r.long for r in got] == [False, False, False, True, True, True, True, False, True, True, False]
    assert [r.int for r in got] == [False, False, False, True, True, True, True, True, True, True, False]


BREAKS = ["Line one\nline two", "Suite 5\r\nBuilding B", 'He said "hi"\nthen left', "\n", "trailing\n"]


def test_dms_csv_keeps_line_breaks_inside_quoted_fields(aws, spark, s3):
    # RFC 4180 rule 6: a quoted field may hold line breaks; Python's csv module and DMS (Rfc4180=true) write them.
    runner.ensure_buckets()
    rng = random.Random(336)
    names, addresses, rows = {}, {}, []
    for key in range(1, 31):
        names[key] = rng.choice(BREAKS + PIECES) + rng.choice(["", " & Co"])
        addresses[key] = rng.choice([*BREAKS, "1 Main St"])
        rows.append(_row(str(key), names[key], addresses[key]))
    rows.append(_row("304.7", "Split\nkey", "x"))  # still quarantined whole, with its line break
    rng.shuffle(rows)
    key = "dms/trading/customers/LOAD00000001.csv"
    uris = put_objects(s3, "energylake-local-landing", {key: _csv(rows)})

    done = run(s3, "trading_cdc_apply", uris)

    table = read_table(s3, "energy_transform", "trading_customers")
    stored = table.astype(object).where(table.notna(), None)
    got = {int(k): (n, a) for k, n, a in zip(stored.customer_id, stored.name, stored.address, strict=True)}
    # Surrounding spaces are trimmed by design (line breaks are data), and an empty value is stored as null.
    assert got == {k: (names[k].strip(" ") or None, addresses[k].strip(" ") or None) for k in names}
    assert done.reasons(key) == {"invalid_type": 1}
    assert done.quarantine.raw_record.str.contains("Split\nkey").any()
    assert_balanced_by_table(done)
    assert_rerun_changes_nothing(s3, "trading_cdc_apply", done, [("energy_transform", "trading_customers")])


def test_csv_records_split_only_outside_quotes(spark, tmp_path):
    from energylake import parse

    text = 'a,b\n1,"x\ny"\n2,"say ""hi""\r\nbye"\n3,plain\n4,"open quote never closed\n5,after\n'
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    got = [(r.line_no, r.raw_record) for r in parse.read_csv_records(spark, [str(path)]).orderBy("line_no").collect()]
    assert got == [
        (0, "a,b"),
        (1, '1,"x\ny"'),
        (2, '2,"say ""hi""\r\nbye"'),
        (3, "3,plain"),
        # A quote still open at the end of the file is not a field: its lines stay lines.
        (4, '4,"open quote never closed'),
        (5, "5,after"),
    ]


def test_csv_headers_are_the_records_numbered_zero(spark, tmp_path):
    """``read_csv_headers`` reads each file's header without splitting the file: it must give exactly the record
    ``read_csv_records`` numbers 0 (BOM and CR dropped, a quoted line break kept, none after a blank first line)."""
    from energylake import parse

    texts = {
        "plain.csv": "a,b\n1,2\n",
        "bom_crlf.csv": "\ufeffOp,Name\r\nI,x\r\n",
        "quoted_break.csv": '"first\nheader",b\n1,2\n',
        "blank_first.csv": "\na,b\n1,2\n",
        "header_only.csv": "a,b",
        "empty.csv": "",
    }
    paths = []
    for name, text in texts.items():
        (tmp_path / name).write_bytes(text.encode())
        paths.append(str(tmp_path / name))
    headers = {r.source_file.rsplit("/", 1)[-1]: r.raw_record for r in parse.read_csv_headers(spark, paths).collect()}
    records = parse.read_csv_records(spark, paths).where(F.col("line_no") == 0)
    assert headers == {r.source_file.rsplit("/", 1)[-1]: r.raw_record for r in records.collect()}
    assert headers == {"plain.csv": "a,b", "bom_crlf.csv": "Op,Name", "quoted_break.csv": '"first\nheader",b',
                       "header_only.csv": "a,b"}  # fmt: skip


def test_cdc_job_stages_each_dms_object_once(aws, spark, s3, monkeypatch):
    """The records and the header rows are read from one staging of the objects, not a download each."""
    from energylake.storage import Storage

    runner.ensure_buckets()
    downloads: Counter = Counter()
    download = Storage.download

    def counted(self, obj, target):
        downloads[obj.uri] += 1
        return download(self, obj, target)

    monkeypatch.setattr(Storage, "download", counted)
    folder = "dms/trading/customers/"
    uris = put_objects(s3, "energylake-local-landing", {
        folder + "LOAD00000001.csv": _csv([_row("1", "Ann", "x"), _row("2", "Bo", "y")]),
        folder + "20240715-080000000.csv": _csv([_row("2", "Bob", "z")]),
    })  # fmt: skip
    done = run(s3, "trading_cdc_apply", uris)
    assert done.metrics.rows_written == 2
    assert {uri: downloads[uri] for uri in uris.values()} == {uri: 1 for uri in uris.values()}
