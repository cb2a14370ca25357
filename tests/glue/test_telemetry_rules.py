"""The telemetry rules file: validated once, compiled into every consumer, and one edit reaches them all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from energylake import telemetry_rules as tr

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "glue/lib/energylake/reference/telemetry_rules.yaml"


def test_generated_files_are_up_to_date():
    """`python -m energylake.telemetry_rules --check`: every generated file equals what the rules render."""
    assert tr.main(["--check", "--root", str(REPO)]) == 0, "run: python -m energylake.telemetry_rules --write"


def test_check_fails_on_a_stale_file(tmp_path):
    root = _copy(tmp_path)
    table = root / "lambda/lakeingest/telemetry/telemetry_rules.json"
    table.write_text(table.read_text().replace('"healthy": [\n        120.0', '"healthy": [\n        121.0'))
    assert tr.main(["--check", "--root", str(root)]) == 1
    assert tr.main(["--write", "--root", str(root)]) == 0
    assert tr.main(["--check", "--root", str(root)]) == 0


def test_the_packaged_rules_are_the_repository_file():
    assert tr.telemetry_rules() == tr.load_rules(RULES)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("    unit: bar\n", "    unit: pascal\n", r"metrics\.hydraulic_pressure\.unit: unknown unit 'pascal'"),
        ("healthy: [120, 210]", "healthy: [210, 120]", r"metrics\.hydraulic_pressure\.healthy: min 210 > max 120"),
        ("valid: [0, 400]", "valid: [400, 0]", r"metrics\.hydraulic_pressure\.valid: min 400 > max 0"),
        ("healthy: [120, 210]", "healthy: [120, 500]", r"metrics\.hydraulic_pressure\.healthy: .* not inside valid"),
        (
            "hydraulic_pressure_psi: psi",
            "hydraulic_pressure_psi: psx",
            r"device_keys\.hydraulic_pressure_psi: unknown unit",
        ),
        (
            "solar: [active_power,",
            "solar: [blade_pitch, active_power,",
            r"device_types\.solar: names unknown metrics \['blade_pitch'\]",
        ),
        ("bar: {bar: [1, 0],", "bar: {bar: [0, 0],", r"units\.bar\.bar: scale must not be 0"),
        ("severity: warning", "severity: loud", r"metrics\.power_factor\.alert\.severity"),
        ("seed_type: temperature", "seed_type: powerFactor", r"'powerFactor' already names power_factor"),
    ],
)
def test_a_bad_rules_file_fails_naming_file_and_field(tmp_path, old, new, error):
    text = RULES.read_text()
    assert old in text
    bad = tmp_path / "telemetry_rules.yaml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(tr.TelemetryRulesError, match=rf"^{bad}: .*{error}"):
        tr.load_rules(bad)


def test_glue_converts_with_the_rules_table():
    from energylake.units import CANONICAL_UNITS, CONVERSIONS

    rules = tr.telemetry_rules()
    assert {m.name: m.unit for m in rules.metrics.values()} == CANONICAL_UNITS
    assert CONVERSIONS[("psi", "bar")] == rules.conversion("PSI", "bar") == (0.0689475729, 0.0)
    assert CONVERSIONS[("%", "ratio")] != CONVERSIONS[("%", "%")]  # percent means ratio*100 for power factor only


def test_lambda_normalises_as_the_lake_does():
    """The Lambda converts device keys and seed units with the same (scale, offset) the Glue library uses."""
    from lakeingest.telemetry.records import normalise

    rules = tr.telemetry_rules()
    device = {
        "device_id": "WF-ROSCOE-T01",
        "site_id": "WF-ROSCOE",
        "ts": "2024-01-15T10:00:00Z",
        "metrics": {"active_power_kw": 1500, "battery_temperature_f": 212, "wind_speed_kmh": 36},
    }
    _, out = normalise(json.dumps(device).encode())
    scale, offset = rules.conversion("°F", "degC")
    assert out["metrics"]["battery_temperature_c"] == 212 * scale + offset == pytest.approx(100.0)
    assert out["metrics"]["active_power_mw"] == pytest.approx(1.5)
    assert out["metrics"]["wind_speed_ms"] == pytest.approx(10.0)
    device["metrics"]["active_power_mw"] = 1.4
    with pytest.raises(ValueError, match=r"both give active_power"):
        normalise(json.dumps(device).encode())
    seed = {
        "id": "WF-ROSCOE-T02",
        "data": 2900,
        "type": "hydraulic_pressure",
        "unit": "psi",
        "date": "2024-01-15T10:00:00Z",
    }
    _, out = normalise(json.dumps(seed).encode())
    assert (out["type"], out["unit"]) == ("hydraulicPressure", "bar")
    assert out["data"] == pytest.approx(2900 * 0.0689475729)
    seed["unit"] = "atm"
    with pytest.raises(ValueError, match=r"unknown_unit:atm for hydraulic_pressure"):
        normalise(json.dumps(seed).encode())


# ---- one edit of the rules file reaches every consumer ---------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    """The files the rules are compiled into and the consumers that read them, in a scratch repository."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("glue/lib/energylake", "lambda/lakeingest", "analytics/streaming"):
        shutil.copytree(REPO / part, root / part, ignore=ignore)
    shutil.copy(REPO / "analytics/__init__.py", root / "analytics/__init__.py")
    return root


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter importing the scratch copy's packages (not the repository's)."""
    paths = [root / "glue/lib", root / "lambda", root]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, check=False)


# Prints what each consumer sees, as JSON: the Glue library, the Lambda, the Flink job's config and SQL.
SEEN = r"""
import json, sys
import energylake, lakeingest, analytics
from energylake.contracts import get_contract
from energylake.telemetry import DEVICE_METRIC_KEYS, OPERATING_BANDS, SEED_TYPES
from energylake.units import CANONICAL_UNITS
from lakeingest.telemetry.iot_rules import time_series_sql
from lakeingest.telemetry.records import normalise
from lakeingest.telemetry.rules import rules as lambda_rules
from analytics.streaming.config import filesystem_connectors, load_rules, render_statements

root = sys.argv[1]
assert all(m.__file__.startswith(root) for m in (energylake, lakeingest, analytics)), "imported the wrong copy"
contract = get_contract("telemetry_readings")
device = json.loads(sys.argv[2]) if len(sys.argv) > 2 else None
print(json.dumps({
    "glue_bands": OPERATING_BANDS,
    "glue_units": CANONICAL_UNITS,
    "glue_seed_types": SEED_TYPES,
    "glue_device_keys": DEVICE_METRIC_KEYS,
    "contract_metrics": [r.values for r in contract.quality if r.rule == "allowed_values"][0],
    "contract_sensors": contract.device_sensors,
    "lambda_metrics": lambda_rules()["metrics"],
    "lambda_device": normalise(json.dumps(device).encode())[1] if device else None,
    "iot_sql": time_series_sql("devices"),
    "flink_alerts": load_rules().alerts,
    "flink_sql": "\n".join(render_statements(filesystem_connectors("/in", "/out"))),
}))
"""


def _seen(root: Path, device: dict | None = None) -> dict:
    (root / "seen.py").write_text(SEEN)
    proc = _run(root, "seen.py", str(root), *([json.dumps(device)] if device else []))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _edit_rules_and_regenerate(root: Path, old: str, new: str) -> None:
    """Edit only the rules file, then run the one command; nothing else is touched by hand."""
    rules = root / "glue/lib/energylake/reference/telemetry_rules.yaml"
    assert old in rules.read_text()
    rules.write_text(rules.read_text().replace(old, new, 1))
    assert _run(root, "-m", "energylake.telemetry_rules", "--check", "--root", str(root)).returncode == 1
    proc = _run(root, "-m", "energylake.telemetry_rules", "--write", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    assert _run(root, "-m", "energylake.telemetry_rules", "--check", "--root", str(root)).returncode == 0


def test_changing_the_hydraulic_band_is_one_edit(tmp_path):
    root = _copy(tmp_path)
    before = _seen(root)
    assert before["glue_bands"]["hydraulic_pressure"] == [120.0, 210.0]
    assert "min_value < 120.0E0" in before["flink_sql"]

    _edit_rules_and_regenerate(root, "healthy: [120, 210]", "healthy: [130, 195.5]")
    after = _seen(root)
    assert after["glue_bands"]["hydraulic_pressure"] == [130.0, 195.5]  # windfarm_daily_metrics' out-of-band count
    assert after["lambda_metrics"]["hydraulic_pressure"]["healthy"] == [130.0, 195.5]  # the Lambda's table
    assert after["flink_alerts"]["hydraulic_pressure"]["healthy"] == [130.0, 195.5]  # the Flink config
    sql = after["flink_sql"]
    assert "WHERE metric = 'hydraulic_pressure' AND (min_value < 130.0E0 OR max_value > 195.5E0)" in sql
    assert "120.0E0" not in sql and "210.0E0" not in sql
    table = json.loads((root / "analytics/streaming/telemetry_rules.json").read_text())
    assert table["metrics"]["hydraulic_pressure"]["healthy"] == [130.0, 195.5]  # the generated output
    # Nothing else moved.
    for key in ("glue_units", "glue_seed_types", "glue_device_keys", "contract_metrics", "contract_sensors", "iot_sql"):
        assert after[key] == before[key], key


GEARBOX = """  gearbox_temperature:
    unit: degC
    type: double
    seed_type: gearboxTemperature
    device_keys: {gearbox_temperature_c: degC, gearbox_temperature_f: F}
    valid: [-40, 150]
    healthy: [0, 90]
    alert: {type: gearbox_over_temperature, severity: critical, high: max}
"""


def test_adding_a_metric_is_one_edit(tmp_path):
    root = _copy(tmp_path)
    _edit_rules_and_regenerate(
        root,
        "\ndevice_types:\n  wind: [active_power,",
        f"{GEARBOX}\ndevice_types:\n  wind: [gearbox_temperature, active_power,",
    )
    device = {
        "device_id": "WF-ROSCOE-T01",
        "site_id": "WF-ROSCOE",
        "ts": "2024-01-15T10:00:00Z",
        "metrics": {"gearbox_temperature_f": 212, "active_power_mw": 1.0},
    }
    seen = _seen(root, device)
    # Glue library and the contract (Terraform's DQDL reads its generated block)
    assert seen["glue_units"]["gearbox_temperature"] == "degC"
    assert seen["glue_seed_types"]["gearboxTemperature"] == "gearbox_temperature"
    assert seen["glue_device_keys"]["gearbox_temperature_f"] == ["gearbox_temperature", "F"]
    assert seen["glue_bands"]["gearbox_temperature"] == [0.0, 90.0]
    assert (
        "gearbox_temperature" in seen["contract_metrics"] and "gearbox_temperature" in seen["contract_sensors"]["wind"]
    )
    # The Lambda accepts and converts it; the IoT rule measures it
    assert seen["lambda_device"]["metrics"]["gearbox_temperature_c"] == pytest.approx(100.0)
    measure = "cast(metrics.gearbox_temperature_c AS Decimal) AS gearbox_temperature_c"
    assert measure in seen["iot_sql"]
    layout = json.loads((root / "lambda/lakeingest/telemetry/telemetry_layout.json").read_text())
    assert measure in layout["sources"]["devices"]["time_series_sql"]  # what Terraform's IoT rule reads
    # The Flink job reads it from both formats, converts it, unnests it and alerts on it
    sql = seen["flink_sql"]
    assert "'$.metrics.gearbox_temperature_f'" in sql and "'gearboxTemperature'" in sql
    assert "'gearbox_temperature', p.gearbox_temperature" in sql
    assert "'gearbox_over_temperature'" in sql and "max_value > 90.0E0" in sql
    assert seen["flink_alerts"]["gearbox_temperature"]["type"] == "gearbox_over_temperature"
