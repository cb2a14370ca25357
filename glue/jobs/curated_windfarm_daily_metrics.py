"""Glue job: telemetry_readings (transform) -> windfarm_daily_metrics (curated)."""

from __future__ import annotations

import sys

from energylake.contracts import get_contract
from energylake.curated import windfarm_daily_metrics
from energylake.frames import materialise
from energylake.runtime import JobMetrics, job_context


def main(argv: list[str]) -> JobMetrics:
    """Rebuild the daily statistics of every date whose telemetry changed."""
    with job_context(argv, ["transform_path", "output_path", "output_database", "source_database"]) as ctx:
        ctx.metrics.kind = "aggregate"
        src = ctx.args["source_database"]
        contract = get_contract("telemetry_readings")
        dates = ctx.changed_dates(contract, src)
        readings = ctx.read_dates(contract, src, dates) if dates else None
        if readings is not None:
            readings = materialise(readings, eager=True)
            ctx.metrics.rows_read = ctx.metrics.rows_aggregated = readings.count()
            ctx.metrics.rows_written = ctx.write_partitions(
                windfarm_daily_metrics(readings),
                get_contract("windfarm_daily_metrics"),
                ctx.args["output_database"],
                ctx.args["output_path"],
            )
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
