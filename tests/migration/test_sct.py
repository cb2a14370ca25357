"""Schema conversion from the live source catalog: Redshift DDL, Glue TableInputs and the assessment."""

import json

import psycopg
import pytest
import sqlglot

from energylake.contracts import get_contract
from migration.sct import convert, write_outputs

pytestmark = pytest.mark.postgres


def test_conversion_emits_redshift_ddl_glue_tables_and_assessment(source_dsn, tmp_path):
    with psycopg.connect(source_dsn) as conn:
        result = convert(conn, "trading", transform_bucket="energylake-local-transform")
    ddl = {sqlglot.parse_one(s, read="redshift").this.sql(): s for s in result.redshift_ddl if "TABLE" in s}
    tx = next(s for s in result.redshift_ddl if "trading.transactions" in s and "CREATE TABLE" in s)
    assert "DISTSTYLE KEY DISTKEY(customer_id) SORTKEY(transaction_ts)" in tx
    assert "REFERENCES trading.customers (customer_id)" in tx and "GENERATED" not in tx
    assert len(ddl) == 4 and any(
        "CREATE OR REPLACE VIEW trading.active_contract_volume" in s for s in result.redshift_ddl
    )
    glue = {t["TableInput"]["Name"]: t for t in result.glue_tables}
    for name, table in glue.items():
        contract = get_contract(name)
        cols = table["TableInput"]["StorageDescriptor"]["Columns"] + table["TableInput"]["PartitionKeys"]
        assert [(c["Name"], c["Type"]) for c in cols] == [(c.name, c.type) for c in contract.columns]
    assert glue["trading_transactions"]["TableInput"]["PartitionKeys"] == [{"Name": "transaction_date", "Type": "date"}]
    kinds = {(f.kind, f.severity) for f in result.findings}
    assert ("check constraint", "action") in kinds and ("routine", "action") in kinds
    assert ("generated column", "warning") in kinds
    assert not [f for f in result.findings if f.severity == "error"]
    paths = write_outputs(result, tmp_path, "trading")
    assert {p.name for p in paths} == {"redshift_ddl.sql", "glue_tables.json", "assessment.json", "assessment.md"}
    assert "contract_value" in (tmp_path / "assessment.md").read_text()
    assert len(json.loads((tmp_path / "assessment.json").read_text())) == len(result.findings)


def test_conversion_reports_a_source_that_drifted_from_its_contract(source_dsn):
    with psycopg.connect(source_dsn) as conn:
        conn.execute("ALTER TABLE trading.providers ADD COLUMN tags jsonb")
        conn.execute("ALTER TABLE trading.providers ALTER COLUMN capacity_mw TYPE numeric(10,1)")
        result = convert(conn, "trading")
    errors = {f.object: f.message for f in result.findings if f.severity in ("error", "action")}
    assert "trading.providers.tags" in errors
    assert "decimal(10,1)" in errors["trading.providers.capacity_mw"]
