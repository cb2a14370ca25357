"""Streaming job settings and SQL rendering; pure Python, shared by the Flink app, the local run and tests.

The SQL lives in ``sql/*.sql``. Only connector options (``${..._options}``), partitioning, the lateness of
``rules.yaml`` and the fragments ``telemetry_sql`` renders from the generated telemetry rules (metrics, unit
conversions, reject reasons, alert bands) are substituted, so the deployed job and the local bounded run execute
the same statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analytics.streaming.telemetry_sql import TABLE_PATH, load_table, placeholders

PACKAGE_DIR = Path(__file__).resolve().parent
SQL_DIR = PACKAGE_DIR / "sql"
RULES_PATH = PACKAGE_DIR / "rules.yaml"
SOURCE_SQL = "00_source.sql"  # rendered once per telemetry source (Kinesis stream)

#: Output tables of the job, in statement-set order.
SINKS: tuple[str, ...] = (
    "device_aggregates",
    "site_aggregates",
    "telemetry_alerts",
    "late_readings",
    "rejected_records",
)

# Event time: `ts` (device format) or `date` (seed format), ISO-8601 UTC with 'Z', '+00:00' or no suffix.
# Any other offset fails to parse and the record is rejected with a reason rather than mis-timed.
PARSED_TS_SQL = (
    "TO_TIMESTAMP(REGEXP_REPLACE(REPLACE(COALESCE(JSON_VALUE(payload, '$.ts'), JSON_VALUE(payload, '$.date')), "
    "'T', ' '), '(Z|\\+00:00)$', ''))"
)


@dataclass(frozen=True)
class StreamingRules:
    """Window size and allowed lateness (rules.yaml) and the telemetry rules table (telemetry_rules.json)."""

    window_minutes: int
    allowed_lateness_seconds: int
    telemetry: dict[str, Any] = field(default_factory=dict)

    @property
    def alerts(self) -> dict[str, dict[str, Any]]:
        """Metric -> its alert rule plus its healthy band (``low``/``high`` statistics, ``healthy`` [min, max])."""
        metrics = self.telemetry["metrics"]
        return {name: {**m["alert"], "healthy": m["healthy"]} for name, m in metrics.items() if m["alert"]}


def load_rules(path: Path = RULES_PATH, table_path: Path = TABLE_PATH) -> StreamingRules:
    """Read and validate rules.yaml (and the generated telemetry rules); a bad file fails naming file and field."""
    raw = yaml.safe_load(path.read_text()) or {}
    if "thresholds" in raw:
        raise ValueError(
            f"{path}: thresholds are no longer set here: alert bands are the metrics' healthy bands in "
            "glue/lib/energylake/reference/telemetry_rules.yaml (then python -m energylake.telemetry_rules --write)"
        )
    unknown = sorted(set(raw) - {"window_minutes", "allowed_lateness_seconds"})
    if unknown:
        raise ValueError(f"{path}: unknown fields {unknown}")
    if raw.get("window_minutes") != 1:
        raise ValueError(f"{path}: window_minutes must be 1 (the SQL windows and lateness test are 1-minute)")
    lateness = raw.get("allowed_lateness_seconds")
    if not isinstance(lateness, int) or lateness < 0:
        raise ValueError(f"{path}: allowed_lateness_seconds must be a non-negative integer")
    return StreamingRules(1, lateness, load_table(table_path))


def with_options(options: dict[str, str]) -> str:
    """Render a connector option map as the body of a SQL WITH clause."""
    for key, value in options.items():
        if "'" in key or "'" in str(value):
            raise ValueError(f"connector option {key!r} must not contain a quote")
    return ",\n  ".join(f"'{k}' = '{v}'" for k, v in options.items())


@dataclass(frozen=True)
class Connectors:
    """Connector options of each source (one per telemetry stream) and each sink, plus sink partitioning columns."""

    sources: dict[str, dict[str, str]]
    sinks: dict[str, dict[str, str]]
    partition_by: dict[str, str] = field(default_factory=dict)


def _source_names(names: Iterable[str]) -> list[str]:
    """Source names become table names (telemetry_raw_<name>): lower-case identifiers, at least one."""
    out = list(names)
    if not out:
        raise ValueError("the job needs at least one telemetry source")
    bad = [n for n in out if not re.fullmatch(r"[a-z][a-z0-9_]*", n)]
    if bad:
        raise ValueError(f"source names must be lower-case SQL identifiers, got {bad}")
    return out


def filesystem_connectors(input_path: str | Path | Mapping[str, str | Path], out_dir: str | Path) -> Connectors:
    """Bounded local run: read newline-delimited JSON file(s) (one per source), write JSON-lines per sink.

    ``input_path`` is one file or directory (source ``telemetry``) or ``{source name: path}``, e.g. one file per
    Kinesis stream (``{"devices": ..., "windfarm": ...}``).
    """
    inputs = dict(input_path) if isinstance(input_path, Mapping) else {"telemetry": input_path}
    sources = {
        name: {"connector": "filesystem", "path": str(inputs[name]), "format": "raw"} for name in _source_names(inputs)
    }
    sinks = {
        name: {
            "connector": "filesystem",
            "path": str(Path(out_dir) / name),
            "format": "json",
            "json.timestamp-format.standard": "ISO-8601",
        }
        for name in SINKS
    }
    return Connectors(sources, sinks)


def kinesis_connectors(
    region: str,
    input_stream_arns: str | Mapping[str, str],
    aggregates_stream_arn: str,
    alerts_stream_arn: str,
    errors_stream_arn: str,
    init_position: str = "LATEST",
) -> Connectors:
    """Deployed run: one Kinesis source per telemetry stream and the sinks (flink-connector-aws-kinesis-streams 5.x).

    ``input_stream_arns`` maps a source name to its stream ARN (``{"devices": ..., "windfarm": ...}``); a single
    ARN is source ``telemetry``.
    """

    def sink(arn: str) -> dict[str, str]:
        return {
            "connector": "kinesis",
            "stream.arn": arn,
            "aws.region": region,
            "format": "json",
            "json.timestamp-format.standard": "ISO-8601",
        }

    arns = dict(input_stream_arns) if isinstance(input_stream_arns, Mapping) else {"telemetry": input_stream_arns}
    sources = {
        name: {
            "connector": "kinesis",
            "stream.arn": arns[name],
            "aws.region": region,
            "source.init.position": init_position,
            "format": "raw",
        }
        for name in _source_names(arns)
    }
    sinks = {
        "device_aggregates": sink(aggregates_stream_arn),
        "site_aggregates": sink(aggregates_stream_arn),
        "telemetry_alerts": sink(alerts_stream_arn),
        "late_readings": sink(errors_stream_arn),
        "rejected_records": sink(errors_stream_arn),
    }
    # Kinesis partition keys: keep a site's records on one shard so consumers see them in order.
    partition_by = {"device_aggregates": "site_id", "site_aggregates": "site_id", "telemetry_alerts": "site_id"}
    return Connectors(sources, sinks, partition_by)


def split_statements(sql: str) -> list[str]:
    """Split a SQL file into statements on ';' at the end of a line (SQL comments removed)."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip()]


def substitute(text: str, values: dict[str, Any], source: str) -> str:
    """Replace ${name} placeholders (JSON paths like '$.id' are left alone); unknown names fail clearly."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"{source}: unknown placeholder ${{{name}}}")
        return str(values[name])

    return re.sub(r"\$\{(\w+)\}", value, text)


def source_union_sql(names: Iterable[str]) -> str:
    """The ``telemetry_raw`` view: every source table's records, UNION ALL (event time and watermark kept)."""
    return "\nUNION ALL\n".join(f"SELECT payload, parsed_ts, event_ts FROM telemetry_raw_{n}" for n in names)


def render_statements(connectors: Connectors, rules: StreamingRules | None = None) -> list[str]:
    """All statements of the job (DDL, views, then the INSERTs), rendered for the given connectors.

    ``00_source.sql`` is rendered once per source (``${source_name}``); the other files once.
    """
    rules = rules or load_rules()
    names = _source_names(connectors.sources)
    values: dict[str, Any] = {
        "parsed_ts": PARSED_TS_SQL,
        "allowed_lateness_seconds": rules.allowed_lateness_seconds,
        "source_union": source_union_sql(names),
        **placeholders(rules.telemetry),
    }
    for name in SINKS:
        values[f"{name}_options"] = with_options(connectors.sinks[name])
        column = connectors.partition_by.get(name)
        values[f"{name}_partitioning"] = f"PARTITIONED BY ({column})" if column else ""
    statements: list[str] = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        if path.name == SOURCE_SQL:
            for name in names:
                per_source = {**values, "source_name": name, "source_options": with_options(connectors.sources[name])}
                statements.extend(split_statements(substitute(path.read_text(), per_source, path.name)))
        else:
            statements.extend(split_statements(substitute(path.read_text(), values, path.name)))
    return statements
