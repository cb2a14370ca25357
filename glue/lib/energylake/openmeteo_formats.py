"""The time formats of Open-Meteo's hourly ``time`` array, parsed per hour (anything else is quarantined).

Open-Meteo's forecast and archive APIs (https://open-meteo.com/en/docs, parameter ``timeformat``) return
``iso8601`` local times by default, written to the minute (``2024-07-15T13:00``; seconds and fractions are
accepted too), or ``unixtime``: seconds since the epoch, in GMT+0 ("all timestamps are in GMT+0"), so the
response's ``utc_offset_seconds`` applies only to ISO times.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

ISO_LOCAL = r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}(?:\.\d{1,6})?))?$"
UNIX_SECONDS = r"^-?\d{1,12}$"


def observation_time(text: Column, utc_offset_seconds: Column) -> Column:
    """The UTC time of one ``time`` entry (null when it is in neither documented format)."""
    value = F.trim(text)
    part = [F.regexp_extract(value, ISO_LOCAL, i) for i in range(1, 7)]
    seconds = F.when(part[5] != "", part[5]).otherwise(F.lit("0")).cast("decimal(8,6)")
    local = F.make_timestamp(*[p.cast("int") for p in part[:5]], seconds)
    iso_utc = F.timestamp_seconds(F.unix_timestamp(local) - utc_offset_seconds) + (
        # unix_timestamp drops the fraction of a second; it is added back.
        F.make_interval(secs=seconds - F.floor(seconds))
    )
    return F.when(value.rlike(ISO_LOCAL), iso_utc).when(
        value.rlike(UNIX_SECONDS), F.timestamp_seconds(value.cast("long"))
    )
