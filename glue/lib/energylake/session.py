"""The Spark session a job runs in: Glue's on AWS, otherwise one from the factory the caller injects.

The library never imports local tooling: the repository's local runner passes its session factory with
``session_factory(...)`` around the job; without one, the active or a default session is used.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from pyspark.sql import SparkSession

# Builds the session of a job run from its name (e.g. "glue-telemetry_to_transform").
SessionFactory = Callable[[str], SparkSession]

_factory: contextvars.ContextVar[SessionFactory | None] = contextvars.ContextVar("energylake_session", default=None)

# Session settings every job runs with, on Glue and locally (runtime SQL settings, so a job can set them).
SPARK_SQL_SETTINGS = {
    # The lake's timestamps are UTC: zone-less text is read as UTC whatever the cluster's default zone is.
    "spark.sql.session.timeZone": "UTC",
    # Materialised frames (energylake.frames) are cached uncompressed: choosing each column's encoding hashes
    # every value (about a tenth of the telemetry job's CPU at 1 GB), and the cache spills to disk when full.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    # A partitioned write keeps a file open per partition value in a task (up to 4, then it sorts the rest)
    # instead of sorting every row by partition first: the layout gives each task one partition's file.
    "spark.sql.maxConcurrentOutputFileWriters": "4",
}


@contextlib.contextmanager
def session_factory(factory: SessionFactory) -> Iterator[None]:
    """Jobs started inside this block get their session from ``factory`` (off Glue)."""
    token = _factory.set(factory)
    try:
        yield
    finally:
        _factory.reset(token)


def job_session(name: str, on_glue: bool) -> SparkSession:
    """The session of job ``name``: Glue's, the injected factory's, or the active/default one."""
    factory = None if on_glue else _factory.get()
    return factory(f"glue-{name}") if factory is not None else SparkSession.builder.getOrCreate()


def glue_job(spark: SparkSession, name: str, args: dict[str, str]) -> tuple[Any, SparkSession]:
    """Glue's ``Job`` initialised for this run (bookmarks, commit) and the GlueContext's session."""
    from awsglue.context import GlueContext
    from awsglue.job import Job

    glue_context = GlueContext(spark.sparkContext)
    job = Job(glue_context)
    job.init(name, args)
    return job, glue_context.spark_session


def configure(spark: SparkSession) -> None:
    """Apply the jobs' SQL settings and drop frames a previous job in the same session left cached."""
    for key, value in SPARK_SQL_SETTINGS.items():
        spark.conf.set(key, value)
    # Frames a job materialises live in the session's cache until it ends; none is left over from a previous
    # job in the same session (a cached plan over the same paths would otherwise serve stale rows).
    spark.catalog.clearCache()
