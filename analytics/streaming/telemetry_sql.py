"""The SQL the Flink job derives from the telemetry rules: record parsing, unit conversion, reject reasons, alerts.

``telemetry_rules.json`` beside this file is generated from the lake's one rules file
(glue/lib/energylake/reference/telemetry_rules.yaml) by ``python -m energylake.telemetry_rules --write``; this
module only turns its tables into SQL fragments, substituted into ``sql/*.sql`` by ``config.render_statements``.
So a metric, an accepted unit or a healthy band changes here when the rules file changes, with no SQL edit, and
the reject reasons use the Glue quarantine's vocabulary (``malformed_json``, ``missing_required:<field>``, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).resolve().parent / "telemetry_rules.json"
STATISTIC_COLUMNS = {"min": "min_value", "avg": "avg_value", "max": "max_value"}


def load_table(path: Path = TABLE_PATH) -> dict[str, Any]:
    """The generated rules table; a file without any alert or metric fails naming the file."""
    table = json.loads(path.read_text(encoding="utf-8"))
    if not table.get("metrics"):
        raise ValueError(f"{path}: metrics is empty (regenerate: python -m energylake.telemetry_rules --write)")
    if not any(m.get("alert") for m in table["metrics"].values()):
        raise ValueError(f"{path}: no metric has an alert (the telemetry_alerts INSERT needs one)")
    return table


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def number(value: float) -> str:
    """A SQL DOUBLE literal (Python's shortest round-trip form; the exponent makes it DOUBLE, not DECIMAL)."""
    text = repr(float(value)).replace("e", "E")
    return text if "E" in text else text + "E0"


def unit_key_sql(unit: str, table: dict[str, Any]) -> str:
    """``unit`` lower-cased without the degree sign and whitespace: the lake's unit lookup key, in Flink SQL."""
    # Java regex \\uXXXX escapes: SQL string literals do not interpret backslashes.
    chars = "".join(f"\\u{ord(ch):04x}" for ch in table["unit_key_strip"])
    return f"LOWER(REGEXP_REPLACE({unit}, '[{chars}]', ''))"


def _convert(value: str, scale: float, offset: float) -> str:
    return value if (scale, offset) == (1.0, 0.0) else f"{value} * {number(scale)} + {number(offset)}"


def _factor_case(key: str, spellings: dict[str, list[float]], part: int) -> str:
    whens = " ".join(f"WHEN {literal(s)} THEN {number(f[part])}" for s, f in spellings.items())
    return f"CASE {key} {whens} END"


def fields_sql(table: dict[str, Any]) -> str:
    """Per record: the seed format's type, data and unit key, and every device key's value as DOUBLE."""
    keys = [k for m in table["metrics"].values() for k in m["device_keys"]]
    unit = "JSON_VALUE(payload, '$.unit')"
    rows = [
        "JSON_VALUE(payload, '$.type') AS seed_type",
        "JSON_VALUE(payload, '$.data') AS seed_data",
        "TRY_CAST(JSON_VALUE(payload, '$.data') AS DOUBLE) AS seed_value",
        "JSON_VALUE(payload, '$.unit') AS seed_unit",
        f"{unit_key_sql(unit, table)} AS seed_unit_key",
        *[f"TRY_CAST(JSON_VALUE(payload, '$.metrics.{k}') AS DOUBLE) AS key_{k}" for k in keys],
    ]
    return ",\n      ".join(rows)


def metric_values_sql(table: dict[str, Any]) -> str:
    """Per metric: its value in the canonical unit (a device key, else the seed reading of its type), or null."""
    rows = []
    for name, m in table["metrics"].items():
        spellings = table["units"][m["unit"]]
        sources = []
        for key, unit in m["device_keys"].items():
            scale, offset = spellings[_key(unit, table)]
            sources.append(_convert(f"key_{key}", scale, offset))
        if m["seed_types"]:
            unit_key = f"COALESCE(seed_unit_key, {literal(_key(m['unit'], table))})"
            scale, offset = _factor_case(unit_key, spellings, 0), _factor_case(unit_key, spellings, 1)
            types = ", ".join(literal(t) for t in m["seed_types"])
            sources.append(f"CASE WHEN seed_type IN ({types}) THEN seed_value * {scale} + {offset} END")
        rows.append((f"COALESCE({', '.join(sources)})" if len(sources) > 1 else sources[0]) + f" AS {name}")
    seed = [f"WHEN {literal(t)} THEN {literal(name)}" for name, m in table["metrics"].items() for t in m["seed_types"]]
    rows.append(f"CASE seed_type {' '.join(seed)} END" if seed else "CAST(NULL AS STRING)")
    rows[-1] += " AS seed_metric"
    return ",\n    ".join(rows)


def _key(unit: str, table: dict[str, Any]) -> str:
    return "".join(ch for ch in unit if ch not in table["unit_key_strip"]).lower()


def metric_columns_sql(table: dict[str, Any]) -> str:
    """The metric columns, comma-separated."""
    return ", ".join(table["metrics"])


def no_metric_sql(table: dict[str, Any]) -> str:
    """True when a record carries no recognised numeric metric."""
    return " AND ".join(f"{name} IS NULL" for name in table["metrics"])


def no_metric_reason_sql(table: dict[str, Any]) -> str:
    """Why a record with no recognised numeric metric is rejected, in the Glue quarantine's words.

    A device record's metrics are judged together here (Glue judges each reading: a device record whose metrics
    are all text is ``invalid_type:value`` per reading there, ``missing_required:metrics`` here).
    """
    r = table["reasons"]
    unknown_type = literal(r["unknown_metric_type"] + ":")
    return (
        f"CASE WHEN seed_type IS NOT NULL AND seed_metric IS NULL THEN {unknown_type} || seed_type\n"
        f"      WHEN seed_metric IS NOT NULL AND seed_value IS NOT NULL\n"
        f"        THEN {literal(r['unknown_unit'] + ':')} || COALESCE(seed_unit, '<none>') || ' for ' || seed_metric\n"
        f"      WHEN seed_metric IS NOT NULL AND seed_data IS NOT NULL THEN {literal(r['invalid_type'] + ':value')}\n"
        f"      WHEN is_device THEN {literal(r['missing_required'] + ':metrics')}\n"
        f"      WHEN seed_type IS NULL THEN {literal(r['missing_required'] + ':type')}\n"
        f"      ELSE {literal(r['missing_required'] + ':value')} END"
    )


def metric_map_sql(table: dict[str, Any]) -> str:
    """``'metric', p.metric, ...``: the body of the MAP the readings are unnested from."""
    return ",\n  ".join(f"{literal(name)}, p.{name}" for name in table["metrics"])


def alerts_sql(table: dict[str, Any]) -> str:
    """One SELECT per alert rule over ``device_windows``, UNION ALL: the healthy band's bounds are the thresholds."""
    selects = []
    for name, m in table["metrics"].items():
        alert = m["alert"]
        if not alert:
            continue
        low, high = m["healthy"]
        low_stat, high_stat = STATISTIC_COLUMNS.get(alert["low"]), STATISTIC_COLUMNS.get(alert["high"])
        below = f"{low_stat} < {number(low)}" if low_stat else None
        above = f"{high_stat} > {number(high)}" if high_stat else None
        if below and above:
            observed = f"CASE WHEN {below} THEN {low_stat} ELSE {high_stat} END"
            threshold = f"CAST(CASE WHEN {below} THEN {number(low)} ELSE {number(high)} END AS DOUBLE)"
            condition = f"({below} OR {above})"
        elif below:
            observed, threshold, condition = low_stat, f"CAST({number(low)} AS DOUBLE)", below
        else:
            observed, threshold, condition = high_stat, f"CAST({number(high)} AS DOUBLE)", above
        selects.append(
            f"SELECT window_start, window_end, device_id, site_id, {literal(alert['type'])}, "
            f"{literal(alert['severity'])}, metric,\n       {observed}, {threshold}, reading_count\n"
            f"FROM device_windows\nWHERE metric = {literal(name)} AND {condition}"
        )
    return "\nUNION ALL\n".join(selects)


def placeholders(table: dict[str, Any]) -> dict[str, str]:
    """Every ``${...}`` value the SQL files take from the rules."""
    r = table["reasons"]
    return {
        "record_fields": fields_sql(table),
        "metric_values": metric_values_sql(table),
        "metric_columns": metric_columns_sql(table),
        "no_metric": no_metric_sql(table),
        "no_metric_reason": no_metric_reason_sql(table),
        "metric_map": metric_map_sql(table),
        "alert_selects": alerts_sql(table),
        "reason_malformed_json": literal(r["malformed_json"]),
        "reason_missing_device_id": literal(r["missing_required"] + ":device_id"),
        "reason_missing_event_ts": literal(r["missing_required"] + ":event_ts"),
        "reason_invalid_event_ts": literal(r["invalid_type"] + ":event_ts"),
        "reason_missing_site": literal(r["missing_site"]),
    }
