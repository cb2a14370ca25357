"""Glue job: trading tables (transform) -> daily_energy_consumption and client_analytics (curated)."""

from __future__ import annotations

import sys

from energylake.contracts import get_contract
from energylake.curated import client_analytics, daily_energy_consumption
from energylake.dms import trading_datasets
from energylake.frames import materialise
from energylake.runtime import JobMetrics, job_context
from energylake.schema import struct_type
from energylake.storage import join_uri

SOURCES = trading_datasets()  # a change to any trading table rebuilds client_analytics


def main(argv: list[str]) -> JobMetrics:
    """Rebuild client_analytics when any trading table changed, and the changed days of consumption."""
    with job_context(argv, ["transform_path", "output_path", "output_database", "source_database"]) as ctx:
        ctx.metrics.kind = "aggregate"
        src, out_db = ctx.args["source_database"], ctx.args["output_database"]
        contracts = {n: get_contract(n) for n in SOURCES}
        changes = {n: ctx.source_changes(c, src) for n, c in contracts.items()}
        if any(changes.values()):
            frames = {}
            for name, contract in contracts.items():
                frame = ctx.read_table(contract, src)
                frames[name] = materialise(
                    frame if frame is not None else ctx.spark.createDataFrame([], struct_type(contract)), eager=True
                )
            ctx.metrics.rows_read = ctx.metrics.rows_aggregated = sum(f.count() for f in frames.values())
            customers, transactions = frames["trading_customers"], frames["trading_transactions"]
            analytics = client_analytics(
                customers, transactions, frames["trading_contracts"], frames["trading_providers"]
            )
            written = ctx.write_partitions(
                analytics,
                get_contract("client_analytics"),
                out_db,
                join_uri(ctx.args["output_path"], "client_analytics") + "/",
            )
            daily = daily_energy_consumption(transactions, customers)
            days = None if changes["trading_customers"] else {v[0] for v in changes["trading_transactions"] if v}
            if days is not None:
                daily = daily.where(daily["consumption_date"].cast("string").isin(sorted(days)))
            written += ctx.write_partitions(
                daily,
                get_contract("daily_energy_consumption"),
                out_db,
                join_uri(ctx.args["output_path"], "daily_energy_consumption") + "/",
                drop=[(d,) for d in sorted(days or [])],
            )
            ctx.metrics.rows_written = written
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
