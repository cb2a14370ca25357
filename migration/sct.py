"""Schema conversion (what AWS SCT does): source catalog in, Redshift DDL + Glue tables + assessment out.

It reads PostgreSQL's ``information_schema`` (never the contracts) for tables, columns, keys, CHECKs, generated
columns, views and routines; maps types with sqlglot; takes distribution and sort keys from the matching
dataset contract's ``warehouse`` hints; transpiles view SQL PostgreSQL -> Redshift with sqlglot; and lists
everything it could not convert (or converted with a caveat) in the assessment report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
import sqlglot
from sqlglot import exp

from energylake.contracts import DatasetContract, load_contracts
from warehouse.ddl import ColumnSpec, create_table, warehouse_table

# PostgreSQL data_type (information_schema) -> Glue type; numeric handled separately.
_PG_TO_GLUE = {
    "bigint": "bigint",
    "integer": "int",
    "smallint": "smallint",
    "text": "string",
    "character varying": "string",
    "character": "string",
    "boolean": "boolean",
    "double precision": "double",
    "real": "float",
    "date": "date",
    "timestamp without time zone": "timestamp",
}


@dataclass
class Finding:
    """One assessment item: object, severity (info | warning | action | error) and what to do."""

    object: str
    kind: str
    severity: str
    message: str


@dataclass
class SourceColumn:
    """A column as read from information_schema."""

    name: str
    data_type: str
    nullable: bool
    char_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    generated: str | None = None
    default: str | None = None

    def pg_type(self) -> str:
        """The column's PostgreSQL type text."""
        if self.data_type == "numeric" and self.precision is not None:
            return f"numeric({self.precision},{self.scale or 0})"
        if self.data_type in ("character varying", "character") and self.char_length:
            return f"{self.data_type}({self.char_length})"
        return self.data_type


@dataclass
class SourceTable:
    """A table as read from information_schema."""

    schema: str
    name: str
    columns: list[SourceColumn] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)  # column, parent table, parent column
    checks: list[str] = field(default_factory=list)


@dataclass
class ConversionResult:
    """Everything SCT produced."""

    redshift_ddl: list[str] = field(default_factory=list)
    glue_tables: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def unconverted(self) -> list[Finding]:
        """Findings that need a human (action or error)."""
        return [f for f in self.findings if f.severity in ("action", "error")]


def read_catalog(conn: psycopg.Connection, schema: str) -> tuple[list[SourceTable], list[tuple[str, str]], list[str]]:
    """Tables, views (name, definition) and routine names of ``schema`` from information_schema."""
    tables: dict[str, SourceTable] = {}
    for (name,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' "
        "ORDER BY table_name",
        [schema],
    ):
        tables[name] = SourceTable(schema, name)
    for row in conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable, character_maximum_length, numeric_precision, "
        "numeric_scale, generation_expression, column_default FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        [schema],
    ):
        if row[0] in tables:
            tables[row[0]].columns.append(
                SourceColumn(row[1], row[2], row[3] == "YES", row[4], row[5], row[6], row[7], row[8])
            )
    for table, column, ctype, ref_table, ref_column in conn.execute(
        "SELECT tc.table_name, kcu.column_name, tc.constraint_type, ccu.table_name, ccu.column_name "
        "FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
        " AND kcu.constraint_schema = tc.constraint_schema "
        "LEFT JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name "
        " AND ccu.constraint_schema = tc.constraint_schema AND tc.constraint_type = 'FOREIGN KEY' "
        "WHERE tc.table_schema = %s AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') "
        "ORDER BY tc.table_name, tc.constraint_type DESC, kcu.ordinal_position",
        [schema],
    ):
        if ctype == "PRIMARY KEY":
            tables[table].primary_key.append(column)
        else:
            tables[table].foreign_keys.append((column, ref_table, ref_column))
    for table, clause in conn.execute(
        "SELECT tc.table_name, cc.check_clause FROM information_schema.table_constraints tc "
        "JOIN information_schema.check_constraints cc ON cc.constraint_name = tc.constraint_name "
        " AND cc.constraint_schema = tc.constraint_schema "
        "WHERE tc.table_schema = %s AND tc.constraint_type = 'CHECK' AND cc.check_clause NOT LIKE '%% IS NOT NULL' "
        "ORDER BY 1, 2",
        [schema],
    ):
        tables[table].checks.append(clause)
    views = conn.execute(
        "SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = %s ORDER BY 1",
        [schema],
    ).fetchall()
    routines = [
        f"{r[0]} ({r[1]}, {r[2]})"
        for r in conn.execute(
            "SELECT routine_name, routine_type, external_language FROM information_schema.routines "
            "WHERE routine_schema = %s ORDER BY 1",
            [schema],
        )
    ]
    return list(tables.values()), views, routines


def glue_type(col: SourceColumn) -> str | None:
    """Glue type of a source column, or None when it has no lake equivalent."""
    if col.data_type == "numeric":
        return f"decimal({col.precision},{col.scale or 0})" if col.precision is not None else None
    return _PG_TO_GLUE.get(col.data_type)


def _contract_for(table: SourceTable) -> DatasetContract | None:
    for contract in load_contracts().values():
        if contract.source.get("schema") == table.schema and contract.source.get("table") == table.name:
            return contract
    return None


def convert(conn: psycopg.Connection, schema: str, transform_bucket: str = "{transform}") -> ConversionResult:
    """Convert every object of ``schema``; unconvertible pieces become findings, never silent drops."""
    tables, views, routines = read_catalog(conn, schema)
    result = ConversionResult()
    add = result.findings.append
    for table in tables:
        obj = f"{schema}.{table.name}"
        contract = _contract_for(table)
        if contract is None:
            add(
                Finding(
                    obj, "table", "action", "no dataset contract names this table in its source hints; not migrated"
                )
            )
            continue
        specs, glue_cols = [], []
        for col in table.columns:
            gtype = glue_type(col)
            if gtype is None:
                add(
                    Finding(
                        f"{obj}.{col.name}", "column", "action", f"type {col.pg_type()} has no mapping; not converted"
                    )
                )
                continue
            specs.append(ColumnSpec(col.name, exp.DataType.build(col.pg_type(), dialect="postgres"), col.nullable))
            glue_cols.append({"Name": col.name, "Type": gtype})
            if col.generated:
                add(
                    Finding(
                        f"{obj}.{col.name}",
                        "generated column",
                        "warning",
                        f"GENERATED ALWAYS AS ({col.generated}) STORED is not supported by Redshift: converted to a "
                        "plain column; its value arrives with the data (DMS carries the computed value)",
                    )
                )
            if col.data_type == "text":
                add(Finding(f"{obj}.{col.name}", "column", "info", "text mapped to VARCHAR(MAX) (65535 bytes)"))
            if col.default and "nextval" in col.default:
                add(
                    Finding(
                        f"{obj}.{col.name}", "column", "info", "sequence default dropped: keys come from the source"
                    )
                )
            contract_col = next((c for c in contract.columns if c.name == col.name), None)
            if contract_col is None or contract_col.type != gtype:
                add(
                    Finding(
                        f"{obj}.{col.name}",
                        "column",
                        "error",
                        f"source type {gtype} disagrees with contract {contract.name} "
                        f"({contract_col.type if contract_col else 'missing'})",
                    )
                )
        missing = [c.name for c in contract.columns if c.name not in {s.name for s in specs}]
        if missing:
            add(Finding(obj, "table", "error", f"contract {contract.name} columns {missing} are not in the source"))
        fks = [
            exp.ForeignKey(
                expressions=[exp.to_identifier(col)],
                reference=exp.Reference(
                    this=exp.Schema(this=exp.to_table(f"{schema}.{parent}"), expressions=[exp.to_identifier(pcol)])
                ),
            )
            for col, parent, pcol in table.foreign_keys
        ]
        if fks:
            add(
                Finding(
                    obj,
                    "foreign key",
                    "info",
                    "foreign keys kept as Redshift informational constraints (not enforced; the load's "
                    "data-quality gate checks referential integrity)",
                )
            )
        for clause in table.checks:
            add(
                Finding(
                    obj,
                    "check constraint",
                    "action",
                    f"CHECK {clause} not converted: Redshift has no CHECK constraints; enforce it with the "
                    "contract's quality rules",
                )
            )
        ddl = create_table(
            warehouse_table(contract),
            specs,
            primary_key=table.primary_key,
            hints=contract.warehouse,
            extra_constraints=fks,
        )
        result.redshift_ddl.append(ddl.sql(dialect="redshift"))
        if contract.warehouse is None:
            add(Finding(obj, "table", "warning", "no warehouse hints in the contract: DISTSTYLE AUTO"))
        partition = [c for c in glue_cols if c["Name"] in contract.partition_by]
        result.glue_tables.append(
            _glue_table_input(contract, [c for c in glue_cols if c not in partition], partition, transform_bucket)
        )
    for name, definition in views:
        obj = f"{schema}.{name}"
        try:
            select = sqlglot.transpile(definition, read="postgres", write="redshift")[0]
            result.redshift_ddl.append(f"CREATE OR REPLACE VIEW {schema}.{name} AS {select}")
            add(Finding(obj, "view", "info", "view SQL transpiled PostgreSQL -> Redshift with sqlglot"))
        except sqlglot.errors.SqlglotError as exc:
            add(Finding(obj, "view", "action", f"view not converted: {exc}"))
    for routine in routines:
        add(
            Finding(
                f"{schema}.{routine}",
                "routine",
                "action",
                "PL/pgSQL functions are not converted: Redshift stored procedures cannot return values and UDFs "
                "are SQL/Lambda only; rewrite as a view, SQL UDF or procedure",
            )
        )
    return result


def _glue_table_input(contract: DatasetContract, columns: list[dict], partition: list[dict], bucket: str) -> dict:
    """Glue API TableInput for the transform-zone Parquet table fed by this source table."""
    return {
        "DatabaseName": contract.glue_database(),
        "TableInput": {
            "Name": contract.name,
            "Description": contract.description,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet", "parquet.compression": "SNAPPY"},
            "PartitionKeys": partition,
            "StorageDescriptor": {
                "Columns": columns,
                "Location": f"s3://{bucket}/{contract.name}/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        },
    }


def assessment_markdown(result: ConversionResult, schema: str) -> str:
    """The assessment report as Markdown."""
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "action", "warning", "info")}
    lines = [
        f"# Schema conversion assessment: `{schema}` (PostgreSQL) -> Amazon Redshift",
        "",
        f"Converted tables/views: {len(result.redshift_ddl)}; Glue tables: {len(result.glue_tables)}; "
        + ", ".join(f"{k}: {v}" for k, v in counts.items()),
        "",
        "| severity | object | kind | finding |",
        "| --- | --- | --- | --- |",
    ]
    order = {"error": 0, "action": 1, "warning": 2, "info": 3}
    for f in sorted(result.findings, key=lambda f: (order[f.severity], f.object)):
        lines.append(f"| {f.severity} | `{f.object}` | {f.kind} | {f.message.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def write_outputs(result: ConversionResult, out_dir: Path, schema: str) -> list[Path]:
    """Write redshift_ddl.sql, glue_tables.json, assessment.json and assessment.md into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "redshift_ddl.sql": ";\n\n".join(result.redshift_ddl) + ";\n",
        "glue_tables.json": json.dumps(result.glue_tables, indent=2) + "\n",
        "assessment.json": json.dumps([asdict(f) for f in result.findings], indent=2) + "\n",
        "assessment.md": assessment_markdown(result, schema),
    }
    paths = []
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
        paths.append(out_dir / name)
    return paths
