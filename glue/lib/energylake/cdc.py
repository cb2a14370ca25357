"""AWS DMS CDC apply: full-load and change files (Op I/U/D, ordered by the source commit time) to current state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType, TimestampType

from energylake.contracts import DatasetContract
from energylake.dedup import deduplicate
from energylake.parse import (
    LINEAGE,
    REASON,
    cast_failures,
    cast_values,
    header_names,
    split_by_reason,
    tag_csv_lines,
)
from energylake.quality import failure_reason
from energylake.schema import spark_type

OPS = ("I", "U", "D")


def source_columns(contract: DatasetContract) -> list[str]:
    """Columns DMS writes for the table: every contract column except derived partition columns."""
    return [c.name for c in contract.data_columns]


def derive_partitions(frame: DataFrame, contract: DatasetContract) -> DataFrame:
    """Add date partition columns derived from the contract's event_time (e.g. transaction_date)."""
    for col in contract.partition_columns:
        if contract.event_time and col.name not in frame.columns:
            frame = frame.withColumn(col.name, F.to_date(contract.event_time))
        elif contract.event_time:  # exported by the source (may be empty, e.g. on delete rows): fill the gaps
            frame = frame.withColumn(col.name, F.coalesce(F.col(col.name), F.to_date(contract.event_time)))
    return frame


def parse_dms(lines: DataFrame, contract: DatasetContract) -> tuple[DataFrame, DataFrame]:
    """DMS S3 CSV lines (Op, dms_commit_ts, table columns) to typed change rows; bad rows quarantined.

    A row is judged in one pass by the checks of each step in turn (CSV parse, casts, Op, the contract's rules)
    and carries the reasons of the first step it fails; one checkpoint then serves both outputs (a checkpoint
    per step kept every row as an object on the heap once per step: a quarter of the CDC apply's CPU went to
    the garbage collector). A source table may itself hold the derived partition column (e.g. a stored
    generated ``transaction_date``, which DMS exports like any column): files whose header has it are parsed
    with it, others derive it.
    """
    cols = source_columns(contract)
    derived = [c.name for c in contract.partition_columns]
    if not derived:
        rows = tag_csv_lines(lines, ["op", "dms_commit_ts", *cols])
    else:
        header = header_names()
        has_derived = F.exists(header, lambda h: h.isin(*derived))
        marked = lines.join(
            lines.where(F.col("line_no") == 0).select("source_file", has_derived.alias("_with_derived")),
            "source_file",
            "left",  # a file without a header row keeps its lines (quarantined as missing_header)
        ).fillna(False, ["_with_derived"])
        rows = tag_csv_lines(marked.where(~F.col("_with_derived")).select(*LINEAGE), ["op", "dms_commit_ts", *cols])
        full = tag_csv_lines(
            marked.where(F.col("_with_derived")).select(*LINEAGE),
            ["op", "dms_commit_ts", *[c.name for c in contract.columns]],
        )
        rows = rows.select("*", *[F.lit(None).cast("string").alias(n) for n in derived]).unionByName(full)
    types = {"dms_commit_ts": TimestampType(), **{c.name: spark_type(c.type) for c in contract.columns}}
    failed = F.coalesce(F.col(REASON), cast_failures(rows, types, ("op", "dms_commit_ts", *contract.primary_key)))
    typed = rows.select(*cast_values(rows.drop(REASON), types), failed.alias(REASON))
    op = F.upper(F.trim("op"))
    unknown_op = F.when(~op.isin(*OPS), F.concat(F.lit("unknown_op:"), F.coalesce(op, F.lit("<null>"))))
    typed = typed.withColumns({"op": op, REASON: F.coalesce(F.col(REASON), unknown_op)})
    # Partitions first: the contract's not-null rule on a derived column must see its derived value.
    typed = derive_partitions(typed, contract)
    # Inserted/updated rows must satisfy the contract rules like every other source; a D carries only the key.
    broken = F.when(F.col("op") != "D", failure_reason(typed.drop(REASON), contract))
    return split_by_reason(typed, F.coalesce(F.col(REASON), broken))


def change_order() -> list[Column]:
    """Latest change first: commit time, then full-load before CDC files, then file name and line."""
    is_load = F.regexp_extract("source_file", r"/(LOAD\d+)\.csv$", 1) != ""
    return [
        F.col("dms_commit_ts").desc(),
        F.when(is_load, 0).otherwise(1).desc(),
        F.col("source_file").desc(),
        F.col("line_no").desc(),
    ]


@dataclass
class CdcResult:
    """Outcome of one CDC batch: new current state and what happened to every change row."""

    state: DataFrame  # full current state after the batch (contract columns)
    applied: DataFrame  # the last change per key that took effect (I/U upserts and D deletes)
    superseded: DataFrame  # changes overridden by a later change to the same key, or older than the stored row
    touched_partitions: DataFrame | None  # partition values whose contents changed (partitioned tables)
    tombstones: DataFrame  # deleted keys with the commit time of their delete (keys + deleted_ts)


def apply_cdc(
    current: DataFrame | None, changes: DataFrame, contract: DatasetContract, tombstones: DataFrame | None = None
) -> CdcResult:
    """Apply typed DMS changes to the current state by primary key, in source commit order.

    The same key changed several times in one batch keeps only its latest change (the others are
    superseded); D removes the key; changes older than the stored row's ``updated_at`` are superseded
    rather than applied, so out-of-order files never roll a row back. ``tombstones`` (keys + ``deleted_ts``
    from earlier batches) stop an older change that arrives after its key's delete from resurrecting it.
    """
    keys = list(contract.primary_key)
    names = [c.name for c in contract.columns]
    last, superseded = deduplicate(changes, keys, change_order())
    if tombstones is not None:
        last = last.join(tombstones.select(*keys, F.col("deleted_ts").alias("_deleted_ts")), keys, "left")
        dead = (F.col("op") != "D") & (F.col("dms_commit_ts") <= F.col("_deleted_ts"))
        superseded = superseded.unionByName(last.where(dead).drop("_deleted_ts"))
        last = last.where(~dead | dead.isNull()).drop("_deleted_ts")
    if current is not None and "updated_at" in names:
        stored = current.select(*keys, F.col("updated_at").alias("_stored_updated_at"))
        last = last.join(stored, keys, "left")
        stale = (F.col("op") != "D") & (F.col("_stored_updated_at") > F.col("updated_at"))
        superseded = superseded.unionByName(last.where(stale).drop("_stored_updated_at"))
        last = last.where(~stale | stale.isNull()).drop("_stored_updated_at")
    upserts = last.where(F.col("op") != "D").select(*names)
    if current is None:
        state = upserts
        old_touched = None
    else:
        remaining = current.select(*names).join(last.select(*keys), keys, "left_anti")
        state = remaining.unionByName(upserts)
        old_touched = current.join(last.select(*keys), keys, "left_semi")
    touched = None
    if contract.partition_by:
        parts = list(contract.partition_by)
        touched = upserts.select(*parts)
        if old_touched is not None:
            touched = touched.unionByName(old_touched.select(*parts))
        touched = touched.distinct()
    deleted = last.where(F.col("op") == "D").select(*keys, F.col("dms_commit_ts").alias("deleted_ts"))
    if tombstones is not None:
        deleted = deleted.unionByName(tombstones.select(*keys, "deleted_ts"))
    deleted = deleted.groupBy(*keys).agg(F.max("deleted_ts").alias("deleted_ts"))
    return CdcResult(state=state, applied=last, superseded=superseded, touched_partitions=touched, tombstones=deleted)


def tombstones_frame(spark: SparkSession, records: list[dict[str, Any]], contract: DatasetContract) -> DataFrame:
    """Tombstones saved by ``tombstone_records`` back as a DataFrame (keys + deleted_ts)."""
    types = {c.name: spark_type(c.type) for c in contract.columns}
    schema = StructType(
        [*[StructField(k, types[k], False) for k in contract.primary_key], StructField("deleted_ts", TimestampType())]
    )
    rows = [(*[str(k) for k in r["key"]], r["deleted_ts"]) for r in records]
    frame = spark.createDataFrame(rows, StructType([StructField(f.name, StringType()) for f in schema.fields]))
    return frame.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])


def tombstone_records(tombstones: DataFrame, contract: DatasetContract) -> list[dict[str, Any]]:
    """JSON-ready tombstones (the job keeps them under --state_path; deletes are few next to the table)."""
    keys = list(contract.primary_key)
    rows = tombstones.select(*[F.col(k).cast("string") for k in keys], F.col("deleted_ts").cast("string")).collect()
    return sorted(({"key": list(r[:-1]), "deleted_ts": r[-1]} for r in rows), key=lambda r: (r["key"], r["deleted_ts"]))


__all__ = [
    "LINEAGE",
    "CdcResult",
    "apply_cdc",
    "change_order",
    "derive_partitions",
    "parse_dms",
    "source_columns",
    "tombstone_records",
    "tombstones_frame",
]
