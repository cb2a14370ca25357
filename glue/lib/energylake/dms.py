"""The AWS DMS S3 target CSV format this lake is configured for: one definition read by the Glue CDC apply, the
local exporter, the reference apply and the generated endpoint settings.

Every rule names the AWS documentation page it encodes:

* [S3 target] "Using Amazon S3 as a target for AWS Database Migration Service",
  https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.S3.html
* [S3Settings] "S3Settings" (DMS API Reference), https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html
* [Transformations] "Transformation rules and actions" (``add-before-image-columns``),
  https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Transformations.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from energylake.contracts import DatasetContract, load_contracts

# [S3Settings] BucketFolder: objects go to <BucketFolder>/<schema_name>/<table_name>/ (DatePartitionEnabled=false,
# no CdcPath, so full-load and CDC files of a table share that folder).
BUCKET_FOLDER = "dms"
# [S3Settings] IncludeOpForFullLoad=true + AddColumnName=true: a header row, and Op (I/U/D) first on every row,
# full load included ("Indicating source DB operations in migrated S3 data" in [S3 target]).
OP_COLUMN = "Op"
# [S3Settings] TimestampColumnName: for a full load the time the row was transferred to the target (or the task
# start with UseTaskStartTimeForFullLoadTimestamp), for CDC the source commit time; written after Op.
TIMESTAMP_COLUMN = "dms_commit_ts"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # [S3Settings] TimestampColumnName: yyyy-MM-dd HH:mm:ss.SSSSSS
# [S3Settings] CsvNullValue: the string DMS writes for NULL. Its default is the text NULL, which the reader would
# take for the string "NULL" (or a value that does not cast); the endpoint sets it to the empty string, so an empty
# field is NULL. An empty source string therefore arrives as NULL: a required column then fails the contract's
# not-null rule and is quarantined with that reason, never stored as something else unnoticed.
NULL_VALUE = ""
# [Transformations] add-before-image-columns with column-filter pk-only: every row also carries the key before
# the change, so a primary-key UPDATE (written as one U row with the new key) says which key went away.
BEFORE_IMAGE_PREFIX = "bi_"

# [S3 target] full-load files: an incremental hexadecimal counter, LOAD00000001.csv ... LOAD00000009.csv,
# LOAD0000000A.csv ... LOAD0000000F.csv, LOAD00000010.csv (a hex counter does not sort as text past 9).
LOAD_FILE = re.compile(r"^LOAD([0-9A-Fa-f]+)\.csv$")
# [S3 target] CDC files are named after a timestamp, e.g. 20141029-1134010000.csv (date, time, then fractions
# of a second of any width: compared as a number, not as text).
CDC_FILE = re.compile(r"^(\d{8})-(\d{6})(\d*)\.csv$")
FRACTION_DIGITS = 9  # CDC file names compare with their fraction of a second padded to nanoseconds


def load_file_name(counter: int) -> str:
    """Name of the ``counter``-th full-load file of a table (1-based): ``LOAD0000000A.csv`` for 10."""
    if counter < 1:
        raise ValueError(f"full-load file counters start at 1, not {counter}")
    return f"LOAD{counter:08X}.csv"


def is_load_file(path: str) -> bool:
    """True for a full-load file (``.../LOAD<hex>.csv``)."""
    return LOAD_FILE.match(path.rsplit("/", 1)[-1]) is not None


def file_sequence(path: str) -> tuple[int, int, str]:
    """Where a file stands in DMS's write order for its table: full-load files (by their hex counter) before CDC
    files (by their timestamp name); other names last, by name."""
    name = path.rsplit("/", 1)[-1]
    if m := LOAD_FILE.match(name):
        return (0, int(m.group(1), 16), name)
    if m := CDC_FILE.match(name):
        fraction = m.group(3)[:FRACTION_DIGITS].ljust(FRACTION_DIGITS, "0")
        return (1, int(m.group(1) + m.group(2) + fraction), name)
    return (2, 0, name)


def before_image_columns(primary_key: Sequence[str]) -> list[str]:
    """Before-image columns DMS appends for a table's primary key (``bi_<key column>``)."""
    return [BEFORE_IMAGE_PREFIX + k for k in primary_key]


def encode_value(value: str | None) -> str:
    """A field as DMS writes it: NULL as ``NULL_VALUE``, every other value as its text."""
    return NULL_VALUE if value is None else value


def decode_value(field: str) -> str | None:
    """A field's value as the endpoint wrote it: ``NULL_VALUE`` is NULL."""
    return None if field == NULL_VALUE else field


# ---- Which tables DMS replicates: the contracts' ``source`` hints are the one list ---------------------------
# A dataset replicated from the on-prem trading database says so in its contract (``source: {schema: trading,
# table: <name>}``); the CDC job, the curated trading job, the warehouse loader, the local source database and the
# DMS table mappings all read the list from here, so adding a trading table is one contract file.
TRADING_SCHEMA = "trading"


def source_tables(contracts: Mapping[str, DatasetContract] | None = None) -> list[tuple[str, str, str]]:
    """(schema, table, dataset) for every contract with DMS source hints, sorted."""
    contracts = contracts if contracts is not None else load_contracts()
    return sorted(
        (c.source["schema"], c.source["table"], c.name)
        for c in contracts.values()
        if c.source.get("schema") and c.source.get("table")
    )


def trading_datasets(contracts: Mapping[str, DatasetContract] | None = None) -> tuple[str, ...]:
    """Datasets replicated from the trading schema (sorted by source table name)."""
    return tuple(dataset for schema, _, dataset in source_tables(contracts) if schema == TRADING_SCHEMA)


def table_mappings(contracts: Mapping[str, DatasetContract] | None = None) -> dict:
    """DMS table-mapping document: one selection rule per source table, lower-case names in the target."""
    rules: list[dict] = []
    for schema, table, _ in source_tables(contracts):
        rules.append(
            {
                "rule-type": "selection",
                "rule-id": str(len(rules) + 1),
                "rule-name": f"include-{schema}-{table}",
                "object-locator": {"schema-name": schema, "table-name": table},
                "rule-action": "include",
                "filters": [],
                "load-order": 0,
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
    # [Transformations] add-before-image-columns: every row also carries its primary key before the change, the
    # only way an S3 CSV target tells which key a primary-key UPDATE removed.
    rules.append(
        {
            "rule-type": "transformation",
            "rule-id": str(len(rules) + 1),
            "rule-name": "before-image-of-keys",
            "rule-target": "column",
            "object-locator": {"schema-name": "%", "table-name": "%"},
            "rule-action": "add-before-image-columns",
            "before-image-def": {"column-prefix": BEFORE_IMAGE_PREFIX, "column-suffix": "", "column-filter": "pk-only"},
        }
    )
    return {"rules": rules}


def s3_target_settings() -> dict:
    """[S3Settings] of the S3 target endpoint producing the landing layout above (bucket and key from Terraform)."""
    return {
        "BucketFolder": BUCKET_FOLDER,
        "DataFormat": "csv",
        "AddColumnName": True,
        "IncludeOpForFullLoad": True,
        "TimestampColumnName": TIMESTAMP_COLUMN,
        "UseTaskStartTimeForFullLoadTimestamp": False,
        "CsvNullValue": NULL_VALUE,
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


__all__ = [
    "BEFORE_IMAGE_PREFIX",
    "BUCKET_FOLDER",
    "CDC_FILE",
    "LOAD_FILE",
    "NULL_VALUE",
    "OP_COLUMN",
    "TIMESTAMP_COLUMN",
    "TIMESTAMP_FORMAT",
    "TRADING_SCHEMA",
    "before_image_columns",
    "decode_value",
    "encode_value",
    "file_sequence",
    "is_load_file",
    "load_file_name",
    "s3_target_settings",
    "source_tables",
    "table_mappings",
    "trading_datasets",
]
