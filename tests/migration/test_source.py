"""The on-prem trading source: schema from the contracts, deterministic seed data, realistic change stream."""

import uuid

import psycopg
import pytest

from energylake.contracts import get_contract
from migration.source import TABLES, create_database, create_schema, generate_changes, generate_sample_data

pytestmark = pytest.mark.postgres


def _dump(dsn):
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT * FROM trading.{t} ORDER BY 1").fetchall() for t in TABLES}


def test_source_columns_and_keys_are_the_contracts(source_dsn):
    with psycopg.connect(source_dsn) as conn:
        for table in TABLES:
            cols = conn.execute(
                "SELECT column_name, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'trading' AND table_name = %s ORDER BY ordinal_position",
                [table],
            ).fetchall()
            contract = get_contract(f"trading_{table}")
            assert [(c.name, "YES" if c.nullable else "NO") for c in contract.columns] == cols
        fks = conn.execute(
            "SELECT count(*) FROM information_schema.table_constraints "
            "WHERE table_schema = 'trading' AND constraint_type = 'FOREIGN KEY'"
        ).fetchone()[0]
        assert fks == 5
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                "INSERT INTO trading.contracts VALUES (1, 99, 99, '2024-01-01', NULL, 1, 1, 'active', now(), now())"
            )


def test_seed_is_deterministic_by_seed_and_scales_with_size(source_server, source_dsn):
    dsns = [source_dsn, *(create_database(source_server, f"seed_{uuid.uuid4().hex[:8]}") for _ in range(3))]
    for dsn in dsns[1:]:
        with psycopg.connect(dsn) as conn:
            create_schema(conn)
    counts = []
    for dsn, (seed, size) in zip(dsns, [(1, 1), (1, 1), (2, 1), (1, 2)], strict=True):
        with psycopg.connect(dsn) as conn:
            counts.append(generate_sample_data(conn, seed=seed, size=size))
    same, other_seed, bigger = _dump(dsns[1]), _dump(dsns[2]), _dump(dsns[3])
    assert _dump(dsns[0]) == same
    assert other_seed["customers"] != same["customers"]
    assert all(counts[3][t] == 2 * counts[0][t] for t in TABLES)
    assert len(bigger["transactions"]) == counts[3]["transactions"]


def test_changes_cover_inserts_updates_deletes_and_repeated_keys(source_dsn):
    with psycopg.connect(source_dsn) as conn:
        generate_sample_data(conn, seed=3, size=1)
        before = {t: conn.execute(f"SELECT count(*) FROM trading.{t}").fetchone()[0] for t in TABLES}
        summary = generate_changes(conn, seed=5, batches=30)
        after = {t: conn.execute(f"SELECT count(*) FROM trading.{t}").fetchone()[0] for t in TABLES}
    ops = {op for (_table, op) in summary.operations}
    assert ops == {"I", "U", "D"}
    assert summary.repeated_keys["transactions"] and summary.repeated_keys["customers"]
    inserted = summary.operations[("transactions", "I")] - summary.operations[("transactions", "D")]
    assert after["transactions"] - before["transactions"] == inserted
    assert summary.transactions == 30
