"""The telemetry job as a competent Spark engineer writes it: the headline baseline of the benchmark.

Same outputs as the project job (rows, quarantine rows and reasons at bench.semantics' grain), written plainly:
  * the objects read as text once (whole, so each line keeps its number for the first-line-wins rule);
  * each line parsed once with ``from_json`` and an explicit schema, built-in functions only, no Python UDF;
  * the parsed readings kept once (persisted) for both outputs, so the quarantine does not recompute the plan;
  * one shuffle, on the table's partition columns, serving both the de-duplication (a grouping whose keys
    include them, so Spark adds no exchange) and the partitioned write (one file per partition value).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from bench.semantics import (
    REASON_FUTURE,
    REASON_MALFORMED,
    REASON_MISSING,
    REASON_RANGE,
    REASON_TOO_OLD,
    REASON_TYPE,
    REASON_UNKNOWN_KEY,
    REASON_UNKNOWN_TYPE,
    RICH_KEYS,
    SEED_TYPES,
    UNITS,
    RunCounts,
    metric_ranges,
    min_event_ts,
)

CORRUPT = "_corrupt_record"
SCHEMA = T.StructType(
    [T.StructField(name, T.StringType()) for name in ("id", "data", "type", "date", "device_id", "site_id", "ts")]
    + [
        # Values as text: a number keeps its JSON spelling and is cast once, like a string value.
        T.StructField("metrics", T.MapType(T.StringType(), T.StringType())),
        T.StructField("firmware", T.StringType()),
        T.StructField(CORRUPT, T.StringType()),
    ]
)
READING = "struct<key:string,metric:string,text:string>"
PARTITIONS = ("event_date", "metric")


def _lit_map(mapping: dict) -> Column:
    return F.create_map(*[F.lit(x) for kv in mapping.items() for x in kv])


def _site_of(device_id: Column) -> Column:
    return F.nullif(F.regexp_extract(device_id, r"^(.+)-T\d+$", 1), F.lit(""))


def _missing(text: Column) -> Column:
    return F.coalesce(F.trim(text), F.lit("")) == ""


def deduplicate(good: DataFrame) -> DataFrame:
    """Valid readings (with event_date) to telemetry_readings rows, first source file and line winning a key."""
    # event_date is a function of event_ts, so grouping by it too keeps the primary key's groups, and the
    # grouping keys include the repartition's columns: the de-duplication runs on the write's one shuffle.
    winner = F.min_by(F.struct("value", "site_id", "source_file"), F.struct("source_file", "line_no")).alias("w")
    return (
        good.repartition(*PARTITIONS)
        .groupBy(*PARTITIONS, "device_id", "event_ts")
        .agg(winner)
        .select(
            "device_id",
            "w.site_id",
            "metric",
            "w.value",
            _lit_map(UNITS)[F.col("metric")].alias("unit"),
            "event_ts",
            F.current_timestamp().alias("ingested_ts"),
            "w.source_file",
            "event_date",
        )
    )


def read_lines(spark: SparkSession, files: Sequence[str]) -> DataFrame:
    """Non-empty lines of the objects: source_file, line_no (0-based, from reading each object whole), line."""
    lines = spark.read.text(list(files), wholetext=True).select(
        F.col("_metadata.file_path").alias("source_file"),
        F.posexplode(F.split("value", "\n")).alias("line_no", "line"),
    )
    return lines.where(F.col("line") != "")


def tag(lines: DataFrame) -> DataFrame:
    """Lines (source_file, line_no, line) to one row per reading (or per unsplittable line) with its reason.

    The checks of bench.semantics, shared by both Spark baselines (they differ in how they read, de-duplicate
    and write, which is what the benchmark measures): reason null = valid; raw_record only on rejected rows.
    """
    r = F.col("r")
    parsed = lines.select(
        "source_file", "line_no", "line", F.from_json("line", SCHEMA, {"columnNameOfCorruptRecord": CORRUPT}).alias("r")
    )
    rich = r["metrics"].isNotNull() | r["device_id"].isNotNull()
    line_reason = F.when(r.isNull() | r[CORRUPT].isNotNull(), F.lit(REASON_MALFORMED)).when(
        rich & (r["metrics"].isNull() | (F.size(r["metrics"]) == 0)), F.lit(f"{REASON_MISSING}:metrics")
    )
    device_keys = _lit_map(RICH_KEYS)
    device_readings = F.transform(
        F.map_entries(F.map_filter(r["metrics"], lambda _k, v: v.isNotNull())),  # a JSON null: not reported
        lambda e: F.struct(e["key"].alias("key"), device_keys[e["key"]].alias("metric"), e["value"].alias("text")),
    )
    seed_reading = F.array(
        F.struct(
            F.lit(None).cast("string").alias("key"),
            _lit_map(SEED_TYPES)[r["type"]].alias("metric"),
            r["data"].alias("text"),
        )
    )
    # A line that cannot be split into readings stays one row (explode_outer of null); the rest one per reading.
    readings = F.when(line_reason.isNull(), F.when(rich, device_readings).otherwise(seed_reading)).cast(
        f"array<{READING}>"
    )
    device_id = F.when(rich, r["device_id"]).otherwise(r["id"])
    exploded = parsed.select(
        "source_file",
        "line_no",
        "line",
        line_reason.alias("line_reason"),
        rich.alias("rich"),
        device_id.alias("device_id"),
        F.coalesce(F.when(rich, r["site_id"]), _site_of(device_id)).alias("site_id"),
        r["type"].alias("type"),
        F.when(rich, r["ts"]).otherwise(r["date"]).alias("ts_text"),
        F.explode_outer(readings).alias("e"),
    )
    ranges = metric_ranges()
    lo = F.create_map(*[x for m, (a, _) in ranges.items() for x in (F.lit(m), F.lit(a))])
    hi = F.create_map(*[x for m, (_, b) in ranges.items() for x in (F.lit(m), F.lit(b))])
    metric, text = F.col("e.metric"), F.col("e.text")
    value = F.trim(text).cast("double")
    event_ts = F.trim(F.col("ts_text")).cast("timestamp")
    # The project's order of checks: the line, the metric, value and time types, the ids, the contract's rules.
    reason = F.coalesce(
        F.col("line_reason"),
        F.when(F.col("rich") & metric.isNull(), F.concat(F.lit(f"{REASON_UNKNOWN_KEY}:"), F.col("e.key")))
        .when(~F.col("rich") & F.col("type").isNull(), F.lit(f"{REASON_MISSING}:type"))
        .when(metric.isNull(), F.concat(F.lit(f"{REASON_UNKNOWN_TYPE}:"), F.col("type")))
        .when(_missing(text), F.lit(f"{REASON_MISSING}:value"))
        .when(value.isNull(), F.lit(f"{REASON_TYPE}:value"))
        .when(_missing(F.col("ts_text")), F.lit(f"{REASON_MISSING}:event_ts"))
        .when(event_ts.isNull(), F.lit(f"{REASON_TYPE}:event_ts"))
        .when(F.col("device_id").isNull() | F.col("site_id").isNull(), F.lit(f"{REASON_MISSING}:device_id"))
        .when((value < lo[metric]) | (value > hi[metric]), F.lit(f"{REASON_RANGE}:value"))
        .when(event_ts < F.lit(min_event_ts()), F.lit(f"{REASON_TOO_OLD}:event_ts"))
        .when(event_ts > F.current_timestamp(), F.lit(f"{REASON_FUTURE}:event_ts")),
    )
    raw = F.when(F.col("e.key").isNotNull(), F.concat("line", F.lit(" #"), F.col("e.key"))).otherwise(F.col("line"))
    return exploded.select(
        "source_file",
        "line_no",
        "device_id",
        "site_id",
        metric.alias("metric"),
        value.alias("value"),
        event_ts.alias("event_ts"),
        reason.alias("reason"),
        F.when(reason.isNotNull(), raw).alias("raw_record"),
    )


def quarantine_rows(tagged: DataFrame) -> DataFrame:
    """The tagged rows that failed a check, in the quarantine table's columns (both Spark engines write these)."""
    return tagged.where(F.col("reason").isNotNull()).select(
        F.lit("telemetry_to_transform").alias("job_name"),
        F.lit("bench").alias("run_id"),
        "source_file",
        "reason",
        "raw_record",
        F.current_timestamp().alias("quarantined_ts"),
        F.lit("telemetry_readings").alias("dataset"),
    )


def transform(spark: SparkSession, files: Sequence[str], output: str, quarantine: str) -> Callable[[], RunCounts]:
    """Parse, check, de-duplicate and write partitioned Parquet + quarantine; returns the (untimed) accounting."""
    lines = read_lines(spark, files)
    tagged = tag(lines).persist(StorageLevel.MEMORY_AND_DISK)
    good = tagged.where(F.col("reason").isNull()).withColumn("event_date", F.to_date("event_ts"))
    deduplicated = deduplicate(good)
    deduplicated.write.mode("overwrite").partitionBy(*PARTITIONS).parquet(output)
    quarantine_rows(tagged).coalesce(1).write.mode("overwrite").parquet(quarantine)

    def counts() -> RunCounts:
        """Accounting from the kept readings and what was written (after the timed part)."""
        candidates = tagged.count()
        records_in = lines.count()
        rows_out = spark.read.parquet(output).count()
        quarantined = spark.read.parquet(quarantine).count()
        tagged.unpersist()
        return RunCounts(
            records_in=records_in,
            candidate_rows=candidates,
            rows_out=rows_out,
            quarantined=quarantined,
            duplicates=candidates - rows_out - quarantined,
        )

    return counts
