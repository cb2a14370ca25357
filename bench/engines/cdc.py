"""DMS CDC apply in DuckDB: the single-node reference for the project's trading CDC apply throughput."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from bench.semantics import RunCounts
from energylake.contracts import DatasetContract, get_contract

TABLES = ("providers", "customers", "contracts", "transactions")


def duckdb_apply(input_root: str, output: Path, threads: int | None = None) -> RunCounts:
    """Full load + CDC files per table -> current state (last change per key by dms_commit_ts; D removes)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    changes = rows_out = deleted = superseded = 0
    for table in TABLES:
        contract = get_contract(f"trading_{table}")
        key = ", ".join(contract.primary_key)
        src = Path(input_root) / table
        if not src.exists():
            continue
        casts, part = _load_changes(con, src, contract)
        out = output / table
        out.mkdir(parents=True, exist_ok=True)
        opts = "FORMAT parquet, COMPRESSION snappy"
        opts += ", PARTITION_BY (transaction_date), OVERWRITE_OR_IGNORE true" if part else ""
        target = out if part else out / "part-0.parquet"
        rows_out += con.execute(f"""
            COPY (
                SELECT {casts}{part} FROM ch
                QUALIFY row_number() OVER (
                    PARTITION BY {key} ORDER BY _kind DESC, dms_commit_ts DESC, filename DESC) = 1
                    AND Op <> 'D'
            ) TO '{target}' ({opts})
        """).fetchone()[0]  # type: ignore[index]
        total, cdc, keys, deletes = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE _kind = 1), count(DISTINCT ({key})),
                   count(DISTINCT ({key})) FILTER (WHERE last_op = 'D')
            FROM (SELECT *, last_value(Op) OVER (PARTITION BY {key} ORDER BY _kind, dms_commit_ts, filename
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_op FROM ch)
        """).fetchone()  # type: ignore[misc]
        changes += cdc
        deleted += deletes
        superseded += total - keys
    con.close()
    return RunCounts(
        records_in=changes,
        candidate_rows=rows_out + deleted + superseded,  # full load + CDC rows
        rows_out=rows_out,
        quarantined=0,
        duplicates=superseded + deleted,  # changes folded away: superseded versions and deleted keys
        extra={"deleted_keys": deleted, "superseded": superseded, "rows_loaded": rows_out + deleted + superseded},
    )


def _load_changes(con: duckdb.DuckDBPyConnection, src: Path, contract: DatasetContract) -> tuple[str, str]:
    """Load a table's DMS files into temp table ``ch`` (with ``_kind``: 0 full load, 1 CDC); return the typed
    select list of its columns and the derived partition column ("" for an unpartitioned table)."""
    # Full load sorts first (LOAD* < timestamps is not guaranteed by name, so rank the kind explicitly).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ch AS
        SELECT *, CASE WHEN parse_filename(filename) LIKE 'LOAD%' THEN 0 ELSE 1 END AS _kind
        FROM read_csv('{src}/*.csv', header = true, all_varchar = true, filename = true)
    """)
    cols = [c.name for c in contract.columns if c.name != "transaction_date"]
    casts = ", ".join(f"TRY_CAST(NULLIF({c}, '') AS {duck_type(contract.column(c).type)}) AS {c}" for c in cols)
    partitioned = "transaction_date" in contract.partition_by
    derived = ", CAST(TRY_CAST(transaction_ts AS TIMESTAMP) AS DATE) AS transaction_date" if partitioned else ""
    return casts, derived


def duck_type(glue_type: str) -> str:
    """DuckDB's name for a contract column type."""
    return {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "date": "DATE",
            "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}.get(glue_type, glue_type.upper())  # fmt: skip


def swap_partitions(target: Path, new_dir: Path, column: str, values: list[str]) -> None:
    """The publish of a merge: each touched partition's directory of ``target`` replaced by its version written
    under ``new_dir`` (or removed when the merge left it empty), then ``new_dir`` removed."""
    for value in values:
        old, new = target / f"{column}={value}", new_dir / f"{column}={value}"
        shutil.rmtree(old, ignore_errors=True)
        if new.exists():
            target.mkdir(parents=True, exist_ok=True)
            new.rename(old)
    shutil.rmtree(new_dir, ignore_errors=True)


def duckdb_merge(input_root: str, table_root: Path, threads: int | None = None) -> RunCounts:
    """The same batch merged into a table already written (``duckdb_apply`` of a history, untimed): the work the
    project's job does per batch. Per table: the last change per key (the same order as above); the partitions
    holding a changed key (found from the key column), and only their rows read; those partitions and the ones
    the upserts land in rewritten (new files first, then each partition directory swapped); the others untouched.
    """
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    changes = total_in = applied = rewritten = deleted = superseded = 0
    for table in TABLES:
        contract = get_contract(f"trading_{table}")
        keys = list(contract.primary_key)
        key = ", ".join(keys)
        src = Path(input_root) / table
        if not src.exists():
            continue
        casts, derived = _load_changes(con, src, contract)
        part = bool(derived)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE last AS
            SELECT Op, {casts}{derived} FROM ch
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _kind DESC, dms_commit_ts DESC, filename DESC) = 1
        """)
        total, cdc, n_last, deletes = con.execute(
            "SELECT (SELECT count(*) FROM ch), (SELECT count(*) FILTER (WHERE _kind = 1) FROM ch),"
            " count(*), count(*) FILTER (WHERE Op = 'D') FROM last"
        ).fetchone()  # type: ignore[misc]
        changes += cdc
        total_in += total
        applied += n_last - deletes
        deleted += deletes
        superseded += total - n_last
        target = table_root / table
        names = ", ".join(c.name for c in contract.columns)
        upserts = f"SELECT {names} FROM last WHERE Op <> 'D'"
        new_dir = table_root / f".{table}.new"
        shutil.rmtree(new_dir, ignore_errors=True)
        new_dir.mkdir(parents=True)
        opts = "FORMAT parquet, COMPRESSION snappy"
        if not part:
            stored = f"read_parquet('{target}/*.parquet')" if any(target.glob("*.parquet")) else None
            rows = f"SELECT {names} FROM {stored} ANTI JOIN last USING ({key}) UNION ALL " if stored else ""
            rewritten += con.execute(f"COPY ({rows}{upserts}) TO '{new_dir}/part-0.parquet' ({opts})").fetchone()[0]  # type: ignore[index]
            shutil.rmtree(target, ignore_errors=True)
            new_dir.rename(target)
            continue
        files = f"read_parquet('{target}/*/*.parquet', hive_partitioning = true)"
        have = any(target.glob("*/*.parquet"))
        located = (
            [r[0] for r in con.execute(f"""
                SELECT DISTINCT transaction_date FROM (SELECT {key}, transaction_date FROM {files})
                SEMI JOIN last USING ({key})""").fetchall()]
            if have else []
        )  # fmt: skip
        landing = [r[0] for r in con.execute(f"SELECT DISTINCT transaction_date FROM ({upserts})").fetchall()]
        touched = sorted({str(d) for d in located} | {str(d) for d in landing})
        kept = ""
        if located:
            in_list = ", ".join(f"DATE '{d}'" for d in located)
            kept = (
                f"SELECT {names} FROM (SELECT * FROM {files} WHERE transaction_date IN ({in_list}))"
                f" ANTI JOIN last USING ({key}) UNION ALL "
            )
        rewritten += con.execute(f"""
            COPY ({kept}{upserts}) TO '{new_dir}' ({opts}, PARTITION_BY (transaction_date))
        """).fetchone()[0]  # type: ignore[index]
        swap_partitions(target, new_dir, "transaction_date", touched)
    con.close()
    return RunCounts(
        records_in=changes,
        candidate_rows=total_in,  # the batch's change rows
        rows_out=applied,  # upserts applied (the rows each rewritten partition kept are in rows_rewritten)
        quarantined=0,
        duplicates=superseded + deleted,
        extra={"deleted_keys": deleted, "superseded": superseded, "rows_rewritten": rewritten},
    )
