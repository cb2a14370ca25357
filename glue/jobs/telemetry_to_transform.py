"""Glue job: wind-farm/IoT telemetry JSON (raw) -> telemetry_readings (transform)."""

from __future__ import annotations

import sys

from energylake.contracts import get_contract
from energylake.dedup import winner_order
from energylake.runtime import JobMetrics, job_context
from energylake.telemetry import telemetry_readings


def main(argv: list[str]) -> JobMetrics:
    """Parse, normalise and merge new telemetry objects into telemetry_readings."""
    with job_context(argv, ["input_path", "output_path", "output_database"]) as ctx:
        objects = ctx.new_inputs(ctx.args["input_path"])
        if objects:
            valid, rejects = telemetry_readings(ctx.read_lines(objects), ctx.now)
            contract = get_contract("telemetry_readings")
            order = winner_order(valid, "event_ts", "ingested_ts")
            ctx.load(valid, rejects, contract, ctx.args["output_database"], ctx.args["output_path"], order)
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
