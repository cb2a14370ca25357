"""Lambda consumers of the Flink job's Kinesis outputs: alerts → SNS, aggregates → Timestream.

Handlers take the standard Kinesis event; AWS is reached through the SDK's own settings (AWS_ENDPOINT_URL,
region, credential chain). A record that cannot be decoded is reported as a batch item failure (the event
source mapping retries it and sends it to its on-failure destination) rather than being dropped.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3

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


def alerts_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """Publish every alert to the SNS topic ALERTS_TOPIC_ARN (and to Timestream when ALERTS_TABLE is set)."""
    rows, failures = decode_records(event)
    if rows and os.environ.get("ALERTS_TABLE"):
        _write(timestream_write_client(), os.environ["ALERTS_TABLE"], [alert_record(r) for r in rows])
    sns = boto3.client("sns")
    for row in rows:
        subject, body = alert_message(row)
        sns.publish(
            TopicArn=os.environ["ALERTS_TOPIC_ARN"],
            Subject=subject,
            Message=body,
            MessageAttributes={"alert_type": {"DataType": "String", "StringValue": row["alert_type"]}},
        )
    return {"batchItemFailures": failures}


def aggregates_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """Write device aggregates and site aggregates (no device_id) to their Timestream tables."""
    rows, failures = decode_records(event)
    client = timestream_write_client()
    by_table: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        table = os.environ["DEVICE_TABLE"] if row.get("device_id") else os.environ["SITE_TABLE"]
        by_table.setdefault(table, []).append(timestream_record(row))
    for table, records in by_table.items():
        _write(client, table, records)
    return {"batchItemFailures": failures}
