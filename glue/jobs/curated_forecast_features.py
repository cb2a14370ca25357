"""Glue job: site_hourly_generation (curated) -> site_forecast_features (curated), the forecast's training input."""

from __future__ import annotations

import sys

from pyspark.sql import functions as F

from energylake.contracts import get_contract
from energylake.forecast_features import DATASET, dates_to_rebuild, forecast_features
from energylake.runtime import JobMetrics, job_context


def main(argv: list[str]) -> JobMetrics:
    """Rebuild the feature dates whose history (the day itself or the two before) changed since the last run."""
    with job_context(argv, ["output_path", "output_database", "source_database"]) as ctx:
        ctx.metrics.kind = "aggregate"
        source = get_contract("site_hourly_generation")
        changed = ctx.changed_dates(source, ctx.args["source_database"])
        rebuild, history = dates_to_rebuild(changed)
        generation = ctx.read_dates(source, ctx.args["source_database"], history) if changed else None
        if generation is not None:
            generation = generation.localCheckpoint()
            ctx.metrics.rows_read = ctx.metrics.rows_aggregated = generation.count()
            features = forecast_features(generation).where(F.col("event_date").cast("string").isin(*sorted(rebuild)))
            ctx.metrics.rows_written = ctx.write_partitions(
                features, get_contract(DATASET), ctx.args["output_database"], ctx.args["output_path"]
            )
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
