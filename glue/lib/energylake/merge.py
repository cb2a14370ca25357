"""Merges into published tables: late-data-safe upserts of new rows and the quarantine of rejected ones.

A merge reads the rows already in the partitions it touches, ranks them with the new rows by primary key and
writes the winners as the partitions' next version (energylake.publish).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from energylake import filesizing
from energylake import quarantine as quarantine_keys
from energylake.contracts import DatasetContract, get_contract
from energylake.dedup import merge_with_existing, rank_with_existing
from energylake.frames import materialise
from energylake.lineage import SourceFiles
from energylake.publish import Tables, partition_counts


def merge_into(
    tables: Tables,
    new: DataFrame,
    contract: DatasetContract,
    database: str,
    output_root: str,
    order: Sequence[Any] | Callable[[DataFrame], Sequence[Any]],
    counts: dict[tuple[str, ...], int] | None = None,
    files: SourceFiles | None = None,
    fill_nulls: Sequence[str] = (),
) -> tuple[int, int]:
    """Late-data-safe upsert: merge new rows into the partitions they touch and rewrite those partitions.

    ``fill_nulls`` columns of a winning row take the best-ranked non-null value (a null never overwrites).

    ``counts`` are the new rows per partition when the caller has them. ``order`` ranks duplicates (or
    builds that ranking from the frame about to be ranked); ``files`` names numbered source files again
    (energylake.lineage). Returns (new rows written, new rows dropped as duplicates of a winning row).
    """
    parts = list(contract.partition_by)
    if counts is None:
        new = materialise(new)
        counts = partition_counts(new, parts)
    touched = sorted(v for v, n in counts.items() if n) if parts else None
    existing = tables.read_table(contract, database, touched)
    if files is not None and existing is not None:
        # Rows already written carry their file's URI, so new rows are ranked against them by URI too;
        # otherwise the number travels through the shuffle and the file is named at the write.
        new = files.restore(new)
    # Files are planned before the merge from the new rows plus the rows already in the touched partitions
    # (at least the merged count), so one shuffle serves both the de-duplication and the file layout.
    planned = dict(counts)
    if existing is not None and parts:
        for values, n in partition_counts(existing, parts).items():
            planned[values] = planned.get(values, 0) + n
    plan = tables.plan_files(contract, database, {v: n for v, n in planned.items() if n})
    clustered = None
    if parts and contract.primary_key:
        # One task per planned file, the largest first; a function of the keys, so it serves the ranking.
        task, tasks = filesizing.task_key(new, parts, plan, planned, contract.primary_key)
        new = new.withColumn("_task", task)
        if existing is not None:
            existing = existing.withColumn("_task", task)
        clustered = (tasks, ["_task"])
    ranking = order(new) if callable(order) else order
    ranked = rank_with_existing(new, existing, contract.primary_key, ranking, clustered, fill_nulls)
    winner, dropped = F.col("_rank") == 1, (F.col("_rank") > 1) & (F.col("_origin") == 0)
    # The ranked rows are not cached: the write consumes them once and counts them on the way (winners, new
    # rows dropped, and winners of each partition planned for several files, whose file count duplicates
    # could change; a partition planned for one file keeps one).
    several = [v for v, n in plan.items() if n > 1] if clustered is not None else []
    key = filesizing.partition_key(parts)
    observation = Observation(f"{tables.run_id}-{contract.name}-{tables.writes}")
    observed = ranked.observe(
        observation,
        F.count(F.when(winner, 1)).alias("winners"),
        F.count(F.when(dropped, 1)).alias("dropped"),
        *[F.count(F.when(winner & (key == "|".join(v)), 1)).alias(f"winners_{i}") for i, v in enumerate(several)],
    )
    merged = observed.where(winner).drop("_rank", "_origin")
    if files is not None:
        merged = files.restore(merged)
    if clustered is None:
        # No planned layout: the write counts the rows per partition and lays them out itself.
        tables.write_partitions(merged, contract, database, output_root)
    else:
        published = {v: n for v, n in planned.items() if n}
        tables.write_partitions(
            merged, contract, database, output_root, counts=published, laid_out=True,
            written_rows=lambda: int(observation.get["winners"]),
        )  # fmt: skip
    counted = observation.get  # the write has run, so have the counts
    exact = {v: int(counted[f"winners_{i}"]) for i, v in enumerate(several)}
    replanned = tables.plan_files(contract, database, exact)
    off = [v for v in several if replanned[v] != plan[v]]
    if off:
        # Duplicates made these partitions' planned file counts too high (rare: near a file-count boundary
        # or on a mass re-delivery): their rows are laid out again from the exact count.
        rows = tables.read_table(contract, database, off)
        tables.write_partitions(rows, contract, database, output_root, counts={v: exact[v] for v in off}, rewrite=True)
    dropped_n = int(counted["dropped"])
    return sum(counts.values()) - dropped_n, dropped_n


def quarantine(
    tables: Tables, rejects: DataFrame, dataset: str, job_name: str, now: datetime, database: str, output_root: str
) -> int:
    """Append quarantine rows for ``dataset`` (merged per partition, so a re-run adds no duplicates); their count."""
    contract = get_contract("quarantine_records")
    rows = rejects.select(
        F.lit(job_name).alias("job_name"),
        F.lit(tables.run_id).alias("run_id"),
        "source_file",
        quarantine_keys.record_index(rejects),
        "reason",
        "raw_record",
        F.lit(now).cast("timestamp").alias("quarantined_ts"),
        F.lit(dataset).alias("dataset"),
        F.lit(now.date()).cast("date").alias("quarantine_date"),
    )
    # Kept once: counted here, then merged and written from the kept rows.
    rows = materialise(rows)
    count = rows.count()
    tables.metrics.rows_quarantined += count
    if count:
        keyed = rows.withColumn("_key", quarantine_keys.merge_key())
        # Every row carries the same (dataset, quarantine_date): the only partition touched.
        literal = {"dataset": dataset, "quarantine_date": str(now.date())}
        touched = [tuple(literal[p] for p in contract.partition_by)]
        existing = tables.read_table(contract, database, touched)
        if existing is not None:
            existing = quarantine_keys.drop_superseded_legacy_rows(existing, keyed)
            existing = existing.withColumn("_key", quarantine_keys.merge_key())
        # The earliest quarantine of the same record is kept, so re-runs do not duplicate it.
        merged, _ = merge_with_existing(keyed, existing, ["_key"], [F.col("quarantined_ts").asc()])
        tables.write_partitions(merged.drop("_key"), contract, database, output_root)
    return count
