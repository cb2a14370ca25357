"""The compared implementations produce the same rows on a tiny input (the comparison is apples to apples)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.engines import duck, naive, project
from bench.generate import generate
from bench.run import compare_outputs

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, object, list[str]]:
    """~400 KiB of telemetry (both formats, bad/duplicate/late records) plus the file list."""
    root = tmp_path_factory.mktemp("tiny")
    stats = generate(root, seed=5, size="600KB", cdc_changes=1000, devices_per_site=3)
    files = sorted(str(p) for p in (root / "raw" / "telemetry").rglob("*") if p.is_file())
    return root, stats, files


@pytest.fixture(scope="module")
def duck_out(tiny, tmp_path_factory):
    """The DuckDB reference output and its counts."""
    _, _, files = tiny
    out = tmp_path_factory.mktemp("duck")
    return out / "data", duck.transform(files, out / "data", out / "quarantine", threads=2)


def test_duckdb_accounts_for_every_row(tiny, duck_out) -> None:
    _, stats, _ = tiny
    _, counts = duck_out
    assert counts.records_in == stats.records["telemetry/windfarm"] + stats.records["telemetry/devices"]
    assert counts.balanced(), counts
    assert counts.quarantined >= sum(stats.bad.values())  # record-level rejects plus out-of-range rows
    assert counts.duplicates > 0 and counts.rows_out > counts.records_in  # device records explode to many rows


def test_naive_baseline_matches_duckdb(spark, tiny, duck_out, tmp_path: Path) -> None:
    root, _, _ = tiny
    duck_data, duck_counts = duck_out
    counts = naive.transform(spark, str(root / "raw" / "telemetry"), str(tmp_path / "data"), str(tmp_path / "q"))()
    assert counts.balanced(), counts
    assert (counts.records_in, counts.rows_out, counts.quarantined, counts.duplicates) == (
        duck_counts.records_in,
        duck_counts.rows_out,
        duck_counts.quarantined,
        duck_counts.duplicates,
    )
    comparison = compare_outputs({"naive": tmp_path / "data", "duckdb": duck_data})
    assert comparison["rows"]["naive"] == duck_counts.rows_out
    assert comparison["differences"] == {"duckdb vs naive": 0}


def test_project_job_matches_duckdb(aws, spark, tiny, duck_out, tmp_path: Path) -> None:
    """The real glue/jobs/telemetry_to_transform.py (local Glue runner, emulated S3 + catalog) gives the same rows."""
    assert project.available() is None
    root, _, files = tiny
    duck_data, duck_counts = duck_out
    runner = project.ProjectRunner(aws)
    seconds, cpu, rss, counts = runner.telemetry(str(root / "raw" / "telemetry"), files, tmp_path)
    assert seconds > 0 and cpu > 0 and rss > 0
    assert counts.balanced(), counts
    assert counts.records_in == duck_counts.records_in
    assert counts.rows_out == duck_counts.rows_out
    comparison = compare_outputs({"project": tmp_path / "data", "duckdb": duck_data})
    assert comparison["differences"] == {"duckdb vs project": 0}


def test_comparison_detects_a_changed_row(tiny, duck_out, tmp_path: Path) -> None:
    import duckdb

    duck_data, _ = duck_out
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN value + 1 ELSE value END AS value) "
        f"FROM read_parquet('{duck_data}/**/*.parquet', hive_partitioning=true)) "
        f"TO '{tmp_path / 'x'}' (FORMAT parquet, PARTITION_BY (event_date, metric))"
    )
    assert compare_outputs({"a": duck_data, "b": tmp_path / "x"})["differences"] == {"a vs b": 2}
