"""InfluxDB line protocol for telemetry points, rendered from ``lakeingest.telemetry.series.SERIES``.

The rules are InfluxData's ("Line protocol", InfluxDB OSS v2,
https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):

* ``<measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]``, one point a line;
* measurement names escape commas and spaces; tag keys, tag values and field keys escape commas, equals signs
  and spaces, each with a backslash; string field values are double-quoted and escape double quotes and
  backslashes;
* a float is written as a number (``1.0``, ``1e+78``), an integer with the ``i`` suffix, a boolean as
  ``true``/``false``; NaN and infinities have no representation;
* tag values cannot be empty (the tag is left out); a point needs at least one field; newlines are not
  supported in tag or field values; names starting with ``_`` are reserved;
* the timestamp is an integer in the precision the write request declares (``precision=ms`` here).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from lakeingest.common.keys import parse_iso_utc
from lakeingest.telemetry.records import InvalidRecord
from lakeingest.telemetry.series import Field, Series, lookup

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRECISION = "ms"  # the write request's `precision`; timestamps below are epoch milliseconds


def _escape(text: str, specials: str) -> str:
    if "\n" in text or "\r" in text:
        raise InvalidRecord(f"line protocol does not support newlines: {text!r}")
    out = text.replace("\\", "\\\\") if "\\" in specials else text
    for char in specials.replace("\\", ""):
        out = out.replace(char, "\\" + char)
    return out


def escape_measurement(name: str) -> str:
    """Measurement names escape commas and spaces."""
    return _escape(name, ", ")


def escape_key(text: str) -> str:
    """Tag keys, tag values and field keys escape commas, equals signs and spaces."""
    return _escape(text, ",= ")


def _name(text: str) -> str:
    if not text or text.startswith("_"):
        raise InvalidRecord(f"{text!r} is not a usable name (empty, or starting with the reserved _)")
    return text


def field_value(value: Any, field_type: str) -> str:
    """One field value in its declared type (InvalidRecord when it cannot be one)."""
    if field_type == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidRecord(f"{value!r} is not a finite float")
        return repr(float(value))
    if field_type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRecord(f"{value!r} is not an integer")
        return f"{value}i"
    if field_type == "boolean":
        if not isinstance(value, bool):
            raise InvalidRecord(f"{value!r} is not a boolean")
        return "true" if value else "false"
    if field_type == "string":
        if not isinstance(value, str):
            raise InvalidRecord(f"{value!r} is not a string")
        return '"' + _escape(value, '\\"') + '"'
    raise ValueError(f"unknown field type {field_type!r}")


def epoch_ms(when: datetime | str) -> int:
    """The point's timestamp in the request precision (milliseconds since the epoch, UTC)."""
    ts = parse_iso_utc(when) if isinstance(when, str) else when
    return (ts - EPOCH) // timedelta(milliseconds=1)  # exact integer arithmetic, no float rounding


def render_point(measurement: str, tags: dict[str, Any], fields: list[tuple[Field, Any]], timestamp_ms: int) -> str:
    """One line: tags without a value left out, fields without a value left out, at least one field."""
    tag_set = "".join(
        f",{escape_key(_name(k))}={escape_key(str(v))}" for k, v in sorted(tags.items()) if v not in (None, "")
    )
    field_set = ",".join(f"{escape_key(_name(f.name))}={field_value(v, f.type)}" for f, v in fields if v is not None)
    if not field_set:
        raise InvalidRecord("no field has a value: a point needs at least one field")
    return f"{escape_measurement(_name(measurement))}{tag_set} {field_set} {int(timestamp_ms)}"


def record_point(series: Series, record: dict[str, Any]) -> str:
    """The line of one normalised telemetry record (``records.normalise``): the EVENT time as the timestamp."""
    tags = {t.name: lookup(record, t.path) for t in series.tags}
    fields = [(f, lookup(record, f.path)) for f in series.fields]
    when = lookup(record, series.time_field)
    if not isinstance(when, str):
        raise InvalidRecord(f"{series.time_field} missing: a point takes the reading's own time")
    return render_point(series.measurement, tags, fields, epoch_ms(when))
