"""Unit tests of the energylake library functions on small in-memory DataFrames (shared Spark session)."""

from __future__ import annotations

import calendar
import contextlib
import io
import json
import math
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType, TimestampType

from energylake import cdc, curated, ercot, openmeteo, parse, quality, telemetry, units
from energylake.catalog import escape_path_name, partition_path, table_input
from energylake.contracts import QualityRule, get_contract
from energylake.dedup import deduplicate, merge_with_existing, prefix_first, rank_with_existing, winner_order
from energylake.frames import materialise
from energylake.jvm import JSON_OBJECT_FIELDS
from energylake.runtime import ArgumentError, JobMetrics, named_arguments, parse_args
from energylake.schema import spark_type, struct_type
from tests.glue import fixtures

NOW = datetime(2024, 12, 1)  # after every fixture interval: ERCOT and telemetry reject future timestamps


def _explained(frame, section: str) -> str:
    """One section ("Optimized Logical Plan", "Physical Plan") of the frame's ``explain(mode="extended")``."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        frame.explain(mode="extended")
    text = printed.getvalue()
    start = text.index(f"== {section} ==\n") + len(section) + 7
    end = text.find("\n== ", start)
    return text[start : end if end >= 0 else len(text)]


@contextlib.contextmanager
def _whole_expressions(spark):
    """Plans printed with every field of an operator (explain abbreviates lists over 25 fields by default)."""
    setting = "spark.sql.debug.maxToStringFields"
    before = spark.conf.get(setting, None)
    spark.conf.set(setting, "100000")
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(setting)
        else:
            spark.conf.set(setting, before)


def _lines(spark, tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return parse.read_lines(spark, [str(path)], (str(tmp_path) + "/", "s3://bucket/"))


def test_struct_type_follows_contract():
    schema = struct_type(get_contract("trading_transactions"))
    assert schema["energy_mwh"].dataType.simpleString() == "decimal(14,4)"
    assert not schema["transaction_id"].nullable
    assert "transaction_date" not in struct_type(get_contract("trading_transactions"), partitions=False).names
    assert spark_type("timestamp") == TimestampType()
    with pytest.raises(ValueError, match="varchar"):
        spark_type("varchar")


def test_read_lines_maps_staged_paths_to_s3_uris(spark, tmp_path):
    lines = _lines(spark, tmp_path, "raw/a.json", '{"a": 1}\n\n{"a": 2}\n')
    rows = lines.orderBy("line_no").collect()
    assert [r.line_no for r in rows] == [0, 2]
    assert rows[0].source_file == "s3://bucket/raw/a.json"


def test_read_numbered_lines_names_every_file_again_in_uri_order(spark, tmp_path):
    texts = {"raw/b b/x%1.json": '{"a": 1}\n{"a": 2}\n', "raw/a.json": '{"a": 3}\n', "raw/b b/ü.json": '{"a": 4}\n'}
    for name, text in texts.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    paths, path_map = [str(tmp_path / n) for n in texts], (str(tmp_path) + "/", "s3://bucket/")
    numbered, files = parse.read_numbered_lines(spark, paths, path_map)
    assert "source_file" not in numbered.columns and numbered.schema["_file_no"].dataType == IntegerType()
    # Numbers follow the URIs' order (the de-duplication tie-breaker), and naming them again gives every line
    # exactly the source_file read_lines gives it.
    assert list(files.uris) == sorted(files.uris) and len(files.uris) == 3
    by_number = {r._file_no: r.raw_record for r in numbered.where("line_no = 0").collect()}
    assert [by_number[i] for i in range(3)] == ['{"a": 3}', '{"a": 1}', '{"a": 4}']
    named = files.restore(numbered)
    assert named.columns == ["source_file", "line_no", "raw_record", "ingested_ts"]
    assert sorted(named.collect()) == sorted(parse.read_lines(spark, paths, path_map).collect())
    with pytest.raises(Exception, match="not among the job's inputs"):
        spark.createDataFrame([("s3://bucket/raw/other.json",)], "source_file string").select(
            files.number(F.col("source_file"))
        ).collect()


def test_read_lines_strips_bom_and_crlf_and_skips_blank_lines(spark, tmp_path):
    lines = _lines(spark, tmp_path, "raw/b.json", '\ufeff{"a": 1}\r\n   \r\n{"a": 2}\r{"b": 3}\n')
    rows = lines.orderBy("line_no").collect()
    # Lines end at LF or CRLF; a lone CR stays inside its line (and fails JSON parsing there, not silently).
    assert [(r.line_no, r.raw_record) for r in rows] == [(0, '{"a": 1}'), (2, '{"a": 2}\r{"b": 3}')]


def test_invalid_utf8_flags_undecodable_bytes_and_replacement_characters_not_other_text(spark, tmp_path):
    path = tmp_path / "mixed.json"
    # ASCII; valid UTF-8 beyond ASCII; a Latin-1 byte; U+FFFD left by an earlier lossy decode; a CRLF line end.
    path.write_bytes(
        b"plain\n" + "wind \u00fcber 5 m/s\n".encode() + b"bad \xe9\n" + "lossy \ufffd\n".encode() + b"end\r\n"
    )
    lines = parse.read_lines(spark, [str(path)]).orderBy("line_no")
    flagged = lines.select("raw_record", parse.invalid_utf8(F.col("raw_record")).alias("bad")).collect()
    assert [r.bad for r in flagged] == [False, False, True, True, False]
    assert flagged[4].raw_record == "end"  # the CR of the CRLF line end is dropped


def test_materialise_computes_once_and_cuts_the_plan(spark):
    source = spark.range(1000).withColumn("x", F.col("id") * 2)
    kept = materialise(source.where("id % 3 = 0"))
    assert kept.is_cached and kept.count() == 334
    # Later plans read the cached rows (a leaf), they do not recompute the filter: the plan above the cached
    # relation has neither (explain prints the plan cached inside it below its line).
    optimized = _explained(kept.groupBy().sum("x"), "Optimized Logical Plan")
    above, cached, _ = optimized.partition("InMemoryRelation")
    assert cached and "Filter" not in above and "Range" not in above, optimized
    assert materialise(spark.range(5), eager=True).count() == 5


def test_parse_json_lines_quarantines_malformed_and_unknown(spark, tmp_path):
    lines = _lines(spark, tmp_path, "a.json", '{"a": "1", "b": 2}\n{"a": 1, "zz": 3}\n{oops\n')
    good, bad = parse.parse_json_lines(lines, ["a", "b"])
    assert [(r.a, r.b) for r in good.collect()] == [("1", "2")]
    assert sorted(r.reason for r in bad.collect()) == ["malformed_json", "unknown_columns:zz"]


def test_parse_csv_lines_checks_header_and_field_count(spark, tmp_path):
    lines = _lines(spark, tmp_path, "a.csv", 'OperDay,HourEnding\n07/15/2024,"01:00"\n07/15/2024\n')
    good, bad = parse.parse_csv_lines(lines, ["oper_day", "hour_ending"])
    assert [(r.oper_day, r.hour_ending) for r in good.collect()] == [("07/15/2024", "01:00")]
    assert [r.reason for r in bad.collect()] == ["malformed_csv:wrong_field_count"]
    lines = _lines(spark, tmp_path, "b.csv", "OperDay,Extra\n1,2\n")
    _, bad = parse.parse_csv_lines(lines, ["oper_day", "hour_ending"])
    assert [r.reason for r in bad.collect()] == ["unknown_columns:extra"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("OperDay", "oper_day"), ("DSTFlag", "dst_flag"), ("Settlement Type", "settlement_type"), ("0:15", "0_15")],
)
def test_normalise_header(header, expected):
    assert parse.normalise_header(header) == expected


def test_cast_columns_quarantines_wrong_types_and_missing_required(spark):
    frame = spark.createDataFrame([("1.5", "x"), ("abc", "y"), (None, "z")], "v string, k string")
    good, bad = parse.cast_columns(frame.withColumn("raw_record", F.col("k")), {"v": DoubleType()}, required=["v"])
    assert [r.v for r in good.collect()] == [1.5]
    assert sorted(r.reason for r in bad.collect()) == ["invalid_type:v", "missing_required:v"]


def test_apply_quality_reports_every_failing_rule(spark):
    contract = get_contract("weather_hourly")
    schema = struct_type(contract)
    ts = datetime(2024, 7, 15, 1)
    rows = [
        ("S", ts, 20.0, 5.0, 8.0, 500.0, 10.0, "archive", ts, date(2024, 7, 15)),
        ("S", ts, 99.0, 5.0, 8.0, 500.0, 101.0, "guess", ts, date(2024, 7, 15)),
    ]
    good, bad = quality.apply_quality(spark.createDataFrame(rows, schema), contract)
    assert good.count() == 1
    reason = bad.collect()[0].reason
    assert "temperature_c" in reason and "cloud_cover_pct" in reason and "not_allowed:data_kind=guess" in reason


def test_deduplicate_keeps_latest_ingest_then_stable_tiebreak(spark):
    frame = spark.createDataFrame(
        [("d", 1.0, datetime(2024, 1, 1, 1), "s3://b/2", 0), ("d", 2.0, datetime(2024, 1, 1, 2), "s3://b/1", 0),
         ("e", 3.0, datetime(2024, 1, 1, 1), "s3://b/2", 0), ("e", 4.0, datetime(2024, 1, 1, 1), "s3://b/1", 5)],
        "k string, v double, ingested_ts timestamp, source_file string, line_no int",
    )  # fmt: skip
    winners, losers = deduplicate(frame, ["k"], winner_order(frame))
    assert sorted((r.k, r.v) for r in winners.collect()) == [("d", 2.0), ("e", 4.0)]
    assert losers.count() == 2


def test_ranking_keys_put_prefix_sortable_columns_first(spark):
    frame = spark.createDataFrame([], "device_id string, metric string, event_ts timestamp, event_date date")
    # Numeric and time keys first (Spark's sort prefix), strings after, each group in the given order.
    assert prefix_first(frame, ["device_id", "metric", "event_ts", "event_date"]) == [
        "event_ts",
        "event_date",
        "device_id",
        "metric",
    ]


def test_a_partitioned_write_of_ranked_rows_does_not_sort_them_again(spark, tmp_path):
    """Under the jobs' settings a partitioned write keeps a file open per partition value of a task (the layout
    gives each task one) where Spark would otherwise sort every ranked row by partition first."""
    from energylake.runtime import SPARK_SQL_SETTINGS

    schema = "device_id string, metric string not null, hour int, value double"
    new = spark.createDataFrame([("d1", "pf", 1, 0.5), ("d1", "pf", 1, 0.7), ("d2", "ws", 2, 3.0)], schema)
    existing = spark.createDataFrame([("d2", "ws", 2, 9.0)], schema)
    ranked = rank_with_existing(
        new, existing, ["device_id", "metric", "hour"], [F.col("value").desc()], (2, ["metric"])
    )
    ranks = {(r.device_id, r.value): r._rank for r in ranked.collect()}
    assert ranks == {("d1", 0.7): 1, ("d1", 0.5): 2, ("d2", 9.0): 1, ("d2", 3.0): 2}
    ranked.drop("_origin").withColumn("v", F.lit("run-1")).createOrReplaceTempView("ranked_for_write")
    spark.sql(
        "CREATE TABLE ranked_rows (device_id string, hour int, value double, _rank int, metric string, v string) "
        f"USING parquet PARTITIONED BY (metric, v) LOCATION '{tmp_path}'"
    )
    setting = "spark.sql.maxConcurrentOutputFileWriters"
    before = spark.conf.get(setting)
    sorts = {}
    try:
        for value in ("0", SPARK_SQL_SETTINGS[setting]):
            spark.conf.set(setting, value)
            insert = "INSERT INTO ranked_rows SELECT device_id, hour, value, _rank, metric, v FROM ranked_for_write"
            sorts[value] = spark.sql(f"EXPLAIN {insert}").first()[0].count(" Sort [")
        spark.sql(insert)
        assert spark.table("ranked_rows").where("_rank = 1").count() == 2
    finally:
        spark.conf.set(setting, before)
        spark.sql("DROP TABLE IF EXISTS ranked_rows")
    assert sorts == {"0": 2, SPARK_SQL_SETTINGS[setting]: 1}  # the ranking's sort only


def test_merge_with_existing_replaces_and_keeps_untouched_rows(spark):
    existing = spark.createDataFrame(
        [("a", 1.0, datetime(2024, 1, 1)), ("b", 2.0, datetime(2024, 1, 1))],
        "k string, v double, ingested_ts timestamp",
    )
    new = spark.createDataFrame(
        [("a", 9.0, datetime(2024, 1, 2)), ("c", 3.0, datetime(2024, 1, 2))],
        "k string, v double, ingested_ts timestamp",
    )
    merged, dropped = merge_with_existing(new, existing, ["k"], winner_order(new))
    expected = spark.createDataFrame(
        [("a", 9.0, datetime(2024, 1, 2)), ("b", 2.0, datetime(2024, 1, 1)), ("c", 3.0, datetime(2024, 1, 2))],
        "k string, v double, ingested_ts timestamp",
    )
    assert_df_equality(merged, expected, ignore_row_order=True, ignore_nullable=True)
    assert dropped.count() == 0
    stale = spark.createDataFrame([("a", 0.0, datetime(2023, 1, 1))], "k string, v double, ingested_ts timestamp")
    _, dropped = merge_with_existing(stale, existing, ["k"], winner_order(stale))
    assert dropped.count() == 1


@pytest.mark.parametrize(
    ("value", "unit", "metric", "expected"),
    [(212.0, "°F", "battery_temperature", 100.0), (14.5038, "psi", "hydraulic_pressure", 1.0),
     (1500.0, "kW", "active_power", 1.5), (36.0, "km/h", "wind_speed", 10.0), (0.9, "", "power_factor", 0.9),
     (1.0, "furlong", "wind_speed", None), (1.0, "bar", "battery_temperature", None)],
)  # fmt: skip
def test_unit_conversion(spark, value, unit, metric, expected):
    converted, _ = units.to_canonical(F.lit(value), F.lit(unit), F.lit(metric))
    got = spark.range(1).select(converted.alias("v")).first().v
    assert got == (pytest.approx(expected, rel=1e-4) if expected is not None else None)


def test_failing_rules_checks_expressions_and_joins_settled_rules_in_place(spark):
    contract = get_contract("telemetry_readings")
    future = next(i for i, r in enumerate(contract.quality) if r.rule == "not_future")
    frame = spark.createDataFrame([(" 2.5 ", "power_factor")], "raw string, metric string")
    columns = {"value": F.trim("raw").cast("double"), "metric": F.col("metric"), "event_ts": F.lit(None)}
    settled = {future: [F.lit("future:event_ts (settled upstream)")]}
    joined = frame.select(quality.failing_rules(columns, contract, NOW, settled).alias("r")).first().r
    # The expression (not the raw column) is checked; the settled rule keeps its place, last, after range rules.
    assert joined == (
        "null:event_ts; out_of_range:value not in [0.0, 1.0] for metric=power_factor (got 2.5); "
        "future:event_ts (settled upstream)"
    )


def test_tag_readings_judges_future_readings_by_the_objects_arrival_not_the_clock(spark, tmp_path):
    def device(ts: str) -> str:
        return json.dumps({"device_id": "WF-ROSCOE-T01", "ts": ts, "metrics": {"wind_speed_ms": 7.0}})

    seed = {"id": "WF-ROSCOE-T02", "type": "powerFactor", "data": "0.97", "date": "2024-05-01T12:30:00Z"}
    text = "\n".join([device("2024-05-01T12:09:59Z"), device("2024-05-01T12:10:01Z"), json.dumps(seed)])
    path = tmp_path / "t.json"
    path.write_text(text)
    arrived = calendar.timegm(datetime(2024, 5, 1, 12, 0).timetuple())  # the object's LastModified
    os.utime(path, (arrived, arrived))
    lines = parse.read_lines(spark, [str(path)], (str(tmp_path) + "/", "s3://bucket/"))
    # Ten minutes of device clock skew are allowed; the clock of the run plays no part, so a re-run years later
    # (or one before the readings' time) quarantines the same readings.
    for now in (datetime(2024, 5, 1, 11, 0), datetime(2031, 5, 6, 7, 8, 9)):
        tagged = telemetry.tag_readings(lines, now)
        assert [r._reason for r in tagged.orderBy("line_no").collect()] == [None, "future:event_ts", "future:event_ts"]
        plan = _explained(tagged, "Physical Plan")
        assert str(now) not in plan and str(now + timedelta(minutes=10)) not in plan


def test_a_rule_reads_its_targets_condition_and_reference():
    # tag_readings settles a rule per line only when every column it reads is a line column: a rule on event_ts
    # that applies for one metric must stay per reading.
    conditional = QualityRule(rule="range", column="event_ts", when_column="metric", when_value="wind_speed")
    assert conditional.reads == ("event_ts", "metric") and not set(conditional.reads) <= set(telemetry.LINE_COLUMNS)
    future = QualityRule(rule="not_future", column="event_ts", reference="ingested_ts")
    assert future.reads == ("event_ts", "ingested_ts") and set(future.reads) <= set(telemetry.LINE_COLUMNS)


def test_not_future_needs_its_reference_column(spark):
    rule = next(r for r in get_contract("telemetry_readings").quality if r.rule == "not_future")
    with pytest.raises(ValueError, match="compares with ingested_ts"):
        quality.rule_failures(rule, {"event_ts": F.col("event_ts")}, NOW)
    with pytest.raises(ValueError, match="unknown column 'arrived_ts'"):
        get_contract("telemetry_readings").model_validate(
            {
                **get_contract("telemetry_readings").model_dump(),
                "quality": [{**rule.model_dump(), "reference": "arrived_ts"}],
            }
        )


def test_tag_readings_runs_each_line_check_once(spark, tmp_path):
    text = "\n".join(fixtures.seed_telemetry_lines() + fixtures.device_telemetry_lines())
    tagged = telemetry.tag_readings(_lines(spark, tmp_path, "t.json", text), NOW)
    plan = _explained(tagged, "Optimized Logical Plan")
    # The encoding check and the JSON read go over every line's bytes: a rewrite of the line's reason into
    # another expression (optimizer rules do this to `reason is not null`) would run them twice.
    assert plan.count("Contains(raw_record") == 1 and plan.count("encode(raw_record") == 2
    assert plan.count(f"{JSON_OBJECT_FIELDS}(") == 1 and "from_json(" not in plan


def _projections(frame) -> list[tuple[bool, str]]:
    """(runs in whole-stage generated code, expressions) for each projection of the physical plan, top down.

    Read from ``explain``: an operator Spark compiles into a whole-stage generated class is printed with
    the stage's id, ``*(<id>) Project [...]``; one that runs uncompiled is printed as ``Project [...]``.
    """
    with _whole_expressions(frame.sparkSession):
        plan = _explained(frame, "Physical Plan")
    found = [re.match(r"[\s:|+-]*(\*\(\d+\) )?Project \[(.*)", line) for line in plan.splitlines()]
    return [(bool(m.group(1)), m.group(2)) for m in found if m]


def test_tag_readings_compiles_every_projection_and_reads_each_line_once(spark, tmp_path):
    text = "\n".join(fixtures.seed_telemetry_lines() + fixtures.device_telemetry_lines())
    tagged = telemetry.tag_readings(_lines(spark, tmp_path, "t.json", text), NOW)
    # The JSON read is a JVM function Spark compiles into whole-stage code (from_json is not: it kept the parse
    # in projections of their own, each copying every line's row), and it runs in one projection only.
    projections = _projections(tagged)
    assert projections and all(compiled for compiled, _ in projections), projections
    assert sum(f"{JSON_OBJECT_FIELDS}(" in p for _, p in projections) == 1


def _largest_generated_methods(frame) -> list[int]:
    """Bytecode size of the largest method of each whole-stage generated class of ``frame``'s physical plan.

    Private Spark objects (``_jvm``, ``_jdf``): no public API compiles the generated code or reports its
    method sizes (``explain(mode="codegen")`` prints the Java source only, not the bytecode HotSpot judges).
    """
    generator = frame.sparkSession._jvm.org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator
    sizes, pending = [], [frame._jdf.queryExecution().executedPlan()]
    while pending:
        plan = pending.pop()
        if plan.getClass().getSimpleName() == "WholeStageCodegenExec":
            sizes.append(generator.compile(plan.doCodeGen()._2())._2().maxMethodCodeSize())
        pending += [plan.children().apply(i) for i in range(plan.children().size())]
    return sizes


def test_tag_readings_generated_code_stays_within_what_the_jit_compiles(spark, tmp_path):
    text = "\n".join(fixtures.seed_telemetry_lines() + fixtures.device_telemetry_lines())
    tagged = telemetry.tag_readings(_lines(spark, tmp_path, "t.json", text), NOW)
    # HotSpot never compiles a method of more than 8,000 bytes of bytecode (DontCompileHugeMethods): the
    # per-line or per-reading loop would run interpreted. Spark does not split the code of chained projections,
    # so every line check added to the contract grows one method.
    sizes = _largest_generated_methods(tagged)
    assert sizes and max(sizes) < 8000, sizes


@pytest.mark.parametrize(
    ("device_id", "site"),
    [
        ("WF-ROSCOE-T01", "WF-ROSCOE"),
        ("A-T1-T22", "A-T1"),  # the last '-T<digits>' names the turbine
        ("WF-ROSCOE", None),
        ("A-T", None),
        ("-T01", None),
        ("A-T0x", None),
        ("A-T01-X", None),
        ("42", None),
        (None, None),
    ],
)
def test_site_from_device_follows_the_turbine_naming_convention(spark, device_id, site):
    frame = spark.createDataFrame([(device_id,)], "device_id string")
    assert frame.select(telemetry.site_from_device(F.col("device_id"))).first()[0] == site


def test_parse_lines_tells_null_valued_known_keys_from_unknown_keys(spark, tmp_path):
    record = {"device_id": "WF-ROSCOE-T01", "ts": "2024-05-01T00:00:00Z", "metrics": {"wind_speed_ms": 7.0}}
    lines = [
        json.dumps({**record, "firmware": None}),
        json.dumps({**record, "firmware": None, "zz": 1}),
        json.dumps({**record, "site_id": None, "aa": None}),
        json.dumps(record),
    ]
    parsed = telemetry.parse_lines(_lines(spark, tmp_path, "t.json", "\n".join(lines)))
    reasons = [r._line_reason for r in parsed.orderBy("line_no").collect()]
    assert reasons == [None, "unknown_columns:zz", "unknown_columns:aa", None]


def test_a_line_with_a_repeated_key_is_quarantined_whole(spark, tmp_path):
    lines = [
        '{"device_id": "WF-ROSCOE-T01", "ts": "2024-05-01T00:00:00Z", "metrics": {"wind_speed_ms": 7.0}}',
        # Which of the two device ids is meant cannot be told: the line is rejected, not read with either.
        '{"device_id": "WF-ROSCOE-T01", "ts": "2024-05-01T00:00:00Z", "device_id": "WF-ROSCOE-T02",'
        ' "metrics": {"wind_speed_ms": 7.0}}',
        # A metric repeated inside `metrics` is two readings, as from_json gave them; de-duplication settles them.
        '{"device_id": "WF-ROSCOE-T01", "ts": "2024-05-01T00:00:01Z", "metrics": {"wind_speed_ms": 7.0,'
        ' "wind_speed_ms": 8.0}}',
    ]
    valid, rejects, _ = telemetry.telemetry_readings(_lines(spark, tmp_path, "t.json", "\n".join(lines)), NOW)
    assert [r.reason for r in rejects.collect()] == ["malformed_json:repeated key device_id"]
    assert sorted(r.value for r in valid.collect()) == [7.0, 7.0, 8.0]


def test_each_device_metric_value_gets_its_own_checks(spark, tmp_path):
    def device(second: int, metrics: str) -> str:
        return f'{{"device_id": "WF-ROSCOE-T01", "ts": "2024-05-01T00:00:{second:02d}Z", "metrics": {metrics}}}'

    lines = [
        # JSON numbers and null.
        device(1, '{"wind_speed_ms": 7.25, "rotor_speed_rpm": 12, "power_factor": null}'),
        # The same values beside a number written as text; a blank, a boolean and a number beyond the double range.
        device(2, '{"wind_speed_ms": 7.25, "rotor_speed_rpm": 12, "power_factor": null, "irradiance_wm2": " 3.5 "}'),
        device(3, '{"wind_speed_ms": "", "rotor_speed_rpm": true, "active_power_mw": 1e400}'),
        device(4, '{"wind_speed_ms": "fast"}'),
        device(5, "{}"),
        device(6, '"7.25"'),
    ]
    tagged = telemetry.tag_readings(_lines(spark, tmp_path, "t.json", "\n".join(lines)), NOW)
    got = {(r.event_ts.second, r.metric): (r.value, r._reason) for r in tagged.collect()}
    missing, not_a_number = "missing_required:value", "invalid_type:value"
    for second in (1, 2):
        assert got[(second, "wind_speed")] == (7.25, None) and got[(second, "rotor_speed")] == (12.0, None)
        assert got[(second, "power_factor")] == (None, missing)
    assert got[(2, "irradiance")] == (3.5, None)
    assert got[(3, "wind_speed")] == (None, missing)
    assert got[(3, "rotor_speed")] == (None, not_a_number)
    # A number beyond the double range reads as infinity, which the metric's range rule rejects.
    assert got[(3, "active_power")][0] == math.inf and got[(3, "active_power")][1].startswith("out_of_range:value")
    assert got[(4, "wind_speed")] == (None, not_a_number)
    assert got[(5, None)] == (None, "missing_required:metrics")
    assert got[(6, None)] == (None, "malformed_json:metrics is not an object")
    assert len(got) == tagged.count() == 3 + 4 + 3 + 1 + 1 + 1


def test_telemetry_readings_normalises_both_formats(spark, tmp_path):
    text = "\n".join(fixtures.seed_telemetry_lines() + fixtures.device_telemetry_lines())
    valid, bad, _ = telemetry.telemetry_readings(_lines(spark, tmp_path, "t.json", text), NOW)
    assert valid.count() == 13 + 10 and bad.count() == 5
    assert {r.metric for r in valid.collect()} == {
        "power_factor",
        "battery_temperature",
        "hydraulic_pressure",
        "active_power",
        "wind_speed",
        "rotor_speed",
    }
    kw = valid.where("device_id = 'SF-TAYGETE-T01'").first()
    assert kw.value == pytest.approx(0.8) and kw.unit == "MW" and kw.site_id == "SF-TAYGETE"


def test_ercot_system_load_converts_central_time_to_utc(spark, tmp_path):
    body = fixtures.system_load_csv("11/03/2024", range(1, 4), bad_row=False) + "11/03/2024,02:00,1,1,1,1,1,1,1,1,8,Y\n"
    valid, bad = ercot.system_load(_lines(spark, tmp_path, "l.csv", body), NOW)
    total = {(r.hour_ending, r.dst_flag): r.interval_start_ts for r in valid.where("weather_zone = 'TOTAL'").collect()}
    assert total[(1, False)] == datetime(2024, 11, 3, 5)  # 00:00 CDT
    assert total[(2, True)] - total[(2, False)] == (datetime(2024, 1, 1, 1) - datetime(2024, 1, 1))
    assert bad.count() == 0


def test_ercot_prices_and_fuel_mix(spark, tmp_path):
    prices, bad = ercot.settlement_prices(_lines(spark, tmp_path, "p.csv", fixtures.spp_csv()), NOW)
    assert prices.count() == 36 and bad.count() == 0
    first = prices.orderBy("interval_start_ts").first()
    assert first.interval_start_ts == datetime(2024, 7, 15, 14)  # HE10 interval 1 = 09:00 CDT
    fuel, bad = ercot.fuel_mix(_lines(spark, tmp_path, "f.csv", fixtures.fuel_mix_csv()), NOW)
    assert fuel.count() == 3 * 96 and bad.count() == 0


def test_ercot_fuel_mix_two_digit_year_and_bad_date(spark, tmp_path):
    """ERCOT's IntGenbyFuel CSVs also write "01/14/24"; an unparseable date is quarantined, not a job failure."""
    fuel, bad = ercot.fuel_mix(_lines(spark, tmp_path, "f.csv", fixtures.fuel_mix_csv("07/15/24")), NOW)
    assert fuel.count() == 3 * 96 and bad.count() == 0
    assert fuel.orderBy("interval_start_ts").first().interval_start_ts == datetime(2024, 7, 15, 5)  # 00:00 CDT
    fuel, bad = ercot.fuel_mix(_lines(spark, tmp_path, "g.csv", fixtures.fuel_mix_csv("7/15/202")), NOW)
    assert fuel.count() == 0 and bad.count() == 3


def test_openmeteo_weather_hourly_and_winner(spark, tmp_path):
    base = tmp_path / "openmeteo"
    for kind, offset in (("forecast", 5.0), ("archive", 0.0)):
        p = base / kind / "WF-ROSCOE" / "2024" / "07" / "16" / "0100.json"
        p.parent.mkdir(parents=True)
        p.write_text(fixtures.openmeteo_json(hours=2, kind_offset=offset))
    files = parse.read_files(spark, [str(p) for p in sorted(base.rglob("*.json"))], (str(tmp_path) + "/", "s3://l/"))
    valid, bad = openmeteo.weather_hourly(files, NOW)
    assert valid.count() == 4 and bad.count() == 0
    winners, dropped = openmeteo.dedupe_weather(valid)
    assert {r.data_kind for r in winners.collect()} == {"archive"} and dropped.count() == 2


def _changes(spark, rows):
    contract = get_contract("trading_customers")
    schema = StructType(
        [
            StructField("op", StringType()),
            StructField("dms_commit_ts", TimestampType()),
            *struct_type(contract).fields,
            StructField("source_file", StringType()),
            StructField("line_no", IntegerType()),
        ]
    )
    full = []
    for op, ts, cid, name, updated, src, line in rows:
        full.append((op, ts, cid, name, None, None, None, "residential", "COAST", updated, updated, src, line))
    return spark.createDataFrame(full, schema)


def test_apply_cdc_orders_by_commit_time_and_deletes(spark):
    contract = get_contract("trading_customers")
    t = datetime(2024, 7, 15, 9)
    load = _changes(
        spark, [("I", t, 1, "A", t, "s3://x/LOAD00000001.csv", 1), ("I", t, 2, "B", t, "s3://x/LOAD00000001.csv", 2)]
    )
    first = cdc.apply_cdc(None, load, contract)
    assert first.state.count() == 2
    t2, t3 = datetime(2024, 7, 15, 10), datetime(2024, 7, 15, 11)
    batch = _changes(spark, [
        ("U", t3, 1, "A3", t3, "s3://x/20240715-100000000.csv", 1),  # later commit, earlier file
        ("U", t2, 1, "A2", t2, "s3://x/20240715-110000000.csv", 1),
        ("D", t2, 2, "B", t, "s3://x/20240715-110000000.csv", 2),
    ])  # fmt: skip
    result = cdc.apply_cdc(first.state, batch, contract)
    assert [(r.customer_id, r.name) for r in result.state.collect()] == [(1, "A3")]
    assert result.superseded.count() == 1 and result.applied.count() == 2


def test_parse_dms_quarantines_unknown_op_and_missing_key(spark, tmp_path):
    later, _ = fixtures.dms_cdc_transactions()
    changes, bad = cdc.parse_dms(_lines(spark, tmp_path, "c.csv", later), get_contract("trading_transactions"))
    assert changes.count() == 2
    assert sorted(r.reason.split(":")[0] for r in bad.collect()) == ["missing_required", "unknown_op"]
    assert "transaction_date" in changes.columns


def test_parse_dms_reports_the_first_step_a_row_fails(spark, tmp_path):
    cols = ",".join(c.name for c in get_contract("trading_transactions").data_columns)
    ts, t = "2024-07-15 08:00:00", "2024-07-14 23:30:00"
    rows = {
        "valid": f"I,{ts},1,10,1,,1.5000,40.2500,60.3750,settled,{t},{t}",
        "cast, then rules": f"I,{ts},2,10,1,,abc,40.2500,60.3750,bogus,{t},{t}",
        "op, then rules": f"X,{ts},3,10,1,,-5,40.2500,60.3750,bogus,{t},{t}",
        "rules": f"U,{ts},4,10,1,,-5,40.2500,60.3750,bogus,{t},{t}",
        "delete": f"D,{ts},5,,,,,,,,,",
        "csv": f"I,{ts},6,10",
        "key, then op": f"X,{ts},,10,1,,1.5000,40.2500,60.3750,settled,{t},{t}",
    }
    body = f"Op,dms_commit_ts,{cols}\n" + "\n".join(rows.values()) + "\n"
    changes, bad = cdc.parse_dms(_lines(spark, tmp_path, "c.csv", body), get_contract("trading_transactions"))
    assert sorted(r.transaction_id for r in changes.collect()) == [1, 5]
    reasons = {r.raw_record: r.reason for r in bad.collect()}
    assert len(reasons) == bad.count() == len(rows) - 2  # every row is either a change or quarantined, once
    assert reasons[rows["cast, then rules"]] == "invalid_type:energy_mwh"
    assert reasons[rows["op, then rules"]] == "unknown_op:X"
    rules = reasons[rows["rules"]]  # every failing rule of the step
    assert rules.startswith("out_of_range:energy_mwh") and "not_allowed:status=bogus" in rules
    assert reasons[rows["csv"]] == "malformed_csv:wrong_field_count"
    assert reasons[rows["key, then op"]] == "missing_required:transaction_id"


def test_parse_dms_accepts_the_generated_partition_column(spark, tmp_path):
    """The exporter (like DMS) writes transactions.transaction_date: set in full load, empty in CDC files."""
    _, earlier = fixtures.dms_cdc_transactions()
    header = fixtures.DMS_HEADERS["transactions"]
    ts = "2024-07-14 23:30:00"
    load_row = f"I,2024-07-15 08:00:00.000000,300,10,1,,1.0000,2.0000,2.0000,settled,{ts},{ts}"
    full = f"{header},transaction_date\n{load_row},2024-07-14\n"
    cdc_file = earlier.replace(header, f"{header},transaction_date").replace("\n", ",\n")
    cdc_file = cdc_file.replace("transaction_date,\n", "transaction_date\n", 1)
    contract = get_contract("trading_transactions")
    lines = _lines(spark, tmp_path, "x/LOAD00000001.csv", full).unionByName(
        _lines(spark, tmp_path, "x/20240715-090000000.csv", cdc_file)
    )
    changes, bad = cdc.parse_dms(lines, contract)
    assert bad.count() == 0
    dates = {r.transaction_id: str(r.transaction_date) for r in changes.collect()}
    assert dates == {300: "2024-07-14", 101: "2024-07-15", 200: "2024-07-16"}  # derived from transaction_ts


def test_curated_builds(spark, tmp_path):
    readings, _, _ = telemetry.telemetry_readings(
        _lines(spark, tmp_path, "t.json", "\n".join(fixtures.device_telemetry_lines())), NOW
    )
    weather = spark.createDataFrame([], struct_type(get_contract("weather_hourly")))
    gen, rejects = curated.site_hourly_generation(readings, weather, curated.load_sites(spark))
    assert {r.site_id for r in gen.collect()} == {"WF-PAPALOTE", "SF-TAYGETE"} and rejects.count() == 0
    daily = curated.windfarm_daily_metrics(readings)
    rotor = daily.where("metric = 'rotor_speed'").first()
    assert rotor.reading_count == 3 and rotor.p95_value == pytest.approx(12.0)
    assert daily.columns == [c.name for c in get_contract("windfarm_daily_metrics").columns]


def test_grid_weather_and_trading_builds(spark, tmp_path):
    load, _ = ercot.system_load(_lines(spark, tmp_path, "l.csv", fixtures.system_load_csv(bad_row=False)), NOW)
    prices, _ = ercot.settlement_prices(_lines(spark, tmp_path, "p.csv", fixtures.spp_csv()), NOW)
    fuel, _ = ercot.fuel_mix(_lines(spark, tmp_path, "f.csv", fixtures.fuel_mix_csv()), NOW)
    weather = spark.createDataFrame([], struct_type(get_contract("weather_hourly")))
    grid = curated.grid_weather_hourly(load, prices, fuel, weather)
    assert grid.count() == 24 and grid.where("avg_hub_price_usd_mwh IS NOT NULL").count() == 3
    tx_contract = get_contract("trading_transactions")
    txs = {}
    for table, body in fixtures.dms_full_load().items():
        contract = get_contract(f"trading_{table}")
        changes, _ = cdc.parse_dms(_lines(spark, tmp_path, f"{table}.csv", body), contract)
        txs[table] = cdc.apply_cdc(None, changes, contract).state
    empty_contracts = spark.createDataFrame([], struct_type(get_contract("trading_contracts")))
    analytics = curated.client_analytics(txs["customers"], txs["transactions"], empty_contracts, txs["providers"])
    assert analytics.count() == 3 and analytics.where("preferred_energy_type IS NULL").count() == 0
    daily = curated.daily_energy_consumption(txs["transactions"], txs["customers"])
    assert daily.agg(F.sum("transaction_count")).first()[0] == 8
    assert tx_contract.partition_by == ("transaction_date",)


def test_catalog_table_input_and_partition_paths():
    tin = table_input(get_contract("telemetry_readings"), "s3://b/telemetry_readings/")
    assert [k["Name"] for k in tin["PartitionKeys"]] == ["event_date", "metric"]
    assert "event_date" not in [c["Name"] for c in tin["StorageDescriptor"]["Columns"]]
    assert partition_path(["d", "m"], ["2024-07-15", "a/b"]) == "d=2024-07-15/m=a%2Fb"
    assert escape_path_name("x:y") == "x%3Ay"


def test_register_table_keeps_others_parameters_but_never_projection(aws):
    """A job's table update keeps parameters set by others but removes partition projection (versioned layout)."""
    from energylake.catalog import Catalog

    contract = get_contract("telemetry_readings")
    catalog = Catalog()
    catalog.register_table(contract, "energy_transform", "s3://b/telemetry_readings/")
    table = catalog.get_table("energy_transform", "telemetry_readings")
    tin = {k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType")}
    tin["Parameters"] = {**table["Parameters"], "owner_team": "grid", "projection.enabled": "true"}
    catalog.glue.update_table(DatabaseName="energy_transform", TableInput=tin)
    catalog.register_table(contract, "energy_transform", "s3://b/telemetry_readings/")
    params = catalog.get_table("energy_transform", "telemetry_readings")["Parameters"]
    assert params["owner_team"] == "grid" and params["contract_zone"] == "transform"
    assert not [k for k in params if k.startswith("projection.")]


def test_parse_args_and_metrics():
    args = parse_args(["job.py", "--input_path", "s3://b/in/", "--n=3"], ["input_path"], {"tables": "x"})
    assert args == {"input_path": "s3://b/in/", "n": "3", "tables": "x"}
    with pytest.raises(ArgumentError, match="missing required argument --output_path"):
        parse_args(["job.py"], ["output_path"])
    with pytest.raises(ArgumentError, match="--input_path needs a value"):
        parse_args(["job.py", "--input_path"], [])
    # the local runner's `run-job JOB --name value ...` uses the same grammar
    assert named_arguments(["--a", "1", "--b=2"]) == {"a": "1", "b": "2"}
    with pytest.raises(ArgumentError, match="unexpected argument 'stray'"):
        named_arguments(["stray"])
    m = JobMetrics("j", "r", rows_read=5, rows_written=3, rows_quarantined=1, rows_deduplicated=1)
    assert m.balanced and json.loads(json.dumps(m.to_dict()))["balanced"]
    assert not JobMetrics("j", "r", rows_read=5, rows_written=3).balanced


def test_local_session_jvm_runs_with_the_local_java_options(spark):
    from lakectl.spark import JAVA_OPTIONS

    # Private ``_jvm``: no public API reports the running JVM's own options and default time zone (the session's
    # configuration says what was asked for, not what the JVM got).

    bean = spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = set(bean.getInputArguments())
    # Driver and executor share the JVM: its options must reach it through the session's configuration.
    assert set(JAVA_OPTIONS.split()) <= arguments
    assert spark._jvm.java.util.TimeZone.getDefault().getID() == "UTC"
