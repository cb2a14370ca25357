"""Partner meter readings: API validation (local API Gateway equivalent) → emulator Kinesis → writer Lambda."""

from __future__ import annotations

import json

import pytest

from lakectl.ingest import kinesis_event_record
from lakeingest.partner import api, writer
from lakeingest.simulators.kinesis import ensure_stream

from .ingest_helpers import RAW, keys

STREAM = "energylake-local-partner-readings"
READING = {
    "reading_id": "LSR-000123",
    "partner_id": "LONESTAR_RETAIL",
    "meter_id": "MTR-WF-ROSCOE-01",
    "site_id": "WF-ROSCOE",
    "reading_ts": "2024-01-15T10:15:00-06:00",
    "interval_minutes": 15,
    "energy_kwh": 48211.5,
}


@pytest.fixture
def partner(lake, kinesis, monkeypatch):
    ensure_stream(kinesis, STREAM)
    monkeypatch.setenv("PARTNER_STREAM_NAME", STREAM)
    monkeypatch.setenv("PARTNER_API_KEYS", "key-a,key-b")
    monkeypatch.setenv("RAW_BUCKET", RAW)
    return kinesis


def _call(body, key="key-b", **extra):
    event = {"httpMethod": "POST", "path": "/readings", "headers": {"X-Api-Key": key} if key else {}, **extra}
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    response = api.handle(event)
    return response["statusCode"], json.loads(response["body"])


def _stream_records(kinesis):
    shard = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"]


def test_valid_reading_is_accepted_and_written_once_per_reading(partner, lake):
    status, body = _call(READING)
    assert status == 202 and body["reading_id"] == "LSR-000123" and body["sequence_number"]
    records = _stream_records(partner)
    assert len(records) == 1 and records[0]["PartitionKey"] == "MTR-WF-ROSCOE-01"
    event = {"Records": [kinesis_event_record(r, STREAM) for r in records]}
    assert writer.handler(event) == {"written": 1, "skipped": 0, "replaced": 0, "invalid": 0}
    assert keys(lake, RAW, "partner/") == ["partner/2024/01/15/161500-LSR-000123.json"]  # 10:15 CST = 16:15 UTC
    assert (
        json.loads(lake.get_object(Bucket=RAW, Key="partner/2024/01/15/161500-LSR-000123.json")["Body"].read())
        == READING
    )
    assert writer.handler(event)["skipped"] == 1  # redelivered batch: same key, same bytes


@pytest.mark.parametrize(
    ("body", "key", "status", "message"),
    [
        (READING, None, 403, "x-api-key"),
        (READING, "stolen", 403, "x-api-key"),
        ({**READING, "notes": "x" * 9000}, "key-a", 413, "limit is 8192"),
        ("{not json", "key-a", 400, "not JSON"),
        ({**READING, "energy_kwh": -1}, "key-a", 400, "energy_kwh: -1 is less than the minimum of 0"),
        ({**READING, "interval_minutes": 7}, "key-a", 400, "interval_minutes: 7 is not one of"),
        ({k: v for k, v in READING.items() if k != "meter_id"}, "key-a", 400, "'meter_id' is a required property"),
        ({**READING, "reading_ts": "15/01/2024"}, "key-a", 400, "reading_ts: '15/01/2024' does not match"),
        ({**READING, "owner": "x"}, "key-a", 400, "Additional properties are not allowed"),
    ],
)
def test_rejected_requests_never_reach_the_stream(partner, body, key, status, message):
    got_status, got = _call(body, key)
    assert got_status == status
    assert message in json.dumps(got)
    assert _stream_records(partner) == []


def test_writer_quarantines_a_record_that_bypassed_validation(partner, lake):
    partner.put_record(StreamName=STREAM, Data=json.dumps({**READING, "energy_kwh": "lots"}).encode(), PartitionKey="m")
    partner.put_record(StreamName=STREAM, Data=json.dumps(READING).encode(), PartitionKey="m")
    event = {"Records": [kinesis_event_record(r, STREAM) for r in _stream_records(partner)]}
    assert writer.handler(event) == {"written": 1, "skipped": 0, "replaced": 0, "invalid": 1}
    errors = keys(lake, RAW, "errors/partner/invalid/")
    assert len(errors) == 1
    doc = json.loads(lake.get_object(Bucket=RAW, Key=errors[0])["Body"].read())
    assert "energy_kwh: 'lots' is not of type 'number'" in doc["reason"]


def test_openapi_document_uses_the_same_schema_as_the_validator():
    from importlib import resources

    spec = json.loads(resources.files("lakeingest.partner").joinpath("openapi.json").read_text())
    model = spec["components"]["schemas"]["PartnerMeterReading"]
    assert model == {k: v for k, v in api.schema().items() if k != "$schema"}
    assert spec["components"]["securitySchemes"]["api_key"]["name"] == "x-api-key"
