"""Glue job: site_hourly_generation (curated) + weather_hourly (transform) -> site_forecast_features (curated).

History rows are the forecast's training input; next-day rows (weather but no generation yet) are what it scores.
"""

from __future__ import annotations

import sys

from pyspark.sql import functions as F

from energylake.contracts import get_contract
from energylake.forecast_features import DATASET, dates_to_rebuild, forecast_features
from energylake.frames import materialise
from energylake.runtime import JobMetrics, job_context


def main(argv: list[str]) -> JobMetrics:
    """Rebuild the feature dates whose history (the day or the two before) or weather changed since the last run."""
    with job_context(argv, ["output_path", "output_database", "source_database"], {"weather_database": ""}) as ctx:
        ctx.metrics.kind = "aggregate"
        source = get_contract("site_hourly_generation")
        weather_c = get_contract("weather_hourly")
        weather_db = ctx.args.get("weather_database") or ""
        changed = ctx.changed_dates(source, ctx.args["source_database"])
        weather_changed = ctx.changed_dates(weather_c, weather_db) if weather_db else set()
        rebuild, history = dates_to_rebuild(changed, weather_changed)
        generation = ctx.read_dates(source, ctx.args["source_database"], history) if rebuild else None
        if generation is not None:
            generation = materialise(generation, eager=True)
            weather = ctx.read_dates(weather_c, weather_db, rebuild) if weather_db else None
            ctx.metrics.rows_read = ctx.metrics.rows_aggregated = generation.count()
            if weather is not None:
                weather = materialise(weather, eager=True)
                ctx.metrics.details["weather_rows_read"] = weather.count()
            features = forecast_features(generation, weather).where(
                F.col("event_date").cast("string").isin(*sorted(rebuild))
            )
            features = materialise(features, eager=True)
            ctx.metrics.details["next_day_rows"] = features.where(F.col("row_kind") == "next_day").count()
            ctx.metrics.rows_written = ctx.write_partitions(
                features, get_contract(DATASET), ctx.args["output_database"], ctx.args["output_path"]
            )
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
