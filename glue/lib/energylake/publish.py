"""Catalog tables of a job run: read their current version, write new versions and publish them atomically.

Each partition is written to ``<root>/<col>=<v>/v=<version>/``; only after all its files are written is the
catalog location switched to the new directory (the atomic publish), then older versions are deleted. A reader
going through the catalog sees the old version or the new one, never half of one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from energylake import filesizing
from energylake.accounting import JobMetrics
from energylake.bookmarks import Bookmarks
from energylake.catalog import Catalog, partition_path
from energylake.contracts import DatasetContract
from energylake.frames import materialise
from energylake.schema import struct_type
from energylake.staging import Staging
from energylake.storage import join_uri, parse_s3_uri

PARQUET_CODEC = "snappy"


def partition_counts(frame: DataFrame, parts: Sequence[str]) -> dict[tuple[str, ...], int]:
    """Rows per partition of ``frame`` (values as strings, like the catalog's), in one aggregate.

    Raises ValueError when a row has no value (null or empty) for a partition column: it would have no directory.
    """
    counts = {}
    for row in frame.groupBy(*parts).count().collect():
        values = row[: len(parts)]
        missing = [name for name, value in zip(parts, values, strict=True) if value is None or value == ""]
        if missing:
            raise ValueError(
                f"no value (null or empty) for partition column(s) {', '.join(missing)} in {row['count']} row(s)"
            )
        counts[tuple(str(v) for v in values)] = int(row["count"])
    return counts


@dataclass
class Tables:
    """The catalog tables one run reads and publishes; each write is a new version directory."""

    spark: SparkSession
    run_id: str
    staging: Staging
    bookmarks: Bookmarks
    metrics: JobMetrics
    catalog: Catalog = field(default_factory=Catalog)
    target_file_bytes: int | None = None  # None: filesizing.TARGET_FILE_BYTES (LAKE_TARGET_FILE_MIB)
    writes: int = 0  # writes so far in this run (each gets its own version)

    def read_table(
        self, contract: DatasetContract, database: str, partitions: Sequence[tuple[str, ...]] | None = None
    ) -> DataFrame | None:
        """Current rows of a catalog table (only ``partitions`` when given); None when it has no data."""
        if contract.partition_by:
            current = self.catalog.partitions(database, contract.name)
            wanted = current if partitions is None else {p: current[p] for p in partitions if p in current}
            frames = []
            for values, location in sorted(wanted.items()):
                path = self.staging.table_path(location)
                frame = self.spark.read.schema(struct_type(contract, partitions=False)).parquet(path)
                for col, value in zip(contract.partition_columns, values, strict=True):
                    frame = frame.withColumn(col.name, F.lit(value).cast(col.type))
                frames.append(frame)
            if not frames:
                return None
            out = frames[0]
            for frame in frames[1:]:
                out = out.unionByName(frame)
            return out.select(*[c.name for c in contract.columns])
        location = self.catalog.table_location(database, contract.name)
        if not location or "/v=" not in location:
            return None
        path = self.staging.table_path(location)
        return self.spark.read.schema(struct_type(contract)).parquet(path)

    def current_versions(self, contract: DatasetContract, database: str) -> dict[str, str]:
        """Published location of each partition (values joined by ``|``; "" for an unpartitioned table)."""
        return {"|".join(v): loc for v, loc in self.catalog.current_versions(database, contract).items()}

    def read_dates(
        self, contract: DatasetContract, database: str, dates: set[str], where: dict[str, str] | None = None
    ) -> DataFrame | None:
        """Rows of the partitions whose first value is in ``dates`` (and whose other values match ``where``)."""
        names = list(contract.partition_by)
        wanted = []
        for values in self.catalog.partitions(database, contract.name):
            if values[0] not in dates:
                continue
            if where and any(values[names.index(k)] != v for k, v in where.items()):
                continue
            wanted.append(values)
        return self.read_table(contract, database, wanted) if wanted else None

    def write_partitions(
        self,
        frame: DataFrame,
        contract: DatasetContract,
        database: str,
        output_root: str,
        drop: Sequence[tuple[str, ...]] = (),
        counts: dict[tuple[str, ...], int] | None = None,
        laid_out: bool = False,
        written_rows: Callable[[], int] | None = None,
        rewrite: bool = False,
    ) -> int:
        """Write ``frame`` as new versions of the partitions it holds and publish them in the catalog.

        Each partition goes to ``<root>/<col>=<v>/v=<run_id>/`` in files of about TARGET_FILE_BYTES; only
        after all files are written is the catalog location switched (the atomic publish), then older
        versions are deleted. Partitions in ``drop`` with no rows in ``frame`` are removed from the catalog.
        ``counts`` (rows per partition, when the caller already has them) saves one pass; ``laid_out`` says the
        frame is already clustered into its planned files (see merge.merge_into). ``written_rows`` gives the exact
        row count once the write has run, where ``counts`` only bound it (see merge.merge_into); a ``rewrite`` of
        rows already written in this run is not counted again in the job's outputs. Returns rows written.
        """
        names = [c.name for c in contract.columns]
        parts = list(contract.partition_by)
        frame = frame.select(*names)
        if counts is None:
            # One pass: materialise the rows once (the write reads them again) and count them per partition.
            frame = materialise(frame)
            counts = partition_counts(frame, parts)
        rows = sum(counts.values())
        root = output_root.rstrip("/") + "/"
        self.catalog.register_table(
            contract, database, root if parts else self.catalog_location_or(root, contract, database)
        )
        values = [v for v, n in sorted(counts.items()) if n] if parts else ([()] if rows else [])
        self.writes += 1
        version = f"{self.run_id}-{self.writes}"  # a partition written twice in one run gets two versions
        written_bytes = 0
        if values:
            if not laid_out:
                rows_of = {v: counts[v] for v in values}
                frame = filesizing.layout_for_write(frame, parts, self.plan_files(contract, database, rows_of), rows_of)
            out = frame.withColumn("v", F.lit(version))
            # Codec set on the writer, not left to the session's default (which a Glue job config can change).
            writer = out.write.option("compression", PARQUET_CODEC).partitionBy(*parts, "v").mode("append")
            self.staging.write_parquet(writer, root, version, f"{contract.name}-{self.writes}")
            if written_rows is not None:
                rows = written_rows()
        for value in values:
            base = join_uri(root, partition_path(parts, value)) if parts else root.rstrip("/")
            location = join_uri(base, f"v={version}") + "/"
            if parts:
                self.catalog.put_partition(contract, database, value, location)
            else:
                self.catalog.register_table(contract, database, location)
            written_bytes += self.collect_garbage(base + "/", location)
        if values:
            self.bookmarks.record_file_stats(f"{database}.{contract.name}", written_bytes, rows)
        written = {tuple(v) for v in values}
        for value in drop:
            if (
                parts
                and tuple(value) not in written
                and tuple(value) in self.catalog.partitions(database, contract.name)
            ):
                self.catalog.delete_partition(contract, database, tuple(value))
                self.collect_garbage(join_uri(root, partition_path(parts, value)) + "/", None)
        if not rewrite:
            self.metrics.record_output(contract.name, rows, len(values))
        return rows

    def plan_files(
        self, contract: DatasetContract, database: str, rows: dict[tuple[str, ...], int]
    ) -> dict[tuple[str, ...], int]:
        """Files per partition for ``rows`` rows each, at the bytes per row measured on the table's last write."""
        measured = self.bookmarks.measured(f"{database}.{contract.name}")
        target = self.target_file_bytes or filesizing.TARGET_FILE_BYTES
        return filesizing.plan_files(rows, filesizing.bytes_per_row(contract, measured), target)

    def catalog_location_or(self, default: str, contract: DatasetContract, database: str) -> str:
        """The table's current location if registered (so registering never hides published data)."""
        return self.catalog.table_location(database, contract.name) or default

    def collect_garbage(self, base: str, keep: str | None) -> int:
        """Delete superseded version directories under a partition (best effort, after the publish).

        Returns the bytes of the kept version's Parquet files (the write's measured size).
        """
        storage = self.staging.storage
        bucket, _ = parse_s3_uri(base)
        kept = 0
        for obj in storage.list(base):
            _, key = parse_s3_uri(obj.uri)
            rel = key[len(parse_s3_uri(base)[1]) :]
            if not rel.startswith("v="):
                continue
            if keep is None or not obj.uri.startswith(keep):
                storage.s3.delete_object(Bucket=bucket, Key=key)
            elif obj.uri.endswith(".parquet"):
                kept += obj.size
        return kept
