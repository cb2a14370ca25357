"""The time-series view of telemetry: one table of measurements, tags and typed fields per source.

Written once here and rendered twice: ``lakeingest.telemetry.iot_rules`` turns it into the IoT rule SQL
(``cast(... AS Decimal)`` per float field, tags selected as dimensions) and ``lakeingest.telemetry.influx``
into InfluxDB line protocol (``1.5`` for a float, ``3i`` for an integer, quoted strings). A measure added to
a device type is added to ``records.DEVICE_METRICS`` and reaches both sinks from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lakeingest.telemetry.layout import SOURCES
from lakeingest.telemetry.records import DEVICE_METRICS

FieldType = Literal["float", "integer", "string", "boolean"]


@dataclass(frozen=True)
class Tag:
    """A dimension of the series: ``path`` in the message (dotted), ``name`` in the store."""

    path: str
    name: str


@dataclass(frozen=True)
class Field:
    """A typed value of the series: ``path`` in the message (dotted), ``name`` and ``type`` in the store."""

    path: str
    name: str
    type: FieldType


@dataclass(frozen=True)
class Series:
    """One telemetry source as a time series: its measurement, tags, fields and event-time field."""

    source: str
    measurement: str
    tags: tuple[Tag, ...]
    fields: tuple[Field, ...]
    time_path: str | None = None  # a series not read from a telemetry source names its time field itself

    @property
    def time_field(self) -> str:
        """The reading's own time (ISO-8601 UTC), never the arrival time."""
        return self.time_path or SOURCES[self.source]["time_field"]


SERIES: dict[str, Series] = {
    "devices": Series(
        source="devices",
        measurement="device_readings",
        tags=(Tag("device_id", "device_id"), Tag("site_id", "site_id")),
        fields=tuple(Field(f"metrics.{metric}", metric, "float") for metric in DEVICE_METRICS),
    ),
    # Seed format: one reading per message, its metric named by `type`.
    "windfarm": Series(
        source="windfarm",
        measurement="windfarm_readings",
        tags=(Tag("id", "device_id"), Tag("type", "metric")),
        fields=(Field("data", "value", "float"),),
    ),
}

# The Flink job's anomaly alerts (analytics/streaming, sink table telemetry_alerts), written to InfluxDB by the
# alerts consumer (analytics.streaming.consumers.alerts_handler) for the operations dashboard's alert panels.
# Timestamp: the window's END, the moment the alert became known (an alert is never stamped before the
# readings that raised it were complete), and where Flux's aggregateWindow puts the dashboard's other points.
ALERTS = Series(
    source="telemetry_alerts",
    measurement="telemetry_alerts",
    tags=tuple(Tag(name, name) for name in ("site_id", "device_id", "alert_type", "severity", "metric")),
    fields=(
        Field("observed_value", "observed_value", "float"),
        Field("threshold", "threshold", "float"),
        Field("reading_count", "reading_count", "integer"),
    ),
    time_path="window_end",
)

# Every measurement written to InfluxDB, by name (what dashboards may query).
MEASUREMENTS: dict[str, Series] = {s.measurement: s for s in (*SERIES.values(), ALERTS)}


def lookup(record: dict[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of a record (None when any part is absent)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
