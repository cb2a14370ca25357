"""Output file sizing by bytes: about ``target`` bytes per Parquet file, balanced within each partition.

A partition gets ``ceil(bytes / target)`` files of equal row counts, so every file of a partition holding at
least ``target`` bytes is larger than ``target / 2`` (64 MiB for the default 128 MiB) and a small partition
gets exactly one file. Bytes come from rows x bytes per row: measured on the table's previous write when
there is one (kept in the job's state), else a deliberately low prior from the column types (a low guess
errs towards fewer, larger files, never towards small ones).
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from pyspark.sql import DataFrame
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


def file_slot(parts: Sequence[str], plan: Mapping[tuple[str, ...], int], columns: Sequence[str]) -> F.Column:
    """Which of its partition's planned files a row goes to: a hash of ``columns`` modulo the file count."""
    files = [x for key, n in plan.items() if n > 1 for x in (F.lit("|".join(key)), F.lit(n))]
    if not parts or not files:
        return F.lit(0)
    n_files = F.coalesce(F.create_map(*files)[partition_key(parts)], F.lit(1))
    return F.pmod(F.xxhash64(*[F.col(c) for c in columns]), n_files)


def layout_for_write(frame: DataFrame, parts: Sequence[str], plan: Mapping[tuple[str, ...], int]) -> DataFrame:
    """``frame`` shuffled so a partitioned write produces ``plan[partition]`` files of equal size per partition.

    Rows of a partition are spread over its files by a hash of all columns (deterministic); the shuffle has
    one task per planned file, each writing one file per partition value it holds.
    """
    total = max(1, sum(plan.values()))
    if not parts:
        return frame.repartition(total) if total > 1 else frame.coalesce(1)
    if all(n == 1 for n in plan.values()):
        return frame.repartition(total, *[F.col(p) for p in parts])
    return frame.repartition(total, *[F.col(p) for p in parts], file_slot(parts, plan, frame.columns))
