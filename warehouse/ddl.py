"""Redshift DDL built as sqlglot expressions from the dataset contracts (never string templates).

One expression renders as Redshift SQL (DISTSTYLE/DISTKEY/SORTKEY kept) or as PostgreSQL SQL for the local
warehouse stand-in (the Redshift-only physical properties dropped, since PostgreSQL has no equivalent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from energylake.contracts import DatasetContract, WarehouseHints, load_contracts

_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_GLUE_TO_SQL = {
    "string": exp.DataType.Type.TEXT,  # Redshift renders VARCHAR(MAX) = VARCHAR(65535)
    "boolean": exp.DataType.Type.BOOLEAN,
    "int": exp.DataType.Type.INT,
    "bigint": exp.DataType.Type.BIGINT,
    "smallint": exp.DataType.Type.SMALLINT,
    "double": exp.DataType.Type.DOUBLE,
    "float": exp.DataType.Type.FLOAT,
    "date": exp.DataType.Type.DATE,
    "timestamp": exp.DataType.Type.TIMESTAMP,  # Hive/Glue timestamp = no time zone
}
_REDSHIFT_ONLY = (exp.DistStyleProperty, exp.DistKeyProperty, exp.SortKeyProperty)


def glue_to_sql_type(glue_type: str) -> exp.DataType:
    """sqlglot DataType for a contract (Glue/Hive) type string."""
    match = _DECIMAL.match(glue_type)
    if match:
        return exp.DataType.build(f"DECIMAL({match.group(1)}, {match.group(2)})")
    try:
        return exp.DataType(this=_GLUE_TO_SQL[glue_type])
    except KeyError:
        raise ValueError(f"no warehouse type for Glue type {glue_type!r}") from None


@dataclass(frozen=True)
class ColumnSpec:
    """A column ready for DDL: name, SQL type, nullability and an optional stored generation expression."""

    name: str
    type: exp.DataType
    nullable: bool = True
    generated: exp.Expression | None = None


def column_def(col: ColumnSpec) -> exp.ColumnDef:
    """sqlglot column definition (NOT NULL and GENERATED ... STORED constraints)."""
    constraints = []
    if col.generated is not None:
        constraints.append(
            exp.ColumnConstraint(kind=exp.ComputedColumnConstraint(this=col.generated.copy(), persisted=True))
        )
    if not col.nullable:
        constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
    return exp.ColumnDef(this=exp.to_identifier(col.name), kind=col.type.copy(), constraints=constraints)


def create_table(
    table: str,
    columns: Sequence[ColumnSpec],
    *,
    primary_key: Sequence[str] = (),
    hints: WarehouseHints | None = None,
    extra_constraints: Iterable[exp.Expression] = (),
    temporary: bool = False,
    if_not_exists: bool = True,
) -> exp.Create:
    """CREATE TABLE expression with PK, extra table constraints and Redshift distribution/sort keys."""
    items: list[exp.Expression] = [column_def(c) for c in columns]
    if primary_key:
        items.append(exp.PrimaryKey(expressions=[exp.to_identifier(k) for k in primary_key]))
    items.extend(extra_constraints)
    props: list[exp.Expression] = []
    if temporary:
        props.append(exp.TemporaryProperty())
    if hints:
        props.append(exp.DistStyleProperty(this=exp.var(hints.diststyle.upper())))
        if hints.distkey:
            props.append(exp.DistKeyProperty(this=exp.to_identifier(hints.distkey)))
        if hints.sortkey:
            props.append(exp.SortKeyProperty(this=[exp.to_identifier(k) for k in hints.sortkey], compound=False))
    return exp.Create(
        this=exp.Schema(this=exp.to_table(table), expressions=items),
        kind="TABLE",
        exists=if_not_exists,
        properties=exp.Properties(expressions=props) if props else None,
    )


def render(expression: exp.Expression, dialect: str) -> str:
    """SQL text for ``redshift`` or ``postgres``; for PostgreSQL the Redshift-only table properties are dropped."""
    if dialect == "postgres":
        expression = expression.copy()
        for prop in list(expression.find_all(*_REDSHIFT_ONLY)):
            prop.pop()
        props = expression.args.get("properties")
        if isinstance(props, exp.Properties) and not props.expressions:
            expression.set("properties", None)
    return expression.sql(dialect=dialect)


def warehouse_table(contract: DatasetContract) -> str:
    """Schema-qualified warehouse table: ``<domain>.<hints.table or name without the domain prefix>``."""
    hinted = contract.warehouse.table if contract.warehouse else None
    name = hinted or contract.name.removeprefix(f"{contract.domain}_")
    return f"{contract.domain}.{name}"


def contract_columns(contract: DatasetContract, *, data_only: bool = False) -> list[ColumnSpec]:
    """Column specs of a contract (all columns, or only those stored inside the data files)."""
    cols = contract.data_columns if data_only else contract.columns
    return [ColumnSpec(c.name, glue_to_sql_type(c.type), c.nullable) for c in cols]


def contract_table_ddl(contract: DatasetContract) -> exp.Create:
    """Warehouse CREATE TABLE for a contract with its hints (PK is informational on Redshift)."""
    return create_table(
        warehouse_table(contract),
        contract_columns(contract),
        primary_key=contract.primary_key,
        hints=contract.warehouse,
    )


def warehouse_contracts() -> list[DatasetContract]:
    """Contracts that declare warehouse hints (the tables that exist in Redshift)."""
    return [c for c in load_contracts().values() if c.warehouse is not None]


def warehouse_ddl(dialect: str = "redshift", contracts: Iterable[DatasetContract] | None = None) -> str:
    """The whole warehouse DDL script (schemas then tables) for ``dialect``."""
    chosen = list(contracts) if contracts is not None else warehouse_contracts()
    schemas = sorted({warehouse_table(c).split(".")[0] for c in chosen})
    stmts = [exp.Create(this=exp.to_table(s), kind="SCHEMA", exists=True).sql(dialect=dialect) for s in schemas]
    stmts += [render(contract_table_ddl(c), dialect) for c in sorted(chosen, key=lambda c: c.name)]
    return ";\n".join(stmts) + ";\n"
