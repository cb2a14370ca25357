"""Issue 33, class 4: CSV sources follow RFC 4180, and key columns cast exactly.

A DMS file written by Python's csv module (the dialect DMS writes with Rfc4180=true): doubled quotes and
quoted separators round-trip exactly; a fractional, exponent or overflowing key is quarantined, never
truncated onto another row's key.
"""

from __future__ import annotations

import csv
import io
import random

from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, LongType

from energylake.casts import does_not_cast
from lakectl import runner

from .balance_lib import assert_balanced_by_table, put_objects, run
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


def test_does_not_cast_rejects_fractional_exponent_and_overflowing_integers(spark):
    values = ["304", "+7", "-12", "304.7", "1e3", "7.", "99999999999999999999", "2147483648", "", "x", None]
    frame = spark.createDataFrame([(v,) for v in values], "v string")
    got = frame.select(
        does_not_cast(F.col("v"), LongType()).alias("long"), does_not_cast(F.col("v"), IntegerType()).alias("int")
    ).collect()
    assert [r.long for r in got] == [False, False, False, True, True, True, True, False, True, True, False]
    assert [r.int for r in got] == [False, False, False, True, True, True, True, True, True, True, False]
