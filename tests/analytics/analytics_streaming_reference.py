"""An independent pure-Python/pandas model of the streaming job, used as the test oracle.

It re-implements the semantics the Flink SQL relies on, from first principles: parse each record, keep a
per-record watermark (max event time seen - allowed lateness), drop a reading whose 1-minute window had already
fired (window_end - 1 ms <= watermark), then aggregate the surviving readings per window with pandas.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

TS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|\+00:00)?$")
MS = timedelta(milliseconds=1)


def parse_ts(value: object) -> datetime | None:
    """ISO-8601 UTC to a naive UTC datetime truncated to milliseconds (TIMESTAMP(3)); None if not UTC/parseable."""
    if not isinstance(value, str):
        return None
    match = TS_RE.match(value)
    if not match:
        return None
    frac = (match.group(3) or ".0")[1:4].ljust(3, "0")
    return datetime.fromisoformat(f"{match.group(1)} {match.group(2)}") + timedelta(milliseconds=int(frac))


def number(value: object) -> float | None:
    """A JSON number or numeric string as float, like TRY_CAST(JSON_VALUE(..) AS DOUBLE)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class ReferenceResult:
    """Outputs of the model plus the classification of every reading."""

    device_aggregates: pd.DataFrame
    site_aggregates: pd.DataFrame
    alerts: pd.DataFrame
    late: pd.DataFrame
    rejected: pd.DataFrame
    accepted_records: int
    out_of_order_counted: int  # readings behind the watermark whose window was still open (inside the lateness)


def _unit_key(unit: str, table: dict) -> str:
    return "".join(ch for ch in unit if ch not in table["unit_key_strip"]).lower()


def _values(obj: dict, table: dict) -> tuple[dict[str, float], str]:
    """A record's metric values in their canonical units, and the reason when it has none (the rules' words)."""
    metrics = obj.get("metrics") if isinstance(obj.get("metrics"), dict) else {}
    seed_type, unit = obj.get("type"), obj.get("unit")
    seed_metric = next((name for name, m in table["metrics"].items() if seed_type in m["seed_types"]), None)
    values, seed_value = {}, number(obj.get("data"))
    for name, m in table["metrics"].items():
        spellings = table["units"][m["unit"]]
        for key, key_unit in m["device_keys"].items():
            raw = number(metrics.get(key))
            if raw is not None:
                scale, offset = spellings[_unit_key(key_unit, table)]
                values[name] = raw * scale + offset
                break
        else:
            if name == seed_metric and seed_value is not None:
                given = _unit_key(str(unit), table) if unit is not None else _unit_key(m["unit"], table)
                if given in spellings:
                    scale, offset = spellings[given]
                    values[name] = seed_value * scale + offset
    if seed_type is not None and seed_metric is None:
        reason = f"unknown_metric_type:{seed_type}"
    elif seed_metric is not None and seed_value is not None:
        reason = f"unknown_unit:{unit if unit is not None else '<none>'} for {seed_metric}"
    elif seed_metric is not None and obj.get("data") is not None:
        reason = "invalid_type:value"
    elif obj.get("device_id") is not None:
        reason = "missing_required:metrics"
    elif seed_type is None:
        reason = "missing_required:type"
    else:
        reason = "missing_required:value"
    return values, reason


def compute(lines: list[str], lateness_s: int, table: dict) -> ReferenceResult:
    """Model the job over ``lines`` in arrival order (``table``: the generated telemetry rules)."""
    rejected, readings, late = [], [], []
    max_ts: datetime | None = None
    accepted = out_of_order = 0
    for line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            obj = None
        ts = None
        if not isinstance(obj, dict):
            rejected.append({"payload": line, "reason": "malformed_json"})
        else:
            ts_text = obj.get("ts") if obj.get("ts") is not None else obj.get("date")
            ts = parse_ts(ts_text)
            device = obj.get("device_id") if obj.get("device_id") is not None else obj.get("id")
            site = obj.get("site_id")
            if site is None and isinstance(device, str):
                m = re.match(r"^(.+)-T[0-9]+$", device)
                site = m.group(1) if m else None
            values, reason = _values(obj, table)
            reason = (
                "missing_required:device_id"
                if device is None
                else "missing_required:event_ts"
                if ts_text is None
                else "invalid_type:event_ts"
                if ts is None
                else "missing_required:site_id (device id is not <site>-T<nn>)"
                if site is None
                else reason
                if not values
                else None
            )
            if reason:
                rejected.append({"payload": line, "reason": reason})
            else:
                accepted += 1
                watermark = None if max_ts is None else max_ts - timedelta(seconds=lateness_s)
                window_start = ts.replace(second=0, microsecond=0)
                window_end = window_start + timedelta(minutes=1)
                for metric, value in values.items():
                    row = {"device_id": device, "site_id": site, "metric": metric, "value": value, "event_ts": ts}
                    if watermark is not None and window_end - MS <= watermark:
                        late.append({**row, "watermark_ts": watermark})
                    else:
                        if watermark is not None and ts <= watermark:
                            out_of_order += 1
                        readings.append({**row, "window_start": window_start, "window_end": window_end})
        # The watermark advances on every record with a parseable time, rejected or not (it is assigned at the source).
        if ts is not None:
            max_ts = ts if max_ts is None else max(max_ts, ts)
    frame = pd.DataFrame(readings)
    device = (
        frame.groupby(["window_start", "window_end", "device_id", "site_id", "metric"])["value"]
        .agg(reading_count="count", avg_value="mean", min_value="min", max_value="max")
        .reset_index()
    )
    site = (
        frame.groupby(["window_start", "window_end", "site_id", "metric"])
        .agg(
            device_count=("device_id", "nunique"),
            reading_count=("value", "count"),
            avg_value=("value", "mean"),
            min_value=("value", "min"),
            max_value=("value", "max"),
            sum_value=("value", "sum"),
        )
        .reset_index()
    )
    return ReferenceResult(
        device, site, _alerts(device, table), pd.DataFrame(late), pd.DataFrame(rejected), accepted, out_of_order
    )


def _alerts(device: pd.DataFrame, table: dict) -> pd.DataFrame:
    columns = {"min": "min_value", "avg": "avg_value", "max": "max_value"}
    rows = []
    for r in device.itertuples(index=False):
        m = table["metrics"].get(r.metric)
        if not m or not m["alert"]:
            continue
        alert, (low, high) = m["alert"], m["healthy"]
        below = alert["low"] is not None and getattr(r, columns[alert["low"]]) < low
        above = alert["high"] is not None and getattr(r, columns[alert["high"]]) > high
        if below or above:
            rows.append(
                {
                    "window_start": r.window_start,
                    "window_end": r.window_end,
                    "device_id": r.device_id,
                    "site_id": r.site_id,
                    "metric": r.metric,
                    "reading_count": r.reading_count,
                    "alert_type": alert["type"],
                    "severity": alert["severity"],
                    "observed_value": getattr(r, columns[alert["low"] if below else alert["high"]]),
                    "threshold": low if below else high,
                }
            )
    return pd.DataFrame(rows)
