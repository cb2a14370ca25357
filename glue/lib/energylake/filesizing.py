"""Output file sizing by bytes: about ``target`` bytes per Parquet file, balanced within each partition.

A partition gets ``ceil(bytes / target)`` files of equal row counts, so every file of a partition holding at
least ``target`` bytes is larger than ``target / 2`` (64 MiB for the default 128 MiB) and a small partition
gets exactly one file. Bytes come from rows x bytes per row: measured on the table's previous write when
there is one (kept in the job's state), else a deliberately low prior from the column types (a low guess
errs towards fewer, larger files, never towards small ones).
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Hashable, Mapping, Sequence
from functools import reduce
from typing import TypeVar

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from energylake.contracts import DatasetContract

MIB = 1024 * 1024
TARGET_FILE_BYTES = int(float(os.environ.get("LAKE_TARGET_FILE_MIB", "128")) * MIB)
# Below this many rows a measured bytes-per-row figure is mostly Parquet footer and page overhead.
MIN_MEASURED_ROWS = 10_000
# Compressed Parquet bytes per value by type: low on purpose (see the module docstring).
PRIOR_BYTES = {"string": 0.5, "double": 2.0, "float": 1.0, "bigint": 1.0, "int": 0.5, "smallint": 0.25,
               "timestamp": 1.0, "date": 0.25, "boolean": 0.125}  # fmt: skip

K = TypeVar("K", bound=Hashable)


def prior_bytes_per_row(contract: DatasetContract) -> float:
    """A low estimate of compressed Parquet bytes per row from the contract's data column types."""
    return sum(PRIOR_BYTES.get(c.type, 2.0) for c in contract.data_columns) or 1.0


def bytes_per_row(contract: DatasetContract, measured: Mapping[str, int] | None) -> float:
    """Measured bytes per row of the table's last write ({"bytes", "rows"}) when large enough, else the prior."""
    if measured and measured.get("rows", 0) >= MIN_MEASURED_ROWS and measured.get("bytes", 0) > 0:
        return measured["bytes"] / measured["rows"]
    return prior_bytes_per_row(contract)


def plan_files(
    partition_rows: Mapping[K, int], row_bytes: float, target_bytes: int = TARGET_FILE_BYTES
) -> dict[K, int]:
    """Files per partition: ceil(estimated bytes / target), at least one (rows are spread evenly over them)."""
    if row_bytes <= 0 or target_bytes <= 0:
        raise ValueError(f"bytes per row ({row_bytes}) and target bytes ({target_bytes}) must be positive")
    return {k: max(1, math.ceil(rows * row_bytes / target_bytes)) for k, rows in partition_rows.items()}


def partition_key(columns: Sequence[str]) -> F.Column:
    """The partition values of a row as one string ('a|b'), matching ``'|'.join`` of the collected values."""
    return F.concat_ws("|", *[F.col(c).cast("string") for c in columns])


def file_tasks(plan: Mapping[K, int], rows: Mapping[K, int] | None = None) -> dict[K, int]:
    """Index of each partition's first write task: one task per planned file, the largest files first.

    Spark starts a stage's tasks in index order, so the largest files start first and the write does not end
    with one large file being written alone while the other cores wait (longest-processing-time first).
    """
    size = {k: (rows or {}).get(k, 0) / n for k, n in plan.items()}
    first, start = {}, 0
    for key in sorted(plan, key=lambda k: (-size[k], str(k))):
        first[key] = start
        start += plan[key]
    return first


# Task count -> its hash partition keys (a pure function of the count, found once per process).
_HASH_KEYS: dict[int, list[int]] = {}


def hash_partition_keys(spark: SparkSession, tasks: int) -> list[int]:
    """For each task index below ``tasks``, a bigint that Spark's hash partitioning into ``tasks`` sends there.

    Found with Spark's own function (``pmod(hash(key), tasks)`` is how ``repartition(tasks, key)`` places a row),
    so a planned task index can be turned into a partitioning key.
    """
    if tasks not in _HASH_KEYS:
        found: dict[int, int] = {}
        start, step = 0, max(256, 16 * tasks)
        while len(found) < tasks:
            candidates = spark.range(start, start + step).select("id", F.pmod(F.hash("id"), F.lit(tasks)).alias("task"))
            for row in candidates.collect():
                found.setdefault(row.task, row.id)
            start += step
        _HASH_KEYS[tasks] = [found[i] for i in range(tasks)]
    return _HASH_KEYS[tasks]


def task_key(
    frame: DataFrame, parts: Sequence[str], plan: Mapping[tuple[str, ...], int], rows: Mapping[tuple[str, ...], int],
    spread_by: Sequence[str],
) -> tuple[F.Column, int]:  # fmt: skip
    """(Column to hash-partition ``frame`` by, task count): each planned file in a task of its own, largest first.

    A partition planned for several files spreads its rows over them by a hash of ``spread_by`` (deterministic,
    and a function of those columns, so it can serve a grouping by them). The key only places rows: a row of an
    unplanned partition goes to the first task, which writes one more file.
    """
    first = file_tasks(plan, rows)
    tasks = max(1, sum(plan.values()))
    types = dict(frame.dtypes)
    index = None
    # Tested in the order of the tasks: the rows of the largest files find their branch first.
    for key in sorted(first, key=first.__getitem__):
        same = reduce(operator.and_, [F.col(p) == F.lit(v).cast(types[p]) for p, v in zip(parts, key, strict=True)])
        slot = F.pmod(F.xxhash64(*[F.col(c) for c in spread_by]), F.lit(plan[key])) if plan[key] > 1 else F.lit(0)
        task = F.lit(first[key]) + slot
        index = F.when(same, task) if index is None else index.when(same, task)
    index = F.lit(0) if index is None else index.otherwise(F.lit(0))
    keys = hash_partition_keys(frame.sparkSession, tasks)
    # As bigints, the type they were found as (Spark hashes an int and a bigint of one value differently).
    return F.element_at(F.array(*[F.lit(k).cast("bigint") for k in keys]), index.cast("int") + 1), tasks


def layout_for_write(
    frame: DataFrame,
    parts: Sequence[str],
    plan: Mapping[tuple[str, ...], int],
    rows: Mapping[tuple[str, ...], int] | None = None,
) -> DataFrame:
    """``frame`` shuffled so a partitioned write produces ``plan[partition]`` files of equal size per partition.

    One task per planned file (``task_key``), the largest first by ``rows`` (rows per partition); a partition's
    rows are spread over its files by a hash of all columns. Each task writes one file.
    """
    total = max(1, sum(plan.values()))
    if not parts:
        return frame.repartition(total) if total > 1 else frame.coalesce(1)
    key, tasks = task_key(frame, parts, plan, rows or {}, frame.columns)
    return frame.repartition(tasks, key)
