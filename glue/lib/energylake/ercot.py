"""ERCOT public reports (landing CSV, published layouts) to the transform tables."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, IntegerType

from energylake.contracts import get_contract
from energylake.ercot_formats import ercot_date, hour_text, range_failures
from energylake.parse import LINEAGE, cast_columns, parse_csv_lines, split_by_reason, union_rejects
from energylake.quality import apply_quality

ERCOT_TZ = "America/Chicago"
WEATHER_ZONES = ("coast", "east", "far_west", "north", "north_c", "southern", "south_c", "west", "total")
# IntGenbyFuel interval-ending columns 0:15 .. 24:00, snake-cased by the CSV parser ("0:15" -> "0_15").
FUEL_INTERVALS = tuple(f"{(m // 60)}_{m % 60:02d}" for m in range(15, 24 * 60 + 1, 15))


def _raw_columns(name: str) -> list[str]:
    return [c.name for c in get_contract(name).columns]


def local_to_utc(local_start: Column, dst_flag: Column) -> Column:
    """Central Prevailing Time to UTC; DSTFlag=Y marks the repeated (standard-time) hour of the fall-back day."""
    utc = F.to_utc_timestamp(local_start, ERCOT_TZ)
    return F.when(dst_flag, utc + F.expr("INTERVAL 1 HOUR")).otherwise(utc)


def _flag(col: str) -> Column:
    return F.upper(F.trim(F.col(col))).isin("Y", "YES", "TRUE")


def system_load(lines: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """NP6-345-CD lines to ercot_system_load rows (one per weather zone and hour)."""
    rows, bad_parse = parse_csv_lines(lines, _raw_columns("raw_ercot_system_load"))
    rows = rows.withColumn("oper_day_raw", F.col("oper_day")).withColumn("oper_day", ercot_date(F.col("oper_day_raw")))
    rows = rows.withColumn("hour_ending", hour_text(F.col("hour_ending")))
    bad_day = F.when(F.col("oper_day").isNull(), F.concat(F.lit("invalid_type:oper_day="), F.col("oper_day_raw")))
    rows, bad_date = split_by_reason(rows, bad_day)
    melted = rows.select(
        *LINEAGE,
        "oper_day",
        "hour_ending",
        "dst_flag",
        F.explode(
            F.array(
                *[F.struct(F.lit(z.upper()).alias("weather_zone"), F.col(z).alias("load_mw")) for z in WEATHER_ZONES]
            )
        ).alias("_z"),
    ).select(
        "source_file",
        "line_no",
        # One quarantine row per zone (like fuel_mix's " #interval n"): the quarantine merge keys on raw_record,
        # so nine identical raw lines would otherwise collapse into one and the counts would disagree.
        F.concat(F.col("raw_record"), F.lit(" #"), F.col("_z.weather_zone")).alias("raw_record"),
        "ingested_ts",
        "oper_day",
        "hour_ending",
        "dst_flag",
        "_z.weather_zone",
        "_z.load_mw",
    )
    typed, bad_cast = cast_columns(
        melted, {"hour_ending": IntegerType(), "load_mw": DoubleType()}, required=("hour_ending", "load_mw")
    )
    dst = _flag("dst_flag")
    local_start = F.to_timestamp(F.col("oper_day")) + F.make_interval(hours=F.col("hour_ending") - 1)
    shaped = typed.select(
        "line_no",
        "raw_record",
        local_to_utc(local_start, dst).alias("interval_start_ts"),
        "hour_ending",
        "weather_zone",
        "load_mw",
        dst.alias("dst_flag"),
        "source_file",
        "ingested_ts",
        "oper_day",
    )
    valid, bad_quality = apply_quality(shaped, get_contract("ercot_system_load"), now)
    return valid, union_rejects([bad_parse, bad_date, bad_cast, bad_quality])


def settlement_prices(lines: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """NP6-905-CD lines to ercot_settlement_prices rows (15-minute intervals)."""
    rows, bad_parse = parse_csv_lines(lines, _raw_columns("raw_ercot_settlement_prices"))
    typed, bad_cast = cast_columns(
        rows.withColumn("_day", ercot_date(F.col("delivery_date"))).withColumn(
            "delivery_hour", hour_text(F.col("delivery_hour"))
        ),
        {"delivery_hour": IntegerType(), "delivery_interval": IntegerType(), "settlement_point_price": DoubleType()},
        required=("delivery_hour", "delivery_interval", "settlement_point_price", "settlement_point_name"),
    )
    # An hour or interval outside its documented range would shift the interval's time onto another one.
    typed, bad_day = split_by_reason(
        typed,
        F.coalesce(
            F.when(F.col("_day").isNull(), F.concat(F.lit("invalid_type:delivery_date="), F.col("delivery_date"))),
            range_failures({name: F.col(name) for name in ("delivery_hour", "delivery_interval")}),
        ),
    )
    dst = _flag("dst_flag")
    minutes = (F.col("delivery_hour") - 1) * 60 + (F.col("delivery_interval") - 1) * 15
    local_start = F.to_timestamp(F.col("_day")) + F.make_interval(mins=minutes)
    shaped = typed.select(
        "line_no",
        "raw_record",
        local_to_utc(local_start, dst).alias("interval_start_ts"),
        F.trim("settlement_point_name").alias("settlement_point"),
        F.trim("settlement_point_type").alias("settlement_point_type"),
        F.col("settlement_point_price").alias("price_usd_mwh"),
        dst.alias("dst_flag"),
        "source_file",
        "ingested_ts",
        F.col("_day").alias("delivery_date"),
    )
    valid, bad_quality = apply_quality(shaped, get_contract("ercot_settlement_prices"), now)
    return valid, union_rejects([bad_parse, bad_cast, bad_day, bad_quality])


def fuel_mix(lines: DataFrame, now: datetime | None = None) -> tuple[DataFrame, DataFrame]:
    """Fuel-mix (IntGenbyFuel layout) lines to ercot_fuel_mix rows: one per fuel and 15-minute interval."""
    rows, bad_parse = parse_csv_lines(lines, [*_raw_columns("raw_ercot_fuel_mix"), *FUEL_INTERVALS])
    # ERCOT writes the fuel-mix date with a 2-digit year ("01/14/24") in some files and 4 digits in others.
    rows = rows.withColumn("_day", ercot_date(F.col("date")))
    rows, bad_day = split_by_reason(
        rows, F.when(F.col("_day").isNull(), F.concat(F.lit("invalid_type:date="), F.col("date")))
    )
    melted = rows.select(
        *LINEAGE,
        "_day",
        F.trim("fuel").alias("fuel_type"),
        F.posexplode(F.array(*[F.col(c) for c in FUEL_INTERVALS])).alias("_i", "generation_mw"),
    )
    typed, bad_cast = cast_columns(melted, {"generation_mw": DoubleType()}, required=("generation_mw",))
    local_start = F.to_timestamp(F.col("_day")) + F.make_interval(mins=F.col("_i") * 15)
    shaped = typed.select(
        "line_no",
        F.concat(F.col("raw_record"), F.lit(" #interval "), (F.col("_i") + 1).cast("string")).alias("raw_record"),
        F.to_utc_timestamp(local_start, ERCOT_TZ).alias("interval_start_ts"),
        "fuel_type",
        "generation_mw",
        "source_file",
        "ingested_ts",
        F.to_date(F.to_utc_timestamp(local_start, ERCOT_TZ)).alias("mix_date"),
    )
    valid, bad_quality = apply_quality(shaped, get_contract("ercot_fuel_mix"), now)
    return valid, union_rejects([bad_parse, bad_day, bad_cast, bad_quality])


REPORTS = {
    "system_load": ("ercot_system_load", system_load),
    "spp_realtime": ("ercot_settlement_prices", settlement_prices),
    "fuel_mix": ("ercot_fuel_mix", fuel_mix),
}
