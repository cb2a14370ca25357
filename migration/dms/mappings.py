"""DMS task definitions derived from the dataset contracts' ``source`` hints (committed as JSON for Terraform).

``python -m migration.dms.mappings`` regenerates ``table_mappings.json`` and ``s3_target_settings.json`` beside
this file; a test fails when the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from energylake import dms
from energylake.contracts import load_contracts

HERE = Path(__file__).parent
TABLE_MAPPINGS = HERE / "table_mappings.json"
S3_TARGET_SETTINGS = HERE / "s3_target_settings.json"


def source_tables() -> list[tuple[str, str, str]]:
    """(schema, table, dataset) for every contract with DMS source hints, sorted."""
    out = []
    for contract in load_contracts().values():
        if contract.source.get("schema") and contract.source.get("table"):
            out.append((contract.source["schema"], contract.source["table"], contract.name))
    return sorted(out)


def table_mappings() -> dict:
    """DMS table-mapping document: one selection rule per source table, lower-case names in the target."""
    rules: list[dict] = []
    for schema, table, dataset in source_tables():
        rules.append(
            {
                "rule-type": "selection",
                "rule-id": str(len(rules) + 1),
                "rule-name": f"include-{schema}-{table}",
                "object-locator": {"schema-name": schema, "table-name": table},
                "rule-action": "include",
                "filters": [],
                "load-order": 0,
                "rule-target": "table",
                "comment": f"feeds dataset {dataset}",
            }
        )
    for target in ("schema", "table", "column"):
        locator = {"schema-name": "%", "table-name": "%"}
        if target == "column":
            locator["column-name"] = "%"
        rules.append(
            {
                "rule-type": "transformation",
                "rule-id": str(len(rules) + 1),
                "rule-name": f"lowercase-{target}",
                "rule-target": target,
                "object-locator": locator,
                "rule-action": "convert-lowercase",
            }
        )
    # "Transformation rules and actions" (DMS User Guide, add-before-image-columns): every row also carries its
    # primary key before the change, the only way an S3 CSV target tells which key a primary-key UPDATE removed.
    rules.append(
        {
            "rule-type": "transformation",
            "rule-id": str(len(rules) + 1),
            "rule-name": "before-image-of-keys",
            "rule-target": "column",
            "object-locator": {"schema-name": "%", "table-name": "%"},
            "rule-action": "add-before-image-columns",
            "before-image-def": {
                "column-prefix": dms.BEFORE_IMAGE_PREFIX,
                "column-suffix": "",
                "column-filter": "pk-only",
            },
        }
    )
    for rule in rules:  # JSON key order DMS shows in the console; "comment" is not a DMS field
        rule.pop("comment", None)
        if rule["rule-type"] == "selection":
            rule.pop("rule-target")
    return {"rules": rules}


def s3_target_settings() -> dict:
    """S3 target endpoint settings producing the landing layout the Glue CDC job reads (bucket/KMS from Terraform).

    Each value is a rule of ``energylake.dms`` (which names the S3Settings documentation behind it).
    """
    return {
        "BucketFolder": dms.BUCKET_FOLDER,
        "DataFormat": "csv",
        "AddColumnName": True,
        "IncludeOpForFullLoad": True,
        "TimestampColumnName": dms.TIMESTAMP_COLUMN,
        "UseTaskStartTimeForFullLoadTimestamp": False,
        "CsvNullValue": dms.NULL_VALUE,
        "CdcInsertsOnly": False,
        "CdcInsertsAndUpdates": False,
        "CsvDelimiter": ",",
        "CsvRowDelimiter": "\\n",
        "CompressionType": "NONE",
        "DatePartitionEnabled": False,
        "PreserveTransactions": False,
        "CdcMaxBatchInterval": 60,
        "CdcMinFileSize": 32000,
        "EncryptionMode": "SSE_KMS",
    }


def render(doc: dict) -> str:
    """Stable JSON text for a committed document."""
    return json.dumps(doc, indent=2) + "\n"


def write() -> list[Path]:
    """Regenerate the committed JSON files; returns their paths."""
    TABLE_MAPPINGS.write_text(render(table_mappings()), encoding="utf-8")
    S3_TARGET_SETTINGS.write_text(render(s3_target_settings()), encoding="utf-8")
    return [TABLE_MAPPINGS, S3_TARGET_SETTINGS]


if __name__ == "__main__":
    for path in write():
        print(path)
