"""Materialising a DataFrame that several actions read, in the form the JVM's garbage collector handles best."""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame


def materialise(frame: DataFrame, eager: bool = False, columnar: bool = True) -> DataFrame:
    """``frame`` computed once and kept for every later action; ``eager`` computes it now.

    ``columnar`` (the default) keeps it in Spark's columnar cache (memory, spilling to disk): a few arrays per
    10,000 rows, where ``localCheckpoint`` keeps one row object per row; at 1 GB of telemetry the collector
    spent about a quarter of the job's CPU on those objects, and about a third of that with the cache. Jobs
    release their caches when they end (``job_context``). ``columnar=False`` is a local checkpoint: rows are
    read back from disk one at a time, where a spilled cache block is read back whole; use it for frames
    with nested columns straight off one big file (a DMS full load is one partition: a million CSV rows with
    their parsed struct ran a 2 GiB heap out of memory in the columnar cache). Either way the frame is a leaf
    of every plan built on it, so later stages stay small enough for whole-stage code generation.
    """
    if not columnar:
        return frame.localCheckpoint(eager=eager)
    # Serialised blocks: their memory is accounted exactly (deserialised batches are estimated, and at 1 GB
    # the estimate let the cache run the heap out of memory); they also cost less CPU here.
    cached = frame.persist(StorageLevel.MEMORY_AND_DISK)
    if eager:
        cached.count()
    return cached
