"""The telemetry job as a Glue Studio user would first write it: the user's starting point, not the headline.

It does what a user's first script does, without gratuitous extra passes:
  * reads the whole raw prefix as text lines (recursive lookup; no bookmarks, no pruning);
  * parses each line once with ``from_json`` and the explicit schema, and checks it with built-in functions
    (the same checks as the competent job, bench.engines.competent.tag: the engines must agree on outputs);
  * caches the checked readings once, so the quarantine sink does not recompute the plan;
  * ``dropDuplicates`` on the primary key (a shuffle of its own) and Spark's default partitioned write (no
    repartition on the partition columns: each task writes a file per partition value it holds).
What a user would not bother with is what separates it from the competent job: the de-duplication and the write
do not share one shuffle, and file sizes are left to chance. ``dropDuplicates`` keeps an arbitrary row of a key;
the generator's duplicates are exact re-deliveries in one object except, rarely, a record and a variant of it
with other values (once in the 1 GB input), where this script may keep the other one.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bench.engines.competent import quarantine_rows, tag
from bench.semantics import UNITS, RunCounts


def transform(spark: SparkSession, input_root: str, output: str, quarantine: str) -> Callable[[], RunCounts]:
    """Read every line under input_root, check, de-duplicate, write partitioned Parquet and the quarantine.

    Returns a function computing the row accounting afterwards (outside the timed part: the job keeps no counters).
    """
    lines = (
        spark.read.option("recursiveFileLookup", "true")
        .text(input_root)
        .where(F.col("value") != "")
        .select(
            F.input_file_name().alias("source_file"),
            F.lit(None).cast("int").alias("line_no"),
            F.col("value").alias("line"),
        )
    )
    rows = tag(lines).cache()
    good = rows.where(F.col("reason").isNull()).dropDuplicates(["device_id", "metric", "event_ts"])
    unit = F.create_map(*[F.lit(x) for kv in UNITS.items() for x in kv])
    good.select(
        "device_id",
        "site_id",
        "metric",
        "value",
        unit[F.col("metric")].alias("unit"),
        "event_ts",
        F.current_timestamp().alias("ingested_ts"),
        "source_file",
        F.to_date("event_ts").alias("event_date"),
    ).write.mode("overwrite").partitionBy("event_date", "metric").parquet(output)
    quarantine_rows(rows).write.mode("overwrite").parquet(quarantine)
    return lambda: _counts(spark, lines, rows, output, quarantine)


def _counts(spark: SparkSession, lines: DataFrame, rows: DataFrame, output: str, quarantine: str) -> RunCounts:
    """Accounting from what was written (the naive job itself keeps no counters)."""
    records_in = lines.count()
    candidates = rows.count()
    rows.unpersist()
    rows_out = spark.read.parquet(output).count()
    quarantined = spark.read.parquet(quarantine).count()
    return RunCounts(
        records_in=records_in,
        candidate_rows=candidates,
        rows_out=rows_out,
        quarantined=quarantined,
        duplicates=candidates - rows_out - quarantined,
    )
