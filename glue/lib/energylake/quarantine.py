"""Identity of a quarantine row: which record of which file a job rejected, and why.

A rejected record is named by its source file and its line (or record index) in it, so two identical bad
records in one file stay two quarantine rows and the table's row count equals the job's quarantined count;
a rerun over the same file finds the same keys and adds nothing.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# The columns that name one quarantined record; a line yielding several rows (an ERCOT line's zones, a device
# record's readings) tells them apart in raw_record (" #<zone>", " #<metric key>").
KEY_COLUMNS = ("job_name", "source_file", "line_no", "reason", "raw_record")
LINE_NO = "line_no"
# The key of rows written before quarantine_records had line_no (those rows read back with a null line_no).
LEGACY_KEY_COLUMNS = tuple(c for c in KEY_COLUMNS if c != LINE_NO)


def record_index(frame: DataFrame) -> Column:
    """The frame's line number (or record index) as an int column; null for rows that have none."""
    column = F.col(LINE_NO) if LINE_NO in frame.columns else F.lit(None)
    return column.cast("int").alias(LINE_NO)


def merge_key(columns: tuple[str, ...] = KEY_COLUMNS) -> Column:
    """A hash of the key columns; a null is spelt apart from every text, so (a, null, b) != (a, b, null)."""
    parts = [F.coalesce(F.concat(F.lit("="), F.col(c).cast("string")), F.lit("\x00")) for c in columns]
    return F.sha2(F.concat_ws("\x1f", *parts), 256)


def drop_superseded_legacy_rows(existing: DataFrame, incoming: DataFrame) -> DataFrame:
    """``existing`` without its rows from before line numbers that ``incoming`` quarantines again, numbered.

    Such a row (null ``line_no``) stands for one or more records that are now keyed by their line, so a rerun
    over its file would otherwise keep it beside their numbered rows and count them twice. Rows that never had
    a line number (null in both) are left to the ordinary merge, which keeps the earliest.
    """
    legacy_key = merge_key(LEGACY_KEY_COLUMNS).alias("_legacy_key")
    numbered_again = incoming.where(F.col(LINE_NO).isNotNull()).select(legacy_key).distinct()
    legacy = existing.where(F.col(LINE_NO).isNull()).withColumn("_legacy_key", legacy_key)
    kept_legacy = legacy.join(numbered_again, "_legacy_key", "left_anti").drop("_legacy_key")
    return existing.where(F.col(LINE_NO).isNotNull()).unionByName(kept_legacy)
