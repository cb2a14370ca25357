"""Idempotent S3 writes: the same key with the same content is never written twice.

Every object carries its SHA-256 in metadata, so a retried Lambda (same scheduled event, same key)
compares hashes with one HEAD request and skips the PUT; changed content at the same key is written
again and reported as ``replaced`` (bucket versioning keeps the earlier version).
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import boto3
from botocore.exceptions import ClientError

WriteOutcome = Literal["written", "skipped", "replaced"]
HASH_META = "sha256"


def sha256_hex(body: bytes) -> str:
    """Hex SHA-256 of the body."""
    return hashlib.sha256(body).hexdigest()


def s3_client() -> Any:
    """A boto3 S3 client configured only by the standard SDK settings (AWS_ENDPOINT_URL, region, credentials)."""
    return boto3.client("s3")


def head_metadata(s3: Any, bucket: str, key: str) -> dict[str, str] | None:
    """The user metadata of an object, or None when it does not exist."""
    try:
        return s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def put_if_changed(
    s3: Any,
    bucket: str,
    key: str,
    body: bytes,
    *,
    content_type: str = "application/octet-stream",
    metadata: dict[str, str] | None = None,
) -> WriteOutcome:
    """Write ``body`` unless the object already holds exactly these bytes; say which happened."""
    digest = sha256_hex(body)
    existing = head_metadata(s3, bucket, key)
    if existing is not None and existing.get(HASH_META) == digest:
        return "skipped"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        Metadata={**(metadata or {}), HASH_META: digest},
    )
    return "written" if existing is None else "replaced"
