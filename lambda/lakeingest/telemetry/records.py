"""Validation and normalisation of telemetry records (pure functions, used by the Firehose transformation).

Two formats arrive: the seed wind-farm format ``{"id", "data", "type", "date"}`` and the richer device
format ``{"device_id", "site_id", "ts", "metrics": {...}, "firmware"}``. A record is rejected (with a
reason) when it cannot be read as one of them: bad JSON, missing or mistyped fields, unknown metric,
unparseable or implausible timestamp, device id not of the form ``<site_id>-T<nn>``, unknown unit.
Metric names, aliases, units and conversions come from ``telemetry_rules.json`` (generated from the lake's
rules file, the same definition Glue's unit normalisation uses): a device key in another unit
(``active_power_kw``) and a seed record's ``unit`` are converted to the metric's canonical unit and key. Physical
range checks are left to the Glue quality rules, which quarantine out-of-range rows with their reason.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from lakeingest.common.keys import iso_z, parse_iso_utc
from lakeingest.telemetry import rules as _rules

DEVICE_ID = re.compile(r"^(?P<site>[A-Z0-9]+(?:-[A-Z0-9]+)*)-T(?P<n>\d{2,3})$")
SEED_TYPES = {
    spelling: _rules.rules()["metrics"][metric]["seed_types"][0] for spelling, metric in _rules.seed_types().items()
}
# Device metric keys accepted -> (metric, unit), and the keys written out: one per metric, in its canonical unit.
DEVICE_KEYS = _rules.device_keys()
CANONICAL_KEYS = _rules.canonical_device_keys()
DEVICE_METRICS = tuple(CANONICAL_KEYS.values())
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class InvalidRecord(ValueError):  # noqa: N818 - reads as a reason: "InvalidRecord: data is not a number"
    """The record cannot be accepted; ``str(exc)`` is the reason stored with it."""


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise InvalidRecord(f"{field} is a boolean, expected a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidRecord(f"{field} is not a number: {value!r}") from None
    if not isinstance(value, int | float):
        raise InvalidRecord(f"{field} is not a number: {value!r}")
    if not math.isfinite(value):
        raise InvalidRecord(f"{field} is not finite: {value!r}")
    return float(value)


def _timestamp(value: Any, field: str, now: datetime) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord(f"{field} missing or not a string")
    try:
        ts = parse_iso_utc(value)
    except ValueError:
        raise InvalidRecord(f"{field} is not ISO-8601: {value!r}") from None
    if ts < EARLIEST:
        raise InvalidRecord(f"{field} {value!r} is before 2000-01-01")
    if (ts - now).total_seconds() > 3600:
        raise InvalidRecord(f"{field} {value!r} is more than an hour in the future")
    return iso_z(ts)


def _device_id(value: Any, field: str) -> tuple[str, str]:
    if not isinstance(value, str):
        raise InvalidRecord(f"{field} missing or not a string")
    device = value.strip().upper()
    match = DEVICE_ID.match(device)
    if not match:
        raise InvalidRecord(f"{field} {value!r} is not of the form <site_id>-T<nn>")
    return device, match.group("site")


def _canonical(value: float, unit: Any, metric: str) -> tuple[float, str]:
    """(value in the metric's canonical unit, that unit); InvalidRecord when the unit is not one it accepts."""
    canonical = _rules.rules()["metrics"][metric]["unit"]
    factor = _rules.conversion(str(unit), canonical)
    if factor is None:
        reason = _rules.rules()["reasons"]["unknown_unit"]
        raise InvalidRecord(f"{reason}:{unit} for {metric}")
    scale, offset = factor
    return (value if (scale, offset) == (1, 0) else value * scale + offset), canonical


def normalise_seed(doc: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    """A seed wind-farm record, normalised (upper-case id, float data, canonical type, UTC ``Z`` date)."""
    missing = [f for f in ("id", "data", "type", "date") if f not in doc]
    if missing:
        raise InvalidRecord(f"seed record missing fields {missing}")
    device, _site = _device_id(doc["id"], "id")
    kind = SEED_TYPES.get(str(doc["type"]).strip())
    if kind is None:
        raise InvalidRecord(f"type {doc['type']!r} is not one of {', '.join(sorted(set(SEED_TYPES.values())))}")
    data = _number(doc["data"], "data")
    out = {"id": device, "data": data, "type": kind, "date": _timestamp(doc["date"], "date", now)}
    if doc.get("unit") is not None:
        metric = _rules.seed_types()[kind]
        out["data"], out["unit"] = _canonical(data, doc["unit"], metric)
    return "windfarm", out


def normalise_device(doc: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    """A device record, normalised (every canonical metric key present, floats in the canonical unit or null,
    UTC ``Z`` ts); a key in another unit (``active_power_kw``) is converted and written under the canonical key."""
    missing = [f for f in ("device_id", "site_id", "ts", "metrics") if f not in doc]
    if missing:
        raise InvalidRecord(f"device record missing fields {missing}")
    device, prefix = _device_id(doc["device_id"], "device_id")
    site = str(doc["site_id"]).strip().upper()
    if site != prefix:
        raise InvalidRecord(f"device_id {device} does not belong to site_id {site}")
    metrics = doc["metrics"]
    if not isinstance(metrics, dict) or not metrics:
        raise InvalidRecord("metrics must be a non-empty object")
    unknown = sorted(set(metrics) - set(DEVICE_KEYS))
    if unknown:
        raise InvalidRecord(f"unknown metrics {unknown}")
    values: dict[str, float | None] = dict.fromkeys(DEVICE_METRICS)
    given: dict[str, str] = {}
    for key, raw in metrics.items():
        if raw is None:
            continue
        metric, unit = DEVICE_KEYS[key]
        out_key = CANONICAL_KEYS[metric]
        if out_key in given:
            raise InvalidRecord(f"metrics.{key} and metrics.{given[out_key]} both give {metric}")
        given[out_key] = key
        values[out_key], _unit = _canonical(_number(raw, f"metrics.{key}"), unit, metric)
    if all(v is None for v in values.values()):
        raise InvalidRecord("every metric is null")
    firmware = doc.get("firmware")
    if firmware is not None and not isinstance(firmware, str):
        raise InvalidRecord("firmware must be a string")
    return "devices", {
        "device_id": device,
        "site_id": site,
        "ts": _timestamp(doc["ts"], "ts", now),
        "metrics": values,
        "firmware": firmware,
    }


def normalise(raw: bytes, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """Validate one raw record; return (source windfarm|devices, normalised record) or raise InvalidRecord."""
    now = now or datetime.now(UTC)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRecord(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidRecord(f"expected a JSON object, got {type(doc).__name__}")
    if "device_id" in doc:
        return normalise_device(doc, now)
    if "id" in doc:
        return normalise_seed(doc, now)
    raise InvalidRecord(f"neither the seed nor the device format (fields: {sorted(doc)[:8]})")


def to_line(record: dict[str, Any]) -> bytes:
    """One newline-delimited JSON line (Firehose concatenates records, so each carries its newline)."""
    return (json.dumps(record, separators=(",", ":"), sort_keys=False) + "\n").encode("utf-8")
