"""Open-Meteo forecast/archive responses (one JSON document per file) to weather_hourly rows."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, IntegerType, MapType, StringType, StructField, StructType

from energylake.contracts import get_contract
from energylake.dedup import deduplicate
from energylake.openmeteo_formats import observation_time
from energylake.parse import CORRUPT, INVALID_ENCODING, invalid_utf8, split_by_reason, union_rejects
from energylake.quality import apply_quality
from energylake.units import convert_to

# Open-Meteo `hourly` variables -> weather_hourly columns and their canonical units.
HOURLY_VARIABLES = {
    "temperature_2m": ("temperature_c", "degC"),
    "wind_speed_10m": ("wind_speed_10m_ms", "m/s"),
    "wind_speed_100m": ("wind_speed_100m_ms", "m/s"),
    "shortwave_radiation": ("shortwave_radiation_wm2", "W/m2"),
    "cloud_cover": ("cloud_cover_pct", "%"),
}
# The API's default units when a response omits hourly_units (km/h is Open-Meteo's default wind unit).
DEFAULT_UNITS = {
    "temperature_2m": "°C",
    "wind_speed_10m": "km/h",
    "wind_speed_100m": "km/h",
    "shortwave_radiation": "W/m²",
    "cloud_cover": "%",
}

RESPONSE_SCHEMA = StructType(
    [
        StructField("latitude", DoubleType()),
        StructField("longitude", DoubleType()),
        StructField("utc_offset_seconds", IntegerType()),
        StructField("timezone", StringType()),
        StructField("hourly_units", MapType(StringType(), StringType())),
        StructField(
            "hourly",
            StructType(
                [StructField("time", ArrayType(StringType()))]
                + [StructField(v, ArrayType(DoubleType())) for v in HOURLY_VARIABLES]
            ),
        ),
        StructField(CORRUPT, StringType()),
    ]
)
KEY_PATTERN = r"openmeteo/(forecast|archive)/([^/]+)/(\d{4})/(\d{2})/(\d{2})/(\d{2})(\d{2})\.json$"


def weather_hourly(files: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """Whole-file rows (source_file, raw_record = JSON text, ingested_ts) to (weather rows, quarantine rows)."""
    docs = files.select(
        "source_file",
        "ingested_ts",
        "raw_record",
        F.from_json("raw_record", RESPONSE_SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}).alias(
            "d"
        ),
        F.regexp_extract("source_file", KEY_PATTERN, 1).alias("data_kind"),
        F.regexp_extract("source_file", KEY_PATTERN, 2).alias("site_id"),
        F.to_timestamp(
            F.concat_ws("", *[F.regexp_extract("source_file", KEY_PATTERN, i) for i in range(3, 8)]), "yyyyMMddHHmm"
        ).alias("fetched_ts"),
    )
    n_times = F.size("d.hourly.time")
    lengths_ok = F.lit(True)
    for var in HOURLY_VARIABLES:
        lengths_ok = lengths_ok & (F.col(f"d.hourly.{var}").isNull() | (F.size(f"d.hourly.{var}") == n_times))
    # Schema drift: every requested variable must be there, and nothing else (a rename would load as nulls).
    keys = F.map_keys(F.from_json(F.get_json_object("raw_record", "$.hourly"), "map<string,string>"))
    wanted = F.array(*[F.lit(k) for k in ("time", *HOURLY_VARIABLES)])
    unknown, missing = F.array_except(keys, wanted), F.array_except(wanted, keys)
    reason = (
        F.when(invalid_utf8(F.col("raw_record")), INVALID_ENCODING)
        .when(F.col("d").isNull() | F.col(f"d.{CORRUPT}").isNotNull(), "malformed_json")
        .when(
            F.col("site_id") == "",
            "unexpected_key:expected openmeteo/<forecast|archive>/<site_id>/YYYY/MM/DD/HHMM.json",
        )
        .when(F.col("d.hourly.time").isNull(), "missing_required:hourly.time")
        .when(F.size(unknown) > 0, F.concat(F.lit("unknown_columns:hourly."), F.array_join(F.array_sort(unknown), ",")))
        .when(F.size(missing) > 0, F.concat(F.lit("missing_columns:hourly."), F.array_join(F.array_sort(missing), ",")))
        .when(~lengths_ok, "malformed_json:hourly arrays differ in length")
    )
    docs, bad_docs = split_by_reason(docs, reason)
    offset = F.coalesce(F.col("d.utc_offset_seconds"), F.lit(0))
    hours = docs.select(
        "source_file",
        "ingested_ts",
        "data_kind",
        "site_id",
        "fetched_ts",
        offset.alias("_offset"),
        F.col("d.hourly_units").alias("_units"),
        F.posexplode("d.hourly.time").alias("line_no", "_time"),
        *[F.col(f"d.hourly.{v}").alias(f"_arr_{v}") for v in HOURLY_VARIABLES],
    )
    cols = []
    for var, (name, canon) in HOURLY_VARIABLES.items():
        unit = F.coalesce(F.col("_units")[var], F.lit(DEFAULT_UNITS[var]))
        raw = F.col(f"_arr_{var}")[F.col("line_no")]
        cols.append(
            F.when(raw.isNull(), F.lit(None).cast("double")).otherwise(convert_to(raw, unit, F.lit(canon))).alias(name)
        )
        cols.append(
            F.when(
                raw.isNotNull() & convert_to(raw, unit, F.lit(canon)).isNull(),
                F.concat(F.lit(f"unknown_unit:{var}="), unit),
            ).alias(f"_bad_{var}")
        )
    obs = observation_time(F.col("_time"), F.col("_offset"))
    shaped = hours.select(
        "source_file",
        "line_no",
        # The hour as received (its index, time and values): text also when the time is null.
        F.to_json(
            F.struct(
                F.col("line_no").alias("hour_index"),
                F.col("_time").alias("time"),
                *[F.col(f"_arr_{v}")[F.col("line_no")].alias(v) for v in HOURLY_VARIABLES],
            )
        ).alias("raw_record"),
        "ingested_ts",
        "site_id",
        obs.alias("observation_ts"),
        *cols,
        "data_kind",
        "fetched_ts",
        F.to_date(obs).alias("weather_date"),
    )
    unit_reason = F.concat_ws("; ", *[F.col(f"_bad_{v}") for v in HOURLY_VARIABLES])
    shaped, bad_units = split_by_reason(
        shaped,
        F.when(F.col("observation_ts").isNull(), F.lit("invalid_type:time")).when(unit_reason != "", unit_reason),
    )
    shaped = shaped.drop(*[f"_bad_{v}" for v in HOURLY_VARIABLES])
    valid, bad_quality = apply_quality(shaped, get_contract("weather_hourly"), now)
    return valid, union_rejects([bad_docs, bad_units, bad_quality])


def weather_value_columns() -> list[str]:
    """The measured columns: where the winning row has none, the next-ranked row's value stays."""
    return [name for name, _ in HOURLY_VARIABLES.values()]


def weather_winner_order() -> list:
    """Observed (archive) beats forecast, then the latest fetch, then a stable tie-breaker."""
    return [
        F.when(F.col("data_kind") == "archive", 0).otherwise(1),
        F.col("fetched_ts").desc_nulls_last(),
        F.col("source_file").asc_nulls_last(),
    ]


def dedupe_weather(rows: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(one row per site and hour by weather_winner_order, a null value filled from the next rows; dropped rows)."""
    return deduplicate(rows, ["site_id", "observation_ts"], weather_winner_order(), weather_value_columns())
