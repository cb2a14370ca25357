"""Glue job: wind-farm/IoT telemetry JSON (raw) -> telemetry_readings (transform)."""

from __future__ import annotations

import sys
from functools import partial

from energylake.contracts import get_contract
from energylake.dedup import winner_order
from energylake.runtime import JobMetrics, job_context
from energylake.telemetry import telemetry_readings


def main(argv: list[str]) -> JobMetrics:
    """Parse, normalise and merge new telemetry objects into telemetry_readings."""
    with job_context(argv, ["input_path", "output_path", "output_database"]) as ctx:
        objects = ctx.new_inputs(ctx.args["input_path"])
        if objects:
            lines, files = ctx.read_numbered_lines(objects)
            valid, rejects, not_reported = telemetry_readings(lines, ctx.now, files)
            contract = get_contract("telemetry_readings")
            # Built from the frame being ranked: its source file is a number or, against written rows, a URI.
            order = partial(winner_order, event_col="event_ts", ingest_col="ingested_ts")
            ctx.load(
                valid,
                rejects,
                contract,
                ctx.args["output_database"],
                ctx.args["output_path"],
                order,
                files,
                not_reported=not_reported.count(),
            )
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
