"""``curated-to-redshift``: load what changed in the lake into the warehouse, all or nothing.

For every dataset the loader compares the published partition versions (the Glue catalog's locations, or a
digest of the files where a zone has no catalog; see warehouse.changes) with the load ledger kept in the
warehouse, and works only on the partitions whose version differs: it writes one Redshift manifest per new or
changed partition (``meta.content_length`` is mandatory for Parquet), streams those files' key columns through
the data-quality gate, and then issues ONE transaction:

1. ``CREATE TEMP TABLE`` staging tables;
2. ``COPY … FORMAT AS PARQUET MANIFEST`` per changed partition (Redshift cannot read Hive partition values from
   paths and maps Parquet columns by position, so each partition is copied into a data-columns table and inserted
   into staging with its partition value as a literal; ``DELETE`` rather than ``TRUNCATE``, which would commit);
3. ``CALL trading.sp_assert_row_count`` against the manifests;
4. ``MERGE`` staging into the target (upsert), then ``DELETE`` the target rows of the replaced or removed
   partitions that are absent from staging (rows deleted at the source; a whole unpartitioned table is one
   partition);
5. the ledger rows of those partitions replaced by the versions just loaded;
6. ``CALL trading.sp_refresh_settlement`` for the days whose transactions changed (every day when customers
   changed: settlement carries their region and segment).

Nothing changed = no transaction (a rerun is a no-op); any failure rolls everything back, ledger included.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from energylake.catalog import Catalog
from energylake.contracts import DatasetContract, get_contract
from energylake.dms import trading_datasets
from migration.dms.apply import arrow_type
from migration.storage import S3Store, split_s3_url
from warehouse.changes import (
    CatalogVersions,
    DataFile,
    LedgerEntry,
    ListedVersions,
    Reader,
    VersionSource,
    ledger_ddl,
    ledger_statements,
    partition_key,
    partition_values,
    read_ledger,
)
from warehouse.ddl import ColumnSpec, contract_columns, create_table, warehouse_ddl, warehouse_table
from warehouse.executors import CopyJob, Executor, Statement
from warehouse.quality import GateInput, GateReport, enforce, gate_columns, run_gate

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
    ledger = ledger_ddl()
    schema = exp.Create(this=exp.to_table(ledger.this.this.db), kind="SCHEMA", exists=True)
    stmts += [Statement(expression=schema), Statement(expression=ledger)]
    if dialect == "postgres":
        stmts += [Statement(raw=sql) for sql in partition_indexes(chosen)]
    return stmts


def partition_indexes(contracts: Sequence[DatasetContract]) -> list[str]:
    """PostgreSQL only: a B-tree index on each table's partition columns, standing in for Redshift's zone maps
    (the loader deletes and the settlement reads by partition; Redshift has no CREATE INDEX)."""
    out = []
    for contract in contracts:
        if contract.partition_by:
            table = exp.to_table(warehouse_table(contract))
            cols = ", ".join(contract.partition_by)
            out.append(f"CREATE INDEX IF NOT EXISTS {table.name}_by_partition ON {table.sql('postgres')} ({cols})")
    return out


def setup_warehouse(executor: Executor, contracts: Sequence[DatasetContract] | None = None) -> None:
    """Create (if missing) the warehouse schemas, tables and procedures."""
    executor.execute_transaction(setup_statements(executor.dialect, contracts))


@dataclass
class PartitionLoad:
    """One COPY unit: partition values (empty when unpartitioned), its version, files, manifest URL and rows."""

    values: dict[str, str]
    manifest_url: str = ""  # "" when the version has no files (nothing to COPY)
    rows: int = 0
    version: str = ""
    files: list[DataFile] = field(default_factory=list)


@dataclass
class DatasetLoad:
    """Everything the loader knows about one dataset's changes before touching the warehouse."""

    contract: DatasetContract
    partitions: list[PartitionLoad] = field(default_factory=list)  # new or changed partition versions
    removed: list[dict[str, str]] = field(default_factory=list)  # loaded partitions no longer published
    kept_rows: int = 0  # rows of the loaded partitions that did not change (from the ledger)
    table: pa.Table | None = None  # gate columns of the staged rows
    newest_file: datetime | None = None
    complete: bool = True  # the staged rows are the whole dataset

    @property
    def rows(self) -> int:
        """Rows promised by the manifests (the staged rows)."""
        return sum(p.rows for p in self.partitions)

    @property
    def changed(self) -> bool:
        """True when this load has anything to COPY or delete for the dataset."""
        return bool(self.partitions or self.removed)

    def touched(self, column: str) -> list[str]:
        """Values of partition column ``column`` this load replaces or removes."""
        return sorted({p.values[column] for p in self.partitions} | {v[column] for v in self.removed})

    def ledger_entries(self) -> dict[str, LedgerEntry]:
        """Ledger rows recording the versions this load COPYs."""
        out = {}
        for part in self.partitions:
            newest = max((f.modified for f in part.files), default=None)
            key = partition_key(self.contract, [part.values[c] for c in self.contract.partition_by])
            out[key] = LedgerEntry(part.version, part.rows, newest)
        return out

    def replaced_keys(self) -> list[str]:
        """Ledger keys of the partitions this load replaces or removes."""
        names = self.contract.partition_by
        values = [p.values for p in self.partitions] + self.removed
        return sorted({partition_key(self.contract, [v[c] for c in names]) for v in values})


def s3_reader(client: Any) -> Reader:
    """Default reader: one object at a time from S3 (seekable, so only the needed columns are decoded)."""

    def open_url(url: str) -> BinaryIO:
        bucket, key = split_s3_url(url)
        return io.BytesIO(client.get_object(Bucket=bucket, Key=key)["Body"].read())

    return open_url


def _newer(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def _read_gate_rows(contract: DatasetContract, part: PartitionLoad, reader: Reader) -> list[pa.RecordBatch]:
    """Stream the gate columns of a partition version's files (row group by row group); counts its rows."""
    wanted = gate_columns(contract)
    data_cols = [c for c in wanted if c not in contract.partition_by]
    batches = []
    part.rows = 0
    for file in part.files:
        parquet = pq.ParquetFile(reader(file.url))
        part.rows += parquet.metadata.num_rows
        for batch in parquet.iter_batches(columns=data_cols):
            arrays, names = [], []
            for name in wanted:
                if name in contract.partition_by:  # the gate sees partition values as columns, like a Glue reader
                    arrays.append(pa.array([part.values[name]] * batch.num_rows, pa.string()))
                else:
                    arrays.append(batch.column(batch.schema.get_field_index(name)))
                names.append(name)
            batches.append(pa.RecordBatch.from_arrays(arrays, names=names))
    return batches


def plan_dataset(
    contract: DatasetContract,
    source: VersionSource,
    loaded: dict[str, LedgerEntry],
    manifests: S3Store,
    run_id: str,
    reader: Reader,
) -> DatasetLoad:
    """Compare published versions with the ledger; write manifests and read the gate rows of what changed."""
    load = DatasetLoad(contract)
    names = contract.partition_by
    current = source.versions(contract)
    current_keys = set()
    kept = 0
    batches: list[pa.RecordBatch] = []
    for values, version in sorted(current.items()):
        key = partition_key(contract, values)
        current_keys.add(key)
        done = loaded.get(key)
        if done is not None and done.version == version:
            load.kept_rows += done.rows
            kept += 1
            load.newest_file = _newer(load.newest_file, done.newest_file)
            continue
        values_of = dict(zip(names, values, strict=True))
        part = PartitionLoad(values_of, version=version, files=source.files(contract, values, version))
        batches += _read_gate_rows(contract, part, reader)
        for file in part.files:
            load.newest_file = _newer(load.newest_file, file.modified)
        if part.files:
            entries = [{"url": f.url, "mandatory": True, "meta": {"content_length": f.size}} for f in part.files]
            index = len(load.partitions)
            part.manifest_url = manifests.put(
                f"{run_id}/{contract.name}/part-{index:05d}.manifest",
                json.dumps({"entries": entries}, indent=2).encode(),
            )
        load.partitions.append(part)
    for key in sorted(set(loaded) - current_keys):
        load.removed.append(dict(zip(names, partition_values(key), strict=True)))
    load.complete = kept == 0  # every current partition is staged: nothing else in the warehouse stays
    wanted = gate_columns(contract)
    if batches:
        load.table = pa.Table.from_batches(batches)
    else:
        types = {c.name: pa.string() if c.name in names else arrow_type(c.type) for c in contract.columns}
        load.table = pa.table({c: pa.array([], types[c]) for c in wanted})
    return load


def _stage_names(contract: DatasetContract) -> tuple[str, str]:
    return f"stage_{contract.name}", f"copy_{contract.name}"


def _partition_filter(load: DatasetLoad, target: str) -> exp.Expression | None:
    """Target rows of the partitions this load replaces or removes (None: the whole, unpartitioned table)."""
    contract = load.contract
    if not contract.partition_by:
        return None
    types = {c.name: c.type for c in contract_columns(contract)}
    alternatives = []
    for values in [p.values for p in load.partitions] + load.removed:
        terms = [
            exp.EQ(
                this=exp.column(col, table=exp.to_table(target).name, db=exp.to_table(target).db),
                expression=exp.cast(exp.Literal.string(values[col]), types[col]),
            )
            for col in contract.partition_by
        ]
        alternatives.append(exp.and_(*terms) if len(terms) > 1 else terms[0])
    if len(contract.partition_by) == 1:
        col = contract.partition_by[0]
        literals = sorted({a.expression.sql() for a in alternatives})
        column = exp.column(col, table=exp.to_table(target).name, db=exp.to_table(target).db)
        return exp.In(this=column, expressions=[sqlglot.parse_one(lit) for lit in literals])
    return exp.or_(*alternatives)


def dataset_statements(load: DatasetLoad, iam_role: str, run_id: str = "") -> list[Statement]:
    """Staging, COPY, ledger, row-count assertion, MERGE and delete statements for one dataset's changes."""
    contract = load.contract
    target = warehouse_table(contract)
    stage, copy_table = _stage_names(contract)
    pk = list(contract.primary_key)
    cols = [c.name for c in contract.columns]
    staged = [ColumnSpec(c.name, c.type, True) for c in contract_columns(contract)]
    copies = [p for p in load.partitions if p.manifest_url]
    stmts = [Statement(expression=create_table(stage, staged, temporary=True, if_not_exists=False))]
    if contract.partition_by:
        data_cols = contract_columns(contract, data_only=True)
        stmts.append(Statement(expression=create_table(copy_table, data_cols, temporary=True, if_not_exists=False)))
        for part in copies:
            stmts.append(Statement(copy=CopyJob(copy_table, part.manifest_url, iam_role)))
            select = exp.select(*[exp.column(c.name) for c in data_cols]).from_(copy_table)
            for col in contract.partition_columns:
                literal = exp.cast(exp.Literal.string(part.values[col.name]), staged[cols.index(col.name)].type)
                select = select.select(exp.alias_(literal, col.name))
            stmts.append(Statement(expression=exp.insert(select, stage, columns=cols)))
            stmts.append(Statement(expression=exp.delete(copy_table)))
    else:
        stmts.extend(Statement(copy=CopyJob(stage, p.manifest_url, iam_role)) for p in copies)
    # The ledger records the versions COPYed, in the same transaction (so it never claims rows not loaded).
    for expression in ledger_statements(contract.name, load.replaced_keys(), load.ledger_entries(), run_id):
        stmts.append(Statement(expression=expression))
    stmts.append(Statement(raw=f"CALL trading.sp_assert_row_count('{stage}', {load.rows})"))
    # Rows of the replaced/removed partitions that the new versions no longer hold were deleted at the source.
    # Deleted before the MERGE, while those partitions hold only rows the table's statistics have seen: after it,
    # PostgreSQL took a new day's rows for a handful and ran the NOT EXISTS as a nested loop over the staged rows
    # for each (8.9 s of an 11.8 s load of 20,000 rows). The order changes nothing else: every staged row lies in
    # the replaced partitions, so the MERGE neither adds a row the DELETE would remove nor needs one it removes.
    gone = exp.select("1").from_(f"{stage} AS s").where(" AND ".join(f"s.{k} = {target}.{k}" for k in pk))
    where: exp.Expression = exp.not_(exp.Exists(this=gone))
    scope = _partition_filter(load, target)
    if scope is not None:
        where = exp.and_(scope, where)
    stmts.append(Statement(expression=exp.delete(target, where=where)))
    # Redshift's MERGE gives only the source an alias, so the target is referenced by its qualified name.
    on = " AND ".join(f"{target}.{k} = s.{k}" for k in pk)
    updates = ", ".join(f"{c} = s.{c}" for c in cols if c not in pk)
    inserts = ", ".join(cols)
    values = ", ".join(f"s.{c}" for c in cols)
    if copies:
        merge = exp.merge(
            f"WHEN MATCHED THEN UPDATE SET {updates}",
            f"WHEN NOT MATCHED THEN INSERT ({inserts}) VALUES ({values})",
            into=exp.to_table(target),
            using=exp.alias_(exp.to_table(stage), "s", table=True),
            on=on,
            dialect="redshift",
        )
        stmts.append(Statement(expression=merge))
    return stmts


def settlement_statements(loads: Sequence[DatasetLoad]) -> list[Statement]:
    """Settlement refresh for what changed: every day when customers changed, else the touched days."""
    by_name = {ld.contract.name: ld for ld in loads}
    customers = by_name.get("trading_customers")
    transactions = by_name.get("trading_transactions")
    if customers is not None and customers.changed:
        return [Statement(raw="CALL trading.sp_refresh_settlement(NULL, NULL)")]
    if transactions is None or not transactions.changed:
        return []
    if "transaction_date" not in transactions.contract.partition_by:
        return [Statement(raw="CALL trading.sp_refresh_settlement(NULL, NULL)")]
    days = transactions.touched("transaction_date")
    return [Statement(raw=f"CALL trading.sp_refresh_settlement('{d}', '{d}')") for d in days]


@dataclass
class LoadResult:
    """Outcome of a load: staged rows per dataset, manifests written, gate report and statement count."""

    run_id: str
    rows: dict[str, int]
    manifests: list[str]
    gate: GateReport
    statements: int
    changed: dict[str, int] = field(default_factory=dict)  # partitions replaced or removed per dataset


@dataclass
class _KeptRows:
    """The gate's view of the warehouse: rows outside the partitions this load replaces (quality.WarehouseKeys)."""

    executor: Executor
    loads: dict[str, DatasetLoad]

    def _select(self, dataset: str, column: str, values: list | None) -> set:
        load = self.loads[dataset]
        target = warehouse_table(load.contract)
        found: set = set()
        chunks = [None] if values is None else [values[i : i + 1000] for i in range(0, len(values), 1000)]
        for chunk in chunks:
            sql = exp.select(column).distinct().from_(target)
            if chunk is not None:
                sql = sql.where(exp.In(this=exp.column(column), expressions=[exp.convert(v) for v in chunk]))
            scope = _partition_filter(load, target) if load.changed and values is not None else None
            if scope is not None:
                sql = sql.where(exp.not_(scope))
            found |= {row[0] for row in self.executor.query(sql.sql(dialect=self.executor.dialect))}
        return found

    def existing(self, dataset: str, column: str, values: list) -> set:
        return self._select(dataset, column, values)

    def all(self, dataset: str, column: str) -> set:
        return self._select(dataset, column, None)


def version_source(
    contract: DatasetContract, store: S3Store, catalog: Catalog | None, cache: dict[str, VersionSource]
) -> VersionSource:
    """The catalog when it has the dataset's table, else the digest of the zone's files (no catalog there)."""
    if catalog is not None and catalog.get_table(contract.glue_database(), contract.name) is not None:
        return cache.setdefault("catalog", CatalogVersions(catalog, store.client))
    return cache.setdefault(f"listing:{store.bucket}/{store.prefix}", ListedVersions(store))


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
    catalog: Catalog | None = None,
    reader: Reader | None = None,
) -> LoadResult:
    """Plan, gate and load what changed in ``datasets``; ``stores`` maps zone (transform/curated) to its bucket.

    ``catalog`` (when given) supplies the published partition versions; ``reader`` opens the files the gate
    reads (default: the zone store's S3 client).
    """
    run_id = run_id or datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    contracts = [get_contract(d) for d in datasets]
    ledger = read_ledger(executor.query, [c.name for c in contracts])
    sources: dict[str, VersionSource] = {}
    loads = []
    for c in contracts:
        store = stores[c.zone]
        source = version_source(c, store, catalog, sources)
        loads.append(plan_dataset(c, source, ledger[c.name], manifest_store, run_id, reader or s3_reader(store.client)))
    inputs = {
        ld.contract.name: GateInput(
            ld.contract.name, ld.table, ld.rows, ld.newest_file, total_rows=ld.kept_rows + ld.rows, complete=ld.complete
        )
        for ld in loads
    }
    kept = _KeptRows(executor, {ld.contract.name: ld for ld in loads})
    report = run_gate(inputs, now=now, max_age=max_age, warehouse=kept)
    enforce(report, {"run_id": run_id, "datasets": list(datasets)})
    statements: list[Statement] = []
    for load in loads:
        if load.changed:
            statements += dataset_statements(load, iam_role, run_id)
    if settlement and "trading_transactions" in datasets:
        statements += settlement_statements(loads)
    if statements:
        executor.execute_transaction(statements)
    return LoadResult(
        run_id,
        {ld.contract.name: ld.rows for ld in loads},
        [p.manifest_url for ld in loads for p in ld.partitions if p.manifest_url],
        report,
        len(statements),
        {ld.contract.name: len(ld.partitions) + len(ld.removed) for ld in loads},
    )


def statements_sql(statements: Sequence[Statement], dialect: str = "redshift") -> str:
    """The statements as one script (for review or for running by hand)."""
    return ";\n".join(s.sql(dialect) for s in statements) + ";\n"
