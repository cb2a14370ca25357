"""Batch scoring: the model of ``make train`` forecasts the next_day rows of ``site_forecast_features`` into the
curated ``site_generation_forecast`` dataset (Parquet partitioned by forecast_date, registered in the Glue catalog
when written to S3).

``python -m analytics.forecast.score --features <parquet dir|s3://...> --model-dir build/forecast --output <dir|s3://...>``
(``make forecast``). Accounting: rows in = history rows (not scored) + forecasts + rejected (with reason).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.forecast.inference import MODEL_FILE, model_fn, predict_fn
from analytics.forecast.training import read_curated
from energylake.contracts import DatasetContract, get_contract

DATASET = "site_generation_forecast"
NEXT_DAY = "next_day"
WEATHER_COLUMNS = ("avg_wind_speed_ms", "avg_irradiance_wm2", "temperature_c", "cloud_cover_pct")
PROVENANCE = ("model_version", "trained_at", "training_data")
_ARROW = {"string": pa.string(), "double": pa.float64(), "bigint": pa.int64(), "date": pa.date32()}


@dataclass
class ScoreResult:
    """Forecast rows (contract columns), rejected next-day rows with their reason, and the row accounting."""

    forecasts: pd.DataFrame
    rejected: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Every input row is a history row, a forecast or a rejected row."""
        c = self.counts
        return c["rows_in"] == c["history_rows"] + c["forecast_rows"] + c["rejected_rows"]


def _utc_naive(values: pd.Series) -> pd.Series:
    ts = pd.to_datetime(values)
    return ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz is not None else ts


def _reject_reasons(rows: pd.DataFrame) -> pd.Series:
    """Why a next-day row cannot be scored (None when it can); the first failing check names the reason."""
    reason = pd.Series(None, index=rows.index, dtype=object)
    checks = [
        (rows["site_id"].isna() | rows["hour_ts"].isna(), "missing site_id or hour_ts"),
        (rows["capacity_mw"].isna() | ~(rows["capacity_mw"] > 0), "missing or non-positive capacity_mw"),
        (rows[list(WEATHER_COLUMNS)].isna().all(axis=1), "no weather for the hour"),
        (rows.duplicated(["site_id", "hour_ts"], keep="first"), "duplicate (site_id, hour_ts)"),
    ]
    for failed, text in checks:
        reason = reason.mask(reason.isna() & failed, text)
    return reason


def score(features: pd.DataFrame, bundle: dict[str, Any]) -> ScoreResult:
    """Forecast every scorable next_day row of a site_forecast_features frame with a ``model_fn`` bundle."""
    if "row_kind" not in features.columns:
        raise ValueError("features have no row_kind column: rebuild site_forecast_features (curated_forecast_features)")
    missing = [k for k in PROVENANCE if k not in bundle]
    if missing:
        raise ValueError(f"model bundle lacks {missing}: retrain with `make train`")
    frame = features.assign(hour_ts=_utc_naive(features["hour_ts"]))
    ahead = frame[frame["row_kind"] == NEXT_DAY].sort_values(["site_id", "hour_ts"], kind="stable")
    reasons = _reject_reasons(ahead)
    good = ahead[reasons.isna()]
    rejected = ahead.loc[reasons.notna(), ["site_id", "hour_ts"]].assign(reason=reasons[reasons.notna()])
    predicted = predict_fn(good, bundle)
    out = predicted.assign(
        capacity_mw=good["capacity_mw"].to_numpy(dtype=float),
        issued_ts=predicted["hour_ts"].dt.floor("D"),  # issued at the end of the previous UTC day
        model_version=str(bundle["model_version"]),
        trained_at=pd.Timestamp(bundle["trained_at"]).tz_convert("UTC").tz_localize(None),
        training_data=str(bundle["training_data"]),
        forecast_date=predicted["hour_ts"].dt.date,
    )
    out = out[[c.name for c in get_contract(DATASET).columns]].reset_index(drop=True)
    counts = {
        "rows_in": len(features),
        "history_rows": int((frame["row_kind"] != NEXT_DAY).sum()),
        "next_day_rows": len(ahead),
        "forecast_rows": len(out),
        "rejected_rows": len(rejected),
        "sites": int(out["site_id"].nunique()),
    }
    return ScoreResult(out, rejected.reset_index(drop=True), counts)


def arrow_schema(contract: DatasetContract) -> pa.Schema:
    """Arrow schema of the contract's data columns (partition columns live in the path); timestamps UTC, µs."""
    return pa.schema(
        [
            pa.field(c.name, pa.timestamp("us", tz="UTC") if c.type == "timestamp" else _ARROW[c.type], c.nullable)
            for c in contract.columns
            if c.name not in contract.partition_by
        ]
    )


def _partition_table(rows: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    data = rows.drop(columns=["forecast_date"])
    for col in ("hour_ts", "issued_ts", "trained_at"):
        data[col] = pd.to_datetime(data[col]).dt.tz_localize("UTC")
    return pa.Table.from_pandas(data, schema=schema, preserve_index=False)


def write_forecasts(forecasts: pd.DataFrame, output: str | Path) -> list[str]:
    """Write each forecast_date as a new partition version (local dir or s3://; S3 also publishes in the catalog).

    Returns the partition locations written. A rerun replaces the dates it covers and leaves the others.
    """
    contract = get_contract(DATASET)
    schema = arrow_schema(contract)
    target = str(output).rstrip("/")
    version = uuid.uuid4().hex[:12]
    written: list[str] = []
    if target.startswith("s3://"):
        from energylake.catalog import Catalog
        from energylake.storage import Storage, join_uri, parse_s3_uri

        catalog, storage = Catalog(), Storage()
        database = contract.glue_database()
        catalog.ensure_database(database)
        catalog.register_table(contract, database, target + "/")
        staging = Path(tempfile.mkdtemp(prefix="forecast-out-"))
        try:
            for day, rows in forecasts.groupby("forecast_date", sort=True):
                base = join_uri(target, f"forecast_date={day}")
                location = join_uri(base, f"v={version}") + "/"
                local = staging / f"{day}.parquet"
                pq.write_table(_partition_table(rows, schema), local, compression="snappy")
                storage.upload_file(local, location + "part-00000.snappy.parquet")
                catalog.put_partition(contract, database, (str(day),), location)
                for obj in storage.list(base + "/"):  # older versions of this date, after the publish
                    if not obj.uri.startswith(location):
                        bucket, key = parse_s3_uri(obj.uri)
                        storage.s3.delete_object(Bucket=bucket, Key=key)
                written.append(location)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return written
    root = Path(target)
    for day, rows in forecasts.groupby("forecast_date", sort=True):
        part = root / f"forecast_date={day}"
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(parents=True)
        pq.write_table(_partition_table(rows, schema), part / "part-00000.snappy.parquet", compression="snappy")
        written.append(str(part))
    return written


def read_forecasts(location: str | Path) -> pd.DataFrame:
    """Forecast rows written by ``write_forecasts`` to a local directory (forecast_date from the path)."""
    frames = []
    for path in sorted(Path(location).glob("forecast_date=*/*.parquet")):
        frame = pd.read_parquet(path)
        frames.append(frame.assign(forecast_date=pd.Timestamp(path.parent.name.split("=", 1)[1]).date()))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run(
    features: str | Path, model_dir: str | Path, output: str | Path, report_dir: str | Path | None = None
) -> dict[str, Any]:
    """Score the features with the model in ``model_dir``, write the forecasts and a forecast_report.json."""
    bundle = model_fn(str(model_dir))
    result = score(read_curated(features), bundle)
    if not result.balanced:
        raise RuntimeError(f"row accounting does not balance: {result.counts}")
    locations = write_forecasts(result.forecasts, output)
    report: dict[str, Any] = {
        **result.counts,
        "balanced": result.balanced,
        "rejected_reasons": result.rejected["reason"].value_counts().to_dict(),
        "forecast_dates": sorted(str(d) for d in result.forecasts["forecast_date"].unique()),
        "partitions": locations,
        "output": str(output),
        **{k: str(bundle[k]) for k in PROVENANCE},
        "data": str(bundle.get("data", "")),
    }
    out = Path(report_dir or model_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "forecast_report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    """``make forecast``: score next-day features into site_generation_forecast."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", required=True, help="site_forecast_features Parquet (dir or s3:// prefix)")
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "build/forecast"))
    parser.add_argument("--output", required=True, help="site_generation_forecast root (dir or s3:// prefix)")
    parser.add_argument("--report-dir", default=None, help="where forecast_report.json goes (default: model dir)")
    args = parser.parse_args(argv)
    model_file = Path(args.model_dir) / MODEL_FILE
    if not model_file.is_file():
        parser.error(f"no trained model at {model_file}: run `make train` first (or pass --model-dir)")
    report = run(args.features, args.model_dir, args.output, args.report_dir)
    summary = {k: report[k] for k in ("rows_in", "history_rows", "forecast_rows", "rejected_rows", "training_data")}
    print(json.dumps(summary))
    if report["training_data"] == "synthetic":
        print("note: the model was trained on the SYNTHETIC sample (training_data = synthetic in every row)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
