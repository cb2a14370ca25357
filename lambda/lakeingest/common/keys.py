"""The lake's key layouts (see the project briefing); every writer builds keys here and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(ts: datetime) -> datetime:
    """The timestamp in UTC (naive timestamps are taken to be UTC already)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def ercot_landing_key(report: str, published: datetime, doc_id: str) -> str:
    """``ercot/<report>/<YYYY>/<MM>/<DD>/<report>_<YYYYMMDD>_<HHMM>_<doc_id>.csv`` (publish time, UTC).

    The document id keeps two documents published in the same minute (the repeated DST hour, a corrected
    re-post) from overwriting each other; the time keeps keys sortable.
    """
    if not doc_id or "/" in doc_id:
        raise ValueError(f"ERCOT document id must be a non-empty path segment, got {doc_id!r}")
    t = utc(published)
    return f"ercot/{report}/{t:%Y/%m/%d}/{report}_{t:%Y%m%d_%H%M}_{doc_id}.csv"


def openmeteo_landing_key(kind: str, site_id: str, run_time: datetime) -> str:
    """``openmeteo/<forecast|archive>/<site_id>/<YYYY>/<MM>/<DD>/<HHMM>.json`` for the run time (UTC)."""
    t = utc(run_time)
    return f"openmeteo/{kind}/{site_id}/{t:%Y/%m/%d}/{t:%H%M}.json"


def error_prefix(source: str, error_type: str, arrival: datetime) -> str:
    """``errors/<source>/<error-type>/<YYYY>/<MM>/<DD>/<HH>/`` (Firehose's error output prefix)."""
    return f"errors/{source}/{error_type}/{utc(arrival):%Y/%m/%d/%H}/"


def partner_raw_key(reading_ts: datetime, reading_id: str) -> str:
    """``partner/<YYYY>/<MM>/<DD>/<HHMMSS>-<id>.json`` for one partner meter reading."""
    t = utc(reading_ts)
    return f"partner/{t:%Y/%m/%d}/{t:%H%M%S}-{reading_id}.json"


def document_raw_key(landing_key: str, received: datetime) -> str:
    """``documents/<YYYY>/<MM>/<DD>/<name>.json`` for a landed ``documents/.../<name>.pdf``.

    The date comes from the landing key when it follows the layout, else from the arrival time.
    """
    parts = landing_key.split("/")
    name = parts[-1].rsplit(".", 1)[0]
    if len(parts) == 5 and parts[0] == "documents" and all(p.isdigit() for p in parts[1:4]):
        return f"documents/{parts[1]}/{parts[2]}/{parts[3]}/{name}.json"
    return f"documents/{utc(received):%Y/%m/%d}/{name}.json"


def parse_iso_utc(value: str) -> datetime:
    """Parse ISO-8601 (``Z`` or offset; naive means UTC) into an aware UTC datetime; ValueError if malformed."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return utc(datetime.fromisoformat(text))


def iso_z(ts: datetime) -> str:
    """Canonical ISO-8601 UTC with milliseconds and ``Z`` (what the lake stores)."""
    return utc(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")
