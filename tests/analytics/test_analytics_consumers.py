"""Lambda consumers against the embedded emulator: alerts reach SNS, aggregates reach Timestream."""

from __future__ import annotations

import base64
import json

import boto3

from analytics.streaming import consumers


def _event(rows: list[object]) -> dict:
    data = [base64.b64encode(r if isinstance(r, bytes) else json.dumps(r).encode()).decode() for r in rows]
    return {"Records": [{"kinesis": {"data": d, "sequenceNumber": str(i)}} for i, d in enumerate(data)]}


ALERT = {
    "window_start": "2024-05-01T12:02:00",
    "window_end": "2024-05-01T12:03:00",
    "device_id": "WF-ROSCOE-T01",
    "site_id": "WF-ROSCOE",
    "alert_type": "battery_over_temperature",
    "severity": "critical",
    "metric": "battery_temperature",
    "observed_value": 51.47,
    "threshold": 45.0,
    "reading_count": 5,
}


def test_alerts_are_published_and_bad_records_reported(aws, monkeypatch):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    tsw = consumers.timestream_write_client()
    tsw.create_database(DatabaseName="energylake")
    tsw.create_table(DatabaseName="energylake", TableName="telemetry_alerts")
    monkeypatch.setenv("TIMESTREAM_DATABASE", "energylake")
    monkeypatch.setenv("ALERTS_TABLE", "telemetry_alerts")
    result = consumers.alerts_handler(_event([ALERT, b"not json"]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Subject"] == "[CRITICAL] battery_over_temperature on WF-ROSCOE-T01"
    assert "observed 51.470, threshold 45.000" in body["Message"]
    record = consumers.alert_record(ALERT)
    assert {d["Name"]: d["Value"] for d in record["Dimensions"]}["alert_type"] == "battery_over_temperature"
    assert record["Time"] == "1714564920000"


def test_aggregates_are_written_to_timestream(aws, monkeypatch):
    tsw = consumers.timestream_write_client()
    tsw.create_database(DatabaseName="energylake")
    for table in ("device_aggregates", "site_aggregates"):
        tsw.create_table(DatabaseName="energylake", TableName=table)
    monkeypatch.setenv("TIMESTREAM_DATABASE", "energylake")
    monkeypatch.setenv("DEVICE_TABLE", "device_aggregates")
    monkeypatch.setenv("SITE_TABLE", "site_aggregates")
    device = {
        "window_start": "2024-05-01T12:00:00",
        "device_id": "WF-ROSCOE-T01",
        "site_id": "WF-ROSCOE",
        "metric": "power_factor",
        "avg_value": 0.95,
        "min_value": 0.9,
        "max_value": 0.99,
        "reading_count": 5,
    }
    site = {
        "window_start": "2024-05-01T12:00:00",
        "site_id": "WF-ROSCOE",
        "metric": "power_factor",
        "avg_value": 0.95,
        "device_count": 3,
        "reading_count": 14,
        "sum_value": 13.3,
    }
    assert consumers.aggregates_handler(_event([device, site])) == {"batchItemFailures": []}
    record = consumers.timestream_record(device)
    assert record["Time"] == "1714564800000"
    assert {d["Name"] for d in record["Dimensions"]} == {"device_id", "site_id", "metric"}
    assert {"Name": "reading_count", "Value": "5", "Type": "BIGINT"} in record["MeasureValues"]
    described = tsw.describe_table(DatabaseName="energylake", TableName="device_aggregates")["Table"]
    assert described["TableName"] == "device_aggregates"
