"""The telemetry raw->transform semantics every engine in the benchmark implements (the comparison's contract).

Derived from the telemetry_readings contract: metric names and ranges come from its quality rules, so the
baselines check exactly what the project's job is asked to check. One difference: the project judges a future
reading against its object's arrival (ingested_ts), the baselines against the clock; the generated readings
all lie before both, so every engine passes them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from energylake.contracts import get_contract
from energylake.telemetry_rules import (
    INVALID_TYPE,
    MALFORMED_JSON,
    MISSING_REQUIRED,
    UNKNOWN_METRIC,
    UNKNOWN_METRIC_TYPE,
    telemetry_rules,
)

CONTRACT = "telemetry_readings"
# Seed wind-farm `type` and device-format `metrics` keys (the canonical-unit ones the generator sends) -> metric
# name, and each metric's unit: from the lake's telemetry rules (reference/telemetry_rules.yaml).
_METRICS = telemetry_rules().metrics.values()
SEED_TYPES = {m.seed_type: m.name for m in _METRICS if m.seed_type}
RICH_KEYS = {m.canonical_key: m.name for m in _METRICS if m.canonical_key}
UNITS = {m.name: m.unit for m in _METRICS}
# Columns compared across engines: every column of telemetry_readings but ingested_ts (the time of the run or of
# the object's arrival, which legitimately differs). source_file is compared as its path below the telemetry
# prefix (SOURCE_KEY_SQL): the project reads s3://<raw>/telemetry/..., the baselines the same files on disk.
COMPARED_COLUMNS = ("device_id", "site_id", "metric", "value", "unit", "event_ts", "source_file", "event_date")

# Quarantine: ONE counting grain for every engine, the project's (the contract's accounting is per reading):
# a line that cannot be split into readings (malformed JSON, not an object) is one row, with the line as
# raw_record; a line that parses is one row per reading it carries (a seed line has one, a device line one per
# `metrics` member), each with the line plus " #<metrics key>" for a device reading, even when the check that
# failed (a missing or bad timestamp, a missing device id) is a property of the whole line.
# Reasons are compared by their code, the text before the first ':' (the detail after it, e.g. "(got 95.0)",
# is each engine's own formatting of the value); the codes are the lake's (energylake.telemetry_rules, and the
# contract rule labels of energylake.quality).
REASON_MALFORMED = MALFORMED_JSON
REASON_MISSING = MISSING_REQUIRED
REASON_TYPE = INVALID_TYPE
REASON_UNKNOWN_TYPE = UNKNOWN_METRIC_TYPE  # a seed record's `type` the rules do not know
REASON_UNKNOWN_KEY = UNKNOWN_METRIC  # a device record's `metrics` key the rules do not know
REASON_RANGE = "out_of_range"  # energylake.quality: range rule
REASON_TOO_OLD = "too_old"  # energylake.quality: min_timestamp rule
REASON_FUTURE = "future"  # energylake.quality: not_future rule
QUARANTINE_COLUMNS = ("source_file", "reason", "raw_record")


def source_key_sql(column: str) -> str:
    """SQL (DuckDB) for a source file's path below the telemetry prefix, whatever the scheme and bucket."""
    return f"regexp_extract({column}, '.*/telemetry/(.*)$', 1)"


def reason_code_sql(column: str) -> str:
    """SQL (DuckDB) for a quarantine reason's code (the text before the first ':' or ';')."""
    return f"regexp_extract({column}, '^([^:;]*)', 1)"


def metric_ranges() -> dict[str, tuple[float, float]]:
    """metric -> (min, max) from the contract's conditional range rules."""
    out = {}
    for rule in get_contract(CONTRACT).quality:
        if rule.rule == "range" and rule.when_column == "metric" and rule.when_value:
            out[rule.when_value] = (float(rule.min), float(rule.max))  # type: ignore[arg-type]
    return out


def min_event_ts() -> datetime:
    """Earliest accepted event time (the contract's min_timestamp rule)."""
    for rule in get_contract(CONTRACT).quality:
        if rule.rule == "min_timestamp" and rule.value:
            return datetime.fromisoformat(rule.value)
    return datetime(2000, 1, 1)


@dataclass
class RunCounts:
    """Row accounting of one transform run: rows in = rows out + quarantined + de-duplicated."""

    records_in: int  # raw lines read
    candidate_rows: int  # rows after exploding device records (quarantined records count as one)
    rows_out: int
    quarantined: int
    duplicates: int
    extra: dict[str, int] = field(default_factory=dict)

    def balanced(self) -> bool:
        """True when no row was silently lost."""
        return self.candidate_rows == self.rows_out + self.quarantined + self.duplicates

    def as_dict(self) -> dict[str, object]:
        """Plain dict for the results JSON."""
        return asdict(self)
