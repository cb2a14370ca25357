"""Wind-farm (seed) and IoT device telemetry: raw JSON lines to typed, normalised telemetry_readings rows."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, TimestampType

from energylake.contracts import get_contract
from energylake.parse import LINEAGE, cast_columns, parse_json_lines, split_by_reason, union_rejects
from energylake.quality import apply_quality
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

READING_COLUMNS = ("device_id", "site_id", "metric", "value_raw", "unit_raw", "event_raw")


def _lit_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[x for k, v in mapping.items() for x in (F.lit(k), F.lit(v))])


def site_from_device(device_id: Column) -> Column:
    """Site id from a device id '<site_id>-T<nn>' (null when the id does not follow the convention)."""
    site = F.regexp_extract(device_id, r"^(.+)-T\d+$", 1)
    return F.when(site != "", site)


def parse_telemetry(lines: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Parse JSON lines of either telemetry format into one reading per row (strings); bad records quarantined."""
    seed = [c.name for c in get_contract("raw_telemetry_seed").columns]
    device = [c.name for c in get_contract("raw_telemetry_device").columns]
    records, bad_json = parse_json_lines(lines, [*seed, *device])
    is_device = F.col("device_id").isNotNull() | F.col("metrics").isNotNull()
    mixed = F.when(
        is_device & (F.col("id").isNotNull() | F.col("type").isNotNull() | F.col("data").isNotNull()),
        "mixed_formats:seed and device fields in one record",
    )
    records, bad_mixed = split_by_reason(records, mixed)
    seed_rows, bad_seed = normalise_seed(records.where(~is_device))
    device_rows, bad_device = explode_device(records.where(is_device))
    return seed_rows.unionByName(device_rows), union_rejects([bad_json, bad_mixed, bad_seed, bad_device])


def normalise_seed(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Seed records {id, data, type, date, unit?} to readings; unknown `type` names are quarantined."""
    metric = _lit_map(SEED_TYPES)[F.col("type")]
    rows = records.select(
        *LINEAGE,
        F.col("id").alias("device_id"),
        site_from_device(F.col("id")).alias("site_id"),
        F.coalesce(metric, F.concat(F.lit("?"), F.col("type"))).alias("metric"),
        F.col("data").alias("value_raw"),
        F.coalesce(F.col("unit"), _lit_map(SEED_DEFAULT_UNITS)[metric]).alias("unit_raw"),
        F.col("date").alias("event_raw"),
        "type",
    )
    reason = F.when(F.col("type").isNull(), F.lit("missing_required:type")).when(
        F.col("metric").startswith("?") & (F.col("metric") != "?"),
        F.concat(F.lit("unknown_metric_type:"), F.expr("substring(metric, 2)")),
    )
    good, bad = split_by_reason(rows, reason)
    return good.drop("type"), bad


def explode_device(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Device records to one reading per metric key; unknown keys and non-object `metrics` are quarantined."""
    parsed = records.withColumn("_m", F.from_json("metrics", "map<string,string>"))
    bad_obj = parsed.where(F.col("metrics").isNotNull() & F.col("_m").isNull()).withColumn(
        "_r", F.lit("malformed_json:metrics is not an object")
    )
    no_metrics = parsed.where(F.col("metrics").isNull() | (F.size("_m") == 0)).withColumn(
        "_r", F.lit("missing_required:metrics")
    )
    exploded = parsed.where(F.size("_m") > 0).select(
        *LINEAGE, "device_id", "site_id", "ts", F.explode("_m").alias("_key", "_value")
    )
    keys = F.create_map(
        *[x for k, (m, u) in DEVICE_METRIC_KEYS.items() for x in (F.lit(k), F.array(F.lit(m), F.lit(u)))]
    )
    mapped = exploded.withColumn("_mu", keys[F.col("_key")])
    # An exploded reading keeps the whole record as raw_record plus the key, so quarantine shows which one failed.
    rows = mapped.select(
        "source_file",
        "line_no",
        F.concat(F.col("raw_record"), F.lit(" #"), F.col("_key")).alias("raw_record"),
        "ingested_ts",
        "device_id",
        F.coalesce(F.col("site_id"), site_from_device(F.col("device_id"))).alias("site_id"),
        F.coalesce(F.col("_mu")[0], F.concat(F.lit("?"), F.col("_key"))).alias("metric"),
        F.col("_value").alias("value_raw"),
        F.col("_mu")[1].alias("unit_raw"),
        F.col("ts").alias("event_raw"),
    )
    good, bad_key = split_by_reason(
        rows,
        F.when(F.col("metric").startswith("?"), F.concat(F.lit("unknown_metric:"), F.expr("substring(metric, 2)"))),
    )
    from energylake.parse import rejects

    bad = union_rejects([rejects(bad_obj, "_r"), rejects(no_metrics, "_r"), bad_key])
    return good, bad


def to_readings(readings: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """Cast, convert units, add partition columns and apply telemetry_readings quality rules."""
    typed, bad_cast = cast_columns(
        readings.withColumnRenamed("value_raw", "value").withColumnRenamed("event_raw", "event_ts"),
        {"value": DoubleType(), "event_ts": TimestampType()},
        required=("value", "event_ts"),
    )
    missing = F.concat_ws(
        "; ",
        F.when(F.col("device_id").isNull(), F.lit("missing_required:device_id")),
        F.when(F.col("site_id").isNull(), F.lit("missing_required:site_id (device id is not <site>-T<nn>)")),
    )
    typed, bad_ids = split_by_reason(typed, F.when(missing != "", missing))
    value, unit = to_canonical(F.col("value"), F.col("unit_raw"), F.col("metric"))
    converted = typed.withColumn("_converted", value).withColumn("unit", unit)
    converted, bad_unit = split_by_reason(
        converted,
        F.when(
            F.col("_converted").isNull(),
            F.concat(F.lit("unknown_unit:"), F.coalesce(F.col("unit_raw"), F.lit("<none>")), F.lit(" for "), "metric"),
        ),
    )
    contract = get_contract("telemetry_readings")
    shaped = converted.select(
        *[c for c in LINEAGE if c not in ("source_file", "ingested_ts")],
        "device_id",
        "site_id",
        "metric",
        F.col("_converted").alias("value"),
        "unit",
        "event_ts",
        "ingested_ts",
        "source_file",
        F.to_date("event_ts").alias("event_date"),
    )
    valid, bad_quality = apply_quality(shaped, contract, now)
    return valid, union_rejects([bad_cast, bad_ids, bad_unit, bad_quality])


def telemetry_readings(lines: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """Raw telemetry lines to (valid telemetry_readings rows with lineage, quarantine rows)."""
    readings, bad_parse = parse_telemetry(lines)
    valid, bad_rows = to_readings(readings, now)
    return valid, bad_parse.unionByName(bad_rows)
