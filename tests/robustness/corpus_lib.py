"""Helpers for the robustness tests: the corpus manifest, uploading corpus files and reading tables back."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lakectl.catalog import Catalog

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MANIFEST = CORPUS / "manifest.yaml"


def manifest() -> dict[str, Any]:
    """The parsed corpus manifest."""
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def reason_code(reason: str) -> str:
    """'out_of_range:value not in ...' -> 'out_of_range' (the code before the first ':')."""
    return reason.split(":", 1)[0].split(";", 1)[0].strip()


def upload(s3, buckets: dict[str, str], rel: str) -> str:
    """Upload corpus/<zone>/<key> to the zone bucket; returns its s3:// URI."""
    zone, key = rel.split("/", 1)
    s3.put_object(Bucket=buckets[zone], Key=key, Body=(CORPUS / rel).read_bytes())
    return f"s3://{buckets[zone]}/{key}"


def read_table(s3, database: str, table: str) -> pd.DataFrame:
    """Current rows of a catalog table, read only through the catalog's locations (as a query engine does)."""
    catalog = Catalog()
    meta = catalog.get_table(database, table)
    if meta is None:
        return pd.DataFrame()
    keys = [k["Name"] for k in meta.get("PartitionKeys", [])]
    parts = catalog.partitions(database, table).items() if keys else [((), meta["StorageDescriptor"]["Location"])]
    frames = []
    for values, location in parts:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            if obj["Key"].endswith(".parquet"):
                frame = pd.read_parquet(io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()))
                for key, value in zip(keys, values, strict=True):
                    frame[key] = value
                frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def quarantine_counts(frame: pd.DataFrame) -> dict[str, Counter]:
    """source_file -> Counter of reason codes in a quarantine_records frame."""
    out: dict[str, Counter] = {}
    for source, reason in zip(frame.source_file, frame.reason, strict=True):
        out.setdefault(source, Counter())[reason_code(reason)] += 1
    return out


def table_checksum(s3, database: str, table: str) -> str:
    """SHA-256 of a table's rows (sorted, lineage timestamps included) read through the catalog."""
    frame = read_table(s3, database, table)
    if frame.empty:
        return hashlib.sha256(b"").hexdigest()
    frame = frame[sorted(frame.columns)]
    # str() per value: astype(str) leaves a missing value of an Arrow-backed text column as a float NaN.
    text = "\n".join(sorted("\x1f".join(map(str, row)) for row in frame.itertuples(index=False, name=None)))
    return hashlib.sha256(text.encode()).hexdigest()
