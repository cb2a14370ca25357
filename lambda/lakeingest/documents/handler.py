"""OCR Lambda: S3 ObjectCreated on landing ``documents/`` → extracted text and form fields in raw.

Output ``documents/<YYYY>/<MM>/<DD>/<name>.json`` holds the source object, its SHA-256, the engine,
the text lines, the form key/value pairs and the raw Textract blocks. A landed object that is not a
PDF, or that extraction rejects, goes to ``errors/documents/<reason-type>/<YYYY>/<MM>/<DD>/<HH>/<name>.json``
with the reason, so every arriving document ends up somewhere with a record of what happened.

Environment: RAW_BUCKET (required); OCR_ENGINE (textract | local, default textract; local = pypdf
text extraction for the emulator, whose Textract returns no blocks); TEXTRACT_POLL_S (default 2);
TEXTRACT_TIMEOUT_S (default 600).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import boto3

from lakeingest.common.config import ConfigError, env_float, env_str
from lakeingest.common.keys import document_raw_key, error_prefix
from lakeingest.common.s3io import head_metadata, s3_client, sha256_hex
from lakeingest.documents.extract import (
    ExtractionError,
    key_values_from_blocks,
    key_values_from_lines,
    local_extract,
    textract_analyze,
)

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)


def _s3_records(event: dict[str, Any]) -> list[tuple[str, str, datetime]]:
    """(bucket, key, event time) of each S3 notification record (keys arrive URL-encoded)."""
    out = []
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        when = record.get("eventTime")
        ts = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else datetime.now(UTC)
        out.append((s3["bucket"]["name"], unquote_plus(s3["object"]["key"]), ts))
    return out


def process_document(s3: Any, bucket: str, key: str, received: datetime, *, engine: str, raw_bucket: str) -> str:
    """Extract one landed document; return ``written``, ``skipped`` (same source already extracted) or ``error``."""
    name = key.rsplit("/", 1)[-1]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    digest = sha256_hex(body)
    out_key = document_raw_key(key, received)
    existing = head_metadata(s3, raw_bucket, out_key)
    if existing is not None and existing.get("source-sha256") == digest:
        return "skipped"
    try:
        if not body.startswith(b"%PDF-"):
            raise ExtractionError(f"not a PDF (starts with {body[:8]!r})")
        if engine == "textract":
            result = textract_analyze(
                boto3.client("textract"),
                bucket,
                key,
                poll_s=env_float("TEXTRACT_POLL_S", 2.0),
                timeout_s=env_float("TEXTRACT_TIMEOUT_S", 600.0),
            )
            pairs = key_values_from_blocks(result["blocks"])
        else:
            result = local_extract(body)
            pairs = key_values_from_lines(result["blocks"])
    except ExtractionError as exc:
        err_key = error_prefix("documents", "extraction-failed", received) + f"{name.rsplit('.', 1)[0]}.json"
        doc = {"source": f"s3://{bucket}/{key}", "source_sha256": digest, "engine": engine, "reason": str(exc)}
        s3.put_object(Bucket=raw_bucket, Key=err_key, Body=json.dumps(doc).encode(), ContentType="application/json")
        log.warning(json.dumps({"key": key, "error": str(exc)}))
        return "error"
    lines = [b["Text"] for b in result["blocks"] if b.get("BlockType") == "LINE" and b.get("Text")]
    doc = {
        "source": f"s3://{bucket}/{key}",
        "source_sha256": digest,
        "document_name": name,
        "received_ts": received.astimezone(UTC).isoformat(),
        "extracted_ts": datetime.now(UTC).isoformat(),
        "engine": "amazon-textract" if engine == "textract" else "local-pypdf-text-layer",
        "textract_job_id": result["job_id"],
        "pages": result["document_metadata"].get("Pages"),
        "lines": lines,
        "key_values": pairs,
        "blocks": result["blocks"],
    }
    s3.put_object(
        Bucket=raw_bucket,
        Key=out_key,
        Body=json.dumps(doc, default=str).encode(),
        ContentType="application/json",
        Metadata={"source-sha256": digest},
    )
    log.info(json.dumps({"key": key, "out": out_key, "lines": len(lines), "fields": len(pairs)}))
    return "written"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point for S3 event notifications on the landing bucket's ``documents/`` prefix."""
    raw_bucket = env_str("RAW_BUCKET")
    engine = env_str("OCR_ENGINE", "textract")
    if engine not in ("textract", "local"):
        raise ConfigError(f"OCR_ENGINE must be textract or local, got {engine!r}")
    s3 = s3_client()
    counts = {"written": 0, "skipped": 0, "error": 0}
    for bucket, key, received in _s3_records(event):
        counts[process_document(s3, bucket, key, received, engine=engine, raw_bucket=raw_bucket)] += 1
    return counts
