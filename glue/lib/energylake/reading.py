"""A run's input objects between listing and reading: triaged (energylake.objects), staged or relocated, and
the quarantine rows of the ones that cannot be read."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from energylake.objects import (
    HEAD_BYTES,
    QUARANTINE,
    READ,
    SKIP,
    Decision,
    PathMap,
    relocated_name,
    spark_spelling,
    triage,
    unreadable_raw,
)
from energylake.quarantine import record_index
from energylake.storage import TRANSFER_THREADS, ObjectInfo, Storage, join_uri, parse_s3_uri

log = logging.getLogger("energylake.job")
UNREADABLE = "unreadable_object"
REJECT_SCHEMA = "source_file string, line_no int, reason string, raw_record string"


def head(storage: Storage, obj: ObjectInfo) -> bytes:
    """The first HEAD_BYTES bytes of a non-empty object (one ranged GET)."""
    if obj.size == 0 or obj.uri.endswith("/"):
        return b""
    bucket, key = parse_s3_uri(obj.uri)
    return storage.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")["Body"].read()


@dataclass
class InputObjects:
    """The decisions of one run: objects to relocate before reading, and the unreadable ones' quarantine rows."""

    relocate: dict[str, Decision] = field(default_factory=dict)
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # (uri, reason, raw) not yet quarantined
    _copies: list[str] = field(default_factory=list)  # relocated copies in S3, deleted after the run

    def admit(
        self, objects: Sequence[ObjectInfo], storage: Storage, suffixes: Sequence[str], details: dict[str, Any]
    ) -> list[ObjectInfo]:
        """The objects to read; the others are remembered for the quarantine or counted in ``details``."""
        with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
            heads = list(pool.map(lambda obj: head(storage, obj), objects))
        skipped: Counter = Counter(details.get("objects_not_read", {}))
        readable = []
        for obj, first in zip(objects, heads, strict=True):
            decision = triage(parse_s3_uri(obj.uri)[1], obj.size, first, suffixes)
            if decision.action == SKIP:
                skipped[decision.why] += 1
            elif decision.action == QUARANTINE:
                reason = f"{UNREADABLE}:{decision.why}"
                self.unreadable.append((obj.uri, reason, unreadable_raw(obj.uri, obj.size, first)))
            else:
                if decision.action != READ:
                    self.relocate[obj.uri] = decision
                readable.append(obj)
        if skipped:
            details["objects_not_read"] = dict(skipped)  # folder markers and empty objects: no record in them
        return readable

    def staged_paths(
        self, objects: Sequence[ObjectInfo], storage: Storage, staging_dir: Path
    ) -> tuple[list[str], PathMap]:
        """Download the objects (relocated ones under generated names); local paths and how to name them again."""
        base, moved_dir = staging_dir / "in", staging_dir / "moved"
        targets, moved = [], {}
        for obj in objects:
            decision = self.relocate.get(obj.uri)
            if decision is None:
                targets.append((obj, base.joinpath(*parse_s3_uri(obj.uri))))
            else:
                target = moved_dir / relocated_name(len(moved), decision)
                moved[spark_spelling(str(target))] = obj.uri
                targets.append((obj, target))
        paths = [str(path) for path in storage.download_all(targets)]
        return paths, PathMap((str(base) + "/", "s3://"), moved)

    def direct_paths(
        self, objects: Sequence[ObjectInfo], storage: Storage, scratch_uri: str
    ) -> tuple[list[str], PathMap]:
        """S3 paths to read (relocated objects copied under ``scratch_uri`` first) and how to name them again."""
        paths, moved = [], {}
        for obj in objects:
            decision = self.relocate.get(obj.uri)
            if decision is None:
                paths.append(obj.uri)
                continue
            copy = join_uri(scratch_uri, relocated_name(len(moved), decision))
            source_bucket, source_key = parse_s3_uri(obj.uri)
            bucket, key = parse_s3_uri(copy)
            storage.s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": source_key})
            self._copies.append(copy)
            moved[copy] = obj.uri
            paths.append(copy)
        return paths, PathMap(None, moved)

    def with_unreadable(self, rejects: DataFrame) -> DataFrame:
        """``rejects`` plus the rows of the unreadable objects not yet quarantined (taken once)."""
        if not self.unreadable:
            return rejects
        rows = [(uri, None, reason, raw) for uri, reason, raw in self.unreadable]
        self.unreadable = []
        ordered = rejects.select("source_file", record_index(rejects), "reason", "raw_record")
        return ordered.unionByName(rejects.sparkSession.createDataFrame(rows, REJECT_SCHEMA))

    def empty_rejects(self, spark: SparkSession) -> DataFrame:
        """A quarantine frame with no rows (the unreadable objects' rows join it in ``with_unreadable``)."""
        return spark.createDataFrame([], REJECT_SCHEMA)

    def cleanup(self, storage: Storage) -> None:
        """Delete the relocated copies (best effort: a copy left behind is scratch under the state path)."""
        for uri in self._copies:
            bucket, key = parse_s3_uri(uri)
            try:
                storage.s3.delete_object(Bucket=bucket, Key=key)
            except Exception as exc:  # never fail a finished run over scratch
                log.warning("could not delete the relocated copy %s: %s", uri, exc)
        self._copies = []
