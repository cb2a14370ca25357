"""Wind-farm (seed) and IoT device telemetry: raw JSON lines to typed, normalised telemetry_readings rows."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, TimestampType

from energylake.contracts import get_contract
from energylake.frames import materialise
from energylake.parse import INVALID_ENCODING, LINEAGE, invalid_utf8, rejects
from energylake.quality import failure_reason
from energylake.units import to_canonical

# Seed `type` names -> normalised metric names; the seed format's units when no `unit` is given.
SEED_TYPES = {
    "powerFactor": "power_factor",
    "temperature": "battery_temperature",
    "hydraulicPressure": "hydraulic_pressure",
}
SEED_DEFAULT_UNITS = {"power_factor": "ratio", "battery_temperature": "degC", "hydraulic_pressure": "bar"}

# Device `metrics` keys -> (metric, unit as received); alternative units are converted to the canonical one.
DEVICE_METRIC_KEYS: dict[str, tuple[str, str]] = {
    "active_power_mw": ("active_power", "MW"),
    "active_power_kw": ("active_power", "kW"),
    "wind_speed_ms": ("wind_speed", "m/s"),
    "wind_speed_kmh": ("wind_speed", "km/h"),
    "rotor_speed_rpm": ("rotor_speed", "rpm"),
    "power_factor": ("power_factor", "ratio"),
    "battery_temperature_c": ("battery_temperature", "degC"),
    "battery_temperature_f": ("battery_temperature", "F"),
    "hydraulic_pressure_bar": ("hydraulic_pressure", "bar"),
    "hydraulic_pressure_psi": ("hydraulic_pressure", "psi"),
    "irradiance_wm2": ("irradiance", "W/m2"),
}

# Operating bands (inside the valid range) used to flag readings for maintenance in windfarm_daily_metrics.
OPERATING_BANDS: dict[str, tuple[float, float]] = {
    "power_factor": (0.9, 1.0),
    "battery_temperature": (0.0, 45.0),
    "hydraulic_pressure": (150.0, 250.0),
    "rotor_speed": (0.0, 20.0),
}

DEVICE_KEY_METRICS = {key: metric for key, (metric, _) in DEVICE_METRIC_KEYS.items()}
DEVICE_KEY_UNITS = {key: unit for key, (_, unit) in DEVICE_METRIC_KEYS.items()}


def _lit_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[x for k, v in mapping.items() for x in (F.lit(k), F.lit(v))])


def site_from_device(device_id: Column) -> Column:
    """Site id from a device id '<site_id>-T<nn>' (null when the id does not follow the convention)."""
    site = F.regexp_extract(device_id, r"^(.+)-T\d+$", 1)
    return F.when(site != "", site)


def _first_reason(*reasons: Column) -> Column:
    """The first non-null reason: a row is judged by the earliest check it fails, like a chain of filters."""
    return F.coalesce(*reasons)


def _joined(*checks: Column) -> Column:
    """Every failing check of one step joined by '; ' (null when all pass)."""
    joined = F.concat_ws("; ", *checks)
    return F.when(joined != "", joined)


def parse_telemetry(lines: DataFrame) -> DataFrame:
    """JSON lines of either format to one row per candidate reading (strings) with ``_reason`` (null = parsed).

    ``_key`` is the device ``metrics`` key a reading came from (null for seed records and line failures);
    ``event_ts`` is typed per line, with its cast checks in ``_event_checks`` and the id checks in ``_id_reason``.

    Each line is parsed once (a JSON object of its top-level keys: the unknown-key check and every field
    come from the same parse; a device record's ``metrics`` object is parsed once more as a small map).
    Line-level failures keep one row per line, carrying the reason. The readings come from one plain
    ``explode_outer`` of a map (no higher-order functions), so Spark generates code for the whole step.
    """
    seed = [c.name for c in get_contract("raw_telemetry_seed").columns]
    device = [c.name for c in get_contract("raw_telemetry_device").columns]
    allowed = sorted({*seed, *device})
    doc = F.col("_doc")
    unknown = F.array_except(F.map_keys(doc), F.array(*[F.lit(k) for k in allowed]))
    is_device = doc["device_id"].isNotNull() | doc["metrics"].isNotNull()
    metrics = F.col("_metrics")
    line_reason = (
        F.when(invalid_utf8(F.col("raw_record")), F.lit(INVALID_ENCODING))
        .when(doc.isNull(), F.lit("malformed_json"))
        .when(F.size(unknown) > 0, F.concat(F.lit("unknown_columns:"), F.array_join(F.array_sort(unknown), ",")))
        .when(
            is_device & (doc["id"].isNotNull() | doc["type"].isNotNull() | doc["data"].isNotNull()),
            F.lit("mixed_formats:seed and device fields in one record"),
        )
        .when(
            is_device & doc["metrics"].isNotNull() & metrics.isNull(),
            F.lit("malformed_json:metrics is not an object"),
        )
        .when(is_device & (doc["metrics"].isNull() | (F.size(metrics) == 0)), F.lit("missing_required:metrics"))
    )
    # One map of (key -> value as text) per line, exploded once: the device's metrics, or for a seed record its
    # single (type -> data) entry; null for a failed line, which explode_outer keeps as one row.
    entries = (
        F.when(F.col("_line_reason").isNotNull(), F.lit(None))
        .when(~F.col("_is_device"), F.create_map(F.coalesce(F.col("_type"), F.lit("")), F.col("_data")))
        .otherwise(metrics)
    )
    dev = F.col("_is_device")
    parsed = lines.select(*LINEAGE, F.from_json("raw_record", "map<string,string>").alias("_doc"))
    parsed = parsed.select(
        *LINEAGE,
        "_doc",
        is_device.alias("_is_device"),
        F.from_json(doc["metrics"], "map<string,string>").alias("_metrics"),
    )
    # Per line, before the explode: the line's fields as plain columns, so each reading copies a few
    # strings rather than the whole parsed object.
    fields = parsed.select(
        *LINEAGE,
        "_is_device",
        "_metrics",
        line_reason.alias("_line_reason"),
        F.when(dev, doc["device_id"]).otherwise(doc["id"]).alias("device_id"),
        F.when(dev, F.coalesce(doc["site_id"], site_from_device(doc["device_id"])))
        .otherwise(site_from_device(doc["id"]))
        .alias("site_id"),
        F.when(dev, doc["ts"]).otherwise(doc["date"]).alias("event_raw"),
        doc["type"].alias("_type"),
        doc["data"].alias("_data"),
        doc["unit"].alias("_unit"),
    )
    # The event time, its checks and the id checks are the same for every reading of a line: done per line.
    event_raw = utc_z(F.trim(F.col("event_raw")))
    per_line = fields.select(
        "*",
        F.when(event_raw != "", event_raw).cast(TimestampType()).alias("event_ts"),
        _joined(*_cast_checks(event_raw, "timestamp", "event_ts")).alias("_event_checks"),
        _joined(
            F.when(F.col("device_id").isNull(), F.lit("missing_required:device_id")),
            F.when(F.col("site_id").isNull(), F.lit("missing_required:site_id (device id is not <site>-T<nn>)")),
        ).alias("_id_reason"),
    )
    exploded = per_line.select(
        *LINEAGE,
        "device_id",
        "site_id",
        "event_ts",
        "_event_checks",
        "_id_reason",
        "_type",
        "_unit",
        "_is_device",
        "_line_reason",
        F.explode_outer(entries).alias("_entry_key", "value_raw"),
    )
    parsed_ok, key = F.col("_line_reason").isNull(), F.col("_entry_key")
    seed_metric = _lit_map(SEED_TYPES)[F.col("_type")]
    device_key = F.when(parsed_ok & dev, key)
    exploded = exploded.select(
        "*",
        device_key.alias("_key"),
        F.when(
            parsed_ok,
            F.when(dev, F.coalesce(_lit_map(DEVICE_KEY_METRICS)[key], F.concat(F.lit("?"), key))).otherwise(
                F.coalesce(seed_metric, F.concat(F.lit("?"), F.col("_type")))
            ),
        ).alias("metric"),
        F.when(
            parsed_ok,
            F.when(dev, _lit_map(DEVICE_KEY_UNITS)[key]).otherwise(
                F.coalesce(F.col("_unit"), _lit_map(SEED_DEFAULT_UNITS)[seed_metric])
            ),
        ).alias("unit_raw"),
    )
    metric = F.col("metric")
    seed_reason = F.when(F.col("_type").isNull(), F.lit("missing_required:type")).when(
        metric.startswith("?") & (metric != "?"),
        F.concat(F.lit("unknown_metric_type:"), F.expr("substring(metric, 2)")),
    )
    device_reason = F.when(metric.startswith("?"), F.concat(F.lit("unknown_metric:"), F.expr("substring(metric, 2)")))
    return exploded.select(
        *LINEAGE,
        "_key",
        "device_id",
        "site_id",
        "metric",
        "value_raw",
        "unit_raw",
        "event_ts",
        "_event_checks",
        "_id_reason",
        _first_reason(F.col("_line_reason"), F.when(dev, device_reason).otherwise(seed_reason)).alias("_reason"),
    )


def utc_z(text: Column) -> Column:
    """ISO timestamp text with a trailing 'Z' after a digit dropped (the session time zone is UTC).

    Spark compiles a regular expression per value to resolve a zone suffix; dropping 'Z' avoids that.
    """
    zulu = text.endswith("Z") & F.substring(text, -2, 1).between("0", "9")
    return F.when(zulu, text.substr(F.lit(1), F.length(text) - 1)).otherwise(text)


def _cast_checks(raw: Column, dtype: str, name: str) -> list[Column]:
    """cast_columns' checks for one required string column: present but not castable, or missing."""
    present = raw.isNotNull() & (raw != "")
    return [
        F.when(present & raw.cast(dtype).isNull(), F.lit(f"invalid_type:{name}")),
        F.when(~present, F.lit(f"missing_required:{name}")),
    ]


def tag_readings(lines: DataFrame, now: datetime | None = None) -> DataFrame:
    """Raw telemetry lines to telemetry_readings rows with lineage and ``_reason`` (null = valid), in one pass.

    The checks run in the order of the former chain of filters (parse, format, cast, ids, unit, contract
    rules) and a row carries the reasons of the first step it fails, so quarantine reasons are unchanged.
    """
    readings = parse_telemetry(lines)
    value_raw = F.trim(F.col("value_raw"))
    cast_reason = _joined(*_cast_checks(value_raw, "double", "value"), F.col("_event_checks"))
    typed = readings.select(
        *LINEAGE,
        "_key",
        "device_id",
        "site_id",
        "metric",
        F.when(value_raw != "", value_raw).cast(DoubleType()).alias("value"),
        "unit_raw",
        "event_ts",
        _first_reason(F.col("_reason"), cast_reason, F.col("_id_reason")).alias("_reason"),
    )
    value, unit = to_canonical(F.col("value"), F.col("unit_raw"), F.col("metric"))
    unit_reason = F.when(
        F.col("_converted").isNull(),
        F.concat(F.lit("unknown_unit:"), F.coalesce(F.col("unit_raw"), F.lit("<none>")), F.lit(" for "), "metric"),
    )
    shaped = typed.withColumn("_converted", value).select(
        "line_no",
        "raw_record",
        "_key",
        "device_id",
        "site_id",
        "metric",
        F.col("_converted").alias("value"),
        unit.alias("unit"),
        "event_ts",
        "ingested_ts",
        "source_file",
        F.to_date("event_ts").alias("event_date"),
        _first_reason(F.col("_reason"), unit_reason).alias("_reason"),
    )
    contract = get_contract("telemetry_readings")
    tagged = shaped.withColumn("_reason", _first_reason(F.col("_reason"), failure_reason(shaped, contract, now)))
    # Quarantine needs the record as received (an exploded device reading: plus its key, to show which one
    # failed); valid rows do not carry it.
    raw = F.when(F.col("_key").isNotNull(), F.concat(F.col("raw_record"), F.lit(" #"), F.col("_key"))).otherwise(
        F.col("raw_record")
    )
    return tagged.withColumn("raw_record", F.when(F.col("_reason").isNotNull(), raw)).drop("_key")


def telemetry_readings(lines: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """Raw telemetry lines to (valid telemetry_readings rows with lineage, quarantine rows)."""
    # One materialisation feeds both outputs (and the job's counts): the lines are parsed once per run.
    tagged = materialise(tag_readings(lines, now))
    valid = tagged.where(F.col("_reason").isNull()).drop("_reason", "raw_record")
    return valid, rejects(tagged.where(F.col("_reason").isNotNull()), "_reason")
