"""Constants and helpers shared by the ingestion tests (imported by name: tests/ingest is on sys.path)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
LANDING, RAW, ARTIFACTS = "energylake-local-landing", "energylake-local-raw", "energylake-local-artifacts"


def keys(s3, bucket: str, prefix: str = "") -> list[str]:
    """Every key under the prefix (paginated)."""
    out: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)
