"""The persona access layer returns only permitted columns and rows, from local Parquet or via the Glue catalog."""

from __future__ import annotations

import datetime as dt

import pytest

from energylake.contracts import get_contract
from lakectl.governance import AccessDenied, PersonaSession, read_as
from lakectl.lake_tables import TableLocationError, files_from_location

from .gov_fixtures import ROWS, expected_rows, write_dataset

CLIENTS = get_contract("client_analytics")


def _loc(lake_dir, name: str) -> str:
    return str(lake_dir / name)


def test_analyst_reads_all_rows_without_pii_or_confidential_columns(lake_dir, governance):
    table = read_as("analyst", "client_analytics", location=_loc(lake_dir, "client_analytics"), governance=governance)
    assert table.num_rows == ROWS
    assert table.column_names == [c.name for c in CLIENTS.columns if c.classification in ("public", "internal")]
    assert not {"customer_name", "email", "total_amount"} & set(table.column_names)
    got = sorted(table.column("customer_id").to_pylist())
    assert got == sorted(r["customer_id"] for r in expected_rows(CLIENTS))


def test_regional_analyst_west_reads_only_west_rows(lake_dir, governance):
    table = read_as(
        "regional_analyst_west", "client_analytics", location=_loc(lake_dir, "client_analytics"), governance=governance
    )
    west = [r for r in expected_rows(CLIENTS) if r["region"] == "WEST"]
    assert 0 < table.num_rows == len(west) < ROWS
    assert set(table.column("region").to_pylist()) == {"WEST"}
    assert sorted(table.column("customer_id").to_pylist()) == sorted(r["customer_id"] for r in west)
    assert "email" not in table.column_names
    # The row filter holds under any extra predicate too: asking for EAST rows yields nothing.
    east = read_as(
        "regional_analyst_west",
        "client_analytics",
        location=_loc(lake_dir, "client_analytics"),
        where="region = 'EAST' OR 1 = 1",
        governance=governance,
    )
    assert set(east.column("region").to_pylist()) == {"WEST"}


def test_trading_ops_reads_the_pii_values(lake_dir, governance):
    table = read_as(
        "trading_ops", "client_analytics", location=_loc(lake_dir, "client_analytics"), governance=governance
    )
    assert sorted(table.column("email").to_pylist()) == sorted(r["email"] for r in expected_rows(CLIENTS))


def test_withheld_column_request_is_denied_by_name(lake_dir, governance):
    loc = _loc(lake_dir, "client_analytics")
    with pytest.raises(AccessDenied, match=r"client_analytics\.email \(classification pii\)"):
        read_as("analyst", "client_analytics", location=loc, columns=["region", "email"], governance=governance)
    with pytest.raises(AccessDenied, match=r"client_analytics\.total_amount \(classification confidential\)"):
        read_as("analyst", "client_analytics", location=loc, where="total_amount > 0", governance=governance)


def test_dataset_without_grant_is_denied_before_reading(governance, tmp_path):
    missing = str(tmp_path / "does-not-exist")  # never opened: the grant is checked first
    with pytest.raises(AccessDenied, match=r"'analyst' has no SELECT grant on energy_transform\.trading_customers"):
        read_as("analyst", "trading_customers", location=missing, governance=governance)
    with pytest.raises(AccessDenied, match=r"'data_scientist' has no SELECT grant on energy_curated\.client_analytics"):
        read_as("data_scientist", "client_analytics", location=missing, governance=governance)


def test_view_never_exposes_a_withheld_column_even_for_select_star(lake_dir, governance):
    session = PersonaSession("analyst", governance)
    session.attach("client_analytics", files_from_location(_loc(lake_dir, "client_analytics"), CLIENTS.partition_by))
    star = session.con.sql('SELECT * FROM "energy_curated"."client_analytics"')
    assert "email" not in star.columns and "customer_name" not in star.columns
    with pytest.raises(Exception, match="email"):
        session.con.sql('SELECT email FROM "energy_curated"."client_analytics"').fetchall()


def test_partition_values_and_types_come_back(lake_dir, governance):
    contract = get_contract("site_hourly_generation")
    table = read_as(
        "analyst",
        "site_hourly_generation",
        location=_loc(lake_dir, "site_hourly_generation"),
        where="event_date = DATE '2024-07-02'",
        governance=governance,
    )
    expected = [r for r in expected_rows(contract) if r["event_date"] == dt.date(2024, 7, 2)]
    assert table.num_rows == len(expected) > 0
    assert set(table.column("event_date").to_pylist()) == {dt.date(2024, 7, 2)}
    assert sorted(table.column("generation_mwh").to_pylist()) == sorted(r["generation_mwh"] for r in expected)


def test_a_file_outside_the_partition_layout_is_an_error(tmp_path):
    contract = get_contract("site_hourly_generation")
    base = write_dataset(contract, tmp_path)
    (base / "event_date=2024-07-01" / "part-00000.snappy.parquet").rename(base / "stray.parquet")
    with pytest.raises(TableLocationError, match=r"stray.parquet: no partition value for \['event_date'\]"):
        files_from_location(str(base), contract.partition_by)


def test_read_through_the_glue_catalog_on_emulated_s3(catalog, governance):
    via_catalog = read_as("regional_analyst_west", "client_analytics", governance=governance)
    assert set(via_catalog.column("region").to_pylist()) == {"WEST"}
    west = [r for r in expected_rows(CLIENTS) if r["region"] == "WEST"]
    assert sorted(via_catalog.column("customer_id").to_pylist()) == sorted(r["customer_id"] for r in west)
    gen = read_as("analyst", "site_hourly_generation", governance=governance)
    assert gen.num_rows == ROWS
    assert sorted(set(gen.column("event_date").to_pylist())) == [dt.date(2024, 7, d) for d in (1, 2, 3)]


def test_catalog_reads_only_registered_partitions_like_athena(catalog, governance):
    glue = catalog["glue"]
    glue.delete_partition(
        DatabaseName="energy_curated", TableName="site_hourly_generation", PartitionValues=["2024-07-03"]
    )
    gen = read_as("analyst", "site_hourly_generation", governance=governance)
    assert sorted(set(gen.column("event_date").to_pylist())) == [dt.date(2024, 7, 1), dt.date(2024, 7, 2)]
    # With partition projection on, the table location is listed instead of the registered partitions.
    table = glue.get_table(DatabaseName="energy_curated", Name="site_hourly_generation")["Table"]
    table_input = {k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType")}
    table_input["Parameters"] = {"projection.enabled": "true"}
    glue.update_table(DatabaseName="energy_curated", TableInput=table_input)
    assert read_as("analyst", "site_hourly_generation", governance=governance).num_rows == ROWS


def test_table_missing_from_the_catalog_is_a_clear_error(aws, governance):
    with pytest.raises(TableLocationError, match=r"energy_curated\.client_analytics is not in the Glue Data Catalog"):
        read_as("analyst", "client_analytics", governance=governance)
