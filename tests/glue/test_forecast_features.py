"""Forecast features: the library function (chispa), its agreement with the forecast's pandas features, and the
Glue job through the local runner (incremental rebuild of the dates whose history changed)."""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from chispa import assert_df_equality

from analytics.forecast.features import FEATURES, build_features
from analytics.forecast.synthetic import generate_site_hourly_generation
from energylake.contracts import get_contract
from energylake.forecast_features import dates_to_rebuild, forecast_features
from energylake.schema import struct_type
from lakectl import runner
from lakectl.catalog import Catalog

GEN = get_contract("site_hourly_generation")
WEATHER = get_contract("weather_hourly")


def _generation(spark, rows: list[tuple[str, datetime, float]]):
    """site_hourly_generation rows for one 10 MW wind site from (site, hour, capacity factor)."""
    data = [(s, "wind", ts, cf * 10, 10.0, cf, 8.0, None, 20.0, 50.0, 6, ts.date()) for s, ts, cf in rows]
    return spark.createDataFrame(data, struct_type(GEN))


def test_lags_join_on_the_exact_earlier_hour_and_use_the_previous_day_mean(spark):
    rows = [
        ("S", datetime(2024, 7, 1, 10), 0.1),
        ("S", datetime(2024, 7, 1, 11), 0.3),
        ("S", datetime(2024, 7, 2, 10), 0.5),  # 11:00 on 07-02 is missing
        ("S", datetime(2024, 7, 3, 10), 0.7),
        ("S", datetime(2024, 7, 3, 11), 0.9),
    ]
    out = forecast_features(_generation(spark, rows)).select(
        "site_id", "hour_ts", "cf_lag_24h", "cf_lag_48h", "cf_prev_day_mean", "persistence_mwh", "event_date"
    )
    expected = spark.createDataFrame(
        [
            ("S", datetime(2024, 7, 1, 10), None, None, None, None, date(2024, 7, 1)),
            ("S", datetime(2024, 7, 1, 11), None, None, None, None, date(2024, 7, 1)),
            ("S", datetime(2024, 7, 2, 10), 0.1, None, 0.2, 1.0, date(2024, 7, 2)),
            ("S", datetime(2024, 7, 3, 10), 0.5, 0.1, 0.5, 5.0, date(2024, 7, 3)),
            ("S", datetime(2024, 7, 3, 11), None, 0.3, 0.5, None, date(2024, 7, 3)),
        ],
        out.schema,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True, allow_nan_equality=True)
    full = forecast_features(_generation(spark, rows)).where("hour_ts = '2024-07-03 10:00:00'").first()
    assert full.is_wind == 1.0 and full.wind_cubed == pytest.approx(512.0)
    assert full.hour_sin == pytest.approx(np.sin(2 * np.pi * 10 / 24))
    assert [c.name for c in get_contract("site_forecast_features").columns] == forecast_features(
        _generation(spark, rows)
    ).columns


def _weather(spark, site: str, start: datetime, hours: int, kind: str = "forecast"):
    """weather_hourly rows for ``hours`` consecutive hours (wind 9 m/s at hub height)."""
    stamps = pd.date_range(start, periods=hours, freq="h").to_pydatetime()
    data = [(site, ts, 25.0, 6.0, 9.0, 300.0, 40.0, kind, datetime(2024, 7, 1), ts.date()) for ts in stamps]
    return spark.createDataFrame(data, struct_type(WEATHER))


def test_next_day_rows_cover_weather_hours_without_generation_through_the_following_day(spark):
    history = [("S", datetime(2024, 7, 1, 0) + pd.Timedelta(hours=h), 0.01 * (h % 24)) for h in range(24 + 13)]
    history = [r for r in history if r[1] != datetime(2024, 7, 2, 5)]  # a gap inside history, not "next day"
    weather = _weather(spark, "S", datetime(2024, 7, 1), 24 * 4).unionByName(  # through 07-04 23:00
        _weather(spark, "NOHIST", datetime(2024, 7, 2), 48)  # weather but no history: nothing to forecast from
    )
    out = forecast_features(_generation(spark, history), weather).toPandas()
    out["hour_ts"] = pd.to_datetime(out["hour_ts"])
    nxt = out[out.row_kind == "next_day"].sort_values("hour_ts")
    expected_hours = pd.date_range("2024-07-02 13:00", "2024-07-03 23:00", freq="h")
    assert nxt.hour_ts.tolist() == list(expected_hours)  # 11 h of 07-02 + all of 07-03, none of 07-04
    assert set(nxt.site_id) == {"S"} and nxt.generation_mwh.isna().all() and nxt.capacity_factor.isna().all()
    assert (out[out.row_kind == "history"].shape[0], len(out)) == (len(history), len(history) + 35)
    assert not ((out.hour_ts == datetime(2024, 7, 2, 5)).any())
    row = nxt.set_index("hour_ts")
    assert row.loc["2024-07-03 10:00", "cf_lag_24h"] == pytest.approx(0.10)  # 07-02 10:00 is history
    assert np.isnan(row.loc["2024-07-03 14:00", "cf_lag_24h"])  # 07-02 14:00 had no generation
    assert row.loc["2024-07-03 10:00", "cf_lag_48h"] == pytest.approx(0.10)
    day2 = [cf for _, ts, cf in history if ts.date() == date(2024, 7, 2)]
    assert row.loc["2024-07-03 10:00", "cf_prev_day_mean"] == pytest.approx(sum(day2) / len(day2))
    assert (
        row.loc["2024-07-02 20:00", "avg_wind_speed_ms"] == 9.0 and row.loc["2024-07-02 20:00", "wind_cubed"] == 729.0
    )
    assert (nxt.capacity_mw == 10.0).all() and (nxt.site_type == "wind").all()


def test_features_equal_the_forecast_packages_own_feature_engineering(spark):
    sample = generate_site_hourly_generation(seed=3, days=5)
    spark_rows = forecast_features(spark.createDataFrame(sample, struct_type(GEN))).toPandas()
    spark_rows["hour_ts"] = pd.to_datetime(spark_rows["hour_ts"]).dt.tz_localize(None)
    pandas_rows = build_features(sample).dropna(subset=["capacity_factor"])
    cols = ["site_id", "hour_ts", *FEATURES, "persistence_mwh"]
    left = spark_rows[cols].sort_values(["site_id", "hour_ts"]).reset_index(drop=True)
    right = pandas_rows[cols].sort_values(["site_id", "hour_ts"]).reset_index(drop=True)
    assert len(left) == len(sample)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-9, atol=1e-12)


def test_dates_to_rebuild_cover_the_lag_window():
    rebuild, history = dates_to_rebuild({"2024-07-10"})
    assert rebuild == {"2024-07-10", "2024-07-11", "2024-07-12"}
    assert min(history) == "2024-07-08" and max(history) == "2024-07-13"
    rebuild, history = dates_to_rebuild(set(), {"2024-07-20"})  # new forecast weather only
    assert rebuild == {"2024-07-20"} and history == {"2024-07-18", "2024-07-19", "2024-07-20", "2024-07-21"}


def _publish_generation(s3, bucket: str, frame: pd.DataFrame, version: str) -> None:
    """Write site_hourly_generation partitions as a curated job would and point the catalog at them."""
    catalog = Catalog()
    catalog.ensure_database("energy_curated")
    root = f"s3://{bucket}/site_hourly_generation/"
    catalog.register_table(GEN, "energy_curated", root)
    for day, part in frame.groupby(frame["hour_ts"].dt.date):
        key = f"site_hourly_generation/event_date={day}/v={version}/part-00000.snappy.parquet"
        buf = io.BytesIO()
        data = part.drop(columns=["event_date"]).assign(hour_ts=part["hour_ts"].dt.tz_localize("UTC"))
        pq.write_table(pa.Table.from_pandas(data, preserve_index=False), buf, coerce_timestamps="us")
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
        catalog.put_partition(GEN, "energy_curated", (str(day),), f"s3://{bucket}/{key.rsplit('/', 1)[0]}/")


def _publish_weather(s3, bucket: str, frame: pd.DataFrame) -> None:
    """Write weather_hourly partitions as openmeteo_to_transform would and register them in the catalog."""
    catalog = Catalog()
    catalog.ensure_database("energy_transform")
    catalog.register_table(WEATHER, "energy_transform", f"s3://{bucket}/weather_hourly/")
    for day, part in frame.groupby(frame["observation_ts"].dt.date):
        key = f"weather_hourly/weather_date={day}/v=w1/part-00000.snappy.parquet"
        buf = io.BytesIO()
        data = part.assign(
            observation_ts=part["observation_ts"].dt.tz_localize("UTC"), fetched_ts=pd.Timestamp("2024-07-05", tz="UTC")
        )
        pq.write_table(pa.Table.from_pandas(data, preserve_index=False), buf, coerce_timestamps="us")
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
        catalog.put_partition(WEATHER, "energy_transform", (str(day),), f"s3://{bucket}/{key.rsplit('/', 1)[0]}/")


def _forecast_weather(sites: list[str], day: str) -> pd.DataFrame:
    """Open-Meteo forecast weather (weather_hourly columns, partition column excluded) for every hour of ``day``."""
    hours = pd.date_range(day, periods=24, freq="h")
    return pd.DataFrame(
        [(site, ts, 24.0, 5.0, 8.5, 250.0, 30.0, "forecast") for site in sites for ts in hours],
        columns=[c.name for c in WEATHER.columns if c.name not in ("fetched_ts", "weather_date")],
    )


def _read_features(s3) -> pd.DataFrame:
    frames = []
    for values, location in Catalog().partitions("energy_curated", "site_forecast_features").items():
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            frames.append(pd.read_parquet(io.BytesIO(body)).assign(event_date=values[0]))
    return pd.concat(frames, ignore_index=True)


def test_job_builds_features_and_rebuilds_only_dates_whose_history_changed(aws, s3, spark):
    runner.ensure_buckets()
    curated = runner.placeholders()["curated"]
    sample = generate_site_hourly_generation(seed=4, days=5, start="2024-07-01")
    _publish_generation(s3, curated, sample, "a")
    sites = sorted(sample.site_id.unique())
    _publish_weather(s3, runner.placeholders()["transform"], _forecast_weather(sites, "2024-07-06"))
    next_day = 24 * len(sites)  # every site, every hour of 07-06: weather but no generation yet

    first = runner.run_job("curated_forecast_features")
    assert first.status == "succeeded" and first.balanced
    assert first.rows_read == len(sample) and first.rows_written == len(sample) + next_day
    assert first.details["next_day_rows"] == next_day
    features = _read_features(s3)
    assert len(features) == len(sample) + next_day and sorted(features.event_date.unique())[0] == "2024-07-01"
    ahead = features[features.row_kind == "next_day"]
    assert set(ahead.event_date) == {"2024-07-06"} and ahead.generation_mwh.isna().all()
    assert ahead.cf_lag_24h.notna().all() and (ahead.avg_wind_speed_ms == 8.5).all()
    day3 = features[(features.site_id == "WF-ROSCOE") & (features.hour_ts.astype(str).str.startswith("2024-07-03"))]
    assert day3.cf_lag_48h.notna().all()

    assert runner.run_job("curated_forecast_features").rows_read == 0  # nothing changed: nothing rebuilt

    changed = sample[sample.hour_ts.dt.date == date(2024, 7, 4)].assign(capacity_factor=0.5)
    _publish_generation(s3, curated, changed, "b")
    third = runner.run_job("curated_forecast_features")
    assert third.partitions_written == 3  # 07-04, 07-05 and the next-day rows of 07-06 (lags from 07-05)
    after = _read_features(s3)
    roscoe = after[after.site_id == "WF-ROSCOE"].set_index(after[after.site_id == "WF-ROSCOE"].hour_ts.astype(str))
    assert roscoe.loc["2024-07-05 10:00:00", "cf_lag_24h"] == 0.5
    assert roscoe.loc["2024-07-05 10:00:00", "cf_prev_day_mean"] == pytest.approx(0.5)
    assert (
        roscoe.loc["2024-07-06 10:00:00", "cf_lag_48h"] == 0.5
        and roscoe.loc["2024-07-06 10:00:00", "row_kind"] == "next_day"
    )
    assert len(after) == len(sample) + next_day
