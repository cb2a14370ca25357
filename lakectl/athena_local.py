"""Local Athena engine: Athena (Trino-dialect) SQL over the lake's Parquet, as a persona, with bytes scanned.

Tables resolve through the (emulated) Glue Data Catalog: ``get_table`` gives the location and partition keys,
``get_partitions`` the registered partitions (or the location is listed when partition projection is on). The
query is checked against the persona's Lake Formation grants (``lakectl.governance``): touching a withheld column
raises AccessDenied naming it, and the persona's DuckDB session only holds views with permitted columns and rows.
sqlglot transpiles the SQL to DuckDB, which runs it.

Bytes scanned approximates Athena's ``DataScannedInBytes`` for Parquet: the compressed size of the column chunks of
the columns the query reads (row-filter columns included; partition columns are free), summed over the files of
the partitions left after partition pruning (WHERE conjuncts that only use partition columns). Athena also reads
footers and may skip row groups by statistics, so the real figure differs by a few percent either way.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from lakectl.governance import SQL_DIALECT, AccessDenied, Governance, PersonaSession, duckdb_type, fetch_arrow
from lakectl.lake_tables import DataFile, files_from_catalog, files_from_location
from lakectl.settings import REPO_ROOT

DEFAULT_DATABASE = "energy_curated"
NAMED_QUERIES_DIR = REPO_ROOT / "terraform" / "modules" / "athena" / "queries"


@dataclass(frozen=True)
class TableScan:
    """What one table contributed to a query: files listed/read, columns read and bytes scanned."""

    table: str
    files_total: int
    files_read: int
    columns_read: tuple[str, ...]
    bytes_scanned: int


@dataclass
class QueryResult:
    """Rows of a local Athena query plus its scan statistics."""

    table: pa.Table
    bytes_scanned: int
    scans: dict[str, TableScan] = field(default_factory=dict)
    duckdb_sql: str = ""

    @property
    def columns(self) -> list[str]:
        """Result column names."""
        return self.table.column_names

    def rows(self) -> list[dict[str, Any]]:
        """Result rows as dictionaries."""
        return self.table.to_pylist()


@dataclass(frozen=True)
class NamedQuery:
    """An Athena named query: name, database it runs in, and its SQL."""

    name: str
    database: str
    sql: str
    description: str = ""


@cache
def _chunk_sizes(path: str) -> dict[str, int]:
    """Compressed bytes per top-level column of one Parquet file (from its footer)."""
    meta = pq.ParquetFile(path).metadata
    sizes: dict[str, int] = {}
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for ci in range(group.num_columns):
            chunk = group.column(ci)
            top = chunk.path_in_schema.split(".")[0]
            sizes[top] = sizes.get(top, 0) + chunk.total_compressed_size
    return sizes


def _pruned(
    session: PersonaSession, dataset: str, files: Sequence[DataFile], preds: list[exp.Expression | None]
) -> list[DataFile]:
    """Files of the partitions any occurrence of the table may read (all when one occurrence has no predicate)."""
    contract = session.contract(dataset)
    if not files or not contract.partition_by or any(p is None for p in preds):
        return list(files)
    typed = ", ".join(
        f'CAST(NULLIF("{c.name}", \'__HIVE_DEFAULT_PARTITION__\') AS {duckdb_type(c.type)}) AS "{c.name}"'
        for c in contract.partition_columns
    )
    conditions = []
    for pred in preds:
        pred = pred.copy()
        for col in pred.find_all(exp.Column):
            col.set("table", None)
        conditions.append(f"({pred.sql(dialect='duckdb')})")
    sql = f'SELECT "__path" FROM (SELECT "__path", {typed} FROM "__files_{dataset}") WHERE {" OR ".join(conditions)}'
    try:
        keep = {r[0] for r in session.con.execute(sql).fetchall()}
    except Exception:  # a predicate DuckDB cannot evaluate alone: read everything, as Athena would
        return list(files)
    return [f for f in files if f.local_path in keep]


def run_query(
    sql: str,
    persona: str | None,
    *,
    database: str = DEFAULT_DATABASE,
    glue: Any = None,
    locations: Mapping[str, str] | None = None,
    governance: Governance | None = None,
) -> QueryResult:
    """Run Athena SQL as ``persona`` (None = lake administrator) over catalog tables; rows and bytes scanned.

    ``locations`` maps dataset -> local directory or s3:// prefix, bypassing the catalog (tests, ad-hoc use).
    """
    session = PersonaSession(persona, governance)
    tree, used = session.analyze(sql, database)  # AccessDenied/unknown column before any data is read
    scans: dict[str, TableScan] = {}
    for (db, dataset), cols in used.columns.items():
        contract = session.contract(dataset)
        if locations and dataset in locations:
            files = files_from_location(locations[dataset], contract.partition_by)
        else:
            glue = glue or boto3.client("glue")
            files = files_from_catalog(db, dataset, contract.partition_by, glue=glue)
        session.attach(dataset, files)
        spec = session.spec(dataset)
        read_cols = set(cols)
        if spec.row_filter:  # the filter's columns are read even when the persona cannot see them
            read_cols |= {
                c.name.lower()
                for c in sqlglot.parse_one(f"SELECT 1 WHERE {spec.row_filter}", read=SQL_DIALECT).find_all(exp.Column)
            }
        data_cols = sorted(c for c in read_cols if c not in contract.partition_by)
        read = _pruned(session, dataset, files, used.partition_predicates.get((db, dataset), [None]))
        scanned = sum(_chunk_sizes(f.local_path).get(c, 0) for f in read for c in data_cols)
        scans[f"{db}.{dataset}"] = TableScan(
            table=f"{db}.{dataset}",
            files_total=len(files),
            files_read=len(read),
            columns_read=tuple(data_cols),
            bytes_scanned=scanned,
        )
    duck_sql = tree.sql(dialect="duckdb")
    table = fetch_arrow(session.con, duck_sql)
    return QueryResult(
        table=table,
        bytes_scanned=sum(s.bytes_scanned for s in scans.values()),
        scans=scans,
        duckdb_sql=duck_sql,
    )


_HEADER = re.compile(r"^--\s*(name|database|description)\s*:\s*(.+?)\s*$", re.IGNORECASE)


def load_named_queries(directory: str | Path | None = None) -> dict[str, NamedQuery]:
    """Named queries from ``*.sql`` files (name = file stem; optional ``-- database: x`` header comment)."""
    base = Path(directory) if directory else NAMED_QUERIES_DIR
    out = {}
    for path in sorted(base.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            match = _HEADER.match(line)
            if match:
                header[match.group(1).lower()] = match.group(2)
        sql = text.strip().rstrip(";").strip()
        name = header.get("name", path.stem)
        out[name] = NamedQuery(name, header.get("database", DEFAULT_DATABASE), sql, header.get("description", ""))
    return out


def named_queries_from_athena(athena: Any = None, work_group: str | None = None) -> dict[str, NamedQuery]:
    """Named queries registered in (emulated) Athena, e.g. the ones Terraform created."""
    athena = athena or boto3.client("athena")
    kwargs = {"WorkGroup": work_group} if work_group else {}
    ids = [i for page in athena.get_paginator("list_named_queries").paginate(**kwargs) for i in page["NamedQueryIds"]]
    out = {}
    for query_id in ids:
        q = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
        sql = q["QueryString"].strip().rstrip(";").strip()
        out[q["Name"]] = NamedQuery(q["Name"], q.get("Database", DEFAULT_DATABASE), sql, q.get("Description", ""))
    return out


def run_named_query(query: NamedQuery, persona: str | None, **kwargs: Any) -> QueryResult:
    """Run one named query in its database as ``persona``."""
    return run_query(query.sql, persona, database=query.database, **kwargs)


def _query_cmd(args: argparse.Namespace) -> int:
    sql = Path(args.sql[1:]).read_text(encoding="utf-8") if args.sql.startswith("@") else args.sql
    try:
        result = run_query(sql, args.persona, database=args.database)
    except AccessDenied as exc:
        print(f"athena-query: AccessDenied: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"rows": result.rows(), "bytes_scanned": result.bytes_scanned}, default=str, indent=2))
    else:
        print(result.table.to_pandas().to_string(index=False, max_rows=args.max_rows))
        print(f"-- {result.table.num_rows} rows, {result.bytes_scanned} bytes scanned (local approximation)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``athena-query`` to the lakectl CLI."""
    q = sub.add_parser("athena-query", help="run Athena SQL locally over the catalog's Parquet, as a persona")
    q.add_argument("sql", help="the SQL text, or @file.sql")
    q.add_argument("--persona", required=True, help="persona from lakeformation/personas.yaml")
    q.add_argument("--database", default=DEFAULT_DATABASE)
    q.add_argument("--json", action="store_true")
    q.add_argument("--max-rows", type=int, default=50)
    q.set_defaults(func=_query_cmd)
