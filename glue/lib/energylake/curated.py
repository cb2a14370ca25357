"""Curated builds: hourly site generation, grid-vs-weather, trading analytics and wind-farm daily metrics."""

from __future__ import annotations

import csv
from importlib import resources

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from energylake.contracts import get_contract
from energylake.parse import split_by_reason
from energylake.quality import apply_quality
from energylake.telemetry import OPERATING_BANDS

SITES_SCHEMA = StructType(
    [
        StructField("site_id", StringType(), False),
        StructField("name", StringType(), False),
        StructField("site_type", StringType(), False),
        StructField("latitude", DoubleType(), False),
        StructField("longitude", DoubleType(), False),
        StructField("capacity_mw", DoubleType(), False),
        StructField("hub_height_m", DoubleType(), False),
        StructField("weather_zone", StringType(), False),
        StructField("settlement_point", StringType(), False),
    ]
)


def load_sites(spark: SparkSession) -> DataFrame:
    """The lake's sites (reference/sites.csv shipped in the wheel) as a DataFrame."""
    text = resources.files("energylake.reference").joinpath("sites.csv").read_text(encoding="utf-8")
    rows = []
    for rec in csv.DictReader(text.splitlines()):
        rows.append(
            tuple(float(rec[f.name]) if isinstance(f.dataType, DoubleType) else rec[f.name] for f in SITES_SCHEMA)
        )
    return spark.createDataFrame(rows, SITES_SCHEMA)


def _conform(frame: DataFrame, name: str) -> DataFrame:
    contract = get_contract(name)
    return frame.select(*[F.col(c.name).cast(c.type) for c in contract.columns])


def site_hourly_generation(readings: DataFrame, weather: DataFrame, sites: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Active power per site and hour (MWh = mean MW over the hour, summed over devices) joined with weather.

    Readings of sites missing from the reference data and rows breaking the contract are quarantined.
    """
    power = readings.where(F.col("metric") == "active_power").withColumn("hour_ts", F.date_trunc("hour", "event_ts"))
    per_device = power.groupBy("site_id", "device_id", "hour_ts").agg(
        F.avg("value").alias("_mwh"), F.count(F.lit(1)).alias("_n")
    )
    hourly = per_device.groupBy("site_id", "hour_ts").agg(
        F.sum("_mwh").alias("generation_mwh"), F.sum("_n").alias("reading_count")
    )
    joined = hourly.join(F.broadcast(sites.select("site_id", "site_type", "capacity_mw")), "site_id", "left")
    joined, unknown = split_by_reason(
        joined, F.when(F.col("capacity_mw").isNull(), F.concat(F.lit("unknown_site:"), F.col("site_id")))
    )
    w = weather.select(
        "site_id",
        F.col("observation_ts").alias("hour_ts"),
        F.col("wind_speed_100m_ms").alias("avg_wind_speed_ms"),
        F.col("shortwave_radiation_wm2").alias("avg_irradiance_wm2"),
        "temperature_c",
        "cloud_cover_pct",
    )
    out = joined.join(w, ["site_id", "hour_ts"], "left").select(
        "*",
        (F.col("generation_mwh") / F.col("capacity_mw")).alias("capacity_factor"),
        F.to_date("hour_ts").alias("event_date"),
    )
    valid, bad = apply_quality(_conform(out, "site_hourly_generation"), get_contract("site_hourly_generation"))
    return valid, unknown.unionByName(bad)


def grid_weather_hourly(load: DataFrame, prices: DataFrame, fuel: DataFrame, weather: DataFrame) -> DataFrame:
    """ERCOT TOTAL load per hour with hub prices, wind/solar generation and weather averaged over the sites."""
    total = (
        load.where(F.col("weather_zone") == "TOTAL")
        .groupBy(F.col("interval_start_ts").alias("hour_ts"))
        .agg(F.avg("load_mw").alias("total_load_mw"))
    )
    hubs = (
        prices.where(F.col("settlement_point_type").isin("HU", "SH"))
        .groupBy(F.date_trunc("hour", "interval_start_ts").alias("hour_ts"))
        .agg(
            F.avg("price_usd_mwh").alias("avg_hub_price_usd_mwh"), F.max("price_usd_mwh").alias("max_hub_price_usd_mwh")
        )
    )
    gen = (
        fuel.where(F.lower("fuel_type").isin("wind", "solar"))
        .groupBy(F.date_trunc("hour", "interval_start_ts").alias("hour_ts"))
        .agg(
            F.avg(F.when(F.lower("fuel_type") == "wind", F.col("generation_mw"))).alias("wind_generation_mw"),
            F.avg(F.when(F.lower("fuel_type") == "solar", F.col("generation_mw"))).alias("solar_generation_mw"),
        )
    )
    wx = weather.groupBy(F.col("observation_ts").alias("hour_ts")).agg(
        F.avg("temperature_c").alias("avg_temperature_c"),
        F.avg("wind_speed_100m_ms").alias("avg_wind_speed_ms"),
        F.avg("shortwave_radiation_wm2").alias("avg_irradiance_wm2"),
    )
    out = total.join(hubs, "hour_ts", "left").join(gen, "hour_ts", "left").join(wx, "hour_ts", "left")
    return _conform(out.withColumn("event_date", F.to_date("hour_ts")), "grid_weather_hourly")


BILLABLE = ("settled", "pending")


def daily_energy_consumption(transactions: DataFrame, customers: DataFrame) -> DataFrame:
    """Energy and amount per customer and day from settled and pending transactions."""
    tx = transactions.where(F.col("status").isin(*BILLABLE))
    daily = tx.groupBy(F.col("transaction_date").alias("consumption_date"), "customer_id").agg(
        F.sum("energy_mwh").alias("energy_mwh"),
        F.sum("amount").alias("amount"),
        F.count(F.lit(1)).alias("transaction_count"),
    )
    out = daily.join(customers.select("customer_id", "region", "segment"), "customer_id", "inner")
    return _conform(out, "daily_energy_consumption")


def client_analytics(
    customers: DataFrame, transactions: DataFrame, contracts: DataFrame, providers: DataFrame
) -> DataFrame:
    """One row per customer: lifetime energy, amount, average price, active contracts and preferred energy type."""
    tx = transactions.where(F.col("status").isin(*BILLABLE))
    totals = tx.groupBy("customer_id").agg(
        F.sum("energy_mwh").alias("total_energy_mwh"),
        F.sum("amount").alias("total_amount"),
        F.count(F.lit(1)).alias("transaction_count"),
        F.min("transaction_ts").alias("first_transaction_ts"),
        F.max("transaction_ts").alias("last_transaction_ts"),
    )
    by_type = (
        tx.join(providers.select("provider_id", "energy_type"), "provider_id")
        .groupBy("customer_id", "energy_type")
        .agg(F.sum("energy_mwh").alias("_e"))
    )
    rank = Window.partitionBy("customer_id").orderBy(F.col("_e").desc(), F.col("energy_type"))
    preferred = (
        by_type.withColumn("_r", F.row_number().over(rank))
        .where("_r = 1")
        .select("customer_id", F.col("energy_type").alias("preferred_energy_type"))
    )
    active = (
        contracts.where(F.col("status") == "active")
        .groupBy("customer_id")
        .agg(F.count(F.lit(1)).alias("active_contracts"))
    )
    out = (
        customers.select("customer_id", F.col("name").alias("customer_name"), "email", "segment", "region")
        .join(totals, "customer_id", "left")
        .join(active, "customer_id", "left")
        .join(preferred, "customer_id", "left")
        .select(
            "*",
            F.when(F.col("total_energy_mwh") > 0, F.col("total_amount") / F.col("total_energy_mwh")).alias(
                "avg_price_per_mwh"
            ),
        )
        .fillna(0, ["total_energy_mwh", "total_amount", "transaction_count", "active_contracts"])
    )
    return _conform(out, "client_analytics")


def windfarm_daily_metrics(readings: DataFrame) -> DataFrame:
    """Daily avg/min/max/p95 and out-of-band count per site, device and metric."""
    lo = F.create_map(*[x for m, (a, _) in OPERATING_BANDS.items() for x in (F.lit(m), F.lit(a))])[F.col("metric")]
    hi = F.create_map(*[x for m, (_, b) in OPERATING_BANDS.items() for x in (F.lit(m), F.lit(b))])[F.col("metric")]
    out_of_band = F.when(lo.isNotNull() & ((F.col("value") < lo) | (F.col("value") > hi)), 1).otherwise(0)
    out = readings.groupBy("site_id", "device_id", "metric", F.to_date("event_ts").alias("metric_date")).agg(
        F.avg("value").alias("avg_value"),
        F.min("value").alias("min_value"),
        F.max("value").alias("max_value"),
        F.percentile("value", 0.95).alias("p95_value"),
        F.count(F.lit(1)).alias("reading_count"),
        F.sum(out_of_band).alias("out_of_band_count"),
    )
    return _conform(out, "windfarm_daily_metrics")
