"""A DMS-compatible exporter: full load and CDC from PostgreSQL to the landing zone in DMS's S3 CSV format.

Change capture is logical decoding with the ``test_decoding`` plugin, as AWS DMS does for PostgreSQL
sources: a logical replication slot keeps every change until it is confirmed, so nothing is lost between
runs. Each run peeks the slot up to the current WAL position, writes the files, saves its state, and only then
advances the slot (a crash in between re-exports nothing twice: the saved position is skipped on restart).

Files (what a DMS S3 target with the settings of ``energylake.dms.s3_target_settings()`` writes; the format
rules and their AWS documentation pages are in ``energylake.dms``)::

    dms/<schema>/<table>/LOAD00000001.csv ... LOAD0000000A.csv ...  full load (hexadecimal counter), Op = I,
                                                                    dms_commit_ts = when the file was written
    dms/<schema>/<table>/<YYYYMMDD-HHMMSSfff>.csv                    CDC, Op = I/U/D, dms_commit_ts = commit time

Like DMS, the full load reads each table with its own statement and takes no locks: a change committed while
the load runs is captured by the slot (created first) as a CDC row, and the LOAD file may hold the row as it was
before that change with a later timestamp (the transfer time). Every row ends with the before image of the
primary key (``bi_<key>``, the ``add-before-image-columns`` rule of the table mappings), so a primary-key UPDATE
is one ``U`` row carrying the new key and, in ``bi_<key>``, the key that went away.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from energylake.dms import OP_COLUMN, TIMESTAMP_COLUMN, TIMESTAMP_FORMAT, before_image_columns, load_file_name
from migration.dms.decoding import UNCHANGED_TOAST, Change, Transaction, group_transactions
from migration.quarantine import Quarantine
from migration.source import GENERATED, SCHEMA, TABLES, contract_for
from migration.storage import S3Store

TS_FORMAT = TIMESTAMP_FORMAT
JOB_NAME = "dms-export"
_OPS = {"INSERT": "I", "UPDATE": "U", "DELETE": "D"}


def dms_columns(table: str) -> list[str]:
    """Source columns of a table's DMS file after ``Op`` and ``dms_commit_ts`` (contract order)."""
    return [c.name for c in contract_for(table).columns]


def dms_header(table: str) -> list[str]:
    """The header row of a table's DMS files: Op, the timestamp column, the columns, the key's before image."""
    return [OP_COLUMN, TIMESTAMP_COLUMN, *dms_columns(table), *before_image_columns(contract_for(table).primary_key)]


def cdc_file_name(ts: datetime) -> str:
    """DMS CDC file name for a timestamp: ``YYYYMMDD-HHMMSSfff.csv`` (milliseconds)."""
    return ts.strftime("%Y%m%d-%H%M%S") + f"{ts.microsecond // 1000:03d}.csv"


@dataclass
class ExportResult:
    """Counts of one exporter run: rows written per table, files, changes read and quarantined."""

    full_load_rows: dict[str, int] = field(default_factory=dict)
    cdc_rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    changes_in: int = 0
    changes_exported: int = 0
    key_changes: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    position: str | None = None


@dataclass
class DmsExporter:
    """Full load + CDC of the trading schema into ``landing`` (bucket root), with state in ``state_store``."""

    conninfo: str
    landing: S3Store
    state_store: S3Store
    quarantine_store: S3Store | None = None
    slot: str = "lake_dms_trading"
    bucket_folder: str = "dms"
    max_rows_per_file: int = 50_000
    tables: tuple[str, ...] = TABLES
    schema: str = SCHEMA
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # Called with (table, counter) after each full-load file is written: tests commit changes "during the load".
    on_load_file: Callable[[str, int], None] | None = field(default=None, repr=False)

    @property
    def state_key(self) -> str:
        """Key of the exporter's state document in ``state_store``."""
        return f"state/dms-exporter/{self.schema}/{self.slot}.json"

    def load_state(self) -> dict:
        """The saved state (empty dict before the first run)."""
        raw = self.state_store.get(self.state_key)
        return json.loads(raw) if raw else {}

    def _save_state(self, state: dict) -> None:
        self.state_store.put(self.state_key, json.dumps(state, indent=2, sort_keys=True).encode())

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.conninfo, autocommit=True)
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

    def _key(self, table: str, name: str) -> str:
        return f"{self.bucket_folder}/{self.schema}/{table}/{name}"

    # ---------------------------------------------------------------- slot
    def ensure_slot(self) -> None:
        """Create the logical replication slot (test_decoding) unless it exists."""
        with self._connect() as conn:
            found = conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", [self.slot]).fetchone()
            if not found:
                conn.execute("SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", [self.slot])

    def drop_slot(self) -> None:
        """Drop the replication slot (stops WAL retention on the source)."""
        with self._connect() as conn:
            if conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", [self.slot]).fetchone():
                conn.execute("SELECT pg_drop_replication_slot(%s)", [self.slot])

    # ---------------------------------------------------------------- full load
    def full_load(self) -> ExportResult:
        """Write LOAD files of every table, one table after the other; the slot is created first.

        Like DMS: each table is read by one statement (its own snapshot) without locks, so changes committed
        during the load reach the slot (CDC), and a full-load row's timestamp is the time its file is written,
        not a commit time (S3Settings TimestampColumnName, UseTaskStartTimeForFullLoadTimestamp=false).
        """
        with self._connect() as conn:
            task_start = conn.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'").fetchone()[0]
        self.ensure_slot()
        result = ExportResult()
        for table in self.tables:
            result.full_load_rows[table] = self._load_table(table, result)
        state = self.load_state()
        state.update(
            {"full_load_ts": task_start.strftime(TS_FORMAT), "full_load_rows": result.full_load_rows, "slot": self.slot}
        )
        self._save_state(state)
        return result

    def _load_table(self, table: str, result: ExportResult) -> int:
        """Write one table's LOAD files (``max_rows_per_file`` rows each); returns the row count."""
        cols = dms_columns(table)
        keys = contract_for(table).primary_key
        select = ", ".join(f"{c}::text" for c in cols)
        total, counter = 0, 0
        with psycopg.connect(self.conninfo) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            with conn.cursor(name=f"load_{table}") as cur:
                cur.itersize = 5000
                cur.execute(f"SELECT {select} FROM {self.schema}.{table} ORDER BY {', '.join(keys)}")
                while True:
                    rows = cur.fetchmany(self.max_rows_per_file)
                    if not rows and counter:
                        break
                    # The transfer time: read when the file is written, after the changes of earlier hooks.
                    stamp = (
                        conn.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'").fetchone()[0].strftime(TS_FORMAT)
                    )
                    buf, writer = self._new_csv(table)
                    writer.writerows(["I", stamp, *row, *[None] * len(keys)] for row in rows)
                    counter += 1
                    total += len(rows)
                    result.files.append(self.landing.put(self._key(table, load_file_name(counter)), _utf8(buf)))
                    if self.on_load_file is not None:
                        self.on_load_file(table, counter)
                    if len(rows) < self.max_rows_per_file:
                        break
            conn.rollback()
        return total

    @staticmethod
    def _new_csv(table: str) -> tuple[io.StringIO, csv.writer]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(dms_header(table))
        return buf, writer

    # ---------------------------------------------------------------- CDC
    def export_changes(self) -> ExportResult:
        """Write CDC files for every change committed since the last run and advance the slot."""
        result = ExportResult()
        quarantine = Quarantine(JOB_NAME, self.run_id)
        state = self.load_state()
        with self._connect() as conn:
            upto = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
            saved = state.get("exported_lsn")
            if saved:  # a previous run wrote files but died before advancing the slot: skip what it wrote
                conn.execute(
                    "SELECT pg_replication_slot_advance(%s, %s::pg_lsn) FROM pg_replication_slots "
                    "WHERE slot_name = %s AND confirmed_flush_lsn < %s::pg_lsn",
                    [self.slot, saved, self.slot, saved],
                )
            rows = conn.execute(
                "SELECT lsn::text, xid::text, data FROM pg_logical_slot_peek_changes(%s, %s::pg_lsn, NULL, "
                "'include-xids', '1', 'include-timestamp', '1')",
                [self.slot, upto],
            ).fetchall()
            per_table = self._records(group_transactions(rows), result, quarantine)
            last_files: dict[str, str] = dict(state.get("last_cdc_file", {}))
            for table, groups in per_table.items():
                written = self._write_cdc(table, groups, last_files, result)
                result.cdc_rows[table] = written
            quarantine.flush(self.quarantine_store)
            result.quarantined = len(quarantine)
            result.quarantine_reasons = dict(quarantine.reasons())
            state.update(
                {
                    "exported_lsn": upto,
                    "last_cdc_file": last_files,
                    "last_run_id": self.run_id,
                    "quarantined_total": state.get("quarantined_total", 0) + result.quarantined,
                }
            )
            self._save_state(state)
            conn.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", [self.slot, upto])
        result.position = upto
        return result

    def _records(
        self, transactions: list[Transaction], result: ExportResult, quarantine: Quarantine
    ) -> dict[str, list[tuple[datetime, list[list[str | None]]]]]:
        """Per table: (commit ts, CSV rows) per source transaction, in commit order; bad changes quarantined."""
        out: dict[str, list[tuple[datetime, list[list[str | None]]]]] = {}
        for tx in transactions:
            assert tx.commit_ts is not None
            stamp = tx.commit_ts.strftime(TS_FORMAT)
            batch: dict[str, list[list[str | None]]] = {}
            for change in tx.changes:
                if change.op != "UNPARSEABLE" and (change.schema != self.schema or change.table not in self.tables):
                    continue  # not selected by the table mappings
                result.changes_in += 1
                dataset = f"{self.schema}_{change.table}" if change.table else f"{self.schema}_unparsed"
                problem = self._problem(change)
                if problem:
                    quarantine.add(dataset, problem, change.raw, f"slot:{self.slot}@xid:{tx.xid}")
                    continue
                cols = dms_columns(change.table)
                pk = contract_for(change.table).primary_key
                rows = batch.setdefault(change.table, [])
                # The key's before image: the old key of an UPDATE (test_decoding names it only when it changed),
                # the key of a DELETE, NULL on an INSERT.
                before = (
                    [(change.old_key or change.new).get(k) for k in pk] if change.op != "INSERT" else [None] * len(pk)
                )
                if (
                    change.op == "UPDATE"
                    and change.old_key
                    and any(change.old_key.get(k) != change.new.get(k) for k in pk)
                ):
                    result.key_changes += 1  # DMS writes one U row with the new key; bi_<key> names the old one
                rows.append([_OPS[change.op], stamp, *[change.new.get(c) for c in cols], *before])
                result.changes_exported += 1
            for table, rows in batch.items():
                out.setdefault(table, []).append((tx.commit_ts, rows))
        return out

    def _problem(self, change: Change) -> str | None:
        """Why a decoded change cannot be exported, or None."""
        if change.op == "UNPARSEABLE":
            return "unparseable_change: test_decoding line could not be parsed"
        if change.op not in _OPS:
            return f"unsupported_op: {change.op} has no DMS Op (I/U/D)"
        pk = contract_for(change.table).primary_key
        missing = [k for k in pk if change.new.get(k) in (None, "")]
        if missing:
            return f"missing_key: primary key column(s) {missing} absent"
        if change.op != "DELETE":
            expected = [c for c in dms_columns(change.table) if (change.table, c) not in GENERATED]
            absent = [c for c in expected if c not in change.new]
            if absent:
                return f"missing_columns: {absent}"
            toast = [c for c, v in change.new.items() if v is UNCHANGED_TOAST]
            if toast:
                return f"unchanged_toast: values of {toast} not in WAL (set REPLICA IDENTITY FULL)"
        return None

    def _write_cdc(
        self,
        table: str,
        groups: list[tuple[datetime, list[list[str | None]]]],
        last_files: dict[str, str],
        result: ExportResult,
    ) -> int:
        """Write a table's CDC rows, splitting files only between source transactions."""
        written = 0
        pending: list[tuple[datetime, list[list[str | None]]]] = []

        def flush() -> None:
            nonlocal pending
            if not pending:
                return
            ts = pending[0][0].replace(microsecond=pending[0][0].microsecond // 1000 * 1000)
            name = cdc_file_name(ts)
            while last_files.get(table) and name <= last_files[table]:
                ts += timedelta(milliseconds=1)
                name = cdc_file_name(ts)
            buf, writer = self._new_csv(table)
            for _, rows in pending:
                writer.writerows(rows)
            result.files.append(self.landing.put(self._key(table, name), _utf8(buf)))
            last_files[table] = name
            pending = []

        count = 0
        for group in groups:
            if pending and count + len(group[1]) > self.max_rows_per_file:
                flush()
                count = 0
            pending.append(group)
            count += len(group[1])
            written += len(group[1])
        flush()
        return written

    def run(self) -> ExportResult:
        """Full load on the first run, then CDC; later runs export only new changes."""
        if not self.load_state().get("full_load_ts"):
            loaded = self.full_load()
            changes = self.export_changes()
            changes.full_load_rows = loaded.full_load_rows
            changes.files = loaded.files + changes.files
            return changes
        return self.export_changes()


def _utf8(buf: io.StringIO) -> bytes:
    return buf.getvalue().encode("utf-8")


def summarize(result: ExportResult) -> dict[str, object]:
    """JSON-friendly summary of an export (for the CLI and the demo report)."""
    return {
        "full_load_rows": result.full_load_rows,
        "cdc_rows": result.cdc_rows,
        "files": len(result.files),
        "changes_in": result.changes_in,
        "changes_exported": result.changes_exported,
        "key_changes": result.key_changes,
        "quarantined": result.quarantined,
        "quarantine_reasons": dict(Counter(result.quarantine_reasons)),
        "position": result.position,
    }
