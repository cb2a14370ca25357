"""Text and form extraction: Amazon Textract, or real local text extraction (pypdf) where Textract is emulated.

``textract`` runs StartDocumentAnalysis (FORMS) and pages through GetDocumentAnalysis, which handles
multi-page PDFs in S3. The embedded emulator (moto) accepts those calls but returns no blocks, so for
local runs ``local`` extracts the PDF's text layer with pypdf and emits Textract-shaped LINE blocks and
``key: value`` pairs; the output names its engine, so an emulated result is never mistaken for OCR.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

KEY_VALUE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9 ()/#.&-]{1,48}?)\s*:\s*(?P<value>\S.*?)\s*$")


class ExtractionError(RuntimeError):
    """Textract reported a failed job, or the document could not be read."""


def textract_analyze(textract: Any, bucket: str, key: str, *, poll_s: float, timeout_s: float) -> dict[str, Any]:
    """Run Textract document analysis (FORMS) on s3://bucket/key; return blocks and metadata."""
    job_id = textract.start_document_analysis(
        DocumentLocation={"S3Object": {"Bucket": bucket, "Name": key}}, FeatureTypes=["FORMS"]
    )["JobId"]
    deadline = time.monotonic() + timeout_s
    blocks: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        page = textract.get_document_analysis(**kwargs)
        status = page.get("JobStatus")
        if status == "IN_PROGRESS":
            if time.monotonic() > deadline:
                raise ExtractionError(f"Textract job {job_id} for s3://{bucket}/{key} still running after {timeout_s}s")
            time.sleep(poll_s)
            continue
        if status not in ("SUCCEEDED", "PARTIAL_SUCCESS"):
            raise ExtractionError(
                f"Textract job {job_id} for s3://{bucket}/{key} ended {status}: {page.get('StatusMessage')}"
            )
        blocks.extend(page.get("Blocks", []))
        metadata = page.get("DocumentMetadata", metadata)
        token = page.get("NextToken")
        if not token:
            break
    return {"job_id": job_id, "status": status, "blocks": blocks, "document_metadata": metadata}


def key_values_from_blocks(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Textract KEY_VALUE_SET blocks resolved to ``{key text: value text}``."""
    by_id = {b["Id"]: b for b in blocks if "Id" in b}

    def text(block: dict[str, Any]) -> str:
        words = []
        for rel in block.get("Relationships", []):
            if rel["Type"] == "CHILD":
                words += [
                    by_id[i].get("Text", "") for i in rel["Ids"] if i in by_id and by_id[i]["BlockType"] == "WORD"
                ]
        return " ".join(w for w in words if w)

    pairs: dict[str, str] = {}
    for block in blocks:
        if block.get("BlockType") == "KEY_VALUE_SET" and "KEY" in block.get("EntityTypes", []):
            value_ids = [i for r in block.get("Relationships", []) if r["Type"] == "VALUE" for i in r["Ids"]]
            pairs[text(block)] = " ".join(text(by_id[i]) for i in value_ids if i in by_id)
    return pairs


def local_extract(pdf: bytes) -> dict[str, Any]:
    """Extract the PDF text layer with pypdf: Textract-shaped PAGE/LINE blocks plus ``key: value`` pairs."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError) as exc:
        raise ExtractionError(f"not a readable PDF: {exc}") from exc
    blocks: list[dict[str, Any]] = []
    for number, text in enumerate(pages, start=1):
        blocks.append({"BlockType": "PAGE", "Id": f"page-{number}", "Page": number})
        for i, line in enumerate(ln for ln in text.splitlines() if ln.strip()):
            blocks.append({"BlockType": "LINE", "Id": f"line-{number}-{i}", "Page": number, "Text": line.strip()})
    return {"job_id": None, "status": "SUCCEEDED", "blocks": blocks, "document_metadata": {"Pages": len(pages)}}


def key_values_from_lines(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """``Key: Value`` pairs from LINE blocks (used for the local engine, which has no FORMS model)."""
    pairs: dict[str, str] = {}
    for block in blocks:
        if block.get("BlockType") == "LINE":
            match = KEY_VALUE.match(block.get("Text", ""))
            if match:
                pairs.setdefault(match.group("key").strip(), match.group("value"))
    return pairs
