"""De-duplication on the primary key with a deterministic winner, and merging late data into written partitions."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from energylake.lineage import FILE_NO


def winner_order(
    frame: DataFrame, event_col: str | None = None, ingest_col: str | None = "ingested_ts"
) -> list[Column]:
    """Latest event time, then latest ingest time, then a stable tie-breaker (source file, line number)."""
    order: list[Column] = []
    for name in (event_col, ingest_col):
        if name and name in frame.columns:
            order.append(F.col(name).desc_nulls_last())
    # A numbered source file (energylake.lineage) sorts like its URI.
    for name in ("source_file", FILE_NO, "line_no"):
        if name in frame.columns:
            order.append(F.col(name).asc_nulls_last())
    return order


def deduplicate(
    frame: DataFrame, keys: Sequence[str], order: Sequence[Column], fill_nulls: Sequence[str] = ()
) -> tuple[DataFrame, DataFrame]:
    """(one winner per key by ``order``, the dropped duplicates); see ``fill_from_losers`` for ``fill_nulls``."""
    if not keys:
        return frame, frame.limit(0)
    window = Window.partitionBy(*keys).orderBy(*order) if order else Window.partitionBy(*keys).orderBy(F.lit(1))
    ranked = fill_from_losers(frame.withColumn("_rank", F.row_number().over(window)), window, fill_nulls)
    return ranked.where("_rank = 1").drop("_rank"), ranked.where("_rank > 1").drop("_rank")


def fill_from_losers(ranked: DataFrame, window: WindowSpec, columns: Sequence[str]) -> DataFrame:
    """Each of ``columns`` as the first non-null value in rank order: a winner's null never hides a value.

    The winner keeps every value it has; where it has none, the best-ranked row that has one supplies it (an
    archive row without a reading does not erase the forecast's reading for the same hour).
    """
    if not columns:
        return ranked
    whole = window.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    return ranked.select(
        *[F.first(c, ignorenulls=True).over(whole).alias(c) if c in columns else F.col(c) for c in ranked.columns]
    )


def rank_with_existing(
    new: DataFrame,
    existing: DataFrame | None,
    keys: Sequence[str],
    order: Sequence[Column],
    clustered: tuple[int, Sequence[str]] | None = None,
    fill_nulls: Sequence[str] = (),
) -> DataFrame:
    """New rows plus the rows already written, ranked per key: ``_rank`` 1 is the winner, ``_origin`` 0 = new.

    On an exact tie the new row wins, so reprocessing identical input reproduces identical output.
    ``fill_nulls`` columns take the first non-null value in rank order (``fill_from_losers``).
    ``clustered`` = (tasks, columns that are functions of the keys, e.g. output partition and file): the rows
    are shuffled once by those columns, which also serves the ranking (no second shuffle by the keys).
    """
    tagged = new.withColumn("_origin", F.lit(0))
    if existing is not None:
        tagged = tagged.unionByName(existing.withColumn("_origin", F.lit(1)), allowMissingColumns=True)
    order = [*order, F.col("_origin")]
    if not keys:
        return tagged.withColumn("_rank", F.lit(1))
    if clustered:
        tasks, columns = clustered
        tagged = tagged.repartition(tasks, *columns)
        # Same groups as the keys alone (the columns are functions of the keys), and Spark sees that the
        # shuffle above already clusters them.
        keys = [*keys, *[c for c in columns if c not in keys]]
    window = Window.partitionBy(*prefix_first(tagged, keys)).orderBy(*order)
    return fill_from_losers(tagged.withColumn("_rank", F.row_number().over(window)), window, fill_nulls)


# Types whose whole value fits Spark's 8-byte sort prefix.
PREFIX_TYPES = ("timestamp", "bigint", "int", "smallint", "date", "double", "float")


def prefix_first(frame: DataFrame, keys: Sequence[str]) -> list[str]:
    """``keys`` with numeric and time columns first, in their order (grouping by them is order-independent).

    Spark's sort compares an 8-byte prefix of the first key before whole rows: a timestamp first settles
    almost every comparison there, a string shared by many rows (a site prefix, a date) settles none.
    """
    types = dict(frame.dtypes)
    return sorted(keys, key=lambda k: types.get(k) not in PREFIX_TYPES)


def merge_with_existing(
    new: DataFrame, existing: DataFrame | None, keys: Sequence[str], order: Sequence[Column]
) -> tuple[DataFrame, DataFrame]:
    """Late data: union new rows with the rows already written, keep one winner per key.

    Returns (merged rows in the contract columns of ``existing``/``new``, new rows that lost). On an
    exact tie the new row wins, so reprocessing identical input reproduces identical output.
    """
    ranked = rank_with_existing(new, existing, keys, order)
    winners = ranked.where("_rank = 1").drop("_rank", "_origin")
    return winners, ranked.where("(_rank > 1) AND (_origin = 0)").drop("_rank", "_origin")
