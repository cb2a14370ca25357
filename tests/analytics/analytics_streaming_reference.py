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
RICH = {
    "active_power": "active_power_mw",
    "wind_speed": "wind_speed_ms",
    "rotor_speed": "rotor_speed_rpm",
    "power_factor": "power_factor",
    "battery_temperature": "battery_temperature_c",
    "hydraulic_pressure": "hydraulic_pressure_bar",
    "irradiance": "irradiance_wm2",
}
SEED = {"powerFactor": "power_factor", "temperature": "battery_temperature", "hydraulicPressure": "hydraulic_pressure"}
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


def compute(lines: list[str], lateness_s: int, thresholds: dict[str, float]) -> ReferenceResult:
    """Model the job over ``lines`` in arrival order."""
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
            rejected.append({"payload": line, "reason": "invalid JSON"})
        else:
            ts = parse_ts(obj.get("ts") if obj.get("ts") is not None else obj.get("date"))
            device = obj.get("device_id") if obj.get("device_id") is not None else obj.get("id")
            site = obj.get("site_id")
            if site is None and isinstance(device, str):
                m = re.match(r"^(.+)-T[0-9]+$", device)
                site = m.group(1) if m else None
            metrics = obj.get("metrics") if isinstance(obj.get("metrics"), dict) else {}
            values = {name: number(metrics.get(key)) for name, key in RICH.items()}
            if obj.get("type") in SEED and values[SEED[obj["type"]]] is None:
                values[SEED[obj["type"]]] = number(obj.get("data"))
            values = {k: v for k, v in values.items() if v is not None}
            reason = (
                "missing device id"
                if device is None
                else "missing, unparseable or non-UTC timestamp"
                if ts is None
                else "unknown site (device id is not <site_id>-T<nn>)"
                if site is None
                else "no recognised numeric metric"
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
        device, site, _alerts(device, thresholds), pd.DataFrame(late), pd.DataFrame(rejected), accepted, out_of_order
    )


def _alerts(device: pd.DataFrame, t: dict[str, float]) -> pd.DataFrame:
    rows = []
    for r in device.itertuples(index=False):
        base = {
            "window_start": r.window_start,
            "window_end": r.window_end,
            "device_id": r.device_id,
            "site_id": r.site_id,
            "metric": r.metric,
            "reading_count": r.reading_count,
        }
        if r.metric == "battery_temperature" and r.max_value > t["battery_max_c"]:
            rows.append(
                {
                    **base,
                    "alert_type": "battery_over_temperature",
                    "severity": "critical",
                    "observed_value": r.max_value,
                    "threshold": t["battery_max_c"],
                }
            )
        if r.metric == "hydraulic_pressure" and (
            r.min_value < t["hydraulic_min_bar"] or r.max_value > t["hydraulic_max_bar"]
        ):
            low = r.min_value < t["hydraulic_min_bar"]
            rows.append(
                {
                    **base,
                    "alert_type": "hydraulic_pressure_out_of_band",
                    "severity": "critical",
                    "observed_value": r.min_value if low else r.max_value,
                    "threshold": t["hydraulic_min_bar"] if low else t["hydraulic_max_bar"],
                }
            )
        if r.metric == "power_factor" and r.avg_value < t["power_factor_min"]:
            rows.append(
                {
                    **base,
                    "alert_type": "power_factor_drop",
                    "severity": "warning",
                    "observed_value": r.avg_value,
                    "threshold": t["power_factor_min"],
                }
            )
    return pd.DataFrame(rows)
