"""Object storage used by the exporter, the reference CDC apply and the warehouse loader.

Everything goes through boto3's default configuration (``AWS_ENDPOINT_URL``, region, credentials chain),
so the same code writes to the embedded emulator, LocalStack or real S3.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3


def bucket_name(zone: str) -> str:
    """Bucket of a zone: LAKE_BUCKET_<ZONE>, else ``<LAKE_PREFIX|energylake>-<LAKE_ENV|local>-<zone>``."""
    explicit = os.environ.get(f"LAKE_BUCKET_{zone.upper()}")
    if explicit:
        return explicit
    return f"{os.environ.get('LAKE_PREFIX', 'energylake')}-{os.environ.get('LAKE_ENV', 'local')}-{zone}"


def split_s3_url(url: str) -> tuple[str, str]:
    """('bucket', 'key') of an ``s3://bucket/key`` URL; ValueError for anything else."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, key = url[5:].partition("/")
    if not bucket:
        raise ValueError(f"s3 URL without bucket: {url!r}")
    return bucket, key


@dataclass
class S3Store:
    """One bucket (optionally under a key prefix) reached through boto3."""

    bucket: str
    prefix: str = ""
    client: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.prefix = self.prefix.strip("/")
        if self.client is None:
            self.client = boto3.client("s3")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def url(self, key: str) -> str:
        """s3:// URL of ``key``."""
        return f"s3://{self.bucket}/{self._key(key)}"

    def put(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key``; returns its s3:// URL."""
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        return self.url(key)

    def get(self, key: str) -> bytes | None:
        """Object bytes, or None when the key does not exist."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def list(self, prefix: str = "") -> list[dict[str, Any]]:
        """Objects under ``prefix`` (relative keys, Size, LastModified), sorted by key."""
        full = self._key(prefix)
        out: list[dict[str, Any]] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(self.prefix) + 1 :] if self.prefix else obj["Key"]
                out.append({"Key": rel, "Size": obj["Size"], "LastModified": obj["LastModified"]})
        return sorted(out, key=lambda o: o["Key"])

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; returns how many."""
        keys = [o["Key"] for o in self.list(prefix)]
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})
        return len(keys)


def ensure_bucket(name: str) -> None:
    """Create the bucket when missing (local stacks; Terraform owns buckets on AWS)."""
    client = boto3.client("s3")
    try:
        client.head_bucket(Bucket=name)
    except client.exceptions.ClientError:
        client.create_bucket(Bucket=name)
