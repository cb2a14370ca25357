"""Lake Formation grant files as data: the models and the one validation of ``lakeformation/*.yaml``.

Read by the contract compiler (``energylake.compiler``, which writes the validated grants for Terraform) and by
the local access layer (``lakectl.governance``, which evaluates them). Messages name the file and the field.

Semantics (see lakeformation/README.md):
- tags are attached from the dataset contracts: ``zone`` and ``domain`` on each table, ``classification`` on each
  column; a column's tags are its table's tags plus its own.
- a grant covers a column when every key of its ``lf_tag_expression`` matches the column's tags (values within
  a key are alternatives); a table is visible when at least one of its columns is covered.
- a data filter grants SELECT on one dataset to one persona, limited to its rows (``row_filter``) and columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from energylake.contracts import DatasetContract, load_contracts, read_yaml_mapping

if TYPE_CHECKING:
    from sqlglot import exp

SQL_DIALECT = "athena"  # row filters and queries are written in Athena's (Trino) SQL
# Tag keys the lake attaches from the contracts; tags.yaml must declare them.
DERIVED_TAG_KEYS = ("zone", "domain", "classification")

# What a persona's LF-TBAC table grant may give. Lake Formation also has INSERT, DELETE, ALTER, DROP and ALL
# (Super: every table permission plus granting them on) for tables, and CREATE_TABLE / DATA_LOCATION_ACCESS for
# databases and locations ("Lake Formation permissions reference",
# https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html). Personas query through
# Athena only (their IAM policy allows nothing else), so least privilege is reading: SELECT for the data,
# DESCRIBE for the metadata. Writing roles (the ETL) get their grants in Terraform from their own variables,
# never from grants.yaml.
ALLOWED_PERMISSIONS = ("SELECT", "DESCRIBE")
TABLE_PERMISSIONS = frozenset(ALLOWED_PERMISSIONS)


class GovernanceError(ValueError):
    """A grant file is malformed or inconsistent; the message names the file and field."""


# ---------------------------------------------------------------------------------------------------------------
# File models (structure only; cross-file checks are in ``validate``)
# ---------------------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TagsFile(_Strict):
    """tags.yaml: LF-tag keys and their allowed values."""

    lf_tags: dict[str, list[str]] = Field(min_length=1)


class Persona(_Strict):
    """One persona: who it is and the IAM role Terraform creates for it."""

    description: str = Field(min_length=1)
    role_name: str = Field(pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}$")


class PersonasFile(_Strict):
    """personas.yaml: persona name -> Persona."""

    personas: dict[str, Persona] = Field(min_length=1)


class Grant(_Strict):
    """An LF-TBAC grant: permissions on every table/column whose tags match the expression."""

    persona: str
    permissions: list[str] = Field(min_length=1)  # checked against ALLOWED_PERMISSIONS in validate()
    lf_tag_expression: dict[str, list[str]] = Field(min_length=1)
    # PII is never granted by accident: a grant that reaches pii columns must say so, with a reason.
    allow_pii: bool = False
    reason: str = ""


class DataFilter(_Strict):
    """A data-cells filter: one persona's view of one dataset (rows and columns)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    persona: str
    dataset: str
    row_filter: str | None = None
    excluded_columns: list[str] = Field(default_factory=list)
    included_columns: list[str] | None = None
    allow_pii: bool = False
    reason: str = ""


class GrantsFile(_Strict):
    """grants.yaml: tag-based grants and data filters."""

    grants: list[Grant] = Field(default_factory=list)
    data_filters: list[DataFilter] = Field(default_factory=list)


@dataclass(frozen=True)
class Governance:
    """The validated grant files plus the contracts their tags are derived from."""

    tags: dict[str, tuple[str, ...]]
    personas: dict[str, Persona]
    grants: tuple[Grant, ...]
    data_filters: tuple[DataFilter, ...]
    contracts: Mapping[str, DatasetContract]


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _read_model(path: Path, model: type[BaseModel]) -> Any:
    if not path.is_file():
        raise GovernanceError(f"{path.name}: file not found in {path.parent}")
    raw = read_yaml_mapping(path, GovernanceError)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Literal errors list every allowed value: keep the message short but complete.
        raise GovernanceError(f"{path.name}: {_loc(first['loc'])}: {first['msg']}") from exc


def table_tags(contract: DatasetContract) -> dict[str, str]:
    """LF-tags attached to a dataset's table (derived from its contract)."""
    return {"zone": contract.zone, "domain": contract.domain}


def column_tags(contract: DatasetContract) -> dict[str, dict[str, str]]:
    """Effective LF-tags of every column: the table's tags plus the column's classification."""
    base = table_tags(contract)
    return {c.name: {**base, "classification": c.classification} for c in contract.columns}


def tag_assignments(contracts: Mapping[str, DatasetContract] | None = None) -> dict[str, dict[str, Any]]:
    """JSON-able LF-tag assignment per dataset (database, table tags, column classification)."""
    contracts = contracts if contracts is not None else load_contracts()
    return {
        name: {
            "database": c.glue_database(),
            "table_tags": table_tags(c),
            "column_tags": {col.name: {"classification": col.classification} for col in c.columns},
        }
        for name, c in sorted(contracts.items())
    }


def _matches(expression: Mapping[str, Sequence[str]], tags: Mapping[str, str]) -> bool:
    return all(tags.get(key) in values for key, values in expression.items())


def _covered_columns(expression: Mapping[str, Sequence[str]], contract: DatasetContract) -> list[str]:
    return [name for name, tags in column_tags(contract).items() if _matches(expression, tags)]


def _filter_columns(flt: DataFilter, contract: DatasetContract) -> list[str]:
    names = [c.name for c in contract.columns]
    if flt.included_columns is not None:
        return [n for n in names if n in flt.included_columns]
    return [n for n in names if n not in flt.excluded_columns]


def parse_condition(sql: str) -> exp.Expression:
    """Parse a boolean SQL condition (Athena/Trino dialect), raising ValueError when it is not one.

    sqlglot is imported here, not at module level: it is a development-time dependency (the compiler, the local
    access layer), not one of the wheel's, and Glue jobs never validate grant files.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        select = sqlglot.parse_one(f"SELECT 1 FROM t WHERE {sql}", read=SQL_DIALECT)
    except ParseError as exc:
        raise ValueError(f"not a valid SQL condition: {str(exc).splitlines()[0]}") from exc
    where = select.args.get("where") if isinstance(select, exp.Select) else None
    if where is None or select.find(exp.Subquery) or len(list(select.find_all(exp.Select))) != 1:
        raise ValueError("not a single SQL condition (subqueries are not allowed)")
    return where.this


def condition_columns(sql: str) -> list[str]:
    """Names of the columns a SQL condition reads; ValueError when it is not one condition."""
    from sqlglot import exp

    return [col.name for col in parse_condition(sql).find_all(exp.Column)]


def _check_pii(where: str, persona: str, cols: Sequence[str], contract: DatasetContract, allowed: bool) -> None:
    pii = [c for c in cols if contract.column(c).is_pii]
    if pii and not allowed:
        shown = ", ".join(f"{contract.name}.{c}" for c in pii)
        raise GovernanceError(
            f"{where}: grants persona {persona!r} pii columns ({shown}); exclude them, or set allow_pii: true "
            "with a reason if this is intended"
        )


def validate(directory: str | Path, contracts: Mapping[str, DatasetContract] | None = None) -> Governance:
    """Load and validate tags/personas/grants YAML of ``directory``; raise GovernanceError naming file and field."""
    base = Path(directory)
    contracts = contracts if contracts is not None else load_contracts()
    tags_file: TagsFile = _read_model(base / "tags.yaml", TagsFile)
    personas_file: PersonasFile = _read_model(base / "personas.yaml", PersonasFile)
    grants_file: GrantsFile = _read_model(base / "grants.yaml", GrantsFile)

    tags = {k: tuple(v) for k, v in tags_file.lf_tags.items()}
    for key, values in tags.items():
        if not values:
            raise GovernanceError(f"tags.yaml: lf_tags.{key}: a tag needs at least one value")
        if len(set(values)) != len(values):
            raise GovernanceError(f"tags.yaml: lf_tags.{key}: duplicated values")
    for key in DERIVED_TAG_KEYS:
        if key not in tags:
            raise GovernanceError(f"tags.yaml: lf_tags: missing tag key {key!r} (attached from the dataset contracts)")
    for name, contract in sorted(contracts.items()):
        for key, value in {**table_tags(contract), "classification": None}.items():
            used = [value] if value else sorted({c.classification for c in contract.columns})
            for v in used:
                if v not in tags[key]:
                    raise GovernanceError(
                        f"tags.yaml: lf_tags.{key}: value {v!r} used by contract {name}.yaml is not declared"
                    )

    personas = dict(personas_file.personas)
    roles = [p.role_name for p in personas.values()]
    if len(set(roles)) != len(roles):
        raise GovernanceError("personas.yaml: personas: two personas share a role_name")

    select_grants: dict[str, set[str]] = {}  # persona -> datasets with tag-based SELECT
    for i, grant in enumerate(grants_file.grants):
        where = f"grants.yaml: grants[{i}]"
        if grant.persona not in personas:
            raise GovernanceError(f"{where}.persona: unknown persona {grant.persona!r} (not in personas.yaml)")
        for j, permission in enumerate(grant.permissions):
            if permission not in ALLOWED_PERMISSIONS:
                raise GovernanceError(
                    f"{where}.permissions[{j}]: {permission} is not allowed (allowed: {', '.join(ALLOWED_PERMISSIONS)})"
                )
        for key, values in grant.lf_tag_expression.items():
            if key not in tags:
                raise GovernanceError(f"{where}.lf_tag_expression.{key}: unknown tag key {key!r}")
            if not values:
                raise GovernanceError(f"{where}.lf_tag_expression.{key}: empty value list")
            for value in values:
                if value not in tags[key]:
                    raise GovernanceError(f"{where}.lf_tag_expression.{key}: unknown tag value {value!r}")
        if grant.allow_pii and not grant.reason.strip():
            raise GovernanceError(f"{where}.reason: allow_pii: true needs a reason")
        matched = False
        for name, contract in sorted(contracts.items()):
            cols = _covered_columns(grant.lf_tag_expression, contract)
            if not cols:
                continue
            matched = True
            _check_pii(where, grant.persona, cols, contract, grant.allow_pii)
            if "SELECT" in grant.permissions:
                select_grants.setdefault(grant.persona, set()).add(name)
        if not matched:
            raise GovernanceError(f"{where}.lf_tag_expression: matches no column of any dataset")

    names: set[str] = set()
    for i, flt in enumerate(grants_file.data_filters):
        where = f"grants.yaml: data_filters[{i}]"
        if flt.name in names:
            raise GovernanceError(f"{where}.name: duplicated filter name {flt.name!r}")
        names.add(flt.name)
        if flt.persona not in personas:
            raise GovernanceError(f"{where}.persona: unknown persona {flt.persona!r} (not in personas.yaml)")
        if flt.dataset not in contracts:
            raise GovernanceError(f"{where}.dataset: unknown dataset {flt.dataset!r} (no contract)")
        contract = contracts[flt.dataset]
        known = {c.name for c in contract.columns}
        if flt.included_columns is not None and flt.excluded_columns:
            raise GovernanceError(f"{where}: set included_columns or excluded_columns, not both")
        for key in ("excluded_columns", "included_columns"):
            for j, col in enumerate(getattr(flt, key) or []):
                if col not in known:
                    raise GovernanceError(f"{where}.{key}[{j}]: unknown column {col!r} of dataset {flt.dataset!r}")
        if flt.row_filter is not None:
            try:
                read = condition_columns(flt.row_filter)
            except ValueError as exc:
                raise GovernanceError(f"{where}.row_filter: {exc}") from exc
            for name in read:
                if name.lower() not in known:
                    raise GovernanceError(f"{where}.row_filter: unknown column {name!r} of dataset {flt.dataset!r}")
        cols = _filter_columns(flt, contract)
        if not cols:
            raise GovernanceError(f"{where}: the filter leaves no column visible")
        if flt.allow_pii and not flt.reason.strip():
            raise GovernanceError(f"{where}.reason: allow_pii: true needs a reason")
        _check_pii(where, flt.persona, cols, contract, flt.allow_pii)
        if flt.dataset in select_grants.get(flt.persona, set()):
            # Lake Formation unions permissions: a tag grant would make the filter restrict nothing.
            raise GovernanceError(
                f"{where}: persona {flt.persona!r} also has a tag-based SELECT on {flt.dataset!r}, so the filter "
                "would restrict nothing (Lake Formation permissions are a union)"
            )

    return Governance(
        tags=tags,
        personas=personas,
        grants=tuple(grants_file.grants),
        data_filters=tuple(grants_file.data_filters),
        contracts=contracts,
    )
