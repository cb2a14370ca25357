"""Next-day hourly site generation forecast: synthetic curated sample, features, SageMaker-style training.

``train(data=None, output_dir="build/forecast", seed=42)`` trains and returns the metrics dict.
"""

from __future__ import annotations

from pathlib import Path

from analytics.forecast.training import train
from lakectl.settings import REPO_ROOT

# Where `make train` writes model.joblib, metrics.json and holdout_predictions.parquet; the demo report and
# BENCHMARKS.md read the metrics from FORECAST_METRICS.
FORECAST_DIR: Path = REPO_ROOT / "build" / "forecast"
FORECAST_METRICS: Path = FORECAST_DIR / "metrics.json"

__all__ = ["FORECAST_DIR", "FORECAST_METRICS", "train"]
