"""Adapter to the project's telemetry raw->transform (glue/lib/energylake + glue/jobs/telemetry_to_transform.py).

This is the ONLY place the benchmark touches the project's API, so when that API moves only this file changes.
The benchmark calls the library functions directly on local Spark with local paths (what the Glue job does
after argument parsing), and writes with the job's own writer so file sizing is the project's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from pyspark.sql import SparkSession

from bench.semantics import RunCounts


class ProjectJobUnavailable(RuntimeError):  # noqa: N818 - reads as a state, like FileNotFound
    """The project's telemetry transform could not be imported (the glue branch is not merged or its API moved)."""


# Candidate entry points, tried in order: (module, function). Re-check after the glue branch merges.
_ENTRY_POINTS: tuple[tuple[str, str], ...] = (
    ("energylake.telemetry", "run_telemetry_transform"),
    ("energylake.telemetry", "transform_telemetry_files"),
)


def _entry() -> Callable[..., Any]:
    try:
        return _find(_ENTRY_POINTS)
    except ProjectJobUnavailable as first:
        try:
            return _compose_from_library()
        except ImportError as exc:
            raise ProjectJobUnavailable(f"{first}; library composition failed: {exc}") from exc


def _find(entry_points: tuple[tuple[str, str], ...]) -> Callable[..., Any]:
    errors = []
    for module, name in entry_points:
        try:
            fn = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            errors.append(f"{module}.{name}: {exc}")
            continue
        return fn
    raise ProjectJobUnavailable("project entry point not found; tried " + "; ".join(errors))


def available() -> str | None:
    """None when the project transform can be called, else why not."""
    try:
        _entry()
    except ProjectJobUnavailable as exc:
        return str(exc)
    return None


def _compose_from_library() -> Callable[..., Any]:
    """Fallback while the job exposes no callable entry point: the job's steps from the energylake library.

    read_lines -> telemetry_readings (parse, cast, units, quality) -> deduplicate on the primary key ->
    Parquet partitioned by the contract's partition_by, one file per partition (repartition on the partition
    columns). Adapter point: replace with the job's own run function once it exists.
    """
    from pyspark.sql import functions as F

    from energylake.contracts import get_contract
    from energylake.dedup import deduplicate, winner_order
    from energylake.parse import read_lines
    from energylake.telemetry import telemetry_readings

    contract = get_contract("telemetry_readings")
    names = [c.name for c in contract.columns]

    def run(spark: SparkSession, files: list[str], output: str, quarantine: str) -> dict[str, int]:
        lines = read_lines(spark, files).cache()
        valid, bad = telemetry_readings(lines)
        winners, losers = deduplicate(valid, contract.primary_key, winner_order(valid, "event_ts"))
        winners = winners.select(*names).cache()
        parts = contract.partition_by
        winners.repartition(*parts).write.mode("overwrite").partitionBy(*parts).parquet(output)
        bad = bad.cache()
        bad.withColumn("quarantined_ts", F.current_timestamp()).write.mode("overwrite").parquet(quarantine)
        report = {
            "records_in": lines.count(),
            "rows_written": winners.count(),
            "rows_quarantined": bad.count(),
            "rows_deduplicated": losers.count(),
        }
        for frame in (lines, winners, bad):
            frame.unpersist()
        return report

    return run


def transform(spark: SparkSession, files: Sequence[str], output: str, quarantine: str) -> Callable[[], RunCounts]:
    """Run the project's transform over `files`, writing `output` and `quarantine`; returns the row accounting."""
    fn = _entry()
    result = fn(spark, list(files), output, quarantine)
    counts = _counts(result)
    return lambda: counts


def _counts(result: Any) -> RunCounts:
    """Map the project's run report onto RunCounts (attribute or dict access)."""

    def get(*names: str) -> int:
        for name in names:
            if isinstance(result, dict) and name in result:
                return int(result[name])
            if hasattr(result, name):
                return int(getattr(result, name))
        raise ProjectJobUnavailable(f"project run report has none of {names}: {result!r}")

    records_in = get("records_in", "rows_read", "read")
    rows_out = get("rows_out", "rows_written", "written")
    quarantined = get("quarantined", "rows_quarantined")
    duplicates = get("duplicates", "deduplicated", "rows_deduplicated")
    return RunCounts(
        records_in=records_in,
        candidate_rows=rows_out + quarantined + duplicates,
        rows_out=rows_out,
        quarantined=quarantined,
        duplicates=duplicates,
    )


# Candidate CDC entry points: fn(spark, dms_root, output_root) -> run report with counts.
_CDC_ENTRY_POINTS: tuple[tuple[str, str], ...] = (
    ("energylake.cdc", "run_cdc_apply"),
    ("energylake.cdc", "apply_dms_tables"),
)


def cdc_available() -> str | None:
    """None when the project's CDC apply can be called, else why not."""
    try:
        _find(_CDC_ENTRY_POINTS)
    except ProjectJobUnavailable as exc:
        return str(exc)
    return None


def cdc_apply(spark: SparkSession, dms_root: str, output: str) -> RunCounts:
    """Apply the DMS full-load + CDC files under dms_root with the project's CDC apply; row accounting."""
    result = _find(_CDC_ENTRY_POINTS)(spark, dms_root, output)
    counts = _counts(result)
    counts.records_in = int(result.get("changes", counts.records_in) if isinstance(result, dict) else counts.records_in)
    return counts
