"""Absent sensors: the simulators' telemetry through the transform Lambda's normalisation and the telemetry job.

What ``make demo`` does at small size: every produced record the transformation Lambda accepts lands in raw
(under the Firehose layout), the telemetry job reads it. Only deliberately corrupted records may reach the
quarantine; nulls for sensors a device's type does not have are counted as not_reported, and the row balance
holds with that term.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from energylake.contracts import get_contract
from energylake.telemetry import DEVICE_KEY_METRICS, site_device_types
from lakectl import runner
from lakectl.settings import REPO_ROOT
from lakeingest.common.sites import parse_sites
from lakeingest.simulators import producers
from lakeingest.telemetry import layout, records
from tests.glue.conftest import put, read_catalog_table

SITES = parse_sites((REPO_ROOT / "glue/lib/energylake/reference/sites.csv").read_text())
START = datetime(2024, 7, 15, 9, 0, tzinfo=UTC)


def _land(s3, raw: str, source: str, produced: list[producers.Produced]) -> list[dict]:
    """Normalise like the transformation Lambda and land what it accepts; return the accepted records."""
    accepted, by_prefix = [], {}
    for p in produced:
        try:
            _, record = records.normalise(p.data)
        except records.InvalidRecord:
            continue  # the Lambda's ProcessingFailed: errors/ in raw, never read by the job
        accepted.append(record)
        by_prefix.setdefault(layout.object_prefix(source, record), []).append(records.to_line(record))
    for prefix, lines in by_prefix.items():
        put(s3, raw, f"{prefix}{source}-sim.json", b"".join(lines).decode())
    return accepted


def _absent_sensor_nulls(accepted: list[dict]) -> int:
    """Nulls for metrics the device's type has no sensor for, counted independently of the job."""
    sensors = get_contract("telemetry_readings").device_sensors
    kinds = site_device_types()
    return sum(
        value is None and DEVICE_KEY_METRICS[key] not in sensors[kinds[doc["site_id"]]]
        for doc in accepted
        for key, value in doc["metrics"].items()
    )


def test_only_deliberately_corrupted_readings_are_quarantined_and_absent_sensors_balance(lake, s3):
    raw = lake["raw"]
    devices = list(producers.device_records(SITES, start=START, steps=4, bad_every=7, sensor_fault_every=5))
    windfarm = list(producers.windfarm_records(SITES, start=START, steps=4, bad_every=11))
    faults = {
        (json.loads(p.data)["device_id"], json.loads(p.data)["ts"], p.sensor_fault) for p in devices if p.sensor_fault
    }
    accepted = _land(s3, raw, "devices", devices)
    _land(s3, raw, "windfarm", windfarm)
    absent = _absent_sensor_nulls(accepted)
    assert absent > 0 and faults  # solar devices lack rotor and hydraulic sensors, wind devices lack irradiance

    m = runner.run_job("telemetry_to_transform")
    assert m.status == "succeeded" and m.balanced, m.to_dict()
    assert m.rows_not_reported == absent
    assert m.rows_read == m.rows_written + m.rows_quarantined + m.rows_deduplicated + m.rows_not_reported
    # The quarantine holds exactly the injected sensor faults (the malformed records never pass the Lambda).
    assert m.rows_quarantined == len(faults)
    q = read_catalog_table(s3, "energy_quarantine", "quarantine_records")
    assert set(q["dataset"]) == {"telemetry_readings"} and set(q["reason"]) == {"missing_required:value"}
    quarantined = set()
    for raw_record in q["raw_record"]:
        line, key = raw_record.rsplit(" #", 1)
        doc = json.loads(line)
        quarantined.add((doc["device_id"], doc["ts"].replace(".000Z", "Z"), key))
    assert quarantined == {(d, ts.replace(".000Z", "Z"), k) for d, ts, k in faults}


def test_a_null_for_a_sensor_the_device_has_stays_quarantined(lake, s3):
    line = {
        "device_id": "SF-TAYGETE-T01",
        "site_id": "SF-TAYGETE",
        "ts": "2024-07-15T10:00:00.000Z",
        # A solar inverter measures irradiance (null here: bad data) and has no rotor (null: not reported).
        "metrics": {"active_power_mw": 1.0, "irradiance_wm2": None, "rotor_speed_rpm": None},
    }
    put(s3, lake["raw"], "telemetry/devices/2024/07/15/10/one.json", json.dumps(line))
    m = runner.run_job("telemetry_to_transform")
    assert m.balanced and (m.rows_written, m.rows_quarantined, m.rows_not_reported) == (1, 1, 1)
    q = read_catalog_table(s3, "energy_quarantine", "quarantine_records")
    assert list(q["reason"]) == ["missing_required:value"] and q["raw_record"][0].endswith(" #irradiance_wm2")
