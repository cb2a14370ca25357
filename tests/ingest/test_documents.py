"""Document path: a PDF landed under documents/ → OCR Lambda → extracted JSON in raw (or an error with reason)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lakeingest.documents import handler as ocr
from lakeingest.local.documents import settlement_statement_pdf

from .ingest_helpers import FIXTURES, LANDING, RAW, keys


def _event(key: str) -> dict:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": datetime(2024, 2, 3, 9, 30, tzinfo=UTC).isoformat(),
                "s3": {"bucket": {"name": LANDING}, "object": {"key": key.replace(" ", "+")}},
            }
        ]
    }


@pytest.fixture
def docs(lake, monkeypatch):
    monkeypatch.setenv("RAW_BUCKET", RAW)
    monkeypatch.setenv("TEXTRACT_POLL_S", "0.05")
    return lake


def test_local_engine_extracts_the_statement_fields(docs, monkeypatch):
    monkeypatch.setenv("OCR_ENGINE", "local")
    key = "documents/2024/02/03/PPA statement 0117.pdf"
    docs.put_object(Bucket=LANDING, Key=key, Body=settlement_statement_pdf("PPA-2024-01-0117"))
    assert ocr.handler(_event(key)) == {"written": 1, "skipped": 0, "error": 0}
    assert keys(docs, RAW, "documents/") == ["documents/2024/02/03/PPA statement 0117.json"]
    out = json.loads(docs.get_object(Bucket=RAW, Key="documents/2024/02/03/PPA statement 0117.json")["Body"].read())
    assert out["engine"] == "local-pypdf-text-layer" and out["pages"] == 1
    assert out["key_values"]["Invoice Number"] == "PPA-2024-01-0117"
    assert out["key_values"]["Amount Due"] == "USD 6,752,888.73"
    assert any("HB_WEST" in line for line in out["lines"])
    assert ocr.handler(_event(key))["skipped"] == 1  # same source bytes: not extracted again


def test_textract_engine_calls_the_emulators_textract(docs, monkeypatch):
    """moto's Textract accepts StartDocumentAnalysis/GetDocumentAnalysis but returns no blocks: the output
    records the Textract job and engine, and carries exactly what Textract returned (nothing invented)."""
    monkeypatch.setenv("OCR_ENGINE", "textract")
    key = "documents/2024/02/03/ppa_settlement_2024-01_WF-ROSCOE.pdf"
    pdf = (FIXTURES / "documents" / "ppa_settlement_2024-01_WF-ROSCOE.pdf").read_bytes()
    docs.put_object(Bucket=LANDING, Key=key, Body=pdf)
    assert ocr.handler(_event(key))["written"] == 1
    out = json.loads(
        docs.get_object(Bucket=RAW, Key="documents/2024/02/03/ppa_settlement_2024-01_WF-ROSCOE.json")["Body"].read()
    )
    assert out["engine"] == "amazon-textract" and out["textract_job_id"]
    assert out["blocks"] == [] and out["key_values"] == {} and out["source"] == f"s3://{LANDING}/{key}"


def test_non_pdf_goes_to_the_error_prefix_with_its_reason(docs, monkeypatch):
    monkeypatch.setenv("OCR_ENGINE", "local")
    key = "documents/2024/02/03/scan.pdf"
    docs.put_object(Bucket=LANDING, Key=key, Body=b"<html>login expired</html>")
    assert ocr.handler(_event(key)) == {"written": 0, "skipped": 0, "error": 1}
    assert keys(docs, RAW, "documents/") == []
    errors = keys(docs, RAW, "errors/documents/extraction-failed/")
    assert errors == ["errors/documents/extraction-failed/2024/02/03/09/scan.json"]
    assert "not a PDF" in json.loads(docs.get_object(Bucket=RAW, Key=errors[0])["Body"].read())["reason"]


def test_textract_forms_blocks_resolve_to_key_values():
    from lakeingest.documents.extract import key_values_from_blocks

    blocks = [
        {
            "Id": "k",
            "BlockType": "KEY_VALUE_SET",
            "EntityTypes": ["KEY"],
            "Relationships": [{"Type": "VALUE", "Ids": ["v"]}, {"Type": "CHILD", "Ids": ["w1", "w2"]}],
        },
        {
            "Id": "v",
            "BlockType": "KEY_VALUE_SET",
            "EntityTypes": ["VALUE"],
            "Relationships": [{"Type": "CHILD", "Ids": ["w3"]}],
        },
        {"Id": "w1", "BlockType": "WORD", "Text": "Invoice"},
        {"Id": "w2", "BlockType": "WORD", "Text": "Number"},
        {"Id": "w3", "BlockType": "WORD", "Text": "PPA-2024-01-0117"},
    ]
    assert key_values_from_blocks(blocks) == {"Invoice Number": "PPA-2024-01-0117"}
