"""Local equivalent of the API Gateway → Kinesis integration for partner meter readings.

On AWS, API Gateway does this with a request validator (model = ``meter_reading.schema.json``),
a required API key (usage plan) and an AWS integration calling Kinesis PutRecord
(``kinesis_put_record.vtl``). Locally the emulator has no API Gateway data plane, so ``handle``
implements the same checks in the same order and the same PutRecord, against the emulator's Kinesis.
It is also deployable as a Lambda proxy integration if API Gateway's native validation is not wanted.

Environment: PARTNER_STREAM_NAME (required); PARTNER_API_KEYS (comma-separated accepted keys; for
the local/proxy form only, API Gateway checks keys itself); PARTNER_MAX_BODY_BYTES (default 8192).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import boto3
from jsonschema import Draft4Validator

from lakeingest.common.config import env_int, env_list, env_str
from lakeingest.common.keys import parse_iso_utc

# Plausible reading times: not before 2000, not ahead of now beyond meter clock skew (API Gateway models
# cannot express this, so the proxy and the writer check it).
EARLIEST_READING = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)


@cache
def schema() -> dict[str, Any]:
    """The PartnerMeterReading JSON schema (draft-04, API Gateway's model dialect)."""
    return json.loads(resources.files("lakeingest.partner").joinpath("meter_reading.schema.json").read_text())


@cache
def _validator() -> Draft4Validator:
    return Draft4Validator(schema(), format_checker=Draft4Validator.FORMAT_CHECKER)


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def validation_errors(reading: Any) -> list[str]:
    """Every schema violation as ``<path>: <message>`` (empty when the reading is valid)."""
    errors = [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<body>'}: {err.message}"
        for err in sorted(_validator().iter_errors(reading), key=lambda e: list(e.absolute_path))
    ]
    ts = reading.get("reading_ts") if isinstance(reading, dict) else None
    if isinstance(ts, str) and not any(e.startswith("reading_ts:") for e in errors):
        try:
            when = parse_iso_utc(ts)
        except ValueError:
            return errors
        if when < EARLIEST_READING:
            errors.append(f"reading_ts: {ts!r} is before 2000-01-01")
        elif when > datetime.now(UTC) + CLOCK_SKEW:
            errors.append(f"reading_ts: {ts!r} is in the future")
    return errors


def handle(event: dict[str, Any], kinesis: Any | None = None) -> dict[str, Any]:
    """API Gateway proxy event → 202 with the sequence number, or 403/413/400 with the reason."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    keys = env_list("PARTNER_API_KEYS", [])
    if not keys or headers.get("x-api-key") not in keys:
        return _response(403, {"message": "Forbidden: missing or invalid x-api-key"})
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    limit = env_int("PARTNER_MAX_BODY_BYTES", 8192)
    if len(body) > limit:
        return _response(413, {"message": f"Request body is {len(body)} bytes; the limit is {limit}"})
    try:
        reading = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _response(400, {"message": "Invalid request body", "errors": [f"not JSON: {exc}"]})
    errors = validation_errors(reading)
    if errors:
        return _response(400, {"message": "Invalid request body", "errors": errors})
    kinesis = kinesis or boto3.client("kinesis")
    put = kinesis.put_record(
        StreamName=env_str("PARTNER_STREAM_NAME"), Data=body, PartitionKey=str(reading["meter_id"])
    )
    return _response(
        202, {"reading_id": reading["reading_id"], "sequence_number": put["SequenceNumber"], "shard_id": put["ShardId"]}
    )


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda proxy-integration entry point."""
    return handle(event)
