"""Row accounting of a job run: every row read is written, quarantined, de-duplicated or not reported.

The metrics are logged as JSON and written under ``--state_path`` (``metrics/<job>/<run_id>.json`` and, for a
successful run, ``latest.json``).
"""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from energylake.failures import one_line
from energylake.storage import Storage, join_uri


@dataclass
class JobMetrics:
    """Row accounting of one job run (logged as JSON and written under --state_path)."""

    job_name: str
    run_id: str
    status: str = "running"
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    rows_deduplicated: int = 0
    rows_aggregated: int = 0  # input rows folded into aggregates (curated jobs)
    rows_not_reported: int = 0  # readings of sensors a device does not have (null by design, not bad data)
    kind: str = "records"  # "records": 1:1 row jobs; "aggregate": curated builds (rows_written = output rows)
    input_objects: int = 0
    outputs: dict[str, int] = field(default_factory=dict)  # table -> rows in the partitions written this run
    partitions_written: int = 0
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Every row read is written, aggregated, quarantined, counted as a duplicate or as not reported."""
        if self.kind == "aggregate":
            return self.rows_read == self.rows_aggregated
        return (
            self.rows_read
            == self.rows_written + self.rows_quarantined + self.rows_deduplicated + self.rows_not_reported
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable) including the balance check."""
        return {**asdict(self), "balanced": self.balanced}

    def record_dataset(
        self, dataset: str, valid: int, quarantined: int, written: int, deduplicated: int, not_reported: int = 0
    ) -> None:
        """Count one dataset of a record job: ``valid + quarantined + not_reported`` rows read.

        The quarantined rows are already in ``rows_quarantined`` (the quarantine counts them as it keeps them).
        """
        read = valid + quarantined + not_reported
        self.rows_read += read
        self.rows_written += written
        self.rows_deduplicated += deduplicated
        self.rows_not_reported += not_reported
        self.details[dataset] = {
            "read": read,
            "written": written,
            "quarantined": quarantined,
            "deduplicated": deduplicated,
            "not_reported": not_reported,
        }

    def record_output(self, table: str, rows: int, partitions: int) -> None:
        """Rows and partitions a write published for ``table``."""
        self.outputs[table] = self.outputs.get(table, 0) + rows
        self.partitions_written += partitions

    def finish(self, error: BaseException | None, duration_s: float) -> None:
        """Mark the run succeeded (no error) or failed with the error's first line."""
        if error is None:
            self.status = "succeeded"
        else:
            self.status = "failed"
            self.error = one_line(error)
        self.finished_at = datetime.now(UTC).isoformat()
        self.duration_s = round(duration_s, 3)


def publish_metrics(metrics: JobMetrics, storage: Storage, state_path: str) -> None:
    """Write the metrics under ``state_path`` (best effort) and log them as one JSON line on stderr."""
    with contextlib.suppress(Exception):
        storage.put_json(join_uri(state_path, "metrics", metrics.job_name, f"{metrics.run_id}.json"), metrics.to_dict())
        if metrics.status == "succeeded":
            storage.put_json(join_uri(state_path, "metrics", metrics.job_name, "latest.json"), metrics.to_dict())
    print(json.dumps({"job_metrics": metrics.to_dict()}, default=str), file=sys.stderr)
