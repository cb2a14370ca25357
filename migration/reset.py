"""Start the trading pipeline over: what ``make source-seed`` clears before it re-creates the source.

A re-seeded source is a new database as far as change capture is concerned. Keeping the old replication slot
would export the whole re-seed as CDC on top of the previous full load, and the old landing files would be
applied again; so the exporter state, its slot and the landing files go, and the next export is a fresh full
load. Downstream, the Glue ``trading_cdc_apply`` job merges into its current state, so its bookmark and the
transform tables (data and catalog entries) it built from the old files are removed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migration.dms.exporter import DmsExporter
from migration.source import TABLES, contract_for
from migration.storage import S3Store

CDC_JOB = "trading_cdc_apply"


@dataclass
class ResetResult:
    """What a reset removed."""

    slot_dropped: bool = False
    state_deleted: bool = False
    landing_files: int = 0
    transform_files: dict[str, int] = field(default_factory=dict)
    catalog_tables: list[str] = field(default_factory=list)
    bookmark_deleted: bool = False
    tombstone_files: int = 0


def _bucket_exists(store: S3Store) -> bool:
    try:
        store.client.head_bucket(Bucket=store.bucket)
    except store.client.exceptions.ClientError:
        return False
    return True


def reset_exporter(exporter: DmsExporter, result: ResetResult | None = None) -> ResetResult:
    """Delete the exporter's state document and landing files, then drop its replication slot."""
    result = result or ResetResult()
    # Object storage first: if it is unreachable the error surfaces before the slot (the change history) is gone.
    if _bucket_exists(exporter.state_store) and exporter.state_store.get(exporter.state_key) is not None:
        exporter.state_store.client.delete_object(
            Bucket=exporter.state_store.bucket, Key=exporter.state_store._key(exporter.state_key)
        )
        result.state_deleted = True
    if _bucket_exists(exporter.landing):
        result.landing_files = exporter.landing.delete_prefix(f"{exporter.bucket_folder}/{exporter.schema}/")
    with exporter._connect() as conn:
        found = conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", [exporter.slot]).fetchone()
    if found:
        exporter.drop_slot()
        result.slot_dropped = True
    return result


def reset_cdc_job(
    transform: S3Store,
    state: S3Store,
    *,
    glue: Any | None = None,
    database: str = "energy_transform",
    bookmark_key: str = f"state/bookmarks/{CDC_JOB}.json",
    tombstones_prefix: str = "state/cdc_tombstones/",
    result: ResetResult | None = None,
) -> ResetResult:
    """Remove the CDC job's bookmark, delete tombstones and the trading tables it built (objects, catalog)."""
    result = result or ResetResult()
    if _bucket_exists(state) and state.get(bookmark_key) is not None:
        state.client.delete_object(Bucket=state.bucket, Key=state._key(bookmark_key))
        result.bookmark_deleted = True
    if _bucket_exists(state):
        names = {contract_for(t).name for t in TABLES}
        for obj in state.list(tombstones_prefix):
            # <prefix><dataset>/v=<run>/*.parquet, or an earlier release's single <prefix><dataset>.json
            dataset = obj["Key"][len(tombstones_prefix) :].split("/", 1)[0].removesuffix(".json")
            if dataset in names:
                state.client.delete_object(Bucket=state.bucket, Key=state._key(obj["Key"]))
                result.tombstone_files += 1
    names = [contract_for(t).name for t in TABLES]
    if _bucket_exists(transform):
        for name in names:
            result.transform_files[name] = transform.delete_prefix(f"{name}/")
    if glue is not None:
        for name in names:
            try:
                glue.delete_table(DatabaseName=database, Name=name)
            except glue.exceptions.EntityNotFoundException:
                continue
            result.catalog_tables.append(name)
    return result
