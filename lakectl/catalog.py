"""Local catalog helpers for other areas: register contract tables and find the current data of a table.

Thin wrappers over energylake.catalog (the same code the Glue jobs use against AWS), reading the
endpoint from AWS_ENDPOINT_URL like every SDK client.
"""

from __future__ import annotations

from energylake.catalog import Catalog, partition_path, table_input
from energylake.contracts import get_contract

__all__ = ["Catalog", "data_locations", "partition_path", "register_contract_table", "table_input"]


def register_contract_table(name: str, location: str, database: str | None = None) -> str:
    """Create or update the Glue table of contract ``name`` at ``location``; returns the database used."""
    contract = get_contract(name)
    database = database or contract.glue_database()
    Catalog().register_table(contract, database, location)
    return database


def data_locations(name: str, database: str | None = None) -> list[str]:
    """s3:// directories holding the current rows of a table (one per partition, or the table's version)."""
    contract = get_contract(name)
    return Catalog().data_locations(database or contract.glue_database(), contract.name)
