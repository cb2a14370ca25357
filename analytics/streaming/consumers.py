"""Lambda consumer of the Flink job's alerts stream: alerts → InfluxDB + SNS (the aggregates stream has none).

Handlers take the standard Kinesis event; AWS is reached through the SDK's own settings (AWS_ENDPOINT_URL,
region, credential chain). A record that cannot be decoded is reported as a batch item failure (the event
source mapping retries it and sends it to its on-failure destination) rather than being dropped.

Alerts are written as points of measurement ``telemetry_alerts`` (``lakeingest.telemetry.series.ALERTS``)
through the telemetry writer's own line protocol and InfluxDB client (``lakeingest.telemetry.line_protocol``,
``lakeingest.telemetry.influx_writer``; ``package.build_consumers_zip`` ships them), configured like that
writer: INFLUXDB_URL, INFLUXDB_SECRET_ARN (the instance's secret: organization, bucket, credentials),
INFLUXDB_TIMEOUT_S, INFLUXDB_BATCH_LINES. Without INFLUXDB_URL nothing is written to InfluxDB. The Timestream
LiveAnalytics write stays for accounts that have it, only when ALERTS_TABLE (and TIMESTREAM_DATABASE) is set.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3

from lakeingest.common.config import env_int
from lakeingest.telemetry.influx_writer import InfluxWriter, WriteError, load_credentials
from lakeingest.telemetry.line_protocol import record_point
from lakeingest.telemetry.records import InvalidRecord
from lakeingest.telemetry.series import ALERTS

AGGREGATE_DIMENSIONS = ("device_id", "site_id", "metric")
AGGREGATE_MEASURES = ("avg_value", "min_value", "max_value", "sum_value", "reading_count", "device_count")


def decode_records(event: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """JSON payloads of a Kinesis event, plus batch item failures for undecodable records."""
    rows, failures = [], []
    for record in event.get("Records", []):
        try:
            rows.append(json.loads(base64.b64decode(record["kinesis"]["data"])))
        except (KeyError, ValueError) as exc:
            print(f"undecodable record {record.get('kinesis', {}).get('sequenceNumber')}: {exc}")
            failures.append({"itemIdentifier": record.get("kinesis", {}).get("sequenceNumber", "")})
    return rows, failures


def alert_message(alert: dict[str, Any]) -> tuple[str, str]:
    """SNS subject and body for one alert row."""
    subject = f"[{alert['severity'].upper()}] {alert['alert_type']} on {alert['device_id']}"[:100]
    body = (
        f"{alert['alert_type']} at {alert['site_id']} / {alert['device_id']}\n"
        f"window {alert['window_start']} - {alert['window_end']} (UTC)\n"
        f"{alert['metric']}: observed {alert['observed_value']:.3f}, threshold {alert['threshold']:.3f} "
        f"({alert['reading_count']} readings)"
    )
    return subject, body


def timestream_record(row: dict[str, Any]) -> dict[str, Any]:
    """A multi-measure Timestream record for a device or site aggregate row (time = window start)."""
    ts = datetime.fromisoformat(row["window_start"].replace("Z", "")).replace(tzinfo=UTC)
    return {
        "Dimensions": [{"Name": d, "Value": str(row[d])} for d in AGGREGATE_DIMENSIONS if row.get(d) is not None],
        "MeasureName": "window",
        "MeasureValueType": "MULTI",
        "MeasureValues": [
            {"Name": m, "Value": str(row[m]), "Type": "BIGINT" if m.endswith("count") else "DOUBLE"}
            for m in AGGREGATE_MEASURES
            if row.get(m) is not None
        ],
        "Time": str(int(ts.timestamp() * 1000)),
        "TimeUnit": "MILLISECONDS",
    }


def timestream_write_client() -> Any:
    """timestream-write client; honours AWS_ENDPOINT_URL(_TIMESTREAM_WRITE), which endpoint discovery ignores."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_TIMESTREAM_WRITE") or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client("timestream-write", endpoint_url=endpoint)  # None on AWS: discovery as usual


def alert_record(alert: dict[str, Any]) -> dict[str, Any]:
    """A multi-measure Timestream record for an alert row (operations dashboard's alert panels)."""
    record = timestream_record({**alert, "avg_value": None})
    record["Dimensions"] = [
        {"Name": d, "Value": str(alert[d])} for d in ("device_id", "site_id", "metric", "alert_type", "severity")
    ]
    record["MeasureName"] = "alert"
    record["MeasureValues"] = [
        {"Name": "observed_value", "Value": str(alert["observed_value"]), "Type": "DOUBLE"},
        {"Name": "threshold", "Value": str(alert["threshold"]), "Type": "DOUBLE"},
        {"Name": "reading_count", "Value": str(alert["reading_count"]), "Type": "BIGINT"},
    ]
    return record


def _write(client: Any, table: str, records: list[dict[str, Any]]) -> None:
    for start in range(0, len(records), 100):  # WriteRecords takes at most 100 records per call
        client.write_records(
            DatabaseName=os.environ["TIMESTREAM_DATABASE"], TableName=table, Records=records[start : start + 100]
        )


def alert_point(alert: dict[str, Any]) -> str:
    """The line-protocol point of one alert row (measurement telemetry_alerts, timestamp = window end)."""
    return record_point(ALERTS, alert)


def influx_writer_from_env() -> InfluxWriter | None:
    """The telemetry writer's InfluxDB client, configured from the same variables; None without INFLUXDB_URL."""
    url = os.environ.get("INFLUXDB_URL")
    if not url:
        return None
    return InfluxWriter(
        url=url,
        credentials=load_credentials(os.environ["INFLUXDB_SECRET_ARN"]),
        timeout_s=env_int("INFLUXDB_TIMEOUT_S", 10),
    )


def _decode_alerts(event: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], set[str]]:
    """(sequence number, alert row) of every decodable record, and the sequence numbers of the others."""
    rows, failed = [], set()
    for record in event.get("Records", []):
        sequence = record.get("kinesis", {}).get("sequenceNumber", "")
        try:
            row = json.loads(base64.b64decode(record["kinesis"]["data"]))
            if not isinstance(row, dict):
                raise ValueError(f"not a JSON object: {type(row).__name__}")
            rows.append((sequence, row))
        except (KeyError, ValueError) as exc:
            print(f"undecodable record {sequence}: {exc}")
            failed.add(sequence)
    return rows, failed


def _write_influx(writer: InfluxWriter, rows: list[tuple[str, dict[str, Any]]], batch_lines: int) -> set[str]:
    """Write the rows' points; the sequence numbers of rows not written (not renderable, or not accepted)."""
    failed: set[str] = set()
    points: list[tuple[str, str]] = []
    for sequence, row in rows:
        try:
            points.append((sequence, alert_point(row)))
        except (InvalidRecord, ValueError) as exc:  # ValueError: a malformed window_end
            print(f"alert {sequence} has no line-protocol point: {exc}")
            failed.add(sequence)
    for start in range(0, len(points), batch_lines):
        chunk = points[start : start + batch_lines]
        try:
            writer.write([line for _, line in chunk])
        except WriteError as exc:
            print(json.dumps({"write_error": str(exc), "points": len(chunk)}))
            failed.update(sequence for sequence, _ in chunk)
    return failed


def _write_live_analytics(table: str, rows: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Write the rows to the LiveAnalytics table (100 records a call); the sequence numbers not written."""
    client, failed = timestream_write_client(), set()
    for start in range(0, len(rows), 100):  # WriteRecords takes at most 100 records per call
        chunk = rows[start : start + 100]
        try:
            _write(client, table, [alert_record(row) for _, row in chunk])
        except Exception as exc:  # any failure keeps the chunk's records in the batch
            print(json.dumps({"timestream_error": str(exc), "records": len(chunk)}))
            failed.update(sequence for sequence, _ in chunk)
    return failed


def alerts_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """Store every alert (InfluxDB; LiveAnalytics when ALERTS_TABLE is set), then publish it to ALERTS_TOPIC_ARN.

    Lambda's Kinesis checkpoint is the lowest failed sequence number: every record from it on is delivered
    again. So the stores (idempotent: a rewritten point or record replaces itself) are written first, and an
    alert is published only when it and every record before it succeeded; the first failure and every record
    after it are reported as batch item failures and published on the retry, never dropped and never twice.
    """
    rows, failed = _decode_alerts(event)
    writer = influx_writer_from_env() if rows else None
    if writer is not None:
        failed |= _write_influx(writer, rows, env_int("INFLUXDB_BATCH_LINES", 5000))
    if rows and os.environ.get("ALERTS_TABLE"):
        failed |= _write_live_analytics(os.environ["ALERTS_TABLE"], rows)
    sns = boto3.client("sns") if rows else None
    by_sequence = dict(rows)
    sequences = [r.get("kinesis", {}).get("sequenceNumber", "") for r in event.get("Records", [])]
    for position, sequence in enumerate(sequences):
        if sequence in failed:
            return {"batchItemFailures": [{"itemIdentifier": s} for s in sequences[position:]]}
        row = by_sequence[sequence]
        try:
            subject, body = alert_message(row)
            sns.publish(
                TopicArn=os.environ["ALERTS_TOPIC_ARN"],
                Subject=subject,
                Message=body,
                MessageAttributes={"alert_type": {"DataType": "String", "StringValue": row["alert_type"]}},
            )
        except Exception as exc:  # not published: this record and the rest are retried
            print(json.dumps({"sequenceNumber": sequence, "publish_error": str(exc)}))
            return {"batchItemFailures": [{"itemIdentifier": s} for s in sequences[position:]]}
    return {"batchItemFailures": []}
