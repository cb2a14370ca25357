"""Generation forecast: physics of the synthetic sample, contract shape, skill over baselines, determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.forecast import train
from analytics.forecast.features import build_features, validate_input
from analytics.forecast.synthetic import generate_site_hourly_generation, wind_power_curve
from energylake.contracts import get_contract


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return generate_site_hourly_generation(seed=5, days=60)


def test_sample_follows_the_contract_and_physics(sample):
    assert [c.name for c in get_contract("site_hourly_generation").columns] == list(sample.columns)
    assert sample["capacity_factor"].between(0, 1.05).all()
    solar = sample[sample.site_type == "solar"]
    night = solar[solar.avg_irradiance_wm2 == 0]
    assert len(night) > 0 and (night.generation_mwh == 0).all()
    wind = sample[sample.site_type == "wind"]
    assert wind[wind.avg_wind_speed_ms < 3].generation_mwh.eq(0).all()
    assert wind_power_curve(np.array([2.0, 8.0, 13.0, 30.0])).tolist()[::3] == [0.0, 0.0]
    assert wind.groupby(pd.cut(wind.avg_wind_speed_ms, [3, 6, 9, 12])).capacity_factor.mean().is_monotonic_increasing


def test_persistence_lag_is_same_hour_previous_day(sample):
    feats = build_features(sample)
    site = feats[feats.site_id == "WF-ROSCOE"].set_index("hour_ts")
    t = pd.Timestamp("2024-03-10 13:00")
    assert site.loc[t, "persistence_mwh"] == site.loc[t - pd.Timedelta(hours=24), "generation_mwh"]


def test_missing_contract_column_is_a_clear_error(sample):
    with pytest.raises(ValueError, match="missing contract columns"):
        validate_input(sample.drop(columns=["avg_wind_speed_ms"]))


def test_forecast_beats_persistence_and_is_deterministic(tmp_path, sample):
    data = tmp_path / "curated"
    sample.to_parquet(data, partition_cols=["event_date"])
    first = train(data, tmp_path / "a", seed=1, max_iter=120)
    second = train(data, tmp_path / "b", seed=1, max_iter=120)
    assert first == second
    assert json.loads((tmp_path / "a" / "metrics.json").read_text()) == json.loads(
        (tmp_path / "b" / "metrics.json").read_text()
    )
    assert (tmp_path / "a" / "model.joblib").stat().st_size > 0
    assert first["model"]["mae_mwh"] < first["persistence"]["mae_mwh"]
    assert first["model"]["rmse_mwh"] < first["persistence"]["rmse_mwh"]
    assert first["model"]["rmse_mwh"] < first["climatology"]["rmse_mwh"]
    assert first["test_rows"] == 14 * 24 * 5


def test_trains_on_the_glue_feature_dataset_and_beats_persistence(tmp_path, sample, spark):
    """The forecast learns from site_forecast_features as the curated_forecast_features Glue job writes it."""
    from energylake.forecast_features import forecast_features
    from energylake.schema import struct_type

    features = forecast_features(spark.createDataFrame(sample, struct_type(get_contract("site_hourly_generation"))))
    data = tmp_path / "site_forecast_features"
    features.toPandas().to_parquet(data, partition_cols=["event_date"])
    first = train(data, tmp_path / "a", seed=1, max_iter=120)
    assert first == train(data, tmp_path / "b", seed=1, max_iter=120)
    assert first["input_dataset"] == "site_forecast_features"
    assert first["model"]["mae_mwh"] < first["persistence"]["mae_mwh"]
    assert first["model"]["rmse_mwh"] < first["climatology"]["rmse_mwh"]
    assert first["test_rows"] == 14 * 24 * 5
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["input_dataset"] == "site_forecast_features"
