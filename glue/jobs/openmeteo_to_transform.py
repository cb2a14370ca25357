"""Glue job: Open-Meteo forecast/archive JSON (landing) -> weather_hourly (transform)."""

from __future__ import annotations

import sys

from energylake.contracts import get_contract
from energylake.openmeteo import weather_hourly, weather_value_columns, weather_winner_order
from energylake.runtime import JobMetrics, job_context


def main(argv: list[str]) -> JobMetrics:
    """Explode new responses to hourly rows; archive beats forecast for the same site and hour, value by value."""
    with job_context(argv, ["input_path", "output_path", "output_database"]) as ctx:
        objects = ctx.new_inputs(ctx.args["input_path"], [".json"])
        if objects:
            valid, rejects = weather_hourly(ctx.read_files(objects), ctx.now)
            contract = get_contract("weather_hourly")
            ctx.load(
                valid,
                rejects,
                contract,
                ctx.args["output_database"],
                ctx.args["output_path"],
                weather_winner_order(),
                fill_nulls=weather_value_columns(),
            )
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
