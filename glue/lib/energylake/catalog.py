"""Glue Data Catalog tables and partitions derived from dataset contracts (works on AWS, moto and LocalStack).

Readers find data through the catalog: a partition's location points at one immutable version
directory (``.../<col>=<value>/v=<run_id>/``), so switching the location is the atomic publish.
"""

from __future__ import annotations

from typing import Any

import boto3

from energylake.contracts import DatasetContract

PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "Name": "parquet",
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}
_ESCAPE = set("\"#%'*/:=?\\\x7f{[]^")


def escape_path_name(value: str) -> str:
    """Hive/Spark partition-directory escaping of a value (same as Spark's escapePathName: 0x01-0x1F, not NUL)."""
    return "".join(f"%{ord(c):02X}" if c in _ESCAPE or 0 < ord(c) < 0x20 else c for c in value)


def partition_path(names: tuple[str, ...] | list[str], values: tuple[str, ...] | list[str]) -> str:
    """'col=value/col2=value2' for a partition."""
    return "/".join(f"{n}={escape_path_name(v)}" for n, v in zip(names, values, strict=True))


def table_parameters(contract: DatasetContract) -> dict[str, str]:
    """Table parameters of a contract's table (the same as modules/glue_catalog_etl declares, so no drift)."""
    return {
        "EXTERNAL": "TRUE",
        "classification": "parquet",
        "parquet.compression": "SNAPPY",
        "contract_zone": contract.zone,
    }


def table_input(contract: DatasetContract, location: str) -> dict[str, Any]:
    """Glue TableInput for a contract (data columns + partition keys, Parquet SerDe)."""
    return {
        "Name": contract.name,
        "Description": contract.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": table_parameters(contract),
        "PartitionKeys": [
            {"Name": c.name, "Type": c.type, "Comment": c.description} for c in contract.partition_columns
        ],
        "StorageDescriptor": {
            "Columns": [
                {
                    "Name": c.name,
                    "Type": c.type,
                    "Comment": c.description,
                    "Parameters": {"classification": c.classification},
                }
                for c in contract.data_columns
            ],
            "Location": location,
            **PARQUET_SD,
        },
    }


class Catalog:
    """Register tables and swap partition locations in the Glue Data Catalog."""

    def __init__(self, client: Any | None = None) -> None:
        self.glue = client or boto3.client("glue")

    def ensure_database(self, database: str) -> None:
        """Create the database when missing (Terraform creates it on AWS; the local runner may not have)."""
        try:
            self.glue.get_database(Name=database)
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_database(DatabaseInput={"Name": database})

    def get_table(self, database: str, name: str) -> dict[str, Any] | None:
        """The table description, or None when it does not exist."""
        try:
            return self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None

    def register_table(self, contract: DatasetContract, database: str, location: str) -> None:
        """Create or update the table from the contract, pointing at ``location``.

        Parameters set by others (Terraform, Lake Formation, crawlers) are kept, except partition projection:
        it would make Athena ignore the registered partition versions (see modules/glue_catalog_etl).
        """
        self.ensure_database(database)
        tin = table_input(contract, location)
        current = self.get_table(database, contract.name)
        if current is None:
            self.glue.create_table(DatabaseName=database, TableInput=tin)
            return
        kept = {k: v for k, v in current.get("Parameters", {}).items() if not k.startswith("projection.")}
        tin["Parameters"] = {**kept, **tin["Parameters"]}
        self.glue.update_table(DatabaseName=database, TableInput=tin)

    def table_location(self, database: str, name: str) -> str | None:
        """The table's StorageDescriptor location (the current version for unpartitioned tables)."""
        table = self.get_table(database, name)
        return table["StorageDescriptor"].get("Location") if table else None

    def partitions(self, database: str, name: str) -> dict[tuple[str, ...], str]:
        """Current partitions: values tuple -> location."""
        out: dict[tuple[str, ...], str] = {}
        try:
            for page in self.glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=name):
                for part in page["Partitions"]:
                    out[tuple(part["Values"])] = part["StorageDescriptor"]["Location"]
        except self.glue.exceptions.EntityNotFoundException:
            return {}
        return out

    def put_partition(self, contract: DatasetContract, database: str, values: tuple[str, ...], location: str) -> None:
        """Create the partition or switch its location (the atomic publish of a new version)."""
        sd = dict(table_input(contract, location)["StorageDescriptor"])
        pin = {"Values": list(values), "StorageDescriptor": sd}
        try:
            self.glue.get_partition(DatabaseName=database, TableName=contract.name, PartitionValues=list(values))
            self.glue.update_partition(
                DatabaseName=database, TableName=contract.name, PartitionValueList=list(values), PartitionInput=pin
            )
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_partition(DatabaseName=database, TableName=contract.name, PartitionInput=pin)

    def delete_partition(self, contract: DatasetContract, database: str, values: tuple[str, ...]) -> None:
        """Remove a partition that no longer holds rows (e.g. every row deleted by CDC)."""
        self.glue.delete_partition(DatabaseName=database, TableName=contract.name, PartitionValues=list(values))

    def current_versions(self, database: str, contract: DatasetContract) -> dict[tuple[str, ...], str]:
        """Published version directory of each partition (``()`` for an unpartitioned table); {} when none.

        The one reading of "what is published now": jobs compare it before writing, the warehouse loader compares
        it with its load ledger to COPY only the partition versions it has not loaded yet.
        """
        if contract.partition_by:
            return self.partitions(database, contract.name)
        location = self.table_location(database, contract.name)
        return {(): location} if location and "/v=" in location else {}

    def data_locations(self, database: str, name: str) -> list[str]:
        """Every current data directory of a table (partition locations, or the table location)."""
        table = self.get_table(database, name)
        if table is None:
            return []
        if table.get("PartitionKeys"):
            return sorted(self.partitions(database, name).values())
        return [table["StorageDescriptor"]["Location"]]
