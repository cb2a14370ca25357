"""Materialising a DataFrame that several actions read, in the form the JVM's garbage collector handles best."""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame


def materialise(frame: DataFrame, eager: bool = False) -> DataFrame:
    """``frame`` computed once and kept (memory, spilling to disk) for every later action; ``eager`` computes it now.

    Spark's columnar cache keeps a few compressed arrays per 10,000 rows, where ``localCheckpoint`` keeps one
    row object per row: at 1 GB of telemetry the row objects cost about a quarter of the job's CPU in garbage
    collection, the columnar cache a tenth of that. Like a checkpoint, the cached frame is a leaf of every plan
    built on it, so later stages stay small enough for whole-stage code generation. Jobs release their caches
    when they end (``job_context``).
    """
    cached = frame.persist(StorageLevel.MEMORY_AND_DISK)
    if eager:
        cached.count()
    return cached
