"""Dashboards as code: valid JSON, queries that only name existing tables/columns, PNGs rendered."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from analytics.dashboards import iter_panels, load_dashboard, panel_query, render_panels
from analytics.streaming.config import SQL_DIR
from energylake.contracts import load_contracts
from lakectl.settings import REPO_ROOT


def _sink_columns() -> dict[str, set[str]]:
    """Columns of the Flink sinks as written to Timestream (window_start becomes `time`)."""
    sql = (SQL_DIR / "20_sinks.sql").read_text()
    tables = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\)", sql, flags=re.S):
        cols = {line.strip().split()[0].strip("`") for line in body.strip().splitlines()}
        tables[name] = cols | {"time"}
    return tables


def _check(query: str, dialect: str, schema: dict[str, set[str]]) -> None:
    query = re.sub(r"\$__timeFilter(\([^)]*\))?", "1 = 1", query)
    tree = sqlglot.parse_one(query, read=dialect)
    aliases = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
    for table in tree.find_all(exp.Table):
        assert table.name in schema, f"unknown table {table.name} in: {query}"
    selected = {s.alias for s in tree.expressions if isinstance(s, exp.Alias)}
    for column in tree.find_all(exp.Column):
        if column.name in selected and not column.table:
            continue  # ORDER BY an output alias
        owners = [aliases[column.table]] if column.table else list(aliases.values())
        assert any(column.name in schema[t] for t in owners), f"unknown column {column.sql()} in: {query}"


@pytest.mark.parametrize("name", ["operations", "business"])
def test_dashboard_json_is_a_grafana_model(name):
    board = load_dashboard(name)
    assert board["uid"] and board["title"] and board["panels"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["type"] in {"timeseries", "barchart", "table"}
        assert panel_query(panel)
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}


FLUX_COLUMNS = {"_time", "_value", "_field", "_measurement", "_start", "_stop"}  # InfluxDB's own columns


def _flux_columns(query: str, function: str) -> list[str]:
    """Column names a Flux function lists, e.g. ``group(columns: ["site_id"])``."""
    lists = re.findall(function + r"\(columns: \[([^\]]*)\]", query)
    return [column for names in lists for column in re.findall(r'"(\w+)"', names)]


def _check_flux(query: str) -> None:
    """A Flux query names only measurements, fields and tags the InfluxDB writers write (series.MEASUREMENTS)."""
    from lakeingest.telemetry.series import MEASUREMENTS

    assert query.startswith('from(bucket: "${influx_bucket}")'), query
    measurements = re.findall(r'r\._measurement == "(\w+)"', query)
    assert measurements, f"no measurement filter in: {query}"
    for measurement in measurements:
        assert measurement in MEASUREMENTS, f"unknown measurement {measurement} in: {query}"
    series = [MEASUREMENTS[m] for m in measurements]
    fields = {f.name for s in series for f in s.fields}
    tags = {t.name for s in series for t in s.tags}
    for field in re.findall(r'r\._field == "(\w+)"', query):
        assert field in fields, f"unknown field {field} in: {query}"
    for column in _flux_columns(query, "group"):
        assert column in tags, f"unknown tag {column} in: {query}"
    # After a pivot on _field the fields are columns too (keep/sort name them).
    known = FLUX_COLUMNS | tags | (fields if 'columnKey: ["_field"]' in query else set())
    for column in _flux_columns(query, "keep") + _flux_columns(query, "sort"):
        assert column in known, f"unknown column {column} in: {query}"


def test_the_hot_path_panels_read_what_the_influxdb_writer_writes():
    board = load_dashboard("operations")
    bucket = next(v for v in board["templating"]["list"] if v["name"] == "influx_bucket")
    module_vars = (REPO_ROOT / "terraform/modules/timestream_influxdb/variables.tf").read_text()
    assert re.search(r'variable "bucket" \{[^}]*default\s*=\s*"' + re.escape(bucket["query"]) + '"', module_vars)
    # Every operations panel (telemetry and alerts) reads InfluxDB: Timestream LiveAnalytics is closed to new
    # accounts and nothing creates its tables any more.
    panels = [p for _, p in iter_panels(("operations",))]
    assert [p["title"] for p in panels if "query" not in p["targets"][0]] == []
    for panel in panels:
        assert panel["datasource"]["type"] == panel["targets"][0]["datasource"]["type"] == "influxdb", panel["title"]
        _check_flux(panel["targets"][0]["query"])
    alert_panels = [p["title"] for p in panels if '"telemetry_alerts"' in p["targets"][0]["query"]]
    assert alert_panels == ["Alerts by type", "Latest alerts"]


def test_flux_check_catches_a_wrong_field():
    with pytest.raises(AssertionError, match="unknown field"):
        _check_flux(
            'from(bucket: "${influx_bucket}")'
            ' |> filter(fn: (r) => r._measurement == "device_readings" and r._field == "nope")'
        )


def test_flux_check_catches_a_wrong_tag_or_column():
    with pytest.raises(AssertionError, match="unknown tag"):
        _check_flux(
            'from(bucket: "${influx_bucket}")'
            ' |> filter(fn: (r) => r._measurement == "telemetry_alerts" and r._field == "observed_value")'
            ' |> group(columns: ["turbine"])'
        )
    with pytest.raises(AssertionError, match="unknown column"):
        _check_flux(
            'from(bucket: "${influx_bucket}") |> filter(fn: (r) => r._measurement == "telemetry_alerts")'
            ' |> keep(columns: ["_time", "observed_value"])'  # a field is a column only after a pivot
        )
    with pytest.raises(AssertionError, match="no measurement"):
        _check_flux('from(bucket: "${influx_bucket}") |> range(start: -1h)')


def test_every_query_references_existing_tables_and_columns():
    contracts = {name: {c.name for c in c_.columns} for name, c_ in load_contracts().items()}
    sinks = _sink_columns()
    for _, panel in iter_panels():
        target = panel["targets"][0]
        if "query" in target:
            _check_flux(target["query"])
        elif "rawSQL" in target:
            assert target["connectionArgs"]["database"] == "energy_curated"
            curated = {n for n, c in load_contracts().items() if c.zone == "curated"}
            _check(target["rawSQL"], "trino", {n: contracts[n] for n in curated})
        else:
            _check(target["rawQuery"], "trino", sinks)


def test_query_check_catches_a_wrong_column():
    with pytest.raises(AssertionError, match="unknown column"):
        _check(
            "SELECT hour_ts, no_such_column FROM energy_curated.grid_weather_hourly",
            "trino",
            {"grid_weather_hourly": {"hour_ts", "total_load_mw"}},
        )


def test_render_panels_writes_non_empty_pngs(tmp_path):
    times = pd.date_range("2024-05-01", periods=24, freq="h")
    frames = {
        "Site active power (1-minute average, MW)": pd.DataFrame(
            {"time": list(times) * 2, "site_id": ["A"] * 24 + ["B"] * 24, "avg_value": range(48)}
        ),
        "Alerts by type": pd.DataFrame(
            {"alert_type": ["power_factor_drop", "battery_over_temperature"], "alerts": [3, 1]}
        ),
        "Clients by segment": pd.DataFrame({"segment": ["industrial"], "customers": [4], "total_energy_mwh": [12.5]}),
    }
    paths = render_panels(frames, tmp_path)
    assert len(paths) == 3
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    with pytest.raises(ValueError, match="empty"):
        render_panels({"Alerts by type": frames["Alerts by type"].iloc[0:0]}, tmp_path)
