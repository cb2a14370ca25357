"""The telemetry rules as the Lambda reads them: ``telemetry_rules.json`` beside this file.

The file is generated from the lake's one rules file (glue/lib/energylake/reference/telemetry_rules.yaml) by
``python -m energylake.telemetry_rules --write``; the Lambda package cannot import the Glue library, so it
reads the generated tables instead of keeping its own copy of metric names, units and conversions.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).with_name("telemetry_rules.json")


@cache
def rules() -> dict[str, Any]:
    """The generated tables (metrics, units, device types, reasons)."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def unit_key(unit: str | None) -> str:
    """The lookup key of a unit as received (lower case, no degree sign or whitespace), as the lake computes it."""
    strip = rules()["unit_key_strip"]
    return "".join(ch for ch in (unit or "") if ch not in strip).lower()


def conversion(unit: str | None, canonical: str) -> tuple[float, float] | None:
    """(scale, offset) from ``unit`` to ``canonical`` (canonical = value * scale + offset); None when unknown."""
    factor = rules()["units"].get(canonical, {}).get(unit_key(unit))
    return None if factor is None else (factor[0], factor[1])


def seed_types() -> dict[str, str]:
    """Seed ``type`` spelling (canonical and aliases) -> metric."""
    return {t: name for name, m in rules()["metrics"].items() for t in m["seed_types"]}


def device_keys() -> dict[str, tuple[str, str]]:
    """Device ``metrics`` key -> (metric, unit its value is in)."""
    return {k: (name, u) for name, m in rules()["metrics"].items() for k, u in m["device_keys"].items()}


def canonical_device_keys() -> dict[str, str]:
    """Metric -> its device key in the canonical unit (the key the Lambda writes), for metrics devices send."""
    return {name: m["canonical_key"] for name, m in rules()["metrics"].items() if m["canonical_key"]}
