"""Open-Meteo ingestion Lambda: land hourly forecast and archive weather per site, as returned by the API.

One object per kind and site and run: ``openmeteo/<forecast|archive>/<site_id>/<YYYY>/<MM>/<DD>/<HHMM>.json``.
The run time is the scheduled event's ``time`` floored to the hour, so a retried event rewrites the same
key (skipped when the content is identical). Responses are checked before landing: every requested
hourly variable present with its expected unit and one value per timestamp, else LayoutChangedError.

Environment: LANDING_BUCKET (required); SITES_JSON or SITES_S3_URI (required, one of);
OPENMETEO_FORECAST_URL, OPENMETEO_ARCHIVE_URL (defaults: the public APIs); OPENMETEO_KINDS
(default forecast,archive); OPENMETEO_FORECAST_DAYS (default 2); OPENMETEO_ARCHIVE_LAG_DAYS (default 5,
the archive's publication delay); OPENMETEO_ARCHIVE_DAYS (default 1); OPENMETEO_API_KEY (optional,
commercial plans); HTTP_MAX_ATTEMPTS, HTTP_BACKOFF_INITIAL_S, HTTP_BACKOFF_MAX_S, HTTP_TIMEOUT_S.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from lakeingest.common import http
from lakeingest.common.config import ConfigError, env_int, env_list, env_str
from lakeingest.common.keys import openmeteo_landing_key, parse_iso_utc
from lakeingest.common.s3io import put_if_changed, s3_client
from lakeingest.common.sites import Site, load_sites

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

DEFAULT_FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
DEFAULT_ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
KINDS = ("forecast", "archive")
# Variable -> unit Open-Meteo reports with wind_speed_unit=ms; wind at 100 m stands for hub height.
HOURLY_UNITS = {
    "temperature_2m": "°C",
    "wind_speed_10m": "m/s",
    "wind_speed_100m": "m/s",
    "shortwave_radiation": "W/m²",
    "cloud_cover": "%",
}


class LayoutChangedError(RuntimeError):
    """The Open-Meteo response is not the hourly layout this code expects."""


def run_time_of(event: dict[str, Any] | None) -> datetime:
    """The run's time: event ``run_time`` (backfills) or EventBridge ``time``, else now; floored to the hour."""
    raw = (event or {}).get("run_time") or (event or {}).get("time")
    ts = parse_iso_utc(raw) if raw else datetime.now(UTC)
    return ts.replace(minute=0, second=0, microsecond=0)


def request_params(kind: str, site: Site, run_time: datetime) -> dict[str, object]:
    """Query parameters for one site: hourly variables in SI units, UTC (GMT) timestamps."""
    params: dict[str, object] = {
        "latitude": site.latitude,
        "longitude": site.longitude,
        "hourly": ",".join(HOURLY_UNITS),
        "wind_speed_unit": "ms",
        "timezone": "GMT",
    }
    if kind == "forecast":
        params["forecast_days"] = env_int("OPENMETEO_FORECAST_DAYS", 2)
    else:
        end = run_time.date() - timedelta(days=env_int("OPENMETEO_ARCHIVE_LAG_DAYS", 5))
        start = end - timedelta(days=max(env_int("OPENMETEO_ARCHIVE_DAYS", 1), 1) - 1)
        params["start_date"], params["end_date"] = start.isoformat(), end.isoformat()
    api_key = env_str("OPENMETEO_API_KEY", "")
    if api_key:
        params["apikey"] = api_key
    return params


def check_response(body: bytes, source: str) -> int:
    """Validate the hourly layout; return the number of hours, or raise LayoutChangedError saying what changed."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise LayoutChangedError(f"{source}: response is not JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("error"):
        raise LayoutChangedError(f"{source}: API error {doc.get('reason') if isinstance(doc, dict) else doc!r}")
    hourly, units = doc.get("hourly"), doc.get("hourly_units")
    if not isinstance(hourly, dict) or not isinstance(units, dict) or not isinstance(hourly.get("time"), list):
        raise LayoutChangedError(f"{source}: no hourly/hourly_units/time block (keys: {sorted(doc)})")
    times = hourly["time"]
    problems = []
    for var, unit in HOURLY_UNITS.items():
        values = hourly.get(var)
        if not isinstance(values, list):
            problems.append(f"{var} missing")
        elif len(values) != len(times):
            problems.append(f"{var} has {len(values)} values for {len(times)} hours")
        elif units.get(var) != unit:
            problems.append(f"{var} unit {units.get(var)!r} != {unit!r}")
    if units.get("time") != "iso8601":
        problems.append(f"time unit {units.get('time')!r} != 'iso8601'")
    if problems:
        raise LayoutChangedError(f"{source}: " + "; ".join(problems))
    return len(times)


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: fetch every (kind, site); land what succeeded, then raise if anything failed."""
    bucket = env_str("LANDING_BUCKET")
    kinds = env_list("OPENMETEO_KINDS", list(KINDS))
    if set(kinds) - set(KINDS):
        raise ConfigError(f"OPENMETEO_KINDS must be a subset of {list(KINDS)}, got {kinds}")
    urls = {
        "forecast": env_str("OPENMETEO_FORECAST_URL", DEFAULT_FORECAST_URL),
        "archive": env_str("OPENMETEO_ARCHIVE_URL", DEFAULT_ARCHIVE_URL),
    }
    s3 = s3_client()
    sites = load_sites(s3)
    wanted = (event or {}).get("site_ids")
    if wanted:
        sites = [s for s in sites if s.site_id in set(wanted)]
    run_time = run_time_of(event)
    session = requests.Session()
    counts = {"written": 0, "skipped": 0, "replaced": 0, "hours": 0}
    failures: list[str] = []
    for kind in kinds:
        for site in sites:
            source = f"Open-Meteo {kind} for {site.site_id}"
            try:
                response = http.get(urls[kind], request_params(kind, site, run_time), session=session)
                hours = check_response(response.content, source)
            except (http.HttpError, LayoutChangedError) as exc:
                log.error(json.dumps({"kind": kind, "site_id": site.site_id, "error": str(exc)}))
                failures.append(str(exc))
                continue
            key = openmeteo_landing_key(kind, site.site_id, run_time)
            outcome = put_if_changed(
                s3,
                bucket,
                key,
                response.content,
                content_type="application/json",
                metadata={"site-id": site.site_id, "kind": kind, "run-time": run_time.isoformat()},
            )
            counts[outcome] += 1
            counts["hours"] += hours
            log.info(json.dumps({"kind": kind, "site_id": site.site_id, "key": key, "outcome": outcome}))
    if failures:
        raise RuntimeError(f"{len(failures)} Open-Meteo fetch(es) failed: " + " | ".join(failures))
    return {"bucket": bucket, "run_time": run_time.isoformat(), "sites": len(sites), **counts}
