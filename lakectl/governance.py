"""Lake Formation grants as data: load and validate ``lakeformation/*.yaml``, evaluate LF-TBAC, read as a persona.

Lake Formation is not enforced by the local emulator (moto stores no LF-tag permissions and has no data-cells
filters), so locally the grants are evaluated here, by tested code, and enforced by the persona access layer
(``PersonaSession`` / ``read_as``): a persona's DuckDB session only ever contains views that expose the permitted
columns and rows. On real AWS, Terraform turns the same files into LF-tags, LF-TBAC grants and data-cells filters.

The file models, their validation and the tag semantics live in the library (``energylake.grants``), where the
contract compiler validates the same files once for Terraform; this module evaluates them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from energylake import grants
from energylake.contracts import DatasetContract
from energylake.grants import (  # noqa: F401 - re-exported: the access layer's callers import them from here
    ALLOWED_PERMISSIONS,
    SQL_DIALECT,
    TABLE_PERMISSIONS,
    DataFilter,
    Governance,
    GovernanceError,
    Grant,
    Persona,
    _covered_columns,
    _filter_columns,
    column_tags,
    parse_condition,
    table_tags,
    tag_assignments,
)
from lakectl.lake_tables import DataFile, files_from_catalog, files_from_location
from lakectl.settings import REPO_ROOT

GRANTS_DIR = REPO_ROOT / "lakeformation"


class AccessDenied(PermissionError):  # noqa: N818 - named after the AWS error code
    """The persona may not read the dataset, column or rows it asked for."""


@dataclass(frozen=True)
class AccessSpec:
    """What one persona may do with one dataset: visible columns (contract order) and a row filter."""

    dataset: str
    database: str
    columns: tuple[str, ...]
    row_filter: str | None
    permissions: frozenset[str]
    withheld: tuple[str, ...] = ()
    via: tuple[str, ...] = field(default=(), compare=False)  # grant/filter names, for explanations

    @property
    def can_select(self) -> bool:
        """True when the persona may read rows of the dataset."""
        return "SELECT" in self.permissions and bool(self.columns)


def validate(directory: str | Path | None = None, contracts: Mapping[str, DatasetContract] | None = None) -> Governance:
    """The validated grant files of ``directory`` (default: the repository's lakeformation/); see energylake.grants."""
    return grants.validate(directory or GRANTS_DIR, contracts)


# ---------------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------------


def effective_access(persona: str, governance: Governance | None = None) -> dict[str, AccessSpec]:
    """Datasets the persona can see, each with its visible columns, row filter and permissions."""
    gov = governance or validate()
    if persona not in gov.personas:
        raise KeyError(f"unknown persona {persona!r}; known: {sorted(gov.personas)}")
    out: dict[str, AccessSpec] = {}
    for name, contract in sorted(gov.contracts.items()):
        visible: set[str] = set()
        perms: set[str] = set()
        via: list[str] = []
        row_filters: list[str] = []
        for i, grant in enumerate(gov.grants):
            if grant.persona != persona:
                continue
            cols = _covered_columns(grant.lf_tag_expression, contract)
            if cols:
                visible.update(cols)
                perms.update(grant.permissions)
                via.append(f"grants[{i}]")
        for flt in gov.data_filters:
            if flt.persona == persona and flt.dataset == name:
                visible.update(_filter_columns(flt, contract))
                perms.update({"SELECT", "DESCRIBE"})
                via.append(flt.name)
                # Several filters for one persona are a union of their rows; no filter means all rows.
                row_filters.append(flt.row_filter or "TRUE")
        if not visible:
            continue
        row_filter = None
        if row_filters and "TRUE" not in row_filters:
            row_filter = row_filters[0] if len(row_filters) == 1 else " OR ".join(f"({f})" for f in row_filters)
        columns = tuple(c.name for c in contract.columns if c.name in visible)
        out[name] = AccessSpec(
            dataset=name,
            database=contract.glue_database(),
            columns=columns,
            row_filter=row_filter,
            permissions=frozenset(perms),
            withheld=tuple(c.name for c in contract.columns if c.name not in visible),
            via=tuple(via),
        )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Persona access layer (DuckDB views that only expose what the persona may see)
# ---------------------------------------------------------------------------------------------------------------

_DUCK_TYPES = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


def duckdb_type(glue_type: str) -> str:
    """DuckDB type for a contract (Glue/Hive) type string."""
    return _DUCK_TYPES.get(glue_type, glue_type.upper())


def fetch_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run ``sql`` and return an Arrow table (DuckDB 1.x and 2.x name this differently)."""
    rel = con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class QueryColumns:
    """Which columns of which tables a query reads, and the partition predicates it applies to each table."""

    columns: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    partition_predicates: dict[tuple[str, str], list[exp.Expression | None]] = field(default_factory=dict)


class PersonaSession:
    """A DuckDB connection holding one view per attached dataset, restricted to what the persona may read.

    ``persona=None`` is the data-lake administrator (every column and row), used for operations, never for users.
    """

    def __init__(self, persona: str | None, governance: Governance | None = None) -> None:
        self.governance = governance or validate()
        self.persona = persona
        self.access = effective_access(persona, self.governance) if persona else None
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.attached: dict[tuple[str, str], list[DataFile]] = {}

    # -- access decisions ---------------------------------------------------------------------------------------
    def spec(self, dataset: str) -> AccessSpec:
        """The persona's access to ``dataset``; AccessDenied when it has no SELECT on it."""
        contract = self.contract(dataset)
        if self.access is None:
            return AccessSpec(
                dataset=dataset,
                database=contract.glue_database(),
                columns=tuple(c.name for c in contract.columns),
                row_filter=None,
                permissions=TABLE_PERMISSIONS,
            )
        spec = self.access.get(dataset)
        if spec is None or not spec.can_select:
            raise AccessDenied(
                f"persona {self.persona!r} has no SELECT grant on {contract.glue_database()}.{dataset} "
                "(see lakeformation/grants.yaml)"
            )
        return spec

    def contract(self, dataset: str) -> DatasetContract:
        """The contract of ``dataset`` (KeyError naming the known datasets when absent)."""
        if dataset not in self.governance.contracts:
            raise KeyError(f"unknown dataset {dataset!r}; known: {sorted(self.governance.contracts)}")
        return self.governance.contracts[dataset]

    def check_column(self, dataset: str, column: str) -> None:
        """Raise AccessDenied when ``column`` of ``dataset`` is withheld from the persona."""
        spec = self.spec(dataset)
        contract = self.contract(dataset)
        if column not in {c.name for c in contract.columns}:
            raise KeyError(f"dataset {dataset!r} has no column {column!r}")
        if column not in spec.columns:
            cls = contract.column(column).classification
            raise AccessDenied(
                f"persona {self.persona!r} may not read column {dataset}.{column} (classification {cls}); "
                f"visible columns: {', '.join(spec.columns)}"
            )

    # -- views --------------------------------------------------------------------------------------------------
    def attach(self, dataset: str, files: Sequence[DataFile]) -> None:
        """Create the view ``<database>.<dataset>`` over ``files``, exposing only permitted columns and rows."""
        spec = self.spec(dataset)
        contract = self.contract(dataset)
        db = contract.glue_database()
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(db)}")
        inner = self._source_sql(contract, files)
        select = ", ".join(_q(c) for c in spec.columns)
        where = ""
        if spec.row_filter:
            where = " WHERE " + sqlglot.transpile(spec.row_filter, read=SQL_DIALECT, write="duckdb")[0]
        self.con.execute(f"CREATE OR REPLACE VIEW {_q(db)}.{_q(dataset)} AS SELECT {select} FROM ({inner}) t{where}")
        self.attached[(db, dataset)] = list(files)

    def _source_sql(self, contract: DatasetContract, files: Sequence[DataFile]) -> str:
        """Every contract column of the files, with partition values taken from the catalog/path, typed."""
        typed = [(c.name, duckdb_type(c.type)) for c in contract.columns]
        if not files:
            cols = ", ".join(f"CAST(NULL AS {t}) AS {_q(n)}" for n, t in typed)
            return f"SELECT {cols} WHERE FALSE"
        parts_table = f"__files_{contract.name}"
        part_cols = list(contract.partition_by)
        rows = pa.table(
            {
                "__path": [f.local_path for f in files],
                **{p: [f.partition.get(p) for f in files] for p in part_cols},
            }
        )
        self.con.register(f"__arrow_{parts_table}", rows)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_q(parts_table)} AS SELECT * FROM {_q('__arrow_' + parts_table)}"
        )
        self.con.unregister(f"__arrow_{parts_table}")
        paths = "[" + ", ".join(_lit(f.local_path) for f in files) + "]"
        scan = f"read_parquet({paths}, filename = '__path', union_by_name = true, hive_partitioning = false)"
        present = {r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
        exprs = []
        for name, dtype in typed:
            if name in part_cols:
                exprs.append(f"CAST(NULLIF(p.{_q(name)}, '__HIVE_DEFAULT_PARTITION__') AS {dtype}) AS {_q(name)}")
            elif name in present:
                exprs.append(f"CAST(d.{_q(name)} AS {dtype}) AS {_q(name)}")
            else:  # schema drift: a column the files do not have yet reads as NULL, like Athena
                exprs.append(f"CAST(NULL AS {dtype}) AS {_q(name)}")
        return f"SELECT {', '.join(exprs)} FROM {scan} d JOIN {_q(parts_table)} p ON d.__path = p.__path"

    # -- query analysis -----------------------------------------------------------------------------------------
    def analyze(self, sql: str | exp.Expression, default_db: str) -> tuple[exp.Expression, QueryColumns]:
        """Qualify an Athena query and check every column it touches; AccessDenied names a withheld column."""
        tree = sqlglot.parse_one(sql, read=SQL_DIALECT) if isinstance(sql, str) else sql
        if not isinstance(tree, exp.Query):
            raise ValueError("only SELECT queries are supported by the local Athena engine")
        for table in tree.find_all(exp.Table):
            table.set("catalog", None)  # AwsDataCatalog.<db>.<table>: one catalog locally
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for table in tree.find_all(exp.Table):
            if not table.name:
                continue
            db = table.db or default_db
            dataset = table.name.lower()
            if dataset in self.governance.contracts and self.contract(dataset).glue_database() == db.lower():
                c = self.contract(dataset)
                schema.setdefault(c.glue_database(), {})[dataset] = {col.name: col.type for col in c.columns}
        try:
            tree = qualify(
                tree,
                schema=schema,
                db=default_db,
                dialect=SQL_DIALECT,
                expand_stars=False,
                validate_qualify_columns=True,
                quote_identifiers=True,
            )
        except OptimizeError as exc:
            raise ValueError(f"query does not resolve against the catalog: {exc}") from exc
        used = QueryColumns()
        for scope in traverse_scope(tree):
            tables = {alias: src for alias, src in scope.sources.items() if isinstance(src, exp.Table) and src.name}
            for src in tables.values():
                used.columns.setdefault(self._table_key(src), set())
            for col in scope.columns:
                src = tables.get(col.table)
                if src is None:
                    continue
                key = self._table_key(src)
                self.check_column(key[1], col.name)
                used.columns[key].add(col.name)
            for star_src in self._stars(scope, tables):
                key = self._table_key(star_src)
                used.columns[key].update(self.spec(key[1]).columns)
            self._partition_predicates(scope, tables, used)
        return tree, used

    def _table_key(self, table: exp.Table) -> tuple[str, str]:
        db, name = table.db.lower(), table.name.lower()
        contract = self.contract(name)
        if contract.glue_database() != db:
            raise KeyError(f"no table {db}.{name} in the catalog (the dataset lives in {contract.glue_database()})")
        self.spec(name)  # AccessDenied before anything is read
        return db, name

    @staticmethod
    def _stars(scope: Any, tables: dict[str, exp.Table]) -> list[exp.Table]:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return []
        out: list[exp.Table] = []
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                out.extend(tables.values())
            elif (
                isinstance(projection, exp.Column)
                and isinstance(projection.this, exp.Star)
                and projection.table in tables
            ):
                out.append(tables[projection.table])
        return out

    def _partition_predicates(self, scope: Any, tables: dict[str, exp.Table], used: QueryColumns) -> None:
        """Record, per table occurrence, the WHERE conjuncts that only use its partition columns (for pruning)."""
        select = scope.expression
        where = select.args.get("where") if isinstance(select, exp.Select) else None
        conjuncts = (
            list(where.this.flatten())
            if where is not None and isinstance(where.this, exp.And)
            else ([where.this] if where is not None else [])
        )
        for alias, src in tables.items():
            key = self._table_key(src)
            parts = set(self.contract(key[1]).partition_by)
            mine = []
            for conj in conjuncts:
                cols = list(conj.find_all(exp.Column))
                if cols and not conj.find(exp.Select) and all(c.table == alias and c.name in parts for c in cols):
                    mine.append(conj)
            predicate = exp.and_(*[m.copy() for m in mine]) if mine else None
            used.partition_predicates.setdefault(key, []).append(predicate)

    def query(self, tree: exp.Expression) -> pa.Table:
        """Run an analysed (qualified) query against the attached views and return an Arrow table."""
        return fetch_arrow(self.con, tree.sql(dialect="duckdb"))


def read_as(
    persona: str,
    dataset: str,
    *,
    location: str | None = None,
    columns: Sequence[str] | None = None,
    where: str | None = None,
    limit: int | None = None,
    glue: Any = None,
    governance: Governance | None = None,
) -> pa.Table:
    """Read a dataset as ``persona``: only permitted columns and rows (AccessDenied otherwise).

    The files come from ``location`` (a local directory or ``s3://`` prefix) or, when it is None, from the table's
    location and partitions in the (emulated) Glue Data Catalog. ``where`` is an extra Athena-SQL condition.
    """
    session = PersonaSession(persona, governance)
    spec = session.spec(dataset)  # AccessDenied before touching any data
    contract = session.contract(dataset)
    wanted = list(columns) if columns is not None else list(spec.columns)
    for col in wanted:
        session.check_column(dataset, col)
    if where:
        try:
            condition = parse_condition(where)
        except ValueError as exc:
            raise ValueError(f"read_as where: {exc}") from exc
        for col in condition.find_all(exp.Column):
            session.check_column(dataset, col.name.lower())
    if location is not None:
        files = files_from_location(location, contract.partition_by)
    else:
        files = files_from_catalog(contract.glue_database(), dataset, contract.partition_by, glue=glue)
    session.attach(dataset, files)
    sql = f"SELECT {', '.join(_q(c) for c in wanted)} FROM {_q(contract.glue_database())}.{_q(dataset)}"
    if where:
        sql += " WHERE " + sqlglot.transpile(where, read=SQL_DIALECT, write="duckdb")[0]
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return fetch_arrow(session.con, sql)


# ---------------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------------


def _validate_cmd(args: argparse.Namespace) -> int:
    try:
        gov = validate(args.dir)
    except GovernanceError as exc:
        print(f"validate-grants: {exc}", file=__import__("sys").stderr)
        return 1
    if args.json:
        print(json.dumps({"tag_assignments": tag_assignments(gov.contracts)}, indent=2))
    else:
        print(
            f"validate-grants: ok ({len(gov.tags)} tag keys, {len(gov.personas)} personas, {len(gov.grants)} grants, "
            f"{len(gov.data_filters)} data filters over {len(gov.contracts)} datasets)"
        )
    return 0


def _access_cmd(args: argparse.Namespace) -> int:
    gov = validate(args.dir)
    for persona in args.persona or sorted(gov.personas):
        print(f"{persona}:")
        for name, spec in effective_access(persona, gov).items():
            rows = f" rows where {spec.row_filter}" if spec.row_filter else ""
            hidden = f"; withheld: {', '.join(spec.withheld)}" if spec.withheld else ""
            perms = ",".join(sorted(spec.permissions))
            print(f"  {spec.database}.{name} [{perms}]{rows}: {len(spec.columns)} columns{hidden}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate-grants`` and ``effective-access`` to the lakectl CLI."""
    val = sub.add_parser("validate-grants", help="validate lakeformation/*.yaml against the dataset contracts")
    val.add_argument("--dir", default=None, help="directory holding tags/personas/grants.yaml")
    val.add_argument("--json", action="store_true", help="print the LF-tag assignment derived from the contracts")
    val.set_defaults(func=_validate_cmd)
    acc = sub.add_parser("effective-access", help="show what each persona can read (columns and row filters)")
    acc.add_argument("persona", nargs="*")
    acc.add_argument("--dir", default=None)
    acc.set_defaults(func=_access_cmd)
