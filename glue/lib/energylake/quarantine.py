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


def record_index(frame: DataFrame) -> Column:
    """The frame's line number (or record index) as an int column; null for rows that have none."""
    column = F.col(LINE_NO) if LINE_NO in frame.columns else F.lit(None)
    return column.cast("int").alias(LINE_NO)


def merge_key(columns: tuple[str, ...] = KEY_COLUMNS) -> Column:
    """A hash of the key columns; a null is spelt apart from every text, so (a, null, b) != (a, b, null)."""
    parts = [F.coalesce(F.concat(F.lit("="), F.col(c).cast("string")), F.lit("\x00")) for c in columns]
    return F.sha2(F.concat_ws("\x1f", *parts), 256)
