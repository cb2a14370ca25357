"""Local stand-ins for the panels' query results, computed with pandas from local data.

Operations panels read the streaming job's outputs (``<dir>/<sink>.jsonl`` from the bounded Flink run);
business panels read the curated sample and the forecast's held-out predictions. Frames are keyed by panel
title, as ``render_panels`` expects. Panels without local data (ERCOT, trading) are simply not rendered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

#: The business panel drawn from the forecast's held-out predictions rather than from curated tables.
FORECAST_PANEL = "Generation vs day-ahead forecast (MWh)"


def _jsonl(path: Path) -> pd.DataFrame:
    frame = pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])
    for col in ("window_start", "window_end", "event_ts"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def operations_frames(streaming_out: str | Path) -> dict[str, pd.DataFrame]:
    """Operations panels from the Flink job's output files (aggregates at window_start; alerts at window_end, the
    timestamp of their InfluxDB points, ``lakeingest.telemetry.series.ALERTS``)."""
    out = Path(streaming_out)
    site = _jsonl(out / "site_aggregates.jsonl").rename(columns={"window_start": "time"})
    device = _jsonl(out / "device_aggregates.jsonl").rename(columns={"window_start": "time"})
    alerts = _jsonl(out / "telemetry_alerts.jsonl").rename(columns={"window_end": "time"})
    frames = {
        "Site active power (1-minute average, MW)": site[site.metric == "active_power"][
            ["time", "site_id", "avg_value"]
        ],
        "Battery temperature, hottest device per minute (C)": device[device.metric == "battery_temperature"][
            ["time", "device_id", "max_value"]
        ],
        "Hydraulic pressure band per device (bar)": device[device.metric == "hydraulic_pressure"][
            ["time", "device_id", "min_value"]
        ],
    }
    if not alerts.empty:
        frames["Alerts by type"] = alerts.groupby("alert_type").size().rename("alerts").reset_index()
        frames["Latest alerts"] = alerts.sort_values("time", ascending=False)[
            ["time", "site_id", "device_id", "alert_type", "severity", "observed_value", "threshold"]
        ]
    return {title: frame.sort_values(frame.columns[0]).reset_index(drop=True) for title, frame in frames.items()}


def business_frames(holdout_predictions: str | Path) -> dict[str, pd.DataFrame]:
    """Generation vs forecast from the forecast's held-out predictions (summed over sites per hour)."""
    pred = pd.read_parquet(holdout_predictions)
    hourly = pred.groupby("hour_ts")[["generation_mwh", "forecast_mwh"]].sum().reset_index()
    hourly = hourly.rename(columns={"hour_ts": "time", "generation_mwh": "actual_mwh"})
    return {FORECAST_PANEL: hourly}
