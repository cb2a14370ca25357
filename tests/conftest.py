"""Shared test fixtures: the embedded AWS emulator, a local Spark session and real PostgreSQL servers.

Each fixture starts the real thing on a free loopback port, so parallel test runs never collide and
no test depends on Docker or the network.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from lakectl.emulator import EmbeddedEmulator
from lakectl.settings import emulator_env

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Terraform runs of this process share one provider cache: an init then links the AWS provider (700 MB)
    instead of copying it out of the mirror. One cache per xdist worker, so no two processes fill one at once."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    cache = REPO_ROOT / ".local" / "terraform" / "plugin-cache" / worker
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TF_PLUGIN_CACHE_DIR", str(cache))
    # No dependency lock file is committed (see .gitignore), so the cache may be used without one.
    os.environ.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "1")


@pytest.fixture(scope="session")
def aws_emulator() -> Iterator[EmbeddedEmulator]:
    """moto server on a free port; AWS_ENDPOINT_URL and dummy credentials point every SDK at it."""
    emulator = EmbeddedEmulator().start()
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        os.environ.pop(key, None)
    os.environ.update(emulator_env(emulator.endpoint_url))
    yield emulator
    emulator.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def aws(aws_emulator: EmbeddedEmulator) -> Iterator[EmbeddedEmulator]:
    """The emulator, emptied before the test so every test starts from no resources."""
    aws_emulator.reset()
    yield aws_emulator


@pytest.fixture
def s3(aws: EmbeddedEmulator):
    """A boto3 S3 client on the emulator (endpoint from AWS_ENDPOINT_URL)."""
    return boto3.client("s3")


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run (starting a JVM per test would dominate the suite)."""
    from lakectl.spark import local_spark

    session = local_spark("energylake-tests", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _release_cached_frames() -> Iterator[None]:
    """Frames a test materialised (energylake.frames) are released after it, as a job releases its own."""
    yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.catalog.clearCache()


@pytest.fixture(scope="session")
def postgres_factory():
    """Start named PostgreSQL clusters on demand; all are stopped and removed at the end of the session."""
    from lakectl.postgres import LocalPostgres

    started: dict[str, LocalPostgres] = {}
    # Not pytest's tmp_path: it is private to root, and the server may run as the 'postgres' user.
    base = Path(tempfile.mkdtemp(prefix="lake-pg-"))
    base.chmod(0o755)

    def start(name: str) -> LocalPostgres:
        if name not in started:
            started[name] = LocalPostgres(base / name).start()
        return started[name]

    yield start
    for server in started.values():
        server.stop()
    shutil.rmtree(base, ignore_errors=True)
