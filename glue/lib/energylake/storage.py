"""S3 access through boto3 (endpoint, region and credentials come from the standard SDK settings only)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

# Objects moved at once by download_all/upload_all: each transfer mostly waits on the network.
TRANSFER_THREADS = 8


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """('bucket', 'key/prefix') of an s3:// URI; ValueError naming the value otherwise."""
    if not uri.startswith(("s3://", "s3a://")):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ValueError(f"s3 URI without a bucket: {uri!r}")
    return bucket, key


def join_uri(base: str, *parts: str) -> str:
    """``base`` joined with path parts using single slashes."""
    out = base.rstrip("/")
    for part in parts:
        out += "/" + part.strip("/")
    return out


@dataclass(frozen=True)
class ObjectInfo:
    """One S3 object as listed: URI, ETag, size and last-modified time."""

    uri: str
    etag: str
    size: int
    last_modified: datetime


class Storage:
    """Thin boto3 S3 wrapper used by the job runtime and the local runner."""

    def __init__(self, client: Any | None = None) -> None:
        self.s3 = client or boto3.client("s3")

    def list(self, prefix_uri: str) -> list[ObjectInfo]:
        """Every object under ``prefix_uri`` sorted by key; ValueError when the bucket does not exist."""
        bucket, prefix = parse_s3_uri(prefix_uri)
        out: list[ObjectInfo] = []
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    out.append(
                        ObjectInfo(
                            f"s3://{bucket}/{obj['Key']}", obj["ETag"].strip('"'), obj["Size"], obj["LastModified"]
                        )
                    )
        except self.s3.exceptions.NoSuchBucket:
            raise ValueError(f"input path {prefix_uri} does not exist (no bucket {bucket!r})") from None
        return sorted(out, key=lambda o: o.uri)

    def exists_prefix(self, prefix_uri: str) -> bool:
        """True when at least one object exists under the prefix."""
        bucket, prefix = parse_s3_uri(prefix_uri)
        try:
            return bool(self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount"))
        except self.s3.exceptions.NoSuchBucket:
            return False

    def bucket_exists(self, uri: str) -> bool:
        """True when the bucket of ``uri`` exists and is reachable."""
        bucket, _ = parse_s3_uri(uri)
        try:
            self.s3.head_bucket(Bucket=bucket)
            return True
        except Exception:
            return False

    def download(self, obj: ObjectInfo, target: Path) -> Path:
        """Download to ``target`` and stamp it with the object's last-modified time (kept as ingest time)."""
        bucket, key = parse_s3_uri(obj.uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        # One streamed GET per object: download_file adds a HEAD request and a thread pool per call, which cost
        # more than the transfer for objects of a few MiB (Firehose's usual size).
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
        with open(target, "wb") as out:
            shutil.copyfileobj(body, out, 1 << 20)
        ts = obj.last_modified.timestamp()
        os.utime(target, (ts, ts))
        return target

    def download_all(self, targets: Sequence[tuple[ObjectInfo, Path]]) -> list[Path]:
        """``download`` of each (object, target) pair, several at a time; the targets in order."""
        with ThreadPoolExecutor(TRANSFER_THREADS) as pool:  # boto3 clients are thread-safe
            return list(pool.map(lambda target: self.download(*target), targets))

    def upload_file(self, source: Path, uri: str) -> None:
        """Upload one local file."""
        bucket, key = parse_s3_uri(uri)
        self.s3.upload_file(str(source), bucket, key)

    def upload_all(self, sources: Sequence[tuple[Path, str]]) -> None:
        """``upload_file`` of each (local file, URI) pair, several at a time."""
        with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
            list(pool.map(lambda source: self.upload_file(*source), sources))

    def get_json(self, uri: str) -> Any | None:
        """Parsed JSON object at ``uri``, or None when absent."""
        bucket, key = parse_s3_uri(uri)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        except self.s3.exceptions.NoSuchBucket:
            raise ValueError(f"path {uri} does not exist (no bucket {bucket!r})") from None
        return json.loads(body)

    def put_json(self, uri: str, value: Any) -> None:
        """Write ``value`` as JSON at ``uri``."""
        bucket, key = parse_s3_uri(uri)
        body = json.dumps(value, indent=2, sort_keys=True, default=str).encode()
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")

    def delete_prefix(self, prefix_uri: str) -> int:
        """Delete every object under the prefix; returns how many were deleted."""
        bucket, _ = parse_s3_uri(prefix_uri)
        keys = [parse_s3_uri(o.uri)[1] for o in self.list(prefix_uri)]
        for i in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]]})
        return len(keys)
