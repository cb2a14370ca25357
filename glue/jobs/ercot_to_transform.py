"""Glue job: ERCOT system load, settlement point prices and fuel mix CSV (landing) -> transform tables."""

from __future__ import annotations

import sys

from energylake.contracts import get_contract
from energylake.dedup import winner_order
from energylake.ercot import REPORTS
from energylake.runtime import JobMetrics, job_context
from energylake.storage import join_uri


def main(argv: list[str]) -> JobMetrics:
    """Process new report files of each ERCOT report into its transform table."""
    with job_context(argv, ["input_path", "output_path", "output_database"]) as ctx:
        for report, (dataset, build) in REPORTS.items():
            objects = ctx.new_inputs(join_uri(ctx.args["input_path"], report) + "/", [".csv"])
            if not objects:
                continue
            valid, rejects = build(ctx.read_csv_records(objects), ctx.now)
            contract = get_contract(dataset)
            order = winner_order(valid, contract.event_time, "ingested_ts")
            output = join_uri(ctx.args["output_path"], dataset) + "/"
            ctx.load(valid, rejects, contract, ctx.args["output_database"], output, order)
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
