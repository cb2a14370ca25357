"""Parser for PostgreSQL's ``test_decoding`` logical-decoding output (the plugin AWS DMS itself uses).

Lines look like::

    BEGIN 727
    table trading.customers: UPDATE: customer_id[bigint]:1 name[text]:'O''Brien' email[text]:null
    COMMIT 727 (at 2024-01-02 03:04:05.123456+00)

Values are the columns' text output; quoted strings double their single quotes; ``null`` is SQL NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

UNCHANGED_TOAST = object()  # value not written to WAL because it did not change (large values only)

_CHANGE = re.compile(
    r'^table (?P<schema>"(?:[^"]|"")+"|[^.]+)\.(?P<table>"(?:[^"]|"")+"|[^:]+): (?P<op>[A-Z]+):(?P<rest>.*)$', re.S
)
_COMMIT = re.compile(r"^COMMIT (?P<xid>\d+) \(at (?P<ts>[^)]+)\)$")
_BEGIN = re.compile(r"^BEGIN (?P<xid>\d+)$")


class DecodingError(ValueError):
    """A logical-decoding line that cannot be parsed; the message quotes the problem."""


@dataclass
class Change:
    """One row change: op is INSERT/UPDATE/DELETE/TRUNCATE (anything else is passed through for quarantine)."""

    schema: str
    table: str
    op: str
    new: dict[str, object] = field(default_factory=dict)
    old_key: dict[str, object] = field(default_factory=dict)
    raw: str = ""


@dataclass
class Transaction:
    """A committed source transaction: xid, commit timestamp (UTC, naive) and its changes in order."""

    xid: int
    commit_ts: datetime | None = None
    changes: list[Change] = field(default_factory=list)


def _unquote_ident(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def parse_tuple(text: str) -> tuple[dict[str, object], dict[str, object]]:
    """(new tuple, old key) from the column list of a change line."""
    new: dict[str, object] = {}
    old: dict[str, object] = {}
    target = new
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] == " ":
            i += 1
        if i >= n:
            break
        if text.startswith("old-key:", i):
            target, i = old, i + len("old-key:")
            continue
        if text.startswith("new-tuple:", i):
            target, i = new, i + len("new-tuple:")
            continue
        if text.startswith("(no-tuple-data)", i) or text.startswith("(no-flags)", i):
            i = text.find(")", i) + 1
            continue
        open_br = text.find("[", i)
        close = text.find("]:", open_br)
        if open_br < 0 or close < 0:
            raise DecodingError(f"cannot find column name/type at offset {i}: {text[i : i + 60]!r}")
        name = _unquote_ident(text[i:open_br])
        i = close + 2
        if i < n and text[i] == "'":
            j, chunks = i + 1, []
            while True:
                k = text.find("'", j)
                if k < 0:
                    raise DecodingError(f"unterminated string for column {name!r}")
                chunks.append(text[j:k])
                if k + 1 < n and text[k + 1] == "'":
                    chunks.append("'")
                    j = k + 2
                    continue
                i = k + 1
                break
            target[name] = "".join(chunks)
        else:
            end = text.find(" ", i)
            end = n if end < 0 else end
            token = text[i:end]
            i = end
            target[name] = None if token == "null" else UNCHANGED_TOAST if token == "unchanged-toast-datum" else token
    return new, old


def parse_commit_ts(text: str) -> datetime:
    """Naive UTC datetime of a COMMIT line's timestamp (the decoding session runs with TimeZone=UTC)."""
    ts = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if ts.tzinfo is not None:
        from datetime import UTC

        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def group_transactions(rows: list[tuple[str, int, str]]) -> list[Transaction]:
    """Committed transactions from (lsn, xid, data) rows of pg_logical_slot_peek_changes, in commit order."""
    out: list[Transaction] = []
    current: Transaction | None = None
    for _lsn, xid, data in rows:
        if _BEGIN.match(data):
            current = Transaction(int(xid))
            continue
        commit = _COMMIT.match(data)
        if commit:
            if current is None:
                raise DecodingError(f"COMMIT {xid} without BEGIN")
            current.commit_ts = parse_commit_ts(commit.group("ts"))
            out.append(current)
            current = None
            continue
        if current is None:
            raise DecodingError(f"change outside a transaction: {data[:80]!r}")
        match = _CHANGE.match(data)
        if not match:
            current.changes.append(Change("", "", "UNPARSEABLE", raw=data))
            continue
        schema, table = _unquote_ident(match.group("schema")), _unquote_ident(match.group("table"))
        try:
            new, old = parse_tuple(match.group("rest"))
        except DecodingError:
            current.changes.append(Change(schema, table, "UNPARSEABLE", raw=data))
            continue
        current.changes.append(Change(schema, table, match.group("op"), new, old, raw=data))
    return out
