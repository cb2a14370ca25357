"""The DMS-compatible exporter: file layout and format, incremental state, quarantine of bad changes."""

import csv
import io
import re

import psycopg
import pytest

from migration.dms.apply import apply_dms_to_transform, current_state
from migration.dms.exporter import DmsExporter
from migration.quarantine import Quarantine
from migration.source import TABLES, contract_for, generate_changes, generate_sample_data

pytestmark = pytest.mark.postgres
CDC_NAME = re.compile(r"^dms/trading/(providers|customers|contracts|transactions)/\d{8}-\d{9}\.csv$")


def _exporter(dsn, lake, **kw):
    return DmsExporter(dsn, lake["landing"], lake["artifacts"], lake["quarantine"], slot="t_dms", **kw)


def _rows(store, key):
    return list(csv.reader(io.StringIO(store.get(key).decode())))


def test_full_load_and_cdc_files_use_the_dms_s3_csv_format(source_dsn, lake):
    with psycopg.connect(source_dsn) as conn:
        counts = generate_sample_data(conn, seed=1, size=1)
    exporter = _exporter(source_dsn, lake, max_rows_per_file=500)
    first = exporter.run()
    exporter.max_rows_per_file = 5
    assert first.full_load_rows == counts
    load = _rows(lake["landing"], "dms/trading/customers/LOAD00000001.csv")
    assert lake["landing"].get("dms/trading/transactions/LOAD00000003.csv") is not None  # 1200 rows, 500 per file
    # The key's before image ends every row (table mappings: add-before-image-columns, pk-only).
    assert load[0] == ["Op", "dms_commit_ts", *[c.name for c in contract_for("customers").columns], "bi_customer_id"]
    assert {r[0] for r in load[1:]} == {"I"}
    with psycopg.connect(source_dsn) as conn:
        summary = generate_changes(conn, seed=2, batches=20)
    second = exporter.run()
    keys = [o["Key"] for o in lake["landing"].list("dms/") if "LOAD" not in o["Key"]]
    assert keys and all(CDC_NAME.match(k) for k in keys)
    assert len([k for k in keys if "/transactions/" in k]) > 1  # small files: one table spans several files
    assert second.changes_in == second.changes_exported + second.quarantined == sum(summary.operations.values())
    ops = {r[0] for k in keys for r in _rows(lake["landing"], k)[1:]}
    assert ops == {"I", "U", "D"}
    assert sum(second.cdc_rows.values()) == sum(summary.operations.values())
    third = exporter.run()  # nothing changed since: the saved position means nothing is exported twice
    assert third.files == [] and third.changes_in == 0
    assert exporter.load_state()["exported_lsn"] == third.position


def test_cdc_apply_rebuilds_the_source_whatever_the_file_order(source_dsn, lake):
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=4, size=1)
    exporter = _exporter(source_dsn, lake, max_rows_per_file=500)
    exporter.run()
    exporter.max_rows_per_file = 3  # CDC spread over many small files
    with psycopg.connect(source_dsn) as conn:
        generate_changes(conn, seed=9, batches=25)
        source = {t: conn.execute(f"SELECT * FROM trading.{t} ORDER BY 1").fetchall() for t in TABLES}
    exporter.run()
    for order in ("listing", "reversed", "shuffled"):
        results = apply_dms_to_transform(lake["landing"], lake["transform"], file_order=order)
        for table in TABLES:
            result = results[f"trading_{table}"]
            assert result.balanced() and result.quarantined == 0
            assert result.rows_out == len(source[table])
        assert results["trading_transactions"].superseded > 0 and results["trading_transactions"].final_deletes > 0


def test_truncate_is_quarantined_with_a_reason_and_counted(source_dsn, lake):
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=1, size=1)
    exporter = _exporter(source_dsn, lake)
    exporter.run()
    with psycopg.connect(source_dsn) as conn:
        conn.execute("UPDATE trading.providers SET region = 'WEST' WHERE provider_id = 1")
        conn.commit()
        conn.execute("TRUNCATE trading.transactions")
    result = exporter.run()
    assert result.changes_in == 2 and result.changes_exported == 1 and result.quarantined == 1
    assert result.quarantine_reasons == {"unsupported_op": 1}
    files = lake["quarantine"].list("dataset=trading_transactions/")
    assert len(files) == 1
    assert exporter.load_state()["quarantined_total"] == 1


def test_bad_cdc_records_are_quarantined_by_the_apply():
    contract = contract_for("providers")
    header = "Op,dms_commit_ts," + ",".join(c.name for c in contract.columns)
    good = "2024-01-01 00:00:00,Windy LLC,wind,10.000,WEST,,2024-01-01 00:00:00,2024-01-01 00:00:00"
    body = "\n".join(
        [
            header,
            f"I,2024-01-02 00:00:00.000001,1,{good}",
            f"X,2024-01-02 00:00:00.000002,2,{good}",  # unknown Op
            f"U,2024-01-02 00:00:00.000003,,{good}",  # missing key
            "U,2024-01-02 00:00:00.000004,3,2024-01-01 00:00:00,Windy LLC,wind,lots,WEST,,x,y",  # bad values
            f"U,2024-01-02 00:00:00.000005,1,{good.replace('Windy', 'Gusty')}",
        ]
    )
    body = body.replace(",2024-01-01 00:00:00,Windy", ",Windy").replace(",2024-01-01 00:00:00,Gusty", ",Gusty")
    quarantine = Quarantine("test", "r1")
    rows, result = current_state(contract, [("f.csv", body.encode())], quarantine)
    assert quarantine.reasons() == {"unknown_op": 1, "missing_key": 1, "bad_value": 1}
    assert [r["name"] for r in rows] == ["Gusty LLC"]
    assert (result.rows_in, result.rows_out, result.superseded, result.quarantined) == (5, 1, 1, 3)
    assert result.balanced()


def test_many_load_files_and_changes_during_the_load_rebuild_the_source_row_by_row(source_dsn, lake):
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=5, size=1)  # 1200 transactions: 12 LOAD files of 100
        last = conn.execute("SELECT max(transaction_id) FROM trading.transactions").fetchone()[0]
    moved = last + 1000

    def during_load(table: str, counter: int) -> None:
        if (table, counter) != ("transactions", 2):
            return
        # Rows of LOAD0000000B/C: the load's statement still sees them as they were, written after these commits.
        with psycopg.connect(source_dsn, autocommit=True) as conn:
            conn.execute(
                "UPDATE trading.transactions SET status = 'cancelled', updated_at = updated_at + interval '1 second' "
                "WHERE transaction_id = %s",
                [last],
            )
            conn.execute("DELETE FROM trading.transactions WHERE transaction_id = %s", [last - 1])
            rekey = "UPDATE trading.transactions SET transaction_id = %s WHERE transaction_id = %s"
            conn.execute(rekey, [moved, last - 2])

    exporter = _exporter(source_dsn, lake, max_rows_per_file=100, on_load_file=during_load)
    exporter.run()
    exporter.run()  # the changes made during the load, as CDC
    keys = [o["Key"] for o in lake["landing"].list("dms/trading/transactions/")]
    assert {f"dms/trading/transactions/LOAD0000000{c}.csv" for c in "9ABC"} <= set(keys)
    cdc = [r for k in keys if "/LOAD" not in k for r in _rows(lake["landing"], k)[1:]]
    # The key update is one U row with the new key; bi_transaction_id (the last column) holds the old one.
    assert [(r[0], r[-1]) for r in cdc if r[2] == str(moved)] == [("U", str(last - 2))]
    contract = contract_for("transactions")
    cols = [c.name for c in contract.columns]
    files = [(k, lake["landing"].get(k) or b"") for k in keys]
    quarantine = Quarantine("test", "r1")
    rows, result = current_state(contract, files, quarantine)
    assert result.balanced() and result.quarantined == 0 and result.key_changes == 1
    with psycopg.connect(source_dsn) as conn:
        source = conn.execute(f"SELECT {', '.join(cols)} FROM trading.transactions ORDER BY 1").fetchall()
    assert [tuple(r[c] for c in cols) for r in rows] == source
