"""Glue job: ERCOT load, prices, fuel mix and weather (transform) -> grid_weather_hourly (curated)."""

from __future__ import annotations

import sys
from datetime import date, timedelta

from pyspark.sql import functions as F

from energylake.contracts import get_contract
from energylake.curated import grid_weather_hourly
from energylake.frames import materialise
from energylake.runtime import JobMetrics, job_context
from energylake.schema import struct_type

SOURCES = ("ercot_system_load", "ercot_settlement_prices", "ercot_fuel_mix", "weather_hourly")


def _around(dates: set[str], days: int) -> set[str]:
    out = set()
    for d in dates:
        base = date.fromisoformat(d)
        out |= {(base + timedelta(days=k)).isoformat() for k in range(-days, days + 1)}
    return out


def main(argv: list[str]) -> JobMetrics:
    """Rebuild UTC dates touched by changed source partitions (ERCOT days are Central Time, hence +-1 day)."""
    with job_context(argv, ["transform_path", "output_path", "output_database", "source_database"]) as ctx:
        ctx.metrics.kind = "aggregate"
        src = ctx.args["source_database"]
        contracts = {name: get_contract(name) for name in SOURCES}
        changed: set[str] = set()
        for contract in contracts.values():
            changed |= ctx.changed_dates(contract, src)
        targets = _around(changed, 1)
        frames = {}
        for name, contract in contracts.items():
            frame = ctx.read_dates(contract, src, _around(targets, 1)) if targets else None
            frames[name] = frame if frame is not None else ctx.spark.createDataFrame([], struct_type(contract))
        load = materialise(frames["ercot_system_load"], eager=True)
        if targets and load.count():
            ctx.metrics.rows_read = ctx.metrics.rows_aggregated = sum(f.count() for f in frames.values())
            rows = grid_weather_hourly(load, *[frames[n] for n in SOURCES[1:]])
            rows = rows.where(F.col("event_date").cast("string").isin(sorted(targets)))
            ctx.metrics.rows_written = ctx.write_partitions(
                rows, get_contract("grid_weather_hourly"), ctx.args["output_database"], ctx.args["output_path"]
            )
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
