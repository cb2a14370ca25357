"""Find the Parquet files of a lake table: from a local directory, an S3 prefix, or the Glue Data Catalog.

S3 is reached with boto3 only (so ``AWS_ENDPOINT_URL`` picks the emulator, LocalStack or real AWS); objects are
copied to a local cache keyed by ETag because the DuckDB S3 extension would need a download from the internet.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import boto3

from lakectl.settings import STATE_DIR

# Files that Spark/Glue/Athena write beside the data and that are never table data.
_SKIP_PREFIXES = ("_", ".")


class TableLocationError(ValueError):
    """A table's location or partitions cannot be read; the message names the table and the location."""


@dataclass(frozen=True)
class DataFile:
    """One Parquet file: where it is read from locally, its size in bytes and its partition values."""

    uri: str
    local_path: str
    size: int
    partition: dict[str, str] = field(default_factory=dict)


def cache_dir() -> Path:
    """Where S3 objects are cached locally (LAKE_S3_CACHE_DIR, default .local/s3-cache)."""
    return Path(os.environ.get("LAKE_S3_CACHE_DIR", STATE_DIR / "s3-cache"))


def _is_data(name: str) -> bool:
    return bool(name) and not name.startswith(_SKIP_PREFIXES) and not name.endswith((".crc", "$folder$"))


def _hive_values(relative: str, partition_by: Sequence[str]) -> dict[str, str]:
    """Partition values from ``k=v`` path segments (Hive escaping undone)."""
    values: dict[str, str] = {}
    for segment in relative.split("/")[:-1]:
        key, sep, value = segment.partition("=")
        if sep and key in partition_by:
            values[key] = unquote(value)
    return values


def _check_partitions(uri: str, partition: dict[str, str], partition_by: Sequence[str]) -> None:
    missing = [p for p in partition_by if p not in partition]
    if missing:
        raise TableLocationError(f"{uri}: no partition value for {missing} in the path (expected <column>=<value>/)")


def files_from_location(location: str, partition_by: Sequence[str] = ()) -> list[DataFile]:
    """Parquet files under a local directory or ``s3://bucket/prefix``, with Hive-path partition values."""
    if location.startswith("s3://") or location.startswith("s3a://"):
        return _s3_files(location, partition_by)
    root = Path(location)
    if not root.exists():
        raise TableLocationError(f"{location}: no such directory")
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if not all(_is_data(part) for part in rel.split("/")):
            continue
        partition = _hive_values(rel, partition_by)
        _check_partitions(str(path), partition, partition_by)
        out.append(DataFile(uri=str(path), local_path=str(path), size=path.stat().st_size, partition=partition))
    return out


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    prefix = parsed.path.lstrip("/")
    return parsed.netloc, prefix


def _s3_files(location: str, partition_by: Sequence[str], s3: Any = None) -> list[DataFile]:
    s3 = s3 or boto3.client("s3")
    bucket, prefix = _split_s3(location)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    out = []
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        objects = [obj for page in pages for obj in page.get("Contents", [])]
    except s3.exceptions.NoSuchBucket as exc:
        raise TableLocationError(f"{location}: bucket {bucket!r} does not exist") from exc
    for obj in sorted(objects, key=lambda o: o["Key"]):
        rel = obj["Key"][len(prefix) :]
        if not all(_is_data(part) for part in rel.split("/")):
            continue
        partition = _hive_values(rel, partition_by)
        uri = f"s3://{bucket}/{obj['Key']}"
        _check_partitions(uri, partition, partition_by)
        local = _download(s3, bucket, obj)
        out.append(DataFile(uri=uri, local_path=str(local), size=int(obj["Size"]), partition=partition))
    return out


def _download(s3: Any, bucket: str, obj: dict[str, Any]) -> Path:
    etag = str(obj.get("ETag", "")).strip('"') or "noetag"
    local = cache_dir() / bucket / etag / obj["Key"]
    if not local.exists() or local.stat().st_size != int(obj["Size"]):
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(local.name + ".part")
        s3.download_file(bucket, obj["Key"], str(tmp))
        tmp.replace(local)  # atomic: a reader never sees half a file
    return local


def files_from_catalog(database: str, table: str, partition_by: Sequence[str] = (), glue: Any = None) -> list[DataFile]:
    """Files of a Glue catalog table: its location, or its registered partitions' locations.

    Like Athena, a partitioned table reads only the partitions registered in the catalog, unless partition
    projection is enabled on the table, in which case the files under the table location are listed.
    """
    glue = glue or boto3.client("glue")
    try:
        meta = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException as exc:
        raise TableLocationError(f"table {database}.{table} is not in the Glue Data Catalog") from exc
    location = meta.get("StorageDescriptor", {}).get("Location")
    keys = [k["Name"] for k in meta.get("PartitionKeys", [])]
    projected = str(meta.get("Parameters", {}).get("projection.enabled", "false")).lower() == "true"
    if not keys or projected:
        if not location:
            raise TableLocationError(f"table {database}.{table} has no StorageDescriptor.Location")
        return files_from_location(location, keys or partition_by)
    files: list[DataFile] = []
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    for page in pages:
        for part in page.get("Partitions", []):
            values = dict(zip(keys, part["Values"], strict=True))
            part_location = part.get("StorageDescriptor", {}).get("Location")
            if not part_location:
                raise TableLocationError(f"table {database}.{table}: partition {values} has no location")
            for f in files_from_location(part_location, ()):
                files.append(DataFile(uri=f.uri, local_path=f.local_path, size=f.size, partition=values))
    return files
