"""Deleted keys of the CDC tables, kept so that a change arriving after its key's delete cannot bring it back.

Layout, under the job's state path: ``cdc_tombstones/<dataset>/v=<run id>/*.parquet``, the key columns (contract
types) and ``deleted_ts``. Each batch adds one version holding only its own deletes, so what a batch writes
follows its changes, not the history (an earlier release rewrote one JSON document of every delete ever seen on
every batch: 12 CPU s at 800k deleted keys, before the document's own transfer). A key may appear in several
versions; readers take its latest ``deleted_ts`` (``energylake.cdc.apply_cdc`` does, for the batch's keys only).

Every ``COMPACT_AFTER`` versions the reduced set is written once as a new version and the older ones deleted, so
the number of files stays bounded; a crash between the write and the deletes leaves duplicates, which the
reduction absorbs. The legacy document ``cdc_tombstones/<dataset>.json`` is read while it exists and folded into
the next version written, then deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType, TimestampType

from energylake.contracts import DatasetContract
from energylake.publish import PARQUET_CODEC
from energylake.schema import spark_type
from energylake.staging import Staging
from energylake.storage import join_uri

PREFIX = "cdc_tombstones"
COMPACT_AFTER = 32  # versions kept before they are folded into one (a job run adds at most one per table)
DELETED_TS = "deleted_ts"


def tombstone_schema(contract: DatasetContract) -> StructType:
    """Key columns in their contract types, then the commit time of the delete."""
    types = {c.name: spark_type(c.type) for c in contract.columns}
    keys = [StructField(k, types[k], False) for k in contract.primary_key]
    return StructType([*keys, StructField(DELETED_TS, TimestampType())])


def legacy_frame(spark: SparkSession, records: list[dict[str, Any]], contract: DatasetContract) -> DataFrame:
    """The legacy JSON document's records (``{"key": [...], "deleted_ts": "..."}``) as tombstone rows."""
    schema = tombstone_schema(contract)
    rows = [(*[str(k) for k in r["key"]], r[DELETED_TS]) for r in records]
    frame = spark.createDataFrame(rows, StructType([StructField(f.name, StringType()) for f in schema.fields]))
    return frame.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])


def latest_per_key(tombstones: DataFrame, contract: DatasetContract) -> DataFrame:
    """One row per deleted key: its latest delete."""
    return tombstones.groupBy(*contract.primary_key).agg(F.max(DELETED_TS).alias(DELETED_TS))


@dataclass
class StoredTombstones:
    """What ``TombstoneStore.read`` found: the tombstones (None when there are none), the version directories
    they came from and whether the legacy JSON document exists (``append`` folds and deletes from these)."""

    frame: DataFrame | None
    versions: list[str]
    legacy: bool


@dataclass
class TombstoneStore:
    """The tombstones of one dataset under ``root`` (``<state>/cdc_tombstones/<dataset>/``)."""

    spark: SparkSession
    staging: Staging
    contract: DatasetContract
    root: str

    @classmethod
    def at(cls, spark: SparkSession, staging: Staging, contract: DatasetContract, state_path: str) -> TombstoneStore:
        """The store of ``contract``'s dataset under a job's ``--state_path``."""
        return cls(spark, staging, contract, join_uri(state_path, PREFIX, contract.name) + "/")

    @property
    def legacy_uri(self) -> str:
        """Where an earlier release kept every tombstone of the dataset in one JSON document."""
        return self.root.rstrip("/") + ".json"

    def versions(self) -> list[str]:
        """Version directory names (``v=...``) stored, oldest name first."""
        names = {o.uri[len(self.root) :].split("/", 1)[0] for o in self.staging.storage.list(self.root)}
        return sorted(n for n in names if n.startswith("v="))

    def read(self) -> StoredTombstones:
        """Every stored tombstone (a key may repeat across versions), with the listing ``append`` needs."""
        schema = tombstone_schema(self.contract)
        frames = []
        versions = self.versions()
        if versions:
            base = self.staging.table_path(self.root).rstrip("/") + "/"
            # Each version directory is named on its own so Spark infers no partition column from ``v=``.
            frames.append(self.spark.read.schema(schema).parquet(*[base + v for v in versions]))
        legacy = self.staging.storage.get_json(self.legacy_uri)
        if legacy:
            frames.append(legacy_frame(self.spark, legacy, self.contract))
        frame = None if not frames else frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])
        return StoredTombstones(frame, versions, legacy is not None)

    def append(self, new: DataFrame, new_rows: int, stored: StoredTombstones, version: str) -> None:
        """Store the batch's ``new`` tombstones (``new_rows`` of them) as version ``version``; fold what ``read``
        gave (``stored``) in with them when the versions have reached ``COMPACT_AFTER`` or the legacy document
        still exists."""
        compact = stored.frame is not None and (stored.legacy or len(stored.versions) + 1 >= COMPACT_AFTER)
        if not compact and not new_rows:
            return
        rows = latest_per_key(stored.frame.unionByName(new), self.contract) if compact else new
        names = [f.name for f in tombstone_schema(self.contract).fields]
        out = rows.select(*names).coalesce(1).withColumn("v", F.lit(version))
        writer = out.write.option("compression", PARQUET_CODEC).partitionBy("v").mode("append")
        self.staging.write_parquet(writer, self.root, version, f"{PREFIX}-{self.contract.name}")
        if compact:
            storage = self.staging.storage
            for old in stored.versions:
                storage.delete_prefix(join_uri(self.root, old) + "/")
            if stored.legacy:
                storage.delete_prefix(self.legacy_uri)


__all__ = [
    "COMPACT_AFTER",
    "DELETED_TS",
    "PREFIX",
    "StoredTombstones",
    "TombstoneStore",
    "latest_per_key",
    "legacy_frame",
]
