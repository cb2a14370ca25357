"""Quarantine records in the lake's ``quarantine_records`` contract schema (Parquet, partitioned by dataset/date)."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from migration.storage import S3Store


@dataclass
class Quarantine:
    """Collects rejected records with a reason; ``flush`` writes one Parquet file per dataset."""

    job_name: str
    run_id: str
    records: list[dict[str, object]] = field(default_factory=list)

    def add(
        self,
        dataset: str,
        reason: str,
        raw_record: str | None,
        source_file: str | None = None,
        line_no: int | None = None,
    ) -> None:
        """Reject one record; ``reason`` starts with a machine-readable code (``code: detail``)."""
        self.records.append(
            {
                "dataset": dataset,
                "job_name": self.job_name,
                "run_id": self.run_id,
                "source_file": source_file,
                "line_no": line_no,
                "reason": reason,
                "raw_record": raw_record,
                "quarantined_ts": datetime.now(UTC).replace(tzinfo=None),
            }
        )

    def __len__(self) -> int:
        return len(self.records)

    def reasons(self) -> Counter:
        """Count of records per reason code (text before the first colon)."""
        return Counter(str(r["reason"]).split(":", 1)[0] for r in self.records)

    def flush(self, store: S3Store | None) -> list[str]:
        """Write the records under ``dataset=<d>/quarantine_date=<date>/``; returns the URLs written."""
        if not self.records or store is None:
            return []
        schema = pa.schema(
            [
                ("job_name", pa.string()),
                ("run_id", pa.string()),
                ("source_file", pa.string()),
                ("line_no", pa.int32()),
                ("reason", pa.string()),
                ("raw_record", pa.string()),
                ("quarantined_ts", pa.timestamp("us")),
            ]
        )
        urls = []
        day = datetime.now(UTC).date().isoformat()
        for dataset in sorted({str(r["dataset"]) for r in self.records}):
            rows = [r for r in self.records if r["dataset"] == dataset]
            table = pa.Table.from_pylist([{k: r[k] for k in schema.names} for r in rows], schema=schema)
            buf = io.BytesIO()
            pq.write_table(table, buf, compression="snappy")
            key = f"dataset={dataset}/quarantine_date={day}/{self.job_name}-{self.run_id}.parquet"
            urls.append(store.put(key, buf.getvalue()))
        return urls
