"""The compared implementations produce the same rows on a tiny input (the comparison is apples to apples).

Same rows means every column but ingested_ts, and the same quarantine rows (source file, reason code, raw record)
at bench.semantics' one counting grain.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.engines import competent, duck, naive, project
from bench.generate import generate
from bench.run import compare_outputs
from energylake import jvm

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
    """The DuckDB reference output (data and quarantine under one directory) and its counts."""
    _, _, files = tiny
    out = tmp_path_factory.mktemp("duck")
    return out, duck.transform(files, out / "data", out / "quarantine", threads=2, memory_limit="1GiB")


def _same_as_duckdb(name: str, out: Path, duck_out) -> None:
    duck_dir, duck_counts = duck_out
    comparison = compare_outputs(
        {name: out / "data", "duckdb": duck_dir / "data"}, {name: out / "quarantine", "duckdb": duck_dir / "quarantine"}
    )
    pair = f"duckdb vs {name}" if name > "duckdb" else f"{name} vs duckdb"
    assert comparison["rows"][name] == duck_counts.rows_out
    assert comparison["differences"] == {pair: 0}
    assert comparison["quarantine"]["rows"][name] == duck_counts.quarantined
    assert comparison["quarantine"]["differences"] == {pair: 0}


def test_duckdb_accounts_for_every_row(tiny, duck_out) -> None:
    _, stats, _ = tiny
    _, counts = duck_out
    assert counts.records_in == stats.records["telemetry/windfarm"] + stats.records["telemetry/devices"]
    assert counts.balanced(), counts
    assert counts.quarantined >= sum(stats.bad.values())  # record-level rejects plus out-of-range rows
    assert counts.duplicates > 0 and counts.rows_out > counts.records_in  # device records explode to many rows


def _counts_match(counts, duck_counts) -> None:
    assert counts.balanced(), counts
    assert (counts.records_in, counts.rows_out, counts.quarantined, counts.duplicates) == (
        duck_counts.records_in,
        duck_counts.rows_out,
        duck_counts.quarantined,
        duck_counts.duplicates,
    )


def test_competent_pyspark_matches_duckdb(spark, tiny, duck_out, tmp_path: Path) -> None:
    _, _, files = tiny
    counts = competent.transform(spark, files, str(tmp_path / "data"), str(tmp_path / "quarantine"))()
    _counts_match(counts, duck_out[1])
    _same_as_duckdb("competent", tmp_path, duck_out)


def test_competent_pyspark_deduplicates_on_the_writes_one_shuffle(spark, capsys) -> None:
    """One exchange serves the de-duplication and the partitioned write (the competent job's plan shape)."""
    good = spark.createDataFrame(
        [("d", "s", "m", 1.0, "2024-05-01 00:00:00", "f", 1)],
        "device_id string, site_id string, metric string, value double, event_ts string, source_file string, "
        "line_no int",
    ).selectExpr("*", "to_date(event_ts) AS event_date")
    capsys.readouterr()
    competent.deduplicate(good).explain(mode="simple")  # the physical plan, exchanges included
    plan = capsys.readouterr().out
    assert plan.count("Exchange hashpartitioning") == 1, plan


def test_naive_script_matches_duckdb(spark, tiny, duck_out, tmp_path: Path) -> None:
    root, _, _ = tiny
    counts = naive.transform(
        spark, str(root / "raw" / "telemetry"), str(tmp_path / "data"), str(tmp_path / "quarantine")
    )()
    _counts_match(counts, duck_out[1])
    _same_as_duckdb("naive", tmp_path, duck_out)


@pytest.mark.parametrize("jvm_json", [True, False], ids=["jvm_json", "builtin_json"])
def test_project_job_matches_duckdb(aws, spark, tiny, duck_out, tmp_path: Path, jvm_json: bool) -> None:
    """The real glue/jobs/telemetry_to_transform.py (local Glue runner, emulated S3 + catalog) gives the same rows.

    With and without the JVM JSON function (energylake.jvm.JSON_READER_CONF), the switch `make bench` measures.
    """
    assert project.available() is None
    root, _, files = tiny
    _, duck_counts = duck_out
    runner = project.ProjectRunner(aws)
    seconds, cpu, rss, counts = runner.telemetry(str(root / "raw" / "telemetry"), files, tmp_path, jvm_json=jvm_json)
    # The switch held for that run only: a later job sharing the session (another test's) reads with the default.
    assert jvm.uses_jvm_json_reader(spark)
    assert seconds > 0 and cpu > 0 and rss > 0
    assert counts.balanced(), counts
    assert (counts.records_in, counts.rows_out, counts.quarantined) == (
        duck_counts.records_in,
        duck_counts.rows_out,
        duck_counts.quarantined,
    )
    _same_as_duckdb("project", tmp_path, duck_out)


def test_comparison_detects_a_changed_row(tiny, duck_out, tmp_path: Path) -> None:
    import duckdb

    duck_dir, _ = duck_out
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN value + 1 ELSE value END AS value) "
        f"FROM read_parquet('{duck_dir / 'data'}/**/*.parquet', hive_partitioning=true)) "
        f"TO '{tmp_path / 'x'}' (FORMAT parquet, PARTITION_BY (event_date, metric))"
    )
    assert compare_outputs({"a": duck_dir / "data", "b": tmp_path / "x"})["differences"] == {"a vs b": 2}


@pytest.mark.parametrize(
    "change",
    [
        "unit := 'kW'",  # a column the comparison once left out
        "source_file := replace(source_file, 'devices/', 'windfarm/')",
    ],
)
def test_comparison_covers_unit_and_source_file(duck_out, tmp_path: Path, change: str) -> None:
    import duckdb

    duck_dir, _ = duck_out
    column, expr = change.split(" := ")
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN {expr} ELSE {column} END AS {column}) "
        f"FROM read_parquet('{duck_dir / 'data'}/**/*.parquet', hive_partitioning=true)) "
        f"TO '{tmp_path / 'x'}' (FORMAT parquet, PARTITION_BY (event_date, metric))"
    )
    assert compare_outputs({"a": duck_dir / "data", "b": tmp_path / "x"})["differences"] == {"a vs b": 2}


@pytest.mark.parametrize(
    "change",
    [
        "reason := 'malformed_json'",  # another reason code
        "raw_record := split_part(raw_record, ' #', 1)",  # per line instead of per reading
    ],
)
def test_comparison_covers_quarantine_reasons_and_grain(duck_out, tmp_path: Path, change: str) -> None:
    import duckdb

    duck_dir, _ = duck_out
    column, expr = change.split(" := ")
    (tmp_path / "q").mkdir()
    # The first device reading's row (a raw record with a key) is changed.
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (CASE WHEN rank = 1 THEN {expr} ELSE {column} END AS {column}) FROM ("
        f"SELECT *, row_number() OVER (ORDER BY contains(raw_record, ' #') DESC, reason <> 'malformed_json' DESC,"
        f" raw_record) AS rank FROM read_parquet('{duck_dir / 'quarantine'}/*.parquet'))) "
        f"TO '{tmp_path / 'q' / 'part-0.parquet'}' (FORMAT parquet)"
    )
    result = compare_outputs({}, {"a": duck_dir / "quarantine", "b": tmp_path / "q"})
    assert result["quarantine"]["differences"] == {"a vs b": 2}


@pytest.fixture(scope="module")
def cdc_batch(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A DMS batch of 2,000 changes on a 20,000-row table, and DuckDB's merge of it (history, batch, table)."""
    from bench.engines.cdc import duckdb_apply, duckdb_merge
    from bench.generate import DEFAULT_START, GenStats, generate_cdc

    root = tmp_path_factory.mktemp("cdc")
    generate_cdc(root, 4, 2000, DEFAULT_START, GenStats(seed=4, target_bytes=0, start="", days=1), table_rows=20_000)
    history, batch = root / "history" / "dms" / "trading", root / "landing" / "dms" / "trading"
    duckdb_apply(str(history), root / "duckdb" / "table")
    duckdb_merge(str(batch), root / "duckdb" / "table", threads=2)
    return history, batch, root / "duckdb" / "table"


def _same_tables(name: str, tables: Path, duck_tables: Path) -> None:
    from bench.run import compare_cdc_outputs

    comparison = compare_cdc_outputs({name: tables, "duckdb": duck_tables})
    for table, result in comparison.items():
        assert result["rows"][name] == result["rows"]["duckdb"] > 0, table
        assert list(result["differences"].values()) == [0], table


def test_competent_spark_cdc_merge_matches_duckdb(spark, cdc_batch, tmp_path: Path) -> None:
    from bench.engines.cdc_spark import spark_merge

    history, batch, duck_tables = cdc_batch
    spark_merge(spark, str(history), tmp_path / "table")
    counts = spark_merge(spark, str(batch), tmp_path / "table")
    assert counts.balanced() and counts.records_in == 2000
    _same_tables("competent_cdc", tmp_path / "table", duck_tables)


def test_project_cdc_apply_matches_duckdb(aws, spark, cdc_batch, tmp_path: Path) -> None:
    """The real trading_cdc_apply job, history then batch, gives the tables DuckDB's merge gives."""
    history, batch, duck_tables = cdc_batch
    runner = project.ProjectRunner(aws)
    *_, counts = runner.cdc(str(batch), tmp_path, str(history), tmp_path / "snapshot")
    assert counts.balanced() and counts.quarantined == 0
    _same_tables("project_cdc", tmp_path / "table", duck_tables)


def test_cdc_comparison_detects_a_changed_row(cdc_batch, tmp_path: Path) -> None:
    import duckdb

    from bench.run import compare_cdc_outputs

    _, _, duck_tables = cdc_batch
    changed = tmp_path / "table"
    shutil.copytree(duck_tables, changed)
    (one,) = list((changed / "providers").glob("*.parquet"))
    first_only = f"CASE WHEN provider_id = (SELECT min(provider_id) FROM '{one}') THEN name || 'x' ELSE name END"
    duckdb.sql(f"COPY (SELECT * REPLACE ({first_only} AS name) FROM '{one}') TO '{tmp_path / 'p.parquet'}'")
    shutil.move(tmp_path / "p.parquet", one)
    comparison = compare_cdc_outputs({"changed": changed, "duckdb": duck_tables})
    assert comparison["providers"]["differences"] == {"changed vs duckdb": 2}
    assert comparison["transactions"]["differences"] == {"changed vs duckdb": 0}
