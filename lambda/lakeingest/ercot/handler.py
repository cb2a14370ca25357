"""ERCOT ingestion Lambda: land ERCOT reports in their published CSV layout in the landing bucket.

Two sources, one landing layout ``ercot/<report>/<YYYY>/<MM>/<DD>/<report>_<YYYYMMDD>_<HHMM>_<doc id>.csv``:

* the Public API (``ERCOT_SOURCE=api``, the default when ``ERCOT_API_SECRET_ID`` is set): each delivery day of
  each report is one object (doc id ``api``); an event ``{"start_date": "YYYY-MM-DD", "end_date": ...}``
  backfills that range, a scheduled event fetches yesterday and today (``ERCOT_API_DAYS_BACK``);
* the MIS document listing (``ERCOT_SOURCE=mis``, the fallback): the newest CSV documents per report
  (IceDocListJsonWS + mirDownload), written byte for byte, keyed by publish time and MIS DocID.

Every report is attempted; one failing never stops the others. The result names each report's outcome
(``status`` ok/failed, counts, ``error``). The invocation raises only when no report succeeded (ERCOT down,
credentials refused), so the retry and the alarm fire exactly when nothing landed.

Environment: LANDING_BUCKET (required); ERCOT_REPORTS (default system_load,spp_realtime; fuel_mix is a
workbook on ERCOT's site and is opt-in on the MIS source); ERCOT_SOURCE; ERCOT_API_SECRET_ID (Secrets
Manager JSON with username, password, subscription_key); ERCOT_API_BASE_URL, ERCOT_API_TOKEN_URL,
ERCOT_API_PAGE_SIZE, ERCOT_API_DAYS_BACK; ERCOT_MAX_DOCUMENTS (newest MIS documents per report and run,
default 4); ERCOT_MIS_LIST_URL, ERCOT_MIS_DOWNLOAD_URL; ERCOT_REPORT_TYPE_IDS (JSON overrides, e.g.
{"fuel_mix": 13367}); HTTP_MAX_ATTEMPTS, HTTP_BACKOFF_INITIAL_S, HTTP_BACKOFF_MAX_S, HTTP_TIMEOUT_S.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from lakeingest.common import http
from lakeingest.common.config import ConfigError, env_int, env_json, env_list, env_str
from lakeingest.common.keys import ercot_landing_key
from lakeingest.common.s3io import head_metadata, put_if_changed, s3_client
from lakeingest.ercot import api
from lakeingest.ercot.reports import REPORTS, LayoutChangedError, Report

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

DEFAULT_LIST_URL = "https://www.ercot.com/misapp/servlets/IceDocListJsonWS"
DEFAULT_DOWNLOAD_URL = "https://www.ercot.com/misdownload/servlets/mirDownload"
# ERCOT publishes the fuel-mix report as an xlsx workbook, which this Lambda does not convert: opt-in only.
DEFAULT_REPORTS = ("system_load", "spp_realtime")


class ErcotIngestError(RuntimeError):
    """No report of the invocation succeeded; the message lists every report's error."""

    def __init__(self, message: str, outcomes: dict[str, dict[str, Any]]) -> None:
        super().__init__(message)
        self.outcomes = outcomes


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
        key = ercot_landing_key(report.name, doc.published, doc.doc_id)
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


def ingest_api_report(
    api_report: api.ApiReport, *, client: api.ErcotApiClient, s3: Any, bucket: str, days: list[date]
) -> dict[str, Any]:
    """Land one object per delivery day of one report; a day that fails is named and the others still land."""
    counts: dict[str, Any] = {"written": 0, "skipped": 0, "replaced": 0, "empty": 0, "rows": 0, "failed_days": {}}
    name = api_report.report.name
    for day in days:
        try:
            rows = client.fetch_day(api_report, day)
        except api.ErcotAuthError:
            raise  # the same for every day and report: stop here, the handler reports it once
        except (LayoutChangedError, http.HttpError) as exc:
            counts["failed_days"][day.isoformat()] = str(exc)
            log.error(json.dumps({"report": name, "day": day.isoformat(), "error": str(exc)}))
            continue
        if not rows:
            counts["empty"] += 1  # nothing published for the day (yet): no empty object is landed
            continue
        body = api_to_csv_checked(api_report, rows)
        key = ercot_landing_key(name, datetime(day.year, day.month, day.day, tzinfo=UTC), "api")
        outcome = put_if_changed(
            s3,
            bucket,
            key,
            body,
            content_type="text/csv",
            metadata={
                "ercot-doc-id": f"api:{api_report.endpoint}:{day.isoformat()}",
                "ercot-product": api_report.report.product,
                "delivery-day": day.isoformat(),
                "rows": str(len(rows)),
            },
        )
        counts[outcome] += 1
        counts["rows"] += len(rows)
        log.info(json.dumps({"report": name, "day": day.isoformat(), "key": key, "outcome": outcome}))
    if counts["failed_days"]:
        failed = counts["failed_days"]
        raise _PartialReportError(f"{len(failed)} of {len(days)} days failed: {failed}", counts)
    return counts


class _PartialReportError(RuntimeError):
    """Some days of a report failed; carries the counts of the days that landed."""

    def __init__(self, message: str, counts: dict[str, Any]) -> None:
        super().__init__(message)
        self.counts = counts


def api_to_csv_checked(api_report: api.ApiReport, rows: list[list[Any]]) -> bytes:
    """The rows as the report's CSV, checked against the published header like a MIS document."""
    body = api.to_published_csv(api_report, rows)
    api_report.report.check_header(body, f"ERCOT API {api_report.endpoint}")
    return body


def _backfill_days(event: dict[str, Any]) -> list[date] | None:
    """The event's inclusive ``start_date``..``end_date`` range, or None for a scheduled run."""
    if not event.get("start_date") and not event.get("end_date"):
        return None
    try:
        start = date.fromisoformat(str(event["start_date"]))
        end = date.fromisoformat(str(event.get("end_date") or event["start_date"]))
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"backfill event needs start_date (and end_date) as YYYY-MM-DD: {exc}") from None
    return api.days(start, end)


def _run_each(names: list[str], run_one: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run every report, each isolated from the others' failures; return each report's outcome."""
    outcomes: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            outcomes[name] = {"status": "ok", **run_one(name)}
        except _PartialReportError as exc:
            outcomes[name] = {"status": "failed", **exc.counts, "error": str(exc)}
        except (api.ErcotAuthError, LayoutChangedError, http.HttpError, ConfigError) as exc:
            outcomes[name] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "_exc": exc}
            log.error(json.dumps({"report": name, "error": str(exc)}))
    return outcomes


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    """Lambda entry point (EventBridge schedule or a backfill event); returns per-report outcomes."""
    event = event or {}
    bucket = env_str("LANDING_BUCKET")
    names = env_list("ERCOT_REPORTS", list(DEFAULT_REPORTS))
    unknown = sorted(set(names) - set(REPORTS))
    if unknown:
        raise ConfigError(f"ERCOT_REPORTS has unknown reports {unknown}; known: {sorted(REPORTS)}")
    secret_id = env_str("ERCOT_API_SECRET_ID", "")
    source = env_str("ERCOT_SOURCE", "api" if secret_id else "mis")
    if source not in ("api", "mis"):
        raise ConfigError(f"ERCOT_SOURCE must be api or mis, got {source!r}")
    backfill = _backfill_days(event)
    if backfill is not None and source != "api":
        raise ConfigError("a date-range backfill needs the Public API (set ERCOT_API_SECRET_ID)")
    s3 = s3_client()
    session = requests.Session()
    if source == "api":
        run_one = _api_runner(event, secret_id, backfill, s3=s3, bucket=bucket, session=session)
    else:
        run_one = _mis_runner(s3=s3, bucket=bucket, session=session)
    outcomes = _run_each(names, run_one)
    errors = {n: o.pop("_exc") for n, o in outcomes.items() if "_exc" in o}
    if outcomes and all(o["status"] == "failed" for o in outcomes.values()):
        if len(errors) == 1 and len(outcomes) == 1:
            raise next(iter(errors.values()))  # one report asked for: its own error, unwrapped
        summary = "; ".join(f"{n}: {o['error']}" for n, o in outcomes.items())
        raise ErcotIngestError(f"no ERCOT report landed ({summary})", outcomes)
    return {"bucket": bucket, "source": source, "reports": outcomes}


def _api_runner(
    event: dict[str, Any], secret_id: str, backfill: list[date] | None, *, s3: Any, bucket: str, session: Any
) -> Callable[[str], dict[str, Any]]:
    if not secret_id:
        raise ConfigError("ERCOT_SOURCE=api needs ERCOT_API_SECRET_ID (Secrets Manager secret name or ARN)")
    client = api.ErcotApiClient(
        credentials=api.load_credentials(secret_id),
        base_url=env_str("ERCOT_API_BASE_URL", api.DEFAULT_API_BASE_URL),
        token_url=env_str("ERCOT_API_TOKEN_URL", api.DEFAULT_TOKEN_URL),
        page_size=env_int("ERCOT_API_PAGE_SIZE", 10000),
        session=session,
    )
    if backfill is None:
        today = datetime.now(UTC).date()
        backfill = api.days(today - timedelta(days=env_int("ERCOT_API_DAYS_BACK", 1)), today)
    days = backfill

    def run_one(name: str) -> dict[str, Any]:
        if name not in api.API_REPORTS:
            raise ConfigError(f"report {name} is not served by the ERCOT Public API (use ERCOT_SOURCE=mis)")
        return ingest_api_report(api.API_REPORTS[name], client=client, s3=s3, bucket=bucket, days=days)

    return run_one


def _mis_runner(*, s3: Any, bucket: str, session: Any) -> Callable[[str], dict[str, Any]]:
    overrides = env_json("ERCOT_REPORT_TYPE_IDS") or {}
    list_url = env_str("ERCOT_MIS_LIST_URL", DEFAULT_LIST_URL)
    download_url = env_str("ERCOT_MIS_DOWNLOAD_URL", DEFAULT_DOWNLOAD_URL)
    max_docs = env_int("ERCOT_MAX_DOCUMENTS", 4)

    def run_one(name: str) -> dict[str, Any]:
        report = REPORTS[name]
        if name in overrides:
            report = Report(**{**report.__dict__, "report_type_id": int(overrides[name])})
        return ingest_report(
            report,
            s3=s3,
            bucket=bucket,
            list_url=list_url,
            download_url=download_url,
            max_docs=max_docs,
            session=session,
        )

    return run_one
