"""Glue test fixtures: the emulated lake buckets and helpers to place raw objects and read tables back."""

from __future__ import annotations

import pandas as pd
import pytest

from lakectl import runner


@pytest.fixture
def lake(aws, spark):
    """Zone buckets of the local environment in a fresh emulator; yields the placeholder values."""
    runner.ensure_buckets()
    return runner.placeholders()


def put(s3, bucket: str, key: str, body: str) -> None:
    """Upload a text object."""
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())


def read_catalog_table(s3, database: str, table: str) -> pd.DataFrame:
    """All current rows of a catalog table, read like a query engine would: only via catalog locations."""
    import io

    from lakectl.catalog import Catalog

    catalog = Catalog()
    meta = catalog.get_table(database, table)
    assert meta is not None, f"{database}.{table} not registered"
    keys = [k["Name"] for k in meta.get("PartitionKeys", [])]
    frames = []
    locations = catalog.partitions(database, table).items() if keys else [((), meta["StorageDescriptor"]["Location"])]
    for values, location in locations:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            if obj["Key"].endswith(".parquet"):
                body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                frame = pd.read_parquet(io.BytesIO(body))
                for key, value in zip(keys, values, strict=True):
                    frame[key] = value
                frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
