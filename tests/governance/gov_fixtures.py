"""Small Parquet fixtures generated from the dataset contracts, laid out like the lake (Hive partitions).

A uniquely named module (not conftest) so tests can import the helpers without clashing with other areas."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from energylake.contracts import DatasetContract

REPO_ROOT = Path(__file__).resolve().parents[2]
REGIONS = ["COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_C", "SOUTHERN", "SOUTH_C", "WEST"]
SITES = list(csv.DictReader((REPO_ROOT / "glue/lib/energylake/reference/sites.csv").open()))
DAYS = [dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3)]
ROWS = 48  # per dataset; spread over the partition days


def _arrow_type(glue_type: str) -> pa.DataType:
    if glue_type.startswith("decimal"):
        p, s = (int(x) for x in glue_type[8:-1].split(","))
        return pa.decimal128(p, s)
    return {
        "string": pa.string(),
        "boolean": pa.bool_(),
        "int": pa.int32(),
        "bigint": pa.int64(),
        "smallint": pa.int16(),
        "double": pa.float64(),
        "float": pa.float32(),
        "date": pa.date32(),
        # Spark/Glue write UTC-adjusted timestamps
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[glue_type]


def _value(contract: DatasetContract, col: str, glue_type: str, i: int):
    """A realistic-enough value for row i (regions, sites, emails and days follow the lake's conventions)."""
    site = SITES[i % len(SITES)]
    special = {
        "region": REGIONS[i % len(REGIONS)],
        "weather_zone": REGIONS[i % len(REGIONS)],
        "site_id": site["site_id"],
        "site_type": site["site_type"],
        "device_id": f"{site['site_id']}-T{i % 3 + 1:02d}",
        "email": f"customer{i}@example.com",
        "contact_email": f"ops{i}@provider.example",
        "customer_name": f"Customer {i} LLC",
        "name": f"Name {i}",
        "phone": f"+1-512-555-{i:04d}",
        "address": f"{i} Main St, Austin TX",
        "segment": ["residential", "commercial", "industrial"][i % 3],
        "metric": ["power_factor", "active_power_mw"][i % 2],
        "dataset": "telemetry_readings",
    }
    if col in special and glue_type == "string":
        return special[col]
    if glue_type == "string":
        return f"{col}-{i}"
    if glue_type == "boolean":
        return i % 2 == 0
    if glue_type in ("int", "bigint", "smallint"):
        return i + 1
    if glue_type in ("double", "float"):
        return round(10.0 + i * 1.5, 3)
    if glue_type.startswith("decimal"):
        scale = int(glue_type[8:-1].split(",")[1])
        return Decimal(100 + i).scaleb(0).quantize(Decimal(1).scaleb(-scale))
    day = DAYS[i % len(DAYS)]
    if glue_type == "date":
        return day
    return dt.datetime.combine(day, dt.time(i % 24), tzinfo=dt.UTC)


def write_dataset(contract: DatasetContract, root: Path, rows: int = ROWS) -> Path:
    """Write ``rows`` rows of ``contract`` under root/<dataset>/<part>=<v>/part-*.parquet; return the table dir."""
    base = root / contract.name
    shutil.rmtree(base, ignore_errors=True)
    records = [{c.name: _value(contract, c.name, c.type, i) for c in contract.columns} for i in range(rows)]
    groups: dict[tuple, list[dict]] = {}
    for rec in records:
        groups.setdefault(tuple(str(rec[p]) for p in contract.partition_by), []).append(rec)
    schema = pa.schema([(c.name, _arrow_type(c.type)) for c in contract.data_columns])
    for n, (values, recs) in enumerate(sorted(groups.items())):
        target = base.joinpath(*(f"{p}={v}" for p, v in zip(contract.partition_by, values, strict=True)))
        target.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([{k: r[k] for k in schema.names} for r in recs], schema=schema)
        pq.write_table(table, target / f"part-{n:05d}.snappy.parquet", compression="snappy")
    return base


def expected_rows(contract: DatasetContract, rows: int = ROWS) -> list[dict]:
    """The rows ``write_dataset`` writes, as Python values (for exact comparisons)."""
    return [{c.name: _value(contract, c.name, c.type, i) for c in contract.columns} for i in range(rows)]


def register_catalog_table(glue, s3, contract: DatasetContract, local_dir: Path, bucket: str) -> None:
    """Upload a dataset's files to S3 and register its Glue table and partitions (as the Glue jobs do)."""
    db = contract.glue_database()
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": db})
    for path in sorted(local_dir.rglob("*.parquet")):
        s3.upload_file(str(path), bucket, f"{contract.name}/{path.relative_to(local_dir).as_posix()}")
    location = f"s3://{bucket}/{contract.name}/"
    cols = [{"Name": c.name, "Type": c.type} for c in contract.data_columns]
    parts = [{"Name": c.name, "Type": c.type} for c in contract.partition_columns]
    sd = {
        "Columns": cols,
        "Location": location,
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    }
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": contract.name,
            "StorageDescriptor": sd,
            "PartitionKeys": parts,
            "TableType": "EXTERNAL_TABLE",
        },
    )
    if not parts:
        return
    seen = set()
    for path in sorted(local_dir.rglob("*.parquet")):
        segs = path.relative_to(local_dir).parts[:-1]
        if segs in seen:
            continue
        seen.add(segs)
        values = [s.split("=", 1)[1] for s in segs]
        glue.create_partition(
            DatabaseName=db,
            TableName=contract.name,
            PartitionInput={"Values": values, "StorageDescriptor": {**sd, "Location": location + "/".join(segs) + "/"}},
        )
