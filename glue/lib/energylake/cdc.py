"""AWS DMS CDC apply: full-load and change files (Op I/U/D) to current state, in the order DMS produced them.

The file format and its AWS documentation pages are in ``energylake.dms``. What the order rests on:

* A CDC row's ``dms_commit_ts`` is the source commit time; a full-load row's is the time DMS transferred it
  (S3Settings ``TimestampColumnName``), which can be later than the commit of a change the row does not show yet:
  a change committed while the full load runs is captured as CDC (the task's capture starts before the load).
  So for one key every CDC row ranks above every full-load row, whatever the timestamps say; full-load rows only
  supply keys no change touched.
* Files are ranked by what their names count (``energylake.dms.file_sequence``): the full-load counter is
  hexadecimal (LOAD00000009.csv, LOAD0000000A.csv), CDC names are timestamps with a fraction of any width.
* A primary-key UPDATE is one ``U`` row with the new key; the ``bi_<key>`` before-image columns (the task's
  ``add-before-image-columns`` rule) name the old key, which is deleted at the same commit.

What one batch costs (issue 32). Before: the job read every row of every partition (``read_table`` of the whole
table), joined the changes' keys against all of it three times (stale check, anti-join, touched partitions),
kept the whole new state and only then cut it down to the touched partitions; the counts re-ran the ranking of
the changes once per count. After: ``stored_partitions`` finds where the changed keys live from the key columns
alone (a change row's own partition value cannot say it: an update may move a row to another date and a delete
may carry no event time), the job reads every column only of those partitions (partition pruning: the read is
the catalog locations of the touched partitions, nothing else), ``apply_cdc`` ranks the changes once (one
shuffle by key, ``change_order``) and keeps the winners for the state and every count, and only the touched
partitions are rewritten through the atomic publish; the other partitions keep their files and catalog
locations. Left proportional to the table: the probe reads the key column of every stored file (a few bytes
per row, Parquet column pruning; a per-partition key range in the catalog would skip most files).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import TimestampType

from energylake.contracts import DatasetContract
from energylake.dedup import deduplicate
from energylake.dms import before_image_columns, file_sequence, is_load_file
from energylake.frames import materialise
from energylake.parse import (
    LINEAGE,
    REASON,
    cast_checked,
    header_names,
    split_by_reason,
    tag_csv_lines,
)
from energylake.quality import failure_reason
from energylake.schema import spark_type
from energylake.tombstones import DELETED_TS, latest_per_key

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


# Each change row's file, ranked once per file (``file_order``) and joined back: the ranking reads the file
# names with ``energylake.dms.file_sequence``, not with regular expressions over the name on every row.
FULL_LOAD = "_full_load"  # the row comes from a full-load file (LOAD<hex counter>.csv)
FILE_RANK = "_file_rank"  # the file's place in DMS's write order (higher = written later)


def file_order(spark: SparkSession, files: Iterable[str | None]) -> DataFrame:
    """One row per DMS file: source_file, ``_full_load`` and ``_file_rank`` (``energylake.dms.file_sequence``)."""
    ordered = sorted({f for f in files if f is not None}, key=file_sequence)
    rows = [(name, is_load_file(name), rank) for rank, name in enumerate(ordered)]
    return spark.createDataFrame(rows, f"source_file string, {FULL_LOAD} boolean, {FILE_RANK} int")


def with_file_order(changes: DataFrame, files: Iterable[str | None] | None = None) -> DataFrame:
    """``changes`` with ``_full_load`` and ``_file_rank`` of their files (a row without a file is a CDC row).

    ``files``: every file the rows come from, when the caller knows them; otherwise they are read from the rows.
    """
    if files is None:
        files = [r[0] for r in changes.select("source_file").distinct().collect()]
    ranked = changes.join(F.broadcast(file_order(changes.sparkSession, files)), "source_file", "left")
    return ranked.withColumn(FULL_LOAD, F.coalesce(F.col(FULL_LOAD), F.lit(False)))


def parse_dms(
    lines: DataFrame, contract: DatasetContract, headers: DataFrame | None = None
) -> tuple[DataFrame, DataFrame]:
    """DMS S3 CSV lines (Op, dms_commit_ts, table columns) to typed change rows; bad rows quarantined.

    A row is judged in one pass by the checks of each step in turn (CSV parse, casts, Op, the contract's rules)
    and carries the reasons of the first step it fails; one checkpoint then serves both outputs (a checkpoint
    per step kept every row as an object on the heap once per step: a quarter of the CDC apply's CPU went to
    the garbage collector). A source table may itself hold the derived partition column (e.g. a stored
    generated ``transaction_date``, which DMS exports like any column), and files may end with the key's before
    image (``bi_<key>``): each file is parsed by the columns its header names. A ``U`` row whose before image
    names another key also yields a ``D`` of that old key (same commit, file and line). ``headers`` is each
    file's header record (``read_csv_headers``); without it they are taken from ``lines``.
    """
    cols = source_columns(contract)
    derived = [c.name for c in contract.partition_columns]
    before = before_image_columns(contract.primary_key)
    header = header_names()
    has_derived = F.exists(header, lambda h: h.isin(*derived)) if derived else F.lit(False)
    has_before = F.exists(header, lambda h: h.isin(*before))
    variant = F.when(has_derived, 2).otherwise(0) + F.when(has_before, 1).otherwise(0)
    # Which header layout each file has, read once from the header rows: each CSV parse below runs over the
    # files of one layout, only for the layouts present (usually one), not over every line once per layout.
    # The header rows are kept on the driver (one per file) and joined back from there, so the files are split
    # into lines once, for the rows themselves.
    headers = lines.where(F.col("line_no") == 0) if headers is None else headers
    header_rows = headers.select("source_file", "raw_record", variant.alias("_variant")).collect()
    layouts: dict[int, list[str]] = {}
    for row in header_rows:
        layouts.setdefault(int(row["_variant"]), []).append(row["source_file"])
    spark = lines.sparkSession
    header_schema = "source_file string, raw_record string"
    widest = ["op", "dms_commit_ts", *cols, *derived, *before]
    parts = []
    for code in sorted(layouts) or [0]:
        with_derived, with_before = bool(code & 2), bool(code & 1)
        expected = ["op", "dms_commit_ts", *cols, *(derived if with_derived else []), *(before if with_before else [])]
        others = [f for c, files in layouts.items() if c != code for f in files]
        # The first layout also takes the files without a header row, where they are quarantined as missing_header.
        first = code == min(layouts, default=0)
        of_layout = (
            (~F.col("source_file").isin(*others) if first else F.col("source_file").isin(*layouts[code]))
            if others
            else None
        )
        own = [(r["source_file"], r["raw_record"]) for r in header_rows if int(r["_variant"]) == code]
        part = tag_csv_lines(
            lines if of_layout is None else lines.where(of_layout), expected, spark.createDataFrame(own, header_schema)
        )
        absent = [F.lit(None).cast("string").alias(n) for n in widest if n not in expected]
        parts.append(part.select("*", *absent))
    rows = parts[0]
    for part in parts[1:]:
        rows = rows.unionByName(part)
    # Each file's place in DMS's write order, from the header rows already on the driver (apply_cdc ranks by it);
    # a file without a header row has no rank, and its rows are quarantined as missing_header.
    rows = with_file_order(rows, [r["source_file"] for r in header_rows])
    rows = rows.select(*LINEAGE, *widest, REASON, FULL_LOAD, FILE_RANK)
    key_types = {c.name: spark_type(c.type) for c in contract.columns if c.name in contract.primary_key}
    types = {
        "dms_commit_ts": TimestampType(),
        **{c.name: spark_type(c.type) for c in contract.columns},
        **{b: key_types[k] for b, k in zip(before, contract.primary_key, strict=True)},
    }
    typed = cast_checked(rows, types, ("op", "dms_commit_ts", *contract.primary_key), earlier=F.col(REASON))
    op = F.upper(F.trim("op"))
    unknown_op = F.when(~op.isin(*OPS), F.concat(F.lit("unknown_op:"), F.coalesce(op, F.lit("<null>"))))
    typed = typed.withColumns({"op": op, REASON: F.coalesce(F.col(REASON), unknown_op)})
    # Partitions first: the contract's not-null rule on a derived column must see its derived value.
    typed = derive_partitions(typed, contract)
    # Inserted/updated rows must satisfy the contract rules like every other source; a D carries only the key.
    broken = F.when(F.col("op") != "D", failure_reason(typed.drop(REASON), contract))
    typed = typed.withColumn(REASON, F.coalesce(F.col(REASON), broken))
    # Only a quarantined row needs its text: the checkpoint below keeps every row on the heap, and the text is
    # about half of a parsed change row.
    typed = typed.withColumn("raw_record", F.when(F.col(REASON).isNotNull(), F.col("raw_record")))
    good, bad = split_by_reason(_with_old_key_deletes(typed, contract), F.col(REASON))
    return good.drop(*before), bad


def _with_old_key_deletes(changes: DataFrame, contract: DatasetContract) -> DataFrame:
    """Add a ``D`` of the old key after every valid primary-key ``U`` (its ``bi_<key>`` before image names another
    key), as a second row of the same record: one pass, where a union would read ``changes`` twice."""
    keys = list(contract.primary_key)
    before = before_image_columns(keys)
    imaged = F.lit(True)
    for b in before:
        imaged = imaged & F.col(b).isNotNull()
    moved = F.lit(False)
    for k, b in zip(keys, before, strict=True):
        moved = moved | (F.col(k) != F.col(b))
    rekeyed = F.col(REASON).isNull() & (F.col("op") == "U") & imaged & moved
    copies = F.when(rekeyed, F.array(F.lit(False), F.lit(True))).otherwise(F.array(F.lit(False)))
    old = F.col("_old_key")
    names = {c.name for c in contract.columns}
    columns = [
        F.when(old, F.lit("D")).otherwise(F.col(c)).alias(c)
        if c == "op"
        else F.when(old, F.col(before[keys.index(c)])).otherwise(F.col(c)).alias(c)
        if c in keys
        else F.when(~old, F.col(c)).alias(c)
        if c in names
        else F.col(c)
        for c in changes.columns
    ]
    return changes.withColumn("_old_key", F.explode(copies)).select(*columns)


def change_order() -> list[Column]:
    """Latest change first: CDC rows above full-load rows (a full-load timestamp is a transfer time, not a commit
    time), then the timestamp, then the file's place in DMS's write order (its counter or time stamp) and line.
    Reads the columns ``with_file_order`` adds."""
    return [
        F.col(FULL_LOAD).asc(),
        F.col("dms_commit_ts").desc(),
        F.col(FILE_RANK).desc_nulls_first(),
        F.col("line_no").desc(),
    ]


def stored_partitions(stored: DataFrame | None, changes: DataFrame, contract: DatasetContract) -> list[tuple[str, ...]]:
    """Partition values (as the catalog spells them) a batch must read whole: those of the stored rows whose
    primary key a change names, and those the changed rows land in.

    A partition an upsert lands in is rewritten, so its stored rows must be read even when no changed key lives
    there (new keys, or a row moved to another date); otherwise the rewrite would hold only the batch's rows.
    Only the key and partition columns of ``stored`` are read (the partition columns are the catalog's literals),
    so the probe costs the key column, not the table; the job then reads whole rows of these partitions only.
    """
    if stored is None or not contract.partition_by:
        return []
    keys, parts = list(contract.primary_key), list(contract.partition_by)
    hit = stored.select(*keys, *parts).join(changes.select(*keys).distinct(), keys, "left_semi")
    landing = changes.select(*parts).dropna()  # a delete may carry its key alone
    both = hit.select(*parts).unionByName(landing).distinct()
    return sorted({tuple(str(v) for v in row) for row in both.collect()})


@dataclass
class CdcResult:
    """Outcome of one CDC batch: new current state and what happened to every change row."""

    state: DataFrame  # full current state after the batch (contract columns)
    applied: DataFrame  # the last change per key that took effect (I/U upserts and D deletes)
    superseded: DataFrame  # changes overridden by a later change to the same key, or older than the stored row
    touched_partitions: DataFrame | None  # partition values whose contents changed (partitioned tables)
    new_tombstones: DataFrame  # keys this batch deleted, with the commit time of the delete (keys + deleted_ts)


def apply_cdc(
    current: DataFrame | None, changes: DataFrame, contract: DatasetContract, tombstones: DataFrame | None = None
) -> CdcResult:
    """Apply typed DMS changes to the current state by primary key, in source commit order.

    The same key changed several times in one batch keeps only its latest change (the others are
    superseded); D removes the key; changes older than the stored row's ``updated_at`` are superseded
    rather than applied, so out-of-order files never roll a row back. ``tombstones`` (keys + ``deleted_ts``
    from earlier batches, a key possibly repeated: ``energylake.tombstones``) stop an older change that arrives
    after its key's delete from resurrecting it; only the batch's keys are looked up in them.
    """
    keys = list(contract.primary_key)
    names = [c.name for c in contract.columns]
    ranked = changes if FILE_RANK in changes.columns else with_file_order(changes)
    last, superseded = deduplicate(ranked, keys, change_order())
    superseded = superseded.drop(FULL_LOAD, FILE_RANK)
    if tombstones is not None:
        known = latest_per_key(tombstones.join(last.select(*keys), keys, "left_semi"), contract)
        last = last.join(known.withColumnRenamed(DELETED_TS, "_deleted_ts"), keys, "left")
        # A full-load row never brings back a key a CDC delete removed: its timestamp is a transfer time.
        deleted = F.col("_deleted_ts")
        dead = (F.col("op") != "D") & deleted.isNotNull() & ((F.col("dms_commit_ts") <= deleted) | F.col(FULL_LOAD))
        superseded = superseded.unionByName(last.where(dead).drop("_deleted_ts", FULL_LOAD, FILE_RANK))
        last = last.where(~dead | dead.isNull()).drop("_deleted_ts")
    last = last.drop(FULL_LOAD, FILE_RANK)
    if current is not None and "updated_at" in names:
        stored = current.select(*keys, F.col("updated_at").alias("_stored_updated_at"))
        last = last.join(stored, keys, "left")
        stale = (F.col("op") != "D") & (F.col("_stored_updated_at") > F.col("updated_at"))
        superseded = superseded.unionByName(last.where(stale).drop("_stored_updated_at"))
        last = last.where(~stale | stale.isNull()).drop("_stored_updated_at")
    # Kept once: the state, the applied/deleted counts and the tombstones all read the ranked winners.
    last = materialise(last)
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
    deleted = last.where(F.col("op") == "D").select(*keys, F.col("dms_commit_ts").alias(DELETED_TS))
    return CdcResult(
        state=state, applied=last, superseded=superseded, touched_partitions=touched, new_tombstones=deleted
    )


__all__ = [
    "LINEAGE",
    "CdcResult",
    "apply_cdc",
    "change_order",
    "derive_partitions",
    "file_order",
    "parse_dms",
    "source_columns",
    "stored_partitions",
    "with_file_order",
]
