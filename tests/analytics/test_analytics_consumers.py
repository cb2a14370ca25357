"""Lambda consumers against the embedded emulator: alerts reach InfluxDB and SNS, aggregates reach Timestream.

InfluxDB is the telemetry writer's ``http.server`` stub (tests/ingest/test_influx_writer.py), which holds the
write to InfluxData's documented v2 contract; the alerts go through the writer's own line protocol and client.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import subprocess
import sys
import threading
import zipfile

import boto3
import pytest

from analytics.streaming import consumers
from analytics.streaming.config import SQL_DIR
from analytics.streaming.package import build_consumers_zip
from lakeingest.packaging import function_sources
from lakeingest.telemetry.influx_writer import WriteError
from lakeingest.telemetry.series import ALERTS
from tests.ingest.test_influx_writer import _InfluxStub


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


def _subscribed_queue() -> tuple[str, str]:
    """(topic ARN, URL of an SQS queue subscribed to it) on the emulator."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def _published(queue: str) -> list[str]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"])["Subject"] for m in messages]


def test_alerts_are_published_and_bad_records_reported(aws, monkeypatch):
    monkeypatch.delenv("INFLUXDB_URL", raising=False)
    topic, queue = _subscribed_queue()
    sqs = boto3.client("sqs")
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


# ---- alerts → Timestream for InfluxDB -------------------------------------------------------------------------

ALERT_LINE = (
    "telemetry_alerts,alert_type=battery_over_temperature,device_id=WF-ROSCOE-T01,metric=battery_temperature,"
    "severity=critical,site_id=WF-ROSCOE observed_value=51.47,threshold=45.0,reading_count=5i 1714564980000"
)


def test_an_alert_is_one_typed_point_at_its_window_end():
    # Tags sorted, floats as numbers, the count an integer (i), the timestamp window_end in ms (precision=ms).
    assert consumers.alert_point(ALERT) == ALERT_LINE
    assert consumers.alert_point({**ALERT, "threshold": 45, "window_end": "2024-05-01T12:03:00Z"}) == ALERT_LINE
    with pytest.raises(ValueError, match="not an integer"):
        consumers.alert_point({**ALERT, "reading_count": 5.5})


def test_the_alert_series_is_the_flink_alert_sink():
    """Every tag, field and the time of measurement telemetry_alerts is a column of the Flink sink, typed alike."""
    sql = (SQL_DIR / "20_sinks.sql").read_text()
    body = re.search(r"CREATE TABLE telemetry_alerts \((.*?)\n\)", sql, flags=re.S).group(1)
    columns = dict(line.strip().rstrip(",").split()[:2] for line in body.strip().splitlines())
    sql_type = {"float": "DOUBLE", "integer": "BIGINT"}
    assert {t.path: columns[t.path] for t in ALERTS.tags} == dict.fromkeys((t.path for t in ALERTS.tags), "STRING")
    assert {f.path: columns[f.path] for f in ALERTS.fields} == {f.path: sql_type[f.type] for f in ALERTS.fields}
    assert columns[ALERTS.time_field].startswith("TIMESTAMP")


@pytest.fixture
def influx(aws, monkeypatch):
    """The InfluxDB stub, and the consumer configured like the telemetry writer (instance secret in the emulator)."""
    _InfluxStub.received = []
    _InfluxStub.answer = 204
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _InfluxStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = {"organization": "energy", "bucket": "telemetry", "username": "admin", "password": "s3cret"}
    arn = boto3.client("secretsmanager").create_secret(Name="influx-auth", SecretString=json.dumps(secret))["ARN"]
    monkeypatch.setenv("INFLUXDB_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("INFLUXDB_SECRET_ARN", arn)
    monkeypatch.delenv("ALERTS_TABLE", raising=False)  # no LiveAnalytics table: InfluxDB and SNS only
    yield server
    server.shutdown()
    server.server_close()


def _alerts(n: int) -> list[dict]:
    return [{**ALERT, "device_id": f"WF-ROSCOE-T0{i + 1}"} for i in range(n)]


def test_alerts_are_written_to_influxdb_then_published(influx, monkeypatch):
    topic, queue = _subscribed_queue()
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    assert consumers.alerts_handler(_event([ALERT])) == {"batchItemFailures": []}
    assert [r["lines"] for r in _InfluxStub.received] == [[ALERT_LINE]]
    assert _InfluxStub.received[0]["headers"]["Cookie"] == "influxdb-oss-session=abc"  # signed in with the secret
    assert _published(queue) == ["[CRITICAL] battery_over_temperature on WF-ROSCOE-T01"]


def test_alerts_influxdb_refuses_are_batch_item_failures_and_not_yet_published(influx, monkeypatch):
    topic, queue = _subscribed_queue()
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    _InfluxStub.answer = 503
    result = consumers.alerts_handler(_event(_alerts(2)))
    assert result == {"batchItemFailures": [{"itemIdentifier": "0"}, {"itemIdentifier": "1"}]}
    assert _InfluxStub.received == [] and _published(queue) == []  # published on the retry, once


def test_alerts_from_the_first_failure_on_are_retried(influx, monkeypatch):
    """Lambda redelivers from the lowest failed record: what follows it is reported too and published only then."""
    topic, queue = _subscribed_queue()
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    monkeypatch.setenv("INFLUXDB_BATCH_LINES", "1")
    real, calls = consumers.InfluxWriter.write, []

    def second_fails(self, lines):
        calls.append(lines)
        if len(calls) == 2:
            raise WriteError("write refused: HTTP 500")
        real(self, lines)

    monkeypatch.setattr(consumers.InfluxWriter, "write", second_fails)
    result = consumers.alerts_handler(_event(_alerts(3)))
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}, {"itemIdentifier": "2"}]}
    assert len(_InfluxStub.received) == 2  # the third point is written (idempotent), not acknowledged
    assert _published(queue) == ["[CRITICAL] battery_over_temperature on WF-ROSCOE-T01"]


def test_an_alert_without_a_point_is_a_batch_item_failure(influx, monkeypatch):
    topic, queue = _subscribed_queue()
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    broken = {k: v for k, v in ALERT.items() if k != "window_end"}
    result = consumers.alerts_handler(_event([ALERT, broken, [1, 2]]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}, {"itemIdentifier": "2"}]}
    assert [r["lines"] for r in _InfluxStub.received] == [[ALERT_LINE]]
    assert len(_published(queue)) == 1


def test_the_consumers_zip_carries_the_influxdb_writer_code(tmp_path):
    """The Lambda zip, unpacked as Lambda does (/var/task), imports the consumer and the writer's code from itself."""
    target = build_consumers_zip(tmp_path / "stream-consumers.zip")
    task = tmp_path / "task"
    with zipfile.ZipFile(target) as zf:
        zf.extractall(task)
        names = set(zf.namelist())
    assert {name for _, name in function_sources("telemetry_influx_writer")} <= names
    assert "lakeingest/telemetry/line_protocol.py" in names and "analytics/streaming/consumers.py" in names
    assert build_consumers_zip(tmp_path / "again.zip").read_bytes() == target.read_bytes()  # deterministic
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import analytics.streaming.consumers as c; "
        "mods = [m for n, m in sys.modules.items() if n.split('.')[0] in ('analytics', 'lakeingest')]; "
        "outside = [m.__name__ for m in mods if not (getattr(m, '__file__', None) or '').startswith(sys.argv[1])]; "
        "assert not outside, outside; print(c.alert_point(json.loads(sys.argv[2])))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(task), json.dumps(ALERT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ALERT_LINE
