"""Fixtures for the migration tests: a fresh trading source database per test and the lake buckets."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from migration.source import create_database, create_schema, drop_replication_slots, ensure_logical_decoding
from migration.storage import S3Store


@pytest.fixture
def source_server(postgres_factory):
    """The shared source server with logical decoding on (restarted once per session to enable it)."""
    server = postgres_factory("source")
    ensure_logical_decoding(server)
    return server


@pytest.fixture
def source_dsn(source_server):
    """DSN of a new database holding the empty trading schema."""
    dsn = create_database(source_server, f"src_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(dsn) as conn:
        create_schema(conn)
    yield dsn
    drop_replication_slots(dsn)


@pytest.fixture
def lake(s3):
    """Landing, transform and artifacts buckets on the emulator, as S3Stores."""
    for name in ("landing", "transform", "artifacts"):
        s3.create_bucket(Bucket=name)
    return {
        "landing": S3Store("landing", client=s3),
        "transform": S3Store("transform", client=s3),
        "artifacts": S3Store("artifacts", client=s3),
        "quarantine": S3Store("transform", "quarantine", client=s3),
    }
