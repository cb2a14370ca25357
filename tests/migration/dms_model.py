"""A model of what AWS DMS writes to an S3 target for one table (``trading.customers``), independent of the exporter.

A scenario is a source table, a list of committed transactions, and the moments the full load reads the table
and writes each of its files. ``dms_files`` renders the files exactly as the documented S3 CSV target writes them
(``energylake.dms`` names the pages): hexadecimal LOAD counters, full-load timestamps = transfer time (later than
the commits the snapshot does not show), CDC files named after their first commit time, the primary key's before
image on every row, a primary-key UPDATE as one ``U`` row, NULL as the configured CsvNullValue. ``final_state`` is
the source table after the last transaction: the curated state must equal it row by row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from energylake.dms import TIMESTAMP_FORMAT, encode_value, load_file_name
from migration.dms.exporter import dms_header
from migration.source import contract_for

TABLE = "customers"
COLUMNS = [c.name for c in contract_for(TABLE).columns]
T0 = datetime(2024, 7, 15, 9, 0, 0)  # the task start: the slot captures every later commit
CREATED = datetime(2024, 1, 1)


@dataclass(frozen=True)
class Op:
    """One row change: kind is insert, update, delete or rekey (a primary-key update to ``new_key``)."""

    kind: str
    key: int
    new_key: int | None = None


@dataclass
class Scenario:
    """Initial keys, transactions (lists of ops, committed one second apart) and the full load's timing."""

    initial_keys: list[int]
    transactions: list[list[Op]]
    snapshot_after: int  # the load's SELECT sees the first ``snapshot_after`` transactions
    written_after: list[int] = field(default_factory=list)  # per LOAD file: transactions committed before its write
    rows_per_load_file: int = 2
    transactions_per_cdc_file: int = 2
    cdc_fraction_digits: int = 4  # the documented example 20141029-1134010000.csv has four
    before_image: bool = True  # the task's add-before-image-columns rule (needed for primary-key updates)


def commit_time(index: int) -> datetime:
    """Commit time of transaction ``index`` (0-based), after the task start."""
    return T0 + timedelta(seconds=index + 1)


def _row(key: int, version: str, updated: datetime) -> dict[str, object]:
    email = None if key % 3 == 0 else f"c{key}@example.com"  # NULLs in a nullable column
    return {
        "customer_id": key,
        "name": f"Customer {key} {version}",
        "email": email,
        "phone": None,
        "address": f"{key} Main St, Austin" if key % 2 else None,  # a comma inside a value: quoted
        "segment": "residential",
        "region": "COAST",
        "created_at": CREATED,
        "updated_at": updated,
    }


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def replay(scenario: Scenario, upto: int | None = None) -> tuple[dict[int, dict[str, object]], list[list[list]]]:
    """(table after the first ``upto`` transactions, CDC rows of every transaction: Op, row, before-image key)."""
    table = {k: _row(k, "v0", T0 - timedelta(days=1)) for k in scenario.initial_keys}
    snapshots: list[list[list]] = []
    for index, ops in enumerate(scenario.transactions[:upto]):
        ts = commit_time(index)
        rows = []
        for step, op in enumerate(ops):
            if op.kind == "insert":
                table[op.key] = _row(op.key, f"i{index}", ts)
                rows.append(["I", table[op.key], None])
            elif op.kind == "update":
                table[op.key] = {**table[op.key], "name": f"Customer {op.key} u{index}.{step}", "updated_at": ts}
                rows.append(["U", table[op.key], op.key])
            elif op.kind == "delete":
                del table[op.key]
                rows.append(["D", {"customer_id": op.key}, op.key])
            else:  # rekey: UPDATE ... SET customer_id = new_key
                assert op.new_key is not None
                moved = {**table.pop(op.key), "customer_id": op.new_key, "updated_at": ts}
                table[op.new_key] = moved
                rows.append(["U", moved, op.key])
        snapshots.append(rows)
    return table, snapshots


def final_state(scenario: Scenario) -> dict[int, dict[str, object]]:
    """The source table after every transaction."""
    return replay(scenario)[0]


def _csv(rows: list[list[str | None]], before_image: bool) -> str:
    width = len(dms_header(TABLE)) - (0 if before_image else 1)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(dms_header(TABLE)[:width])
    writer.writerows([encode_value(v) for v in row[:width]] for row in rows)
    return buf.getvalue()


def _cdc_name(ts: datetime, digits: int) -> str:
    fraction = f"{ts.microsecond:06d}".ljust(digits, "0")[:digits]
    return ts.strftime("%Y%m%d-%H%M%S") + fraction + ".csv"


def dms_files(scenario: Scenario) -> list[tuple[str, str]]:
    """The table's files (name, text) in the order DMS writes them: every LOAD file, then the CDC files."""
    snapshot, _ = replay(scenario, scenario.snapshot_after)
    keys = sorted(snapshot)
    size = scenario.rows_per_load_file
    parts = [keys[i : i + size] for i in range(0, len(keys), size)] or [[]]
    files = []
    previous = scenario.snapshot_after
    for counter, part in enumerate(parts, start=1):
        written = max(previous, scenario.written_after[counter - 1] if counter <= len(scenario.written_after) else 0)
        previous = written
        # Transfer time: half a second after the last commit before the write, later than any change it misses.
        stamp = (commit_time(written - 1) if written else T0) + timedelta(milliseconds=500)
        rows = [["I", stamp.strftime(TIMESTAMP_FORMAT), *[_text(snapshot[k][c]) for c in COLUMNS], None] for k in part]
        files.append((load_file_name(counter), _csv(rows, scenario.before_image)))
    _, changes = replay(scenario)
    per_file = scenario.transactions_per_cdc_file
    for first in range(0, len(changes), per_file):
        rows = []
        for index in range(first, min(first + per_file, len(changes))):
            stamp = commit_time(index).strftime(TIMESTAMP_FORMAT)
            for op, row, before in changes[index]:
                rows.append([op, stamp, *[_text(row.get(c)) for c in COLUMNS], _text(before)])
        if rows:
            files.append(
                (_cdc_name(commit_time(first), scenario.cdc_fraction_digits), _csv(rows, scenario.before_image))
            )
    return files


def as_tuples(rows: dict[int, dict[str, object]]) -> list[tuple]:
    """Rows as tuples in contract column order, sorted by key (to compare with an apply's output)."""
    return sorted(tuple(r[c] for c in COLUMNS) for r in rows.values())


def during_load_fixture(before_image: bool = True) -> Scenario:
    """Thirteen full-load files (LOAD00000001 ... LOAD0000000D, two keys each) while an update, a delete, an
    insert and (with the before image) a primary-key update commit; the LOAD files holding the changed rows are
    written after those commits, so their old images carry later timestamps than the changes."""
    rekey = [Op("rekey", 20, 41)] if before_image else [Op("update", 20)]  # LOAD0000000A holds keys 19, 20
    return Scenario(
        initial_keys=list(range(1, 26)),
        transactions=[
            [Op("update", 22)],  # LOAD0000000B (keys 21, 22) is written after this commit, with the old name
            [Op("delete", 24)],  # LOAD0000000C (keys 23, 24) is written after the delete
            [Op("insert", 40)],  # not in the load at all
            rekey,
            [Op("update", 23), Op("update", 23)],  # twice in one transaction: the second wins
        ],
        snapshot_after=0,
        written_after=[0] * 9 + [4, 4, 5, 5],
        before_image=before_image,
    )


def grouped(scenario: Scenario, cuts: list[int]) -> list[list[tuple[str, str]]]:
    """The files in DMS's write order cut into consecutive job runs (``cuts`` = indexes where a run ends)."""
    files = dms_files(scenario)
    bounds = sorted({c for c in cuts if 0 < c < len(files)})
    out, start = [], 0
    for end in [*bounds, len(files)]:
        out.append(files[start:end])
        start = end
    return out
