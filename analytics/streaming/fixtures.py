"""Deterministic telemetry fixtures in both record formats, with out-of-order, late and malformed records.

Used by the tests and the demo. Readings follow plausible operating values; a few devices are pushed past
the alert thresholds, some records arrive late (inside and beyond the allowed lateness) and some are invalid.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SEED_METRICS = {
    "powerFactor": "power_factor",
    "temperature": "battery_temperature",
    "hydraulicPressure": "hydraulic_pressure",
}


def _iso(ts: datetime, rng: random.Random) -> str:
    """ISO-8601 UTC in the spellings devices actually send (Z, +00:00, with or without milliseconds)."""
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f".{ts.microsecond // 1000:03d}" if ts.microsecond else ""
    return base + millis + rng.choice(["Z", "Z", "+00:00"])


def _seed_value(kind: str, device: str, minute: int, rng: random.Random) -> float:
    if kind == "powerFactor":
        # T02 suffers a power-factor drop in minute 3.
        return round(rng.uniform(0.80, 0.86) if device.endswith("T02") and minute == 3 else rng.uniform(0.93, 0.99), 3)
    if kind == "temperature":
        # T01's battery overheats in minute 2.
        return round(rng.uniform(46.0, 52.0) if device.endswith("T01") and minute == 2 else rng.uniform(24.0, 38.0), 2)
    # T03's hydraulics lose pressure in minute 4.
    return round(rng.uniform(95.0, 115.0) if device.endswith("T03") and minute == 4 else rng.uniform(150.0, 190.0), 1)


def generate_telemetry(seed: int = 7, minutes: int = 6) -> list[str]:
    """Telemetry lines in arrival order: in-order traffic, jitter, late arrivals and malformed records."""
    rng = random.Random(seed)
    events: list[tuple[datetime, str]] = []
    for minute in range(minutes):
        for step in range(0, 60, 12):
            base = START + timedelta(minutes=minute, seconds=step)
            for device in ("WF-ROSCOE-T01", "WF-ROSCOE-T02", "WF-ROSCOE-T03"):
                for kind in SEED_METRICS:
                    ts = base + timedelta(milliseconds=rng.randrange(0, 11_000))
                    rec = {
                        "id": device,
                        "data": _seed_value(kind, device, minute, rng),
                        "type": kind,
                        "date": _iso(ts, rng),
                    }
                    events.append((ts, json.dumps(rec)))
            for device, kind in (
                ("WF-PAPALOTE-T01", "wind"),
                ("WF-PAPALOTE-T02", "wind"),
                ("SF-ROADRUNNER-T01", "solar"),
            ):
                ts = base + timedelta(milliseconds=rng.randrange(0, 11_000))
                metrics: dict[str, float | None] = {
                    "active_power_mw": round(rng.uniform(0.5, 3.0), 3),
                    "power_factor": round(rng.uniform(0.92, 0.99), 3),
                    "battery_temperature_c": round(rng.uniform(20.0, 40.0), 2),
                }
                if kind == "wind":
                    metrics |= {
                        "wind_speed_ms": round(rng.uniform(4.0, 14.0), 2),
                        "rotor_speed_rpm": round(rng.uniform(8.0, 16.0), 2),
                        "hydraulic_pressure_bar": round(rng.uniform(140.0, 200.0), 1),
                    }
                    if device.endswith("T02") and minute == 1:
                        metrics["hydraulic_pressure_bar"] = 231.5  # over-pressure: out of band high
                else:
                    metrics["irradiance_wm2"] = round(rng.uniform(300.0, 950.0), 1)
                if rng.random() < 0.15:
                    metrics["power_factor"] = None  # sensors drop out: a missing metric is not a reading
                rec = {
                    "device_id": device,
                    "site_id": device.rsplit("-T", 1)[0],
                    "ts": _iso(ts, rng),
                    "metrics": metrics,
                }
                rec["firmware"] = "2.4.1"
                events.append((ts, json.dumps(rec)))
    # Arrival order = event order, except ~10% that are delayed by 5-100 s (some stay inside the lateness).
    arrivals = []
    for ts, line in events:
        delay = rng.uniform(5, 100) if rng.random() < 0.10 else rng.uniform(0, 1.5)
        arrivals.append((ts + timedelta(seconds=delay), line))
    arrivals.sort(key=lambda a: a[0])
    lines = [line for _, line in arrivals]
    malformed = [
        "this is not json",
        json.dumps({"id": "WF-ROSCOE-T01", "data": 31.0, "type": "temperature"}),  # no timestamp
        json.dumps({"id": "ROSCOE1", "data": 0.95, "type": "powerFactor", "date": "2024-05-01T12:01:00Z"}),  # no site
        json.dumps(
            {"device_id": "WF-PAPALOTE-T01", "ts": "2024-05-01T07:02:00-05:00", "metrics": {"active_power_mw": 1.0}}
        ),
        json.dumps({"id": "WF-ROSCOE-T02", "data": 3.2, "type": "vibration", "date": "2024-05-01T12:02:30Z"}),
        json.dumps({"id": "WF-ROSCOE-T03", "data": "n/a", "type": "hydraulicPressure", "date": "2024-05-01T12:03:00Z"}),
        json.dumps({"site_id": "WF-ROSCOE", "ts": "2024-05-01T12:03:10Z", "metrics": {"active_power_mw": 2.0}}),
        "[1, 2, 3]",
    ]
    for offset, bad in enumerate(malformed):
        lines.insert(40 + offset * 37, bad)
    return lines


def write_telemetry(path: str | Path, seed: int = 7, minutes: int = 6) -> Path:
    """Write the fixture as newline-delimited JSON (the raw zone's telemetry format) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(generate_telemetry(seed, minutes)) + "\n")
    return target


def generate_stream_pair(seed: int = 11, minutes: int = 5) -> dict[str, list[str]]:
    """The two telemetry streams as Kinesis delivers them: ``windfarm`` (seed format) and ``devices`` (device
    format), each in its own arrival order, with a device reporting on both streams and malformed records.

    Delays stay inside the allowed lateness of the stream itself (30 s): ~10% arrive 32-45 s late but only in the
    first 10 s of their minute, so they are behind the watermark while their window is still open. Hence no
    reading is late in its own stream, and none is late after the UNION ALL (whose watermark is the minimum).
    """
    rng = random.Random(seed)
    streams: dict[str, list[tuple[datetime, str]]] = {"windfarm": [], "devices": []}
    for minute in range(minutes):
        for step in range(0, 60, 10):
            base = START + timedelta(minutes=minute, seconds=step)
            for device in ("WF-ROSCOE-T01", "WF-ROSCOE-T02", "WF-ROSCOE-T03"):
                for kind in SEED_METRICS:
                    ts = base + timedelta(milliseconds=rng.randrange(0, 9_000))
                    rec = {"id": device, "data": _seed_value(kind, device, minute, rng), "type": kind}
                    streams["windfarm"].append((ts, json.dumps(rec | {"date": _iso(ts, rng)})))
            for device in ("WF-ROSCOE-T01", "WF-PAPALOTE-T01", "SF-ROADRUNNER-T01"):
                ts = base + timedelta(milliseconds=rng.randrange(0, 9_000))
                metrics: dict[str, float] = {
                    "active_power_mw": round(rng.uniform(0.5, 3.0), 3),
                    "power_factor": round(rng.uniform(0.93, 0.99), 3),
                    "battery_temperature_c": round(rng.uniform(20.0, 40.0), 2),
                }
                if device.startswith("WF-"):
                    metrics["hydraulic_pressure_bar"] = round(rng.uniform(140.0, 200.0), 1)
                    if device == "WF-PAPALOTE-T01" and minute == 2:
                        metrics["hydraulic_pressure_bar"] = 228.0  # out of band high
                else:
                    metrics["irradiance_wm2"] = round(rng.uniform(300.0, 950.0), 1)
                rec = {"device_id": device, "site_id": device.rsplit("-T", 1)[0], "ts": _iso(ts, rng)}
                streams["devices"].append((ts, json.dumps(rec | {"metrics": metrics, "firmware": "2.4.1"})))
    out: dict[str, list[str]] = {}
    for name, events in streams.items():
        arrivals = []
        for ts, line in events:
            late_ok = ts.second < 10 and rng.random() < 0.10
            arrivals.append((ts + timedelta(seconds=rng.uniform(32, 45) if late_ok else rng.uniform(0, 2)), line))
        arrivals.sort(key=lambda a: a[0])
        out[name] = [line for _, line in arrivals]
    out["windfarm"].insert(17, json.dumps({"id": "WF-ROSCOE-T01", "data": 30.5, "type": "temperature"}))  # no time
    out["windfarm"].insert(53, "not json")
    out["devices"].insert(11, json.dumps({"device_id": "WF-PAPALOTE-T01", "ts": "2024-05-01T12:01:00Z"}))  # no metric
    out["devices"].insert(29, "[1, 2]")
    return out


def write_stream_pair(directory: str | Path, seed: int = 11, minutes: int = 5) -> dict[str, Path]:
    """Write ``generate_stream_pair`` as ``<directory>/<stream>.jsonl``; returns ``{stream: path}``."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, lines in generate_stream_pair(seed, minutes).items():
        paths[name] = target / f"{name}.jsonl"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths
