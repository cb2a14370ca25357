"""Helpers for the no-loss tests: run a job over generated objects and account for it from the tables.

The balance is checked against the quarantine table itself (its rows for the objects of the run), never only
against the job's own metrics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import boto3
import pandas as pd

from energylake.contracts import get_contract
from lakectl import runner

from .corpus_lib import read_table, reason_code, table_checksum


@dataclass
class Run:
    """One job run over a set of objects and what the catalog tables hold for them afterwards."""

    metrics: object
    quarantine: pd.DataFrame  # quarantine_records rows whose source_file is one of the run's objects
    uris: dict[str, str]  # key -> s3:// URI

    def reasons(self, key: str) -> Counter:
        """Reason codes of the quarantine rows of one object."""
        rows = self.quarantine[self.quarantine.source_file == self.uris[key]]
        return Counter(reason_code(r) for r in rows.reason)


def put_objects(s3, bucket: str, objects: dict[str, bytes]) -> dict[str, str]:
    """Upload ``key -> body``; returns ``key -> s3:// URI``."""
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return {key: f"s3://{bucket}/{key}" for key in objects}


def run(s3, job: str, uris: dict[str, str]) -> Run:
    """Run ``job`` and read back the quarantine rows of ``uris`` through the catalog."""
    metrics = runner.run_job(job)
    assert metrics.status == "succeeded", metrics.error
    quarantine = read_table(s3, "energy_quarantine", "quarantine_records")
    if quarantine.empty:  # no table yet: no rows, the contract's columns
        quarantine = pd.DataFrame(columns=[c.name for c in get_contract("quarantine_records").columns])
    quarantine = quarantine[quarantine.source_file.isin(list(uris.values()))]
    return Run(metrics, quarantine, uris)


def assert_balanced_by_table(done: Run) -> None:
    """rows read = written + de-duplicated + not reported + the quarantine table's rows (not the metric)."""
    m = done.metrics
    this_run = done.quarantine[done.quarantine.run_id == m.run_id]
    assert len(this_run) == m.rows_quarantined, (len(this_run), m.rows_quarantined)
    assert m.rows_read == m.rows_written + m.rows_deduplicated + m.rows_not_reported + len(this_run), m
    assert this_run.empty or (this_run.raw_record.notna().all() and this_run.reason.notna().all())


def forget_bookmark(job: str) -> None:
    """Make ``job`` read every object of its prefix again (its bookmark deleted)."""
    boto3.client("s3").delete_object(Bucket="energylake-local-artifacts", Key=f"state/bookmarks/{job}.json")


def assert_rerun_changes_nothing(s3, job: str, first: Run, tables: list[tuple[str, str]]) -> None:
    """Run ``job`` again over ``first``'s objects, read anew: the tables' rows and the quarantine stay the same."""
    before = {t: table_checksum(s3, *t) for t in tables}
    forget_bookmark(job)
    again = run(s3, job, first.uris)
    assert again.metrics.rows_read == first.metrics.rows_read
    assert len(again.quarantine) == len(first.quarantine)
    assert {t: table_checksum(s3, *t) for t in tables} == before
