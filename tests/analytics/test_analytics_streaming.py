"""The Flink SQL job on a bounded fixture equals an independent model of the same windows and lateness."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.streaming import flink_python, run_bounded
from analytics.streaming.app import load_properties
from analytics.streaming.config import (
    SINKS,
    filesystem_connectors,
    kinesis_connectors,
    load_rules,
    render_statements,
)
from analytics.streaming.fixtures import generate_stream_pair, generate_telemetry, write_stream_pair, write_telemetry

from . import analytics_streaming_reference as streaming_reference

KEYS = {
    "device_aggregates": ["window_start", "device_id", "metric"],
    "site_aggregates": ["window_start", "site_id", "metric"],
    "telemetry_alerts": ["window_start", "device_id", "alert_type"],
    "late_readings": ["device_id", "metric", "event_ts"],
}


def _frame(path: Path) -> pd.DataFrame:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    frame = pd.DataFrame(rows)
    for col in ("window_start", "window_end", "event_ts", "watermark_ts"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def _same(flink: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> None:
    assert len(flink) == len(ref) > 0
    cols = sorted(ref.columns)
    left = flink[cols].sort_values(keys).reset_index(drop=True)
    right = ref[cols].sort_values(keys).reset_index(drop=True)
    for col in cols:
        if pd.api.types.is_float_dtype(right[col]):
            assert left[col].tolist() == pytest.approx(right[col].tolist(), rel=1e-9), col
        else:
            assert left[col].astype(str).tolist() == right[col].astype(str).tolist(), col


@pytest.fixture(scope="module")
def flink_run(tmp_path_factory):
    """One bounded run of the real Flink job (PyFlink 1.20 from .venv-flink) on the generated fixture."""
    if flink_python() is None:
        pytest.skip("PyFlink not installed: `make setup` creates .venv-flink")
    base = tmp_path_factory.mktemp("flink")
    source = write_telemetry(base / "telemetry.jsonl", seed=7)
    outputs = run_bounded(source, base / "out")
    rules = load_rules()
    ref = streaming_reference.compute(source.read_text().splitlines(), rules.allowed_lateness_seconds, rules.telemetry)
    return {name: _frame(path) for name, path in outputs.items()}, ref, source


def test_fixture_exercises_lateness_on_both_sides(flink_run):
    _, ref, _ = flink_run
    assert ref.out_of_order_counted > 0, "no reading arrived behind the watermark but inside the allowed lateness"
    assert len(ref.late) > 0, "no reading arrived beyond the allowed lateness"
    assert len(ref.rejected) >= 5


@pytest.mark.parametrize("sink", ["device_aggregates", "site_aggregates", "telemetry_alerts", "late_readings"])
def test_flink_output_equals_reference(flink_run, sink):
    flink, ref, _ = flink_run
    expected = {
        "device_aggregates": ref.device_aggregates,
        "site_aggregates": ref.site_aggregates,
        "telemetry_alerts": ref.alerts,
        "late_readings": ref.late,
    }[sink]
    _same(flink[sink].drop(columns=["reason"], errors="ignore"), expected, KEYS[sink])


def test_alerts_cover_every_rule(flink_run):
    flink, _, _ = flink_run
    assert set(flink["telemetry_alerts"]["alert_type"]) == {
        "battery_over_temperature",
        "hydraulic_pressure_out_of_band",
        "power_factor_drop",
    }


def test_no_record_is_lost(flink_run):
    """records in = accepted + rejected; readings of accepted records = counted in windows + reported late."""
    flink, ref, source = flink_run
    lines = source.read_text().splitlines()
    rejected = flink["rejected_records"]
    assert sorted(rejected["payload"]) == sorted(ref.rejected["payload"])
    assert dict(zip(rejected["payload"], rejected["reason"], strict=True)) == dict(
        zip(ref.rejected["payload"], ref.rejected["reason"], strict=True)
    )
    assert len(lines) == ref.accepted_records + len(rejected)
    counted = int(flink["device_aggregates"]["reading_count"].sum())
    assert counted == int(flink["site_aggregates"]["reading_count"].sum())
    assert counted + len(flink["late_readings"]) == int(ref.device_aggregates["reading_count"].sum()) + len(ref.late)


def test_sql_renders_identically_for_local_and_kinesis():
    """Only connector options differ between the bounded run and the deployed job."""
    local = render_statements(filesystem_connectors("/in", "/out"))
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/"
    deployed = render_statements(kinesis_connectors("us-east-1", arn + "in", arn + "agg", arn + "alerts", arn + "err"))
    assert len(local) == len(deployed) == 1 + 1 + 3 + len(SINKS) + len(SINKS)
    assert all("${" not in s for s in local + deployed)

    def strip(statement: str) -> str:
        return " ".join(statement.replace("PARTITIONED BY (site_id)", "").split("WITH (")[0].split())

    assert [strip(s) for s in local] == [strip(s) for s in deployed]
    assert any("'connector' = 'kinesis'" in s and "'format' = 'raw'" in s for s in deployed)


def test_rules_are_validated(tmp_path):
    bad = tmp_path / "rules.yaml"
    # Alert thresholds are the telemetry rules' healthy bands now: a second copy here is refused, naming both files.
    bad.write_text("window_minutes: 1\nallowed_lateness_seconds: 30\nthresholds: {battery_max_c: 45}\n")
    with pytest.raises(ValueError, match=r"rules\.yaml: thresholds are no longer set here.*telemetry_rules\.yaml"):
        load_rules(bad)
    bad.write_text("window_minutes: 5\nallowed_lateness_seconds: 30\n")
    with pytest.raises(ValueError, match=r"rules\.yaml: window_minutes must be 1"):
        load_rules(bad)


def test_fixture_is_deterministic():
    assert generate_telemetry(seed=3) == generate_telemetry(seed=3)
    assert generate_telemetry(seed=3) != generate_telemetry(seed=4)


# ---- both telemetry streams (devices: device format, windfarm: seed format), one source table each -----------


@pytest.fixture(scope="module")
def two_stream_run(tmp_path_factory):
    """The real job reading two bounded sources at once, as it reads both Kinesis streams in AWS."""
    if flink_python() is None:
        pytest.skip("PyFlink not installed: `make setup` creates .venv-flink")
    base = tmp_path_factory.mktemp("flink2")
    paths = write_stream_pair(base / "in", seed=11)
    outputs = run_bounded(paths, base / "out")
    rules = load_rules()
    streams = {name: path.read_text().splitlines() for name, path in paths.items()}
    per_stream = {
        name: streaming_reference.compute(lines, rules.allowed_lateness_seconds, rules.telemetry)
        for name, lines in streams.items()
    }
    # No reading is late within its own stream (checked below), and the union's watermark is the minimum over
    # the streams, so the expected output is every accepted reading of both streams in its window.
    everything = streams["devices"] + streams["windfarm"]
    ref = streaming_reference.compute(everything, 10**9, rules.telemetry)
    return {name: _frame(path) for name, path in outputs.items()}, ref, per_stream, streams


def test_stream_pair_fixture_is_mixed_and_late_only_within_the_lateness(two_stream_run):
    _, ref, per_stream, streams = two_stream_run
    assert not any('"metrics"' in line for line in streams["windfarm"])  # seed format only
    assert not any('"type"' in line or '"date"' in line for line in streams["devices"])  # device format only
    for name, result in per_stream.items():
        assert result.late.empty, f"{name}: a reading is late within its own stream"
        assert result.out_of_order_counted > 0, f"{name}: nothing arrived behind the watermark"
    assert len(ref.rejected) == 4
    assert generate_stream_pair(seed=11) == generate_stream_pair(seed=11) != generate_stream_pair(seed=12)


@pytest.mark.parametrize("sink", ["device_aggregates", "site_aggregates", "telemetry_alerts"])
def test_two_stream_output_equals_reference(two_stream_run, sink):
    flink, ref, _, _ = two_stream_run
    expected = {
        "device_aggregates": ref.device_aggregates,
        "site_aggregates": ref.site_aggregates,
        "telemetry_alerts": ref.alerts,
    }[sink]
    _same(flink[sink], expected, KEYS[sink])


def test_seed_format_stream_reaches_the_alerts_and_shares_windows(two_stream_run):
    """Power factor, battery temperature and hydraulic pressure from the wind-farm stream raise alerts, and a
    device on both streams gets one window with the readings of both."""
    flink = two_stream_run[0]
    alerts = flink["telemetry_alerts"]
    assert set(alerts[alerts.device_id.str.startswith("WF-ROSCOE")].alert_type) == {
        "battery_over_temperature",
        "power_factor_drop",
        "hydraulic_pressure_out_of_band",
    }
    assert "WF-PAPALOTE-T01" in set(alerts[alerts.alert_type == "hydraulic_pressure_out_of_band"].device_id)
    agg = flink["device_aggregates"]
    both = agg[(agg.device_id == "WF-ROSCOE-T01") & (agg.metric == "battery_temperature")]
    seed_per_window = 6  # one temperature reading per 10 s on the wind-farm stream
    assert (both.reading_count > seed_per_window).all()  # plus the device-format readings of the same minute


def test_two_streams_lose_no_record(two_stream_run):
    """records in (both streams) = accepted + rejected; every accepted reading is counted, none is late."""
    flink, ref, _, streams = two_stream_run
    rejected = flink["rejected_records"]
    assert sorted(rejected["payload"]) == sorted(ref.rejected["payload"])
    assert len(streams["devices"]) + len(streams["windfarm"]) == ref.accepted_records + len(rejected)
    assert flink["late_readings"].empty
    counted = int(flink["device_aggregates"]["reading_count"].sum())
    assert counted == int(flink["site_aggregates"]["reading_count"].sum())
    assert counted == int(ref.device_aggregates["reading_count"].sum())


def test_kinesis_job_reads_every_stream_through_one_union_view(tmp_path):
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/"
    inputs = {"devices": arn + "lake-dev-telemetry-devices", "windfarm": arn + "lake-dev-telemetry-windfarm"}
    deployed = render_statements(kinesis_connectors("us-east-1", inputs, arn + "agg", arn + "alerts", arn + "err"))
    tables = [s for s in deployed if s.startswith("CREATE TABLE telemetry_raw_")]
    assert [t.split("(")[0].split()[-1] for t in tables] == ["telemetry_raw_devices", "telemetry_raw_windfarm"]
    assert all(f"'stream.arn' = '{inputs[n]}'" in t for n, t in zip(inputs, tables, strict=True))
    (view,) = [s for s in deployed if s.startswith("CREATE TEMPORARY VIEW telemetry_raw ")]
    assert view.count("UNION ALL") == 1 and "FROM telemetry_raw_windfarm" in view
    props = tmp_path / "application_properties.json"
    group = {
        "aws.region": "us-east-1",
        "input.devices.stream.arn": inputs["devices"],
        "input.windfarm.stream.arn": inputs["windfarm"],
        "aggregates.stream.arn": arn + "agg",
        "alerts.stream.arn": arn + "alerts",
        "errors.stream.arn": arn + "err",
    }
    props.write_text(json.dumps([{"PropertyGroupId": "StreamingJob", "PropertyMap": group}]))
    from analytics.streaming.app import input_streams

    assert input_streams(load_properties(props)) == inputs
    props.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "StreamingJob",
                    "PropertyMap": {**group, "input.devices.stream.arn": "", "input.windfarm.stream.arn": ""},
                }
            ]
        )
    )
    with pytest.raises(ValueError, match=r"input\.<name>\.stream\.arn"):
        load_properties(props)


def test_application_zip_ships_the_generated_telemetry_rules(tmp_path):
    """The deployed job renders its SQL from telemetry_rules.json, so the zip must carry it."""
    import zipfile

    from analytics.streaming.package import build_zip

    names = zipfile.ZipFile(build_zip(tmp_path / "app.zip", [])).namelist()
    assert {"analytics/streaming/telemetry_rules.json", "analytics/streaming/rules.yaml"} <= set(names)
