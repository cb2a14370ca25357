"""A naive telemetry job of the kind Glue Studio generates: the baseline the project job must beat.

What makes it naive (each is what a generated script does by default):
  * schema inference on read (Spark reads every input byte twice: once to infer, once to load);
  * casts, metric mapping and validation in row-at-a-time Python UDFs;
  * no partition pruning or bookmarks: it always reads the whole raw prefix and filters afterwards;
  * default write: no repartitioning before a partitioned write, and two sinks that recompute the plan.
It implements the same semantics as the other engines (bench.semantics), so outputs are comparable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from bench.semantics import RICH_KEYS, SEED_TYPES, UNITS, RunCounts, metric_ranges, min_event_ts

SITE = re.compile(r"^(.+)-T\d+$")
_ROW = T.StructType(
    [
        T.StructField("device_id", T.StringType()),
        T.StructField("site_id", T.StringType()),
        T.StructField("metric", T.StringType()),
        T.StructField("value", T.DoubleType()),
        T.StructField("event_ts", T.TimestampType()),
        T.StructField("reason", T.StringType()),
    ]
)


def _make_udf():
    ranges = metric_ranges()
    oldest = min_event_ts().replace(tzinfo=UTC)

    def parse_ts(text):
        try:
            ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, AttributeError):
            return None
        # Aware UTC datetimes: PySpark converts naive ones with the Python worker's local time zone.
        return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)

    def site_of(device):
        match = SITE.match(device)
        return match.group(1) if match else None

    def to_float(text):
        try:
            return float(text)
        except (TypeError, ValueError):
            return None

    def check(metric, value, ts):
        lo, hi = ranges[metric]
        if not lo <= value <= hi:
            return "out_of_range"
        if ts < oldest:
            return "too_old"
        if ts > datetime.now(UTC):
            return "in_future"
        return None

    def convert(corrupt, id_, data, type_, date_, device_id, site_id, ts, metrics):
        if corrupt is not None:
            return [(None, None, None, None, None, "malformed_json")]
        rich = metrics is not None or device_id is not None
        if rich:
            if device_id is None or ts is None or metrics is None:
                return [(None, None, None, None, None, "missing_field")]
            event_ts = parse_ts(ts)
            if event_ts is None:
                return [(None, None, None, None, None, "bad_timestamp")]
            site = site_id or site_of(device_id)
            out = []
            for key, text in metrics.items():
                metric, value = RICH_KEYS[key], to_float(text)
                if value is None:  # one bad metric quarantines that reading only
                    out.append((device_id, site, metric, None, event_ts, "wrong_type"))
                elif site is None:
                    out.append((device_id, site, metric, value, event_ts, "missing_field"))
                else:
                    out.append((device_id, site, metric, value, event_ts, check(metric, value, event_ts)))
            return out
        if id_ is None or type_ is None or date_ is None or data is None:
            return [(None, None, None, None, None, "missing_field")]
        value = to_float(data)
        if value is None:
            return [(None, None, None, None, None, "wrong_type")]
        metric = SEED_TYPES.get(type_)
        if metric is None:
            return [(None, None, None, None, None, "unknown_metric")]
        event_ts = parse_ts(date_)
        if event_ts is None:
            return [(None, None, None, None, None, "bad_timestamp")]
        site = site_of(id_)
        if site is None:
            return [(id_, site, metric, value, event_ts, "missing_field")]
        return [(id_, site, metric, value, event_ts, check(metric, value, event_ts))]

    return F.udf(convert, T.ArrayType(_ROW))


def transform(
    spark: SparkSession, input_root: str, output: str, quarantine: str, only_dates: tuple[date, ...] | None = None
) -> Callable[[], RunCounts]:
    """Read everything under input_root with inference, convert with UDFs, write partitioned Parquet.

    Returns a function computing the row accounting afterwards (outside the timed part: the job keeps no counters).
    """
    raw = (
        spark.read.option("recursiveFileLookup", "true")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .json(input_root)
    )
    cols = set(raw.columns)

    def col(name: str):
        return F.col(name).cast("string") if name in cols else F.lit(None).cast("string")

    metrics = F.lit(None).cast("map<string,string>")
    if "metrics" in cols:
        present = [f.name for f in raw.schema["metrics"].dataType.fields if f.name in RICH_KEYS]  # type: ignore[attr-defined]
        as_map = F.create_map(*[x for k in present for x in (F.lit(k), F.col(f"metrics.{k}").cast("string"))])
        # Absent keys become null map values; drop them so the UDF sees only reported metrics.
        metrics = F.when(F.col("metrics").isNotNull(), F.map_filter(as_map, lambda _k, v: v.isNotNull()))
    convert = _make_udf()
    rows = raw.select(
        F.input_file_name().alias("source_file"),
        F.explode(
            convert(
                col("_corrupt_record"),
                col("id"),
                col("data"),
                col("type"),
                col("date"),
                col("device_id"),
                col("site_id"),
                col("ts"),
                metrics,
            )
        ).alias("r"),
    ).select("source_file", "r.*")
    if only_dates:  # filtering after the full read: no partition pruning
        rows = rows.where(F.to_date("event_ts").isin(list(only_dates)) | F.col("reason").isNotNull())
    good = rows.where(F.col("reason").isNull()).dropDuplicates(["device_id", "metric", "event_ts"])
    unit = F.create_map(*[F.lit(x) for kv in UNITS.items() for x in kv])
    out = good.select(
        "device_id",
        "site_id",
        "metric",
        "value",
        unit[F.col("metric")].alias("unit"),
        "event_ts",
        F.current_timestamp().alias("ingested_ts"),
        "source_file",
        F.to_date("event_ts").alias("event_date"),
    )
    out.write.mode("overwrite").partitionBy("event_date", "metric").parquet(output)
    bad = rows.where(F.col("reason").isNotNull())
    bad.select(
        F.lit("telemetry_to_transform").alias("job_name"),
        F.lit("bench").alias("run_id"),
        "source_file",
        "reason",
        F.to_json(F.struct("device_id", "metric", "value", "event_ts")).alias("raw_record"),
        F.current_timestamp().alias("quarantined_ts"),
        F.lit("telemetry_readings").alias("dataset"),
    ).write.mode("overwrite").parquet(quarantine)
    return lambda: _counts(spark, raw, rows, output, quarantine)


def _counts(spark: SparkSession, raw: DataFrame, rows: DataFrame, output: str, quarantine: str) -> RunCounts:
    """Accounting from what was written (the naive job itself keeps no counters)."""
    records_in = raw.count()
    candidates = rows.count()
    rows_out = spark.read.parquet(output).count()
    quarantined = spark.read.parquet(quarantine).count()
    return RunCounts(
        records_in=records_in,
        candidate_rows=candidates,
        rows_out=rows_out,
        quarantined=quarantined,
        duplicates=candidates - rows_out - quarantined,
    )
