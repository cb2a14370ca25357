"""Issue 33, class 1: one JSON line is one JSON value; text that is not UTF-8 is quarantined with its reason.

Generated cases (hypothesis and seeded random damage), broader than the issue's ``{...}{...}`` and
``{...} trailing``: any JSON value or non-blank text after a record, and byte sequences UTF-8 forbids.
"""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from energylake import jvm
from lakectl import runner

from .balance_lib import assert_balanced_by_table, assert_rerun_changes_nothing, put_objects, run

KEYS = sorted(["data", "date", "device_id", "id", "metrics", "site_id", "ts", "type"])
SPARK = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=8))
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
)
RECORDS = st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=4).map(json.dumps)
# Jackson's (and RFC 8259's) insignificant whitespace; any other character after the value is content.
PADDING = st.text(alphabet=" \t", max_size=3)
TRAILERS = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.text(min_size=1, max_size=12).filter(lambda t: t.strip(" \t\r\n") != ""),
)


def _flags(spark, lines: list[str]):
    frame = spark.createDataFrame(list(enumerate(lines)), "i int, line string")
    doc = jvm.json_object_fields(spark, F.col("line"), KEYS, "metrics")
    return [(r.malformed, r.trailing) for r in frame.select(doc.alias("d")).orderBy("i").select("d.*").collect()]


@given(st.lists(st.tuples(RECORDS, PADDING, TRAILERS, PADDING), min_size=1, max_size=20))
@SPARK
def test_any_content_after_a_record_is_flagged_and_whitespace_is_not(spark, cases):
    damaged = [record + pad + trailer + pad2 for record, pad, trailer, pad2 in cases]
    clean = [pad + record + pad2 for record, pad, _, pad2 in cases]
    # A damaged line is either not one object at all (malformed) or an object with content after it.
    assert all(malformed or trailing for malformed, trailing in _flags(spark, damaged)), damaged
    assert _flags(spark, clean) == [(False, False)] * len(clean), clean


# Byte sequences that are not UTF-8 (RFC 3629): Latin-1 letters, a lone continuation byte, an overlong '/',
# a UTF-16 surrogate encoded as UTF-8, a truncated 3-byte sequence, bytes above U+10FFFF, UTF-16 text.
NOT_UTF8 = [
    "café".encode("latin-1"),
    b"\x80",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf5\x80\x80\x80",
    b"\xff\xfe",
]


def _seed(device: str, value: float, minute: int) -> dict:
    return {"id": device, "data": value, "type": "powerFactor", "date": f"2024-07-15T10:{minute:02d}:00Z"}


def test_telemetry_quarantines_every_line_holding_more_than_one_value_or_bad_bytes(aws, spark, s3):
    runner.ensure_buckets()
    rng = random.Random(33)
    good, damaged, undecodable = [], [], []
    for i in range(12):
        record = json.dumps(_seed(f"WF-ROSCOE-T{i + 1:02d}", round(0.9 + i / 200, 3), i))
        good.append(record.encode())
    for i in range(12):
        # Each damaged line is distinct, so the check does not depend on how duplicates are quarantined.
        first = json.dumps(_seed(f"WF-ROSCOE-T{i + 20:02d}", 0.95, i))
        second = json.dumps(_seed(f"WF-ROSCOE-T{i + 40:02d}", 0.96, i))
        trailer = rng.choice([second, " " + second, " trailing text", "]", "}", " 42", ' "x"', "[1]", " null", ","])
        damaged.append((first + trailer).encode())
    for i, bad in enumerate(NOT_UTF8):
        line = json.dumps(_seed(f"WF-ROSCOE-T{i + 60:02d}", 0.97, i)).encode()
        undecodable.append(line.replace(b"powerFactor", b"power" + bad + b"Factor"))
    key = "telemetry/windfarm/2024/07/15/10/issue33-one-value.json"
    mixed = good + damaged + undecodable
    rng.shuffle(mixed)
    uris = put_objects(s3, "energylake-local-raw", {key: b"\n".join(mixed) + b"\n"})

    done = run(s3, "telemetry_to_transform", uris)

    assert done.metrics.rows_written == len(good)
    assert done.reasons(key) == {"trailing_content": len(damaged), "invalid_encoding": len(undecodable)}
    raws = set(done.quarantine.raw_record)
    assert {line.decode() for line in damaged} <= raws  # the whole line is kept, both records in it
    assert_balanced_by_table(done)
    assert_rerun_changes_nothing(s3, "telemetry_to_transform", done, [("energy_transform", "telemetry_readings")])


@given(st.lists(st.tuples(RECORDS, TRAILERS), min_size=1, max_size=10))
@SPARK
def test_the_generic_json_lines_parser_applies_the_same_rule(spark, cases):
    from energylake.parse import parse_json_lines

    lines = [record + trailer for record, trailer in cases]
    frame = spark.createDataFrame(
        [("s3://b/k.json", i, line, None) for i, line in enumerate(lines)],
        "source_file string, line_no int, raw_record string, ingested_ts timestamp",
    )
    good, bad = parse_json_lines(frame, KEYS)
    assert good.count() == 0
    assert all(r.reason.startswith(("trailing_content", "malformed_json")) for r in bad.collect())
