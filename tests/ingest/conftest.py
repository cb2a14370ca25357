"""Fixtures for the ingestion tests: buckets on the emulator, recorded responses, fast HTTP backoff."""

from __future__ import annotations

import boto3
import pytest

from .ingest_helpers import ARTIFACTS, LANDING, RAW


@pytest.fixture
def lake(s3, monkeypatch):
    """Landing, raw and artifacts buckets on a freshly reset emulator; backoff shortened for retry tests."""
    for bucket in (LANDING, RAW, ARTIFACTS):
        s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("HTTP_BACKOFF_INITIAL_S", "0.01")
    monkeypatch.setenv("HTTP_BACKOFF_MAX_S", "0.02")
    monkeypatch.setenv("HTTP_MAX_ATTEMPTS", "3")
    return s3


@pytest.fixture
def kinesis(aws):
    """A Kinesis client on the emulator."""
    return boto3.client("kinesis")
