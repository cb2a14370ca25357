"""Training, evaluation and serving hooks for the generation forecast (SageMaker scikit-learn conventions).

In SageMaker: the curated Parquet arrives in SM_CHANNEL_TRAIN, the model goes to SM_MODEL_DIR and the metrics
to SM_OUTPUT_DATA_DIR; hyperparameters are command-line flags. Locally: ``python -m analytics.forecast.train
--data <parquet dir|s3://bucket/prefix> --output build/forecast`` (no --data: the SYNTHETIC sample).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from analytics.forecast.features import FEATURES, TARGET, build_features, climatology, perturb_weather
from analytics.forecast.inference import MODEL_FILE
from analytics.forecast.synthetic import SYNTHETIC_LABEL, generate_site_hourly_generation


def read_curated(location: str | Path) -> pd.DataFrame:
    """Read site_forecast_features or site_hourly_generation Parquet from a local path or s3:// prefix."""
    text = str(location)
    if text.startswith("s3://"):
        import boto3

        url = urlparse(text)
        s3 = boto3.client("s3")
        local = Path(tempfile.mkdtemp(prefix="forecast-data-"))
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=url.netloc, Prefix=url.path.lstrip("/")):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".parquet"):
                    target = local / obj["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(url.netloc, obj["Key"], str(target))
        text = str(local)
    frame = pd.read_parquet(text)
    if frame.empty:
        raise ValueError(f"no site_forecast_features / site_hourly_generation rows under {location}")
    return frame


def is_feature_dataset(frame: pd.DataFrame) -> bool:
    """True for the Glue-built ``site_forecast_features`` dataset (features present), False for raw history."""
    return all(c in frame.columns for c in (*FEATURES, "persistence_mwh"))


def prepare(curated: pd.DataFrame, seed: int = 42, weather_error_scale: float = 1.0) -> pd.DataFrame:
    """Model-ready rows from either ``site_forecast_features`` (Glue job output) or ``site_hourly_generation``.

    The curated history holds observed weather; it is perturbed by typical day-ahead forecast errors so the
    model is not scored with a perfect forecast of the target day's weather (``wind_cubed`` follows the
    perturbed wind speed).
    """
    frame = curated.copy()
    ts = pd.to_datetime(frame["hour_ts"])
    frame["hour_ts"] = ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz is not None else ts
    if not is_feature_dataset(frame):
        return build_features(perturb_weather(frame, seed=seed, scale=weather_error_scale))
    frame = frame.sort_values(["site_id", "hour_ts"]).reset_index(drop=True)  # row order fixes the noise draw
    frame = perturb_weather(frame, seed=seed, scale=weather_error_scale)
    frame["wind_cubed"] = frame["avg_wind_speed_ms"].clip(upper=14) ** 3
    frame["day"] = frame["hour_ts"].dt.floor("D")
    return frame


def _scores(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    err = predicted - actual
    return {"mae_mwh": round(float(np.mean(np.abs(err))), 4), "rmse_mwh": round(float(np.sqrt(np.mean(err**2))), 4)}


def fit_and_evaluate(
    curated: pd.DataFrame,
    seed: int = 42,
    holdout_days: int = 14,
    max_iter: int = 300,
    learning_rate: float = 0.05,
    weather_error_scale: float = 1.0,
) -> tuple[HistGradientBoostingRegressor, dict[str, Any], pd.DataFrame]:
    """Train on all but the last ``holdout_days`` days; score model and baselines on the held-out days."""
    data = prepare(curated, seed=seed, weather_error_scale=weather_error_scale)
    data = data.dropna(subset=[TARGET, "cf_lag_24h", "cf_lag_48h", "cf_prev_day_mean", "persistence_mwh"])
    cutoff = data["day"].max() - pd.Timedelta(days=holdout_days - 1)
    train_df, test_df = data[data["day"] < cutoff], data[data["day"] >= cutoff].copy()
    if train_df.empty or test_df.empty:
        raise ValueError(f"need more than {holdout_days} days of history per site to train and hold out")
    model = HistGradientBoostingRegressor(
        max_iter=max_iter, learning_rate=learning_rate, l2_regularization=1.0, random_state=seed
    )
    model.fit(train_df[list(FEATURES)], train_df[TARGET])
    test_df["forecast_mwh"] = np.clip(model.predict(test_df[list(FEATURES)]), 0, 1.05) * test_df["capacity_mw"]
    clim = climatology(train_df)
    keys = pd.MultiIndex.from_arrays([test_df["site_id"], test_df["hour_ts"].dt.hour])
    test_df["climatology_mwh"] = clim.reindex(keys).to_numpy()
    actual = test_df["generation_mwh"].to_numpy()
    metrics: dict[str, Any] = {
        "model": _scores(actual, test_df["forecast_mwh"].to_numpy()),
        "persistence": _scores(actual, test_df["persistence_mwh"].to_numpy()),
        "climatology": _scores(actual, test_df["climatology_mwh"].to_numpy()),
        "per_site": {
            site: {
                "model_mae_mwh": _scores(g["generation_mwh"].to_numpy(), g["forecast_mwh"].to_numpy())["mae_mwh"],
                "persistence_mae_mwh": _scores(g["generation_mwh"].to_numpy(), g["persistence_mwh"].to_numpy())[
                    "mae_mwh"
                ],
            }
            for site, g in test_df.groupby("site_id")
        },
        "train_rows": len(train_df),
        "test_rows": len(test_df),
        "holdout_days": holdout_days,
        "holdout_start": str(cutoff.date()),
        "seed": seed,
        "weather_error_scale": weather_error_scale,
        "features": list(FEATURES),
    }
    metrics["skill_vs_persistence"] = round(1 - metrics["model"]["rmse_mwh"] / metrics["persistence"]["rmse_mwh"], 4)
    metrics["skill_vs_climatology"] = round(1 - metrics["model"]["rmse_mwh"] / metrics["climatology"]["rmse_mwh"], 4)
    return model, metrics, test_df


def train(
    data: str | Path | None = None,
    output_dir: str | Path = "build/forecast",
    seed: int = 42,
    holdout_days: int = 14,
    model_dir: str | Path | None = None,
    **hyperparameters: Any,
) -> dict[str, Any]:
    """Train, write model.joblib and metrics.json (+ held-out predictions), and return the metrics."""
    curated = read_curated(data) if data else generate_site_hourly_generation(seed=seed)
    model, metrics, test_df = fit_and_evaluate(curated, seed=seed, holdout_days=holdout_days, **hyperparameters)
    metrics["data"] = str(data) if data else SYNTHETIC_LABEL
    metrics["input_dataset"] = "site_forecast_features" if is_feature_dataset(curated) else "site_hourly_generation"
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    mdir = Path(model_dir) if model_dir else out
    mdir.mkdir(parents=True, exist_ok=True)
    metrics["model_version"] = model_version(model)
    metrics["training_data"] = "curated" if data else "synthetic"
    bundle = {
        "model": model,
        "features": list(FEATURES),
        "target": TARGET,
        # trained_at stays out of metrics.json, which is deterministic by seed
        "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        **{k: metrics[k] for k in ("model_version", "training_data", "data", "seed")},
    }
    joblib.dump(bundle, mdir / MODEL_FILE)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    cols = ["site_id", "hour_ts", "generation_mwh", "forecast_mwh", "persistence_mwh", "climatology_mwh"]
    test_df[cols].to_parquet(out / "holdout_predictions.parquet", index=False)
    return metrics


def model_version(model: HistGradientBoostingRegressor) -> str:
    """Content hash of the fitted estimator: same data, seed and hyperparameters give the same version."""
    return hashlib.sha256(pickle.dumps(model, protocol=4)).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    """Entry point for SageMaker (env channels) and `make train` (flags)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--output", default=os.environ.get("SM_OUTPUT_DATA_DIR", "build/forecast"))
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--holdout-days", type=int, default=14)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--weather-error-scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    metrics = train(
        args.data,
        args.output,
        seed=args.seed,
        holdout_days=args.holdout_days,
        model_dir=args.model_dir,
        max_iter=args.max_iter,
        learning_rate=args.learning_rate,
        weather_error_scale=args.weather_error_scale,
    )
    summary = {k: metrics[k] for k in ("model", "persistence", "climatology", "skill_vs_persistence")}
    print(json.dumps(summary))
    print(f"wrote {Path(args.output) / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
