"""Firehose record-transformation Lambda for telemetry (Kinesis Data Streams → Firehose → raw).

Implements Firehose's data-transformation contract: every input record comes back with its
``recordId``, a ``result`` of ``Ok`` (normalised newline-delimited JSON in ``data``) or
``ProcessingFailed`` (never silently ``Dropped``), so Firehose writes failures to the error output
prefix ``errors/<source>/processing-failed/...``. Firehose's own error document carries the raw record
but not our reason, so the reason is logged per record and, with ERROR_REASONS_BUCKET set, written as
``errors/<source>/processing-failed-reasons/<YYYY>/<MM>/<DD>/<HH>/<invocationId>.json``.

Environment: ERROR_REASONS_BUCKET (optional, normally the raw bucket); TELEMETRY_SOURCE (optional:
windfarm|devices; default taken from the delivery stream name's last ``-`` part).
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

from lakeingest.common.config import env_str
from lakeingest.common.keys import error_prefix
from lakeingest.telemetry.records import InvalidRecord, normalise, to_line

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

SOURCES = ("windfarm", "devices")


def source_of(event: dict[str, Any]) -> str:
    """windfarm|devices: TELEMETRY_SOURCE, else the delivery stream name's suffix (``...-windfarm``)."""
    configured = env_str("TELEMETRY_SOURCE", "")
    if configured:
        return configured
    name = str(event.get("deliveryStreamArn", "")).rsplit("/", 1)[-1]
    suffix = name.rsplit("-", 1)[-1]
    return suffix if suffix in SOURCES else "unknown"


def transform_records(event: dict[str, Any], now: datetime | None = None) -> tuple[list[dict[str, Any]], list[dict]]:
    """Firehose output records plus the failures (recordId, reason, rawData) for the reasons object."""
    source = source_of(event)
    output: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for record in event.get("records", []):
        record_id = record["recordId"]
        raw_b64 = record.get("data", "")
        try:
            raw = base64.b64decode(raw_b64, validate=True)
            found, normalised = normalise(raw, now)
            if source in SOURCES and found != source:
                raise InvalidRecord(f"{found} record on the {source} stream")
            output.append(
                {"recordId": record_id, "result": "Ok", "data": base64.b64encode(to_line(normalised)).decode()}
            )
        except (InvalidRecord, ValueError) as exc:
            reason = str(exc) if isinstance(exc, InvalidRecord) else f"data is not base64: {exc}"
            failures.append(
                {
                    "recordId": record_id,
                    "reason": reason,
                    "approximateArrivalTimestamp": record.get("approximateArrivalTimestamp"),
                    "rawData": raw_b64,
                }
            )
            # data keeps the raw record plus the reason; Firehose stores the original raw data itself.
            carried = json.dumps({"reason": reason, "rawData": raw_b64}).encode()
            output.append(
                {"recordId": record_id, "result": "ProcessingFailed", "data": base64.b64encode(carried).decode()}
            )
            log.warning(json.dumps({"recordId": record_id, "result": "ProcessingFailed", "reason": reason}))
    return output, failures


def write_reasons(event: dict[str, Any], failures: list[dict[str, Any]], now: datetime) -> str | None:
    """Store the failures' reasons next to Firehose's error output; returns the key (None when not configured)."""
    bucket = env_str("ERROR_REASONS_BUCKET", "")
    if not bucket or not failures:
        return None
    import boto3

    key = (
        error_prefix(source_of(event), "processing-failed-reasons", now) + f"{event.get('invocationId', 'local')}.json"
    )
    body = {
        "invocationId": event.get("invocationId"),
        "deliveryStreamArn": event.get("deliveryStreamArn"),
        "records": failures,
    }
    boto3.client("s3").put_object(
        Bucket=bucket, Key=key, Body=json.dumps(body).encode(), ContentType="application/json"
    )
    return key


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point: the Firehose transformation response ``{"records": [...]}``, one per input record."""
    now = datetime.now(UTC)
    output, failures = transform_records(event, now)
    write_reasons(event, failures, now)
    log.info(json.dumps({"records": len(output), "failed": len(failures), "source": source_of(event)}))
    return {"records": output}
