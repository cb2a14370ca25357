"""The on-premises energy-trading database (schema ``trading``) and its data generators.

Table columns come from the ``trading_*`` dataset contracts; this module adds only what a source database has
and a lake contract does not: foreign keys, CHECK constraints (from the contracts' allowed-values rules), the
stored generated column ``transactions.transaction_date``, a reporting view and a PL/pgSQL function (the last
two exist so schema conversion has realistic objects to convert or report).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg
import sqlglot
from faker import Faker
from sqlglot import exp

from energylake.contracts import DatasetContract, get_contract
from energylake.dms import TRADING_SCHEMA, source_tables
from lakectl.postgres import LocalPostgres
from warehouse.ddl import ColumnSpec, create_table, glue_to_sql_type

SCHEMA = TRADING_SCHEMA
FOREIGN_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "contracts": (("provider_id", "providers"), ("customer_id", "customers")),
    "transactions": (("provider_id", "providers"), ("customer_id", "customers"), ("contract_id", "contracts")),
}


def _parents_first(tables: list[str]) -> tuple[str, ...]:
    """``tables`` ordered so that every table comes after the tables its foreign keys reference."""
    ordered: list[str] = []

    def visit(table: str) -> None:
        if table not in ordered:
            for _, parent in FOREIGN_KEYS.get(table, ()):
                visit(parent)
            ordered.append(table)

    for table in tables:
        visit(table)
    return tuple(ordered)


# The source tables are those the contracts replicate from the trading schema (energylake.dms, the one list),
# parent tables first: the order to create, load and export them.
TABLES = _parents_first([table for schema, table, _ in source_tables() if schema == SCHEMA])
# Stored generated columns of the source (PostgreSQL computes them; Redshift cannot).
GENERATED = {("transactions", "transaction_date"): "CAST(transaction_ts AS DATE)"}
REGIONS = ("COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_C", "SOUTHERN", "SOUTH_C", "WEST")
DEFAULT_START = datetime(2024, 1, 1)

_VIEW_SQL = """
CREATE OR REPLACE VIEW trading.active_contract_volume AS
SELECT c.customer_id, cu.region, COUNT(*) AS active_contracts, SUM(c.volume_mwh) AS volume_mwh
FROM trading.contracts AS c JOIN trading.customers AS cu ON cu.customer_id = c.customer_id
WHERE c.status = 'active' AND (c.end_date IS NULL OR c.end_date >= CURRENT_DATE)
GROUP BY c.customer_id, cu.region
"""
_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION trading.contract_value(p_contract_id bigint) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE v numeric;
BEGIN
  SELECT price_per_mwh * volume_mwh INTO v FROM trading.contracts WHERE contract_id = p_contract_id;
  RETURN v;
END $$
"""


def contract_for(table: str) -> DatasetContract:
    """The dataset contract describing source table ``table``."""
    contract = get_contract(f"{SCHEMA}_{table}")
    if contract.source.get("table") != table or contract.source.get("schema") != SCHEMA:
        raise ValueError(f"contract {contract.name} does not point at {SCHEMA}.{table} in its source hints")
    return contract


def _checks(contract: DatasetContract) -> list[exp.Expression]:
    checks: list[exp.Expression] = []
    for rule in contract.quality:
        if rule.rule == "allowed_values" and rule.column:
            cond = exp.column(rule.column).isin(*[exp.Literal.string(v) for v in rule.values])
            checks.append(exp.CheckColumnConstraint(this=cond))
    return checks


def table_ddl(table: str) -> exp.Create:
    """CREATE TABLE for one source table: contract columns, PK, FKs, CHECKs and generated columns."""
    contract = contract_for(table)
    cols = [
        ColumnSpec(
            c.name,
            glue_to_sql_type(c.type),
            c.nullable,
            sqlglot.parse_one(GENERATED[(table, c.name)], read="postgres") if (table, c.name) in GENERATED else None,
        )
        for c in contract.columns
    ]
    fks = [
        exp.ForeignKey(
            expressions=[exp.to_identifier(col)],
            reference=exp.Reference(
                this=exp.Schema(
                    this=exp.to_table(f"{SCHEMA}.{parent}"),
                    expressions=[exp.to_identifier(contract_for(parent).primary_key[0])],
                )
            ),
        )
        for col, parent in FOREIGN_KEYS.get(table, ())
    ]
    return create_table(
        f"{SCHEMA}.{table}",
        cols,
        primary_key=contract.primary_key,
        extra_constraints=[*fks, *_checks(contract)],
    )


def schema_ddl() -> list[str]:
    """PostgreSQL statements creating the whole source schema."""
    stmts = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
    stmts += [table_ddl(t).sql(dialect="postgres") for t in TABLES]
    stmts += [f"CREATE INDEX IF NOT EXISTS transactions_customer_idx ON {SCHEMA}.transactions (customer_id)"]
    return [*stmts, _VIEW_SQL.strip(), _FUNCTION_SQL.strip()]


def create_schema(conn: psycopg.Connection, *, drop: bool = False) -> None:
    """Create the trading schema (optionally dropping an existing one first)."""
    with conn.transaction():
        if drop:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        for stmt in schema_ddl():
            conn.execute(stmt)


def ensure_logical_decoding(server: LocalPostgres) -> None:
    """Set ``wal_level=logical`` (what DMS needs from a PostgreSQL source) and restart the server if it changed."""
    with server.connect(autocommit=True) as conn:
        if conn.execute("SHOW wal_level").fetchone()[0] == "logical":
            return
        conn.execute("ALTER SYSTEM SET wal_level = logical")
    server.stop()
    server.start()


def start_source(data_dir: str | None = None, port: int = 0) -> LocalPostgres:
    """Start the local on-prem source (data under .local/postgres/source) with logical decoding enabled."""
    from lakectl.settings import STATE_DIR

    server = LocalPostgres(data_dir or STATE_DIR / "postgres" / "source", port=port).start()
    ensure_logical_decoding(server)
    return server


# --------------------------------------------------------------------------------------------- seed data


def _money(rng: random.Random, low: float, high: float, places: int = 4) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), places))).quantize(Decimal(1).scaleb(-places))


def _columns(table: str) -> list[str]:
    return [c.name for c in contract_for(table).columns if (table, c.name) not in GENERATED]


def _copy_rows(conn: psycopg.Connection, table: str, rows: list[tuple]) -> None:
    cols = _columns(table)
    with conn.cursor().copy(f"COPY {SCHEMA}.{table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass
class _Gen:
    rng: random.Random
    fake: Faker

    def provider(self, pid: int, ts: datetime) -> tuple:
        energy = self.rng.choice(("wind", "wind", "solar", "solar", "hydro", "gas", "storage", "biomass"))
        name = f"{self.fake.last_name()} {energy.title()} {self.rng.choice(('LLC', 'LP', 'Energy', 'Power'))}"
        email = self.fake.company_email() if self.rng.random() > 0.1 else None
        return (pid, name, energy, _money(self.rng, 5, 900, 3), self.rng.choice(REGIONS), email, ts, ts)

    def customer(self, cid: int, ts: datetime) -> tuple:
        segment = self.rng.choices(("residential", "commercial", "industrial"), (6, 3, 1))[0]
        name = self.fake.name() if segment == "residential" else self.fake.company()
        email = self.fake.email() if self.rng.random() > 0.05 else None
        phone = self.fake.phone_number() if self.rng.random() > 0.2 else None
        address = self.fake.address().replace("\n", ", ") if self.rng.random() > 0.1 else None
        return (cid, name, email, phone, address, segment, self.rng.choice(REGIONS), ts, ts)

    def contract(self, kid: int, provider_id: int, customer_id: int, ts: datetime) -> tuple:
        start = ts.date() + timedelta(days=self.rng.randint(0, 10))
        end = start + timedelta(days=self.rng.choice((90, 180, 365))) if self.rng.random() > 0.2 else None
        status = self.rng.choices(("active", "draft", "expired", "terminated"), (7, 1, 1, 1))[0]
        price = _money(self.rng, 25, 95)
        return (kid, provider_id, customer_id, start, end, price, _money(self.rng, 100, 50000), status, ts, ts)

    def transaction(self, tid: int, contract: tuple | None, providers: list[int], customers: list[int], ts) -> tuple:
        if contract is not None:
            provider_id, customer_id, contract_id = contract[1], contract[2], contract[0]
            price = contract[5]
        else:
            provider_id, customer_id, contract_id = self.rng.choice(providers), self.rng.choice(customers), None
            price = _money(self.rng, -20, 250)  # spot purchases, negative prices happen in ERCOT
        energy = _money(self.rng, 0.5, 400)
        amount = (energy * price).quantize(Decimal("0.0001"))
        status = self.rng.choices(("settled", "pending", "cancelled"), (7, 2, 1))[0]
        return (tid, provider_id, customer_id, contract_id, energy, price, amount, status, ts, ts)


def _generator(seed: int) -> _Gen:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return _Gen(random.Random(seed), fake)


def generate_sample_data(
    conn: psycopg.Connection, seed: int = 7, size: int = 1, start: datetime = DEFAULT_START
) -> dict[str, int]:
    """Fill an empty trading schema deterministically; ``size`` scales every table linearly. Returns row counts."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    gen = _generator(seed)
    rng = gen.rng
    tick = lambda minutes: start + timedelta(minutes=minutes)  # noqa: E731
    providers = [gen.provider(i, tick(i)) for i in range(1, 8 * size + 1)]
    customers = [gen.customer(i, tick(60 + i)) for i in range(1, 60 * size + 1)]
    pids, cids = [p[0] for p in providers], [c[0] for c in customers]
    contracts = [gen.contract(i, rng.choice(pids), rng.choice(cids), tick(600 + i)) for i in range(1, 90 * size + 1)]
    transactions = []
    for i in range(1, 1200 * size + 1):
        ts = start + timedelta(days=1, seconds=rng.randint(0, 30 * 86400))
        contract = rng.choice(contracts) if rng.random() < 0.8 else None
        transactions.append(gen.transaction(i, contract, pids, cids, ts.replace(microsecond=0)))
    generated = {"providers": providers, "customers": customers, "contracts": contracts, "transactions": transactions}
    with conn.transaction():
        for table in TABLES:
            _copy_rows(conn, table, generated.get(table, []))
    return {t: len(generated.get(t, [])) for t in TABLES}


# --------------------------------------------------------------------------------------------- changes


@dataclass
class ChangeSummary:
    """What ``generate_changes`` did: operations per (table, op) and the keys changed more than once."""

    operations: Counter = field(default_factory=Counter)
    repeated_keys: dict[str, set[int]] = field(default_factory=dict)
    transactions: int = 0

    def add(self, table: str, op: str, key: int) -> None:
        """Count one row change."""
        self.operations[(table, op)] += 1
        self._touched.setdefault(table, Counter())[key] += 1
        if self._touched[table][key] > 1:
            self.repeated_keys.setdefault(table, set()).add(key)

    def __post_init__(self) -> None:
        self._touched: dict[str, Counter] = {}


def _fetch(conn: psycopg.Connection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def generate_changes(conn: psycopg.Connection, seed: int = 11, batches: int = 40) -> ChangeSummary:
    """Apply a deterministic stream of inserts, updates and deletes, one source transaction per batch.

    Always includes: a key updated twice in separate transactions, a key updated twice inside one transaction,
    a row inserted then updated then deleted, and deletes of child and parent rows.
    """
    gen = _generator(seed)
    rng = gen.rng
    summary = ChangeSummary()
    # Each batch must be its own committed source transaction (own commit timestamp), not a savepoint.
    was_autocommit = conn.autocommit
    if not was_autocommit:
        conn.commit()
        conn.autocommit = True
    clock = _fetch(conn, f"SELECT max(updated_at) FROM {SCHEMA}.transactions")[0][0] or DEFAULT_START
    next_id = {
        t: _fetch(conn, f"SELECT coalesce(max({contract_for(t).primary_key[0]}), 0) FROM {SCHEMA}.{t}")[0][0] + 1
        for t in TABLES
    }

    def now() -> datetime:
        nonlocal clock
        clock = clock + timedelta(seconds=rng.randint(30, 900))
        return clock

    def keys(table: str, where: str = "TRUE") -> list[int]:
        pk = contract_for(table).primary_key[0]
        return [r[0] for r in _fetch(conn, f"SELECT {pk} FROM {SCHEMA}.{table} WHERE {where} ORDER BY {pk}")]

    def insert_customer() -> int:
        cid = next_id["customers"]
        next_id["customers"] += 1
        _copy_rows(conn, "customers", [gen.customer(cid, now())])
        summary.add("customers", "I", cid)
        return cid

    def insert_transaction(customer_id: int | None = None) -> int:
        tid = next_id["transactions"]
        next_id["transactions"] += 1
        contract_ids = keys("contracts", "status = 'active'")
        contract = None
        if contract_ids and customer_id is None:
            cid = rng.choice(contract_ids)
            contract = _fetch(conn, f"SELECT * FROM {SCHEMA}.contracts WHERE contract_id = {cid}")[0]
        row = gen.transaction(
            tid, contract, keys("providers"), [customer_id] if customer_id else keys("customers"), now()
        )
        _copy_rows(conn, "transactions", [row])
        summary.add("transactions", "I", tid)
        return tid

    def update(table: str, key: int, assignments: dict[str, object]) -> None:
        pk = contract_for(table).primary_key[0]
        sets = ", ".join(f"{c} = %s" for c in assignments) + ", updated_at = %s"
        conn.execute(f"UPDATE {SCHEMA}.{table} SET {sets} WHERE {pk} = %s", [*assignments.values(), now(), key])
        summary.add(table, "U", key)

    def delete(table: str, key: int) -> None:
        pk = contract_for(table).primary_key[0]
        conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE {pk} = %s", [key])
        summary.add(table, "D", key)

    def settle(tid: int) -> None:
        update("transactions", tid, {"status": "settled"})

    def scripted(step: int) -> None:
        if step == 0:  # same key updated twice, in two source transactions (the second comes in batch 1)
            update("customers", keys("customers")[0], {"email": gen.fake.email()})
        elif step == 1:
            update("customers", keys("customers")[0], {"address": gen.fake.address().replace("\n", ", ")})
        elif step == 2:  # same key changed twice inside one source transaction
            tid = keys("transactions", "status = 'pending'")[0]
            update("transactions", tid, {"energy_mwh": _money(rng, 1, 50), "amount": _money(rng, 50, 2000)})
            settle(tid)
        elif step == 3:  # inserted, updated, then deleted
            tid = insert_transaction()
            settle(tid)
            delete("transactions", tid)
        elif step == 4:  # a new customer with a purchase, then the customer is renamed
            cid = insert_customer()
            insert_transaction(customer_id=cid)
            update("customers", cid, {"name": gen.fake.name()})
        elif step == 5:  # a parent row deleted: a customer without contracts or transactions
            lonely = keys(
                "customers",
                "customer_id NOT IN (SELECT customer_id FROM trading.contracts) "
                "AND customer_id NOT IN (SELECT customer_id FROM trading.transactions)",
            )
            cid = lonely[0] if lonely else insert_customer()
            delete("customers", cid)

    def random_batch() -> None:
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.35:
                insert_transaction()
            elif roll < 0.5:
                insert_customer()
            elif roll < 0.7:
                pending = keys("transactions", "status = 'pending'")
                if pending:
                    settle(rng.choice(pending))
            elif roll < 0.8:
                update("contracts", rng.choice(keys("contracts")), {"status": rng.choice(("active", "terminated"))})
            elif roll < 0.9:
                update("providers", rng.choice(keys("providers")), {"capacity_mw": _money(rng, 5, 900, 3)})
            else:
                delete("transactions", rng.choice(keys("transactions", "status = 'cancelled'") or keys("transactions")))

    try:
        for step in range(max(batches, 6)):
            with conn.transaction():
                scripted(step) if step < 6 else random_batch()
            summary.transactions += 1
    finally:
        conn.autocommit = was_autocommit
    return summary


def create_database(server: LocalPostgres, name: str) -> str:
    """Create database ``name`` on a local server (one source per test or demo run); returns its DSN."""
    with server.connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.dsn.replace(f"dbname={server.database}", f"dbname={name}")


def drop_replication_slots(dsn: str) -> int:
    """Drop every replication slot of the DSN's database (a forgotten slot pins WAL forever); returns how many."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()"
        ).fetchall()
    return len(rows)
