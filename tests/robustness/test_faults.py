"""Fault tests: a job SIGKILLed mid-write, an emulator restart between ingestion and ETL, rerun checksums.

Kills are real: the job runs as a separate ``python -m lakectl run-job`` process and gets SIGKILL while its
output objects are being uploaded; the rerun happens in this process on the session Spark.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from lakectl import runner
from lakectl.settings import REPO_ROOT

from .corpus_lib import read_table, table_checksum, upload

BASE = "raw/telemetry/windfarm/2024/07/15/10/seed-good-dupes.json"
LATE = "raw/telemetry/windfarm/2024/07/16/09/seed-late.json"
MESSY = [
    "raw/telemetry/windfarm/2024/07/15/10/seed-out-of-range.json",
    "raw/telemetry/devices/2024/07/15/10/device-mixed.json",
]


@pytest.fixture
def lake(aws, spark):
    """Zone buckets on a freshly reset emulator."""
    runner.ensure_buckets()
    return runner.placeholders()


def _keys(s3, bucket: str, prefix: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


@pytest.mark.slow  # a second JVM in the child process (~1-2 min on 2 cores)
def test_job_killed_mid_write_leaves_no_partial_partition_and_rerun_completes(lake, tmp_path):
    s3 = boto3.client("s3")
    upload(s3, lake, BASE)
    assert runner.run_job("telemetry_to_transform").status == "succeeded"
    before = read_table(s3, "energy_transform", "telemetry_readings")
    existing = _keys(s3, lake["transform"], "telemetry_readings/")
    upload(s3, lake, LATE)

    env = {**os.environ, "LAKE_STAGING_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakectl", "run-job", "telemetry_to_transform"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            new = _keys(s3, lake["transform"], "telemetry_readings/") - existing
            if new:  # the first new version's files are being uploaded: the catalog switch has not happened yet
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the job finished before it could be killed mid-write"
    assert _keys(s3, lake["transform"], "telemetry_readings/") - existing, "killed before any upload"

    # Readers (through the catalog) see exactly the previous version: no partial partition.
    after_kill = read_table(s3, "energy_transform", "telemetry_readings")
    cols = sorted(before.columns)
    order = ["device_id", "metric", "event_ts"]
    assert (
        after_kill[cols]
        .sort_values(order)
        .reset_index(drop=True)
        .equals(before[cols].sort_values(order).reset_index(drop=True))
    )
    # The bookmark was not advanced, so the rerun picks the late file up again and completes.
    m = runner.run_job("telemetry_to_transform")
    assert m.status == "succeeded" and m.balanced and m.rows_read == 3
    final = read_table(s3, "energy_transform", "telemetry_readings")
    assert len(final) == len(before) + 2  # 2 new keys; the re-delivered record replaced its identical row
    assert not final.duplicated(order).any()
    # Every catalog location is a complete version; the killed run's orphaned files were garbage-collected.
    from lakectl.catalog import Catalog

    locations = Catalog().partitions("energy_transform", "telemetry_readings").values()
    keys = _keys(s3, lake["transform"], "telemetry_readings/")
    assert all(any(k.startswith(loc.split("/", 3)[3]) for k in keys) for loc in locations)
    assert all(any(k.startswith(loc.split("/", 3)[3]) for loc in locations) for k in keys)


def test_emulator_restart_between_ingestion_and_etl(lake, aws):
    """moto keeps its state in memory, so a restart loses every landed object, bucket and catalog entry. The
    ETL must then fail clearly (never "succeed" over nothing) and, once the infrastructure is re-applied and
    ingestion re-lands the data, produce the same data as without the restart."""
    s3 = boto3.client("s3")
    upload(s3, lake, BASE)
    assert runner.run_job("telemetry_to_transform").status == "succeeded"
    expected = _data_checksum(s3)

    aws.reset()  # exactly what a restart of the in-memory emulator leaves behind
    with pytest.raises(ValueError, match=r"s3://energylake-local-\w+/\S* does not exist \(no bucket"):
        runner.run_job("telemetry_to_transform")

    runner.ensure_buckets()  # `make apply` again, then the ingestion re-lands the same object
    upload(s3, lake, BASE)
    m = runner.run_job("telemetry_to_transform")
    assert m.status == "succeeded" and m.rows_written == 4
    assert _data_checksum(s3) == expected


def _data_checksum(s3) -> str:
    """Checksum of telemetry_readings without ingested_ts (the upload time, which a re-landing changes)."""
    frame = read_table(s3, "energy_transform", "telemetry_readings").drop(columns=["ingested_ts"])
    frame = frame[sorted(frame.columns)].astype(str)
    rows = sorted("\x1f".join(r) for r in frame.itertuples(index=False, name=None))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def test_rerun_after_success_gives_identical_curated_output(lake):
    s3 = boto3.client("s3")
    for rel in (BASE, *MESSY):
        upload(s3, lake, rel)
    names = ["telemetry_to_transform", "curated_windfarm_daily_metrics"]
    first = runner.run_workflow(names)
    assert all(m.status == "succeeded" for m in first)
    tables = [("energy_transform", "telemetry_readings"), ("energy_curated", "windfarm_daily_metrics")]
    tables.append(("energy_quarantine", "quarantine_records"))
    before = {t: table_checksum(s3, *t) for t in tables[:2]}
    quarantined = len(read_table(s3, *tables[2]))
    # Reset the bookmarks: everything is reprocessed from scratch and must reproduce the same bytes of data.
    for name in names:
        s3.delete_object(Bucket=lake["artifacts"], Key=f"state/bookmarks/{name}.json")
    second = runner.run_workflow(names)
    assert all(m.status == "succeeded" and m.rows_read > 0 for m in second)
    assert {t: table_checksum(s3, *t) for t in tables[:2]} == before
    assert len(read_table(s3, *tables[2])) == quarantined  # re-quarantining the same records adds nothing
