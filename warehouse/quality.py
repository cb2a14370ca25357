"""The data-quality gate in front of the warehouse load: a failing check blocks the load and raises an alarm.

The gate reads only the staged rows (the partition versions this load COPYs, see warehouse.changes), and of
them only the key columns (``gate_columns``), so its memory follows the change, not the dataset. Checks per
dataset: row counts read equal the manifest's, the dataset is not left empty, primary keys of the staged rows
are non-null and unique, foreign keys resolve (transactions and contracts to customers/providers/contracts: in
the staged parent rows, else among the rows the warehouse already holds), and the newest file is fresh. On
failure the gate publishes to the SNS topic in ``LAKE_ALARM_TOPIC_ARN`` (when set; the CloudWatch/SNS alarm
wiring lives in Terraform) and raises ``DataQualityGateError``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import boto3
import pyarrow as pa
import pyarrow.compute as pc

from energylake.contracts import DatasetContract
from migration.source import FOREIGN_KEYS, SCHEMA, contract_for

ALARM_TOPIC_ENV = "LAKE_ALARM_TOPIC_ARN"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check on one dataset."""

    dataset: str
    check: str
    passed: bool
    detail: str = ""


@dataclass
class GateReport:
    """All check results; ``passed`` only when every check passed."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        """The failed checks."""
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form (for the alarm message and the demo report)."""
        return {"passed": self.passed, "results": [r.__dict__ for r in self.results]}


class DataQualityGateError(RuntimeError):
    """The gate failed: the warehouse load was blocked. Alarm-worthy; ``report`` has every check."""

    def __init__(self, report: GateReport) -> None:
        self.report = report
        lines = [f"{r.dataset}.{r.check}: {r.detail}" for r in report.failures]
        super().__init__("data-quality gate failed, warehouse load blocked: " + "; ".join(lines))


@dataclass
class GateInput:
    """What the gate sees of one dataset: the staged rows (the new/changed partition versions only, in the
    columns ``gate_columns`` names), the manifests' row count and the newest file time.

    ``total_rows`` is the dataset's size once loaded (staged rows plus the unchanged partitions the warehouse keeps,
    from the load ledger); ``complete`` says the staged rows are the whole dataset (first load, or an unpartitioned
    table replaced), so a foreign key missing from them is missing everywhere.
    """

    dataset: str
    table: pa.Table
    manifest_rows: int
    newest_file: datetime | None
    total_rows: int | None = None
    complete: bool = True


class WarehouseKeys(Protocol):
    """Key lookups in the rows the warehouse keeps through this load (outside the partitions it replaces)."""

    def existing(self, dataset: str, column: str, values: list) -> set:
        """Which of ``values`` the kept rows of ``dataset`` hold in ``column``."""

    def all(self, dataset: str, column: str) -> set:
        """Every value of ``column`` in the warehouse table of ``dataset`` (before this load)."""


def _foreign_keys_of(dataset: str) -> tuple[list[str], list[str]]:
    """(columns this dataset references others by, its keys others reference)."""
    refs = [col for child, col, _parent, _key in _foreign_keys() if child == dataset]
    keys = [key for _child, _col, parent, key in _foreign_keys() if parent == dataset]
    return refs, keys


def gate_columns(contract: DatasetContract) -> list[str]:
    """The columns the gate reads of a dataset's staged rows (keys and foreign keys; nothing else is kept)."""
    refs, keys = _foreign_keys_of(contract.name)
    wanted = [*contract.primary_key, *refs, *keys]
    return [c.name for c in contract.columns if c.name in wanted]


def _foreign_keys() -> list[tuple[str, str, str, str]]:
    """(child dataset, column, parent dataset, parent key) for the trading schema."""
    out = []
    for child, refs in FOREIGN_KEYS.items():
        for col, parent in refs:
            out.append((f"{SCHEMA}_{child}", col, f"{SCHEMA}_{parent}", contract_for(parent).primary_key[0]))
    return out


def run_gate(
    inputs: dict[str, GateInput],
    *,
    now: datetime | None = None,
    max_age: timedelta = timedelta(hours=26),
    allow_empty: bool = False,
    warehouse: WarehouseKeys | None = None,
) -> GateReport:
    """Evaluate every check over the gate inputs (no side effects besides ``warehouse``'s lookups).

    With ``warehouse`` (an incremental load), a foreign key missing from the staged parent rows is looked up in
    the parent rows the warehouse keeps unless the staged parent rows are ``complete``; and when a parent is
    replaced whole, the keys it drops must not be referenced by child rows the warehouse keeps.
    """
    from energylake.contracts import get_contract

    now = now or datetime.now(UTC)
    report = GateReport()
    add = report.results.append
    for name, data in inputs.items():
        contract = get_contract(name)
        rows = data.table.num_rows
        add(CheckResult(name, "row_count", rows == data.manifest_rows, f"read {rows}, manifest {data.manifest_rows}"))
        total = rows if data.total_rows is None else data.total_rows
        add(CheckResult(name, "not_empty", allow_empty or total > 0, f"{total} rows"))
        pk = list(contract.primary_key)
        if pk:
            nulls = sum(data.table.column(k).null_count for k in pk)
            add(CheckResult(name, "key_not_null", nulls == 0, f"{nulls} null key values in {pk}"))
            distinct = data.table.select(pk).group_by(pk).aggregate([]).num_rows if rows else 0
            add(CheckResult(name, "key_unique", distinct == rows, f"{rows - distinct} duplicate keys on {pk}"))
        if data.newest_file is not None:
            age = now - data.newest_file
            add(CheckResult(name, "freshness", age <= max_age, f"newest file is {age} old (limit {max_age})"))
        else:
            add(CheckResult(name, "freshness", False, "no files"))
    for child, col, parent, key in _foreign_keys():
        if child not in inputs or parent not in inputs:
            continue
        refs = pc.drop_null(inputs[child].table.column(col))
        known = inputs[parent].table.column(key)
        orphans = pc.unique(pc.filter(refs, pc.invert(pc.is_in(refs, value_set=known.combine_chunks())))).to_pylist()
        if orphans and warehouse is not None and not inputs[parent].complete:
            found = warehouse.existing(parent, key, orphans)
            orphans = [v for v in orphans if v not in found]
        if warehouse is not None and inputs[parent].complete and not inputs[child].complete:
            staged_keys = set(known.to_pylist())
            dropped = sorted(k for k in warehouse.all(parent, key) if k not in staged_keys)
            if dropped:  # parent rows deleted at the source while unchanged child rows still point at them
                orphans += sorted(warehouse.existing(child, col, dropped) - set(orphans))
        sample = orphans[:5]
        add(
            CheckResult(
                child, f"fk_{col}", len(orphans) == 0, f"{len(orphans)} {col} values missing in {parent}: {sample}"
            )
        )
    return report


def raise_alarm(report: GateReport, context: dict[str, object] | None = None) -> str | None:
    """Publish the failed gate to SNS when LAKE_ALARM_TOPIC_ARN is set; returns the message id."""
    topic = os.environ.get(ALARM_TOPIC_ENV)
    if not topic:
        return None
    message = {"alarm": "warehouse-load-blocked", **(context or {}), **report.to_dict()}
    resp = boto3.client("sns").publish(
        TopicArn=topic,
        Subject="Warehouse load blocked: data-quality gate failed",
        Message=json.dumps(message, default=str),
    )
    return resp["MessageId"]


def enforce(report: GateReport, context: dict[str, object] | None = None) -> None:
    """Raise DataQualityGateError (after alarming) when the report failed."""
    if not report.passed:
        raise_alarm(report, context)
        raise DataQualityGateError(report)
