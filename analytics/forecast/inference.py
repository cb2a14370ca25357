"""SageMaker scikit-learn serving hooks for the generation forecast: ``model_fn``, ``input_fn``, ``predict_fn``,
``output_fn``.

Self-contained on purpose (numpy, pandas, joblib only): the SKLearn container loads this file as
``SAGEMAKER_PROGRAM`` from the model's ``code/`` directory. Requests are ``site_forecast_features`` rows (JSON
records or CSV with a header); the answer is one forecast per row: capacity factor clipped to [0, 1] (an hour
cannot yield more than its capacity) and MWh = capacity factor x capacity_mw. The batch path
(``analytics.forecast.scoring``) calls the same ``predict_fn``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

MODEL_FILE = "model.joblib"
ID_COLUMNS = ("site_id", "hour_ts")


def model_fn(model_dir: str) -> dict[str, Any]:
    """Load the model bundle ``train`` wrote (estimator, feature names and its provenance)."""
    bundle = joblib.load(Path(model_dir) / MODEL_FILE)
    missing = [k for k in ("model", "features") if k not in bundle]
    if missing:
        raise ValueError(f"{Path(model_dir) / MODEL_FILE} is not a forecast bundle (missing {missing})")
    return bundle


def input_fn(request_body: str | bytes, content_type: str = "application/json") -> pd.DataFrame:
    """Feature rows from a JSON (list of records or {"instances": [...]}) or CSV (header row) request."""
    text = request_body.decode() if isinstance(request_body, bytes) else request_body
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        body = json.loads(text)
        records = body.get("instances") if isinstance(body, dict) else body
        if not isinstance(records, list):
            raise ValueError("JSON request must be a list of feature records or {'instances': [...]}")
        return pd.DataFrame.from_records(records)
    if kind == "text/csv":
        return pd.read_csv(io.StringIO(text))
    raise ValueError(f"unsupported content type {content_type!r} (application/json or text/csv)")


def predict_fn(input_data: pd.DataFrame, bundle: dict[str, Any]) -> pd.DataFrame:
    """One forecast per feature row: site_id, hour_ts (when given), forecast_capacity_factor, forecast_mwh."""
    frame = pd.DataFrame(input_data)
    missing = [c for c in bundle["features"] if c not in frame.columns]
    if missing:
        raise ValueError(f"feature rows are missing {missing}")
    features = frame[list(bundle["features"])].apply(pd.to_numeric, errors="coerce").astype(float)
    cf = np.clip(bundle["model"].predict(features), 0.0, 1.0)
    out = frame[[c for c in ID_COLUMNS if c in frame.columns]].copy()
    out["forecast_capacity_factor"] = cf
    out["forecast_mwh"] = cf * features["capacity_mw"].to_numpy()
    return out.reset_index(drop=True)


def output_fn(prediction: pd.DataFrame, accept: str = "application/json") -> str:
    """Serialise the forecasts as JSON records (ISO-8601 hours) or CSV."""
    kind = accept.split(";")[0].strip().lower()
    if kind in ("application/json", "*/*"):
        return prediction.to_json(orient="records", date_format="iso", double_precision=15)
    if kind == "text/csv":
        return prediction.to_csv(index=False)
    raise ValueError(f"unsupported accept type {accept!r} (application/json or text/csv)")
