"""Feature engineering for the next-day hourly generation forecast, as pure pandas functions.

Issue time is the end of day D-1; the target is each hour of day D. Features only use what is known then:
generation of D-1 and D-2 (lags 24 h and 48 h, D-1's daily mean), calendar terms, the site's type and size,
and the weather of the target hour (in production the Open-Meteo forecast; the curated history holds the
observed weather, used here as a perfect-forecast proxy, stated in the README).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from energylake.contracts import get_contract

FEATURES: tuple[str, ...] = (
    "is_wind",
    "capacity_mw",
    "hour_sin",
    "hour_cos",
    "doy_sin",
    "doy_cos",
    "avg_wind_speed_ms",
    "wind_cubed",
    "avg_irradiance_wm2",
    "temperature_c",
    "cloud_cover_pct",
    "cf_lag_24h",
    "cf_lag_48h",
    "cf_prev_day_mean",
)
TARGET = "capacity_factor"


def validate_input(df: pd.DataFrame) -> pd.DataFrame:
    """Check the frame against the site_hourly_generation contract; a missing column is a clear error."""
    contract = get_contract("site_hourly_generation")
    missing = [c.name for c in contract.columns if c.name not in df.columns]
    if missing:
        raise ValueError(f"site_hourly_generation input is missing contract columns {missing}")
    if df.duplicated(["site_id", "hour_ts"]).any():
        raise ValueError("site_hourly_generation input has duplicate (site_id, hour_ts) rows")
    return df


def complete_hours(df: pd.DataFrame) -> pd.DataFrame:
    """One row per site and hour on a regular grid (missing hours become NaN, so lags stay aligned)."""
    frames = []
    for site_id, group in df.groupby("site_id", sort=True):
        grid = pd.date_range(group["hour_ts"].min(), group["hour_ts"].max(), freq="h")
        g = group.set_index("hour_ts").reindex(grid)
        g.index.name = "hour_ts"
        g["site_id"] = site_id
        for col in ("site_type", "capacity_mw"):
            g[col] = group[col].iloc[0]
        frames.append(g.reset_index())
    return pd.concat(frames, ignore_index=True)


def build_features(df: pd.DataFrame) -> pd.DataFrame:
    """Add the model features (and the persistence lag) to a site_hourly_generation frame."""
    out = complete_hours(validate_input(df).assign(hour_ts=lambda d: pd.to_datetime(d["hour_ts"])))
    out = out.sort_values(["site_id", "hour_ts"]).reset_index(drop=True)
    hour = out["hour_ts"].dt.hour
    doy = out["hour_ts"].dt.dayofyear
    out["is_wind"] = (out["site_type"] == "wind").astype(float)
    out["hour_sin"], out["hour_cos"] = np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24)
    out["doy_sin"], out["doy_cos"] = np.sin(2 * np.pi * doy / 365.25), np.cos(2 * np.pi * doy / 365.25)
    out["wind_cubed"] = out["avg_wind_speed_ms"].clip(upper=14) ** 3
    by_site = out.groupby("site_id", sort=False)[TARGET]
    out["cf_lag_24h"] = by_site.shift(24)
    out["cf_lag_48h"] = by_site.shift(48)
    out["day"] = out["hour_ts"].dt.floor("D")
    daily = out.groupby(["site_id", "day"])[TARGET].mean().rename("cf_day_mean").reset_index()
    daily["day"] = daily["day"] + pd.Timedelta(days=1)  # D-1's mean is known when forecasting day D
    out = out.merge(daily.rename(columns={"cf_day_mean": "cf_prev_day_mean"}), on=["site_id", "day"], how="left")
    out["persistence_mwh"] = out.groupby("site_id", sort=False)["generation_mwh"].shift(24)
    return out


def climatology(train: pd.DataFrame) -> pd.Series:
    """Mean generation per (site, hour of day) over the training period: the climatology baseline."""
    return train.groupby([train["site_id"], train["hour_ts"].dt.hour])["generation_mwh"].mean()


def perturb_weather(df: pd.DataFrame, seed: int, scale: float = 1.0) -> pd.DataFrame:
    """Observed weather turned into a plausible day-ahead forecast (typical NWP errors), deterministic by seed."""
    rng = np.random.default_rng(seed + 1_000_003)
    out = df.copy()
    n = len(out)
    if scale <= 0:
        return out
    out["avg_wind_speed_ms"] = (out["avg_wind_speed_ms"] + rng.normal(0, 1.6 * scale, n)).clip(lower=0)
    out["avg_irradiance_wm2"] = (out["avg_irradiance_wm2"] * rng.normal(1.0, 0.18 * scale, n)).clip(lower=0)
    out["cloud_cover_pct"] = (out["cloud_cover_pct"] + rng.normal(0, 15 * scale, n)).clip(0, 100)
    out["temperature_c"] = out["temperature_c"] + rng.normal(0, 1.5 * scale, n)
    return out
