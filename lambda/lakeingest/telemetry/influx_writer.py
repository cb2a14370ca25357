"""Kinesis → Timestream for InfluxDB: the telemetry hot path for accounts without Timestream LiveAnalytics.

Event source: the telemetry Kinesis streams (what the IoT rules and producers put, as sent). Each record is
validated and normalised exactly as the Firehose transformation does (``records.normalise``), rendered as
one line-protocol point from ``series.SERIES`` (the table the IoT rule SQL is rendered from) with the
reading's own time as the timestamp, and written through the InfluxDB v2 write API.

Nothing is dropped:

* a malformed record (not a reading, or not renderable) is counted and sent with its reason to the failure
  queue (``FAILURE_QUEUE_URL``, the event source mapping's on-failure destination); if that send fails, the
  record is reported as a batch item failure instead;
* points the write API does not accept (network error, 401, 429, 5xx, ...) are reported as batch item
  failures (``ReportBatchItemFailures``), so Lambda retries from the lowest of them and, after the mapping's
  retries, records the batch in the same queue. Rewriting a point with the same measurement, tags and
  timestamp replaces it in InfluxDB, so retries do not duplicate readings.

InfluxDB v2 write API ("Write data with the InfluxDB API",
https://docs.influxdata.com/influxdb/v2/write-data/developer-tools/api/ and the API reference
https://docs.influxdata.com/influxdb/v2/api/#operation/PostWrite): ``POST /api/v2/write?org=&bucket=&precision=``,
``Authorization: Token <token>``, body in line protocol, ``204 No Content`` on success. Credentials come from
the DB instance's Secrets Manager secret (``influx_auth_parameters_secret_arn``: JSON with ``organization``,
``bucket``, ``username``, ``password``, "Timestream for InfluxDB API Reference, DbInstanceSummary",
https://docs.aws.amazon.com/ts-influxdb/latest/ts-influxb-api/API_GetDbInstance.html). With a ``token`` key
added to that JSON (an operator token scoped to writing the bucket, recommended) it is used as is;
otherwise the function signs in with the username and password (``POST /api/v2/signin``, Basic auth,
https://docs.influxdata.com/influxdb/v2/api/#operation/PostSignin) and writes with the session cookie.

Environment: INFLUXDB_URL (https://<endpoint>:8086), INFLUXDB_SECRET_ARN, FAILURE_QUEUE_URL;
INFLUXDB_BATCH_LINES (default 5000), INFLUXDB_TIMEOUT_S (default 10).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakeingest.common.config import env_int, env_str
from lakeingest.telemetry.line_protocol import PRECISION, record_point
from lakeingest.telemetry.records import InvalidRecord, normalise
from lakeingest.telemetry.series import SERIES

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

MAX_QUEUE_MESSAGE_BYTES = 256 * 1024  # SQS message size limit


class WriteError(RuntimeError):
    """The write API did not accept a batch (the points stay unacknowledged and are retried)."""


@dataclass(frozen=True)
class Credentials:
    """What the write needs from the instance's secret."""

    organization: str
    bucket: str
    token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> Credentials:
        missing = [k for k in ("organization", "bucket") if not secret.get(k)]
        if not secret.get("token") and not (secret.get("username") and secret.get("password")):
            missing.append("token or username+password")
        if missing:
            raise ValueError(f"InfluxDB secret lacks {missing}")
        return cls(
            organization=secret["organization"],
            bucket=secret["bucket"],
            token=secret.get("token"),
            username=secret.get("username"),
            password=secret.get("password"),
        )


@dataclass
class InfluxWriter:
    """The InfluxDB v2 write API over urllib (standard library only)."""

    url: str
    credentials: Credentials
    timeout_s: float = 10.0
    _session_cookie: str | None = field(default=None, repr=False)

    def _request(
        self, path: str, *, query: dict[str, str] | None, body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any]:
        target = self.url.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(target, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            return response.status, response.headers

    def _sign_in(self) -> str:
        basic = base64.b64encode(f"{self.credentials.username}:{self.credentials.password}".encode()).decode()
        try:
            _, headers = self._request(
                "/api/v2/signin", query=None, body=b"", headers={"Authorization": f"Basic {basic}"}
            )
        except urllib.error.HTTPError as exc:
            raise WriteError(f"sign-in refused: HTTP {exc.code}") from None
        cookie = (headers.get("Set-Cookie") or "").split(";", 1)[0]
        if not cookie:
            raise WriteError("sign-in answered without a session cookie")
        return cookie

    def _auth_headers(self) -> dict[str, str]:
        if self.credentials.token:
            return {"Authorization": f"Token {self.credentials.token}"}
        if self._session_cookie is None:
            self._session_cookie = self._sign_in()
        return {"Cookie": self._session_cookie}

    def write(self, lines: list[str]) -> None:
        """Write the lines as one request; WriteError unless InfluxDB answers 204."""
        body = ("\n".join(lines) + "\n").encode("utf-8")
        query = {"org": self.credentials.organization, "bucket": self.credentials.bucket, "precision": PRECISION}
        headers = {"Content-Type": "text/plain; charset=utf-8", "Accept": "application/json"}
        try:
            status, _ = self._request(
                "/api/v2/write", query=query, body=body, headers={**headers, **self._auth_headers()}
            )
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and self._session_cookie is not None:
                self._session_cookie = None  # the session expired: sign in again on the retry
            detail = exc.read()[:500].decode("utf-8", "replace")
            raise WriteError(f"write refused: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise WriteError(f"write failed: {exc}") from None
        if status != 204:
            raise WriteError(f"write answered HTTP {status}, expected 204 No Content")


def load_credentials(secret_arn: str) -> Credentials:
    """The instance's secret from Secrets Manager (boto3, present in the Lambda runtime)."""
    import boto3

    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return Credentials.from_secret(json.loads(value))


def send_failures(malformed: list[dict[str, Any]], queue_url: str, sqs: Any) -> list[str]:
    """Send each malformed record with its reason; return the sequence numbers that could not be sent."""
    unsent: list[str] = []
    for doc in malformed:
        body = json.dumps(doc)
        if len(body.encode()) > MAX_QUEUE_MESSAGE_BYTES:
            # The reason and position still fit; the record itself stays readable in the stream.
            body = json.dumps({**doc, "data": None, "data_omitted": "larger than an SQS message"})
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        except Exception as exc:  # any failure keeps the record in the batch
            log.error(json.dumps({"sequenceNumber": doc["sequenceNumber"], "failure_queue_error": str(exc)}))
            unsent.append(doc["sequenceNumber"])
    return unsent


def process(
    event: dict[str, Any],
    writer: InfluxWriter,
    queue_url: str,
    sqs: Any,
    *,
    batch_lines: int = 5000,
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """The Lambda response (``batchItemFailures``) and the counts of one Kinesis event."""
    now = now or datetime.now(UTC)
    points: list[tuple[str, str]] = []
    malformed: list[dict[str, Any]] = []
    for record in event.get("Records", []):
        kinesis = record["kinesis"]
        sequence = kinesis["sequenceNumber"]
        try:
            try:
                raw = base64.b64decode(kinesis["data"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidRecord(f"record data is not base64: {exc}") from None
            source, normalised = normalise(raw, now)
            points.append((sequence, record_point(SERIES[source], normalised)))
        except InvalidRecord as exc:
            malformed.append(
                {
                    "reason": str(exc),
                    "sequenceNumber": sequence,
                    "partitionKey": kinesis.get("partitionKey"),
                    "eventSourceARN": record.get("eventSourceARN"),
                    "eventID": record.get("eventID"),
                    "data": kinesis.get("data"),
                }
            )
    failed = send_failures(malformed, queue_url, sqs) if malformed else []
    written = 0
    for start in range(0, len(points), batch_lines):
        chunk = points[start : start + batch_lines]
        try:
            writer.write([line for _, line in chunk])
            written += len(chunk)
        except WriteError as exc:
            log.error(json.dumps({"write_error": str(exc), "points": len(chunk)}))
            failed.extend(sequence for sequence, _ in chunk)
    counts = {
        "records": len(event.get("Records", [])),
        "written": written,
        "malformed": len(malformed),
        "failed": len(failed),
    }
    return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}, counts


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Kinesis event source handler (the mapping has ``function_response_types = ["ReportBatchItemFailures"]``)."""
    import boto3

    writer = InfluxWriter(
        url=env_str("INFLUXDB_URL"),
        credentials=load_credentials(env_str("INFLUXDB_SECRET_ARN")),
        timeout_s=env_int("INFLUXDB_TIMEOUT_S", 10),
    )
    response, counts = process(
        event,
        writer,
        env_str("FAILURE_QUEUE_URL"),
        boto3.client("sqs"),
        batch_lines=env_int("INFLUXDB_BATCH_LINES", 5000),
    )
    log.info(json.dumps(counts))
    return response
