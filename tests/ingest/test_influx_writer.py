"""Telemetry → Timestream for InfluxDB: line protocol, the v2 write contract, and the Kinesis batch contract.

No InfluxDB runs locally (Timestream for InfluxDB is a managed AWS service and no InfluxDB server is in the
lake's locks): the rendering is checked against InfluxData's documented line-protocol rules, and the writer
against a local ``http.server`` stub that holds it to the documented v2 write API.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.parse
from datetime import UTC, datetime

import pytest

from lakeingest.telemetry import influx_writer, iot_rules
from lakeingest.telemetry.influx_writer import Credentials, InfluxWriter, WriteError, process
from lakeingest.telemetry.line_protocol import epoch_ms, escape_key, escape_measurement, field_value, record_point
from lakeingest.telemetry.records import DEVICE_METRICS, InvalidRecord
from lakeingest.telemetry.series import SERIES, Field

# InfluxData, "Line protocol" (InfluxDB OSS v2): https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/
LINE_PROTOCOL_DOC = "https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/"
# InfluxData, API reference, "Write data" (POST /api/v2/write): https://docs.influxdata.com/influxdb/v2/api/#operation/PostWrite
WRITE_API_DOC = "https://docs.influxdata.com/influxdb/v2/api/#operation/PostWrite"

NOW = datetime(2024, 1, 15, 12, tzinfo=UTC)
DEVICE = {
    "device_id": "WF-ROSCOE-T01",
    "site_id": "WF-ROSCOE",
    "ts": "2024-01-15T10:00:00.250Z",
    "metrics": {"active_power_mw": 2.0, "wind_speed_ms": 7.25, "power_factor": None},
    "firmware": "1.2",
}
SEED = {"id": "WF-ROSCOE-T02", "data": 0.97, "type": "powerFactor", "date": "2024-01-15T09:59:00.000Z"}


# ---- one table for the IoT rule SQL and the line protocol -------------------------------------------------


def test_the_rule_sql_and_the_points_come_from_one_table():
    assert [f.name for f in SERIES["devices"].fields] == list(DEVICE_METRICS)
    for source, series in SERIES.items():
        sql = iot_rules.time_series_sql(source)
        for f in series.fields:
            assert f"cast({f.path} AS Decimal) AS {f.name}" in sql  # every field typed in the SQL
            assert f"cast({f.path} AS Decimal) AS {f.name}" in iot_rules.timestream_sql(source)
        assert set(iot_rules.timestream_dimensions(source)) == {t.name for t in series.tags}


def test_a_device_reading_becomes_one_typed_point_at_its_event_time():
    line = record_point(SERIES["devices"], DEVICE)
    # Tags sorted, the absent sensor left out (InfluxDB has no null), floats as floats, ms since the epoch.
    assert line == (
        "device_readings,device_id=WF-ROSCOE-T01,site_id=WF-ROSCOE active_power_mw=2.0,wind_speed_ms=7.25 1705312800250"
    )
    assert record_point(SERIES["windfarm"], SEED) == (
        "windfarm_readings,device_id=WF-ROSCOE-T02,metric=powerFactor value=0.97 1705312740000"
    )


# ---- the documented line-protocol rules ---------------------------------------------------------------------


def test_measurement_names_escape_commas_and_spaces():  # LINE_PROTOCOL_DOC, "Special characters"
    assert escape_measurement("my measurement,x=1") == "my\\ measurement\\,x=1"  # '=' needs no escape here


def test_tag_keys_values_and_field_keys_escape_commas_equals_and_spaces():  # LINE_PROTOCOL_DOC
    assert escape_key("a b,c=d") == "a\\ b\\,c\\=d"


def test_string_field_values_are_quoted_and_escape_quotes_and_backslashes():  # LINE_PROTOCOL_DOC
    assert field_value('say "hi" \\ there', "string") == '"say \\"hi\\" \\\\ there"'


def test_floats_are_plain_numbers_and_integers_carry_the_i_suffix():  # LINE_PROTOCOL_DOC, "Data types"
    assert field_value(2.0, "float") == "2.0"  # a whole-number float stays a float (2i would be an integer)
    assert field_value(1e78, "float") == "1e+78"
    assert field_value(3, "integer") == "3i"
    assert field_value(True, "boolean") == "true"
    for bad, kind in ((float("nan"), "float"), (float("inf"), "float"), (True, "float"), (2.5, "integer")):
        with pytest.raises(InvalidRecord):
            field_value(bad, kind)


def test_newlines_empty_tags_reserved_names_and_fieldless_points():  # LINE_PROTOCOL_DOC
    with pytest.raises(InvalidRecord, match="newlines"):
        escape_key("a\nb")
    from lakeingest.telemetry.line_protocol import render_point

    f = Field("v", "v", "float")
    assert render_point("m", {"t": "", "u": None, "w": "x"}, [(f, 1.5)], 5) == "m,w=x v=1.5 5"  # empty tags left out
    with pytest.raises(InvalidRecord, match="at least one field"):
        render_point("m", {}, [(f, None)], 5)
    with pytest.raises(InvalidRecord, match="reserved"):
        render_point("_m", {}, [(f, 1.0)], 5)


def test_timestamps_are_integer_milliseconds_of_the_event_time():  # precision=ms in the write request
    assert epoch_ms("1970-01-01T00:00:00.001Z") == 1
    assert epoch_ms("2024-01-15T04:00:00.999-06:00") == 1705312800999


# ---- the v2 write API, against a local stub ------------------------------------------------------------------


class _InfluxStub(http.server.BaseHTTPRequestHandler):
    """Holds requests to the documented v2 contract (WRITE_API_DOC); records what it accepted."""

    token = "write-token"
    user, password = "admin", "s3cret"
    answer = 204
    received: list[dict] = []

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path == "/api/v2/signin":
            expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            ok = self.headers.get("Authorization") == expected
            self.send_response(204 if ok else 401)
            if ok:
                self.send_header("Set-Cookie", "influxdb-oss-session=abc; Path=/api/; HttpOnly")
            self.end_headers()
            return
        authorised = (
            self.headers.get("Authorization") == f"Token {self.token}"
            or self.headers.get("Cookie") == "influxdb-oss-session=abc"
        )
        query = urllib.parse.parse_qs(url.query)
        conforms = (
            url.path == "/api/v2/write"
            and query == {"org": ["energy"], "bucket": ["telemetry"], "precision": ["ms"]}
            and self.headers.get("Content-Type", "").startswith("text/plain")
        )
        status = 401 if not authorised else (400 if not conforms else self.answer)
        if status == 204:
            type(self).received.append({"lines": body.decode().splitlines(), "headers": dict(self.headers)})
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def influx():
    _InfluxStub.received = []
    _InfluxStub.answer = 204
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _InfluxStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _writer(url: str, **secret) -> InfluxWriter:
    base = {"organization": "energy", "bucket": "telemetry"}
    return InfluxWriter(url=url, credentials=Credentials.from_secret({**base, **secret}), timeout_s=5)


def test_the_writer_follows_the_v2_write_contract_with_a_token(influx):
    _writer(influx, token="write-token").write(["m v=1.0 1", "m v=2.0 2"])
    assert _InfluxStub.received[0]["lines"] == ["m v=1.0 1", "m v=2.0 2"]


def test_the_writer_signs_in_with_the_instance_secret_when_it_has_no_token(influx):
    # The instance's secret holds organization, bucket, username and password (influx_auth_parameters_secret_arn).
    _writer(influx, username="admin", password="s3cret").write(["m v=1.0 1"])
    assert _InfluxStub.received[0]["headers"]["Cookie"] == "influxdb-oss-session=abc"
    with pytest.raises(WriteError, match="sign-in refused: HTTP 401"):
        _writer(influx, username="admin", password="wrong").write(["m v=1.0 1"])


def test_a_refused_write_is_an_error_never_a_success(influx):
    with pytest.raises(WriteError, match="HTTP 401"):
        _writer(influx, token="other").write(["m v=1.0 1"])
    _InfluxStub.answer = 503
    with pytest.raises(WriteError, match="HTTP 503"):
        _writer(influx, token="write-token").write(["m v=1.0 1"])
    with pytest.raises(ValueError, match="token or username"):
        Credentials.from_secret({"organization": "energy", "bucket": "telemetry"})


# ---- the Kinesis event: base64 records, malformed records, partial batch failures -----------------------------


class _Queue:
    def __init__(self, fail: bool = False) -> None:
        self.messages: list[dict] = []
        self.fail = fail

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict:  # noqa: N803 - boto3's parameter names
        if self.fail:
            raise RuntimeError("queue unavailable")
        self.messages.append(json.loads(MessageBody))
        return {"MessageId": str(len(self.messages))}


def _kinesis_event(payloads: list[bytes | str]) -> dict:
    def data(p: bytes | str) -> str:
        return p if isinstance(p, str) else base64.b64encode(p).decode()

    return {
        "Records": [
            {
                "eventSourceARN": "arn:aws:kinesis:us-east-1:111122223333:stream/energylake-dev-telemetry-devices",
                "eventID": f"shardId-000000000000:{i}",
                "kinesis": {"sequenceNumber": str(i), "partitionKey": "k", "data": data(p)},
            }
            for i, p in enumerate(payloads)
        ]
    }


GOOD = [json.dumps(DEVICE).encode(), json.dumps(SEED).encode()]


def test_every_record_is_written_or_sent_to_the_failure_queue_with_its_reason(influx):
    queue = _Queue()
    event = _kinesis_event([GOOD[0], b"not json", "%%%not-base64%%%", GOOD[1]])
    response, counts = process(event, _writer(influx, token="write-token"), "q", queue, now=NOW)
    assert response == {"batchItemFailures": []}
    assert counts == {"records": 4, "written": 2, "malformed": 2, "failed": 0}
    assert [line.split(" ")[0].split(",")[0] for line in _InfluxStub.received[0]["lines"]] == [
        "device_readings",
        "windfarm_readings",
    ]
    assert [(m["sequenceNumber"], m["reason"].split(":")[0]) for m in queue.messages] == [
        ("1", "not valid UTF-8 JSON"),
        ("2", "record data is not base64"),
    ]
    assert base64.b64decode(queue.messages[0]["data"]) == b"not json"  # the record itself travels with its reason


def test_points_the_write_api_refuses_are_batch_item_failures(influx):
    _InfluxStub.answer = 503
    response, counts = process(_kinesis_event(GOOD), _writer(influx, token="write-token"), "q", _Queue(), now=NOW)
    assert response == {"batchItemFailures": [{"itemIdentifier": "0"}, {"itemIdentifier": "1"}]}
    assert counts["failed"] == 2 and counts["written"] == 0


def test_only_the_refused_chunk_is_retried(influx, monkeypatch):
    writer = _writer(influx, token="write-token")
    calls = {"n": 0}
    real = writer.write

    def second_fails(lines):
        calls["n"] += 1
        if calls["n"] == 2:
            raise WriteError("write refused: HTTP 500")
        real(lines)

    monkeypatch.setattr(writer, "write", second_fails)
    response, _ = process(_kinesis_event(GOOD * 2), writer, "q", _Queue(), batch_lines=2, now=NOW)
    assert response == {"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]}


def test_a_malformed_record_the_queue_cannot_take_stays_in_the_batch(influx):
    response, counts = process(
        _kinesis_event([b"{}", GOOD[0]]), _writer(influx, token="write-token"), "q", _Queue(fail=True), now=NOW
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "0"}]}
    assert counts == {"records": 2, "written": 1, "malformed": 1, "failed": 1}


def test_the_handler_reads_its_configuration_and_the_instance_secret(influx, monkeypatch):
    monkeypatch.setenv("INFLUXDB_URL", influx)
    monkeypatch.setenv("INFLUXDB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:111122223333:secret:influx")
    monkeypatch.setenv("FAILURE_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/111122223333/failures")
    secret = {"organization": "energy", "bucket": "telemetry", "username": "admin", "password": "s3cret"}
    monkeypatch.setattr(influx_writer, "load_credentials", lambda arn: Credentials.from_secret(secret))

    class _Boto:
        @staticmethod
        def client(name):
            assert name == "sqs"
            return _Queue()

    monkeypatch.setitem(__import__("sys").modules, "boto3", _Boto)
    fresh = dict(DEVICE, ts=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    assert influx_writer.handler(_kinesis_event([json.dumps(fresh).encode()])) == {"batchItemFailures": []}
    assert len(_InfluxStub.received) == 1
