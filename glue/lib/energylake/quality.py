"""Contract quality rules evaluated on a DataFrame: rows failing any rule go to quarantine with every reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from energylake.contracts import DatasetContract, QualityRule
from energylake.parse import split_by_reason


def rule_failures(rule: QualityRule, columns: Mapping[str, Column], now: datetime | None = None) -> list[Column]:
    """Expressions yielding a reason string when ``rule`` fails for a row (null when it passes).

    ``columns`` maps column names to the expressions to check (rules on other columns yield nothing).
    """
    out: list[Column] = []
    targets = [c for c in rule.targets if c in columns]
    for name in targets:
        col = columns[name]
        if rule.rule == "not_null":
            out.append(F.when(col.isNull(), F.lit(f"null:{name}")))
        elif rule.rule == "range":
            bad = col.isNotNull() & ((col < F.lit(rule.min)) if rule.min is not None else F.lit(False))
            if rule.max is not None:
                bad = bad | (col.isNotNull() & (col > F.lit(rule.max)))
            if rule.when_column and rule.when_column in columns:
                bad = bad & (columns[rule.when_column] == F.lit(rule.when_value))
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
            if rule.reference and rule.reference not in columns:
                raise ValueError(f"rule not_future on {name} compares with {rule.reference}, which is not checked here")
            limit = columns[rule.reference] if rule.reference else F.lit(now) if now else F.current_timestamp()
            # A small allowance for device clock skew.
            out.append(F.when(col > limit + F.expr("INTERVAL 10 MINUTES"), F.lit(f"future:{name}")))
        elif rule.rule == "min_timestamp" and rule.value:
            out.append(F.when(col < F.to_timestamp(F.lit(rule.value)), F.lit(f"too_old:{name}<{rule.value}")))
    return out


def failure_reason(frame: DataFrame, contract: DatasetContract, now: datetime | None = None) -> Column:
    """One expression: all failing rules of ``contract`` joined by '; ', or null when the row is valid."""
    joined = failing_rules({name: F.col(name) for name in frame.columns}, contract, now)
    return F.when(joined != "", joined)


def failing_rules(
    columns: Mapping[str, Column],
    contract: DatasetContract,
    now: datetime | None = None,
    settled: Mapping[int, list[Column]] | None = None,
) -> Column:
    """All failing rules of ``contract`` over the named column expressions, joined by '; ' ('' when all pass).

    ``settled`` gives, by position in ``contract.quality``, the failures of rules already evaluated upstream
    (for instance once per line before an explode); they are joined in their place instead of re-evaluated.
    """
    settled = settled or {}
    checks: list[Column] = []
    declared_not_null = {c for r in contract.quality if r.rule == "not_null" for c in r.targets}
    for col in contract.columns:
        if not col.nullable and col.name in columns and col.name not in declared_not_null:
            checks.append(F.when(columns[col.name].isNull(), F.lit(f"null:{col.name}")))
    for position, rule in enumerate(contract.quality):
        checks.extend(settled[position] if position in settled else rule_failures(rule, columns, now))
    return F.concat_ws("; ", *checks)


def apply_quality(
    frame: DataFrame, contract: DatasetContract, now: datetime | None = None
) -> tuple[DataFrame, DataFrame]:
    """(valid rows, quarantine rows with the failing rules) for the contract's quality rules and nullability."""
    return split_by_reason(frame, failure_reason(frame, contract, now))
