"""A DMS-compatible exporter: full load and CDC from PostgreSQL to the landing zone in DMS's S3 CSV format.

Change capture is logical decoding with the ``test_decoding`` plugin, as AWS DMS does for PostgreSQL
sources: a logical replication slot keeps every change until it is confirmed, so nothing is lost between
runs. Each run peeks the slot up to the current WAL position, writes the files, saves its state, and only then
advances the slot (a crash in between re-exports nothing twice: the saved position is skipped on restart).

Files (exactly what a DMS S3 target with AddColumnName=true, IncludeOpForFullLoad=true and
TimestampColumnName=dms_commit_ts writes under BucketFolder=dms)::

    dms/<schema>/<table>/LOAD00000001.csv          full load, Op = I, dms_commit_ts = load time
    dms/<schema>/<table>/<YYYYMMDD-HHMMSSfff>.csv  CDC, Op = I/U/D, dms_commit_ts = source commit time
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from migration.dms.decoding import UNCHANGED_TOAST, Change, Transaction, group_transactions
from migration.quarantine import Quarantine
from migration.source import GENERATED, SCHEMA, TABLES, contract_for
from migration.storage import S3Store

TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
JOB_NAME = "dms-export"
_OPS = {"INSERT": "I", "UPDATE": "U", "DELETE": "D"}


def dms_columns(table: str) -> list[str]:
    """Columns of a table's DMS file after ``Op`` and ``dms_commit_ts`` (contract order)."""
    return [c.name for c in contract_for(table).columns]


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
        """Write LOAD files of every table from one consistent snapshot; the slot is created first."""
        self.ensure_slot()
        result = ExportResult()
        with psycopg.connect(self.conninfo) as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SET TIME ZONE 'UTC'")
            # SHARE locks wait for in-flight writers and hold off new ones while the snapshot is taken, so every
            # change committed before the load time is in the load and every later one has a later commit time.
            qualified = ", ".join(f"{self.schema}.{t}" for t in self.tables)
            conn.execute(f"LOCK TABLE {qualified} IN SHARE MODE")
            load_ts = conn.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'").fetchone()[0]
            stamp = load_ts.strftime(TS_FORMAT)
            for table in self.tables:
                cols = dms_columns(table)
                pk = ", ".join(contract_for(table).primary_key)
                select = ", ".join(f"{c}::text" for c in cols)
                part, rows_in_part, total = 1, 0, 0
                buf, writer = self._new_csv(cols)
                with conn.cursor(name=f"load_{table}") as cur:
                    cur.itersize = 5000
                    cur.execute(f"SELECT {select} FROM {self.schema}.{table} ORDER BY {pk}")
                    for row in cur:
                        writer.writerow(["I", stamp, *row])
                        rows_in_part += 1
                        total += 1
                        if rows_in_part >= self.max_rows_per_file:
                            result.files.append(self.landing.put(self._key(table, f"LOAD{part:08d}.csv"), _utf8(buf)))
                            part, rows_in_part = part + 1, 0
                            buf, writer = self._new_csv(cols)
                if rows_in_part or part == 1:
                    result.files.append(self.landing.put(self._key(table, f"LOAD{part:08d}.csv"), _utf8(buf)))
                result.full_load_rows[table] = total
            conn.rollback()
        state = self.load_state()
        state.update({"full_load_ts": stamp, "full_load_rows": result.full_load_rows, "slot": self.slot})
        self._save_state(state)
        return result

    @staticmethod
    def _new_csv(cols: list[str]) -> tuple[io.StringIO, csv.writer]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["Op", "dms_commit_ts", *cols])
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
                if (
                    change.op == "UPDATE"
                    and change.old_key
                    and any(change.old_key.get(k) != change.new.get(k) for k in pk)
                ):
                    # Primary-key update: a delete of the old key and an insert of the new one.
                    rows.append(["D", stamp, *[change.old_key.get(c) for c in cols]])
                    rows.append(["I", stamp, *[change.new.get(c) for c in cols]])
                    result.key_changes += 1
                else:
                    rows.append([_OPS[change.op], stamp, *[change.new.get(c) for c in cols]])
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
        cols = dms_columns(table)
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
            buf, writer = self._new_csv(cols)
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
