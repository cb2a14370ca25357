"""``curated-to-redshift``: load current-state Parquet datasets into the warehouse, all or nothing.

For every dataset the loader lists its Parquet files (transform or curated bucket), writes one Redshift
manifest per partition (``meta.content_length`` is mandatory for Parquet), runs the data-quality gate, and
then issues ONE transaction:

1. ``CREATE TEMP TABLE`` staging tables;
2. ``COPY … FORMAT AS PARQUET MANIFEST`` per partition (Redshift cannot read Hive partition values from paths
   and maps Parquet columns by position, so each partition is copied into a data-columns table and inserted
   into staging with its partition value as a literal; ``DELETE`` rather than ``TRUNCATE``, which would commit);
3. ``CALL trading.sp_assert_row_count`` against the manifest;
4. ``MERGE`` staging into the target (upsert), then ``DELETE`` target rows absent from the snapshot (rows
   deleted at the source);
5. ``CALL trading.sp_refresh_settlement`` when transactions were loaded.

Re-running with the same input changes nothing (idempotent); any failure rolls everything back.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from energylake.contracts import DatasetContract, get_contract
from energylake.dms import trading_datasets
from migration.storage import S3Store
from warehouse.ddl import ColumnSpec, contract_columns, create_table, warehouse_ddl, warehouse_table
from warehouse.executors import CopyJob, Executor, Statement
from warehouse.quality import GateInput, GateReport, enforce, run_gate

#: The replicated trading tables (the contracts' DMS source hints are the one list).
TRADING_DATASETS = trading_datasets()
#: Curated datasets the warehouse serves too (BI reads client analytics from Redshift), loaded from the curated zone.
CURATED_DATASETS = ("client_analytics",)
WAREHOUSE_DATASETS = TRADING_DATASETS + CURATED_DATASETS
SQL_DIR = Path(__file__).parent / "sql"


def procedure_files() -> list[Path]:
    """The warehouse SQL objects (settlement table and stored procedures), in creation order."""
    return sorted(SQL_DIR.glob("*.sql"))


def setup_statements(dialect: str, contracts: Sequence[DatasetContract] | None = None) -> list[Statement]:
    """Schemas, contract tables, settlement table and procedures (idempotent) for ``dialect``."""
    chosen = list(contracts) if contracts is not None else [get_contract(n) for n in WAREHOUSE_DATASETS]
    stmts = [Statement(raw=s) for s in warehouse_ddl(dialect, chosen).split(";\n") if s.strip()]
    for path in procedure_files():
        text = path.read_text(encoding="utf-8").strip()
        body = "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()
        if body.upper().startswith("CREATE TABLE"):
            stmts.append(Statement(expression=sqlglot.parse_one(body, read="redshift")))
        else:
            stmts.append(Statement(raw=body))  # PL/pgSQL bodies are the same text on Redshift and PostgreSQL
    return stmts


def setup_warehouse(executor: Executor, contracts: Sequence[DatasetContract] | None = None) -> None:
    """Create (if missing) the warehouse schemas, tables and procedures."""
    executor.execute_transaction(setup_statements(executor.dialect, contracts))


@dataclass
class PartitionLoad:
    """One COPY unit: partition values (empty when unpartitioned), manifest URL and expected rows."""

    values: dict[str, str]
    manifest_url: str
    rows: int


@dataclass
class DatasetLoad:
    """Everything the loader knows about one dataset before touching the warehouse."""

    contract: DatasetContract
    partitions: list[PartitionLoad] = field(default_factory=list)
    table: pa.Table | None = None
    newest_file: datetime | None = None

    @property
    def rows(self) -> int:
        """Rows promised by the manifests."""
        return sum(p.rows for p in self.partitions)


def _partition_values(contract: DatasetContract, rel_key: str) -> dict[str, str]:
    parts = rel_key.split("/")[1:-1]
    values = dict(p.split("=", 1) for p in parts if "=" in p)
    missing = [c for c in contract.partition_by if c not in values]
    if missing:
        raise ValueError(f"{rel_key}: partition column(s) {missing} not in the path")
    return {c: values[c] for c in contract.partition_by}


def plan_dataset(contract: DatasetContract, data: S3Store, manifests: S3Store, run_id: str) -> DatasetLoad:
    """List a dataset's Parquet files, write one manifest per partition and read the rows for the gate."""
    load = DatasetLoad(contract)
    groups: dict[tuple[tuple[str, str], ...], list[dict]] = {}
    tables = []
    for obj in data.list(f"{contract.name}/"):
        if not obj["Key"].endswith(".parquet"):
            continue
        body = data.get(obj["Key"]) or b""
        table = pq.read_table(io.BytesIO(body))
        values = _partition_values(contract, obj["Key"])
        for col in contract.partition_by:  # the gate sees partition values as columns, like a Glue reader
            table = table.append_column(col, pa.array([values[col]] * table.num_rows, pa.string()))
        tables.append(table)
        entry = {"url": data.url(obj["Key"]), "mandatory": True, "meta": {"content_length": obj["Size"]}}
        groups.setdefault(tuple(values.items()), []).append({"entry": entry, "rows": table.num_rows})
        modified = obj["LastModified"]
        load.newest_file = modified if load.newest_file is None or modified > load.newest_file else load.newest_file
    for index, (values, entries) in enumerate(sorted(groups.items())):
        manifest = {"entries": [e["entry"] for e in entries]}
        url = manifests.put(
            f"{run_id}/{contract.name}/part-{index:05d}.manifest", json.dumps(manifest, indent=2).encode()
        )
        load.partitions.append(PartitionLoad(dict(values), url, sum(e["rows"] for e in entries)))
    if tables:
        load.table = pa.concat_tables(tables, promote_options="permissive")
    else:
        load.table = pa.table({c.name: pa.array([], pa.string()) for c in contract.columns})
    return load


def _stage_names(contract: DatasetContract) -> tuple[str, str]:
    return f"stage_{contract.name}", f"copy_{contract.name}"


def dataset_statements(load: DatasetLoad, iam_role: str) -> list[Statement]:
    """Staging, COPY, row-count assertion, MERGE and delete statements for one dataset."""
    contract = load.contract
    target = warehouse_table(contract)
    stage, copy_table = _stage_names(contract)
    pk = list(contract.primary_key)
    cols = [c.name for c in contract.columns]
    staged = [ColumnSpec(c.name, c.type, True) for c in contract_columns(contract)]
    stmts = [Statement(expression=create_table(stage, staged, temporary=True, if_not_exists=False))]
    if contract.partition_by:
        data_cols = contract_columns(contract, data_only=True)
        stmts.append(Statement(expression=create_table(copy_table, data_cols, temporary=True, if_not_exists=False)))
        for part in load.partitions:
            stmts.append(Statement(copy=CopyJob(copy_table, part.manifest_url, iam_role)))
            select = exp.select(*[exp.column(c.name) for c in data_cols]).from_(copy_table)
            for col in contract.partition_columns:
                literal = exp.cast(exp.Literal.string(part.values[col.name]), staged[cols.index(col.name)].type)
                select = select.select(exp.alias_(literal, col.name))
            stmts.append(Statement(expression=exp.insert(select, stage, columns=cols)))
            stmts.append(Statement(expression=exp.delete(copy_table)))
    else:
        stmts.extend(Statement(copy=CopyJob(stage, p.manifest_url, iam_role)) for p in load.partitions)
    stmts.append(Statement(raw=f"CALL trading.sp_assert_row_count('{stage}', {load.rows})"))
    # Redshift's MERGE gives only the source an alias, so the target is referenced by its qualified name.
    on = " AND ".join(f"{target}.{k} = s.{k}" for k in pk)
    updates = ", ".join(f"{c} = s.{c}" for c in cols if c not in pk)
    inserts = ", ".join(cols)
    values = ", ".join(f"s.{c}" for c in cols)
    merge = exp.merge(
        f"WHEN MATCHED THEN UPDATE SET {updates}",
        f"WHEN NOT MATCHED THEN INSERT ({inserts}) VALUES ({values})",
        into=exp.to_table(target),
        using=exp.alias_(exp.to_table(stage), "s", table=True),
        on=on,
        dialect="redshift",
    )
    stmts.append(Statement(expression=merge))
    gone = exp.select("1").from_(f"{stage} AS s").where(" AND ".join(f"s.{k} = {target}.{k}" for k in pk))
    stmts.append(Statement(expression=exp.delete(target, where=exp.not_(exp.Exists(this=gone)))))
    return stmts


@dataclass
class LoadResult:
    """Outcome of a load: rows per dataset, manifests written, gate report and statement count."""

    run_id: str
    rows: dict[str, int]
    manifests: list[str]
    gate: GateReport
    statements: int


def load_datasets(
    executor: Executor,
    *,
    stores: dict[str, S3Store],
    manifest_store: S3Store,
    iam_role: str,
    datasets: Sequence[str] = TRADING_DATASETS,
    run_id: str | None = None,
    now: datetime | None = None,
    max_age: timedelta = timedelta(hours=26),
    settlement: bool = True,
) -> LoadResult:
    """Plan, gate and load ``datasets``; ``stores`` maps zone (transform/curated) to its bucket store."""
    run_id = run_id or datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    contracts = [get_contract(d) for d in datasets]
    loads = [plan_dataset(c, stores[c.zone], manifest_store, run_id) for c in contracts]
    report = run_gate(
        {ld.contract.name: GateInput(ld.contract.name, ld.table, ld.rows, ld.newest_file) for ld in loads},
        now=now,
        max_age=max_age,
    )
    enforce(report, {"run_id": run_id, "datasets": list(datasets)})
    statements: list[Statement] = []
    for load in loads:
        statements += dataset_statements(load, iam_role)
    if settlement and "trading_transactions" in datasets:
        statements.append(Statement(raw="CALL trading.sp_refresh_settlement(NULL, NULL)"))
    executor.execute_transaction(statements)
    return LoadResult(
        run_id,
        {ld.contract.name: ld.rows for ld in loads},
        [p.manifest_url for ld in loads for p in ld.partitions],
        report,
        len(statements),
    )


def statements_sql(statements: Sequence[Statement], dialect: str = "redshift") -> str:
    """The statements as one script (for review or for running by hand)."""
    return ";\n".join(s.sql(dialect) for s in statements) + ";\n"
