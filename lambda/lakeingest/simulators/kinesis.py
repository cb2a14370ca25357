"""Kinesis Data Streams helpers: batched PutRecords that retries only the records Kinesis rejected."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from lakeingest.simulators.producers import Produced

MAX_BATCH = 500  # PutRecords limit


class PutRecordsError(RuntimeError):
    """Some records were still rejected after every retry; the message says how many and why."""


def put_records(
    kinesis: Any,
    stream: str,
    records: Iterable[Produced],
    *,
    max_attempts: int = 6,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Send every record (batches of 500, retrying throttled ones with backoff); return the count sent."""
    sent = 0
    batch: list[Produced] = []

    def flush(items: list[Produced]) -> None:
        pending = [{"Data": r.data, "PartitionKey": r.partition_key} for r in items]
        for attempt in range(max_attempts):
            response = kinesis.put_records(StreamName=stream, Records=pending)
            if not response.get("FailedRecordCount"):
                return
            failed = [
                (entry, res) for entry, res in zip(pending, response["Records"], strict=True) if res.get("ErrorCode")
            ]
            pending = [entry for entry, _ in failed]
            time.sleep(min(2.0, 0.05 * 2**attempt))
        codes = sorted({res.get("ErrorCode", "?") for _, res in failed})
        raise PutRecordsError(f"{len(pending)} records to {stream} rejected after {max_attempts} attempts: {codes}")

    for record in records:
        batch.append(record)
        if len(batch) == MAX_BATCH:
            flush(batch)
            sent += len(batch)
            if on_batch:
                on_batch(len(batch))
            batch = []
    if batch:
        flush(batch)
        sent += len(batch)
        if on_batch:
            on_batch(len(batch))
    return sent


def ensure_stream(kinesis: Any, stream: str, shards: int = 1) -> str:
    """Create the stream if missing (Terraform creates it on AWS) and wait until ACTIVE; return its ARN."""
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    except kinesis.exceptions.ResourceNotFoundException:
        kinesis.create_stream(StreamName=stream, ShardCount=shards)
        kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return summary["StreamARN"]
