"""Bytes scanned by the project's Athena named queries on curated Parquet vs the same data as raw JSON/CSV.

The curated tables are built by the project's own jobs (every job of jobs.yaml, in workflow order, through the
local Glue runner on the emulated lake, ``bench.engines.project.ProjectRunner.workflow``), and the real named
queries (``terraform/modules/athena/queries/*.sql``) run through ``lakectl.athena_local`` against the emulated
Glue Data Catalog, like Athena would.

Method (stated in the report):
  * curated side: ``lakectl.athena_local`` bytes scanned = compressed column-chunk bytes of the columns read,
    over the files left after partition pruning (Athena's billing model for Parquet);
  * raw side: Athena over JSON/CSV cannot skip columns or row groups, so the same query over the raw data reads
    every byte of the raw objects the curated table is derived from (scaled by the share of partitions read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Curated dataset -> raw/landing prefixes (relative to the generated data root) its rows are derived from.
RAW_SOURCES = {
    "telemetry_readings": ("raw/telemetry",),
    "windfarm_daily_metrics": ("raw/telemetry",),
    "site_hourly_generation": ("raw/telemetry", "landing/openmeteo"),
    "grid_weather_hourly": ("landing/ercot", "landing/openmeteo"),
    "daily_energy_consumption": ("landing/dms/trading/transactions", "landing/dms/trading/customers"),
    "client_analytics": ("landing/dms/trading",),
}


def raw_bytes(data_root: Path, dataset: str) -> int:
    """Bytes of the raw objects a curated dataset is derived from."""
    return sum(
        p.stat().st_size
        for prefix in RAW_SOURCES.get(dataset, ())
        for p in (data_root / prefix).rglob("*")
        if p.is_file()
    )


def measure_named_queries(data_root: Path) -> dict[str, Any]:
    """Run every named query against the catalog of the current (emulated) lake; bytes per query and the share."""
    from lakectl import athena_local

    queries = athena_local.load_named_queries()
    if not queries:
        return {"available": False, "reason": f"no named queries under {athena_local.NAMED_QUERIES_DIR}"}
    results: dict[str, Any] = {}
    total_curated = total_raw = 0
    for name, query in sorted(queries.items()):
        try:
            res = athena_local.run_named_query(query, None)
        except Exception as exc:
            results[name] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
            continue
        raw = 0
        for scan in res.scans.values():
            share = scan.files_read / scan.files_total if scan.files_total else 1.0
            raw += int(raw_bytes(data_root, scan.table.split(".")[-1]) * share)
        results[name] = {"curated_bytes": res.bytes_scanned, "raw_json_bytes": raw,
                         "tables": sorted(res.scans), "share": res.bytes_scanned / raw if raw else None,
                         "rows": res.table.num_rows}  # fmt: skip
        total_curated += res.bytes_scanned
        total_raw += raw
    return {
        "available": True,
        "method": "lakectl.athena_local bytes scanned (Parquet column chunks after partition pruning) on the "
        "tables the project's jobs built vs raw JSON/CSV object bytes the tables derive from",
        "queries": results,
        "curated_bytes": total_curated,
        "raw_json_bytes": total_raw,
        "scan_share": total_curated / total_raw if total_raw else None,
    }
