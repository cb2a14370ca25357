"""The telemetry raw->transform in DuckDB: the single-node reference engine of the benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from bench.semantics import RICH_KEYS, SEED_TYPES, UNITS, RunCounts, metric_ranges, min_event_ts


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
    rich_unnest = ", ".join(f"{{'metric': '{m}', 'text': r.metrics.{k}}}" for k, m in RICH_KEYS.items())
    # One JSON parse per line (json_valid guards from_json, which raises on malformed input).
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
        ), typed AS (
            SELECT source_file, line_no, line, r,
                   r IS NOT NULL AND (r.metrics IS NOT NULL OR r.device_id IS NOT NULL) AS rich,
                   TRY_CAST(COALESCE(r.date, r.ts) AS TIMESTAMPTZ)::TIMESTAMP AS event_ts
            FROM parsed
        )
        SELECT source_file, line_no, line, r, rich, event_ts,
            CASE
                WHEN r IS NULL THEN 'malformed_json'
                WHEN rich AND (r.device_id IS NULL OR r.ts IS NULL OR r.metrics IS NULL)
                    THEN 'missing_field'
                WHEN NOT rich AND (r.id IS NULL OR r.type IS NULL OR r.date IS NULL OR r.data IS NULL)
                    THEN 'missing_field'
                WHEN NOT rich AND TRY_CAST(r.data AS DOUBLE) IS NULL THEN 'wrong_type'
                WHEN NOT rich AND {_map_case("r.type", SEED_TYPES)} IS NULL THEN 'unknown_metric'
                WHEN event_ts IS NULL THEN 'bad_timestamp'
            END AS reason
        FROM typed
    """)
    con.execute(f"""
        CREATE TEMP TABLE candidates AS
        SELECT source_file, line_no, r.id AS device_id,
               NULLIF(regexp_extract(r.id, '^(.+)-T[0-9]+$', 1), '') AS site_id,
               {_map_case("r.type", SEED_TYPES)} AS metric, TRY_CAST(r.data AS DOUBLE) AS value, event_ts,
               NULL AS text
        FROM recs WHERE reason IS NULL AND NOT rich
        UNION ALL
        SELECT source_file, line_no, device_id, site_id, m.metric, TRY_CAST(m.text AS DOUBLE), event_ts, m.text FROM (
            SELECT source_file, line_no, r.device_id AS device_id,
                   COALESCE(r.site_id, NULLIF(regexp_extract(r.device_id, '^(.+)-T[0-9]+$', 1), '')) AS site_id,
                   event_ts, unnest([{rich_unnest}]) AS m
            FROM recs WHERE reason IS NULL AND rich
        ) WHERE m.text IS NOT NULL
    """)
    con.execute(f"""
        CREATE TEMP TABLE checked AS
        SELECT *, CASE
            WHEN value IS NULL THEN 'wrong_type'
            WHEN site_id IS NULL THEN 'missing_field'
            WHEN NOT (CASE metric {range_case} END) THEN 'out_of_range'
            WHEN event_ts < TIMESTAMP '{min_event_ts().isoformat(sep=" ")}' THEN 'too_old'
            WHEN event_ts > now()::TIMESTAMP THEN 'in_future'
        END AS reason
        FROM candidates
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
            SELECT 'telemetry_to_transform', 'bench', source_file, reason,
                   json_object('device_id', device_id, 'metric', metric, 'value', value, 'event_ts', event_ts)::VARCHAR,
                   now()::TIMESTAMP, 'telemetry_readings'
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
