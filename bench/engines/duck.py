"""The telemetry raw->transform in DuckDB: the single-node reference engine of the benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from bench.semantics import (
    REASON_FUTURE,
    REASON_MALFORMED,
    REASON_MISSING,
    REASON_RANGE,
    REASON_TOO_OLD,
    REASON_TYPE,
    REASON_UNKNOWN_TYPE,
    RICH_KEYS,
    SEED_TYPES,
    UNITS,
    RunCounts,
    metric_ranges,
    min_event_ts,
)


def _map_case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def transform(
    files: list[str], output: Path, quarantine: Path, threads: int | None = None, memory_limit: str | None = None
) -> RunCounts:
    """Parse, validate, explode, de-duplicate and write partitioned Parquet (event_date, metric) + quarantine."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    ranges = metric_ranges()
    range_case = " ".join(f"WHEN '{m}' THEN value BETWEEN {lo} AND {hi}" for m, (lo, hi) in ranges.items())
    structure = {k: "VARCHAR" for k in ("id", "data", "type", "date", "device_id", "site_id", "ts")}
    structure["metrics"] = {k: "VARCHAR" for k in RICH_KEYS}  # type: ignore[assignment]
    struct_sql = json.dumps(structure)
    # Numbers arrive as text in the VARCHAR struct; a device metric that does not cast is quarantined on its own.
    rich_unnest = ", ".join(f"{{'key': '{k}', 'metric': '{m}', 'text': r.metrics.{k}}}" for k, m in RICH_KEYS.items())
    site_of = "NULLIF(regexp_extract({}, '^(.+)-T[0-9]+$', 1), '')"
    # One JSON parse per line (json_valid guards from_json, which raises on malformed input). A line that cannot
    # be split into readings is quarantined whole; every other check is per reading (bench.semantics' grain).
    con.execute(f"""
        CREATE TEMP TABLE recs AS
        WITH lines AS (
            SELECT source_file, unnest(split) AS line, generate_subscripts(split, 1) AS line_no FROM (
                SELECT filename AS source_file, string_split(content, chr(10)) AS split
                FROM read_text({_sql_list(files)})
            )
        ), parsed AS (
            SELECT source_file, line_no, line,
                   CASE WHEN json_valid(line) AND starts_with(ltrim(line), '{{')
                        THEN from_json(line, '{struct_sql}') END AS r
            FROM lines WHERE line <> ''
        )
        SELECT source_file, line_no, line, r,
               r IS NOT NULL AND (r.metrics IS NOT NULL OR r.device_id IS NOT NULL) AS rich,
               CASE WHEN r IS NULL THEN '{REASON_MALFORMED}'
                    WHEN (r.metrics IS NOT NULL OR r.device_id IS NOT NULL) AND r.metrics IS NULL
                        THEN '{REASON_MISSING}:metrics' END AS reason
        FROM parsed
    """)
    con.execute(f"""
        CREATE TEMP TABLE candidates AS
        SELECT source_file, line_no, line AS raw_record, r.id AS device_id, {site_of.format("r.id")} AS site_id,
               r.type AS type, {_map_case("r.type", SEED_TYPES)} AS metric, r.data AS text, r.date AS ts_text
        FROM recs WHERE reason IS NULL AND NOT rich
        UNION ALL
        SELECT source_file, line_no, line || ' #' || m.key, device_id, site_id, NULL, m.metric, m.text, ts_text FROM (
            SELECT source_file, line_no, line, r.device_id AS device_id,
                   COALESCE(r.site_id, {site_of.format("r.device_id")}) AS site_id,
                   r.ts AS ts_text, unnest([{rich_unnest}]) AS m
            FROM recs WHERE reason IS NULL AND rich
        ) WHERE m.text IS NOT NULL
    """)
    # The checks in the project's order: metric, value and time types, ids, then the contract's rules.
    con.execute(f"""
        CREATE TEMP TABLE checked AS
        SELECT *, CASE
            WHEN type IS NULL AND metric IS NULL THEN '{REASON_MISSING}:type'
            WHEN metric IS NULL THEN '{REASON_UNKNOWN_TYPE}:' || type
            WHEN trim(COALESCE(text, '')) = '' THEN '{REASON_MISSING}:value'
            WHEN value IS NULL THEN '{REASON_TYPE}:value'
            WHEN trim(COALESCE(ts_text, '')) = '' THEN '{REASON_MISSING}:event_ts'
            WHEN event_ts IS NULL THEN '{REASON_TYPE}:event_ts'
            WHEN device_id IS NULL OR site_id IS NULL THEN '{REASON_MISSING}:device_id'
            WHEN NOT (CASE metric {range_case} END) THEN '{REASON_RANGE}:value'
            WHEN event_ts < TIMESTAMP '{min_event_ts().isoformat(sep=" ")}' THEN '{REASON_TOO_OLD}:event_ts'
            WHEN event_ts > now()::TIMESTAMP THEN '{REASON_FUTURE}:event_ts'
        END AS reason
        FROM (
            SELECT *, TRY_CAST(trim(text) AS DOUBLE) AS value,
                   TRY_CAST(trim(ts_text) AS TIMESTAMPTZ)::TIMESTAMP AS event_ts
            FROM candidates
        )
    """)
    unit_case = _map_case("metric", UNITS)
    output.mkdir(parents=True, exist_ok=True)
    # On a primary-key collision the winner is the Spark jobs' one: first source file, then first line.
    rows_out = con.execute(f"""
        COPY (
            SELECT device_id, any_value(site_id) AS site_id, metric, arg_min(value, (source_file, line_no)) AS value,
                   any_value({unit_case}) AS unit, event_ts, now()::TIMESTAMP AS ingested_ts,
                   min(source_file) AS source_file, CAST(event_ts AS DATE) AS event_date
            FROM checked WHERE reason IS NULL
            GROUP BY device_id, metric, event_ts
        ) TO '{output}' (FORMAT parquet, PARTITION_BY (event_date, metric), COMPRESSION snappy,
                          OVERWRITE_OR_IGNORE true)
    """).fetchone()[0]  # type: ignore[index]
    quarantine.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        COPY (
            SELECT 'telemetry_to_transform' AS job_name, 'bench' AS run_id, source_file, reason, line AS raw_record,
                   now()::TIMESTAMP AS quarantined_ts, 'telemetry_readings' AS dataset
            FROM recs WHERE reason IS NOT NULL
            UNION ALL
            SELECT 'telemetry_to_transform', 'bench', source_file, reason, raw_record, now()::TIMESTAMP,
                   'telemetry_readings'
            FROM checked WHERE reason IS NOT NULL
        ) TO '{quarantine / "part-0.parquet"}' (FORMAT parquet, COMPRESSION snappy)
    """)
    records_in, bad_records = con.execute("SELECT count(*), count(reason) FROM recs").fetchone()  # type: ignore[misc]
    candidates, bad_rows, good = con.execute(
        "SELECT count(*), count(reason), count(*) - count(reason) FROM checked"
    ).fetchone()  # type: ignore[misc]
    con.close()
    return RunCounts(
        records_in=records_in,
        candidate_rows=candidates + bad_records,
        rows_out=rows_out,
        quarantined=bad_records + bad_rows,
        duplicates=good - rows_out,
    )
