"""Local-stack settings, read from the environment only (never hard-coded endpoints or credentials)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Where local state lives (emulator pid, PostgreSQL data dirs, staged files); ignored by git.
STATE_DIR = Path(os.environ.get("LAKE_STATE_DIR", REPO_ROOT / ".local"))

DEFAULT_EMULATOR_PORT = 4566
# The local PostgreSQL servers' fixed ports lie below every OS's ephemeral range (Linux 32768-60999, IANA 49152-65535):
# a port in it can be held by any client connection or by a test server on a "free" port, and a closing connection
# keeps it for a minute (the demo's source server at 55432 once failed to start that way).
DEFAULT_SOURCE_PG_PORT = 25432
DEFAULT_WAREHOUSE_PG_PORT = 25439


def emulator_port() -> int:
    """Port of the embedded AWS emulator (LAKE_EMULATOR_PORT, default 4566 like LocalStack)."""
    return int(os.environ.get("LAKE_EMULATOR_PORT", DEFAULT_EMULATOR_PORT))


def source_pg_port() -> int:
    """Port of the local on-premises source PostgreSQL (LAKE_SOURCE_PG_PORT, default 25432)."""
    return int(os.environ.get("LAKE_SOURCE_PG_PORT", DEFAULT_SOURCE_PG_PORT))


def warehouse_pg_port() -> int:
    """Port of the local Redshift stand-in PostgreSQL (LAKE_WAREHOUSE_PG_PORT, default 25439)."""
    return int(os.environ.get("LAKE_WAREHOUSE_PG_PORT", DEFAULT_WAREHOUSE_PG_PORT))


def emulator_env(endpoint_url: str, region: str = "us-east-1") -> dict[str, str]:
    """Environment that points any AWS SDK (boto3, Terraform, the AWS CLI) at the emulator.

    Dummy credentials are only set when none are configured, so a real profile is never shadowed
    for the emulator case and nothing secret is ever written down.
    """
    env = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", region),
        "AWS_REGION": os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", region)),
    }
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"  # emulator placeholder, not a secret
    return env
