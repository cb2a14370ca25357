"""Dataset contracts: the single definition of every dataset in the lake.

Each YAML file under ``energylake/datasets/`` describes one dataset: its zone,
columns (Glue/Hive type strings, nullability, PII classification), partition
columns, primary key, quality rules and warehouse hints. Spark schemas, Glue
catalog tables (Terraform reads the same YAML), Lake Formation LF-tags and
Redshift DDL are all derived from it, so a column is declared exactly once.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Zone = Literal["landing", "raw", "transform", "curated", "quarantine"]
Classification = Literal["public", "internal", "confidential", "pii"]
FileFormat = Literal["json", "csv", "parquet"]

# Glue/Hive primitive type names accepted in contracts (decimal(p,s) checked by regex).
_PRIMITIVE_TYPES = {
    "string",
    "boolean",
    "int",
    "bigint",
    "smallint",
    "double",
    "float",
    "date",
    "timestamp",
}
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


class ContractError(ValueError):
    """A dataset contract file is malformed; the message names the file and field."""


class Column(BaseModel):
    """One column: Glue type string, nullability and data classification."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: str
    nullable: bool = True
    classification: Classification = "internal"
    description: str = ""

    @model_validator(mode="after")
    def _check_type(self) -> Column:
        if self.type not in _PRIMITIVE_TYPES and not _DECIMAL.match(self.type):
            raise ValueError(f"column {self.name!r}: unsupported type {self.type!r}")
        return self

    @property
    def is_pii(self) -> bool:
        """True when the column must be hidden from personas without PII clearance."""
        return self.classification == "pii"


class QualityRule(BaseModel):
    """A declarative data-quality rule evaluated by ``energylake.quality``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Literal["not_null", "range", "allowed_values", "unique", "regex", "not_future", "min_timestamp"]
    column: str | None = None
    columns: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    pattern: str | None = None
    value: str | None = None
    # When set, a range rule only applies to rows where this column equals this value.
    when_column: str | None = None
    when_value: str | None = None
    # not_future: the column holding the time the value may not pass (default: the job's clock).
    reference: str | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        """The columns the rule checks: ``column``, then ``columns``."""
        return tuple(c for c in (self.column, *self.columns) if c)

    @property
    def reads(self) -> tuple[str, ...]:
        """Every column the rule reads: its targets, then ``when_column`` and ``reference`` when set."""
        return tuple(c for c in (*self.targets, self.when_column, self.reference) if c)


class WarehouseHints(BaseModel):
    """Redshift physical design chosen for the dataset (used by schema conversion)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str | None = None
    diststyle: Literal["auto", "even", "key", "all"] = "auto"
    distkey: str | None = None
    sortkey: tuple[str, ...] = ()


class DatasetContract(BaseModel):
    """A whole dataset definition as loaded from one contract file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zone: Zone
    domain: str
    description: str
    format: FileFormat = "parquet"
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ()
    event_time: str | None = None
    quality: tuple[QualityRule, ...] = ()
    warehouse: WarehouseHints | None = None
    # Free-form source hints (e.g. DMS table name, file layout) for the jobs that read it.
    source: dict[str, str] = Field(default_factory=dict)
    # Device type -> the metrics its devices measure. A device reports a metric it has no sensor for as null:
    # that reading is counted as not reported, while a null for a metric it does measure is bad data.
    device_sensors: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_references(self) -> DatasetContract:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"duplicated columns {duplicated}")
        known = set(names)
        for group, refs in (("partition_by", self.partition_by), ("primary_key", self.primary_key)):
            missing = [r for r in refs if r not in known]
            if missing:
                raise ValueError(f"{group} names unknown columns {missing}")
        if self.event_time and self.event_time not in known:
            raise ValueError(f"event_time names unknown column {self.event_time!r}")
        for i, rule in enumerate(self.quality):
            for key in ("column", "columns", "when_column", "reference"):
                value = getattr(rule, key)
                for j, ref in enumerate(value if isinstance(value, tuple) else [value]):
                    if ref and ref not in known:
                        at = f"quality[{i}].{key}" + (f"[{j}]" if isinstance(value, tuple) else "")
                        raise ValueError(f"{at}: {rule.rule} rule names unknown column {ref!r}")
        allowed = {v for r in self.quality if r.rule == "allowed_values" and r.column == "metric" for v in r.values}
        for device_type, sensors in self.device_sensors.items():
            if not sensors:
                raise ValueError(f"device_sensors.{device_type} lists no metrics")
            unknown = sorted(set(sensors) - allowed) if allowed else []
            if unknown:
                raise ValueError(f"device_sensors.{device_type} names metrics {unknown} outside the allowed values")
        if self.warehouse:
            for ref in (self.warehouse.distkey, *self.warehouse.sortkey):
                if ref and ref not in known:
                    raise ValueError(f"warehouse hint names unknown column {ref!r}")
        return self

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError when absent)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}: no column {name!r}")

    @property
    def data_columns(self) -> tuple[Column, ...]:
        """Columns stored inside the files (everything but the partition columns)."""
        return tuple(c for c in self.columns if c.name not in self.partition_by)

    @property
    def partition_columns(self) -> tuple[Column, ...]:
        """Partition columns in declared order (they become S3 path segments)."""
        return tuple(self.column(n) for n in self.partition_by)

    @property
    def pii_columns(self) -> tuple[str, ...]:
        """Names of the PII-classified columns."""
        return tuple(c.name for c in self.columns if c.is_pii)

    def glue_database(self, prefix: str = "energy") -> str:
        """Glue Data Catalog database holding this dataset (one per zone)."""
        return glue_database(self.zone, prefix)

    def ddl(self) -> str:
        """Spark DDL string of all columns, usable with ``StructType.fromDDL``."""
        return ", ".join(f"{c.name} {c.type.upper()}" for c in self.columns)


def glue_database(zone: str, prefix: str = "energy") -> str:
    """Glue Data Catalog database of a zone: <prefix>_<zone>."""
    return f"{prefix}_{zone}"


CONTRACTS_PACKAGE = "energylake.datasets"


def contract_files() -> list[Traversable]:
    """The contract YAML files shipped in the package, sorted by name.

    Read as importlib.resources traversables, never as filesystem paths: on Glue the wheel is on sys.path as a
    zip archive (``--extra-py-files``), where a directory path of the package would list no files at all.
    """
    files = [f for f in resources.files(CONTRACTS_PACKAGE).iterdir() if f.name.endswith(".yaml")]
    return sorted(files, key=lambda f: f.name)


def read_yaml_mapping(path: Traversable, error: type[ValueError]) -> dict:
    """The top-level mapping of a YAML rule file; ``error`` naming the file when it is not one."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{path.name}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise error(f"{path.name}: expected a mapping at top level")
    return raw


def parse_contract(path: Traversable) -> DatasetContract:
    """Load and validate one contract file (path or packaged resource); ContractError names file and field."""
    raw = read_yaml_mapping(path, ContractError)
    try:
        contract = DatasetContract.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"] and first["type"] == "value_error":
            # A cross-field check: its message starts with the field it is about (e.g. quality[2].column).
            raise ContractError(f"{path.name}: field {first['ctx']['error']}") from exc
        field = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise ContractError(f"{path.name}: field {field}: {first['msg']}") from exc
    if contract.name != path.name.removesuffix(".yaml"):
        raise ContractError(f"{path.name}: field name: {contract.name!r} must match the file name")
    return validate(contract, path.name)


# Column types a range rule can compare with its numeric bounds.
_NUMERIC_TYPES = {"int", "bigint", "smallint", "double", "float"}
_TIME_TYPES = {"date", "timestamp"}


def semantic_problems(contract: DatasetContract) -> list[tuple[str, str]]:
    """(field, problem) for every rule that is well-shaped but cannot mean what it says.

    Shape (types, known column names) is checked when the contract is built; this checks meaning: a range has
    a bound, its minimum does not exceed its maximum and its column is a number; a rule's ``when_value`` is a
    value its column may take (a metric that exists); timestamps parse; patterns compile; value lists are not
    empty; the rule fields a rule needs are there.
    """
    from datetime import datetime

    problems: list[tuple[str, str]] = []
    types = {c.name: c.type for c in contract.columns}
    allowed = {r.column: set(r.values) for r in contract.quality if r.rule == "allowed_values" and r.column}
    for i, rule in enumerate(contract.quality):
        at = f"quality.{i}"
        if not rule.targets:
            problems.append((f"{at}.column", f"rule {rule.rule!r} names no column"))
        if rule.rule == "range":
            if rule.min is None and rule.max is None:
                problems.append((f"{at}.min", "a range rule needs min, max or both"))
            if rule.min is not None and rule.max is not None and rule.min > rule.max:
                problems.append((f"{at}.min", f"min {rule.min} exceeds max {rule.max}"))
            for name in rule.targets:
                if name in types and types[name] not in _NUMERIC_TYPES and not _DECIMAL.match(types[name]):
                    problems.append((f"{at}.column", f"range on {name!r} of type {types[name]}, not a number"))
        if (rule.when_column is None) != (rule.when_value is None):
            problems.append((f"{at}.when_value", "when_column and when_value go together"))
        if rule.when_column in allowed and rule.when_value not in allowed[rule.when_column]:
            problems.append(
                (f"{at}.when_value", f"{rule.when_value!r} is not an allowed value of {rule.when_column!r}")
            )
        if rule.rule == "allowed_values" and not rule.values:
            problems.append((f"{at}.values", "an allowed_values rule lists no values"))
        if rule.rule == "regex":
            try:
                re.compile(rule.pattern or "")
            except re.error as exc:
                problems.append((f"{at}.pattern", f"does not compile: {exc}"))
            if not rule.pattern:
                problems.append((f"{at}.pattern", "a regex rule needs a pattern"))
        if rule.rule == "min_timestamp":
            try:
                datetime.fromisoformat(rule.value or "")
            except ValueError:
                problems.append((f"{at}.value", f"{rule.value!r} is not an ISO timestamp"))
        if rule.rule in ("min_timestamp", "not_future"):
            for name in rule.targets:
                if name in types and types[name] not in _TIME_TYPES:
                    problems.append((f"{at}.column", f"{rule.rule} on {name!r} of type {types[name]}, not a time"))
    if contract.event_time and types.get(contract.event_time) not in _TIME_TYPES:
        problems.append(("event_time", f"{contract.event_time!r} is not a date or timestamp column"))
    return problems


def validate(contract: DatasetContract, source: str | None = None) -> DatasetContract:
    """The contract when its rules make sense (``semantic_problems``); ContractError naming file and field."""
    problems = semantic_problems(contract)
    if problems:
        where = source or f"{contract.name}.yaml"
        field, problem = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ContractError(f"{where}: field {field}: {problem}{more}")
    return contract


@cache
def load_contracts(directory: str | None = None) -> dict[str, DatasetContract]:
    """All contracts keyed by dataset name (cached; pass a directory to load others)."""
    files = sorted(Path(directory).glob("*.yaml")) if directory else contract_files()
    contracts = {f.name.removesuffix(".yaml"): parse_contract(f) for f in files}
    if not contracts:
        # An empty lake definition is never intended: every job would fail later on an unknown dataset.
        raise ContractError(f"no dataset contracts (*.yaml) in {directory or CONTRACTS_PACKAGE}")
    return contracts


def get_contract(name: str) -> DatasetContract:
    """The contract called ``name``; KeyError lists the known names when absent."""
    contracts = load_contracts()
    if name not in contracts:
        raise KeyError(f"unknown dataset {name!r}; known: {sorted(contracts)}")
    return contracts[name]
