"""Contract quality rules evaluated on a DataFrame: rows failing any rule go to quarantine with every reason."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from energylake.contracts import DatasetContract, QualityRule
from energylake.parse import split_by_reason


def rule_failures(rule: QualityRule, columns: set[str], now: datetime | None = None) -> list[Column]:
    """Column expressions yielding a reason string when ``rule`` fails for a row (null when it passes)."""
    out: list[Column] = []
    targets = [c for c in (rule.column, *rule.columns) if c and c in columns]
    for name in targets:
        col = F.col(name)
        if rule.rule == "not_null":
            out.append(F.when(col.isNull(), F.lit(f"null:{name}")))
        elif rule.rule == "range":
            bad = col.isNotNull() & ((col < F.lit(rule.min)) if rule.min is not None else F.lit(False))
            if rule.max is not None:
                bad = bad | (col.isNotNull() & (col > F.lit(rule.max)))
            if rule.when_column and rule.when_column in columns:
                bad = bad & (F.col(rule.when_column) == F.lit(rule.when_value))
            label = f"out_of_range:{name} not in [{rule.min}, {rule.max}]"
            if rule.when_column:
                label += f" for {rule.when_column}={rule.when_value}"
            out.append(F.when(bad, F.concat(F.lit(label + " (got "), col.cast("string"), F.lit(")"))))
        elif rule.rule == "allowed_values":
            bad = col.isNotNull() & ~col.cast("string").isin(list(rule.values))
            out.append(F.when(bad, F.concat(F.lit(f"not_allowed:{name}="), col.cast("string"))))
        elif rule.rule == "regex" and rule.pattern:
            out.append(F.when(col.isNotNull() & ~col.cast("string").rlike(rule.pattern), F.lit(f"regex:{name}")))
        elif rule.rule == "not_future":
            limit = F.lit(now) if now else F.current_timestamp()
            # A small allowance for device clock skew.
            out.append(F.when(col > limit + F.expr("INTERVAL 10 MINUTES"), F.lit(f"future:{name}")))
        elif rule.rule == "min_timestamp" and rule.value:
            out.append(F.when(col < F.to_timestamp(F.lit(rule.value)), F.lit(f"too_old:{name}<{rule.value}")))
    return out


def failure_reason(frame: DataFrame, contract: DatasetContract, now: datetime | None = None) -> Column:
    """One expression: all failing rules of ``contract`` joined by '; ', or null when the row is valid."""
    columns = set(frame.columns)
    checks: list[Column] = []
    declared_not_null = {c for r in contract.quality if r.rule == "not_null" for c in (r.column, *r.columns) if c}
    for col in contract.columns:
        if not col.nullable and col.name in columns and col.name not in declared_not_null:
            checks.append(F.when(F.col(col.name).isNull(), F.lit(f"null:{col.name}")))
    for rule in contract.quality:
        checks.extend(rule_failures(rule, columns, now))
    if not checks:
        return F.lit(None).cast("string")
    joined = F.concat_ws("; ", *checks)
    return F.when(joined != "", joined)


def apply_quality(
    frame: DataFrame, contract: DatasetContract, now: datetime | None = None
) -> tuple[DataFrame, DataFrame]:
    """(valid rows, quarantine rows with the failing rules) for the contract's quality rules and nullability."""
    return split_by_reason(frame, failure_reason(frame, contract, now))
