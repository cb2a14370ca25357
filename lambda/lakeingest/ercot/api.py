"""ERCOT Public API client (api.ercot.com public reports): sign-in, paging, and the report's published CSV.

Contract (ERCOT's developer portal, "Registration and Authentication",
https://developer.ercot.com/applications/pubapi/user-guide/registration-and-authentication, and the Public API
OpenAPI document ``pubapi-apim-api.json`` published by ERCOT):

* An ID token comes from ERCOT's Azure AD B2C sign-in with the resource-owner password flow (POST to the
  ``B2C_1_PUBAPI-ROPC-FLOW`` token endpoint with ``grant_type=password``, ``client_id``, ``scope`` and
  ``response_type=id_token``). It is valid for one hour and cannot be refreshed: a new one is requested.
* Every API call sends ``Authorization: Bearer <id_token>`` and ``Ocp-Apim-Subscription-Key``.
* A report endpoint answers ``{"_meta": {"totalRecords", "pageSize", "totalPages", "currentPage"}, "report": {...},
  "fields": [{"name", "label", "dataType", ...}], "data": [[...], ...]}``; ``page`` (1-based) and ``size`` page it.
* Too many requests answer HTTP 429 (retried with jittered backoff by ``lakeingest.common.http``).

Each (report, delivery day) is one landing object in the report's MIS CSV layout (same header, ``MM/DD/YYYY``
dates, ``Y``/``N`` DST flags, every field quoted), so the transform jobs read API and MIS documents alike.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests

from lakeingest.common import http
from lakeingest.common.config import ConfigError
from lakeingest.ercot.reports import REPORTS, LayoutChangedError, Report

DEFAULT_API_BASE_URL = "https://api.ercot.com/api/public-reports"
DEFAULT_TOKEN_URL = "https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token"
# The public client id of ERCOT's Public API sign-in (same page as above).
DEFAULT_CLIENT_ID = "fec253ea-0d06-4272-a5e6-b478baeecd70"
TOKEN_LIFETIME_S = 3600  # "ID tokens are valid for one hour" (same page)
TOKEN_MARGIN_S = 120  # renew a little early so a long backfill never sends an expired token


class ErcotAuthError(RuntimeError):
    """ERCOT's sign-in refused the credentials (or the secret lacks them); retrying cannot help."""


@dataclass(frozen=True)
class ApiReport:
    """One ERCOT report as the Public API serves it, and how its fields map onto the MIS CSV header."""

    report: Report
    endpoint: str  # <emil id>/<report path>
    date_from_param: str
    date_to_param: str
    fields: tuple[str, ...]  # API field names, in the order of ``report.header``
    date_fields: tuple[str, ...]  # ISO dates in the API, MM/DD/YYYY in the CSV
    flag_fields: tuple[str, ...] = ("DSTFlag",)  # booleans in the API, Y/N in the CSV


API_REPORTS: dict[str, ApiReport] = {
    "system_load": ApiReport(
        report=REPORTS["system_load"],
        endpoint="np6-345-cd/act_sys_load_by_wzn",
        date_from_param="operatingDayFrom",
        date_to_param="operatingDayTo",
        fields=(
            "operatingDay",
            "hourEnding",
            "coast",
            "east",
            "farWest",
            "north",
            "northC",
            "southern",
            "southC",
            "west",
            "total",
            "DSTFlag",
        ),
        date_fields=("operatingDay",),
    ),
    "spp_realtime": ApiReport(
        report=REPORTS["spp_realtime"],
        endpoint="np6-905-cd/spp_node_zone_hub",
        date_from_param="deliveryDateFrom",
        date_to_param="deliveryDateTo",
        fields=(
            "deliveryDate",
            "deliveryHour",
            "deliveryInterval",
            "settlementPoint",
            "settlementPointType",
            "settlementPointPrice",
            "DSTFlag",
        ),
        date_fields=("deliveryDate",),
    ),
}


@dataclass(frozen=True)
class ApiCredentials:
    """What the secret holds: the API Explorer account and its subscription key."""

    username: str
    password: str
    subscription_key: str

    @classmethod
    def from_secret_string(cls, secret_string: str, secret_id: str) -> ApiCredentials:
        """Parse the secret's JSON; ErcotAuthError names the secret and the missing keys (never the values)."""
        try:
            values = json.loads(secret_string)
        except json.JSONDecodeError:
            raise ErcotAuthError(f"secret {secret_id} is not a JSON object") from None
        missing = [k for k in ("username", "password", "subscription_key") if not str(values.get(k, "")).strip()]
        if missing:
            raise ErcotAuthError(f"secret {secret_id} lacks {missing}")
        return cls(values["username"], values["password"], values["subscription_key"])


def load_credentials(secret_id: str, secrets: Any | None = None) -> ApiCredentials:
    """The credentials stored in Secrets Manager under ``secret_id`` (name or ARN)."""
    if secrets is None:
        import boto3

        secrets = boto3.client("secretsmanager")
    value = secrets.get_secret_value(SecretId=secret_id)
    return ApiCredentials.from_secret_string(value["SecretString"], secret_id)


@dataclass
class ErcotApiClient:
    """Signs in, keeps the ID token until shortly before it expires, and pages through report endpoints."""

    credentials: ApiCredentials
    base_url: str = DEFAULT_API_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    client_id: str = DEFAULT_CLIENT_ID
    page_size: int = 10000
    session: requests.Session = field(default_factory=requests.Session)
    clock: Any = time.monotonic
    _token: str | None = None
    _token_expires: float = 0.0
    _refused: ErcotAuthError | None = None  # a refused sign-in is not repeated for every report and day

    def id_token(self) -> str:
        """A valid ID token: the cached one, or a new sign-in when it is absent or about to expire."""
        if self._refused is not None:
            raise self._refused
        if self._token is None or self.clock() >= self._token_expires:
            try:
                self._sign_in()
            except ErcotAuthError as exc:
                self._refused = exc
                raise
        assert self._token is not None
        return self._token

    def _sign_in(self) -> None:
        form = {
            "username": self.credentials.username,
            "password": self.credentials.password,
            "grant_type": "password",
            "scope": f"openid {self.client_id} offline_access",
            "client_id": self.client_id,
            "response_type": "id_token",
        }
        try:
            response = http.request("POST", self.token_url, session=self.session, data=form)
        except http.HttpError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                raise ErcotAuthError(f"ERCOT sign-in refused (HTTP {exc.status}): {_b2c_error(exc.body)}") from exc
            raise
        body = response.json()
        token = body.get("id_token")
        if not token:
            raise ErcotAuthError(f"ERCOT sign-in answered without an id_token (keys {sorted(body)})")
        lifetime = float(body.get("id_token_expires_in") or body.get("expires_in") or TOKEN_LIFETIME_S)
        self._token = token
        self._token_expires = self.clock() + max(lifetime - TOKEN_MARGIN_S, 0.0)

    def _get_page(self, endpoint: str, params: dict[str, object]) -> dict[str, Any]:
        url = f"{self.base_url.rstrip('/')}/{endpoint}"
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {self.id_token()}",
                "Ocp-Apim-Subscription-Key": self.credentials.subscription_key,
                "Accept": "application/json",
            }
            try:
                response = http.get(url, params, session=self.session, headers=headers)
            except http.HttpError as exc:
                if exc.status == 401 and attempt == 1:
                    self._token = None  # expired or revoked early: sign in again once
                    continue
                if exc.status in (401, 403):
                    raise ErcotAuthError(f"ERCOT API refused {endpoint} (HTTP {exc.status}): {exc.body[:200]}") from exc
                raise
            try:
                return response.json()
            except ValueError as exc:
                raise LayoutChangedError(f"ERCOT API {endpoint} page {params.get('page')} is not JSON") from exc
        raise AssertionError("unreachable")

    def fetch_day(self, api_report: ApiReport, day: date) -> list[list[Any]]:
        """Every row of the report for one delivery day, in ``api_report.fields`` order, across all pages.

        LayoutChangedError when a page lacks ``_meta``/``fields``/``data``, names other fields, or when the rows
        received do not add up to ``_meta.totalRecords`` (a page lost in transit is an error, not a gap).
        """
        rows: list[list[Any]] = []
        page, total_pages, total_records = 1, 1, 0
        while page <= total_pages:
            params = {
                api_report.date_from_param: day.isoformat(),
                api_report.date_to_param: day.isoformat(),
                "page": page,
                "size": self.page_size,
            }
            body = self._get_page(api_report.endpoint, params)
            where = f"ERCOT API {api_report.endpoint} {day} page {page}"
            meta, fields, data = _envelope(body, where)
            positions = _field_positions(fields, api_report.fields, where)
            try:
                total_pages = int(meta["totalPages"])
                total_records = int(meta["totalRecords"])
            except (KeyError, TypeError, ValueError):
                raise LayoutChangedError(f"{where}: _meta lacks totalPages/totalRecords: {meta}") from None
            for n, row in enumerate(data):
                if not isinstance(row, list) or len(row) != len(fields):
                    raise LayoutChangedError(f"{where}: row {n} has {row!r}, expected {len(fields)} values")
                rows.append([row[i] for i in positions])
            page += 1
        if len(rows) != total_records:
            raise LayoutChangedError(
                f"ERCOT API {api_report.endpoint} {day}: received {len(rows)} rows, _meta.totalRecords says "
                f"{total_records}"
            )
        return rows


def _b2c_error(body: str) -> str:
    """The ``error``/``error_description`` pair of an Azure AD B2C token error, else the body's start."""
    try:
        payload = json.loads(body)
        return f"{payload.get('error')}: {payload.get('error_description', '').splitlines()[0]}"
    except (ValueError, AttributeError, IndexError):
        return body[:200]


def _envelope(body: Any, where: str) -> tuple[dict[str, Any], list[Any], list[Any]]:
    if not isinstance(body, dict):
        raise LayoutChangedError(f"{where}: expected a JSON object, got {type(body).__name__}")
    missing = [k for k in ("_meta", "fields", "data") if k not in body]
    if missing:
        raise LayoutChangedError(f"{where}: response lacks {missing} (keys {sorted(body)})")
    meta, fields, data = body["_meta"], body["fields"], body["data"]
    if not isinstance(meta, dict) or not isinstance(fields, list) or not isinstance(data, list):
        raise LayoutChangedError(f"{where}: _meta must be an object, fields and data arrays")
    return meta, fields, data


def _field_positions(fields: list[Any], expected: tuple[str, ...], where: str) -> list[int]:
    names = [f.get("name") if isinstance(f, dict) else None for f in fields]
    missing = [n for n in expected if n not in names]
    if missing:
        raise LayoutChangedError(f"{where}: fields {names} lack {missing}")
    return [names.index(n) for n in expected]


def to_published_csv(api_report: ApiReport, rows: list[list[Any]]) -> bytes:
    """The rows as the report's MIS CSV: its header, MM/DD/YYYY dates, Y/N flags, every field quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(api_report.report.header)
    date_at = {api_report.fields.index(f) for f in api_report.date_fields}
    flag_at = {api_report.fields.index(f) for f in api_report.flag_fields}
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if value is None:
                cells.append("")
            elif i in date_at:
                cells.append(_mis_date(str(value)))
            elif i in flag_at:
                cells.append("Y" if value is True or str(value).upper() in ("Y", "TRUE") else "N")
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def _mis_date(value: str) -> str:
    try:
        return date.fromisoformat(value[:10]).strftime("%m/%d/%Y")
    except ValueError:
        return value  # left as sent: the transform job quarantines it with the value in the reason


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive; ConfigError when the range is reversed."""
    if end < start:
        raise ConfigError(f"backfill range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
