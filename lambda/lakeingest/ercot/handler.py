"""ERCOT ingestion Lambda: land the newest published ERCOT reports unchanged in the landing bucket.

For each configured report it lists the MIS documents (IceDocListJsonWS), picks the newest CSV
documents, downloads each zip (mirDownload), checks the CSV header and writes the CSV bytes as
published to ``ercot/<report>/<YYYY>/<MM>/<DD>/<report>_<YYYYMMDD>_<HHMM>.csv`` (publish time, UTC).

Environment: LANDING_BUCKET (required); ERCOT_REPORTS (default all); ERCOT_MAX_DOCUMENTS (newest
documents per report and run, default 4); ERCOT_MIS_LIST_URL, ERCOT_MIS_DOWNLOAD_URL (defaults: the
public ERCOT MIS); ERCOT_REPORT_TYPE_IDS (JSON overrides, e.g. {"fuel_mix": 13367});
HTTP_MAX_ATTEMPTS, HTTP_BACKOFF_INITIAL_S, HTTP_BACKOFF_MAX_S, HTTP_TIMEOUT_S.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from lakeingest.common import http
from lakeingest.common.config import ConfigError, env_int, env_json, env_list, env_str
from lakeingest.common.keys import ercot_landing_key
from lakeingest.common.s3io import head_metadata, put_if_changed, s3_client
from lakeingest.ercot.reports import REPORTS, LayoutChangedError, Report

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

DEFAULT_LIST_URL = "https://www.ercot.com/misapp/servlets/IceDocListJsonWS"
DEFAULT_DOWNLOAD_URL = "https://www.ercot.com/misdownload/servlets/mirDownload"


@dataclass(frozen=True)
class Document:
    """One MIS document from the report listing."""

    doc_id: str
    friendly_name: str
    constructed_name: str
    published: datetime

    @property
    def is_csv(self) -> bool:
        """True for the CSV flavour (ERCOT also publishes XML zips of the same report)."""
        return self.friendly_name.lower().endswith("_csv") or ".csv" in self.constructed_name.lower()


def list_documents(report: Report, list_url: str, session: requests.Session) -> list[Document]:
    """The report's CSV documents, newest first; LayoutChangedError when the listing itself changed shape."""
    response = http.get(list_url, {"reportTypeId": report.report_type_id}, session=session)
    try:
        entries = response.json()["ListDocsByRptTypeRes"]["DocumentList"]
        docs = [
            Document(
                doc_id=str(e["Document"]["DocID"]),
                friendly_name=e["Document"]["FriendlyName"],
                constructed_name=e["Document"].get("ConstructedName", ""),
                published=datetime.fromisoformat(e["Document"]["PublishDate"]),
            )
            for e in (entries if isinstance(entries, list) else [entries])
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutChangedError(f"ERCOT MIS listing for {report.product} changed shape: {exc!r}") from exc
    return sorted((d for d in docs if d.is_csv), key=lambda d: d.published, reverse=True)


def extract_csv(zip_bytes: bytes, source: str) -> tuple[str, bytes]:
    """The single CSV member of a MIS zip, as published; LayoutChangedError when there is none."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
            members = [n for n in zf.namelist() if not n.endswith("/")]
            csvs = [n for n in members if n.lower().endswith(".csv")]
            if len(csvs) != 1:
                raise LayoutChangedError(f"{source}: expected one CSV in the zip, found members {members}")
            return csvs[0], zf.read(csvs[0])
    except zipfile.BadZipFile as exc:
        raise LayoutChangedError(f"{source}: download is not a zip archive ({exc})") from exc


def ingest_report(
    report: Report, *, s3: Any, bucket: str, list_url: str, download_url: str, max_docs: int, session: requests.Session
) -> dict[str, int]:
    """Land the newest ``max_docs`` CSV documents of one report; return counts per outcome."""
    counts = {"written": 0, "skipped": 0, "replaced": 0}
    for doc in list_documents(report, list_url, session)[:max_docs]:
        key = ercot_landing_key(report.name, doc.published)
        existing = head_metadata(s3, bucket, key)
        if existing is not None and existing.get("ercot-doc-id") == doc.doc_id:
            counts["skipped"] += 1  # already landed: no download on a retried or overlapping run
            continue
        source = f"{report.product} document {doc.doc_id} ({doc.friendly_name})"
        payload = http.get(download_url, {"doclookupId": doc.doc_id}, session=session).content
        member, body = extract_csv(payload, source)
        report.check_header(body, source)
        outcome = put_if_changed(
            s3,
            bucket,
            key,
            body,
            content_type="text/csv",
            metadata={
                "ercot-doc-id": doc.doc_id,
                "ercot-product": report.product,
                "source-file": member,
                "published": doc.published.isoformat(),
            },
        )
        counts[outcome] += 1
        log.info(json.dumps({"report": report.name, "doc_id": doc.doc_id, "key": key, "outcome": outcome}))
    return counts


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    """Lambda entry point (EventBridge scheduled event); returns per-report counts, raises on any failure."""
    bucket = env_str("LANDING_BUCKET")
    names = env_list("ERCOT_REPORTS", list(REPORTS))
    unknown = sorted(set(names) - set(REPORTS))
    if unknown:
        raise ConfigError(f"ERCOT_REPORTS has unknown reports {unknown}; known: {sorted(REPORTS)}")
    overrides = env_json("ERCOT_REPORT_TYPE_IDS") or {}
    list_url = env_str("ERCOT_MIS_LIST_URL", DEFAULT_LIST_URL)
    download_url = env_str("ERCOT_MIS_DOWNLOAD_URL", DEFAULT_DOWNLOAD_URL)
    max_docs = env_int("ERCOT_MAX_DOCUMENTS", 4)
    s3 = s3_client()
    session = requests.Session()
    results: dict[str, dict[str, int]] = {}
    for name in names:
        report = REPORTS[name]
        if name in overrides:
            report = Report(**{**report.__dict__, "report_type_id": int(overrides[name])})
        results[name] = ingest_report(
            report,
            s3=s3,
            bucket=bucket,
            list_url=list_url,
            download_url=download_url,
            max_docs=max_docs,
            session=session,
        )
    return {"bucket": bucket, "reports": results}
