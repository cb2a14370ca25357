"""What changed since the last successful warehouse load: partition versions against the load ledger.

A partition's *version* identifies its published content. On the production path it is the catalog location
(``.../<col>=<v>/v=<run>/``, an immutable directory the jobs switch atomically, see energylake.publish), read with
one ``GetPartitions`` call per table; only the version directories that differ from the ledger are listed. For a
zone written without a catalog (the reference CDC apply used by the migration tests) the version is a digest of
the partition's files (key, size, last modified), from one metadata listing of the dataset; no file is read.

The ledger (``etl.load_ledger``, one row per dataset partition) is written in the same transaction as the MERGE,
so it always describes what the warehouse holds: a rerun finds nothing changed, a failed load changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol
from urllib.parse import unquote

from sqlglot import exp

from energylake.catalog import Catalog, partition_path
from energylake.contracts import DatasetContract
from migration.storage import S3Store, split_s3_url
from warehouse.ddl import ColumnSpec, create_table

LEDGER_TABLE = "etl.load_ledger"
LEDGER_COLUMNS = (
    ColumnSpec("dataset_name", exp.DataType.build("VARCHAR(128)"), False),
    ColumnSpec("partition_key", exp.DataType.build("VARCHAR(1024)"), False),
    ColumnSpec("version_location", exp.DataType.build("VARCHAR(2048)"), False),
    ColumnSpec("row_count", exp.DataType.build("BIGINT"), False),
    ColumnSpec("newest_file", exp.DataType.build("TIMESTAMP"), True),
    ColumnSpec("run_id", exp.DataType.build("VARCHAR(64)"), False),
)

#: Opens an ``s3://`` URL for reading (seekable); injected so tests can count what a load opens.
Reader = Callable[[str], BinaryIO]


def ledger_ddl() -> exp.Create:
    """CREATE TABLE of the load ledger (one row per loaded dataset partition)."""
    return create_table(LEDGER_TABLE, LEDGER_COLUMNS, primary_key=("dataset_name", "partition_key"))


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a partition version: URL, size in bytes (the manifest's content_length), mtime."""

    url: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """What the warehouse holds of one partition: the version loaded, its rows and newest file time."""

    version: str
    rows: int
    newest_file: datetime | None


def partition_key(contract: DatasetContract, values: Sequence[str]) -> str:
    """Ledger key of a partition: its Hive path (``col=v``), "" for an unpartitioned table."""
    return partition_path(contract.partition_by, tuple(values)) if contract.partition_by else ""


def partition_values(key: str) -> tuple[str, ...]:
    """Values of a ledger key (inverse of partition_key)."""
    return tuple(unquote(part.split("=", 1)[1]) for part in key.split("/")) if key else ()


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_ledger(query: Callable[[str], list[tuple]], datasets: Sequence[str]) -> dict[str, dict[str, LedgerEntry]]:
    """The ledger rows of ``datasets``: dataset -> partition key -> entry."""
    out: dict[str, dict[str, LedgerEntry]] = {d: {} for d in datasets}
    if not datasets:
        return out
    names = exp.Tuple(expressions=[exp.Literal.string(d) for d in datasets])
    sql = (
        exp.select("dataset_name", "partition_key", "version_location", "row_count", "newest_file")
        .from_(LEDGER_TABLE)
        .where(exp.In(this=exp.column("dataset_name"), expressions=names.expressions))
        .sql(dialect="postgres")
    )
    for name, key, version, rows, newest in query(sql):
        out[name][key] = LedgerEntry(version, int(rows), _utc(newest))
    return out


def _timestamp(value: datetime | None) -> exp.Expression:
    if value is None:
        return exp.null()
    naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return exp.cast(exp.Literal.string(naive.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))


def ledger_statements(
    dataset: str, replaced: Sequence[str], entries: dict[str, LedgerEntry], run_id: str
) -> list[exp.Expression]:
    """DELETE the ledger rows of the replaced/removed partitions, INSERT the versions just loaded."""
    stmts: list[exp.Expression] = []
    if replaced:
        keys = [exp.Literal.string(k) for k in replaced]
        where = exp.and_(
            exp.EQ(this=exp.column("dataset_name"), expression=exp.Literal.string(dataset)),
            exp.In(this=exp.column("partition_key"), expressions=keys),
        )
        stmts.append(exp.delete(LEDGER_TABLE, where=where))
    if entries:
        rows = [
            exp.Tuple(
                expressions=[
                    exp.Literal.string(dataset),
                    exp.Literal.string(key),
                    exp.Literal.string(entry.version),
                    exp.Literal.number(entry.rows),
                    _timestamp(entry.newest_file),
                    exp.Literal.string(run_id),
                ]
            )
            for key, entry in sorted(entries.items())
        ]
        stmts.append(exp.insert(exp.values(rows), LEDGER_TABLE, columns=[c.name for c in LEDGER_COLUMNS]))
    return stmts


class VersionSource(Protocol):
    """Where a dataset's published partition versions and their files come from."""

    def versions(self, contract: DatasetContract) -> dict[tuple[str, ...], str]:
        """Current version of each partition (values tuple, () when unpartitioned)."""

    def files(self, contract: DatasetContract, values: tuple[str, ...], version: str) -> list[DataFile]:
        """The Parquet files of one partition version."""


def _is_data_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return name.endswith(".parquet") and not name.startswith(("_", "."))


@dataclass
class CatalogVersions:
    """Versions from the Glue Data Catalog: each partition's location is its version directory."""

    catalog: Catalog
    s3: Any
    database: str | None = None  # default: the contract's zone database

    def versions(self, contract: DatasetContract) -> dict[tuple[str, ...], str]:
        return self.catalog.current_versions(self.database or contract.glue_database(), contract)

    def files(self, contract: DatasetContract, values: tuple[str, ...], version: str) -> list[DataFile]:
        bucket, prefix = split_s3_url(version)
        prefix = prefix.rstrip("/") + "/"
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if _is_data_file(obj["Key"]):
                    out.append(DataFile(f"s3://{bucket}/{obj['Key']}", obj["Size"], obj["LastModified"]))
        return sorted(out, key=lambda f: f.url)


@dataclass
class ListedVersions:
    """Versions of a zone written without a catalog: a digest of each partition's files (metadata only)."""

    store: S3Store

    def __post_init__(self) -> None:
        self._files: dict[str, dict[tuple[str, ...], list[DataFile]]] = {}

    def _partitions(self, contract: DatasetContract) -> dict[tuple[str, ...], list[DataFile]]:
        if contract.name not in self._files:
            groups: dict[tuple[str, ...], list[DataFile]] = {}
            for obj in self.store.list(f"{contract.name}/"):
                if not _is_data_file(obj["Key"]):
                    continue
                values = _path_values(contract, obj["Key"])
                file = DataFile(self.store.url(obj["Key"]), obj["Size"], obj["LastModified"])
                groups.setdefault(values, []).append(file)
            self._files[contract.name] = groups
        return self._files[contract.name]

    def versions(self, contract: DatasetContract) -> dict[tuple[str, ...], str]:
        out = {}
        for values, files in self._partitions(contract).items():
            digest = hashlib.sha256()
            for f in files:
                digest.update(f"{f.url}\0{f.size}\0{f.modified.isoformat()}\n".encode())
            out[values] = "files:" + digest.hexdigest()
        return out

    def files(self, contract: DatasetContract, values: tuple[str, ...], version: str) -> list[DataFile]:
        return self._partitions(contract)[values]


def _path_values(contract: DatasetContract, rel_key: str) -> tuple[str, ...]:
    parts = rel_key.split("/")[1:-1]
    found = dict(p.split("=", 1) for p in parts if "=" in p)
    missing = [c for c in contract.partition_by if c not in found]
    if missing:
        raise ValueError(f"{rel_key}: partition column(s) {missing} not in the path")
    return tuple(unquote(found[c]) for c in contract.partition_by)
