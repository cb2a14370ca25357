"""One test per Glue job through the local runner, against the embedded emulator."""

from __future__ import annotations

import pytest

from lakectl import runner
from tests.glue import fixtures
from tests.glue.conftest import put, read_catalog_table


def _accounted(m) -> None:
    assert m.status == "succeeded"
    assert m.balanced, m.to_dict()
    assert m.rows_read == m.rows_written + m.rows_quarantined + m.rows_deduplicated


def test_telemetry_job_quarantines_dedups_and_is_idempotent(lake, s3):
    raw = lake["raw"]
    put(s3, raw, "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    put(s3, raw, "telemetry/devices/2024/07/15/10/dev-1.json", "\n".join(fixtures.device_telemetry_lines()))
    m = runner.run_job("telemetry_to_transform")
    _accounted(m)
    # 12 + 1 dup + 4 bad seed readings; 9 + 2 device readings (one unknown key)
    assert m.rows_read == 17 + 11
    assert m.rows_deduplicated == 1
    assert m.rows_quarantined == 5
    out = read_catalog_table(s3, "energy_transform", "telemetry_readings")
    assert len(out) == m.rows_written == 22
    assert not out.duplicated(["device_id", "metric", "event_ts"]).any()
    pressure = out[out.metric == "hydraulic_pressure"].value
    assert pressure.between(199, 201).all()  # psi converted to bar
    q = read_catalog_table(s3, "energy_quarantine", "quarantine_records")
    assert len(q) == 5
    assert {r.split(":")[0] for r in q.reason} >= {
        "malformed_json",
        "invalid_type",
        "out_of_range",
        "unknown_columns",
        "unknown_metric",
    }

    # Bookmark: nothing new; output unchanged.
    again = runner.run_job("telemetry_to_transform")
    assert again.rows_read == 0 and again.input_objects == 0
    assert len(read_catalog_table(s3, "energy_transform", "telemetry_readings")) == 22


@pytest.mark.parametrize("reset_bookmark", [True])
def test_rerun_without_bookmark_gives_same_output(lake, s3, reset_bookmark):
    raw = lake["raw"]
    put(s3, raw, "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(fixtures.seed_telemetry_lines()))
    runner.run_job("telemetry_to_transform")
    first = read_catalog_table(s3, "energy_transform", "telemetry_readings").sort_values(
        ["device_id", "metric", "event_ts"]
    )
    s3.delete_object(Bucket=lake["artifacts"], Key="state/bookmarks/telemetry_to_transform.json")
    m = runner.run_job("telemetry_to_transform")
    _accounted(m)
    second = read_catalog_table(s3, "energy_transform", "telemetry_readings").sort_values(
        ["device_id", "metric", "event_ts"]
    )
    assert first.reset_index(drop=True).equals(second.reset_index(drop=True))
    assert len(read_catalog_table(s3, "energy_quarantine", "quarantine_records")) == 4
