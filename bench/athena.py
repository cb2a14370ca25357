"""Bytes scanned by the project's Athena named queries on curated Parquet vs the same data as raw JSON.

Method (stated in the report):
  * curated side: the local Athena engine (`lakectl.athena_local.run_query`) over local Parquet directories; its
    bytes scanned = compressed column-chunk bytes of the columns read, over the files left after partition
    pruning (Athena's billing model for Parquet);
  * raw side: Athena over JSON cannot skip columns or row groups, so a query reads every byte of the raw objects
    of the same partitions (dates): raw bytes of the source = raw bytes x (files read / files total) of the scan.
Tables the benchmark cannot build yet are reported as skipped, with the reason.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import duckdb

# Dataset -> raw/landing prefix (relative to the generated data root) its rows come from.
RAW_SOURCES = {
    "telemetry_readings": "raw/telemetry",
    "windfarm_daily_metrics": "raw/telemetry",
    "site_hourly_generation": "raw/telemetry",
}


def _engine() -> Any:
    """lakectl.athena_local (governance branch). Adapter point: re-check after that branch merges."""
    return importlib.import_module("lakectl.athena_local")


def build_windfarm_daily_metrics(telemetry: Path, out: Path) -> Path:
    """Daily per-device statistics from telemetry_readings (contract windfarm_daily_metrics) in DuckDB.

    Used until the project's curated builder is wired in here; the layout (partition_by metric_date, snappy
    Parquet) is the contract's, which is what bytes scanned depends on.
    """
    from bench.semantics import metric_ranges

    band = " ".join(f"WHEN '{m}' THEN value NOT BETWEEN {lo} AND {hi}" for m, (lo, hi) in metric_ranges().items())
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""
        COPY (
            SELECT site_id, device_id, metric, avg(value) AS avg_value, min(value) AS min_value,
                   max(value) AS max_value, quantile_cont(value, 0.95) AS p95_value, count(*) AS reading_count,
                   count(*) FILTER (WHERE CASE metric {band} END) AS out_of_band_count,
                   CAST(event_date AS DATE) AS metric_date
            FROM read_parquet('{telemetry}/**/*.parquet', hive_partitioning = true)
            GROUP BY ALL
        ) TO '{out}' (FORMAT parquet, PARTITION_BY (metric_date), COMPRESSION snappy, OVERWRITE_OR_IGNORE true)
    """)
    con.close()
    return out


def measure(data_root: Path, out_root: Path, telemetry: Path | None) -> dict[str, Any]:
    """Run every named query; per query curated bytes, raw-JSON-equivalent bytes and the share."""
    try:
        engine = _engine()
    except ImportError as exc:
        return {"available": False, "reason": f"local Athena engine not importable: {exc}"}
    queries = engine.load_named_queries()
    if not queries:
        return {"available": False, "reason": f"no named queries under {engine.NAMED_QUERIES_DIR}"}
    if telemetry is None or not telemetry.exists():
        return {"available": False, "reason": "no telemetry output to query"}
    locations = {
        "telemetry_readings": str(telemetry),
        "windfarm_daily_metrics": str(
            build_windfarm_daily_metrics(telemetry, out_root / "curated" / "windfarm_daily_metrics")
        ),
    }
    raw_bytes = {
        ds: sum(p.stat().st_size for p in (data_root / prefix).rglob("*") if p.is_file())
        for ds, prefix in RAW_SOURCES.items()
    }
    results: dict[str, Any] = {}
    total_curated = total_raw = 0
    for name, query in sorted(queries.items()):
        try:
            res = engine.run_query(query.sql, None, database=query.database, locations=locations)
        except Exception as exc:
            results[name] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
            continue
        raw = 0
        for scan in res.scans.values():
            dataset = scan.table.split(".")[-1]
            share = scan.files_read / scan.files_total if scan.files_total else 1.0
            raw += int(raw_bytes.get(dataset, 0) * share)
        results[name] = {"curated_bytes": res.bytes_scanned, "raw_json_bytes": raw,
                         "share": res.bytes_scanned / raw if raw else None, "rows": res.table.num_rows}  # fmt: skip
        total_curated += res.bytes_scanned
        total_raw += raw
    return {
        "available": True,
        "method": "lakectl.athena_local bytes scanned (Parquet column chunks after partition pruning) vs raw JSON "
        "object bytes of the same partitions",
        "queries": results,
        "curated_bytes": total_curated,
        "raw_json_bytes": total_raw,
        "scan_share": total_curated / total_raw if total_raw else None,
    }
