"""Local Athena engine: named-query SQL over catalog tables, as a persona, with bytes scanned."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest

from energylake.contracts import get_contract, load_contracts
from lakectl.athena_local import (
    load_named_queries,
    named_queries_from_athena,
    run_named_query,
    run_query,
)
from lakectl.governance import AccessDenied

from .gov_fixtures import expected_rows

QUERIES = Path(__file__).parent / "queries"
GEN = get_contract("site_hourly_generation")
CLIENTS = get_contract("client_analytics")


@pytest.fixture
def locations(lake_dir):
    return {name: str(lake_dir / name) for name in load_contracts()}


def _column_bytes(files, columns) -> int:
    total = 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        for rg in range(meta.num_row_groups):
            for ci in range(meta.row_group(rg).num_columns):
                chunk = meta.row_group(rg).column(ci)
                if chunk.path_in_schema in columns:
                    total += chunk.total_compressed_size
    return total


def test_named_query_over_the_glue_catalog_matches_the_data(catalog, governance):
    query = load_named_queries(QUERIES)["site_daily_generation"]
    assert query.database == "energy_curated"
    result = run_named_query(query, "analyst", governance=governance)
    sums: dict[tuple, float] = defaultdict(float)
    for r in expected_rows(GEN):
        if r["event_date"] <= dt.date(2024, 7, 2):
            sums[(r["site_id"], r["event_date"])] += r["generation_mwh"]
    got = {(r["site_id"], r["event_date"]): r["generation_mwh"] for r in result.rows()}
    assert got == {k: round(v, 3) for k, v in sums.items()}
    assert result.columns[:3] == ["site_id", "event_date", "generation_mwh"]
    # Two of the three partitions are read; partition columns cost nothing.
    scan = result.scans["energy_curated.site_hourly_generation"]
    assert (scan.files_total, scan.files_read) == (3, 2)
    assert scan.columns_read == ("avg_wind_speed_ms", "capacity_factor", "generation_mwh", "site_id")


def test_bytes_scanned_is_the_column_chunks_of_the_partitions_read(lake_dir, locations, governance):
    base = lake_dir / "site_hourly_generation"
    day1 = sorted((base / "event_date=2024-07-01").glob("*.parquet"))
    every = sorted(base.rglob("*.parquet"))
    one = run_query(
        "SELECT sum(generation_mwh) FROM site_hourly_generation WHERE event_date = DATE '2024-07-01'",
        "analyst",
        locations=locations,
        governance=governance,
    )
    assert one.bytes_scanned == _column_bytes(day1, {"generation_mwh"}) > 0
    full = run_query(
        "SELECT sum(generation_mwh), max(site_id) FROM site_hourly_generation",
        "analyst",
        locations=locations,
        governance=governance,
    )
    assert full.bytes_scanned == _column_bytes(every, {"generation_mwh", "site_id"}) > one.bytes_scanned
    count = run_query("SELECT count(*) AS n FROM site_hourly_generation", "analyst", locations=locations)
    assert count.rows() == [{"n": len(expected_rows(GEN))}]
    assert count.bytes_scanned == 0


def test_query_touching_a_withheld_column_is_denied_by_name(locations, governance):
    queries = [
        "SELECT email FROM client_analytics",
        "SELECT region FROM client_analytics WHERE customer_name LIKE 'A%'",
        "SELECT c.region FROM energy_curated.client_analytics c ORDER BY c.customer_name",
        "WITH x AS (SELECT customer_id, email AS contact FROM client_analytics) SELECT count(*) FROM x",
        "SELECT region FROM client_analytics WHERE customer_id IN (SELECT customer_id FROM client_analytics "
        "WHERE email IS NOT NULL)",
    ]
    for sql in queries:
        with pytest.raises(AccessDenied, match=r"client_analytics\.(email|customer_name) \(classification pii\)"):
            run_query(sql, "analyst", locations=locations, governance=governance)
    contacts = load_named_queries(QUERIES)["client_contacts"]
    with pytest.raises(AccessDenied, match=r"client_analytics\.customer_name"):
        run_named_query(contacts, "analyst", locations=locations, governance=governance)
    rows = run_named_query(contacts, "trading_ops", locations=locations, governance=governance).rows()
    assert [r["email"] for r in rows] == [
        r["email"] for r in sorted(expected_rows(CLIENTS), key=lambda r: r["customer_id"])
    ]
    assert rows[0]["last_seen"] == expected_rows(CLIENTS)[0]["last_transaction_ts"].strftime("%Y-%m-%d")


def test_select_star_returns_only_visible_columns(locations, governance):
    result = run_query("SELECT * FROM client_analytics", "analyst", locations=locations, governance=governance)
    assert not {"customer_name", "email", "total_amount"} & set(result.columns)
    assert result.table.num_rows == len(expected_rows(CLIENTS))
    joined = run_query(
        "SELECT c.*, d.energy_mwh FROM client_analytics c JOIN daily_energy_consumption d "
        "ON c.customer_id = d.customer_id",
        "analyst",
        locations=locations,
        governance=governance,
    )
    assert "email" not in joined.columns and "energy_mwh" in joined.columns


def test_regional_analyst_aggregates_only_west_rows(locations, governance):
    query = load_named_queries(QUERIES)["client_region_summary"]
    rows = run_named_query(query, "regional_analyst_west", locations=locations, governance=governance).rows()
    west = [r for r in expected_rows(CLIENTS) if r["region"] == "WEST"]
    assert {r["region"] for r in rows} == {"WEST"}
    assert sum(r["customers"] for r in rows) == len(west)
    assert sum(Decimal(str(r["energy_mwh"])) for r in rows) == sum(r["total_energy_mwh"] for r in west)
    everyone = run_named_query(query, "analyst", locations=locations, governance=governance).rows()
    assert sum(r["customers"] for r in everyone) == len(expected_rows(CLIENTS))


def test_dataset_without_grant_and_unknown_names_fail_clearly(locations, governance):
    with pytest.raises(AccessDenied, match=r"'analyst' has no SELECT grant on energy_transform\.trading_customers"):
        run_query("SELECT region FROM energy_transform.trading_customers", "analyst", locations=locations)
    with pytest.raises(ValueError, match="does not resolve"):
        run_query("SELECT no_such_column FROM client_analytics", "analyst", locations=locations)
    with pytest.raises(KeyError, match="unknown dataset 'nope'"):
        run_query("SELECT 1 FROM nope", "analyst", locations=locations)


@pytest.mark.smoke
def test_named_queries_registered_in_emulated_athena_run_locally(catalog, governance):
    athena = boto3.client("athena")
    for query in load_named_queries(QUERIES).values():
        athena.create_named_query(Name=query.name, Database=query.database, QueryString=query.sql)
    registered = named_queries_from_athena(athena)
    assert set(registered) == {"site_daily_generation", "client_region_summary", "client_contacts"}
    result = run_named_query(registered["client_region_summary"], "analyst", governance=governance)
    assert sum(r["customers"] for r in result.rows()) == len(expected_rows(CLIENTS))
    assert result.bytes_scanned > 0
