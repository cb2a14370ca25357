"""Fixtures for the governance tests: the validated grant files, a local lake and an emulated catalog."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from energylake.contracts import get_contract, load_contracts
from lakectl.governance import validate

from .gov_fixtures import register_catalog_table, write_dataset


@pytest.fixture(scope="session")
def governance():
    """The repository's grant files, validated."""
    return validate()


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory) -> Path:
    """Every transform/curated dataset written once as local Parquet (one directory per dataset)."""
    root = tmp_path_factory.mktemp("lake")
    for name, contract in load_contracts().items():
        write_dataset(contract, root)
        assert (root / name).is_dir()
    return root


@pytest.fixture
def catalog(aws, lake_dir, tmp_path, monkeypatch):
    """Curated datasets uploaded to the emulated S3 and registered in the emulated Glue catalog."""
    monkeypatch.setenv("LAKE_S3_CACHE_DIR", str(tmp_path / "s3-cache"))
    s3 = boto3.client("s3")
    glue = boto3.client("glue")
    bucket = "energylake-local-curated"
    s3.create_bucket(Bucket=bucket)
    for name in ("client_analytics", "site_hourly_generation", "daily_energy_consumption"):
        register_catalog_table(glue, s3, get_contract(name), lake_dir / name, bucket)
    return {"bucket": bucket, "glue": glue, "s3": s3}
