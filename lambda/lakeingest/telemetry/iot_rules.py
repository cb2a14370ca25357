"""IoT Core topic-rule SQL for telemetry, generated here and read by Terraform (via ``telemetry_layout.json``).

Two statements per telemetry source:

* ``raw_route``: the message as sent (``SELECT *``) to the Kinesis stream behind Firehose; the transformation
  Lambda validates and normalises it, and the raw zone keeps what the device sent.
* ``time_series``: explicit, typed measures for a time-series store: the device and site as dimensions, one
  ``cast(... AS Decimal)`` per measure (never the ids, strings or the nested ``metrics`` object that ``SELECT *``
  passes on), and the reading's own time as ``event_time_ms`` for the record time, not the processing time.
* ``timestream``: the same typed measures for the Timestream for LiveAnalytics action (existing accounts only,
  ``enable_timestream``), SQL V1, with the tags as dimensions and the event time as the record time.

Tags, fields and their types come from ``lakeingest.telemetry.series.SERIES``, the table the InfluxDB writer
(``lakeingest.telemetry.influx``) renders line protocol from.

``check_rule`` holds the statements to AWS's documented contract, each rule with its page ("AWS IoT SQL
reference": https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html; its "Functions"
page https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html gives each function's first
SQL version; "SQL versions" https://docs.aws.amazon.com/iot/latest/developerguide/iot-rule-sql-version.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lakeingest.telemetry.series import SERIES, Series

# "SQL versions": the versions a rule may declare.
SQL_VERSIONS = ("2015-10-08", "2016-03-23", "beta")
# "Functions": the first SQL version supporting each function these statements use.
FUNCTION_SINCE = {
    "cast": "2015-10-08",
    "isUndefined": "2015-10-08",
    "topic": "2015-10-08",
    "timestamp": "2015-10-08",
    "time_to_epoch": "2016-03-23",
}
TIME_SERIES_SQL_VERSION = "2016-03-23"  # time_to_epoch needs it
# "Timestream" rule action (timestream-rule-action.html): with SQL V2 whole-number decimals become integers
# even after cast(), so the LiveAnalytics statement declares V1 and takes the event time in the action.
TIMESTREAM_SQL_VERSION = "2015-10-08"
# series.Field type -> IoT SQL cast() type ("Functions", cast: Decimal, Int, Bool, String).
CAST_TYPES = {"float": "Decimal", "integer": "Int", "string": "String", "boolean": "Bool"}
RAW_ROUTE_SQL_VERSION = "2016-03-23"
TOPIC_ROOT = "{topic_root}"  # Terraform substitutes var.iot_topic_root
# The normalised and the devices' own ISO-8601 UTC form (Java DateTimeFormatter pattern, as time_to_epoch takes).
EVENT_TIME_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSSX"


def topic_filter(source: str) -> str:
    """``'<root>/<source>/+'``: one topic per device."""
    return f"'{TOPIC_ROOT}/{source}/+'"


def raw_route_sql(source: str) -> str:
    """The message unchanged, for the raw zone."""
    return f"SELECT * FROM {topic_filter(source)}"


def _event_time(series: Series) -> str:
    return f'time_to_epoch({series.time_field}, "{EVENT_TIME_PATTERN}")'


def _cast(path: str, field_type: str) -> str:
    return f"cast({path} AS {CAST_TYPES[field_type]})"


def _where(series: Series) -> str:
    """Only messages of this format: the first tag (the device id) is present."""
    return f"WHERE isUndefined({series.tags[0].path}) = false"


def time_series_sql(source: str) -> str:
    """Explicit typed measures, dimensions and the event time of one telemetry source (``series.SERIES``)."""
    series = SERIES[source]
    tags = [t.path if t.path == t.name else f"{t.path} AS {t.name}" for t in series.tags]
    fields = [f"{_cast(f.path, f.type)} AS {f.name}" for f in series.fields]
    selected = [*tags, *fields, f"{_event_time(series)} AS event_time_ms"]
    return f"SELECT {', '.join(selected)} FROM {topic_filter(source)} {_where(series)}"


def timestream_sql(source: str) -> str:
    """The LiveAnalytics rule's statement: the typed measures only.

    Every attribute of the result becomes a measure, so the tags are not selected: the action names them
    as dimensions (``timestream_dimensions``) and takes the record time from ``timestream_timestamp``, both
    substitution templates, which AWS evaluates against the incoming message apart from the SELECT ("AWS IoT
    Core, Substitution templates": https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html).
    That page does not say which SQL version a template's functions follow; ``time_to_epoch`` in the timestamp
    template of this V1 rule is the one part of this statement no document confirms (check it on first deploy).
    """
    series = SERIES[source]
    fields = [f"{_cast(f.path, f.type)} AS {f.name}" for f in series.fields]
    return f"SELECT {', '.join(fields)} FROM {topic_filter(source)} {_where(series)}"


def timestream_dimensions(source: str) -> dict[str, str]:
    """Dimension name -> substitution template of the LiveAnalytics action."""
    return {t.name: f"${{{t.path}}}" for t in SERIES[source].tags}


def timestream_timestamp(source: str) -> str:
    """The action's ``timestamp.value`` (unit MILLISECONDS): the reading's own time, not the arrival time."""
    return f"${{{_event_time(SERIES[source])}}}"


@dataclass(frozen=True)
class RuleProblem:
    """One way a rule breaks AWS's documented contract, with the page that says so."""

    message: str
    source: str


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("-")) if version != "beta" else (9999,)


def check_rule(sql: str, sql_version: str, *, timestream_target: bool = False) -> list[RuleProblem]:
    """Problems of one rule statement against the documented IoT SQL contract (empty when it conforms)."""
    problems: list[RuleProblem] = []
    functions_page = "AWS IoT SQL reference, Functions (iot-sql-functions.html)"
    if sql_version not in SQL_VERSIONS:
        problems.append(RuleProblem(f"unknown SQL version {sql_version!r}", "AWS IoT SQL reference, SQL versions"))
        return problems
    for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", sql):
        since = FUNCTION_SINCE.get(name)
        if since is None:
            problems.append(RuleProblem(f"function {name}() is not one this checker knows", functions_page))
        elif _version_tuple(sql_version) < _version_tuple(since):
            problems.append(
                RuleProblem(f"{name}() needs SQL version {since} or later, rule is {sql_version}", functions_page)
            )
    if not re.match(r"^SELECT .+ FROM '[^']+'( WHERE .+)?$", sql):
        problems.append(
            RuleProblem(
                "statement is not SELECT ... FROM '<topic filter>' [WHERE ...]",
                "AWS IoT SQL reference, SELECT clause / FROM clause",
            )
        )
    if timestream_target:
        if re.search(r"SELECT \*", sql) or re.search(r"\bmetrics\b(?!\.)", sql):
            problems.append(
                RuleProblem(
                    "every attribute of the result becomes a measure: select explicit typed measures",
                    "AWS IoT Core, Timestream rule action (timestream-rule-action.html)",
                )
            )
        if sql_version == "2016-03-23" and "AS Decimal" in sql:
            problems.append(
                RuleProblem(
                    "SQL 2016-03-23 turns whole-number decimals into integers even after cast(): type mismatches",
                    "AWS IoT Core, Timestream rule action (timestream-rule-action.html)",
                )
            )
    return problems


def iot_rules() -> dict[str, dict[str, Any]]:
    """Per source: the raw-route and time-series statements and their SQL versions (for Terraform)."""
    return {
        source: {
            "raw_route_sql": raw_route_sql(source),
            "raw_route_sql_version": RAW_ROUTE_SQL_VERSION,
            "time_series_sql": time_series_sql(source),
            "time_series_sql_version": TIME_SERIES_SQL_VERSION,
            "timestream_sql": timestream_sql(source),
            "timestream_sql_version": TIMESTREAM_SQL_VERSION,
            "timestream_dimensions": timestream_dimensions(source),
            "timestream_timestamp": timestream_timestamp(source),
        }
        for source in SERIES
    }
