"""Next-day hourly generation forecast features (``site_forecast_features``) from ``site_hourly_generation``.

Issue time is the end of day D-1 and the target is each hour of day D, so the features only use what is known
then: the site's type and size, calendar terms, the target hour's weather (curated from Open-Meteo), the
capacity factor of the same hour 24 h and 48 h earlier and the mean of day D-1. Lags join on the exact earlier
hour, so a missing hour gives a null lag instead of shifting the series.

With the site's weather (``weather_hourly``, observed or Open-Meteo forecast) the same features are also built
for the hours that have weather but no generation yet, from just after the site's last generation hour to the
end of the following UTC day (``horizon_days``): ``row_kind = 'next_day'``, target null. Those are the rows the
forecast scores (``analytics.forecast.inference``); training uses ``row_kind = 'history'`` only.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from energylake.contracts import get_contract

DATASET = "site_forecast_features"
LAG_DAYS = 2  # the oldest history a day's features read (cf_lag_48h)
HISTORY, NEXT_DAY = "history", "next_day"


def _lag(frame: DataFrame, hours: int, source: str, name: str) -> DataFrame:
    """``source`` of the hour ``hours`` earlier, keyed by the later hour."""
    shifted = F.col("hour_ts") + F.expr(f"INTERVAL {hours} HOURS")
    return frame.select("site_id", shifted.alias("hour_ts"), F.col(source).alias(name))


_BASE = (
    "site_id",
    "site_type",
    "hour_ts",
    "capacity_mw",
    "generation_mwh",
    "capacity_factor",
    "avg_wind_speed_ms",
    "avg_irradiance_wm2",
    "temperature_c",
    "cloud_cover_pct",
)


def next_day_hours(generation: DataFrame, weather: DataFrame, horizon_days: int = 1) -> DataFrame:
    """Weather hours with no generation yet: after each site's last generation hour, through the next UTC day.

    Sites without any generation history get none (there is no issue day to forecast from); the site's type
    and capacity come from its history. Columns are ``_BASE`` with a null target.
    """
    last = generation.groupBy("site_id").agg(
        F.max("hour_ts").alias("_last"),
        F.first("site_type").alias("site_type"),
        F.first("capacity_mw").alias("capacity_mw"),
    )
    hours = weather.select(
        "site_id",
        F.col("observation_ts").alias("hour_ts"),
        F.col("wind_speed_100m_ms").alias("avg_wind_speed_ms"),
        F.col("shortwave_radiation_wm2").alias("avg_irradiance_wm2"),
        "temperature_c",
        "cloud_cover_pct",
    ).dropDuplicates(["site_id", "hour_ts"])
    ahead = hours.join(last, "site_id").where(
        (F.col("hour_ts") > F.col("_last")) & (F.to_date("hour_ts") <= F.date_add(F.to_date("_last"), horizon_days))
    )
    return ahead.select(
        *[
            F.lit(None).cast("double").alias(c) if c in ("generation_mwh", "capacity_factor") else F.col(c)
            for c in _BASE
        ]
    )


def forecast_features(generation: DataFrame, weather: DataFrame | None = None, horizon_days: int = 1) -> DataFrame:
    """site_hourly_generation rows -> one feature row per (site, hour) (contract columns).

    History rows carry the target; with ``weather`` the next-day rows (``next_day_hours``) are added, target null.
    """
    base = generation.select(*_BASE)
    rows = base.withColumn("row_kind", F.lit(HISTORY))
    if weather is not None:
        rows = rows.unionByName(next_day_hours(base, weather, horizon_days).withColumn("row_kind", F.lit(NEXT_DAY)))
    daily = (
        base.groupBy("site_id", F.to_date("hour_ts").alias("_day"))
        .agg(F.avg("capacity_factor").alias("cf_prev_day_mean"))
        .withColumn("_day", F.date_add("_day", 1))  # D-1's mean is known when forecasting day D
    )
    out = (
        rows.join(_lag(base, 24, "capacity_factor", "cf_lag_24h"), ["site_id", "hour_ts"], "left")
        .join(_lag(base, 48, "capacity_factor", "cf_lag_48h"), ["site_id", "hour_ts"], "left")
        .join(_lag(base, 24, "generation_mwh", "persistence_mwh"), ["site_id", "hour_ts"], "left")
        .withColumn("_day", F.to_date("hour_ts"))
        .join(daily, ["site_id", "_day"], "left")
    )
    hour = F.hour("hour_ts").cast("double")
    doy = F.dayofyear("hour_ts").cast("double")
    out = out.select(
        "*",
        F.when(F.col("site_type") == "wind", 1.0).otherwise(0.0).alias("is_wind"),
        F.sin(2 * math.pi * hour / 24).alias("hour_sin"),
        F.cos(2 * math.pi * hour / 24).alias("hour_cos"),
        F.sin(2 * math.pi * doy / 365.25).alias("doy_sin"),
        F.cos(2 * math.pi * doy / 365.25).alias("doy_cos"),
        F.pow(F.least(F.col("avg_wind_speed_ms"), F.lit(14.0)), 3).alias("wind_cubed"),
        F.col("_day").alias("event_date"),
    )
    contract = get_contract(DATASET)
    return out.select(*[F.col(c.name).cast(c.type) for c in contract.columns])


def dates_to_rebuild(changed: set[str], weather_changed: set[str] = frozenset()) -> tuple[set[str], set[str]]:
    """(feature dates to rewrite, history dates to read) when these generation (and weather) dates changed.

    A changed generation day D changes the lags of D+1 and D+2, and rebuilding D..D+2 needs history from D-2.
    A changed weather day W changes W's next-day rows. History is also read one day past each rebuilt day, so
    an hour whose generation arrives later that day is a gap in history, not a next-day hour.
    """
    days = {date.fromisoformat(d) for d in changed}
    rebuild = {d + timedelta(days=k) for d in days for k in range(LAG_DAYS + 1)}
    rebuild |= {date.fromisoformat(d) for d in weather_changed}
    read = {d + timedelta(days=k) for d in rebuild for k in range(-LAG_DAYS, 2)}
    return {d.isoformat() for d in rebuild}, {d.isoformat() for d in read}
