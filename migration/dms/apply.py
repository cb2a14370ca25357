"""Reference (single-node) CDC apply: DMS landing files to current-state Parquet, like the Glue job does with Spark.

It exists to check the Glue ``trading_cdc_apply`` job against an independent implementation and to feed the
warehouse loader in tests. Rules (the DMS S3 target format is ``energylake.dms``, which names the AWS pages):
for one key, CDC rows (ordered by ``dms_commit_ts``, the source commit time) come after full-load rows (whose
timestamp is a transfer time, so a change committed during the load may carry an earlier one); then the file's
place in DMS's write order (``energylake.dms.file_sequence``: hexadecimal LOAD counter, CDC time stamp) and the
line. Files may be listed or arrive in any order; the last event of a key wins and a final ``D`` removes the key;
a ``U`` whose ``bi_<key>`` before image names another key also deletes that old key. Bad records (unknown Op,
missing key, unparseable value) are quarantined with the reason. Every input row is accounted for::

    rows_in + key_changes = rows_out + final_deletes + superseded + quarantined
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.parquet as pq

from energylake.contracts import DatasetContract
from energylake.dms import OP_COLUMN, TIMESTAMP_COLUMN, before_image_columns, decode_value, file_sequence, is_load_file
from migration.quarantine import Quarantine
from migration.source import SCHEMA, TABLES, contract_for
from migration.storage import S3Store

JOB_NAME = "dms-reference-apply"


def arrow_type(glue_type: str) -> pa.DataType:
    """pyarrow type for a contract type string (Spark's Parquet mapping)."""
    if glue_type.startswith("decimal("):
        p, s = glue_type[8:-1].split(",")
        return pa.decimal128(int(p), int(s))
    return {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "smallint": pa.int16(),
        "double": pa.float64(),
        "float": pa.float32(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }[glue_type]


def convert(value: str, glue_type: str) -> object:
    """Python value of a DMS CSV field (the endpoint's CsvNullValue = NULL); ValueError when it does not parse."""
    if decode_value(value) is None:
        return None
    if glue_type == "string":
        return value
    if glue_type in ("bigint", "int", "smallint"):
        return int(value)
    if glue_type in ("double", "float"):
        return float(value)
    if glue_type == "boolean":
        return {"t": True, "true": True, "f": False, "false": False}[value.lower()]
    if glue_type == "date":
        return date.fromisoformat(value)
    if glue_type == "timestamp":
        return datetime.fromisoformat(value)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None


@dataclass
class ApplyResult:
    """Accounting of one table's apply."""

    dataset: str
    rows_in: int = 0
    rows_out: int = 0
    final_deletes: int = 0
    superseded: int = 0
    quarantined: int = 0
    key_changes: int = 0  # primary-key updates: each also deletes its old key (one more event than rows)
    files: list[str] = field(default_factory=list)

    def balanced(self) -> bool:
        """True when every input row (and every old key a primary-key update deleted) is accounted for."""
        events = self.rows_in + self.key_changes
        return events == self.rows_out + self.final_deletes + self.superseded + self.quarantined


def current_state(
    contract: DatasetContract, files: Sequence[tuple[str, bytes]], quarantine: Quarantine
) -> tuple[list[dict[str, object]], ApplyResult]:
    """Fold DMS files (name, bytes) of one table into its current rows; returns rows and the accounting."""
    result = ApplyResult(contract.name)
    types = {c.name: c.type for c in contract.columns}
    pk = contract.primary_key
    before = before_image_columns(pk)
    events: list[tuple[tuple, str, tuple, dict[str, object]]] = []
    for name, data in files:
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        header = next(reader, None)
        if header is None:
            continue
        if header[:2] != [OP_COLUMN, TIMESTAMP_COLUMN]:
            raise ValueError(f"{name}: not a DMS CSV file (header starts {header[:2]})")
        unknown = [c for c in header[2:] if c not in types and c not in before]
        if unknown:
            raise ValueError(f"{name}: columns {unknown} are not in contract {contract.name}")
        load = is_load_file(name)
        sequence = file_sequence(name)
        for line_no, fields in enumerate(reader, start=2):
            result.rows_in += 1
            raw = ",".join(fields)
            if len(fields) != len(header):
                quarantine.add(contract.name, f"bad_field_count: {len(fields)} != {len(header)}", raw, name)
                continue
            op, ts_text = fields[0], fields[1]
            if op not in ("I", "U", "D"):
                quarantine.add(contract.name, f"unknown_op: {op!r}", raw, name)
                continue
            values = dict(zip(header[2:], fields[2:], strict=True))
            if any(decode_value(values.get(k, "")) is None for k in pk):
                quarantine.add(contract.name, f"missing_key: {list(pk)}", raw, name)
                continue
            try:
                ts = datetime.fromisoformat(ts_text)
                row = {c: convert(v, types[c]) for c, v in values.items() if c in types} if op != "D" else {}
                key = tuple(convert(values[k], types[k]) for k in pk)
                old = tuple(convert(values.get(b, ""), types[k]) for b, k in zip(before, pk, strict=True))
            except (ValueError, KeyError) as exc:
                quarantine.add(contract.name, f"bad_value: {exc}", raw, name)
                continue
            missing = [c.name for c in contract.columns if not c.nullable and op != "D" and row.get(c.name) is None]
            if missing:
                quarantine.add(contract.name, f"null_in_required: {missing}", raw, name)
                continue
            # CDC after full load for one key: a full-load timestamp is a transfer time, not a commit time.
            position = (0 if load else 1, ts, sequence, line_no)
            if op == "U" and None not in old and old != key:
                events.append((position, "D", old, {}))  # primary-key update: the old key goes at the same commit
                result.key_changes += 1
            events.append((position, op, key, row))
    events.sort(key=lambda e: e[0])
    latest: dict[tuple, tuple[str, dict[str, object]]] = {}
    for _position, op, key, row in events:
        if key in latest:
            result.superseded += 1
        latest[key] = (op, row)
    rows = [row for op, row in latest.values() if op != "D"]
    result.final_deletes = sum(1 for op, _ in latest.values() if op == "D")
    result.rows_out = len(rows)
    result.quarantined = sum(1 for r in quarantine.records if r["dataset"] == contract.name)
    rows.sort(key=lambda r: tuple(r[k] for k in pk))
    return rows, result


def write_parquet(contract: DatasetContract, rows: list[dict[str, object]], store: S3Store) -> list[str]:
    """Replace the dataset under ``<name>/`` with Hive-partitioned snappy Parquet (partition values in the path)."""
    store.delete_prefix(f"{contract.name}/")
    schema = pa.schema([(c.name, arrow_type(c.type), c.nullable) for c in contract.data_columns])
    parts: dict[tuple, list[dict[str, object]]] = {}
    for row in rows:
        parts.setdefault(tuple(row[p] for p in contract.partition_by), []).append(row)
    if not parts:
        parts[()] = []
    urls = []
    for values, part_rows in sorted(parts.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        path = "/".join(f"{c}={v}" for c, v in zip(contract.partition_by, values, strict=True))
        table = pa.Table.from_pylist([{c: r[c] for c in schema.names} for r in part_rows], schema=schema)
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="snappy")
        key = f"{contract.name}/{path + '/' if path else ''}part-00000-{uuid.uuid4().hex[:8]}.snappy.parquet"
        if part_rows or not contract.partition_by:
            urls.append(store.put(key, buf.getvalue()))
    return urls


def apply_dms_to_transform(
    landing: S3Store,
    transform: S3Store,
    *,
    quarantine_store: S3Store | None = None,
    tables: Sequence[str] = TABLES,
    bucket_folder: str = "dms",
    file_order: str = "listing",
    run_id: str | None = None,
) -> dict[str, ApplyResult]:
    """Apply every DMS file of each table to current-state Parquet in ``transform``; ``file_order`` may be
    ``listing``, ``reversed`` or ``shuffled`` (to prove arrival order does not matter)."""
    import random

    quarantine = Quarantine(JOB_NAME, run_id or uuid.uuid4().hex[:12])
    results = {}
    for table in tables:
        contract = contract_for(table)
        objects = [o["Key"] for o in landing.list(f"{bucket_folder}/{SCHEMA}/{table}/") if o["Key"].endswith(".csv")]
        if file_order == "reversed":
            objects.reverse()
        elif file_order == "shuffled":
            random.Random(len(objects)).shuffle(objects)
        files = [(key, landing.get(key) or b"") for key in objects]
        rows, result = current_state(contract, files, quarantine)
        result.files = write_parquet(contract, rows, transform)
        results[contract.name] = result
    quarantine.flush(quarantine_store)
    return results
