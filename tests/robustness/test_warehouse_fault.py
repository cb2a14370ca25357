"""Warehouse load SIGKILLed mid-transaction (separate process, real PostgreSQL): the tables stay unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest

from tests.warehouse.conftest import lake, source_dsn, source_server  # noqa: F401 - fixtures
from tests.warehouse.test_curated_to_redshift import (  # noqa: F401 - warehouse is a fixture
    ROLE,
    _load,
    _loaded_then_changed,
    _snapshot,
    _source,
    warehouse,
)

pytestmark = pytest.mark.postgres

CHILD = textwrap.dedent(
    """
    import sys
    import boto3
    from migration.storage import S3Store
    from warehouse.executors import LocalWarehouse
    from warehouse.loader import load_datasets

    s3 = boto3.client("s3")
    load_datasets(
        LocalWarehouse(sys.argv[1]),
        stores={"transform": S3Store("transform", client=s3)},
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=s3),
        iam_role=sys.argv[2],
    )
    """
)


def _in_transaction(dsn: str) -> bool:
    """True once another session is changing a warehouse table (MERGE/DELETE under way, not yet committed)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE l.pid <> pg_backend_pid() AND l.mode = 'RowExclusiveLock' AND n.nspname NOT LIKE 'pg_%'"
            " AND c.relpersistence = 'p' AND c.relkind = 'r'"
        ).fetchone()
    return bool(row and row[0])


def test_load_killed_mid_transaction_leaves_tables_unchanged_and_rerun_loads(source_dsn, lake, warehouse):  # noqa: F811
    before = _loaded_then_changed(source_dsn, lake, warehouse, slot="robust_kill", seed=8, batches=10)

    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, warehouse.conninfo, ROLE],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if _in_transaction(warehouse.conninfo):  # a warehouse table is being changed, uncommitted
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert killed and proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]

    # PostgreSQL rolls the dead client's transaction back: every table is exactly as before.
    for _ in range(100):
        if not _in_transaction(warehouse.conninfo):
            break
        time.sleep(0.05)
    assert _snapshot(warehouse.query) == before

    _load(warehouse, lake)  # the rerun completes and the warehouse equals the source
    source = _source(source_dsn)
    loaded = _snapshot(warehouse.query)
    assert all(loaded[t] == rows for t, rows in source.items())
    assert loaded != before
