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


def _check_flux(query: str) -> None:
    """A Flux query names only measurements, fields and tags the InfluxDB writer writes (series.SERIES)."""
    from lakeingest.telemetry.series import SERIES

    assert query.startswith('from(bucket: "${influx_bucket}")'), query
    measurements = {s.measurement: s for s in SERIES.values()}
    for measurement, field in re.findall(r'r\._measurement == "(\w+)" and r\._field == "(\w+)"', query) or [
        (None, None)
    ]:
        assert measurement in measurements, f"unknown measurement {measurement} in: {query}"
        assert field in {f.name for f in measurements[measurement].fields}, f"unknown field {field} in: {query}"
        for columns in re.findall(r"group\(columns: \[([^\]]*)\]\)", query):
            for column in re.findall(r'"(\w+)"', columns):
                assert column in {t.name for t in measurements[measurement].tags}, f"unknown tag {column} in: {query}"


def test_the_hot_path_panels_read_what_the_influxdb_writer_writes():
    board = load_dashboard("operations")
    bucket = next(v for v in board["templating"]["list"] if v["name"] == "influx_bucket")
    module_vars = (REPO_ROOT / "terraform/modules/timestream_influxdb/variables.tf").read_text()
    assert re.search(r'variable "bucket" \{[^}]*default\s*=\s*"' + re.escape(bucket["query"]) + '"', module_vars)
    flux = [p for _, p in iter_panels(("operations",)) if "query" in p["targets"][0]]
    assert len(flux) == 3
    for panel in flux:
        _check_flux(panel["targets"][0]["query"])


def test_flux_check_catches_a_wrong_field():
    with pytest.raises(AssertionError, match="unknown field"):
        _check_flux(
            'from(bucket: "${influx_bucket}")'
            ' |> filter(fn: (r) => r._measurement == "device_readings" and r._field == "nope")'
        )


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
