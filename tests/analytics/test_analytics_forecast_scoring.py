"""Scoring: the trained model forecasts every next-day hour that has weather into site_generation_forecast.

The features come from the Glue library (``energylake.forecast_features``) on a synthetic history whose last day
has weather but no generation; expectations are derived from that weather and sites.csv, not from the scorer.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analytics.forecast import train
from analytics.forecast.inference import input_fn, model_fn, output_fn, predict_fn
from analytics.forecast.scoring import read_forecasts, run, score, write_forecasts
from analytics.forecast.synthetic import generate_site_hourly_generation, load_sites
from energylake.contracts import get_contract

DAYS = 24
TARGET_DAY = pd.Timestamp("2024-03-01") + pd.Timedelta(days=DAYS - 1)
HYPER = {"max_iter": 40, "holdout_days": 3}


def _weather_rows(day: pd.DataFrame) -> pd.DataFrame:
    """The last day's weather in weather_hourly form (the Open-Meteo forecast the features job reads)."""
    return pd.DataFrame(
        {
            "site_id": day.site_id,
            "observation_ts": day.hour_ts,
            "temperature_c": day.temperature_c,
            "wind_speed_10m_ms": day.avg_wind_speed_ms * 0.75,
            "wind_speed_100m_ms": day.avg_wind_speed_ms,
            "shortwave_radiation_wm2": day.avg_irradiance_wm2,
            "cloud_cover_pct": day.cloud_cover_pct,
            "data_kind": "forecast",
            "fetched_ts": TARGET_DAY - pd.Timedelta(hours=6),
            "weather_date": day.hour_ts.dt.date,
        }
    )


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory):
    """Features (history + next-day rows) written as Parquet, and two models trained with the same seed."""
    from energylake.forecast_features import forecast_features
    from energylake.schema import struct_type

    base = tmp_path_factory.mktemp("scoring")
    sample = generate_site_hourly_generation(seed=11, days=DAYS)
    history = sample[sample.hour_ts < TARGET_DAY]
    weather = _weather_rows(sample[sample.hour_ts >= TARGET_DAY])
    # One site's forecast misses two hours (no rows), another hour has a row but no values: both are real cases.
    weather = weather[~((weather.site_id == "WF-ROSCOE") & weather.observation_ts.dt.hour.isin([3, 4]))].copy()
    blank = (weather.site_id == "SF-TAYGETE") & (weather.observation_ts.dt.hour == 12)
    weather.loc[blank, ["temperature_c", "wind_speed_10m_ms", "wind_speed_100m_ms"]] = np.nan
    weather.loc[blank, ["shortwave_radiation_wm2", "cloud_cover_pct"]] = np.nan
    gen_df = spark.createDataFrame(history, struct_type(get_contract("site_hourly_generation")))
    w_df = spark.createDataFrame(weather, struct_type(get_contract("weather_hourly")))
    features = forecast_features(gen_df, w_df).toPandas()
    data = base / "site_forecast_features"
    features.to_parquet(data, partition_cols=["event_date"])
    train(data, base / "model_a", seed=3, **HYPER)
    train(data, base / "model_b", seed=3, **HYPER)
    return {"base": base, "data": data, "features": features, "weather": weather, "sample": sample}


def test_every_site_and_next_day_hour_with_weather_is_forecast(scenario):
    result = score(scenario["features"], model_fn(str(scenario["base"] / "model_a")))
    w = scenario["weather"]
    has_weather = w[["temperature_c", "wind_speed_100m_ms", "shortwave_radiation_wm2", "cloud_cover_pct"]].notna()
    expected = {(s, t) for s, t, ok in zip(w.site_id, w.observation_ts, has_weather.any(axis=1), strict=True) if ok}
    got = set(zip(result.forecasts.site_id, result.forecasts.hour_ts, strict=True))
    assert got == expected and len(result.forecasts) == len(expected) == 5 * 24 - 3
    assert set(result.forecasts.site_id) == set(load_sites().site_id)
    assert result.rejected[["site_id", "reason"]].values.tolist() == [["SF-TAYGETE", "no weather for the hour"]]
    c = result.counts
    assert c["rows_in"] == len(scenario["features"]) == c["history_rows"] + c["forecast_rows"] + c["rejected_rows"]
    assert c["history_rows"] == (DAYS - 1) * 24 * 5 and c["next_day_rows"] == len(w) and result.balanced
    assert list(result.forecasts.columns) == [col.name for col in get_contract("site_generation_forecast").columns]


def test_forecasts_are_within_zero_and_capacity(scenario):
    f = score(scenario["features"], model_fn(str(scenario["base"] / "model_a"))).forecasts
    capacity = f.site_id.map(load_sites().set_index("site_id").capacity_mw)
    assert (f.forecast_mwh >= 0).all() and (f.forecast_mwh <= capacity + 1e-9).all()
    assert np.allclose(f.forecast_mwh, f.forecast_capacity_factor * capacity)
    solar_night = f[f.site_id.str.startswith("SF-")].merge(
        scenario["weather"][scenario["weather"].shortwave_radiation_wm2 == 0],
        left_on=["site_id", "hour_ts"],
        right_on=["site_id", "observation_ts"],
    )
    assert len(solar_night) > 0 and solar_night.forecast_mwh.max() < 0.05 * capacity.max()
    assert (f.issued_ts == TARGET_DAY).all() and (f.forecast_date == TARGET_DAY.date()).all()
    assert f.forecast_mwh.sum() > 0


def test_scoring_is_deterministic_by_seed(scenario):
    a = score(scenario["features"], model_fn(str(scenario["base"] / "model_a"))).forecasts
    b = score(scenario["features"], model_fn(str(scenario["base"] / "model_b"))).forecasts
    pd.testing.assert_frame_equal(a.drop(columns=["trained_at"]), b.drop(columns=["trained_at"]))
    assert a.model_version.nunique() == 1 and a.training_data.eq("curated").all()


def test_synthetic_model_labels_its_forecasts(scenario, tmp_path):
    train(None, tmp_path, seed=3, **HYPER)
    bundle = model_fn(str(tmp_path))
    f = score(scenario["features"], bundle).forecasts
    assert bundle["training_data"] == "synthetic" and f.training_data.eq("synthetic").all()
    assert json.loads((tmp_path / "metrics.json").read_text())["model_version"] == bundle["model_version"]


def test_sagemaker_hooks_answer_like_the_batch_path(scenario):
    bundle = model_fn(str(scenario["base"] / "model_a"))
    rows = scenario["features"][scenario["features"].row_kind == "next_day"].head(5)
    body = rows.assign(hour_ts=rows.hour_ts.astype(str), event_date=rows.event_date.astype(str)).to_json(
        orient="records", double_precision=15
    )
    answer = json.loads(output_fn(predict_fn(input_fn(body, "application/json"), bundle), "application/json"))
    batch = predict_fn(rows, bundle)
    assert [r["site_id"] for r in answer] == rows.site_id.tolist()
    assert [r["forecast_mwh"] for r in answer] == pytest.approx(batch.forecast_mwh.tolist())
    csv_answer = pd.read_csv(
        io.StringIO(output_fn(predict_fn(input_fn(rows.to_csv(index=False), "text/csv"), bundle), "text/csv"))
    )
    assert csv_answer.forecast_mwh.tolist() == pytest.approx(batch.forecast_mwh.tolist())
    with pytest.raises(ValueError, match="missing"):
        predict_fn(rows.drop(columns=["cf_lag_24h"]), bundle)
    with pytest.raises(ValueError, match="content type"):
        input_fn(body, "application/xml")


def test_run_writes_partitioned_dataset_and_report(scenario, tmp_path):
    out = tmp_path / "site_generation_forecast"
    report = run(scenario["data"], scenario["base"] / "model_a", out, tmp_path)
    assert report["balanced"] and report["forecast_dates"] == [str(TARGET_DAY.date())]
    assert json.loads((tmp_path / "forecast_report.json").read_text())["forecast_rows"] == report["forecast_rows"]
    written = read_forecasts(out)
    assert len(written) == report["forecast_rows"] == 5 * 24 - 3
    schema = pq.read_schema(next(out.glob("forecast_date=*/*.parquet")))
    assert "forecast_date" not in schema.names and str(schema.field("hour_ts").type) == "timestamp[us, tz=UTC]"
    run(scenario["data"], scenario["base"] / "model_a", out, tmp_path)  # a rerun replaces the date
    assert len(read_forecasts(out)) == len(written)


def test_s3_output_is_published_in_the_glue_catalog(scenario, aws, s3):
    from energylake.catalog import Catalog

    s3.create_bucket(Bucket="energylake-local-curated")
    forecasts = score(scenario["features"], model_fn(str(scenario["base"] / "model_a"))).forecasts
    root = "s3://energylake-local-curated/site_generation_forecast"
    write_forecasts(forecasts, root)
    write_forecasts(forecasts, root)  # new version; the old one is removed after the publish
    parts = Catalog().partitions("energy_curated", "site_generation_forecast")
    assert list(parts) == [(str(TARGET_DAY.date()),)]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="energylake-local-curated")["Contents"]]
    assert len(keys) == 1 and parts[(str(TARGET_DAY.date()),)].endswith(keys[0].rsplit("/", 1)[0] + "/")


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    """`make forecast` before `make train`: one line naming the missing file and what to run."""
    from analytics.forecast.scoring import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--features", str(tmp_path / "f"), "--model-dir", str(tmp_path / "none"), "--output", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"no trained model at {tmp_path / 'none' / 'model.joblib'}" in err and "make train" in err
