"""DQDL (AWS Glue Data Quality Definition Language) text of a dataset contract's quality rules.

The translation of each contract rule follows the DQDL reference, "Data Quality Definition Language (DQDL)
reference", https://docs.aws.amazon.com/glue/latest/dg/dqdl.html (rule types IsComplete, IsUnique, IsPrimaryKey,
ColumnValues; ``where`` clauses; a ruleset is ``Rules = [ ... ]``, comma-separated). The same rules run in every
job through ``energylake.quality`` (locally and on AWS); this text is what Glue Data Quality would evaluate.
"""

from __future__ import annotations

from energylake.contracts import DatasetContract, QualityRule


def _quote(name: str) -> str:
    return f'"{name}"'


def _number(value: float) -> str:
    """A bound as DQDL reads it: 1 rather than 1.0, 0.5 as is."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def rule_dqdl(rule: QualityRule) -> list[str]:
    """The DQDL rules for one contract rule (a range with both bounds gives two)."""
    targets = list(rule.columns) or ([rule.column] if rule.column else [])
    if rule.rule == "not_null":
        # IsComplete <COL_NAME>: every value non-null.
        return [f"IsComplete {_quote(c)}" for c in targets]
    if rule.rule == "unique":
        # IsUnique <COL_NAME> for one column; IsPrimaryKey <COL> <COL> ... (unique and complete) for a compound key.
        if len(targets) == 1:
            return [f"IsUnique {_quote(targets[0])}"]
        return ["IsPrimaryKey " + " ".join(_quote(c) for c in targets)]
    if rule.rule == "allowed_values":
        # ColumnValues <COL_NAME> in [ "a", "b" ]
        return [f"ColumnValues {_quote(rule.column)} in [{', '.join(_quote(v) for v in rule.values)}]"]
    if rule.rule == "regex":
        # ColumnValues <COL_NAME> matches "<regex>"
        return [f"ColumnValues {_quote(rule.column)} matches {_quote(rule.pattern)}"]
    if rule.rule == "not_future":
        # ColumnValues <COL_NAME> <= now() (date expressions of ColumnValues)
        return [f"ColumnValues {_quote(rule.column)} <= now()"]
    if rule.rule == "min_timestamp":
        # ColumnValues <COL_NAME> >= "<yyyy-MM-dd>" (a date literal)
        return [f"ColumnValues {_quote(rule.column)} >= {_quote((rule.value or '')[:10])}"]
    if rule.rule == "range":
        bounds = []
        if rule.min is not None:
            bounds.append(f"ColumnValues {_quote(rule.column)} >= {_number(rule.min)}")
        if rule.max is not None:
            bounds.append(f"ColumnValues {_quote(rule.column)} <= {_number(rule.max)}")
        if rule.when_column is not None:
            # <rule> where "<SQL condition>": the rule applies to the rows the condition selects.
            bounds = [f"{b} where \"{rule.when_column} = '{rule.when_value}'\"" for b in bounds]
        return bounds
    raise ValueError(f"quality rule {rule.rule!r} has no DQDL translation")


def ruleset(contract: DatasetContract) -> str | None:
    """The contract's DQDL ruleset document, or None when it has no quality rules."""
    rules = [r for rule in contract.quality for r in rule_dqdl(rule)]
    if not rules:
        return None
    return "Rules = [\n  " + ",\n  ".join(rules) + "\n]"
