"""Job runtime shared by every Glue job: the composition of its parts, and the ``job_context`` a job runs in.

The same job script runs on AWS Glue and locally. Each concern is a module of its own:
``arguments`` (Glue's ``--name value`` contract), ``session`` (the Spark session, injected by a local runner),
``staging`` (S3 directly on Glue, a local staging directory otherwise), ``bookmarks`` (inputs consumed),
``publish`` (version-directory writes and the catalog switch), ``merge`` (upserts and quarantine) and
``accounting`` (the row balance). ``JobContext`` composes them for the job scripts; on Glue ``Job.init`` and
``Job.commit`` are called around the run, and a run's bookmark is saved only when it succeeds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from energylake import failures, parse
from energylake import session as sessions
from energylake.accounting import JobMetrics, publish_metrics
from energylake.arguments import ArgumentError, glue_available, job_arguments, named_arguments, parse_args
from energylake.bookmarks import Bookmarks
from energylake.catalog import Catalog
from energylake.contracts import DatasetContract
from energylake.lineage import SourceFiles
from energylake.merge import merge_into, quarantine
from energylake.objects import PathMap
from energylake.publish import PARQUET_CODEC, Tables, partition_counts
from energylake.reading import InputObjects
from energylake.session import SPARK_SQL_SETTINGS
from energylake.staging import Staging
from energylake.storage import ObjectInfo, Storage, join_uri

log = logging.getLogger("energylake.job")

# Re-exported: the names job scripts, the local runner and tests import from here.
__all__ = [
    "PARQUET_CODEC",
    "SPARK_SQL_SETTINGS",
    "ArgumentError",
    "JobContext",
    "JobMetrics",
    "glue_available",
    "job_context",
    "named_arguments",
    "parse_args",
    "partition_counts",
]


@dataclass
class JobContext:
    """Everything a job script needs: args, Spark, I/O, catalog, bookmarks and metrics."""

    name: str
    args: dict[str, str]
    spark: SparkSession
    metrics: JobMetrics
    staging: Staging
    bookmarks: Bookmarks
    tables: Tables
    now: datetime
    glue_job: Any = None
    objects: InputObjects = field(default_factory=InputObjects)  # this run's input triage (energylake.objects)

    @property
    def run_id(self) -> str:
        """Unique id of this run (also the version directory name of everything it writes)."""
        return self.metrics.run_id

    @property
    def storage(self) -> Storage:
        """S3 access of the run."""
        return self.staging.storage

    @property
    def catalog(self) -> Catalog:
        """The Glue Data Catalog the run publishes to."""
        return self.tables.catalog

    @property
    def staged(self) -> bool:
        """True when Spark works on local copies of S3 (locally), False when it reads s3:// (on Glue)."""
        return self.staging.staged

    def state_uri(self, *parts: str) -> str:
        """A URI under --state_path."""
        return join_uri(self.args["state_path"], *parts)

    # ---- inputs ------------------------------------------------------------------------------
    def new_inputs(self, prefix_uri: str, suffixes: Sequence[str] = ()) -> list[ObjectInfo]:
        """Objects under the prefix not yet processed (new key or changed ETag); fails if the path is missing."""
        if not self.storage.bucket_exists(prefix_uri):
            raise ArgumentError(f"input path {prefix_uri} does not exist (bucket missing)")
        fresh = self.bookmarks.fresh(self.storage.list(prefix_uri))
        self.metrics.input_objects += len(fresh)
        # Every new object is read, read from a safe name, quarantined or counted (energylake.objects).
        return self.objects.admit(fresh, self.storage, suffixes, self.metrics.details)

    def _input_paths(self, objects: Sequence[ObjectInfo]) -> tuple[list[str], PathMap]:
        return self.staging.input_paths(objects, self.objects, self.state_uri("relocated", self.run_id))

    def read_lines(self, objects: Sequence[ObjectInfo]) -> DataFrame:
        """Lines of the objects with lineage (source_file is the s3:// URI in both modes)."""
        return parse.read_lines(self.spark, *self._input_paths(objects))

    def read_csv_records(self, objects: Sequence[ObjectInfo]) -> DataFrame:
        """``read_lines`` for CSV objects: RFC 4180 records, a quoted field's line breaks kept inside it."""
        return parse.read_csv_records(self.spark, *self._input_paths(objects))

    def read_csv_with_headers(self, objects: Sequence[ObjectInfo]) -> tuple[DataFrame, DataFrame]:
        """``read_csv_records`` and each object's header record (``parse.read_csv_headers``), the objects staged
        (or relocated) once for both."""
        paths, path_map = self._input_paths(objects)
        return parse.read_csv_records(self.spark, paths, path_map), parse.read_csv_headers(self.spark, paths, path_map)

    def read_numbered_lines(self, objects: Sequence[ObjectInfo]) -> tuple[DataFrame, SourceFiles]:
        """``read_lines`` with each row's file as a number (``_file_no``), and the numbering to name it again."""
        return parse.read_numbered_lines(self.spark, *self._input_paths(objects))

    def read_files(self, objects: Sequence[ObjectInfo]) -> DataFrame:
        """Whole objects as rows with lineage."""
        return parse.read_files(self.spark, *self._input_paths(objects))

    # ---- tables ------------------------------------------------------------------------------
    def read_table(
        self, contract: DatasetContract, database: str, partitions: Sequence[tuple[str, ...]] | None = None
    ) -> DataFrame | None:
        """Current rows of a catalog table (only ``partitions`` when given); None when it has no data."""
        return self.tables.read_table(contract, database, partitions)

    def source_changes(self, contract: DatasetContract, database: str) -> list[tuple[str, ...]]:
        """Partitions of a source table whose version changed since this job's last run (bookmark for
        catalog inputs); [] when nothing changed, [()] for a changed unpartitioned table."""
        current = self.tables.current_versions(contract, database)
        return self.bookmarks.source_changes(f"{database}.{contract.name}", current)

    def changed_dates(self, contract: DatasetContract, database: str) -> set[str]:
        """Dates (first partition value) of a date-partitioned source whose version changed since the last run."""
        return {values[0] for values in self.source_changes(contract, database) if values}

    def read_dates(
        self, contract: DatasetContract, database: str, dates: set[str], where: dict[str, str] | None = None
    ) -> DataFrame | None:
        """Rows of the partitions whose first value is in ``dates`` (and whose other values match ``where``)."""
        return self.tables.read_dates(contract, database, dates, where)

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
        """Write ``frame`` as new versions of its partitions and publish them (energylake.publish); rows written."""
        return self.tables.write_partitions(
            frame, contract, database, output_root, drop, counts, laid_out, written_rows, rewrite
        )

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
        """Late-data-safe upsert (energylake.merge.merge_into): (new rows written, new rows de-duplicated)."""
        return merge_into(self.tables, new, contract, database, output_root, order, counts, files, fill_nulls)

    def quarantine(self, rejects: DataFrame, dataset: str) -> int:
        """Append quarantine rows for ``dataset`` (merged per partition, so a re-run adds no duplicates)."""
        return quarantine(
            self.tables,
            self.objects.with_unreadable(rejects),
            dataset,
            self.name,
            self.now,
            self.args["quarantine_database"],
            self.args["quarantine_path"],
        )

    def quarantine_unreadable_objects(self) -> None:
        """Quarantine the unreadable objects no load took along (a run whose new objects were all unreadable)."""
        if self.objects.unreadable:
            self.metrics.rows_read += self.quarantine(self.objects.empty_rejects(self.spark), self.name)
        self.objects.cleanup(self.storage)

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
        # Valid rows per partition in one pass; the quarantine counts its rows as it keeps them (a union of the
        # two here would read a shared parent, such as the telemetry job's cached rows, once for each).
        counts = partition_counts(valid, list(contract.partition_by))
        n_valid = sum(counts.values())
        quarantined = self.quarantine(rejects, contract.name)
        written, dropped = (
            self.merge_into(valid, contract, database, output_root, order, counts, files, fill_nulls)
            if n_valid
            else (0, 0)
        )
        self.metrics.record_dataset(contract.name, n_valid, quarantined, written, dropped, not_reported)


@contextlib.contextmanager
def job_context(
    argv: Sequence[str], required: Sequence[str], optional: dict[str, str] | None = None
) -> Iterator[JobContext]:
    """Run a job body with resolved args, Spark, bookmarks and metrics; commits only on success.

    Off Glue the session comes from the factory a local runner injects (energylake.session.session_factory).
    """
    args = job_arguments(argv, required, optional)
    name = args["JOB_NAME"]
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    metrics = JobMetrics(job_name=name, run_id=run_id, started_at=datetime.now(UTC).isoformat())
    on_glue = glue_available()
    spark = sessions.job_session(name, on_glue)
    storage = Storage()
    # Locally (LAKE_IO_MODE unset or "staged") boto3 copies S3 to and from a local directory for Spark.
    staging = Staging.create(storage, name, staged=not on_glue and os.environ.get("LAKE_IO_MODE", "staged") == "staged")
    glue_job = None
    if on_glue:
        glue_job, spark = sessions.glue_job(spark, name, args)
    sessions.configure(spark)
    bookmarks = Bookmarks(storage, args["state_path"], name)
    tables = Tables(spark, run_id, staging, bookmarks, metrics)
    now = datetime.now(UTC).replace(tzinfo=None)
    ctx = JobContext(name, args, spark, metrics, staging, bookmarks, tables, now, glue_job)
    started = time.monotonic()
    bookmarks.load()
    error: BaseException | None = None
    try:
        yield ctx
        ctx.quarantine_unreadable_objects()
        bookmarks.save(run_id)
    except BaseException as exc:
        error = exc
        # The stack trace goes to the log; the metrics (and the caller) say the failure in one line.
        failures.log_failure(log, f"job {name}", exc)
        raise
    finally:
        metrics.finish(error, time.monotonic() - started)
        publish_metrics(metrics, storage, args["state_path"])
        with contextlib.suppress(Exception):
            ctx.spark.catalog.clearCache()
        with contextlib.suppress(Exception):
            ctx.objects.cleanup(storage)  # relocated copies of a failed run
        staging.remove()
        if glue_job is not None and metrics.status == "succeeded":
            glue_job.commit()
