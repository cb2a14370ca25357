"""IoT Core topic-rule SQL for telemetry, generated here and read by Terraform (via ``telemetry_layout.json``).

Two statements per telemetry source:

* ``raw_route``: the message as sent (``SELECT *``) to the Kinesis stream behind Firehose; the transformation
  Lambda validates and normalises it, and the raw zone keeps what the device sent.
* ``time_series``: explicit, typed measures for a time-series store: the device and site as dimensions, one
  ``cast(... AS Decimal)`` per measure (never the ids, strings or the nested ``metrics`` object that ``SELECT *``
  passes on), and the reading's own time as ``event_time_ms`` for the record time, not the processing time.

``check_rule`` holds the statements to AWS's documented contract, each rule with its page ("AWS IoT SQL
reference": https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html; its "Functions"
page https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html gives each function's first
SQL version; "SQL versions" https://docs.aws.amazon.com/iot/latest/developerguide/iot-rule-sql-version.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakeingest.telemetry.layout import SOURCES
from lakeingest.telemetry.rules import canonical_device_keys

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
RAW_ROUTE_SQL_VERSION = "2016-03-23"
TOPIC_ROOT = "{topic_root}"  # Terraform substitutes var.iot_topic_root
# The normalised and the devices' own ISO-8601 UTC form (Java DateTimeFormatter pattern, as time_to_epoch takes).
EVENT_TIME_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSSX"

# Device ``metrics`` keys in their canonical unit -> measure name (alternative units stay a job for the lake),
# from the generated telemetry rules (telemetry_rules.json).
DEVICE_MEASURES = {key: key for key in canonical_device_keys().values()}


def topic_filter(source: str) -> str:
    """``'<root>/<source>/+'``: one topic per device."""
    return f"'{TOPIC_ROOT}/{source}/+'"


def raw_route_sql(source: str) -> str:
    """The message unchanged, for the raw zone."""
    return f"SELECT * FROM {topic_filter(source)}"


def time_series_sql(source: str) -> str:
    """Explicit typed measures, dimensions and the event time of one telemetry source."""
    time_field = SOURCES[source]["time_field"]
    event_time = f'time_to_epoch({time_field}, "{EVENT_TIME_PATTERN}") AS event_time_ms'
    if source == "devices":
        measures = [f"cast(metrics.{key} AS Decimal) AS {name}" for key, name in DEVICE_MEASURES.items()]
        fields = ["device_id", "site_id", *measures, event_time]
        return f"SELECT {', '.join(fields)} FROM {topic_filter(source)} WHERE isUndefined(device_id) = false"
    # Seed format: one reading per message, its metric named by `type`.
    fields = ["id AS device_id", "type AS metric", "cast(data AS Decimal) AS value", event_time]
    return f"SELECT {', '.join(fields)} FROM {topic_filter(source)} WHERE isUndefined(id) = false"


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


def iot_rules() -> dict[str, dict[str, str]]:
    """Per source: the raw-route and time-series statements and their SQL versions (for Terraform)."""
    return {
        source: {
            "raw_route_sql": raw_route_sql(source),
            "raw_route_sql_version": RAW_ROUTE_SQL_VERSION,
            "time_series_sql": time_series_sql(source),
            "time_series_sql_version": TIME_SERIES_SQL_VERSION,
        }
        for source in SOURCES
    }
