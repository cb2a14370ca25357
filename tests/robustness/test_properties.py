"""Property-based tests (hypothesis): partition paths, de-duplication and CDC apply against pure-Python models.

Spark-backed properties run few examples (each is a Spark job); the pure functions run many.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import unquote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, StringType, StructField, StructType, TimestampType

from energylake.catalog import escape_path_name, partition_path
from energylake.cdc import apply_cdc
from energylake.contracts import get_contract
from energylake.dedup import deduplicate, merge_with_existing, winner_order
from energylake.schema import struct_type

SPARK = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
VALUES = st.text(min_size=1, max_size=20)


@given(st.lists(st.tuples(NAMES, VALUES), min_size=1, max_size=4, unique_by=lambda t: t[0]))
@settings(max_examples=300)
def test_partition_path_round_trips_and_is_a_valid_hive_path(pairs):
    names, values = [n for n, _ in pairs], [v for _, v in pairs]
    path = partition_path(names, values)
    segments = path.split("/")
    assert len(segments) == len(names)  # no value can add a directory level
    for segment, name, value in zip(segments, names, values, strict=True):
        key, sep, escaped = segment.partition("=")
        assert (key, sep) == (name, "=") and "=" not in escaped  # one '=' per segment: Hive key=value
        assert not any(0 < ord(c) < 0x20 for c in escaped)
        assert unquote(escaped) == value  # what Hive/Athena/lake_tables decode back


@given(VALUES)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_partition_escaping_equals_sparks(spark, value):
    # The runtime builds catalog locations itself; they must name the directories Spark's writer created.
    # Private ``_jvm``: Spark's path escaping has no public API (a partitioned write per example would do it slowly).
    jvm = spark.sparkContext._jvm
    expected = jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.escapePathName(value)
    assert escape_path_name(value) == expected


ROW = st.tuples(
    st.integers(0, 3),  # key
    st.integers(0, 2),  # event time (minutes)
    st.integers(0, 2),  # ingest time (minutes)
    st.sampled_from(["s3://b/a.json", "s3://b/b.json"]),
    st.integers(0, 5),  # line
)
T0 = datetime(2024, 7, 15)


def _frame(spark, rows):
    data = [
        (k, T0 + timedelta(minutes=e), T0 + timedelta(minutes=i), s, n, f"{k}-{e}-{i}-{s}-{n}")
        for k, e, i, s, n in rows
    ]
    return spark.createDataFrame(
        data, "k int, event_ts timestamp, ingested_ts timestamp, source_file string, line_no int, tag string"
    )


def _model_winners(rows):
    best = {}
    for k, e, i, s, n in rows:
        rank = (-e, -i, s, n)
        if k not in best or rank < best[k][0]:
            best[k] = (rank, f"{k}-{e}-{i}-{s}-{n}")
    return sorted(v[1] for v in best.values())


@given(st.lists(ROW, min_size=1, max_size=12, unique_by=lambda r: (r[3], r[4])), st.randoms())
@SPARK
def test_dedup_winner_is_deterministic_order_independent_and_idempotent(spark, rows, rnd):
    frame = _frame(spark, rows)
    order = winner_order(frame, "event_ts", "ingested_ts")
    winners, dropped = deduplicate(frame, ["k"], order)
    got = sorted(r.tag for r in winners.collect())
    assert got == _model_winners(rows)
    assert winners.count() + dropped.count() == len(rows)  # nothing lost
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    again, _ = deduplicate(_frame(spark, shuffled).repartition(3), ["k"], order)
    assert sorted(r.tag for r in again.collect()) == got  # input order and partitioning do not matter
    twice, none = deduplicate(winners, ["k"], order)
    assert sorted(r.tag for r in twice.collect()) == got and none.count() == 0
    merged, losers = merge_with_existing(frame, winners, ["k"], order)  # re-processing the same input
    assert sorted(r.tag for r in merged.collect()) == got and losers.count() == len(rows) - len(got)


PROVIDERS = get_contract("trading_providers")


def _history(rnd: random.Random, steps: int) -> list[tuple[str, int, datetime, Decimal]]:
    """A source history: (op, key, commit time, capacity) with I only for absent keys, U/D for present ones."""
    present: set[int] = set()
    out = []
    for step in range(steps):
        key = rnd.randint(1, 4)
        op = rnd.choice("UD") if key in present else "I"
        present.add(key) if op != "D" else present.discard(key)
        out.append((op, key, T0 + timedelta(seconds=step + 1), Decimal(rnd.randint(1, 500))))
    return out


def _model(history) -> dict[int, Decimal]:
    state: dict[int, Decimal] = {}
    for op, key, _ts, cap in history:
        if op == "D":
            state.pop(key, None)
        else:
            state[key] = cap
    return state


def _changes(spark, history, files: list[str], dup: set[int]):
    rows = []
    for idx, (op, key, ts, cap) in enumerate(history):
        copies = [files[idx]] + ([files[idx] + ".redelivered"] if idx in dup else [])
        for source in copies:
            values = {c.name: None for c in PROVIDERS.columns}
            values.update(provider_id=key)
            if op != "D":  # DMS deletes carry only the key
                values.update(name=f"p{key}", energy_type="wind", capacity_mw=cap, created_at=T0, updated_at=ts)
            rows.append({**values, "op": op, "dms_commit_ts": ts, "source_file": source, "line_no": idx})
    # All nullable: DMS delete rows carry only the key.
    schema = StructType([StructField(f.name, f.dataType, True) for f in struct_type(PROVIDERS).fields])
    schema = schema.add("op", StringType()).add("dms_commit_ts", TimestampType())
    schema = schema.add("source_file", StringType()).add("line_no", IntegerType())
    return spark.createDataFrame(rows, schema)


def _state(result) -> dict[int, Decimal]:
    rows = result.state.collect()
    state = {r.provider_id: r.capacity_mw for r in rows}
    assert len(state) == len(rows), f"duplicate keys in the state: {sorted(r.provider_id for r in rows)}"
    return state


@given(st.integers(1, 14), st.randoms(use_true_random=False))
@SPARK
def test_cdc_any_file_split_order_and_duplicate_delivery_converges_to_the_source(spark, steps, rnd):
    history = _history(rnd, steps)
    n_files = rnd.randint(1, 4)
    names = [
        f"s3://l/dms/trading/providers/2024071{rnd.randint(0, 9)}-{rnd.randint(0, 999):03d}.csv" for _ in range(n_files)
    ]
    files = [rnd.choice(names) for _ in history]  # any interleaving of changes into files, names in any order
    dup = {i for i in range(len(history)) if rnd.random() < 0.3}
    changes = _changes(spark, history, files, dup).orderBy(F.rand(rnd.randint(0, 99)))
    result = apply_cdc(None, changes, PROVIDERS)
    assert _state(result) == _model(history)
    assert result.applied.count() + result.superseded.count() == changes.count()


@given(st.integers(2, 14), st.randoms(use_true_random=False))
@example(steps=8, rnd=random.Random(1))  # run 2 updates and deletes keys stored by run 1 (and re-inserts one)
@SPARK
def test_cdc_applied_in_runs_equals_one_run(spark, steps, rnd):
    history = _history(rnd, steps)
    cut = rnd.randint(1, len(history) - 1)  # DMS writes files in commit order; a run sees what has arrived
    first = apply_cdc(None, _changes(spark, history[:cut], ["s3://l/a.csv"] * cut, set()), PROVIDERS)
    current = first.state.localCheckpoint()
    rest = history[cut:]
    second = apply_cdc(current, _changes(spark, rest, ["s3://l/b.csv"] * len(rest), set(range(len(rest)))), PROVIDERS)
    assert _state(second) == _model(history)
