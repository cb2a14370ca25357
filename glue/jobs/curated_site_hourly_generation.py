"""Glue job: telemetry active power + weather (transform) -> site_hourly_generation (curated)."""

from __future__ import annotations

import sys

from energylake.contracts import get_contract
from energylake.curated import load_sites, site_hourly_generation
from energylake.frames import materialise
from energylake.runtime import JobMetrics, job_context


def main(argv: list[str]) -> JobMetrics:
    """Rebuild the dates whose telemetry or weather partitions changed since the last run."""
    with job_context(argv, ["transform_path", "output_path", "output_database", "source_database"]) as ctx:
        ctx.metrics.kind = "aggregate"
        src = ctx.args["source_database"]
        readings_c, weather_c = get_contract("telemetry_readings"), get_contract("weather_hourly")
        dates = ctx.changed_dates(readings_c, src) | ctx.changed_dates(weather_c, src)
        readings = ctx.read_dates(readings_c, src, dates, {"metric": "active_power"}) if dates else None
        if readings is not None:
            weather = ctx.read_dates(weather_c, src, dates)
            if weather is None:
                weather = ctx.spark.createDataFrame([], _weather_schema())
            readings = materialise(readings, eager=True)
            ctx.metrics.rows_read = ctx.metrics.rows_aggregated = readings.count()
            rows, rejects = site_hourly_generation(readings, weather, load_sites(ctx.spark))
            ctx.quarantine(rejects, "site_hourly_generation")
            contract = get_contract("site_hourly_generation")
            ctx.metrics.rows_written = ctx.write_partitions(
                rows, contract, ctx.args["output_database"], ctx.args["output_path"]
            )
    return ctx.metrics


def _weather_schema():
    from energylake.schema import struct_type

    return struct_type(get_contract("weather_hourly"))


if __name__ == "__main__":
    main(sys.argv)
