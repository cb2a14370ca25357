"""Firehose transformation Lambda: the data-transformation contract, normalisation and failure reasons."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from lakeingest.telemetry import transform
from lakeingest.telemetry.records import DEVICE_METRICS, InvalidRecord, normalise

from .ingest_helpers import RAW, keys

NOW = datetime(2024, 1, 15, 12, tzinfo=UTC)


def _event(payloads: list[bytes], stream: str = "energylake-local-firehose-windfarm") -> dict:
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{stream}",
        "region": "us-east-1",
        "records": [
            {"recordId": f"r{i}", "approximateArrivalTimestamp": 1705320000000, "data": base64.b64encode(p).decode()}
            for i, p in enumerate(payloads)
        ],
    }


def test_seed_record_is_normalised():
    source, rec = normalise(
        b'{"id": " wf-roscoe-t01 ", "data": "0.97", "type": "power_factor", "date": "2024-01-15T04:00:00-06:00"}', NOW
    )
    assert source == "windfarm"
    assert rec == {"id": "WF-ROSCOE-T01", "data": 0.97, "type": "powerFactor", "date": "2024-01-15T10:00:00.000Z"}


def test_device_record_is_normalised_with_every_metric_key():
    raw = {
        "device_id": "SF-TAYGETE-T02",
        "site_id": "SF-TAYGETE",
        "ts": "2024-01-15T10:05:00Z",
        "metrics": {"irradiance_wm2": 640, "active_power_mw": 1.92},
        "firmware": "4.2.1",
    }
    source, rec = normalise(json.dumps(raw).encode(), NOW)
    assert source == "devices"
    assert rec["metrics"]["irradiance_wm2"] == 640.0 and rec["metrics"]["rotor_speed_rpm"] is None
    assert set(rec["metrics"]) == set(DEVICE_METRICS)
    assert rec["ts"] == "2024-01-15T10:05:00.000Z"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"id": "WF-ROSCOE-T01", "data": 0.9', "not valid UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"id": "WF-ROSCOE-T01", "data": 0.9, "type": "vibration", "date": "2024-01-15T10:00:00Z"}', "vibration"),
        (b'{"id": "turbine-7", "data": 0.9, "type": "temperature", "date": "2024-01-15T10:00:00Z"}', "<site_id>-T<nn>"),
        (b'{"id": "WF-ROSCOE-T01", "data": true, "type": "temperature", "date": "2024-01-15T10:00:00Z"}', "boolean"),
        (b'{"id": "WF-ROSCOE-T01", "data": "NaN", "type": "temperature", "date": "2024-01-15T10:00:00Z"}', "finite"),
        (b'{"id": "WF-ROSCOE-T01", "data": 1, "type": "temperature", "date": "15/01/2024 10:00"}', "ISO-8601"),
        (b'{"id": "WF-ROSCOE-T01", "data": 1, "type": "temperature", "date": "1999-12-31T23:00:00Z"}', "before 2000"),
        (b'{"id": "WF-ROSCOE-T01", "data": 1, "type": "temperature", "date": "2024-01-16T10:00:00Z"}', "future"),
        (b'{"id": "WF-ROSCOE-T01", "data": 1, "type": "temperature"}', "missing fields ['date']"),
        (
            b'{"device_id": "WF-ROSCOE-T01", "site_id": "WF-PAPALOTE", "ts": "2024-01-15T10:00:00Z", "metrics": {}}',
            "does not belong",
        ),
        (
            b'{"device_id": "WF-ROSCOE-T01", "site_id": "WF-ROSCOE", "ts": "2024-01-15T10:00:00Z", '
            b'"metrics": {"gearbox_vibration_mm_s": 3}}',
            "unknown metrics",
        ),
        (
            b'{"device_id": "WF-ROSCOE-T01", "site_id": "WF-ROSCOE", "ts": "2024-01-15T10:00:00Z", '
            b'"metrics": {"power_factor": null}}',
            "every metric is null",
        ),
        (b'{"meter": 1}', "neither the seed nor the device format"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(payload, reason):
    with pytest.raises(InvalidRecord, match=reason.replace("[", r"\[").replace("]", r"\]")):
        normalise(payload, NOW)


def test_contract_every_record_returned_bad_ones_processing_failed_never_dropped(aws, s3, monkeypatch):
    s3.create_bucket(Bucket=RAW)
    monkeypatch.setenv("ERROR_REASONS_BUCKET", RAW)
    good = b'{"id": "WF-ROSCOE-T01", "data": 183.2, "type": "hydraulicPressure", "date": "2024-01-15T10:00:00Z"}'
    device = json.dumps(
        {
            "device_id": "WF-ROSCOE-T01",
            "site_id": "WF-ROSCOE",
            "ts": "2024-01-15T10:00:00Z",
            "metrics": {"wind_speed_ms": 7},
        }
    ).encode()
    event = _event([good, b"not json", device, good])
    event["records"].append({"recordId": "r4", "approximateArrivalTimestamp": 0, "data": "%%%not-base64"})
    out = transform.handler(event)["records"]
    assert [r["recordId"] for r in out] == ["r0", "r1", "r2", "r3", "r4"]
    assert [r["result"] for r in out] == ["Ok", "ProcessingFailed", "ProcessingFailed", "Ok", "ProcessingFailed"]
    line = base64.b64decode(out[0]["data"])
    assert line.endswith(b"\n") and json.loads(line)["type"] == "hydraulicPressure"
    assert "devices record on the windfarm stream" in json.loads(base64.b64decode(out[2]["data"]))["reason"]
    reason_keys = keys(s3, RAW, "errors/windfarm/processing-failed-reasons/")
    assert len(reason_keys) == 1 and reason_keys[0].endswith("/inv-1.json")
    reasons = json.loads(s3.get_object(Bucket=RAW, Key=reason_keys[0])["Body"].read())
    assert [r["recordId"] for r in reasons["records"]] == ["r1", "r2", "r4"]
    assert all(r["reason"] for r in reasons["records"])
