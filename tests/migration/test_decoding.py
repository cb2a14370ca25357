"""test_decoding output parsing (quotes, NULLs, old keys, transactions)."""

from datetime import datetime

from migration.dms.decoding import UNCHANGED_TOAST, group_transactions, parse_tuple


def test_parse_tuple_handles_quotes_nulls_and_old_key():
    new, old = parse_tuple(
        " old-key: id[bigint]:1 new-tuple: id[bigint]:2 name[text]:'O''Brien, \"x\"\nnext' email[text]:null "
        "amt[numeric]:2.5000 tags[text[]]:'{a,b}' blob[text]:unchanged-toast-datum"
    )
    assert old == {"id": "1"}
    assert new["id"] == "2" and new["name"] == 'O\'Brien, "x"\nnext' and new["email"] is None
    assert new["amt"] == "2.5000" and new["tags"] == "{a,b}" and new["blob"] is UNCHANGED_TOAST


def test_group_transactions_keeps_commit_order_and_timestamps():
    rows = [
        ("0/1", "7", "BEGIN 7"),
        ("0/1", "7", "table trading.customers: INSERT: customer_id[bigint]:5 name[text]:'A'"),
        ("0/2", "7", "table trading.customers: DELETE: customer_id[bigint]:4"),
        ("0/3", "7", "COMMIT 7 (at 2024-03-01 10:00:00.123456+00)"),
        ("0/3", "8", "BEGIN 8"),
        ("0/4", "8", "table trading.customers: TRUNCATE: (no-flags)"),
        ("0/4", "8", "COMMIT 8 (at 2024-03-01 12:00:00+02)"),
    ]
    txs = group_transactions(rows)
    assert [t.xid for t in txs] == [7, 8]
    assert txs[0].commit_ts == datetime(2024, 3, 1, 10, 0, 0, 123456)
    assert txs[1].commit_ts == datetime(2024, 3, 1, 10, 0, 0)
    assert [c.op for c in txs[0].changes] == ["INSERT", "DELETE"]
    assert txs[0].changes[1].new == {"customer_id": "4"}
    assert txs[1].changes[0].op == "TRUNCATE"
