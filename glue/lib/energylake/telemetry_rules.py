"""The telemetry rules (metrics, units, bands, device types), loaded and validated once from one file.

``reference/telemetry_rules.yaml`` is the only place a metric, a unit conversion, a healthy band or a device
type's sensors is written. Glue code imports :func:`telemetry_rules`; the consumers that cannot import this
library (the Firehose transformation Lambda, the Flink job) and the dataset contracts Terraform reads get
generated files, written by ``python -m energylake.telemetry_rules --write`` and checked by ``--check``; the
command also re-renders the Lambda package's ``telemetry_layout.json`` (IoT rule SQL), which follows its table.
A malformed rules file fails with a message naming the file and the field.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

RULES_FILE = "telemetry_rules.yaml"
# A unit as received is matched lower-case without the degree sign and whitespace (Python's \s in ASCII).
UNIT_KEY_STRIP = "°" + " \t\n\x0b\f\r"
VALUE_TYPES = ("double",)
WINDOW_STATISTICS = ("min", "avg", "max")
SEVERITIES = ("warning", "critical")

# Quarantine reason vocabulary shared by the Glue telemetry parse and the Flink job's rejects (prefix before ':').
MALFORMED_JSON = "malformed_json"
MISSING_REQUIRED = "missing_required"
INVALID_TYPE = "invalid_type"
UNKNOWN_METRIC = "unknown_metric"
UNKNOWN_METRIC_TYPE = "unknown_metric_type"
UNKNOWN_UNIT = "unknown_unit"
# A device id that is not '<site_id>-T<nn>' has no site.
MISSING_SITE = f"{MISSING_REQUIRED}:site_id (device id is not <site>-T<nn>)"


class TelemetryRulesError(ValueError):
    """The rules file is malformed; the message names the file and the field."""


def unit_key(unit: str | None) -> str:
    """The lookup key of a unit as received (lower case, no degree sign or whitespace)."""
    return "".join(ch for ch in (unit or "") if ch not in UNIT_KEY_STRIP).lower()


@dataclass(frozen=True)
class Alert:
    """A Flink alert on a device's 1-minute window, judged against the metric's healthy band."""

    type: str
    severity: str
    low: str | None  # window statistic compared with healthy.min (below = alert)
    high: str | None  # window statistic compared with healthy.max (above = alert)


@dataclass(frozen=True)
class Metric:
    """One metric: canonical name and unit, how the two record formats name it, its bands and alert."""

    name: str
    unit: str
    type: str
    seed_type: str | None
    seed_aliases: tuple[str, ...]
    device_keys: dict[str, str]  # device `metrics` key -> the unit its value is in
    valid: tuple[float, float]
    healthy: tuple[float, float] | None
    alert: Alert | None

    @property
    def canonical_key(self) -> str | None:
        """The device key whose values are already in the canonical unit (the Lambda's output key)."""
        return next((k for k, u in self.device_keys.items() if u == self.unit), None)


@dataclass(frozen=True)
class TelemetryRules:
    """The whole rules file, validated."""

    units: dict[str, dict[str, tuple[float, float]]]  # canonical unit -> spelling key -> (scale, offset)
    metrics: dict[str, Metric]
    device_types: dict[str, tuple[str, ...]]

    def conversion(self, unit: str | None, canonical: str) -> tuple[float, float] | None:
        """(scale, offset) from ``unit`` as received to ``canonical``; None when unknown or incompatible."""
        return self.units.get(canonical, {}).get(unit_key(unit))

    @property
    def seed_types(self) -> dict[str, str]:
        """Seed ``type`` spelling (canonical and aliases) -> metric."""
        return {t: m.name for m in self.metrics.values() if m.seed_type for t in (m.seed_type, *m.seed_aliases)}

    @property
    def device_keys(self) -> dict[str, tuple[str, str]]:
        """Device ``metrics`` key -> (metric, unit as received)."""
        return {k: (m.name, u) for m in self.metrics.values() for k, u in m.device_keys.items()}

    @property
    def healthy_bands(self) -> dict[str, tuple[float, float]]:
        """Metric -> healthy (min, max), for the metrics that have one."""
        return {m.name: m.healthy for m in self.metrics.values() if m.healthy}


def _fail(source: str, field: str, message: str) -> TelemetryRulesError:
    return TelemetryRulesError(f"{source}: {field}: {message}")


def _band(value: Any, source: str, field: str) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2):
        raise _fail(source, field, f"expected [min, max], got {value!r}")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        raise _fail(source, field, f"min and max must be finite numbers, got {value!r}")
    low, high = float(value[0]), float(value[1])
    if low > high:
        raise _fail(source, field, f"min {value[0]} > max {value[1]}")
    return low, high


def _mapping(value: Any, source: str, field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise _fail(source, field, "expected a non-empty mapping")
    return value


def _known(doc: dict[str, Any], allowed: set[str], source: str, field: str) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise _fail(source, field, f"unknown fields {extra} (allowed: {sorted(allowed)})")


def _units(raw: Any, source: str) -> dict[str, dict[str, tuple[float, float]]]:
    units: dict[str, dict[str, tuple[float, float]]] = {}
    for canonical, spellings in _mapping(raw, source, "units").items():
        field = f"units.{canonical}"
        table: dict[str, tuple[float, float]] = {}
        for spelling, factor in _mapping(spellings, source, field).items():
            if unit_key(str(spelling)) != str(spelling):
                raise _fail(source, f"{field}.{spelling}", "spellings are lower case without '°' or whitespace")
            if not (
                isinstance(factor, list)
                and len(factor) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in factor)
            ):
                raise _fail(source, f"{field}.{spelling}", f"expected [scale, offset], got {factor!r}")
            if factor[0] == 0:
                raise _fail(source, f"{field}.{spelling}", "scale must not be 0")
            table[str(spelling)] = (float(factor[0]), float(factor[1]))
        if unit_key(canonical) not in table:
            raise _fail(source, field, f"the canonical unit's own spelling {unit_key(canonical)!r} is missing")
        units[canonical] = table
    return units


def _alert(raw: Any, source: str, field: str, healthy: tuple[float, float] | None) -> Alert | None:
    if raw is None:
        return None
    doc = _mapping(raw, source, field)
    _known(doc, {"type", "severity", "low", "high"}, source, field)
    if healthy is None:
        raise _fail(source, field, "an alert needs the metric's healthy band")
    if not isinstance(doc.get("type"), str) or not re.fullmatch(r"[a-z][a-z0-9_]*", doc["type"]):
        raise _fail(source, f"{field}.type", f"expected a snake_case name, got {doc.get('type')!r}")
    if doc.get("severity") not in SEVERITIES:
        raise _fail(source, f"{field}.severity", f"expected one of {list(SEVERITIES)}, got {doc.get('severity')!r}")
    for side in ("low", "high"):
        if doc.get(side) is not None and doc[side] not in WINDOW_STATISTICS:
            raise _fail(source, f"{field}.{side}", f"expected one of {list(WINDOW_STATISTICS)}, got {doc[side]!r}")
    if doc.get("low") is None and doc.get("high") is None:
        raise _fail(source, field, "names neither `low` nor `high`")
    return Alert(doc["type"], doc["severity"], doc.get("low"), doc.get("high"))


def _metric(name: str, raw: Any, units: dict[str, dict[str, tuple[float, float]]], source: str) -> Metric:
    field = f"metrics.{name}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise _fail(source, field, "metric names are snake_case")
    doc = _mapping(raw, source, field)
    _known(
        doc,
        {"unit", "type", "seed_type", "seed_aliases", "device_keys", "valid", "healthy", "alert"},
        source,
        field,
    )
    unit = doc.get("unit")
    if unit not in units:
        raise _fail(source, f"{field}.unit", f"unknown unit {unit!r} (units: {sorted(units)})")
    if doc.get("type") not in VALUE_TYPES:
        raise _fail(source, f"{field}.type", f"expected one of {list(VALUE_TYPES)}, got {doc.get('type')!r}")
    device_keys = {str(k): str(v) for k, v in (doc.get("device_keys") or {}).items()}
    for key, key_unit in device_keys.items():
        if unit_key(key_unit) not in units[unit]:
            raise _fail(source, f"{field}.device_keys.{key}", f"unknown unit {key_unit!r} for {unit} metric")
    seed_type = doc.get("seed_type")
    aliases = tuple(doc.get("seed_aliases") or ())
    if aliases and not seed_type:
        raise _fail(source, f"{field}.seed_aliases", "aliases of a seed_type the metric does not have")
    if not device_keys and not seed_type:
        raise _fail(source, field, "neither device_keys nor seed_type: no record format can carry it")
    if device_keys and unit not in device_keys.values():
        raise _fail(source, f"{field}.device_keys", f"no key in the canonical unit {unit!r}")
    valid = _band(doc.get("valid"), source, f"{field}.valid")
    healthy = None if doc.get("healthy") is None else _band(doc["healthy"], source, f"{field}.healthy")
    if healthy and not (valid[0] <= healthy[0] and healthy[1] <= valid[1]):
        raise _fail(source, f"{field}.healthy", f"{list(healthy)} is not inside valid {list(valid)}")
    alert = _alert(doc.get("alert"), source, f"{field}.alert", healthy)
    return Metric(name, unit, doc["type"], seed_type, aliases, device_keys, valid, healthy, alert)


def parse_rules(text: str, source: str = RULES_FILE) -> TelemetryRules:
    """Validate the rules file's text (``source`` names it in errors)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TelemetryRulesError(f"{source}: not valid YAML: {exc}") from None
    doc = _mapping(doc, source, "<file>")
    _known(doc, {"units", "metrics", "device_types"}, source, "<file>")
    units = _units(doc.get("units"), source)
    metrics = {
        str(n): _metric(str(n), m, units, source) for n, m in _mapping(doc.get("metrics"), source, "metrics").items()
    }
    for kind, spellings in (("seed_type", "seed types"), ("device_keys", "device keys")):
        seen: dict[str, str] = {}
        for m in metrics.values():
            names = [*m.device_keys] if kind == "device_keys" else [t for t in (m.seed_type, *m.seed_aliases) if t]
            for n in names:
                if n in seen:
                    raise _fail(source, f"metrics.{m.name}.{kind}", f"{n!r} already names {seen[n]} ({spellings})")
                seen[n] = m.name
    alert_types = [m.alert.type for m in metrics.values() if m.alert]
    if len(set(alert_types)) != len(alert_types):
        raise _fail(source, "metrics.*.alert.type", f"alert types repeat: {alert_types}")
    device_types: dict[str, tuple[str, ...]] = {}
    for kind, sensors in _mapping(doc.get("device_types"), source, "device_types").items():
        field = f"device_types.{kind}"
        if not isinstance(sensors, list) or not sensors:
            raise _fail(source, field, "expected a non-empty list of metrics")
        unknown = sorted(set(map(str, sensors)) - set(metrics))
        if unknown:
            raise _fail(source, field, f"names unknown metrics {unknown}")
        device_types[str(kind)] = tuple(map(str, sensors))
    return TelemetryRules(units, metrics, device_types)


def load_rules(path: str | Path) -> TelemetryRules:
    """Validate a rules file on disk."""
    return parse_rules(Path(path).read_text(encoding="utf-8"), str(path))


@cache
def telemetry_rules() -> TelemetryRules:
    """The packaged rules (read as a package resource: on Glue the library is a zip on sys.path)."""
    text = resources.files("energylake.reference").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return parse_rules(text, f"energylake/reference/{RULES_FILE}")


# ---- generated output -----------------------------------------------------------------------------------------

COMMAND = "python -m energylake.telemetry_rules --write"
TABLE_FILES = ("lambda/lakeingest/telemetry/telemetry_rules.json", "analytics/streaming/telemetry_rules.json")
CONTRACT_FILES = (
    "glue/lib/energylake/datasets/telemetry_readings.yaml",
    "glue/lib/energylake/datasets/raw_telemetry_seed.yaml",
)
BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN generated (?P<name>[a-z_]+)")
END = re.compile(r"^\s*# END generated (?P<name>[a-z_]+)")


def tables(rules: TelemetryRules) -> dict[str, Any]:
    """The generated tables for the Lambda and the Flink job (plain JSON data, no logic)."""
    return {
        "_comment": f"Generated by `{COMMAND}` from glue/lib/energylake/reference/{RULES_FILE}. Do not edit.",
        "unit_key_strip": UNIT_KEY_STRIP,
        "units": {c: {s: list(f) for s, f in t.items()} for c, t in rules.units.items()},
        "metrics": {
            m.name: {
                "unit": m.unit,
                "type": m.type,
                "seed_types": [t for t in (m.seed_type, *m.seed_aliases) if t],
                "device_keys": m.device_keys,
                "canonical_key": m.canonical_key,
                "valid": list(m.valid),
                "healthy": list(m.healthy) if m.healthy else None,
                "alert": None if m.alert is None else vars(m.alert),
            }
            for m in rules.metrics.values()
        },
        "device_types": {k: list(v) for k, v in rules.device_types.items()},
        "reasons": {
            "malformed_json": MALFORMED_JSON,
            "missing_required": MISSING_REQUIRED,
            "invalid_type": INVALID_TYPE,
            "unknown_metric": UNKNOWN_METRIC,
            "unknown_metric_type": UNKNOWN_METRIC_TYPE,
            "unknown_unit": UNKNOWN_UNIT,
            "missing_site": MISSING_SITE,
        },
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def contract_blocks(rules: TelemetryRules) -> dict[str, list[str]]:
    """The generated blocks of the contracts (YAML lines without their indentation), by block name."""
    names = ", ".join(rules.metrics)
    ranges = [
        f"- {{rule: range, column: value, min: {_number(m.valid[0])}, max: {_number(m.valid[1])}, "
        f"when_column: metric, when_value: {m.name}}}"
        for m in rules.metrics.values()
    ]
    seed_types = ", ".join(m.seed_type for m in rules.metrics.values() if m.seed_type)
    return {
        "metric_rules": [f"- {{rule: allowed_values, column: metric, values: [{names}]}}", *ranges],
        "device_sensors": [f"{kind}: [{', '.join(s)}]" for kind, s in rules.device_types.items()],
        "seed_types": [f"- {{rule: allowed_values, column: type, values: [{seed_types}]}}"],
    }


def fill_blocks(text: str, blocks: dict[str, list[str]], source: str) -> str:
    """``text`` with every ``# BEGIN generated <name>`` ... ``# END generated <name>`` block re-rendered."""
    out: list[str] = []
    lines = iter(text.splitlines(keepends=True))
    for line in lines:
        out.append(line)
        begin = BEGIN.match(line)
        if not begin:
            continue
        name, indent = begin.group("name"), begin.group("indent")
        if name not in blocks:
            raise TelemetryRulesError(f"{source}: unknown generated block {name!r}")
        out.extend(f"{indent}{row}\n" for row in blocks[name])
        for inner in lines:
            end = END.match(inner)
            if end:
                out.append(inner)
                break
        else:
            raise TelemetryRulesError(f"{source}: block {name!r} has no '# END generated {name}'")
    return "".join(out)


def rendered(root: Path, rules: TelemetryRules) -> dict[Path, str]:
    """Every generated file under the repository ``root`` with the text it should have."""
    table = json.dumps(tables(rules), indent=2, ensure_ascii=False) + "\n"
    out = {root / name: table for name in TABLE_FILES}
    blocks = contract_blocks(rules)
    for name in CONTRACT_FILES:
        path = root / name
        out[path] = fill_blocks(path.read_text(encoding="utf-8"), blocks, name)
    return out


# Rendered by the Lambda package from its (generated) table: the IoT rule SQL Terraform reads.
LAYOUT_FILE = "lambda/lakeingest/telemetry/telemetry_layout.json"


def rendered_layout(root: Path) -> str:
    """``telemetry_layout.json`` as the Lambda package under ``root`` renders it from its current table.

    Run in a child interpreter: the shipped library never imports the Lambda package.
    """
    code = "import sys; from lakeingest.telemetry.layout import render; sys.stdout.write(render())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "lambda"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TelemetryRulesError(f"{LAYOUT_FILE}: rendering failed: {proc.stderr[-2000:]}")
    return proc.stdout


def _changed(files: dict[Path, str]) -> list[Path]:
    return [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m energylake.telemetry_rules", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate the files the rules are compiled into")
    mode.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[3], help="repository root")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        rules = load_rules(root / "glue/lib/energylake/reference" / RULES_FILE)
        files = rendered(root, rules)
    except TelemetryRulesError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    changed = _changed(files)
    if args.write:
        for path in changed:
            path.write_text(files[path], encoding="utf-8")
            sys.stdout.write(f"wrote {path.relative_to(root)}\n")
    # The IoT rule SQL is rendered from the Lambda's table, so it follows the table just written.
    try:
        layout = {root / LAYOUT_FILE: rendered_layout(root)}
    except TelemetryRulesError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.check:
        for path in changed + _changed(layout):
            sys.stderr.write(f"stale: {path.relative_to(root)} (run `{COMMAND}`)\n")
        return 1 if changed or _changed(layout) else 0
    for path in _changed(layout):
        path.write_text(layout[path], encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(root)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
