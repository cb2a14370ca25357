"""HTTP GET with retries and exponential backoff (requests + tenacity), shared by the API ingestors.

Transient failures (connection errors, timeouts, 429 and 5xx) are retried; any other 4xx fails at
once with the URL and status, because retrying a bad request only hides the problem.
"""

from __future__ import annotations

import logging

import requests
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from lakeingest.common.config import env_float, env_int

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "energylake-ingest/0.1 (+https://github.com/; renewable-energy data lake)"


class HttpError(RuntimeError):
    """A request failed for good (non-retryable status, or retries exhausted)."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body  # the response text, for callers that read a documented error payload


class _RetryableStatusError(HttpError):
    """A status worth retrying (429/5xx)."""

    retry_after_s: float | None = None


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, _RetryableStatusError | requests.ConnectionError | requests.Timeout)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("HTTP attempt %d failed (%s); retrying", state.attempt_number, exc)


def _retry_after_s(response: requests.Response) -> float | None:
    """Seconds from a numeric ``Retry-After`` header (429/503), None when absent or a date."""
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def request(
    method: str,
    url: str,
    params: dict[str, object] | None = None,
    *,
    session: requests.Session | None = None,
    headers: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> requests.Response:
    """Send ``method url`` with retries (HTTP_MAX_ATTEMPTS, HTTP_BACKOFF_INITIAL_S, HTTP_BACKOFF_MAX_S, HTTP_TIMEOUT_S).

    The wait between attempts is exponential with jitter, and never shorter than a numeric ``Retry-After``
    the server sent (capped at HTTP_BACKOFF_MAX_S), so a rate-limited client backs off as asked.
    """
    attempts = env_int("HTTP_MAX_ATTEMPTS", 5)
    timeout = env_float("HTTP_TIMEOUT_S", 30.0)
    backoff_max = env_float("HTTP_BACKOFF_MAX_S", 30.0)
    sess = session or requests.Session()
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    jitter = wait_exponential_jitter(initial=env_float("HTTP_BACKOFF_INITIAL_S", 1.0), max=backoff_max)

    def _wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after_s", None) or 0.0
        return max(jitter(state), min(asked, backoff_max))

    @retry(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(attempts),
        wait=_wait,
        before_sleep=_log_retry,
        reraise=True,
    )
    def _once() -> requests.Response:
        response = sess.request(method, url, params=params, data=data, headers=all_headers, timeout=timeout)
        if response.status_code in RETRY_STATUS:
            error = _RetryableStatusError(
                f"{method} {response.url} returned HTTP {response.status_code}", response.status_code
            )
            error.retry_after_s = _retry_after_s(response)
            raise error
        if response.status_code >= 400:
            raise HttpError(
                f"{method} {response.url} returned HTTP {response.status_code}: {response.text[:200]}",
                response.status_code,
                body=response.text,
            )
        return response

    try:
        return _once()
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise HttpError(f"{method} {url} failed after {attempts} attempts: {exc}") from exc
    except _RetryableStatusError as exc:
        raise HttpError(f"{exc} ({attempts} attempts)", exc.status) from exc


def get(
    url: str,
    params: dict[str, object] | None = None,
    *,
    session: requests.Session | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """GET ``url`` with retries (see ``request``)."""
    return request("GET", url, params, session=session, headers=headers)
