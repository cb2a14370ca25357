"""Job runtime shared by every Glue job: arguments, Spark, staged or direct S3 I/O, versioned writes,
catalog publish, bookmarks and row accounting. The same job script runs on AWS Glue and locally.

On Glue (``awsglue`` importable) arguments come from ``getResolvedOptions``, Spark reads and writes
s3:// directly and ``Job.init/commit`` are called. Locally the same ``--name value`` arguments are
parsed, inputs are downloaded through boto3 into a staging directory (no hadoop-aws jars needed),
Spark runs on local files and outputs are uploaded back. In both cases the catalog switch happens
only after the data of a partition is fully written, and bookmarks live under ``--state_path``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from energylake import failures, filesizing, parse
from energylake import quarantine as quarantine_keys
from energylake.catalog import Catalog, partition_path
from energylake.contracts import DatasetContract, get_contract
from energylake.dedup import merge_with_existing, rank_with_existing
from energylake.frames import materialise
from energylake.lineage import SourceFiles
from energylake.objects import PathMap
from energylake.reading import InputObjects
from energylake.schema import struct_type
from energylake.storage import ObjectInfo, Storage, join_uri, parse_s3_uri

log = logging.getLogger("energylake.job")
PARQUET_CODEC = "snappy"


class ArgumentError(ValueError):
    """A job argument is missing or invalid; the message names it."""


@dataclass
class JobMetrics:
    """Row accounting of one job run (logged as JSON and written under --state_path)."""

    job_name: str
    run_id: str
    status: str = "running"
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    rows_deduplicated: int = 0
    rows_aggregated: int = 0  # input rows folded into aggregates (curated jobs)
    rows_not_reported: int = 0  # readings of sensors a device does not have (null by design, not bad data)
    kind: str = "records"  # "records": 1:1 row jobs; "aggregate": curated builds (rows_written = output rows)
    input_objects: int = 0
    outputs: dict[str, int] = field(default_factory=dict)  # table -> rows in the partitions written this run
    partitions_written: int = 0
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Every row read is written, aggregated, quarantined, counted as a duplicate or as not reported."""
        if self.kind == "aggregate":
            return self.rows_read == self.rows_aggregated
        return (
            self.rows_read
            == self.rows_written + self.rows_quarantined + self.rows_deduplicated + self.rows_not_reported
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable) including the balance check."""
        return {**asdict(self), "balanced": self.balanced}


def glue_available() -> bool:
    """True inside the AWS Glue runtime (the awsglue package is importable)."""
    return importlib.util.find_spec("awsglue") is not None


def named_arguments(tokens: Sequence[str]) -> dict[str, str]:
    """``['--name', 'value', '--other=v']`` to ``{'name': 'value', 'other': 'v'}``; ArgumentError on a stray token."""
    items = list(tokens)
    values: dict[str, str] = {}
    i = 0
    while i < len(items):
        token = items[i]
        if not token.startswith("--"):
            raise ArgumentError(f"unexpected argument {token!r}: arguments are --name value pairs")
        name, eq, inline = token[2:].partition("=")
        if eq:
            values[name] = inline
            i += 1
        elif i + 1 < len(items) and not items[i + 1].startswith("--"):
            values[name] = items[i + 1]
            i += 2
        else:
            raise ArgumentError(f"argument --{name} needs a value")
    return values


def parse_args(argv: Sequence[str], required: Sequence[str], optional: dict[str, str] | None = None) -> dict[str, str]:
    """Resolve ``--name value`` arguments like Glue's getResolvedOptions; ArgumentError names what is missing."""
    optional = dict(optional or {})
    values: dict[str, str] = {}
    if glue_available():
        from awsglue.utils import getResolvedOptions

        present = [n for n in optional if f"--{n}" in argv]
        values.update(getResolvedOptions(list(argv), [*required, *present]))
    else:
        values.update(named_arguments(argv[1:]))
        missing = [n for n in required if n not in values]
        if missing:
            raise ArgumentError("missing required argument " + ", ".join(f"--{n}" for n in missing))
    for name, default in optional.items():
        values.setdefault(name, default)
    for name, value in values.items():
        if name.endswith("_path") and value and not value.startswith(("s3://", "s3a://")):
            raise ArgumentError(f"argument --{name} must be an s3:// URI, got {value!r}")
    return values


@dataclass
class JobContext:
    """Everything a job script needs: args, Spark, I/O, catalog, bookmarks and metrics."""

    name: str
    args: dict[str, str]
    spark: SparkSession
    metrics: JobMetrics
    staged: bool
    storage: Storage = field(default_factory=Storage)
    catalog: Catalog = field(default_factory=Catalog)
    staging_dir: Path | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    _bookmark: dict[str, Any] = field(default_factory=dict)
    _pending_inputs: list[ObjectInfo] = field(default_factory=list)
    _pending_sources: dict[str, dict[str, str]] = field(default_factory=dict)
    _glue_job: Any = None
    _writes: int = 0
    _file_stats: dict[str, dict[str, int]] = field(default_factory=dict)
    _objects: InputObjects = field(default_factory=InputObjects)
    target_file_bytes: int | None = None  # None: filesizing.TARGET_FILE_BYTES (LAKE_TARGET_FILE_MIB)

    @property
    def run_id(self) -> str:
        """Unique id of this run (also the version directory name of everything it writes)."""
        return self.metrics.run_id

    # ---- state -------------------------------------------------------------------------------
    def state_uri(self, *parts: str) -> str:
        """A URI under --state_path."""
        return join_uri(self.args["state_path"], *parts)

    def load_bookmark(self) -> None:
        """Read this job's bookmark (processed input objects and source versions)."""
        self._bookmark = self.storage.get_json(self.state_uri("bookmarks", f"{self.name}.json")) or {
            "processed": {},
            "sources": {},
        }

    def save_bookmark(self) -> None:
        """Record the inputs and source versions consumed by this (successful) run."""
        processed = self._bookmark.setdefault("processed", {})
        for obj in self._pending_inputs:
            processed[obj.uri] = obj.etag
        self._bookmark.setdefault("sources", {}).update(self._pending_sources)
        self._bookmark.setdefault("file_stats", {}).update(self._file_stats)
        self._bookmark["last_run_id"] = self.run_id
        self.storage.put_json(self.state_uri("bookmarks", f"{self.name}.json"), self._bookmark)

    # ---- inputs ------------------------------------------------------------------------------
    def new_inputs(self, prefix_uri: str, suffixes: Sequence[str] = ()) -> list[ObjectInfo]:
        """Objects under the prefix not yet processed (new key or changed ETag); fails if the path is missing."""
        if not self.storage.bucket_exists(prefix_uri):
            raise ArgumentError(f"input path {prefix_uri} does not exist (bucket missing)")
        processed = self._bookmark.get("processed", {})
        fresh = [o for o in self.storage.list(prefix_uri) if processed.get(o.uri) != o.etag]
        self._pending_inputs.extend(fresh)
        self.metrics.input_objects += len(fresh)
        # Every new object is read, read from a safe name, quarantined or counted (energylake.objects).
        return self._objects.admit(fresh, self.storage, suffixes, self.metrics.details)

    def _paths(self, objects: Sequence[ObjectInfo]) -> tuple[list[str], PathMap]:
        if not self.staged:
            return self._objects.direct_paths(objects, self.storage, self.state_uri("relocated", self.run_id))
        assert self.staging_dir is not None
        return self._objects.staged_paths(objects, self.storage, self.staging_dir)

    def read_lines(self, objects: Sequence[ObjectInfo]) -> DataFrame:
        """Lines of the objects with lineage (source_file is the s3:// URI in both modes)."""
        paths, path_map = self._paths(objects)
        return parse.read_lines(self.spark, paths, path_map)

    def read_numbered_lines(self, objects: Sequence[ObjectInfo]) -> tuple[DataFrame, SourceFiles]:
        """``read_lines`` with each row's file as a number (``_file_no``), and the numbering to name it again."""
        paths, path_map = self._paths(objects)
        return parse.read_numbered_lines(self.spark, paths, path_map)

    def read_files(self, objects: Sequence[ObjectInfo]) -> DataFrame:
        """Whole objects as rows with lineage."""
        paths, path_map = self._paths(objects)
        return parse.read_files(self.spark, paths, path_map)

    # ---- tables ------------------------------------------------------------------------------
    def _local_dir(self, uri: str) -> str:
        assert self.staging_dir is not None
        bucket, key = parse_s3_uri(uri)
        target = self.staging_dir / "tables" / bucket / key
        if not target.exists():
            objects = self.storage.list(uri.rstrip("/") + "/")
            self.storage.download_all(
                [(obj, self.staging_dir / "tables" / bucket / parse_s3_uri(obj.uri)[1]) for obj in objects]
            )
            target.mkdir(parents=True, exist_ok=True)
        return str(target)

    def read_table(
        self, contract: DatasetContract, database: str, partitions: Sequence[tuple[str, ...]] | None = None
    ) -> DataFrame | None:
        """Current rows of a catalog table (only ``partitions`` when given); None when it has no data."""
        if contract.partition_by:
            current = self.catalog.partitions(database, contract.name)
            wanted = current if partitions is None else {p: current[p] for p in partitions if p in current}
            frames = []
            for values, location in sorted(wanted.items()):
                path = self._local_dir(location) if self.staged else location
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
        path = self._local_dir(location) if self.staged else location
        return self.spark.read.schema(struct_type(contract)).parquet(path)

    def source_changes(self, contract: DatasetContract, database: str) -> list[tuple[str, ...]] | None:
        """Partitions of a source table whose version changed since this job's last run (bookmark for
        catalog inputs); [] when nothing changed, [()] for a changed unpartitioned table."""
        key = f"{database}.{contract.name}"
        seen = self._bookmark.get("sources", {}).get(key, {})
        if contract.partition_by:
            current = {"|".join(v): loc for v, loc in self.catalog.partitions(database, contract.name).items()}
        else:
            loc = self.catalog.table_location(database, contract.name)
            current = {"": loc} if loc and "/v=" in loc else {}
        self._pending_sources[key] = current
        changed = [k for k, loc in current.items() if seen.get(k) != loc]
        removed = [k for k in seen if k not in current]
        return [tuple(k.split("|")) if k else () for k in sorted({*changed, *removed})]

    def changed_dates(self, contract: DatasetContract, database: str) -> set[str]:
        """Dates (first partition value) of a date-partitioned source whose version changed since the last run."""
        return {values[0] for values in self.source_changes(contract, database) if values}

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
        frame is already clustered into its planned files (see merge_into). ``written_rows`` gives the exact
        row count once the write has run, where ``counts`` only bound it (see merge_into); a ``rewrite`` of
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
        self._writes += 1
        version = f"{self.run_id}-{self._writes}"  # a partition written twice in one run gets two versions
        written_bytes = 0
        if values:
            if not laid_out:
                rows_of = {v: counts[v] for v in values}
                frame = filesizing.layout_for_write(frame, parts, self.plan_files(contract, database, rows_of), rows_of)
            out = frame.withColumn("v", F.lit(version))
            # Codec set on the writer, not left to the session's default (which a Glue job config can change).
            writer = out.write.option("compression", PARQUET_CODEC).partitionBy(*parts, "v").mode("append")
            if self.staged:
                assert self.staging_dir is not None
                local = self.staging_dir / "out" / f"{contract.name}-{self._writes}"
                writer.parquet(str(local))
                self._upload(local, root, version)
            else:
                writer.parquet(root)
            if written_rows is not None:
                rows = written_rows()
        for value in values:
            base = join_uri(root, partition_path(parts, value)) if parts else root.rstrip("/")
            location = join_uri(base, f"v={version}") + "/"
            if parts:
                self.catalog.put_partition(contract, database, value, location)
            else:
                self.catalog.register_table(contract, database, location)
            written_bytes += self._collect_garbage(base + "/", location)
        if values:
            # Measured bytes per row for the next run's file sizing (kept with the bookmark).
            self._file_stats[f"{database}.{contract.name}"] = {"bytes": written_bytes, "rows": rows}
        written = {tuple(v) for v in values}
        for value in drop:
            if (
                parts
                and tuple(value) not in written
                and tuple(value) in self.catalog.partitions(database, contract.name)
            ):
                self.catalog.delete_partition(contract, database, tuple(value))
                self._collect_garbage(join_uri(root, partition_path(parts, value)) + "/", None)
        if not rewrite:
            self.metrics.outputs[contract.name] = self.metrics.outputs.get(contract.name, 0) + rows
            self.metrics.partitions_written += len(values)
        return rows

    def plan_files(
        self, contract: DatasetContract, database: str, rows: dict[tuple[str, ...], int]
    ) -> dict[tuple[str, ...], int]:
        """Files per partition for ``rows`` rows each, at the bytes per row measured on the table's last write."""
        measured = self._bookmark.get("file_stats", {}).get(f"{database}.{contract.name}")
        target = self.target_file_bytes or filesizing.TARGET_FILE_BYTES
        return filesizing.plan_files(rows, filesizing.bytes_per_row(contract, measured), target)

    def catalog_location_or(self, default: str, contract: DatasetContract, database: str) -> str:
        """The table's current location if registered (so registering never hides published data)."""
        return self.catalog.table_location(database, contract.name) or default

    def _upload(self, local: Path, root: str, version: str) -> None:
        relative = [path.relative_to(local).as_posix() for path in sorted(local.rglob("*.parquet"))]
        self.storage.upload_all([(local / rel, join_uri(root, rel)) for rel in relative if f"v={version}/" in rel])

    def _collect_garbage(self, base: str, keep: str | None) -> int:
        """Delete superseded version directories under a partition (best effort, after the publish).

        Returns the bytes of the kept version's Parquet files (the write's measured size).
        """
        bucket, _ = parse_s3_uri(base)
        kept = 0
        for obj in self.storage.list(base):
            _, key = parse_s3_uri(obj.uri)
            rel = key[len(parse_s3_uri(base)[1]) :]
            if not rel.startswith("v="):
                continue
            if keep is None or not obj.uri.startswith(keep):
                self.storage.s3.delete_object(Bucket=bucket, Key=key)
            elif obj.uri.endswith(".parquet"):
                kept += obj.size
        return kept

    def merge_into(
        self,
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
        existing = self.read_table(contract, database, touched)
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
        plan = self.plan_files(contract, database, {v: n for v, n in planned.items() if n})
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
        observation = Observation(f"{self.run_id}-{contract.name}-{self._writes}")
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
            self.write_partitions(merged, contract, database, output_root)
        else:
            published = {v: n for v, n in planned.items() if n}
            self.write_partitions(
                merged, contract, database, output_root, counts=published, laid_out=True,
                written_rows=lambda: int(observation.get["winners"]),
            )  # fmt: skip
        counted = observation.get  # the write has run, so have the counts
        exact = {v: int(counted[f"winners_{i}"]) for i, v in enumerate(several)}
        replanned = self.plan_files(contract, database, exact)
        off = [v for v in several if replanned[v] != plan[v]]
        if off:
            # Duplicates made these partitions' planned file counts too high (rare: near a file-count boundary
            # or on a mass re-delivery): their rows are laid out again from the exact count.
            rows = self.read_table(contract, database, off)
            self.write_partitions(
                rows, contract, database, output_root, counts={v: exact[v] for v in off}, rewrite=True
            )
        dropped_n = int(counted["dropped"])
        return sum(counts.values()) - dropped_n, dropped_n

    def load(
        self,
        valid: DataFrame,
        rejects: DataFrame,
        contract: DatasetContract,
        database: str,
        output_root: str,
        order: Sequence[Any] | Callable[[DataFrame], Sequence[Any]],
        files: SourceFiles | None = None,
        not_reported: int = 0,
        fill_nulls: Sequence[str] = (),
    ) -> None:
        """Record-job tail: quarantine rejects, merge valid rows into their partitions, count everything.

        ``order``, ``files`` and ``fill_nulls`` are as in ``merge_into``; ``not_reported`` counts rows read that
        are neither written nor quarantined because they were never measured (a sensor the device does not have).
        """
        parts = list(contract.partition_by)
        # Valid rows per partition in one pass; the quarantine counts its rows as it keeps them (a union of the
        # two here would read a shared parent, such as the telemetry job's cached rows, once for each).
        counts = partition_counts(valid, parts)
        n_valid = sum(counts.values())
        quarantined = self.quarantine(rejects, contract.name)
        written, dropped = (
            self.merge_into(valid, contract, database, output_root, order, counts, files, fill_nulls)
            if n_valid
            else (0, 0)
        )
        self.metrics.rows_read += n_valid + quarantined + not_reported
        self.metrics.rows_written += written
        self.metrics.rows_deduplicated += dropped
        self.metrics.rows_not_reported += not_reported
        self.metrics.details[contract.name] = {
            "read": n_valid + quarantined + not_reported,
            "written": written,
            "quarantined": quarantined,
            "deduplicated": dropped,
            "not_reported": not_reported,
        }

    def quarantine_unreadable_objects(self) -> None:
        """Quarantine the unreadable objects no load took along (a run whose new objects were all unreadable)."""
        if self._objects.unreadable:
            count = self.quarantine(self._objects.empty_rejects(self.spark), self.name)
            self.metrics.rows_read += count
        self._objects.cleanup(self.storage)

    def quarantine(self, rejects: DataFrame, dataset: str) -> int:
        """Append quarantine rows for ``dataset`` (merged per partition, so a re-run adds no duplicates)."""
        contract = get_contract("quarantine_records")
        rejects = self._objects.with_unreadable(rejects)
        rows = rejects.select(
            F.lit(self.name).alias("job_name"),
            F.lit(self.run_id).alias("run_id"),
            "source_file",
            quarantine_keys.record_index(rejects),
            "reason",
            "raw_record",
            F.lit(self.now).cast("timestamp").alias("quarantined_ts"),
            F.lit(dataset).alias("dataset"),
            F.lit(self.now.date()).cast("date").alias("quarantine_date"),
        )
        # Kept once: counted here, then merged and written from the kept rows.
        rows = materialise(rows)
        count = rows.count()
        self.metrics.rows_quarantined += count
        if count:
            keyed = rows.withColumn("_key", quarantine_keys.merge_key())
            # Every row carries the same (dataset, quarantine_date): the only partition touched.
            literal = {"dataset": dataset, "quarantine_date": str(self.now.date())}
            touched = [tuple(literal[p] for p in contract.partition_by)]
            existing = self.read_table(contract, self.args["quarantine_database"], touched)
            if existing is not None:
                existing = existing.withColumn("_key", quarantine_keys.merge_key())
            # The earliest quarantine of the same record is kept, so re-runs do not duplicate it.
            merged, _ = merge_with_existing(keyed, existing, ["_key"], [F.col("quarantined_ts").asc()])
            self.write_partitions(
                merged.drop("_key"), contract, self.args["quarantine_database"], self.args["quarantine_path"]
            )
        return count


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


# Session settings every job runs with, on Glue and locally (runtime SQL settings, so a job can set them).
SPARK_SQL_SETTINGS = {
    # The lake's timestamps are UTC: zone-less text is read as UTC whatever the cluster's default zone is.
    "spark.sql.session.timeZone": "UTC",
    # Whole-stage code bigger than HotSpot's 8,000-byte JIT limit is never compiled and runs interpreted;
    # above this limit Spark generates smaller per-operator code instead (the value Spark's docs suggest).
    "spark.sql.codegen.hugeMethodLimit": "8000",
    # Materialised frames (energylake.frames) are cached uncompressed: choosing each column's encoding hashes
    # every value (about a tenth of the telemetry job's CPU at 1 GB), and the cache spills to disk when full.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    # A partitioned write keeps a file open per partition value in a task (up to 4, then it sorts the rest)
    # instead of sorting every row by partition first: the layout gives each task one partition's file.
    "spark.sql.maxConcurrentOutputFileWriters": "4",
}


def _glue_job(spark: SparkSession, name: str, args: dict[str, str]) -> tuple[Any, SparkSession]:
    from awsglue.context import GlueContext
    from awsglue.job import Job

    glue_context = GlueContext(spark.sparkContext)
    job = Job(glue_context)
    job.init(name, args)
    return job, glue_context.spark_session


@contextlib.contextmanager
def job_context(
    argv: Sequence[str], required: Sequence[str], optional: dict[str, str] | None = None
) -> Iterator[JobContext]:
    """Run a job body with resolved args, Spark, bookmarks and metrics; commits only on success."""
    defaults = {
        "JOB_NAME": Path(argv[0]).stem if argv else "job",
        "state_path": "",
        "quarantine_path": "",
        "quarantine_database": get_contract("quarantine_records").glue_database(),
        **(optional or {}),
    }
    args = parse_args(argv, required, defaults)
    for name in ("state_path", "quarantine_path"):
        if not args.get(name):
            raise ArgumentError(f"missing required argument --{name}")
    name = args["JOB_NAME"]
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    metrics = JobMetrics(job_name=name, run_id=run_id, started_at=datetime.now(UTC).isoformat())
    on_glue = glue_available()
    staged = not on_glue and os.environ.get("LAKE_IO_MODE", "staged") == "staged"
    if on_glue:
        spark = SparkSession.builder.getOrCreate()
    else:
        try:
            from lakectl.spark import local_spark  # the local runner's Glue-like session
        except ImportError:
            spark = SparkSession.builder.getOrCreate()
        else:
            spark = local_spark(f"glue-{name}")
    staging = Path(tempfile.mkdtemp(prefix=f"lake-{name}-", dir=os.environ.get("LAKE_STAGING_DIR"))) if staged else None
    ctx = JobContext(name=name, args=args, spark=spark, metrics=metrics, staged=staged, staging_dir=staging)
    if on_glue:
        ctx._glue_job, ctx.spark = _glue_job(spark, name, args)
    for key, value in SPARK_SQL_SETTINGS.items():
        ctx.spark.conf.set(key, value)
    # Frames a job materialises live in the session's cache until it ends; none is left over from a previous
    # job in the same session (a cached plan over the same paths would otherwise serve stale rows).
    ctx.spark.catalog.clearCache()
    started = time.monotonic()
    ctx.load_bookmark()
    try:
        yield ctx
        ctx.quarantine_unreadable_objects()
        ctx.save_bookmark()
        metrics.status = "succeeded"
    except BaseException as exc:
        metrics.status = "failed"
        # One line in the metrics (and for the caller to print); the stack trace goes to the log.
        metrics.error = failures.log_failure(log, f"job {name}", exc)
        raise
    finally:
        metrics.finished_at = datetime.now(UTC).isoformat()
        metrics.duration_s = round(time.monotonic() - started, 3)
        with contextlib.suppress(Exception):
            ctx.storage.put_json(ctx.state_uri("metrics", name, f"{run_id}.json"), metrics.to_dict())
            if metrics.status == "succeeded":
                ctx.storage.put_json(ctx.state_uri("metrics", name, "latest.json"), metrics.to_dict())
        print(json.dumps({"job_metrics": metrics.to_dict()}, default=str), file=sys.stderr)
        with contextlib.suppress(Exception):
            ctx.spark.catalog.clearCache()
        with contextlib.suppress(Exception):
            ctx._objects.cleanup(ctx.storage)  # relocated copies of a failed run
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if ctx._glue_job is not None and metrics.status == "succeeded":
            ctx._glue_job.commit()
