"""The CDC benchmark against a pre-existing table (issue 32, `--cdc-table-rows`): the DuckDB reference merges the
batch into the table and reaches the state applying history and batch together gives, rewriting only the
partitions the batch touches."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from bench.engines.cdc import TABLES, duckdb_apply, duckdb_merge
from bench.generate import CDC_HISTORY_DAYS, DEFAULT_START, GenStats, generate_cdc


def _rows(root: Path) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        files = sorted(str(p) for p in (root / table).rglob("*.parquet"))
        if files:
            query = f"SELECT * EXCLUDE (transaction_date) FROM read_parquet({files!r}, hive_partitioning = true)"
            if table != "transactions":
                query = f"SELECT * FROM read_parquet({files!r})"
            out[table] = sorted(duckdb.sql(query).fetchall())
    return out


def _files(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (p.name, p.stat().st_mtime_ns) for p in root.rglob("*.parquet")}


def test_duckdb_merge_into_a_table_gives_the_state_of_history_and_batch_together(tmp_path: Path) -> None:
    root = tmp_path / "gen"
    generate_cdc(root, 3, 2000, DEFAULT_START, GenStats(seed=3, target_bytes=0, start="", days=1), table_rows=30_000)
    history, batch = root / "history" / "dms" / "trading", root / "landing" / "dms" / "trading"
    assert len(list((history / "transactions").glob("LOAD*.csv"))) == 1
    assert not list(batch.rglob("LOAD*.csv"))

    table = tmp_path / "table"
    duckdb_apply(str(history), table)
    days = sorted(p.name for p in (table / "transactions").iterdir())
    assert len(days) == CDC_HISTORY_DAYS
    before = _files(table)
    counts = duckdb_merge(str(batch), table, threads=2)
    assert counts.balanced() and counts.records_in == 2000

    together = tmp_path / "together"
    for folder in (history, batch):
        for csv in folder.rglob("*.csv"):
            target = together / csv.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(csv, target)
    whole = tmp_path / "whole"
    duckdb_apply(str(together), whole)
    assert _rows(table) == _rows(whole)

    # Recent keys change (and move to the batch's day): the early days keep their very files.
    after = _files(table)
    kept = [day for day in days if all(after.get(k) == v for k, v in before.items() if f"/{day}/" in k)]
    assert days[0] in kept and len(kept) < len(days)
